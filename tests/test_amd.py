"""AMD GPUs in plans: the gfx table, ROCm builds' gfx lists, --gpu/--gfx, and detection feeding the same resolver.

Rule cases run on the small hand-made matrix (tests/matrix_factory.py); the issue's acceptance cases run on the
bundled data, as `torchdesk recommend` would, and as real processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from desktop.candidates import rocm_coverage
from desktop.detect import detect_host
from desktop.matrixload import load_matrix
from desktop.model import GpuInfo, Host, Preferences
from desktop.resolve import resolve
from detect_data.replay import DATA, Runner, layout, pci_device, probe
from matrix_factory import make_matrix

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 12, 1)
M = load_matrix()
SMALL = make_matrix()


def amd(*gfx: str, os: str = "linux", machine: str = "x86_64", names: tuple[str, ...] = ()) -> Host:
    gpus = tuple(GpuInfo(i, names[i] if i < len(names) else f"AMD GPU {g}", "amd", gfx=g) for i, g in enumerate(gfx))
    return Host(os=os, machine=machine, gpus=gpus, hypothetical=True)


def td(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ), timeout=120)


@pytest.mark.parametrize("gfx_list, gfx, ok, needle", [
    (("gfx90a", "gfx1100"), "gfx1100", True, "carries gfx1100 kernels"),
    (("gfx90a", "gfx1100"), "gfx1103", False, "no kernels for gfx1103"),  # no PTX-like fallback to a sibling target
    ((), "gfx1100", False, "gfx list is not known"),  # an unknown list promises nothing
    (("gfx1100",), None, False, "gfx target unknown"),
])
def test_rocm_coverage_rule(gfx_list: tuple[str, ...], gfx: str | None, ok: bool, needle: str) -> None:
    got, detail = rocm_coverage(gfx_list, gfx, "rocm7.0")
    assert got is ok and needle in detail


def test_amd_names_resolve_to_gfx_in_both_tables() -> None:
    assert M.find_amd_gpu("AMD Radeon RX 7900 XTX").gfx == "gfx1100"  # type: ignore[union-attr]
    assert M.find_amd_gpu("Radeon RX 7900 XTX").gfx == "gfx1100"  # type: ignore[union-attr]
    assert M.find_amd_gpu("MI300X").gfx == "gfx942"  # type: ignore[union-attr]
    assert M.find_amd_gpu("instinct mi210").gfx == "gfx90a"  # type: ignore[union-attr]
    assert M.find_amd_gpu("Radeon PRO W7900").gfx == "gfx1100"  # type: ignore[union-attr]
    assert M.find_amd_gpu("RX 9070 XT").gfx == "gfx1201"  # type: ignore[union-attr]
    assert M.find_amd_gpu("GeForce RTX 4090") is None and M.find_gpu("Radeon RX 7900 XTX") is None


def test_every_amd_row_is_sourced_and_every_rocm_build_has_a_gfx_list_or_says_why() -> None:
    assert len(M.amd_gpus) >= 40 and all(g.source and set(g.source) <= set(M.sources) for g in M.amd_gpus)
    for r, b in M.iter_builds():
        if b.kind == "rocm":
            t = b.platforms["linux-x86_64"]
            assert t.gfx or t.note, (r.version, b.variant)
            if r.version >= "2" and r.version[0] == "2":
                assert t.gfx, (r.version, b.variant)  # every 2.x ROCm build has a list


def test_rocm_rule_is_named_and_marked_not_machine_checkable() -> None:
    rule = M.rocm_rule
    assert rule is not None and rule.machine_checkable is False and rule.why_not
    assert set(rule.source) <= set(M.sources)


def test_rx_7900_xtx_plans_a_rocm_build_that_covers_gfx1100_with_a_why_chain() -> None:
    res = resolve(M, amd("gfx1100", names=("Radeon RX 7900 XTX",)), today=TODAY)
    assert res.status == "ok" and res.plan is not None and res.plan.variant.startswith("rocm")
    build = M.release(res.plan.torch).build(res.plan.variant)  # type: ignore[union-attr]
    assert build is not None and "gfx1100" in build.platforms["linux-x86_64"].gfx
    text = [c.detail for c in res.checks]
    assert any("gfx target gfx1100" in t for t in text)
    assert any(f"{res.plan.variant} carries gfx1100 kernels" in t for t in text)
    assert any("amdgpu kernel driver" in t and "not checked" in t for t in text)
    assert any(t.startswith("not torch 2.15.0: it has no ROCm build") for t in text)
    assert res.plan.index_url == f"https://download.pytorch.org/whl/{res.plan.variant}"


def test_amd_card_no_rocm_build_covers_gets_cpu_and_says_why() -> None:
    res = resolve(M, amd("gfx1103", names=("Radeon 780M",)), today=TODAY)
    assert res.status == "ok" and res.plan is not None and res.plan.variant == "cpu"
    text = "\n".join(c.detail for c in res.checks)
    assert "no ROCm build in the data carries gfx1103 kernels" in text
    assert any("no ROCm build in the data runs on Radeon 780M (gfx1103)" in w for w in res.warnings)


def test_amd_gpu_on_windows_gets_cpu_with_a_warning() -> None:
    res = resolve(M, amd("gfx1100", os="windows"), today=TODAY)
    assert res.plan is not None and res.plan.variant == "cpu"
    assert any("ROCm wheels for Linux only" in w for w in res.warnings)


def test_two_amd_gpus_need_one_build_carrying_both() -> None:
    # gfx942 and gfx1100 meet in the 2.3-2.13 lists; gfx1103 is in none, so the pair falls back to the CPU build
    res = resolve(M, amd("gfx942", "gfx1100"), today=TODAY)
    assert res.plan is not None and res.plan.variant.startswith("rocm")
    res = resolve(M, amd("gfx942", "gfx1103"), today=TODAY)
    assert res.plan is not None and res.plan.variant == "cpu"


def test_pinned_old_release_with_unknown_gfx_list_is_rejected_not_promised() -> None:
    # torch 1.10.x ROCm builds have no collected gfx list: a pin there must not promise a GPU build
    res = resolve(M, amd("gfx906"), Preferences(torch="1.10", variant="rocm4.2"), today=TODAY)
    assert res.status == "no_match"
    assert any("gfx list is not known" in c.detail for c in res.checks)


def test_small_matrix_amd_rules() -> None:
    res = resolve(SMALL, amd("gfx942"), today=TODAY)
    assert res.plan is not None and res.plan.variant == "rocm7.0"
    res = resolve(SMALL, amd("gfx1103"), today=TODAY)
    assert res.plan is not None and res.plan.variant == "cpu"


def test_cli_recommend_radeon_rx_7900_xtx() -> None:
    p = td("recommend", "--json", "--gpu", "Radeon RX 7900 XTX", "--os", "linux")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["plan"]["variant"].startswith("rocm")
    assert out["host"]["gpus"] == [{"index": 0, "name": "Radeon RX 7900 XTX", "cc": None, "gfx": "gfx1100",
                                    "arch": "RDNA3", "vendor": "amd"}]
    assert any("carries gfx1100 kernels" in c["detail"] for c in out["checks"])


def test_cli_gfx_is_the_amd_twin_of_cc() -> None:
    p = td("recommend", "--json", "--gfx", "gfx90a", "--torch", "2.4")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["plan"]["torch"] == "2.4.1" and out["plan"]["variant"].startswith("rocm")
    assert out["host"]["gpus"][0]["gfx"] == "gfx90a"


@pytest.mark.parametrize("args, msg", [
    (("--gfx", "gfx11"), "--gfx must look like gfx1100"),
    (("--gfx", "sm_90"), "--gfx must look like gfx1100"),
    (("--no-gpu", "--gfx", "gfx1100"), "--no-gpu cannot be combined"),
    (("--gpu", "Radeon RX 7900 XTZ"), "did you mean: Radeon RX 7900 XT, Radeon RX 7900 XTX"),
])
def test_cli_bad_amd_input_is_one_clear_sentence(args: tuple[str, ...], msg: str) -> None:
    p = td("recommend", *args)
    assert p.returncode == 2 and msg in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_cli_matrix_gfx_filter_and_amd_table() -> None:
    p = td("matrix", "--json", "--gfx", "gfx1100")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert "Radeon RX 7900 XTX" in [r["GPU"] for r in out["amd"]]
    assert all("rocm" in r["ROCm builds (linux-x86_64)"] for r in out["torch"])
    assert "2.0.0" not in [r["torch"] for r in out["torch"]]  # gfx1100 arrived in the 2.1 builds
    p = td("matrix", "--check")
    assert p.returncode == 0 and "AMD GPUs: 0 problem(s)" in p.stdout


def test_export_plans_rocm_for_an_amd_name(tmp_path: Path) -> None:
    out = tmp_path / "env.yml"
    p = td("export", "--gpu", "Instinct MI300X", "--os", "linux", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert "download.pytorch.org/whl/rocm" in out.read_text()


def test_detected_amd_gpu_feeds_the_same_resolver(tmp_path: Path) -> None:
    # An MI210 replayed through detection (PCI scan + KFD topology gfx_target_version 90010, no /opt/rocm at all:
    # ROCm wheels carry their own user space) resolves exactly like `--gfx gfx90a`.
    files, links = pci_device("0000:c1:00.0", "0x1002", "0x740f", "0x038000", "amdgpu")
    files = {**files, "/etc/os-release": 'NAME="Ubuntu"\n',
             "/sys/class/kfd/kfd/topology/nodes/0/properties": "cpu_cores_count 64\ngfx_target_version 0\n",
             "/sys/class/kfd/kfd/topology/nodes/1/properties": "simd_count 416\ngfx_target_version 90010\n"}
    root = layout(tmp_path / "root", files, links)
    host = detect_host(env={}, matrix=M, probe=probe(root, runner=Runner([]), which={}, home=tmp_path / "home"))
    assert [(g.vendor, g.gfx) for g in host.gpus] == [("amd", "gfx90a")]
    detected = resolve(M, host, today=TODAY)
    described = resolve(M, amd("gfx90a"), today=TODAY)
    assert detected.plan is not None and detected.plan.variant.startswith("rocm")
    assert (detected.plan.torch, detected.plan.variant) == (described.plan.torch, described.plan.variant)  # type: ignore[union-attr]
    assert (DATA / "rocminfo-mi210.txt").exists()
