"""Small reusable widgets: the live log, the stage list with ticks, the result banner, a 'not available' note."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Slot
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from .theme import SPACE, TYPE, icon, set_props

OK_MARK, NO_MARK, RUN_MARK, TODO_MARK = "\u2713", "\u2717", "\u25b6", "\u25cb"


class LogView(QPlainTextEdit):
    """A read-only log that batches appends: a job printing thousands of lines never stalls the window."""

    FLUSH_MS = 30

    def __init__(self, parent: QWidget | None = None, max_lines: int = 20_000) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(max_lines)
        self._max_lines = max_lines
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText(self.tr("The output of a running job appears here, line by line."))
        self._pending: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.FLUSH_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    @Slot(str)
    def append_line(self, line: str) -> None:
        self.append_lines([line])

    @Slot(object)
    def append_lines(self, lines: list[str]) -> None:
        self._pending.extend(lines)
        if len(self._pending) > self._max_lines:  # older lines would scroll out of the block limit anyway
            del self._pending[: len(self._pending) - self._max_lines]
        if not self._timer.isActive():
            self._timer.start()

    CHUNK = 1000  # lines per append: one huge append would stall the window for a flood of output

    def flush(self, everything: bool = False) -> None:
        while self._pending:
            chunk, self._pending = self._pending[: self.CHUNK], self._pending[self.CHUNK:]
            self.appendPlainText("\n".join(chunk))
            if not everything:
                break
        if self._pending and not self._timer.isActive():
            self._timer.start()

    def clear_log(self) -> None:
        self._pending.clear()
        self.clear()

    def text(self) -> str:
        self.flush(everything=True)
        return self.toPlainText()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.flush()


STAGE_ICONS = {"todo": "pending", "running": "running", "done": "pass", "failed": "fail", "skipped": "skipped"}


class StageList(QListWidget):
    """The job's stages as a vertical stepper: an SVG icon per stage for pending / running / done / failed."""

    def __init__(self, stages: tuple[tuple[str, str], ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stages = stages
        self._state: dict[str, str] = {}
        self.setIconSize(QSize(16, 16))
        self.setSpacing(1)
        for key, label in stages:
            item = QListWidgetItem(icon("pending"), label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.addItem(item)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._fit()
        self.reset_stages()

    def _fit(self) -> None:
        """Exactly as tall as its stages (row heights depend on the stylesheet, so refit once it is applied)."""
        rows = sum(max(self.sizeHintForRow(i), 0) + 2 * self.spacing() for i in range(self.count()))
        self.setFixedHeight(rows + 2 * self.frameWidth() + 4)

    def showEvent(self, event: QShowEvent) -> None:
        self._fit()
        super().showEvent(event)

    def reset_stages(self) -> None:
        for key, _label in self._stages:
            self.set_state(key, "todo")

    def state(self, key: str) -> str:  # type: ignore[override]  # one stage's state, not the view's edit state
        return self._state.get(key, "todo")

    def set_state(self, key: str, state: str) -> None:
        """state: todo | running | done | failed | skipped."""
        for i, (k, label) in enumerate(self._stages):
            if k == key:
                self._state[key] = state
                item = self.item(i)
                item.setText(label)
                item.setIcon(icon(STAGE_ICONS[state]))
                item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, state)
                f = item.font()
                f.setBold(state == "running")
                item.setFont(f)

    def set_label(self, key: str, label: str) -> None:
        """Rename one stage (its state and icon stay)."""
        stages = tuple((k, label if k == key else text) for k, text in self._stages)
        if stages != self._stages:
            self._stages = stages
            self.set_state(key, self.state(key))

    def advance_to(self, key: str) -> None:
        """Mark every stage before `key` done and `key` running (stages only move forward)."""
        keys = [k for k, _ in self._stages]
        if key not in keys:
            return
        idx = keys.index(key)
        for k in keys[:idx]:
            if self.state(k) in ("todo", "running"):
                self.set_state(k, "done")
        if self.state(key) == "todo":
            self.set_state(key, "running")

    def finish(self, ok: bool) -> None:
        for k, _ in self._stages:
            if self.state(k) == "running":
                self.set_state(k, "done" if ok else "failed")
            elif ok and self.state(k) == "todo":
                self.set_state(k, "done")


class Banner(QFrame):
    """A coloured one-sentence result with an optional 'details' text underneath."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.icon = QLabel()
        self.icon.setFixedSize(20, 20)
        self.title = QLabel()
        f = self.title.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() * 1.1)
        self.title.setFont(f)
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(140)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.toggle = QPushButton(self.tr("Details"))
        self.toggle.setCheckable(True)
        self.toggle.toggled.connect(self._on_toggle_toggled)
        row = QHBoxLayout()
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.title, 1)
        row.addWidget(self.toggle)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.body)
        lay.addWidget(self.details)
        self.kind = ""
        self.hide()

    def show_result(self, kind: str, title: str, body: str = "", details: str = "") -> None:
        """kind: ok | warn | fail | info; the stylesheet tints the banner by it (theme.py, Banner[kind=...])."""
        self.kind = kind
        set_props(self, kind=kind)
        self.icon.setPixmap(icon({"ok": "pass", "warn": "warn", "fail": "fail", "info": "info"}[kind]).pixmap(
            QSize(20, 20), self.devicePixelRatioF()))
        self.title.setText(breakable(title))
        self.body.setText(breakable(body))
        self.body.setVisible(bool(body))
        self.details.setPlainText(details)
        self.toggle.setVisible(bool(details))
        self.toggle.setChecked(False)
        self.details.setVisible(False)
        self.show()

    @Slot(bool)
    def _on_toggle_toggled(self, on: bool) -> None:
        self.details.setVisible(on)


def heading(text: str, size: str = "heading") -> QLabel:
    label = QLabel(text)
    f = QFont(label.font())
    f.setBold(True)
    f.setPointSizeF(f.pointSizeF() * TYPE[size])
    label.setFont(f)
    label.setProperty("role", "heading")
    return label


class Card(QFrame):
    """A rounded surface (the stylesheet's QFrame[card=true]) holding one topic: an icon, a title, its content."""

    def __init__(self, title: str = "", icon_name: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(SPACE[3], SPACE[2], SPACE[3], SPACE[3])
        self.body.setSpacing(SPACE[1])
        self.icon = QLabel(self)  # parented now: a label shown before it is in a layout must not float as a window
        self.icon.setFixedSize(22, 22)
        self.title = heading(title)
        self.title.setVisible(bool(title))
        self.header = QHBoxLayout()  # icon, title; a panel may add its own headline here instead of the title
        self.header.setSpacing(SPACE[1])
        self.header.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        self.header.addWidget(self.title, 1)
        self.body.addLayout(self.header)
        self.set_icon(icon_name)

    def set_icon(self, name: str | None) -> None:
        self.icon.setVisible(name is not None)
        if name is not None:
            self.icon.setPixmap(icon(name).pixmap(QSize(22, 22), self.devicePixelRatioF()))


def empty_state(text: str) -> QLabel:
    """What will appear here, in place of an empty white box (shown until there is content)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setProperty("role", "empty")
    label.setMinimumHeight(56)
    return label


class CollapsibleLog(QWidget):
    """The live log behind a 'Show log' toggle: collapsed by default, it opens by itself only when asked to."""

    def __init__(self, log: LogView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log = log
        self.toggle = QPushButton()
        self.toggle.setCheckable(True)
        self.toggle.setFlat(True)
        self.toggle.toggled.connect(self._on_toggle_toggled)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(SPACE[0])
        row = QHBoxLayout()
        row.addWidget(self.toggle)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(log)
        lay.addStretch(1)  # collapsed, the blank below the toggle takes the room; expanded, the log does
        self._on_toggle_toggled(False)

    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_expanded(self, on: bool) -> None:
        self.toggle.setChecked(on)

    @Slot(bool)
    def _on_toggle_toggled(self, on: bool) -> None:
        self.log.setVisible(on)
        self.toggle.setText(self.tr("\u25be Hide log") if on else self.tr("\u25b8 Show log"))
        lay = self.layout()
        if isinstance(lay, QVBoxLayout):
            lay.setStretch(1, 1 if on else 0)
            lay.setStretch(2, 0 if on else 1)


def read_only_table(headers: list[str]) -> QTableWidget:
    """A table to read, not edit: one column per header, no row numbers, the last column takes the spare width."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    return table


def note(text: str) -> QLabel:
    """A muted, wrapping explanation (e.g. why a feature is not available)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setProperty("role", "muted")  # the stylesheet's muted colour, in light and dark themes
    label.setEnabled(False)  # also muted where no stylesheet is applied
    return label


def breakable(text: str) -> str:
    """Let a label wrap long paths and URLs: a zero-width space after each separator."""
    for sep in ("/", "\\", "_", "-"):
        text = text.replace(sep, sep + "\u200b")
    return text


def copy_to_clipboard(text: str) -> None:
    QGuiApplication.clipboard().setText(text)
