"""UI state in QSettings (engine, envs folder, mirrors, channels, data URL, window geometry) and its dialog.

The core never reads QSettings: the window turns these values into arguments (a MirrorChoice, a prefix, an
engine name) when it calls the core. The one exception is the list of extra allowed install hosts, which the core
must honour when it loads data: the dialog edits it through hosts.py, in a small file the core reads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..dataupdate import DEFAULT_DATA_URL
from ..engine import DEFAULT_ENGINE, engine_names, engines

THEMES = ("system", "light", "dark")
LANGUAGES = ("system", "en", "zh_CN")
SETTINGS_ENV = "TORCHDESK_SETTINGS"  # an INI file to use instead of the platform's store (tests, portable use)


def default_qsettings() -> QSettings:
    """The app's QSettings: the INI file $TORCHDESK_SETTINGS names, else the platform's own store."""
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(str(Path(path).expanduser()), QSettings.Format.IniFormat)
    return QSettings("TorchDesk", "TorchDesk")


class UiSettings:
    """Typed access to the app's QSettings. A read-only one (the self-test's) never writes the user's settings."""

    def __init__(self, qsettings: QSettings | None = None, *, read_only: bool = False) -> None:
        self.q = qsettings or default_qsettings()
        self.read_only = read_only

    def _get(self, key: str, default: str = "") -> str:
        v = self.q.value(key, default)
        return str(v) if v is not None else default

    @property
    def engine(self) -> str:
        e = self._get("create/engine", DEFAULT_ENGINE)
        return e if e in engine_names() else DEFAULT_ENGINE

    @property
    def envs_dir(self) -> Path:
        from ..paths import envs_dir

        v = self._get("create/envs_dir")
        return Path(v).expanduser() if v else envs_dir()

    @property
    def channels(self) -> list[str]:
        return [c.strip() for c in self._get("sources/channels").replace(",", " ").split() if c.strip()]

    @property
    def data_url(self) -> str:
        return self._get("data/url", DEFAULT_DATA_URL) or DEFAULT_DATA_URL

    @property
    def theme(self) -> str:
        """system (follow the OS), light or dark."""
        t = self._get("ui/theme", "system")
        return t if t in THEMES else "system"

    @property
    def language(self) -> str:
        """system (follow the OS locale), en or zh_CN."""
        lang = self._get("ui/language", "system")
        return lang if lang in LANGUAGES else "system"

    def mirror(self, kind: str) -> str | None:
        return self._get(f"mirrors/{kind}") or None

    def mirror_choice(self) -> Any:
        """A MirrorChoice for the core, or None for the origins."""
        from ..mirrors import MirrorChoice

        choice = MirrorChoice(conda=self.mirror("conda"), torch=self.mirror("torch"), pypi=self.mirror("pypi"))
        return None if choice.is_default() else choice

    def set(self, key: str, value: Any) -> None:
        if not self.read_only:
            self.q.setValue(key, value)


class SettingsDialog(QDialog):
    """Mirrors, channels, engine, envs folder, data URL. Validation uses the core's mirror parser."""

    def __init__(self, settings: UiSettings, parent: QWidget | None = None, hosts_file: Path | None = None) -> None:
        super().__init__(parent)
        from ..hosts import read_extra_hosts
        from ..mirrors import presets

        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(620)  # room for a path and a URL
        self.settings = settings
        self.engine = QComboBox()
        for i, info in enumerate(engines()):
            self.engine.addItem(info.name)
            self.engine.setItemData(i, info.description, Qt.ItemDataRole.ToolTipRole)
        self.engine.setCurrentText(settings.engine)
        self.envs_dir = QLineEdit(str(settings.envs_dir))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._on_browse_clicked)
        envs_row = QHBoxLayout()
        envs_row.addWidget(self.envs_dir, 1)
        envs_row.addWidget(browse)
        self.mirrors: dict[str, QComboBox] = {}
        self.theme = QComboBox()
        for value, text in (("system", self.tr("Follow the system")), ("light", self.tr("Light")),
                            ("dark", self.tr("Dark"))):
            self.theme.addItem(text, value)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        self.language = QComboBox()
        for value, text in (("system", self.tr("Follow the system")), ("en", "English"), ("zh_CN", "简体中文")):
            self.language.addItem(text, value)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.language.setToolTip(self.tr("A new language shows after TorchDesk restarts."))
        form = QFormLayout()
        form.addRow(self.tr("&Theme:"), self.theme)
        form.addRow(self.tr("&Language:"), self.language)
        form.addRow(self.tr("Conda &engine:"), self.engine)
        envs_label = QLabel(self.tr("Environments &folder:"))  # a row of widgets: the label needs its buddy set by hand
        envs_label.setBuddy(self.envs_dir)
        form.addRow(envs_label, envs_row)
        for kind, label in (("conda", self.tr("conda-forge mirror:")), ("torch", self.tr("PyTorch wheel mirror:")),
                            ("pypi", self.tr("PyPI mirror:"))):
            combo = QComboBox()
            combo.setEditable(True)
            combo.addItem(self.tr("(the origin)"), "")
            for m in presets(kind):
                combo.addItem(f"{m.id}: {m.label}", m.id)
            current = settings.mirror(kind) or ""
            idx = combo.findData(current)
            if idx >= 0:
                combo.setCurrentIndex(idx)
            else:
                combo.setEditText(current)
            combo.setToolTip(self.tr("a preset, or your own https:// or file:// URL"))
            self.mirrors[kind] = combo
            form.addRow(label, combo)
        self.channels = QLineEdit(" ".join(settings.channels))
        self.channels.setPlaceholderText(self.tr("conda-forge (default); space-separated names or URLs"))
        form.addRow(self.tr("Conda &channels:"), self.channels)
        self.data_url = QLineEdit(settings.data_url)
        form.addRow(self.tr("&Data update URL:"), self.data_url)
        self.hosts_file = hosts_file
        self.saved_hosts = read_extra_hosts(hosts_file)
        self.hosts = QLineEdit(" ".join(sorted(self.saved_hosts)))
        self.hosts.setPlaceholderText(self.tr("none; space-separated host names, such as mirror.example.com"))
        self.hosts.setToolTip(self.tr("Compatibility data may install only from download.pytorch.org, PyPI, the "
                                       "anaconda channels and the mirror presets. Add a host here only if you trust it."))
        form.addRow(self.tr("Extra allowed &hosts:"), self.hosts)
        self.error = QLabel()
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)

    def _mirror_value(self, kind: str) -> str:
        combo = self.mirrors[kind]
        data = combo.currentData()
        text = combo.currentText().strip()
        if data is not None and combo.itemText(combo.currentIndex()) == text:
            return str(data)
        return text

    @Slot()
    def _on_browse_clicked(self) -> None:
        d = QFileDialog.getExistingDirectory(self, self.tr("Environments folder"), self.envs_dir.text())
        if d:
            self.envs_dir.setText(d)

    @Slot()
    def _on_buttons_accepted(self) -> None:
        from ..mirrors import MirrorError, find_mirror

        values = {k: self._mirror_value(k) for k in self.mirrors}
        for kind, value in values.items():
            if value:
                try:
                    find_mirror(kind, value)
                except MirrorError as exc:
                    self.error.setText(f"\u2717 {exc}")
                    return
        envs = self.envs_dir.text().strip()
        if envs and not Path(envs).expanduser().is_absolute():
            self.error.setText("\u2717 " + self.tr("the environments folder must be a full path, such as {example}").format(
                example=Path.home() / "envs"))
            return
        url = self.data_url.text().strip()
        if url and not url.startswith("https://"):
            self.error.setText("\u2717 " + self.tr("the data update URL must start with https:// (data is downloaded over https only)"))
            return
        from ..hosts import HostError, normalize_host, save_extra_hosts

        try:
            hosts = frozenset(normalize_host(h) for h in self.hosts.text().replace(",", " ").split())
        except HostError as exc:
            self.error.setText("\u2717 " + self.tr("extra allowed hosts: {error}").format(error=exc))
            return
        if hosts != self.saved_hosts:
            try:
                save_extra_hosts(hosts, self.hosts_file)
            except OSError as exc:
                self.error.setText("\u2717 " + self.tr("could not save the allowed hosts ({error}); check that your settings "
                                                     "folder is writable").format(error=exc.strerror or exc))
                return
        s = self.settings
        s.set("create/engine", self.engine.currentText())
        s.set("create/envs_dir", self.envs_dir.text().strip())
        for kind, value in values.items():
            s.set(f"mirrors/{kind}", value)
        s.set("sources/channels", self.channels.text().strip())
        s.set("data/url", url)
        s.set("ui/theme", self.theme.currentData())
        s.set("ui/language", self.language.currentData())
        self.accept()
