/*
 * The child's half of the sampling profiler.  A timer on the process's CPU
 * clock sends SIGPROF every 1/hz s of CPU the task uses (so a task that
 * sleeps or waits costs no samples), and the handler unwinds the stack into
 * the next free slot of the region the parent shared before the fork.
 *
 * Everything is set up before the seccomp filter, which may forbid
 * timer_create and sigaction.  After that the sampler makes no system call
 * at all (only the kernel's rt_sigreturn ends each handler): the handler
 * writes shared memory and calls libgcc's unwinder directly.  Not through
 * glibc's backtrace(): a sanitizer's wrapper around it allocates.  The
 * unwinder finds frames from the unwind tables (through _dl_find_object,
 * which takes no lock), so static functions without frame pointers are seen
 * with their callers.  The handler runs on the crash handlers' alternate
 * stack: a deeply recursive task may have little stack left.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <unwind.h>

#include "profiler.h"

/* Frames the walk may pass before it reaches the interrupted one: the
 * handler's own and the signal trampoline. */
#define HANDLER_FRAMES_MAX 8

static struct cordon__profile_region *sampled_region;
static uint32_t sampled_capacity;
/* The return address of the frame around call_function: where a walk of
 * the task's main thread leaves the task for cordon's own frames. */
static uintptr_t outer_anchor;

struct walk {
    uintptr_t pc;             /* the interrupted instruction */
    uintptr_t *frames;        /* from the interrupted pc outward */
    uint32_t kept, max, skipped, flags;
    bool found;
};

static uintptr_t interrupted_pc(const void *context)
{
#if defined(__x86_64__)
    return (uintptr_t)((const ucontext_t *)context)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)((const ucontext_t *)context)->uc_mcontext.pc;
#else
    (void)context;
    return 0;
#endif
}

static _Unwind_Reason_Code visit_frame(struct _Unwind_Context *context, void *data)
{
    struct walk *w = data;
    uintptr_t ip = (uintptr_t)_Unwind_GetIP(context);
    if (!w->found) {
        w->found = ip == w->pc;
        if (!w->found)
            return ++w->skipped < HANDLER_FRAMES_MAX ? _URC_NO_REASON : _URC_END_OF_STACK;
    }
    if (ip == outer_anchor) {
        /* The last frame kept is call_function's: cordon's, not the task's. */
        if (w->kept > 1)
            w->kept--;
        return _URC_END_OF_STACK;
    }
    if (w->kept == w->max) {
        w->flags |= CORDON_PROFILE_TRUNCATED;
        return _URC_END_OF_STACK;
    }
    w->frames[w->kept++] = ip;
    return _URC_NO_REASON;
}

static void record_sample(cordon__profile_sample *sample, const siginfo_t *info,
                          const void *context)
{
    struct walk w = {
        .pc = interrupted_pc(context), .frames = sample->frames, .max = CORDON_PROFILE_FRAMES,
    };
    _Unwind_Backtrace(visit_frame, &w);
    if (!w.found) {
        /* The unwinder did not get through the signal frame: the pc alone
         * still says where the CPU was. */
        sample->frames[0] = w.pc;
        w.kept = 1;
        w.flags |= CORDON_PROFILE_PC_ONLY;
    }
    sample->flags = w.flags;
    /* Periods that passed before the kernel's tick noticed the timer. */
    uint32_t weight = 1;
    if (info->si_code == SI_TIMER && info->si_overrun > 0)
        weight += info->si_overrun < (int)CORDON_PROFILE_MAX_WEIGHT
                      ? (uint32_t)info->si_overrun : CORDON_PROFILE_MAX_WEIGHT;
    sample->weight = weight;
    /* Last: the parent reads a slot only once its depth is set. */
    __atomic_store_n(&sample->depth, w.kept, __ATOMIC_RELEASE);
}

static void on_sigprof(int signo, siginfo_t *info, void *context)
{
    (void)signo;
    uint64_t slot = __atomic_fetch_add(&sampled_region->claimed, 1, __ATOMIC_RELAXED);
    /* Past the capacity the claim only counts the sample as dropped. */
    if (slot < sampled_capacity)
        record_sample(&sampled_region->samples[slot], info, context);
}

/* The anchor is the return address two frames out from
 * cordon__profile_child_start: past call_function (or the function it was
 * inlined into), which calls both it and the task.  This first walk also
 * binds the unwinder's lazy symbols and runs its one-time set-up here
 * rather than in the first handler. */
static __attribute__((noinline)) void find_outer_anchor(void)
{
    uintptr_t frames[HANDLER_FRAMES_MAX];
    struct walk w = {
        .pc = (uintptr_t)__builtin_return_address(0), .frames = frames,
        .max = HANDLER_FRAMES_MAX,
    };
    outer_anchor = 0;
    _Unwind_Backtrace(visit_frame, &w);
    /* [0] is in cordon__profile_child_start, [1] in call_function. */
    outer_anchor = w.found && w.kept > 2 ? frames[2] : 0;
}

static int start_timer(uint32_t hz)
{
    /* The raw calls: glibc's timer_create may allocate for other kinds of
     * notification, and the child allocates nothing. */
    struct sigevent event;
    memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_SIGNAL;
    event.sigev_signo = SIGPROF;
    int timer = -1;
    if (syscall(SYS_timer_create, CLOCK_PROCESS_CPUTIME_ID, &event, &timer) != 0)
        return errno;
    long ns = 1000000000L / (long)hz;
    struct timespec period = { .tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L };
    struct itimerspec every = { .it_interval = period, .it_value = period };
    if (syscall(SYS_timer_settime, timer, 0, &every, NULL) != 0)
        return errno;
    return 0;
}

/* Called from call_function, after the crash handlers' alternate stack and
 * before the filter. */
__attribute__((noinline)) void cordon__profile_child_start(struct cordon__profile_region *region)
{
    find_outer_anchor();
    /* Read before the task runs: later the task could have scribbled. */
    sampled_capacity = region->capacity < CORDON_PROFILE_CAPACITY ? region->capacity
                                                                  : CORDON_PROFILE_CAPACITY;
    uint32_t hz = region->hz;
    if (hz == 0 || hz > CORDON_PROFILE_MAX_HZ)
        hz = CORDON_PROFILE_DEFAULT_HZ;
    sampled_region = region;

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigprof;
    /* SA_RESTART: a sample must not make the task's read() fail. */
    action.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGPROF, &action, NULL) != 0) {
        region->timer_errno = errno;
        return;
    }
    int error = start_timer(hz);
    if (error)
        region->timer_errno = error;
}
