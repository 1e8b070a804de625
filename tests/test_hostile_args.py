"""#10 item 8 (arguments): empty and absurd names, filters that match nothing and impossible timeouts are
refused with one clear sentence by the real CLI, before anything is created."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostile import assert_clean_error, run_cli

OFFLINE = ["--channel", "file:///nonexistent/channel", "--pip-index-url", "file:///nonexistent/simple", "--yes"]
LONG = "n" * 100_000


@pytest.mark.parametrize("args,words", [
    (["export", "--no-gpu", "-n", ""], "empty"),
    (["export", "--no-gpu", "-p", ""], "empty"),
    (["create", "-n", "", *OFFLINE], "empty"),
    (["create", "-p", " ", *OFFLINE], "empty"),
    (["create", "-n", LONG, *OFFLINE], "100000 characters"),
    (["export", "--no-gpu", "-n", LONG], "100000 characters"),
    (["verify", "--name", LONG], "no conda environment named"),
], ids=["export-empty-name", "export-empty-prefix", "create-empty-name", "create-blank-prefix", "create-100k-name",
        "export-100k-name", "verify-100k-name"])
def test_bad_names_are_usage_errors(args: list[str], words: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    r = run_cli(args, home)
    assert_clean_error(r, 2)
    assert words in r.stderr and len(r.stderr) < 1000, r.stderr[:500]
    assert not (home / ".local" / "share" / "torchdesk" / "envs").exists()  # nothing was started


@pytest.mark.parametrize("target,words", [(["-n", LONG], "100000 characters"), (["-n", ""], "empty"),
                                          (["-p", ""], "empty")], ids=["100k-name", "empty-name", "empty-prefix"])
def test_import_target_checks(target: list[str], words: str, tmp_path: Path) -> None:
    yml = tmp_path / "environment.yml"
    yml.write_text("name: ok\nchannels: [conda-forge]\ndependencies: [python=3.11]\n")
    r = run_cli(["import", str(yml), *target, "--check-only"], tmp_path / "home")
    assert_clean_error(r, 2)
    assert words in r.stderr and len(r.stderr) < 1000


@pytest.mark.parametrize("args,code,words", [
    (["matrix", "--torch", "zzz"], 2, "--torch must look like"),
    (["matrix", "--torch", "99.9"], 1, "no PyTorch release matches --torch 99.9"),
    (["matrix", "--torch", "99.9", "--json"], 1, "no PyTorch release"),
    (["matrix", "--cc", "1.0"], 1, "compute capability 1.0"),
])
def test_a_filter_that_matches_nothing_says_so(args: list[str], code: int, words: str, tmp_path: Path) -> None:
    r = run_cli(args, tmp_path / "home")
    assert_clean_error(r, code)
    assert words in r.stderr
    assert r.stdout == ""  # no tables that look like an answer


def test_a_filter_that_matches_still_prints(tmp_path: Path) -> None:
    r = run_cli(["matrix", "--torch", "2.5", "--table", "torch"], tmp_path / "home")
    assert r.returncode == 0 and "2.5.1" in r.stdout


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "abc"])
@pytest.mark.parametrize("command", [["verify", "--python", "/nonexistent/python"], ["doctor"]])
def test_impossible_timeouts_are_refused(command: list[str], value: str, tmp_path: Path) -> None:
    r = run_cli([*command, "--timeout", value], tmp_path / "home")
    assert_clean_error(r, 2)
    assert "--timeout" in r.stderr
