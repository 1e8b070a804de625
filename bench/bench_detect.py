"""How long `torchdesk detect --json` takes in a fresh process, against `python -c pass` (target: at most 3x).

Run: python bench/bench_detect.py [--runs N]. Prints medians and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from benchtime import median_line, wall

TARGET = 3.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    py = sys.executable
    base_cmd = [py, "-c", "pass"]
    detect_cmd = [py, "-m", "desktop.cli", "detect", "--json"]
    wall(base_cmd, 2), wall(detect_cmd, 2)  # warm the page cache and .pyc files
    # interleave the two so a noisy neighbour hurts both alike
    base: list[float] = []
    det: list[float] = []
    for _ in range(args.runs):
        base += wall(base_cmd, 1)
        det += wall(detect_cmd, 1)
    ratio = statistics.median(det) / statistics.median(base)
    print(median_line("python -c pass:", base, unit="ms"))
    print(median_line("torchdesk detect --json:", det, unit="ms"))
    print(f"ratio: {ratio:.2f}x  (target <= {TARGET:g}x: {'met' if ratio <= TARGET else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
