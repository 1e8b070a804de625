"""The window's side of trusted data: Settings' allowed-hosts field and Tools > Check for data updates end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QSettings  # noqa: E402
from test_hostile_data import (  # noqa: E402
    NEWER,
    Site,
    _serve,
    bundled_data,
    make_keys,
    make_tls,
    to_bytes,
    with_index_host,
)
from test_ui import WAIT_MS, make_window, ui_env  # noqa: E402,F401  (ui_env is a fixture)

from desktop.ui.settings import SettingsDialog, UiSettings  # noqa: E402


def test_settings_edits_the_allowed_hosts_the_core_reads(qtbot: Any, tmp_path: Path) -> None:
    from desktop.hosts import read_extra_hosts, untrusted_install_urls

    hosts_file = tmp_path / "config" / "allowed-hosts.txt"
    settings = UiSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    dlg = SettingsDialog(settings, hosts_file=hosts_file)
    qtbot.addWidget(dlg)
    assert dlg.hosts.text() == ""
    dlg.hosts.setText("wheels.corp.example, not a host!")
    dlg._on_buttons_accepted()
    assert "not a host name" in dlg.error.text() and not dlg.result() and not hosts_file.exists()
    dlg.data_url.setText("http://data.example/matrix.json")
    dlg.hosts.setText("Wheels.Corp.Example https://pkgs.corp.example/simple/")
    dlg._on_buttons_accepted()
    assert "https://" in dlg.error.text() and not dlg.result() and not hosts_file.exists()
    dlg.data_url.setText("https://data.example/matrix.json")
    dlg._on_buttons_accepted()
    assert dlg.result()
    assert read_extra_hosts(hosts_file) == frozenset({"wheels.corp.example", "pkgs.corp.example"})
    data = with_index_host(bundled_data(), "https://wheels.corp.example/whl/")
    assert untrusted_install_urls(data, frozenset()) and not untrusted_install_urls(data, read_extra_hosts(hosts_file))
    again = SettingsDialog(settings, hosts_file=hosts_file)
    qtbot.addWidget(again)
    assert again.hosts.text() == "pkgs.corp.example wheels.corp.example"


@pytest.fixture
def https_site(tmp_path: Path) -> Iterator[tuple[Site, str]]:
    ctx, ca = make_tls(tmp_path / "tls")
    for site in _serve(ctx):
        yield site, ca


def test_check_for_updates_installs_signed_newer_data_and_refuses_a_foreign_host(
        qtbot: Any, tmp_path: Path, ui_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        https_site: tuple[Site, str]) -> None:
    from desktop.matrixload import load_app_matrix, user_matrix_path

    site, ca = https_site
    keys = make_keys(tmp_path)
    monkeypatch.setenv("TORCHDESK_DATA_PUBLIC_KEY", str(keys.public_pem))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca)  # requests' own way to trust a CA; verification stays on
    site.signed("/evil.json", to_bytes(with_index_host(bundled_data(data_version=NEWER), "https://evil.example/")), keys)
    site.signed("/matrix.json", to_bytes(bundled_data(data_version=NEWER)), keys)
    w = make_window(qtbot, tmp_path, ui_env, {"data/url": f"{site.base}/evil.json"})
    with qtbot.waitSignal(w.update_runner.failed, timeout=WAIT_MS):
        w.check_for_updates()
    assert "evil.example" in w.dialogs.errors[-1][1] and not user_matrix_path().exists()
    w.settings.set("data/url", f"{site.base}/matrix.json")
    with qtbot.waitSignal(w.update_runner.succeeded, timeout=WAIT_MS):
        w.check_for_updates()
    assert json.loads(user_matrix_path().read_text())["data_version"] == NEWER
    assert load_app_matrix().matrix.data_version == NEWER
