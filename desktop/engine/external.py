"""External engines: conda, mamba or micromamba found on the machine, driven as a subprocess.

conda (and mamba 1.x, which is conda underneath) with --json writes one JSON object per progress update,
each followed by a NUL byte: {"fetch":"<package> | <size> | ","finished":false,"maxval":1,"progress":0.63}
(conda/plugins/reporter_backends/json.py), then one pretty-printed JSON document with the result:
{"success": true, "actions": {...}, "prefix": ...} or {"error": ..., "exception_name": ..., "message": ...}.
micromamba (and mamba 2.x) with --json prints only the final document; we show its text lines meanwhile.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .base import Engine, EngineError, StageCallback, register_env
from .registry import DEFAULT_ENGINE, Availability, EngineInfo

if TYPE_CHECKING:  # procs (and psutil) load when an engine runs, not when the registry is built
    from ..model import Host
    from ..procs import CancelToken

KINDS = ("conda", "mamba", "micromamba")


def create_command(kind: str, exe: str, specs: Sequence[str], channels: Sequence[str], prefix: Path) -> list[str]:
    """The create command line for `kind`: only the given channels, JSON output, no prompts."""
    cmd = [exe, "create", "--yes", "--json", "--prefix", str(prefix), "--override-channels"]
    for c in channels:
        cmd += ["-c", c]
    if kind == "micromamba":
        cmd.append("--no-rc")  # the user's .mambarc must not add channels behind our back
    return cmd + list(specs)


def remove_command(kind: str, exe: str, prefix: Path) -> list[str]:
    if kind == "micromamba":
        return [exe, "env", "remove", "--yes", "--json", "--prefix", str(prefix)]
    return [exe, "env", "remove", "--yes", "--json", "--prefix", str(prefix)]


@dataclass(frozen=True)
class FetchEvent:
    """One progress update from conda's --json stream."""

    package: str  # "qt-main-5.15.8"
    size: str | None  # "50.0 MB"
    progress: float
    finished: bool


_FETCH_DESC = re.compile(r"^\s*(?P<pkg>.+?)\s*\|\s*(?P<size>[^|]*?)\s*\|")


def parse_fetch(obj: dict[str, Any]) -> FetchEvent | None:
    """A FetchEvent for a conda --json progress object, else None."""
    if "fetch" not in obj:
        return None
    desc = str(obj.get("fetch", ""))
    m = _FETCH_DESC.match(desc)
    pkg, size = (m.group("pkg"), m.group("size") or None) if m else (desc.strip(" |"), None)
    try:
        progress = float(obj.get("progress", 0.0)) / float(obj.get("maxval", 1) or 1)
    except (TypeError, ValueError):
        progress = 0.0
    return FetchEvent(pkg, size, max(0.0, min(progress, 1.0)), bool(obj.get("finished")))


class JsonStream:
    """Feeds on output lines; yields FetchEvents as they come and keeps the final result document."""

    def __init__(self) -> None:
        self._doc: list[str] = []
        self.events: list[FetchEvent] = []
        self.text: list[str] = []

    def feed(self, line: str) -> FetchEvent | None:
        s = line.replace("\0", "").rstrip()
        if not s:
            return None
        if not self._doc and s.startswith("{") and s.endswith("}"):
            try:
                obj = json.loads(s)
            except ValueError:
                obj = None
            if isinstance(obj, dict):
                ev = parse_fetch(obj)
                if ev is not None:
                    self.events.append(ev)
                    return ev
                self._doc = [s]
                return None
        if self._doc or s.startswith("{"):
            self._doc.append(s)
        else:
            self.text.append(s)
        return None

    def result(self) -> dict[str, Any] | None:
        """The final JSON document, if one was printed."""
        text = "\n".join(self._doc)
        start = text.find("{")
        if start < 0:
            return None
        try:
            obj = json.loads(text[start:])
        except ValueError:
            return None
        return obj if isinstance(obj, dict) else None


def error_sentence(result: dict[str, Any] | None, text: Sequence[str], code: int) -> str:
    """One sentence for a failed create, from the --json error document or the last text lines."""
    if result:
        msg = result.get("message") or result.get("error")
        name = result.get("exception_name")
        if msg:
            first = str(msg).strip().splitlines()
            return f"{name + ': ' if name else ''}{' '.join(x.strip() for x in first[:4])}"
    tail = [t for t in text if t.strip()][-3:]
    return " ".join(tail) or f"exited with code {code}"


def _version(exe: str) -> str | None:
    import subprocess

    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"(\d+\.\d+(\.\d+)?)", out)
    return m.group(1) if m else None


class ExternalEngine:
    """conda / mamba / micromamba as a subprocess."""

    def __init__(self, kind: str, exe: str) -> None:
        if kind not in KINDS:
            raise EngineError("preflight", f"unknown external engine {kind!r}")
        self.kind = kind
        self.name = kind
        self.exe = exe

    @classmethod
    def find(cls, kind: str, *, exe: str | None = None) -> ExternalEngine:
        """The engine for `kind`: `exe`, $TORCHDESK_<KIND>_EXE, or the first `kind` on PATH (or in MAMBA_EXE/CONDA_EXE)."""
        env_key = {"conda": "CONDA_EXE", "micromamba": "MAMBA_EXE", "mamba": "MAMBA_EXE"}[kind]
        candidates = [exe, os.environ.get(f"TORCHDESK_{kind.upper()}_EXE"), shutil.which(kind)]
        env_exe = os.environ.get(env_key)
        if env_exe and Path(env_exe).name.split(".")[0] == kind:
            candidates.append(env_exe)
        for c in candidates:
            if c and (Path(c).is_file() or shutil.which(c)):
                return cls(kind, c)
        raise EngineError("preflight", f"no {kind} executable found on PATH; install {kind}, pass its path, "
                          f"or use the {DEFAULT_ENGINE} engine (the default)")

    def describe(self) -> str:
        v = _version(self.exe)
        return f"{self.kind} {v or '(version unknown)'} at {self.exe}"

    def create(self, specs: Sequence[str], channels: Sequence[str], prefix: Path, *,
               on_line: Callable[[str], None], on_stage: StageCallback, cancel: CancelToken) -> None:
        from ..procs import Cancelled, run_streaming

        cmd = create_command(self.kind, self.exe, specs, channels, prefix)
        on_line("$ " + " ".join(cmd))
        on_stage("solve", None, f"{self.kind}: solving {' '.join(specs)}")
        stream = JsonStream()
        fetched: dict[str, float] = {}

        def on_out(line: str) -> None:
            ev = stream.feed(line)
            if ev is None:
                clean = line.replace("\0", "").rstrip()
                if clean and not stream._doc:
                    on_line(clean)
                return
            fetched[ev.package] = ev.progress
            done = sum(fetched.values()) / max(len(fetched), 1)
            size = f" ({ev.size})" if ev.size else ""
            on_stage("download", done, f"{ev.package}{size} {ev.progress:.0%}")

        env = dict(os.environ)
        env.pop("CONDA_JSON", None)
        try:
            code = run_streaming(cmd, on_line=on_out, cancel=cancel, env=env)
        except FileNotFoundError:
            raise EngineError("solve", f"{self.exe} is not there any more") from None
        if cancel.is_cancelled:
            raise Cancelled()
        result = stream.result()
        if result is not None:
            on_line(json.dumps(result, indent=1)[:4000])
        if code != 0 or (result is not None and result.get("success") is False):
            stage = "solve" if not fetched else "link"
            raise EngineError(stage, f"{self.kind} could not create the environment: {error_sentence(result, stream.text, code)}")
        on_stage("link", 1.0, f"{self.kind}: linked")
        register_env(prefix)  # conda registers it too; harmless if already listed


def engine_entries() -> list[EngineInfo]:
    """The registry entries for conda, mamba and micromamba: found by `ExternalEngine.find`, built the same way."""

    def entry(kind: str) -> EngineInfo:
        def build(exe: str | None, host: Host | None) -> Engine:
            return ExternalEngine.find(kind, exe=exe)  # it solves against its own detection, not `host`

        def probe() -> Availability:
            try:
                return Availability(True, ExternalEngine.find(kind).exe)
            except EngineError as exc:
                return Availability(False, exc.message)

        return EngineInfo(kind, f"a {kind} on this machine (PATH or $TORCHDESK_{kind.upper()}_EXE), run as a "
                                "subprocess", build, probe)

    return [entry(kind) for kind in KINDS]
