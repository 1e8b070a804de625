"""Qt-free helpers the panels render: which selector choices are open and why the others are not.

Kept free of Qt (and tested like the core) so the panels only draw what these functions decide.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..matrix import Matrix, vtuple
from ..model import Candidate, Host, Preferences, Resolution
from ..resolve import resolve
from ..rules import newest_cuda_for_driver


@dataclass(frozen=True)
class Choice:
    """One entry of a selector: value None means 'choose for me'."""

    value: str | None
    label: str
    enabled: bool
    reason: str  # tooltip: what it gives, or why it cannot be picked here


@dataclass(frozen=True)
class Choices:
    python: tuple[Choice, ...]
    torch: tuple[Choice, ...]
    variant: tuple[Choice, ...]


@dataclass(frozen=True)
class Recommendation:
    """One resolve, plus the selector states around it: what the recommendation panel shows."""

    prefs: Preferences
    resolution: Resolution
    choices: Choices
    hints: tuple[str, ...] = ()

    @property
    def plan(self) -> Any:
        return self.resolution.plan


def _why_not(res: Resolution) -> str:
    """The first concrete reason a pinned resolve found nothing."""
    reasons = [c.detail for c in res.checks if not c.ok]
    return "; ".join(reasons[:2]) or res.summary or "no build fits"


def _gives(res: Resolution) -> str:
    p = res.plan
    return f"gives torch {p.torch} ({p.variant}) on Python {p.python}" if p else ""


def compute_choices(matrix: Matrix, host: Host, prefs: Preferences) -> Choices:
    """Every Python / release / build with whether it can be picked given the *other* two pins, and why."""
    pys = sorted({py for r in matrix.releases for py in r.python}, key=vtuple, reverse=True)
    python = [Choice(None, "Automatic", True, "the newest Python the chosen release supports that has been out a year")]
    for py in pys:
        res = resolve(matrix, host, replace(prefs, python=py))
        python.append(Choice(py, f"Python {py}", res.status == "ok",
                             _gives(res) if res.plan else f"Python {py}: {_why_not(res)}"))
    torch = [Choice(None, "Newest that fits", True, "the newest PyTorch release that runs on this machine")]
    for r in matrix.releases:
        res = resolve(matrix, host, replace(prefs, torch=r.version))
        torch.append(Choice(r.version, f"PyTorch {r.version}", res.status == "ok",
                            _gives(res) if res.plan else f"torch {r.version}: {_why_not(res)}"))
    release = None
    if prefs.torch:
        release = next((r for r in matrix.releases if vtuple(r.version)[: len(vtuple(prefs.torch))] == vtuple(prefs.torch)), None)
    else:
        base = resolve(matrix, host, replace(prefs, variant=None))
        if base.plan is not None:
            release = matrix.release(base.plan.torch)
        elif matrix.releases:
            # Nothing fits on the GPU: still list the newest release's builds, so a build that does fit here
            # (the CPU one) can be picked, and each of the others says why it cannot.
            release = matrix.releases[0]
    variant = [Choice(None, "Best for this GPU", True, "the index's default build if it runs here, else the newest that does")]
    if release is not None:
        for b in release.builds:
            res = resolve(matrix, host, replace(prefs, torch=release.version, variant=b.variant))
            label = b.variant + (f" (CUDA {b.cuda})" if b.cuda else "")
            variant.append(Choice(b.variant, label, res.status == "ok",
                                  _gives(res) if res.plan else f"{b.variant}: {_why_not(res)}"))
    return Choices(tuple(python), tuple(torch), tuple(variant))


def fallback_choice(rec: Recommendation) -> tuple[str, Preferences] | None:
    """Where nothing fits: the build that does (a CPU build first), as a button label and the preferences to pick it."""
    res = rec.resolution
    if res.plan is not None or not res.alternatives:
        return None
    alt = next((a for a in res.alternatives if a.variant == "cpu"), res.alternatives[0])
    what = "runs on the CPU only, not on the GPU" if alt.variant == "cpu" else f"the {alt.variant} build"
    return (f"Use torch {alt.torch} ({alt.variant}) instead: {what}",
            Preferences(python=rec.prefs.python, torch=alt.torch, variant=alt.variant))


def no_match_text(rec: Recommendation) -> str:
    """One sentence for a resolve that found nothing: what is wrong, and where to look for what to do."""
    res = rec.resolution
    pinned = any((rec.prefs.python, rec.prefs.torch, rec.prefs.variant))
    gpus = res.host.nvidia_gpus if res.host is not None else ()
    if len(gpus) > 1 and not pinned:
        head = f"No single PyTorch build runs on all {len(gpus)} GPUs of this machine."
    else:
        head = "No PyTorch build fits this machine" + (" with these choices." if pinned else ".")
    return head + " Why: the \u2717 lines below."


def driver_hints(matrix: Matrix, host: Host, res: Resolution) -> list[str]:
    """'driver 560.35 cannot run CUDA 13.0 builds: update to 580.65.06 or newer to use PyTorch 2.9.0 and later'."""
    if host.driver is None or not host.nvidia_gpus:
        return []
    # Only releases with no GPU build that runs here count: 'PyTorch 2.9 and later' is wrong when 2.9's cu128
    # build runs and only its cu130 build needs the newer driver.
    usable = {c.torch for c in (*res.alternatives, *([res.plan] if res.plan else ())) if c.variant.startswith(("cu", "rocm"))}
    blocked: list[Candidate] = [c for c in res.rejected if c.reasons and c.torch not in usable
                                and all(ch.check == "driver" for ch in c.checks if not ch.ok)]
    if not blocked:
        return []
    first = min(blocked, key=lambda c: (vtuple(c.torch), vtuple(_build_cuda(matrix, c) or "999")))
    rel = matrix.release(first.torch)
    build = rel.build(first.variant) if rel else None
    tk = matrix.cuda(build.cuda) if build and build.cuda else None
    if tk is None:
        return []
    os_key = "windows" if host.os == "windows" else "linux"
    need = tk.driver_min.get(os_key) or tk.driver_min["linux"]
    return [f"driver {host.driver} cannot run CUDA {tk.version} builds: update to {need} or newer "
            f"to use PyTorch {first.torch} and later"]


def _build_cuda(matrix: Matrix, c: Candidate) -> str | None:
    rel = matrix.release(c.torch)
    build = rel.build(c.variant) if rel else None
    return build.cuda if build else None


def recommend(matrix: Matrix, host: Host, prefs: Preferences) -> Recommendation:
    """Resolve under `prefs` and work out the selector states: the whole job behind the panel."""
    res = resolve(matrix, host, prefs)
    hints: list[str] = []
    if not prefs.torch and not prefs.variant:
        hints = driver_hints(matrix, host, res)
    return Recommendation(prefs, res, compute_choices(matrix, host, prefs), tuple(hints))


def newest_cuda_text(matrix: Matrix, host: Host) -> str:
    if host.driver is None:
        return "unknown (no NVIDIA driver found)" if not host.nvidia_gpus else "unknown (driver version not read)"
    tk = newest_cuda_for_driver(matrix, host)
    return f"CUDA {tk.version}" if tk else "none in the data (driver too old)"


def default_env_name(plan: Any) -> str:
    """'torch211-cu130' for torch 2.11.0 cu130."""
    if plan is None:
        return "torch"
    major_minor = "".join(plan.torch.split(".")[:2])
    return f"torch{major_minor}-{plan.variant}"


def split_packages(text: str) -> list[str]:
    """'numpy scipy>=1.10, pandas' -> ['numpy', 'scipy>=1.10', 'pandas']: commas or whitespace separate."""
    out: list[str] = []
    for chunk in text.replace(",", " ").split():
        if chunk:
            out.append(chunk)
    return out


def mib_text(mib: int | None) -> str:
    if mib is None:
        return "unknown"
    if mib >= 1024:
        return f"{mib / 1024:.1f} GiB"
    return f"{mib} MiB"
