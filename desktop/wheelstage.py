"""The create job's wheel stage: torch & co, then the user's extras, into the new env with uv (pip as fallback).

uv (the `uv` package from PyPI ships the binary) installs into the env's own interpreter with
`uv pip install --python <env python>`, from TorchDesk's uv cache, hardlinking files out of it (clone on
macOS) so a second env of the same build costs seconds and almost no disk. The rules the pip stage had hold:
- the spec's index options are the only sources: `--no-config`, and no UV_*/PIP_* variable reaches uv;
- `--index-strategy unsafe-best-match`: pip's rule (every index is searched for every package), so a spec
  that names PyPI as an extra index still gets its `+cu121` torch from PyTorch's index, as pip did;
- the extras are installed under the torch pins as constraints: they cannot replace the planned torch;
- the CancelToken kills uv's (or pip's) whole tree; every line of output goes to the log.

Before downloading, a dry run (with uv's resolver and installer logging on) says what uv will install and which of it is already in its cache;
the index's JSON API (PEP 691/700 `size`), else HEAD requests, give the sizes, so the job knows the total
bytes up front. On POSIX uv then runs under a pseudo-terminal so it draws its per-file byte counters, which
are read back (ANSI stripped) into bytes done / total / speed; elsewhere its plain "Downloading"/"Downloaded"
lines give per-file progress. pip runs only where uv cannot: no uv binary, or an option uv refuses.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from .envspec import EnvSpec
from .errors import JobFailed
from .paths import env_python, uv_cache_dir
from .procs import CancelToken, Cancelled, child_process_options, run_streaming

Enter = Callable[..., None]  # enter(stage, fraction, message, **progress fields)
Log = Callable[[str], None]

_MIB = 1024 * 1024


# --- which installer, with what environment ----------------------------------------------------------------------

def find_uv() -> tuple[str | None, str]:
    """(path of the uv binary, '') or (None, why uv cannot run here)."""
    try:
        import uv
    except ImportError:
        return None, "the uv package is not installed"
    try:
        path = uv.find_uv_bin()
    except Exception as exc:  # FileNotFoundError: the wheel's binary is missing
        return None, f"the uv binary was not found ({exc})"
    if not os.access(path, os.X_OK):
        return None, f"the uv binary at {path} cannot be run"
    return str(path), ""


def _clean_env() -> dict[str, str]:
    """This process's environment without anything that would steer pip, uv or the env's python."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PIP_", "UV_", "PYTHON", "CONDA_", "VIRTUAL_ENV"))}


def pip_env() -> dict[str, str]:
    """The environment for the new env's pip: no user pip config or PIP_* variables, so the spec's index
    options are the only sources (a pip.conf extra-index-url would silently widen where torch comes from)."""
    env = _clean_env()
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               PIP_ROOT_USER_ACTION="ignore", PYTHONNOUSERSITE="1")
    return env


# uv variables that say how to reach an index, never which one: kept, so a user behind a TLS-inspecting proxy
# (UV_NATIVE_TLS) or a slow link (timeouts, retries) is served as their own uv would be.
UV_TRANSPORT_VARS = ("UV_NATIVE_TLS", "UV_HTTP_TIMEOUT", "UV_HTTP_RETRIES", "UV_CONCURRENT_DOWNLOADS")


def uv_env(cache: Path) -> dict[str, str]:
    """The environment for uv: no UV_*/PIP_* variables (uv reads both) but the transport ones, our cache, no colours."""
    env = _clean_env()
    env.update({k: os.environ[k] for k in UV_TRANSPORT_VARS if k in os.environ})
    env.update(UV_CACHE_DIR=str(cache), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never", NO_COLOR="1",
               PYTHONNOUSERSITE="1")
    env.setdefault("TERM", "xterm")
    return env


def link_mode(cache: Path, prefix: Path) -> tuple[str, str]:
    """uv's --link-mode for this cache and env, and the sentence the log says about it.

    Hardlinks where the cache and the env share a filesystem (a file's bytes then exist once, however
    many envs use it); clone (copy-on-write) on macOS, where APFS makes that as cheap and safer against
    edits; copy when they are on different filesystems, since a hardlink cannot cross one."""
    def dev(p: Path) -> int | None:
        while not p.exists() and p != p.parent:
            p = p.parent
        try:
            return p.stat().st_dev
        except OSError:
            return None

    same = dev(cache) is not None and dev(cache) == dev(prefix)
    if sys.platform == "darwin":
        return "clone", f"files are cloned from the cache {cache} (copy-on-write; a full copy where the disk cannot)"
    if same:
        return "hardlink", f"files are hardlinked from the cache {cache} (same filesystem as {prefix})"
    return "copy", f"files are copied from the cache {cache}: it is on another filesystem than {prefix}"


# --- what will be downloaded, and how big it is ------------------------------------------------------------------

@dataclass(frozen=True)
class PlannedWheel:
    name: str
    version: str
    filename: str | None  # the distribution file uv picked, where it said
    cached: bool  # already in uv's cache: no download
    size: int | None  # bytes to download (None: unknown)


@dataclass(frozen=True)
class WheelPlan:
    wheels: tuple[PlannedWheel, ...] = ()

    @property
    def to_download(self) -> tuple[PlannedWheel, ...]:
        return tuple(w for w in self.wheels if not w.cached)

    @property
    def total_bytes(self) -> int:
        """Bytes to download: the sizes of the files not in the cache (unknown sizes count 0)."""
        return sum(w.size or 0 for w in self.to_download)

    @property
    def cached_names(self) -> tuple[str, ...]:
        return tuple(w.name for w in self.wheels if w.cached)


_SELECT = re.compile(r"Selecting: (\S+)==(\S+) \[[^\]]*\] \(([^)]+)\)")
_CACHED = re.compile(r"(?:Registry requirement already cached|Requirement already cached): (\S+?)==(\S+)")
_UNCACHED = re.compile(r"Identified uncached distribution: (\S+?)==(\S+)")
_PLUS = re.compile(r"^\s*\+ (\S+?)==(\S+)")


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_dry_run(lines: Sequence[str]) -> list[tuple[str, str, str | None, bool]]:
    """(name, version, filename, cached) for each package a verbose `uv pip install --dry-run` would install."""
    files: dict[str, str] = {}
    cached: dict[str, bool] = {}
    plus: list[tuple[str, str]] = []
    for line in lines:
        if m := _SELECT.search(line):
            files[_canon(m.group(1))] = m.group(3)
        elif m := _CACHED.search(line):
            cached[_canon(m.group(1))] = True
        elif m := _UNCACHED.search(line):
            cached[_canon(m.group(1))] = False
        elif m := _PLUS.match(line):
            plus.append((m.group(1), m.group(2)))
    return [(n, v, files.get(_canon(n)), cached.get(_canon(n), False)) for n, v in plus]


def _sources(args: Sequence[str]) -> list[str]:
    """The index and find-links URLs in a list of pip/uv options (PyPI when no index is named)."""
    out: list[str] = []
    index: str | None = None
    no_index = False
    it = iter(args)
    for a in it:
        key, eq, val = a.partition("=")
        if key in ("--index-url", "-i", "--extra-index-url", "--find-links", "-f"):
            val = val if eq else next(it, "")
            if key in ("--index-url", "-i"):
                index = val
            else:
                out.append(val)
        elif a == "--no-index":
            no_index = True
    if not no_index:
        out.insert(0, index or "https://pypi.org/simple")
    return out


# --- reading uv's progress ---------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")
_BAR = re.compile(r"([A-Za-z0-9][\w.+-]*)\s+-{4,}\s+([\d.]+ ?[KMGTP]?i?B)/([\d.]+ ?[KMGTP]?i?B)")
_PLAIN_DL = re.compile(r"^\s*Downloading (\S+) \(([\d.]+ ?[KMGTP]?i?B)\)")
_PLAIN_DONE = re.compile(r"^\s*Downloaded (\S+)\s*$")
_UNITS = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3,
          "TIB": 1024**4, "TB": 1000**4}


def parse_bytes(text: str) -> int:
    """'12.50 MiB' -> 13107200."""
    m = re.fullmatch(r"\s*([\d.]+)\s*([KMGTP]?i?B)\s*", text)
    if not m:
        raise ValueError(f"not a size: {text!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def _is_noise(fragment: str) -> bool:
    """Spinner frames and bar redraws: the screen, not the log."""
    c = fragment[:1]
    return ("\u2800" <= c <= "\u28ff") or c in "░█" or bool(_BAR.search(fragment))


class ByteProgress:
    """Bytes done of the planned downloads, from uv's per-file counters; speed smoothed over ~2 s."""

    def __init__(self, plan: WheelPlan, clock: Callable[[], float] = time.monotonic) -> None:
        self.sizes = {_canon(w.name): w.size or 0 for w in plan.to_download}
        self.total = plan.total_bytes
        self.done: dict[str, int] = {}
        self._clock = clock
        self._last: tuple[float, int] | None = None
        self.speed = 0.0

    @property
    def bytes_done(self) -> int:
        return min(sum(self.done.values()), self.total) if self.total else sum(self.done.values())

    def update(self, name: str, done: int, total: int | None = None) -> bool:
        """Record `done` bytes of `name`; True when the overall count moved forward."""
        key = _canon(name)
        if key not in self.sizes:
            key = next((k for k in self.sizes if k.startswith(key) or key.startswith(k)), key)
        if key not in self.sizes:  # a file the dry run did not list: count it in
            self.sizes[key] = total or 0
            self.total += total or 0
        cap = self.sizes[key] or total or done
        new = max(self.done.get(key, 0), min(done, cap))
        if new == self.done.get(key, 0):
            return False
        before = self.bytes_done
        self.done[key] = new
        now, n = self._clock(), self.bytes_done
        if self._last is None:  # the first bytes: the clock for the speed starts here, not at the dry run
            self._last = (now, n)
        t_last, n_last = self._last
        if now - t_last >= 0.5:  # a rate over at least half a second, smoothed: no wild first readings
            inst = (n - n_last) / (now - t_last)
            self.speed = inst if self.speed == 0 else 0.6 * self.speed + 0.4 * inst
            self._last = (now, n)
        return n > before

    def finish(self, name: str) -> bool:
        key = _canon(name)
        return self.update(name, self.sizes.get(key) or self.done.get(key, 0))


def byte_summary(done: int, total: int, speed: float | None = None, cached: int | None = None) -> str:
    """'123.4 of 845.0 MiB, 12.3 MiB/s, 59 s left, 2 cached': one wording for the CLI, the app and the log."""
    parts = [f"{done / _MIB:.1f} of {total / _MIB:.1f} MiB"]
    if speed:
        parts.append(f"{speed / _MIB:.1f} MiB/s")
        if total > done:
            left = (total - done) / speed
            parts.append(f"{left:.0f} s left" if left < 90 else f"{left / 60:.0f} min left")
    if cached:
        parts.append(f"{cached} cached")
    return ", ".join(parts)


# --- running the installers --------------------------------------------------------------------------------------

class _NoPty(Exception):
    """This system gives no pseudo-terminal."""


def _run_pty(cmd: Sequence[str], env: dict[str, str], on_text: Callable[[str], None], cancel: CancelToken) -> int:
    """Run `cmd` with its output on a pseudo-terminal (so uv draws byte counters); feed decoded text."""
    import fcntl
    import pty
    import struct
    import termios

    try:
        master, slave = pty.openpty()
    except OSError as exc:
        raise _NoPty(exc.strerror or str(exc)) from None
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 250, 0, 0))
        proc: subprocess.Popen[bytes] = subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,  # type: ignore[call-overload]  # per-OS options in a dict
                                env=env, **child_process_options())
    except BaseException:
        os.close(master)
        os.close(slave)
        raise
    os.close(slave)
    cancel.attach(proc)
    try:
        import codecs

        dec = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            on_text(dec.decode(chunk))
        on_text(dec.decode(b"", final=True))
        return proc.wait()
    except BaseException:
        from .procs import _kill_popen

        _kill_popen(proc)
        proc.wait()
        raise
    finally:
        cancel.detach(proc)
        os.close(master)


@dataclass
class _Screen:
    """Turns a terminal stream into log lines and byte updates."""

    log: Log
    on_bytes: Callable[[str, int, int | None], None]
    on_done: Callable[[str], None]
    buf: str = ""
    last: str = ""
    lines: list[str] = field(default_factory=list)  # what went to the log, for the error sentence
    started: set[str] = field(default_factory=set)

    def feed(self, text: str) -> None:
        self.buf += text
        *parts, self.buf = re.split(r"[\r\n]", self.buf)
        for p in parts:
            self.fragment(p)

    def flush(self) -> None:
        if self.buf:
            self.fragment(self.buf)
            self.buf = ""

    def fragment(self, raw: str) -> None:
        frag = _ANSI.sub("", raw).rstrip()
        for bar in _BAR.finditer(frag):
            if bar.group(1) not in self.started:  # the log gets one line per download, as uv writes off a terminal
                self.started.add(bar.group(1))
                self.log(f"Downloading {bar.group(1)} ({bar.group(3)})")
            self.on_bytes(bar.group(1), parse_bytes(bar.group(2)), parse_bytes(bar.group(3)))
        if m := _PLAIN_DL.match(frag):
            self.on_bytes(m.group(1), 0, parse_bytes(m.group(2)))
        elif m := _PLAIN_DONE.match(frag):
            self.on_done(m.group(1))
        if not frag.strip() or _is_noise(frag.strip()) or frag == self.last:
            return
        self.last = frag
        self.log(frag)
        self.lines.append(frag)


def uv_error(lines: Sequence[str], code: int) -> str:
    """uv's error in one sentence: its 'error:' line and, where it gave them, its innermost cause."""
    error = next((ln.strip().removeprefix("error:").strip() for ln in lines if ln.lstrip().startswith("error:")), "")
    causes = [ln.strip().split(":", 1)[1].strip() for ln in lines
              if ln.strip().lower().startswith(("cause:", "caused by:"))]
    if not error:
        return f"uv exited with code {code}"
    return f"{error} ({causes[-1]})" if causes else error


class _UvRefused(Exception):
    """uv refused the command line (an option it does not know): pip takes over."""


def _uv_install(uv: str, python: Path, args: Sequence[str], reqs: Sequence[str], *, cache: Path, mode: str,
                log: Log, enter: Enter, cancel: CancelToken, what: str) -> None:
    env = uv_env(cache)
    base = [uv, "pip", "install", "--python", str(python), "--no-config", "--index-strategy", "unsafe-best-match",
            "--link-mode", mode, *args, *reqs]
    # 1. what will be installed, and which of it is cached: a dry run (uses and fills uv's metadata cache) with
    # debug logging from the two parts of uv that say so; cheaper than -v, which logs everything (0.07 vs 0.13 s)
    dry: list[str] = []
    code = run_streaming([*base[:3], "--dry-run", *base[3:]], on_line=dry.append, cancel=cancel,
                         env={**env, "RUST_LOG": "uv_installer=debug,uv_resolver=debug"})
    if cancel.is_cancelled:
        raise Cancelled()
    if code == 2 and any("unexpected argument" in line or "unrecognized" in line for line in dry):
        for line in dry[-5:]:
            log(line)
        raise _UvRefused(next((ln for ln in dry if "unexpected argument" in ln), "an option uv does not know"))
    if code != 0:
        for line in dry:
            if not line.startswith(("DEBUG ", "TRACE ")):
                log(line)
        _fail(f"uv could not install {what}: {uv_error(dry, code)}")
    planned = parse_dry_run(dry)
    need = {w[2]: w[0] for w in planned if w[2] and not w[3] and w[2].endswith(".whl")}
    sizes: dict[str, int | None] = {}
    if need:
        from .wheels import wheel_sizes

        sizes = wheel_sizes(need, _sources(args))
    plan = WheelPlan(tuple(PlannedWheel(n, v, f, c, None if c else sizes.get(f or "")) for n, v, f, c in planned))
    for w in plan.wheels:
        size = "" if w.size is None else f", {w.size / _MIB:.1f} MiB"
        log(f"  {w.name}=={w.version}  ({'cached: no download' if w.cached else 'to download' + size})")
    total = plan.total_bytes
    hits = len(plan.cached_names)
    log(f"wheels: {len(plan.to_download)} to download ({total / _MIB:.1f} MiB), {hits} from the cache")
    unknown = [w.name for w in plan.to_download if w.size is None]
    if unknown:
        log(f"note: the index does not say the size of {', '.join(unknown)}; the total leaves them out")
    check_space(plan, cache, python, mode)
    progress = ByteProgress(plan)

    def report(msg: str | None = None) -> None:
        done, tot = progress.bytes_done, progress.total
        frac = (done / tot) if tot else None
        text = msg or "downloading " + byte_summary(done, tot, progress.speed, hits)
        enter("pip", frac, text, bytes_done=done, bytes_total=tot, speed=progress.speed or None, cached=hits)

    report(f"installing {what}: {total / _MIB:.1f} MiB to download, {hits} cached" if plan.wheels else
           f"installing {what}: nothing to download")

    def on_bytes(name: str, done: int, tot: int | None) -> None:
        if progress.update(name, done, tot):
            report()

    def on_done(name: str) -> None:
        if progress.finish(name):
            report()

    # 2. the install itself
    cmd = base
    log("$ " + " ".join(cmd))
    screen = _Screen(log, on_bytes, on_done)
    result: int | None = None
    if os.name == "posix" and plan.to_download:  # a terminal only where there are bytes to show: it costs time
        try:
            result = _run_pty(cmd, env, screen.feed, cancel)
        except _NoPty as exc:  # a locked-down container: uv's plain lines instead
            log(f"note: no pseudo-terminal here ({exc}); progress per file, not per byte")
    if result is None:
        result = run_streaming(cmd, on_line=lambda ln: screen.feed(ln + "\n"), cancel=cancel, env=env)
    code = result
    screen.flush()
    if cancel.is_cancelled:
        raise Cancelled()
    if code != 0:
        _fail(f"uv could not install {what}: {uv_error(screen.lines, code)}")
    for w in plan.to_download:  # done: each planned file is in, whatever the last redraw showed
        progress.finish(w.name)
    enter("pip", 1.0, f"installed {what}", bytes_done=progress.total, bytes_total=progress.total,
          speed=progress.speed or None, cached=hits)


# A wheel is a zip: unpacked, its files take more than the download. Measured on the torch 2.13.0 CPU wheel
# for Python 3.11 (its zip directory): 180.9 MiB compressed, 666.9 MiB unpacked, 3.7x; 4x stays on the safe side.
UNPACK_FACTOR = 4


def check_space(plan: WheelPlan, cache: Path, python: Path, mode: str) -> None:
    """Fail before downloading when the cache's disk (and the env's, when files are copied) cannot hold the
    wheels still to download, unpacked; files already in the cache cost nothing more (they are linked)."""
    import shutil

    need = plan.total_bytes * UNPACK_FACTOR
    if not need:
        return
    places = [cache] + ([python.parent.parent] if mode == "copy" else [])
    for place in places:
        p = place
        while not p.exists() and p != p.parent:
            p = p.parent
        free = shutil.disk_usage(p).free
        if free < need:
            raise JobFailed("pip", f"not enough free space in {place}: the wheels still to download need about "
                            f"{need / 1024**3:.1f} GiB unpacked and only {free / 1024**3:.1f} GiB is free",
                            "free some space, or run 'torchdesk cache clean' to drop cached files no environment uses")


def _fail(message: str) -> None:
    raise JobFailed("pip", message, "check the index URL and that you are online; the log has the installer's full output")


# --- pip, the fallback -------------------------------------------------------------------------------------------

_PIP_COLLECT = re.compile(r"^Collecting (\S+)")
_PIP_DOWNLOAD = re.compile(r"^\s*Downloading (\S+)(?: \(([^)]+)\))?")
_PIP_INSTALLING = re.compile(r"^Installing collected packages: (.*)$")
_PIP_DONE = re.compile(r"^Successfully installed (.*)$")


class PipProgress:
    """Turns pip's output lines into (fraction, message): collecting, downloading, installing."""

    def __init__(self, expected: int) -> None:
        self.expected = max(expected, 1)
        self.collected = 0
        self.downloaded = 0

    def feed(self, line: str) -> tuple[float | None, str] | None:
        if m := _PIP_COLLECT.match(line):
            self.collected += 1
            return None, f"collecting {m.group(1)}"
        if m := _PIP_DOWNLOAD.match(line):
            self.downloaded += 1
            total = max(self.collected, self.expected)
            size = f" ({m.group(2)})" if m.group(2) else ""
            name = m.group(1).rsplit("/", 1)[-1]
            return min(0.8 * self.downloaded / total, 0.8), f"downloading {name}{size}"
        if m := _PIP_INSTALLING.match(line):
            return 0.85, f"installing {m.group(1)}"
        if m := _PIP_DONE.match(line):
            return 1.0, f"installed {m.group(1)}"
        return None


def _pip(python: Path, args: Sequence[str], reqs: Sequence[str], log: Log, enter: Enter, cancel: CancelToken,
         what: str) -> None:
    cmd = [str(python), "-m", "pip", "install", "--progress-bar", "off", *args, *reqs]
    log("$ " + " ".join(cmd))
    progress = PipProgress(len(reqs))
    errors: list[str] = []

    def on_line(line: str) -> None:
        log(line)
        if line.startswith("ERROR:"):
            errors.append(line[6:].strip())
        got = progress.feed(line)
        if got is not None:
            enter("pip", got[0], got[1])

    try:
        code = run_streaming(cmd, on_line=on_line, cancel=cancel, env=pip_env())
    except FileNotFoundError:
        raise JobFailed("pip", f"the new environment has no python at {python}", "see the log") from None
    if cancel.is_cancelled:
        raise Cancelled()
    if code != 0:
        detail = errors[0] if errors else f"pip exited with code {code}"
        raise JobFailed("pip", f"pip could not install {what}: {detail}",
                        "check the index URL and that you are online; the log has pip's full output")


# --- the stage ---------------------------------------------------------------------------------------------------

class _Installer:
    """uv while it can run, pip after the first reason it cannot; says which in the log."""

    def __init__(self, prefix: Path, log: Log, enter: Enter, cancel: CancelToken, *, use_uv: bool = True) -> None:
        self.python = env_python(prefix)
        self.log, self.enter, self.cancel = log, enter, cancel
        self.uv, why = find_uv() if use_uv else (None, "uv was turned off (TORCHDESK_INSTALLER=pip)")
        self.cache = uv_cache_dir()
        if self.uv is not None:
            try:
                self.cache.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self.uv, why = None, f"its cache {self.cache} cannot be created ({exc.strerror or exc})"
        if self.uv is not None:
            self.mode, sentence = link_mode(self.cache, prefix)
            log(f"installer: uv ({self.uv}); {sentence}")
        else:
            self.mode = ""
            log(f"installer: pip, because {why}")

    def install(self, args: Sequence[str], reqs: Sequence[str], what: str) -> None:
        if self.uv is not None:
            try:
                _uv_install(self.uv, self.python, args, reqs, cache=self.cache, mode=self.mode, log=self.log,
                            enter=self.enter, cancel=self.cancel, what=what)
                return
            except _UvRefused as exc:
                self.uv = None
                self.log(f"installer: pip from here on, because uv refused the options ({exc})")
            except FileNotFoundError as exc:
                self.uv = None
                self.log(f"installer: pip from here on, because uv could not start ({exc})")
        _pip(self.python, args, reqs, self.log, self.enter, self.cancel, what)


def run_wheel_stage(spec: EnvSpec, prefix: Path, log: Log, enter: Enter, cancel: CancelToken) -> None:
    """Install the spec's torch build, then its pip extras (constrained to the torch pins), into `prefix`."""
    if not spec.torch_requirements() and not spec.pip_extras:
        enter("pip", 1.0, "no pip packages")
        return
    use_uv = os.environ.get("TORCHDESK_INSTALLER", "uv") != "pip"
    made: list[_Installer] = []

    def installer() -> _Installer:  # made at the first install, so its choice is logged under the stage header
        if not made:
            made.append(_Installer(prefix, log, enter, cancel, use_uv=use_uv))
        return made[0]

    if spec.torch_requirements():
        enter("pip", 0.0, "installing " + " ".join(spec.torch_pins or spec.torch_requirements()))
        installer().install(spec.torch_index_args(), spec.torch_requirements(), "the torch build")
    if spec.pip_extras:
        enter("pip", None, "installing your extra packages: " + " ".join(spec.pip_extras))
        # torch is held by its pins as constraints: the extras cannot move it to another build or index.
        with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="torchdesk-constraints-", delete=False) as f:
            f.write("".join(p + "\n" for p in spec.torch_pins))
        try:
            installer().install([*spec.extras_index_args(), "-c", f.name], spec.pip_extras, "your extras")
        finally:
            os.unlink(f.name)
    enter("pip", 1.0, "pip done")

