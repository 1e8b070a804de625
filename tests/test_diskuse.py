"""Disk use and cache cleaning for real: environments created from the local channel and index, the CLI run as
a user runs it, and the envs checked to still work after every clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.diskuse import tree_size
from desktop.procs import CancelToken

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)


def create(repo, name: str, **kw):  # type: ignore[no-untyped-def]
    from desktop.engine import get_engine
    from desktop.envspec import spec_from_plan, with_sources
    from desktop.jobs import create_env
    from desktop.model import Plan

    plan = Plan(torch="2.5.1", variant="cpu", python="3.11", torchvision="0.20.1", torchaudio="2.5.1", numpy="<2",
                index_url="https://download.pytorch.org/whl/cpu")
    spec = with_sources(spec_from_plan(plan, name=name, **kw), channels=[repo.channel_url],
                        index_url=repo.torch_index_url, extras_index_url=repo.extras_index_url)
    res = create_env(spec, engine=get_engine("embedded"), on_line=lambda _l: None, on_progress=lambda _p: None,
                     cancel=CancelToken(), size_mib=10, verify=False)
    assert res.ok, res.message
    return Path(res.prefix)


def imports_torch(prefix: Path) -> str:
    out = subprocess.run([str(prefix / "bin" / "python"), "-c", "import torch; print(torch.__version__)"],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def shared_inodes(prefix: Path) -> set[tuple[int, int]]:
    out = set()
    for p in prefix.rglob("*"):
        st = p.lstat()
        if p.is_file() and not p.is_symlink() and st.st_nlink > 1:
            out.add((st.st_dev, st.st_ino))
    return out


@pytest.fixture
def caches(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Caches of this test's own (the session's shared pkgs cache must not be cleaned under other tests)."""
    pkgs, uv = tmp_path / "cache" / "pkgs", tmp_path / "cache" / "uv"
    monkeypatch.setenv("TORCHDESK_PKGS_DIR", str(pkgs))
    monkeypatch.setenv("TORCHDESK_UV_CACHE_DIR", str(uv))
    return pkgs, uv


def test_clean_keeps_what_envs_link_to_and_empties_the_caches_once_they_are_gone(repo, caches) -> None:  # type: ignore[no-untyped-def]
    pkgs, uv = caches
    e1 = create(repo, "d1")
    linked = shared_inodes(e1)
    assert linked, "nothing in the env is hardlinked from the caches"
    info = {c["cache"]: c for c in json.loads(cli("cache", "info", "--json").stdout)}
    assert info["conda"]["in_use_bytes"] > 0 and info["wheels"]["in_use_bytes"] > 0, info
    assert info["conda"]["path"] == str(pkgs) and info["wheels"]["path"] == str(uv)

    # an env with more in it, removed again: what only it used is now unused in the caches
    from desktop.engine.base import remove_env

    remove_env(create(repo, "dx", conda_extras=["td-hello"], extras=["td-extra"]))
    out = cli("cache", "clean", "--json")
    assert out.returncode == 0, out.stderr
    removed = [Path(p).name for p in json.loads(out.stdout)["removed"]]
    assert any(n.startswith("td-hello-1.0") for n in removed) and any(n.startswith("td-base-1.0") for n in removed)
    assert not any(n.startswith(("python-", "pip-")) and not n.endswith((".tar.bz2", ".conda")) for n in removed)
    assert len([p for p in (uv / "archive-v0").iterdir()]) == 4  # torch, torchvision, torchaudio, numpy; td-extra gone
    assert json.loads(out.stdout)["kept_in_use"] > 0
    assert imports_torch(e1) == "2.5.1+cpu"
    assert shared_inodes(e1) == linked  # every file the env linked to is still in the cache

    e2 = create(repo, "d2")  # the cleaned cache still serves a create
    assert imports_torch(e2) == "2.5.1+cpu"
    sizes = json.loads(cli("envs", "--sizes", "--json").stdout)
    rows = {Path(r["prefix"]).name: r for r in sizes["envs"]}
    assert rows["d1"]["shared_bytes"] > 0 and rows["d2"]["shared_bytes"] > 0
    # hardlinked files are counted once: both envs together take less than the sum of their parts
    assert sizes["envs_bytes"] < sum(r["own_bytes"] + r["shared_bytes"] for r in rows.values())
    assert rows["d2"]["own_bytes"] == tree_size(e2).own_bytes

    remove_env(e1)
    remove_env(e2)
    out = cli("cache", "clean")
    assert out.returncode == 0, out.stderr
    assert [p for p in pkgs.iterdir()] == [] and [p for p in uv.iterdir()] == []
    info = {c["cache"]: c for c in json.loads(cli("cache", "info", "--json").stdout)}
    assert info["conda"]["total_bytes"] == 0 and info["wheels"]["total_bytes"] == 0


def test_tree_size_counts_links_inside_the_tree_as_own(tmp_path: Path) -> None:
    env, cache = tmp_path / "env", tmp_path / "cache"
    env.mkdir()
    cache.mkdir()
    (env / "a").write_bytes(b"x" * 10000)
    os.link(env / "a", env / "a2")  # python3.11 and python: one file, twice, in the env only
    (cache / "b").write_bytes(b"y" * 20000)
    os.link(cache / "b", env / "b")  # linked from the cache
    os.symlink("a", env / "link")
    s = tree_size(env)
    assert s.files == 2
    assert s.own_bytes == os.lstat(env / "a").st_blocks * 512
    assert s.shared_bytes == os.lstat(env / "b").st_blocks * 512


def test_cache_alone_shows_the_info(caches) -> None:  # type: ignore[no-untyped-def]
    pkgs, uv = caches
    out = cli("cache")
    assert out.returncode == 0, out.stderr
    assert f"conda packages (rattler): {pkgs}" in out.stdout and f"wheels (uv): {uv}" in out.stdout
    out = cli("cache", "clean", "--dry-run")
    assert out.returncode == 0 and out.stdout.startswith("would remove 0 cache entries")


def test_clean_is_refused_while_a_job_holds_an_environment(caches, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A create links files from the caches that no environment links to yet: cleaning under it could take them.
    A real second process holds an environment's lock, as a running create does; clean refuses and names it."""
    pkgs, _uv = caches
    entry = pkgs / "some-pkg-1.0-0"
    entry.mkdir(parents=True)
    (entry / "file.txt").write_text("a cached package nothing links to yet")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from desktop.locks import EnvLock; "
         f"held = EnvLock(Path({str(tmp_path / 'envs' / 'busy')!r}), command='torchdesk create -n busy').acquire(); "
         "print('held', flush=True); time.sleep(60)"],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        out = cli("cache", "clean")
        assert out.returncode == 1, out.stdout + out.stderr
        assert "a TorchDesk job is working right now" in out.stderr and f"pid {holder.pid}" in out.stderr
        assert (entry / "file.txt").is_file()  # nothing was removed
    finally:
        holder.kill()
        holder.wait()
    out = cli("cache", "clean")  # the job is gone: now it cleans
    assert out.returncode == 0, out.stderr
    assert not entry.exists()
