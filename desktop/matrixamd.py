"""The AMD rows of the compatibility data: GPU models with their gfx targets, and the ROCm driver rule.

Both tables are optional in the file: a copy without them simply plans no ROCm builds by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping


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


def amd_key(name: str) -> str:
    """The lookup key of an AMD model name: lower case, no (tm), 'AMD ' and 'Radeon ' optional."""
    n = re.sub(r"\s+", " ", name.strip().lower().replace("(tm)", "").replace("™", ""))
    for prefix in ("amd ", "radeon "):
        if n.startswith(prefix):
            n = n[len(prefix):]
    return n


@lru_cache(maxsize=8)
def amd_index(gpus: tuple[AmdGpu, ...]) -> dict[str, AmdGpu]:
    """Every name and alias of the table, by amd_key (the first row wins)."""
    index: dict[str, AmdGpu] = {}
    for g in gpus:
        for n in (g.name, *g.aliases):
            index.setdefault(amd_key(n), g)
    return index

