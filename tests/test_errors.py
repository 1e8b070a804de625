"""One error root: every TorchDesk error is a TorchDeskError with a sentence and a hint, shown the same way by the
command line and the app."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.datasign import SignatureError
from desktop.dataupdate import DataUpdateError
from desktop.engine.base import EngineError
from desktop.envspec import EnvSpecError
from desktop.errors import TorchDeskError, UsageError, render_error, user_message
from desktop.hosts import HostError
from desktop.errors import JobFailed
from desktop.mirrors import MirrorError
from desktop.resolve import PreferenceError
from desktop.schema import MatrixError


@pytest.mark.parametrize("cls", [UsageError, EngineError, MatrixError, EnvSpecError, PreferenceError, MirrorError,
                                 JobFailed, DataUpdateError, SignatureError, HostError])
def test_every_core_error_has_the_one_root(cls: type) -> None:
    assert issubclass(cls, TorchDeskError)


def test_value_errors_stay_value_errors() -> None:
    """Callers that catch ValueError (validation code) still catch these."""
    assert issubclass(EnvSpecError, ValueError) and issubclass(PreferenceError, ValueError)
    assert issubclass(MirrorError, ValueError) and issubclass(HostError, ValueError)


def test_sentence_and_hint() -> None:
    e = TorchDeskError("the environment folder is not writable", hint="choose another folder in Settings")
    assert (e.sentence, e.hint) == ("the environment folder is not writable", "choose another folder in Settings")
    job = JobFailed("pip", "pip could not install torch", "check the index URL")
    assert (job.sentence, job.hint) == ("pip could not install torch", "check the index URL")  # its fix is the hint
    engine = EngineError("solve", "nothing provides python 3.99")
    assert (engine.sentence, engine.hint) == ("nothing provides python 3.99", "")


def test_both_faces_render_the_same_parts() -> None:
    e = TorchDeskError("no GPU driver found", hint="install the NVIDIA driver")
    assert render_error(e) == "error: no GPU driver found\n  what to do: install the NVIDIA driver"
    assert user_message(e) == "no GPU driver found\nWhat to do: install the NVIDIA driver"
    assert render_error(UsageError("bad --cc")) == "error: bad --cc"  # no hint: one line
    assert user_message(KeyError("x")) == "'x'" and user_message(RuntimeError()) == "RuntimeError"


def test_cli_renders_an_error_with_its_hint(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import desktop.commands.envs as envs
    from desktop import cli

    def run(args: Any) -> int:
        raise JobFailed("verify", "the smoke test failed", "run `torchdesk verify` for the log")

    monkeypatch.setattr(envs, "run", run)
    code = cli.main(["envs"])
    err = capsys.readouterr().err
    assert code == 1
    assert err == "torchdesk envs: error: the smoke test failed\n  what to do: run `torchdesk verify` for the log\n"


def test_app_job_error_carries_the_same_sentence_and_hint(qtbot: Any) -> None:
    pytest.importorskip("pytestqt")
    from desktop.ui.worker import JobRunner

    runner = JobRunner("t")

    def job(ctx: Any) -> None:
        raise TorchDeskError("the environment folder is full", hint="free some space, then create again")

    with qtbot.waitSignal(runner.failed, timeout=30_000) as blocker:
        runner.start(job)
    err = blocker.args[0]
    assert err.message == "the environment folder is full\nWhat to do: free some space, then create again"
    qtbot.waitUntil(lambda: not runner.busy, timeout=30_000)
    assert runner.shutdown()
