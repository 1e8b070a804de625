"""Which drivers would unblock builds the resolver turned down only for the driver: the numbers its own checks
quote (rules.driver_floor). Shared by the driver advice (usecases/driver_advice.py) and the resolver's per-GPU
lines (resolve.py), which both re-resolve at these drivers; this module resolves nothing itself."""

from __future__ import annotations

from .matrix import Matrix, vtuple
from .model import Candidate, Host, Resolution
from .rules import driver_floor, gpu_cc, gpu_coverage, gpu_driver_floor


def driver_needs(matrix: Matrix, host: Host, res: Resolution) -> list[str]:
    """Each distinct driver floor of a build turned down here for the driver alone, lowest first; builds of a release
    that already has a GPU build running here do not count (2.9's cu130 is no reason to update while cu128 runs)."""
    if host.driver is None or not host.nvidia_gpus:
        return []
    usable = {c.torch for c in (*res.alternatives, *([res.plan] if res.plan else ())) if c.variant.startswith(("cu", "rocm"))}
    blocked = [c for c in res.rejected if c.reasons and c.torch not in usable
               and all(ch.check == "driver" for ch in c.checks if not ch.ok)]
    return sorted({n for c in blocked if (n := build_floor(matrix, host, c)) is not None}, key=vtuple)


def build_floor(matrix: Matrix, host: Host, c: Candidate) -> str | None:
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
    return [cc for g in host.nvidia_gpus if (cc := gpu_cc(matrix, g))]
