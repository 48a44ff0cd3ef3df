/*
 * Kernel objects counted per user and held by no rlimit or cgroup:
 * inotify instances and watches, fanotify groups and marks, and the
 * namespaces of each kind.  A task of the caller's user that made all it
 * could (128 inotify instances here; every user namespace its caller's
 * user had left, nested ones, which are any task's to make) left none to
 * the caller and every other process of that user for as long as it
 * lived: the caller's next task failed to enter its namespaces (ENOSPC).
 * A user namespace has limits of its own, and what is made in it counts
 * against its parent's too: the task's namespace (made with no limit of
 * its own) gets a quarter of what the caller's allows — the machine's
 * per-user limit, or, for a caller in a user namespace of its own (cordon
 * run by a task of cordon's), that namespace's own where it is lower.  A
 * task without a user namespace (a root caller's, CORDON_NO_NAMESPACES, a
 * machine without them) is not held so (README, "What it does not defend
 * against").
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <unistd.h>

#include "confine.h"
#include "fork_reset.h"

static const struct {
    const char *machine, *namespace;
    bool of_namespaces; /* counts namespaces: matters only where the task may make them */
} limits[CORDON__PER_USER_LIMITS] = {
    { "/proc/sys/fs/inotify/max_user_instances", "sys/user/max_inotify_instances", false },
    { "/proc/sys/fs/inotify/max_user_watches", "sys/user/max_inotify_watches", false },
    { "/proc/sys/fs/fanotify/max_user_groups", "sys/user/max_fanotify_groups", false },
    { "/proc/sys/fs/fanotify/max_user_marks", "sys/user/max_fanotify_marks", false },
    /* The machine's namespace limits are its user namespace's own: what
     * the caller's says is all there is to read. */
    { NULL, "sys/user/max_user_namespaces", true },
    { NULL, "sys/user/max_mnt_namespaces", true },
    { NULL, "sys/user/max_pid_namespaces", true },
    { NULL, "sys/user/max_ipc_namespaces", true },
    { NULL, "sys/user/max_net_namespaces", true },
    { NULL, "sys/user/max_uts_namespaces", true },
    { NULL, "sys/user/max_cgroup_namespaces", true },
    { NULL, "sys/user/max_time_namespaces", true },
};

/* A decimal number from a file (at `dir_fd`, or absolute), -1 where there
 * is none. */
static long read_number(int dir_fd, const char *path)
{
    char text[32];
    int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, text + have, sizeof text - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (have += (size_t)n) == sizeof text - 1)
            break;
    }
    close(fd);
    long value = 0;
    size_t i = 0;
    for (; i < have && text[i] >= '0' && text[i] <= '9' && value < 1000000000L; i++)
        value = value * 10 + (text[i] - '0');
    return i > 0 ? value : -1;
}

/* Parent side: the caller's user namespace's limit is the lower of its
 * own (a new namespace's is unlimited) and the machine's per user. */
static void plan(long share[CORDON__PER_USER_LIMITS])
{
    int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (size_t i = 0; i < CORDON__PER_USER_LIMITS; i++) {
        long machine = limits[i].machine ? read_number(AT_FDCWD, limits[i].machine) : -1;
        long own = proc >= 0 ? read_number(proc, limits[i].namespace) : -1;
        long allowed = own >= 0 && (machine < 0 || own < machine) ? own : machine;
        share[i] = allowed;
    }
    if (proc >= 0)
        close(proc);
}

/* Read once per process (a dozen system calls a task would pay), and again
 * in a forked copy: a function task running tasks of its own is in the
 * task's user namespace, whose limits are a quarter of its caller's.
 * Without a lock, which a copy forked while another thread held it would
 * find held for good: threads that race compute the same figures. */
static long planned_share[CORDON__PER_USER_LIMITS];
static pid_t planned_by;
/* A function task's process is pid 2 of its own namespace at every
 * level: the pid alone would not tell a task's copy from its caller. */
CORDON__FORGOTTEN_IN_FORKED_COPIES(&planned_by);

void cordon__per_user_limits_plan(long share[CORDON__PER_USER_LIMITS])
{
    pid_t self = getpid();
    if (__atomic_load_n(&planned_by, __ATOMIC_ACQUIRE) == self) {
        for (size_t i = 0; i < CORDON__PER_USER_LIMITS; i++)
            share[i] = __atomic_load_n(&planned_share[i], __ATOMIC_RELAXED);
        return;
    }
    plan(share);
    for (size_t i = 0; i < CORDON__PER_USER_LIMITS; i++)
        __atomic_store_n(&planned_share[i], share[i], __ATOMIC_RELAXED);
    __atomic_store_n(&planned_by, self, __ATOMIC_RELEASE);
}

/* Of what the process's live tasks were not given (share_ledger.c):
 * four tasks started at once each took a quarter of the caller's 128
 * inotify instances, and left it none. */
void cordon__per_user_limits_take(long share[CORDON__PER_USER_LIMITS],
                                  uint64_t given[CORDON__PER_USER_LIMITS])
{
    uint64_t room[CORDON__PER_USER_LIMITS];
    for (size_t i = 0; i < CORDON__PER_USER_LIMITS; i++) {
        given[i] = 0;
        room[i] = share[i] < 0 ? CORDON__SHARE_NOT_TAKEN : (uint64_t)share[i];
    }
    cordon__shares_take(CORDON__SHARE_PER_USER, CORDON__PER_USER_LIMITS, room, given);
    for (size_t i = 0; i < CORDON__PER_USER_LIMITS; i++)
        if (given[i])
            share[i] = (long)given[i];
}

void cordon__per_user_limits_leave_namespaces(long share[CORDON__PER_USER_LIMITS])
{
    for (size_t i = 0; i < CORDON__PER_USER_LIMITS; i++)
        if (limits[i].of_namespaces)
            share[i] = -1;
}

static void write_number(int proc_fd, const char *path, long value)
{
    char digits[24], *at = digits + sizeof digits;
    *--at = '\n';
    do
        *--at = (char)('0' + value % 10);
    while ((value /= 10) > 0);
    int fd = openat(proc_fd, path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n;
    do
        n = write(fd, at, (size_t)(digits + sizeof digits - at));
    while (n < 0 && errno == EINTR);
    close(fd);
}

/* Child side, in the child that made the namespaces, as root of the new
 * user namespace (whose limits a /proc/sys/user file names, whatever
 * /proc it is read through): async-signal-safe, and best effort (an
 * older kernel has no such file; the task then runs as before). */
void cordon__share_per_user_limits(int proc_fd, const long share[CORDON__PER_USER_LIMITS])
{
    for (size_t i = 0; i < CORDON__PER_USER_LIMITS; i++)
        if (share[i] > 0)
            write_number(proc_fd, limits[i].namespace, share[i]);
}
