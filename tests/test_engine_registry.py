"""The engine registry: every registered engine is offered everywhere an engine is chosen, probed only on demand.

Table-driven over the registry itself, so a newly registered engine is checked by the same tests; a dummy
engine registered in-process must show up in get_engine, the CLI's choices and the app's combos.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator, Sequence

import pytest

from desktop import cli
from desktop.engine import (
    DEFAULT_ENGINE,
    LOCK_REBUILD,
    Availability,
    EngineError,
    EngineInfo,
    engine_info,
    engine_names,
    engines,
    get_engine,
    register_engine,
    unregister_engine,
)
from desktop.model import Host

ROOT = Path(__file__).resolve().parent.parent
REGISTERED = engine_names()  # as the package registers them, before any test adds one


def engine_choices(command: str) -> list[str]:
    """The --engine choices of `torchdesk <command>`, as the CLI's parser builds them now."""
    parser = cli.build_parser(command)
    sub = next(a for a in parser._actions if a.dest == "command")  # argparse keeps subparsers only here
    action = next(a for a in sub.choices[command]._actions if a.dest == "engine")  # type: ignore[index]
    return list(action.choices or ())


def parse_engine(command: str, name: str) -> str:
    """What `torchdesk <command> --engine <name>` parses to (import also takes its file)."""
    extra = ["environment.yml"] if command == "import" else []
    return str(cli.build_parser(command).parse_args([command, "--engine", name, *extra]).engine)


def run_cli(args: Sequence[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)


class DummyEngine:
    """An engine that only records how it was made: enough for get_engine to hand it out."""

    def __init__(self, exe: str | None, host: Host | None) -> None:
        self.exe, self.host = exe, host

    def create(self, specs: Sequence[str], channels: Sequence[str], prefix: Path, **_: Any) -> None:
        raise AssertionError("the dummy engine is never run")

    def describe(self) -> str:
        return "dummy"


@pytest.fixture
def dummy() -> Iterator[EngineInfo]:
    info = register_engine(EngineInfo("dummy-test", "an engine registered by a test", DummyEngine,
                                      lambda: Availability(True, "always here"), frozenset({"dummy-capability"})))
    try:
        yield info
    finally:
        unregister_engine(info.name)


def test_the_built_in_engines_are_registered_default_first() -> None:
    assert REGISTERED[0] == DEFAULT_ENGINE == "embedded"
    assert set(REGISTERED) == {"embedded", "conda", "mamba", "micromamba"}
    assert [e.name for e in engines()] == list(REGISTERED)
    assert all(e.description and "\n" not in e.description for e in engines())
    # the one capability the code branches on: only the embedded engine rebuilds a lock file by file
    assert [e.name for e in engines() if e.can(LOCK_REBUILD)] == ["embedded"]


@pytest.mark.parametrize("name", REGISTERED)
@pytest.mark.parametrize("command", ["create", "import"])
def test_every_engine_is_a_cli_choice(name: str, command: str) -> None:
    assert name in engine_choices(command)
    assert parse_engine(command, name) == name


@pytest.mark.parametrize("name", REGISTERED)
def test_every_engine_is_in_the_settings_combo_with_its_description(qtbot: Any, tmp_path: Path, name: str) -> None:
    from PySide6.QtCore import QSettings, Qt

    from desktop.ui.settings import SettingsDialog, UiSettings

    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    settings.q.setValue("create/engine", name)
    assert settings.engine == name
    dlg = SettingsDialog(settings, hosts_file=tmp_path / "hosts.txt")
    qtbot.addWidget(dlg)
    items = [dlg.engine.itemText(i) for i in range(dlg.engine.count())]
    assert items == list(engine_names())
    assert dlg.engine.currentText() == name
    tip = dlg.engine.itemData(items.index(name), Qt.ItemDataRole.ToolTipRole)
    assert tip == engine_info(name).description


def test_a_settings_file_naming_an_unregistered_engine_falls_back_to_the_default(tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from desktop.ui.settings import UiSettings

    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    settings.q.setValue("create/engine", "no-such-engine")
    assert settings.engine == DEFAULT_ENGINE


def _exe(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text("#!/bin/sh\necho 'micromamba 2.0.5'\n")
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return p


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for micromamba on PATH")
def test_doctor_lists_every_engine_with_its_availability(home: Path, tmp_path: Path) -> None:
    fake = _exe(tmp_path / "bin", "micromamba")  # found on PATH: what the external probe looks for
    env = {k: v for k, v in os.environ.items() if not k.endswith(("CONDA_EXE", "MAMBA_EXE", "MICROMAMBA_EXE"))}
    env["PATH"] = str(fake.parent)
    r = run_cli(["doctor", "--engines", "--json"], env)
    assert r.returncode == 0, r.stderr
    rows = {row["engine"]: row for row in json.loads(r.stdout)}
    assert list(rows) == list(REGISTERED)
    assert rows["micromamba"]["available"] is True and rows["micromamba"]["detail"] == str(fake)
    assert rows["conda"]["available"] is False and "no conda executable found on PATH" in rows["conda"]["detail"]
    assert rows["embedded"]["available"] is True and rows["embedded"]["default"] is True  # py-rattler is a dependency
    assert rows["embedded"]["capabilities"] == [LOCK_REBUILD]
    text = run_cli(["doctor", "--engines"], env)
    assert text.returncode == 0, text.stderr
    lines = {line.split()[0]: line for line in text.stdout.splitlines()}
    assert list(lines) == list(REGISTERED)
    assert "available" in lines["micromamba"] and str(fake) in lines["micromamba"]
    assert "missing" in lines["mamba"] and "(default)" in lines["embedded"]


def test_an_unknown_engine_is_a_clear_error_naming_the_registered_ones(home: Path) -> None:
    with pytest.raises(EngineError) as err:
        get_engine("no-such-engine")
    assert err.value.message == f"unknown engine 'no-such-engine'; use one of: {', '.join(REGISTERED)}"
    r = run_cli(["create", "--engine", "no-such-engine", "--torch", "2.5.1", "--variant", "cpu"], dict(os.environ))
    assert r.returncode == 2 and "invalid choice: 'no-such-engine'" in r.stderr
    assert all(f"'{name}'" in r.stderr for name in REGISTERED), r.stderr
    assert "Traceback" not in r.stderr


def test_a_registered_engine_is_offered_by_get_engine_and_the_cli(dummy: EngineInfo, qtbot: Any, tmp_path: Path) -> None:
    host = Host(os="linux")
    engine = get_engine(dummy.name, exe="/opt/dummy", host=host)
    assert isinstance(engine, DummyEngine) and engine.exe == "/opt/dummy" and engine.host is host
    assert engine_info(dummy.name).can("dummy-capability") and not engine_info(dummy.name).can(LOCK_REBUILD)
    for command in ("create", "import"):
        assert engine_choices(command)[-1] == dummy.name
        assert parse_engine(command, dummy.name) == dummy.name

    from PySide6.QtCore import QSettings

    from desktop.ui.create_panel import CreatePanel
    from desktop.ui.settings import SettingsDialog, UiSettings
    from desktop.ui.worker import JobRunner

    dlg = SettingsDialog(UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)),
                         hosts_file=tmp_path / "hosts.txt")
    qtbot.addWidget(dlg)
    assert [dlg.engine.itemText(i) for i in range(dlg.engine.count())][-1] == dummy.name
    panel = CreatePanel(JobRunner("test"), lambda name, prefix: None, envs_dir=lambda: tmp_path, host=lambda: host)
    qtbot.addWidget(panel)
    panel.set_engine(dummy.name)
    assert panel.engine_combo.currentText() == dummy.name


def test_the_registry_refuses_a_taken_or_malformed_name(dummy: EngineInfo) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_engine(EngineInfo(dummy.name, "again", DummyEngine, lambda: Availability(True, "")))
    for bad in ("", "Upper", "two words", "semi;colon"):
        with pytest.raises(ValueError, match="lower-case word"):
            register_engine(EngineInfo(bad, "bad", DummyEngine, lambda: Availability(True, "")))
    assert engine_names() == (*REGISTERED, dummy.name)


def test_importing_the_engines_probes_nothing_and_the_embedded_child_runs_clean() -> None:
    code = (
        "import shutil, sys\n"
        "def refuse(*a, **k): raise SystemExit('PATH walked at import')\n"
        "shutil.which = refuse\n"
        "import desktop.engine\n"
        "print(sorted(m for m in ('rattler', 'asyncio', 'desktop.engine.embedded') if m in sys.modules))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "[]", p.stdout + p.stderr
    # The child process the embedded engine starts: its module must not be imported by the package first, or
    # runpy warns (and would run the module twice); -W error turns that warning into a failure.
    child = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "desktop.engine.embedded",
                            json.dumps({"action": "unknown"})], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "RuntimeWarning" not in child.stderr and "Traceback" not in child.stderr, child.stderr
    assert json.loads(child.stdout.splitlines()[-1])["e"][0] == "solve"  # it ran and reported as a child does
