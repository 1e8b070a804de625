"""Check for data updates: download a newer matrix.json and its signature, prove it, store it for next time.

What a downloaded file must pass before it is saved (and `load_app_matrix` checks the saved copy again):
  * it came over https:// only: a plain http:// address is refused, and so is any redirect that leaves https;
  * it is at most `max_bytes` (enforced while streaming; a body that never ends is cut, not buffered) and the
    whole exchange ends within `max_seconds` (a total cap, so a server dripping a byte at a time cannot hold on);
  * matrix.json.sig, fetched the same way, is a valid Ed25519 signature over the exact bytes, by the key shipped
    in the app (datasign.py);
  * its data_version is newer than the data in use (an old signed file replayed is refused);
  * it passes the schema, the cross-table checks, and every install URL is on an allowed host (hosts.py).
Then it is written atomically beside its signature. The bundled copy is never touched. Qt-free.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from .errors import TorchDeskError

DEFAULT_DATA_URL = "https://raw.githubusercontent.com/torchdesk/torchdesk/main/desktop/resources/matrix.json"
MAX_BYTES = 8 * 1024 * 1024
MAX_SECONDS = 60.0
READ_TIMEOUT = 20.0
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


class DataUpdateError(TorchDeskError):
    """A sentence for the user: what went wrong and that the data in use did not change."""


@dataclass(frozen=True)
class DataUpdate:
    url: str
    path: str
    old_version: str
    new_version: str

    @property
    def changed(self) -> bool:
        return self.old_version != self.new_version


def _https_only(url: str, what: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme != "https":
        shown = f"{scheme}://" if scheme else "no scheme"
        raise DataUpdateError(f"{what} {url[:200]} uses {shown}; compatibility data is downloaded over https:// only. "
                              "Change the data update URL in Settings to an https:// address.")


def signature_url(url: str) -> str:
    """https://host/path/matrix.json?x -> https://host/path/matrix.json.sig?x"""
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, p.path + ".sig", p.query, ""))


def fetch_https(url: str, *, max_bytes: int = MAX_BYTES, max_seconds: float = MAX_SECONDS,
                read_timeout: float = READ_TIMEOUT, verify: str | None = None,
                max_redirects: int = MAX_REDIRECTS) -> bytes:
    """GET `url` over https only, at most `max_bytes` and `max_seconds` in all. Raises DataUpdateError.

    `verify` is the path of a CA bundle to trust instead of the default ones (TLS is always verified).
    """
    if isinstance(verify, bool):
        raise TypeError("verify is a CA bundle path or None; certificate checks cannot be switched off")
    _https_only(url, "The address")
    deadline = time.monotonic() + max_seconds
    stop = threading.Event()
    done = threading.Event()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["data"] = _fetch(url, max_bytes, deadline, max_seconds, read_timeout, verify, max_redirects, stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            box["error"] = exc
        finally:
            done.set()

    # The whole exchange (DNS, connect, TLS, headers, body) runs in a worker the caller stops waiting for at the
    # deadline: no per-read timeout can bound a server that answers a byte at a time. The worker notices `stop`
    # at its next read and exits; its socket has a read timeout, so it cannot linger for long.
    threading.Thread(target=work, name="torchdesk-data-fetch", daemon=True).start()
    if not done.wait(max_seconds):
        stop.set()
        raise DataUpdateError(_too_slow(url, max_seconds))
    if "error" in box:
        raise box["error"]
    data: bytes = box["data"]
    return data


def _too_slow(url: str, max_seconds: float) -> str:
    return f"{url} did not finish sending within {max_seconds:g} s, so the download was stopped. Try again later."


def _fetch(url: str, max_bytes: int, deadline: float, max_seconds: float, read_timeout: float, verify: str | None,
           max_redirects: int, stop: threading.Event) -> bytes:
    import requests

    current = url
    with requests.Session() as session:
        for _ in range(max_redirects + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or stop.is_set():
                raise DataUpdateError(_too_slow(url, max_seconds))
            timeout = min(read_timeout, remaining)
            try:
                resp = session.get(current, stream=True, allow_redirects=False, verify=verify or True,
                                   timeout=(timeout, timeout), headers={"Accept-Encoding": "identity"})
            except requests.exceptions.SSLError as exc:
                raise DataUpdateError(f"The TLS certificate of {urlsplit(current).hostname} could not be verified "
                                      f"({_short(exc)}), so nothing was downloaded.") from None
            except requests.exceptions.ConnectionError:
                raise DataUpdateError(f"Could not reach {current}: this computer seems to be offline (or the "
                                      "address is wrong). Try again when online.") from None
            except requests.exceptions.Timeout:
                raise DataUpdateError(f"{current} did not answer within {timeout:.0f} s.") from None
            except requests.exceptions.RequestException as exc:
                raise DataUpdateError(f"Could not download {current}: {_short(exc)}.") from None
            try:
                if resp.is_redirect:
                    target = urljoin(current, resp.headers.get("location", ""))
                    if urlsplit(target).scheme.lower() != "https":
                        raise DataUpdateError(f"{current} redirected to {target[:200]}, which is not https://; the "
                                              "redirect was refused and nothing was downloaded.")
                    current = target
                    continue
                if resp.status_code != 200:
                    raise DataUpdateError(f"{current} answered HTTP {resp.status_code}. Check the data update URL "
                                          "in Settings.")
                encoding = resp.headers.get("content-encoding", "identity").strip().lower()
                if encoding not in ("", "identity"):
                    raise DataUpdateError(f"{current} sent a {encoding}-compressed answer although none was asked "
                                          "for; it was refused.")
                length = resp.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise DataUpdateError(_too_big(current, max_bytes))
                return _read_capped(resp, current, max_bytes, deadline, stop, _too_slow(url, max_seconds))
            finally:
                resp.close()
    raise DataUpdateError(f"{url} redirected more than {max_redirects} times; nothing was downloaded.")


def _read_capped(resp: Any, url: str, max_bytes: int, deadline: float, stop: threading.Event, too_slow: str) -> bytes:
    from urllib3.exceptions import HTTPError as Urllib3Error

    raw = resp.raw
    read = raw.read1 if hasattr(raw, "read1") else raw.read  # read1: returns what has arrived, without filling
    buf = bytearray()
    while True:
        if stop.is_set() or time.monotonic() > deadline:
            raise DataUpdateError(too_slow)
        try:
            chunk = read(_CHUNK)
        except (Urllib3Error, OSError) as exc:
            raise DataUpdateError(f"The download of {url} broke off ({_short(exc)}).") from None
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > max_bytes:
            raise DataUpdateError(_too_big(url, max_bytes))


def _too_big(url: str, max_bytes: int) -> str:
    return (f"{url} sent more than {_size(max_bytes)}, far more than compatibility data takes; the download was "
            "stopped.")


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def update_matrix(url: str, current_version: str, *, dest: Path | None = None, public_key: Any = None,
                  verify: str | None = None, max_bytes: int = MAX_BYTES, max_seconds: float = MAX_SECONDS,
                  read_timeout: float = READ_TIMEOUT, extra_hosts: frozenset[str] | None = None) -> DataUpdate:
    """Download, verify and store a newer matrix.json (default dest: user_matrix_path()). Raises DataUpdateError."""
    from .datasign import SignatureError, verify_signature
    from .matrixcheck import consistency_problems
    from .matrix import vtuple
    from .matrixload import bundled_data_version, data_version_newer, parse_matrix_bytes, user_matrix_path
    from .schema import MatrixError

    unchanged = f"The data in use ({current_version}) is unchanged."
    dest = dest or user_matrix_path()
    t0 = time.monotonic()
    try:
        raw = fetch_https(url, max_bytes=max_bytes, max_seconds=max_seconds, read_timeout=read_timeout, verify=verify)
        left = max(0.001, max_seconds - (time.monotonic() - t0))
        sig_url = signature_url(url)
        try:
            sig = fetch_https(sig_url, max_bytes=1024, max_seconds=left, read_timeout=read_timeout, verify=verify)
        except DataUpdateError as exc:
            raise DataUpdateError(f"The data has no usable signature at {sig_url} ({exc}) so it is not trusted.") from None
    except DataUpdateError as exc:
        raise DataUpdateError(f"{exc} {unchanged}") from None
    try:
        verify_signature(raw, sig, public_key)
    except SignatureError as exc:
        raise DataUpdateError(f"The file at {url} is not signed by the TorchDesk maintainers: {exc}. It was not "
                              f"installed. {unchanged}") from None
    try:
        new = parse_matrix_bytes(raw, url, extra_hosts=extra_hosts)
    except MatrixError as exc:
        raise DataUpdateError(f"The downloaded file is not valid compatibility data ({exc.path}: {exc.problem}); it "
                              f"was not installed. {unchanged}") from None
    problems = consistency_problems(new)
    if problems:
        raise DataUpdateError(f"The downloaded file is not valid compatibility data ({problems[0]}); it was not "
                              f"installed. {unchanged}")
    baseline = max(current_version, bundled_data_version(), key=vtuple)
    if not data_version_newer(new.data_version, baseline):
        if vtuple(new.data_version) == vtuple(baseline):
            return DataUpdate(url, str(dest), current_version, current_version)
        raise DataUpdateError(f"{url} offers data version {new.data_version}, older than {baseline} which this "
                              f"copy of TorchDesk already has; an old file is never installed over a newer one. "
                              f"{unchanged}")
    _save_pair(dest, raw, sig)
    from .matrixload import default_loaded

    default_loaded.cache_clear()
    return DataUpdate(url, str(dest), current_version, new.data_version)


def _save_pair(dest: Path, raw: bytes, sig: bytes) -> None:
    """Write matrix.json and matrix.json.sig atomically each (signature first: a crash between the two leaves a
    pair that does not verify, which the loader ignores in favour of the bundled copy - never a mix it trusts)."""
    from .datasign import signature_path

    dest.parent.mkdir(parents=True, exist_ok=True)
    for target, content in ((signature_path(dest), sig), (dest, raw)):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
