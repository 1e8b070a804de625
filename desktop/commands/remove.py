"""`torchdesk remove NAME`: delete a conda environment, after confirmation or with --yes.

Only folders identifiable as conda environments (conda-meta/history exists) are ever removed.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("env", metavar="NAME", help="environment name, or its path")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..engine import EngineError, is_conda_env
    from ..engine.base import remove_env
    from ..errors import UsageError
    from ..safeio import shown_path
    from ..sanitize import escape_controls
    from ..usecases.inventory import find_environments

    try:
        found = [Path(e.prefix) for e in find_environments(args.env)]
        absent = not found and not Path(args.env).expanduser().exists()
    except OSError as exc:  # ENAMETOOLONG from a 100,000-character argument, or the like
        raise UsageError(f"no conda environment named {shown_path(args.env)} ({exc.strerror or exc}); "
                         "`torchdesk envs` lists them") from None
    if len(found) > 1:
        # never guess: the first registry match may be the user's own conda env, not the one they meant
        print(escape_controls(f"error: {len(found)} environments are named {args.env!r}; not removing either:"),
              file=sys.stderr)
        for p in found:
            print(escape_controls(f"  {p}"), file=sys.stderr)
        print("  remove the one you mean by its path: torchdesk remove PATH", file=sys.stderr)
        return 1
    prefix = found[0] if found else None
    if prefix is None:
        p = Path(args.env).expanduser()
        if not absent and not is_conda_env(p):
            print(f"error: {p} is not a conda environment (no conda-meta/history); not removing it", file=sys.stderr)
            return 1
        raise UsageError(f"no conda environment named {args.env!r}; `torchdesk envs` lists them")
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"refusing to remove {prefix} without confirmation; pass --yes", file=sys.stderr)
            return 1
        try:
            answer = input(f"Remove the environment {prefix}? [y/N] ").strip().lower()
        except EOFError:
            answer = ""
        if answer not in ("y", "yes"):
            print("nothing removed")
            return 1
    try:
        remove_env(prefix)  # under the prefix's lock: a job working on it refuses this, naming itself
    except (EngineError, OSError) as exc:
        print(f"error: could not remove {prefix}: {exc}", file=sys.stderr)
        return 1
    print(f"removed {prefix}")
    return 0
