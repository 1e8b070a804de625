"""Jupyter kernels for TorchDesk environments: install ipykernel into the env, write its kernelspec, remove it.

The kernelspec is a folder `<Jupyter data dir>/kernels/<name>/kernel.json`, the layout Jupyter documents
(https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs). We write kernel.json ourselves
rather than run `python -m ipykernel install`, so the name, the display name and our ownership marker are
exactly ours. A kernelspec is TorchDesk's only when its metadata carries {"torchdesk": {"prefix": ...}}; remove
never touches any other kernelspec, even one pointing at the same env.

VS Code finds the environment itself through the conda registry (~/.conda/environments.txt) TorchDesk writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .paths import env_python

MARKER = "torchdesk"
IPYKERNEL = "ipykernel"
_SAFE_RX = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class Kernel:
    """A kernelspec TorchDesk wrote: its folder, the name Jupyter lists it under, and its display name."""

    name: str
    folder: str
    display_name: str
    prefix: str


def jupyter_data_dir() -> Path:
    """The user's Jupyter data folder, as jupyter_core.paths.jupyter_data_dir() finds it.

    Order from jupyter_core/paths.py: $JUPYTER_DATA_DIR; macOS ~/Library/Jupyter; Windows %APPDATA%/jupyter;
    elsewhere $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter. (JUPYTER_PLATFORM_DIRS=1 switches jupyter_core
    to platformdirs' user_data_dir('jupyter'), which we follow too.)
    """
    env = os.environ.get("JUPYTER_DATA_DIR")
    if env:
        return Path(env).expanduser()
    home = Path(os.path.expanduser("~"))
    if os.environ.get("JUPYTER_PLATFORM_DIRS", "").lower() in ("1", "true", "yes", "on"):
        import platformdirs

        return Path(platformdirs.user_data_dir("jupyter", appauthor=False))
    if sys.platform == "darwin":
        return home / "Library" / "Jupyter"
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA")
        return Path(appdata) / "jupyter" if appdata else home / ".jupyter" / "data"
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) / "jupyter" if xdg else home / ".local" / "share" / "jupyter"


def kernels_dir() -> Path:
    """<Jupyter data dir>/kernels."""
    return jupyter_data_dir() / "kernels"


def kernel_name(prefix: Path | str, env_name: str | None = None) -> str:
    """The kernelspec folder name: 'torchdesk-<env name>' (Jupyter allows [a-z0-9._-]), plus a short hash of the
    prefix so two envs of one name in different folders never share a kernelspec."""
    p = str(Path(prefix).absolute())
    base = _SAFE_RX.sub("-", (env_name or Path(p).name).lower()).strip("-.") or "env"
    digest = hashlib.sha256(p.encode()).hexdigest()[:8]
    return f"torchdesk-{base[:40]}-{digest}"


def display_name(torch: str | None, variant: str | None, env_name: str) -> str:
    """'PyTorch 2.15.0 · cu132 · NAME' (the local label is shown as the variant, not twice)."""
    version, _, local = (torch or "").partition("+")
    parts = ["PyTorch " + version if version else "Python"]
    build = variant or local
    if build and build != "default":
        parts.append(build)
    parts.append(env_name)
    return " · ".join(parts)


def kernel_json(prefix: Path | str, display: str) -> dict[str, Any]:
    """The kernel.json body: the env's own python runs ipykernel_launcher; metadata marks it as ours."""
    prefix = Path(prefix).absolute()
    return {
        "argv": [str(env_python(prefix)), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display,
        "language": "python",
        "metadata": {"debugger": True, MARKER: {"prefix": str(prefix), "version": 1}},
    }


def _read_ours(folder: Path) -> Kernel | None:
    try:
        data = json.loads((folder / "kernel.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    meta = data.get("metadata") if isinstance(data, dict) else None
    mark = meta.get(MARKER) if isinstance(meta, dict) else None
    if not isinstance(mark, dict) or not isinstance(mark.get("prefix"), str):
        return None
    return Kernel(name=folder.name, folder=str(folder), display_name=str(data.get("display_name", folder.name)),
                  prefix=mark["prefix"])


def find_kernels(prefix: Path | str | None = None) -> list[Kernel]:
    """TorchDesk's kernelspecs (for one env when `prefix` is given); other kernelspecs are never listed."""
    root = kernels_dir()
    if not root.is_dir():
        return []
    want = str(Path(prefix).absolute()) if prefix is not None else None
    out = []
    try:
        folders = sorted(root.iterdir())
    except OSError:  # an unreadable Jupyter folder holds nothing we can list or remove
        return []
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        k = _read_ours(folder)
        if k is not None and (want is None or k.prefix == want):
            out.append(k)
    return out


def register_kernel(prefix: Path | str, *, display: str, env_name: str | None = None) -> Kernel:
    """Write the kernelspec for the env at `prefix`; replaces only a kernelspec of that name that is ours."""
    prefix = Path(prefix).absolute()
    name = kernel_name(prefix, env_name)
    folder = kernels_dir() / name
    if folder.exists() and _read_ours(folder) is None:
        raise KernelError(f"a Jupyter kernel named {name!r} already exists at {folder} and was not written by "
                          "TorchDesk; it was left as it is (remove or rename it, then try again)")
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "kernel.json.tmp"
    tmp.write_text(json.dumps(kernel_json(prefix, display), indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, folder / "kernel.json")
    return Kernel(name=name, folder=str(folder), display_name=display, prefix=str(prefix))


def remove_kernels(prefix: Path | str) -> list[Kernel]:
    """Remove the kernelspecs TorchDesk wrote for the env at `prefix`; returns what was removed."""
    removed = []
    for k in find_kernels(prefix):
        shutil.rmtree(k.folder, ignore_errors=True)
        removed.append(k)
    return removed


class KernelError(Exception):
    """A kernelspec that cannot be written; the message says why and what to do."""


def add_kernel(spec: Any, prefix: Path, *, on_line: Callable[[str], None], cancel: Any,
               pip: Callable[[list[str], list[str], str], None]) -> Kernel:
    """Install ipykernel into the env (from the extras' index) and register its kernel.

    `pip(args, requirements, what)` runs the env's own pip; the job's runner logs, cancels, and holds torch to
    its planned builds with the env's constraints file."""
    pip(list(spec.extras_index_args()), [IPYKERNEL], "ipykernel for the Jupyter kernel")
    label = spec.name or Path(prefix).name
    kernel = register_kernel(prefix, display=display_name(spec.torch, spec.variant, label), env_name=label)
    on_line(f"Jupyter kernel {kernel.display_name!r} registered at {kernel.folder}")
    return kernel
