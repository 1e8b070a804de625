"""The compatibility data as frozen dataclasses, and the lookups on it.

resources/matrix.json is the knowledge base: CUDA toolkits and their drivers, GPU architectures, GPU models, and
every PyTorch release with its builds. A new PyTorch release is a data change, not a code change.

Here: the version helpers and the data model (Matrix and its lookups). Elsewhere: validation against the schema
(schema.py), building a Matrix from data and loading a file with fallback to the bundled copy (matrixload.py), the
AMD rows (matrixamd.py), and the checks of the tables against each other (matrixcheck.py).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping

from .matrixamd import AmdGpu, RocmRule, amd_index, amd_key


# --- version helpers -------------------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=4096)
def vtuple(v: str) -> tuple[int, ...]:
    """'580.65.06' -> (580, 65, 6). Non-numeric tails are ignored: '2.5.1+cu124' -> (2, 5, 1)."""
    out = []
    for part in v.split("+", 1)[0].split("."):
        m = _DIGITS.match(part)
        if not m:
            break
        out.append(int(m.group()))
    return tuple(out)


def version_matches(version: str, prefix: str) -> bool:
    """Does `version` start with `prefix`, part by part? ('2.5.1' matches '2.5' and '2.5.1', not '2.50')."""
    v, p = vtuple(version), vtuple(prefix)
    return v[: len(p)] == p


@lru_cache(maxsize=1024)
def cc_tuple(cc: str) -> tuple[int, int]:
    """'8.6' -> (8, 6); '9.0a' -> (9, 0)."""
    major, minor = cc.rstrip("af").split(".")
    return int(major), int(minor)


@lru_cache(maxsize=1024)
def sm_name(target: str) -> str:
    """'8.6' -> 'sm_86', '9.0a' -> 'sm_90a', '10.0' -> 'sm_100'."""
    suffix = target[-1] if target[-1] in "af" else ""
    major, minor = cc_tuple(target)
    return f"sm_{major}{minor}{suffix}"


# --- the data model ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str
    accessed: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class PythonRelease:
    version: str
    released: str
    end_of_life: str | None
    source: tuple[str, ...]
    released_on: date = field(default=date.min, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        d = self.released if len(self.released) == 10 else self.released + "-01"
        object.__setattr__(self, "released_on", date.fromisoformat(d))


@dataclass(frozen=True)
class DriverFloor:
    """The oldest driver that supports GPUs of these compute capabilities at all (None: no figure, see note)."""

    cc: tuple[str, ...]
    driver_min: Mapping[str, str] | None
    derived: bool
    l4t: bool
    source: tuple[str, ...]
    first_cuda: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Architecture:
    name: str
    cc: tuple[str, ...]
    nvml: int | None
    bf16: bool
    source: tuple[str, ...]
    driver_floors: tuple[DriverFloor, ...] = ()


@dataclass(frozen=True)
class CudaToolkit:
    version: str
    label: str | None
    released: str | None
    driver_min: Mapping[str, str]
    minor_compat_min: Mapping[str, str] | None
    cc_min: str
    cc_max: str
    dropped: tuple[str, ...]
    source: tuple[str, ...]
    note: str | None = None

    @property
    def major(self) -> int:
        return vtuple(self.version)[0]

    def supports_cc(self, cc: str) -> bool:
        """Can this toolkit's compiler target compute capability `cc` ('9.0a' counts as 9.0)?"""
        t = cc_tuple(cc)
        base = f"{t[0]}.{t[1]}"
        return cc_tuple(self.cc_min) <= t <= cc_tuple(self.cc_max) and base not in self.dropped


@dataclass(frozen=True)
class GpuModel:
    name: str
    cc: str
    segment: str
    aliases: tuple[str, ...]
    memory_mib: int | None
    source: tuple[str, ...]


@dataclass(frozen=True)
class Targets:
    """What one wheel carries for the GPU: SASS (cubins) and PTX per compute capability, or ROCm gfx targets."""

    sass: tuple[str, ...] = ()
    ptx: tuple[str, ...] = ()
    gfx: tuple[str, ...] = ()
    note: str | None = None
    memo: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "memo", {})  # per-object cache of coverage answers (see rules.gpu_coverage)

    def arch_list(self) -> list[str]:
        """As torch.cuda.get_arch_list() prints it: sm_XX for SASS, compute_XX for PTX."""
        return [sm_name(t) for t in self.sass] + ["compute_" + sm_name(t)[3:] for t in self.ptx]


@dataclass(frozen=True)
class Install:
    index_url: str | None = None
    find_links: str | None = None
    local_version: str | None = None


@dataclass(frozen=True)
class Build:
    variant: str
    cuda: str | None
    rocm: str | None
    platforms: Mapping[str, Targets]
    install: Install
    conda: str | None
    source: tuple[str, ...]
    note: str | None = None
    # companions that differ from the release's for this build: {"torchaudio": None} means none for this build
    companions: Mapping[str, str | None] = field(default_factory=dict)
    kind: str = field(default="", init=False)  # cuda | rocm | xpu | cpu, derived
    source_text: str = field(default="", init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _build_kind(self.variant, self.cuda, self.rocm))
        object.__setattr__(self, "source_text", ", ".join(self.source))


def _build_kind(variant: str, cuda: str | None, rocm: str | None) -> str:
    if cuda:
        return "cuda"
    if rocm or variant.startswith("rocm"):
        return "rocm"
    if variant == "xpu":
        return "xpu"
    return "cpu"


@dataclass(frozen=True)
class TorchRelease:
    version: str
    released: str
    python: tuple[str, ...]
    requires_python: str | None
    torchvision: str | None
    torchaudio: str | None
    numpy: str | None
    default_variant: Mapping[str, str]
    builds: tuple[Build, ...]
    source: tuple[str, ...]
    note: str | None = None

    def build(self, variant: str) -> Build | None:
        for b in self.builds:
            if b.variant == variant:
                return b
        return None

    def companion(self, build: Build | None, name: str) -> str | None:
        """torchvision/torchaudio for this build: the build's own entry if it has one, else the release's."""
        if build is not None and name in build.companions:
            return build.companions[name]
        value: str | None = getattr(self, name)
        return value


def norm_gpu_name(name: str) -> str:
    n = re.sub(r"\s+", " ", name.strip().lower())
    if n.startswith("nvidia "):
        n = n[len("nvidia "):]
    # NVML names Turing/Pascal laptop parts "... with Max-Q Design" (e.g. "NVIDIA GeForce RTX 2070 with Max-Q
    # Design"); the chip, and so the compute capability, is the one of the model without the suffix
    if n.endswith(" with max-q design"):
        n = n[: -len(" with max-q design")]
    return n


_BRANDS = ("geforce ", "tesla ", "quadro ", "titan ")


def _short_name(norm: str) -> str:
    """'geforce rtx 4090' -> 'rtx 4090': the brand word people leave out."""
    for b in _BRANDS[:3]:
        if norm.startswith(b):
            return norm[len(b):]
    return norm


@dataclass(frozen=True)
class Matrix:
    data_version: str
    sources: Mapping[str, Source]
    python_releases: tuple[PythonRelease, ...]
    architectures: tuple[Architecture, ...]
    cuda_toolkits: tuple[CudaToolkit, ...]
    gpus: tuple[GpuModel, ...]
    releases: tuple[TorchRelease, ...]  # newest first
    packages: Mapping[str, tuple[str, ...]]
    env_size_mib: Mapping[str, int]
    notes: tuple[str, ...] = ()
    file: str = ""
    amd_gpus: tuple[AmdGpu, ...] = ()
    rocm_rule: RocmRule | None = None
    _gpu_index: dict[str, GpuModel] = field(default_factory=dict, compare=False, repr=False)
    _cc_index: dict[str, Architecture] = field(default_factory=dict, compare=False, repr=False)
    _short_index: dict[str, GpuModel | None] = field(default_factory=dict, compare=False, repr=False)
    _release_index: dict[str, TorchRelease] = field(default_factory=dict, compare=False, repr=False)
    _cuda_index: dict[tuple[int, ...], CudaToolkit] = field(default_factory=dict, compare=False, repr=False)
    _python_index: dict[str, PythonRelease] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for r in self.releases:
            self._release_index.setdefault(r.version, r)
        for t in self.cuda_toolkits:
            self._cuda_index.setdefault(vtuple(t.version)[:2], t)
        for p in self.python_releases:
            self._python_index.setdefault(p.version, p)
        for g in self.gpus:
            for n in (g.name, *g.aliases):
                self._gpu_index.setdefault(norm_gpu_name(n), g)
        for g in self.gpus:
            for n in (g.name, *g.aliases):
                short = _short_name(norm_gpu_name(n))
                if short in self._gpu_index:
                    continue
                prev = self._short_index.get(short, g)
                self._short_index[short] = g if prev is g else None  # None: ambiguous
        for a in self.architectures:
            for cc in a.cc:
                self._cc_index.setdefault(cc, a)

    # lookups used by detection, the resolver, the verifier and the UI
    def find_gpu(self, name: str) -> GpuModel | None:
        """Case-insensitive lookup by name or alias; 'NVIDIA ' and the GeForce/Tesla/Quadro brand are optional."""
        key = norm_gpu_name(name)
        return self._gpu_index.get(key) or self._short_index.get(_short_name(key))

    def find_gpu_exact(self, name: str) -> GpuModel | None:
        """Lookup by the full name or alias only ('NVIDIA ' optional): no brand-less short form."""
        return self._gpu_index.get(norm_gpu_name(name))

    def suggest_gpus(self, name: str, n: int = 5) -> list[str]:
        """Close names for an unknown GPU, for the error message."""
        key = norm_gpu_name(name)
        names = {norm_gpu_name(g.name): g.name for g in self.gpus}
        names.update({norm_gpu_name(a): g.name for g in self.gpus for a in g.aliases})
        close = difflib.get_close_matches(key, list(names), n=n, cutoff=0.5)
        contains = [k for k in names if key and (key in k)]
        seen: list[str] = []
        for k in contains[:n] + close:
            if names[k] not in seen:
                seen.append(names[k])
        return seen[:n]

    def find_amd_gpu(self, name: str) -> AmdGpu | None:
        """Case-insensitive lookup of an AMD model by name or alias; 'AMD ' and 'Radeon ' are optional."""
        return amd_index(self.amd_gpus).get(amd_key(name))

    def suggest_amd_gpus(self, name: str, n: int = 5) -> list[str]:
        """Close AMD model names for an unknown GPU, for the error message."""
        names = {amd_key(a): g.name for g in self.amd_gpus for a in (g.name, *g.aliases)}
        key = amd_key(name)
        close = difflib.get_close_matches(key, list(names), n=n, cutoff=0.6)
        out: list[str] = []
        for k in [k for k in names if key and key in k][:n] + close:
            if names[k] not in out:
                out.append(names[k])
        return out[:n]

    def amd_models_for_gfx(self, gfx: str) -> list[AmdGpu]:
        """Every AMD model in the table with this gfx target."""
        return [g for g in self.amd_gpus if g.gfx == gfx]

    def arch_for_cc(self, cc: str) -> Architecture | None:
        cc = "{}.{}".format(*cc_tuple(cc))
        return self._cc_index.get(cc)

    def arch_by_nvml(self, value: int) -> Architecture | None:
        for a in self.architectures:
            if a.nvml == value:
                return a
        return None

    def cuda(self, version: str) -> CudaToolkit | None:
        return self._cuda_index.get(vtuple(version)[:2])

    def release(self, version: str) -> TorchRelease | None:
        return self._release_index.get(version)

    def python_release(self, version: str) -> PythonRelease | None:
        return self._python_index.get(version)

    def source_title(self, ids: Iterable[str]) -> str:
        return "; ".join(self.sources[i].title for i in ids if i in self.sources)

    def iter_builds(self) -> Iterator[tuple[TorchRelease, Build]]:
        for r in self.releases:
            for b in r.builds:
                yield r, b
