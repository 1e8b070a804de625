"""One-click create: name, location, engine, the stages with ticks, progress, live log, Cancel, the verified result."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .create_progress import (
    STAGE_KEYS,
    STAGES,
    VERIFY_LABEL_CPU,
    VERIFY_LABEL_GPU,
    JobProgressBar,
    describe_result,
    failure_details,
    verify_details,
)
from .qtcompat import emit
from .widgets import Banner, CollapsibleLog, LogView, StageList, breakable, copy_to_clipboard, heading
from .worker import JobContext, JobError, JobRunner

ENGINES = ("embedded", "conda", "mamba", "micromamba")

# spec_source(name, prefix) -> EnvSpec for the current plan, extras and settings (raises EnvSpecError).
SpecSource = Callable[[str | None, str | None], Any]


class CreatePanel(QWidget):
    """Starts `desktop.jobs.create_env` on its JobRunner and renders stages, log and the verification result."""

    env_created = Signal(object)  # the job's result

    def __init__(self, runner: JobRunner, spec_source: SpecSource, *, envs_dir: Callable[[], Path],
                 host: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.spec_source = spec_source
        self._envs_dir = envs_dir
        self._host = host
        self._has_plan = False
        self._no_plan_reason = self.tr("waiting for a plan that fits this machine")
        self._name_ok = False
        self.result: Any = None

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("environment name, e.g. torch-2.15.0-cu132"))
        self.name_status = QLabel()
        self.name_status.setWordWrap(True)
        self.location_edit = QLineEdit(str(envs_dir()))
        self.browse_button = QPushButton(self.tr("Browse…"))
        self.engine_combo = QComboBox()
        self.engine_combo.addItems(ENGINES)
        loc = QHBoxLayout()
        loc.addWidget(self.location_edit, 1)
        loc.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow(self.tr("Environment &name:"), self.name_edit)
        form.addRow("", self.name_status)
        loc_label = QLabel(self.tr("&Location:"))
        loc_label.setBuddy(self.location_edit)
        form.addRow(loc_label, loc)
        form.addRow(self.tr("En&gine:"), self.engine_combo)
        self.jupyter_check = QCheckBox(self.tr("Register a &Jupyter kernel for it (installs ipykernel)"))
        self.toolchain_check = QCheckBox(self.tr("Add the matching CUDA tool&kit (nvcc; sets CUDA_HOME, TORCH_CUDA_ARCH_LIST)"))
        form.addRow(self.tr("Extras:"), self.jupyter_check)
        form.addRow("", self.toolchain_check)

        self.create_button = QPushButton(self.tr("Cre&ate environment"))
        self.create_button.setDefault(True)
        self.create_button.setProperty("primary", True)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)

        self.stages = StageList(tuple((k, self.tr(str(label))) for k, label in STAGES))
        self.progress = JobProgressBar(STAGE_KEYS)
        self.stage_message = QLabel()
        self.log = LogView()
        self.log_box = CollapsibleLog(self.log)  # collapsed by default: the stepper and the banner say what matters
        self.banner = Banner()
        self.activate_edit = QLineEdit()
        self.activate_edit.setReadOnly(True)
        self.copy_button = QPushButton(self.tr("Copy"))
        self.log_file_label = QLabel()
        self.open_log_button = QPushButton(self.tr("Open log"))
        act = QHBoxLayout()
        act.addWidget(QLabel(self.tr("Activate:")))
        act.addWidget(self.activate_edit, 1)
        act.addWidget(self.copy_button)
        act.addWidget(self.open_log_button)
        self.after = QWidget()
        after_lay = QVBoxLayout(self.after)
        after_lay.setContentsMargins(0, 0, 0, 0)
        after_lay.addLayout(act)
        after_lay.addWidget(self.log_file_label)
        self.after.hide()

        lay = QVBoxLayout(self)
        lay.addWidget(heading(self.tr("Create the environment"), "title"))
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.stages)
        lay.addWidget(self.progress)
        lay.addWidget(self.stage_message)
        lay.addWidget(self.banner)
        lay.addWidget(self.after)
        lay.addWidget(self.log_box, 1)

        self.name_edit.textChanged.connect(self._on_name_edit_text_changed)
        self.location_edit.textChanged.connect(self._on_name_edit_text_changed)
        # Enter creates: a default button only reacts to Enter inside a QDialog, not in a main window.
        self.name_edit.returnPressed.connect(self._on_name_edit_return_pressed)
        self.location_edit.returnPressed.connect(self._on_name_edit_return_pressed)
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        self.create_button.clicked.connect(self._on_create_button_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.open_log_button.clicked.connect(self._on_open_log_button_clicked)
        runner.log_lines.connect(self.log.append_lines)
        runner.progress.connect(self._on_runner_progress)
        runner.succeeded.connect(self._on_runner_succeeded)
        runner.failed.connect(self._on_runner_failed)
        runner.cancelled.connect(self._on_runner_cancelled)
        runner.busy_changed.connect(self._on_runner_busy_changed)
        self._update_buttons()

    # --- inputs ---------------------------------------------------------------------------------------------------
    def set_plan_ready(self, ready: bool, default_name: str | None = None, reason: str | None = None) -> None:
        """Whether there is a plan to create; `reason` says why not (the Create button's tooltip)."""
        self._has_plan = ready
        self._no_plan_reason = reason or self.tr("waiting for a plan that fits this machine")
        self._use_machine_words()
        if default_name and not self.name_edit.isModified():
            self.name_edit.setText(default_name)
        self._update_buttons()

    def set_engine(self, name: str) -> None:
        if name in ENGINES:
            self.engine_combo.setCurrentText(name)

    def target(self) -> tuple[str | None, str | None]:
        """(name, prefix) for the spec: a name in TorchDesk's envs folder, else a full prefix."""
        name = self.name_edit.text().strip()
        location = Path(self.location_edit.text().strip() or str(self._envs_dir())).expanduser()
        if location.resolve() == self._envs_dir().expanduser().resolve():
            return name, None
        return None, str(location / name)

    def target_prefix(self) -> Path:
        name = self.name_edit.text().strip()
        return Path(self.location_edit.text().strip() or str(self._envs_dir())).expanduser() / name

    @Slot(str)
    def _on_name_edit_text_changed(self, _text: str) -> None:
        from ..envspec import EnvSpecError, validate_env_name

        name = self.name_edit.text().strip()
        location = Path(self.location_edit.text().strip() or str(self._envs_dir())).expanduser()
        try:
            validate_env_name(name)
        except EnvSpecError as exc:
            self._name_ok = False
            self.name_status.setText("\u2717 " + (str(exc) if name else self.tr("type a name for the new environment")))
        else:
            prefix = self.target_prefix()
            if not location.is_absolute():
                # A relative path would land wherever the app happened to be started from.
                self._name_ok = False
                self.name_status.setText(breakable("\u2717 " + self.tr("the location must be a full path, such as {example}").format(
                    example=self._envs_dir())))
            elif location.exists() and not location.is_dir():
                self._name_ok = False
                self.name_status.setText(breakable("\u2717 " + self.tr("{path} is a file, not a folder: pick a folder").format(path=location)))
            elif prefix.exists():
                self._name_ok = False
                self.name_status.setText(breakable("\u2717 " + self.tr("{path} already exists: pick another name, or remove it in Environments").format(
                    path=prefix)))
            else:
                self._name_ok = True
                self.name_status.setText(breakable("\u2713 " + self.tr("will be created at {path}").format(path=prefix)))
        self._update_buttons()

    @Slot()
    def _on_name_edit_return_pressed(self) -> None:
        if self.create_button.isEnabled():
            self.create_button.click()

    @Slot()
    def _on_browse_button_clicked(self) -> None:
        d = QFileDialog.getExistingDirectory(self, self.tr("Where to create environments"), self.location_edit.text())
        if d:
            self.location_edit.setText(d)

    def _update_buttons(self) -> None:
        busy = self.runner.busy
        self.create_button.setEnabled(self._has_plan and self._name_ok and not busy)
        if not self._has_plan:
            self.create_button.setToolTip(self._no_plan_reason)
        elif not self._name_ok:
            self.create_button.setToolTip(self.name_status.text())
        else:
            self.create_button.setToolTip("")
        self.cancel_button.setEnabled(busy)
        for w in (self.name_edit, self.location_edit, self.browse_button, self.engine_combo):
            w.setEnabled(not busy)

    # --- the job --------------------------------------------------------------------------------------------------
    @Slot()
    def _on_create_button_clicked(self) -> None:
        from ..envspec import EnvSpecError

        name, prefix = self.target()
        try:
            spec = self.spec_source(name, prefix)
            from ..daytwo import with_day_two_options  # a build without a matching toolchain: ValueError, said why

            spec, _ = with_day_two_options(spec, jupyter=self.jupyter_check.isChecked(),
                                           toolchain=self.toolchain_check.isChecked(), host=self._host())
        except (EnvSpecError, ValueError) as exc:
            self.banner.show_result("fail", self.tr("The environment cannot be created as set up"), str(exc))
            return
        self.start(spec, self.engine_combo.currentText())

    def start(self, spec: Any, engine_name: str) -> bool:
        self.stages.reset_stages()
        self.progress.restart()
        self.log.clear_log()
        self.banner.hide()
        self.after.hide()
        self.result = None
        self.log.append_line(self.tr("Creating {label} with the {engine} engine").format(label=spec.label, engine=engine_name))

        envs_root = self._envs_dir()
        host = self._host()

        def job(ctx: JobContext) -> Any:
            from ..engine import get_engine
            from ..jobs import create_env

            engine = get_engine(engine_name, host=host) if engine_name == "embedded" else get_engine(engine_name)
            return create_env(spec, engine=engine, on_line=ctx.on_line, on_progress=ctx.on_progress,
                              cancel=ctx.cancel, host=host, envs_root=envs_root)

        return self.runner.start(job)

    @Slot()
    def _on_cancel_button_clicked(self) -> None:
        self.stage_message.setText(self.tr("Cancelling: stopping the running step and removing what was created…"))
        self.cancel_button.setEnabled(False)
        self.runner.cancel()

    @Slot(object)
    def _on_runner_progress(self, p: Any) -> None:
        stage = getattr(p, "stage", None)
        if stage in STAGE_KEYS:
            self.stages.advance_to(stage)
        self.progress.show_progress(p)
        msg = getattr(p, "message", "")
        if msg:
            self.stage_message.setText(msg)

    @Slot(object)
    def _on_runner_succeeded(self, result: Any) -> None:
        self.result = result
        ok = getattr(result, "status", "ok") == "ok"
        self.stages.finish(ok)
        if ok:
            self.progress.setValue(1000)
        verify = getattr(result, "verify", None)
        prefix = getattr(result, "prefix", None) or str(self.target_prefix())
        kept = bool(getattr(result, "kept", ok))
        title, body, kind = describe_result(result, verify, prefix)
        details = verify_details(verify) if verify is not None or kept else failure_details(result)
        self.banner.show_result(kind, title, body, details)
        if not ok:
            self.progress.set_failed(self.tr("failed during {stage}").format(stage=getattr(result, "stage", "") or self.tr("the job")))
        self.activate_edit.setText(f"conda activate {prefix}" if kept else "")
        self.activate_edit.setVisible(kept)
        self.copy_button.setVisible(kept)
        self._log_file = getattr(result, "log_path", None)
        self.log_file_label.setText(breakable(self.tr("Log file: {path}").format(path=self._log_file)) if self._log_file
                                     else self.tr("Log file: (none written)"))
        self.log_file_label.setWordWrap(True)
        self.open_log_button.setEnabled(bool(self._log_file))
        self.after.show()
        self.stage_message.setText("")
        if kept:
            emit(self.env_created, result)

    @Slot(object)
    def _on_runner_failed(self, err: JobError) -> None:
        from ..neterrors import MIRROR_HINT_APP, explain_job_failure

        self.stages.finish(False)
        stage = getattr(err.exception, "stage", None)
        where = " " + self.tr("during {stage}").format(stage=stage) if stage else ""
        plain = explain_job_failure(err.message, self.log.text().splitlines()[-200:], mirror_hint=MIRROR_HINT_APP)
        self.banner.show_result("fail", self.tr("Creating the environment failed{where}").format(where=where),
                                (plain or err.message) + "\n"
                                + self.tr("Nothing half-made was left behind if the job created it."), err.details)
        self.progress.set_failed(self.tr("failed{where}").format(where=where))
        self.stage_message.setText("")

    def _use_machine_words(self) -> None:
        """No GPU here: the verify stage checks torch on the CPU; no 'CUDA smoke test' promised."""
        try:
            host = self._host()
        except Exception:  # noqa: BLE001 - detection not finished: keep the words as they are
            return
        if host is None:
            return
        has_gpu = bool(getattr(host, "gpus", ()))
        self.stages.set_label("verify", self.tr(str(VERIFY_LABEL_GPU if has_gpu else VERIFY_LABEL_CPU)))

    @Slot()
    def _on_runner_cancelled(self) -> None:
        self.stages.finish(False)
        self.banner.show_result("info", self.tr("Cancelled"), self.tr("The job was stopped and what it had created was removed."))
        self.stage_message.setText("")

    @Slot(bool)
    def _on_runner_busy_changed(self, _busy: bool) -> None:
        self._update_buttons()
        if not _busy:
            self._on_name_edit_text_changed(self.name_edit.text())

    @Slot()
    def _on_copy_button_clicked(self) -> None:
        copy_to_clipboard(self.activate_edit.text())

    @Slot()
    def _on_open_log_button_clicked(self) -> None:
        if getattr(self, "_log_file", None):
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_file)))


def open_folder(path: Path) -> None:
    os.makedirs(path, exist_ok=True)
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
