"""`torchdesk import environment.yml`: read it (pip section and index options too), check it against this
machine, and unless --check-only, build it."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import UsageError
from ._common import load_matrix_for_cli
from .create import add_job_args, add_target_args, apply_sources, run_job


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="environment.yml")
    p.add_argument("--check-only", action="store_true", help="only say whether it runs on this machine")
    p.add_argument("--force", action="store_true", help="build it even if the check says it will not run here")
    add_target_args(p)
    add_job_args(p)


def run(args: argparse.Namespace) -> int:
    from ..detect import detect_host
    from ..envspec import EnvSpecError, check_spec, describe_sources, read_environment_yml_file, with_target

    if args.prefix is not None and not args.prefix.strip():
        raise UsageError("the prefix is empty: give a folder, e.g. -p ~/envs/torch-work")
    from ..exactlock import find_lock

    if (lock := find_lock(args.file)) is not None:  # a lock folder from `export --lock` (desktop/exactlock.py)
        from ._lock import run_import_lock

        return run_import_lock(args, lock)
    if os.path.isdir(args.file):
        from ..safeio import shown_path

        raise UsageError(f"{shown_path(args.file)} is a folder but not a lock folder (a lock folder holds "
                         "environment.yml, conda-<platform>.lock and pylock.toml)",
                         hint="give an environment.yml, or a folder written by `torchdesk export --lock`")
    try:
        spec = read_environment_yml_file(args.file, check_name=not (args.name or args.prefix))
        prefix = os.path.abspath(os.path.expanduser(args.prefix)) if args.prefix else None
        spec = with_target(spec, name=args.name, prefix=prefix)
    except OSError as exc:
        from ..safeio import shown_path

        why = exc.strerror or ("it is not a regular file (a pipe or device?)" if "regular file" in str(exc) else exc)
        raise UsageError(f"cannot read {shown_path(args.file)}: {why}") from None
    except EnvSpecError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    matrix = load_matrix_for_cli(args)
    host = detect_host(matrix=matrix)
    check = check_spec(spec, host, matrix)
    print(check.summary[:1].upper() + check.summary[1:] + ".")
    for c in check.checks:
        print(f"  {'ok ' if c.ok else 'NO '} {c.check}: {c.detail}")
    spec = apply_sources(spec, args)
    unattended = not args.yes and not sys.stdin.isatty()
    if args.check_only or unattended:
        print("It would use:")
        for line in describe_sources(spec):
            print(line)
    if args.check_only:
        return 1 if check.ok is False else 0
    if check.ok is False and not args.force:
        print("not building it; pass --force to build it anyway", file=sys.stderr)
        return 1
    if unattended:
        # Nobody can answer the confirmation: building from a file nobody agreed to is what --yes is for.
        print("not building it: standard input is not a terminal, so nobody can confirm the list above; "
              "pass --yes to build it without asking", file=sys.stderr)
        return 1
    return run_job(spec, args, host)
