"""Shared test setup: Qt runs offscreen, the real HOME stays untouched, and the fixtures several modules use."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import homeguard  # noqa: E402 - tests/ must be on sys.path first

# --- the real HOME stays untouched ------------------------------------------------------------------------------
# Redirected here, at import, before any test module runs: the session's HOME, XDG folders, QSettings file
# ($TORCHDESK_SETTINGS), platformdirs folders and conda's files all live in a throw-away folder, for the tests
# and for every subprocess they start (the CLI, --self-test, pip).
REAL_HOME = Path(os.path.expanduser("~"))
_WATCHED = homeguard.watched_paths(REAL_HOME, os.environ)
_BEFORE = homeguard.snapshot(_WATCHED)
SESSION_HOME = Path(tempfile.mkdtemp(prefix="torchdesk-test-home-"))
homeguard.redirect_home(os.environ, SESSION_HOME, REAL_HOME)


@pytest.fixture(scope="session", autouse=True)
def real_home_unchanged() -> Iterator[Path]:
    """Fail the run if anything changed TorchDesk's, Qt's or conda's files under the real HOME."""
    yield REAL_HOME
    changed = homeguard.changes(_BEFORE, homeguard.snapshot(_WATCHED))
    if changed:
        more = f"\n... and {len(changed) - 20} more" if len(changed) > 20 else ""
        pytest.fail(f"the tests changed the real HOME ({REAL_HOME}):\n" + "\n".join(changed[:20]) + more,
                    pytrace=False)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the throw-away HOME, also after a run that collected no test (the fixture never ran)."""
    shutil.rmtree(SESSION_HOME, ignore_errors=True)


# --- the local conda channel and pip index (tests/localrepo.py), built once per session -----------------------

@pytest.fixture(scope="session")
def repo(tmp_path_factory: Any) -> Any:
    """The local file:// conda channel and pip indexes the engine, job and UI tests create environments from."""
    from localrepo import shared_repo

    return shared_repo(tmp_path_factory)


@pytest.fixture(scope="session")
def pkgs(tmp_path_factory: Any) -> Path:
    """One conda package cache for the session's creates."""
    return Path(tmp_path_factory.mktemp("pkgs"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pkgs: Path) -> Path:
    """A throw-away HOME (and envs, logs, registry under it) for a test that creates environments."""
    from localrepo import isolate_home

    h = tmp_path / "home"
    isolate_home(monkeypatch, h, pkgs)
    return h


@pytest.fixture
def h100_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`home`, on a machine that detection reads as one H100 (test_ui.H100's overrides): the window's create tests."""
    from test_ui import H100

    for k, v in H100.items():
        monkeypatch.setenv(k, v)
    return home


@pytest.fixture
def refused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
