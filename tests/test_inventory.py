"""Issue #11: one environment inventory for both faces. A disk with envs in every kind of place (TorchDesk's
folder, a registry-only prefix, a conda installation's base and envs/, a symlinked duplicate, a trailing-slash
registry line, a stale registry line, .condarc envs_dirs and CONDA_ENVS_PATH, an interrupted creation, one being created, one without python) is listed
the same by `torchdesk envs --json`, the app's Environments tab (at start-up and on Refresh), `doctor`, and what
`verify --name X` resolves; an ambiguous name is refused with every prefix and the --prefix hint.

Fake conda installations are folders with conda-meta/ and bin/ (as in test_detect_conda.py); each env's
bin/python is a symlink to this interpreter, so verify and doctor run a real Python in it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop.locks import Marker, new_marker, write_marker
from desktop.paths import conda_environments_txt, envs_dir
from desktop.usecases.inventory import (CONDA_BASE, CONDA_ENVS, INCOMPLETE, NO_PYTHON, REGISTRY, TORCHDESK,
                                        EnvLookupError, find_environment, list_environments)
from hostile import cli_env, run_cli

GPU = {"TORCHDESK_OVERRIDE_GPUS": "NVIDIA H100 80GB HBM3:9.0", "TORCHDESK_OVERRIDE_DRIVER": "580.159.04",
       "TORCHDESK_OVERRIDE_OS": "linux"}  # detection reads no real GPU: doctor and the app see the same machine


def make_env(prefix: Path, *, torch: str | None = "2.5.1+cpu", python: bool = True) -> Path:
    """A conda env on disk: conda-meta/history, python's record, a torch dist-info, bin/python -> this Python."""
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True)
    (meta / "history").write_text("==> 2024-11-01 <==\n")
    if python:
        (meta / "python-3.11.9-h955ad1f_0.json").write_text("{}")
        (prefix / "bin").mkdir()
        (prefix / "bin" / "python").symlink_to(sys.executable)
    if torch:
        dist = prefix / "lib" / "python3.11" / "site-packages" / f"torch-{torch}.dist-info"
        dist.mkdir(parents=True)
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {torch}\n")
    return prefix


def dead_marker() -> Marker:
    """A marker of a job whose process has exited (and whose start time no live process has)."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return Marker("killed-job", p.pid, 0.0, "2026-01-01 00:00:00")


def build_disk(root: Path, home: Path) -> dict[str, Path]:
    """Envs in every kind of place; returns the prefix each name must be listed at."""
    td = envs_dir()
    alpha = make_env(td / "alpha")
    half = td / "half"
    write_marker(half, dead_marker())
    busy = td / "busy"
    write_marker(busy, new_marker())  # this test process is the job: it is alive
    proj = make_env(root / "projects" / "proj", torch="2.4.0")
    (proj / "conda-meta" / "torchdesk-environment.yml").write_text("name: proj\n")  # a TorchDesk create --prefix
    conda = make_env(home / "miniconda3", torch=None)
    (conda / "conda-meta" / "conda-24.7.1-py311h06a4308_0.json").write_text("{}")
    (conda / "bin" / "conda").write_text("#!/bin/sh\n")
    (conda / "bin" / "conda").chmod(0o755)
    beta = make_env(conda / "envs" / "beta", torch="2.5.1+cu124")
    nopy = make_env(conda / "envs" / "nopy", torch=None, python=False)
    (conda / "envs" / "alpha-link").symlink_to(alpha)  # the same env again, through a symlink
    gamma = make_env(root / "condarc-envs" / "gamma", torch=None)  # an envs_dirs entry of ~/.condarc
    (home / ".condarc").write_text(f"channels:\n  - conda-forge\nenvs_dirs:\n  - {root / 'condarc-envs'}\n")
    delta = make_env(Path(os.environ["CONDA_ENVS_PATH"]) / "delta", torch=None)
    gone = make_env(root / "gone")
    shutil.rmtree(gone)  # its registry line stays behind, stale
    reg = conda_environments_txt()
    reg.parent.mkdir(parents=True, exist_ok=True)
    reg.write_text("\n".join([str(proj), f"{proj}/", str(gone), str(alpha), str(beta), str(conda / "envs" / "alpha-link")])
                   + "\n")
    return {"alpha": alpha, "half": half, "busy": busy, "proj": proj, "base": conda, "beta": beta, "nopy": nopy,
            "gamma": gamma, "delta": delta}


@pytest.fixture
def disk(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    # conda's variables and PATH are the test's: a conda on this machine must not join one face and not the other
    for var in ("CONDA_EXE", "MAMBA_EXE", "MAMBA_ROOT_PREFIX", "CONDA_ENVS_PATH", "CONDA_ENVS_DIRS", "CONDA_PREFIX"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    monkeypatch.setenv("CONDA_ENVS_PATH", str(tmp_path / "envs-path"))  # conda's extra envs folders
    for k, v in GPU.items():
        monkeypatch.setenv(k, v)
    return build_disk(tmp_path, home)


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(home, PATH=os.environ["PATH"], CONDA_ENVS_PATH=os.environ["CONDA_ENVS_PATH"], **GPU)
    return run_cli(list(args), home, env=env, timeout=300)


def rows_of(items: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(i["name"], i["prefix"], i["state"]) for i in items]


def test_the_inventory_lists_every_kind_of_place_once(disk: dict[str, Path]) -> None:
    entries = {e.name: e for e in list_environments()}
    assert {n: e.prefix for n, e in entries.items()} == {n: str(p) for n, p in disk.items()}
    assert set(entries["alpha"].sources) == {TORCHDESK, REGISTRY, CONDA_ENVS}  # found three ways, listed once
    assert entries["proj"].sources == (REGISTRY,) and entries["proj"].torch == "2.4.0"
    assert entries["base"].sources == (CONDA_BASE,) and entries["beta"].sources == (REGISTRY, CONDA_ENVS)
    assert entries["half"].state == INCOMPLETE and entries["half"].unfinished and entries["half"].torch is None
    assert entries["busy"].state == f"being created (pid {os.getpid()})" and entries["busy"].unfinished
    assert entries["nopy"].state == NO_PYTHON and not entries["nopy"].unfinished
    assert entries["alpha"].ok and entries["beta"].torch == "2.5.1+cu124"
    assert entries["gamma"].sources == (CONDA_ENVS,) and entries["delta"].sources == (CONDA_ENVS,)
    assert {n for n, e in entries.items() if e.by_torchdesk} == {"alpha", "half", "busy", "proj"}
    # a lookup by path finds the entry, through the symlink or with a trailing slash too
    assert find_environment(str(disk["base"] / "envs" / "alpha-link")).prefix == str(disk["alpha"])
    assert find_environment(f"{disk['proj']}/").name == "proj"


def test_ambiguous_names_are_refused_with_every_prefix(disk: dict[str, Path], home: Path) -> None:
    make_env(envs_dir() / "twin")
    make_env(disk["base"] / "envs" / "twin")
    with pytest.raises(EnvLookupError) as ei:
        find_environment("twin")
    assert set(ei.value.prefixes) == {str(envs_dir() / "twin"), str(disk["base"] / "envs" / "twin")}
    with pytest.raises(EnvLookupError, match="no conda environment named 'nope'"):
        find_environment("nope")
    r = cli(home, "verify", "--name", "twin")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert str(envs_dir() / "twin") in r.stderr and str(disk["base"] / "envs" / "twin") in r.stderr
    assert "--prefix" in r.stderr
    for argv in (("repair", "twin", "--check"), ("export", "--lock", "twin", "-o", str(home / "lock"))):
        r = cli(home, *argv)  # every lookup by name is the same one
        assert r.returncode == 2 and "2 environments are named 'twin'" in r.stderr, (argv, r.stderr)
        assert str(envs_dir() / "twin") in r.stderr and str(disk["base"] / "envs" / "twin") in r.stderr
    r = cli(home, "repair", "half")
    # found by the same lookup, then refused by the env's lock (as create/remove/import are), in its words
    assert r.returncode == 1 and "is incomplete: its creation was interrupted" in r.stderr, r.stderr
    assert "torchdesk remove" in r.stderr and "Traceback" not in r.stderr
    r = cli(home, "remove", "twin", "--yes")
    assert r.returncode == 1 and (envs_dir() / "twin").exists() and (disk["base"] / "envs" / "twin").exists()


def test_cli_envs_equals_doctor_and_verify_name(disk: dict[str, Path], home: Path) -> None:
    r = cli(home, "envs", "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    items = json.loads(r.stdout)
    listed = rows_of(items)
    assert sorted((n, p) for n, p, _s in listed) == sorted((n, str(p)) for n, p in disk.items())
    assert listed == rows_of([e.to_json() for e in list_environments()])  # this process sees the same inventory

    r = cli(home, "doctor", "--json", "--timeout", "120")
    assert "Traceback" not in r.stderr, r.stderr
    doctored = sorted((d["env"], d["prefix"]) for d in json.loads(r.stdout))
    assert doctored == sorted((i["name"], i["prefix"]) for i in items if i["state"] == "ok" and i["torch"])
    assert [n for n, _p in doctored] == ["alpha", "beta", "proj"]

    for i in items:
        r = cli(home, "verify", "--name", i["name"], "--json", "--timeout", "120")
        assert "Traceback" not in r.stderr, r.stderr
        if i["state"] == "ok":
            assert json.loads(r.stdout)["python"] == str(Path(i["prefix"]) / "bin" / "python"), r.stderr
        else:  # refused in one sentence that names the env's state
            assert r.returncode == 2 and r.stdout == "", r.stdout
            assert ("no python" if i["state"] == NO_PYTHON else i["state"]) in r.stderr, r.stderr


def test_the_app_lists_what_the_cli_lists(qtbot: Any, disk: dict[str, Path], home: Path, tmp_path: Path) -> None:
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import QSettings

    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import UiSettings

    r = cli(home, "envs", "--json")
    assert r.returncode == 0, r.stderr
    expected = rows_of(json.loads(r.stdout))

    w = MainWindow(UiSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)), env=dict(os.environ))
    qtbot.addWidget(w)
    ep = w.envs_panel
    try:
        with qtbot.waitSignal(w.detect_runner.succeeded, timeout=60_000):
            assert w.start()
        qtbot.waitUntil(lambda: bool(ep.envs) and not w.envs_runner.busy, timeout=60_000)  # the start-up list

        def table_rows() -> list[tuple[str, str, str]]:
            out = []
            for row, e in enumerate(ep.envs):
                name, where = ep.table.item(row, 0).text(), ep.table.item(row, ep.table.columnCount() - 1).text()
                assert name == e.name and where == (e.prefix if e.state == "ok" else f"{e.prefix}  ({e.state})")
                out.append((name, e.prefix, e.state))
            return out

        assert table_rows() == expected
        assert ep.table.rowCount() == len(expected)
        # the machine panel counts the same inventory (not detection's own list)
        assert w.machine_panel.fields["conda"].text().endswith(f"; {len(expected)} environment(s)")
        with qtbot.waitSignal(w.envs_runner.succeeded, timeout=60_000):
            ep.refresh_button.click()
        assert table_rows() == expected
        # an unfinished folder can be removed but not exported; an env without torch cannot be verified
        ep.table.selectRow(next(i for i, e in enumerate(ep.envs) if e.name == "half"))
        assert ep.remove_button.isEnabled() and not ep.export_button.isEnabled() and not ep.verify_button.isEnabled()
    finally:
        w.shutdown()
