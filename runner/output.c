/* Writer threads for stdout and stderr.  Callers queue bytes and return;
 * the thread makes the blocking write() calls.  The queue is bounded: a
 * caller waits for room only while the writer keeps finishing writes, and
 * a task's live output, which must not wait, holds the task's stream
 * instead (output_write_holding), so a slow reader (a pipe into a pager)
 * still slows the task down, but a reader that takes nothing (a terminal
 * stopped with TCOOFF, a pager left paused) costs at most OUTPUT_STALL_MS,
 * then bytes are dropped and counted.  That bound is for a task's
 * deadline: once no task runs, output_flush waits for a slow reader as
 * long as it reads (not for a terminal, which a task can leave frozen).
 *
 * Why not O_NONBLOCK on fd 1 and 2: the file description is shared with
 * the caller's shell and every other process on that terminal; a flag we
 * set would be seen by them, and one we failed to clear (a crash, a kill)
 * would stay. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "runner.h"

/* Bytes queued per writer before a caller must wait (or drop). */
#define OUTPUT_QUEUE_MAX (8u << 20)
/* One write() at most to a pipe, socket or terminal: a pipe takes
 * PIPE_BUF bytes whole as soon as it has room for them, so a slow but live
 * reader finishes each write well inside OUTPUT_STALL_MS and is never
 * taken for a stalled one.  A file or /dev/null never waits for a reader
 * and takes bigger writes. */
#define OUTPUT_PIECE 4096u
#define OUTPUT_PIECE_FILE (1u << 20)
/* How often a waiting caller looks at the writer again. */
#define OUTPUT_POLL_MS 50

typedef struct chunk {
    struct chunk *next;
    int fd;
    bool own;                       /* cordon's own line: not the task's loss */
    size_t len, off;
    char data[];
} chunk;

typedef struct writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;         /* queue, progress or failure */
    chunk *head, *tail;
    size_t queued;
    size_t piece;                   /* bytes per write() */
    size_t writing;                 /* bytes of the head in the write() going on */
    bool terminal;                  /* a task can freeze it (tcflow TCOOFF) */
    bool busy, quit;
    unsigned long long busy_since_us;
    /* The task's streams held while this queue is past its bound
     * (output_write_holding), and how to let them go. */
    output_hold_fn hold;
    void *hold_arg;
    unsigned held_streams;          /* a bit per stream */
    /* How long the task's streams were held for this reader: the holds
     * ended, and since when the one going on began. */
    unsigned long long held_us, held_since_us;
} writer;

/* Indexed by fd (1, 2); guarded by the lock of its writer.  The pointers
 * are kept until exit, so a writer left in a stalled write() stays
 * reachable. */
static struct {
    writer *w;
    bool failed;
    int error;                      /* the failed write's errno */
    unsigned long long dropped;     /* refused while the writer stalled */
    unsigned long long lost;        /* never written since the failure */
    /* Bytes of the tasks' (not cordon's own lines) given, and written:
     * queued in order, a task's last byte given at G has reached the
     * reader once `written` reaches G (output_given). */
    unsigned long long given, written;
} streams[3];

static bool stalled(const writer *w)
{
    return w->busy && runner_now_us() - w->busy_since_us >= OUTPUT_STALL_MS * 1000ull;
}

static void wait_a_little(writer *w)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += OUTPUT_POLL_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&w->changed, &w->lock, &until);
}

/* The bytes written, or -errno. */
static ssize_t write_piece(int fd, const char *data, size_t len)
{
    ssize_t n;
    do
        n = write(fd, data, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return n == 0 ? -EIO : n;
}

/* A reader that went away (EPIPE), a full disk (ENOSPC), a file size
 * limit (EFBIG) or any other error: what is still queued for that fd can
 * never be written; later bytes are refused.  All of it is counted, for
 * output_finish to report. */
static void fail_stream(writer *w, int fd, int error)
{
    streams[fd].failed = true;
    streams[fd].error = error;
    chunk **link = &w->head;
    w->tail = NULL;
    while (*link) {
        chunk *c = *link;
        if (c->fd == fd) {
            w->queued -= c->len - c->off;
            if (!c->own)
                streams[fd].lost += c->len - c->off;
            *link = c->next;
            free(c);
        } else {
            w->tail = c;
            link = &c->next;
        }
    }
}

/* Called with the lock held after a write of `n` bytes of the head. */
static void advance(writer *w, ssize_t n)
{
    chunk *c = w->head;
    if (n < 0) {
        fail_stream(w, c->fd, (int)-n);
        return;
    }
    c->off += (size_t)n;
    w->queued -= (size_t)n;
    if (!c->own)
        streams[c->fd].written += (unsigned long long)n;
    if (c->off == c->len) {
        w->head = c->next;
        if (!w->head)
            w->tail = NULL;
        free(c);
    }
}

/* The hold going on, if any, ended (with the lock held): its time counted. */
static void end_hold(writer *w)
{
    if (w->held_streams)
        w->held_us += runner_now_us() - w->held_since_us;
    w->held_streams = 0;
}

/* Lets the task's held streams go (with the lock held): the queue is half
 * written, the reader stalled (what comes next is dropped), or the run
 * is over. */
static void release_holds(writer *w)
{
    for (int stream = 1; stream <= 3; stream++)
        if (w->held_streams & (1u << stream))
            w->hold(w->hold_arg, stream, false);
    end_hold(w);
}

/* A reader that takes nothing must not keep the task's streams held for
 * good: the writer may sit in its write() (a full pipe, a terminal
 * stopped with TCOOFF), so a watcher thread of its own looks every
 * OUTPUT_POLL_MS while any stream is held, and lets the streams of a
 * writer stalled for OUTPUT_STALL_MS go (what comes next is dropped, as
 * output_write drops it).  It ends when no stream is held. */
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static bool watching;

static bool release_stalled(void)
{
    bool held = false;
    for (int fd = 1; fd <= 2; fd++) {
        writer *w = streams[fd].w;
        if (!w || (fd == 2 && w == streams[1].w))
            continue;
        pthread_mutex_lock(&w->lock);
        if (w->held_streams && stalled(w))
            release_holds(w);
        held |= w->held_streams != 0;
        pthread_mutex_unlock(&w->lock);
    }
    return held;
}

static void *watcher_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec pause = { 0, OUTPUT_POLL_MS * 1000000L };
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&watch_lock);
        watching = release_stalled();
        bool again = watching;
        pthread_mutex_unlock(&watch_lock);
        if (!again)
            return NULL;
    }
}

/* After a stream is held, without a writer's lock (the watcher takes
 * one under watch_lock): a watcher that found no hold before this one
 * has said so in `watching`, and another is started. */
static void watch_holds(void)
{
    pthread_mutex_lock(&watch_lock);
    if (!watching) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_t thread;
        watching = pthread_create(&thread, NULL, watcher_main, NULL) == 0;
        if (watching)
            pthread_detach(thread);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    pthread_mutex_unlock(&watch_lock);
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->quit)
            pthread_cond_wait(&w->changed, &w->lock);
        if (!w->head)
            break;
        chunk *c = w->head;
        size_t piece = c->len - c->off < w->piece ? c->len - c->off : w->piece;
        w->busy = true;
        w->writing = piece;
        w->busy_since_us = runner_now_us();
        pthread_mutex_unlock(&w->lock);
        ssize_t n = write_piece(c->fd, c->data + c->off, piece);
        pthread_mutex_lock(&w->lock);
        w->busy = false;
        advance(w, n);
        if (w->held_streams && w->queued <= OUTPUT_QUEUE_MAX / 2)
            release_holds(w);
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static size_t piece_for(int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(fd))))
        return OUTPUT_PIECE_FILE;
    return OUTPUT_PIECE;
}

static writer *writer_start(int fd)
{
    writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->piece = piece_for(fd);
    w->terminal = isatty(fd);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->changed, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&w->lock, NULL);
    /* Signals are for the threads that run tasks, never for a writer. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, writer_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        return w;
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return NULL;
}

static bool same_file(int a, int b)
{
    struct stat sa, sb;
    return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

void output_start(void)
{
    if (streams[1].w || streams[2].w)
        return;
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) == 0)
        streams[1].w = writer_start(STDOUT_FILENO);
    if (same_file(STDOUT_FILENO, STDERR_FILENO))
        streams[2].w = streams[1].w;
    else if (fstat(STDERR_FILENO, &st) == 0)
        streams[2].w = writer_start(STDERR_FILENO);
}

/* Without a writer thread (none started, or it could not start): the
 * writes are the caller's own, a stream's failure kept as a writer keeps
 * it, under a lock of its own (batch writes from many threads). */
static pthread_mutex_t direct_lock = PTHREAD_MUTEX_INITIALIZER;

/* A stream whose write failed refuses the task's later bytes, but not
 * cordon's own lines: the failure may have been the task's doing and
 * undone since (a terminal it set to a line discipline that refuses
 * writes, which cordon puts back at the task's end), and the line that
 * says what was lost must not be lost with it (cordon then exited 125
 * saying nothing).  A reader gone (EPIPE) does not come back. */
static bool refused(int fd, bool own)
{
    return streams[fd].failed && (!own || streams[fd].error == EPIPE);
}

static int write_directly(int fd, const void *data, size_t len, bool own)
{
    if (fd != 1 && fd != 2)
        return runner_write_all(fd, data, len);
    pthread_mutex_lock(&direct_lock);
    int rc = refused(fd, own) ? -1 : runner_write_all(fd, data, len);
    if (rc < 0 && !streams[fd].failed && errno == EPIPE) {
        streams[fd].failed = true;
        streams[fd].error = EPIPE;
    }
    if (rc < 0 && streams[fd].failed && !own)
        streams[fd].lost += len;
    /* As a writer counts them: what was refused is no task's given (its
     * write said so), or every later task's would look lost. */
    if (!own && rc == 0) {
        streams[fd].given += len;
        streams[fd].written += len;
    }
    pthread_mutex_unlock(&direct_lock);
    return rc;
}

static unsigned long long read_count(int fd, bool written)
{
    if (fd != 1 && fd != 2)
        return 0;
    writer *w = streams[fd].w;
    pthread_mutex_t *lock = w ? &w->lock : &direct_lock;
    pthread_mutex_lock(lock);
    unsigned long long count = written ? streams[fd].written : streams[fd].given;
    pthread_mutex_unlock(lock);
    return count;
}

unsigned long long output_given(int fd)
{
    return read_count(fd, false);
}

bool output_reached(int fd, unsigned long long given)
{
    return read_count(fd, true) >= given;
}

bool output_reader_gone(int fd)
{
    if (fd != 1 && fd != 2)
        return false;
    writer *w = streams[fd].w;
    pthread_mutex_t *lock = w ? &w->lock : &direct_lock;
    pthread_mutex_lock(lock);
    bool gone = streams[fd].failed && streams[fd].error == EPIPE;
    pthread_mutex_unlock(lock);
    return gone;
}

/* How a task's stream is held while the queue is past its bound. */
typedef struct holding {
    output_hold_fn hold;
    void *arg;
    int stream;
} holding;

static bool past_bound(const writer *w, size_t len)
{
    return w->queued > 0 && w->queued + len > OUTPUT_QUEUE_MAX;
}

static int queue_bytes(int fd, const void *data, size_t len, bool patient, bool own,
                       const holding *holder)
{
    writer *w = fd == 1 || fd == 2 ? streams[fd].w : NULL;
    if (!w)
        return write_directly(fd, data, len, own);
    /* Not runner_alloc: it reports running out of memory through here. */
    chunk *c = len ? malloc(sizeof *c + len) : NULL;
    pthread_mutex_lock(&w->lock);
    patient = patient && !w->terminal;
    while (!holder && !refused(fd, own) && past_bound(w, len) && (patient || !stalled(w)))
        wait_a_little(w);
    int rc = refused(fd, own) ? -1 : 0;
    if (rc < 0 && !own)
        streams[fd].lost += len;
    /* Held, the task sends no more until the queue is half written: what
     * came with the hold is queued past the bound (one read of the
     * task's); behind a stalled reader it is dropped, as without. */
    bool over = past_bound(w, len) && (!holder || stalled(w)), watch = false;
    if (rc == 0 && len && holder && past_bound(w, len) && !over) {
        /* Both of the task's streams, where they share this writer: the
         * other, read on, had its lines jump ahead of what the held one
         * still had in its pipe. */
        bool shared = streams[1].w == streams[2].w && holder->stream <= 2;
        if (!w->held_streams)
            w->held_since_us = runner_now_us();
        for (int stream = 1; stream <= 3; stream++) {
            if (stream != holder->stream && !(shared && stream <= 2))
                continue;
            holder->hold(holder->arg, stream, true);
            w->held_streams |= 1u << stream;
        }
        w->hold = holder->hold;
        w->hold_arg = holder->arg;
        watch = true;
    }
    if (rc == 0 && len && (!c || over)) {
        streams[fd].dropped += len;
        rc = -1;
    } else if (rc == 0 && len) {
        *c = (chunk){ NULL, fd, own, len, 0 };
        memcpy(c->data, data, len);
        if (w->tail)
            w->tail->next = c;
        else
            w->head = c;
        w->tail = c;
        w->queued += len;
        if (!own)
            streams[fd].given += len;
        c = NULL;
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->lock);
    if (watch)
        watch_holds();
    free(c);
    return rc;
}

/* Gives up on what is queued for `fd` behind a stalled write: counted as
 * dropped, so that what output_drain said (-1) and what output_finish
 * says agree.  The piece in the write() going on stays the writer's. */
static void drop_queued(writer *w, int fd)
{
    chunk **link = &w->head;
    w->tail = NULL;
    while (*link) {
        chunk *c = *link;
        size_t keep = c == w->head && w->busy ? c->off + w->writing : 0;
        if (c->fd == fd && c->len > keep) {
            w->queued -= c->len - (keep > c->off ? keep : c->off);
            streams[fd].dropped += c->len - (keep > c->off ? keep : c->off);
            c->len = keep;
        }
        if (c->fd == fd && c->len == 0) {
            *link = c->next;
            free(c);
        } else {
            w->tail = c;
            link = &c->next;
        }
    }
}

static bool has_queued(const writer *w, int fd)
{
    for (const chunk *c = w->head; c; c = c->next)
        if (c->fd == fd)
            return true;
    return false;
}

static int drain(int fd, bool patient)
{
    writer *w = fd == 1 || fd == 2 ? streams[fd].w : NULL;
    if (!w)
        return output_reader_gone(fd) ? -1 : 0; /* written directly */
    pthread_mutex_lock(&w->lock);
    patient = patient && !w->terminal;
    while (has_queued(w, fd) && (patient || !stalled(w)))
        wait_a_little(w);
    if (has_queued(w, fd))
        drop_queued(w, fd);
    int rc = streams[fd].failed || streams[fd].dropped ? -1 : 0;
    pthread_mutex_unlock(&w->lock);
    return rc;
}

int output_write(int fd, const void *data, size_t len)
{
    return queue_bytes(fd, data, len, false, false, NULL);
}

int output_write_holding(int fd, const void *data, size_t len, int stream, output_hold_fn hold,
                         void *arg)
{
    holding holder = { hold, arg, stream };
    return queue_bytes(fd, data, len, false, false, &holder);
}

void output_end_holds(void)
{
    for (int fd = 1; fd <= 2; fd++) {
        writer *w = streams[fd].w;
        if (!w)
            continue;
        pthread_mutex_lock(&w->lock);
        end_hold(w); /* the run is over: its task is not to be called */
        w->hold = NULL;
        pthread_mutex_unlock(&w->lock);
    }
}

unsigned long long output_held_ms(int fd)
{
    writer *w = fd == 1 || fd == 2 ? streams[fd].w : NULL;
    if (!w || (fd == 2 && w == streams[1].w))
        return 0;
    pthread_mutex_lock(&w->lock);
    unsigned long long held = w->held_us;
    if (w->held_streams)
        held += runner_now_us() - w->held_since_us;
    pthread_mutex_unlock(&w->lock);
    return held / 1000;
}

int output_write_own(int fd, const void *data, size_t len)
{
    return queue_bytes(fd, data, len, false, true, NULL);
}

int output_write_patient(int fd, const void *data, size_t len)
{
    return queue_bytes(fd, data, len, true, false, NULL);
}

int output_drain(int fd)
{
    return drain(fd, false);
}

int output_flush(int fd)
{
    return drain(fd, true);
}

/* Says on stderr what of stream `fd` never reached it; -1 when any. */
static int report_losses(int fd)
{
    static const char *const names[] = { NULL, "stdout", "stderr" };
    writer *w = streams[fd].w;
    pthread_mutex_lock(&w->lock);
    bool failed = streams[fd].failed;
    int error = streams[fd].error;
    unsigned long long dropped = streams[fd].dropped, lost = streams[fd].lost;
    pthread_mutex_unlock(&w->lock);
    if (dropped)
        runner_error("%s took nothing for %u ms: %llu %s for it %s dropped", names[fd],
                     OUTPUT_STALL_MS, dropped, runner_plural(dropped, "byte", "bytes"),
                     runner_plural(dropped, "was", "were"));
    /* Only cordon's own lines refused (a closed stderr, its batch summary
     * there): nothing owed was lost, no run failed. */
    if (failed && lost)
        runner_error("%s: cannot write: %s; %llu %s for it %s not written", names[fd],
                     strerror(error), lost, runner_plural(lost, "byte", "bytes"),
                     runner_plural(lost, "was", "were"));
    return (failed && lost) || dropped ? -1 : 0;
}

/* Joins the writer unless it is stuck in a write(); true when it did. */
static bool writer_stop(writer *w)
{
    pthread_mutex_lock(&w->lock);
    bool idle = !w->head && !w->busy;
    w->quit = idle;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    if (!idle)
        return false;
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return true;
}

int output_finish(void)
{
    int rc = 0;
    for (int fd = 1; fd <= 2; fd++) {
        if (!streams[fd].w)
            continue;
        output_flush(fd);
        if (report_losses(fd) < 0)
            rc = -1;
    }
    output_flush(STDERR_FILENO);
    writer *one = streams[1].w, *two = streams[2].w;
    if (one && writer_stop(one))
        streams[1].w = NULL;
    if (two == one)
        streams[2].w = streams[1].w;
    else if (two && writer_stop(two))
        streams[2].w = NULL;
    return rc;
}
