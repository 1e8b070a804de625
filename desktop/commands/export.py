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
    add_target_args(p)
    add_pin_args(p)
    add_extra_args(p)
    add_machine_args(p)


def run(args: argparse.Namespace) -> int:
    from ..envspec import shell_commands, spec_has_credentials, without_credentials, write_environment_yml
    from ..resolve import resolve

    matrix = load_matrix_for_cli(args)
    host = host_from_args(args, matrix)
    res = resolve(matrix, host, prefs_from_args(args))
    if res.plan is None:
        print(res.summary or "no PyTorch build matches", file=sys.stderr)
        return 1
    spec = spec_for_args(args, res.plan)
    if spec_has_credentials(spec):
        # A file or a command line gets shared: the token stays with the user (pip asks, or reads ~/.netrc).
        spec = without_credentials(spec)
        print("note: the user name and password (or token) in the index URL were left out of the export; "
              "pip will ask for them, or read them from ~/.netrc or a keyring", file=sys.stderr)
    text = "\n".join(shell_commands(spec)) + "\n" if args.shell else write_environment_yml(spec)
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
