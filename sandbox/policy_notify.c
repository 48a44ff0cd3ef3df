/*
 * Parent side of "kill" rules: the seccomp listener reports the call, the
 * parent names it ("socket(AF_INET, SOCK_STREAM, 0)") and leaves it
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
#include <sys/socket.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_rules.h"

/* How many arguments a call takes, for the calls a policy typically
 * forbids; others show all six. */
static const struct { int nr; unsigned args; } arities[] = {
    { SYS_socket, 3 },        { SYS_socketpair, 4 },   { SYS_connect, 3 },
    { SYS_ptrace, 4 },        { SYS_mount, 5 },        { SYS_umount2, 2 },
    { SYS_pivot_root, 2 },    { SYS_unshare, 1 },      { SYS_setns, 2 },
    { SYS_clone, 5 },         { SYS_clone3, 2 },       { SYS_execve, 3 },
    { SYS_execveat, 5 },      { SYS_open, 3 },         { SYS_openat, 4 },
    { SYS_kill, 2 },          { SYS_bpf, 3 },          { SYS_perf_event_open, 5 },
    { SYS_keyctl, 5 },        { SYS_add_key, 5 },      { SYS_request_key, 4 },
    { SYS_init_module, 3 },   { SYS_finit_module, 3 }, { SYS_delete_module, 2 },
    { SYS_reboot, 4 },        { SYS_kexec_load, 4 },   { SYS_setsid, 0 },
    { SYS_setpgid, 2 },       { SYS_mkdir, 2 },        { SYS_unlink, 1 },
    { SYS_rename, 2 },        { SYS_chmod, 2 },        { SYS_settimeofday, 2 },
    { SYS_clock_settime, 2 }, { SYS_swapon, 2 },       { SYS_swapoff, 1 },
    { SYS_acct, 1 },          { SYS_syslog, 3 },       { SYS_iopl, 1 },
    { SYS_ioperm, 3 },        { SYS_userfaultfd, 1 },  { SYS_io_uring_setup, 2 },
    { SYS_process_vm_readv, 6 }, { SYS_process_vm_writev, 6 },
    /* newer than the C library's SYS_ names */
    { 452 /* fchmodat2 */, 4 }, { 463 /* setxattrat */, 6 }, { 466 /* removexattrat */, 4 },
    { 469 /* file_setattr */, 5 },
};

static unsigned arity(int nr)
{
    for (size_t i = 0; i < sizeof arities / sizeof *arities; i++) {
        if (arities[i].nr == nr)
            return arities[i].args;
    }
    return 6;
}

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

/* Small numbers read best in decimal, flags and addresses in hex. */
static int append_argument(char *out, size_t size, size_t used, int nr, unsigned index,
                           uint64_t value)
{
    const char *name = NULL;
    if (nr == SYS_socket && index == 0)
        name = cordon__constant_name("AF_", value);
    else if (nr == SYS_socket && index == 1)
        name = cordon__constant_name("SOCK_", value & ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (name)
        return append(out, size, used, "%s", name);
    if (value < 4096)
        return append(out, size, used, "%llu", (unsigned long long)value);
    if ((int64_t)value < 0 && (int64_t)value > -4096)
        return append(out, size, used, "%lld", (long long)value);
    return append(out, size, used, "0x%llx", (unsigned long long)value);
}

#define X32_SYSCALL_BIT 0x40000000

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

static void describe(const struct seccomp_data *data, char *out, size_t size)
{
    bool native = data->arch == seccomp_arch_native() && !(data->nr & X32_SYSCALL_BIT);
    const char *name = native ? cordon__syscall_name(data->nr) : NULL;
    size_t used = name ? (size_t)append(out, size, 0, "%s(", name)
                : native ? (size_t)append(out, size, 0, "syscall %d(", data->nr)
                : describe_foreign(data, out, size);
    /* A foreign ABI passes its arguments in other registers: none are shown. */
    unsigned count = name ? arity(data->nr) : native ? 6 : 0;
    for (unsigned i = 0; i < count; i++) {
        if (i)
            used = (size_t)append(out, size, used, ", ");
        used = (size_t)append_argument(out, size, used, name ? data->nr : -1, i, data->args[i]);
    }
    append(out, size, used, ")");
}

static bool is_exec(const struct seccomp_data *data)
{
    return data->arch == seccomp_arch_native() && (data->nr == SYS_execve || data->nr == SYS_execveat);
}

/* The command's own exec: made by the first child, counted by it in the
 * shared region before the call, and not yet answered. */
static bool own_exec(const struct seccomp_notif *request, struct cordon__notify_state *state)
{
    if (!state->exec_attempts || !is_exec(&request->data) || (pid_t)request->pid != state->child_pid)
        return false;
    uint32_t attempts = __atomic_load_n(state->exec_attempts, __ATOMIC_ACQUIRE);
    return state->execs_answered < attempts;
}

/* error 0: the call goes on as if no filter had stopped it; else it
 * fails with that errno without being made. */
static int answer(int listener_fd, const struct seccomp_notif *request,
                  struct seccomp_notif_resp *response, int error)
{
    memset(response, 0, sizeof *response);
    response->id = request->id;
    response->flags = error ? 0 : SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    response->error = -error;
    errno = 0;
    int rc = seccomp_notify_respond(listener_fd, response);
    return rc < 0 ? (errno ? -errno : rc) : 1;
}

static int let_through(int listener_fd, const struct seccomp_notif *request,
                       struct seccomp_notif_resp *response)
{
    return answer(listener_fd, request, response, 0);
}

int cordon__notification_handle(int listener_fd, struct cordon__notify_state *state,
                                char *description, size_t size)
{
    struct seccomp_notif *request;
    struct seccomp_notif_resp *response;
    if (seccomp_notify_alloc(&request, &response) != 0)
        return -ENOMEM;
    errno = 0;
    int rc = seccomp_notify_receive(listener_fd, request);
    if (rc < 0) {
        rc = errno ? -errno : rc; /* libseccomp folds the reason into -ECANCELED */
    } else if (own_exec(request, state)) {
        state->execs_answered++;
        rc = let_through(listener_fd, request, response);
    } else if ((rc = cordon__notification_device_open(listener_fd, request, state->policy,
                                                       state->devices_by_parent)) == 0) {
        describe(&request->data, description, size);
    }
    seccomp_notify_free(request, response);
    return rc;
}

/* Learning (policy_learn.c): every call comes here; `decide` says what
 * becomes of it.  A kill of a device's open is answered as outside
 * learning (state->policy is then the base policy). */
int cordon__notification_learn(int listener_fd, struct cordon__notify_state *state,
                               cordon__notify_decide decide, void *user, char *description,
                               size_t size)
{
    struct seccomp_notif *request;
    struct seccomp_notif_resp *response;
    if (seccomp_notify_alloc(&request, &response) != 0)
        return -ENOMEM;
    errno = 0;
    int rc = seccomp_notify_receive(listener_fd, request);
    if (rc < 0) {
        rc = errno ? -errno : rc;
    } else if (own_exec(request, state)) {
        state->execs_answered++;
        rc = let_through(listener_fd, request, response);
    } else {
        bool native = request->data.arch == seccomp_arch_native() &&
                      !(request->data.nr & X32_SYSCALL_BIT);
        uint64_t args[6];
        for (unsigned i = 0; i < 6; i++)
            args[i] = request->data.args[i];
        int error = native ? decide(user, request->data.nr, args) : -1;
        if (error >= 0)
            rc = answer(listener_fd, request, response, error);
        else if ((rc = cordon__notification_device_open(listener_fd, request, state->policy,
                                                        state->devices_by_parent)) == 0)
            describe(&request->data, description, size);
    }
    seccomp_notify_free(request, response);
    return rc;
}
