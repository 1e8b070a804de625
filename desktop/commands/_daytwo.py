"""The day-two options of create and import: --jupyter and --toolchain (desktop/kernels.py, desktop/toolchain.py)."""

from __future__ import annotations

import argparse
from typing import Any


def add_day_two_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jupyter", action="store_true", help="also install ipykernel and register a Jupyter kernel")
    p.add_argument("--toolchain", action="store_true",
                   help="also install nvcc and the CUDA headers matching the torch build (CUDA 13 builds), and set "
                        "CUDA_HOME and TORCH_CUDA_ARCH_LIST on activation")


def with_day_two(spec: Any, args: argparse.Namespace, host: Any) -> Any:
    """The spec with the requested day-two options; prints the toolchain plan and its why-chain, or says why not."""
    from ..daytwo import with_day_two_options
    from ..errors import UsageError
    from ..toolchain import ToolchainError

    try:
        spec, tc = with_day_two_options(spec, jupyter=bool(getattr(args, "jupyter", False)),
                                        toolchain=bool(getattr(args, "toolchain", False)), host=host)
    except ToolchainError as exc:
        raise UsageError(f"--toolchain: {exc}") from None
    if tc is not None:
        print(f"  toolchain: {' '.join(tc.requirements)}")
        for why in tc.why:
            print(f"    because {why}")
    return spec
