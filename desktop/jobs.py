"""The create job: preflight -> solve -> download -> link -> pip -> verify, one function, no threads, no Qt.

Reports through `on_line` (every log line), `on_progress(Progress)` and a CancelToken; the CLI passes print
and turns Ctrl-C into cancel(), the GUI passes a relay's signals. Every job's log is saved under the user log
folder and the result links to it.

Never leaves half an environment behind: on failure or cancel before verification, the prefix this job
created is removed (and an env moved aside for --replace is put back); nothing else is touched. A failed
verification fails the job but keeps the env, so the user can look inside.

One owner per environment (issue #10): the job holds the prefix's OS lock (desktop.locks) from preflight to
the end, and marks the folder it creates until it commits. Clean-up removes a folder only if it carries this
job's marker; after a kill -9 the marker stays, so `envs` can call the folder incomplete and `remove` or
`create --replace` can delete it, and an env a killed --replace moved aside is put back (recover_replaced).
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
from typing import Any, Callable, TextIO

from .daytwo import apply_day_two, undo_day_two
from .engine.base import EngineError, find_env, is_conda_env, protected_env, register_env, unregister_env
from .locks import MARKER, EnvLock, LockError, Marker, has_marker, new_marker, read_marker, remove_marker, write_marker
from .envspec import EnvSpec, EnvSpecError, validate_env_name
from .errors import JobFailed
from .model import Host
from .paths import env_python, envs_dir, log_dir
from .procs import CancelToken, Cancelled, run_streaming
from .wheels import check_wheels
from .wheelstage import pip_env as _pip_env
from .wheelstage import run_wheel_stage

STAGES = ("preflight", "solve", "download", "link", "pip", "verify")
# Used when the matrix cannot be read; the matrix's env_size_mib is the source of truth.
_FALLBACK_SIZE_MIB = {"cuda": 6500, "rocm": 9000, "cpu": 1200, "macos": 900}
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Progress:
    stage: str  # one of STAGES
    fraction: float | None  # 0..1 within the stage; None: indeterminate
    message: str
    # the wheel stage's downloads, where known: bytes so far / in all (known before they start), bytes per second
    bytes_done: int | None = None
    bytes_total: int | None = None
    speed: float | None = None
    cached: int | None = None  # files taken from the cache instead of downloaded


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

    def __post_init__(self) -> None:
        # What a result says is shown and logged by both faces: never with a token from an index or channel URL.
        from .secrets import mask_text

        object.__setattr__(self, "message", mask_text(self.message))
        object.__setattr__(self, "fix", mask_text(self.fix) if self.fix else self.fix)
        object.__setattr__(self, "warnings", tuple(mask_text(w) for w in self.warnings))

    @property
    def ok(self) -> bool:
        return self.status == "ok"


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
            from .matrixload import default_matrix

            sizes = default_matrix().env_size_mib
        except Exception:
            sizes = _FALLBACK_SIZE_MIB
    key = size_key(spec, host)
    return int(sizes.get(key) or sizes.get("cpu") or _FALLBACK_SIZE_MIB[key])


def _existing_parent(p: Path) -> Path:
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _write_probe(folder: Path) -> None:
    """Create and remove a file in `folder`; raises OSError where that cannot be done."""
    fd, probe = tempfile.mkstemp(prefix=".torchdesk-probe-", dir=folder)
    os.close(fd)
    os.unlink(probe)


def check_writable(folder: Path) -> str | None:
    """None if we can create files in `folder` (creating it if needed), else a sentence saying why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create the folder {folder}: {exc.strerror or exc}"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    try:
        _write_probe(folder)
    except OSError as exc:
        return f"cannot write to {folder}: {exc.strerror or exc}"
    return None


# --- the job ------------------------------------------------------------------------------------------------------

class _Log:
    """Tees lines to the caller and the job's log file (0600: it may name private indexes), credentials masked."""

    def __init__(self, label: str, on_line: Callable[[str], None]) -> None:
        from .paths import temp_log_dir

        self._on_line = on_line
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", label)[-40:]
        self.path = Path(os.devnull)
        self._f: TextIO | None = None
        for where in (log_dir, temp_log_dir):
            try:
                folder = where()
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._f = self._open_new(folder, f"create-{safe}-{stamp}-{os.getpid()}")
                break
            except OSError:
                continue
        if self._f is None:  # no writable log folder anywhere: keep going, the lines still reach the caller
            self._f = open(os.devnull, "w", encoding="utf-8")

    def _open_new(self, folder: Path, stem: str) -> TextIO:
        # A new file only (O_EXCL, never through a symlink), readable by the user alone.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        for n in range(100):
            path = folder / (f"{stem}.log" if n == 0 else f"{stem}-{n}.log")
            try:
                fd = os.open(path, flags, 0o600)
            except FileExistsError:
                continue
            self.path = path
            return os.fdopen(fd, "a", encoding="utf-8", errors="replace")
        raise FileExistsError(f"no free log file name in {folder}")

    def __call__(self, line: str) -> None:
        from .secrets import mask_text

        line = mask_text(line)
        assert self._f is not None
        self._f.write(line + "\n")
        self._on_line(line)

    def close(self) -> None:
        if self._f is not None:
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
    matrix: Any = None,
) -> EnvResult:
    """Build the environment `spec` describes with `engine`; never raises for job failures (see EnvResult).

    The job holds the prefix's lock (desktop.locks) from preflight to the end, and marks the folder it creates
    until it commits; clean-up removes only a folder carrying this job's own marker."""
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    stage_t = [t_start]
    current = ["preflight"]
    log = _Log(spec.label, on_line)
    warnings: list[str] = []
    registry_before = _registry_snapshot()

    def enter(stage: str, fraction: float | None, message: str, **extra: Any) -> None:
        if stage != current[0]:
            now = time.perf_counter()
            timings[current[0]] = timings.get(current[0], 0.0) + now - stage_t[0]
            stage_t[0] = now
            current[0] = stage
            if stage != "done":
                log(f"== {stage}: {message}")
        if stage != "done":
            on_progress(Progress(stage, fraction, message, **extra))

    prefix = Path(spec.prefix or spec.name or ".")
    created = False
    marker: Marker | None = None
    kept_folder = False  # an empty folder the user gave: clean-up empties it but keeps it
    listed_before = True  # the registry listed the prefix before the job: clean-up leaves that line alone
    lock: EnvLock | None = None
    moved_aside: Path | None = None
    verify_result: Any = None
    status, message, fix = "ok", "", None
    kept = False
    try:
        log(f"== preflight: {spec.label} with {engine.describe() if hasattr(engine, 'describe') else engine}")
        on_progress(Progress("preflight", 0.0, "checking name, folder, space and wheels"))
        try:
            prefix = target_prefix(spec, envs_root)
        except EnvSpecError as exc:
            raise JobFailed("preflight", str(exc), "pick a name made of letters, digits, '.', '_' and '-'") from None
        try:
            lock = EnvLock(prefix).acquire()
        except LockError as exc:
            raise JobFailed("preflight", exc.message, exc.fix) from None
        recover_replaced(prefix.parent, log, only=prefix.name)
        listed_before = _is_registered(prefix)
        prefix = _preflight(spec, log, warnings, replace=replace, host=host, size_mib=size_mib,
                            envs_root=envs_root, check_index=check_index, matrix=matrix)
        cancel.raise_if_cancelled()
        kept_folder = prefix.is_dir() and not prefix.is_symlink() and not any(prefix.iterdir())
        if prefix.exists() and not kept_folder:  # --replace of a conda env: move it aside, put it back if this job fails
            moved_aside = prefix.with_name(f".{prefix.name}.torchdesk-replaced-{os.getpid()}")
            os.rename(prefix, moved_aside)
            log(f"moved the old environment aside to {moved_aside}")
        marker = new_marker(moved_aside)
        write_marker(prefix, marker)
        created = True
        engine.create(spec.conda_specs(), spec.channels, prefix, on_line=log, on_stage=enter, cancel=cancel)
        cancel.raise_if_cancelled()
        run_wheel_stage(spec, prefix, log, enter, cancel)
        apply_day_two(spec, prefix, on_line=log, cancel=cancel, host=host)  # guard, toolchain, Jupyter (desktop/daytwo.py)
        _record_spec(spec, prefix, log)
        if verify:
            enter("verify", None, "checking the new environment")
            verify_result = _verify(spec, prefix, log, cancel, host)
        cancel.raise_if_cancelled()
        enter("done", 1.0, "done")
        _commit(prefix, log, warnings)
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
        try:
            if status != "ok" and not kept:
                if cancel.is_cancelled and status == "failed" and created:
                    # a step the cancel killed fails in its own words; the job was still cancelled
                    status, message = "cancelled", f"cancelled during {current[0]}"
                if created and moved_aside is None:  # a replaced env's own kernelspec stays with it
                    undo_day_two(prefix)
                _clean_up(prefix if created else None, moved_aside, log, registry_before, marker=marker,
                          keep_folder=kept_folder, unregister=not listed_before)
            elif moved_aside is not None:
                _discard_moved_aside(moved_aside, log, warnings)
        finally:
            if lock is not None:
                lock.release()
            now = time.perf_counter()
            timings[current[0]] = timings.get(current[0], 0.0) + now - stage_t[0]
            timings.pop("done", None)
            timings["total"] = now - t_start
            log(f"== {status}: {message}")
            log.close()
    return EnvResult(status=status, prefix=str(prefix), name=spec.name, log_path=str(log.path),
                     stage=current[0] if current[0] != "done" else "verify" if verify else "pip", message=message,
                     fix=fix, warnings=tuple(warnings), verify=verify_result, timings=timings, kept=kept)


def _commit(prefix: Path, log: Callable[[str], None], warnings: list[str]) -> None:
    """The env is built: register it and drop the marker. A registry that cannot be written costs a warning,
    never the environment."""
    try:
        register_env(prefix)
    except OSError as exc:
        from .paths import conda_environments_txt

        w = (f"the environment was created but could not be added to {conda_environments_txt()} "
             f"({exc.strerror or exc}); conda will only find it by its path")
        log(f"warning: {w}")
        warnings.append(w)
    remove_marker(prefix)


def _check_registry_writable() -> str | None:
    """None if ~/.conda/environments.txt can be written (or created), else a sentence saying why not."""
    from .paths import conda_environments_txt

    txt = conda_environments_txt()
    try:
        if txt.exists():
            with open(txt, "a", encoding="utf-8"):
                pass
            return None
    except OSError as exc:
        return f"cannot write {txt} ({exc.strerror or exc}), where conda keeps its list of environments"
    folder = _existing_parent(txt.parent)
    try:
        _write_probe(folder)
    except OSError as exc:
        return f"cannot write in {folder} ({exc.strerror or exc}), where conda keeps its list of environments"
    return None


def _preflight(spec: EnvSpec, log: Callable[[str], None], warnings: list[str], *, replace: bool, host: Host | None,
               size_mib: int | None, envs_root: Path | None, check_index: bool, matrix: Any = None) -> Path:
    try:
        prefix = target_prefix(spec, envs_root)
    except EnvSpecError as exc:
        raise JobFailed("preflight", str(exc), "pick a name made of letters, digits, '.', '_' and '-'") from None
    what = f"an environment named {spec.name!r}" if spec.name else "an environment"
    if prefix.is_symlink():
        # building (or replacing) through a link would move the link aside and leave it, or its env, dangling
        target = os.path.realpath(prefix)
        raise JobFailed("preflight", f"{prefix} is a symbolic link to {target}; not building through a link",
                        f"give the real folder: --prefix {target}" + (" --replace" if replace else ""))
    host_env = next((p for p in prefix.parents if is_conda_env(p) and (p / "envs") not in prefix.parents), None)
    if host_env is not None:
        # an env inside another env's files (not in its envs/ folder, where conda keeps them) is removed, replaced
        # or broken together with that one, and conda would list a folder of its packages as an env of its own
        raise JobFailed("preflight", f"{prefix} is inside the conda environment {host_env}",
                        f"choose a folder outside it (environments may go in {host_env / 'envs'})")
    if prefix.is_dir() and not prefix.is_symlink() and has_marker(prefix):
        m = read_marker(prefix)
        since = f", started {m.started}" if m else ""
        if m is not None and m.alive():
            raise JobFailed("preflight", f"{prefix} is being created by another TorchDesk job (pid {m.pid}{since})",
                            "wait for it to finish, then try again")
        if not replace:
            raise JobFailed("preflight", f"{prefix} holds an environment whose creation was interrupted"
                            f" (pid {m.pid if m else '?'}{since}); it was left as it is",
                            "pass --replace to rebuild it, or `torchdesk remove` it")
        log(f"{prefix} is what an interrupted TorchDesk job left (it carries its marker); removing it (--replace)")
        shutil.rmtree(prefix)
        unregister_env(prefix)
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
    elsewhere = find_env(spec.name) if spec.name and not spec.prefix else None
    if elsewhere is not None and elsewhere.absolute() != prefix.absolute():
        # two envs of one name: `torchdesk remove NAME` (and verify --name) could then pick the other one
        raise JobFailed("preflight", f"{what} already exists at {elsewhere}; it was left as it is",
                        "choose another name, or give a path with --prefix")
    problem = _check_registry_writable()
    if problem:
        raise JobFailed("preflight", problem, "make ~/.conda writable for your user, then try again")
    problem = check_writable(prefix.parent)
    if problem:
        raise JobFailed("preflight", problem, "choose another folder with --prefix, or fix its permissions")
    need = size_mib if size_mib is not None else estimated_size_mib(spec, host, matrix)
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
        from .verify import verify_python
    except ImportError:
        verify_python = None  # type: ignore[assignment]  # never: verify.py is part of the package
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
    from .envspec import write_environment_yml, without_credentials

    try:
        (prefix / SPEC_RECORD).write_text(write_environment_yml(without_credentials(spec)), encoding="utf-8")
    except OSError as exc:
        log(f"note: could not record the spec in {prefix / SPEC_RECORD}: {exc}")


def _registry_snapshot() -> tuple[bool, bool]:
    """Did ~/.conda and ~/.conda/environments.txt exist before the job? (So clean-up can remove only its own.)"""
    from .paths import conda_environments_txt

    txt = conda_environments_txt()
    return txt.parent.exists(), txt.exists()


def _empty_folder(folder: Path) -> None:
    """Delete everything in `folder` but the marker (which goes last, so a cut-short clean-up still says whose)."""
    for child in list(folder.iterdir()):
        if child.name == MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            try:
                child.unlink()
            except OSError:
                pass


def _clean_up(prefix: Path | None, moved_aside: Path | None, log: Callable[[str], None],
              registry_before: tuple[bool, bool] = (True, True), *, marker: Marker | None = None,
              keep_folder: bool = False, unregister: bool = True) -> None:
    """Remove what this job created (the prefix, if it carries this job's marker; a registry line or file it
    made), put back an env moved aside; touch nothing else."""
    if prefix is not None and (prefix.exists() or prefix.is_symlink()):
        mine = read_marker(prefix) if prefix.is_dir() and not prefix.is_symlink() else None
        if marker is None or mine is None or mine.job != marker.job:
            log(f"not removing {prefix}: it does not carry this job's marker")
            return
        log(f"removing the partial environment {prefix}")
        _empty_folder(prefix)
        if keep_folder:  # the user's own empty folder: emptied again, kept
            remove_marker(prefix)
        else:
            shutil.rmtree(prefix, ignore_errors=True)
    if prefix is not None and unregister:  # an external engine (conda) registers what it creates
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


def _is_registered(prefix: Path) -> bool:
    from .engine.base import _read_registry

    return str(prefix) in _read_registry()


def _discard_moved_aside(moved_aside: Path, log: Callable[[str], None], warnings: list[str]) -> None:
    """The replacement committed: delete the old env that waited aside (a link is unlinked, never followed)."""
    try:
        if moved_aside.is_symlink():
            moved_aside.unlink()
        else:
            shutil.rmtree(moved_aside)
    except OSError as exc:
        w = f"could not delete the replaced environment at {moved_aside} ({exc.strerror or exc}); delete it by hand"
        log(f"warning: {w}")
        warnings.append(w)


_REPLACED = re.compile(r"^\.(?P<name>.+)\.torchdesk-replaced-(?P<pid>\d+)$")


def recover_replaced(folder: Path, log: Callable[[str], None], *, only: str | None = None) -> list[str]:
    """Put back environments a killed `--replace` left moved aside in `folder` (`.NAME.torchdesk-replaced-PID`)
    when no live job owns them. Returns one sentence per thing done, or left for the user."""
    from .locks import is_locked

    out: list[str] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return out
    for aside in entries:
        m = _REPLACED.match(aside.name)
        if not m or (only is not None and m.group("name") != only):
            continue
        original = folder / m.group("name")
        if only is None and is_locked(original):
            continue  # its job is still running
        if original.exists() or original.is_symlink():
            mk = read_marker(original) if original.is_dir() and not original.is_symlink() else None
            if mk is not None and not mk.alive() and mk.replaced in (None, str(aside)):
                shutil.rmtree(original, ignore_errors=True)  # the interrupted replacement, marked as ours
                unregister_env(original)
            else:
                out.append(f"{aside} is an old environment an interrupted --replace moved aside, and {original}"
                           f" exists too; delete {aside} by hand once you no longer need it")
                log(out[-1])
                continue
        try:
            os.rename(aside, original)
        except OSError as exc:
            out.append(f"could not put {aside} back at {original}: {exc.strerror or exc}")
            log(out[-1])
            continue
        try:
            register_env(original)
        except OSError:
            pass
        out.append(f"put back {original}, which an interrupted --replace had moved aside to {aside}")
        log(out[-1])
    return out


def recover_envs_moved_aside() -> list[str]:
    """`recover_replaced` over every folder environments live in (envs dir, registered envs' folders)."""
    from .engine.base import _read_registry
    from .locks import recorded_prefixes

    folders = {str(envs_dir()): envs_dir()}
    for entry in _read_registry():
        folders.setdefault(str(Path(entry).parent), Path(entry).parent)
    for p in recorded_prefixes():
        folders.setdefault(str(p.parent), p.parent)
    notes: list[str] = []
    for folder in folders.values():
        notes += recover_replaced(folder, lambda line: None)
    return notes
