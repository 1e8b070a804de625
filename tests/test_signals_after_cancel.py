"""After a cancel by signal, the command reports and exits 128+n: a further signal in that moment (the user's third
rapid Ctrl-C) must not kill it by SIGINT nor raise KeyboardInterrupt. Real signals, a real interpreter."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import os, signal, sys, time
from desktop.commands.create import cancel_on_signals

class Token:
    cancelled = 0
    def cancel(self):
        Token.cancelled += 1

with cancel_on_signals(Token()) as caught:
    os.kill(os.getpid(), signal.{sig})   # the first: cancels
    os.kill(os.getpid(), signal.{sig})   # the second, during clean-up: only says to wait
    time.sleep(0.2)                      # let the cancel thread run
os.kill(os.getpid(), signal.{sig})       # the third, after clean-up, while the command reports
time.sleep(0.2)
print("reported", caught[0].name, Token.cancelled, flush=True)
sys.exit(128 + int(caught[0]))
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_after_the_cancel_does_not_change_the_exit(sig: str) -> None:
    p = subprocess.run([sys.executable, "-c", SCRIPT.format(sig=sig)], capture_output=True, text=True, cwd=ROOT,
                       timeout=60)
    assert p.returncode == 128 + int(getattr(signal, sig)), (p.returncode, p.stderr)
    assert p.stdout.strip() == f"reported {sig} 1", p.stdout
    assert "still cleaning up" in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_without_a_caught_signal_the_old_handlers_come_back() -> None:
    code = ("import signal\nfrom desktop.commands.create import cancel_on_signals\n"
            "class T:\n    def cancel(self): pass\n"
            "before = signal.getsignal(signal.SIGINT)\n"
            "with cancel_on_signals(T()):\n    pass\n"
            "print(signal.getsignal(signal.SIGINT) is before)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.stdout.strip() == "True", p.stdout + p.stderr
