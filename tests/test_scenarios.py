"""The issue's scenarios on the real, bundled data. Expected answers were read off the sources cited in
matrix.json (PyPI metadata, PyTorch's build scripts, NVIDIA's driver table); a data update that changes one
of them must change this table too."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.matrixload import load_matrix
from desktop.model import GpuInfo, Host, Preferences
from desktop.resolve import resolve

TODAY = date(2026, 11, 26)
M = load_matrix()


def nv(*names: str, driver: str | None = None, os: str = "linux", machine: str = "x86_64") -> Host:
    gpus = []
    for i, n in enumerate(names):
        g = M.find_gpu(n)
        assert g is not None, n
        gpus.append(GpuInfo(i, g.name, "nvidia", g.cc))
    return Host(os=os, machine=machine, gpus=tuple(gpus), driver=driver, hypothetical=True)


SCENARIOS = [
    # id, host, prefs, status, (torch, variant, python, numpy)
    ("rtx5090-driver-575: CUDA 13 builds need 580, so the newest CUDA 12 build with sm_120",
     nv("RTX 5090", driver="575.51.03"), Preferences(), "ok", ("2.13.0", "cu129", "3.14", None)),
    ("rtx5090-driver-580: CUDA 13.2 default through minor-version compatibility",
     nv("RTX 5090", driver="580.65.06"), Preferences(), "ok", ("2.15.0", "cu132", "3.14", None)),
    # 12.x minor-version compatibility alone would allow cu128/cu129, but no driver before R570 runs Blackwell
    ("rtx5090-driver-560: the driver predates Blackwell (R570 floor), so no GPU build",
     nv("RTX 5090", driver="560.35.03"), Preferences(), "no_match", None),
    ("rtx5090-driver-570.26: at Blackwell's floor, 12.8/12.9 via the 12.x minor-compat floor",
     nv("RTX 5090", driver="570.26"), Preferences(), "ok", ("2.13.0", "cu129", "3.14", None)),
    ("gtx1080-newest-release-dropped-pascal", nv("GTX 1080", driver="580.65.06"), Preferences(), "ok", ("2.14.1", "cu126", "3.14", None)),
    ("gtx1080-pinned-to-newest-release", nv("GTX 1080", driver="580.65.06"), Preferences(torch="2.15"), "no_match", None),
    ("h100-driver-580-capture", nv("H100 80GB HBM3", driver="580.159.04"), Preferences(), "ok", ("2.15.0", "cu132", "3.14", None)),
    ("python-3.8-forces-2.4", nv("RTX 3090", driver="550.54.14"), Preferences(python="3.8"), "ok", ("2.4.1", "cu121", "3.8", None)),
    ("torch-2.2-needs-numpy-lt-2", nv("RTX 3090", driver="550.54.14"), Preferences(torch="2.2"), "ok", ("2.2.2", "cu121", "3.12", "<2")),
    ("unmeetable-pin", nv("RTX 3090", driver="550.54.14"), Preferences(torch="2.0", python="3.12"), "no_match", None),
    ("two-gpus-no-common-build", nv("Tesla K80", "RTX 5090", driver="580.65.06"), Preferences(), "no_match", None),
    ("no-gpu", Host(hypothetical=True), Preferences(), "ok", ("2.15.0", "cpu", "3.14", None)),
    ("macos-arm64", Host(os="macos", machine="arm64", hypothetical=True), Preferences(), "ok", ("2.15.0", "cpu", "3.14", None)),
]


@pytest.mark.parametrize("case", SCENARIOS, ids=[s[0].split(":")[0] for s in SCENARIOS])
def test_scenario(case) -> None:  # type: ignore[no-untyped-def]
    _id, host, prefs, status, expected = case
    res = resolve(M, host, prefs, today=TODAY)
    assert res.status == status, (res.summary, [c.detail for c in res.checks])
    if expected is not None:
        p = res.plan
        assert p is not None
        assert (p.torch, p.variant, p.python, p.numpy) == expected, res.summary


def test_gtx1080_on_newest_release_says_pascal_was_dropped() -> None:
    res = resolve(M, nv("GTX 1080", driver="580.65.06"), Preferences(torch="2.15"), today=TODAY)
    assert any("no kernels for sm_61" in c.detail for c in res.checks)


def test_two_gpus_get_an_option_each() -> None:
    res = resolve(M, nv("Tesla K80", "RTX 5090", driver="580.65.06"), today=TODAY)
    alone = [w for w in res.warnings if "alone" in w]
    assert len(alone) == 2 and "Tesla K80" in alone[0] and "RTX 5090" in alone[1]


def test_macos_uses_default_pypi_wheels() -> None:
    res = resolve(M, Host(os="macos", machine="arm64", hypothetical=True), today=TODAY)
    assert res.plan is not None and res.plan.index_url == "https://pypi.org/simple"
    assert any("MPS" in c.detail for c in res.checks)


def test_unmeetable_pin_lists_every_reason() -> None:
    res = resolve(M, nv("RTX 3090", driver="550.54.14"), Preferences(torch="2.0", python="3.12"), today=TODAY)
    text = " ".join(c.detail for c in res.checks)
    assert "Python 3.12" in text and "2.0" in text
