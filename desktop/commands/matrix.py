"""`torchdesk matrix`: the tables people look up by hand, filterable by release or compute capability."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import UsageError
from ..tables import build_amd_rows, build_rocm_rows, build_tables
from ._common import load_matrix_for_cli

TABLES = ("cuda", "driver", "torch", "gpus", "amd")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", choices=TABLES, action="append", help="print only this table (repeatable)")
    p.add_argument("--torch", metavar="X.Y[.Z]", help="only PyTorch releases with this prefix, e.g. 2.5")
    p.add_argument("--cc", metavar="X.Y", help="only rows that matter for this compute capability, e.g. 8.6")
    p.add_argument("--gpu", metavar="NAME", help="like --cc (or --gfx for an AMD model), for a GPU model name")
    p.add_argument("--gfx", metavar="gfxNNNN", help="only ROCm builds and AMD GPUs for this gfx target, e.g. gfx1100")
    p.add_argument("--os", choices=("linux", "windows"), default="linux", help="whose wheels' architecture lists (default linux)")
    p.add_argument("--json", action="store_true", help="the filtered tables as JSON")
    p.add_argument("--check", action="store_true", help="validate the data and report consistency problems")


def run(args: argparse.Namespace) -> int:
    from ..matrixcheck import consistency_problems

    m = load_matrix_for_cli(args)
    if args.check:
        from ..gpucoverage import coverage_problems

        problems = consistency_problems(m) + coverage_problems(m)  # + every model on NVIDIA's two CUDA GPU pages
        for p in problems:
            print(p)
        print(f"{m.file}: data {m.data_version}, {len(m.releases)} releases, {len(m.cuda_toolkits)} CUDA toolkits, "
              f"{len(m.gpus)} NVIDIA GPUs, {len(m.amd_gpus)} AMD GPUs: {len(problems)} problem(s)")
        return 1 if problems else 0
    cc = args.cc
    gfx = args.gfx.strip().lower() if args.gfx else None
    if args.gpu:
        g = m.find_gpu(args.gpu)
        amd = m.find_amd_gpu(args.gpu) if g is None else None
        if g is None and amd is None:
            close = m.suggest_amd_gpus(args.gpu) + m.suggest_gpus(args.gpu)
            shown = args.gpu if len(args.gpu) <= 80 else args.gpu[:80] + "..."
            raise UsageError(f"unknown GPU {shown!r}" + (f"; did you mean: {', '.join(close[:5])}?" if close else ""))
        if g is not None:
            cc = g.cc
        else:
            gfx = amd.gfx  # type: ignore[union-attr]
    if gfx is not None:
        from ..machines import GFX_RX

        if not GFX_RX.match(gfx):
            raise UsageError(f"--gfx must look like gfx1100 or gfx90a (got {gfx[:40]!r})")
        if cc is not None:
            raise UsageError("--gfx (AMD) cannot be combined with --cc (NVIDIA)")
        return _run_gfx(m, gfx, args)
    if cc is not None:
        import re

        if not re.match(r"^\d{1,2}\.\d$", cc):
            raise UsageError(f"--cc must look like 8.6 (got {cc[:40]!r})")
    if args.torch is not None:
        import re

        if not re.match(r"^\d{1,3}(\.\d{1,3}){0,2}$", args.torch):
            raise UsageError(f"--torch must look like 2.5 or 2.5.1 (got {args.torch[:40]!r})")
    tables = build_tables(m, torch=args.torch, cc=cc, os_name=args.os)
    tables["amd"] = build_amd_rows(m)
    # A filter that matches nothing says so (and fails) instead of printing empty or unfiltered tables.
    if args.torch is not None and not tables["torch"]:
        print(f"no PyTorch release {'for compute capability ' + cc + ' ' if cc else ''}matches --torch {args.torch} "
              f"in the compatibility data ({m.data_version}); `torchdesk matrix --table torch` lists them",
              file=sys.stderr)
        return 1
    if cc is not None and not tables["cuda"]:
        print(f"no CUDA toolkit in the compatibility data ({m.data_version}) supports compute capability {cc}",
              file=sys.stderr)
        return 1
    wanted = args.table or [t for t in TABLES if t not in ("gpus", "amd") or args.gpu]
    if "driver" in wanted:  # the driver table comes with the architecture floors: both bound the driver
        wanted = [x for t in dict.fromkeys(wanted) for x in ((t, "driver_floors") if t == "driver" else (t,))]
    if args.json:
        json.dump({k: tables[k] for k in wanted}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    titles = {
        "cuda": "CUDA toolkit <-> compute capability <-> architectures",
        "driver": "NVIDIA driver <-> CUDA (minimum driver versions)",
        "driver_floors": "GPU architecture <-> oldest driver that supports it at all (matrix.json architectures[].driver_floors)",
        "torch": "PyTorch <-> Python <-> CUDA builds <-> torchvision <-> torchaudio",
        "gpus": "GPU models",
        "amd": "AMD GPU models <-> gfx target",
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


def _run_gfx(m, gfx: str, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    tables = {"amd": build_amd_rows(m, gfx), "torch": build_rocm_rows(m, gfx, args.torch)}
    if args.json:
        json.dump(tables, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    out = [f"Filtered for AMD gfx target {gfx}", "", "AMD GPU models with this target", render(tables["amd"]), "",
           "PyTorch releases whose ROCm wheels carry it", render(tables["torch"]), "",
           f"(compatibility data {m.data_version}; gfx lists per build in matrix.json)"]
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
