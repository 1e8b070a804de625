"""`torchdesk repair NAME`: put an environment's drifted torch/torchvision/torchaudio/numpy back on its planned
builds (from the index it was built from), without rebuilding the rest; also rewrites a removed drift guard."""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("env", metavar="NAME", help="environment name, or its path")
    p.add_argument("--check", action="store_true", help="only say what drifted; change nothing")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..driftguard import check_drift
    from ..driftrepair import repair_env
    from ..locks import hold_finished_env
    from ..usecases.inventory import find_environment

    prefix = Path(find_environment(args.env, by_path="torchdesk repair PATH").prefix)
    # the whole command holds the env's lock, as create, remove and import do: a busy or unfinished env is refused
    # at once (a LockError, printed by cli.py), before anything is read or changed
    lock = hold_finished_env(prefix, "checking" if args.check else "repairing")
    try:
        report = check_drift(prefix)
        for d in report.drifts:
            print(f"drift: {d.message}")
        for n in report.notes:
            print(f"note: {n}")
        if args.check:
            return 0 if report.ok and report.guarded else 1
        res = repair_env(prefix, on_line=lambda line: print(f"    {line}", flush=True), lock=lock)
    finally:
        lock.release()
    if res.ok:
        print(res.message)
        return 0
    print(f"error: {res.message}", file=sys.stderr)
    if res.fix:
        print(f"  what to do: {res.fix}", file=sys.stderr)
    return 1
