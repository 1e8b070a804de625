"""`torchdesk create`: build a conda environment for the recommended (or pinned) build, with progress.

Also holds what `import` shares with it: the source/engine options and running the job on a terminal
(Ctrl-C cancels: the job kills its processes and removes the partial env).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from typing import Any, Iterator

from ..errors import UsageError
from ._common import add_pin_args, load_matrix_for_cli, prefs_from_args
from ._daytwo import add_day_two_args, with_day_two

ENGINES = ("embedded", "conda", "mamba", "micromamba")


def add_target_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("-n", "--name", metavar="N", help="environment name (default: torch-<version>-<build>, e.g. torch-2.15.0-cu132)")
    g.add_argument("-p", "--prefix", metavar="P", help="create the environment at this path instead")


def add_job_args(p: argparse.ArgumentParser) -> None:
    """Engine, confirmation, verification and package-source options shared by create and import."""
    p.add_argument("--engine", choices=ENGINES, default=os.environ.get("TORCHDESK_ENGINE", "embedded"),
                   help="embedded (py-rattler, no conda needed; the default) or a conda/mamba/micromamba on PATH")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--no-verify", action="store_true", help="skip the smoke test after installing")
    p.add_argument("--replace", action="store_true", help="rebuild an existing conda environment of that name")
    add_day_two_args(p)
    g = p.add_argument_group("package sources (default: conda-forge and the build's PyTorch index)")
    g.add_argument("--channel", action="append", metavar="URL",
                   help="conda channel to use instead (repeatable; env TORCHDESK_CHANNEL, comma-separated)")
    g.add_argument("--pip-index-url", metavar="URL", default=os.environ.get("TORCHDESK_PIP_INDEX_URL"),
                   help="index for torch & co instead of the build's (env TORCHDESK_PIP_INDEX_URL)")
    g.add_argument("--extras-index-url", metavar="URL", default=os.environ.get("TORCHDESK_EXTRAS_INDEX_URL"),
                   help="index for your --extra packages instead of PyPI (env TORCHDESK_EXTRAS_INDEX_URL)")


def add_extra_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--extra", action="append", default=[], metavar="PKG", help="extra pip package (repeatable)")
    p.add_argument("--conda-extra", action="append", default=[], metavar="PKG", help="extra conda package (repeatable)")
    g = p.add_argument_group("mirrors (a preset id such as tuna, ustc, sjtu, aliyun, or a URL)")
    g.add_argument("--conda-mirror", metavar="ID|URL", help="mirror for conda-forge")
    g.add_argument("--torch-mirror", metavar="ID|URL", help="mirror for PyTorch's wheels")
    g.add_argument("--pypi-mirror", metavar="ID|URL", help="PyPI mirror for your extra packages")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_target_args(p)
    add_pin_args(p)
    add_extra_args(p)
    add_job_args(p)


def mirror_choice(args: argparse.Namespace) -> Any:
    from ..mirrors import MirrorChoice, MirrorError, find_mirror

    choice = MirrorChoice(conda=args.conda_mirror, torch=args.torch_mirror, pypi=args.pypi_mirror)
    try:
        for kind in ("conda", "torch", "pypi"):
            value = getattr(choice, kind)
            if value:
                find_mirror(kind, value)
    except MirrorError as exc:
        raise UsageError(str(exc)) from None
    return None if choice.is_default() else choice


def spec_for_args(args: argparse.Namespace, plan: Any) -> Any:
    """The EnvSpec for a resolved plan and the command's name/extras/mirror options."""
    from ..envspec import EnvSpecError
    from ..usecases.recipe import spec_for_plan

    if args.prefix is not None and not args.prefix.strip():
        raise UsageError("the prefix is empty: give a folder, e.g. -p ~/envs/torch-work")
    # name None and no prefix: the use case's default name; -n "" stays "" and is an error
    prefix = os.path.abspath(os.path.expanduser(args.prefix)) if args.prefix else None  # --prefix=~/x: no shell ~
    try:
        return spec_for_plan(plan, name=None if prefix else args.name, prefix=prefix,
                             extras=args.extra, conda_extras=args.conda_extra, mirrors=mirror_choice(args))
    except EnvSpecError as exc:
        raise UsageError(str(exc)) from None


def apply_sources(spec: Any, args: argparse.Namespace) -> Any:
    from ..envspec import with_sources

    channels = list(args.channel or [])
    if not channels and os.environ.get("TORCHDESK_CHANNEL"):
        channels = [c for c in os.environ["TORCHDESK_CHANNEL"].split(",") if c]
    return with_sources(spec, channels=channels or None, index_url=args.pip_index_url,
                        extras_index_url=args.extras_index_url)


def _confirm(question: str) -> bool:
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def describe_spec(spec: Any, engine: Any) -> list[str]:
    """What the user agrees to: every channel, package, index and pip option the job will use (secrets masked)."""
    from ..envspec import describe_sources

    lines = [f"Environment: {spec.label}", f"  Python {spec.python}", *describe_sources(spec)]
    lines.append(f"  engine: {engine.describe()}")
    return lines


def _say(text: str, *, err: bool = False) -> None:
    """Print, but never let a gone terminal (SIGHUP, a closed pipe) stop the job or its clean-up."""
    try:
        print(text, file=sys.stderr if err else sys.stdout, flush=True)
    except (OSError, ValueError):
        pass


_CANCEL_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


@contextlib.contextmanager
def cancel_on_signals(token: Any) -> Iterator[list[signal.Signals]]:
    """While inside, SIGINT/SIGTERM/SIGHUP cancel `token` (killing the job's child trees) instead of stopping
    this process; the list it yields holds the first signal caught. A second signal during clean-up only
    says so: interrupting the clean-up would leave half a folder behind."""
    caught: list[signal.Signals] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    def handler(signum: int, frame: Any) -> None:
        sig = signal.Signals(signum)
        if caught:
            _say("still cleaning up; please wait (it stops by itself)", err=True)
            return
        caught.append(sig)
        _say("cancelling: stopping the running step and removing what the job created...", err=True)
        # cancel() waits for processes to die: not in the handler, which runs on the main thread's stack
        threading.Thread(target=token.cancel, name="torchdesk-cancel", daemon=True).start()

    old: dict[int, Any] = {}
    for name in _CANCEL_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            old[sig] = signal.signal(sig, handler)
    try:
        yield caught
    finally:
        for sig, h in old.items():
            # After a caught signal the command only reports and exits 128+n: a further Ctrl-C in that moment
            # must not turn the exit into a death by SIGINT (or a KeyboardInterrupt traceback).
            signal.signal(sig, signal.SIG_IGN if caught else h)


def render_bar(done: int, total: int, speed: float | None, cached: int | None, width: int = 80) -> str:
    """One terminal line: a bar, bytes done of total, speed, time left, cache hits."""
    from ..wheelstage import byte_summary

    text = byte_summary(done, total, speed, cached)
    cells = max(10, min(40, width - len(text) - 12))
    filled = int(cells * done / total) if total else cells
    return f"    [{'#' * filled}{'.' * (cells - filled)}] {text}"[: max(width - 1, 20)]


class ProgressPrinter:
    """The create job's progress on a terminal: a line per stage, and for the downloads a bar redrawn in
    place on a TTY, or plain lines (at each tenth, and the end) when the output is a file or a pipe."""

    def __init__(self, out: Any, *, tty: bool | None = None, width: int | None = None) -> None:
        import shutil

        self.out = out
        self.tty = out.isatty() if tty is None else tty
        self.width = width or shutil.get_terminal_size((100, 24)).columns
        self.shown: list[str] = []
        self.bar = ""  # what is drawn on the current line (TTY), to redraw after a log line
        self.tenth = -1

    def _write(self, text: str) -> None:
        try:  # a gone terminal (SIGHUP, a closed pipe) must not stop the job or its clean-up
            self.out.write(text)
            self.out.flush()
        except (OSError, ValueError):
            pass

    def _clear(self) -> None:
        if self.bar:
            self._write("\r\x1b[2K")

    def line(self, text: str) -> None:
        self._clear()
        self._write(text + "\n")
        if self.bar:
            self._write(self.bar)

    def finish(self) -> None:
        """End a bar left on the line (a cancelled download), so what follows starts on its own line."""
        if self.bar:
            self._write("\n")
            self.bar = ""

    def progress(self, p: Any) -> None:
        from ..jobs import STAGES

        if not self.shown or self.shown[-1] != p.stage:
            self.shown.append(p.stage)
            n = STAGES.index(p.stage) + 1 if p.stage in STAGES else 0
            self._clear()
            self.bar = ""
            self.tenth = -1
            self._write(f"[{n}/{len(STAGES)}] {p.stage}: {p.message}\n")
        total = getattr(p, "bytes_total", None)
        if not total:
            return
        done = min(getattr(p, "bytes_done", None) or 0, total)
        speed, cached = getattr(p, "speed", None), getattr(p, "cached", None)
        if self.tty:
            self.bar = render_bar(done, total, speed, cached, self.width)
            self._write("\r\x1b[2K" + self.bar)
            if done >= total:
                self._write("\n")
                self.bar = ""
            return
        tenth = 10 * done // total
        if tenth > self.tenth:
            self.tenth = tenth
            from ..wheelstage import byte_summary

            self._write(f"    downloaded {byte_summary(done, total, speed, cached)}\n")


def run_job(spec: Any, args: argparse.Namespace, host: Any = None) -> int:
    """Run the create job on the terminal: stage lines, the log, Ctrl-C to cancel. Returns the exit code."""
    from ..engine import EngineError, get_engine
    from ..jobs import create_env
    from ..procs import CancelToken

    try:
        engine = get_engine(args.engine, host=host)
    except EngineError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    spec = with_day_two(spec, args, host)  # --jupyter, --toolchain (commands/_daytwo.py)
    for line in describe_spec(spec, engine):
        print(line)
    if not args.yes and sys.stdin.isatty() and not _confirm("Create it?"):
        print("nothing done")
        return 1
    token = CancelToken()
    printer = ProgressPrinter(sys.stdout)
    on_progress = printer.progress

    def on_line(line: str) -> None:
        # Warnings and the final status line are printed once, in plain words, by report_result.
        if not line.startswith(("warning: ", "== ok:", "== failed:", "== cancelled:")):
            printer.line(f"    {line}")

    matrix = load_matrix_for_cli(args) if getattr(args, "matrix_file", None) else None
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["result"] = create_env(spec, engine=engine, on_line=on_line, on_progress=on_progress, cancel=token,
                                       verify=not args.no_verify, replace=args.replace, host=host, matrix=matrix)
        finally:
            done.set()

    with cancel_on_signals(token) as caught:
        t = threading.Thread(target=work, name="torchdesk-create", daemon=True)
        t.start()
        # Wait on an Event, never on Thread.join(timeout): on Python 3.11 a signal that interrupts join() can
        # leave is_alive() False while the thread is still cleaning up. cancel_on_signals' handler never raises.
        while not done.wait(0.5):
            pass
        t.join()
    printer.finish()
    res = box.get("result")
    if res is None:
        print("error: the job stopped without a result", file=sys.stderr)
        return 1
    if caught and not res.ok:
        _say(f"cancelled by {caught[0].name}; what the job created was removed. log: {res.log_path}", err=True)
        return 128 + int(caught[0])
    return report_result(spec, res)


def report_result(spec: Any, res: Any) -> int:
    """Print a job's result once: warnings and a failure in plain words (a network failure as one sentence
    naming the host and what to do), the raw error left to the log. Returns the exit code."""
    from ..neterrors import explain_job_failure, plain_warnings, read_log_tail

    for w in plain_warnings(res.warnings):
        print(f"warning: {w}", file=sys.stderr)
    if res.ok:
        print(f"Created {spec.label} at {res.prefix}")
        print(f"  activate: conda activate {res.prefix}")
        print(f"  log: {res.log_path}")
        return 0
    if res.status == "cancelled":
        print(f"cancelled; what the job created was removed. log: {res.log_path}", file=sys.stderr)
        return 130
    plain = explain_job_failure(res.message, read_log_tail(res.log_path))
    if plain:
        print(f"error: {spec.label} was not created ({res.stage} failed): {plain}", file=sys.stderr)
        print(f"  the full error is in the log: {res.log_path}", file=sys.stderr)
    else:
        print(f"error: {res.message}", file=sys.stderr)
        if res.fix and "see the log" not in res.fix:  # the log line below says where it is
            print(f"  what to do: {res.fix}", file=sys.stderr)
        print(f"  log (the full output): {res.log_path}", file=sys.stderr)
    if res.kept:
        print(f"  the environment was kept at {res.prefix} so you can look inside", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    from ..detect import detect_host
    from ..resolve import resolve

    matrix = load_matrix_for_cli(args)
    prefs = prefs_from_args(args)
    mirror_choice(args)  # bad mirror ids are usage errors, before detection
    host = detect_host(matrix=matrix)
    res = resolve(matrix, host, prefs)
    if res.plan is None:
        print(res.summary or "no PyTorch build runs on this machine with these pins", file=sys.stderr)
        for c in res.checks:
            if not c.ok:
                print(f"  - {c.detail}", file=sys.stderr)
        return 1
    spec = apply_sources(spec_for_args(args, res.plan), args)
    return run_job(spec, args, host)
