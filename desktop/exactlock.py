"""Exact locks: every conda package and every wheel of an environment, by URL and hash, in formats stock tools read.

A lock is a folder with three files:
  * conda-<subdir>.lock: conda's explicit spec (`@EXPLICIT`, one `URL#md5` per line, dependencies first), from
    conda-meta/*.json. `conda create --file` and micromamba read it as it is.
  * pylock.toml: PEP 751 (https://peps.python.org/pep-0751/) for the wheels pip installed: name, version, the
    index, and each wheel's URL and sha256.
  * environment.yml: the spec the env was built from (its name, index options, planned pins), so the rebuilt env
    gets the same drift guard.

The wheels' URLs and hashes are asked of the env's own pip (`install --dry-run --report`, pip >= 22.2) for the
exact installed versions on the indexes the env was built from; each wheel is then downloaded into TorchDesk's
wheel cache and its sha256 checked, so `rebuild_from_lock` works offline when the caches hold the files (the
conda packages come from the package cache the engine keeps).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from .driftguard import norm_name
from .envspec import EnvSpec, EnvSpecError, read_environment_yml, with_target
from .errors import TorchDeskError
from .preflight import target_prefix

PYLOCK = "pylock.toml"
_NAME_RX = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")  # PEP 508 names
_VERSION_RX = re.compile(r"[A-Za-z0-9.!+_-]{1,64}")
SPEC_FILE = "environment.yml"


class LockError(TorchDeskError):
    """A lock that cannot be written or used; the message says why and what to do."""


@dataclass(frozen=True)
class LockedWheel:
    """One wheel of the lock."""

    name: str
    version: str
    filename: str
    url: str
    sha256: str
    index: str | None


def read_explicit(text: str) -> list[tuple[str, str, str]]:
    """(url, kind, hash) for each line of an explicit spec; kind is md5 or sha256."""
    out: list[tuple[str, str, str]] = []
    names: set[str] = set()  # the package file names seen so far
    started = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line == "@EXPLICIT":
            started = True
            continue
        if not started:
            raise LockError(f"not an explicit spec: {line!r} comes before @EXPLICIT")
        url, _, frag = line.partition("#")
        if urllib.parse.urlparse(url).scheme not in ("https", "http", "file"):
            raise LockError(f"explicit spec line {line!r} is not an http(s) or file URL")
        name = urllib.parse.unquote(url.rstrip("/").rsplit("/", 1)[-1])
        if name in names:
            # one package file twice (from any host or spelling), each with its own hash: one would vouch for the other
            raise LockError(f"explicit spec lists {name} twice; a lock names each package file once")
        names.add(name)
        if re.fullmatch(r"sha256:[0-9a-fA-F]{64}", frag):
            out.append((url, "sha256", frag[7:].lower()))
        elif re.fullmatch(r"[0-9a-fA-F]{32}", frag):
            out.append((url, "md5", frag.lower()))
        else:
            raise LockError(f"explicit spec line {line!r} has no md5 or sha256 to check the package by")
    if not started:
        raise LockError("not an explicit spec: there is no @EXPLICIT line")
    return out


_SHA256_COMMENT = re.compile(r"#\s*sha256:\s*([0-9a-fA-F]{64})")


def explicit_sha256(text: str) -> dict[str, str]:
    """url -> sha256 for the md5 lines of an explicit spec that a `# sha256: <hex>` comment line directly precedes
    (TorchDesk's export writes one where the record has both hashes); stock conda skips the comment."""
    out: dict[str, str] = {}
    pending: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        m = _SHA256_COMMENT.fullmatch(line)
        if m:
            pending = m.group(1).lower()
            continue
        if pending is not None and line and not line.startswith(("#", "@")):
            url, _, frag = line.partition("#")
            if re.fullmatch(r"[0-9a-fA-F]{32}", frag):
                out[url] = pending
        pending = None
    return out


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def pylock_text(wheels: list[LockedWheel], python: str, prefix: Path) -> str:
    """PEP 751 pylock.toml for the locked wheels."""
    lines = ['lock-version = "1.0"', 'created-by = "torchdesk"', f"requires-python = {_toml_str(f'=={python}.*')}",
             f"# Written by TorchDesk from {ascii(str(prefix))}", ""]
    for w in wheels:
        lines += ["[[packages]]", f"name = {_toml_str(w.name)}", f"version = {_toml_str(w.version)}"]
        if w.index and urllib.parse.urlparse(w.index).scheme in ("http", "https", "file"):
            lines.append(f"index = {_toml_str(w.index)}")
        lines += ["", "[[packages.wheels]]", f"name = {_toml_str(w.filename)}", f"url = {_toml_str(w.url)}",
                  f"hashes = {{ sha256 = {_toml_str(w.sha256)} }}", ""]
    return "\n".join(lines)


def read_pylock(text: str) -> list[LockedWheel]:
    """The wheels of a pylock.toml (one wheel per package, with a sha256, as TorchDesk writes them)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10: the same parser as a package
        import tomli as tomllib  # type: ignore[no-redef,unused-ignore]  # only redefined where tomllib is missing (3.10)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockError(f"pylock.toml is not valid TOML: {exc}") from None
    if str(data.get("lock-version", "")).split(".")[0] != "1":
        raise LockError("pylock.toml has no lock-version 1.x: not a PEP 751 lock this version can read")
    out = []
    for p in data.get("packages") or []:
        wheels = p.get("wheels") or [] if isinstance(p, dict) else []
        if not isinstance(p, dict) or len(wheels) != 1 or not isinstance(wheels[0], dict):
            raise LockError(f"pylock.toml package {p.get('name') if isinstance(p, dict) else p!r} does not name "
                            "exactly one wheel; TorchDesk locks one wheel per package")
        w = wheels[0]
        sha = (w.get("hashes") or {}).get("sha256")
        url = str(w.get("url") or "")
        filename = str(w.get("name") or urllib.parse.unquote(url.rsplit("/", 1)[-1]))
        if not sha or not url:
            raise LockError(f"pylock.toml package {p.get('name')!r} has no wheel URL with a sha256")
        # these go into a requirements file and a cache path: only a plain name, a version and a hex digest
        if not (_NAME_RX.fullmatch(str(p.get("name", ""))) and _VERSION_RX.fullmatch(str(p.get("version", "")))
                and re.fullmatch(r"[0-9a-fA-F]{64}", str(sha))):
            raise LockError(f"pylock.toml package {p.get('name')!r}: its name, version or sha256 is not well formed")
        if urllib.parse.urlparse(url).scheme not in ("https", "http", "file") or not filename.endswith(".whl"):
            raise LockError(f"pylock.toml package {p.get('name')!r}: {url!r} is not an http(s) or file URL of a wheel")
        out.append(LockedWheel(norm_name(str(p.get("name"))), str(p.get("version")), filename, url, str(sha).lower(),
                               p.get("index")))
    return out


# --- reading a lock folder ---------------------------------------------------------------------------------------

def find_lock(path: Path | str) -> Path | None:
    """The lock folder `path` names (the folder, or its pylock.toml / explicit file), or None if it is not a lock."""
    p = Path(path)
    try:
        folder = p if p.is_dir() else p.parent
        complete = (folder / PYLOCK).is_file() and (folder / SPEC_FILE).is_file() and any(folder.glob("conda-*.lock"))
    except OSError:  # ENAMETOOLONG and the like: not a lock folder; the caller's own read of `path` reports it
        return None
    named = p.is_dir() or p.name == PYLOCK or p.name.endswith(".lock")
    return folder if complete and named else None


@dataclass(frozen=True)
class LockPlan:
    """A lock folder read and checked: the spec, the conda packages (url, kind, hash), the wheels, the target."""

    folder: Path
    spec: EnvSpec
    entries: list[tuple[str, str, str]]
    wheels: list[LockedWheel]
    target: Path
    sha256s: dict[str, str] = field(default_factory=dict)  # url -> sha256 besides an md5 (explicit_sha256)


def load_lock(lock_dir: Path | str, *, name: str | None = None, prefix: str | None = None) -> LockPlan:
    """Read a lock folder (nothing is fetched or written); raises LockError for anything malformed."""
    folder = Path(lock_dir)
    try:
        spec = read_environment_yml((folder / SPEC_FILE).read_text(encoding="utf-8"),
                                    check_name=not (name or prefix))
        spec = with_target(spec, name=name, prefix=prefix)
        target = target_prefix(spec)
    except (OSError, EnvSpecError) as exc:
        raise LockError(f"{folder / SPEC_FILE}: {exc}") from None
    explicit = sorted(folder.glob("conda-*.lock"))
    try:
        explicit_text = explicit[0].read_text(encoding="utf-8")
        entries = read_explicit(explicit_text)
        wheels = read_pylock((folder / PYLOCK).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LockError(f"cannot read the lock in {folder}: {exc}") from None
    return LockPlan(folder, spec, entries, wheels, target, explicit_sha256(explicit_text))


# conda channel names resolve on these hosts (conda's channel_alias and `defaults`; see hosts.KNOWN_HOSTS)
_NAMED_CHANNEL_HOSTS = ("https://conda.anaconda.org", "https://repo.anaconda.com")
_PYPI = ("https://pypi.org", "https://files.pythonhosted.org")  # PyPI's index and where it serves its files


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme == "file":
        return "file://"
    return f"{parts.scheme.lower()}://{(parts.netloc.rsplit('@', 1)[-1]).lower()}"


def lock_origins(spec: EnvSpec) -> tuple[set[str], set[str]]:
    """(conda origins, wheel origins) the lock's own environment.yml names: its channels, its indexes and
    find-links (PyPI where it names no index)."""
    conda: set[str] = set()
    for ch in spec.channels:
        conda.update({_origin(ch)} if "://" in ch else _NAMED_CHANNEL_HOSTS)
    wheel: set[str] = set()
    urls = [spec.index_url, spec.find_links, spec.extras_index_url]
    opts = list(spec.pip_options)
    for i, opt in enumerate(opts):
        key, eq, value = opt.partition("=")
        if key in ("--extra-index-url", "--index-url", "--find-links", "-f", "-i"):
            urls.append(value if eq else (opts[i + 1] if i + 1 < len(opts) else None))
    for u in urls:
        if u:
            wheel.add(_origin(u))
    if spec.index_url is None or spec.extras_index_url is None or _PYPI[0] in wheel:
        wheel.update(_PYPI)
    return conda, wheel


def foreign_urls(plan: LockPlan) -> list[str]:
    """Every URL of the lock on a network host its environment.yml does not name (those are refused). file:// URLs
    name this machine's own files, not a host: they are allowed, and listed like every URL before anything runs."""
    conda, wheel = lock_origins(plan.spec)
    conda.add("file://")
    wheel.add("file://")
    out = [u for u, _, _ in plan.entries if _origin(u) not in conda]
    out += [w.url for w in plan.wheels if _origin(w.url) not in wheel]
    return out


def describe_lock(plan: LockPlan) -> list[str]:
    """What importing the lock installs: every conda package URL and every wheel URL, grouped by host."""
    from .secrets import mask_url

    lines = [f"Environment: {plan.spec.label} at {plan.target}", f"  Python {plan.spec.python}",
             "  engine: embedded (a lock is rebuilt file by file, checked against its hashes)"]
    for title, urls in (("conda packages", [u for u, _, _ in plan.entries]), ("wheels", [w.url for w in plan.wheels])):
        lines.append(f"  {title} ({len(urls)}):")
        hosts: dict[str, list[str]] = {}
        for u in urls:
            hosts.setdefault(_origin(u) if not u.startswith("file:") else "file:// (this machine)", []).append(u)
        for host, group in hosts.items():
            lines.append(f"    from {mask_url(host)}:")
            lines += [f"      {mask_url(u)}" for u in group]
    return lines
