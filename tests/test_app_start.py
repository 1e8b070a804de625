"""Starting the app: no display or a missing Qt library is one sentence and exit 1 (never Qt's abort and a core
dump), and `torchdesk --self-test` runs from a pip install and never writes the user's settings."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.ui.app import QT_GUI_LIBS, QT_WAYLAND_LIBS, QT_XCB_LIBS, missing_libraries, start_problem

ROOT = Path(__file__).resolve().parent.parent
NO_GPU = {"TORCHDESK_OVERRIDE_GPUS": "", "TORCHDESK_OVERRIDE_DRIVER": "", "TORCHDESK_OVERRIDE_OS": "linux"}
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland checks are Linux's")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TORCHDESK_"))}
    env.update(HOME=str(home), **NO_GPU, **extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@linux_only
def test_no_display_is_one_sentence_and_exit_1(tmp_path: Path) -> None:
    r = _run(["-m", "desktop"], _env(tmp_path, DISPLAY="", WAYLAND_DISPLAY="", QT_QPA_PLATFORM=""))
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "no display" in lines[0] and "torchdesk recommend" in lines[0] and lines[0].endswith(".")
    assert "xcb-cursor" not in r.stderr and "core dumped" not in r.stderr and r.stdout == ""


def _free_display() -> int:
    n = 70
    while Path(f"/tmp/.X11-unix/X{n}").exists() or Path(f"/tmp/.X{n}-lock").exists():
        n += 1
    return n


@linux_only
def test_display_with_no_x_server_is_one_sentence(tmp_path: Path) -> None:
    n = _free_display()
    r = _run(["-m", "desktop"], _env(tmp_path, DISPLAY=f":{n}", WAYLAND_DISPLAY="", QT_QPA_PLATFORM=""))
    assert r.returncode == 1 and f"no X server answers at DISPLAY=:{n}" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


@linux_only
def test_offscreen_needs_no_display() -> None:
    assert start_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert start_problem({}, "darwin") is None


@linux_only
def test_a_missing_library_names_its_package() -> None:
    # the real loader is asked: a soname that exists nowhere is reported with the package given for it
    table = (("libc.so.6", "libc6"), ("libtorchdesk-nowhere.so.7", "libtorchdesk-nowhere7"))
    assert missing_libraries(table) == [("libtorchdesk-nowhere.so.7", "libtorchdesk-nowhere7")]


def _needed(path: Path) -> list[str]:
    """The DT_NEEDED sonames of an ELF64 little-endian shared object."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    out = []
    for sh in sections:
        if sh[1] != 6:  # SHT_DYNAMIC
            continue
        strtab = sections[sh[6]][4]
        for i in range(0, sh[5], 16):
            tag, val = struct.unpack_from("<qQ", data, sh[4] + i)
            if tag == 0:
                break
            if tag == 1:  # DT_NEEDED
                start = strtab + val
                out.append(data[start:data.index(b"\0", start)].decode())
    return out


@linux_only
def test_the_library_table_covers_what_the_installed_qt_needs() -> None:
    pyside = pytest.importorskip("PySide6")
    qt = Path(pyside.__file__).parent / "Qt"
    files = [qt / "lib" / "libQt6Gui.so.6", qt / "lib" / "libQt6XcbQpa.so.6", qt / "plugins" / "platforms" / "libqxcb.so"]
    if not all(f.exists() for f in files):
        pytest.skip("not a PySide6 wheel layout")
    system = {so for f in files for so in _needed(f)}
    system = {so for so in system if not so.startswith(("libQt6", "libc.so", "libm.so", "libstdc++", "libgcc_s",
                                                          "libz.so", "libpthread", "libdl.so", "librt.so"))}
    known = {so for so, _ in (*QT_GUI_LIBS, *QT_XCB_LIBS, *QT_WAYLAND_LIBS)}
    assert system - known == set(), "add these sonames and their Debian packages to desktop/ui/app.py"


def test_self_test_from_the_console_script_never_writes_settings(tmp_path: Path) -> None:
    env = _env(tmp_path, DISPLAY="", WAYLAND_DISPLAY="", QT_QPA_PLATFORM="")
    conf = Path(env["HOME"]) / ".config" / "TorchDesk" / "TorchDesk.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[mirrors]\ntorch=tuna\n")
    before = conf.read_bytes()
    r = _run(["-m", "desktop.cli", "--self-test"], env)  # `torchdesk --self-test` from a pip install
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert r.returncode == 0 and out["ok"] is True and out["platform"] == "offscreen", r.stdout + r.stderr
    assert conf.read_bytes() == before
    assert sorted(p.name for p in conf.parent.iterdir()) == ["TorchDesk.conf"]


@linux_only
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (apt-get install xvfb)")
def test_a_real_x_server_opens_the_window(tmp_path: Path) -> None:
    n = _free_display()
    xvfb = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                break
            time.sleep(0.1)
        env = _env(tmp_path, DISPLAY=f":{n}", WAYLAND_DISPLAY="", QT_QPA_PLATFORM="")
        missing = missing_libraries(QT_GUI_LIBS + QT_XCB_LIBS)
        if missing:  # e.g. a bare Debian 12 without libxcb-icccm4 libxcb-keysyms1: Qt itself would abort (134)
            r = _run(["-m", "desktop"], env)
            assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
            assert all(so in r.stderr and f" {pkg}" in r.stderr for so, pkg in missing), r.stderr
            return
        assert start_problem(env, "linux") is None
        r = _run(["-m", "desktop", "--self-test"], env)
        out = json.loads(r.stdout.strip().splitlines()[-1])
        assert r.returncode == 0 and out["platform"] == "xcb", r.stdout + r.stderr
    finally:
        xvfb.terminate()
        xvfb.wait(10)


@linux_only
def test_self_test_names_a_start_problem_in_its_json(tmp_path: Path) -> None:
    n = _free_display()
    r = _run(["-m", "desktop", "--self-test"], _env(tmp_path, DISPLAY=f":{n}", WAYLAND_DISPLAY="", QT_QPA_PLATFORM=""))
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert r.returncode == 1 and out["ok"] is False and out["failed"] == "start", r.stdout + r.stderr
    assert f"DISPLAY=:{n}" in out["error"]
