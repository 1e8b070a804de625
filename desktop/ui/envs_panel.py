"""Existing environments with the torch build in each: Verify, Export environment.yml, Remove (confirmed).

The list is the one inventory (desktop/usecases/inventory.py), at start-up and on Refresh alike. Its Size and
Shared columns are filled afterwards, one environment at a time, by diskuse.env_sizes on a second JobRunner (the
numbers `torchdesk envs --sizes` prints): the list never waits for them, and the other actions stay usable."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .widgets import Banner, CollapsibleLog, LogView, empty_state, heading, read_only_table
from .worker import JobContext, JobError, JobRunner
from .core_words import tr_core
from .qtcompat import emit

COLUMNS = ("Name", "Python", "torch", "Build", "Installed by", "Jupyter kernel", "Size", "Shared", "Location")
SIZE_COL, SHARED_COL = COLUMNS.index("Size"), COLUMNS.index("Shared")
PLACEHOLDER = "…"  # a size not measured yet


class EnvironmentsPanel(QWidget):
    """Lists conda environments; its jobs (list, verify, remove) run on its own JobRunner, the sizes on another."""

    envs_changed = Signal()
    envs_listed = Signal(int)  # how many environments the inventory listed (the machine panel shows the count)
    disk_requested = Signal()  # the Disk use button: the main window opens the disk use and caches dialog

    def __init__(self, runner: JobRunner, *, expect_gpu: Callable[[], bool | None],
                 confirm: Callable[[str, str], bool], sizes_runner: JobRunner | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.sizes_runner = sizes_runner or JobRunner("sizes", self)
        self.sizes: dict[str, Any] = {}  # prefix -> diskuse.TreeSize, of the list shown now
        self._sizes_generation = 0  # bumped per list shown: a size measured for an older list is dropped
        self._sizes_restart = False  # a new list arrived while the last measurement was stopping
        self._expect_gpu = expect_gpu
        self._confirm = confirm
        self.envs: list[Any] = []
        self._action = ""
        self.table = read_only_table([self.tr("Name"), "Python", "torch", self.tr("Build"), self.tr("Installed by"),
                                      self.tr("Jupyter kernel"), self.tr("Size"), self.tr("Shared"),
                                      self.tr("Location")])  # the COLUMNS, translated
        for col, tip in ((SIZE_COL, self.tr("what only this environment holds, hard links counted once: removing it "
                                            "frees this")),
                         (SHARED_COL, self.tr("files hard-linked with the package caches or other environments: on "
                                              "disk once, and not freed by removing this environment"))):
            header = self.table.horizontalHeaderItem(col)
            if header is not None:  # read_only_table made one per label
                header.setToolTip(tip)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move between rows)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.refresh_button = QPushButton(self.tr("&Refresh"))
        self.verify_button = QPushButton(self.tr("&Verify"))
        self.export_button = QPushButton(self.tr("E&xport environment.yml…"))
        self.remove_button = QPushButton(self.tr("Re&move…"))
        self.repair_button = QPushButton(self.tr("Rep&air"))  # put drifted torch / numpy back on the plan (driftguard)
        self.lock_button = QPushButton(self.tr("Export &lock…"))  # explicit spec + pylock.toml (exactlock)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.disk_button = QPushButton(self.tr("&Disk use…"))
        self.disk_button.setToolTip(self.tr("each environment's own and shared disk, and the package caches"))
        self.export_button.setToolTip(self.tr("write an environment.yml that rebuilds the selected environment"))
        buttons = QHBoxLayout()
        for b in (self.refresh_button, self.verify_button, self.export_button, self.repair_button, self.lock_button,
                  self.remove_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.disk_button)
        self.status = QLabel(self.tr("Environments are listed once detection finishes."))
        self.banner = Banner()
        self.log = LogView(max_lines=5000)
        self.log.setMaximumHeight(180)
        self.empty = empty_state(self.tr("Your conda environments (TorchDesk's and any other conda's) will be "
                                         "listed here, with their Python and PyTorch."))
        self.table.hide()  # until there is an environment to list
        lay = QVBoxLayout(self)
        lay.addWidget(heading(self.tr("Environments"), "title"))
        lay.addWidget(self.status)
        lay.addWidget(self.empty)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)
        lay.addWidget(self.banner)
        lay.addWidget(CollapsibleLog(self.log))

        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        self.verify_button.clicked.connect(self._on_verify_button_clicked)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.repair_button.clicked.connect(self._on_repair_button_clicked)
        self.lock_button.clicked.connect(self._on_lock_button_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.disk_button.clicked.connect(self.disk_requested)
        runner.log_lines.connect(self.log.append_lines)
        runner.succeeded.connect(self._on_runner_succeeded)
        runner.failed.connect(self._on_runner_failed)
        runner.cancelled.connect(self._on_runner_cancelled)
        runner.busy_changed.connect(self._on_runner_busy_changed)
        self.sizes_runner.progress.connect(self._on_sizes_runner_progress)
        self.sizes_runner.failed.connect(self._on_sizes_runner_failed)
        self.sizes_runner.cancelled.connect(self._on_sizes_runner_cancelled)
        self.sizes_runner.finished.connect(self._on_sizes_runner_finished)
        self.sizes_runner.busy_changed.connect(self._on_runner_busy_changed)
        self._update_buttons()

    # --- rendering ------------------------------------------------------------------------------------------------
    def show_envs(self, envs: list[Any] | tuple[Any, ...]) -> None:
        self.envs = list(envs)
        self.table.setRowCount(len(self.envs))
        from ..kernels import find_kernels

        kernels = {k.prefix: k.display_name for k in find_kernels()}
        for row, e in enumerate(self.envs):
            state = getattr(e, "state", "ok")  # an inventory entry (usecases/inventory.py) says what is wrong with it
            cells = (e.name, e.python or "?", e.torch or "no torch", e.torch_build or "", e.installer or "",
                     kernels.get(e.prefix, ""), "", "", e.prefix if state == "ok" else f"{e.prefix}  ({state})")
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(str(text)))
            if not getattr(e, "unfinished", False):  # a job's half-made folder is not measured (nor by the CLI)
                self._show_size(row, None)
        self.table.resizeColumnsToContents()
        emit(self.envs_listed, len(self.envs))
        self.table.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        n = len(self.envs)
        self.table.setVisible(bool(n))
        self.empty.setVisible(not n)
        with_torch = sum(1 for e in self.envs if e.torch)
        self.status.setText(self.tr("%n environment(s), {with_torch} with torch", "", n).format(with_torch=with_torch)
                            if n else self.tr("No conda environments found. Create one on the first tab."))
        self._update_buttons()
        self.measure_sizes()

    def _show_size(self, row: int, size: Any, tip: str = "") -> None:
        """Fill a row's Size and Shared cells: the numbers (bytes under Qt.UserRole), or the placeholder."""
        from ..diskuse import format_size

        if getattr(size, "error", None):  # a missing or unreadable folder: no number, never "0 B"
            for col in (SIZE_COL, SHARED_COL):
                item = QTableWidgetItem(self.tr("could not measure"))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(tr_core(size.error))
                self.table.setItem(row, col, item)
            return
        for col, n in ((SIZE_COL, getattr(size, "own_bytes", None)), (SHARED_COL, getattr(size, "shared_bytes", None))):
            item = QTableWidgetItem(PLACEHOLDER if n is None and not tip else "—" if n is None else format_size(n))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if n is not None:
                item.setData(Qt.ItemDataRole.UserRole, n)
            item.setToolTip(tip if n is None else self.tr("{bytes} bytes").format(bytes=f"{n:,}"))
            self.table.setItem(row, col, item)

    def _unmeasured_rows(self) -> list[int]:
        return [r for r, e in enumerate(self.envs) if not getattr(e, "unfinished", False) and e.prefix not in self.sizes]

    def measure_sizes(self) -> None:
        """Measure the listed environments in the background (a measurement still running is stopped first)."""
        self.sizes = {}
        self._sizes_generation += 1
        if self.sizes_runner.busy:
            self._sizes_restart = True  # started again once the old one has stopped (_on_sizes_runner_finished)
            self.sizes_runner.cancel()
            return
        self._start_sizes()

    def _start_sizes(self) -> None:
        prefixes = [self.envs[r].prefix for r in self._unmeasured_rows()]
        if not prefixes:
            return
        generation = self._sizes_generation

        def job(ctx: JobContext) -> Any:
            from ..diskuse import env_sizes

            return env_sizes(prefixes, on_size=lambda size: ctx.on_progress((generation, size)), cancel=ctx.cancel)

        self.sizes_runner.start(job)

    def selected(self) -> Any | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self.envs[rows.pop()] if len(rows) == 1 else None

    def _update_buttons(self) -> None:
        busy = self.runner.busy
        env = self.selected()
        self.refresh_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy or self.sizes_runner.busy)
        self.verify_button.setEnabled(not busy and env is not None and bool(env.torch))
        self.verify_button.setToolTip("" if env is None or env.torch else self.tr("this environment has no torch to verify"))
        finished = env is not None and not getattr(env, "unfinished", False)  # a job's half-made folder: Remove only
        self.export_button.setEnabled(not busy and finished)
        self.remove_button.setEnabled(not busy and env is not None)
        self.repair_button.setEnabled(not busy and env is not None and bool(env.torch))
        self.lock_button.setEnabled(not busy and finished)

    # --- actions --------------------------------------------------------------------------------------------------
    def refresh(self, installs: Any = None, detected: Any = ()) -> bool:
        """List the environments in the background; at start-up from detection's Host.conda/Host.envs (None: look)."""
        def job(ctx: JobContext) -> Any:
            from ..usecases.inventory import list_environments

            return list_environments(installs, detected)  # the one inventory `torchdesk envs` prints

        self._action = "list"
        self.status.setText(self.tr("Looking for environments…"))
        if not self.runner.start(job):
            return False
        self._sizes_generation += 1  # sizes of the old list: no longer shown; the new list measures again
        self.sizes_runner.cancel()
        return True

    @Slot()
    def _on_table_selection_changed(self) -> None:
        self._update_buttons()

    @Slot()
    def _on_refresh_button_clicked(self) -> None:
        self.refresh()

    @Slot()
    def _on_verify_button_clicked(self) -> None:
        env = self.selected()
        if env is None:
            return
        expect_gpu = self._expect_gpu()
        if expect_gpu and env.torch and "+cpu" in env.torch:
            expect_gpu = False  # a CPU build is not expected to see the GPU; verify it as what it is
        prefix = env.prefix

        def job(ctx: JobContext) -> Any:
            from ..verify import verify_env

            return verify_env(prefix, expect_gpu=expect_gpu, on_line=ctx.on_line, cancel=ctx.cancel)

        self._action = "verify"
        self.log.clear_log()
        self.banner.show_result("info", self.tr("Verifying {name}…").format(name=env.name),
                                self.tr("Running the smoke test with the environment's own Python."))
        self.runner.start(job)

    @Slot()
    def _on_export_button_clicked(self) -> None:
        env = self.selected()
        if env is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export environment.yml"), f"{env.name}.yml",
                                              self.tr("YAML (*.yml *.yaml)"))
        if not path:
            return
        try:
            from ..envspec import export_env_yml

            text = export_env_yml(Path(env.prefix))
            Path(path).write_text(text, encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.banner.show_result("fail", self.tr("Could not export {name}").format(name=env.name), str(exc))
            return
        self.banner.show_result("ok", self.tr("Wrote {path}").format(path=path))

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        env = self.selected()
        if env is None:
            return
        if not self._confirm(self.tr("Remove environment"),
                             self.tr("Delete the environment {name} and everything in it?\n\n{prefix}\n\nThis cannot be "
                                     "undone.").format(name=repr(env.name), prefix=env.prefix)):
            return
        prefix = Path(env.prefix)

        def job(ctx: JobContext) -> Any:
            from ..engine.base import remove_env

            remove_env(prefix)
            return prefix

        self._action = "remove"
        self.runner.start(job)

    @Slot()
    def _on_repair_button_clicked(self) -> None:
        env = self.selected()
        if env is None:
            return
        prefix = env.prefix

        def job(ctx: JobContext) -> Any:
            from ..driftrepair import repair_env

            return repair_env(prefix, on_line=ctx.on_line, cancel=ctx.cancel)

        self._action = "repair"
        self.log.clear_log()
        self.runner.start(job)

    @Slot()
    def _on_lock_button_clicked(self) -> None:
        env = self.selected()
        if env is None:
            return
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder for the lock (an empty one)"))
        if not folder:
            return
        prefix = env.prefix

        def job(ctx: JobContext) -> Any:
            from ..lockexport import export_lock

            return export_lock(prefix, folder, on_line=ctx.on_line, cancel=ctx.cancel)

        self._action = "lock"
        self.log.clear_log()
        self.runner.start(job)

    @Slot()
    def _on_cancel_button_clicked(self) -> None:
        (self.runner if self.runner.busy else self.sizes_runner).cancel()

    @Slot(object)
    def _on_sizes_runner_progress(self, payload: Any) -> None:
        generation, size = payload
        if generation != self._sizes_generation:
            return
        self.sizes[size.path] = size
        for row, e in enumerate(self.envs):
            if e.prefix == size.path:
                self._show_size(row, size)
        self.table.resizeColumnToContents(SIZE_COL)
        self.table.resizeColumnToContents(SHARED_COL)

    def _mark_unmeasured(self, why: str) -> None:
        if not self._sizes_restart and not (self.runner.busy and self._action == "list"):  # else a new list comes
            for row in self._unmeasured_rows():
                self._show_size(row, None, why)

    @Slot(object)
    def _on_sizes_runner_failed(self, err: JobError) -> None:
        self._mark_unmeasured(self.tr("could not measure: {error}").format(error=err.message))

    @Slot()
    def _on_sizes_runner_cancelled(self) -> None:
        self._mark_unmeasured(self.tr("not measured (cancelled); Refresh measures again"))

    @Slot()
    def _on_sizes_runner_finished(self) -> None:
        if self._sizes_restart:
            self._sizes_restart = False
            self._start_sizes()

    @Slot(object)
    def _on_runner_succeeded(self, result: Any) -> None:
        if self._action == "list":
            self.show_envs(result)
        elif self._action == "verify":
            verdict = getattr(result, "verdict", "fail")
            kind = {"pass": "ok", "warn": "warn"}.get(verdict, "fail")
            body = tr_core(getattr(result, "cause", ""))
            if getattr(result, "fix", "") and verdict != "pass":
                body += "\n" + self.tr("What to do: {fix}").format(fix=tr_core(result.fix))
            import json

            details = json.dumps(getattr(result, "report", {}), indent=2, default=str)
            self.banner.show_result(kind, self.tr("Verification: {verdict}").format(verdict=verdict), body, details)
        elif self._action == "repair":
            self.banner.show_result("ok" if result.ok else "fail", result.message, result.fix or "")
        elif self._action == "lock":
            self.banner.show_result("ok", self.tr("Wrote the lock: {count} files").format(count=len(result)),
                                    "\n".join(str(p) for p in result) + "\n" + self.tr("Rebuild it with: torchdesk import FOLDER"))
        elif self._action == "remove":
            self.banner.show_result("ok", self.tr("Removed {prefix}").format(prefix=result))
            emit(self.envs_changed)
            self.envs = [e for e in self.envs if Path(e.prefix) != result]
            self.show_envs(self.envs)

    @Slot(object)
    def _on_runner_failed(self, err: JobError) -> None:
        title = {"list": self.tr("Listing environments failed"), "verify": self.tr("Verification failed"),
                 "remove": self.tr("Removing the environment failed"), "repair": self.tr("Repair failed"),
                 "lock": self.tr("Exporting the lock failed")}.get(self._action, self.tr("The job failed"))
        self.banner.show_result("fail", title, err.message, err.details)
        if self._action == "list":
            self.status.setText(self.tr("Could not list environments."))

    @Slot()
    def _on_runner_cancelled(self) -> None:
        self.banner.show_result("info", self.tr("Cancelled"))

    @Slot(bool)
    def _on_runner_busy_changed(self, _busy: bool) -> None:
        self._update_buttons()
