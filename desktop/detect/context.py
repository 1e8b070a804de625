"""What the detection sources share: the facts found so far (`Context`), the `Source` entry, GPU naming.

Each source is a `Source(name, read)`; `read(probe, ctx)` records what it found in `ctx` and returns the
`SourceNote`s that say what it tried. `host.SOURCES` lists them in the order they run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from ..model import CondaEnv, CondaInstall, GpuInfo, SourceNote
from .probe import Probe


class Lookup:
    """The GPU table, loaded lazily: the data file is read only when a GPU needs naming."""

    def __init__(self, matrix: Any) -> None:
        self._m = matrix
        self._loaded = matrix is not None and not callable(matrix)
        self.warning: str | None = None

    def matrix(self) -> Any:
        """The matrix (or the test's stand-in); None when it cannot be loaded (then `warning` says why)."""
        if not self._loaded:
            self._loaded = True
            try:
                if callable(self._m):
                    self._m = self._m()
                else:
                    from ..matrix import default_matrix

                    self._m = default_matrix()
            except Exception as exc:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
                self._m = None
                self.warning = f"compatibility data unavailable, GPU names not looked up: {exc}"
        return self._m

    def cc_for_name(self, name: str) -> str | None:
        """The compute capability of a GPU named `name`, from the GPU table."""
        m = self.matrix()
        g = m.find_gpu(name) if m is not None else None
        return g.cc if g is not None else None

    def arch(self, cc: str | None, nvml_arch: int | None = None) -> str | None:
        """The architecture name for NVML's architecture number, else for the compute capability."""
        m = self.matrix()
        if m is None:
            return None
        try:
            a = m.arch_by_nvml(nvml_arch) if nvml_arch is not None else None
            if a is None and cc:
                a = m.arch_for_cc(cc)
        except Exception:  # noqa: BLE001 - a failed probe is a note, never a crash of detection
            return None
        return a.name if a is not None else None


def complete_gpu(g: GpuInfo, lookup: Lookup) -> GpuInfo:
    """Fill cc from the GPU table when the source had none, and the architecture name from cc."""
    if g.vendor != "nvidia":
        return g
    cc = g.cc or lookup.cc_for_name(g.name)
    arch = g.arch or lookup.arch(cc)
    return replace(g, cc=cc, arch=arch)


@dataclass
class Context:
    """The facts the sources have found so far; the last source's word on a field is the one the Host gets."""

    timeout: float
    env: dict[str, str]
    lookup: Lookup
    system: str
    machine: str
    warnings: list[str] = field(default_factory=list)
    gpus_override: tuple[GpuInfo, ...] | None = None
    driver_override: str | None = None
    wsl: bool = False
    driver: str | None = None
    cuda_driver: str | None = None
    gpus: tuple[GpuInfo, ...] = ()
    have_gpus: bool = False  # an NVIDIA source answered (even with no GPU): the next ones are not asked
    rocm: str | None = None
    os_release: str | None = None
    glibc: str | None = None
    cpu: str | None = None
    ram_mib: int | None = None
    disk_free_mib: int | None = None
    conda: tuple[CondaInstall, ...] = ()
    envs: tuple[CondaEnv, ...] = ()

    @property
    def nvidia_skipped(self) -> bool:
        """No NVIDIA source is asked: both GPUs and driver are overridden, or the OS is macOS."""
        return (self.gpus_override is not None and self.driver_override is not None) or self.system == "macos"


@dataclass(frozen=True)
class Source:
    """One detection source: its name (for the note when it fails) and the function that reads it."""

    name: str
    read: Callable[[Probe, Context], list[SourceNote]]
