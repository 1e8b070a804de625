"""The app's progress bar during the wheel downloads: bytes done of a known total, speed and time left, from a
real create against a throttled index on 127.0.0.1. TORCHDESK_SCREENSHOT_DIR=<dir> saves the window then."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("rattler")

from test_ui_create import CREATE_WAIT_MS, local_window  # noqa: E402
from wheelindex import ThrottledIndex, make_big_wheel  # noqa: E402

from desktop.paths import envs_dir  # noqa: E402
from desktop.wheelstage import find_uv  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.skipif(find_uv()[0] is None, reason="uv is not installed")]


def test_progress_bar_shows_bytes_speed_and_time_left(qtbot: Any, tmp_path: Path, repo: Any, h100_home: Path) -> None:
    root = tmp_path / "index"
    make_big_wheel(root / "files", "torch", "2.5.1+cpu", 8 * 1024 * 1024)
    for w in (repo.torch_index.parent / "files").glob("*.whl"):
        if not w.name.startswith("torch-"):
            shutil.copy2(w, root / "files" / w.name)
    texts: list[str] = []
    with ThrottledIndex(root, delay=0.1) as index:
        w = local_window(qtbot, tmp_path, repo, index.url)
        cp = w.create_panel
        w.create_runner.progress.connect(lambda _p: texts.append(cp.progress.text()))
        with qtbot.waitSignal(w.create_runner.succeeded, timeout=CREATE_WAIT_MS) as blocker:
            cp.create_button.click()
            qtbot.waitUntil(lambda: "MiB/s" in cp.progress.text() and " left" in cp.progress.text()
                            and cp.progress.text()[5:8] not in ("0.0", "0.1", "0.2"), timeout=CREATE_WAIT_MS)
            shots = os.environ.get("TORCHDESK_SCREENSHOT_DIR")
            if shots:
                w.resize(1500, 820)
                qtbot.wait(300)
                w.grab().save(str(Path(shots) / "create-byte-progress.png"))
    assert blocker.args[0].prefix == str(envs_dir() / "uitest")
    byte_texts = [t for t in texts if t.startswith("pip: ")]
    assert byte_texts and byte_texts[-1].startswith("pip: 8.0 of 8.0 MiB"), texts[-5:]
    assert any(" of 8.0 MiB, " in t and "MiB/s" in t and " left" in t for t in byte_texts)
    w.shutdown()
