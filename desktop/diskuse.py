"""Disk use of environments and of TorchDesk's two package caches, counting hardlinked files once.

Both caches link into environments: rattler's (conda packages, `paths.pkgs_dir`) and uv's (wheels,
`paths.uv_cache_dir`). A file whose inode has more than one link is shared: its bytes are on disk once,
however many environments (and the cache) list it. So:
- an environment's *own* size is what only it holds (link count 1): what removing it frees;
- its *shared* part is what it holds together with the cache or other environments;
- a cache entry is *in use* when any of its files has another link, i.e. an environment links to it. Cleaning
  removes whole entries that are not in use (an entry half removed would be a corrupt cache entry), so it
  never touches a file an environment still links to; with no environment left, it empties both caches.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .paths import pkgs_dir, uv_cache_dir

if TYPE_CHECKING:
    from .procs import CancelToken


@dataclass(frozen=True)
class TreeSize:
    path: str
    own_bytes: int  # files only this tree holds
    shared_bytes: int  # files also linked from elsewhere (the cache, other envs), each counted once here
    files: int
    error: str | None = None  # set when the folder could not be measured (missing, unreadable): the bytes mean nothing

    @property
    def total_bytes(self) -> int:
        return self.own_bytes + self.shared_bytes


def _files(root: Path, cancel: CancelToken | None = None, unread: list[str] | None = None) -> Iterator[os.stat_result]:
    """lstat of every regular file under root; symlinks are not followed, unreadable folders are skipped, and
    folders on another file system (a mount point inside the tree) are not entered.
    `cancel` is looked at before each folder (the walk runs no child process: nothing else to stop)."""
    try:
        dev = os.stat(root).st_dev  # the folder the walk lists: a symlinked env's target, not the link
    except OSError:
        return
    stack = [root]
    while stack:
        if cancel is not None:
            cancel.raise_if_cancelled()
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = list(it)
        except OSError:
            if unread is not None:
                unread.append(str(d))
            continue
        for e in entries:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                if st.st_dev == dev:
                    stack.append(Path(e.path))
            elif stat.S_ISREG(st.st_mode):
                yield st


def _unreadable(root: Path) -> str | None:
    """Why `root` cannot be measured (missing, not a folder, not listable), or None when it can."""
    try:
        with os.scandir(root):
            pass
    except FileNotFoundError:
        return f"could not measure {root}: the folder does not exist"
    except NotADirectoryError:
        return f"could not measure {root}: it is not a folder"
    except OSError as exc:
        return f"could not measure {root}: {exc.strerror or exc}"
    return None


def _bytes(st: os.stat_result) -> int:
    """Bytes a file takes on disk (allocated blocks where the OS says, else its length)."""
    blocks = getattr(st, "st_blocks", None)
    return blocks * 512 if blocks is not None else st.st_size


def tree_size(root: Path | str, *, cancel: CancelToken | None = None) -> TreeSize:
    """The own and shared bytes of the files under `root`, each inode counted once; a file linked twice
    inside the tree only (python3.11 and python, say) is still its own. A cancelled `cancel` raises Cancelled.
    A root that is missing, not a folder or unreadable gives a TreeSize with `error` set (not a size of 0)."""
    error = _unreadable(Path(root))
    if error is not None:
        return TreeSize(str(root), 0, 0, 0, error)
    inodes: dict[tuple[int, int], tuple[os.stat_result, int]] = {}
    unread: list[str] = []
    for st in _files(Path(root), cancel, unread):
        key = (st.st_dev, st.st_ino)
        prev = inodes.get(key)
        inodes[key] = (st, prev[1] + 1 if prev else 1)
    own = shared = 0
    for st, inside in inodes.values():
        if st.st_nlink > inside:
            shared += _bytes(st)
        else:
            own += _bytes(st)
    if unread:  # a partial sum would read as a size: say what could not be read instead
        return TreeSize(str(root), 0, 0, 0, f"could not measure {root}: {len(unread)} folder(s) inside could not be "
                                            f"read (first: {unread[0]})")
    return TreeSize(str(root), own, shared, len(inodes))


def env_sizes(prefixes: Iterable[Path | str], *, on_size: Callable[[TreeSize], None] | None = None,
              cancel: CancelToken | None = None) -> list[TreeSize]:
    """Each environment's own and shared bytes, one after the other: `on_size` hears each as soon as it is
    measured (the app fills its Size cells from it), `cancel` stops the walk (raising Cancelled).
    `torchdesk envs --sizes`, the Disk use dialog and the Environments tab all measure through this function."""
    out = []
    for p in prefixes:
        size = tree_size(p, cancel=cancel)
        out.append(size)
        if on_size is not None:
            on_size(size)
    return out


def mib(n: int) -> str:
    """Bytes as MiB with one decimal and thousands separators ('1,234.5 MiB'): the cache report's unit."""
    return f"{n / 1024 / 1024:,.1f} MiB"


def format_size(n: int) -> str:
    """Bytes as the app and `torchdesk envs --sizes` show them: binary units, one decimal (`1.5 GiB`)."""
    if n < 1024:
        return f"{n} B"
    value = n / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} TiB"


def disk_total(roots: Iterable[Path | str]) -> int:
    """Bytes on disk of everything under `roots` together, each inode counted once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for r in roots:
        for st in _files(Path(r)):
            key = (st.st_dev, st.st_ino)
            if key not in seen:
                seen.add(key)
                total += _bytes(st)
    return total


# --- the caches ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CacheEntry:
    cache: str  # "conda" (rattler's pkgs) or "wheels" (uv)
    path: str
    bytes: int
    in_use: bool  # an environment links to one of its files


@dataclass(frozen=True)
class CacheInfo:
    cache: str
    path: str
    entries: tuple[CacheEntry, ...]
    other_bytes: int  # index pages, metadata, locks: kept while anything is in use

    @property
    def total_bytes(self) -> int:
        return sum(e.bytes for e in self.entries) + self.other_bytes

    @property
    def in_use_bytes(self) -> int:
        return sum(e.bytes for e in self.entries if e.in_use)

    @property
    def freeable_bytes(self) -> int:
        """What `clean` would free now."""
        if not any(e.in_use for e in self.entries):
            return self.total_bytes
        return sum(e.bytes for e in self.entries if not e.in_use)


def _entry(cache: str, path: Path) -> CacheEntry:
    if path.is_symlink() or not path.is_dir():
        st = path.lstat()
        return CacheEntry(cache, str(path), _bytes(st) if stat.S_ISREG(st.st_mode) else 0,
                          stat.S_ISREG(st.st_mode) and st.st_nlink > 1)
    size, in_use = 0, False
    for st in _files(path):
        size += _bytes(st)
        in_use = in_use or st.st_nlink > 1
    return CacheEntry(cache, str(path), size, in_use)


def _children(d: Path) -> list[Path]:
    try:
        return sorted(d.iterdir())
    except OSError:
        return []


PRIVATE_CACHE_PREFIX = ".torchdesk-import-"  # a lock import's own package cache (desktop/lockinstall.py)


def sweep_private_caches(cache: Path) -> list[Path]:
    """Remove the private caches of imports whose process is gone (killed before its clean-up ran); return them."""
    gone = []
    for d in cache.glob(f"{PRIVATE_CACHE_PREFIX}*"):
        pid = d.name[len(PRIVATE_CACHE_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d)
        except OSError:  # alive (another user's process, say): leave it
            continue
    return gone


def conda_cache_info(root: Path | None = None) -> CacheInfo:
    """rattler's package cache: each extracted package folder and each downloaded archive is an entry."""
    root = root or pkgs_dir()
    entries, other = [], 0
    for p in _children(root):
        if p.name.startswith(PRIVATE_CACHE_PREFIX):  # a running (or killed) import's: not a cache entry
            other += _entry("conda", p).bytes
        elif p.is_dir() and not p.is_symlink() or p.name.endswith((".conda", ".tar.bz2")):
            entries.append(_entry("conda", p))
        else:
            other += _entry("conda", p).bytes
    return CacheInfo("conda", str(root), tuple(entries), other)


def wheel_cache_info(root: Path | None = None) -> CacheInfo:
    """uv's cache: each unpacked wheel under archive-v*/ is an entry; the rest is uv's metadata."""
    root = root or uv_cache_dir()
    entries = []
    archives = [d for d in _children(root) if d.name.startswith("archive-v") and d.is_dir()]
    for a in archives:
        entries += [_entry("wheels", p) for p in _children(a)]
    other = disk_total([p for p in _children(root) if p not in archives])
    return CacheInfo("wheels", str(root), tuple(entries), other)


def cache_info() -> tuple[CacheInfo, CacheInfo]:
    """Both caches: conda packages (rattler) and wheels (uv)."""
    return conda_cache_info(), wheel_cache_info()


@dataclass(frozen=True)
class CleanResult:
    removed: tuple[str, ...] = ()
    freed_bytes: int = 0
    kept_in_use: int = 0  # entries kept because an environment links to them
    errors: tuple[str, ...] = field(default_factory=tuple)


def _remove(p: Path) -> str | None:
    try:
        if p.is_symlink() or not p.is_dir():
            p.unlink()
        else:
            shutil.rmtree(p)
    except OSError as exc:
        return f"{p}: {exc.strerror or exc}"
    return None


def clean_caches(*, dry_run: bool = False) -> CleanResult:
    """Remove every cache entry no environment links to; a cache with nothing in use is emptied whole.

    Refused while a job is building an environment: the files it is linking from the caches are not yet linked
    anywhere, so they would look unused."""
    from .locks import LockError, running_jobs

    busy = running_jobs()
    if busy and not dry_run:
        raise LockError(f"a TorchDesk job is working right now ({busy[0]}); cleaning the caches under it could "
                        "remove files it is about to link", "wait for the job to finish, then clean again")
    removed: list[str] = []
    errors: list[str] = []
    freed = kept = 0
    if not dry_run and pkgs_dir().is_dir():  # a killed import's private cache first: its links make entries look used
        removed += [str(p) for p in sweep_private_caches(pkgs_dir())]
    for info in cache_info():
        root = Path(info.path)
        if not root.is_dir():
            continue
        freed += info.freeable_bytes
        if not any(e.in_use for e in info.entries):
            targets = _children(root)
        else:
            targets = [Path(e.path) for e in info.entries if not e.in_use]
            kept += sum(1 for e in info.entries if e.in_use)
        for t in targets:
            err = None if dry_run else _remove(t)
            if err:
                errors.append(err)
            else:
                removed.append(str(t))
    return CleanResult(tuple(removed), freed, kept, tuple(errors))


@dataclass(frozen=True)
class DiskReport:
    envs: tuple[tuple[Any, TreeSize], ...]  # (engine.base.CondaEnv, its sizes)
    caches: tuple[CacheInfo, ...]
    envs_bytes: int  # all environments together, hardlinks counted once
    all_bytes: int  # environments and both caches together


def disk_report(envs: Iterable[Any] | None = None) -> DiskReport:
    """Each environment's own and shared bytes, the caches, and the totals with hardlinks counted once."""
    if envs is None:
        from .usecases.inventory import list_environments

        envs = [e.conda_env() for e in list_environments() if not e.unfinished]  # sorted by name
    envs = list(envs)
    prefixes = [Path(e.prefix) for e in envs]
    return DiskReport(tuple(zip(envs, env_sizes(prefixes), strict=True)), cache_info(),
                      disk_total(prefixes), disk_total([*prefixes, pkgs_dir(), uv_cache_dir()]))
