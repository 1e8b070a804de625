"""#10 item 6 and the log-folder part of item 8: a token in an index URL never reaches the terminal, the log,
the env's record or an export; logs are 0600; the shared temp-dir log fallback does not follow a planted symlink."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from desktop.envspec import spec_from_plan, with_sources, write_environment_yml
from hostile import cli_env, run_cli
from localrepo import LocalRepo, serve_index
from test_jobs import PLAN

TOKEN = "s3cr3t-t0ken"


def test_export_leaves_the_credentials_out_and_says_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    out = tmp_path / "environment.yml"
    r = run_cli(["export", "--no-gpu", "-n", "w", "--torch-mirror", f"https://td-user:{TOKEN}@mirror.example/whl",
                 "-o", str(out)], home)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert TOKEN not in text and "td-user" not in text and "https://mirror.example/whl" in text
    assert TOKEN not in r.stdout + r.stderr and "left out" in r.stderr
    r = run_cli(["export", "--no-gpu", "-n", "w", "--shell", "--torch-mirror",
                 f"https://td-user:{TOKEN}@mirror.example/whl"], home)
    assert r.returncode == 0 and TOKEN not in r.stdout and "https://mirror.example/whl" in r.stdout


def test_check_only_masks_the_token(tmp_path: Path) -> None:
    yml = tmp_path / "environment.yml"
    yml.write_text("name: w\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip:\n"
                   f"    - --index-url https://td-user:{TOKEN}@download.example/whl/cpu\n    - torch==2.5.1+cpu\n")
    r = run_cli(["import", str(yml), "--check-only", "--force"], tmp_path / "home")
    assert "Traceback" not in r.stderr and TOKEN not in r.stdout + r.stderr
    assert "https://td-user:****@download.example/whl/cpu" in r.stdout


def test_create_with_a_token_in_the_index_url(repo: LocalRepo, pkgs: Path, tmp_path: Path) -> None:
    served = serve_index(repo.torch_index)
    try:
        secret_url = served.url.replace("http://", f"http://td-user:{TOKEN}@")
        spec = with_sources(spec_from_plan(PLAN, name="sec"), channels=[repo.channel_url], index_url=secret_url)
        yml = tmp_path / "environment.yml"
        yml.write_text(write_environment_yml(spec))
        home = tmp_path / "home"
        env = cli_env(home, TORCHDESK_PKGS_DIR=str(pkgs), TORCHDESK_ENVS_DIR=str(home / "envs"))
        r = run_cli(["import", str(yml), "--yes", "--no-verify", "--force"], home, env=env, timeout=600)
    finally:
        served.close()
    assert r.returncode == 0, r.stdout + r.stderr
    assert TOKEN not in r.stdout + r.stderr
    assert "td-user:****@127.0.0.1" in r.stdout  # the confirmation still says which index, masked
    log = Path(re.search(r"log: (\S+)", r.stdout).group(1))  # type: ignore[union-attr]
    assert log.is_file() and TOKEN not in log.read_text() and "pip install" in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    record = home / "envs" / "sec" / "conda-meta" / "torchdesk-environment.yml"
    assert record.is_file() and TOKEN not in record.read_text()
    assert served.url in record.read_text()  # the URL stays, without its user-info
    r = run_cli(["envs"], home, env=env)
    assert r.returncode == 0 and "sec" in r.stdout


def _failing_import(tmp_path: Path, home: Path, env: dict[str, str]) -> None:
    # A job that stops in preflight (its folder already exists): the log is opened, nothing is solved.
    taken = tmp_path / "taken"
    taken.mkdir(exist_ok=True)
    (taken / "file").write_text("mine")
    yml = tmp_path / "environment.yml"
    yml.write_text(f"prefix: '{taken}'\nchannels: ['{(tmp_path / 'no-channel').as_uri()}']\n"
                   "dependencies:\n  - python=3.11\n")
    r = run_cli(["import", str(yml), "--yes", "--no-verify", "--force"], home, env=env, timeout=300)
    assert "Traceback" not in r.stderr and r.returncode == 1, r.stdout + r.stderr


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_temp_log_fallback_refuses_a_planted_symlink(tmp_path: Path) -> None:
    home = tmp_path / "home"
    tmp = tmp_path / "tmp"
    victim = tmp_path / "victim"
    tmp.mkdir()
    victim.mkdir()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")  # log_dir() under a file: the job must fall back to the temp dir
    for name in ("torchdesk-logs", f"torchdesk-logs-{os.getuid()}"):
        (tmp / name).symlink_to(victim, target_is_directory=True)
    env = cli_env(home, TMPDIR=str(tmp), TORCHDESK_LOG_DIR=str(blocker / "logs"))
    _failing_import(tmp_path, home, env)
    assert list(victim.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_temp_log_fallback_is_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    env = cli_env(home, TMPDIR=str(tmp), TORCHDESK_LOG_DIR=str(blocker / "logs"))
    _failing_import(tmp_path, home, env)
    folder = tmp / f"torchdesk-logs-{os.getuid()}"
    assert stat.S_IMODE(folder.lstat().st_mode) == 0o700 and not folder.is_symlink()
    logs = list(folder.iterdir())
    assert logs and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in logs)
    # a folder of that name left open to others is not used
    folder.chmod(0o777)
    for p in logs:
        p.unlink()
    _failing_import(tmp_path, home, env)
    assert list(folder.iterdir()) == []


def test_a_failing_create_does_not_print_the_token(tmp_path: Path) -> None:
    # Nothing to install there: the index warns (404) and the solve fails, both naming the URLs they used.
    empty = tmp_path / "served" / "simple"
    empty.mkdir(parents=True)
    served = serve_index(empty)
    try:
        base = served.url.rsplit("/", 1)[0].replace("http://", f"http://td-user:{TOKEN}@")
        yml = tmp_path / "environment.yml"
        yml.write_text(f"name: leak\nchannels:\n  - {base}/channel\ndependencies:\n  - python=3.11\n  - pip:\n"
                       f"    - --index-url {base}/simple\n    - torch==2.5.1\n")
        home = tmp_path / "home"
        r = run_cli(["import", str(yml), "--yes", "--force", "--no-verify"], home, timeout=300)
    finally:
        served.close()
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "could not" in r.stderr  # it did fail where the URLs are named
    assert TOKEN not in r.stdout + r.stderr
    for log in home.rglob("*.log"):
        assert TOKEN not in log.read_text()


def test_export_of_an_env_record_strips_tokens_and_refuses_a_huge_one(tmp_path: Path) -> None:
    # The app's Export of an existing env (no CLI command): the core function the envs panel calls.
    from desktop.envspec import EnvSpecError, export_env_yml

    record = tmp_path / "env" / "conda-meta" / "torchdesk-environment.yml"
    record.parent.mkdir(parents=True)
    record.write_text(f"name: e\ndependencies:\n  - pip:\n    - --index-url https://td-user:{TOKEN}@h.example/simple\n")
    text = export_env_yml(tmp_path / "env")
    assert TOKEN not in text and "https://h.example/simple" in text
    with open(record, "wb") as f:
        f.truncate(64 << 20)  # sparse: 64 MiB of NULs, never read whole
    with pytest.raises(EnvSpecError, match="larger than"):
        export_env_yml(tmp_path / "env")
