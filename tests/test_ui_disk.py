"""Tools > Disk use and caches, for real: an environment created from the local channel and index, its sizes in
the dialog, and Clean keeping what it links to (it still imports torch) and emptying the caches once it is gone."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("rattler")

from test_diskuse import caches, create, imports_torch  # noqa: E402,F401

pytestmark = pytest.mark.slow


def test_disk_dialog_shows_sizes_and_cleans_safely(qtbot: Any, repo: Any, caches: tuple[Path, Path]) -> None:  # noqa: F811
    from desktop.engine.base import remove_env
    from desktop.ui.disk_dialog import DiskDialog

    pkgs, uv = caches
    prefix = create(repo, "disk1")
    dlg = DiskDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.report is not None and not dlg.runner.busy, timeout=60_000)
    rows = {dlg.table.item(r, 0).text(): r for r in range(dlg.table.rowCount())}
    assert "disk1" in rows
    shared = dlg.table.item(rows["disk1"], 2).text()
    assert shared.endswith(" MiB") and float(shared.split()[0].replace(",", "")) > 0
    assert f"Conda packages cache ({pkgs})" in dlg.caches.text() and f"Wheels cache ({uv})" in dlg.caches.text()
    shots = os.environ.get("TORCHDESK_SCREENSHOT_DIR")
    if shots:
        dlg.grab().save(str(Path(shots) / "disk-use-and-caches.png"))

    with qtbot.waitSignal(dlg.runner.succeeded, timeout=60_000):
        dlg.clean_button.click()
    assert dlg.cleaned.kept_in_use > 0 and "that environments link to" in dlg.status.text()
    assert imports_torch(prefix) == "2.5.1+cpu"

    remove_env(prefix)
    with qtbot.waitSignal(dlg.runner.succeeded, timeout=60_000):
        dlg.clean_button.click()
    assert dlg.cleaned.kept_in_use == 0 and dlg.cleaned.freed_bytes > 0
    assert list(pkgs.iterdir()) == [] and list(uv.iterdir()) == []
    assert "Clean would free 0.0 MiB" in dlg.caches.text()
    dlg.close()
    assert not dlg.runner.busy


def test_tools_menu_and_environments_tab_open_the_disk_dialog(qtbot: Any, tmp_path: Path, home: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from test_ui import make_window

    from desktop.ui.disk_dialog import DiskDialog

    opened: list[DiskDialog] = []
    monkeypatch.setattr(DiskDialog, "exec", lambda self: opened.append(self) or 0)  # not modal in a test
    w = make_window(qtbot, tmp_path, dict(os.environ), {})
    tools = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Tools")
    assert w.disk_action in tools.actions()
    w.disk_action.trigger()
    w.envs_panel.disk_button.click()
    assert len(opened) == 2
    for d in opened:
        qtbot.waitUntil(lambda d=d: d.report is not None, timeout=60_000)
        d.close()
        assert not d.runner.busy
    w.shutdown()
