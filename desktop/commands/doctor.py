"""`torchdesk doctor`: verify every environment that detection finds with torch in it; one table."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object per environment, as a list")
    p.add_argument("--timeout", type=float, default=300, metavar="S", help="per environment (default 300)")


def _row(env: Any, r: Any) -> list[str]:
    verdict = {"pass": "pass", "warn": "warn", "fail": "FAIL"}[r.verdict]
    note = r.fix if r.verdict != "pass" else ""
    if r.verdict == "fail":
        note = f"{r.cause} -> {r.fix}" if r.fix else r.cause
    py = (r.report.get("python") or {}).get("version") or env.python or "-"
    return [env.name, py, r.torch_build, r.gpus_covered, verdict, note]


def format_table(rows: list[list[str]]) -> str:
    """Columns padded to their widest cell; the last column (fix) runs free."""
    head = ["env", "python", "torch build", "GPUs covered", "verdict", "fix"]
    table = [head, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(head) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1] for r in table]
    return "\n".join(line.rstrip() for line in lines)


def run(args: argparse.Namespace) -> int:
    from ..detect import detect_host
    from ..driftguard import check_drift
    from ..verify import env_python, verify_python

    matrix = None
    if getattr(args, "matrix_file", None):
        from ._common import load_matrix_for_cli

        matrix = load_matrix_for_cli(args)
    host = detect_host(matrix=matrix)
    envs = [e for e in host.envs if e.torch]
    if not envs:
        if args.json:
            print("[]")
        else:
            print("no environment with torch in it was found (`torchdesk envs` lists what detection sees)")
        return 0
    rows, out, failed, drifted = [], [], False, []
    for env in envs:
        python = str(env_python(env.prefix))  # env.python is its version, not a path
        if not args.json:
            print(f"verifying {env.name} ...", file=sys.stderr, flush=True)
        r = verify_python(python, timeout=args.timeout, matrix=matrix)
        failed |= r.verdict == "fail"
        rows.append(_row(env, r))
        out.append({"env": env.name, "prefix": env.prefix, "python": python, "torch_build": r.torch_build,
                    "gpus_covered": r.gpus_covered, **r.to_json()})
        drift = check_drift(env.prefix)  # swapped builds, named with who installed them (desktop/driftguard.py)
        out[-1]["drift"], failed = drift.to_json(), failed or not drift.ok
        drifted += [f"{env.name}: {d.message} -> torchdesk repair {env.name}" for d in drift.drifts]
    if args.json:
        print(json.dumps(out, indent=2, default=str))
    else:
        print("\n".join([format_table(rows), *drifted]))
    return 1 if failed else 0
