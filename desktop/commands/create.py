"""`torchdesk create`: build a conda environment for the recommended (or pinned) build, with progress.

Also holds what `import` shares with it: the source/engine options and running the job on a terminal
(Ctrl-C cancels: the job kills its processes and removes the partial env).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from typing import Any

from ..cli import UsageError
from ._common import add_pin_args, load_matrix_for_cli, prefs_from_args
from ._daytwo import add_day_two_args, with_day_two

ENGINES = ("embedded", "conda", "mamba", "micromamba")


def add_target_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("-n", "--name", metavar="N", help="environment name (default: torch-<version>-<build>)")
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


def default_name(plan: Any) -> str:
    return f"torch-{plan.torch}-{plan.variant}"


def spec_for_args(args: argparse.Namespace, plan: Any) -> Any:
    """The EnvSpec for a resolved plan and the command's name/extras/mirror options."""
    from ..envspec import EnvSpecError, spec_from_plan

    name = None if args.prefix else (args.name or default_name(plan))
    prefix = os.path.abspath(os.path.expanduser(args.prefix)) if args.prefix else None  # --prefix=~/x: no shell ~
    try:
        return spec_from_plan(plan, name=name, prefix=prefix,
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
    lines = [f"Environment: {spec.label}", f"  Python {spec.python} from {', '.join(spec.channels)}"]
    if spec.conda_extras:
        lines.append(f"  conda extras: {' '.join(spec.conda_extras)}")
    if spec.torch_pins:
        src = spec.index_url or spec.find_links or "PyPI"
        lines.append(f"  pip: {' '.join(spec.torch_requirements())}  (from {src})")
    if spec.pip_extras:
        lines.append(f"  pip extras: {' '.join(spec.pip_extras)}  (from {spec.extras_index_url or 'PyPI'})")
    lines.append(f"  engine: {engine.describe()}")
    return lines


def run_job(spec: Any, args: argparse.Namespace, host: Any = None) -> int:
    """Run the create job on the terminal: stage lines, the log, Ctrl-C to cancel. Returns the exit code."""
    from ..engine import EngineError, get_engine
    from ..jobs import STAGES, Progress, create_env
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
    shown: list[str] = []

    def on_progress(p: Progress) -> None:
        if not shown or shown[-1] != p.stage:
            shown.append(p.stage)
            n = STAGES.index(p.stage) + 1 if p.stage in STAGES else 0
            print(f"[{n}/{len(STAGES)}] {p.stage}: {p.message}", flush=True)

    def on_line(line: str) -> None:
        print(f"    {line}", flush=True)

    box: dict[str, Any] = {}

    def work() -> None:
        box["result"] = create_env(spec, engine=engine, on_line=on_line, on_progress=on_progress, cancel=token,
                                   verify=not args.no_verify, replace=args.replace, host=host)

    t = threading.Thread(target=work, name="torchdesk-create", daemon=True)
    t.start()
    while t.is_alive():
        try:
            t.join(0.2)
        except KeyboardInterrupt:
            print("cancelling: stopping the running step and removing the partial environment...", file=sys.stderr)
            token.cancel()
    res = box.get("result")
    if res is None:
        print("error: the job stopped without a result", file=sys.stderr)
        return 1
    for w in res.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if res.ok:
        print(f"Created {spec.label} at {res.prefix}")
        print(f"  activate: conda activate {res.prefix}")
        print(f"  log: {res.log_path}")
        return 0
    if res.status == "cancelled":
        print(f"cancelled; nothing was left behind. log: {res.log_path}", file=sys.stderr)
        return 130
    print(f"error: {res.message}", file=sys.stderr)
    if res.fix:
        print(f"  what to do: {res.fix}", file=sys.stderr)
    if res.kept:
        print(f"  the environment was kept at {res.prefix} so you can look inside", file=sys.stderr)
    print(f"  log: {res.log_path}", file=sys.stderr)
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
