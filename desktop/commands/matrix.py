"""`torchdesk matrix`: the tables people look up by hand, filterable by release or compute capability."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import UsageError
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
            shown = args.gpu if len(args.gpu) <= 80 else args.gpu[:80] + "..."
            raise UsageError(f"unknown GPU {shown!r}" + (f"; did you mean: {', '.join(close)}?" if close else ""))
        cc = g.cc
    if cc is not None:
        import re

        if not re.match(r"^\d{1,2}\.\d$", cc):
            raise UsageError(f"--cc must look like 8.6 (got {cc[:40]!r})")
    if args.torch is not None:
        import re

        if not re.match(r"^\d{1,3}(\.\d{1,3}){0,2}$", args.torch):
            raise UsageError(f"--torch must look like 2.5 or 2.5.1 (got {args.torch[:40]!r})")
    tables = build_tables(m, torch=args.torch, cc=cc, os_name=args.os)
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


def build_tables(m, *, torch: str | None = None, cc: str | None = None, os_name: str = "linux") -> dict[str, list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    """The four tables as lists of row dicts (column -> text), filtered. Shared by the CLI and the app."""
    from ..matrix import cc_tuple, sm_name, vtuple
    from ..resolve import gpu_coverage

    plat = f"{os_name}-x86_64"
    cuda_rows = []
    for tk in m.cuda_toolkits:
        if cc and not tk.supports_cc(cc):
            continue
        archs = []
        for a in m.architectures:
            if any(tk.supports_cc(c) for c in a.cc) and a.name not in archs:
                archs.append(a.name)
        cuda_rows.append({
            "CUDA": tk.version,
            "compute capability": f"{tk.cc_min} - {tk.cc_max}" + (f" (not {', '.join(tk.dropped)})" if tk.dropped else ""),
            "architectures": ", ".join(archs),
            "released": tk.released or "",
        })
    driver_rows = []
    for tk in m.cuda_toolkits:
        mc = tk.minor_compat_min
        driver_rows.append({
            "CUDA": tk.version,
            "Linux driver >=": tk.driver_min.get("linux", ""),
            "Windows driver >=": tk.driver_min.get("windows", "-"),
            "minor-version compat >= (Linux / Windows)": f"{mc.get('linux', '-')} / {mc.get('windows', '-')}" if mc else "none",
        })
    torch_rows = []
    for r in m.releases:
        if torch and vtuple(r.version)[: len(vtuple(torch))] != vtuple(torch):
            continue
        builds = []
        for b in r.builds:
            t = b.platforms.get(plat)
            if t is None:
                continue
            if cc:
                if b.kind != "cuda":
                    continue
                cov = gpu_coverage(t, cc)
                if not cov.ok:
                    continue
                builds.append(b.variant + (" (PTX)" if cov.via_ptx else ""))
            else:
                builds.append(b.variant + (" [" + ",".join(sm_name(x)[3:] for x in t.sass) + "]" if b.kind == "cuda" and t.sass else ""))
        if cc and not builds:
            continue
        torch_rows.append({
            "torch": r.version,
            "released": r.released,
            "Python": f"{r.python[0]} - {r.python[-1]}",
            f"builds ({plat})": " ".join(builds),
            "default": r.default_variant.get(plat, "-"),
            "torchvision": r.torchvision or "-",
            "torchaudio": r.torchaudio or "-",
            "numpy": r.numpy or "",
        })
    gpu_rows = []
    for g in sorted(m.gpus, key=lambda g: (cc_tuple(g.cc), g.name)):
        if cc and g.cc != "%d.%d" % cc_tuple(cc):
            continue
        a = m.arch_for_cc(g.cc)
        gpu_rows.append({"GPU": g.name, "compute capability": g.cc, "architecture": a.name if a else "?", "segment": g.segment})
    return {"cuda": cuda_rows, "driver": driver_rows, "torch": torch_rows, "gpus": gpu_rows}


def render(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "  (no rows)"
    cols = list(rows[0])
    width = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    head = "  " + "  ".join(c.ljust(width[c]) for c in cols)
    rule = "  " + "  ".join("-" * width[c] for c in cols)
    body = ["  " + "  ".join(str(r[c]).ljust(width[c]) for c in cols).rstrip() for r in rows]
    return "\n".join([head.rstrip(), rule, *body])
