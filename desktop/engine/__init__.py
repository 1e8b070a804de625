"""Conda engines behind one interface: create (the conda part: solve, download, link), remove, list.

- `embedded` (the default): py-rattler in a child process; needs no conda on the machine.
- `conda`, `mamba`, `micromamba`: an executable found on the machine, driven as a subprocess with --json.

Each is registered once in `registry` (name, description, availability probe, capabilities) and every list of
engine names reads it: external.py registers conda, mamba and micromamba; the embedded engine is registered
here, because `python -m desktop.engine.embedded` (its child process) must not find its module imported by
this package, and so that importing the package loads neither asyncio nor rattler. Registering probes nothing:
no PATH walk, no import of rattler, until someone asks whether an engine is there.

The pip phase and verification are not the engine's: `desktop.jobs` runs them the same way for every engine.
"""

from __future__ import annotations

from ..model import Host
from .base import Engine, EngineError, StageCallback, env_prefix_for, find_env, is_conda_env, list_envs, register_env, unregister_env
from .external import engine_entries
from .registry import (
    DEFAULT_ENGINE,
    LOCK_REBUILD,
    Availability,
    EngineInfo,
    engine_info,
    engine_names,
    engines,
    engines_with,
    get_engine,
    register_engine,
    unregister_engine,
)


def _build_embedded(exe: str | None, host: Host | None) -> Engine:
    from .embedded import EmbeddedEngine

    return EmbeddedEngine(host=host)  # virtual packages (__cuda, __glibc) from the detected host


def _probe_embedded() -> Availability:
    """py-rattler importable (found, not imported: the app's process never loads rattler)."""
    import importlib.util
    from importlib.metadata import PackageNotFoundError, version

    if importlib.util.find_spec("rattler") is None:
        return Availability(False, "py-rattler is not installed: pip install py-rattler, or use conda, mamba or "
                                   "micromamba")
    try:
        return Availability(True, f"py-rattler {version('py-rattler')}")
    except PackageNotFoundError:  # a frozen bundle carries the module without its metadata
        return Availability(True, "py-rattler")


register_engine(EngineInfo(DEFAULT_ENGINE, "py-rattler in a child process, needs no conda on the machine",
                           _build_embedded, _probe_embedded, frozenset({LOCK_REBUILD})))
for _info in engine_entries():  # conda, mamba, micromamba
    register_engine(_info)


__all__ = [
    "DEFAULT_ENGINE", "LOCK_REBUILD", "Availability", "Engine", "EngineError", "EngineInfo", "StageCallback",
    "engine_info", "engine_names", "engines", "engines_with", "env_prefix_for", "find_env", "get_engine",
    "is_conda_env", "list_envs", "register_engine", "register_env", "unregister_engine", "unregister_env",
]
