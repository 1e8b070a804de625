"""`torchdesk envs`: the conda environments on this machine and the torch build in each."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--sizes", action="store_true", help="also each env's own disk use and the part it shares (hardlinks counted once)")


def run(args: argparse.Namespace) -> int:
    from ..jobclean import recover_envs_moved_aside
    from ..kernels import find_kernels
    from ..usecases.inventory import list_environments

    for note in recover_envs_moved_aside():  # a killed `create --replace` left the old env aside: put it back
        print(f"note: {note}", file=sys.stderr)
    entries = list_environments()
    if getattr(args, "sizes", False):
        return run_sizes([e.conda_env() for e in entries if not e.unfinished], as_json=args.json)
    kernels = {k.prefix: k for k in find_kernels()}
    if args.json:
        items = [{**e.to_json(), "jupyter_kernel": asdict(kernels[e.prefix]) if e.prefix in kernels else None}
                 for e in entries]
        json.dump(items, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not entries:
        print("no conda environments found")
        return 0
    rows = [("NAME", "PYTHON", "TORCH", "JUPYTER", "PREFIX")]
    rows += [(e.name, e.python or "-", e.torch or "-", kernels[e.prefix].name if e.prefix in kernels else "-",
              e.prefix if e.ok else f"{e.prefix}  {e.state}") for e in entries]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(f"{c:<{w}}" for c, w in zip(r, widths, strict=False)) + f"  {r[4]}")
    return 0


def run_sizes(envs: list, *, as_json: bool) -> int:  # type: ignore[type-arg]
    """`envs --sizes`: each env's own bytes, its shared bytes, and everything together counted once."""
    from ..diskuse import disk_report, format_size as size

    rep = disk_report(envs)  # measures each env with diskuse.env_sizes, as the app's Size columns do
    if as_json:
        data = [{**asdict(e), "own_bytes": None if s.error else s.own_bytes,
                 "shared_bytes": None if s.error else s.shared_bytes, "size_error": s.error} for e, s in rep.envs]
        json.dump({"envs": data, "envs_bytes": rep.envs_bytes, "envs_and_caches_bytes": rep.all_bytes}, sys.stdout,
                  indent=2)
        sys.stdout.write("\n")
        return 0

    rows = [("NAME", "OWN", "SHARED", "PREFIX")]
    rows += [(e.name, "could not measure", "-", f"{e.prefix}  ({s.error})") if s.error else
             (e.name, size(s.own_bytes), size(s.shared_bytes), e.prefix) for e, s in rep.envs]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}")
    print(f"all environments: {size(rep.envs_bytes)} on disk; with TorchDesk's caches: {size(rep.all_bytes)} "
          "(hardlinked files counted once; OWN is what removing an environment frees)")
    return 0
