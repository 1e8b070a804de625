"""The matching CUDA toolchain (`--toolchain`): nvcc, headers and libraries at exactly the torch build's CUDA
version, and the activation scripts that point torch's extension builds at them.

Where it comes from: NVIDIA's `cuda-toolkit` metapackage on PyPI (https://pypi.org/project/cuda-toolkit/,
extras `nvcc`, `cudart`, `crt`), pinned `==X.Y.*` to the build's CUDA. Chosen over conda-forge's `cuda-nvcc` +
`cuda-cudart-dev` (pinned with `cuda-version`) because:
  * torch's own CUDA wheels already take their CUDA runtime from these PyPI wheels (recent ones require an exact
    `cuda-toolkit==13.0.x`), so one resolver, pip, keeps the compiler and the runtime torch loads in lockstep,
    and the drift guard's constraints file holds both; the conda route would put a second CUDA runtime into the
    env from another package manager;
  * it needs no solve against conda-forge's CUDA packages and works with the embedded engine and any index mirror.
It is offered for CUDA 13 builds only: from CUDA 13 on, the PyPI wheels install nvcc, the headers and the
libraries into one tree, site-packages/nvidia/cu13 (NVIDIA's layout, see cupy/cupy#9296), which CUDA_HOME can
name. The CUDA 12 wheels scatter them over nvidia/cuda_nvcc, nvidia/cuda_runtime, ... so no single CUDA_HOME
works; for those builds TorchDesk says so and names the conda-forge route instead of half-working.
ROCm builds: PyTorch's ROCm wheels carry no HIP compiler, and no pip-installable one exists, so TorchDesk says so.

TORCH_CUDA_ARCH_LIST lists the detected GPUs' compute capabilities that this CUDA can compile for, with +PTX on
the newest (so a newer GPU can still JIT the kernels); torch.utils.cpp_extension reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .matrix import cc_tuple, vtuple

EXTRAS = "cudart,crt,nvcc"
SCRIPT = "torchdesk-toolchain"
VARS = ("CUDA_HOME", "TORCH_CUDA_ARCH_LIST")


class ToolchainError(ValueError):
    """No matching toolchain can be offered for this build; the message says why and what to do instead."""


@dataclass(frozen=True)
class Toolchain:
    """What --toolchain installs and sets for one build."""

    cuda: str  # "13.0"
    requirements: tuple[str, ...]  # ("cuda-toolkit[cudart,crt,nvcc]==13.0.*", "ninja")
    cuda_home: str  # relative to the env: lib/python3.12/site-packages/nvidia/cu13
    arch_list: str | None  # "8.9;9.0+PTX"; None: no NVIDIA GPU detected (torch then picks at build time)
    why: tuple[str, ...]


def arch_list(ccs: Iterable[str], toolkit: Any = None) -> tuple[str | None, list[str]]:
    """TORCH_CUDA_ARCH_LIST for these compute capabilities ('8.9;9.0+PTX'), and the ones this CUDA cannot build for."""
    keep: list[str] = []
    skipped: list[str] = []
    for cc in sorted(set(ccs), key=cc_tuple):
        if toolkit is not None and not toolkit.supports_cc(cc):
            skipped.append(cc)
        else:
            keep.append(cc)
    if not keep:
        return None, skipped
    return ";".join(keep[:-1] + [keep[-1] + "+PTX"]), skipped


def gencode_flags(archs: str) -> list[str]:
    """The nvcc -gencode flags torch.utils.cpp_extension derives from TORCH_CUDA_ARCH_LIST ('8.9;9.0+PTX')."""
    flags: list[str] = []
    for item in archs.replace(" ", ";").split(";"):
        if not item:
            continue
        ptx = item.endswith("+PTX")
        num = item[:-4] if ptx else item
        major, minor = cc_tuple(num)
        sm = f"{major}{minor}"
        flags.append(f"-gencode=arch=compute_{sm},code=sm_{sm}")
        if ptx:
            flags.append(f"-gencode=arch=compute_{sm},code=compute_{sm}")
    return flags


def site_packages_rel(python: str, *, windows: bool = False) -> str:
    """site-packages relative to a conda env: lib/pythonX.Y/site-packages, or Lib/site-packages on Windows."""
    return "Lib/site-packages" if windows else f"lib/python{python}/site-packages"


def plan_toolchain(spec: Any, host: Any = None, matrix: Any = None, *, windows: bool = False) -> Toolchain:
    """The toolchain for `spec`'s torch build on `host`; raises ToolchainError with the reason when none fits."""
    variant = spec.variant or ""
    if variant.startswith("rocm"):
        raise ToolchainError("ROCm builds get no matching toolchain: PyTorch's ROCm wheels carry no HIP compiler and "
                             "none is pip-installable; install ROCm's hipcc from AMD's packages for extension builds")
    if not variant.startswith("cu") or not spec.cuda:
        raise ToolchainError(f"the {variant or 'default'} build has no CUDA, so there is no CUDA toolchain to match")
    cuda = ".".join(spec.cuda.split(".")[:2])
    if vtuple(cuda)[0] < 13:
        raise ToolchainError(f"a matching toolchain is offered for CUDA 13 builds; this build uses CUDA {cuda}, whose "
                             "PyPI wheels split nvcc and the headers over several folders no CUDA_HOME can name. "
                             f"Install conda-forge's cuda-nvcc and cuda-cudart-dev with cuda-version={cuda} instead")
    toolkit = matrix.cuda(cuda) if matrix is not None else None
    gpus = [g for g in (getattr(host, "gpus", None) or ()) if getattr(g, "vendor", "nvidia") == "nvidia" and g.cc]
    archs, skipped = arch_list((g.cc for g in gpus), toolkit)
    source = (f"nvcc, headers and libraries from NVIDIA's cuda-toolkit {cuda}.* on PyPI, the same CUDA {cuda} this "
              "torch build runs on, installed by the same pip that installed torch")
    why = [source, "CUDA_HOME points at the env's nvidia/cu13 folder, so torch.utils.cpp_extension finds that nvcc"]
    if archs:
        why.append(f"TORCH_CUDA_ARCH_LIST={archs}: your GPUs' compute capabilities, +PTX on the newest")
    else:
        why.append("no NVIDIA GPU was detected, so TORCH_CUDA_ARCH_LIST is left unset (torch picks at build time)")
    if skipped:
        why.append(f"CUDA {cuda} cannot compile for compute capability {', '.join(skipped)}; left out of the list")
    why.append("ninja from PyPI too: torch.utils.cpp_extension builds with it, and verify compiles a tiny extension")
    return Toolchain(cuda=cuda, requirements=(f"cuda-toolkit[{EXTRAS}]=={cuda}.*", "ninja"),
                     cuda_home=f"{site_packages_rel(spec.python, windows=windows)}/nvidia/cu13", arch_list=archs,
                     why=tuple(why))


# --- activation scripts -------------------------------------------------------------------------------------------

def _values(tc: Toolchain) -> dict[str, str | None]:
    return {"CUDA_HOME": tc.cuda_home, "TORCH_CUDA_ARCH_LIST": tc.arch_list}


def activation_scripts(tc: Toolchain) -> dict[str, str]:
    """{relative path: text} for activate.d / deactivate.d: CUDA_HOME under $CONDA_PREFIX (so the env can move),
    TORCH_CUDA_ARCH_LIST as planned; a value the user had is saved and put back on deactivation."""
    from .activation import activation_files, saved_name

    head = "# TorchDesk: the CUDA toolchain matching this environment's torch build.\n"
    activate: dict[str, dict[str, str]] = {}
    for var, raw in _values(tc).items():
        if raw is None:
            continue
        s = saved_name(var)
        home = var == "CUDA_HOME"
        sh_v = f'"${{CONDA_PREFIX}}/{raw}"' if home else f"'{raw}'"
        fish_v = f'"$CONDA_PREFIX/{raw}"' if home else f"'{raw}'"
        ps_v = f'"$Env:CONDA_PREFIX\\{raw.replace("/", chr(92))}"' if home else f"'{raw}'"
        bat_v = f"%CONDA_PREFIX%\\{raw.replace('/', chr(92))}" if home else raw
        activate[var] = {
            "sh": f'if [ -n "${{{var}+x}}" ]; then export {s}="${var}"; fi\nexport {var}={sh_v}\n',
            "fish": f"if set -q {var}\n    set -gx {s} \"${var}\"\nend\nset -gx {var} {fish_v}\n",
            "ps1": f"if (Test-Path Env:{var}) {{ $Env:{s} = $Env:{var} }}\n$Env:{var} = {ps_v}\n",
            "bat": f'@if defined {var} set "{s}=%{var}%"\n@set "{var}={bat_v}"\n',
        }
    return activation_files(SCRIPT, head, activate)


def write_activation(tc: Toolchain, prefix: Path) -> list[Path]:
    """Write the toolchain's activation scripts into the env; returns the files written."""
    written = []
    for rel, text in activation_scripts(tc).items():
        p = Path(prefix) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="\r\n" if rel.endswith(".bat") else "\n")
        written.append(p)
    return written


def add_toolchain(spec: Any, prefix: Path, *, host: Any, on_line: Any,
                  pip: Any) -> Toolchain:
    """Install the matching cuda-toolkit wheels into the env and write the activation scripts."""
    import os

    from .matrixload import default_matrix
    from .schema import MatrixError

    try:
        matrix = default_matrix()
    except (MatrixError, OSError):  # the arch filter is a refinement; without the data every detected GPU is listed
        matrix = None
    tc = plan_toolchain(spec, host, matrix, windows=os.name == "nt")
    pip(list(spec.extras_index_args()), list(tc.requirements), f"the CUDA {tc.cuda} toolchain")
    nvcc = Path(prefix) / tc.cuda_home / "bin" / ("nvcc.exe" if os.name == "nt" else "nvcc")
    if not nvcc.is_file():
        raise ToolchainError(f"the cuda-toolkit wheels installed, but there is no nvcc at {nvcc}")
    write_activation(tc, prefix)
    for line in tc.why:
        on_line(f"toolchain: {line}")
    return tc
