"""`python -m desktop`: open the app (or print the CLI help where the app is not available)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        from .ui.app import run_app
    except ImportError:
        from .cli import build_parser

        build_parser().print_help()
        return 0
    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
