"""Verify an environment: run desktop/smoke/torchdesk_smoke.py with the env's own python, then judge its report.

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
from .sanitize import escape_controls, escape_line
from .smoke.torchdesk_smoke_words import REPORT_MARKER
from .smokereport import gpus_covered
from .verdicts import UNEXPECTED, UNEXPECTED_FIX, Judgement, judge_run

SMOKE_SCRIPT = Path(__file__).parent / "smoke" / "torchdesk_smoke.py"  # its torchdesk_smoke_*.py siblings go with it


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

# The most of the environment's output kept as its report: a real one is a few KiB per GPU.
MAX_REPORT_CHARS = 4 << 20


def _child_env() -> dict[str, str]:
    # Nothing of TorchDesk's own interpreter settings (a PyInstaller bundle sets some) nor the user's PYTHON*
    # variables (PYTHONPATH, PYTHONHOME, PYTHONSTARTUP, ...) may reach the env's python: verify must judge the
    # env's own packages. The command line adds -E -s; PYTHONNOUSERSITE keeps any child it starts isolated too.
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PYTHON") and k != "__PYVENV_LAUNCHER__"}
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _as_report(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """(report, None) for a JSON object; (None, what was wrong) for anything else the environment printed."""
    if len(text) > MAX_REPORT_CHARS:
        return None, f"a report line of {len(text)} characters"
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None, "a report line that is not JSON"
    if not isinstance(value, dict):
        return None, f"a report that is a JSON {type(value).__name__}, not an object"
    return value, None


def run_smoke(python: str | os.PathLike[str], *, timeout: float = 300, on_line: Callable[[str], None] | None = None,
              cancel: Any = None) -> SmokeRun:
    """Run the smoke script with `python` in an empty folder; return its report (even a partial one) and log."""
    from .procs import run_streaming

    lines: list[str] = []
    report_line: list[str] = []

    def take(line: str) -> None:
        if line.startswith(REPORT_MARKER):
            report_line[:] = [line[len(REPORT_MARKER):]]  # the last one counts; keep no more than one
            return
        line = escape_line(line)[:10_000]  # the env's output reaches a terminal: no raw control characters
        lines.append(line)
        if on_line is not None:
            on_line(line)

    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="torchdesk-verify-")
    try:
        # A private copy in an empty folder: neither the script's package nor the user's cwd can shadow `torch`.
        for part in sorted(SMOKE_SCRIPT.parent.glob("torchdesk_smoke*.py")):
            shutil.copyfile(part, Path(tmp) / part.name)
        script = Path(tmp) / SMOKE_SCRIPT.name
        report_path = Path(tmp) / "report.json"
        # -E: no PYTHON* variables; -s: not the user's ~/.local site-packages (a torch there is not the env's).
        cmd = [os.fspath(python), "-E", "-s", "-u", str(script), str(report_path)]
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
        unexpected: str | None = None
        if report_line:
            report, unexpected = _as_report(report_line[-1])
        if report is None and unexpected is None and report_path.exists():
            # died mid-way: the last stage it reached is on disk
            try:
                with open(report_path, encoding="utf-8") as f:
                    report, unexpected = _as_report(f.read(MAX_REPORT_CHARS + 1))
            except (OSError, ValueError):
                report = None
        cancelled = bool(cancel is not None and getattr(cancel, "is_cancelled", False))
        return SmokeRun(report, "\n".join(lines), rc, timed_out=timed_out, cancelled=cancelled,
                        seconds=time.monotonic() - t0, unexpected=unexpected)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def verify_python(python: str | os.PathLike[str], *, expect_gpu: bool | None = None, timeout: float = 300,
                  matrix: Any = None, on_line: Callable[[str], None] | None = None, cancel: Any = None) -> VerifyResult:
    """Run the smoke test with `python` and judge it: pass, warn (still a pass) or fail, with cause and fix."""
    run = run_smoke(python, timeout=timeout, on_line=on_line, cancel=cancel)
    if matrix is None:
        matrix = _default_matrix()
    report = run.report or {}
    try:
        j = judge_run(run, expect_gpu=expect_gpu, matrix=matrix, timeout=timeout)
    except (AttributeError, TypeError, KeyError, ValueError, IndexError, RecursionError):
        # A report of the right outline with the wrong insides: it did not come from our script.
        j = Judgement("fail", f"{UNEXPECTED} instead of the smoke test's report (fields of the wrong type)",
                      UNEXPECTED_FIX)
        report = {}
    # Causes and fixes quote the environment's own words: no raw control characters on anyone's terminal.
    return VerifyResult(j.verdict, escape_controls(j.cause), escape_controls(j.fix), report, run.log,
                        tuple(escape_controls(w) for w in j.warnings), os.fspath(python), run.seconds)


def verify_env(prefix: Path | str, **kwargs: Any) -> VerifyResult:
    """verify_python with the python of the environment at `prefix`."""
    return verify_python(env_python(prefix), **kwargs)


def _default_matrix() -> Any:
    try:
        from .matrixload import default_matrix

        return default_matrix()
    except Exception:  # verification must still run without the data; fixes then say so
        return None
