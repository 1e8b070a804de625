"""The matching CUDA toolchain: the plan (table-driven), the activation scripts run by a real bash, the create job
installing a STAND-IN cuda-toolkit wheel from a local index, and a real nvcc compiling a tiny .cu file for the
architectures TORCH_CUDA_ARCH_LIST names.

The stand-in cuda-toolkit wheel lays out NVIDIA's CUDA 13 tree (nvidia/cu13/bin/nvcc, include/) but its nvcc
only forwards to the system's nvcc (the real wheels are hundreds of MB and this suite is offline). Tests that
run nvcc are marked `toolchain` and skip where there is none; CI can run them in their own step with
`pytest -m toolchain tests/test_toolchain.py` on a machine with nvcc 13.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from localrepo import LocalRepo, build_pip_index
from standins import run_cli, standin_wheel

from desktop.engine import get_engine
from desktop.envspec import EnvSpec, spec_from_plan, with_sources
from desktop.jobs import create_env
from desktop.matrixload import default_matrix
from desktop.model import GpuInfo, Host, Plan
from desktop.paths import envs_dir
from desktop.procs import CancelToken
from desktop.toolchain import (
    Toolchain,
    ToolchainError,
    activation_scripts,
    arch_list,
    gencode_flags,
    plan_toolchain,
    write_activation,
)

NVCC = shutil.which("nvcc")
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="no nvcc on this machine")
KERNEL = "__global__ void twice(float* x) { x[threadIdx.x] *= 2.0f; }\n"


def _spec(variant: str, cuda: str | None, python: str = "3.12") -> EnvSpec:
    plan = Plan(torch="2.14.1", variant=variant, python=python, torchvision="0.29.1", torchaudio="2.14.1",
                numpy=None, index_url=f"https://download.pytorch.org/whl/{variant}", cuda=cuda)
    return spec_from_plan(plan, name="tc")


def _host(*ccs: str) -> Host:
    return Host(gpus=tuple(GpuInfo(index=i, name=f"gpu{i}", cc=cc) for i, cc in enumerate(ccs)))


@pytest.mark.parametrize(("ccs", "archs", "skipped"), [
    (("9.0",), "9.0+PTX", ()),
    (("9.0", "8.9", "9.0"), "8.9;9.0+PTX", ()),
    (("12.0", "8.6"), "8.6;12.0+PTX", ()),
    (("6.1", "8.6"), "8.6+PTX", ("6.1",)),  # CUDA 13 dropped Pascal (the matrix's cc_min 7.5)
    (("6.1",), None, ("6.1",)),
    ((), None, ()),
])
def test_arch_list_for_cuda_13(ccs: tuple[str, ...], archs: str | None, skipped: tuple[str, ...]) -> None:
    got, left = arch_list(ccs, default_matrix().cuda("13.0"))
    assert got == archs and tuple(left) == skipped


def test_plan_for_a_cuda_13_build() -> None:
    tc = plan_toolchain(_spec("cu130", "13.0"), _host("8.9", "9.0"), default_matrix())
    assert tc.requirements == ("cuda-toolkit[cudart,crt,nvcc]==13.0.*", "ninja")
    assert tc.cuda_home == "lib/python3.12/site-packages/nvidia/cu13"
    assert tc.arch_list == "8.9;9.0+PTX"
    assert any("TORCH_CUDA_ARCH_LIST=8.9;9.0+PTX" in w for w in tc.why)
    assert plan_toolchain(_spec("cu130", "13.0"), _host(), None).arch_list is None


@pytest.mark.parametrize(("variant", "cuda", "says"), [
    ("cu126", "12.6", "conda-forge's cuda-nvcc"),
    ("rocm6.4", None, "ROCm builds get no matching toolchain"),
    ("cpu", None, "no CUDA"),
])
def test_no_toolchain_says_why(variant: str, cuda: str | None, says: str) -> None:
    with pytest.raises(ToolchainError, match=says):
        plan_toolchain(_spec(variant, cuda), _host("9.0"), default_matrix())


def test_gencode_flags_follow_torch_cpp_extension() -> None:
    assert gencode_flags("8.9;9.0+PTX") == [
        "-gencode=arch=compute_89,code=sm_89", "-gencode=arch=compute_90,code=sm_90",
        "-gencode=arch=compute_90,code=compute_90"]
    assert gencode_flags("12.0") == ["-gencode=arch=compute_120,code=sm_120"]


def _cubin_sms(folder: Path) -> set[int]:
    # A cubin is an ELF file; in the ABI nvcc 13 writes, bits 8-15 of e_flags carry the SM (read off its output).
    return {(struct.unpack_from("<I", p.read_bytes(), 0x30)[0] >> 8) & 0xFF for p in folder.glob("*.cubin")}


def _compile(nvcc: str, archs: str, work: Path, env: dict[str, str] | None = None) -> tuple[set[int], str]:
    work.mkdir(parents=True, exist_ok=True)
    src = work / "twice.cu"
    src.write_text(KERNEL)
    keep = work / "keep"
    keep.mkdir()
    subprocess.run([nvcc, "-c", "-keep", "-keep-dir", str(keep), *gencode_flags(archs), str(src), "-o",
                    str(work / "twice.o")], check=True, capture_output=True, env=env, timeout=300)
    ptx = "".join(p.read_text(errors="replace") for p in keep.glob("*.ptx"))
    return _cubin_sms(keep), ptx


@pytest.mark.toolchain
@needs_nvcc
def test_real_nvcc_builds_for_the_listed_archs(tmp_path: Path) -> None:
    sms, ptx = _compile(str(NVCC), "8.9;9.0+PTX", tmp_path)
    assert sms == {89, 90}
    assert ".target sm_90" in ptx


# --- the job, with a stand-in cuda-toolkit wheel ------------------------------------------------------------------

def _standin_toolkit(root: Path, real_nvcc: str | None) -> Path:
    """A local index with a STAND-IN cuda-toolkit 13.0.2: NVIDIA's nvidia/cu13 layout, nvcc forwarding to the
    system's nvcc (or failing, saying so, where there is none)."""
    body = f'exec "{real_nvcc}" "$@"\n' if real_nvcc else 'echo "stand-in nvcc: no real nvcc here" >&2; exit 3\n'
    standin_wheel(root, "cuda-toolkit", "13.0.2", {
        "nvidia/cu13/bin/nvcc": "#!/bin/sh\n# TorchDesk test stand-in for NVIDIA's nvcc wheel\n" + body,
        "nvidia/cu13/include/torchdesk_standin.h": "/* stand-in */\n",
    }, metadata="Provides-Extra: cudart\nProvides-Extra: crt\nProvides-Extra: nvcc\n",
        executables=("nvidia/cu13/bin/nvcc",))
    # A STAND-IN ninja too (metadata only): --toolchain also installs ninja, and this index is all pip sees.
    standin_wheel(root, "ninja", "1.13.0", {})
    return root / "simple"


@pytest.mark.toolchain
def test_create_with_toolchain_sets_cuda_home_and_archs(repo: LocalRepo, home: Path, tmp_path: Path) -> None:
    from localrepo import PY_VERSION

    torch_index = build_pip_index(tmp_path / "cu130-index", (
        ("torch", "2.14.1+cu130", ()), ("torchvision", "0.29.1+cu130", ()), ("torchaudio", "2.14.1+cu130", ())))
    toolkit = _standin_toolkit(tmp_path / "toolkit-index", NVCC)
    spec = with_sources(_spec("cu130", "13.0", PY_VERSION), channels=[repo.channel_url],
                        index_url=torch_index.as_uri(), extras_index_url=toolkit.as_uri())
    spec = EnvSpec(**{**spec.__dict__, "toolchain": True})
    lines: list[str] = []
    res = create_env(spec, engine=get_engine("embedded"), on_line=lines.append, on_progress=lambda p: None,
                     cancel=CancelToken(), verify=False, size_mib=10, check_index=False, host=_host("8.9", "9.0"))
    assert res.ok, (res.message, lines[-30:])
    prefix = envs_dir() / "tc"
    assert any("TORCH_CUDA_ARCH_LIST=8.9;9.0+PTX" in line for line in lines)
    cuda_home = prefix / f"lib/python{PY_VERSION}/site-packages/nvidia/cu13"
    assert os.access(cuda_home / "bin" / "nvcc", os.X_OK)
    act = prefix / "etc/conda/activate.d/torchdesk-toolchain.sh"
    deact = prefix / "etc/conda/deactivate.d/torchdesk-toolchain.sh"
    env = {"PATH": "/usr/bin:/bin", "CONDA_PREFIX": str(prefix), "TORCH_CUDA_ARCH_LIST": "mine"}
    script = (f'. "{act}"; echo "$CUDA_HOME|$TORCH_CUDA_ARCH_LIST"; . "{deact}"; '
              'echo "${CUDA_HOME-unset}|${TORCH_CUDA_ARCH_LIST-unset}"')
    out = subprocess.run(["bash", "-c", script],
                         env=env, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == [f"{cuda_home}|8.9;9.0+PTX", "unset|mine"]
    if NVCC is None:
        pytest.skip("no nvcc on this machine: the compile through the env's CUDA_HOME was not run")
    # what torch.utils.cpp_extension does on activation: $CUDA_HOME/bin/nvcc with the listed archs
    sms, ptx = _compile(str(cuda_home / "bin" / "nvcc"), "8.9;9.0+PTX", tmp_path / "build")
    assert sms == {89, 90} and ".target sm_90" in ptx


def test_every_shell_gets_both_variables() -> None:
    tc = plan_toolchain(_spec("cu130", "13.0"), _host("9.0"), None)
    scripts = activation_scripts(tc)
    assert len(scripts) == 8
    for path, text in scripts.items():
        assert "CUDA_HOME" in text and "TORCH_CUDA_ARCH_LIST" in text, path
    assert "%CONDA_PREFIX%\\lib\\python3.12\\site-packages\\nvidia\\cu13" in scripts[
        "etc/conda/activate.d/torchdesk-toolchain.bat"]


def test_cli_create_toolchain_on_a_cpu_build_says_why_and_builds_nothing(home: Path) -> None:
    p = run_cli("create", "--torch", "2.5.1", "--variant", "cpu", "--toolchain", "-n", "tcx", "-y")
    assert p.returncode == 2, p.stdout + p.stderr
    assert "--toolchain:" in p.stderr and "no CUDA" in p.stderr
    assert not (envs_dir() / "tcx").exists()


# --- what verify reads back: desktop/smoke/ finds the toolchain through the activation script written here ----

def _written(tmp_path: Path, nvcc: bool = True, cuda_home: str = "lib/python3.12/site-packages/nvidia/cu13") -> Path:
    prefix = tmp_path / "env"
    tc = plan_toolchain(_spec("cu130", "13.0"), _host("8.9", "9.0"), None)
    write_activation(Toolchain(tc.cuda, tc.requirements, cuda_home, tc.arch_list, tc.why), prefix)
    if nvcc:
        (prefix / cuda_home / "bin").mkdir(parents=True)
        (prefix / cuda_home / "bin" / "nvcc").write_text("#!/bin/sh\n")
    return prefix


def test_smoke_reads_the_toolchain_back_from_the_activation_script(tmp_path: Path) -> None:
    from desktop.smoke.torchdesk_smoke_facts import toolchain_info

    prefix = _written(tmp_path)
    home = prefix / "lib/python3.12/site-packages/nvidia/cu13"
    assert toolchain_info(str(prefix)) == {"cuda_home": str(home), "nvcc": str(home / "bin" / "nvcc"),
                                           "arch_list": "8.9;9.0+PTX"}


def test_smoke_sees_no_toolchain_without_nvcc_or_script_or_outside_the_env(tmp_path: Path) -> None:
    from desktop.smoke.torchdesk_smoke_facts import toolchain_info

    assert toolchain_info(str(tmp_path / "nothing")) is None
    assert toolchain_info(str(_written(tmp_path / "a", nvcc=False))) is None
    # a CUDA_HOME that climbs out of the env is not TorchDesk's toolchain, even with an nvcc there
    (tmp_path / "b" / "outside" / "bin").mkdir(parents=True)
    (tmp_path / "b" / "outside" / "bin" / "nvcc").write_text("")
    prefix = _written(tmp_path / "b", nvcc=False, cuda_home="../outside")
    assert "../outside" in (prefix / "etc/conda/activate.d/torchdesk-toolchain.sh").read_text()
    assert toolchain_info(str(prefix)) is None
