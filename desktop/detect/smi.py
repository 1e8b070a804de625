"""nvidia-smi's `--query-gpu` CSV (old drivers have no compute_cap: the name is looked up in the GPU table), and
the kernel module's version files: the NVIDIA sources asked when NVML did not answer."""

from __future__ import annotations

from dataclasses import replace

from ..model import SourceNote
from .context import Context, Lookup, complete_gpu
from .parse import NvidiaReading, Parsed, parse_nvidia_smi_csv, parse_nvidia_smi_cuda_version, parse_proc_driver_version
from .probe import Probe

SMI_FIELDS = ("index", "name", "compute_cap", "driver_version", "memory.total", "pci.bus_id")


def _find_nvidia_smi(probe: Probe) -> str | None:
    found = probe.which("nvidia-smi")
    if found:
        return found
    for p in ("/usr/lib/wsl/lib/nvidia-smi", "/usr/bin/nvidia-smi", "C:/Windows/System32/nvidia-smi.exe"):
        if probe.exists(p):
            return str(probe.path(p))
    return None


def read_nvidia_smi(probe: Probe, exe: str, timeout: float, lookup: Lookup) -> tuple[Parsed[NvidiaReading], str]:
    """Query nvidia-smi as CSV; retry without compute_cap for drivers that do not know the field."""
    fields: tuple[str, ...] = SMI_FIELDS
    res = probe.run([exe, f"--query-gpu={','.join(fields)}", "--format=csv,nounits"], timeout)
    how = "CSV"
    if res.rc != 0 and "compute_cap" in (res.stdout + res.stderr):
        fields = tuple(f for f in SMI_FIELDS if f != "compute_cap")
        res = probe.run([exe, f"--query-gpu={','.join(fields)}", "--format=csv,nounits"], timeout)
        how = "CSV without compute_cap (old driver; compute capability from the GPU table)"
    if res.rc != 0:
        msg = (res.stdout + res.stderr).strip().splitlines()
        return Parsed(None, f"exit {res.rc}: {msg[0][:120] if msg else 'no output'}"), how
    parsed = parse_nvidia_smi_csv(res.stdout)
    if not parsed.ok or parsed.value is None:
        return parsed, how
    reading = parsed.value
    cuda = None
    try:
        ver = probe.run([exe, "--version"], timeout)
        cuda = parse_nvidia_smi_cuda_version(ver.stdout).value if ver.rc == 0 else None
        if cuda is None:
            cuda = parse_nvidia_smi_cuda_version(probe.run([exe], timeout).stdout).value
    except Exception:  # noqa: BLE001 - the CUDA version is a bonus
        pass
    gpus = tuple(complete_gpu(g, lookup) for g in reading.gpus)
    return Parsed(replace(reading, cuda_driver=cuda, gpus=gpus)), how


def read_smi_source(probe: Probe, ctx: Context) -> list[SourceNote]:
    """The nvidia-smi source, asked when NVML gave no answer."""
    if ctx.nvidia_skipped or ctx.have_gpus:
        return []
    exe = _find_nvidia_smi(probe)
    if exe is None:
        return [SourceNote("nvidia-smi", False, "not found")]
    try:
        parsed, how = read_nvidia_smi(probe, exe, ctx.timeout, ctx.lookup)
    except Exception as exc:  # noqa: BLE001 - TimeoutError, OSError
        return [SourceNote("nvidia-smi", False, f"{exe}: {exc}")]
    if parsed.value is None:
        return [SourceNote("nvidia-smi", False, parsed.reason or "unreadable")]
    r = parsed.value
    ctx.driver, ctx.gpus, ctx.have_gpus = r.driver or ctx.driver, r.gpus, True
    ctx.cuda_driver = r.cuda_driver or ctx.cuda_driver
    return [SourceNote("nvidia-smi", True, f"{how}: driver {ctx.driver}, {len(ctx.gpus)} GPU(s)")]


def read_driver_files_source(probe: Probe, ctx: Context) -> list[SourceNote]:
    """The kernel module's version files (Linux): the driver version when no NVIDIA tool answered."""
    if ctx.nvidia_skipped or ctx.driver is not None or ctx.system != "linux":
        return []
    notes: list[SourceNote] = []
    for p in ("/proc/driver/nvidia/version", "/sys/module/nvidia/version"):
        text = probe.read(p)
        if text is None:
            notes.append(SourceNote(p, False, "absent"))
            continue
        pv = parse_proc_driver_version(text)
        notes.append(SourceNote(p, pv.ok, f"driver {pv.value}" if pv.ok else pv.reason or ""))
        if pv.value:
            ctx.driver = pv.value
            break
    return notes
