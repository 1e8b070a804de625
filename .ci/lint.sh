#!/usr/bin/env bash
# Lint: ruff (pycodestyle, pyflakes, bugbear, pyupgrade) over the repository, mypy (strict) over desktop/.
# Both are configured in pyproject.toml and installed by the `test` extra.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ruff"
python3 -m ruff check .
echo "== mypy"
python3 -m mypy
