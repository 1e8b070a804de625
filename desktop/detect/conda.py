"""Conda, mamba and micromamba installations and their environments, read from disk without running anything."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Mapping

from ..model import CondaEnv, CondaInstall, SourceNote
from ..sanitize import escape_controls
from .context import Context
from .parse import parse_conda_meta_name, parse_dist_info_version
from .probe import Probe, read_file


# ~/.conda/environments.txt: one absolute prefix per line. Real ones hold tens of lines; a file far larger than
# this, or a line longer than any path, is not a registry and is read only up to here.
REGISTRY_MAX_BYTES = 4 << 20
_PATH_MAX = 4096
_NAME_MAX = 255  # one folder name: longer ones make every stat() fail with ENAMETOOLONG
_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Tell the user (stderr, through logging's last-resort handler or the app's) once per process."""
    if message in _warned:
        return
    _warned.add(message)
    logging.getLogger("torchdesk.inventory").warning("warning: %s", message)


def read_registry(path: Path) -> list[str]:
    """The prefixes listed in an environments.txt; undecodable, control-character, relative or absurdly long
    lines are skipped with a warning (never an exception), and so is everything past REGISTRY_MAX_BYTES."""
    try:
        if not path.is_file():  # absent, a folder, or a FIFO that would block the read forever
            return []
        with open(path, "rb") as f:
            data = f.read(REGISTRY_MAX_BYTES + 1)
    except (OSError, ValueError):
        return []
    if len(data) > REGISTRY_MAX_BYTES:
        data = data[:REGISTRY_MAX_BYTES].rsplit(b"\n", 1)[0]
        warn_once(f"{path} is larger than {REGISTRY_MAX_BYTES >> 20} MiB; only its first part was read")
    out: list[str] = []
    bad: list[int] = []
    for n, raw in enumerate(data.splitlines(), 1):
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            bad.append(n)
            continue
        if not line:
            continue
        if len(line) > _PATH_MAX or any(ord(c) < 32 or ord(c) == 127 for c in line) \
                or any(len(part.encode()) > _NAME_MAX for part in re.split(r"[\\/]", line)) \
                or not (line.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", line) or line.startswith("\\\\")):
            bad.append(n)
            continue
        out.append(line)
    if bad:
        lines = ", ".join(str(n) for n in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        warn_once(f"{path}: skipped line {lines}: not a readable folder path (conda writes one absolute path "
                  "per line; remove or fix the line)")
    return out


# --- conda --------------------------------------------------------------------------------------------------------

_CONDA_HOMES = ("miniconda3", "anaconda3", "miniforge3", "mambaforge", "micromamba", ".local/share/mamba",
                "opt/miniconda3", "opt/anaconda3", "miniconda", "anaconda")
_SYSTEM_CONDA = ("/opt/conda", "/opt/miniconda3", "/opt/anaconda3", "/opt/miniforge3", "/usr/local/miniconda3",
                 "/usr/local/anaconda3", "/opt/homebrew/Caskroom/miniforge/base", "C:/ProgramData/miniconda3",
                 "C:/ProgramData/Anaconda3", "C:/ProgramData/miniforge3")


def _exe_names(kind: str, system: str) -> tuple[str, ...]:
    if system == "windows":
        return (f"Scripts/{kind}.exe", f"condabin/{kind}.bat", f"Library/bin/{kind}.exe", f"{kind}.exe")
    return (f"bin/{kind}", f"condabin/{kind}")


def _root_of(exe: Path) -> Path:
    """<root>/bin/conda, <root>/condabin/conda, <root>/Scripts/conda.exe -> <root>."""
    parent = exe.parent
    if parent.name.lower() in ("bin", "condabin", "scripts"):
        parent = parent.parent
        if parent.name.lower() == "library":
            parent = parent.parent
    return parent


def _package_version(prefix: Path, package: str) -> tuple[str, str] | None:
    meta = prefix / "conda-meta"
    try:
        names = [p.name for p in meta.iterdir() if p.name.startswith(package + "-") and p.name.endswith(".json")]
    except OSError:
        return None
    for n in sorted(names):
        parsed = parse_conda_meta_name(n).value
        if parsed and parsed[0] == package:
            return parsed[1], parsed[2]
    return None


def _condarc_envs_dirs(text: str) -> list[str]:
    """The `envs_dirs:` list of a .condarc, read line by line (no YAML import on the start-up path)."""
    out: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^envs_dirs\s*:", line):
            inline = line.split(":", 1)[1].strip()
            if inline.startswith("["):
                return [s.strip().strip("'\"") for s in inline.strip("[]").split(",") if s.strip()]
            for nxt in lines[i + 1:]:
                m = re.match(r"^\s+-\s*(.+?)\s*$", nxt)
                if not m:
                    break
                out.append(m.group(1).strip("'\""))
    return out


def read_env(prefix: Path, name: str) -> CondaEnv:
    """Python and torch of one env, from conda-meta/ and site-packages/torch-*.dist-info (nothing is run)."""
    py = _package_version(prefix, "python")
    python = py[0] if py else None
    conda_torch = _package_version(prefix, "pytorch")
    torch = torch_build = installer = None
    if conda_torch:
        torch, torch_build, installer = conda_torch[0], conda_torch[1], "conda"
    sites: list[Path] = [prefix / "Lib" / "site-packages"]
    if python:
        sites.insert(0, prefix / "lib" / f"python{'.'.join(python.split('.')[:2])}" / "site-packages")
    else:
        try:
            sites += sorted((prefix / "lib").glob("python3*/site-packages"))
        except OSError:
            pass
    for site in sites:
        try:
            infos = sorted(site.glob("torch-*.dist-info"))
        except OSError:
            continue
        if not infos:
            continue
        info = infos[-1]
        try:
            meta = (info / "METADATA").read_text(encoding="utf-8", errors="replace")[:8192]
        except OSError:
            meta = ""
        version = parse_dist_info_version(meta).value or info.name[len("torch-"):-len(".dist-info")]
        try:
            inst = (info / "INSTALLER").read_text(encoding="utf-8", errors="replace").strip() or None
        except OSError:
            inst = None
        if torch is None or version != torch:  # a pip torch over a conda one is the one that imports
            torch, torch_build, installer = version, None, inst or "pip"
        break
    def clean(value: str | None) -> str | None:  # versions come from file names and metadata: never raw controls
        return escape_controls(value)[:200] if value else value

    return CondaEnv(name=name, prefix=str(prefix), python=clean(python), torch=clean(torch),
                    torch_build=clean(torch_build), installer=clean(installer))


def discover_conda(probe: Probe, env: Mapping[str, str], system: str) -> tuple[
        tuple[CondaInstall, ...], tuple[CondaEnv, ...], list[SourceNote]]:
    """conda, mamba and micromamba installations and their envs, from the environment, PATH and usual folders."""
    home = probe.home
    found: dict[tuple[str, str], tuple[Path, Path, str]] = {}  # (kind, exe) -> (exe, root, how)

    def add(kind: str, exe: Path, how: str, root: Path | None = None) -> None:
        try:
            if not exe.is_file():
                return
        except OSError:
            return
        key = (kind, os.path.normcase(str(exe)))
        if key not in found:
            found[key] = (exe, root or _root_of(exe), how)

    for var, kind in (("CONDA_EXE", "conda"), ("MAMBA_EXE", None)):
        if env.get(var):
            p = Path(env[var])
            k = kind or ("micromamba" if "micromamba" in p.name.lower() else "mamba")
            root = Path(env["MAMBA_ROOT_PREFIX"]) if k == "micromamba" and env.get("MAMBA_ROOT_PREFIX") else None
            add(k, p, var, root)
    for kind in ("conda", "mamba", "micromamba"):
        w = probe.which(kind)
        if w:
            add(kind, Path(w), "PATH")
    bases = [home / h for h in _CONDA_HOMES] if home else []
    bases += [probe.path(p) for p in _SYSTEM_CONDA]
    for base in bases:
        for kind in ("conda", "mamba"):
            for rel in _exe_names(kind, system):
                add(kind, base / rel, "usual folder")
    if home:
        for rel in (".local/bin/micromamba", "bin/micromamba", "micromamba/bin/micromamba"):
            mroot = Path(env["MAMBA_ROOT_PREFIX"]) if env.get("MAMBA_ROOT_PREFIX") else home / "micromamba"
            add("micromamba", home / rel, "usual folder", mroot)

    installs: list[CondaInstall] = []
    env_dirs: list[Path] = []
    roots: list[Path] = []
    for (kind, _), (exe, root, _how) in found.items():
        dirs = [root / "envs"]
        if home:
            dirs.append(home / ".conda" / "envs")
        for var in ("CONDA_ENVS_PATH", "CONDA_ENVS_DIRS"):
            dirs += [Path(s) for s in env.get(var, "").split(os.pathsep) if s]
        ver = _package_version(root, kind)
        installs.append(CondaInstall(kind=kind, exe=str(exe), version=ver[0] if ver else None, root_prefix=str(root),
                                     envs_dirs=tuple(str(d) for d in dict.fromkeys(dirs))))
        env_dirs += dirs
        roots.append(root)
    if home:
        rc = read_file(home / ".condarc")
        env_dirs += [Path(os.path.expanduser(d)) if not d.startswith("~") else home / d[2:]
                     for d in _condarc_envs_dirs(rc or "")]

    prefixes: dict[str, tuple[Path, str]] = {}

    def add_env(p: Path, name: str) -> None:
        try:
            if not (p / "conda-meta").is_dir():
                return
            key = os.path.normcase(str(p.resolve()))
        except OSError:
            return
        prefixes.setdefault(key, (p, name))

    for r in roots:
        add_env(r, "base")
    for d in dict.fromkeys(env_dirs):
        try:
            children = sorted(d.iterdir()) if d.is_dir() else []
        except OSError:
            children = []
        for c in children:
            add_env(c, c.name)
    if home:
        for line in read_registry(home / ".conda" / "environments.txt"):
            p = Path(line)
            add_env(p, "base" if p in roots else p.name)
    envs = tuple(read_env(p, n) for p, n in prefixes.values())
    kinds = ", ".join(f"{i.kind} {i.version or ''}".strip() for i in installs)
    note = SourceNote("conda", bool(installs) or bool(envs),
                      f"{kinds or 'no conda, mamba or micromamba found'}; {len(envs)} env(s)")
    return tuple(installs), envs, [note]


def read_conda_source(probe: Probe, ctx: Context) -> list[SourceNote]:
    """The conda source: installations and environments (see `discover_conda`)."""
    ctx.conda, ctx.envs, notes = discover_conda(probe, ctx.env, ctx.system)
    return notes
