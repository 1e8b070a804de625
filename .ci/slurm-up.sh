#!/usr/bin/env bash
# Bring up a real single-node Slurm (Debian's slurmctld/slurmd/munge packages) in a throw-away folder, no systemd.
#
#   .ci/slurm-up.sh [DIR]    (default $TORCHDESK_SLURM_DIR or /tmp/torchdesk-slurm); prints `export ...` lines.
#   .ci/slurm-down.sh [DIR]  stops the daemons this script started and removes DIR.
#
# One node (this machine) with two GRES GPU types, gpu:v100:1 (a name TorchDesk knows) and gpu:labgpu:1 (a
# site-local name that needs a site mapping file), whose device files are symlinks to /dev/null (slurmd wants a
# character device; jobs then get CUDA_VISIBLE_DEVICES), and two partitions, `volta` and `lab`, one per type. No accounting daemon: TorchDesk reads job states from squeue (desktop/fleet/slurm.py)
# so `sacct` is not needed. batch_sched_delay=0 and KillWait=2 keep jobs and cancels quick.
# Idempotent: a second run with the daemons already answering only prints the exports.
set -euo pipefail
DIR="${1:-${TORCHDESK_SLURM_DIR:-/tmp/torchdesk-slurm}}"
PORT_CTLD="${TORCHDESK_SLURMCTLD_PORT:-16817}"
PORT_D="${TORCHDESK_SLURMD_PORT:-16818}"
NODE="$(hostname -s)"
CONF="$DIR/etc/slurm.conf"

exports() {
  echo "export SLURM_CONF=$CONF"
}

if [ -f "$CONF" ] && SLURM_CONF="$CONF" timeout 5 scontrol ping 2>/dev/null | grep -q "UP"; then
  exports
  exit 0
fi

for exe in munged slurmctld slurmd sinfo; do
  command -v "$exe" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin"
  command -v "$exe" >/dev/null 2>&1 || {
    echo "slurm-up: $exe not found; install Debian's packages: apt-get install -y slurmctld slurmd slurm-client munge" >&2
    exit 1
  }
done

mkdir -p "$DIR"/{etc,state,spool,log,run,dev} "$DIR/munge/etc" "$DIR/munge/run" "$DIR/munge/lib" "$DIR/munge/log"
chmod 0755 "$DIR/munge/run" && chmod 0700 "$DIR/munge/etc" "$DIR/munge/lib" "$DIR/munge/log"
KEY="$DIR/munge/etc/munge.key"
[ -f "$KEY" ] || { dd if=/dev/urandom of="$KEY" bs=1024 count=1 status=none; chmod 0400 "$KEY"; }
SOCK="$DIR/munge/run/munge.socket.2"

# munged: its own key, socket and pid in DIR, so a system munge (if any) is left alone.
if ! { [ -f "$DIR/munge/run/munged.pid" ] && kill -0 "$(cat "$DIR/munge/run/munged.pid")" 2>/dev/null; }; then
  munged --force --key-file="$KEY" --socket="$SOCK" --pid-file="$DIR/munge/run/munged.pid" \
    --log-file="$DIR/munge/log/munged.log" --seed-file="$DIR/munge/lib/munged.seed"
fi

ln -sfn /dev/null "$DIR/dev/nvidia0"
ln -sfn /dev/null "$DIR/dev/nvidia1"
CPUS="$(nproc)"
MEM_MB="$(awk '/MemTotal/ {print int($2/1024/2)}' /proc/meminfo)"

cat > "$CONF" <<CONF
# Written by .ci/slurm-up.sh for TorchDesk's fleet tests; throw-away.
ClusterName=torchdesk
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT_CTLD
SlurmdPort=$PORT_D
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
KillWait=2
MinJobAge=300
ReturnToService=2
MpiDefault=none
GresTypes=gpu
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB Gres=gpu:v100:1,gpu:labgpu:1 State=UNKNOWN Feature=volta,lab
PartitionName=volta Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
PartitionName=lab Nodes=$NODE Default=NO MaxTime=INFINITE State=UP
CONF

cat > "$DIR/etc/gres.conf" <<CONF
NodeName=$NODE Name=gpu Type=v100 File=$DIR/dev/nvidia0
NodeName=$NODE Name=gpu Type=labgpu File=$DIR/dev/nvidia1
CONF

# slurmd 22.05 insists on cgroup.conf; v1 names no mounted hierarchy and is not used by proctrack/linuxproc.
cat > "$DIR/etc/cgroup.conf" <<CONF
CgroupPlugin=cgroup/v1
CgroupAutomount=no
ConstrainCores=no
ConstrainDevices=no
ConstrainRAMSpace=no
CONF

export SLURM_CONF="$CONF"
slurmctld -f "$CONF" -i
slurmd -f "$CONF" -N "$NODE"

# Wait (up to 30 s) for the node to come up idle.
for _ in $(seq 1 150); do
  state="$(sinfo -h -N -o '%t' 2>/dev/null | head -n1 || true)"
  case "$state" in idle*|mix*|alloc*) exports; exit 0 ;; esac
  sleep 0.2
done
echo "slurm-up: the node did not come up idle; logs in $DIR/log" >&2
tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
exit 1
