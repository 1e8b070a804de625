"""Run one task per node class on the cluster through submitit (Slurm), or through its local executor.

Each class gets its own Slurm job constrained to its GRES type and partition: a Slurm job array shares one
resource request among its tasks, so an array cannot send task 0 to a V100 and task 1 to an A100. The jobs
share a name and are submitted, watched and cancelled together.

Job states come from `squeue`, not `sacct`: submitit's own watcher asks `sacct`, which fails where accounting is
off (it reports UNKNOWN and waits for ever on a job that died). A job that `squeue` no longer lists has ended;
its result (or its error) is then in submitit's folder.
"""

from __future__ import annotations

import functools
import getpass
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import UsageError
from ..procs import CancelToken
from .inventory import NodeClass

INSTALL_HINT = "pip install 'torchdesk[fleet]' (or: pip install 'submitit>=1.5')"


class SubmititMissing(UsageError):
    """submitit is not installed."""


def require_submitit() -> Any:
    """The submitit module, or a usage error that says how to install it and what works without it."""
    try:
        import submitit
    except ImportError:
        raise SubmititMissing(f"this needs submitit, Slurm's Python client: {INSTALL_HINT}; without it, "
                              "--print-sbatch writes the sbatch scripts to submit by hand") from None
    return submitit


@functools.cache
def _squeue_executor_classes() -> tuple[Any, Any]:
    """submitit's SlurmExecutor and SlurmJob, with a watcher that reads states from squeue (one, shared)."""
    from submitit.slurm import slurm as ss

    class SqueueInfoWatcher(ss.SlurmInfoWatcher):  # type: ignore[misc, unused-ignore]
        def _make_command(self) -> list[str] | None:
            if not (self._registered - self._finished):
                return None
            # %R: the node list once running, "(Reason)" while pending
            return ["squeue", "--states=all", "-h", "-o", "%i|%T|%R", "-u", getpass.getuser()]

        def read_info(self, string: bytes | str) -> dict[str, dict[str, str]]:
            text = string.decode() if isinstance(string, bytes) else string
            info: dict[str, dict[str, str]] = super().read_info("JobID|State|NodeList\n" + text)
            for jid in self._registered - self._finished:
                if jid not in info:  # ended and purged (MinJobAge): done; its result file says how it went
                    info[jid] = {"JobID": jid, "State": "NOT_LISTED", "NodeList": ""}
            return info

    class FleetSlurmJob(ss.SlurmJob[Any]):  # type: ignore[misc, unused-ignore]
        watcher = SqueueInfoWatcher(delay_s=1)

    class FleetSlurmExecutor(ss.SlurmExecutor):  # type: ignore[misc, unused-ignore]
        job_class = FleetSlurmJob

    return FleetSlurmExecutor, FleetSlurmJob


def make_executor(kind: str, folder: Path, cls: NodeClass | None, *, job_name: str, timeout_min: int,
                  python: str | None = None) -> Any:
    """A submitit executor for one class: 'slurm' (constrained to its GRES and partition) or 'local'."""
    submitit = require_submitit()
    if kind == "local":
        ex = submitit.LocalExecutor(folder=str(folder))
        ex.update_parameters(timeout_min=timeout_min)
        return ex
    executor_cls, _ = _squeue_executor_classes()
    ex = executor_cls(folder=str(folder), python=python)
    params: dict[str, Any] = {"job_name": job_name, "time": timeout_min, "ntasks_per_node": 1, "cpus_per_task": 1}
    if cls is not None:
        params["gres"] = cls.gres
        if cls.partition:
            params["partition"] = cls.partition
    ex.update_parameters(**params)
    return ex


@dataclass(frozen=True)
class TaskOutcome:
    """One class's task: its job id, and the task's result dict or the error that ended it."""

    cls: str
    job_id: str
    result: dict[str, Any] | None
    error: str | None = None
    state: str = ""


def run_per_class(classes: Sequence[NodeClass | None], fn: Callable[..., dict[str, Any]],
                  args_for: Callable[[NodeClass | None], tuple[Any, ...]], *, kind: str, folder: Path,
                  job_name: str, timeout_min: int = 30, cancel: CancelToken | None = None,
                  on_line: Callable[[str], None] | None = None, poll_s: float = 0.5) -> list[TaskOutcome]:
    """Submit fn(*args_for(cls)) once per class, wait for all; on cancel, scancel them and wait until gone."""
    cancel = cancel or CancelToken()
    say = on_line or (lambda _line: None)
    folder.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, Any]] = []
    cancelled_jobs: list[Any] = []
    finished: set[str] = set()

    def cancel_all() -> None:  # the jobs still running; one that already finished keeps its result
        for name, job in jobs:
            if name not in finished and job not in cancelled_jobs:
                cancelled_jobs.append(job)
                try:
                    job.cancel(check=False)
                except Exception:  # a job that already ended cannot be cancelled; fine
                    pass

    try:
        for cls in classes:
            name = cls.name if cls is not None else "local"
            if cancel.is_cancelled:
                break
            ex = make_executor(kind, folder, cls, job_name=job_name, timeout_min=timeout_min)
            job = ex.submit(fn, *args_for(cls))
            jobs.append((name, job))
            where = f" on {cls.gres}" + (f" in partition {cls.partition}" if cls.partition else "") if cls else ""
            say(f"class {name}: job {job.job_id} submitted{where}")
    except Exception as exc:
        cancel_all()
        raise UsageError(f"submitting the jobs failed: {exc}") from None
    remove = cancel.on_cancel(cancel_all)
    try:
        pending = {name for name, _ in jobs}
        reasons: dict[str, str] = {}
        while pending:
            for name, job in jobs:
                if name in pending and job.done():
                    pending.discard(name)
                    finished.add(name)
                    say(f"class {name}: job {job.job_id} finished")
                elif name in pending and kind == "slurm":
                    why = _pending_reason(job)
                    if why and reasons.get(name) != why:  # say why it waits (Resources, ReqNodeNotAvail...)
                        reasons[name] = why
                        say(f"class {name}: job {job.job_id} pending: {why}")
            if pending and cancel.wait(poll_s):
                say(f"cancelling {len(pending)} job{'s' if len(pending) != 1 else ''}: "
                    + ", ".join(j.job_id for n, j in jobs if n in pending))
                cancel_all()
                if kind == "slurm":
                    wait_until_gone([j.job_id for _n, j in jobs], timeout=60)
                break
    finally:
        remove()
    return [_outcome(name, job, cancelled=job in cancelled_jobs) for name, job in jobs]


def _pending_reason(job: Any) -> str | None:
    """Slurm's reason a pending job waits, from the watcher's last squeue (no extra call)."""
    try:
        info = job.watcher.get_info(job.job_id, mode="cache")
    except Exception:
        return None
    where = str(info.get("NodeList") or "")
    if info.get("State") == "PENDING" and where.startswith("(") and where != "(None)":
        return where.strip("()")
    return None


def _state(job: Any) -> str:
    try:
        return str(job.state)
    except Exception:
        return "unknown"


def _outcome(name: str, job: Any, *, cancelled: bool) -> TaskOutcome:
    state = _state(job)
    if cancelled:  # even if the task wrote a result: it is the result of a run killed part-way
        return TaskOutcome(name, str(job.job_id), None, "cancelled", "CANCELLED")
    try:
        return TaskOutcome(name, str(job.job_id), job.result(), None, state)
    except Exception as exc:  # the task raised, or the job died without a result (killed, node failure)
        lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
        return TaskOutcome(name, str(job.job_id), None, " | ".join(lines[-3:]) or type(exc).__name__, state)


def jobs_listed(job_ids: Sequence[str]) -> list[str]:
    """Those of `job_ids` that squeue still shows pending, running or completing."""
    p = subprocess.run(["squeue", "-h", "-o", "%i|%T", "-u", getpass.getuser()], capture_output=True, text=True,
                       timeout=60)
    wanted = {str(j) for j in job_ids}
    return [line.split("|")[0] for line in p.stdout.splitlines() if line.split("|")[0] in wanted]


def wait_until_gone(job_ids: Sequence[str], *, timeout: float = 60) -> list[str]:
    """Wait until squeue lists none of `job_ids` as active; return those still listed at the timeout."""
    deadline = time.monotonic() + timeout
    left = jobs_listed(job_ids)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = jobs_listed(job_ids)
    return left


def jobs_root() -> Path:
    """Where probe jobs keep submitit's files: $TORCHDESK_FLEET_JOBS, else the user cache (home is shared on clusters)."""
    env = os.environ.get("TORCHDESK_FLEET_JOBS")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("torchdesk")) / "fleet"


def default_jobs_folder(prefix: Path | str) -> Path:
    """Where submitit keeps a verify run's pickles and logs: next to the env (on the shared filesystem by
    definition), or under jobs_root() where that folder is not writable."""
    p = Path(prefix).absolute()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if os.access(p.parent, os.W_OK):
        return p.parent / f".torchdesk-fleet-{p.name}" / stamp
    return jobs_root() / "verify" / f"{p.name}-{stamp}"

