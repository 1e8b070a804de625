"""What the bench scripts share: the wall-clock time of a fresh process, and one line per measurement."""

from __future__ import annotations

import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(cmd: list[str], runs: int = 1, *, check: bool = False) -> list[float]:
    """Seconds each of `runs` runs of `cmd` took (from the repository root, output discarded)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=check)
        times.append(time.perf_counter() - start)
    return times


def median_line(label: str, samples: list[float], *, unit: str = "s") -> str:
    """'<label>  median <m> <unit>  (min <m>; runs [...])', in seconds or, with unit='ms', milliseconds."""
    scale, digits = (1000.0, 1) if unit == "ms" else (1.0, 3)
    runs = [round(x * scale, digits) for x in samples]
    return (f"{label:<31}median {statistics.median(samples) * scale:8.{digits}f} {unit}  "
            f"(min {min(samples) * scale:.{digits}f}; runs {runs})")
