"""Plan for another machine: pick a GPU model, driver and OS; get the same recommendation and its environment.yml."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..model import Preferences
from .recommend_panel import RecommendationPanel
from .widgets import heading
from .worker import JobContext, JobError, JobRunner

NO_GPU = "(no GPU)"


def describe_host(matrix: Any, gpu: str, driver: str, os_name: str, machine: str) -> Any:
    """The hypothetical Host the CLI's what-if flags would build (same core function, same error messages)."""
    from ..machines import describe_machine

    return describe_machine(matrix, gpus=[gpu] if gpu and gpu != NO_GPU else (), no_gpu=(gpu == NO_GPU),
                            driver=driver or None, os_name=os_name, machine=machine or None)


class OtherMachinePanel(QWidget):
    """Describe a machine, resolve in the background, show the same RecommendationPanel, export its yml."""

    def __init__(self, runner: JobRunner, matrix: Callable[[], Any],
                 export: Callable[[Any, QWidget], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._matrix = matrix
        self._export = export
        self.host: Any = None
        self.gpu_combo = QComboBox()
        self.gpu_combo.setEditable(True)
        self.gpu_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.driver_edit = QLineEdit()
        self.driver_edit.setPlaceholderText(self.tr("e.g. 570.86.10 (empty: assume a new enough driver)"))
        self.os_combo = QComboBox()
        self.os_combo.addItems(["linux", "windows", "macos"])
        self.machine_combo = QComboBox()
        self.machine_combo.addItems(["x86_64", "aarch64", "arm64"])
        self.plan_button = QPushButton(self.tr("Re&commend"))
        self.export_button = QPushButton(self.tr("E&xport environment.yml…"))
        self.export_button.setEnabled(False)
        self.error = QLabel()
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("&GPU model:"), self.gpu_combo)
        form.addRow(self.tr("&Driver:"), self.driver_edit)
        form.addRow(self.tr("Operati&ng system:"), self.os_combo)
        form.addRow(self.tr("CPU &architecture:"), self.machine_combo)
        buttons = QHBoxLayout()
        buttons.addWidget(self.plan_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        self.recommendation = RecommendationPanel(with_extras=False, title=self.tr("Recommendation for that machine"),
                                                  waiting=self.tr("Describe the machine above, then press Recommend."))
        lay = QVBoxLayout(self)
        lay.addWidget(heading(self.tr("Plan for another machine")))
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.error)
        lay.addWidget(self.recommendation, 1)
        self.plan_button.clicked.connect(self._on_plan_button_clicked)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.driver_edit.returnPressed.connect(self._on_plan_button_clicked)
        self.os_combo.currentTextChanged.connect(self._on_os_combo_changed)
        self.recommendation.preferences_changed.connect(self._on_recommendation_preferences_changed)
        runner.succeeded.connect(self._on_runner_succeeded)
        runner.failed.connect(self._on_runner_failed)

    def show_matrix(self, matrix: Any) -> None:
        # NVIDIA and AMD models in one list: the CLI's --gpu takes either, and so does describe_host
        names = [NO_GPU] + sorted([g.name for g in matrix.gpus] + [g.name for g in getattr(matrix, "amd_gpus", ())])
        current = self.gpu_combo.currentText()
        self.gpu_combo.clear()
        self.gpu_combo.addItems(names)
        completer = QCompleter(names, self.gpu_combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.gpu_combo.setCompleter(completer)
        if current:
            self.gpu_combo.setCurrentText(current)

    def plan(self, prefs: Preferences = Preferences()) -> bool:
        """Resolve for the machine described in the form (in the background)."""
        from ..errors import UsageError

        matrix = self._matrix()
        try:
            host = describe_host(matrix, self.gpu_combo.currentText().strip(), self.driver_edit.text().strip(),
                                 self.os_combo.currentText(), self.machine_combo.currentText())
        except UsageError as exc:
            self.error.setText(f"\u2717 {exc}")
            return False
        self.error.setText("")
        self.host = host

        def job(ctx: JobContext) -> Any:
            from ..usecases.planning import recommend

            return recommend(matrix, host, prefs)

        self.recommendation.show_busy()
        return self.runner.start(job)

    @Slot()
    def _on_plan_button_clicked(self) -> None:
        self.plan()

    @Slot(str)
    def _on_os_combo_changed(self, os_name: str) -> None:
        self.machine_combo.setCurrentText("arm64" if os_name == "macos" else "x86_64")

    @Slot(object)
    def _on_recommendation_preferences_changed(self, prefs: Preferences) -> None:
        self.plan(prefs)

    @Slot(object)
    def _on_runner_succeeded(self, rec: Any) -> None:
        self.recommendation.show_recommendation(rec)
        self.export_button.setEnabled(rec.plan is not None)

    @Slot(object)
    def _on_runner_failed(self, err: JobError) -> None:
        self.recommendation.show_error(err.message)
        self.export_button.setEnabled(False)

    @Slot()
    def _on_export_button_clicked(self) -> None:
        rec = self.recommendation.recommendation
        if rec is not None and rec.plan is not None:
            self._export(rec.plan, self)
