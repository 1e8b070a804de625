"""The real MainWindow, offscreen, detection fed from the H100 capture through the detection overrides.

Waits are on the GUI-thread JobRunners' signals (never the worker's); `no_thread_leak` fails any test that
leaves a QThread running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings, QThread  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.ui import worker  # noqa: E402
from desktop.ui.main_window import MainWindow  # noqa: E402
from desktop.ui.settings import UiSettings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
H100 = {"TORCHDESK_OVERRIDE_GPUS": "NVIDIA H100 80GB HBM3:9.0", "TORCHDESK_OVERRIDE_DRIVER": "580.159.04",
        "TORCHDESK_OVERRIDE_OS": "linux"}
WAIT_MS = 30_000


@pytest.fixture(autouse=True)
def no_thread_leak():  # type: ignore[no-untyped-def]
    """Fail the test if a JobRunner's QThread (or a new Python thread) is still running after it."""
    before = {t.ident for t in threading.enumerate()}
    yield
    QApplication.processEvents()
    left = worker.running_threads()
    for t in left:  # do not hang the session: stop them, then fail
        t.quit()
        t.wait(10_000)
    assert not left, f"test left QThreads running: {[t.objectName() for t in left]}"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        extra = [t for t in threading.enumerate() if t.ident not in before and not t.daemon]
        if not extra:
            break
        time.sleep(0.05)
    assert not extra, f"test left threads running: {[t.name for t in extra]}"


@pytest.fixture
def ui_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "CONDA_EXE", "MAMBA_EXE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TORCHDESK_ENVS_DIR", str(tmp_path / "envs"))
    monkeypatch.setenv("TORCHDESK_LOG_DIR", str(tmp_path / "logs"))
    for k, v in H100.items():
        monkeypatch.setenv(k, v)
    return dict(os.environ)


class Dialogs:
    """Answers the window's dialogs the way a user would, and records them."""

    def __init__(self) -> None:
        self.confirms: list[str] = []
        self.infos: list[str] = []
        self.errors: list[tuple[str, str]] = []
        self.answer = True

    def confirm(self, title: str, text: str) -> bool:
        self.confirms.append(text)
        return self.answer

    def inform(self, title: str, text: str) -> None:
        self.infos.append(text)

    def show_error(self, title: str, message: str, details: str) -> None:
        self.errors.append((title, message))


def make_window(qtbot: Any, tmp_path: Path, env: dict[str, str], settings: dict[str, str] | None = None) -> MainWindow:
    qs = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    for k, v in (settings or {}).items():
        qs.setValue(k, v)
    w = MainWindow(UiSettings(qs), env=env)
    d = Dialogs()
    w.dialogs = d  # type: ignore[attr-defined]
    w.confirm = d.confirm  # type: ignore[method-assign]
    w.inform = d.inform  # type: ignore[method-assign]
    w.show_error = d.show_error  # type: ignore[method-assign]
    w.envs_panel._confirm = d.confirm
    qtbot.addWidget(w)
    return w


@pytest.fixture
def window(qtbot: Any, tmp_path: Path, ui_env: dict[str, str]) -> Any:
    w = make_window(qtbot, tmp_path, ui_env)
    w.show()
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        assert w.start()
    yield w
    w.shutdown()


def pick(qtbot: Any, w: MainWindow, combo: Any, value: str | None) -> None:
    """Select `value` in a selector and wait for the background resolve to land."""
    with qtbot.waitSignal(w.resolve_runner.succeeded, timeout=WAIT_MS):
        assert combo.select_value(value), f"{value} is not selectable"
    qtbot.waitUntil(lambda: not w.resolve_runner.busy, timeout=WAIT_MS)


# --- detection and recommendation ---------------------------------------------------------------------------------

def test_window_shows_before_detection_finishes(qtbot: Any, tmp_path: Path, ui_env: dict[str, str]) -> None:
    w = make_window(qtbot, tmp_path, ui_env)
    with qtbot.waitSignal(w.first_shown, timeout=WAIT_MS):
        w.show()
        w.start()
        assert w.detect_runner.busy  # the window is up while detection runs
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        pass
    assert w.recommendation is not None


def test_recommendation_appears_for_the_h100(window: MainWindow) -> None:
    rec = window.recommendation
    assert rec.plan is not None and rec.plan.variant.startswith("cu")
    assert rec.plan.torch in window.recommend_panel.summary.text()
    mp = window.machine_panel
    cells = [mp.gpus.item(0, c).text() for c in range(mp.gpus.columnCount())]
    assert "NVIDIA H100 80GB HBM3" in cells and "Hopper" in cells and "9.0" in cells
    assert mp.fields["driver"].text() == "580.159.04"
    assert mp.fields["cuda"].text() == "CUDA 13.0"
    assert "TORCHDESK_OVERRIDE_GPUS" in mp.sources.text()
    why = [window.recommend_panel.why.item(i).text() for i in range(window.recommend_panel.why.count())]
    assert any("compute capability 9.0" in line for line in why)
    assert window.create_panel.name_edit.text() == f"torch-{rec.plan.torch}-{rec.plan.variant}"


def test_changing_python_updates_the_plan(qtbot: Any, window: MainWindow) -> None:
    first = window.recommendation.plan
    panel = window.recommend_panel
    target = "3.9" if first.python != "3.9" else "3.10"
    pick(qtbot, window, panel.python_combo, target)
    plan = window.recommendation.plan
    assert plan.python == target
    assert plan.torch != first.torch  # 3.9 is only supported by older releases
    assert panel.plan_fields["python"].text().startswith(target)
    assert plan.torch in panel.summary.text()


def test_a_disabled_choice_shows_its_reason(qtbot: Any, window: MainWindow) -> None:
    panel = window.recommend_panel
    pick(qtbot, window, panel.python_combo, "3.8")
    newest = window.matrix.releases[0].version
    item = panel.torch_combo.item_for(newest)
    assert item is not None, "incompatible releases stay visible"
    assert not item.isEnabled()
    assert "3.8" in item.toolTip() and "not supported" in item.toolTip()
    assert not panel.torch_combo.select_value(newest)


def test_choosing_a_build_pins_the_shown_release(qtbot: Any, window: MainWindow) -> None:
    panel = window.recommend_panel
    torch = window.recommendation.plan.torch
    pick(qtbot, window, panel.variant_combo, "cpu")
    plan = window.recommendation.plan
    assert (plan.torch, plan.variant) == (torch, "cpu")


def test_export_writes_the_same_file_as_torchdesk_export(qtbot: Any, window: MainWindow, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, ui_env: dict[str, str]) -> None:
    out = tmp_path / "ui.yml"
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    window.create_panel.name_edit.setText("myenv")
    window.export_action.trigger()
    assert out.exists()
    plan = window.recommendation.plan
    cli_out = tmp_path / "cli.yml"
    cli = [sys.executable, "-m", "desktop.cli", "export", "--name", "myenv", "--python", plan.python,
           "--torch", plan.torch, "--variant", plan.variant, "-o", str(cli_out)]
    has_export = subprocess.run([sys.executable, "-m", "desktop.cli", "export", "--help"], cwd=ROOT, env=ui_env,
                                capture_output=True, text=True).returncode == 0
    if has_export:
        r = subprocess.run(cli, cwd=ROOT, env=ui_env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert out.read_text() == cli_out.read_text()
    else:  # `torchdesk export` not built yet: the same core call it will make
        from desktop.envspec import spec_from_plan, write_environment_yml

        assert out.read_text() == write_environment_yml(spec_from_plan(plan, name="myenv"))


def test_extras_reach_the_export(window: MainWindow) -> None:
    window.recommend_panel.conda_extras.setText("ffmpeg")
    window.recommend_panel.pip_extras.setText("td-extra, scipy>=1.10")
    text = window.export_text(name="x")
    assert "- ffmpeg" in text and "td-extra" in text and "scipy>=1.10" in text


# --- the other tabs -------------------------------------------------------------------------------------------------

def test_compatibility_tab_highlights_this_machine_and_filters(window: MainWindow) -> None:
    cp = window.compat_panel
    assert cp.highlighted["cuda"] and cp.highlighted["torch"] and cp.highlighted["gpus"]
    gpus = cp.tables["gpus"]
    mine = [gpus.item(r, 0).text() for r in cp.highlighted["gpus"]]
    assert mine == ["H100 80GB HBM3"]
    total = len(cp.visible_rows("gpus"))
    cp.filter_edit.setText("hopper")
    shown = cp.visible_rows("gpus")
    assert 0 < len(shown) < total
    assert all("hopper" in gpus.item(r, 2).text().lower() for r in shown)
    cp.filter_edit.clear()
    cp.only_mine.setChecked(True)
    assert set(cp.visible_rows("cuda")) == cp.highlighted["cuda"]


def test_plan_for_another_machine(qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    op = window.other_panel
    op.gpu_combo.setCurrentText("GeForce GTX 1080")
    op.driver_edit.setText("470.57.02")
    op.os_combo.setCurrentText("windows")
    with qtbot.waitSignal(window.other_runner.succeeded, timeout=WAIT_MS):
        assert op.plan()
    rec = op.recommendation.recommendation
    assert rec.plan is not None and op.host.hypothetical and op.host.os == "windows"
    from desktop.matrix import default_matrix
    from desktop.resolve import resolve

    assert rec.plan == resolve(default_matrix(), op.host).plan  # the same answer `torchdesk recommend` gives
    out = tmp_path / "other.yml"
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    op.export_button.click()
    assert f"torch=={rec.plan.torch}" in out.read_text()


def test_unknown_gpu_for_another_machine_says_so(window: MainWindow) -> None:
    op = window.other_panel
    op.gpu_combo.setCurrentText("RTX 9999 Imaginary")
    assert not op.plan()
    assert "unknown GPU" in op.error.text()


def test_another_machine_offers_amd_models_and_plans_rocm(qtbot: Any, window: MainWindow) -> None:
    op = window.other_panel
    names = [op.gpu_combo.itemText(i) for i in range(op.gpu_combo.count())]
    assert "Radeon RX 7900 XTX" in names and "Instinct MI300X" in names and "GeForce GTX 1080" in names
    op.gpu_combo.setCurrentText("Radeon RX 7900 XTX")
    op.os_combo.setCurrentText("linux")
    with qtbot.waitSignal(window.other_runner.succeeded, timeout=WAIT_MS):
        assert op.plan()
    plan = op.recommendation.recommendation.plan
    assert plan is not None and plan.variant.startswith("rocm") and op.host.gpus[0].gfx == "gfx1100"


def test_env_name_is_validated_as_you_type(window: MainWindow, tmp_path: Path) -> None:
    cp = window.create_panel
    cp.name_edit.setText("bad name/")
    assert not cp.create_button.isEnabled() and "not allowed" in cp.name_status.text()
    cp.name_edit.setText("base")
    assert not cp.create_button.isEnabled() and "reserved" in cp.name_status.text()
    (tmp_path / "envs" / "taken").mkdir(parents=True)
    cp.name_edit.setText("taken")
    assert not cp.create_button.isEnabled() and "already exists" in cp.name_status.text()
    cp.name_edit.setText("fine-1")
    assert "will be created" in cp.name_status.text()
    assert cp.create_button.isEnabled(), cp.create_button.toolTip()


def test_about_names_app_and_data_versions(window: MainWindow) -> None:
    from desktop import __version__

    text = window.about_text()
    assert __version__ in text and window.matrix.data_version in text


# --- jobs, closing, errors ------------------------------------------------------------------------------------------

def test_runner_relays_in_the_gui_thread(qtbot: Any) -> None:
    from desktop.ui.worker import JobRunner

    runner = JobRunner("t")
    seen: list[Any] = []

    def job(ctx: Any) -> int:
        ctx.on_line("hello")
        return 42

    runner.log_lines.connect(lambda lines: seen.append((lines, QThread.currentThread() is QApplication.instance().thread())))
    with qtbot.waitSignal(runner.succeeded, timeout=WAIT_MS) as blocker:
        runner.start(job)
    assert blocker.args == [42]
    assert seen == [(["hello"], True)]
    assert not runner.busy

    def boom(ctx: Any) -> None:
        raise ValueError("the disk is full")

    with qtbot.waitSignal(runner.failed, timeout=WAIT_MS) as blocker:
        runner.start(boom)
    err = blocker.args[0]
    assert err.message == "the disk is full" and "ValueError" in err.details


def test_closing_during_a_job_asks_then_cancels(qtbot: Any, window: MainWindow) -> None:
    started = threading.Event()

    def slow(ctx: Any) -> None:
        started.set()
        ctx.cancel.wait(60)  # stands for a child process the token kills

    window.create_runner.start(slow)
    assert started.wait(10)
    window.dialogs.answer = False
    assert not window.close()
    assert window.create_runner.busy and window.dialogs.confirms
    window.dialogs.answer = True
    assert window.close()
    assert not window.create_runner.busy and not worker.running_threads()


def test_data_update_offline_says_so_and_keeps_the_data(qtbot: Any, tmp_path: Path, ui_env: dict[str, str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import desktop.matrix as dm

    dest = tmp_path / "data" / "matrix.json"
    monkeypatch.setattr(dm, "user_matrix_path", lambda: dest)
    w = make_window(qtbot, tmp_path, ui_env, {"data/url": "https://127.0.0.1:9/matrix.json"})
    with qtbot.waitSignal(w.update_runner.failed, timeout=WAIT_MS):
        w.check_for_updates()
    title, message = w.dialogs.errors[-1]
    assert "offline" in message and not dest.exists()


def test_self_test_prints_one_json_summary() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **H100)
    r = subprocess.run([sys.executable, "-m", "desktop", "--self-test"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert out["ok"] is True
    assert out["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3" and out["gpus"][0]["cc"] == "9.0"
    assert out["plan"]["torch"] and out["time_to_window_shown_s"] > 0


def test_self_test_names_what_failed() -> None:
    # A Kepler GPU (sm_30) that no CUDA build in the data covers: resolution finds no plan.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TORCHDESK_OVERRIDE_GPUS="NVIDIA GeForce GTX 680:3.0",
               TORCHDESK_OVERRIDE_DRIVER="470.57.02")
    r = subprocess.run([sys.executable, "-m", "desktop", "--self-test"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert r.returncode == 1 and out["ok"] is False
    assert out["failed"] == "resolve" and out["error"]


def test_emit_keeps_true_alive() -> None:
    """PySide6 6.12.0 drops a reference to True on every emit(); desktop.ui.qtcompat.emit gives it back."""
    from PySide6.QtCore import QObject, Signal

    from desktop.ui.qtcompat import emit

    class Pinger(QObject):
        ping = Signal(str)

    p = Pinger()
    before = sys.getrefcount(True)
    for _ in range(20_000):
        emit(p.ping, "x")
    assert sys.getrefcount(True) >= before - 100  # other threads may hold a few; never thousands fewer


def test_a_flood_of_output_arrives_complete_and_in_order(qtbot: Any) -> None:
    from desktop.ui.worker import JobRunner

    runner = JobRunner("flood")
    got: list[str] = []
    runner.log_lines.connect(got.extend)

    def flood(ctx: Any) -> int:
        for i in range(50_000):
            ctx.on_line(str(i))
        return 0

    with qtbot.waitSignal(runner.succeeded, timeout=WAIT_MS):
        runner.start(flood)
    assert got == [str(i) for i in range(50_000)]
