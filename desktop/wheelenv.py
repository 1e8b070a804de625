"""Which wheel installer runs (uv, else pip), and the environment and link mode it runs with.

Shared by the create job's wheel stage (desktop/wheelstage.py), the lock rebuild and the drift guard's repair, so
every pip or uv TorchDesk starts sees only the sources the spec names.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .paths import existing_parent


def find_uv() -> tuple[str | None, str]:
    """(path of the uv binary, '') or (None, why uv cannot run here)."""
    try:
        import uv
    except ImportError:
        return None, "the uv package is not installed"
    try:
        path = uv.find_uv_bin()
    except Exception as exc:  # FileNotFoundError: the wheel's binary is missing
        return None, f"the uv binary was not found ({exc})"
    if not os.access(path, os.X_OK):
        return None, f"the uv binary at {path} cannot be run"
    return str(path), ""


def _clean_env() -> dict[str, str]:
    """This process's environment without anything that would steer pip, uv or the env's python."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PIP_", "UV_", "PYTHON", "CONDA_", "VIRTUAL_ENV"))}


def pip_env() -> dict[str, str]:
    """The environment for the new env's pip: no user pip config or PIP_* variables, so the spec's index
    options are the only sources (a pip.conf extra-index-url would silently widen where torch comes from)."""
    env = _clean_env()
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               PIP_ROOT_USER_ACTION="ignore", PYTHONNOUSERSITE="1")
    return env


# uv variables that say how to reach an index, never which one: kept, so a user behind a TLS-inspecting proxy
# (UV_NATIVE_TLS) or a slow link (timeouts, retries) is served as their own uv would be.
UV_TRANSPORT_VARS = ("UV_NATIVE_TLS", "UV_HTTP_TIMEOUT", "UV_HTTP_RETRIES", "UV_CONCURRENT_DOWNLOADS")


def uv_env(cache: Path) -> dict[str, str]:
    """The environment for uv: no UV_*/PIP_* variables (uv reads both) but the transport ones, our cache, no colours."""
    env = _clean_env()
    env.update({k: os.environ[k] for k in UV_TRANSPORT_VARS if k in os.environ})
    env.update(UV_CACHE_DIR=str(cache), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never", NO_COLOR="1",
               PYTHONNOUSERSITE="1")
    env.setdefault("TERM", "xterm")
    return env


def link_mode(cache: Path, prefix: Path) -> tuple[str, str]:
    """uv's --link-mode for this cache and env, and the sentence the log says about it.

    Hardlinks where the cache and the env share a filesystem (a file's bytes then exist once, however
    many envs use it); clone (copy-on-write) on macOS, where APFS makes that as cheap and safer against
    edits; copy when they are on different filesystems, since a hardlink cannot cross one."""
    def dev(p: Path) -> int | None:
        try:
            return existing_parent(p).stat().st_dev
        except OSError:
            return None

    same = dev(cache) is not None and dev(cache) == dev(prefix)
    if sys.platform == "darwin":
        return "clone", f"files are cloned from the cache {cache} (copy-on-write; a full copy where the disk cannot)"
    if same:
        return "hardlink", f"files are hardlinked from the cache {cache} (same filesystem as {prefix})"
    return "copy", f"files are copied from the cache {cache}: it is on another filesystem than {prefix}"

