"""Render each main screen of the real app into docs/screenshots/*.png, under Xvfb with the real xcb platform.

    python tools/screenshots.py            # re-runs itself under xvfb-run when there is no display

Detection is fed from the H100 capture through the detection overrides (and "no GPU" for the first-start shots). The
create screens are real creates with the embedded engine against the engine tests' local channel and index
(tests/localrepo.py), in a throw-away HOME. Each screen is taken in the theme and language its name says.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
H100 = {"TORCHDESK_OVERRIDE_GPUS": "NVIDIA H100 80GB HBM3:9.0", "TORCHDESK_OVERRIDE_DRIVER": "580.159.04"}
SIZE = (1440, 900)


def _reexec_under_xvfb() -> int:
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        print("screenshots: no display and no xvfb-run (apt-get install xvfb)", file=sys.stderr)
        return 2
    env = dict(os.environ, TORCHDESK_SCREENSHOTS_CHILD="1")
    return subprocess.call([xvfb_run, "-a", "-s", f"-screen 0 {SIZE[0] + 80}x{SIZE[1] + 80}x24 -dpi 96",
                            sys.executable, __file__, *sys.argv[1:]], env=env)


def main() -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("TORCHDESK_SCREENSHOTS_CHILD"):
        return _reexec_under_xvfb()
    os.environ["QT_QPA_PLATFORM"] = "xcb"  # the real platform, not offscreen
    tmp = Path(tempfile.mkdtemp(prefix="torchdesk-shots-"))
    home = tmp / "home"
    home.mkdir()
    os.environ.update(H100, HOME=str(home), TORCHDESK_PKGS_DIR=str(tmp / "pkgs"))
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "TORCHDESK_ENVS_DIR"):
        os.environ.pop(var, None)
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    try:
        return _render(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _render(tmp: Path) -> int:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.ui.i18n import install_translator
    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import UiSettings

    app = QApplication([sys.argv[0]])
    app.setApplicationName("TorchDesk")
    repo = None
    try:
        from localrepo import build_local_repo

        repo = build_local_repo(tmp / "repo")
    except Exception as exc:  # noqa: BLE001 - the create screens are skipped, the rest still renders
        print(f"screenshots: no local repo ({exc}); skipping the create screens", file=sys.stderr)
    no_gpu = {k: v for k, v in os.environ.items() if k != "TORCHDESK_OVERRIDE_DRIVER"}
    no_gpu["TORCHDESK_OVERRIDE_GPUS"] = "none"

    def wait(signal: object, ms: int = 120_000) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)  # type: ignore[attr-defined]
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def settle(ms: int = 400) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def window(theme: str, language: str, env: dict[str, str] | None = None) -> MainWindow:
        """A fresh window in `theme` and `language`, detected and showing its first recommendation."""
        install_translator(app, language)  # before the widgets are built, as the app does
        qs = QSettings(str(tmp / f"settings-{theme}-{language}.ini"), QSettings.Format.IniFormat)
        qs.setValue("ui/theme", theme)
        qs.setValue("ui/language", language)
        if repo is not None:
            qs.setValue("sources/channels", repo.channel_url)
            qs.setValue("mirrors/torch", repo.torch_index_url)
            qs.setValue("mirrors/pypi", repo.extras_index_url)
        w = MainWindow(UiSettings(qs), env=env)
        w.inform = lambda *a: None  # type: ignore[method-assign]
        w.resize(*SIZE)
        w.show()
        w.start()
        wait(w.ready)
        return w

    def shot(w: MainWindow, name: str) -> None:
        settle()
        pix = w.screen().grabWindow(w.winId())
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"{name}.png"
        pix.save(str(path))
        print(f"wrote {path.relative_to(ROOT)} ({pix.width()}x{pix.height()})")

    def close(w: MainWindow) -> None:
        w.shutdown()
        w.close()
        w.deleteLater()
        app.processEvents()

    def create(w: MainWindow, name: str) -> None:
        """A real create of a CPU torch from the local channel and index, verified by the new env's Python."""
        import platform

        py = ".".join(platform.python_version_tuple()[:2])
        panel = w.recommend_panel
        for combo, value in ((panel.torch_combo, "2.5.1"), (panel.variant_combo, "cpu"), (panel.python_combo, py)):
            if combo.value() != value:
                combo.select_value(value)
                wait(w.resolve_runner.finished)
        w.create_panel.name_edit.setText(name)
        w.create_panel.create_button.click()
        wait(w.create_runner.finished, 300_000)
        w.create_panel.log.flush(everything=True)

    # First start on a machine with no GPU and no environments: empty states, not blank boxes.
    w = window("light", "en", no_gpu)
    shot(w, "0-first-start-no-gpu")
    close(w)
    w = window("dark", "zh_CN", no_gpu)
    shot(w, "0-first-start-no-gpu-dark-zh_CN")
    close(w)

    w = window("light", "en")
    shot(w, "1-this-machine")
    if repo is not None:
        create(w, "torch25-cpu")
        shot(w, "2-create-and-verify")
        wait(w.envs_runner.finished, 30_000)
    w.tabs.setCurrentWidget(w.envs_panel)
    if w.envs_panel.envs:
        w.envs_panel.table.selectRow(0)
    shot(w, "3-environments")
    w.tabs.setCurrentWidget(w.compat_panel)
    w.compat_panel.tabs.setCurrentIndex(0)
    shot(w, "4-compatibility")
    w.tabs.setCurrentWidget(w.other_panel)
    op = w.other_panel
    op.gpu_combo.setCurrentText("GeForce RTX 4090")
    op.driver_edit.setText("550.54.14")
    op.os_combo.setCurrentText("windows")
    op.plan()
    wait(w.other_runner.finished)
    shot(w, "5-another-machine")
    close(w)

    w = window("dark", "en")
    shot(w, "6-this-machine-dark")
    close(w)
    w = window("light", "zh_CN")
    shot(w, "7-this-machine-zh_CN")
    close(w)
    if repo is not None:
        w = window("dark", "zh_CN")
        create(w, "torch25-cpu-b")
        shot(w, "8-create-and-verify-dark-zh_CN")
        close(w)
    install_translator(app, "en")
    return 0


if __name__ == "__main__":
    sys.exit(main())
