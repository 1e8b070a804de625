"""The driver advice names the exact minimum the resolver holds that step to (issue #11: one screen said 580 in
the why-chain and 595.45.04 in the advice for the same step). For each advice 'update to X or newer to use
PyTorch Y': with driver X the blocked build of Y resolves, just below X it does not, and the why-chain's
rejection of that build quotes X."""

from __future__ import annotations

import re

import pytest

from desktop.machines import describe_machine
from desktop.matrix import load_matrix, vtuple
from desktop.model import Preferences
from desktop.resolve import resolve
from desktop.usecases.driver_advice import driver_advice
from desktop.usecases.planning import recommend

ADVICE = re.compile(r"^driver (\S+) cannot run CUDA (\S+) builds: update to (\S+) or newer to use PyTorch (\S+) and later$")

CASES = [
    # id, GPU (model name or compute capability), driver, OS, the advice's driver
    ("h100-575-linux", "H100", "575.51.03", "linux", "580"),  # the 580 vs 595.45.04
    ("h100-470-linux", "H100", "470.57.02", "linux", "525.60.13"),
    ("rtx5090-470-linux", "RTX 5090", "470.57.02", "linux", "525.60.13"),
    ("rtx5090-575-windows", "RTX 5090", "575.51.03", "windows", "580"),
    ("gtx1080-470-windows", "GTX 1080", "470.57.02", "windows", "528.33"),
    ("cc9.0-450-windows-ptx", "9.0", "450.80.02", "windows", "511.23"),  # sm_90 only through PTX: the own minimum
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


@pytest.mark.parametrize("gpu, driver, os_name, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_advice_names_the_resolvers_own_threshold(gpu: str, driver: str, os_name: str, expected: str) -> None:
    matrix = load_matrix()
    host = host_for(matrix, gpu, driver, os_name)
    rec = recommend(matrix, host, Preferences(), with_choices=False)
    assert len(rec.hints) == 1, rec.hints
    m = ADVICE.match(rec.hints[0])
    assert m, rec.hints[0]
    _, cuda, need, torch = m.groups()
    assert need == expected
    variant = "cu" + cuda.replace(".", "")
    pins = Preferences(torch=torch, variant=variant)
    # the why-chain of the original machine rejects that build quoting the same number
    assert driver_failures(matrix, host, pins) == [f"older than {need},"] or \
        driver_failures(matrix, host, pins) == [f"needs >= {need}:"]
    # with that driver the build runs; with anything older it does not, and only the driver stands in the way
    assert resolve(matrix, host_for(matrix, gpu, need, os_name), pins).plan is not None
    assert driver_failures(matrix, host_for(matrix, gpu, just_below(need), os_name), pins) in (
        [f"older than {need},"], [f"needs >= {need}:"])


def driver_failures(matrix, host, pins: Preferences) -> list[str]:  # type: ignore[no-untyped-def]
    """How the why-chain rejects the pinned build: the minimum it quotes, if every failed check is the driver's."""
    res = resolve(matrix, host, pins)
    assert res.plan is None
    failed = [c for cand in res.rejected if (cand.torch, cand.variant) == (pins.torch, pins.variant)
              for c in cand.checks if not c.ok]
    assert failed and all(c.check == "driver" for c in failed), failed
    return [m.group(0) for c in failed for m in [re.search(r"older than \S+,|needs >= \S+:", c.detail)] if m]


def test_no_advice_without_a_driver_to_update() -> None:
    matrix = load_matrix()
    res_host = [describe_machine(matrix, no_gpu=True, os_name="linux"),          # nothing to update
                describe_machine(matrix, gpus=["H100"], os_name="linux"),         # driver not known
                describe_machine(matrix, gpus=["H100"], driver="580.159.04", os_name="linux")]  # runs the newest
    for host in res_host:
        assert driver_advice(matrix, host, resolve(matrix, host, Preferences())) == []
