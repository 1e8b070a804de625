"""Verdicts on a smoke-test report: pass, pass with warnings, or fail, each failure with a one-line cause and a
fix taken from the compatibility data. Pure functions over the report dict the smoke script writes, so they are
tested on replayed reports; verify.py runs the script and hands its report here.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Any

from .matrix import vtuple
from .model import SmokeRun, platform_key
from .smoke import classify_error

VERDICTS = ("pass", "warn", "fail")
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
        out.append(CheckResult(name, ok, gpu, str(severity), "" if ok else _check_detail(chk)))
    return tuple(out)


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
        what = unexpected or f"it exited with 0 without one; last line: {_last_line(run.log)}"
        return Judgement("fail", f"{UNEXPECTED} instead of the smoke test's report ({what})", UNEXPECTED_FIX)
    report = run.report
    stage = (report or {}).get("stage", "start")
    if run.timed_out:
        return Judgement("fail", f"the smoke test did not finish in {timeout:g} s (stuck in {_stage_words(stage)})",
                         _timeout_fix(stage))
    if report is None or not report.get("complete"):
        kind, detail = classify_error(run.log)
        if report is None and re.search(r"SyntaxError|invalid syntax", run.log):
            return Judgement("fail", "this Python is too old to run the smoke test (it needs Python 3.6 or newer)",
                             "verify an environment with Python 3.6 or newer")
        code = run.returncode or 0
        how = f"was killed by signal {-code}" if code < 0 else f"exited with {run.returncode}"
        cause = f"the python process {how} during {_stage_words(stage)}"
        if kind != "other":
            cause += f": {detail}"
        elif detail:
            cause += f" ({_last_line(run.log)})"
        partial = judge(report, expect_gpu=expect_gpu, matrix=matrix) if report else None
        fix = partial.fix if partial and partial.verdict == "fail" else _crash_fix(stage)
        return Judgement("fail", cause, fix)
    return judge(report, expect_gpu=expect_gpu, matrix=matrix)


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("[smoke]")]
    return lines[-1][:200] if lines else "no output"


def _stage_words(stage: str) -> str:
    m = re.match(r"gpu(\d+)\.(\w+)", stage)
    if m:
        return f"the {m.group(2)} check on GPU {m.group(1)}"
    return {"start": "start-up", "driver": "the driver probe", "import_torch": "`import torch`",
            "cuda.init": "CUDA initialisation"}.get(stage, stage)


def _timeout_fix(stage: str) -> str:
    if stage == "import_torch":
        return "a first `import torch` on a slow or network disk can take minutes: run verify again with a longer --timeout"
    if stage.startswith(("gpu", "cuda")):
        return "check the GPU is not hung or fully busy (nvidia-smi), then run verify again"
    return "run verify again with a longer --timeout"


def _crash_fix(stage: str) -> str:
    if stage == "import_torch":
        return "reinstall torch in this environment (pip install --force-reinstall torch from its index)"
    if stage.startswith(("gpu", "cuda")):
        return "update the NVIDIA driver, then reinstall torch; the log shows where it crashed"
    return "see the log for where it stopped"


def _base_version(v: str | None) -> str | None:
    return v.split("+", 1)[0] if v else None


def _variant_of(version: str | None, cuda: str | None, hip: str | None) -> str | None:
    """'2.5.1+cu124' -> 'cu124'; with no local tag, from torch.version.cuda ('12.4' -> 'cu124')."""
    if version and "+" in version:
        return version.split("+", 1)[1]
    if cuda:
        major, minor = (cuda.split(".") + ["0"])[:2]
        return f"cu{major}{minor}"
    if hip:
        return "rocm" + ".".join(hip.split(".")[:2])
    return None


def _platform_of(report: dict[str, Any]) -> str:
    py = report.get("python") or {}
    plat = py.get("platform") or sys.platform
    os_name = "windows" if plat.startswith("win") else "macos" if plat == "darwin" else "linux"
    return platform_key(os_name, py.get("machine") or "x86_64")


def _release(matrix: Any, version: str | None) -> Any:
    if matrix is None or not version:
        return None
    try:
        return matrix.release(_base_version(version))
    except Exception:
        return None


def _no_data(matrix: Any, version: str | None) -> str:
    if matrix is None:
        return "no compatibility data available"
    return f"no data for torch {_base_version(version)} in the compatibility data ({getattr(matrix, 'data_version', '?')})"


def _covering(matrix: Any, cc: str, plat: str) -> list[tuple[Any, Any]]:
    from .resolve import covering_builds

    return covering_builds(matrix, cc, plat)


def gpu_fix(matrix: Any, cc: str, plat: str = "linux-x86_64") -> str:
    """Which builds have kernels for compute capability `cc`, from the data: 'Blackwell needs a cu128 build: ...'."""
    sm = "sm_" + cc.replace(".", "")
    if matrix is None:
        return f"install a PyTorch build whose wheels carry {sm} kernels (no compatibility data available)"
    try:
        arch = matrix.arch_for_cc(cc)
    except Exception:
        arch = None
    who = f"{arch.name} ({sm})" if arch else sm
    builds = _covering(matrix, cc, plat)
    if not builds:
        return f"no PyTorch build in the data ({getattr(matrix, 'data_version', '?')}) has kernels for {who} on {plat}"
    oldest_rel = min((r for r, _ in builds), key=lambda r: vtuple(r.version))
    oldest_variant = min((b for r, b in builds if r is oldest_rel), key=lambda b: vtuple(b.cuda or "0")).variant
    newest_rel, newest_build = max(builds, key=lambda rb: (vtuple(rb[0].version), vtuple(rb[1].cuda or "0")))
    minor = ".".join(oldest_rel.version.split(".")[:2])
    return (f"{who} needs a {oldest_variant} build: torch {minor} or newer "
            f"(`torchdesk create --torch {newest_rel.version} --variant {newest_build.variant}`)")


def _reinstall_fix(matrix: Any, version: str | None, variant: str | None, what: str) -> str:
    rel = _release(matrix, version)
    base = _base_version(version)
    if rel is None or not base:
        tail = f" ({_no_data(matrix, version)})" if base else ""
        return f"reinstall torch from the PyTorch index so {what} come back{tail}"
    build = rel.build(variant) if variant else None
    url = build.install.index_url if build is not None and build.install is not None else None
    spec = f"torch=={base}" + (build.install.local_version or "" if build is not None and build.install else "")
    where = f" --index-url {url}" if url else ""
    return f"reinstall so {what} come back: pip install --force-reinstall {spec}{where}"


def _numpy_fix(matrix: Any, version: str | None) -> str:
    rel = _release(matrix, version)
    if rel is not None and rel.numpy:
        return f"pip install 'numpy{rel.numpy}' (the range torch {rel.version} was built for)"
    note = f" ({_no_data(matrix, version)})" if rel is None else ""
    return f"pip install 'numpy<2': this torch was compiled against NumPy 1.x{note}"


def _torchvision_fix(matrix: Any, version: str | None, variant: str | None) -> str:
    rel = _release(matrix, version)
    if rel is None or not rel.torchvision:
        return (f"install the torchvision release made for torch {_base_version(version)} from the same index as torch"
                f" ({_no_data(matrix, version) if rel is None else 'the data names no torchvision for it'})")
    build = rel.build(variant) if variant else None
    url = build.install.index_url if build is not None and build.install and build.install.index_url else None
    lv = build.install.local_version or "" if build is not None and build.install else ""
    return f"pip install torchvision=={rel.torchvision}{lv}" + (f" --index-url {url}" if url else "")


def _driver_fix(matrix: Any, report: dict[str, Any], cuda: str | None) -> str:
    os_key = "windows" if _platform_of(report).startswith("windows") else "linux"
    tk = None
    if matrix is not None and cuda:
        try:
            tk = matrix.cuda(cuda)
        except Exception:
            tk = None
    if tk is None:
        return f"update the NVIDIA driver to one that supports CUDA {cuda} ({_no_data(matrix, None) if matrix is None else 'no driver data for CUDA ' + str(cuda)})"
    need = tk.driver_min.get(os_key) or tk.driver_min.get("linux")
    have = (report.get("driver") or {}).get("cuda_driver")
    alt = ""
    if have and matrix is not None:
        older = [t.version for t in matrix.cuda_toolkits if vtuple(t.version)[:2] <= vtuple(have)[:2]]
        if older:
            alt = f", or install a build for CUDA {max(older, key=vtuple)} or older (the driver supports CUDA {have})"
    return f"update the NVIDIA driver to {need} or newer (CUDA {cuda} needs it){alt}"


def _gpu_names(report: dict[str, Any]) -> list[tuple[str, str | None]]:
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
    seen = _gpu_names(report)
    if not seen:
        return "no GPU"
    return "none used (" + ", ".join(_short(n) for n, _ in seen) + ")"


def _short(name: str | None) -> str:
    return re.sub(r"^NVIDIA (GeForce )?", "", name or "?")


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
    variant = _variant_of(version, t.get("cuda"), t.get("hip"))
    label = f"torch {version}"
    plat = _platform_of(report)
    seen = _gpu_names(report)
    gpu_expected = bool(seen) if expect_gpu is None else expect_gpu

    if report.get("crash"):
        c = report["crash"]
        fails.append((f"the smoke test itself failed: {c.get('detail')}", "see the log; this may be a TorchDesk bug"))
    for chk in report.get("checks") or ():
        if chk.get("name") == "cpu_matmul" and not chk.get("ok"):
            fails.append((f"{label} cannot multiply two small matrices on the CPU ({_check_detail(chk)})",
                          _reinstall_fix(matrix, version, variant, "its libraries")))

    cuda = report.get("cuda") or {}
    if not cuda.get("available"):
        reason = cuda.get("reason")
        names = ", ".join(n for n, _ in seen)
        if reason == "cpu_build":
            cause = f"CPU-only build: {label} has no CUDA support" + (f", so the {names} is not used" if names else "")
            fix = _cpu_build_fix(matrix, seen, plat)
            if expect_gpu:
                fails.append((cause, fix))
            elif expect_gpu is None and seen:
                warns.append((cause, fix))
        else:
            why = _no_cuda_words(reason, report, t)
            cause = f"{label} (CUDA {t.get('cuda') or t.get('hip')}) cannot use a GPU: {why}"
            if reason == "driver_too_old":
                fix = _driver_fix(matrix, report, t.get("cuda"))
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
            cc = _cc_from_text(w.get("message", "")) or ""
            warns.append((f"torch warns: {_first(w.get('message'))}", gpu_fix(matrix, cc, plat) if cc else ""))

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
                                                               _extension_fix(c.detail) if c.name in
                                                               EXTENSION_CHECKS else fix))
    if not fails and not warns:
        for c in checks:
            if not c.ok:
                where = "" if c.gpu is None else f" on GPU {c.gpu}"
                (fails if c.severity == "fail" else warns).append((f"the {c.name} check failed{where}: {c.detail}", fix))


def _extension_fix(detail: str) -> str:
    """The fix for a failed cpp_extension / cuda_extension check (the env has TorchDesk's toolchain)."""
    if "Ninja is required" in detail:
        return "install ninja into the environment (pip install ninja), then verify again"
    return ("the environment's toolchain cannot build a torch extension: check its C++ compiler ($CXX, else c++ on "
            "PATH) and that $CUDA_HOME/bin/nvcc runs (the log has the compiler's output); if the toolchain is "
            "damaged, recreate the environment with --toolchain")


def _first(text: str | None) -> str:
    return " ".join((text or "").split())[:240]


def _cc_from_text(text: str) -> str | None:
    m = re.search(r"sm_(\d+?)(\d)\b", text)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def _check_detail(chk: dict[str, Any]) -> str:
    if chk.get("error"):
        return str(chk["error"].get("detail") or chk["error"].get("message", ""))
    if "rel_err" in chk:
        return f"relative error {chk['rel_err']:.2e} > {chk.get('tol', 0):.0e}"
    return "wrong result"


def _cpu_build_fix(matrix: Any, seen: list[tuple[str, str | None]], plat: str) -> str:
    ccs = sorted({cc for _, cc in seen if cc})
    if not ccs:
        return "install a CUDA build of torch (`torchdesk recommend` picks one for this machine)"
    return "install a CUDA build: " + gpu_fix(matrix, ccs[0], plat)


def _no_cuda_words(reason: str | None, report: dict[str, Any], t: dict[str, Any]) -> str:
    drv = report.get("driver") or {}
    have = drv.get("cuda_driver")
    nvml_driver = (drv.get("nvml") or {}).get("driver")
    if reason == "driver_too_old":
        return f"the NVIDIA driver {nvml_driver or ''} (CUDA {have or '?'}) is too old for CUDA {t.get('cuda')}".replace("  ", " ")
    if reason == "no_driver":
        return "no NVIDIA driver found" if not _gpu_names(report) else "the NVIDIA driver is not working"
    if reason == "hidden_by_env":
        return f"CUDA_VISIBLE_DEVICES={(report.get('cuda') or {}).get('visible_devices')!r} hides every GPU"
    err = (report.get("cuda") or {}).get("error") or {}
    return err.get("detail") or "torch.cuda.is_available() is False"


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
                          _reinstall_fix(matrix, (report.get("torch") or {}).get("version"),
                                         _variant_of((report.get("torch") or {}).get("version"), None, None),
                                         "the bundled CUDA libraries")))
        else:
            fails.append((f"{chk['name']} on GPU {g.get('index')} ({name}) failed: {_check_detail(chk)}",
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
                          _numpy_fix(matrix, version)))
        else:
            fails.append((f"numpy {npv} is broken: {(broken or {}).get('detail')}", "pip install --force-reinstall numpy"))
        return
    rel = _release(matrix, version)
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
                err = chk.get("error") or {"kind": "other", "detail": _check_detail(chk)}
    if err is None:
        return
    if err.get("kind") in ("torchvision_mismatch", "undefined_symbol") or name == "torchvision":
        fix = _torchvision_fix(matrix, version, variant) if name == "torchvision" else _companion_fix(matrix, version, variant, name)
        fails.append((f"{name} {v} does not match torch {version}: {err.get('detail')}", fix))
    elif err.get("kind") == "numpy_abi":
        fails.append((f"{name} {v} cannot load with this NumPy: {err.get('detail')}", _numpy_fix(matrix, version)))
    else:
        fails.append((f"{name} {v} fails to import: {err.get('detail')}", _companion_fix(matrix, version, variant, name)))


def _companion_fix(matrix: Any, version: str | None, variant: str | None, name: str) -> str:
    rel = _release(matrix, version)
    want = getattr(rel, name, None) if rel is not None else None
    if not want:
        return f"install the {name} release made for torch {_base_version(version)} ({_no_data(matrix, version)})"
    build = rel.build(variant) if variant else None
    url = build.install.index_url if build is not None and build.install and build.install.index_url else None
    return f"pip install {name}=={want}" + (f" --index-url {url}" if url else "")


def _import_failure(report: dict[str, Any], err: dict[str, Any], matrix: Any) -> Judgement:
    py = report.get("python") or {}
    dists = report.get("dists") or {}
    version = dists.get("torch")
    variant = _variant_of(version, None, None)
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
                                 f"({err.get('detail')})", _numpy_fix(matrix, version))
    if kind == "missing_library":
        return Judgement("fail", f"`import torch` fails: {err.get('detail')} is missing",
                         _reinstall_fix(matrix, version, variant, "its CUDA libraries (cuDNN, cuBLAS ...)"))
    if kind == "undefined_symbol":
        return Judgement("fail", f"`import torch` fails: a library it loads is the wrong version (undefined symbol "
                                 f"{err.get('detail')})",
                         _reinstall_fix(matrix, version, variant, "matching CUDA libraries"))
    return Judgement("fail", f"`import torch` fails: {err.get('detail') or err.get('message')}",
                     _reinstall_fix(matrix, version, variant, "its files"))


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
