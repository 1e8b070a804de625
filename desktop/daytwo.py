"""Day-two additions to a freshly built environment: the drift guard (always) and a Jupyter kernel (on request).

The create job calls `apply_day_two` once, after its pip stage and before verification; a failure here fails the
job like any other stage, and the job's clean-up removes the env it created. The kernelspec lives outside the
env, so it is removed here when a later step fails (`undo_day_two`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from .driftguard import CONSTRAINTS, write_guard
from .errors import JobFailed
from .wheelenv import pip_env


def _pip_runner(prefix: Path, on_line: Callable[[str], None], cancel: Any) -> Callable[[list[str], list[str], str], None]:
    from .paths import env_python
    from .procs import Cancelled, run_streaming

    def pip(args: Sequence[str], reqs: Sequence[str], what: str) -> None:
        cmd = [str(env_python(prefix)), "-m", "pip", "install", "--progress-bar", "off", *args, *reqs]
        on_line("$ " + " ".join(cmd))
        errors: list[str] = []

        def line(text: str) -> None:
            on_line(text)
            if text.startswith("ERROR:"):
                errors.append(text[6:].strip())

        code = run_streaming(cmd, on_line=line, cancel=cancel, env=pip_env())
        if cancel is not None and cancel.is_cancelled:
            raise Cancelled()
        if code != 0:
            raise JobFailed("pip", f"pip could not install {what}: {errors[0] if errors else f'exit code {code}'}",
                            "check the extras' index (--extras-index-url) and that you are online")

    return pip


def apply_day_two(spec: Any, prefix: Path, *, on_line: Callable[[str], None], cancel: Any, host: Any = None) -> None:
    """Guard the env's planned builds (constraints, activation scripts, conda pins); add the matching CUDA
    toolchain and the Jupyter kernel when the spec asks for them."""
    prefix = Path(prefix)
    if spec.torch_pins:
        write_guard(spec, prefix)
        on_line(f"drift guard: pip and uv are held to {' '.join(spec.torch_pins)} by {prefix / CONSTRAINTS}")
    runner = _pip_runner(prefix, on_line, cancel)
    cons = ["-c", str(prefix / CONSTRAINTS)] if (prefix / CONSTRAINTS).is_file() else []

    def pip(args: Sequence[str], reqs: Sequence[str], what: str) -> None:
        runner([*args, *cons], list(reqs), what)  # torch stays on its planned build while these go in

    if getattr(spec, "toolchain", False):
        from .toolchain import ToolchainError, add_toolchain

        try:
            add_toolchain(spec, prefix, host=host, on_line=on_line, pip=pip)
        except ToolchainError as exc:
            raise JobFailed("pip", str(exc), "create the environment without --toolchain") from None
    if getattr(spec, "jupyter", False):
        from .kernels import add_kernel

        add_kernel(spec, prefix, on_line=on_line, cancel=cancel, pip=pip)


def with_day_two_options(spec: Any, *, jupyter: bool = False, toolchain: bool = False, host: Any = None,
                         matrix: Any = None) -> tuple[Any, Any]:
    """The spec with the day-two options set, and the toolchain plan (None without --toolchain).

    Raises ToolchainError (a ValueError) with the reason when the build has no matching toolchain."""
    import dataclasses

    plan = None
    if toolchain:
        from .toolchain import plan_toolchain

        if matrix is None:
            from .matrixload import default_matrix

            matrix = default_matrix()
        plan = plan_toolchain(spec, host, matrix)
    return dataclasses.replace(spec, jupyter=jupyter, toolchain=toolchain), plan


def undo_day_two(prefix: Path) -> None:
    """Remove what apply_day_two wrote outside the env (its kernelspec); the env itself is the job's to remove."""
    from .kernels import remove_kernels

    remove_kernels(prefix)
