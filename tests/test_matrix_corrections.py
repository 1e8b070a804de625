"""Pins for the facts corrected in docs/data-review-2026-12-01.md: each test names the fact and the source it rests on.

A data update that changes one of these must change this file and say why in the review document.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from desktop.matrix import BUNDLED_MATRIX, load_matrix
from desktop.model import GpuInfo, Host
from desktop.resolve import resolve

M = load_matrix()
DATA = json.loads(BUNDLED_MATRIX.read_text(encoding="utf-8"))
TODAY = date(2026, 12, 1)


def build(torch: str, variant: str):  # type: ignore[no-untyped-def]
    r = M.release(torch)
    assert r is not None, torch
    return r, r.build(variant)


# --- torchaudio after 2.11 (test-infra release_versions.sh, #8043/#8052, the wheels' own version.py/_check_cuda_version)

@pytest.mark.parametrize("torch", ["2.12.0", "2.12.1", "2.13.0", "2.14.0", "2.14.1"])
@pytest.mark.parametrize("variant, expected", [("cu126", "2.11.0"), ("cu130", "2.11.0"), ("cu132", "2.11.0"), ("cpu", "2.11.0")])
def test_torchaudio_2_11_0_for_2_12_to_2_14_from_the_builds_own_index(torch: str, variant: str, expected: str) -> None:
    r, b = build(torch, variant)
    assert b is not None and r.companion(b, "torchaudio") == expected


@pytest.mark.parametrize("torch, variant", [("2.12.1", "cu129"), ("2.13.0", "cu129"), ("2.14.0", "rocm7.14"), ("2.14.1", "rocm7.14")])
def test_no_torchaudio_where_none_was_built(torch: str, variant: str) -> None:
    # torchaudio 2.11.0 refuses a torch whose CUDA major.minor differs; no 12.9 or ROCm 7.14 torchaudio exists
    r, b = build(torch, variant)
    assert b is not None and r.companion(b, "torchaudio") is None


def test_torchaudio_2_11_1_pairs_with_2_15_0_and_is_a_known_release() -> None:
    r = M.release("2.15.0")
    assert r is not None and r.torchaudio == "2.11.1"
    assert "2.11.1" in M.packages["torchaudio"]


def test_plan_pins_torchaudio_with_the_builds_local_version() -> None:
    res = resolve(M, Host(gpus=(GpuInfo(0, "H100", "nvidia", "9.0"),), driver="580.65.06", hypothetical=True),
                  today=TODAY)
    assert res.plan is not None and (res.plan.torch, res.plan.variant) == ("2.15.0", "cu132")
    assert "torchaudio==2.11.1+cu132" in res.plan.pip_requirements()


# --- cu129 after 2.11 (test-infra #7917 removed it before the 2.12 cut; #186015 revived it, Linux only)

def test_no_cu129_in_2_12_0() -> None:
    _r, b = build("2.12.0", "cu129")
    assert b is None


@pytest.mark.parametrize("torch", ["2.12.1", "2.13.0"])
def test_cu129_is_linux_only_in_2_12_1_and_2_13_0(torch: str) -> None:
    _r, b = build(torch, "cu129")
    assert b is not None and set(b.platforms) == {"linux-x86_64", "linux-aarch64"}
    assert "pt-pr-186015" in b.source


def test_rtx_5090_on_windows_with_a_575_driver_gets_no_cu129() -> None:
    host = Host(os="windows", gpus=(GpuInfo(0, "RTX 5090", "nvidia", "12.0"),), driver="576.02", hypothetical=True)
    res = resolve(M, host, today=TODAY)
    assert res.plan is not None and res.plan.variant != "cu129"


# --- ROCm builds (test-infra 00fa5780; pytorch release/1.13 build matrix; builder release/1.10 images)

@pytest.mark.parametrize("torch, variants", [
    ("2.14.0", {"rocm7.2", "rocm7.14"}), ("2.14.1", {"rocm7.2", "rocm7.14"}),
    ("1.13.0", {"rocm5.1.1", "rocm5.2"}), ("1.13.1", {"rocm5.1.1", "rocm5.2"}),
    ("1.10.2", {"rocm4.0.1", "rocm4.1", "rocm4.2"}),
])
def test_rocm_builds_per_release(torch: str, variants: set[str]) -> None:
    r = M.release(torch)
    assert r is not None and {b.variant for b in r.builds if b.kind == "rocm"} == variants


@pytest.mark.parametrize("torch, variant, gfx", [
    ("2.0.1", "rocm5.4.2", ("gfx900", "gfx906", "gfx908", "gfx90a", "gfx1030")),  # builder release/2.0
    ("2.2.2", "rocm5.7", ("gfx900", "gfx906", "gfx908", "gfx90a", "gfx1030", "gfx1100")),  # builder release/2.2
    ("2.3.1", "rocm5.7", ("gfx900", "gfx906", "gfx908", "gfx90a", "gfx1030", "gfx1100")),  # gfx942 only from ROCm 6.0
    ("2.3.1", "rocm6.0", ("gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx1030", "gfx1100")),
    ("1.13.1", "rocm5.1.1", ("gfx900", "gfx906", "gfx908", "gfx90a", "gfx1030")),  # builder release/1.13
])
def test_rocm_gfx_lists_read_from_the_builder_branches(torch: str, variant: str, gfx: tuple[str, ...]) -> None:
    _r, b = build(torch, variant)
    assert b is not None and b.platforms["linux-x86_64"].gfx == gfx


def test_no_rocm_build_claimed_for_2_15_0_and_the_doubt_is_written_down() -> None:
    r = M.release("2.15.0")
    assert r is not None and not [b for b in r.builds if b.kind == "rocm"]
    assert "ROCm: no source seen for the 2.15 ROCm set" in (r.note or "")


# --- toolkits

def test_cuda_11_4_reaches_compute_capability_8_7() -> None:
    tk = M.cuda("11.4")
    assert tk is not None and tk.cc_max == "8.7" and tk.supports_cc("8.7") and "cmake-cuda-archs" in tk.source
    tk = M.cuda("11.3")
    assert tk is not None and not tk.supports_cc("8.7")


# --- GPU table

def test_inferred_gpu_rows_are_marked() -> None:
    rows = DATA["gpus"]
    inferred = [g for g in rows if g.get("inferred")]
    assert len(inferred) == 44  # 77 last round; 33 confirmed by the completed pages (tests/test_gpu_coverage.py)
    for g in rows:
        assert bool(g.get("inferred")) == (g["source"] == ["td-derived"]), g["name"]


# --- open questions stay visibly open

@pytest.mark.parametrize("torch, needle", [
    ("2.15.0", "cu130 besides cu132"),
    ("2.14.0", "CUDA 13.4 (cu134)"),
])
def test_uncertain_points_are_noted_not_guessed(torch: str, needle: str) -> None:
    r = M.release(torch)
    assert r is not None and needle in (r.note or "")
    assert not (torch == "2.15.0" and r.build("cu130")) and not (torch == "2.14.0" and r.build("cu134"))


# --- every model on NVIDIA's two CUDA GPU pages (the transcription's blocks A and B) is in the table, with the page's cc

def _page_rows() -> list[tuple[str, str, str]]:
    from pathlib import Path

    text = (Path(__file__).parent / "data_review" / "cuda-gpus-pages-2026-12-01.txt").read_text(encoding="utf-8")
    return [tuple(line.split("|")) for line in text.splitlines() if line and not line.startswith("#")]  # type: ignore[misc]


@pytest.mark.parametrize("page, cc, name", _page_rows())
def test_nvidia_page_model_is_in_the_gpu_table(page: str, cc: str, name: str) -> None:
    g = M.find_gpu(name) or M.find_gpu(name.replace(" (DGX Spark)", ""))
    assert g is not None, f"{name} ({page}) is missing from gpus"
    assert g.cc in cc.split("/"), f"{name}: {g.cc} in the data, {cc} on {page}"  # "3.0/5.0": the page gives both


@pytest.mark.parametrize("nvml_name, cc", [
    ("NVIDIA GeForce RTX 2070 with Max-Q Design", "7.5"),
    ("NVIDIA GeForce GTX 1650 with Max-Q Design", "7.5"),
    ("NVIDIA GeForce GTX 1050 Ti with Max-Q Design", "6.1"),
    ("Quadro RTX 4000 with Max-Q Design", "7.5"),
])
def test_max_q_laptop_names_as_nvml_prints_them(nvml_name: str, cc: str) -> None:
    # real NVML/driver spellings from public captures; the Max-Q part is the same chip as the plain model
    g = M.find_gpu(nvml_name)
    assert g is not None and g.cc == cc


# --- open questions, re-checked 2026-12-01: each is settled with its source or stays marked uncertain with both sides

def test_2_14_cu134_stays_out_and_names_both_sides() -> None:
    for v in ("2.14.0", "2.14.1"):
        r = M.release(v)
        assert r is not None and r.build("cu134") is None
        note = r.note or ""
        assert "CUDA 13.4 (cu134): uncertain, not added" in note
        assert "00fa5780" in note and "#194367" in note and "#190355" in note
        assert "pt-rfc-190355" in r.source


def test_2_15_cu130_stays_out_and_names_both_sides() -> None:
    r = M.release("2.15.0")
    assert r is not None and r.build("cu130") is None and r.build("cu132") is not None
    assert "cu130 besides cu132: uncertain, not added" in (r.note or "") and "#190385" in (r.note or "")
    assert "pt-rfc-190385" in r.source


def test_1_8_0_cu111_sass_list_is_marked_uncertain_with_the_competing_list() -> None:
    r = M.release("1.8.0")
    b = r.build("cu111") if r is not None else None
    assert b is not None and b.note is not None
    assert b.note.startswith("sm_86 included") and "Uncertain SASS list" in b.note
    assert "'5.0;7.0;8.0;8.6'" in b.note  # the pre-commit list a wheel built before 8924a150 would carry
    assert "8.6" in b.platforms["linux-x86_64"].sass and "3.7" in b.platforms["linux-x86_64"].sass  # post-commit list kept


def test_cuda_13_0_windows_driver_is_enough_but_not_proven_minimal() -> None:
    tk = M.cuda("13.0")
    assert tk is not None and tk.driver_min["windows"] == "580.88"
    assert "Windows 580.88: uncertain as a minimum" in (tk.note or "") and "cudajl-2831" in tk.source


def test_1_8_2_lts_is_settled_and_not_planned() -> None:
    assert M.release("1.8.2") is None
    note = next(n for n in M.notes if n.startswith("PyTorch 1.8.2 LTS"))
    assert "download.pytorch.org/whl/lts/1.8/cu102" in note and "Python <= 3.8" in note and "not planned" in note
    assert "pt-lts-1-8-2" in DATA["sources"]
