"""#10 item 3: a hostile environment.yml cannot reach pip's or conda's command line, blow up memory, or crash
`import`; what the file will use is listed before anything runs. Each test runs the real CLI in a child process."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hostile import assert_clean_error, run_cli

HEAD = "name: hostile\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - pip\n"


def pip_yml(*entries: str) -> str:
    return HEAD + "  - pip:\n" + "".join(f"    - {e!r}\n".replace('"', "'") for e in entries)


@pytest.mark.parametrize("entry", [
    "--report {victim}", "--target {victim}", "--prefix={victim}", "-r{victim}", "-e./x", "--requir {victim}",
    "--constr {victim}", "--edit .", "--trusted-host evil.example", "--index-url https://ok.example/simple --target {victim}",
    "--extra-index-url ftp://evil.example/simple", "--find-links {victim}", "--root {victim}",
    # direct references install (and may build and run) code from outside every index the file lists
    "evilpkg @ file://{victim}/src", "td-extra[x] @ file://{victim}/td_extra-1.0-py3-none-any.whl",
    "torch @ file://{victim}/torch-2.5.1-cp311-none-linux_x86_64.whl", "evil @ git+https://evil.example/evil.git",
])
def test_pip_options_outside_the_allow_list_are_refused_with_their_line(entry: str, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    yml = tmp_path / "environment.yml"
    yml.write_text(pip_yml("torch==2.5.1", entry.format(victim=victim)))
    r = run_cli(["import", str(yml), "--check-only"], tmp_path / "home")
    assert_clean_error(r, 2)
    assert "line 9" in r.stderr, r.stderr  # the hostile entry's own line
    assert not victim.exists()


@pytest.mark.parametrize("dep", ["--prefix=/tmp/elsewhere", "--channel=evil", "-c", "--override-channels",
                                 "https://evil.example/ch::numpy", "numpy; rm -rf ~",
                                 # bracket keys that name a source the channels: list does not show
                                 "td-hello[url=file:///tmp/evil/td-hello-9.9-0.tar.bz2]",
                                 "td-hello[channel=file:///tmp/evil]", "numpy[version='>=1', url=https://evil.example/x.conda]"])
def test_conda_dependencies_must_be_match_specs(dep: str, tmp_path: Path) -> None:
    yml = tmp_path / "environment.yml"
    yml.write_text(HEAD + f"  - '{dep}'\n")
    r = run_cli(["import", str(yml), "--check-only"], tmp_path / "home")
    assert_clean_error(r, 2)
    assert "line 7" in r.stderr, r.stderr


def test_channels_must_be_names_or_urls(tmp_path: Path) -> None:
    yml = tmp_path / "environment.yml"
    yml.write_text("name: h\nchannels:\n  - conda-forge\n  - --override-channels\ndependencies:\n  - python=3.11\n")
    r = run_cli(["import", str(yml), "--check-only"], tmp_path / "home")
    assert_clean_error(r, 2)
    assert "line 4" in r.stderr


def test_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    # 9 levels of 9 aliases: ~400 bytes that expand to 9**9 strings. Refused at the first anchor, so the
    # timeout below (a guard against hanging, not a speed assertion) is never near.
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "\n".join(rows) + "\nname: *i\ndependencies: [python=3.11]\n"
    assert len(text.encode()) < 450
    yml = tmp_path / "environment.yml"
    yml.write_text(text)
    r = run_cli(["import", str(yml), "--check-only"], tmp_path / "home", timeout=60)
    assert_clean_error(r, 2)
    assert "aliases" in r.stderr


def test_a_single_anchor_is_refused_too(tmp_path: Path) -> None:
    yml = tmp_path / "environment.yml"
    yml.write_text("name: &n x\nchannels: [conda-forge]\ndependencies: [python=3.11]\n")
    r = run_cli(["import", str(yml), "--check-only"], tmp_path / "home")
    assert_clean_error(r, 2)
    assert "line 1" in r.stderr and "anchors" in r.stderr


@pytest.mark.parametrize("body,words", [
    (HEAD.encode() + b"  - caf\xe9\n", "not UTF-8"),  # latin-1, as an old editor saves it
    (b"name: " + b"[" * 20000 + b"]" * 20000 + b"\n", "nested"),
    (b"name: x\ndependencies:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 200)), "nested"),
    (HEAD.encode() + b"  - pip:\n    - " + b"x" * (2 << 20) + b"\n", "KiB"),
    (b"name: x\x00\ndependencies: [python=3.11]\n", "NUL"),
    (HEAD.encode() + b"  - {pip: {a: 1}}\n", "line 7"),
    (HEAD.encode() + b"  - pip:\n    - [a, b]\n", "line 8"),
    (b"name: " + b"n" * 100_000 + b"\ndependencies: [python=3.11]\n", "100000 characters"),
], ids=["latin1", "deep-flow", "deep-block", "2MiB", "nul", "pip-mapping", "pip-list-entry", "100k-name"])
def test_malformed_files_give_a_sentence_not_a_traceback(body: bytes, words: str, tmp_path: Path) -> None:
    yml = tmp_path / "environment.yml"
    yml.write_bytes(body)
    r = run_cli(["import", str(yml), "--check-only"], tmp_path / "home", timeout=60)
    assert_clean_error(r, 2)
    assert words in r.stderr, r.stderr
    assert len(r.stderr) < 1000  # a sentence, not the file echoed back


def test_check_only_lists_every_index_and_option(tmp_path: Path) -> None:
    yml = tmp_path / "environment.yml"
    yml.write_text(pip_yml("--index-url https://download.pytorch.org/whl/cpu",
                           "--extra-index-url https://pypi.example.org/simple", "--find-links https://links.example.org/wheels",
                           "--pre", "torch==2.5.1+cpu", "td-extra==1.0") + "  - td-hello>=1\n")
    r = run_cli(["import", str(yml), "--check-only", "--force"], tmp_path / "home")
    assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr
    listing = r.stdout.split("It would use:", 1)[1]
    for shown in ("conda-forge", "td-hello>=1", "--index-url https://download.pytorch.org/whl/cpu",
                  "https://pypi.example.org/simple", "--find-links https://links.example.org/wheels", "--pre",
                  "torch==2.5.1+cpu", "td-extra==1.0"):
        assert shown in listing, (shown, listing)


def test_import_without_a_terminal_needs_yes(tmp_path: Path) -> None:
    yml = tmp_path / "environment.yml"
    yml.write_text(pip_yml("--index-url https://download.pytorch.org/whl/cpu", "torch==2.5.1+cpu"))
    home = tmp_path / "home"
    r = run_cli(["import", str(yml), "--force"], home, stdin=subprocess.DEVNULL)
    assert_clean_error(r, 1)
    assert "--yes" in r.stderr and "It would use:" in r.stdout
    assert "[1/" not in r.stdout  # no stage started
    assert not any(p.name == "hostile" for p in home.rglob("hostile"))


@pytest.mark.parametrize("prefix", ["relative/env", "'/tmp/x\\e[2Jy'", "'/tmp/a\\nb'", "[1, 2]"],
                         ids=["relative", "escape", "newline", "list"])
def test_a_prefix_must_be_one_absolute_path(prefix: str, tmp_path: Path) -> None:
    yml = tmp_path / "environment.yml"
    yml.write_text(f"prefix: {prefix.replace(chr(39), chr(34))}\nchannels: [conda-forge]\ndependencies: [python=3.11]\n")
    r = run_cli(["import", str(yml), "--check-only"], tmp_path / "home")
    assert_clean_error(r, 2)
    assert "line 1" in r.stderr and "absolute" in r.stderr and "\x1b" not in r.stderr
    # the user's own target replaces the file's
    r = run_cli(["import", str(yml), "--check-only", "-n", "mine"], tmp_path / "home")
    assert r.returncode in (0, 1) and "Traceback" not in r.stderr


def test_an_absurd_gpu_name_is_not_echoed(tmp_path: Path) -> None:
    r = run_cli(["matrix", "--gpu", "x" * 100_000], tmp_path / "home")
    assert_clean_error(r, 2)
    assert "unknown GPU" in r.stderr and len(r.stderr) < 1000
