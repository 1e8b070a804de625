"""The embedded engine: py-rattler solves, downloads and links. No conda needed on the machine.

Virtual packages come from the detected host where it says something (__cuda from the driver, __glibc),
else from rattler's own detection. rattler writes conda-meta (history included), so conda and mamba see the
env; the job registers it in ~/.conda/environments.txt.

rattler runs in a child process (`python -m desktop.engine.embedded`), never in the app's own process:
py-rattler's tokio runtime keeps threads that drop Python objects after a failed solve returns, and when the
interpreter shuts down meanwhile the process dies with SIGSEGV/SIGABRT (about 1 exit in 5, reproduced with
a solve that fails; a one-second sleep before exit hides it). The child reports JSON lines and leaves with
os._exit, so no interpreter shutdown ever races those threads, and the app's process never loads rattler.
Cancel kills the child's process tree (desktop.procs); the job then removes the partial prefix.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Coroutine, Sequence, TypeVar

from ..model import Host
from ..paths import pkgs_dir
from ..procs import CancelToken, Cancelled, run_streaming
from .base import EngineError, StageCallback

T = TypeVar("T")


def _run_cancellable(coro: Coroutine[Any, Any, T], cancel: CancelToken) -> T:
    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(coro)

        def on_cancel() -> None:  # from the cancelling thread: hand the cancel to the loop's own
            loop.call_soon_threadsafe(task.cancel)

        remove = cancel.on_cancel(on_cancel)
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            raise Cancelled() from None
        finally:
            remove()
    finally:
        loop.close()


def virtual_packages(host: Host | None) -> list[Any]:
    """rattler's detected virtual packages, with __cuda / __glibc taken from `host` where it knows them."""
    from rattler import BuildString, GenericVirtualPackage, PackageName, Version, VirtualPackage

    detected = [vp.into_generic() for vp in VirtualPackage.detect()]
    out = {str(g.name.normalized): g for g in detected}
    if host is not None:
        if host.cuda_driver:
            out["__cuda"] = GenericVirtualPackage(PackageName("__cuda"), Version(host.cuda_driver), BuildString("0"))
        if host.glibc:
            out["__glibc"] = GenericVirtualPackage(PackageName("__glibc"), Version(host.glibc), BuildString("0"))
    return list(out.values())


class _Reporter:
    """rattler's InstallerReporter, turned into (stage, fraction, message) calls. Called from rattler's threads."""

    def __init__(self, on_stage: StageCallback, on_line: Callable[[str], None]) -> None:
        self._on_stage = on_stage
        self._on_line = on_line
        self._lock = threading.Lock()
        self._total_ops = 0
        self._cached = 0
        self._linked = 0
        self._names: dict[int, str] = {}
        self._bytes: dict[int, tuple[int, int | None]] = {}
        self._dl_names: dict[int, str] = {}
        self._next = 0

    def _token(self) -> int:
        self._next += 1
        return self._next

    def on_transaction_start(self, total_operations: int) -> None:
        self._total_ops = max(total_operations, 1)
        self._on_line(f"installing {total_operations} conda packages")

    def on_populate_cache_start(self, operation: int, package_name: str) -> int:
        with self._lock:
            t = self._token()
            self._names[t] = package_name
        return t

    def on_download_start(self, cache_entry: int) -> int:
        with self._lock:
            t = self._token()
            self._dl_names[t] = self._names.get(cache_entry, "?")
            self._bytes[t] = (0, None)
        self._on_line(f"downloading {self._dl_names[t]}")
        return t

    def on_download_progress(self, download_idx: int, progress: int, total: int | None) -> None:
        with self._lock:
            self._bytes[download_idx] = (progress, total)
            done = sum(p for p, _ in self._bytes.values())
            known = [t for _, t in self._bytes.values() if t]
            total_all = sum(known) if len(known) == len(self._bytes) else None
        frac = (done / total_all) if total_all else None
        self._on_stage("download", frac, f"{done / 1e6:.1f} MB" + (f" of {total_all / 1e6:.1f} MB" if total_all else ""))

    def on_download_completed(self, download_idx: int) -> None:
        self._on_line(f"downloaded {self._dl_names.get(download_idx, '?')}")

    def on_populate_cache_complete(self, cache_entry: int) -> None:
        with self._lock:
            self._cached += 1
            n, total = self._cached, self._total_ops
        self._on_stage("download", n / total, f"{n} of {total} packages fetched")

    def on_link_start(self, operation: int, package_name: str) -> int:
        self._on_line(f"linking {package_name}")
        return operation

    def on_link_complete(self, index: int) -> None:
        with self._lock:
            self._linked += 1
            n, total = self._linked, self._total_ops
        self._on_stage("link", n / total, f"{n} of {total} packages linked")

    def on_transaction_complete(self) -> None:
        self._on_stage("link", 1.0, "linked")

    # the rest of the protocol: no-ops
    def on_transaction_operation_start(self, operation: int) -> None: ...
    def on_transaction_operation_complete(self, operation: int) -> None: ...
    def on_validate_start(self, cache_entry: int) -> int:
        return cache_entry
    def on_validate_complete(self, validate_idx: int) -> None: ...
    def on_unlink_start(self, operation: int, package_name: str) -> int:
        return operation
    def on_unlink_complete(self, index: int) -> None: ...
    def on_post_link_start(self, package_name: str, script_path: str) -> int:
        return 0
    def on_post_link_complete(self, index: int, success: bool) -> None: ...
    def on_pre_unlink_start(self, package_name: str, script_path: str) -> int:
        return 0
    def on_pre_unlink_complete(self, index: int, success: bool) -> None: ...


def _requested(specs: Sequence[str]) -> list[Any]:
    """MatchSpecs for conda-meta's requested_spec. py-rattler 0.28's install() hands the list to Rust as is,
    so it needs the inner objects, not the Python wrappers."""
    from rattler import MatchSpec

    return [getattr(m, "_match_spec", m) for m in (MatchSpec(s) for s in specs)]


@dataclass(frozen=True)
class SolvedPackage:
    """One record of a solve, as the child process reports it."""

    name: str
    version: str
    build: str
    channel: str


def child_command() -> list[str]:
    """How to start the engine's child process: this interpreter with `-m desktop.engine.embedded`; in a frozen
    bundle, its console executable with `--embedded-engine-child` (the bundle's entry point dispatches that
    flag to `child_main`; the console one, because a windowed executable may have no stdout to report on)."""
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable)
        console = exe.with_name("torchdesk" + exe.suffix)
        return [str(console if console.is_file() else exe), CHILD_FLAG]
    return [sys.executable, "-m", "desktop.engine.embedded"]


CHILD_FLAG = "--embedded-engine-child"


def _child_env() -> dict[str, str]:
    # the child must import this very copy of `desktop`, whatever the working directory
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class EmbeddedEngine:
    """py-rattler, run in a child process of this one (see the module docstring for why)."""

    name = "embedded"

    def __init__(self, *, host: Host | None = None, cache_dir: Path | None = None) -> None:
        self.host = host
        self.cache_dir = cache_dir

    def describe(self) -> str:
        try:
            from importlib.metadata import version

            return f"embedded (py-rattler {version('py-rattler')})"
        except Exception:
            return "embedded (py-rattler)"

    def _request(self, action: str, specs: Sequence[str], channels: Sequence[str], prefix: Path | None) -> dict[str, Any]:
        host = self.host
        return {"action": action, "specs": list(specs), "channels": list(channels),
                "prefix": str(prefix) if prefix is not None else None,
                "cache": str(self.cache_dir or pkgs_dir()),
                "cuda": getattr(host, "cuda_driver", None) if host is not None else None,
                "glibc": getattr(host, "glibc", None) if host is not None else None}

    def _run_child(self, request: dict[str, Any], *, on_line: Callable[[str], None], on_stage: StageCallback,
                   cancel: CancelToken) -> list[SolvedPackage]:
        solved: list[SolvedPackage] = []
        error: list[tuple[str, str]] = []
        stage = ["solve"]

        def on_out(raw: str) -> None:
            try:
                ev = json.loads(raw) if raw.startswith("{") else None
            except ValueError:
                ev = None
            if not isinstance(ev, dict):
                if raw.strip():
                    on_line(raw)  # rattler's own warnings, a Python error in the child: log them as they are
                return
            if "l" in ev:
                on_line(str(ev["l"]))
            elif "s" in ev:
                st, frac, msg = ev["s"]
                stage[0] = st
                on_stage(st, frac, msg)
            elif "r" in ev:
                solved.append(SolvedPackage(*ev["r"]))
            elif "e" in ev:
                error.append((str(ev["e"][0]), str(ev["e"][1])))

        cmd = [*child_command(), json.dumps(request)]
        try:
            code = run_streaming(cmd, on_line=on_out, cancel=cancel, env=_child_env())
        except OSError as exc:
            raise EngineError("solve", f"could not start the embedded engine ({exc})") from None
        if cancel.is_cancelled:
            raise Cancelled()
        if error:
            raise EngineError(*error[0])
        if code != 0:
            raise EngineError(stage[0], f"the embedded engine stopped with exit code {code}; see the log")
        return solved

    def solve(self, specs: Sequence[str], channels: Sequence[str], *, cancel: CancelToken) -> list[SolvedPackage]:
        """The packages to install, solved against `channels` with this host's virtual packages."""
        return self._run_child(self._request("solve", specs, channels, None), on_line=lambda line: None,
                               on_stage=lambda *a: None, cancel=cancel)

    def create(self, specs: Sequence[str], channels: Sequence[str], prefix: Path, *,
               on_line: Callable[[str], None], on_stage: StageCallback, cancel: CancelToken) -> None:
        on_stage("solve", None, f"solving {' '.join(specs)}")
        self._run_child(self._request("create", specs, channels, prefix), on_line=on_line, on_stage=on_stage,
                        cancel=cancel)

    def install_explicit(self, packages_file: Path, prefix: Path, *, on_line: Callable[[str], None],
                         cancel: CancelToken) -> None:
        """Install exactly the conda packages `packages_file` lists (desktop/engine/explicit.py) into `prefix`."""
        request = {"action": "install", "prefix": str(prefix), "cache": str(self.cache_dir or pkgs_dir()),
                   "packages_file": str(packages_file)}
        self._run_child(request, on_line=on_line, on_stage=lambda *a: None, cancel=cancel)


# --- the child process --------------------------------------------------------------------------------------------

def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _child(request: dict[str, Any]) -> int:
    """Solve (and for "create", install) as `request` says, reporting JSON lines on stdout."""
    try:
        from rattler import MatchSpec, solve
        from rattler.install import install
        from rattler.platform import Subdir
    except ImportError as exc:  # packaging error: tell the user how to get an engine
        _emit({"e": ["solve", f"the embedded engine needs py-rattler ({exc}); install it or use --engine conda"]})
        return 1
    if request["action"] == "install":  # a lock's exact packages: no solve (desktop/engine/explicit.py)
        from .explicit import install_explicit

        return install_explicit(request, _emit)
    specs, channels = request["specs"], request["channels"]
    host = Host(cuda_driver=request.get("cuda"), glibc=request.get("glibc"))

    def line(text: str) -> None:
        _emit({"l": text})

    last = [0.0]

    def stage(st: str, frac: float | None, msg: str) -> None:
        # byte counts arrive per network chunk: ten reports a second are plenty for a progress bar
        now = time.monotonic()
        if st == "download" and frac not in (0.0, 1.0) and now - last[0] < 0.1:
            return
        last[0] = now
        _emit({"s": [st, frac, msg]})

    try:
        records = _run_cancellable(
            solve(sources=list(channels), specs=[MatchSpec(s) for s in specs],
                  platforms=[Subdir.current(), "noarch"], virtual_packages=virtual_packages(host)),
            CancelToken())
    except Exception as exc:
        _emit({"e": ["solve", f"could not solve {' '.join(specs)} from {', '.join(channels)}: {exc}"]})
        return 1
    for r in sorted(records, key=lambda r: r.name.normalized):
        _emit({"r": [r.name.normalized, str(r.version), str(r.build), str(r.channel or r.url)]})
        line(f"  {r.name.normalized} {r.version} {r.build}  ({r.channel or r.url})")
    if request["action"] != "create":
        return 0
    stage("solve", 1.0, f"{len(records)} conda packages")
    stage("download", 0.0, "fetching packages")
    cache = Path(request["cache"])
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _emit({"e": ["download", f"cannot create the package cache {cache}: {exc.strerror}"]})
        return 1
    prefix = Path(request["prefix"])
    try:
        _run_cancellable(
            install(records, target_prefix=prefix, cache_dir=cache, requested_specs=_requested(specs),
                    reporter=_Reporter(stage, line), show_progress=False),
            CancelToken())
    except Exception as exc:
        _emit({"e": ["link", f"could not install into {prefix}: {exc}"]})
        return 1
    return 0


def child_main(argv: Sequence[str]) -> None:
    """Entry of the child process: run the request in argv[0], then leave without interpreter shutdown."""
    code = 1
    try:
        code = _child(json.loads(argv[0]))
    except BaseException as exc:  # noqa: BLE001 - report anything, then still leave through os._exit
        try:
            _emit({"e": ["solve", f"the embedded engine failed: {type(exc).__name__}: {exc}"]})
        except BaseException:
            pass
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        # Never finalize: rattler's runtime threads may still drop Python objects (see the module docstring).
        os._exit(code)


if __name__ == "__main__":
    child_main(sys.argv[1:])
