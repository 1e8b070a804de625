"""Every failed smoke check counts: one the verdict has no words for is judged by the severity it carries (at
least a warning), added here to the report captured on a real H100 (tests/verify_data/h100_verify.json)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop.matrixload import default_matrix
from desktop.smokereport import KNOWN_CHECKS, read_checks
from desktop.verdicts import judge

DATA = Path(__file__).resolve().parent / "verify_data"
SMOKE = Path(__file__).resolve().parent.parent / "desktop" / "smoke"  # the folder verify copies the script from


@pytest.fixture(scope="module")
def matrix() -> Any:
    return default_matrix()


@pytest.fixture
def h100() -> dict[str, Any]:
    return copy.deepcopy(json.loads((DATA / "h100_verify.json").read_text())["report"])


def test_the_captured_report_passes_as_it_is(h100: dict[str, Any], matrix: Any) -> None:
    assert judge(h100, matrix=matrix).verdict == "pass"
    assert {c.name for c in read_checks(h100)} <= set(KNOWN_CHECKS)


@pytest.mark.parametrize("severity, verdict", [("fail", "fail"), ("warn", "warn"), (None, "warn"), ("bogus", "warn")])
def test_an_unknown_failing_check_makes_the_verdict_fail_or_warn(h100: dict[str, Any], matrix: Any,
                                                                 severity: str | None, verdict: str) -> None:
    entry: dict[str, Any] = {"name": "fp8_matmul", "gpu": None, "ok": False,
                             "error": {"kind": "other", "detail": "RuntimeError: no fp8 kernels"}, "seconds": 0.01}
    if severity is not None:
        entry["severity"] = severity
    h100["checks"].append(entry)
    j = judge(h100, matrix=matrix)
    assert j.verdict == verdict
    assert j.cause == "the fp8_matmul check failed: RuntimeError: no fp8 kernels"


def test_an_unknown_check_that_passes_changes_nothing(h100: dict[str, Any], matrix: Any) -> None:
    h100["checks"].append({"name": "fp8_matmul", "gpu": None, "ok": True, "severity": "fail", "seconds": 0.01})
    assert judge(h100, matrix=matrix).verdict == "pass"


def test_an_unknown_failing_check_is_listed_beside_other_failures(h100: dict[str, Any], matrix: Any) -> None:
    h100["checks"][0].update(ok=False, rel_err=0.5, tol=1e-4)  # cpu_matmul: a failure judge() has words for
    h100["checks"].append({"name": "sparse_mm", "gpu": None, "ok": False, "severity": "warn"})
    j = judge(h100, matrix=matrix)
    assert j.verdict == "fail" and "cannot multiply two small matrices on the CPU" in j.cause
    assert "the sparse_mm check failed: wrong result" in j.warnings


def test_a_known_check_failing_where_no_judge_looks_still_counts(h100: dict[str, Any], matrix: Any) -> None:
    # numpy_interop is judged only when the report says numpy is installed; here it says not.
    h100["numpy"] = {"installed": False}
    h100["checks"].append({"name": "numpy_interop", "gpu": None, "ok": False,
                           "error": {"kind": "other", "detail": "ValueError: bad buffer"}})
    j = judge(h100, matrix=matrix)
    assert j.verdict == "fail" and "numpy_interop" in j.cause and "bad buffer" in j.cause


def test_a_malformed_check_entry_is_a_warning_not_a_crash(h100: dict[str, Any], matrix: Any) -> None:
    h100["checks"].append("not an object")
    assert [c.name for c in read_checks(h100)][-1] == "?"
    assert read_checks(h100)[-1].severity == "warn" and not read_checks(h100)[-1].ok


def test_the_smoke_script_writes_each_checks_severity(tmp_path: Path) -> None:
    """The real script, run by a real interpreter with no torch: its cpu check is not reached, so run one."""
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(SMOKE)!r})\n"  # as the script runs: its siblings are top-level modules
        "import torchdesk_smoke as smoke\n"
        f"run = smoke._Run({str(tmp_path / 'r.json')!r})\n"
        "run.say = lambda *a: None\n"
        "run.check('default', lambda: {})\n"
        "run.check('soft', lambda: 1 / 0, severity='warn')\n"
        "print(json.dumps(run.report['checks']))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    checks = json.loads(p.stdout.strip().splitlines()[-1])
    assert [(c["name"], c["severity"], c["ok"]) for c in checks] == [("default", "fail", True), ("soft", "warn", False)]


@pytest.mark.parametrize("detail, says", [
    ("RuntimeError: Error building extension 'torchdesk_ext_cpp'", "cannot build a torch extension"),
    ("RuntimeError: Ninja is required to load C++ extensions", "pip install ninja"),
])
def test_a_failed_extension_check_fails_with_a_toolchain_fix(h100: dict[str, Any], matrix: Any, detail: str,
                                                             says: str) -> None:
    h100["checks"].append({"name": "cpp_extension", "gpu": None, "ok": False, "severity": "fail",
                           "error": {"kind": "other", "detail": detail}})
    j = judge(h100, matrix=matrix)
    assert j.verdict == "fail" and j.cause == f"the cpp_extension check failed: {detail}"
    assert says in j.fix
