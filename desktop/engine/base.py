"""The engine interface and what every engine shares: the env registry (~/.conda/environments.txt), listing,
identifying and removing conda environments."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

from ..model import CondaEnv
from ..paths import conda_environments_txt, envs_dir

# (stage, fraction 0..1 or None when unknown, message): stage is solve | download | link
StageCallback = Callable[[str, "float | None", str], None]


class EngineError(Exception):
    """A conda-part failure, with the stage it happened in and a sentence for the user."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message


class Engine(Protocol):
    name: str

    def create(self, specs: Sequence[str], channels: Sequence[str], prefix: Path, *,
               on_line: Callable[[str], None], on_stage: StageCallback, cancel: object) -> None:
        """Solve `specs` from `channels`, download and link them into `prefix` (which must not exist)."""

    def describe(self) -> str:
        """'embedded (py-rattler 0.28.0)', 'conda 24.9.2 at /opt/conda/bin/conda'."""


def is_conda_env(prefix: Path) -> bool:
    """True if `prefix` is a conda environment: conda-meta/history exists (what conda itself checks)."""
    return (prefix / "conda-meta" / "history").is_file()


def protected_env(prefix: Path) -> str | None:
    """Why the conda env at `prefix` must never be removed or replaced, or None: a conda installation's base
    env holds the installation itself (and every env under its envs/), and TorchDesk's own env runs it."""
    if (prefix / "condabin").is_dir() or (prefix / "envs").is_dir():
        return f"{prefix} is the base environment of a conda installation (it holds conda itself and its envs/)"
    try:
        if Path(sys.prefix).resolve() == prefix.resolve():
            return f"{prefix} is the environment TorchDesk itself is running from"
    except OSError:
        pass
    return None


def _read_registry() -> list[str]:
    path = conda_environments_txt()
    try:
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        return []
    except OSError:
        return []


def register_env(prefix: Path) -> None:
    """Add `prefix` to ~/.conda/environments.txt so conda, mamba and micromamba list it."""
    path = conda_environments_txt()
    entries = _read_registry()
    p = str(prefix)
    if p in entries:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        if path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            f.write("\n")
        f.write(p + "\n")


def unregister_env(prefix: Path) -> None:
    """Drop `prefix` from ~/.conda/environments.txt (leaving every other line as it was)."""
    path = conda_environments_txt()
    try:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except OSError:
        return
    keep = [line for line in lines if line.strip() != str(prefix)]
    if keep != lines:
        path.write_text("".join(keep), encoding="utf-8")


def env_prefix_for(name: str, base: Path | None = None) -> Path:
    """Where a named env lives: <envs dir>/<name>."""
    return (base or envs_dir()) / name


def _candidate_prefixes(extra_dirs: Iterable[Path] = ()) -> list[Path]:
    seen: dict[str, Path] = {}
    for entry in _read_registry():
        seen.setdefault(entry, Path(entry))
    for d in (envs_dir(), Path(os.path.expanduser("~")) / ".conda" / "envs", *extra_dirs):
        try:
            children = sorted(d.iterdir())
        except OSError:
            continue
        for c in children:
            seen.setdefault(str(c), c)
    return [p for p in seen.values() if is_conda_env(p)]


def _env_name(prefix: Path) -> str:
    return prefix.name


def read_env_info(prefix: Path) -> CondaEnv:
    """Name, Python and torch of an env, read from its files without running it."""
    try:
        from ..detect import read_env  # the detection module's reader, when present

        return read_env(prefix, _env_name(prefix))  # type: ignore[no-any-return]
    except ImportError:
        pass
    import json

    python = torch = installer = build = None
    meta = prefix / "conda-meta"
    for f in sorted(meta.glob("*.json")):
        try:
            rec = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if rec.get("name") == "python":
            python = rec.get("version")
        elif rec.get("name") in ("pytorch", "torch"):
            torch, build, installer = rec.get("version"), rec.get("build"), "conda"
    if torch is None:
        for dist in prefix.glob("lib/python3*/site-packages/torch-*.dist-info"):
            torch, installer = dist.name[len("torch-"):-len(".dist-info")], "pip"
        for dist in prefix.glob("Lib/site-packages/torch-*.dist-info"):
            torch, installer = dist.name[len("torch-"):-len(".dist-info")], "pip"
    return CondaEnv(_env_name(prefix), str(prefix), python, torch, build, installer)


def list_envs(extra_dirs: Iterable[Path] = ()) -> list[CondaEnv]:
    """Every conda env this user has: registered ones and those in the known envs folders."""
    return [read_env_info(p) for p in _candidate_prefixes(extra_dirs)]


def find_env(name_or_prefix: str) -> Path | None:
    """The prefix of the env with this name (or at this path), if it is a conda env."""
    if os.sep in name_or_prefix or (os.altsep and os.altsep in name_or_prefix):
        p = Path(name_or_prefix).expanduser().absolute()  # as environments.txt lists it, so remove unregisters it
        return p if is_conda_env(p) else None
    for p in _candidate_prefixes():
        if p.name == name_or_prefix:
            return p
    return None


def remove_env(prefix: Path) -> None:
    """Delete a conda env and unregister it. Refuses anything that is not identifiably a conda env, and the
    envs that `protected_env` names."""
    if not is_conda_env(prefix):
        raise EngineError("remove", f"{prefix} is not a conda environment (no conda-meta/history); not removing it")
    why = protected_env(prefix)
    if why:
        raise EngineError("remove", f"{why}; not removing it")
    shutil.rmtree(prefix)
    unregister_env(prefix)
    from ..kernels import remove_kernels  # its Jupyter kernelspec, only the one TorchDesk wrote

    remove_kernels(prefix)
