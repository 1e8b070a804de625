"""Arguments and helpers shared by the commands that resolve a plan (recommend, export, create)."""

from __future__ import annotations

import argparse
import platform as _platform
import re

from ..cli import UsageError
from ..model import GpuInfo, Host, Preferences

HYPOTHETICAL_FLAGS = ("gpu", "cc", "gfx", "no_gpu", "driver", "os", "machine")
_GFX_RX = re.compile(r"^gfx[0-9a-f]{3,4}$")


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


def load_matrix_for_cli(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The matrix: --matrix-file if given (errors are fatal there), else the app's default (warnings to stderr)."""
    import sys

    from ..matrix import MatrixError, default_loaded, load_matrix

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


def _this_os() -> str:
    s = _platform.system().lower()
    return {"darwin": "macos", "windows": "windows"}.get(s, "linux")


def _this_machine() -> str:
    m = _platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "arm64" if _this_os() == "macos" else "aarch64"}.get(m, m or "x86_64")


def hypothetical_host(args: argparse.Namespace, matrix) -> Host:  # type: ignore[no-untyped-def]
    """Build the Host the flags describe. Unknown GPU names and bad versions raise UsageError."""
    from ..resolve import PreferenceError, validate_driver

    os_name = args.os or _this_os()
    if args.machine:
        machine = args.machine
    elif os_name == _this_os():
        machine = _this_machine()
    else:  # describing another OS: its usual CPU
        machine = "arm64" if os_name == "macos" else "x86_64"
    gpus: list[GpuInfo] = []
    if not args.no_gpu:
        for name in args.gpu or ():
            model = matrix.find_gpu(name)
            amd = matrix.find_amd_gpu(name) if model is None else None
            if amd is not None:
                gpus.append(GpuInfo(len(gpus), amd.name, "amd", arch=amd.arch, gfx=amd.gfx))
                continue
            if model is None:
                close = matrix.suggest_amd_gpus(name) + matrix.suggest_gpus(name)
                hint = f"; did you mean: {', '.join(close[:5])}?" if close else "; `torchdesk matrix --table gpus` lists known models"
                raise UsageError(f"unknown GPU {name!r}{hint} (or describe it with --cc X.Y, or --gfx gfxNNNN for AMD)")
            arch = matrix.arch_for_cc(model.cc)
            gpus.append(GpuInfo(len(gpus), model.name, "nvidia", model.cc, arch.name if arch else None, model.memory_mib))
        for gfx in getattr(args, "gfx", None) or ():
            gfx = gfx.strip().lower()
            if not _GFX_RX.match(gfx):
                raise UsageError(f"--gfx must look like gfx1100 or gfx90a (got {gfx!r})")
            known = matrix.amd_models_for_gfx(gfx)
            label = f"AMD GPU {gfx}" + (f" (e.g. {known[0].name})" if known else "")
            gpus.append(GpuInfo(len(gpus), label, "amd", arch=known[0].arch if known else None, gfx=gfx))
        for cc in args.cc or ():
            if not re.match(r"^\d{1,2}\.\d$", cc):
                raise UsageError(f"--cc must look like 8.6 (got {cc!r})")
            arch = matrix.arch_for_cc(cc)
            label = f"GPU with compute capability {cc}"
            gpus.append(GpuInfo(len(gpus), label, "nvidia", cc, arch.name if arch else None))
    elif args.gpu or args.cc or getattr(args, "gfx", None):
        raise UsageError("--no-gpu cannot be combined with --gpu, --cc or --gfx")
    driver = None
    if args.driver:
        try:
            driver = validate_driver(args.driver)
        except PreferenceError as exc:
            raise UsageError(str(exc)) from None
    return Host(os=os_name, machine=machine, gpus=tuple(gpus), driver=driver, hypothetical=True)


def host_from_args(args: argparse.Namespace, matrix) -> Host:  # type: ignore[no-untyped-def]
    """The described machine if any what-if flag is given, else this machine as detected."""
    if is_hypothetical(args):
        return hypothetical_host(args, matrix)
    from ..detect import detect_host

    return detect_host(matrix=matrix)
