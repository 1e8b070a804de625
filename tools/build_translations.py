"""Refresh the translation sources and build the binary catalogues, with the tools that ship with PySide6.

    python tools/build_translations.py          # lupdate desktop/ui -> desktop/resources/i18n/*.ts, then lrelease -> *.qm
    python tools/build_translations.py --check  # exit 1 if a .ts misses a string of the code or a translation

lupdate keeps every existing translation and marks strings that left the code obsolete; translate new strings in
the .ts (Qt Linguist, or any text editor), then run this again so the .qm the app loads is rebuilt.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "desktop" / "ui").glob("*.py"))
I18N = ROOT / "desktop" / "resources" / "i18n"
LANGUAGES = ("zh_CN",)


def qt_tool(name: str) -> Path:
    """PySide6's own lupdate / lrelease (PySide6-Essentials ships both next to the package)."""
    import PySide6

    tool = Path(os.path.dirname(PySide6.__file__)) / name
    if not tool.is_file():
        raise SystemExit(f"{tool} is missing: install PySide6 (pip install PySide6-Essentials)")
    return tool


def lupdate(ts: Path) -> None:
    subprocess.run([str(qt_tool("lupdate")), "-silent", "-locations", "none", "-no-obsolete",
                    *[str(p.relative_to(ROOT)) for p in SOURCES], "-ts", str(ts)], cwd=ROOT, check=True)


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([str(qt_tool("lrelease")), "-silent", str(ts), "-qm", str(qm)], check=True)


def sources_in(ts: Path) -> set[tuple[str, str]]:
    """(context, source text) of every message in a .ts."""
    root = ET.parse(ts).getroot()
    return {(c.findtext("name") or "", m.findtext("source") or "") for c in root.iter("context") for m in c.iter("message")}


def unfinished(ts: Path) -> list[str]:
    """Source texts with no (or an unfinished) translation."""
    out = []
    for m in ET.parse(ts).getroot().iter("message"):
        t = m.find("translation")
        forms = [f.text for f in t.iter("numerusform")] if t is not None else []
        text = (t.text or "").strip() if t is not None else ""
        if t is None or t.get("type") in ("unfinished", "vanished", "obsolete") or not (text or any(forms)):
            out.append(m.findtext("source") or "")
    return out


def check() -> list[str]:
    """What is wrong with the shipped .ts files: strings the code has and they lack, and missing translations."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.ts"
        lupdate(fresh)
        wanted = sources_in(fresh)
    for lang in LANGUAGES:
        ts = I18N / f"torchdesk_{lang}.ts"
        if not ts.is_file():
            problems.append(f"{ts} is missing")
            continue
        missing = wanted - sources_in(ts)
        problems += [f"{ts.name}: not in the .ts: [{ctx}] {src!r}" for ctx, src in sorted(missing)]
        problems += [f"{ts.name}: no translation: {src!r}" for src in unfinished(ts)]
        qm = ts.with_suffix(".qm")
        with tempfile.TemporaryDirectory() as tmp:
            built = Path(tmp) / qm.name
            lrelease(ts, built)
            if not qm.is_file() or qm.read_bytes() != built.read_bytes():
                problems.append(f"{qm.name} does not match its .ts: run tools/build_translations.py")
    return problems


def main(argv: list[str]) -> int:
    if "--check" in argv:
        problems = check()
        print("\n".join(problems) or "translations complete")
        return 1 if problems else 0
    I18N.mkdir(parents=True, exist_ok=True)
    for lang in LANGUAGES:
        ts = I18N / f"torchdesk_{lang}.ts"
        lupdate(ts)
        lrelease(ts, ts.with_suffix(".qm"))
        print(f"{ts.relative_to(ROOT)}: {len(unfinished(ts))} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
