"""TorchDesk's own overhead in a local create: total minus the solve, download, link and pip time.

Builds the tests' local channel and pip index (tests/localrepo.py), warms the package cache with one create,
then times N creates with the embedded engine (verification off: the smoke test is the verify issue's).
Target: overhead <= 5% of the total. Prints the ratio per run and the median.

    python3 bench/bench_create.py [--runs 3] [--repo DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

EXTERNAL = ("solve", "download", "link", "pip")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--repo", type=Path, help="reuse a local repo built here earlier")
    args = ap.parse_args()

    from localrepo import LocalRepo, build_local_repo

    work = Path(tempfile.mkdtemp(prefix="torchdesk-bench-"))
    os.environ["HOME"] = str(work / "home")
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "TORCHDESK_ENVS_DIR", "TORCHDESK_LOG_DIR"):
        os.environ.pop(var, None)
    os.environ["TORCHDESK_PKGS_DIR"] = str(work / "pkgs")
    if args.repo and (args.repo / "channel").is_dir():
        repo = LocalRepo(args.repo / "channel", args.repo / "torch-index" / "simple", args.repo / "extras-index" / "simple")
    else:
        t0 = time.perf_counter()
        repo = build_local_repo(args.repo or work / "repo")
        print(f"local channel + index built in {time.perf_counter() - t0:.1f}s")

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
    return 0 if med <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
