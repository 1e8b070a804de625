"""The app's language: English in the code, Simplified Chinese from desktop/resources/i18n/torchdesk_zh_CN.qm.

The .qm is built from the .ts with PySide6's own lrelease (tools/build_translations.py) and ships in the package.
The language follows the OS locale unless Settings picks one; a change shows after a restart (the widgets set their
texts when they are built).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

I18N_DIR = Path(__file__).resolve().parent.parent / "resources" / "i18n"
TRANSLATED = ("zh_CN",)  # languages with a catalogue; English is the source language


def resolve_language(choice: str, locale: QLocale | None = None) -> str:
    """'en' or 'zh_CN' for a Settings choice; 'system' reads the OS locale (any Simplified Chinese one is zh_CN)."""
    if choice in ("en", *TRANSLATED):
        return choice
    loc = locale or QLocale.system()
    if loc.language() == QLocale.Language.Chinese and loc.script() != QLocale.Script.TraditionalChineseScript and \
            loc.territory() not in (QLocale.Country.Taiwan, QLocale.Country.HongKong, QLocale.Country.Macao):
        return "zh_CN"
    return "en"


def catalogue(language: str) -> Path:
    return I18N_DIR / f"torchdesk_{language}.qm"


def install_translator(app: QCoreApplication, choice: str = "system", locale: QLocale | None = None) -> str:
    """Load the catalogue for `choice` into `app` (and Qt's own, for standard buttons); returns the language used."""
    language = resolve_language(choice, locale)
    for old in app.findChildren(QTranslator, "torchdesk"):
        QCoreApplication.removeTranslator(old)
        old.deleteLater()
    if language == "en":
        return "en"
    ours = QTranslator(app)
    ours.setObjectName("torchdesk")
    if not ours.load(str(catalogue(language))):
        return "en"  # a missing catalogue must never stop the app: it stays English
    QCoreApplication.installTranslator(ours)
    qt = QTranslator(app)
    qt.setObjectName("torchdesk")
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        QCoreApplication.installTranslator(qt)  # OK / Cancel / Yes in Qt's own dialogs
    return language
