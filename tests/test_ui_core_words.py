"""The core's sentences in the app's language (issue #14): the why-chain, the plan summary, the warnings and the
driver advice the Recommendation panel shows are translated by template (desktop/ui/core_words.py), with the
core's values (versions, GPU names, builds) put back as they were; a sentence no template knows stays English.
Real resolves on the real matrix for the H100 capture host and described machines; offscreen, zh_CN installed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")

from desktop.machines import describe_machine  # noqa: E402
from desktop.matrixload import load_matrix  # noqa: E402
from desktop.model import Host, Preferences  # noqa: E402
from desktop.detect import detect_host  # noqa: E402
from desktop.ui.core_words import FIXED, LIST, NESTED, TEMPLATES, templates_of, tr_core  # noqa: E402
from desktop.ui.i18n import install_translator  # noqa: E402
from desktop.ui.recommend_panel import RecommendationPanel  # noqa: E402
from desktop.usecases.planning import Recommendation, no_match_text, recommend  # noqa: E402

CAPTURE = Path(__file__).resolve().parent / "captures" / "h100-driver-580" / "nvml.json"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _hosts() -> dict[str, Host]:
    """The machines whose Recommendation tab must read in Chinese."""
    m = load_matrix()
    nvml = json.loads(CAPTURE.read_text(encoding="utf-8"))
    dev = nvml["devices"][0]
    h100_name, h100_cc = dev["nvmlDeviceGetName"]["ok"], ".".join(map(str, dev["nvmlDeviceGetCudaComputeCapability"]["ok"]))
    h100_driver = nvml["system"]["nvmlSystemGetDriverVersion"]["ok"]
    # detection as the app runs it on that host, fed the capture's NVML answers through the overrides
    h100 = detect_host(matrix=m, env={"TORCHDESK_OVERRIDE_GPUS": f"{h100_name}:{h100_cc}",
                                      "TORCHDESK_OVERRIDE_DRIVER": h100_driver, "TORCHDESK_OVERRIDE_OS": "linux"})

    def nvidia(gpu: str, driver: str) -> Host:
        return describe_machine(m, gpus=[gpu], driver=driver, os_name="linux", machine="x86_64")

    return {
        "h100 capture": h100,
        "rtx 5090, driver 550": nvidia("RTX 5090", "550"),
        "rtx 5090, driver 580": nvidia("RTX 5090", "580"),
        "h100, driver 550": nvidia(h100_name, "550"),  # the other form of the driver advice: a plan, a better one
        "cpu only": describe_machine(m, no_gpu=True, os_name="linux", machine="x86_64"),
        "radeon rx 7900 xtx": describe_machine(m, gpus=["Radeon RX 7900 XTX"], os_name="linux", machine="x86_64"),
        # the other forms the tab shows, on machines described in "Plan for another machine"
        "rtx 5090, driver 595.45.04": nvidia("RTX 5090", "595.45.04"),  # CUDA 13.2's own minimum, not the compat floor
        "rtx 4090, driver not given": describe_machine(m, gpus=["RTX 4090"], os_name="linux", machine="x86_64"),
        "rtx 4090, windows": describe_machine(m, gpus=["RTX 4090"], driver="581.57", os_name="windows", machine="x86_64"),
        "a100, driver branch 525": nvidia("A100", "525"),  # a branch number: the line says what it assumed
        "rtx 5090, driver branch 575": nvidia("RTX 5090", "575"),
        "a100, driver 525, windows": describe_machine(m, gpus=["A100"], driver="525", os_name="windows", machine="x86_64"),
        "radeon rx 6800, windows": describe_machine(m, gpus=["Radeon RX 6800"], os_name="windows", machine="x86_64"),
        "mac, apple silicon": describe_machine(m, no_gpu=True, os_name="macos", machine="arm64"),
        "tesla k80 + rtx 5090": detect_host(matrix=m, env={"TORCHDESK_OVERRIDE_GPUS": "Tesla K80:3.7;GeForce RTX 5090:12.0",
                                                           "TORCHDESK_OVERRIDE_DRIVER": "580.159.04",
                                                           "TORCHDESK_OVERRIDE_OS": "linux"}),
        # a GPU name with brackets of its own (the data's "Jetson Orin (nvgpu)"), alone and next to another GPU
        "jetson orin, aarch64, driver 450.80.02": describe_machine(m, gpus=["Jetson Orin (nvgpu)"], driver="450.80.02",
                                                                   os_name="linux", machine="aarch64"),
        "jetson orin + rtx 5090, driver 450.80.02": describe_machine(m, gpus=["Jetson Orin (nvgpu)", "RTX 5090"],
                                                                     driver="450.80.02", os_name="linux", machine="x86_64"),
        "jetson orin + rtx 5090, driver 560.35.03": describe_machine(m, gpus=["Jetson Orin (nvgpu)", "RTX 5090"],
                                                                     driver="560.35.03", os_name="linux", machine="x86_64"),
        "rtx 5090, driver 550.54.14": nvidia("RTX 5090", "550.54.14"),
        # mixed GPUs: one that no CUDA build covers at all, and one only a newer driver would run
        "gtx 860m + rtx 5090, driver 580": describe_machine(m, gpus=["GeForce GTX 860M", "RTX 5090"], driver="580",
                                                            os_name="linux", machine="x86_64"),
        "rtx 5090 + gtx 1080, driver 560.35.03": describe_machine(m, gpus=["RTX 5090", "GTX 1080"], driver="560.35.03",
                                                                  os_name="linux", machine="x86_64"),
        "rtx 5090 + gtx 1080, driver 570.26": describe_machine(m, gpus=["RTX 5090", "GTX 1080"], driver="570.26",
                                                               os_name="linux", machine="x86_64"),
        "rtx 5090, windows, driver 580": describe_machine(m, gpus=["RTX 5090"], driver="580", os_name="windows",
                                                        machine="x86_64"),
        "h100, aarch64, driver 450.80.02": describe_machine(m, gpus=["H100"], driver="450.80.02", os_name="linux",
                                                            machine="aarch64"),
    }


# What the tab shows once the user picks in a selector: (host, the pins).
PINS = (("h100 capture", Preferences(python="3.12")), ("h100 capture", Preferences(python="3.9")),
        ("h100 capture", Preferences(torch="2.0.1")), ("h100 capture", Preferences(variant="cpu")),
        # the driver advice with one clause only (no newer driver gets a newer plan for Python 3.9)
        ("rtx 5090, driver 550.54.14", Preferences(python="3.9")), ("h100, aarch64, driver 450.80.02", Preferences(python="3.9")),
        ("rtx 5090, windows, driver 580", Preferences(torch="2.6")))  # a cu118 build through PTX JIT


@pytest.fixture(scope="module")
def recs() -> dict[str, Recommendation]:
    m = load_matrix()
    hosts = _hosts()
    out = {name: recommend(m, host, Preferences()) for name, host in hosts.items()}
    out.update({f"{name}, {prefs}": recommend(m, hosts[name], prefs) for name, prefs in PINS})
    return out


def core_sentences(rec: Recommendation) -> list[str]:
    """Every sentence of the core the Recommendation panel shows for `rec` (before any translation): the why-chain,
    the warnings and driver advice, the summary or no-match sentence, and the selectors' tooltips."""
    res = rec.resolution
    tips = [c.reason for c in (*rec.choices.python, *rec.choices.torch, *rec.choices.variant)]
    return ([c.detail for c in res.checks] + list(rec.warnings) + [no_match_text(rec) if rec.plan is None else res.summary]
            + tips)


@pytest.fixture
def zh(qapp: Any) -> Any:
    assert install_translator(qapp, "zh_CN") == "zh_CN"
    yield qapp
    install_translator(qapp, "en")  # the other test modules assert English texts


def test_the_hosts_give_the_lines_this_test_is_about(recs: dict[str, Recommendation]) -> None:
    """Guard on the premise: plans, a no-match, both forms of driver advice, a ROCm and a CPU plan."""
    plans = {k: (r.plan.torch, r.plan.variant) if r.plan else None for k, r in recs.items()}
    assert plans["rtx 5090, driver 550"] is None and plans["h100 capture"] == ("2.15.0", "cu132")
    assert plans["cpu only"][1] == "cpu" and plans["radeon rx 7900 xtx"][1].startswith("rocm")  # type: ignore[index]
    assert recs["rtx 5090, driver 550"].hints and recs["h100, driver 550"].hints
    assert not recs["h100 capture"].hints


def test_every_line_the_panel_shows_is_chinese(qtbot: Any, zh: Any, recs: dict[str, Recommendation]) -> None:
    for name, rec in recs.items():
        panel = RecommendationPanel()
        qtbot.addWidget(panel)
        panel.show_recommendation(rec)
        why = [panel.why.item(i).text() for i in range(panel.why.count())]
        assert len(why) == len(rec.resolution.checks) > 0
        warnings = panel.warnings.text().splitlines() if rec.warnings else []
        assert len(warnings) == len(rec.warnings)
        tips = [combo.model().item(row).toolTip() for combo in (panel.python_combo, panel.torch_combo, panel.variant_combo)
                for row in range(combo.count())]
        assert len(tips) > 10
        untranslated = [t for t in [*why, *warnings, panel.summary.text(), *tips] if not CJK.search(t)]
        assert not untranslated, (name, untranslated)
        if rec.plan is not None:  # the summary's own words, not only the panel's "Install"
            assert f"使用 Python {rec.plan.python}" in panel.summary.text(), panel.summary.text()


def test_the_values_come_back_as_the_core_wrote_them(zh: Any, recs: dict[str, Recommendation]) -> None:
    advice = recs["rtx 5090, driver 550"].hints[0]
    numbers = re.findall(r"\d+(?:\.\d+)*", advice)
    zh_advice = tr_core(advice)
    assert zh_advice.startswith("驱动 550 无法运行任何适用于 GeForce RTX 5090 的 PyTorch 构建"), zh_advice
    assert re.findall(r"\d+(?:\.\d+)*", zh_advice) == numbers  # every number, in the order the core gave
    assert "torch 2.13.0 (cu129)" in zh_advice and "torch 2.15.0 (cu132)" in zh_advice
    h100 = [tr_core(c.detail) for c in recs["h100 capture"].resolution.checks]
    assert "NVIDIA H100 80GB HBM3：计算能力 9.0（Hopper 架构）" in h100
    assert "驱动 580.159.04 最高可运行 CUDA 13.0" in h100


def test_a_line_no_template_knows_comes_back_unchanged(zh: Any) -> None:
    for text in ("driver 580 likes tea", "torch 2.15.0", "/home/user/envs/torch-2.15.0-cu132", "",
                 "torchvision 0.29.2, torchaudio 2.11.1; and more",  # a second clause is not a value
                 "No PyTorch build fits this machine.",
                 "torch 2.15.0 cu132: the moon is in the wrong phase"):  # a known frame around an unknown reason
        assert tr_core(text) == text
    assert tr_core("Best for this GPU") == "最适合此 GPU"  # the fixed words still translate exactly


def test_in_english_every_sentence_reads_exactly_as_the_core_wrote_it(qapp: Any, recs: dict[str, Recommendation]) -> None:
    """The template round trip is exact: the English app shows the CLI's bytes."""
    assert install_translator(qapp, "en") == "en"
    for rec in recs.values():
        for s in core_sentences(rec):
            assert tr_core(s) == s


# usecases.driver_advice's head for a GPU plan blocked by the GPU's own driver floor: the code writes it, but no
# GPU/driver/OS in today's matrix.json reaches it (a plan exists only at or above that floor); its example is the
# sentence as driver_advice formats it. Anything listed here that a host starts producing fails the test.
NOT_REACHED_BY_THE_DATA = {
    "driver %1 cannot run CUDA %2 builds on %3 GPUs: update to %4 or newer: with %5 the plan is %6; with %7 it is %8":
        "driver 560.35.03 cannot run CUDA 12.8 builds on Blackwell GPUs: update to 570.26 or newer: with 570.26 the plan "
        "is torch 2.13.0 (cu129); with 580 it is torch 2.15.0 (cu132)",
    "driver %1 cannot run CUDA %2 builds on %3 GPUs: update to %4 or newer: with %5 the plan is %6":
        "driver 560.35.03 cannot run CUDA 12.8 builds on Blackwell GPUs: update to 570.26 or newer: with 570.26 the plan "
        "is torch 2.13.0 (cu129)",
}


def test_no_dead_templates(recs: dict[str, Recommendation]) -> None:
    """Every template matches a sentence (or the reason inside one) the core really produces for these hosts and
    verifications."""
    produced = [s for rec in recs.values() for s in core_sentences(rec)] + verdict_sentences()
    used = {t for s in produced for t in templates_of(s)}
    assert [t for t in (*NESTED, *TEMPLATES, LIST) if t not in used and t not in NOT_REACHED_BY_THE_DATA] == []
    for t, example in NOT_REACHED_BY_THE_DATA.items():  # still a form the core writes: its example matches it
        assert t not in used and templates_of(example) == [t], t
    assert not [t for t in (*NESTED, *TEMPLATES) if t in FIXED]
    for s in produced:  # every sentence is known, by template or exactly
        assert s in FIXED or templates_of(s), s


# --- the verification's words on the Create tab (verdicts.judge, verdictfixes.gpu_fix) ---------------------------

def verdicts() -> dict[str, Any]:
    """Judgements on the real H100 `torchdesk verify --json` capture and on reports replayed from it (test_verify)."""
    from test_verify import DATA, h100_report, rtx5090_with_torch_2_6

    from desktop.verdicts import judge

    m = load_matrix()
    cpu = h100_report()  # the same machine's report as a CPU build writes it
    cpu["torch"].update(version="2.11.0+cpu", cuda=None)
    cpu["cuda"].update(available=False, device_count=0, reason="cpu_build")
    cpu.update(gpus=[], checks=[c for c in cpu["checks"] if c["gpu"] is None], driver={"cuda_driver": None, "nvml": None})
    return {
        "h100 capture": judge(json.loads((DATA / "h100_verify.json").read_text())["report"], matrix=m),
        "rtx 5090 on torch 2.6": judge(rtx5090_with_torch_2_6(), matrix=m),
        "cpu build": judge(cpu, matrix=m),
    }


def verdict_sentences() -> list[str]:
    return [s for j in verdicts().values() for s in (j.cause, j.fix) if s]


def test_the_verification_result_reads_in_chinese(zh: Any) -> None:
    from types import SimpleNamespace

    from desktop.ui.create_progress import describe_result

    js = verdicts()
    assert [j.verdict for j in js.values()] == ["pass", "fail", "pass"]
    for name, j in js.items():
        _title, body, _kind = describe_result(SimpleNamespace(status="ok", warnings=()), j, "/envs/x")
        lines = body.splitlines()
        assert lines and all(CJK.search(line) for line in lines), (name, body)
    _t, body, _k = describe_result(SimpleNamespace(status="ok", warnings=()), js["rtx 5090 on torch 2.6"], "/envs/x")
    assert "torch 2.6.0+cu124 没有 sm_120（NVIDIA GeForce RTX 5090）的内核" in body
    assert "`torchdesk create --torch 2.15.0 --variant cu132`" in body  # the command stays as the core wrote it
    assert tr_core(js["h100 capture"].cause).startswith("torch 2.11.0+cu130 可在 NVIDIA H100 80GB HBM3 上运行（sm_90，")


def test_verdicts_in_english_stay_as_the_core_wrote_them(qapp: Any) -> None:
    assert install_translator(qapp, "en") == "en"
    for s in verdict_sentences():
        assert tr_core(s) == s


def test_the_machine_tab_gives_the_driver_advice_in_chinese(qtbot: Any, zh: Any, recs: dict[str, Recommendation]) -> None:
    """The Machine tab's 'What to do' lists the same driver advice (main_window passes the hints)."""
    from desktop.ui.machine_panel import MachinePanel

    rec = recs["rtx 5090, driver 550"]
    panel = MachinePanel()
    qtbot.addWidget(panel)
    panel.show_host(rec.resolution.host, load_matrix(), rec.hints)
    assert "驱动 550 无法运行任何适用于 GeForce RTX 5090 的 PyTorch 构建" in panel.warnings.text(), panel.warnings.text()


# --- the values come back whole: the translated line holds exactly what the core put in -----------------------------

NUMBER = re.compile(r"\d+(?:\.\d+)*")


def unfaithful(en: str, zh: str, names: list[str]) -> list[str]:
    """What is wrong with `zh` as the translation of the core's `en`: a GPU name of the host that `en` holds and `zh`
    does not hold verbatim, brackets that do not pair up (full-width ones count as brackets), numbers added or lost."""
    problems = [f"name {n!r} split" for n in names if n in en and n not in zh]
    depth = 0
    for ch in zh.replace("（", "(").replace("）", ")"):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth:
        problems.append("brackets unbalanced")
    if sorted(NUMBER.findall(zh)) != sorted(NUMBER.findall(en)):
        problems.append(f"numbers {sorted(NUMBER.findall(en))} became {sorted(NUMBER.findall(zh))}")
    return problems


def test_a_gpu_name_with_brackets_stays_whole(zh: Any, recs: dict[str, Recommendation]) -> None:
    """The review's lines: a value ends neither inside "Jetson Orin (nvgpu)" nor past the template's own bracket."""
    jetson, mixed = "Jetson Orin (nvgpu)", "Jetson Orin (nvgpu) and GeForce RTX 5090"
    advice = recs["jetson orin + rtx 5090, driver 560.35.03"].hints[0]
    assert advice.startswith(f"driver 560.35.03 cannot run any PyTorch build for {mixed} (Blackwell needs"), advice
    assert tr_core(advice).startswith(f"驱动 560.35.03 无法运行任何适用于 {mixed} 的 PyTorch 构建（Blackwell 在 Linux 上需要")
    assert tr_core(f"{jetson} (sm_87) needs a cu126 build: torch 2.6 or newer "
                   "(`torchdesk create --torch 2.6 --variant cu126`)").startswith(f"{jetson}（sm_87）需要 cu126 构建")
    assert tr_core(f"torch 2.5.1 runs on {jetson} (cu124, fp32 matmul rel. error 1e-07)") == \
        f"torch 2.5.1 可在 {jetson} 上运行（cu124，fp32 矩阵乘法相对误差 1e-07）"
    assert tr_core(f"torch 2.5.1 has no kernels for {jetson} (sm_87): it carries sm_50 sm_60") == \
        f"torch 2.5.1 没有 {jetson}（sm_87）的内核：它只包含 sm_50 sm_60"


def test_every_translated_line_keeps_the_core_values(zh: Any, recs: dict[str, Recommendation]) -> None:
    bad = []
    for name, rec in recs.items():
        names = [g.name for g in rec.resolution.host.gpus]
        bad += [(name, s, tr_core(s), p) for s in [*core_sentences(rec), *rec.hints] if (p := unfaithful(s, tr_core(s), names))]
    bad += [("verdict", s, tr_core(s), p) for s in verdict_sentences() if (p := unfaithful(s, tr_core(s), []))]
    assert bad == []


# --- a sweep of described machines: every advice and why-chain sentence is translated, or listed here -------------

SWEEP_GPUS = (("RTX 5090",), ("H100",), ("Jetson Orin (nvgpu)",), ("Jetson Orin (nvgpu)", "RTX 5090"),
              ("Tesla K80", "RTX 5090"))
SWEEP_DRIVERS = ("450.80.02", "560.35.03", "580")
SWEEP_SYSTEMS = (("linux", "x86_64"), ("linux", "aarch64"), ("windows", "x86_64"))
SWEEP_PINS = (Preferences(), Preferences(python="3.9"), Preferences(torch="2.6"))
# Sentences the zh_CN app shows in English on purpose: (regex over the whole sentence, why). Empty today: every
# sentence of the sweep has a template; a new one must get a template or a line here with its reason.
LEFT_IN_ENGLISH: tuple[tuple[str, str], ...] = ()


def test_the_sweep_leaves_no_sentence_in_english(zh: Any) -> None:
    import itertools

    m = load_matrix()
    english, bad, kinds, left_used = [], [], set(), set()
    for gpus, driver, (os_name, machine), prefs in itertools.product(SWEEP_GPUS, SWEEP_DRIVERS, SWEEP_SYSTEMS,
                                                                      SWEEP_PINS[:1]):
        host = describe_machine(m, gpus=list(gpus), driver=driver, os_name=os_name, machine=machine)
        for p in SWEEP_PINS if driver == "450.80.02" or (os_name, driver) == ("windows", "580") else (prefs,):
            rec = recommend(m, host, p)
            names = [g.name for g in host.gpus]
            for s in [*core_sentences(rec), *rec.hints]:
                kinds.add(tuple(templates_of(s))[:1])
                if s in FIXED or templates_of(s):
                    if problems := unfaithful(s, tr_core(s), names):
                        bad.append((s, tr_core(s), problems))
                elif listed := [rx for rx, _why in LEFT_IN_ENGLISH if re.fullmatch(rx, s)]:
                    left_used.update(listed)
                else:
                    english.append((gpus, driver, os_name, machine, p, s))
    assert english == [] and bad == []
    assert [rx for rx, _why in LEFT_IN_ENGLISH if rx not in left_used] == []  # no stale entry
    assert len(kinds) > 30  # the sweep reaches many forms, the driver advice among them
    assert {(t,) for t in TEMPLATES if str(t).startswith("driver %1 cannot run any")} <= kinds
