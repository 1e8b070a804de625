"""Frozen value types shared across the core: what the machine is, what the user wants, what to install.

Nothing here does I/O; detection fills `Host`, the resolver turns `Host` + `Preferences` into a `Resolution`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

# Platform keys used throughout the data file and the resolver: "<os>-<machine>".
OSES = ("linux", "windows", "macos")
MACHINES = ("x86_64", "aarch64", "arm64")


def platform_key(os_name: str, machine: str) -> str:
    """Normalise (os, machine) to the data file's platform key, e.g. ('macos', 'aarch64') -> 'macos-arm64'.

    ARM is 'aarch64' on Linux and 'arm64' on macOS and Windows, as the wheel tags and the schema spell it."""
    m = machine.lower()
    if m in ("amd64", "x64", "x86-64"):
        m = "x86_64"
    if os_name in ("macos", "windows") and m == "aarch64":
        m = "arm64"
    if os_name not in ("macos", "windows") and m == "arm64":
        m = "aarch64"
    return f"{os_name}-{m}"


@dataclass(frozen=True)
class GpuInfo:
    """One GPU as detected (or as described for a hypothetical machine)."""

    index: int
    name: str
    vendor: str = "nvidia"  # nvidia | amd | intel | apple
    cc: str | None = None  # compute capability "9.0" (NVIDIA only)
    arch: str | None = None  # architecture name, e.g. "Hopper"
    memory_mib: int | None = None
    pci: str | None = None
    mig: bool | None = None
    gfx: str | None = None  # AMD gfx target, e.g. "gfx90a"
    driver_loaded: bool = True  # False: seen on the PCI bus, but no working driver

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SourceNote:
    """What one detection source said: 'NVML: 1 GPU', 'nvidia-smi: not found'."""

    source: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class CondaEnv:
    """A conda environment found on disk, read without running anything in it."""

    name: str
    prefix: str
    python: str | None = None
    torch: str | None = None  # e.g. "2.5.1+cu124" or "2.5.1" (conda build string in torch_build)
    torch_build: str | None = None
    installer: str | None = None  # "pip" | "conda"


@dataclass(frozen=True)
class CondaInstall:
    """A conda / mamba / micromamba executable and the env folders it uses."""

    kind: str  # conda | mamba | micromamba
    exe: str
    version: str | None = None
    root_prefix: str | None = None
    envs_dirs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Host:
    """Everything TorchDesk knows about a machine, detected or hypothetical."""

    os: str = "linux"  # linux | windows | macos
    machine: str = "x86_64"
    gpus: tuple[GpuInfo, ...] = ()
    driver: str | None = None  # NVIDIA driver version, e.g. "580.159.04"
    cuda_driver: str | None = None  # CUDA version the driver reports, e.g. "13.0"
    hypothetical: bool = False
    os_release: str | None = None  # "Ubuntu 24.04.3 LTS"
    glibc: str | None = None
    wsl: bool = False
    rocm: str | None = None
    cpu: str | None = None
    ram_mib: int | None = None
    disk_free_mib: int | None = None
    conda: tuple[CondaInstall, ...] = ()
    envs: tuple[CondaEnv, ...] = ()
    sources: tuple[SourceNote, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def platform(self) -> str:
        return platform_key(self.os, self.machine)

    @property
    def nvidia_gpus(self) -> tuple[GpuInfo, ...]:
        return tuple(g for g in self.gpus if g.vendor == "nvidia")

    @property
    def amd_gpus(self) -> tuple[GpuInfo, ...]:
        return tuple(g for g in self.gpus if g.vendor == "amd")


@dataclass(frozen=True)
class Preferences:
    """What the user pinned. None means 'choose for me'."""

    python: str | None = None  # "3.11"
    torch: str | None = None  # a prefix: "2.5" or "2.5.1"
    variant: str | None = None  # "cu126" | "cpu" | "rocm6.2"


class Check(NamedTuple):
    """One link of the why-chain. (A NamedTuple, not a dataclass: the resolver makes hundreds per call.)"""

    check: str  # gpu | driver | python | platform | pin | numpy | data
    ok: bool
    detail: str
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "ok": self.ok, "detail": self.detail, "source": self.source}


@dataclass(frozen=True)
class Plan:
    """One installable combination: exact versions and where pip gets them."""

    torch: str
    variant: str  # cu126 | cpu | rocm6.2 | default (macOS wheels from PyPI)
    python: str
    torchvision: str | None
    torchaudio: str | None
    numpy: str | None  # a specifier such as "<2", or None
    index_url: str | None  # pip --index-url for torch & friends (None: find_links)
    find_links: str | None = None  # old releases: pip -f URL with +cuXYZ local versions
    local_version: str | None = None  # "+cu110" where the wheel's version carries it
    cuda: str | None = None  # CUDA runtime bundled, "12.6"
    python_choices: tuple[str, ...] = ()  # every Python this release supports here

    def pip_requirements(self) -> list[str]:
        """The exact pip requirement strings for torch, torchvision, torchaudio (and numpy)."""
        lv = self.local_version or ""
        reqs = [f"torch=={self.torch}{lv}"]
        if self.torchvision:
            reqs.append(f"torchvision=={self.torchvision}{lv}")
        if self.torchaudio:
            reqs.append(f"torchaudio=={self.torchaudio}{lv}")
        if self.numpy:
            reqs.append(f"numpy{self.numpy}")
        return reqs

    def pip_index_args(self) -> list[str]:
        """Where pip must look for these exact builds: ['--index-url', URL] or ['-f', URL]."""
        if self.find_links:
            return ["-f", self.find_links]
        if self.index_url:
            return ["--index-url", self.index_url]
        return []

    def pip_command(self, python: str = "python") -> str:
        """One copy-pasteable pip line for the torch trio (quoted where the shell needs it)."""
        reqs = [r if "<" not in r and ">" not in r else f'"{r}"' for r in self.pip_requirements()]
        return " ".join([python, "-m", "pip", "install", *reqs, *self.pip_index_args()])

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["python_choices"] = list(self.python_choices)
        return d


class Candidate(NamedTuple):
    """A (release, build) pair the resolver considered: its plan if it passes, its failed checks if not."""

    torch: str
    variant: str
    ok: bool
    checks: tuple[Check, ...]
    plan: Plan | None = None

    @property
    def reasons(self) -> list[str]:
        return [c.detail for c in self.checks if not c.ok]

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"torch": self.torch, "variant": self.variant}
        if self.ok and self.plan is not None:
            d["python"] = self.plan.python
            d["cuda"] = self.plan.cuda
        else:
            d["reasons"] = self.reasons
        return d


@dataclass(frozen=True)
class Resolution:
    """What the resolver decided: the plan, why, and everything else it could have picked."""

    status: str  # ok | no_match
    plan: Plan | None
    checks: tuple[Check, ...]
    alternatives: tuple[Candidate, ...] = ()
    rejected: tuple[Candidate, ...] = ()
    warnings: tuple[str, ...] = ()
    summary: str = ""
    data_version: str = ""
    host: Host = field(default_factory=Host)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "summary": self.summary,
            "plan": self.plan.to_json() if self.plan else None,
            "checks": [c.to_json() for c in self.checks],
            "alternatives": [c.to_json() for c in self.alternatives],
            "rejected": [c.to_json() for c in self.rejected],
            "warnings": list(self.warnings),
            "data_version": self.data_version,
        }


@dataclass(frozen=True)
class SmokeRun:
    """The raw outcome of one run of the smoke script (verify.py runs it, verdicts.py judges it)."""

    report: dict[str, Any] | None
    log: str
    returncode: int | None
    timed_out: bool = False
    cancelled: bool = False
    error: str | None = None  # could not start it at all
    seconds: float = 0.0
    unexpected: str | None = None  # what the environment printed instead of a report, if anything
