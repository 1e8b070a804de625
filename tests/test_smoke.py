"""The smoke script itself: its grammar, its error table, and real runs by real interpreters."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.smoke import torchdesk_smoke_words as smoke

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "desktop" / "smoke" / "torchdesk_smoke.py"
# Every file of the folder: the script parts that verify copies next to each other, and the package __init__.
PARTS = sorted((ROOT / "desktop" / "smoke").glob("*.py"))
PART_IDS = [p.name for p in PARTS]
DATA = Path(__file__).resolve().parent / "verify_data"


def test_the_folder_holds_the_script_parts() -> None:
    assert {p.name for p in PARTS} == {"__init__.py", "torchdesk_smoke.py", "torchdesk_smoke_words.py",
                                       "torchdesk_smoke_facts.py", "torchdesk_smoke_checks.py",
                                       "torchdesk_smoke_ext.py"}


@pytest.mark.parametrize("part", PARTS, ids=PART_IDS)
def test_script_parses_as_python_3_6(part: Path) -> None:
    ast.parse(part.read_text(encoding="utf-8"), feature_version=(3, 6))


def _top_level_imports(part: Path) -> set[str]:
    """Modules a file imports when it loads: its top-level imports, including those inside a top-level try."""
    nodes: list[ast.stmt] = []
    for node in ast.parse(part.read_text(encoding="utf-8")).body:
        nodes.append(node)
        if isinstance(node, ast.Try):
            nodes.extend(node.body)
            for handler in node.handlers:
                nodes.extend(handler.body)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("part", PARTS, ids=PART_IDS)
def test_script_imports_only_the_standard_library_and_its_siblings_at_top_level(part: Path) -> None:
    names = {n for n in _top_level_imports(part) if not n.startswith("torchdesk_smoke")}
    assert names <= set(sys.stdlib_module_names), names - set(sys.stdlib_module_names)


def test_the_package_init_is_a_map_that_imports_nothing() -> None:
    body = ast.parse((ROOT / "desktop" / "smoke" / "__init__.py").read_text(encoding="utf-8")).body
    assert len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)


def test_the_words_the_core_imports_import_no_sibling() -> None:
    assert not {n for n in _top_level_imports(SCRIPT.with_name("torchdesk_smoke_words.py"))
                if n.startswith("torchdesk_smoke")}


def _cases() -> list:
    out = []
    for f in sorted(DATA.glob("*.json")):
        table = json.loads(f.read_text(encoding="utf-8"))
        if "cases" not in table:
            continue
        for i, case in enumerate(table["cases"]):
            out.append(pytest.param(table["kind"], case, id=f"{f.stem}-{i}"))
    return out


@pytest.mark.parametrize("kind, case", _cases())
def test_classify_real_error_texts(kind: str, case: dict) -> None:
    assert case["source"].startswith("https://github.com/")
    got_kind, detail = smoke.classify_error(case["text"])
    assert got_kind == kind
    if "detail" in case:
        assert detail == case["detail"]


def test_every_kind_the_issue_names_has_real_texts() -> None:
    kinds = {json.loads(f.read_text())["kind"] for f in DATA.glob("*.json") if "cases" in json.loads(f.read_text())}
    assert {"numpy_abi", "torchvision_mismatch", "arch_unsupported", "no_kernel_image", "missing_library"} <= kinds


@pytest.mark.parametrize("text", ["", "ModuleNotFoundError: No module named 'torch'", "ValueError: something else"])
def test_unknown_texts_are_other(text: str) -> None:
    assert smoke.classify_error(text)[0] == "other"


@pytest.mark.parametrize(
    "cc, arch, want",
    [
        ((9, 0), ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"], "sass"),  # the H100 capture
        ((8, 9), ["sm_80", "sm_86", "sm_90"], "sass"),  # sm_86 cubins run on 8.9
        ((12, 0), ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"], None),  # RTX 5090, torch 2.6 cu124
        ((12, 0), ["sm_80", "sm_90", "compute_90"], "ptx"),  # PTX JIT
        ((9, 0), ["sm_90a"], "sass"),
        ((10, 0), ["sm_90a", "compute_90a"], None),  # arch-specific code runs only on its own cc
        ((8, 6), ["sm_89"], None),  # a higher minor does not run on a lower one
        ((7, 5), [], None),
    ],
)
def test_cc_covered(cc: tuple, arch: list, want: str | None) -> None:
    assert smoke.cc_covered(cc, arch) == want


def _run_script(python: str, tmp_path: Path, cwd: Path | None = None) -> tuple[dict, str]:
    report = tmp_path / "report.json"
    p = subprocess.run([python, "-E", str(SCRIPT), str(report)], capture_output=True, text=True, timeout=300,
                       cwd=cwd or tmp_path)
    assert p.returncode == 0, p.stderr
    marker = [ln for ln in p.stdout.splitlines() if ln.startswith(smoke.REPORT_MARKER)]
    assert len(marker) == 1
    assert json.loads(marker[0][len(smoke.REPORT_MARKER):]) == json.loads(report.read_text())
    return json.loads(report.read_text()), p.stdout


def test_real_run_without_torch(tmp_path: Path) -> None:
    rep, out = _run_script(sys.executable, tmp_path)
    assert rep["complete"] and rep["stage"] == "done"
    assert rep["python"]["version"] == "{}.{}.{}".format(*sys.version_info[:3])
    assert rep["import_torch"]["ok"] is False
    assert rep["import_torch"]["error"]["kind"] == "not_installed"
    assert "driver" in rep
    assert "[smoke] import torch:" in out


def test_a_torch_folder_in_the_working_directory_does_not_shadow(tmp_path: Path) -> None:
    fake = tmp_path / "cwd" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise RuntimeError('the fake torch was imported')\n")
    # The script lives next to the fake package too: neither location may be on sys.path.
    for part in SCRIPT.parent.glob("torchdesk_smoke*.py"):
        (tmp_path / "cwd" / part.name).write_text(part.read_text())
    script_copy = tmp_path / "cwd" / SCRIPT.name
    p = subprocess.run([sys.executable, "-E", str(script_copy)], capture_output=True, text=True,
                       cwd=tmp_path / "cwd", timeout=120)
    line = [ln for ln in p.stdout.splitlines() if ln.startswith(smoke.REPORT_MARKER)][0]
    rep = json.loads(line[len(smoke.REPORT_MARKER):])
    assert rep["import_torch"]["error"]["kind"] == "not_installed"


def test_module_import_runs_nothing() -> None:
    mods = ", ".join("desktop.smoke." + p.stem for p in PARTS if p.stem != "__init__")
    code = f"import desktop.smoke, {mods}, sys; print('torch' in sys.modules)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.stdout.strip() == "False"


def test_the_copied_parts_run_in_isolated_mode_too(tmp_path: Path) -> None:
    """`python -I` puts no script folder on sys.path: the entry still finds its siblings, and then takes it off."""
    folder = tmp_path / "copy"
    folder.mkdir()
    for part in SCRIPT.parent.glob("torchdesk_smoke*.py"):
        (folder / part.name).write_text(part.read_text())
    code = (f"import runpy, sys; runpy.run_path({str(folder / SCRIPT.name)!r}, run_name='not_main'); "
            f"print(any(p == {str(folder)!r} for p in sys.path))")
    p = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "True", p.stderr  # loading put the folder on the path
    report = tmp_path / "report.json"
    p = subprocess.run([sys.executable, "-I", str(folder / SCRIPT.name), str(report)], capture_output=True,
                       text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    rep = json.loads(report.read_text())
    assert rep["complete"] and rep["import_torch"]["error"]["kind"] == "not_installed"
