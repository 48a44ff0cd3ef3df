/* Help texts.  Every option of every subcommand is listed here, with an
 * example, so `cordon X --help` is the whole manual of X. */
#include <stdio.h>
#include <string.h>

#include "help.h"

static const char top_help[] =
    "Usage: cordon COMMAND [OPTIONS] ...\n"
    "Run commands confined (seccomp policy, resource limits, no capabilities) and\n"
    "watched (output captured, signals named as exceptions, resources accounted).\n"
    "\n"
    "Commands:\n"
    "  run [OPTIONS] -- CMD ARGS...      run one command\n"
    "  run [OPTIONS] --shell 'LINE'      run one shell command line (/bin/sh -c)\n"
    "  batch [-j N] [OPTIONS] [FILE|-]   run one shell line per input line, N at a time\n"
    "  policy check|show|list|import     validate, explain, list or import policies\n"
    "  report [--sort KEY] AUDIT.jsonl   summarize an audit file\n"
    "\n"
    "  --help, -h     this help (cordon COMMAND --help: that command's)\n"
    "  --version      print the version\n"
    "\n"
    "Exit status of run: the command's own; 128+N if it died of signal N; 124 on\n"
    "timeout; 125 for cordon's own errors; 126 not executable; 127 not found;\n"
    "159 (128+SIGSYS) when the policy killed it.\n"
    "\n"
    "Example:\n"
    "  cordon run --timeout 2s --mem 256M --policy nonet -- make test\n";

static const char task_options_help[] =
    "Confinement and limits (sizes take K, M, G; times take ms, s, m, h):\n"
    "  --policy NAME|FILE  seccomp policy: a shipped name or a policy file\n"
    "                      (default: default; 'none': no seccomp filter at all, the\n"
    "                      other confinement stays).  noexec stops execve and\n"
    "                      execveat only: a program that maps another ELF into\n"
    "                      itself and jumps there still runs it\n"
    "  --timeout TIME      wall-clock deadline of each attempt, e.g. 1.5s\n"
    "  --cpu TIME          CPU time limit (user+system), e.g. 2s\n"
    "  --mem SIZE          memory limit (a memory cgroup where there is one, else\n"
    "                      address space, RLIMIT_AS), e.g. 256M\n"
    "  --fsize SIZE        size no one file may grow past through the task's writes\n"
    "                      (RLIMIT_FSIZE: per file, not a total of all), e.g. 10M\n"
    "  --procs N           most processes at once (a pids cgroup where there is one,\n"
    "                      else RLIMIT_NPROC, which counts all of the user's)\n"
    "  --nofile N          open file limit (highest fd + 1, at least 6)\n"
    "  --out-cap SIZE      bytes kept per output stream (default 64M, at most 1G)\n"
    "  --user NAME|UID     run as this user, supplementary groups cleared (root\n"
    "                      only).  Run by root, tasks run as nobody unless given\n"
    "                      --user root (or 0): a root task without capabilities\n"
    "                      can still write root's files (core_pattern, cgroups)\n"
    "  --cwd DIR           working directory of the command\n"
    "Isolation (each fails closed: where the machine lacks the mechanism the task\n"
    "does not run):\n"
    "  --ro PATH           file rules (Landlock): the task may read beneath PATH;\n"
    "                      with any of --ro/--rw/--exec everything not granted is\n"
    "                      refused, and the system's directories come along (read\n"
    "                      and execute on /usr, /bin, /sbin, /lib*, the loader's\n"
    "                      files and a few of /etc, /dev/null and such) (repeatable)\n"
    "  --rw PATH           read and write (create, remove, rename) beneath PATH\n"
    "  --exec PATH         read and execute beneath PATH\n"
    "  --tmpfs DIR         an empty tmpfs of the task's own over DIR (e.g. /tmp);\n"
    "                      needs a mount namespace; give it --rw DIR to use it\n"
    "  --net none|host     none: a network namespace with only its own loopback\n"
    "                      (the caller's 127.0.0.1 is out of reach); default host\n"
    "  --isolate PRESET    judge: system directories read-only, a private /tmp,\n"
    "                      no network, nothing else readable; add one --rw DIR\n"
    "                      (outside /tmp) for scratch.  isolated: like bwrap\n"
    "                      --unshare-all --ro-bind / / --tmpfs /tmp: all readable,\n"
    "                      only /tmp (private) writable, no network\n"
    "  --env K=V           set a variable in the command's environment (repeatable)\n"
    "  --clear-env         start from an empty environment (then --env)\n"
    "Retries:\n"
    "  --retry N           run again up to N times while the ending matches --retry-on\n"
    "  --retry-on CLASS[,CLASS]  signal names (SIGSEGV), Timeout, CpuLimit,\n"
    "                      MemoryLimit, FileSizeLimit, ProcessLimit, PolicyViolation,\n"
    "                      ExecError, exit:N (the command's exit code), * (any\n"
    "                      exception; the default)\n"
    "  --backoff TIME[,xFACTOR][,max TIME]  delay before each retry, e.g. 100ms,x2,max 5s\n"
    "Reporting:\n"
    "  --json              print only the result, as one JSON object, on stdout\n"
    "  --audit FILE        append the same JSON object as one line per task (a\n"
    "                      regular file; a symbolic link, a FIFO or a file with\n"
    "                      other hard links is refused)\n"
    "  --quiet             cordon says nothing of its own (no exception report, no\n"
    "                      retry notes, no progress or summary); errors still show\n";

static const char run_help[] =
    "Usage: cordon run [OPTIONS] -- CMD ARGS...\n"
    "       cordon run [OPTIONS] --shell 'CMD LINE'\n"
    "Runs one command in a confined, watched child.  Its stdout and stderr pass\n"
    "through live while being captured; a terminal or reader that takes nothing\n"
    "for 1.5 s gets the rest dropped (the capture keeps it), so it cannot hold\n"
    "up the deadline.  Its stdin is cordon's, read-only: a stdin open for\n"
    "writing is reopened read-only, or replaced by /dev/null (with a note) when\n"
    "it cannot be.  When it ends with an exception (a signal, Timeout, a limit)\n"
    "cordon says so on stderr.\n"
    "\n"
    "  --shell LINE        run LINE with /bin/sh -c instead of CMD ARGS\n"
    "  --profile           after the run, print where the command's time went\n"
    "\n"
    "%s"
    "\n"
    "Exit status: the command's own; 128+N if it died of signal N (a limit's\n"
    "kill included: 137 for SIGKILL, e.g. MemoryLimit); 124 Timeout; 125 cordon's\n"
    "own error (bad option, bad policy); 126 not executable; 127 not found;\n"
    "159 PolicyViolation (128+SIGSYS, as a seccomp kill looks).\n"
    "\n"
    "Examples:\n"
    "  cordon run --timeout 1.5s --mem 256M -- ./untrusted input.txt\n"
    "  cordon run --json --policy nonet --shell 'curl -s example.org' | jq .exception\n"
    "  cordon run --retry 3 --retry-on Timeout,exit:75 --backoff 100ms,x2 -- ./flaky\n";

static const char batch_help[] =
    "Usage: cordon batch [-j N] [OPTIONS] [FILE|-]\n"
    "Runs one shell command line per line of FILE (or stdin), at most N at a time.\n"
    "Blank lines and lines starting with # are skipped.  Each task's output is kept\n"
    "apart and printed whole when it ends; on a terminal a progress line shows\n"
    "done/failed/running, the time elapsed and an estimate of the time left; a\n"
    "summary table ends the batch (tasks by outcome and exception class, CPU time,\n"
    "peak memory).  Tasks read /dev/null as stdin.\n"
    "\n"
    "  -j, --jobs N        tasks at once (default: the number of CPUs)\n"
    "  --out-dir DIR       save each task's output as DIR/LINE.out and DIR/LINE.err\n"
    "                      (LINE: its input line number) instead of printing it;\n"
    "                      whatever stood at those names is removed first, and DIR\n"
    "                      itself must not be a symbolic link\n"
    "\n"
    "%s"
    "  With --json each task prints its JSON object as one line.\n"
    "\n"
    "Exit status: 0 when every task succeeded (exit 0, no exception), 1 when some\n"
    "did not, 125 for cordon's own errors.\n"
    "\n"
    "Example:\n"
    "  cordon batch -j 4 --timeout 30s --audit runs.jsonl jobs.txt\n";

static const char policy_help[] =
    "Usage: cordon policy check FILE|NAME\n"
    "       cordon policy show [--bpf] FILE|NAME\n"
    "       cordon policy list\n"
    "       cordon policy import [--out FILE] [--strict] PROFILE.json\n"
    "  check   validate a policy: exit 0, or 1 with the error as file:line:column\n"
    "  show    print the resolved rules, includes expanded, one per line\n"
    "          --bpf  also the compiled filter's size and a disassembly\n"
    "  list    the shipped policies with their one-line descriptions\n"
    "  import  translate a Docker/OCI seccomp profile (JSON) into a cordon policy,\n"
    "          deciding as Docker does on this machine: a task has no capabilities\n"
    "          (entries that includes.caps gives one are left out, those that\n"
    "          excludes.caps names are kept), arches are matched against x86_64,\n"
    "          minKernel against this kernel; each decision is a comment.  Names\n"
    "          no architecture has and ignored members are said on\n"
    "          stderr as FILE:LINE:COL: syscalls[N].names[M]: ...; a malformed\n"
    "          profile is exit 1 with its FILE:LINE:COL\n"
    "          --out FILE  write the policy there instead of stdout\n"
    "          --strict    any note is an error (exit 1, nothing written)\n"
    "\n"
    "Any policy argument, and run's and batch's --policy, also takes\n"
    "docker:PROFILE.json: the profile imported as above, then compiled.\n"
    "\n"
    "Examples:\n"
    "  cordon policy show --bpf nonet\n"
    "  cordon policy import --out docker.policy /etc/docker/seccomp.json\n"
    "  cordon run --policy docker:/etc/docker/seccomp.json -- ./task\n";

static const char report_help[] =
    "Usage: cordon report [--sort cpu|rss|wall] [--top N] AUDIT.jsonl\n"
    "Summarizes an audit file written by --audit: the tasks sorted by CPU time\n"
    "(or peak memory, or wall time), the totals, the failures grouped by\n"
    "exception class, and a histogram of wall times.\n"
    "\n"
    "  --sort KEY   cpu (default), rss or wall\n"
    "  --top N      rows of the task table (default 20; 0: all)\n"
    "\n"
    "Example:\n"
    "  cordon report --sort rss runs.jsonl\n";

int help_print(const char *topic)
{
    if (strcmp(topic, "run") == 0)
        printf(run_help, task_options_help);
    else if (strcmp(topic, "batch") == 0)
        printf(batch_help, task_options_help);
    else if (strcmp(topic, "policy") == 0)
        fputs(policy_help, stdout);
    else if (strcmp(topic, "report") == 0)
        fputs(report_help, stdout);
    else
        fputs(top_help, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
