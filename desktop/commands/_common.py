"""Arguments and helpers shared by the commands that resolve a plan (recommend, export, create)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..model import Host, Preferences

if TYPE_CHECKING:  # importing the matrix module costs start-up time; commands import it in run()
    from ..matrix import Matrix

HYPOTHETICAL_FLAGS = ("gpu", "cc", "gfx", "no_gpu", "driver", "os", "machine")


def add_pin_args(p: argparse.ArgumentParser) -> None:
    """--python / --torch / --variant: narrow the search."""
    g = p.add_argument_group("pins")
    g.add_argument("--python", metavar="X.Y", help="Python version to use, e.g. 3.11")
    g.add_argument("--torch", metavar="X.Y[.Z]", help="PyTorch release or prefix, e.g. 2.5 or 2.5.1")
    g.add_argument("--variant", metavar="V", help="build: cu126, cu128, cpu, rocm6.2 ...")


def add_machine_args(p: argparse.ArgumentParser) -> None:
    """Describe another machine instead of detecting this one."""
    g = p.add_argument_group("plan for another machine (any of these skips detection)")
    g.add_argument("--gpu", action="append", metavar="NAME",
                   help="GPU model, NVIDIA or AMD, e.g. 'RTX 4090' or 'Radeon RX 7900 XTX' (repeatable)")
    g.add_argument("--cc", action="append", metavar="X.Y", help="an NVIDIA GPU by compute capability, e.g. 8.6 (repeatable)")
    g.add_argument("--gfx", action="append", metavar="gfxNNNN", help="an AMD GPU by gfx target, e.g. gfx1100 (repeatable)")
    g.add_argument("--no-gpu", action="store_true", help="a machine without a GPU")
    g.add_argument("--driver", metavar="VERSION", help="NVIDIA driver version, e.g. 570.86.10")
    g.add_argument("--os", choices=("linux", "windows", "macos"), help="operating system (default: this one)")
    g.add_argument("--machine", choices=("x86_64", "aarch64", "arm64"), help="CPU architecture (default: this one)")


def load_matrix_for_cli(args: argparse.Namespace) -> Matrix:
    """The matrix: --matrix-file if given (errors are fatal there), else the app's default (warnings to stderr)."""
    import sys

    from ..matrix import default_loaded, load_matrix
    from ..schema import MatrixError

    path = getattr(args, "matrix_file", None)
    try:
        if path:
            return load_matrix(path)
        loaded = default_loaded()
    except MatrixError as exc:
        raise UsageError(str(exc)) from None
    for w in loaded.warnings:
        print(f"torchdesk: warning: {w}. Remove that file, or fetch signed data with the app's Tools > Check for "
              "data updates.", file=sys.stderr)
    return loaded.matrix


def prefs_from_args(args: argparse.Namespace) -> Preferences:
    from ..resolve import PreferenceError, validate_preferences

    prefs = Preferences(python=args.python, torch=args.torch, variant=args.variant)
    try:
        validate_preferences(prefs)
    except PreferenceError as exc:
        raise UsageError(str(exc)) from None
    return prefs


def is_hypothetical(args: argparse.Namespace) -> bool:
    return any(getattr(args, f, None) for f in HYPOTHETICAL_FLAGS)


def machine_params(args: argparse.Namespace) -> dict[str, Any]:
    """The what-if flags as the plain parameters of machines.describe_machine (the app's Plan for another machine
    passes the same ones from its form)."""
    return {"gpus": args.gpu or (), "ccs": args.cc or (), "gfxs": getattr(args, "gfx", None) or (),
            "no_gpu": args.no_gpu, "driver": args.driver, "os_name": args.os, "machine": args.machine}


def hypothetical_host(args: argparse.Namespace, matrix: Matrix) -> Host:
    """Build the Host the flags describe (desktop.machines.describe_machine, which the app calls too)."""
    from ..machines import describe_machine

    return describe_machine(matrix, **machine_params(args))


def host_from_args(args: argparse.Namespace, matrix: Matrix) -> Host:
    """The described machine if any what-if flag is given, else this machine as detected."""
    if is_hypothetical(args):
        return hypothetical_host(args, matrix)
    from ..detect import detect_host

    return detect_host(matrix=matrix)
