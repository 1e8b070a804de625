"""Which hosts compatibility data may send an install to: the known package hosts, plus the user's own additions.

Data that did not ship with the app (a downloaded update, a user copy, `--matrix-file`) must not be able to point
pip or conda somewhere the user never chose. Every install URL in such data (index URLs, find-links, channel URLs
in the display-only conda commands) must be https:// on one of the hosts below, or on a host the user added in
Settings, which the app keeps in a small text file under the platformdirs config folder (one host a line).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from .errors import TorchDeskError

# The package hosts TorchDesk installs from by default, each with where that fact is documented.
KNOWN_HOSTS: dict[str, str] = {
    # PyTorch's wheel index: the URLs the install selector prints (https://pytorch.org/get-started/locally/).
    "download.pytorch.org": "https://pytorch.org/get-started/locally/",
    # PyPI's simple index and the host its files are served from
    # (https://docs.pypi.org/api/index-api/ ; https://warehouse.pypa.io/api-reference/integration-guide.html).
    "pypi.org": "https://docs.pypi.org/api/index-api/",
    "files.pythonhosted.org": "https://warehouse.pypa.io/api-reference/integration-guide.html",
    # conda's default channel_alias and the `defaults` channels
    # (https://docs.conda.io/projects/conda/en/latest/user-guide/configuration/settings.html#channel-alias).
    "conda.anaconda.org": "https://docs.conda.io/projects/conda/en/latest/user-guide/configuration/settings.html",
    "repo.anaconda.com": "https://docs.conda.io/projects/conda/en/latest/user-guide/configuration/settings.html",
}

EXTRA_HOSTS_FILE = "allowed-hosts.txt"
_MAX_FILE_BYTES = 64 * 1024
_HOST_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")


class HostError(TorchDeskError, ValueError):
    """An entry that is not a host name (a sentence saying what to type instead)."""


def mirror_hosts() -> frozenset[str]:
    """The hosts of the mirror presets in mirrors.py (a user picking one of them already trusts it)."""
    from .mirrors import CONDA_MIRRORS, PYPI_MIRRORS, TORCH_MIRRORS

    return frozenset(h for m in (*CONDA_MIRRORS, *TORCH_MIRRORS, *PYPI_MIRRORS) if (h := urlsplit(m.url).hostname))


def normalize_host(text: str) -> str:
    """'Mirror.Example.com.' -> 'mirror.example.com'; a pasted URL gives its host. Raises HostError."""
    t = text.strip()
    if "://" in t:
        t = urlsplit(t).hostname or ""
    t = t.strip().rstrip(".").lower()
    if t.startswith("[") and t.endswith("]"):
        t = t[1:-1]
    try:
        return str(ipaddress.ip_address(t))
    except ValueError:
        pass
    if not _HOST_RE.match(t):
        raise HostError(f"{text.strip()[:80]!r} is not a host name; type one such as mirror.example.com")
    return t


def extra_hosts_path() -> Path:
    """The core-readable list of hosts the user allowed in Settings: <user config dir>/allowed-hosts.txt."""
    import platformdirs

    return Path(platformdirs.user_config_dir("torchdesk", appauthor=False)) / EXTRA_HOSTS_FILE


def read_extra_hosts(path: Path | None = None) -> frozenset[str]:
    """The hosts the user added. A missing, unreadable or garbled file gives no hosts; a bad line is skipped."""
    p = path or extra_hosts_path()
    try:
        with open(p, "rb") as f:
            raw = f.read(_MAX_FILE_BYTES + 1)
    except OSError:
        return frozenset()
    if len(raw) > _MAX_FILE_BYTES:
        return frozenset()  # nobody types 64 KiB of host names: not ours, so it widens nothing
    out: set[str] = set()
    for line in raw.decode("utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            out.add(normalize_host(line))
        except HostError:
            continue
    return frozenset(out)


def save_extra_hosts(hosts: Iterable[str], path: Path | None = None) -> Path:
    """Write the user's extra hosts (validated, sorted, one a line) atomically. Raises HostError for a bad one."""
    import os
    import tempfile

    clean = sorted({normalize_host(h) for h in hosts if h.strip()})
    p = path or extra_hosts_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".allowed-hosts-", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("# Hosts TorchDesk may install from besides the known package hosts (Settings > Allowed hosts)\n")
            f.writelines(h + "\n" for h in clean)
        os.replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return p


def check_install_url(url: str, extra: frozenset[str]) -> str | None:
    """None when `url` may be installed from; else the sentence saying why not, naming the host."""
    if any(c in url for c in "\\@") or any(c.isspace() or not c.isprintable() for c in url):
        # user:password@, backslashes and blanks are read differently by different URL parsers (which host is
        # "https://evil\\@download.pytorch.org/"?); no package index URL needs them
        return f"{url[:120]!r} is not a plain https:// URL (no user name, backslash or blank allowed)"
    parts = urlsplit(url)
    try:
        host = (parts.hostname or "").rstrip(".").lower()
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        host = ""
    if not host:
        return f"{url[:120]!r} is not an https:// URL with a host"
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        pass
    user_added = host in extra
    if host not in KNOWN_HOSTS and host not in mirror_hosts() and not user_added:
        return (f"it installs from {host}, which is not a known package host; if you trust {host}, add it under "
                "Settings > Allowed hosts")
    if parts.scheme != "https" and not (user_added and parts.scheme == "http"):
        return f"it installs from {url[:120]!r}, which is not https://"
    return None


_CHANNEL_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+")


def install_urls(data: Any) -> list[tuple[str, str]]:
    """(JSON path, URL) for every install location in raw matrix data: index URLs, find-links, channel URLs."""
    out: list[tuple[str, str]] = []
    releases = data.get("torch_releases") if isinstance(data, dict) else None
    for i, r in enumerate(releases if isinstance(releases, list) else ()):
        builds = r.get("builds") if isinstance(r, dict) else None
        for j, b in enumerate(builds if isinstance(builds, list) else ()):
            if not isinstance(b, dict):
                continue
            where = f"$.torch_releases[{i}].builds[{j}]"
            inst = b.get("install")
            if isinstance(inst, dict):
                for key in ("index_url", "find_links"):
                    if isinstance(inst.get(key), str):
                        out.append((f"{where}.install.{key}", inst[key]))
            if isinstance(b.get("conda"), str):
                out.extend((f"{where}.conda", u) for u in _CHANNEL_URL.findall(b["conda"]))
    return out


def untrusted_install_urls(data: Any, extra: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """(JSON path, reason) for each install URL in `data` outside the allowed hosts. Empty: all allowed."""
    found: list[tuple[str, str]] = []
    for path, url in install_urls(data):
        why = check_install_url(url, frozenset() if extra is None else extra)
        if why is not None and extra is None:
            extra = read_extra_hosts()  # read the user's file only when a URL needs it
            why = check_install_url(url, extra)
        if why is not None:
            found.append((path, why))
    return found
