"""What a user meets on a new workstation: keyboard-only use, the no-match cases, a broken downloaded data file,
bad locations and settings. The real MainWindow, offscreen; waits are on the GUI-thread JobRunners' signals."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings, QSize, Qt  # noqa: E402
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLabel  # noqa: E402

from test_ui import WAIT_MS, make_window, no_thread_leak, ui_env, window  # noqa: E402,F401

from desktop.ui.main_window import MainWindow, default_size  # noqa: E402
from desktop.ui.settings import SettingsDialog, UiSettings  # noqa: E402

K80_AND_5090 = "Tesla K80:3.7;GeForce RTX 5090:12.0"


def started_window(qtbot: Any, tmp_path: Path, env: dict[str, str], **overrides: str) -> MainWindow:
    env = {k: v for k, v in env.items() if not k.startswith("TORCHDESK_OVERRIDE_")}
    env.update(overrides)
    w = make_window(qtbot, tmp_path, env)
    w.show()
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        assert w.start()
    return w


def mnemonic(text: str) -> str | None:
    m = re.search(r"(?<!&)&([^&])", text)
    return m.group(1).lower() if m else None


# --- keyboard ---------------------------------------------------------------------------------------------------

def test_tab_moves_on_from_every_table(window: MainWindow) -> None:
    """A read-only table that cycles its cells on Tab traps a keyboard user (the GPU table did, first thing)."""
    views = window.findChildren(QAbstractItemView)
    assert views
    trapping = [type(v).__name__ for v in views if v.tabKeyNavigation()]
    assert not trapping


def test_tab_from_the_gpu_table_reaches_the_selectors(qtbot: Any, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=WAIT_MS)
    gpus = window.machine_panel.gpus
    gpus.setFocus()
    qtbot.waitUntil(gpus.hasFocus, timeout=WAIT_MS)
    combos = (window.recommend_panel.python_combo, window.recommend_panel.torch_combo, window.recommend_panel.variant_combo)
    for _ in range(4):
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
        if window.focusWidget() in combos:
            break
    assert window.focusWidget() is window.recommend_panel.python_combo


def test_every_mnemonic_is_unique_on_each_tab(window: MainWindow) -> None:
    """Alt+letter must do one thing: menus and tab titles are always there, so they count on every page."""
    shared = [mnemonic(a.text()) for a in window.menuBar().actions()]
    shared += [mnemonic(window.tabs.tabText(i)) for i in range(window.tabs.count())]
    for i in range(window.tabs.count()):
        page = window.tabs.widget(i)
        own = [mnemonic(lab.text()) for lab in page.findChildren(QLabel) if lab.buddy() is not None]
        own += [mnemonic(b.text()) for b in page.findChildren(QAbstractButton)]
        letters = [x for x in shared + own if x]
        dupes = sorted({x for x in letters if letters.count(x) > 1})
        assert not dupes, f"tab {window.tabs.tabText(i)!r}: Alt+{dupes} is ambiguous"


def test_enter_in_the_name_field_creates(qtbot: Any, window: MainWindow) -> None:
    panel = window.create_panel
    started: list[tuple[Any, str]] = []
    panel.start = lambda spec, engine: started.append((spec, engine)) or True  # type: ignore[method-assign]
    panel.name_edit.setText("from-the-keyboard")
    assert panel.create_button.isEnabled()
    qtbot.keyClick(panel.name_edit, Qt.Key.Key_Return)
    assert len(started) == 1 and started[0][0].name == "from-the-keyboard"


# --- no plan: say why, and offer what does fit ------------------------------------------------------------------

def test_kepler_and_blackwell_pair_says_so_and_offers_the_cpu_build(qtbot: Any, tmp_path: Path,
                                                                    ui_env: dict[str, str]) -> None:
    w = started_window(qtbot, tmp_path, ui_env, TORCHDESK_OVERRIDE_GPUS=K80_AND_5090,
                       TORCHDESK_OVERRIDE_DRIVER="580.159.04")
    panel, create = w.recommend_panel, w.create_panel
    assert w.recommendation.plan is None
    assert "No single PyTorch build runs on all 2 GPUs" in panel.summary.text()
    assert "alone" in panel.warnings.text()  # each GPU's own option
    assert not create.create_button.isEnabled()
    assert "no PyTorch build fits" in create.create_button.toolTip()
    # Not a dead end: the build selector lists the builds, the CPU one open, the others saying why not.
    cpu = panel.variant_combo.item_for("cpu")
    assert cpu is not None and cpu.isEnabled()
    cu = next(panel.variant_combo.item_for(c.value) for c in w.recommendation.choices.variant if c.value not in (None, "cpu"))
    assert not cu.isEnabled() and "no kernels" in cu.toolTip()
    assert panel.fallback_button.isVisible() and "cpu" in panel.fallback_button.text()
    with qtbot.waitSignal(w.resolve_runner.succeeded, timeout=WAIT_MS):
        panel.fallback_button.click()
    qtbot.waitUntil(lambda: not w.resolve_runner.busy, timeout=WAIT_MS)
    assert w.recommendation.plan is not None and w.recommendation.plan.variant == "cpu"
    assert not panel.fallback_button.isVisible()
    assert create.name_edit.text().endswith("-cpu") and create.create_button.isEnabled()
    w.shutdown()


def test_driver_too_old_says_what_to_update(qtbot: Any, tmp_path: Path, ui_env: dict[str, str]) -> None:
    w = started_window(qtbot, tmp_path, ui_env, TORCHDESK_OVERRIDE_GPUS="GeForce RTX 5090:12.0",
                       TORCHDESK_OVERRIDE_DRIVER="470.57.02")
    panel = w.recommend_panel
    assert w.recommendation.plan is None
    assert "No PyTorch build fits this machine" in panel.summary.text()
    assert "update to" in panel.warnings.text() and panel.warnings.isVisibleTo(panel)
    assert "update to" in w.machine_panel.warnings.text()
    assert panel.fallback_button.isVisibleTo(panel)
    w.shutdown()


# --- a broken downloaded matrix.json ----------------------------------------------------------------------------

@pytest.mark.parametrize("content", [b'{"data_version": "x"', b'{"data_version": "2099.1.1"}', b"", b"\xff\xfe{\x00"],
                         ids=["truncated", "invalid", "empty", "not-utf8"])
def test_a_broken_downloaded_matrix_falls_back_to_the_bundled_copy_and_says_so(
        qtbot: Any, tmp_path: Path, ui_env: dict[str, str], content: bytes) -> None:
    from desktop.matrixload import BUNDLED_MATRIX, user_matrix_path

    user = user_matrix_path()
    assert str(user).startswith(str(Path.home()))  # the test's throw-away HOME
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_bytes(content)
    w = started_window(qtbot, tmp_path, ui_env, TORCHDESK_OVERRIDE_GPUS="NVIDIA H100 80GB HBM3:9.0",
                       TORCHDESK_OVERRIDE_DRIVER="580.159.04")
    assert not w.dialogs.errors
    assert Path(w.matrix_path) == BUNDLED_MATRIX and w.recommendation.plan is not None
    said = w.machine_panel.warnings.text()
    assert w.machine_panel.warnings.isVisibleTo(w.machine_panel)
    assert str(user) in said and "bundled" in said and "Check for data updates" in said
    assert "bundled" in w.statusBar().currentMessage()
    assert str(user) in w.about_text()
    w.shutdown()


# --- where to create, settings, window size ---------------------------------------------------------------------

def test_location_must_be_a_full_path_to_a_folder(window: MainWindow, tmp_path: Path) -> None:
    panel = window.create_panel
    panel.name_edit.setText("fine")
    panel.location_edit.setText("relative/dir")
    assert not panel.create_button.isEnabled() and "full path" in panel.name_status.text()
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    panel.location_edit.setText(str(a_file))
    assert not panel.create_button.isEnabled() and "not a folder" in panel.name_status.text()
    panel.location_edit.setText(str(tmp_path / "new-folder"))
    assert panel.create_button.isEnabled() and "will be created" in panel.name_status.text()


def test_settings_labels_and_a_relative_envs_folder(qtbot: Any, tmp_path: Path) -> None:
    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    dlg = SettingsDialog(settings)
    qtbot.addWidget(dlg)
    literal = [lab.text() for lab in dlg.findChildren(QLabel) if mnemonic(lab.text()) and lab.buddy() is None]
    assert not literal, f"labels that would show a literal '&': {literal}"
    dlg.envs_dir.setText("envs-here")
    dlg._on_buttons_accepted()
    assert "full path" in dlg.error.text() and not dlg.result()
    assert settings.q.value("create/envs_dir") is None
    dlg.envs_dir.setText(str(tmp_path / "envs"))
    dlg._on_buttons_accepted()
    assert dlg.result() and settings.envs_dir == tmp_path / "envs"


@pytest.mark.parametrize("screen, expected", [(QSize(1920, 1080), (1320, 860)), (QSize(1280, 720), (1216, 684)),
                                              (QSize(960, 540), (912, 513)), (None, (1320, 860))])
def test_first_window_fits_the_screen(screen: QSize | None, expected: tuple[int, int]) -> None:
    assert default_size(screen) == expected


def test_plan_for_another_machine_says_what_to_do_first(window: MainWindow) -> None:
    text = window.other_panel.recommendation.summary.text()
    assert "Recommend" in text and "detection" not in text


@pytest.mark.parametrize("gpus, driver, plan_torch, advised", [
    # 2.9-2.11 have cu128 and 2.12.1/2.13.0 cu129 builds this driver runs; 2.12.0 had no cu129 (data review 2026-12-01):
    # the advice names what the update gets (the plan with 580), not the oldest release it unblocks
    ("GeForce RTX 5090:12.0", "575.51.03", "2.13.0", "2.15.0"),
    ("GeForce RTX 5090:12.0", "470.57.02", None, "2.13.0"),  # Blackwell's 570.26: cu129 by minor-version compat
    ("NVIDIA H100 80GB HBM3:9.0", "580.159.04", "2.15.0", None),
])
def test_driver_hint_names_the_plan_the_update_gets(gpus: str, driver: str, plan_torch: str | None,
                                                   advised: str | None) -> None:
    from desktop.detect import detect_host
    from desktop.matrixload import load_matrix
    from desktop.model import Preferences
    from desktop.usecases.planning import recommend

    matrix = load_matrix()
    host = detect_host(matrix=matrix, env={"TORCHDESK_OVERRIDE_GPUS": gpus, "TORCHDESK_OVERRIDE_DRIVER": driver,
                                           "TORCHDESK_OVERRIDE_OS": "linux"})
    rec = recommend(matrix, host, Preferences())
    assert (rec.plan.torch if rec.plan else None) == plan_torch
    if advised is None:
        assert rec.hints == ()
    else:
        assert len(rec.hints) == 1 and f" the plan is torch {advised} (" in rec.hints[0], rec.hints
