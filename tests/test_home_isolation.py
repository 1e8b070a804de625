"""The suite never writes the real HOME: conftest.py redirects it for the session, and its guard would see it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest
from conftest import REAL_HOME, SESSION_HOME

import homeguard
from desktop import paths
from desktop.matrixload import user_matrix_path

ROOT = Path(__file__).resolve().parent.parent
H100 = {"TORCHDESK_OVERRIDE_GPUS": "NVIDIA H100 80GB HBM3:9.0", "TORCHDESK_OVERRIDE_DRIVER": "580.159.04",
        "TORCHDESK_OVERRIDE_OS": "linux"}


def _inside(p: Path | str, root: Path) -> bool:
    return Path(p).resolve().is_relative_to(root.resolve())


def test_the_session_runs_in_a_throwaway_home() -> None:
    assert SESSION_HOME != REAL_HOME and not _inside(SESSION_HOME, REAL_HOME)
    assert Path.home() == SESSION_HOME
    for p in (platformdirs.user_config_dir("TorchDesk"), platformdirs.user_data_dir("torchdesk"),
              platformdirs.user_cache_dir("torchdesk"), platformdirs.user_log_dir("torchdesk"),
              paths.envs_dir(), paths.log_dir(), paths.pkgs_dir(), paths.conda_environments_txt(),
              user_matrix_path(), os.environ["CONDARC"], os.environ["MAMBARC"], os.environ["TORCHDESK_SETTINGS"]):
        assert _inside(p, SESSION_HOME), p


def test_qsettings_of_the_app_live_in_the_throwaway_home() -> None:
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QSettings

    from desktop.ui.settings import UiSettings

    assert _inside(UiSettings().q.fileName(), SESSION_HOME)
    # Also a QSettings made the platform's way (organisation, application), as Qt's own widgets do.
    assert _inside(QSettings("TorchDesk", "TorchDesk").fileName(), SESSION_HOME)


def test_the_guard_sees_every_kind_of_change(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".conda").mkdir(parents=True)
    (home / ".conda" / "environments.txt").write_text("/opt/envs/a\n")
    watched = homeguard.watched_paths(home, {})
    before = homeguard.snapshot(watched)
    assert homeguard.changes(before, homeguard.snapshot(watched)) == []

    conf = home / ".config" / "TorchDesk" / "TorchDesk.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[window]\ngeometry=1\n")
    (home / ".conda" / "environments.txt").write_text("/opt/envs/a\n/opt/envs/b\n")
    (home / ".local" / "share" / "torchdesk" / "envs" / "x").mkdir(parents=True)
    got = homeguard.changes(before, homeguard.snapshot(watched))
    assert f"created {conf}" in got
    assert f"changed {home / '.conda' / 'environments.txt'}" in got
    assert f"created {home / '.local' / 'share' / 'torchdesk' / 'envs' / 'x'}" in got

    mid = homeguard.snapshot(watched)
    conf.write_text("[window]\ngeometry=2\n")  # same size, other bytes
    (home / ".conda" / "environments.txt").unlink()
    got = homeguard.changes(mid, homeguard.snapshot(watched))
    assert got == [f"removed {home / '.conda' / 'environments.txt'}", f"changed {conf}"]


def test_the_guard_watches_platformdirs_folders_of_the_given_xdg(tmp_path: Path) -> None:
    home, xdg = tmp_path / "home", tmp_path / "xdg-data"
    watched = homeguard.watched_paths(home, {"XDG_DATA_HOME": str(xdg)})
    assert xdg / "torchdesk" in watched and home / ".conda" in watched


def test_redirect_keeps_nothing_pointing_at_the_old_home(tmp_path: Path) -> None:
    env = {"HOME": "/home/someone", "XDG_CONFIG_HOME": "/home/someone/.config", "TORCHDESK_ENVS_DIR": "/x",
           "CONDA_PKGS_DIRS": "/home/someone/pkgs", "PATH": "/usr/bin"}
    homeguard.redirect_home(env, tmp_path / "h", Path("/home/someone"))
    assert env["PATH"] == "/usr/bin" and "TORCHDESK_ENVS_DIR" not in env and "CONDA_PKGS_DIRS" not in env
    assert not [k for k, v in env.items() if "/home/someone" in v]


def test_read_only_settings_write_nothing(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QSettings

    from desktop.ui.settings import UiSettings

    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    UiSettings(qs, read_only=True).set("create/engine", "conda")
    assert qs.value("create/engine") is None
    UiSettings(qs).set("create/engine", "conda")
    assert qs.value("create/engine") == "conda"


@pytest.mark.parametrize("existing", [True, False], ids=["existing-settings", "no-settings"])
def test_self_test_never_saves_settings(tmp_path: Path, existing: bool) -> None:
    pytest.importorskip("PySide6")
    conf = tmp_path / "TorchDesk.conf"
    body = b"[create]\nengine=micromamba\n"
    if existing:
        conf.write_bytes(body)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TORCHDESK_SETTINGS=str(conf), **H100)
    r = subprocess.run([sys.executable, "-m", "desktop", "--self-test"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    if existing:
        assert conf.read_bytes() == body  # read, never rewritten (no window geometry saved on close)
    else:
        assert not conf.exists()


def test_deep_files_are_compared_by_size_and_time(tmp_path: Path) -> None:
    deep = tmp_path / ".conda" / "pkgs" / "x-1.0" / "lib" / "f.py"
    deep.parent.mkdir(parents=True)
    deep.write_text("a = 1\n")
    watched = [tmp_path / ".conda"]
    before = homeguard.snapshot(watched)
    assert before[str(deep)][0] == "file" and len(before[str(deep)]) == 4  # mode, size, mtime: not read
    deep.write_text("a = 22\n")
    assert homeguard.changes(before, homeguard.snapshot(watched)) == [f"changed {deep}"]
