"""What machine is this: the detection sources in the order they run, assembled into a `Host`.

`SOURCES` is the order (each one tried leaves `SourceNote`s in `Host.sources`):

1. overrides: TORCHDESK_OVERRIDE_DRIVER, TORCHDESK_OVERRIDE_GPUS, TORCHDESK_OVERRIDE_OS - first, as conda's
   CONDA_OVERRIDE_CUDA is (system.py); then WSL;
2. NVML through pynvml, in a worker thread under a timeout (nvml.py);
3. `nvidia-smi --query-gpu` CSV, when NVML did not answer (smi.py);
4. /proc/driver/nvidia/version and /sys/module/nvidia/version, when no driver is known yet (smi.py);
5. a PCI scan (Linux sysfs, Windows WMI, macOS system_profiler): a GPU present but without a working driver
   (pci.py); then the overridden GPUs and driver replace what was found;
6. ROCm and AMD gfx targets (pci.py), Apple's MPS, the OS, CPU, memory and disk (system.py), conda (conda.py).

A source that raises becomes a failed note under its name; the others still run. Nothing is probed, and neither
pynvml nor psutil is imported, until `detect_host` is called.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..model import CondaEnv, CondaInstall, GpuInfo, Host, SourceNote
from .conda import read_conda_source
from .context import Context, Lookup, Source
from .nvml import read_nvml_source
from .pci import read_pci_source, read_rocm_source
from .probe import Probe, system_name
from .smi import read_driver_files_source, read_smi_source
from .system import apply_overrides, read_mps, read_overrides, read_system, read_wsl

SOURCES: tuple[Source, ...] = (
    Source("override", read_overrides),
    Source("wsl", read_wsl),
    Source("NVML", read_nvml_source),
    Source("nvidia-smi", read_smi_source),
    Source("driver files", read_driver_files_source),
    Source("PCI", read_pci_source),
    Source("override", apply_overrides),
    Source("ROCm", read_rocm_source),
    Source("MPS", read_mps),
    Source("system", read_system),
    Source("conda", read_conda_source),
)


def detect_host(*, timeout: float = 5.0, env: Mapping[str, str] | None = None, matrix: Any = None,
                probe: Probe | None = None) -> Host:
    """Detect this machine (or the one `probe` replays). Never raises; every source tried is in `Host.sources`."""
    return detect_from(SOURCES, timeout=timeout, env=env, matrix=matrix, probe=probe)


def detect_from(sources: Sequence[Source], *, timeout: float = 5.0, env: Mapping[str, str] | None = None,
                matrix: Any = None, probe: Probe | None = None) -> Host:
    """`detect_host` over the given sources, in their order. Never raises."""
    try:
        return _assemble(sources, timeout, dict(os.environ if env is None else env), matrix, probe or Probe())
    except Exception as exc:  # noqa: BLE001 - a bug here must not take the app down
        return Host(sources=(SourceNote("detect", False, f"detection failed: {type(exc).__name__}: {exc}"),),
                    warnings=(f"Machine detection failed ({exc}); results may be incomplete.",))


def _assemble(sources: Sequence[Source], timeout: float, env: dict[str, str], matrix: Any, probe: Probe) -> Host:
    import platform

    if probe.home is None:
        h = env.get("HOME") or env.get("USERPROFILE")
        probe.home = Path(h) if h else None
    ctx = Context(timeout=timeout, env=env, lookup=Lookup(matrix), system=probe.system or system_name(),
                  machine=probe.machine or platform.machine() or "x86_64")
    notes: list[SourceNote] = []
    for source in sources:
        try:
            notes += source.read(probe, ctx)
        except Exception as exc:  # noqa: BLE001 - one broken source is a note; the others still run
            notes.append(SourceNote(source.name, False, f"failed: {type(exc).__name__}: {exc}"))
            ctx.warnings.append(f"Detection source {source.name} failed ({exc}); results may be incomplete.")
    if ctx.lookup.warning:
        ctx.warnings.append(ctx.lookup.warning)
    return Host(os=ctx.system, machine=ctx.machine, gpus=ctx.gpus, driver=ctx.driver, cuda_driver=ctx.cuda_driver,
                hypothetical=False, os_release=ctx.os_release, glibc=ctx.glibc, wsl=ctx.wsl, rocm=ctx.rocm,
                cpu=ctx.cpu, ram_mib=ctx.ram_mib, disk_free_mib=ctx.disk_free_mib, conda=ctx.conda, envs=ctx.envs,
                sources=tuple(notes), warnings=tuple(ctx.warnings))


# --- JSON ---------------------------------------------------------------------------------------------------------

def host_to_json(host: Host) -> dict[str, Any]:
    """A Host as the `torchdesk detect --json` object (the resolver's CLI and the app reuse it)."""
    return {
        "gpus": [g.to_json() for g in host.gpus],
        "driver": host.driver,
        "cuda_driver": host.cuda_driver,
        "os": host.os,
        "os_release": host.os_release,
        "machine": host.machine,
        "platform": host.platform,
        "glibc": host.glibc,
        "wsl": host.wsl,
        "rocm": host.rocm,
        "cpu": host.cpu,
        "ram_mib": host.ram_mib,
        "disk_free_mib": host.disk_free_mib,
        "hypothetical": host.hypothetical,
        "conda": {
            "installations": [{"kind": c.kind, "exe": c.exe, "version": c.version, "root_prefix": c.root_prefix,
                               "envs_dirs": list(c.envs_dirs)} for c in host.conda],
            "envs": [{"name": e.name, "prefix": e.prefix, "python": e.python, "torch": e.torch,
                      "torch_build": e.torch_build, "installer": e.installer} for e in host.envs],
        },
        "sources": [{"source": s.source, "ok": s.ok, "detail": s.detail} for s in host.sources],
        "warnings": list(host.warnings),
    }


def host_from_json(data: Mapping[str, Any]) -> Host:
    """The inverse of `host_to_json` (for saved detections and bug reports)."""
    conda = data.get("conda") or {}
    return Host(
        os=data.get("os", "linux"), machine=data.get("machine", "x86_64"),
        gpus=tuple(GpuInfo(**g) for g in data.get("gpus", ())), driver=data.get("driver"),
        cuda_driver=data.get("cuda_driver"), hypothetical=bool(data.get("hypothetical", False)),
        os_release=data.get("os_release"), glibc=data.get("glibc"), wsl=bool(data.get("wsl", False)),
        rocm=data.get("rocm"), cpu=data.get("cpu"), ram_mib=data.get("ram_mib"),
        disk_free_mib=data.get("disk_free_mib"),
        conda=tuple(CondaInstall(**{**c, "envs_dirs": tuple(c.get("envs_dirs", ()))})
                    for c in conda.get("installations", ())),
        envs=tuple(CondaEnv(**e) for e in conda.get("envs", ())),
        sources=tuple(SourceNote(**s) for s in data.get("sources", ())),
        warnings=tuple(data.get("warnings", ())),
    )
