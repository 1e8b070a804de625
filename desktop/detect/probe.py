"""The probe: every bit of I/O detection does (files under a root, commands, `which`, pynvml, psutil).

Tests point `Probe.root` at a laid-out tree and replace the rest to replay real captures.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RunResult:
    rc: int
    stdout: str
    stderr: str = ""


def _run_command(cmd: Sequence[str], timeout: float) -> RunResult:
    """Run a command without a shell; a child that outlives `timeout` is killed and abandoned, never waited on."""
    import subprocess

    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, errors="replace", creationflags=flags)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:  # a child stuck in the kernel may not die: wait a moment, then leave it
            proc.communicate(timeout=1.0)
        except Exception:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
            pass
        raise TimeoutError(f"no answer in {timeout:g} s") from None
    return RunResult(proc.returncode, out or "", err or "")


def _which(name: str) -> str | None:
    import shutil

    return shutil.which(name)


def read_file(p: Path, limit: int = 1 << 20) -> str | None:
    """The first `limit` characters of a text file, or None when it cannot be read."""
    try:
        with open(p, encoding="utf-8", errors="replace") as f:
            return f.read(limit)
    except (OSError, ValueError):
        return None


@dataclass
class Probe:
    """Where detection reads from. Tests point `root` at a laid-out tree and replace the rest."""

    root: Path = Path("/")
    system: str | None = None  # "linux" | "windows" | "macos"; None: this machine's
    machine: str | None = None
    home: Path | None = None
    run: Callable[[Sequence[str], float], RunResult] = _run_command
    which: Callable[[str], str | None] = _which
    pynvml: Any = None  # None: import the real one when needed
    psutil: Any = None
    glibc: str | None = None  # None: ask this interpreter's C library (only when root is '/')

    def path(self, p: str | Path) -> Path:
        """An absolute machine path, under `root`."""
        p = Path(p)
        return self.root / p.relative_to(p.anchor) if p.is_absolute() else self.root / p

    def read(self, p: str | Path, limit: int = 1 << 20) -> str | None:
        try:
            with open(self.path(p), encoding="utf-8", errors="replace") as f:
                return f.read(limit)
        except (OSError, ValueError):
            return None

    def exists(self, p: str | Path) -> bool:
        try:
            return self.path(p).exists()
        except (OSError, ValueError):
            return False


def system_name() -> str:
    """This machine's OS as detection names it: linux, windows or macos."""
    import platform

    s = platform.system().lower()
    return {"darwin": "macos"}.get(s, "windows" if s.startswith(("win", "cygwin", "msys")) else s)


def call_with_timeout(fn: Callable[[], T], timeout: float) -> T:
    """Run `fn` in a daemon thread; raise TimeoutError if it has not returned in `timeout` s (it is abandoned)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - carried back to the caller
            box["error"] = exc

    t = threading.Thread(target=target, name="torchdesk-nvml", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise TimeoutError(f"no answer in {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]  # what fn returned: T, kept in an untyped box
