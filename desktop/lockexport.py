"""`export --lock`: write an existing env's exact lock (conda's explicit spec, PEP 751 pylock.toml, the spec it was
built from; the format is desktop/exactlock.py's). The export holds the env's lock (desktop/locks.py) while it
reads it, so it never locks an env a create is still building or changing."""

from __future__ import annotations

import json
import re
import os
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any, Callable

from .driftguard import norm_name, read_installed
from .envspec import EnvSpec, EnvSpecError, read_environment_yml
from .exactlock import PYLOCK, SPEC_FILE, LockedWheel, LockError, pylock_text
from .lockfetch import cached_wheel, download, wheel_cache_dir
from .locks import LockError as EnvLockError
from .locks import hold_finished_env
from .wheelenv import pip_env
from .paths import SPEC_RECORD

TORCH_SIDE = ("torch", "torchvision", "torchaudio", "numpy")


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


_HEX = {"md5": re.compile(r"[0-9a-fA-F]{32}"), "sha256": re.compile(r"[0-9a-fA-F]{64}")}


def _check_record(r: dict[str, Any], prefix: Path) -> None:
    """A conda-meta record's url and hashes are written into the lock as they are: each must be what it claims (a
    URL without blanks or '#', hex digests), or a crafted record could add lines to the lock."""
    url = r.get("url")
    if not isinstance(url, str) or not url or any(c.isspace() or c == "#" for c in url):
        raise LockError(f"the record of {r.get('name')!r} in {prefix}/conda-meta has no usable URL; not writing a lock")
    for key, rx in _HEX.items():
        value = r.get(key)
        if value and not (isinstance(value, str) and rx.fullmatch(value)):
            raise LockError(f"the record of {r.get('name')!r} in {prefix}/conda-meta has a malformed {key}; "
                            "not writing a lock")


def explicit_text(prefix: Path, subdir: str) -> str:
    """conda's explicit spec for the env's conda packages: URL#md5 (URL#sha256:... when no md5 was recorded). Where
    the record has both, a `# sha256: <hex>` comment line goes before the URL: every conda reads the md5 (and skips
    the comment), and TorchDesk's import proves a cached extraction by it, so a rebuild needs no network when the
    caches hold the files (exactlock.explicit_sha256)."""
    records = _conda_records(prefix)
    if not records:
        raise LockError(f"{prefix} has no conda package records in conda-meta/: is it a conda environment?")
    lines = ["# This file may be used to create an environment using:",
             "# $ conda create --name <env> --file <this file>",
             f"# platform: {subdir}",
             f"# Written by TorchDesk from {ascii(str(prefix))}",  # escaped: a folder name cannot start a line
             "@EXPLICIT"]
    for r in _dependency_order(records):
        _check_record(r, prefix)
        if r.get("md5"):
            if r.get("sha256"):
                lines.append(f"# sha256: {r['sha256']}")
            lines.append(f"{r['url']}#{r['md5']}")
        elif r.get("sha256"):
            lines.append(f"{r['url']}#sha256:{r['sha256']}")
        else:
            raise LockError(f"the record of {r['name']} in {prefix}/conda-meta has no md5 or sha256 to lock it by")
    return "\n".join(lines) + "\n"


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
    todo = [norm_name(r) for r in roots]
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
                    todo.append(norm_name(Requirement(value.strip()).name))
                except InvalidRequirement:
                    continue
    return seen


def _report(python: Path, index_args: list[str], reqs: list[str], on_line: Callable[[str], None],
            cancel: Any) -> list[dict[str, Any]]:
    from .procs import run_streaming

    with tempfile.TemporaryDirectory(prefix="torchdesk-lock-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [str(python), "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps", "--quiet",
               "--report", str(report), *index_args, *reqs]
        on_line("$ " + " ".join(cmd))
        code = run_streaming(cmd, on_line=on_line, cancel=cancel, env=pip_env())
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
            name, version, url = norm_name(str(meta.get("name", ""))), str(meta.get("version", "")), str(info.get("url", ""))
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
                got = download(url.split("#", 1)[0], tmp_dest, want)
                dest = cached_wheel(filename, got)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp_dest, dest)
                want = got
            out.append(LockedWheel(name, version, filename, url.split("#", 1)[0], str(want), index))
    return sorted(out, key=lambda w: w.name)


# --- export -------------------------------------------------------------------------------------------------------

def export_lock(prefix: Path | str, out_dir: Path | str, *, on_line: Callable[[str], None],
                cancel: Any = None) -> list[Path]:
    """Write the env's lock (explicit spec, pylock.toml, environment.yml) into out_dir; never overwrites a file.

    Holds the env's lock while it reads the env: refused at once (LockError) while another job works on it, or
    when the folder is still being created or was left unfinished."""
    try:
        env_lock = hold_finished_env(Path(prefix), "exporting a lock of")
    except EnvLockError as exc:
        raise LockError(f"{exc.message}; {exc.fix}") from None
    try:
        return _export(Path(prefix), Path(out_dir), on_line, cancel)
    finally:
        env_lock.release()


def _export(prefix: Path, out: Path, on_line: Callable[[str], None], cancel: Any) -> list[Path]:
    from rattler.platform import Subdir

    recorded = prefix / SPEC_RECORD
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
