"""The create job's wheel stage: torch & co, then the user's extras, into the new env with uv (pip as fallback).

uv (the `uv` package from PyPI ships the binary) installs into the env's own interpreter with
`uv pip install --python <env python>`, from TorchDesk's uv cache, hardlinking files out of it (clone on
macOS) so a second env of the same build costs seconds and almost no disk. The rules the pip stage had hold:
- the spec's index options are the only sources: `--no-config`, and no UV_*/PIP_* variable reaches uv;
- `--index-strategy unsafe-best-match`: pip's rule (every index is searched for every package), so a spec
  that names PyPI as an extra index still gets its `+cu121` torch from PyTorch's index, as pip did;
- the extras are installed under the torch pins as constraints: they cannot replace the planned torch;
- the CancelToken kills uv's (or pip's) whole tree; every line of output goes to the log.

Before downloading, a dry run (with uv's resolver and installer logging on) says what uv will install and which of it is already in its cache;
the index's JSON API (PEP 691/700 `size`), else HEAD requests, give the sizes, so the job knows the total
bytes up front. On POSIX uv then runs under a pseudo-terminal so it draws its per-file byte counters, which
are read back (ANSI stripped) into bytes done / total / speed; elsewhere its plain "Downloading"/"Downloaded"
lines give per-file progress. pip runs only where uv cannot: no uv binary, or an option uv refuses.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from .envspec import EnvSpec
from .errors import JobFailed
from .paths import env_python, existing_parent, uv_cache_dir
from .procs import CancelToken, Cancelled, child_process_options, kill_popen, run_streaming
from .wheelenv import find_uv, link_mode, pip_env, uv_env
from .wheelprogress import (ByteProgress, PipProgress, PlannedWheel, Screen, WheelPlan, byte_summary, index_sources,
                            parse_dry_run, uv_error)

Enter = Callable[..., None]  # enter(stage, fraction, message, **progress fields)
Log = Callable[[str], None]

_MIB = 1024 * 1024


# --- running the installers --------------------------------------------------------------------------------------

class _NoPty(Exception):
    """This system gives no pseudo-terminal."""


def _run_pty(cmd: Sequence[str], env: dict[str, str], on_text: Callable[[str], None], cancel: CancelToken) -> int:
    """Run `cmd` with its output on a pseudo-terminal (so uv draws byte counters); feed decoded text."""
    import fcntl
    import pty
    import struct
    import termios

    try:
        master, slave = pty.openpty()
    except OSError as exc:
        raise _NoPty(exc.strerror or str(exc)) from None
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 250, 0, 0))
        proc: subprocess.Popen[bytes] = subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,  # type: ignore[call-overload]  # per-OS options in a dict
                                env=env, **child_process_options())
    except BaseException:
        os.close(master)
        os.close(slave)
        raise
    os.close(slave)
    cancel.attach(proc)
    try:
        import codecs

        dec = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            on_text(dec.decode(chunk))
        on_text(dec.decode(b"", final=True))
        return proc.wait()
    except BaseException:
        kill_popen(proc)
        proc.wait()
        raise
    finally:
        cancel.detach(proc)
        os.close(master)



class _UvRefused(Exception):
    """uv refused the command line (an option it does not know): pip takes over."""


def _uv_install(uv: str, python: Path, args: Sequence[str], reqs: Sequence[str], *, cache: Path, mode: str,
                log: Log, enter: Enter, cancel: CancelToken, what: str) -> None:
    env = uv_env(cache)
    base = [uv, "pip", "install", "--python", str(python), "--no-config", "--index-strategy", "unsafe-best-match",
            "--link-mode", mode, *args, *reqs]
    # 1. what will be installed, and which of it is cached: a dry run (uses and fills uv's metadata cache) with
    # debug logging from the two parts of uv that say so; cheaper than -v, which logs everything (0.07 vs 0.13 s)
    dry: list[str] = []
    code = run_streaming([*base[:3], "--dry-run", *base[3:]], on_line=dry.append, cancel=cancel,
                         env={**env, "RUST_LOG": "uv_installer=debug,uv_resolver=debug"})
    if cancel.is_cancelled:
        raise Cancelled()
    if code == 2 and any("unexpected argument" in line or "unrecognized" in line for line in dry):
        for line in dry[-5:]:
            log(line)
        raise _UvRefused(next((ln for ln in dry if "unexpected argument" in ln), "an option uv does not know"))
    if code != 0:
        for line in dry:
            if not line.startswith(("DEBUG ", "TRACE ")):
                log(line)
        _fail(f"uv could not install {what}: {uv_error(dry, code)}")
    planned = parse_dry_run(dry)
    need = {w[2]: w[0] for w in planned if w[2] and not w[3] and w[2].endswith(".whl")}
    sizes: dict[str, int | None] = {}
    if need:
        from .wheels import wheel_sizes

        sizes = wheel_sizes(need, index_sources(args))
    plan = WheelPlan(tuple(PlannedWheel(n, v, f, c, None if c else sizes.get(f or "")) for n, v, f, c in planned))
    for w in plan.wheels:
        size = "" if w.size is None else f", {w.size / _MIB:.1f} MiB"
        log(f"  {w.name}=={w.version}  ({'cached: no download' if w.cached else 'to download' + size})")
    total = plan.total_bytes
    hits = len(plan.cached_names)
    log(f"wheels: {len(plan.to_download)} to download ({total / _MIB:.1f} MiB), {hits} from the cache")
    unknown = [w.name for w in plan.to_download if w.size is None]
    if unknown:
        log(f"note: the index does not say the size of {', '.join(unknown)}; the total leaves them out")
    check_space(plan, cache, python, mode)
    progress = ByteProgress(plan)

    def report(msg: str | None = None) -> None:
        done, tot = progress.bytes_done, progress.total
        frac = (done / tot) if tot else None
        text = msg or "downloading " + byte_summary(done, tot, progress.speed, hits)
        enter("pip", frac, text, bytes_done=done, bytes_total=tot, speed=progress.speed or None, cached=hits)

    report(f"installing {what}: {total / _MIB:.1f} MiB to download, {hits} cached" if plan.wheels else
           f"installing {what}: nothing to download")

    def on_bytes(name: str, done: int, tot: int | None) -> None:
        if progress.update(name, done, tot):
            report()

    def on_done(name: str) -> None:
        if progress.finish(name):
            report()

    # 2. the install itself
    cmd = base
    log("$ " + " ".join(cmd))
    screen = Screen(log, on_bytes, on_done)
    result: int | None = None
    if os.name == "posix" and plan.to_download:  # a terminal only where there are bytes to show: it costs time
        try:
            result = _run_pty(cmd, env, screen.feed, cancel)
        except _NoPty as exc:  # a locked-down container: uv's plain lines instead
            log(f"note: no pseudo-terminal here ({exc}); progress per file, not per byte")
    if result is None:
        result = run_streaming(cmd, on_line=lambda ln: screen.feed(ln + "\n"), cancel=cancel, env=env)
    code = result
    screen.flush()
    if cancel.is_cancelled:
        raise Cancelled()
    if code != 0:
        _fail(f"uv could not install {what}: {uv_error(screen.lines, code)}")
    for w in plan.to_download:  # done: each planned file is in, whatever the last redraw showed
        progress.finish(w.name)
    enter("pip", 1.0, f"installed {what}", bytes_done=progress.total, bytes_total=progress.total,
          speed=progress.speed or None, cached=hits)


# A wheel is a zip: unpacked, its files take more than the download. Measured on the torch 2.13.0 CPU wheel
# for Python 3.11 (its zip directory): 180.9 MiB compressed, 666.9 MiB unpacked, 3.7x; 4x stays on the safe side.
UNPACK_FACTOR = 4


def check_space(plan: WheelPlan, cache: Path, python: Path, mode: str) -> None:
    """Fail before downloading when the cache's disk (and the env's, when files are copied) cannot hold the
    wheels still to download, unpacked; files already in the cache cost nothing more (they are linked)."""
    import shutil

    need = plan.total_bytes * UNPACK_FACTOR
    if not need:
        return
    places = [cache] + ([python.parent.parent] if mode == "copy" else [])
    for place in places:
        free = shutil.disk_usage(existing_parent(place)).free
        if free < need:
            raise JobFailed("pip", f"not enough free space in {place}: the wheels still to download need about "
                            f"{need / 1024**3:.1f} GiB unpacked and only {free / 1024**3:.1f} GiB is free",
                            "free some space, or run 'torchdesk cache clean' to drop cached files no environment uses")


def _fail(message: str) -> None:
    raise JobFailed("pip", message, "check the index URL and that you are online; the log has the installer's full output")

def _pip(python: Path, args: Sequence[str], reqs: Sequence[str], log: Log, enter: Enter, cancel: CancelToken,
         what: str) -> None:
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
        code = run_streaming(cmd, on_line=on_line, cancel=cancel, env=pip_env())
    except FileNotFoundError:
        raise JobFailed("pip", f"the new environment has no python at {python}", "see the log") from None
    if cancel.is_cancelled:
        raise Cancelled()
    if code != 0:
        detail = errors[0] if errors else f"pip exited with code {code}"
        raise JobFailed("pip", f"pip could not install {what}: {detail}",
                        "check the index URL and that you are online; the log has pip's full output")


# --- the stage ---------------------------------------------------------------------------------------------------

class _Installer:
    """uv while it can run, pip after the first reason it cannot; says which in the log."""

    def __init__(self, prefix: Path, log: Log, enter: Enter, cancel: CancelToken, *, use_uv: bool = True) -> None:
        self.python = env_python(prefix)
        self.log, self.enter, self.cancel = log, enter, cancel
        self.uv, why = find_uv() if use_uv else (None, "uv was turned off (TORCHDESK_INSTALLER=pip)")
        self.cache = uv_cache_dir()
        if self.uv is not None:
            try:
                self.cache.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self.uv, why = None, f"its cache {self.cache} cannot be created ({exc.strerror or exc})"
        if self.uv is not None:
            self.mode, sentence = link_mode(self.cache, prefix)
            log(f"installer: uv ({self.uv}); {sentence}")
        else:
            self.mode = ""
            log(f"installer: pip, because {why}")

    def install(self, args: Sequence[str], reqs: Sequence[str], what: str) -> None:
        if self.uv is not None:
            try:
                _uv_install(self.uv, self.python, args, reqs, cache=self.cache, mode=self.mode, log=self.log,
                            enter=self.enter, cancel=self.cancel, what=what)
                return
            except _UvRefused as exc:
                self.uv = None
                self.log(f"installer: pip from here on, because uv refused the options ({exc})")
            except FileNotFoundError as exc:
                self.uv = None
                self.log(f"installer: pip from here on, because uv could not start ({exc})")
        _pip(self.python, args, reqs, self.log, self.enter, self.cancel, what)


def run_wheel_stage(spec: EnvSpec, prefix: Path, log: Log, enter: Enter, cancel: CancelToken) -> None:
    """Install the spec's torch build, then its pip extras (constrained to the torch pins), into `prefix`."""
    if not spec.torch_requirements() and not spec.pip_extras:
        enter("pip", 1.0, "no pip packages")
        return
    use_uv = os.environ.get("TORCHDESK_INSTALLER", "uv") != "pip"
    made: list[_Installer] = []

    def installer() -> _Installer:  # made at the first install, so its choice is logged under the stage header
        if not made:
            made.append(_Installer(prefix, log, enter, cancel, use_uv=use_uv))
        return made[0]

    if spec.torch_requirements():
        enter("pip", 0.0, "installing " + " ".join(spec.torch_pins or spec.torch_requirements()))
        installer().install(spec.torch_index_args(), spec.torch_requirements(), "the torch build")
    if spec.pip_extras:
        enter("pip", None, "installing your extra packages: " + " ".join(spec.pip_extras))
        # torch is held by its pins as constraints: the extras cannot move it to another build or index.
        with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="torchdesk-constraints-", delete=False) as f:
            f.write("".join(p + "\n" for p in spec.torch_pins))
        try:
            installer().install([*spec.extras_index_args(), "-c", f.name], spec.pip_extras, "your extras")
        finally:
            os.unlink(f.name)
    enter("pip", 1.0, "pip done")

