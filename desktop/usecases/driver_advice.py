"""Driver advice: which driver update opens which PyTorch releases. The one answer the app's machine and
recommendation panels and `torchdesk recommend` all show."""

from __future__ import annotations

from ..matrix import Matrix, vtuple
from ..model import Candidate, Host, Resolution
from ..rules import driver_floor, gpu_coverage


def driver_advice(matrix: Matrix, host: Host, res: Resolution) -> list[str]:
    """'driver 575.51.03 cannot run CUDA 13.2 builds: update to 580 or newer to use PyTorch 2.15.0 and later'."""
    if host.driver is None or not host.nvidia_gpus:
        return []
    # Only releases with no GPU build that runs here count: 'PyTorch 2.9 and later' is wrong when 2.9's cu128
    # build runs and only its cu130 build needs the newer driver.
    usable = {c.torch for c in (*res.alternatives, *([res.plan] if res.plan else ())) if c.variant.startswith(("cu", "rocm"))}
    blocked = [c for c in res.rejected if c.reasons and c.torch not in usable
               and all(ch.check == "driver" for ch in c.checks if not ch.ok)]
    if not blocked:
        return []
    first = min(blocked, key=lambda c: (vtuple(c.torch), vtuple(_build_cuda(matrix, c) or "999")))
    rel = matrix.release(first.torch)
    build = rel.build(first.variant) if rel else None
    tk = matrix.cuda(build.cuda) if build and build.cuda else None
    if build is None or tk is None:
        return []
    # The same floor the resolver's driver check quotes (rules.driver_floor): the toolkit's own minimum only where
    # a GPU of this machine runs the build's PTX (JIT needs it), else the minor-version-compatibility floor.
    targets = build.platforms.get(host.platform)
    needs_own = targets is not None and any(gpu_coverage(targets, cc).via_ptx for cc in _nvidia_ccs(matrix, host))
    need = driver_floor(tk, host, needs_own=needs_own)
    return [f"driver {host.driver} cannot run CUDA {tk.version} builds: update to {need} or newer "
            f"to use PyTorch {first.torch} and later"]


def _nvidia_ccs(matrix: Matrix, host: Host) -> list[str]:
    out = []
    for g in host.nvidia_gpus:
        model = None if g.cc else matrix.find_gpu(g.name)
        cc = g.cc or (model.cc if model else None)
        if cc:
            out.append(cc)
    return out


def _build_cuda(matrix: Matrix, c: Candidate) -> str | None:
    rel = matrix.release(c.torch)
    build = rel.build(c.variant) if rel else None
    return build.cuda if build else None
