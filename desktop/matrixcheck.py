"""Cross-table checks of the compatibility data that the schema cannot express.

An empty list of problems means the tables hang together. The tests hold the bundled copy to it; the loader
refuses a user's or downloaded copy that fails it.
"""

from __future__ import annotations

from .matrix import Matrix, norm_gpu_name, sm_name
from .matrixamd import amd_key


def amd_problems(m: Matrix) -> list[str]:
    """Cross-table checks for the AMD tables: unique names, and every ROCm build's gfx list names real targets."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for g in m.amd_gpus:
        for n in (g.name, *g.aliases):
            k = amd_key(n)
            if k in seen and seen[k] != g.name:
                problems.append(f"AMD GPU name {n!r} is used by both {seen[k]} and {g.name}")
            seen[k] = g.name
            if m.find_gpu_exact(n) is not None:
                problems.append(f"AMD GPU name {n!r} is also an NVIDIA GPU name")
    for r in m.releases:
        for b in r.builds:
            if b.kind == "rocm":
                for plat, t in b.platforms.items():
                    if not t.gfx and not t.note and not b.note:
                        problems.append(f"torch {r.version} {b.variant} {plat}: no gfx list, and no note saying why")
            ta = b.companions.get("torchaudio")
            known = m.packages.get("torchaudio")
            if ta is not None and known is not None and ta not in known:
                problems.append(f"torch {r.version} {b.variant}: torchaudio {ta} is not a known torchaudio release")
    return problems


def consistency_problems(m: Matrix) -> list[str]:
    """Cross-table checks the schema cannot express. An empty list means the data hangs together."""
    problems: list[str] = []
    seen: set[str] = set()
    for r in m.releases:
        if r.version in seen:
            problems.append(f"torch {r.version} appears more than once")
        seen.add(r.version)
        variants = [b.variant for b in r.builds]
        for v in set(variants):
            if variants.count(v) > 1:
                problems.append(f"torch {r.version}: build {v} appears more than once")
        for plat, v in r.default_variant.items():
            b = r.build(v)
            if b is None:
                problems.append(f"torch {r.version}: default build {v} for {plat} is not among its builds")
            elif plat not in b.platforms:
                problems.append(f"torch {r.version}: default build {v} has no {plat} wheels")
        for py in r.python:
            if m.python_release(py) is None:
                problems.append(f"torch {r.version}: Python {py} is not in python_releases")
        for b in r.builds:
            if b.cuda:
                tk = m.cuda(b.cuda)
                if tk is None:
                    problems.append(f"torch {r.version} {b.variant}: CUDA {b.cuda} is not in cuda_toolkits")
                    continue
                expect = "cu" + b.cuda.replace(".", "")
                if b.variant != expect:
                    problems.append(f"torch {r.version} {b.variant}: variant does not match its CUDA {b.cuda}")
                for plat, t in b.platforms.items():
                    for target in t.sass + t.ptx:
                        if not tk.supports_cc(target):
                            problems.append(
                                f"torch {r.version} {b.variant} {plat}: {sm_name(target)} is outside what CUDA "
                                f"{tk.version} supports ({tk.cc_min}-{tk.cc_max})"
                            )
                    if not t.sass and not t.ptx and not t.note:
                        problems.append(f"torch {r.version} {b.variant} {plat}: no architecture list, and no note saying why")
            if not (b.install.index_url or b.install.find_links):
                problems.append(f"torch {r.version} {b.variant}: no install location")
        for pkg in ("torchvision", "torchaudio"):
            ver = getattr(r, pkg)
            known = m.packages.get(pkg)
            if ver is not None and known is not None and ver not in known:
                problems.append(f"torch {r.version}: {pkg} {ver} is not a known {pkg} release")
    names: dict[str, str] = {}
    for g in m.gpus:
        if m.arch_for_cc(g.cc) is None:
            problems.append(f"GPU {g.name}: compute capability {g.cc} has no architecture row")
        for n in (g.name, *g.aliases):
            k = norm_gpu_name(n)
            if k in names and names[k] != g.name:
                problems.append(f"GPU name {n!r} is used by both {names[k]} and {g.name}")
            names[k] = g.name
    ccs: dict[str, str] = {}
    for a in m.architectures:
        for cc in a.cc:
            if cc in ccs:
                problems.append(f"compute capability {cc} belongs to both {ccs[cc]} and {a.name}")
            ccs[cc] = a.name
    problems += amd_problems(m)
    return problems
