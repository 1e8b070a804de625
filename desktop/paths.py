"""Per-user folders (platformdirs), each overridable by an environment variable for tests and packagers.

Nothing is created at import time; callers `mkdir` what they write to.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "torchdesk"


def _override(var: str) -> Path | None:
    value = os.environ.get(var)
    return Path(value).expanduser() if value else None


def log_dir() -> Path:
    """Where job logs go: $TORCHDESK_LOG_DIR, else the platform's user log folder."""
    import platformdirs

    return _override("TORCHDESK_LOG_DIR") or Path(platformdirs.user_log_dir(APP, appauthor=False))


def temp_log_dir() -> Path:
    """The fallback log folder when log_dir() is not writable: <system temp>/torchdesk-logs-<uid>, mode 0700.

    The system temp dir is shared, so the folder is created by this user alone (mkdir 0700, no umask games),
    and an existing one is used only if it is a real folder (not a symlink someone planted), owned by this user
    and closed to others; anything else raises OSError so the caller writes no log there."""
    import stat
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else None
    folder = Path(tempfile.gettempdir()) / (f"torchdesk-logs-{uid}" if uid is not None else "torchdesk-logs")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(folder)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise OSError(f"{folder} is not a real folder (a symlink or a file); not writing logs there")
    if uid is not None and (st.st_uid != uid or st.st_mode & 0o077):
        raise OSError(f"{folder} belongs to another user or is open to others; not writing logs there")
    return folder


def envs_dir() -> Path:
    """Where TorchDesk creates named environments: $TORCHDESK_ENVS_DIR, else <user data dir>/envs."""
    import platformdirs

    return _override("TORCHDESK_ENVS_DIR") or Path(platformdirs.user_data_dir(APP, appauthor=False)) / "envs"


def pkgs_dir() -> Path:
    """The embedded engine's package cache: $TORCHDESK_PKGS_DIR, else <cache dir>/pkgs."""
    return _override("TORCHDESK_PKGS_DIR") or cache_dir() / "pkgs"


def cache_dir() -> Path:
    """TorchDesk's cache folder, holding both package caches: $TORCHDESK_CACHE_DIR, else the user cache dir."""
    import platformdirs

    return _override("TORCHDESK_CACHE_DIR") or Path(platformdirs.user_cache_dir(APP, appauthor=False))


def uv_cache_dir() -> Path:
    """uv's wheel cache for the wheel stage: $TORCHDESK_UV_CACHE_DIR, else <cache dir>/uv (beside pkgs/).

    Our own folder, not uv's default: `torchdesk cache` can then account for and clean exactly what TorchDesk
    put there, and a user's uv settings or `uv cache clean` never change what a create does."""
    return _override("TORCHDESK_UV_CACHE_DIR") or cache_dir() / "uv"


def conda_environments_txt() -> Path:
    """~/.conda/environments.txt: the registry conda, mamba and micromamba all read to list environments."""
    return Path(os.path.expanduser("~")) / ".conda" / "environments.txt"


def env_python(prefix: Path | str, *, windows: bool | None = None) -> Path:
    """The python of a conda env or venv at `prefix` (bin/python, or python.exe / Scripts/python.exe on Windows)."""
    prefix = Path(prefix)
    win = (os.name == "nt") if windows is None else windows
    candidates = ([prefix / "python.exe", prefix / "Scripts" / "python.exe"] if win
                  else [prefix / "bin" / "python", prefix / "bin" / "python3"])
    for c in candidates:
        if c.exists():
            return c
    return candidates[0]


# What a TorchDesk create leaves in every env it makes: the spec it was built from (jobclean writes it; the
# inventory, export, repair and lock export read it).
SPEC_RECORD = Path("conda-meta") / "torchdesk-environment.yml"


def existing_parent(p: Path) -> Path:
    """`p` itself, or its nearest ancestor that exists (a folder a job will create is measured by its parent's disk)."""
    while not p.exists() and p != p.parent:
        p = p.parent
    return p
