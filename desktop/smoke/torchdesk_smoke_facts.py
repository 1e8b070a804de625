# -*- coding: utf-8 -*-
"""The smoke script's facts about the environment before torch: the Python, pyvenv.cfg, the NVIDIA driver,
installed distribution versions and the toolchain TorchDesk recorded. Valid Python 3.6, standard library only.
"""

import os
import platform
import re
import sys

# The activation script TorchDesk writes for --toolchain (desktop/toolchain.py); its CUDA_HOME line names the
# toolchain folder relative to the env, so the env says by itself whether it has one.
TOOLCHAIN_SCRIPT = ("etc", "conda", "activate.d", "torchdesk-toolchain.sh")
_CUDA_HOME_LINE = r'^export CUDA_HOME="\$\{CONDA_PREFIX\}/([^"$`\\]+)"\s*$'
_ARCH_LIST_LINE = r"^export TORCH_CUDA_ARCH_LIST='([0-9.;+ A-Za-z]+)'\s*$"


def toolchain_info(prefix):
    """The toolchain TorchDesk recorded in the env at `prefix`: {cuda_home, nvcc, arch_list}, or None.

    None where there is no activation script, its CUDA_HOME is not a folder inside the env, or that folder has no
    bin/nvcc: then there is no toolchain to check, and the extension checks are skipped, not failed.
    """
    path = os.path.join(prefix, *TOOLCHAIN_SCRIPT)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(65536)
    except (OSError, IOError, ValueError):
        return None
    home = re.search(_CUDA_HOME_LINE, text, re.MULTILINE)
    if not home or ".." in re.split(r"[\\/]", home.group(1)):
        return None
    cuda_home = os.path.join(prefix, *home.group(1).split("/"))
    nvcc = os.path.join(cuda_home, "bin", "nvcc.exe" if sys.platform.startswith("win") else "nvcc")
    if not os.path.isfile(nvcc):
        return None
    archs = re.search(_ARCH_LIST_LINE, text, re.MULTILINE)
    return {"cuda_home": cuda_home, "nvcc": nvcc, "arch_list": archs.group(1) if archs else None}


def _read_pyvenv_cfg(prefix):
    cfg = {}
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as f:
            for line in f:
                if "=" in line:
                    k, v = line.split("=", 1)
                    cfg[k.strip().lower()] = v.strip()
    except (OSError, IOError):
        return None
    return cfg


def _venv_parent(cfg):
    """If this venv was made by an interpreter that was itself a venv, that venv's prefix (3.11+ records it)."""
    command = (cfg or {}).get("command") or ""
    m = re.match(r"^\s*(\"[^\"]+\"|\S+)", command)
    if not m:
        return None
    exe = m.group(1).strip('"')
    bindir = os.path.dirname(exe)
    parent = os.path.dirname(bindir)
    if os.path.isfile(os.path.join(parent, "pyvenv.cfg")):
        return parent
    return None


def python_info():
    """Which interpreter this is, and where its packages come from."""
    info = {
        "version": "%d.%d.%d" % tuple(sys.version_info[:3]),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "platform": sys.platform,
        "machine": platform.machine(),
        "os": platform.platform(),
        "conda": os.path.isdir(os.path.join(sys.prefix, "conda-meta")),
    }
    info["venv"] = info["prefix"] != info["base_prefix"]
    if info["venv"]:
        cfg = _read_pyvenv_cfg(sys.prefix) or {}
        info["system_site_packages"] = cfg.get("include-system-site-packages", "false").lower() == "true"
        info["venv_created_by"] = cfg.get("command") or cfg.get("executable")
        info["venv_parent"] = _venv_parent(cfg)
    info["site_packages"] = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    return info


def _load_cdll(names):
    import ctypes

    for name in names:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def driver_info():
    """The NVIDIA driver as NVML and libcuda see it, read with ctypes so a CPU-only torch still learns it."""
    import ctypes

    out = {"nvml": None, "cuda_driver": None}
    if sys.platform == "darwin":
        return out
    win = sys.platform.startswith("win")
    cuda = _load_cdll(["nvcuda.dll"] if win else ["libcuda.so.1", "libcuda.so"])
    if cuda is not None:
        v = ctypes.c_int(0)
        try:
            if cuda.cuDriverGetVersion(ctypes.byref(v)) == 0 and v.value:
                out["cuda_driver"] = "%d.%d" % (v.value // 1000, (v.value % 1000) // 10)
        except AttributeError:
            pass
    nvml = _load_cdll(["nvml.dll", os.path.join(os.environ.get("ProgramW6432", "C:\\Program Files"),
                                                "NVIDIA Corporation", "NVSMI", "nvml.dll")] if win
                      else ["libnvidia-ml.so.1", "libnvidia-ml.so"])
    if nvml is None:
        return out
    try:
        rc = nvml.nvmlInit_v2()
        if rc != 0:
            out["nvml"] = {"error": "nvmlInit failed (%d)" % rc}
            return out
        buf = ctypes.create_string_buffer(96)
        info = {"driver": None, "gpus": []}
        if nvml.nvmlSystemGetDriverVersion(buf, 96) == 0:
            info["driver"] = buf.value.decode("ascii", "replace")
        count = ctypes.c_uint(0)
        nvml.nvmlDeviceGetCount_v2(ctypes.byref(count))
        for i in range(count.value):
            h = ctypes.c_void_p()
            if nvml.nvmlDeviceGetHandleByIndex_v2(i, ctypes.byref(h)) != 0:
                continue
            gpu = {"index": i, "name": None, "cc": None}
            if nvml.nvmlDeviceGetName(h, buf, 96) == 0:
                gpu["name"] = buf.value.decode("utf-8", "replace")
            major, minor = ctypes.c_int(0), ctypes.c_int(0)
            if nvml.nvmlDeviceGetCudaComputeCapability(h, ctypes.byref(major), ctypes.byref(minor)) == 0:
                gpu["cc"] = "%d.%d" % (major.value, minor.value)
            info["gpus"].append(gpu)
        nvml.nvmlShutdown()
        out["nvml"] = info
    except Exception as exc:  # an odd NVML must not stop the smoke test
        out["nvml"] = {"error": "%s: %s" % (type(exc).__name__, exc)}
    return out


def dist_versions(names=("torch", "torchvision", "torchaudio", "numpy")):
    """Installed versions read from package metadata, without importing (so a broken import still names them)."""
    out = {}
    try:
        from importlib import metadata
    except ImportError:  # Python < 3.8
        return out
    for name in names:
        try:
            out[name] = metadata.version(name)
        except Exception:
            out[name] = None
    return out

