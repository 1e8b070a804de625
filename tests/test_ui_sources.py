"""Sources in the app, on the real window offscreen: each compatibility table cell's tooltip names where its data
comes from, and each why-chain line's "why do you say that?" opens the Compatibility tab on its row."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from test_ui import no_thread_leak, ui_env, window  # noqa: E402,F401
from desktop.ui.main_window import MainWindow  # noqa: E402


def _row(table: Any, column: str, value: str) -> int:
    cols = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    c = cols.index(column)
    return next(r for r in range(table.rowCount()) if table.item(r, c).text() == value)


def _cell_tip(table: Any, row: int, column: str) -> str:
    cols = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return str(table.item(row, cols.index(column)).toolTip())


def test_every_table_cell_names_its_source(window: MainWindow) -> None:
    m, cp = window.matrix, window.compat_panel
    tk = m.cuda("12.6")
    r = _row(cp.tables["driver"], "CUDA", tk.version)
    tip = _cell_tip(cp.tables["driver"], r, "Linux driver >=")
    for sid in tk.source:  # every source of the toolkit row, by title and address
        assert m.sources[sid].title in tip and m.sources[sid].url in tip
    h100 = m.find_gpu("NVIDIA H100 80GB HBM3")
    g = _row(cp.tables["gpus"], "GPU", h100.name)
    arch_tip = _cell_tip(cp.tables["gpus"], g, "architecture")
    assert all(m.sources[s].title in arch_tip for s in (*h100.source, *m.arch_for_cc("9.0").source))
    assert "applies to this machine" in arch_tip  # the H100 row is this machine's: both things are said
    rel = m.releases[0]
    t = cp.tables["torch"]
    builds_tip = _cell_tip(t, _row(t, "torch", rel.version), "builds (linux-x86_64)")
    build = next(b for b in rel.builds if "linux-x86_64" in b.platforms)
    assert all(m.sources[s].title in builds_tip for s in build.source)
    for key, table in cp.tables.items():  # and no cell is left without one
        missing = [(key, r, c) for r in range(table.rowCount()) for c in range(table.columnCount())
                   if "Source:" not in table.item(r, c).toolTip()]
        assert not missing, missing[:5]


def _click_why(qtbot: Any, window: MainWindow, text: str) -> None:
    rp = window.recommend_panel
    lines = [rp.why.item(i).text() for i in range(rp.why.count())]
    i = next(i for i, line in enumerate(lines) if text in line)
    qtbot.mouseClick(rp.why_buttons[i], Qt.MouseButton.LeftButton)


def _selected(cp: Any, key: str, column: str) -> list[str]:
    t = cp.tables[key]
    cols = [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())]
    return [t.item(r, cols.index(column)).text() for r in sorted({i.row() for i in t.selectedItems()})]


def test_why_line_opens_its_table_row(qtbot: Any, window: MainWindow) -> None:
    cp, rp = window.compat_panel, window.recommend_panel
    plan = window.recommendation.plan
    assert len(rp.why_buttons) == rp.why.count() > 0
    _click_why(qtbot, window, "compute capability 9.0")
    assert window.tabs.currentWidget() is cp
    assert cp.tabs.currentWidget() is cp.tables["gpus"]
    assert _selected(cp, "gpus", "GPU") == [window.matrix.find_gpu("NVIDIA H100 80GB HBM3").name]
    window.tabs.setCurrentIndex(0)
    _click_why(qtbot, window, f"torch {plan.torch} is the newest release")
    assert window.tabs.currentWidget() is cp and cp.tabs.currentWidget() is cp.tables["torch"]
    assert _selected(cp, "torch", "torch") == [plan.torch]
    window.tabs.setCurrentIndex(0)
    _click_why(qtbot, window, "runs CUDA up to")  # driver 580.159.04 runs CUDA up to 13.0
    assert cp.tabs.currentWidget() is cp.tables["driver"] and _selected(cp, "driver", "CUDA") == ["13.0"]


def test_why_line_shows_a_row_the_filter_hid(qtbot: Any, window: MainWindow) -> None:
    cp = window.compat_panel
    cp.filter_edit.setText("RTX 4090")  # hides the H100's row
    gpus = cp.tables["gpus"]
    h100 = _row(gpus, "GPU", window.matrix.find_gpu("NVIDIA H100 80GB HBM3").name)
    assert gpus.isRowHidden(h100)
    _click_why(qtbot, window, "compute capability 9.0")
    assert not gpus.isRowHidden(h100) and cp.filter_edit.text() == ""
    assert _selected(cp, "gpus", "compute capability") == ["9.0"]


def test_why_line_without_a_row_shows_its_source(qtbot: Any, window: MainWindow) -> None:
    """An AMD card is in no table of the Compatibility tab: its line says where the gfx target comes from."""
    op = window.other_panel
    window.tabs.setCurrentWidget(op)
    op.gpu_combo.setCurrentText("Radeon RX 7900 XTX")
    with qtbot.waitSignal(window.other_runner.succeeded, timeout=30_000):
        qtbot.mouseClick(op.plan_button, Qt.MouseButton.LeftButton)
    rp = op.recommendation
    lines = [rp.why.item(i).text() for i in range(rp.why.count())]
    i = next(i for i, line in enumerate(lines) if "gfx target gfx1100" in line)
    assert not rp.why_source.isVisible()
    qtbot.mouseClick(rp.why_buttons[i], Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is op  # nothing to jump to: it stays, and says the source
    model = window.matrix.find_amd_gpu("Radeon RX 7900 XTX")
    assert rp.why_source.isVisible()
    assert all(window.matrix.sources[s].url in rp.why_source.text() for s in model.source)
    j = next(i for i, line in enumerate(lines) if "newest release" in line)
    qtbot.mouseClick(rp.why_buttons[j], Qt.MouseButton.LeftButton)  # a release line has its row: it jumps
    assert window.tabs.currentWidget() is window.compat_panel and rp.why_source.isHidden()
    cp = window.compat_panel
    assert cp.tabs.currentWidget() is cp.tables["torch"] and _selected(cp, "torch", "torch") == [rp.recommendation.plan.torch]
