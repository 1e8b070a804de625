"""The main window: composes the panels, owns the JobRunners, wires signals, menus and shutdown."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QByteArray, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QWidget,
)

from ..model import Preferences
from ..usecases.planning import Recommendation, recommend
from ..usecases.recipe import CREDENTIALS_LEFT_OUT, Recipe, install_recipe, spec_for_plan
from ..usecases.startup import Startup, start_up
from .compat_panel import CompatibilityPanel
from .create_panel import CreatePanel
from .envs_panel import EnvironmentsPanel
from .machine_panel import MachinePanel
from .other_machine_panel import OtherMachinePanel
from .qtcompat import emit
from .recommend_panel import RecommendationPanel
from .settings import UiSettings
from .theme import theme_manager
from .widgets import copy_to_clipboard
from .window_menus import MenuWindow
from .worker import JobContext, JobError, JobRunner


def startup_job(env: dict[str, str] | None = None) -> Callable[[JobContext], Startup]:
    """Load the data, detect the machine, resolve: all off the GUI thread (usecases.startup)."""

    def job(ctx: JobContext) -> Startup:
        return start_up(env, ctx.on_line)

    return job


def default_size(available: Any) -> tuple[int, int]:
    """The first-run window size: 1320x860, or 95% of a smaller screen (a laptop, or a 4K panel at 200%)."""
    w, h = 1320, 860
    if available is not None and available.width() > 0 and available.height() > 0:
        w, h = min(w, int(available.width() * 0.95)), min(h, int(available.height() * 0.95))
    return w, h


def _data_warning(warning: str) -> str:
    """A loader warning about an ignored matrix.json, with what to do about it."""
    return f"{warning}. Tools > Check for data updates downloads a fresh copy."


def _scrolled(w: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(w)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class MainWindow(MenuWindow):
    """TorchDesk's window. `start()` kicks off detection; everything slow runs on a JobRunner."""

    first_shown = Signal(float)  # perf_counter() when the window was first shown
    ready = Signal(object)  # Startup, once the first recommendation is on screen
    startup_failed = Signal(object)  # JobError

    def __init__(self, settings: UiSettings | None = None, *, env: dict[str, str] | None = None) -> None:
        super().__init__()
        self.setWindowTitle("TorchDesk")
        self.settings = settings or UiSettings()
        self._env = env
        theme_manager().apply(self.settings.theme)
        self.matrix: Any = None
        self.matrix_path = ""
        self.host: Any = None
        self.startup: Startup | None = None
        self.recommendation: Any = None
        self._pending_prefs: Preferences | None = None
        self._shown = False

        self.detect_runner = JobRunner("detect", self)
        self.resolve_runner = JobRunner("resolve", self)
        self.create_runner = JobRunner("create", self)
        self.envs_runner = JobRunner("envs", self)
        self.other_runner = JobRunner("other-machine", self)
        self.update_runner = JobRunner("data-update", self)
        self.sizes_runner = JobRunner("sizes", self)  # the Environments tab's Size columns, beside its other jobs
        self.runners: tuple[JobRunner, ...] = (self.detect_runner, self.resolve_runner, self.create_runner, self.envs_runner,
                        self.other_runner, self.update_runner, self.sizes_runner)

        self.machine_panel = MachinePanel()
        self.recommend_panel = RecommendationPanel()
        self.create_panel = CreatePanel(self.create_runner, self.spec_for, envs_dir=lambda: self.settings.envs_dir,
                                        host=lambda: self.host)
        self.create_panel.set_engine(self.settings.engine)
        self.envs_panel = EnvironmentsPanel(self.envs_runner, expect_gpu=self.expect_gpu, confirm=self.confirm,
                                            sizes_runner=self.sizes_runner)
        self.compat_panel = CompatibilityPanel()
        self.other_panel = OtherMachinePanel(self.other_runner, lambda: self.matrix, self.export_plan_dialog)

        home = QSplitter()
        home.addWidget(_scrolled(self.machine_panel))
        home.addWidget(_scrolled(self.recommend_panel))
        home.addWidget(_scrolled(self.create_panel))
        home.setSizes([440, 480, 440])
        self.tabs = QTabWidget()
        self.tabs.addTab(home, self.tr("Thi&s machine"))
        self.tabs.addTab(self.envs_panel, self.tr("&Environments"))
        self.tabs.addTab(self.compat_panel, self.tr("C&ompatibility"))
        self.tabs.addTab(self.other_panel, self.tr("&Plan for another machine"))
        self.cluster_panel: Any = None  # the Cluster tab (torchdesk fleet), only where Slurm's sinfo is on PATH
        from ..fleet.inventory import slurm_available

        if slurm_available((env if env is not None else os.environ).get("PATH")):
            from .cluster_panel import ClusterPanel

            self.cluster_runner = JobRunner("cluster", self)
            self.runners += (self.cluster_runner,)
            self.cluster_panel = ClusterPanel(self.cluster_runner, lambda: self.matrix)
            self.tabs.addTab(self.cluster_panel, self.tr("Cl&uster"))  # Alt+L is the create panel's Location
        self.setCentralWidget(self.tabs)
        self._build_menus()
        self.export_action.triggered.connect(self._on_export_action_triggered)
        self.copy_action.triggered.connect(self._on_copy_action_triggered)
        self.envs_panel.disk_requested.connect(self._on_disk_action_triggered)
        self.envs_panel.envs_listed.connect(self.machine_panel.set_env_count)
        self.statusBar().showMessage(self.tr("Detecting this machine…"))

        self.detect_runner.succeeded.connect(self._on_detect_runner_succeeded)
        self.detect_runner.failed.connect(self._on_detect_runner_failed)
        self.resolve_runner.succeeded.connect(self._on_resolve_runner_succeeded)
        self.resolve_runner.failed.connect(self._on_resolve_runner_failed)
        self.resolve_runner.finished.connect(self._on_resolve_runner_finished)
        self.update_runner.succeeded.connect(self._on_update_runner_succeeded)
        self.update_runner.failed.connect(self._on_update_runner_failed)
        self.recommend_panel.preferences_changed.connect(self._on_recommend_panel_preferences_changed)
        self.recommend_panel.why_requested.connect(self._on_recommend_panel_why_requested)
        self.other_panel.recommendation.why_requested.connect(self._on_other_panel_why_requested)
        self.create_panel.env_created.connect(self._on_create_panel_env_created)
        self.create_runner.busy_changed.connect(self._on_create_runner_busy_changed)

        geometry = self.settings.q.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(*default_size(self.screen().availableGeometry().size() if self.screen() else None))

    # --- start-up -------------------------------------------------------------------------------------------------
    def start(self) -> bool:
        """Detect and resolve in the background; the panels fill in when it is done."""
        self.statusBar().showMessage(self.tr("Detecting this machine…"))
        return self.detect_runner.start(startup_job(self._env))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            # After this event the first paint is queued; report once the loop gets to it.
            QTimer.singleShot(0, self._on_first_show_timer)

    @Slot()
    def _on_first_show_timer(self) -> None:
        emit(self.first_shown, time.perf_counter())

    @Slot(object)
    def _on_detect_runner_succeeded(self, s: Startup) -> None:
        self.startup = s
        self.matrix, self.matrix_path, self.host = s.matrix, s.matrix_path, s.host
        self.machine_panel.show_host(s.host, s.matrix, (*s.recommendation.hints, *map(_data_warning, s.matrix_warnings)))
        self.compat_panel.show_matrix(s.matrix, s.host)
        self.other_panel.show_matrix(s.matrix)
        # the one inventory (usecases/inventory.py), as Refresh and `torchdesk envs` list it, from the conda
        # installations detection has just found (doctor does the same)
        self.envs_panel.refresh(s.host.conda, s.host.envs)
        self._show_recommendation(s.recommendation)
        data = self.tr("compatibility data {version}").format(version=s.matrix.data_version) + (
            " " + self.tr("(bundled copy: the downloaded one is invalid)") if s.matrix_warnings else "")
        self.statusBar().showMessage(self.tr("Ready: detected in {seconds} s; {data}").format(seconds=f"{s.seconds:.1f}", data=data))
        emit(self.ready, s)

    @Slot(object)
    def _on_detect_runner_failed(self, err: JobError) -> None:
        self.machine_panel.show_error(err.message)
        self.recommend_panel.show_error(err.message)
        self.statusBar().showMessage(self.tr("Detection failed"))
        self.show_error(self.tr("TorchDesk could not start up"),
                        self.tr("Loading the compatibility data or detecting this machine failed: {error}. Reinstall "
                                "TorchDesk if this persists.").format(error=err.message), err.details)
        emit(self.startup_failed, err)

    # --- recommendation -------------------------------------------------------------------------------------------
    def _show_recommendation(self, rec: Any) -> None:
        self.recommendation = rec
        self.recommend_panel.show_recommendation(rec)
        has_plan = rec.plan is not None
        self.create_panel.set_plan_ready(has_plan, rec.default_name,
                                         None if has_plan else self.tr("no PyTorch build fits this machine with the current "
                                                                 "choices: see the Recommendation for why and what you "
                                                                 "can do"))
        self.export_action.setEnabled(has_plan)
        self.copy_action.setEnabled(has_plan)

    def set_preferences(self, prefs: Preferences) -> None:
        if self.matrix is None or self.host is None:
            return
        if self.resolve_runner.busy:
            self._pending_prefs = prefs  # only the latest choice matters
            return
        matrix, host = self.matrix, self.host

        def job(ctx: JobContext) -> Recommendation:
            return recommend(matrix, host, prefs)

        self.resolve_runner.start(job)

    @Slot(object)
    def _on_recommend_panel_preferences_changed(self, prefs: Preferences) -> None:
        self.create_panel.set_plan_ready(False, reason=self.tr("working out the plan for the new choices…"))
        self.set_preferences(prefs)

    @Slot(object)
    def _on_recommend_panel_why_requested(self, check: Any) -> None:
        self._show_why(self.recommend_panel, check)

    @Slot(object)
    def _on_other_panel_why_requested(self, check: Any) -> None:
        self._show_why(self.other_panel.recommendation, check)

    def _show_why(self, panel: RecommendationPanel, check: Any) -> None:
        """'Why do you say that?': the Compatibility tab on the row the line comes from, else the line's source."""
        from ..tables import split_source

        rec = panel.recommendation
        torch = rec.plan.torch if rec is not None and rec.plan is not None else None
        if self.compat_panel.show_check(check, torch):
            panel.why_source.hide()  # an earlier line's source no longer applies
            self.tabs.setCurrentWidget(self.compat_panel)
            return
        ids = split_source(check.source)
        if ids and self.matrix is not None:
            text = self.tr("No compatibility table row says this.") + " " + self.compat_panel.source_text(self.matrix, ids)
        else:
            text = self.tr("No compatibility table row or recorded source says this: it is worked out from what was "
                           "detected on the machine and from the other lines.")
        panel.show_why_source(text)

    @Slot(object)
    def _on_resolve_runner_succeeded(self, rec: Any) -> None:
        if self._pending_prefs is None:
            self._show_recommendation(rec)

    @Slot(object)
    def _on_resolve_runner_failed(self, err: JobError) -> None:
        self.recommend_panel.show_error(err.message)

    @Slot()
    def _on_resolve_runner_finished(self) -> None:
        if self._pending_prefs is not None:
            prefs, self._pending_prefs = self._pending_prefs, None
            self.set_preferences(prefs)

    # --- the spec the create panel and the exports use -------------------------------------------------------------
    def expect_gpu(self) -> bool | None:
        """Whether this machine has a GPU torch should use (None before detection finishes)."""
        if self.host is None:
            return None
        return bool(self.host.nvidia_gpus or self.host.amd_gpus)

    def spec_for(self, name: str | None, prefix: str | None, plan: Any = None) -> Any:
        """The EnvSpec for `plan` (default: the current one), the typed extras and the settings' sources."""
        from ..envspec import EnvSpecError

        plan = plan or (self.recommendation.plan if self.recommendation is not None else None)
        if plan is None:
            raise EnvSpecError("there is no plan that fits this machine with the current choices")
        conda_extras, pip_extras = self.recommend_panel.extras()
        return spec_for_plan(plan, name=name, prefix=prefix, extras=pip_extras, conda_extras=conda_extras,
                             mirrors=self.settings.mirror_choice(), channels=self.settings.channels or None)

    def recipe(self, plan: Any = None, name: str | None = None) -> Recipe:
        """What Export and Copy commands write: the plan's spec (default name unless `name`), fit to share."""
        return install_recipe(self.spec_for(name, None, plan))

    def export_text(self, plan: Any = None, name: str | None = None) -> str:
        return self.recipe(plan, name).environment_yml()

    def export_plan_dialog(self, plan: Any, parent: QWidget | None = None, name: str | None = None) -> Path | None:
        """Ask where, then write the environment.yml for `plan`; None if cancelled or it failed (said so)."""
        path, _ = QFileDialog.getSaveFileName(parent or self, self.tr("Export environment.yml"),
                                              str(Path.home() / "environment.yml"),
                                              self.tr("Conda environment (*.yml *.yaml)"))
        if not path:
            return None
        try:
            recipe = self.recipe(plan, name)
            Path(path).write_text(recipe.environment_yml(), encoding="utf-8")
        except (OSError, ValueError) as exc:
            self.show_error(self.tr("Could not export"), self.tr("Writing {path} failed: {error}.").format(path=path, error=exc), "")
            return None
        note = f" ({CREDENTIALS_LEFT_OUT})" if recipe.credentials_left_out else ""
        self.statusBar().showMessage(self.tr("Wrote {path}").format(path=path) + note)
        return Path(path)

    @Slot()
    def _on_export_action_triggered(self) -> None:
        if self.recommendation is not None and self.recommendation.plan is not None:
            self.export_plan_dialog(self.recommendation.plan, self, self.create_panel.name_edit.text().strip() or None)

    @Slot()
    def _on_copy_action_triggered(self) -> None:
        from ..envspec import EnvSpecError

        if self.recommendation is None or self.recommendation.plan is None:
            return
        try:
            recipe = self.recipe(name=self.create_panel.name_edit.text().strip() or None)
        except EnvSpecError as exc:
            self.show_error(self.tr("Cannot copy the commands"), str(exc), "")
            return
        copy_to_clipboard(recipe.shell_text())
        note = f" ({CREDENTIALS_LEFT_OUT})" if recipe.credentials_left_out else ""
        self.statusBar().showMessage(self.tr("Copied the commands to the clipboard") + note)

    @Slot(object)
    def _on_create_panel_env_created(self, _result: Any) -> None:
        self.envs_panel.refresh() if not self.envs_runner.busy else None

    @Slot(bool)
    def _on_create_runner_busy_changed(self, busy: bool) -> None:
        self.statusBar().showMessage(self.tr("Creating the environment…") if busy else "")

    # --- shutdown -------------------------------------------------------------------------------------------------
    def busy_jobs(self) -> list[str]:
        return [r.name for r in (self.create_runner, self.envs_runner, self.update_runner) if r.busy]

    def closeEvent(self, event: QCloseEvent) -> None:
        busy = self.busy_jobs()
        if busy and not self.confirm(self.tr("A job is running"),
                                     self.tr("{jobs} is still running. Cancel it and quit? What it created so far will "
                                             "be removed.").format(jobs=", ".join(busy).capitalize())):
            event.ignore()
            return
        if not self.shutdown():
            # a clean-up still running (removing a big partial env): wait for it; a QThread must not outlive
            # the window, and a half-removed folder is worse than a window that closes a little later
            self.setEnabled(False)
            for r in self.runners:
                r.shutdown(timeout_ms=None)
        self.settings.set("window/geometry", self.saveGeometry())
        super().closeEvent(event)

    def shutdown(self) -> bool:
        """Cancel every job and join every thread (none may outlive the window)."""
        for r in self.runners:
            r.cancel()
        ok = True
        for r in self.runners:
            ok = r.shutdown() and ok
        return ok


def app_instance() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app
