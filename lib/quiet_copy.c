/*
 * A copy of the caller for a helper process of cordon's (the spare
 * namespaces' keeper, a terminal's keeper): made with exit signal 0, so
 * that the caller's SIGCHLD handler and its wait(-1) never see it, with
 * a pidfd to wait for it by, and with every signal blocked across the
 * clone, so that no handler of the caller's runs in the copy before
 * `main` (which never returns) sets its own.
 */
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

pid_t cordon__quiet_copy(int *pidfd, void (*main)(void *), void *arg)
{
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    *pidfd = -1;
    long pid = syscall(SYS_clone, CLONE_PIDFD, NULL, pidfd, NULL, 0);
    if (pid == 0) {
        main(arg);
        _exit(1); /* never reached: `main` does not return */
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return (pid_t)pid;
}
