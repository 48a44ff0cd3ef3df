/*
 * The CPU time of a task's whole tree, read while it runs, for its CPU
 * limit: threads, waited and unwaited children, pipelines and daemons.
 *
 * Best first:
 *  - the task's v2 cgroup: cpu.stat's usage_usec is in every v2 cgroup,
 *    with or without the cpu controller, counts every process that ever ran
 *    in it, and costs one read (a task with a CPU limit is given one);
 *  - else the sum over the processes of the task's session (every task
 *    starts a session of its own; the policies forbid leaving it): each
 *    one's CPU clock (ns) plus what it reaped (cutime and cstime, in clock
 *    ticks), and for a task in a pid namespace what its init reaped, which
 *    the init publishes in the setup record with the precision of wait4.
 *    What that misses: a process that left the session (no policy) and,
 *    without a pid namespace, an orphan once the machine's init reaped it.
 *    A scan of /proc costs some 5 µs per process of the machine.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static uint64_t process_clock_ns(pid_t pid)
{
    clockid_t clock;
    struct timespec used;
    if (clock_getcpuclockid(pid, &clock) != 0 || clock_gettime(clock, &used) != 0)
        return 0;
    return (uint64_t)used.tv_sec * 1000000000ull + (uint64_t)used.tv_nsec;
}

/* One process of the session: its own clock (else its ticks) and what it
 * reaped.  The task's init is cordon's: only what it reaped counts, and
 * that comes from the setup record. */
static uint64_t process_share_ns(const cordon__attempt_state *s, pid_t pid, const cordon__proc_stat *st,
                                 uint64_t tick_ns)
{
    if (s->in_namespaces && pid == s->pid)
        return 0;
    uint64_t own = process_clock_ns(pid);
    if (own == 0)
        own = (st->utime + st->stime) * tick_ns;
    return own + (st->cutime + st->cstime) * tick_ns;
}

static uint64_t session_cpu_ns(const cordon__attempt_state *s)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return 0;
    long ticks = sysconf(_SC_CLK_TCK);
    uint64_t tick_ns = ticks > 0 ? 1000000000ull / (uint64_t)ticks : 10000000ull;
    uint64_t total = 0;
    for (struct dirent *entry; (entry = readdir(proc));) {
        char *end;
        long pid = strtol(entry->d_name, &end, 10);
        if (pid <= 0 || *end)
            continue;
        cordon__proc_stat st;
        if (cordon__proc_stat_read((pid_t)pid, &st) && st.session == s->group)
            total += process_share_ns(s, (pid_t)pid, &st, tick_ns);
    }
    closedir(proc);
    return total;
}

uint64_t cordon__rusage_cpu_ns(const struct rusage *ru)
{
    return ((uint64_t)ru->ru_utime.tv_sec + (uint64_t)ru->ru_stime.tv_sec) * 1000000000ull +
           ((uint64_t)ru->ru_utime.tv_usec + (uint64_t)ru->ru_stime.tv_usec) * 1000u;
}

/* The cgroup also counts cordon's own start of a task in namespaces: the
 * child that made them and the init up to the task's start.  Left out, so
 * that the limit counts what the task's usage shows. */
static uint64_t less_cordon_s_start(const cordon__attempt_state *s, uint64_t cgroup_ns)
{
    if (!s->in_namespaces)
        return cgroup_ns;
    uint64_t cordon_s = s->starter_cpu_ns +
                        __atomic_load_n(&s->setup->init_cpu_ns, __ATOMIC_ACQUIRE);
    return cgroup_ns > cordon_s ? cgroup_ns - cordon_s : 0;
}

uint64_t cordon__tree_cpu_ns(const cordon__attempt_state *s)
{
    int64_t cgroup_us = s->cgroup ? cordon__cgroup_cpu_usage_us(s->cgroup) : -ENOENT;
    if (cgroup_us >= 0)
        return less_cordon_s_start(s, (uint64_t)cgroup_us * 1000u);
    uint64_t reaped = s->in_namespaces
                          ? __atomic_load_n(&s->setup->reaped_cpu_ns, __ATOMIC_ACQUIRE) : 0;
    return reaped + session_cpu_ns(s);
}

unsigned cordon__usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int count = CPU_COUNT(&set);
    return count > 0 ? (unsigned)count : 1;
}
