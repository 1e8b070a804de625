"""The checks of one build on one host: is there a wheel for the platform, does it carry kernels for every GPU
(NVIDIA: SASS or PTX, rules.gpu_coverage; AMD: the gfx list), does the driver run its CUDA. resolve.py runs these
over every build; check_plan over one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .matrix import Build, Matrix, TorchRelease, sm_name
from .model import Candidate, Check, GpuInfo, Host
from .rules import GpuFloor, driver_check, gpu_cc, gpu_coverage, gpu_driver_floor


def gpu_label(g: GpuInfo, cc: str | None) -> str:
    """'NVIDIA H100 (sm_90)': the GPU as the checks name it."""
    return f"{g.name} ({sm_name(cc)})" if cc else g.name


def amd_gfx(matrix: Matrix, g: GpuInfo) -> str | None:
    """The AMD GPU's gfx target: as detected or described, else from the AMD table by name."""
    if g.gfx:
        return g.gfx
    model = matrix.find_amd_gpu(g.name)
    return model.gfx if model else None


def amd_label(g: GpuInfo, gfx: str | None) -> str:
    """'AMD Radeon RX 7900 XTX (gfx1100)': the AMD GPU as the checks name it."""
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
class BuildContext:
    """Per-call facts computed once: the platform key and each NVIDIA GPU with its compute capability."""

    plat: str
    nvidia: tuple[tuple[GpuInfo, str | None], ...]
    amd: tuple[tuple[GpuInfo, str | None], ...]
    driver_checks: dict[tuple[str, bool], Check]  # (CUDA version, needs own driver) -> check, per call
    gpu_floor: GpuFloor | None = None  # the oldest driver the machine's NVIDIA GPUs themselves need


def build_context(matrix: Matrix, host: Host) -> BuildContext:
    """The per-call facts for `host`: its platform, each GPU with its compute capability or gfx target, and the
    driver floor of its NVIDIA GPUs."""
    nvidia = host.nvidia_gpus if host.os != "macos" else ()
    amd = host.amd_gpus if host.os != "macos" else ()
    return BuildContext(host.platform, tuple((g, gpu_cc(matrix, g)) for g in nvidia), tuple((g, amd_gfx(matrix, g)) for g in amd), {},
                        gpu_driver_floor(matrix, host))


def check_build(
    matrix: Matrix, host: Host, release: TorchRelease, build: Build, *, pinned_variant: bool,
    ctx: BuildContext | None = None, full: bool = True,
) -> list[Check]:
    """The checks for one build on this host, except Python. With full=False only the failures are kept
    (the resolver runs that over every build, then writes out the whole chain for the one it picks)."""
    ctx = ctx or build_context(matrix, host)
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
                checks.append(Check("gpu", cov.ok, f"{gpu_label(g, cc)}: torch {release.version} {build.variant} - {cov.detail}", src))
        key = (tk.version, needs_own)
        drv = ctx.driver_checks.get(key) or ctx.driver_checks.setdefault(key, driver_check(
            tk, host, needs_own=needs_own, sources=tk.source, gpu=ctx.gpu_floor))
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
                checks.append(Check("gpu", ok, f"{amd_label(g, gfx)}: torch {release.version} {build.variant} - {detail}", src))
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


def candidate_kind(matrix: Matrix, c: Candidate) -> str:
    """cuda | rocm | xpu | cpu: the kind of the candidate's build (cpu where the data lacks it)."""
    r = matrix.release(c.torch)
    b = r.build(c.variant) if r else None
    return b.kind if b else "cpu"

