"""Host + Preferences -> Resolution: the plan, the why-chain, the alternatives and the rejected builds.

A small pure function over the matrix. The GPU-coverage and driver rules are in rules.py, the checks of one
build on a host in candidates.py, the explanation of the choice in whychain.py; here:

- Python: inside the release's list; pre-releases don't count.
- Every NVIDIA GPU must be covered by the one build; on Linux every AMD GPU's gfx target must be in a ROCm build's
  gfx list (an unknown list promises nothing), else the CPU build and why.
- Choice: newest release that passes; in it the index's default build if it passes, else the newest CUDA
  build that passes; Python: newest supported one that has been out for a year.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Iterable

from .driverneeds import driver_needs
from .candidates import amd_label, build_context, candidate_kind, check_build
from .errors import TorchDeskError
from .matrix import Build, Matrix, TorchRelease, version_matches, vtuple
from .mirrors import PYPI_SIMPLE
from .model import Candidate, Check, Host, Plan, Preferences, Resolution
from .rules import gpu_cc, gpu_coverage
from .whychain import why_chain


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


def _build_rank(release: TorchRelease, variant: str, plat: str) -> tuple[int, tuple[int, ...]]:
    build = release.build(variant)
    assert build is not None  # a candidate's build is in its release
    default = release.default_variant.get(plat) == variant
    return (1 if default else 0, vtuple(build.cuda or build.rocm or "0"))


def resolve(matrix: Matrix, host: Host, prefs: Preferences = Preferences(), *, today: date | None = None) -> Resolution:
    """Pick the newest PyTorch build that runs on every GPU of `host` under `prefs`, and say why."""
    validate_preferences(prefs)
    today = today or date.today()
    plat = host.platform
    kinds = _preferred_kinds(host)
    ctx = build_context(matrix, host)
    candidates: list[Candidate] = []
    for release in matrix.releases:
        if prefs.torch and not version_matches(release.version, prefs.torch):
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
            checks = check_build(matrix, host, release, build, pinned_variant=prefs.variant is not None, ctx=ctx, full=False)
            if prefs.python is not None and not py_ok:
                checks.append(py_check)
            ok = not any(not c.ok for c in checks)
            plan = None
            if ok:
                python = python or _choose_python(release, today, matrix, pythons)
                plan = _plan(matrix, host, release, build, python, pythons)
            candidates.append(Candidate(release.version, build.variant, ok, tuple(checks), plan))

    passing = [c for c in candidates if c.ok]
    preferred = [c for c in passing if candidate_kind(matrix, c) in kinds] or (passing if prefs.variant else [])
    rejected = tuple(c for c in candidates if not c.ok)
    warnings: list[str] = list(_host_warnings(matrix, host))
    if not preferred and kinds == ("rocm",):
        # ROCm only where the data covers this AMD GPU on this platform; elsewhere the CPU build, as on Windows
        kinds = ("cpu",)
        preferred = [c for c in passing if candidate_kind(matrix, c) in kinds]
        names = ", ".join(amd_label(g, gfx) for g, gfx in ctx.amd)
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
    chosen = max(in_release, key=lambda c: _build_rank(release, c.variant, plat))
    assert chosen.plan is not None
    chosen_build = release.build(chosen.variant)
    assert chosen_build is not None  # a candidate's build is in its release
    # the chosen build's whole chain, passing checks included
    full_checks = check_build(matrix, host, release, chosen_build, pinned_variant=prefs.variant is not None, ctx=ctx)
    if prefs.python is not None:
        full_checks.append(Check("python", True, f"Python {prefs.python} is supported by torch {release.version} ({', '.join(chosen.plan.python_choices)})", ", ".join(release.source)))
    chosen = chosen._replace(checks=tuple(full_checks))
    why = why_chain(matrix, host, prefs, release, chosen, candidates)
    if release.numpy:
        warnings.append(f"torch {release.version} was built against numpy 1.x: keep numpy{release.numpy} in this environment")
    # builds of the kind this machine wants first (newest first), then the rest (e.g. CPU builds on a GPU machine)
    others = [c for c in passing if (c.torch, c.variant) != (chosen.torch, chosen.variant)]
    alternatives = tuple(sorted(others, key=lambda c: candidate_kind(matrix, c) not in kinds))
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
        if gpu_cc(matrix, g) is None:
            yield f"{g.name}: compute capability unknown; pass --cc to describe it"


def _no_match_reasons(matrix: Matrix, host: Host, prefs: Preferences, candidates: list[Candidate]) -> list[str]:
    reasons: list[str] = []
    if prefs.torch and not any(version_matches(r.version, prefs.torch) for r in matrix.releases):
        known = ", ".join(sorted({".".join(r.version.split(".")[:2]) for r in matrix.releases}, key=vtuple))
        reasons.append(f"no torch release matches --torch {prefs.torch} (the data has {known})")
    if prefs.variant and not any(c.variant == prefs.variant for c in candidates):
        have = sorted({b.variant for r in matrix.releases if not prefs.torch or version_matches(r.version, prefs.torch) for b in r.builds})
        reasons.append(f"no release{' matching --torch ' + prefs.torch if prefs.torch else ''} has a {prefs.variant} build (it has {', '.join(have)})")
    if prefs.python:
        pys = sorted({p for r in matrix.releases if not prefs.torch or version_matches(r.version, prefs.torch) for p in r.python}, key=vtuple)
        if prefs.python not in pys:
            reasons.append(f"no release{' matching --torch ' + prefs.torch if prefs.torch else ''} supports Python {prefs.python} (supported: {', '.join(pys)})")
    # Reasons from builds of a kind this machine would not use (ROCm or XPU on an NVIDIA machine) are noise,
    # unless the user pinned that kind.
    kinds = _preferred_kinds(host)
    relevant = [c for c in candidates if prefs.variant or candidate_kind(matrix, c) in kinds] or candidates
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
            continue
        # only the driver stands in the way: say so, and what the lowest driver that helps gets (as driver_advice)
        at = [(need, after.plan) for need in driver_needs(matrix, single, res)
              if (after := resolve(matrix, replace(single, driver=need), prefs)).plan is not None]
        at = [(need, p) for need, p in at if p is not None and p.variant.startswith(("cu", "rocm"))]
        if at:
            need, p = at[0]
            out.append(f"for {g.name} alone: no CUDA build runs with driver {host.driver}; with {need} or newer: "
                       f"torch {p.torch} {p.variant}")
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
    checks = check_build(matrix, host, release, build, pinned_variant=True)
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
