"""Keep the test session off the real HOME: redirect every per-user place TorchDesk, Qt and conda write to into a
throw-away HOME, and fail the run if the real one changed anyway.

tests/conftest.py calls `redirect_home` when it is imported (before any test module, so nothing can compute a
path from the real HOME first) and `changes` when the session ends.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Mapping, MutableMapping

# Variables that point TorchDesk, Qt, platformdirs or conda at per-user files. They are set to the throw-away
# HOME's paths, or removed so the defaults (under the throw-away HOME) apply.
XDG_DIRS = {"XDG_CONFIG_HOME": ".config", "XDG_DATA_HOME": ".local/share", "XDG_CACHE_HOME": ".cache",
            "XDG_STATE_HOME": ".local/state"}
REMOVED = ("XDG_RUNTIME_DIR", "XDG_CONFIG_DIRS", "XDG_DATA_DIRS", "TORCHDESK_ENVS_DIR", "TORCHDESK_LOG_DIR",
           "TORCHDESK_PKGS_DIR", "CONDA_ENVS_PATH", "CONDA_ENVS_DIRS", "CONDA_PKGS_DIRS")

# Files larger than this, or deeper than HASH_DEPTH below a watched path, are compared by size and modification
# time, not content: a user's ~/.conda can hold a package cache of a hundred thousand files.
HASH_LIMIT = 4 << 20
HASH_DEPTH = 2


def watched_paths(home: Path, env: Mapping[str, str]) -> list[Path]:
    """The per-user places TorchDesk (its app, CLI and engines) or its tests could write, for HOME and `env`."""
    import platformdirs

    rel = [".config/TorchDesk", ".config/torchdesk", ".config/conda", ".conda", ".condarc", ".mambarc",
           ".local/share/torchdesk", ".local/state/torchdesk", ".cache/torchdesk", ".local/bin/torchdesk",
           ".local/bin/torchdesk-gui", ".local/share/applications/torchdesk.desktop",
           ".local/share/icons/hicolor/256x256/apps/torchdesk.png",
           ".local/share/icons/hicolor/scalable/apps/torchdesk.svg",
           "Library/Preferences/com.torchdesk.TorchDesk.plist", "Library/Application Support/torchdesk",
           "Library/Caches/torchdesk", "Library/Logs/torchdesk"]
    paths = [home / r for r in rel]
    for var in ("CONDARC", "MAMBARC"):
        if env.get(var):
            paths.append(Path(env[var]).expanduser())
    saved = {k: os.environ.get(k) for k in ("HOME", *XDG_DIRS)}
    try:  # platformdirs reads HOME and the XDG variables when called: ask it about `home` and `env`
        os.environ["HOME"] = str(home)
        for k in XDG_DIRS:
            if env.get(k):
                os.environ[k] = env[k]
            else:
                os.environ.pop(k, None)
        for app in ("torchdesk", "TorchDesk"):
            for fn in (platformdirs.user_config_dir, platformdirs.user_data_dir, platformdirs.user_cache_dir,
                       platformdirs.user_state_dir, platformdirs.user_log_dir):
                paths.append(Path(fn(app, appauthor=False)))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    out: list[Path] = []
    for p in paths:
        if p not in out:
            out.append(p)
    return out


def _entry(p: Path, st: os.stat_result, depth: int = 0) -> tuple[object, ...]:
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.readlink(p))
    if stat.S_ISDIR(st.st_mode):
        return ("dir", stat.S_IMODE(st.st_mode))
    if st.st_size > HASH_LIMIT or depth > HASH_DEPTH:
        return ("file", stat.S_IMODE(st.st_mode), st.st_size, st.st_mtime_ns)
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return ("file", stat.S_IMODE(st.st_mode), h.hexdigest())


def snapshot(paths: list[Path]) -> dict[str, tuple[object, ...]]:
    """Every path under `paths` (absent ones as absent) with its kind, mode and content hash or link target."""
    out: dict[str, tuple[object, ...]] = {}
    for root in paths:
        try:
            st = os.lstat(root)
        except FileNotFoundError:
            out[str(root)] = ("absent",)
            continue
        out[str(root)] = _entry(root, st)
        if stat.S_ISDIR(st.st_mode):
            for dirpath, dirnames, filenames in os.walk(root):
                depth = len(Path(dirpath).relative_to(root).parts) + 1
                for name in sorted(dirnames + filenames):
                    p = Path(dirpath) / name
                    try:
                        out[str(p)] = _entry(p, os.lstat(p), depth)
                    except OSError as exc:  # vanished or unreadable: record that, so a change shows
                        out[str(p)] = ("error", type(exc).__name__)
    return out


def changes(before: Mapping[str, tuple[object, ...]], after: Mapping[str, tuple[object, ...]]) -> list[str]:
    """What differs between two snapshots, one line per path: 'created', 'removed' or 'changed'."""
    out: list[str] = []
    for path in sorted(set(before) | set(after)):
        b, a = before.get(path, ("absent",)), after.get(path, ("absent",))
        if b == a:
            continue
        if b == ("absent",):
            out.append(f"created {path}")
        elif a == ("absent",):
            out.append(f"removed {path}")
        else:
            out.append(f"changed {path}")
    return out


def redirect_home(env: MutableMapping[str, str], home: Path, real_home: Path) -> None:
    """Point HOME, the XDG folders, TorchDesk's settings and conda's files at `home` (a fresh folder)."""
    for rel in (".config", ".local/share", ".local/state", ".cache"):
        (home / rel).mkdir(parents=True, exist_ok=True)
    # pip's user config says which registry or mirror this machine reaches: keep reading it (read only).
    user_pip = real_home / ".config" / "pip" / "pip.conf"
    if "PIP_CONFIG_FILE" not in env and user_pip.is_file():
        env["PIP_CONFIG_FILE"] = str(user_pip)
    env["HOME"] = str(home)
    if os.name == "nt":
        env["USERPROFILE"] = str(home)
        env["APPDATA"] = str(home / "AppData" / "Roaming")
        env["LOCALAPPDATA"] = str(home / "AppData" / "Local")
    for var, rel in XDG_DIRS.items():
        env[var] = str(home / rel)
    for var in REMOVED:
        env.pop(var, None)
    env["TORCHDESK_SETTINGS"] = str(home / ".config" / "TorchDesk" / "TorchDesk.conf")
    env["CONDARC"] = str(home / ".condarc")
    env["MAMBARC"] = str(home / ".mambarc")
