"""#10 item 8 (no crash exits), a second review: non-UTF-8, deeply nested, endless, oversized and FIFO inputs and
100,000-character arguments end in one clear sentence (exit 1 or 2) from the real CLI, never a traceback, a hang
or an OOM kill."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hostile import assert_clean_error, run_cli

LONG = "n" * 100_000


def _inputs(tmp: Path) -> dict[str, str]:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "bad.yml").write_bytes(b"gpu_types:\n  lab: \xff\xfe\xc3(\n")
    (tmp / "deep.yml").write_text("[" * 5000 + "\n")
    (tmp / "big.txt").write_bytes(b"# padding\n" * (500 * 1024))  # 5 MiB, over the 4 MiB cap
    os.mkfifo(tmp / "fifo")  # nobody ever writes to it: reading it would block forever
    return {"BAD": str(tmp / "bad.yml"), "DEEP": str(tmp / "deep.yml"), "BIG": str(tmp / "big.txt"),
            "FIFO": str(tmp / "fifo"), "ZERO": "/dev/zero"}


FILE_CASES = [
    (["fleet", "inventory", "--site-map", "BAD"], "not UTF-8"),
    (["fleet", "plan", "--site-map", "BAD"], "not UTF-8"),
    (["fleet", "inventory", "--sinfo-output", "BAD"], "not UTF-8"),
    (["fleet", "plan", "--sinfo-output", "BAD"], "not UTF-8"),
    (["fleet", "inventory", "--site-map", "DEEP"], "nested too deeply"),
    (["fleet", "inventory", "--site-map", "ZERO"], "not a regular file"),
    (["fleet", "inventory", "--sinfo-output", "ZERO"], "not a regular file"),
    (["fleet", "plan", "--sinfo-output", "ZERO"], "not a regular file"),
    (["fleet", "inventory", "--sinfo-output", "BIG"], "larger than 4 MiB"),
    (["fleet", "inventory", "--site-map", "FIFO"], "not a regular file"),
    (["fleet", "plan", "--sinfo-output", "FIFO"], "not a regular file"),
]


@pytest.mark.parametrize("args,words", FILE_CASES, ids=["-".join(a[1:]).replace("--", "") for a, _ in FILE_CASES])
def test_hostile_input_files(args: list[str], words: str, tmp_path: Path) -> None:
    files = _inputs(tmp_path / "in")
    r = run_cli([files.get(a, a) for a in args], tmp_path / "home", timeout=60)  # a hang fails as TimeoutExpired
    assert_clean_error(r, 2)
    assert words in r.stderr and len(r.stderr) < 1000, r.stderr[:500]


LONG_CASES = [
    (["remove", LONG, "--yes"], 2, "no conda environment named"),
    (["remove", "/tmp/" + "d/" * 50_000, "--yes"], 2, "no conda environment named"),
    (["import", LONG, "--check-only"], 2, "cannot read"),
    (["fleet", "verify", "--collect", LONG], 2, "cannot read"),
]


@pytest.mark.parametrize("args,code,words", LONG_CASES, ids=["remove-name", "remove-path", "import", "fleet-collect"])
def test_100k_character_arguments(args: list[str], code: int, words: str, tmp_path: Path) -> None:
    r = run_cli(args, tmp_path / "home", timeout=60)
    assert_clean_error(r, code)
    assert words in r.stderr and "characters)" in r.stderr, r.stderr[:300]  # the argument is cut, with its length
    assert len(r.stderr) < 1000, r.stderr[:500]


def test_import_of_a_fifo_is_refused_not_awaited(tmp_path: Path) -> None:
    files = _inputs(tmp_path / "in")
    r = run_cli(["import", files["FIFO"], "-n", "x", "--check-only"], tmp_path / "home", timeout=60)
    assert_clean_error(r, 2)
    assert "not a regular file" in r.stderr


def test_fleet_collect_with_planted_fifo_and_device_results(tmp_path: Path) -> None:
    out = tmp_path / "sb"
    (out / "results").mkdir(parents=True)
    os.mkfifo(out / "fleet.json")  # read first: it would block before any row is made
    r = run_cli(["fleet", "verify", "--collect", str(out)], tmp_path / "home", timeout=60)
    assert_clean_error(r, 2)
    assert "not a regular file" in r.stderr
    (out / "fleet.json").unlink()
    os.mkfifo(out / "results" / "a.json")
    (out / "results" / "b.json").symlink_to("/dev/zero")
    r = run_cli(["fleet", "verify", "--collect", str(out), "--json"], tmp_path / "home", timeout=60)
    assert "Traceback" not in r.stderr and r.returncode == 1, (r.returncode, r.stderr[:500])
    assert r.stdout.count("unreadable result") == 2 and "not a regular file" in r.stdout, r.stdout[:800]


HOLD = """
import json, os, stat, sys
from pathlib import Path
from desktop.locks import EnvLock
lock = EnvLock(Path(sys.argv[1])).acquire()
st = os.stat(lock.owner_path)
print(json.dumps({"mode": stat.S_IMODE(st.st_mode), "text": lock.owner_path.read_text(encoding="utf-8")}))
lock.release()
"""


def test_lock_owner_file_masks_credentials_and_is_private(tmp_path: Path) -> None:
    """The .owner note records the holder's real command line (read by psutil): a token in it is masked, 0600."""
    import json
    import subprocess
    import sys

    from hostile import ROOT, cli_env

    env = cli_env(tmp_path / "home", TORCHDESK_LOCK_DIR=str(tmp_path / "locks"))
    url = "https://alice:s3cr3t-t0ken@pypi.example.org/simple"
    script = tmp_path / "hold.py"  # a short command line: the note keeps its first 300 characters
    script.write_text(HOLD)
    r = subprocess.run([sys.executable, str(script), str(tmp_path / "env"), "--pip-index-url", url], cwd=ROOT,
                       env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    owner = json.loads(r.stdout)
    assert owner["mode"] == 0o600, oct(owner["mode"])
    command = json.loads(owner["text"])["command"]
    assert "s3cr3t-t0ken" not in command and "pypi.example.org/simple" in command, command


def test_print_sbatch_into_a_100k_character_folder(tmp_path: Path) -> None:
    import sys

    from hostile import ROOT

    env = tmp_path / "env"  # an environment as `fleet verify -p` finds one: conda-meta/history and its python
    (env / "conda-meta").mkdir(parents=True)
    (env / "conda-meta" / "history").write_text("")
    (env / "bin").mkdir()
    (env / "bin" / "python").symlink_to(sys.executable)
    r = run_cli(["fleet", "verify", "-p", str(env), "--print-sbatch", LONG,
                 "--sinfo-output", str(ROOT / "tests" / "fleet_data" / "sinfo_two_types.txt")], tmp_path / "home")
    assert_clean_error(r, 2)
    assert "cannot make the scripts folder" in r.stderr and "characters)" in r.stderr and len(r.stderr) < 1000
