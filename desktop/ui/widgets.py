"""Small reusable widgets: the live log, the stage list with ticks, the result banner, a 'not available' note."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

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


class StageList(QListWidget):
    """The job's stages, each marked pending / running / done / failed."""

    def __init__(self, stages: tuple[tuple[str, str], ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stages = stages
        self._state: dict[str, str] = {}
        for key, label in stages:
            item = QListWidgetItem(f"{TODO_MARK}  {label}")
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.addItem(item)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.sizeHintForRow(0) * len(stages) + 2 * self.frameWidth() + 4)
        self.reset_stages()

    def reset_stages(self) -> None:
        for key, _label in self._stages:
            self.set_state(key, "todo")

    def state(self, key: str) -> str:  # type: ignore[override]  # one stage's state, not the view's edit state
        return self._state.get(key, "todo")

    def set_state(self, key: str, state: str) -> None:
        """state: todo | running | done | failed | skipped."""
        mark = {"todo": TODO_MARK, "running": RUN_MARK, "done": OK_MARK, "failed": NO_MARK, "skipped": "\u2013"}[state]
        for i, (k, label) in enumerate(self._stages):
            if k == key:
                self._state[key] = state
                item = self.item(i)
                item.setText(f"{mark}  {label}")
                f = item.font()
                f.setBold(state == "running")
                item.setFont(f)

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
        self.toggle = QPushButton("Details")
        self.toggle.setCheckable(True)
        self.toggle.toggled.connect(self._on_toggle_toggled)
        row = QHBoxLayout()
        row.addWidget(self.title, 1)
        row.addWidget(self.toggle)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.body)
        lay.addWidget(self.details)
        self.kind = ""
        self.hide()

    def show_result(self, kind: str, title: str, body: str = "", details: str = "") -> None:
        """kind: ok | warn | fail | info. Colours are tints that read in light and dark palettes."""
        self.kind = kind
        colour = {"ok": "rgba(46,160,67,0.18)", "warn": "rgba(210,153,34,0.22)",
                  "fail": "rgba(248,81,73,0.20)", "info": "rgba(56,139,253,0.15)"}[kind]
        mark = {"ok": OK_MARK, "warn": "!", "fail": NO_MARK, "info": "i"}[kind]
        self.setStyleSheet(f"Banner {{ background: {colour}; border-radius: 4px; }}")
        self.title.setText(breakable(f"{mark}  {title}"))
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


def heading(text: str) -> QLabel:
    label = QLabel(text)
    f = QFont(label.font())
    f.setBold(True)
    f.setPointSizeF(f.pointSizeF() * 1.15)
    label.setFont(f)
    return label


def note(text: str) -> QLabel:
    """A muted, wrapping explanation (e.g. why a feature is not available)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setEnabled(False)  # the palette's disabled text colour: muted in light and dark themes
    return label


def breakable(text: str) -> str:
    """Let a label wrap long paths and URLs: a zero-width space after each separator."""
    for sep in ("/", "\\", "_", "-"):
        text = text.replace(sep, sep + "\u200b")
    return text


def copy_to_clipboard(text: str) -> None:
    QGuiApplication.clipboard().setText(text)
