"""Background jobs for the GUI: the only module that touches QThread.

A private `_Worker` QObject is moved to a fresh QThread and runs one core function there. The public
`JobRunner` lives in the GUI thread and re-emits what the worker reports; widgets connect only to the
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
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger("torchdesk.ui")

# Every QThread this module started and not yet joined: the test fixture and closeEvent check it.
_THREADS: "weakref.WeakSet[QThread]" = weakref.WeakSet()


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


class _NoCancel:
    """Stands in for desktop.procs.CancelToken if that module is not importable (it needs psutil)."""

    def __init__(self) -> None:
        self.is_cancelled = False

    def cancel(self) -> None:
        self.is_cancelled = True


def _new_token() -> Any:
    try:
        from ..procs import CancelToken
    except ImportError:  # pragma: no cover - psutil missing
        return _NoCancel()
    return CancelToken()


class JobContext:
    """What a job function gets: callbacks that cross to the GUI thread, and the cancel token."""

    def __init__(self, worker: "_Worker", cancel: Any) -> None:
        self._worker = worker
        self.cancel = cancel

    def on_line(self, line: str) -> None:
        self._worker.line.emit(str(line))

    def on_progress(self, progress: Any) -> None:
        self._worker.progress.emit(progress)


class _Worker(QObject):
    line = Signal(str)
    progress = Signal(object)
    done = Signal(object)
    error = Signal(object)
    stopped = Signal()

    def __init__(self, name: str, fn: Callable[[JobContext], Any], cancel: Any) -> None:
        super().__init__()
        self._name = name
        self._fn = fn
        self._cancel = cancel

    @Slot()
    def run(self) -> None:
        ctx = JobContext(self, self._cancel)
        try:
            result = self._fn(ctx)
        except BaseException as exc:  # noqa: BLE001 - everything must reach the GUI as a signal
            if self._cancel.is_cancelled or type(exc).__name__ == "Cancelled":
                self.stopped.emit()
                return
            log.exception("job %s failed", self._name)
            msg = str(exc) or type(exc).__name__
            self.error.emit(JobError(self._name, msg, traceback.format_exc(), exc))
            return
        # Core jobs report a cancel in their result (status 'cancelled'); others only through the token.
        status = getattr(result, "status", None)
        if status == "cancelled" or (status is None and self._cancel.is_cancelled):
            self.stopped.emit()
        else:
            self.done.emit(result)


class JobRunner(QObject):
    """Runs one job at a time in its own QThread and relays its events in the GUI thread."""

    log_line = Signal(str)
    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)  # JobError
    cancelled = Signal()
    busy_changed = Signal(bool)
    finished = Signal()  # after any of succeeded / failed / cancelled

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._cancel: Any = None
        self.started_at: float | None = None

    # --- public API ---------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._thread is not None

    def start(self, fn: Callable[[JobContext], Any]) -> bool:
        """Start `fn` in a new thread. Returns False (and starts nothing) if a job is already running."""
        if self._thread is not None:
            return False
        self._cancel = _new_token()
        thread = QThread()
        thread.setObjectName(f"torchdesk-{self.name}")
        worker = _Worker(self.name, fn, self._cancel)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.line.connect(self._on_worker_line)
        worker.progress.connect(self._on_worker_progress)
        worker.done.connect(self._on_worker_done)
        worker.error.connect(self._on_worker_error)
        worker.stopped.connect(self._on_worker_stopped)
        self._thread, self._worker = thread, worker
        _THREADS.add(thread)
        self.started_at = time.perf_counter()
        self.busy_changed.emit(True)
        thread.start()
        return True

    def cancel(self) -> None:
        """Ask the running job to stop; the core's token kills its child processes at once."""
        if self._cancel is not None:
            self._cancel.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel and join the thread (for closeEvent). True when no thread is left running."""
        thread = self._thread
        if thread is None:
            return True
        self.cancel()
        thread.quit()  # the thread's event loop ends as soon as the job function returns
        ok = thread.wait(timeout_ms)
        if ok:
            # The worker's last signal is still queued: drop it, the window is going away.
            self._finish()
        return ok

    # --- relays (GUI thread) ------------------------------------------------------------------------------
    @Slot(str)
    def _on_worker_line(self, line: str) -> None:
        if self._worker is not None:
            self.log_line.emit(line)

    @Slot(object)
    def _on_worker_progress(self, progress: object) -> None:
        if self._worker is not None:
            self.progress.emit(progress)

    @Slot(object)
    def _on_worker_done(self, result: object) -> None:
        if self._finish():
            self.succeeded.emit(result)
            self.finished.emit()

    @Slot(object)
    def _on_worker_error(self, err: object) -> None:
        if self._finish():
            self.failed.emit(err)
            self.finished.emit()

    @Slot()
    def _on_worker_stopped(self) -> None:
        if self._finish():
            self.cancelled.emit()
            self.finished.emit()

    def _finish(self) -> bool:
        """Join the thread (the worker has returned or is returning) and forget it."""
        thread, worker = self._thread, self._worker
        if thread is None:
            return False
        thread.quit()
        thread.wait()
        # The thread has stopped: dropping the last references destroys both objects safely here.
        del worker
        self._thread = self._worker = None
        self.busy_changed.emit(False)
        return True
