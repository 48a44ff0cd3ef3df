/*
 * A relayed stdin read through the caller's own description (a pty
 * master, a pipe of another user, no /proc: lib/stdin_fd.c).  That
 * description is blocking and cannot be made otherwise (it is the
 * caller's, shared with whoever else reads it), and another reader of the
 * caller's may take the bytes between the collector's poll and its read:
 * a read by the collector would then wait for ever, past the task's
 * deadline, and cordon_run would not return (no bound helps: FIONREAD
 * said 3 bytes to both readers woken, the other took them).
 *
 * So a thread of cordon's own does the blocking reads and writes what it
 * read into a pipe whose read end, non-blocking and cordon's own, is what
 * the collector relays (stdin_source).  It runs from the start of the
 * collection to the end of the relay (the input's end, the task's closing
 * its stdin or its exit, the attempt's end, a cancel): then it is
 * cancelled (read, write and poll are cancellation points) and joined, so
 * it never reads the caller's input for a task that has ended.  It holds
 * no lock and calls nothing but read, write, poll and close, so a task
 * forked meanwhile (by this thread's process, on any thread) inherits no
 * lock of its; its fds are close-on-exec and closed in every child.  All
 * signals are blocked in it: the caller's handlers run on the caller's
 * threads, and a write's SIGPIPE stays its own.
 *
 * What it reads ahead: the chunk it holds (cordon__stdin_chunk_size)
 * while its pipe, shrunk to a page, is full.  A task that stops reading
 * strands that, one page, and what the relay itself strands; a chunk read
 * by a read that a cancel ended after the read took it is stranded too.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct cordon__stdin_reader {
    pthread_t thread;
    bool started;
    int source;          /* a dup of the caller's fd: its blocking description */
    int sink;            /* the pipe's write end; -1 once the thread closed it */
    atomic_int error;    /* the failed read's negative errno, set before sink closes */
    size_t chunk_size;
    char chunk[];
};

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* A caller's description made non-blocking by the caller: read when
 * there is something to read. */
static void wait_readable(int fd)
{
    struct pollfd readable = { .fd = fd, .events = POLLIN };
    while (poll(&readable, 1, -1) < 0 && errno == EINTR)
        ;
}

static void *read_ahead(void *arg)
{
    struct cordon__stdin_reader *r = arg;
    int error = 0;
    for (;;) {
        ssize_t n = read(r->source, r->chunk, r->chunk_size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_readable(r->source);
            continue;
        }
        if (n <= 0) {
            error = n < 0 ? -errno : 0;
            break;
        }
        if (!write_all(r->sink, r->chunk, (size_t)n))
            break; /* the relay is over */
    }
    /* The collector reads the end of the input (or the error) from the
     * closing of the pipe: no cancel may come between. */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    atomic_store(&r->error, error);
    int sink = r->sink;
    r->sink = -1;
    close(sink);
    return NULL;
}

int cordon__stdin_reader_open(int caller_fd, int *relay_source,
                              struct cordon__stdin_reader **reader)
{
    size_t chunk_size = cordon__stdin_chunk_size();
    struct cordon__stdin_reader *r = calloc(1, sizeof *r + chunk_size);
    if (!r)
        return -ENOMEM;
    r->chunk_size = chunk_size;
    int fds[2];
    r->source = fcntl(caller_fd, F_DUPFD_CLOEXEC, 0);
    if (r->source < 0 || pipe2(fds, O_CLOEXEC) != 0) {
        int error = -errno;
        if (r->source >= 0)
            close(r->source);
        free(r);
        return error;
    }
    (void)fcntl(fds[1], F_SETPIPE_SZ, 1); /* a page: best effort */
    r->sink = fds[1];
    if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
        int error = -errno;
        close(fds[0]);
        cordon__stdin_reader_stop(r);
        return error;
    }
    *relay_source = fds[0];
    *reader = r;
    return 0;
}

int cordon__stdin_reader_start(struct cordon__stdin_reader *r)
{
    if (!r || r->started)
        return 0;
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int rc = pthread_create(&r->thread, NULL, read_ahead, r);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    r->started = rc == 0;
    return -rc;
}

int cordon__stdin_reader_error(struct cordon__stdin_reader *r)
{
    return r ? atomic_load(&r->error) : 0;
}

void cordon__stdin_reader_stop(struct cordon__stdin_reader *r)
{
    if (!r)
        return;
    if (r->started) {
        pthread_cancel(r->thread);
        pthread_join(r->thread, NULL);
    }
    close(r->source);
    if (r->sink >= 0)
        close(r->sink);
    free(r);
}
