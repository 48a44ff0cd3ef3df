#!/bin/sh
# Stops the daemons tests/slurm/start.sh DIR started, by the pids they
# wrote under DIR (never by name: other clusters may run on this machine),
# and waits for them to go.
set -u

dir=${1:?usage: stop.sh DIR}
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
