"""Network failures in plain words: classify an exception chain or an error text (py-rattler's "Caused by:" chains,
requests/urllib3 exceptions, pip's output lines) as DNS, refused, TLS, proxy, HTTP 4xx/5xx, timeout or offline,
and say in one sentence which host could not be reached, what that means and what to do.

The raw text stays in the log and behind "Details"; both faces (CLI and app) show `explain(...)` instead. The
patterns below were taken from real failures, kept as tests in tests/test_neterrors.py: py-rattler 0.28 (reqwest
and rustls), requests 2.32 / urllib3 2.x, and pip 24-25 as run by the create job.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

KINDS = ("proxy", "tls", "dns", "timeout", "refused", "unreachable", "connect", "http")

# What to do about a failing package source, per face: the app has a Settings dialog, the CLI has flags.
MIRROR_HINT_APP = "choose a mirror in Tools > Settings"
MIRROR_HINT_CLI = "choose a mirror with --conda-mirror / --torch-mirror / --pypi-mirror"


@dataclass(frozen=True)
class NetFailure:
    """One classified network failure: its kind, the host it concerns, the HTTP status if any, the raw line."""

    kind: str  # one of KINDS
    host: str | None  # host[:port] that could not be reached (None when the text does not name one)
    status: int | None = None  # HTTP status for kind "http"
    reason: str | None = None  # HTTP reason phrase where the text gives one
    raw: str = ""  # the line the classification came from (for the log, never the headline)


# Ordered: the first kind whose pattern matches wins. A proxy failure mentions "Connection refused" too (the proxy
# refused), and a DNS failure is wrapped in "client error (Connect)", so the specific causes come first.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("proxy", re.compile(r"proxyerror|cannot connect to proxy|unable to connect to proxy|proxy error|"
                         r"tunnel connection failed|407 proxy authentication", re.I)),
    # Not bare "ssl" or "certificate": a job's log names the packages openssl and ca-certificates.
    ("tls", re.compile(r"sslerror|\[ssl|ssl certificate|certificate verify|invalid peer certificate|"
                       r"self.signed certificate|\btls\b|invalidcontenttype|unknownissuer|wrong version number|"
                       r"handshake", re.I)),
    ("dns", re.compile(r"dns error|error resolving dns|failed to lookup address|name or service not known|"
                       r"nodename nor servname|temporary failure in name resolution|getaddrinfo failed|"
                       r"nameresolutionerror|failed to resolve|could not resolve host|no address associated|"
                       r"\[errno -[23]\]|\[errno 11001\]", re.I)),
    ("timeout", re.compile(r"timed out|timeout|deadline has elapsed", re.I)),
    ("refused", re.compile(r"connection refused|errno 111\b|actively refused|errno 10061", re.I)),
    ("unreachable", re.compile(r"network is unreachable|no route to host|errno 101\b|errno 113\b", re.I)),
    # Last: a connection failed and the text was cut before saying why (wheels.py keeps 120 characters).
    ("connect", re.compile(r"newconnectionerr|connectionerror|client error \(connect\)|tcp connect error|"
                           r"failed to establish a new connection|max retries exceeded", re.I)),
)
_HTTP_STATUS = (
    re.compile(r"http status (?:server|client) error \((\d{3})(?: ([^)]*))?\)", re.I),  # rattler / reqwest
    re.compile(r"\b(\d{3}) (?:server|client) error: ([^\n]*?) for url", re.I),  # requests raise_for_status
    re.compile(r"too many (\d{3}) error responses()", re.I),  # urllib3 retries (pip)
    re.compile(r"http error (\d{3})()", re.I),  # pip: "HTTP error 503 while getting ..."
    re.compile(r"\bhttp (\d{3})\b(?: ([a-z][a-z ]*))?", re.I),  # conda: "HTTP 503 SERVICE UNAVAILABLE for url"
    re.compile(r"\banswered http (\d{3})()", re.I),
)
_URL = re.compile(r"\b(?:https?|ftp)://[^\s)'\"<>,]+", re.I)
_POOL = re.compile(r"(HTTPS?)ConnectionPool\(host='([^']+)', port=(\d+)\)")
_PIP_INDEX = re.compile(r"^Looking in indexes: (\S+?)[,\s]", re.M)
# uv names the URL it was fetching in its cause chain: "cause: Failed to fetch: http://host/simple/torch/"
_UV_FETCH = re.compile(r"(?:Failed to fetch|error sending request for url)[:(]? *`?((?:https?)://[^\s)`']+)", re.I)
_HTTP_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 407: "Proxy "
                 "Authentication Required", 408: "Request Timeout", 429: "Too Many Requests", 500: "Internal Server "
                 "Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def _host_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.hostname:
        return None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{host}:{port}" if port and port != default else host


def _exception_texts(exc: BaseException) -> list[str]:
    """The exception and its causes, outermost first, as 'TypeName: message' lines (cycles cut)."""
    out: list[str] = []
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        e = stack.pop(0)
        if id(e) in seen or len(seen) > 20:
            continue
        seen.add(id(e))
        # The class's own name only: urllib3's NewConnectionError subclasses ConnectTimeoutError, yet means refused.
        out.append(f"{type(e).__name__}: {e}")
        response = getattr(e, "response", None)
        code = getattr(response, "status_code", None)
        if isinstance(code, int) and code >= 400:
            url = getattr(response, "url", "") or ""
            out.append(f"HTTP status {'server' if code >= 500 else 'client'} error ({code} "
                       f"{getattr(response, 'reason', '') or ''}) for url ({url})")
        reason = getattr(e, "reason", None)  # urllib.error.URLError(reason=gaierror(...)), urllib3 MaxRetryError
        for nxt in (e.__cause__, e.__context__, reason if isinstance(reason, BaseException) else None,
                    *(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))):
            if nxt is not None:
                stack.append(nxt)
    return out


def _texts(error: BaseException | str | Iterable[str]) -> list[str]:
    if isinstance(error, BaseException):
        return _exception_texts(error)
    if isinstance(error, str):
        return [error]
    return [str(t) for t in error]


def _gaierror_kind(error: BaseException) -> str | None:
    """socket.gaierror and ConnectionRefusedError say what they are by type, whatever their message."""
    import socket

    e: BaseException | None = error
    seen = 0
    while e is not None and seen < 20:
        if isinstance(e, socket.gaierror):
            return "dns"
        if isinstance(e, ConnectionRefusedError):
            return "refused"
        reason = getattr(e, "reason", None)
        e = e.__cause__ or e.__context__ or (reason if isinstance(reason, BaseException) else None)
        seen += 1
    return None


def classify(error: BaseException | str | Iterable[str], *, url: str | None = None) -> NetFailure | None:
    """Classify an exception chain, an error text or a list of log lines; None when it is not a network failure.

    `url` names the source that was being fetched, for texts that do not name a host (pip's retry lines).
    """
    texts = _texts(error)
    blob = "\n".join(texts)
    kind: str | None = None
    status: int | None = None
    reason: str | None = None
    raw = ""
    lines = [ln for t in texts for ln in t.splitlines() if ln.strip()]
    for k, pat in _PATTERNS:
        hit = next((ln for ln in lines if pat.search(ln)), None)
        if hit is not None:
            kind, raw = k, hit
            break
    if kind in (None, "connect") and isinstance(error, BaseException):
        kind = _gaierror_kind(error) or kind  # the type says what the (possibly cut) text does not
    # "504 Gateway Timeout" is an HTTP answer, not a stall; "too many 503 error responses" is no connect failure
    if kind in (None, "timeout", "connect"):
        for pat in _HTTP_STATUS:
            m = next((m for ln in lines for m in [pat.search(ln)] if m and 400 <= int(m.group(1)) <= 599), None)
            if m is not None:
                kind, status = "http", int(m.group(1))
                reason = (m.group(2) or "").strip().title() or _HTTP_REASONS.get(status)
                raw = m.string
                break
    if kind is None:
        return None
    if kind == "http" and status == 407:
        kind = "proxy"
    raw = raw or next((ln for ln in lines if ln.strip()), "")
    return NetFailure(kind, _find_host(blob, raw, url), status, reason, raw.strip())


def _find_host(blob: str, raw: str, url: str | None) -> str | None:
    """The host the failure concerns: from the failing line, else the text around it, else `url`."""
    for text in (raw, blob):
        m = _POOL.search(text)
        if m:
            return _host_of(f"{m.group(1).lower()}://{m.group(2)}:{m.group(3)}")
        for u in _URL.findall(text):
            h = _host_of(u)
            if h:
                return h
    return _host_of(url) if url else None


def proxy_setting() -> tuple[str, str] | None:
    """(variable, value) of the proxy the fetchers use, HTTPS first (what pip, requests and rattler read)."""
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        value = os.environ.get(var)
        if value:
            return var, value
    return None


def _is(kind: str) -> Callable[[NetFailure], bool]:
    return lambda f: f.kind == kind


# explain()'s rows, first match wins: (matcher, what happened and what it means, what to do). The sentence and the
# hint are joined by a space; {host}, {code}, {proxy} and {mirror_hint} are filled in. HTTP answers are matched
# by status after every connection kind, so the last row takes any other failure ("http", or a kind without a row).
_EXPLANATIONS: tuple[tuple[Callable[[NetFailure], bool], str, str], ...] = (
    (_is("dns"), "The name {host} could not be looked up (DNS), so it could not be reached: you seem to be offline, "
                 "or the address is wrong;", "check the network connection, or {mirror_hint}."),
    (_is("refused"), "The server at {host} refused the connection: nothing answers at that address;",
     "check the address, or {mirror_hint}."),
    (_is("timeout"), "The server at {host} did not answer in time: the network is slow or something blocks it;",
     "try again, or {mirror_hint}."),
    (_is("unreachable"), "The server at {host} cannot be reached (no network route): you seem to be offline;",
     "check the network connection and try again."),
    (_is("connect"), "Could not connect to {host}: you seem to be offline, or the server is down;",
     "check the network connection, or {mirror_hint}."),
    (_is("tls"), "The secure (TLS) connection to {host} failed: a proxy or firewall may be intercepting it, or the "
                 "server is not what the address says;", "if you are behind a proxy, set HTTPS_PROXY, or {mirror_hint}."),
    (_is("proxy"), "{proxy} could not be used to reach {host}:",
     "check or set HTTPS_PROXY to a proxy that works, or unset it if you need none."),
    (lambda f: f.status is not None and f.status >= 500, "The server at {host} answered {code}: it has a problem on "
     "its side;", "try again later, or {mirror_hint}."),
    (lambda f: f.status in (401, 403), "The server at {host} refused access ({code}): the source needs a login or "
     "does not allow this;", "check the address and its credentials, or {mirror_hint}."),
    (lambda f: f.status == 429, "The server at {host} answered {code}: it is limiting requests;",
     "wait a few minutes and try again, or {mirror_hint}."),
    (lambda f: True, "The server at {host} answered {code}: the address is wrong or this source does not carry the "
     "package;", "check the address, or {mirror_hint}."),
)


def _proxy_words() -> str:
    setting = proxy_setting()
    return f"The proxy in {setting[0]} ({setting[1]})" if setting else "The proxy"


def explain(failure: NetFailure, *, mirror_hint: str = MIRROR_HINT_CLI) -> str:
    """One sentence: which host could not be reached, what that means and what to do."""
    sentence, hint = next((s, h) for matches, s, h in _EXPLANATIONS if matches(failure))
    code = f"{failure.status} {failure.reason or ''}".strip() if failure.status else "an error"
    return f"{sentence} {hint}".format(host=failure.host or "the package server", code=code, mirror_hint=mirror_hint,
                                       proxy=_proxy_words() if "{proxy}" in sentence else "")


def explain_text(error: BaseException | str | Iterable[str], *, url: str | None = None,
                 mirror_hint: str = MIRROR_HINT_CLI) -> str | None:
    """`explain(classify(...))`, or None when the error is not a network failure."""
    failure = classify(error, url=url)
    return explain(failure, mirror_hint=mirror_hint) if failure is not None else None


def read_log_tail(path: str | os.PathLike[str] | None, max_lines: int = 200) -> list[str]:
    """The last lines of a job's log file ([] when there is none or it cannot be read)."""
    if not path or os.fspath(path) == os.devnull:
        return []
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 256 * 1024))
            data = f.read()
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()[-max_lines:]


# Lines of a log tail worth classifying: errors, warnings and their causes (not package names or commands).
_TAIL_LINE = re.compile(r"error|warning|caused by|could not|couldn't|failed|retrying|refused|timed out|unreachable",
                        re.I)


_STAGE_LINE = re.compile(r"^== (?!ok:|failed:|cancelled:)\w+: ")


def _failing_stage(tail: list[str]) -> list[str]:
    """The lines of the stage the job failed in (after the last '== stage:' line): an earlier stage's warning
    (the preflight's unreachable index) must not be blamed for a later failure (pip missing in the env)."""
    starts = [i for i, line in enumerate(tail) if _STAGE_LINE.match(line)]
    return tail[starts[-1] + 1:] if starts else tail


def explain_job_failure(message: str, log_tail: Iterable[str] = (), *,
                        mirror_hint: str = MIRROR_HINT_CLI) -> str | None:
    """A failed job's network cause in one sentence, from its message first, then its log tail; else None."""
    tail = _failing_stage(list(log_tail))
    text = "\n".join(tail)
    indexes = _PIP_INDEX.findall(text) or _UV_FETCH.findall(text)
    fallback = indexes[-1] if indexes else None
    failure = classify(message, url=fallback)
    if failure is None:
        for line in reversed(tail):  # the latest failure is the one that ended the job
            if _TAIL_LINE.search(line):
                failure = classify(line, url=fallback)
                if failure is not None:
                    break
    return explain(failure, mirror_hint=mirror_hint) if failure is not None else None


def plain_warnings(warnings: Iterable[str], *, mirror_hint: str = MIRROR_HINT_CLI) -> list[str]:
    """A job's warnings for people: a network one as 'could not read URL: <sentence>' (not the exception text,
    which wheels.py cuts at 120 characters), each sentence once (one unreachable index is one warning)."""
    out: list[str] = []
    seen: set[str] = set()
    for w in warnings:
        plain = explain_text(w, mirror_hint=mirror_hint)
        if plain is None:
            text = w
        elif plain in seen:
            continue
        else:
            seen.add(plain)
            text = f"{w.split(' (', 1)[0]}: {plain}"  # "could not read URL", without the raw exception
        if text not in out:
            out.append(text)
    return out
