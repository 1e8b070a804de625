"""EnvSpec -> POSIX shell commands for copy/paste: conda create, then the env's own pip, twice."""

from __future__ import annotations

import shlex

from .spec import EnvSpec


def shell_commands(spec: EnvSpec, *, conda: str = "conda") -> list[str]:
    """The same plan as POSIX shell commands for copy/paste (conda, then the env's own pip, twice)."""
    q = shlex.quote
    target = ["-n", spec.name] if spec.name else ["-p", spec.prefix or ""]
    chans: list[str] = []
    for c in spec.channels:
        chans += ["-c", c]
    create = [conda, "create", "-y", *target, "--override-channels", *chans, *spec.conda_specs()]
    run = [conda, "run", *target, "python", "-m", "pip", "install"]
    cmds = [" ".join(q(a) for a in create)]
    if spec.torch_requirements():
        cmds.append(" ".join(q(a) for a in [*run, *spec.torch_index_args(), *spec.torch_requirements()]))
    if spec.pip_extras:
        # torch's pins ride along so the extras cannot move torch off the chosen build.
        cmds.append(" ".join(q(a) for a in [*run, *spec.extras_index_args(), *spec.pip_extras, *spec.torch_pins]))
    return cmds
