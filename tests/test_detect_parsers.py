"""The pure parsers, on real captures and on garbage (hypothesis): nothing escapes, a failure has a reason."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.detect import parse as d
from detect_data.replay import DATA, H100, h100_system, layout, pci_device, smi_outputs

SMI = smi_outputs()
QUERY = "nvidia-smi --query-gpu=index,name,compute_cap,driver_version,memory.total,pci.bus_id --format=csv"
NOHEADER = "nvidia-smi --query-gpu=index,name,compute_cap,driver_version,memory.total --format=csv,noheader,nounits"


def test_nvidia_smi_csv_with_header_real_capture() -> None:
    r = d.parse_nvidia_smi_csv(SMI[QUERY])
    assert r.ok and r.reason is None and r.value is not None
    assert r.value.driver == "580.159.04"
    (g,) = r.value.gpus
    assert (g.index, g.name, g.cc, g.memory_mib, g.pci) == (0, "NVIDIA H100 80GB HBM3", "9.0", 81559, "00000000:00:06.0")


def test_nvidia_smi_csv_noheader_real_capture() -> None:
    r = d.parse_nvidia_smi_csv(SMI[NOHEADER], fields=["index", "name", "compute_cap", "driver_version", "memory.total"])
    assert r.value is not None and r.value.gpus[0].cc == "9.0" and r.value.gpus[0].memory_mib == 81559


@pytest.mark.parametrize("file, names, ccs", [
    ("nvidia-smi-old.csv", ["NVIDIA GeForce GTX 1080"], [None]),
    ("nvidia-smi-wsl.csv", ["NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 3090"], ["8.9", "8.6"]),
])
def test_nvidia_smi_csv_variants(file: str, names: list[str], ccs: list[str | None]) -> None:
    r = d.parse_nvidia_smi_csv((DATA / file).read_text())
    assert r.value is not None
    assert [g.name for g in r.value.gpus] == names and [g.cc for g in r.value.gpus] == ccs


@pytest.mark.parametrize("text, reason_part", [
    ("", "printed nothing"),
    ("No devices were found\n", "no 'name' column"),
    ("index, name\n0, A, extra\n", "3 cells"),
    ((DATA / "nvidia-smi-old-compute-cap.txt").read_text(), "no 'name' column"),
])
def test_nvidia_smi_csv_failures(text: str, reason_part: str) -> None:
    r = d.parse_nvidia_smi_csv(text)
    assert r.value is None and r.reason and reason_part in r.reason


@pytest.mark.parametrize("key, expected", [("nvidia-smi --version", "13.0"), ("nvidia-smi", "13.0"),
                                           ("nvidia-smi -L", None)])
def test_nvidia_smi_cuda_version(key: str, expected: str | None) -> None:
    assert d.parse_nvidia_smi_cuda_version(SMI[key]).value == expected


@pytest.mark.parametrize("text, expected", [
    (h100_system()["/proc/driver/nvidia/version"], "580.159.04"),  # open kernel module, real capture
    ((DATA / "proc-driver-version-535.txt").read_text(), "535.104.05"),  # proprietary module
    ("580.159.04\n", "580.159.04"),  # /sys/module/nvidia/version
    ("", None),
    ("NVRM version: something else\n", None),
])
def test_proc_driver_version(text: str, expected: str | None) -> None:
    r = d.parse_proc_driver_version(text)
    assert r.value == expected
    assert (r.reason is None) == (expected is not None)


def test_os_release_real_capture() -> None:
    r = d.parse_os_release(h100_system()["/etc/os-release"])
    assert r.value is not None
    assert r.value["PRETTY_NAME"] == "Ubuntu 24.04.3 LTS" and r.value["ID"] == "ubuntu" and r.value["VERSION_ID"] == "24.04"


@pytest.mark.parametrize("text, expected", [
    ("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\n", "Intel(R) Xeon(R) Processor"),
    ("processor\t: 0\nBogoMIPS\t: 50.00\n", None),
])
def test_cpuinfo(text: str, expected: str | None) -> None:
    assert d.parse_cpuinfo(text).value == expected


def test_meminfo() -> None:
    assert d.parse_meminfo("MemTotal:       131980980 kB\nMemFree: 1 kB\n").value == 128887


def test_wmi_video() -> None:
    r = d.parse_wmi_video((DATA / "wmi-video.json").read_text())
    assert r.value is not None
    assert [(g.name, g.vendor) for g in r.value] == [("Intel(R) UHD Graphics", "intel"),
                                                    ("NVIDIA GeForce RTX 4090 Laptop GPU", "nvidia")]
    single = json.dumps(json.loads((DATA / "wmi-video.json").read_text())[1])  # one adapter: an object, not a list
    assert d.parse_wmi_video(single).value == (r.value[1].__class__(**{**r.value[1].__dict__, "index": 0}),)


def test_system_profiler_apple_silicon() -> None:
    r = d.parse_system_profiler((DATA / "system-profiler-m2.json").read_text())
    assert r.value is not None
    (g,) = r.value
    assert (g.name, g.vendor) == ("Apple M2 Pro", "apple")


@pytest.mark.parametrize("text, expected", [
    ("cpu_cores_count 64\ngfx_target_version 0\n", None),
    ("simd_count 416\ngfx_target_version 90010\n", "gfx90a"),
    ("gfx_target_version 110000\n", "gfx1100"),
    ("gfx_target_version 90402\n", "gfx942"),
    ("gfx_target_version 100300\n", "gfx1030"),
])
def test_gfx_target_version(text: str, expected: str | None) -> None:
    assert d.parse_gfx_target_version(text).value == expected


def test_rocminfo() -> None:
    assert d.parse_rocminfo((DATA / "rocminfo-mi210.txt").read_text()).value == ("gfx90a",)


@pytest.mark.parametrize("name, expected", [
    ("pytorch-2.5.1-py3.11_cuda12.4_cudnn9.1.0_0.json", ("pytorch", "2.5.1", "py3.11_cuda12.4_cudnn9.1.0_0")),
    ("python-3.11.9-h955ad1f_0.json", ("python", "3.11.9", "h955ad1f_0")),
    ("ca-certificates-2024.7.2-h06a4308_0.json", ("ca-certificates", "2024.7.2", "h06a4308_0")),
    ("history", None),
])
def test_conda_meta_name(name: str, expected: tuple[str, str, str] | None) -> None:
    assert d.parse_conda_meta_name(name).value == expected


def test_pci_ids_name() -> None:
    db = (DATA / "pci.ids").read_text()
    assert d.parse_pci_ids_name(db, "0x10de", "0x2331").value == "GH100 [H100 PCIe]"
    assert d.parse_pci_ids_name(db, "0x1002", "0x740f").value == "Aldebaran/MI200 [Instinct MI210]"
    assert d.parse_pci_ids_name(db, "0x10de", "0x740f").value is None


@pytest.mark.parametrize("text, expected", [
    ("RTX 4090:8.9;GTX 1080:6.1", (("RTX 4090", "8.9"), ("GTX 1080", "6.1"))),
    ("H100 80GB HBM3", (("H100 80GB HBM3", None),)),
    ("none", ()),
    ("RTX 4090:fast", None),
])
def test_gpu_overrides(text: str, expected: object) -> None:
    assert d.parse_gpu_overrides(text).value == expected


def test_pci_devices_tree(tmp_path: Path) -> None:
    f1, l1 = pci_device("0000:00:06.0", "0x10de", "0x2331", "0x030200", None)
    f2, l2 = pci_device("0000:00:02.0", "0x8086", "0xa788", "0x030000", "i915")
    f3, _ = pci_device("0000:00:1f.0", "0x10de", "0x1aeb", "0x0c0330", None)  # NVIDIA USB controller: not a GPU
    layout(tmp_path, {**f1, **f2, **f3}, {**l1, **l2})
    r = d.parse_pci_devices(tmp_path / "sys/bus/pci/devices")
    assert r.value == (d.PciDevice("0000:00:02.0", "0x8086", "0xa788", "i915"),
                       d.PciDevice("0000:00:06.0", "0x10de", "0x2331", None))
    assert d.parse_pci_devices(tmp_path / "missing").reason


# --- garbage in: no exception escapes, a reason is always given ----------------------------------------------------

TEXT_PARSERS = [d.parse_nvidia_smi_csv, d.parse_nvidia_smi_cuda_version, d.parse_proc_driver_version,
                d.parse_os_release, d.parse_cpuinfo, d.parse_meminfo, d.parse_wmi_video, d.parse_system_profiler,
                d.parse_gfx_target_version, d.parse_rocminfo, d.parse_conda_meta_name, d.parse_dist_info_version,
                d.parse_gpu_overrides]

# text that looks enough like the real thing to get past the first checks
near_misses = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(list(",.:;[]{}\"'\n\t =0123456789abcxMiBNA/-")), max_size=200),
    st.builds(lambda a, b: "index, name, compute_cap, memory.total [MiB]\n" + a + ", " + b, st.text(), st.text()),
    st.builds(lambda v: json.dumps(v), st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                                                    lambda c: st.lists(c) | st.dictionaries(st.text(), c))),
    st.builds(lambda v: json.dumps({"SPDisplaysDataType": v}),
              st.lists(st.dictionaries(st.sampled_from(["sppci_model", "_name", "spdisplays_vendor",
                                                        "spdisplays_vram"]), st.text() | st.integers()))),
)


@pytest.mark.parametrize("parser", TEXT_PARSERS, ids=lambda p: p.__name__)
@settings(max_examples=100, deadline=None)
@given(text=near_misses)
def test_garbage_never_raises(parser: object, text: str) -> None:
    r = parser(text)  # type: ignore[operator]
    assert isinstance(r, d.Parsed)
    if r.value is None:
        assert r.reason


@settings(max_examples=60, deadline=None)
@given(files=st.dictionaries(st.sampled_from(["class", "vendor", "device"]), st.binary(max_size=40)),
       driver=st.booleans())
def test_pci_garbage_never_raises(files: dict[str, bytes], driver: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        dev = Path(tmp) / "0000:00:01.0"
        dev.mkdir()
        for k, v in files.items():
            (dev / k).write_bytes(v)
        if driver:
            (dev / "driver").symlink_to("/nonexistent/\xe9")
        r = d.parse_pci_devices(Path(tmp))
        assert isinstance(r, d.Parsed) and (r.value is not None or r.reason)


def test_h100_capture_exists() -> None:
    assert (H100 / "nvml.json").is_file()
