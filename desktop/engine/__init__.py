"""Conda engines behind one interface: create (the conda part: solve, download, link), remove, list.

- `embedded` (the default): py-rattler in-process; needs no conda on the machine.
- `conda`, `mamba`, `micromamba`: an executable found on the machine, driven as a subprocess with --json.

The pip phase and verification are not the engine's: `desktop.jobs` runs them the same way for every engine.
"""

from __future__ import annotations

from ..model import Host
from .base import Engine, EngineError, StageCallback, env_prefix_for, find_env, is_conda_env, list_envs, register_env, unregister_env

ENGINE_NAMES = ("embedded", "conda", "mamba", "micromamba")


def get_engine(name: str = "embedded", *, exe: str | None = None, host: Host | None = None) -> Engine:
    """The engine called `name`. External ones are looked up on PATH (or `exe`); EngineError if none is found."""
    if name == "embedded":
        from .embedded import EmbeddedEngine

        return EmbeddedEngine(host=host)
    if name in ("conda", "mamba", "micromamba"):
        from .external import ExternalEngine

        return ExternalEngine.find(name, exe=exe)
    raise EngineError("preflight", f"unknown engine {name!r}; use one of: {', '.join(ENGINE_NAMES)}")


__all__ = [
    "ENGINE_NAMES", "Engine", "EngineError", "StageCallback", "env_prefix_for", "find_env", "get_engine",
    "is_conda_env", "list_envs", "register_env", "unregister_env",
]
