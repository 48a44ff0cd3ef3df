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
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

/* One name of a path at a time, where openat2 is missing (a kernel
 * before 5.6, or the filter of a cordon this one runs in, which refuses
 * it with ENOSYS: a cordon inside a cordon with a limit could not start a
 * task on a machine with a second proc mounted): each name opened without
 * following it, and a link among them ELOOP, as RESOLVE_NO_SYMLINKS. */
static long open_each_name(const char *path)
{
    char name[NAME_MAX + 1];
    size_t whole = strnlen(path, PATH_MAX);
    if (whole == 0 || whole == PATH_MAX) {
        errno = whole ? ENAMETOOLONG : ENOENT;
        return -1;
    }
    /* "file/" names a directory, as openat2 reads it */
    bool directory = path[whole - 1] == '/';
    int at = path[0] == '/' ? (int)syscall(SYS_openat, AT_FDCWD, "/", O_PATH | O_CLOEXEC)
                            : AT_FDCWD;
    if (at < 0 && path[0] == '/')
        return -1;
    const char *rest = path;
    for (;;) {
        while (*rest == '/')
            rest++;
        size_t length = 0;
        while (rest[length] && rest[length] != '/')
            length++;
        if (length == 0) /* "/" itself, or a trailing slash */
            return at == AT_FDCWD ? syscall(SYS_openat, AT_FDCWD, ".", O_PATH | O_CLOEXEC) : at;
        if (length > NAME_MAX) {
            if (at != AT_FDCWD)
                close(at);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(name, rest, length);
        name[length] = '\0';
        rest += length;
        long next = syscall(SYS_openat, at, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        struct stat st;
        if (next >= 0 && fstat((int)next, &st) == 0 && S_ISLNK(st.st_mode)) {
            close((int)next);
            next = -1;
            saved = ELOOP;
        }
        if (at != AT_FDCWD)
            close(at);
        if (next < 0) {
            errno = saved;
            return -1;
        }
        at = (int)next;
        while (*rest == '/')
            rest++;
        if (!*rest && directory && (fstat(at, &st) != 0 || !S_ISDIR(st.st_mode))) {
            close(at);
            errno = ENOTDIR;
            return -1;
        }
        if (!*rest)
            return at;
    }
}

long cordon__open_path_without_links(const char *path)
{
    struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };
    long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (fd < 0 && errno == ENOSYS)
        fd = open_each_name(path);
    return fd;
}

int cordon__open_path(const char *path, bool follow_links)
{
    long fd;
    do
        fd = follow_links ? open(path, O_PATH | O_CLOEXEC)
                          : cordon__open_path_without_links(path);
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
