"""One owner per environment: an exclusive OS lock keyed on the prefix, and the marker a job leaves in the folder
it is creating.

The lock is `filelock`'s (flock on POSIX, LockFileEx on Windows): the kernel drops it when its holder dies,
even by kill -9, so a lock is never stale. Next to each lock file an owner file says who holds it (pid,
command, since, prefix), so a refused job can name the holder; after a kill -9 the owner file stays, which
is how `envs` finds an interrupted job's folder wherever it was.

The marker (`<prefix>/.torchdesk-creating`) says "this folder is being created by job J of pid P"; it is
removed when the job commits. Clean-up removes a folder only if it carries its own job's marker.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import filelock

from .errors import TorchDeskError


MARKER = ".torchdesk-creating"


def _locks_dir() -> Path:
    """$TORCHDESK_LOCK_DIR, else <user state dir>/locks (per user, never the shared temp dir)."""
    value = os.environ.get("TORCHDESK_LOCK_DIR")
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("torchdesk", appauthor=False)) / "locks"


def lock_key(prefix: Path) -> str:
    """The prefix as one lock sees it: absolute, symlinks resolved (two spellings of a folder share a lock)."""
    return os.path.realpath(os.path.abspath(os.path.expanduser(str(prefix))))


class LockError(TorchDeskError):
    """The lock could not be taken: a sentence for the user (`message`) and what to do (`fix`, the hint)."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


class EnvBusy(LockError):
    """Another job holds the environment's lock."""


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str
    since: str  # ISO time, UTC
    prefix: str

    def describe(self) -> str:
        return f"pid {self.pid} ({self.command}), since {self.since}"


def _this_command() -> str:
    try:
        import psutil

        cmd = " ".join(psutil.Process().cmdline())
    except Exception:
        cmd = " ".join(sys.argv)
    from .secrets import mask_text

    return mask_text(cmd)[:300]  # masked before the cut, so a cut URL cannot keep part of a token


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > 64 * 1024:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _holder(data: dict[str, Any] | None) -> Holder | None:
    if not data:
        return None
    try:
        return Holder(int(data["pid"]), str(data.get("command", "?")), str(data.get("since", "?")), str(data["prefix"]))
    except (KeyError, TypeError, ValueError):
        return None


class EnvLock:
    """The exclusive lock on one prefix. `acquire()` never waits: a held lock raises EnvBusy at once."""

    def __init__(self, prefix: Path, command: str | None = None) -> None:
        self.key = lock_key(prefix)
        digest = hashlib.sha256(self.key.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        self.folder = _locks_dir()
        self.path = self.folder / f"{digest}.lock"
        self.owner_path = self.folder / f"{digest}.owner"
        self.command = command or _this_command()
        self._lock: filelock.BaseFileLock | None = None

    def acquire(self) -> EnvLock:
        """Take the lock or raise EnvBusy naming the holder."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise LockError(f"cannot create the lock folder {self.folder}: {exc.strerror or exc}",
                                 "fix its permissions, or set TORCHDESK_LOCK_DIR to a folder you can write") from None
        lock = filelock.FileLock(str(self.path), timeout=0, thread_local=False)
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            who = self._describe_holder()
            raise EnvBusy(f"another TorchDesk job is working on {self.key}: {who}",
                          "wait for it to finish (or stop it), then try again") from None
        self._lock = lock
        owner = {"pid": os.getpid(), "command": self.command, "prefix": self.key,
                 "since": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}
        tmp = self.owner_path.with_suffix(f".tmp{os.getpid()}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # also when a stale tmp of a dead process with this pid was there
            with os.fdopen(fd, "w", encoding="utf-8") as f:  # 0600: the command line is the user's business
                f.write(json.dumps(owner))
            os.replace(tmp, self.owner_path)
        except OSError:
            pass  # the lock still holds; only the holder's description is missing
        return self

    def _describe_holder(self) -> str:
        """Who holds the lock. The holder writes its note just after taking the lock, over any note a killed
        job left: in that short window the note is missing or names a dead pid, so wait for it (briefly)."""
        import psutil

        deadline = time.monotonic() + 2.0
        while True:
            holder = _holder(_read_json(self.owner_path))
            if holder is not None and psutil.pid_exists(holder.pid):
                return holder.describe()
            if time.monotonic() >= deadline:
                return holder.describe() if holder else "another TorchDesk process"
            time.sleep(0.05)

    def release(self, *, keep_owner: bool = False) -> None:
        """Drop the lock (and the owner file, unless an unfinished folder should stay findable by it)."""
        if self._lock is None:
            return
        if not keep_owner:
            try:
                self.owner_path.unlink()
            except OSError:
                pass
        self._lock.release()
        self._lock = None

    def __enter__(self) -> EnvLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class EnvIncomplete(LockError):
    """The environment carries a job's marker: still being created, or left by a job that was killed."""


def hold_finished_env(prefix: Path, doing: str) -> EnvLock:
    """Take `prefix`'s lock for a job on a finished env (repair, export --lock), without waiting: EnvBusy while
    another job holds it, EnvIncomplete when the folder carries a job's marker. `doing` names the job ("repairing")."""
    lock = EnvLock(prefix).acquire()
    if not has_marker(Path(prefix)):
        return lock
    lock.release()
    m = read_marker(Path(prefix))
    since = f", started {m.started}" if m else ""
    if m is not None and m.alive():
        raise EnvBusy(f"{prefix} is being created by TorchDesk (pid {m.pid}{since}); not {doing} it",
                      "wait for it to finish, then try again")
    raise EnvIncomplete(f"{prefix} is incomplete: its creation was interrupted (pid {m.pid if m else '?'}{since});"
                        f" not {doing} it", "rebuild it with `torchdesk create --replace`, or `torchdesk remove` it")


def is_locked(prefix: Path) -> bool:
    """True if some live process holds the lock on `prefix` (tried without waiting, released at once)."""
    path = EnvLock(prefix, command="probe").path
    return path.exists() and _held(path)


def _held(path: Path) -> bool:
    """True if a live process holds the lock file `path` (tried without waiting, released at once)."""
    lock = filelock.FileLock(str(path), timeout=0, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        return True
    except OSError:
        return False
    lock.release()
    return False


def running_jobs() -> list[str]:
    """Who is creating, replacing or removing an environment right now: the holders of the locks held now."""
    out: list[str] = []
    try:
        locks = sorted(_locks_dir().glob("*.lock"))
    except OSError:
        return out
    for path in locks:
        if _held(path):
            holder = _holder(_read_json(path.with_suffix(".owner")))
            out.append(holder.describe() if holder else "a TorchDesk process")
    return out


def recorded_prefixes() -> list[Path]:
    """Prefixes named by owner files whose lock nobody holds: jobs that were killed before they finished."""
    out: list[Path] = []
    try:
        owners = sorted(_locks_dir().glob("*.owner"))
    except OSError:
        return out
    for f in owners:
        holder = _holder(_read_json(f))
        if holder is None or is_locked(Path(holder.prefix)):
            continue
        if has_marker(Path(holder.prefix)):
            out.append(Path(holder.prefix))
        else:  # that job's folder is gone or finished: the note has done its work
            try:
                f.unlink()
            except OSError:
                pass
    return out


# --- the marker ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Marker:
    job: str
    pid: int
    pid_started: float | None  # the process's start time: a reused pid is not the same job
    started: str
    replaced: str | None = None  # where an env moved aside for --replace waits to be put back

    def alive(self) -> bool:
        """Is the process that wrote this marker still running?"""
        try:
            import psutil

            p = psutil.Process(self.pid)
            if self.pid_started is not None and abs(p.create_time() - self.pid_started) > 1.0:
                return False
            return p.status() != psutil.STATUS_ZOMBIE
        except Exception:
            return False


def new_marker(replaced: Path | None = None) -> Marker:
    """A marker for a job of this process."""
    try:
        import psutil

        started: float | None = psutil.Process().create_time()
    except Exception:
        started = None
    return Marker(uuid.uuid4().hex, os.getpid(), started, time.strftime("%Y-%m-%d %H:%M:%S"),
                  str(replaced) if replaced else None)


def write_marker(prefix: Path, marker: Marker) -> None:
    """Create `prefix` (which must not exist, or be empty) and mark it as being created by `marker`'s job."""
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / MARKER).write_text(json.dumps(marker.__dict__), encoding="utf-8")


def read_marker(prefix: Path) -> Marker | None:
    """The marker in `prefix`, or None (no marker, or one that is unreadable)."""
    data = _read_json(prefix / MARKER)
    if data is None:
        return None
    try:
        return Marker(str(data["job"]), int(data["pid"]),
                      float(data["pid_started"]) if data.get("pid_started") is not None else None,
                      str(data.get("started", "?")), str(data["replaced"]) if data.get("replaced") else None)
    except (KeyError, TypeError, ValueError):
        return None


def has_marker(prefix: Path) -> bool:
    """True if `prefix` carries a marker file (readable or not)."""
    return os.path.lexists(prefix / MARKER)


def remove_marker(prefix: Path) -> None:
    """The job committed: the folder is an ordinary environment now."""
    try:
        (prefix / MARKER).unlink()
    except FileNotFoundError:
        pass
