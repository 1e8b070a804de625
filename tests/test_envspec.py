"""EnvSpec: Plan -> spec -> environment.yml -> spec round trips, foreign files, mirrors, shell commands, checks."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from desktop.envspec import (
    EnvSpec,
    EnvSpecError,
    check_spec,
    read_environment_yml,
    shell_commands,
    spec_from_plan,
    validate_env_name,
    with_sources,
    write_environment_yml,
)
from desktop.mirrors import MirrorChoice, MirrorError, find_mirror, presets
from desktop.model import GpuInfo, Host, Plan

CU121 = Plan(torch="2.4.1", variant="cu121", python="3.11", torchvision="0.19.1", torchaudio="2.4.1", numpy="<2",
             index_url="https://download.pytorch.org/whl/cu121", cuda="12.1")
CPU = Plan(torch="2.5.1", variant="cpu", python="3.12", torchvision="0.20.1", torchaudio="2.5.1", numpy=None,
           index_url="https://download.pytorch.org/whl/cpu")
OLD = Plan(torch="1.7.1", variant="cu110", python="3.8", torchvision="0.8.2", torchaudio="0.7.2", numpy="<2",
           index_url=None, find_links="https://download.pytorch.org/whl/torch_stable.html", local_version="+cu110",
           cuda="11.0")
MAC = Plan(torch="2.5.1", variant="cpu", python="3.12", torchvision="0.20.1", torchaudio=None, numpy=None,
           index_url="https://pypi.org/simple")


@pytest.mark.parametrize("plan", [CU121, CPU, OLD, MAC], ids=["cu121", "cpu", "find-links", "pypi"])
@pytest.mark.parametrize("extras,conda_extras", [((), ()), (("pandas>=2", "rich"), ("ffmpeg", "libjpeg-turbo>=3"))])
def test_round_trip(plan: Plan, extras: tuple[str, ...], conda_extras: tuple[str, ...]) -> None:
    spec = spec_from_plan(plan, name="work", extras=extras, conda_extras=conda_extras)
    text = write_environment_yml(spec)
    assert read_environment_yml(text) == spec
    data = yaml.safe_load(text)
    assert data["name"] == "work"
    assert data["channels"] == ["conda-forge"]
    assert data["dependencies"][:2] == [f"python={plan.python}", "pip"]
    assert data["dependencies"][2:-1] == list(conda_extras)
    pip = data["dependencies"][-1]["pip"]
    if plan.index_url:
        assert f"--index-url {plan.index_url}" in pip
    if plan.find_links:
        assert f"--find-links {plan.find_links}" in pip
    # torch's pins come before the extras, and the extras never sit between torch's index and its pins
    torch_at = next(i for i, p in enumerate(pip) if p.startswith("torch=="))
    assert all(pip.index(e) > torch_at for e in extras)


def test_cuda_pins_carry_the_build_label() -> None:
    spec = spec_from_plan(CU121, name="a")
    assert spec.torch_pins == ("torch==2.4.1+cu121", "torchvision==0.19.1+cu121", "torchaudio==2.4.1+cu121")
    assert spec.torch == "2.4.1+cu121"
    assert spec.torch_requirements()[-1] == "numpy<2"


def test_extras_are_kept_apart_from_torch() -> None:
    spec = spec_from_plan(CU121, name="a", extras=["pandas"])
    assert spec.torch_index_args() == ["--index-url", "https://download.pytorch.org/whl/cu121"]
    assert spec.extras_index_args() == []  # PyPI, pip's default
    assert "pandas" not in spec.torch_requirements()
    pip = yaml.safe_load(write_environment_yml(spec))["dependencies"][-1]["pip"]
    # stock conda runs one pip install: the extras' index is added, torch stays on exact pins
    assert "--extra-index-url https://pypi.org/simple" in pip
    assert "torch==2.4.1+cu121" in pip
    without = yaml.safe_load(write_environment_yml(spec_from_plan(CU121, name="a")))["dependencies"][-1]["pip"]
    assert not any(p.startswith("--extra-index-url") for p in without)


@pytest.mark.parametrize("bad", ["--index-url http://evil/simple", "torch==2.0", "not a req!!", "-e ."])
def test_bad_pip_extras_refused(bad: str) -> None:
    with pytest.raises(EnvSpecError):
        spec_from_plan(CU121, name="a", extras=[bad])


@pytest.mark.parametrize("bad", ["python=3.10", "pip", "foo; rm -rf /", "$(boom)", "a`b`"])
def test_bad_conda_extras_refused(bad: str) -> None:
    with pytest.raises(EnvSpecError):
        spec_from_plan(CU121, name="a", conda_extras=[bad])


@pytest.mark.parametrize("name,ok", [
    ("torch-2.5", True), ("a_b.c", True), ("x" * 64, True), ("x" * 65, False), ("", False), ("a/b", False),
    ("..", False), ("a b", False), ("a;b", False), ("$HOME", False), ("base", False), ("-n", False), ("a\\b", False),
])
def test_env_names(name: str, ok: bool) -> None:
    if ok:
        assert validate_env_name(name) == name
    else:
        with pytest.raises(EnvSpecError):
            validate_env_name(name)


def test_prefix_env() -> None:
    spec = spec_from_plan(CPU, name=None, prefix="/opt/envs/t")
    text = write_environment_yml(spec)
    assert "prefix: /opt/envs/t" in text and "name:" not in text
    assert read_environment_yml(text) == spec
    with pytest.raises(EnvSpecError):
        spec_from_plan(CPU, name="a", prefix="/x")


# A file as people write it by hand (or as `conda env export` plus a hand-added index), not ours.
FOREIGN = """
name: research
channels:
  - conda-forge
  - nodefaults
dependencies:
  - python=3.10.14
  - pip
  - ffmpeg=6
  - pip:
    - --extra-index-url https://download.pytorch.org/whl/cu121
    - torch==2.4.1+cu121
    - torchvision==0.19.1+cu121
    - numpy<2.0
    - transformers==4.44.0
    - --pre
"""


def test_read_foreign_file() -> None:
    spec = read_environment_yml(FOREIGN)
    assert spec.name == "research"
    assert spec.python == "3.10"
    assert spec.channels == ("conda-forge", "nodefaults")
    assert spec.conda_extras == ("ffmpeg=6",)
    assert spec.index_url == "https://download.pytorch.org/whl/cu121"  # torch's index, found among extra-index-urls
    assert spec.extras_index_url is None
    assert spec.torch_pins == ("torch==2.4.1+cu121", "torchvision==0.19.1+cu121")
    assert spec.numpy == "<2.0"
    assert spec.pip_extras == ("transformers==4.44.0",)
    assert spec.pip_options == ("--pre",)
    assert spec.variant == "cu121"
    plan = spec.to_plan()
    assert plan is not None and (plan.torch, plan.variant, plan.torchvision, plan.torchaudio) == ("2.4.1", "cu121", "0.19.1", None)
    # and what we write from it is read back the same
    assert read_environment_yml(write_environment_yml(spec)) == spec


# What `conda env export` writes for an env whose torch came from pip: every conda package with its build string.
CONDA_EXPORT = """\
name: myenv
channels:
  - conda-forge
  - defaults
dependencies:
  - _libgcc_mutex=0.1=conda_forge
  - ca-certificates=2024.7.4=hbcca054_0
  - python=3.11.9=hb806964_0_cpython
  - pip=24.0=pyhd8ed1ab_0
  - pip:
      - --extra-index-url https://download.pytorch.org/whl/cu121
      - filelock==3.15.4
      - numpy==1.26.4
      - torch==2.3.1+cu121
prefix: /home/user/miniconda3/envs/myenv
"""


def test_read_conda_env_export_output() -> None:
    spec = read_environment_yml(CONDA_EXPORT)
    assert (spec.name, spec.python, spec.variant) == ("myenv", "3.11", "cu121")
    assert spec.conda_extras == ("_libgcc_mutex=0.1=conda_forge", "ca-certificates=2024.7.4=hbcca054_0")
    assert spec.index_url == "https://download.pytorch.org/whl/cu121"
    assert spec.torch_pins == ("torch==2.3.1+cu121",)
    assert spec.pip_extras == ("filelock==3.15.4",)


@pytest.mark.parametrize("text,msg", [
    ("[1, 2]", "mapping"),
    ("name: a\ndependencies: [pip]\n", "Python"),
    ("dependencies: [python=3.11]\n", "name"),
    ("name: a\ndependencies: [python=3.11, {pip: [--index-url]}]\n", "no value"),
    ("name: a/b\ndependencies: [python=3.11]\n", "not allowed"),
    ("name: a\ndependencies: [python>=3.9]\n", "Python version"),
    ("name: a\ndependencies: [python=3.11, {pip: [-r requirements.txt]}]\n", "does not read"),
    ("name: a\ndependencies: [python=3.11, {pip: [--editable=.]}]\n", "does not read"),
    ("name: a\n  bad: [\n", "YAML"),
])
def test_bad_files(text: str, msg: str) -> None:
    with pytest.raises(EnvSpecError, match=msg):
        read_environment_yml(text)


def test_shell_commands() -> None:
    spec = spec_from_plan(CU121, name="work", extras=["pandas>=2"], conda_extras=["ffmpeg"])
    cmds = shell_commands(spec)
    assert len(cmds) == 3
    create, torch, extras = (shlex.split(c) for c in cmds)
    assert create[:5] == ["conda", "create", "-y", "-n", "work"]
    assert "python=3.11" in create and "ffmpeg" in create
    assert torch[-4:] == ["torch==2.4.1+cu121", "torchvision==0.19.1+cu121", "torchaudio==2.4.1+cu121", "numpy<2"]
    assert torch[torch.index("--index-url") + 1] == "https://download.pytorch.org/whl/cu121"
    assert "--index-url" not in extras and "pandas>=2" in extras and "torch==2.4.1+cu121" in extras
    assert shell_commands(spec_from_plan(CPU, name="w"))[1].count("install") == 1
    assert len(shell_commands(spec_from_plan(CPU, name="w"))) == 2


def test_mirrors() -> None:
    choice = MirrorChoice(conda="tuna", torch="aliyun", pypi="ustc")
    spec = spec_from_plan(CU121, name="m", extras=["rich"], mirrors=choice)
    assert spec.channels == ("https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge",)
    assert spec.index_url is None and spec.find_links == "https://mirrors.aliyun.com/pytorch-wheels/cu121"
    assert spec.extras_index_url == "https://mirrors.ustc.edu.cn/pypi/simple"
    back = read_environment_yml(write_environment_yml(spec))
    assert (back.find_links, back.extras_index_url, back.channels) == (spec.find_links, spec.extras_index_url, spec.channels)
    custom = spec_from_plan(CU121, name="m", mirrors=MirrorChoice(torch="https://mirror.example.org/whl/cu121"))
    assert custom.index_url == "https://mirror.example.org/whl/cu121"
    # a torch-wheel mirror does not carry PyPI's builds: macOS plans stay on (a mirror of) PyPI
    mac = spec_from_plan(MAC, name="m", mirrors=MirrorChoice(torch="aliyun", pypi="tuna"))
    assert mac.index_url == "https://pypi.tuna.tsinghua.edu.cn/simple"
    assert {m.id for m in presets("conda")} >= {"tuna", "ustc", "bfsu", "sjtu", "aliyun"}
    with pytest.raises(MirrorError):
        find_mirror("conda", "nowhere")
    with pytest.raises(MirrorError):
        find_mirror("pypi", "ftp://x")


def test_with_sources() -> None:
    spec = with_sources(spec_from_plan(OLD, name="o"), channels=["file:///tmp/ch"], index_url="file:///tmp/simple")
    assert spec.channels == ("file:///tmp/ch",) and spec.index_url == "file:///tmp/simple" and spec.find_links is None


RTX5090 = Host(gpus=(GpuInfo(0, "NVIDIA GeForce RTX 5090", cc="12.0"),), driver="580.65.06")


def test_check_against_host() -> None:
    matrix_factory = pytest.importorskip("matrix_factory")
    m = matrix_factory.make_matrix()
    old = spec_from_plan(Plan(torch="1.12.1", variant="cu113", python="3.10", torchvision="0.13.1", torchaudio="0.12.1",
                              numpy="<2", index_url="https://download.pytorch.org/whl/cu113", cuda="11.3"), name="a")
    res = check_spec(read_environment_yml(write_environment_yml(old)), RTX5090, m)
    assert res.ok is False
    assert res.summary.startswith("this yml asks for torch 1.12.1+cu113 on Python 3.10, and it will not run on your RTX 5090 because")
    new = spec_from_plan(Plan(torch="3.1.0", variant="cu128", python="3.12", torchvision="0.31.0", torchaudio=None,
                              numpy=None, index_url="https://download.pytorch.org/whl/cu128", cuda="12.8"), name="b")
    res = check_spec(new, RTX5090, m)
    assert res.ok is True and res.summary.endswith("and it will run on your RTX 5090"), res.summary
    none = check_spec(EnvSpec(python="3.11", name="x"), RTX5090, m)
    assert none.ok is None


# --- export of an existing environment ---------------------------------------------------------------------------

def _fake_env(root: Path, python: str, torch: str | None) -> Path:
    """A conda env's files as detection reads them: conda-meta/python-*.json and a torch dist-info."""
    import json as _json

    prefix = root / "oldenv"
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / f"python-{python}-h1_0.json").write_text(_json.dumps({"name": "python", "version": python}))
    if torch:
        mm = ".".join(python.split(".")[:2])
        info = prefix / "lib" / f"python{mm}" / "site-packages" / f"torch-{torch}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {torch}\n")
    return prefix


def test_export_env_yml_reads_an_existing_env(tmp_path: Path) -> None:
    from desktop.envspec import export_env_yml, read_environment_yml

    prefix = _fake_env(tmp_path, "3.10.14", "2.4.1+cu121")
    spec = read_environment_yml(export_env_yml(prefix))
    assert spec.python == "3.10"
    assert "torch==2.4.1+cu121" in spec.torch_pins and "torchvision==0.19.1+cu121" in spec.torch_pins
    assert spec.index_url == "https://download.pytorch.org/whl/cu121"


def test_export_env_yml_prefers_the_recorded_spec(tmp_path: Path) -> None:
    from desktop.envspec import export_env_yml

    prefix = _fake_env(tmp_path, "3.10.14", "2.4.1+cu121")
    (prefix / "conda-meta" / "torchdesk-environment.yml").write_text("name: recorded\n")
    assert export_env_yml(prefix) == "name: recorded\n"


@pytest.mark.parametrize("torch,msg", [(None, "has no torch installed"), ("9.9.9+cu999", "not in the compatibility data")])
def test_export_env_yml_says_what_is_missing(tmp_path: Path, torch: str | None, msg: str) -> None:
    from desktop.envspec import EnvSpecError, export_env_yml

    with pytest.raises(EnvSpecError, match=msg):
        export_env_yml(_fake_env(tmp_path, "3.10.14", torch))
