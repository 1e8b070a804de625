"""A create that fails on the network, in the window: one plain sentence naming the host and what to do, the raw
chain behind Details, and a progress bar that shows the failure. Real embedded engine against a refused port."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("rattler")
pytest.importorskip("desktop.jobs")

from test_ui import WAIT_MS, make_window, no_thread_leak, pick  # noqa: E402,F401


def test_offline_create_says_which_host_and_what_to_do(qtbot: Any, tmp_path: Path, h100_home: Path,
                                                       refused_port: int) -> None:
    host = f"127.0.0.1:{refused_port}"
    settings = {"sources/channels": f"http://{host}/channel", "mirrors/torch": f"http://{host}/whl/cpu",
                "create/engine": "embedded"}
    w = make_window(qtbot, tmp_path, dict(os.environ), settings)
    w.show()
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        w.start()
    pick(qtbot, w, w.recommend_panel.variant_combo, "cpu")
    cp = w.create_panel
    cp.name_edit.setText("offline")
    assert cp.create_button.isEnabled(), cp.create_button.toolTip()
    with qtbot.waitSignal(w.create_runner.succeeded, timeout=120_000) as blocker:
        cp.create_button.click()
    result = blocker.args[0]
    assert result.status == "failed" and not result.kept
    body = cp.banner.body.text().replace("\u200b", "")
    assert cp.banner.kind == "fail" and host in body and "refused the connection" in body, body
    assert "Settings" in body and "Caused by" not in body and "see the log" not in body, body
    details = cp.banner.details.toPlainText()
    assert "Caused by" in details and "Connection refused" in details  # the raw chain, behind Details
    assert cp.banner.toggle.isVisible() and not cp.banner.details.isVisible()
    assert cp.progress.property("failed") is True and "failed during solve" in cp.progress.text()
    assert "red" not in cp.progress.styleSheet() and "#d73a49" in cp.progress.styleSheet()

    # the next start clears the failure state
    cp.name_edit.setText("offline2")
    with qtbot.waitSignal(w.create_runner.succeeded, timeout=120_000):
        cp.create_button.click()
        assert cp.progress.property("failed") is False and cp.progress.styleSheet() == ""
