"""Test helpers shared by the day-two, toolchain and exact-lock tests: STAND-IN wheels on a flat local index, a pip
environment that reads no user config, and the CLI run in a subprocess from the repository root."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from desktop.model import Plan

ROOT = Path(__file__).resolve().parent.parent
# The plan the local repo's stand-in wheels (tests/localrepo.py: torch 2.5.1+cpu & co.) satisfy.
CPU_PLAN = Plan(torch="2.5.1", variant="cpu", python="3.11", torchvision="0.20.1", torchaudio="2.5.1", numpy="<2",
                index_url="https://download.pytorch.org/whl/cpu")


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def standin_wheel(root: Path, name: str, version: str, files: dict[str, str], *, metadata: str = "",
                  executables: tuple[str, ...] = ()) -> Path:
    """Add a STAND-IN wheel of `name` holding `files` to the index under root (root/files, root/simple/<name>/),
    writing its METADATA (plus `metadata` lines), WHEEL and RECORD; `executables` get mode 755. Returns root/simple."""
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    files = {**files, f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{metadata}",
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: torchdesk-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{dist}/RECORD"] = "".join(f"{p},{_record_hash(c.encode())},{len(c.encode())}\n"
                                      for p, c in files.items()) + f"{dist}/RECORD,,\n"
    (root / "files").mkdir(parents=True, exist_ok=True)
    whl = root / "files" / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        for p, c in files.items():
            info = zipfile.ZipInfo(p)
            info.external_attr = (0o100755 if p in executables else 0o100644) << 16
            z.writestr(info, c)
    (root / "simple" / name).mkdir(parents=True)
    (root / "simple" / name / "index.html").write_text(f'<a href="../../files/{whl.name}">{whl.name}</a>\n')
    return root / "simple"


def standin_ipykernel(root: Path) -> Path:
    """A PEP 503 index with a STAND-IN ipykernel: its ipykernel_launcher writes down its argv and interpreter."""
    return standin_wheel(root, "ipykernel", "6.29.5", {
        "ipykernel/__init__.py": "__version__ = '6.29.5'  # TorchDesk test stand-in, not the real ipykernel\n",
        "ipykernel_launcher.py": ("import json, sys\n"
                                  "i = sys.argv.index('-f')\n"
                                  "open(sys.argv[i + 1] + '.launched', 'w').write(json.dumps("
                                  "{'argv': sys.argv[1:], 'prefix': sys.prefix}))\n"),
    })


def pip_env() -> dict[str, str]:
    """os.environ without the caller's pip, uv, Python and conda settings: a pip run that reads no user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PYTHON", "CONDA_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               PIP_ROOT_USER_ACTION="ignore")
    return env


def run_cli(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """`python -m desktop.cli ARGS` from the repository root, without the caller's PIP_/UV_ settings;
    `check` asserts it exited 0 (with its output as the assertion's message)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    p = subprocess.run([sys.executable, "-m", "desktop.cli", *args], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=300, check=False)
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p
