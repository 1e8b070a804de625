"""Tools > Disk use and caches: each environment's own and shared disk, the two package caches, and Clean."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..diskuse import mib
from .widgets import read_only_table
from .worker import JobContext, JobError, JobRunner

COLUMNS = (QT_TRANSLATE_NOOP("DiskDialog", "Environment"), QT_TRANSLATE_NOOP("DiskDialog", "Own"),
           QT_TRANSLATE_NOOP("DiskDialog", "Shared"), QT_TRANSLATE_NOOP("DiskDialog", "Location"))


class DiskDialog(QDialog):
    """Shows diskuse.disk_report() and runs diskuse.clean_caches(); both on its own JobRunner."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Disk use and caches"))
        self.resize(820, 460)
        self.runner = JobRunner("disk", self)
        self.report: Any = None
        self.cleaned: Any = None
        self.table = read_only_table([QCoreApplication.translate("DiskDialog", str(c)) for c in COLUMNS])
        self.totals = QLabel(self.tr("Measuring…"))
        self.totals.setWordWrap(True)
        self.caches = QLabel()
        self.caches.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.clean_button = QPushButton(self.tr("&Clean caches"))
        self.clean_button.setToolTip(self.tr("remove cached packages that no environment links to (all of them when none does)"))
        self.close_button = QPushButton(self.tr("Close"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.clean_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(self.tr("Own: what only that environment holds (removing it frees this). Shared: files "
                                     "hardlinked with the caches or other environments, on disk once.")))
        lay.addWidget(self.table, 1)
        lay.addWidget(self.totals)
        lay.addWidget(self.caches)
        lay.addWidget(self.status)
        lay.addLayout(buttons)
        self.clean_button.clicked.connect(self._on_clean_button_clicked)
        self.close_button.clicked.connect(self.close)
        self.runner.succeeded.connect(self._on_runner_succeeded)
        self.runner.failed.connect(self._on_runner_failed)
        self.runner.busy_changed.connect(self._on_runner_busy_changed)
        self.measure()

    def measure(self) -> bool:
        def job(ctx: JobContext) -> Any:
            from ..diskuse import disk_report

            return disk_report()

        self.totals.setText(self.tr("Measuring…"))
        return self.runner.start(job)

    def show_report(self, rep: Any) -> None:
        self.report = rep
        self.table.setRowCount(len(rep.envs))
        for row, (env, size) in enumerate(rep.envs):
            own, shared = ((self.tr("could not measure"), "—") if getattr(size, "error", None)  # never "0 B"
                           else (mib(size.own_bytes), mib(size.shared_bytes)))
            for col, text in enumerate((env.name, own, shared, env.prefix)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.totals.setText(self.tr("All environments: {envs} on disk; with TorchDesk's caches: {all} (hardlinked "
                                    "files counted once).").format(envs=mib(rep.envs_bytes), all=mib(rep.all_bytes)))
        lines = []
        for c in rep.caches:
            label = self.tr("Conda packages cache") if c.cache == "conda" else self.tr("Wheels cache")
            lines.append(self.tr("{cache} ({path}): {total}, of which {in_use} linked into environments; Clean would "
                                 "free {freeable}.").format(cache=label, path=c.path, total=mib(c.total_bytes),
                                                            in_use=mib(c.in_use_bytes), freeable=mib(c.freeable_bytes)))
        self.caches.setText("\n".join(lines))

    @Slot()
    def _on_clean_button_clicked(self) -> None:
        def job(ctx: JobContext) -> Any:
            from ..diskuse import clean_caches, disk_report

            return clean_caches(), disk_report()

        self.status.setText(self.tr("Cleaning the caches…"))
        self.runner.start(job)

    @Slot(object)
    def _on_runner_succeeded(self, result: Any) -> None:
        if isinstance(result, tuple):
            self.cleaned, rep = result
            c = self.cleaned
            self.status.setText(self.tr("Removed {removed} cache entries, {freed}; kept {kept} that environments link "
                                        "to.").format(removed=len(c.removed), freed=mib(c.freed_bytes), kept=c.kept_in_use)
                                + (" " + self.tr("Could not remove: {errors}").format(errors="; ".join(c.errors))
                                   if c.errors else ""))
            self.show_report(rep)
        else:
            self.show_report(result)

    @Slot(object)
    def _on_runner_failed(self, err: JobError) -> None:
        self.status.setText(self.tr("Could not measure or clean: {error}").format(error=err.message))

    @Slot(bool)
    def _on_runner_busy_changed(self, busy: bool) -> None:
        self.clean_button.setEnabled(not busy)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.runner.shutdown()
        super().closeEvent(event)
