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
 * So the parent names each such stream (/proc/self/fd: as the caller's
 * root sees it, which the init's copy of the tree keeps; the init's own
 * look would name it from the root of a namespace it has left), and the
 * init opens it again by that name in the task's copy of the tree, once
 * that copy is read-only and before anything of the task's (its /proc,
 * binds, /dev, tmpfs) is mounted over a part of it, and puts the new
 * description in its place: the same file (checked), the
 * same access mode and status flags, the same offset, on the read-only
 * mount.  A terminal or a FIFO is still read and written there, and a
 * terminal's ioctls work; only what would change the file's inode fails.
 * A pipe, a socket, an anonymous file is on no mount of the tree and is
 * left as it is.  A stream its name does not open as the same file on
 * the view keeps the parent's description, as every stream did before:
 * one opened by a more privileged caller in a directory the task may not
 * enter, /dev/tty (the init has no controlling terminal), one on a mount
 * the init covers (a bind of a pty node, as containers give
 * /dev/console), a name past PATH_MAX, a deleted FIFO.  Failing those
 * refused runs that had always worked; a task that could make its own
 * stream's name lead elsewhere (a rename in the file's directory) could
 * replace the file itself anyway.  (The parent relays a stdin file
 * deleted already: lib/stdin_fd.c.)  A regular
 * file open for writing never gets here: an output to a regular file is
 * relayed, and the task holds only its pipe.
 *
 * The init's side makes plain system calls only: it is a forked copy of
 * the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* ---- The parent's side ---------------------------------------------- */

/* `fd`'s file's name, owned, or NULL where it is on no mount of the
 * caller's tree ("pipe:[n]", "socket:[n]", "anon_inode:…").  0 or -errno. */
static int name_of(int fd, char **name)
{
    *name = NULL;
    char link[32], text[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, text, sizeof text - 1);
    if (n < 0)
        return -errno;
    if ((size_t)n >= sizeof text - 1)
        return -ENAMETOOLONG;
    text[n] = '\0';
    if (text[0] != '/')
        return 0;
    *name = strdup(text);
    return *name ? 0 : -ENOMEM;
}

int cordon__streams_name(cordon__launch *l, bool terminals_only)
{
    const int fds[3] = { l->stdin_fd, l->stdout_fd, l->stderr_fd };
    for (int i = 0; i < 3; i++) {
        struct stat st;
        if (fds[i] < 0)
            continue;
        if (fstat(fds[i], &st) != 0)
            return -errno;
        if (S_ISSOCK(st.st_mode) ||
            (terminals_only &&
             !(S_ISCHR(st.st_mode) && cordon__terminal_that_opens_again(st.st_rdev))))
            continue;
        int rc = name_of(fds[i], &l->stream_names[i]);
        if (rc < 0)
            return rc;
        l->stream_ids[i] = (cordon__file_identity){ st.st_dev, st.st_ino };
    }
    return 0;
}

void cordon__streams_forget(cordon__launch *l)
{
    for (int i = 0; i < 3; i++) {
        free(l->stream_names[i]);
        l->stream_names[i] = NULL;
    }
}

/* ---- The init's side ------------------------------------------------ */

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

static int read_only_mount_of(int path_fd);

/* Stream `fd` on the view (or, with `own_mount`, on a read-only mount of
 * its node alone), named `name` by the parent when it was the file `id`:
 * 0, or -errno (-ESTALE: the name leads to another file, or through a
 * link). */
static int view_stream(int fd, const char *name, const cordon__file_identity *id, bool own_mount)
{
    struct stat st, found;
    if (fstat(fd, &st) != 0)
        return -errno;
    if (st.st_dev != id->device || st.st_ino != id->inode)
        return -ESTALE; /* not the description the parent named */
    int path_fd = cordon__open_checked(name, false, id, &found);
    if (path_fd >= 0 && own_mount) {
        int tree = read_only_mount_of(path_fd);
        close(path_fd);
        path_fd = tree;
    }
    if (path_fd < 0)
        return path_fd;
    int copy = open_like(fd, path_fd, &st);
    close(path_fd);
    if (copy < 0)
        return copy;
    int rc = dup3(copy, fd, 0) < 0 ? -errno : 0;
    close(copy);
    return rc;
}

void cordon__streams_on_view(const cordon__launch *l)
{
    for (int fd = 0; fd <= 2; fd++)
        if (l->stream_names[fd])
            (void)view_stream(fd, l->stream_names[fd], &l->stream_ids[fd], false);
}

/* ---- A terminal on a writable view ---------------------------------- */

/* mount_setattr(2) (Linux 5.12), declared here as sandbox/namespaces.c
 * does: C libraries before glibc 2.36 have no declaration of it. */
struct terminal_mount_attributes {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#define TERMINAL_MOUNT_READ_ONLY 0x00000001 /* MOUNT_ATTR_RDONLY */
#define TERMINAL_OPEN_TREE_CLONE 1          /* OPEN_TREE_CLONE */

/* A mount of the node `path_fd` holds, of its own, read-only and attached
 * nowhere (it lives as long as a description opened through it). */
static int read_only_mount_of(int path_fd)
{
    int tree = (int)syscall(SYS_open_tree, path_fd, "",
                            AT_EMPTY_PATH | TERMINAL_OPEN_TREE_CLONE | O_CLOEXEC);
    if (tree < 0)
        return -errno;
    struct terminal_mount_attributes read_only = { .attr_set = TERMINAL_MOUNT_READ_ONLY };
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &read_only, sizeof read_only) != 0) {
        int error = -errno;
        close(tree);
        return error;
    }
    return tree;
}

/* A terminal opened again through a read-only mount of its node.  A
 * task with a writable view, the terminal's owner's (the caller's user,
 * or root), made the caller's terminal 0666 through its stdin (fchmod, or
 * chmod of /proc/self/fd/0), and a process of another user opened it
 * while the run lasted and read, after the run, what the caller typed
 * to its shell: the mode put back at the end (lib/stdin_terminal.c)
 * closes no description opened meanwhile.  On a read-only mount a chmod,
 * a chown or a utimes fails with EROFS; the terminal is read, written and
 * its ioctls work as before.  The task's /dev/pts is a devpts of its own,
 * where the caller's terminal has no name.  A kernel without open_tree
 * or mount_setattr (before 5.12) leaves the description as it was. */
void cordon__terminals_on_read_only_mounts(const cordon__launch *l)
{
    for (int fd = 0; fd <= 2; fd++)
        if (l->stream_names[fd])
            (void)view_stream(fd, l->stream_names[fd], &l->stream_ids[fd], true);
}
