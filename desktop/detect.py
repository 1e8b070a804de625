"""What machine is this: GPUs, driver, OS and conda installations. Returns a `Host`; never raises, never hangs.

Sources, in order (each one tried is recorded as a `SourceNote` in `Host.sources`):

1. overrides: TORCHDESK_OVERRIDE_DRIVER, TORCHDESK_OVERRIDE_GPUS ("RTX 4090:8.9;GTX 1080:6.1"),
   TORCHDESK_OVERRIDE_OS ("linux", "macos-arm64") - first, as conda's CONDA_OVERRIDE_CUDA is;
2. NVML through pynvml, in a worker thread under a timeout (a wedged driver cannot hang the caller);
3. `nvidia-smi --query-gpu` CSV (old drivers have no compute_cap: the name is looked up in the GPU table);
4. /proc/driver/nvidia/version and /sys/module/nvidia/version (the driver only);
5. a PCI scan (Linux sysfs, Windows WMI, macOS system_profiler): a GPU present but without a working driver.

Every `parse_*` function is pure, takes the text a source printed and returns `Parsed(value, reason)`: it never
raises, and when it cannot read the text `value` is None and `reason` says why. The I/O lives in `Probe`, whose
filesystem root, command runner, `which` and pynvml module tests replace to replay real captures.
Nothing is probed, and neither pynvml nor psutil is imported, until `detect_host` is called.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

from .detect_conda import _read_file, discover_conda, read_env
from .detect_parse import (MIB, PCI_VENDORS, NvidiaReading, Parsed, PciDevice, parse_conda_meta_name, parse_cpuinfo,
                           parse_dist_info_version, parse_gfx_target_version, parse_gpu_overrides, parse_meminfo,
                           parse_nvidia_smi_csv, parse_nvidia_smi_cuda_version, parse_os_release, parse_pci_devices,
                           parse_pci_ids_name, parse_proc_driver_version, parse_rocminfo, parse_system_profiler,
                           parse_wmi_video)
from .model import CondaEnv, CondaInstall, GpuInfo, Host, SourceNote

__all__ = ["CondaEnv", "MIB", "NvidiaReading", "PCI_VENDORS", "Parsed", "PciDevice", "Probe", "RunResult",
           "detect_host", "discover_conda", "host_from_json", "host_to_json", "parse_conda_meta_name", "parse_cpuinfo",
           "parse_dist_info_version", "parse_gfx_target_version", "parse_gpu_overrides", "parse_meminfo",
           "parse_nvidia_smi_csv", "parse_nvidia_smi_cuda_version", "parse_os_release", "parse_pci_devices",
           "parse_pci_ids_name", "parse_proc_driver_version", "parse_rocminfo", "parse_system_profiler",
           "parse_wmi_video", "read_env", "read_nvml"]

T = TypeVar("T")


@dataclass(frozen=True)
class RunResult:
    rc: int
    stdout: str
    stderr: str = ""


# --- the probe: every bit of I/O detection does, replaceable in tests ---------------------------------------------

def _run_command(cmd: Sequence[str], timeout: float) -> RunResult:
    """Run a command without a shell; a child that outlives `timeout` is killed and abandoned, never waited on."""
    import subprocess

    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, errors="replace", creationflags=flags)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:  # a child stuck in the kernel may not die: wait a moment, then leave it
            proc.communicate(timeout=1.0)
        except Exception:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
            pass
        raise TimeoutError(f"no answer in {timeout:g} s") from None
    return RunResult(proc.returncode, out or "", err or "")


def _which(name: str) -> str | None:
    import shutil

    return shutil.which(name)


@dataclass
class Probe:
    """Where detection reads from. Tests point `root` at a laid-out tree and replace the rest."""

    root: Path = Path("/")
    system: str | None = None  # "linux" | "windows" | "macos"; None: this machine's
    machine: str | None = None
    home: Path | None = None
    run: Callable[[Sequence[str], float], RunResult] = _run_command
    which: Callable[[str], str | None] = _which
    pynvml: Any = None  # None: import the real one when needed
    psutil: Any = None
    glibc: str | None = None  # None: ask this interpreter's C library (only when root is '/')

    def path(self, p: str | Path) -> Path:
        """An absolute machine path, under `root`."""
        p = Path(p)
        return self.root / p.relative_to(p.anchor) if p.is_absolute() else self.root / p

    def read(self, p: str | Path, limit: int = 1 << 20) -> str | None:
        try:
            with open(self.path(p), encoding="utf-8", errors="replace") as f:
                return f.read(limit)
        except (OSError, ValueError):
            return None

    def exists(self, p: str | Path) -> bool:
        try:
            return self.path(p).exists()
        except (OSError, ValueError):
            return False


def _system_name() -> str:
    import platform

    s = platform.system().lower()
    return {"darwin": "macos"}.get(s, "windows" if s.startswith(("win", "cygwin", "msys")) else s)


def _call_with_timeout(fn: Callable[[], T], timeout: float) -> T:
    """Run `fn` in a daemon thread; raise TimeoutError if it has not returned in `timeout` s (it is abandoned)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - carried back to the caller
            box["error"] = exc

    t = threading.Thread(target=target, name="torchdesk-nvml", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise TimeoutError(f"no answer in {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]  # what fn returned: T, kept in an untyped box


# --- matrix lookups (lazy: the data file is loaded only when a GPU needs naming) ---------------------------------

class _Lookup:
    def __init__(self, matrix: Any) -> None:
        self._m = matrix
        self._loaded = matrix is not None and not callable(matrix)
        self.warning: str | None = None

    def matrix(self) -> Any:
        if not self._loaded:
            self._loaded = True
            try:
                if callable(self._m):
                    self._m = self._m()
                else:
                    from .matrixload import default_matrix

                    self._m = default_matrix()
            except Exception as exc:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
                self._m = None
                self.warning = f"compatibility data unavailable, GPU names not looked up: {exc}"
        return self._m

    def cc_for_name(self, name: str) -> str | None:
        m = self.matrix()
        g = m.find_gpu(name) if m is not None else None
        return g.cc if g is not None else None

    def arch(self, cc: str | None, nvml_arch: int | None = None) -> str | None:
        m = self.matrix()
        if m is None:
            return None
        try:
            a = m.arch_by_nvml(nvml_arch) if nvml_arch is not None else None
            if a is None and cc:
                a = m.arch_for_cc(cc)
        except Exception:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
            return None
        return a.name if a is not None else None


def _complete_gpu(g: GpuInfo, lookup: _Lookup) -> GpuInfo:
    """Fill cc from the GPU table when the source had none, and the architecture name from cc."""
    if g.vendor != "nvidia":
        return g
    cc = g.cc or lookup.cc_for_name(g.name)
    arch = g.arch or lookup.arch(cc)
    return replace(g, cc=cc, arch=arch)


# --- NVIDIA sources ---------------------------------------------------------------------------------------------

def _nvml_error_name(nv: Any, exc: BaseException) -> str:
    for cls, text in (("NVMLError_LibraryNotFound", "library not found (libnvidia-ml)"),
                      ("NVMLError_DriverNotLoaded", "NVIDIA driver not loaded"),
                      ("NVMLError_NoPermission", "no permission to talk to the driver"),
                      ("NVMLError_LibRmVersionMismatch", "library/driver version mismatch: reboot after a driver update")):
        c = getattr(nv, cls, None)
        if isinstance(c, type) and isinstance(exc, c):
            return text
    return f"{type(exc).__name__}: {exc}"


def read_nvml(nv: Any, lookup: _Lookup | None = None) -> tuple[NvidiaReading, list[str]]:
    """Query NVML (a pynvml-like module). Raises the module's NVMLError when NVML itself cannot start."""
    lookup = lookup or _Lookup(None)
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
                warnings.append(f"NVML: GPU {i} cannot be opened ({_nvml_error_name(nv, exc)})")
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
            gpus.append(_complete_gpu(g, lookup))
    finally:
        try:
            nv.nvmlShutdown()
        except Exception:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
            pass
    return NvidiaReading(driver=driver, cuda_driver=cuda, gpus=tuple(gpus)), warnings


SMI_FIELDS = ("index", "name", "compute_cap", "driver_version", "memory.total", "pci.bus_id")


def _find_nvidia_smi(probe: Probe, system: str) -> str | None:
    found = probe.which("nvidia-smi")
    if found:
        return found
    for p in ("/usr/lib/wsl/lib/nvidia-smi", "/usr/bin/nvidia-smi", "C:/Windows/System32/nvidia-smi.exe"):
        if probe.exists(p):
            return str(probe.path(p))
    return None


def read_nvidia_smi(probe: Probe, exe: str, timeout: float, lookup: _Lookup) -> tuple[Parsed[NvidiaReading], str]:
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
    gpus = tuple(_complete_gpu(g, lookup) for g in reading.gpus)
    return Parsed(replace(reading, cuda_driver=cuda, gpus=gpus)), how


def _nvidia_driver_hint(probe: Probe, system: str) -> str | None:
    """A file that shows an NVIDIA driver may be there; None: NVML cannot work, skip importing it."""
    if system != "linux":
        return "not Linux"
    for p in ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg",
              "/usr/lib/wsl/lib/libnvidia-ml.so.1"):
        if probe.exists(p):
            return p
    return None


# --- PCI, AMD, Apple ----------------------------------------------------------------------------------------------

def _pci_to_gpus(probe: Probe, devices: tuple[PciDevice, ...], lookup: _Lookup) -> tuple[GpuInfo, ...]:
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
        out.append(_complete_gpu(GpuInfo(index=i, name=name, vendor=d.vendor, pci=d.slot, driver_loaded=loaded),
                                 lookup))
    return tuple(out)


def _amd_gfx_targets(probe: Probe) -> tuple[str, ...]:
    nodes = probe.path("/sys/class/kfd/kfd/topology/nodes")
    targets: list[str] = []
    try:
        for node in sorted(nodes.iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else 1 << 30):
            gfx = parse_gfx_target_version(_read_file(node / "properties") or "").value
            if gfx:
                targets.append(gfx)
    except OSError:
        pass
    return tuple(targets)


# --- the whole machine --------------------------------------------------------------------------------------------

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


def _os_override(text: str) -> tuple[str, str | None] | None:
    t = text.strip().lower().replace("_", "-").replace("x86-64", "x86_64")
    os_name, _, machine = t.partition("-")
    os_name = {"darwin": "macos", "osx": "macos", "mac": "macos", "win": "windows", "win32": "windows"}.get(os_name,
                                                                                                          os_name)
    if os_name not in ("linux", "windows", "macos"):
        return None
    return os_name, (machine.replace("x86-64", "x86_64") or None)


def detect_host(*, timeout: float = 5.0, env: Mapping[str, str] | None = None, matrix: Any = None,
                probe: Probe | None = None) -> Host:
    """Detect this machine (or the one `probe` replays). Never raises; every source tried is in `Host.sources`."""
    try:
        return _detect(timeout, dict(os.environ if env is None else env), matrix, probe or Probe())
    except Exception as exc:  # noqa: BLE001 - a bug here must not take the app down
        return Host(sources=(SourceNote("detect", False, f"detection failed: {type(exc).__name__}: {exc}"),),
                    warnings=(f"Machine detection failed ({exc}); results may be incomplete.",))


def _detect(timeout: float, env: dict[str, str], matrix: Any, probe: Probe) -> Host:
    import platform

    sources: list[SourceNote] = []
    warnings: list[str] = []
    lookup = _Lookup(matrix)
    if probe.home is None:
        h = env.get("HOME") or env.get("USERPROFILE")
        probe.home = Path(h) if h else None

    system = probe.system or _system_name()
    machine = probe.machine or platform.machine() or "x86_64"
    os_ov = env.get("TORCHDESK_OVERRIDE_OS")
    if os_ov:
        parsed_os = _os_override(os_ov)
        if parsed_os:
            system, machine = parsed_os[0], parsed_os[1] or machine
            sources.append(SourceNote("override", True, f"TORCHDESK_OVERRIDE_OS={os_ov}"))
        else:
            warnings.append(f"TORCHDESK_OVERRIDE_OS={os_ov!r} ignored: use linux, windows or macos[-machine]")
            sources.append(SourceNote("override", False, f"TORCHDESK_OVERRIDE_OS={os_ov!r} not understood"))

    driver_ov = env.get("TORCHDESK_OVERRIDE_DRIVER")
    gpus_ov = env.get("TORCHDESK_OVERRIDE_GPUS")
    override_gpus: tuple[GpuInfo, ...] | None = None
    if gpus_ov is not None:
        pg = parse_gpu_overrides(gpus_ov)
        if pg.value is not None:
            override_gpus = tuple(_complete_gpu(GpuInfo(index=i, name=n, cc=cc), lookup)
                                  for i, (n, cc) in enumerate(pg.value))
            sources.append(SourceNote("override", True, f"TORCHDESK_OVERRIDE_GPUS: {len(override_gpus)} GPU(s)"))
        else:
            warnings.append(f"TORCHDESK_OVERRIDE_GPUS ignored: {pg.reason}")
            sources.append(SourceNote("override", False, f"TORCHDESK_OVERRIDE_GPUS: {pg.reason}"))
    if driver_ov is not None:
        if re.fullmatch(r"\d+(\.\d+)*", driver_ov.strip()):
            sources.append(SourceNote("override", True, f"TORCHDESK_OVERRIDE_DRIVER={driver_ov.strip()}"))
        else:
            warnings.append(f"TORCHDESK_OVERRIDE_DRIVER={driver_ov!r} ignored: not a version like 580.65.06")
            driver_ov = None

    wsl = False
    if system == "linux":
        proc_version = probe.read("/proc/version") or ""
        wsl = "microsoft" in proc_version.lower() or probe.exists("/usr/lib/wsl/lib")
        if wsl:
            sources.append(SourceNote("wsl", True, "WSL: 'microsoft' in /proc/version or /usr/lib/wsl/lib present"))

    driver: str | None = None
    cuda_driver: str | None = None
    gpus: tuple[GpuInfo, ...] = ()
    have_gpus = False
    if override_gpus is not None and driver_ov is not None:
        sources.append(SourceNote("NVML", False, "skipped: GPUs and driver are overridden"))
    elif system == "macos":
        sources.append(SourceNote("NVML", False, "skipped: no NVIDIA driver on macOS"))
    else:
        # 1. NVML
        hint = _nvidia_driver_hint(probe, system)
        if hint is None and probe.pynvml is None:
            sources.append(SourceNote("NVML", False, "skipped: no NVIDIA kernel driver (/proc/driver/nvidia, "
                                                     "/dev/nvidiactl and /dev/dxg absent)"))
        else:
            try:
                def nvml_job() -> tuple[NvidiaReading, list[str]]:
                    nv = probe.pynvml
                    if nv is None:
                        import pynvml as nv  # type: ignore[no-redef]  # the real module, where tests gave none
                    return read_nvml(nv, lookup)

                reading, nvml_warn = _call_with_timeout(nvml_job, timeout)
                warnings += nvml_warn
                driver, cuda_driver, gpus, have_gpus = reading.driver, reading.cuda_driver, reading.gpus, True
                sources.append(SourceNote("NVML", True, f"driver {driver}, CUDA {cuda_driver}, {len(gpus)} GPU(s)"))
            except TimeoutError:
                sources.append(SourceNote("NVML", False, f"no answer in {timeout:g} s (driver wedged?)"))
                warnings.append(f"The NVIDIA driver did not answer within {timeout:g} s; it may be hung.")
            except ImportError as exc:
                sources.append(SourceNote("NVML", False, f"pynvml not importable: {exc}"))
            except Exception as exc:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
                nv_mod = probe.pynvml or sys.modules.get("pynvml")
                sources.append(SourceNote("NVML", False, _nvml_error_name(nv_mod, exc)))
        # 2. nvidia-smi
        if not have_gpus:
            exe = _find_nvidia_smi(probe, system)
            if exe is None:
                sources.append(SourceNote("nvidia-smi", False, "not found"))
            else:
                try:
                    parsed, how = read_nvidia_smi(probe, exe, timeout, lookup)
                    if parsed.value is not None:
                        r = parsed.value
                        driver, gpus, have_gpus = r.driver or driver, r.gpus, True
                        cuda_driver = r.cuda_driver or cuda_driver
                        sources.append(SourceNote("nvidia-smi", True, f"{how}: driver {driver}, {len(gpus)} GPU(s)"))
                    else:
                        sources.append(SourceNote("nvidia-smi", False, parsed.reason or "unreadable"))
                except Exception as exc:  # noqa: BLE001 - TimeoutError, OSError
                    sources.append(SourceNote("nvidia-smi", False, f"{exe}: {exc}"))
        # 3. the kernel module's version files
        if driver is None and system == "linux":
            for p in ("/proc/driver/nvidia/version", "/sys/module/nvidia/version"):
                text = probe.read(p)
                if text is None:
                    sources.append(SourceNote(p, False, "absent"))
                    continue
                pv = parse_proc_driver_version(text)
                sources.append(SourceNote(p, pv.ok, f"driver {pv.value}" if pv.ok else pv.reason or ""))
                if pv.value:
                    driver = pv.value
                    break

    # 4. PCI scan (and Apple's / Windows' own lists)
    pci_gpus: tuple[GpuInfo, ...] = ()
    if override_gpus is None and not gpus:
        pci_gpus = _scan_pci(probe, system, timeout, lookup, sources, wsl)
        if any(g.vendor == "apple" for g in pci_gpus) or system == "macos":
            gpus = pci_gpus
        else:
            gpus = tuple(g for g in pci_gpus if g.vendor in ("amd",) or (g.vendor == "nvidia"))
            nv_no_driver = [g for g in pci_gpus if g.vendor == "nvidia"]
            if nv_no_driver:
                gpus = tuple(replace(g, driver_loaded=False) if g.vendor == "nvidia" else g for g in gpus)
                what = ", ".join(g.name for g in nv_no_driver)
                if driver:
                    warnings.append(f"NVIDIA driver {driver} is installed but does not answer for {what}: "
                                    "reboot, or reinstall the driver that matches the kernel.")
                else:
                    warnings.append(f"{what} is on the PCI bus but no NVIDIA driver answers: install the NVIDIA "
                                    "driver (for example the one your distribution recommends), then reboot.")

    if override_gpus is not None:
        gpus = override_gpus
    if driver_ov is not None:
        driver = driver_ov.strip()
    if driver and not [g for g in gpus if g.vendor == "nvidia"] and override_gpus is None:
        warnings.append(f"NVIDIA driver {driver} is installed but reports no GPU.")

    # AMD ROCm
    rocm: str | None = None
    if system == "linux":
        rv = probe.read("/opt/rocm/.info/version")
        if rv and rv.strip():
            rocm = rv.strip().split("-")[0]
            sources.append(SourceNote("ROCm", True, f"/opt/rocm {rocm}"))
        if any(g.vendor == "amd" for g in gpus):
            gfx = _amd_gfx_targets(probe)
            how = "KFD topology"
            if not gfx and rocm:
                exe = probe.which("rocminfo") or (str(probe.path("/opt/rocm/bin/rocminfo"))
                                                  if probe.exists("/opt/rocm/bin/rocminfo") else None)
                if exe:
                    try:
                        gfx = parse_rocminfo(probe.run([exe], timeout).stdout).value or ()
                        how = "rocminfo"
                    except Exception as exc:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
                        sources.append(SourceNote("rocminfo", False, str(exc)))
            amd = [g for g in gpus if g.vendor == "amd"]
            for g, t in zip(amd, gfx, strict=False):
                gpus = tuple(replace(x, gfx=t) if x is g else x for x in gpus)
            sources.append(SourceNote("AMD", bool(gfx), f"{how}: {', '.join(gfx) or 'no gfx target'}"))

    if system == "macos" and machine in ("arm64", "aarch64"):
        sources.append(SourceNote("MPS", True, "Apple silicon: PyTorch runs on the GPU through MPS"))

    # OS, CPU, memory, disk
    os_release = cpu = None
    ram_mib = disk_free = None
    if system == "linux":
        osr = parse_os_release(probe.read("/etc/os-release") or "").value or {}
        os_release = osr.get("PRETTY_NAME") or osr.get("NAME")
        cpu = parse_cpuinfo(probe.read("/proc/cpuinfo", limit=64 << 10) or "").value
        ram_mib = parse_meminfo(probe.read("/proc/meminfo", limit=8 << 10) or "").value
    elif probe.root == Path("/"):
        if system == "macos":
            os_release = f"macOS {platform.mac_ver()[0]}".strip()
        elif system == "windows":
            os_release = f"Windows {platform.release()} ({platform.version()})"
        cpu = platform.processor() or None
    if ram_mib is None and probe.root == Path("/"):
        try:
            ps = probe.psutil
            if ps is None:
                import psutil as ps
            ram_mib = int(ps.virtual_memory().total) // MIB
        except Exception as exc:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
            sources.append(SourceNote("psutil", False, f"RAM unknown: {exc}"))
    try:
        import shutil

        disk_free = shutil.disk_usage(probe.home if probe.home and probe.home.exists() else probe.root).free // MIB
    except OSError:
        pass

    conda, envs, notes = discover_conda(probe, env, system)
    sources += notes
    if lookup.warning:
        warnings.append(lookup.warning)
    return Host(os=system, machine=machine, gpus=gpus, driver=driver, cuda_driver=cuda_driver, hypothetical=False,
                os_release=os_release, glibc=_glibc(probe, system), wsl=wsl, rocm=rocm, cpu=cpu, ram_mib=ram_mib,
                disk_free_mib=disk_free, conda=conda, envs=envs, sources=tuple(sources), warnings=tuple(warnings))


def _scan_pci(probe: Probe, system: str, timeout: float, lookup: _Lookup, sources: list[SourceNote],
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
    gpus2 = tuple(_complete_gpu(g, lookup) for g in parsed2.value)
    sources.append(SourceNote(label, True, f"{len(gpus2)} GPU(s)" + (": " + ", ".join(g.name for g in gpus2)
                                                                    if gpus2 else "")))
    return gpus2


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
