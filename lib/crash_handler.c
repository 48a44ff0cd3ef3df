/*
 * Crash handlers of a function task's child.  They run on their own stack
 * (a stack overflow leaves none), record the signal, its cause, the faulting
 * address and the raw backtrace in the shared region, and let the signal
 * kill the child as it would have.  Symbol names are found later, in the
 * parent, which has the same mappings as the child had.
 */
#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

#define ALTERNATE_STACK_SIZE (256 * 1024)

static cordon__shared *crash_shared;

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS };

static uintptr_t faulting_pc(void *context)
{
#if defined(__x86_64__)
    return (uintptr_t)((ucontext_t *)context)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)((ucontext_t *)context)->uc_mcontext.pc;
#else
    (void)context;
    return 0;
#endif
}

/* Keeps the frames from the faulting instruction on: the handler's own
 * frames and the signal trampoline are noise. */
static void record_frames(cordon__crash_record *crash, uintptr_t pc)
{
    void *frames[CORDON_MAX_FRAMES + 8];
    int count = backtrace(frames, CORDON_MAX_FRAMES + 8);
    int first = 0;
    while (first < count && (uintptr_t)frames[first] != pc)
        first++;
    uint32_t kept = 0;
    if (first == count) { /* not found: start with the pc, skip handler + trampoline */
        crash->frames[kept++] = pc;
        first = count > 2 ? 2 : count;
    }
    for (int i = first; i < count && kept < CORDON_MAX_FRAMES; i++)
        crash->frames[kept++] = (uintptr_t)frames[i];
    crash->frame_count = kept;
}

static void crash_handler(int signo, siginfo_t *info, void *context)
{
    cordon__crash_record *crash = &crash_shared->crash;
    if (crash->signal == 0) {
        crash->signal = signo;
        crash->code = info->si_code;
        crash->address = (uintptr_t)info->si_addr;
        crash->syscall_nr = signo == SIGSYS ? info->si_syscall : -1;
        record_frames(crash, faulting_pc(context));
    }
    /* SA_RESETHAND restored the default action; a fault re-executes and
     * dies, a sent signal needs sending again (it stays pending until this
     * handler returns). */
    raise(signo);
}

void cordon__crash_handlers_install(cordon__shared *shared)
{
    crash_shared = shared;
    void *stack = mmap(NULL, ALTERNATE_STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return; /* the crash is still reported, only without a backtrace */
    stack_t alternate = { .ss_sp = stack, .ss_size = ALTERNATE_STACK_SIZE, .ss_flags = 0 };
    if (sigaltstack(&alternate, NULL) != 0)
        return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = crash_handler;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigfillset(&action.sa_mask);
    for (size_t i = 0; i < sizeof crash_signals / sizeof *crash_signals; i++)
        sigaction(crash_signals[i], &action, NULL);
}
