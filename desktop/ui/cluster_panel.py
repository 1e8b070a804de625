"""The Cluster tab: a Slurm cluster's GPU node classes, the one plan for all of them, and the verdict per class.

Shown only where Slurm's `sinfo` is on PATH. Every question goes to the core (desktop/fleet) through the
JobRunner; this panel renders the answers and holds no logic of its own.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .widgets import NO_MARK, OK_MARK, LogView, heading
from .worker import JobContext, JobError, JobRunner

CLASS_COLUMNS = (QT_TRANSLATE_NOOP("ClusterPanel", "Class"), "GPU", QT_TRANSLATE_NOOP("ClusterPanel", "Compute cap."),
                 QT_TRANSLATE_NOOP("ClusterPanel", "Driver"), QT_TRANSLATE_NOOP("ClusterPanel", "Nodes"),
                 QT_TRANSLATE_NOOP("ClusterPanel", "Partitions"), QT_TRANSLATE_NOOP("ClusterPanel", "Known from"))
VERDICT_COLUMNS = (QT_TRANSLATE_NOOP("ClusterPanel", "Class"), QT_TRANSLATE_NOOP("ClusterPanel", "Verdict"),
                   QT_TRANSLATE_NOOP("ClusterPanel", "Node"), QT_TRANSLATE_NOOP("ClusterPanel", "Job"), "GPU",
                   QT_TRANSLATE_NOOP("ClusterPanel", "Compute cap."), QT_TRANSLATE_NOOP("ClusterPanel", "Driver"),
                   "CUDA_VISIBLE_DEVICES", QT_TRANSLATE_NOOP("ClusterPanel", "Cause"))


def _read_slurm(matrix: Any, site: Any) -> Any:
    from ..fleet.inventory import read_inventory

    return read_inventory(matrix, site)


class ClusterPanel(QWidget):
    """Read the cluster and plan (one job), verify an environment on every class (another); show both."""

    def __init__(self, runner: JobRunner, matrix: Callable[[], Any], parent: QWidget | None = None, *,
                 read_inventory: Callable[[Any, Any], Any] = _read_slurm, verify_kind: str = "slurm") -> None:
        super().__init__(parent)
        self.runner = runner
        self._matrix = matrix
        self._read_inventory = read_inventory
        self._verify_kind = verify_kind
        self.inventory: Any = None
        self.fleet_plan: Any = None
        self.verdicts: Any = None
        self._job = ""

        self.site_edit = QLineEdit()
        self.site_edit.setPlaceholderText(self.tr("optional: YAML naming local GRES types, e.g. gpu_types: {labgpu: RTX A6000}"))
        self.site_browse = QPushButton(self.tr("&Browse…"))
        self.read_button = QPushButton(self.tr("&Read cluster and plan"))
        self.prefix_edit = QLineEdit()
        self.prefix_edit.setPlaceholderText(self.tr("SHARED/envs/NAME: an environment every node sees at this path"))
        self.verify_button = QPushButton(self.tr("&Verify on every class"))
        self.verify_button.setEnabled(verify_kind == "local")
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setEnabled(False)
        self.status = QLabel(self.tr("Press Read to list the cluster's GPU node classes."))
        self.status.setWordWrap(True)
        self.classes_table = self._table(CLASS_COLUMNS)
        self.plan_label = QLabel()
        self.plan_label.setWordWrap(True)
        self.verdict_table = self._table(VERDICT_COLUMNS)
        self.log = LogView(max_lines=2000)
        self.log.setMaximumHeight(120)

        site_row = QHBoxLayout()
        site_row.addWidget(self.site_edit, 1)
        site_row.addWidget(self.site_browse)
        form = QFormLayout()
        form.addRow(self.tr("Site &mapping file:"), site_row)
        form.addRow(self.tr("E&nvironment:"), self.prefix_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.read_button)
        buttons.addWidget(self.verify_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(heading(self.tr("Cluster (Slurm)")))
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        lay.addWidget(QLabel(self.tr("Node classes")))
        lay.addWidget(self.classes_table, 1)
        lay.addWidget(self.plan_label)
        lay.addWidget(QLabel(self.tr("Verdict per class")))
        lay.addWidget(self.verdict_table, 1)
        lay.addWidget(self.log)

        self.read_button.clicked.connect(self._on_read_button_clicked)
        self.verify_button.clicked.connect(self._on_verify_button_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.site_browse.clicked.connect(self._on_site_browse_clicked)
        runner.succeeded.connect(self._on_runner_succeeded)
        runner.failed.connect(self._on_runner_failed)
        runner.cancelled.connect(self._on_runner_cancelled)
        runner.busy_changed.connect(self._on_runner_busy_changed)
        runner.log_lines.connect(self.log.append_lines)

    @staticmethod
    def _table(columns: tuple[object, ...]) -> QTableWidget:
        t = QTableWidget(0, len(columns))
        t.setTabKeyNavigation(False)  # Tab leaves the table (arrows move between cells)
        t.setHorizontalHeaderLabels([QCoreApplication.translate("ClusterPanel", str(c)) for c in columns])
        t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        t.verticalHeader().setVisible(False)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        t.horizontalHeader().setStretchLastSection(True)
        return t

    # --- actions ----------------------------------------------------------------------------------------------------
    def read(self) -> bool:
        """Read the node classes and plan for all of them, in the background."""
        matrix = self._matrix()
        site_path = self.site_edit.text().strip()
        read_inventory = self._read_inventory

        def job(ctx: JobContext) -> Any:
            from ..fleet.inventory import load_site_map
            from ..fleet.plan import plan_fleet

            m = matrix
            if m is None:
                from ..matrixload import default_matrix

                m = default_matrix()
            site = load_site_map(site_path, m) if site_path else None
            inv = read_inventory(m, site)
            return ("read", inv, plan_fleet(m, inv.classes) if inv.classes else None)

        self.status.setText(self.tr("Reading the cluster…"))
        self._job = "read"
        return self.runner.start(job)

    def verify(self) -> bool:
        """Run the smoke test with the environment's python on every class (one Slurm job each)."""
        prefix = self.prefix_edit.text().strip()
        if not prefix:
            self.status.setText(f"{NO_MARK} " + self.tr("Name the environment to verify (a folder on the shared filesystem)."))
            return False
        classes = list(self.inventory.classes) if self.inventory is not None else []
        kind = self._verify_kind

        def job(ctx: JobContext) -> Any:
            from ..fleet.verify import verify_fleet

            return ("verify", verify_fleet(prefix, classes, kind=kind, on_line=ctx.on_line, cancel=ctx.cancel), None)

        self.verdict_table.setRowCount(0)
        self.status.setText(self.tr("Verifying {prefix} on %n class(es)…", "", len(classes) or 1).format(prefix=prefix))
        self._job = "verify"
        return self.runner.start(job)

    # --- rendering --------------------------------------------------------------------------------------------------
    def show_inventory(self, inv: Any, fleet_plan: Any) -> None:
        self.inventory, self.fleet_plan = inv, fleet_plan
        self.classes_table.setRowCount(len(inv.classes))
        for i, c in enumerate(inv.classes):
            cells = (c.name, c.model or self.tr("unknown"), c.cc or "-", c.driver or "-", ", ".join(c.nodes),
                     ", ".join(c.partitions), c.source)
            for j, text in enumerate(cells):
                self.classes_table.setItem(i, j, QTableWidgetItem(text))
        if fleet_plan is None:
            self.plan_label.setText(self.tr("No GPU node classes: no node has gpu GRES."))
        elif fleet_plan.status == "ok":
            why = "<br>".join(f"{OK_MARK if c.ok else NO_MARK} {c.detail}" for c in fleet_plan.checks[:8])
            head = self.tr("One plan for every class:")  # lupdate does not look inside f-strings
            self.plan_label.setText(f"<b>{head}</b> {fleet_plan.resolution.summary}<br>{why}")
        else:
            per = "<br>".join(self.tr("class {name}: {plan}").format(
                name=n, plan=r.summary if r.plan else self.tr("no build in the data runs on it"))
                for n, r in fleet_plan.per_class)
            blockers = ", ".join(fleet_plan.blockers) or self.tr("no single class")
            why = "<br>".join(f"{NO_MARK} {c.detail}" for c in fleet_plan.checks if not c.ok)[:2000]
            head, per_head = self.tr("No one build runs on every class."), self.tr("Per-class plans")
            self.plan_label.setText(f"<b>{head}</b> " + self.tr("Blocking: {classes}").format(classes=blockers)
                                    + f"<br>{why}<br><b>{per_head}</b><br>{per}")
        warn = "; ".join(inv.warnings)
        self.status.setText(self.tr("%n GPU node class(es).", "", len(inv.classes)) + (f" {warn}" if warn else ""))
        self.verify_button.setEnabled(True)

    def show_verdicts(self, fv: Any) -> None:
        self.verdicts = fv
        self.verdict_table.setRowCount(len(fv.rows))
        for i, r in enumerate(fv.rows):
            cells = (r.cls, r.verdict.upper(), r.node, r.job_id, r.gpu, r.cc, r.driver, r.devices, r.cause)
            for j, text in enumerate(cells):
                self.verdict_table.setItem(i, j, QTableWidgetItem(text))
        n_ok = sum(1 for r in fv.rows if r.ok)
        mark = OK_MARK if fv.ok else NO_MARK
        self.status.setText(f"{mark} " + self.tr("{passed} of {total} classes pass").format(passed=n_ok, total=len(fv.rows))
                            + ("" if fv.ok else self.tr(": the environment is not proven on every class.")))

    # --- slots ------------------------------------------------------------------------------------------------------
    @Slot()
    def _on_read_button_clicked(self) -> None:
        self.read()

    @Slot()
    def _on_verify_button_clicked(self) -> None:
        self.verify()

    @Slot()
    def _on_cancel_button_clicked(self) -> None:
        self.status.setText(self.tr("Cancelling: cancelling the jobs and waiting until Slurm shows none left…"))
        self.runner.cancel()

    @Slot()
    def _on_site_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Site mapping file"), "",
                                              self.tr("YAML or JSON (*.yml *.yaml *.json)"))
        if path:
            self.site_edit.setText(path)

    @Slot(object)
    def _on_runner_succeeded(self, result: Any) -> None:
        kind, a, b = result
        if kind == "read":
            self.show_inventory(a, b)
        else:
            self.show_verdicts(a)

    @Slot(object)
    def _on_runner_failed(self, err: JobError) -> None:
        self.status.setText(f"{NO_MARK} {err.message}")

    @Slot()
    def _on_runner_cancelled(self) -> None:
        self.status.setText(self.tr("Cancelled; the jobs were cancelled."))

    @Slot(bool)
    def _on_runner_busy_changed(self, busy: bool) -> None:
        self.read_button.setEnabled(not busy)
        self.verify_button.setEnabled(not busy and (self.inventory is not None or self._verify_kind == "local"))
        self.cancel_button.setEnabled(busy)
