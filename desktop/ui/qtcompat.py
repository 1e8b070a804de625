"""Work-arounds for bugs in the Qt binding, each detected at run time so a fixed binding pays nothing.

PySide6 6.12.0 on Python < 3.12: every `SignalInstance.emit()` returns `True` without taking a reference to it,
so each emit drops one reference to `True`. After a few thousand emits (a create job's log lines) CPython frees
`True` and aborts with "Fatal Python error: bool_dealloc". Python 3.12+ makes `True` immortal, which hides it.
All Python-side emits in desktop/ui go through `emit()`, which gives the reference back when the bug is present.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

_drops_true: bool | None = None


def _probe() -> bool:
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    p = _Probe()
    before = sys.getrefcount(True)
    for _ in range(16):
        p.ping.emit()
    lost = before - sys.getrefcount(True)
    if lost > 0:  # give back what the probe itself took
        for _ in range(lost):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return lost >= 16


def emit_drops_true() -> bool:
    """Whether this binding's emit() loses a reference to True (probed once, in the calling thread)."""
    global _drops_true
    if _drops_true is None:
        _drops_true = _probe()
    return _drops_true


def emit(signal: Any, *args: Any) -> None:
    """signal.emit(*args), safe on bindings whose emit() drops a reference to True."""
    result = signal.emit(*args)
    if result is True and emit_drops_true():
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
