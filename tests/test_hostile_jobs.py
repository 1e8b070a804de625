"""Issue #10, the job half: locks, markers, interrupts, ambiguous names, a read-only ~/.conda, crash exits.

Everything runs the real CLI (`python -m desktop.cli`) in real processes against the local channel and index
(tests/localrepo.py); signals are sent for real. HOME is a throw-away folder (the `home` fixture), which the
child processes inherit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from desktop.paths import conda_environments_txt, envs_dir
from localrepo import LocalRepo, serve_index, tree_state

ROOT = Path(__file__).resolve().parent.parent
MARKER = ".torchdesk-creating"  # desktop.locks.MARKER, spelled out so this file also runs against older code


def create_argv(repo: LocalRepo, *extra: str, index: str | None = None) -> list[str]:
    return [sys.executable, "-m", "desktop.cli", "create", "--python", "3.11", "--torch", "2.5.1", "--variant", "cpu",
            "--channel", repo.channel_url, "--pip-index-url", index or repo.torch_index_url,
            "--extras-index-url", repo.extras_index_url, "--yes", "--no-verify", *extra]


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def fake_env(prefix: Path) -> None:
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "history").write_text("==> 2024-01-01 00:00:00 <==\n")
    (prefix / "notes.txt").write_text("the user's own\n")


class Running:
    """A CLI process whose output is read in the background, so a test can wait for a line and then signal it."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, text: str, timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        with self._cond:
            while not any(text in line for line in self.lines):
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"{text!r} never came; output:\n" + "\n".join(self.lines[-40:]))
                self._cond.wait(min(left, 0.5))

    def finish(self, timeout: float = 120) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(10)
        return code

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def processes_using(prefix: Path) -> list[psutil.Process]:
    """Live processes whose command line or executable points into `prefix` (pip run by the env's python)."""
    out = []
    for p in psutil.process_iter(["cmdline", "exe"]):
        try:
            text = " ".join(p.info["cmdline"] or []) + " " + (p.info["exe"] or "")
        except (psutil.Error, TypeError):
            continue
        if str(prefix) in text:
            out.append(p)
    return out


def no_process_uses(prefix: Path, timeout: float = 20) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not processes_using(prefix):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def stalled(repo: LocalRepo) -> Any:
    """The torch index over http on 127.0.0.1, answering every wheel download with headers and then silence."""
    served = serve_index(repo.torch_index, stall_wheels=True)
    yield served
    served.close()


# --- 1. one owner per environment ---------------------------------------------------------------------------------

@pytest.mark.parametrize("attempt", range(8))
def test_two_creates_of_one_name_the_finished_env_survives(repo: LocalRepo, home: Path, attempt: int) -> None:
    # before: in 5 of 8 tries the second create's clean-up deleted the first one's finished environment
    good = Running(create_argv(repo, "-n", "same"))
    time.sleep(0.15 * (attempt % 4))  # vary the overlap: both in preflight, first in solve, first in pip...
    bad = subprocess.run(create_argv(repo, "-n", "same", "--extra", "no-such-pkg"), cwd=ROOT, capture_output=True,
                         text=True, stdin=subprocess.DEVNULL, timeout=300)
    code = good.finish(300)
    prefix = envs_dir() / "same"
    assert bad.returncode == 1, bad.stdout + bad.stderr
    if code == 0:  # the usual case: the first one held the lock, finished, and its env is whole
        assert "Created" in good.output
        assert (prefix / "conda-meta" / "history").is_file() and not (prefix / MARKER).exists()
        assert str(prefix) in conda_environments_txt().read_text().splitlines()
        assert next(prefix.glob("lib/python3*/site-packages/torch")).is_dir()
    else:  # the second one got the lock first: the first was refused at once and nothing is left
        assert "another TorchDesk job is working on" in good.output, good.output
        assert not prefix.exists()
    if "another TorchDesk job is working on" in bad.stderr + bad.stdout:
        assert f"pid {good.proc.pid}" in bad.stderr + bad.stdout  # names who holds it


def test_a_held_lock_refuses_at_once_and_names_the_holder(repo: LocalRepo, home: Path) -> None:
    from desktop.locks import EnvLock

    prefix = envs_dir() / "held"
    with EnvLock(prefix, command="torchdesk create -n held (test)"):
        r = subprocess.run(create_argv(repo, "-n", "held"), cwd=ROOT, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=120)
        assert r.returncode == 1
        assert f"pid {os.getpid()} (torchdesk create -n held (test)), since " in r.stderr, r.stderr
        assert not prefix.exists()
        fake_env(prefix)
        before = tree_state(prefix)
        r = cli("remove", str(prefix), "--yes")
        assert r.returncode == 1 and "another TorchDesk job is working on" in r.stderr
        assert tree_state(prefix) == before


def test_a_failed_job_keeps_the_empty_folder_it_was_given(repo: LocalRepo, home: Path, tmp_path: Path) -> None:
    # before: the job took an empty --prefix folder as its own and removed it on failure
    target = tmp_path / "mine"
    target.mkdir(mode=0o750)
    r = subprocess.run(create_argv(repo, "--prefix", str(target), "--extra", "no-such-pkg"), cwd=ROOT,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    assert target.is_dir() and list(target.iterdir()) == [] and (target.stat().st_mode & 0o777) == 0o750


# --- 2. interrupts ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_pip_cancels_kills_pip_and_removes_the_env(repo: LocalRepo, home: Path, stalled: Any,
                                                                    sig: signal.Signals) -> None:
    # before: Ctrl-C gave "the job stopped without a result", exit 1 and half a folder; SIGTERM/SIGHUP left pip running
    job = Running(create_argv(repo, "-n", "sig", index=stalled.url))
    job.wait_for("Downloading")
    prefix = envs_dir() / "sig"
    assert processes_using(prefix)  # the env's pip is running
    job.proc.send_signal(sig)
    if sig == signal.SIGINT:
        job.wait_for("cancelling")
        job.proc.send_signal(sig)  # a second Ctrl-C during clean-up does not make it worse
    code = job.finish()
    assert code == 128 + int(sig), job.output
    assert "what the job created was removed" in job.output
    assert not prefix.exists()
    assert no_process_uses(prefix)
    r = cli("envs")
    assert "sig" not in r.stdout


CONDA_STAGES = ["[1/6] preflight", "[2/6] solve", "[3/6] download", "[4/6] link"]


@pytest.mark.parametrize("stage", CONDA_STAGES)
def test_ctrl_c_at_each_stage_leaves_nothing(repo: LocalRepo, home: Path, stalled: Any, stage: str) -> None:
    # pip stalls, so the job cannot finish first: whatever step the signal lands in, it must cancel and clean
    job = Running(create_argv(repo, "-n", "st", index=stalled.url))
    job.wait_for(stage)
    job.proc.send_signal(signal.SIGINT)
    assert job.finish() == 130, job.output
    prefix = envs_dir() / "st"
    assert not prefix.exists() and no_process_uses(prefix)
    assert not conda_environments_txt().exists() or str(prefix) not in conda_environments_txt().read_text()


@pytest.mark.parametrize("stage", CONDA_STAGES)
def test_kill_9_at_each_stage_leaves_nothing_or_what_remove_deletes(repo: LocalRepo, home: Path, stalled: Any,
                                                                     stage: str) -> None:
    job = Running(create_argv(repo, "-n", "k", index=stalled.url))
    job.wait_for(stage)
    job.proc.kill()
    job.finish()
    prefix = envs_dir() / "k"
    assert no_process_uses(prefix)
    if prefix.exists():
        assert (prefix / MARKER).is_file()
        assert f"{prefix}  incomplete (creation interrupted)" in cli("envs").stdout
        r = cli("remove", "k", "--yes")
        assert r.returncode == 0, r.stderr
        assert not prefix.exists()
    assert "k " not in cli("envs").stdout


def test_kill_9_leaves_a_marked_folder_that_envs_remove_and_replace_handle(repo: LocalRepo, home: Path,
                                                                           stalled: Any) -> None:
    prefix = envs_dir() / "k9"
    job = Running(create_argv(repo, "-n", "k9", index=stalled.url))
    job.wait_for("Downloading")
    job.proc.kill()
    job.finish()
    assert no_process_uses(prefix)  # pip died with its parent (it was listed as running before the kill)
    assert (prefix / MARKER).is_file()
    r = cli("envs")
    assert "incomplete (creation interrupted)" in r.stdout and str(prefix) in r.stdout, r.stdout
    items = json.loads(cli("envs", "--json").stdout)
    assert [(i["name"], i["state"], i["torch"]) for i in items if i["prefix"] == str(prefix)] == [
        ("k9", "incomplete (creation interrupted)", None)]
    r = subprocess.run(create_argv(repo, "-n", "k9"), cwd=ROOT, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    assert r.returncode == 1 and "creation was interrupted" in r.stderr and "--replace" in r.stderr, r.stderr
    assert prefix.is_dir()
    r = cli("remove", "k9", "--yes")
    assert r.returncode == 0, r.stderr
    assert not prefix.exists()

    job = Running(create_argv(repo, "-n", "k9", index=stalled.url))
    job.wait_for("Downloading")
    job.proc.kill()
    job.finish()
    r = subprocess.run(create_argv(repo, "-n", "k9", "--replace"), cwd=ROOT, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (prefix / "conda-meta" / "history").is_file() and not (prefix / MARKER).exists()
    assert "incomplete" not in cli("envs").stdout


def test_kill_9_during_replace_puts_the_old_env_back(repo: LocalRepo, home: Path, stalled: Any) -> None:
    # before: .NAME.torchdesk-replaced-PID dangled and the user's old env was nowhere to be found
    prefix = envs_dir() / "old"
    fake_env(prefix)
    before = tree_state(prefix)
    job = Running(create_argv(repo, "-n", "old", "--replace", index=stalled.url))
    job.wait_for("Downloading")
    job.proc.kill()
    job.finish()
    assert no_process_uses(prefix)
    aside = [p for p in prefix.parent.iterdir() if p.name.startswith(".old.torchdesk-replaced-")]
    assert len(aside) == 1
    r = cli("envs")
    assert "put back" in r.stderr and "incomplete" not in r.stdout
    assert tree_state(prefix) == before
    assert not any(p.name.startswith(".old.torchdesk-replaced-") for p in prefix.parent.iterdir())


def test_replace_through_a_symlink_is_refused(repo: LocalRepo, home: Path, tmp_path: Path) -> None:
    real = tmp_path / "real-env"
    fake_env(real)
    link = tmp_path / "link-env"
    link.symlink_to(real)
    before = tree_state(real)
    r = subprocess.run(create_argv(repo, "--prefix", str(link), "--replace"), cwd=ROOT, capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == 1 and "symbolic link" in r.stderr and f"--prefix {real}" in r.stderr, r.stderr
    assert link.is_symlink() and tree_state(real) == before
    assert [p.name for p in tmp_path.iterdir() if "torchdesk-replaced" in p.name] == []


@pytest.mark.parametrize("where", ["lib/sub", "sub"])
def test_an_env_inside_another_env_is_refused(repo: LocalRepo, home: Path, tmp_path: Path, where: str) -> None:
    # before: `create --prefix <env>/sub` built an env inside another one's files (found by a hostile review)
    outer = tmp_path / "outer-env"
    fake_env(outer)
    before = tree_state(outer)
    r = subprocess.run(create_argv(repo, "--prefix", str(outer / where)), cwd=ROOT, capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == 1 and f"inside the conda environment {outer}" in r.stderr, r.stderr
    assert tree_state(outer) == before


def test_an_env_in_a_conda_installs_envs_folder_is_allowed(repo: LocalRepo, home: Path, tmp_path: Path) -> None:
    base = tmp_path / "miniconda3"  # a conda installation's base env keeps the others in envs/
    fake_env(base)
    r = subprocess.run(create_argv(repo, "--prefix", str(base / "envs" / "work")), cwd=ROOT, capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (base / "envs" / "work" / "conda-meta" / "history").is_file()


# --- 3. ambiguous names -------------------------------------------------------------------------------------------

def test_remove_of_a_name_two_envs_share_is_refused(home: Path, tmp_path: Path) -> None:
    # before: the first registry match went, which was the user's own conda env
    users = tmp_path / "miniconda3" / "envs" / "work"
    ours = envs_dir() / "work"
    fake_env(users)
    fake_env(ours)
    conda_environments_txt().parent.mkdir(parents=True, exist_ok=True)
    conda_environments_txt().write_text(f"{users}\n{ours}\n")
    states = (tree_state(users), tree_state(ours))
    r = cli("remove", "work", "--yes")
    assert r.returncode == 1
    assert str(users) in r.stderr and str(ours) in r.stderr and "by its path" in r.stderr
    assert (tree_state(users), tree_state(ours)) == states
    assert cli("remove", str(ours), "--yes").returncode == 0
    assert not ours.exists() and tree_state(users) == states[0]


# --- 4. a read-only ~/.conda --------------------------------------------------------------------------------------

def _make_immutable(*paths: Path) -> bool:
    """Read-only even for root (the tests may run as root, which chmod does not stop): chattr +i, or False."""
    for p in paths:
        os.chmod(p, 0o555 if p.is_dir() else 0o444)
    probe = paths[0] / ".probe" if paths[0].is_dir() else paths[0]
    try:
        if paths[0].is_dir():
            probe.write_text("x")
            probe.unlink()
        else:
            open(probe, "a").close()
    except OSError:
        return True
    if shutil.which("chattr") is None:
        return False
    ok = all(subprocess.run(["chattr", "+i", str(p)], capture_output=True).returncode == 0 for p in paths)
    return ok


def _undo_immutable(*paths: Path) -> None:
    for p in paths:
        if shutil.which("chattr"):
            subprocess.run(["chattr", "-i", str(p)], capture_output=True)
        os.chmod(p, 0o755 if p.is_dir() else 0o644)


def test_a_read_only_conda_folder_fails_preflight_before_building(repo: LocalRepo, home: Path) -> None:
    # before: the whole env was built, then deleted with "unexpected error"
    conda = conda_environments_txt().parent
    conda.mkdir(parents=True)
    conda_environments_txt().write_text("")
    frozen = (conda_environments_txt(), conda)
    if not _make_immutable(*frozen):
        _undo_immutable(*frozen)
        pytest.skip("cannot make a folder read-only here (root without chattr)")
    try:
        r = subprocess.run(create_argv(repo, "-n", "ro"), cwd=ROOT, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=120)
    finally:
        _undo_immutable(*frozen)
    assert r.returncode == 1
    assert "where conda keeps its list of environments" in r.stderr and "unexpected" not in r.stderr, r.stderr
    assert "[2/6] solve" not in r.stdout and not (envs_dir() / "ro").exists()


def test_registration_failing_after_the_build_keeps_the_env(repo: LocalRepo, home: Path) -> None:
    from desktop.engine import get_engine
    from desktop.jobs import create_env
    from desktop.procs import CancelToken
    from test_jobs import local_spec

    conda = conda_environments_txt().parent
    conda.mkdir(parents=True)
    conda_environments_txt().write_text("")
    frozen = (conda_environments_txt(), conda)
    froze: list[bool] = []

    def on_progress(p: Any) -> None:  # the registry turns read-only after preflight, while pip runs
        if p.stage == "pip" and not froze:
            froze.append(_make_immutable(*frozen))

    try:
        res = create_env(local_spec(repo, name="reg"), engine=get_engine("embedded"), on_line=lambda line: None,
                         on_progress=on_progress, cancel=CancelToken(), verify=False, size_mib=10)
    finally:
        _undo_immutable(*frozen)
    if not froze or not froze[0]:
        pytest.skip("cannot make a folder read-only here (root without chattr)")
    prefix = envs_dir() / "reg"
    assert res.ok and res.kept, res.message
    assert any("could not be added to" in w for w in res.warnings)
    assert (prefix / "conda-meta" / "history").is_file() and not (prefix / MARKER).exists()


# --- 5. no crash exits --------------------------------------------------------------------------------------------

def test_failed_solves_never_exit_with_a_crash(repo: LocalRepo, home: Path) -> None:
    # before: about 1 in 5 exited 139 (SIGSEGV) or 134 (SIGABRT) as the interpreter shut down
    codes = []
    for i in range(10):
        r = subprocess.run(create_argv(repo, "-n", f"nosolve{i}", "--conda-extra", "no-such-pkg"), cwd=ROOT,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
        codes.append(r.returncode)
        assert "could not solve" in r.stderr, r.stderr
    assert codes == [1] * 10


# --- 6. --matrix-file reaches the disk check ----------------------------------------------------------------------

def test_matrix_file_sizes_reach_the_disk_check(repo: LocalRepo, home: Path, tmp_path: Path) -> None:
    data = json.loads((ROOT / "desktop" / "resources" / "matrix.json").read_text())
    data["env_size_mib"] = {k: 10**9 for k in data["env_size_mib"]}  # a petabyte per env: no disk has that
    mf = tmp_path / "matrix.json"
    mf.write_text(json.dumps(data))
    r = subprocess.run([*create_argv(repo, "-n", "big")[:3], "--matrix-file", str(mf), *create_argv(repo, "-n", "big")[3:]],
                       cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == 1 and "not enough free space" in r.stderr, r.stderr


def test_a_failed_job_leaves_registry_lines_it_did_not_write(repo: LocalRepo, home: Path) -> None:
    # clean-up removes only what the job created: a line the user's registry already had for that path stays
    prefix = envs_dir() / "listed"
    conda_environments_txt().parent.mkdir(parents=True)
    text = f"/opt/other/env\n{prefix}\n"
    conda_environments_txt().write_text(text)
    r = subprocess.run(create_argv(repo, "-n", "listed", "--extra", "no-such-pkg"), cwd=ROOT, capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert r.returncode == 1 and "no-such-pkg" in r.stderr, r.stdout + r.stderr
    assert not prefix.exists()
    assert conda_environments_txt().read_text() == text


def test_a_planted_marker_does_not_make_a_folder_removable(home: Path, tmp_path: Path) -> None:
    # a marker file alone (say, out of an archive) must not turn "not a conda environment" into "removable"
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work\n")
    (folder / MARKER).write_text(json.dumps({"job": "x", "pid": 999999, "pid_started": 1.0, "started": "then"}))
    before = tree_state(folder)
    r = cli("remove", str(folder), "--yes")
    assert r.returncode == 1 and "not removing it" in r.stderr, r.stderr
    assert tree_state(folder) == before


def test_kill_9_of_a_prefix_job_elsewhere_is_found_by_envs_and_removed(repo: LocalRepo, home: Path, stalled: Any,
                                                                      tmp_path: Path) -> None:
    # a --prefix outside every envs folder: the killed job's lock note is how envs and remove find it
    prefix = tmp_path / "anywhere" / "proj-env"
    job = Running(create_argv(repo, "--prefix", str(prefix), index=stalled.url))
    job.wait_for("Downloading")
    job.proc.kill()
    job.finish()
    assert no_process_uses(prefix) and (prefix / MARKER).is_file()
    assert f"{prefix}  incomplete (creation interrupted)" in cli("envs").stdout
    r = cli("remove", str(prefix), "--yes")
    assert r.returncode == 0, r.stderr
    assert not prefix.exists() and str(prefix) not in cli("envs").stdout
