"""Conda, mamba and micromamba discovery over real folders the tests lay out; nothing in them is run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop.detect import Probe
from desktop.detect.conda import discover_conda, read_env
from desktop.model import CondaEnv
from detect_data.replay import layout


def env_files(prefix: str, python: str | None = "3.11.9", conda_torch: str | None = None,
              pip_torch: str | None = None, installer: str = "pip", windows: bool = False) -> dict[str, str]:
    files = {f"{prefix}/conda-meta/history": "==> 2024-11-01 <==\n"}
    if python:
        files[f"{prefix}/conda-meta/python-{python}-h955ad1f_0.json"] = "{}"
    if conda_torch:
        files[f"{prefix}/conda-meta/pytorch-{conda_torch}.json"] = "{}"
    version = pip_torch or (conda_torch.split("-")[0] if conda_torch else None)
    if version:
        site = f"{prefix}/Lib/site-packages" if windows else f"{prefix}/lib/python{python[:4] if python else '3.11'}/site-packages"
        info = f"{site}/torch-{version}.dist-info"
        files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\nSummary: Tensors\n\nbody\n"
        files[f"{info}/INSTALLER"] = (installer if pip_torch else "conda") + "\n"
    return files


def exe(path: str) -> dict[str, str]:
    return {path: "#!/bin/sh\n"}


@pytest.mark.parametrize("files, expected", [
    (env_files("e", pip_torch="2.5.1+cu124"), CondaEnv("x", "", "3.11.9", "2.5.1+cu124", None, "pip")),
    (env_files("e", pip_torch="2.4.0", installer="uv"), CondaEnv("x", "", "3.11.9", "2.4.0", None, "uv")),
    (env_files("e", conda_torch="2.5.1-py3.11_cuda12.4_cudnn9.1.0_0"),
     CondaEnv("x", "", "3.11.9", "2.5.1", "py3.11_cuda12.4_cudnn9.1.0_0", "conda")),
    ({**env_files("e", conda_torch="2.3.0-py3.11_cpu_0"), **env_files("e", pip_torch="2.5.1+cu121")},
     CondaEnv("x", "", "3.11.9", "2.5.1+cu121", None, "pip")),  # a pip torch over a conda one is the one imported
    (env_files("e"), CondaEnv("x", "", "3.11.9", None, None, None)),
    (env_files("e", python=None), CondaEnv("x", "", None, None, None, None)),
    (env_files("e", pip_torch="2.5.1+cu124", windows=True), CondaEnv("x", "", "3.11.9", "2.5.1+cu124", None, "pip")),
], ids=["pip", "uv", "conda", "pip-over-conda", "no-torch", "no-python", "windows-layout"])
def test_read_env(files: dict[str, str], expected: CondaEnv, tmp_path: Path) -> None:
    layout(tmp_path, files)
    got = read_env(tmp_path / "e", "x")
    assert got == CondaEnv(**{**expected.__dict__, "prefix": str(tmp_path / "e")})


def test_discovery_from_usual_folders_path_and_environments_txt(tmp_path: Path) -> None:
    home = tmp_path / "home"
    mc = "home/miniconda3"
    layout(tmp_path, {
        **exe(f"{mc}/bin/conda"), **exe(f"{mc}/bin/mamba"),
        f"{mc}/conda-meta/conda-24.7.1-py311h06a4308_0.json": "{}",
        f"{mc}/conda-meta/mamba-1.5.8-py311h3072747_0.json": "{}",
        **env_files(mc, python="3.12.4"),
        **env_files(f"{mc}/envs/torch-cu124", pip_torch="2.5.1+cu124"),
        **env_files(f"{mc}/envs/old", python="3.8.19", conda_torch="1.13.1-py3.8_cuda11.7_cudnn8.5.0_0"),
        f"{mc}/envs/not-an-env/readme.txt": "no conda-meta here",
        **env_files("work/proj/.env", python="3.10.14"),
        "home/.conda/environments.txt": f"{tmp_path}/{mc}\n{tmp_path}/work/proj/.env\n/gone/away\n\n",
    })
    p = Probe(root=tmp_path / "sysroot", system="linux", home=home, which=lambda n: None)
    installs, envs, notes = discover_conda(p, {}, "linux")
    assert [(i.kind, i.version, i.root_prefix) for i in installs] == [
        ("conda", "24.7.1", str(tmp_path / mc)), ("mamba", "1.5.8", str(tmp_path / mc))]
    assert str(tmp_path / mc / "envs") in installs[0].envs_dirs
    assert sorted((e.name, e.python, e.torch) for e in envs) == [
        (".env", "3.10.14", None), ("base", "3.12.4", None), ("old", "3.8.19", "1.13.1"),
        ("torch-cu124", "3.11.9", "2.5.1+cu124")]
    assert notes[0].ok and "conda 24.7.1" in notes[0].detail and "4 env(s)" in notes[0].detail


def test_conda_exe_and_micromamba_from_the_environment(tmp_path: Path) -> None:
    layout(tmp_path, {
        **exe("opt/forge/condabin/conda"), **env_files("opt/forge", python="3.12.4"),
        **exe("bin/micromamba"), **env_files("mm/envs/ml", pip_torch="2.6.0+cu126"),
        **env_files("extra-envs/side", python="3.9.19"),
    })
    env = {"CONDA_EXE": f"{tmp_path}/opt/forge/condabin/conda", "MAMBA_EXE": f"{tmp_path}/bin/micromamba",
           "MAMBA_ROOT_PREFIX": f"{tmp_path}/mm", "CONDA_ENVS_PATH": f"{tmp_path}/extra-envs"}
    p = Probe(root=tmp_path / "sysroot", system="linux", home=tmp_path / "nohome", which=lambda n: None)
    installs, envs, _ = discover_conda(p, env, "linux")
    assert [(i.kind, i.root_prefix) for i in installs] == [("conda", f"{tmp_path}/opt/forge"),
                                                          ("micromamba", f"{tmp_path}/mm")]
    assert sorted(e.name for e in envs) == ["base", "ml", "side"]


def test_path_lookup_and_condarc_envs_dirs(tmp_path: Path) -> None:
    layout(tmp_path, {**exe("anaconda/bin/conda"), **env_files("anaconda"),
                      "home/.condarc": "channels:\n  - conda-forge\nenvs_dirs:\n  - ~/my-envs\n  - /nowhere\n",
                      **env_files("home/my-envs/dev", pip_torch="2.5.1")})
    p = Probe(root=tmp_path / "sysroot", system="linux", home=tmp_path / "home",
              which=lambda n: f"{tmp_path}/anaconda/bin/conda" if n == "conda" else None)
    installs, envs, _ = discover_conda(p, {}, "linux")
    assert [i.kind for i in installs] == ["conda"]
    assert sorted((e.name, e.torch) for e in envs) == [("base", None), ("dev", "2.5.1")]


def test_windows_layout(tmp_path: Path) -> None:
    layout(tmp_path, {**exe("home/miniconda3/Scripts/conda.exe"), **env_files("home/miniconda3"),
                      **env_files("home/miniconda3/envs/gpu", pip_torch="2.5.1+cu124", windows=True)})
    p = Probe(root=tmp_path / "sysroot", system="windows", home=tmp_path / "home", which=lambda n: None)
    installs, envs, _ = discover_conda(p, {}, "windows")
    assert installs[0].root_prefix == str(tmp_path / "home/miniconda3")
    assert sorted((e.name, e.torch) for e in envs) == [("base", None), ("gpu", "2.5.1+cu124")]


def test_nothing_installed(tmp_path: Path) -> None:
    p = Probe(root=tmp_path, system="linux", home=tmp_path, which=lambda n: None)
    installs, envs, notes = discover_conda(p, {}, "linux")
    assert installs == () and envs == () and not notes[0].ok


def test_unreadable_env_folder_is_skipped(tmp_path: Path) -> None:
    layout(tmp_path, {**exe("home/miniconda3/bin/conda"), **env_files("home/miniconda3")})
    locked = tmp_path / "home/miniconda3/envs"
    locked.mkdir()
    os.chmod(locked, 0)
    try:
        p = Probe(root=tmp_path / "sysroot", system="linux", home=tmp_path / "home", which=lambda n: None)
        _, envs, _ = discover_conda(p, {}, "linux")
        assert [e.name for e in envs] == ["base"]
    finally:
        os.chmod(locked, 0o755)
