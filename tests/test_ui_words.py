"""Words that agree with the machine, in the real window offscreen: the compatibility filter understands compute
capabilities, provenance shows normal absences neutrally and errors as errors, and a machine without a GPU gets
CPU wording."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")

from test_ui import H100, WAIT_MS, make_window, no_thread_leak, ui_env  # noqa: E402,F401

from desktop.matrix import load_matrix  # noqa: E402
from desktop.model import Host, SourceNote  # noqa: E402
from desktop.usecases.compat_tables import cc_query  # noqa: E402
from desktop.ui.machine_panel import MachinePanel, source_kind  # noqa: E402


def _started(qtbot: Any, tmp_path: Path, env: dict[str, str]) -> Any:
    w = make_window(qtbot, tmp_path, env)
    w.show()
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        w.start()
    qtbot.waitUntil(lambda: w.recommendation is not None and not w.resolve_runner.busy, timeout=WAIT_MS)
    return w


def _texts(panel: Any, key: str, col: int = 0) -> list[str]:
    t = panel.tables[key]
    return [t.item(r, col).text() for r in panel.visible_rows(key)]


@pytest.mark.parametrize("text,cc", [("8.6", "8.6"), ("sm_86", "8.6"), ("SM86", "8.6"), ("compute_86", "8.6"),
                                     ("86", "8.6"), ("cc 8.6", "8.6"), ("sm_100", "10.0"), ("120", "12.0"),
                                     ("9.0", "9.0"), ("12.4", None), ("4090", None), ("86.5", None), ("sm_99", None)])
def test_cc_query(text: str, cc: str | None) -> None:
    m = load_matrix()
    known = {g.cc for g in m.gpus} | {c for a in m.architectures for c in a.cc}
    assert cc_query(text, known) == cc


def test_compat_filter_understands_compute_capabilities(qtbot: Any, tmp_path: Path, ui_env: dict[str, str]) -> None:
    w = _started(qtbot, tmp_path, ui_env)
    p = w.compat_panel
    w.tabs.setCurrentWidget(p)
    p.filter_edit.setText("8.6")
    torch_86 = _texts(p, "torch")
    gpus_86 = _texts(p, "gpus")
    assert torch_86 and "2.5.1" in torch_86  # the lists read "86", yet the table is not empty
    assert gpus_86 and any("3090" in g for g in gpus_86)
    assert all(p.tables["gpus"].item(r, 1).text() == "8.6" for r in p.visible_rows("gpus"))
    assert p.filter_status.isVisible() and "sm_86" in p.filter_status.text()
    p.filter_edit.setText("sm_86")
    assert _texts(p, "torch") == torch_86 and _texts(p, "gpus") == gpus_86
    p.filter_edit.setText("86")  # also a text match (e.g. a model name with 86 in it): at least the same rows
    assert set(torch_86) <= set(_texts(p, "torch")) and set(gpus_86) <= set(_texts(p, "gpus"))
    # CUDA 9.0 cannot build for 8.6: the CUDA table keeps only toolkits that support it
    p.filter_edit.setText("8.6")
    assert "9.0" not in _texts(p, "cuda") and "11.1" in _texts(p, "cuda")


def test_compat_filter_says_when_nothing_matches(qtbot: Any, tmp_path: Path, ui_env: dict[str, str]) -> None:
    w = _started(qtbot, tmp_path, ui_env)
    p = w.compat_panel
    w.tabs.setCurrentWidget(p)
    p.filter_edit.setText("no-such-thing")
    assert all(not p.visible_rows(k) for k in p.tables)
    assert p.filter_status.isVisible() and "Nothing matches" in p.filter_status.text()
    assert "sm_86" in p.filter_status.text()  # it says what it understands
    p.tabs.setCurrentIndex(0)  # CUDA table
    p.filter_edit.setText("RTX 4090")  # only in the GPU table
    assert not p.visible_rows("cuda") and p.visible_rows("gpus")
    assert "other tables do: GPUs (" in p.filter_status.text()
    p.filter_edit.setText("")
    assert not p.filter_status.isVisible()


@pytest.mark.parametrize("note,kind", [
    (SourceNote("nvidia-smi", False, "not found"), "absent"),
    (SourceNote("/proc/driver/nvidia/version", False, "absent"), "absent"),
    (SourceNote("NVML", False, "skipped: no NVIDIA kernel driver (/proc/driver/nvidia, /dev/nvidiactl and /dev/dxg absent)"), "absent"),
    (SourceNote("conda", False, "no conda, mamba or micromamba found; 0 env(s)"), "absent"),
    (SourceNote("NVML", False, "no answer in 5 s (driver wedged?)"), "error"),
    (SourceNote("nvidia-smi", False, "unreadable"), "error"),
    (SourceNote("override", False, "TORCHDESK_OVERRIDE_OS='plan9' not understood"), "error"),
    (SourceNote("NVML", True, "driver 580.159.04, CUDA 13.0, 1 GPU(s)"), "ok"),
])
def test_source_kinds(note: SourceNote, kind: str) -> None:
    assert source_kind(note) == kind


def test_provenance_shows_absence_neutrally_and_errors_as_errors(qtbot: Any) -> None:
    panel = MachinePanel()
    qtbot.addWidget(panel)
    host = Host(sources=(SourceNote("nvidia-smi", False, "not found"), SourceNote("NVML", False, "no answer in 5 s"),
                         SourceNote("PCI", True, "/sys/bus/pci/devices: 0 display controller(s)")))
    panel.show_host(host, load_matrix())
    html = panel.sources.text()
    absent, error, ok = html.split("<br>")
    assert "nvidia-smi: not present" in absent and "\u2717" not in absent and "color" not in absent
    assert "\u2717" in error and "error: no answer in 5 s" in error and "color:" in error
    assert ok.startswith("\u2713") and panel.sources.isEnabled()  # not the pale disabled grey of before


def test_no_gpu_machine_gets_cpu_words(qtbot: Any, tmp_path: Path, ui_env: dict[str, str]) -> None:
    env = dict(ui_env, TORCHDESK_OVERRIDE_GPUS="none")
    env.pop("TORCHDESK_OVERRIDE_DRIVER", None)
    w = _started(qtbot, tmp_path, env)
    rp = w.recommend_panel
    assert rp.recommendation.plan.variant == "cpu"
    texts = [rp.variant_combo.itemText(i) for i in range(rp.variant_combo.count())]
    assert not any("GPU" in t and "no GPU" not in t for t in texts), texts
    assert rp.variant_combo.currentText().startswith("Best for this machine")
    assert rp.plan_form.labelForField(rp.plan_fields["variant"]).text() == "Build:"
    stages = [w.create_panel.stages.item(i).text() for i in range(w.create_panel.stages.count())]
    assert not any("CUDA" in s for s in stages) and any("on the CPU" in s for s in stages), stages


def test_gpu_machine_keeps_gpu_words(qtbot: Any, tmp_path: Path, ui_env: dict[str, str]) -> None:
    w = _started(qtbot, tmp_path, ui_env)  # the H100 capture
    rp = w.recommend_panel
    assert rp.variant_combo.itemText(0) == "Best for this GPU"
    assert rp.plan_form.labelForField(rp.plan_fields["variant"]).text() == "CUDA build:"
    assert any("CUDA smoke test" in w.create_panel.stages.item(i).text() for i in range(w.create_panel.stages.count()))
