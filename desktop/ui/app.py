"""Start the app: `run_app(argv)`. `--self-test` starts, detects, resolves, shows the window, prints one JSON
object and exits (0 ok; 1 naming what failed) for the installer check and support requests."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import traceback
from types import TracebackType
from typing import Any

SELF_TEST_TIMEOUT_S = 90.0
log = logging.getLogger("torchdesk.ui")


def _process_age() -> float | None:
    """Seconds since this process started (the OS's clock, so interpreter start-up counts too)."""
    try:
        # Linux: both numbers count from boot, to the clock tick (psutil's create_time adds the boot time,
        # which /proc/stat gives only to the second).
        with open("/proc/self/stat", "rb") as f:
            start_ticks = int(f.read().rsplit(b")", 1)[1].split()[19])
        with open("/proc/uptime", "rb") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import psutil

        return max(0.0, time.time() - psutil.Process().create_time())
    except Exception:  # noqa: BLE001 - only a measurement
        return None


def _setup_logging() -> str | None:
    """Log to <log dir>/torchdesk-gui.log; returns the file or None if it cannot be written."""
    from ..paths import log_dir

    try:
        d = log_dir()
        d.mkdir(parents=True, exist_ok=True)
        path = d / "torchdesk-gui.log"
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("torchdesk")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return str(path)


def install_excepthook(window: Any) -> Any:
    """Log every uncaught exception and show it in the window (from any thread, via a queued signal)."""
    from PySide6.QtCore import QObject, Signal, Slot

    from .qtcompat import emit

    class _Bridge(QObject):
        error = Signal(str, str)

        @Slot(str, str)
        def _on_self_error(self, message: str, details: str) -> None:
            window.show_error(self.tr("Something went wrong"),
                              self.tr("TorchDesk hit an unexpected error: {error}. It was written to the log "
                                      "(File > Open logs folder); please include it in a bug report.").format(
                                          error=message), details)

    bridge = _Bridge(window)
    bridge.error.connect(bridge._on_self_error)

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("uncaught exception\n%s", details)
        sys.__stderr__.write(details) if sys.__stderr__ else None
        try:
            emit(bridge.error, f"{exc_type.__name__}: {exc}", details)
        except RuntimeError:  # the window is gone
            pass

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not None and args.exc_value is not None:
            hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
    return bridge


def _headless() -> bool:
    return sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# The shared libraries Qt loads on Linux, by soname, with the Debian/Ubuntu package that ships each (Debian 12
# package contents, packages.debian.org; the xcb list also in https://doc.qt.io/qt-6/linux-requirements.html).
# QtGui needs the first group on every platform, offscreen included; Qt's xcb plugin (libqxcb.so ->
# libQt6XcbQpa.so.6, PySide6 6.6-6.11: `readelf -d`) needs the second, and since Qt 6.5 libxcb-cursor0 is among
# them; the wayland plugin needs the third. tests/test_app_start.py checks the table against the DT_NEEDED
# entries of the installed plugin, so a new Qt that needs more is caught.
QT_GUI_LIBS: tuple[tuple[str, str], ...] = (
    ("libEGL.so.1", "libegl1"), ("libGL.so.1", "libgl1"), ("libfontconfig.so.1", "libfontconfig1"),
    ("libfreetype.so.6", "libfreetype6"), ("libxkbcommon.so.0", "libxkbcommon0"),
    ("libglib-2.0.so.0", "libglib2.0-0"), ("libgthread-2.0.so.0", "libglib2.0-0"), ("libdbus-1.so.3", "libdbus-1-3"),
)
QT_XCB_LIBS: tuple[tuple[str, str], ...] = (
    ("libxcb.so.1", "libxcb1"), ("libX11.so.6", "libx11-6"), ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"), ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"), ("libxcb-util.so.1", "libxcb-util1"), ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"), ("libxcb-randr.so.0", "libxcb-randr0"),
    ("libxcb-render.so.0", "libxcb-render0"), ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-shape.so.0", "libxcb-shape0"), ("libxcb-shm.so.0", "libxcb-shm0"), ("libxcb-sync.so.1", "libxcb-sync1"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0"), ("libxcb-xkb.so.1", "libxcb-xkb1"),
)
QT_WAYLAND_LIBS: tuple[tuple[str, str], ...] = (
    ("libwayland-client.so.0", "libwayland-client0"), ("libwayland-cursor.so.0", "libwayland-cursor0"),
    ("libwayland-egl.so.1", "libwayland-egl1"),
)
# Platform plugins that draw without a display server.
_NO_DISPLAY_PLATFORMS = ("offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")
_CLI_WORKS = "the command line works without them: try `torchdesk recommend`"


def missing_libraries(table: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """(soname, package) of each library the dynamic loader cannot load (dlopen, as Qt will)."""
    import ctypes

    # A PyInstaller bundle carries some of these libraries beside the app, where the loader finds them for Qt
    # (through Qt's RPATH) but not for a bare dlopen: look there too.
    bundled = [d for d in (getattr(sys, "_MEIPASS", None),) if d]
    missing = []
    for soname, package in table:
        for candidate in (soname, *(os.path.join(d, soname) for d in bundled)):
            try:
                ctypes.CDLL(candidate)
                break
            except OSError:
                continue
        else:
            missing.append((soname, package))
    return missing


def _x_server_answers(display: str) -> bool:
    """Whether an X server listens at DISPLAY (":1", "unix:1", "host:10.0"); unparsable values get the benefit of
    the doubt, so Qt gives its own answer."""
    import re
    import socket

    m = re.fullmatch(r"(?:(?P<host>[^:/]*)/?)?:(?P<num>\d+)(?:\.\d+)?", display)
    if m is None:
        return True
    host, num = m.group("host") or "", int(m.group("num"))
    try:
        if host in ("", "unix"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                try:
                    s.connect(f"/tmp/.X11-unix/X{num}")
                except OSError:
                    s.connect(f"\0/tmp/.X11-unix/X{num}")  # the abstract socket Xorg and Xvfb also bind
            return True
        with socket.create_connection((host, 6000 + num), timeout=2):
            return True
    except OSError:
        return False


def start_problem(env: dict[str, str] | os._Environ[str] | None = None, platform: str | None = None) -> str | None:
    """One sentence saying why Qt cannot open a window here (no display, a missing library), or None.

    Checked before Qt starts: without a display Qt's xcb plugin aborts the process (a core dump, exit 134) with a
    message about libxcb-cursor0 even when that is installed."""
    import importlib.util

    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if importlib.util.find_spec("PySide6") is None:
        return ("TorchDesk's window cannot open: PySide6 is not installed (pip install PySide6-Essentials); "
                "the command line works without it: try `torchdesk recommend`.")
    if not platform.startswith("linux"):
        return None
    wanted = [p.strip().split(":", 1)[0] for p in (env.get("QT_QPA_PLATFORM") or "").split(";") if p.strip()]
    needs_libs = missing_libraries(QT_GUI_LIBS)
    if any(p in _NO_DISPLAY_PLATFORMS for p in wanted):
        table: tuple[tuple[str, str], ...] = ()
    else:
        display, wayland = env.get("DISPLAY", ""), env.get("WAYLAND_DISPLAY", "")
        use_wayland = ("wayland" in wanted or (not wanted and bool(wayland))) and bool(wayland)
        if not display and not use_wayland:
            return ("TorchDesk's window cannot open: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is "
                    "set, as over ssh or in a container); start it from a desktop session, or use `ssh -X`, and "
                    "meanwhile the command line works: try `torchdesk recommend`.")
        if not use_wayland and not _x_server_answers(display):
            return (f"TorchDesk's window cannot open: no X server answers at DISPLAY={display}; start it from a "
                    "desktop session (or check DISPLAY), and meanwhile the command line works: try "
                    "`torchdesk recommend`.")
        table = QT_WAYLAND_LIBS if use_wayland else QT_XCB_LIBS
    needs_libs += missing_libraries(table)
    if needs_libs:
        sonames = ", ".join(dict.fromkeys(so for so, _ in needs_libs))
        packages = " ".join(dict.fromkeys(pkg for _, pkg in needs_libs))
        return (f"TorchDesk's window cannot open: Qt needs libraries this system lacks ({sonames}); install them "
                f"with `sudo apt-get install {packages}` (Fedora and Arch: see the README's Installing section), and "
                f"meanwhile {_CLI_WORKS}.")
    return None


def run_app(argv: list[str]) -> int:
    """Open the window (or run the self-test). Returns the process exit code."""
    args = list(argv)
    if "--version" in args:
        from .. import __version__

        print(f"torchdesk-gui {__version__}")
        return 0
    if "-h" in args or "--help" in args:
        print("usage: torchdesk-gui [--self-test] [--version]\n\n"
              "  --self-test  start, detect, resolve, show the window, print one JSON summary and exit\n"
              "               (0 ok, 1 failed: the JSON's 'failed' names the step)")
        return 0
    self_test = "--self-test" in args
    args = [a for a in args if a != "--self-test"]
    if self_test and _headless() and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # an installer check on a machine with no display
    problem = start_problem()
    if problem:
        if self_test:
            _print_json({"ok": False, "failed": "start", "error": problem})
        else:
            print(problem, file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    try:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "torchdesk", *args])
        app.setApplicationName("TorchDesk")
        app.setOrganizationName("TorchDesk")
        app.setDesktopFileName("torchdesk")  # type: ignore[attr-defined]  # a QApplication (instance() is typed as its base); Wayland matches the window to torchdesk.desktop and its icon
        from .i18n import install_translator
        from .main_window import MainWindow
        from .settings import UiSettings

        settings = UiSettings(read_only=self_test)  # a self-test never saves the user's settings
        install_translator(app, settings.language)  # before any widget is built: they set their texts once
        window = MainWindow(settings)
    except Exception as exc:  # noqa: BLE001 - report, never a silent crash
        if self_test:
            _print_json({"ok": False, "failed": "start", "error": f"{type(exc).__name__}: {exc}"})
        else:
            traceback.print_exc()
        return 1
    _set_icon(app, window)
    bridge = install_excepthook(window)
    state: dict[str, Any] = {"code": 0, "shown_at": None}

    def on_shown(at: float) -> None:
        state["shown_at"] = at
        state["age_at_shown"] = _process_age()

    window.first_shown.connect(on_shown)
    if self_test:
        _wire_self_test(app, window, state, t0)
    window.show()
    window.start()
    QTimer.singleShot(200, _setup_logging)  # after the first paint: start-up stays fast
    code = app.exec()
    del bridge
    return int(state["code"]) if self_test else int(code)


def _wire_self_test(app: Any, window: Any, state: dict[str, Any], t0: float) -> None:
    from PySide6.QtCore import QTimer

    def finish(payload: dict[str, Any], code: int) -> None:
        if state.get("done"):
            return
        state["done"] = True
        state["code"] = code
        payload["time_to_window_shown_s"] = (
            round(state["age_at_shown"], 3) if state.get("age_at_shown") is not None
            else (round(state["shown_at"] - t0, 3) if state.get("shown_at") else None))
        payload["platform"] = app.platformName()
        _print_json(payload)
        window.shutdown()
        window.close()
        app.quit()

    def on_ready(s: Any) -> None:
        def report() -> None:
            rec = s.recommendation
            if state.get("shown_at") is None:
                finish({"ok": False, "failed": "show", "error": "the window was never shown"}, 1)
                return
            payload = {
                "ok": rec.plan is not None,
                "gpus": [{"name": g.name, "cc": g.cc, "arch": g.arch, "memory_mib": g.memory_mib} for g in s.host.gpus],
                "driver": s.host.driver,
                "os": s.host.platform,
                "plan": rec.plan.to_json() if rec.plan is not None else None,
                "summary": rec.resolution.summary,
                "data_version": s.matrix.data_version,
                "detect_and_resolve_s": round(s.seconds, 3),
            }
            if rec.plan is None:
                payload["failed"] = "resolve"
                payload["error"] = rec.resolution.summary
            finish(payload, 0 if rec.plan is not None else 1)

        QTimer.singleShot(0, report)

    def on_failed(err: Any) -> None:
        finish({"ok": False, "failed": "detect", "error": err.message}, 1)

    def on_timeout() -> None:
        finish({"ok": False, "failed": "timeout",
                "error": f"no recommendation within {SELF_TEST_TIMEOUT_S:.0f} s (detection or resolution hung)"}, 1)

    window.ready.connect(on_ready)
    window.startup_failed.connect(on_failed)
    window.show_error = lambda title, message, details: None  # no modal boxes in a self-test
    QTimer.singleShot(int(SELF_TEST_TIMEOUT_S * 1000), on_timeout)


def _set_icon(app: Any, window: Any) -> None:
    from pathlib import Path

    from PySide6.QtGui import QIcon

    icons = Path(__file__).resolve().parent.parent / "resources" / "icons"
    for name in ("torchdesk.svg", "torchdesk-256.png"):
        p = icons / name
        if p.exists():
            icon = QIcon(str(p))
            app.setWindowIcon(icon)
            window.setWindowIcon(icon)
            return


def _print_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()
