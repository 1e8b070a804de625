"""Verdicts on a smoke-test report: pass, pass with warnings, or fail, each failure with a one-line cause and a
fix taken from the compatibility data. Pure functions over the report dict the smoke script writes, so they are
tested on replayed reports; verify.py runs the script and hands its report here. Reading the report is in
smokereport.py, the fix texts in verdictfixes.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .model import SmokeRun
from .smoke.torchdesk_smoke_words import classify_error
from .smokereport import (
    EXTENSION_CHECKS, KNOWN_CHECKS, cc_from_text, check_detail, first_words, gpu_names, last_line, no_cuda_words,
    platform_of, read_checks, stage_words, variant_of,
)
from .verdictfixes import (
    companion_fix, cpu_build_fix, crash_fix, driver_fix, extension_fix, gpu_fix, numpy_fix, reinstall_fix, release_of,
    timeout_fix, torchvision_fix,
)

VERDICTS = ("pass", "warn", "fail")


@dataclass(frozen=True)
class Judgement:
    verdict: str
    cause: str
    fix: str
    warnings: tuple[str, ...] = field(default=())


UNEXPECTED = "the environment printed something unexpected"
UNEXPECTED_FIX = ("something in the environment (a sitecustomize.py, a .pth file, a wrapper around python) writes "
                  "to its output; see the log, remove it, then verify again")


def judge_run(run: SmokeRun, *, expect_gpu: bool | None = None, matrix: Any = None, timeout: float = 300) -> Judgement:
    """Judge a SmokeRun: start/timeout/crash problems first, then the report."""
    if run.error:
        return Judgement("fail", run.error, "check the path: give the environment's python, e.g. <prefix>/bin/python")
    if run.cancelled:
        return Judgement("fail", "verification was cancelled", "run `torchdesk verify` again")
    unexpected = getattr(run, "unexpected", None)
    if run.report is None and not run.timed_out and (unexpected or run.returncode == 0):
        # Our script always ends with its report; exit 0 without one means something else answered.
        what = unexpected or f"it exited with 0 without one; last line: {last_line(run.log)}"
        return Judgement("fail", f"{UNEXPECTED} instead of the smoke test's report ({what})", UNEXPECTED_FIX)
    report = run.report
    stage = (report or {}).get("stage", "start")
    if run.timed_out:
        return Judgement("fail", f"the smoke test did not finish in {timeout:g} s (stuck in {stage_words(stage)})",
                         timeout_fix(stage))
    if report is None or not report.get("complete"):
        kind, detail = classify_error(run.log)
        if report is None and re.search(r"SyntaxError|invalid syntax", run.log):
            return Judgement("fail", "this Python is too old to run the smoke test (it needs Python 3.6 or newer)",
                             "verify an environment with Python 3.6 or newer")
        code = run.returncode or 0
        how = f"was killed by signal {-code}" if code < 0 else f"exited with {run.returncode}"
        cause = f"the python process {how} during {stage_words(stage)}"
        if kind != "other":
            cause += f": {detail}"
        elif detail:
            cause += f" ({last_line(run.log)})"
        partial = judge(report, expect_gpu=expect_gpu, matrix=matrix) if report else None
        fix = partial.fix if partial and partial.verdict == "fail" else crash_fix(stage)
        return Judgement("fail", cause, fix)
    return judge(report, expect_gpu=expect_gpu, matrix=matrix)


def judge(report: dict[str, Any], *, expect_gpu: bool | None = None, matrix: Any = None) -> Judgement:
    """The verdict on a smoke report. expect_gpu None: expect one when the driver probe saw an NVIDIA GPU."""
    fails: list[tuple[str, str]] = []
    warns: list[tuple[str, str]] = []
    imp = report.get("import_torch") or {}
    if not imp.get("ok"):
        err = imp.get("error") or {}
        return _import_failure(report, err, matrix)

    t = report.get("torch") or {}
    version = t.get("version")
    variant = variant_of(version, t.get("cuda"), t.get("hip"))
    label = f"torch {version}"
    plat = platform_of(report)
    seen = gpu_names(report)
    gpu_expected = bool(seen) if expect_gpu is None else expect_gpu

    if report.get("crash"):
        c = report["crash"]
        fails.append((f"the smoke test itself failed: {c.get('detail')}", "see the log; this may be a TorchDesk bug"))
    for chk in report.get("checks") or ():
        if chk.get("name") == "cpu_matmul" and not chk.get("ok"):
            fails.append((f"{label} cannot multiply two small matrices on the CPU ({check_detail(chk)})",
                          reinstall_fix(matrix, version, variant, "its libraries")))

    cuda = report.get("cuda") or {}
    if not cuda.get("available"):
        reason = cuda.get("reason")
        names = ", ".join(n for n, _ in seen)
        if reason == "cpu_build":
            cause = f"CPU-only build: {label} has no CUDA support" + (f", so the {names} is not used" if names else "")
            fix = cpu_build_fix(matrix, seen, plat)
            if expect_gpu:
                fails.append((cause, fix))
            elif expect_gpu is None and seen:
                warns.append((cause, fix))
        else:
            why = no_cuda_words(reason, report, t)
            cause = f"{label} (CUDA {t.get('cuda') or t.get('hip')}) cannot use a GPU: {why}"
            if reason == "driver_too_old":
                fix = driver_fix(matrix, report, t.get("cuda"))
            elif reason == "hidden_by_env":
                fix = "unset CUDA_VISIBLE_DEVICES (or list the GPUs to use in it)"
            elif reason == "no_driver":
                fix = ("install the NVIDIA driver" if not seen else "reload the NVIDIA driver (reboot after a driver update)")
                if not seen and expect_gpu is None:
                    fix = "nothing to do if this machine has no NVIDIA GPU; torch runs on the CPU"
            else:
                fix = "see the log for CUDA's own error; updating the NVIDIA driver fixes most of these"
            if gpu_expected:
                fails.append((cause, fix))
            else:
                warns.append((cause, fix))
    else:
        for g in report.get("gpus") or ():
            _judge_gpu(g, report, label, matrix, plat, fails, warns)

    for w in report.get("warnings") or ():
        if w.get("kind") == "arch_unsupported" and not any("no kernels" in c for c, _ in fails):
            cc = cc_from_text(w.get("message", "")) or ""
            warns.append((f"torch warns: {first_words(w.get('message'))}", gpu_fix(matrix, cc, plat) if cc else ""))

    _judge_numpy(report, version, matrix, fails, warns)
    _judge_companion(report, "torchvision", version, variant, matrix, fails)
    _judge_companion(report, "torchaudio", version, variant, matrix, fails)
    _judge_other_checks(report, fails, warns)

    if fails:
        return Judgement("fail", fails[0][0], fails[0][1], tuple(c for c, _ in fails[1:] + warns))
    if warns:
        return Judgement("warn", warns[0][0], warns[0][1], tuple(c for c, _ in warns))
    return Judgement("pass", _pass_summary(report, label), "")


def _judge_other_checks(report: dict[str, Any], fails: list[tuple[str, str]], warns: list[tuple[str, str]]) -> None:
    """The catch-all: a failed check no judge above knows counts by its severity; and a failure that no judge
    above turned into a cause (a known check failing where its judge does not look) never passes silently."""
    checks = read_checks(report)
    fix = "see the log for the check's full error"
    for c in checks:
        # GPU checks of any name are judged per GPU (_judge_gpu); the others by name above.
        if not c.ok and c.gpu is None and c.name not in KNOWN_CHECKS:
            (fails if c.severity == "fail" else warns).append((f"the {c.name} check failed: {c.detail}",
                                                               extension_fix(c.detail) if c.name in
                                                               EXTENSION_CHECKS else fix))
    if not fails and not warns:
        for c in checks:
            if not c.ok:
                where = "" if c.gpu is None else f" on GPU {c.gpu}"
                (fails if c.severity == "fail" else warns).append((f"the {c.name} check failed{where}: {c.detail}", fix))


def _judge_gpu(g: dict[str, Any], report: dict[str, Any], label: str, matrix: Any, plat: str,
               fails: list[tuple[str, str]], warns: list[tuple[str, str]]) -> None:
    name, sm, cc = g.get("name", "GPU"), g.get("sm", "?"), g.get("cc")
    if g.get("error"):
        fails.append((f"cannot read GPU {g.get('index')}: {g['error'].get('detail')}", "see the log"))
        return
    arch_list = " ".join((report.get("torch") or {}).get("arch_list") or ()) or "nothing"
    no_kernels = (f"{label} has no kernels for {sm} ({name}): it carries {arch_list}",
                  gpu_fix(matrix, cc, plat) if cc else "install a build that supports this GPU")
    if g.get("coverage") is None:
        fails.append(no_kernels)
    elif g.get("coverage") == "ptx":
        warns.append((f"{label} has no {sm} code for the {name}: the driver JIT-compiles PTX on first use (slow start)",
                      gpu_fix(matrix, cc, plat) if cc else ""))
    for chk in report.get("checks") or ():
        if chk.get("gpu") != g.get("index") or chk.get("ok"):
            continue
        err = chk.get("error") or {}
        kind = err.get("kind")
        if kind in ("no_kernel_image", "arch_unsupported"):
            if no_kernels not in fails:
                fails.append(no_kernels)
        elif kind == "out_of_memory":
            fails.append((f"GPU {g.get('index')} ({name}) is out of memory, so {chk['name']} could not run",
                          "close what is using that GPU (nvidia-smi lists it) and verify again"))
        elif kind == "missing_library":
            fails.append((f"{chk['name']} on {name} failed: {err.get('detail')} is missing",
                          reinstall_fix(matrix, (report.get("torch") or {}).get("version"),
                                         variant_of((report.get("torch") or {}).get("version"), None, None),
                                         "the bundled CUDA libraries")))
        else:
            fails.append((f"{chk['name']} on GPU {g.get('index')} ({name}) failed: {check_detail(chk)}",
                          "update the NVIDIA driver and reinstall torch; the log has the full error"))


def _judge_numpy(report: dict[str, Any], version: str | None, matrix: Any,
                 fails: list[tuple[str, str]], warns: list[tuple[str, str]]) -> None:
    np_info = report.get("numpy") or {}
    if not np_info.get("installed"):
        return
    npv = np_info.get("version") or (report.get("dists") or {}).get("numpy")
    broken = None
    if np_info.get("error"):
        broken = np_info["error"]
    for chk in report.get("checks") or ():
        if chk.get("name") == "numpy_interop" and not chk.get("ok"):
            broken = chk.get("error") or {"kind": "numpy_abi", "detail": "wrong result"}
    abi_warn = any(w.get("kind") == "numpy_abi" for w in report.get("warnings") or ())
    if broken is not None or abi_warn:
        kind = (broken or {}).get("kind", "numpy_abi")
        if kind == "numpy_abi" or abi_warn:
            fails.append((f"numpy ABI mismatch: torch {version} cannot use NumPy {npv} (compiled against NumPy 1.x)",
                          numpy_fix(matrix, version)))
        else:
            fails.append((f"numpy {npv} is broken: {(broken or {}).get('detail')}", "pip install --force-reinstall numpy"))
        return
    rel = release_of(matrix, version)
    if rel is not None and rel.numpy and npv:
        try:
            from packaging.specifiers import SpecifierSet

            if not SpecifierSet(rel.numpy).contains(npv, prereleases=True):
                warns.append((f"NumPy {npv} is outside numpy{rel.numpy}, the range torch {rel.version} supports",
                              f"pip install 'numpy{rel.numpy}'"))
        except Exception:
            pass


def _judge_companion(report: dict[str, Any], name: str, version: str | None, variant: str | None, matrix: Any,
                     fails: list[tuple[str, str]]) -> None:
    info = report.get(name) or {}
    if not info.get("installed"):
        return
    v = info.get("version") or (report.get("dists") or {}).get(name)
    err = info.get("error")
    if err is None:
        for chk in report.get("checks") or ():
            if chk.get("name", "").startswith(name) and not chk.get("ok"):
                err = chk.get("error") or {"kind": "other", "detail": check_detail(chk)}
    if err is None:
        return
    if err.get("kind") in ("torchvision_mismatch", "undefined_symbol") or name == "torchvision":
        fix = torchvision_fix(matrix, version, variant) if name == "torchvision" else companion_fix(matrix, version, variant, name)
        fails.append((f"{name} {v} does not match torch {version}: {err.get('detail')}", fix))
    elif err.get("kind") == "numpy_abi":
        fails.append((f"{name} {v} cannot load with this NumPy: {err.get('detail')}", numpy_fix(matrix, version)))
    else:
        fails.append((f"{name} {v} fails to import: {err.get('detail')}", companion_fix(matrix, version, variant, name)))


def _import_failure(report: dict[str, Any], err: dict[str, Any], matrix: Any) -> Judgement:
    py = report.get("python") or {}
    dists = report.get("dists") or {}
    version = dists.get("torch")
    variant = variant_of(version, None, None)
    kind = err.get("kind")
    where = f"Python {py.get('version', '?')} at {py.get('executable', '?')}"
    if kind == "not_installed":
        cause = f"torch is not installed for {where}"
        fix = f"install torch into it: {py.get('executable', 'python')} -m pip install torch (`torchdesk recommend` picks the build)"
        parent = py.get("venv_parent")
        if py.get("venv") and py.get("system_site_packages") and parent:
            cause += (f". This venv was made with --system-site-packages from {parent}, which is itself a venv: "
                      f"it sees the packages of {py.get('base_prefix')}, not those of {parent}")
            fix = f"install torch into this venv, or recreate it from a Python that is not a venv (not {parent})"
        elif py.get("venv") and py.get("system_site_packages"):
            cause += f"; with --system-site-packages this venv sees only {py.get('base_prefix')}'s packages"
        return Judgement("fail", cause, fix)
    if kind == "numpy_abi":
        return Judgement("fail", f"numpy ABI mismatch: `import torch` fails with NumPy {dists.get('numpy') or '?'} "
                                 f"({err.get('detail')})", numpy_fix(matrix, version))
    if kind == "missing_library":
        return Judgement("fail", f"`import torch` fails: {err.get('detail')} is missing",
                         reinstall_fix(matrix, version, variant, "its CUDA libraries (cuDNN, cuBLAS ...)"))
    if kind == "undefined_symbol":
        return Judgement("fail", f"`import torch` fails: a library it loads is the wrong version (undefined symbol "
                                 f"{err.get('detail')})",
                         reinstall_fix(matrix, version, variant, "matching CUDA libraries"))
    return Judgement("fail", f"`import torch` fails: {err.get('detail') or err.get('message')}",
                     reinstall_fix(matrix, version, variant, "its files"))


def _pass_summary(report: dict[str, Any], label: str) -> str:
    gpus = report.get("gpus") or []
    if not gpus:
        return f"{label} works on the CPU"
    parts = []
    for g in gpus:
        mm: dict[str, Any] = next((c for c in report.get("checks") or () if c.get("gpu") == g.get("index")
                   and c.get("name") == "matmul_fp32"), {})
        err = f", fp32 matmul rel. error {mm['rel_err']:.1e}" if "rel_err" in mm else ""
        parts.append(f"{g.get('name')} ({g.get('sm')}{err})")
    return f"{label} runs on " + "; ".join(parts)
