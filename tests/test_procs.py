"""CancelToken and run_streaming against real subprocesses, silent ones and ones with children included."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from desktop.procs import CancelToken, run_streaming

PY = sys.executable


def test_streams_lines_and_exit_code() -> None:
    lines: list[str] = []
    code = run_streaming([PY, "-c", "import sys; print('a'); print('b', file=sys.stderr); sys.stdout.write('c\\rd'); sys.exit(3)"],
                         on_line=lines.append)
    assert code == 3
    assert lines == ["a", "b", "c", "d"]


def test_env_and_cwd(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    code = run_streaming([PY, "-c", "import os; print(os.environ['TD_X'], os.getcwd())"], on_line=lines.append,
                         env={"TD_X": "42", "PATH": "/usr/bin"}, cwd=tmp_path)
    assert code == 0 and lines == [f"42 {tmp_path}"]


def test_missing_command() -> None:
    with pytest.raises(FileNotFoundError):
        run_streaming(["/nonexistent/torchdesk-nothing"], on_line=print)


SILENT_TREE = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])
print(child.pid, flush=True)
time.sleep(600)
"""


def test_cancel_kills_a_silent_tree() -> None:
    token = CancelToken()
    pids: list[int] = []

    def on_line(line: str) -> None:
        pids.append(int(line))
        threading.Timer(0.2, token.cancel).start()  # the child prints nothing more: only a kill can stop it

    t0 = time.monotonic()
    code = run_streaming([PY, "-c", SILENT_TREE], on_line=on_line, cancel=token)
    assert token.is_cancelled and code != 0
    assert time.monotonic() - t0 < 60
    assert _exited(pids[0])  # run_streaming returns only once the whole tree is dead


def _exited(pid: int) -> bool:
    """Gone, or a zombie (an orphan's new parent may be an init that never reaps, as in many containers)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_cancel_before_start_kills_at_once() -> None:
    token = CancelToken()
    token.cancel()
    code = run_streaming([PY, "-c", "import time; time.sleep(600)"], on_line=print, cancel=token)
    assert code != 0


def test_attach_detach_and_callbacks() -> None:
    token = CancelToken()
    hits: list[str] = []
    remove = token.on_cancel(lambda: hits.append("a"))
    token.on_cancel(lambda: hits.append("b"))
    remove()
    p = subprocess.Popen([PY, "-c", "import time; time.sleep(600)"])
    token.attach(p)
    token.cancel()
    token.cancel()  # idempotent
    assert p.wait(timeout=30) != 0
    assert hits == ["b"]
    token.on_cancel(lambda: hits.append("late"))  # registered after cancel: runs at once
    assert hits == ["b", "late"]
    token.detach(p)


def test_timeout() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        run_streaming([PY, "-c", "import time; time.sleep(600)"], on_line=print, timeout=0.5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_dies_with_a_parent_killed_by_sigkill(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # issue #10: kill -9 of TorchDesk (nothing can catch it) must not leave pip running
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from desktop.procs import run_streaming\n"
              "run_streaming([sys.executable, '-c', 'import os, time; print(os.getpid(), flush=True); time.sleep(120)'],"
              " on_line=lambda line: print(line, flush=True))\n")
    parent = subprocess.Popen([sys.executable, "-c", script, str(Path(__file__).resolve().parent.parent)],
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = psutil.Process(int(parent.stdout.readline()))
    assert child.is_running()
    parent.kill()
    parent.wait(10)
    child.wait(10)  # psutil.TimeoutExpired here: the child outlived its killed parent
    assert not child.is_running()
