"""Exact locks for real: create an env from a channel and indexes served on 127.0.0.1, export its lock, remove
it, stop the servers, rebuild from the lock, and compare every installed file's hash.

The packages are the local channel's and index's small stand-ins (tests/localrepo.py); the engine, pip, the
servers going away and the caches are real.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from localrepo import LocalRepo, serve_index
from standins import CPU_PLAN, run_cli

from desktop.engine import get_engine
from desktop.envspec import spec_from_plan, with_sources
from desktop.jobs import create_env
from desktop.exactlock import (
    LockError,
    explicit_sha256,
    read_explicit,
    read_pylock,
)
from desktop.lockfetch import wheel_cache_dir
from desktop.lockinstall import rebuild_from_lock
from desktop.paths import envs_dir
from desktop.procs import CancelToken


def file_hashes(prefix: Path) -> dict[str, str]:
    """sha256 of every file the packages put there. Left out: conda's and pip's bookkeeping of when and how
    (conda-meta records and history, REQUESTED, direct_url.json, uv's uv_cache.json, which names the cache entry a
    wheel was linked from, bytecode caches) and the guard's timestamped fingerprint record."""
    out = {}
    for p in sorted(prefix.rglob("*")):
        rel = p.relative_to(prefix).as_posix()
        if p.is_dir() or "__pycache__" in rel or rel.endswith(("/REQUESTED", "/direct_url.json", "/uv_cache.json")):
            continue
        if (rel.startswith("conda-meta/") and (rel.endswith(".json") or rel == "conda-meta/history")) \
                or rel == "etc/torchdesk/guard.json":
            continue
        data = p.read_bytes() if not p.is_symlink() else b""
        if rel.endswith(".dist-info/RECORD"):  # RECORD lists the bookkeeping files too: compare it without them
            data = b"".join(ln for ln in data.splitlines(keepends=True)
                            if not ln.split(b",")[0].endswith((b"/REQUESTED", b"/direct_url.json", b"/uv_cache.json")))
        out[rel] = os.readlink(p) if p.is_symlink() else hashlib.sha256(data).hexdigest()
    return out


def conda_set(prefix: Path) -> set[tuple[str, str, str, str]]:
    recs = [json.loads(f.read_text()) for f in (prefix / "conda-meta").glob("*.json")]
    return {(r["name"], r["version"], r["build"], r["url"]) for r in recs}


@pytest.fixture
def served(repo: LocalRepo):  # type: ignore[no-untyped-def]
    servers = [serve_index(repo.channel / "noarch"), serve_index(repo.torch_index), serve_index(repo.extras_index)]
    yield servers
    for s in servers:
        s.close()


def test_export_lock_then_rebuild_offline_gives_the_same_files(repo: LocalRepo, home: Path, tmp_path: Path,
                                                                served) -> None:  # type: ignore[no-untyped-def]
    chan, torch_idx, extras_idx = served
    channel_url = chan.url.rsplit("/", 1)[0]
    spec = with_sources(spec_from_plan(CPU_PLAN, name="lk1", extras=["td-extra"], conda_extras=["td-hello"]),
                        channels=[channel_url], index_url=torch_idx.url, extras_index_url=extras_idx.url)
    lines: list[str] = []
    res = create_env(spec, engine=get_engine("embedded"), on_line=lines.append, on_progress=lambda p: None,
                     cancel=CancelToken(), verify=False, size_mib=10, check_index=False)
    assert res.ok, (res.message, lines[-20:])
    prefix = envs_dir() / "lk1"
    before, conda_before = file_hashes(prefix), conda_set(prefix)
    assert any(r[3].startswith("http://127.0.0.1") for r in conda_before)

    lock = tmp_path / "lock"
    p = run_cli("export", "--lock", "lk1", "-o", str(lock))
    assert p.returncode == 0, p.stdout + p.stderr
    explicit = read_explicit(next(lock.glob("conda-*.lock")).read_text())
    assert {u for u, _, _ in explicit} == {r[3] for r in conda_before}
    assert all(kind == "md5" for _, kind, _ in explicit)
    # beside each md5 the record's sha256, on a comment line stock conda skips, so the import can prove the
    # package cache's extractions (rattler records their sha256) without fetching anything
    sha256s = explicit_sha256(next(lock.glob("conda-*.lock")).read_text())
    assert set(sha256s) == {u for u, _, _ in explicit}
    files = [u.rsplit("/", 1)[-1] for u, _, _ in explicit]
    first = {n: next(i for i, f in enumerate(files) if f.startswith(n + "-")) for n in ("python", "pip", "td-base", "td-hello")}
    assert first["python"] < first["pip"] and first["td-base"] < first["td-hello"]  # dependencies first
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    pylock = tomllib.loads((lock / "pylock.toml").read_text())  # stock TOML, PEP 751 keys
    assert pylock["lock-version"] == "1.0"
    wheels = {w.name: w for w in read_pylock((lock / "pylock.toml").read_text())}
    assert set(wheels) == {"torch", "torchvision", "torchaudio", "numpy", "td-extra"}
    for w in wheels.values():
        served_file = (repo.torch_index.parent if w.name != "td-extra" else repo.extras_index.parent) / "files" / w.filename
        assert w.sha256 == hashlib.sha256(served_file.read_bytes()).hexdigest()
        assert w.url.startswith("http://127.0.0.1") and (wheel_cache_dir() / w.sha256 / w.filename).is_file()
    # writing a lock never overwrites one
    again = run_cli("export", "--lock", "lk1", "-o", str(lock))
    assert again.returncode == 1 and "already exist" in again.stderr

    p = run_cli("remove", "lk1", "--yes")
    assert p.returncode == 0 and not prefix.exists()
    for s in (chan, torch_idx, extras_idx):  # every server is gone: only the caches can help now
        s.close()
    p = run_cli("import", str(lock), "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "downloading " not in p.stdout  # offline: each extraction proven by its recorded sha256
    assert p.stdout.count("the sha256 recorded for it matches the lock") == len(explicit)
    assert "Rebuilt" in p.stdout
    after = file_hashes(prefix)
    assert sorted(after.keys() ^ before.keys()) == []
    assert [k for k in before if before[k] != after[k]] == []
    assert conda_set(prefix) == conda_before
    assert (prefix / "etc" / "torchdesk" / "constraints.txt").is_file()  # the rebuilt env is guarded too
    out = subprocess.run([str(prefix / "bin" / "python"), "-c", "import torch, td_extra; print(torch.__version__)"],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=True)
    assert out.stdout.strip() == "2.5.1+cpu"


def test_a_wheel_that_does_not_match_its_hash_is_refused_and_nothing_is_left(repo: LocalRepo, home: Path,
                                                                              tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    lock.mkdir()
    (lock / "environment.yml").write_text(f"name: lk2\nchannels:\n  - {repo.channel_url}\ndependencies:\n"
                                          "  - python=3.11\n  - pip\n")
    rec = next(repo.channel.glob("linux-64/python-*.tar.bz2"))
    pip_pkg = next(repo.channel.glob("linux-64/pip-*.tar.bz2"))

    def md5(p: Path) -> str:
        return hashlib.md5(p.read_bytes()).hexdigest()

    (lock / "conda-linux-64.lock").write_text(f"@EXPLICIT\n{rec.as_uri()}#{md5(rec)}\n{pip_pkg.as_uri()}#{md5(pip_pkg)}\n")
    wheel = next(repo.torch_index.parent.glob("files/numpy-*.whl"))
    (lock / "pylock.toml").write_text('lock-version = "1.0"\n[[packages]]\nname = "numpy"\nversion = "1.26.4"\n'
                                      f'[[packages.wheels]]\nurl = "{wheel.as_uri()}"\nhashes = {{ sha256 = "{"0" * 64}" }}\n')
    with pytest.raises(LockError, match="does not match its locked sha256"):
        rebuild_from_lock(lock, on_line=lambda s: None)
    assert not (envs_dir() / "lk2").exists()
    assert not (wheel_cache_dir() / ("0" * 64)).exists() or not any((wheel_cache_dir() / ("0" * 64)).iterdir())


def test_explicit_spec_lines_are_checked() -> None:
    with pytest.raises(LockError, match="comes before @EXPLICIT"):
        read_explicit("https://x/a-1-0.conda#" + "0" * 32 + "\n")
    with pytest.raises(LockError, match="no md5 or sha256"):
        read_explicit("@EXPLICIT\nhttps://x/a-1-0.conda\n")
    with pytest.raises(LockError, match="not an http"):
        read_explicit("@EXPLICIT\n/etc/passwd#" + "0" * 32 + "\n")
    assert read_explicit("@EXPLICIT\nhttps://x/a-1-0.conda#sha256:" + "A" * 64 + "\n") == [
        ("https://x/a-1-0.conda", "sha256", "a" * 64)]


@pytest.mark.parametrize("entry", [
    'name = "numpy\\n--index-url http://evil"\nversion = "1.0"',
    'name = "numpy"\nversion = "1.0 --extra-index-url http://evil"',
])
def test_a_pylock_cannot_smuggle_pip_options(entry: str) -> None:
    text = (f'lock-version = "1.0"\n[[packages]]\n{entry}\n[[packages.wheels]]\n'
            f'url = "https://example.org/numpy-1.0-py3-none-any.whl"\nhashes = {{ sha256 = "{"a" * 64}" }}\n')
    with pytest.raises(LockError, match="not well formed"):
        read_pylock(text)


def test_a_pylock_hash_cannot_name_a_path() -> None:
    text = ('lock-version = "1.0"\n[[packages]]\nname = "numpy"\nversion = "1.0"\n[[packages.wheels]]\n'
            'url = "https://example.org/numpy-1.0-py3-none-any.whl"\nhashes = { sha256 = "../../../../tmp/x" }\n')
    with pytest.raises(LockError, match="not well formed"):
        read_pylock(text)


def test_the_torch_side_is_torch_and_what_it_requires(tmp_path: Path) -> None:
    from desktop.lockexport import requirement_closure

    site = tmp_path / "env" / "lib" / "python3.11" / "site-packages"
    for name, version, reqs in (("torch", "2.5.1+cu121", ("filelock", "nvidia-cublas-cu12 ; platform_system == 'Linux'")),
                                ("filelock", "3.0", ()), ("nvidia-cublas-cu12", "12.1", ("nvidia-cuda-nvrtc-cu12",)),
                                ("nvidia-cuda-nvrtc-cu12", "12.1", ()), ("ipykernel", "6.0", ("traitlets",)),
                                ("traitlets", "5.0", ())):
        d = site / f"{name.replace('-', '_')}-{version}.dist-info"
        d.mkdir(parents=True)
        (d / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                                    + "".join(f"Requires-Dist: {r}\n" for r in reqs) + "\nbody: text\n")
    got = requirement_closure(tmp_path / "env", ["torch"])
    assert got == {"torch", "filelock", "nvidia-cublas-cu12", "nvidia-cuda-nvrtc-cu12"}


@pytest.mark.parametrize("text, expect", [
    ("@EXPLICIT\n# sha256: " + "a" * 64 + "\nhttps://x/a-1-0.conda#" + "0" * 32 + "\n", {"https://x/a-1-0.conda": "a" * 64}),
    # the comment must come directly before an md5 line: a blank line, another comment or a sha256 line ends it
    ("@EXPLICIT\n# sha256: " + "a" * 64 + "\n\nhttps://x/a-1-0.conda#" + "0" * 32 + "\n", {}),
    ("@EXPLICIT\n# sha256: " + "a" * 64 + "\n# other\nhttps://x/a-1-0.conda#" + "0" * 32 + "\n", {}),
    ("@EXPLICIT\n# sha256: " + "a" * 64 + "\nhttps://x/a-1-0.conda#sha256:" + "b" * 64 + "\n", {}),
    ("@EXPLICIT\n# sha256: " + "a" * 63 + "\nhttps://x/a-1-0.conda#" + "0" * 32 + "\n", {}),  # not a sha256
])
def test_explicit_sha256_reads_only_the_line_before_an_md5_entry(text: str, expect: dict[str, str]) -> None:
    assert explicit_sha256(text) == expect
    read_explicit(text)  # and stock readers still see a valid explicit spec


@pytest.mark.parametrize("files", [(), ("environment.yml",), ("environment.yml", "pylock.toml")])
def test_a_folder_that_is_not_a_whole_lock_is_a_clear_error(home: Path, tmp_path: Path, files: tuple[str, ...]) -> None:
    folder = tmp_path / "not-a-lock"
    folder.mkdir()
    for f in files:
        (folder / f).write_text("name: x\ndependencies:\n  - python=3.11\n" if f.endswith(".yml") else 'lock-version = "1.0"\n')
    p = run_cli("import", str(folder), "--yes")
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert "is a folder but not a lock folder" in p.stderr and "export --lock" in p.stderr, p.stderr
    assert not (envs_dir() / "x").exists()
