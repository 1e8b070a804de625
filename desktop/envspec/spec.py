"""The spec: everything needed to build one environment, engine-independent, and the ways to make one.

Extras are kept apart from torch's pins and index: TorchDesk itself installs torch from its index alone and
the extras in a second pip run (with torch held by its pins). The file and shell formats of a spec live beside
this module (yml_read, yml_write, shell).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from ..errors import TorchDeskError
from ..mirrors import PYPI_SIMPLE, PYTORCH_INDEX, MirrorChoice, conda_channel, pypi_index, torch_source
from ..model import Plan

TORCH_PACKAGES = ("torch", "torchvision", "torchaudio")
DEFAULT_CHANNELS = ("conda-forge",)

_NAME_RX = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")
# A conda match spec as users type it: name, then version/build constraints. No shell metacharacters.
_CONDA_SPEC_RX = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(\s*[=<>!~]{0,2}\s*[A-Za-z0-9_.*+,|=<>!~ ]*)?$")
_VARIANT_RX = re.compile(r"^(cu\d{2,3}|cpu|rocm\d+(\.\d+)*|xpu)$")
_LABELLED_RX = re.compile(r"^(cu\d{2,3}|rocm\d+(\.\d+)*)$")
RESERVED_NAMES = ("base", "root")


class EnvSpecError(TorchDeskError, ValueError):
    """A spec or an environment.yml that cannot be used: the message says which part and why."""


@dataclass(frozen=True)
class EnvSpec:
    """Everything needed to build one environment, engine-independent. Exactly one of name / prefix is set."""

    python: str  # "3.11"
    name: str | None = None
    prefix: str | None = None
    torch_pins: tuple[str, ...] = ()  # exact: "torch==2.4.1+cu121", "torchvision==0.19.1+cu121", ...
    index_url: str | None = None  # torch's index (--index-url); None: pip's default (PyPI)
    find_links: str | None = None  # torch's flat wheel page (-f), old releases and some mirrors
    numpy: str | None = None  # a specifier such as "<2"
    pip_extras: tuple[str, ...] = ()  # the user's extra pip packages, installed after torch
    extras_index_url: str | None = None  # where the extras come from; None: PyPI
    pip_options: tuple[str, ...] = ()  # other pip options read from a file (--pre, --trusted-host h), kept as-is
    conda_extras: tuple[str, ...] = ()
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    variant: str | None = None  # cu121 | cpu | rocm6.2 | default
    cuda: str | None = None
    mirrors: MirrorChoice | None = None
    jupyter: bool = False  # also install ipykernel and register a Jupyter kernel (desktop/kernels.py)
    toolchain: bool = False  # also install the matching CUDA toolchain (desktop/toolchain.py)

    # --- derived ----------------------------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """The name, or the prefix for a prefix env."""
        return self.name or self.prefix or "?"

    def pin_version(self, package: str) -> str | None:
        """The exact version pinned for `package`, local label included: '2.4.1+cu121'."""
        for pin in self.torch_pins:
            n, _, v = pin.partition("==")
            if n.strip().lower() == package:
                return v.strip()
        return None

    @property
    def torch(self) -> str | None:
        return self.pin_version("torch")

    def conda_specs(self) -> list[str]:
        """The conda part: python X.Y, pip, then the user's extras (conda match-spec syntax)."""
        return [f"python={self.python}", "pip", *self.conda_extras]

    def torch_requirements(self) -> list[str]:
        """What the first pip run installs from torch's index: the pins and the numpy constraint."""
        reqs = list(self.torch_pins)
        if self.numpy:
            reqs.append(f"numpy{self.numpy}")
        return reqs

    def torch_index_args(self) -> list[str]:
        """pip options that say where torch comes from, and nothing wider."""
        args: list[str] = []
        if self.index_url:
            args += ["--index-url", self.index_url]
        if self.find_links:
            args += ["--find-links", self.find_links]
        return args + self._option_args()

    def _option_args(self) -> list[str]:
        return [a for opt in self.pip_options for a in shlex.split(opt)]

    def extras_index_args(self) -> list[str]:
        args = ["--index-url", self.extras_index_url] if self.extras_index_url else []
        return args + self._option_args()

    def to_plan(self) -> Plan | None:
        """The Plan this spec installs, for checking it against a machine; None if it pins no torch."""
        torch = self.torch
        if torch is None:
            return None
        base, _, local = torch.partition("+")
        vision = self.pin_version("torchvision")
        audio = self.pin_version("torchaudio")
        variant = self.variant or variant_from(local, self.index_url, self.find_links) or "default"
        return Plan(
            torch=base,
            variant=variant,
            python=self.python,
            torchvision=vision.partition("+")[0] if vision else None,
            torchaudio=audio.partition("+")[0] if audio else None,
            numpy=self.numpy,
            index_url=self.index_url,
            find_links=self.find_links,
            local_version=f"+{local}" if local and self.find_links and not self.index_url else None,
            cuda=self.cuda,
        )


# --- validation ---------------------------------------------------------------------------------------------------

def validate_env_name(name: str) -> str:
    """Return `name` if it is a usable env name: letters, digits, . _ -; no path separators or shell metacharacters."""
    if not name:
        raise EnvSpecError("the environment name is empty: give a name such as -n torch-work")
    if len(name) > 64:
        raise EnvSpecError(f"environment name {short_repr(name, 40)} is {len(name)} characters long: "
                           "use at most 64 letters, digits, '.', '_' and '-'")
    if not _NAME_RX.match(name):
        raise EnvSpecError(
            f"environment name {short_repr(name)} is not allowed: use letters, digits, '.', '_' and '-' "
            "(no spaces, path separators or shell characters), at most 64 characters"
        )
    if name.lower() in RESERVED_NAMES:
        raise EnvSpecError(f"environment name {name!r} is reserved by conda; pick another")
    return name


def _check_pip_extra(req: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement

    text = req.strip()
    if text.startswith("-"):
        raise EnvSpecError(f"extra pip package {text!r} looks like a pip option; extras cannot change where packages come from")
    try:
        parsed = Requirement(text)
    except InvalidRequirement as exc:
        raise EnvSpecError(f"extra pip package {text!r} is not a valid requirement: {exc}") from None
    if parsed.name.lower() in TORCH_PACKAGES:
        raise EnvSpecError(f"{parsed.name} is pinned by the plan; choose its version with --torch / --variant, not as an extra")
    return text


def _check_conda_extra(spec: str) -> str:
    text = spec.strip()
    if not _CONDA_SPEC_RX.match(text):
        raise EnvSpecError(f"extra conda package {text!r} is not a conda match spec such as 'ffmpeg' or 'libjpeg-turbo>=3'")
    if re.split(r"[\s=<>!~]", text, maxsplit=1)[0].lower() in ("python", "pip"):
        raise EnvSpecError(f"{text!r}: python and pip are set by the plan; choose Python with --python")
    return text


# --- Plan -> EnvSpec ----------------------------------------------------------------------------------------------

def spec_from_plan(
    plan: Plan,
    *,
    name: str | None,
    extras: Iterable[str] = (),
    conda_extras: Iterable[str] = (),
    mirrors: MirrorChoice | None = None,
    prefix: str | None = None,
) -> EnvSpec:
    """The EnvSpec that installs `plan`, with the user's extras kept apart and mirrors applied."""
    if (name is None) == (prefix is None):
        raise EnvSpecError("give exactly one of a name or a prefix")
    if name is not None:
        validate_env_name(name)
    index_url, find_links = torch_source(mirrors, plan.variant, plan.index_url, plan.find_links)
    if plan.index_url and plan.index_url.rstrip("/") == PYPI_SIMPLE and mirrors and mirrors.pypi:
        index_url = pypi_index(mirrors)  # torch from PyPI (macOS): the PyPI mirror serves it too
    pins = tuple(r for r in plan.pip_requirements() if r.split("==")[0] in TORCH_PACKAGES)
    if plan.local_version is None and _LABELLED_RX.match(plan.variant) and plan.index_url \
            and plan.index_url.startswith(PYTORCH_INDEX):
        # Every CUDA / ROCm wheel on PyTorch's index carries its build as a local label (torch-2.4.1+cu121-...).
        # Pinning the label makes the pin exact, so no other index (an extra one for the user's extras, a
        # PyPI mirror) can hand over a different build of the same version.
        pins = tuple(f"{p}+{plan.variant}" for p in pins)
    channels = tuple(conda_channel(mirrors, c) for c in DEFAULT_CHANNELS)
    return EnvSpec(
        python=plan.python,
        name=name,
        prefix=prefix,
        torch_pins=pins,
        index_url=index_url,
        find_links=find_links,
        numpy=plan.numpy,
        pip_extras=tuple(_check_pip_extra(e) for e in extras),
        extras_index_url=pypi_index(mirrors),
        conda_extras=tuple(_check_conda_extra(c) for c in conda_extras),
        channels=channels,
        variant=plan.variant,
        cuda=plan.cuda,
        mirrors=mirrors if mirrors is not None and not mirrors.is_default() else None,
    )


# --- what a spec will use, for the confirmation; credentials ------------------------------------------------------

def describe_sources(spec: EnvSpec) -> list[str]:
    """Every channel, index, find-links page and pip option the job will use: what the user agrees to."""
    from ..secrets import mask_text

    lines = [f"  conda channels: {' '.join(spec.channels)}",
             f"  conda packages: {' '.join(spec.conda_specs())}"]
    if spec.torch_requirements():
        lines.append(f"  pip install {' '.join(spec.torch_requirements())}")
        lines.append(f"    from: {' '.join(spec.torch_index_args()) or 'PyPI (pip default index)'}")
    if spec.pip_extras:
        lines.append(f"  pip install {' '.join(spec.pip_extras)}  (torch held at its pins)")
        lines.append(f"    from: {' '.join(spec.extras_index_args()) or 'PyPI (pip default index)'}")
    return [mask_text(line) for line in lines]


def without_credentials(spec: EnvSpec) -> EnvSpec:
    """The same spec with user names, passwords and tokens taken out of every URL (for files meant to be kept)."""
    from ..secrets import strip_credentials, strip_credentials_text

    def clean(url: str | None) -> str | None:
        return strip_credentials(url) if url else url

    return replace(spec, index_url=clean(spec.index_url), find_links=clean(spec.find_links),
                   extras_index_url=clean(spec.extras_index_url),
                   pip_options=tuple(strip_credentials_text(o) for o in spec.pip_options),
                   pip_extras=tuple(strip_credentials_text(e) for e in spec.pip_extras),
                   channels=tuple(clean(c) or c for c in spec.channels))


def spec_has_credentials(spec: EnvSpec) -> bool:
    """True if any URL in the spec carries a user name, password or token."""
    return without_credentials(spec) != spec


# --- the same spec aimed elsewhere -------------------------------------------------------------------------------

def with_target(spec: EnvSpec, *, name: str | None = None, prefix: str | None = None) -> EnvSpec:
    """The same spec aimed at another name or prefix."""
    if name is not None:
        return replace(spec, name=validate_env_name(name), prefix=None)
    if prefix is not None:
        return replace(spec, name=None, prefix=prefix)
    return spec


def with_sources(spec: EnvSpec, *, channels: Sequence[str] | None = None, index_url: str | None = None,
                 extras_index_url: str | None = None) -> EnvSpec:
    """Point the spec at other package sources (a local channel, a private index): --channel / --pip-index-url."""
    out = spec
    if channels:
        out = replace(out, channels=tuple(channels))
    if index_url:
        out = replace(out, index_url=index_url, find_links=None)
    if extras_index_url:
        out = replace(out, extras_index_url=extras_index_url)
    return out


# --- small helpers the formats share --------------------------------------------------------------------------

def short_repr(value: object, limit: int = 80) -> str:
    """repr(value) cut to `limit` characters, for error messages about hostile input."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "...'"


def variant_from(local: str | None, index_url: str | None, find_links: str | None) -> str | None:
    """The build variant (cu121, cpu, rocm6.2, xpu) from a local version label or an index URL's last part."""
    if local and _VARIANT_RX.match(local):
        return local
    for url in (index_url, find_links):
        if url:
            tail = url.rstrip("/").rsplit("/", 1)[-1]
            if _VARIANT_RX.match(tail):
                return tail
    return None
