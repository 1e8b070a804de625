"""`python -m desktop`: open the app (or say how to get it, and that the CLI works, where Qt is missing)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        from .ui.app import run_app
    except ImportError as exc:  # PySide6 missing or broken: say so; the command line needs no Qt
        print(f"torchdesk: the app cannot start ({exc}). Install it with `pip install PySide6-Essentials`, "
              "or use the command line: `torchdesk --help`.", file=sys.stderr)
        return 1
    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
