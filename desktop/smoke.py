# -*- coding: utf-8 -*-
"""TorchDesk's smoke test: run by an environment's own python, it proves torch works there and says why not.

This file is two things:

* a script: ``python smoke.py [REPORT_PATH]`` imports torch, runs real GPU work, and writes one JSON report
  (to REPORT_PATH after every step, so a crash or a hang still leaves the last stage behind; to stdout as one
  ``TORCHDESK_REPORT {...}`` line at the end). Progress lines go to stdout as it runs.
* a module: ``classify_error(text)`` is imported by desktop.verify, so the script and the verdicts share one
  table of error texts.

Old environments run old Pythons: the file must stay valid Python 3.6 and use the standard library only until
it imports torch. Nothing runs at import time.
"""

import json
import os
import platform
import re
import sys
import time
import traceback

SCHEMA = 1
REPORT_MARKER = "TORCHDESK_REPORT "

# Matrix sizes: big enough that a wrong kernel shows, small enough that the checks stay well under a second.
MATMUL_N = 256
FP32_REL_TOL = 1e-4  # fp32 matmul vs float64 reference, max-abs relative to max |ref|; TF32 is turned off
BF16_REL_TOL = 3e-2  # bf16 keeps 8 mantissa bits

# (kind, regex) in priority order: the first match wins. Each pattern is taken from real reports; the texts and
# their sources are in tests/verify_data/*.json.
_ERROR_PATTERNS = (
    ("numpy_abi", r"_ARRAY_API not found"),
    ("numpy_abi", r"compiled using NumPy 1\.x cannot be run in\s+NumPy 2"),
    ("numpy_abi", r"numpy\.core\.multiarray failed to import"),
    ("numpy_abi", r"module compiled against (?:ABI|API) version 0x[0-9a-f]+ but this version of numpy is"),
    ("numpy_abi", r"numpy\.dtype size changed, may indicate binary incompatibility"),
    ("numpy_abi", r"Numpy is not available"),
    ("torchvision_mismatch", r"operator torchvision::\w+ does not exist"),
    ("torchvision_mismatch", r"No such operator torchvision::\w+"),
    ("torchvision_mismatch", r"Couldn't load custom C\+\+ ops"),
    ("arch_unsupported", r"with CUDA capability (sm_\d+a?) is not compatible with the current PyTorch installation"),
    ("arch_unsupported", r"which is of cuda capability \d+\.\d+\.\s+PyTorch no longer supports this GPU"),
    ("no_kernel_image", r"no kernel image is available for execution on the device"),
    ("driver_too_old", r"The NVIDIA driver on your system is too old"),
    ("driver_too_old", r"CUDA driver version is insufficient for CUDA runtime version"),
    ("no_driver", r"Found no NVIDIA driver on your system"),
    ("no_driver", r"no CUDA-capable device is detected"),
    ("out_of_memory", r"CUDA out of memory|OutOfMemoryError"),
    ("missing_library", r"([\w.+-]+\.so(?:\.\d+)*): cannot open shared object file"),
    ("missing_library", r"Error loading \"[^\"]*?([\w.+-]+\.dll)\" or one of its dependencies"),
    ("missing_library", r"Could not (?:load|locate) (?:library )?([\w.+-]+\.dll)"),
    ("missing_library", r"Library not loaded: \S*?([\w.+-]+\.dylib)"),
    ("undefined_symbol", r"undefined symbol: (\S+)"),
    ("undefined_symbol", r"Symbol not found: (\S+)"),
)


def classify_error(text):
    """Name the failure in an error text: (kind, detail). kind is one of the _ERROR_PATTERNS kinds or 'other'."""
    text = text or ""
    for kind, pattern in _ERROR_PATTERNS:
        m = re.search(pattern, text, re.IGNORECASE)
        if m:
            detail = m.group(1) if m.groups() and m.group(1) else m.group(0)
            return kind, detail
    return "other", _first_line(text)


def _first_line(text):
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            return line[:300]
    return ""


def _error(exc):
    """An exception as report data: type, message, classification, traceback tail."""
    message = "%s: %s" % (type(exc).__name__, exc)
    tb = traceback.format_exc()
    kind, detail = classify_error(message + "\n" + tb)
    return {"type": type(exc).__name__, "message": str(exc)[:2000], "kind": kind, "detail": detail,
            "traceback": tb[-3000:]}


def cc_covered(cc, arch_list):
    """How torch's arch list covers compute capability (major, minor): 'sass', 'ptx' or None.

    SASS runs on the same major and an equal or higher minor (sm_86 cubins run on 8.9); 'a'/'f' variants only
    on exactly their own capability. PTX is JIT-compiled by the driver for any equal or newer GPU.
    """
    major, minor = cc
    sass, ptx = False, False
    for arch in arch_list or ():
        m = re.match(r"^(sm|compute)_(\d+?)(\d)([af]?)$", arch)
        if not m:
            continue
        kind, am, an, suffix = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        if suffix:
            ok = (am, an) == (major, minor)
        elif kind == "sm":
            ok = am == major and an <= minor
        else:
            ok = (am, an) <= (major, minor)
        if ok and kind == "sm":
            sass = True
        elif ok:
            ptx = True
    return "sass" if sass else ("ptx" if ptx else None)


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


# --- the parts that only run as a script ------------------------------------------------------------------------

class _Run(object):
    def __init__(self, path):
        self.path = path
        self.t0 = time.time()
        self.caught = []  # warnings.WarningMessage, filled while torch runs
        self.report = {"schema": SCHEMA, "complete": False, "stage": "start", "checks": [], "warnings": []}

    def say(self, line):
        sys.stdout.write("[smoke] %s\n" % line)
        sys.stdout.flush()

    def stage(self, name):
        self.report["stage"] = name
        self.save()

    def save(self):
        self.report["elapsed_s"] = round(time.time() - self.t0, 4)
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.report, f, default=str)
        os.replace(tmp, self.path)

    def check(self, name, fn, gpu=None, severity="fail"):
        """Run one check, timing it; fn returns a detail dict (or raises). `severity` ("fail" or "warn") is what
        its failure makes the verdict, for a check the verdict has no words of its own for."""
        self.stage(name if gpu is None else "gpu%d.%s" % (gpu, name))
        entry = {"name": name, "gpu": gpu, "severity": severity}
        t = time.time()
        try:
            entry.update(fn() or {})
            entry["ok"] = bool(entry.get("ok", True))  # a check that returns no verdict passed by not raising
        except Exception as exc:  # every failure is data for the verdict
            entry["ok"] = False
            entry["error"] = _error(exc)
        entry["seconds"] = round(time.time() - t, 4)
        self.report["checks"].append(entry)
        why = ""
        if not entry["ok"]:
            why = "  " + (entry["error"]["detail"] if "error" in entry else "wrong result %r" % entry.get("rel_err"))
        self.say("%-14s %s %.3fs%s" % (name + ("" if gpu is None else "[%d]" % gpu), "ok  " if entry["ok"] else "FAIL",
                                       entry["seconds"], why))
        self.save()
        return entry


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


def _import(name):
    import importlib

    return importlib.import_module(name)


def _rel_err(got, ref):
    denom = float(ref.abs().max()) or 1.0
    return float((got.double() - ref).abs().max()) / denom


def run_torch_checks(run):
    """Everything after `import torch` worked: build facts, CUDA state, per-GPU work, companions."""
    import torch

    rep = run.report
    rep["torch"] = {
        "version": getattr(torch, "__version__", None),
        "file": getattr(torch, "__file__", None),
        "cuda": getattr(torch.version, "cuda", None),
        "hip": getattr(torch.version, "hip", None),
        "git": getattr(torch.version, "git_version", None),
        "cudnn": None,
        "arch_list": [],
    }
    try:
        rep["torch"]["cudnn"] = torch.backends.cudnn.version()
    except Exception as exc:
        rep["torch"]["cudnn_error"] = _error(exc)
    try:
        rep["torch"]["arch_list"] = list(torch.cuda.get_arch_list())
    except Exception:
        pass
    run.save()

    def cpu_matmul():
        g = torch.Generator().manual_seed(3)
        a = torch.randn(64, 64, generator=g, dtype=torch.float64)
        err = _rel_err(a.float() @ a.float(), a @ a)
        return {"ok": err <= FP32_REL_TOL, "rel_err": err}

    run.check("cpu_matmul", cpu_matmul)

    cuda = {"available": False, "device_count": 0, "reason": None, "error": None,
            "visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}
    rep["cuda"] = cuda
    run.stage("cuda.init")
    t = time.time()
    try:
        cuda["available"] = bool(torch.cuda.is_available())
        if cuda["available"]:
            torch.cuda.init()
            cuda["device_count"] = torch.cuda.device_count()
    except Exception as exc:
        cuda["available"] = False
        cuda["error"] = _error(exc)
    cuda["init_s"] = round(time.time() - t, 4)
    if not cuda["available"]:
        cuda["reason"] = _why_no_cuda(run, torch, rep, cuda)
    run.save()

    if cuda["available"]:
        # TF32 would make the fp32 check measure TF32 rounding; turn it off for the comparison.
        try:
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        except Exception:
            pass
        rep["gpus"] = []
        for i in range(cuda["device_count"]):
            _gpu_checks(run, torch, i)

    _numpy_checks(run, torch)
    _torchvision_checks(run, torch, cuda["available"])
    _torchaudio_checks(run)
    _extension_checks(run, torch, cuda["available"])


def _why_no_cuda(run, torch, rep, cuda):
    if not rep["torch"]["cuda"] and not rep["torch"]["hip"]:
        return "cpu_build"
    # Ask torch why: _cuda_getDeviceCount / init raise with the driver's own words.
    if cuda.get("error") is None:
        try:
            torch.cuda.init()
        except Exception as exc:
            cuda["error"] = _error(exc)
    text = (cuda.get("error") or {}).get("message", "")
    text += "\n" + "\n".join(str(w.message) for w in run.caught)
    kind, _ = classify_error(text)
    if kind in ("driver_too_old", "no_driver"):
        return kind
    drv = rep.get("driver") or {}
    if not drv.get("cuda_driver") and not (drv.get("nvml") or {}).get("gpus"):
        return "no_driver"
    if drv.get("cuda_driver") and rep["torch"]["cuda"]:
        have = tuple(int(x) for x in drv["cuda_driver"].split("."))
        want = tuple(int(x) for x in rep["torch"]["cuda"].split(".")[:2])
        if have[0] < want[0]:
            return "driver_too_old"
    if cuda.get("visible_devices") is not None and not cuda["visible_devices"].strip(","):
        return "hidden_by_env"
    return "other"


def _gpu_checks(run, torch, i):
    rep = run.report
    gpu = {"index": i}
    rep["gpus"].append(gpu)
    try:
        props = torch.cuda.get_device_properties(i)
        gpu["name"] = props.name
        gpu["cc"] = "%d.%d" % (props.major, props.minor)
        gpu["sm"] = "sm_%d%d" % (props.major, props.minor)
        gpu["memory_mib"] = int(props.total_memory // (1024 * 1024))
        gpu["coverage"] = cc_covered((props.major, props.minor), rep["torch"]["arch_list"])
    except Exception as exc:
        gpu["error"] = _error(exc)
        return
    dev = torch.device("cuda", i)
    sync = lambda: torch.cuda.synchronize(dev)  # noqa: E731 - a one-line alias, as the 3.6 script keeps them

    def alloc():
        x = torch.empty(16 * 1024 * 1024, dtype=torch.uint8, device=dev)
        x.fill_(1)
        sync()
        return {"bytes": x.numel()}

    def matmul():
        n = MATMUL_N
        g = torch.Generator().manual_seed(0)
        a = torch.randn(n, n, generator=g, dtype=torch.float64)
        b = torch.randn(n, n, generator=g, dtype=torch.float64)
        ref = a @ b
        got = (a.float().to(dev) @ b.float().to(dev))
        sync()
        err = _rel_err(got.cpu(), ref)
        return {"ok": err <= FP32_REL_TOL, "rel_err": err, "tol": FP32_REL_TOL, "n": n}

    def conv():
        import torch.nn.functional as F

        g = torch.Generator().manual_seed(1)
        x = torch.randn(2, 8, 32, 32, generator=g, dtype=torch.float64)
        w = torch.randn(16, 8, 3, 3, generator=g, dtype=torch.float64)
        ref = F.conv2d(x, w, padding=1)
        got = F.conv2d(x.float().to(dev), w.float().to(dev), padding=1)
        sync()
        err = _rel_err(got.cpu(), ref)
        return {"ok": err <= FP32_REL_TOL * 10, "rel_err": err, "cudnn": torch.backends.cudnn.is_available()}

    def bf16():
        n = MATMUL_N
        g = torch.Generator().manual_seed(2)
        a = torch.randn(n, n, generator=g, dtype=torch.float64)
        b = torch.randn(n, n, generator=g, dtype=torch.float64)
        a16, b16 = a.to(dev, torch.bfloat16), b.to(dev, torch.bfloat16)
        ref = a16.double().cpu() @ b16.double().cpu()
        got = a16 @ b16
        sync()
        err = _rel_err(got.cpu(), ref)
        return {"ok": err <= BF16_REL_TOL, "rel_err": err, "tol": BF16_REL_TOL}

    run.check("alloc", alloc, gpu=i)
    run.check("matmul_fp32", matmul, gpu=i)
    run.check("conv_cudnn", conv, gpu=i)
    if props.major >= 8:  # bf16 tensor cores from Ampere on
        run.check("matmul_bf16", bf16, gpu=i)


def _numpy_checks(run, torch):
    rep = run.report
    try:
        np = _import("numpy")
    except ImportError as exc:
        rep["numpy"] = {"installed": False, "message": str(exc)}
        return
    except Exception as exc:
        rep["numpy"] = {"installed": True, "error": _error(exc)}
        return
    rep["numpy"] = {"installed": True, "version": getattr(np, "__version__", None)}

    def interop():
        t = torch.from_numpy(np.arange(4, dtype=np.float32))
        back = (t * 2).numpy()
        return {"ok": float(back.sum()) == 12.0}

    run.check("numpy_interop", interop)


def _import_companion(rep, name, load):
    """Import torchvision / torchaudio through `load()`; record installed, version or error in rep[name]."""
    t = time.time()
    try:
        mod = load()
    except ImportError as exc:
        if getattr(exc, "name", None) == name or ("No module named '%s'" % name) in str(exc):
            rep[name] = {"installed": False}
            return None
        rep[name] = {"installed": True, "error": _error(exc)}
        return None
    except Exception as exc:
        rep[name] = {"installed": True, "error": _error(exc)}
        return None
    rep[name] = {"installed": True, "version": getattr(mod, "__version__", None), "import_s": round(time.time() - t, 4)}
    return mod


def _nms_check(torch, on_gpu):
    def nms():
        from torchvision.ops import nms as _nms

        dev = "cuda" if on_gpu else "cpu"
        boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=torch.float32, device=dev)
        scores = torch.tensor([0.9, 0.8, 0.7], device=dev)
        keep = _nms(boxes, scores, 0.5).cpu().tolist()
        return {"ok": keep == [0, 2], "device": dev, "keep": keep}

    return nms


def _torchvision_checks(run, torch, on_gpu):
    run.stage("torchvision.import")
    tv = _import_companion(run.report, "torchvision", lambda: _import("torchvision"))
    if tv is not None:
        run.check("torchvision_nms", _nms_check(torch, on_gpu))


def _torchaudio_checks(run):
    run.stage("torchaudio.import")
    _import_companion(run.report, "torchaudio", lambda: _import("torchaudio"))


EXT_CPP = r"""
#include <torch/extension.h>
torch::Tensor torchdesk_add_one(torch::Tensor x) { return x + 1; }
"""
EXT_CUDA_DECL = "torch::Tensor torchdesk_add_one_cuda(torch::Tensor x);"
EXT_CUDA = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
__global__ void torchdesk_add_one_kernel(const float* x, float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i] + 1.0f;
}
torch::Tensor torchdesk_add_one_cuda(torch::Tensor x) {
  TORCH_CHECK(x.is_cuda() && x.scalar_type() == torch::kFloat && x.is_contiguous(), "a contiguous float CUDA tensor");
  auto y = torch::empty_like(x);
  int n = (int) x.numel();
  torchdesk_add_one_kernel<<<(n + 255) / 256, 256>>>(x.data_ptr<float>(), y.data_ptr<float>(), n);
  cudaError_t err = cudaGetLastError();
  TORCH_CHECK(err == cudaSuccess, "kernel launch failed: ", cudaGetErrorString(err));
  return y;
}
"""


def _extension_checks(run, torch, on_gpu):
    """With the toolchain TorchDesk installed (and only then): build a C++ extension with load_inline and call it;
    where torch has CUDA and a GPU is there, also a CUDA kernel, launched on every GPU. A failure is a "fail"."""
    import shutil
    import tempfile

    tc = toolchain_info(sys.prefix)
    run.report["toolchain"] = tc
    if tc is None:
        return
    # What activation would set, for the compile only: CUDA_HOME, the arch list, and the env's own scripts
    # folder first on PATH (ninja from pip lands there; verify runs this python without activating the env).
    os.environ["CUDA_HOME"] = tc["cuda_home"]
    if tc["arch_list"]:
        os.environ["TORCH_CUDA_ARCH_LIST"] = tc["arch_list"]
    bindirs = [os.path.dirname(sys.executable), os.path.join(sys.prefix, "Scripts"), os.path.join(sys.prefix, "bin"),
               os.path.join(tc["cuda_home"], "bin")]
    os.environ["PATH"] = os.pathsep.join([d for d in bindirs if os.path.isdir(d)] + [os.environ.get("PATH", "")])
    build = tempfile.mkdtemp(prefix="torchdesk-ext-")  # never the user's ~/.cache/torch_extensions

    def load(name, **sources):
        run.stage("extension.build." + name)
        from torch.utils import cpp_extension

        cpp_extension.CUDA_HOME = tc["cuda_home"]  # read at import; the env var above covers a first import
        folder = os.path.join(build, name)
        os.mkdir(folder)
        t = time.time()
        mod = cpp_extension.load_inline(name=name, build_directory=folder, verbose=False, **sources)
        return mod, round(time.time() - t, 3)

    def cpp():
        mod, secs = load("torchdesk_ext_cpp", cpp_sources=[EXT_CPP], functions=["torchdesk_add_one"])
        got = mod.torchdesk_add_one(torch.arange(4, dtype=torch.float32)).tolist()
        return {"ok": got == [1.0, 2.0, 3.0, 4.0], "got": got, "build_s": secs, "cxx": os.environ.get("CXX", "c++")}

    def cuda():
        mod, secs = load("torchdesk_ext_cuda", cpp_sources=[EXT_CUDA_DECL], cuda_sources=[EXT_CUDA],
                         functions=["torchdesk_add_one_cuda"])
        out = {"build_s": secs, "gpus": []}
        for i in range(torch.cuda.device_count()):
            with torch.cuda.device(i):
                x = torch.arange(4, dtype=torch.float32, device="cuda:%d" % i)
                got = mod.torchdesk_add_one_cuda(x)
                torch.cuda.synchronize(i)
                out["gpus"].append({"index": i, "got": got.cpu().tolist()})
        out["ok"] = bool(out["gpus"]) and all(g["got"] == [1.0, 2.0, 3.0, 4.0] for g in out["gpus"])
        return out

    try:
        run.check("cpp_extension", cpp, severity="fail")
        if on_gpu and run.report["torch"].get("cuda"):
            run.check("cuda_extension", cuda, severity="fail")
        else:
            run.report["toolchain"]["cuda_extension"] = "skipped: %s" % (
                "this torch build has no CUDA" if not run.report["torch"].get("cuda") else "no GPU is available")
    finally:
        shutil.rmtree(build, ignore_errors=True)


def main(argv=None):
    """Run the smoke test; write the report. Exit 0 whenever a report was written, whatever it says."""
    import warnings

    argv = sys.argv[1:] if argv is None else argv
    run = _Run(argv[0] if argv else None)
    rep = run.report
    # The script's own folder must not shadow anything (a `torch/` next to it would be imported instead).
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    rep["python"] = python_info()
    rep["dists"] = dist_versions()
    run.stage("driver")
    t = time.time()
    try:
        rep["driver"] = driver_info()
    except Exception as exc:
        rep["driver"] = {"error": _error(exc)}
    rep["driver"]["seconds"] = round(time.time() - t, 4)
    run.say("python %s at %s" % (rep["python"]["version"], rep["python"]["executable"]))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run.caught = caught
        run.stage("import_torch")
        t = time.time()
        imp = {"ok": False}
        rep["import_torch"] = imp
        try:
            import torch  # noqa: F401 - the import is the check
            imp["ok"] = True
        except BaseException as exc:  # SystemExit / KeyboardInterrupt from a broken import are data too
            if isinstance(exc, KeyboardInterrupt):
                raise
            err = _error(exc)
            if isinstance(exc, ImportError) and getattr(exc, "name", None) == "torch":
                err["kind"] = "not_installed"
            imp["error"] = err
        imp["seconds"] = round(time.time() - t, 4)
        run.say("import torch: %s (%.2fs)" % ("ok" if imp["ok"] else imp["error"]["detail"], imp["seconds"]))
        run.save()
        if imp["ok"]:
            try:
                run_torch_checks(run)
            except Exception as exc:
                rep["crash"] = _error(exc)
        for w in caught:
            msg = str(w.message)
            kind, detail = classify_error(msg)
            rep["warnings"].append({"category": w.category.__name__, "message": msg[:2000], "kind": kind,
                                    "detail": detail})
    rep["complete"] = True
    rep["stage"] = "done"
    run.save()
    sys.stdout.write(REPORT_MARKER + json.dumps(rep, default=str) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
