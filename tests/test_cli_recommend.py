"""`torchdesk recommend` and `torchdesk matrix` as real processes: output contract, exit codes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def td(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True, text=True, cwd=ROOT, env=e, timeout=120)


def test_recommend_json_contract_for_a_described_machine() -> None:
    p = td("recommend", "--json", "--gpu", "RTX 4090", "--driver", "570.86.10", "--os", "linux")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["status"] == "ok"
    assert set(out["plan"]) >= {"torch", "variant", "python", "torchvision", "torchaudio", "numpy", "index_url"}
    assert out["plan"]["variant"].startswith("cu")
    assert out["checks"] and all(set(c) >= {"check", "ok", "detail", "source"} for c in out["checks"])
    assert {"alternatives", "rejected", "warnings"} <= set(out)
    assert out["host"]["hypothetical"] is True and out["host"]["gpus"][0]["cc"] == "8.9"


def test_recommend_no_match_exits_1_and_lists_reasons() -> None:
    p = td("recommend", "--json", "--no-gpu", "--torch", "0.1")
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert out["status"] == "no_match" and out["plan"] is None
    assert any("--torch 0.1" in c["detail"] for c in out["checks"])


@pytest.mark.parametrize("driver", ["580", "572.83", "580.65.06"])
def test_driver_as_people_write_it(driver: str) -> None:
    # a bare branch number is how people (and the README's own floors) name a driver
    p = td("recommend", "--json", "--gpu", "RTX 4090", "--driver", driver)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["host"]["driver"] == driver
    assert any(c["check"] == "driver" and driver in c["detail"] for c in out["checks"]), out["checks"]


def test_machine_flag_alone_describes_a_machine() -> None:
    # a what-if flag like the others: never silently dropped in favour of this machine's detection
    p = td("recommend", "--json", "--machine", "aarch64")
    assert p.returncode == 0, p.stderr
    host = json.loads(p.stdout)["host"]
    assert host["hypothetical"] is True and host["machine"] == "aarch64"


BAD = [
    (["recommend", "--gpu", "RTX 9999"], "unknown GPU 'RTX 9999'"),
    (["recommend", "--driver", "five-eighty"], "driver version must look like"),
    (["recommend", "--no-gpu", "--python", "3.x"], "--python must look like 3.12"),
    (["recommend", "--cc", "eight"], "--cc must look like"),
    (["recommend", "--no-gpu", "--gpu", "RTX 4090"], "cannot be combined"),
    (["matrix", "--gpu", "RTX 9999"], "unknown GPU"),
]


@pytest.mark.parametrize("args,msg", BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_input_is_one_line_and_exit_2(args: list[str], msg: str) -> None:
    p = td(*args)
    assert p.returncode == 2
    assert msg in p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_unknown_gpu_suggests_close_names() -> None:
    p = td("recommend", "--gpu", "RTX 409")
    assert p.returncode == 2 and "did you mean" in p.stderr and "RTX 4090" in p.stderr


@pytest.mark.parametrize("text,msg", [("{oops", "not valid JSON"), ('{"schema_version": 1}', "missing required key")])
def test_corrupt_matrix_file_is_an_error_naming_the_file(tmp_path: Path, text: str, msg: str) -> None:
    bad = tmp_path / "matrix.json"
    bad.write_text(text)
    p = td("--matrix-file", str(bad), "recommend", "--no-gpu")
    assert p.returncode == 2
    assert str(bad) in p.stderr and msg in p.stderr and "Traceback" not in p.stderr


def test_recommend_text_shows_the_chain() -> None:
    p = td("recommend", "--gpu", "RTX 4090", "--driver", "570.86.10")
    assert p.returncode == 0, p.stderr
    for needle in ("Recommendation: torch", "Why", "compute capability 8.9", "pip install --index-url", " torch==", "conda create -y -n torch-"):
        assert needle in p.stdout


def test_matrix_cc_filter_keeps_only_builds_with_kernels_for_it() -> None:
    p = td("matrix", "--cc", "8.6", "--json", "--table", "torch", "--table", "cuda")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["cuda"] and out["torch"]
    for row in out["cuda"]:
        lo, hi = row["compute capability"].split(" (")[0].split(" - ")
        assert tuple(map(int, lo.split("."))) <= (8, 6) <= tuple(map(int, hi.split(".")))


def test_matrix_text_has_three_tables() -> None:
    p = td("matrix", "--torch", "2")
    assert p.returncode == 0, p.stderr
    for title in ("CUDA toolkit <-> compute capability", "NVIDIA driver <-> CUDA", "PyTorch <-> Python <-> CUDA builds"):
        assert title in p.stdout


def test_matrix_check_passes_on_bundled_data() -> None:
    p = td("matrix", "--check")
    assert p.returncode == 0, p.stdout
    assert "0 problem(s)" in p.stdout


def test_cli_imports_no_qt_and_no_pynvml_for_hypothetical_recommend() -> None:
    code = (
        "import sys; from desktop.cli import main; import io, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['recommend', '--json', '--gpu', 'RTX 4090'])\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pynvml', 'rattler', 'yaml', 'requests'))]\n"
        "print(bad)"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
