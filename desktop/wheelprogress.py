"""Reading the wheel installers' output: what a dry run says will be installed, uv's byte counters on a terminal,
pip's lines, and one wording of the byte progress for the CLI, the app and the log.

Pure functions and small state machines over text (no process is run here), split out of wheelstage.py so
they can be tested on captured output alone.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from packaging.utils import canonicalize_name

Log = Callable[[str], None]

_MIB = 1024 * 1024


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


def parse_dry_run(lines: Sequence[str]) -> list[tuple[str, str, str | None, bool]]:
    """(name, version, filename, cached) for each package a verbose `uv pip install --dry-run` would install."""
    files: dict[str, str] = {}
    cached: dict[str, bool] = {}
    plus: list[tuple[str, str]] = []
    for line in lines:
        if m := _SELECT.search(line):
            files[canonicalize_name(m.group(1))] = m.group(3)
        elif m := _CACHED.search(line):
            cached[canonicalize_name(m.group(1))] = True
        elif m := _UNCACHED.search(line):
            cached[canonicalize_name(m.group(1))] = False
        elif m := _PLUS.match(line):
            plus.append((m.group(1), m.group(2)))
    return [(n, v, files.get(canonicalize_name(n)), cached.get(canonicalize_name(n), False)) for n, v in plus]


def index_sources(args: Sequence[str]) -> list[str]:
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
        self.sizes = {canonicalize_name(w.name): w.size or 0 for w in plan.to_download}
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
        key = canonicalize_name(name)
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
        key = canonicalize_name(name)
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


@dataclass
class Screen:
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

