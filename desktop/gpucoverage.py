"""Does the GPU table cover NVIDIA's two CUDA GPU pages? The check behind `torchdesk matrix --check`.

The reference list (`resources/nvidia_gpu_pages.json`) is a transcription of https://developer.nvidia.com/cuda-gpus
and https://developer.nvidia.com/cuda-legacy-gpus: every model with the compute capability the page gives it, and
where each block was read. A model the table cannot find by that name, or finds with another compute capability, is
a problem line naming the model and the page. Qt-free; reads only the bundled file (or the path it is given).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

NVIDIA_PAGES = Path(__file__).resolve().parent / "resources" / "nvidia_gpu_pages.json"
MAX_REFERENCE_BYTES = 1 << 20


class _GpuLike(Protocol):
    name: str
    cc: str


class _FindsGpus(Protocol):
    def find_gpu(self, name: str) -> Any: ...


@dataclass(frozen=True)
class PageModel:
    """One model as NVIDIA's page prints it; `ccs` holds more than one value where the page gives two."""

    page: str
    ccs: tuple[str, ...]
    name: str
    block: str


@dataclass(frozen=True)
class PageReference:
    read: str
    pages: dict[str, str]  # page id -> URL
    models: tuple[PageModel, ...]

    def count(self, page: str) -> int:
        """How many models the reference lists for one page."""
        return sum(1 for m in self.models if m.page == page)


class ReferenceError(ValueError):
    """The reference list is missing or not in the expected shape."""


_CC = re.compile(r"^\d{1,2}\.\d(/\d{1,2}\.\d)*$")


def parse_reference(data: Any) -> PageReference:
    """Check the shape of a decoded reference list and return it; ReferenceError says what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("pages"), dict) or not isinstance(data.get("blocks"), list):
        raise ReferenceError("the NVIDIA page list needs 'pages' (an object) and 'blocks' (a list)")
    pages: dict[str, str] = {}
    for pid, info in data["pages"].items():
        if not isinstance(info, dict) or not isinstance(info.get("url"), str):
            raise ReferenceError(f"page {str(pid)[:40]!r} in the NVIDIA page list has no url")
        pages[str(pid)] = info["url"]
    models: list[PageModel] = []
    for b in data["blocks"]:
        if not isinstance(b, dict) or not isinstance(b.get("models"), list):
            raise ReferenceError("each block of the NVIDIA page list needs a 'models' list")
        for row in b["models"]:
            ok = isinstance(row, list) and len(row) == 3 and all(isinstance(x, str) for x in row)
            if not ok or row[0] not in pages or not _CC.match(row[1]) or not row[2].strip():
                raise ReferenceError(f"bad model row in the NVIDIA page list: {str(row)[:80]}")
            models.append(PageModel(row[0], tuple(row[1].split("/")), row[2], str(b.get("id", ""))))
    if not models:
        raise ReferenceError("the NVIDIA page list names no models")
    return PageReference(str(data.get("read", "")), pages, tuple(models))


def load_reference(path: Path | str | None = None) -> PageReference:
    """Read the bundled NVIDIA page list (or `path`); ReferenceError if it is missing, too big or malformed."""
    p = Path(path) if path is not None else NVIDIA_PAGES
    try:
        with open(p, "rb") as f:
            raw = f.read(MAX_REFERENCE_BYTES + 1)
    except OSError as e:
        raise ReferenceError(f"cannot read the NVIDIA page list {p}: {e.strerror or e}") from None
    if len(raw) > MAX_REFERENCE_BYTES:
        raise ReferenceError(f"the NVIDIA page list {p} is over {MAX_REFERENCE_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ReferenceError(f"the NVIDIA page list {p} is not valid JSON: {str(e)[:80]}") from None
    return parse_reference(data)


def _find(m: _FindsGpus, name: str) -> _GpuLike | None:
    g = m.find_gpu(name)
    if g is None and name.endswith(")"):
        # "NVIDIA GB10 (DGX Spark)": the page's parenthesis names the product it ships in, not another chip
        g = m.find_gpu(re.sub(r"\s*\([^()]*\)$", "", name))
    return g  # type: ignore[no-any-return]


def coverage_problems(m: _FindsGpus, ref: PageReference | None = None) -> list[str]:
    """One line per model on NVIDIA's pages that the GPU table lacks or gives another compute capability."""
    if ref is None:
        try:
            ref = load_reference()
        except ReferenceError as e:
            return [f"GPU coverage not checked: {e}"]
    out: list[str] = []
    for pm in ref.models:
        g = _find(m, pm.name)
        page = f"NVIDIA's {pm.page} page"
        if g is None:
            out.append(f"gpus: {pm.name!r} (cc {'/'.join(pm.ccs)} on {page}) is not in the GPU table; "
                       "add it or an alias with the page's spelling")
        elif g.cc not in pm.ccs:
            out.append(f"gpus: {pm.name!r} is {g.name!r} with cc {g.cc} in the data but cc {'/'.join(pm.ccs)} on {page}")
    return out
