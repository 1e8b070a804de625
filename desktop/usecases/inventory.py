"""One inventory of the conda environments on this machine, for both faces: `torchdesk envs`, `doctor`,
`verify --name`, `remove`, and the app's Environments tab (its start-up list and its Refresh) all read it.

Sources, in the order they are looked at (an env found twice is one entry, with both sources):
- TorchDesk's own envs folder (`paths.envs_dir`);
- every line of ~/.conda/environments.txt, the registry conda, mamba and micromamba all keep
  (conda's own owner of "which environments exist" is `conda/core/envs_manager.py`, which reads the same file);
- each conda, mamba or micromamba installation detection finds: its base (the root prefix) and the children of
  its envs folders (envs/, ~/.conda/envs, CONDA_ENVS_PATH / CONDA_ENVS_DIRS, .condarc `envs_dirs`);
- the lock notes of TorchDesk jobs killed while creating a `--prefix` env elsewhere.
Entries are deduplicated by real path (symlinks, `..`, trailing slashes); a folder counts when it has conda-meta/
(what detection has always required) or carries a TorchDesk job's marker. Nothing is run; files are only read.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import UsageError
from ..model import CondaEnv, CondaInstall
from ..paths import SPEC_RECORD

# where an entry was found: the values of EnvEntry.sources
TORCHDESK = "torchdesk"  # TorchDesk's envs folder
REGISTRY = "environments.txt"  # a line of ~/.conda/environments.txt
CONDA_BASE = "conda-base"  # the root prefix of a conda installation
CONDA_ENVS = "conda-envs"  # a child of a conda installation's envs folders (or of ~/.conda/envs, .condarc envs_dirs)
JOB_NOTE = "job-note"  # the lock note of a TorchDesk job killed before it finished (a --prefix anywhere)
PATH = "path"  # named by its path in a lookup, and found by no other source

# an entry's state (the JSON `state` of `torchdesk envs --json`)
OK = "ok"
INCOMPLETE = "incomplete (creation interrupted)"  # a marker whose job is gone: `torchdesk remove` deletes it
BEING_CREATED = "being created"  # a marker whose job still runs; "(pid N)" follows when the marker names it
NO_PYTHON = "no python (its interpreter is missing)"



@dataclass(frozen=True)
class EnvEntry:
    """One environment: what it is called, where it is, what is in it, where it was found and its state."""

    name: str
    prefix: str
    python: str | None = None
    torch: str | None = None
    torch_build: str | None = None
    installer: str | None = None
    sources: tuple[str, ...] = ()
    state: str = OK
    by_torchdesk: bool = False  # created by TorchDesk: its spec record, in its envs folder, or a killed job's note

    @property
    def ok(self) -> bool:
        return self.state == OK

    @property
    def unfinished(self) -> bool:
        """A TorchDesk job's folder: still being created, or left by a job that was killed."""
        return self.state == INCOMPLETE or self.state.startswith(BEING_CREATED)

    def conda_env(self) -> CondaEnv:
        """The same env as the CondaEnv the rest of the core passes around."""
        return CondaEnv(self.name, self.prefix, self.python, self.torch, self.torch_build, self.installer)

    def to_json(self) -> dict[str, Any]:
        """The entry as `torchdesk envs --json` prints it (the CondaEnv fields first, then the inventory's)."""
        d = asdict(self)
        d["sources"] = list(self.sources)
        return d


class EnvLookupError(UsageError):
    """No environment, or more than one, answers to a name: `prefixes` lists the candidates (empty when none)."""

    def __init__(self, message: str, prefixes: Sequence[str] = (), *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.prefixes = tuple(prefixes)


def _key(p: Path | str) -> str:
    """The dedup key: the real path, case-folded where the file system folds case."""
    try:
        return os.path.normcase(os.path.realpath(p))
    except (OSError, ValueError):
        return os.path.normcase(os.path.abspath(p))


def _is_env(p: Path) -> bool:
    try:
        return (p / "conda-meta").is_dir() or _has_marker(p)
    except (OSError, ValueError):
        return False


def _has_marker(p: Path) -> bool:
    from ..locks import has_marker

    try:
        return p.is_dir() and not p.is_symlink() and has_marker(p)
    except (OSError, ValueError):
        return False


def _children(d: Path) -> list[Path]:
    try:
        return sorted(d.iterdir()) if d.is_dir() else []
    except (OSError, ValueError):
        return []


def _state(p: Path) -> str:
    from ..locks import is_locked, read_marker
    from ..paths import env_python

    if _has_marker(p):
        m = read_marker(p)
        if (m is not None and m.alive()) or is_locked(p):
            return f"{BEING_CREATED} (pid {m.pid})" if m is not None else BEING_CREATED
        return INCOMPLETE
    try:
        return OK if env_python(p).exists() else NO_PYTHON
    except (OSError, ValueError):
        return NO_PYTHON


def discover_installs(env: dict[str, str] | None = None) -> tuple[tuple[CondaInstall, ...], tuple[CondaEnv, ...]]:
    """The conda installations detection finds on this machine, and the envs it found with them."""
    from ..detect.conda import discover_conda
    from ..detect.probe import Probe, system_name

    environ = dict(os.environ if env is None else env)
    home = environ.get("HOME") or environ.get("USERPROFILE")
    installs, envs, _notes = discover_conda(Probe(home=Path(home) if home else None), environ, system_name())
    return installs, envs


def list_environments(installs: Sequence[CondaInstall] | None = None,
                      detected: Iterable[CondaEnv] = ()) -> list[EnvEntry]:
    """Every environment on this machine, once each, sorted by name: see the module's docstring for the sources.

    `installs` and `detected` are what detection found (Host.conda, Host.envs); None looks for them now."""
    from ..detect.conda import read_env, read_registry
    from ..locks import recorded_prefixes
    from ..paths import conda_environments_txt, envs_dir

    if installs is None:
        installs, detected = discover_installs()
    roots = {_key(i.root_prefix) for i in installs if i.root_prefix}
    conda_dirs = [Path(d) for i in installs for d in i.envs_dirs]
    conda_dirs.append(Path(os.path.expanduser("~")) / ".conda" / "envs")
    conda_dir_keys = {_key(d) for d in conda_dirs}
    registry = [Path(line) for line in read_registry(conda_environments_txt())]

    found: dict[str, tuple[Path, list[str]]] = {}  # key -> (the prefix shown, its sources)

    def add(p: Path, source: str) -> None:
        if not _is_env(p):
            return
        key = _key(p)
        if key not in found:
            found[key] = (p, [source])
            return
        shown, sources = found[key]
        if source not in sources:
            sources.append(source)
        if shown.is_symlink() and not p.is_symlink():  # a symlinked duplicate: show the real folder
            found[key] = (p, sources)

    for c in _children(envs_dir()):
        add(c, TORCHDESK)
    for p in registry:
        add(p, REGISTRY)
    for i in installs:
        if i.root_prefix:
            add(Path(i.root_prefix), CONDA_BASE)
    for d in dict.fromkeys(conda_dirs):
        for c in _children(d):
            add(c, CONDA_ENVS)
    registry_keys = {_key(p) for p in registry}
    for e in detected:  # what detection found beyond the above: .condarc envs_dirs
        p = Path(e.prefix)
        k = _key(p)
        if k in roots:
            add(p, CONDA_BASE)
        elif k not in registry_keys or _key(p.parent) in conda_dir_keys:
            add(p, CONDA_ENVS)
    for p in recorded_prefixes():
        add(p, JOB_NOTE)

    torchdesk_dir = _key(envs_dir())
    out = [_entry(p, tuple(sources), "base" if key in roots else p.name, torchdesk_dir, read_env)
           for key, (p, sources) in found.items()]
    return sorted(out, key=lambda e: (e.name.lower(), e.prefix))


def _entry(p: Path, sources: tuple[str, ...], name: str, torchdesk_dir: str, read_env: Any) -> EnvEntry:
    state = _state(p)
    try:
        recorded = (p / SPEC_RECORD).is_file()
    except (OSError, ValueError):
        recorded = False
    # a marker alone proves nothing (it could come out of an archive), as engine.base.remove_env also holds
    mine = recorded or JOB_NOTE in sources or _key(p.parent) == torchdesk_dir
    if state == INCOMPLETE or state.startswith(BEING_CREATED):  # half-linked files: nothing in it is read
        return EnvEntry(name, str(p), sources=sources, state=state, by_torchdesk=mine)
    info = read_env(p, name)
    return EnvEntry(name, str(p), info.python, info.torch, info.torch_build, info.installer, sources, state, mine)


def _is_path(text: str) -> bool:
    return os.sep in text or bool(os.altsep and os.altsep in text)


def find_environments(name_or_prefix: str, entries: Sequence[EnvEntry] | None = None) -> list[EnvEntry]:
    """The entries with this name, or the one at this path (an env the inventory does not list is still found
    by its path, as long as it has conda-meta/ or a TorchDesk marker)."""
    from ..detect.conda import read_env
    from ..paths import envs_dir

    if entries is None:
        entries = list_environments()
    if not _is_path(name_or_prefix):
        return [e for e in entries if e.name == name_or_prefix]
    p = Path(name_or_prefix).expanduser().absolute()  # as environments.txt lists it, so remove unregisters it
    key = _key(p)
    hits = [e for e in entries if _key(e.prefix) == key]
    if hits:
        return hits[:1]
    if not _is_env(p):
        return []
    return [_entry(p, (PATH,), p.name, _key(envs_dir()), read_env)]


def find_environment(name_or_prefix: str, entries: Sequence[EnvEntry] | None = None, *,
                     by_path: str = "--prefix PATH") -> EnvEntry:
    """The one environment with this name (or at this path); EnvLookupError when there is none, or more than one
    (`by_path` is how the caller's face names an env by its folder, for the hint)."""
    from ..safeio import shown_path
    from ..sanitize import escape_controls

    if entries is None:
        entries = list_environments()
    found = find_environments(name_or_prefix, entries)
    shown = escape_controls(shown_path(name_or_prefix))
    if len(found) == 1:
        return found[0]
    if found:
        listed = "; ".join(escape_controls(e.prefix) for e in found)
        raise EnvLookupError(f"{len(found)} environments are named {shown!r}: {listed}",
                             [e.prefix for e in found], hint=f"name the one you mean by its folder: {by_path}")
    known = ", ".join(sorted({escape_controls(shown_path(e.name)) for e in entries})) or "none found"
    raise EnvLookupError(f"no conda environment named {shown!r} (found: {known})",
                         hint="`torchdesk envs` lists them")



def require_finished(entry: EnvEntry) -> EnvEntry:
    """`entry` itself, or a UsageError when a TorchDesk job's folder is still being created or was left unfinished."""
    from ..sanitize import escape_controls

    if not entry.unfinished:
        return entry
    hint = ("wait for its job to finish" if entry.state != INCOMPLETE
            else f"remove it with `torchdesk remove {entry.prefix}` and create it again")
    raise UsageError(escape_controls(f"the environment {entry.name} at {entry.prefix} is {entry.state}"),
                     hint=escape_controls(hint))
