"""Pure parsers for machine detection: each takes what a source printed and returns `Parsed(value, reason)`.

None of them raises: garbage in gives `value=None` and a `reason`. Each source module of `desktop.detect` calls them.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Generic, Sequence, TypeVar

from ..model import GpuInfo

T = TypeVar("T")
MIB = 1024 * 1024

# PCI vendor ids of GPU makers we report, and their `GpuInfo.vendor` names.
PCI_VENDORS = {"0x10de": "nvidia", "0x1002": "amd", "0x8086": "intel"}


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """What a parser read: `value`, or None with the `reason` it could not."""

    value: T | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class NvidiaReading:
    """What one NVIDIA source said: driver, CUDA driver API version, GPUs."""

    driver: str | None = None
    cuda_driver: str | None = None
    gpus: tuple[GpuInfo, ...] = ()


def _parser(fn: Callable[..., Parsed[T]]) -> Callable[..., Parsed[T]]:
    """Make a parser total: any exception becomes a reason (parsers take untrusted text)."""

    def wrapper(*args: Any, **kwargs: Any) -> Parsed[T]:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - garbage in must never escape as an exception
            return Parsed(None, f"unreadable ({type(exc).__name__}: {exc})")

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__qualname__ = fn.__qualname__
    return wrapper


# --- pure parsers ---------------------------------------------------------------------------------------------

def _na(v: str) -> bool:
    return v.strip().strip("[]").lower() in ("", "n/a", "not supported", "unknown error", "insufficient permissions")


def _int_prefix(v: str) -> int | None:
    m = re.match(r"\s*(\d+)", v)
    return int(m.group(1)) if m else None


@_parser
def parse_nvidia_smi_csv(text: str, fields: Sequence[str] | None = None) -> Parsed[NvidiaReading]:
    """`nvidia-smi --query-gpu=index,name,... --format=csv` (with header, or `fields` for noheader) -> GPUs."""
    lines = [ln for ln in text.replace("\r", "").split("\n") if ln.strip()]
    if not lines:
        return Parsed(None, "nvidia-smi printed nothing")
    if fields is None:
        header = [h.strip().split(" ")[0].lower() for h in lines[0].split(",")]
        rows = lines[1:]
    else:
        header = [f.strip().lower() for f in fields]
        rows = lines
    if "name" not in header:
        return Parsed(None, f"no 'name' column in {lines[0][:80]!r}")
    gpus: list[GpuInfo] = []
    driver: str | None = None
    for n, row in enumerate(rows):
        cells = [c.strip() for c in row.split(",")]
        if len(cells) != len(header):
            return Parsed(None, f"row {n + 1} has {len(cells)} cells, expected {len(header)}: {row[:80]!r}")
        d = dict(zip(header, cells, strict=False))
        name = d["name"]
        if _na(name):
            return Parsed(None, f"row {n + 1} has no GPU name")
        index = _int_prefix(d.get("index", "")) if not _na(d.get("index", "")) else None
        cc = d.get("compute_cap")
        if cc is not None and (_na(cc) or not re.fullmatch(r"\d+\.\d+", cc)):
            cc = None
        mem = d.get("memory.total")
        memory = _int_prefix(mem) if mem and not _na(mem) else None
        pci = d.get("pci.bus_id")
        drv = d.get("driver_version")
        if drv and not _na(drv) and re.fullmatch(r"\d+(\.\d+)+", drv):
            driver = drv
        gpus.append(GpuInfo(index=index if index is not None else n, name=name, vendor="nvidia", cc=cc,
                            memory_mib=memory, pci=None if not pci or _na(pci) else pci))
    return Parsed(NvidiaReading(driver=driver, gpus=tuple(gpus)))


@_parser
def parse_nvidia_smi_cuda_version(text: str) -> Parsed[str]:
    """The CUDA driver API version from `nvidia-smi --version` or the plain `nvidia-smi` banner: '13.0'."""
    m = re.search(r"CUDA Version\s*:\s*(\d+\.\d+)", text)
    return Parsed(m.group(1)) if m else Parsed(None, "no 'CUDA Version' in the output")


@_parser
def parse_proc_driver_version(text: str) -> Parsed[str]:
    """/proc/driver/nvidia/version or /sys/module/nvidia/version -> '580.159.04'."""
    first = text.strip().split("\n", 1)[0] if text.strip() else ""
    if not first:
        return Parsed(None, "empty")
    if re.fullmatch(r"\d+(\.\d+)+", first.strip()):  # /sys/module/nvidia/version holds just the number
        return Parsed(first.strip())
    m = re.search(r"Kernel Module\s+(?:for\s+\S+\s+)?(\d+\.\d+(?:\.\d+)*)", first)
    if not m:
        m = re.search(r"NVRM version:.*?\s(\d{3}\.\d+(?:\.\d+)*)\s", first + " ")
    return Parsed(m.group(1)) if m else Parsed(None, f"no driver version in {first[:80]!r}")


@_parser
def parse_os_release(text: str) -> Parsed[dict[str, str]]:
    """/etc/os-release -> {'PRETTY_NAME': 'Ubuntu 24.04.3 LTS', 'ID': 'ubuntu', ...}."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
            v = v[1:-1]
        out[k.strip()] = v
    return Parsed(out) if out else Parsed(None, "no KEY=value lines")


@_parser
def parse_cpuinfo(text: str) -> Parsed[str]:
    """/proc/cpuinfo -> the CPU model name."""
    for key in ("model name", "Model", "Hardware", "cpu model"):
        m = re.search(rf"^{key}\s*:\s*(.+)$", text, re.M)
        if m and m.group(1).strip():
            return Parsed(m.group(1).strip())
    return Parsed(None, "no 'model name' line")


@_parser
def parse_meminfo(text: str) -> Parsed[int]:
    """/proc/meminfo -> total RAM in MiB."""
    m = re.search(r"^MemTotal:\s*(\d+)\s*kB", text, re.M)
    return Parsed(int(m.group(1)) // 1024) if m else Parsed(None, "no MemTotal line")


@_parser
def parse_wmi_video(text: str) -> Parsed[tuple[GpuInfo, ...]]:
    """`Get-CimInstance Win32_VideoController | ConvertTo-Json` -> GPUs (one object or a list)."""
    data = json.loads(text)
    items = data if isinstance(data, list) else [data]
    gpus: list[GpuInfo] = []
    for item in items:
        if not isinstance(item, dict):
            return Parsed(None, "expected JSON objects")
        name = str(item.get("Name") or item.get("Caption") or "").strip()
        pnp = str(item.get("PNPDeviceID") or "")
        m = re.search(r"VEN_([0-9A-Fa-f]{4})", pnp)
        vendor = PCI_VENDORS.get(f"0x{m.group(1).lower()}") if m else None
        if vendor is None:
            low = (name + " " + str(item.get("AdapterCompatibility") or "")).lower()
            vendor = next((v for k, v in (("nvidia", "nvidia"), ("amd", "amd"), ("radeon", "amd"),
                                          ("intel", "intel")) if k in low), None)
        if not name or vendor is None:
            continue  # remote-desktop and basic display adapters
        ram = item.get("AdapterRAM")
        mem = int(ram) // MIB if isinstance(ram, int) and ram > 0 else None
        status = item.get("ConfigManagerErrorCode")
        gpus.append(GpuInfo(index=len(gpus), name=name, vendor=vendor, memory_mib=mem,
                            driver_loaded=status in (None, 0)))
    return Parsed(tuple(gpus))


@_parser
def parse_system_profiler(json_text: str) -> Parsed[tuple[GpuInfo, ...]]:
    """`system_profiler SPDisplaysDataType -json` -> GPUs (Apple silicon: vendor 'apple', MPS)."""
    data = json.loads(json_text)
    items = data.get("SPDisplaysDataType") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return Parsed(None, "no SPDisplaysDataType list")
    gpus: list[GpuInfo] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name = str(item.get("sppci_model") or item.get("_name") or "").strip()
        vend = str(item.get("spdisplays_vendor") or item.get("sppci_vendor") or "").lower()
        low = vend + " " + name.lower()
        vendor = next((v for k, v in (("apple", "apple"), ("nvidia", "nvidia"), ("amd", "amd"), ("ati", "amd"),
                                      ("intel", "intel")) if k in low), None)
        if not name or vendor is None:
            continue
        vram = str(item.get("spdisplays_vram") or item.get("spdisplays_vram_shared") or "")
        m = re.match(r"(\d+)\s*(GB|MB)", vram)
        mem = (int(m.group(1)) * (1024 if m.group(2) == "GB" else 1)) if m else None
        gpus.append(GpuInfo(index=len(gpus), name=name, vendor=vendor, memory_mib=mem))
    return Parsed(tuple(gpus))


@_parser
def parse_gfx_target_version(text: str) -> Parsed[str]:
    """A KFD topology node's `properties` -> 'gfx90a' (gfx_target_version 90010); CPU nodes have 0."""
    m = re.search(r"^gfx_target_version\s+(\d+)", text, re.M)
    if not m:
        return Parsed(None, "no gfx_target_version line")
    v = int(m.group(1))
    if v == 0:
        return Parsed(None, "a CPU node (gfx_target_version 0)")
    major, minor, step = v // 10000, (v // 100) % 100, v % 100
    return Parsed(f"gfx{major}{minor:x}{step:x}")


@_parser
def parse_rocminfo(text: str) -> Parsed[tuple[str, ...]]:
    """`rocminfo` -> the gfx targets of its GPU agents, in order."""
    targets = re.findall(r"^\s*Name:\s*(gfx[0-9a-f]+)\s*$", text, re.M)
    return Parsed(tuple(targets)) if targets else Parsed(None, "no gfx agent")


@_parser
def parse_conda_meta_name(filename: str) -> Parsed[tuple[str, str, str]]:
    """'pytorch-2.5.1-py3.11_cuda12.4_cudnn9.1.0_0.json' -> ('pytorch', '2.5.1', 'py3.11_cuda12.4_cudnn9.1.0_0')."""
    stem = filename[:-5] if filename.endswith(".json") else filename
    parts = stem.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return Parsed(None, f"not name-version-build: {filename[:80]!r}")
    return Parsed((parts[0], parts[1], parts[2]))


@_parser
def parse_dist_info_version(metadata: str) -> Parsed[str]:
    """A dist-info METADATA file -> its Version header."""
    for line in metadata.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line
        if line.lower().startswith("version:"):
            v = line.split(":", 1)[1].strip()
            if v:
                return Parsed(v)
    return Parsed(None, "no Version header")


@_parser
def parse_pci_ids_name(text: str, vendor: str, device: str) -> Parsed[str]:
    """The device name for (vendor '0x10de', device '0x2330') from a pci.ids database."""
    ven, dev = vendor.lower().removeprefix("0x"), device.lower().removeprefix("0x")
    in_vendor = False
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if not line[0].isspace():
            in_vendor = line[:4].lower() == ven
            continue
        if in_vendor and line.startswith("\t") and not line.startswith("\t\t") and line[1:5].lower() == dev:
            return Parsed(line[5:].strip())
    return Parsed(None, f"{vendor}:{device} not in pci.ids")


@_parser
def parse_gpu_overrides(text: str) -> Parsed[tuple[tuple[str, str | None], ...]]:
    """TORCHDESK_OVERRIDE_GPUS 'RTX 4090:8.9;GTX 1080:6.1' -> (('RTX 4090', '8.9'), ...); '' or 'none' -> ()."""
    if text.strip().lower() in ("", "none"):
        return Parsed(())
    out: list[tuple[str, str | None]] = []
    for item in text.split(";"):
        if not item.strip():
            continue
        name, _, cc = item.rpartition(":") if ":" in item else (item, "", "")
        name, cc = name.strip(), cc.strip()
        if cc and not re.fullmatch(r"\d+\.\d+", cc):
            return Parsed(None, f"compute capability {cc!r} in {item!r} is not like '8.9'")
        if not name:
            return Parsed(None, f"no GPU name in {item!r}")
        out.append((name, cc or None))
    return Parsed(tuple(out))


@dataclass(frozen=True)
class PciDevice:
    """A display controller on the PCI bus."""

    slot: str  # "0000:00:06.0"
    vendor_id: str  # "0x10de"
    device_id: str  # "0x2330"
    driver: str | None  # the kernel driver bound to it: "nvidia", "amdgpu", "nouveau", or None

    @property
    def vendor(self) -> str:
        return PCI_VENDORS.get(self.vendor_id, "unknown")


@_parser
def parse_pci_devices(root: Path) -> Parsed[tuple[PciDevice, ...]]:
    """A /sys/bus/pci/devices folder -> its display controllers (class 0x03xx) made by NVIDIA, AMD or Intel."""
    if not root.is_dir():
        return Parsed(None, f"{root} is not a folder")
    found: list[PciDevice] = []
    for dev in sorted(root.iterdir(), key=lambda p: p.name):
        try:
            cls = (dev / "class").read_text().strip().lower()
            ven = (dev / "vendor").read_text().strip().lower()
            did = (dev / "device").read_text().strip().lower()
        except (OSError, UnicodeDecodeError):
            continue
        if not cls.startswith("0x03") or ven not in PCI_VENDORS:
            continue
        link = dev / "driver"
        driver = os.path.basename(os.readlink(link)) if link.is_symlink() else None
        found.append(PciDevice(slot=dev.name, vendor_id=ven, device_id=did, driver=driver))
    return Parsed(tuple(found))
