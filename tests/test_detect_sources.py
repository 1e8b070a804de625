"""Detection is the list `desktop.detect.host.SOURCES`: what runs is that list, in its order, and a source that
raises is a failed note under its name while every other source still runs (replayed H100 capture)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from desktop.detect import SOURCES, Probe, Source, detect_from, detect_host, host_to_json
from desktop.detect import host as detect_host_module
from desktop.detect.context import Context
from desktop.model import Host, SourceNote
from detect_data.replay import StubMatrix, fake_pynvml, h100_nvml, h100_system, layout, probe

SYSTEM = h100_system()
FILES = {"/proc/driver/nvidia/version": SYSTEM["/proc/driver/nvidia/version"],
         "/proc/version": SYSTEM["/proc/version"], "/etc/os-release": SYSTEM["/etc/os-release"],
         "/proc/meminfo": "MemTotal:       131980980 kB\n",
         "/proc/cpuinfo": "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\n",
         "/home/u/miniconda3/bin/conda": "#!/bin/sh\n",
         "/home/u/miniconda3/conda-meta/history": "",
         "/home/u/miniconda3/envs/work/conda-meta/history": ""}
ORDER = ["override", "wsl", "NVML", "nvidia-smi", "driver files", "PCI", "override", "ROCm", "MPS", "system", "conda"]


def h100(tmp_path: Path) -> Probe:
    return probe(layout(tmp_path, FILES), pynvml=fake_pynvml(h100_nvml()))


def recorded(sources: tuple[Source, ...], calls: list[str], fail: int | None = None) -> list[Source]:
    """The same sources, each recording its name when it runs; the one at `fail` raises instead of reading."""
    def wrap(i: int, s: Source) -> Source:
        def read(p: Probe, ctx: Context) -> list[SourceNote]:
            calls.append(s.name)
            if i == fail:
                raise RuntimeError("planted")
            return s.read(p, ctx)
        return Source(s.name, read)
    return [wrap(i, s) for i, s in enumerate(sources)]


def test_the_sources_run_in_the_documented_order() -> None:
    assert [s.name for s in SOURCES] == ORDER


def test_detect_host_runs_exactly_the_source_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = host_to_json(detect_host(env={}, matrix=StubMatrix(), probe=h100(tmp_path)))
    calls: list[str] = []
    monkeypatch.setattr(detect_host_module, "SOURCES", tuple(recorded(SOURCES, calls)))
    through_list = host_to_json(detect_host(env={}, matrix=StubMatrix(), probe=h100(tmp_path)))
    assert calls == ORDER
    for h in (plain, through_list):  # the real disk's free space moves between two reads (other writers)
        assert isinstance(h.pop("disk_free_mib"), int)
    assert through_list == plain and plain["gpus"] and plain["conda"]["envs"]

    monkeypatch.setattr(detect_host_module, "SOURCES", ())
    empty = detect_host(env={}, matrix=StubMatrix(), probe=h100(tmp_path))
    assert (empty.sources, empty.gpus, empty.driver, empty.envs, empty.os_release) == ((), (), None, (), None)


# The facts two independent sources bring to the Host: they must arrive whichever other source breaks.
def os_release(h: Host) -> Any:
    return h.os_release


def conda_envs(h: Host) -> Any:
    return sorted(e.name for e in h.envs)


def nvidia(h: Host) -> Any:
    return [g.name for g in h.gpus], h.driver


@pytest.mark.parametrize("index", range(len(SOURCES)), ids=[f"{i}-{s.name}" for i, s in enumerate(SOURCES)])
def test_a_source_that_raises_is_a_note_and_the_others_still_run(tmp_path: Path, index: int) -> None:
    baseline = detect_host(env={}, matrix=StubMatrix(), probe=h100(tmp_path))
    assert baseline.os_release == "Ubuntu 24.04.3 LTS" and conda_envs(baseline) == ["base", "work"]
    assert nvidia(baseline) == (["NVIDIA H100 80GB HBM3"], "580.159.04")
    calls: list[str] = []
    name = SOURCES[index].name
    host = detect_from(recorded(SOURCES, calls, fail=index), env={}, matrix=StubMatrix(), probe=h100(tmp_path))

    assert calls == ORDER  # every source ran, the broken one included, in order
    assert SourceNote(name, False, "failed: RuntimeError: planted") in host.sources
    assert f"Detection source {name} failed (planted); results may be incomplete." in host.warnings
    for owner, fact in (("system", os_release), ("conda", conda_envs), ("NVML", nvidia)):
        if name == owner:
            assert fact(host) != fact(baseline)
        else:
            assert fact(host) == fact(baseline), (owner, name)
