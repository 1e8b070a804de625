"""A small, hand-made matrix for rule tests: every figure chosen to sit on one side of one rule."""

from __future__ import annotations

import copy
from typing import Any

from desktop.matrix import Matrix
from desktop.matrixload import matrix_from_data
from desktop.schema import validate_data

IDX = "https://download.pytorch.org/whl/"


def _b(variant: str, cuda: str | None, sass: list[str], ptx: list[str] | None = None, plats: tuple[str, ...] = ("linux-x86_64", "windows-x86_64"),
       gfx: list[str] | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "variant": variant,
        "platforms": {p: ({"sass": sass, "ptx": ptx or []} if cuda else {"gfx": gfx} if gfx else {}) for p in plats},
        "install": {"index_url": IDX + variant},
        "source": ["t"],
    }
    if cuda:
        d["cuda"] = cuda
    if variant.startswith("rocm"):
        d["rocm"] = variant[4:]
    return d


CPU = ("linux-x86_64", "windows-x86_64", "macos-arm64", "linux-aarch64")

BASE: dict[str, Any] = {
    "schema_version": 1,
    "data_version": "test",
    "sources": {"t": {"title": "test table", "url": "about:blank"}},
    "python_releases": [
        {"version": "3.9", "released": "2020-10-05", "source": ["t"]},
        {"version": "3.10", "released": "2021-10-04", "source": ["t"]},
        {"version": "3.11", "released": "2022-10-24", "source": ["t"]},
        {"version": "3.12", "released": "2023-10-02", "source": ["t"]},
        {"version": "3.13", "released": "2024-10-07", "source": ["t"]},
        {"version": "3.14", "released": "2025-10-07", "source": ["t"]},
    ],
    "architectures": [
        {"name": "Kepler", "cc": ["3.5", "3.7"], "nvml": 2, "source": ["t"]},
        {"name": "Pascal", "cc": ["6.0", "6.1"], "nvml": 4, "source": ["t"]},
        {"name": "Ampere", "cc": ["8.0", "8.6", "8.7"], "nvml": 7, "bf16": True, "source": ["t"]},
        {"name": "Ada Lovelace", "cc": ["8.9"], "nvml": 8, "bf16": True, "source": ["t"]},
        {"name": "Hopper", "cc": ["9.0"], "nvml": 9, "bf16": True, "source": ["t"]},
        {"name": "Blackwell", "cc": ["10.0", "12.0"], "nvml": 10, "bf16": True, "source": ["t"]},
    ],
    "cuda_toolkits": [
        {"version": "11.3", "driver_min": {"linux": "465.19.01", "windows": "465.89"}, "minor_compat_min": {"linux": "450.80.02", "windows": "452.39"}, "cc_min": "3.5", "cc_max": "8.6", "source": ["t"]},
        {"version": "12.1", "driver_min": {"linux": "530.30.02", "windows": "531.14"}, "minor_compat_min": {"linux": "525.60.13", "windows": "528.33"}, "cc_min": "5.0", "cc_max": "9.0", "source": ["t"]},
        {"version": "12.8", "driver_min": {"linux": "570.26", "windows": "570.65"}, "minor_compat_min": {"linux": "525.60.13", "windows": "528.33"}, "cc_min": "5.0", "cc_max": "12.0", "source": ["t"]},
        {"version": "13.0", "driver_min": {"linux": "580.65.06", "windows": "580.88"}, "minor_compat_min": {"linux": "580.65.06", "windows": "580.88"}, "cc_min": "7.5", "cc_max": "12.0", "source": ["t"]},
    ],
    "gpus": [
        {"name": "Tesla K80", "cc": "3.7", "segment": "datacenter", "source": ["t"]},
        {"name": "GeForce GTX 1080", "cc": "6.1", "segment": "geforce", "aliases": ["GTX 1080"], "source": ["t"]},
        {"name": "GeForce RTX 3090", "cc": "8.6", "segment": "geforce", "aliases": ["RTX 3090"], "source": ["t"]},
        {"name": "H100 80GB HBM3", "cc": "9.0", "segment": "datacenter", "aliases": ["H100"], "source": ["t"]},
        {"name": "GeForce RTX 5090", "cc": "12.0", "segment": "geforce", "aliases": ["RTX 5090"], "source": ["t"]},
    ],
    "torch_releases": [
        {   # newest: CUDA 13 default, cu128 too; no Pascal; Python 3.10-3.14
            "version": "3.1.0", "released": "2026-10", "python": ["3.10", "3.11", "3.12", "3.13", "3.14"],
            "torchvision": "0.31.0", "torchaudio": None, "numpy": None,
            "default_variant": {"linux-x86_64": "cu130", "windows-x86_64": "cpu", "macos-arm64": "cpu", "linux-aarch64": "cpu"},
            "builds": [_b("cu128", "12.8", ["7.5", "8.0", "8.6", "9.0", "10.0", "12.0"]),
                       _b("cu130", "13.0", ["7.5", "8.0", "8.6", "9.0", "10.0", "12.0"]),
                       _b("rocm7.0", None, [], plats=("linux-x86_64",), gfx=["gfx90a", "gfx942", "gfx1100"]),
                       _b("cpu", None, [], plats=CPU)],
            "source": ["t"],
        },
        {   # Hopper SASS only as arch-specific sm_90a, Pascal via SASS, PTX compute_80 for anything newer
            "version": "2.9.1", "released": "2025-11", "python": ["3.9", "3.10", "3.11", "3.12", "3.13"],
            "torchvision": "0.24.1", "torchaudio": "2.9.1", "numpy": None,
            "default_variant": {"linux-x86_64": "cu121", "windows-x86_64": "cpu", "macos-arm64": "cpu"},
            "builds": [_b("cu121", "12.1", ["6.0", "7.0", "8.0", "8.6", "9.0a"], ["8.0"]),
                       _b("cpu", None, [], plats=CPU)],
            "source": ["t"],
        },
        {
            "version": "2.9.0", "released": "2025-10", "python": ["3.9", "3.10", "3.11", "3.12", "3.13"],
            "torchvision": "0.24.0", "torchaudio": "2.9.0", "numpy": None,
            "default_variant": {"linux-x86_64": "cu121", "windows-x86_64": "cpu", "macos-arm64": "cpu"},
            "builds": [_b("cu121", "12.1", ["6.0", "7.0", "8.0", "8.6", "9.0a"], ["8.0"]), _b("cpu", None, [], plats=CPU)],
            "source": ["t"],
        },
        {   # old: numpy<2, Kepler, Python up to 3.10
            "version": "1.12.1", "released": "2022-08", "python": ["3.9", "3.10"],
            "torchvision": "0.13.1", "torchaudio": "0.12.1", "numpy": "<2",
            "default_variant": {"linux-x86_64": "cu113", "windows-x86_64": "cpu", "macos-arm64": "cpu"},
            "builds": [_b("cu113", "11.3", ["3.5", "5.0", "6.0", "7.0", "7.5", "8.0", "8.6"]), _b("cpu", None, [], plats=CPU)],
            "source": ["t"],
        },
    ],
    "amd_gpus": [
        {"name": "Radeon RX 7900 XTX", "gfx": "gfx1100", "segment": "radeon", "aliases": ["RX 7900 XTX"], "source": ["t"]},
        {"name": "Instinct MI300X", "gfx": "gfx942", "segment": "instinct", "aliases": ["MI300X"], "source": ["t"]},
        {"name": "Radeon 780M", "gfx": "gfx1103", "segment": "apu", "source": ["t"]},
    ],
    "packages": {
        "torchvision": {"versions": ["0.13.1", "0.24.0", "0.24.1", "0.31.0"], "source": ["t"]},
        "torchaudio": {"versions": ["0.12.1", "2.9.0", "2.9.1"], "source": ["t"]},
    },
    "env_size_mib": {"cuda": 6000, "cpu": 1000},
}


def make_data(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def make_matrix(data: dict[str, Any] | None = None) -> Matrix:
    data = data if data is not None else make_data()
    validate_data(data, "test-matrix")
    return matrix_from_data(data, "test-matrix")
