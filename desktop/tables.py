"""The compatibility tables people look up by hand (CUDA, drivers, PyTorch builds, GPU models), as rows of text:
`torchdesk matrix` prints them and the app's Compatibility tab shows them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .matrix import Matrix, cc_tuple, sm_name, version_matches, vtuple
from .model import Check


def build_tables(m: Matrix, *, torch: str | None = None, cc: str | None = None,
                 os_name: str = "linux") -> dict[str, list[dict[str, str]]]:
    """The five tables as lists of row dicts (column -> text), filtered. Shared by the CLI and the app."""
    from .rules import gpu_coverage

    plat = f"{os_name}-x86_64"
    cuda_rows = []
    for tk in m.cuda_toolkits:
        if cc and not tk.supports_cc(cc):
            continue
        archs = []
        for a in m.architectures:
            if any(tk.supports_cc(c) for c in a.cc) and a.name not in archs:
                archs.append(a.name)
        cuda_rows.append({
            "CUDA": tk.version,
            "compute capability": f"{tk.cc_min} - {tk.cc_max}" + (f" (not {', '.join(tk.dropped)})" if tk.dropped else ""),
            "architectures": ", ".join(archs),
            "released": tk.released or "",
        })
    driver_rows = []
    for tk in m.cuda_toolkits:
        mc = tk.minor_compat_min
        driver_rows.append({
            "CUDA": tk.version,
            "Linux driver >=": tk.driver_min.get("linux", ""),
            "Windows driver >=": tk.driver_min.get("windows", "-"),
            "minor-version compat >= (Linux / Windows)": f"{mc.get('linux', '-')} / {mc.get('windows', '-')}" if mc else "none",
        })
    torch_rows = []
    for r in m.releases:
        if torch and not version_matches(r.version, torch):
            continue
        builds = []
        for b in r.builds:
            t = b.platforms.get(plat)
            if t is None:
                continue
            if cc:
                if b.kind != "cuda":
                    continue
                cov = gpu_coverage(t, cc)
                if not cov.ok:
                    continue
                builds.append(b.variant + (" (PTX)" if cov.via_ptx else ""))
            else:
                builds.append(b.variant + (" [" + ",".join(sm_name(x)[3:] for x in t.sass) + "]" if b.kind == "cuda" and t.sass else ""))
        if cc and not builds:
            continue
        torch_rows.append({
            "torch": r.version,
            "released": r.released,
            "Python": f"{r.python[0]} - {r.python[-1]}",
            f"builds ({plat})": " ".join(builds),
            "default": r.default_variant.get(plat, "-"),
            "torchvision": r.torchvision or "-",
            "torchaudio": r.torchaudio or "-",
            "numpy": r.numpy or "",
        })
    gpu_rows = []
    for g in sorted(m.gpus, key=lambda g: (cc_tuple(g.cc), g.name)):
        if cc and g.cc != "{}.{}".format(*cc_tuple(cc)):
            continue
        arch = m.arch_for_cc(g.cc)
        gpu_rows.append({"GPU": g.name, "compute capability": g.cc, "architecture": arch.name if arch else "?",
                         "segment": g.segment})
    return {"cuda": cuda_rows, "driver": driver_rows, "driver_floors": build_floor_rows(m, cc), "torch": torch_rows,
            "gpus": gpu_rows}


def build_floor_rows(m: Matrix, cc: str | None = None) -> list[dict[str, str]]:
    """Architecture -> the oldest driver that supports its GPUs at all (matrix `architectures[].driver_floors`),
    optionally only the row for compute capability `cc`."""
    base = "{}.{}".format(*cc_tuple(cc)) if cc else None
    rows = []
    for a in m.architectures:
        for f in a.driver_floors:
            if base is not None and base not in f.cc:
                continue
            dm = f.driver_min or {}
            linux = dm.get("linux", "-")
            basis = ("Jetson: ships with L4T/JetPack" if f.l4t else "no figure: every CUDA build here needs a newer driver"
                     if not dm else "derived from the first CUDA's driver" if f.derived else "stated by NVIDIA")
            rows.append({
                "architecture": a.name,
                "compute capability": ", ".join(f.cc),
                "Linux driver >=": linux,
                "Windows driver >=": dm.get("windows") or (f"{linux} (Linux figure)" if dm else "-"),
                "first CUDA": f.first_cuda or "-",
                "basis": basis,
                "sources": ", ".join(f.source),
            })
    return rows


def build_amd_rows(m: Matrix, gfx: str | None = None) -> list[dict[str, str]]:
    """The AMD model table (name -> gfx target), optionally only one target."""
    return [{"GPU": g.name, "gfx target": g.gfx, "architecture": g.arch or "?", "segment": g.segment}
            for g in m.amd_gpus if gfx is None or g.gfx == gfx]


def build_rocm_rows(m: Matrix, gfx: str, torch: str | None = None) -> list[dict[str, str]]:
    """Every release with the ROCm builds (Linux x86_64) whose gfx list carries `gfx`."""
    rows = []
    for r in m.releases:
        if torch and not version_matches(r.version, torch):
            continue
        hits = [b.variant for b in r.builds
                if b.kind == "rocm" and "linux-x86_64" in b.platforms and gfx in b.platforms["linux-x86_64"].gfx]
        if hits:
            rows.append({"torch": r.version, "released": r.released, "Python": f"{r.python[0]} - {r.python[-1]}",
                         "ROCm builds (linux-x86_64)": " ".join(hits), "torchvision": r.torchvision or "-"})
    return rows


def row_sources(m: Matrix, key: str, row: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """The source ids behind each cell of one row of `build_tables` (key cuda|driver|driver_floors|torch|gpus) or
    `build_amd_rows` (key amd): the data row's own `source`, plus the architecture's or builds' where a cell
    comes from them."""
    own: tuple[str, ...] = ()
    extra: dict[str, tuple[str, ...]] = {}
    if key in ("cuda", "driver"):
        tk = m.cuda(row["CUDA"])
        own = tk.source if tk is not None else ()
        if key == "cuda" and tk is not None:
            names = set(row.get("architectures", "").split(", "))
            extra["architectures"] = _merge(own, *(a.source for a in m.architectures if a.name in names))
    elif key == "driver_floors":
        ar = next((x for x in m.architectures if x.name == row["architecture"]), None)
        f = next((f for f in ar.driver_floors if ", ".join(f.cc) == row["compute capability"]), None) if ar else None
        own = f.source if f is not None else ()
    elif key == "torch":
        r = m.release(row["torch"])
        own = r.source if r is not None else ()
        for col in row:
            if col.startswith("builds (") and r is not None:
                plat = col[len("builds ("):-1]
                extra[col] = _merge(own, *(b.source for b in r.builds if plat in b.platforms))
    elif key == "gpus":
        g = next((g for g in m.gpus if g.name == row["GPU"]), None)
        own = g.source if g is not None else ()
        arch = m.arch_for_cc(g.cc) if g is not None else None
        extra["architecture"] = _merge(own, arch.source if arch is not None else ())
    elif key == "amd":
        a = next((g for g in m.amd_gpus if g.name == row["GPU"]), None)
        own = a.source if a is not None else ()
    return {col: extra.get(col, own) for col in row}


def _merge(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for g in groups for i in g))


def source_refs(m: Matrix, ids: Iterable[str]) -> list[tuple[str, str]]:
    """(title, url) for each source id, through matrix.json's `sources` table; an unknown id is its own title."""
    return [(m.sources[i].title, m.sources[i].url) if i in m.sources else (i, "") for i in ids]


def split_source(text: str | None) -> tuple[str, ...]:
    """A why-chain line's `source` ('a, b') as ids."""
    return tuple(s.strip() for s in (text or "").split(",") if s.strip())


_TORCH = re.compile(r"\btorch (\d+(?:\.\d+)+)")
_CUDA = re.compile(r"\bCUDA (?:up to )?(\d+\.\d+)")
_PREDATES = re.compile(r"predates ([\w ]+) GPUs \(sm_(\d+)\)")
# why-chain lines that speak about the planned release without naming it (Python, build, companions, numpy)
_ABOUT_PLAN = frozenset({"build", "python", "companions", "numpy", "platform", "gpu"})


def locate_check(m: Matrix, tables: dict[str, list[dict[str, str]]], check: Check,
                 torch: str | None = None) -> tuple[str, int] | None:
    """The (table key, row index) in `tables` (from build_tables) a why-chain line comes from, or None when no
    table row says it (the line is about this machine only, or about an AMD GPU). `torch` is the planned release."""
    detail = check.detail

    def find(key: str, col: str, value: str, prefix: int = 0) -> tuple[str, int] | None:
        for i, r in enumerate(tables.get(key, [])):
            have = r.get(col, "")
            if have == value or (prefix and have and vtuple(have)[:prefix] == vtuple(value)[:prefix]):
                return key, i
        return None

    if check.check == "host":
        if ": compute capability " in detail:
            model = m.find_gpu(detail.rsplit(": compute capability ", 1)[0])
            return find("gpus", "GPU", model.name) if model is not None else None
        cuda = _CUDA.search(detail)
        return find("driver", "CUDA", cuda.group(1), 2) if detail.startswith("driver ") and cuda else None
    if check.check == "driver":
        pre = _PREDATES.search(detail)  # the GPU's floor, not a toolkit's: the architecture's row
        if pre:
            cc = f"{pre.group(2)[:-1]}.{pre.group(2)[-1]}"
            return next((("driver_floors", i) for i, r in enumerate(tables.get("driver_floors", []))
                         if r["architecture"] == pre.group(1) and cc in r["compute capability"].split(", ")), None)
        cuda = _CUDA.search(detail)
        return find("driver", "CUDA", cuda.group(1), 2) if cuda else None
    named = _TORCH.search(detail)
    if named:
        return find("torch", "torch", named.group(1))
    if check.check in _ABOUT_PLAN and torch:
        return find("torch", "torch", torch)
    return None
