"""Crash exits of failed creates: N `torchdesk create` runs in a row whose solve fails, counted by exit code.

A create that fails at the solve step used to exit with SIGSEGV (139) or SIGABRT (134) about 1 run in 5:
py-rattler's runtime threads dropped Python objects while the interpreter shut down. The embedded engine
now runs rattler in a child process that leaves with os._exit. Must print `crash exits: 0`.

    python3 bench/bench_failed_creates.py [--runs 50] [--repo DIR]
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--repo", type=Path, help="reuse a local repo built here earlier")
    args = ap.parse_args()

    from localrepo import LocalRepo, build_local_repo

    work = Path(tempfile.mkdtemp(prefix="torchdesk-bench-"))
    env = dict(os.environ, HOME=str(work / "home"), TORCHDESK_PKGS_DIR=str(work / "pkgs"))
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "TORCHDESK_ENVS_DIR",
                "TORCHDESK_LOG_DIR", "TORCHDESK_LOCK_DIR", "CONDARC", "MAMBARC"):
        env.pop(var, None)
    try:
        if args.repo and (args.repo / "channel").is_dir():
            repo = LocalRepo(args.repo / "channel", args.repo / "torch-index" / "simple",
                             args.repo / "extras-index" / "simple")
        else:
            repo = build_local_repo(work / "repo")
        codes: collections.Counter[int] = collections.Counter()
        t0 = time.perf_counter()
        for i in range(args.runs):
            r = subprocess.run(
                [sys.executable, "-m", "desktop.cli", "create", "-n", f"nosolve{i}", "--python", "3.11",
                 "--torch", "2.5.1", "--variant", "cpu", "--channel", repo.channel_url,
                 "--pip-index-url", repo.torch_index_url, "--conda-extra", "no-such-pkg", "--yes", "--no-verify"],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            codes[r.returncode] += 1
        dt = time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    crashes = sum(n for code, n in codes.items() if code < 0 or code >= 128)
    print(f"{args.runs} failed creates in {dt:.1f}s; exit codes: {dict(sorted(codes.items()))}")
    print(f"crash exits: {crashes}")
    return 0 if crashes == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
