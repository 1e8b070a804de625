"""Background jobs for the GUI: the only module that touches QThread.

A private `_Worker` QObject is moved to a fresh QThread and runs one core function there. The public
`JobRunner` lives in the GUI thread and re-emits what the worker reports (output lines in batches); widgets connect only to the
runner. The worker's signals are connected to the runner's bound slots (never to lambdas: in PySide6 a
lambda connected to a signal of an object living in a worker thread runs in that thread), so every slot a
widget sees runs in the GUI thread.

A job is a callable `fn(ctx: JobContext) -> result`; `ctx.on_line`, `ctx.on_progress` and `ctx.cancel`
are what core functions take as their callbacks and CancelToken.
"""

from __future__ import annotations

import logging
import time
import traceback
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from ..errors import user_message
from ..procs import CancelToken, Cancelled
from .qtcompat import emit, emit_drops_true

log = logging.getLogger("torchdesk.ui")

# Every QThread this module started and not yet joined: the test fixture and closeEvent check it.
_THREADS: weakref.WeakSet[QThread] = weakref.WeakSet()


def running_threads() -> list[QThread]:
    """QThreads started by a JobRunner that are still running (should be empty once windows close)."""
    return [t for t in list(_THREADS) if t.isRunning()]


@dataclass(frozen=True)
class JobError:
    """Why a job failed: a sentence for the user, and the traceback for "details"."""

    job: str
    message: str
    details: str
    exception: BaseException | None = None


class JobContext:
    """What a job function gets: callbacks that cross to the GUI thread, and the cancel token."""

    def __init__(self, worker: _Worker, cancel: CancelToken, lines: deque[str]) -> None:
        self._worker = worker
        self._lines = lines
        self.cancel = cancel

    def on_line(self, line: str) -> None:
        # No signal per line: a job printing 100,000 lines would bury the GUI thread in queued events.
        # The runner drains this deque on a timer (deque.append is thread-safe).
        self._lines.append(str(line))

    def on_progress(self, progress: Any) -> None:
        emit(self._worker.progress, progress)


class _Worker(QObject):
    progress = Signal(object)
    done = Signal(object)
    error = Signal(object)
    stopped = Signal()

    def __init__(self, name: str, fn: Callable[[JobContext], Any], cancel: CancelToken, lines: deque[str]) -> None:
        super().__init__()
        self._name = name
        self._fn = fn
        self._cancel = cancel
        self._lines = lines

    @Slot()
    def run(self) -> None:
        ctx = JobContext(self, self._cancel, self._lines)
        try:
            result = self._fn(ctx)
        except BaseException as exc:  # noqa: BLE001 - everything must reach the GUI as a signal
            if self._cancel.is_cancelled or isinstance(exc, Cancelled):
                emit(self.stopped)
                return
            log.exception("job %s failed", self._name)
            msg = user_message(exc)  # a TorchDeskError's sentence and hint, as the CLI shows them
            emit(self.error, JobError(self._name, msg, traceback.format_exc(), exc))
            return
        # Core jobs report a cancel in their result (status 'cancelled'); others only through the token.
        status = getattr(result, "status", None)
        if status == "cancelled" or (status is None and self._cancel.is_cancelled):
            emit(self.stopped)
        else:
            emit(self.done, result)


class JobRunner(QObject):
    """Runs one job at a time in its own QThread and relays its events in the GUI thread."""

    DRAIN_MS = 40
    DRAIN_MAX = 5000  # lines per tick: a flood drains over several ticks instead of stalling one

    log_lines = Signal(object)  # list[str]: a batch of output lines, oldest first (object: no QVariantList copy)
    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)  # JobError
    cancelled = Signal()
    busy_changed = Signal(bool)
    finished = Signal()  # after any of succeeded / failed / cancelled

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        emit_drops_true()  # probe the binding here, in the GUI thread, before any worker thread exists
        self.name = name
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._cancel: CancelToken | None = None
        self._lines: deque[str] = deque()
        self._drain = QTimer(self)
        self._drain.setInterval(self.DRAIN_MS)
        self._drain.timeout.connect(self._on_drain_timeout)
        self.started_at: float | None = None

    # --- public API ---------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._thread is not None

    def start(self, fn: Callable[[JobContext], Any]) -> bool:
        """Start `fn` in a new thread. Returns False (and starts nothing) if a job is already running."""
        if self._thread is not None:
            return False
        self._cancel = CancelToken()
        thread = QThread()
        thread.setObjectName(f"torchdesk-{self.name}")
        self._lines = deque()
        worker = _Worker(self.name, fn, self._cancel, self._lines)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_worker_progress)
        worker.done.connect(self._on_worker_done)
        worker.error.connect(self._on_worker_error)
        worker.stopped.connect(self._on_worker_stopped)
        self._thread, self._worker = thread, worker
        _THREADS.add(thread)
        self.started_at = time.perf_counter()
        emit(self.busy_changed, True)
        self._drain.start()
        thread.start()
        return True

    def cancel(self) -> None:
        """Ask the running job to stop; the core's token kills its child processes at once."""
        if self._cancel is not None:
            self._cancel.cancel()

    def shutdown(self, timeout_ms: int | None = 30_000) -> bool:
        """Cancel and join the thread (for closeEvent); None waits as long as the job's clean-up takes.
        True when no thread is left running."""
        thread = self._thread
        if thread is None:
            return True
        self.cancel()
        thread.quit()  # the thread's event loop ends as soon as the job function returns
        ok = thread.wait() if timeout_ms is None else thread.wait(timeout_ms)
        if ok:
            # The worker's last signal is still queued: drop it, the window is going away.
            self._finish()
        return ok

    # --- relays (GUI thread) ------------------------------------------------------------------------------
    @Slot()
    def _on_drain_timeout(self) -> None:
        lines = self._lines
        n = min(len(lines), self.DRAIN_MAX)
        if n:
            pop = lines.popleft
            emit(self.log_lines, [pop() for _ in range(n)])

    @Slot(object)
    def _on_worker_progress(self, progress: object) -> None:
        if self._worker is not None:
            emit(self.progress, progress)

    @Slot(object)
    def _on_worker_done(self, result: object) -> None:
        if self._finish():
            emit(self.succeeded, result)
            emit(self.finished)

    @Slot(object)
    def _on_worker_error(self, err: object) -> None:
        if self._finish():
            emit(self.failed, err)
            emit(self.finished)

    @Slot()
    def _on_worker_stopped(self) -> None:
        if self._finish():
            emit(self.cancelled)
            emit(self.finished)

    def _finish(self) -> bool:
        """Join the thread (the worker has returned or is returning) and forget it."""
        thread, worker = self._thread, self._worker
        if thread is None:
            return False
        thread.quit()
        thread.wait()
        self._drain.stop()
        if self._lines:  # the last lines, before succeeded / failed / cancelled (the worker has stopped: no race)
            batch = list(self._lines)
            self._lines.clear()
            emit(self.log_lines, batch)
        # The thread has stopped: dropping the last references destroys both objects safely here.
        del worker
        self._thread = self._worker = None
        emit(self.busy_changed, False)
        return True
