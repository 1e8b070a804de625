"""TorchDesk's design system: spacing and type scales, one accent colour, status colours, light and dark palettes,
one application stylesheet and the bundled SVG icons.

Widgets never hard-code colours: they set an object property (`card`, `role`, `status`, `primary`) and the
stylesheet below styles it, so a theme switch restyles the whole window at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

ICONS_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
ICON_NAMES = ("pass", "fail", "warn", "info", "running", "pending", "skipped", "gpu", "cpu", "environment")
THEMES = ("system", "light", "dark")

SPACE = (4, 8, 12, 16, 24, 32)  # the spacing scale, px: every margin and gap is one of these
TYPE = {"small": 0.9, "body": 1.0, "heading": 1.25, "title": 1.5}  # the type scale, relative to the system font


@dataclass(frozen=True)
class Colours:
    """One theme's colours. Status colours keep their meaning in both themes; only their lightness changes."""

    name: str
    window: str
    surface: str  # cards, inputs
    sunken: str  # tables' alternate rows, the log
    border: str
    text: str
    muted: str
    accent: str
    accent_text: str
    passed: str
    warn: str
    fail: str
    info: str


LIGHT = Colours("light", window="#f5f6f8", surface="#ffffff", sunken="#eef0f3", border="#d8dce3", text="#1c2330",
                muted="#5f6b7c", accent="#3b6ef5", accent_text="#ffffff", passed="#1f8a4c", warn="#a36a00",
                fail="#c9302c", info="#2f6fe0")
DARK = Colours("dark", window="#1b1e24", surface="#242832", sunken="#1f232b", border="#363c48", text="#e6e9ef",
               muted="#9aa4b5", accent="#6b93ff", accent_text="#0d1117", passed="#3fb96f", warn="#e0a72e",
               fail="#f26b66", info="#6ea2ff")


def colours(name: str) -> Colours:
    return DARK if name == "dark" else LIGHT


def system_scheme() -> str:
    """'dark' or 'light' as the OS says (Qt >= 6.5's colour-scheme hint), else judged from the default palette."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        value = scheme()
        if value == Qt.ColorScheme.Dark:
            return "dark"
        if value == Qt.ColorScheme.Light:
            return "light"
    # Unknown (an old Qt, or a desktop that does not say): a dark default window colour means a dark desktop.
    base = QApplication.style().standardPalette() if QApplication.instance() is not None else QPalette()
    return "dark" if base.color(QPalette.ColorRole.Window).lightness() < 128 else "light"


def resolve_theme(choice: str) -> str:
    """The theme to show for a Preferences choice: system follows the OS."""
    return choice if choice in ("light", "dark") else system_scheme()


def palette(c: Colours) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, value in ((role.Window, c.window), (role.WindowText, c.text), (role.Base, c.surface),
                     (role.AlternateBase, c.sunken), (role.Text, c.text), (role.Button, c.surface),
                     (role.ButtonText, c.text), (role.ToolTipBase, c.surface), (role.ToolTipText, c.text),
                     (role.Highlight, c.accent), (role.HighlightedText, c.accent_text), (role.Link, c.accent),
                     (role.PlaceholderText, c.muted), (role.Mid, c.border), (role.Midlight, c.border),
                     (role.Dark, c.border), (role.Light, c.surface), (role.Shadow, c.border)):
        p.setColor(r, QColor(value))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(c.muted))
    return p


def tint(colour: str, alpha: float = 0.16) -> str:
    """A see-through wash of a status colour: reads on the light and the dark window alike."""
    q = QColor(colour)
    return f"rgba({q.red()},{q.green()},{q.blue()},{alpha})"


def stylesheet(c: Colours) -> str:
    """The one application stylesheet: cards, the primary button, the stepper, empty states, status text."""
    s = SPACE
    return f"""
QFrame[card="true"] {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 8px; }}
QFrame[card="true"] QLabel {{ background: transparent; border: none; }}
QLabel[role="heading"] {{ font-weight: 600; }}
QLabel[role="muted"] {{ color: {c.muted}; }}
QLabel[role="empty"] {{ color: {c.muted}; border: 1px dashed {c.border}; border-radius: 8px;
                        padding: {s[3]}px; background: {c.sunken}; }}
QLabel[status="pass"] {{ color: {c.passed}; }}
QLabel[status="warn"] {{ color: {c.warn}; }}
QLabel[status="fail"] {{ color: {c.fail}; }}
QLabel[status="info"] {{ color: {c.info}; }}
Banner {{ border-radius: 8px; border: 1px solid {c.border}; }}
Banner[kind="ok"] {{ background: {tint(c.passed)}; border-color: {c.passed}; }}
Banner[kind="warn"] {{ background: {tint(c.warn)}; border-color: {c.warn}; }}
Banner[kind="fail"] {{ background: {tint(c.fail)}; border-color: {c.fail}; }}
Banner[kind="info"] {{ background: {tint(c.info)}; border-color: {c.info}; }}
QPushButton {{ padding: {s[0] + 1}px {s[2]}px; border: 1px solid {c.border}; border-radius: 6px;
               background: {c.surface}; }}
QPushButton:hover {{ border-color: {c.accent}; }}
QPushButton:disabled {{ color: {c.muted}; }}
QPushButton[primary="true"] {{ background: {c.accent}; color: {c.accent_text}; border-color: {c.accent};
                               font-weight: 600; }}
QPushButton[primary="true"]:disabled {{ background: {c.border}; color: {c.muted}; border-color: {c.border}; }}
QPushButton:checked {{ background: {c.sunken}; }}
QLineEdit, QComboBox, QPlainTextEdit, QTableWidget, QTableView, QListWidget {{
    border: 1px solid {c.border}; border-radius: 6px; background: {c.surface}; selection-background-color: {c.accent};
    selection-color: {c.accent_text}; }}
QLineEdit, QComboBox {{ padding: 3px {s[1]}px; }}
QLineEdit:focus, QComboBox:focus {{ border-color: {c.accent}; }}
QHeaderView::section {{ background: {c.sunken}; color: {c.muted}; border: none;
                        border-bottom: 1px solid {c.border}; padding: {s[0]}px {s[1]}px; }}
QTabWidget::pane {{ border: none; border-top: 1px solid {c.border}; }}
QTabBar::tab {{ padding: {s[1]}px {s[3]}px; border: none; border-bottom: 2px solid transparent; color: {c.muted}; }}
QTabBar::tab:selected {{ color: {c.text}; border-bottom-color: {c.accent}; }}
QTabBar::tab:hover {{ color: {c.text}; }}
QProgressBar {{ border: 1px solid {c.border}; border-radius: 4px; background: {c.sunken}; text-align: center;
                min-height: 8px; }}
QProgressBar::chunk {{ background: {c.accent}; border-radius: 3px; }}
QProgressBar[status="fail"]::chunk {{ background: {c.fail}; }}
QProgressBar[status="pass"]::chunk {{ background: {c.passed}; }}
StageList {{ border: none; background: transparent; }}
StageList::item {{ padding: {s[0]}px {s[0]}px; border-left: 2px solid {c.border}; margin-left: 7px; }}
StageList::item:selected {{ background: transparent; color: {c.text}; }}
QSplitter::handle {{ background: {c.window}; }}
QScrollArea {{ background: transparent; }}
QToolTip {{ background: {c.surface}; color: {c.text}; border: 1px solid {c.border}; }}
"""


class ThemeManager(QObject):
    """Applies a theme to the application and, for 'system', follows the OS when it switches."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        self.choice = "system"
        self.current = ""
        hints = QGuiApplication.styleHints()
        changed = getattr(hints, "colorSchemeChanged", None)
        if changed is not None:
            changed.connect(self._on_hints_color_scheme_changed)

    def apply(self, choice: str) -> str:
        """Show `choice` (system | light | dark); returns the theme shown."""
        self.choice = choice if choice in THEMES else "system"
        name = resolve_theme(self.choice)
        c = colours(name)
        fusion = QStyleFactory.create("Fusion")  # a style that honours the palette on every platform
        if fusion is not None and self.app.style().name().lower() != "fusion":
            self.app.setStyle(fusion)
        self.app.setPalette(palette(c))
        self.app.setStyleSheet(stylesheet(c))
        self.current = name
        self.app.setProperty("torchdesk_theme", name)
        return name

    def _on_hints_color_scheme_changed(self, _scheme: object) -> None:
        if self.choice == "system":
            self.apply("system")


def theme_manager(app: QApplication | None = None) -> ThemeManager:
    """The application's ThemeManager (made on first use)."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    assert isinstance(app, QApplication)
    found = app.findChild(ThemeManager)
    return found if isinstance(found, ThemeManager) else ThemeManager(app)


def current_colours() -> Colours:
    app = QApplication.instance()
    return colours(str(app.property("torchdesk_theme") or "light")) if app is not None else LIGHT


@cache
def icon(name: str) -> QIcon:
    """A bundled SVG icon: drawn at whatever size and device-pixel ratio it is asked for, so it stays sharp."""
    path = ICONS_DIR / f"{name}.svg"
    if name not in ICON_NAMES or not path.is_file():
        raise KeyError(f"no bundled icon named {name!r}")
    return QIcon(str(path))


def set_props(widget: QWidget, **props: object) -> QWidget:
    """Set styling properties (card=True, role='muted', status='fail'...) and make the stylesheet re-apply."""
    for key, value in props.items():
        widget.setProperty(key, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    return widget
