"""The compatibility rules themselves, each a small pure function: does a wheel carry kernels for a GPU, and
does a driver run a CUDA runtime. candidates.py applies them to every build the resolver weighs; verdicts and
the app reuse them.

- GPU coverage: a GPU of compute capability X.z runs a build that carries SASS for sm_X.y with y <= z (same
  major), or PTX for compute_W.v <= X.z, which the driver JIT-compiles. Arch-specific targets (sm_90a, sm_100a)
  run on exactly that capability and nothing else.
- Driver: at least the build CUDA's own minimum driver (per OS), or the minor-version-compatibility floor of its
  major; the PTX route needs the toolkit's own minimum, since minor-version compatibility cannot JIT-compile.
  And, whatever the build, at least the floor of every NVIDIA GPU planned for: a driver released before an
  architecture cannot run it at all (matrix `architectures[].driver_floors`; Jetson parts have none).
- A driver given as a branch only ('570', as `--driver` accepts) is compared by branch against every floor
  (`driver_at_least`): branch 570 is taken to be a 570.x new enough for any 570.y floor, and the why-chain says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .matrix import CudaToolkit, Matrix, Targets, cc_tuple, sm_name, vtuple
from .model import Check, GpuInfo, Host


def driver_os(host: Host) -> str:
    # WSL reports the Windows driver through the Linux libcuda shim; the Linux column is the one PyTorch's
    # Linux wheels are held to. macOS has no NVIDIA driver for current CUDA.
    return "windows" if host.os == "windows" else "linux"


def is_branch(driver: str) -> bool:
    """Is this driver version a branch only ('570'), not a release ('570.26', '570.86.10')?"""
    return len(vtuple(driver)) == 1


def driver_at_least(have: str, need: str) -> bool:
    """Does driver `have` meet the minimum `need`? A branch-only `have` ('570') is compared by branch: it meets
    570.26 (assumed to be a new enough 570 release) but not 575 or 580. The one comparison of a host driver."""
    h, n = vtuple(have), vtuple(need)
    return h[:1] >= n[:1] if len(h) == 1 else h >= n


def branch_assumption(have: str, needs: list[str]) -> str:
    """' (driver branch 570: assumed 570.26 or newer; check nvidia-smi)' where a branch-only driver met one of
    `needs` only by branch; else ''."""
    if not is_branch(have):
        return ""
    same = [n for n in needs if len(vtuple(n)) > 1 and vtuple(n)[0] == vtuple(have)[0]]
    if not same:
        return ""
    top = max(same, key=vtuple)
    return f" (driver branch {have}: assumed {top} or newer; check nvidia-smi)"


@dataclass(frozen=True)
class Coverage:
    ok: bool
    via_ptx: bool
    detail: str


def gpu_coverage(targets: Targets, cc: str) -> Coverage:
    """Does a wheel with these targets have kernels for compute capability `cc`? Pure rule, no driver."""
    hit = targets.memo.get(cc)
    if hit is None:
        hit = targets.memo[cc] = _coverage(targets, cc)
    return hit


def _coverage(targets: Targets, cc: str) -> Coverage:
    if not targets.sass and not targets.ptx:
        return Coverage(False, False, f"its architecture list is not known, so {sm_name(cc)} support cannot be promised")
    major, minor = cc_tuple(cc)
    sass_hits = []
    for t in targets.sass:
        tm, tn = cc_tuple(t)
        if t.endswith("a"):
            if (tm, tn) == (major, minor):
                sass_hits.append(t)
        elif tm == major and tn <= minor:
            sass_hits.append(t)
    if sass_hits:
        best = max(sass_hits, key=cc_tuple)
        return Coverage(True, False, f"SASS {sm_name(best)} runs on {sm_name(cc)}")
    ptx_hits = []
    for t in targets.ptx:
        tm, tn = cc_tuple(t)
        if t.endswith("a"):
            if (tm, tn) == (major, minor):
                ptx_hits.append(t)
        elif (tm, tn) <= (major, minor):
            ptx_hits.append(t)
    if ptx_hits:
        best = max(ptx_hits, key=cc_tuple)
        return Coverage(True, True, f"no SASS for {sm_name(cc)}; PTX compute_{sm_name(best)[3:]} is JIT-compiled by the driver")
    carried = " ".join(targets.arch_list()) or "nothing"
    return Coverage(False, False, f"no kernels for {sm_name(cc)}: the wheel carries {carried}")


@dataclass(frozen=True)
class GpuFloor:
    """The oldest driver that supports a GPU of this machine at all, for the host's OS."""

    driver: str
    arch: str
    cc: str
    os: str
    derived: bool
    sources: tuple[str, ...]


def gpu_driver_floor(matrix: Matrix, host: Host) -> GpuFloor | None:
    """The highest architecture driver floor among the host's NVIDIA GPUs; None where no GPU has a known floor."""
    if host.os == "macos":
        return None
    os_key = driver_os(host)
    best: GpuFloor | None = None
    for g in host.nvidia_gpus:
        cc = gpu_cc(matrix, g)
        arch = matrix.arch_for_cc(cc) if cc else None
        if cc is None or arch is None:
            continue
        base = "{}.{}".format(*cc_tuple(cc))
        for f in arch.driver_floors:
            if base in f.cc and f.driver_min:
                drv = f.driver_min.get(os_key) or f.driver_min["linux"]
                if best is None or vtuple(drv) > vtuple(best.driver):
                    best = GpuFloor(drv, arch.name, base, os_key, f.derived, f.source)
    return best


def gpu_cc(matrix: Matrix, g: GpuInfo) -> str | None:
    """The GPU's compute capability: as detected or described, else from the GPU table by name."""
    if g.cc:
        return g.cc
    model = matrix.find_gpu(g.name)
    return model.cc if model else None


def _toolkit_floor(tk: CudaToolkit, os_key: str, needs_own: bool) -> tuple[str, str | None, str]:
    """(the toolkit's own minimum, its minor-version-compatibility floor or None, the one that applies)."""
    own = tk.driver_min.get(os_key) or tk.driver_min["linux"]
    compat = tk.minor_compat_min.get(os_key) or tk.minor_compat_min.get("linux") if tk.minor_compat_min else None
    return own, compat, compat if (compat and not needs_own) else own


def driver_floor(tk: CudaToolkit, host: Host, *, needs_own: bool, gpu: GpuFloor | None = None) -> str:
    """The oldest driver that runs CUDA `tk` builds on `host`: the minor-version-compatibility floor where there is
    one and no PTX has to be JIT-compiled, else the toolkit's own minimum; and never below the floor of the GPU
    (`gpu_driver_floor`). The why-chain and the driver advice both quote this number, so they cannot disagree."""
    need = _toolkit_floor(tk, driver_os(host), needs_own)[2]
    return gpu.driver if gpu is not None and vtuple(gpu.driver) > vtuple(need) else need


def driver_check(tk: CudaToolkit, host: Host, *, needs_own: bool, sources: tuple[str, ...],
                 gpu: GpuFloor | None = None) -> Check:
    """Does the host's driver run CUDA `tk` builds (and support its GPUs at all)? Passes when the driver is unknown."""
    os_key = driver_os(host)
    own, compat, tk_need = _toolkit_floor(tk, os_key, needs_own)
    src = ", ".join(sources)
    floor = driver_floor(tk, host, needs_own=needs_own, gpu=gpu)
    # the GPU's floor matters only where it is above what the toolkit itself asks
    binding = gpu if gpu is not None and vtuple(gpu.driver) > vtuple(tk_need) else None
    if binding is not None:
        src = ", ".join(dict.fromkeys((*sources, *binding.sources)))
    if host.driver is None:
        why = f" ({binding.arch} GPUs need it)" if binding is not None else ""
        return Check("driver", True, f"driver not known: CUDA {tk.version} builds need {os_key} driver >= {floor}{why}", src)
    d = host.driver
    if binding is not None and not driver_at_least(d, binding.driver):
        return Check(
            "driver", False,
            f"driver {host.driver} predates {binding.arch} GPUs ({sm_name(binding.cc)}): they need >= {binding.driver} "
            f"({os_key}): update the driver",
            src,
        )
    gpu_need = [binding.driver] if binding is not None else []
    if driver_at_least(d, own):
        note = branch_assumption(d, [own, *gpu_need])
        return Check("driver", True, f"driver {host.driver} >= {own}, CUDA {tk.version}'s own minimum ({os_key}){note}", src)
    if compat and driver_at_least(d, compat):
        if needs_own:
            return Check(
                "driver", False,
                f"driver {host.driver} runs CUDA {tk.version} only through minor-version compatibility (>= {compat}), "
                f"which cannot JIT-compile PTX; the PTX route needs >= {own}: update the driver",
                src,
            )
        note = branch_assumption(d, [compat, *gpu_need])
        return Check(
            "driver", True,
            f"driver {host.driver} >= {compat}, the CUDA {tk.major}.x minor-version-compatibility floor "
            f"(CUDA {tk.version}'s own minimum is {own}){note}",
            src,
        )
    return Check("driver", False, f"driver {host.driver} is older than {floor}, the minimum for CUDA {tk.version} ({os_key}): update the driver", src)


def newest_cuda_for_driver(matrix: Matrix, host: Host) -> CudaToolkit | None:
    """The newest CUDA toolkit this driver runs at its own minimum (no minor-version compatibility needed)."""
    if host.driver is None:
        return None
    os_key = driver_os(host)
    best = None
    for tk in matrix.cuda_toolkits:
        need = tk.driver_min.get(os_key) or tk.driver_min["linux"]
        if driver_at_least(host.driver, need):
            best = tk
    return best
