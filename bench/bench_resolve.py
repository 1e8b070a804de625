"""Speed of the resolver and of a whole `torchdesk recommend --json` process.

Targets (issue 2): resolve() over the whole matrix <= 2 ms; a recommend process for a hypothetical machine
<= 4x the wall time of `python -c pass`. Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop.matrixload import load_matrix  # noqa: E402
from desktop.model import GpuInfo, Host, Preferences  # noqa: E402
from desktop.resolve import resolve  # noqa: E402

HOSTS = {
    "RTX 5090, driver 575": Host(gpus=(GpuInfo(0, "GeForce RTX 5090", cc="12.0"),), driver="575.51.03", hypothetical=True),
    "H100, driver 580": Host(gpus=(GpuInfo(0, "H100 80GB HBM3", cc="9.0"),), driver="580.159.04", hypothetical=True),
    "GTX 1080 + RTX 3090": Host(gpus=(GpuInfo(0, "GeForce GTX 1080", cc="6.1"), GpuInfo(1, "GeForce RTX 3090", cc="8.6")), driver="560.35.03", hypothetical=True),
    "no GPU": Host(hypothetical=True),
}


def time_resolve(n: int = 300) -> None:
    m = load_matrix()
    today = date.today()
    print(f"resolve() over {len(m.releases)} releases / {sum(len(r.builds) for r in m.releases)} builds (target <= 2 ms):")
    for label, host in HOSTS.items():
        fresh = load_matrix()  # a first call on a fresh load pays for the per-object memos too
        t = time.perf_counter()
        resolve(fresh, host, Preferences(), today=today)
        first = (time.perf_counter() - t) * 1000
        print(f"  {label:<22} first call on a fresh load {first:6.3f} ms")
        resolve(m, host, Preferences(), today=today)
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            resolve(m, host, Preferences(), today=today)
            samples.append(time.perf_counter() - t)
        med = statistics.median(samples) * 1000
        best = min(samples) * 1000
        print(f"  {label:<22} median {med:6.3f} ms  best {best:6.3f} ms   ratio (median) to 2 ms budget {med / 2:.2f}")


def wall(cmd: list[str], n: int) -> float:
    subprocess.run(cmd, capture_output=True)  # warm the page cache
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, cwd=ROOT)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def time_cli(n: int = 15) -> None:
    base = wall([sys.executable, "-c", "pass"], n)
    rec = wall([sys.executable, "-m", "desktop.cli", "recommend", "--json", "--gpu", "RTX 4090", "--driver", "570.86.10"], n)
    print(f"python -c pass: {base * 1000:.1f} ms; torchdesk recommend --json (hypothetical): {rec * 1000:.1f} ms")
    print(f"  ratio {rec / base:.2f}x (target <= 4x)")


if __name__ == "__main__":
    time_resolve()
    time_cli()
