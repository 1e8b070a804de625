"""The driver advice names the exact minimum the resolver holds that step to (issue #11: one screen said 580 in
the why-chain and 595.45.04 in the advice for the same step), and what that update gets (review: it named the
oldest blocked release, PyTorch 1.7.0 for a Blackwell GPU). For each advice 'update to X or newer: with X the plan
is torch Y (V)': with driver X the resolver plans exactly Y (V), just below X it does not, and the why-chain's
rejection of that build on the original machine quotes X; likewise for the second clause ('with Z it is ...')."""

from __future__ import annotations

import re

import pytest

from desktop.machines import describe_machine
from desktop.matrix import vtuple
from desktop.matrixload import load_matrix
from desktop.model import Preferences
from desktop.resolve import resolve
from desktop.usecases.driver_advice import driver_advice
from desktop.usecases.planning import recommend

ADVICE = re.compile(r"^driver (?P<have>\S+) cannot run (?:CUDA \S+ builds(?: on [\w ]+ GPUs)?|any PyTorch build for .+ \(.+\)): "
                    r"update to (?P<need>\S+) or newer: with (?P=need) the plan is torch (?P<torch>\S+) \((?P<variant>\S+)\)"
                    r"(?:; with (?P<need2>\S+) it is torch (?P<torch2>\S+) \((?P<variant2>\S+)\))?$")
# how the why-chain quotes a minimum: the toolkit's ('older than X,', 'needs >= X:') or the GPU's ('need >= X (linux)')
QUOTE = re.compile(r"older than (\S+),|needs >= (\S+):|they need >= (\S+) \(")

NEWEST = ("580", "2.15.0", "cu132")  # the newest plan of the data for these GPUs: CUDA 13.2's own minimum (580)
CASES = [
    # id, GPU (model name or compute capability), driver, OS, (the advice's driver, the plan it names),
    # the second clause (the newest plan) or None
    ("h100-575-linux", "H100", "575.51.03", "linux", ("580", "2.15.0", "cu132"), None),  # the 580 vs 595.45.04
    # the R520 floor of Hopper opens the 11.x builds first
    ("h100-470-linux", "H100", "470.57.02", "linux", ("520", "2.7.1", "cu118"), NEWEST),
    # Blackwell's own floor, not 12.x's 525.60.13 (cu129 runs there through minor-version compatibility)
    ("rtx5090-470-linux", "RTX 5090", "470.57.02", "linux", ("570.26", "2.13.0", "cu129"), NEWEST),
    ("rtx5090-575-windows", "RTX 5090", "575.51.03", "windows", ("580", "2.15.0", "cu132"), None),
    # the review's case: it named PyTorch 1.7.0 (no sm_120, Python <= 3.8); at 570.65 the plan is 2.11.0 cu128
    ("rtx5090-560-windows", "RTX 5090", "560.94", "windows", ("570.65", "2.11.0", "cu128"), NEWEST),
    ("gtx1080-470-windows", "GTX 1080", "470.57.02", "windows", ("528.33", "2.14.1", "cu126"), None),  # no sm_61 in 13.x
    # sm_90 only through PTX needs CUDA 11.6's own 511.23, but Hopper itself needs the R520 driver
    ("cc9.0-450-windows-ptx", "9.0", "450.80.02", "windows", ("520.06", "2.7.1", "cu118"), NEWEST),
    # a branch-only driver: 570 meets Blackwell's 570.26 by branch, so only the 13.x builds are blocked
    ("rtx5090-branch-570-linux", "RTX 5090", "570", "linux", ("580", "2.15.0", "cu132"), None),
]


def just_below(version: str) -> str:
    """The newest version older than `version` that a driver could carry: 580 -> 579.999, 511.23 -> 511.22."""
    parts = [int(p) for p in version.split(".")]
    i = max(k for k, p in enumerate(parts) if p > 0)  # the last component that can go down
    if i == len(parts) - 1 and i > 0:
        return ".".join(map(str, parts[:i] + [parts[i] - 1]))
    return ".".join(map(str, parts[:i] + [parts[i] - 1])) + ".999"


def host_for(matrix, gpu: str, driver: str, os_name: str):  # type: ignore[no-untyped-def]
    if re.fullmatch(r"\d+\.\d", gpu):
        return describe_machine(matrix, ccs=[gpu], driver=driver, os_name=os_name)
    return describe_machine(matrix, gpus=[gpu], driver=driver, os_name=os_name)


def test_just_below() -> None:
    assert [just_below(v) for v in ("580", "511.23", "525.60.13", "580.0")] == ["579.999", "511.22", "525.60.12", "579.999"]
    assert all(vtuple(just_below(v)) < vtuple(v) for v in ("580", "511.23", "525.60.13", "570.26", "580.0"))


@pytest.mark.parametrize("gpu, driver, os_name, first, newest", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_advice_names_the_resolvers_own_threshold_and_plan(gpu: str, driver: str, os_name: str,
                                                          first: tuple[str, str, str],
                                                          newest: tuple[str, str, str] | None) -> None:
    matrix = load_matrix()
    host = host_for(matrix, gpu, driver, os_name)
    rec = recommend(matrix, host, Preferences(), with_choices=False)
    assert len(rec.hints) == 1, rec.hints
    m = ADVICE.match(rec.hints[0])
    assert m, rec.hints[0]
    assert m["have"] == driver
    assert (m["need"], m["torch"], m["variant"]) == first
    assert ((m["need2"], m["torch2"], m["variant2"]) if m["need2"] else None) == newest
    for need, torch, variant in filter(None, (first, newest)):
        pins = Preferences(torch=torch, variant=variant)
        # the why-chain of the original machine rejects that build quoting the same number
        assert driver_failures(matrix, host, pins) == [need]
        # with that driver the resolver plans exactly the named build; with anything older it does not
        at = resolve(matrix, host_for(matrix, gpu, need, os_name), Preferences()).plan
        assert at is not None and (at.torch, at.variant) == (torch, variant)
        below = resolve(matrix, host_for(matrix, gpu, just_below(need), os_name), Preferences()).plan
        assert below is None or (below.torch, below.variant) != (torch, variant)
        assert driver_failures(matrix, host_for(matrix, gpu, just_below(need), os_name), pins) == [need]


def driver_failures(matrix, host, pins: Preferences) -> list[str]:  # type: ignore[no-untyped-def]
    """How the why-chain rejects the pinned build: the minimum it quotes, if every failed check is the driver's."""
    res = resolve(matrix, host, pins)
    assert res.plan is None
    failed = [c for cand in res.rejected if (cand.torch, cand.variant) == (pins.torch, pins.variant)
              for c in cand.checks if not c.ok]
    assert failed and all(c.check == "driver" for c in failed), failed
    return [next(g for g in m.groups() if g) for c in failed for m in [QUOTE.search(c.detail)] if m]


def test_no_advice_without_a_driver_to_update() -> None:
    matrix = load_matrix()
    res_host = [describe_machine(matrix, no_gpu=True, os_name="linux"),          # nothing to update
                describe_machine(matrix, gpus=["H100"], os_name="linux"),         # driver not known
                describe_machine(matrix, gpus=["H100"], driver="580.159.04", os_name="linux")]  # runs the newest
    for host in res_host:
        assert driver_advice(matrix, host, resolve(matrix, host, Preferences())) == []
