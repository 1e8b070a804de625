"""The create/export/import/envs/remove commands end to end, on the local channel and index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from desktop.cli import main
from desktop.engine import get_engine
from desktop.envspec import read_environment_yml, spec_from_plan, with_sources, write_environment_yml
from desktop.jobs import create_env
from desktop.paths import conda_environments_txt, envs_dir
from desktop.procs import CancelToken
from localrepo import LocalRepo, tree_state
from test_jobs import PLAN


def test_export_writes_a_rebuildable_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "environment.yml"
    assert main(["export", "--no-gpu", "--python", "3.11", "--name", "work", "--extra", "rich", "-o", str(out)]) == 0
    data = yaml.safe_load(out.read_text())
    assert data["name"] == "work" and data["dependencies"][:2] == ["python=3.11", "pip"]
    pip = data["dependencies"][-1]["pip"]
    assert pip[0].startswith("--index-url https://download.pytorch.org/whl/") and "rich" in pip
    spec = read_environment_yml(out.read_text())
    assert spec.pip_extras == ("rich",) and spec.torch_pins
    assert main(["export", "--no-gpu", "--shell", "--name", "work"]) == 0
    assert "conda create -y -n work" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["export", "--no-gpu", "--name", "a b"],
    ["export", "--no-gpu", "--extra=--index-url=http://x"],
    ["export", "--no-gpu", "--conda-mirror", "nowhere"],
    ["create", "--name", "x", "--conda-mirror", "nowhere"],
    ["import", "/nonexistent/environment.yml"],
    ["remove", "no-such-env", "--yes"],
])
def test_usage_errors(argv: list[str], home: Path) -> None:
    assert main(argv) == 2


def test_import_check_only(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "environment.yml"
    assert main(["export", "--no-gpu", "--name", "work", "-o", str(out)]) == 0
    capsys.readouterr()
    code = main(["import", str(out), "--check-only"])
    text = capsys.readouterr().out
    assert text.startswith("This yml asks for torch ")
    assert code in (0, 1) and ("and it will run on" in text) == (code == 0)


def test_import_builds_then_envs_and_remove(repo: LocalRepo, home: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    spec = with_sources(spec_from_plan(PLAN, name="imp", conda_extras=["td-hello"]), channels=[repo.channel_url],
                        index_url=repo.torch_index_url)
    yml = tmp_path / "environment.yml"
    yml.write_text(write_environment_yml(spec))
    code = main(["import", str(yml), "--yes", "--no-verify", "--force"])
    out = capsys.readouterr()
    assert code == 0, out.err
    prefix = envs_dir() / "imp"
    assert "Created imp at" in out.out and "[5/6] pip" in out.out
    assert (prefix / "conda-meta" / "history").is_file()

    assert main(["envs"]) == 0
    listing = capsys.readouterr().out
    assert "imp" in listing and "2.5.1+cpu" in listing and str(prefix) in listing

    # existing name: refused, exit 1, env intact
    assert main(["import", str(yml), "--yes", "--no-verify", "--force"]) == 1
    assert "already exists" in capsys.readouterr().err and (prefix / "bin" / "python").exists()

    # remove: no confirmation on a non-terminal means no removal
    r = subprocess.run([sys.executable, "-m", "desktop.cli", "remove", "imp"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, cwd=Path(__file__).resolve().parent.parent)
    assert r.returncode == 1 and "--yes" in r.stderr and prefix.exists()
    assert main(["remove", "imp", "--yes"]) == 0
    assert not prefix.exists()
    assert str(prefix) not in conda_environments_txt().read_text().splitlines()


def test_remove_refuses_what_is_not_a_conda_env(home: Path, tmp_path: Path) -> None:
    d = tmp_path / "precious"
    d.mkdir()
    (d / "file.txt").write_text("keep me")
    assert main(["remove", str(d), "--yes"]) == 1
    assert (d / "file.txt").read_text() == "keep me"


def test_remove_and_replace_refuse_a_conda_installation(repo: LocalRepo, home: Path, tmp_path: Path) -> None:
    # ~/miniconda3 is a conda env too (conda-meta/history), and environments.txt lists it: removing or replacing
    # it would delete conda itself and every env under its envs/
    base = tmp_path / "miniconda3"
    inner = base / "envs" / "work"
    for p in (base, inner):
        (p / "conda-meta").mkdir(parents=True)
        (p / "conda-meta" / "history").write_text("==> 2024-01-01 00:00:00 <==\n")
    (base / "condabin").mkdir()
    (base / "condabin" / "conda").write_text("#!/bin/sh\n")
    conda_environments_txt().parent.mkdir(parents=True)
    conda_environments_txt().write_text(f"{base}\n{inner}\n")
    before = tree_state(base)
    assert main(["remove", "miniconda3", "--yes"]) == 1
    assert main(["remove", str(base), "--yes"]) == 1
    assert tree_state(base) == before
    spec = with_sources(spec_from_plan(PLAN, name=None, prefix=str(base)), channels=[repo.channel_url],
                        index_url=repo.torch_index_url)
    res = create_env(spec, engine=get_engine("embedded"), on_line=lambda line: None, on_progress=lambda p: None,
                     cancel=CancelToken(), replace=True, verify=False, size_mib=10)
    assert res.status == "failed" and res.stage == "preflight" and "base environment" in res.message
    assert tree_state(base) == before
    assert main(["remove", str(inner), "--yes"]) == 0 and not inner.exists()


def test_prefix_with_a_tilde_is_under_home(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    # `--prefix=~/envs/x` reaches us unexpanded (the shell expands ~ only at the start of a word)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "environment.yml"
    assert main(["export", "--no-gpu", "--prefix=~/envs/x", "-o", str(out)]) == 0
    assert yaml.safe_load(out.read_text())["prefix"] == str(home / "envs" / "x")
    taken = home / "envs" / "y"
    taken.mkdir(parents=True)
    (taken / "notes.txt").write_text("mine\n")
    capsys.readouterr()
    assert main(["import", str(out), "--yes", "--force", "--no-verify", "--prefix=~/envs/y"]) == 1
    assert f"{taken} already exists and is not a conda environment" in capsys.readouterr().err
    assert not (tmp_path / "~").exists()


def test_remove_by_relative_path_unregisters_it(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / "envs" / "rel"
    (env / "conda-meta").mkdir(parents=True)
    (env / "conda-meta" / "history").write_text("==> 2024-01-01 00:00:00 <==\n")
    conda_environments_txt().parent.mkdir(parents=True)
    conda_environments_txt().write_text(f"{env}\n")
    monkeypatch.chdir(env.parent)
    assert main(["remove", "./rel", "--yes"]) == 0
    assert not env.exists()
    assert str(env) not in conda_environments_txt().read_text().splitlines()


def test_import_of_an_exported_base_env_takes_the_name_given(home: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # `conda env export` run in base writes name: base, which is reserved; --name (or --prefix) replaces it
    yml = tmp_path / "environment.yml"
    yml.write_text("name: base\nchannels: [conda-forge]\ndependencies:\n  - python=3.11.9=hb806964_0_cpython\n"
                   "  - pip:\n      - --index-url https://download.pytorch.org/whl/cpu\n      - torch==2.5.1+cpu\n")
    assert main(["import", str(yml), "--check-only"]) == 2
    assert "reserved" in capsys.readouterr().err
    assert main(["import", str(yml), "--check-only", "--name", "work"]) in (0, 1)
    assert capsys.readouterr().out.startswith("This yml asks for torch 2.5.1+cpu on Python 3.11")
    assert main(["import", str(yml), "--check-only", "--name", "base"]) == 2
