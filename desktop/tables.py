"""The compatibility tables people look up by hand (CUDA, drivers, PyTorch builds, GPU models), as rows of text:
`torchdesk matrix` prints them and the app's Compatibility tab shows them.
"""

from __future__ import annotations

from .matrix import Matrix, cc_tuple, sm_name, vtuple


def build_tables(m: Matrix, *, torch: str | None = None, cc: str | None = None,
                 os_name: str = "linux") -> dict[str, list[dict[str, str]]]:
    """The four tables as lists of row dicts (column -> text), filtered. Shared by the CLI and the app."""
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
        if torch and vtuple(r.version)[: len(vtuple(torch))] != vtuple(torch):
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
    return {"cuda": cuda_rows, "driver": driver_rows, "torch": torch_rows, "gpus": gpu_rows}


def build_amd_rows(m: Matrix, gfx: str | None = None) -> list[dict[str, str]]:
    """The AMD model table (name -> gfx target), optionally only one target."""
    return [{"GPU": g.name, "gfx target": g.gfx, "architecture": g.arch or "?", "segment": g.segment}
            for g in m.amd_gpus if gfx is None or g.gfx == gfx]


def build_rocm_rows(m: Matrix, gfx: str, torch: str | None = None) -> list[dict[str, str]]:
    """Every release with the ROCm builds (Linux x86_64) whose gfx list carries `gfx`."""
    rows = []
    for r in m.releases:
        if torch and vtuple(r.version)[: len(vtuple(torch))] != vtuple(torch):
            continue
        hits = [b.variant for b in r.builds
                if b.kind == "rocm" and "linux-x86_64" in b.platforms and gfx in b.platforms["linux-x86_64"].gfx]
        if hits:
            rows.append({"torch": r.version, "released": r.released, "Python": f"{r.python[0]} - {r.python[-1]}",
                         "ROCm builds (linux-x86_64)": " ".join(hits), "torchvision": r.torchvision or "-"})
    return rows
