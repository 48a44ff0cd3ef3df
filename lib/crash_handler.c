/*
 * Crash handlers of a function task's child.  They run on their own stack
 * (a stack overflow leaves none), record the signal, its cause, the faulting
 * address and the raw backtrace in the shared region, and let the signal
 * kill the child as it would have.  Symbol names are found later, in the
 * parent, which has the same mappings as the child had.
 */
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
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

/*
 * What the task printed before it crashed is kept.  stdio may still hold
 * it in a stream's buffer, and fflush is no safe call here: the crash may
 * have happened inside stdio, with the stream's lock held (a recursive lock
 * this very thread owns, so fflush would not even wait) and its pointers
 * half-updated.  So the buffer is handed to write(2) alone, once its
 * pointers are seen to lie in order: no lock, no allocation, and nothing
 * of stdio needs to stay right, since the process dies next.  At worst a
 * crash inside stdio itself repeats or loses a few bytes; a scribbled
 * FILE makes write fail with EFAULT or write bytes of the task's own.
 */
#define MAX_BUFFER_WRITTEN (16u << 20)

static void write_buffered(FILE *stream, int fd)
{
#if defined(__GLIBC__)
    const char *base = stream->_IO_write_base, *ptr = stream->_IO_write_ptr;
    if (!base || ptr <= base || ptr > stream->_IO_buf_end ||
        (size_t)(ptr - base) > MAX_BUFFER_WRITTEN)
        return;
    while (base < ptr) {
        ssize_t n = write(fd, base, (size_t)(ptr - base));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        base += n;
    }
#else
    (void)stream; /* other C libraries: what is buffered is lost */
    (void)fd;
#endif
}


static void crash_handler(int signo, siginfo_t *info, void *context)
{
    cordon__crash_record *crash = &crash_shared->crash;
    if (crash->signal == 0) {
        crash->signal = signo;
        crash->code = info->si_code;
        crash->address = (uintptr_t)info->si_addr;
        if (info->si_code <= 0) { /* sent (kill, tkill, sigqueue): si_addr is no address */
            crash->sender_pid = info->si_pid;
            crash->sender_uid = (int32_t)info->si_uid;
        }
        /* only a filter's trap says which call: a sent SIGSYS has none */
        crash->syscall_nr =
            signo == SIGSYS && info->si_code == CORDON__SIGSYS_BY_SECCOMP ? info->si_syscall : -1;
        record_frames(crash, faulting_pc(context));
        write_buffered(stdout, STDOUT_FILENO);
        write_buffered(stderr, STDERR_FILENO);
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
