#!/bin/sh
# make demo, second half: a short tour of the cordon command.
set -u
# The cordon built beside this script, whatever the directory it is run
# from (./build/cordon was the source tree's, and from elsewhere every
# step said "not found" and the tour still ended 0).
here=$(cd "$(dirname "$0")" && pwd)
cordon=${CORDON:-$here/../build/cordon}
if [ ! -x "$cordon" ]; then
    echo "runner_tour: no cordon at $cordon (make builds it; or set CORDON)" >&2
    exit 1
fi
step() { printf '\n== %s\n   $ %s\n' "$1" "$2"; }
status() { printf '   (exit status %s)\n' "$1"; }

step "run a command; its output passes through and is captured" \
     "cordon run -- echo hello from a confined child"
$cordon run -- echo hello from a confined child; status $?

step "a deadline: the whole process group dies, exit status 124" \
     "cordon run --timeout 300ms --shell 'sleep 5 & sleep 5'"
$cordon run --timeout 300ms --shell 'sleep 5 & sleep 5'; status $?

step "a policy: no network; the violation is named" \
     "cordon run --policy nonet-kill -- python3 -c 'import socket; socket.socket()'"
if command -v python3 >/dev/null 2>&1; then
    $cordon run --policy nonet-kill -- python3 -c 'import socket; socket.socket()'; status $?
else
    echo "   (python3 is not installed: skipped)"
fi

# The writer itself, not a shell around it: a shell's exit status 153 for
# a child killed by SIGXFSZ is a number any task can choose, so cordon
# names the limit only when the task's own process died of the signal.
step "limits: a write past --fsize ends the task with FileSizeLimit" \
     "cordon run --fsize 1M -- dd if=/dev/zero of=/tmp/cordon-tour-big bs=1M count=5"
$cordon run --fsize 1M -- dd if=/dev/zero of=/tmp/cordon-tour-big bs=1M count=5; status $?
rm -f /tmp/cordon-tour-big

step "the result as JSON (binary output is escaped, the JSON always parses)" \
     "cordon run --json --quiet --shell 'printf \"\\377ok\"; exit 3'"
$cordon run --json --quiet --shell 'printf "\377ok"; exit 3'; status $?

audit=$(mktemp /tmp/cordon-tour-XXXXXX.jsonl)
step "batch: one shell line per task, 4 at a time, audited" \
     "printf 'sleep 0.1\\n...' | cordon batch -j 4 --timeout 2s --audit $audit -"
printf 'sleep 0.1\necho two\nfalse\nsleep 0.2\nkill -SEGV $$\necho six\n' |
    $cordon batch -j 4 --timeout 2s --audit "$audit" -; status $?

step "report: usage per task and failures by class, from the audit file" \
     "cordon report $audit"
$cordon report "$audit"; status $?
rm -f "$audit"

step "policies: list them, show one with its includes expanded" \
     "cordon policy list; cordon policy show nonet | head -5"
$cordon policy list
$cordon policy show nonet | head -5
