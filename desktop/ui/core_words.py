"""Translations for the sentences that Qt-free helpers (choices.py, the core) hand to the panels.

Those helpers stay free of Qt, so they cannot call tr(); the panels pass what they return through `tr_core`.
A text listed in FIXED is translated as it is; a sentence the core composes (a why-chain line, the plan summary,
the driver advice) is matched against TEMPLATES, whose %1, %2... stand for the values the core filled in
(versions, GPU names, builds): the template is translated and the same values are put back, untranslated.
A NESTED template ends in another core sentence (a reason), translated in turn; LIST joins two with '; '.
Any other text (a version, a path, a resolver detail no template knows) comes back unchanged, so the English app
shows exactly what the core (and the CLI) wrote. A new sentence in the core: add its template here with a comment
naming where it comes from, translate it in the .ts (tools/build_translations.py), and let a host in
tests/test_ui_core_words.py produce it (that test fails on a template nothing produces).
"""

from __future__ import annotations

import re
from functools import lru_cache

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

CONTEXT = "core"
FIXED = (
    QT_TRANSLATE_NOOP("core", "unknown"),
    QT_TRANSLATE_NOOP("core", "Automatic"),
    QT_TRANSLATE_NOOP("core", "Newest that fits"),
    QT_TRANSLATE_NOOP("core", "Best for this GPU"),
    QT_TRANSLATE_NOOP("core", "the newest Python the chosen release supports that has been out a year"),
    QT_TRANSLATE_NOOP("core", "the newest PyTorch release that runs on this machine"),
    QT_TRANSLATE_NOOP("core", "the index's default build if it runs here, else the newest that does"),
    QT_TRANSLATE_NOOP("core", "unknown (no NVIDIA driver found)"),
    QT_TRANSLATE_NOOP("core", "unknown (driver version not read)"),
    QT_TRANSLATE_NOOP("core", "none in the data (driver too old)"),
    QT_TRANSLATE_NOOP("core", "No PyTorch build fits this machine. Why: the \u2717 lines below."),
    QT_TRANSLATE_NOOP("core", "No PyTorch build fits this machine with these choices. Why: the \u2717 lines below."),
    # why-chain lines with nothing filled in (whychain.py, candidates.py)
    QT_TRANSLATE_NOOP("core", "numpy: no constraint beyond what torch requires"),
    QT_TRANSLATE_NOOP("core", "no supported GPU: the CPU build"),
    QT_TRANSLATE_NOOP("core", "no NVIDIA GPU: a CUDA build would only use the CPU here"),
    QT_TRANSLATE_NOOP("core", "it has no ROCm build in the data"),
    QT_TRANSLATE_NOOP("core", "macOS default wheels: Apple GPU through MPS"),
    QT_TRANSLATE_NOOP("core", "driver version unknown: the plan assumes a driver new enough for its CUDA build"),
    QT_TRANSLATE_NOOP("core", "CPU build: the GPU will not be used"),
)

# Sentences the core composes, in the order they are tried (the first that matches the whole text wins, so a
# longer or more specific form comes before a shorter one it would otherwise fall into). Where each comes from:
TEMPLATES = (
    # whychain.why_chain: the host lines
    QT_TRANSLATE_NOOP("core", "%1: compute capability %2 (%3)"),
    QT_TRANSLATE_NOOP("core", "driver %1 runs CUDA up to %2"),
    QT_TRANSLATE_NOOP("core", "%1: AMD gfx target %2 (%3)"),
    # candidates.check_build / rules.gpu_coverage / rules.driver_check / candidates._rocm_driver_check
    QT_TRANSLATE_NOOP("core", "%1 wheels exist for %2"),
    QT_TRANSLATE_NOOP("core", "no %1 wheels for %2"),
    QT_TRANSLATE_NOOP("core", "%1: torch %2 %3 - SASS %4 runs on %5"),
    QT_TRANSLATE_NOOP("core", "%1: torch %2 %3 - %4 carries %5 kernels"),
    QT_TRANSLATE_NOOP("core", "%1: torch %2 %3 - no kernels for %4: the wheel carries %5"),
    QT_TRANSLATE_NOOP("core", "%1: torch %2 %3 - no SASS for %4; PTX compute_%5 is JIT-compiled by the driver"),
    QT_TRANSLATE_NOOP("core", "%1: torch %2 %3 - its architecture list is not known, so %4 support cannot be promised"),
    QT_TRANSLATE_NOOP("core", "driver %1 is older than %2, the minimum for CUDA %3 (%4): update the driver"),
    QT_TRANSLATE_NOOP("core", "driver %1 predates %2 GPUs (%3): they need >= %4 (%5): update the driver"),
    QT_TRANSLATE_NOOP("core", "driver %1 >= %2, CUDA %3's own minimum (%4)"),
    QT_TRANSLATE_NOOP("core", "driver %1 >= %2, CUDA %3's own minimum (%4) (driver branch %5: assumed %6 or newer; "
                              "check nvidia-smi)"),
    QT_TRANSLATE_NOOP("core", "driver %1 >= %2, the CUDA %3.x minor-version-compatibility floor (CUDA %4's own minimum "
                              "is %5) (driver branch %6: assumed %7 or newer; check nvidia-smi)"),
    QT_TRANSLATE_NOOP("core", "driver not known: CUDA %1 builds need %2 driver >= %3"),
    QT_TRANSLATE_NOOP("core", "driver %1 >= %2, the CUDA %3.x minor-version-compatibility floor "
                              "(CUDA %4's own minimum is %5)"),
    QT_TRANSLATE_NOOP("core", "ROCm %1 user space (HIP runtime) ships inside the wheels; the host needs an amdgpu "
                              "kernel driver that AMD's compatibility matrix lists for ROCm %2 (not checked: AMD "
                              "documents it as a table of releases, not a rule TorchDesk can test)"),
    # whychain.why_chain: release, build, Python, companions
    QT_TRANSLATE_NOOP("core", "torch %1 is the newest release in the data that passes"),
    QT_TRANSLATE_NOOP("core", "torch %1 is the newest release that passes"),
    QT_TRANSLATE_NOOP("core", "torch %1 is the newest release in the data that passes the pin --torch %2"),
    QT_TRANSLATE_NOOP("core", "...and %1 more newer releases rejected (see rejected)"),
    QT_TRANSLATE_NOOP("core", "%1 as pinned"),
    QT_TRANSLATE_NOOP("core", "%1 is the build a plain `pip install torch==%2` gets on %3"),
    QT_TRANSLATE_NOOP("core", "%1: the newest build that fits (the index default, %2, would not use the GPU)"),
    QT_TRANSLATE_NOOP("core", "%1: the newest ROCm build whose gfx list covers every AMD GPU here "
                              "(the index default, %2, is not a ROCm build)"),
    QT_TRANSLATE_NOOP("core", "Python %1: the newest of %2 that has been out for a year"),
    QT_TRANSLATE_NOOP("core", "Python %1 is supported by torch %2 (%3)"),
    QT_TRANSLATE_NOOP("core", "no release matching --torch %1 supports Python %2 (supported: %3)"),
    QT_TRANSLATE_NOOP("core", "numpy%1: built against numpy 1.x"),
    QT_TRANSLATE_NOOP("core", "torch %1 was built against numpy 1.x: keep numpy%2 in this environment"),
    QT_TRANSLATE_NOOP("core", "torchvision %1, torchaudio (none released)"),
    QT_TRANSLATE_NOOP("core", "torchvision %1, torchaudio %2"),
    # resolve._per_gpu_options and planning.no_match_text: GPUs no one build serves together
    QT_TRANSLATE_NOOP("core", "for %1 alone: torch %2 %3 (select it with CUDA_VISIBLE_DEVICES=%4)"),
    QT_TRANSLATE_NOOP("core", "for %1 alone: no CUDA build runs with driver %2; with %3 or newer: torch %4 %5"),
    QT_TRANSLATE_NOOP("core", "for %1 alone: no CUDA build in the data fits"),
    QT_TRANSLATE_NOOP("core", "No single PyTorch build runs on all %1 GPUs of this machine. Why: the \u2717 lines below."),
    # verdicts.judge: the verification's cause, and verdictfixes.gpu_fix: what to do (the Create tab's result)
    QT_TRANSLATE_NOOP("core", "torch %1 runs on %2 (%3, fp32 matmul rel. error %4)"),
    QT_TRANSLATE_NOOP("core", "torch %1 works on the CPU"),
    QT_TRANSLATE_NOOP("core", "torch %1 has no kernels for %2 (%3): it carries %4"),
    QT_TRANSLATE_NOOP("core", "%1 (%2) needs a %3 build: torch %4 or newer (`torchdesk create --torch %5 --variant %6`)"),
    # usecases.driver_advice.driver_advice (with a second clause where a newer driver gets a newer plan, or not)
    QT_TRANSLATE_NOOP("core", "driver %1 cannot run any PyTorch build for %2 (CUDA %3 builds need >= %4 on %5): "
                              "update to %6 or newer: with %7 the plan is %8; with %9 it is %10"),
    QT_TRANSLATE_NOOP("core", "driver %1 cannot run any PyTorch build for %2 (CUDA %3 builds need >= %4 on %5): "
                              "update to %6 or newer: with %7 the plan is %8"),
    QT_TRANSLATE_NOOP("core", "driver %1 cannot run any PyTorch build for %2 (%3 needs >= %4 on %5): update to %6 "
                              "or newer: with %7 the plan is %8; with %9 it is %10"),
    QT_TRANSLATE_NOOP("core", "driver %1 cannot run any PyTorch build for %2 (%3 needs >= %4 on %5): update to %6 "
                              "or newer: with %7 the plan is %8"),
    QT_TRANSLATE_NOOP("core", "driver %1 cannot run CUDA %2 builds on %3 GPUs: update to %4 or newer: with %5 the "
                              "plan is %6; with %7 it is %8"),
    QT_TRANSLATE_NOOP("core", "driver %1 cannot run CUDA %2 builds on %3 GPUs: update to %4 or newer: with %5 the "
                              "plan is %6"),
    QT_TRANSLATE_NOOP("core", "driver %1 cannot run CUDA %2 builds: update to %3 or newer: with %4 the plan is %5; "
                              "with %6 it is %7"),
    QT_TRANSLATE_NOOP("core", "driver %1 cannot run CUDA %2 builds: update to %3 or newer: with %4 the plan is %5"),
    # resolve._host_warnings
    QT_TRANSLATE_NOOP("core", "PyTorch publishes ROCm wheels for Linux only: on %1 the AMD GPU is not used (the CPU build)"),
    # usecases.planning.compute_choices: what a selector's entry gives (its tooltip)
    QT_TRANSLATE_NOOP("core", "gives torch %1 (%2) on Python %3"),
    # resolve: a pinned Python a release does not list
    QT_TRANSLATE_NOOP("core", "Python %1 is not supported by torch %2 (%3)"),
    # resolve.resolve: the plan summary
    QT_TRANSLATE_NOOP("core", "torch %1 (%2) on Python %3, torchvision %4, torchaudio %5"),
    QT_TRANSLATE_NOOP("core", "torch %1 (%2) on Python %3, torchvision %4"),
)

# Sentences that end in another of the core's sentences (a reason): that last placeholder is translated in turn,
# and the whole line is translated only when that reason is known too. Tried before TEMPLATES.
NESTED = (
    # resolve._no_match_reasons: a rejected build and the first reason it fails
    QT_TRANSLATE_NOOP("core", "torch %1 %2: %3"),
    # whychain.why_chain: a newer release passed over, and why
    QT_TRANSLATE_NOOP("core", "not torch %1: %2"),
    # whychain.why_chain: the build chosen over the index's default, and why the default does not fit
    QT_TRANSLATE_NOOP("core", "%1: the newest build that fits (the index default, %2, does not fit: %3)"),
    # usecases.planning.compute_choices: why a selector's entry cannot be picked (its tooltip)
    QT_TRANSLATE_NOOP("core", "Python %1: %2"),
    QT_TRANSLATE_NOOP("core", "torch %1: %2"),
    # usecases.driver_advice: the advice for one GPU of a machine whose GPUs need different drivers
    QT_TRANSLATE_NOOP("core", "for %1: %2"),
    QT_TRANSLATE_NOOP("core", "%1: %2"),
)
# Two of the core's sentences joined by '; ' (planning._why_not gives two reasons), each translated in turn.
LIST = QT_TRANSLATE_NOOP("core", "%1; %2")

_PLACEHOLDER = re.compile(r"%(\d+)")
_VALUE = r"(?:[^;:()]|\([^;:()]*\))+?"  # characters other than ;:() or a (...) group without them


def template_regex(template: str, *, nested: bool = False) -> re.Pattern[str]:
    """The regex that matches what the core writes for `template`, capturing each %N as group 'pN' (in a NESTED
    template the last one is a sentence of its own)."""
    parts = _PLACEHOLDER.split(template)  # literal, number, literal, number, ..., literal
    last = len(parts) - 2
    # a value (a version, a GPU name, a build) never holds ';' or ':' (the core ends a label and joins clauses with
    # them), so a value cannot swallow the next clause; its brackets are balanced (a GPU name such as
    # "Jetson Orin (nvgpu)"), so a value never ends inside a bracket nor takes the template's own "(" or ")".
    # A nested sentence may hold anything.
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<p{p}>.+)" if nested and i == last
                              else f"(?P<p{p}>{_VALUE})" for i, p in enumerate(parts)))


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[str, re.Pattern[str], bool], ...]:
    tried = [(str(t), True) for t in NESTED] + [(str(t), False) for t in TEMPLATES]  # QT_TRANSLATE_NOOP: typed object
    return tuple((t, template_regex(t, nested=nested), nested) for t, nested in tried)


def _translate(text: str, used: list[str]) -> str | None:
    """`text` translated, or None where neither FIXED nor a template knows it; `used` gets the templates used."""
    if text in FIXED:
        return QCoreApplication.translate(CONTEXT, text)
    for template, regex, nested in _compiled():
        m = regex.fullmatch(text)
        if m is None:
            continue
        values = {k[1:]: v for k, v in m.groupdict().items()}
        inner: list[str] = []
        if nested:
            last = str(len(values))
            clause = _translate(values[last], inner)
            if clause is None:
                continue  # a reason no template knows: the whole line stays as the core wrote it
            values[last] = clause
        used += [template, *inner]
        return _fill(QCoreApplication.translate(CONTEXT, template), values)
    parts = text.split("; ")
    for i in range(1, len(parts)):  # two known sentences joined by '; ' (a split inside a sentence finds neither)
        left_used: list[str] = []
        right_used: list[str] = []
        left = _translate("; ".join(parts[:i]), left_used)
        right = _translate("; ".join(parts[i:]), right_used) if left is not None else None
        if left is not None and right is not None:
            used += [str(LIST), *left_used, *right_used]
            return _fill(QCoreApplication.translate(CONTEXT, str(LIST)), {"1": left, "2": right})
    return None


def _fill(translated: str, values: dict[str, str]) -> str:
    """The translated template with each %N replaced by the core's value, as it is (no escapes interpreted)."""
    return _PLACEHOLDER.sub(lambda p: values.get(p.group(1), p.group(0)), translated)


def templates_of(text: str) -> list[str]:
    """The templates (outer first) that translate `text`; [] where none does (FIXED or unknown)."""
    used: list[str] = []
    _translate(text, used)
    return used


def tr_core(text: str) -> str:
    """`text` in the user's language when it is one of FIXED or an instance of a template, else unchanged."""
    out = _translate(text, [])
    return text if out is None else out
