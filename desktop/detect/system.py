"""The user's overrides (TORCHDESK_OVERRIDE_OS, _GPUS, _DRIVER: first, as conda's CONDA_OVERRIDE_CUDA is, and
last word on GPUs and driver), WSL, Apple's MPS, and the OS release, glibc, CPU, memory and free disk."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..model import GpuInfo, SourceNote
from .context import Context, complete_gpu
from .parse import MIB, parse_cpuinfo, parse_gpu_overrides, parse_meminfo, parse_os_release
from .probe import Probe


def _os_override(text: str) -> tuple[str, str | None] | None:
    t = text.strip().lower().replace("_", "-").replace("x86-64", "x86_64")
    os_name, _, machine = t.partition("-")
    os_name = {"darwin": "macos", "osx": "macos", "mac": "macos", "win": "windows", "win32": "windows"}.get(os_name,
                                                                                                          os_name)
    if os_name not in ("linux", "windows", "macos"):
        return None
    return os_name, (machine.replace("x86-64", "x86_64") or None)


def read_overrides(probe: Probe, ctx: Context) -> list[SourceNote]:
    """TORCHDESK_OVERRIDE_OS ("linux", "macos-arm64"), _GPUS ("RTX 4090:8.9;GTX 1080:6.1") and _DRIVER."""
    notes: list[SourceNote] = []
    env = ctx.env
    os_ov = env.get("TORCHDESK_OVERRIDE_OS")
    if os_ov:
        parsed_os = _os_override(os_ov)
        if parsed_os:
            ctx.system, ctx.machine = parsed_os[0], parsed_os[1] or ctx.machine
            notes.append(SourceNote("override", True, f"TORCHDESK_OVERRIDE_OS={os_ov}"))
        else:
            ctx.warnings.append(f"TORCHDESK_OVERRIDE_OS={os_ov!r} ignored: use linux, windows or macos[-machine]")
            notes.append(SourceNote("override", False, f"TORCHDESK_OVERRIDE_OS={os_ov!r} not understood"))

    driver_ov = env.get("TORCHDESK_OVERRIDE_DRIVER")
    gpus_ov = env.get("TORCHDESK_OVERRIDE_GPUS")
    if gpus_ov is not None:
        pg = parse_gpu_overrides(gpus_ov)
        if pg.value is not None:
            ctx.gpus_override = tuple(complete_gpu(GpuInfo(index=i, name=n, cc=cc), ctx.lookup)
                                      for i, (n, cc) in enumerate(pg.value))
            notes.append(SourceNote("override", True, f"TORCHDESK_OVERRIDE_GPUS: {len(ctx.gpus_override)} GPU(s)"))
        else:
            ctx.warnings.append(f"TORCHDESK_OVERRIDE_GPUS ignored: {pg.reason}")
            notes.append(SourceNote("override", False, f"TORCHDESK_OVERRIDE_GPUS: {pg.reason}"))
    if driver_ov is not None:
        if re.fullmatch(r"\d+(\.\d+)*", driver_ov.strip()):
            ctx.driver_override = driver_ov.strip()
            notes.append(SourceNote("override", True, f"TORCHDESK_OVERRIDE_DRIVER={ctx.driver_override}"))
        else:
            ctx.warnings.append(f"TORCHDESK_OVERRIDE_DRIVER={driver_ov!r} ignored: not a version like 580.65.06")
    return notes


def read_wsl(probe: Probe, ctx: Context) -> list[SourceNote]:
    """WSL: the GPU is the Windows host's, seen through /usr/lib/wsl/lib."""
    if ctx.system != "linux":
        return []
    proc_version = probe.read("/proc/version") or ""
    ctx.wsl = "microsoft" in proc_version.lower() or probe.exists("/usr/lib/wsl/lib")
    if ctx.wsl:
        return [SourceNote("wsl", True, "WSL: 'microsoft' in /proc/version or /usr/lib/wsl/lib present")]
    return []


def apply_overrides(probe: Probe, ctx: Context) -> list[SourceNote]:
    """The overridden GPUs and driver replace what the sources found (their notes were written first)."""
    if ctx.gpus_override is not None:
        ctx.gpus = ctx.gpus_override
    if ctx.driver_override is not None:
        ctx.driver = ctx.driver_override
    if ctx.driver and not [g for g in ctx.gpus if g.vendor == "nvidia"] and ctx.gpus_override is None:
        ctx.warnings.append(f"NVIDIA driver {ctx.driver} is installed but reports no GPU.")
    return []


def read_mps(probe: Probe, ctx: Context) -> list[SourceNote]:
    """Apple silicon: PyTorch's MPS back end."""
    if ctx.system == "macos" and ctx.machine in ("arm64", "aarch64"):
        return [SourceNote("MPS", True, "Apple silicon: PyTorch runs on the GPU through MPS")]
    return []


def _glibc(probe: Probe, system: str) -> str | None:
    if probe.glibc is not None or system != "linux":
        return probe.glibc
    if probe.root != Path("/"):
        return None
    try:
        v = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.39": no need to read the interpreter binary
    except (ValueError, OSError, AttributeError):
        return None
    return v.split()[-1] if v and v.startswith("glibc") else None


def read_system(probe: Probe, ctx: Context) -> list[SourceNote]:
    """OS release, glibc, CPU, RAM (/proc, else psutil) and the free space in the home folder."""
    import platform

    notes: list[SourceNote] = []
    if ctx.system == "linux":
        osr = parse_os_release(probe.read("/etc/os-release") or "").value or {}
        ctx.os_release = osr.get("PRETTY_NAME") or osr.get("NAME")
        ctx.cpu = parse_cpuinfo(probe.read("/proc/cpuinfo", limit=64 << 10) or "").value
        ctx.ram_mib = parse_meminfo(probe.read("/proc/meminfo", limit=8 << 10) or "").value
    elif probe.root == Path("/"):
        if ctx.system == "macos":
            ctx.os_release = f"macOS {platform.mac_ver()[0]}".strip()
        elif ctx.system == "windows":
            ctx.os_release = f"Windows {platform.release()} ({platform.version()})"
        ctx.cpu = platform.processor() or None
    if ctx.ram_mib is None and probe.root == Path("/"):
        try:
            ps = probe.psutil
            if ps is None:
                import psutil as ps
            ctx.ram_mib = int(ps.virtual_memory().total) // MIB
        except Exception as exc:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
            notes.append(SourceNote("psutil", False, f"RAM unknown: {exc}"))
    try:
        import shutil

        ctx.disk_free_mib = shutil.disk_usage(probe.home if probe.home and probe.home.exists()
                                              else probe.root).free // MIB
    except OSError:
        pass
    ctx.glibc = _glibc(probe, ctx.system)
    return notes
