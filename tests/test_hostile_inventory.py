"""#10 item 3 (inventory part): undecodable or absurd content in ~/.conda/environments.txt and in an env's
conda-meta/ or site-packages is skipped with a warning; `envs`, `remove`, `detect` and a create keep working."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.envspec import spec_from_plan, with_sources, write_environment_yml
from hostile import cli_env, run_cli
from localrepo import LocalRepo
from test_jobs import PLAN

BAD_LINES = [b"\xff\xfe not utf-8 \xc3\x28", b"relative/env", b"/tmp/with\x01control", b"/" + b"x" * 10_000]


def fake_env(prefix: Path) -> Path:
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "history").write_text("")
    return prefix


def hostile_registry(home: Path, *good: Path) -> Path:
    reg = home / ".conda" / "environments.txt"
    reg.parent.mkdir(parents=True, exist_ok=True)
    reg.write_bytes(b"\n".join([*BAD_LINES[:2], *(str(g).encode() for g in good), *BAD_LINES[2:]]) + b"\n")
    return reg


def test_envs_and_remove_survive_an_undecodable_registry(tmp_path: Path) -> None:
    home = tmp_path / "home"
    good = fake_env(tmp_path / "elsewhere" / "mine")
    reg = hostile_registry(home, good)
    r = run_cli(["envs"], home)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert str(good) in r.stdout
    assert "warning:" in r.stderr and "environments.txt" in r.stderr and "line 1, 2, 4, 5" in r.stderr
    assert len(r.stderr) < 2000  # the absurd line is not echoed
    r = run_cli(["detect", "--json"], home)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr

    r = run_cli(["remove", "mine", "--yes"], home)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert not good.exists()
    after = reg.read_bytes().splitlines()
    assert str(good).encode() not in after
    assert after == BAD_LINES  # every line that is not ours stays exactly as it was


def test_create_registers_next_to_an_undecodable_registry(repo: LocalRepo, pkgs: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    reg = hostile_registry(home)
    spec = with_sources(spec_from_plan(PLAN, name="inv"), channels=[repo.channel_url], index_url=repo.torch_index_url)
    yml = tmp_path / "environment.yml"
    yml.write_text(write_environment_yml(spec))
    env = cli_env(home, TORCHDESK_PKGS_DIR=str(pkgs), TORCHDESK_ENVS_DIR=str(home / "envs"))
    r = run_cli(["import", str(yml), "--yes", "--no-verify", "--force"], home, env=env, timeout=600)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stdout + r.stderr
    lines = reg.read_bytes().splitlines()
    assert str(home / "envs" / "inv").encode() in lines and all(b in lines for b in BAD_LINES)
    r = run_cli(["envs"], home, env=env)
    assert r.returncode == 0 and str(home / "envs" / "inv") in r.stdout


def test_absurd_conda_meta_and_dist_info_are_shown_safely(tmp_path: Path) -> None:
    home = tmp_path / "home"
    envs = home / ".local" / "share" / "torchdesk" / "envs"
    a = fake_env(envs / "nested")
    (a / "conda-meta" / "python-3.11.0-0.json").write_text("[" * 100_000)
    (a / "conda-meta" / "pytorch-2.5.1-py3.11_0.json").write_bytes(b"\xff\x00" * 100)
    b = fake_env(envs / "escapes")
    (b / "conda-meta" / "python-3.11.0-0.json").write_text("null")
    dist = b / "lib" / "python3.11" / "site-packages" / "torch-2.5.1\x1b]0;pwned\x07\x1b[2J.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_bytes(b"Metadata-Version: 2.1\nName: torch\nVersion: 9.9\x1b[31mred\n")
    (dist / "INSTALLER").write_bytes(b"pip\x1b[2J\xff")
    r = run_cli(["envs"], home)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "nested" in r.stdout and "escapes" in r.stdout
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "\\x1b" in r.stdout  # shown, escaped
    r = run_cli(["envs", "--json"], home)
    assert r.returncode == 0 and "\x1b" not in r.stdout
    r = run_cli(["remove", "escapes", "--yes"], home)
    assert r.returncode == 0 and not b.exists()


def test_an_undecodable_env_folder_name_does_not_crash_envs_or_remove(tmp_path: Path) -> None:
    import os

    home = tmp_path / "home"
    name = os.fsdecode(b"bad\xff")  # what Python makes of a folder name that is not UTF-8
    prefix = fake_env(home / ".local" / "share" / "torchdesk" / "envs" / name)
    env = cli_env(home, PYTHONIOENCODING="utf-8")  # strict, as on a terminal whose locale is en_US.UTF-8
    r = run_cli(["envs"], home, env=env)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "bad\\udcff" in r.stdout
    r = run_cli(["remove", name, "--yes"], home, env=env)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert not prefix.exists()


@pytest.mark.parametrize("kind", ["fifo", "folder", "huge"])
def test_a_registry_that_is_not_a_small_file(kind: str, tmp_path: Path) -> None:
    import os

    home = tmp_path / "home"
    good = fake_env(tmp_path / "elsewhere" / "mine")
    reg = home / ".conda" / "environments.txt"
    reg.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(reg)  # opening it for reading would wait for a writer forever
    elif kind == "folder":
        reg.mkdir()
    else:
        with open(reg, "wb") as f:
            f.write(f"{good}\n".encode())
            f.write((b"/" + b"y" * 1000 + b"\n") * 6000)  # 6 MB of lines that are not envs
    r = run_cli(["envs"], home, timeout=60)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    if kind == "huge":
        assert str(good) in r.stdout and "only its first part was read" in r.stderr
