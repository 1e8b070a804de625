"""How a create (or lock import) ends: commit the env, or remove only what the job created and put back an env
a --replace moved aside. Split out of jobs.py; `exactlock`'s rebuild ends its jobs the same way."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Callable

from .engine.base import register_env, unregister_env
from .envspec import EnvSpec
from .locks import MARKER, Marker, read_marker, remove_marker
from .paths import SPEC_RECORD, envs_dir


def commit_env(prefix: Path, log: Callable[[str], None], warnings: list[str]) -> None:
    """The env is built: register it and drop the marker. A registry that cannot be written costs a warning,
    never the environment."""
    try:
        register_env(prefix)
    except OSError as exc:
        from .paths import conda_environments_txt

        w = (f"the environment was created but could not be added to {conda_environments_txt()} "
             f"({exc.strerror or exc}); conda will only find it by its path")
        log(f"warning: {w}")
        warnings.append(w)
    remove_marker(prefix)





def record_spec(spec: EnvSpec, prefix: Path, log: Callable[[str], None]) -> None:
    """Keep the environment.yml this env was built from inside it, so Export gives back exactly that."""
    from .envspec import write_environment_yml, without_credentials

    try:
        (prefix / SPEC_RECORD).write_text(write_environment_yml(without_credentials(spec)), encoding="utf-8")
    except OSError as exc:
        log(f"note: could not record the spec in {prefix / SPEC_RECORD}: {exc}")



def registry_snapshot() -> tuple[bool, bool]:
    """Did ~/.conda and ~/.conda/environments.txt exist before the job? (So clean-up can remove only its own.)"""
    from .paths import conda_environments_txt

    txt = conda_environments_txt()
    return txt.parent.exists(), txt.exists()


def _empty_folder(folder: Path) -> None:
    """Delete everything in `folder` but the marker (which goes last, so a cut-short clean-up still says whose)."""
    for child in list(folder.iterdir()):
        if child.name == MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            try:
                child.unlink()
            except OSError:
                pass


def clean_up(prefix: Path | None, moved_aside: Path | None, log: Callable[[str], None],
              registry_before: tuple[bool, bool] = (True, True), *, marker: Marker | None = None,
              keep_folder: bool = False, unregister: bool = True) -> None:
    """Remove what this job created (the prefix, if it carries this job's marker; a registry line or file it
    made), put back an env moved aside; touch nothing else."""
    if prefix is not None and (prefix.exists() or prefix.is_symlink()):
        mine = read_marker(prefix) if prefix.is_dir() and not prefix.is_symlink() else None
        if marker is None or mine is None or mine.job != marker.job:
            log(f"not removing {prefix}: it does not carry this job's marker")
            return
        log(f"removing the partial environment {prefix}")
        _empty_folder(prefix)
        if keep_folder:  # the user's own empty folder: emptied again, kept
            remove_marker(prefix)
        else:
            shutil.rmtree(prefix, ignore_errors=True)
    if prefix is not None and unregister:  # an external engine (conda) registers what it creates
        unregister_env(prefix)
    if moved_aside is not None and prefix is not None:
        os.rename(moved_aside, prefix)
        register_env(prefix)
        log(f"restored the previous environment at {prefix}")
    from .paths import conda_environments_txt

    txt = conda_environments_txt()
    dir_existed, txt_existed = registry_before
    try:
        if not txt_existed and txt.exists() and not txt.read_text(encoding="utf-8").strip():
            txt.unlink()
        if not dir_existed and txt.parent.exists() and not any(txt.parent.iterdir()):
            txt.parent.rmdir()
    except OSError:
        pass


def is_registered(prefix: Path) -> bool:
    """Does ~/.conda/environments.txt list `prefix`?"""
    from .engine.base import _read_registry

    return str(prefix) in _read_registry()


def discard_moved_aside(moved_aside: Path, log: Callable[[str], None], warnings: list[str]) -> None:
    """The replacement committed: delete the old env that waited aside (a link is unlinked, never followed)."""
    try:
        if moved_aside.is_symlink():
            moved_aside.unlink()
        else:
            shutil.rmtree(moved_aside)
    except OSError as exc:
        w = f"could not delete the replaced environment at {moved_aside} ({exc.strerror or exc}); delete it by hand"
        log(f"warning: {w}")
        warnings.append(w)


_REPLACED = re.compile(r"^\.(?P<name>.+)\.torchdesk-replaced-(?P<pid>\d+)$")


def recover_replaced(folder: Path, log: Callable[[str], None], *, only: str | None = None) -> list[str]:
    """Put back environments a killed `--replace` left moved aside in `folder` (`.NAME.torchdesk-replaced-PID`)
    when no live job owns them. Returns one sentence per thing done, or left for the user."""
    from .locks import is_locked

    out: list[str] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return out
    for aside in entries:
        m = _REPLACED.match(aside.name)
        if not m or (only is not None and m.group("name") != only):
            continue
        original = folder / m.group("name")
        if only is None and is_locked(original):
            continue  # its job is still running
        if original.exists() or original.is_symlink():
            mk = read_marker(original) if original.is_dir() and not original.is_symlink() else None
            if mk is not None and not mk.alive() and mk.replaced in (None, str(aside)):
                shutil.rmtree(original, ignore_errors=True)  # the interrupted replacement, marked as ours
                unregister_env(original)
            else:
                out.append(f"{aside} is an old environment an interrupted --replace moved aside, and {original}"
                           f" exists too; delete {aside} by hand once you no longer need it")
                log(out[-1])
                continue
        try:
            os.rename(aside, original)
        except OSError as exc:
            out.append(f"could not put {aside} back at {original}: {exc.strerror or exc}")
            log(out[-1])
            continue
        try:
            register_env(original)
        except OSError:
            pass
        out.append(f"put back {original}, which an interrupted --replace had moved aside to {aside}")
        log(out[-1])
    return out


def recover_envs_moved_aside() -> list[str]:
    """`recover_replaced` over every folder environments live in (envs dir, registered envs' folders)."""
    from .engine.base import _read_registry
    from .locks import recorded_prefixes

    folders = {str(envs_dir()): envs_dir()}
    for entry in _read_registry():
        folders.setdefault(str(Path(entry).parent), Path(entry).parent)
    for p in recorded_prefixes():
        folders.setdefault(str(p.parent), p.parent)
    notes: list[str] = []
    for folder in folders.values():
        notes += recover_replaced(folder, lambda line: None)
    return notes
