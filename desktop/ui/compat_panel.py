"""The tables people look up by hand, from `build_tables`, with this machine's rows highlighted and a filter."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..usecases.compat_tables import cc_query, machine_rows
from .widgets import heading

TITLES = (("cuda", "CUDA \u2194 compute capability \u2194 architecture"), ("driver", "Driver \u2194 CUDA"),
          ("driver_floors", "Architecture \u2194 oldest driver"),
          ("torch", "PyTorch \u2194 Python \u2194 CUDA builds \u2194 torchvision \u2194 torchaudio"), ("gpus", "GPU models"))


class CompatibilityPanel(QWidget):
    """Five tables; typing in the filter hides rows without the text; 'only this machine' keeps highlighted rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(self.tr("Filter rows: a CUDA version, an architecture, a GPU, a release…"))
        self.filter_edit.setClearButtonEnabled(True)
        self.only_mine = QCheckBox(self.tr("Only rows for this &machine"))
        self.tabs = QTabWidget()
        self.tables: dict[str, QTableWidget] = {}
        self.highlighted: dict[str, set[int]] = {}
        for key, title in TITLES:
            t = QTableWidget()
            t.setTabKeyNavigation(False)  # Tab leaves the table (arrows move between cells)
            t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            t.verticalHeader().setVisible(False)
            t.setSortingEnabled(False)
            self.tables[key] = t
            self.tabs.addTab(t, {"driver": self.tr("Driver"), "driver_floors": self.tr("Driver floors"),
                                 "gpus": self.tr("GPUs")}.get(key, title.split(" \u2194 ")[0]))
            self.tabs.setTabToolTip(self.tabs.count() - 1, title)  # technical table names stay English
        self.legend = QLabel(self.tr("Rows that concern this machine are highlighted."))
        self.filter_status = QLabel()  # what the filter understood, and when nothing matches
        self.filter_status.setWordWrap(True)
        self.filter_status.hide()
        self._cc_rows: dict[str, set[int]] = {}
        self._cc_key: str | None = None
        self._os_key = "linux"
        row = QHBoxLayout()
        f = QLabel(self.tr("Fi&lter:"))
        f.setBuddy(self.filter_edit)
        row.addWidget(f)
        row.addWidget(self.filter_edit, 1)
        row.addWidget(self.only_mine)
        lay = QVBoxLayout(self)
        lay.addWidget(heading(self.tr("Compatibility tables")))
        lay.addLayout(row)
        lay.addWidget(self.filter_status)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.legend)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.only_mine.toggled.connect(self._on_only_mine_toggled)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self._matrix: Any = None
        self._rows: dict[str, list[dict[str, str]]] = {}

    def show_matrix(self, matrix: Any, host: Any | None = None) -> None:
        from ..rules import driver_os
        from ..tables import build_tables, row_sources

        os_key = driver_os(host) if host is not None else "linux"
        tables = build_tables(matrix, os_name=os_key)
        self._matrix, self._os_key, self._cc_key, self._rows = matrix, os_key, None, tables
        self.highlighted = machine_rows(matrix, host, tables) if host is not None else {k: set() for k in tables}
        pal = self.palette()
        hl = QColor(pal.color(QPalette.ColorRole.Highlight))
        hl.setAlpha(60)  # a tint of the system's highlight: readable in light and dark mode
        brush = QBrush(hl)
        tips: dict[tuple[str, ...], str] = {}  # many cells share their sources
        for key, rows in tables.items():
            t = self.tables[key]
            cols = list(rows[0]) if rows else []
            t.clear()
            t.setColumnCount(len(cols))
            t.setHorizontalHeaderLabels(cols)
            t.setRowCount(len(rows))
            for r, row in enumerate(rows):
                mine = r in self.highlighted[key]
                cell_sources = row_sources(matrix, key, row)
                for c, col in enumerate(cols):
                    item = QTableWidgetItem(str(row[col]))
                    ids = cell_sources.get(col, ())
                    tip = tips.get(ids) or tips.setdefault(ids, self.source_text(matrix, ids))
                    if mine:
                        item.setBackground(brush)
                        font = item.font()
                        font.setBold(True)
                        item.setFont(font)
                        tip = self.tr("applies to this machine") + "\n\n" + tip
                    item.setToolTip(tip)
                    t.setItem(r, c, item)
            t.resizeColumnsToContents()
            t.horizontalHeader().setStretchLastSection(True)
        self.legend.setText(self.tr("Rows that concern this machine are highlighted.") if host is not None and host.gpus
                            else self.tr("No GPU detected: nothing to highlight."))
        self._apply_filter()

    def source_text(self, matrix: Any, ids: Any) -> str:
        """Where a cell's (or a why-line's) data comes from: each source's title and address, one a line."""
        from ..tables import source_refs

        refs = source_refs(matrix, ids)
        if not refs:
            return self.tr("No source is recorded for this.")
        return self.tr("Source:") + "\n" + "\n".join(f"{title} \u2014 {url}" if url else title for title, url in refs)

    def show_check(self, check: Any, torch: str | None = None) -> bool:
        """Show the table row a why-chain line comes from (tab switched, row selected and scrolled to); False if
        no row of these tables says it."""
        from ..tables import locate_check

        if self._matrix is None:
            return False
        loc = locate_check(self._matrix, self._rows, check, torch)
        if loc is None:
            return False
        key, row = loc
        t = self.tables[key]
        if t.isRowHidden(row):  # the filter hides it: show every row rather than a selection nobody can see
            self.only_mine.setChecked(False)
            self.filter_edit.clear()
        self.tabs.setCurrentWidget(t)
        t.selectRow(row)
        t.scrollTo(t.model().index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        t.setFocus()
        return True

    def visible_rows(self, key: str) -> list[int]:
        t = self.tables[key]
        return [r for r in range(t.rowCount()) if not t.isRowHidden(r)]

    def _rows_for_cc(self, cc: str) -> dict[str, set[int]]:
        """Row indexes per table that concern compute capability `cc` (the core's filtered tables)."""
        from ..tables import build_tables

        if getattr(self, "_cc_key", None) != cc:
            sub = build_tables(self._matrix, cc=cc, os_name=self._os_key)
            cudas = {r["CUDA"] for r in sub["cuda"]}
            torches = {r["torch"] for r in sub["torch"]}
            gpus = {r["GPU"] for r in sub["gpus"]}
            floors = {r["compute capability"] for r in sub["driver_floors"]}
            key_col = {"cuda": ("CUDA", cudas), "driver": ("CUDA", cudas), "torch": ("torch", torches),
                       "gpus": ("GPU", gpus), "driver_floors": ("compute capability", floors)}
            self._cc_rows = {}
            for key, t in self.tables.items():
                col_name, wanted = key_col[key]
                cols = [h.text() if (h := t.horizontalHeaderItem(c)) is not None else ""
                        for c in range(t.columnCount())]
                c = cols.index(col_name) if col_name in cols else -1
                self._cc_rows[key] = {r for r in range(t.rowCount())
                                      if c >= 0 and (i := t.item(r, c)) is not None and i.text() in wanted}
            self._cc_key = cc
        return self._cc_rows

    def _known_ccs(self) -> set[str]:
        if self._matrix is None:
            return set()
        return {g.cc for g in self._matrix.gpus} | {c for a in self._matrix.architectures for c in a.cc}

    def _apply_filter(self) -> None:
        text = self.filter_edit.text().strip().lower()
        only = self.only_mine.isChecked()
        cc = cc_query(text, self._known_ccs()) if text and self._matrix is not None else None
        cc_rows = self._rows_for_cc(cc) if cc else {}
        for key, t in self.tables.items():
            for r in range(t.rowCount()):
                cells = " ".join(i.text() for c in range(t.columnCount()) if (i := t.item(r, c)) is not None).lower()
                match = not text or text in cells or r in cc_rows.get(key, set())
                hide = not match or (only and r not in self.highlighted.get(key, set()))
                t.setRowHidden(r, hide)
        self._update_filter_status(text, cc)

    def _update_filter_status(self, text: str, cc: str | None) -> None:
        from ..matrix import sm_name

        counts = {key: len(self.visible_rows(key)) for key in self.tables}
        names = {key: self.tabs.tabText(i).replace("&", "") for i, key in enumerate(self.tables)}
        current = list(self.tables)[self.tabs.currentIndex()] if self.tabs.currentIndex() >= 0 else None
        if not text and not self.only_mine.isChecked():
            self.filter_status.hide()
            return
        if not any(counts.values()):
            msg = self.tr("Nothing matches \u201c{text}\u201d in any table. Try a CUDA version (12.4), a compute "
                          "capability (8.6, sm_86 or 86), a GPU (4090) or a PyTorch release (2.5).").format(
                text=self.filter_edit.text().strip())
            if self.only_mine.isChecked():
                msg += " " + self.tr("\u201cOnly rows for this machine\u201d is on: untick it to search every row.")
        else:
            msg = self.tr("Compute capability {cc} ({sm}): the rows that concern it, and any text match.").format(
                cc=cc, sm=sm_name(cc)) + " " if cc else ""
            if current is not None and counts[current] == 0:
                others = ", ".join(f"{names[k]} ({n})" for k, n in counts.items() if n)
                msg += self.tr("Nothing in this table matches; other tables do: {tables}.").format(tables=others)
            elif not msg:
                self.filter_status.hide()
                return
        self.filter_status.setText(msg.strip())
        self.filter_status.show()

    @Slot(int)
    def _on_tabs_current_changed(self, _index: int) -> None:
        if self.filter_edit.text().strip() or self.only_mine.isChecked():
            self._apply_filter()

    @Slot(str)
    def _on_filter_edit_text_changed(self, _text: str) -> None:
        self._apply_filter()

    @Slot(bool)
    def _on_only_mine_toggled(self, _on: bool) -> None:
        self._apply_filter()
