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

import hashlib
import http.client
import json
import os
import re
import shutil
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .driftguard import _clean_env, _norm, read_installed
from .errors import TorchDeskError
from .envspec import EnvSpec, EnvSpecError, read_environment_yml, with_target

PYLOCK = "pylock.toml"
_NAME_RX = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")  # PEP 508 names
_VERSION_RX = re.compile(r"[A-Za-z0-9.!+_-]{1,64}")
SPEC_FILE = "environment.yml"
TORCH_SIDE = ("torch", "torchvision", "torchaudio", "numpy")


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


def wheel_cache_dir() -> Path:
    """Where locked wheels are kept by sha256: $TORCHDESK_WHEELS_DIR, else <user cache dir>/wheels."""
    import platformdirs

    env = os.environ.get("TORCHDESK_WHEELS_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("torchdesk", appauthor=False)) / "wheels"


# --- conda part ---------------------------------------------------------------------------------------------------

def _conda_records(prefix: Path) -> list[dict[str, Any]]:
    out = []
    for f in sorted((prefix / "conda-meta").glob("*.json")):
        try:
            rec = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(rec, dict) and rec.get("name") and rec.get("url"):
            out.append(rec)
    return out


def _dependency_order(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dependencies before dependants (conda installs an explicit file in its order)."""
    by_name = {r["name"]: r for r in records}
    done: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in by_name:
            return
        seen.add(name)
        for dep in by_name[name].get("depends") or ():
            visit(str(dep).split()[0])
        done.append(by_name[name])

    for name in sorted(by_name):
        visit(name)
    return done


def explicit_text(prefix: Path, subdir: str) -> str:
    """conda's explicit spec for the env's conda packages: URL#md5 (URL#sha256:... when no md5 was recorded)."""
    records = _conda_records(prefix)
    if not records:
        raise LockError(f"{prefix} has no conda package records in conda-meta/: is it a conda environment?")
    lines = ["# This file may be used to create an environment using:",
             "# $ conda create --name <env> --file <this file>",
             f"# platform: {subdir}",
             f"# Written by TorchDesk from {prefix}",
             "@EXPLICIT"]
    for r in _dependency_order(records):
        if r.get("md5"):
            lines.append(f"{r['url']}#{r['md5']}")
        elif r.get("sha256"):
            lines.append(f"{r['url']}#sha256:{r['sha256']}")
        else:
            raise LockError(f"the record of {r['name']} in {prefix}/conda-meta has no md5 or sha256 to lock it by")
    return "\n".join(lines) + "\n"


def read_explicit(text: str) -> list[tuple[str, str, str]]:
    """(url, kind, hash) for each line of an explicit spec; kind is md5 or sha256."""
    out = []
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
        if re.fullmatch(r"sha256:[0-9a-fA-F]{64}", frag):
            out.append((url, "sha256", frag[7:].lower()))
        elif re.fullmatch(r"[0-9a-fA-F]{32}", frag):
            out.append((url, "md5", frag.lower()))
        else:
            raise LockError(f"explicit spec line {line!r} has no md5 or sha256 to check the package by")
    if not started:
        raise LockError("not an explicit spec: there is no @EXPLICIT line")
    return out


# --- wheels -------------------------------------------------------------------------------------------------------

def _conda_owned(prefix: Path) -> set[str]:
    owned: set[str] = set()
    for r in _conda_records(prefix):
        owned.update(str(f) for f in r.get("files") or ())
    return owned


def pip_installed(prefix: Path) -> dict[str, str]:
    """{name: version} of the distributions pip (or uv) installed, i.e. not from a conda package."""
    owned = _conda_owned(prefix)
    out = {}
    for name, inst in read_installed(prefix).items():
        rel = Path(inst.path).relative_to(prefix).as_posix() + "/RECORD"
        if rel not in owned:
            out[name] = inst.version
    return out


def requirement_closure(prefix: Path, roots: list[str]) -> set[str]:
    """`roots` and every installed distribution they require, transitively (Requires-Dist of each METADATA; a
    marker is not evaluated, so the set can only be wider)."""
    from packaging.requirements import InvalidRequirement, Requirement

    metas = {n: Path(i.path) / "METADATA" for n, i in read_installed(prefix).items()}
    seen: set[str] = set()
    todo = [_norm(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen or name not in metas:
            continue
        seen.add(name)
        try:
            text = metas[name].read_text(encoding="utf-8", errors="replace")[:262144]
        except OSError:
            continue
        for line in text.splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            if key.strip().lower() == "requires-dist":
                try:
                    todo.append(_norm(Requirement(value.strip()).name))
                except InvalidRequirement:
                    continue
    return seen


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _download_limits() -> tuple[int, float]:
    """(size cap in bytes, total-time cap in seconds) of one download: $TORCHDESK_LOCK_MAX_BYTES (default 8 GiB, above
    the largest CUDA torch wheel) and $TORCHDESK_LOCK_DOWNLOAD_S (default 3600)."""
    def num(name: str, default: float) -> float:
        try:
            value = float(os.environ.get(name, default))
        except ValueError:
            return default
        return value if value > 0 else default

    return int(num("TORCHDESK_LOCK_MAX_BYTES", 8 << 30)), num("TORCHDESK_LOCK_DOWNLOAD_S", 3600.0)


def _host(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or ("this machine" if parts.scheme == "file" else url[:80])


def _download(url: str, dest: Path, sha256: str | None, cancel: Any = None) -> str:
    """Fetch url to dest (via a temporary file) within a size and a total-time cap; check sha256 when given; return
    the file's sha256. A network failure, a stall or an oversize answer is a one-line LockError naming the host."""
    import socket
    import time

    from .procs import Cancelled

    max_bytes, total_s = _download_limits()
    host, fn = _host(url), url.rsplit("/", 1)[-1][:120]
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
        except (OSError, ValueError, http.client.HTTPException) as exc:
            if cancel is not None and cancel.is_cancelled:
                raise Cancelled() from None
            why = getattr(exc, "reason", None) or exc
            if isinstance(why, (socket.timeout, TimeoutError)) or "timed out" in str(why):
                why = "it stopped answering (timed out)"
            raise LockError(f"could not download {fn} from {host}: {why}; check the network and try again") from None
        digest = _sha256_file(Path(tmp))
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


def _report(python: Path, index_args: list[str], reqs: list[str], on_line: Callable[[str], None],
            cancel: Any) -> list[dict[str, Any]]:
    from .procs import run_streaming

    with tempfile.TemporaryDirectory(prefix="torchdesk-lock-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [str(python), "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps", "--quiet",
               "--report", str(report), *index_args, *reqs]
        on_line("$ " + " ".join(cmd))
        code = run_streaming(cmd, on_line=on_line, cancel=cancel, env=_clean_env())
        if code != 0 or not report.is_file():
            raise LockError(f"pip could not find the installed versions of {' '.join(reqs)} on their index "
                            f"(exit {code}); is the index reachable?")
        items = json.loads(report.read_text(encoding="utf-8")).get("install") or []
    return [i for i in items if isinstance(i, dict)]


def lock_wheels(prefix: Path, spec: EnvSpec, *, on_line: Callable[[str], None], cancel: Any = None) -> list[LockedWheel]:
    """The exact wheel (URL, sha256) of every pip-installed distribution, each also saved to the wheel cache."""
    from .paths import env_python

    installed = pip_installed(prefix)
    # TorchDesk's first pip run installs torch & co and their dependencies from torch's index alone, so those
    # files are looked up there; everything else came later, from the extras' index.
    torch_side = requirement_closure(prefix, [n for n in TORCH_SIDE if n in installed]) & set(installed)
    groups = (
        (sorted(torch_side), spec.torch_index_args(), spec.index_url or spec.find_links),
        (sorted(set(installed) - torch_side), spec.extras_index_args(), spec.extras_index_url),
    )
    out: list[LockedWheel] = []
    for names, args, index in groups:
        if not names:
            continue
        reqs = [f"{n}=={installed[n]}" for n in sorted(names)]
        for item in _report(env_python(prefix), list(args), reqs, on_line, cancel):
            meta = item.get("metadata") or {}
            info = item.get("download_info") or {}
            name, version, url = _norm(str(meta.get("name", ""))), str(meta.get("version", "")), str(info.get("url", ""))
            if name not in installed or installed[name] != version:
                raise LockError(f"the index offers {name} {version}, but {installed.get(name)} is installed")
            hashes = (info.get("archive_info") or {}).get("hashes") or {}
            filename = urllib.parse.unquote(url.rsplit("/", 1)[-1].split("#", 1)[0])
            if not filename.endswith(".whl"):
                raise LockError(f"{name} {version} is not a wheel on its index ({filename}); only wheels are locked")
            want = hashes.get("sha256")
            dest = cached_wheel(filename, want) if want else None
            if dest is None or not dest.is_file():
                on_line(f"caching {filename}")
                tmp_dest = wheel_cache_dir() / ".incoming" / filename
                got = _download(url.split("#", 1)[0], tmp_dest, want)
                dest = cached_wheel(filename, got)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp_dest, dest)
                want = got
            out.append(LockedWheel(name, version, filename, url.split("#", 1)[0], str(want), index))
    return sorted(out, key=lambda w: w.name)


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def pylock_text(wheels: list[LockedWheel], python: str, prefix: Path) -> str:
    """PEP 751 pylock.toml for the locked wheels."""
    lines = ['lock-version = "1.0"', 'created-by = "torchdesk"', f"requires-python = {_toml_str(f'=={python}.*')}",
             f"# Written by TorchDesk from {prefix}", ""]
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
        out.append(LockedWheel(_norm(str(p.get("name"))), str(p.get("version")), filename, url, str(sha).lower(),
                               p.get("index")))
    return out


# --- export -------------------------------------------------------------------------------------------------------

def export_lock(prefix: Path | str, out_dir: Path | str, *, on_line: Callable[[str], None],
                cancel: Any = None) -> list[Path]:
    """Write the env's lock (explicit spec, pylock.toml, environment.yml) into out_dir; never overwrites a file."""
    from rattler.platform import Subdir

    prefix, out = Path(prefix), Path(out_dir)
    recorded = prefix / "conda-meta" / "torchdesk-environment.yml"
    if not recorded.is_file():
        raise LockError(f"{prefix} was not built by TorchDesk (no conda-meta/torchdesk-environment.yml), so the "
                        "indexes its wheels came from are unknown; export its environment.yml instead")
    try:
        spec = read_environment_yml(recorded.read_text(encoding="utf-8"), check_name=False)
    except EnvSpecError as exc:
        raise LockError(f"cannot read the spec {prefix} was built from: {exc}") from None
    subdir = str(Subdir.current())
    targets = {out / f"conda-{subdir}.lock": None, out / PYLOCK: None, out / SPEC_FILE: None}
    existing = [str(t) for t in targets if t.exists()]
    if existing:
        raise LockError(f"{', '.join(existing)} already exist(s); choose another folder for the lock")
    conda = explicit_text(prefix, subdir)
    wheels = lock_wheels(prefix, spec, on_line=on_line, cancel=cancel)
    out.mkdir(parents=True, exist_ok=True)
    texts = [conda, pylock_text(wheels, spec.python, prefix), recorded.read_text(encoding="utf-8")]
    for path, text in zip(targets, texts, strict=True):
        path.write_text(text, encoding="utf-8")
    return list(targets)


# --- rebuild ------------------------------------------------------------------------------------------------------

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


def _conda_records_for(entries: list[tuple[str, str, str]], cache: Path, on_line: Callable[[str], None],
                       cancel: Any = None) -> list[Any]:
    from rattler import PackageRecord, RepoDataRecord

    records = []
    for url, kind, digest in entries:
        fn = urllib.parse.unquote(url.rsplit("/", 1)[-1])
        stem = fn[: -len(".tar.bz2")] if fn.endswith(".tar.bz2") else fn[: -len(".conda")] if fn.endswith(".conda") else None
        if stem is None or "/" in stem or stem.startswith("."):
            raise LockError(f"{url} is not a conda package file (.conda or .tar.bz2)")
        index = cache / stem / "info" / "index.json"
        if index.is_file():  # in the package cache: no download (rattler checks the hash it recorded there)
            rec = PackageRecord.from_index_json(index)
            if kind == "md5":
                rec.md5 = bytes.fromhex(digest)
            else:
                rec.sha256 = bytes.fromhex(digest)
            records.append(RepoDataRecord(rec, fn, url, url.rsplit("/", 2)[0] + "/"))
            continue
        on_line(f"downloading {fn} from {_host(url)}")
        tmp = Path(tempfile.mkdtemp(prefix="torchdesk-lock-")) / fn
        _download(url, tmp, digest if kind == "sha256" else None, cancel)
        if kind == "md5" and hashlib.md5(tmp.read_bytes()).hexdigest() != digest:  # conda's own check
            raise LockError(f"{url} does not match its locked md5; not using it")
        import asyncio

        records.append(asyncio.run(RepoDataRecord.from_package_archive(tmp)))
    return records


@dataclass(frozen=True)
class LockPlan:
    """A lock folder read and checked: the spec, the conda packages (url, kind, hash), the wheels, the target."""

    folder: Path
    spec: EnvSpec
    entries: list[tuple[str, str, str]]
    wheels: list[LockedWheel]
    target: Path


def load_lock(lock_dir: Path | str, *, name: str | None = None, prefix: str | None = None) -> LockPlan:
    """Read a lock folder (nothing is fetched or written); raises LockError for anything malformed."""
    from .jobs import target_prefix

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
        entries = read_explicit(explicit[0].read_text(encoding="utf-8"))
        wheels = read_pylock((folder / PYLOCK).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LockError(f"cannot read the lock in {folder}: {exc}") from None
    return LockPlan(folder, spec, entries, wheels, target)


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


def rebuild_from_lock(lock_dir: Path | str | LockPlan, *, name: str | None = None, prefix: str | None = None,
                      on_line: Callable[[str], None], cancel: Any = None, replace: bool = False) -> Path:
    """Build a new env with exactly the lock's files: conda packages from the package cache (or their URLs), wheels
    from the wheel cache (or their URLs), each checked against its hash. Holds the prefix's lock and marks the
    folder it creates (desktop/locks.py) until it commits; on failure removes only a folder carrying its marker."""
    import asyncio

    from .daytwo import apply_day_two
    from .engine.base import is_conda_env, protected_env
    from .jobs import _clean_up, _commit, _discard_moved_aside, _record_spec
    from .locks import EnvLock, LockError as EnvLockError, new_marker, read_marker, write_marker
    from .paths import env_python, pkgs_dir
    from .procs import Cancelled, run_streaming

    plan = lock_dir if isinstance(lock_dir, LockPlan) else load_lock(lock_dir, name=name, prefix=prefix)
    spec, entries, wheels, target = plan.spec, plan.entries, plan.wheels, plan.target
    foreign = foreign_urls(plan)
    if foreign:
        raise LockError(f"the lock fetches {foreign[0]} from a host its environment.yml does not name "
                        f"({len(foreign)} such URL(s)); not using it — rebuild the lock from the intended sources")

    def check_cancel() -> None:
        if cancel is not None and cancel.is_cancelled:
            raise Cancelled()

    try:
        env_lock = EnvLock(target).acquire()
    except EnvLockError as exc:
        raise LockError(f"{exc.message}; {exc.fix}") from None
    created = False
    marker = None
    moved_aside: Path | None = None
    warnings: list[str] = []
    try:
        if target.is_symlink():
            raise LockError(f"{target} is a symbolic link; not building through a link (give the real folder with -p)")
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            mk = read_marker(target) if target.is_dir() else None
            if mk is not None and mk.alive():
                raise LockError(f"{target} is being created by another TorchDesk job (pid {mk.pid}); wait for it")
            if not replace:
                raise LockError(f"{target} already exists; it was left as it is (choose another name, or pass "
                                "--replace to rebuild it)")
            if mk is None and not is_conda_env(target):
                raise LockError(f"{target} already exists and is not a conda environment; not touching it")
            why = protected_env(target) if mk is None else None
            if why:
                raise LockError(f"{why}; it cannot be replaced")
            moved_aside = target.with_name(f".{target.name}.torchdesk-replaced-{os.getpid()}")
            os.rename(target, moved_aside)
            on_line(f"moved the old environment aside to {moved_aside}")
        check_cancel()
        marker = new_marker(moved_aside)
        write_marker(target, marker)
        created = True
        cache = pkgs_dir()
        records = _conda_records_for(entries, cache, on_line, cancel)
        check_cancel()
        on_line(f"installing {len(records)} conda packages into {target}")
        from rattler.install import install

        asyncio.run(install(records, target_prefix=target, cache_dir=cache, show_progress=False))
        check_cancel()
        with tempfile.TemporaryDirectory(prefix="torchdesk-wheels-") as tmp:
            reqs = []
            for w in wheels:
                check_cancel()
                path = cached_wheel(w.filename, w.sha256)
                if not path.is_file() or _sha256_file(path) != w.sha256:
                    on_line(f"downloading {w.filename} from {_host(w.url)}")
                    _download(w.url, path, w.sha256, cancel)
                if _same_fs(path, Path(tmp)):
                    os.link(path, Path(tmp) / w.filename)
                else:
                    shutil.copy2(path, tmp)
                reqs.append(f"{w.name}=={w.version} --hash=sha256:{w.sha256}\n")
            req_file = Path(tmp) / "requirements.txt"
            req_file.write_text("".join(reqs), encoding="utf-8")
            # the installer the create job's wheel stage uses (uv, pip where uv cannot run), so the rebuilt env's
            # files, INSTALLER and RECORD included, are the ones the original got
            from .paths import uv_cache_dir
            from .wheelstage import find_uv, link_mode, uv_env

            uv, _why = find_uv()
            installer = "uv" if uv else "pip"
            if uv:
                cache = uv_cache_dir()
                cmd = [uv, "pip", "install", "--python", str(env_python(target)), "--no-config", "--no-index",
                       "--link-mode", link_mode(cache, target)[0], "--find-links", tmp, "--no-deps",
                       "--require-hashes", "-r", str(req_file)]
                env = uv_env(cache)
            else:
                cmd = [str(env_python(target)), "-m", "pip", "install", "--progress-bar", "off", "--no-index",
                       "--find-links", tmp, "--no-deps", "--require-hashes", "-r", str(req_file)]
                env = _clean_env()
            on_line("$ " + " ".join(cmd))
            if wheels:
                code = run_streaming(cmd, on_line=on_line, cancel=cancel, env=env)
                check_cancel()
                if code != 0:
                    raise LockError(f"{installer} could not install the locked wheels (exit {code}); "
                                    "see the output above")
        _record_spec(spec, target, on_line)
        apply_day_two(spec, target, on_line=on_line, cancel=cancel)
        check_cancel()
        _commit(target, on_line, warnings)
        created = False
        if moved_aside is not None:
            _discard_moved_aside(moved_aside, on_line, warnings)
    except BaseException:
        if created or moved_aside is not None:
            _clean_up(target if created else None, moved_aside, on_line, marker=marker)
        raise
    finally:
        env_lock.release()
    return target


def _same_fs(a: Path, b: Path) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False
