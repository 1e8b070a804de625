"""The day-two options of create and import: --jupyter and --toolchain (desktop/kernels.py, desktop/toolchain.py)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any


def add_day_two_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jupyter", action="store_true", help="also install ipykernel and register a Jupyter kernel")
    p.add_argument("--toolchain", action="store_true",
                   help="also install nvcc and the CUDA headers matching the torch build (CUDA 13 builds), and set "
                        "CUDA_HOME and TORCH_CUDA_ARCH_LIST on activation")


def with_day_two(spec: Any, args: argparse.Namespace, host: Any) -> Any:
    """The spec with the requested day-two options; prints the toolchain plan and its why-chain, or says why not."""
    from ..errors import UsageError

    if getattr(args, "jupyter", False):
        spec = dataclasses.replace(spec, jupyter=True)
    if getattr(args, "toolchain", False):
        from ..matrix import default_matrix
        from ..toolchain import ToolchainError, plan_toolchain

        try:
            tc = plan_toolchain(spec, host, default_matrix())
        except ToolchainError as exc:
            raise UsageError(f"--toolchain: {exc}") from None
        print(f"  toolchain: {' '.join(tc.requirements)}")
        for why in tc.why:
            print(f"    because {why}")
        spec = dataclasses.replace(spec, toolchain=True)
    return spec
