"""简体中文: every string of the app has a translation, placeholders survive it, and the real window speaks it."""

from __future__ import annotations

import ast
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QLocale  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from test_ui import WAIT_MS, make_window, no_thread_leak, ui_env  # noqa: E402,F401
from desktop.ui.i18n import I18N_DIR, TRANSLATED, catalogue, install_translator, resolve_language  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_translations  # noqa: E402

TS = I18N_DIR / "torchdesk_zh_CN.ts"


def _messages() -> list[tuple[str, str, str]]:
    """(context, source, translation) of every message of the zh_CN catalogue."""
    out = []
    for ctx in ET.parse(TS).getroot().iter("context"):
        for m in ctx.iter("message"):
            t = m.find("translation")
            assert t is not None
            forms = [f.text or "" for f in t.iter("numerusform")]
            text = "".join(forms) if forms else (t.text or "")
            out.append((ctx.findtext("name") or "", m.findtext("source") or "", text))
    return out


@pytest.fixture(autouse=True)
def english_after(qapp: Any) -> Any:
    yield
    install_translator(qapp, "en")  # the other test modules assert English texts


def test_every_string_of_the_code_has_a_translation_and_the_qm_is_built_from_it() -> None:
    """lupdate over desktop/ui now must find nothing the shipped .ts lacks, nothing untranslated, the same .qm."""
    assert build_translations.check() == []


def test_placeholders_and_mnemonics_survive_translation() -> None:
    msgs = _messages()
    assert len(msgs) > 200
    for ctx, src, zh in msgs:
        assert zh.strip(), (ctx, src)
        for pattern in (r"\{\w*\}", r"%n", r"%\d"):
            assert sorted(re.findall(pattern, src)) == sorted(re.findall(pattern, zh)), (ctx, src, zh)
        mnemonic = re.findall(r"&(\w)", src)
        assert [m.lower() for m in re.findall(r"&(\w)", zh)] == [m.lower() for m in mnemonic], f"Alt+key must stay the same: {src!r} -> {zh!r}"
        for term in ("CUDA", "PyTorch", "conda", "wheel", "pip", "GPU"):  # technical terms stay English
            if re.search(rf"\b{term}\b", src.replace("&", "")):
                assert term in zh.replace("&", ""), (term, src, zh)
        assert not re.search(r"[\u4e00-\u9fff]", src)  # the sources are English


# Texts the scanner may see as literals that are not words for a translator: names, a shell command, markup.
NOT_WORDS = {"TorchDesk", "Python", "torch", "conda activate ", "</b><ul style='margin-left:-20px'>"}
TEXT_CALLS = {"setText", "setToolTip", "setPlaceholderText", "addTab", "setWindowTitle", "showMessage", "show_result",
              "heading", "note", "empty_state", "QLabel", "QPushButton", "QAction", "addMenu", "addRow", "QCheckBox",
              "setTabText", "setHorizontalHeaderLabels", "inform", "show_error", "confirm", "Card", "show_busy",
              "getExistingDirectory", "getSaveFileName", "getOpenFileName", "append_line", "set_plan_ready"}


def _untranslated(node: ast.AST) -> list[ast.AST]:
    """Literal words in an argument that are not inside a tr()/translate() call."""
    if isinstance(node, ast.Call):
        return []  # self.tr(...), translate(...), .format(...) of a tr(...), str(...): the call decides
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        words = re.findall(r"[A-Za-z]{2,}", node.value)
        return [node] if words and node.value not in NOT_WORDS and (" " in node.value.strip() or node.value[0].isupper()) else []
    if isinstance(node, ast.JoinedStr):
        return [n for v in node.values if isinstance(v, ast.Constant) for n in _untranslated(v)]
    children: list[ast.AST] = []
    if isinstance(node, ast.BinOp):
        children = [node.left, node.right]
    elif isinstance(node, ast.IfExp):
        children = [node.body, node.orelse]
    elif isinstance(node, (ast.List, ast.Tuple)):
        children = list(node.elts)
    return [n for c in children for n in _untranslated(c)]


def test_no_literal_words_reach_the_screen_untranslated() -> None:
    found = []
    for path in sorted((ROOT / "desktop" / "ui").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in TEXT_CALLS:
                    for arg in [*node.args, *(k.value for k in node.keywords)]:
                        found += [f"{path.name}:{n.lineno}: {ast.unparse(n)}" for n in _untranslated(arg)]
    assert not found, "wrap these in self.tr() / QCoreApplication.translate():\n" + "\n".join(found)


@pytest.mark.parametrize(("name", "expected"), [("zh_CN", "zh_CN"), ("zh_SG", "zh_CN"), ("zh_TW", "en"),
                                                ("zh_HK", "en"), ("en_US", "en"), ("de_DE", "en")])
def test_language_follows_the_os_locale(name: str, expected: str) -> None:
    assert resolve_language("system", QLocale(name)) == expected
    assert resolve_language("en", QLocale(name)) == "en" and resolve_language("zh_CN", QLocale(name)) == "zh_CN"


def test_catalogues_ship_for_every_translated_language() -> None:
    assert all(catalogue(lang).is_file() and catalogue(lang).stat().st_size > 1000 for lang in TRANSLATED)


def test_the_real_window_speaks_chinese(qtbot: Any, tmp_path: Path, ui_env: dict[str, str]) -> None:
    app = QApplication.instance()
    assert install_translator(app, "zh_CN") == "zh_CN"
    w = make_window(qtbot, tmp_path, ui_env, {"ui/language": "zh_CN"})
    w.show()
    menus = [a.text() for a in w.menuBar().actions()]
    assert menus == ["文件(&F)", "工具(&T)", "帮助(&H)"]
    assert [w.tabs.tabText(i) for i in range(w.tabs.count())][:2] == ["本机(&S)", "环境(&E)"]
    with qtbot.waitSignal(w.detect_runner.succeeded, timeout=WAIT_MS):
        assert w.start()
    mp, rp, cp = w.machine_panel, w.recommend_panel, w.create_panel
    assert mp.status.text() == "找到 1 块 GPU"
    assert rp.variant_combo.itemText(0) == "最适合此 GPU"  # a Qt-free helper's label, through tr_core
    assert rp.summary.text().startswith("安装 torch ")
    assert cp.create_button.text() == "创建环境(&A)"
    assert any("CUDA 冒烟测试" in cp.stages.item(i).text() for i in range(cp.stages.count()))
    assert cp.log_box.toggle.text().endswith("显示日志")
    assert "将创建于" in cp.name_status.text()
    w.shutdown()
    # and back: English is the source language, no catalogue needed
    assert install_translator(app, "en") == "en"
    assert QApplication.translate("MainWindow", "&File") == "&File"


def test_a_missing_catalogue_leaves_the_app_in_english(qapp: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from desktop.ui import i18n

    monkeypatch.setattr(i18n, "I18N_DIR", tmp_path)
    assert install_translator(qapp, "zh_CN") == "en"
    assert QApplication.translate("MainWindow", "&File") == "&File"


def test_fallback_button_says_what_choices_says_in_either_language(qtbot: Any, tmp_path: Path,
                                                                   ui_env: dict[str, str]) -> None:
    """The panel words the fallback itself (to translate it): in English it must read exactly as the helper's."""
    from test_ui_review import started_window

    from desktop.usecases.planning import fallback_choice

    w = started_window(qtbot, tmp_path, ui_env, TORCHDESK_OVERRIDE_GPUS="GeForce RTX 5090:12.0",
                       TORCHDESK_OVERRIDE_DRIVER="470.57.02")
    panel = w.recommend_panel
    label, prefs = fallback_choice(w.recommendation)
    assert panel.fallback_button.text() == label
    assert install_translator(QApplication.instance(), "zh_CN") == "zh_CN"
    zh = panel._fallback_text(prefs)
    assert zh.startswith(f"改用 torch {prefs.torch}") and "CPU" in zh
    w.shutdown()


def test_no_tr_inside_f_strings() -> None:
    """lupdate does not look inside f-strings: a tr() there is never extracted, so it is never translated."""
    found = []
    for path in sorted((ROOT / "desktop" / "ui").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and getattr(inner.func, "attr", getattr(inner.func, "id", "")) in (
                            "tr", "translate"):
                        found.append(f"{path.name}:{inner.lineno}")
    assert not found, found
