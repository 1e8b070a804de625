"""Cancellable subprocesses: a CancelToken that kills whole process trees, and a line-streaming runner.

A flag checked between output lines is not a cancel: a child that prints nothing (pip waiting on a slow
index, a solver thinking) must die too. So the token holds the running processes and, on `cancel()`, kills
each one's whole tree with psutil (and, on POSIX, its process group, which catches children forked after the
tree was listed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Callable, Mapping, Sequence

import psutil

TERM_GRACE_S = 3.0


class Cancelled(Exception):
    """The job was cancelled by the user."""


class CancelToken:
    """Shared between a job and whoever may cancel it (Ctrl-C handler, GUI button). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._procs: list[subprocess.Popen[bytes] | subprocess.Popen[str]] = []
        self._callbacks: list[Callable[[], None]] = []
        self._killed = threading.Event()  # set once cancel() has killed every attached tree

    @property
    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or `timeout` passes; True if cancelled."""
        return self._cancelled.wait(timeout)

    def cancel(self) -> None:
        """Mark cancelled, kill every attached process tree, run the registered callbacks. Idempotent."""
        with self._lock:
            if self._cancelled.is_set():
                return
            self._cancelled.set()
            procs = list(self._procs)
            callbacks = list(self._callbacks)
        for cb in callbacks:
            try:
                cb()
            except Exception:  # a callback's failure must not stop the kill
                pass
        for p in procs:
            kill_popen(p)
        self._killed.set()

    def attach(self, popen: subprocess.Popen) -> None:  # type: ignore[type-arg]  # of bytes or of str
        """Hold `popen` so cancel() kills its tree; if already cancelled, kill it now."""
        with self._lock:
            if not self._cancelled.is_set():
                self._procs.append(popen)
                return
        kill_popen(popen)

    def detach(self, popen: subprocess.Popen) -> None:  # type: ignore[type-arg]  # of bytes or of str
        with self._lock:
            if popen in self._procs:
                self._procs.remove(popen)

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` when cancelled (at once if already cancelled). Returns a function that unregisters it."""
        with self._lock:
            if not self._cancelled.is_set():
                self._callbacks.append(callback)

                def remove() -> None:
                    with self._lock:
                        if callback in self._callbacks:
                            self._callbacks.remove(callback)

                return remove
        callback()
        return lambda: None

    def raise_if_cancelled(self) -> None:
        if self.is_cancelled:
            raise Cancelled()


def kill_popen(popen: subprocess.Popen) -> None:  # type: ignore[type-arg]  # of bytes or of str
    """Kill `popen`'s whole tree (its descendants, then it, then its process group on POSIX); returns once gone."""
    if popen.poll() is not None:
        return
    pgid = None
    if os.name == "posix":
        try:
            pgid = os.getpgid(popen.pid)
        except OSError:
            pgid = None
    try:
        descendants = psutil.Process(popen.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    for p in descendants:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    try:
        popen.terminate()
    except OSError:
        pass
    # The root is reaped through Popen (psutil reaping it would leave Popen with no exit code).
    try:
        popen.wait(timeout=TERM_GRACE_S)
    except subprocess.TimeoutExpired:
        popen.kill()
    alive = _wait_exited(descendants, TERM_GRACE_S)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    _wait_exited(alive, TERM_GRACE_S)  # return only once they are gone (a zombie counts as gone)
    # Started in its own session: the group also holds children forked after the tree was listed.
    if pgid is not None and pgid == popen.pid:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass


def _wait_exited(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until each process has exited; return those still running. A zombie has exited: its new parent may
    be an init that never reaps orphans (a container's), where psutil.wait_procs would wait out the timeout."""
    deadline = time.monotonic() + timeout
    alive = list(procs)
    while alive:
        alive = [p for p in alive if _running(p)]
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    return alive


def _running(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux, a preexec_fn that makes the child get SIGKILL when the thread that started it dies: a kill -9 of
    TorchDesk (which nothing can catch) must not leave pip or the engine running. None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig, sigkill = 1, int(signal.SIGKILL)

    def preexec() -> None:  # runs in the child between fork and exec: no Python-level locks, just the syscall
        prctl(pr_set_pdeathsig, sigkill, 0, 0, 0)

    return preexec


def child_process_options() -> dict[str, object]:
    """Popen options for a child the CancelToken can kill as a tree: its own session (process group) and, on
    Linux, death with the thread that started it. Every long-running child of a job is started with these."""
    kwargs: dict[str, object] = {}
    if os.name == "posix":
        kwargs["start_new_session"] = True
        die = _parent_death_signal()
        if die is not None:
            kwargs["preexec_fn"] = die
    else:
        kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    return kwargs


def run_streaming(
    cmd: Sequence[str],
    *,
    on_line: Callable[[str], None],
    cancel: CancelToken | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
) -> int:
    """Run `cmd`, call `on_line` with each output line (stdout and stderr merged), return its exit code.

    On cancel the whole tree is killed and the (negative, signal) exit code is returned: check
    `cancel.is_cancelled`. On `timeout` the tree is killed and subprocess.TimeoutExpired is raised.
    A command that does not exist raises FileNotFoundError.
    """
    kwargs = child_process_options()
    proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]  # per-OS options in a dict
        list(cmd),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        **kwargs,
    )
    if cancel is not None:
        cancel.attach(proc)
    timed_out = threading.Event()
    timer: threading.Timer | None = None
    if timeout is not None:

        def on_timeout() -> None:
            timed_out.set()
            kill_popen(proc)

        timer = threading.Timer(timeout, on_timeout)
        timer.daemon = True
        timer.start()
    try:
        assert proc.stdout is not None
        pending = b""
        # read1 returns what is there: progress written with '\r' and no newline still comes through.
        while True:
            chunk = proc.stdout.read1(65536)  # type: ignore[attr-defined]  # a BufferedReader, typed IO[bytes]
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            for raw in lines:
                on_line(raw.decode("utf-8", "replace"))
        if pending:
            on_line(pending.decode("utf-8", "replace"))
        code = proc.wait()
        if cancel is not None and cancel.is_cancelled:
            # The pipe reaches EOF while the tree is still dying (a child closes its files before it has exited):
            # return only once the canceller has finished killing it, so no process of the job outlives it.
            cancel._killed.wait(timeout=10 * TERM_GRACE_S)
    except BaseException:
        kill_popen(proc)
        proc.wait()
        raise
    finally:
        if timer is not None:
            timer.cancel()
        if cancel is not None:
            cancel.detach(proc)
        if proc.stdout is not None:
            proc.stdout.close()
    if timed_out.is_set():
        raise subprocess.TimeoutExpired(list(cmd), timeout or 0)
    return code
