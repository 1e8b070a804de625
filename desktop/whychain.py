"""The why-chain of a resolution: the host facts, the chosen build's checks, and why each newer release, the
index's default build and the Python were or were not taken.
"""

from __future__ import annotations

from .candidates import BuildContext, amd_gfx, build_context, candidate_kind
from .matrix import Matrix, TorchRelease, vtuple
from .model import Candidate, Check, Host, Preferences
from .rules import gpu_cc, newest_cuda_for_driver


def rocm_miss_reason(matrix: Matrix, ctx: BuildContext, plat: str) -> str:
    """Why no ROCm build fits, in one clause, for the first AMD GPU that some build misses."""
    rocm = [(r, b, b.platforms[plat]) for r, b in matrix.iter_builds() if b.kind == "rocm" and plat in b.platforms]
    if not rocm:
        return f"PyTorch has no ROCm build for {plat}"
    for g, gfx in ctx.amd:
        if gfx is None:
            return f"{g.name}: gfx target unknown, so no ROCm build can be promised (describe it with --gfx)"
        covering = [(r, b) for r, b, t in rocm if gfx in t.gfx]
        if not covering:
            r, b, t = rocm[0]
            carried = " ".join(t.gfx) or "an unknown list"
            return f"no ROCm build in the data carries {gfx} kernels (the newest, torch {r.version} {b.variant}, carries {carried})"
    r, b = next(((r, b) for r, b, t in rocm if all(gfx in t.gfx for _g, gfx in ctx.amd)), (rocm[0][0], rocm[0][1]))
    return f"the ROCm builds that carry these gfx targets (newest: torch {r.version} {b.variant}) do not fit the other pins"


def why_chain(
    matrix: Matrix, host: Host, prefs: Preferences, release: TorchRelease, chosen: Candidate, candidates: list[Candidate]
) -> tuple[Check, ...]:
    """Every step from the host to the chosen build, in order, with the reasons the newer releases were rejected."""
    plan = chosen.plan
    assert plan is not None
    src = ", ".join(release.source)
    why: list[Check] = []
    for g in host.amd_gpus if host.os != "macos" else ():
        gfx = amd_gfx(matrix, g)
        model = matrix.find_amd_gpu(g.name) or next(iter(matrix.amd_models_for_gfx(gfx or "")), None)
        arch_text = f" ({model.arch})" if model is not None and model.arch and model.gfx == gfx else ""
        src_ids = ", ".join(model.source) if model is not None and model.gfx == gfx else None
        why.append(Check("host", True, f"{g.name}: AMD gfx target {gfx}{arch_text}" if gfx else f"{g.name}: AMD GPU, gfx target unknown", src_ids))
        if plan.variant == "cpu" and host.os == "linux" and not host.nvidia_gpus and not prefs.variant:
            why.append(Check("gpu", True, f"CPU build: {rocm_miss_reason(matrix, build_context(matrix, host), host.platform)}", None))
    if host.nvidia_gpus and host.os != "macos":
        for g in host.nvidia_gpus:
            cc = gpu_cc(matrix, g)
            arch = matrix.arch_for_cc(cc) if cc else None
            if cc:
                why.append(Check("host", True, f"{g.name}: compute capability {cc}" + (f" ({arch.name})" if arch else ""), None))
        if host.driver:
            newest = newest_cuda_for_driver(matrix, host)
            why.append(Check("host", True, f"driver {host.driver}" + (f" runs CUDA up to {newest.version}" if newest else ""), None))
    why.extend(chosen.checks)
    newer = [c for c in candidates if vtuple(c.torch) > vtuple(plan.torch) and not c.ok]
    if newer:
        by_release: dict[str, Candidate] = {}
        for c in newer:
            r = matrix.release(c.torch)
            is_default = r is not None and r.default_variant.get(host.platform) == c.variant
            if c.torch not in by_release or is_default:
                by_release[c.torch] = c
        versions = sorted(by_release, key=vtuple, reverse=True)
        amd_only = host.amd_gpus and not host.nvidia_gpus and host.os == "linux" and plan.variant.startswith("rocm")
        for v in versions[:3]:
            c = by_release[v]
            reason = c.reasons[0] if c.reasons else "no build passes"
            if amd_only:
                mine = [x for x in newer if x.torch == v and candidate_kind(matrix, x) == "rocm"]
                reason = mine[0].reasons[0] if mine and mine[0].reasons else "it has no ROCm build in the data"
            why.append(Check("release", False, f"not torch {v}: {reason}", None))
        if len(versions) > 3:
            why.append(Check("release", True, f"...and {len(versions) - 3} more newer releases rejected (see rejected)", None))
        why.append(Check("release", True, f"torch {plan.torch} is the newest release that passes", src))
    else:
        why.append(Check("release", True, f"torch {plan.torch} is the newest release in the data that passes" + (f" the pin --torch {prefs.torch}" if prefs.torch else ""), src))
    default = release.default_variant.get(host.platform)
    if plan.variant == default:
        why.append(Check("build", True, f"{plan.variant} is the build a plain `pip install torch=={plan.torch}` gets on {host.platform}", src))
    elif prefs.variant:
        why.append(Check("build", True, f"{plan.variant} as pinned", src))
    else:
        dflt = next((c for c in candidates if c.torch == plan.torch and c.variant == default), None)
        if plan.variant.startswith("rocm") and host.amd_gpus:
            detail = (f"{plan.variant}: the newest ROCm build whose gfx list covers every AMD GPU here "
                      f"(the index default, {default or 'none'}, is not a ROCm build)")
        else:
            if dflt is not None and dflt.ok:
                because = "would not use the GPU" if host.gpus else "is not the kind this machine needs"
            else:
                because = "does not fit" + (f": {dflt.reasons[0]}" if dflt is not None and dflt.reasons else "")
            detail = f"{plan.variant}: the newest build that fits (the index default, {default or 'none'}, {because})"
        why.append(Check("build", True, detail, src))
    if prefs.python:
        why.append(Check("python", True, f"Python {plan.python} as pinned", src))
    else:
        why.append(Check("python", True, f"Python {plan.python}: the newest of {', '.join(plan.python_choices)} that has been out for a year", src))
    why.append(Check(
        "companions", True,
        f"torchvision {plan.torchvision or '(none released)'}, torchaudio {plan.torchaudio or '(none released)'}", src,
    ))
    why.append(Check("numpy", True, f"numpy{release.numpy}: built against numpy 1.x" if release.numpy else "numpy: no constraint beyond what torch requires", src))
    return tuple(why)
