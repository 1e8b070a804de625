"""The engine interface and what every engine shares: the env registry (~/.conda/environments.txt), listing,
identifying and removing conda environments."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

from ..errors import TorchDeskError
from ..model import CondaEnv
from ..paths import conda_environments_txt, envs_dir

if TYPE_CHECKING:
    from ..procs import CancelToken

# (stage, fraction 0..1 or None when unknown, message): stage is solve | download | link
StageCallback = Callable[[str, "float | None", str], None]


class EngineError(TorchDeskError):
    """A conda-part failure, with the stage it happened in and a sentence for the user."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message


class Engine(Protocol):
    name: str

    def create(self, specs: Sequence[str], channels: Sequence[str], prefix: Path, *,
               on_line: Callable[[str], None], on_stage: StageCallback, cancel: CancelToken) -> None:
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
    # Undecodable or absurd lines (another tool's bug, a hostile edit) are skipped with a warning, never a crash.
    from ..detect.conda import read_registry

    return read_registry(conda_environments_txt())


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
    try:  # bytes: a line that is not UTF-8 is someone else's and stays exactly as it was
        lines = path.read_bytes().splitlines(keepends=True)
    except OSError:
        return
    seps = os.fsencode(os.sep + (os.altsep or ""))
    target = os.fsencode(str(prefix)).rstrip(seps)
    # `/x/env/` is the same folder as `/x/env`: a line written with a trailing separator goes too
    keep = [line for line in lines if line.strip().rstrip(seps) != target]
    if keep != lines:
        path.write_bytes(b"".join(keep))


def env_prefix_for(name: str, base: Path | None = None) -> Path:
    """Where a named env lives: <envs dir>/<name>."""
    return (base or envs_dir()) / name


def list_envs() -> list[CondaEnv]:
    """Every finished conda env this user has, as the one inventory lists it (desktop/usecases/inventory.py)."""
    from ..usecases.inventory import list_environments

    return [e.conda_env() for e in list_environments() if not e.unfinished]


def find_env(name_or_prefix: str) -> Path | None:
    """The prefix of the finished env with this name (or at this path), as the one inventory finds it."""
    from ..usecases.inventory import find_environments

    for e in find_environments(name_or_prefix):
        if not e.unfinished and is_conda_env(Path(e.prefix)):
            return Path(e.prefix)
    return None


def _is_unfinished(prefix: Path) -> bool:
    """True if a TorchDesk job's marker is in `prefix`: a folder still being created, or left by a killed job."""
    from ..locks import has_marker

    return prefix.is_dir() and not prefix.is_symlink() and has_marker(prefix)


def _made_by_a_job(prefix: Path) -> bool:
    """Is `prefix` in TorchDesk's envs folder, or named by the lock note of a job that was killed?"""
    from ..locks import lock_key, recorded_prefixes

    key = lock_key(prefix)
    if lock_key(prefix.parent) == lock_key(envs_dir()):
        return True
    return any(lock_key(p) == key for p in recorded_prefixes())


def remove_env(prefix: Path) -> None:
    """Delete a conda env and unregister it, holding the prefix's lock (a running job on it refuses this).
    Refuses anything that is not identifiably a conda env (or the folder of a TorchDesk job that was killed:
    it carries the job's marker), and the envs that `protected_env` names."""
    from ..locks import EnvLock, LockError, read_marker

    why = protected_env(prefix)
    if why:
        raise EngineError("remove", f"{why}; not removing it")
    try:
        lock = EnvLock(prefix).acquire()
    except LockError as exc:
        raise EngineError("remove", f"{exc.message}; {exc.fix}") from None
    try:
        if _is_unfinished(prefix):
            m = read_marker(prefix)
            if not is_conda_env(prefix) and (m is None or not _made_by_a_job(prefix)):
                # a marker file alone proves nothing (it could come out of an archive): the folder must also be
                # where TorchDesk creates envs, or where a job's lock note says it was working
                raise EngineError("remove", f"{prefix} is not a conda environment, and no TorchDesk job is known to"
                                  " have created it; not removing it")
            if m is not None and m.alive():
                raise EngineError("remove", f"{prefix} is being created by TorchDesk (pid {m.pid}); not removing it")
        elif not is_conda_env(prefix):
            raise EngineError("remove", f"{prefix} is not a conda environment (no conda-meta/history); not removing it")
        shutil.rmtree(prefix)
        unregister_env(prefix)
        from ..kernels import remove_kernels  # its Jupyter kernelspec, only the one TorchDesk wrote

        remove_kernels(prefix)
    finally:
        lock.release()
