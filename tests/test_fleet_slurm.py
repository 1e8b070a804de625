"""torchdesk fleet against a real Slurm: the single node .ci/slurm-up.sh brings up, with two GRES GPU types
(`v100`, and the site-local `labgpu`) whose device files are /dev/null. Nothing here fakes Slurm: jobs are
submitted, scheduled on the node, run, cancelled and read back for real. Run by .ci/fleet-step.sh:

    eval "$(.ci/slurm-up.sh)"; python3 -m pytest -q -p no:cacheprovider -m slurm tests/test_fleet_slurm.py

The GPUs are not real, so the smoke test finds none; what the tests prove is the routing (each class's job got
its own GPU: CUDA_VISIBLE_DEVICES differs), the verdict coming back per class, and the cancel. The environment
built by `fleet create` comes from tests/localrepo.py's local channel and index, whose `torch` is a tiny stand-in
package, so its verdict is FAIL; a second test verifies a venv holding the real CPU torch wheel, which passes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import Any, Iterator

import psutil
import pytest

pytestmark = pytest.mark.slurm

ROOT = Path(__file__).resolve().parent.parent
CPU_TORCH = "torch==2.13.0"  # the CPU wheel these machines hold on local disk (as in test_verify.py)


def _run(*cmd: str, timeout: float = 60, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture(scope="module")
def node() -> str:
    """The Slurm node's name; skip the module when no Slurm answers."""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        pytest.skip("no Slurm client on PATH: run `eval \"$(.ci/slurm-up.sh)\"` first (apt: slurm-client)")
    try:
        ping = _run("scontrol", "ping", timeout=15)
    except subprocess.TimeoutExpired:
        pytest.skip("`scontrol ping` timed out: no Slurm controller reachable")
    if "UP" not in ping.stdout:
        pytest.skip(f"no Slurm controller answers `scontrol ping` ({(ping.stdout + ping.stderr).strip()[:200]}); "
                    "run `eval \"$(.ci/slurm-up.sh)\"`")
    pytest.importorskip("submitit", reason="submitit is not installed: pip install -e '.[fleet]'")
    nodes = _run("sinfo", "-h", "-N", "-o", "%N").stdout.split()
    assert nodes, "Slurm has no node"
    return nodes[0]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 'shared filesystem': one folder the login side and the node both see (the same machine here)."""
    return tmp_path_factory.mktemp("shared")


@pytest.fixture(scope="module")
def site_maps(shared: Path) -> dict[str, Path]:
    covered = shared / "site-4090.yml"
    covered.write_text("gpu_types:\n  labgpu: {gpu: GeForce RTX 4090, driver: 550.54.14}\n")
    blocked = shared / "site-k40.yml"
    blocked.write_text("gpu_types:\n  labgpu: {gpu: Tesla K40m, driver: 470.82.01}\n")
    return {"covered": covered, "blocked": blocked}


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


def _squeue_ids(name: str) -> list[str]:
    return _run("squeue", "-h", "-n", name, "-o", "%i").stdout.split()


def _wait_gone(ids: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = set(_run("squeue", "-h", "-o", "%i").stdout.split())
        if not listed & set(ids):
            return
        time.sleep(0.5)
    raise AssertionError(f"jobs {ids} still in squeue after {timeout} s")


def test_inventory_reads_the_gres(node: str) -> None:
    p = _cli("fleet", "inventory", "--json")
    assert p.returncode == 0, p.stderr
    classes = {c["name"]: c for c in json.loads(p.stdout)["classes"]}
    assert set(classes) == {"v100", "labgpu"}
    assert classes["v100"]["nodes"] == [node] and classes["v100"]["gres"] == "gpu:v100:1"
    assert classes["v100"]["model"] == "Tesla V100-SXM2-16GB"
    assert classes["labgpu"]["model"] is None  # a local name: the table says how to map it
    p = _cli("fleet", "inventory")
    assert "labgpu" in p.stdout and "site mapping file" in p.stdout


def test_plan_covers_both_classes_or_names_the_blocker(node: str, site_maps: dict[str, Path]) -> None:
    p = _cli("fleet", "plan", "--site-map", str(site_maps["covered"]), "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["status"] == "ok" and out["blockers"] == [] and out["driver"] == "550.54.14"
    assert any("[class labgpu]" in c["detail"] for c in out["checks"])
    assert any("[class v100]" in c["detail"] for c in out["checks"])
    p = _cli("fleet", "plan", "--site-map", str(site_maps["blocked"]))
    assert p.returncode == 1
    assert "class labgpu blocks one plan for all classes" in p.stdout and "compute capability 3.5" in p.stdout
    assert "class v100: torch" in p.stdout  # the other class still gets its own plan


def test_probe_runs_detect_on_each_class(node: str, tmp_path: Path) -> None:
    env = dict(os.environ, TORCHDESK_FLEET_JOBS=str(tmp_path / "jobs"), HOME=str(tmp_path / "home"))
    p = _cli("fleet", "inventory", "--probe", "--json", env=env)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    # one detect job per class ran on the node; its GPUs are /dev/null, so detect finds none there and says so
    assert "class labgpu: job" in p.stderr and "class v100: job" in p.stderr
    for name in ("labgpu", "v100"):
        assert any(f"class {name}: `torchdesk detect` on {node} found no NVIDIA GPU" in w for w in out["warnings"])
    assert {c["name"]: c["model"] for c in out["classes"]}["v100"] == "Tesla V100-SXM2-16GB"
    assert list((tmp_path / "jobs" / "probe").glob("*/*_result.pkl"))


@pytest.fixture(scope="module")
def fleet_env(node: str, shared: Path, site_maps: dict[str, Path], tmp_path_factory: pytest.TempPathFactory,
              repo: Any, pkgs: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """`fleet create` of a CPU-torch env on the shared folder, from the local channel and index."""
    from localrepo import isolate_home

    prefix = shared / "envs" / "fleet-cpu"
    with pytest.MonkeyPatch.context() as mp:
        isolate_home(mp, tmp_path_factory.mktemp("home"), pkgs)
        env = dict(os.environ)
    p = _cli("fleet", "create", "--prefix", str(prefix), "--site-map", str(site_maps["covered"]),
             "--torch", "2.5.1", "--variant", "cpu", "--python", "3.11", "--engine", "embedded",
             "--channel", repo.channel_url, "--pip-index-url", repo.torch_index_url,
             "--extras-index-url", repo.extras_index_url, "--no-verify", "-y", env=env, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "Fleet plan for labgpu, v100: torch 2.5.1 (cpu)" in p.stdout
    assert (prefix / "bin" / "python").exists()
    yield prefix, env


def test_verify_runs_one_real_job_per_class(node: str, fleet_env: tuple[Path, dict[str, str]],
                                            site_maps: dict[str, Path], shared: Path) -> None:
    prefix, env = fleet_env
    p = _cli("fleet", "verify", "--prefix", str(prefix), "--site-map", str(site_maps["covered"]), "--json", env=env)
    assert p.returncode == 1, p.stderr  # the stand-in torch fails the smoke test: exit 1
    out = json.loads(p.stdout)
    rows = {r["class"]: r for r in out["classes"]}
    assert set(rows) == {"v100", "labgpu"}
    assert list(Path(out["jobs_folder"]).glob("*_log.out"))  # a class failed: its job logs are kept to look into
    # each class ran as its own Slurm job on the node, and Slurm gave each its own GPU of the requested type
    assert {r["node"] for r in rows.values()} == {node}
    assert len({r["job_id"] for r in rows.values()}) == 2
    assert sorted(r["cuda_visible_devices"] for r in rows.values()) == ["0", "1"]
    for r in rows.values():
        assert r["verdict"] == "fail" and r["cause"] and r["fix"]
    assert "submitted on gpu:v100:1" in p.stderr and "submitted on gpu:labgpu:1" in p.stderr
    # the readable table
    p = _cli("fleet", "verify", "--prefix", str(prefix), env=env)
    assert p.returncode == 1
    assert "CLASS" in p.stdout and "VERDICT" in p.stdout and "0 of 2 classes pass" in p.stdout
    # --print-sbatch, submitted by hand with sbatch, gives the same table
    sb = shared / "sbatch"
    p = _cli("fleet", "verify", "--prefix", str(prefix), "--print-sbatch", str(sb), env=env)
    assert p.returncode == 0, p.stderr
    ids = []
    for script in sorted(sb.glob("verify-*.sbatch")):
        out = _run("sbatch", "--parsable", str(script), env=env, cwd=str(shared))
        assert out.returncode == 0, out.stderr
        ids.append(out.stdout.strip().split(";")[0])
    assert len(ids) == 2
    _wait_gone(ids)
    p = _cli("fleet", "verify", "--collect", str(sb), "--json", env=env)
    assert p.returncode == 1, p.stderr
    by_hand = {r["class"]: r for r in json.loads(p.stdout)["classes"]}

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r["class"], r["verdict"], r["cause"], r["node"], r["cuda_visible_devices"], r["torch"],
                tuple((c["name"], c["ok"]) for c in r["checks"]))

    assert {key(r) for r in by_hand.values()} == {key(r) for r in rows.values()}
    assert {r["job_id"] for r in by_hand.values()} == set(ids)


def test_verify_says_why_a_job_waits(node: str, fleet_env: tuple[Path, dict[str, str]], shared: Path) -> None:
    prefix, env = fleet_env
    cpus = _run("sinfo", "-h", "-N", "-o", "%c").stdout.split()[0]
    blocker = _run("sbatch", "--parsable", "-c", cpus, "-J", "torchdesk-test-blocker", "-o", "/dev/null",
                   "--wrap", "sleep 8", cwd=str(shared))
    assert blocker.returncode == 0, blocker.stderr
    try:
        p = _cli("fleet", "verify", "--prefix", str(prefix), "--class", "v100", env=env)
    finally:
        _run("scancel", blocker.stdout.strip().split(";")[0])
    assert p.returncode == 1
    assert "class v100: job" in p.stderr and "pending: " in p.stderr  # e.g. "pending: Resources"
    assert "v100" in p.stdout and "labgpu" not in p.stdout.split("CLASS", 1)[1]  # --class: only that class ran


def test_create_on_node_builds_as_a_slurm_job(node: str, fleet_env: tuple[Path, dict[str, str]], repo: Any,
                                              site_maps: dict[str, Path], shared: Path) -> None:
    _prefix, env = fleet_env
    prefix = shared / "envs" / "built-on-node"
    p = _cli("fleet", "create", "--prefix", str(prefix), "--on-node", "v100", "--site-map", str(site_maps["covered"]),
             "--torch", "2.5.1", "--variant", "cpu", "--python", "3.11", "--engine", "embedded",
             "--channel", repo.channel_url, "--pip-index-url", repo.torch_index_url,
             "--extras-index-url", repo.extras_index_url, "--no-verify", "-y", env=env, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "class v100: job" in p.stdout and "submitted on gpu:v100:1" in p.stdout
    assert f"Created {prefix.name}" in p.stdout or str(prefix) in p.stdout
    assert (prefix / "bin" / "python").exists() and (prefix / "conda-meta").is_dir()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_ctrl_c_cancels_the_jobs(node: str, shared: Path, site_maps: dict[str, Path], sig: int) -> None:
    # An 'environment' whose python hangs without a word: the jobs run until cancelled.
    prefix = shared / "envs" / "sleeper"
    (prefix / "bin").mkdir(parents=True, exist_ok=True)
    py = prefix / "bin" / "python"
    py.write_text("#!/bin/sh\nsleep 600\n")  # the shell keeps this path in its command line
    py.chmod(0o755)
    name = "torchdesk-verify-sleeper"
    proc = subprocess.Popen([sys.executable, "-m", "desktop.cli", "fleet", "verify", "--prefix", str(prefix),
                             "--site-map", str(site_maps["covered"])], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        running: list[str] = []
        while time.monotonic() < deadline and proc.poll() is None:
            running = _run("squeue", "-h", "-n", name, "-t", "RUNNING", "-o", "%i").stdout.split()
            sleepers = [p for p in psutil.process_iter(["cmdline"]) if str(py) in " ".join(p.info["cmdline"] or ())]
            if len(running) == 2 and len(sleepers) == 2:
                break
            time.sleep(0.3)
        assert len(running) == 2, f"the two jobs did not start: {proc.poll()} {running}"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, out + err
    assert "cancelling" in err and "squeue shows none of the jobs left" in err
    assert _squeue_ids(name) == []
    assert "CANCELLED" in out
    # nothing the jobs started is still running on the node
    left = [p for p in psutil.process_iter(["cmdline"]) if str(py) in " ".join(p.info["cmdline"] or ())]
    assert not left, left


@pytest.fixture(scope="module")
def torch_venv(node: str, shared: Path) -> Path:
    """A venv on the shared folder with the real CPU torch wheel; skip where it cannot be installed."""
    env = shared / "envs" / "cpu-torch"
    venv.create(env, with_pip=True)
    try:
        p = _run(str(env / "bin" / "python"), "-m", "pip", "install", "-q", CPU_TORCH, timeout=900)
    except subprocess.TimeoutExpired:
        pytest.skip(f"{CPU_TORCH} did not install in 900 s")
    if p.returncode != 0:
        pytest.skip(f"{CPU_TORCH} is not installable here: {(p.stderr or p.stdout).strip().splitlines()[-1:]}")
    return env


def test_real_cpu_torch_passes_on_every_class(node: str, torch_venv: Path, site_maps: dict[str, Path]) -> None:
    p = _cli("fleet", "verify", "--prefix", str(torch_venv), "--site-map", str(site_maps["covered"]), "--json",
             timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    out = json.loads(p.stdout)
    assert out["ok"] is True
    assert out["jobs_folder"] is None and not (torch_venv.parent / ".torchdesk-fleet-cpu-torch").exists()  # cleaned
    rows = {r["class"]: r for r in out["classes"]}
    assert set(rows) == {"v100", "labgpu"}
    for r in rows.values():
        assert r["verdict"] in ("pass", "warn") and r["torch"].startswith("2.13.0")
        assert r["checks"] and all(c["ok"] for c in r["checks"])


def test_cluster_tab_reads_and_verifies_on_slurm(qtbot: Any, node: str, fleet_env: tuple[Path, dict[str, str]],
                                                 site_maps: dict[str, Path], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pytestqt")
    from desktop.ui.cluster_panel import ClusterPanel
    from desktop.ui.worker import JobRunner

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    prefix, _env = fleet_env
    runner = JobRunner("cluster")
    panel = ClusterPanel(runner, lambda: None)
    qtbot.addWidget(panel)
    panel.site_edit.setText(str(site_maps["covered"]))
    with qtbot.waitSignal(runner.succeeded, timeout=60_000):
        assert panel.read()
    names = [panel.classes_table.item(r, 0).text() for r in range(panel.classes_table.rowCount())]
    assert names == ["labgpu", "v100"] and "One plan for every class" in panel.plan_label.text()
    panel.prefix_edit.setText(str(prefix))
    with qtbot.waitSignal(runner.succeeded, timeout=300_000):
        assert panel.verify()
    rows = [[panel.verdict_table.item(r, c).text() for c in range(panel.verdict_table.columnCount())]
            for r in range(panel.verdict_table.rowCount())]
    assert [r[0] for r in rows] == ["labgpu", "v100"] and {r[1] for r in rows} == {"FAIL"}
    assert sorted(r[7] for r in rows) == ["0", "1"] and {r[2] for r in rows} == {node}
    assert runner.shutdown()
