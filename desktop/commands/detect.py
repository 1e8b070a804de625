"""`torchdesk detect`: what this machine is (GPUs, driver, OS, conda), as a summary or as one JSON object."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                        help="how long to wait for the GPU driver before giving up on it (default 5)")


def _matrix_loader(path: str | None) -> Any:
    if not path:
        return None  # detect loads the default data only if a GPU needs naming

    def load() -> Any:
        from ..matrixload import load_matrix

        return load_matrix(path)

    return load


def format_summary(data: dict[str, Any]) -> str:
    """The readable form of a `host_to_json` object."""
    lines: list[str] = []
    osr = data.get("os_release") or data["os"]
    extra = ", WSL2" if data.get("wsl") else ""
    glibc = f", glibc {data['glibc']}" if data.get("glibc") else ""
    lines.append(f"System:  {osr} ({data['platform']}{glibc}{extra})")
    if data.get("cpu") or data.get("ram_mib"):
        ram = f", {data['ram_mib'] / 1024:.0f} GiB RAM" if data.get("ram_mib") else ""
        lines.append(f"CPU:     {data.get('cpu') or 'unknown'}{ram}")
    if data.get("disk_free_mib") is not None:
        lines.append(f"Disk:    {data['disk_free_mib'] / 1024:.0f} GiB free")
    if data.get("driver"):
        cuda = f" (CUDA {data['cuda_driver']})" if data.get("cuda_driver") else ""
        lines.append(f"Driver:  NVIDIA {data['driver']}{cuda}")
    if data.get("rocm"):
        lines.append(f"ROCm:    {data['rocm']}")
    if not data["gpus"]:
        lines.append("GPUs:    none found (the CPU build of PyTorch will be used)")
    for g in data["gpus"]:
        bits = []
        if g.get("cc"):
            bits.append(f"compute capability {g['cc']}")
        if g.get("arch"):
            bits.append(g["arch"])
        if g.get("gfx"):
            bits.append(g["gfx"])
        if g.get("memory_mib"):
            bits.append(f"{g['memory_mib'] / 1024:.0f} GiB")
        if g.get("mig"):
            bits.append("MIG on")
        if not g.get("driver_loaded", True):
            bits.append("NO DRIVER")
        if g.get("vendor") == "apple":
            bits.append("MPS")
        lines.append(f"GPU {g['index']}:   {g['name']}" + (f" ({', '.join(bits)})" if bits else ""))
    conda = data.get("conda") or {}
    for c in conda.get("installations", []):
        v = f" {c['version']}" if c.get("version") else ""
        lines.append(f"Conda:   {c['kind']}{v} at {c['exe']}")
    if not conda.get("installations"):
        lines.append("Conda:   none found (TorchDesk can create environments with its embedded engine)")
    for e in conda.get("envs", []):
        torch = f"torch {e['torch']}" + (f" [{e['torch_build']}]" if e.get("torch_build") else "") \
            if e.get("torch") else "no torch"
        py = f"Python {e['python']}" if e.get("python") else "no Python"
        lines.append(f"  env {e['name']:<16} {py}, {torch}  ({e['prefix']})")
    lines.append("Sources:")
    for s in data.get("sources", []):
        lines.append(f"  {'ok ' if s['ok'] else ' - '} {s['source']}: {s['detail']}")
    for w in data.get("warnings", []):
        lines.append(f"Warning: {w}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import json

    from ..detect import detect_host, host_to_json

    host = detect_host(timeout=args.timeout, matrix=_matrix_loader(getattr(args, "matrix_file", None)))
    data = host_to_json(host)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(format_summary(data))
    return 0
