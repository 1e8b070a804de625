"""A lock import proves every package it takes from a cache is the locked file (review finding: the package cache's
folder was trusted by its name alone, so a lock with a zeroed md5 rebuilt "fine" from whatever the cache held).

Real engine, real CLI, the local channel (tests/localrepo.py) served over http on 127.0.0.1 by a server that counts
what it is asked for; each test has its own package cache, since some tamper with it.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from localrepo import LocalRepo

from desktop.lockfetch import rattler_recorded_sha256, wheel_cache_dir
from desktop.paths import envs_dir

ROOT = Path(__file__).resolve().parent.parent


class Counting:
    """The local repo's folder over http on 127.0.0.1, recording every path asked for."""

    def __init__(self, root: Path) -> None:
        self.paths: list[str] = []
        seen = self.paths

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                seen.append(self.path)
                super().do_GET()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      lambda *a, **k: Handler(*a, directory=str(root), **k))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served(repo: LocalRepo, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counting]:
    monkeypatch.setenv("TORCHDESK_PKGS_DIR", str(tmp_path / "pkgs"))  # this test's own package cache
    s = Counting(repo.channel.parent)
    yield s
    s.close()


def digest(p: Path, kind: str) -> str:
    return hashlib.new(kind, p.read_bytes()).hexdigest()


def archives(repo: LocalRepo) -> tuple[Path, Path]:
    return next(repo.channel.glob("linux-64/python-*.tar.bz2")), next(repo.channel.glob("linux-64/pip-*.tar.bz2"))


def write_lock(folder: Path, name: str, served: Counting, repo: LocalRepo, kind: str,
               python_hash: str | None = None, wheel: tuple[str, str] | None = None) -> Path:
    """A lock of the channel's python and pip by http, hashed by `kind` (python's hash replaced when given), and
    optionally one wheel (url, sha256)."""
    folder.mkdir(parents=True)
    pip_index = f"  - pip:\n    - --index-url {served.url}/torch-index/simple\n" if wheel else ""
    (folder / "environment.yml").write_text(f"name: {name}\nchannels:\n  - {served.url}/channel\ndependencies:\n"
                                            f"  - python=3.11\n  - pip\n{pip_index}")
    lines = ["@EXPLICIT"]
    for i, a in enumerate(archives(repo)):
        h = python_hash if i == 0 and python_hash else digest(a, kind)
        lines.append(f"{served.url}/channel/linux-64/{a.name}#{'sha256:' if kind == 'sha256' else ''}{h}")
    (folder / "conda-linux-64.lock").write_text("\n".join(lines) + "\n")
    pylock = 'lock-version = "1.0"\n'
    if wheel:
        pylock += ('[[packages]]\nname = "numpy"\nversion = "1.26.4"\n[[packages.wheels]]\n'
                   f'url = "{wheel[0]}"\nhashes = {{ sha256 = "{wheel[1]}" }}\n')
    (folder / "pylock.toml").write_text(pylock)
    return folder


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *argv], cwd=ROOT, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300, env=dict(os.environ))


def conda_downloads(served: Counting) -> list[str]:
    return [p for p in served.paths if p.endswith((".tar.bz2", ".conda"))]


def warm_cache(lock: Path, name: str) -> Path:
    """Import `lock` as env `name`, then remove the env: the package cache keeps what the import put there."""
    r = cli("import", str(lock), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert cli("remove", name, "--yes").returncode == 0
    return Path(os.environ["TORCHDESK_PKGS_DIR"])


def drop_cached_archives(repo: LocalRepo, cache: Path) -> None:
    """Remove the archives an import kept, leaving only the extractions."""
    for a in archives(repo):
        (cache / a.name).unlink()


def python_record(prefix: Path) -> dict[str, Any]:
    return dict(json.loads(next((prefix / "conda-meta").glob("python-*.json")).read_text()))


def test_a_zeroed_md5_is_refused_though_the_cache_holds_the_package(repo: LocalRepo, served: Counting,
                                                                    tmp_path: Path) -> None:
    warm_cache(write_lock(tmp_path / "good", "ch1", served, repo, "md5"), "ch1")
    py = archives(repo)[0]
    assert (Path(os.environ["TORCHDESK_PKGS_DIR"]) / py.name.removesuffix(".tar.bz2") / "info").is_dir()
    # before: exit 0, "Rebuilt", and conda-meta recorded a zero md5 that matches no file
    bad = write_lock(tmp_path / "bad", "ch1", served, repo, "md5", python_hash="0" * 32)
    r = cli("import", str(bad), "--yes")
    assert r.returncode != 0 and "Rebuilt" not in r.stdout
    assert py.name in r.stderr and "0" * 32 in r.stderr and digest(py, "md5") in r.stderr, r.stderr
    assert not (envs_dir() / "ch1").exists()


def test_an_md5_lock_checks_the_archive_again_since_the_cache_records_only_a_sha256(
        repo: LocalRepo, served: Counting, tmp_path: Path) -> None:
    lock = write_lock(tmp_path / "lock", "ch2", served, repo, "md5")
    cache = warm_cache(lock, "ch2")
    drop_cached_archives(repo, cache)  # the first import kept the archives it proved; without them md5 needs bytes
    served.paths.clear()
    r = cli("import", str(lock), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(p.rsplit("/", 1)[1] for p in conda_downloads(served)) == sorted(a.name for a in archives(repo))
    rec = python_record(envs_dir() / "ch2")
    py = archives(repo)[0]
    assert rec["md5"] == digest(py, "md5") and rec["sha256"] == digest(py, "sha256")
    assert rec["url"] == f"{served.url}/channel/linux-64/{py.name}"  # where the lock got it, not a temporary copy


def test_a_good_cached_package_is_reused_without_a_download(repo: LocalRepo, served: Counting,
                                                             tmp_path: Path) -> None:
    lock = write_lock(tmp_path / "lock", "ch3", served, repo, "sha256")
    assert cli("import", str(lock), "--yes").returncode == 0
    cache = Path(os.environ["TORCHDESK_PKGS_DIR"])
    for a in archives(repo):  # what rattler recorded for its extraction is the sha256 of the archive's bytes
        assert rattler_recorded_sha256(cache, a.name.removesuffix(".tar.bz2")) == digest(a, "sha256")
    assert cli("remove", "ch3", "--yes").returncode == 0
    served.paths.clear()
    r = cli("import", str(lock), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert conda_downloads(served) == [] and "downloading" not in r.stdout
    # the first import kept the archives it downloaded and proved: they are hashed again, nothing is fetched
    assert r.stdout.count("from the package cache (its sha256 matches the lock)") == 2
    drop_cached_archives(repo, cache)  # and without the archives, the extractions are proven by rattler's records
    assert cli("remove", "ch3", "--yes").returncode == 0
    r = cli("import", str(lock), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert conda_downloads(served) == [] and "downloading" not in r.stdout
    assert r.stdout.count("from the package cache (the sha256 recorded for it matches the lock)") == 2
    # an md5 lock with the archive itself in the cache (as conda keeps it) is reused too: the bytes are hashed
    assert cli("remove", "ch3", "--yes").returncode == 0
    md5_lock = write_lock(tmp_path / "md5", "ch3", served, repo, "md5")
    for a in archives(repo):
        (cache / a.name).write_bytes(a.read_bytes())
    r = cli("import", str(md5_lock), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert conda_downloads(served) == [] and r.stdout.count("(its md5 matches the lock)") == 2


def _listed_file(cache: Path, stem: str) -> str:
    """A file the package's info/paths.json lists (rattler links exactly those), a small plain one."""
    paths = json.loads((cache / stem / "info" / "paths.json").read_text())["paths"]
    return next(p["_path"] for p in paths if p["_path"].endswith((".py", ".txt")) and p.get("file_mode") != "text")


def _tamper(cache: Path, stem: str) -> tuple[str, bytes]:
    """Overwrite one listed file of the cached extraction with same-size other bytes; return it and its good bytes."""
    rel = _listed_file(cache, stem)
    f = cache / stem / rel
    good = f.read_bytes()
    f.unlink()  # break the hard link to the env that was removed, so only the cache's copy changes
    f.write_bytes(b"#" * len(good))
    return rel, good


@pytest.mark.parametrize("how", [
    "record-for-another-file",   # rattler's record names another sha256: the extraction is not the locked file
    "no-record",                 # no record at all: rattler would take the folder over as it is
    "archive-beside",            # the locked archive is in the cache (the proof), an altered extraction beside it
    "archive-beside-no-record",
])
def test_an_unproven_extraction_is_never_linked(repo: LocalRepo, served: Counting, tmp_path: Path, how: str) -> None:
    kind = "md5" if how.startswith("archive") else "sha256"
    lock = write_lock(tmp_path / "lock", "ch4", served, repo, kind)
    cache = warm_cache(lock, "ch4")
    pip_pkg = archives(repo)[1]
    stem = pip_pkg.name.removesuffix(".tar.bz2")
    rel, good = _tamper(cache, stem)
    record = cache / f"{stem}.lock"
    if how == "record-for-another-file":
        record.write_bytes(record.read_bytes()[:8] + bytes(32))
    if how.endswith("no-record"):
        record.unlink()
    if how.startswith("archive"):
        (cache / pip_pkg.name).write_bytes(pip_pkg.read_bytes())
    r = cli("import", str(lock), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert (envs_dir() / "ch4" / rel).read_bytes() == good  # the locked file's bytes, not the altered extraction's
    assert (cache / stem / rel).read_bytes() == b"#" * len(good)  # the shared cache was only read, never changed
    assert python_record(envs_dir() / "ch4")["name"] == "python"


def test_a_tampered_cached_archive_is_refused_and_left_alone(repo: LocalRepo, served: Counting,
                                                            tmp_path: Path) -> None:
    py, pip_pkg = archives(repo)
    cache = Path(os.environ["TORCHDESK_PKGS_DIR"])
    cache.mkdir(parents=True)
    (cache / py.name).write_bytes(pip_pkg.read_bytes())  # same name, other bytes
    for kind in ("sha256", "md5"):
        lock = write_lock(tmp_path / kind, "ch5", served, repo, kind)
        r = cli("import", str(lock), "--yes")
        assert r.returncode != 0 and "Rebuilt" not in r.stdout
        assert py.name in r.stderr and digest(pip_pkg, kind) in r.stderr and digest(py, kind) in r.stderr, r.stderr
        assert not (envs_dir() / "ch5").exists()
    assert (cache / py.name).read_bytes() == pip_pkg.read_bytes()  # the user's file is not ours to delete
    assert not (cache / py.name.removesuffix(".tar.bz2")).exists()  # and nothing was extracted from it


def test_a_tampered_cached_wheel_is_not_installed(repo: LocalRepo, served: Counting, tmp_path: Path) -> None:
    wheel = next(repo.torch_index.parent.glob("files/numpy-*.whl"))
    sha = digest(wheel, "sha256")
    url = f"{served.url}/torch-index/files/{wheel.name}"
    cached = wheel_cache_dir() / sha / wheel.name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the locked wheel")
    lock = write_lock(tmp_path / "lock", "ch6", served, repo, "sha256", wheel=(url, sha))
    r = cli("import", str(lock), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"/torch-index/files/{wheel.name}" in served.paths  # fetched again, and checked, instead
    assert cached.read_bytes() == wheel.read_bytes()
    assert cli("remove", "ch6", "--yes").returncode == 0
    # offline, a tampered cached wheel is refused, naming the file, and nothing is left
    cached.write_bytes(b"not the locked wheel")
    served.close()
    r = cli("import", str(lock), "--yes")
    assert r.returncode != 0 and wheel.name in r.stderr
    assert not (envs_dir() / "ch6").exists()


def _with_sha256_lines(lock: Path, repo: LocalRepo, python_sha: str | None = None) -> None:
    """Add TorchDesk's `# sha256: <hex>` line before each md5 line (python's replaced when given)."""
    f = lock / "conda-linux-64.lock"
    out = []
    for line in f.read_text().splitlines():
        for i, a in enumerate(archives(repo)):
            if line.split("#", 1)[0].endswith("/" + a.name):
                out.append(f"# sha256: {python_sha if i == 0 and python_sha else digest(a, 'sha256')}")
        out.append(line)
    f.write_text("\n".join(out) + "\n")


def test_an_md5_lock_with_its_sha256_lines_rebuilds_from_the_cache_without_a_download(
        repo: LocalRepo, served: Counting, tmp_path: Path) -> None:
    cache = warm_cache(write_lock(tmp_path / "first", "ch7", served, repo, "md5"), "ch7")
    drop_cached_archives(repo, cache)  # only the extractions: the sha256 lines must prove them
    before = len(conda_downloads(served))
    lock = write_lock(tmp_path / "lock", "ch7", served, repo, "md5")
    _with_sha256_lines(lock, repo)
    r = cli("import", str(lock), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(conda_downloads(served)) == before  # the extractions were proven by the sha256 rattler recorded
    rec = python_record(envs_dir() / "ch7")
    py = archives(repo)[0]
    # the sha256 proved the extraction and is recorded; the md5 could not be checked without the archive, so it is not
    assert rec["sha256"] == digest(py, "sha256") and not rec.get("md5")


def test_a_sha256_line_that_does_not_match_is_refused_though_the_md5_matches(
        repo: LocalRepo, served: Counting, tmp_path: Path) -> None:
    warm_cache(write_lock(tmp_path / "first", "ch8", served, repo, "md5"), "ch8")
    lock = write_lock(tmp_path / "lock", "ch8", served, repo, "md5")
    _with_sha256_lines(lock, repo, python_sha="0" * 64)
    r = cli("import", str(lock), "--yes")
    assert r.returncode != 0 and "Rebuilt" not in r.stdout, r.stdout + r.stderr
    assert "0" * 64 in r.stderr, r.stderr  # the extraction was not taken; the fetched archive failed the sha256
    assert not (envs_dir() / "ch8").exists()


def test_a_lock_listing_one_file_twice_is_refused() -> None:
    from desktop.exactlock import LockError, read_explicit

    for second in ("https://x/a-1-0.conda", "https://X/a-1-0.conda", "http://y/pkgs//a-1-0.conda", "https://x/a%2D1-0.conda"):
        text = "@EXPLICIT\nhttps://x/a-1-0.conda#" + "0" * 32 + f"\n{second}#" + "1" * 32 + "\n"
        with pytest.raises(LockError, match="twice"):
            read_explicit(text)


@pytest.mark.parametrize("field, value", [
    ("sha256", "a" * 64 + "\nhttps://evil.example/x-1-0.conda#" + "0" * 32),
    ("md5", "0" * 31 + "\n"),
    ("url", "https://x/a-1-0.conda#" + "0" * 32),
    ("url", "https://x/a 1-0.conda"),
])
def test_a_crafted_conda_meta_record_cannot_add_lines_to_an_exported_lock(tmp_path: Path, field: str,
                                                                          value: str) -> None:
    from desktop.exactlock import LockError
    from desktop.lockexport import explicit_text

    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    rec = {"name": "a", "version": "1", "build": "0", "depends": [], "url": "https://x/a-1-0.conda",
           "md5": "0" * 32, "sha256": "a" * 64}
    rec[field] = value
    (prefix / "conda-meta" / "a-1-0.json").write_text(json.dumps(rec))
    with pytest.raises(LockError, match="conda-meta"):
        explicit_text(prefix, "linux-64")


def test_an_exported_lock_escapes_its_folder_name(tmp_path: Path) -> None:
    from desktop.exactlock import read_explicit
    from desktop.lockexport import explicit_text

    prefix = tmp_path / "env\nhttps://evil.example/x-1-0.conda#sha256:" / "e"
    (prefix / "conda-meta").mkdir(parents=True)
    rec = {"name": "a", "version": "1", "build": "0", "depends": [], "url": "https://x/a-1-0.conda",
           "md5": "0" * 32, "sha256": "A" * 64}  # upper-case hex is valid hex
    (prefix / "conda-meta" / "a-1-0.json").write_text(json.dumps(rec))
    text = explicit_text(prefix, "linux-64")
    assert not [line for line in text.splitlines() if "evil.example" in line and not line.startswith("#")]
    assert [u for u, _, _ in read_explicit(text)] == ["https://x/a-1-0.conda"]


def test_a_private_cache_left_by_a_killed_import_is_swept_by_the_next(repo: LocalRepo, served: Counting,
                                                                      tmp_path: Path) -> None:
    """kill -9 leaves the import's private package cache behind; the next import removes it (its pid is dead), and
    leaves a live process's one alone."""
    cache = Path(os.environ["TORCHDESK_PKGS_DIR"])
    cache.mkdir(parents=True, exist_ok=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = cache / f".torchdesk-import-{dead.pid}-abc"
    (stale / "pip-0-0").mkdir(parents=True)
    live = cache / f".torchdesk-import-{os.getppid()}-def"  # pytest's parent: alive for the whole test
    live.mkdir()
    lock = write_lock(tmp_path / "lock", "ch9", served, repo, "sha256")
    r = cli("import", str(lock), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert not stale.exists() and live.is_dir()
    assert [d.name for d in cache.glob(".torchdesk-import-*")] == [live.name]  # its own private cache is gone too


def test_link_tree_keeps_symlinks_to_folders(tmp_path: Path) -> None:
    from desktop.lockinstall import _link_tree

    src = tmp_path / "pkg"
    (src / "lib" / "real").mkdir(parents=True)
    (src / "lib" / "real" / "a.py").write_text("x = 1\n")
    (src / "lib" / "alias").symlink_to("real")  # a folder symlink: os.walk lists it but does not enter it
    (src / "lib" / "b.py").symlink_to("real/a.py")
    _link_tree(src, tmp_path / "copy")
    copy = tmp_path / "copy" / "lib"
    assert os.readlink(copy / "alias") == "real" and os.readlink(copy / "b.py") == "real/a.py"
    assert os.stat(copy / "real" / "a.py").st_ino == os.stat(src / "lib" / "real" / "a.py").st_ino  # a hard link


def test_a_failure_while_preparing_the_private_cache_is_one_sentence_and_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from desktop import lockinstall
    from desktop.exactlock import LockError

    cache = tmp_path / "pkgs"
    monkeypatch.setenv("TORCHDESK_PKGS_DIR", str(cache))
    (cache / "pip-1-0").mkdir(parents=True)
    monkeypatch.setattr(lockinstall, "_fetch_conda", lambda *a, **k: [
        {"url": "https://x/pip-1-0.conda", "fn": "pip-1-0.conda", "kind": "sha256", "digest": "a" * 64,
         "stem": "pip-1-0", "archive": None}])

    def full_disk(src: Path, dst: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lockinstall, "_link_tree", full_disk)
    with pytest.raises(LockError, match="could not prepare the package cache for the import: No space left"):
        lockinstall._install_conda([("https://x/pip-1-0.conda", "sha256", "a" * 64)], tmp_path / "env",
                                   lambda line: None, None)
    assert [p.name for p in cache.iterdir()] == ["pip-1-0"]  # no private cache left behind


def test_a_kept_archive_never_replaces_the_caches_own_file(tmp_path: Path) -> None:
    from desktop.lockinstall import _keep_archives

    cache, work = tmp_path / "pkgs", tmp_path / "work"
    cache.mkdir()
    (work / "0").mkdir(parents=True)
    (work / "0" / "a-1-0.conda").write_bytes(b"proven")
    (work / "0" / "b-1-0.conda").write_bytes(b"proven b")
    (cache / "a-1-0.conda").write_bytes(b"another job's")
    packages = [{"fn": "a-1-0.conda", "archive": str(work / "0" / "a-1-0.conda")},
                {"fn": "b-1-0.conda", "archive": str(work / "0" / "b-1-0.conda")},
                {"fn": "c-1-0.conda", "archive": str(cache / "c-1-0.conda")}]  # the cache's own: nothing to keep
    _keep_archives(cache, packages, work)
    assert (cache / "a-1-0.conda").read_bytes() == b"another job's"
    assert (cache / "b-1-0.conda").read_bytes() == b"proven b"
    assert sorted(p.name for p in cache.iterdir()) == ["a-1-0.conda", "b-1-0.conda"]


def test_cache_clean_removes_a_killed_imports_private_cache(tmp_path: Path, home: Path) -> None:
    cache = Path(os.environ["TORCHDESK_PKGS_DIR"])
    (cache / "pip-1-0" / "info").mkdir(parents=True)
    data = cache / "pip-1-0" / "info" / "index.json"
    data.write_text("{}")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = cache / f".torchdesk-import-{dead.pid}-x" / "pip-1-0" / "info"
    orphan.mkdir(parents=True)
    os.link(data, orphan / "index.json")  # its hard links made the shared entry look used by an environment
    r = cli("cache", "clean")
    assert r.returncode == 0, r.stdout + r.stderr
    assert not orphan.parent.parent.exists() and not (cache / "pip-1-0").exists()
