#!/bin/sh
# make test-slurm: cordon batch --shard env under a real scheduler.  A
# single-node Slurm cluster of its own (tests/slurm/start.sh) runs
# examples/slurm_array.sh as an array of 4 shards over one job file; the
# audit files merged by cordon report must show every line run exactly
# once.  Then a lost worker: one shard's audit file is removed, the report
# must name its lines (exit 1), and the whole array submitted again with
# --resume must run those lines only.  Daemons and files are removed
# whatever happens (trap).  Needs root (the daemons) and slurm-wlm.
set -eu
# The daemons take the lowest free fds: started with stdin closed (a CI
# shell's `<&-`), one of their sockets became fd 0, which they then
# closed as daemons do, and no job launched.
[ -e /dev/fd/0 ] || exec </dev/null

cd "$(dirname "$0")/../.."
root=$(pwd)
cordon=${CORDON_RUNNER:-$root/build/cordon}

if [ "$(id -u)" -ne 0 ]; then
    echo "test-slurm: skipped: starting slurmctld, slurmd and munged needs root"
    exit 0
fi
for program in sbatch slurmctld slurmd munged; do
    if ! command -v "$program" >/dev/null 2>&1; then
        echo "test-slurm: $program is missing: install slurm-wlm (sh scripts/setup slurm)" >&2
        exit 1
    fi
done

dir=$(mktemp -d /tmp/cordon-slurm-XXXXXX)
cleanup() {
    sh "$root/tests/slurm/stop.sh" "$dir"
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

fail() {
    echo "test-slurm: FAILED: $*" >&2
    for log in "$dir"/log/*.log "$dir"/out-*.txt; do
        [ -f "$log" ] && { echo "== $log" >&2; tail -n 15 "$log" >&2; }
    done
    exit 1
}

sh tests/slurm/start.sh "$dir"
export SLURM_CONF="$dir/slurm.conf"

# 40 jobs on 43 lines (a comment, a blank line): each prints its number.
jobs="$dir/jobs.txt"
{
    echo "# the jobs of the Slurm test"
    for i in $(seq 1 20); do echo "echo job $i"; done
    echo
    for i in $(seq 21 40); do echo "echo job $i; sleep 0.0$((i % 5))"; done
} >"$jobs"
total=40

# The example itself is the job script.
submit() {
    CORDON="$cordon" JOBS="$jobs" AUDIT_DIR="$dir/audit" TASK_TIMEOUT=30s \
        CORDON_POLICY_PATH="$root/policies" \
        timeout 100 sbatch --quiet --wait --array=0-3 --chdir="$dir" \
        --output="$dir/out-$1-%a.txt" examples/slurm_array.sh ||
        fail "sbatch --wait --array=0-3 (round $1) did not finish cleanly"
}

start=$(date +%s)
submit 1
report=$("$cordon" report --jobs "$jobs" "$dir/audit") || fail "cordon report: exit $?: $report"
echo "$report" | grep -q "^lines of $jobs: $total jobs; $total ran once, 0 several times, 0 not at all\$" ||
    fail "not every line ran exactly once:
$report"
echo "$report" | grep -q "^records: $total from 4 files, 1 run on 1 host\$" ||
    fail "the records do not come from 4 shards of one run:
$report"
# What the shards printed: every job's line, each once, under its label.
printed=$(cat "$dir"/out-1-*.txt | grep -c '^\[[0-9]*\] job ') || true
[ "$printed" -eq "$total" ] || fail "the shards printed $printed job lines, not $total"

# A lost worker: shard 2's records are gone.
rm "$dir/audit/shard-2.jsonl"
if report=$("$cordon" report --jobs "$jobs" "$dir/audit"); then
    fail "a report with shard 2's records missing exited 0"
fi
echo "$report" | grep -q "^    by shard of 4: 2/4 (10 lines)\$" ||
    fail "the report does not name shard 2's lines:
$report"

# The whole array again: only shard 2's lines run.
submit 2
report=$("$cordon" report --jobs "$jobs" "$dir/audit") || fail "cordon report after the resume:
$report"
echo "$report" | grep -q "^lines of $jobs: $total jobs; $total ran once, 0 several times, 0 not at all\$" ||
    fail "after the resume, not every line ran exactly once:
$report"
rerun=$(cat "$dir"/out-2-*.txt | grep -c '^\[[0-9]*\] job ') || true
[ "$rerun" -eq 10 ] || fail "the resumed array ran $rerun job lines, not shard 2's 10"

echo "test-slurm: passed: 4 shards under Slurm ran $total lines once each; a lost shard" \
     "was found and resumed alone ($(($(date +%s) - start)) s)"
