"""What runs on a node, through submitit or from an sbatch script: the smoke test, or `torchdesk detect --json`.

`python -m desktop.fleet.task verify --python ENV/bin/python --class v100 --out RESULTS/v100.json` is the line the
sbatch scripts run; submitit calls `verify_task` directly. Both give the same JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

# Slurm's view of the task: which job, which node, which GPUs it was given.
_SLURM_VARS = ("SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_JOB_PARTITION",
               "SLURM_JOB_GPUS", "CUDA_VISIBLE_DEVICES")


def _where() -> dict[str, Any]:
    return {"node": socket.gethostname().split(".")[0],
            "slurm": {k: os.environ[k] for k in _SLURM_VARS if k in os.environ}}


def verify_task(python: str, class_name: str, *, timeout: float = 600, expect_gpu: bool | None = None) -> dict[str, Any]:
    """Run the smoke test with `python` here and return {'class', 'node', 'slurm', 'verify': VerifyResult JSON}."""
    from ..verify import verify_python

    r = verify_python(python, expect_gpu=expect_gpu, timeout=timeout)
    return {"kind": "verify", "class": class_name, **_where(), "verify": r.to_json()}


def probe_task(class_name: str, *, timeout: float = 120) -> dict[str, Any]:
    """Run `torchdesk detect --json` here with this interpreter and return {'class', 'node', 'slurm', 'detect'}."""
    cmd = [sys.executable, "-m", "desktop.cli", "detect", "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    out: dict[str, Any] = {"kind": "probe", "class": class_name, **_where()}
    try:
        out["detect"] = json.loads(p.stdout)
    except ValueError:
        out["error"] = (p.stderr or p.stdout).strip()[-2000:] or f"detect exited with {p.returncode}"
    return out


def create_task(cli_args: Sequence[str], *, timeout: float = 7000) -> dict[str, Any]:
    """Run `torchdesk <cli_args>` (a create) here and return its exit code and output."""
    cmd = [sys.executable, "-m", "desktop.cli", *cli_args]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return {"kind": "create", **_where(), "returncode": p.returncode, "log": p.stdout[-20000:]}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m desktop.fleet.task")
    ap.add_argument("what", choices=("verify", "probe"))
    ap.add_argument("--class", dest="class_name", required=True)
    ap.add_argument("--python", help="the environment's python (verify)")
    ap.add_argument("--out", required=True, help="write the result JSON here")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args(argv)
    if args.what == "verify":
        if not args.python:
            ap.error("verify needs --python")
        result = verify_task(args.python, args.class_name, timeout=args.timeout)
    else:
        result = probe_task(args.class_name)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, out)  # a reader never sees half a result
    return 0


if __name__ == "__main__":
    sys.exit(main())
