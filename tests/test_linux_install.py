"""installer/linux/install.sh and uninstall.sh against a tiny fake bundle in a temporary HOME.

Real bash, real files; no PyInstaller. The bundle is two shell scripts named like the real executables plus
the icon files at the path the real bundle has them, and a symlink (PyInstaller's bundles have many).
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "installer" / "linux"
ICONS = ROOT / "desktop" / "resources" / "icons"

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("bash") is None, reason="Linux installer scripts"
)


def make_bundle(where: Path, *, with_scripts: bool = False) -> Path:
    bundle = where / "torchdesk"
    icons = bundle / "_internal" / "desktop" / "resources" / "icons"
    icons.mkdir(parents=True)
    for exe in ("torchdesk", "torchdesk-gui"):
        path = bundle / exe
        path.write_text(f'#!/bin/sh\necho "{exe} $*"\n')
        path.chmod(0o755)
    for icon in ("torchdesk.svg", "torchdesk-256.png"):
        shutil.copy(ICONS / icon, icons / icon)
    (bundle / "_internal" / "libfake.so.1").write_bytes(b"\x7fELF")
    (bundle / "_internal" / "libfake.so").symlink_to("libfake.so.1")
    if with_scripts:  # the layout of the release archive: build.py copies these to the bundle's top
        for name in ("install.sh", "uninstall.sh", "torchdesk.desktop"):
            shutil.copy2(LINUX / name, bundle / name)
    return bundle


def snapshot(home: Path) -> dict[str, str]:
    """Every path under home -> what it is (file contents hash-free: size; link: target; dir)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = str(p.relative_to(home))
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = f"file {p.stat().st_size}"
    return out


def run(script: Path, *args: str, home: Path, extra_env: dict[str, str] | None = None):
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update(extra_env or {})
    return subprocess.run(["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    # Things the user already had, which neither script may touch.
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "other-tool").write_text("#!/bin/sh\n")
    (home / ".local" / "share" / "applications").mkdir(parents=True)
    (home / ".local" / "share" / "applications" / "other.desktop").write_text("[Desktop Entry]\nName=Other\n")
    return home


def read_manifest(data: Path) -> list[tuple[str, str]]:
    lines = (data / "torchdesk" / "install-manifest").read_text().splitlines()
    return [tuple(line.split("\t", 1)) for line in lines]  # type: ignore[misc]


def test_install_then_uninstall_leaves_home_as_it_was(tmp_path: Path, home: Path) -> None:
    bundle = make_bundle(tmp_path)
    before = snapshot(home)
    r = run(LINUX / "install.sh", str(bundle), home=home)
    assert r.returncode == 0, r.stderr
    data = home / ".local" / "share"
    app = data / "torchdesk" / "app"

    # The executables run through the links, the icons are in hicolor, the entry points at the install.
    out = subprocess.run([str(home / ".local" / "bin" / "torchdesk"), "detect"], capture_output=True, text=True)
    assert out.stdout.strip() == "torchdesk detect"
    assert os.readlink(home / ".local" / "bin" / "torchdesk-gui") == str(app / "torchdesk-gui")
    assert (data / "icons" / "hicolor" / "256x256" / "apps" / "torchdesk.png").read_bytes() == (
        ICONS / "torchdesk-256.png"
    ).read_bytes()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "torchdesk.svg").is_file()
    assert (app / "_internal" / "libfake.so").is_symlink()
    entry = (data / "applications" / "torchdesk.desktop").read_text()
    assert f'Exec="{app}/torchdesk-gui"' in entry.splitlines()
    assert f"TryExec={app}/torchdesk-gui" in entry.splitlines()

    # The manifest names everything that appeared, and nothing that was there before.
    after = snapshot(home)
    created = {str(Path(path).relative_to(home)) for _kind, path in read_manifest(data)}
    appeared = set(after) - set(before)
    assert appeared - created == {".local/share/torchdesk/install-manifest"}
    assert not created & set(before)

    r = run(data / "torchdesk" / "uninstall.sh", home=home)  # the copy install.sh left, as a user would
    assert r.returncode == 0, r.stderr
    assert snapshot(home) == before


def test_a_bare_home_is_left_bare(tmp_path: Path) -> None:
    home = tmp_path / "bare"
    home.mkdir()
    bundle = make_bundle(tmp_path)
    assert run(LINUX / "install.sh", str(bundle), home=home).returncode == 0
    r = run(LINUX / "uninstall.sh", home=home)
    assert r.returncode == 0, r.stderr
    assert snapshot(home) == {}


def test_install_from_the_release_layout_with_no_argument(tmp_path: Path, home: Path) -> None:
    bundle = make_bundle(tmp_path, with_scripts=True)
    r = run(bundle / "install.sh", home=home)
    assert r.returncode == 0, r.stderr
    assert (home / ".local" / "share" / "torchdesk" / "app" / "torchdesk-gui").is_file()
    assert run(bundle / "uninstall.sh", home=home).returncode == 0


def test_xdg_data_home_is_respected(tmp_path: Path, home: Path) -> None:
    bundle = make_bundle(tmp_path)
    data = tmp_path / "xdg data"
    before = snapshot(home)
    env = {"XDG_DATA_HOME": str(data)}
    assert run(LINUX / "install.sh", str(bundle), home=home, extra_env=env).returncode == 0
    assert (data / "applications" / "torchdesk.desktop").is_file()
    assert not (home / ".local" / "share" / "torchdesk").exists()
    assert run(LINUX / "uninstall.sh", home=home, extra_env=env).returncode == 0
    assert snapshot(home) == before
    assert not data.exists()


def test_a_command_that_is_not_ours_is_left_alone(tmp_path: Path, home: Path) -> None:
    bundle = make_bundle(tmp_path)
    mine = home / ".local" / "bin" / "torchdesk"
    mine.write_text("#!/bin/sh\necho pip-installed\n")
    r = run(LINUX / "install.sh", str(bundle), home=home)
    assert r.returncode == 0, r.stderr
    assert "already exists" in r.stderr
    assert mine.read_text() == "#!/bin/sh\necho pip-installed\n"
    assert (home / ".local" / "bin" / "torchdesk-gui").is_symlink()
    assert run(LINUX / "uninstall.sh", home=home).returncode == 0
    assert mine.read_text() == "#!/bin/sh\necho pip-installed\n"
    assert not (home / ".local" / "bin" / "torchdesk-gui").exists()


def test_reinstall_replaces_and_user_files_survive_uninstall(tmp_path: Path, home: Path) -> None:
    bundle = make_bundle(tmp_path)
    before = snapshot(home)
    assert run(LINUX / "install.sh", str(bundle), home=home).returncode == 0
    (bundle / "NEW-IN-V2").write_text("v2")
    r = run(LINUX / "install.sh", str(bundle), home=home)
    assert r.returncode == 0, r.stderr
    data = home / ".local" / "share"
    assert (data / "torchdesk" / "app" / "NEW-IN-V2").read_text() == "v2"
    # A file the user put in a folder the install created keeps that folder.
    note = data / "icons" / "hicolor" / "256x256" / "apps" / "mine.png"
    note.write_bytes(b"png")
    # A link the user re-pointed elsewhere is theirs now.
    gui = home / ".local" / "bin" / "torchdesk-gui"
    gui.unlink()
    gui.symlink_to("/usr/bin/env")

    r = run(LINUX / "uninstall.sh", home=home)
    assert r.returncode == 0, r.stderr
    assert note.read_bytes() == b"png"
    assert os.readlink(gui) == "/usr/bin/env"
    left = set(snapshot(home)) - set(before)
    assert left == {
        ".local/bin/torchdesk-gui",
        ".local/share/icons",
        ".local/share/icons/hicolor",
        ".local/share/icons/hicolor/256x256",
        ".local/share/icons/hicolor/256x256/apps",
        ".local/share/icons/hicolor/256x256/apps/mine.png",
    }


def test_exec_is_quoted_per_the_desktop_entry_spec(tmp_path: Path) -> None:
    home = tmp_path / 'odd home $HOME "q" `b` 100%'
    home.mkdir()
    bundle = make_bundle(tmp_path)
    assert run(LINUX / "install.sh", str(bundle), home=home).returncode == 0
    entry = (home / ".local" / "share" / "applications" / "torchdesk.desktop").read_text().splitlines()
    exec_line = next(line for line in entry if line.startswith("Exec="))
    assert unquote_exec(exec_line[len("Exec="):]) == [str(home / ".local/share/torchdesk/app/torchdesk-gui")]


def unquote_exec(value: str) -> list[str]:
    """The Desktop Entry spec's Exec parsing: string escapes first, then %% and double-quoted arguments."""
    text, i = "", 0
    while i < len(value):  # string rule: \\ \s \n \t \r
        if value[i] == "\\" and i + 1 < len(value):
            text += {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(value[i + 1], value[i + 1])
            i += 2
        else:
            text += value[i]
            i += 1
    args, i = [], 0
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        arg = ""
        if text[i] == '"':
            i += 1
            while text[i] != '"':
                if text[i] == "\\":
                    assert text[i + 1] in '"`$\\', "only these may be escaped inside quotes"
                    i += 1
                arg += text[i]
                i += 1
            i += 1
        else:
            while i < len(text) and text[i] != " ":
                assert text[i] not in '"`$\\', "reserved characters must be quoted"
                arg += text[i]
                i += 1
        args.append(arg.replace("%%", "%"))
    return args


def test_missing_bundle_installs_nothing(tmp_path: Path, home: Path) -> None:
    before = snapshot(home)
    r = run(LINUX / "install.sh", str(tmp_path / "nope"), home=home)
    assert r.returncode != 0
    assert "no TorchDesk bundle" in r.stderr
    assert snapshot(home) == before


def test_uninstall_without_an_install_says_so(tmp_path: Path, home: Path) -> None:
    r = run(LINUX / "uninstall.sh", home=home)
    assert r.returncode == 1
    assert "no TorchDesk install found" in r.stderr


def test_desktop_entry_has_the_keys_menus_need() -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(LINUX / "torchdesk.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "TorchDesk"
    assert entry["Icon"] == "torchdesk"  # the hicolor name install.sh gives the icons
    assert entry["Exec"] and entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";") and entry["Keywords"].endswith(";")
