#!/usr/bin/env python3
"""The maintainer's tool for a new PyTorch release: what PyPI and the PyTorch index say, against matrix.json.

Reads PyPI's JSON API for torch, torchvision and torchaudio (versions, upload dates, Requires-Python, wheel tags,
and the default build from the wheels' nvidia-*/cuda-toolkit requirements), and the PyTorch index's simple pages
(PEP 503) for each CUDA/ROCm/CPU/XPU index (which releases and Python tags each build has, per platform). For a
build variant the previous release did not have, it reads the architecture list from that release branch's build
scripts. It prints the differences for the releases it checks and, with --write, writes a proposed matrix.json in
which every new row carries a "review" note saying what a maintainer must confirm. It never edits the bundled file.

    python tools/refresh_data.py                       # online: pypi.org, download.pytorch.org, raw.githubusercontent.com
    python tools/refresh_data.py --offline tests/refresh_data/
    python tools/refresh_data.py --offline DIR --write /tmp/matrix.proposed.json

Exit status: 0 nothing to report, 3 differences found (proposal written with --write), 2 bad input or unreadable data.
See docs/updating-data-refresh.md.
"""

from __future__ import annotations

import argparse
import html.parser
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from packaging.requirements import InvalidRequirement, Requirement  # noqa: E402
from packaging.utils import InvalidWheelFilename, parse_wheel_filename  # noqa: E402
from packaging.version import InvalidVersion, Version  # noqa: E402

from desktop.matrix import BUNDLED_MATRIX, MatrixError, consistency_problems, matrix_from_data, validate_data, vtuple  # noqa: E402

PYPI = "https://pypi.org/pypi/{project}/json"
INDEX = "https://download.pytorch.org/whl/{variant}/{project}/"
SCRIPTS = "https://raw.githubusercontent.com/pytorch/pytorch/{branch}/{path}"
PROJECTS = ("torch", "torchvision", "torchaudio")
CUDA_SCRIPTS = (".ci/manywheel/build_cuda.sh",)
WINDOWS_SCRIPT = ".ci/pytorch/windows/cuda{nodot}.bat"
ROCM_SCRIPTS = (".ci/docker/manywheel/build.sh",)
COMPANION_DAYS = 3  # a torchvision/torchaudio uploaded this close to torch, with no exact pin, is its pairing


class RefreshError(Exception):
    """Bad input or unreadable data: one sentence for the maintainer."""


# --- where the responses come from ------------------------------------------------------------------------------

class Responses:
    """Online (urllib) or recorded responses in a directory laid out as tests/refresh_data/README.md describes."""

    def __init__(self, offline: Path | None, timeout: float = 30.0, *, pypi_only: bool = False) -> None:
        self.offline = offline
        self.timeout = timeout
        self.pypi_only = pypi_only  # skip the PyTorch index and the build scripts (a machine that reaches only PyPI)
        self.read_log: list[str] = []

    def _get(self, url: str) -> str | None:
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as r:  # noqa: S310 (fixed https hosts)
                self.read_log.append(url)
                return r.read().decode("utf-8")  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise RefreshError(f"{url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            hint = "--pypi-only checks what PyPI says" if "pypi.org" not in url else "--offline DIR reads recorded responses"
            raise RefreshError(f"{url}: {getattr(exc, 'reason', exc)} (no network to that host? {hint})") from None

    def _file(self, *parts: str) -> str | None:
        assert self.offline is not None
        p = self.offline.joinpath(*parts)
        if not p.is_file():
            return None
        self.read_log.append(str(p))
        return p.read_text(encoding="utf-8")

    def pypi(self, project: str) -> dict[str, Any]:
        text = self._file("pypi", f"{project}.json") if self.offline else self._get(PYPI.format(project=project))
        if text is None:
            raise RefreshError(f"no PyPI JSON for {project}" + (f" in {self.offline}/pypi/" if self.offline else ""))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RefreshError(f"PyPI JSON for {project} is not JSON ({exc.msg})") from None
        if not isinstance(data, dict) or not isinstance(data.get("releases"), dict):
            raise RefreshError(f"PyPI JSON for {project} has no 'releases' object")
        return data

    def wheel_metadata(self, filename: str, url: str | None) -> str | None:
        """The wheel's core metadata (PEP 658 `<url>.metadata`), or None where it cannot be read."""
        if self.offline:
            return self._file("metadata", filename + ".metadata")
        if url and url.startswith("https://"):
            return self._get(url + ".metadata")
        return None

    def variants(self, wanted: Iterable[str]) -> list[str]:
        if self.pypi_only:
            return []
        if self.offline:
            d = self.offline / "index"
            return sorted(p.name for p in d.iterdir() if p.is_dir()) if d.is_dir() else []
        return sorted(set(wanted))

    def index_page(self, variant: str, project: str) -> str | None:
        if self.pypi_only:
            return None
        if self.offline:
            return self._file("index", variant, f"{project}.html")
        return self._get(INDEX.format(variant=variant, project=project))

    def build_script(self, branch: str, path: str) -> str | None:
        if self.pypi_only:
            return None
        if self.offline:
            return self._file("build_scripts", branch.replace("/", "-"), path)
        return self._get(SCRIPTS.format(branch=branch, path=path))


# --- parsing ------------------------------------------------------------------------------------------------------

def wheel_platform(tag: str) -> str | None:
    """A wheel platform tag -> the data file's platform key ('manylinux_2_28_x86_64' -> 'linux-x86_64')."""
    if tag.startswith(("manylinux", "linux")):
        return "linux-x86_64" if tag.endswith("x86_64") else "linux-aarch64" if tag.endswith("aarch64") else None
    if tag == "win_amd64":
        return "windows-x86_64"
    if tag == "win_arm64":
        return "windows-arm64"
    if tag.startswith("macosx"):
        return "macos-arm64" if tag.endswith("arm64") else "macos-x86_64" if tag.endswith("x86_64") else None
    return None


@dataclass(frozen=True)
class Wheel:
    project: str
    version: str  # public version, no local part
    local: str | None  # "cu132" or None
    python: str | None  # "3.12" for cp312, None for py3 / abi-free
    free_threaded: bool
    platform: str | None
    filename: str
    url: str | None = None


def parse_wheel(filename: str, url: str | None = None) -> Wheel | None:
    """A wheel file name -> its facts, or None for anything that is not a wheel we understand."""
    try:
        name, ver, _build, tags = parse_wheel_filename(urllib.parse.unquote(filename))
    except (InvalidWheelFilename, InvalidVersion):
        return None
    tag = next(iter(tags))
    m = re.fullmatch(r"cp(\d)(\d+)", tag.interpreter)
    py = f"{m.group(1)}.{m.group(2)}" if m else None
    return Wheel(str(name), ver.public, ver.local, py, tag.abi.endswith("t") and py is not None,
                 wheel_platform(tag.platform), urllib.parse.unquote(filename), url)


class _Anchors(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.hrefs.append((self._href, data.strip()))
            self._href = None


def parse_index_page(text: str) -> list[Wheel]:
    """A PEP 503 simple page -> its wheels (the anchor text is the file name; the href may be percent-encoded)."""
    p = _Anchors()
    p.feed(text)
    out = []
    for href, label in p.hrefs:
        name = label or urllib.parse.unquote(href.split("#", 1)[0].rsplit("/", 1)[-1])
        w = parse_wheel(name, href)
        if w is not None:
            out.append(w)
    return out


def cuda_from_requirements(reqs: Iterable[str], env: Mapping[str, str]) -> str | None:
    """The CUDA version a wheel pulls in ('13.2' from cuda-toolkit==13.2.2 or nvidia-cuda-runtime-cu12==12.8.90)."""
    for line in reqs:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate(dict(env, extra="")):
            continue
        if req.name == "cuda-toolkit" or re.fullmatch(r"nvidia-cuda-(runtime|nvrtc)(-cu\d+)?", req.name):
            for spec in req.specifier:
                if spec.operator in ("==", "==="):
                    v = Version(spec.version.rstrip(".*"))
                    return f"{v.major}.{v.minor}"
    return None


_ENV = {
    "linux-x86_64": {"platform_system": "Linux", "sys_platform": "linux", "platform_machine": "x86_64", "os_name": "posix"},
    "linux-aarch64": {"platform_system": "Linux", "sys_platform": "linux", "platform_machine": "aarch64", "os_name": "posix"},
    "windows-x86_64": {"platform_system": "Windows", "sys_platform": "win32", "platform_machine": "AMD64", "os_name": "nt"},
    "windows-arm64": {"platform_system": "Windows", "sys_platform": "win32", "platform_machine": "ARM64", "os_name": "nt"},
    "macos-arm64": {"platform_system": "Darwin", "sys_platform": "darwin", "platform_machine": "arm64", "os_name": "posix"},
    "macos-x86_64": {"platform_system": "Darwin", "sys_platform": "darwin", "platform_machine": "x86_64", "os_name": "posix"},
}


def marker_env(platform: str, python: str) -> dict[str, str]:
    return {**_ENV[platform], "python_version": python, "python_full_version": python + ".0",
            "platform_python_implementation": "CPython", "implementation_name": "cpython",
            "implementation_version": python + ".0", "platform_release": "", "platform_version": ""}


def requires_dist(metadata: str) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]


def cuda_variant(cuda: str | None) -> str:
    return "cpu" if cuda is None else "cu" + cuda.replace(".", "")


def cuda_arch_from_script(text: str, cuda: str) -> tuple[list[str], list[str]] | None:
    """TORCH_CUDA_ARCH_LIST for one CUDA version out of build_cuda.sh's `case ${CUDA_VERSION}` block, or a .bat's
    `set TORCH_CUDA_ARCH_LIST=...` -> (sass, ptx); None if the script does not name that version."""
    block = re.search(rf"^\s*{re.escape(cuda)}\)\s*$(.*?)^\s*;;", text, re.MULTILINE | re.DOTALL)
    value = None
    if block:
        m = re.search(r'TORCH_CUDA_ARCH_LIST="?([0-9.;+PTXa-f]+)"?', block.group(1))
        value = m.group(1) if m else None
    if value is None:
        m = re.search(r"^\s*set\s+\"?TORCH_CUDA_ARCH_LIST=([0-9.;+PTXa-f]+)", text, re.MULTILINE | re.IGNORECASE)
        value = m.group(1) if m else None
    if not value:
        return None
    sass, ptx = [], []
    for item in filter(None, value.split(";")):
        base = item.replace("+PTX", "")
        sass.append(base)
        if item.endswith("+PTX"):
            ptx.append(base)
    return sass, ptx


def rocm_arch_from_script(text: str) -> list[str] | None:
    """PYTORCH_ROCM_ARCH in the manywheel docker build script -> ['gfx900', ...]; None if absent."""
    m = re.search(r'PYTORCH_ROCM_ARCH="?((?:gfx[0-9a-f]+;?)+)"?', text)
    return [g for g in m.group(1).split(";") if g] if m else None


# --- what the sources say about one release --------------------------------------------------------------------

@dataclass
class ReleaseFacts:
    version: str
    released: str
    python: list[str]
    free_threaded: list[str]
    requires_python: str | None
    pypi_platforms: list[str]
    default_variant: dict[str, str]
    unreadable_defaults: list[str]
    torchvision: str | None
    torchaudio: str | None
    variants: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # variant -> platform -> pythons


def _first_upload(files: list[dict[str, Any]]) -> date | None:
    days = [f.get("upload_time_iso_8601") or f.get("upload_time") or "" for f in files]
    days = [d[:10] for d in days if d]
    return date.fromisoformat(min(days)) if days else None


def companion(pkg: Mapping[str, Any], torch_version: str, torch_day: date) -> str | None:
    """The torchvision/torchaudio release that goes with a torch release: one whose metadata pins torch==V, else the
    newest uploaded within COMPANION_DAYS of torch."""
    info = pkg.get("info") or {}
    for line in info.get("requires_dist") or ():
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.name == "torch" and any(s.operator == "==" and s.version == torch_version for s in req.specifier):
            return str(info.get("version"))
    near = []
    for ver, files in pkg["releases"].items():
        day = _first_upload(files)
        if day is not None and abs((day - torch_day).days) <= COMPANION_DAYS and files:
            try:
                near.append((Version(ver), ver))
            except InvalidVersion:
                continue
    return max(near)[1] if near else None


def release_facts(src: Responses, pypi: Mapping[str, dict[str, Any]], version: str, variants: list[str],
                  pages: Mapping[str, list[Wheel]]) -> ReleaseFacts:
    """Everything PyPI and the index pages say about torch `version`."""
    files = pypi["torch"]["releases"].get(version) or []
    day = _first_upload(files)
    if day is None:
        raise RefreshError(f"torch {version} has no files on PyPI")
    wheels = [w for f in files if (w := parse_wheel(f["filename"], f.get("url"))) is not None]
    pythons = sorted({w.python for w in wheels if w.python and not w.free_threaded}, key=vtuple)
    ft = sorted({w.python + "t" for w in wheels if w.python and w.free_threaded}, key=vtuple)
    req_py = next((f.get("requires_python") for f in files if f.get("requires_python")), None)
    plats = sorted({w.platform for w in wheels if w.platform})
    info = pypi["torch"].get("info") or {}
    defaults: dict[str, str] = {}
    unreadable: list[str] = []
    for plat in plats:
        w = max((w for w in wheels if w.platform == plat and w.python), key=lambda w: vtuple(w.python or "0"), default=None)
        if w is None:
            continue
        meta = src.wheel_metadata(w.filename, w.url)
        reqs = requires_dist(meta) if meta is not None else (info.get("requires_dist") if info.get("version") == version else None)
        if reqs is None:
            unreadable.append(plat)
            continue
        defaults[plat] = cuda_variant(cuda_from_requirements(reqs, marker_env(plat, w.python or "3.12")))
    facts = ReleaseFacts(
        version=version, released=day.isoformat(), python=pythons, free_threaded=ft, requires_python=req_py,
        pypi_platforms=plats, default_variant=defaults, unreadable_defaults=unreadable,
        torchvision=companion(pypi["torchvision"], version, day), torchaudio=companion(pypi["torchaudio"], version, day),
    )
    for v in variants:
        per_plat: dict[str, set[str]] = {}
        for w in pages.get(v, ()):
            if w.version == version and w.platform and (w.local == v or (w.local is None and w.platform.startswith("macos"))):
                per_plat.setdefault(w.platform, set())
                if w.python and not w.free_threaded:
                    per_plat[w.platform].add(w.python)
        if per_plat:
            facts.variants[v] = {p: sorted(s, key=vtuple) for p, s in sorted(per_plat.items())}
    return facts


# --- comparing and proposing --------------------------------------------------------------------------------------

def compare(row: Mapping[str, Any], f: ReleaseFacts, read_variants: Iterable[str] = ()) -> list[str]:
    """Differences between a matrix.json release row and what the sources say (empty: they agree)."""
    out = []
    v = f.version
    if row["released"] != f.released:
        out.append(f"torch {v}: released {row['released']} in the data, first PyPI upload {f.released}")
    if list(row["python"]) != f.python:
        out.append(f"torch {v}: python {row['python']} in the data, PyPI cpXY tags {f.python}")
    if row.get("requires_python") and f.requires_python and row["requires_python"] != f.requires_python:
        out.append(f"torch {v}: requires_python {row['requires_python']} in the data, PyPI {f.requires_python}")
    for pkg in ("torchvision", "torchaudio"):
        if row.get(pkg) != getattr(f, pkg) and getattr(f, pkg) is not None:
            out.append(f"torch {v}: {pkg} {row.get(pkg)} in the data, PyPI pairing {getattr(f, pkg)}")
    for plat, var in f.default_variant.items():
        if row["default_variant"].get(plat) != var:
            out.append(f"torch {v}: default build on {plat} is {row['default_variant'].get(plat)} in the data, "
                       f"the PyPI wheel's requirements say {var}")
    have = {b["variant"]: b for b in row["builds"]}
    for var, plats in f.variants.items():
        b = have.get(var)
        if b is None:
            out.append(f"torch {v}: the index has a {var} build ({', '.join(plats)}) that the data lacks")
            continue
        if set(b["platforms"]) != set(plats):
            out.append(f"torch {v} {var}: platforms {sorted(b['platforms'])} in the data, index {sorted(plats)}")
        for plat, pys in plats.items():
            if pys and pys != f.python:
                out.append(f"torch {v} {var} {plat}: the index has Python {pys} only")
    for var in have:
        if var not in f.variants and var in read_variants:
            out.append(f"torch {v}: the data has a {var} build that the {var} index page does not list")
    return out


def unchecked(row: Mapping[str, Any], f: ReleaseFacts, pypi: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What PyPI could not confirm about a release row, without contradicting it (not a difference: exit 0 stays 0).

    A pairing PyPI's upload dates cannot give (torchaudio 2.11.0 for torch 2.12-2.14 comes from test-infra's
    release_versions.sh, not from an upload next to torch) is a difference only where it does not exist on PyPI
    or was uploaded after torch."""
    out = []
    v = f.version
    for pkg in ("torchvision", "torchaudio"):
        have = row.get(pkg)
        if getattr(f, pkg) is not None or have is None:
            continue
        day = _first_upload(pypi[pkg]["releases"].get(have) or []) if pkg in pypi else None
        if day is None:
            out.append(f"! torch {v}: {pkg} {have} in the data is not on PyPI")
        elif day.isoformat() > f.released:
            out.append(f"! torch {v}: {pkg} {have} in the data was first uploaded {day}, after torch ({f.released})")
        else:
            out.append(f"torch {v}: {pkg} {have} (uploaded {day}) is not next to this release on PyPI: the pairing "
                       "comes from the row's sources, which PyPI cannot confirm")
    if f.unreadable_defaults:
        out.append(f"torch {v}: default build unchecked for {', '.join(f.unreadable_defaults)} (the wheels' PEP 658 "
                   "metadata was not readable from this PyPI, and its JSON carries only the newest release's requirements)")
    return out


def _targets_from_scripts(src: Responses, version: str, variant: str, plats: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """Arch lists for a variant the previous release did not have, from release/X.Y's build scripts."""
    branch = "release/" + ".".join(version.split(".")[:2])
    targets: dict[str, Any] = {}
    read: list[str] = []
    for plat in plats:
        t: dict[str, Any] = {}
        if variant.startswith("cu"):
            digits = variant[2:]
            cuda = f"{digits[:-1]}.{digits[-1]}"
            paths = [WINDOWS_SCRIPT.format(nodot=digits)] if plat.startswith("windows") else list(CUDA_SCRIPTS)
            for path in paths:
                text = src.build_script(branch, path)
                got = cuda_arch_from_script(text, cuda) if text else None
                if got:
                    t = {"sass": got[0], "ptx": got[1]}
                    read.append(f"{branch}:{path}")
                    break
        elif variant.startswith("rocm"):
            for path in ROCM_SCRIPTS:
                text = src.build_script(branch, path)
                gfx = rocm_arch_from_script(text) if text else None
                if gfx:
                    t = {"gfx": gfx}
                    read.append(f"{branch}:{path}")
                    break
        if not t and variant not in ("cpu", "xpu"):
            t = {"note": f"no architecture list found in {branch}'s build scripts: fill it in by hand"}
        targets[plat] = t
    return targets, read


def propose_release(src: Responses, f: ReleaseFacts, previous: Mapping[str, Any] | None, today: str) -> dict[str, Any]:
    """A matrix.json release row for a release the data lacks, every part marked for review."""
    prev_builds = {b["variant"]: b for b in previous["builds"]} if previous else {}
    builds = []
    for var, plats in f.variants.items():
        b: dict[str, Any] = {"variant": var}
        review: list[str] = []
        if var.startswith("cu"):
            d = var[2:]
            b["cuda"] = f"{d[:-1]}.{d[-1]}"
        elif var.startswith("rocm"):
            b["rocm"] = var[4:]
        old = prev_builds.get(var)
        if var in ("cpu", "xpu"):
            platforms: dict[str, Any] = {p: {} for p in plats}
            sources = ["pytorch-index"]
        elif old is not None:
            platforms = {p: dict(old["platforms"].get(p) or {"note": "no list in the previous release for this platform"}) for p in plats}
            sources = ["pytorch-index"]
            review.append(f"architecture lists copied from torch {previous['version'] if previous else '?'} {var}: "  # type: ignore[index]
                          "confirm against this release's build scripts or a wheel")
        else:
            platforms, read = _targets_from_scripts(src, f.version, var, plats)
            sources = ["pytorch-index"] + (["pt-release-build-scripts"] if read else [])
            review.append("new build: architecture lists read from " + (", ".join(read) if read else "nowhere (see the platform notes)")
                          + "; release builds have dropped +PTX before (check a wheel)")
        b["platforms"] = platforms
        b["install"] = {"index_url": f"https://download.pytorch.org/whl/{var}", "local_version": f"+{var}"}
        b["source"] = sources
        if any(p != f.python for p in plats.values() if p):
            review.append("Python tags differ per platform: " + "; ".join(f"{p} {', '.join(v)}" for p, v in plats.items()))
        b["review"] = f"proposed by tools/refresh_data.py on {today}" + (": " + "; ".join(review) if review else "")
        builds.append(b)
    row = {
        "version": f.version, "released": f.released, "python": f.python, "requires_python": f.requires_python,
        "torchvision": f.torchvision, "torchaudio": f.torchaudio, "numpy": None,
        "default_variant": dict(sorted(f.default_variant.items())), "builds": builds,
        "source": ["pypi-torch", "pypi-torchvision", "pypi-torchaudio", "pytorch-index"],
        "note": "free-threaded wheels: " + (", ".join(f.free_threaded) or "none"),
        "review": (f"proposed by tools/refresh_data.py on {today}: confirm the torchvision/torchaudio pairing "
                   f"(upload date within {COMPANION_DAYS} days unless a wheel pins torch==), numpy (none assumed), and "
                   "that the PyPI default build matches the index"
                   + (f"; default build unreadable for {', '.join(f.unreadable_defaults)}" if f.unreadable_defaults else "")),
    }
    if row["requires_python"] is None:
        del row["requires_python"]
    return row


TOOL_SOURCES = {
    "pytorch-index": {"title": "PyTorch package index simple pages (PEP 503), https://download.pytorch.org/whl/<build>/torch/",
                      "url": "https://download.pytorch.org/whl/"},
    "pt-release-build-scripts": {"title": "pytorch/pytorch release/X.Y build scripts (.ci/manywheel/build_cuda.sh, "
                                          ".ci/pytorch/windows/cudaNNN.bat, .ci/docker/manywheel/build.sh)",
                                 "url": "https://github.com/pytorch/pytorch/tree/main/.ci"},
}


# --- the run ---------------------------------------------------------------------------------------------------------

@dataclass
class Report:
    checked: list[str]
    differences: list[str]
    unchecked: list[str]
    proposed: list[str]
    problems: list[str]
    data: dict[str, Any]


def refresh(src: Responses, data: dict[str, Any], *, since: str | None = None, extra_variants: Iterable[str] = (),
            today: str | None = None) -> Report:
    """Compare every torch release >= `since` (default: the newest in the data) and propose the ones the data lacks."""
    today = today or date.today().isoformat()
    rows = {r["version"]: r for r in data["torch_releases"]}
    newest = max(rows, key=vtuple)
    since = since or newest
    pypi = {p: src.pypi(p) for p in PROJECTS}
    known_variants = {b["variant"] for r in data["torch_releases"] if vtuple(r["version"]) >= vtuple(since) for b in r["builds"]}
    variants = src.variants(known_variants | set(extra_variants))
    pages = {v: parse_index_page(t) for v in variants if (t := src.index_page(v, "torch")) is not None}
    versions = []
    for v, files in pypi["torch"]["releases"].items():
        try:
            pv = Version(v)
        except InvalidVersion:
            continue
        if files and not pv.is_prerelease and vtuple(v) >= vtuple(since):
            versions.append(v)
    versions.sort(key=vtuple)
    out = json.loads(json.dumps(data))
    differences: list[str] = []
    notes: list[str] = []
    proposed: list[str] = []
    for v in versions:
        f = release_facts(src, pypi, v, sorted(pages), pages)
        if v in rows:
            differences += compare(rows[v], f, set(pages))
            for n in unchecked(rows[v], f, pypi):
                if n.startswith("! "):
                    differences.append(n[2:])
                else:
                    notes.append(n)
            continue
        if src.pypi_only:
            differences.append(f"torch {v}: new release on PyPI, not in the data; run without --pypi-only where "
                               "download.pytorch.org is reachable to propose its builds")
            continue
        prev = max((r for r in out["torch_releases"] if vtuple(r["version"]) < vtuple(v)), key=lambda r: vtuple(r["version"]), default=None)
        row = propose_release(src, f, prev, today)
        out["torch_releases"].insert(0, row)
        proposed.append(v)
        differences.append(f"torch {v}: new release, not in the data: proposed with builds "
                           f"{', '.join(b['variant'] for b in row['builds'])} (every row marked 'review')")
        for pkg, ver in (("torch", v), ("torchvision", row["torchvision"]), ("torchaudio", row["torchaudio"])):
            lst = out["packages"].setdefault(pkg, {"versions": [], "source": [f"pypi-{pkg}"]})["versions"]
            if ver and ver not in lst:
                lst.append(ver)
                lst.sort(key=vtuple)
    if proposed:
        for k, s in TOOL_SOURCES.items():
            out["sources"].setdefault(k, dict(s, accessed=today))
    problems: list[str] = []
    try:
        validate_data(out, "proposed matrix.json")
        problems = consistency_problems(matrix_from_data(out, "proposed matrix.json"))
    except MatrixError as exc:
        problems = [str(exc)]
    return Report(versions, differences, notes, proposed, problems, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="refresh_data.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--offline", metavar="DIR", type=Path, help="read recorded responses from DIR instead of the network")
    ap.add_argument("--matrix", metavar="PATH", type=Path, default=BUNDLED_MATRIX, help="the matrix.json to compare against")
    ap.add_argument("--since", metavar="X.Y.Z", help="check torch releases from this one on (default: the newest in the data)")
    ap.add_argument("--variant", action="append", default=[], metavar="V",
                    help="also read this index online, e.g. cu134 or rocm7.14 (repeatable)")
    ap.add_argument("--write", metavar="PATH", type=Path, help="write the proposed matrix.json here (never over --matrix)")
    ap.add_argument("--pypi-only", action="store_true",
                    help="read only PyPI (release dates, Python tags, Requires-Python, pairings, default builds); "
                         "the PyTorch index and build scripts are not read, so builds are unchecked")
    ap.add_argument("--today", metavar="YYYY-MM-DD", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    try:
        if args.offline is not None and not args.offline.is_dir():
            raise RefreshError(f"--offline {args.offline}: not a directory")
        if args.pypi_only and args.write is not None:
            raise RefreshError("--write needs the PyTorch index (the builds of a new release come from it): drop --pypi-only")
        if args.write is not None and args.write.resolve() == args.matrix.resolve():
            raise RefreshError("--write must name a new file, not the matrix.json being compared (review the proposal, then copy it)")
        if args.since is not None and not re.fullmatch(r"\d+(\.\d+){0,2}", args.since):
            raise RefreshError(f"--since must look like 2.15.0 (got {args.since!r})")
        try:
            data = json.loads(args.matrix.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RefreshError(f"cannot read {args.matrix}: {exc}") from None
        rep = refresh(Responses(args.offline, pypi_only=args.pypi_only), data, since=args.since, extra_variants=args.variant, today=args.today)
    except RefreshError as exc:
        print(f"refresh_data: {exc}", file=sys.stderr)
        return 2
    print(f"checked torch {', '.join(rep.checked) or '(no release on PyPI at or after --since)'} against {args.matrix}")
    for d in rep.differences:
        print(f"  - {d}")
    if not rep.differences:
        print("  no differences: the data says what PyPI says (the PyTorch index was not read: builds unchecked)"
              if args.pypi_only else "  no differences: the data says what PyPI and the PyTorch index say")
    for n in rep.unchecked:
        print(f"  . {n}")
    for p in rep.problems:
        print(f"  ! proposal problem: {p}")
    if args.write is not None and rep.proposed:
        args.write.write_text(json.dumps(rep.data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.write}: {len(rep.proposed)} proposed release(s), every new row marked 'review'; "
              "bump data_version and sign it before publishing (README, Updating the data)")
    return 3 if rep.differences else 0


if __name__ == "__main__":
    sys.exit(main())
