/*
 * CORDON_OUTPUT_INHERIT: what of the caller's fd 1 or 2 the task may hold.
 *
 * A task given the caller's open file description itself can do with it
 * everything the description allows, not only write: read back what the
 * caller wrote to a read-write file, seek and overwrite it, truncate it,
 * recv on a socket or send what it likes at any time, change a
 * terminal's modes, set O_NONBLOCK on it.  So the task is handed a
 * description only where writing is all it can do and the description is
 * its own — a write-only description of the caller's pipe or device (not
 * a terminal), opened here — and everything else (a regular file, a
 * socket, a terminal, an anonymous pipe where the task has file rules,
 * what cannot be opened again) is relayed: the task writes to a pipe and
 * the collecting thread writes what arrives to the caller's fd
 * (lib/relay.c), in the caller's order and at the caller's offset.
 *
 * Refused: a description not open for writing (-EBADF), and a
 * pseudo-terminal's master (-ENOTTY): opening /dev/ptmx again, the only
 * way to a description of our own, makes a new pseudo-terminal, and the
 * caller's own would block the collecting thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"

static int reopen(int stream, int flags)
{
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", stream);
    int fd = open(path, flags | O_NOCTTY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* A terminal: a description of cordon's own, non-blocking (the caller's
 * keeps its flags), to relay to. */
static int terminal_target(int stream)
{
    unsigned pty_number;
    if (ioctl(stream, TIOCGPTN, &pty_number) == 0)
        return -ENOTTY; /* a master: see above */
    int fd = reopen(stream, O_WRONLY | O_NONBLOCK);
    if (fd < 0)
        return -ENOTTY;
    if (!isatty(fd)) { /* the caller's fd changed under us */
        close(fd);
        return -ENOTTY;
    }
    return fd;
}

/* An anonymous pipe (./host | consumer), for a task with file rules:
 * even a write-only description of it let the task open it again for
 * reading through its own /proc (lib/anonymous_pipe.c) and take what the
 * caller wrote for the consumer.  A non-blocking description of cordon's
 * own to relay to, or a negative errno. */
static int anonymous_pipe_target(int stream, const struct stat *caller)
{
    int fd = reopen(stream, O_WRONLY | O_NONBLOCK);
    if (fd < 0)
        return fd;
    struct stat mine;
    if (fstat(fd, &mine) != 0 || mine.st_dev != caller->st_dev || mine.st_ino != caller->st_ino) {
        close(fd);
        return -EBADF;
    }
    return fd;
}

/* A pipe or device: a write-only description of the same file, of the
 * task's own, which it may hold.  Opened non-blocking (a FIFO with no
 * other reader than the caller's description must not wait), then made
 * blocking as the task would expect its output. */
static int write_only_copy(int stream, const struct stat *caller)
{
    int fd = reopen(stream, O_WRONLY | O_NONBLOCK);
    if (fd < 0)
        return fd;
    struct stat mine;
    if (fstat(fd, &mine) != 0 || mine.st_dev != caller->st_dev || mine.st_ino != caller->st_ino ||
        mine.st_rdev != caller->st_rdev || fcntl(fd, F_SETFL, 0) != 0) {
        close(fd);
        return -EBADF;
    }
    return fd;
}

/* Whether the kernel writes a pipe without waiting when asked per call
 * (RWF_NOWAIT, Linux 5.8): an empty write says so and writes nothing. */
static bool pipe_writes_without_waiting(int fd)
{
    char none;
    struct iovec empty = { .iov_base = &none, .iov_len = 0 };
    return pwritev2(fd, &empty, 1, -1, RWF_NOWAIT) == 0;
}

int cordon__inherit_target(int stream, unsigned guard, bool *relay, bool *is_socket,
                           bool *is_pipe)
{
    *relay = *is_socket = *is_pipe = false;
    int flags = fcntl(stream, F_GETFL);
    struct stat st;
    if (flags < 0 || fstat(stream, &st) != 0)
        return -errno;
    if ((flags & O_PATH) || (flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    if (isatty(stream)) {
        *relay = true;
        return terminal_target(stream);
    }
    /* Even open write-only, the caller's own description is never the
     * task's: its status flags are the description's, and an O_NONBLOCK
     * (or a pipe's O_DIRECT) the task set stayed on the caller's output. */
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        /* a FIFO beneath the task's binds or tmpfs (CORDON__GUARD_VIEW) is
         * relayed too: opened again, its mode was the task's to change */
        bool anonymous = S_ISFIFO(st.st_mode) && (guard == CORDON__GUARD_VIEW ||
                                                  (guard && cordon__is_anonymous_pipe(stream)));
        int fd = anonymous ? anonymous_pipe_target(stream, &st) : write_only_copy(stream, &st);
        *relay = anonymous && fd >= 0;
        if (fd >= 0 || fd == -EBADF)
            return fd;
        /* A pipe /proc will not open again (another user's, a FIFO whose
         * reader is gone) is relayed where a write to it need not wait,
         * which the caller's description may not be made to do. */
        if (!S_ISFIFO(st.st_mode) || !pipe_writes_without_waiting(stream))
            return fd;
        *is_pipe = true;
    }
    /* A regular file, a block device, a socket: relayed through the
     * caller's own description, which the task never holds. */
    *relay = true;
    *is_socket = S_ISSOCK(st.st_mode);
    int fd = fcntl(stream, F_DUPFD_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}
