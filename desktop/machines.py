"""Describe a machine from plain parameters (GPU models, compute capabilities, driver, OS, CPU): the Host that
`torchdesk recommend --gpu ...` and the app's "Plan for another machine" both resolve for. No argparse, no Qt.
"""

from __future__ import annotations

import platform as _platform
import re
from typing import Any, Sequence

from .errors import UsageError
from .model import GpuInfo, Host


def this_os() -> str:
    """This machine's OS as the data spells it: linux, windows or macos."""
    s = _platform.system().lower()
    return {"darwin": "macos", "windows": "windows"}.get(s, "linux")


def this_machine() -> str:
    """This machine's CPU architecture as the data spells it: x86_64, aarch64 (Linux) or arm64 (macOS)."""
    m = _platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "arm64" if this_os() == "macos" else "aarch64"}.get(m, m or "x86_64")


def describe_machine(matrix: Any, *, gpus: Sequence[str] = (), ccs: Sequence[str] = (), no_gpu: bool = False,
                     driver: str | None = None, os_name: str | None = None, machine: str | None = None) -> Host:
    """The hypothetical Host these parameters describe. Unknown GPU names and bad versions raise UsageError."""
    # Keyword-only parameters, each defaulting to "not given": a new way to name a GPU is one more keyword.
    from .resolve import PreferenceError, validate_driver

    os_name = os_name or this_os()
    if not machine:
        # describing another OS: its usual CPU
        machine = this_machine() if os_name == this_os() else ("arm64" if os_name == "macos" else "x86_64")
    found: list[GpuInfo] = []
    if not no_gpu:
        for name in gpus:
            model = matrix.find_gpu(name)
            if model is None:
                close = matrix.suggest_gpus(name)
                hint = f"; did you mean: {', '.join(close)}?" if close else "; `torchdesk matrix --gpus` lists known models"
                raise UsageError(f"unknown GPU {name!r}{hint} (or describe it with --cc X.Y)")
            arch = matrix.arch_for_cc(model.cc)
            found.append(GpuInfo(len(found), model.name, "nvidia", model.cc, arch.name if arch else None,
                                 model.memory_mib))
        for cc in ccs:
            if not re.match(r"^\d{1,2}\.\d$", cc):
                raise UsageError(f"--cc must look like 8.6 (got {cc!r})")
            arch = matrix.arch_for_cc(cc)
            found.append(GpuInfo(len(found), f"GPU with compute capability {cc}", "nvidia", cc,
                                 arch.name if arch else None))
    elif gpus or ccs:
        raise UsageError("--no-gpu cannot be combined with --gpu or --cc")
    valid_driver = None
    if driver:
        try:
            valid_driver = validate_driver(driver)
        except PreferenceError as exc:
            raise UsageError(str(exc)) from None
    return Host(os=os_name, machine=machine, gpus=tuple(found), driver=valid_driver, hypothetical=True)
