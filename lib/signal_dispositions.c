/*
 * Every signal's disposition set at once, and the mask emptied: a
 * process of cordon's that starts from a copy of the caller (the task's
 * child, the terminal's keeper) must not keep the caller's handlers or
 * its ignored signals.
 *
 * The raw system call, because glibc's sigaction refuses the two signals
 * it keeps for itself (32 and 33), and a caller that ignored one of them
 * would otherwise hand that on.  Async-signal-safe.
 */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* The kernel's own layout of rt_sigaction's argument. */
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

int cordon__set_every_signal(void (*handler)(int))
{
    struct kernel_sigaction action = { .handler = handler };
    for (int signo = 1; signo < NSIG; signo++) {
        if (signo == SIGKILL || signo == SIGSTOP)
            continue;
        if (syscall(SYS_rt_sigaction, signo, &action, NULL, sizeof action.mask) != 0 &&
            errno != EINVAL)
            return -errno;
    }
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
        return -errno;
    return 0;
}
