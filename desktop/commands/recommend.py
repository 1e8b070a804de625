"""`torchdesk recommend`: the plan for this machine (or a described one), with the why-chain."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from ._common import add_machine_args, add_pin_args, host_from_args, load_matrix_for_cli, prefs_from_args

if TYPE_CHECKING:  # importing the matrix module costs start-up time; run() imports it
    from ..matrix import Matrix
    from ..model import Host, Plan, Resolution
    from ..usecases.planning import Recommendation


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object (stable contract for scripts)")
    p.add_argument("--all", action="store_true", help="list every alternative and rejected build")
    add_pin_args(p)
    add_machine_args(p)


def run(args: argparse.Namespace) -> int:
    from ..usecases.planning import recommend

    matrix = load_matrix_for_cli(args)
    host = host_from_args(args, matrix)
    # the app's answer (the same plan, name, advice), without the selector states the CLI has no use for
    rec = recommend(matrix, host, prefs_from_args(args), with_choices=False)
    res = rec.resolution
    recipe = install_lines(rec.plan) if rec.plan is not None else []
    if args.json:
        out = res.to_json()
        out["host"] = host_summary_json(host)
        out["default_name"] = rec.default_name
        out["install"] = recipe
        out["driver_advice"] = list(rec.hints)
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_resolution(res, show_all=args.all, conda_line=_old_conda_line(matrix, res),
                                           recommendation=rec))
    return 0 if res.status == "ok" else 1


def install_lines(plan: Plan) -> list[str]:
    """The recipe `export --shell` writes for the same plan and the default name."""
    from ..usecases.recipe import install_recipe, spec_for_plan

    return install_recipe(spec_for_plan(plan)).shell_lines()


def host_summary_json(host: Host) -> dict[str, object]:
    return {
        "hypothetical": host.hypothetical,
        "os": host.os,
        "machine": host.machine,
        "driver": host.driver,
        "gpus": [{"index": g.index, "name": g.name, "cc": g.cc, "gfx": g.gfx, "arch": g.arch, "vendor": g.vendor} for g in host.gpus],
    }


def _marks() -> tuple[str, str]:
    enc = (getattr(sys.stdout, "encoding", None) or "").lower()
    return ("✓", "✗") if "utf" in enc else ("+", "x")


def format_host(host: Host) -> list[str]:
    kind = "described" if host.hypothetical else "detected"
    lines = [f"Machine ({kind}): {host.platform}" + (f", NVIDIA driver {host.driver}" if host.driver else "")]
    if not host.gpus:
        lines.append("  no GPU")
    for g in host.gpus:
        extra = []
        if g.cc:
            extra.append(f"compute capability {g.cc}")
        if g.gfx and g.gfx not in g.name:
            extra.append(g.gfx)
        if g.arch:
            extra.append(g.arch)
        if g.memory_mib:
            extra.append(f"{g.memory_mib // 1024} GiB")
        lines.append(f"  GPU {g.index}  {g.name}" + (f"  ({', '.join(extra)})" if extra else ""))
    return lines


def _old_conda_line(matrix: Matrix, res: Resolution) -> str | None:
    """PyTorch's own conda channel stopped at 2.5.1; for older plans show its command, for reference."""
    if res.plan is None:
        return None
    r = matrix.release(res.plan.torch)
    b = r.build(res.plan.variant) if r else None
    return b.conda if b else None


def format_resolution(res: Resolution, *, show_all: bool = False, conda_line: str | None = None,
                      recommendation: Recommendation | None = None) -> str:
    from ..usecases.planning import fallback_choice, no_match_text

    ok_mark, no_mark = _marks()
    lines = format_host(res.host)
    lines.append("")
    plan = res.plan
    if plan is None:
        lines.append(no_match_text(recommendation) if recommendation is not None
                     else "No PyTorch build fits this machine with these pins.")
        fallback = fallback_choice(recommendation) if recommendation is not None else None
        if fallback is not None:
            label, prefs = fallback
            lines.append(f"  {label} (torchdesk recommend --torch {prefs.torch} --variant {prefs.variant})")
        lines.append("")
        lines.append("Why")
        for c in res.checks:
            lines.append(f"  {no_mark} {c.detail}")
    else:
        lines.append(f"Recommendation: {res.summary}")
        others = [p for p in plan.python_choices if p != plan.python]
        rows = [
            ("PyTorch", plan.torch),
            ("CUDA build" if not plan.variant.startswith("rocm") else "ROCm build",
             f"{plan.variant}" + (f" (CUDA {plan.cuda} runtime inside the wheels)" if plan.cuda else "")
             + (f" (ROCm {plan.variant[4:]} user space inside the wheels)" if plan.variant.startswith("rocm") else "")),
            ("Python", plan.python + (f"  (also supported: {', '.join(others)})" if others else "")),
            ("torchvision", plan.torchvision or "none released for this torch"),
            ("torchaudio", plan.torchaudio or "none released for this torch"),
            ("numpy", plan.numpy or "any"),
            ("pip index", plan.find_links or plan.index_url or "PyPI"),
        ]
        lines += [f"  {k:<12} {v}" for k, v in rows]
        lines.append("")
        lines.append("Why")
        for c in res.checks:
            lines.append(f"  {ok_mark if c.ok else no_mark} {c.detail}" + (f"  [{c.source}]" if c.source and show_all else ""))
        lines.append("")
        lines.append("Install (the same commands as `torchdesk export --shell`)")
        lines += [f"  {line}" for line in install_lines(plan)]
        if conda_line:
            lines.append("")
            lines.append("  The old route, PyTorch's own conda channel (closed after 2.5.1), for reference:")
            lines.append("  " + conda_line)
    warnings = recommendation.warnings if recommendation is not None else res.warnings  # with the driver advice
    if warnings:
        lines.append("")
        lines.append("Warnings")
        lines += [f"  ! {w}" for w in warnings]
    if res.alternatives:
        lines.append("")
        n = len(res.alternatives)
        shown = res.alternatives if show_all else res.alternatives[:8]
        lines.append(f"Alternatives ({n} other builds also fit{'' if show_all or n <= 8 else '; --all lists every one'})")
        for alt in shown:
            lines.append(f"  torch {alt.torch:<8} {alt.variant:<9} Python {', '.join(alt.plan.python_choices) if alt.plan else ''}")
    if show_all and res.rejected:
        lines.append("")
        lines.append(f"Rejected ({len(res.rejected)})")
        for rej in res.rejected:
            lines.append(f"  torch {rej.torch:<8} {rej.variant:<9} {'; '.join(rej.reasons)}")
    lines.append("")
    lines.append(f"(compatibility data {res.data_version})")
    return "\n".join(lines) + "\n"
