"""One plan for every node class: the existing resolver over a described machine holding one GPU of each class.

Each GPU must be covered by the build and the oldest driver among the classes must run it, the same rule the
resolver applies to a multi-GPU workstation. When no build does, the classes to blame are named (a class no
build covers on its own, or the one whose removal lets a plan through) and each class gets its own plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..model import Check, GpuInfo, Host, Preferences, Resolution
from ..resolve import covering_builds, resolve
from ..matrix import vtuple
from .inventory import NodeClass


def gpu_label(cls: NodeClass) -> str:
    """How a class's GPU appears in the why-chain: 'Tesla V100-SXM2-16GB [class v100]'."""
    return f"{cls.model or 'unknown GPU'} [class {cls.name}]"


def oldest_driver(classes: Sequence[NodeClass]) -> tuple[str | None, str | None]:
    """The oldest driver any class is known to run, and that class's name; (None, None) if none is known."""
    known = [(c.driver, c.name) for c in classes if c.driver]
    if not known:
        return None, None
    return min(known, key=lambda dn: vtuple(dn[0] or "0"))


def fleet_host(classes: Sequence[NodeClass], matrix: Any, *, driver: str | None = None,
               os_name: str = "linux", machine: str = "x86_64") -> Host:
    """A described machine with one GPU per class and the oldest driver (or `driver`, when given)."""
    gpus = []
    for i, c in enumerate(classes):
        arch = matrix.arch_for_cc(c.cc) if c.cc else None
        gpus.append(GpuInfo(i, gpu_label(c), "nvidia", c.cc, arch.name if arch else None))
    drv = driver or oldest_driver(classes)[0]
    return Host(os=os_name, machine=machine, gpus=tuple(gpus), driver=drv, hypothetical=True)


@dataclass(frozen=True)
class FleetPlan:
    """The plan for the whole fleet (or why there is none), the blocking classes and a plan per class."""

    status: str  # ok | split (no one build; see per_class) | none (not even per class)
    resolution: Resolution
    checks: tuple[Check, ...]
    blockers: tuple[str, ...] = ()
    per_class: tuple[tuple[str, Resolution], ...] = ()
    driver: str | None = None
    driver_class: str | None = None  # the class whose driver is the oldest; None when given with --driver

    @property
    def plan(self) -> Any:
        return self.resolution.plan

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "plan": self.plan.to_json() if self.plan else None,
                "summary": self.resolution.summary, "checks": [c.to_json() for c in self.checks],
                "blockers": list(self.blockers), "driver": self.driver, "driver_class": self.driver_class,
                "per_class": {n: {"status": r.status, "summary": r.summary,
                                  "plan": r.plan.to_json() if r.plan else None} for n, r in self.per_class},
                "warnings": list(self.resolution.warnings), "data_version": self.resolution.data_version}


def plan_fleet(matrix: Any, classes: Sequence[NodeClass], prefs: Preferences = Preferences(), *,
               driver: str | None = None) -> FleetPlan:
    """Resolve one plan that runs on every class, else name the blocking classes and plan each class alone."""
    classes = list(classes)
    drv, drv_class = (driver, None) if driver else oldest_driver(classes)
    res = resolve(matrix, fleet_host(classes, matrix, driver=drv), prefs)
    head: list[Check] = [Check("fleet", True, f"{len(classes)} node class{'es' if len(classes) != 1 else ''}: "
                               + ", ".join(f"{c.name} ({c.model or 'model unknown'}, {len(c.nodes)} node"
                                           f"{'s' if len(c.nodes) != 1 else ''})" for c in classes), None)]
    if drv:
        head.append(Check("fleet", True, f"oldest driver {drv}" + (f" (class {drv_class})" if drv_class
                                                                   else " (as given with --driver)"), None))
    elif classes:
        head.append(Check("fleet", True, "drivers unknown: give --driver, a driver per type in the site mapping "
                                         "file, or probe the nodes with `fleet inventory --probe`", None))
    for c in classes:
        if c.model is None:
            head.append(Check("fleet", False, f"class {c.name}: GPU model unknown (GRES type {c.name!r}); map it in "
                                              "a site mapping file or run `fleet inventory --probe`", None))
    if res.status == "ok":
        return FleetPlan("ok", res, tuple(head) + res.checks, driver=drv, driver_class=drv_class)
    # Each class alone, with its own driver (or the one given): what a per-class environment would be.
    per_class = tuple((c.name, resolve(matrix, fleet_host([c], matrix, driver=driver or c.driver), prefs))
                      for c in classes)
    alone_fail = [n for n, r in per_class if r.status != "ok"]
    blockers = list(alone_fail)
    if not blockers and len(classes) > 1:  # each fits alone, not together: blame those whose removal unblocks
        for i, c in enumerate(classes):
            rest = classes[:i] + classes[i + 1:]
            if resolve(matrix, fleet_host(rest, matrix, driver=drv), prefs).status == "ok":
                blockers.append(c.name)
    why = list(head)
    by_name = {c.name: c for c in classes}
    for n in blockers:
        r = dict(per_class)[n]
        reason = _blocking_reason(matrix, by_name[n], r) if r.status != "ok" else None
        why.append(Check("fleet", False, f"class {n} blocks one plan for all classes"
                                         + (f": {reason}" if reason else ": no build covers it together with the others"), None))
    why.extend(c for c in res.checks if not c.ok)
    status = "split" if any(r.status == "ok" for _, r in per_class) else "none"
    return FleetPlan(status, res, tuple(why), tuple(blockers), per_class, drv, drv_class)



def _blocking_reason(matrix: Any, cls: NodeClass, alone: Resolution) -> str | None:
    """Why no build runs on this class alone: no kernels for its GPU anywhere in the data, else the first failure."""
    if cls.cc and not covering_builds(matrix, cls.cc):
        return (f"no CUDA build in the data ({alone.data_version}) carries kernels for {gpu_label(cls)}, "
                f"compute capability {cls.cc}")
    return next((c.detail for c in alone.checks if not c.ok), None)
