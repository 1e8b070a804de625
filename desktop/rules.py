"""The compatibility rules themselves, each a small pure function: does a wheel carry kernels for a GPU, and
does a driver run a CUDA runtime. resolve.py applies them to every build; verdicts and the app reuse them.

- GPU coverage: a GPU of compute capability X.z runs a build that carries SASS for sm_X.y with y <= z (same
  major), or PTX for compute_W.v <= X.z, which the driver JIT-compiles. Arch-specific targets (sm_90a, sm_100a)
  run on exactly that capability and nothing else.
- Driver: at least the build CUDA's own minimum driver (per OS), or the minor-version-compatibility floor of its
  major; the PTX route needs the toolkit's own minimum, since minor-version compatibility cannot JIT-compile.
"""

from __future__ import annotations

from dataclasses import dataclass

from .matrix import CudaToolkit, Matrix, Targets, cc_tuple, sm_name, vtuple
from .model import Check, Host


def driver_os(host: Host) -> str:
    # WSL reports the Windows driver through the Linux libcuda shim; the Linux column is the one PyTorch's
    # Linux wheels are held to. macOS has no NVIDIA driver for current CUDA.
    return "windows" if host.os == "windows" else "linux"


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


def driver_floor(tk: CudaToolkit, host: Host, *, needs_own: bool) -> str:
    """The oldest driver that runs CUDA `tk` builds on `host`: the minor-version-compatibility floor where there is
    one and no PTX has to be JIT-compiled, else the toolkit's own minimum. The why-chain and the driver advice both
    quote this number, so they cannot disagree."""
    os_key = driver_os(host)
    own = tk.driver_min.get(os_key) or tk.driver_min["linux"]
    compat = tk.minor_compat_min.get(os_key) or tk.minor_compat_min.get("linux") if tk.minor_compat_min else None
    return compat if (compat and not needs_own) else own


def driver_check(tk: CudaToolkit, host: Host, *, needs_own: bool, sources: tuple[str, ...]) -> Check:
    os_key = driver_os(host)
    own = tk.driver_min.get(os_key) or tk.driver_min["linux"]
    compat = tk.minor_compat_min.get(os_key) or tk.minor_compat_min.get("linux") if tk.minor_compat_min else None
    src = ", ".join(sources)
    if host.driver is None:
        need = driver_floor(tk, host, needs_own=needs_own)
        return Check("driver", True, f"driver not known: CUDA {tk.version} builds need {os_key} driver >= {need}", src)
    d = vtuple(host.driver)
    if d >= vtuple(own):
        return Check("driver", True, f"driver {host.driver} >= {own}, CUDA {tk.version}'s own minimum ({os_key})", src)
    if compat and d >= vtuple(compat):
        if needs_own:
            return Check(
                "driver", False,
                f"driver {host.driver} runs CUDA {tk.version} only through minor-version compatibility (>= {compat}), "
                f"which cannot JIT-compile PTX; the PTX route needs >= {own}: update the driver",
                src,
            )
        return Check(
            "driver", True,
            f"driver {host.driver} >= {compat}, the CUDA {tk.major}.x minor-version-compatibility floor "
            f"(CUDA {tk.version}'s own minimum is {own})",
            src,
        )
    floor = driver_floor(tk, host, needs_own=needs_own)
    return Check("driver", False, f"driver {host.driver} is older than {floor}, the minimum for CUDA {tk.version} ({os_key}): update the driver", src)


def newest_cuda_for_driver(matrix: Matrix, host: Host) -> CudaToolkit | None:
    """The newest CUDA toolkit this driver runs at its own minimum (no minor-version compatibility needed)."""
    if host.driver is None:
        return None
    d = vtuple(host.driver)
    os_key = driver_os(host)
    best = None
    for tk in matrix.cuda_toolkits:
        need = tk.driver_min.get(os_key) or tk.driver_min["linux"]
        if d >= vtuple(need):
            best = tk
    return best
