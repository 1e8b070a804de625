"""Node classes from Slurm: pure parsers over `sinfo` / `scontrol show node` output, and GRES type -> GPU model.

A node class is one GPU type (the GRES type, e.g. `gpu:a100:4` -> class `a100`) with the nodes that carry it,
their partitions and features. A node with two GPU types belongs to two classes; a node with untyped GRES
(`gpu:4`) is in class `gpu`. The GPU model behind a type name comes from, in this order: `--probe` (the node's
own `torchdesk detect --json`), the site mapping file, the built-in spellings below, the GPU table's own names.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..errors import UsageError

# The `sinfo` call the inventory parses: one line per (node, partition); '*' marks the default partition.
SINFO_ARGS = ("sinfo", "-h", "-N", "-o", "%N|%P|%G|%f|%t")

# GRES type spellings that the GPU table's own name lookup (matrix.find_gpu: 'v100', 'a100', 'h100', 'l40s',
# 'rtx 4090' ...) does not resolve by itself: ambiguous or run-together names. Sites name GRES types freely
# (https://slurm.schedmd.com/gres.conf.html: "Type: an arbitrary string identifying the type of device");
# anything not here goes in the site mapping file, and `--probe` measures the real model.
BUILTIN_GPU_TYPES: dict[str, str] = {
    "rtx6000": "Quadro RTX 6000",  # not the RTX 6000 Ada: sites name that one rtx6000ada / 6000ada
    "rtx8000": "Quadro RTX 8000",
    "quadrortx6000": "Quadro RTX 6000",
    "quadrortx8000": "Quadro RTX 8000",
    "6000ada": "RTX 6000 Ada Generation",
    "a6000": "RTX A6000",
    "rtxa6000": "RTX A6000",
    "a5000": "RTX A5000",
    "rtxa5000": "RTX A5000",
    "a4000": "RTX A4000",
    "rtxa4000": "RTX A4000",
    "titanv": "TITAN V",
    "titanrtx": "TITAN RTX",
    "titanxp": "TITAN Xp",
}


@dataclass(frozen=True)
class GresGpu:
    """One `gpu[:type]:count` entry of a node's GRES."""

    type: str | None
    count: int


@dataclass(frozen=True)
class NodeRecord:
    """One Slurm node as `sinfo` or `scontrol show node` describes it."""

    name: str
    partitions: tuple[str, ...]
    gpus: tuple[GresGpu, ...]
    features: tuple[str, ...] = ()
    state: str = ""
    default_partition: str | None = None


@dataclass(frozen=True)
class NodeClass:
    """A GPU type and the nodes that carry it; model, capability and driver as far as they are known."""

    name: str  # the GRES type, or "gpu" for untyped GRES
    gres: str  # the request that lands a job on it: "gpu:v100:1"
    nodes: tuple[str, ...]
    partitions: tuple[str, ...]
    features: tuple[str, ...] = ()
    gpus_per_node: int = 1
    states: tuple[str, ...] = ()
    model: str | None = None  # name in the GPU table, e.g. "Tesla V100-SXM2-16GB"
    cc: str | None = None
    driver: str | None = None
    source: str = "unknown"  # where the model came from: probe | site map | built-in | GPU table | unknown
    probe: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def partition(self) -> str | None:
        """The partition a job for this class is sent to (the first one the class's nodes are in)."""
        return self.partitions[0] if self.partitions else None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "gres": self.gres, "nodes": list(self.nodes), "partitions": list(self.partitions),
                "features": list(self.features), "gpus_per_node": self.gpus_per_node, "states": list(self.states),
                "model": self.model, "cc": self.cc, "driver": self.driver, "source": self.source}


@dataclass(frozen=True)
class SiteEntry:
    """What a site says about one GRES type: the GPU model, optionally the driver its nodes run."""

    gpu: str
    driver: str | None = None


# --- parsers (pure) -----------------------------------------------------------------------------------------------

_GRES_RE = re.compile(r"^gpu(?::(?P<type>[^:()]+))?(?::(?P<count>\d+))?(?:\(.*\))?$")


def parse_gres(text: str) -> tuple[GresGpu, ...]:
    """The GPU entries of a GRES string: 'gpu:a100:4(S:0-1),mps:100' -> (GresGpu('a100', 4),)."""
    out: list[GresGpu] = []
    if not text or text.strip() in ("(null)", "N/A"):
        return ()
    # Split on commas outside parentheses: 'gpu:a100:2(S:0,1)' keeps its socket list.
    parts, depth, cur = [], 0, ""
    for ch in text.strip():
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    for part in parts:
        m = _GRES_RE.match(part.strip())
        if not m:
            continue  # mps:100, shard:8, nic:... are not GPUs
        gtype, count = m.group("type"), m.group("count")
        if gtype is not None and gtype.isdigit() and count is None:  # 'gpu:4'
            gtype, count = None, gtype
        out.append(GresGpu(gtype, int(count) if count else 1))
    return tuple(out)


def _split_list(value: str) -> tuple[str, ...]:
    if not value or value in ("(null)", "N/A"):
        return ()
    return tuple(v for v in value.split(",") if v)


def parse_sinfo_nodes(text: str) -> list[NodeRecord]:
    """Nodes from `sinfo -h -N -o '%N|%P|%G|%f|%t'` (one line per node and partition), merged per node."""
    order: list[str] = []
    merged: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        cols = line.strip().split("|")
        if len(cols) < 5 or not cols[0]:
            continue
        name, part, gres, feats, state = (c.strip() for c in cols[:5])
        rec = merged.get(name)
        if rec is None:
            order.append(name)
            rec = merged[name] = {"partitions": [], "gres": gres, "features": _split_list(feats), "state": state,
                                  "default": None}
        default = part.endswith("*")
        part = part.rstrip("*")
        if part and part not in rec["partitions"]:
            rec["partitions"].append(part)
        if default:
            rec["default"] = part
    return [NodeRecord(n, tuple(merged[n]["partitions"]), parse_gres(merged[n]["gres"]), merged[n]["features"],
                       merged[n]["state"], merged[n]["default"]) for n in order]


def _kv_pairs(line: str) -> dict[str, str]:
    """'Key=value Key2=a b Key3=c' -> dict; a value runs to the next ' Word=' (OS= holds spaces)."""
    out: dict[str, str] = {}
    for m in re.finditer(r"(?:^|\s)([A-Za-z][A-Za-z0-9_]*)=(.*?)(?=\s+[A-Za-z][A-Za-z0-9_]*=|\s*$)", line):
        out[m.group(1)] = m.group(2).strip()
    return out


def parse_scontrol_nodes(text: str) -> list[NodeRecord]:
    """Nodes from `scontrol show node -o` (one line per node)."""
    out: list[NodeRecord] = []
    for line in text.splitlines():
        if not line.strip().startswith("NodeName="):
            continue
        kv = _kv_pairs(line.strip())
        out.append(NodeRecord(kv.get("NodeName", ""), _split_list(kv.get("Partitions", "")),
                              parse_gres(kv.get("Gres", "")), _split_list(kv.get("AvailableFeatures", "")),
                              kv.get("State", "").lower()))
    return out


# --- GPU names ----------------------------------------------------------------------------------------------------

def _compact(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("nvidia", ""))


def _spellings(type_name: str) -> Iterable[str]:
    yield type_name
    spaced = re.sub(r"[_\-]+", " ", type_name)
    yield spaced
    yield re.sub(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", spaced)  # rtx4090 -> rtx 4090


def model_for_type(type_name: str, matrix: Any, site: Mapping[str, SiteEntry] | None = None) -> tuple[Any, str]:
    """The GPU table's model for a GRES type name, and where the answer came from; (None, 'unknown') if none."""
    site = site or {}
    entry = site.get(type_name) or site.get(type_name.lower())
    if entry is not None:
        return matrix.find_gpu(entry.gpu), "site map"
    builtin = BUILTIN_GPU_TYPES.get(_compact(type_name))
    if builtin:
        model = matrix.find_gpu(builtin)
        if model is not None:
            return model, "built-in"
    for s in _spellings(type_name):
        model = matrix.find_gpu(s)
        if model is not None:
            return model, "GPU table"
    return None, "unknown"


def load_site_map(path: str | os.PathLike[str], matrix: Any = None) -> dict[str, SiteEntry]:
    """Read a site mapping file (YAML or JSON): `gpu_types: {labgpu: "RTX A6000", old: {gpu: K80, driver: 470.82}}`."""
    import yaml

    from ..safeio import read_input_text

    p = Path(path).expanduser()
    text = read_input_text(p, "site mapping file")  # a regular file of at most 4 MiB, UTF-8: else one sentence
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"the site mapping file {p} is not valid YAML ({str(exc).splitlines()[0]}); "
                         "fix it or remove --site-map") from None
    except RecursionError:
        raise UsageError(f"the site mapping file {p} is nested too deeply to be a site map; "
                         "fix it or remove --site-map") from None
    types = data.get("gpu_types") if isinstance(data, dict) else None
    if not isinstance(types, dict):
        raise UsageError(f"the site mapping file {p} needs a `gpu_types:` mapping of GRES type to GPU model, "
                         "e.g. `gpu_types: {labgpu: RTX A6000}`")
    out: dict[str, SiteEntry] = {}
    for key, val in types.items():
        if isinstance(val, str):
            entry = SiteEntry(val)
        elif isinstance(val, dict) and isinstance(val.get("gpu"), str):
            drv = val.get("driver")
            if drv is not None and not (isinstance(drv, str) and re.match(r"^\d+(\.\d+){1,2}$", drv)):
                raise UsageError(f"{p}: driver for {key!r} must be a version such as 535.104.05 (got {drv!r})")
            entry = SiteEntry(val["gpu"], drv)
        else:
            raise UsageError(f"{p}: the entry for {key!r} must be a GPU model name or {{gpu: NAME, driver: X.Y}}")
        if matrix is not None and matrix.find_gpu(entry.gpu) is None:
            close = matrix.suggest_gpus(entry.gpu)
            hint = f" (did you mean: {', '.join(close)}?)" if close else " (`torchdesk matrix --gpus` lists known models)"
            raise UsageError(f"{p}: unknown GPU model {entry.gpu!r} for GRES type {key!r}{hint}")
        out[str(key)] = entry
    return out


# --- classes ------------------------------------------------------------------------------------------------------

def classes_from_nodes(nodes: Iterable[NodeRecord], matrix: Any, site: Mapping[str, SiteEntry] | None = None,
                       ) -> list[NodeClass]:
    """Group GPU nodes by GRES type and name each type's GPU model. Nodes without GPUs are left out."""
    groups: dict[str, dict[str, Any]] = {}
    for node in nodes:
        for g in node.gpus:
            key = g.type or "gpu"
            grp = groups.setdefault(key, {"nodes": [], "partitions": [], "features": [], "states": [], "count": g.count})
            if node.name not in grp["nodes"]:
                grp["nodes"].append(node.name)
            parts = list(node.partitions)
            if node.default_partition in parts:  # the default partition first: where an unpinned job goes
                parts.remove(node.default_partition)
                parts.insert(0, node.default_partition)
            for p in parts:
                if p not in grp["partitions"]:
                    grp["partitions"].append(p)
            for f in node.features:
                if f not in grp["features"]:
                    grp["features"].append(f)
            if node.state and node.state not in grp["states"]:
                grp["states"].append(node.state)
            grp["count"] = min(grp["count"], g.count)
    out: list[NodeClass] = []
    for key, grp in groups.items():
        parts = grp["partitions"]
        model, source = (None, "unknown") if key == "gpu" else model_for_type(key, matrix, site)
        entry = (site or {}).get(key)
        gres = f"gpu:{key}:1" if key != "gpu" else "gpu:1"
        out.append(NodeClass(key, gres, tuple(grp["nodes"]), tuple(parts), tuple(grp["features"]), grp["count"],
                             tuple(grp["states"]), model.name if model else None, model.cc if model else None,
                             entry.driver if entry else None, source))
    return sorted(out, key=lambda c: c.name)


def prefer_partitions(classes: list[NodeClass], nodes: Iterable[NodeRecord]) -> list[NodeClass]:
    """Send each class to a partition holding only its GPU type when one exists (a V100 partition for v100)."""
    by_part: dict[str, set[str]] = {}
    for n in nodes:
        for p in n.partitions:
            by_part.setdefault(p, set()).update(g.type or "gpu" for g in n.gpus)
    out = []
    for c in classes:
        own = [p for p in c.partitions if by_part.get(p) == {c.name}]
        rest = [p for p in c.partitions if p not in own]
        out.append(replace(c, partitions=tuple(own + rest)))
    return out


@dataclass(frozen=True)
class Inventory:
    """The cluster's GPU node classes, the raw nodes, and anything worth saying about them."""

    classes: tuple[NodeClass, ...]
    nodes: tuple[NodeRecord, ...]
    warnings: tuple[str, ...] = ()

    def find(self, name: str) -> NodeClass | None:
        return next((c for c in self.classes if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {"classes": [c.to_json() for c in self.classes], "warnings": list(self.warnings),
                "nodes": [{"name": n.name, "partitions": list(n.partitions), "state": n.state,
                           "gpus": [{"type": g.type, "count": g.count} for g in n.gpus]} for n in self.nodes]}


def slurm_available(path: str | None = None) -> bool:
    """True when the Slurm client (`sinfo`) is on PATH (or on `path`, a PATH-style string)."""
    return shutil.which("sinfo", path=path) is not None


def build_inventory(nodes: list[NodeRecord], matrix: Any, site: Mapping[str, SiteEntry] | None = None) -> Inventory:
    """Classes from parsed nodes, with a warning for each type whose GPU model is not known."""
    classes = prefer_partitions(classes_from_nodes(nodes, matrix, site), nodes)
    warnings = [f"GRES type {c.name!r}: GPU model unknown; name it in a site mapping file (--site-map) or run "
                "`torchdesk fleet inventory --probe`" for c in classes if c.model is None]
    if not classes:
        warnings.append("no node has GPU GRES (gpu:TYPE:COUNT); `scontrol show node` shows what Slurm knows")
    return Inventory(tuple(classes), tuple(nodes), tuple(warnings))


def read_inventory(matrix: Any, site: Mapping[str, SiteEntry] | None = None, *,
                   run: Callable[[list[str]], str] | None = None) -> Inventory:
    """Ask Slurm (`sinfo`) for its nodes and group them into GPU classes."""
    if run is None and not slurm_available():
        raise UsageError("Slurm's `sinfo` is not on PATH: run this on a login node of the cluster "
                         "(or use --print-sbatch / --local)")
    text = (run or _run_slurm)(list(SINFO_ARGS))
    return build_inventory(parse_sinfo_nodes(text), matrix, site)


def _run_slurm(cmd: list[str]) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"`{' '.join(cmd)}` failed: {exc}; is the Slurm controller reachable?") from None
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["no output"]
        raise UsageError(f"`{' '.join(cmd)}` failed: {tail[0]}; is the Slurm controller reachable?")
    return p.stdout


def apply_probe(cls: NodeClass, detect: Mapping[str, Any], matrix: Any, job_gpus: str | None = None) -> NodeClass:
    """A class updated from a node's `torchdesk detect --json`: the real GPU model, capability and driver.

    NVML lists every GPU of the node whatever the job was given, so on a node with two types the one to read is
    the job's own: `job_gpus` is Slurm's SLURM_JOB_GPUS (node-wide indices, e.g. "1" or "2,3")."""
    gpus = [g for g in detect.get("gpus") or () if g.get("vendor", "nvidia") == "nvidia"]
    driver = detect.get("driver") or cls.driver
    if not gpus:
        return replace(cls, driver=driver, probe=dict(detect))
    first = (job_gpus or "").split(",")[0].strip()
    g = next((x for x in gpus if first.isdigit() and x.get("index") == int(first)), gpus[0])
    model = matrix.find_gpu(g.get("name") or "") if matrix is not None else None
    return replace(cls, model=model.name if model else g.get("name"), cc=g.get("cc") or (model.cc if model else cls.cc),
                   driver=driver, source="probe", probe=dict(detect))
