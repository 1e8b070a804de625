"""`torchdesk repair` and `torchdesk export --lock` take the env's lock like create, remove and import do.

Before: both ran against an env a `create` was still building (or had left unfinished), reading or rewriting it
under the job's feet. Now each is refused at once with the holder's pid, command and start, or with the
unfinished folder's state, and changes nothing. Every job here is a real `python -m desktop.cli` process; the
create is held in its pip stage by a local index (127.0.0.1) that answers wheel downloads with silence.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from localrepo import LocalRepo, serve_index, tree_state
from test_hostile_jobs import MARKER, Running, cli, create_argv, fake_env, no_process_uses

from desktop.paths import envs_dir

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def stalled(repo: LocalRepo) -> Any:
    served = serve_index(repo.torch_index, stall_wheels=True)
    yield served
    served.close()


def _refused(r: subprocess.CompletedProcess[str], *words: str) -> None:
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    for w in words:
        assert w in out, out


def test_repair_and_export_lock_are_refused_while_a_create_builds_the_env(repo: LocalRepo, home: Path,
                                                                           tmp_path: Path, stalled: Any,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_HTTP_TIMEOUT", "900")  # the create waits on the silent index for the whole test
    prefix = envs_dir() / "busy"
    job = Running(create_argv(repo, "-n", "busy", index=stalled.url))
    try:
        job.wait_for("Downloading")  # the conda part is linked, the marker is in place, pip waits on the index
        assert (prefix / "conda-meta" / "history").is_file() and (prefix / MARKER).is_file()
        marker = (prefix / MARKER).read_bytes()
        holder = f"pid {job.proc.pid} ("
        for args in (("repair", "busy"), ("repair", "busy", "--check"), ("repair", str(prefix))):
            r = cli(*args, timeout=60)
            _refused(r, "another TorchDesk job is working on", holder, "), since ")
            assert "drift:" not in r.stdout  # refused before reading the env
        out = tmp_path / "lock"
        r = cli("export", "--lock", "busy", "-o", str(out), timeout=60)
        _refused(r, "another TorchDesk job is working on", holder, "), since ")
        assert not out.exists()
        # nothing of theirs reached the env: no guard files written by repair, the job's marker untouched
        assert not (prefix / "etc" / "torchdesk").exists()
        assert (prefix / MARKER).read_bytes() == marker
        assert job.proc.poll() is None  # the create was not disturbed
    finally:
        job.proc.kill()
        job.finish()
    assert no_process_uses(prefix)

    # killed -9: the folder keeps its marker and no one holds the lock; it is incomplete, and refused as such
    assert (prefix / MARKER).is_file()
    before = tree_state(prefix)
    for args in (("repair", "busy"), ("repair", "busy", "--check")):
        _refused(cli(*args, timeout=60), "is incomplete: its creation was interrupted", "not ",
                 "torchdesk create --replace")
    out = tmp_path / "lock2"
    _refused(cli("export", "--lock", "busy", "-o", str(out), timeout=60), "is incomplete: its creation was interrupted")
    assert not out.exists()
    assert tree_state(prefix) == before


def test_an_unfinished_folder_without_conda_meta_is_named_as_such(home: Path, tmp_path: Path) -> None:
    # a create killed before linking leaves only its marked folder: not "no conda environment named ..."
    from desktop.locks import new_marker, write_marker

    prefix = envs_dir() / "early"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    m = new_marker()
    write_marker(prefix, m.__class__(m.job, child.pid, 0.0, m.started))  # its writer is gone
    before = tree_state(prefix)
    _refused(cli("repair", "early", timeout=60), "is incomplete: its creation was interrupted")
    _refused(cli("export", "--lock", "early", "-o", str(tmp_path / "l"), timeout=60), "is incomplete")
    assert tree_state(prefix) == before and not (tmp_path / "l").exists()


def test_a_lock_held_by_another_process_refuses_both_at_once(home: Path, tmp_path: Path) -> None:
    from desktop.locks import EnvLock

    prefix = envs_dir() / "held"
    fake_env(prefix)
    before = tree_state(prefix)
    with EnvLock(prefix, command="torchdesk create -n held (test)"):
        holder = f"pid {os.getpid()} (torchdesk create -n held (test)), since "
        _refused(cli("repair", "held", timeout=60), holder)
        _refused(cli("export", "--lock", "held", "-o", str(tmp_path / "l"), timeout=60), holder)
        # the core functions the app calls refuse the same way
        from desktop.driftrepair import repair_env
        from desktop.exactlock import LockError
        from desktop.lockexport import export_lock

        res = repair_env(prefix, on_line=lambda line: None)
        assert not res.ok and "another TorchDesk job is working on" in res.message and res.fix
        with pytest.raises(LockError, match="another TorchDesk job is working on"):
            export_lock(prefix, tmp_path / "l", on_line=lambda line: None)
    assert tree_state(prefix) == before and not (tmp_path / "l").exists()


def test_both_work_when_no_one_holds_the_env(repo: LocalRepo, home: Path, tmp_path: Path) -> None:
    served = serve_index(repo.torch_index)
    try:
        r = subprocess.run(create_argv(repo, "-n", "free", index=served.url), cwd=ROOT, capture_output=True,
                           text=True, stdin=subprocess.DEVNULL, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        r = cli("repair", "free", "--check", timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        r = cli("repair", "free", timeout=120)
        assert r.returncode == 0 and "nothing to repair" in r.stdout, r.stdout + r.stderr
        out = tmp_path / "lock"
        r = cli("export", "--lock", "free", "-o", str(out), timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        assert (out / "pylock.toml").is_file() and (out / "environment.yml").is_file()
        assert len(list(out.glob("conda-*.lock"))) == 1
        # and the lock was released: the env can be removed right after
        assert cli("remove", "free", "--yes", timeout=60).returncode == 0
    finally:
        served.close()
