"""Reading small input files the user names, safely: a regular file only (a FIFO or device is an error, not a
hang), with a size cap (never an OOM), decoded as UTF-8 with a one-sentence error."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import UsageError

MAX_INPUT_BYTES = 4 * 1024 * 1024  # no site map, sinfo dump or result file the CLI reads comes near this


def read_regular_file(p: Path | str, limit: int) -> bytes:
    """Up to `limit` + 1 bytes of a regular file. A FIFO or device planted in its place raises OSError, not a hang."""
    fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(f"{p} is not a regular file")
        return f.read(limit + 1)


def shown_path(p: Path | str) -> str:
    """`p` for an error message: an absurdly long path or name is cut, with its length."""
    s = str(p)
    return s if len(s) <= 200 else f"{s[:80]}...({len(s)} characters)"


def read_input_text(path: Path | str, what: str, limit: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of the `what` file at `path` (a regular file of at most `limit` bytes), else a UsageError."""
    shown = shown_path(path)
    try:
        raw = read_regular_file(Path(path).expanduser(), limit)
    except OSError as exc:
        why, fix = exc.strerror or str(exc), "check the path"
        if exc.strerror is None and "not a regular file" in str(exc):
            why, fix = "it is not a regular file (a pipe or device?)", "give a regular file"
        raise UsageError(f"cannot read the {what} {shown}: {why}; {fix}") from None
    if len(raw) > limit:
        raise UsageError(f"the {what} {shown} is larger than {limit // (1024 * 1024)} MiB; "
                         "check you gave the right file") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise UsageError(f"the {what} {shown} is not UTF-8 text (line {line}); save it as UTF-8 and try again") from None
