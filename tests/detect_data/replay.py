"""Replays for detection tests: a stand-in pynvml built from a real NVML capture, a command runner, a fake tree.

Fakes only at the hardware boundary: the stand-in pynvml has the real function names and raises the real
pynvml exception classes, so `except pynvml.NVMLError_LibraryNotFound` in the code under test is exercised.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pynvml as real_pynvml

from desktop.detect import Probe, RunResult

ROOT = Path(__file__).resolve().parent.parent.parent
H100 = ROOT / "tests" / "captures" / "h100-driver-580"
DATA = Path(__file__).resolve().parent


def h100_nvml() -> dict[str, Any]:
    return json.loads((H100 / "nvml.json").read_text())


def h100_system() -> dict[str, Any]:
    return json.loads((H100 / "system.json").read_text())


def smi_outputs() -> dict[str, str]:
    """nvidia-smi.txt split into {command line: output}."""
    text = (H100 / "nvidia-smi.txt").read_text()
    out: dict[str, str] = {}
    for block in re.split(r"^\$ ", text, flags=re.M)[1:]:
        head, _, body = block.partition("\n")
        out[head.split("#")[0].strip()] = body.rstrip("\n") + "\n"
    return out


def _wrap(v: Any) -> Any:
    if isinstance(v, dict):
        return types.SimpleNamespace(**{k: _wrap(x) for k, x in v.items()})
    if isinstance(v, list):
        return tuple(v)
    return v


def fake_pynvml(capture: Mapping[str, Any] | None = None, *, init_error: str | None = None,
                init_block: threading.Event | None = None) -> types.ModuleType:
    """A pynvml stand-in replaying `capture` (nvml.json's shape). Entries may be {"ok": v} or {"error": "NVMLError_X"}."""
    cap = copy.deepcopy(capture) if capture is not None else {"system": {}, "devices": []}
    mod = types.ModuleType("pynvml")
    mod.calls = []  # type: ignore[attr-defined]
    for name in dir(real_pynvml):
        if name.startswith("NVMLError"):
            setattr(mod, name, getattr(real_pynvml, name))

    def answer(entry: Mapping[str, Any] | None, fn: str) -> Any:
        if entry is None:
            raise real_pynvml.NVMLError_FunctionNotFound()
        if "error" in entry:
            raise getattr(real_pynvml, entry["error"])()
        return _wrap(entry["ok"])

    def nvmlInit() -> None:
        mod.calls.append("nvmlInit")  # type: ignore[attr-defined]
        if init_block is not None:
            init_block.wait()
        if init_error:
            raise getattr(real_pynvml, init_error)()

    def nvmlShutdown() -> None:
        mod.calls.append("nvmlShutdown")  # type: ignore[attr-defined]

    mod.nvmlInit = nvmlInit  # type: ignore[attr-defined]
    mod.nvmlShutdown = nvmlShutdown  # type: ignore[attr-defined]
    for fn in ("nvmlSystemGetDriverVersion", "nvmlSystemGetCudaDriverVersion", "nvmlSystemGetCudaDriverVersion_v2",
               "nvmlDeviceGetCount"):
        def system_fn(fn: str = fn) -> Any:
            mod.calls.append(fn)  # type: ignore[attr-defined]
            return answer(cap["system"].get(fn), fn)
        setattr(mod, fn, system_fn)
    if "nvmlDeviceGetCount" not in cap["system"]:
        cap["system"]["nvmlDeviceGetCount"] = {"ok": len(cap["devices"])}

    def nvmlDeviceGetHandleByIndex(i: int) -> int:
        if not 0 <= i < len(cap["devices"]):
            raise real_pynvml.NVMLError_InvalidArgument()
        return i

    mod.nvmlDeviceGetHandleByIndex = nvmlDeviceGetHandleByIndex  # type: ignore[attr-defined]
    device_fns = {d for d in real_pynvml.__dict__ if d.startswith("nvmlDeviceGet") and d != "nvmlDeviceGetCount"
                  and not d.startswith("nvmlDeviceGetHandle")}
    for fn in sorted(device_fns):
        def device_fn(h: int, *args: Any, fn: str = fn) -> Any:
            mod.calls.append(fn)  # type: ignore[attr-defined]
            dev = cap["devices"][h]
            entry = dev.get(fn)
            if entry is None:
                raise real_pynvml.NVMLError_NotSupported()
            return answer(entry, fn)
        setattr(mod, fn, device_fn)
    return mod


def h100_device(**changes: Any) -> dict[str, Any]:
    dev = copy.deepcopy(h100_nvml()["devices"][0])
    for k, v in changes.items():
        dev[k] = {"ok": v}
    return dev


@dataclass
class Runner:
    """Answers commands by the first matching (pattern over ' '.join(cmd[1:]), result) row; records the calls."""

    rows: Sequence[tuple[str, RunResult | BaseException]] = ()

    def __post_init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, cmd: Sequence[str], timeout: float) -> RunResult:
        self.calls.append(list(cmd))
        line = " ".join(cmd[1:])
        for pattern, result in self.rows:
            if re.search(pattern, line):
                if isinstance(result, BaseException):
                    raise result
                return result
        raise FileNotFoundError(cmd[0])


def layout(root: Path, files: Mapping[str, str | bytes], links: Mapping[str, str] | None = None) -> Path:
    """Write `files` (machine paths) under root; `links` makes symlinks (path -> target)."""
    for rel, content in files.items():
        p = root / rel.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    for rel, target in (links or {}).items():
        p = root / rel.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.symlink_to(target)
    return root


def pci_device(slot: str, vendor: str, device: str, cls: str, driver: str | None) -> tuple[dict[str, str], dict[str, str]]:
    base = f"/sys/bus/pci/devices/{slot}"
    files = {f"{base}/vendor": vendor + "\n", f"{base}/device": device + "\n", f"{base}/class": cls + "\n"}
    links = {f"{base}/driver": f"../../../bus/pci/drivers/{driver}"} if driver else {}
    return files, links


class StubMatrix:
    """The three lookups detection uses, over a fixed table (so tests do not move when the data file grows)."""

    GPUS = {"h100 80gb hbm3": "9.0", "h100 pcie": "9.0", "geforce gtx 1080": "6.1", "geforce rtx 4090": "8.9",
            "rtx 4090": "8.9", "geforce rtx 3090": "8.6", "geforce rtx 4090 laptop gpu": "8.9"}
    ARCH = {"6.1": ("Pascal", 4), "8.6": ("Ampere", 7), "8.9": ("Ada Lovelace", 8), "9.0": ("Hopper", 9)}

    def find_gpu(self, name: str) -> Any:
        n = " ".join(name.lower().split()).removeprefix("nvidia ")
        cc = self.GPUS.get(n)
        return types.SimpleNamespace(name=name, cc=cc, segment="x") if cc else None

    def arch_for_cc(self, cc: str) -> Any:
        a = self.ARCH.get(cc)
        return types.SimpleNamespace(name=a[0]) if a else None

    def arch_by_nvml(self, n: int) -> Any:
        for name, v in self.ARCH.values():
            if v == n:
                return types.SimpleNamespace(name=name)
        return None


def probe(root: Path, *, system: str = "linux", pynvml: Any = None, runner: Callable[..., RunResult] | None = None,
          which: Mapping[str, str] | None = None, home: Path | None = None) -> Probe:
    w = dict(which or {})
    return Probe(root=root, system=system, machine="x86_64", home=home or root / "home" / "u",
                 run=runner or Runner(), which=lambda n: w.get(n), pynvml=pynvml, glibc="2.39")
