"""Create from the window for real: the embedded engine on the engine tests' local file:// channel and pip index.

The user's path: pick PyTorch 2.5.1, the cpu build and the local Python in the selectors, point Settings at the
local channel and index (as a mirror), type a name, click Create; then Cancel in the middle of pip.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psutil
import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("rattler")
jobs = pytest.importorskip("desktop.jobs")
pytest.importorskip("localrepo")

from localrepo import PY_VERSION, LocalRepo, serve_index  # noqa: E402
from test_ui import WAIT_MS, make_window, no_thread_leak, pick  # noqa: E402,F401

from desktop.paths import conda_environments_txt, envs_dir  # noqa: E402

pytestmark = pytest.mark.slow
CREATE_WAIT_MS = 300_000


def local_window(qtbot: Any, tmp_path: Path, repo: LocalRepo, torch_index: str) -> Any:
    settings = {"sources/channels": repo.channel_url, "mirrors/torch": torch_index,
                "mirrors/pypi": repo.extras_index_url, "create/engine": "embedded"}
    w = make_window(qtbot, tmp_path, dict(os.environ), settings)
    w.show()
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        w.start()
    panel = w.recommend_panel
    pick(qtbot, w, panel.torch_combo, "2.5.1")
    pick(qtbot, w, panel.variant_combo, "cpu")
    if w.recommendation.plan.python != PY_VERSION:
        pick(qtbot, w, panel.python_combo, PY_VERSION)
    plan = w.recommendation.plan
    assert (plan.torch, plan.variant, plan.python) == ("2.5.1", "cpu", PY_VERSION)
    w.create_panel.name_edit.setText("uitest")
    assert w.create_panel.create_button.isEnabled(), w.create_panel.create_button.toolTip()
    return w


def test_create_runs_to_the_end_and_shows_the_verification(qtbot: Any, tmp_path: Path, repo: LocalRepo, h100_home: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    w = local_window(qtbot, tmp_path, repo, repo.torch_index_url)
    cp = w.create_panel
    stages_seen: list[str] = []
    w.create_runner.progress.connect(lambda p: stages_seen.append(p.stage))
    with qtbot.waitSignal(w.create_runner.succeeded, timeout=CREATE_WAIT_MS) as blocker:
        cp.create_button.click()
        assert cp.cancel_button.isEnabled() and not cp.create_button.isEnabled()
    result = blocker.args[0]
    prefix = envs_dir() / "uitest"
    assert result.prefix == str(prefix) and result.kept, cp.log.text()[-3000:]
    assert (prefix / "conda-meta" / "history").is_file()
    assert list(dict.fromkeys(stages_seen)) == ["preflight", "solve", "download", "link", "pip", "verify"]
    assert result.verify is not None
    assert cp.banner.isVisible() and cp.banner.title.text()
    assert result.verify.verdict in cp.banner.details.toPlainText()
    if result.status == "ok":
        assert all(cp.stages.state(k) == "done" for k in ("preflight", "solve", "download", "link", "pip", "verify"))
        assert cp.progress.value() == 1000
    assert cp.activate_edit.text() == f"conda activate {prefix}"
    assert Path(result.log_path).is_file() and result.log_path in cp.log_file_label.text().replace("\u200b", "")
    assert "pip" in cp.log.text()
    # The new env shows up in the Environments tab.
    ep = w.envs_panel
    qtbot.waitUntil(lambda: any(e.prefix == str(prefix) for e in ep.envs) and not w.envs_runner.busy, timeout=WAIT_MS)
    row = next(i for i, e in enumerate(ep.envs) if e.prefix == str(prefix))
    ep.table.selectRow(row)
    assert ep.envs[row].torch and ep.verify_button.isEnabled() and ep.remove_button.isEnabled()
    # Export writes the file the env was built from
    assert ep.export_button.isEnabled()
    out_yml = tmp_path / "exported.yml"
    from PySide6.QtWidgets import QFileDialog

    from desktop.envspec import export_env_yml

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out_yml), "")))
    ep.export_button.click()
    assert out_yml.read_text() == export_env_yml(prefix) and "torch==" in out_yml.read_text()
    with qtbot.waitSignal(w.envs_runner.succeeded, timeout=CREATE_WAIT_MS) as verified:
        ep.verify_button.click()
    assert ep.banner.title.text().endswith(f"Verification: {verified.args[0].verdict}")
    with qtbot.waitSignal(w.envs_runner.succeeded, timeout=WAIT_MS):
        ep.remove_button.click()  # the test's dialog answers yes
    assert w.dialogs.confirms and str(prefix) in w.dialogs.confirms[-1]
    assert not prefix.exists() and all(e.prefix != str(prefix) for e in ep.envs)
    w.shutdown()


def test_cancel_in_the_middle_leaves_nothing_behind(qtbot: Any, tmp_path: Path, repo: LocalRepo, h100_home: Path) -> None:
    served = serve_index(repo.torch_index, stall_wheels=True)  # pip starts downloading, then hears nothing
    try:
        w = local_window(qtbot, tmp_path, repo, served.url)
        cp = w.create_panel
        registry_before = conda_environments_txt().read_text() if conda_environments_txt().exists() else None
        with qtbot.waitSignal(w.create_runner.cancelled, timeout=CREATE_WAIT_MS):
            cp.create_button.click()
            qtbot.waitUntil(lambda: "Downloading" in cp.log.text(), timeout=CREATE_WAIT_MS)
            cp.cancel_button.click()
    finally:
        served.close()
    prefix = envs_dir() / "uitest"
    assert not prefix.exists()
    assert not envs_dir().exists() or not any(envs_dir().iterdir())
    after = conda_environments_txt().read_text() if conda_environments_txt().exists() else None
    # The registry is exactly as it was: not even an empty environments.txt left where there was none.
    assert after == registry_before
    assert cp.banner.kind == "info" and "Cancelled" in cp.banner.title.text()
    assert cp.stages.state("pip") == "failed"
    left = [p for p in psutil.Process().children(recursive=True) if "pip" in " ".join(p.cmdline())]
    assert not left
    assert cp.create_button.isEnabled()  # the name field re-checks: the name is free again
    assert "will be created" in cp.name_status.text()
    w.shutdown()


def test_closing_the_window_during_a_create_asks_cancels_and_cleans(qtbot: Any, tmp_path: Path, repo: LocalRepo,
                                                                    h100_home: Path) -> None:
    # issue #10: closing the window in the middle of a job must ask, then cancel it and remove what it created
    served = serve_index(repo.torch_index, stall_wheels=True)
    try:
        w = local_window(qtbot, tmp_path, repo, served.url)
        cp = w.create_panel
        cp.create_button.click()
        qtbot.waitUntil(lambda: "Downloading" in cp.log.text(), timeout=CREATE_WAIT_MS)
        prefix = envs_dir() / "uitest"
        assert prefix.is_dir()
        w.dialogs.answer = False
        assert not w.close()  # asked, and "no" keeps the job and the window
        assert w.dialogs.confirms and w.create_runner.busy and prefix.is_dir()
        w.dialogs.answer = True
        assert w.close()
    finally:
        served.close()
    assert not w.create_runner.busy
    assert not prefix.exists()
    left = [p for p in psutil.Process().children(recursive=True) if "pip" in " ".join(p.cmdline())]
    assert not left
