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
