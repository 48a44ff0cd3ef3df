/*
 * The task's streams on its read-only view of the files (lib/task_init.c).
 *
 * Under file rules the task's view of the caller's tree is made read-only
 * (but for what the rules let it write), because Landlock does not govern
 * a file's mode, times, owner or attributes: a chmod, a utimes or a
 * setxattr fails there with EROFS.  A stream handed to the task on a file
 * — its stdin a file, a terminal or a named FIFO (lib/stdin_fd.c), an
 * output a named FIFO or a device (lib/inherited_output.c) — is a
 * description the parent opened in the caller's namespace, on the
 * caller's writable mount: through it a task made the caller's stdin
 * file set-uid and world-writable, dated it 1970, planted an attribute on
 * it, and left the caller's terminal world-writable (--tty).
 *
 * So the init opens each such stream again by its name in the task's copy
 * of the tree, once that copy is read-only and before anything of the
 * task's (its /proc, binds, /dev, tmpfs) is mounted over a part of it,
 * and puts the new description in its place: the same file (checked), the
 * same access mode and status flags, the same offset, on the read-only
 * mount.  A terminal or a FIFO is still read and written there, and a
 * terminal's ioctls work; only what would change the file's inode fails.
 * A pipe, a socket, an anonymous file is on no mount of the tree and is
 * left as it is.  A name that no longer leads to the file (deleted,
 * renamed, out of the task's root) fails the start, naming the stream:
 * the task never runs with less confinement than it was given.  (The
 * parent relays a stdin file deleted already: lib/stdin_fd.c.)  A regular
 * file open for writing never gets here: an output to a regular file is
 * relayed, and the task holds only its pipe.
 *
 * Plain system calls only: the init is a forked copy of the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* "self/fd/N", relative to the caller's /proc (CORDON__HOST_PROC_FD). */
static void fd_link(char link[24], int fd)
{
    static const char prefix[] = "self/fd/";
    memcpy(link, prefix, sizeof prefix - 1);
    char digits[12];
    int n = 0;
    do
        digits[n++] = (char)('0' + fd % 10);
    while ((fd /= 10) > 0);
    char *at = link + sizeof prefix - 1;
    while (n > 0)
        *at++ = digits[--n];
    *at = '\0';
}

/* `fd`'s file's name in the caller's tree: 1, or 0 where it is on no
 * mount of it ("pipe:[n]", "socket:[n]", "anon_inode:…"), or -errno. */
static int name_of(int fd, char *name, size_t size)
{
    char link[24];
    fd_link(link, fd);
    ssize_t n = readlinkat(CORDON__HOST_PROC_FD, link, name, size - 1);
    if (n < 0)
        return -errno;
    if ((size_t)n >= size - 1)
        return -ENAMETOOLONG;
    name[n] = '\0';
    return name[0] == '/';
}

/* The file `path_fd` holds (on the view), opened as `fd` is: its access
 * mode and status flags, at its offset.  Non-blocking while it opens (a
 * FIFO must not wait for its other end), O_NOCTTY (a terminal). */
static int open_like(int fd, int path_fd, const struct stat *st)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -errno;
    char link[24];
    fd_link(link, path_fd);
    int at_open = (flags & (O_ACCMODE | O_APPEND | O_SYNC | O_DSYNC)) | O_NONBLOCK | O_NOCTTY |
                  O_CLOEXEC;
    int copy;
    do
        copy = openat(CORDON__HOST_PROC_FD, link, at_open);
    while (copy < 0 && errno == EINTR);
    if (copy < 0)
        return -errno;
    off_t offset = 0;
    if (fcntl(copy, F_SETFL, flags) != 0 ||
        (S_ISREG(st->st_mode) &&
         ((offset = lseek(fd, 0, SEEK_CUR)) < 0 || lseek(copy, offset, SEEK_SET) != offset))) {
        int error = -errno;
        close(copy);
        return error;
    }
    return copy;
}

/* Stream `fd` on the view, if it is on a mount: 0, or -errno (-ESTALE:
 * its name leads to another file, or through a link). */
static int view_stream(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return errno == EBADF ? 0 : -errno;
    if (S_ISSOCK(st.st_mode))
        return 0;
    char name[PATH_MAX];
    int rc = name_of(fd, name, sizeof name);
    if (rc <= 0)
        return rc;
    cordon__file_identity same = { st.st_dev, st.st_ino };
    struct stat found;
    int path_fd = cordon__open_checked(name, false, &same, &found);
    if (path_fd < 0)
        return path_fd;
    int copy = open_like(fd, path_fd, &st);
    close(path_fd);
    if (copy < 0)
        return copy;
    rc = dup3(copy, fd, 0) < 0 ? -errno : 0;
    close(copy);
    return rc;
}

int cordon__streams_on_view(int *failed_fd)
{
    for (int fd = 0; fd <= 2; fd++) {
        int rc = view_stream(fd);
        if (rc < 0) {
            *failed_fd = fd;
            return rc;
        }
    }
    return 0;
}
