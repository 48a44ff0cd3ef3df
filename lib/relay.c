/*
 * An inherited stream the task must not hold (lib/inherited_output.c): a
 * terminal (it could change its modes, flush its input, stop its output),
 * a regular file (it could read it back, seek, truncate), a socket (it
 * could recv, or send at any time), an anonymous pipe of a task with file
 * rules (it could open it again for reading through /proc).  The task writes to a pipe as ever
 * and the collecting thread passes what arrives on.
 *
 * Never blocking: a terminal or an anonymous pipe is written through a
 * description of cordon's own, opened non-blocking (the caller's own description keeps its
 * flags); a socket through the caller's description with send's
 * MSG_DONTWAIT; a pipe that could not be opened again
 * (lib/inherited_output.c) through the caller's description with
 * RWF_NOWAIT; a regular file through the caller's description (at its
 * offset, in the caller's order), which does not wait for a reader.  What
 * the target does not take at once waits in a backlog of RELAY_BACKLOG
 * bytes; while that is full the task's pipe is not read, so the task
 * waits on its writes as it would on the target itself, while the
 * deadline holds.  What is left when the task's drain ends is dropped and
 * counted.  SIGTTOU (a caller in the background of a TOSTOP terminal) is
 * blocked in this thread around each write, which the kernel then lets
 * through: no write stops the caller; SIGXFSZ (a file past the caller's
 * RLIMIT_FSIZE) is blocked and taken back: no write ends the caller;
 * SIGPIPE is never delivered (a socket's MSG_NOSIGNAL; for a pipe it is
 * blocked and taken back as SIGXFSZ is).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define RELAY_BACKLOG (64u * 1024)

struct cordon__relay {
    size_t start, len;
    char data[RELAY_BACKLOG];
};

static ssize_t write_once(const cordon__attempt_state *s, int stream, int fd, const char *data,
                          size_t len)
{
    if (s->relay_socket[stream])
        return send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (s->relay_pipe[stream]) {
        struct iovec piece = { .iov_base = (void *)data, .iov_len = len };
        return pwritev2(fd, &piece, 1, -1, RWF_NOWAIT);
    }
    return write(fd, data, len);
}

/* A write to the target: the bytes it took, 0 when it takes none now,
 * -1 when it is gone (hung up, closed, full).  A socket is written with
 * send, which need not change the caller's description to not block. */
static ssize_t write_target(const cordon__attempt_state *s, int stream, const char *data,
                            size_t len)
{
    int fd = s->relay_fd[stream];
    sigset_t quiet, previous, pending, raised;
    sigemptyset(&quiet);
    sigaddset(&quiet, SIGTTOU);
    sigaddset(&quiet, SIGXFSZ);
    sigaddset(&quiet, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &quiet, &previous);
    sigpending(&pending);
    /* Ours to take back: what this write raises, not what was pending. */
    sigemptyset(&raised);
    if (sigismember(&pending, SIGXFSZ) != 1)
        sigaddset(&raised, SIGXFSZ);
    if (sigismember(&pending, SIGPIPE) != 1)
        sigaddset(&raised, SIGPIPE);
    ssize_t n;
    do
        n = write_once(s, stream, fd, data, len);
    while (n < 0 && errno == EINTR);
    int saved = errno;
    /* A file past the caller's RLIMIT_FSIZE: EFBIG for the write (the
     * output is dropped), and the SIGXFSZ it raised in this thread is
     * taken back, never delivered to the caller; so is a pipe's SIGPIPE
     * (EPIPE: the reader is gone). */
    struct timespec zero = { 0, 0 };
    while (sigtimedwait(&raised, NULL, &zero) > 0 || errno == EINTR)
        ;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (n < 0 && (saved == EAGAIN || saved == EWOULDBLOCK))
        return 0;
    errno = saved;
    return n < 0 ? -1 : n;
}

/* The target is gone: everything pending and to come is dropped.  A
 * reader that left (EPIPE) leaves the task's own pipe without one too
 * (lib/collect.c closes it), as in a shell pipeline; a full disk or a
 * hung-up terminal only drops. */
static void give_up(cordon__attempt_state *s, int stream, cordon__buffer *counted)
{
    if (errno == EPIPE)
        s->relay_reader_gone[stream] = true;
    struct cordon__relay *r = s->relay[stream];
    if (r) {
        counted->dropped += r->len;
        r->len = 0;
    }
    s->relay_fd[stream] = -1; /* the fd itself is the launch's to close */
}

void cordon__relay_flush(cordon__attempt_state *s, int stream, cordon__buffer *counted)
{
    struct cordon__relay *r = s->relay[stream];
    while (r && r->len && s->relay_fd[stream] >= 0) {
        ssize_t n = write_target(s, stream, r->data + r->start, r->len);
        if (n < 0)
            give_up(s, stream, counted);
        if (n <= 0)
            return;
        r->start += (size_t)n;
        r->len -= (size_t)n;
    }
    if (r && !r->len)
        r->start = 0;
}

static void pass_on(cordon__attempt_state *s, int stream, const char *data, size_t len,
                    cordon__buffer *counted)
{
    if (s->relay_fd[stream] < 0) {
        counted->dropped += len;
        return;
    }
    struct cordon__relay *r = s->relay[stream];
    if (!r || !r->len) {
        ssize_t n = write_target(s, stream, data, len);
        if (n < 0) {
            give_up(s, stream, counted);
            counted->dropped += len;
            return;
        }
        data += n;
        len -= (size_t)n;
    }
    if (!len)
        return;
    if (!r && !(r = s->relay[stream] = calloc(1, sizeof *r))) {
        counted->dropped += len; /* out of memory: never fail the task */
        return;
    }
    if (r->start + r->len + len > RELAY_BACKLOG) {
        memmove(r->data, r->data + r->start, r->len);
        r->start = 0;
    }
    size_t keep = len < RELAY_BACKLOG - r->len ? len : RELAY_BACKLOG - r->len;
    memcpy(r->data + r->start + r->len, data, keep);
    r->len += keep;
    counted->dropped += len - keep;
}

/* Room for more of the task's output: what the backlog can still take. */
static size_t room(const cordon__attempt_state *s, int stream)
{
    const struct cordon__relay *r = s->relay[stream];
    return r ? RELAY_BACKLOG - r->len : RELAY_BACKLOG;
}

bool cordon__relay_wants_input(const cordon__attempt_state *s, int stream)
{
    return room(s, stream) > 0;
}

bool cordon__relay_pending(const cordon__attempt_state *s, int stream)
{
    return s->relay_fd[stream] >= 0 && s->relay[stream] && s->relay[stream]->len > 0;
}

bool cordon__relay_read(cordon__attempt_state *s, int *fd, int stream, cordon__buffer *counted)
{
    char chunk[RELAY_BACKLOG];
    for (int round = 0; round < 16; round++) {
        cordon__relay_flush(s, stream, counted);
        size_t want = room(s, stream);
        if (!want)
            return true; /* the terminal is behind: the task waits */
        ssize_t n = read(*fd, chunk, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0) {
            close(*fd);
            *fd = -1;
            return false;
        }
        pass_on(s, stream, chunk, (size_t)n, counted);
        if ((size_t)n < want)
            return true;
    }
    return true;
}

void cordon__relay_finish(cordon__attempt_state *s, int stream, cordon__buffer *counted)
{
    struct cordon__relay *r = s->relay[stream];
    if (r) {
        cordon__relay_flush(s, stream, counted);
        counted->dropped += r->len;
        free(r);
    }
    s->relay[stream] = NULL;
}
