"""#10 item 5: verify judges the environment alone (no user site, no inherited PYTHON* variables), survives
anything the environment prints instead of a report, and never lets its control characters reach a terminal."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from desktop.envspec import spec_from_plan, with_sources, write_environment_yml
from hostile import cli_env, run_cli
from localrepo import LocalRepo, _record_hash, _sha256
from test_jobs import PLAN

PYV = f"python{sys.version_info.major}.{sys.version_info.minor}"

# Enough of torch's surface for the smoke script's CPU checks to pass: a "working" torch.
FAKE_TORCH = '''
__version__ = "2.5.1+cpu"
float32 = float64 = "dtype"
class _T:
    def float(self): return self
    def double(self): return self
    def abs(self): return self
    def max(self): return self
    def __matmul__(self, other): return self
    def __sub__(self, other): return self
    def __float__(self): return 0.0
class Generator:
    def manual_seed(self, seed): return self
def randn(*a, **k): return _T()
class version:
    cuda = None
    hip = None
    git_version = "fake"
class backends:
    class cudnn:
        @staticmethod
        def version(): return None
class cuda:
    @staticmethod
    def is_available(): return False
    @staticmethod
    def get_arch_list(): return []
'''


def plant_torch(site: Path) -> None:
    (site / "torch").mkdir(parents=True)
    (site / "torch" / "__init__.py").write_text(FAKE_TORCH)


@pytest.fixture
def polluted_home(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A HOME whose ~/.local site-packages has a working torch, plus PYTHONPATH/PYTHONSTARTUP pointing at more."""
    home = tmp_path / "home"
    plant_torch(home / ".local" / "lib" / PYV / "site-packages")
    plant_torch(tmp_path / "pythonpath")
    startup = tmp_path / "startup.py"
    startup.write_text(f"import sys; sys.path.insert(0, {str(tmp_path / 'pythonpath')!r})\n")
    env = cli_env(home, PYTHONPATH=str(tmp_path / "pythonpath"), PYTHONSTARTUP=str(startup),
                  PYTHONHOME=sys.base_prefix, PYTHONINSPECT="")
    return home, env


def test_a_torch_in_the_user_site_does_not_make_a_torchless_python_pass(polluted_home: tuple[Path, dict[str, str]]) -> None:
    home, env = polluted_home
    own = subprocess.run([sys.executable, "-I", "-c", "import torch"], capture_output=True)
    if own.returncode == 0:
        pytest.skip("this interpreter has a torch of its own: nothing to borrow from the user site")
    # Sanity: without isolation this interpreter really does import the planted torch.
    borrowed = subprocess.run([sys.executable, "-c", "import torch; print(torch.__file__)"], env=env,
                              capture_output=True, text=True)
    assert borrowed.returncode == 0 and ("pythonpath" in borrowed.stdout or str(home) in borrowed.stdout), borrowed
    r = run_cli(["verify", "--python", sys.executable, "--no-expect-gpu"], home, env=env)
    assert "Traceback" not in r.stderr
    assert r.returncode == 1, r.stdout
    assert r.stdout.startswith("FAIL: torch is not installed"), r.stdout


def test_doctor_does_not_report_the_user_site_torch(polluted_home: tuple[Path, dict[str, str]]) -> None:
    home, env = polluted_home
    prefix = home / ".conda" / "envs" / "borrowed"
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "history").write_text("")
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python").symlink_to(sys.executable)
    dist = prefix / "lib" / PYV / "site-packages" / "torch-2.5.1+cpu.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.5.1+cpu\n")
    (home / ".conda" / "environments.txt").write_text(f"{prefix}\n")
    r = run_cli(["doctor", "--json"], home, env=env)
    assert "Traceback" not in r.stderr, r.stderr
    rows = [row for row in json.loads(r.stdout) if row["env"] == "borrowed"]
    assert rows and rows[0]["verdict"] == "fail" and "not installed" in rows[0]["cause"], rows
    assert r.returncode == 1


def fake_python(tmp_path: Path, output: str) -> Path:
    """An 'interpreter' that prints `output` whatever it is asked: what a wrapper or a hostile env can do."""
    py = tmp_path / "bin" / "python"
    py.parent.mkdir(parents=True, exist_ok=True)
    body = tmp_path / "output.txt"
    body.write_text(output)
    py.write_text(f"#!/bin/sh\ncat '{body}'\n")
    py.chmod(0o755)
    return py


ODD_REPORTS = {
    "no-report": "just some text, and exit 0\n",
    "list": "TORCHDESK_REPORT [1, 2]\n",
    "string": 'TORCHDESK_REPORT "complete"\n',
    "not-json": "TORCHDESK_REPORT {complete: yes\n",
    "deep": "TORCHDESK_REPORT " + "[" * 100_000 + "]" * 100_000 + "\n",
    "wrong-types": 'TORCHDESK_REPORT {"complete": true, "import_torch": "yes", "checks": 7}\n',
    "wrong-inner-types": 'TORCHDESK_REPORT {"complete": true, "import_torch": {"ok": true}, "torch": "x", '
                         '"cuda": {"available": false, "reason": "cpu_build"}, '
                         '"checks": [{"name": "cpu_matmul", "ok": false, "rel_err": "big"}]}\n',
}


@pytest.mark.parametrize("kind", list(ODD_REPORTS))
def test_whatever_the_environment_prints_is_a_verdict_not_a_traceback(kind: str, tmp_path: Path) -> None:
    py = fake_python(tmp_path, "hello from a wrapper \x1b]0;pwned\x07\x1b[2J\n" + ODD_REPORTS[kind])
    for args in (["verify", "--python", str(py)], ["verify", "--python", str(py), "--json"]):
        r = run_cli(args, tmp_path / "home")
        assert "Traceback" not in r.stderr + r.stdout, r.stderr
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        assert "\x1b" not in r.stdout + r.stderr and "\x07" not in r.stdout + r.stderr
    r = run_cli(["verify", "--python", str(py)], tmp_path / "home")
    assert r.stdout.startswith("FAIL: ")
    if kind != "wrong-inner-types":
        assert "the environment printed something unexpected" in r.stdout
    assert "\\x1b]0;pwned" in r.stderr  # the env's own line, shown escaped


def test_control_characters_in_a_report_are_escaped(tmp_path: Path) -> None:
    report = {"complete": True, "stage": "done", "python": {"version": "3.11\x1b[31m", "executable": "/x\x1b[2J"},
              "import_torch": {"ok": False, "error": {"kind": "other", "detail": "boom \x1b]0;title\x07 \x9b31m"}},
              "dists": {"torch": "2.5.1"}}
    py = fake_python(tmp_path, "TORCHDESK_REPORT " + json.dumps(report) + "\n")
    r = run_cli(["verify", "--python", str(py)], tmp_path / "home")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    out = r.stdout + r.stderr
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "boom \\x1b]0;title\\x07" in r.stdout


def _sitecustomize_wheel(root: Path) -> Path:
    """A PEP 503 index with one wheel whose sitecustomize.py prints a bogus report line at exit."""
    files = {
        "sitecustomize.py": "import atexit, sys\n"
                            "atexit.register(lambda: sys.stdout.write('TORCHDESK_REPORT [1, 2, 3]\\n'))\n",
        "td_hostile-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: td-hostile\nVersion: 1.0\n",
        "td_hostile-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{p},{_record_hash(c.encode())},{len(c.encode())}\n" for p, c in files.items())
    files["td_hostile-1.0.dist-info/RECORD"] = record + "td_hostile-1.0.dist-info/RECORD,,\n"
    (root / "files").mkdir(parents=True)
    whl = root / "files" / "td_hostile-1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        for p, c in files.items():
            z.writestr(p, c)
    simple = root / "simple"
    (simple / "td-hostile").mkdir(parents=True)
    (simple / "td-hostile" / "index.html").write_text(
        f'<a href="../../files/{whl.name}#sha256={_sha256(whl)}">{whl.name}</a>\n')
    (simple / "index.html").write_text('<a href="td-hostile/">td-hostile</a>\n')
    return simple


def test_create_keeps_the_fresh_env_when_its_report_is_not_an_object(repo: LocalRepo, pkgs: Path, tmp_path: Path) -> None:
    extras = _sitecustomize_wheel(tmp_path / "hostile-index")
    spec = with_sources(spec_from_plan(PLAN, name="odd", extras=["td-hostile"]), channels=[repo.channel_url],
                        index_url=repo.torch_index_url, extras_index_url=extras.as_uri())
    yml = tmp_path / "environment.yml"
    yml.write_text(write_environment_yml(spec))
    home = tmp_path / "home"
    env = cli_env(home, TORCHDESK_PKGS_DIR=str(pkgs), TORCHDESK_ENVS_DIR=str(home / "envs"))
    r = run_cli(["import", str(yml), "--yes", "--force"], home, env=env, timeout=600)
    assert "Traceback" not in r.stderr and "unexpected error" not in r.stderr, r.stdout + r.stderr
    assert r.returncode == 1 and "the environment printed something unexpected" in r.stderr, r.stdout + r.stderr
    prefix = home / "envs" / "odd"
    assert (prefix / "conda-meta" / "history").is_file() and "was kept" in r.stderr


def test_doctor_escapes_what_an_env_names_and_prints(tmp_path: Path) -> None:
    home = tmp_path / "home"
    conda = home / "miniconda3" / "bin" / "conda"  # an installation, so detection walks its envs/
    conda.parent.mkdir(parents=True)
    conda.write_text("#!/bin/sh\nexit 1\n")
    conda.chmod(0o755)
    prefix = home / "miniconda3" / "envs" / "e\x1b[2Jvil"
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "history").write_text("")
    dist = prefix / "lib" / "python3.11" / "site-packages" / "torch-2.5.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.5.1\n")
    py = fake_python(prefix, "\x1b]0;pwned\x07\nTORCHDESK_REPORT {\"complete\": true, \"import_torch\": 1}\n")
    assert py == prefix / "bin" / "python"
    for args in (["doctor"], ["doctor", "--json"]):
        r = run_cli(args, home)
        assert "Traceback" not in r.stderr, r.stderr
        assert r.returncode == 1, r.stdout + r.stderr
        assert "\x1b" not in r.stdout + r.stderr and "\x07" not in r.stdout + r.stderr
    assert "the environment printed something unexpected" in r.stdout
