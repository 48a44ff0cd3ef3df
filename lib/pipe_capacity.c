/*
 * A pipe handed to a task (its stdin given with cordon_set_stdin_fd, an
 * inherited stdout or stderr): the task holds a description of its own,
 * but a pipe's capacity is the pipe's, and F_SETPIPE_SZ asks for no
 * privilege.  A task left the caller's stdin pipe at 4,096 bytes (it was
 * 65,536), and the writer feeding it, the caller's or another program's,
 * then waited at every 4 KiB.  The capacity is saved when the attempt
 * starts and put back when it ends, on a copy of the caller's fd taken
 * then (the caller may have closed or reused its fd by the end).  A
 * capacity the kernel will not give back (above fs.pipe-max-size for the
 * caller's user, or the pipe holding more than the task's) stays as the
 * task left it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

void cordon__pipe_capacity_save(int fd, cordon__pipe_capacity *saved)
{
    saved->fd = -1;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        return;
    int size = fcntl(fd, F_GETPIPE_SZ);
    if (size <= 0)
        return;
    saved->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    saved->size = size;
}

void cordon__pipe_capacity_restore(cordon__pipe_capacity *saved)
{
    if (saved->fd < 0)
        return;
    if (fcntl(saved->fd, F_GETPIPE_SZ) != saved->size)
        (void)fcntl(saved->fd, F_SETPIPE_SZ, saved->size);
    close(saved->fd);
    saved->fd = -1;
}
