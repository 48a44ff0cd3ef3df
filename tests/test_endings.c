/*
 * How a task ends, as a table: each row is a command for `cordon run
 * --json` and what must come of it — the exception, exit_code, signal and
 * the CLI's own exit status.  An exception names a limit or a violation
 * only when cordon saw it happen; an exit status that looks like a signal
 * (137, 152, 153, 159) is a number, and a signal the task sends itself is
 * that signal, not a limit.
 */
#include <stdlib.h>
#include <sys/wait.h>

#include "runner_support.h"

#define H "\"$CORDON_HOSTILE_DIR/hostile\" "

/* What a row needs of the task's confinement beyond a filter and limits.
 * Without a pid namespace or a cgroup of its own (an unprivileged caller
 * with CORDON_NO_NAMESPACES=1) a task may not start a session (the
 * filter refuses setsid: nothing could end a session that left), so a
 * daemon's setsid and a nested cordon fail; and without a cgroup or a
 * user namespace a process limit is RLIMIT_NPROC, which counts every
 * process of the user's, the caller's included.  Without a pid namespace
 * a process may not make its parent, the caller there, its tracer: the
 * filter refuses PTRACE_TRACEME (test_hostile_processes.c asks that). */
enum needs { NEEDS_NOTHING, NEEDS_SESSIONS, NEEDS_OWN_PROCESS_COUNT, NEEDS_INIT };

typedef struct ending {
    const char *name;
    const char *options[8];     /* before --shell, NULL-terminated */
    const char *shell;          /* NULL: `options` hold the whole command after them */
    const char *exception;      /* NULL: none */
    int exit_code, signal, status;
} ending;

static const ending endings[] = {
    /* exit statuses, some that look like signals */
    { "exit 0", { NULL }, "exit 0", NULL, 0, 0, 0 },
    { "exit 3", { NULL }, "exit 3", NULL, 3, 0, 3 },
    { "exit 124", { NULL }, "exit 124", NULL, 124, 0, 124 },
    { "exit 137", { "--mem", "256M", NULL }, "exit 137", NULL, 137, 0, 137 },
    { "exit 152 under a CPU limit", { "--cpu", "10s", NULL }, "exit 152", NULL, 152, 0, 152 },
    { "exit 153 under a file size limit", { "--fsize", "4M", NULL }, "exit 153", NULL, 153, 0,
      153 },
    { "exit 159 under the default policy", { NULL }, "exit 159", NULL, 159, 0, 159 },
    { "exit 125, ConfinementError's number", { NULL }, "exit 125", NULL, 125, 0, 125 },
    { "exit 127, a missing command's number", { NULL }, "exit 127", NULL, 127, 0, 127 },
    { "a child killed, its status passed on", { NULL }, "sh -c 'kill -KILL $$'; exit $?", NULL,
      137, 0, 137 },
    /* signals the task sends itself */
    { "kill -HUP $$", { NULL }, "kill -HUP $$", "SIGHUP", 129, 1, 129 },
    { "kill -INT $$", { NULL }, "kill -INT $$", "SIGINT", 130, 2, 130 },
    { "kill -QUIT $$", { NULL }, "kill -QUIT $$", "SIGQUIT", 131, 3, 131 },
    { "kill -ILL $$", { NULL }, "kill -ILL $$", "SIGILL", 132, 4, 132 },
    { "kill -TRAP $$", { NULL }, "kill -TRAP $$", "SIGTRAP", 133, 5, 133 },
    { "kill -ABRT $$", { NULL }, "kill -ABRT $$", "SIGABRT", 134, 6, 134 },
    { "kill -BUS $$", { NULL }, "kill -BUS $$", "SIGBUS", 135, 7, 135 },
    { "kill -FPE $$", { NULL }, "kill -FPE $$", "SIGFPE", 136, 8, 136 },
    { "kill -KILL $$", { NULL }, "kill -KILL $$", "SIGKILL", 137, 9, 137 },
    { "kill -USR1 $$", { NULL }, "kill -USR1 $$", "SIGUSR1", 138, 10, 138 },
    { "kill -SEGV $$", { NULL }, "kill -SEGV $$", "SIGSEGV", 139, 11, 139 },
    { "kill -PIPE $$", { NULL }, "kill -PIPE $$", "SIGPIPE", 141, 13, 141 },
    { "kill -ALRM $$", { NULL }, "kill -ALRM $$", "SIGALRM", 142, 14, 142 },
    { "kill -TERM $$", { NULL }, "kill -TERM $$", "SIGTERM", 143, 15, 143 },
    { "kill -XCPU $$ under a CPU limit", { "--cpu", "10s", NULL }, "kill -XCPU $$", "SIGXCPU",
      152, 24, 152 },
    { "kill -XCPU $$", { NULL }, "kill -XCPU $$", "SIGXCPU", 152, 24, 152 },
    { "kill -XFSZ $$", { NULL }, "kill -XFSZ $$", "SIGXFSZ", 153, 25, 153 },
    { "kill -SYS $$ under the default policy", { NULL }, "kill -SYS $$", "SIGSYS", 159, 31, 159 },
    { "kill -SYS $$ without a policy", { "--policy", "none", NULL }, "kill -SYS $$", "SIGSYS", 159,
      31, 159 },
    /* signals from another process of the tree */
    { "TERM from a child", { NULL }, "(sleep 0.05; kill -TERM $$) & sleep 5", "SIGTERM", 143, 15,
      143 },
    { "KILL from a child", { NULL }, "(sleep 0.05; kill -KILL $$) & sleep 5", "SIGKILL", 137, 9,
      137 },
    { "XCPU from a child under a CPU limit", { "--cpu", "10s", NULL },
      "(sleep 0.05; kill -XCPU $$) & sleep 5", "SIGXCPU", 152, 24, 152 },
    { "KILL after CPU spent in a waited child, under a CPU limit", { "--cpu", "10s", NULL },
      "sh -c 'i=0; while [ $i -lt 60000 ]; do i=$((i+1)); done'; kill -KILL $$", "SIGKILL", 137,
      9, 137 },
    { "INT from a child", { NULL }, "(sleep 0.05; kill -INT $$) & sleep 5", "SIGINT", 130, 2,
      130 },
    /* the deadline */
    { "deadline", { "--timeout", "200ms", NULL }, "sleep 5", "Timeout", 137, 9, 124 },
    { "deadline, TERM ignored", { "--timeout", "200ms", NULL }, "trap '' TERM; sleep 5",
      "Timeout", 137, 9, 124 },
    { "deadline not reached", { "--timeout", "5s", NULL }, "exit 6", NULL, 6, 0, 6 },
    /* the CPU limit, over the whole tree */
    { "CPU limit", { "--cpu", "200ms", NULL }, H "spin", "CpuLimit", 137, 9, 137 },
    { "CPU limit in a pipeline", { "--cpu", "200ms", NULL }, H "spin | cat", "CpuLimit", 137, 9,
      137 },
    { "CPU limit of whole seconds in a pipeline", { "--cpu", "1s", NULL }, H "spin | cat",
      "CpuLimit", 137, 9, 137 },
    { "CPU limit over unwaited children", { "--cpu", "300ms", NULL },
      "(" H "spin &); (" H "spin &); sleep 5", "CpuLimit", 137, 9, 137 },
    { "CPU limit over waited children", { "--cpu", "300ms", NULL },
      "for i in 1 2 3 4 5 6 7 8 9 10; do "
      "sh -c 'i=0; while [ $i -lt 60000 ]; do i=$((i+1)); done'; done; sleep 5",
      "CpuLimit", 137, 9, 137 },
    { "CPU limit not reached", { "--cpu", "5s", NULL }, "sleep 0.05; exit 4", NULL, 4, 0, 4 },
    /* the memory limit */
    { "memory limit", { "--mem", "64M", "--", "env", "sh", "-c", NULL }, "exec " H "allocate",
      "MemoryLimit", 137, 9, 137 },
    { "memory limit on a child, status passed on", { "--mem", "64M", NULL },
      H "allocate; exit $?", "MemoryLimit", 137, 0, 137 },
    { "memory limit on a child, handled", { "--mem", "64M", NULL }, H "allocate; exit 0", NULL,
      0, 0, 0 },
    { "memory limit not reached", { "--mem", "256M", NULL }, "exit 0", NULL, 0, 0, 0 },
    /* the process limit */
    { "process limit, then a failure", { "--procs", "3", NULL },
      "sleep 1 & sleep 1 & sleep 1 & sleep 1 & wait", "ProcessLimit", 2, 0, 2 },
    { "process limit, handled", { "--procs", "3", NULL },
      "(sleep 1 & sleep 1 & sleep 1 & sleep 1 & wait) 2>/dev/null; exit 0", NULL, 0, 0, 0 },
    { "process limit, then a hang", { "--procs", "3", "--timeout", "300ms", NULL },
      "(sleep 5 & sleep 5 & sleep 5 & sleep 5) 2>/dev/null; sleep 5", "Timeout", 137, 9, 124 },
    { "process limit not reached", { "--procs", "5", NULL }, "exit 3", NULL, 3, 0, 3 },
    /* a signal long after a limit acted is not the limit's (it had been
     * named for any later failure, a kill from outside too); an exit
     * status stays the task's word that it failed, whenever */
    { "memory limit on a child, a TERM a second later", { "--mem", "64M", NULL },
      H "allocate; sleep 1; kill -TERM $$", "SIGTERM", 143, 15, 143 },
    { "memory limit on a child, a KILL a second later", { "--mem", "64M", NULL },
      H "allocate; sleep 1; kill -KILL $$", "SIGKILL", 137, 9, 137 },
    { "memory limit on a child, a failure a second later", { "--mem", "64M", NULL },
      H "allocate; sleep 1; exit 3", "MemoryLimit", 3, 0, 3 },
    { "process limit, a TERM a second later", { "--procs", "3", NULL },
      "(sleep 1 & sleep 1 & sleep 1 & sleep 1 & wait) 2>/dev/null; sleep 1; kill -TERM $$",
      "SIGTERM", 143, 15, 143 },
    /* the file size limit */
    { "file size limit", { "--fsize", "1M", NULL },
      "exec head -c 3000000 /dev/zero > \"$ENDINGS_DIR/a\"", "FileSizeLimit", 153, 25, 153 },
    { "file size limit on a child", { "--fsize", "1M", NULL },
      "head -c 3000000 /dev/zero > \"$ENDINGS_DIR/b\"", NULL, 153, 0, 153 },
    { "file size limit not reached", { "--fsize", "4M", NULL },
      "head -c 1000 /dev/zero > \"$ENDINGS_DIR/c\"", NULL, 0, 0, 0 },
    /* under a file size limit the task cannot send itself SIGXFSZ (EPERM),
     * so a SIGXFSZ death is the limit's; without a filter, nothing tells */
    { "kill -XFSZ $$ under a file size limit", { "--fsize", "4M", NULL },
      "kill -XFSZ $$ 2>/dev/null; exit 7", NULL, 7, 0, 7 },
    { "kill -XFSZ 0 under a file size limit", { "--fsize", "4M", NULL },
      "kill -XFSZ 0 2>/dev/null; exit 7", NULL, 7, 0, 7 },
    /* nor lower its own limit: the limit it meets is cordon's */
    { "ulimit -f under a file size limit", { "--fsize", "4M", NULL },
      "ulimit -f 8 2>/dev/null; exec head -c 100000 /dev/zero > \"$ENDINGS_DIR/f\"", NULL, 0, 0,
      0 },
    { "prlimit on itself under a file size limit", { "--fsize", "4M", NULL },
      "prlimit --fsize=8192 --pid $$ 2>/dev/null; exec head -c 100000 /dev/zero > "
      "\"$ENDINGS_DIR/g\"", NULL, 0, 0, 0 },
    { "ulimit -f without a filter", { "--policy", "none", "--fsize", "4M", NULL },
      "ulimit -f 8; exec head -c 100000 /dev/zero > \"$ENDINGS_DIR/h\"", "SIGXFSZ", 153, 25,
      153 },
    { "file size limit without a filter", { "--policy", "none", "--fsize", "1M", NULL },
      "exec head -c 3000000 /dev/zero > \"$ENDINGS_DIR/d\"", "SIGXFSZ", 153, 25, 153 },
    { "kill -XFSZ $$ under a file size limit without a filter",
      { "--policy", "none", "--fsize", "4M", NULL }, "kill -XFSZ $$", "SIGXFSZ", 153, 25, 153 },
    /* cordon inside cordon, and limits above the caller's own: the inner
     * run's limits cannot exceed the hard limits it was given, and are
     * held at them instead of failing its set-up */
    { "a CPU limit above the caller's own", { "--policy", "none", "--cpu", "500ms", NULL },
      "\"$CORDON_RUNNER\" run --cpu 10s -- /bin/true", NULL, 0, 0, 0 },
    { "nested CPU limits, the outer one reached", { "--policy", "none", "--cpu", "300ms", NULL },
      "\"$CORDON_RUNNER\" run --cpu 10s -- " H "spin", "CpuLimit", 137, 9, 137 },
    { "nested CPU limits, the inner one reached", { "--policy", "none", "--cpu", "10s", NULL },
      "\"$CORDON_RUNNER\" run --cpu 300ms -- " H "spin", NULL, 137, 0, 137 },
    { "a file size limit above the caller's own", { "--policy", "none", "--fsize", "1M", NULL },
      "\"$CORDON_RUNNER\" run --json --fsize 4M --shell 'exec head -c 3000000 /dev/zero > "
      "\"$ENDINGS_DIR/e\"' | grep -q '\"exception\":\"SIGXFSZ\"'", NULL, 0, 0, 0 },
    { "nested memory limits, the outer one reached", { "--policy", "none", "--mem", "64M", NULL },
      "\"$CORDON_RUNNER\" run --mem 1G -- " H "allocate", "MemoryLimit", 137, 0, 137 },
    /* orphans and daemons */
    { "orphans left spinning", { NULL }, "(" H "spin &); (" H "spin &); sleep 0.1", NULL, 0, 0,
      0 },
    { "a daemon left sleeping", { NULL }, "sh -c 'sleep 100 &'; exit 0", NULL, 0, 0, 0 },
    /* endings nobody tried before (audit 4): trees of other shapes under
     * a CPU limit, limits not reached whose look-alike signals arrive from
     * another process of the task, a task that lowers its own CPU limit,
     * and nested process limits */
    { "CPU limit over a daemon that made its own session", { "--cpu", "300ms", NULL },
      "(setsid " H "spin &); sleep 5", "CpuLimit", 137, 9, 137 },
    { "CPU limit over children left as zombies", { "--cpu", "300ms", NULL },
      H "spin & " H "spin & exec sleep 5", "CpuLimit", 137, 9, 137 },
    { "CPU limit over a pipeline of pipelines", { "--cpu", "300ms", NULL },
      "(" H "spin | cat) | cat", "CpuLimit", 137, 9, 137 },
    { "its own soft CPU limit lowered under a CPU limit", { "--cpu", "10s", NULL },
      "ulimit -St 1; exec " H "spin", "SIGXCPU", 152, 24, 152 },
    { "its own hard CPU limit lowered under a CPU limit", { "--cpu", "10s", NULL },
      "ulimit -t 1; exec " H "spin", "SIGKILL", 137, 9, 137 },
    { "exit 152 after CPU spent in a waited child, under a CPU limit", { "--cpu", "10s", NULL },
      "sh -c 'i=0; while [ $i -lt 60000 ]; do i=$((i+1)); done'; exit 152", NULL, 152, 0, 152 },
    { "deadline with a CPU limit not reached", { "--cpu", "10s", "--timeout", "200ms", NULL },
      "sleep 5", "Timeout", 137, 9, 124 },
    { "deadline of a stopped task", { "--timeout", "200ms", NULL }, "kill -STOP $$", "Timeout",
      137, 9, 124 },
    { "KILL from a child under a memory limit", { "--mem", "256M", NULL },
      "(sleep 0.05; kill -KILL $$) & sleep 5", "SIGKILL", 137, 9, 137 },
    { "KILL from a child under a process limit", { "--procs", "20", NULL },
      "(sleep 0.05; kill -KILL $$) & sleep 5", "SIGKILL", 137, 9, 137 },
    { "XFSZ from a child under a file size limit", { "--fsize", "4M", NULL },
      "(kill -XFSZ $$ 2>/dev/null) & sleep 0.3; exit 5", NULL, 5, 0, 5 },
    { "SYS from a child under the default policy", { NULL },
      "(sleep 0.05; kill -SYS $$) & sleep 5", "SIGSYS", 159, 31, 159 },
    { "memory limit on a background child, then success", { "--mem", "64M", NULL },
      "(" H "allocate &); sleep 1; exit 0", NULL, 0, 0, 0 },
    { "memory limit on a background child, then a failure", { "--mem", "64M", NULL },
      H "allocate & wait; exit 1", "MemoryLimit", 1, 0, 1 },
    { "nested process limits, the outer one reached", { "--policy", "none", "--procs", "8", NULL },
      "\"$CORDON_RUNNER\" run --procs 100 --shell 'i=0; while [ $i -lt 10 ]; do sleep 0.3 & "
      "i=$((i+1)); done; wait' 2>/dev/null", "ProcessLimit", 2, 0, 2 },
    /* endings nobody tried before (audit 5): limits reached or set whose
     * look-alikes the task made itself, and a signal to cordon's init */
    { "process limit reached exactly, none refused, then a failure", { "--procs", "3", NULL },
      "sleep 0.2 & sleep 0.2 & wait; exit 1", NULL, 1, 0, 1 },
    { "file size limit with its signal ignored", { "--fsize", "1M", NULL },
      "trap '' XFSZ; exec head -c 2000000 /dev/zero > \"$ENDINGS_DIR/ignored\"", NULL, 1, 0, 1 },
    { "a child killed under a memory limit not reached", { "--mem", "256M", NULL },
      "sh -c 'kill -KILL $$'; exit $?", NULL, 137, 0, 137 },
    { "TERM to itself under a CPU limit not reached", { "--cpu", "5s", NULL }, "kill -TERM $$",
      "SIGTERM", 143, 15, 143 },
    { "exit 124 under a deadline not reached", { "--timeout", "5s", NULL }, "exit 124", NULL,
      124, 0, 124 },
    { "a background sleeper under a deadline, then a failure", { "--timeout", "2s", NULL },
      "sleep 5 & exit 3", NULL, 3, 0, 3 },
    { "USR1 to cordon's init, then a failure", { NULL },
      "kill -USR1 1 2>/dev/null; sleep 0.1; exit 3", NULL, 3, 0, 3 },
    /* endings nobody tried before (audit 6): numbers of a failed exec the
     * task's own shell gives, a signal's number passed on under the limit
     * it names, cordon's init signalled with what it cannot take, and a
     * deadline over a task that ignores the polite signal */
    { "exit 126, a not-executable command's number", { NULL }, "exit 126", NULL, 126, 0, 126 },
    { "a shell's own exec of a missing program", { NULL }, "exec /nonexistent/command", NULL,
      127, 0, 127 },
    { "a child's XCPU passed on under a CPU limit not reached", { "--cpu", "10s", NULL },
      "sh -c 'kill -XCPU $$'; exit $?", NULL, 152, 0, 152 },
    { "KILL to cordon's init, then a failure", { NULL },
      "kill -KILL 1 2>/dev/null; sleep 0.1; exit 3", NULL, 3, 0, 3 },
    { "a deadline over a task that ignores TERM", { "--timeout", "300ms", NULL },
      "trap '' TERM; while :; do :; done", "Timeout", 137, 9, 124 },
    /* the policy */
    { "policy violation", { "--policy", "nonet-kill", "--", "env", "sh", "-c", NULL },
      "exec " H "socket-inet", "PolicyViolation", 137, 9, 159 },
    { "command not found", { "--", "/nonexistent/command", NULL }, NULL, "ExecError", 127, 0,
      127 },
    /* a process that made cordon's init its tracer: its stops are no end,
     * and its signals act as they would untraced */
    { "traced by its init, a signal's default", { "--policy", "none", "--timeout", "20s", NULL },
      "exec " H "traced-by-its-parent default 10", "SIGUSR1", 138, 10, 138 },
    { "traced by its init, a signal handled", { "--policy", "none", "--timeout", "20s", NULL },
      "exec " H "traced-by-its-parent handled 12", NULL, 7, 0, 7 },
    { "traced by its init, then an exec", { "--policy", "none", "--timeout", "20s", NULL },
      "exec " H "traced-by-its-parent exec 0", NULL, 5, 0, 5 },
    { "traced by its init again and again, its deadline", { "--policy", "none", "--timeout",
      "1s", NULL }, "exec " H "traced-again-and-again 8", "Timeout", 137, 9, 124 },
    /* a first process traced by its own child, which outlives it: its
     * exit goes to the tracer alone, and had read as the deadline's */
    { "traced by its child, its exit", { "--policy", "none", "--timeout", "5s", NULL },
      "exec " H "traced-by-its-child 3 30", NULL, 3, 0, 3 },
    { "traced by its child, a success", { "--policy", "none", "--timeout", "5s", NULL },
      "exec " H "traced-by-its-child 0 30", NULL, 0, 0, 0 },
};

/* The value after "key": in cordon's one-line JSON. */
static const char *json_value(const char *json, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(json, pattern);
    return at ? at + strlen(pattern) : NULL;
}

static const struct {
    const char *name;
    enum needs needs;
} row_needs[] = {
    { "process limit, handled", NEEDS_OWN_PROCESS_COUNT },
    { "process limit, a TERM a second later", NEEDS_OWN_PROCESS_COUNT },
    { "process limit, then a hang", NEEDS_OWN_PROCESS_COUNT },
    { "process limit reached exactly, none refused, then a failure", NEEDS_OWN_PROCESS_COUNT },
    { "a CPU limit above the caller's own", NEEDS_SESSIONS },
    { "nested CPU limits, the outer one reached", NEEDS_SESSIONS },
    { "nested CPU limits, the inner one reached", NEEDS_SESSIONS },
    { "a file size limit above the caller's own", NEEDS_SESSIONS },
    { "CPU limit over a daemon that made its own session", NEEDS_SESSIONS },
    { "traced by its init, a signal's default", NEEDS_INIT },
    { "traced by its init, a signal handled", NEEDS_INIT },
    { "traced by its init, then an exec", NEEDS_INIT },
    { "traced by its init again and again, its deadline", NEEDS_INIT },
    { "traced by its child, its exit", NEEDS_INIT },
    { "traced by its child, a success", NEEDS_INIT },
};

static enum needs needs_of(const ending *e)
{
    for (size_t i = 0; i < sizeof row_needs / sizeof *row_needs; i++)
        if (strcmp(row_needs[i].name, e->name) == 0)
            return row_needs[i].needs;
    return NEEDS_NOTHING;
}

static bool check_row(const ending *e)
{
    const char *args[16] = { "run", "--json" };
    size_t n = 2;
    bool has_command = false;
    for (size_t i = 0; e->options[i]; i++) {
        has_command = has_command || strcmp(e->options[i], "--") == 0;
        args[n++] = e->options[i];
    }
    if (e->shell && !has_command)
        args[n++] = "--shell";
    if (e->shell)
        args[n++] = e->shell;
    args[n] = NULL;
    captured c = cordon_with_input(NULL, args);
    /* Where no memory or pids cgroup can be made (a caller without root
     * or a delegated subtree), an rlimit stands in and the task sees a
     * refusal instead: those rows do not apply. */
    bool needs_cgroup = e->exception && (strcmp(e->exception, "MemoryLimit") == 0 ||
                                         strcmp(e->exception, "ProcessLimit") == 0);
    bool cgroup = record_held_by(c.out, "cgroup");
    bool lacking = (needs_cgroup && !cgroup) ||
                   (needs_of(e) == NEEDS_SESSIONS && !cgroup &&
                    !record_held_by(c.out, "pid_namespace")) ||
                   (needs_of(e) == NEEDS_OWN_PROCESS_COUNT && !cgroup &&
                    !record_held_by(c.out, "user_namespace")) ||
                   (needs_of(e) == NEEDS_INIT && !record_held_by(c.out, "pid_namespace"));
    if (lacking) {
        fprintf(stderr, "%s: does not apply to a task confined as this one was\n", e->name);
        captured_free(&c);
        return true;
    }
    const char *exception = json_value(c.out, "exception");
    const char *code = json_value(c.out, "exit_code"), *signo = json_value(c.out, "signal");
    char expected[80];
    snprintf(expected, sizeof expected, e->exception ? "\"%s\"" : "null",
             e->exception ? e->exception : "");
    bool ok = exception && code && signo && strncmp(exception, expected, strlen(expected)) == 0 &&
              atoi(code) == e->exit_code && atoi(signo) == e->signal && c.status == e->status;
    if (!ok)
        fprintf(stderr, "%s: expected %s, exit_code %d, signal %d, status %d; got status %d:\n"
                "%.1500s\n%.500s\n", e->name, expected, e->exit_code, e->signal, e->status,
                c.status, c.out, c.err);
    captured_free(&c);
    return ok;
}

static void test_endings_table(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    setenv("ENDINGS_DIR", dir, 1);
    size_t count = sizeof endings / sizeof *endings, failures = 0;
    assert_true(count >= 40);
    /* Most rows wait (a deadline, a sleeping child): run a few at once,
     * each in a process of its own, writing only its own file. */
    enum { ROWS_AT_ONCE = 4 };
    size_t started = 0, running = 0;
    while (started < count || running > 0) {
        if (started < count && running < ROWS_AT_ONCE) {
            pid_t row = fork();
            assert_true(row >= 0);
            if (row == 0)
                _exit(check_row(&endings[started]) ? 0 : 1);
            started++, running++;
            continue;
        }
        int status;
        pid_t ended = waitpid(-1, &status, 0);
        assert_true(ended > 0);
        running--;
        failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    remove_tree(dir);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endings_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
