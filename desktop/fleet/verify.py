"""Verify one environment on every node class: one job per class runs the smoke test with the env's own Python.

`verify_fleet` submits through submitit (or runs on this machine with submitit's local executor) and returns a
class x verdict table; `collect_results` reads the same table from the JSON files the sbatch scripts write.
"""

from __future__ import annotations

import functools
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import UsageError
from ..paths import env_python
from ..procs import CancelToken
from .inventory import NodeClass
from .jobs import TaskOutcome, default_jobs_folder, run_per_class
from .task import verify_task


@dataclass(frozen=True)
class ClassVerdict:
    """One row of the table: where the class's job ran, what GPU the smoke test saw, the verdict and checks."""

    cls: str
    verdict: str  # pass | warn | fail | error (no result came back) | cancelled
    cause: str
    node: str = "-"
    gpu: str = "-"
    cc: str = "-"
    driver: str = "-"
    devices: str = "-"  # CUDA_VISIBLE_DEVICES as Slurm set it
    job_id: str = "-"
    torch: str = "-"
    checks: tuple[tuple[str, bool], ...] = ()
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict in ("pass", "warn")

    def to_json(self) -> dict[str, Any]:
        return {"class": self.cls, "verdict": self.verdict, "cause": self.cause, "node": self.node, "gpu": self.gpu,
                "cc": self.cc, "driver": self.driver, "cuda_visible_devices": self.devices, "job_id": self.job_id,
                "torch": self.torch, "checks": [{"name": n, "ok": ok} for n, ok in self.checks], "fix": self.fix}


def _obj(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


def _seq(x: Any) -> list[Any]:
    return list(x) if isinstance(x, list) else []


def verdict_from_result(cls: str, result: dict[str, Any], job_id: str = "-") -> ClassVerdict:
    """A table row from a node's task result (verify_task's dict); odd shapes (a hand-edited file) read as gaps."""
    v = _obj(result.get("verify"))
    rep = _obj(v.get("report"))
    gpus = [_obj(g) for g in _seq(rep.get("gpus"))]
    drv = _obj(_obj(rep.get("driver")).get("nvml")).get("driver") or "-"
    slurm = _obj(result.get("slurm"))
    checks = tuple((str(c.get("name")) + ("" if c.get("gpu") is None else f"[{c['gpu']}]"), bool(c.get("ok")))
                   for c in map(_obj, _seq(rep.get("checks"))))
    torch = _obj(rep.get("torch")).get("version") or _obj(rep.get("dists")).get("torch") or "-"
    verdict = str(v["verdict"]) if v.get("verdict") in ("pass", "warn", "fail") else "error"
    return ClassVerdict(
        cls=cls, verdict=verdict, cause=str(v.get("cause") or "no verdict in the result"),
        node=str(result.get("node") or "-"),
        gpu="; ".join(str(g.get("name")) for g in gpus) or "none used",
        cc="; ".join(str(g.get("cc")) for g in gpus if g.get("cc")) or "-", driver=str(drv),
        devices=_devices(slurm), job_id=str(slurm.get("SLURM_JOB_ID", job_id)),
        torch=str(torch), checks=checks, fix=str(v.get("fix") or ""))


def _devices(slurm: dict[str, Any]) -> str:
    if "CUDA_VISIBLE_DEVICES" not in slurm:
        return "-"
    return str(slurm["CUDA_VISIBLE_DEVICES"]) or "(none)"  # set but empty: no GPU given to the task


def verdict_from_outcome(o: TaskOutcome) -> ClassVerdict:
    """A table row from a submitit outcome: the result's row, or an error/cancelled row."""
    if o.result is not None:
        return verdict_from_result(o.cls, o.result, o.job_id)
    if o.error == "cancelled":
        return ClassVerdict(o.cls, "cancelled", "cancelled before it finished", job_id=o.job_id)
    return ClassVerdict(o.cls, "error", f"the job ended without a result ({o.state}): {o.error}", job_id=o.job_id)


@dataclass(frozen=True)
class FleetVerify:
    """The whole table; ok only if every class passed (warnings count as a pass)."""

    prefix: str
    rows: tuple[ClassVerdict, ...]
    jobs_folder: str | None = None  # submitit's files (job logs), kept when a class did not pass

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(r.ok for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "ok": self.ok, "classes": [r.to_json() for r in self.rows],
                "jobs_folder": self.jobs_folder}


def env_python_for(prefix: str | Path) -> str:
    """The environment's own python, checked to exist (the nodes see the same path on the shared filesystem)."""
    p = Path(prefix).expanduser()
    if not p.is_dir():
        raise UsageError(f"no environment at {p}; create it first with `torchdesk fleet create --prefix {p}`")
    py = env_python(p)
    if not py.exists():
        raise UsageError(f"{p} has no python ({py} does not exist); is it a conda environment?")
    return str(py.absolute())


def verify_fleet(prefix: str | Path, classes: Sequence[NodeClass], *, kind: str = "slurm",
                 folder: Path | None = None, timeout_min: int = 30, expect_gpu: bool | None = None,
                 on_line: Callable[[str], None] | None = None, cancel: CancelToken | None = None) -> FleetVerify:
    """Run the smoke test with the env's python once per class (a Slurm job each, or locally) and tabulate."""
    python = env_python_for(prefix)
    own_parent = folder is None
    folder = folder or default_jobs_folder(prefix)
    created = not folder.exists()
    targets: list[NodeClass | None] = list(classes) if kind == "slurm" else (list(classes) or [None])
    outcomes = run_per_class(
        targets, functools.partial(verify_task, expect_gpu=expect_gpu, timeout=max(60, timeout_min * 60 - 30)),
        lambda c: (python, c.name if c is not None else "local"),
        kind=kind, folder=folder, job_name=f"torchdesk-verify-{Path(prefix).name}", timeout_min=timeout_min,
        cancel=cancel, on_line=on_line)
    fv = FleetVerify(str(prefix), tuple(verdict_from_outcome(o) for o in outcomes), str(folder))
    if fv.ok and created:  # nothing to look into: remove this run's files (only what this run created)
        shutil.rmtree(folder, ignore_errors=True)
        if own_parent:
            try:
                folder.parent.rmdir()  # the .torchdesk-fleet-NAME folder, if no other run's files are in it
            except OSError:
                pass
        fv = FleetVerify(fv.prefix, fv.rows, None)
    return fv


def collect_results(folder: str | Path, classes: Sequence[str] = ()) -> FleetVerify:
    """The table from the result files the sbatch scripts wrote (results/<class>.json); missing ones are errors."""
    from ..safeio import MAX_INPUT_BYTES, read_regular_file, shown_path

    root = Path(folder)
    res_dir = root / "results"
    meta_path = root / "fleet.json"
    meta: dict[str, Any] = {}
    try:
        if not root.is_dir():
            raise UsageError(f"{shown_path(root)} is not a folder; give the one --print-sbatch wrote")
        if meta_path.exists():
            meta = json.loads(read_regular_file(meta_path, MAX_INPUT_BYTES))  # a FIFO is an error, not a hang
    except (ValueError, RecursionError):
        meta = {}
    except OSError as exc:  # ENAMETOOLONG from a 100,000-character argument, a FIFO, an unreadable file
        raise UsageError(f"cannot read the fleet verify folder {shown_path(root)}: {exc.strerror or exc}; "
                         "give the folder --print-sbatch wrote") from None
    names = (list(classes) or [str(c) for c in _seq(_obj(meta).get("classes"))]
             or sorted(p.stem for p in res_dir.glob("*.json")))
    if not names:
        raise UsageError(f"{root} holds no fleet verify scripts or results; write them with --print-sbatch {root}")
    rows = []
    for name in names:
        f = res_dir / f"{name}.json"
        if not f.exists():
            rows.append(ClassVerdict(name, "error", f"no result yet ({f} is missing): has its job run? see {root}/logs"))
            continue
        try:
            data = json.loads(read_regular_file(f, MAX_INPUT_BYTES))  # a FIFO or /dev/zero: an error row, no hang
        except (OSError, ValueError, RecursionError) as exc:
            rows.append(ClassVerdict(name, "error", f"unreadable result {f}: {exc}"))
            continue
        if not isinstance(data, dict):
            rows.append(ClassVerdict(name, "error", f"unreadable result {f}: not a JSON object"))
            continue
        rows.append(verdict_from_result(name, data))
    return FleetVerify(str(_obj(meta).get("prefix") or "-"), tuple(rows))
