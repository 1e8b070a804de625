"""Host + Preferences -> Resolution: the plan, the why-chain, the alternatives and the rejected builds.

A small pure function over the matrix. The GPU-coverage and driver rules are in rules.py; here:

- Python: inside the release's list; pre-releases don't count.
- Every NVIDIA GPU must be covered by the one build; on Linux every AMD GPU's gfx target must be in a ROCm build's
  gfx list (an unknown list promises nothing), else the CPU build and why.
- Choice: newest release that passes; in it the index's default build if it passes, else the newest CUDA
  build that passes; Python: newest supported one that has been out for a year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Iterable

from .errors import TorchDeskError
from .matrix import Build, Matrix, TorchRelease, sm_name, vtuple
from .model import Candidate, Check, GpuInfo, Host, Plan, Preferences, Resolution
# The rules; gpu_coverage and newest_cuda_for_driver are also imported from here by callers.
from .rules import driver_check, gpu_coverage, gpu_driver_floor, newest_cuda_for_driver  # noqa: F401

PYPI_SIMPLE = "https://pypi.org/simple"


class PreferenceError(TorchDeskError, ValueError):
    """A pin is malformed (not merely unsatisfiable): 'python 3.x'."""


_PY_RX = re.compile(r"^3\.\d{1,2}$")
_TORCH_RX = re.compile(r"^\d+(\.\d+){0,2}$")
_VARIANT_RX = re.compile(r"^(cu\d{2,3}|cpu|rocm\d+(\.\d+)*|xpu)$")
_DRIVER_RX = re.compile(r"^\d{2,4}(\.\d{1,3}){0,2}$")  # 580.65.06, 572.83, or a branch: 580


def validate_preferences(prefs: Preferences) -> None:
    """Raise PreferenceError with a one-line message for a malformed pin."""
    if prefs.python is not None and not _PY_RX.match(prefs.python):
        raise PreferenceError(f"--python must look like 3.12 (got {prefs.python!r})")
    if prefs.torch is not None and not _TORCH_RX.match(prefs.torch):
        raise PreferenceError(f"--torch must look like 2.5 or 2.5.1 (got {prefs.torch!r})")
    if prefs.variant is not None and not _VARIANT_RX.match(prefs.variant):
        raise PreferenceError(f"--variant must look like cu126, cpu or rocm6.2 (got {prefs.variant!r})")


def validate_driver(driver: str) -> str:
    """Return the driver version if it parses ('580.65.06', '572.83', '580'), else raise PreferenceError."""
    d = driver.strip()
    if not _DRIVER_RX.match(d):
        raise PreferenceError(f"driver version must look like 580.65.06 or 572.83 (got {driver!r})")
    return d


def _ver_prefix_match(version: str, prefix: str) -> bool:
    v, p = vtuple(version), vtuple(prefix)
    return v[: len(p)] == p


def _gpu_label(g: GpuInfo, cc: str | None) -> str:
    return f"{g.name} ({sm_name(cc)})" if cc else g.name


def _gpu_cc(matrix: Matrix, g: GpuInfo) -> str | None:
    if g.cc:
        return g.cc
    model = matrix.find_gpu(g.name)
    return model.cc if model else None


def amd_gfx(matrix: Matrix, g: GpuInfo) -> str | None:
    """The AMD GPU's gfx target: as detected or described, else from the AMD table by name."""
    if g.gfx:
        return g.gfx
    model = matrix.find_amd_gpu(g.name)
    return model.gfx if model else None


def _amd_label(g: GpuInfo, gfx: str | None) -> str:
    return f"{g.name} ({gfx})" if gfx and gfx not in g.name else g.name


def rocm_coverage(gfx_list: tuple[str, ...], gfx: str | None, variant: str) -> tuple[bool, str]:
    """Does a ROCm wheel with these gfx targets have kernels for `gfx`? AMD code objects are per target, no PTX-like fallback."""
    if gfx is None:
        return False, "gfx target unknown (not in the AMD GPU table): describe it with --gfx"
    if not gfx_list:
        return False, f"{variant}'s gfx list is not known, so {gfx} support cannot be promised"
    if gfx in gfx_list:
        return True, f"{variant} carries {gfx} kernels"
    return False, f"no kernels for {gfx}: {variant} carries {' '.join(gfx_list)}"


@dataclass(frozen=True)
class _Ctx:
    """Per-call facts computed once: the platform key and each NVIDIA GPU with its compute capability."""

    plat: str
    nvidia: tuple[tuple[GpuInfo, str | None], ...]
    amd: tuple[tuple[GpuInfo, str | None], ...]
    driver_checks: dict[tuple[str, bool], Check]  # (CUDA version, needs own driver) -> check, per call


def _ctx(matrix: Matrix, host: Host) -> _Ctx:
    nvidia = host.nvidia_gpus if host.os != "macos" else ()
    amd = host.amd_gpus if host.os != "macos" else ()
    return _Ctx(host.platform, tuple((g, _gpu_cc(matrix, g)) for g in nvidia), tuple((g, amd_gfx(matrix, g)) for g in amd), {})


def _check_build(
    matrix: Matrix, host: Host, release: TorchRelease, build: Build, *, pinned_variant: bool,
    ctx: _Ctx | None = None, full: bool = True,
) -> list[Check]:
    """The checks for one build on this host, except Python. With full=False only the failures are kept
    (the resolver runs that over every build, then writes out the whole chain for the one it picks)."""
    ctx = ctx or _ctx(matrix, host)
    checks: list[Check] = []
    plat = ctx.plat
    src = build.source_text
    targets = build.platforms.get(plat)
    if targets is None:
        checks.append(Check("platform", False, f"no {build.variant} wheels for {plat}", src))
        return checks
    if full:
        checks.append(Check("platform", True, f"{build.variant} wheels exist for {plat}", src))
    nvidia = ctx.nvidia
    if build.kind == "cuda":
        if not nvidia:
            checks.append(Check("gpu", pinned_variant, "no NVIDIA GPU: a CUDA build would only use the CPU here", src))
            return checks
        tk = matrix.cuda(build.cuda or "")
        if tk is None:
            checks.append(Check("data", False, f"CUDA {build.cuda} is missing from the CUDA table", src))
            return checks
        needs_own = False
        for g, cc in nvidia:
            if cc is None:
                checks.append(Check("gpu", False, f"{g.name}: compute capability unknown (not in the GPU table)", None))
                continue
            cov = gpu_coverage(targets, cc)
            needs_own = needs_own or cov.via_ptx
            if full or not cov.ok:
                checks.append(Check("gpu", cov.ok, f"{_gpu_label(g, cc)}: torch {release.version} {build.variant} - {cov.detail}", src))
        key = (tk.version, needs_own)
        drv = ctx.driver_checks.get(key) or ctx.driver_checks.setdefault(key, driver_check(
            tk, host, needs_own=needs_own, sources=tk.source, gpu=gpu_driver_floor(matrix, host)))
        if full or not drv.ok:
            checks.append(drv)
    elif build.kind == "rocm":
        amd = ctx.amd
        if not amd:
            checks.append(Check("gpu", pinned_variant, "no AMD GPU: a ROCm build would only use the CPU here", src))
            return checks
        for g, gfx in amd:
            ok, detail = rocm_coverage(targets.gfx, gfx, build.variant)
            if full or not ok:
                checks.append(Check("gpu", ok, f"{_amd_label(g, gfx)}: torch {release.version} {build.variant} - {detail}", src))
        if full:
            checks.append(_rocm_driver_check(matrix, build))
    elif build.kind == "cpu":
        if host.os == "macos":
            mps = "Apple GPU through MPS" if host.machine in ("arm64", "aarch64") else "CPU only (no MPS on Intel Macs)"
            checks.append(Check("gpu", True, f"macOS default wheels: {mps}", src))
        elif nvidia or host.amd_gpus:
            checks.append(Check("gpu", True, "CPU build: the GPU will not be used", src))
        else:
            checks.append(Check("gpu", True, "no supported GPU: the CPU build", src))
    else:
        checks.append(Check("gpu", pinned_variant, f"{build.variant} builds are not managed by TorchDesk", src))
    return checks


def _rocm_driver_check(matrix: Matrix, build: Build) -> Check:
    """The HIP runtime / kernel-driver rule: what AMD documents, and that it is not checked (see matrix rocm_rule)."""
    rule = matrix.rocm_rule
    rocm = build.rocm or build.variant[4:]
    if rule is None:
        return Check("driver", True, f"ROCm {rocm} runtime ships inside the wheels; the amdgpu kernel driver is not checked", None)
    how = "" if rule.machine_checkable else " (not checked: AMD documents it as a table of releases, not a rule TorchDesk can test)"
    return Check(
        "driver", True,
        f"ROCm {rocm} user space (HIP runtime) ships inside the wheels; the host needs an amdgpu kernel driver that AMD's "
        f"compatibility matrix lists for ROCm {rocm}{how}",
        ", ".join(rule.source),
    )


def _released(matrix: Matrix, py: str, today: date) -> date | None:
    pr = matrix.python_release(py)
    return pr.released_on if pr is not None else None


def released_pythons(release: TorchRelease, today: date, matrix: Matrix) -> tuple[str, ...]:
    """The release's Pythons that are out by `today` (a Python still in pre-release does not count)."""
    out = []
    for py in release.python:
        pr = matrix.python_release(py)
        if pr is None or pr.released_on <= today:
            out.append(py)
    return tuple(out)


def _choose_python(release: TorchRelease, today: date, matrix: Matrix, pythons: tuple[str, ...] | None = None) -> str:
    """Newest Python the release supports that has been out for at least a year; else the oldest it supports."""
    cutoff = today - timedelta(days=365)
    choices = (pythons if pythons is not None else released_pythons(release, today, matrix)) or release.python
    mature = [py for py in choices if (d := _released(matrix, py, today)) is not None and d <= cutoff]
    if mature:
        return max(mature, key=vtuple)
    return min(choices, key=vtuple)


def _plan(matrix: Matrix, host: Host, release: TorchRelease, build: Build, python: str, pythons: tuple[str, ...]) -> Plan:
    index_url = build.install.index_url
    local = build.install.local_version
    if host.os == "macos" and build.kind == "cpu":
        index_url, local = PYPI_SIMPLE, None  # macOS: the default wheels (MPS on Apple silicon)
    return Plan(
        torch=release.version,
        variant=build.variant,
        python=python,
        torchvision=release.companion(build, "torchvision"),
        torchaudio=release.companion(build, "torchaudio"),
        numpy=release.numpy,
        index_url=index_url,
        find_links=build.install.find_links,
        local_version=local,
        cuda=build.cuda,
        python_choices=pythons or release.python,
    )


def _preferred_kinds(host: Host) -> tuple[str, ...]:
    if host.os == "macos":
        return ("cpu",)
    if host.nvidia_gpus:
        return ("cuda",)
    if host.amd_gpus and host.os == "linux":
        return ("rocm",)
    return ("cpu",)


def _build_rank(release: TorchRelease, build: Build, plat: str) -> tuple[int, tuple[int, ...]]:
    default = release.default_variant.get(plat) == build.variant
    return (1 if default else 0, vtuple(build.cuda or build.rocm or "0"))


def resolve(matrix: Matrix, host: Host, prefs: Preferences = Preferences(), *, today: date | None = None) -> Resolution:
    """Pick the newest PyTorch build that runs on every GPU of `host` under `prefs`, and say why."""
    validate_preferences(prefs)
    today = today or date.today()
    plat = host.platform
    kinds = _preferred_kinds(host)
    ctx = _ctx(matrix, host)
    candidates: list[Candidate] = []
    for release in matrix.releases:
        if prefs.torch and not _ver_prefix_match(release.version, prefs.torch):
            continue
        pythons = released_pythons(release, today, matrix)
        if prefs.python is not None:
            py_ok = prefs.python in pythons
            if not py_ok and prefs.python in release.python:
                pr = matrix.python_release(prefs.python)
                detail = (f"Python {prefs.python} is listed for torch {release.version} but is not released yet"
                          + (f" (due {pr.released})" if pr else ""))
            else:
                detail = (f"Python {prefs.python} {'is' if py_ok else 'is not'} supported by torch {release.version} "
                          f"({', '.join(pythons)})")
            py_check = Check("python", py_ok, detail, ", ".join(release.source))
        python: str | None = prefs.python
        for build in release.builds:
            if prefs.variant and build.variant != prefs.variant:
                continue
            checks = _check_build(matrix, host, release, build, pinned_variant=prefs.variant is not None, ctx=ctx, full=False)
            if prefs.python is not None and not py_ok:
                checks.append(py_check)
            ok = not any(not c.ok for c in checks)
            plan = None
            if ok:
                python = python or _choose_python(release, today, matrix, pythons)
                plan = _plan(matrix, host, release, build, python, pythons)
            candidates.append(Candidate(release.version, build.variant, ok, tuple(checks), plan))

    passing = [c for c in candidates if c.ok]
    preferred = [c for c in passing if _kind(matrix, c) in kinds] or (passing if prefs.variant else [])
    rejected = tuple(c for c in candidates if not c.ok)
    warnings: list[str] = list(_host_warnings(matrix, host))
    if not preferred and kinds == ("rocm",):
        # ROCm only where the data covers this AMD GPU on this platform; elsewhere the CPU build, as on Windows
        kinds = ("cpu",)
        preferred = [c for c in passing if _kind(matrix, c) in kinds]
        names = ", ".join(_amd_label(g, gfx) for g, gfx in ctx.amd)
        warnings.append(f"no ROCm build in the data runs on {names} on {plat}: the CPU build instead")

    if not preferred:
        reasons = _no_match_reasons(matrix, host, prefs, candidates)
        per_gpu = _per_gpu_options(matrix, host, prefs) if len(host.nvidia_gpus) > 1 else []
        warnings.extend(per_gpu)
        return Resolution(
            status="no_match", plan=None, checks=tuple(Check("match", False, r, None) for r in reasons),
            alternatives=tuple(passing), rejected=rejected, warnings=tuple(warnings),
            summary="No PyTorch build fits: " + "; ".join(reasons[:3]),
            data_version=matrix.data_version, host=host,
        )

    newest = max(vtuple(c.torch) for c in preferred)
    in_release = [c for c in preferred if vtuple(c.torch) == newest]
    chosen_release = matrix.release(in_release[0].torch)
    assert chosen_release is not None
    release = chosen_release
    chosen = max(in_release, key=lambda c: _build_rank(release, release.build(c.variant), plat))  # type: ignore[arg-type]  # a candidate's build is in its release
    assert chosen.plan is not None
    # the chosen build's whole chain, passing checks included
    full_checks = _check_build(matrix, host, release, release.build(chosen.variant), pinned_variant=prefs.variant is not None, ctx=ctx)  # type: ignore[arg-type]  # a candidate's build is in its release
    if prefs.python is not None:
        full_checks.append(Check("python", True, f"Python {prefs.python} is supported by torch {release.version} ({', '.join(chosen.plan.python_choices)})", ", ".join(release.source)))
    chosen = chosen._replace(checks=tuple(full_checks))
    why = _why_chain(matrix, host, prefs, release, chosen, candidates)
    if release.numpy:
        warnings.append(f"torch {release.version} was built against numpy 1.x: keep numpy{release.numpy} in this environment")
    # builds of the kind this machine wants first (newest first), then the rest (e.g. CPU builds on a GPU machine)
    others = [c for c in passing if (c.torch, c.variant) != (chosen.torch, chosen.variant)]
    alternatives = tuple(sorted(others, key=lambda c: _kind(matrix, c) not in kinds))
    plan = chosen.plan
    assert plan is not None
    summary = (
        f"torch {plan.torch} ({plan.variant}) on Python {plan.python}"
        + (f", torchvision {plan.torchvision}" if plan.torchvision else "")
        + (f", torchaudio {plan.torchaudio}" if plan.torchaudio else "")
    )
    return Resolution(
        status="ok", plan=plan, checks=why, alternatives=alternatives, rejected=rejected,
        warnings=tuple(warnings), summary=summary, data_version=matrix.data_version, host=host,
    )


def _rocm_miss_reason(matrix: Matrix, ctx: _Ctx, plat: str) -> str:
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


def _kind(matrix: Matrix, c: Candidate) -> str:
    r = matrix.release(c.torch)
    b = r.build(c.variant) if r else None
    return b.kind if b else "cpu"


def _why_chain(
    matrix: Matrix, host: Host, prefs: Preferences, release: TorchRelease, chosen: Candidate, candidates: list[Candidate]
) -> tuple[Check, ...]:
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
            why.append(Check("gpu", True, f"CPU build: {_rocm_miss_reason(matrix, _ctx(matrix, host), host.platform)}", None))
    if host.nvidia_gpus and host.os != "macos":
        for g in host.nvidia_gpus:
            cc = _gpu_cc(matrix, g)
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
                mine = [x for x in newer if x.torch == v and _kind(matrix, x) == "rocm"]
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


def _host_warnings(matrix: Matrix, host: Host) -> Iterable[str]:
    for g in host.gpus:
        if not g.driver_loaded:
            yield f"{g.name} is on the PCI bus but no driver is loaded: install the NVIDIA driver first"
    if host.nvidia_gpus and host.driver is None and host.os != "macos":
        yield "driver version unknown: the plan assumes a driver new enough for its CUDA build"
    if host.os == "macos" and host.nvidia_gpus:
        yield "macOS has no CUDA support in current PyTorch: NVIDIA GPUs are not used"
    if host.os != "linux" and host.amd_gpus:
        yield f"PyTorch publishes ROCm wheels for Linux only: on {host.os} the AMD GPU is not used (the CPU build)"
    for g in host.nvidia_gpus:
        if _gpu_cc(matrix, g) is None:
            yield f"{g.name}: compute capability unknown; pass --cc to describe it"


def _no_match_reasons(matrix: Matrix, host: Host, prefs: Preferences, candidates: list[Candidate]) -> list[str]:
    reasons: list[str] = []
    if prefs.torch and not any(_ver_prefix_match(r.version, prefs.torch) for r in matrix.releases):
        known = ", ".join(sorted({".".join(r.version.split(".")[:2]) for r in matrix.releases}, key=vtuple))
        reasons.append(f"no torch release matches --torch {prefs.torch} (the data has {known})")
    if prefs.variant and not any(c.variant == prefs.variant for c in candidates):
        have = sorted({b.variant for r in matrix.releases if not prefs.torch or _ver_prefix_match(r.version, prefs.torch) for b in r.builds})
        reasons.append(f"no release{' matching --torch ' + prefs.torch if prefs.torch else ''} has a {prefs.variant} build (it has {', '.join(have)})")
    if prefs.python:
        pys = sorted({p for r in matrix.releases if not prefs.torch or _ver_prefix_match(r.version, prefs.torch) for p in r.python}, key=vtuple)
        if prefs.python not in pys:
            reasons.append(f"no release{' matching --torch ' + prefs.torch if prefs.torch else ''} supports Python {prefs.python} (supported: {', '.join(pys)})")
    # Reasons from builds of a kind this machine would not use (ROCm or XPU on an NVIDIA machine) are noise,
    # unless the user pinned that kind.
    kinds = _preferred_kinds(host)
    relevant = [c for c in candidates if prefs.variant or _kind(matrix, c) in kinds] or candidates
    seen: set[str] = set()
    for c in relevant:
        for r in c.reasons:
            key = re.sub(r"torch \S+ \S+ - ", "", r)
            if key not in seen:
                seen.add(key)
                if len(seen) <= 12:
                    reasons.append(f"torch {c.torch} {c.variant}: {r}")
    if not reasons:
        reasons.append("no build in the data is of a kind this machine can use")
    return reasons


def _per_gpu_options(matrix: Matrix, host: Host, prefs: Preferences) -> list[str]:
    """For several GPUs that no one build covers: the best plan for each GPU on its own."""
    out = []
    for g in host.nvidia_gpus:
        single = replace(host, gpus=(g,))
        res = resolve(matrix, single, prefs)
        if res.plan:
            out.append(f"for {g.name} alone: torch {res.plan.torch} {res.plan.variant} (select it with CUDA_VISIBLE_DEVICES={g.index})")
        else:
            out.append(f"for {g.name} alone: no CUDA build in the data fits")
    return out


def check_plan(matrix: Matrix, host: Host, plan: Plan) -> list[Check]:
    """Checks for a given plan (e.g. one read from an environment.yml) on this host."""
    release = matrix.release(plan.torch)
    if release is None:
        return [Check("data", False, f"torch {plan.torch} is not in the compatibility data ({matrix.data_version})", None)]
    build = release.build(plan.variant)
    if build is None:
        have = ", ".join(b.variant for b in release.builds)
        return [Check("data", False, f"torch {plan.torch} has no {plan.variant} build (it has {have})", ", ".join(release.source))]
    checks = _check_build(matrix, host, release, build, pinned_variant=True)
    py_ok = plan.python in release.python
    checks.append(Check("python", py_ok, f"Python {plan.python} {'is' if py_ok else 'is not'} supported by torch {plan.torch} ({', '.join(release.python)})", ", ".join(release.source)))
    return checks


def plan_for(matrix: Matrix, host: Host, torch: str, variant: str, python: str) -> Plan | None:
    """The Plan for a named release and build (e.g. read off an existing environment), or None if not in the data."""
    release = matrix.release(torch)
    build = release.build(variant) if release else None
    if release is None or build is None:
        return None
    return _plan(matrix, host, release, build, python, release.python)


def covering_builds(matrix: Matrix, cc: str, platform: str = "linux-x86_64") -> list[tuple[TorchRelease, Build]]:
    """Every (release, CUDA build) whose wheels for `platform` carry kernels (SASS or PTX) for `cc`."""
    out = []
    for r, b in matrix.iter_builds():
        t = b.platforms.get(platform)
        if b.kind == "cuda" and t is not None and gpu_coverage(t, cc).ok:
            out.append((r, b))
    return out
