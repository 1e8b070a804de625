"""Entry point of the bundled app: one script behind both executables in the one-folder bundle.

`torchdesk` (console) runs the command line; `torchdesk-gui` (windowed on Windows and macOS) opens the app, and
`torchdesk-gui --self-test` runs the app's start-up check. The executable's own name picks which, except that
`torchdesk --self-test` also runs the app's check: on Windows the windowed torchdesk-gui.exe has no stdout to
print its JSON to, so the console executable is the one a script or a support request runs.

`--bundle-check` (either executable) checks the bundle itself, not the app: the parts PyInstaller could have
left out (rattler's native extension, the Qt platform plugins, the data files and the smoke script, which
other Pythons run from disk) load from inside the bundle. It prints one JSON object; exit 0 when all load.
"""

import os
import sys


def bundle_check() -> int:
    """Load each part the bundle must carry; print {"ok": bool, "checks": {name: detail}} as one JSON line."""
    import json
    from pathlib import Path

    checks = {}
    failed = []

    def check(name, fn):
        try:
            checks[name] = fn()
        except BaseException as exc:  # a missing .so raises ImportError/OSError; report, never crash
            checks[name] = f"FAILED: {type(exc).__name__}: {exc}"
            failed.append(name)

    def rattler_native():
        import rattler

        # Platform.current() and MatchSpec parsing run in the Rust extension, not in Python.
        spec = rattler.MatchSpec("pytorch-cuda >=12.1,<13")
        return {"platform": str(rattler.Platform.current()), "matchspec": str(spec.name.normalized)}

    def qt_offscreen():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtCore import QLibraryInfo
        from PySide6.QtGui import QIcon
        from PySide6.QtWidgets import QApplication, QLabel

        app = QApplication.instance() or QApplication([sys.argv[0]])
        icon = QIcon(str(resources() / "icons" / "torchdesk-256.png"))
        label = QLabel("bundle check")
        label.setWindowIcon(icon)
        label.show()
        app.processEvents()
        plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
        return {
            "platform": app.platformName(),
            "platform_plugins": sorted(p.name for p in plugins.iterdir()) if plugins.is_dir() else [],
            "icon_sizes": [s.width() for s in icon.availableSizes()],
        }

    def resources():
        import desktop

        return Path(desktop.__file__).resolve().parent / "resources"

    def data_files():
        import desktop.matrixload  # noqa: F401 - the loader (with schema.py) resolves resources/ from its own __file__

        found = {}
        for rel in ("matrix.json", "matrix.schema.json", "icons/torchdesk.svg", "icons/torchdesk-256.png"):
            p = resources() / rel
            if not p.is_file():
                raise FileNotFoundError(p)
            found[rel] = p.stat().st_size
        return found

    def smoke_script():
        from desktop.verify import SMOKE_SCRIPT  # what verify copies and runs: the entry and its siblings

        p = SMOKE_SCRIPT.resolve()
        if not p.is_file():
            raise FileNotFoundError(p)
        for part in sorted(p.parent.glob("torchdesk_smoke*.py")):
            compile(part.read_bytes(), str(part), "exec")  # plain, readable .py files another Python can run
        return str(p)

    def uv_binary():
        import subprocess

        from desktop.wheelenv import find_uv

        path, why = find_uv()  # what the wheel stage itself calls
        if path is None:
            raise FileNotFoundError(why)
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60, check=True)
        return {"path": path, "version": out.stdout.strip()}

    def core_imports():
        import importlib
        import pkgutil

        import desktop

        names = [m.name for m in pkgutil.walk_packages(desktop.__path__, "desktop.") if ".ui" not in m.name]
        for name in names:
            importlib.import_module(name)
        return len(names)

    check("frozen", lambda: bool(getattr(sys, "frozen", False)))
    check("core_imports", core_imports)
    check("data_files", data_files)
    check("smoke_script", smoke_script)
    check("rattler", rattler_native)
    check("uv", uv_binary)
    check("qt", qt_offscreen)
    print(json.dumps({"ok": not failed, "failed": failed, "checks": checks}, sort_keys=True))
    return 1 if failed else 0


def main() -> int:
    if sys.argv[1:2] == ["--bundle-check"]:
        return bundle_check()
    from desktop.engine.embedded import CHILD_FLAG

    if sys.argv[1:2] == [CHILD_FLAG]:  # the embedded engine's child process (desktop/engine/embedded.py)
        from desktop.engine.embedded import child_main

        child_main(sys.argv[2:])  # leaves through os._exit
        return 1
    name = os.path.splitext(os.path.basename(sys.executable))[0].lower()
    if name == "torchdesk" and sys.argv[1:2] != ["--self-test"]:
        from desktop.cli import main as cli_main

        return cli_main()
    from desktop.__main__ import main as app_main

    return app_main()


if __name__ == "__main__":
    sys.exit(main())
