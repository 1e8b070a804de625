"""`torchdesk detect` in a real interpreter, and the promise that importing detection probes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.commands.detect import format_summary
from desktop.detect import detect_host, host_to_json
from detect_data.replay import StubMatrix, fake_pynvml, h100_nvml, probe

ROOT = Path(__file__).resolve().parent.parent
OVERRIDES = {"TORCHDESK_OVERRIDE_GPUS": "RTX 4090:8.9;GTX 1080:6.1", "TORCHDESK_OVERRIDE_DRIVER": "550.54.14"}


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def test_detect_json_in_a_real_process() -> None:
    res = run_cli("detect", "--json", env=OVERRIDES)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert {"gpus", "driver", "cuda_driver", "os", "machine", "glibc", "wsl", "cpu", "ram_mib", "disk_free_mib",
            "conda", "sources", "warnings"} <= set(data)
    assert [(g["name"], g["cc"], g["arch"]) for g in data["gpus"]] == [("RTX 4090", "8.9", "Ada Lovelace"),
                                                                       ("GTX 1080", "6.1", "Pascal")]
    assert data["driver"] == "550.54.14"
    assert set(data["conda"]) == {"installations", "envs"}
    assert all({"source", "ok", "detail"} == set(s) for s in data["sources"])


def test_detect_summary_on_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("System:") and "Sources:" in out


def test_summary_of_the_h100(tmp_path: Path) -> None:
    host = detect_host(env={}, matrix=StubMatrix(), probe=probe(tmp_path, pynvml=fake_pynvml(h100_nvml())))
    text = format_summary(host_to_json(host))
    assert "Driver:  NVIDIA 580.159.04 (CUDA 13.0)" in text
    assert "GPU 0:   NVIDIA H100 80GB HBM3 (compute capability 9.0, Hopper, 80 GiB)" in text
    assert "ok  NVML: driver 580.159.04, CUDA 13.0, 1 GPU(s)" in text


def test_import_probes_nothing() -> None:
    code = ("import sys, desktop.detect, desktop.commands.detect\n"
            "bad = [m for m in ('pynvml', 'psutil', 'desktop.matrix', 'PySide6') if m in sys.modules]\n"
            "print(bad)")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
