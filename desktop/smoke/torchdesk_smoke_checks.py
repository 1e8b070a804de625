# -*- coding: utf-8 -*-
"""The smoke script's checks once torch imports: build facts, CUDA state, real work on every GPU, numpy and the
companion packages. Valid Python 3.6; torch and the companions are imported only inside the checks.
"""

import os
import time

try:
    from .torchdesk_smoke_ext import _extension_checks
except ImportError:  # run as a script from the copied folder (Python 3.6 says ImportError)
    from torchdesk_smoke_ext import _extension_checks
try:
    from .torchdesk_smoke_words import _error, cc_covered, classify_error
except ImportError:  # run as a script from the copied folder (Python 3.6 says ImportError)
    from torchdesk_smoke_words import _error, cc_covered, classify_error

# Matrix sizes: big enough that a wrong kernel shows, small enough that the checks stay well under a second.
MATMUL_N = 256
FP32_REL_TOL = 1e-4  # fp32 matmul vs float64 reference, max-abs relative to max |ref|; TF32 is turned off
BF16_REL_TOL = 3e-2  # bf16 keeps 8 mantissa bits


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

