"""Driver advice: which driver update gets which plan. The one answer the app's machine and recommendation panels
and `torchdesk recommend` all show."""

from __future__ import annotations

from dataclasses import replace

from ..driverneeds import driver_needs
from ..matrix import Matrix
from ..model import Candidate, Host, Plan, Preferences, Resolution
from ..resolve import resolve
from ..rules import driver_os, gpu_driver_floor


def driver_advice(matrix: Matrix, host: Host, res: Resolution, prefs: Preferences | None = None) -> list[str]:
    """'driver 575.51.03 cannot run CUDA 13.2 builds: update to 580 or newer: with 580 the plan is torch 2.15.0
    (cu132)': the advised driver is the lowest that improves the plan, and the plan named is the resolver's own
    with that driver (re-resolved on a copy of the host); a second clause names the newest plan if a newer driver
    gets a newer one."""
    if host.driver is None or not host.nvidia_gpus:
        return []
    prefs = prefs or Preferences()
    plan = gpu_plan(res)
    gains = driver_gains(matrix, host, res, prefs)
    if not gains:
        return _per_gpu_advice(matrix, host, prefs) if plan is None else []
    need, after = gains[0]
    gpu = gpu_driver_floor(matrix, host)
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


def driver_gains(matrix: Matrix, host: Host, res: Resolution, prefs: Preferences) -> list[tuple[str, Resolution]]:
    """Each driver that improves this host's plan, lowest first, with the resolver's own answer at that driver
    (re-resolved on a copy of the host); a driver is listed only when its plan differs from the one before."""
    if host.driver is None or not host.nvidia_gpus:
        return []
    plan = gpu_plan(res)
    gains: list[tuple[str, Resolution]] = []
    for need in driver_needs(matrix, host, res):
        after = resolve(matrix, replace(host, driver=need), prefs)
        p = after.plan
        if p is None or not p.variant.startswith(("cu", "rocm")) or (plan is not None and (p.torch, p.variant) == (plan.torch, plan.variant)):
            continue
        if not gains or _named(after) != _named(gains[-1][1]):
            gains.append((need, after))
    return gains


def _per_gpu_advice(matrix: Matrix, host: Host, prefs: Preferences) -> list[str]:
    """A machine whose GPUs no one build serves (an RTX 5090 beside a GTX 1080): the advice for each kind of GPU on
    its own, as the resolver's per-GPU lines plan for it ('for GeForce RTX 5090: driver ... update to ...')."""
    names = dict.fromkeys(g.name for g in host.nvidia_gpus)
    if len(names) < 2:
        return []
    out = []
    for name in names:
        g = next(g for g in host.nvidia_gpus if g.name == name)
        single = replace(host, gpus=(g,))
        advice = driver_advice(matrix, single, resolve(matrix, single, prefs), prefs)
        out += [line if name in line else f"for {name}: {line}" for line in advice]  # the line names the GPU, or this does
    return out


def gpu_plan(res: Resolution) -> Plan | None:
    """The resolution's plan when it uses a GPU (a CUDA or ROCm build), else None."""
    return res.plan if res.plan is not None and res.plan.variant.startswith(("cu", "rocm")) else None


def _named(res: Resolution) -> str:
    p = res.plan
    return f"torch {p.torch} ({p.variant})" if p is not None else "none"


def _build_cuda(matrix: Matrix, c: Candidate | Plan) -> str | None:
    rel = matrix.release(c.torch)
    build = rel.build(c.variant) if rel else None
    return build.cuda if build else None
