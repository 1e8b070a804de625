"""Qt-free helpers about the widgets themselves: reading the extras fields, writing sizes for labels.

The plan, its selector states, the driver advice and the default name are use cases: desktop/usecases/planning.py.
"""

from __future__ import annotations


def split_packages(text: str) -> list[str]:
    """'numpy scipy>=1.10, pandas' -> ['numpy', 'scipy>=1.10', 'pandas']: commas or whitespace separate."""
    out: list[str] = []
    for chunk in text.replace(",", " ").split():
        if chunk:
            out.append(chunk)
    return out


def mib_text(mib: int | None) -> str:
    if mib is None:
        return "unknown"
    if mib >= 1024:
        return f"{mib / 1024:.1f} GiB"
    return f"{mib} MiB"
