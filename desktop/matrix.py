"""Load and validate resources/matrix.json into frozen dataclasses.

The data file is the knowledge base: CUDA toolkits and their drivers, GPU architectures, GPU models, and every
PyTorch release with its builds. A new PyTorch release is a data change, not a code change.

Validation against resources/matrix.schema.json lives in schema.py; this module builds the data model, loads
with fallback to the bundled copy, and checks the tables against each other.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

# SCHEMA, MatrixError and validate_data are also imported from here by callers.
from .schema import RESOURCES, SCHEMA, MatrixError, validate_data  # noqa: F401

BUNDLED_MATRIX = RESOURCES / "matrix.json"


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
class Architecture:
    name: str
    cc: tuple[str, ...]
    nvml: int | None
    bf16: bool
    source: tuple[str, ...]


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
        object.__setattr__(self, "memo", {})  # per-object cache of coverage answers (see resolve.gpu_coverage)

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


def _norm_name(name: str) -> str:
    n = re.sub(r"\s+", " ", name.strip().lower())
    if n.startswith("nvidia "):
        n = n[len("nvidia "):]
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
                self._gpu_index.setdefault(_norm_name(n), g)
        for g in self.gpus:
            for n in (g.name, *g.aliases):
                short = _short_name(_norm_name(n))
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
        key = _norm_name(name)
        return self._gpu_index.get(key) or self._short_index.get(_short_name(key))

    def suggest_gpus(self, name: str, n: int = 5) -> list[str]:
        """Close names for an unknown GPU, for the error message."""
        key = _norm_name(name)
        names = {_norm_name(g.name): g.name for g in self.gpus}
        names.update({_norm_name(a): g.name for g in self.gpus for a in g.aliases})
        close = difflib.get_close_matches(key, list(names), n=n, cutoff=0.5)
        contains = [k for k in names if key and (key in k)]
        seen: list[str] = []
        for k in contains[:n] + close:
            if names[k] not in seen:
                seen.append(names[k])
        return seen[:n]

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


# --- building the dataclasses -----------------------------------------------------------------------------------

def _targets(d: Mapping[str, Any]) -> Targets:
    return Targets(tuple(d.get("sass", ())), tuple(d.get("ptx", ())), tuple(d.get("gfx", ())), d.get("note"))


def _build(d: Mapping[str, Any]) -> Build:
    inst = d["install"]
    return Build(
        variant=d["variant"],
        cuda=d.get("cuda"),
        rocm=d.get("rocm"),
        platforms={k: _targets(v) for k, v in d["platforms"].items()},
        install=Install(inst.get("index_url"), inst.get("find_links"), inst.get("local_version")),
        conda=d.get("conda"),
        source=tuple(d["source"]),
        note=d.get("note"),
    )


def matrix_from_data(data: Mapping[str, Any], file: str = "") -> Matrix:
    """Turn already-validated data into a Matrix (releases sorted newest first)."""
    releases = [
        TorchRelease(
            version=r["version"],
            released=r["released"],
            python=tuple(sorted(r["python"], key=vtuple)),
            requires_python=r.get("requires_python"),
            torchvision=r["torchvision"],
            torchaudio=r["torchaudio"],
            numpy=r["numpy"],
            default_variant=dict(r["default_variant"]),
            builds=tuple(_build(b) for b in r["builds"]),
            source=tuple(r["source"]),
            note=r.get("note"),
        )
        for r in data["torch_releases"]
    ]
    releases.sort(key=lambda r: vtuple(r.version), reverse=True)
    toolkits = [
        CudaToolkit(
            version=t["version"],
            label=t.get("label"),
            released=t.get("released"),
            driver_min=dict(t["driver_min"]),
            minor_compat_min=dict(t["minor_compat_min"]) if t.get("minor_compat_min") else None,
            cc_min=t["cc_min"],
            cc_max=t["cc_max"],
            dropped=tuple(t.get("dropped", ())),
            source=tuple(t["source"]),
            note=t.get("note"),
        )
        for t in data["cuda_toolkits"]
    ]
    toolkits.sort(key=lambda t: vtuple(t.version))
    return Matrix(
        data_version=data["data_version"],
        sources={k: Source(k, v["title"], v["url"], v.get("accessed"), v.get("note")) for k, v in data["sources"].items()},
        python_releases=tuple(
            sorted(
                (PythonRelease(p["version"], p["released"], p.get("end_of_life"), tuple(p["source"])) for p in data["python_releases"]),
                key=lambda p: vtuple(p.version),
            )
        ),
        architectures=tuple(
            Architecture(a["name"], tuple(a["cc"]), a.get("nvml"), bool(a.get("bf16", False)), tuple(a["source"]))
            for a in data["architectures"]
        ),
        cuda_toolkits=tuple(toolkits),
        gpus=tuple(
            GpuModel(g["name"], g["cc"], g["segment"], tuple(g.get("aliases", ())), g.get("memory_mib"), tuple(g["source"]))
            for g in data["gpus"]
        ),
        releases=tuple(releases),
        packages={k: tuple(v["versions"]) for k, v in data["packages"].items()},
        env_size_mib=dict(data["env_size_mib"]),
        notes=tuple(data.get("notes", ())),
        file=file,
    )


def load_matrix(path: Path | str | None = None) -> Matrix:
    """Read, validate and build the matrix from `path` (default: the bundled copy). Raises MatrixError."""
    p = Path(path) if path is not None else BUNDLED_MATRIX
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise MatrixError(p, "$", f"cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise MatrixError(p, "$", f"not UTF-8 text (byte {exc.start}): is it really matrix.json?") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MatrixError(p, "$", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    validate_data(data, p)
    return matrix_from_data(data, str(p))


@dataclass(frozen=True)
class LoadedMatrix:
    """A matrix plus what happened on the way: which file was used, and why others were not."""

    matrix: Matrix
    path: str
    warnings: tuple[str, ...]


def load_matrix_with_fallback(*candidates: Path | str | None) -> LoadedMatrix:
    """Try each user-supplied or downloaded copy in order; fall back to the bundled copy when one is invalid.

    Never raises for a bad user copy: the problem becomes a warning. Only a broken bundled copy raises.
    """
    warnings: list[str] = []
    for c in candidates:
        if c is None:
            continue
        p = Path(c)
        if not p.exists():
            continue
        try:
            m = load_matrix(p)
        except MatrixError as exc:
            warnings.append(f"ignored {exc} - using the bundled data instead")
            continue
        # The schema cannot see cross-table mistakes (a default build that does not exist, an arch list outside its
        # CUDA's range); a copy from elsewhere must hang together too. The bundled copy is checked by the tests.
        problems = consistency_problems(m)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            warnings.append(f"ignored {p}: {problems[0]}{more} - using the bundled data instead")
            continue
        return LoadedMatrix(m, str(p), tuple(warnings))
    return LoadedMatrix(load_matrix(BUNDLED_MATRIX), str(BUNDLED_MATRIX), tuple(warnings))


def user_matrix_path() -> Path:
    """Where 'Check for data updates' stores a downloaded matrix.json."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("torchdesk", appauthor=False)) / "matrix.json"


@lru_cache(maxsize=1)
def default_matrix() -> Matrix:
    """The matrix the app uses: a valid downloaded copy if there is one, else the bundled copy."""
    return load_matrix_with_fallback(user_matrix_path()).matrix


# --- consistency --------------------------------------------------------------------------------------------------

def consistency_problems(m: Matrix) -> list[str]:
    """Cross-table checks the schema cannot express. An empty list means the data hangs together."""
    problems: list[str] = []
    seen: set[str] = set()
    for r in m.releases:
        if r.version in seen:
            problems.append(f"torch {r.version} appears more than once")
        seen.add(r.version)
        variants = [b.variant for b in r.builds]
        for v in set(variants):
            if variants.count(v) > 1:
                problems.append(f"torch {r.version}: build {v} appears more than once")
        for plat, v in r.default_variant.items():
            b = r.build(v)
            if b is None:
                problems.append(f"torch {r.version}: default build {v} for {plat} is not among its builds")
            elif plat not in b.platforms:
                problems.append(f"torch {r.version}: default build {v} has no {plat} wheels")
        for py in r.python:
            if m.python_release(py) is None:
                problems.append(f"torch {r.version}: Python {py} is not in python_releases")
        for b in r.builds:
            if b.cuda:
                tk = m.cuda(b.cuda)
                if tk is None:
                    problems.append(f"torch {r.version} {b.variant}: CUDA {b.cuda} is not in cuda_toolkits")
                    continue
                expect = "cu" + b.cuda.replace(".", "")
                if b.variant != expect:
                    problems.append(f"torch {r.version} {b.variant}: variant does not match its CUDA {b.cuda}")
                for plat, t in b.platforms.items():
                    for target in t.sass + t.ptx:
                        if not tk.supports_cc(target):
                            problems.append(
                                f"torch {r.version} {b.variant} {plat}: {sm_name(target)} is outside what CUDA "
                                f"{tk.version} supports ({tk.cc_min}-{tk.cc_max})"
                            )
                    if not t.sass and not t.ptx and not t.note:
                        problems.append(f"torch {r.version} {b.variant} {plat}: no architecture list, and no note saying why")
            if not (b.install.index_url or b.install.find_links):
                problems.append(f"torch {r.version} {b.variant}: no install location")
        for pkg in ("torchvision", "torchaudio"):
            ver = getattr(r, pkg)
            known = m.packages.get(pkg)
            if ver is not None and known is not None and ver not in known:
                problems.append(f"torch {r.version}: {pkg} {ver} is not a known {pkg} release")
    names: dict[str, str] = {}
    for g in m.gpus:
        if m.arch_for_cc(g.cc) is None:
            problems.append(f"GPU {g.name}: compute capability {g.cc} has no architecture row")
        for n in (g.name, *g.aliases):
            k = _norm_name(n)
            if k in names and names[k] != g.name:
                problems.append(f"GPU name {n!r} is used by both {names[k]} and {g.name}")
            names[k] = g.name
    ccs: dict[str, str] = {}
    for a in m.architectures:
        for cc in a.cc:
            if cc in ccs:
                problems.append(f"compute capability {cc} belongs to both {ccs[cc]} and {a.name}")
            ccs[cc] = a.name
    return problems
