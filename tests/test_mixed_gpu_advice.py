"""Machines with GPUs no one build serves together (review finding 7): where only the driver stands in the way of a
GPU's own build, its per-GPU line says so and names the plan the resolver gives at the advised driver, and the
machine gets the driver advice for that GPU. The real data (desktop/resources/matrix.json) and the real resolver."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from desktop.machines import describe_machine
from desktop.matrixload import load_matrix
from desktop.model import Preferences
from desktop.resolve import resolve
from desktop.usecases.planning import recommend

MATRIX = load_matrix()

CASES = [
    # id, GPUs, driver, GPUs held back only by the driver (their per-GPU line must advise a driver)
    ("5090+1080-driver-560", ("RTX 5090", "GTX 1080"), "560.35.03", {"GeForce RTX 5090"}),
    ("5090+1080-driver-550", ("RTX 5090", "GTX 1080"), "550.54.14", {"GeForce RTX 5090"}),
    ("1080+5090-driver-560", ("GTX 1080", "RTX 5090"), "560.35.03", {"GeForce RTX 5090"}),
    ("5090+1080-driver-570.26", ("RTX 5090", "GTX 1080"), "570.26", set()),
]
ADVISED = re.compile(r"^for (.+) alone: no CUDA build runs with driver (\S+); with (\S+) or newer: torch (\S+) (\S+)$")
RUNS = re.compile(r"^for (.+) alone: torch (\S+) (\S+) \(select it with CUDA_VISIBLE_DEVICES=(\d+)\)$")


@pytest.mark.parametrize(("gpus", "driver", "held_back"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_per_gpu_line_names_the_plan_at_the_advised_driver(gpus: tuple[str, ...], driver: str,
                                                           held_back: set[str]) -> None:
    host = describe_machine(MATRIX, gpus=gpus, driver=driver, os_name="linux")
    prefs = Preferences()
    rec = recommend(MATRIX, host, prefs, with_choices=False)
    lines = [w for w in rec.resolution.warnings if " alone: " in w]
    assert len(lines) == len(host.nvidia_gpus)
    seen = set()
    for g, line in zip(host.nvidia_gpus, lines, strict=True):
        single = replace(host, gpus=(g,))
        if g.name in held_back:
            m = ADVISED.match(line)
            assert m is not None, line
            name, have, need, torch, variant = m.groups()
            assert (name, have) == (g.name, driver)
            assert resolve(MATRIX, single, prefs).plan is None
            at_need = resolve(MATRIX, replace(single, driver=need), prefs).plan
            assert at_need is not None and (at_need.torch, at_need.variant) == (torch, variant)
            # the machine's advice names the same driver and plan for this GPU
            assert any(g.name in h and f"update to {need} or newer: with {need} the plan is torch {torch} ({variant})"
                       in h for h in rec.hints), rec.hints
            seen.add(name)
        else:
            m = RUNS.match(line)
            assert m is not None, line
            plan = resolve(MATRIX, single, prefs).plan
            assert plan is not None and (m.group(1), m.group(2), m.group(3)) == (g.name, plan.torch, plan.variant)
    assert seen == held_back
    assert not any("no CUDA build in the data fits" in w for w in rec.resolution.warnings if
                   any(n in w for n in held_back))


def test_a_gpu_no_driver_helps_keeps_the_plain_line() -> None:
    """No driver at all in the data runs a build for it: the old sentence stays, and no advice is made up."""
    host = describe_machine(MATRIX, gpus=("RTX 5090", "GTX 1080"), driver="560.35.03", os_name="linux")
    prefs = Preferences(torch="2.6")  # no 2.6 build carries sm_120 (covering_builds), whatever the driver
    rec = recommend(MATRIX, host, prefs, with_choices=False)
    five = [w for w in rec.resolution.warnings if w.startswith("for GeForce RTX 5090 alone:")]
    assert five == ["for GeForce RTX 5090 alone: no CUDA build in the data fits"]
    # unpinned (so driver advice is computed): a GPU no build covers at any driver gets the plain line and no advice
    host = describe_machine(MATRIX, gpus=("GeForce GTX 860M", "RTX 5090"), driver="560.35.03", os_name="linux")
    rec = recommend(MATRIX, host, Preferences(), with_choices=False)
    assert "for GeForce GTX 860M alone: no CUDA build in the data fits" in rec.resolution.warnings
    assert rec.hints and not any("860M" in h for h in rec.hints), rec.hints  # advice only for the RTX 5090
