"""Build, for the engine and job tests, a local file:// conda channel and a local pip index. All offline.

The channel holds:
  * `python` 3.11: the running interpreter (pyenv build) packed as a conda package. Its binary links
    libpython from its own prefix through an absolute RUNPATH; we rewrite that to `$ORIGIN/../lib` so the
    package works wherever it is linked. Text files that name the old prefix are marked with it as their
    prefix placeholder, so the linker rewrites them (as conda-build packages do).
  * `pip`: the interpreter's own pip, as a conda package that depends on python.
  * `td-base`, `td-hello`: tiny noarch packages (td-hello depends on td-base), for --conda-extra.

The pip index holds tiny pure-Python `torch`/`torchvision`/`torchaudio` wheels (2.5.1+cpu ...), a `numpy`,
and `td-extra` as a user's extra. It is a PEP 503 tree usable as `--index-url file://...`, and can be
served over http by `serve_index` (optionally stalling wheel downloads, for the cancel test).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.server
import io
import json
import os
import shutil
import struct
import sys
import tarfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

PY_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
PY_FULL = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
SUBDIR = "linux-64"
RELATIVE_RUNPATH = b"$ORIGIN/../lib"

# Parts of the stdlib a smoke-tested interpreter does not need: they would only slow the channel build.
_SKIP_DIRS = {"__pycache__", "test", "tests", "idlelib", "tkinter", "turtledemo", "lib2to3", "ensurepip", "site-packages"}

TORCH_WHEELS = (
    ("torch", "2.5.1+cpu", ()),
    ("torchvision", "0.20.1+cpu", ("torch==2.5.1+cpu",)),
    ("torchaudio", "2.5.1+cpu", ("torch==2.5.1+cpu",)),
    ("numpy", "1.26.4", ()),
)
EXTRA_WHEELS = (("td-extra", "1.0", ()),)


# --- ELF: make the interpreter's RUNPATH relative -----------------------------------------------------------------

def set_relative_runpath(path: Path, new: bytes = RELATIVE_RUNPATH) -> bytes | None:
    """Rewrite an ELF64 file's DT_RUNPATH/DT_RPATH in place to `new` (which must not be longer). Returns the old one."""
    data = bytearray(path.read_bytes())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None  # not a little-endian ELF64 (a static or non-ELF interpreter needs no patch)
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    old: bytes | None = None
    for sh in sections:
        if sh[1] != 6:  # SHT_DYNAMIC
            continue
        off, size, link = sh[4], sh[5], sh[6]
        strtab_off = sections[link][4]
        for i in range(0, size, 16):
            tag, val = struct.unpack_from("<qQ", data, off + i)
            if tag == 0:
                break
            if tag in (15, 29):  # DT_RPATH, DT_RUNPATH
                start = strtab_off + val
                end = data.index(b"\0", start)
                old = bytes(data[start:end])
                if len(new) > len(old):
                    raise ValueError(f"{path}: new runpath longer than the old one ({old!r})")
                data[start:end] = new + b"\0" * (len(old) - len(new))
    if old is not None:
        path.write_bytes(bytes(data))
    return old


# --- conda packages -----------------------------------------------------------------------------------------------

def _sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def make_conda_package(out_dir: Path, stage: Path, *, name: str, version: str, build: str = "0", subdir: str = SUBDIR,
                       depends: tuple[str, ...] = (), noarch: str | None = None, placeholder: str | None = None) -> Path:
    """Pack the tree under `stage` as <name>-<version>-<build>.tar.bz2 (info/index.json, paths.json, files)."""
    files = sorted(p for p in stage.rglob("*") if p.is_symlink() or p.is_file())
    paths = []
    ph = placeholder.encode() if placeholder else None
    for p in files:
        rel = p.relative_to(stage).as_posix()
        if p.is_symlink():
            paths.append({"_path": rel, "path_type": "softlink", "size_in_bytes": 0})
            continue
        entry: dict[str, object] = {"_path": rel, "path_type": "hardlink", "sha256": _sha256(p),
                                    "size_in_bytes": p.stat().st_size}
        if ph is not None:
            body = p.read_bytes()
            if ph in body and b"\0" not in body:
                entry.update(prefix_placeholder=placeholder, file_mode="text")
        paths.append(entry)
    index = {"name": name, "version": version, "build": build, "build_number": 0, "depends": list(depends),
             "license": "PSF-2.0" if name in ("python", "pip") else "MIT", "subdir": subdir,
             "timestamp": int(time.time() * 1000)}
    if subdir != "noarch":
        index.update(arch="x86_64", platform="linux")
    if noarch:
        index["noarch"] = noarch
    info = {
        "info/index.json": json.dumps(index, indent=2),
        "info/paths.json": json.dumps({"paths": paths, "paths_version": 1}, indent=2),
        "info/files": "\n".join(str(e["_path"]) for e in paths) + "\n",
        "info/about.json": json.dumps({"summary": f"{name} for TorchDesk's tests"}),
    }
    has_placeholder = [e for e in paths if "prefix_placeholder" in e]
    if has_placeholder:
        info["info/has_prefix"] = "".join(f"{placeholder} text {e['_path']}\n" for e in has_placeholder)
    (out_dir / subdir).mkdir(parents=True, exist_ok=True)
    target = out_dir / subdir / f"{name}-{version}-{build}.tar.bz2"
    with tarfile.open(target, "w:bz2", compresslevel=1) as tar:
        for arc, text in info.items():
            data = text.encode()
            ti = tarfile.TarInfo(arc)
            ti.size = len(data)
            ti.mtime = int(time.time())
            tar.addfile(ti, io.BytesIO(data))
        for p in files:
            tar.add(p, arcname=p.relative_to(stage).as_posix(), recursive=False)
    return target


def _copy_tree(src: Path, dst: Path) -> None:
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith("config-")]
        r = Path(root)
        out = dst / r.relative_to(src)
        out.mkdir(parents=True, exist_ok=True)
        for f in files:
            # EXTERNALLY-MANAGED (PEP 668) is a distribution's policy for its own /usr; a conda python never has one,
            # and copied from Debian's python it would make uv and pip refuse to install into the test envs
            if f.endswith((".pyc", ".pyo", ".a")) or f == "EXTERNALLY-MANAGED":
                continue
            s = r / f
            if s.is_symlink():
                if os.path.isabs(os.readlink(s)):  # Debian's sitecustomize.py -> /etc/...: not part of a package
                    continue
                os.symlink(os.readlink(s), out / f)
            else:
                shutil.copy2(s, out / f)


def stage_python(stage: Path, base: Path = Path(sys.base_prefix)) -> str:
    """Lay the running interpreter's files out under `stage`; return the prefix they were built for."""
    stage.mkdir(parents=True)
    (stage / "bin").mkdir()
    exe = base / "bin" / f"python{PY_VERSION}"
    shutil.copy2(exe, stage / "bin" / exe.name)
    set_relative_runpath(stage / "bin" / exe.name)
    for link in ("python3", "python"):
        os.symlink(exe.name, stage / "bin" / link)
    (stage / "lib").mkdir()
    for lib in (base / "lib").glob("libpython*"):
        if lib.is_symlink():
            os.symlink(os.readlink(lib), stage / "lib" / lib.name)
        elif lib.suffix != ".a":
            shutil.copy2(lib, stage / "lib" / lib.name)
    _copy_tree(base / "lib" / f"python{PY_VERSION}", stage / "lib" / f"python{PY_VERSION}")
    sp = stage / "lib" / f"python{PY_VERSION}" / "site-packages"
    sp.mkdir(exist_ok=True)
    (sp / "README.txt").write_text("This directory exists so that 3rd party packages can be installed here.\n")
    _undo_debian_layout(stage / "lib" / f"python{PY_VERSION}")
    return str(base)


def _undo_debian_layout(stdlib: Path) -> None:
    """Debian patches its python to install into <prefix>/local/lib/pythonX.Y/dist-packages and to leave
    lib/pythonX.Y/site-packages off sys.path outside a venv. A conda python does neither, so the copy packed as
    this channel's `python` gets upstream's layout back (only where Debian's exact lines are found)."""
    sysconfig = stdlib / "sysconfig.py"
    text = sysconfig.read_text(encoding="utf-8") if sysconfig.is_file() else ""
    debian = "            prefix_scheme = 'posix_local'\n"
    if debian not in text:
        return
    # installs (uv, pip) go to lib/pythonX.Y/site-packages, as in a conda python
    sysconfig.write_text(text.replace(debian, "            prefix_scheme = 'posix_prefix'\n", 1), encoding="utf-8")
    # site.py is frozen into Debian's binary, so the copy cannot be edited: one of the folders its site module does
    # read gets a .pth that adds lib/pythonX.Y/site-packages (and runs the .pth files there)
    deb_site = stdlib.parent / "python3" / "dist-packages"
    deb_site.mkdir(parents=True, exist_ok=True)
    (deb_site / "torchdesk-test-channel.pth").write_text(
        "import os, site, sys; site.addsitedir(os.path.join(sys.prefix, 'lib', 'python%d.%d' % sys.version_info[:2], "
        "'site-packages'))\n")


def stage_pip(stage: Path) -> str:
    """The running interpreter's pip under lib/pythonX.Y/site-packages; return its version."""
    import pip

    src = Path(pip.__file__).parent
    sp = stage / "lib" / f"python{PY_VERSION}" / "site-packages"
    _copy_tree(src, sp / "pip")
    dist = next(src.parent.glob(f"pip-{pip.__version__}.dist-info"))
    _copy_tree(dist, sp / dist.name)
    (sp / dist.name / "RECORD").write_text("")  # the copied RECORD lists pyc files we left out
    return pip.__version__


def stage_small(stage: Path, name: str) -> None:
    d = stage / "share" / name
    d.mkdir(parents=True)
    (d / "hello.txt").write_text(f"hello from {name}\n")


def index_channel(channel: Path) -> None:
    """Write repodata.json for every subdir with rattler's indexer."""
    from rattler.index import index_fs

    (channel / "noarch").mkdir(parents=True, exist_ok=True)
    asyncio.run(index_fs(channel, write_zst=False, write_shards=False))


def build_channel(root: Path) -> Path:
    """The whole local channel under root/channel; returns its path."""
    channel = root / "channel"
    stages = root / "stage"
    placeholder = stage_python(stages / "python")
    make_conda_package(channel, stages / "python", name="python", version=PY_FULL, build="0_td", placeholder=placeholder)
    pip_version = stage_pip(stages / "pip")
    make_conda_package(channel, stages / "pip", name="pip", version=pip_version, build="0_td",
                       depends=(f"python >={PY_VERSION},<{PY_VERSION}.999",))
    for name, deps in (("td-base", ()), ("td-hello", ("td-base",))):
        stage_small(stages / name, name)
        make_conda_package(channel, stages / name, name=name, version="1.0", build="0", subdir="noarch",
                           depends=deps, noarch="generic")
    shutil.rmtree(stages)
    index_channel(channel)
    return channel


# --- pip wheels and a PEP 503 index ------------------------------------------------------------------------------

def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(out_dir: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    """A tiny pure-Python wheel: `import <name>` gives a module whose __version__ is `version`."""
    mod = name.replace("-", "_")
    dist = f"{mod}-{version}.dist-info"
    files = {
        f"{mod}/__init__.py": f"__version__ = {version!r}\n",
        f"{dist}/METADATA": "Metadata-Version: 2.1\nName: {}\nVersion: {}\n{}".format(
            name, version, "".join(f"Requires-Dist: {r}\n" for r in requires)),
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: torchdesk-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{p},{_record_hash(c.encode())},{len(c.encode())}\n" for p, c in files.items()) + f"{dist}/RECORD,,\n"
    files[f"{dist}/RECORD"] = record
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{mod}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for p, c in files.items():
            z.writestr(p, c)
    return path


def _core_metadata(wheel: Path) -> str:
    """Write <wheel>.metadata beside the wheel and return the anchor attributes that announce it (PEP 658/714),
    as PyPI and PyTorch's index do: installers then resolve without fetching the wheel itself."""
    with zipfile.ZipFile(wheel) as z:
        meta = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA")))
    side = wheel.with_name(wheel.name + ".metadata")
    side.write_bytes(meta)
    digest = f"sha256={hashlib.sha256(meta).hexdigest()}"
    return f'data-dist-info-metadata="{digest}" data-core-metadata="{digest}"'


def build_pip_index(root: Path, wheels: tuple[tuple[str, str, tuple[str, ...]], ...]) -> Path:
    """root/files/*.whl and root/simple/<project>/index.html (PEP 503). Returns root/simple."""
    files = root / "files"
    simple = root / "simple"
    projects: dict[str, list[Path]] = {}
    for name, version, requires in wheels:
        projects.setdefault(name, []).append(make_wheel(files, name, version, requires))
    for name, paths in projects.items():
        d = simple / name
        d.mkdir(parents=True, exist_ok=True)
        links = "".join(f'<a href="../../files/{p.name}#sha256={_sha256(p)}" {_core_metadata(p)}>{p.name}</a><br/>\n'
                        for p in paths)
        (d / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
    (simple / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n" + "".join(f'<a href="{n}/">{n}</a><br/>\n' for n in projects) + "</body></html>\n")
    return simple


@dataclass
class LocalRepo:
    channel: Path
    torch_index: Path  # PEP 503 tree of the torch wheels
    extras_index: Path  # PEP 503 tree of the user's extras

    @property
    def channel_url(self) -> str:
        return self.channel.as_uri()

    @property
    def torch_index_url(self) -> str:
        return self.torch_index.as_uri()

    @property
    def extras_index_url(self) -> str:
        return self.extras_index.as_uri()


def build_local_repo(root: Path) -> LocalRepo:
    """Everything the engine tests install from, under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    channel = build_channel(root)
    torch_index = build_pip_index(root / "torch-index", TORCH_WHEELS)
    extras_index = build_pip_index(root / "extras-index", EXTRA_WHEELS)
    return LocalRepo(channel, torch_index, extras_index)


# --- serving an index over http, optionally stalling -------------------------------------------------------------

class _Handler(http.server.SimpleHTTPRequestHandler):
    stall_wheels = False
    stop: threading.Event

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.stall_wheels and self.path.endswith(".whl"):
            # Headers first, so the installer starts "Downloading ...", then no body: it sits silent in a read.
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            self.wfile.flush()
            self.stop.wait(300)
            return
        super().do_GET()


@dataclass
class Served:
    url: str  # the simple index's URL
    server: http.server.ThreadingHTTPServer
    stop: threading.Event

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def serve_index(simple: Path, *, stall_wheels: bool = False) -> Served:
    """Serve `simple`'s parent over http on 127.0.0.1 (a random port)."""
    stop = threading.Event()
    handler = type("H", (_Handler,), {"stall_wheels": stall_wheels, "stop": stop})

    def factory(*args, **kwargs):  # type: ignore[no-untyped-def]
        return handler(*args, directory=str(simple.parent), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), factory)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Served(f"http://127.0.0.1:{server.server_address[1]}/{simple.name}", server, stop)


if __name__ == "__main__":
    t0 = time.monotonic()
    repo = build_local_repo(Path(sys.argv[1]))
    print(repo, f"{time.monotonic() - t0:.1f}s")


# --- pytest helpers -----------------------------------------------------------------------------------------------

def shared_repo(tmp_path_factory) -> LocalRepo:  # type: ignore[no-untyped-def]
    """The session's local repo: built on first use, then reused by every test module in the session."""
    root = tmp_path_factory.getbasetemp() / "torchdesk-localrepo"
    done = root / ".built"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        build_local_repo(root)
        done.write_text("ok\n")
    return LocalRepo(root / "channel", root / "torch-index" / "simple", root / "extras-index" / "simple")


def isolate_home(monkeypatch, home: Path, pkgs: Path) -> None:  # type: ignore[no-untyped-def]
    """A fresh HOME (so ~/.conda/environments.txt and the platformdirs folders live there) and a shared pkgs cache."""
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "TORCHDESK_ENVS_DIR",
                "TORCHDESK_LOG_DIR", "CONDARC", "MAMBARC", "TORCHDESK_CHANNEL", "TORCHDESK_PIP_INDEX_URL",
                "TORCHDESK_EXTRAS_INDEX_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TORCHDESK_PKGS_DIR", str(pkgs))


def tree_state(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, tuple[int, bytes | str]]:
    """Every path under root with its mode and content (or link target): for byte-for-byte comparisons."""
    out: dict[str, tuple[int, bytes | str]] = {}
    for p in sorted(root.rglob("*")):
        if any(p == s or s in p.parents for s in skip):
            continue
        st = p.lstat()
        if p.is_symlink():
            out[str(p)] = (st.st_mode, os.readlink(p))
        elif p.is_file():
            out[str(p)] = (st.st_mode, p.read_bytes())
        else:
            out[str(p)] = (st.st_mode, "")
    return out
