#!/bin/sh
# What isolation costs per task, and cordon's isolated preset against
# bubblewrap giving the same isolation, on the same command.  The runners
# take turns inside each round (the order rotates), each figure is the
# median over the rounds, ratios taken round by round.  Two figures per
# runner: wall time (what a caller waits) and CPU time (what the machine
# pays, which moves far less than wall time on a loaded machine): with
# perf, the task-clock of every process the loop started, reaped or not;
# without, what this shell's `times` counts of the children it reaped
# (a runner that leaves a process to another reaper then looks cheaper).
#
#   CORDON_BENCH_RUNS    tasks per loop      (default 200)
#   CORDON_BENCH_ROUNDS  interleaved rounds  (default 5)
set -eu
cd "$(dirname "$0")/.."

CORDON=./build/cordon
RUNS_N=${CORDON_BENCH_RUNS:-200}
ROUNDS=${CORDON_BENCH_ROUNDS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cordon-isolation.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

now_ns() { date +%s%N; }
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) print "nan";
              else if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "nan"; else printf "%.6f\n", a / b }'; }
usecs() { awk -v ns="$(median "$@")" 'BEGIN { printf "%.1f", ns / 1e3 }'; }
ratio() { awk -v r="$(median "$@")" 'BEGIN { printf "%.2f", r }'; }
row() { printf '  %-52s %9s %6s %9s %6s  %s\n' "$1" "$2" "$3" "$4" "$5" "$6"; }
# CPU time of every child this shell reaped so far, in ns (times' second
# line), as the last `times > "$tmp/times"` saw it: times must run in this
# shell, not in the subshell of a command substitution.
cpu_ns() {
    awk 'NR == 2 { t = 0
        for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
        printf "%.0f\n", t * 1e9 }' "$tmp/times"
}
PERF=
if command -v perf >/dev/null 2>&1 &&
   perf stat -x, -e task-clock -o "$tmp/perf" -- true >/dev/null 2>&1; then
    PERF=perf
fi
# Runs `who` RUNS_N times; sets now_WHO (wall ns per run) and cpu_WHO.
measure() {
    if [ -n "$PERF" ]; then
        t0=$(now_ns)
        perf stat -x, -e task-clock -o "$tmp/perf" -- sh -c "
            i=0; while [ \$i -lt $RUNS_N ]; do $(command_of "$1") >/dev/null 2>&1; i=\$((i + 1)); done"
        t1=$(now_ns)
        c=$(awk -F, '/task-clock/ { printf "%.0f", $1 * 1e6 }' "$tmp/perf")
    else
        times > "$tmp/times"
        c0=$(cpu_ns)
        t0=$(now_ns)
        i=0
        while [ "$i" -lt "$RUNS_N" ]; do run_one "$1" >/dev/null 2>&1 || true; i=$((i + 1)); done
        t1=$(now_ns)
        times > "$tmp/times"
        c=$(( $(cpu_ns) - c0 ))
    fi
    eval "now_$1=$(( (t1 - t0) / RUNS_N ))"
    eval "cpu_$1=$(( c / RUNS_N ))"
}

# The runners, by letter: each runs /bin/true once.
BWRAP="bwrap --unshare-all --ro-bind / / --tmpfs /tmp --dev /dev --proc /proc"
# (Paths without spaces: the command lines are words for a shell.)
command_of() {
    case $1 in
        p) echo "$CORDON run -- /bin/true" ;;
        f) echo "$CORDON run --ro /usr -- /bin/true" ;;
        n) echo "$CORDON run --net none -- /bin/true" ;;
        t) echo "$CORDON run --tmpfs /tmp -- /bin/true" ;;
        u) echo "$CORDON run --hostname box -- /bin/true" ;;
        c) echo "$CORDON run --cgroup-ns -- /bin/true" ;;
        d) echo "$CORDON run --dev minimal -- /bin/true" ;;
        m) echo "$CORDON run --ro-bind $tmp/src $tmp/dst -- /bin/true" ;;
        i) echo "$CORDON run --isolate isolated -- /bin/true" ;;
        j) echo "$CORDON run --isolate judge -- /bin/true" ;;
        b) echo "$BWRAP /bin/true" ;;
    esac
}
# shellcheck disable=SC2046
run_one() { $(command_of "$1"); }
label() {
    case $1 in
        p) echo "cordon run (namespaces, Landlock scope, filter)" ;;
        f) echo "  + file rules (--ro /usr, with the system paths)" ;;
        n) echo "  + --net none" ;;
        t) echo "  + --tmpfs /tmp" ;;
        u) echo "  + --hostname (UTS namespace)" ;;
        c) echo "  + --cgroup-ns" ;;
        d) echo "  + --dev minimal" ;;
        m) echo "  + one --ro-bind" ;;
        i) echo "cordon run --isolate isolated" ;;
        j) echo "cordon run --isolate judge" ;;
        b) echo "bwrap --unshare-all --ro-bind / / --tmpfs /tmp --dev --proc" ;;
    esac
}

mkdir "$tmp/src" "$tmp/dst"
runners="p f n t u c d m i j"
if command -v bwrap >/dev/null 2>&1 && $BWRAP /bin/true >/dev/null 2>"$tmp/bwrap.err"; then
    runners="$runners b"
else
    bwrap_reason=$(command -v bwrap >/dev/null 2>&1 && head -n 1 "$tmp/bwrap.err" ||
                   echo "bwrap not installed (apt-get install bubblewrap)")
fi
for who in $runners; do
    if ! run_one "$who" >/dev/null 2>"$tmp/err"; then
        echo "isolation: '$(label "$who")' cannot run here: $(head -n 1 "$tmp/err")"
        runners=$(echo "$runners" | tr -d "$who")
    fi
done

r=0
while [ "$r" -lt "$ROUNDS" ]; do
    # rotate the order from round to round
    order=$(echo $runners | awk -v r="$r" '{ for (i = 0; i < NF; i++) printf "%s ", $((i + r) % NF + 1) }')
    for who in $order; do
        measure "$who"
    done
    for who in $runners; do
        eval "t_$who=\"\${t_$who:-} \$now_$who\""
        eval "r_$who=\"\${r_$who:-} $(eval div "\$now_$who" "\$now_p")\""
        eval "c_$who=\"\${c_$who:-} \$cpu_$who\""
        eval "rc_$who=\"\${rc_$who:-} $(eval div "\$cpu_$who" "\$cpu_p")\""
    done
    if [ -n "${now_b:-}" ] && [ -n "${now_i:-}" ]; then
        r_bi="${r_bi:-} $(div "$now_b" "$now_i")"
        rc_bi="${rc_bi:-} $(div "$cpu_b" "$cpu_i")"
    fi
    r=$((r + 1))
done

cpu_by="times (reaped children only)"
[ -z "$PERF" ] || cpu_by="perf (task-clock of every process)"
echo "isolation: $RUNS_N runs of /bin/true per loop, median of $ROUNDS interleaved rounds;" \
     "CPU time by $cpu_by"
row "runner" "wall us" "ratio" "CPU us" "ratio" "(ratios: / plain cordon run)"
for who in $runners; do
    # shellcheck disable=SC2046
    eval "row \"$(label "$who")\" \"\$(usecs \$t_$who)\" \"\$(ratio \$r_$who)\" \"\$(usecs \$c_$who)\" \"\$(ratio \$rc_$who)\" \"\""
done
if [ -n "${r_bi:-}" ]; then
    # shellcheck disable=SC2086
    row "bwrap / cordon --isolate isolated" "" "$(ratio $r_bi)" "" "$(ratio $rc_bi)" "(> 2: isolated costs less than half)"
else
    row "bwrap" "-" "-" "-" "-" "skipped: ${bwrap_reason:-did not run}"
fi
