#!/bin/sh
# Starts a single-node Slurm cluster for the test of `cordon batch --shard`
# under a real scheduler: munged, slurmctld and slurmd, as root, without
# systemd, everything (key, configuration, state, sockets, logs, pid
# files) under DIR, on ports of its own, so that nothing of the machine's
# own set-up is read or changed.  tests/slurm/stop.sh DIR stops them.
#
#   sh tests/slurm/start.sh DIR      then: SLURM_CONF=DIR/slurm.conf sbatch ...
set -eu
# The daemons take the lowest free fds: started with stdin closed (a CI
# shell's `<&-`), one of their sockets became fd 0, which they then
# closed as daemons do, and no job launched.
[ -e /dev/fd/0 ] || exec </dev/null

dir=${1:?usage: start.sh DIR}
port=${CORDON_SLURM_PORT:-16817}
node=cordon-node
mkdir -p "$dir/state" "$dir/spool" "$dir/key" "$dir/munge" "$dir/log"
# munged wants its key private and its socket's directories searchable by all.
chmod 755 "$dir" "$dir/munge"
chmod 700 "$dir/key"

port_in_use() {
    # /proc/net/tcp{,6} list ports in hex; state 0A is LISTEN.
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$hex" \
        '$2 ~ p"$" && $4 == "0A" { found = 1 } END { exit !found }'
}
for p in "$port" $((port + 1)); do
    if port_in_use "$p"; then
        echo "slurm: port $p is in use; set CORDON_SLURM_PORT to another" >&2
        exit 1
    fi
done

# munge: a fresh key, read only by its owner, as munged demands.
dd if=/dev/urandom of="$dir/key/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/key/munge.key"
munged --key-file="$dir/key/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/key/munged.seed"

# No cgroup or accounting plugin: the test is of cordon's sharding, and a
# container may allow neither.  cordon confines each task itself.
cat >"$dir/slurm.conf" <<EOF
ClusterName=cordontest
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/builtin
InactiveLimit=0
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$node NodeHostname=$(hostname -s) NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=cordon Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

export SLURM_CONF="$dir/slurm.conf"
# -i: a fresh cluster, ignoring any state a killed run left behind.
slurmctld -i -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$node"

# Ready when the node takes jobs.
tries=0
until sinfo -h -n "$node" -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
        echo "slurm: the node did not come up in 30 s; logs in $dir/log:" >&2
        tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
        exit 1
    fi
    sleep 0.5
done
