#!/usr/bin/env bash
# CI step for issue #16 (torchdesk fleet): a real single-node Slurm up, the Slurm-marked fleet tests, Slurm down.
# Called from .ci/run after the main test step, from the repository root. Needs root for apt-get and the daemons.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v apt-get >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi
# The `fleet` extra (pyproject.toml) is only submitit; install it alone so the editable install .ci/run made stays.
python3 -m pip install -q "submitit>=1.5"
export TORCHDESK_SLURM_DIR="${TORCHDESK_SLURM_DIR:-$(mktemp -d /tmp/torchdesk-slurm.XXXXXX)}"
trap '.ci/slurm-down.sh "$TORCHDESK_SLURM_DIR"' EXIT
eval "$(.ci/slurm-up.sh "$TORCHDESK_SLURM_DIR")"
python3 -m pytest -q -p no:cacheprovider -m slurm tests/test_fleet_slurm.py
# The Slurm-free fleet tests once more, now that submitit is installed (the main step skips its local-executor ones).
python3 -m pytest -q -p no:cacheprovider tests/test_fleet.py tests/test_fleet_ui.py
