"""The fix texts of the verdicts, taken from the compatibility data: which build has kernels for a GPU, the pip
command that restores a torch build or its companions, the NumPy range, the driver a CUDA build needs.

`matrix` is Any here: a verdict must still come out when the data is missing (None) or damaged, so every fix
says what it could not look up instead of raising.
"""

from __future__ import annotations

from typing import Any

from .matrix import vtuple
from .resolve import covering_builds
from .smokereport import base_version, platform_of


def timeout_fix(stage: str) -> str:
    """What to do when the smoke test timed out in `stage`."""
    if stage == "import_torch":
        return "a first `import torch` on a slow or network disk can take minutes: run verify again with a longer --timeout"
    if stage.startswith(("gpu", "cuda")):
        return "check the GPU is not hung or fully busy (nvidia-smi), then run verify again"
    return "run verify again with a longer --timeout"


def crash_fix(stage: str) -> str:
    """What to do when the python process died in `stage`."""
    if stage == "import_torch":
        return "reinstall torch in this environment (pip install --force-reinstall torch from its index)"
    if stage.startswith(("gpu", "cuda")):
        return "update the NVIDIA driver, then reinstall torch; the log shows where it crashed"
    return "see the log for where it stopped"


def release_of(matrix: Any, version: str | None) -> Any:
    """The data's release for a torch version (local tag ignored), or None."""
    if matrix is None or not version:
        return None
    try:
        return matrix.release(base_version(version))
    except Exception:
        return None


def no_data(matrix: Any, version: str | None) -> str:
    """Why a fix cannot name versions: no data at all, or none for this torch."""
    if matrix is None:
        return "no compatibility data available"
    return f"no data for torch {base_version(version)} in the compatibility data ({getattr(matrix, 'data_version', '?')})"


def gpu_fix(matrix: Any, cc: str, plat: str = "linux-x86_64") -> str:
    """Which builds have kernels for compute capability `cc`, from the data: 'Blackwell needs a cu128 build: ...'."""
    sm = "sm_" + cc.replace(".", "")
    if matrix is None:
        return f"install a PyTorch build whose wheels carry {sm} kernels (no compatibility data available)"
    try:
        arch = matrix.arch_for_cc(cc)
    except Exception:
        arch = None
    who = f"{arch.name} ({sm})" if arch else sm
    builds = covering_builds(matrix, cc, plat)
    if not builds:
        return f"no PyTorch build in the data ({getattr(matrix, 'data_version', '?')}) has kernels for {who} on {plat}"
    oldest_rel = min((r for r, _ in builds), key=lambda r: vtuple(r.version))
    oldest_variant = min((b for r, b in builds if r is oldest_rel), key=lambda b: vtuple(b.cuda or "0")).variant
    newest_rel, newest_build = max(builds, key=lambda rb: (vtuple(rb[0].version), vtuple(rb[1].cuda or "0")))
    minor = ".".join(oldest_rel.version.split(".")[:2])
    return (f"{who} needs a {oldest_variant} build: torch {minor} or newer "
            f"(`torchdesk create --torch {newest_rel.version} --variant {newest_build.variant}`)")


def reinstall_fix(matrix: Any, version: str | None, variant: str | None, what: str) -> str:
    """The pip command that reinstalls this torch build from its index, so `what` come back."""
    rel = release_of(matrix, version)
    base = base_version(version)
    if rel is None or not base:
        tail = f" ({no_data(matrix, version)})" if base else ""
        return f"reinstall torch from the PyTorch index so {what} come back{tail}"
    build = rel.build(variant) if variant else None
    url = build.install.index_url if build is not None and build.install is not None else None
    spec = f"torch=={base}" + (build.install.local_version or "" if build is not None and build.install else "")
    where = f" --index-url {url}" if url else ""
    return f"reinstall so {what} come back: pip install --force-reinstall {spec}{where}"


def numpy_fix(matrix: Any, version: str | None) -> str:
    """The NumPy range this torch was built for, as a pip command."""
    rel = release_of(matrix, version)
    if rel is not None and rel.numpy:
        return f"pip install 'numpy{rel.numpy}' (the range torch {rel.version} was built for)"
    note = f" ({no_data(matrix, version)})" if rel is None else ""
    return f"pip install 'numpy<2': this torch was compiled against NumPy 1.x{note}"


def torchvision_fix(matrix: Any, version: str | None, variant: str | None) -> str:
    """The torchvision release (and index) made for this torch build, as a pip command."""
    rel = release_of(matrix, version)
    if rel is None or not rel.torchvision:
        return (f"install the torchvision release made for torch {base_version(version)} from the same index as torch"
                f" ({no_data(matrix, version) if rel is None else 'the data names no torchvision for it'})")
    build = rel.build(variant) if variant else None
    url = build.install.index_url if build is not None and build.install and build.install.index_url else None
    lv = build.install.local_version or "" if build is not None and build.install else ""
    return f"pip install torchvision=={rel.torchvision}{lv}" + (f" --index-url {url}" if url else "")


def driver_fix(matrix: Any, report: dict[str, Any], cuda: str | None) -> str:
    """The driver CUDA `cuda` needs on this OS, or the newest CUDA the present driver runs."""
    os_key = "windows" if platform_of(report).startswith("windows") else "linux"
    tk = None
    if matrix is not None and cuda:
        try:
            tk = matrix.cuda(cuda)
        except Exception:
            tk = None
    if tk is None:
        return f"update the NVIDIA driver to one that supports CUDA {cuda} ({no_data(matrix, None) if matrix is None else 'no driver data for CUDA ' + str(cuda)})"
    need = tk.driver_min.get(os_key) or tk.driver_min.get("linux")
    have = (report.get("driver") or {}).get("cuda_driver")
    alt = ""
    if have and matrix is not None:
        older = [t.version for t in matrix.cuda_toolkits if vtuple(t.version)[:2] <= vtuple(have)[:2]]
        if older:
            alt = f", or install a build for CUDA {max(older, key=vtuple)} or older (the driver supports CUDA {have})"
    return f"update the NVIDIA driver to {need} or newer (CUDA {cuda} needs it){alt}"


def extension_fix(detail: str) -> str:
    """The fix for a failed cpp_extension / cuda_extension check (the env has TorchDesk's toolchain)."""
    if "Ninja is required" in detail:
        return "install ninja into the environment (pip install ninja), then verify again"
    return ("the environment's toolchain cannot build a torch extension: check its C++ compiler ($CXX, else c++ on "
            "PATH) and that $CUDA_HOME/bin/nvcc runs (the log has the compiler's output); if the toolchain is "
            "damaged, recreate the environment with --toolchain")


def cpu_build_fix(matrix: Any, seen: list[tuple[str, str | None]], plat: str) -> str:
    """Which CUDA build to install instead of a CPU-only one, for the GPUs the report saw."""
    ccs = sorted({cc for _, cc in seen if cc})
    if not ccs:
        return "install a CUDA build of torch (`torchdesk recommend` picks one for this machine)"
    return "install a CUDA build: " + gpu_fix(matrix, ccs[0], plat)


def companion_fix(matrix: Any, version: str | None, variant: str | None, name: str) -> str:
    """The torchvision/torchaudio release (and index) made for this torch build, as a pip command."""
    rel = release_of(matrix, version)
    want = getattr(rel, name, None) if rel is not None else None
    if not want:
        return f"install the {name} release made for torch {base_version(version)} ({no_data(matrix, version)})"
    build = rel.build(variant) if variant else None
    url = build.install.index_url if build is not None and build.install and build.install.index_url else None
    return f"pip install {name}=={want}" + (f" --index-url {url}" if url else "")
