#!/bin/sh
# What isolation costs per task, and cordon's isolated preset against
# bubblewrap giving the same isolation, on the same command.  The runners
# take turns inside each round (the order rotates), each figure is the
# median over the rounds, ratios taken round by round.  Two figures per
# runner: wall time (what a caller waits) and CPU time (user and system of
# every process the runner reaped: what the machine pays, which moves far
# less than wall time on a loaded machine).
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

# The runners, by letter: each runs /bin/true once.
BWRAP="bwrap --unshare-all --ro-bind / / --tmpfs /tmp --dev /dev --proc /proc"
run_one() {
    case $1 in
        p) "$CORDON" run -- /bin/true ;;
        f) "$CORDON" run --ro /usr -- /bin/true ;;
        n) "$CORDON" run --net none -- /bin/true ;;
        t) "$CORDON" run --tmpfs /tmp -- /bin/true ;;
        u) "$CORDON" run --hostname box -- /bin/true ;;
        c) "$CORDON" run --cgroup-ns -- /bin/true ;;
        d) "$CORDON" run --dev minimal -- /bin/true ;;
        m) "$CORDON" run --ro-bind "$tmp/src" "$tmp/dst" -- /bin/true ;;
        i) "$CORDON" run --isolate isolated -- /bin/true ;;
        j) "$CORDON" run --isolate judge -- /bin/true ;;
        b) $BWRAP /bin/true ;;
    esac
}
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
        times > "$tmp/times"
        c0=$(cpu_ns)
        t0=$(now_ns)
        i=0
        while [ "$i" -lt "$RUNS_N" ]; do run_one "$who" >/dev/null 2>&1 || true; i=$((i + 1)); done
        t1=$(now_ns)
        times > "$tmp/times"
        c1=$(cpu_ns)
        eval "now_$who=$(( (t1 - t0) / RUNS_N ))"
        eval "cpu_$who=$(( (c1 - c0) / RUNS_N ))"
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

echo "isolation: $RUNS_N runs of /bin/true per loop, median of $ROUNDS interleaved rounds"
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
