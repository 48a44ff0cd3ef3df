/*
 * The exact CPU time of a task's tree, for its CPU limit: the kernel's
 * task-clock software counter, attached to the tree's first process
 * before it can start another, and inherited by every thread and process
 * it starts, orphans and daemons included.
 *
 * Why: every other reading of another process's CPU time (a cgroup's
 * cpu.stat, /proc, its CPU clock) is as of the scheduler's last tick on
 * each CPU it runs on, so a tree spinning on two CPUs showed its limit up
 * to two ticks (8 ms at HZ=250) late.  Reading this counter brings each of
 * its running threads' counts up to date (on its own CPU): the figure is
 * exact at the read, and the limit is seen within one check of it.
 *
 * It needs perf_event_open on a child of one's own: the caller's user may
 * (kernel.perf_event_paranoid 2 or less; with 2 only as counting "user"
 * time, which a task-clock does not split: it counts the kernel's time
 * too), or the caller is root.  Where it is refused (paranoid 3, a
 * container's filter, no perf events), the tree's CPU is read as before
 * (lib/tree_cpu.c).  The counter is the parent's: the task cannot turn it
 * off (prctl(PR_TASK_PERF_EVENTS_DISABLE) is for one's own), but the
 * kernel takes it off a process that execs a file it may not read or a
 * set-user-ID one, and off all that process starts: the limit reads the
 * cgroup or the scans beside it (lib/tree_cpu.c).
 *
 * The kernel turns its context-switch hooks for such counters on when the
 * first one is made and off a second after the last is gone; turning them
 * on waits for an RCU grace period (4-15 ms here, a wait, not CPU time),
 * which every task started more than a second after the last would pay.
 * One disabled counter on the caller's own thread, made with the first
 * and kept for the process's life, keeps them on: what every context
 * switch of the machine then costs is a check of a pointer.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/environment_switch.h"

static int open_task_clock(pid_t pid, bool inherit, bool disabled)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.inherit = inherit;
    attr.disabled = disabled;
    /* Asked for by paranoid 2; a task-clock counts the kernel's time all
     * the same (it samples nothing here). */
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    int fd = (int)syscall(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* Made once, never closed (see above); -1 until then.  A second one made
 * by a racing thread is closed again. */
static int keep_hooks_on_fd = -1;

static bool keep_the_kernel_s_hooks_on(void)
{
    if (__atomic_load_n(&keep_hooks_on_fd, __ATOMIC_ACQUIRE) >= 0)
        return true;
    int fd = open_task_clock(0, false, true);
    int expected = -1;
    if (fd >= 0 && !__atomic_compare_exchange_n(&keep_hooks_on_fd, &expected, fd, false,
                                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        close(fd);
    return fd >= 0;
}

/* A task's init counting its own tree (lib/init_cpu_limit.c) opens its
 * counter as any process may on itself: the hooks kept on spare it the
 * grace period.  A caller refused one on itself is refused it too. */
bool cordon__tree_cpu_counter_keep_hooks_on(void)
{
    return !cordon__environment_switch("CORDON_NO_CPU_COUNTER") && keep_the_kernel_s_hooks_on();
}

/* Set once the kernel or the caller's filter refused a counter for a
 * reason that does not pass (not a child gone, not a lack of fds). */
static bool refused;

bool cordon__tree_cpu_counter_usable(void)
{
    return !__atomic_load_n(&refused, __ATOMIC_RELAXED) && !cordon__environment_switch("CORDON_NO_CPU_COUNTER");
}

int cordon__tree_cpu_counter_attach(pid_t pid)
{
    if (!cordon__tree_cpu_counter_usable())
        return -ENOTSUP;
    int fd = open_task_clock(pid, true, false);
    if (fd >= 0)
        keep_the_kernel_s_hooks_on();
    else if (fd != -ESRCH && fd != -EMFILE && fd != -ENFILE && fd != -ENOMEM && fd != -EINTR)
        __atomic_store_n(&refused, true, __ATOMIC_RELAXED);
    return fd;
}

int cordon__tree_cpu_counter_open_own(void)
{
    return open_task_clock(0, true, false);
}

int cordon__tree_cpu_counter_read(int fd, uint64_t *ns)
{
    uint64_t value;
    ssize_t got;
    do
        got = read(fd, &value, sizeof value);
    while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof value)
        return got < 0 ? -errno : -EIO;
    *ns = value;
    return 0;
}
