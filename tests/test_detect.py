"""detect_host over replayed machines: the real H100 capture and variations built from it."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from desktop.detect import RunResult, detect_host, host_from_json, host_to_json
from desktop.model import Host
from detect_data.replay import (DATA, Runner, StubMatrix, fake_pynvml, h100_device, h100_nvml, h100_system, layout,
                          pci_device, probe, smi_outputs)

SMI = smi_outputs()
SMI_CSV = RunResult(0, SMI["nvidia-smi --query-gpu=index,name,compute_cap,driver_version,memory.total,pci.bus_id "
                             "--format=csv"])
SMI_VERSION = RunResult(0, SMI["nvidia-smi --version"])
SYSTEM = h100_system()
H100_FILES = {"/proc/driver/nvidia/version": SYSTEM["/proc/driver/nvidia/version"],
              "/proc/version": SYSTEM["/proc/version"], "/etc/os-release": SYSTEM["/etc/os-release"],
              "/proc/meminfo": "MemTotal:       131980980 kB\n",
              "/proc/cpuinfo": "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\n"}


def sources(host: Host) -> dict[str, tuple[bool, str]]:
    return {s.source: (s.ok, s.detail) for s in host.sources}


def gpus(host: Host) -> list[tuple[Any, ...]]:
    return [(g.name, g.cc, g.arch, g.memory_mib, g.driver_loaded) for g in host.gpus]


H100_GPU = ("NVIDIA H100 80GB HBM3", "9.0", "Hopper", 81559, True)


def test_h100_replay_through_nvml(tmp_path: Path) -> None:
    nv = fake_pynvml(h100_nvml())
    runner = Runner()
    host = detect_host(env={}, matrix=StubMatrix(), probe=probe(layout(tmp_path, H100_FILES), pynvml=nv,
                                                                runner=runner))
    assert host.hypothetical is False
    assert (host.driver, host.cuda_driver) == ("580.159.04", "13.0")
    assert gpus(host) == [H100_GPU]
    g = host.gpus[0]
    assert (g.index, g.pci, g.mig, g.vendor) == (0, "00000000:00:06.0", False, "nvidia")
    assert sources(host)["NVML"] == (True, "driver 580.159.04, CUDA 13.0, 1 GPU(s)")
    assert "nvidia-smi" not in sources(host) and runner.calls == []  # NVML answered: no fallback ran
    assert nv.calls[0] == "nvmlInit" and nv.calls[-1] == "nvmlShutdown"
    assert (host.os, host.machine, host.os_release, host.glibc, host.wsl) == ("linux", "x86_64", "Ubuntu 24.04.3 LTS",
                                                                              "2.39", False)
    assert host.cpu == "Intel(R) Xeon(R) Processor" and host.ram_mib == 128887
    assert host.warnings == ()


def test_h100_with_the_real_data_file(tmp_path: Path) -> None:
    """The bundled matrix names the H100's architecture from NVML's enum (9 -> Hopper)."""
    host = detect_host(env={}, probe=probe(layout(tmp_path, H100_FILES), pynvml=fake_pynvml(h100_nvml())))
    assert host.gpus[0].arch == "Hopper" and host.gpus[0].cc == "9.0"


def two_gpus() -> dict[str, Any]:
    cap = h100_nvml()
    cap["devices"].append(h100_device(nvmlDeviceGetName="NVIDIA GeForce RTX 4090", nvmlDeviceGetArchitecture=8,
                                      nvmlDeviceGetCudaComputeCapability=[8, 9],
                                      nvmlDeviceGetMemoryInfo={"total": 25757220864, "free": 0, "used": 0},
                                      nvmlDeviceGetPciInfo={"busId": b"00000000:41:00.0"}))
    cap["devices"][1]["nvmlDeviceGetMigMode"] = {"error": "NVMLError_NotSupported"}
    cap["system"]["nvmlDeviceGetCount"] = {"ok": 2}
    return cap


def no_gpus() -> dict[str, Any]:
    cap = h100_nvml()
    cap["devices"] = []
    cap["system"]["nvmlDeviceGetCount"] = {"ok": 0}
    return cap


OLD_SMI = [("compute_cap", RunResult(2, (DATA / "nvidia-smi-old-compute-cap.txt").read_text())),
           ("--query-gpu", RunResult(0, (DATA / "nvidia-smi-old.csv").read_text())),
           ("--version", RunResult(6, "", "Unknown option --version")),
           ("^$", RunResult(0, "| NVIDIA-SMI 470.256.02   Driver Version: 470.256.02   CUDA Version: 11.4     |\n"))]

H100_PCI, H100_PCI_LINKS = pci_device("0000:00:06.0", "0x10de", "0x2331", "0x030200", None)
AMD_PCI, AMD_PCI_LINKS = pci_device("0000:c1:00.0", "0x1002", "0x740f", "0x038000", "amdgpu")

# name -> (files, links, pynvml capture or error, runner rows, which, expected)
CASES: dict[str, dict[str, Any]] = {
    "nvml missing, nvidia-smi answers": dict(
        files=H100_FILES, nvml="NVMLError_LibraryNotFound", rows=[("--query-gpu", SMI_CSV), ("--version", SMI_VERSION)],
        which={"nvidia-smi": "/usr/bin/nvidia-smi"},
        driver="580.159.04", cuda="13.0", gpus=[H100_GPU],
        sources={"NVML": (False, "library not found (libnvidia-ml)"), "nvidia-smi": True}),
    "driver not loaded, no nvidia-smi: the driver from /proc": dict(
        files=H100_FILES, nvml="NVMLError_DriverNotLoaded", rows=[], which={},
        driver="580.159.04", cuda=None, gpus=[],
        sources={"NVML": (False, "NVIDIA driver not loaded"), "nvidia-smi": (False, "not found"),
                 "/proc/driver/nvidia/version": (True, "driver 580.159.04"), "PCI": False},
        warning="reports no GPU"),
    "driver with no GPUs": dict(
        files=H100_FILES, nvml=no_gpus(), rows=[], which={},
        driver="580.159.04", cuda="13.0", gpus=[],
        sources={"NVML": (True, "driver 580.159.04, CUDA 13.0, 0 GPU(s)")}, warning="reports no GPU"),
    "old nvidia-smi without compute_cap: cc from the GPU table": dict(
        files={}, nvml="NVMLError_LibraryNotFound", rows=OLD_SMI, which={"nvidia-smi": "/usr/bin/nvidia-smi"},
        driver="470.256.02", cuda="11.4", gpus=[("NVIDIA GeForce GTX 1080", "6.1", "Pascal", 8192, True)],
        sources={"nvidia-smi": True}),
    "two different GPUs": dict(
        files=H100_FILES, nvml=two_gpus(), rows=[], which={},
        driver="580.159.04", cuda="13.0",
        gpus=[H100_GPU, ("NVIDIA GeForce RTX 4090", "8.9", "Ada Lovelace", 24564, True)],
        sources={"NVML": (True, "driver 580.159.04, CUDA 13.0, 2 GPU(s)")}),
    "WSL: nvidia-smi under /usr/lib/wsl/lib, no PCI bus": dict(
        files={"/proc/version": "Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f)\n",
               "/usr/lib/wsl/lib/nvidia-smi": "", "/usr/lib/wsl/lib/libcuda.so.1": ""},
        nvml="NVMLError_LibraryNotFound", rows=[("--query-gpu", RunResult(0, (DATA / "nvidia-smi-wsl.csv").read_text())),
                                                ("--version", RunResult(0, "CUDA Version        : 12.7\n"))],
        which={}, driver="566.36", cuda="12.7", wsl=True,
        gpus=[("NVIDIA GeForce RTX 4090", "8.9", "Ada Lovelace", 24564, True),
              ("NVIDIA GeForce RTX 3090", "8.6", "Ampere", 24576, True)],
        sources={"wsl": True, "nvidia-smi": True}),
    "GPU on the PCI bus, no driver": dict(
        files={**H100_PCI, "/usr/share/misc/pci.ids": (DATA / "pci.ids").read_text()}, links=H100_PCI_LINKS,
        nvml="NVMLError_LibraryNotFound", rows=[], which={},
        driver=None, cuda=None, gpus=[("NVIDIA H100 PCIe", "9.0", "Hopper", None, False)],
        sources={"PCI": (True, "/sys/bus/pci/devices: 1 display controller(s): NVIDIA H100 PCIe"),
                 "/proc/driver/nvidia/version": (False, "absent")},
        warning="install the NVIDIA driver"),
    "nvidia-smi hangs: killed at the timeout": dict(
        files={}, nvml="NVMLError_LibraryNotFound", rows=[("--query-gpu", TimeoutError("no answer in 5 s"))],
        which={"nvidia-smi": "/usr/bin/nvidia-smi"}, driver=None, cuda=None, gpus=[],
        sources={"nvidia-smi": "/usr/bin/nvidia-smi: no answer in 5 s"}),
    "AMD with ROCm: gfx from the KFD topology": dict(
        files={**AMD_PCI, "/opt/rocm/.info/version": "6.2.4-120\n",
               "/sys/class/kfd/kfd/topology/nodes/0/properties": "cpu_cores_count 64\ngfx_target_version 0\n",
               "/sys/class/kfd/kfd/topology/nodes/1/properties": "simd_count 416\ngfx_target_version 90010\n"},
        links=AMD_PCI_LINKS, nvml=None, rows=[], which={}, driver=None, cuda=None, rocm="6.2.4",
        gpus=[("AMD device 0x740f", None, None, None, True)], gfx=["gfx90a"],
        sources={"NVML": False, "ROCm": True, "AMD": (True, "KFD topology: gfx90a")}),
    "AMD with ROCm: gfx from rocminfo": dict(
        files={**AMD_PCI, "/opt/rocm/.info/version": "6.2.4-120\n", "/opt/rocm/bin/rocminfo": ""},
        links=AMD_PCI_LINKS, nvml=None, rows=[("", RunResult(0, (DATA / "rocminfo-mi210.txt").read_text()))],
        which={}, driver=None, cuda=None, rocm="6.2.4",
        gpus=[("AMD device 0x740f", None, None, None, True)], gfx=["gfx90a"],
        sources={"AMD": (True, "rocminfo: gfx90a")}),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_variations(case: str, tmp_path: Path) -> None:
    c = CASES[case]
    root = layout(tmp_path / "root", c["files"], c.get("links"))
    nvml = c["nvml"]
    nv = None if nvml is None else fake_pynvml(init_error=nvml) if isinstance(nvml, str) else fake_pynvml(nvml)
    which = {k: str(root / v.lstrip("/")) for k, v in c["which"].items()}
    host = detect_host(env={}, matrix=StubMatrix(),
                       probe=probe(root, pynvml=nv, runner=Runner(c["rows"]), which=which, home=tmp_path / "home"))
    assert (host.driver, host.cuda_driver) == (c["driver"], c["cuda"])
    assert gpus(host) == c["gpus"]
    assert host.wsl == c.get("wsl", False)
    assert host.rocm == c.get("rocm")
    if "gfx" in c:
        assert [g.gfx for g in host.gpus] == c["gfx"]
    got = sources(host)
    for name, want in c["sources"].items():
        assert name in got, got
        if isinstance(want, bool):
            assert got[name][0] is want, got[name]
        elif isinstance(want, str):  # part of the detail of a failed source
            assert not got[name][0] and want in got[name][1], got[name]
        else:
            assert got[name] == want
    if "warning" in c:
        assert any(c["warning"] in w for w in host.warnings), host.warnings
    else:
        assert host.warnings == ()


@pytest.fixture
def wedged() -> Iterator[threading.Event]:
    release = threading.Event()
    yield release
    release.set()  # let the abandoned worker thread finish


def test_wedged_nvml_cannot_hang_the_caller(tmp_path: Path, wedged: threading.Event) -> None:
    nv = fake_pynvml(h100_nvml(), init_block=wedged)
    root = layout(tmp_path, H100_FILES)
    start = time.monotonic()
    host = detect_host(timeout=0.2, env={}, matrix=StubMatrix(), probe=probe(root, pynvml=nv))
    assert time.monotonic() - start < 5  # generous: the point is that it returns at all
    assert sources(host)["NVML"] == (False, "no answer in 0.2 s (driver wedged?)")
    assert any("did not answer" in w for w in host.warnings)
    assert host.driver == "580.159.04"  # the /proc fallback still ran


@pytest.mark.parametrize("env, expect", [
    ({"TORCHDESK_OVERRIDE_GPUS": "RTX 4090:8.9;GTX 1080:6.1", "TORCHDESK_OVERRIDE_DRIVER": "550.54.14"},
     dict(driver="550.54.14", gpus=[("RTX 4090", "8.9", "Ada Lovelace"), ("GTX 1080", "6.1", "Pascal")], nvml=False)),
    ({"TORCHDESK_OVERRIDE_GPUS": "H100 80GB HBM3", "TORCHDESK_OVERRIDE_DRIVER": "580.65.06"},
     dict(driver="580.65.06", gpus=[("H100 80GB HBM3", "9.0", "Hopper")], nvml=False)),
    ({"TORCHDESK_OVERRIDE_GPUS": "none", "TORCHDESK_OVERRIDE_DRIVER": "580.65.06"},
     dict(driver="580.65.06", gpus=[], nvml=False)),
    ({"TORCHDESK_OVERRIDE_DRIVER": "535.104.05"},  # GPUs still detected; the driver is replaced
     dict(driver="535.104.05", gpus=[("NVIDIA H100 80GB HBM3", "9.0", "Hopper")], nvml=True)),
    ({"TORCHDESK_OVERRIDE_GPUS": "RTX 4090:fast", "TORCHDESK_OVERRIDE_DRIVER": "abc"},
     dict(driver="580.159.04", gpus=[("NVIDIA H100 80GB HBM3", "9.0", "Hopper")], nvml=True, warnings=2)),
])
def test_overrides_come_first(env: dict[str, str], expect: dict[str, Any], tmp_path: Path) -> None:
    nv = fake_pynvml(h100_nvml())
    host = detect_host(env=env, matrix=StubMatrix(), probe=probe(layout(tmp_path, H100_FILES), pynvml=nv))
    assert host.driver == expect["driver"]
    assert [(g.name, g.cc, g.arch) for g in host.gpus] == expect["gpus"]
    assert ("nvmlInit" in nv.calls) is expect["nvml"]
    assert host.sources[0].source == "override"
    assert len(host.warnings) == expect.get("warnings", 0)


@pytest.mark.parametrize("value, os_, machine", [("macos-arm64", "macos", "arm64"), ("windows", "windows", "x86_64"),
                                                  ("Linux-aarch64", "linux", "aarch64")])
def test_os_override(value: str, os_: str, machine: str, tmp_path: Path) -> None:
    host = detect_host(env={"TORCHDESK_OVERRIDE_OS": value, "TORCHDESK_OVERRIDE_GPUS": "",
                            "TORCHDESK_OVERRIDE_DRIVER": "1"}, matrix=StubMatrix(), probe=probe(tmp_path))
    assert (host.os, host.machine) == (os_, machine)


def test_macos_apple_silicon_means_mps(tmp_path: Path) -> None:
    runner = Runner([("SPDisplaysDataType", RunResult(0, (DATA / "system-profiler-m2.json").read_text()))])
    p = probe(tmp_path, system="macos", runner=runner)
    p.machine = "arm64"
    host = detect_host(env={}, matrix=StubMatrix(), probe=p)
    assert [(g.name, g.vendor) for g in host.gpus] == [("Apple M2 Pro", "apple")]
    assert host.platform == "macos-arm64"
    assert sources(host)["MPS"][0] and sources(host)["NVML"] == (False, "skipped: no NVIDIA driver on macOS")
    assert host.driver is None


def test_windows_wmi_when_nvml_and_smi_fail(tmp_path: Path) -> None:
    runner = Runner([("Win32_VideoController", RunResult(0, (DATA / "wmi-video.json").read_text()))])
    host = detect_host(env={}, matrix=StubMatrix(),
                       probe=probe(tmp_path, system="windows", pynvml=fake_pynvml(init_error="NVMLError_DriverNotLoaded"),
                                   runner=runner))
    assert [(g.name, g.cc, g.driver_loaded) for g in host.gpus] == [("NVIDIA GeForce RTX 4090 Laptop GPU", "8.9", False)]
    assert sources(host)["WMI"][0] and any("no NVIDIA driver answers" in w for w in host.warnings)


def test_nothing_anywhere_is_a_cpu_machine_not_an_error(tmp_path: Path) -> None:
    host = detect_host(env={}, matrix=StubMatrix(), probe=probe(tmp_path))
    assert host.gpus == () and host.driver is None and host.warnings == ()
    assert sources(host)["NVML"][0] is False and "skipped" in sources(host)["NVML"][1]


def test_a_bug_inside_detection_becomes_a_reason(tmp_path: Path) -> None:
    def boom(_name: str) -> str:
        raise RuntimeError("kaboom")

    p = probe(tmp_path, pynvml=fake_pynvml(init_error="NVMLError_LibraryNotFound"))
    p.which = boom
    host = detect_host(env={}, matrix=StubMatrix(), probe=p)
    assert "kaboom" in host.sources[-1].detail and host.warnings


def test_missing_data_file_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    def broken() -> Any:
        raise OSError("matrix.json: no such file")

    host = detect_host(env={}, matrix=broken, probe=probe(layout(tmp_path, H100_FILES), pynvml=fake_pynvml(h100_nvml())))
    assert host.gpus[0].cc == "9.0" and host.gpus[0].arch is None
    assert any("compatibility data unavailable" in w for w in host.warnings)


def test_json_round_trip(tmp_path: Path) -> None:
    host = detect_host(env={}, matrix=StubMatrix(), probe=probe(layout(tmp_path, H100_FILES),
                                                                pynvml=fake_pynvml(two_gpus())))
    data = json.loads(json.dumps(host_to_json(host)))
    for key in ("gpus", "driver", "cuda_driver", "os", "machine", "glibc", "wsl", "cpu", "ram_mib", "disk_free_mib",
                "conda", "sources", "warnings"):
        assert key in data
    for g in data["gpus"]:
        assert {"index", "name", "cc", "arch", "memory_mib", "pci", "vendor"} <= set(g)
    assert data["gpus"][1]["pci"] == "00000000:41:00.0"  # bytes from old pynvml are decoded
    assert host_from_json(data) == host


DEVICE = DATA / "h100-device-run"


def test_replay_matches_the_real_run_on_the_h100(tmp_path: Path) -> None:
    """The NVML replay of the capture gives what this code printed on the real machine."""
    real = json.loads((DEVICE / "detect.json").read_text())
    host = detect_host(env={}, probe=probe(layout(tmp_path, H100_FILES), pynvml=fake_pynvml(h100_nvml())))
    replay = host_to_json(host)
    for key in ("gpus", "driver", "cuda_driver", "os", "machine", "glibc", "wsl", "os_release", "cpu"):
        assert replay[key] == real[key], key
    fallback = json.loads((DEVICE / "fallbacks.json").read_text())["nvml_missing"]
    same = ("name", "cc", "arch", "memory_mib", "pci")  # nvidia-smi's CSV does not say whether MIG is on
    assert [{k: g[k] for k in same} for g in fallback["gpus"]] == [{k: g[k] for k in same} for g in real["gpus"]]
    assert (fallback["driver"], fallback["cuda_driver"]) == (real["driver"], real["cuda_driver"])


def test_real_pci_listing_without_a_driver(tmp_path: Path) -> None:
    """The H100 machine's real PCI bus, replayed as if the NVIDIA driver had gone away."""
    files: dict[str, str] = {}
    for line in (DEVICE / "pci-devices.txt").read_text().splitlines():
        parts = line.split()
        if line.startswith("/sys/bus/pci/devices/") and len(parts) >= 4:
            f, _ = pci_device(parts[0].rsplit("/", 1)[1], parts[2], parts[3], parts[1], None)
            files.update(f)
    root = layout(tmp_path, files)
    host = detect_host(env={}, matrix=StubMatrix(),
                       probe=probe(root, pynvml=fake_pynvml(init_error="NVMLError_DriverNotLoaded")))
    assert [(g.name, g.pci, g.driver_loaded) for g in host.gpus] == [("NVIDIA device 0x2330", "0000:00:06.0", False)]
    assert any("no NVIDIA driver answers" in w for w in host.warnings)
