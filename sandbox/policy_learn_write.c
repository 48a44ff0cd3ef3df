/*
 * What learning recorded, written as a policy: default kill, the calls
 * grouped by purpose with a heading each, an argument rule where only a
 * few values of a worthwhile argument were seen, and the errno rules of
 * the base policy that the runs met.  Also the record's life: new, merged
 * from an earlier learned policy, freed.
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "no_cancellation.h"
#include "policy_learn.h"

cordon_learned *cordon_learned_new(void)
{
    CORDON__NO_CANCELLATION;
    cordon_learned *l = calloc(1, sizeof *l);
    if (l && !(l->calls = calloc(CORDON_SYSCALL_TABLE_SIZE, sizeof *l->calls))) {
        free(l);
        l = NULL;
    }
    return l;
}

void cordon_learned_free(cordon_learned *l)
{
    CORDON__NO_CANCELLATION;
    if (!l)
        return;
    free(l->calls);
    free(l->base);
    free(l);
}

unsigned cordon_learned_runs(const cordon_learned *l)
{
    CORDON__NO_CANCELLATION;
    return l ? l->runs : 0;
}

/* An earlier learned policy (or any allow-list) adds its rules: an allow
 * rule's conditions become a pattern as they are, an errno rule a refusal.
 * A policy that allows by default has nothing to merge into an allow-list. */
int cordon_learned_merge(cordon_learned *l, const cordon_policy *p, cordon_error *err)
{
    CORDON__NO_CANCELLATION;
    if (!l || !p) {
        cordon__error_set(err, -EINVAL, NULL, 0, 0, "%s is NULL",
                          !l ? "the learned record" : "the policy to merge");
        return -EINVAL;
    }
    if (p->default_action == ACTION_ALLOW || p->default_action == ACTION_LOG) {
        cordon__error_set(err, -EINVAL, p->name, 0, 0, "cannot merge '%s': it allows every call "
                          "it does not name (its default is '%s'), so it is not an allow-list",
                          p->name, cordon__action_name(p->default_action));
        return -EINVAL;
    }
    if (p->newer_set && p->newer_action == ACTION_ERRNO && p->newer_errno)
        l->beyond_table_errno = p->newer_errno;
    for (size_t i = 0; i < p->rule_count; i++) {
        const cordon__rule *rule = &p->rules[i];
        cordon__learned_call *call = &l->calls[rule->syscall];
        cordon__learned_pattern pattern = { .condition_count = rule->condition_count };
        memcpy(pattern.conditions, rule->conditions, sizeof pattern.conditions);
        if (rule->action == ACTION_ALLOW || rule->action == ACTION_LOG) {
            cordon__learn_add_pattern(&call->allowed, &pattern);
        } else if (rule->action == ACTION_ERRNO) {
            call->errno_value = rule->errno_value;
            cordon__learn_add_pattern(&call->refused, &pattern);
        }
    }
    l->runs++;
    l->merged++;
    return 0;
}

/* ---- grouping -------------------------------------------------------- */

static const struct group {
    const char *heading;
    const char *names;
} groups[] = {
    { "files and directories",
      " open openat openat2 creat close close_range stat fstat lstat newfstatat statx access "
      "faccessat faccessat2 readlink readlinkat getdents getdents64 chdir fchdir getcwd mkdir "
      "mkdirat rmdir unlink unlinkat rename renameat renameat2 link linkat symlink symlinkat "
      "chmod fchmod fchmodat fchmodat2 chown fchown lchown fchownat truncate ftruncate "
      "fallocate fsync fdatasync sync syncfs utime utimes utimensat futimesat statfs fstatfs "
      "flock umask getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr setxattr "
      "lsetxattr fsetxattr removexattr lremovexattr fremovexattr fadvise64 readahead "
      "inotify_init inotify_init1 inotify_add_watch inotify_rm_watch mknod mknodat "
      "name_to_handle_at chroot " },
    { "reading, writing and waiting on fds",
      " read write readv writev pread64 pwrite64 preadv pwritev preadv2 pwritev2 lseek dup dup2 "
      "dup3 fcntl ioctl pipe pipe2 select pselect6 poll ppoll epoll_create epoll_create1 "
      "epoll_ctl epoll_wait epoll_pwait epoll_pwait2 eventfd eventfd2 sendfile splice tee "
      "copy_file_range vmsplice " },
    { "memory",
      " brk mmap munmap mprotect mremap madvise mlock mlock2 munlock mlockall munlockall msync "
      "mincore membarrier memfd_create pkey_alloc pkey_free pkey_mprotect get_mempolicy "
      "set_mempolicy mbind process_madvise map_shadow_stack " },
    { "processes and threads",
      " clone clone3 fork vfork execve execveat exit exit_group wait4 waitid set_tid_address "
      "set_robust_list get_robust_list futex futex_waitv rseq arch_prctl prctl getpid gettid "
      "getppid getpgrp getpgid setpgid setsid getsid sched_yield sched_getaffinity "
      "sched_setaffinity sched_getparam sched_setparam sched_getscheduler sched_setscheduler "
      "sched_get_priority_max sched_get_priority_min getpriority setpriority unshare "
      "personality pidfd_open pidfd_getfd prlimit64 getrlimit setrlimit getrusage seccomp "
      "capget capset ioprio_get ioprio_set " },
    { "signals",
      " rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending rt_sigtimedwait rt_sigsuspend "
      "rt_sigqueueinfo rt_tgsigqueueinfo sigaltstack kill tkill tgkill pause signalfd "
      "signalfd4 restart_syscall pidfd_send_signal " },
    { "sockets and other IPC",
      " socket socketpair connect bind listen accept accept4 sendto recvfrom sendmsg recvmsg "
      "sendmmsg recvmmsg shutdown getsockname getpeername setsockopt getsockopt mq_open "
      "mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr shmget shmat shmdt shmctl "
      "semget semop semctl semtimedop msgget msgsnd msgrcv msgctl " },
    { "time and timers",
      " clock_gettime clock_getres clock_nanosleep nanosleep gettimeofday time timer_create "
      "timer_settime timer_gettime timer_getoverrun timer_delete timerfd_create timerfd_settime "
      "timerfd_gettime alarm setitimer getitimer times " },
    { "identity and the system",
      " getuid geteuid getgid getegid getgroups getresuid getresgid setuid setgid setreuid "
      "setregid setresuid setresgid setgroups setfsuid setfsgid uname sysinfo getrandom getcpu " },
};
#define GROUP_COUNT (sizeof groups / sizeof *groups)

const char *cordon__learn_group(int nr, unsigned *order)
{
    const char *name = cordon__syscall_label(nr);
    size_t len = strlen(name);
    for (unsigned g = 0; g < GROUP_COUNT; g++) {
        for (const char *at = strstr(groups[g].names, name); at; at = strstr(at + 1, name))
            if (at[-1] == ' ' && at[len] == ' ') {
                *order = g;
                return groups[g].heading;
            }
    }
    *order = GROUP_COUNT;
    return "everything else";
}

/* ---- values ---------------------------------------------------------- */

typedef struct text {
    char *data;
    size_t len, size;
    bool failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...)
{
    va_list args;
    for (int pass = 0; pass < 2 && !t->failed; pass++) {
        va_start(args, fmt);
        int n = vsnprintf(t->data ? t->data + t->len : NULL, t->data ? t->size - t->len : 0,
                          fmt, args);
        va_end(args);
        if (n < 0) {
            t->failed = true;
        } else if (t->data && t->len + (size_t)n < t->size) {
            t->len += (size_t)n;
            return;
        } else {
            size_t size = (t->size + (size_t)n + 1) * 2;
            char *grown = realloc(t->data, size);
            if (!grown)
                t->failed = true;
            t->data = grown ? grown : t->data;
            t->size = grown ? size : t->size;
        }
    }
}

static void put_number(text *t, uint64_t value)
{
    if (value < 4096)
        put(t, "%llu", (unsigned long long)value);
    else
        put(t, "0x%llx", (unsigned long long)value);
}

/* Flags as NAME|NAME|rest, from the constants whose names start so. */
static void put_flags(text *t, uint64_t value, const char *const *names, size_t count)
{
    bool first = true;
    for (size_t i = 0; i < count; i++) {
        uint64_t bit;
        if (cordon__constant_lookup(names[i], strlen(names[i]), &bit) != 0 || !bit ||
            (value & bit) != bit)
            continue;
        put(t, "%s%s", first ? "" : "|", names[i]);
        value &= ~bit;
        first = false;
    }
    if (value || first) {
        put(t, "%s", first ? "" : "|");
        put_number(t, value);
    }
}

static const char *const clone_flags[] = {
    "CLONE_VM", "CLONE_FS", "CLONE_FILES", "CLONE_SIGHAND", "CLONE_PIDFD", "CLONE_PTRACE",
    "CLONE_VFORK", "CLONE_PARENT", "CLONE_THREAD", "CLONE_NEWNS", "CLONE_SYSVSEM",
    "CLONE_SETTLS", "CLONE_PARENT_SETTID", "CLONE_CHILD_CLEARTID", "CLONE_CHILD_SETTID",
    "CLONE_NEWCGROUP", "CLONE_NEWUTS", "CLONE_NEWIPC", "CLONE_NEWUSER", "CLONE_NEWPID",
    "CLONE_NEWNET", "CLONE_IO", "SIGCHLD",
};
static const char *const socket_flags[] = { "SOCK_CLOEXEC", "SOCK_NONBLOCK" };

/* A value the way a reader knows it: AF_UNIX, F_GETFL, CLONE_VM|… */
static void put_value(text *t, int nr, unsigned arg, uint64_t value)
{
    const char *name = NULL;
    if ((nr == SYS_socket || nr == SYS_socketpair) && arg == 0)
        name = cordon__constant_name("AF_", value);
    if ((nr == SYS_socket || nr == SYS_socketpair) && arg == 1) {
        uint64_t flags = value & (uint64_t)(SOCK_CLOEXEC | SOCK_NONBLOCK);
        name = cordon__constant_name("SOCK_", value & ~flags);
        if (name && flags) {
            put(t, "%s|", name);
            put_flags(t, flags, socket_flags, 2);
            return;
        }
    }
    if (nr == SYS_clone && arg == 0) {
        put_flags(t, value, clone_flags, sizeof clone_flags / sizeof *clone_flags);
        return;
    }
    if (nr == SYS_fcntl && arg == 1)
        name = cordon__constant_name("F_", value);
    if (nr == SYS_prctl && arg == 0)
        name = cordon__constant_name("PR_", value);
    if (nr == SYS_arch_prctl && arg == 0)
        name = cordon__constant_name("ARCH_", value);
    if (nr == SYS_ioctl && arg == 1 && value > 0xff) {
        static const char *const prefixes[] = { "TIOC", "TC", "FIO", "FS_IOC", "FI" };
        for (size_t i = 0; !name && i < sizeof prefixes / sizeof *prefixes; i++)
            name = cordon__constant_name(prefixes[i], value);
    }
    if (name)
        put(t, "%s", name);
    else
        put_number(t, value);
}

static void put_condition(text *t, int nr, const cordon__condition *c)
{
    static const char *const operators[] = {
        [COMPARE_EQ] = "==", [COMPARE_NE] = "!=", [COMPARE_LT] = "<", [COMPARE_LE] = "<=",
        [COMPARE_GT] = ">", [COMPARE_GE] = ">=", [COMPARE_MASKED_EQ] = "==",
    };
    put(t, "arg%u ", c->arg);
    if (c->compare == COMPARE_MASKED_EQ)
        put(t, "& 0x%llx ", (unsigned long long)c->mask);
    put(t, "%s ", operators[c->compare]);
    put_value(t, nr, c->arg, c->value);
}

static void put_rule(text *t, const char *action, int nr, const cordon__learned_use *use)
{
    put(t, "%s %s", action, cordon__syscall_label(nr));
    for (unsigned i = 0; i < use->pattern_count; i++) {
        put(t, "%s", i ? " || " : " if ");
        const cordon__learned_pattern *p = &use->patterns[i];
        for (unsigned c = 0; c < p->condition_count; c++) {
            put(t, "%s", c ? " && " : "");
            put_condition(t, nr, &p->conditions[c]);
        }
    }
    put(t, "\n");
}

static void put_errno_action(text *t, int value)
{
    const char *name = cordon__errno_name(value);
    if (name)
        put(t, "errno %s", name);
    else
        put(t, "errno %d", value);
}

/* ---- the policy ------------------------------------------------------ */

/* A line of the caller's may not start a rule: control bytes become '?'. */
static void put_comment_text(text *t, const char *s)
{
    for (; s && *s; s++)
        put(t, "%c", (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void put_header(text *t, const cordon_learned *l, const char *title)
{
    /* A merged policy may itself hold many runs: it is named as a policy,
     * never counted as one run. */
    unsigned runs = l->runs - l->merged;
    if (runs == 0)
        put(t, "# Merged by cordon from %u learned polic%s", l->merged,
            l->merged == 1 ? "y" : "ies");
    else if (l->merged == 0)
        put(t, "# Learned by cordon from %u run%s", runs, runs == 1 ? "" : "s");
    else
        put(t, "# Learned by cordon from %u run%s, merged with %u learned polic%s", runs,
            runs == 1 ? "" : "s", l->merged, l->merged == 1 ? "y" : "ies");
    if (title && *title) {
        put(t, ": ");
        put_comment_text(t, title);
    }
    put(t, "\n#\n"
           "# An allow-list: the calls the learning runs made and nothing else.  A call\n"
           "# they never made ends the task with a PolicyViolation that names it (a kill,\n"
           "# not an errno: a program that meets an errno may quietly take another path,\n"
           "# and the user would never learn which call it wanted).  Where a call was\n"
           "# made with only a few values of an argument worth constraining (a socket's\n"
           "# family and type, clone's flags, the request of ioctl, fcntl and prctl),\n"
           "# only those values are allowed; so are the arguments the base policy's\n"
           "# refusing rules test, so that this policy is no looser than its base.\n"
           "# Calls a program makes on one run and not the next by timing alone are\n"
           "# allowed once what makes them possible was seen: futex with threads,\n"
           "# rt_sigreturn with a signal's action set, restart_syscall with a sleep.\n"
           "# cordon adds the calls it makes itself\n"
           "# after installing the filter (handing the listener over, closing fd 4);\n"
           "# the command's own exec is always let through.\n");
    if (l->base) {
        put(t, "# Learned under the policy '");
        put_comment_text(t, l->base);
        put(t, "':\n# the calls it refuses with an errno are refused here too.\n");
    }
    put(t, "\ndefault kill\n");
    if (l->beyond_table_errno) {
        put(t, "\n# The learning runs made calls numbered beyond any rule's reach (1024 and\n"
               "# up) and were answered with an errno; so are all calls newer than\n"
               "# cordon's table that no rule here names.\n");
        text action = { NULL, 0, 0, false };
        put_errno_action(&action, l->beyond_table_errno);
        put(t, "newer %s\n", action.failed ? "errno" : action.data);
        t->failed |= action.failed;
        free(action.data);
    }
}

static void put_group(text *t, unsigned g, const cordon_learned *l)
{
    bool headed = false;
    size_t line_start = 0;
    /* unconditional allows first, on wrapped lines; then the rules */
    for (int pass = 0; pass < 2; pass++) {
        for (int nr = 0; nr < CORDON_SYSCALL_TABLE_SIZE; nr++) {
            static const cordon__learned_call companion = { .allowed = { .seen = true,
                                                                         .any = true } };
            const cordon__learned_call *call =
                cordon__learn_companion(l, nr) ? &companion : &l->calls[nr];
            unsigned order;
            if (!call->allowed.seen && !call->refused.seen)
                continue;
            cordon__learn_group(nr, &order);
            if (order != g)
                continue;
            if (!headed) {
                put(t, "\n# %s\n", g < GROUP_COUNT ? groups[g].heading : "everything else");
                headed = true;
            }
            const cordon__learned_use *allowed = &call->allowed;
            if (pass == 0 && allowed->seen && allowed->any) {
                const char *name = cordon__syscall_label(nr);
                if (line_start && t->len - line_start + strlen(name) + 1 > 78) {
                    put(t, "\n");
                    line_start = 0;
                }
                if (!line_start) {
                    line_start = t->len;
                    put(t, "allow");
                }
                put(t, " %s", name);
            } else if (pass == 1) {
                if (allowed->seen && !allowed->any)
                    put_rule(t, "allow", nr, allowed);
                if (call->refused.seen) {
                    text action = { NULL, 0, 0, false };
                    put_errno_action(&action, call->errno_value);
                    if (allowed->any && !call->refused.any)
                        put(t, "# refused under the base policy for some arguments, but the "
                               "allow above decides:\n# ");
                    put_rule(t, action.failed ? "errno" : action.data, nr, &call->refused);
                    t->failed |= action.failed;
                    free(action.data);
                }
            }
        }
        if (pass == 0 && line_start)
            put(t, "\n");
    }
}

int cordon_learned_write(const cordon_learned *l, FILE *out, const char *title)
{
    CORDON__NO_CANCELLATION;
    if (!l || !out)
        return -EINVAL;
    if (cordon_learned_runs(l) == 0)
        return -ENODATA;
    text t = { NULL, 0, 0, false };
    put_header(&t, l, title);
    for (unsigned g = 0; g <= GROUP_COUNT; g++)
        put_group(&t, g, l);
    int rc = t.failed ? -ENOMEM : 0;
    if (rc == 0 && (fwrite(t.data, 1, t.len, out) != t.len || fflush(out) != 0))
        rc = -EIO;
    free(t.data);
    return rc;
}
