"""The design system on the real window, offscreen: themes, icons, cards, empty states, the stepper, the log toggle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSize  # noqa: E402
from PySide6.QtGui import QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from test_ui import WAIT_MS, make_window, no_thread_leak, ui_env  # noqa: E402,F401
from desktop.ui import theme  # noqa: E402
from desktop.ui.settings import UiSettings  # noqa: E402
from desktop.ui.widgets import StageList  # noqa: E402


def _window_colour() -> str:
    return QApplication.palette().color(QPalette.ColorRole.Window).name()


@pytest.fixture(autouse=True)
def back_to_light(qapp: Any) -> Any:
    yield
    theme.theme_manager().apply("light")  # the next test module sees the app as it usually is


@pytest.mark.parametrize("name", theme.ICON_NAMES)
def test_every_bundled_icon_renders_sharp(qapp: Any, name: str) -> None:
    ico = theme.icon(name)
    assert not ico.isNull()
    for size, ratio in ((16, 1.0), (16, 2.0), (48, 1.0)):
        pix = ico.pixmap(QSize(size, size), ratio)
        assert not pix.isNull() and pix.width() == int(size * ratio), (name, size, ratio, pix.size())
        img = pix.toImage()
        assert any(img.pixelColor(x, y).alpha() > 0 for x in range(img.width()) for y in range(img.height()))


def test_unknown_icon_is_an_error(qapp: Any) -> None:
    with pytest.raises(KeyError):
        theme.icon("nonexistent")


def test_theme_switch_changes_the_palette_and_is_saved(qtbot: Any, tmp_path: Path, ui_env: dict[str, str]) -> None:
    w = make_window(qtbot, tmp_path, ui_env, {"ui/theme": "dark"})
    assert w.settings.theme == "dark"
    assert _window_colour() == theme.DARK.window
    assert QApplication.instance().property("torchdesk_theme") == "dark"
    assert theme.theme_manager().apply("light") == "light"
    assert _window_colour() == theme.LIGHT.window
    assert theme.DARK.accent in theme.stylesheet(theme.DARK) and theme.LIGHT.accent not in theme.stylesheet(theme.DARK)
    # "system" follows the OS: whatever it says, one of the two palettes is shown, never a mix
    shown = theme.theme_manager().apply("system")
    assert shown in ("light", "dark") and _window_colour() == theme.colours(shown).window
    assert UiSettings(w.settings.q).theme == "dark"  # applying does not overwrite the user's saved choice


def test_unknown_saved_theme_falls_back_to_system(tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    qs.setValue("ui/theme", "purple")
    qs.setValue("ui/language", "klingon")
    assert UiSettings(qs).theme == "system" and UiSettings(qs).language == "system"


def test_settings_dialog_saves_theme_and_language(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from desktop.ui.settings import SettingsDialog

    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    s = UiSettings(qs)
    dlg = SettingsDialog(s, hosts_file=tmp_path / "hosts.txt")
    qtbot.addWidget(dlg)
    dlg.theme.setCurrentIndex(dlg.theme.findData("dark"))
    dlg.language.setCurrentIndex(dlg.language.findData("zh_CN"))
    dlg._on_buttons_accepted()
    assert dlg.result() == dlg.DialogCode.Accepted
    assert s.theme == "dark" and s.language == "zh_CN"


def test_no_gpu_no_envs_first_screen_has_empty_states(qtbot: Any, tmp_path: Path, ui_env: dict[str, str]) -> None:
    env = dict(ui_env, TORCHDESK_OVERRIDE_GPUS="none")
    env.pop("TORCHDESK_OVERRIDE_DRIVER", None)
    w = make_window(qtbot, tmp_path, env)
    w.show()
    # before detection: each empty box says what will appear in it
    mp, rp, ep = w.machine_panel, w.recommend_panel, w.envs_panel
    assert mp.gpus_empty.isVisible() and not mp.gpus.isVisible() and "GPU" in mp.gpus_empty.text()
    assert rp.why_empty.isVisible() and not rp.why.isVisible()
    cp = w.create_panel
    assert not cp.log.isVisible() and not cp.log_box.expanded()  # the log starts collapsed
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        assert w.start()
    assert w.host.gpus == ()
    assert mp.gpus_empty.isVisible() and not mp.gpus.isVisible() and "CPU" in mp.gpus_empty.text()
    assert mp.card.property("card") is True and mp.card.icon.pixmap() is not None and not mp.card.icon.pixmap().isNull()
    assert rp.why.isVisible() and not rp.why_empty.isVisible() and rp.why.count() > 0
    assert rp.card.icon.isVisible() and rp.card.icon.window() is w  # the plan's icon sits in its card
    stray = [t for t in QApplication.topLevelWidgets() if t.isVisible() and t is not w]
    assert not stray, f"widgets floating as windows of their own: {stray}"
    assert all(not rp.why.item(i).icon().isNull() for i in range(rp.why.count()))
    assert not cp.log.isVisible()
    cp.log_box.toggle.click()
    assert cp.log.isVisible() and cp.log_box.expanded()
    w.tabs.setCurrentWidget(ep)
    assert ep.envs == [] and ep.empty.isVisibleTo(ep) and not ep.table.isVisibleTo(ep)
    w.shutdown()


def test_stepper_shows_each_state_with_its_icon(qtbot: Any) -> None:
    stages = StageList((("a", "First"), ("b", "Second"), ("c", "Third")))
    qtbot.addWidget(stages)

    def icons() -> list[int]:
        return [stages.item(i).icon().cacheKey() for i in range(stages.count())]

    pending = icons()
    assert len(set(pending)) == 1 and all(stages.item(i).text() in ("First", "Second", "Third") for i in range(3))
    stages.advance_to("b")
    assert [stages.state(k) for k in "abc"] == ["done", "running", "todo"]
    states = icons()
    assert len(set(states)) == 3  # done, running and pending look different
    stages.finish(False)
    assert stages.state("b") == "failed" and icons()[1] not in states


def test_system_theme_follows_the_os_when_it_switches(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The OS's colour-scheme signal is the boundary: what it reports is replaced, the manager's reaction is real."""
    manager = theme.theme_manager()
    monkeypatch.setattr(theme, "system_scheme", lambda: "dark")
    assert manager.apply("system") == "dark" and _window_colour() == theme.DARK.window
    monkeypatch.setattr(theme, "system_scheme", lambda: "light")
    manager._on_hints_color_scheme_changed(None)  # what Qt's colorSchemeChanged calls
    assert manager.current == "light" and _window_colour() == theme.LIGHT.window
    manager.apply("dark")  # a theme the user picked stays, whatever the OS does
    manager._on_hints_color_scheme_changed(None)
    assert manager.current == "dark" and _window_colour() == theme.DARK.window


def test_banner_is_tinted_by_the_stylesheet_per_kind(qtbot: Any) -> None:
    from desktop.ui.widgets import Banner

    theme.theme_manager().apply("light")
    b = Banner()
    qtbot.addWidget(b)
    b.resize(400, 80)
    colours = {}
    for kind in ("ok", "warn", "fail", "info"):
        b.show_result(kind, "title")
        assert b.property("kind") == kind and not b.icon.pixmap().isNull()
        img = b.grab().toImage()
        colours[kind] = img.pixelColor(img.width() // 2, img.height() - 6).name()
    assert len(set(colours.values())) == 4, colours  # each kind has its own wash
