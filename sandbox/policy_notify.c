/*
 * Parent side of "kill" rules: the seccomp listener reports the call, the
 * parent names it ("socket(AF_INET, SOCK_STREAM, 0): killed by rule
 * nonet.policy:4", decoded by syscall_args.c) and leaves it
 * unanswered, so the call never returns: the engine then kills the task's
 * tree.  One exception: a command's own exec, counted by the child before
 * it execs, is let through.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_decide.h"
#include "policy_rules.h"
#include "syscall_args.h"

static int append(char *out, size_t size, size_t used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char *out, size_t size, size_t used, const char *fmt, ...)
{
    if (used >= size)
        return (int)used;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(out + used, size - used, fmt, args);
    va_end(args);
    return n < 0 ? (int)used : (int)(used + (size_t)n);
}

/* "an i386 call: getpid(…)": a call through another ABI than the task's
 * own, which no policy rule covers. */
static size_t describe_foreign(const struct seccomp_data *data, char *out, size_t size)
{
    uint32_t arch = data->arch;
    int nr = data->nr;
    const char *abi = "foreign-ABI";
    if (arch == SCMP_ARCH_X86)
        abi = "i386 (int $0x80)";
    if (arch == SCMP_ARCH_X86_64 && (nr & X32_SYSCALL_BIT)) {
        abi = "x32";
        arch = SCMP_ARCH_X32;
    }
    char *name = seccomp_syscall_resolve_num_arch(arch, nr);
    int used = name ? append(out, size, 0, "an %s call: %s(", abi, name)
                    : append(out, size, 0, "an %s call: syscall %d(", abi, nr);
    free(name);
    return (size_t)used;
}

/* ": killed by rule FILE:LINE": which line of the policy forbade it. */
static void name_decider(const struct cordon__notify_state *state, const struct seccomp_data *data,
                         const uint64_t args[6], char *out, size_t size, size_t used)
{
    cordon_decision d;
    if (!state->policy || cordon_policy_decide(state->policy, data->nr, args, &d) < 0 ||
        strcmp(d.action, "kill") != 0)
        return;
    if (strcmp(d.reason, "rule") == 0 || strcmp(d.reason, "ambiguous") == 0)
        append(out, size, used, ": killed by rule %s:%u", d.origin, d.line);
    else if (strcmp(d.reason, "default") == 0 && d.origin)
        append(out, size, used, ": killed by the default (%s:%u)", d.origin, d.line);
    else if (strcmp(d.reason, "newer") == 0)
        append(out, size, used, ": killed as newer than cordon's syscall table");
}

/* Paths and names are read from the suspended task's memory. */
struct task_reading {
    pid_t pid;
    bool may_wait;  /* its policy lets it make a userfaultfd (or there is none) */
};

static int read_from_task(void *context, uint64_t address, char *buffer, size_t size)
{
    const struct task_reading *task = context;
    return cordon__task_read_string(task->pid, address, buffer, size, task->may_wait);
}

/* Whether the task can have made a userfaultfd, whose pages make a read
 * of its memory wait for good (task_memory.c then gives up after a while). */
static bool reads_may_wait(const struct cordon__notify_state *state)
{
    return state->learning || !state->policy || state->policy->may_make_userfaultfd;
}

static void describe(int listener_fd, const struct cordon__notify_state *state,
                     const struct seccomp_notif *request, char *out, size_t size)
{
    const struct seccomp_data *data = &request->data;
    bool native = data->arch == seccomp_arch_native() && !(data->nr & X32_SYSCALL_BIT);
    if (!native) {
        /* A foreign ABI passes its arguments in other registers: none are shown. */
        append(out, size, describe_foreign(data, out, size), ")");
        return;
    }
    uint64_t args[6];
    for (unsigned i = 0; i < 6; i++)
        args[i] = data->args[i];
    struct task_reading task = {
        .pid = (pid_t)request->pid,
        .may_wait = reads_may_wait(state),
    };
    size_t used = cordon__describe_call_reading(data->nr, args, read_from_task, &task, out, size);
    /* Still the same notification, so the pid read from was the task's
     * (not a process that took its number after it died). */
    if (seccomp_notify_id_valid(listener_fd, request->id) != 0)
        used = cordon__describe_call(data->nr, args, out, size);
    name_decider(state, data, args, out, size, used < size ? used : size);
}

static bool is_exec(const struct seccomp_data *data)
{
    return data->arch == seccomp_arch_native() && (data->nr == SYS_execve || data->nr == SYS_execveat);
}

/* The command's own exec: made by the first child, counted by it in the
 * shared region before the call (only where its filter sends the call
 * here: lib/child.c), and not yet answered. */
static bool own_exec(const struct seccomp_notif *request, struct cordon__notify_state *state)
{
    /* execve only: the child never makes an execveat (one was let through
     * as the command's own) */
    if (!state->exec_attempts || !is_exec(&request->data) || request->data.nr != SYS_execve ||
        (pid_t)request->pid != state->child_pid)
        return false;
    uint32_t attempts = __atomic_load_n(state->exec_attempts, __ATOMIC_ACQUIRE);
    return state->execs_answered < attempts;
}

/* The native number of an exec call in the native ABI or one the policy
 * admits (its errno rules reach i386's and x32's execs too), else -1: an
 * ABI it does not admit is killed, whatever the call. */
static int exec_call_number(const struct seccomp_data *data, const cordon_policy *p)
{
    enum { I386_EXECVE = 11, I386_EXECVEAT = 358, X32_EXECVE = 520, X32_EXECVEAT = 545 };
    if (data->arch == SCMP_ARCH_X86 && (p->foreign_arches & ARCH_I386))
        return data->nr == I386_EXECVE ? SYS_execve : data->nr == I386_EXECVEAT ? SYS_execveat : -1;
    if (data->arch != seccomp_arch_native())
        return -1;
    if (data->nr == SYS_execve || data->nr == SYS_execveat)
        return data->nr;
    if (!(p->foreign_arches & ARCH_X32))
        return -1;
    return data->nr == (X32_SYSCALL_BIT | X32_EXECVE)     ? SYS_execve
           : data->nr == (X32_SYSCALL_BIT | X32_EXECVEAT) ? SYS_execveat
                                                          : -1;
}

/* An exec after the command's own that the task's policy answers with an
 * errno (policy_compile.c sends those here): that errno, as the filter
 * would have returned it; 0 for any other call. */
static int exec_errno(const struct seccomp_notif *request, const struct cordon__notify_state *state)
{
    int nr = state->policy ? exec_call_number(&request->data, state->policy) : -1;
    if (nr < 0)
        return 0;
    uint64_t args[6];
    for (unsigned i = 0; i < 6; i++)
        args[i] = request->data.args[i];
    int answer;
    if (!cordon__policy_exec_errno(state->policy, nr, args, &answer))
        return 0;
    return answer ? answer : CORDON__NOTIFY_ERRNO_ZERO;
}

/* A timer_create or mq_notify of the task's that a file size limit's
 * variant sent here, and that the task's policy itself lets through. */
static bool watched_signal_source(const struct seccomp_notif *request,
                                  const struct cordon__notify_state *state)
{
    const struct seccomp_data *data = &request->data;
    if (!state->watch_signal_sources || data->arch != seccomp_arch_native() ||
        (data->nr != SYS_timer_create && data->nr != SYS_mq_notify))
        return false;
    uint64_t args[6];
    for (unsigned i = 0; i < 6; i++)
        args[i] = data->args[i];
    return !state->policy || cordon__variant_lets_through(state->policy, data->nr, args);
}

/* error 0: the call goes on as if no filter had stopped it; else it
 * fails with that errno without being made (CORDON__NOTIFY_ERRNO_ZERO:
 * returns 0 without being made, as a filter's "errno 0" does — never
 * CONTINUE, which would make the call the base refuses). */
static int answer(int listener_fd, const struct seccomp_notif *request,
                  struct seccomp_notif_resp *response, int error)
{
    memset(response, 0, sizeof *response);
    response->id = request->id;
    response->flags = error ? 0 : SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    response->error = error == CORDON__NOTIFY_ERRNO_ZERO ? 0 : -error;
    errno = 0;
    int rc = seccomp_notify_respond(listener_fd, response);
    return rc < 0 ? (errno ? -errno : rc) : 1;
}

static int let_through(int listener_fd, const struct seccomp_notif *request,
                       struct seccomp_notif_resp *response)
{
    return answer(listener_fd, request, response, 0);
}

/* Learning (policy_learn.c): every call comes here; `decide` says what
 * becomes of it.  A kill of a device's open is answered as outside
 * learning (state->policy is then the base policy).  Without `decide`,
 * what comes here is a violation (or the command's own exec, or a
 * device's open): cordon__notification_handle. */
int cordon__notification_learn(int listener_fd, struct cordon__notify_state *state,
                               cordon__notify_decide decide, void *user, char *description,
                               size_t size)
{
    struct seccomp_notif *request;
    struct seccomp_notif_resp *response;
    if (seccomp_notify_alloc(&request, &response) != 0)
        return -ENOMEM;
    errno = 0;
    int rc = seccomp_notify_receive(listener_fd, request), error;
    if (rc < 0) {
        rc = errno ? -errno : rc; /* libseccomp folds the reason into -ECANCELED */
    } else if (own_exec(request, state)) {
        state->execs_answered++;
        rc = let_through(listener_fd, request, response);
    } else if (!decide && (error = exec_errno(request, state)) > 0) {
        rc = answer(listener_fd, request, response, error);
    } else if (!decide && watched_signal_source(request, state)) {
        state->signal_source_used = true;
        rc = let_through(listener_fd, request, response);
    } else {
        if (watched_signal_source(request, state)) /* learning: decide lets it through */
            state->signal_source_used = true;
        bool native = request->data.arch == seccomp_arch_native() &&
                      !(request->data.nr & X32_SYSCALL_BIT);
        uint64_t args[6];
        for (unsigned i = 0; i < 6; i++)
            args[i] = request->data.args[i];
        error = native && decide ? decide(user, request->data.nr, args) : -1;
        if (error >= 0)
            rc = answer(listener_fd, request, response, error);
        else if ((rc = cordon__notification_device_open(listener_fd, request, state->policy,
                                                        state->devices_by_parent,
                                                        reads_may_wait(state))) == 0)
            describe(listener_fd, state, request, description, size);
    }
    seccomp_notify_free(request, response);
    return rc;
}

int cordon__notification_handle(int listener_fd, struct cordon__notify_state *state,
                                char *description, size_t size)
{
    return cordon__notification_learn(listener_fd, state, NULL, NULL, description, size);
}
