"""Local creates, measured: TorchDesk's own overhead, and (issue 12) the wheel stage on uv against bare uv and pip.

overhead: builds the tests' local channel and pip index (tests/localrepo.py), warms the package cache with
one create, then times N creates with the embedded engine (verification off). Target: overhead <= 5%.

wheels (issue 12): a local index on 127.0.0.1 holding a real large wheel (torch 2.13.0 CPU for Python 3.11
and its dependencies, from --wheels DIR, e.g. filled by `pip download torch==2.13.0 -d DIR`; else a
generated 300 MB wheel) and prints:
  - the wheel stage of a TorchDesk create from a warm cache vs bare `uv pip install` into an empty env (<= 1.5x)
  - bare `pip install` vs that wheel stage (>= 10x faster)
  - a second env of the same build: its own disk as a share of the first one's (<= 5%), and its wall time
  - a cold create's wall time vs the time to copy the same bytes from the local index
Medians of --runs. Timings are wall clock on whatever else the machine is doing: read the ratios.

    python3 bench/bench_create.py [overhead|wheels|all] [--runs 3] [--repo DIR] [--wheels DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

EXTERNAL = ("solve", "download", "link", "pip")


def _setup(args: argparse.Namespace, tag: str):  # type: ignore[no-untyped-def]
    """A fresh HOME and caches under a temp folder, and the tests' local channel (reused with --repo)."""
    from localrepo import LocalRepo, build_local_repo

    work = Path(tempfile.mkdtemp(prefix=f"torchdesk-bench-{tag}-"))
    os.environ["HOME"] = str(work / "home")
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "TORCHDESK_ENVS_DIR", "TORCHDESK_LOG_DIR",
                "TORCHDESK_CACHE_DIR", "TORCHDESK_UV_CACHE_DIR", "TORCHDESK_INSTALLER"):
        os.environ.pop(var, None)
    os.environ["TORCHDESK_PKGS_DIR"] = str(work / "pkgs")
    if args.repo and (args.repo / "channel").is_dir():
        repo = LocalRepo(args.repo / "channel", args.repo / "torch-index" / "simple", args.repo / "extras-index" / "simple")
    else:
        t0 = time.perf_counter()
        repo = build_local_repo(args.repo or work / "repo")
        args.repo = args.repo or work / "repo"
        print(f"local channel + index built in {time.perf_counter() - t0:.1f}s")
    return work, repo


def overhead(args: argparse.Namespace) -> bool:
    _work, repo = _setup(args, "overhead")

    from desktop.engine import get_engine
    from desktop.envspec import spec_from_plan, with_sources
    from desktop.jobs import create_env
    from desktop.model import Plan
    from desktop.procs import CancelToken

    plan = Plan(torch="2.5.1", variant="cpu", python="3.11", torchvision="0.20.1", torchaudio="2.5.1", numpy="<2",
                index_url="https://download.pytorch.org/whl/cpu")

    def one(name: str) -> dict[str, float]:
        spec = with_sources(spec_from_plan(plan, name=name, extras=["td-extra"], conda_extras=["td-hello"]),
                            channels=[repo.channel_url], index_url=repo.torch_index_url,
                            extras_index_url=repo.extras_index_url)
        res = create_env(spec, engine=get_engine("embedded"), on_line=lambda line: None, on_progress=lambda p: None,
                         cancel=CancelToken(), verify=False, size_mib=10)
        if not res.ok:
            raise SystemExit(f"create failed: {res.message} (log: {res.log_path})")
        return res.timings

    one("warm")  # fills the package cache, as any second create on a user's machine finds it
    ratios = []
    for i in range(args.runs):
        t = one(f"run{i}")
        external = sum(t.get(s, 0.0) for s in EXTERNAL)
        overhead = t["total"] - external
        ratio = overhead / t["total"]
        ratios.append(ratio)
        parts = " ".join(f"{s}={t.get(s, 0.0):.2f}s" for s in ("preflight", *EXTERNAL))
        print(f"run {i + 1}: total={t['total']:.2f}s {parts} overhead={overhead * 1000:.0f}ms ratio={ratio:.2%}")
    med = statistics.median(ratios)
    print(f"TorchDesk overhead / total (median of {args.runs}): {med:.2%}  (target <= 5%): {'ok' if med <= 0.05 else 'OVER'}")
    return med <= 0.05



# --- issue 12: the wheel stage ----------------------------------------------------------------------------------

def _fill_index(files: Path, wheels_dir: Path | None) -> str:
    """Link the real wheels into the index folder (or generate a big one); the requirement to install."""
    from wheelindex import make_big_wheel

    files.mkdir(parents=True, exist_ok=True)
    real = sorted(wheels_dir.glob("*.whl")) if wheels_dir and wheels_dir.is_dir() else []
    torch = [w for w in real if w.name.startswith("torch-")]
    if torch:
        for w in real:
            try:
                os.link(w, files / w.name)
            except OSError:
                shutil.copy2(w, files / w.name)
        version = torch[0].name.split("-")[1]
        print(f"index: {len(real)} real wheels from {wheels_dir}, {sum(w.stat().st_size for w in real) / MIB:.0f} MiB "
              f"(torch {version})")
        return f"torch=={version}"
    make_big_wheel(files, "tdbig", "1.0", 300 * 1024 * 1024)
    print("index: no torch wheel given (--wheels); a generated 300 MiB wheel 'tdbig'")
    return "tdbig==1.0"


MIB = 1024 * 1024


def _env(path: Path, pip: bool = False) -> Path:
    cmd = [sys.executable, "-m", "venv", str(path)] + ([] if pip else ["--without-pip"])
    subprocess.run(cmd, check=True)
    return path / "bin" / "python"


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return dt


def wheels(args: argparse.Namespace) -> bool:
    from wheelindex import ThrottledIndex

    from desktop.diskuse import disk_total, tree_size
    from desktop.engine import get_engine
    from desktop.envspec import EnvSpec
    from desktop.jobs import create_env
    from desktop.procs import CancelToken
    from desktop.wheelenv import find_uv, pip_env, uv_env

    work, repo = _setup(args, "wheels")
    uv, why = find_uv()
    if uv is None:
        print(f"uv cannot run here: {why}")
        return False
    req = _fill_index(work / "index" / "files", args.wheels)
    index = ThrottledIndex(work / "index", chunk=1 << 20, delay=0).start()
    ok = True
    try:
        def spec(name: str) -> EnvSpec:
            return EnvSpec(python="3.11", name=name, torch_pins=(req,), index_url=index.url, channels=(repo.channel_url,))

        def create(name: str) -> dict[str, float]:
            res = create_env(spec(name), engine=get_engine("embedded"), on_line=lambda _l: None,
                             on_progress=lambda _p: None, cancel=CancelToken(), verify=False, size_mib=10)
            if not res.ok:
                raise SystemExit(f"create failed: {res.message} (log: {res.log_path})")
            return res.timings

        # cold: empty caches; against the time to copy the same bytes from the index
        t_cold = create("cold")
        import requests

        t0 = time.perf_counter()
        copied = 0
        for w in sorted((work / "index" / "files").glob("*.whl")):
            with requests.get(f"{index.url.rsplit('/', 1)[0]}/files/{w.name}", stream=True) as r, \
                    open(work / "copy.bin", "wb") as f:
                for block in r.iter_content(1 << 20):
                    f.write(block)
                    copied += len(block)
        t_copy = time.perf_counter() - t0
        print(f"cold create: {t_cold['total']:.1f}s in all, wheel stage {t_cold['pip']:.1f}s; copying the "
              f"{copied / MIB:.0f} MiB of wheels from the local index: {t_copy:.1f}s "
              f"(wheel stage / copy = {t_cold['pip'] / t_copy:.1f}x)")

        envs = Path(os.environ["HOME"]) / ".local" / "share" / "torchdesk" / "envs"
        first = tree_size(envs / "cold")
        warm_pip, bare_uv, bare_pip, second_own, second_wall = [], [], [], [], []
        uv_cache = work / "bare-uv-cache"
        ucmd_env = uv_env(uv_cache)
        # warm bare uv's own cache once, as TorchDesk's is warm
        py = _env(work / "uvwarm")
        _timed([uv, "pip", "install", "--python", str(py), "--no-config", "--index-url", index.url, req], ucmd_env)
        for i in range(args.runs):
            t = create(f"warm{i}")
            warm_pip.append(t["pip"])
            second_wall.append(t["total"])
            second_own.append(tree_size(envs / f"warm{i}").own_bytes)
            py = _env(work / f"uv{i}")
            bare_uv.append(_timed([uv, "pip", "install", "--python", str(py), "--no-config", "--index-url", index.url,
                                   req], ucmd_env))
            if i < args.pip_runs:
                py = _env(work / f"pip{i}", pip=True)
                bare_pip.append(_timed([str(py), "-m", "pip", "install", "--progress-bar", "off", "--index-url",
                                        index.url, req], pip_env()))
            print(f"run {i + 1}: TorchDesk wheel stage {warm_pip[-1]:.2f}s (create {second_wall[-1]:.1f}s), "
                  f"bare uv {bare_uv[-1]:.2f}s" + (f", bare pip {bare_pip[-1]:.1f}s" if i < args.pip_runs else ""))
        med = statistics.median
        r_uv = med(warm_pip) / med(bare_uv)
        r_pip = med(bare_pip) / med(warm_pip)
        share = med(second_own) / first.total_bytes
        all_envs = disk_total([envs / "cold", envs / "warm0"])
        print(f"warm wheel stage / bare uv: {r_uv:.2f}x (target <= 1.5x): {'ok' if r_uv <= 1.5 else 'OVER'}")
        print(f"bare pip / warm wheel stage: {r_pip:.1f}x faster (target >= 10x): {'ok' if r_pip >= 10 else 'UNDER'}")
        print(f"second env: {med(second_own) / MIB:.1f} MiB of its own vs the first env's {first.total_bytes / MIB:.1f} MiB "
              f"= {share:.2%} (target <= 5%): {'ok' if share <= 0.05 else 'OVER'}; create wall time {med(second_wall):.1f}s; "
              f"both envs together {all_envs / MIB:.1f} MiB on disk")
        ok = r_uv <= 1.5 and r_pip >= 10 and share <= 0.05
    finally:
        index.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="?", choices=("overhead", "wheels", "all"), default="all")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pip-runs", type=int, default=3, help="bare pip runs (each installs the whole wheel set)")
    ap.add_argument("--repo", type=Path, help="reuse a local repo built here earlier")
    ap.add_argument("--wheels", type=Path, help="folder of real wheels for the index (torch and its dependencies)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    ok = True
    if args.what in ("overhead", "all"):
        ok = overhead(args) and ok
    if args.what in ("wheels", "all"):
        ok = wheels(args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
