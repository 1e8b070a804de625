"""The main window's menu bar and what its File, Tools and Help items open that is not about the plan (logs,
settings, data updates, disk use, about), with the message boxes. MainWindow (main_window.py) composes the
panels on top of it and adds Export and Copy commands."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox

from .. import __version__
from ..usecases.startup import Startup
from .create_panel import CreatePanel, open_folder
from .settings import SettingsDialog, UiSettings
from .theme import theme_manager
from .worker import JobContext, JobError, JobRunner


class MenuWindow(QMainWindow):
    """The menus and their dialogs; the subclass sets the attributes below and starts detection (`start`)."""

    settings: UiSettings
    matrix: Any
    matrix_path: str
    startup: Startup | None
    update_runner: JobRunner
    create_panel: CreatePanel

    def start(self) -> bool:
        """Detect and plan again (MainWindow does it)."""
        raise NotImplementedError

    # --- menus ----------------------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self.export_action = QAction(self.tr("&Export environment.yml…"), self, shortcut=QKeySequence("Ctrl+E"))
        self.copy_action = QAction(self.tr("&Copy commands"), self, shortcut=QKeySequence("Ctrl+Shift+C"))
        self.logs_action = QAction(self.tr("Open &logs folder"), self)
        quit_action = QAction(self.tr("&Quit"), self, shortcut=QKeySequence.StandardKey.Quit)  # type: ignore[call-overload]  # Qt converts a StandardKey; the stubs list only QKeySequence
        for a in (self.export_action, self.copy_action, self.logs_action):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        tools = bar.addMenu(self.tr("&Tools"))
        self.settings_action = QAction(self.tr("&Settings…"), self, shortcut=QKeySequence.StandardKey.Preferences)  # type: ignore[call-overload]  # Qt converts a StandardKey; the stubs list only QKeySequence
        self.update_action = QAction(self.tr("Check for &data updates"), self)
        tools.addAction(self.settings_action)
        tools.addAction(self.update_action)
        self.disk_action = QAction(self.tr("&Disk use and caches…"), self)
        tools.addAction(self.disk_action)
        self.disk_action.triggered.connect(self._on_disk_action_triggered)
        help_menu = bar.addMenu(self.tr("&Help"))
        self.about_action = QAction(self.tr("&About TorchDesk"), self)
        help_menu.addAction(self.about_action)
        self.logs_action.triggered.connect(self._on_logs_action_triggered)
        quit_action.triggered.connect(self.close)
        self.settings_action.triggered.connect(self._on_settings_action_triggered)
        self.update_action.triggered.connect(self._on_update_action_triggered)
        self.about_action.triggered.connect(self._on_about_action_triggered)
        self.export_action.setEnabled(False)
        self.copy_action.setEnabled(False)

    @Slot()
    def _on_logs_action_triggered(self) -> None:
        from ..paths import log_dir

        open_folder(log_dir())

    @Slot()
    def _on_disk_action_triggered(self) -> None:
        from .disk_dialog import DiskDialog

        DiskDialog(self).exec()

    @Slot()
    def _on_settings_action_triggered(self) -> None:
        dlg = SettingsDialog(self.settings, self)
        language = self.settings.language
        if dlg.exec():
            theme_manager().apply(self.settings.theme)
            if self.settings.language != language:  # widgets set their texts once: say when it takes effect
                self.statusBar().showMessage(self.tr("The new language shows after TorchDesk restarts."))
            self.create_panel.set_engine(self.settings.engine)
            self.create_panel.location_edit.setText(str(self.settings.envs_dir))

    @Slot()
    def _on_update_action_triggered(self) -> None:
        self.check_for_updates()

    def check_for_updates(self) -> bool:
        url = self.settings.data_url
        current = self.matrix.data_version if self.matrix is not None else "the bundled data"

        def job(ctx: JobContext) -> Any:
            from .data_update import update_matrix

            return update_matrix(url, current)

        self.statusBar().showMessage(self.tr("Checking {url} for newer compatibility data…").format(url=url))
        return self.update_runner.start(job)

    @Slot(object)
    def _on_update_runner_succeeded(self, upd: Any) -> None:
        if upd.changed:
            text = self.tr("Compatibility data updated from {old} to {new}. Recomputing the plan.").format(
                old=upd.old_version, new=upd.new_version)
            self.start()
        else:
            text = self.tr("The compatibility data is up to date ({version}).").format(version=upd.new_version)
        self.statusBar().showMessage(text)
        self.inform(self.tr("Data update"), text)

    @Slot(object)
    def _on_update_runner_failed(self, err: JobError) -> None:
        self.statusBar().showMessage(self.tr("Data update failed"))
        self.show_error(self.tr("Could not update the compatibility data"), err.message, err.details)

    @Slot()
    def _on_about_action_triggered(self) -> None:
        self.inform(self.tr("About TorchDesk"), self.about_text())

    def about_text(self) -> str:
        from PySide6 import __version__ as pyside_version

        data = f"{self.matrix.data_version} ({self.matrix_path})" if self.matrix is not None else self.tr("not loaded yet")
        if self.startup is not None and self.startup.matrix_warnings:
            data += "".join(f"\n! {w}" for w in self.startup.matrix_warnings)
        return (f"TorchDesk {__version__}\n" + self.tr("Compatibility data {data}").format(data=data)
                + f"\nPySide6 {pyside_version}\n\n"
                + self.tr("Detects your GPU and driver, picks the PyTorch / CUDA / Python combination that runs on it, "
                          "builds the conda environment and proves it works."))

    # --- dialogs (attributes so tests can answer them) ------------------------------------------------------------
    def confirm(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    def inform(self, title: str, text: str) -> None:
        QMessageBox.information(self, title, text)

    def show_error(self, title: str, message: str, details: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        if details:
            box.setDetailedText(details)
        box.open()
