"""Preflight: do the exact wheels a spec pins exist for this Python and platform? Asks the index's simple API
(PEP 503) through requests, or reads a file:// index from disk; offline is a warning, not a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .envspec import EnvSpec


@dataclass(frozen=True)
class WheelCheck:
    missing: tuple[str, ...] = ()  # sentences: a pinned wheel that does not exist for this Python/platform
    warnings: tuple[str, ...] = ()  # sentences: could not check (offline, index error)


_HREF_RX = re.compile(r"""href=["']([^"']+)["']""", re.I)


def _fetch_listing(url: str, timeout: float) -> str:
    """The text of an index page; file:// URLs are read from disk (a folder means its index.html)."""
    if url.startswith("file:"):
        from urllib.parse import unquote, urlparse

        path = Path(unquote(urlparse(url).path))
        if path.is_dir():
            path = path / "index.html"
        return path.read_text(encoding="utf-8", errors="replace")
    import requests

    r = requests.get(url, timeout=timeout, headers={"Accept": "text/html"})
    r.raise_for_status()
    return r.text


def _wheel_names(html: str) -> list[str]:
    from urllib.parse import unquote

    out = []
    for href in _HREF_RX.findall(html):
        name = unquote(href.split("#", 1)[0].rsplit("/", 1)[-1])
        if name.endswith(".whl"):
            out.append(name)
    return out


def _supported_tags(python: str) -> set[Any]:
    from packaging import tags

    major, minor = (int(x) for x in python.split(".")[:2])
    plats = list(tags.platform_tags())
    interp = f"cp{major}{minor}"
    return set(tags.cpython_tags(python_version=(major, minor), platforms=plats)) | set(
        tags.compatible_tags(python_version=(major, minor), interpreter=interp, platforms=plats))


def check_wheels(spec: EnvSpec, *, timeout: float = 10.0) -> WheelCheck:
    """Ask the index's simple API whether each pinned torch wheel exists for this Python and platform."""
    from packaging.requirements import Requirement
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    if not spec.torch_pins:
        return WheelCheck()
    supported = _supported_tags(spec.python)
    missing: list[str] = []
    warnings: list[str] = []
    pages: dict[str, list[str] | None] = {}

    def listing(url: str) -> list[str] | None:
        if url not in pages:
            try:
                pages[url] = _wheel_names(_fetch_listing(url, timeout))
            except Exception as exc:  # offline, DNS, 404, unreadable file: say so, don't fail
                pages[url] = None
                warnings.append(f"could not read {url} ({type(exc).__name__}: {str(exc)[:120]})")
        return pages[url]

    for pin in spec.torch_pins:
        req = Requirement(pin)
        name = canonicalize_name(req.name)
        sources = []
        if spec.find_links:
            sources.append(spec.find_links)
        index = spec.index_url or "https://pypi.org/simple"
        if spec.index_url or not spec.find_links:
            sources.append(f"{index.rstrip('/')}/{name}/")
        found_any = False
        reachable = False
        for src in sources:
            names = listing(src)
            if names is None:
                continue
            reachable = True
            for fn in names:
                try:
                    n, v, _b, wheel_tags = parse_wheel_filename(fn)
                except (InvalidWheelFilename, ValueError):
                    continue
                if n == name and req.specifier.contains(v, prereleases=True) and wheel_tags & supported:
                    found_any = True
                    break
            if found_any:
                break
        if not found_any and reachable:
            missing.append(f"no {pin} wheel for Python {spec.python} on this platform at {' or '.join(sources)}")
        elif not found_any:
            warnings.append(f"{pin} was not checked; if this machine is offline it will be missing when pip runs")
    return WheelCheck(tuple(missing), tuple(dict.fromkeys(warnings)))


# --- sizes of the wheels a job will download (for byte progress and the disk check) ------------------------------

_JSON_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"


def _file_size(url: str, timeout: float) -> int | None:
    """A file's size: stat for file://, else a HEAD request's Content-Length; None if unknown."""
    from urllib.parse import unquote, urlparse

    if url.startswith("file:"):
        try:
            return Path(unquote(urlparse(url).path)).stat().st_size
        except OSError:
            return None
    import requests

    try:
        r = requests.head(url, timeout=timeout, allow_redirects=True)
        r.raise_for_status()
        n = r.headers.get("Content-Length")
        return int(n) if n and n.isdigit() else None
    except Exception:
        return None


def listing_files(url: str, *, timeout: float = 10.0) -> dict[str, tuple[str, int | None]]:
    """{filename: (absolute URL, size or None)} of one project page or find-links page.

    Asks for the JSON simple API (PEP 691), whose `size` (PEP 700) gives sizes without touching the files;
    an HTML page (PEP 503) gives names only, and the sizes are then asked of each file (HEAD, or stat)."""
    from urllib.parse import unquote, urljoin

    if url.startswith("file:"):
        names: list[tuple[str, str]] = []
        html = _fetch_listing(url, timeout)
        base = url if url.endswith("/") or url.endswith(".html") else url + "/"
        for href in _HREF_RX.findall(html):
            full = urljoin(base, href.split("#", 1)[0])
            names.append((unquote(full.rsplit("/", 1)[-1]), full))
        return {n: (u, None) for n, u in names}
    import requests

    r = requests.get(url, timeout=timeout, headers={"Accept": _JSON_ACCEPT})
    r.raise_for_status()
    out: dict[str, tuple[str, int | None]] = {}
    if "json" in r.headers.get("Content-Type", ""):
        for f in r.json().get("files", []):
            name, href = f.get("filename"), f.get("url")
            if isinstance(name, str) and isinstance(href, str):
                size = f.get("size")
                out[name] = (urljoin(r.url, href), size if isinstance(size, int) and size >= 0 else None)
        return out
    for href in _HREF_RX.findall(r.text):
        full = urljoin(r.url, href.split("#", 1)[0])
        out[unquote(full.rsplit("/", 1)[-1])] = (full, None)
    return out


def wheel_sizes(filenames: dict[str, str], sources: list[str], *, timeout: float = 10.0) -> dict[str, int | None]:
    """Sizes in bytes of wheel files ({filename: project name}) looked up in `sources`: index base URLs
    (the project's page is <index>/<project>/) or find-links pages (ending in .html or holding the files).
    A file found nowhere, or whose size nobody says, maps to None."""
    from packaging.utils import canonicalize_name

    pages: dict[str, dict[str, tuple[str, int | None]]] = {}

    def page(url: str) -> dict[str, tuple[str, int | None]]:
        if url not in pages:
            try:
                pages[url] = listing_files(url, timeout=timeout)
            except Exception:
                pages[url] = {}
        return pages[url]

    out: dict[str, int | None] = {}
    for fn, project in filenames.items():
        out[fn] = None
        for src in sources:
            url = src if src.endswith(".html") else f"{src.rstrip('/')}/{canonicalize_name(project)}/"
            hit = page(url).get(fn) or (page(src).get(fn) if url != src else None)
            if hit is None:
                continue
            out[fn] = hit[1] if hit[1] is not None else _file_size(hit[0], timeout)
            break
    return out
