"""Day two from the window, for real: the Jupyter checkbox, the toolchain checkbox refusing a CPU build, the
Jupyter column, Repair after a real pip swap, and Export lock. The ipykernel is the STAND-IN from
test_daytwo.py (a tiny wheel on a local index); the engine, pip and the files are real.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("rattler")
pytest.importorskip("localrepo")

from localrepo import PY_VERSION, LocalRepo, build_pip_index  # noqa: E402
from standins import pip_env, standin_ipykernel  # noqa: E402
from test_ui import WAIT_MS, make_window, no_thread_leak, pick  # noqa: E402,F401

from desktop.driftguard import check_drift, read_installed  # noqa: E402
from desktop.kernels import find_kernels  # noqa: E402
from desktop.paths import env_python, envs_dir  # noqa: E402

pytestmark = pytest.mark.slow
CREATE_WAIT_MS = 300_000


def test_day_two_from_the_window(qtbot: Any, tmp_path: Path, repo: LocalRepo, h100_home: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    jup = standin_ipykernel(tmp_path / "jup-index")
    settings = {"sources/channels": repo.channel_url, "mirrors/torch": repo.torch_index_url,
                "mirrors/pypi": jup.as_uri(), "create/engine": "embedded"}
    w = make_window(qtbot, tmp_path, dict(os.environ), settings)
    w.show()
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        w.start()
    pick(qtbot, w, w.recommend_panel.torch_combo, "2.5.1")
    pick(qtbot, w, w.recommend_panel.variant_combo, "cpu")
    if w.recommendation.plan.python != PY_VERSION:
        pick(qtbot, w, w.recommend_panel.python_combo, PY_VERSION)
    cp = w.create_panel
    cp.name_edit.setText("uiday2")
    prefix = envs_dir() / "uiday2"

    # the toolchain checkbox on a CPU build: a sentence, no job
    cp.toolchain_check.setChecked(True)
    cp.create_button.click()
    assert cp.banner.kind == "fail" and "no CUDA" in cp.banner.body.text() and not w.create_runner.busy
    assert not prefix.exists()
    cp.toolchain_check.setChecked(False)

    cp.jupyter_check.setChecked(True)
    with qtbot.waitSignal(w.create_runner.succeeded, timeout=CREATE_WAIT_MS) as done:
        cp.create_button.click()
    assert done.args[0].kept, cp.log.text()[-3000:]
    kernels = find_kernels(prefix)
    assert [k.display_name for k in kernels] == ["PyTorch 2.5.1 · cpu · uiday2"]

    ep = w.envs_panel
    qtbot.waitUntil(lambda: any(e.prefix == str(prefix) for e in ep.envs) and not w.envs_runner.busy, timeout=WAIT_MS)
    row = next(i for i, e in enumerate(ep.envs) if e.prefix == str(prefix))
    headers = [ep.table.horizontalHeaderItem(c).text() for c in range(ep.table.columnCount())]
    assert ep.table.item(row, headers.index("Jupyter kernel")).text() == "PyTorch 2.5.1 · cpu · uiday2"
    ep.table.selectRow(row)

    # a real pip, outside the guard, swaps torch for another index's build of the release; Repair puts it back
    swap = build_pip_index(tmp_path / "swap-index", (("torch", "2.5.1", ()),))
    subprocess.run([str(env_python(prefix)), "-m", "pip", "install", "--force-reinstall", "--index-url", swap.as_uri(),
                    "torch==2.5.1"],
                   env=pip_env(), check=True, capture_output=True, timeout=300)
    assert [(d.package, d.kind, d.found) for d in check_drift(prefix).drifts] == [("torch", "version", "2.5.1")]
    assert ep.repair_button.isEnabled()
    with qtbot.waitSignal(w.envs_runner.succeeded, timeout=CREATE_WAIT_MS):
        ep.repair_button.click()
    assert ep.banner.kind == "ok" and "restored" in ep.banner.title.text(), ep.log.text()[-2000:]
    assert read_installed(prefix)["torch"].version == "2.5.1+cpu" and check_drift(prefix).ok

    # Export lock into a folder the dialog picks
    from PySide6.QtWidgets import QFileDialog

    lock = tmp_path / "lock"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(lock)))
    with qtbot.waitSignal(w.envs_runner.succeeded, timeout=CREATE_WAIT_MS):
        ep.lock_button.click()
    assert ep.banner.kind == "ok", ep.log.text()[-2000:]
    assert (lock / "pylock.toml").is_file() and (lock / "environment.yml").is_file()
    assert "ipykernel" in (lock / "pylock.toml").read_text()

    with qtbot.waitSignal(w.envs_runner.succeeded, timeout=WAIT_MS):
        ep.remove_button.click()  # the test's dialog answers yes
    assert not prefix.exists() and find_kernels() == []
    w.shutdown()
