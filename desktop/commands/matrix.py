"""`torchdesk matrix`: the tables people look up by hand, filterable by release or compute capability."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import UsageError
from ..tables import build_tables
from ._common import load_matrix_for_cli

TABLES = ("cuda", "driver", "torch", "gpus")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", choices=TABLES, action="append", help="print only this table (repeatable)")
    p.add_argument("--torch", metavar="X.Y[.Z]", help="only PyTorch releases with this prefix, e.g. 2.5")
    p.add_argument("--cc", metavar="X.Y", help="only rows that matter for this compute capability, e.g. 8.6")
    p.add_argument("--gpu", metavar="NAME", help="like --cc, for a GPU model name")
    p.add_argument("--os", choices=("linux", "windows"), default="linux", help="whose wheels' architecture lists (default linux)")
    p.add_argument("--json", action="store_true", help="the filtered tables as JSON")
    p.add_argument("--check", action="store_true", help="validate the data and report consistency problems")


def run(args: argparse.Namespace) -> int:
    from ..matrix import consistency_problems

    m = load_matrix_for_cli(args)
    if args.check:
        problems = consistency_problems(m)
        for p in problems:
            print(p)
        print(f"{m.file}: data {m.data_version}, {len(m.releases)} releases, {len(m.cuda_toolkits)} CUDA toolkits, "
              f"{len(m.gpus)} GPUs: {len(problems)} problem(s)")
        return 1 if problems else 0
    cc = args.cc
    if args.gpu:
        g = m.find_gpu(args.gpu)
        if g is None:
            close = m.suggest_gpus(args.gpu)
            raise UsageError(f"unknown GPU {args.gpu!r}" + (f"; did you mean: {', '.join(close)}?" if close else ""))
        cc = g.cc
    if cc is not None:
        import re

        if not re.match(r"^\d{1,2}\.\d$", cc):
            raise UsageError(f"--cc must look like 8.6 (got {cc!r})")
    tables = build_tables(m, torch=args.torch, cc=cc, os_name=args.os)
    wanted = args.table or [t for t in TABLES if t != "gpus" or args.gpu or args.table]
    if args.json:
        json.dump({k: tables[k] for k in wanted}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    titles = {
        "cuda": "CUDA toolkit <-> compute capability <-> architectures",
        "driver": "NVIDIA driver <-> CUDA (minimum driver versions)",
        "torch": "PyTorch <-> Python <-> CUDA builds <-> torchvision <-> torchaudio",
        "gpus": "GPU models",
    }
    out = []
    if cc:
        arch = m.arch_for_cc(cc)
        out.append(f"Filtered for compute capability {cc}" + (f" ({arch.name})" if arch else "") + "\n")
    for t in wanted:
        out.append(titles[t])
        out.append(render(tables[t]))
        out.append("")
    out.append(f"(compatibility data {m.data_version}; sources: torchdesk matrix --json, or matrix.json)")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def render(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "  (no rows)"
    cols = list(rows[0])
    width = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    head = "  " + "  ".join(c.ljust(width[c]) for c in cols)
    rule = "  " + "  ".join("-" * width[c] for c in cols)
    body = ["  " + "  ".join(str(r[c]).ljust(width[c]) for c in cols).rstrip() for r in rows]
    return "\n".join([head.rstrip(), rule, *body])
