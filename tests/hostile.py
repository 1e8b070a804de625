"""Shared helper for the hostile-input tests: run the real CLI in a child process with a throw-away HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """os.environ with HOME and every folder TorchDesk or conda reads pointed into `home`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TORCHDESK_", "XDG_", "CONDA", "MAMBA", "PYTHON"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"), XDG_STATE_HOME=str(home / ".local" / "state"),
               XDG_CACHE_HOME=str(home / ".cache"), XDG_CONFIG_HOME=str(home / ".config"))
    env.update(extra)
    return env


def run_cli(args: list[str], home: Path, *, stdin: Any = subprocess.DEVNULL, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m desktop.cli ARGS` from the repo root, as a user whose HOME is `home`."""
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], cwd=ROOT, env=env or cli_env(home),
                          stdin=stdin, capture_output=True, text=True, timeout=timeout)


def assert_clean_error(r: subprocess.CompletedProcess[str], code: int | None = None) -> None:
    """A refusal: the exit code asked for (or any non-zero), one message, never a Python traceback."""
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    if code is None:
        assert r.returncode != 0, r.stdout
    else:
        assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.strip(), "a refusal must say why"
