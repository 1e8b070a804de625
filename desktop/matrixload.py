"""Build a Matrix from data, and load matrix.json: size and depth caps, the schema, trusted hosts, signatures,
fallback to the bundled copy, and the copy the app uses (a newer signed download, else the bundled one).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from .matrix import (
    Architecture, Build, CudaToolkit, DriverFloor, GpuModel, Install, Matrix, PythonRelease, Source, Targets, TorchRelease,
    vtuple,
)
from .matrixamd import amd_gpus_from_data, rocm_rule_from_data
from .matrixcheck import consistency_problems
from .safeio import read_regular_file as _read_regular_file  # shared: a FIFO or device is an error, not a hang
from .schema import RESOURCES, MatrixError, validate_data

BUNDLED_MATRIX = RESOURCES / "matrix.json"


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


# --- loading a file ---------------------------------------------------------------------------------------------

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

