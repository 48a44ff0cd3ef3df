/* Names of signals, of their si_code causes and of the child's set-up steps:
 * tables, so that adding one is one line. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char *const signal_names[] = {
    [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",       [SIGQUIT] = "SIGQUIT",
    [SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP",     [SIGABRT] = "SIGABRT",
    [SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",       [SIGKILL] = "SIGKILL",
    [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",     [SIGUSR2] = "SIGUSR2",
    [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",     [SIGTERM] = "SIGTERM",
    [SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
    [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",     [SIGTTIN] = "SIGTTIN",
    [SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU",
    [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
    [SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO",       [SIGPWR] = "SIGPWR",
    [SIGSYS] = "SIGSYS",
};

/* The real-time signals' names are built once; the table is then
 * read-only.  Signal numbers run from 1 to _NSIG - 1 (SIGRTMAX, 64 on
 * Linux, included).  As `kill -l` names them: the lower half counts up
 * from SIGRTMIN, the upper half down from SIGRTMAX (64 is SIGRTMAX, as in
 * Python's signal module, not SIGRTMIN+30). */
static char realtime_names[_NSIG][16];
static pthread_once_t realtime_once = PTHREAD_ONCE_INIT;

static void name_realtime_signals(void)
{
    int half = (SIGRTMAX - SIGRTMIN) / 2;
    for (int signo = SIGRTMIN; signo <= SIGRTMAX && signo < _NSIG; signo++) {
        char *name = realtime_names[signo];
        size_t size = sizeof realtime_names[signo];
        if (signo == SIGRTMIN)
            snprintf(name, size, "SIGRTMIN");
        else if (signo == SIGRTMAX)
            snprintf(name, size, "SIGRTMAX");
        else if (signo - SIGRTMIN <= half)
            snprintf(name, size, "SIGRTMIN+%d", signo - SIGRTMIN);
        else
            snprintf(name, size, "SIGRTMAX-%d", SIGRTMAX - signo);
    }
}

const char *cordon_signal_name(int signo)
{
    CORDON__NO_CANCELLATION;
    if (signo > 0 && (size_t)signo < sizeof signal_names / sizeof *signal_names &&
        signal_names[signo])
        return signal_names[signo];
    if (signo >= SIGRTMIN && signo <= SIGRTMAX && signo < _NSIG) {
        pthread_once(&realtime_once, name_realtime_signals);
        return realtime_names[signo];
    }
    return NULL;
}

/* "+n" or "-n" after a real-time end's name: the signal it counts to, or 0. */
static int counted_from(int end, int sign, const char *count)
{
    if (!*count)
        return end;
    if (*count != (sign > 0 ? '+' : '-') || !count[1])
        return 0;
    int n = 0;
    for (const char *c = count + 1; *c; c++) {
        if (*c < '0' || *c > '9' || n > SIGRTMAX)
            return 0;
        n = n * 10 + (*c - '0');
    }
    int signo = end + sign * n;
    return signo >= SIGRTMIN && signo <= SIGRTMAX ? signo : 0;
}

int cordon_signal_number(const char *name)
{
    CORDON__NO_CANCELLATION;
    if (!name)
        return 0;
    const char *bare = strncasecmp(name, "SIG", 3) == 0 ? name + 3 : name;
    if (strncasecmp(bare, "RTMIN", 5) == 0)
        return counted_from(SIGRTMIN, 1, bare + 5);
    if (strncasecmp(bare, "RTMAX", 5) == 0)
        return counted_from(SIGRTMAX, -1, bare + 5);
    for (int signo = 1; (size_t)signo < sizeof signal_names / sizeof *signal_names; signo++)
        if (signal_names[signo] && strcasecmp(signal_names[signo] + 3, bare) == 0)
            return signo;
    return 0;
}

struct code_name {
    int signo, code;
    const char *name, *meaning;
};

/* signo 0 matches every signal (the codes any signal can carry). */
static const struct code_name code_names[] = {
    { SIGSEGV, SEGV_MAPERR, "SEGV_MAPERR", "address not mapped to object" },
    { SIGSEGV, SEGV_ACCERR, "SEGV_ACCERR", "invalid permissions for mapped object" },
    { SIGSEGV, SEGV_BNDERR, "SEGV_BNDERR", "failed address bound checks" },
    { SIGSEGV, SEGV_PKUERR, "SEGV_PKUERR", "access denied by memory protection keys" },
    { SIGBUS, BUS_ADRALN, "BUS_ADRALN", "invalid address alignment" },
    { SIGBUS, BUS_ADRERR, "BUS_ADRERR", "nonexistent physical address" },
    { SIGBUS, BUS_OBJERR, "BUS_OBJERR", "object-specific hardware error" },
    { SIGFPE, FPE_INTDIV, "FPE_INTDIV", "integer divide by zero" },
    { SIGFPE, FPE_INTOVF, "FPE_INTOVF", "integer overflow" },
    { SIGFPE, FPE_FLTDIV, "FPE_FLTDIV", "floating-point divide by zero" },
    { SIGFPE, FPE_FLTOVF, "FPE_FLTOVF", "floating-point overflow" },
    { SIGFPE, FPE_FLTUND, "FPE_FLTUND", "floating-point underflow" },
    { SIGFPE, FPE_FLTRES, "FPE_FLTRES", "floating-point inexact result" },
    { SIGFPE, FPE_FLTINV, "FPE_FLTINV", "floating-point invalid operation" },
    { SIGILL, ILL_ILLOPC, "ILL_ILLOPC", "illegal opcode" },
    { SIGILL, ILL_ILLOPN, "ILL_ILLOPN", "illegal operand" },
    { SIGILL, ILL_ILLADR, "ILL_ILLADR", "illegal addressing mode" },
    { SIGILL, ILL_ILLTRP, "ILL_ILLTRP", "illegal trap" },
    { SIGILL, ILL_PRVOPC, "ILL_PRVOPC", "privileged opcode" },
    { SIGTRAP, TRAP_BRKPT, "TRAP_BRKPT", "process breakpoint" },
    { SIGTRAP, TRAP_TRACE, "TRAP_TRACE", "process trace trap" },
    { SIGSYS, 1 /* SYS_SECCOMP */, "SYS_SECCOMP", "system call refused by seccomp" },
    { 0, SI_USER, "SI_USER", "sent by kill or raise" },
    { 0, SI_TKILL, "SI_TKILL", "sent by tkill or raise" },
    { 0, SI_QUEUE, "SI_QUEUE", "sent by sigqueue" },
    { 0, SI_KERNEL, "SI_KERNEL", "sent by the kernel" },
};

const char *cordon__signal_code_name(int signo, int code, const char **meaning)
{
    for (size_t i = 0; i < sizeof code_names / sizeof *code_names; i++) {
        const struct code_name *c = &code_names[i];
        if ((c->signo == signo || c->signo == 0) && c->code == code) {
            if (meaning)
                *meaning = c->meaning;
            return c->name;
        }
    }
    if (meaning)
        *meaning = "unknown cause";
    return NULL;
}

static const char *const step_names[STEP_COUNT_] = {
    [STEP_NONE] = "none",
    [STEP_PROCESS_GROUP] = "starting a session of its own",
    [STEP_PARENT_DEATH_SIGNAL] = "asking to die with its parent",
    [STEP_CGROUP] = "joining its control groups",
    [STEP_LANDLOCK] = "entering its Landlock domain",
    [STEP_FILE_DESCRIPTORS] = "setting up its file descriptors",
    [STEP_SIGNALS] = "resetting signal dispositions",
    [STEP_WORKING_DIRECTORY] = "changing to its working directory",
    [STEP_RESOURCE_LIMITS] = "setting resource limits",
    [STEP_USER] = "switching user",
    [STEP_CAPABILITIES] = "dropping capabilities",
    [STEP_NO_NEW_PRIVILEGES] = "setting no_new_privs",
    [STEP_SECCOMP] = "installing the seccomp filter",
    [STEP_SHARED_MEMORY] = "unmapping the shared memory it inherited",
    [STEP_NAMESPACES] = "entering its namespaces",
    [STEP_EXEC] = "executing the command",
    [STEP_SETUP_HOOK] = "running its set-up hook",
    [STEP_KEYRING] = "leaving the caller's session keyring",
    [STEP_SETUP_HOOK_FDS] = "checking its fds 0-4 after its set-up hook, which closed or "
                            "replaced one (a hook must leave them as they are)",
};

const char *cordon__step_name(int step)
{
    if (step <= 0 || step >= STEP_COUNT_)
        return "an unknown step";
    return step_names[step];
}
