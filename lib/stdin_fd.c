/*
 * The stdin fd a caller hands over (cordon_set_stdin_fd): the task gets a
 * file description of its own, never the caller's.  File status flags
 * (O_NONBLOCK, O_APPEND, O_DIRECT…) and the offset live in the
 * description, so a task given the caller's could leave its flags on it,
 * or move its offset, for every later reader (a shell pipeline's next
 * command found its stdin non-blocking and lost its input).
 *
 * A pipe, FIFO, regular file or terminal is opened again through
 * /proc/self/fd/N, read-only: the same file, pipe or terminal, a new
 * description.  O_NONBLOCK during the open keeps a FIFO whose writers are
 * gone (its data still buffered) from waiting for a writer for ever; it is
 * cleared on the new description at once.  A regular file is read from
 * the caller's offset, which stays where it was.  Under file rules the
 * task's init opens it again on the task's read-only view, by its name
 * (lib/stream_view.c): held as opened here, on the caller's writable
 * mount, it let the task change the file's mode, times and attributes.
 * A regular file no name leads to (a here-document's deleted file, a
 * memfd) cannot be: it is relayed, from a description of cordon's own.
 *
 * A pipe is opened again too, but for a task with file rules: one given
 * even a read-only description of it opened it again for writing through
 * its own /proc and wrote the caller's next input (lib/anonymous_pipe.c).
 * That is what its user may do, and a task without file rules writes the
 * user's files anyway; with them it may write only what they grant, and
 * an anonymous pipe is relayed, read through a non-blocking description
 * of cordon's own (at the cost of what it reads ahead: see below).  A
 * task without file rules whose stdin is a file or a FIFO beneath one of
 * its binds' targets or tmpfs mounts (what it may not write by its path,
 * or see) gets it relayed too: no read-only view of the whole tree is
 * made for it, and such a file, held as opened here, on the caller's
 * writable mount, was written and made mode 600 through /proc/self/fd/0.
 *
 * Anything else is relayed: a socket (/proc will not open one), a device
 * whose opening makes a new one (a pty master: /dev/ptmx), or what /proc
 * refuses to reopen (a pipe of another user, no /proc).  The task reads a
 * pipe, which the collecting thread fills from the caller's fd, reading
 * it only when poll says it is readable, only when the last chunk is in
 * the task's pipe, and only while the task runs.  A chunk is what a
 * callback may give (64 KiB): a task that stops reading strands at most
 * that and its pipe's content; smaller reads cost throughput (4 KiB
 * relayed 200 MiB at a quarter of the speed of a reopened pipe here).
 * The collector's reads must not block (another reader of the caller's
 * may take what poll saw): a socket is read with MSG_DONTWAIT; any other
 * fd relayed from the caller's own description, which is blocking and
 * stays so, is read by a thread of cordon's own into a non-blocking pipe
 * (lib/stdin_reader.c), which reads ahead a chunk and a page more.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

/* Whether opening `fd`'s file again gives the same thing to read, and
 * the task may hold that. */
static bool reopens_as_itself(int fd, unsigned guard)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return false;
    if (S_ISREG(st.st_mode))
        return true;
    if (S_ISFIFO(st.st_mode)) /* a named one beneath the task's mounts: relayed */
        return !guard || (guard == CORDON__GUARD_FILE_RULES && !cordon__is_anonymous_pipe(fd));
    bool pty_master = major(st.st_rdev) == 5 && minor(st.st_rdev) == 2;
    return S_ISCHR(st.st_mode) && !pty_master && isatty(fd);
}

/* A new read-only, non-blocking description of `fd`'s file, or a
 * negative errno. */
static int open_again(int fd)
{
    char path[40];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int copy;
    do
        copy = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    while (copy < 0 && errno == EINTR);
    return copy < 0 ? -errno : copy;
}

/* A new read-only description of `fd`'s file for the task, or a negative
 * errno. */
static int reopen(int fd)
{
    int copy = open_again(fd);
    if (copy < 0)
        return copy;
    struct stat st;
    int flags = fcntl(copy, F_GETFL);
    if (flags < 0 || fcntl(copy, F_SETFL, flags & ~O_NONBLOCK) != 0 || fstat(copy, &st) != 0)
        goto failed;
    if (S_ISREG(st.st_mode)) {
        off_t offset = lseek(fd, 0, SEEK_CUR);
        if (offset < 0 || lseek(copy, offset, SEEK_SET) != offset)
            goto failed;
    }
    return copy;
failed:;
    int error = -errno;
    close(copy);
    return error;
}

/* A regular file no name leads to (deleted, a memfd, O_TMPFILE): a task
 * with file rules holds its stdin file only on its read-only view, opened
 * there by its name (lib/stream_view.c), which this one has not; it is
 * relayed from cordon's own description, at the caller's offset. */
static bool is_unnamed_file(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0;
}

static bool is_fifo(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

static bool is_regular(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

int cordon__stdin_fd_check(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -errno;
    if ((flags & O_PATH) || (flags & O_ACCMODE) == O_WRONLY)
        return -EBADF; /* a read-only opening would read what is meant for another */
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? -EISDIR : 0;
}

int cordon__stdin_fd_open(int fd, unsigned guard, int *copy, int *relay_source,
                          struct cordon__stdin_reader **reader)
{
    *copy = *relay_source = -1;
    *reader = NULL;
    int rc = cordon__stdin_fd_check(fd);
    if (rc < 0)
        return rc;
    if (reopens_as_itself(fd, guard)) {
        rc = reopen(fd);
        if (rc >= 0) {
            /* A view of binds and tmpfs mounts is not made read-only, and
             * the file beneath them kept its writable mount: relayed. */
            bool relayed = (guard == CORDON__GUARD_VIEW && is_regular(rc)) ||
                           (guard && is_unnamed_file(rc));
            *(relayed ? relay_source : copy) = rc;
            return 0;
        }
        if (rc == -EMFILE || rc == -ENFILE || rc == -ENOMEM)
            return rc;
    } else if (guard && is_fifo(fd)) {
        /* the collector's own, non-blocking: another reader of the
         * caller's taking the bytes poll saw cannot hold it */
        rc = open_again(fd);
        if (rc >= 0) {
            *relay_source = rc;
            return 0;
        }
        if (rc == -EMFILE || rc == -ENFILE || rc == -ENOMEM)
            return rc;
    }
    if (is_socket(fd)) {
        *relay_source = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        return *relay_source < 0 ? -errno : 0;
    }
    /* the caller's blocking description: read by a thread of cordon's own
     * (lib/stdin_reader.c) */
    return cordon__stdin_reader_open(fd, relay_source, reader);
}

/* One read that cannot block: poll said the fd is readable, but another
 * reader of the caller's may have taken the bytes since.  A socket is
 * read with MSG_DONTWAIT; anything else relayed is a description of
 * cordon's own: non-blocking (the reader thread's pipe, an anonymous
 * pipe) or a regular file, which does not wait. */
static ssize_t read_once(int fd, char *buf, size_t len)
{
    ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK)
        n = read(fd, buf, len);
    return n;
}

int cordon__stdin_relay_read(cordon__attempt_state *s)
{
    ssize_t n;
    do
        n = read_once(s->stdin_source, s->stdin_chunk, s->stdin_chunk_size);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (n > 0) {
        s->stdin_data = s->stdin_chunk;
        s->stdin_len = (size_t)n;
        s->stdin_written = 0;
        s->stdin_fed += (uint64_t)n;
        return 0;
    }
    int error = n < 0 ? -errno : cordon__stdin_reader_error(s->stdin_reader);
    cordon__stdin_source_close(s);
    if (!error) { /* the end of the input: the task reads EOF */
        close(s->stdin_fd);
        s->stdin_fd = -1;
    }
    return error;
}

void cordon__stdin_source_close(cordon__attempt_state *s)
{
    cordon__stdin_reader_stop(s->stdin_reader);
    s->stdin_reader = NULL;
    if (s->stdin_source >= 0)
        close(s->stdin_source);
    s->stdin_source = -1;
}
