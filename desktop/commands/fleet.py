"""`torchdesk fleet`: one environment planned, built and proven across a Slurm cluster's GPU node classes.

  fleet inventory   node classes from sinfo (GRES type -> GPU model); --probe runs `detect --json` on each class
  fleet plan        one plan for every class, or the class that blocks it and a plan per class
  fleet create      build the env once on the shared filesystem (here, or as a Slurm job with --on-node CLASS)
  fleet verify      the smoke test on every class, one Slurm job each; --print-sbatch for the sbatch scripts
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ..errors import UsageError
from ._common import add_pin_args, load_matrix_for_cli, prefs_from_args


def _add_class_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("node classes")
    g.add_argument("--site-map", metavar="FILE", default=os.environ.get("TORCHDESK_FLEET_SITE_MAP"),
                   help="YAML naming the GPU behind local GRES types: `gpu_types: {labgpu: RTX A6000}` "
                        "(env TORCHDESK_FLEET_SITE_MAP)")
    g.add_argument("--class", dest="classes", action="append", metavar="NAME",
                   help="only this node class (a GRES type; repeatable)")
    g.add_argument("--sinfo-output", metavar="FILE",
                   help="read saved `sinfo -h -N -o '%%N|%%P|%%G|%%f|%%t'` output instead of asking Slurm")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="fleet_command", metavar="SUBCOMMAND")
    inv = sub.add_parser("inventory", help="node classes from Slurm: GRES type, GPU model, nodes, partitions")
    _add_class_args(inv)
    inv.add_argument("--probe", action="store_true",
                     help="run `torchdesk detect --json` on one node of each class as a Slurm job (exact GPU and driver)")
    inv.add_argument("--json", action="store_true", help="print one JSON object")
    inv.set_defaults(_fleet=run_inventory)

    pl = sub.add_parser("plan", help="one plan that runs on every node class, or the class that blocks it")
    _add_class_args(pl)
    pl.add_argument("--driver", metavar="VERSION", help="the oldest NVIDIA driver on the nodes (default: from the "
                                                        "site map or --probe)")
    pl.add_argument("--probe", action="store_true", help="probe each class first (as `fleet inventory --probe`)")
    pl.add_argument("--json", action="store_true", help="print one JSON object")
    add_pin_args(pl)
    pl.set_defaults(_fleet=run_plan)

    from .create import add_extra_args, add_job_args

    cr = sub.add_parser("create", help="build the fleet's environment once, on the shared filesystem")
    cr.add_argument("-p", "--prefix", required=True, metavar="SHARED/envs/NAME",
                    help="where to build it: a folder every node sees at the same path")
    cr.add_argument("--on-node", metavar="CLASS", help="build it as a Slurm job on a node of this class")
    cr.add_argument("--driver", metavar="VERSION", help="the oldest NVIDIA driver on the nodes")
    _add_class_args(cr)
    add_pin_args(cr)
    add_extra_args(cr)
    add_job_args(cr)
    cr.set_defaults(_fleet=run_create)

    ve = sub.add_parser("verify", help="run the smoke test on every node class (one Slurm job each)")
    which = ve.add_mutually_exclusive_group(required=True)
    which.add_argument("-p", "--prefix", metavar="SHARED/envs/NAME", help="the environment to verify")
    which.add_argument("--collect", metavar="DIR", help="print the table from the results of --print-sbatch scripts")
    _add_class_args(ve)
    ve.add_argument("--print-sbatch", metavar="DIR",
                    help="write one sbatch script per class into DIR (a new folder) instead of submitting")
    ve.add_argument("--local", action="store_true",
                    help="run on this machine with submitit's local executor (no Slurm)")
    ve.add_argument("--timeout-min", type=int, default=30, metavar="M", help="time limit per job (default 30)")
    ve.add_argument("--json", action="store_true", help="print one JSON object")
    ve.set_defaults(_fleet=run_verify)


def run(args: argparse.Namespace) -> int:
    fn: Callable[[argparse.Namespace], int] | None = getattr(args, "_fleet", None)
    if fn is None:
        print("usage: torchdesk fleet {inventory,plan,create,verify} ... (torchdesk fleet -h)", file=sys.stderr)
        return 2
    return fn(args)


# --- classes --------------------------------------------------------------------------------------------------------

def _inventory(args: argparse.Namespace, matrix: Any) -> Any:
    from ..fleet.inventory import build_inventory, load_site_map, parse_sinfo_nodes, read_inventory

    site = load_site_map(args.site_map, matrix) if args.site_map else None
    if args.sinfo_output:
        from ..safeio import read_input_text

        text = read_input_text(args.sinfo_output, "sinfo output file")  # regular, <= 4 MiB, UTF-8 (no hang, no OOM)
        inv = build_inventory(parse_sinfo_nodes(text), matrix, site)
    else:
        inv = read_inventory(matrix, site)
    if args.classes:
        unknown = [c for c in args.classes if inv.find(c) is None]
        if unknown:
            have = ", ".join(c.name for c in inv.classes) or "none"
            raise UsageError(f"no node class {', '.join(map(repr, unknown))} (the cluster has: {have})")
        from dataclasses import replace

        inv = replace(inv, classes=tuple(c for c in inv.classes if c.name in args.classes))
    return inv


def _probe(inv: Any, matrix: Any, args: argparse.Namespace) -> Any:
    """Run detect --json on each class; classes updated with what the nodes said."""
    from dataclasses import replace

    from ..fleet.inventory import apply_probe
    from ..fleet.jobs import jobs_root, run_per_class
    from ..fleet.task import probe_task
    from ..procs import CancelToken

    folder = jobs_root() / "probe" / time.strftime("%Y%m%d-%H%M%S")
    token = CancelToken()
    outcomes = _interruptible(lambda: run_per_class(
        list(inv.classes), probe_task, lambda c: (c.name if c is not None else None,), kind="slurm", folder=folder,
        job_name="torchdesk-probe", timeout_min=10, cancel=token,
        on_line=lambda s: print(s, file=sys.stderr, flush=True)), token)
    by_name = {o.cls: o for o in outcomes}
    classes, warnings = [], list(inv.warnings)
    for c in inv.classes:
        o = by_name.get(c.name)
        if o is None or o.result is None or "detect" not in o.result:
            why = (o.error if o else None) or ((o.result or {}).get("error") if o else None) or "no result"
            warnings.append(f"class {c.name}: probe failed ({why})")
            classes.append(c)
            continue
        new = apply_probe(c, o.result["detect"], matrix, (o.result.get("slurm") or {}).get("SLURM_JOB_GPUS"))
        if new.source != "probe":
            warnings.append(f"class {c.name}: `torchdesk detect` on {o.result.get('node')} found no NVIDIA GPU "
                            f"(CUDA_VISIBLE_DEVICES={(o.result.get('slurm') or {}).get('CUDA_VISIBLE_DEVICES', '-')}); "
                            "keeping the GRES name's model")
        classes.append(new)
    return replace(inv, classes=tuple(classes), warnings=tuple(warnings))


def format_classes(inv: Any) -> str:
    """The inventory as a table."""
    rows = [("CLASS", "GPU", "CC", "DRIVER", "NODES", "PARTITIONS", "GRES", "FROM")]
    for c in inv.classes:
        nodes = ",".join(c.nodes[:4]) + (f" +{len(c.nodes) - 4}" if len(c.nodes) > 4 else "")
        rows.append((c.name, c.model or "unknown", c.cc or "-", c.driver or "-", nodes, ",".join(c.partitions),
                     f"gpu:{c.name}:{c.gpus_per_node}" if c.name != "gpu" else f"gpu:{c.gpus_per_node}", c.source))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)).rstrip() for r in rows]
    if not inv.classes:
        lines.append("(no GPU node classes)")
    lines += [f"warning: {w}" for w in inv.warnings]
    return "\n".join(lines) + "\n"


def run_inventory(args: argparse.Namespace) -> int:
    matrix = load_matrix_for_cli(args)
    inv = _inventory(args, matrix)
    if args.probe:
        inv = _probe(inv, matrix, args)
    if args.json:
        print(json.dumps(inv.to_json(), indent=2))
    else:
        sys.stdout.write(format_classes(inv))
    return 0 if inv.classes else 1


# --- plan -----------------------------------------------------------------------------------------------------------

def _fleet_plan(args: argparse.Namespace, matrix: Any) -> tuple[Any, Any]:
    from ..fleet.plan import plan_fleet
    from ..resolve import PreferenceError, validate_driver

    inv = _inventory(args, matrix)
    if getattr(args, "probe", False):
        inv = _probe(inv, matrix, args)
    if not inv.classes:
        raise UsageError("the cluster has no GPU node classes to plan for (no node has gpu GRES)")
    driver = None
    if args.driver:
        try:
            driver = validate_driver(args.driver)
        except PreferenceError as exc:
            raise UsageError(str(exc)) from None
    return inv, plan_fleet(matrix, inv.classes, prefs_from_args(args), driver=driver)


def format_fleet_plan(fp: Any) -> str:
    """The fleet plan: the why-chain (each check names its class), then the plan or the per-class plans."""
    from .recommend import _marks, format_resolution

    ok_mark, no_mark = _marks()
    if fp.status == "ok":
        lines = ["One plan for every node class", ""]
        lines += [f"  {ok_mark if c.ok else no_mark} {c.detail}" for c in fp.checks if c.check == "fleet"]
        lines += ["", "  Build it once on the shared filesystem:  torchdesk fleet create --prefix SHARED/envs/NAME",
                  "  then prove it on every class:            torchdesk fleet verify --prefix SHARED/envs/NAME"]
        return "\n".join(lines) + "\n\n" + format_resolution(fp.resolution)
    lines = ["No one PyTorch build runs on every node class.", "", "Why"]
    lines += [f"  {ok_mark if c.ok else no_mark} {c.detail}" for c in fp.checks[:10]]
    if len(fp.checks) > 10:
        lines.append(f"  ...and {len(fp.checks) - 10} more (--json has them all)")
    lines += ["", "Blocking: " + (", ".join(f"class {b}" for b in fp.blockers) or "no single class"), "",
              "Per-class plans (build one environment per class; select it per partition or GRES)"]
    for name, r in fp.per_class:
        if r.plan is not None:
            lines.append(f"  class {name}: {r.summary}")
            lines.append(f"      torchdesk fleet create --class {name} --torch {r.plan.torch} --variant {r.plan.variant}"
                         f" --python {r.plan.python} --prefix SHARED/envs/torch-{name}")
        else:
            lines.append(f"  class {name}: no build in the data runs on it")
    return "\n".join(lines) + "\n"


def run_plan(args: argparse.Namespace) -> int:
    matrix = load_matrix_for_cli(args)
    _inv, fp = _fleet_plan(args, matrix)
    if args.json:
        print(json.dumps(fp.to_json(), indent=2))
    else:
        sys.stdout.write(format_fleet_plan(fp))
    return 0 if fp.status == "ok" else 1


# --- create ---------------------------------------------------------------------------------------------------------

def run_create(args: argparse.Namespace) -> int:
    from .create import apply_sources, mirror_choice, run_job, spec_for_args

    matrix = load_matrix_for_cli(args)
    mirror_choice(args)
    inv, fp = _fleet_plan(args, matrix)
    if fp.plan is None:
        sys.stdout.write(format_fleet_plan(fp))
        print("error: no one build runs on every class; build per class with --class NAME (see above)",
              file=sys.stderr)
        return 1
    print(f"Fleet plan for {', '.join(c.name for c in inv.classes)}: {fp.resolution.summary}")
    args.name = None
    if args.on_node:
        return _create_on_node(args, inv, fp.plan)
    spec = apply_sources(spec_for_args(args, fp.plan), args)
    code = run_job(spec, args, host=None)
    if code == 0:
        print(f"next: prove it on every class: torchdesk fleet verify --prefix {spec.prefix}")
    return code


def _create_on_node(args: argparse.Namespace, inv: Any, plan: Any) -> int:
    from ..fleet.jobs import run_per_class
    from ..fleet.task import create_task
    from ..procs import CancelToken

    cls = inv.find(args.on_node)
    if cls is None:
        raise UsageError(f"no node class {args.on_node!r} (the cluster has: {', '.join(c.name for c in inv.classes)})")
    cli = ["create", "--prefix", os.path.abspath(args.prefix), "--torch", plan.torch, "--variant", plan.variant,
           "--python", plan.python, "--engine", args.engine, "-y"]
    for flag, value in (("--pip-index-url", args.pip_index_url), ("--extras-index-url", args.extras_index_url)):
        if value:
            cli += [flag, value]
    for ch in args.channel or ():
        cli += ["--channel", ch]
    for e in args.extra:
        cli += ["--extra", e]
    for e in args.conda_extra:
        cli += ["--conda-extra", e]
    if args.no_verify:
        cli.append("--no-verify")
    folder = Path(os.path.abspath(args.prefix)).parent / f".torchdesk-fleet-{Path(args.prefix).name}" / "create"
    token = CancelToken()
    outcomes = _interruptible(lambda: run_per_class(
        [cls], create_task, lambda c: (cli,), kind="slurm", folder=folder, job_name="torchdesk-create",
        timeout_min=120, cancel=token, on_line=lambda s: print(s, flush=True)), token)
    o = outcomes[0]
    if o.result is None:
        print(f"error: the create job {o.job_id} ended without a result: {o.error}", file=sys.stderr)
        return 130 if o.error == "cancelled" else 1
    for line in o.result.get("log", "").splitlines():
        print(f"    {line}")
    return int(o.result.get("returncode", 1))


# --- verify ---------------------------------------------------------------------------------------------------------

def _interruptible(work: Callable[[], Any], token: Any) -> Any:
    """Run `work` in a thread; Ctrl-C cancels the token (which scancels the jobs) and waits for `work` to end."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc
        finally:
            done.set()

    def on_signal(signum: int, _frame: Any) -> None:  # kill, or the login session's hangup: cancel as Ctrl-C does
        raise KeyboardInterrupt

    # An Event, not Thread.join: a join interrupted by Ctrl-C can leave the thread looking finished (Python < 3.13).
    threading.Thread(target=target, name="torchdesk-fleet", daemon=True).start()
    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM))}
    try:
        while not done.is_set():
            try:
                done.wait(0.2)
            except KeyboardInterrupt:
                print("cancelling: scancel-ing the jobs and waiting until squeue shows none left...", file=sys.stderr,
                      flush=True)
                token.cancel()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if "error" in box:
        raise box["error"]
    return box.get("value")


def format_verdicts(fv: Any) -> str:
    """The class x verdict table, then each class's checks and, for failures, cause and fix."""
    head = {"pass": "PASS", "warn": "PASS*", "fail": "FAIL", "error": "ERROR", "cancelled": "CANCELLED"}
    rows = [("CLASS", "VERDICT", "NODE", "JOB", "GPU", "CC", "DRIVER", "CUDA_VISIBLE_DEVICES", "TORCH")]
    for r in fv.rows:
        rows.append((r.cls, head.get(r.verdict, r.verdict.upper()), r.node, r.job_id, r.gpu, r.cc, r.driver,
                     r.devices, r.torch))
    widths = [max(len(x[i]) for x in rows) for i in range(len(rows[0]))]
    lines = [f"Environment {fv.prefix}", ""]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)).rstrip() for r in rows]
    lines.append("")
    for r in fv.rows:
        checks = ", ".join(f"{n} {'ok' if ok else 'FAIL'}" for n, ok in r.checks) or "none ran"
        lines.append(f"{r.cls}: {r.cause}")
        lines.append(f"    checks: {checks}")
        if r.fix and not r.ok:
            lines.append(f"    fix: {r.fix}")
    lines.append("")
    n_ok = sum(1 for r in fv.rows if r.ok)
    lines.append(f"{n_ok} of {len(fv.rows)} classes pass" + ("" if fv.ok else "; the environment is NOT proven on every class"))
    if getattr(fv, "jobs_folder", None):
        lines.append(f"job logs: {fv.jobs_folder}")
    return "\n".join(lines) + "\n"


def _emit(fv: Any, as_json: bool) -> int:
    if as_json:
        print(json.dumps(fv.to_json(), indent=2))
    else:
        sys.stdout.write(format_verdicts(fv))
    if any(r.verdict == "cancelled" for r in fv.rows):
        return 130
    return 0 if fv.ok else 1


def run_verify(args: argparse.Namespace) -> int:
    from ..fleet.verify import collect_results, env_python_for, verify_fleet
    from ..procs import CancelToken

    if args.collect:
        return _emit(collect_results(args.collect, args.classes or ()), args.json)
    matrix = load_matrix_for_cli(args)
    if args.local:  # one task on this machine: submitit's local executor, no Slurm
        if args.print_sbatch:
            raise UsageError("--print-sbatch writes Slurm scripts; it cannot be combined with --local")
        classes: list[Any] = []
    else:
        classes = list(_inventory(args, matrix).classes)
        if not classes:
            raise UsageError("the cluster has no GPU node classes to verify on (no node has gpu GRES)")
    job_name = f"torchdesk-verify-{Path(args.prefix).name}"
    if args.print_sbatch:
        from ..fleet.sbatch import write_sbatch_scripts

        py = env_python_for(args.prefix)
        paths = write_sbatch_scripts(classes, py, os.path.abspath(args.prefix), Path(args.print_sbatch),
                                     job_name=job_name, timeout_min=args.timeout_min)
        for p in paths:
            print(f"# ---- {p}")
            sys.stdout.write(p.read_text(encoding="utf-8"))
        print(f"# Submit each:  for f in {Path(args.print_sbatch).absolute()}/verify-*.sbatch; do sbatch \"$f\"; done")
        print(f"# Then collect: torchdesk fleet verify --collect {Path(args.print_sbatch).absolute()}")
        return 0
    token = CancelToken()

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    fv = _interruptible(lambda: verify_fleet(args.prefix, classes, kind="local" if args.local else "slurm",
                                             timeout_min=args.timeout_min, on_line=say, cancel=token), token)
    if token.is_cancelled:
        from ..fleet.jobs import jobs_listed

        if not args.local:
            left = jobs_listed([r.job_id for r in fv.rows])
            say("cancelled; squeue shows " + (f"jobs still listed: {', '.join(left)}" if left else "none of the jobs left"))
    return _emit(fv, args.json)
