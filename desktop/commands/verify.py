"""`torchdesk verify`: run the CUDA smoke test in one environment and print the verdict."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--name", metavar="N", help="a conda environment by name (as `torchdesk envs` lists it)")
    which.add_argument("--prefix", metavar="P", help="an environment by its folder")
    which.add_argument("--python", metavar="PATH", help="any Python interpreter")
    p.add_argument("--json", action="store_true", help="print the verdict and the full report as JSON")
    p.add_argument("--expect-gpu", action=argparse.BooleanOptionalAction, default=None,
                   help="fail unless torch uses a GPU (default: expect one when an NVIDIA GPU is detected)")
    p.add_argument("--timeout", type=positive_seconds, default=300, metavar="S",
                   help="give up after S seconds (default 300)")


def positive_seconds(text: str) -> float:
    """argparse type: a number of seconds above zero (nan, inf and negatives are refused)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0 or value > 7 * 24 * 3600:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: give a number of seconds above 0, such as 300")
    return value


def resolve_python(args: argparse.Namespace) -> str:
    """The interpreter the flags name. Unknown names and missing folders are usage errors."""
    from ..paths import env_python

    if args.python:
        return str(args.python)
    if args.prefix:
        prefix = Path(args.prefix).expanduser()
        if not prefix.is_dir():
            raise UsageError(f"no environment at {prefix}")
        py = env_python(prefix)
        if not py.exists():
            raise UsageError(f"{prefix} has no python ({py} does not exist)")
        return str(py)
    from ..usecases.inventory import find_environment, require_finished

    # EnvLookupError and require_finished's refusals are UsageErrors: one line, exit code 2
    env = require_finished(find_environment(args.name, by_path="torchdesk verify --prefix PATH"))
    py = env_python(env.prefix)  # env.python is its version, not a path
    if not py.exists():
        raise UsageError(f"{env.prefix} has no python ({py} does not exist)")
    return str(py)


def print_result(r: Any, out: Any = sys.stdout) -> None:
    """The human-readable verdict: a headline, the checks, cause and fix (control characters escaped)."""
    from ..sanitize import escape_controls
    from ..verdicts import UNEXPECTED

    head = {"pass": "PASS", "warn": "PASS (with warnings)", "fail": "FAIL"}[r.verdict]
    print(escape_controls(f"{head}: {r.cause}"), file=out)
    details: list[str] = []
    try:
        _detail_lines(r.report, details.append)
    except (AttributeError, TypeError, KeyError, ValueError, IndexError):
        details = [f"  ({UNEXPECTED}: the report's details cannot be shown; see --json)"]
    for line in details:
        print(escape_controls(line), file=out)
    for w in r.warnings:
        print(escape_controls(f"  warning: {w}"), file=out)
    if r.fix:
        print(escape_controls(f"fix: {r.fix}"), file=out)


def _detail_lines(rep: Any, out: Any) -> None:
    """The report's facts, one line each, through `out`: raises on a report of the wrong shape."""
    py = rep.get("python") or {}
    t = rep.get("torch") or {}
    if py:
        out(f"  python  {py.get('version')}  {py.get('executable')}")
    if t:
        out(f"  torch   {t.get('version')}  CUDA {t.get('cuda') or '-'}  cuDNN {t.get('cudnn') or '-'}")
    for g in rep.get("gpus") or ():
        out(f"  GPU {g.get('index')}   {g.get('name')}  {g.get('sm')}  kernels: {g.get('coverage') or 'none'}")
    for c in rep.get("checks") or ():
        where = "" if c.get("gpu") is None else f"[{c['gpu']}]"
        extra = f"  rel.err {c['rel_err']:.1e}" if "rel_err" in c else ""
        err = f"  {c['error']['detail']}" if c.get("error") else ""
        out(f"  {'ok  ' if c.get('ok') else 'FAIL'} {c['name']}{where}  {c.get('seconds', 0):.3f}s{extra}{err}")


def run(args: argparse.Namespace) -> int:
    from ..verify import verify_python

    python = resolve_python(args)
    matrix = None
    if getattr(args, "matrix_file", None):
        from ._common import load_matrix_for_cli

        matrix = load_matrix_for_cli(args)
    on_line = None if args.json else (lambda line: print(line, file=sys.stderr, flush=True))
    r = verify_python(python, expect_gpu=args.expect_gpu, timeout=args.timeout, matrix=matrix, on_line=on_line)
    if args.json:
        print(json.dumps(r.to_json(), indent=2, default=str))
    else:
        print_result(r)
    return 0 if r.ok else 1
