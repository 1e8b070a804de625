"""The Cluster tab, offscreen: the real ClusterPanel and JobRunner over the fleet core.

Without a cluster, the panel reads the captured `sinfo` output of tests/fleet_data through the core's own parser
and verifies with submitit's local executor; tests/test_fleet_slurm.py drives it against a real Slurm.
"""

from __future__ import annotations

import os
import venv
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")

from desktop.fleet.inventory import build_inventory, parse_sinfo_nodes  # noqa: E402
from desktop.ui.cluster_panel import ClusterPanel  # noqa: E402
from desktop.ui.worker import JobRunner  # noqa: E402
from test_ui import make_window, no_thread_leak, ui_env  # noqa: E402,F401  (fixtures, the autouse leak check)

SINFO = Path(__file__).parent / "fleet_data" / "sinfo_two_types.txt"
WAIT_MS = 60_000


def _from_capture(matrix: Any, site: Any) -> Any:
    return build_inventory(parse_sinfo_nodes(SINFO.read_text()), matrix, site)


def _panel(qtbot: Any, **kw: Any) -> ClusterPanel:
    runner = JobRunner("cluster")
    panel = ClusterPanel(runner, lambda: None, read_inventory=_from_capture, **kw)
    qtbot.addWidget(panel)
    return panel


def _cells(table: Any) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def _read(qtbot: Any, tmp_path: Path, site_map: str, outcome: str = "succeeded") -> ClusterPanel:
    """A panel that has read the captured cluster with `site_map` as its site.yml, ending in `outcome`."""
    site = tmp_path / "site.yml"
    site.write_text(site_map)
    panel = _panel(qtbot)
    panel.site_edit.setText(str(site))
    with qtbot.waitSignal(getattr(panel.runner, outcome), timeout=WAIT_MS):
        assert panel.read()
    return panel


def test_read_shows_classes_and_one_plan(qtbot: Any, tmp_path: Path) -> None:
    panel = _read(qtbot, tmp_path, "gpu_types:\n  labgpu: {gpu: GeForce RTX 4090, driver: 550.54.14}\n")
    rows = _cells(panel.classes_table)
    assert [r[0] for r in rows] == ["labgpu", "v100"]
    assert rows[0][1:4] == ["GeForce RTX 4090", "8.9", "550.54.14"] and rows[0][6] == "site map"
    assert "One plan for every class" in panel.plan_label.text() and "[class v100]" in panel.plan_label.text()
    assert panel.verify_button.isEnabled()


def test_read_names_the_blocking_class(qtbot: Any, tmp_path: Path) -> None:
    panel = _read(qtbot, tmp_path, "gpu_types:\n  labgpu: Tesla K40m\n")
    text = panel.plan_label.text()
    assert "No one build runs on every class" in text and "Blocking: labgpu" in text and "class v100: torch" in text


def test_bad_site_map_is_a_sentence_not_a_crash(qtbot: Any, tmp_path: Path) -> None:
    panel = _read(qtbot, tmp_path, "gpu_types: {labgpu: No Such GPU 1}\n", outcome="failed")
    assert "unknown GPU model 'No Such GPU 1'" in panel.status.text()
    assert panel.read_button.isEnabled()


def test_verify_fills_the_verdict_table(qtbot: Any, tmp_path: Path) -> None:
    pytest.importorskip("submitit")
    env = tmp_path / "env"
    venv.create(env, with_pip=False)
    panel = _panel(qtbot, verify_kind="local")
    assert not panel.verify()  # no environment named yet: says so, starts nothing
    assert "Name the environment" in panel.status.text()
    panel.prefix_edit.setText(str(env))
    with qtbot.waitSignal(panel.runner.succeeded, timeout=WAIT_MS):
        assert panel.verify()
    rows = _cells(panel.verdict_table)
    assert len(rows) == 1 and rows[0][0] == "local" and rows[0][1] == "FAIL"
    assert "torch is not installed" in rows[0][8]
    assert "0 of 1 classes pass" in panel.status.text()
    assert "submitted" in panel.log.text()


def test_cluster_tab_only_where_sinfo_is_on_path(qtbot: Any, tmp_path: Path, ui_env: dict[str, str]) -> None:  # noqa: F811
    without = make_window(qtbot, tmp_path / "a", dict(ui_env, PATH=str(tmp_path / "empty")))
    assert without.cluster_panel is None
    assert "Cluster" not in [without.tabs.tabText(i).replace("&", "") for i in range(without.tabs.count())]
    # Only the presence of `sinfo` is checked when the window opens; it is not run until Read is pressed.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink("/bin/true", bindir / "sinfo")
    with_slurm = make_window(qtbot, tmp_path / "b", dict(ui_env, PATH=f"{bindir}:{os.environ.get('PATH', '')}"))
    assert with_slurm.cluster_panel is not None
    assert "Cluster" in [with_slurm.tabs.tabText(i).replace("&", "") for i in range(with_slurm.tabs.count())]
    assert with_slurm.cluster_runner in with_slurm.runners  # closeEvent's shutdown cancels its jobs too
