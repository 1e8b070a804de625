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

from .safeio import read_regular_file as _read_regular_file  # shared: a FIFO or device is an error, not a hang
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
class AmdGpu:
    """An AMD GPU model and the LLVM gfx target its kernels are compiled for."""

    name: str
    gfx: str
    segment: str
    arch: str | None
    aliases: tuple[str, ...]
    source: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True)
class RocmRule:
    """What AMD documents about a ROCm wheel's bundled user space and the host's amdgpu kernel driver."""

    statement: str
    machine_checkable: bool
    why_not: str | None
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
        return getattr(self, name)  # type: ignore[no-any-return]


def _norm_name(name: str) -> str:
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

    def find_amd_gpu(self, name: str) -> AmdGpu | None:
        """Case-insensitive lookup of an AMD model by name or alias; 'AMD ' and 'Radeon ' are optional."""
        return _amd_index(self.amd_gpus).get(_amd_key(name))

    def suggest_amd_gpus(self, name: str, n: int = 5) -> list[str]:
        """Close AMD model names for an unknown GPU, for the error message."""
        names = {_amd_key(a): g.name for g in self.amd_gpus for a in (g.name, *g.aliases)}
        key = _amd_key(name)
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
        companions={k: d[k] for k in ("torchvision", "torchaudio") if k in d},
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
            Architecture(a["name"], tuple(a["cc"]), a.get("nvml"), bool(a.get("bf16", False)), tuple(a["source"]), tuple(
                DriverFloor(tuple(f["cc"]), f.get("driver_min"), bool(f.get("derived")), bool(f.get("l4t")), tuple(f["source"]),
                            f.get("first_cuda"), f.get("note")) for f in a.get("driver_floors", ())))
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
        amd_gpus=amd_gpus_from_data(data),
        rocm_rule=rocm_rule_from_data(data),
    )


# --- the AMD tables (optional in the file: a copy without them simply plans no ROCm builds by name) -----------

def amd_gpus_from_data(data: Mapping[str, Any]) -> tuple[AmdGpu, ...]:
    """The amd_gpus rows as dataclasses."""
    return tuple(
        AmdGpu(g["name"], g["gfx"], g["segment"], g.get("arch"), tuple(g.get("aliases", ())), tuple(g["source"]), g.get("note"))
        for g in data.get("amd_gpus", ())
    )


def rocm_rule_from_data(data: Mapping[str, Any]) -> RocmRule | None:
    """The rocm_rule object as a dataclass, or None where the file has none."""
    r = data.get("rocm_rule")
    if not r:
        return None
    return RocmRule(r["statement"], bool(r["machine_checkable"]), r.get("why_not"), tuple(r["source"]))


def _amd_key(name: str) -> str:
    n = re.sub(r"\s+", " ", name.strip().lower().replace("(tm)", "").replace("™", ""))
    for prefix in ("amd ", "radeon "):
        if n.startswith(prefix):
            n = n[len(prefix):]
    return n


@lru_cache(maxsize=8)
def _amd_index(gpus: tuple[AmdGpu, ...]) -> dict[str, AmdGpu]:
    index: dict[str, AmdGpu] = {}
    for g in gpus:
        for n in (g.name, *g.aliases):
            index.setdefault(_amd_key(n), g)
    return index


def amd_problems(m: Matrix) -> list[str]:
    """Cross-table checks for the AMD tables: unique names, and every ROCm build's gfx list names real targets."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for g in m.amd_gpus:
        for n in (g.name, *g.aliases):
            k = _amd_key(n)
            if k in seen and seen[k] != g.name:
                problems.append(f"AMD GPU name {n!r} is used by both {seen[k]} and {g.name}")
            seen[k] = g.name
            if m.find_gpu(n) is not None and _norm_name(n) in m._gpu_index:
                problems.append(f"AMD GPU name {n!r} is also an NVIDIA GPU name")
    for r in m.releases:
        for b in r.builds:
            if b.kind == "rocm":
                for plat, t in b.platforms.items():
                    if not t.gfx and not t.note and not b.note:
                        problems.append(f"torch {r.version} {b.variant} {plat}: no gfx list, and no note saying why")
            ta = b.companions.get("torchaudio")
            known = m.packages.get("torchaudio")
            if ta is not None and known is not None and ta not in known:
                problems.append(f"torch {r.version} {b.variant}: torchaudio {ta} is not a known torchaudio release")
    return problems


MAX_MATRIX_BYTES = 8 * 1024 * 1024  # the bundled file is well under 1 MiB; anything this big is not ours
MAX_JSON_DEPTH = 32  # the real data nests 8 deep; a deeper file is hostile or broken, and would blow the stack


def _json_depth_ok(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Iteratively (no recursion to exhaust) check that `data` nests at most `limit` containers deep."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return False
        stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return True




def read_matrix_bytes(path: Path | str) -> bytes:
    """The raw bytes of a data file, at most MAX_MATRIX_BYTES. Raises MatrixError."""
    p = Path(path)
    try:
        raw = _read_regular_file(p, MAX_MATRIX_BYTES)
    except OSError as exc:
        raise MatrixError(p, "$", f"cannot read the file ({exc.strerror or exc})") from None
    if len(raw) > MAX_MATRIX_BYTES:
        raise MatrixError(p, "$", f"the file is larger than {MAX_MATRIX_BYTES // (1024 * 1024)} MiB: is it really matrix.json?")
    return raw


def parse_matrix_bytes(raw: bytes, p: Path | str, *, trusted: bool = False,
                       extra_hosts: frozenset[str] | None = None) -> Matrix:
    """Decode, validate and build a matrix from `raw`; unless `trusted`, its install URLs must be on allowed hosts."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MatrixError(p, "$", f"not UTF-8 text (byte {exc.start}): is it really matrix.json?") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MatrixError(p, "$", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        data = None
    if data is None and text.strip() != "null" or not (trusted or _json_depth_ok(data)):  # ours: skip the 5 ms walk
        raise MatrixError(p, "$", f"nested more than {MAX_JSON_DEPTH} levels deep: this is not matrix.json")
    validate_data(data, p)
    if not trusted:
        _check_specifiers(data, p)
        from .hosts import untrusted_install_urls

        bad = untrusted_install_urls(data, extra_hosts)
        if bad:
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            raise MatrixError(p, bad[0][0], bad[0][1] + more)
    return matrix_from_data(data, str(p))


def _check_specifiers(data: Mapping[str, Any], p: Path | str) -> None:
    """numpy and requires_python become pip requirements ('numpy' + range): each must be a plain version range, so
    a data file cannot turn one into a direct URL ('numpy @ https://...') or a pip option."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    for i, r in enumerate(data["torch_releases"]):
        for key in ("numpy", "requires_python"):
            value = r.get(key)
            if value is None:
                continue
            try:
                SpecifierSet(value)
            except InvalidSpecifier:
                raise MatrixError(p, f"$.torch_releases[{i}].{key}",
                                  f"{value[:80]!r} is not a version range such as '<2' or '>=3.9'") from None


def _is_bundled(p: Path) -> bool:
    try:
        return p.resolve() == BUNDLED_MATRIX.resolve()
    except OSError:
        return False


def load_matrix(path: Path | str | None = None) -> Matrix:
    """Read, validate and build the matrix from `path` (default: the bundled copy). Raises MatrixError.

    A file other than the bundled copy must also keep every install URL on the allowed hosts (hosts.py).
    """
    p = Path(path) if path is not None else BUNDLED_MATRIX
    return parse_matrix_bytes(read_matrix_bytes(p), p, trusted=_is_bundled(p))


def load_signed_matrix(path: Path | str, key: Any = None) -> Matrix:
    """Like load_matrix, but the bytes must carry a valid signature in `path`.sig. Raises MatrixError."""
    from .datasign import SignatureError, signature_path, verify_signature

    p = Path(path)
    raw = read_matrix_bytes(p)
    sig_file = signature_path(p)
    try:
        sig = _read_regular_file(sig_file, 4096)
    except OSError:
        raise MatrixError(p, "$", f"it has no signature ({sig_file.name} is missing), so it is not trusted") from None
    try:
        verify_signature(raw, sig, key)  # the bytes verified are the bytes parsed: no window to swap the file
    except SignatureError as exc:
        raise MatrixError(p, "$", str(exc)) from None
    return parse_matrix_bytes(raw, p)


@dataclass(frozen=True)
class LoadedMatrix:
    """A matrix plus what happened on the way: which file was used, and why others were not."""

    matrix: Matrix
    path: str
    warnings: tuple[str, ...]


def load_matrix_with_fallback(*candidates: Path | str | None, require_signature: bool = False,
                              newer_than: str | None = None) -> LoadedMatrix:
    """Try each user-supplied or downloaded copy in order; fall back to the bundled copy when one is invalid.

    With `require_signature`, a copy is used only with a valid signature beside it; with `newer_than`, only when
    its data_version is newer than that (an older copy is left alone without a warning: the app was upgraded).
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
            m = load_signed_matrix(p) if require_signature else load_matrix(p)
        except MatrixError as exc:
            warnings.append(f"ignored {exc} - using the bundled data instead")
            continue
        except RecursionError:  # belt and braces: no data file may crash a command
            warnings.append(f"ignored {p}: nested too deeply to read - using the bundled data instead")
            continue
        if newer_than is not None and not data_version_newer(m.data_version, newer_than):
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


def data_version_newer(a: str, b: str) -> bool:
    """Is data_version `a` newer than `b`? ('2026.12.01' > '2026.11.26'; compared as numbers, part by part.)"""
    return vtuple(a) > vtuple(b)


_DATA_VERSION = re.compile(rb'"data_version"\s*:\s*"([^"\\]{1,64})"')


def bundled_data_version() -> str:
    """The bundled copy's data_version, read without loading the whole file (it is ours, so a peek is enough)."""
    m = _DATA_VERSION.search(BUNDLED_MATRIX.read_bytes())
    return m.group(1).decode("ascii", "replace") if m else "0"


def user_matrix_path() -> Path:
    """Where 'Check for data updates' stores a downloaded matrix.json."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("torchdesk", appauthor=False)) / "matrix.json"


def load_app_matrix() -> LoadedMatrix:
    """The data the app and the CLI use: the downloaded copy when it is signed, valid, on allowed hosts and newer
    than the bundled copy; else the bundled copy, with a warning for a downloaded copy that was refused."""
    user = user_matrix_path()
    if not user.exists():
        return load_matrix_with_fallback()
    return load_matrix_with_fallback(user, require_signature=True, newer_than=bundled_data_version())


@lru_cache(maxsize=1)
def default_loaded() -> LoadedMatrix:
    """load_app_matrix(), once per process."""
    return load_app_matrix()


def default_matrix() -> Matrix:
    """The matrix the app uses: a valid downloaded copy if there is one, else the bundled copy."""
    return default_loaded().matrix


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
    problems += amd_problems(m)
    return problems
