"""The create panel's progress widgets on their own, offscreen and fast: the job bar (ui/create_progress.py) fed
the core's own Progress records, and the stage list's relabelling. The slow window tests (test_ui_create*.py,
test_ui_bytes.py) drive the same widgets through a real create."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("pytestqt")

from desktop.jobs import Progress  # noqa: E402
from desktop.ui.create_progress import STAGE_KEYS, STAGES, JobProgressBar, describe_result  # noqa: E402
from desktop.ui.widgets import StageList  # noqa: E402

MIB = 1024 * 1024


def test_each_stage_is_an_equal_share_and_the_bar_never_goes_back(qtbot: Any) -> None:
    bar = JobProgressBar()
    qtbot.addWidget(bar)
    assert (bar.minimum(), bar.maximum(), bar.value(), bar.format()) == (0, 1000, 0, "%p%")
    bar.show_progress(Progress("solve", 0.5, "solving"))
    assert bar.value() == int(1.5 / len(STAGE_KEYS) * 1000)
    bar.show_progress(Progress("preflight", 1.0, "late report"))
    assert bar.value() == int(1.5 / len(STAGE_KEYS) * 1000)
    bar.show_progress(Progress("link", None, "linking"))  # indeterminate: the stage's start
    assert bar.value() == int(3 / len(STAGE_KEYS) * 1000)
    bar.show_progress(Progress("link", 7.0, "a fraction past 1 is clamped"))
    assert bar.value() == int(4 / len(STAGE_KEYS) * 1000)
    bar.show_progress(Progress("not-a-stage", 0.9, "ignored"))
    assert bar.value() == int(4 / len(STAGE_KEYS) * 1000)


def test_downloads_show_bytes_speed_and_time_left_in_the_bar(qtbot: Any) -> None:
    bar = JobProgressBar()
    qtbot.addWidget(bar)
    bar.show_progress(Progress("pip", 0.25, "", bytes_done=25 * MIB, bytes_total=100 * MIB, speed=5 * MIB, cached=1))
    assert bar.format() == "pip: 25.0 of 100.0 MiB, 5.0 MiB/s, 15 s left, 1 cached"  # the CLI's words too
    bar.show_progress(Progress("pip", 0.5, "more lines, no byte count"))  # pip's own lines keep the byte text
    assert bar.format().startswith("pip: ")
    bar.show_progress(Progress("verify", 0.0, "verifying"))
    assert bar.format() == "%p%"


def test_a_failed_bar_is_red_with_words_and_restart_clears_it(qtbot: Any) -> None:
    bar = JobProgressBar()
    qtbot.addWidget(bar)
    bar.show_progress(Progress("download", 0.5, ""))
    bar.set_failed("failed during download")
    assert bar.property("failed") is True and "#d73a49" in bar.styleSheet()
    assert bar.text().startswith("failed during download (") and bar.value() > 0
    bar.restart()
    assert bar.property("failed") is False and bar.styleSheet() == "" and bar.value() == 0 and bar.format() == "%p%"


def test_relabelling_a_stage_keeps_its_state(qtbot: Any) -> None:
    stages = StageList(tuple((k, str(label)) for k, label in STAGES))
    qtbot.addWidget(stages)
    stages.advance_to("verify")
    stages.set_label("verify", "Verify on the CPU")
    assert stages.state("verify") == "running" and stages.state("pip") == "done"
    assert stages.item(STAGE_KEYS.index("verify")).text() == "Verify on the CPU"
    stages.set_state("verify", "done")  # a later state change keeps the new label
    assert stages.item(STAGE_KEYS.index("verify")).text() == "Verify on the CPU"


def test_result_words_for_each_outcome() -> None:
    class Verify:
        verdict, cause, fix, warnings = "pass", "torch 2.5.1 computed on the CPU", None, ()

    class Result:
        status, message, fix, kept, stage, warnings, log_path = "ok", "", None, True, "", (), None

    assert describe_result(Result(), Verify(), "/e") == ("Created and verified /e", Verify.cause, "ok")
    assert describe_result(Result(), None, "/e") == ("Created /e", "It was not verified.", "warn")
    Verify.verdict, Verify.fix = "warn", "update the driver"
    title, body, kind = describe_result(Result(), Verify(), "/e")
    assert (title, kind) == ("Created /e; verification: warn", "warn") and "What to do: update the driver" in body
    Result.status, Result.kept, Result.stage, Result.message = "failed", False, "solve", "could not solve numpy"
    title, body, kind = describe_result(Result(), None, "/e")
    assert (title, kind) == ("The environment was not created (failed during solve)", "fail")
    assert body.startswith("could not solve numpy") and body.endswith("Nothing was left behind.")
