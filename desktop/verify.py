"""Verify an environment: run desktop/smoke.py with the env's own python, then judge its report.

`run_smoke` is the I/O edge (a subprocess under a timeout and a cancel token); `judge` is a pure function of the
report and the compatibility data (verdicts.py), so every verdict can be tested on a replayed report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .model import SmokeRun
from .paths import env_python
from .smoke import REPORT_MARKER
# The verdicts live in verdicts.py; judge, gpu_fix and Judgement are also imported from here by callers.
from .verdicts import VERDICTS, Judgement, gpu_fix, gpus_covered, judge, judge_run  # noqa: F401

SMOKE_SCRIPT = Path(__file__).with_name("smoke.py")


@dataclass(frozen=True)
class VerifyResult:
    """What verification found: a verdict, one-line cause and fix, the script's report and its log."""

    verdict: str  # pass | warn | fail
    cause: str
    fix: str
    report: dict[str, Any]
    log: str
    warnings: tuple[str, ...] = ()
    python: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Warnings still count as a pass."""
        return self.verdict != "fail"

    @property
    def torch_build(self) -> str:
        t = self.report.get("torch") or {}
        return t.get("version") or (self.report.get("dists") or {}).get("torch") or "-"

    @property
    def gpus_covered(self) -> str:
        """'NVIDIA H100 80GB HBM3 sm_90' per GPU that ran the checks; what else is known otherwise."""
        return gpus_covered(self.report)

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "cause": self.cause, "fix": self.fix, "warnings": list(self.warnings),
                "python": self.python, "seconds": round(self.seconds, 3), "report": self.report}


# --- running the script ------------------------------------------------------------------------------------------

def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # TorchDesk's own interpreter settings (a PyInstaller bundle sets some) must not leak into the env's python.
    for k in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE", "__PYVENV_LAUNCHER__"):
        env.pop(k, None)
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_smoke(python: str | os.PathLike[str], *, timeout: float = 300, on_line: Callable[[str], None] | None = None,
              cancel: Any = None) -> SmokeRun:
    """Run the smoke script with `python` in an empty folder; return its report (even a partial one) and log."""
    from .procs import run_streaming

    lines: list[str] = []
    report_line: list[str] = []

    def take(line: str) -> None:
        if line.startswith(REPORT_MARKER):
            report_line.append(line[len(REPORT_MARKER):])
            return
        lines.append(line)
        if on_line is not None:
            on_line(line)

    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="torchdesk-verify-")
    try:
        # A private copy in an empty folder: neither the script's package nor the user's cwd can shadow `torch`.
        script = Path(tmp) / "torchdesk_smoke.py"
        shutil.copyfile(SMOKE_SCRIPT, script)
        report_path = Path(tmp) / "report.json"
        cmd = [os.fspath(python), "-E", "-u", str(script), str(report_path)]
        rc: int | None = None
        timed_out = False
        try:
            rc = run_streaming(cmd, on_line=take, cancel=cancel, env=_child_env(), cwd=tmp, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        except (FileNotFoundError, PermissionError, OSError) as exc:
            return SmokeRun(None, "", None, error=f"cannot run {python}: {exc.strerror or exc}",
                            seconds=time.monotonic() - t0)
        report: dict[str, Any] | None = None
        for text in ([report_line[-1]] if report_line else []):
            try:
                report = json.loads(text)
            except ValueError:
                report = None
        if report is None and report_path.exists():  # died mid-way: the last stage it reached is on disk
            try:
                report = json.loads(report_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                report = None
        cancelled = bool(cancel is not None and getattr(cancel, "is_cancelled", False))
        return SmokeRun(report, "\n".join(lines), rc, timed_out=timed_out, cancelled=cancelled,
                        seconds=time.monotonic() - t0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def verify_python(python: str | os.PathLike[str], *, expect_gpu: bool | None = None, timeout: float = 300,
                  matrix: Any = None, on_line: Callable[[str], None] | None = None, cancel: Any = None) -> VerifyResult:
    """Run the smoke test with `python` and judge it: pass, warn (still a pass) or fail, with cause and fix."""
    run = run_smoke(python, timeout=timeout, on_line=on_line, cancel=cancel)
    if matrix is None:
        matrix = _default_matrix()
    j = judge_run(run, expect_gpu=expect_gpu, matrix=matrix, timeout=timeout)
    return VerifyResult(j.verdict, j.cause, j.fix, run.report or {}, run.log, j.warnings, os.fspath(python),
                        run.seconds)


def verify_env(prefix: Path | str, **kwargs: Any) -> VerifyResult:
    """verify_python with the python of the environment at `prefix`."""
    return verify_python(env_python(prefix), **kwargs)


def _default_matrix() -> Any:
    try:
        from .matrix import default_matrix

        return default_matrix()
    except Exception:  # verification must still run without the data; fixes then say so
        return None
