"""The compatibility tables as people look them up: which rows concern a machine, and what a filter text names.
The app's Compatibility tab highlights and filters with these; `torchdesk matrix` prints the same tables
(desktop.tables.build_tables)."""

from __future__ import annotations

import re

from ..matrix import Matrix
from ..model import Host
from ..rules import driver_check, driver_os, gpu_driver_floor
from ..tables import build_tables


def machine_rows(matrix: Matrix, host: Host, tables: dict[str, list[dict[str, str]]]) -> dict[str, set[int]]:
    """Indexes of the rows that concern `host`: its GPUs' CUDA toolkits and architecture driver floors, the CUDA
    its driver runs (by the resolver's rule), builds for its GPUs."""
    out: dict[str, set[int]] = {k: set() for k in tables}
    ccs = [g.cc for g in host.nvidia_gpus if g.cc]
    os_key = driver_os(host)
    for cc in ccs:
        sub = build_tables(matrix, cc=cc, os_name=os_key)
        cudas = {r["CUDA"] for r in sub["cuda"]}
        torches = {r["torch"] for r in sub["torch"]}
        out["cuda"] |= {i for i, r in enumerate(tables["cuda"]) if r["CUDA"] in cudas}
        out["torch"] |= {i for i, r in enumerate(tables["torch"]) if r["torch"] in torches}
        floors = {r["compute capability"] for r in sub["driver_floors"]}
        out.setdefault("driver_floors", set()).update(
            i for i, r in enumerate(tables.get("driver_floors", [])) if r["compute capability"] in floors)
    if host.driver:
        # The resolver's own rule (rules.driver_check): the toolkit's minimum or its minor-version-compatibility
        # floor, and never below the floor of this machine's GPUs; a branch-only driver compared by branch.
        gpu = gpu_driver_floor(matrix, host)
        for i, r in enumerate(tables["driver"]):
            tk = matrix.cuda(r.get("CUDA", ""))
            if tk is not None and driver_check(tk, host, needs_own=False, sources=(), gpu=gpu).ok:
                out["driver"].add(i)
    names = set()
    for g in host.gpus:
        model = matrix.find_gpu(g.name)
        if model is not None:
            names.add(model.name)
    out["gpus"] = {i for i, r in enumerate(tables["gpus"]) if r["GPU"] in names}
    return out


def cc_query(text: str, known: set[str]) -> str | None:
    """The compute capability a filter text names ('8.6', 'sm_86', 'compute_86', 'cc 8.6', '86' -> '8.6'), if it
    is one the data knows; else None (the text is then only matched as text)."""
    t = text.strip().lower().replace(" ", "")
    t = t[2:] if t.startswith("cc") else t
    m = re.fullmatch(r"(?:sm|compute)_?(\d{2,3})[af]?|(\d{2,3})", t)
    if m:
        digits = m.group(1) or m.group(2)
        cc = f"{digits[:-1]}.{digits[-1]}"
    elif re.fullmatch(r"\d{1,2}\.\d", t):
        cc = t
    else:
        return None
    return cc if cc in known else None
