"""The wheel stage for real: uv installing into a real interpreter's environment from local indexes on 127.0.0.1.

A throttled index (tests/wheelindex.py) sends a multi-MiB wheel in slices, so uv's byte counters move and the
job's Progress must show bytes done rising to a total it knew before the download began.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from desktop.envspec import EnvSpec
from desktop.procs import CancelToken
from desktop.wheelenv import find_uv
from desktop.wheelprogress import ByteProgress, PlannedWheel, Screen, WheelPlan, parse_bytes, parse_dry_run
from desktop.wheelstage import run_wheel_stage
from wheelindex import ThrottledIndex, make_big_wheel, wheel_requests

pytestmark = pytest.mark.skipif(find_uv()[0] is None, reason="uv is not installed")

BLOB = 6 * 1024 * 1024


class Rec:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.events: list[tuple[str, float | None, str, dict]] = []

    def log(self, line: str) -> None:
        self.lines.append(line)

    def enter(self, stage: str, fraction: float | None, message: str, **extra: object) -> None:
        self.events.append((stage, fraction, message, extra))

    @property
    def byte_events(self) -> list[dict]:
        return [e[3] for e in self.events if e[3].get("bytes_total") is not None]


def make_env(path: Path) -> Path:
    """A real environment of the running interpreter (a venv without pip: uv needs none)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def env_import(prefix: Path, code: str) -> str:
    out = subprocess.run([str(prefix / "bin" / "python"), "-c", code], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture
def uv_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache" / "uv"
    monkeypatch.setenv("TORCHDESK_UV_CACHE_DIR", str(cache))
    monkeypatch.delenv("TORCHDESK_INSTALLER", raising=False)
    return cache


@pytest.fixture
def big_index(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "index"
    make_big_wheel(root / "files", "tdbig", "1.0", BLOB)
    return root


@pytest.mark.parametrize("json_api", [True, False], ids=["json-size", "head-size"])
def test_byte_progress_monotonic_to_the_known_total(big_index: Path, uv_cache: Path, tmp_path: Path,
                                                    json_api: bool) -> None:
    wheel = next((big_index / "files").glob("*.whl"))
    size = wheel.stat().st_size
    prefix = make_env(tmp_path / "env1")
    rec = Rec()
    with ThrottledIndex(big_index, json_api=json_api) as index:
        spec = EnvSpec(python="3.11", prefix=str(prefix), torch_pins=("tdbig==1.0",), index_url=index.url)
        run_wheel_stage(spec, prefix, rec.log, rec.enter, CancelToken())
        heads = [p for m, p in index.requests if m == "HEAD" and p.endswith(".whl")]
    assert env_import(prefix, "import tdbig; print(tdbig.__version__)") == "1.0"
    ev = rec.byte_events
    # the total is the wheel's real size, known before the first byte arrived (from JSON, else a HEAD request)
    assert ev[0]["bytes_total"] == size and ev[0]["bytes_done"] == 0
    assert all(e["bytes_total"] == size for e in ev)
    done = [e["bytes_done"] for e in ev]
    assert done == sorted(done), "bytes done went backwards"
    assert done[-1] == size
    assert len({d for d in done if 0 < d < size}) >= 3, f"no live byte progress: {done}"
    assert any((e.get("speed") or 0) > 0 for e in ev)
    assert any("MiB/s" in e[2] and "s left" in e[2] for e in rec.events), [e[2] for e in rec.events]
    assert bool(heads) == (not json_api)  # HEAD only where the JSON API did not give the size
    assert any(line.startswith("installer: uv") and "hardlinked" in line for line in rec.lines)
    assert any("tdbig==1.0  (to download, 6.0 MiB)" in line for line in rec.lines), rec.lines


def test_second_env_comes_from_the_cache_hardlinked(big_index: Path, uv_cache: Path, tmp_path: Path) -> None:
    with ThrottledIndex(big_index, delay=0) as index:
        spec1 = EnvSpec(python="3.11", prefix=str(tmp_path / "e1"), torch_pins=("tdbig==1.0",), index_url=index.url)
        run_wheel_stage(spec1, make_env(tmp_path / "e1"), Rec().log, Rec().enter, CancelToken())
        assert len(wheel_requests(index)) == 1
        rec = Rec()
        spec2 = EnvSpec(python="3.11", prefix=str(tmp_path / "e2"), torch_pins=("tdbig==1.0",), index_url=index.url)
        run_wheel_stage(spec2, make_env(tmp_path / "e2"), rec.log, rec.enter, CancelToken())
        assert len(wheel_requests(index)) == 1, "the second env downloaded the wheel again"
    assert any("tdbig==1.0  (cached: no download)" in line for line in rec.lines), rec.lines
    assert rec.byte_events[-1]["bytes_total"] == 0 and rec.byte_events[-1]["cached"] == 1
    blobs = [next((tmp_path / e).glob("lib/python3*/site-packages/tdbig/blob.bin")) for e in ("e1", "e2")]
    assert blobs[0].stat().st_ino == blobs[1].stat().st_ino  # one copy of the bytes on disk
    assert blobs[0].stat().st_nlink >= 3  # uv's cache and both envs


def test_user_uv_and_pip_settings_are_not_sources(big_index: Path, uv_cache: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    spy_root = tmp_path / "spy"
    make_big_wheel(spy_root / "files", "tdbig", "2.0", 1024)  # a newer release a leaking config would pick
    with ThrottledIndex(big_index, delay=0) as index, ThrottledIndex(spy_root, delay=0) as spy:
        for var in ("UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX", "PIP_INDEX_URL",
                    "PIP_EXTRA_INDEX_URL", "UV_FIND_LINKS"):
            monkeypatch.setenv(var, spy.url)
        cfg = tmp_path / "xdg" / "uv"
        cfg.mkdir(parents=True)
        (cfg / "uv.toml").write_text(f'extra-index-url = ["{spy.url}"]\n')
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
        (tmp_path / "uv.toml").write_text(f'extra-index-url = ["{spy.url}"]\n')
        monkeypatch.chdir(tmp_path)
        prefix = make_env(tmp_path / "env")
        spec = EnvSpec(python="3.11", prefix=str(prefix), torch_pins=("tdbig>=1.0",), index_url=index.url)
        run_wheel_stage(spec, prefix, Rec().log, Rec().enter, CancelToken())
        assert spy.requests == []
    assert env_import(prefix, "import tdbig; print(tdbig.__version__)") == "1.0"


def test_extras_cannot_replace_the_planned_torch(big_index: Path, uv_cache: Path, tmp_path: Path) -> None:
    from desktop.errors import JobFailed

    make_big_wheel(big_index / "files", "tdbig", "2.0", 1024)
    from localrepo import make_wheel

    make_wheel(big_index / "files", "td-wants-new", "1.0", ("tdbig>=2",))
    prefix = make_env(tmp_path / "env")
    rec = Rec()
    with ThrottledIndex(big_index, delay=0) as index:
        spec = EnvSpec(python="3.11", prefix=str(prefix), torch_pins=("tdbig==1.0",), index_url=index.url,
                       pip_extras=("td-wants-new",), extras_index_url=index.url)
        with pytest.raises(JobFailed) as exc:
            run_wheel_stage(spec, prefix, rec.log, rec.enter, CancelToken())
    assert exc.value.stage == "pip" and "your extras" in exc.value.message
    assert env_import(prefix, "import tdbig; print(tdbig.__version__)") == "1.0"


def test_pip_is_the_fallback_and_the_log_says_so(big_index: Path, uv_cache: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCHDESK_INSTALLER", "pip")
    prefix = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(prefix)], check=True)
    rec = Rec()
    with ThrottledIndex(big_index, delay=0) as index:
        spec = EnvSpec(python="3.11", prefix=str(prefix), torch_pins=("tdbig==1.0",), index_url=index.url)
        run_wheel_stage(spec, prefix, rec.log, rec.enter, CancelToken())
    assert "installer: pip, because uv was turned off (TORCHDESK_INSTALLER=pip)" in rec.lines
    assert any(" -m pip install --progress-bar off" in line for line in rec.lines)
    assert (prefix / "lib").glob("python3*/site-packages/tdbig/blob.bin")
    assert env_import(prefix, "import tdbig; print(tdbig.__file__)").startswith(str(prefix))


def test_an_option_uv_refuses_hands_over_to_pip(big_index: Path, uv_cache: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(prefix)], check=True)
    rec = Rec()
    with ThrottledIndex(big_index, delay=0) as index:
        spec = EnvSpec(python="3.11", prefix=str(prefix), torch_pins=("tdbig==1.0",), index_url=index.url,
                       pip_options=("--no-clean",))  # a pip option from an environment.yml that uv does not have
        run_wheel_stage(spec, prefix, rec.log, rec.enter, CancelToken())
    assert any(line.startswith("installer: uv") for line in rec.lines)
    assert ("installer: pip from here on, because uv refused the options "
            "(error: unexpected argument '--no-clean' found)") in rec.lines
    assert any(" -m pip install --progress-bar off --index-url" in line and "--no-clean" in line for line in rec.lines)
    assert env_import(prefix, "import tdbig; print(tdbig.__file__)").startswith(str(prefix))


def test_cancel_during_the_download_kills_uv(big_index: Path, uv_cache: Path, tmp_path: Path) -> None:
    from desktop.procs import Cancelled

    prefix = make_env(tmp_path / "env")
    token = CancelToken()
    rec = Rec()

    def enter(stage: str, fraction: float | None, message: str, **extra: object) -> None:
        rec.enter(stage, fraction, message, **extra)
        if 0 < int(extra.get("bytes_done") or 0) < int(extra.get("bytes_total") or 0):  # type: ignore[call-overload]
            token.cancel()

    with ThrottledIndex(big_index, delay=0.2) as index:
        spec = EnvSpec(python="3.11", prefix=str(prefix), torch_pins=("tdbig==1.0",), index_url=index.url)
        with pytest.raises(Cancelled):
            run_wheel_stage(spec, prefix, rec.log, enter, token)
    assert not [p for p in psutil.Process().children(recursive=True) if "uv" in " ".join(p.cmdline())]
    assert not list(prefix.glob("lib/python3*/site-packages/tdbig"))


# --- parsing uv's output: captured from uv 0.13.9 --------------------------------------------------------------

DRY_RUN = """\
DEBUG Selecting: bigpkg==1.0 [compatible] (bigpkg-1.0-py3-none-any.whl)
DEBUG Selecting: torch==2.5.1+cpu [compatible] (torch-2.5.1+cpu-cp311-cp311-linux_x86_64.whl)
Resolved 2 packages in 26ms
DEBUG Registry requirement already cached: torch==2.5.1+cpu
DEBUG Identified uncached distribution: bigpkg==1.0
Would download 1 package
Would install 2 packages
 + bigpkg==1.0
 + torch==2.5.1+cpu
""".splitlines()

PTY_CHUNK = ("\x1b[2mUsing Python 3.11.7 environment at: venv\x1b[0m\r\n\x1b[37m\u280b\x1b[0m \x1b[2mResolving dependencies..."
             "   \x1b[0m\r\x1b[2K\x1b[2mResolved \x1b[1m1 package\x1b[0m \x1b[2min 43ms\x1b[0m\x1b[0m\r\n\x1b[37m\u2819\x1b[0m "
             "\x1b[2mPreparing packages...\x1b[0m (0/1)        \x1b[2mbigpkg              \x1b[0m \x1b[32m\x1b[30m\x1b[2m"
             "------------------------------\x1b[0m\x1b[0m 8.00 KiB/30.00 MiB          \x1b[1A\r\x1b[2K\x1b[1B\r\x1b[2K"
             "\x1b[1A\x1b[37m\u2819\x1b[0m \x1b[2mPreparing packages...\x1b[0m (0/1)       \x1b[2mbigpkg              "
             "\x1b[0m \x1b[32m\x1b[30m\x1b[2m------------------------------\x1b[0m\x1b[0m 120.00 KiB/30.00 MiB        \r\n"
             "Prepared 1 package in 121ms\r\n")


def test_parse_dry_run() -> None:
    assert parse_dry_run(DRY_RUN) == [("bigpkg", "1.0", "bigpkg-1.0-py3-none-any.whl", False),
                                      ("torch", "2.5.1+cpu", "torch-2.5.1+cpu-cp311-cp311-linux_x86_64.whl", True)]


@pytest.mark.parametrize("text,expected", [("0 B", 0), ("8.00 KiB", 8192), ("30.00 MiB", 30 * 1024 * 1024),
                                           ("1.5GiB", int(1.5 * 1024**3)), ("12 MB", 12_000_000)])
def test_parse_bytes(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


def test_screen_reads_byte_counters_and_logs_only_messages() -> None:
    lines: list[str] = []
    seen: list[tuple[str, int, int | None]] = []
    screen = Screen(lines.append, lambda n, d, t: seen.append((n, d, t)), lambda n: None)
    for i in range(0, len(PTY_CHUNK), 37):  # arrives in arbitrary slices
        screen.feed(PTY_CHUNK[i:i + 37])
    screen.flush()
    assert seen == [("bigpkg", 8192, 30 * 1024 * 1024), ("bigpkg", 120 * 1024, 30 * 1024 * 1024)]
    assert lines == ["Using Python 3.11.7 environment at: venv", "Resolved 1 package in 43ms",
                     "Downloading bigpkg (30.00 MiB)", "Prepared 1 package in 121ms"]


def test_byte_progress_never_goes_back_nor_past_the_total() -> None:
    t = [0.0]
    plan = WheelPlan((PlannedWheel("a", "1", "a.whl", False, 1000), PlannedWheel("b", "1", "b.whl", True, None)))
    p = ByteProgress(plan, clock=lambda: t[0])
    assert p.total == 1000
    t[0] = 1.0
    assert p.update("a", 100) and p.bytes_done == 100 and p.speed == 0  # no speed from a single reading
    t[0] = 2.0
    assert p.update("a", 400) and p.bytes_done == 400 and p.speed == pytest.approx(300)
    assert not p.update("a", 300) and p.bytes_done == 400  # a redraw from before
    assert p.update("a", 5000) and p.bytes_done == 1000  # capped at the planned size
    assert not p.finish("a")


def test_cancelled_create_removes_the_env_and_the_cache_still_serves(repo, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The whole job: cancel while uv is mid-download; the env is gone, and a second create from the same
    cache succeeds and imports its torch."""
    from desktop.engine import get_engine
    from desktop.envspec import spec_from_plan, with_sources
    from desktop.jobs import create_env
    from desktop.model import Plan
    from desktop.paths import envs_dir, uv_cache_dir

    root = tmp_path / "index"
    make_big_wheel(root / "files", "torch", "2.5.1+cpu", BLOB)
    for w in (repo.torch_index.parent / "files").glob("*.whl"):
        if not w.name.startswith("torch-"):
            shutil.copy2(w, root / "files" / w.name)
    plan = Plan(torch="2.5.1", variant="cpu", python="3.11", torchvision="0.20.1", torchaudio="2.5.1", numpy="<2",
                index_url="https://download.pytorch.org/whl/cpu")
    token = CancelToken()
    seen: list[tuple[int, int]] = []

    def on_progress(p) -> None:  # type: ignore[no-untyped-def]
        if p.bytes_total:
            seen.append((p.bytes_done or 0, p.bytes_total))
            if 0 < (p.bytes_done or 0) < p.bytes_total:
                token.cancel()

    with ThrottledIndex(root, delay=0.2) as index:
        spec = with_sources(spec_from_plan(plan, name="c1"), channels=[repo.channel_url], index_url=index.url)
        res = create_env(spec, engine=get_engine("embedded"), on_line=lambda _l: None, on_progress=on_progress,
                         cancel=token, size_mib=10, verify=False)
        assert res.status == "cancelled" and res.stage == "pip", res.message
        assert seen and 0 < seen[-1][0] < seen[-1][1]
        assert not (envs_dir() / "c1").exists()
        assert not [p for p in psutil.Process().children(recursive=True) if "uv" in " ".join(p.cmdline())]
        assert uv_cache_dir().is_dir()
        index.delay = 0
        res2 = create_env(spec, engine=get_engine("embedded"), on_line=lambda _l: None, on_progress=lambda _p: None,
                          cancel=CancelToken(), size_mib=10, verify=False)
    assert res2.ok, res2.message
    assert env_import(envs_dir() / "c1", "import torch; print(torch.__version__)") == "2.5.1+cpu"


# --- showing it: the CLI's renderer, the space check -------------------------------------------------------------

def _p(stage: str, done: int | None = None, total: int | None = None, speed: float | None = None):  # type: ignore[no-untyped-def]
    from desktop.jobs import Progress

    return Progress(stage, None, f"{stage} message", bytes_done=done, bytes_total=total, speed=speed)


def test_cli_draws_a_bar_on_a_terminal_and_plain_lines_elsewhere() -> None:
    import io

    from desktop.commands.create import ProgressPrinter

    mib = 1024 * 1024
    events = [_p("link"), _p("pip", 0, 100 * mib), _p("pip", 25 * mib, 100 * mib, 5 * mib),
              _p("pip", 26 * mib, 100 * mib, 5 * mib), _p("pip", 100 * mib, 100 * mib, 5 * mib), _p("verify")]
    tty = io.StringIO()
    pr = ProgressPrinter(tty, tty=True, width=100)
    for i, e in enumerate(events):
        pr.progress(e)
        if i == 2:
            pr.line("    a log line")
    out = tty.getvalue()
    assert "[5/6] pip: pip message\n" in out
    assert "\r\x1b[2K    [##########..............................] 25.0 of 100.0 MiB, 5.0 MiB/s, 15 s left" in out
    # a log line clears the bar, prints, and redraws it
    assert "\r\x1b[2K    a log line\n    [##########" in out
    assert "100.0 of 100.0 MiB, 5.0 MiB/s\n[6/6] verify" in out
    plain = io.StringIO()
    pr = ProgressPrinter(plain, tty=False)
    for e in events:
        pr.progress(e)
    assert "\r" not in plain.getvalue() and "\x1b" not in plain.getvalue()
    assert [ln for ln in plain.getvalue().splitlines() if "downloaded" in ln] == [
        "    downloaded 0.0 of 100.0 MiB", "    downloaded 25.0 of 100.0 MiB, 5.0 MiB/s, 15 s left",
        "    downloaded 100.0 of 100.0 MiB, 5.0 MiB/s"]


def test_space_check_counts_only_what_is_not_cached(tmp_path: Path) -> None:
    from desktop.errors import JobFailed
    from desktop.wheelstage import check_space

    free = shutil.disk_usage(tmp_path).free
    huge = WheelPlan((PlannedWheel("torch", "1", "t.whl", False, free), PlannedWheel("x", "1", "x.whl", True, free)))
    with pytest.raises(JobFailed) as exc:
        check_space(huge, tmp_path / "cache", tmp_path / "env" / "bin" / "python", "hardlink")
    assert exc.value.message.startswith(f"not enough free space in {tmp_path / 'cache'}") and "cache clean" in (exc.value.fix or "")
    cached = WheelPlan((PlannedWheel("torch", "1", "t.whl", True, free),))
    check_space(cached, tmp_path / "cache", tmp_path / "env" / "bin" / "python", "hardlink")  # all cached: nothing to check


def test_link_mode_copies_across_filesystems_and_says_why(tmp_path: Path) -> None:
    from desktop.wheelenv import link_mode

    mode, why = link_mode(tmp_path / "cache" / "uv", tmp_path / "envs" / "e1")
    assert (mode, why.split(" from")[0]) == (("clone", "files are cloned") if sys.platform == "darwin"
                                             else ("hardlink", "files are hardlinked"))
    other = Path("/dev/shm")
    if sys.platform == "darwin" or not other.is_dir() or other.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem here")
    mode, why = link_mode(other / "td-cache-not-created", tmp_path / "envs" / "e1")
    assert mode == "copy" and "on another filesystem" in why
    assert not (other / "td-cache-not-created").exists()


@pytest.mark.parametrize("lines,expected", [
    (["Using Python 3.11.7 environment at: /e", "error: Request failed after 3 retries in 10.8s",
      "  cause: error sending request for url (http://127.0.0.1:9/simple/torch/)", "  cause: client error (Connect)",
      "  cause: Connection refused (os error 111)"],
     "Request failed after 3 retries in 10.8s (Connection refused (os error 111))"),
    (["error: No solution found when resolving dependencies",
      "  cause: Because torch was not found in the package registry and you require torch==2.5.1, we can conclude "
      "that your requirements are unsatisfiable."],
     "No solution found when resolving dependencies (Because torch was not found in the package registry and you "
     "require torch==2.5.1, we can conclude that your requirements are unsatisfiable.)"),
    (["something else"], "uv exited with code 2"),
])  # captured from uv 0.13.9: an index nobody answers, an index without the pinned torch
def test_uv_error_sentence(lines: list[str], expected: str) -> None:
    from desktop.wheelprogress import uv_error

    assert uv_error(lines, 2) == expected


def test_uv_env_keeps_transport_settings_and_drops_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.wheelenv import uv_env

    monkeypatch.setenv("UV_NATIVE_TLS", "1")
    monkeypatch.setenv("UV_HTTP_TIMEOUT", "120")
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("UV_CACHE_DIR", "/somewhere/else")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "http://127.0.0.1:9/simple")
    env = uv_env(tmp_path / "c")
    assert env["UV_NATIVE_TLS"] == "1" and env["UV_HTTP_TIMEOUT"] == "120"
    assert env["UV_CACHE_DIR"] == str(tmp_path / "c") and env["UV_NO_CONFIG"] == "1"
    assert "UV_INDEX_URL" not in env and "PIP_EXTRA_INDEX_URL" not in env


def test_extras_alone(big_index: Path, uv_cache: Path, tmp_path: Path) -> None:
    prefix = make_env(tmp_path / "env")
    rec = Rec()
    with ThrottledIndex(big_index, delay=0) as index:
        spec = EnvSpec(python="3.11", prefix=str(prefix), pip_extras=("tdbig",), extras_index_url=index.url)
        run_wheel_stage(spec, prefix, rec.log, rec.enter, CancelToken())
    assert env_import(prefix, "import tdbig; print(tdbig.__version__)") == "1.0"
    assert [ln for ln in rec.lines if ln.startswith("installer:")] == [rec.lines[0]]
    assert rec.events[0][2] == "installing your extra packages: tdbig" and rec.events[-1][2] == "pip done"


def test_without_a_pseudo_terminal_progress_goes_per_file(big_index: Path, uv_cache: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import pty

    def no_pty() -> tuple[int, int]:
        raise OSError(2, "out of pty devices")

    monkeypatch.setattr(pty, "openpty", no_pty)  # as in a container without /dev/ptmx
    prefix = make_env(tmp_path / "env")
    rec = Rec()
    size = next((big_index / "files").glob("*.whl")).stat().st_size
    with ThrottledIndex(big_index, delay=0.02) as index:
        spec = EnvSpec(python="3.11", prefix=str(prefix), torch_pins=("tdbig==1.0",), index_url=index.url)
        run_wheel_stage(spec, prefix, rec.log, rec.enter, CancelToken())
    assert "note: no pseudo-terminal here (out of pty devices); progress per file, not per byte" in rec.lines
    assert any(line.startswith("Downloading tdbig (") for line in rec.lines)  # uv's own plain line
    done = [e["bytes_done"] for e in rec.byte_events]
    assert done[0] == 0 and done[-1] == size and done == sorted(done)
    assert env_import(prefix, "import tdbig; print(tdbig.__version__)") == "1.0"


def test_find_links_folder_is_a_source_with_sizes(big_index: Path, uv_cache: Path, tmp_path: Path) -> None:
    """A mirror given as find-links (here a local folder of wheels, no index at all)."""
    prefix = make_env(tmp_path / "env")
    rec = Rec()
    folder = big_index / "files"
    size = next(folder.glob("*.whl")).stat().st_size
    spec = EnvSpec(python="3.11", prefix=str(prefix), torch_pins=("tdbig==1.0",), find_links=folder.as_uri(),
                   pip_options=("--no-index",))
    run_wheel_stage(spec, prefix, rec.log, rec.enter, CancelToken())
    assert env_import(prefix, "import tdbig; print(tdbig.__version__)") == "1.0"
    assert rec.byte_events[0]["bytes_total"] == size and rec.byte_events[-1]["bytes_done"] == size
    assert any("--find-links " + folder.as_uri() in line and "--no-index" in line for line in rec.lines)
