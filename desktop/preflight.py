"""The create job's preflight: where the env goes, whether that folder may be used, space, wheels; before anything
is written. Split out of jobs.py (the job's orchestration) so each can be read alone; called by `create_env`
with the prefix's lock held (desktop/locks.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from .engine.base import find_env, is_conda_env, protected_env, unregister_env
from .envspec import EnvSpec, EnvSpecError, validate_env_name
from .errors import JobFailed
from .locks import has_marker, read_marker
from .model import Host
from .paths import envs_dir, existing_parent
from .wheels import check_wheels

# Used when the matrix cannot be read; the matrix's env_size_mib is the source of truth.
_FALLBACK_SIZE_MIB = {"cuda": 6500, "rocm": 9000, "cpu": 1200, "macos": 900}
_MIB = 1024 * 1024


def target_prefix(spec: EnvSpec, envs_root: Path | None = None) -> Path:
    """Where the spec's env goes: its prefix, or <envs dir>/<name>."""
    if spec.prefix:
        return Path(spec.prefix).expanduser().absolute()
    if not spec.name:
        raise EnvSpecError("the spec has neither a name nor a prefix")
    validate_env_name(spec.name)
    return (envs_root or envs_dir()) / spec.name


def size_key(spec: EnvSpec, host: Host | None = None) -> str:
    v = spec.variant or ""
    if v.startswith("cu"):
        return "cuda"
    if v.startswith("rocm"):
        return "rocm"
    if host is not None and host.os == "macos":
        return "macos"
    return "cpu"


def estimated_size_mib(spec: EnvSpec, host: Host | None = None, matrix: Any = None) -> int:
    """The env's size estimate from the matrix data (env_size_mib), by kind of build."""
    sizes: Any = getattr(matrix, "env_size_mib", None)
    if sizes is None:
        try:
            from .matrixload import default_matrix

            sizes = default_matrix().env_size_mib
        except Exception:
            sizes = _FALLBACK_SIZE_MIB
    key = size_key(spec, host)
    return int(sizes.get(key) or sizes.get("cpu") or _FALLBACK_SIZE_MIB[key])


def _write_probe(folder: Path) -> None:
    """Create and remove a file in `folder`; raises OSError where that cannot be done."""
    fd, probe = tempfile.mkstemp(prefix=".torchdesk-probe-", dir=folder)
    os.close(fd)
    os.unlink(probe)


def check_writable(folder: Path) -> str | None:
    """None if we can create files in `folder` (creating it if needed), else a sentence saying why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create the folder {folder}: {exc.strerror or exc}"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    try:
        _write_probe(folder)
    except OSError as exc:
        return f"cannot write to {folder}: {exc.strerror or exc}"
    return None



def _check_registry_writable() -> str | None:
    """None if ~/.conda/environments.txt can be written (or created), else a sentence saying why not."""
    from .paths import conda_environments_txt

    txt = conda_environments_txt()
    try:
        if txt.exists():
            with open(txt, "a", encoding="utf-8"):
                pass
            return None
    except OSError as exc:
        return f"cannot write {txt} ({exc.strerror or exc}), where conda keeps its list of environments"
    folder = existing_parent(txt.parent)
    try:
        _write_probe(folder)
    except OSError as exc:
        return f"cannot write in {folder} ({exc.strerror or exc}), where conda keeps its list of environments"
    return None



def preflight(spec: EnvSpec, log: Callable[[str], None], warnings: list[str], *, replace: bool, host: Host | None,
              size_mib: int | None, envs_root: Path | None, check_index: bool, matrix: Any = None) -> Path:
    """Check the target before anything is written and return its prefix; raises JobFailed saying why not.

    An interrupted job's marked folder is removed only with --replace; warnings collect what the wheel check said."""
    try:
        prefix = target_prefix(spec, envs_root)
    except EnvSpecError as exc:
        raise JobFailed("preflight", str(exc), "pick a name made of letters, digits, '.', '_' and '-'") from None
    what = f"an environment named {spec.name!r}" if spec.name else "an environment"
    if prefix.is_symlink():
        # building (or replacing) through a link would move the link aside and leave it, or its env, dangling
        target = os.path.realpath(prefix)
        raise JobFailed("preflight", f"{prefix} is a symbolic link to {target}; not building through a link",
                        f"give the real folder: --prefix {target}" + (" --replace" if replace else ""))
    host_env = next((p for p in prefix.parents if is_conda_env(p) and (p / "envs") not in prefix.parents), None)
    if host_env is not None:
        # an env inside another env's files (not in its envs/ folder, where conda keeps them) is removed, replaced
        # or broken together with that one, and conda would list a folder of its packages as an env of its own
        raise JobFailed("preflight", f"{prefix} is inside the conda environment {host_env}",
                        f"choose a folder outside it (environments may go in {host_env / 'envs'})")
    if prefix.is_dir() and not prefix.is_symlink() and has_marker(prefix):
        m = read_marker(prefix)
        since = f", started {m.started}" if m else ""
        if m is not None and m.alive():
            raise JobFailed("preflight", f"{prefix} is being created by another TorchDesk job (pid {m.pid}{since})",
                            "wait for it to finish, then try again")
        if not replace:
            raise JobFailed("preflight", f"{prefix} holds an environment whose creation was interrupted"
                            f" (pid {m.pid if m else '?'}{since}); it was left as it is",
                            "pass --replace to rebuild it, or `torchdesk remove` it")
        log(f"{prefix} is what an interrupted TorchDesk job left (it carries its marker); removing it (--replace)")
        shutil.rmtree(prefix)
        unregister_env(prefix)
    if prefix.exists() and (not prefix.is_dir() or any(prefix.iterdir())):
        if not is_conda_env(prefix):
            raise JobFailed("preflight", f"{prefix} already exists and is not a conda environment; not touching it",
                            "choose another name or prefix")
        if not replace:
            raise JobFailed("preflight", f"{what} already exists at {prefix}; it was left as it is",
                            "choose another name, or pass --replace to rebuild it")
        why = protected_env(prefix)
        if why:
            raise JobFailed("preflight", f"{why}; it cannot be replaced", "choose another name or prefix")
        log(f"{prefix} exists and will be replaced (--replace)")
    elsewhere = find_env(spec.name) if spec.name and not spec.prefix else None
    if elsewhere is not None and elsewhere.absolute() != prefix.absolute():
        # two envs of one name: `torchdesk remove NAME` (and verify --name) could then pick the other one
        raise JobFailed("preflight", f"{what} already exists at {elsewhere}; it was left as it is",
                        "choose another name, or give a path with --prefix")
    problem = _check_registry_writable()
    if problem:
        raise JobFailed("preflight", problem, "make ~/.conda writable for your user, then try again")
    problem = check_writable(prefix.parent)
    if problem:
        raise JobFailed("preflight", problem, "choose another folder with --prefix, or fix its permissions")
    need = size_mib if size_mib is not None else estimated_size_mib(spec, host, matrix)
    free = shutil.disk_usage(existing_parent(prefix.parent)).free // _MIB
    log(f"space: about {need} MiB needed, {free} MiB free in {prefix.parent}")
    if free < need:
        raise JobFailed("preflight",
                        f"not enough free space in {prefix.parent}: this environment needs about {need / 1024:.1f} GiB "
                        f"and only {free / 1024:.1f} GiB is free",
                        "free some space or choose another folder with --prefix")
    if check_index and spec.torch_pins:
        wc = check_wheels(spec)
        for w in wc.warnings:
            log(f"warning: {w}")
        warnings.extend(wc.warnings)
        if wc.missing:
            raise JobFailed("preflight", "; ".join(wc.missing),
                            "pick another Python with --python, or another build with --torch / --variant")
        if not wc.warnings:
            log("wheels: every pinned wheel exists for this Python and platform")
    return prefix

