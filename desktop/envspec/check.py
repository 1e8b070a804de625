"""A spec against a machine (will it run here?), and an existing environment back to its environment.yml."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import Check, Host
from .spec import EnvSpec, EnvSpecError, spec_from_plan
from .yml_load import MAX_YML_BYTES
from .yml_write import write_environment_yml
from ..paths import SPEC_RECORD


@dataclass(frozen=True)
class SpecCheck:
    """Whether an imported spec runs here: ok is None when it could not be checked."""

    ok: bool | None
    summary: str
    checks: tuple[Check, ...] = field(default_factory=tuple)


def describe_host(host: Host) -> str:
    """'your RTX 5090', 'your 2 GPUs (A100, RTX 4090)', 'this machine (no NVIDIA GPU)'."""
    gpus = host.nvidia_gpus
    who = "that machine" if host.hypothetical else "this machine"
    if not gpus:
        return f"{who} (no NVIDIA GPU)"
    names = sorted({g.name.replace("NVIDIA ", "").replace("GeForce ", "") for g in gpus})
    owner = "the" if host.hypothetical else "your"
    if len(gpus) == 1:
        return f"{owner} {names[0]}"
    return f"{owner} {len(gpus)} GPUs ({', '.join(names)})"


def check_spec(spec: EnvSpec, host: Host, matrix: Any) -> SpecCheck:
    """'this yml asks for torch 2.4.1+cu121, and it will / will not run on your RTX 5090 because ...'."""
    plan = spec.to_plan()
    where = describe_host(host)
    if plan is None:
        return SpecCheck(None, f"this yml pins no torch build, so there is nothing to check against {where}")
    asks = f"this yml asks for torch {spec.torch}" + (f" on Python {spec.python}")
    from ..resolve import check_plan

    checks = tuple(check_plan(matrix, host, plan))
    failed = [c for c in checks if not c.ok]
    if not failed:
        return SpecCheck(True, f"{asks}, and it will run on {where}", checks)
    because = "; ".join(c.detail for c in failed)
    return SpecCheck(False, f"{asks}, and it will not run on {where} because {because}", checks)


def export_env_yml(prefix: Path | str, *, matrix: Any = None, host: Host | None = None) -> str:
    """environment.yml text that rebuilds an existing environment.

    An env TorchDesk built carries the file it was built from (conda-meta/torchdesk-environment.yml): that is
    returned as it is. For any other env, Python and torch are read off its files (nothing is run) and the
    matching release and build are looked up in the compatibility data.
    """
    from ..detect.conda import read_env
    from ..resolve import plan_for

    p = Path(prefix)
    recorded = p / SPEC_RECORD
    if recorded.is_file():
        from ..secrets import strip_credentials_text

        with open(recorded, "rb") as f:
            raw = f.read(MAX_YML_BYTES + 1)
        if len(raw) > MAX_YML_BYTES:
            raise EnvSpecError(f"{recorded} is larger than {MAX_YML_BYTES // 1024} KiB: it is not the file "
                               "TorchDesk wrote; delete it to export from the environment's packages instead")
        # Older records (and hand-edited ones) may still carry a token: the export never does.
        return strip_credentials_text(raw.decode("utf-8", errors="replace"))
    env = read_env(p, p.name)
    if not env.python:
        raise EnvSpecError(f"{p} has no Python in conda-meta/: is it a conda environment?")
    if not env.torch:
        raise EnvSpecError(f"{p} has no torch installed: there is no PyTorch build to export")
    if matrix is None:
        from ..matrixload import default_matrix

        matrix = default_matrix()
    version, _, local = env.torch.partition("+")
    python = ".".join(env.python.split(".")[:2])
    if host is None:
        host = Host(os={"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux"))
    variant = local or None
    if variant is None:
        release = matrix.release(version)
        variant = release.default_variant.get(host.platform) if release else None
    plan = plan_for(matrix, host, version, variant or "", python) if variant else None
    if plan is None:
        raise EnvSpecError(
            f"torch {env.torch} in {p} is not in the compatibility data ({matrix.data_version}): "
            "TorchDesk cannot tell which index serves that build"
        )
    return write_environment_yml(spec_from_plan(plan, name=env.name))
