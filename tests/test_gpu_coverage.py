"""`torchdesk matrix --check` holds the GPU table against NVIDIA's two CUDA GPU pages (desktop/gpucoverage.py).

The reference list is desktop/resources/nvidia_gpu_pages.json, the shipped form of the transcription in
tests/data_review/cuda-gpus-pages-2026-12-01.txt (see docs/data-review-2026-12-01.md, "GPU pages completed").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.gpucoverage import NVIDIA_PAGES, ReferenceError, coverage_problems, load_reference, parse_reference
from desktop.matrix import BUNDLED_MATRIX, load_matrix

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPTION = Path(__file__).parent / "data_review" / "cuda-gpus-pages-2026-12-01.txt"
M = load_matrix()
DATA = json.loads(BUNDLED_MATRIX.read_text(encoding="utf-8"))


def td(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_bundled_table_covers_both_pages() -> None:
    ref = load_reference()
    assert set(ref.pages) == {"cuda-gpus", "cuda-legacy-gpus"}
    assert ref.count("cuda-gpus") == 86 and ref.count("cuda-legacy-gpus") == 150
    assert coverage_problems(M, ref) == []


def test_shipped_list_is_the_reviewed_transcription() -> None:
    rows = [tuple(line.split("|")) for line in TRANSCRIPTION.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    ref = load_reference()
    assert sorted(rows) == sorted((m.page, "/".join(m.ccs), m.name) for m in ref.models)
    # block A: the stored copies of today's pages; block B: the dated copy that fills the rows they did not show
    assert {m.block for m in ref.models} == {"A", "B"}
    assert all(m.block == "B" for m in ref.models if m.name in ("NVIDIA A100", "Tesla K80", "GeForce GTX 860M"))


def _check_with(tmp_path: Path, edit) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    data = json.loads(BUNDLED_MATRIX.read_text(encoding="utf-8"))
    edit(data["gpus"])
    f = tmp_path / "matrix.json"
    f.write_text(json.dumps(data), encoding="utf-8")
    return td("--matrix-file", str(f), "matrix", "--check")


def test_a_model_removed_from_the_table_fails_the_check_by_name(tmp_path: Path) -> None:
    def drop(gpus: list[dict]) -> None:  # type: ignore[type-arg]
        gpus[:] = [g for g in gpus if g["name"] not in ("GeForce GTX 860M", "Quadro RTX 3000")]

    p = _check_with(tmp_path, drop)
    assert p.returncode == 1
    assert "'GeForce GTX 860M' (cc 3.0/5.0 on NVIDIA's cuda-legacy-gpus page) is not in the GPU table" in p.stdout
    assert "'RTX 3000' (cc 7.5 on NVIDIA's cuda-gpus page) is not in the GPU table" in p.stdout
    assert "2 problem(s)" in p.stdout


def test_a_wrong_compute_capability_fails_the_check(tmp_path: Path) -> None:
    def wrong(gpus: list[dict]) -> None:  # type: ignore[type-arg]
        next(g for g in gpus if g["name"] == "T500")["cc"] = "8.6"

    p = _check_with(tmp_path, wrong)
    assert p.returncode == 1
    assert "'T500' is 'T500' with cc 8.6 in the data but cc 7.5 on NVIDIA's cuda-gpus page" in p.stdout


def test_bundled_check_passes_from_the_cli() -> None:
    p = td("matrix", "--check")
    assert p.returncode == 0, p.stdout + p.stderr
    assert ": 0 problem(s)" in p.stdout


@pytest.mark.parametrize("text, needle", [
    ("", "not valid JSON"),
    ("[]", "needs 'pages'"),
    ('{"pages": {"x": {"url": "u"}}, "blocks": [{"models": [["y", "8.6", "A"]]}]}', "bad model row"),
    ('{"pages": {"x": {"url": "u"}}, "blocks": [{"models": [["x", "8.6; rm -rf", "A"]]}]}', "bad model row"),
    ('{"pages": {"x": {"url": "u"}}, "blocks": []}', "names no models"),
    ("[" * 100000 + "]" * 100000, "not valid JSON"),
])
def test_a_broken_reference_list_is_a_clear_error(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "pages.json"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ReferenceError, match=needle):
        load_reference(f)


def test_a_missing_reference_list_fails_the_check_instead_of_passing(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    import desktop.gpucoverage as gc

    monkeypatch.setattr(gc, "NVIDIA_PAGES", tmp_path / "absent.json")
    problems = coverage_problems(M)
    assert len(problems) == 1 and problems[0].startswith("GPU coverage not checked: cannot read the NVIDIA page list")
    assert NVIDIA_PAGES.name == "nvidia_gpu_pages.json"


def test_parse_reference_accepts_a_two_chip_row() -> None:
    ref = parse_reference({"pages": {"p": {"url": "https://x"}}, "blocks": [{"id": "A", "models": [["p", "3.0/5.0", "M"]]}]})
    assert ref.models[0].ccs == ("3.0", "5.0")


# --- NVML spellings of the pages' laptop and embedded models (NVIDIA's driver README names, nvidia-smi captures)

@pytest.mark.parametrize("nvml_name, cc, row", [
    ("NVIDIA T1200 Laptop GPU", "7.5", "T1200 Laptop GPU"),
    ("NVIDIA T500", "7.5", "T500"),
    ("NVIDIA T600 Laptop GPU", "7.5", "T600"),
    ("Quadro RTX 3000 with Max-Q Design", "7.5", "Quadro RTX 3000"),
    ("Quadro T2000 with Max-Q Design", "7.5", "Quadro T2000"),
    ("Quadro T1000", "7.5", "Quadro T1000"),
    ("NVIDIA GeForce RTX 3050 Ti Laptop GPU", "8.6", "GeForce RTX 3050 Ti Laptop GPU"),
    ("NVIDIA GeForce RTX 3050Ti Laptop GPU", "8.6", "GeForce RTX 3050 Ti Laptop GPU"),
    ("NVIDIA GeForce RTX 3050 6GB Laptop GPU", "8.6", "GeForce RTX 3050 Laptop GPU"),
    ("NVIDIA RTX A4000 Laptop GPU", "8.6", "RTX A4000"),
    ("NVIDIA RTX A3000 12GB Laptop GPU", "8.6", "RTX A3000 Laptop GPU"),
    ("NVIDIA RTX A2000 8GB Laptop GPU", "8.6", "RTX A2000 Laptop GPU"),
    ("NVIDIA GeForce RTX 4090 Laptop GPU", "8.9", "GeForce RTX 4090 Laptop GPU"),
    ("Orin (nvgpu)", "8.7", "Jetson Orin (nvgpu)"),
    ("NVIDIA Tegra Orin (nvgpu)", "8.7", "Jetson Orin (nvgpu)"),
])
def test_nvml_spelling_resolves_to_the_pages_model(nvml_name: str, cc: str, row: str) -> None:
    g = M.find_gpu(nvml_name)
    assert g is not None and (g.name, g.cc) == (row, cc)


def test_rtx_3050_a_laptop_is_not_folded_into_the_ampere_row() -> None:
    # "GeForce RTX 3050 A Laptop GPU" is an Ada part (AD106) in NVIDIA's driver list: no alias to the 8.6 row
    g = M.find_gpu("NVIDIA GeForce RTX 3050 A Laptop GPU")
    assert g is None or g.cc != "8.6"


# --- rows that were "inferred" and are now on the completed pages

CONFIRMED = ["GeForce RTX 3080 Ti Laptop GPU", "GeForce RTX 3080 Laptop GPU", "GeForce RTX 3070 Ti Laptop GPU",
             "GeForce RTX 3070 Laptop GPU", "GeForce RTX 3060 Laptop GPU", "GeForce RTX 3050 Ti Laptop GPU",
             "GeForce RTX 3050 Laptop GPU", "GeForce GTX 1650 Ti", "Quadro T2000", "Quadro T1000",
             "RTX A5000 Laptop GPU", "RTX A2000 Laptop GPU", "Jetson TK1"]


@pytest.mark.parametrize("name", CONFIRMED)
def test_confirmed_rows_lose_the_inferred_mark_and_cite_the_page(name: str) -> None:
    row = next(g for g in DATA["gpus"] if g["name"] == name)
    assert "inferred" not in row
    assert {"nv-gpu-pages-2024"} <= set(row["source"]) and ({"nv-cuda-gpus", "nv-cuda-legacy-gpus"} & set(row["source"]))


# memory / form-factor spellings of a model the page names ("NVIDIA V100" -> "Tesla V100-SXM2-32GB"): same product, so
# confirmed by the page; the spelling is NVIDIA's driver list's where it has one, else TorchDesk's (td-derived)
VARIANTS = {"GeForce GTX 1060 6GB": "GeForce GTX 1060", "T1000 8GB": "T1000", "RTX A2000 12GB": "NVIDIA RTX A2000",
            "Tesla K40c": "Tesla K40", "Tesla P100-PCIE-12GB": "Tesla P100", "Tesla V100-SXM2-32GB": "NVIDIA V100",
            "A100-SXM4-80GB": "NVIDIA A100", "H200 NVL": "NVIDIA H200", "GH200 144G HBM3e": "NVIDIA GH200"}


@pytest.mark.parametrize("name, page_name", sorted(VARIANTS.items()))
def test_variants_of_a_page_model_are_confirmed_with_its_cc(name: str, page_name: str) -> None:
    row = next(g for g in DATA["gpus"] if g["name"] == name)
    pm = next(m for m in load_reference().models if m.name == page_name)
    assert "inferred" not in row and row["cc"] in pm.ccs and f"nv-{pm.page}" in row["source"]
    assert ("nv-driver-names" in row["source"]) != ("td-derived" in row["source"])


def test_the_rest_stay_marked() -> None:
    inferred = [g["name"] for g in DATA["gpus"] if g.get("inferred")]
    assert len(inferred) == 44
    assert {"GeForce RTX 4080 SUPER", "GeForce RTX 5090 Laptop GPU", "Jetson TX1", "Tesla V100S-PCIE-32GB"} <= set(inferred)
    assert not set(CONFIRMED) & set(inferred)


def test_new_sources_are_dated_and_pinned_to_a_commit() -> None:
    src = DATA["sources"]
    assert "23915e5d9387b0436642d73e5d9fded0e35b3802" in src["nv-gpu-pages-2024"]["url"]
    assert "df1c9a3de2be4b130f4fc7680f7198193d8ac6ad" in src["nv-driver-names"]["url"]
    assert all(src[k]["accessed"] == "2026-12-01" for k in ("nv-gpu-pages-2024", "nv-driver-names", "nvml-orin"))
