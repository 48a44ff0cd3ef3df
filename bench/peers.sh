#!/bin/sh
# cordon against the tools people use instead of it.  Every result is a ratio
# against a peer measured in the same run: the runners take turns inside each
# round (the order rotates from round to round), and each figure printed is
# the median over the rounds, ratios being taken round by round.
#
#   CORDON_BENCH_BATCH   lines in the batch file          (default 2000)
#   CORDON_BENCH_RUNS    tasks per single-run loop        (default 200)
#   CORDON_BENCH_ROUNDS  interleaved rounds               (default 5)
#
# Missing peers (GNU parallel, bubblewrap, firejail) are installed with
# apt-get when running as root; a peer that cannot be had or cannot run here
# is shown as "skipped: <reason>".
set -eu
cd "$(dirname "$0")/.."

CORDON=./build/cordon
BATCH_N=${CORDON_BENCH_BATCH:-2000}
RUNS_N=${CORDON_BENCH_RUNS:-200}
ROUNDS=${CORDON_BENCH_ROUNDS:-5}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cordon-peers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# --- helpers ---------------------------------------------------------------

now_ns() { date +%s%N; }

# timeit CMD ARGS...: runs CMD in this shell, leaves its wall time in $elapsed (ns)
timeit() {
    _t0=$(now_ns)
    "$@"
    _t1=$(now_ns)
    elapsed=$((_t1 - _t0))
}

# median of the numbers given as arguments (mean of the middle two if even)
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) print "nan";
              else if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# div A B [FORMAT]
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.6f}" 'BEGIN { if (b == 0) print "nan"; else printf f "\n", a / b }'; }

# row LABEL VALUE RATIO NOTE
row() { printf '  %-44s %10s %8s  %s\n' "$1" "$2" "$3" "$4"; }
skiprow() { printf '  %-44s %10s %8s  skipped: %s\n' "$1" "-" "-" "$2"; }

# ensure_tool CMD PACKAGE: 0 when CMD can be run, installing PACKAGE if need
# be; otherwise 1 with the reason in $reason.  Notes go to $notes.
notes=""
ensure_tool() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" != 0 ]; then
        reason="$1 not installed and not root (apt-get install $2 needs root)"
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        reason="$1 not installed and no apt-get to install $2"
        return 1
    fi
    _log="$tmp/apt-$2.log"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >"$_log" 2>&1; then
        # the package lists may be missing or stale: refresh once and retry
        if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
               DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2"; } >>"$_log" 2>&1; then
            reason="apt-get install $2 failed: $(grep -v '^ *$' "$_log" | tail -n 1)"
            return 1
        fi
    fi
    if ! command -v "$1" >/dev/null 2>&1; then
        reason="apt-get installed $2 but there is no $1 on PATH"
        return 1
    fi
    notes="$notes  note: installed $2 with apt-get
"
    return 0
}

# first_line FILE: the first non-blank line of FILE, for skip reasons
first_line() { grep -v '^ *$' "$1" 2>/dev/null | head -n 1 | cut -c 1-100; }

[ -x "$CORDON" ] || { echo "peers: $CORDON missing: run make all first" >&2; exit 1; }
case $(now_ns) in
    *N|*[!0-9]*) echo "peers: date +%s%N gives no nanoseconds here" >&2; exit 1 ;;
esac

# --- 1. batch --------------------------------------------------------------

batch_file="$tmp/batch.txt"
awk -v n="$BATCH_N" 'BEGIN { for (i = 0; i < n; i++) print "/bin/true" }' >"$batch_file"

cordon_batch_opts="-j 2"
if "$CORDON" batch --help 2>&1 | grep -q -- '--quiet'; then
    cordon_batch_opts="$cordon_batch_opts --quiet"
fi

have_parallel=1
reason=""
if ! ensure_tool parallel parallel; then
    have_parallel=0
elif ! parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
    have_parallel=0
    reason="$(command -v parallel) is not GNU parallel (moreutils?)"
fi
parallel_reason=$reason
# the same shell for every runner's lines: cordon and xargs use /bin/sh -c
PARALLEL_SHELL=/bin/sh
export PARALLEL_SHELL

cordon_batch_fails=0
peer_batch_fails=""
run_cordon_batch() {
    # shellcheck disable=SC2086  # word splitting of the options is wanted
    "$CORDON" batch $cordon_batch_opts "$batch_file" >/dev/null 2>>"$tmp/cordon-batch.err" ||
        cordon_batch_fails=$((cordon_batch_fails + 1))
}
run_parallel() {
    parallel --will-cite -j 2 <"$batch_file" >/dev/null 2>>"$tmp/parallel.err" ||
        peer_batch_fails="$peer_batch_fails parallel"
}
run_xargs() {
    xargs -P 2 -I{} sh -c {} <"$batch_file" >/dev/null 2>>"$tmp/xargs.err" ||
        peer_batch_fails="$peer_batch_fails xargs"
}

t_cb=""; t_par=""; t_xa=""; r_par=""; r_xa=""
r=0
while [ "$r" -lt "$ROUNDS" ]; do
    # rotate who goes first so no runner always gets the warm (or cold) slot
    case $((r % 3)) in
        0) order="c p x" ;;
        1) order="p x c" ;;
        *) order="x c p" ;;
    esac
    for who in $order; do
        case $who in
            c) timeit run_cordon_batch; c_ns=$elapsed ;;
            p) if [ "$have_parallel" = 1 ]; then timeit run_parallel; p_ns=$elapsed; fi ;;
            x) timeit run_xargs; x_ns=$elapsed ;;
        esac
    done
    t_cb="$t_cb $c_ns"; t_xa="$t_xa $x_ns"
    r_xa="$r_xa $(div "$c_ns" "$x_ns")"
    if [ "$have_parallel" = 1 ]; then
        t_par="$t_par $p_ns"
        r_par="$r_par $(div "$c_ns" "$p_ns")"
    fi
    r=$((r + 1))
done

secs() { awk -v ns="$(median "$@")" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
ratio() { awk -v v="$(median "$@")" 'BEGIN { printf "%.2f", v }'; }

echo "peers: batch of $BATCH_N lines of /bin/true, 2 at a time, median of $ROUNDS interleaved rounds"
echo "       (cordon/peer < 1: cordon batch is faster; cordon runs each line under the"
echo "        default seccomp policy and Landlock domain, in its own process group,"
echo "        without capabilities; a plain line like this one runs without a shell,"
echo "        where xargs -I{} sh -c and parallel start one per line)"
row "runner" "wall s" "ratio" "of"
# shellcheck disable=SC2086
row "cordon batch $cordon_batch_opts" "$(secs $t_cb)" "1.00" ""
if [ "$have_parallel" = 1 ]; then
    # shellcheck disable=SC2086
    row "parallel -j 2 (GNU)" "$(secs $t_par)" "$(ratio $r_par)" "cordon/parallel"
else
    skiprow "parallel -j 2 (GNU)" "$parallel_reason"
fi
# shellcheck disable=SC2086
row "xargs -P 2 -I{} sh -c {}" "$(secs $t_xa)" "$(ratio $r_xa)" "cordon/xargs"
printf '%s' "$notes"; notes=""
if [ "$cordon_batch_fails" -gt 0 ]; then
    echo "  warning: cordon batch exited non-zero in $cordon_batch_fails of $ROUNDS rounds: $(first_line "$tmp/cordon-batch.err")"
elif [ -s "$tmp/cordon-batch.err" ]; then
    echo "  warning: cordon batch --quiet wrote to stderr: $(first_line "$tmp/cordon-batch.err")"
fi
[ -z "$peer_batch_fails" ] || echo "  warning: non-zero exit from:$peer_batch_fails"

# --- 2. single run ---------------------------------------------------------

echo

# the floor and cordon run must work; the peers are tried once and skipped
# with the reason when they cannot run here
if ! "$CORDON" run -- /bin/true >/dev/null 2>"$tmp/cordon-run.err"; then
    echo "peers: single run: cordon run -- /bin/true fails: $(first_line "$tmp/cordon-run.err")"
    exit 1
fi

have_bwrap=1
bwrap_reason=""
if ! ensure_tool bwrap bubblewrap; then
    have_bwrap=0; bwrap_reason=$reason
elif ! bwrap --ro-bind / / --unshare-all /bin/true >/dev/null 2>"$tmp/bwrap.err"; then
    have_bwrap=0; bwrap_reason="cannot run here: $(first_line "$tmp/bwrap.err")"
fi

have_firejail=1
firejail_reason=""
if ! ensure_tool firejail firejail; then
    have_firejail=0; firejail_reason=$reason
elif ! firejail --quiet --noprofile /bin/true >/dev/null 2>"$tmp/firejail.err"; then
    have_firejail=0; firejail_reason="cannot run here: $(first_line "$tmp/firejail.err")"
fi

have_python=1
python_reason=""
cat >"$tmp/peers.py" <<'EOF'
import multiprocessing
import subprocess
import sys
import time


def f():
    pass


if __name__ == "__main__":
    n = int(sys.argv[1])
    subprocess.run(["/bin/true"], check=True)          # warm up both paths
    p = multiprocessing.Process(target=f); p.start(); p.join()
    t = time.perf_counter()
    for _ in range(n):
        subprocess.run(["/bin/true"])
    sub = (time.perf_counter() - t) / n * 1e9
    t = time.perf_counter()
    for _ in range(n):
        p = multiprocessing.Process(target=f)
        p.start()
        p.join()
    mp = (time.perf_counter() - t) / n * 1e9
    print("%.0f %.0f %s" % (sub, mp, multiprocessing.get_start_method()))
EOF
if ! command -v python3 >/dev/null 2>&1; then
    have_python=0; python_reason="python3 not found"
elif ! python3 "$tmp/peers.py" 2 >/dev/null 2>"$tmp/python.err"; then
    have_python=0; python_reason="cannot run here: $(first_line "$tmp/python.err")"
fi

cordon_run_fails=0
bwrap_fails=0
firejail_fails=0
loop_floor() {
    _i=0
    while [ "$_i" -lt "$RUNS_N" ]; do /bin/true; _i=$((_i + 1)); done
}
loop_cordon() {
    _i=0
    while [ "$_i" -lt "$RUNS_N" ]; do
        "$CORDON" run -- /bin/true >/dev/null 2>>"$tmp/cordon-run.err" ||
            cordon_run_fails=$((cordon_run_fails + 1))
        _i=$((_i + 1))
    done
}
loop_bwrap() {
    _i=0
    while [ "$_i" -lt "$RUNS_N" ]; do
        bwrap --ro-bind / / --unshare-all /bin/true >/dev/null 2>&1 ||
            bwrap_fails=$((bwrap_fails + 1))
        _i=$((_i + 1))
    done
}
loop_firejail() {
    _i=0
    while [ "$_i" -lt "$RUNS_N" ]; do
        firejail --quiet --noprofile /bin/true >/dev/null 2>&1 ||
            firejail_fails=$((firejail_fails + 1))
        _i=$((_i + 1))
    done
}

t_fl=""; t_co=""; t_bw=""; t_fj=""; t_ps=""; t_pm=""
r_fl=""; r_bw=""; r_fj=""; r_ps=""; r_pm=""
mp_method=""
r=0
while [ "$r" -lt "$ROUNDS" ]; do
    case $((r % 5)) in
        0) order="c f b j p" ;;
        1) order="f b j p c" ;;
        2) order="b j p c f" ;;
        3) order="j p c f b" ;;
        *) order="p c f b j" ;;
    esac
    for who in $order; do
        case $who in
            c) timeit loop_cordon; co=$((elapsed / RUNS_N)) ;;
            f) timeit loop_floor; fl=$((elapsed / RUNS_N)) ;;
            b) if [ "$have_bwrap" = 1 ]; then timeit loop_bwrap; bw=$((elapsed / RUNS_N)); fi ;;
            j) if [ "$have_firejail" = 1 ]; then timeit loop_firejail; fj=$((elapsed / RUNS_N)); fi ;;
            p) if [ "$have_python" = 1 ]; then
                   py_out=$(python3 "$tmp/peers.py" "$RUNS_N")
                   read -r ps pm mp_method <<EOF
$py_out
EOF
               fi ;;
        esac
    done
    t_co="$t_co $co"; t_fl="$t_fl $fl"
    r_fl="$r_fl $(div "$co" "$fl")"
    if [ "$have_bwrap" = 1 ]; then t_bw="$t_bw $bw"; r_bw="$r_bw $(div "$bw" "$co")"; fi
    if [ "$have_firejail" = 1 ]; then t_fj="$t_fj $fj"; r_fj="$r_fj $(div "$fj" "$co")"; fi
    if [ "$have_python" = 1 ]; then
        t_ps="$t_ps $ps"; r_ps="$r_ps $(div "$ps" "$co")"
        t_pm="$t_pm $pm"; r_pm="$r_pm $(div "$pm" "$co")"
    fi
    r=$((r + 1))
done

usecs() { awk -v ns="$(median "$@")" 'BEGIN { printf "%.1f", ns / 1e3 }'; }

echo "peers: single task, $RUNS_N runs of /bin/true per loop, median of $ROUNDS interleaved rounds"
echo "       (peer/cordon > 1: cordon run is cheaper per task)"
row "runner" "us/task" "ratio" "of"
# shellcheck disable=SC2086
{
row "cordon run -- /bin/true" "$(usecs $t_co)" "1.00" ""
row "/bin/true from sh (floor)" "$(usecs $t_fl)" "$(ratio $r_fl)" "cordon/floor (cost over a bare fork+exec)"
if [ "$have_bwrap" = 1 ]; then
    row "bwrap --ro-bind / / --unshare-all" "$(usecs $t_bw)" "$(ratio $r_bw)" "bwrap/cordon"
else
    skiprow "bwrap --ro-bind / / --unshare-all" "$bwrap_reason"
fi
if [ "$have_firejail" = 1 ]; then
    row "firejail --quiet --noprofile" "$(usecs $t_fj)" "$(ratio $r_fj)" "firejail/cordon"
else
    skiprow "firejail --quiet --noprofile" "$firejail_reason"
fi
if [ "$have_python" = 1 ]; then
    row "python subprocess.run(['/bin/true']) *" "$(usecs $t_ps)" "$(ratio $r_ps)" "subprocess/cordon"
    row "python multiprocessing.Process ($mp_method) *" "$(usecs $t_pm)" "$(ratio $r_pm)" "multiprocessing/cordon"
else
    skiprow "python subprocess.run / multiprocessing" "$python_reason"
fi
}
printf '%s' "$notes"
if [ "$have_python" = 1 ]; then
    echo "  * measured inside one python3 process (time.perf_counter, no interpreter"
    echo "    start), whereas each cordon run includes starting the cordon binary"
fi
if [ "$cordon_run_fails" -gt 0 ]; then
    echo "  warning: cordon run exited non-zero $cordon_run_fails times: $(first_line "$tmp/cordon-run.err")"
elif [ -s "$tmp/cordon-run.err" ]; then
    echo "  warning: cordon run wrote to stderr: $(first_line "$tmp/cordon-run.err")"
fi
[ "$bwrap_fails" = 0 ] || echo "  warning: bwrap exited non-zero $bwrap_fails times"
[ "$firejail_fails" = 0 ] || echo "  warning: firejail exited non-zero $firejail_fails times"
