/*
 * The CPU time of a task's whole tree, read while it runs, for its CPU
 * limit: threads, waited and unwaited children, pipelines and daemons.
 *
 * Best first:
 *  - the kernel's task-clock counter attached to the tree's first process
 *    (lib/tree_cpu_counter.c): exact when read, every process counted;
 *  - the task's v2 cgroup: cpu.stat's usage_usec is in every v2 cgroup,
 *    with or without the cpu controller, counts every process that ever ran
 *    in it, and costs one read (a task with a CPU limit is given one);
 *  - else, for a task in a pid namespace, the sum over the descendants of
 *    its init, found from it down (lib/namespace_tree.c; a scan of all of
 *    /proc where the kernel has no children files): every process of the
 *    namespace is one (an orphan is reparented to the init or to a
 *    subreaper beneath it, whatever session or group it made for itself),
 *    and what the init reaped, which it publishes in the setup record with
 *    the precision of wait4;
 *  - else the sum over the processes of the task's session (every task
 *    starts a session of its own; without a pid namespace the policies
 *    forbid leaving it).  What that misses: a process that left the
 *    session (where nothing refuses it), and an orphan once the machine's
 *    init reaped it.
 * Neither scan sees a child the kernel reaped itself (its parent ignores
 * SIGCHLD or set SA_NOCLDWAIT): its time goes into no parent's cutime, so
 * short-lived children reaped so escape a limit read by the scans alone.
 * A process counts its CPU clock (ns) and what it reaped (cutime and
 * cstime, in clock ticks).  A scan of /proc costs some 5 µs per process
 * of the machine.  The largest figure a scan saw is kept for the task's
 * usage, which wait4 alone would leave without the processes it missed.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Without namespaces, a command's forked copy's give-back (a function's
 * process gives nothing back, and its set-up hook could write the field). */
static uint64_t no_namespace_give_back(const cordon__attempt_state *s)
{
    return s->command_gives_back
               ? __atomic_load_n(&s->init_report->give_back_cpu_ns, __ATOMIC_ACQUIRE) : 0;
}

uint64_t cordon__first_process_give_back_ns(const cordon__attempt_state *s)
{
    return s->in_namespaces ? __atomic_load_n(&s->init_report->give_back_cpu_ns, __ATOMIC_ACQUIRE)
                            : no_namespace_give_back(s);
}

/* One process of the session: its own clock (else its ticks) and what it
 * reaped.  The task's init is cordon's: only what it reaped counts, and
 * that comes from the setup record. */
static uint64_t process_share_ns(const cordon__attempt_state *s, pid_t pid, const cordon__proc_stat *st,
                                 uint64_t tick_ns)
{
    if (s->in_namespaces && pid == s->pid)
        return 0;
    uint64_t own = cordon__process_clock_ns(pid);
    if (own == 0)
        own = (st->utime + st->stime) * tick_ns;
    /* A command's first process gave its copy of the caller back before
     * its exec: cordon's work, in that process's clock. */
    pid_t first = s->in_namespaces ? __atomic_load_n(&s->init_report->task_pid, __ATOMIC_ACQUIRE)
                                   : s->pid;
    if (pid == first) {
        uint64_t give_back = cordon__first_process_give_back_ns(s);
        own -= give_back < own ? give_back : own;
    }
    return own + (st->cutime + st->cstime) * tick_ns;
}

/* Without namespaces, what of the tree's count was cordon's: the first
 * process's give-back (with namespaces the init's start leaves it out). */
static uint64_t less_the_give_back(const cordon__attempt_state *s, uint64_t ns)
{
    uint64_t give_back = no_namespace_give_back(s);
    return ns > give_back ? ns - give_back : 0;
}

/* A clock tick of /proc's stat files, in ns. */
static uint64_t tick_ns(void)
{
    long ticks = sysconf(_SC_CLK_TCK);
    return ticks > 0 ? 1000000000ull / (uint64_t)ticks : 10000000ull;
}

/* What one scan of /proc counted: CPU time in ns, and the clock ticks of
 * the same processes as /proc splits them into user and system time. */
typedef struct scan_sum {
    uint64_t ns, user_ticks, system_ticks;
    uint64_t processes;             /* how many it summed */
} scan_sum;

/* Whether the task's user may read a file of `st`'s, as the kernel asks
 * at an exec: the task has no capabilities, root's task included (its
 * supplementary groups are not looked at: a program only they may read
 * is taken for unreadable, the safe side). */
static bool readable_by(const struct stat *st, uid_t uid, gid_t gid)
{
    if (st->st_uid == uid)
        return st->st_mode & S_IRUSR;
    if (st->st_gid == gid)
        return st->st_mode & S_IRGRP;
    return st->st_mode & S_IROTH;
}

/* The kernel takes every perf counter off a process that runs a file
 * its user may not read (mode 0111: a task can make one, a memfd or a
 * copy of a program), and off all that process starts after: without a
 * v2 cgroup, children it lets the kernel reap (SIGCHLD ignored) then
 * count nowhere, and escaped the CPU limit (3 s of CPU under 300 ms, as
 * nobody under --isolate judge).  The program it runs, looked at
 * through /proc/PID/exe, is the evidence (its /proc files' owner is not:
 * in a user namespace an undumpable process's are the namespace's root's,
 * the task's own user).  Looked at only beside the counter (the scans
 * without it count no such process less than another). */
static void note_left_the_counter(cordon__attempt_state *s, pid_t pid)
{
    if (s->cpu_counter_fd < 0 || s->left_the_counter)
        return;
    char path[48];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || readable_by(&st, s->task_uid, s->task_gid))
        return;
    /* A forked copy of a caller whose own program its user may not read
     * (installed 0711) runs that program without having run it: it kept
     * the counter. */
    struct stat caller;
    if (stat("/proc/self/exe", &caller) == 0 && caller.st_dev == st.st_dev &&
        caller.st_ino == st.st_ino)
        return;
    s->left_the_counter = pid;
}

static void add_process(scan_sum *sum, cordon__attempt_state *s, pid_t pid,
                        const cordon__proc_stat *st, uint64_t tick)
{
    uint64_t share = process_share_ns(s, pid, st, tick);
    if (share == 0)
        return; /* the init's own, or nothing yet */
    note_left_the_counter(s, pid);
    /* The kernel's records of what the counter follows also see a process
     * that ran such a file for a moment only (lib/tree_cpu_followed.c). */
    if (cordon__counter_records_wanted(s) &&
        cordon__counter_follower_left(s->counter_follower, pid, st))
        s->left_the_counter = pid;
    sum->ns += share;
    sum->processes++;
    sum->user_ticks += st->utime + st->cutime;
    sum->system_ticks += st->stime + st->cstime;
}

static scan_sum session_cpu(cordon__attempt_state *s)
{
    scan_sum sum = { 0, 0, 0, 0 };
    DIR *proc = opendir("/proc");
    if (!proc)
        return sum;
    uint64_t tick = tick_ns();
    for (struct dirent *entry; (entry = readdir(proc));) {
        char *end;
        long pid = strtol(entry->d_name, &end, 10);
        if (pid <= 0 || *end)
            continue;
        cordon__proc_stat st;
        if (cordon__proc_stat_read((pid_t)pid, &st) && st.session == s->group)
            add_process(&sum, s, (pid_t)pid, &st, tick);
    }
    closedir(proc);
    return sum;
}

/* One process of the machine, as the scan for a namespace's tree saw it. */
typedef struct scanned {
    pid_t pid, ppid;
    unsigned char in_tree; /* 0 not known yet, 1 beneath the init, 2 not */
    cordon__proc_stat stat;
} scanned;

static int by_pid(const void *a, const void *b)
{
    pid_t x = ((const scanned *)a)->pid, y = ((const scanned *)b)->pid;
    return (x > y) - (x < y);
}

static scanned *find(scanned *all, size_t count, pid_t pid)
{
    scanned key = { .pid = pid };
    return bsearch(&key, all, count, sizeof *all, by_pid);
}

/* Every process of the machine with its parent; NULL when out of memory. */
static scanned *scan_machine(size_t *count)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return NULL;
    size_t n = 0, size = 256;
    scanned *all = malloc(size * sizeof *all);
    for (struct dirent *entry; all && (entry = readdir(proc));) {
        char *end;
        long pid = strtol(entry->d_name, &end, 10);
        if (pid <= 0 || *end)
            continue;
        if (n == size) {
            scanned *grown = realloc(all, 2 * size * sizeof *all);
            if (!grown) {
                free(all);
                all = NULL;
                break;
            }
            all = grown;
            size *= 2;
        }
        if (cordon__proc_stat_read((pid_t)pid, &all[n].stat)) {
            all[n].pid = (pid_t)pid;
            all[n].ppid = all[n].stat.ppid;
            all[n].in_tree = 0;
            n++;
        }
    }
    closedir(proc);
    if (all)
        qsort(all, n, sizeof *all, by_pid);
    *count = n;
    return all;
}

/* Whether `p` descends from the init: up its parents to one already
 * known, the init (yes) or the top of the machine (no); the whole path
 * then gets the answer, so each process is climbed through once. */
static bool beneath(scanned *all, size_t count, scanned *p, pid_t init)
{
    scanned *at = p;
    unsigned char answer = 2;
    for (size_t steps = 0; at && steps <= count; steps++) {
        if (at->in_tree) {
            answer = at->in_tree;
            break;
        }
        if (at->ppid == init) {
            answer = 1;
            break;
        }
        at = at->ppid > 0 ? find(all, count, at->ppid) : NULL;
    }
    for (at = p; at && !at->in_tree;) {
        at->in_tree = answer;
        at = at->ppid > 0 && at->ppid != init ? find(all, count, at->ppid) : NULL;
    }
    return answer == 1;
}

/* The counter counts the init's own from the moment it was attached,
 * not the starter: the same leaving out of cordon's start as above. */
static uint64_t counted_less_cordon_s_start(const cordon__attempt_state *s, uint64_t counted_ns)
{
    if (!s->in_namespaces)
        return less_the_give_back(s, counted_ns);
    uint64_t init_s = __atomic_load_n(&s->init_report->init_cpu_ns, __ATOMIC_ACQUIRE);
    if (s->init_own_cpu_ns > init_s)
        init_s = s->init_own_cpu_ns;
    uint64_t uncounted = __atomic_load_n(&s->init_report->init_cpu_uncounted_ns, __ATOMIC_ACQUIRE);
    init_s -= uncounted < init_s ? uncounted : init_s;
    return counted_ns > init_s ? counted_ns - init_s : 0;
}

/* The largest figure read (a scan's or the counter's), and the split of
 * the scan that saw the most ticks: the usage of processes wait4 will not
 * count (see cordon__usage_count_scanned).  The counter has no split of
 * its own, and a figure of its replacing the scan's split with none had
 * the children it saw split as wait4's figures for the rest: two children
 * spinning 400 ms in user mode read as 402 ms of system time. */
static void remember_scan(cordon__attempt_state *s, const scan_sum *sum)
{
    if (sum->ns > s->scanned_cpu_ns)
        s->scanned_cpu_ns = sum->ns;
    if (sum->user_ticks + sum->system_ticks > s->scanned_user_ticks + s->scanned_system_ticks) {
        s->scanned_user_ticks = sum->user_ticks;
        s->scanned_system_ticks = sum->system_ticks;
    }
}

/* The counter's figure is exact when it is read; it is kept, as a scan's
 * is, for the usage of the processes wait4 will not count (its split is
 * wait4's). */
static bool read_the_counter(cordon__attempt_state *s, uint64_t *ns)
{
    uint64_t counted;
    if (s->cpu_counter_fd < 0 || cordon__tree_cpu_counter_read(s->cpu_counter_fd, &counted) < 0)
        return false;
    *ns = counted_less_cordon_s_start(s, counted);
    scan_sum sum = { *ns, 0, 0, 0 };
    remember_scan(s, &sum);
    return true;
}

/* A walk of a check stops once the counter alone shows the limit: the
 * walk of a tree of thousands takes tens of ms, which the limit would
 * otherwise be overshot by. */
static bool counter_shows_the_limit(void *context)
{
    cordon__attempt_state *s = context;
    uint64_t counted;
    return s->cpu_limit_ns && read_the_counter(s, &counted) && counted >= s->cpu_limit_ns;
}

/* The tree beneath the init, found from it down (lib/namespace_tree.c):
 * what a scan of the machine finds, at the cost of the task's own tree.
 * Given up (the counter showed the limit meanwhile): an empty sum. */
static bool walked_cpu(cordon__attempt_state *s, scan_sum *sum)
{
    cordon__tree_process *found = NULL;
    size_t count = 0;
    int rc = cordon__namespace_tree(s->pid, &found, &count, counter_shows_the_limit, s);
    if (rc == -ECANCELED)
        return true;
    if (rc < 0)
        return false;
    uint64_t tick = tick_ns();
    for (size_t i = 0; i < count; i++)
        add_process(sum, s, found[i].pid, &found[i].stat, tick);
    free(found);
    return true;
}

static scan_sum namespace_cpu(cordon__attempt_state *s)
{
    scan_sum walked = { 0, 0, 0, 0 };
    if (walked_cpu(s, &walked))
        return walked;
    size_t count;
    scanned *all = scan_machine(&count);
    if (!all)
        return session_cpu(s);
    scan_sum sum = { 0, 0, 0, 0 };
    uint64_t tick = tick_ns();
    for (size_t i = 0; i < count; i++)
        if (all[i].pid != s->pid && beneath(all, count, &all[i], s->pid))
            add_process(&sum, s, all[i].pid, &all[i].stat, tick);
    free(all);
    return sum;
}

uint64_t cordon__rusage_cpu_ns(const struct rusage *ru)
{
    return ((uint64_t)ru->ru_utime.tv_sec + (uint64_t)ru->ru_stime.tv_sec) * 1000000000ull +
           ((uint64_t)ru->ru_utime.tv_usec + (uint64_t)ru->ru_stime.tv_usec) * 1000u;
}

/* Until the init says the task runs, every process of the tree is
 * cordon's, starting it: the init copying the caller, a command's first
 * process giving that copy's memory back (tens of ms for a caller of
 * hundreds of MiB).  None of that is the task's. */
static bool task_started(const cordon__attempt_state *s)
{
    return !s->in_namespaces || __atomic_load_n(&s->init_report->task_started, __ATOMIC_ACQUIRE);
}

/* The cgroup also counts cordon's own start of a task in namespaces: the
 * child that made them and the init up to the task's start, and, once the
 * init was reaped, all of the init's own work (its end frees its copy of
 * the caller: tens of ms for a function task from a caller holding a few
 * GiB).  Left out, so that the limit counts what the task's usage shows. */
static uint64_t less_cordon_s_start(const cordon__attempt_state *s, uint64_t cgroup_ns)
{
    if (!s->in_namespaces)
        return less_the_give_back(s, cgroup_ns);
    if (!task_started(s))
        return 0;
    uint64_t init_s = __atomic_load_n(&s->init_report->init_cpu_ns, __ATOMIC_ACQUIRE);
    if (s->init_own_cpu_ns > init_s) /* the init ended: all of its own */
        init_s = s->init_own_cpu_ns;
    uint64_t cordon_s = s->starter_cpu_ns + init_s;
    return cgroup_ns > cordon_s ? cgroup_ns - cordon_s : 0;
}

/* wait4 misses processes nobody waited for: without a pid namespace, an
 * orphan the machine's init reaped and a child still running when the
 * first process ended; with one, a child of a parent that ignored
 * SIGCHLD (the kernel reaps it and adds its time to no one).  The task's
 * v2 cgroup counted them: its figure, less cordon's start, where it is
 * larger by more than the init's own work after the start (which the
 * cgroup counts too) could be, split as the cgroup split it; else wait4's
 * exact per-process figures stay. */
#define UNWAITED_MIN_NS (2u * 1000u * 1000u)
void cordon__usage_count_unwaited(cordon__attempt_state *s)
{
    uint64_t user_us, system_us;
    if (!s->cgroup || cordon__cgroup_cpu_times(s->cgroup, &user_us, &system_us) < 0 ||
        user_us + system_us == 0)
        return;
    uint64_t total_ns = less_cordon_s_start(s, (user_us + system_us) * 1000u);
    uint64_t waited_ns = cordon__rusage_cpu_ns(&s->rusage);
    uint64_t margin = waited_ns / 50u > UNWAITED_MIN_NS ? waited_ns / 50u : UNWAITED_MIN_NS;
    if (total_ns <= waited_ns + margin)
        return;
    uint64_t total_us = total_ns / 1000u;
    user_us = (uint64_t)((double)user_us * (double)total_us / (double)(user_us + system_us));
    system_us = total_us - user_us;
    s->rusage.ru_utime = (struct timeval){ .tv_sec = (time_t)(user_us / 1000000u),
                                           .tv_usec = (suseconds_t)(user_us % 1000000u) };
    s->rusage.ru_stime = (struct timeval){ .tv_sec = (time_t)(system_us / 1000000u),
                                           .tv_usec = (suseconds_t)(system_us % 1000000u) };
}

/* The tree's CPU as its cgroup, else a scan, sees it; with no scan, what
 * the scans saw so far. */
static uint64_t read_without_the_counter(cordon__attempt_state *s, bool scan, bool *did_scan)
{
    *did_scan = false;
    int64_t cgroup_us = s->cgroup ? cordon__cgroup_cpu_usage_us(s->cgroup) : -ENOENT;
    if (cgroup_us >= 0)
        return less_cordon_s_start(s, (uint64_t)cgroup_us * 1000u);
    if (!scan)
        return s->scanned_cpu_ns;
    *did_scan = true;
    /* What the init reaped, read before the walk: a zombie the walk
     * counted that the init reaped before a later read would count twice
     * (a task of 250 ms whose children it never waited for was read at
     * 333 ms, and ended as a CpuLimit of 300 ms).  Read first, one reaped
     * in between is missed by both, until the next read. */
    uint64_t reaped = s->in_namespaces
                          ? __atomic_load_n(&s->init_report->reaped_cpu_ns, __ATOMIC_ACQUIRE)
                          : 0;
    scan_sum sum = s->in_namespaces ? namespace_cpu(s) : session_cpu(s);
    if (s->counter_follower)
        cordon__counter_follower_scan_done(s->counter_follower);
    sum.ns += reaped;
    s->last_scan_processes = sum.processes;
    remember_scan(s, &sum);
    return sum.ns;
}

/* The records of which processes the counter follows are read while the
 * task runs as it will: once cordon ends its tree (its deadline, a limit,
 * a cancel, its first process's end), the burst of the ending processes'
 * records is no evidence of anything (1,500 processes killed at once
 * overrun the kernel's buffers). */
bool cordon__counter_records_wanted(const cordon__attempt_state *s)
{
    return s->counter_follower && !s->exited && !s->timed_out && !s->cancelled &&
           !s->cpu_exceeded && !s->left_the_counter && !s->counter_records_lost;
}

void cordon__counter_records_read(cordon__attempt_state *s)
{
    if (cordon__counter_records_wanted(s) && !cordon__counter_follower_read(s->counter_follower))
        s->counter_records_lost = true;
}

/* Beside the counter a scan only finds what the counter lost (below):
 * it is made when due, at most a twentieth of the caller's CPU, while
 * the counter is read at every check.  Checks that scanned each time, and
 * were spaced by the scan's cost, let a task that forked 7,000 children
 * it never waited for and then spun reach 1.3-1.9 s of CPU under a 1 s
 * limit: its counter was read once in 2.8 s. */
#define SCAN_COST_SHARE 20u

static bool scan_due(const cordon__attempt_state *s, bool full)
{
    return full || s->cpu_counter_fd < 0 || s->counter_short ||
           cordon__now_ns() >= s->next_scan_ns;
}

/* Once a scan saw more than the counter (cordon__counter_fell_short: it
 * lost a process), the scans are made at every check, as they were
 * before the counter, and space the checks by their cost.  Paced alone,
 * they let such a spinner beside 3,000 sleeping children run to its
 * RLIMIT_CPU backstop, 2.3-3.0 s under a limit of 1.5 s. */

static uint64_t scan_timed(cordon__attempt_state *s, bool *did_scan)
{
    uint64_t start = cordon__thread_cpu_ns();
    uint64_t seen = read_without_the_counter(s, true, did_scan);
    uint64_t cost = cordon__thread_cpu_ns() - start;
    s->last_scan_cpu_ns = cost;
    s->next_scan_ns = cordon__now_ns() + cost * SCAN_COST_SHARE;
    return seen;
}

/* The counter is exact, but not always the whole tree's: the kernel takes
 * every perf counter off a process that execs a file it may not read
 * (mode 0111) or a set-user-ID one (fs/exec.c: "disable monitoring ...
 * when executing setuid binaries"), which any task can do; that process
 * and all it starts afterwards are then seen only by the cgroup or the
 * scans.  The larger figure is the tree's (the counter alone let such a
 * process spin to its own RLIMIT_CPU, 2 s under a 300 ms limit, and each
 * process of a fork of them as long).  The counter is read after the
 * scan: a walk given up when it showed the limit left the scan's figure
 * short. */
uint64_t cordon__tree_cpu_ns(cordon__attempt_state *s, bool full)
{
    s->last_scan_cpu_ns = 0;
    if (!task_started(s))
        return 0;
    /* A command's first process giving its copy back, whose cost is not
     * yet known: the figure stays as last read (without namespaces a
     * forked copy of a caller of 1 GiB took 10-20 ms, and a limit of
     * 10 ms ended /bin/true as a CpuLimit).  Looked at before and after
     * the reads, as a sequence lock: a give-back that began after the
     * first look was counted by the reads but not yet written (the
     * caller's thread preempted between the two, under load: a CpuLimit
     * of 10 ms for /bin/true again). */
    bool watch = !s->in_namespaces && s->command_gives_back;
    uint64_t written = watch ? __atomic_load_n(&s->init_report->give_back_cpu_ns, __ATOMIC_ACQUIRE) : 0;
    if (watch && __atomic_load_n(&s->init_report->giving_back, __ATOMIC_ACQUIRE))
        return s->cpu_used_ns;
    /* Read at every check, before a scan judges by them: the kernel's
     * buffers hold some tens of ms of a busy tree's records. */
    cordon__counter_records_read(s);
    bool did_scan;
    uint64_t seen = scan_due(s, full) ? scan_timed(s, &did_scan)
                                      : read_without_the_counter(s, false, &did_scan);
    uint64_t counted = 0;
    bool exact = read_the_counter(s, &counted);
    if (did_scan && exact && cordon__counter_fell_short(seen, counted, s->last_scan_processes))
        s->counter_short = true;
    if (watch && (__atomic_load_n(&s->init_report->giving_back, __ATOMIC_ACQUIRE) ||
                  __atomic_load_n(&s->init_report->give_back_cpu_ns, __ATOMIC_ACQUIRE) != written))
        return s->cpu_used_ns;
    return exact && counted > seen ? counted : seen;
}

static void subtract_us(struct timeval *tv, uint64_t *us)
{
    uint64_t have = (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
    uint64_t taken = *us < have ? *us : have;
    have -= taken;
    *us -= taken;
    *tv = (struct timeval){ .tv_sec = (time_t)(have / 1000000u),
                            .tv_usec = (suseconds_t)(have % 1000000u) };
}

/* Without namespaces the first process's wait4 figures count its
 * give-back, mostly the kernel's dropping of pages: left out, as the init
 * leaves it out of the tree's with them. */
void cordon__usage_leave_out_give_back(cordon__attempt_state *s)
{
    if (s->in_namespaces)
        return;
    uint64_t give_back_us = no_namespace_give_back(s) / 1000u;
    subtract_us(&s->rusage.ru_stime, &give_back_us);
    subtract_us(&s->rusage.ru_utime, &give_back_us);
}

static void add_us(struct timeval *tv, uint64_t us)
{
    uint64_t total = (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec + us;
    *tv = (struct timeval){ .tv_sec = (time_t)(total / 1000000u),
                            .tv_usec = (suseconds_t)(total % 1000000u) };
}

/* The share of `part` that is user time, as `user` and `system` split. */
static uint64_t user_share(uint64_t part, uint64_t user, uint64_t system)
{
    if (user + system == 0)
        return part;
    return (uint64_t)((double)part * (double)user / (double)(user + system));
}

static uint64_t timeval_us(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* Adds `missed_us` to the usage, split as the scans' ticks split it, or
 * where no scan saw any (the counter alone) as wait4's figures do. */
static void add_missed(cordon__attempt_state *s, uint64_t missed_us, uint64_t user_ticks,
                       uint64_t system_ticks)
{
    uint64_t user_us = user_ticks + system_ticks
                           ? user_share(missed_us, user_ticks, system_ticks)
                           : user_share(missed_us, timeval_us(s->rusage.ru_utime),
                                        timeval_us(s->rusage.ru_stime));
    add_us(&s->rusage.ru_utime, user_us);
    add_us(&s->rusage.ru_stime, missed_us - user_us);
}

/* Without a v2 cgroup, the scans behind a CPU limit (or the tree's CPU
 * counter) saw processes that wait4 does not count (an orphan the
 * machine's init reaped, a child still running when the first process
 * ended, one reaped by a parent that ignored SIGCHLD): where the largest
 * figure read is larger by more than a scan's imprecision, the difference
 * is added, so that usage shows at least what the limit counted.  What ran
 * after the last scan stays uncounted; the counter's last reading is after
 * the end.  A limit that fired is shown in usage at the figure that fired
 * it (the message's): the counter's runs ahead of wait4's by the time the
 * kernel took for interrupts (and a hypervisor for itself) while a
 * process of the task was on the CPU, some 0.1 %. */
void cordon__usage_count_scanned(cordon__attempt_state *s)
{
    uint64_t waited_ns = cordon__rusage_cpu_ns(&s->rusage);
    uint64_t margin = waited_ns / 50u > UNWAITED_MIN_NS ? waited_ns / 50u : UNWAITED_MIN_NS;
    if (s->scanned_cpu_ns > waited_ns + margin)
        add_missed(s, (s->scanned_cpu_ns - waited_ns) / 1000u, s->scanned_user_ticks,
                   s->scanned_system_ticks);
    waited_ns = cordon__rusage_cpu_ns(&s->rusage);
    if (s->cpu_exceeded && s->cpu_used_ns > waited_ns)
        add_missed(s, (s->cpu_used_ns - waited_ns + 999u) / 1000u, s->scanned_user_ticks,
                   s->scanned_system_ticks);
}

unsigned cordon__usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int count = CPU_COUNT(&set);
    return count > 0 ? (unsigned)count : 1;
}
