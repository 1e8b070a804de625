"""`torchdesk export`: environment.yml (or shell commands) for the recommended (or pinned) build."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError
from ._common import add_machine_args, add_pin_args, host_from_args, load_matrix_for_cli, prefs_from_args
from .create import add_extra_args, add_target_args, spec_for_args


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    p.add_argument("--shell", action="store_true", help="print the same plan as shell commands instead")
    p.add_argument("--lock", metavar="ENV", help="write an exact lock of this existing environment into -o FOLDER")
    add_target_args(p)
    add_pin_args(p)
    add_extra_args(p)
    add_machine_args(p)


def run(args: argparse.Namespace) -> int:
    from ..resolve import resolve
    from ..usecases.recipe import CREDENTIALS_LEFT_OUT, install_recipe

    if args.lock:  # the exact files of an existing env (desktop/locks.py)
        from ._lock import run_export_lock

        return run_export_lock(args)
    matrix = load_matrix_for_cli(args)
    host = host_from_args(args, matrix)
    res = resolve(matrix, host, prefs_from_args(args))
    if res.plan is None:
        print(res.summary or "no PyTorch build matches", file=sys.stderr)
        return 1
    # A file or a command line gets shared: a token stays with the user (pip asks, or reads ~/.netrc).
    recipe = install_recipe(spec_for_args(args, res.plan))
    if recipe.credentials_left_out:
        print(f"note: {CREDENTIALS_LEFT_OUT}", file=sys.stderr)
    spec = recipe.spec
    text = recipe.shell_text() if args.shell else recipe.environment_yml()
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
        print(f"wrote {args.output}: torch {spec.torch} ({spec.variant}) for Python {spec.python}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
