"""Driver answers that used to be wrong or disagree (hostile review of the per-architecture driver floors):
a driver given as a branch ('570', which --driver accepts) is compared by branch against every floor, in one
helper (rules.driver_at_least) that the why-chain, the newest-CUDA line and the Compatibility tab all use; the
GPU-mix sentence only where the GPU mix is the cause; the Compatibility tab highlights the CUDA rows the resolver's
own driver rule passes; the architecture floors are a table of their own, with sources."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.machines import describe_machine
from desktop.matrixload import load_matrix
from desktop.model import Check, Preferences
from desktop.resolve import resolve
from desktop.rules import driver_at_least, newest_cuda_for_driver
from desktop.tables import build_tables, locate_check, row_sources
from desktop.usecases.compat_tables import machine_rows
from desktop.usecases.planning import no_match_text, recommend

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def matrix():  # type: ignore[no-untyped-def]
    return load_matrix()


@pytest.mark.parametrize("have, need, ok", [
    ("570", "570.26", True),       # a branch meets any floor of its own branch (assumed new enough)
    ("570", "575.51.03", False),   # ... but not a later branch
    ("570", "580", False),         # 570 < 580 by branch
    ("580", "580.65.06", True),
    ("520", "520.06", True),
    ("520", "528.33", False),
    ("525", "525.60.13", True),
    ("570.25", "570.26", False),   # a full version is compared in full
    ("570.26", "570.26", True),
    ("570.26.1", "570.26", True),
    ("565.57.01", "570.26", False),
])
def test_driver_at_least(have: str, need: str, ok: bool) -> None:
    assert driver_at_least(have, need) is ok


BRANCH = [
    # id, GPU, branch, OS, the plan, the assumption the why-chain states
    ("rtx5090-570-linux", "GeForce RTX 5090", "570", "linux", ("2.13.0", "cu129"),
     "(driver branch 570: assumed 570.26 or newer; check nvidia-smi)"),
    ("rtx4090-520-windows", "GeForce RTX 4090", "520", "windows", ("2.7.1", "cu118"),
     "(driver branch 520: assumed 520.06 or newer; check nvidia-smi)"),
    # the toolkit minimums too: branch 525 runs the 12.x builds by minor-version compatibility (>= 525.60.13)
    ("h100-525-linux", "H100", "525", "linux", ("2.14.1", "cu126"),
     "(driver branch 525: assumed 525.60.13 or newer; check nvidia-smi)"),
]


@pytest.mark.parametrize("gpu, branch, os_name, plan, note", [c[1:] for c in BRANCH], ids=[c[0] for c in BRANCH])
def test_branch_only_driver_meets_its_own_branchs_floors(matrix, gpu: str, branch: str, os_name: str,  # type: ignore[no-untyped-def]
                                                         plan: tuple[str, str], note: str) -> None:
    host = describe_machine(matrix, gpus=[gpu], driver=branch, os_name=os_name)
    res = resolve(matrix, host, Preferences())
    assert res.plan is not None and (res.plan.torch, res.plan.variant) == plan
    drv = [c for c in res.checks if c.check == "driver"]
    assert len(drv) == 1 and drv[0].ok and drv[0].detail.endswith(note), drv
    assert not any("predates" in c.detail for cand in res.rejected for c in cand.checks)


def test_branch_below_the_floor_still_predates_the_gpu(matrix) -> None:  # type: ignore[no-untyped-def]
    host = describe_machine(matrix, gpus=["GeForce RTX 5090"], driver="565", os_name="linux")
    res = resolve(matrix, host, Preferences(torch="2.7.0", variant="cu128"))
    assert res.plan is None
    assert any("driver 565 predates Blackwell GPUs (sm_120): they need >= 570.26 (linux)" in c.detail for c in res.checks)


def test_cli_recommend_states_the_branch_assumption() -> None:
    out = subprocess.run([sys.executable, "-m", "desktop.cli", "recommend", "--gpu", "RTX 5090", "--driver", "570",
                          "--os", "linux", "--json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["plan"]["torch"], data["plan"]["variant"]) == ("2.13.0", "cu129")
    text = json.dumps(data["checks"])
    assert "driver branch 570: assumed 570.26 or newer; check nvidia-smi" in text and "predates" not in text
    assert data["driver_advice"] == ["driver 570 cannot run CUDA 13.2 builds: update to 580 or newer: "
                                     "with 580 the plan is torch 2.15.0 (cu132)"]


@pytest.mark.parametrize("driver, os_name, newest", [
    ("580", "linux", "13.0"),        # 13.0 needs 580.65.06: branch 580 meets it, 13.1's 590.44.01 it does not
    ("580.65.05", "linux", "12.9"),  # a full version just below 13.0's minimum
    ("525", "linux", "12.0"),
    ("576", "windows", "12.9"),      # 12.9 needs 576.02 on Windows
])
def test_newest_cuda_uses_the_same_comparison(matrix, driver: str, os_name: str, newest: str) -> None:  # type: ignore[no-untyped-def]
    host = describe_machine(matrix, gpus=["H100"], driver=driver, os_name=os_name)
    tk = newest_cuda_for_driver(matrix, host)
    assert tk is not None and tk.version == newest


# --- the GPU-mix sentence -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("gpus, driver, mix", [
    (["H100", "H100"], "400", False),                    # the driver, not the mix: each alone has nothing either
    (["H100", "GeForce RTX 5090"], "560.28.03", False),  # Blackwell's floor: the 5090 alone has nothing
    (["Tesla K80", "GeForce RTX 5090"], "580.159.04", True),  # each alone runs a build, none runs both
])
def test_gpu_mix_sentence_only_when_the_mix_is_the_cause(matrix, gpus: list[str], driver: str, mix: bool) -> None:  # type: ignore[no-untyped-def]
    host = describe_machine(matrix, gpus=gpus, driver=driver, os_name="linux")
    rec = recommend(matrix, host, Preferences(), with_choices=False)
    assert rec.plan is None or not rec.plan.variant.startswith("cu")
    alone = [resolve(matrix, describe_machine(matrix, gpus=[g], driver=driver, os_name="linux"), Preferences()).plan
             for g in gpus]
    assert all(p is not None and p.variant.startswith("cu") for p in alone) is mix
    text = no_match_text(rec)
    if mix:
        assert text.startswith(f"No single PyTorch build runs on all {len(gpus)} GPUs of this machine."), text
    else:
        assert text.startswith("No PyTorch build fits this machine."), text


# --- the Compatibility tab and `torchdesk matrix --table driver` ---------------------------------------------------

@pytest.mark.parametrize("gpu, driver, os_name, runs, not_runs", [
    # the review's case: Blackwell on 550.54.14 runs no CUDA build at all, whatever the toolkit minimums say
    ("GeForce RTX 5090", "550.54.14", "linux", set(), {"12.1", "12.4", "12.8", "13.0"}),
    ("H100", "550.54.14", "linux", {"12.1", "12.4", "12.8", "12.9"}, {"13.0"}),  # 12.8/12.9 by minor-version compat
    ("GeForce RTX 5090", "570", "linux", {"12.8", "12.9"}, {"13.0"}),             # a branch, by branch
    ("GeForce RTX 4090", "520", "windows", {"11.8"}, {"12.1", "13.0"}),
])
def test_driver_rows_highlighted_by_the_resolvers_rule(matrix, gpu: str, driver: str, os_name: str,  # type: ignore[no-untyped-def]
                                                       runs: set[str], not_runs: set[str]) -> None:
    host = describe_machine(matrix, gpus=[gpu], driver=driver, os_name=os_name)
    tables = build_tables(matrix, os_name=os_name)
    shown = {tables["driver"][i]["CUDA"] for i in machine_rows(matrix, host, tables)["driver"]}
    assert runs <= shown and not (not_runs & shown), shown
    if not runs:
        assert shown == set()
        res = resolve(matrix, host, Preferences())
        assert res.plan is None or not res.plan.variant.startswith("cu")  # the resolver agrees: no CUDA build
    # and the architecture row of this GPU is highlighted, no other
    floors = machine_rows(matrix, host, tables)["driver_floors"]
    model = matrix.find_gpu(gpu)
    assert floors and all(model.cc in tables["driver_floors"][i]["compute capability"].split(", ") for i in floors)


def test_floor_table_is_the_data_with_its_sources(matrix) -> None:  # type: ignore[no-untyped-def]
    rows = build_tables(matrix)["driver_floors"]
    expected = [(a.name, f) for a in matrix.architectures for f in a.driver_floors]
    assert len(rows) == len(expected)
    for row, (arch, f) in zip(rows, expected, strict=True):
        assert (row["architecture"], row["compute capability"]) == (arch, ", ".join(f.cc))
        if f.driver_min:
            assert row["Linux driver >="] == f.driver_min["linux"]
            assert row["Windows driver >="].split(" ")[0] == f.driver_min.get("windows", f.driver_min["linux"])
        else:
            assert row["Linux driver >="] == row["Windows driver >="] == "-"
        assert row["sources"] == ", ".join(f.source)
        assert set(row_sources(matrix, "driver_floors", row)["Linux driver >="]) == set(f.source)
    only = build_tables(matrix, cc="12.0")["driver_floors"]
    assert [(r["architecture"], r["Linux driver >="], r["Windows driver >="]) for r in only] == [("Blackwell", "570.26", "570.65")]


def test_predates_line_points_at_the_architecture_row(matrix) -> None:  # type: ignore[no-untyped-def]
    tables = build_tables(matrix)
    check = Check("driver", False, "driver 550.54.14 predates Blackwell GPUs (sm_120): they need >= 570.26 (linux): "
                  "update the driver", None)
    key, i = locate_check(matrix, tables, check)  # type: ignore[misc]
    assert key == "driver_floors" and tables[key][i]["Linux driver >="] == "570.26"


def test_cli_matrix_driver_table_lists_the_architecture_floors() -> None:
    out = subprocess.run([sys.executable, "-m", "desktop.cli", "matrix", "--table", "driver"], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "GPU architecture <-> oldest driver" in out.stdout
    blackwell = [line.split() for line in out.stdout.splitlines() if line.strip().startswith("Blackwell")]
    assert ["Blackwell", "10.0,", "12.0", "570.26", "570.65", "12.8"] in [b[:6] for b in blackwell]
    js = subprocess.run([sys.executable, "-m", "desktop.cli", "matrix", "--table", "driver", "--cc", "9.0", "--json"],
                        capture_output=True, text=True, cwd=ROOT, timeout=120)
    data = json.loads(js.stdout)
    assert [(r["architecture"], r["Linux driver >="], r["Windows driver >="]) for r in data["driver_floors"]] == \
        [("Hopper", "520", "520.06")]
