"""Shared test setup. Qt runs offscreen; helper fixtures live in the test modules that use them."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


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
