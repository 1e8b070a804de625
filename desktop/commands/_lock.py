"""The lock halves of `torchdesk export --lock ENV` and `torchdesk import LOCK-FOLDER` (desktop/exactlock.py)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def run_export_lock(args: argparse.Namespace) -> int:
    """Write the lock of an existing env into -o FOLDER (default ./<env>-lock)."""
    from ..engine import find_env
    from ..errors import UsageError
    from ..exactlock import LockError, export_lock

    prefix = find_env(args.lock)
    if prefix is None:
        raise UsageError(f"no conda environment named {args.lock!r}; `torchdesk envs` lists them")
    out = Path(args.output or f"{prefix.name}-lock")
    try:
        files = export_lock(prefix, out, on_line=lambda line: print(f"    {line}", file=sys.stderr, flush=True))
    except LockError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for f in files:
        print(f"wrote {f}")
    print(f"rebuild it with: torchdesk import {out}")
    return 0


def run_import_lock(args: argparse.Namespace, folder: Path) -> int:
    """Rebuild an env from a lock folder: the same files, offline when the caches hold them."""
    from ..exactlock import LockError, rebuild_from_lock

    prefix = os.path.abspath(os.path.expanduser(args.prefix)) if args.prefix else None
    try:
        target = rebuild_from_lock(folder, name=args.name, prefix=prefix,
                                   on_line=lambda line: print(f"    {line}", flush=True))
    except LockError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Rebuilt {target} from the lock in {folder}")
    return 0
