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
    from ..engine.base import unfinished_envs
    from ..jobs import recover_envs_moved_aside
    from ..model import CondaEnv

    for note in recover_envs_moved_aside():  # a killed `create --replace` left the old env aside: put it back
        print(f"note: {note}", file=sys.stderr)
    envs = sorted(list_envs(), key=lambda e: (e.name.lower(), e.prefix))
    unfinished = sorted(unfinished_envs(), key=lambda u: str(u[0]))
    if args.json:
        items = [dict(asdict(e), state="ok") for e in envs]
        items += [dict(asdict(CondaEnv(p.name, str(p))), state=state) for p, state in unfinished]
        json.dump(items, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not envs and not unfinished:
        print("no conda environments found")
        return 0
    rows = [("NAME", "PYTHON", "TORCH", "PREFIX")]
    rows += [(e.name, e.python or "-", e.torch or "-", e.prefix) for e in envs]
    rows += [(p.name, "-", "-", f"{p}  {state}") for p, state in unfinished]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    return 0
