"""Fetching a lock's files: the wheel cache (by sha256), and a download with a size cap, a time cap, a cancel and a
hash check. Shared by the lock's export (which caches every wheel it locks) and its rebuild (desktop/lockinstall.py)."""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable

from .exactlock import LockError


def wheel_cache_dir() -> Path:
    """Where locked wheels are kept by sha256: $TORCHDESK_WHEELS_DIR, else <user cache dir>/wheels."""
    import platformdirs

    env = os.environ.get("TORCHDESK_WHEELS_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("torchdesk", appauthor=False)) / "wheels"


def file_digests(path: Path, kinds: tuple[str, ...]) -> dict[str, str]:
    """The hex digests (md5, sha256: hashlib names) of a file's bytes, read once for all of them."""
    hashes = {k: hashlib.new(k) for k in kinds}
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            for h in hashes.values():
                h.update(chunk)
    return {k: h.hexdigest() for k, h in hashes.items()}


def file_digest(path: Path, kind: str) -> str:
    """The hex md5 or sha256 (`kind`) of a file's bytes."""
    return file_digests(path, (kind,))[kind]


def rattler_recorded_sha256(cache: Path, stem: str) -> str | None:
    """The sha256 rattler recorded for its extraction <cache>/<stem>, or None: <stem>.lock holds an 8-byte revision,
    then the 32-byte sha256 (rattler_cache's CacheMetadataFile, crates/rattler_cache/src/package_cache/cache_lock.rs in
    github.com/conda/rattler). rattler writes the record's sha256 there and checks the downloaded archive's bytes
    against it before it extracts; tests/test_lock_cache_hash.py shows the value is the archive's sha256."""
    try:
        with open(cache / f"{stem}.lock", "rb") as f:
            data = f.read(41)
    except OSError:
        return None
    return data[8:].hex() if len(data) == 40 else None


def download_limits() -> tuple[int, float]:
    """(size cap in bytes, total-time cap in seconds) of one download: $TORCHDESK_LOCK_MAX_BYTES (default 8 GiB, above
    the largest CUDA torch wheel) and $TORCHDESK_LOCK_DOWNLOAD_S (default 3600)."""
    def num(name: str, default: float) -> float:
        try:
            value = float(os.environ.get(name, default))
        except ValueError:
            return default
        return value if value > 0 else default

    return int(num("TORCHDESK_LOCK_MAX_BYTES", 8 << 30)), num("TORCHDESK_LOCK_DOWNLOAD_S", 3600.0)


def url_host(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or ("this machine" if parts.scheme == "file" else url[:80])


def download(url: str, dest: Path, sha256: str | None, cancel: Any = None) -> str:
    """Fetch url to dest (via a temporary file) within a size and a total-time cap; check sha256 when given; return
    the file's sha256. A network failure, a stall or an oversize answer is a one-line LockError naming the host."""
    import socket
    import time

    from .procs import Cancelled

    max_bytes, total_s = download_limits()
    host, fn = url_host(url), url.rsplit("/", 1)[-1][:120]
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".part-", dir=dest.parent)
    deadline = time.monotonic() + total_s
    stop: Callable[[], None] = lambda: None  # noqa: E731
    try:
        try:
            # http(s)/file only, checked by the callers; a read waits at most 60 s (or the whole budget if shorter)
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=min(60.0, total_s)) as resp:
                sock = getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)
                if cancel is not None and isinstance(sock, socket.socket):
                    def wake() -> None:  # a cancel wakes a read that waits on a silent server
                        try:
                            sock.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                    stop = cancel.on_cancel(wake)
                length = resp.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > max_bytes:
                    raise LockError(f"{host} offers {fn} with {int(length)} bytes, more than the {max_bytes}-byte cap; "
                                    "not downloading it")
                got = 0
                h = hashlib.sha256()  # hashed as it arrives: a multi-GB wheel is not read back
                while True:
                    if cancel is not None and cancel.is_cancelled:
                        raise Cancelled()
                    if time.monotonic() > deadline:
                        raise LockError(f"downloading {fn} from {host} took longer than {total_s:g} s; check the "
                                        "network (or set TORCHDESK_LOCK_DOWNLOAD_S) and try again")
                    chunk = resp.read(1 << 20)
                    if not chunk:
                        break
                    got += len(chunk)
                    if got > max_bytes:
                        raise LockError(f"{host} sent more than the {max_bytes}-byte cap for {fn}; not using it")
                    out.write(chunk)
                    h.update(chunk)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            if cancel is not None and cancel.is_cancelled:
                raise Cancelled() from None
            why = getattr(exc, "reason", None) or exc
            if isinstance(why, (socket.timeout, TimeoutError)) or "timed out" in str(why):
                why = "it stopped answering (timed out)"
            raise LockError(f"could not download {fn} from {host}: {why}; check the network and try again") from None
        digest = h.hexdigest()
        if sha256 and digest != sha256:
            raise LockError(f"{url} does not match its locked sha256 ({digest} != {sha256}); not using it")
        os.replace(tmp, dest)
        return digest
    finally:
        stop()
        if os.path.exists(tmp):
            os.unlink(tmp)


def cached_wheel(filename: str, sha256: str) -> Path:
    """The cache path of a wheel: <wheel cache>/<sha256>/<filename>."""
    if "/" in filename or "\\" in filename or filename.startswith("."):
        raise LockError(f"wheel file name {filename!r} is not a plain file name")
    return wheel_cache_dir() / sha256 / filename
