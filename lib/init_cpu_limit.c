/*
 * The init's own hold on a task's CPU limit.  The parent reads the tree's
 * exact counter and ends the task within a check of its limit, but only
 * while its loop runs: a caller stopped (^Z, SIGSTOP), an output callback
 * that takes seconds, a machine that keeps the caller off its CPUs, and a
 * command's tree spun on unchecked — 5 to 10 times its limit, each
 * process stopped only by its own RLIMIT_CPU a second past it, and a shell
 * whose spinners died so ended 0 as a plain success.  As it keeps the
 * deadline by itself (lib/task_init.c), the init of a task in a pid
 * namespace with a /proc of its own now counts the tree's CPU too and
 * ends the tree when the count reaches the limit, saying so in its report:
 * that count is the limit's own, which the parent then names.
 *
 * The count, where the task has a v2 cgroup: its cpu.stat's usage since
 * the init's first look, less the init's own CPU since then — every
 * process that ran in it, a child the kernel reaped itself (its parent
 * ignoring SIGCHLD) included, which no scan of /proc sees.  Else, where
 * the kernel allows it: a task-clock counter the init opens on itself
 * before the task's first process starts, which every process of the
 * tree inherits (lib/tree_cpu_counter.c says what it does not count),
 * less the init's own CPU since then.  The parent cannot attach its own
 * counter to an init that is not dumpable unless it is root, and its
 * scans of a tree of thousands of processes are spaced by their cost: a
 * spinner of nobody's beside 3,000 sleeping children spun 576-1,486 ms
 * of its own under a 500 ms limit (now 372-406 ms).  The init reads its
 * counter at each look, in one read.  Else: what the
 * init reaped (its report's reaped_cpu_ns), and for each process alive in
 * the namespace its own CPU clock (exact) and what it reaped (cutime and
 * cstime of /proc/PID/stat, in clock ticks, rounded down), less the CPU of
 * the task's first process that was cordon's (a command's give-back).
 * Neither counts more than the parent's counter would, so the limit is
 * not reached early by them.
 *
 * The init's part: raw system calls and its own stack only, no stdio, no
 * allocation (a command's first process gives back the memory it shares
 * with the init, but the init's stack).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* The kernel's clock id for a process's CPU time (CPUCLOCK_SCHED), made
 * here rather than by clock_getcpuclockid, which is not on the list of
 * async-signal-safe calls. */
uint64_t cordon__process_clock_ns(pid_t pid)
{
    clockid_t clock = (clockid_t)((~(unsigned)pid << 3) | 2u);
    struct timespec used;
    if (syscall(SYS_clock_gettime, clock, &used) != 0)
        return 0;
    return (uint64_t)used.tv_sec * 1000000000ull + (uint64_t)used.tv_nsec;
}

/* cutime + cstime of /proc/PID/stat, in ticks; 0 unread. */
static uint64_t reaped_ticks(int proc, const char *pid_name)
{
    char path[32], text[512];
    size_t n = strnlen(pid_name, sizeof path - 6);
    memcpy(path, pid_name, n);
    memcpy(path + n, "/stat", 6);
    int fd = (int)syscall(SYS_openat, proc, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t got;
    do
        got = read(fd, text, sizeof text - 1);
    while (got < 0 && errno == EINTR);
    close(fd);
    if (got <= 0)
        return 0;
    text[got] = '\0';
    cordon__proc_stat stat;
    return cordon__proc_stat_parse(text, &stat) ? stat.cutime + stat.cstime : 0;
}


static bool is_pid(const char *name, pid_t *pid)
{
    uint64_t v = 0;
    if (!*name)
        return false;
    for (const char *s = name; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000u)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *pid = (pid_t)v;
    return v > 0;
}

/* usage_usec of the cgroup's cpu.stat, in ns; 0 where it cannot be read. */
static uint64_t cgroup_usage_ns(int fd)
{
    char text[256];
    ssize_t got;
    do
        got = pread(fd, text, sizeof text - 1, 0);
    while (got < 0 && errno == EINTR);
    static const char key[] = "usage_usec ";
    if (got < (ssize_t)sizeof key || memcmp(text, key, sizeof key - 1) != 0)
        return 0;
    uint64_t us = 0;
    for (const char *s = text + sizeof key - 1; s < text + got && *s >= '0' && *s <= '9'; s++)
        us = us * 10 + (uint64_t)(*s - '0');
    return us * 1000u;
}

static uint64_t own_cpu_ns(void)
{
    struct rusage own;
    return getrusage(RUSAGE_SELF, &own) == 0 ? cordon__rusage_cpu_ns(&own) : 0;
}

void cordon__init_open_counter(cordon__init_cpu_limit *c)
{
    int fd = cordon__tree_cpu_counter_open_own();
    if (fd < 0)
        return;
    /* Past the fds the task's first process keeps a while: it closes
     * every fd from the start's on (lib/child.c). */
    c->counter_fd = fcntl(fd, F_DUPFD_CLOEXEC, CORDON__CLEAR_REFS_FD + 1);
    close(fd);
    c->counter_own_base_ns = own_cpu_ns();
}

/* The tree's count less the init's own since the counter was opened and
 * the first process's CPU that was cordon's. */
static bool count_by_counter(const cordon__init_cpu_limit *c, uint64_t *count)
{
    uint64_t counted;
    if (c->counter_fd < 0 || cordon__tree_cpu_counter_read(c->counter_fd, &counted) < 0)
        return false;
    uint64_t own = own_cpu_ns();
    uint64_t cordon_s = (own > c->counter_own_base_ns ? own - c->counter_own_base_ns : 0) +
                        c->give_back_ns;
    *count = counted > cordon_s ? counted - cordon_s : 0;
    return true;
}

/* Since the first look: what ran before it (cordon's start of the task,
 * a pooled cgroup's earlier tasks) is not counted, nor the init's own. */
static bool count_by_cgroup(cordon__init_cpu_limit *c, uint64_t *count)
{
    uint64_t usage = c->cpu_stat_fd >= 0 ? cgroup_usage_ns(c->cpu_stat_fd) : 0;
    if (!usage)
        return false;
    uint64_t own = own_cpu_ns();
    if (!c->counted_once) {
        c->cgroup_base_ns = usage;
        c->own_base_ns = own;
        c->counted_once = true;
    }
    uint64_t others = usage > c->cgroup_base_ns ? usage - c->cgroup_base_ns : 0;
    uint64_t own_since = own > c->own_base_ns ? own - c->own_base_ns : 0;
    *count = others > own_since ? others - own_since : 0;
    return true;
}

/* What the init reaped, and each live process's CPU clock and what it
 * reaped, read from the namespace's own /proc. */
static uint64_t scan_namespace(const cordon__init_cpu_limit *c, const cordon__init_report *report,
                               uint64_t *processes)
{
    *processes = 0;
    uint64_t total = __atomic_load_n(&report->reaped_cpu_ns, __ATOMIC_ACQUIRE);
    int proc = (int)syscall(SYS_openat, AT_FDCWD, "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (proc < 0)
        return total;
    char buffer[2048] __attribute__((aligned(8)));
    long got;
    while ((got = syscall(SYS_getdents64, proc, buffer, sizeof buffer)) > 0) {
        for (long at = 0; at < got;) {
            const struct cordon__raw_dirent *e = (const struct cordon__raw_dirent *)(buffer + at);
            at += e->length;
            pid_t pid;
            if (!is_pid(e->name, &pid) || pid == 1)
                continue; /* the init's own CPU is cordon's */
            uint64_t own = cordon__process_clock_ns(pid);
            if (pid == c->first)
                own = own > c->give_back_ns ? own - c->give_back_ns : 0;
            total += own + reaped_ticks(proc, e->name) * c->tick_ns;
            ++*processes;
        }
    }
    close(proc);
    return total;
}

/* Beside the counter the scans find what it lost (a process that exec'd
 * an unreadable or set-user-ID file): made at most every twenty times
 * their own cost, and at every look once one saw more than the counter
 * (cordon__counter_fell_short), as the parent's are (lib/tree_cpu.c). */
#define INIT_SCAN_COST_SHARE 20u

uint64_t cordon__init_tree_cpu_ns(cordon__init_cpu_limit *c, const cordon__init_report *report)
{
    c->last_scan_cost_ns = 0;
    uint64_t count;
    if (count_by_cgroup(c, &count))
        return count;
    bool counted = count_by_counter(c, &count);
    if (counted && !c->counter_short && cordon__now_ns() < c->next_scan_ns)
        return count;
    uint64_t start = own_cpu_ns(), processes;
    uint64_t scanned = scan_namespace(c, report, &processes);
    if (!counted)
        return scanned;
    uint64_t end = own_cpu_ns();
    c->last_scan_cost_ns = end > start ? end - start : 0;
    c->next_scan_ns = cordon__now_ns() + c->last_scan_cost_ns * INIT_SCAN_COST_SHARE;
    if (cordon__counter_fell_short(scanned, count, processes))
        c->counter_short = true;
    return scanned > count ? scanned : count;
}
