"""conda activation scripts (etc/conda/activate.d, deactivate.d) for sh, fish, PowerShell and cmd.

TorchDesk's day-two features set environment variables on `conda activate` (the drift guard: PIP_CONSTRAINT and
UV_CONSTRAINT; the toolchain: CUDA_HOME and TORCH_CUDA_ARCH_LIST). Each saves the value the user had under
`_TORCHDESK_SAVED_<VAR>` and deactivation puts it back: that half is the same for every variable, so it lives here.
"""

from __future__ import annotations

from typing import Mapping

SHELLS = ("sh", "fish", "ps1", "bat")


def saved_name(var: str) -> str:
    """Where activation keeps the value `var` had before."""
    return "_TORCHDESK_SAVED_" + var


def _restore(var: str) -> dict[str, str]:
    """Per shell: put `var` back as it was before activation (or unset it)."""
    s = saved_name(var)
    return {
        "sh": f'if [ -n "${{{s}+x}}" ]; then export {var}="${s}"; unset {s}; else unset {var}; fi\n',
        "fish": f'if set -q {s}\n    set -gx {var} "${s}"\n    set -e {s}\nelse\n    set -e {var}\nend\n',
        "ps1": (f"if (Test-Path Env:{s}) {{ $Env:{var} = $Env:{s}; Remove-Item Env:{s} }} "
                f"else {{ Remove-Item Env:{var} -ErrorAction SilentlyContinue }}\n"),
        "bat": f'@if defined {s} (set "{var}=%{s}%" & set "{s}=") else (set "{var}=")\n',
    }


def activation_files(script: str, head: str, activate: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """{relative path: text} of `script`'s activate.d and deactivate.d files: `head` (a '# ...' line) on top, then
    per variable its activation lines from `activate` ({VAR: {shell: text}}) and the lines that restore it."""
    top = {ext: "@REM " + head[2:] if ext == "bat" else head for ext in SHELLS}
    a = {ext: [top[ext]] for ext in SHELLS}
    d = {ext: [top[ext]] for ext in SHELLS}
    for var, lines in activate.items():
        back = _restore(var)
        for ext in SHELLS:
            a[ext].append(lines[ext])
            d[ext].append(back[ext])
    out = {}
    for ext in SHELLS:
        out[f"etc/conda/activate.d/{script}.{ext}"] = "".join(a[ext])
        out[f"etc/conda/deactivate.d/{script}.{ext}"] = "".join(d[ext])
    return out
