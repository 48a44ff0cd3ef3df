/*
 * The deadline of a task without a pid namespace, kept beside the
 * collector.  The collector keeps it in its poll loop; but a task can
 * hold the lock of its own output pipe in the kernel (a splice or a
 * sendfile into it from a socket or terminal that never delivers, a
 * splice out of it, reopened for reading through /proc/self/fd, into a
 * full socket), and the collector's next read of that pipe then waits
 * for the lock where no signal reaches it: the task ran past its
 * deadline for as long as it liked, holding its caller.  In a pid
 * namespace the init keeps the deadline by itself; without one, this
 * thread does, a little after the collector would (WATCHDOG_GRACE_NS),
 * so that it acts only when the collector could not: it ends the tree
 * as cordon_cancel does, from outside the held loop, and the loop,
 * freed, finds the deadline passed.
 *
 * A command's start is watched too (end_the_start): started before it,
 * the same thread keeps the deadline for the whole attempt.
 *
 * A thread per such attempt, joined at its end: a few tens of
 * microseconds, for tasks without namespaces that have a deadline only.
 * Where no thread can be made, the collector keeps the deadline alone,
 * as before.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define WATCHDOG_GRACE_NS (20ull * 1000 * 1000)

/* A command's child still in its start at the deadline: the caller waits
 * in vfork for its exec, which the task's user can hold (a lease of its
 * on the program breaks only after fs.lease-break-time, 45 s, or as the
 * holder gives it up), and nothing else of cordon's runs then.  Killed
 * through the pidfd its clone wrote (looked at again until it is
 * written, or the start is over). */
static bool end_the_start(cordon__deadline_watch *w)
{
    bool ended = false;
    while (__atomic_load_n(&w->spawning, __ATOMIC_ACQUIRE)) {
        int pidfd = __atomic_load_n(w->spawn_pidfd, __ATOMIC_ACQUIRE);
        if (pidfd >= 0 && !ended)
            ended = syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) == 0;
        struct timespec pause_time = { 0, 1000 * 1000 };
        nanosleep(&pause_time, NULL);
    }
    if (ended)
        __atomic_store_n(&w->ended_running_task, true, __ATOMIC_RELEASE);
    return ended;
}

static void *watch(void *arg)
{
    cordon__deadline_watch *w = arg;
    uint64_t fire_at = w->deadline_ns + WATCHDOG_GRACE_NS; /* no watch starts past this */
    struct timespec until = { .tv_sec = (time_t)(fire_at / 1000000000u),
                              .tv_nsec = (long)(fire_at % 1000000000u) };
    pthread_mutex_lock(&w->lock);
    int rc = 0;
    while (!w->stop && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&w->changed, &w->lock, &until);
    bool fire = !w->stop;
    pthread_mutex_unlock(&w->lock);
    if (fire && !end_the_start(w))
        __atomic_store_n(&w->ended_running_task, cordon__end_at_deadline(w->task),
                         __ATOMIC_RELEASE);
    return NULL;
}

void cordon__deadline_watch_start(cordon__deadline_watch *w, cordon_task *t, uint64_t deadline_ns,
                                  const int *spawn_pidfd)
{
    *w = (cordon__deadline_watch){ .task = t, .deadline_ns = deadline_ns,
                                   .spawning = spawn_pidfd != NULL, .spawn_pidfd = spawn_pidfd };
    /* A deadline so far off that it is none (a timeout of UINT64_MAX,
     * saturated): its sum with the grace wrapped, and the watch ended the
     * task at once. */
    if (deadline_ns > UINT64_MAX - WATCHDOG_GRACE_NS)
        return;
    pthread_condattr_t attributes;
    if (pthread_condattr_init(&attributes) != 0)
        return;
    /* The deadline is on cordon's monotonic clock (cordon__now_ns). */
    bool ready = pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC) == 0 &&
                 pthread_cond_init(&w->changed, &attributes) == 0;
    pthread_condattr_destroy(&attributes);
    if (!ready)
        return;
    pthread_mutex_init(&w->lock, NULL);
    w->started = pthread_create(&w->thread, NULL, watch, w) == 0;
    if (!w->started) {
        pthread_cond_destroy(&w->changed);
        pthread_mutex_destroy(&w->lock);
    }
}

bool cordon__deadline_watch_stop(cordon__deadline_watch *w)
{
    if (!w->started)
        return false;
    __atomic_store_n(&w->spawning, false, __ATOMIC_RELEASE);
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->changed);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->lock);
    w->started = false;
    return __atomic_load_n(&w->ended_running_task, __ATOMIC_ACQUIRE);
}

void cordon__deadline_watch_started(cordon__deadline_watch *w)
{
    __atomic_store_n(&w->spawning, false, __ATOMIC_RELEASE);
}
