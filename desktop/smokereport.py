"""Reading the smoke script's report: its checks as typed results (each failed check carries a severity, and one
the verdict does not know is at least a warning), the torch variant and platform it ran on, the GPUs it saw, and
the words for the stage it reached and for why CUDA was not available.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

from .model import platform_key


SEVERITIES = ("warn", "fail")
# The checks judge() has words of its own for (a cause and a fix). Every other check that fails is judged by the
# severity it carries, and one that carries none (or a bad one) is at least a warning.
# Built with torch.utils.cpp_extension by the smoke script only where the env has TorchDesk's toolchain.
EXTENSION_CHECKS = ("cpp_extension", "cuda_extension")
KNOWN_CHECKS = ("cpu_matmul", "alloc", "matmul_fp32", "conv_cudnn", "matmul_bf16", "numpy_interop", "torchvision_nms")


@dataclass(frozen=True)
class CheckResult:
    """One entry of a report's `checks`, typed: what the verdict reads of it."""

    name: str
    ok: bool
    gpu: int | None
    severity: str  # one of SEVERITIES
    detail: str


def read_checks(report: dict[str, Any]) -> tuple[CheckResult, ...]:
    """The report's checks as CheckResults; an entry that is not an object is a failed check of its own."""
    out: list[CheckResult] = []
    for chk in report.get("checks") or ():
        if not isinstance(chk, dict):
            out.append(CheckResult("?", False, None, "warn", f"the report holds a malformed check ({str(chk)[:80]})"))
            continue
        name = str(chk.get("name") or "?")
        severity = chk.get("severity")
        if severity not in SEVERITIES:
            severity = "fail" if name in KNOWN_CHECKS else "warn"
        gpu = chk.get("gpu") if isinstance(chk.get("gpu"), int) else None
        ok = chk.get("ok") is True
        out.append(CheckResult(name, ok, gpu, str(severity), "" if ok else check_detail(chk)))
    return tuple(out)


def last_line(text: str) -> str:
    """The last line of the log that is not the smoke script's own, at most 200 characters."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("[smoke]")]
    return lines[-1][:200] if lines else "no output"


def stage_words(stage: str) -> str:
    """The stage the script reached, in words: 'gpu0.matmul_fp32' -> 'the matmul_fp32 check on GPU 0'."""
    m = re.match(r"gpu(\d+)\.(\w+)", stage)
    if m:
        return f"the {m.group(2)} check on GPU {m.group(1)}"
    return {"start": "start-up", "driver": "the driver probe", "import_torch": "`import torch`",
            "cuda.init": "CUDA initialisation"}.get(stage, stage)


def base_version(v: str | None) -> str | None:
    """'2.5.1+cu124' -> '2.5.1'."""
    return v.split("+", 1)[0] if v else None


def variant_of(version: str | None, cuda: str | None, hip: str | None) -> str | None:
    """'2.5.1+cu124' -> 'cu124'; with no local tag, from torch.version.cuda ('12.4' -> 'cu124')."""
    if version and "+" in version:
        return version.split("+", 1)[1]
    if cuda:
        major, minor = (cuda.split(".") + ["0"])[:2]
        return f"cu{major}{minor}"
    if hip:
        return "rocm" + ".".join(hip.split(".")[:2])
    return None


def platform_of(report: dict[str, Any]) -> str:
    """The platform key ('linux-x86_64') of the Python that wrote the report."""
    py = report.get("python") or {}
    plat = py.get("platform") or sys.platform
    os_name = "windows" if plat.startswith("win") else "macos" if plat == "darwin" else "linux"
    return platform_key(os_name, py.get("machine") or "x86_64")


def gpu_names(report: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(name, cc) of every GPU: from torch when it ran, else from the script's NVML probe."""
    gpus = report.get("gpus")
    if gpus:
        return [(g.get("name") or f"GPU {g.get('index')}", g.get("cc")) for g in gpus]
    nvml = (report.get("driver") or {}).get("nvml") or {}
    return [(g.get("name") or f"GPU {g.get('index')}", g.get("cc")) for g in nvml.get("gpus") or ()]


def gpus_covered(report: dict[str, Any]) -> str:
    """One cell for the doctor table."""
    if report.get("gpus"):
        cells = []
        for g in report["gpus"]:
            mark = {"sass": "ok", "ptx": "PTX only", None: "NOT covered"}.get(g.get("coverage"), "?")
            cells.append(f"{_short(g.get('name'))} {g.get('sm', '?')} {mark}")
        return "; ".join(cells)
    seen = gpu_names(report)
    if not seen:
        return "no GPU"
    return "none used (" + ", ".join(_short(n) for n, _ in seen) + ")"


def _short(name: str | None) -> str:
    return re.sub(r"^NVIDIA (GeForce )?", "", name or "?")


def first_words(text: str | None) -> str:
    """The first 240 characters of a message, on one line."""
    return " ".join((text or "").split())[:240]


def cc_from_text(text: str) -> str | None:
    """The compute capability named in a torch warning ('sm_120' -> '12.0'), or None."""
    m = re.search(r"sm_(\d+?)(\d)\b", text)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def check_detail(chk: dict[str, Any]) -> str:
    """What went wrong in one failed check: its error, its numeric error, or 'wrong result'."""
    if chk.get("error"):
        return str(chk["error"].get("detail") or chk["error"].get("message", ""))
    if "rel_err" in chk:
        return f"relative error {chk['rel_err']:.2e} > {chk.get('tol', 0):.0e}"
    return "wrong result"


def no_cuda_words(reason: str | None, report: dict[str, Any], t: dict[str, Any]) -> str:
    """Why torch cannot use a GPU, in words, from the report's cuda.reason."""
    drv = report.get("driver") or {}
    have = drv.get("cuda_driver")
    nvml_driver = (drv.get("nvml") or {}).get("driver")
    if reason == "driver_too_old":
        return f"the NVIDIA driver {nvml_driver or ''} (CUDA {have or '?'}) is too old for CUDA {t.get('cuda')}".replace("  ", " ")
    if reason == "no_driver":
        return "no NVIDIA driver found" if not gpu_names(report) else "the NVIDIA driver is not working"
    if reason == "hidden_by_env":
        return f"CUDA_VISIBLE_DEVICES={(report.get('cuda') or {}).get('visible_devices')!r} hides every GPU"
    err = (report.get("cuda") or {}).get("error") or {}
    return err.get("detail") or "torch.cuda.is_available() is False"
