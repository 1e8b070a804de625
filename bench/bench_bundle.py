"""Size of the one-folder bundle and the time from launch to window shown, for the bundle.

Targets (issue 7): bundle <= 300 MB; launch -> window shown <= 1.5 s. Prints figures and ratios; asserts
nothing.

    python bench/bench_bundle.py                 # builds into a temporary folder first (needs PyInstaller)
    python bench/bench_bundle.py --bundle dist/torchdesk   # measure a bundle already built

"Window shown" is the app's own figure from `torchdesk-gui --self-test` (time_to_window_shown_s: from the
process's start, by the OS's clock, to the first show event), run offscreen in a bare environment; the wall
time of the whole self-test process (start, detect, resolve, show, exit) is printed beside it. The first run
is reported apart: it reads the bundle's files from disk, the others from the page cache.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "installer"))

import build as installer_build  # noqa: E402  (installer/build.py)

SIZE_TARGET_MB = 300.0
SHOWN_TARGET_S = 1.5


def biggest(bundle: Path, n: int = 8) -> list[tuple[int, str]]:
    sizes = [(p.stat().st_size, str(p.relative_to(bundle))) for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    return sorted(sizes, reverse=True)[:n]


def self_test(bundle: Path, scratch: Path) -> tuple[float | None, float, dict]:
    exe = bundle / ("Contents/MacOS/torchdesk-gui" if sys.platform == "darwin" else "torchdesk-gui")
    env = {"HOME": str(scratch), "TMPDIR": str(scratch), "QT_QPA_PLATFORM": "offscreen", "PATH": str(scratch / "bin")}
    t = time.perf_counter()
    r = subprocess.run([str(exe), "--self-test"], env=env, capture_output=True, text=True, timeout=180)
    wall = time.perf_counter() - t
    lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
    report = json.loads(lines[-1]) if lines else {"ok": False, "error": (r.stderr or r.stdout)[-500:]}
    return report.get("time_to_window_shown_s"), wall, report


def main() -> int:
    parser = argparse.ArgumentParser(description="bundle size and launch -> window shown time")
    parser.add_argument("--bundle", type=Path, help="a built bundle (default: build one now)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="torchdesk-bench-") as tmp:
        scratch = Path(tmp)
        (scratch / "bin").mkdir()
        if args.bundle is None:
            t = time.perf_counter()
            bundle = installer_build.build(scratch / "dist", scratch / "work")
            print(f"build: {time.perf_counter() - t:.0f} s (PyInstaller, clean)")
        else:
            bundle = args.bundle.resolve()

        size, files = installer_build.bundle_size(bundle)
        mb = size / 1e6
        print(f"bundle: {bundle}")
        print(f"size: {mb:.1f} MB in {files} files (target <= {SIZE_TARGET_MB:.0f} MB: {mb / SIZE_TARGET_MB:.2f}x of target)")
        for nbytes, rel in biggest(bundle):
            print(f"  {nbytes / 1e6:7.1f} MB  {rel}")

        first_shown, first_wall, report = self_test(bundle, scratch)
        if first_shown is None:
            print(f"self-test failed: {json.dumps(report)}")
            return 1
        shown, walls = [], []
        for _ in range(args.runs):
            s, w, _r = self_test(bundle, scratch)
            if s is not None:
                shown.append(s)
                walls.append(w)
        print(f"launch -> window shown, first run: {first_shown:.3f} s (whole self-test {first_wall:.2f} s)")
        med = statistics.median(shown)
        print(f"launch -> window shown, median of {len(shown)}: {med:.3f} s (min {min(shown):.3f}, max {max(shown):.3f}); "
              f"whole self-test median {statistics.median(walls):.2f} s")
        print(f"target <= {SHOWN_TARGET_S} s: median is {med / SHOWN_TARGET_S:.2f}x of target, first run "
              f"{first_shown / SHOWN_TARGET_S:.2f}x")
        print(f"platform {report.get('platform')}, plan: {report.get('summary')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
