"""An environment folder that cannot be measured (removed, unreadable) says so in the core result, in
`torchdesk envs --sizes` (text and JSON) and in the Environments tab, instead of showing "0 B"; the walk never
crosses into another file system mounted inside an environment. Real folders, real permissions, a real mount."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from desktop.commands.envs import run_sizes
from desktop.diskuse import env_sizes, tree_size
from desktop.model import CondaEnv

WAIT_MS = 30_000
needs_qt = pytest.mark.skipif(importlib.util.find_spec("pytestqt") is None, reason="pytest-qt is not installed")


def _removed(tmp_path: Path) -> Path:
    env = tmp_path / "gone"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python").write_bytes(b"x" * 5000)
    shutil.rmtree(env)
    return env


def _locked(tmp_path: Path) -> Path:
    env = tmp_path / "locked"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python").write_bytes(b"x" * 5000)
    env.chmod(0)
    if os.access(env, os.R_OK | os.X_OK):  # root reads it anyway: nothing to test
        env.chmod(0o755)
        pytest.skip("this user can read a chmod 000 folder (root)")
    return env


@pytest.fixture
def unmeasurable(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """One folder per case that cannot be measured; the chmod one is given back its mode afterwards."""
    made: list[Path] = []

    def make(kind: str) -> Path:
        env = _removed(tmp_path) if kind == "removed" else _locked(tmp_path)
        made.append(env)
        return env

    yield make
    for p in made:
        if p.exists():
            p.chmod(0o755)


CASES = [("removed", "does not exist"), ("chmod 000", "Permission denied")]


@pytest.mark.parametrize(("kind", "words"), CASES)
def test_core_result_says_could_not_measure(unmeasurable: Callable[[str], Path], kind: str, words: str) -> None:
    env = unmeasurable(kind)
    size = tree_size(env)
    assert size.error is not None and size.error.startswith(f"could not measure {env}") and words in size.error
    assert [s.error for s in env_sizes([env])] == [size.error]


@pytest.mark.parametrize(("kind", "words"), CASES)
def test_cli_text_and_json_say_could_not_measure(unmeasurable: Callable[[str], Path], tmp_path: Path, kind: str,
                                                 words: str, capsys: pytest.CaptureFixture[str],
                                                 home: Path) -> None:
    good = tmp_path / "good"
    (good / "bin").mkdir(parents=True)
    (good / "bin" / "python").write_bytes(os.urandom(9000))
    bad = unmeasurable(kind)
    envs = [CondaEnv("bad", str(bad)), CondaEnv("good", str(good))]
    assert run_sizes(envs, as_json=True) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["envs"]}
    assert rows["bad"]["own_bytes"] is None and rows["bad"]["shared_bytes"] is None
    assert words in rows["bad"]["size_error"]
    assert rows["good"]["own_bytes"] == tree_size(good).own_bytes > 0 and rows["good"]["size_error"] is None
    assert run_sizes(envs, as_json=False) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("bad "))
    assert "could not measure" in line and words in line and " 0 B" not in line


@needs_qt
@pytest.mark.parametrize(("kind", "words"), CASES)
def test_the_tab_says_could_not_measure(qtbot: Any, unmeasurable: Callable[[str], Path], tmp_path: Path,
                                        kind: str, words: str, home: Path) -> None:
    from desktop.ui.envs_panel import SHARED_COL, SIZE_COL, EnvironmentsPanel
    from desktop.ui.worker import JobRunner

    panel = EnvironmentsPanel(JobRunner("envs"), expect_gpu=lambda: None, confirm=lambda _t, _m: True)
    qtbot.addWidget(panel)
    bad = unmeasurable(kind)
    with qtbot.waitSignal(panel.sizes_runner.finished, timeout=WAIT_MS):
        panel.show_envs([CondaEnv("bad", str(bad))])
    for col in (SIZE_COL, SHARED_COL):
        item = panel.table.item(0, col)
        assert item.text() == "could not measure" and words in item.toolTip()


@needs_qt
def test_the_disk_dialog_says_could_not_measure(qtbot: Any, tmp_path: Path, home: Path) -> None:
    from desktop.diskuse import disk_report
    from desktop.ui.disk_dialog import DiskDialog

    good = tmp_path / "good"
    (good / "bin").mkdir(parents=True)
    (good / "bin" / "python").write_bytes(os.urandom(9000))
    dlg = DiskDialog()
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.report is not None and not dlg.runner.busy, timeout=WAIT_MS)  # its own first measure
    dlg.show_report(disk_report([CondaEnv("bad", str(_removed(tmp_path))), CondaEnv("good", str(good))]))
    cells = {dlg.table.item(r, 0).text(): dlg.table.item(r, 1).text() for r in range(dlg.table.rowCount())}
    assert cells["bad"] == "could not measure" and cells["good"] != "could not measure"

def test_the_walk_does_not_cross_a_mount_point(tmp_path: Path) -> None:
    env = tmp_path / "env"
    (env / "mnt").mkdir(parents=True)
    (env / "lib.so").write_bytes(os.urandom(20_000))
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(env / "mnt")], capture_output=True)
    if done.returncode != 0:
        pytest.skip("this user cannot mount a tmpfs (needs root)")
    try:
        (env / "mnt" / "big.bin").write_bytes(os.urandom(1_000_000))
        size = tree_size(env)
        assert size.error is None and size.files == 1
        assert size.own_bytes == os.lstat(env / "lib.so").st_blocks * 512
    finally:
        subprocess.run(["umount", str(env / "mnt")], check=True)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="the chmod cases above run as this user")
def test_chmod_000_as_an_unprivileged_user(tmp_path: Path) -> None:
    """Root reads a chmod 000 folder anyway (the cases above skip): measure it as `nobody` in a real process."""
    import sys
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="td-sizes-"))  # /tmp itself: every user can reach it, unlike tmp_path
    try:
        base.chmod(0o755)
        env = base / "locked"
        (env / "bin").mkdir(parents=True)
        (env / "bin" / "python").write_bytes(b"x" * 5000)
        env.chmod(0)
        inner = base / "inner"  # a readable env with one unreadable folder inside: a partial sum is not a size
        (inner / "lib").mkdir(parents=True)
        (inner / "lib" / "libbig.so").write_bytes(b"x" * 500_000)
        (inner / "lib").chmod(0)
        inner.chmod(0o755)
        code = "import sys; from desktop.diskuse import tree_size; print(tree_size(sys.argv[1]).error)"
        root = Path(__file__).resolve().parent.parent
        as_nobody: dict[str, Any] = {"user": 65534, "group": 65534, "extra_groups": [], "capture_output": True,
                                     "text": True, "timeout": 60, "cwd": base,
                                     "env": {"PYTHONPATH": str(root), "HOME": str(base)}}
        # an interpreter `nobody` may run (pyenv's under /root is not); diskuse needs only the standard library
        runnable = [py for py in dict.fromkeys((sys.executable, "/usr/bin/python3")) if Path(py).exists()
                    and _runs(py, as_nobody)]
        if not runnable:
            pytest.skip("no Python interpreter that user nobody may run")
        out = subprocess.run([runnable[0], "-c", code, str(env)], **as_nobody)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == f"could not measure {env}: Permission denied"
        out = subprocess.run([runnable[0], "-c", code, str(inner)], **as_nobody)
        assert out.stdout.strip() == (f"could not measure {inner}: 1 folder(s) inside could not be read "
                                      f"(first: {inner / 'lib'})"), out.stdout + out.stderr
    finally:
        (base / "locked").chmod(0o755)
        (base / "inner" / "lib").chmod(0o755)
        shutil.rmtree(base)


def _runs(py: str, how: dict[str, Any]) -> bool:
    try:
        return subprocess.run([py, "-c", "import desktop.diskuse"], **how).returncode == 0
    except OSError:
        return False


def test_a_symlinked_env_on_another_file_system_is_measured(tmp_path: Path) -> None:
    """The walk stays on the file system of the folder it lists: a symlinked env's target, not the link's."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second file system (/dev/shm) here")
    import tempfile

    target = Path(tempfile.mkdtemp(dir=shm, prefix="td-sizes-"))
    try:
        (target / "lib.so").write_bytes(os.urandom(100_000))
        link = tmp_path / "envs" / "x"
        link.parent.mkdir()
        link.symlink_to(target)
        size = tree_size(link)
        assert size.error is None and size.files == 1 and size.own_bytes >= 100_000
    finally:
        shutil.rmtree(target)
