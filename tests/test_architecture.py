"""The core never imports Qt; importing it probes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def core_modules() -> list[str]:
    mods = []
    for p in sorted((ROOT / "desktop").rglob("*.py")):
        rel = p.relative_to(ROOT).with_suffix("")
        parts = rel.parts
        if "ui" in parts or p.name == "__main__.py":
            continue
        mods.append(".".join(parts[:-1] if p.name == "__init__.py" else parts))
    return mods


def test_core_imports_no_qt_and_starts_no_probe() -> None:
    mods = core_modules()
    assert "desktop.resolve" in mods and "desktop.matrix" in mods
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}: importlib.import_module(m)\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'qtpy'))\n"
        "nv = sorted(m for m in sys.modules if m.split('.')[0] == 'pynvml' and getattr(sys.modules[m], 'nvmlLib', None) is not None)\n"
        "print(qt, nv)"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[] []", p.stdout
