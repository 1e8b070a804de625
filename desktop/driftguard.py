"""The drift guard: keep an environment on its planned torch builds, notice when they were swapped, put them back.

What a guarded environment holds (all written by `write_guard`, all inside the env):
  * etc/torchdesk/constraints.txt: the exact torch/torchvision/torchaudio pins (local labels included) and the
    numpy bound. pip reads it through PIP_CONSTRAINT and uv through UV_CONSTRAINT; both are set by
    activation scripts in etc/conda/activate.d (and put back by deactivate.d), one per shell conda supports
    there: .sh (bash/zsh), .fish, .ps1 (PowerShell), .bat (cmd). Both variables take a space-separated list
    (pip's environment options, uv's documented UV_CONSTRAINT), so a path with a space is given as a file: URL.
  * conda-meta/pinned: conda's own pin file (python, numpy's bound, conda-forge's `pytorch` held to the
    planned version and kind of build), so a later `conda install` cannot swap them either.
  * etc/torchdesk/guard.json: the planned pins and a fingerprint of each installed dist-info (its
    RECORD's sha256, INSTALLER): a same-version torch from another index has another RECORD.

`check_drift` reads only files (nothing in the env is run); `repair_env` (desktop/driftrepair.py) reinstalls only
the drifted packages from the index the env was built from, without touching the rest.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

GUARD_DIR = Path("etc") / "torchdesk"
CONSTRAINTS = GUARD_DIR / "constraints.txt"
RECORD = GUARD_DIR / "guard.json"  # not in conda-meta/: conda reads every *.json there as a package record
PINNED = Path("conda-meta") / "pinned"
SCRIPT = "torchdesk-guard"
GUARDED = ("torch", "torchvision", "torchaudio", "numpy")
VARS = ("PIP_CONSTRAINT", "UV_CONSTRAINT")
# Two dist-infos written within this many seconds of each other came from one install run.
SAME_RUN_S = 120.0


class GuardError(Exception):
    """The guard cannot be read or written; the message says why and what to do."""


@dataclass(frozen=True)
class Installed:
    """One installed distribution as its dist-info tells it."""

    name: str
    version: str
    installer: str | None
    mtime: float
    record_sha256: str | None  # the guarded packages only (GUARDED): nothing else compares it
    path: str


@dataclass(frozen=True)
class Drift:
    """One package that is not what the plan installed: kind is missing | version | cpu-build | other-index |
    numpy-bound."""

    package: str
    kind: str
    planned: str
    found: str | None
    installer: str | None = None
    installed_at: str | None = None
    with_packages: tuple[str, ...] = ()  # what was installed in the same run: likely what pulled it in
    message: str = ""


@dataclass(frozen=True)
class GuardReport:
    """The guard's view of one env: guarded is False for an env TorchDesk did not guard."""

    prefix: str
    guarded: bool
    drifts: tuple[Drift, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.drifts

    def to_json(self) -> dict[str, Any]:
        return {"guarded": self.guarded, "drifts": [asdict(d) for d in self.drifts], "notes": list(self.notes)}


# --- reading dist-infos -------------------------------------------------------------------------------------------

def norm_name(name: str) -> str:
    """A distribution name as PEP 503 compares it: lower case, runs of -_. as one -."""
    return canonicalize_name(name)


def site_packages(prefix: Path) -> list[Path]:
    """The env's site-packages folders (POSIX lib/pythonX.Y, Windows Lib)."""
    out = sorted((prefix / "lib").glob("python3*/site-packages")) if (prefix / "lib").is_dir() else []
    win = prefix / "Lib" / "site-packages"
    return out + ([win] if win.is_dir() else [])


def _meta_field(text: str, key: str) -> str | None:
    for line in text.splitlines():
        if not line.strip():
            break  # headers end at the first blank line
        k, _, v = line.partition(":")
        if k.strip().lower() == key:
            return v.strip()
    return None


def read_installed(prefix: Path) -> dict[str, Installed]:
    """Every dist-info in the env's site-packages, by normalized name."""
    out: dict[str, Installed] = {}
    for site in site_packages(prefix):
        for info in sorted(site.glob("*.dist-info")):
            try:
                meta = (info / "METADATA").read_text(encoding="utf-8", errors="replace")[:16384]
            except OSError:
                continue
            name, version = _meta_field(meta, "name"), _meta_field(meta, "version")
            if not name or not version:
                continue
            try:
                installer: str | None = (info / "INSTALLER").read_text(encoding="utf-8", errors="replace").strip() or None
            except OSError:
                installer = None
            key = norm_name(name)
            record = None
            if key in GUARDED:  # only the guarded packages' fingerprints are ever compared: hash no other RECORD
                try:
                    record = hashlib.sha256((info / "RECORD").read_bytes()).hexdigest()
                except OSError:
                    record = None
            mtimes = [p.stat().st_mtime for p in (info / "RECORD", info / "INSTALLER", info / "METADATA") if p.exists()]
            out[key] = Installed(key, version, installer, max(mtimes or [info.stat().st_mtime]), record, str(info))
    return out


# --- writing the guard --------------------------------------------------------------------------------------------

def constraint_lines(spec: Any) -> list[str]:
    """The planned pins and the numpy bound, as pip/uv constraint lines."""
    lines = list(spec.torch_pins)
    if spec.numpy:
        lines.append(f"numpy{spec.numpy}")
    return lines


def constraint_value(path: Path) -> str:
    """What PIP_CONSTRAINT / UV_CONSTRAINT hold: the path, or its file: URL when it has whitespace (both tools
    split these variables on whitespace)."""
    text = str(path)
    return path.as_uri() if re.search(r"\s", text) else text


def _sh(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def _fish(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ps(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _bat(value: str) -> str:
    return value.replace("%", "%%")


def activation_scripts(value: str) -> dict[str, str]:
    """{relative path: text} of the activate.d / deactivate.d scripts for sh, fish, PowerShell and cmd.

    Each keeps a value the user had (ours goes first, theirs stays) and deactivate puts it back."""
    from .activation import activation_files, saved_name

    head = "# TorchDesk drift guard: pip and uv keep this environment's planned torch builds.\n"
    activate: dict[str, dict[str, str]] = {}
    for var in VARS:
        s = saved_name(var)
        activate[var] = {
            "sh": (f'if [ -n "${{{var}+x}}" ]; then export {s}="${var}"; export {var}={_sh(value)}" ${var}"; '
                   f"else export {var}={_sh(value)}; fi\n"),
            "fish": (f'if set -q {var}\n    set -gx {s} "${var}"\n    set -gx {var} {_fish(value)}" ${var}"\n'
                     f"else\n    set -gx {var} {_fish(value)}\nend\n"),
            "ps1": (f"if (Test-Path Env:{var}) {{ $Env:{s} = $Env:{var}; $Env:{var} = {_ps(value + ' ')} + $Env:{var} }} "
                    f"else {{ $Env:{var} = {_ps(value)} }}\n"),
            "bat": (f'@if defined {var} (set "{s}=%{var}%" & set "{var}={_bat(value)} %{var}%") '
                    f'else (set "{var}={_bat(value)}")\n'),
        }
    return activation_files(SCRIPT, head, activate)


def conda_pins(spec: Any) -> list[str]:
    """conda-meta/pinned lines: Python's minor version, numpy's bound, and conda-forge's `pytorch` held to the
    planned version and kind of build (its build strings start with cuda / cpu)."""
    lines = [f"python {spec.python}.*"]
    if spec.numpy:
        lines.append(f"numpy {spec.numpy}")
    torch = spec.torch
    if torch:
        version, _, local = torch.partition("+")
        variant = spec.variant or local
        kind = "cuda*" if variant.startswith("cu") else "cpu*" if variant == "cpu" else None
        lines.append(f"pytorch {version} {kind}" if kind else f"pytorch {version}")
    return lines


def write_guard(spec: Any, prefix: Path) -> list[Path]:
    """Write the constraints file, activation scripts, conda-meta/pinned and the fingerprint record; returns the
    files written. A conda-meta/pinned the env already has keeps its lines; ours are added."""
    prefix = Path(prefix)
    write_guard_files_only(spec, prefix)
    written = [prefix / CONSTRAINTS, *(prefix / rel for rel in activation_scripts(""))]
    pinned = prefix / PINNED
    have = pinned.read_text(encoding="utf-8").splitlines() if pinned.is_file() else []
    add = [line for line in conda_pins(spec) if line not in have]
    if add:
        pinned.parent.mkdir(parents=True, exist_ok=True)
        pinned.write_text("".join(f"{line}\n" for line in [*have, *add]), encoding="utf-8")
        written.append(pinned)
    record_fingerprints(spec, prefix)
    written.append(prefix / RECORD)
    return written


def record_fingerprints(spec: Any, prefix: Path) -> None:
    """Save the planned pins and the installed dist-infos' fingerprints to etc/torchdesk/guard.json."""
    installed = read_installed(prefix)
    planned = {n: spec.pin_version(n) for n in ("torch", "torchvision", "torchaudio") if spec.pin_version(n)}
    data = {
        "version": 1,
        "planned": planned,
        "numpy": spec.numpy,
        "variant": spec.variant,
        "fingerprints": {n: {"version": i.version, "record_sha256": i.record_sha256, "installer": i.installer}
                         for n, i in installed.items() if n in GUARDED},
        "written": datetime.now().isoformat(timespec="seconds"),
    }
    (prefix / RECORD).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def read_record(prefix: Path) -> dict[str, Any] | None:
    """The guard record, or None for an env TorchDesk did not guard (or a record that is not ours to trust)."""
    try:
        data = json.loads((Path(prefix) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("planned"), dict):
        return None
    return data


# --- checking -----------------------------------------------------------------------------------------------------

def _is_version(text: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _same_run(target: Installed, installed: dict[str, Installed]) -> tuple[str, ...]:
    near = [i for n, i in installed.items() if n not in GUARDED and abs(i.mtime - target.mtime) <= SAME_RUN_S]
    return tuple(f"{i.name} {i.version}" for i in sorted(near, key=lambda i: abs(i.mtime - target.mtime)))


def _who(found: Installed, installed: dict[str, Installed]) -> tuple[str, tuple[str, ...]]:
    others = _same_run(found, installed)
    by = f"installed by {found.installer or 'an unknown installer'} at {_when(found.mtime)}"
    if others:
        by += f", together with {', '.join(others)} (likely what pulled it in)"
    return by, others


def check_drift(prefix: Path | str) -> GuardReport:
    """Compare the env's installed torch/torchvision/torchaudio/numpy with its guard record; reads files only."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    prefix = Path(prefix)
    record = read_record(prefix)
    if record is None:
        why = "not guarded: TorchDesk did not build this environment, or it predates the drift guard"
        return GuardReport(str(prefix), False, notes=(why,))
    installed = read_installed(prefix)
    fps = record.get("fingerprints") if isinstance(record.get("fingerprints"), dict) else {}
    drifts: list[Drift] = []
    notes: list[str] = []
    for pkg, planned in record["planned"].items():
        planned = str(planned)
        if pkg not in GUARDED[:3] or not _is_version(planned):
            notes.append(f"ignored a guard entry that is not a torch/torchvision/torchaudio version: {pkg!r}")
            continue  # a hand-edited or hostile record names nothing else, and nothing it names reaches pip
        found = installed.get(norm_name(str(pkg)))
        if found is None:
            drifts.append(Drift(str(pkg), "missing", planned, None,
                                message=f"{pkg} {planned} was planned but is not installed"))
            continue
        by, others = _who(found, installed)
        plan_local = planned.partition("+")[2]
        got_local = found.version.partition("+")[2]
        if found.version != planned:
            gpu_planned = plan_local.startswith(("cu", "rocm"))
            kind = "cpu-build" if gpu_planned and (got_local in ("", "cpu")) else "version"
            what = "a CPU-only build" if kind == "cpu-build" else "another build"
            drifts.append(Drift(str(pkg), kind, planned, found.version, found.installer, _when(found.mtime), others,
                                f"{pkg} {found.version} ({what}) replaced the planned {planned}: {by}"))
            continue
        fp = fps.get(norm_name(str(pkg))) if isinstance(fps, dict) else None
        if isinstance(fp, dict) and fp.get("record_sha256") and found.record_sha256 \
                and fp["record_sha256"] != found.record_sha256:
            drifts.append(Drift(str(pkg), "other-index", planned, found.version, found.installer, _when(found.mtime),
                                others, f"{pkg} {found.version} is not the planned build's files (installed from "
                                        f"another index or rebuilt): {by}"))
    bound = record.get("numpy")
    if isinstance(bound, str) and not re.fullmatch(r"[<>=!~0-9.,* ]+", bound):
        notes.append(f"ignored a numpy bound that is not a version specifier: {bound!r}")
        bound = None
    np_found = installed.get("numpy")
    if isinstance(bound, str) and bound and np_found is not None:
        try:
            ok = Version(np_found.version) in SpecifierSet(bound, prereleases=True)
        except (InvalidSpecifier, InvalidVersion):
            ok = True
            notes.append(f"could not compare numpy {np_found.version} with the bound {bound!r}")
        if not ok:
            by, others = _who(np_found, installed)
            drifts.append(Drift("numpy", "numpy-bound", f"numpy{bound}", np_found.version, np_found.installer,
                                _when(np_found.mtime), others,
                                f"numpy {np_found.version} is past the planned bound {bound}: {by}"))
    if not (prefix / CONSTRAINTS).is_file():
        notes.append("the constraints file is gone: `torchdesk repair` writes it again")
    return GuardReport(str(prefix), True, tuple(drifts), tuple(notes))


def write_guard_files_only(spec: Any, prefix: Path) -> None:
    """Rewrite the constraints file and activation scripts (repair brings back a guard someone removed)."""
    prefix = Path(prefix)
    cons = prefix / CONSTRAINTS
    cons.parent.mkdir(parents=True, exist_ok=True)
    cons.write_text("# Written by TorchDesk: the planned builds of this environment (pip -c / PIP_CONSTRAINT).\n"
                    + "".join(f"{line}\n" for line in constraint_lines(spec)), encoding="utf-8")
    for rel, text in activation_scripts(constraint_value(cons)).items():
        p = prefix / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="\r\n" if rel.endswith(".bat") else "\n")
