"""`repair`: put an environment's drifted torch/torchvision/torchaudio/numpy back on its planned builds, from the
index it was built from, without touching the rest (the drift guard's other half, desktop/driftguard.py).

Repair holds the prefix's lock (desktop/locks.py) for its whole run, like create, remove and import: it is refused
at once while another job works on the env, and for a folder a create is still building or left unfinished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .driftguard import CONSTRAINTS, Drift, check_drift, record_fingerprints, write_guard_files_only
from .locks import EnvLock, LockError, hold_finished_env
from .wheelenv import pip_env
from .paths import SPEC_RECORD


@dataclass(frozen=True)
class RepairResult:
    """What repair did: ok, the packages it reinstalled, and a sentence."""

    ok: bool
    reinstalled: tuple[str, ...]
    message: str
    fix: str | None = None
    before: tuple[Drift, ...] = field(default_factory=tuple)



def repair_env(prefix: Path | str, *, on_line: Callable[[str], None], cancel: Any = None,
               lock: EnvLock | None = None) -> RepairResult:
    """Reinstall only the drifted packages at their planned builds, from the index the env was built from.

    Holds the prefix's lock throughout: pass `lock` when the caller already holds it (hold_finished_env), else
    it is taken here; a busy or unfinished env is refused at once, nothing changed."""
    prefix = Path(prefix)
    held = lock
    if held is None:
        try:
            held = hold_finished_env(prefix, "repairing")
        except LockError as exc:
            return RepairResult(False, (), exc.message, exc.fix)
    try:
        return _repair(prefix, on_line, cancel)
    finally:
        if lock is None:
            held.release()


def _repair(prefix: Path, on_line: Callable[[str], None], cancel: Any) -> RepairResult:
    from .envspec import EnvSpecError, read_environment_yml
    from .paths import env_python
    from .procs import run_streaming

    report = check_drift(prefix)
    if not report.guarded:
        return RepairResult(False, (), f"{prefix} has no TorchDesk guard record, so there is no plan to restore",
                            "rebuild it with `torchdesk create` (or import its environment.yml)")
    try:
        spec = read_environment_yml((prefix / SPEC_RECORD).read_text(encoding="utf-8"),
                                    check_name=False)
    except (OSError, EnvSpecError) as exc:
        return RepairResult(False, (), f"cannot read the spec {prefix} was built from: {exc}",
                            "rebuild the environment with `torchdesk create --replace`")
    write_guard_files_only(spec, prefix)
    if report.ok:
        return RepairResult(True, (), f"{prefix} is on its planned builds; nothing to repair")
    # What to reinstall comes from the spec the env was built from (read as requirements), not from the record.
    pins = {p.split("==", 1)[0].strip().lower(): p for p in spec.torch_pins}
    if spec.numpy:
        pins["numpy"] = f"numpy{spec.numpy}"
    wanted = list(dict.fromkeys(pins[d.package] for d in report.drifts if d.package in pins))
    if len(wanted) < len({d.package for d in report.drifts}):
        return RepairResult(False, (), f"the guard record of {prefix} does not match the spec it was built from",
                            "rebuild it with `torchdesk create --replace`", report.drifts)
    python = str(env_python(prefix))
    base = [python, "-m", "pip", "install", "--progress-bar", "off", *spec.torch_index_args()]
    steps: Sequence[tuple[list[str], str]] = (
        # exactly the drifted packages, their files replaced, nothing else moved
        ([*base, "--force-reinstall", "--no-deps", *wanted], "reinstalling " + " ".join(wanted)),
        # then anything the planned builds need that the swap took away, held by the constraints
        ([*base, "-c", str(prefix / CONSTRAINTS), *wanted], "checking their dependencies"),
    )
    for cmd, what in steps:
        on_line(f"== repair: {what}")
        on_line("$ " + " ".join(cmd))
        code = run_streaming(cmd, on_line=on_line, cancel=cancel, env=pip_env())
        if cancel is not None and cancel.is_cancelled:
            return RepairResult(False, (), "repair was cancelled", "run `torchdesk repair` again", report.drifts)
        if code != 0:
            return RepairResult(False, (), f"pip could not restore the planned builds (exit {code})",
                                "check that the build's index is reachable; the output above has pip's error",
                                report.drifts)
    after = check_drift(prefix)
    leftover = [d for d in after.drifts if d.kind != "other-index"]
    if leftover:
        still = "after reinstalling, still drifted: " + "; ".join(d.message for d in leftover)
        return RepairResult(False, tuple(wanted), still, "rebuild with `torchdesk create --replace`", report.drifts)
    record_fingerprints(spec, prefix)  # the files now installed come from the planned index
    return RepairResult(True, tuple(wanted), f"restored {', '.join(wanted)} in {prefix}", None, report.drifts)
