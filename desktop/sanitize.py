"""Text that came from somewhere TorchDesk does not control (an environment's output, its files' names and
metadata) made safe to show on a terminal: control characters become visible escapes, so an escape sequence
cannot recolour, retitle or rewrite the user's terminal."""

from __future__ import annotations

import re

# C0 controls except tab, DEL, C1 controls (0x80-0x9f: CSI is 0x9b), and lone surrogates from undecodable bytes.
_CONTROL_RX = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # a byte Python could not decode (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character (newlines too) shown as \\x1b-style escapes."""
    return _CONTROL_RX.sub(_escape, text)


def escape_line(text: str) -> str:
    """One line of someone else's output for a terminal: control characters escaped, trailing CR dropped."""
    return escape_controls(text.rstrip("\r"))


def tolerate_unencodable_output() -> None:
    """Make stdout/stderr show what they cannot encode as escapes instead of raising.

    A folder name that is not valid UTF-8 (Python holds its bytes as lone surrogates) or a character the
    console's code page lacks would otherwise crash a command halfway, after it did its work (`remove`)."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass  # not a TextIOWrapper (a test's capture, a GUI's stand-in): nothing to do
