"""Each environment's size, in the Environments tab and in `torchdesk envs --sizes --json`, from one core function
(diskuse.env_sizes). Real folders with real hard links, the real inventory, the real CLI in a subprocess and the real
panel offscreen; waits are on the JobRunners' signals, never on the clock."""

from __future__ import annotations

import json
import os
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop.diskuse import env_sizes, format_size, tree_size
from desktop.procs import CancelToken, Cancelled

ROOT = Path(__file__).resolve().parent.parent
WAIT_MS = 30_000
needs_qt = pytest.mark.skipif(importlib.util.find_spec("pytestqt") is None, reason="pytest-qt is not installed")


def blocks(p: Path) -> int:
    return os.lstat(p).st_blocks * 512


def make_env(root: Path, name: str, payload: bytes) -> Path:
    """A folder the inventory lists as a conda environment: conda-meta/, bin/python and one file of its own."""
    env = root / name
    (env / "conda-meta").mkdir(parents=True)
    (env / "bin").mkdir()
    (env / "bin" / "python").write_bytes(b"#!/bin/sh\n")
    (env / "lib.so").write_bytes(payload)
    return env


@pytest.fixture
def envs(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Two envs in TorchDesk's envs folder: `solo` holds a file twice (a hard link inside it), `linked` holds a file
    hard-linked from a cache folder outside it."""
    for var in ("CONDA_EXE", "MAMBA_EXE", "CONDA_PREFIX", "CONDA_ENVS_PATH", "CONDA_ENVS_DIRS", "MAMBA_ROOT_PREFIX"):
        monkeypatch.delenv(var, raising=False)
    root = tmp_path / "envs"
    monkeypatch.setenv("TORCHDESK_ENVS_DIR", str(root))
    solo = make_env(root, "solo", os.urandom(300_000))
    os.link(solo / "lib.so", solo / "lib.so.1")  # python3.11 and python: one file, listed twice
    linked = make_env(root, "linked", os.urandom(50_000))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "torch.so").write_bytes(os.urandom(700_000))
    os.link(cache / "torch.so", linked / "torch.so")
    return {"solo": solo, "linked": linked, "cache": cache}


def cli_sizes() -> dict[str, dict[str, Any]]:
    out = subprocess.run([sys.executable, "-m", "desktop.cli", "envs", "--sizes", "--json"], cwd=ROOT,
                         capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert out.returncode == 0, out.stderr
    return {r["prefix"]: r for r in json.loads(out.stdout)["envs"]}


def test_a_hard_linked_file_is_counted_once(envs: dict[str, Path]) -> None:
    solo, linked = envs["solo"], envs["linked"]
    heard: list[str] = []
    sizes = env_sizes([solo, linked], on_size=lambda s: heard.append(s.path))
    assert heard == [str(solo), str(linked)]  # each one as soon as it is measured, in order
    s, li = sizes
    # lib.so and lib.so.1 are one inode: its blocks once, and its own (no link outside the env)
    assert s.own_bytes == blocks(solo / "lib.so") + blocks(solo / "bin" / "python") and s.shared_bytes == 0
    assert s.files == 2
    # torch.so is linked from the cache: shared, not own; removing the env would not free it
    assert li.shared_bytes == blocks(linked / "torch.so") > 0
    assert li.own_bytes == blocks(linked / "lib.so") + blocks(linked / "bin" / "python")
    rows = cli_sizes()
    assert (rows[str(solo)]["own_bytes"], rows[str(solo)]["shared_bytes"]) == (s.own_bytes, s.shared_bytes)
    assert (rows[str(linked)]["own_bytes"], rows[str(linked)]["shared_bytes"]) == (li.own_bytes, li.shared_bytes)


def test_a_cancelled_measurement_stops(envs: dict[str, Path]) -> None:
    token = CancelToken()
    heard: list[str] = []

    def on_size(size: Any) -> None:
        heard.append(size.path)
        token.cancel()  # the user cancels once the first env is measured

    with pytest.raises(Cancelled):
        env_sizes([envs["solo"], envs["linked"]], on_size=on_size, cancel=token)
    assert heard == [str(envs["solo"])]
    with pytest.raises(Cancelled):
        tree_size(envs["linked"], cancel=token)


def test_format_size() -> None:
    assert [format_size(n) for n in (0, 1023, 1536, 5 * 1024**3, 3 * 1024**4)] == [
        "0 B", "1023 B", "1.5 KiB", "5.0 GiB", "3.0 TiB"]


def test_cli_text_table_shows_the_sizes(envs: dict[str, Path]) -> None:
    out = subprocess.run([sys.executable, "-m", "desktop.cli", "envs", "--sizes"], cwd=ROOT, capture_output=True,
                         text=True, env=dict(os.environ), timeout=120)
    assert out.returncode == 0, out.stderr
    solo = tree_size(envs["solo"])
    line = next(x for x in out.stdout.splitlines() if x.startswith("solo "))
    assert format_size(solo.own_bytes) in line and line.endswith(str(envs["solo"]))


# --- the Environments tab ---------------------------------------------------------------------------------------------

def _panel(qtbot: Any) -> Any:
    from desktop.ui.envs_panel import EnvironmentsPanel
    from desktop.ui.worker import JobRunner

    panel = EnvironmentsPanel(JobRunner("envs"), expect_gpu=lambda: None, confirm=lambda _t, _m: True)
    qtbot.addWidget(panel)
    return panel


def _cells(panel: Any) -> dict[str, tuple[str, str, Any, Any]]:
    from PySide6.QtCore import Qt

    from desktop.ui.envs_panel import SHARED_COL, SIZE_COL

    t, role = panel.table, Qt.ItemDataRole.UserRole
    return {e.prefix: (t.item(r, SIZE_COL).text(), t.item(r, SHARED_COL).text(), t.item(r, SIZE_COL).data(role),
                       t.item(r, SHARED_COL).data(role)) for r, e in enumerate(panel.envs)}


@needs_qt
def test_the_tab_lists_first_then_fills_the_same_sizes_as_the_cli(qtbot: Any, envs: dict[str, Path]) -> None:
    from desktop.ui.envs_panel import PLACEHOLDER

    panel = _panel(qtbot)
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    assert headers[-3:] == ["Size", "Shared", "Location"]
    at_listing: list[dict[str, Any]] = []
    # envs_listed fires as the list is drawn, before any size is measured: record what the user sees then
    panel.envs_listed.connect(lambda _n: at_listing.append(_cells(panel)))
    with qtbot.waitSignal(panel.runner.succeeded, timeout=WAIT_MS):
        assert panel.refresh()
    assert at_listing and set(at_listing[0]) == {str(envs["solo"]), str(envs["linked"])}
    assert all(c == (PLACEHOLDER, PLACEHOLDER, None, None) for c in at_listing[0].values()), at_listing[0]
    qtbot.waitUntil(lambda: not panel.sizes_runner.busy and len(panel.sizes) == 2, timeout=WAIT_MS)

    cli = cli_sizes()
    cells = _cells(panel)
    assert set(cells) == set(cli)
    for prefix, (own_text, shared_text, own, shared) in cells.items():
        assert (own, shared) == (cli[prefix]["own_bytes"], cli[prefix]["shared_bytes"]), prefix
        assert (own_text, shared_text) == (format_size(own), format_size(shared))
    assert cells[str(envs["linked"])][3] > 0  # the file linked from the cache is shared
    assert cells[str(envs["solo"])][3] == 0


@needs_qt
def test_refresh_restarts_the_measurement_and_cancel_marks_what_is_left(qtbot: Any, envs: dict[str, Path]) -> None:
    panel = _panel(qtbot)
    with qtbot.waitSignal(panel.runner.succeeded, timeout=WAIT_MS):
        panel.refresh()
    # Refresh while the sizes are measured: the measurement stops, the new list is measured from the start
    (envs["solo"] / "more.bin").write_bytes(os.urandom(200_000))
    with qtbot.waitSignal(panel.runner.succeeded, timeout=WAIT_MS):
        panel.refresh_button.click()
    qtbot.waitUntil(lambda: not panel.sizes_runner.busy and len(panel.sizes) == 2, timeout=WAIT_MS)
    assert _cells(panel)[str(envs["solo"])][2] == tree_size(envs["solo"]).own_bytes
    shots = os.environ.get("TORCHDESK_SCREENSHOT_DIR")
    if shots:
        panel.grab().save(str(Path(shots) / "environments-sizes.png"))

    # Cancel while the sizes are measured: the measurement stops, and what it had not measured says so
    with qtbot.waitSignal(panel.sizes_runner.finished, timeout=WAIT_MS):
        panel.measure_sizes()
        assert panel.sizes_runner.busy and panel.cancel_button.isEnabled()
        panel.cancel_button.click()
    cells = _cells(panel)
    # each env is either measured (its walk ended before the click reached it) or marked as not measured
    for prefix, (own_text, _shared_text, own, _shared) in cells.items():
        if prefix in panel.sizes:
            assert own == panel.sizes[prefix].own_bytes
        else:
            assert own_text == "—" and own is None
    assert not panel.cancel_button.isEnabled()
