"""`import LOCK-FOLDER`: build a new env with exactly a lock's files (desktop/exactlock.py reads and checks the
folder), each checked against its hash; holds the prefix's lock and marks the folder it creates (desktop/locks.py)
until it commits, and ends like a create (desktop/jobclean.py)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any, Callable

from .diskuse import PRIVATE_CACHE_PREFIX, sweep_private_caches
from .exactlock import LockError, LockPlan, foreign_urls, load_lock
from .lockfetch import cached_wheel, download, file_digest, file_digests, rattler_recorded_sha256, url_host
from .wheelenv import find_uv, link_mode, pip_env, uv_env


def _fetch_conda(entries: list[tuple[str, str, str]], cache: Path, folder: Path, on_line: Callable[[str], None],
                 cancel: Any = None, sha256s: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """What the engine's child needs to install each locked conda package (desktop/engine/explicit.py): an archive
    proven to be the locked file (the package cache's own copy, or one downloaded into `folder`, hashed against the
    lock), or the package cache's extraction when the sha256 rattler recorded for it is the locked sha256. An
    extraction alone proves nothing about an md5 lock (rattler records only the sha256), so that archive is
    downloaded again and checked — unless the lock also gives its sha256 (`sha256s`: the `# sha256:` line TorchDesk's
    export writes beside each md5), which proves the extraction as for a sha256 lock; the md5 is then still
    checked on any archive that is used."""
    out: list[dict[str, Any]] = []
    for n, (url, kind, digest) in enumerate(entries):
        sha = digest if kind == "sha256" else (sha256s or {}).get(url)
        fn = urllib.parse.unquote(url.rsplit("/", 1)[-1])
        stem = fn[: -len(".tar.bz2")] if fn.endswith(".tar.bz2") else fn[: -len(".conda")] if fn.endswith(".conda") else None
        if stem is None or "/" in stem or stem.startswith("."):
            raise LockError(f"{url} is not a conda package file (.conda or .tar.bz2)")
        item: dict[str, Any] = {"url": url, "fn": fn, "kind": kind, "digest": digest, "stem": stem, "archive": None}
        cached = cache / fn
        if cached.is_file():  # an archive in the cache (conda keeps them there): its bytes are the proof
            got = file_digests(cached, (kind, "sha256") if kind == "md5" and sha is not None else (kind,))
            if got[kind] != digest:
                raise LockError(f"the package cache's {fn} has {kind} {got[kind]}, but the lock says {digest}; not "
                                f"installing it (remove {cached} if it is not the locked file, then import again)")
            if kind == "md5" and sha is not None and got["sha256"] != sha:
                raise LockError(f"the package cache's {fn} matches the lock's md5 but not its sha256 {sha}; not "
                                f"installing it (remove {cached} if it is not the locked file, then import again)")
            on_line(f"using {fn} from the package cache (its {kind} matches the lock)")
            item["archive"] = str(cached)
        elif sha is not None and (cache / stem / "info" / "index.json").is_file() \
                and rattler_recorded_sha256(cache, stem) == sha:
            on_line(f"using {stem} from the package cache (the sha256 recorded for it matches the lock)")
            # an md5 entry proven by its `# sha256:` line: the md5 cannot be checked without the archive, so the new
            # env's record carries only the proven sha256 (a re-export then writes URL#sha256:)
            item.update(kind="sha256", digest=sha)
        else:
            if (cache / stem).exists():
                on_line(f"the package cache's {stem} is not proven to be the locked file; checking the archive")
            on_line(f"downloading {fn} from {url_host(url)}")
            tmp = folder / str(n) / fn
            download(url, tmp, sha, cancel)
            if kind == "md5":  # conda's own check
                md5 = file_digest(tmp, "md5")
                if md5 != digest:
                    raise LockError(f"{url} does not match its locked md5 ({md5} != {digest}); not using it")
            item["archive"] = str(tmp)
        out.append(item)
    return out


def _install_conda(entries: list[tuple[str, str, str]], target: Path, on_line: Callable[[str], None],
                   cancel: Any, sha256s: dict[str, str] | None = None) -> None:
    """Install exactly the lock's conda packages into `target` through the embedded engine's child process (py-rattler
    never runs in this process: desktop/engine/embedded.py says why); a cancel kills the child."""
    from .engine.base import EngineError
    from .engine.embedded import EmbeddedEngine
    from .paths import pkgs_dir
    from .procs import CancelToken

    cache = pkgs_dir()
    with tempfile.TemporaryDirectory(prefix="torchdesk-lock-") as work:
        packages = _fetch_conda(entries, cache, Path(work), on_line, cancel, sha256s)
        listing = Path(work) / "packages.json"
        listing.write_text(json.dumps(packages), encoding="utf-8")
        private: Path | None = None
        try:
            private = _new_private_cache(cache)
            _fill_private_cache(cache, private, packages, cancel)
            EmbeddedEngine(cache_dir=private).install_explicit(listing, target, on_line=on_line,
                                                               cancel=cancel if cancel is not None else CancelToken())
            _keep_archives(cache, packages, Path(work))
            _adopt(private, cache, packages)
        except EngineError as exc:
            raise LockError(exc.message) from None
        except OSError as exc:  # a full disk while linking the private cache, say: one sentence, and clean up
            raise LockError(f"could not prepare the package cache for the import: {exc.strerror or exc}") from None
        finally:
            if private is not None:
                shutil.rmtree(private, ignore_errors=True)


def _new_private_cache(cache: Path) -> Path:
    """An empty package cache for this install, inside the shared one (same filesystem: links, not copies). rattler
    links whatever extraction its cache holds for a package, so with the shared cache an archive-proven package could
    still be linked from an unproven extraction beside it (a folder without rattler's record is taken over as it is);
    here an archive is always extracted afresh. The pid in the name lets a later import or `cache clean` remove it
    after a kill -9 (sweep_private_caches)."""
    cache.mkdir(parents=True, exist_ok=True)
    sweep_private_caches(cache)
    return Path(tempfile.mkdtemp(prefix=f"{PRIVATE_CACHE_PREFIX}{os.getpid()}-", dir=cache))


def _fill_private_cache(cache: Path, private: Path, packages: list[dict[str, Any]], cancel: Any) -> None:
    """Put in `private` only what `_fetch_conda` proved by its recorded sha256: those extractions, hard-linked from the
    shared cache with rattler's record (no byte copied; the new env still shares the files)."""
    for p in packages:
        if p.get("archive"):
            continue
        if cancel is not None and cancel.is_cancelled:
            from .procs import Cancelled

            raise Cancelled()
        stem = str(p["stem"])
        _link_tree(cache / stem, private / stem)
        record = cache / f"{stem}.lock"
        if record.is_file():
            shutil.copy2(record, private / record.name)


def _keep_archives(cache: Path, packages: list[dict[str, Any]], work: Path) -> None:
    """Keep each archive this import downloaded and proved in the shared cache, so the next import (which hashes a
    cached archive against its lock) needs no download. os.link never replaces a file: where the cache already holds
    one of that name (another job's), it stays as it is."""
    for p in packages:
        archive = Path(str(p.get("archive") or ""))
        if not p.get("archive") or not archive.is_relative_to(work):
            continue
        dest = cache / str(p["fn"])
        staged = cache / f".{p['fn']}.{os.getpid()}.part"
        try:
            try:
                os.link(archive, dest)
                continue
            except OSError as exc:
                if isinstance(exc, FileExistsError):
                    continue
            shutil.copy2(archive, staged)  # another filesystem: copy beside it, then link into place
            os.link(staged, dest)
        except OSError:
            pass
        finally:
            staged.unlink(missing_ok=True)


def _adopt(private: Path, cache: Path, packages: list[dict[str, Any]]) -> None:
    """Move the extractions rattler just made from proven archives into the shared cache, so the next create or import
    reuses them, only where the shared cache has neither the folder nor rattler's record for it. The record is
    claimed first with os.link, which never replaces a file; the folder follows only if that name is still free, and
    the claim is given back when it is not (a record must never vouch for a folder this import did not make)."""
    for p in packages:
        if not p.get("archive"):
            continue
        stem = str(p["stem"])
        fresh, record, dest = private / stem, private / f"{stem}.lock", cache / stem
        if not (fresh / "info" / "index.json").is_file() or not record.is_file() or os.path.lexists(dest):
            continue
        try:
            os.link(record, cache / record.name)
        except OSError:  # a record is there already (another job's), or links are refused: leave the cache alone
            continue
        try:
            if os.path.lexists(dest):
                raise FileExistsError(dest)
            os.rename(fresh, dest)
        except OSError:
            try:
                if os.stat(cache / record.name).st_ino == os.stat(record).st_ino:
                    os.unlink(cache / record.name)
            except OSError:
                pass


def _link_tree(src: Path, dst: Path) -> None:
    """`dst` as a copy of `src` made of hard links (plain copies where the filesystem refuses a link); symlinks,
    to files or to folders, are recreated as they are."""
    for root, dirs, files in os.walk(src):
        out = dst / Path(root).relative_to(src)
        out.mkdir(parents=True, exist_ok=True)
        for d in dirs:
            if (Path(root) / d).is_symlink():  # os.walk does not enter it, so it would be left out
                os.symlink(os.readlink(Path(root) / d), out / d)
        for f in files:
            s = Path(root) / f
            if s.is_symlink():
                os.symlink(os.readlink(s), out / f)
                continue
            try:
                os.link(s, out / f)
            except OSError:
                shutil.copy2(s, out / f)


def rebuild_from_lock(lock_dir: Path | str | LockPlan, *, name: str | None = None, prefix: str | None = None,
                      on_line: Callable[[str], None], cancel: Any = None, replace: bool = False) -> Path:
    """Build a new env with exactly the lock's files: conda packages from the package cache (or their URLs), wheels
    from the wheel cache (or their URLs), each checked against its hash. Holds the prefix's lock and marks the
    folder it creates (desktop/locks.py) until it commits; on failure removes only a folder carrying its marker."""
    from .daytwo import apply_day_two
    from .engine.base import is_conda_env, protected_env
    from .jobclean import clean_up, commit_env, discard_moved_aside, record_spec
    from .locks import EnvLock, LockError as EnvLockError, new_marker, read_marker, write_marker
    from .paths import env_python
    from .procs import Cancelled, run_streaming

    plan = lock_dir if isinstance(lock_dir, LockPlan) else load_lock(lock_dir, name=name, prefix=prefix)
    spec, entries, wheels, target = plan.spec, plan.entries, plan.wheels, plan.target
    foreign = foreign_urls(plan)
    if foreign:
        raise LockError(f"the lock fetches {foreign[0]} from a host its environment.yml does not name "
                        f"({len(foreign)} such URL(s)); not using it — rebuild the lock from the intended sources")

    def check_cancel() -> None:
        if cancel is not None and cancel.is_cancelled:
            raise Cancelled()

    try:
        env_lock = EnvLock(target).acquire()
    except EnvLockError as exc:
        raise LockError(f"{exc.message}; {exc.fix}") from None
    created = False
    marker = None
    moved_aside: Path | None = None
    warnings: list[str] = []
    try:
        if target.is_symlink():
            raise LockError(f"{target} is a symbolic link; not building through a link (give the real folder with -p)")
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            mk = read_marker(target) if target.is_dir() else None
            if mk is not None and mk.alive():
                raise LockError(f"{target} is being created by another TorchDesk job (pid {mk.pid}); wait for it")
            if not replace:
                raise LockError(f"{target} already exists; it was left as it is (choose another name, or pass "
                                "--replace to rebuild it)")
            if mk is None and not is_conda_env(target):
                raise LockError(f"{target} already exists and is not a conda environment; not touching it")
            why = protected_env(target) if mk is None else None
            if why:
                raise LockError(f"{why}; it cannot be replaced")
            moved_aside = target.with_name(f".{target.name}.torchdesk-replaced-{os.getpid()}")
            os.rename(target, moved_aside)
            on_line(f"moved the old environment aside to {moved_aside}")
        check_cancel()
        marker = new_marker(moved_aside)
        write_marker(target, marker)
        created = True
        _install_conda(entries, target, on_line, cancel, plan.sha256s)
        check_cancel()
        with tempfile.TemporaryDirectory(prefix="torchdesk-wheels-") as tmp:
            reqs = []
            for w in wheels:
                check_cancel()
                path = cached_wheel(w.filename, w.sha256)
                if not path.is_file() or file_digest(path, "sha256") != w.sha256:
                    on_line(f"downloading {w.filename} from {url_host(w.url)}")
                    download(w.url, path, w.sha256, cancel)
                if _same_fs(path, Path(tmp)):
                    os.link(path, Path(tmp) / w.filename)
                else:
                    shutil.copy2(path, tmp)
                reqs.append(f"{w.name}=={w.version} --hash=sha256:{w.sha256}\n")
            req_file = Path(tmp) / "requirements.txt"
            req_file.write_text("".join(reqs), encoding="utf-8")
            # the installer the create job's wheel stage uses (uv, pip where uv cannot run), so the rebuilt env's
            # files, INSTALLER and RECORD included, are the ones the original got
            from .paths import uv_cache_dir

            uv, _why = find_uv()
            installer = "uv" if uv else "pip"
            if uv:
                cache = uv_cache_dir()
                cmd = [uv, "pip", "install", "--python", str(env_python(target)), "--no-config", "--no-index",
                       "--link-mode", link_mode(cache, target)[0], "--find-links", tmp, "--no-deps",
                       "--require-hashes", "-r", str(req_file)]
                env = uv_env(cache)
            else:
                cmd = [str(env_python(target)), "-m", "pip", "install", "--progress-bar", "off", "--no-index",
                       "--find-links", tmp, "--no-deps", "--require-hashes", "-r", str(req_file)]
                env = pip_env()
            on_line("$ " + " ".join(cmd))
            if wheels:
                code = run_streaming(cmd, on_line=on_line, cancel=cancel, env=env)
                check_cancel()
                if code != 0:
                    raise LockError(f"{installer} could not install the locked wheels (exit {code}); "
                                    "see the output above")
        record_spec(spec, target, on_line)
        apply_day_two(spec, target, on_line=on_line, cancel=cancel)
        check_cancel()
        commit_env(target, on_line, warnings)
        created = False
        if moved_aside is not None:
            discard_moved_aside(moved_aside, on_line, warnings)
    except BaseException:
        if created or moved_aside is not None:
            clean_up(target if created else None, moved_aside, on_line, marker=marker)
        raise
    finally:
        env_lock.release()
    return target


def _same_fs(a: Path, b: Path) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False
