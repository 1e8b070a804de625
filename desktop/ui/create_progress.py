"""What the create panel shows of a job: its stages, one bar for the whole job, and the result in words.

The strings keep the "CreatePanel" translation context they had when this lived in create_panel.py, so the
shipped catalogues still translate them.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QProgressBar, QWidget

from .core_words import tr_core

STAGES = (("preflight", QT_TRANSLATE_NOOP("CreatePanel", "Check the plan and the disk")),
          ("solve", QT_TRANSLATE_NOOP("CreatePanel", "Solve the conda packages")),
          ("download", QT_TRANSLATE_NOOP("CreatePanel", "Download")),
          ("link", QT_TRANSLATE_NOOP("CreatePanel", "Link into the environment")),
          ("pip", QT_TRANSLATE_NOOP("CreatePanel", "Install PyTorch with pip")),
          ("verify", QT_TRANSLATE_NOOP("CreatePanel", "Verify: run a CUDA smoke test with the new Python")))
VERIFY_LABEL_GPU = STAGES[-1][1]
VERIFY_LABEL_CPU = QT_TRANSLATE_NOOP("CreatePanel", "Verify: import torch and compute on the CPU with the new Python")
STAGE_KEYS = tuple(k for k, _ in STAGES)
FAILED_CHUNK = "QProgressBar::chunk { background-color: #d73a49; }"


class JobProgressBar(QProgressBar):
    """The whole job in one bar (0-1000): each stage an equal share, downloads as bytes, speed and time left."""

    def __init__(self, stage_keys: tuple[str, ...] = STAGE_KEYS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keys = stage_keys
        self.setRange(0, 1000)
        self.restart()

    def restart(self) -> None:
        """Back to an empty, normal bar for a new job."""
        self.set_failed(None)
        self.setValue(0)
        self.setFormat("%p%")

    def show_progress(self, p: Any) -> None:
        """Move forward to a core Progress (stage, fraction, bytes); the bar never moves back."""
        stage = getattr(p, "stage", None)
        if stage in self._keys:
            idx = self._keys.index(stage)
            frac = getattr(p, "fraction", None)
            overall = (idx + (min(max(frac, 0.0), 1.0) if isinstance(frac, (int, float)) else 0.0)) / len(self._keys)
            self.setValue(max(self.value(), int(overall * 1000)))
        total = getattr(p, "bytes_total", None)
        if total:  # the downloads: bytes, speed and time left inside the bar
            from ..wheelprogress import byte_summary

            done = min(getattr(p, "bytes_done", None) or 0, total)
            self.setFormat(f"{stage}: " + byte_summary(done, total, getattr(p, "speed", None),
                                                       getattr(p, "cached", None)).replace("%", "%%"))
        elif stage != "pip" or total == 0:
            self.setFormat("%p%")

    def set_failed(self, text: str | None) -> None:
        """Paint the bar as failed (red chunk, `text` on it) where it stopped, or back to normal with None."""
        failed = text is not None
        self.setProperty("failed", failed)
        # A style sheet only while failed: the platform style draws the normal bar.
        self.setStyleSheet(FAILED_CHUNK if failed else "")
        self.setFormat(f"{text} (%p%)" if failed else "%p%")  # no words to translate
        self.setTextVisible(True)


def describe_result(result: Any, verify: Any, prefix: str) -> tuple[str, str, str]:
    """(title, body, banner kind) for an EnvResult."""
    status = getattr(result, "status", "ok")
    message = str(getattr(result, "message", "") or "")
    fix = tr_core(getattr(result, "fix", None) or getattr(verify, "fix", None) or "")
    todo = "\n" + QCoreApplication.translate("CreatePanel", "What to do: {fix}").format(fix=fix) if fix else ""
    from ..neterrors import MIRROR_HINT_APP, plain_warnings

    warnings = "".join(f"\n! {w}" for w in plain_warnings(getattr(result, "warnings", ()) or (),
                                                          mirror_hint=MIRROR_HINT_APP))
    if status != "ok":
        if getattr(result, "kept", False):
            return QCoreApplication.translate("CreatePanel", "Created {path}, but verification failed").format(path=prefix), f"{message}{todo}", "fail"
        from ..neterrors import explain_job_failure, read_log_tail

        stage = getattr(result, "stage", "")
        title = (QCoreApplication.translate("CreatePanel", "The environment was not created (failed during {stage})").format(stage=stage)
                 if stage else QCoreApplication.translate("CreatePanel", "The environment was not created"))
        plain = explain_job_failure(message, read_log_tail(getattr(result, "log_path", None)),
                                    mirror_hint=MIRROR_HINT_APP)
        if plain:  # the raw chain goes behind Details (failure_details), not into the sentence
            return title, plain + "\n" + QCoreApplication.translate("CreatePanel", "Nothing was left behind."), "fail"
        if fix == "see the log for the engine's output":
            todo = "\n" + QCoreApplication.translate("CreatePanel", "What to do: open Details for the engine's output.")
        return title, f"{message}{todo}\n" + QCoreApplication.translate("CreatePanel", "Nothing was left behind."), "fail"
    verdict = getattr(verify, "verdict", None)
    if verify is None:
        return QCoreApplication.translate("CreatePanel", "Created {path}").format(path=prefix), QCoreApplication.translate("CreatePanel", "It was not verified.") + warnings, "warn"
    cause = tr_core(str(getattr(verify, "cause", "") or ""))
    if verdict == "pass":
        return QCoreApplication.translate("CreatePanel", "Created and verified {path}").format(path=prefix), f"{cause}{warnings}", "ok"
    return (QCoreApplication.translate("CreatePanel", "Created {path}; verification: {verdict}").format(path=prefix, verdict=verdict),
            f"{cause}{todo}{warnings}", "warn")


def failure_details(result: Any) -> str:
    """Behind "Details" of a failed job: its raw message, then the last lines of its log."""
    from ..neterrors import read_log_tail

    parts = [str(getattr(result, "message", "") or "")]
    tail = read_log_tail(getattr(result, "log_path", None), 40)
    if tail:
        parts.append(f"--- last lines of {getattr(result, 'log_path', 'the log')} ---")
        parts.extend(tail)
    return "\n".join(parts)


def verify_details(verify: Any) -> str:
    """Behind "Details" of a verified job: the verdict, its warnings, the smoke report and the test's output."""
    if verify is None:
        return ""
    parts = [f"verdict: {getattr(verify, 'verdict', '?')}"]
    for w in getattr(verify, "warnings", ()) or ():
        parts.append(f"warning: {w}")
    report = getattr(verify, "report", None)
    if report:
        parts.append(json.dumps(report, indent=2, default=str)[:20_000])
    log = getattr(verify, "log", "")
    if log:
        parts.append("--- smoke test output ---\n" + log[-8000:])
    return "\n".join(parts)
