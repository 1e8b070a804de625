"""Day two for real: a Jupyter kernel and the drift guard on environments built by the real create job.

The environments are built with the embedded engine from the session's local channel (tests/localrepo.py); the
wheels come from small local indexes each test builds. `ipykernel` here is a STAND-IN (a tiny wheel with an
`ipykernel_launcher` module that records how it was started), and the CUDA / CPU "torch" wheels are the
usual tiny stand-ins that only carry the version and local label: what is real is pip, its resolver, the
activation script run by a real bash, the files written, and the CLI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from localrepo import LocalRepo, build_pip_index
from standins import CPU_PLAN, pip_env, run_cli, standin_ipykernel

from desktop.driftguard import (
    CONSTRAINTS,
    activation_scripts,
    check_drift,
    read_installed,
)
from desktop.engine import get_engine
from desktop.envspec import EnvSpec, spec_from_plan, with_sources
from desktop.jobs import create_env
from desktop.kernels import (
    display_name,
    find_kernels,
    jupyter_data_dir,
    kernel_name,
    register_kernel,
)
from desktop.model import Plan
from desktop.paths import env_python, envs_dir
from desktop.procs import CancelToken

CUDA_PLAN = Plan(torch="2.5.1", variant="cu121", python="3.11", torchvision="0.20.1", torchaudio="2.5.1",
                 numpy="<2", index_url="https://download.pytorch.org/whl/cu121", cuda="12.1")
CUDA_WHEELS = (
    ("torch", "2.5.1+cu121", ()),
    ("torchvision", "0.20.1+cu121", ("torch==2.5.1+cu121",)),
    ("torchaudio", "2.5.1+cu121", ("torch==2.5.1+cu121",)),
    ("numpy", "1.26.4", ()),
)
# What a careless install brings: a CPU-only torch of the same release, a numpy 2, and a package that wants them.
SWAP_WHEELS = (
    ("torch", "2.5.1+cpu", ()),
    ("numpy", "2.1.0", ()),
    ("td-swapper", "1.0", ("torch==2.5.1+cpu", "numpy>=2")),
)


def _create(spec: EnvSpec) -> tuple[object, list[str]]:
    lines: list[str] = []
    res = create_env(spec, engine=get_engine("embedded"), on_line=lines.append, on_progress=lambda p: None,
                     cancel=CancelToken(), verify=False, size_mib=10, check_index=False)
    assert res.ok, (res.message, "\n".join(lines[-30:]))
    return res, lines


# --- Jupyter ------------------------------------------------------------------------------------------------------

def test_jupyter_data_dir_follows_jupyter_core(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JUPYTER_PLATFORM_DIRS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("JUPYTER_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    if sys.platform.startswith("linux"):
        assert jupyter_data_dir() == tmp_path / ".local" / "share" / "jupyter"
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert jupyter_data_dir() == tmp_path / "xdg" / "jupyter"
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jd"))
    assert jupyter_data_dir() == tmp_path / "jd"


def test_kernel_names_are_safe_and_per_prefix(tmp_path: Path) -> None:
    a, b = kernel_name(tmp_path / "a" / "Env One"), kernel_name(tmp_path / "b" / "Env One")
    assert a != b and a.startswith("torchdesk-env-one-")
    assert all(c.isalnum() or c in "._-" for c in a)
    assert display_name("2.15.0+cu132", "cu132", "NAME") == "PyTorch 2.15.0 · cu132 · NAME"
    assert display_name("2.5.1", "default", "x") == "PyTorch 2.5.1 · x"


def test_a_foreign_kernelspec_of_the_same_name_is_left_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jd"))
    prefix = tmp_path / "envs" / "e1"
    foreign = tmp_path / "jd" / "kernels" / kernel_name(prefix, "e1")
    foreign.mkdir(parents=True)
    (foreign / "kernel.json").write_text(json.dumps({"argv": ["python"], "display_name": "mine"}))
    with pytest.raises(Exception, match="not written by TorchDesk"):
        register_kernel(prefix, display="x", env_name="e1")
    assert json.loads((foreign / "kernel.json").read_text())["display_name"] == "mine"
    assert find_kernels() == []


def test_create_with_jupyter_registers_a_kernel_and_remove_removes_only_it(repo: LocalRepo, home: Path,
                                                                            tmp_path: Path) -> None:
    jup = standin_ipykernel(tmp_path / "jup-index")
    spec = with_sources(spec_from_plan(CPU_PLAN, name="jk1"), channels=[repo.channel_url],
                        index_url=repo.torch_index_url, extras_index_url=jup.as_uri())
    spec = spec.__class__(**{**spec.__dict__, "jupyter": True})
    _create(spec)
    prefix = envs_dir() / "jk1"
    assert "ipykernel" in read_installed(prefix)
    # the default place on Linux, under the test's HOME (XDG_DATA_HOME is unset by the home fixture)
    kdir = home / ".local" / "share" / "jupyter" / "kernels" / kernel_name(prefix, "jk1")
    data = json.loads((kdir / "kernel.json").read_text())
    assert data["display_name"] == "PyTorch 2.5.1 · cpu · jk1"
    assert data["argv"] == [str(env_python(prefix)), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert data["metadata"]["torchdesk"]["prefix"] == str(prefix)
    # Jupyter would run exactly this argv: it must start the env's own python and find the launcher there
    conn = tmp_path / "kernel-1.json"
    argv = [a.replace("{connection_file}", str(conn)) for a in data["argv"]]
    subprocess.run(argv, check=True, env=pip_env(), timeout=60)
    launched = json.loads(Path(str(conn) + ".launched").read_text())
    assert Path(launched["prefix"]).resolve() == prefix.resolve() and launched["argv"] == ["-f", str(conn)]
    # torch was held to its pins while ipykernel went in
    assert read_installed(prefix)["torch"].version == "2.5.1+cpu"

    # someone else's kernelspec for the same env stays when the env goes
    other = kdir.parent / "my-own-kernel"
    other.mkdir()
    (other / "kernel.json").write_text(json.dumps({"argv": data["argv"], "display_name": "mine", "language": "python"}))
    listed = json.loads(run_cli("envs", "--json", check=True).stdout)
    row = next(e for e in listed if e["name"] == "jk1")
    assert row["jupyter_kernel"]["name"] == kdir.name
    assert kdir.name in run_cli("envs", check=True).stdout

    run_cli("remove", "jk1", "--yes", check=True)
    assert not prefix.exists() and not kdir.exists()
    assert (other / "kernel.json").is_file()


def test_a_job_cancelled_after_the_kernel_was_written_removes_it(repo: LocalRepo, home: Path, tmp_path: Path) -> None:
    jup = standin_ipykernel(tmp_path / "jup-index")
    spec = with_sources(spec_from_plan(CPU_PLAN, name="jk2"), channels=[repo.channel_url],
                        index_url=repo.torch_index_url, extras_index_url=jup.as_uri())
    spec = spec.__class__(**{**spec.__dict__, "jupyter": True})
    token = CancelToken()
    seen: list[str] = []

    def on_line(line: str) -> None:
        seen.append(line)
        if line.startswith("Jupyter kernel"):
            assert find_kernels(envs_dir() / "jk2")  # written, then the user cancels during verification
            token.cancel()

    res = create_env(spec, engine=get_engine("embedded"), on_line=on_line, on_progress=lambda p: None,
                     cancel=token, verify=True, size_mib=10, check_index=False)
    assert res.status == "cancelled", (res.message, seen[-20:])
    assert any(s.startswith("Jupyter kernel") for s in seen)
    assert not (envs_dir() / "jk2").exists() and find_kernels() == []
    assert not (home / ".local" / "share" / "jupyter" / "kernels" / kernel_name(envs_dir() / "jk2", "jk2")).exists()


# --- drift guard --------------------------------------------------------------------------------------------------

@pytest.fixture
def guarded(repo: LocalRepo, home: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A CUDA-planned env built by the real job (stand-in wheels), and the index a careless install would use."""
    cu = build_pip_index(tmp_path / "cu-index", CUDA_WHEELS)
    swap = build_pip_index(tmp_path / "swap-index", SWAP_WHEELS)
    spec = with_sources(spec_from_plan(CUDA_PLAN, name="g1"), channels=[repo.channel_url], index_url=cu.as_uri())
    assert spec.torch_pins == ("torch==2.5.1+cu121", "torchvision==0.20.1+cu121", "torchaudio==2.5.1+cu121")
    _create(spec)
    return envs_dir() / "g1", swap


def test_guard_files(guarded: tuple[Path, Path]) -> None:
    prefix, _ = guarded
    cons = (prefix / CONSTRAINTS).read_text().splitlines()
    assert [c for c in cons if not c.startswith("#")] == [
        "torch==2.5.1+cu121", "torchvision==0.20.1+cu121", "torchaudio==2.5.1+cu121", "numpy<2"]
    pinned = (prefix / "conda-meta" / "pinned").read_text().splitlines()
    assert pinned == ["python 3.11.*", "numpy <2", "pytorch 2.5.1 cuda*"]
    for shell in ("sh", "fish", "ps1", "bat"):
        for d in ("activate.d", "deactivate.d"):
            text = (prefix / "etc" / "conda" / d / f"torchdesk-guard.{shell}").read_text()
            assert "PIP_CONSTRAINT" in text and "UV_CONSTRAINT" in text
    assert check_drift(prefix).ok
    # conda reads every conda-meta/*.json as a package record: the guard puts nothing of its own there
    assert all("name" in json.loads(f.read_text()) for f in (prefix / "conda-meta").glob("*.json"))


def test_sh_activation_sets_and_deactivation_restores(guarded: tuple[Path, Path], tmp_path: Path) -> None:
    prefix, _ = guarded
    act = prefix / "etc/conda/activate.d/torchdesk-guard.sh"
    deact = prefix / "etc/conda/deactivate.d/torchdesk-guard.sh"
    script = (f'. "{act}"; echo "A=$PIP_CONSTRAINT|$UV_CONSTRAINT"; . "{deact}"; '
              'echo "D=${PIP_CONSTRAINT-unset}|${UV_CONSTRAINT-unset}"')
    env = {k: v for k, v in pip_env().items() if k not in ("PIP_CONSTRAINT", "UV_CONSTRAINT")}
    out = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    cons = str(prefix / CONSTRAINTS)
    assert f"A={cons}|{cons}" in out and "D=unset|unset" in out
    # a user's own constraints are kept (ours first) and come back after deactivation
    out = subprocess.run(["bash", "-c", script], env={**env, "PIP_CONSTRAINT": "/mine.txt"}, capture_output=True,
                         text=True, check=True).stdout
    assert f"A={cons} /mine.txt|{cons}" in out and "D=/mine.txt|unset" in out


def test_a_path_with_a_space_is_given_as_a_file_url(tmp_path: Path) -> None:
    from desktop.driftguard import constraint_value

    p = tmp_path / "my envs" / "c.txt"
    assert constraint_value(p) == p.as_uri() and " " not in constraint_value(p)
    scripts = activation_scripts("/x/100%/c.txt")
    assert "100%%" in scripts["etc/conda/activate.d/torchdesk-guard.bat"]


def test_pip_refuses_a_cpu_swap_under_the_guard_then_doctor_flags_it_and_repair_restores(
        guarded: tuple[Path, Path]) -> None:
    prefix, swap = guarded
    py = env_python(prefix)
    act = prefix / "etc/conda/activate.d/torchdesk-guard.sh"
    install = f'"{py}" -m pip install --index-url "{swap.as_uri()}" td-swapper'
    # 1. guarded: PIP_CONSTRAINT exactly as the activation script sets it; pip must refuse
    p = subprocess.run(["bash", "-c", f'. "{act}" && {install}'], env=pip_env(), capture_output=True, text=True,
                       timeout=300, check=False)
    assert p.returncode != 0, p.stdout
    assert "torch" in (p.stdout + p.stderr) and "conflict" in (p.stdout + p.stderr).lower()
    assert read_installed(prefix)["torch"].version == "2.5.1+cu121"
    assert check_drift(prefix).ok
    # uv reads UV_CONSTRAINT the same way
    uv = shutil.which("uv")
    if uv is not None:
        uv_install = f'"{uv}" pip install --offline --python "{py}" --index-url "{swap.as_uri()}" td-swapper'
        p = subprocess.run(["bash", "-c", f'. "{act}" && {uv_install}'], env=pip_env(), capture_output=True,
                           text=True, timeout=300, check=False)
        # (uv names the first planned pin it hits: numpy's bound or torch's build)
        assert p.returncode != 0 and ("numpy<2" in p.stderr or "torch==2.5.1+cu121" in p.stderr), p.stdout + p.stderr
        assert read_installed(prefix)["torch"].version == "2.5.1+cu121"
        # the control: the same uv command without the activation script would go ahead
        p = subprocess.run(["bash", "-c", uv_install + " --dry-run"], env=pip_env(), capture_output=True, text=True,
                           timeout=300, check=False)
        assert p.returncode == 0, p.stdout + p.stderr

    # 2. the guard removed (no activation): pip swaps torch for the CPU build and numpy past its bound
    p = subprocess.run(["bash", "-c", install], env=pip_env(), capture_output=True, text=True, timeout=300,
                       check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    got = read_installed(prefix)
    assert got["torch"].version == "2.5.1+cpu" and got["numpy"].version == "2.1.0"
    report = check_drift(prefix)
    kinds = {d.package: d for d in report.drifts}
    assert kinds["torch"].kind == "cpu-build" and kinds["torch"].found == "2.5.1+cpu"
    assert kinds["torch"].installer == "pip" and "td-swapper 1.0" in kinds["torch"].with_packages
    assert kinds["numpy"].kind == "numpy-bound" and kinds["numpy"].found == "2.1.0"
    assert "torchvision" not in kinds

    # 3. doctor names it; repair restores only the drifted ones
    doc = run_cli("doctor", "--json")
    rows = json.loads(doc.stdout)
    row = next(r for r in rows if r["env"] == "g1")
    assert {d["package"] for d in row["drift"]["drifts"]} == {"torch", "numpy"} and doc.returncode == 1
    assert "td-swapper" in row["drift"]["drifts"][0]["message"]
    vision_before = read_installed(prefix)["torchvision"]
    python_before = (prefix / "bin" / f"python{CUDA_PLAN.python}").stat().st_mtime_ns
    (prefix / CONSTRAINTS).unlink()  # the guard file removed too: repair writes it back
    out = run_cli("repair", "g1", check=True)
    assert "restored" in out.stdout
    got = read_installed(prefix)
    assert got["torch"].version == "2.5.1+cu121" and got["numpy"].version == "1.26.4"
    assert got["td-swapper"].version == "1.0"  # the rest is left as it is
    assert got["torchvision"] == vision_before
    assert (prefix / "bin" / f"python{CUDA_PLAN.python}").stat().st_mtime_ns == python_before
    assert (prefix / CONSTRAINTS).is_file() and check_drift(prefix).ok
    assert run_cli("repair", "g1", "--check", check=True).returncode == 0


def test_same_version_from_another_index_is_flagged(guarded: tuple[Path, Path]) -> None:
    prefix, _ = guarded
    record = Path(read_installed(prefix)["torch"].path) / "RECORD"
    record.write_text(record.read_text() + "torch/_other_build.py,,\n")  # what another build's files look like
    drifts = check_drift(prefix).drifts
    assert [(d.package, d.kind) for d in drifts] == [("torch", "other-index")]


def test_a_hostile_guard_record_reaches_nothing(guarded: tuple[Path, Path]) -> None:
    from desktop.driftguard import RECORD, repair_env

    prefix, _ = guarded
    rec = json.loads((prefix / RECORD).read_text())
    rec["planned"]["--index-url=http://198.51.100.1/simple"] = "1.0"
    rec["planned"]["torch"] = "2.5.1+cu121 --extra-index-url http://198.51.100.1"
    rec["numpy"] = "<2; rm -rf ~"
    (prefix / RECORD).write_text(json.dumps(rec))
    report = check_drift(prefix)
    assert report.ok and len(report.notes) == 3
    lines: list[str] = []
    res = repair_env(prefix, on_line=lines.append)
    assert res.ok and res.reinstalled == () and not any("198.51.100.1" in line for line in lines)
    (prefix / RECORD).write_text("{not json")
    assert not check_drift(prefix).guarded
