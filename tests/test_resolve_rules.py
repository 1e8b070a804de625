"""The resolver's rules, one table row each, on the hand-made matrix in matrix_factory."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.matrix import Targets
from desktop.model import GpuInfo, Host, Preferences
from desktop.resolve import PreferenceError, check_plan, resolve
from desktop.rules import gpu_coverage, newest_cuda_for_driver
from matrix_factory import make_data, make_matrix

TODAY = date(2026, 11, 26)
M = make_matrix()


def gpu(cc: str, name: str | None = None, index: int = 0) -> GpuInfo:
    return GpuInfo(index, name or f"GPU sm_{cc.replace('.', '')}", "nvidia", cc)


def host(*ccs: str, driver: str | None = "580.65.06", os: str = "linux", machine: str = "x86_64") -> Host:
    return Host(os=os, machine=machine, gpus=tuple(gpu(c, index=i) for i, c in enumerate(ccs)), driver=driver, hypothetical=True)


# --- GPU coverage: SASS same major y <= z, PTX <= cc by JIT, arch-specific only exact ------------------------------
COVERAGE = [
    # sass, ptx, gpu cc, covered, via PTX
    (["8.0"], [], "8.6", True, False),      # sm_80 cubin runs on 8.6
    (["8.6"], [], "8.0", False, False),     # but not the other way round
    (["8.0"], [], "9.0", False, False),     # never across majors
    (["8.6"], [], "8.9", True, False),      # Ada runs Ampere 8.6 cubins
    (["8.0"], ["8.0"], "9.0", True, True),  # PTX compute_80 JIT-compiles for Hopper
    (["8.0"], ["8.0"], "12.0", True, True),
    (["9.0"], ["9.0"], "8.6", False, False),  # PTX never runs backwards
    (["9.0a"], [], "9.0", True, False),     # arch-specific: exactly 9.0
    (["9.0a"], [], "10.0", False, False),   # ... and nothing else
    (["10.0a"], [], "10.3", False, False),
    ([], ["9.0a"], "10.0", False, False),
    (["12.0"], [], "12.1", True, False),    # GB10 (12.1) runs sm_120
    ([], [], "8.6", False, False),
]


@pytest.mark.parametrize("sass,ptx,cc,ok,via_ptx", COVERAGE)
def test_gpu_coverage(sass: list[str], ptx: list[str], cc: str, ok: bool, via_ptx: bool) -> None:
    cov = gpu_coverage(Targets(tuple(sass), tuple(ptx)), cc)
    assert (cov.ok, cov.via_ptx) == (ok, via_ptx), cov.detail


# --- whole resolutions ----------------------------------------------------------------------------------------------
# id, host, prefs, status, torch, variant, python, substrings that must appear in checks (or no_match reasons)
CASES = [
    ("5090-driver-580", host("12.0", driver="580.65.06"), Preferences(), "ok", "3.1.0", "cu130", "3.14",
     ["SASS sm_120 runs on sm_120", "580.65.06, CUDA 13.0's own minimum"]),
    ("5090-driver-575", host("12.0", driver="575.51.02"), Preferences(), "ok", "3.1.0", "cu128", "3.14",
     ["the index default, cu130, does not fit: driver 575.51.02 is older than 580.65.06", "CUDA 12.8's own minimum"]),
    ("5090-driver-560-minor-compat", host("12.0", driver="560.35.03"), Preferences(), "ok", "3.1.0", "cu128", "3.14",
     ["minor-version-compatibility floor"]),
    ("5090-driver-520-too-old", host("12.0", driver="520.61.05"), Preferences(), "no_match", None, None, None,
     ["update the driver"]),
    ("gtx1080-newest-that-has-pascal", host("6.1"), Preferences(), "ok", "2.9.1", "cu121", "3.13",
     ["SASS sm_60 runs on sm_61", "no kernels for sm_61"]),
    ("ada-runs-ampere-cubins", host("8.9"), Preferences(torch="2.9"), "ok", "2.9.1", "cu121", "3.13", ["SASS sm_86 runs on sm_89"]),
    ("hopper-arch-specific", host("9.0"), Preferences(torch="2.9"), "ok", "2.9.1", "cu121", "3.13", ["SASS sm_90a runs on sm_90"]),
    ("blackwell-through-ptx", host("10.0"), Preferences(torch="2.9"), "ok", "2.9.1", "cu121", "3.13", ["JIT-compiled"]),
    ("ptx-needs-own-driver", host("10.0", driver="528.02"), Preferences(torch="2.9"), "no_match", None, None, None,
     ["cannot JIT-compile PTX"]),
    ("kepler-falls-back-to-1.12", host("3.7", driver="470.82.01"), Preferences(), "ok", "1.12.1", "cu113", "3.10", ["numpy<2"]),
    ("python-pin-forces-older-release", host("8.6"), Preferences(python="3.9"), "ok", "2.9.1", "cu121", "3.9",
     ["Python 3.9 as pinned", "Python 3.9 is not supported by torch 3.1.0"]),
    ("torch-pin-needs-numpy-lt-2", host("8.6", driver="470.82.01"), Preferences(torch="1.12"), "ok", "1.12.1", "cu113", "3.10", ["numpy<2"]),
    ("torch-pin-prefix-newest-patch", host("8.6"), Preferences(torch="2.9"), "ok", "2.9.1", "cu121", "3.13", []),
    ("torch-pin-exact", host("8.6"), Preferences(torch="2.9.0"), "ok", "2.9.0", "cu121", "3.13", []),
    ("unmeetable-python-and-gpu", host("6.1"), Preferences(python="3.14"), "no_match", None, None, None,
     ["no kernels for sm_61", "Python 3.14 is not supported by torch 2.9.1"]),
    ("unknown-torch-pin", host("8.6"), Preferences(torch="4.0"), "no_match", None, None, None, ["no torch release matches --torch 4.0"]),
    ("unknown-variant-pin", host("8.6"), Preferences(variant="cu999"), "no_match", None, None, None, ["has a cu999 build"]),
    ("variant-pin-cpu-with-gpu", host("8.6"), Preferences(variant="cpu"), "ok", "3.1.0", "cpu", "3.14", ["the GPU will not be used"]),
    ("two-gpus-no-common-build", host("3.7", "12.0", driver="580.65.06"), Preferences(), "no_match", None, None, None, []),
    ("two-gpus-one-build", host("6.1", "8.6"), Preferences(), "ok", "2.9.1", "cu121", "3.13", ["sm_61", "sm_86"]),
    ("no-gpu", host(driver=None), Preferences(), "ok", "3.1.0", "cpu", "3.14", ["no supported GPU"]),
    ("macos-arm64", Host(os="macos", machine="arm64", hypothetical=True), Preferences(), "ok", "3.1.0", "cpu", "3.14", ["MPS"]),
    ("amd-rocm", Host(gpus=(GpuInfo(0, "Radeon PRO W7900", "amd", gfx="gfx1100"),), hypothetical=True), Preferences(), "ok", "3.1.0", "rocm7.0", "3.14", []),
    ("amd-without-rocm-build-gets-cpu", Host(machine="aarch64", gpus=(GpuInfo(0, "Radeon PRO W7900", "amd", gfx="gfx1100"),),
                                               hypothetical=True), Preferences(), "ok", "3.1.0", "cpu", "3.14",
     ["no ROCm build in the data runs on Radeon PRO W7900 (gfx1100) on linux-aarch64"]),
    ("windows-uses-windows-driver-column", host("8.6", driver="570.30", os="windows"), Preferences(), "ok", "3.1.0", "cu128", "3.14",
     ["CUDA 12.8's own minimum is 570.65"]),
    ("driver-unknown", host("8.6", driver=None), Preferences(), "ok", "3.1.0", "cu130", "3.14", ["driver not known"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_resolve(case) -> None:  # type: ignore[no-untyped-def]
    _id, h, prefs, status, torch, variant, python, needles = case
    res = resolve(M, h, prefs, today=TODAY)
    assert res.status == status, res.summary
    text = "\n".join(c.detail for c in res.checks) + "\n" + "\n".join(
        r for c in res.rejected for r in c.reasons) + "\n" + "\n".join(res.warnings)
    if status == "ok":
        assert res.plan is not None
        assert (res.plan.torch, res.plan.variant, res.plan.python) == (torch, variant, python)
        assert all(c.ok for c in res.checks if c.check not in ("release",)), res.checks
    else:
        assert res.plan is None
        assert res.checks and not any(c.ok for c in res.checks)
    for n in needles:
        assert n in text, f"{n!r} not in:\n{text}"


def test_two_gpus_without_common_build_offers_each_gpu_its_own_option() -> None:
    res = resolve(M, host("3.7", "12.0"), today=TODAY)
    assert res.status == "no_match"
    per_gpu = [w for w in res.warnings if "alone" in w]
    assert any("sm_37" in w and "torch 1.12.1 cu113" in w for w in per_gpu), per_gpu
    assert any("sm_120" in w and "torch 3.1.0 cu130" in w for w in per_gpu), per_gpu
    # the CPU build stays on offer
    assert any(c.variant == "cpu" for c in res.alternatives)


def test_python_must_be_out_for_a_year() -> None:
    res = resolve(M, host("8.6"), today=date(2026, 6, 1))
    assert res.plan is not None and res.plan.python == "3.13"  # 3.14 (2025-10-07) is not a year old yet


def test_prerelease_python_does_not_count() -> None:
    data = make_data()
    data["python_releases"].append({"version": "3.15", "released": "2026-10-01", "source": ["t"]})
    data["torch_releases"][0]["python"].append("3.15")
    m = make_matrix(data)
    res = resolve(m, host("8.6"), Preferences(python="3.15"), today=date(2026, 6, 1))
    assert res.status == "no_match"
    assert any("not released yet (due 2026-10-01)" in c.detail for c in res.checks)
    res = resolve(m, host("8.6"), today=date(2026, 6, 1))
    assert res.plan is not None and "3.15" not in res.plan.python_choices
    res = resolve(m, host("8.6"), Preferences(python="3.15"), today=TODAY)
    assert res.status == "ok" and res.plan is not None and res.plan.python == "3.15"


def test_no_match_reasons_leave_out_builds_this_machine_would_not_use() -> None:
    res = resolve(M, host("12.0", driver="520.61.05"), today=TODAY)
    assert res.status == "no_match"
    text = " ".join(c.detail for c in res.checks)
    assert "update the driver" in text and "ROCm" not in text and "AMD" not in text


def test_every_rejected_build_says_why_and_alternatives_are_installable() -> None:
    res = resolve(M, host("6.1"), today=TODAY)
    assert res.rejected and all(c.reasons for c in res.rejected)
    assert res.alternatives and all(c.plan is not None for c in res.alternatives)
    listed = {(c.torch, c.variant) for c in (*res.alternatives, *res.rejected)} | {(res.plan.torch, res.plan.variant)}  # type: ignore[union-attr]
    linux_builds = {(r.version, b.variant) for r, b in M.iter_builds() if "linux-x86_64" in b.platforms}
    assert listed == linux_builds


@pytest.mark.parametrize("machine", ["arm64", "aarch64", "ARM64"])
def test_windows_on_arm_uses_the_schemas_windows_arm64_key(machine: str) -> None:
    data = make_data()
    cpu = next(b for b in data["torch_releases"][0]["builds"] if b["variant"] == "cpu")
    cpu["platforms"]["windows-arm64"] = {}
    data["torch_releases"][0]["default_variant"]["windows-arm64"] = "cpu"
    h = Host(os="windows", machine=machine, hypothetical=True)
    assert h.platform == "windows-arm64"
    res = resolve(make_matrix(data), h, today=TODAY)
    assert res.plan is not None and (res.plan.torch, res.plan.variant) == ("3.1.0", "cpu"), res.summary


def test_index_default_wins_over_newer_cuda_when_it_passes() -> None:
    data = make_data()
    data["torch_releases"][0]["default_variant"]["linux-x86_64"] = "cu128"
    res = resolve(make_matrix(data), host("12.0"), today=TODAY)
    assert res.plan is not None and res.plan.variant == "cu128"


@pytest.mark.parametrize("prefs,msg", [
    (Preferences(python="3.x"), "--python must look like 3.12"),
    (Preferences(torch="two"), "--torch must look like"),
    (Preferences(variant="cuda12"), "--variant must look like"),
])
def test_malformed_pins_raise(prefs: Preferences, msg: str) -> None:
    with pytest.raises(PreferenceError, match=msg):
        resolve(M, host("8.6"), prefs, today=TODAY)


def test_plan_fields_and_json_contract() -> None:
    res = resolve(M, host("8.6", driver="470.82.01"), Preferences(torch="1.12"), today=TODAY)
    j = res.to_json()
    assert set(j) >= {"status", "plan", "checks", "alternatives", "rejected", "warnings"}
    assert set(j["plan"]) >= {"torch", "variant", "python", "torchvision", "torchaudio", "numpy", "index_url"}
    assert j["plan"]["numpy"] == "<2" and j["plan"]["variant"] == "cu113"
    assert all(set(c) == {"check", "ok", "detail", "source"} for c in j["checks"])
    assert res.plan is not None
    assert res.plan.pip_requirements() == ["torch==1.12.1", "torchvision==0.13.1", "torchaudio==0.12.1", "numpy<2"]


def test_check_plan_explains_a_foreign_plan() -> None:
    res = resolve(M, host("8.6"), Preferences(torch="2.9"), today=TODAY)
    assert res.plan is not None
    checks = check_plan(M, host("12.0", driver="525.60.13"), res.plan)
    bad = [c.detail for c in checks if not c.ok]
    assert any("cannot JIT-compile PTX" in d for d in bad), checks


def test_newest_cuda_for_driver() -> None:
    assert newest_cuda_for_driver(M, host(driver="575.51.02")).version == "12.8"  # type: ignore[union-attr]
    assert newest_cuda_for_driver(M, host(driver="580.65.06")).version == "13.0"  # type: ignore[union-attr]
    assert newest_cuda_for_driver(M, host(driver="400.1")) is None
