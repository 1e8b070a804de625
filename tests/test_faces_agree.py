"""The same question asked through both faces gets the same answer (issue #11): the default environment name,
the install recipe and the driver advice, from `python -m desktop.cli` run as a real process and from the real
MainWindow offscreen, for the same machine (the H100 capture's detection overrides, an old driver, a driver too
old for any GPU build, a CPU-only machine, pinned choices, and a machine described by flags / in the
"Plan for another machine" tab)."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QGuiApplication  # noqa: E402

# H100: the H100 capture (tests/captures/h100-driver-580) as the detection overrides feed it to both faces
from test_ui import H100, WAIT_MS, make_window, no_thread_leak, pick  # noqa: E402,F401

ROOT = Path(__file__).resolve().parent.parent


def td(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)


def section(text: str, title: str) -> list[str]:
    """The indented lines under a heading of `torchdesk recommend`'s text output ('Warnings', 'Install ...')."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(title)), None)
    if start is None:
        return []
    out = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        out.append(line[2:])
    return out


def cli_answers(env: dict[str, str], args: tuple[str, ...]) -> dict[str, Any]:
    """What the command line says: recommend --json, recommend's text, export --shell."""
    rj = td(env, "recommend", "--json", *args)
    assert rj.returncode in (0, 1), rj.stderr
    out = json.loads(rj.stdout)
    text = td(env, "recommend", *args).stdout
    shell = td(env, "export", "--shell", *args)
    assert shell.returncode == (0 if out["plan"] else 1), shell.stderr
    return {
        "plan": (out["plan"]["torch"], out["plan"]["variant"]) if out["plan"] else None,
        "host": out["host"],
        "name": out["default_name"],
        "install_json": out["install"],
        "install_text": section(text, "Install"),
        "recipe": shell.stdout.splitlines(),
        "advice": out["driver_advice"],
        "warnings": [w[2:] for w in section(text, "Warnings")],
        "text": text,
    }


@pytest.fixture
def face_env(home: Path, tmp_path: Path) -> dict[str, str]:
    """The isolated HOME of the `home` fixture, without this machine's own detection overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORCHDESK_OVERRIDE_")}
    env["TORCHDESK_ENVS_DIR"] = str(tmp_path / "envs")
    env["TORCHDESK_LOG_DIR"] = str(tmp_path / "logs")
    return env


THIS_MACHINE = [
    # id, detection overrides, pins (CLI flags == the app's selectors)
    ("h100-capture", H100, None),
    ("h100-old-driver", {**H100, "TORCHDESK_OVERRIDE_DRIVER": "575.51.03"}, None),
    ("rtx5090-driver-470", {"TORCHDESK_OVERRIDE_GPUS": "GeForce RTX 5090:12.0", "TORCHDESK_OVERRIDE_DRIVER": "470.57.02",
                            "TORCHDESK_OVERRIDE_OS": "linux"}, None),
    ("cpu-only", {"TORCHDESK_OVERRIDE_GPUS": "none", "TORCHDESK_OVERRIDE_OS": "linux"}, None),
    ("h100-pinned", H100, ("2.14.1", "cu126")),
    # a branch-only driver: 570 meets Blackwell's 570.26 by branch (review: both faces said it predates Blackwell)
    ("rtx5090-branch-570", {"TORCHDESK_OVERRIDE_GPUS": "GeForce RTX 5090:12.0", "TORCHDESK_OVERRIDE_DRIVER": "570",
                            "TORCHDESK_OVERRIDE_OS": "linux"}, None),
    # two GPUs and a driver too old for both: the general no-match sentence, not the GPU mix (review)
    ("h100x2-driver-400", {**H100, "TORCHDESK_OVERRIDE_GPUS": "NVIDIA H100 80GB HBM3:9.0;NVIDIA H100 80GB HBM3:9.0",
                           "TORCHDESK_OVERRIDE_DRIVER": "400"}, None),
    # mixed GPUs, only the driver holds the RTX 5090 back: its per-GPU line and the advice name 570.26 (review)
    ("rtx5090+gtx1080-driver-560", {"TORCHDESK_OVERRIDE_GPUS": "GeForce RTX 5090:12.0;GeForce GTX 1080:6.1",
                                    "TORCHDESK_OVERRIDE_DRIVER": "560.35.03", "TORCHDESK_OVERRIDE_OS": "linux"}, None),
]


@pytest.mark.parametrize("overrides, pins", [c[1:] for c in THIS_MACHINE], ids=[c[0] for c in THIS_MACHINE])
def test_this_machine_same_name_recipe_and_advice(qtbot: Any, tmp_path: Path, face_env: dict[str, str],
                                                  overrides: dict[str, str], pins: tuple[str, str] | None) -> None:
    env = {**face_env, **overrides}
    cli = cli_answers(env, ("--torch", pins[0], "--variant", pins[1]) if pins else ())

    w = make_window(qtbot, tmp_path, env)
    w.show()
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        assert w.start()
    if pins:
        pick(qtbot, w, w.recommend_panel.torch_combo, pins[0])
        pick(qtbot, w, w.recommend_panel.variant_combo, pins[1])
    rec = w.recommendation
    assert ((rec.plan.torch, rec.plan.variant) if rec.plan else None) == cli["plan"]

    # the driver advice: the app's recommendation and machine panels, the CLI's JSON and its Warnings section
    app_warnings = [line[2:] for line in w.recommend_panel.warnings.text().splitlines() if line.startswith("! ")]
    assert app_warnings == cli["warnings"]
    assert list(rec.hints) == cli["advice"]
    for line in cli["advice"]:
        assert line in app_warnings and html.escape(line, quote=False) in w.machine_panel.warnings.text()

    if cli["plan"] is None:
        assert cli["name"] is None and cli["recipe"] == [] and cli["install_json"] == []
        assert not w.copy_action.isEnabled() and not w.create_panel.create_button.isEnabled()
        # the same no-match sentence and the same way out (the app's button, the CLI's line)
        assert w.recommend_panel.summary.text() in cli["text"].splitlines()
        assert "No single PyTorch build" not in cli["text"]  # no case here is a GPU mix
        label = w.recommend_panel.fallback_button.text()
        assert label and any(line.strip().startswith(label) for line in cli["text"].splitlines()), label
        w.shutdown()
        return
    # the default name: the create panel's field, recommend --json, and the recipe's target
    assert w.create_panel.name_edit.text() == cli["name"]
    assert f" -n {cli['name']} " in cli["recipe"][0]
    # the recipe: Copy commands == export --shell == recommend's Install section == recommend --json's install
    QGuiApplication.clipboard().clear()
    w.copy_action.trigger()
    copied = QGuiApplication.clipboard().text().splitlines()
    assert copied == cli["recipe"] == cli["install_text"] == cli["install_json"]
    w.shutdown()


def test_old_driver_advice_quotes_the_minimum_the_why_chain_quotes(face_env: dict[str, str]) -> None:
    """The issue's two minimum drivers for one step (580 in the chain, 595.45.04 in the advice): now one number."""
    env = {**face_env, **H100, "TORCHDESK_OVERRIDE_DRIVER": "575.51.03"}
    out = json.loads(td(env, "recommend", "--json").stdout)
    assert out["driver_advice"] == ["driver 575.51.03 cannot run CUDA 13.2 builds: update to 580 or newer: "
                                    "with 580 the plan is torch 2.15.0 (cu132)"]
    chain = [c["detail"] for c in out["checks"] if c["check"] == "release" and "not torch 2.15.0" in c["detail"]]
    assert chain == ["not torch 2.15.0: driver 575.51.03 is older than 580, the minimum for CUDA 13.2 (linux): "
                     "update the driver"], out["checks"]


DESCRIBED = [
    # id, CLI flags, the app's Plan-for-another-machine form (GPU, driver, OS)
    ("rtx5090-windows-575", ("--gpu", "GeForce RTX 5090", "--driver", "575.51.03", "--os", "windows"),
     ("GeForce RTX 5090", "575.51.03", "windows")),
    # a driver older than the GPU's architecture: no GPU plan, and both faces advise Blackwell's floor
    ("rtx5090-linux-550", ("--gpu", "GeForce RTX 5090", "--driver", "550.54.14", "--os", "linux"),
     ("GeForce RTX 5090", "550.54.14", "linux")),
    ("gtx1080-driver-470", ("--gpu", "GeForce GTX 1080", "--driver", "470.57.02", "--os", "linux"),
     ("GeForce GTX 1080", "470.57.02", "linux")),
    ("no-gpu", ("--no-gpu", "--os", "linux"), ("(no GPU)", "", "linux")),
    # a branch-only driver: 520 meets Ada's Windows floor 520.06 by branch
    ("rtx4090-windows-branch-520", ("--gpu", "GeForce RTX 4090", "--driver", "520", "--os", "windows"),
     ("GeForce RTX 4090", "520", "windows")),
]


@pytest.mark.parametrize("flags, form", [c[1:] for c in DESCRIBED], ids=[c[0] for c in DESCRIBED])
def test_described_machine_same_plan_advice_and_export(qtbot: Any, tmp_path: Path, face_env: dict[str, str],
                                                       flags: tuple[str, ...], form: tuple[str, str, str]) -> None:
    env = {**face_env, **H100}  # this machine is the H100; the question is about another one
    cli = cli_answers(env, flags)
    yml = td(env, "export", *flags)

    w = make_window(qtbot, tmp_path, env)
    w.show()
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        assert w.start()
    op = w.other_panel
    op.gpu_combo.setCurrentText(form[0])
    op.driver_edit.setText(form[1])
    op.os_combo.setCurrentText(form[2])
    with qtbot.waitSignal(w.other_runner.succeeded, timeout=WAIT_MS):
        assert op.plan()
    rec = op.recommendation.recommendation
    from desktop.commands.recommend import host_summary_json

    # one machines.describe_machine behind --gpu/--driver/--os and the tab's form: the same machine, field by field
    assert host_summary_json(op.host) == cli["host"]
    assert ((rec.plan.torch, rec.plan.variant) if rec.plan else None) == cli["plan"]
    app_warnings = [line[2:] for line in op.recommendation.warnings.text().splitlines() if line.startswith("! ")]
    assert app_warnings == cli["warnings"] and list(rec.hints) == cli["advice"]
    assert rec.default_name == cli["name"]
    if rec.plan is not None:
        # the tab's Export writes what `torchdesk export` writes for the same flags, default name and all
        assert yml.returncode == 0, yml.stderr
        assert w.export_text(rec.plan) == yml.stdout
        assert f"name: {cli['name']}" in yml.stdout
    w.shutdown()


def test_create_names_the_env_as_recommend_and_the_app_do() -> None:
    """`torchdesk create` (no -n) builds its spec through the same use case: its name is the default name."""
    from desktop.cli import build_parser
    from desktop.commands.create import spec_for_args
    from desktop.machines import describe_machine
    from desktop.matrixload import load_matrix
    from desktop.model import Preferences
    from desktop.usecases.planning import recommend

    matrix = load_matrix()
    for gpus in (["H100"], []):
        host = describe_machine(matrix, gpus=gpus, no_gpu=not gpus, driver="580.159.04" if gpus else None, os_name="linux")
        rec = recommend(matrix, host, Preferences())
        assert rec.plan is not None and rec.default_name == f"torch-{rec.plan.torch}-{rec.plan.variant}"
        args = build_parser().parse_args(["create"])
        assert spec_for_args(args, rec.plan).name == rec.default_name
        named = build_parser().parse_args(["create", "-n", "work"])
        assert spec_for_args(named, rec.plan).name == "work"


def test_copy_commands_with_a_token_mirror_match_export_and_leave_the_token_out(
        qtbot: Any, tmp_path: Path, face_env: dict[str, str]) -> None:
    """A mirror URL with a token (the app's Settings, the CLI's --torch-mirror): the same shareable recipe."""
    token = "s3cr3t-t0ken"
    mirror = f"https://td-user:{token}@mirror.example/whl"
    env = {**face_env, **H100}
    shell = td(env, "export", "--shell", "--torch-mirror", mirror)
    assert shell.returncode == 0 and "left out" in shell.stderr, shell.stderr

    w = make_window(qtbot, tmp_path, env, settings={"mirrors/torch": mirror})
    w.show()
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        assert w.start()
    QGuiApplication.clipboard().clear()
    w.copy_action.trigger()
    copied = QGuiApplication.clipboard().text()
    assert copied == shell.stdout and token not in copied and "https://mirror.example/whl" in copied
    assert "left out" in w.statusBar().currentMessage()
    w.shutdown()
