"""The lock halves of `torchdesk export --lock ENV` and `torchdesk import LOCK-FOLDER` (desktop/exactlock.py)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def run_export_lock(args: argparse.Namespace) -> int:
    """Write the lock of an existing env into -o FOLDER (default ./<env>-lock)."""
    from ..exactlock import LockError
    from ..lockexport import export_lock
    from ..usecases.inventory import find_environment

    # export_lock takes the env's lock itself and refuses a busy or unfinished env in the lock's own words
    prefix = Path(find_environment(args.lock, by_path="torchdesk export --lock PATH").prefix)
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
    """Rebuild an env from a lock folder: show every URL it installs, refuse hosts its environment.yml does not
    name, confirm (--yes when nobody can answer), then build under the prefix's lock; a signal cancels and cleans."""
    import threading
    from typing import Any

    from ..errors import UsageError
    from ..exactlock import LockError, describe_lock, foreign_urls, load_lock
    from ..lockinstall import rebuild_from_lock
    from ..procs import CancelToken
    from .create import _confirm, _say, cancel_on_signals

    from ..engine import DEFAULT_ENGINE, LOCK_REBUILD, engine_info, engines_with

    if not engine_info(getattr(args, "engine", DEFAULT_ENGINE)).can(LOCK_REBUILD):
        raise UsageError(f"a lock is rebuilt file by file by the {' or '.join(engines_with(LOCK_REBUILD))} engine; "
                         f"--engine {args.engine} cannot "
                         "rebuild it (drop --engine, or import the lock's environment.yml to solve it afresh)")
    prefix = os.path.abspath(os.path.expanduser(args.prefix)) if args.prefix else None
    try:
        plan = load_lock(folder, name=args.name, prefix=prefix)
    except LockError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"The lock in {folder} would install:")
    for line in describe_lock(plan):
        print(line)
    foreign = foreign_urls(plan)
    if foreign:
        # Refused, not just shown: a lock is a file someone handed over, and its environment.yml is the only
        # statement of where its packages should come from. A URL elsewhere is an injection or a broken lock.
        print(f"error: {len(foreign)} URL(s) of this lock are on hosts its environment.yml does not name "
              "(its channels and indexes):", file=sys.stderr)
        for u in foreign[:20]:
            print(f"  {u}", file=sys.stderr)
        print("not using this lock; rebuild it with `torchdesk export --lock` from the intended sources",
              file=sys.stderr)
        return 1
    if plan.target.exists() and not args.replace:
        print(f"note: {plan.target} already exists; importing into it needs --replace")
    if args.check_only:
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            print("not building it: standard input is not a terminal, so nobody can confirm the list above; "
                  "pass --yes to build it without asking", file=sys.stderr)
            return 1
        if not _confirm("Create it?"):
            print("nothing done")
            return 1
    token = CancelToken()
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["target"] = rebuild_from_lock(plan, on_line=lambda line: _say(f"    {line}"), cancel=token,
                                              replace=args.replace)
        except BaseException as exc:  # reported on the main thread
            box["error"] = exc
        finally:
            done.set()

    with cancel_on_signals(token) as caught:
        t = threading.Thread(target=work, name="torchdesk-import-lock", daemon=True)
        t.start()
        while not done.wait(0.5):  # an Event, never Thread.join(timeout) (see create.run_job)
            pass
        t.join()
    err = box.get("error")
    if caught and "target" not in box:
        _say(f"cancelled by {caught[0].name}; what the job created was removed", err=True)
        return 128 + int(caught[0])
    if isinstance(err, LockError):
        print(f"error: {err}", file=sys.stderr)
        return 1
    if isinstance(err, Exception):  # the engine's or the OS's own error: one line, the job already cleaned up
        print(f"error: the rebuild failed ({type(err).__name__}: {str(err)[:500]}); what it created was removed",
              file=sys.stderr)
        return 1
    if err is not None:
        raise err
    print(f"Rebuilt {box['target']} from the lock in {folder}")
    return 0
