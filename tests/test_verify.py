"""Verdicts: real runs by real interpreters, and replayed reports (the H100 capture and failures built from it)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import venv
from pathlib import Path
from typing import Any

import pytest

from desktop import verify
from desktop.matrixload import default_matrix
from desktop.model import SmokeRun
from desktop.verdicts import judge, judge_run
from desktop.verify import verify_python

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "verify_data"
FIXTURE = ROOT / "tests" / "captures" / "h100-driver-580"
# The +cpu local label pins PyTorch's CPU build: no index's CUDA build (PyPI's torch is one) can match it.
CPU_TORCH = "torch==2.13.0+cpu"
# PyTorch's CPU-only wheel index, as https://pytorch.org/get-started/locally/ gives it for "CPU".
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


@pytest.fixture(scope="module")
def matrix() -> Any:
    return default_matrix()


# --- replayed reports ------------------------------------------------------------------------------------------

def h100_report() -> dict[str, Any]:
    """A report as the script writes it, rebuilt from the H100 capture (torch.json, nvml.json)."""
    t = json.loads((FIXTURE / "torch.json").read_text())
    name = t["props"]["name"]
    return {
        "schema": 1, "complete": True, "stage": "done", "warnings": [],
        "python": {"version": "3.12.3", "executable": "/opt/torch/.venv/bin/python3", "platform": "linux",
                   "machine": "x86_64", "venv": True, "prefix": "/opt/torch/.venv", "base_prefix": "/usr"},
        "dists": {"torch": t["version"], "torchvision": t["torchvision"], "torchaudio": t["torchaudio"],
                  "numpy": t["numpy"]},
        "driver": {"cuda_driver": "13.0", "nvml": {"driver": "580.159.04", "gpus": [{"index": 0, "name": name, "cc": "9.0"}]}},
        "import_torch": {"ok": True, "seconds": 3.1},
        "torch": {"version": t["version"], "cuda": t["cuda"], "hip": None, "cudnn": t["cudnn"], "arch_list": t["arch_list"]},
        "cuda": {"available": t["available"], "device_count": t["device_count"], "reason": None, "error": None},
        "gpus": [{"index": 0, "name": name, "cc": "9.0", "sm": "sm_90", "coverage": "sass"}],
        "checks": [
            {"name": "cpu_matmul", "gpu": None, "ok": True, "rel_err": 3e-7, "seconds": 0.003},
            {"name": "alloc", "gpu": 0, "ok": True, "seconds": 0.12},
            {"name": "matmul_fp32", "gpu": 0, "ok": True, "rel_err": 2.5e-7, "tol": 1e-4, "seconds": 0.1},
            {"name": "conv_cudnn", "gpu": 0, "ok": True, "rel_err": 2.7e-7, "seconds": 0.2},
            {"name": "matmul_bf16", "gpu": 0, "ok": True, "rel_err": 1.8e-3, "seconds": 0.09},
            {"name": "numpy_interop", "gpu": None, "ok": True, "seconds": 0.0},
            {"name": "torchvision_nms", "gpu": None, "ok": True, "seconds": 0.1},
        ],
        "numpy": {"installed": True, "version": t["numpy"]},
        "torchvision": {"installed": True, "version": t["torchvision"]},
        "torchaudio": {"installed": True, "version": t["torchaudio"]},
    }


def rtx5090_with_torch_2_6() -> dict[str, Any]:
    """The classic Blackwell failure: torch 2.6.0+cu124 carries sm_50..sm_90 only."""
    r = h100_report()
    arch = ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]
    r["torch"].update(version="2.6.0+cu124", cuda="12.4", arch_list=arch)
    r["gpus"] = [{"index": 0, "name": "NVIDIA GeForce RTX 5090", "cc": "12.0", "sm": "sm_120", "coverage": None}]
    msg = ("NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current PyTorch installation.")
    r["warnings"] = [{"category": "UserWarning", "message": msg, "kind": "arch_unsupported", "detail": "sm_120"}]
    for c in r["checks"]:
        if c["gpu"] == 0 and c["name"] != "alloc":
            c["ok"] = False
            c["error"] = {"kind": "no_kernel_image", "detail": "no kernel image is available for execution on the device"}
    r["checks"] = [c for c in r["checks"] if c["name"] != "torchvision_nms"]
    return r


def test_h100_capture_passes_and_names_gpu(matrix: Any) -> None:
    j = judge(h100_report(), matrix=matrix)
    assert j.verdict == "pass"
    assert "NVIDIA H100 80GB HBM3" in j.cause and "sm_90" in j.cause and "matmul" in j.cause


def test_h100_device_run_report_passes(matrix: Any) -> None:
    """The JSON `torchdesk verify --json` printed on the real H100 (tests/verify_data/h100_verify.json)."""
    captured = json.loads((DATA / "h100_verify.json").read_text())
    assert captured["verdict"] == "pass"
    rep = captured["report"]
    assert rep["gpus"][0]["sm"] == "sm_90" and "H100" in rep["gpus"][0]["name"]
    assert any(c["name"] == "matmul_fp32" and c["ok"] for c in rep["checks"])
    j = judge(rep, matrix=matrix)
    assert j.verdict == "pass" and "H100" in j.cause and "sm_90" in j.cause


def test_blackwell_on_old_build_fails_with_data_fix(matrix: Any) -> None:
    j = judge(rtx5090_with_torch_2_6(), matrix=matrix)
    assert j.verdict == "fail"
    assert j.cause.startswith("torch 2.6.0+cu124 has no kernels for sm_120 (NVIDIA GeForce RTX 5090)")
    assert re.search(r"Blackwell \(sm_120\) needs a cu\d+ build: torch \d+\.\d+ or newer", j.fix), j.fix
    # The fix names a build that the data says covers sm_120.
    m = re.search(r"--torch (\S+) --variant (\w+)", j.fix)
    rel = matrix.release(m.group(1))
    assert rel is not None and rel.build(m.group(2)) is not None


def test_fixes_without_data_say_so() -> None:
    r = rtx5090_with_torch_2_6()
    assert "no compatibility data" in judge(r, matrix=None).fix


def _numpy_broken(r: dict[str, Any]) -> dict[str, Any]:
    r["numpy"]["version"] = "2.1.0"
    for c in r["checks"]:
        if c["name"] == "numpy_interop":
            c["ok"] = False
            c["error"] = {"kind": "numpy_abi", "detail": "Numpy is not available"}
    return r


def test_numpy_abi_mismatch_unknown_release_says_no_data(matrix: Any) -> None:
    r = _numpy_broken(h100_report())
    r["torch"]["version"] = "9.9.9+cu999"
    j = judge(r, matrix=matrix)
    assert j.verdict == "fail" and j.cause.startswith("numpy ABI mismatch")
    assert "numpy<2" in j.fix and "no data for torch 9.9.9" in j.fix


def test_numpy_abi_mismatch_at_import(matrix: Any) -> None:
    r = h100_report()
    text = json.loads((DATA / "numpy_abi.json").read_text())["cases"][1]["text"]
    r["import_torch"] = {"ok": False, "error": {"kind": "numpy_abi", "detail": "_ARRAY_API not found", "message": text}}
    j = judge(r, matrix=matrix)
    assert j.verdict == "fail" and "numpy ABI mismatch" in j.cause and "numpy" in j.fix


def test_torchvision_mismatch_fix_from_data(matrix: Any) -> None:
    r = h100_report()
    r["torchvision"] = {"installed": True, "version": "0.20.0",
                        "error": {"kind": "torchvision_mismatch", "detail": "operator torchvision::nms does not exist"}}
    j = judge(r, matrix=matrix)
    assert j.verdict == "fail"
    assert "torchvision 0.20.0 does not match torch 2.11.0+cu130" in j.cause
    want = matrix.release("2.11.0").torchvision
    assert f"torchvision=={want}" in j.fix and "cu130" in j.fix


def test_missing_libcudnn_at_import(matrix: Any) -> None:
    r = h100_report()
    r["import_torch"] = {"ok": False, "error": {"kind": "missing_library", "detail": "libcudnn.so.8"}}
    r["dists"]["torch"] = "2.11.0+cu130"
    j = judge(r, matrix=matrix)
    assert j.verdict == "fail" and "libcudnn.so.8 is missing" in j.cause
    assert "pip install --force-reinstall torch==2.11.0" in j.fix and "whl/cu130" in j.fix


def test_driver_too_old_fix_names_minimum_driver(matrix: Any) -> None:
    r = h100_report()
    r["driver"] = {"cuda_driver": "12.2", "nvml": {"driver": "535.104.05", "gpus": [{"index": 0, "name": "H100", "cc": "9.0"}]}}
    r["cuda"] = {"available": False, "device_count": 0, "reason": "driver_too_old", "error": None}
    r["gpus"] = []
    r["checks"] = r["checks"][:1]
    j = judge(r, matrix=matrix)
    assert j.verdict == "fail" and "too old for CUDA 13.0" in j.cause
    assert matrix.cuda("13.0").driver_min["linux"] in j.fix


def test_cpu_build_on_gpu_machine(matrix: Any) -> None:
    r = h100_report()
    r["torch"].update(version="2.11.0+cpu", cuda=None, arch_list=[])
    r["cuda"] = {"available": False, "device_count": 0, "reason": "cpu_build", "error": None}
    r["gpus"] = []
    assert judge(r, matrix=matrix).verdict == "warn"  # a GPU is seen, but nobody said one was wanted
    j = judge(r, expect_gpu=True, matrix=matrix)
    assert j.verdict == "fail" and j.cause.startswith("CPU-only build")
    assert "Hopper (sm_90)" in j.fix
    assert judge(r, expect_gpu=False, matrix=matrix).verdict == "pass"


def test_ptx_only_is_a_warning(matrix: Any) -> None:
    r = h100_report()
    r["gpus"][0]["coverage"] = "ptx"
    j = judge(r, matrix=matrix)
    assert j.verdict == "warn" and "PTX" in j.cause


def test_crash_mid_check_names_the_stage(matrix: Any) -> None:
    r = h100_report()
    r.update(complete=False, stage="gpu0.matmul_fp32")
    run = SmokeRun(r, "[smoke] alloc[0] ok\nSegmentation fault", -11)
    j = judge_run(run, matrix=matrix)
    assert j.verdict == "fail"
    assert "signal 11" in j.cause and "matmul_fp32 check on GPU 0" in j.cause


# --- real interpreters -----------------------------------------------------------------------------------------

def test_python_without_torch() -> None:
    r = verify_python(sys.executable)
    assert r.verdict == "fail" and not r.ok
    assert r.cause.startswith("torch is not installed")
    assert r.report["import_torch"]["error"]["kind"] == "not_installed"
    assert "[smoke]" in r.log


def test_missing_interpreter() -> None:
    r = verify_python("/nonexistent/bin/python")
    assert r.verdict == "fail" and "cannot run" in r.cause


def test_venv_from_a_venv_says_parent_packages_are_invisible(tmp_path: Path) -> None:
    parent = tmp_path / "parent"
    venv.create(parent, with_pip=False)
    ppy = verify.env_python(parent)
    child = tmp_path / "child"
    subprocess.run([str(ppy), "-m", "venv", "--without-pip", "--system-site-packages", str(child)], check=True)
    r = verify.verify_env(child)
    assert r.verdict == "fail"
    assert r.report["python"]["venv_parent"] == str(parent)
    assert "itself a venv" in r.cause and f"not those of {parent}" in r.cause


def test_timeout_kills_and_says_where(tmp_path: Path) -> None:
    slow = tmp_path / "slowpython"
    slow.write_text("#!/bin/sh\nsleep 60\n")
    slow.chmod(0o755)
    if os.name == "nt":
        pytest.skip("shell script interpreter")
    r = verify_python(str(slow), timeout=1)
    assert r.verdict == "fail" and "did not finish in 1 s" in r.cause


def test_cancel_stops_a_silent_child(tmp_path: Path) -> None:
    from desktop.procs import CancelToken

    if os.name == "nt":
        pytest.skip("shell script interpreter")
    slow = tmp_path / "slowpython"
    slow.write_text("#!/bin/sh\nsleep 60\n")
    slow.chmod(0o755)
    token = CancelToken()
    threading.Timer(0.5, token.cancel).start()
    r = verify_python(str(slow), timeout=60, cancel=token)
    assert r.verdict == "fail" and "cancelled" in r.cause


@pytest.fixture(scope="session")
def cpu_torch_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A venv with PyTorch's CPU build: from a local wheel folder when the wheel is on disk (offline, that folder
    alone), else from the CPU index. Never a CUDA build; skip where neither can be reached."""
    env = tmp_path_factory.mktemp("cpu-torch") / "venv"
    venv.create(env, with_pip=True)
    py = str(verify.env_python(env))
    wheel = local_cpu_torch_wheel()
    if wheel is not None:
        _pip_install_or_skip(py, ["--no-index", "--no-deps", "--find-links", str(wheel.parent), CPU_TORCH], timeout=900)
        # Its pure-Python requirements (sympy, filelock, ...) from the configured index; torch is already
        # installed and pinned to +cpu, so nothing can replace it.
        _pip_install_or_skip(py, [CPU_TORCH], timeout=900)
    else:
        _pip_install_or_skip(py, ["--index-url", CPU_INDEX, CPU_TORCH], timeout=900)
    got = subprocess.run([py, "-c", "import torch; print(torch.__version__, torch.version.cuda)"],
                         capture_output=True, text=True, timeout=300)
    assert got.stdout.split() == ["2.13.0+cpu", "None"], got.stdout + got.stderr
    return py


def _find_links_dirs() -> list[Path]:
    """Local folders pip is told to find wheels in: $TORCHDESK_TEST_WHEELS, $PIP_FIND_LINKS, pip's config."""
    values = os.environ.get("TORCHDESK_TEST_WHEELS", "").split(os.pathsep) + os.environ.get("PIP_FIND_LINKS", "").split()
    cfg = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60)
    for line in cfg.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.endswith(".find-links"):
            values += value.strip().strip("'\"").split()
    dirs: list[Path] = []
    for v in values:
        d = Path(v[len("file://"):] if v.startswith("file://") else v)
        if v and "://" not in str(d) and d.is_dir() and d not in dirs:
            dirs.append(d)
    return dirs


def local_cpu_torch_wheel() -> Path | None:
    """The CPU torch wheel for this interpreter in a local wheel folder, or None."""
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    tags = set(sys_tags())
    for d in _find_links_dirs():
        for w in sorted(d.glob("torch-2.13.0+cpu-*.whl")):
            _name, version, _build, wheel_tags = parse_wheel_filename(w.name)
            if str(version) == "2.13.0+cpu" and wheel_tags & tags:
                return w
    return None


def _pip_install_or_skip(py: str, args: list[str], *, timeout: float, env: dict[str, str] | None = None) -> None:
    """pip install `args` into `py`'s environment, or skip the test saying why it could not."""
    what = " ".join(a for a in args if not a.startswith("-"))
    try:
        p = subprocess.run([py, "-m", "pip", "install", "-q", *args], capture_output=True, text=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        pytest.skip(f"{what} did not install in {timeout:g} s")
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["?"]
        pytest.skip(f"{what} is not installable here: {tail[0]}")


@pytest.mark.slow
def test_cpu_torch_build(cpu_torch_python: str) -> None:
    r = verify_python(cpu_torch_python, expect_gpu=True)
    assert r.verdict == "fail" and r.cause.startswith("CPU-only build")
    assert r.report["torch"]["version"].startswith("2.13.0")
    assert r.report["cuda"]["reason"] == "cpu_build"
    assert any(c["name"] == "cpu_matmul" and c["ok"] for c in r.report["checks"])
    assert verify_python(cpu_torch_python, expect_gpu=False).verdict == "pass"


@pytest.mark.slow
@pytest.mark.parametrize("flag, code", [("--expect-gpu", 1), ("--no-expect-gpu", 0)])
def test_cli_verify_cpu_torch_exit_codes(cpu_torch_python: str, flag: str, code: int) -> None:
    p = subprocess.run([sys.executable, "-m", "desktop.cli", "verify", "--python", cpu_torch_python, flag, "--json"],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == code, p.stderr
    out = json.loads(p.stdout)
    assert out["verdict"] == ("fail" if code else "pass")
    if code:
        assert "CPU-only build" in out["cause"]


@pytest.fixture(scope="session")
def cpu_torch_pypi_torchvision(cpu_torch_python: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The CPU torch venv, copied, plus PyPI's torchvision 0.28.0 (built against PyPI's CUDA torch): the real
    mismatch behind "operator torchvision::nms does not exist". Skip where PyPI cannot be reached."""
    import shutil

    src = Path(cpu_torch_python).parent.parent
    dst = tmp_path_factory.mktemp("cpu-torch-tv") / "venv"
    shutil.copytree(src, dst, symlinks=True)
    py = str(verify.env_python(dst))
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PIP_CONSTRAINT="")
    _pip_install_or_skip(py, ["--no-deps", "torchvision==0.28.0"], timeout=600, env=env)
    return py


@pytest.mark.slow
def test_mismatched_torchvision_is_caught(cpu_torch_pypi_torchvision: str) -> None:
    r = verify_python(cpu_torch_pypi_torchvision, expect_gpu=False)
    assert r.report["torchvision"]["error"]["kind"] == "torchvision_mismatch"
    assert r.verdict == "fail" and "does not match torch 2.13.0" in r.cause
    assert "torchvision==0.28.0+cpu" in (r.fix or "")


# --- command line ----------------------------------------------------------------------------------------------

def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *argv], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_cli_verify_needs_a_target() -> None:
    assert _cli("verify").returncode == 2


def test_cli_verify_missing_prefix_is_usage_error(tmp_path: Path) -> None:
    p = _cli("verify", "--prefix", str(tmp_path / "nope"))
    assert p.returncode == 2 and "no environment at" in p.stderr


def test_cli_verify_python_without_torch() -> None:
    p = _cli("verify", "--python", sys.executable)
    assert p.returncode == 1
    assert p.stdout.startswith("FAIL: torch is not installed")


def test_cli_doctor_table(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from desktop import cli, detect
    from desktop.model import Host
    from desktop.paths import envs_dir

    # doctor verifies the inventory's envs with torch in them (desktop/usecases/inventory.py): two on disk
    for name, torch in (("broken", "2.11.0"), ("no-torch", None)):
        prefix = envs_dir() / name
        (prefix / "conda-meta").mkdir(parents=True)
        (prefix / "conda-meta" / "history").write_text("")
        (prefix / "bin").mkdir()
        (prefix / "bin" / "python").symlink_to(sys.executable)  # no torch in it: "torch is not installed"
        if torch:
            dist = prefix / "lib" / "python3.11" / "site-packages" / f"torch-{torch}.dist-info"
            dist.mkdir(parents=True)
            (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {torch}\n")
    monkeypatch.setattr(detect, "detect_host", lambda **kw: Host())  # no GPU, no conda installation
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["env", "python", "torch", "build", "GPUs", "covered", "verdict", "fix"]
    assert len(out) == 2 and out[1].startswith("broken") and "FAIL" in out[1] and "torch is not installed" in out[1]
    assert cli.main(["doctor", "--json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert [r["env"] for r in rows] == ["broken"] and rows[0]["verdict"] == "fail"


def test_cli_verify_by_name_and_doctor_run_the_envs_own_python(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # detection reads an env's Python *version* off conda-meta; the interpreter to run is <prefix>/bin/python
    from desktop import cli

    home = tmp_path / "home"
    (home / ".conda").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    prefix = tmp_path / "envs" / "work"
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "history").write_text("==> 2024-01-01 00:00:00 <==\n")
    (prefix / "conda-meta" / "python-3.11.9-h0.json").write_text(json.dumps({"name": "python", "version": "3.11.9", "build": "h0"}))
    dist = prefix / "lib" / "python3.11" / "site-packages" / "torch-2.11.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.11.0\n")
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python").symlink_to(sys.executable)
    (home / ".conda" / "environments.txt").write_text(f"{prefix}\n")
    py = str(prefix / "bin" / "python")

    cli.main(["verify", "--name", "work", "--json"])
    r = json.loads(capsys.readouterr().out)
    assert r["python"] == py and "cannot run" not in r["cause"], r
    cli.main(["doctor", "--json"])
    rows = [row for row in json.loads(capsys.readouterr().out) if row["prefix"] == str(prefix)]
    assert [row["python"] for row in rows] == [py] and "cannot run" not in rows[0]["cause"]


# --- the extension checks: only where the env has TorchDesk's toolchain ------------------------------------------

@pytest.fixture(scope="session")
def toolchain_torch_python(cpu_torch_python: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The CPU torch venv, copied, plus the real ninja from PyPI and the activation script --toolchain writes.
    Its CUDA_HOME holds a STAND-IN nvcc (a CPU torch builds no CUDA code, so the C++ check never runs it); the
    C++ compile is real: g++ through torch.utils.cpp_extension.load_inline and ninja."""
    import shutil

    from desktop.toolchain import Toolchain, write_activation

    src = Path(cpu_torch_python).parent.parent
    dst = tmp_path_factory.mktemp("toolchain-torch") / "venv"
    shutil.copytree(src, dst, symlinks=True)
    py = str(verify.env_python(dst))
    _pip_install_or_skip(py, ["ninja"], timeout=600)
    if shutil.which("c++") is None and not os.environ.get("CXX"):
        pytest.skip("no C++ compiler (c++ or $CXX) on this machine")
    home = dst / "cuda-home"
    (home / "bin").mkdir(parents=True)
    nvcc = home / "bin" / "nvcc"
    nvcc.write_text("#!/bin/sh\necho 'stand-in nvcc: a CPU torch compiles no CUDA' >&2\nexit 3\n")
    nvcc.chmod(0o755)
    write_activation(Toolchain("13.0", (), "cuda-home", None, ()), dst)
    return py


def _check(r: Any, name: str) -> dict[str, Any]:
    found = [c for c in r.report["checks"] if c["name"] == name]
    assert len(found) == 1, [c["name"] for c in r.report["checks"]]
    return found[0]


@pytest.mark.slow
def test_toolchain_env_compiles_and_runs_a_cpp_extension(toolchain_torch_python: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CXX", raising=False)
    r = verify_python(toolchain_torch_python, expect_gpu=False)
    assert r.verdict == "pass", (r.cause, r.log[-3000:])
    chk = _check(r, "cpp_extension")
    assert chk["ok"] is True and chk["severity"] == "fail" and chk["got"] == [1.0, 2.0, 3.0, 4.0]
    assert r.report["toolchain"]["cuda_home"] == str(Path(toolchain_torch_python).parent.parent / "cuda-home")
    # the CUDA half: not on a CPU torch (see test_cuda_extension_on_a_gpu)
    assert r.report["toolchain"]["cuda_extension"] == "skipped: this torch build has no CUDA"
    assert not [c for c in r.report["checks"] if c["name"] == "cuda_extension"]


@pytest.mark.slow
def test_a_broken_compiler_fails_the_verdict(toolchain_torch_python: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXX", "/bin/false")  # reaches the env's python: verify passes CXX through
    r = verify_python(toolchain_torch_python, expect_gpu=False)
    assert not _check(r, "cpp_extension")["ok"]
    assert r.verdict == "fail" and r.cause.startswith("the cpp_extension check failed: ")
    assert "/bin/false" in r.cause and "cannot build a torch extension" in r.fix
    assert "cpp_extension" in r.log and "FAIL" in r.log


@pytest.mark.slow
def test_no_toolchain_no_extension_check(cpu_torch_python: str) -> None:
    r = verify_python(cpu_torch_python, expect_gpu=False)
    assert r.verdict == "pass" and r.report["toolchain"] is None
    assert not [c for c in r.report["checks"] if c["name"].endswith("_extension")]


@pytest.mark.slow
def test_cuda_extension_on_a_gpu() -> None:
    """The CUDA kernel is built and launched only by a CUDA torch on a GPU, in an env with TorchDesk's toolchain:
    point TORCHDESK_TEST_CUDA_PYTHON at such an env's python to run it (a device run)."""
    py = os.environ.get("TORCHDESK_TEST_CUDA_PYTHON")
    if not py:
        pytest.skip("needs a CUDA torch on a GPU in an env made with --toolchain (TORCHDESK_TEST_CUDA_PYTHON); "
                    "this machine has a CPU torch 2.13.0 and no GPU, so the CUDA half was not run here")
    r = verify_python(py, expect_gpu=True)
    chk = _check(r, "cuda_extension")
    assert chk["ok"] is True, chk
    assert [g["got"] for g in chk["gpus"]] == [[1.0, 2.0, 3.0, 4.0]] * r.report["cuda"]["device_count"]
    assert r.verdict in ("pass", "warn"), r.cause


@pytest.mark.slow
@pytest.mark.toolchain
def test_the_cuda_extension_source_compiles_with_the_real_nvcc(cpu_torch_python: str, tmp_path: Path) -> None:
    """What can run of the CUDA half without a GPU: the real nvcc compiles the check's kernel source against
    torch's headers (the CPU wheel ships them) for sm_90. Linking needs a CUDA torch, launching a GPU: not here."""
    import shutil
    import sysconfig

    from desktop.smoke.torchdesk_smoke_ext import EXT_CUDA

    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("no nvcc on this machine")
    inc = subprocess.run([cpu_torch_python, "-c", "import os, sysconfig, torch; "
                          "print(os.path.join(os.path.dirname(torch.__file__), 'include')); "
                          "print(sysconfig.get_paths()['include'])"],
                         capture_output=True, text=True, timeout=300, check=True).stdout.split("\n")
    torch_inc, py_inc = inc[0], inc[1] or sysconfig.get_paths()["include"]
    src = tmp_path / "torchdesk_ext_cuda.cu"
    src.write_text(EXT_CUDA)
    obj = tmp_path / "torchdesk_ext_cuda.o"
    p = subprocess.run([nvcc, "-c", str(src), "-o", str(obj), "-std=c++17", "--expt-relaxed-constexpr",
                        "-gencode=arch=compute_90,code=sm_90", "-DTORCH_EXTENSION_NAME=torchdesk_ext_cuda",
                        f"-I{torch_inc}", f"-I{torch_inc}/torch/csrc/api/include", f"-I{py_inc}"],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    assert obj.stat().st_size > 0
