"""`torchdesk <command>`: the command line over the same core the app uses. Never imports Qt.

Each command lives in `desktop/commands/<name>.py` with `add_arguments(parser)` and `run(args) -> int`.
Those modules keep heavy imports inside `run`, so building the parser stays cheap.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from . import __version__
from .errors import TorchDeskError, UsageError, render_error

# (command, module under desktop.commands, one-line help). Order is the order of `torchdesk --help`.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("detect", "detect", "show what this machine is: GPUs, driver, OS, conda"),
    ("recommend", "recommend", "pick the PyTorch / CUDA build / Python that run on this (or a described) machine"),
    ("matrix", "matrix", "print the compatibility tables (CUDA, drivers, PyTorch builds)"),
    ("create", "create", "create a conda environment for the recommended (or pinned) build"),
    ("export", "export", "write environment.yml for the recommended (or pinned) build"),
    ("import", "import_", "read an environment.yml and check it against this machine"),
    ("envs", "envs", "list conda environments and the torch build in each"),
    ("remove", "remove", "remove a conda environment"),
    ("verify", "verify", "run the CUDA smoke test in an environment"),
    ("doctor", "doctor", "verify every environment that has torch in it"),
    ("fleet", "fleet", "plan, build and verify one environment across a Slurm cluster's GPU node classes"),
    ("cache", "cache", "show the package caches and clean what no environment links to"),
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with `only`, import just that command's module (the others get bare subparsers)."""
    parser = argparse.ArgumentParser(
        prog="torchdesk",
        description="Match GPU, driver, CUDA, PyTorch and Python; build the conda environment; prove it works.",
    )
    parser.add_argument("--version", action="version", version=f"torchdesk {__version__}")
    parser.add_argument("--matrix-file", metavar="PATH", help="use this matrix.json instead of the bundled one")
    parser.add_argument("--self-test", action="store_true", help="run the app's start-up check (prints one JSON line)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module, help_text in COMMANDS:
        if only is not None and name != only:
            sub.add_parser(name, help=help_text, add_help=False)
            continue
        mod = importlib.import_module(f"desktop.commands.{module}")
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    names = {c[0] for c in COMMANDS}
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--matrix-file":
            skip = True
            continue
        if a.startswith("-"):
            continue
        return a if a in names else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--self-test"]:  # the app's start-up check, from a pip install too (installer/README.md)
        from .__main__ import main as app_main

        return app_main(argv)
    # Import only the module of the command being run: `torchdesk recommend` must start fast.
    parser = build_parser(only=_command_in(argv))
    args = parser.parse_args(argv)
    from .sanitize import tolerate_unencodable_output

    tolerate_unencodable_output()  # an undecodable env folder name must not crash `envs` or `remove` mid-way
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0
    try:
        code = int(args._run(args))
    except UsageError as exc:
        print(f"torchdesk {args.command}: {render_error(exc)}", file=sys.stderr)
        return 2
    except TorchDeskError as exc:  # a failure with a sentence for the user: no traceback
        print(f"torchdesk {args.command}: {render_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `torchdesk ... | head`: the reader went away; leave quietly, as Unix tools do.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
