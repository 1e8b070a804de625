"""The embedded engine: py-rattler solves, downloads and links in-process. No conda needed on the machine.

Virtual packages come from the detected host where it says something (__cuda from the driver, __glibc),
else from rattler's own detection. rattler writes conda-meta (history included), so conda and mamba see the
env; we register it in ~/.conda/environments.txt.

Cancel: the solve/install coroutine runs on a private event loop; the CancelToken cancels that task, which
drops rattler's future. The job then removes the partial prefix.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Callable, Coroutine, Sequence, TypeVar

from ..model import Host
from ..paths import pkgs_dir
from ..procs import CancelToken, Cancelled
from .base import EngineError, StageCallback, register_env

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


class EmbeddedEngine:
    """py-rattler in-process."""

    name = "embedded"

    def __init__(self, *, host: Host | None = None, cache_dir: Path | None = None) -> None:
        self.host = host
        self.cache_dir = cache_dir

    def describe(self) -> str:
        try:
            import rattler

            return f"embedded (py-rattler {rattler.__version__})"
        except ImportError:
            return "embedded (py-rattler not installed)"

    def solve(self, specs: Sequence[str], channels: Sequence[str], *, cancel: CancelToken) -> list[Any]:
        """The records to install, solved against `channels` with this host's virtual packages."""
        try:
            from rattler import MatchSpec, solve
            from rattler.platform import Subdir
        except ImportError as exc:  # packaging error: tell the user how to get an engine
            raise EngineError("solve", f"the embedded engine needs py-rattler ({exc}); install it or use --engine conda") from None
        plat = Subdir.current()
        try:
            return _run_cancellable(
                solve(sources=list(channels), specs=[MatchSpec(s) for s in specs], platforms=[plat, "noarch"],
                      virtual_packages=virtual_packages(self.host)),
                cancel,
            )
        except Cancelled:
            raise
        except Exception as exc:
            raise EngineError("solve", f"could not solve {' '.join(specs)} from {', '.join(channels)}: {exc}") from None

    def install(self, records: list[Any], specs: Sequence[str], prefix: Path, *, on_line: Callable[[str], None],
                on_stage: StageCallback, cancel: CancelToken) -> None:
        from rattler.install import install

        cache = self.cache_dir or pkgs_dir()
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EngineError("download", f"cannot create the package cache {cache}: {exc.strerror}") from None
        try:
            _run_cancellable(
                install(records, target_prefix=prefix, cache_dir=cache, requested_specs=_requested(specs),
                        reporter=_Reporter(on_stage, on_line), show_progress=False),
                cancel,
            )
        except Cancelled:
            raise
        except Exception as exc:
            raise EngineError("link", f"could not install into {prefix}: {exc}") from None

    def create(self, specs: Sequence[str], channels: Sequence[str], prefix: Path, *,
               on_line: Callable[[str], None], on_stage: StageCallback, cancel: CancelToken) -> None:
        on_stage("solve", None, f"solving {' '.join(specs)}")
        records = self.solve(specs, channels, cancel=cancel)
        for r in sorted(records, key=lambda r: r.name.normalized):
            on_line(f"  {r.name.normalized} {r.version} {r.build}  ({r.channel or r.url})")
        on_stage("solve", 1.0, f"{len(records)} conda packages")
        cancel.raise_if_cancelled()
        on_stage("download", 0.0, "fetching packages")
        self.install(records, specs, prefix, on_line=on_line, on_stage=on_stage, cancel=cancel)
        register_env(prefix)
