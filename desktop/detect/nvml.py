"""NVIDIA's management library through pynvml, in a worker thread under a timeout (a wedged driver cannot hang
the caller). pynvml is imported only when a file shows an NVIDIA driver may be there."""

from __future__ import annotations

import sys
from typing import Any

from ..model import GpuInfo, SourceNote
from .context import Context, Lookup, complete_gpu
from .parse import MIB, NvidiaReading
from .probe import Probe, call_with_timeout


def nvml_error_name(nv: Any, exc: BaseException) -> str:
    """A sentence for an NVML error (the module's NVMLError_* class), else the exception's own text."""
    for cls, text in (("NVMLError_LibraryNotFound", "library not found (libnvidia-ml)"),
                      ("NVMLError_DriverNotLoaded", "NVIDIA driver not loaded"),
                      ("NVMLError_NoPermission", "no permission to talk to the driver"),
                      ("NVMLError_LibRmVersionMismatch", "library/driver version mismatch: reboot after a driver update")):
        c = getattr(nv, cls, None)
        if isinstance(c, type) and isinstance(exc, c):
            return text
    return f"{type(exc).__name__}: {exc}"


def read_nvml(nv: Any, lookup: Lookup | None = None) -> tuple[NvidiaReading, list[str]]:
    """Query NVML (a pynvml-like module). Raises the module's NVMLError when NVML itself cannot start."""
    lookup = lookup or Lookup(None)
    warnings: list[str] = []
    err = getattr(nv, "NVMLError", Exception)

    def get(fn: str, *args: Any) -> Any:
        f = getattr(nv, fn, None)
        if f is None:
            return None
        try:
            return f(*args)
        except err:
            return None

    def text(v: Any) -> str | None:
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        return str(v) if v is not None else None

    nv.nvmlInit()
    try:
        driver = text(get("nvmlSystemGetDriverVersion"))
        cuda_int = get("nvmlSystemGetCudaDriverVersion_v2")
        if not isinstance(cuda_int, int):
            cuda_int = get("nvmlSystemGetCudaDriverVersion")
        cuda = f"{cuda_int // 1000}.{(cuda_int % 1000) // 10}" if isinstance(cuda_int, int) and cuda_int > 0 else None
        count = nv.nvmlDeviceGetCount()
        gpus: list[GpuInfo] = []
        for i in range(int(count)):
            try:
                h = nv.nvmlDeviceGetHandleByIndex(i)
            except err as exc:
                warnings.append(f"NVML: GPU {i} cannot be opened ({nvml_error_name(nv, exc)})")
                continue
            name = text(get("nvmlDeviceGetName", h)) or f"NVIDIA GPU {i}"
            ccv = get("nvmlDeviceGetCudaComputeCapability", h)
            cc = f"{int(ccv[0])}.{int(ccv[1])}" if isinstance(ccv, (tuple, list)) and len(ccv) == 2 else None
            nvml_arch = get("nvmlDeviceGetArchitecture", h)
            mem = get("nvmlDeviceGetMemoryInfo", h)
            total = getattr(mem, "total", None)
            pci = text(getattr(get("nvmlDeviceGetPciInfo", h), "busId", None))
            mig_mode = get("nvmlDeviceGetMigMode", h)
            mig = bool(mig_mode[0]) if isinstance(mig_mode, (tuple, list)) and mig_mode else None
            g = GpuInfo(index=i, name=name, vendor="nvidia", cc=cc,
                        arch=lookup.arch(cc, nvml_arch if isinstance(nvml_arch, int) else None),
                        memory_mib=int(total) // MIB if isinstance(total, int) else None, pci=pci, mig=mig)
            gpus.append(complete_gpu(g, lookup))
    finally:
        try:
            nv.nvmlShutdown()
        except Exception:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
            pass
    return NvidiaReading(driver=driver, cuda_driver=cuda, gpus=tuple(gpus)), warnings


def _nvidia_driver_hint(probe: Probe, system: str) -> str | None:
    """A file that shows an NVIDIA driver may be there; None: NVML cannot work, skip importing it."""
    if system != "linux":
        return "not Linux"
    for p in ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg",
              "/usr/lib/wsl/lib/libnvidia-ml.so.1"):
        if probe.exists(p):
            return p
    return None


def read_nvml_source(probe: Probe, ctx: Context) -> list[SourceNote]:
    """The NVML source: driver, CUDA driver version and GPUs, unless overrides or the OS rule it out."""
    if ctx.gpus_override is not None and ctx.driver_override is not None:
        return [SourceNote("NVML", False, "skipped: GPUs and driver are overridden")]
    if ctx.system == "macos":
        return [SourceNote("NVML", False, "skipped: no NVIDIA driver on macOS")]
    hint = _nvidia_driver_hint(probe, ctx.system)
    if hint is None and probe.pynvml is None:
        return [SourceNote("NVML", False, "skipped: no NVIDIA kernel driver (/proc/driver/nvidia, "
                                          "/dev/nvidiactl and /dev/dxg absent)")]
    timeout = ctx.timeout
    try:
        def nvml_job() -> tuple[NvidiaReading, list[str]]:
            nv = probe.pynvml
            if nv is None:
                import pynvml as nv  # type: ignore[no-redef]  # the real module, where tests gave none
            return read_nvml(nv, ctx.lookup)

        reading, nvml_warn = call_with_timeout(nvml_job, timeout)
    except TimeoutError:
        ctx.warnings.append(f"The NVIDIA driver did not answer within {timeout:g} s; it may be hung.")
        return [SourceNote("NVML", False, f"no answer in {timeout:g} s (driver wedged?)")]
    except ImportError as exc:
        return [SourceNote("NVML", False, f"pynvml not importable: {exc}")]
    except Exception as exc:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
        nv_mod = probe.pynvml or sys.modules.get("pynvml")
        return [SourceNote("NVML", False, nvml_error_name(nv_mod, exc))]
    ctx.warnings += nvml_warn
    ctx.driver, ctx.cuda_driver, ctx.gpus, ctx.have_gpus = reading.driver, reading.cuda_driver, reading.gpus, True
    return [SourceNote("NVML", True, f"driver {ctx.driver}, CUDA {ctx.cuda_driver}, {len(ctx.gpus)} GPU(s)")]
