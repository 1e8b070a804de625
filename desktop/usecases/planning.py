"""The plan for a machine, as both faces show it: one resolve, the selector states around it, the driver advice,
the sentence for no match, the fallback build, and the one default environment name."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..matrix import Matrix, version_matches, vtuple
from ..model import Host, Plan, Preferences, Resolution
from ..resolve import resolve
from ..rules import newest_cuda_for_driver
from .driver_advice import driver_advice, gpu_plan


@dataclass(frozen=True)
class Choice:
    """One entry of a selector: value None means 'choose for me'."""

    value: str | None
    label: str
    enabled: bool
    reason: str  # what it gives, or why it cannot be picked here


@dataclass(frozen=True)
class Choices:
    """The Python / release / build selectors: every entry, open or not, with why."""

    python: tuple[Choice, ...]
    torch: tuple[Choice, ...]
    variant: tuple[Choice, ...]


@dataclass(frozen=True)
class Recommendation:
    """One resolve, plus what is shown around it: the selector states and the driver advice."""

    prefs: Preferences
    resolution: Resolution
    choices: Choices
    hints: tuple[str, ...] = ()  # the driver advice (driver_advice.driver_advice)
    # several GPUs, each of which alone has a GPU build that runs, and no build runs on all (gpu_mix_blocks)
    gpu_mix: bool = False

    @property
    def plan(self) -> Plan | None:
        return self.resolution.plan

    @property
    def warnings(self) -> tuple[str, ...]:
        """The driver advice, then the resolver's warnings, each once: what both faces list under warnings."""
        return tuple(dict.fromkeys([*self.hints, *self.resolution.warnings]))

    @property
    def default_name(self) -> str | None:
        """The environment name a new env for this plan gets unless the user gives one (None: no plan)."""
        return default_env_name(self.plan) if self.plan is not None else None


def default_env_name(plan: Plan) -> str:
    """'torch-2.15.0-cu132': the release in full and the build. Plans that differ only in Python (or companions)
    share it, so a second env for one of them needs a name of its own: preflight refuses an existing name."""
    # One rule for the CLI and the app. The full version, not '215' or '2150': 2.1.1 and 2.11 would both give
    # 'torch211', and a patch release (2.15.1) would land on the name of the env its predecessor made. Dots and
    # dashes are allowed by envspec.validate_env_name and by conda.
    return f"torch-{plan.torch}-{plan.variant}"


def _why_not(res: Resolution) -> str:
    """The first concrete reason a pinned resolve found nothing."""
    reasons = [c.detail for c in res.checks if not c.ok]
    return "; ".join(reasons[:2]) or res.summary or "no build fits"


def _gives(res: Resolution) -> str:
    p = res.plan
    return f"gives torch {p.torch} ({p.variant}) on Python {p.python}" if p else ""


def compute_choices(matrix: Matrix, host: Host, prefs: Preferences, resolved: Resolution | None = None) -> Choices:
    """Every Python / release / build with whether it can be picked given the *other* two pins, and why.
    `resolved` is the resolution under `prefs` when the caller already has it (recommend does)."""
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
        release = next((r for r in matrix.releases if version_matches(r.version, prefs.torch)), None)
    else:
        base = resolved if resolved is not None and prefs.variant is None else resolve(matrix, host, replace(prefs, variant=None))
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
    # The GPU mix is to blame only where each GPU alone has a build that runs; else (a driver too old for all of
    # them, say) the general sentence, and the driver advice says what to do.
    if len(gpus) > 1 and not pinned and rec.gpu_mix:
        head = f"No single PyTorch build runs on all {len(gpus)} GPUs of this machine."
    else:
        head = "No PyTorch build fits this machine" + (" with these choices." if pinned else ".")
    return head + " Why: the \u2717 lines below."


def recommend(matrix: Matrix, host: Host, prefs: Preferences, *, with_choices: bool = True) -> Recommendation:
    """Resolve under `prefs` and work out the driver advice and (unless with_choices=False: a face with no
    selectors, where the ~60 extra resolves would only cost start-up time) the selector states."""
    res = resolve(matrix, host, prefs)
    hints: list[str] = []
    if not prefs.torch and not prefs.variant:
        hints = driver_advice(matrix, host, res, prefs)
    choices = compute_choices(matrix, host, prefs, res) if with_choices else Choices((), (), ())
    return Recommendation(prefs, res, choices, tuple(hints), gpu_mix_blocks(matrix, host, prefs, res))


def gpu_mix_blocks(matrix: Matrix, host: Host, prefs: Preferences, res: Resolution) -> bool:
    """Is the mix of GPUs what stands in the way: several GPUs, no GPU plan for all, one for each GPU alone?"""
    gpus = host.nvidia_gpus
    if len(gpus) < 2 or gpu_plan(res) is not None:
        return False
    for g in {(g.name, g.cc): g for g in gpus}.values():  # eight alike GPUs: one resolve
        if gpu_plan(resolve(matrix, replace(host, gpus=(g,)), prefs)) is None:
            return False
    return True


def newest_cuda_text(matrix: Matrix, host: Host) -> str:
    """'CUDA 13.0', or why there is none: the newest CUDA this machine's driver runs at its own minimum."""
    if host.driver is None:
        return "unknown (no NVIDIA driver found)" if not host.nvidia_gpus else "unknown (driver version not read)"
    tk = newest_cuda_for_driver(matrix, host)
    return f"CUDA {tk.version}" if tk else "none in the data (driver too old)"
