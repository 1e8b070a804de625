"""Translations for the fixed sentences that Qt-free helpers (choices.py, the core) hand to the panels.

Those helpers stay free of Qt, so they cannot call tr(); the panels pass what they return through `tr_core`,
which translates a text listed here and returns any other text (a version, a path, a resolver detail) unchanged.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

CONTEXT = "core"
FIXED = (
    QT_TRANSLATE_NOOP("core", "unknown"),
    QT_TRANSLATE_NOOP("core", "Automatic"),
    QT_TRANSLATE_NOOP("core", "Newest that fits"),
    QT_TRANSLATE_NOOP("core", "Best for this GPU"),
    QT_TRANSLATE_NOOP("core", "the newest Python the chosen release supports that has been out a year"),
    QT_TRANSLATE_NOOP("core", "the newest PyTorch release that runs on this machine"),
    QT_TRANSLATE_NOOP("core", "the index's default build if it runs here, else the newest that does"),
    QT_TRANSLATE_NOOP("core", "unknown (no NVIDIA driver found)"),
    QT_TRANSLATE_NOOP("core", "unknown (driver version not read)"),
    QT_TRANSLATE_NOOP("core", "none in the data (driver too old)"),
    QT_TRANSLATE_NOOP("core", "No PyTorch build fits this machine. Why: the \u2717 lines below."),
    QT_TRANSLATE_NOOP("core", "No PyTorch build fits this machine with these choices. Why: the \u2717 lines below."),
)


def tr_core(text: str) -> str:
    """`text` in the user's language when it is one of FIXED, else unchanged."""
    return QCoreApplication.translate(CONTEXT, text)
