"""What this machine is: GPUs, driver, the newest CUDA it runs, OS, RAM, disk, where each fact came from."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..usecases.planning import newest_cuda_text
from .choices import mib_text
from .core_words import tr_core
from .theme import current_colours
from .widgets import NO_MARK, OK_MARK, Card, empty_state, heading


class MachinePanel(QWidget):
    """Renders a Host. Holds no logic beyond formatting; `show_host` is called when detection finishes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = heading(self.tr("This machine"), "title")
        self.card = Card(self.tr("Detecting…"), "gpu")
        self.status = self.card.title  # the card's title says what was found
        self.status.setWordWrap(True)
        self.gpus_empty = empty_state(self.tr("Your GPUs will be listed here once detection finishes."))
        self.gpus = QTableWidget(0, 5)
        self.gpus.setTabKeyNavigation(False)  # Tab goes on to the next panel instead of cycling the cells
        self.gpus.setHorizontalHeaderLabels(["#", self.tr("GPU"), self.tr("Architecture"), self.tr("CC"), self.tr("Memory")])
        cc_header = self.gpus.horizontalHeaderItem(3)
        if cc_header is not None:
            cc_header.setToolTip(self.tr("Compute capability"))
        self.gpus.verticalHeader().setVisible(False)
        self.gpus.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.gpus.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.gpus.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.gpus.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.gpus.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.facts = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        self._conda_text = "…"
        self._env_count: int | None = None
        for key, label in (("driver", self.tr("NVIDIA driver:")), ("cuda", self.tr("Newest CUDA it runs:")),
                           ("os", self.tr("Operating system:")), ("cpu", self.tr("CPU:")), ("ram", self.tr("RAM:")),
                           ("disk", self.tr("Free disk:")), ("conda", self.tr("Conda:"))):
            value = QLabel("…")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.fields[key] = value
            self.facts.addRow(label, value)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setTextFormat(Qt.TextFormat.RichText)
        self.warnings.hide()
        self.sources = QLabel()
        self.sources.setWordWrap(True)
        self.sources.setTextFormat(Qt.TextFormat.RichText)
        self.sources.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.gpus.hide()  # until there is a GPU to list: the empty state says what will appear
        self.card.body.addWidget(self.gpus_empty)
        self.card.body.addWidget(self.gpus)
        self.card.body.addLayout(self.facts)
        self.sources_title = heading(self.tr("Where these facts came from"))
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.card)
        lay.addWidget(self.warnings)
        lay.addWidget(self.sources_title)
        lay.addWidget(self.sources)
        lay.addStretch(1)

    def set_env_count(self, count: int) -> None:
        """The number of environments the one inventory (usecases/inventory.py) lists, as the Environments tab and
        `torchdesk envs` show them; detection's own list is not counted, so the two tabs cannot disagree."""
        self._env_count = count
        self._show_conda()

    def _show_conda(self) -> None:
        text = self._conda_text
        if self._env_count is not None:
            text += "; " + self.tr("%n environment(s)", "", self._env_count)
        self.fields["conda"].setText(text)

    def show_host(self, host: Any, matrix: Any, extra_warnings: tuple[str, ...] = ()) -> None:
        n = len(host.gpus)
        self.status.setText(self.tr("1 GPU found") if n == 1 else self.tr("%n GPUs found", "", n) if n
                            else self.tr("No GPU found: PyTorch will use the CPU"))
        self.card.set_icon("gpu" if n else "cpu")
        self.gpus.setVisible(bool(n))
        self.gpus_empty.setText(self.tr("No GPU on this machine: PyTorch's CPU build runs here. A GPU, once "
                                        "installed with its driver, is listed here."))
        self.gpus_empty.setVisible(not n)
        self.gpus.setRowCount(n)
        for row, g in enumerate(host.gpus):
            arch = g.arch or (matrix.arch_for_cc(g.cc).name if g.cc and matrix.arch_for_cc(g.cc) else None)
            memory = mib_text(g.memory_mib)
            if g.memory_mib is None:
                model = matrix.find_gpu(g.name)
                if model is not None and model.memory_mib:
                    memory = self.tr("{memory} (model spec)").format(memory=mib_text(model.memory_mib))
            cells = [str(g.index), g.name + ("" if g.driver_loaded else self.tr(" (no driver loaded)")),
                     arch or self.tr("unknown"), g.cc or (g.gfx or self.tr("unknown")), tr_core(memory)]
            for col, text in enumerate(cells):
                self.gpus.setItem(row, col, QTableWidgetItem(text))
        self.gpus.resizeColumnsToContents()
        self.gpus.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        # Exactly as tall as its rows: no blank box under one GPU. The name column stretches and elides instead
        # of scrolling sideways.
        self.gpus.setFixedHeight(self.gpus.horizontalHeader().sizeHint().height()
                                 + sum(self.gpus.rowHeight(r) for r in range(n)) + 2 * self.gpus.frameWidth())
        f = self.fields
        f["driver"].setText(host.driver or (self.tr("not found") if host.nvidia_gpus else self.tr("no NVIDIA driver")))
        f["cuda"].setText(tr_core(newest_cuda_text(matrix, host)))
        os_text = host.os_release or host.os
        os_text += f" ({host.platform}" + (", WSL" if host.wsl else "") + (f", glibc {host.glibc}" if host.glibc else "") + ")"
        f["os"].setText(os_text)
        f["cpu"].setText(host.cpu or self.tr("unknown"))
        f["ram"].setText(tr_core(mib_text(host.ram_mib)))
        f["disk"].setText(tr_core(mib_text(host.disk_free_mib)))
        self._conda_text = (", ".join(f"{c.kind} {c.version or ''}".strip() for c in host.conda) if host.conda
                            else self.tr("none installed (TorchDesk's built-in engine needs none)"))
        self._show_conda()
        warnings = list(dict.fromkeys([*host.warnings, *extra_warnings]))
        if warnings:
            items = "".join(f"<li>{_esc(tr_core(w))}</li>" for w in warnings)  # the driver advice, in the user's language
            head = _esc(self.tr("What to do"))  # lupdate does not look inside f-strings
            self.warnings.setText(f"<b>{head}</b><ul style='margin-left:-20px'>{items}</ul>")
            self.warnings.show()
        else:
            self.warnings.hide()
        self.sources.setText("<br>".join(_source_line(s) for s in host.sources) or self.tr("(none recorded)"))

    def show_error(self, message: str) -> None:
        self.status.setText(self.tr("Detection failed: {error}. The recommendation below assumes a machine "
                                    "without a GPU.").format(error=message))


# A source that is simply not there on this machine (no nvidia-smi, no driver file, no conda) is normal, not an
# error: the detail texts of desktop/detect/ say so in these words.
_ABSENT = re.compile(r"^(?:skipped\b|not found\b|absent\b|not present\b|not installed\b)|\bno [\w ,/-]+ found\b|"
                     r"\bno gfx target\b|: absent\b|: not found\b", re.I)
ABSENT_MARK = "\u2013"  # an en dash: neither a tick nor a cross


def source_kind(note: Any) -> str:
    """'ok', 'absent' (a normal absence) or 'error' for one SourceNote."""
    status = getattr(note, "status", None)  # a future SourceNote may say it itself
    if status in ("ok", "absent", "error"):
        return str(status)
    if note.ok:
        return "ok"
    return "absent" if _ABSENT.search(str(note.detail or "")) else "error"


def _source_line(note: Any) -> str:
    kind = source_kind(note)
    detail = str(note.detail or "")
    if kind == "ok":
        return _esc(f"{OK_MARK} {note.source}: {detail}")
    if kind == "absent":
        shown = "not present" if detail.strip().lower() in ("absent", "not found", "") else detail
        return _esc(f"{ABSENT_MARK} {note.source}: {shown}")
    return f"<span style='color:{current_colours().fail}'>{_esc(f'{NO_MARK} {note.source}: error: {detail}')}</span>"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
