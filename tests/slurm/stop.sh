#!/bin/sh
# Stops the daemons tests/slurm/start.sh DIR started, by the pids they
# wrote under DIR (never by name: other clusters may run on this machine),
# and waits for them to go.
set -u

dir=${1:?usage: stop.sh DIR}

# Jobs still running (a test that failed half-way) are cancelled first,
# so that no slurmstepd outlives its daemons.
if [ -f "$dir/slurm.conf" ] && [ -s "$dir/slurmctld.pid" ]; then
    export SLURM_CONF="$dir/slurm.conf"
    timeout 10 scancel --quiet --user="$(id -un)" 2>/dev/null || true
    tries=0
    while [ -n "$(timeout 5 squeue -h -u "$(id -un)" 2>/dev/null)" ] && [ "$tries" -lt 20 ]; do
        sleep 0.5
        tries=$((tries + 1))
    done
fi
for name in slurmd slurmctld munged; do
    pidfile="$dir/$name.pid"
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    case "$pid" in *[!0-9]* | '') continue ;; esac
    kill -TERM "$pid" 2>/dev/null || continue
    tries=0
    while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 50 ]; do
        sleep 0.2
        tries=$((tries + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
done
