"""The sbatch scripts equivalent to `torchdesk fleet verify`: one per node class, for clusters without submitit.

Each script asks for its class's GRES type and partition and runs `python -m desktop.fleet.task verify`, which
writes results/<class>.json in the same folder; `torchdesk fleet verify --collect DIR` prints the same table.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Sequence

import desktop

from ..errors import UsageError

from .inventory import NodeClass


def _package_root() -> str:
    return str(Path(desktop.__file__).resolve().parent.parent)


def sbatch_script(cls: NodeClass, env_python: str, folder: Path, *, job_name: str, timeout_min: int = 30,
                  python: str | None = None) -> str:
    """The text of one class's sbatch script."""
    q = shlex.quote
    py = python or sys.executable
    out = folder / "results" / f"{cls.name}.json"
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name={job_name}",
        f"#SBATCH --gres={cls.gres}",
    ]
    if cls.partition:
        lines.append(f"#SBATCH --partition={cls.partition}")
    lines += [
        "#SBATCH --ntasks=1",
        "#SBATCH --cpus-per-task=1",
        f"#SBATCH --time={timeout_min}",
        f"#SBATCH --output={folder / 'logs' / (cls.name + '-%j.out')}",
        f"# torchdesk fleet verify: the smoke test of {env_python} on class {cls.name} "
        f"({cls.model or 'model unknown'}; nodes {','.join(cls.nodes)}).",
        f"# Submit: sbatch {folder / ('verify-' + cls.name + '.sbatch')}",
        f"# Then:   torchdesk fleet verify --collect {folder}",
        "set -eu",
        f"export PYTHONPATH={q(_package_root())}${{PYTHONPATH:+:$PYTHONPATH}}",
        f"exec {q(py)} -m desktop.fleet.task verify --class {q(cls.name)} --python {q(env_python)} "
        f"--out {q(str(out))} --timeout {max(60, timeout_min * 60 - 30)}",
        "",
    ]
    return "\n".join(lines)


def write_sbatch_scripts(classes: Sequence[NodeClass], env_python: str, prefix: str, folder: Path, *,
                         job_name: str, timeout_min: int = 30) -> list[Path]:
    """Write verify-<class>.sbatch per class, and fleet.json (what --collect reads), into `folder`."""
    from ..safeio import shown_path

    folder = folder.absolute()
    try:
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise UsageError(f"{folder} already exists and is not an empty folder; name a new folder for the scripts")
        (folder / "logs").mkdir(parents=True, exist_ok=True)
        (folder / "results").mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # ENAMETOOLONG from a 100,000-character argument, a folder we may not write
        raise UsageError(f"cannot make the scripts folder {shown_path(folder)}: {exc.strerror or exc}; "
                         "name a folder you can write") from None
    paths = []
    for c in classes:
        p = folder / f"verify-{c.name}.sbatch"
        p.write_text(sbatch_script(c, env_python, folder, job_name=job_name, timeout_min=timeout_min),
                     encoding="utf-8")
        p.chmod(0o755)
        paths.append(p)
    (folder / "fleet.json").write_text(json.dumps({"prefix": prefix, "classes": [c.name for c in classes]}, indent=2),
                                       encoding="utf-8")
    return paths
