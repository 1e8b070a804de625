"""The conda engines TorchDesk can drive, each registered once: name, one line, availability, capabilities.

Every list of engine names (the CLI's --engine choices, the app's settings and create combos, `doctor
--engines`, the unknown-engine error) reads this registry, so a new engine is one `register_engine` call.
Registering probes nothing: an entry's `probe` runs only when someone asks whether the engine is there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..model import Host
from .base import Engine, EngineError

# What the code branches on, by capability rather than by engine name.
LOCK_REBUILD = "lock-rebuild"  # rebuilds an exact lock file by file against its hashes (desktop/exactlock.py)

DEFAULT_ENGINE = "embedded"


@dataclass(frozen=True)
class Availability:
    """Whether an engine can be used here, and the detail that says so (a version, a path, what is missing)."""

    available: bool
    detail: str


@dataclass(frozen=True)
class EngineInfo:
    """One registered engine. `build(exe, host)` makes it (EngineError if it cannot); `probe()` says if it is here."""

    name: str
    description: str  # one line for --help, the settings tooltip and doctor
    build: Callable[[str | None, Host | None], Engine]
    probe: Callable[[], Availability]
    capabilities: frozenset[str] = field(default_factory=frozenset)

    def can(self, capability: str) -> bool:
        """True if the engine has `capability` (LOCK_REBUILD, ...)."""
        return capability in self.capabilities


_ENGINES: dict[str, EngineInfo] = {}


def register_engine(info: EngineInfo) -> EngineInfo:
    """Add `info` to the registry; ValueError if its name is taken or is not a plain lower-case word."""
    if not info.name or not info.name.replace("-", "").isalnum() or info.name != info.name.lower():
        raise ValueError(f"engine name {info.name!r} must be a lower-case word (letters, digits, '-')")
    if info.name in _ENGINES:
        raise ValueError(f"an engine called {info.name!r} is already registered")
    _ENGINES[info.name] = info
    return info


def unregister_engine(name: str) -> None:
    """Take `name` out of the registry (a plug-in or a test that registered it); nothing if it is not there."""
    _ENGINES.pop(name, None)


def engine_names() -> tuple[str, ...]:
    """The registered engine names, in registration order (the default first)."""
    return tuple(_ENGINES)


def engines() -> tuple[EngineInfo, ...]:
    """Every registered engine, in registration order."""
    return tuple(_ENGINES.values())


def engine_info(name: str) -> EngineInfo:
    """The entry for `name`; EngineError naming every registered engine if there is none."""
    info = _ENGINES.get(name)
    if info is None:
        raise EngineError("preflight", f"unknown engine {name!r}; use one of: {', '.join(_ENGINES)}")
    return info


def engines_with(capability: str) -> tuple[str, ...]:
    """The names of the registered engines that have `capability`."""
    return tuple(e.name for e in _ENGINES.values() if e.can(capability))


def get_engine(name: str = DEFAULT_ENGINE, *, exe: str | None = None, host: Host | None = None) -> Engine:
    """The engine called `name`. External ones are looked up on PATH (or `exe`); EngineError if none is found."""
    return engine_info(name).build(exe, host)
