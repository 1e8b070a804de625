"""Build the TorchDesk one-folder bundle with PyInstaller and print where it is and how big.

    python installer/build.py                      # -> dist/torchdesk/ (macOS: also dist/TorchDesk.app)
    python installer/build.py --dist OUT --work W  # elsewhere
    python installer/build.py --archive            # Linux: also dist/torchdesk-VERSION-linux-ARCH.tar.gz

On Linux the bundle's top folder also gets install.sh, uninstall.sh and torchdesk.desktop from installer/linux/,
so the release archive unpacks to a folder the user can run `./torchdesk/install.sh` from.

Needs `pip install -e .[installer]` (PyInstaller) and, on Linux, binutils (objdump, strip). Prints one last
line `bundle: PATH SIZE_MB MB FILES files SECONDS s`, which tests and bench/bench_bundle.py read.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "installer" / "torchdesk.spec"
NAME = "torchdesk"


def bundle_size(path: Path) -> tuple[int, int]:
    """(bytes, files) under path; symlinks (macOS frameworks) count as links, not as their targets."""
    total = files = 0
    for dirpath, _dirnames, filenames in os.walk(path):
        for name in filenames:
            p = Path(dirpath, name)
            if not p.is_symlink():
                total += p.stat().st_size
                files += 1
    return total, files


def bundle_dir(dist: Path) -> Path:
    """The built bundle: TorchDesk.app on macOS, else the one-folder dist/torchdesk."""
    app = dist / "TorchDesk.app"
    return app if sys.platform == "darwin" and app.is_dir() else dist / NAME


def build(dist: Path, work: Path, *, clean: bool = True) -> Path:
    """Run PyInstaller on the spec; returns the bundle folder."""
    cmd = [sys.executable, "-m", "PyInstaller", str(SPEC), "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work)]
    if clean:
        cmd.append("--clean")
    subprocess.run(cmd, cwd=ROOT, check=True)
    return bundle_dir(dist)


def add_linux_installer(bundle: Path) -> None:
    """Put install.sh, uninstall.sh and the .desktop entry at the top of the Linux bundle."""
    for name in ("install.sh", "uninstall.sh", "torchdesk.desktop"):
        shutil.copy2(ROOT / "installer" / "linux" / name, bundle / name)


def version() -> str:
    """The package version, read from desktop/__init__.py without importing it."""
    text = (ROOT / "desktop" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__ = "([^"]+)"', text)
    return match.group(1) if match else "0"


def make_archive(bundle: Path) -> Path:
    """dist/torchdesk-VERSION-linux-ARCH.tar.gz holding the bundle as torchdesk/ (links kept as links)."""
    base = bundle.parent / f"torchdesk-{version()}-linux-{platform.machine().lower()}"
    return Path(shutil.make_archive(str(base), "gztar", root_dir=bundle.parent, base_dir=bundle.name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller work folder")
    parser.add_argument("--archive", action="store_true", help="Linux: also pack the bundle as a .tar.gz")
    parser.add_argument("--no-clean", action="store_true", help="reuse PyInstaller's cache from an earlier build")
    args = parser.parse_args(argv)

    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        print("PyInstaller is missing: pip install -e '.[installer]'", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        out = build(args.dist.resolve(), args.work.resolve(), clean=not args.no_clean)
    except subprocess.CalledProcessError as exc:
        print(f"PyInstaller failed (exit {exc.returncode}); its log is above", file=sys.stderr)
        return 1
    linux = sys.platform.startswith("linux")
    if linux:
        add_linux_installer(out)
    seconds = time.perf_counter() - start
    if args.archive and linux:
        archive = make_archive(out)
        print(f"archive: {archive} {archive.stat().st_size / 1e6:.1f} MB")
    size, files = bundle_size(out)
    print(f"bundle: {out} {size / 1e6:.1f} MB {files} files {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
