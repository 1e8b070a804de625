"""Render the TorchDesk icon files from the hand-written SVG (desktop/resources/icons/torchdesk.svg).

Writes desktop/resources/icons/torchdesk-256.png (window icon, Linux menu), installer/windows/torchdesk.ico
and installer/macos/torchdesk.icns. The outputs are committed; rerun this after editing the SVG:

    QT_QPA_PLATFORM=offscreen python installer/make_icons.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "desktop" / "resources" / "icons" / "torchdesk.svg"


def render(size: int):  # -> QImage
    """The SVG drawn on a transparent size x size image."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SVG}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - image plugins need an application object
    outputs = {
        ROOT / "desktop" / "resources" / "icons" / "torchdesk-256.png": ("PNG", 256),
        # The ICO and ICNS writers take the largest image; Windows and macOS scale it down.
        ROOT / "installer" / "windows" / "torchdesk.ico": ("ICO", 256),
        ROOT / "installer" / "macos" / "torchdesk.icns": ("ICNS", 512),
    }
    for path, (fmt, size) in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not render(size).save(str(path), fmt):
            print(f"failed: {path} ({fmt})", file=sys.stderr)
            return 1
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
