"""The create job: preflight -> solve -> download -> link -> pip -> verify, one function, no threads, no Qt.

Reports through `on_line` (every log line), `on_progress(Progress)` and a CancelToken; the CLI passes print
and turns Ctrl-C into cancel(), the GUI passes a relay's signals. Every job's log is saved under the user log
folder and the result links to it.

Never leaves half an environment behind: on failure or cancel before verification, the prefix this job
created is removed (and an env moved aside for --replace is put back); nothing else is touched. A failed
verification fails the job but keeps the env, so the user can look inside.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence, TextIO

from .daytwo import apply_day_two, undo_day_two
from .engine.base import EngineError, find_env, is_conda_env, protected_env, register_env, unregister_env
from .envspec import EnvSpec, EnvSpecError, validate_env_name
from .model import Host
from .paths import env_python, envs_dir, log_dir
from .procs import CancelToken, Cancelled, run_streaming
from .wheels import WheelCheck, check_wheels  # noqa: F401  (WheelCheck, check_wheels: also imported from here)

STAGES = ("preflight", "solve", "download", "link", "pip", "verify")
# Used when the matrix cannot be read; the matrix's env_size_mib is the source of truth.
_FALLBACK_SIZE_MIB = {"cuda": 6500, "rocm": 9000, "cpu": 1200, "macos": 900}
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Progress:
    stage: str  # one of STAGES
    fraction: float | None  # 0..1 within the stage; None: indeterminate
    message: str


@dataclass(frozen=True)
class EnvResult:
    status: str  # ok | failed | cancelled
    prefix: str
    name: str | None
    log_path: str
    stage: str  # the stage it ended in
    message: str  # one sentence: what happened
    fix: str | None = None  # what to do about it
    warnings: tuple[str, ...] = ()
    verify: Any = None  # desktop.verify.VerifyResult when that ran
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, and "total"
    kept: bool = False  # the env exists after the job (ok, or failed verification)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class JobFailed(Exception):
    def __init__(self, stage: str, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.stage, self.message, self.fix = stage, message, fix


# --- preflight helpers (pure where they can be) -------------------------------------------------------------------

def target_prefix(spec: EnvSpec, envs_root: Path | None = None) -> Path:
    """Where the spec's env goes: its prefix, or <envs dir>/<name>."""
    if spec.prefix:
        return Path(spec.prefix).expanduser().absolute()
    if not spec.name:
        raise EnvSpecError("the spec has neither a name nor a prefix")
    validate_env_name(spec.name)
    return (envs_root or envs_dir()) / spec.name


def size_key(spec: EnvSpec, host: Host | None = None) -> str:
    v = spec.variant or ""
    if v.startswith("cu"):
        return "cuda"
    if v.startswith("rocm"):
        return "rocm"
    if host is not None and host.os == "macos":
        return "macos"
    return "cpu"


def estimated_size_mib(spec: EnvSpec, host: Host | None = None, matrix: Any = None) -> int:
    """The env's size estimate from the matrix data (env_size_mib), by kind of build."""
    sizes: Any = getattr(matrix, "env_size_mib", None)
    if sizes is None:
        try:
            from .matrix import default_matrix

            sizes = default_matrix().env_size_mib
        except Exception:
            sizes = _FALLBACK_SIZE_MIB
    key = size_key(spec, host)
    return int(sizes.get(key) or sizes.get("cpu") or _FALLBACK_SIZE_MIB[key])


def _existing_parent(p: Path) -> Path:
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_writable(folder: Path) -> str | None:
    """None if we can create files in `folder` (creating it if needed), else a sentence saying why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create the folder {folder}: {exc.strerror or exc}"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    try:
        fd, probe = tempfile.mkstemp(prefix=".torchdesk-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot write to {folder}: {exc.strerror or exc}"
    return None


# --- pip output -> progress ---------------------------------------------------------------------------------------

_PIP_COLLECT = re.compile(r"^Collecting (\S+)")
_PIP_DOWNLOAD = re.compile(r"^\s*Downloading (\S+)(?: \(([^)]+)\))?")
_PIP_INSTALLING = re.compile(r"^Installing collected packages: (.*)$")
_PIP_DONE = re.compile(r"^Successfully installed (.*)$")


class PipProgress:
    """Turns pip's output lines into (fraction, message): collecting, downloading, installing."""

    def __init__(self, expected: int) -> None:
        self.expected = max(expected, 1)
        self.collected = 0
        self.downloaded = 0

    def feed(self, line: str) -> tuple[float | None, str] | None:
        if m := _PIP_COLLECT.match(line):
            self.collected += 1
            return None, f"collecting {m.group(1)}"
        if m := _PIP_DOWNLOAD.match(line):
            self.downloaded += 1
            total = max(self.collected, self.expected)
            size = f" ({m.group(2)})" if m.group(2) else ""
            name = m.group(1).rsplit("/", 1)[-1]
            return min(0.8 * self.downloaded / total, 0.8), f"downloading {name}{size}"
        if m := _PIP_INSTALLING.match(line):
            return 0.85, f"installing {m.group(1)}"
        if m := _PIP_DONE.match(line):
            return 1.0, f"installed {m.group(1)}"
        return None


def _pip_env() -> dict[str, str]:
    """The environment for the new env's pip: no user pip config or PIP_* variables, so the spec's index
    options are the only sources (a pip.conf extra-index-url would silently widen where torch comes from)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "CONDA_", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PIP_ROOT_USER_ACTION="ignore",
               PYTHONNOUSERSITE="1")
    return env


# --- the job ------------------------------------------------------------------------------------------------------

class _Log:
    """Tees lines to the caller and the job's log file."""

    def __init__(self, label: str, on_line: Callable[[str], None]) -> None:
        self._on_line = on_line
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", label)[-40:]
        self.path: Path
        self._f: TextIO
        for folder in (log_dir(), Path(tempfile.gettempdir()) / "torchdesk-logs"):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                self.path = folder / f"create-{safe}-{stamp}-{os.getpid()}.log"
                self._f = open(self.path, "a", encoding="utf-8")
                break
            except OSError:
                continue
        else:  # no writable log folder anywhere: keep going, the lines still reach the caller
            self.path = Path(os.devnull)
            self._f = open(os.devnull, "w", encoding="utf-8")

    def __call__(self, line: str) -> None:
        self._f.write(line + "\n")
        self._on_line(line)

    def close(self) -> None:
        self._f.close()


def create_env(
    spec: EnvSpec,
    *,
    engine: Any,
    on_line: Callable[[str], None],
    on_progress: Callable[[Progress], None],
    cancel: CancelToken,
    verify: bool = True,
    replace: bool = False,
    host: Host | None = None,
    size_mib: int | None = None,
    envs_root: Path | None = None,
    check_index: bool = True,
) -> EnvResult:
    """Build the environment `spec` describes with `engine`; never raises for job failures (see EnvResult)."""
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    stage_t = [t_start]
    current = ["preflight"]
    log = _Log(spec.label, on_line)
    warnings: list[str] = []
    registry_before = _registry_snapshot()

    def enter(stage: str, fraction: float | None, message: str) -> None:
        if stage != current[0]:
            now = time.perf_counter()
            timings[current[0]] = timings.get(current[0], 0.0) + now - stage_t[0]
            stage_t[0] = now
            current[0] = stage
            if stage != "done":
                log(f"== {stage}: {message}")
        if stage != "done":
            on_progress(Progress(stage, fraction, message))

    prefix = Path(spec.prefix or spec.name or ".")
    created = False
    moved_aside: Path | None = None
    verify_result: Any = None
    status, message, fix = "ok", "", None
    kept = False
    try:
        log(f"== preflight: {spec.label} with {engine.describe() if hasattr(engine, 'describe') else engine}")
        on_progress(Progress("preflight", 0.0, "checking name, folder, space and wheels"))
        prefix = _preflight(spec, log, warnings, replace=replace, host=host, size_mib=size_mib,
                            envs_root=envs_root, check_index=check_index)
        cancel.raise_if_cancelled()
        if prefix.exists():  # --replace of a conda env: move it aside, put it back if this job fails
            moved_aside = prefix.with_name(f".{prefix.name}.torchdesk-replaced-{os.getpid()}")
            os.rename(prefix, moved_aside)
            log(f"moved the old environment aside to {moved_aside}")
        created = True
        engine.create(spec.conda_specs(), spec.channels, prefix, on_line=log, on_stage=enter, cancel=cancel)
        cancel.raise_if_cancelled()
        _pip_phase(spec, prefix, log, enter, cancel)
        apply_day_two(spec, prefix, on_line=log, cancel=cancel, host=host)  # guard, toolchain, Jupyter (desktop/daytwo.py)
        _record_spec(spec, prefix, log)
        if verify:
            enter("verify", None, "checking the new environment")
            verify_result = _verify(spec, prefix, log, cancel, host)
        enter("done", 1.0, "done")
        kept = True
        message = f"created {spec.label} at {prefix}"
        if verify_result is not None and getattr(verify_result, "verdict", "pass") == "fail":
            status = "failed"
            message = f"the environment was created at {prefix} but failed verification: {getattr(verify_result, 'cause', '')}"
            fix = getattr(verify_result, "fix", None)
        elif verify_result is not None and getattr(verify_result, "verdict", "pass") == "warn":
            warnings.append(str(getattr(verify_result, "cause", "verification warned")))
    except Cancelled:
        status, message = "cancelled", f"cancelled during {current[0]}"
    except JobFailed as exc:
        status, message, fix = "failed", exc.message, exc.fix
        current[0] = exc.stage if exc.stage in STAGES else current[0]
    except EngineError as exc:
        status, message = "failed", exc.message
        fix = "see the log for the engine's output"
        current[0] = exc.stage if exc.stage in STAGES else current[0]
    except EnvSpecError as exc:
        status, message = "failed", str(exc)
    except Exception as exc:  # anything unexpected still ends as a result with a log, never half an env
        status, message = "failed", f"unexpected error: {type(exc).__name__}: {exc}"
        import traceback

        for line in traceback.format_exc().splitlines():
            log(line)
    finally:
        if status != "ok" and not kept:
            if created and moved_aside is None:  # a replaced env's own kernelspec stays with it
                undo_day_two(prefix)
            _clean_up(prefix if created else None, moved_aside, log, registry_before)
        elif moved_aside is not None:
            shutil.rmtree(moved_aside, ignore_errors=True)
        now = time.perf_counter()
        timings[current[0]] = timings.get(current[0], 0.0) + now - stage_t[0]
        timings.pop("done", None)
        timings["total"] = now - t_start
        log(f"== {status}: {message}")
        log.close()
    return EnvResult(status=status, prefix=str(prefix), name=spec.name, log_path=str(log.path),
                     stage=current[0] if current[0] != "done" else "verify" if verify else "pip", message=message,
                     fix=fix, warnings=tuple(warnings), verify=verify_result, timings=timings, kept=kept)


def _preflight(spec: EnvSpec, log: Callable[[str], None], warnings: list[str], *, replace: bool, host: Host | None,
               size_mib: int | None, envs_root: Path | None, check_index: bool) -> Path:
    try:
        prefix = target_prefix(spec, envs_root)
    except EnvSpecError as exc:
        raise JobFailed("preflight", str(exc), "pick a name made of letters, digits, '.', '_' and '-'") from None
    what = f"an environment named {spec.name!r}" if spec.name else "an environment"
    if prefix.exists() and (not prefix.is_dir() or any(prefix.iterdir())):
        if not is_conda_env(prefix):
            raise JobFailed("preflight", f"{prefix} already exists and is not a conda environment; not touching it",
                            "choose another name or prefix")
        if not replace:
            raise JobFailed("preflight", f"{what} already exists at {prefix}; it was left as it is",
                            "choose another name, or pass --replace to rebuild it")
        why = protected_env(prefix)
        if why:
            raise JobFailed("preflight", f"{why}; it cannot be replaced", "choose another name or prefix")
        log(f"{prefix} exists and will be replaced (--replace)")
    elif prefix.exists():
        prefix.rmdir()  # an empty folder: ours to use
    elsewhere = find_env(spec.name) if spec.name and not spec.prefix else None
    if elsewhere is not None and elsewhere.absolute() != prefix.absolute():
        # two envs of one name: `torchdesk remove NAME` (and verify --name) could then pick the other one
        raise JobFailed("preflight", f"{what} already exists at {elsewhere}; it was left as it is",
                        "choose another name, or give a path with --prefix")
    problem = check_writable(prefix.parent)
    if problem:
        raise JobFailed("preflight", problem, "choose another folder with --prefix, or fix its permissions")
    need = size_mib if size_mib is not None else estimated_size_mib(spec, host)
    free = shutil.disk_usage(_existing_parent(prefix.parent)).free // _MIB
    log(f"space: about {need} MiB needed, {free} MiB free in {prefix.parent}")
    if free < need:
        raise JobFailed("preflight",
                        f"not enough free space in {prefix.parent}: this environment needs about {need / 1024:.1f} GiB "
                        f"and only {free / 1024:.1f} GiB is free",
                        "free some space or choose another folder with --prefix")
    if check_index and spec.torch_pins:
        wc = check_wheels(spec)
        for w in wc.warnings:
            log(f"warning: {w}")
        warnings.extend(wc.warnings)
        if wc.missing:
            raise JobFailed("preflight", "; ".join(wc.missing),
                            "pick another Python with --python, or another build with --torch / --variant")
        if not wc.warnings:
            log("wheels: every pinned wheel exists for this Python and platform")
    return prefix


def _pip(python: Path, args: Sequence[str], reqs: Sequence[str], log: Callable[[str], None],
         enter: Callable[[str, float | None, str], None], cancel: CancelToken, what: str) -> None:
    cmd = [str(python), "-m", "pip", "install", "--progress-bar", "off", *args, *reqs]
    log("$ " + " ".join(cmd))
    progress = PipProgress(len(reqs))
    errors: list[str] = []

    def on_line(line: str) -> None:
        log(line)
        if line.startswith("ERROR:"):
            errors.append(line[6:].strip())
        got = progress.feed(line)
        if got is not None:
            enter("pip", got[0], got[1])

    try:
        code = run_streaming(cmd, on_line=on_line, cancel=cancel, env=_pip_env())
    except FileNotFoundError:
        raise JobFailed("pip", f"the new environment has no python at {python}", "see the log") from None
    if cancel.is_cancelled:
        raise Cancelled()
    if code != 0:
        detail = errors[0] if errors else f"pip exited with code {code}"
        raise JobFailed("pip", f"pip could not install {what}: {detail}",
                        "check the index URL and that you are online; the log has pip's full output")


def _pip_phase(spec: EnvSpec, prefix: Path, log: Callable[[str], None],
               enter: Callable[[str, float | None, str], None], cancel: CancelToken) -> None:
    python = env_python(prefix)
    if spec.torch_requirements():
        enter("pip", 0.0, "installing " + " ".join(spec.torch_pins or spec.torch_requirements()))
        _pip(python, spec.torch_index_args(), spec.torch_requirements(), log, enter, cancel, "the torch build")
    if spec.pip_extras:
        enter("pip", None, "installing your extra packages: " + " ".join(spec.pip_extras))
        # torch is held by its pins as constraints: the extras cannot move it to another build or index.
        with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="torchdesk-constraints-", delete=False) as f:
            f.write("".join(p + "\n" for p in spec.torch_pins))
        try:
            _pip(python, [*spec.extras_index_args(), "-c", f.name], spec.pip_extras, log, enter, cancel, "your extras")
        finally:
            os.unlink(f.name)
    enter("pip", 1.0, "pip done")


_FALLBACK_CHECK = (
    "import sys\n"
    "print('python', sys.version.split()[0], 'at', sys.prefix)\n"
    "try:\n"
    "    import torch\n"
    "except ImportError:\n"
    "    print('torch: not installed')\n"
    "else:\n"
    "    print('torch', torch.__version__)\n"
)


def _verify(spec: EnvSpec, prefix: Path, log: Callable[[str], None], cancel: CancelToken, host: Host | None) -> Any:
    python = env_python(prefix)
    expect_gpu = bool(spec.variant and spec.variant.startswith(("cu", "rocm")))
    if host is not None and not host.gpus:
        expect_gpu = False
    try:
        from .verify import verify_python  # type: ignore[attr-defined]
    except ImportError:
        verify_python = None
    if verify_python is not None:
        result = verify_python(str(python), expect_gpu=expect_gpu, on_line=log, cancel=cancel)
        if cancel.is_cancelled:
            raise Cancelled()
        return result
    # Until the smoke test lands: the env's own python must start, and import torch where it was installed.
    code = run_streaming([str(python), "-c", _FALLBACK_CHECK], on_line=log, cancel=cancel, env=_pip_env(), timeout=300)
    if cancel.is_cancelled:
        raise Cancelled()
    if code != 0:
        return _BasicVerify("fail", f"the environment's python does not start or cannot import torch (exit {code})",
                            "see the log for the error")
    return _BasicVerify("pass", "python starts", None)


@dataclass(frozen=True)
class _BasicVerify:
    verdict: str
    cause: str
    fix: str | None


SPEC_RECORD = Path("conda-meta") / "torchdesk-environment.yml"


def _record_spec(spec: EnvSpec, prefix: Path, log: Callable[[str], None]) -> None:
    """Keep the environment.yml this env was built from inside it, so Export gives back exactly that."""
    from .envspec import write_environment_yml

    try:
        (prefix / SPEC_RECORD).write_text(write_environment_yml(spec), encoding="utf-8")
    except OSError as exc:
        log(f"note: could not record the spec in {prefix / SPEC_RECORD}: {exc}")


def _registry_snapshot() -> tuple[bool, bool]:
    """Did ~/.conda and ~/.conda/environments.txt exist before the job? (So clean-up can remove only its own.)"""
    from .paths import conda_environments_txt

    txt = conda_environments_txt()
    return txt.parent.exists(), txt.exists()


def _clean_up(prefix: Path | None, moved_aside: Path | None, log: Callable[[str], None],
              registry_before: tuple[bool, bool] = (True, True)) -> None:
    """Remove what this job created (the prefix, a registry file it made), put back an env moved aside;
    touch nothing else."""
    if prefix is not None and prefix.exists():
        log(f"removing the partial environment {prefix}")
        shutil.rmtree(prefix, ignore_errors=True)
    if prefix is not None:
        unregister_env(prefix)
    if moved_aside is not None and prefix is not None:
        os.rename(moved_aside, prefix)
        register_env(prefix)
        log(f"restored the previous environment at {prefix}")
    from .paths import conda_environments_txt

    txt = conda_environments_txt()
    dir_existed, txt_existed = registry_before
    try:
        if not txt_existed and txt.exists() and not txt.read_text(encoding="utf-8").strip():
            txt.unlink()
        if not dir_existed and txt.parent.exists() and not any(txt.parent.iterdir()):
            txt.parent.rmdir()
    except OSError:
        pass
