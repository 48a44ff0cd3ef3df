/*
 * A limit of the task's above the caller's own rlimit of the same kind
 * cannot be given (setrlimit raises no hard limit without
 * CAP_SYS_RESOURCE, and a limit cordon does not set is the caller's,
 * inherited): the task has the caller's.  Which ones, and what held
 * them, for the record (confinement_details), which must not claim a
 * limit that did not hold; and an ending the caller's CPU time limit
 * caused is said to be that, not left as a bare SIGKILL (a task asked
 * for --cpu 10s under `ulimit -t 1` ended "Killed" after 1 s, its record
 * saying 10000 ms).
 */
#include <signal.h>
#include <sys/resource.h>

#include "internal.h"

_Static_assert(CORDON_LIMIT_CPU_MS == 0 && CORDON_LIMIT_MEMORY == 1 &&
                   CORDON_LIMIT_FILE_SIZE == 2 && CORDON_LIMIT_OPEN_FILES == 3 &&
                   CORDON_LIMIT_PROCESSES == 4 && CORDON__RLIMIT_BACKED == 5,
               "the rlimit-backed limits come first, in this order");

static const int resource_of[CORDON__RLIMIT_BACKED] = {
    RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_NPROC,
};

/* The rlimit the task starts with: cordon's, else the caller's, which it
 * inherits (RLIMIT_AS beside a memory cgroup, RLIMIT_NPROC beside a pids
 * cgroup). */
static struct rlimit task_rlimit(const cordon__launch *l, int resource)
{
    struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };
    if (l->limit_set[resource])
        return l->limits[resource];
    if (resource == RLIMIT_NOFILE && l->open_files_after_handover)
        return l->open_files;
    (void)getrlimit(resource, &r);
    return r;
}

/* What an rlimit held of limit `which`, in its unit; UINT64_MAX: none.
 * A CPU limit by the hard one, where the kernel's SIGKILL comes (cordon
 * sets the soft one no lower). */
static uint64_t rlimit_held(const cordon__launch *l, int which)
{
    struct rlimit r = task_rlimit(l, resource_of[which]);
    if (which == CORDON_LIMIT_CPU_MS)
        return r.rlim_max == RLIM_INFINITY || r.rlim_max > UINT64_MAX / 1000 ? UINT64_MAX
                                                                             : r.rlim_max * 1000;
    if (r.rlim_cur == RLIM_INFINITY)
        return UINT64_MAX;
    rlim_t init = which == CORDON_LIMIT_PROCESSES && l->nproc_counts_init ? 1 : 0;
    return r.rlim_cur > init ? r.rlim_cur - init : 0;
}

void cordon__limit_clamps_find(const cordon_task *t, cordon__launch *l)
{
    l->clamped_limits = 0;
    for (int which = 0; which < CORDON__RLIMIT_BACKED; which++) {
        l->held_limits[which] = 0;
        uint64_t asked = t->limits[which];
        /* RLIMIT_NPROC binds no process of root's: the pids cgroup holds. */
        if (!asked || (which == CORDON_LIMIT_PROCESSES && l->runs_as_root))
            continue;
        uint64_t held = rlimit_held(l, which);
        /* The kernel's RLIMIT_CPU counts by ticks, ahead of the exact
         * figure: a caller's limit of 1 s below cordon's backstop ended a
         * task under --cpu 950ms at 787-983 ms, before the task's own
         * limit, as a bare "Killed".  Where the caller's is what may fire,
         * it is recorded and said as any clamp is. */
        if (held < asked || (which == CORDON_LIMIT_CPU_MS && l->cpu_rlimit_callers)) {
            l->clamped_limits |= 1u << which;
            l->held_limits[which] = held;
        }
    }
}

/* The kernel ends a process at its hard RLIMIT_CPU with SIGKILL and sends
 * SIGXCPU at its soft one: such an ending, where the rlimit was the
 * caller's (no CPU limit of the task's, or one it held lower) and the
 * first process had used that much, is said to be the caller's limit.
 * cordon's own backstop, above the task's limit, ends nothing the parent
 * does not name CpuLimit first. */
/* A SIGXFSZ under the caller's own file size limit (the task asked for
 * none): said, as the CPU time limit's is, so that the ending is not left
 * bare.  It stays the signal: the task may have sent it itself. */
static void explain_file_size(cordon_task *t, const cordon__launch *l)
{
    struct rlimit r = task_rlimit(l, RLIMIT_FSIZE);
    if (t->limits[CORDON_LIMIT_FILE_SIZE] || r.rlim_cur == RLIM_INFINITY)
        return;
    cordon__buffer_printf(&t->exc_out, "  (the caller's own file size limit, RLIMIT_FSIZE of "
                          "%llu bytes, is what the task had: the kernel sends SIGXFSZ to a "
                          "process that writes past it; the task asked for no file size "
                          "limit, so this is not taken as a FileSizeLimit)\n",
                          (unsigned long long)r.rlim_cur);
}

void cordon__limit_clamps_explain(cordon_task *t, const cordon__launch *l, uint64_t used_ns,
                                  int signo)
{
    if (signo == SIGXFSZ) {
        explain_file_size(t, l);
        return;
    }
    uint64_t asked = t->limits[CORDON_LIMIT_CPU_MS];
    if ((signo != SIGKILL && signo != SIGXCPU) ||
        (asked && !(l->clamped_limits & (1u << CORDON_LIMIT_CPU_MS))))
        return;
    struct rlimit r = task_rlimit(l, RLIMIT_CPU);
    rlim_t at = signo == SIGKILL ? r.rlim_max : r.rlim_cur;
    uint64_t us = used_ns / 1000u;
    /* The figures lag the kernel's own count (processes killed at 1 s
     * showed 0.79-0.98 s in their rusage): three quarters will do. */
    if (at == RLIM_INFINITY || at > UINT64_MAX / 2000000u || us < at * 750000u)
        return;
    cordon__buffer_printf(&t->exc_out, "  (the caller's own CPU time limit, RLIMIT_CPU of %llu s "
                          "per process, is what the task had", (unsigned long long)at);
    if (asked)
        cordon__buffer_printf(&t->exc_out, ", %s its limit of %llu ms",
                              (uint64_t)at * 1000u < asked ? "lower than" : "which counts by "
                              "the clock's ticks and so may end it before",
                              (unsigned long long)asked);
    /* The figure is the tree's and the limit each process's: a shell that
     * ran three children of 1.3 s under a limit of 2 s and killed itself
     * was said to have been ended by the limit.  So it is said what may
     * be, not taken to be. */
    cordon__buffer_printf(&t->exc_out, ", and its processes used %llu.%02llu s of CPU "
                          "together: the kernel ends a process that reaches that limit "
                          "with %s, so this ending may be the caller's limit%s)\n",
                          (unsigned long long)(us / 1000000u),
                          (unsigned long long)(us % 1000000u / 10000u),
                          signo == SIGKILL ? "SIGKILL" : "SIGXCPU",
                          asked ? ", not the task's CpuLimit" : "");
}
