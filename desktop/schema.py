"""Validate matrix.json data against resources/matrix.schema.json, plus the checks a schema cannot state.

The validator is a small interpreter of the JSON-Schema subset the schema uses (the schema itself is real JSON
Schema; the test suite also checks the bundled data with the `jsonschema` package). It is ours rather than
`jsonschema`'s because `torchdesk recommend` must start fast, and importing jsonschema costs more than the whole
resolve. Error paths are built lazily, so a valid file pays nothing for them.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import TorchDeskError

RESOURCES = Path(__file__).resolve().parent / "resources"
SCHEMA = RESOURCES / "matrix.schema.json"


class MatrixError(TorchDeskError):
    """The data file is unreadable or invalid. The message names the file and the JSON path."""

    def __init__(self, file: Path | str, path: str, message: str) -> None:
        self.file = str(file)
        self.path = path
        self.problem = message
        super().__init__(f"{file}: at {path}: {message}")


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _type_ok(value: Any, t: str) -> bool:
    if t in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[t])


def _fmt_path(path: Any) -> str:
    """Paths are built as cheap nested tuples (parent, key) during the walk and formatted only on error."""
    parts: list[str] = []
    while isinstance(path, tuple):
        path, key = path
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    return str(path) + "".join(reversed(parts))


class _Validator:
    """The subset of JSON Schema that matrix.schema.json uses. Raises MatrixError at the first problem."""

    def __init__(self, schema: dict[str, Any], file: Path | str) -> None:
        self.root = schema
        self.file = file
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._refs: dict[str, dict[str, Any]] = {}

    def fail(self, path: Any, msg: str) -> None:
        raise MatrixError(self.file, _fmt_path(path), msg)

    def _ref(self, ref: str) -> dict[str, Any]:
        node = self._refs.get(ref)
        if node is None:
            node = self.root
            for part in ref.lstrip("#/").split("/"):
                node = node[part]
            self._refs[ref] = node
        return node

    def check(self, value: Any, schema: dict[str, Any], path: Any) -> None:
        ref = schema.get("$ref")
        if ref is not None:
            self.check(value, self._ref(ref), path)
            if len(schema) > 1:
                extra = {k: v for k, v in schema.items() if k not in ("$ref", "description")}
                if extra:
                    self.check(value, extra, path)
            return
        if "oneOf" in schema:
            errors = []
            matched = 0
            for sub in schema["oneOf"]:
                try:
                    self.check(value, sub, path)
                    matched += 1
                except MatrixError as e:
                    errors.append(e.problem)
            if matched != 1:
                self.fail(path, "does not match exactly one allowed form: " + " | ".join(errors))
            return
        t = schema.get("type")
        if t is not None:
            if isinstance(t, list):
                if not any(_type_ok(value, x) for x in t):
                    self.fail(path, f"expected {' or '.join(t)}, got {type(value).__name__} {value!r:.60}")
            elif not _type_ok(value, t):
                self.fail(path, f"expected {t}, got {type(value).__name__} {value!r:.60}")
        if "enum" in schema and value not in schema["enum"]:
            self.fail(path, f"{value!r} is not one of {schema['enum']}")
        if isinstance(value, str):
            if "minLength" in schema and len(value) < schema["minLength"]:
                self.fail(path, "is empty")
            pat = schema.get("pattern")
            if pat is not None:
                rx = self._patterns.get(pat) or self._patterns.setdefault(pat, re.compile(pat))
                if not rx.search(value):
                    self.fail(path, f"{value!r} does not match {pat}")
        elif isinstance(value, list):
            if len(value) < schema.get("minItems", 0):
                self.fail(path, f"needs at least {schema['minItems']} item(s)")
            items = schema.get("items")
            if items is not None:
                for i, v in enumerate(value):
                    self.check(v, items, (path, i))
        elif isinstance(value, dict):
            for key in schema.get("required", ()):
                if key not in value:
                    self.fail(path, f"missing required key {key!r}")
            if len(value) < schema.get("minProperties", 0):
                self.fail(path, "is empty")
            props = schema.get("properties", {})
            addl = schema.get("additionalProperties", True)
            names = schema.get("propertyNames")
            for key, v in value.items():
                sub_path = (path, key)
                if names is not None:
                    self.check(key, names, sub_path)
                sub = props.get(key)
                if sub is not None:
                    self.check(v, sub, sub_path)
                elif addl is False:
                    self.fail(sub_path, f"unknown key {key!r}")
                elif isinstance(addl, dict):
                    self.check(v, addl, sub_path)


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return result


def validate_data(data: Any, file: Path | str = "<data>") -> None:
    """Check `data` against the schema and that every row's source ids exist. Raises MatrixError."""
    _Validator(_schema(), file).check(data, _schema(), "$")
    known = set(data["sources"])

    def refs(path: str, ids: Iterable[str]) -> None:
        for sid in ids:
            if sid not in known:
                raise MatrixError(file, path, f"source id {sid!r} is not listed in $.sources")

    for section in ("python_releases", "architectures", "cuda_toolkits", "gpus", "torch_releases"):
        for i, row in enumerate(data[section]):
            refs(f"$.{section}[{i}].source", row["source"])
    for i, arch in enumerate(data["architectures"]):
        _check_driver_floors(arch, f"$.architectures[{i}]", file, refs)
    for i, rel in enumerate(data["torch_releases"]):
        for j, b in enumerate(rel["builds"]):
            refs(f"$.torch_releases[{i}].builds[{j}].source", b["source"])
    for name, pkg in data["packages"].items():
        refs(f"$.packages.{name}.source", pkg["source"])
    for i, row in enumerate(data.get("amd_gpus", ())):
        refs(f"$.amd_gpus[{i}].source", row["source"])
    if "rocm_rule" in data:
        refs("$.rocm_rule.source", data["rocm_rule"]["source"])
    # the schema's pattern lets 2024-13-45 through; Python release dates are parsed (the one-year rule)
    for i, py in enumerate(data["python_releases"]):
        d = py["released"]
        try:
            date.fromisoformat(d if len(d) == 10 else d + "-01")
        except ValueError as exc:
            raise MatrixError(file, f"$.python_releases[{i}].released", f"{d!r} is not a date ({exc})") from None


def _check_driver_floors(arch: Any, path: str, file: Path | str, refs: Callable[[str, Iterable[str]], None]) -> None:
    """A driver floor names only its own architecture's compute capabilities, each once, and says why when it
    has no figure (a Jetson part, or a toolkit older than the driver table)."""
    seen: set[str] = set()
    for j, row in enumerate(arch.get("driver_floors", ())):
        p = f"{path}.driver_floors[{j}]"
        refs(f"{p}.source", row["source"])
        for cc in row["cc"]:
            if cc not in arch["cc"]:
                raise MatrixError(file, f"{p}.cc", f"compute capability {cc} is not one of {arch['name']}'s")
            if cc in seen:
                raise MatrixError(file, f"{p}.cc", f"compute capability {cc} has more than one driver floor")
            seen.add(cc)
        if row.get("l4t") and "driver_min" in row:
            raise MatrixError(file, f"{p}.driver_min", "a Jetson (l4t) row carries no driver floor")
        if "driver_min" not in row and not row.get("note"):
            raise MatrixError(file, p, "a row without driver_min needs a note saying why")
