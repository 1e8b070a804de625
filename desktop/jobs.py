"""The create job: preflight -> solve -> download -> link -> pip -> verify, one function, no threads, no Qt.

Reports through `on_line` (every log line), `on_progress(Progress)` and a CancelToken; the CLI passes print
and turns Ctrl-C into cancel(), the GUI passes a relay's signals. Every job's log is saved under the user log
folder and the result links to it.

Never leaves half an environment behind: on failure or cancel before verification, the prefix this job
created is removed (and an env moved aside for --replace is put back); nothing else is touched. A failed
verification fails the job but keeps the env, so the user can look inside.

One owner per environment (issue #10): the job holds the prefix's OS lock (desktop.locks) from preflight to
the end, and marks the folder it creates until it commits. Clean-up removes a folder only if it carries this
job's marker; after a kill -9 the marker stays, so `envs` can call the folder incomplete and `remove` or
`create --replace` can delete it, and an env a killed --replace moved aside is put back (recover_replaced).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, TextIO

from .daytwo import apply_day_two, undo_day_two
from .engine.base import EngineError
from .envspec import EnvSpec, EnvSpecError
from .errors import JobFailed
from .jobclean import (clean_up, commit_env, discard_moved_aside, is_registered, record_spec, recover_replaced,
                       registry_snapshot)
from .locks import EnvLock, LockError, Marker, new_marker, write_marker
from .model import Host
from .paths import env_python, log_dir
from .preflight import preflight, target_prefix
from .procs import CancelToken, Cancelled
from .wheelstage import run_wheel_stage

STAGES = ("preflight", "solve", "download", "link", "pip", "verify")


@dataclass(frozen=True)
class Progress:
    stage: str  # one of STAGES
    fraction: float | None  # 0..1 within the stage; None: indeterminate
    message: str
    # the wheel stage's downloads, where known: bytes so far / in all (known before they start), bytes per second
    bytes_done: int | None = None
    bytes_total: int | None = None
    speed: float | None = None
    cached: int | None = None  # files taken from the cache instead of downloaded


@dataclass(frozen=True)
class EnvResult:
    status: str  # ok | failed | cancelled
    prefix: str
    name: str | None
    log_path: str
    stage: str  # the stage it ended in
    message: str  # one sentence: what happened
    fix: str | None = None  # what to do about it
    warnings: tuple[str, ...] = ()
    verify: Any = None  # desktop.verify.VerifyResult when that ran
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, and "total"
    kept: bool = False  # the env exists after the job (ok, or failed verification)

    def __post_init__(self) -> None:
        # What a result says is shown and logged by both faces: never with a token from an index or channel URL.
        from .secrets import mask_text

        object.__setattr__(self, "message", mask_text(self.message))
        object.__setattr__(self, "fix", mask_text(self.fix) if self.fix else self.fix)
        object.__setattr__(self, "warnings", tuple(mask_text(w) for w in self.warnings))

    @property
    def ok(self) -> bool:
        return self.status == "ok"




# --- the job ------------------------------------------------------------------------------------------------------

class _Log:
    """Tees lines to the caller and the job's log file (0600: it may name private indexes), credentials masked."""

    def __init__(self, label: str, on_line: Callable[[str], None]) -> None:
        from .paths import temp_log_dir

        self._on_line = on_line
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", label)[-40:]
        self.path = Path(os.devnull)
        self._f: TextIO | None = None
        for where in (log_dir, temp_log_dir):
            try:
                folder = where()
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._f = self._open_new(folder, f"create-{safe}-{stamp}-{os.getpid()}")
                break
            except OSError:
                continue
        if self._f is None:  # no writable log folder anywhere: keep going, the lines still reach the caller
            self._f = open(os.devnull, "w", encoding="utf-8")

    def _open_new(self, folder: Path, stem: str) -> TextIO:
        # A new file only (O_EXCL, never through a symlink), readable by the user alone.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        for n in range(100):
            path = folder / (f"{stem}.log" if n == 0 else f"{stem}-{n}.log")
            try:
                fd = os.open(path, flags, 0o600)
            except FileExistsError:
                continue
            self.path = path
            return os.fdopen(fd, "a", encoding="utf-8", errors="replace")
        raise FileExistsError(f"no free log file name in {folder}")

    def __call__(self, line: str) -> None:
        from .secrets import mask_text

        line = mask_text(line)
        assert self._f is not None
        self._f.write(line + "\n")
        self._on_line(line)

    def close(self) -> None:
        if self._f is not None:
            self._f.close()


def create_env(
    spec: EnvSpec,
    *,
    engine: Any,
    on_line: Callable[[str], None],
    on_progress: Callable[[Progress], None],
    cancel: CancelToken,
    verify: bool = True,
    replace: bool = False,
    host: Host | None = None,
    size_mib: int | None = None,
    envs_root: Path | None = None,
    check_index: bool = True,
    matrix: Any = None,
) -> EnvResult:
    """Build the environment `spec` describes with `engine`; never raises for job failures (see EnvResult).

    The job holds the prefix's lock (desktop.locks) from preflight to the end, and marks the folder it creates
    until it commits; clean-up removes only a folder carrying this job's own marker."""
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    stage_t = [t_start]
    current = ["preflight"]
    log = _Log(spec.label, on_line)
    warnings: list[str] = []
    registry_before = registry_snapshot()

    def enter(stage: str, fraction: float | None, message: str, **extra: Any) -> None:
        if stage != current[0]:
            now = time.perf_counter()
            timings[current[0]] = timings.get(current[0], 0.0) + now - stage_t[0]
            stage_t[0] = now
            current[0] = stage
            if stage != "done":
                log(f"== {stage}: {message}")
        if stage != "done":
            on_progress(Progress(stage, fraction, message, **extra))

    prefix = Path(spec.prefix or spec.name or ".")
    created = False
    marker: Marker | None = None
    kept_folder = False  # an empty folder the user gave: clean-up empties it but keeps it
    listed_before = True  # the registry listed the prefix before the job: clean-up leaves that line alone
    lock: EnvLock | None = None
    moved_aside: Path | None = None
    verify_result: Any = None
    status, message, fix = "ok", "", None
    kept = False
    try:
        log(f"== preflight: {spec.label} with {engine.describe() if hasattr(engine, 'describe') else engine}")
        on_progress(Progress("preflight", 0.0, "checking name, folder, space and wheels"))
        try:
            prefix = target_prefix(spec, envs_root)
        except EnvSpecError as exc:
            raise JobFailed("preflight", str(exc), "pick a name made of letters, digits, '.', '_' and '-'") from None
        try:
            lock = EnvLock(prefix).acquire()
        except LockError as exc:
            raise JobFailed("preflight", exc.message, exc.fix) from None
        recover_replaced(prefix.parent, log, only=prefix.name)
        listed_before = is_registered(prefix)
        prefix = preflight(spec, log, warnings, replace=replace, host=host, size_mib=size_mib,
                           envs_root=envs_root, check_index=check_index, matrix=matrix)
        cancel.raise_if_cancelled()
        kept_folder = prefix.is_dir() and not prefix.is_symlink() and not any(prefix.iterdir())
        if prefix.exists() and not kept_folder:  # --replace of a conda env: move it aside, put it back if this job fails
            moved_aside = prefix.with_name(f".{prefix.name}.torchdesk-replaced-{os.getpid()}")
            os.rename(prefix, moved_aside)
            log(f"moved the old environment aside to {moved_aside}")
        marker = new_marker(moved_aside)
        write_marker(prefix, marker)
        created = True
        engine.create(spec.conda_specs(), spec.channels, prefix, on_line=log, on_stage=enter, cancel=cancel)
        cancel.raise_if_cancelled()
        run_wheel_stage(spec, prefix, log, enter, cancel)
        apply_day_two(spec, prefix, on_line=log, cancel=cancel, host=host)  # guard, toolchain, Jupyter (desktop/daytwo.py)
        record_spec(spec, prefix, log)
        if verify:
            enter("verify", None, "checking the new environment")
            verify_result = _verify(spec, prefix, log, cancel, host)
        cancel.raise_if_cancelled()
        enter("done", 1.0, "done")
        commit_env(prefix, log, warnings)
        kept = True
        message = f"created {spec.label} at {prefix}"
        if verify_result is not None and getattr(verify_result, "verdict", "pass") == "fail":
            status = "failed"
            message = f"the environment was created at {prefix} but failed verification: {getattr(verify_result, 'cause', '')}"
            fix = getattr(verify_result, "fix", None)
        elif verify_result is not None and getattr(verify_result, "verdict", "pass") == "warn":
            warnings.append(str(getattr(verify_result, "cause", "verification warned")))
    except Cancelled:
        status, message = "cancelled", f"cancelled during {current[0]}"
    except JobFailed as exc:
        status, message, fix = "failed", exc.message, exc.fix
        current[0] = exc.stage if exc.stage in STAGES else current[0]
    except EngineError as exc:
        status, message = "failed", exc.message
        fix = "see the log for the engine's output"
        current[0] = exc.stage if exc.stage in STAGES else current[0]
    except EnvSpecError as exc:
        status, message = "failed", str(exc)
    except Exception as exc:  # anything unexpected still ends as a result with a log, never half an env
        status, message = "failed", f"unexpected error: {type(exc).__name__}: {exc}"
        import traceback

        for line in traceback.format_exc().splitlines():
            log(line)
    finally:
        try:
            if status != "ok" and not kept:
                if cancel.is_cancelled and status == "failed" and created:
                    # a step the cancel killed fails in its own words; the job was still cancelled
                    status, message = "cancelled", f"cancelled during {current[0]}"
                if created and moved_aside is None:  # a replaced env's own kernelspec stays with it
                    undo_day_two(prefix)
                clean_up(prefix if created else None, moved_aside, log, registry_before, marker=marker,
                          keep_folder=kept_folder, unregister=not listed_before)
            elif moved_aside is not None:
                discard_moved_aside(moved_aside, log, warnings)
        finally:
            if lock is not None:
                lock.release()
            now = time.perf_counter()
            timings[current[0]] = timings.get(current[0], 0.0) + now - stage_t[0]
            timings.pop("done", None)
            timings["total"] = now - t_start
            log(f"== {status}: {message}")
            log.close()
    return EnvResult(status=status, prefix=str(prefix), name=spec.name, log_path=str(log.path),
                     stage=current[0] if current[0] != "done" else "verify" if verify else "pip", message=message,
                     fix=fix, warnings=tuple(warnings), verify=verify_result, timings=timings, kept=kept)



def _verify(spec: EnvSpec, prefix: Path, log: Callable[[str], None], cancel: CancelToken, host: Host | None) -> Any:
    """Run the smoke test with the new env's own python (desktop/verify.py); a cancel during it cancels the job."""
    from .verify import verify_python

    expect_gpu = bool(spec.variant and spec.variant.startswith(("cu", "rocm")))
    if host is not None and not host.gpus:
        expect_gpu = False
    result = verify_python(str(env_python(prefix)), expect_gpu=expect_gpu, on_line=log, cancel=cancel)
    if cancel.is_cancelled:
        raise Cancelled()
    return result
