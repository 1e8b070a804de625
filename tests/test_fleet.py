"""Fleet core without a cluster: parsers on captured Slurm output, GRES -> GPU names, the fleet plan, the table,
the sbatch scripts, and submitit's local executor running the real smoke test here. tests/test_fleet_slurm.py
runs the same against a real Slurm."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest

from desktop.errors import UsageError
from desktop.fleet.inventory import (GresGpu, NodeClass, SiteEntry, build_inventory, load_site_map, model_for_type,
                                     parse_gres, parse_scontrol_nodes, parse_sinfo_nodes)
from desktop.fleet.plan import fleet_host, oldest_driver, plan_fleet
from desktop.fleet.sbatch import write_sbatch_scripts
from desktop.fleet.verify import collect_results, verdict_from_result
from desktop.model import Preferences

DATA = Path(__file__).parent / "fleet_data"
ROOT = Path(__file__).resolve().parent.parent
SINFO = DATA / "sinfo_two_types.txt"


@pytest.fixture(scope="module")
def matrix() -> Any:
    from desktop.matrixload import default_matrix

    return default_matrix()


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


# --- parsers --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("gpu:v100:1,gpu:labgpu:1", (GresGpu("v100", 1), GresGpu("labgpu", 1))),  # the captured node
    ("gpu:a100:4(S:0-1)", (GresGpu("a100", 4),)),  # socket affinity suffix, as scontrol prints it
    ("gpu:tesla:2(S:0,1),mps:200", (GresGpu("tesla", 2),)),  # a comma inside the parentheses; mps is no GPU
    ("gpu:4", (GresGpu(None, 4),)),  # untyped
    ("gpu", (GresGpu(None, 1),)),
    ("gpu:a100_80gb:8,shard:16", (GresGpu("a100_80gb", 8),)),
    ("(null)", ()),
    ("", ()),
])
def test_parse_gres(text: str, expected: tuple[GresGpu, ...]) -> None:
    assert parse_gres(text) == expected


def test_sinfo_and_scontrol_captures_agree() -> None:
    by_sinfo = parse_sinfo_nodes(SINFO.read_text())
    by_scontrol = parse_scontrol_nodes((DATA / "scontrol_show_node_two_types.txt").read_text())
    assert [n.name for n in by_sinfo] == [n.name for n in by_scontrol] == ["vm"]
    a, b = by_sinfo[0], by_scontrol[0]
    assert a.gpus == b.gpus == (GresGpu("v100", 1), GresGpu("labgpu", 1))
    assert a.partitions == b.partitions == ("volta", "lab")
    assert a.features == b.features == ("volta", "lab")
    assert a.state == b.state == "idle"
    assert a.default_partition == "volta"  # the '*' in sinfo's %P


def test_inventory_classes_from_capture(matrix: Any) -> None:
    inv = build_inventory(parse_sinfo_nodes(SINFO.read_text()), matrix)
    assert [c.name for c in inv.classes] == ["labgpu", "v100"]
    v100 = inv.find("v100")
    assert v100 is not None and v100.model == "Tesla V100-SXM2-16GB" and v100.cc == "7.0"
    assert v100.gres == "gpu:v100:1" and v100.nodes == ("vm",) and v100.partition == "volta"
    lab = inv.find("labgpu")
    assert lab is not None and lab.model is None and lab.source == "unknown"
    assert any("labgpu" in w and "site mapping" in w for w in inv.warnings)


def test_nodes_without_gpus_make_no_class(matrix: Any) -> None:
    text = "cpu01|batch*|(null)|(null)|idle\ngpu01|gpu|gpu:a100:4(S:0-1)|ib|mix\ngpu02|gpu|gpu:a100:2|ib|idle\n"
    inv = build_inventory(parse_sinfo_nodes(text), matrix)
    assert [(c.name, c.nodes, c.gpus_per_node, c.model) for c in inv.classes] == \
        [("a100", ("gpu01", "gpu02"), 2, "A100-SXM4-40GB")]


def test_partition_of_its_own_type_is_preferred(matrix: Any) -> None:
    text = "n1|all*|gpu:v100:2|x|idle\nn1|volta|gpu:v100:2|x|idle\nn2|all*|gpu:a100:2|x|idle\nn2|ampere|gpu:a100:2|x|idle\n"
    inv = build_inventory(parse_sinfo_nodes(text), matrix)
    assert {c.name: c.partition for c in inv.classes} == {"v100": "volta", "a100": "ampere"}


# --- GPU names ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("gres_type, model, source", [
    ("v100", "Tesla V100-SXM2-16GB", "GPU table"),
    ("rtx4090", "GeForce RTX 4090", "GPU table"),  # run-together name, split by the spelling rule
    ("rtx_2080_ti", "GeForce RTX 2080 Ti", "GPU table"),
    ("a6000", "RTX A6000", "built-in"),
    ("rtx6000", "Quadro RTX 6000", "built-in"),
    ("labgpu", None, "unknown"),
])
def test_model_for_type(matrix: Any, gres_type: str, model: str | None, source: str) -> None:
    m, src = model_for_type(gres_type, matrix)
    assert (m.name if m else None, src) == (model, source)


def test_site_map_wins_and_carries_a_driver(matrix: Any, tmp_path: Path) -> None:
    f = tmp_path / "site.yml"
    f.write_text("gpu_types:\n  labgpu: {gpu: Tesla K40m, driver: 470.82.01}\n  v100: RTX 4090\n")
    site = load_site_map(f, matrix)
    assert site == {"labgpu": SiteEntry("Tesla K40m", "470.82.01"), "v100": SiteEntry("RTX 4090")}
    inv = build_inventory(parse_sinfo_nodes(SINFO.read_text()), matrix, site)
    lab, v100 = inv.find("labgpu"), inv.find("v100")
    assert lab is not None and (lab.model, lab.cc, lab.driver, lab.source) == ("Tesla K40m", "3.5", "470.82.01", "site map")
    assert v100 is not None and (v100.model, v100.source) == ("GeForce RTX 4090", "site map")


@pytest.mark.parametrize("text, words", [
    ("gpu_types: [a, b]\n", "needs a `gpu_types:` mapping"),
    ("gpu_types: {x: Not A Real GPU 9000}\n", "unknown GPU model"),
    ("gpu_types: {x: {gpu: V100, driver: latest}}\n", "must be a version"),
    ("gpu_types: {x: 12}\n", "must be a GPU model name"),
    ("gpu_types: {x: [unclosed\n", "not valid YAML"),
    ("!!python/object:os.system ['true']\n", "not valid YAML"),  # safe_load: a hostile tag is refused, not run
])
def test_bad_site_maps_say_what_to_do(matrix: Any, tmp_path: Path, text: str, words: str) -> None:
    f = tmp_path / "site.yml"
    f.write_text(text)
    with pytest.raises(UsageError, match=words.replace("[", r"\[").replace("`", "`")):
        load_site_map(f, matrix)


def test_missing_site_map(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the site mapping file"):
        load_site_map(tmp_path / "nope.yml")


# --- plan -----------------------------------------------------------------------------------------------------------

def _cls(name: str, model: str, cc: str, driver: str | None = None) -> NodeClass:
    return NodeClass(name, f"gpu:{name}:1", (f"{name}-n1",), (name,), model=model, cc=cc, driver=driver, source="test")


def test_oldest_driver_names_its_class() -> None:
    classes = [_cls("a", "A100-SXM4-40GB", "8.0", "550.54.14"), _cls("b", "Tesla V100-SXM2-16GB", "7.0", "535.104.05"),
               _cls("c", "L4", "8.9")]
    assert oldest_driver(classes) == ("535.104.05", "b")
    assert oldest_driver([_cls("c", "L4", "8.9")]) == (None, None)


def test_one_plan_covers_every_class_and_the_why_chain_names_them(matrix: Any) -> None:
    classes = [_cls("v100", "Tesla V100-SXM2-16GB", "7.0", "535.104.05"), _cls("rtx4090", "GeForce RTX 4090", "8.9", "550.54.14")]
    fp = plan_fleet(matrix, classes)
    assert fp.status == "ok" and fp.plan is not None and not fp.blockers
    details = [c.detail for c in fp.checks]
    assert any("oldest driver 535.104.05 (class v100)" in d for d in details)
    for name in ("v100", "rtx4090"):
        assert any(f"[class {name}]" in d and "SASS" in d and c.ok for d, c in zip(details, fp.checks, strict=False)), name
    # the same plan as the resolver gives the described two-GPU machine
    from desktop.resolve import resolve

    assert resolve(matrix, fleet_host(classes, matrix)).plan == fp.plan


def test_a_class_no_build_covers_blocks_and_gets_named(matrix: Any) -> None:
    classes = [_cls("v100", "Tesla V100-SXM2-16GB", "7.0"), _cls("k40", "Tesla K40m", "3.5")]
    fp = plan_fleet(matrix, classes)
    assert fp.status == "split" and fp.plan is None and fp.blockers == ("k40",)
    assert any("class k40 blocks" in c.detail and "compute capability 3.5" in c.detail for c in fp.checks)
    per = dict(fp.per_class)
    assert per["v100"].plan is not None and per["k40"].plan is None


def test_classes_that_fit_alone_but_not_together_are_both_named(matrix: Any) -> None:
    # A K80 (sm_37) needs a cu118 build (torch <= 2.7.1 in the data); an RTX 5090 (sm_120) needs cu128 or later.
    classes = [_cls("k80", "Tesla K80", "3.7"), _cls("rtx5090", "GeForce RTX 5090", "12.0")]
    fp = plan_fleet(matrix, classes)
    assert fp.status == "split" and set(fp.blockers) == {"k80", "rtx5090"}
    per = dict(fp.per_class)
    assert per["k80"].plan is not None and per["k80"].plan.variant == "cu118"
    assert per["rtx5090"].plan is not None and per["rtx5090"].plan.variant != "cu118"


def test_unknown_model_blocks_until_mapped(matrix: Any) -> None:
    inv = build_inventory(parse_sinfo_nodes(SINFO.read_text()), matrix)
    fp = plan_fleet(matrix, inv.classes)
    assert fp.blockers == ("labgpu",)
    assert any(not c.ok and "class labgpu: GPU model unknown" in c.detail for c in fp.checks)


def test_pins_pass_through(matrix: Any) -> None:
    classes = [_cls("v100", "Tesla V100-SXM2-16GB", "7.0"), _cls("rtx4090", "GeForce RTX 4090", "8.9")]
    fp = plan_fleet(matrix, classes, Preferences(torch="2.5.1", variant="cpu", python="3.11"))
    assert fp.status == "ok" and (fp.plan.torch, fp.plan.variant, fp.plan.python) == ("2.5.1", "cpu", "3.11")


def test_cli_plan_from_saved_sinfo(tmp_path: Path) -> None:
    site = tmp_path / "site.yml"
    site.write_text("gpu_types:\n  labgpu: {gpu: GeForce RTX 4090, driver: 550.54.14}\n")
    p = _cli("fleet", "plan", "--sinfo-output", str(SINFO), "--site-map", str(site), "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["status"] == "ok" and out["blockers"] == [] and out["driver_class"] == "labgpu"
    site.write_text("gpu_types:\n  labgpu: Tesla K40m\n")
    p = _cli("fleet", "plan", "--sinfo-output", str(SINFO), "--site-map", str(site))
    assert p.returncode == 1
    assert "Blocking: class labgpu" in p.stdout and "class v100: torch" in p.stdout


def test_cli_inventory_from_saved_sinfo_and_bad_class() -> None:
    p = _cli("fleet", "inventory", "--sinfo-output", str(SINFO), "--json")
    assert p.returncode == 0, p.stderr
    assert [c["name"] for c in json.loads(p.stdout)["classes"]] == ["labgpu", "v100"]
    p = _cli("fleet", "plan", "--sinfo-output", str(SINFO), "--class", "h100")
    assert p.returncode == 2 and "no node class 'h100' (the cluster has: labgpu, v100)" in p.stderr


# --- the table, sbatch scripts, collect -----------------------------------------------------------------------------

def test_row_from_a_real_node_result() -> None:
    data = json.loads((DATA / "verify_result_v100_no_torch.json").read_text())
    row = verdict_from_result("v100", data)
    assert (row.cls, row.verdict, row.node, row.devices, row.job_id) == ("v100", "fail", "vm", "0", "6")
    assert "torch is not installed" in row.cause and not row.ok


def test_sbatch_scripts_and_collect(tmp_path: Path, matrix: Any) -> None:
    inv = build_inventory(parse_sinfo_nodes(SINFO.read_text()), matrix)
    folder = tmp_path / "sb"
    paths = write_sbatch_scripts(inv.classes, "/shared/envs/x/bin/python", "/shared/envs/x", folder,
                                 job_name="torchdesk-verify-x")
    assert [p.name for p in paths] == ["verify-labgpu.sbatch", "verify-v100.sbatch"]
    text = paths[1].read_text()
    assert "#SBATCH --gres=gpu:v100:1" in text and "#SBATCH --partition=volta" in text
    assert "-m desktop.fleet.task verify --class v100 --python /shared/envs/x/bin/python" in text
    # nothing existing is overwritten
    with pytest.raises(UsageError, match="not an empty folder"):
        write_sbatch_scripts(inv.classes, "/p", "/p", folder, job_name="x")
    # one class has reported, the other not yet
    data = json.loads((DATA / "verify_result_v100_no_torch.json").read_text())
    (folder / "results" / "v100.json").write_text(json.dumps(data))
    fv = collect_results(folder)
    assert fv.prefix == "/shared/envs/x" and not fv.ok
    assert [(r.cls, r.verdict) for r in fv.rows] == [("labgpu", "error"), ("v100", "fail")]
    assert "no result yet" in fv.rows[0].cause
    (folder / "results" / "labgpu.json").write_text("[1, 2]")  # not ours: reported, not crashed on
    assert "not a JSON object" in collect_results(folder).rows[0].cause


def test_the_task_script_writes_its_result(tmp_path: Path) -> None:
    """What each sbatch script runs, run here by hand: the smoke test with a python that has no torch."""
    env = tmp_path / "env"
    venv.create(env, with_pip=False)
    out = tmp_path / "r" / "c.json"
    p = subprocess.run([sys.executable, "-m", "desktop.fleet.task", "verify", "--class", "c", "--python",
                        str(env / "bin" / "python"), "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    row = verdict_from_result("c", json.loads(out.read_text()))
    assert row.verdict == "fail" and "torch is not installed" in row.cause


# --- without submitit, and with its local executor ------------------------------------------------------------------

def test_without_submitit_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop.fleet.jobs import SubmititMissing, require_submitit

    monkeypatch.setitem(sys.modules, "submitit", None)  # import submitit now raises ImportError
    with pytest.raises(SubmititMissing, match=r"pip install 'torchdesk\[fleet\]'.*--print-sbatch"):
        require_submitit()


def test_local_executor_runs_the_smoke_test_here(tmp_path: Path) -> None:
    pytest.importorskip("submitit")
    from desktop.fleet.verify import verify_fleet

    env = tmp_path / "env"
    venv.create(env, with_pip=False)
    lines: list[str] = []
    fv = verify_fleet(env, [], kind="local", folder=tmp_path / "jobs", timeout_min=5, on_line=lines.append)
    assert [r.cls for r in fv.rows] == ["local"] and not fv.ok
    assert fv.rows[0].verdict == "fail" and "torch is not installed" in fv.rows[0].cause
    assert any("submitted" in ln for ln in lines) and any("finished" in ln for ln in lines)


def test_cli_verify_local_exit_code_and_json(tmp_path: Path) -> None:
    pytest.importorskip("submitit")
    env = tmp_path / "env"
    venv.create(env, with_pip=False)
    p = _cli("fleet", "verify", "--prefix", str(env), "--local", "--json")
    assert p.returncode == 1, p.stderr
    out = json.loads(p.stdout)
    assert out["ok"] is False and out["classes"][0]["verdict"] == "fail"
    p = _cli("fleet", "verify", "--prefix", str(tmp_path / "missing"), "--local")
    assert p.returncode == 2 and "no environment at" in p.stderr


def test_probe_reads_the_jobs_own_gpu(matrix: Any) -> None:
    # `torchdesk detect --json` (host_to_json) on a node with two GPU types: NVML lists both, Slurm gave GPU 1.
    detect = {"driver": "535.104.05", "gpus": [
        {"index": 0, "name": "NVIDIA A100-SXM4-80GB", "vendor": "nvidia", "cc": "8.0"},
        {"index": 1, "name": "Tesla V100-SXM2-32GB", "vendor": "nvidia", "cc": "7.0"}]}
    from desktop.fleet.inventory import apply_probe

    lab = build_inventory(parse_sinfo_nodes(SINFO.read_text()), matrix).find("labgpu")
    assert lab is not None
    got = apply_probe(lab, detect, matrix, job_gpus="1")
    assert (got.model, got.cc, got.driver, got.source) == ("Tesla V100-SXM2-32GB", "7.0", "535.104.05", "probe")
    assert apply_probe(lab, detect, matrix, job_gpus=None).cc == "8.0"
    none_seen = apply_probe(lab, {"driver": None, "gpus": []}, matrix, job_gpus="1")
    assert (none_seen.model, none_seen.source) == (None, "unknown")  # nothing learned: keep what was known


@pytest.mark.parametrize("data", [
    {"verify": "x", "slurm": 5, "node": ["a"]},
    {"verify": {"verdict": "pass!", "report": {"gpus": [1, None], "checks": "all", "driver": []}}},
    {},
])
def test_odd_result_files_read_as_errors_not_crashes(data: dict[str, Any]) -> None:
    row = verdict_from_result("c", data)
    assert row.verdict == "error" and not row.ok  # never a pass from a file that does not say one properly


def test_without_slurm_or_submitit_print_sbatch_still_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from desktop import cli

    monkeypatch.setitem(sys.modules, "submitit", None)  # not installed
    env = tmp_path / "env"
    venv.create(env, with_pip=False)
    out = tmp_path / "sb"
    code = cli.main(["fleet", "verify", "--prefix", str(env), "--sinfo-output", str(SINFO), "--print-sbatch", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "#SBATCH --gres=gpu:labgpu:1" in printed and f"torchdesk fleet verify --collect {out}" in printed
    assert sorted(p.name for p in out.glob("*.sbatch")) == ["verify-labgpu.sbatch", "verify-v100.sbatch"]
    # submitting needs submitit: the error says how to get it and what works without it
    code = cli.main(["fleet", "verify", "--prefix", str(env), "--sinfo-output", str(SINFO)])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'torchdesk[fleet]'" in err and "--print-sbatch" in err


def test_create_refuses_when_no_one_build_runs_everywhere(tmp_path: Path) -> None:
    site = tmp_path / "site.yml"
    site.write_text("gpu_types:\n  labgpu: Tesla K40m\n")
    p = _cli("fleet", "create", "--prefix", str(tmp_path / "envs" / "x"), "--sinfo-output", str(SINFO),
             "--site-map", str(site), "-y")
    assert p.returncode == 1 and "build per class with --class NAME" in p.stderr
    assert not (tmp_path / "envs").exists()  # nothing created
