"""Driver advice: which driver update gets which plan. The one answer the app's machine and recommendation panels
and `torchdesk recommend` all show."""

from __future__ import annotations

from dataclasses import replace

from ..matrix import Matrix, vtuple
from ..model import Candidate, Host, Plan, Preferences, Resolution
from ..resolve import resolve
from ..rules import driver_floor, driver_os, gpu_coverage, gpu_driver_floor


def driver_advice(matrix: Matrix, host: Host, res: Resolution, prefs: Preferences | None = None) -> list[str]:
    """'driver 575.51.03 cannot run CUDA 13.2 builds: update to 580 or newer: with 580 the plan is torch 2.15.0
    (cu132)': the advised driver is the lowest that improves the plan, and the plan named is the resolver's own
    with that driver (re-resolved on a copy of the host); a second clause names the newest plan if a newer driver
    gets a newer one."""
    if host.driver is None or not host.nvidia_gpus:
        return []
    prefs = prefs or Preferences()
    plan = res.plan if res.plan is not None and res.plan.variant.startswith(("cu", "rocm")) else None
    # Only releases with no GPU build that runs here count: 2.9's cu130 build is no reason to update while its
    # cu128 build runs.
    usable = {c.torch for c in (*res.alternatives, *([res.plan] if res.plan else ())) if c.variant.startswith(("cu", "rocm"))}
    blocked = [c for c in res.rejected if c.reasons and c.torch not in usable
               and all(ch.check == "driver" for ch in c.checks if not ch.ok)]
    gpu = gpu_driver_floor(matrix, host)
    # each distinct floor of a blocked build (the number the resolver's own check quotes), lowest first
    needs = {n for c in blocked if (n := _floor(matrix, host, c)) is not None}
    gains: list[tuple[str, Resolution]] = []
    for need in sorted(needs, key=vtuple):
        after = resolve(matrix, replace(host, driver=need), prefs)
        p = after.plan
        if p is None or not p.variant.startswith(("cu", "rocm")) or (plan is not None and (p.torch, p.variant) == (plan.torch, plan.variant)):
            continue
        if not gains or _named(after) != _named(gains[-1][1]):
            gains.append((need, after))
    if not gains:
        return []
    need, after = gains[0]
    tk = matrix.cuda(_build_cuda(matrix, after.plan) or "") if after.plan is not None else None
    os_key = driver_os(host)
    if plan is None:
        names = dict.fromkeys(g.name for g in host.nvidia_gpus)
        if gpu is not None and need == gpu.driver:
            why = f"{gpu.arch} needs >= {need} on {os_key.capitalize()}"
        else:
            why = f"CUDA {tk.version if tk else '?'} builds need >= {need} on {os_key.capitalize()}"
        head = f"driver {host.driver} cannot run any PyTorch build for {' and '.join(names)} ({why})"
    else:
        on = f" on {gpu.arch} GPUs" if gpu is not None and need == gpu.driver else ""
        head = f"driver {host.driver} cannot run CUDA {tk.version if tk else '?'} builds{on}"
    text = f"{head}: update to {need} or newer: with {need} the plan is {_named(after)}"
    if len(gains) > 1:
        text += f"; with {gains[-1][0]} it is {_named(gains[-1][1])}"
    return [text]


def _named(res: Resolution) -> str:
    p = res.plan
    return f"torch {p.torch} ({p.variant})" if p is not None else "none"


def _floor(matrix: Matrix, host: Host, c: Candidate) -> str | None:
    """The driver the resolver's check holds build `c` to on this host (rules.driver_floor)."""
    rel = matrix.release(c.torch)
    build = rel.build(c.variant) if rel else None
    tk = matrix.cuda(build.cuda) if build and build.cuda else None
    if build is None or tk is None:
        return None
    # the toolkit's own minimum only where a GPU of this machine runs the build's PTX (JIT needs it), else the
    # minor-version-compatibility floor; never below the floor of the GPU itself
    targets = build.platforms.get(host.platform)
    needs_own = targets is not None and any(gpu_coverage(targets, cc).via_ptx for cc in _nvidia_ccs(matrix, host))
    return driver_floor(tk, host, needs_own=needs_own, gpu=gpu_driver_floor(matrix, host))


def _nvidia_ccs(matrix: Matrix, host: Host) -> list[str]:
    out = []
    for g in host.nvidia_gpus:
        model = None if g.cc else matrix.find_gpu(g.name)
        cc = g.cc or (model.cc if model else None)
        if cc:
            out.append(cc)
    return out


def _build_cuda(matrix: Matrix, c: Candidate | Plan) -> str | None:
    rel = matrix.release(c.torch)
    build = rel.build(c.variant) if rel else None
    return build.cuda if build else None
