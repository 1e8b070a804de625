"""A driver must support the GPU itself: one released before an architecture cannot run it, whatever CUDA
minor-version compatibility says (matrix architectures[].driver_floors). Per architecture and OS: just below the
floor no GPU build plans, the why-chain says the driver predates the architecture, and the advice names the floor
and the plan it gets; at the floor the resolver plans exactly that build. The real H100 capture still passes."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop.machines import describe_machine
from desktop.matrix import vtuple
from desktop.matrixload import load_matrix, matrix_from_data
from desktop.model import Preferences
from desktop.resolve import resolve
from desktop.rules import gpu_driver_floor
from desktop.schema import MatrixError, validate_data
from desktop.usecases.planning import recommend
from test_driver_advice import ADVICE, just_below

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "tests" / "captures" / "h100-driver-580"

# compute capability, OS, the architecture, its floor: written out here so a data change that moves a floor
# shows up as a test change (every row's figure is also compared with the data below)
FLOORS = [
    ("7.5", "linux", "Turing", "410.48"), ("7.5", "windows", "Turing", "411.31"),
    ("8.0", "windows", "Ampere", "451.22"),
    ("8.6", "linux", "Ampere", "455.23"), ("8.6", "windows", "Ampere", "456.38"),
    ("8.9", "linux", "Ada Lovelace", "520"), ("8.9", "windows", "Ada Lovelace", "520.06"),
    ("9.0", "linux", "Hopper", "520"), ("9.0", "windows", "Hopper", "520.06"),
    ("10.0", "linux", "Blackwell", "570.26"), ("10.0", "windows", "Blackwell", "570.65"),
    ("12.0", "linux", "Blackwell", "570.26"), ("12.0", "windows", "Blackwell", "570.65"),
    ("10.3", "linux", "Blackwell", "575.51.03"), ("10.3", "windows", "Blackwell", "576.02"),
    ("12.1", "linux", "Blackwell", "575.51.03"), ("12.1", "windows", "Blackwell", "576.02"),
    ("10.7", "linux", "Rubin", "615"), ("10.7", "windows", "Rubin", "615"),  # no Windows figure: the Linux one
]
# floors below every driver a build for that GPU needs anyway (Pascal and Volta predate every toolkit here but
# 9.0; A100's R450 RC driver is below every 11.x minimum): they hold, but never decide anything
NEVER_BINDING = [("6.0", "linux", "367.48"), ("6.0", "windows", "369.30"), ("6.1", "linux", "367.48"),
                 ("6.1", "windows", "369.30"), ("7.0", "linux", "384.81"), ("7.0", "windows", "385.54"),
                 ("8.0", "linux", "450.36.06")]
IDS = [f"sm{cc.replace('.', '')}-{os_name}" for cc, os_name, _, _ in FLOORS]


@pytest.fixture(scope="module")
def matrix():  # type: ignore[no-untyped-def]
    return load_matrix()


def host_at(matrix, cc: str, driver: str, os_name: str):  # type: ignore[no-untyped-def]
    return describe_machine(matrix, ccs=[cc], driver=driver, os_name=os_name)


@pytest.mark.parametrize("cc, os_name, arch, floor", FLOORS, ids=IDS)
def test_just_below_the_floor_no_gpu_build_and_the_advice_names_it(matrix, cc: str, os_name: str, arch: str,
                                                                   floor: str) -> None:
    host = host_at(matrix, cc, just_below(floor), os_name)
    gf = gpu_driver_floor(matrix, host)
    assert gf is not None and (gf.arch, gf.driver) == (arch, floor)
    rec = recommend(matrix, host, Preferences(), with_choices=False)
    res = resolve(matrix, host, Preferences())
    assert res.plan is None or not res.plan.variant.startswith("cu")
    assert not [c for c in res.alternatives if c.variant.startswith("cu")]
    assert len(rec.hints) == 1, rec.hints
    m = ADVICE.match(rec.hints[0])
    assert m and m["need"] == floor, rec.hints[0]
    assert f" cannot run any PyTorch build for GPU with compute capability {cc} ({arch} needs >= {floor} on " \
           f"{os_name.capitalize()}): " in rec.hints[0], rec.hints[0]
    # the build the advice names is rejected by the driver alone, with the GPU's floor as the reason
    torch, variant = m["torch"], m["variant"]
    pinned = resolve(matrix, host, Preferences(torch=torch, variant=variant))
    failed = [c for cand in pinned.rejected if (cand.torch, cand.variant) == (torch, variant) for c in cand.checks if not c.ok]
    assert [c.check for c in failed] == ["driver"], failed
    assert re.search(rf"predates {arch} GPUs \(sm_\d+\): they need >= {re.escape(floor)} \({os_name}\)", failed[0].detail)


@pytest.mark.parametrize("cc, os_name, arch, floor", FLOORS, ids=IDS)
def test_at_the_floor_the_advised_build_resolves(matrix, cc: str, os_name: str, arch: str, floor: str) -> None:
    hint = recommend(matrix, host_at(matrix, cc, just_below(floor), os_name), Preferences(), with_choices=False).hints[0]
    m = ADVICE.match(hint)
    assert m, hint
    # the plan the advice names is the resolver's own with the advised driver, unpinned
    plan = resolve(matrix, host_at(matrix, cc, floor, os_name), Preferences()).plan
    assert plan is not None and (plan.torch, plan.variant) == (m["torch"], m["variant"])


def test_every_floor_in_the_data_is_tested(matrix) -> None:  # type: ignore[no-untyped-def]
    """Each figure the data holds is in FLOORS (and so tested above) or in NEVER_BINDING; rows without a figure
    say why (Jetson, or a first toolkit older than NVIDIA's driver table)."""
    listed = {(cc, o): floor for cc, o, _, floor in FLOORS} | {(cc, o): floor for cc, o, floor in NEVER_BINDING}
    seen = {}
    for a in matrix.architectures:
        for f in a.driver_floors:
            for cc in f.cc:
                if not f.driver_min:
                    assert f.note and (f.l4t or f.first_cuda), (a.name, cc)
                    continue
                for o in ("linux", "windows"):
                    seen[(cc, o)] = f.driver_min.get(o) or f.driver_min["linux"]
    assert seen == listed


@pytest.mark.parametrize("cc, os_name, floor", NEVER_BINDING, ids=[f"sm{c.replace('.', '')}-{o}" for c, o, _ in NEVER_BINDING])
def test_floors_below_every_toolkit_never_decide(matrix, cc: str, os_name: str, floor: str) -> None:
    host = host_at(matrix, cc, just_below(floor), os_name)
    hints = recommend(matrix, host, Preferences(), with_choices=False).hints
    m = ADVICE.match(hints[0]) if hints else None
    assert m and vtuple(m["need"]) > vtuple(floor) and " GPUs:" not in hints[0] and " needs >= " not in hints[0], hints


@pytest.mark.parametrize("cc", ["8.7", "7.2", "6.2", "5.3", "11.0", "3.5"])
def test_jetson_and_pre_table_parts_have_no_floor(matrix, cc: str) -> None:  # type: ignore[no-untyped-def]
    assert gpu_driver_floor(matrix, host_at(matrix, cc, "400.1", "linux")) is None


def test_several_gpus_take_the_highest_floor(matrix) -> None:  # type: ignore[no-untyped-def]
    host = describe_machine(matrix, gpus=["H100", "GeForce RTX 5090"], driver="560.28.03", os_name="linux")
    gf = gpu_driver_floor(matrix, host)
    assert gf is not None and (gf.arch, gf.cc, gf.driver) == ("Blackwell", "12.0", "570.26")
    res = resolve(matrix, host, Preferences())
    assert res.plan is None or not res.plan.variant.startswith("cu")


def test_unknown_driver_names_the_gpu_floor(matrix) -> None:  # type: ignore[no-untyped-def]
    host = describe_machine(matrix, gpus=["GeForce RTX 5090"], os_name="linux")
    res = resolve(matrix, host, Preferences(torch="2.7.0", variant="cu128"))
    assert res.plan is not None
    drv = [c.detail for c in res.checks if c.check == "driver"]
    assert drv == ["driver not known: CUDA 12.8 builds need linux driver >= 570.26 (Blackwell GPUs need it)"]


def test_h100_capture_still_passes(matrix) -> None:  # type: ignore[no-untyped-def]
    """The real H100 on 580.159.04 (tests/captures): its floor (R520) is far below, nothing changes."""
    driver = json.loads((CAPTURE / "nvml.json").read_text())["system"]["nvmlSystemGetDriverVersion"]["ok"]
    assert driver == "580.159.04"
    host = describe_machine(matrix, gpus=["NVIDIA H100 80GB HBM3"], driver=driver, os_name="linux")
    res = resolve(matrix, host, Preferences())
    assert res.plan is not None and (res.plan.torch, res.plan.variant) == ("2.15.0", "cu132")
    assert [c.ok for c in res.checks if c.check == "driver"] == [True]
    assert not any("predates" in c.detail for cand in res.rejected for c in cand.checks)


def test_recommend_rtx5090_on_550_plans_no_gpu_build_and_advises_blackwells_floor() -> None:
    out = subprocess.run([sys.executable, "-m", "desktop.cli", "recommend", "--gpu", "GeForce RTX 5090", "--driver",
                          "550.54.14", "--os", "linux", "--json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode in (0, 1), out.stderr
    data = json.loads(out.stdout)
    plan = data.get("plan") or {}
    assert not str(plan.get("variant", "")).startswith("cu"), plan
    # what the update gets: the resolver's plan with 570.26 (cu129 through minor-version compatibility), and the
    # newest plan with CUDA 13.2's own 580 (tests/test_driver_advice.py re-resolves both)
    assert data["driver_advice"] == ["driver 550.54.14 cannot run any PyTorch build for GeForce RTX 5090 (Blackwell "
                                     "needs >= 570.26 on Linux): update to 570.26 or newer: with 570.26 the plan is "
                                     "torch 2.13.0 (cu129); with 580 it is torch 2.15.0 (cu132)"]
    text = json.dumps(data["checks"]) + json.dumps(data.get("rejected", []))
    assert "driver 550.54.14 predates Blackwell GPUs (sm_120): they need >= 570.26 (linux): update the driver" in text


# --- the data file: hostile or broken floor rows are refused with the path named -----------------------------------

def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "desktop" / "resources" / "matrix.json").read_text(encoding="utf-8"))
    return data


def _blackwell(data: dict[str, Any]) -> dict[str, Any]:
    arch: dict[str, Any] = next(a for a in data["architectures"] if a["name"] == "Blackwell")
    return arch


@pytest.mark.parametrize("change, message", [
    (lambda f: f.update(cc=["9.0"]), "not one of Blackwell's"),
    (lambda f: f.update(l4t=True), "carries no driver floor"),
    (lambda f: f.update(source=["no-such-source"]), "is not listed in $.sources"),
    (lambda f: (f.pop("driver_min"), f.pop("note")), "needs a note"),
    (lambda f: f.update(driver_min={"linux": "570; rm -rf /"}), "driver_min"),
])
def test_broken_floor_rows_are_refused(change: Any, message: str) -> None:
    data = copy.deepcopy(_data())
    change(_blackwell(data)["driver_floors"][0])
    with pytest.raises(MatrixError, match=re.escape(message) if "$" in message else message):
        validate_data(data)


def test_a_duplicate_floor_for_one_cc_is_refused() -> None:
    data = copy.deepcopy(_data())
    rows = _blackwell(data)["driver_floors"]
    rows.append(copy.deepcopy(rows[0]))
    with pytest.raises(MatrixError, match="more than one driver floor"):
        validate_data(data)


def test_data_without_floors_still_loads_and_plans_as_before() -> None:
    """The field is optional: an older data copy without it plans on toolkit floors alone."""
    data = copy.deepcopy(_data())
    for a in data["architectures"]:
        a.pop("driver_floors", None)
    validate_data(data)
    m = matrix_from_data(data)
    host = describe_machine(m, gpus=["GeForce RTX 5090"], driver="550.54.14", os_name="linux")
    assert gpu_driver_floor(m, host) is None
    assert resolve(m, host, Preferences(torch="2.7.0", variant="cu128")).plan is not None


# --- the rule itself: the floor quoted is max(toolkit floor, GPU floor), whichever route applies -------------------

@pytest.mark.parametrize("gpu_floor, needs_own, ok, quote", [
    (None, False, True, ">= 452.39, the CUDA 11.x minor-version-compatibility floor"),
    (None, True, False, "the PTX route needs >= 511.23: update the driver"),
    ("452", True, False, "the PTX route needs >= 511.23: update the driver"),       # the PTX route's own minimum binds
    ("452", False, True, ">= 452.39, the CUDA 11.x minor-version-compatibility floor"),  # below the driver: holds
    ("520.06", False, False, "predates Turing GPUs (sm_75): they need >= 520.06 (windows)"),
    ("520.06", True, False, "predates Turing GPUs (sm_75): they need >= 520.06 (windows)"),
], ids=["compat", "ptx-own", "ptx-own-over-gpu", "gpu-below-driver", "gpu-over-compat", "gpu-over-ptx-own"])
def test_driver_check_quotes_the_highest_floor(matrix, gpu_floor: str | None, needs_own: bool, ok: bool,
                                               quote: str) -> None:
    from desktop.rules import GpuFloor, driver_check, driver_floor

    tk = matrix.cuda("11.6")
    host = describe_machine(matrix, ccs=["7.5"], driver="452.39", os_name="windows")
    gpu = GpuFloor(gpu_floor, "Turing", "7.5", "windows", True, ("t",)) if gpu_floor else None
    check = driver_check(tk, host, needs_own=needs_own, sources=tk.source, gpu=gpu)
    assert check.ok is ok and quote in check.detail, check.detail
    if not ok:  # the advice's number (driver_floor) is the one the failure quotes
        assert re.search(rf"(?:>= |older than ){re.escape(driver_floor(tk, host, needs_own=needs_own, gpu=gpu))}\b",
                         check.detail)
