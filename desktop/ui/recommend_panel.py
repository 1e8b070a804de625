"""The plan, why it was chosen, and the selectors that change it (incompatible choices stay visible, disabled)."""

from __future__ import annotations

from typing import Any


from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyledItemDelegate,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..model import Check, Preferences
from ..usecases.planning import Choice, Recommendation, fallback_choice, no_match_text
from .choices import split_packages
from .core_words import tr_core
from .theme import icon
from .widgets import Card, empty_state, heading
from .qtcompat import emit


class ChoiceCombo(QComboBox):
    """A combo whose entries can be disabled with a reason shown as their tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(QStandardItemModel(self))

    def set_choices(self, choices: tuple[Choice, ...], current: str | None) -> None:
        model: QStandardItemModel = self.model()  # type: ignore[assignment]  # the model __init__ set
        self.blockSignals(True)
        model.clear()
        index = 0
        for i, c in enumerate(choices):
            item = QStandardItem(tr_core(c.label) if c.enabled else self.tr("{choice}  (not here)").format(choice=c.label))
            item.setData(c.value, Qt.ItemDataRole.UserRole)
            item.setToolTip(tr_core(c.reason))
            item.setEnabled(c.enabled)
            model.appendRow(item)
            if c.value == current:
                index = i
        self.setCurrentIndex(index)
        self.setToolTip(tr_core(choices[index].reason) if choices else "")
        self.blockSignals(False)

    def value(self) -> str | None:
        data = self.currentData(Qt.ItemDataRole.UserRole)
        return None if data is None else str(data)

    def item_for(self, value: str) -> QStandardItem | None:
        model: QStandardItemModel = self.model()  # type: ignore[assignment]  # the model __init__ set
        for row in range(model.rowCount()):
            item = model.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == value:
                return item
        return None

    def select_value(self, value: str | None) -> bool:
        """Select the entry with `value` as a user would (emits currentIndexChanged); False if it is disabled."""
        for row in range(self.count()):
            if self.itemData(row, Qt.ItemDataRole.UserRole) == value:
                item = self.item_for(value) if value is not None else None
                if item is not None and not item.isEnabled():
                    return False
                self.setCurrentIndex(row)
                return True
        return False


class RecommendationPanel(QWidget):
    """Shows a Recommendation; emits `preferences_changed` when the user picks something in a selector."""

    preferences_changed = Signal(object)  # Preferences
    why_requested = Signal(object)  # the why-chain line (a Check) whose "why do you say that?" was clicked

    PLAN_ROWS = (("torch", "PyTorch"), ("variant", "CUDA build"), ("python", "Python"), ("torchvision", "torchvision"),
                 ("torchaudio", "torchaudio"), ("numpy", "numpy"), ("index", "pip index"))

    def __init__(self, parent: QWidget | None = None, *, with_extras: bool = True, title: str | None = None,
                 waiting: str | None = None) -> None:
        super().__init__(parent)
        self.recommendation: Recommendation | None = None
        self.title = heading(title or self.tr("Recommendation"), "title")
        self.card = Card()
        self.summary = QLabel(waiting or self.tr("Waiting for detection…"))
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        f = self.summary.font()
        f.setPointSizeF(f.pointSizeF() * 1.2)
        self.summary.setFont(f)

        # Where nothing fits: one click to the build that does (the CPU one), instead of a dead end.
        self.fallback_button = QPushButton()
        self.fallback_button.hide()
        self.fallback_button.clicked.connect(self._on_fallback_button_clicked)
        self._fallback: Preferences | None = None

        self.python_combo = ChoiceCombo()
        self.torch_combo = ChoiceCombo()
        self.variant_combo = ChoiceCombo()
        selectors = QGridLayout()
        for col, (label, combo) in enumerate(((self.tr("P&ython"), self.python_combo),
                                              (self.tr("PyTorch &release"), self.torch_combo),
                                              (self.tr("CUDA &build"), self.variant_combo))):
            lab = QLabel(label)
            lab.setBuddy(combo)
            selectors.addWidget(lab, 0, col)
            selectors.addWidget(combo, 1, col)
            combo.setEnabled(False)
        self.python_combo.currentIndexChanged.connect(self._on_python_combo_changed)
        self.torch_combo.currentIndexChanged.connect(self._on_torch_combo_changed)
        self.variant_combo.currentIndexChanged.connect(self._on_variant_combo_changed)

        self.plan_form = QFormLayout()
        self.plan_fields: dict[str, QLabel] = {}
        labels = {"torch": self.tr("PyTorch:"), "variant": self.tr("CUDA build:"), "python": self.tr("Python:"),
                  "torchvision": self.tr("torchvision:"), "torchaudio": self.tr("torchaudio:"),
                  "numpy": self.tr("numpy:"), "index": self.tr("pip index:")}
        for key, _english in self.PLAN_ROWS:
            label = labels[key]
            value = QLabel("–")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.plan_fields[key] = value
            self.plan_form.addRow(label, value)

        self.why = QListWidget()
        self.why.setWordWrap(True)
        self.why.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.why.setMinimumHeight(120)
        self.why.hide()  # until there is a plan: the empty state says what will appear
        self.why_empty = empty_state(self.tr("Each reason for the plan (GPU architecture, driver, CUDA, Python) "
                                             "will be listed here, with its source."))
        self.why.setItemDelegate(_WidgetRowDelegate(self.why))  # each line is drawn by its widget (_why_row)
        self.why.viewport().installEventFilter(self)  # wrapped lines change height with the width
        self.why_buttons: list[QToolButton] = []
        self._checks: tuple[Check, ...] = ()
        self.why_source = QLabel()  # where a line comes from, when no compatibility table row says it
        self.why_source.setWordWrap(True)
        self.why_source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.why_source.hide()
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.hide()

        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        self.card.header.addWidget(self.summary, 1)
        self.card.body.addWidget(self.fallback_button)
        self.card.body.addLayout(selectors)
        self.card.body.addLayout(self.plan_form)
        lay.addWidget(self.card)
        lay.addWidget(heading(self.tr("Why this plan")))
        lay.addWidget(self.why_empty)
        lay.addWidget(self.why, 1)
        lay.addWidget(self.why_source)
        lay.addWidget(self.warnings)
        self.conda_extras = QLineEdit()
        self.pip_extras = QLineEdit()
        if with_extras:
            self.conda_extras.setPlaceholderText(self.tr("e.g. ffmpeg libjpeg-turbo"))
            self.pip_extras.setPlaceholderText(self.tr("e.g. transformers scipy>=1.10"))
            extras = QFormLayout()
            extras.addRow(self.tr("Extra &conda packages:"), self.conda_extras)
            extras.addRow(self.tr("Extra p&ip packages:"), self.pip_extras)
            lay.addLayout(extras)

    # --- rendering ----------------------------------------------------------------------------------------------
    def show_busy(self, text: str | None = None) -> None:
        self.summary.setText(text or self.tr("Working out the plan…"))

    def show_recommendation(self, rec: Recommendation) -> None:
        self.recommendation = rec
        res = rec.resolution
        plan = res.plan
        c = rec.choices
        self.python_combo.set_choices(c.python, rec.prefs.python)
        self.torch_combo.set_choices(c.torch, rec.prefs.torch)
        self.variant_combo.set_choices(c.variant, rec.prefs.variant)
        self._use_machine_words(bool(getattr(res.host, "gpus", ())))
        for combo in (self.python_combo, self.torch_combo, self.variant_combo):
            combo.setEnabled(True)
        fallback = fallback_choice(rec)
        self._fallback = fallback[1] if fallback else None
        self.fallback_button.setText(self._fallback_text(self._fallback) if self._fallback else "")
        self.fallback_button.setVisible(fallback is not None)
        if plan is None:
            self.card.set_icon("fail")
            self.summary.setText(tr_core(no_match_text(rec)))
            for v in self.plan_fields.values():
                v.setText("–")
        else:
            self.card.set_icon("pass")
            self.summary.setText(self.tr("Install {summary}").format(summary=tr_core(res.summary)))
            cuda = " " + self.tr("(CUDA {version} runtime inside the wheels)").format(version=plan.cuda) if plan.cuda else ""
            others = [p for p in plan.python_choices if p != plan.python]
            values = {
                "torch": plan.torch,
                "variant": plan.variant + cuda,
                "python": plan.python + ("   " + self.tr("(also supported: {versions})").format(versions=", ".join(others))
                                         if others else ""),
                "torchvision": plan.torchvision or self.tr("none released for this torch"),
                "torchaudio": plan.torchaudio or self.tr("none released for this torch"),
                "numpy": plan.numpy or self.tr("any version torch accepts"),
                "index": plan.find_links or plan.index_url or "PyPI",
            }
            for key, text in values.items():
                self.plan_fields[key].setText(text)
        self.why.clear()
        self.why_buttons = []
        self._checks = tuple(res.checks)
        self.why_source.hide()
        for i, check in enumerate(res.checks):
            item = QListWidgetItem(icon("pass" if check.ok else "fail"), _plain(tr_core(check.detail)))
            if check.source:
                item.setToolTip(self.tr("Source: {source}").format(source=check.source))
            self.why.addItem(item)
            self.why.setItemWidget(item, self._why_row(item, i))
        self._fit_why_rows()
        self.why.setVisible(self.why.count() > 0)
        self.why_empty.setVisible(self.why.count() == 0)
        warnings = rec.warnings
        self.warnings.setText("\n".join(f"! {tr_core(w)}" for w in warnings))
        self.warnings.setVisible(bool(warnings))

    def _why_row(self, item: QListWidgetItem, index: int) -> QWidget:
        """A why-chain line drawn over its list item: the icon, the text and a "why do you say that?" button."""
        row = QWidget()  # the item keeps its text and icon for readers and tests; this draws them
        lay = QHBoxLayout(row)
        lay.setContentsMargins(4, 2, 4, 2)
        mark = QLabel()
        mark.setPixmap(item.icon().pixmap(16, 16))
        text = QLabel(item.text())
        text.setWordWrap(True)
        text.setToolTip(item.toolTip())
        button = QToolButton()
        button.setText(self.tr("why do you say that?"))
        button.setAutoRaise(True)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setToolTip(self.tr("Show the compatibility table row this line comes from, or its source"))
        button.setProperty("why_index", index)
        button.clicked.connect(self._on_why_button_clicked)
        self.why_buttons.append(button)
        lay.addWidget(mark, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(text, 1)
        lay.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _fit_why_rows(self) -> None:
        width = max(self.why.viewport().width(), 200)
        for i in range(self.why.count()):
            item = self.why.item(i)
            row = self.why.itemWidget(item)
            if row is not None:
                h = row.heightForWidth(width) if row.hasHeightForWidth() else -1
                item.setSizeHint(QSize(width, max(h, row.sizeHint().height())))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.why.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_why_rows()
        return super().eventFilter(watched, event)

    def show_why_source(self, text: str) -> None:
        """Say where a why-chain line comes from when no compatibility table row says it."""
        self.why_source.setText(text)
        self.why_source.show()

    @Slot()
    def _on_why_button_clicked(self) -> None:
        index = self.sender().property("why_index") if self.sender() is not None else None
        if isinstance(index, int) and 0 <= index < len(self._checks):
            emit(self.why_requested, self._checks[index])

    def _use_machine_words(self, has_gpu: bool) -> None:
        """On a machine without a GPU, say 'this machine' and 'build', not 'this GPU' and 'CUDA build'."""
        auto = self.variant_combo.item_for(None)  # type: ignore[arg-type]
        if auto is not None and not has_gpu:  # set_choices rebuilt the items: only the no-GPU text needs setting
            auto.setText(self.tr("Best for this machine (no GPU: the CPU build)"))
            if self.variant_combo.value() is None:
                self.variant_combo.setToolTip(self.tr("no GPU was found: the CPU build is the one that runs here"))
        for label in self.findChildren(QLabel):  # the panel also shows other machines: set both ways
            if label.buddy() is self.variant_combo:
                label.setText(self.tr("CUDA &build") if has_gpu else self.tr("&Build"))
        row_label = self.plan_form.labelForField(self.plan_fields["variant"])
        if isinstance(row_label, QLabel):
            row_label.setText(self.tr("CUDA build:") if has_gpu else self.tr("Build:"))

    def _fallback_text(self, prefs: Preferences) -> str:
        """planning.fallback_choice's button label, in the user's language (it is composed, so tr_core cannot)."""
        what = (self.tr("runs on the CPU only, not on the GPU") if prefs.variant == "cpu"
                else self.tr("the {variant} build").format(variant=prefs.variant))
        return self.tr("Use torch {torch} ({variant}) instead: {what}").format(torch=prefs.torch, variant=prefs.variant,
                                                                              what=what)

    def show_error(self, message: str) -> None:
        self.card.set_icon("fail")
        self.summary.setText(self.tr("Could not work out a plan: {message}").format(message=message))
        self.fallback_button.hide()

    # --- reading ------------------------------------------------------------------------------------------------
    def preferences(self) -> Preferences:
        return Preferences(python=self.python_combo.value(), torch=self.torch_combo.value(),
                           variant=self.variant_combo.value())

    def extras(self) -> tuple[list[str], list[str]]:
        """(conda extras, pip extras) as typed."""
        return split_packages(self.conda_extras.text()), split_packages(self.pip_extras.text())

    @Slot()
    def _on_fallback_button_clicked(self) -> None:
        if self._fallback is not None:
            self._emit(self._fallback)

    @Slot(int)
    def _on_python_combo_changed(self, _index: int) -> None:
        self._emit(self.preferences())

    @Slot(int)
    def _on_torch_combo_changed(self, _index: int) -> None:
        # Each release has its own builds: a build picked for another release no longer applies.
        self._emit(Preferences(python=self.python_combo.value(), torch=self.torch_combo.value(), variant=None))

    @Slot(int)
    def _on_variant_combo_changed(self, _index: int) -> None:
        prefs = self.preferences()
        rec = self.recommendation
        if prefs.variant and prefs.torch is None and rec is not None and rec.plan is not None:
            # The builds listed are the shown release's: keep that release rather than jump to another.
            prefs = Preferences(python=prefs.python, torch=rec.plan.torch, variant=prefs.variant)
        self._emit(prefs)

    def _emit(self, prefs: Preferences) -> None:
        self.show_busy()
        emit(self.preferences_changed, prefs)


class _WidgetRowDelegate(QStyledItemDelegate):
    """Paints nothing: the why list's lines are widgets over their items (text, icon and their button)."""

    def paint(self, painter: Any, option: Any, index: Any) -> None:
        return

    def updateEditorGeometry(self, editor: QWidget, option: Any, index: Any) -> None:
        editor.setGeometry(option.rect)  # the whole line, not just the text's part (no icon is painted beside it)


def _plain(detail: str) -> str:
    """Resolver details use 'sm_90' and '>='; say the same in words people read."""
    return detail.replace(">=", "≥").replace(" - ", ": ")
