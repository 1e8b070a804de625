"""Engines: the embedded engine's solver and virtual packages, the env registry, and the external engines'
command lines and --json progress parsing.

No conda, mamba or micromamba can be installed here from the registries this project reaches (PyPI has no
conda or micromamba distribution; Debian packages neither), so the external engine runs against a stub
executable that replays conda's --json output. The replayed stream follows conda's JSON reporter
(conda/plugins/reporter_backends/json.py: one object per update, each followed by "\n\0"); its fetch
descriptions are copied from progress lines quoted in public projects that drive conda (napari's updater).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from desktop.engine import EngineError, find_env, get_engine, is_conda_env, list_envs, register_env, unregister_env
from desktop.engine.base import remove_env
from desktop.engine.embedded import EmbeddedEngine, virtual_packages
from desktop.engine.external import ExternalEngine, JsonStream, create_command, error_sentence, parse_fetch
from desktop.model import Host
from desktop.paths import conda_environments_txt
from desktop.procs import CancelToken
from localrepo import LocalRepo, isolate_home, tree_state

CONDA_PROGRESS = (
    '{"fetch":"msgpack-python-1.0.3 | 82 KB     | ","finished":false,"maxval":1,"progress":0.000000}\n\0'
    '{"fetch":"qt-main-5.15.8       | 50.0 MB   | ","finished":false,"maxval":1,"progress":0.630619}\n\0'
    '{"fetch":"msgpack-python-1.0.3 | 82 KB     | ","finished":false,"maxval":1,"progress":1.000000}\n\0'
    '{"fetch":"msgpack-python-1.0.3 | 82 KB     | ","finished":true,"maxval":1,"progress":1}\n\0'
    '{"fetch":"qt-main-5.15.8       | 50.0 MB   | ","finished":true,"maxval":1,"progress":1}\n\0'
)
CONDA_SUCCESS = json.dumps({
    "actions": {"FETCH": [], "LINK": [{"name": "python", "version": "3.11.7"}], "PREFIX": "/x"},
    "prefix": "/x", "success": True,
}, indent=2) + "\n"
CONDA_ERROR = json.dumps({
    "caused_by": "None", "channel_urls": [], "error": "PackagesNotFoundError: The following packages are not available",
    "exception_name": "PackagesNotFoundError",
    "message": "The following packages are not available from current channels:\n\n  - no-such-package\n",
    "packages": ["no-such-package"],
}, indent=2) + "\n"


def test_json_stream_parses_progress_and_result() -> None:
    s = JsonStream()
    events = [e for line in (CONDA_PROGRESS + CONDA_SUCCESS).split("\n") if (e := s.feed(line))]
    assert [(e.package, e.size, e.progress, e.finished) for e in events[:2]] == [
        ("msgpack-python-1.0.3", "82 KB", 0.0, False), ("qt-main-5.15.8", "50.0 MB", 0.630619, False)]
    assert len(events) == 5 and events[-1].finished
    assert s.result() == json.loads(CONDA_SUCCESS)


def test_error_document_becomes_one_sentence() -> None:
    s = JsonStream()
    for line in CONDA_ERROR.split("\n"):
        s.feed(line)
    msg = error_sentence(s.result(), s.text, 1)
    assert msg.startswith("PackagesNotFoundError: The following packages are not available") and "no-such-package" in msg
    assert error_sentence(None, ["critical libmamba Could not solve for environment specs"], 1).startswith("critical")
    assert parse_fetch({"progress": 1}) is None


@pytest.mark.parametrize("kind", ["conda", "mamba", "micromamba"])
def test_command_lines(kind: str) -> None:
    cmd = create_command(kind, f"/opt/{kind}", ["python=3.11", "pip"], ["conda-forge", "file:///ch"], Path("/e/x"))
    assert cmd[:8] == [f"/opt/{kind}", "create", "--yes", "--json", "--prefix", "/e/x", "--override-channels", "-c"]
    assert cmd[-2:] == ["python=3.11", "pip"]
    assert ("--no-rc" in cmd) == (kind == "micromamba")


def _stub(tmp_path: Path, body: str, code: int) -> Path:
    """A fake `conda` that replays recorded --json output, makes the prefix, and exits with `code`."""
    data = tmp_path / "replay.txt"
    data.write_text(body)
    exe = tmp_path / "conda"
    exe.write_text(
        f"#!{sys.executable}\n"
        "import sys, os, pathlib\n"
        "args = sys.argv[1:]\n"
        "if args == ['--version']:\n    print('conda 24.9.2'); sys.exit(0)\n"
        "prefix = pathlib.Path(args[args.index('--prefix') + 1])\n"
        f"sys.stdout.write(open({str(data)!r}).read())\n"
        f"if {code} == 0:\n"
        "    (prefix / 'conda-meta').mkdir(parents=True); (prefix / 'conda-meta' / 'history').write_text('')\n"
        f"sys.exit({code})\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_external_engine_runs_and_reports(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    isolate_home(monkeypatch, tmp_path / "home", tmp_path / "pkgs")
    exe = _stub(tmp_path, CONDA_PROGRESS + CONDA_SUCCESS, 0)
    eng = get_engine("conda", exe=str(exe))
    assert eng.describe() == f"conda 24.9.2 at {exe}"
    stages: list[tuple[str, float | None]] = []
    lines: list[str] = []
    prefix = tmp_path / "envs" / "x"
    eng.create(["python=3.11"], ["conda-forge"], prefix, on_line=lines.append,
               on_stage=lambda s, f, m: stages.append((s, f)), cancel=CancelToken())
    assert stages[0] == ("solve", None) and stages[-1] == ("link", 1.0)
    downloads = [f for s, f in stages if s == "download"]
    assert downloads and downloads[-1] == 1.0
    assert str(prefix) in conda_environments_txt().read_text()


def test_external_engine_failure(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    isolate_home(monkeypatch, tmp_path / "home", tmp_path / "pkgs")
    exe = _stub(tmp_path, CONDA_ERROR, 1)
    with pytest.raises(EngineError) as ei:
        ExternalEngine("conda", str(exe)).create(["no-such-package"], ["conda-forge"], tmp_path / "e", on_line=print,
                                                 on_stage=lambda *a: None, cancel=CancelToken())
    assert ei.value.stage == "solve" and "no-such-package" in ei.value.message


def test_missing_external_engine(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", "/nonexistent")
    for var in ("CONDA_EXE", "MAMBA_EXE", "TORCHDESK_MICROMAMBA_EXE"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(EngineError, match="no micromamba executable"):
        get_engine("micromamba")
    with pytest.raises(EngineError, match="unknown engine"):
        get_engine("pixi")


def test_virtual_packages_from_host() -> None:
    vps = {str(v).split("=")[0]: str(v) for v in virtual_packages(Host(cuda_driver="12.4", glibc="2.31"))}
    assert vps["__cuda"].startswith("__cuda=12.4") and vps["__glibc"].startswith("__glibc=2.31")
    assert "__cuda" not in {str(v).split("=")[0] for v in virtual_packages(Host())} or os.path.exists("/proc/driver/nvidia")


def test_embedded_solve(repo: LocalRepo) -> None:
    eng = EmbeddedEngine()
    recs = eng.solve(["python=3.11", "pip", "td-hello"], [repo.channel_url], cancel=CancelToken())
    assert {r.name for r in recs} == {"python", "pip", "td-hello", "td-base"}
    with pytest.raises(EngineError) as ei:
        eng.solve(["python=3.11", "no-such-package"], [repo.channel_url], cancel=CancelToken())
    assert ei.value.stage == "solve"


def test_registry_and_listing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    isolate_home(monkeypatch, tmp_path / "home", tmp_path / "pkgs")
    reg = conda_environments_txt()
    reg.parent.mkdir(parents=True)
    reg.write_text("/somewhere/else\n")
    env = tmp_path / "envs" / "a"
    (env / "conda-meta").mkdir(parents=True)
    (env / "conda-meta" / "history").write_text("")
    (env / "conda-meta" / "python-3.11.7-0.json").write_text(json.dumps({"name": "python", "version": "3.11.7"}))
    (env / "lib" / "python3.11" / "site-packages" / "torch-2.5.1+cpu.dist-info").mkdir(parents=True)
    register_env(env)
    register_env(env)
    assert reg.read_text().splitlines() == ["/somewhere/else", str(env)]
    assert is_conda_env(env) and not is_conda_env(tmp_path)
    found = {e.prefix: e for e in list_envs()}
    assert found[str(env)].python == "3.11.7" and found[str(env)].torch == "2.5.1+cpu"
    assert find_env("a") == env and find_env(str(env)) == env and find_env("b") is None
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x").write_text("x")
    before = tree_state(plain)
    with pytest.raises(EngineError):
        remove_env(plain)
    assert tree_state(plain) == before
    remove_env(env)
    assert not env.exists() and reg.read_text().splitlines() == ["/somewhere/else"]
    unregister_env(env)  # idempotent
    assert reg.read_text().splitlines() == ["/somewhere/else"]


def test_unregister_drops_the_line_written_with_a_trailing_separator(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    isolate_home(monkeypatch, tmp_path / "home", tmp_path / "pkgs")
    reg = conda_environments_txt()
    reg.parent.mkdir(parents=True)
    env = tmp_path / "envs" / "a"
    reg.write_text(f"/somewhere/else\n{env}/\n{env}-other\n")
    unregister_env(env)
    assert reg.read_text().splitlines() == ["/somewhere/else", f"{env}-other"]
