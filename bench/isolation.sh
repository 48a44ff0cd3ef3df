#!/bin/sh
# What isolation costs per task, and cordon's isolated preset against
# bubblewrap giving the same isolation, on the same command.  The runners
# take turns inside each round (the order rotates), each figure is the
# median over the rounds, ratios taken round by round.
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
row() { printf '  %-52s %10s %8s  %s\n' "$1" "$2" "$3" "$4"; }

# The runners, by letter: each runs /bin/true once.
BWRAP="bwrap --unshare-all --ro-bind / / --tmpfs /tmp --dev /dev --proc /proc"
run_one() {
    case $1 in
        p) "$CORDON" run -- /bin/true ;;
        f) "$CORDON" run --ro /usr -- /bin/true ;;
        n) "$CORDON" run --net none -- /bin/true ;;
        t) "$CORDON" run --tmpfs /tmp -- /bin/true ;;
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
        i) echo "cordon run --isolate isolated" ;;
        j) echo "cordon run --isolate judge" ;;
        b) echo "bwrap --unshare-all --ro-bind / / --tmpfs /tmp --dev --proc" ;;
    esac
}

runners="p f n t i j"
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
        t0=$(now_ns)
        i=0
        while [ "$i" -lt "$RUNS_N" ]; do run_one "$who" >/dev/null 2>&1 || true; i=$((i + 1)); done
        t1=$(now_ns)
        eval "now_$who=$(( (t1 - t0) / RUNS_N ))"
    done
    for who in $runners; do
        eval "t_$who=\"\${t_$who:-} \$now_$who\""
        eval "r_$who=\"\${r_$who:-} $(eval div "\$now_$who" "\$now_p")\""
    done
    if [ -n "${now_b:-}" ] && [ -n "${now_i:-}" ]; then
        r_bi="${r_bi:-} $(div "$now_b" "$now_i")"
    fi
    r=$((r + 1))
done

echo "isolation: $RUNS_N runs of /bin/true per loop, median of $ROUNDS interleaved rounds"
row "runner" "us/task" "ratio" "of"
for who in $runners; do
    # shellcheck disable=SC2046
    eval "row \"$(label "$who")\" \"\$(usecs \$t_$who)\" \"\$(ratio \$r_$who)\" \"/ plain cordon run\""
done
if [ -n "${r_bi:-}" ]; then
    # shellcheck disable=SC2086
    row "bwrap / cordon --isolate isolated" "" "$(ratio $r_bi)" "(> 2: isolated costs less than half)"
else
    row "bwrap" "-" "-" "skipped: ${bwrap_reason:-did not run}"
fi
