/*
 * Async control: when an async run has ended, waiting for it with a limit
 * or for any of several, a pollable fd, a done callback, and cancelling.
 *
 * The collector thread marks the end under the task's done_lock (after the
 * callback has returned) and makes the task's eventfd readable; every wait
 * here reads that mark, so a join after it never blocks for long: the
 * collector only has its pool's bookkeeping left to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int cordon__done_init(cordon_task *t)
{
    t->done_fd = -1;
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0)
        return -rc;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    rc = pthread_cond_init(&t->done_cond, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -rc;
    rc = pthread_mutex_init(&t->done_lock, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&t->done_cond);
        return -rc;
    }
    return 0;
}

void cordon__done_destroy(cordon_task *t)
{
    cordon__done_disarm(t);
    pthread_cond_destroy(&t->done_cond);
    pthread_mutex_destroy(&t->done_lock);
}

int cordon__done_arm(cordon_task *t)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        return -errno;
    pthread_mutex_lock(&t->done_lock);
    t->async_done = false;
    t->done_fd = fd;
    pthread_mutex_unlock(&t->done_lock);
    return 0;
}

void cordon__done_disarm(cordon_task *t)
{
    if (t->done_fd >= 0)
        close(t->done_fd);
    t->done_fd = -1;
}

void cordon__async_finished(cordon_task *t)
{
    if (t->done_fn)
        t->done_fn(t, t->done_user);
    pthread_mutex_lock(&t->done_lock);
    t->async_done = true;
    uint64_t one = 1;
    while (write(t->done_fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
    pthread_cond_broadcast(&t->done_cond);
    pthread_mutex_unlock(&t->done_lock);
    if (t->pool)
        cordon__pool_task_ended(t->pool, t);
}

static bool ended(cordon_task *t)
{
    pthread_mutex_lock(&t->done_lock);
    bool done = t->async_done;
    pthread_mutex_unlock(&t->done_lock);
    return done;
}

int cordon_task_done(const cordon_task *t)
{
    CORDON__NO_CANCELLATION;
    if (!t)
        return -EINVAL;
    /* Queued in a pool, not started yet: running, as the setters take it
     * (it was -EINVAL, "no async run"); one its pool could not start has
     * ended, with that failure. */
    if (!__atomic_load_n(&t->async_running, __ATOMIC_ACQUIRE) &&
        __atomic_load_n(&t->pool, __ATOMIC_ACQUIRE))
        /* joined while its pool takes it out: ended (the join marks it
         * before async_running, which was read first) */
        return __atomic_load_n(&t->pool_start_failed, __ATOMIC_ACQUIRE) ||
                       __atomic_load_n(&t->async_joined, __ATOMIC_ACQUIRE)
                   ? 1
                   : 0;
    if (!t->async_running)
        return t->async_joined ? 1 : -EINVAL;
    return ended((cordon_task *)t);
}

int cordon_task_fd(const cordon_task *t)
{
    CORDON__NO_CANCELLATION;
    if (!t || !t->async_running)
        return -EINVAL;
    return t->done_fd;
}

/* Waits for the end mark; false when timeout_ms passed first. */
static bool wait_for_end(cordon_task *t, int timeout_ms)
{
    struct timespec at = cordon__monotonic_after_ms(timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_lock(&t->done_lock);
    int rc = 0;
    while (!t->async_done && rc != ETIMEDOUT) {
        if (timeout_ms < 0)
            pthread_cond_wait(&t->done_cond, &t->done_lock);
        else
            rc = pthread_cond_timedwait(&t->done_cond, &t->done_lock, &at);
    }
    bool done = t->async_done;
    pthread_mutex_unlock(&t->done_lock);
    return done;
}

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

int cordon_join_timeout(cordon_task *t, int timeout_ms)
{
    CORDON__NO_CANCELLATION;
    if (!t)
        return -EINVAL;
    if (cordon__collecting(t))
        return -EDEADLK;
    /* Counted from the wait through the join: a free from another thread
     * meanwhile is refused (it freed the task under this wait). */
    cordon__join_waiters(t, +1);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int rc = t->async_running && !t->pool && !wait_for_end(t, timeout_ms) ? -ETIMEDOUT
                                                                          : cordon_join(t);
    /* Ended, and another thread in its join: its answer once that is
     * done, within the time left (-EBUSY came back with seconds to go). */
    while (rc == -EBUSY && !t->pool && (timeout_ms < 0 || elapsed_ms(&start) < timeout_ms)) {
        struct timespec pause = { 0, 1000000 };
        nanosleep(&pause, NULL);
        rc = cordon_join(t);
    }
    cordon__join_waiters(t, -1);
    return rc == -EBUSY && !t->pool ? -ETIMEDOUT : rc;
}

/* The lowest index of an ended, unjoined async run; -1 when none has
 * ended; -EINVAL when none can. */
static int first_ended(cordon_task *const tasks[], size_t n, struct pollfd *fds, bool *own)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        fds[i].fd = -1;
        fds[i].events = POLLIN;
        fds[i].revents = 0;
        /* Read atomically: a pool may be starting or taking out its
         * task on another thread meanwhile. */
        if (!tasks[i] || !__atomic_load_n(&tasks[i]->async_running, __ATOMIC_ACQUIRE) ||
            __atomic_load_n(&tasks[i]->pool, __ATOMIC_ACQUIRE))
            continue; /* a pool's task is the pool's to wait for */
        if (cordon__collecting(tasks[i])) {
            *own = true; /* ends only once its callback, this call's caller, returns */
            continue;
        }
        if (ended(tasks[i]))
            return (int)i;
        fds[i].fd = tasks[i]->done_fd;
        any = true;
    }
    return any ? -1 : -EINVAL;
}

static int remaining_ms(const struct timespec *at)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (int64_t)(at->tv_sec - now.tv_sec) * 1000 + (at->tv_nsec - now.tv_nsec) / 1000000;
    return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

int cordon_wait_any(cordon_task *const tasks[], size_t n, int timeout_ms)
{
    CORDON__NO_CANCELLATION;
    if (!tasks || n == 0 || n > INT_MAX)
        return -EINVAL;
    struct pollfd *fds = calloc(n, sizeof *fds);
    if (!fds)
        return -ENOMEM;
    struct timespec at = cordon__monotonic_after_ms(timeout_ms < 0 ? 0 : timeout_ms);
    int rc;
    bool own = false;
    /* Counted as its waiters: a free from another thread meanwhile is
     * refused (it freed a task this wait went on reading). */
    for (size_t i = 0; i < n; i++)
        if (tasks[i])
            cordon__join_waiters(tasks[i], +1);
    /* The end mark is read again after each wake: it, not the fd, is what
     * says a task ended (the fd only wakes the poll). */
    while ((rc = first_ended(tasks, n, fds, &own)) == -1) {
        int wait = timeout_ms < 0 ? -1 : remaining_ms(&at);
        if (poll(fds, (nfds_t)n, wait) < 0 && errno != EINTR) {
            rc = -errno;
            break;
        }
        if (timeout_ms >= 0 && remaining_ms(&at) == 0 &&
            (rc = first_ended(tasks, n, fds, &own)) == -1) {
            rc = -ETIMEDOUT;
            break;
        }
    }
    free(fds);
    for (size_t i = 0; i < n; i++)
        if (tasks[i])
            cordon__join_waiters(tasks[i], -1);
    /* Nothing to wait for but the callback's own task: a wait for ever. */
    if (rc == -EINVAL && own)
        return timeout_ms == 0 ? -ETIMEDOUT : -EDEADLK;
    return rc;
}

void cordon__cancel_target(cordon_task *t, const cordon__attempt_state *s)
{
    pthread_mutex_lock(&t->done_lock);
    t->end_pidfd = s ? s->pidfd : -1;
    t->end_group = s ? s->group : 0;
    t->end_through_init = s && s->in_namespaces;
    t->end_cgroup = s && s->cgroup && s->cgroup->count ? s->cgroup : NULL;
    if (s)
        t->cancel_killed_ns = 0;
    pthread_mutex_unlock(&t->done_lock);
}

uint64_t cordon__cancel_killed_ns(cordon_task *t)
{
    pthread_mutex_lock(&t->done_lock);
    uint64_t at = t->cancel_killed_ns;
    pthread_mutex_unlock(&t->done_lock);
    return at;
}

/* The tree ended from the cancelling thread, under done_lock, as the
 * collector would: the collector may be held in the kernel by the task
 * (its read of a pipe whose lock a splice of the task's holds waits
 * without end, and no signal ends that wait), and its cancel byte would
 * wait with it, the task running on (a Python cancel() returned, the task
 * ran on and its join never returned; ^C to cordon run did nothing).  By
 * the pidfd: never another process of the same number.  A process group
 * is signalled only while its leader is still there to hold its number. */
static void kill_tree(cordon_task *t)
{
    if (t->end_through_init) {
        syscall(SYS_pidfd_send_signal, t->end_pidfd, SIGUSR1, NULL, 0);
        return;
    }
    if (syscall(SYS_pidfd_send_signal, t->end_pidfd, SIGKILL, NULL, 0) == 0 && t->end_group > 0)
        kill(-t->end_group, SIGKILL);
    /* And what left the group (a v2 cgroup lets a task start a session):
     * a setsid'd grandchild held the pipe's lock past the group's kill. */
    if (t->end_cgroup)
        cordon__cgroup_kill(t->end_cgroup);
}

static void end_directly(cordon_task *t)
{
    if (t->end_pidfd < 0 || t->cancel_killed_ns)
        return;
    t->cancel_killed_ns = cordon__now_ns();
    kill_tree(t);
}

bool cordon__end_at_deadline(cordon_task *t)
{
    pthread_mutex_lock(&t->done_lock);
    bool first_running = false;
    if (t->end_pidfd >= 0) {
        struct pollfd ended = { .fd = t->end_pidfd, .events = POLLIN };
        first_running = poll(&ended, 1, 0) == 0;
        kill_tree(t);
    }
    pthread_mutex_unlock(&t->done_lock);
    return first_running;
}

/* Under done_lock: the join closes the cancel pipe under it too, so a
 * cancel from another thread never writes to a closed (or reused) fd. */
int cordon__cancel_as(cordon_task *t, const char *who)
{
    CORDON__NO_CANCELLATION;
    if (!t)
        return -EINVAL;
    pthread_mutex_lock(&t->done_lock);
    ssize_t n = -1;
    int error = EINVAL;
    if (t->async_running || t->blocking_running) {
        if (!t->cancel_requested)
            t->cancelled_by = who;
        t->cancel_requested = true;
        do
            n = write(t->cancel_pipe[1], "x", 1);
        while (n < 0 && errno == EINTR);
        error = errno;
        end_directly(t);
    }
    pthread_mutex_unlock(&t->done_lock);
    /* EAGAIN: the pipe is full of earlier requests, which say the same. */
    return n < 0 && error != EAGAIN ? -error : 0;
}

int cordon_cancel(cordon_task *t)
{
    return cordon__cancel_as(t, "cordon_cancel");
}

int cordon_set_done_callback(cordon_task *t, cordon_done_fn fn, void *user)
{
    CORDON__NO_CANCELLATION;
    int busy = cordon__task_settable(t);
    if (busy < 0)
        return busy;
    t->done_fn = fn;
    t->done_user = user;
    return 0;
}
