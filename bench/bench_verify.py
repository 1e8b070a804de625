"""How much does verification cost beyond `import torch`? Prints ratios; asserts nothing.

    python bench/bench_verify.py [--python PATH] [--runs N]

Without --python it uses a venv with the CPU torch wheel (torch==2.13.0, installed from the local wheel folder
into a cached venv the first time); where that wheel is absent it says so and exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchtime import ROOT, median_line, wall

sys.path.insert(0, str(ROOT))

CPU_TORCH = "torch==2.13.0"
CACHE = Path(os.environ.get("TORCHDESK_BENCH_VENV", Path(tempfile.gettempdir()) / "torchdesk-bench-cpu-torch"))


def _has_torch(python: str) -> bool:
    return subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0


def cpu_torch_python() -> str | None:
    """The cached CPU-torch venv's python, creating it if the wheel can be installed; None where it cannot."""
    py = CACHE / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if py.exists() and _has_torch(str(py)):
        return str(py)
    subprocess.run([sys.executable, "-m", "venv", str(CACHE)], check=True)
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", CPU_TORCH], capture_output=True, text=True)
    if r.returncode != 0 or not _has_torch(str(py)):
        print(f"skipped: cannot install {CPU_TORCH} here ({(r.stderr or r.stdout).strip().splitlines()[-1:]})")
        return None
    return str(py)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", help="interpreter with torch (default: the cached CPU-torch venv)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    python = args.python or cpu_torch_python()
    if python is None:
        return 0
    from desktop.verify import verify_python

    has_cuda = subprocess.run([python, "-c", "import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)"],
                              capture_output=True).returncode == 0
    wall([python, "-c", "import torch"], check=True)  # warm the page cache once
    bare = wall([python, "-c", "import torch"], args.runs, check=True)
    init_code = "import torch; torch.cuda.init(); torch.zeros(1, device='cuda')" if has_cuda else "import torch"
    init = wall([python, "-c", init_code], args.runs, check=True)
    ver, verdicts = [], set()
    for _ in range(args.runs):
        t = time.perf_counter()
        r = verify_python(python)
        ver.append(time.perf_counter() - t)
        verdicts.add(r.verdict)
    b, i, v = statistics.median(bare), statistics.median(init), statistics.median(ver)
    print(f"python: {python}  (CUDA {'yes' if has_cuda else 'no'}; verdicts {sorted(verdicts)})")
    print(median_line("bare `import torch`", bare))
    print(median_line("import torch + CUDA init", init))
    print(median_line("verify_python (whole)", ver))
    print(f"verify beyond import+CUDA init {v - i:+.3f}s  (target <= 1 s)")
    print(f"ratio verify / bare import     {v / b:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
