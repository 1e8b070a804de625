# -*- coding: utf-8 -*-
"""The smoke script's shared words: the report schema and marker, the error table, and GPU-arch coverage.

The core imports this module (verify: REPORT_MARKER; verdicts: classify_error), and the script uses the same
table, so both sides name a failure alike. Valid Python 3.6, standard library only; it imports no sibling.
"""

import re
import traceback

SCHEMA = 1
REPORT_MARKER = "TORCHDESK_REPORT "

# (kind, regex) in priority order: the first match wins. Each pattern is taken from real reports; the texts and
# their sources are in tests/verify_data/*.json.
_ERROR_PATTERNS = (
    ("numpy_abi", r"_ARRAY_API not found"),
    ("numpy_abi", r"compiled using NumPy 1\.x cannot be run in\s+NumPy 2"),
    ("numpy_abi", r"numpy\.core\.multiarray failed to import"),
    ("numpy_abi", r"module compiled against (?:ABI|API) version 0x[0-9a-f]+ but this version of numpy is"),
    ("numpy_abi", r"numpy\.dtype size changed, may indicate binary incompatibility"),
    ("numpy_abi", r"Numpy is not available"),
    ("torchvision_mismatch", r"operator torchvision::\w+ does not exist"),
    ("torchvision_mismatch", r"No such operator torchvision::\w+"),
    ("torchvision_mismatch", r"Couldn't load custom C\+\+ ops"),
    ("arch_unsupported", r"with CUDA capability (sm_\d+a?) is not compatible with the current PyTorch installation"),
    ("arch_unsupported", r"which is of cuda capability \d+\.\d+\.\s+PyTorch no longer supports this GPU"),
    ("no_kernel_image", r"no kernel image is available for execution on the device"),
    ("driver_too_old", r"The NVIDIA driver on your system is too old"),
    ("driver_too_old", r"CUDA driver version is insufficient for CUDA runtime version"),
    ("no_driver", r"Found no NVIDIA driver on your system"),
    ("no_driver", r"no CUDA-capable device is detected"),
    ("out_of_memory", r"CUDA out of memory|OutOfMemoryError"),
    ("missing_library", r"([\w.+-]+\.so(?:\.\d+)*): cannot open shared object file"),
    ("missing_library", r"Error loading \"[^\"]*?([\w.+-]+\.dll)\" or one of its dependencies"),
    ("missing_library", r"Could not (?:load|locate) (?:library )?([\w.+-]+\.dll)"),
    ("missing_library", r"Library not loaded: \S*?([\w.+-]+\.dylib)"),
    ("undefined_symbol", r"undefined symbol: (\S+)"),
    ("undefined_symbol", r"Symbol not found: (\S+)"),
)


def classify_error(text):
    """Name the failure in an error text: (kind, detail). kind is one of the _ERROR_PATTERNS kinds or 'other'."""
    text = text or ""
    for kind, pattern in _ERROR_PATTERNS:
        m = re.search(pattern, text, re.IGNORECASE)
        if m:
            detail = m.group(1) if m.groups() and m.group(1) else m.group(0)
            return kind, detail
    return "other", _first_line(text)


def _first_line(text):
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            return line[:300]
    return ""


def _error(exc):
    """An exception as report data: type, message, classification, traceback tail."""
    message = "%s: %s" % (type(exc).__name__, exc)
    tb = traceback.format_exc()
    kind, detail = classify_error(message + "\n" + tb)
    return {"type": type(exc).__name__, "message": str(exc)[:2000], "kind": kind, "detail": detail,
            "traceback": tb[-3000:]}


def cc_covered(cc, arch_list):
    """How torch's arch list covers compute capability (major, minor): 'sass', 'ptx' or None.

    SASS runs on the same major and an equal or higher minor (sm_86 cubins run on 8.9); 'a'/'f' variants only
    on exactly their own capability. PTX is JIT-compiled by the driver for any equal or newer GPU.
    """
    major, minor = cc
    sass, ptx = False, False
    for arch in arch_list or ():
        m = re.match(r"^(sm|compute)_(\d+?)(\d)([af]?)$", arch)
        if not m:
            continue
        kind, am, an, suffix = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        if suffix:
            ok = (am, an) == (major, minor)
        elif kind == "sm":
            ok = am == major and an <= minor
        else:
            ok = (am, an) <= (major, minor)
        if ok and kind == "sm":
            sass = True
        elif ok:
            ptx = True
    return "sass" if sass else ("ptx" if ptx else None)
