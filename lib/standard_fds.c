/*
 * The caller's fds 0, 1 and 2, where it has closed them (a daemon), or
 * closes them while a run goes on.  An fd of cordon's own takes such a
 * number whenever it is made (a run's pipes, a retry's next attempt, a
 * concurrent run's cgroup file), and a run that hands over the caller's
 * stdin or inherits its fd 1 or 2 would hand over cordon's fd instead: a
 * concurrent run's cancel pipe, which the inheriting task's output then
 * filled, or, as root, another run's cgroup.procs, into which the task's
 * output moved a process of the caller's to be killed with that tree.
 *
 * So a standard fd counts as the caller's to hand on only when it is
 * open and not close-on-exec.  Every fd cordon makes is close-on-exec,
 * whenever it took the number; and a caller that marked its own so said
 * it is not for the programs it runs.  Before a run (each attempt) takes
 * an fd, each of those numbers that is closed also gets /dev/null,
 * close-on-exec, so that the run's own fds stay off them (and the
 * caller's own writes to a closed stderr off cordon's pipes).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"

/* No lock: a copy the caller forks while another thread holds one would
 * hold it for good. */
void cordon__standard_fds_hold(void)
{
    /* The common case, all three open, costs three fcntl calls. */
    bool closed = false;
    for (int fd = 0; fd <= 2 && !closed; fd++)
        closed = fcntl(fd, F_GETFD) < 0 && errno == EBADF;
    if (!closed)
        return;
    for (;;) {
        int fd;
        do
            fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
            return;
        if (fd > 2) { /* 0, 1 and 2 are all open */
            close(fd);
            return;
        }
    }
}

int cordon__standard_fd_check(int fd)
{
    if (fd < 0 || fd > 2)
        return 0;
    int flags = fcntl(fd, F_GETFD);
    return flags < 0 || (flags & FD_CLOEXEC) ? -EBADF : 0;
}
