/*
 * A path opened as an O_PATH fd, and checked against the file it named
 * when it was given: what the parent's rules and the init's mounts are
 * made on, so that a path a task could change between two runs (a parent
 * renamed, a link left in its place) is never looked up a second time
 * for the same decision.  Plain system calls only: the init calls these
 * between fork and exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

int cordon__open_path(const char *path, bool follow_links)
{
    struct open_how how = { .flags = O_PATH | O_CLOEXEC,
                            .resolve = follow_links ? 0 : RESOLVE_NO_SYMLINKS };
    long fd;
    do
        fd = follow_links ? open(path, O_PATH | O_CLOEXEC)
                          : syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return !follow_links && errno == ELOOP ? -ESTALE : -errno;
    return (int)fd;
}

int cordon__open_checked(const char *path, bool follow_links,
                         const cordon__file_identity *expected, struct stat *st)
{
    int fd = cordon__open_path(path, follow_links);
    if (fd < 0)
        return fd;
    if (fstat(fd, st) != 0) {
        int saved = errno;
        close(fd);
        return -saved;
    }
    if (expected && (st->st_dev != expected->device || st->st_ino != expected->inode)) {
        close(fd);
        return -ESTALE;
    }
    return fd;
}
