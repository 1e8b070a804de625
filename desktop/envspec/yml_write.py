"""EnvSpec -> environment.yml.

The file is one stock conda can rebuild with `conda env create -f environment.yml`: conda-forge, python and
pip as conda packages, the user's extra conda packages, and a `pip:` section that carries the torch build's
index option (the part `conda env export` drops), exact torch/torchvision/torchaudio pins, the numpy
constraint, then the user's extra pip packages.

TorchDesk itself installs torch from its index alone and the extras in a second pip run. Stock conda runs one
pip install, so when there are extras the file adds their index as `--extra-index-url` and says so; torch
stays held by exact pins.
"""

from __future__ import annotations

from ..mirrors import PYPI_SIMPLE
from .spec import EnvSpec


def _q(value: str) -> str:
    """A YAML scalar for `value`, quoted only where YAML needs it."""
    import yaml

    out = yaml.safe_dump([value], default_flow_style=False, width=10_000)
    return out[2:].rstrip("\n")


def _pip_extras_index_line(spec: EnvSpec) -> str | None:
    """The extras' index as stock conda's single pip run needs it, or None when pip's default already serves them."""
    if not spec.pip_extras:
        return None
    wanted = spec.extras_index_url or PYPI_SIMPLE
    primary = spec.index_url or PYPI_SIMPLE
    if wanted.rstrip("/") == primary.rstrip("/"):
        return None
    return f"--extra-index-url {wanted}"


def write_environment_yml(spec: EnvSpec) -> str:
    """environment.yml text that stock `conda env create -f` rebuilds, index options and all."""
    lines: list[str] = []
    meta = []
    if spec.variant:
        meta.append(f"variant={spec.variant}")
    if spec.cuda:
        meta.append(f"cuda={spec.cuda}")
    if spec.torch:
        lines.append(f"# torch {spec.torch} for Python {spec.python}, written by TorchDesk.")
    lines.append("# Rebuild with: conda env create -f environment.yml")
    if meta:
        lines.append(f"# torchdesk: {' '.join(meta)}")
    if spec.name:
        lines.append(f"name: {_q(spec.name)}")
    else:
        lines.append(f"prefix: {_q(spec.prefix or '')}")
    lines.append("channels:")
    lines += [f"  - {_q(c)}" for c in spec.channels]
    lines.append("dependencies:")
    lines += [f"  - {_q(d)}" for d in spec.conda_specs()]
    pip_lines: list[str] = []
    if spec.index_url:
        pip_lines.append(f"--index-url {spec.index_url}")
    if spec.find_links:
        pip_lines.append(f"--find-links {spec.find_links}")
    extra_idx = _pip_extras_index_line(spec)
    if extra_idx:
        pip_lines.append(extra_idx)
    pip_lines += list(spec.pip_options)
    pip_lines += spec.torch_requirements()
    if pip_lines or spec.pip_extras:
        lines.append("  - pip:")
        lines += [f"      - {_q(p)}" for p in pip_lines]
        if spec.pip_extras:
            if extra_idx:
                lines.append("      # your extra packages (their index is added above; torch stays on its exact pins)")
            else:
                lines.append("      # your extra packages")
            lines += [f"      - {_q(p)}" for p in spec.pip_extras]
    return "\n".join(lines) + "\n"
