"""The PCI scan (Linux sysfs, Windows WMI, macOS system_profiler): GPUs present with or without a working
driver; and AMD's ROCm version and gfx targets (KFD topology, else rocminfo)."""

from __future__ import annotations

import re
from dataclasses import replace

from ..model import GpuInfo, SourceNote
from .context import Context, Lookup, complete_gpu
from .parse import (PciDevice, parse_gfx_target_version, parse_pci_devices, parse_pci_ids_name, parse_rocminfo,
                    parse_system_profiler, parse_wmi_video)
from .probe import Probe, read_file


def _pci_to_gpus(probe: Probe, devices: tuple[PciDevice, ...], lookup: Lookup) -> tuple[GpuInfo, ...]:
    """Name PCI devices from pci.ids when the machine has it ('GH100 [H100 PCIe]' -> 'NVIDIA H100 PCIe')."""
    db: str | None = None
    for p in ("/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids"):
        db = probe.read(p, limit=8 << 20)
        if db:
            break
    out = []
    for i, d in enumerate(devices):
        label = {"nvidia": "NVIDIA", "amd": "AMD", "intel": "Intel"}.get(d.vendor, d.vendor)
        name = f"{label} device {d.device_id}"
        found = parse_pci_ids_name(db, d.vendor_id, d.device_id).value if db else None
        if found:
            m = re.search(r"\[([^\]]+)\]", found)
            name = f"{label} {m.group(1) if m else found}"
        loaded = d.driver is not None and d.driver not in ("nouveau", "vfio-pci", "pci-stub")
        out.append(complete_gpu(GpuInfo(index=i, name=name, vendor=d.vendor, pci=d.slot, driver_loaded=loaded),
                                lookup))
    return tuple(out)


def _scan_pci(probe: Probe, system: str, timeout: float, lookup: Lookup, sources: list[SourceNote],
              wsl: bool) -> tuple[GpuInfo, ...]:
    if system == "linux":
        if wsl:
            sources.append(SourceNote("PCI", False, "skipped under WSL: the GPU is not on the guest's PCI bus"))
            return ()
        parsed = parse_pci_devices(probe.path("/sys/bus/pci/devices"))
        if parsed.value is None:
            sources.append(SourceNote("PCI", False, parsed.reason or "unreadable"))
            return ()
        gpus = _pci_to_gpus(probe, parsed.value, lookup)
        sources.append(SourceNote("PCI", True, f"/sys/bus/pci/devices: {len(gpus)} display controller(s)"
                                  + (": " + ", ".join(g.name for g in gpus) if gpus else "")))
        return gpus
    if system == "windows":
        cmd = ["powershell", "-NoProfile", "-Command",
               "Get-CimInstance Win32_VideoController | Select-Object Name,AdapterCompatibility,PNPDeviceID,"
               "AdapterRAM,ConfigManagerErrorCode | ConvertTo-Json"]
        label, parser = "WMI", parse_wmi_video
    else:
        cmd = ["system_profiler", "SPDisplaysDataType", "-json"]
        label, parser = "system_profiler", parse_system_profiler
    try:
        res = probe.run(cmd, timeout)
    except Exception as exc:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
        sources.append(SourceNote(label, False, str(exc)))
        return ()
    parsed2 = parser(res.stdout)
    if parsed2.value is None:
        sources.append(SourceNote(label, False, parsed2.reason or "unreadable"))
        return ()
    gpus2 = tuple(complete_gpu(g, lookup) for g in parsed2.value)
    sources.append(SourceNote(label, True, f"{len(gpus2)} GPU(s)" + (": " + ", ".join(g.name for g in gpus2)
                                                                    if gpus2 else "")))
    return gpus2


def read_pci_source(probe: Probe, ctx: Context) -> list[SourceNote]:
    """The PCI scan, when no override and no NVIDIA source named a GPU; NVIDIA GPUs found here have no driver."""
    notes: list[SourceNote] = []
    if ctx.gpus_override is not None or ctx.gpus:
        return notes
    pci_gpus = _scan_pci(probe, ctx.system, ctx.timeout, ctx.lookup, notes, ctx.wsl)
    if any(g.vendor == "apple" for g in pci_gpus) or ctx.system == "macos":
        ctx.gpus = pci_gpus
        return notes
    gpus = tuple(g for g in pci_gpus if g.vendor in ("amd",) or (g.vendor == "nvidia"))
    nv_no_driver = [g for g in pci_gpus if g.vendor == "nvidia"]
    if nv_no_driver:
        gpus = tuple(replace(g, driver_loaded=False) if g.vendor == "nvidia" else g for g in gpus)
        what = ", ".join(g.name for g in nv_no_driver)
        if ctx.driver:
            ctx.warnings.append(f"NVIDIA driver {ctx.driver} is installed but does not answer for {what}: "
                                "reboot, or reinstall the driver that matches the kernel.")
        else:
            ctx.warnings.append(f"{what} is on the PCI bus but no NVIDIA driver answers: install the NVIDIA "
                                "driver (for example the one your distribution recommends), then reboot.")
    ctx.gpus = gpus
    return notes


def _amd_gfx_targets(probe: Probe) -> tuple[str, ...]:
    nodes = probe.path("/sys/class/kfd/kfd/topology/nodes")
    targets: list[str] = []
    try:
        for node in sorted(nodes.iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else 1 << 30):
            gfx = parse_gfx_target_version(read_file(node / "properties") or "").value
            if gfx:
                targets.append(gfx)
    except OSError:
        pass
    return tuple(targets)


def read_rocm_source(probe: Probe, ctx: Context) -> list[SourceNote]:
    """AMD on Linux: the ROCm version in /opt/rocm, and each AMD GPU's gfx target."""
    notes: list[SourceNote] = []
    if ctx.system != "linux":
        return notes
    rv = probe.read("/opt/rocm/.info/version")
    if rv and rv.strip():
        ctx.rocm = rv.strip().split("-")[0]
        notes.append(SourceNote("ROCm", True, f"/opt/rocm {ctx.rocm}"))
    if any(g.vendor == "amd" for g in ctx.gpus):
        gfx = _amd_gfx_targets(probe)
        how = "KFD topology"
        if not gfx and ctx.rocm:
            exe = probe.which("rocminfo") or (str(probe.path("/opt/rocm/bin/rocminfo"))
                                              if probe.exists("/opt/rocm/bin/rocminfo") else None)
            if exe:
                try:
                    gfx = parse_rocminfo(probe.run([exe], ctx.timeout).stdout).value or ()
                    how = "rocminfo"
                except Exception as exc:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
                    notes.append(SourceNote("rocminfo", False, str(exc)))
        amd = [g for g in ctx.gpus if g.vendor == "amd"]
        gpus = ctx.gpus
        for g, t in zip(amd, gfx, strict=False):
            gpus = tuple(replace(x, gfx=t) if x is g else x for x in gpus)
        ctx.gpus = gpus
        notes.append(SourceNote("AMD", bool(gfx), f"{how}: {', '.join(gfx) or 'no gfx target'}"))
    return notes
