/*
 * The most processes and threads a task may hold at once when its caller
 * set no process limit: a quarter of the fewest the machine or the caller
 * has free (kernel.pid_max and kernel.threads-max less the threads the
 * machine holds when the task starts, the caller's soft RLIMIT_NPROC, the
 * room left in the pids cgroups that hold the caller).
 * Every pid a task's processes take is the machine's too, its pid
 * namespace's and every one above it: a task that forked without end
 * (nobody's RLIMIT_NPROC here is 96,362, pid_max 32,768) left no pid to
 * the caller, to the task started beside it or to anything else on the
 * machine, until its deadline.  A process's tasks that run at once
 * share what was free (share_ledger.c); separate processes do not
 * (README, "Threat model").  A task that needs more says so (--procs).
 */
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cgroup.h"
#include "confine.h"

static uint64_t fewer(uint64_t a, uint64_t b)
{
    if (!a)
        return b;
    return b && b < a ? b : a;
}

/* The machine's settings are read once: they are the administrator's,
 * seldom changed, and two opens per task would be paid by every one. */
static uint64_t machine_most(void)
{
    static uint64_t most; /* 0: not read yet */
    uint64_t known = __atomic_load_n(&most, __ATOMIC_ACQUIRE);
    if (known)
        return known;
    known = fewer(cordon__file_leading_number("/proc/sys/kernel/pid_max"),
                  cordon__file_leading_number("/proc/sys/kernel/threads-max"));
    if (!known)
        known = UINT64_MAX; /* no /proc: the caller's limit alone */
    __atomic_store_n(&most, known, __ATOMIC_RELEASE);
    return known;
}

/* The threads the machine holds now (/proc/loadavg's "running/total"),
 * or 0 when it cannot be read. */
static uint64_t machine_threads_now(void)
{
    char text[128];
    if (cordon__read_small_file("/proc/loadavg", text, sizeof text) <= 0)
        return 0;
    const char *slash = strchr(text, '/');
    uint64_t threads = 0;
    for (const char *c = slash ? slash + 1 : ""; *c >= '0' && *c <= '9'; c++)
        threads = threads * 10 + (uint64_t)(*c - '0');
    return threads;
}

/* What a task's user namespace lets the caller's user hold in all, its
 * processes outside any namespace included: the kernel counts every
 * process a namespace's tasks make against its creator's soft
 * RLIMIT_NPROC at the namespace's making, at the creator's own level
 * (the user's whole count), whoever made them.  The process share bounds
 * each task, and the tasks one process runs at once together
 * (share_ledger.c), but not those of separate cordon processes started at
 * the same moment, which each see the same room: four `cordon run` fork
 * bombs started at once each had a quarter of it, together all of it.
 * With a ceiling of three quarters of the machine's pids on every task's
 * namespace, no number of them takes the last quarter from other users,
 * root and the machine's services.  Of the machine's, not of the caller's own limit,
 * which holds the user's count already and which callers run close to:
 * three quarters of it refused 15 of 30 tasks of a caller with four
 * processes to spare.  0: no ceiling (none to read, or root's, which the
 * kernel does not count). */
uint64_t cordon__user_processes_ceiling(void)
{
    uint64_t most = machine_most();
    if (most == UINT64_MAX || geteuid() == 0)
        return 0;
    return most - most / 4;
}

/* Of what is free now: a task started while another holds its share gets
 * a quarter of what that one left, so that tasks started one after
 * another never take the last pid, and of what this process's live tasks
 * were not given, so that ten started at the same moment do not either
 * (fourteen could: share_ledger.c's floor). */
uint64_t cordon__process_share(void)
{
    uint64_t most = machine_most();
    uint64_t threads = most == UINT64_MAX ? 0 : machine_threads_now();
    if (threads)
        most = threads < most ? most - threads : 1;
    struct rlimit own;
    if (getrlimit(RLIMIT_NPROC, &own) == 0 && own.rlim_cur != RLIM_INFINITY)
        most = fewer(most, (uint64_t)own.rlim_cur);
    /* A caller held by a pids cgroup (a unit's TasksMax, a container's)
     * has only the room left there: a task given a quarter of pid_max
     * took all of a cap of 400, and the caller could not fork. */
    uint64_t room = cordon__cgroup_pids_room();
    if (room < most)
        most = room > 0 ? room : 1;
    if (most == UINT64_MAX)
        return 0; /* nothing to take a share of */
    return cordon__share_take(CORDON__SHARE_PROCESSES, most);
}
