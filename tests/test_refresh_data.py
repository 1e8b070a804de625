"""tools/refresh_data.py on recorded responses (tests/refresh_data/, see its README): it reproduces today's 2.15.0
rows, reports a data file that disagrees, and proposes the rows of a release the data lacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from desktop.matrix import BUNDLED_MATRIX, consistency_problems, matrix_from_data, validate_data
from desktop.model import GpuInfo, Host
from desktop.resolve import resolve

ROOT = Path(__file__).resolve().parent.parent
REC = ROOT / "tests" / "refresh_data"
sys.path.insert(0, str(ROOT / "tools"))
import refresh_data as rd  # noqa: E402

DATA = json.loads(BUNDLED_MATRIX.read_text(encoding="utf-8"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "refresh_data.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_recorded_responses_reproduce_todays_2_15_0_rows_and_nothing_else() -> None:
    p = run("--offline", str(REC))
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines() == [f"checked torch 2.15.0 against {BUNDLED_MATRIX}",
                                     "  no differences: the data says what PyPI and the PyTorch index say"]


def test_the_facts_are_read_not_assumed() -> None:
    src = rd.Responses(REC)
    pypi = {p: src.pypi(p) for p in rd.PROJECTS}
    pages = {v: rd.parse_index_page(src.index_page(v, "torch") or "") for v in src.variants(())}
    f = rd.release_facts(src, pypi, "2.15.0", sorted(pages), pages)
    row = next(r for r in DATA["torch_releases"] if r["version"] == "2.15.0")
    assert (f.released, f.python, f.requires_python) == (row["released"], row["python"], row["requires_python"])
    assert f.free_threaded == ["3.14t", "3.15t"]
    assert (f.torchvision, f.torchaudio) == ("0.29.2", "2.11.1")
    assert f.default_variant == row["default_variant"]  # cuda-toolkit==13.2.2 for Linux only, from the wheel metadata
    assert {v: sorted(p) for v, p in f.variants.items()} == {b["variant"]: sorted(b["platforms"]) for b in row["builds"]}
    assert "cu130" in pages and "cu130" not in f.variants  # the cu130 page was read and has no 2.15.0
    f141 = rd.release_facts(src, pypi, "2.14.1", sorted(pages), pages)
    assert f141.python == ["3.10", "3.11", "3.12", "3.13", "3.14"]
    # 2.14.1's wheel metadata is not in the recording (PyPI's JSON carries only the newest release's): said, not guessed
    assert "linux-x86_64" in f141.unreadable_defaults and "linux-x86_64" not in f141.default_variant


def test_a_data_file_that_disagrees_is_reported(tmp_path: Path) -> None:
    data = json.loads(json.dumps(DATA))
    row = next(r for r in data["torch_releases"] if r["version"] == "2.15.0")
    row["python"] = row["python"][:-1]
    row["torchaudio"] = None
    row["default_variant"]["linux-aarch64"] = "cpu"
    cu130 = json.loads(json.dumps(row["builds"][0]))
    cu130.update(variant="cu130", cuda="13.0", install={"index_url": "https://download.pytorch.org/whl/cu130", "local_version": "+cu130"})
    row["builds"].append(cu130)
    m = tmp_path / "matrix.json"
    m.write_text(json.dumps(data))
    p = run("--offline", str(REC), "--matrix", str(m))
    assert p.returncode == 3, p.stdout + p.stderr
    out = p.stdout
    assert "python ['3.11', '3.12', '3.13', '3.14'] in the data, PyPI cpXY tags ['3.11', '3.12', '3.13', '3.14', '3.15']" in out
    assert "torchaudio None in the data, PyPI pairing 2.11.1" in out
    assert "default build on linux-aarch64 is cpu in the data, the PyPI wheel's requirements say cu132" in out
    assert "the data has a cu130 build that the cu130 index page does not list" in out


def _add_release(rec: Path) -> None:
    """A torch 2.16.0 the data lacks, in the documented formats: PyPI JSON files, PEP 658 metadata, PEP 503 pages,
    and release/2.16 build scripts with a CUDA 13.4 build the previous release did not have."""
    day = "2026-12-16T15:16:30"
    pys = ["311", "312", "313", "314", "315"]
    plats = {"linux-x86_64": "manylinux_2_28_x86_64", "linux-aarch64": "manylinux_2_28_aarch64",
             "windows-x86_64": "win_amd64", "macos-arm64": "macosx_14_0_arm64"}
    torch = json.loads((rec / "pypi" / "torch.json").read_text())
    files = []
    for py in pys:
        for tag in plats.values():
            name = f"torch-2.16.0-cp{py}-cp{py}-{tag}.whl"
            files.append({"filename": name, "upload_time": day, "upload_time_iso_8601": day + "Z",
                          "requires_python": ">=3.11", "url": f"https://files.pythonhosted.org/packages/xx/{name}",
                          "packagetype": "bdist_wheel", "yanked": False})
    torch["releases"]["2.16.0"] = files
    (rec / "pypi" / "torch.json").write_text(json.dumps(torch))
    meta = rec / "metadata"
    meta.mkdir()
    cuda_req = ('Requires-Dist: cuda-toolkit[cublas,cudart,nvrtc]==13.4.1; platform_system == "Linux"\n'
                'Requires-Dist: nvidia-cudnn-cu13==9.30.0.1; platform_system == "Linux"\n')
    for tag in plats.values():
        body = "Metadata-Version: 2.4\nName: torch\nVersion: 2.16.0\nRequires-Python: >=3.11\nRequires-Dist: filelock\n"
        (meta / f"torch-2.16.0-cp315-cp315-{tag}.whl.metadata").write_text(body + cuda_req)
    tv = json.loads((rec / "pypi" / "torchvision.json").read_text())
    tv["releases"]["0.30.0"] = [{"filename": "torchvision-0.30.0-py3-none-manylinux_2_28_x86_64.whl", "upload_time": day,
                                 "upload_time_iso_8601": day + "Z", "packagetype": "bdist_wheel"}]
    (rec / "pypi" / "torchvision.json").write_text(json.dumps(tv))
    layout = {"cu132": ["linux-x86_64", "linux-aarch64", "windows-x86_64"], "cu134": ["linux-x86_64", "linux-aarch64", "windows-x86_64"],
              "cpu": list(plats)}
    for var, ps in layout.items():
        page = rec / "index" / var / "torch.html"
        page.parent.mkdir(exist_ok=True)
        text = page.read_text() if page.exists() else "<html><body>\n</body></html>\n"
        links = []
        for plat in ps:
            for py in pys:
                local = "" if plat.startswith("macos") else f"%2B{var}"
                name = f"torch-2.16.0{local}-cp{py}-cp{py}-{plats[plat]}.whl"
                links.append(f'<a href="/whl/{var}/{name}">{name.replace("%2B", "+")}</a><br/>')
        page.write_text(text.replace("</body>", "\n".join(links) + "\n</body>"))
    scripts = rec / "build_scripts" / "release-2.16" / ".ci"
    (scripts / "manywheel").mkdir(parents=True)
    (scripts / "manywheel" / "build_cuda.sh").write_text(
        "case ${CUDA_VERSION} in\n    13.2)\n        TORCH_CUDA_ARCH_LIST=\"7.5;8.0;8.6;9.0;10.0;12.0+PTX\"\n        ;;\n"
        "    13.4)\n        TORCH_CUDA_ARCH_LIST=\"8.0;8.6;9.0;10.0;10.3;12.0+PTX\"\n        ;;\nesac\n")
    (scripts / "pytorch" / "windows").mkdir(parents=True)
    (scripts / "pytorch" / "windows" / "cuda134.bat").write_text("set TORCH_CUDA_ARCH_LIST=8.0;8.6;9.0;10.0;12.0\n")


def test_an_added_release_gets_proposed_rows_marked_for_review(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    shutil.copytree(REC, rec)
    _add_release(rec)
    out = tmp_path / "proposed.json"
    p = run("--offline", str(rec), "--write", str(out), "--today", "2026-12-20")
    assert p.returncode == 3, p.stdout + p.stderr
    assert "torch 2.16.0: new release, not in the data: proposed with builds cpu, cu132, cu134" in p.stdout
    assert "proposal problem" not in p.stdout and "torch 2.15.0" not in p.stdout.split("\n", 1)[1]
    data = json.loads(out.read_text())
    validate_data(data, out)
    m = matrix_from_data(data, str(out))
    assert consistency_problems(m) == []
    row = data["torch_releases"][0]
    assert (row["version"], row["released"], row["python"], row["torchvision"], row["torchaudio"]) == \
        ("2.16.0", "2026-12-16", ["3.11", "3.12", "3.13", "3.14", "3.15"], "0.30.0", None)
    assert row["default_variant"] == {"linux-aarch64": "cu134", "linux-x86_64": "cu134", "macos-arm64": "cpu", "windows-x86_64": "cpu"}
    assert "proposed by tools/refresh_data.py on 2026-12-20" in row["review"]
    builds = {b["variant"]: b for b in row["builds"]}
    assert all("review" in b for b in builds.values())
    assert builds["cu134"]["platforms"]["linux-x86_64"] == {"sass": ["8.0", "8.6", "9.0", "10.0", "10.3", "12.0"], "ptx": ["12.0"]}
    assert builds["cu134"]["platforms"]["windows-x86_64"] == {"sass": ["8.0", "8.6", "9.0", "10.0", "12.0"], "ptx": []}
    assert "release/2.16:.ci/manywheel/build_cuda.sh" in builds["cu134"]["review"]
    old = next(r for r in DATA["torch_releases"] if r["version"] == "2.15.0")
    assert builds["cu132"]["platforms"] == {p: old["builds"][0]["platforms"][p] for p in builds["cu132"]["platforms"]}
    assert "copied from torch 2.15.0 cu132" in builds["cu132"]["review"]
    assert "2.16.0" in data["packages"]["torch"]["versions"] and "0.30.0" in data["packages"]["torchvision"]["versions"]
    # the proposal is usable data: a Blackwell machine with a new driver plans the new release
    host = Host(gpus=(GpuInfo(0, "RTX 5090", "nvidia", "12.0"),), driver="620.10", hypothetical=True)
    res = resolve(m, host, today=date(2026, 12, 20))
    assert res.plan is not None and (res.plan.torch, res.plan.variant) == ("2.16.0", "cu134")
    assert json.loads(BUNDLED_MATRIX.read_text()) == DATA  # the bundled file is never touched


def test_parsers_on_real_captures() -> None:
    text = (REC / "build_scripts" / "capture-00c7a380" / ".ci" / "manywheel" / "build_cuda.sh").read_text()
    assert rd.cuda_arch_from_script(text, "12.9") == (["7.0", "7.5", "8.0", "8.6", "9.0", "10.0", "12.0"], ["12.0"])
    assert rd.cuda_arch_from_script(text, "12.6") == (["5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"], [])
    assert rd.cuda_arch_from_script(text, "13.0") is None
    line = 'PYTORCH_ROCM_ARCH="gfx900;gfx906;gfx908;gfx90a;gfx942;gfx1030;gfx1100;gfx1101;gfx1102;gfx1200;gfx1201"'
    assert rd.rocm_arch_from_script(line) == ["gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx1030", "gfx1100",
                                              "gfx1101", "gfx1102", "gfx1200", "gfx1201"]
    info = json.loads((REC / "pypi" / "torch.json").read_text())["info"]
    reqs = info["requires_dist"]  # the real 2.15.0 metadata: cuda-toolkit[...]==13.2.2; platform_system == "Linux"
    assert rd.cuda_from_requirements(reqs, rd.marker_env("linux-aarch64", "3.12")) == "13.2"
    assert rd.cuda_from_requirements(reqs, rd.marker_env("windows-x86_64", "3.12")) is None
    old = ['nvidia-cuda-runtime-cu12==12.8.90; platform_system == "Linux" and platform_machine == "x86_64"']
    assert rd.cuda_from_requirements(old, rd.marker_env("linux-x86_64", "3.12")) == "12.8"
    assert rd.cuda_from_requirements(old, rd.marker_env("linux-aarch64", "3.12")) is None
    w = rd.parse_wheel("torch-2.15.0%2Bcu132-cp314-cp314t-manylinux_2_28_aarch64.whl")
    assert w is not None and (w.version, w.local, w.python, w.free_threaded, w.platform) == ("2.15.0", "cu132", "3.14", True, "linux-aarch64")


@pytest.mark.parametrize("args, msg", [
    (("--offline", "/nonexistent/dir"), "not a directory"),
    (("--offline", str(REC), "--write", str(BUNDLED_MATRIX)), "--write must name a new file"),
    (("--offline", str(REC), "--since", "two"), "--since must look like 2.15.0"),
])
def test_bad_input_is_one_sentence(args: tuple[str, ...], msg: str) -> None:
    p = run(*args)
    assert p.returncode == 2 and msg in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_a_proposal_that_does_not_hang_together_says_why(tmp_path: Path) -> None:
    # an index build for a CUDA the toolkit table lacks: proposed, but flagged, so the maintainer adds the toolkit row first
    rec = tmp_path / "rec"
    shutil.copytree(REC, rec)
    _add_release(rec)
    page = rec / "index" / "cu140" / "torch.html"
    page.parent.mkdir()
    page.write_text('<a href="/whl/cu140/torch-2.16.0%2Bcu140-cp312-cp312-manylinux_2_28_x86_64.whl">'
                    "torch-2.16.0+cu140-cp312-cp312-manylinux_2_28_x86_64.whl</a>\n")
    p = run("--offline", str(rec), "--write", str(tmp_path / "p.json"))
    assert p.returncode == 3
    assert "! proposal problem: torch 2.16.0 cu140: CUDA 14.0 is not in cuda_toolkits" in p.stdout
    row = json.loads((tmp_path / "p.json").read_text())["torch_releases"][0]
    cu140 = next(b for b in row["builds"] if b["variant"] == "cu140")
    assert cu140["platforms"] == {"linux-x86_64": {"note": "no architecture list found in release/2.16's build scripts: fill it in by hand"}}
    assert "read from nowhere" in cu140["review"]


# --- --pypi-only: a machine that reaches PyPI but not download.pytorch.org ------------------------------------------

def test_pypi_only_checks_pypi_facts_and_says_builds_are_unchecked() -> None:
    p = run("--offline", str(REC), "--pypi-only")
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines()[1] == ("  no differences: the data says what PyPI says "
                                        "(the PyTorch index was not read: builds unchecked)")
    src = rd.Responses(REC, pypi_only=True)
    assert src.variants(["cu132"]) == [] and src.index_page("cu132", "torch") is None
    assert src.build_script("release/2.15", ".ci/manywheel/build_cuda.sh") is None


def test_pypi_only_cannot_write_a_proposal(tmp_path: Path) -> None:
    p = run("--offline", str(REC), "--pypi-only", "--write", str(tmp_path / "p.json"))
    assert p.returncode == 2 and "--write needs the PyTorch index" in p.stderr
    assert not (tmp_path / "p.json").exists()


@pytest.mark.parametrize("torchaudio, expect, is_difference", [
    # torchaudio 2.11.0 (uploaded 2026-03-23, before torch 2.14.1): a pairing from the row's sources, noted
    ("2.11.0", "torchaudio 2.11.0 (uploaded 2026-03-23) is not next to this release on PyPI", False),
    ("2.9.9", "torchaudio 2.9.9 in the data is not on PyPI", True),
])
def test_a_pairing_pypi_cannot_give_is_noted_or_contradicted(tmp_path: Path, torchaudio: str, expect: str,
                                                             is_difference: bool) -> None:
    src = rd.Responses(REC, pypi_only=True)
    pypi = {p: src.pypi(p) for p in rd.PROJECTS}
    f = rd.release_facts(src, pypi, "2.14.1", [], {})
    f.torchaudio = None  # as for torch 2.12-2.14: no torchaudio uploaded next to it
    row = dict(next(r for r in DATA["torch_releases"] if r["version"] == "2.14.1"), torchaudio=torchaudio)
    notes = rd.unchecked(row, f, pypi)
    hit = [n for n in notes if expect in n]
    assert len(hit) == 1, notes
    assert hit[0].startswith("! ") == is_difference
    assert all("PyPI pairing" not in d for d in rd.compare(row, f))  # "no pairing found" is not a contradiction


def test_a_pairing_uploaded_after_torch_is_a_difference() -> None:
    src = rd.Responses(REC, pypi_only=True)
    pypi = {p: src.pypi(p) for p in rd.PROJECTS}
    f = rd.release_facts(src, pypi, "2.14.1", [], {})
    f.torchaudio, f.released = None, "2026-01-01"  # torchaudio 2.11.0 came later than this (made-up) torch
    row = dict(next(r for r in DATA["torch_releases"] if r["version"] == "2.14.1"), torchaudio="2.11.0")
    assert "! torch 2.14.1: torchaudio 2.11.0 in the data was first uploaded 2026-03-23, after torch (2026-01-01)" \
        in rd.unchecked(row, f, pypi)
