"""`torchdesk envs`: the conda environments on this machine and the torch build in each."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print a JSON list")


def run(args: argparse.Namespace) -> int:
    from ..engine import list_envs
    from ..kernels import find_kernels

    envs = sorted(list_envs(), key=lambda e: (e.name.lower(), e.prefix))
    kernels = {k.prefix: k for k in find_kernels()}
    if args.json:
        json.dump([{**asdict(e), "jupyter_kernel": asdict(kernels[e.prefix]) if e.prefix in kernels else None}
                   for e in envs], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not envs:
        print("no conda environments found")
        return 0
    rows = [("NAME", "PYTHON", "TORCH", "JUPYTER", "PREFIX")]
    rows += [(e.name, e.python or "-", e.torch or "-", kernels[e.prefix].name if e.prefix in kernels else "-", e.prefix)
             for e in envs]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(f"{c:<{w}}" for c, w in zip(r, widths)) + f"  {r[4]}")
    return 0
