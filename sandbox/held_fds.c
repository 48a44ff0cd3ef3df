/*
 * Checks that an fd the library keeps across tasks is still its own (see
 * held_fds.h).  Each costs a system call or three, once per task at most.
 * Only evidence says an fd is gone (EBADF, another file, no mark): a check
 * that itself failed (no fd or memory for /proc, EINTR) says it is still
 * held, since one taken for gone is never closed, and was left open at
 * every task under such failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "held_fds.h"

bool cordon__held_fd_is_file(int fd, const struct stat *when_opened)
{
    struct stat now;
    if (fd < 0)
        return false;
    if (fstat(fd, &now) != 0)
        return errno != EBADF;
    return now.st_dev == when_opened->st_dev && now.st_ino == when_opened->st_ino &&
           (now.st_mode & S_IFMT) == (when_opened->st_mode & S_IFMT);
}

int cordon__held_fd_mark(int fd)
{
    return fcntl(fd, F_SETOWN, getpid()) == 0 ? 0 : -errno;
}

bool cordon__held_fd_is_marked(int fd, const char *link, const struct stat *when_opened)
{
    if (fd < 0)
        return false;
    errno = 0;
    int owner = fcntl(fd, F_GETOWN);
    if (owner == -1 && errno != 0)
        return errno != EBADF;
    if (owner != getpid())
        return false;
    if (when_opened)
        return cordon__held_fd_is_file(fd, when_opened);
    char path[32], target[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len < 0)
        return true; /* open and marked; its kind cannot be read (no /proc) */
    target[len] = '\0';
    return strcmp(target, link) == 0;
}

bool cordon__held_fd_is_pidfd_of(int fd, pid_t pid)
{
    if (fd < 0)
        return false;
    char path[40], text[1024];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    int info = open(path, O_RDONLY | O_CLOEXEC);
    if (info < 0)
        return errno != ENOENT; /* ENOENT: no such fd (or no /proc, where nothing tells) */
    ssize_t len;
    do
        len = read(info, text, sizeof text - 1);
    while (len < 0 && errno == EINTR);
    close(info);
    if (len <= 0)
        return true;
    text[len] = '\0';
    char wanted[32];
    snprintf(wanted, sizeof wanted, "\nPid:\t%d\n", (int)pid);
    return strstr(text, wanted) != NULL;
}
