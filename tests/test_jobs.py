"""The create job for real: the embedded engine on a local file:// channel, the env's own pip on a local index.

One local channel + index per session (tests/localrepo.py); one shared package cache, so each create links
from the cache as a second create on a user's machine would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import psutil
import pytest

from desktop.engine import get_engine
from desktop.envspec import EnvSpec, read_environment_yml, spec_from_plan, with_sources, with_target, write_environment_yml
from desktop.jobs import Progress, create_env
from desktop.preflight import estimated_size_mib
from desktop.wheelprogress import PipProgress
from desktop.model import Plan
from desktop.paths import conda_environments_txt, envs_dir
from desktop.procs import CancelToken
from desktop.wheels import check_wheels
from localrepo import LocalRepo, serve_index, tree_state

PLAN = Plan(torch="2.5.1", variant="cpu", python="3.11", torchvision="0.20.1", torchaudio="2.5.1", numpy="<2",
            index_url="https://download.pytorch.org/whl/cpu")


def local_spec(repo: LocalRepo, name: str = "t1", **kw) -> EnvSpec:  # type: ignore[no-untyped-def]
    spec = spec_from_plan(PLAN, name=name, **kw)
    return with_sources(spec, channels=[repo.channel_url], index_url=repo.torch_index_url,
                        extras_index_url=repo.extras_index_url)


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.progress: list[Progress] = []

    def on_line(self, line: str) -> None:
        self.lines.append(line)

    def on_progress(self, p: Progress) -> None:
        self.progress.append(p)

    @property
    def stages(self) -> list[str]:
        return list(dict.fromkeys(p.stage for p in self.progress))


def run_job(spec: EnvSpec, rec: Recorder, cancel: CancelToken | None = None, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("size_mib", 10)
    return create_env(spec, engine=get_engine("embedded"), on_line=rec.on_line, on_progress=rec.on_progress,
                      cancel=cancel or CancelToken(), **kw)


def conda_packages(prefix: Path) -> dict[str, str]:
    out = {}
    for f in (prefix / "conda-meta").glob("*.json"):
        rec = json.loads(f.read_text())
        out[rec["name"]] = f"{rec['version']}-{rec['build']}"
    return out


def pip_packages(prefix: Path) -> dict[str, str]:
    sp = next(prefix.glob("lib/python3*/site-packages"))
    stems = (d.name[: -len(".dist-info")].rsplit("-", 1) for d in sp.glob("*.dist-info"))
    return {n.lower(): v for n, v in stems}


def test_create_for_real_and_rebuild_from_yml(repo: LocalRepo, home: Path) -> None:
    rec = Recorder()
    spec = local_spec(repo, extras=["td-extra"], conda_extras=["td-hello"])
    res = run_job(spec, rec, verify=True)
    prefix = envs_dir() / "t1"
    assert res.prefix == str(prefix) and prefix.is_dir()
    assert res.kept and res.stage == "verify"
    # a failed smoke test fails the job but keeps the env (our torch is a stub); a pass is a pass
    assert res.ok == (getattr(res.verify, "verdict", "pass") != "fail"), res.message
    assert rec.stages == ["preflight", "solve", "download", "link", "pip", "verify"]
    # its python runs, from its own prefix
    out = subprocess.run([str(prefix / "bin" / "python"), "-c", "import sys, torch, td_extra; print(sys.prefix, torch.__version__)"],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(prefix), "2.5.1+cpu"]
    # conda-meta lists the conda packages; conda's own marker is there; the registry lists the env
    assert set(conda_packages(prefix)) == {"python", "pip", "td-base", "td-hello"}
    assert (prefix / "conda-meta" / "history").is_file()
    assert str(prefix) in conda_environments_txt().read_text().splitlines()
    assert (prefix / "share" / "td-hello" / "hello.txt").is_file()
    assert pip_packages(prefix)["torch"] == "2.5.1+cpu" and pip_packages(prefix)["td_extra"] == "1.0"
    # the env keeps the file it was built from, and exporting it gives that file back
    from desktop.envspec import export_env_yml

    assert export_env_yml(prefix) == write_environment_yml(spec)
    # the log is saved under the user log folder and the result links to it
    log = Path(res.log_path)
    assert log.is_file() and str(home) in res.log_path and "== pip" in log.read_text()
    assert set(res.timings) >= {"preflight", "solve", "download", "link", "pip", "verify", "total"}

    # rebuild from the exported environment.yml: the same package set
    text = write_environment_yml(spec)
    again = with_target(read_environment_yml(text), name="t2")
    res2 = run_job(again, Recorder(), verify=False)
    assert res2.ok, res2.message
    p2 = envs_dir() / "t2"
    assert conda_packages(p2) == conda_packages(prefix)
    assert pip_packages(p2) == pip_packages(prefix)
    assert {str(prefix), str(p2)} <= set(conda_environments_txt().read_text().splitlines())


def _fake_env(prefix: Path) -> None:
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "history").write_text("==> 2024-01-01 00:00:00 <==\n")
    (prefix / "bin").mkdir()
    (prefix / "bin" / "tool").write_bytes(b"\x00\x01binary")
    os.chmod(prefix / "bin" / "tool", 0o751)
    os.symlink("tool", prefix / "bin" / "link")


def test_cancel_during_pip_removes_the_prefix_and_nothing_else(repo: LocalRepo, home: Path) -> None:
    other = envs_dir() / "other"
    _fake_env(other)
    (envs_dir() / "notes.txt").write_text("mine\n")
    conda_environments_txt().parent.mkdir(parents=True)
    conda_environments_txt().write_text(f"{other}\n")
    served = serve_index(repo.torch_index, stall_wheels=True)  # pages answer, wheel downloads never finish
    try:
        # skipped: our logs, and ~/.rustup, which the rustup proxy writes when pip's user-agent probe runs `rustc`
        # and TorchDesk's uv cache (~/.cache/torchdesk): test_cancel_during_download_leaves_the_cache_usable
        unrelated = (home / ".local" / "state", home / ".rustup", home / ".cache")
        before = tree_state(home, skip=unrelated)
        token = CancelToken()
        rec = Recorder()
        started = threading.Event()

        def on_line(line: str) -> None:
            rec.on_line(line)
            if "Downloading" in line and not started.is_set():  # the installer is now silent, blocked on the body
                started.set()
                threading.Timer(0.5, token.cancel).start()

        spec = with_sources(local_spec(repo), index_url=served.url)
        res = create_env(spec, engine=get_engine("embedded"), on_line=on_line, on_progress=rec.on_progress,
                         cancel=token, size_mib=10, verify=False)
    finally:
        served.close()
    assert started.is_set(), "\n".join(rec.lines[-20:])
    assert res.status == "cancelled" and res.stage == "pip"
    assert not (envs_dir() / "t1").exists()
    assert tree_state(home, skip=unrelated) == before
    # no pip left running
    leftovers = [p for p in psutil.Process().children(recursive=True) if "pip" in " ".join(p.cmdline())]
    assert not leftovers


def test_existing_name_refused_byte_for_byte(repo: LocalRepo, home: Path) -> None:
    prefix = envs_dir() / "t1"
    _fake_env(prefix)
    before = tree_state(prefix)
    rec = Recorder()
    res = run_job(local_spec(repo), rec)
    assert res.status == "failed" and res.stage == "preflight"
    assert "already exists" in res.message and "--replace" in (res.fix or "")
    assert tree_state(prefix) == before
    assert rec.stages == ["preflight"]
    # a folder that is not a conda env is never replaced, even with --replace
    shutil.rmtree(prefix / "conda-meta")
    before = tree_state(prefix)
    res = run_job(local_spec(repo), Recorder(), replace=True)
    assert res.status == "failed" and "not a conda environment" in res.message
    assert tree_state(prefix) == before


def test_replace_that_fails_puts_the_old_env_back(repo: LocalRepo, home: Path) -> None:
    prefix = envs_dir() / "t1"
    _fake_env(prefix)
    before = tree_state(prefix)
    res = run_job(local_spec(repo, conda_extras=["no-such-package"]), Recorder(), replace=True)
    assert res.status == "failed" and res.stage == "solve", res.message
    assert "no-such-package" in res.message
    assert tree_state(prefix) == before
    assert not [p for p in envs_dir().iterdir() if "torchdesk-replaced" in p.name]


def test_unwritable_folder_refused_before_download(repo: LocalRepo, home: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        parent = Path("/sys")  # root ignores permission bits; sysfs refuses new files even to root
        if os.access(parent, os.W_OK) and _can_write(parent):
            pytest.skip("no folder here refuses root")
    else:
        parent = tmp_path / "ro"
        parent.mkdir()
        parent.chmod(0o555)
    rec = Recorder()
    res = run_job(with_target(local_spec(repo), prefix=str(parent / "td-env")), rec)
    assert res.status == "failed" and res.stage == "preflight"
    assert res.message.startswith("cannot write to") or res.message.startswith("cannot create the folder"), res.message
    assert rec.stages == ["preflight"]
    assert not (parent / "td-env").exists()


def _can_write(d: Path) -> bool:
    try:
        (d / ".torchdesk-w").touch()
    except OSError:
        return False
    (d / ".torchdesk-w").unlink()
    return True


def test_too_little_space_refused_before_download(repo: LocalRepo, home: Path) -> None:
    free = shutil.disk_usage(home).free // (1024 * 1024)
    rec = Recorder()
    res = run_job(local_spec(repo), rec, size_mib=free + 1024 * 1024)
    assert res.status == "failed" and res.stage == "preflight"
    assert res.message.startswith("not enough free space in") and "GiB" in res.message
    assert rec.stages == ["preflight"]
    assert not (envs_dir() / "t1").exists()


def test_missing_wheel_refused_before_download(repo: LocalRepo, home: Path) -> None:
    spec = local_spec(repo)
    from dataclasses import replace

    bad = replace(spec, torch_pins=("torch==9.9.9",))
    rec = Recorder()
    res = run_job(bad, rec)
    assert res.status == "failed" and res.stage == "preflight" and "no torch==9.9.9 wheel for Python 3.11" in res.message
    assert rec.stages == ["preflight"]


def test_wheel_check(repo: LocalRepo) -> None:
    spec = local_spec(repo)
    assert check_wheels(spec).missing == () and check_wheels(spec).warnings == ()
    from dataclasses import replace

    offline = check_wheels(replace(spec, index_url="http://127.0.0.1:9/simple"), timeout=2)
    assert offline.missing == ()
    assert any("could not read" in w for w in offline.warnings)
    assert any("torch==2.5.1 was not checked" in w for w in offline.warnings)


def test_bad_name_refused(home: Path, repo: LocalRepo) -> None:
    from dataclasses import replace

    res = run_job(replace(local_spec(repo), name="../escape"), Recorder())
    assert res.status == "failed" and res.stage == "preflight" and "not allowed" in res.message


@pytest.mark.parametrize("line,expected", [
    ("Collecting torch==2.5.1", (None, "collecting torch==2.5.1")),
    ("  Downloading https://download.pytorch.org/whl/cu121/torch-2.4.1%2Bcu121-cp311-cp311-linux_x86_64.whl (799.1 MB)",
     (0.8, "downloading torch-2.4.1%2Bcu121-cp311-cp311-linux_x86_64.whl (799.1 MB)")),
    ("Installing collected packages: torch, numpy", (0.85, "installing torch, numpy")),
    ("Successfully installed torch-2.5.1", (1.0, "installed torch-2.5.1")),
    ("Requirement already satisfied: filelock", None),
])
def test_pip_progress(line: str, expected) -> None:  # type: ignore[no-untyped-def]
    p = PipProgress(1)
    p.collected = 1 if "Downloading" in line else 0
    assert p.feed(line) == expected


def test_size_estimate_comes_from_the_data() -> None:
    class M:
        env_size_mib = {"cuda": 7000, "cpu": 1500, "rocm": 9000}

    assert estimated_size_mib(spec_from_plan(PLAN, name="a"), matrix=M()) == 1500
    cu = Plan(torch="2.5.1", variant="cu124", python="3.11", torchvision=None, torchaudio=None, numpy=None,
              index_url="https://download.pytorch.org/whl/cu124")
    assert estimated_size_mib(spec_from_plan(cu, name="a"), matrix=M()) == 7000


def test_name_of_an_env_elsewhere_refused(repo: LocalRepo, home: Path, tmp_path: Path) -> None:
    # conda's own env of that name (listed in environments.txt): a second one would make the name ambiguous
    other = tmp_path / "miniconda3" / "envs" / "t1"
    _fake_env(other)
    conda_environments_txt().parent.mkdir(parents=True)
    conda_environments_txt().write_text(f"{other}\n")
    before = tree_state(other)
    rec = Recorder()
    res = run_job(local_spec(repo), rec, replace=True)
    assert res.status == "failed" and res.stage == "preflight", res.message
    assert "already exists at" in res.message and str(other) in res.message
    assert rec.stages == ["preflight"]
    assert tree_state(other) == before and not (envs_dir() / "t1").exists()
