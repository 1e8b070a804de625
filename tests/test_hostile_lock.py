"""Issue #10's protections for `torchdesk import LOCK-FOLDER` (the exact-lock rebuild), found bypassed by a review.

Every test runs the real CLI (`python -m desktop.cli`) in real processes; the lock installs the local channel's
python and pip (file://) and a numpy wheel served over http on 127.0.0.1, stalled where a test needs the job to
sit in a download; signals are sent for real. HOME is the `home` fixture's throw-away folder.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from localrepo import LocalRepo, serve_index
from test_hostile_jobs import MARKER, Running, cli, no_process_uses

from desktop.paths import envs_dir

ROOT = Path(__file__).resolve().parent.parent


def _md5(p: Path) -> str:
    return hashlib.md5(p.read_bytes()).hexdigest()


def make_lock(repo: LocalRepo, folder: Path, name: str, *, index_url: str, wheel_url: str | None = None,
              sha256: str | None = None) -> Path:
    """A lock of python + pip (from the local channel) and numpy (from `index_url`'s files, or `wheel_url`)."""
    folder.mkdir(parents=True)
    (folder / "environment.yml").write_text(
        f"name: {name}\nchannels:\n  - {repo.channel_url}\ndependencies:\n  - python=3.11\n  - pip\n"
        f"  - pip:\n    - --index-url {index_url}\n")
    py = next(repo.channel.glob("linux-64/python-*.tar.bz2"))
    pip_pkg = next(repo.channel.glob("linux-64/pip-*.tar.bz2"))
    (folder / "conda-linux-64.lock").write_text(f"@EXPLICIT\n{py.as_uri()}#{_md5(py)}\n{pip_pkg.as_uri()}#{_md5(pip_pkg)}\n")
    wheel = next(repo.torch_index.parent.glob("files/numpy-*.whl"))
    url = wheel_url or f"{index_url.rsplit('/', 1)[0]}/files/{wheel.name}"
    digest = sha256 or hashlib.sha256(wheel.read_bytes()).hexdigest()
    (folder / "pylock.toml").write_text(
        'lock-version = "1.0"\n[[packages]]\nname = "numpy"\nversion = "1.26.4"\n'
        f'[[packages.wheels]]\nname = "{wheel.name}"\nurl = "{url}"\nhashes = {{ sha256 = "{digest}" }}\n')
    return folder


def import_argv(lock: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "desktop.cli", "import", str(lock), *extra]


def run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def index(repo: LocalRepo) -> Any:
    served = serve_index(repo.torch_index)
    yield served
    served.close()


@pytest.fixture
def stalled(repo: LocalRepo) -> Any:
    """The torch index over http on 127.0.0.1, answering every wheel download with headers and then silence."""
    served = serve_index(repo.torch_index, stall_wheels=True)
    yield served
    served.close()


# --- 1. --check-only, the confirmation, hosts the lock does not name ----------------------------------------------

def test_check_only_lists_every_url_and_builds_nothing(repo: LocalRepo, home: Path, tmp_path: Path,
                                                       index: Any) -> None:
    # before: --check-only built the env, with no list of what it fetched
    lock = make_lock(repo, tmp_path / "lock", "lo1", index_url=index.url)
    r = run(import_argv(lock, "--check-only", "--yes"))
    assert r.returncode == 0, r.stdout + r.stderr
    for line in (lock / "conda-linux-64.lock").read_text().splitlines()[1:]:
        assert line.split("#")[0] in r.stdout
    wheel_url = next(ln for ln in (lock / "pylock.toml").read_text().splitlines() if ln.startswith("url")).split('"')[1]
    assert wheel_url in r.stdout and "from http://127.0.0.1:" in r.stdout
    assert not (envs_dir() / "lo1").exists()


def test_without_yes_and_without_a_terminal_nothing_is_built(repo: LocalRepo, home: Path, tmp_path: Path,
                                                              index: Any) -> None:
    lock = make_lock(repo, tmp_path / "lock", "lo2", index_url=index.url)
    r = run(import_argv(lock))
    assert r.returncode == 1 and "pass --yes" in r.stderr, r.stdout + r.stderr
    assert not (envs_dir() / "lo2").exists()
    r = run(import_argv(lock, "--engine", "conda", "--yes"))  # --engine was silently ignored
    assert r.returncode != 0 and "--engine conda" in r.stderr, r.stdout + r.stderr
    assert not (envs_dir() / "lo2").exists()


def test_a_wheel_on_a_host_the_lock_does_not_name_is_refused(repo: LocalRepo, home: Path, tmp_path: Path,
                                                              index: Any) -> None:
    other = serve_index(repo.extras_index)  # another host (port) than the environment.yml's index
    try:
        wheel = next(repo.torch_index.parent.glob("files/numpy-*.whl"))
        evil = f"{other.url.rsplit('/', 1)[0]}/files/{wheel.name}"
        lock = make_lock(repo, tmp_path / "lock", "lo3", index_url=index.url, wheel_url=evil)
        for extra in (("--check-only",), ("--yes",)):
            r = run(import_argv(lock, *extra))
            assert r.returncode == 1, r.stdout + r.stderr
            assert evil in r.stderr and "does not name" in r.stderr
        assert not (envs_dir() / "lo3").exists()
    finally:
        other.close()


# --- 2. one owner: the lock on the prefix, the marker, --replace --------------------------------------------------

def test_a_second_import_of_a_name_being_built_is_refused_and_leaves_it(repo: LocalRepo, home: Path,
                                                                        tmp_path: Path, stalled: Any,
                                                                        index: Any) -> None:
    # before: the loser's clean-up deleted the winner's folder
    slow = make_lock(repo, tmp_path / "slow", "same", index_url=stalled.url)
    bad = make_lock(repo, tmp_path / "bad", "same", index_url=index.url, sha256="0" * 64)
    job = Running(import_argv(slow, "--yes"))
    job.wait_for("downloading numpy")
    prefix = envs_dir() / "same"
    assert (prefix / MARKER).is_file()
    r = run(import_argv(bad, "--yes"))
    assert r.returncode == 1 and "another TorchDesk job is working on" in r.stderr, r.stdout + r.stderr
    assert (prefix / MARKER).is_file() and (prefix / "conda-meta").is_dir()  # the first job's folder is untouched
    job.proc.send_signal(signal.SIGTERM)
    assert job.finish() == 143, job.output
    assert not prefix.exists()


@pytest.mark.parametrize("attempt", range(3))
def test_two_imports_at_once_the_finished_env_survives(repo: LocalRepo, home: Path, tmp_path: Path, index: Any,
                                                       attempt: int) -> None:
    good = make_lock(repo, tmp_path / "good", "race", index_url=index.url)
    bad = make_lock(repo, tmp_path / "bad", "race", index_url=index.url, sha256="0" * 64)
    a = subprocess.Popen(import_argv(good, "--yes"), cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    b = subprocess.Popen(import_argv(bad, "--yes"), cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    out_a, _ = a.communicate(timeout=300)
    out_b, _ = b.communicate(timeout=300)
    assert b.returncode == 1, out_b
    prefix = envs_dir() / "race"
    if a.returncode == 0:
        assert "Rebuilt" in out_a
        assert (prefix / "conda-meta").is_dir() and not (prefix / MARKER).exists(), out_a + out_b
        assert subprocess.run([str(prefix / "bin" / "python"), "-c", "import numpy"], check=False).returncode == 0
    else:  # the good one lost the lock: refused at once, and nothing is left of either
        assert "another TorchDesk job is working on" in out_a, out_a
        assert not prefix.exists()


def test_an_existing_env_is_refused_unless_replace(repo: LocalRepo, home: Path, tmp_path: Path, index: Any) -> None:
    lock = make_lock(repo, tmp_path / "lock", "rep", index_url=index.url)
    assert run(import_argv(lock, "--yes")).returncode == 0
    prefix = envs_dir() / "rep"
    (prefix / "users-notes.txt").write_text("mine\n")
    r = run(import_argv(lock, "--yes"))
    assert r.returncode == 1 and "--replace" in r.stderr and (prefix / "users-notes.txt").is_file()
    assert "already exists; importing into it needs --replace" in run(import_argv(lock, "--check-only")).stdout
    bad = make_lock(repo, tmp_path / "bad", "rep", index_url=index.url, sha256="0" * 64)
    r = run(import_argv(bad, "--yes", "--replace"))  # a failed replacement puts the old env back
    assert r.returncode == 1 and (prefix / "users-notes.txt").is_file(), r.stdout + r.stderr
    r = run(import_argv(lock, "--yes", "--replace"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (prefix / "users-notes.txt").exists() and not (prefix / MARKER).exists()
    assert not list(prefix.parent.glob(".rep.torchdesk-replaced-*"))


# --- 3. signals ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_a_lock_import_cancels_and_removes_the_env(repo: LocalRepo, home: Path, tmp_path: Path,
                                                                   stalled: Any, sig: signal.Signals) -> None:
    lock = make_lock(repo, tmp_path / "lock", "sg", index_url=stalled.url)
    job = Running(import_argv(lock, "--yes"))
    job.wait_for("downloading numpy")
    prefix = envs_dir() / "sg"
    assert prefix.is_dir()
    job.proc.send_signal(sig)
    if sig == signal.SIGINT:
        job.wait_for("cancelling")
        job.proc.send_signal(sig)  # a second Ctrl-C during clean-up does not make it worse
    assert job.finish() == 128 + int(sig), job.output
    assert "what the job created was removed" in job.output and "Traceback" not in job.output
    assert not prefix.exists() and no_process_uses(prefix)
    assert "sg" not in cli("envs").stdout


def test_kill_9_leaves_the_marker_envs_shows_and_remove_deletes(repo: LocalRepo, home: Path, tmp_path: Path,
                                                                stalled: Any) -> None:
    lock = make_lock(repo, tmp_path / "lock", "k9", index_url=stalled.url)
    job = Running(import_argv(lock, "--yes"))
    job.wait_for("downloading numpy")
    job.proc.kill()
    job.finish()
    prefix = envs_dir() / "k9"
    assert (prefix / MARKER).is_file()
    r = cli("envs")
    assert "incomplete (creation interrupted)" in r.stdout and str(prefix) in r.stdout, r.stdout
    r = cli("remove", "k9", "--yes")
    assert r.returncode == 0, r.stderr
    assert not prefix.exists()


# --- 4. downloads: a total-time cap, a size cap, one line naming the host -----------------------------------------

def test_a_stalled_download_ends_in_one_line_naming_the_host(repo: LocalRepo, home: Path, tmp_path: Path,
                                                             stalled: Any) -> None:
    # before: the 60 s per-read timeout ended in a traceback
    lock = make_lock(repo, tmp_path / "lock", "to", index_url=stalled.url)
    r = run(import_argv(lock, "--yes"), env={"TORCHDESK_LOCK_DOWNLOAD_S": "2"})
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "127.0.0.1" in errors[0] and "numpy" in errors[0], r.stderr
    assert not (envs_dir() / "to").exists()


def test_a_download_over_the_size_cap_is_refused(repo: LocalRepo, home: Path, tmp_path: Path, stalled: Any) -> None:
    lock = make_lock(repo, tmp_path / "lock", "big", index_url=stalled.url)  # announces 50 MiB
    # a cap above the channel's archives (an md5 lock's archives are fetched again and checked), below the 50 MiB
    r = run(import_argv(lock, "--yes"), env={"TORCHDESK_LOCK_MAX_BYTES": str(40 << 20)})
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stdout + r.stderr
    assert "byte cap" in r.stderr and "127.0.0.1" in r.stderr
    assert not (envs_dir() / "big").exists()
