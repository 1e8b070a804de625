"""`torchdesk doctor`: verify every environment of the inventory (desktop/usecases/inventory.py) with torch in it;
one table."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .verify import positive_seconds


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object per environment, as a list")
    p.add_argument("--timeout", type=positive_seconds, default=300, metavar="S", help="per environment (default 300)")
    p.add_argument("--engines", action="store_true", help="list the conda engines instead, and whether each is here")


def _row(env: Any, r: Any) -> list[str]:
    from ..sanitize import escape_controls

    verdict = {"pass": "pass", "warn": "warn", "fail": "FAIL"}[r.verdict]
    note = r.fix if r.verdict != "pass" else ""
    if r.verdict == "fail":
        note = f"{r.cause} -> {r.fix}" if r.fix else r.cause
    try:
        py = (r.report.get("python") or {}).get("version") or env.python or "-"
        build, gpus = r.torch_build, r.gpus_covered
    except (AttributeError, TypeError, KeyError, ValueError):  # a report of the wrong shape: say nothing from it
        py, build, gpus = env.python or "-", "?", "?"
    return [escape_controls(str(c)) for c in (env.name, py, build, gpus, verdict, note)]


def format_table(rows: list[list[str]]) -> str:
    """Columns padded to their widest cell; the last column (fix) runs free."""
    head = ["env", "python", "torch build", "GPUs covered", "verdict", "fix"]
    table = [head, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(head) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=False)) + "  " + r[-1] for r in table]
    return "\n".join(line.rstrip() for line in lines)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "engines", False):
        return report_engines(args)
    from ..detect import detect_host
    from ..driftguard import check_drift
    from ..paths import env_python
    from ..sanitize import escape_controls
    from ..usecases.inventory import list_environments
    from ..verify import verify_python

    matrix = None
    if getattr(args, "matrix_file", None):
        from ._common import load_matrix_for_cli

        matrix = load_matrix_for_cli(args)
    host = detect_host(matrix=matrix)
    envs = [e for e in list_environments(host.conda, host.envs) if e.ok and e.torch]
    if not envs:
        if args.json:
            print("[]")
        else:
            print("no environment with torch in it was found (`torchdesk envs` lists every environment)")
        return 0
    rows, out, failed, drifted = [], [], False, []
    for env in envs:
        python = str(env_python(env.prefix))  # env.python is its version, not a path
        if not args.json:
            print(f"verifying {escape_controls(env.name)} ...", file=sys.stderr, flush=True)
        r = verify_python(python, timeout=args.timeout, matrix=matrix)
        failed |= r.verdict == "fail"
        row = _row(env, r)
        rows.append(row)
        out.append({"env": env.name, "prefix": env.prefix, "python": python, "torch_build": row[2],
                    "gpus_covered": row[3], **r.to_json()})
        drift = check_drift(env.prefix)  # swapped builds, named with who installed them (desktop/driftguard.py)
        out[-1]["drift"], failed = drift.to_json(), failed or not drift.ok
        drifted += [f"{env.name}: {d.message} -> torchdesk repair {env.name}" for d in drift.drifts]
    if args.json:
        print(json.dumps(out, indent=2, default=str))
    else:
        print("\n".join([format_table(rows), *drifted]))
    return 1 if failed else 0


def report_engines(args: argparse.Namespace) -> int:
    """Every registered engine with its availability here (probed now); 1 if none is available."""
    from ..engine import DEFAULT_ENGINE, engines
    from ..sanitize import escape_controls

    rows: list[dict[str, Any]] = []
    for info in engines():
        found = info.probe()
        rows.append({"engine": info.name, "default": info.name == DEFAULT_ENGINE, "available": found.available,
                     "detail": found.detail, "capabilities": sorted(info.capabilities), "description": info.description})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        width = max(len(r["engine"]) for r in rows)
        for r in rows:
            mark = "available" if r["available"] else "missing  "
            default = " (default)" if r["default"] else ""
            print(escape_controls(f"{r['engine']:<{width}}  {mark}  {r['detail']}{default}"))
    return 0 if any(r["available"] for r in rows) else 1
