/*
 * The caller's fds 0, 1 and 2, where it has closed them (a daemon).  An
 * fd of cordon's own would take such a number, and a run that hands over
 * the caller's stdin or inherits its fd 1 or 2 would hand over cordon's
 * fd instead: a concurrent run's cancel pipe, which the inheriting task's
 * output then filled, cancelling that run.  A check that the number is
 * open cannot tell them apart.  So before a run takes an fd, each of
 * those numbers that is closed gets /dev/null, close-on-exec (the
 * caller's own execs still find it closed), and that placeholder counts
 * as closed to every check of a caller's fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* No lock: a copy the caller forks while another thread holds one would
 * hold it for good.  /dev/null's identity is the same at every open. */
static uint64_t null_device, null_inode;
static unsigned placed; /* bit N: fd N holds cordon's placeholder */

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
        struct stat st;
        if (fd > 2 || fstat(fd, &st) != 0) { /* 0, 1 and 2 are all open */
            close(fd);
            return;
        }
        __atomic_store_n(&null_device, (uint64_t)st.st_dev, __ATOMIC_RELAXED);
        __atomic_store_n(&null_inode, (uint64_t)st.st_ino, __ATOMIC_RELAXED);
        __atomic_fetch_or(&placed, 1u << fd, __ATOMIC_RELEASE);
    }
}

bool cordon__standard_fd_is_placeholder(int fd)
{
    if (fd < 0 || fd > 2 || !(__atomic_load_n(&placed, __ATOMIC_ACQUIRE) & (1u << fd)))
        return false;
    struct stat st;
    int flags = fcntl(fd, F_GETFD);
    /* The caller may have closed it and put something of its own there
     * since: only /dev/null, still close-on-exec, is taken for cordon's. */
    return flags >= 0 && (flags & FD_CLOEXEC) && fstat(fd, &st) == 0 &&
           (uint64_t)st.st_dev == __atomic_load_n(&null_device, __ATOMIC_RELAXED) &&
           (uint64_t)st.st_ino == __atomic_load_n(&null_inode, __ATOMIC_RELAXED);
}
