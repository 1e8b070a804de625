"""Describe a machine from plain parameters (GPU models, compute capabilities, driver, OS, CPU): the Host that
`torchdesk recommend --gpu ...` and the app's "Plan for another machine" both resolve for. No argparse, no Qt.
"""

from __future__ import annotations

import platform as _platform
import re
from typing import Any, Sequence

from .errors import UsageError
from .model import GpuInfo, Host

GFX_RX = re.compile(r"^gfx[0-9a-f]{3,4}$")


def this_os() -> str:
    """This machine's OS as the data spells it: linux, windows or macos."""
    s = _platform.system().lower()
    return {"darwin": "macos", "windows": "windows"}.get(s, "linux")


def this_machine() -> str:
    """This machine's CPU architecture as the data spells it: x86_64, aarch64 (Linux) or arm64 (macOS)."""
    m = _platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "arm64" if this_os() == "macos" else "aarch64"}.get(m, m or "x86_64")


def describe_machine(matrix: Any, *, gpus: Sequence[str] = (), ccs: Sequence[str] = (), gfxs: Sequence[str] = (),
                     no_gpu: bool = False, driver: str | None = None, os_name: str | None = None,
                     machine: str | None = None) -> Host:
    """The hypothetical Host these parameters describe: GPU model names (NVIDIA or AMD), NVIDIA compute
    capabilities, AMD gfx targets. Unknown GPU names and bad versions raise UsageError."""
    # Keyword-only parameters, each defaulting to "not given": a new way to name a GPU is one more keyword.
    # Order as the CLI had it: named models, then gfx targets, then compute capabilities.
    from .resolve import PreferenceError, validate_driver

    os_name = os_name or this_os()
    if not machine:
        # describing another OS: its usual CPU
        machine = this_machine() if os_name == this_os() else ("arm64" if os_name == "macos" else "x86_64")
    found: list[GpuInfo] = []
    if not no_gpu:
        for name in gpus:
            model = matrix.find_gpu(name)
            amd = matrix.find_amd_gpu(name) if model is None else None
            if amd is not None:
                found.append(GpuInfo(len(found), amd.name, "amd", arch=amd.arch, gfx=amd.gfx))
                continue
            if model is None:
                close = matrix.suggest_amd_gpus(name) + matrix.suggest_gpus(name)
                hint = (f"; did you mean: {', '.join(close[:5])}?" if close
                        else "; `torchdesk matrix --table gpus` lists known models")
                raise UsageError(f"unknown GPU {name!r}{hint} (or describe it with --cc X.Y, or --gfx gfxNNNN for AMD)")
            arch = matrix.arch_for_cc(model.cc)
            found.append(GpuInfo(len(found), model.name, "nvidia", model.cc, arch.name if arch else None,
                                 model.memory_mib))
        for gfx in gfxs:
            gfx = gfx.strip().lower()
            if not GFX_RX.match(gfx):
                raise UsageError(f"--gfx must look like gfx1100 or gfx90a (got {gfx!r})")
            known = matrix.amd_models_for_gfx(gfx)
            label = f"AMD GPU {gfx}" + (f" (e.g. {known[0].name})" if known else "")
            found.append(GpuInfo(len(found), label, "amd", arch=known[0].arch if known else None, gfx=gfx))
        for cc in ccs:
            if not re.match(r"^\d{1,2}\.\d$", cc):
                raise UsageError(f"--cc must look like 8.6 (got {cc!r})")
            arch = matrix.arch_for_cc(cc)
            found.append(GpuInfo(len(found), f"GPU with compute capability {cc}", "nvidia", cc,
                                 arch.name if arch else None))
    elif gpus or ccs or gfxs:
        raise UsageError("--no-gpu cannot be combined with --gpu, --cc or --gfx")
    valid_driver = None
    if driver:
        try:
            valid_driver = validate_driver(driver)
        except PreferenceError as exc:
            raise UsageError(str(exc)) from None
    return Host(os=os_name, machine=machine, gpus=tuple(found), driver=valid_driver, hypothetical=True)
