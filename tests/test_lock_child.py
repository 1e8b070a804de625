"""The lock rebuild installs its conda packages through the embedded engine's child process, as create does.

py-rattler crashed at interpreter shutdown after failures (desktop/engine/embedded.py's docstring), which is why
create never runs it in the app's own process; the lock import did. Real lock folders (the local channel's python
and pip by file://, a numpy wheel on a 127.0.0.1 index), a real rebuild in a fresh interpreter.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from localrepo import LocalRepo, serve_index
from test_hostile_lock import make_lock

from desktop.paths import envs_dir

ROOT = Path(__file__).resolve().parent.parent

REBUILD = """
import sys, threading
import psutil
import rattler.install
installer = sys.modules["rattler.install"]  # the module (the package's `install` attribute is the function)
from desktop.lockinstall import rebuild_from_lock
from desktop.exactlock import LockError

calls = []
real_install = installer.install
def spy(*args, **kwargs):
    calls.append(1)
    return real_install(*args, **kwargs)
installer.install = spy  # what the rebuild used in this process before
try:
    target = rebuild_from_lock(sys.argv[1], on_line=print)
except LockError as exc:
    print("LOCKERROR", exc)
else:
    print("BUILT", target)
print("INSTALLED_IN_THIS_PROCESS", bool(calls))
# py-rattler's async runtime keeps native threads once it ran; none may be left in this process
print("NATIVE_THREADS", psutil.Process().num_threads() - threading.active_count())
"""


@pytest.fixture
def index(repo: LocalRepo) -> Any:
    served = serve_index(repo.torch_index)
    yield served
    served.close()


def rebuild(lock: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", REBUILD, str(lock)], cwd=ROOT, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300, env=dict(os.environ))


def test_the_rebuild_installs_in_the_engine_child_not_in_its_own_process(repo: LocalRepo, home: Path, tmp_path: Path,
                                                                              index: Any) -> None:
    lock = make_lock(repo, tmp_path / "lock", "lc1", index_url=index.url)
    r = rebuild(lock)
    assert r.returncode == 0, r.stdout + r.stderr
    target = envs_dir() / "lc1"
    assert f"BUILT {target}" in r.stdout, r.stdout + r.stderr
    assert "INSTALLED_IN_THIS_PROCESS False" in r.stdout and "NATIVE_THREADS 0" in r.stdout, r.stdout
    assert "installing 2 conda packages into" in r.stdout  # said by the child, relayed line by line
    py = target / "bin" / "python"
    out = subprocess.run([str(py), "-c", "import numpy, pip; print(numpy.__version__)"], capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip() == "1.26.4", out.stdout + out.stderr


def test_a_package_the_child_cannot_read_fails_in_one_sentence_and_leaves_nothing(repo: LocalRepo, home: Path,
                                                                                  tmp_path: Path, index: Any) -> None:
    lock = make_lock(repo, tmp_path / "lock", "lc2", index_url=index.url)
    bad = tmp_path / "pkgs" / "broken-1.0-0.tar.bz2"  # not in the package cache: fetched, hash checked, then unreadable
    bad.parent.mkdir()
    bad.write_bytes(b"this is not a conda package\n" * 64)
    explicit = lock / "conda-linux-64.lock"
    explicit.write_text(explicit.read_text() + f"{bad.as_uri()}#{hashlib.md5(bad.read_bytes()).hexdigest()}\n")
    r = rebuild(lock)
    assert r.returncode == 0, r.stdout + r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("LOCKERROR"))
    assert "broken-1.0-0.tar.bz2" in line, r.stdout
    assert "INSTALLED_IN_THIS_PROCESS False" in r.stdout and "NATIVE_THREADS 0" in r.stdout, r.stdout
    assert not (envs_dir() / "lc2").exists()
