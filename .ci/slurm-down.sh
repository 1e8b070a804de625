#!/usr/bin/env bash
# Stop the Slurm and munge daemons .ci/slurm-up.sh started (by their pid files only) and remove its folder.
set -uo pipefail
DIR="${1:-${TORCHDESK_SLURM_DIR:-/tmp/torchdesk-slurm}}"
[ -d "$DIR" ] || exit 0
if [ -f "$DIR/etc/slurm.conf" ]; then
  SLURM_CONF="$DIR/etc/slurm.conf" scancel --quiet --user="$(id -un)" 2>/dev/null || true
fi
stop() {  # stop <pidfile>: TERM, wait up to 10 s, then KILL
  local f="$1" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f" 2>/dev/null)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}
stop "$DIR/run/slurmd.pid"
stop "$DIR/run/slurmctld.pid"
stop "$DIR/munge/run/munged.pid"
rm -rf "$DIR"
