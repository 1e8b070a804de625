#!/usr/bin/env bash
# Run on a lent GPU machine (the device tool): detection, verification and a recommendation on real hardware,
# plus the detect/verify benches. Writes everything under $OUT (or ./device-out).
set -u
OUT=${OUT:-./device-out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}
td() { python3 -m desktop.cli "$@"; }
{ nvidia-smi -L; python3 -c "import torch, torchvision; print(torch.__version__, torchvision.__version__)"; } > "$OUT/machine.txt" 2>&1
td detect --json > "$OUT/detect.json" 2>> "$OUT/errors.txt"; echo "detect rc=$?"
td detect > "$OUT/detect.txt" 2>&1
td recommend > "$OUT/recommend.txt" 2>> "$OUT/errors.txt"; echo "recommend rc=$?"
td verify --python "$(command -v python3)" --json > "$OUT/verify.json" 2>> "$OUT/errors.txt"; echo "verify rc=$?"
{ python3 bench/bench_verify.py --python "$(command -v python3)" --runs 3; python3 bench/bench_detect.py; } > "$OUT/bench.txt" 2>&1
echo "bench rc=$?"
tail -n 30 "$OUT/bench.txt"
# The CUDA extension check (a kernel built by the env's toolchain and launched): only where pytest and nvcc exist.
if python3 -c "import pytest" 2>/dev/null && command -v nvcc >/dev/null; then
  TORCHDESK_TEST_CUDA_PYTHON="$(command -v python3)" python3 -m pytest -q -p no:cacheprovider \
    tests/test_verify.py -k cuda_extension_on_a_gpu > "$OUT/cuda-extension.txt" 2>&1; echo "cuda extension rc=$?"
else
  echo "cuda extension: not run (needs pytest and nvcc on this machine)" | tee "$OUT/cuda-extension.txt"
fi
python3 - "$OUT/verify.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("verdict:", r.get("verdict"), "|", r.get("cause"))
rep = r.get("report", {})
print("import torch", rep.get("import_torch"), "| torchvision", rep.get("torchvision"), "| elapsed", rep.get("elapsed_s"), "| whole", r.get("seconds"))
print("checks", [(c.get("name"), c.get("seconds")) for c in rep.get("checks", [])])
PY
