/*
 * A pool: at most `max` tasks running at once, the rest queued.
 *
 * Each task is in one of three lists: queued (not started), running, or
 * finished (ended, waiting to be taken out and joined by the caller).  A
 * running task's collector thread moves it to finished when its result is
 * complete and starts the next queued task itself, so the pool keeps
 * `max` running without the caller calling in.  Starts happen under the
 * pool's lock (a start only waits for a fork, never for a task), joins
 * outside it (a join waits for the collector, which takes the lock).
 * Lock order: the pool's, then a task's done_lock.
 *
 * A task leaves the pool once, by whichever call takes it first: a wait
 * pops it off `finished` under the lock and joins it outside; a
 * cordon_task_free from another thread meanwhile finds it in no list and
 * waits for that take-out to be done (its task's pool cleared, under the
 * lock) rather than join it a second time.  A running task being freed
 * is marked so, and its collector drops it instead of finishing it.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

typedef struct pool_entry {
    cordon_task *task;
    int status;                 /* a start that failed: its -errno */
    bool start_failed;
    bool being_freed;           /* running, and cordon_task_free joins it */
    struct pool_entry *next;
} pool_entry;

typedef struct entry_list {
    pool_entry *head, *tail;
} entry_list;

struct cordon_pool {
    pthread_mutex_t lock;
    pthread_cond_t changed;     /* on CLOCK_MONOTONIC: a task ended */
    unsigned max, running_count;
    entry_list queued, running, finished;
    bool closing;               /* cordon_pool_free: start nothing more */
    unsigned forgetting;        /* cordon_task_free calls still using the pool,
                                   under `membership` */
};

/* A task's pool is read, and counted as in use, under this process-wide
 * lock, which outlives every pool: a cordon_task_free that found its
 * task's pool keeps cordon_pool_free from freeing it until it is done
 * (it read the pointer unlocked, and a pool_free between that read and
 * its first use of the pool's lock freed the pool under it). */
static pthread_mutex_t membership = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t forgotten = PTHREAD_COND_INITIALIZER;

static void list_push(entry_list *list, pool_entry *e)
{
    e->next = NULL;
    if (list->tail)
        list->tail->next = e;
    else
        list->head = e;
    list->tail = e;
}

static pool_entry *list_pop(entry_list *list)
{
    pool_entry *e = list->head;
    if (e) {
        list->head = e->next;
        if (!list->head)
            list->tail = NULL;
    }
    return e;
}

static pool_entry *list_remove_task(entry_list *list, const cordon_task *t)
{
    pool_entry *previous = NULL;
    for (pool_entry *e = list->head; e; previous = e, e = e->next) {
        if (e->task != t)
            continue;
        if (previous)
            previous->next = e->next;
        else
            list->head = e->next;
        if (list->tail == e)
            list->tail = previous;
        return e;
    }
    return NULL;
}

cordon_pool *cordon_pool_new(unsigned max)
{
    CORDON__NO_CANCELLATION;
    if (max == 0) {
        errno = EINVAL;
        return NULL;
    }
    cordon_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&pool->changed, &attr);
    pthread_condattr_destroy(&attr);
    if (rc == 0 && (rc = pthread_mutex_init(&pool->lock, NULL)) != 0)
        pthread_cond_destroy(&pool->changed);
    if (rc != 0) {
        free(pool);
        errno = rc;
        return NULL;
    }
    pool->max = max;
    return pool;
}

/* Under the lock: starts queued tasks while there is room.  A start that
 * fails puts the task with its error among the finished. */
static void start_queued(cordon_pool *pool)
{
    while (!pool->closing && pool->running_count < pool->max && pool->queued.head) {
        pool_entry *e = list_pop(&pool->queued);
        int rc = cordon__run_async(e->task);
        if (rc < 0) {
            e->status = rc;
            e->start_failed = true;
            __atomic_store_n(&e->task->pool_start_failed, true, __ATOMIC_RELEASE);
            list_push(&pool->finished, e);
            pthread_cond_broadcast(&pool->changed);
            continue;
        }
        pool->running_count++;
        list_push(&pool->running, e);
    }
}

int cordon_pool_submit(cordon_pool *pool, cordon_task *t)
{
    CORDON__NO_CANCELLATION;
    if (!pool || !t)
        return -EINVAL;
    pool_entry *e = calloc(1, sizeof *e);
    if (!e)
        return -ENOMEM;
    e->task = t;
    pthread_mutex_lock(&pool->lock);
    int rc = 0;
    if (cordon__task_running(t))
        rc = -EBUSY;
    else if (pool->closing)
        rc = -EINVAL;
    else if (pool->running_count < pool->max) {
        __atomic_store_n(&t->pool, pool, __ATOMIC_RELEASE); /* before the start: its collector reads it at the end */
        rc = cordon__run_async(t);
        if (rc == 0) {
            pool->running_count++;
            list_push(&pool->running, e);
        } else {
            __atomic_store_n(&t->pool, NULL, __ATOMIC_RELEASE);
        }
    } else {
        __atomic_store_n(&t->pool_start_failed, false, __ATOMIC_RELEASE);
        __atomic_store_n(&t->async_joined, false, __ATOMIC_RELEASE); /* a join of an earlier run */
        __atomic_store_n(&t->pool, pool, __ATOMIC_RELEASE);
        list_push(&pool->queued, e);
    }
    pthread_mutex_unlock(&pool->lock);
    if (rc < 0)
        free(e);
    return rc;
}

void cordon__pool_task_ended(cordon_pool *pool, cordon_task *t)
{
    pthread_mutex_lock(&pool->lock);
    pool_entry *e = list_remove_task(&pool->running, t);
    if (e) {
        pool->running_count--;
        if (!e->being_freed) /* else the freeing call holds the entry */
            list_push(&pool->finished, e);
    }
    start_queued(pool);
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->lock);
}

static pool_entry *list_find_task(const entry_list *list, const cordon_task *t)
{
    for (pool_entry *e = list->head; e; e = e->next)
        if (e->task == t)
            return e;
    return NULL;
}

/* Under the lock: the entry that cordon_task_free now holds, or NULL for
 * a task another thread took out (that take-out waited for).  Out of the
 * queue first, so that no collector starts it meanwhile; a running one is
 * marked, so that no wait takes it when it ends. */
static pool_entry *claim_for_free(cordon_pool *pool, cordon_task *t)
{
    pool_entry *e = list_remove_task(&pool->queued, t);
    if (!e)
        e = list_remove_task(&pool->finished, t);
    if (e)
        return e;
    if ((e = list_find_task(&pool->running, t))) {
        e->being_freed = true;
        return e;
    }
    while (__atomic_load_n(&t->pool, __ATOMIC_ACQUIRE) == pool)
        pthread_cond_wait(&pool->changed, &pool->lock);
    return NULL;
}

/* cordon_task_free's: takes the task out of its pool, if any, cancelled
 * and joined (a queued one never ran; the free's own cancel joins an
 * ended one).  cordon_pool_free waits for this to be done before it
 * frees the pool. */
void cordon__pool_forget(cordon_task *t)
{
    pthread_mutex_lock(&membership);
    cordon_pool *pool = __atomic_load_n(&t->pool, __ATOMIC_ACQUIRE);
    if (pool)
        pool->forgetting++;
    pthread_mutex_unlock(&membership);
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool_entry *e = claim_for_free(pool, t);
    pthread_mutex_unlock(&pool->lock);
    if (e && e->being_freed)
        cordon__cancel(t); /* its collector drops the entry at its end */
    pthread_mutex_lock(&pool->lock);
    __atomic_store_n(&t->pool, NULL, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->lock);
    free(e);
    pthread_mutex_lock(&membership);
    pool->forgetting--;
    pthread_cond_broadcast(&forgotten);
    pthread_mutex_unlock(&membership);
}

/* Outside the lock: joins a finished task and gives it back to the caller;
 * a cordon_task_free waiting for it goes on once its pool is cleared. */
static int take_out(cordon_pool *pool, pool_entry *e)
{
    cordon_task *t = e->task;
    int status = e->status;
    if (e->start_failed) {
        t->async_joined = true; /* cordon_join gives the failure again */
        t->async_status = status;
    } else {
        status = cordon__join(t);
    }
    pthread_mutex_lock(&pool->lock);
    __atomic_store_n(&t->pool, NULL, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->lock);
    free(e);
    return status;
}

/* Under the lock: whether the calling thread is the collector of one of
 * the pool's running tasks (in its done or output callback), that task
 * ending only once the callback returns; with `alone`, whether it is the
 * only one running.  A wait on the pool there for it could never end (as
 * cordon_join of its own task: -EDEADLK). */
static bool in_a_running_task_s_callback(const cordon_pool *pool, bool alone)
{
    bool own = false;
    size_t running = 0;
    for (const pool_entry *e = pool->running.head; e; e = e->next, running++)
        own = own || cordon__collecting(e->task);
    return own && (!alone || running == 1);
}

/* Under the lock: waits for the next change; false once the deadline
 * (timeout_ms < 0: none) has passed. */
static bool wait_changed(cordon_pool *pool, int timeout_ms, const struct timespec *at)
{
    if (timeout_ms < 0)
        return pthread_cond_wait(&pool->changed, &pool->lock) == 0;
    return pthread_cond_timedwait(&pool->changed, &pool->lock, at) != ETIMEDOUT;
}

int cordon_pool_wait_any(cordon_pool *pool, int timeout_ms, cordon_task **done)
{
    CORDON__NO_CANCELLATION;
    if (done)
        *done = NULL;
    if (!pool || !done)
        return -EINVAL;
    struct timespec at = cordon__monotonic_after_ms(timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_lock(&pool->lock);
    pool_entry *e = NULL;
    int rc = 0;
    while (!(e = list_pop(&pool->finished))) {
        if (!pool->running.head && !pool->queued.head) {
            rc = -ECHILD;
            break;
        }
        /* Nothing ended, and nothing running but the callback's own
         * task (the queued wait for it to end). */
        if (timeout_ms != 0 && in_a_running_task_s_callback(pool, true)) {
            rc = -EDEADLK;
            break;
        }
        if (!wait_changed(pool, timeout_ms, &at) && !pool->finished.head) {
            rc = -ETIMEDOUT;
            break;
        }
    }
    pthread_mutex_unlock(&pool->lock);
    if (!e)
        return rc;
    *done = e->task;
    return take_out(pool, e);
}

/* Under the lock: waits until nothing is queued or running. */
static int wait_idle(cordon_pool *pool, int timeout_ms)
{
    struct timespec at = cordon__monotonic_after_ms(timeout_ms < 0 ? 0 : timeout_ms);
    while (pool->running.head || pool->queued.head) {
        if (!wait_changed(pool, timeout_ms, &at) && (pool->running.head || pool->queued.head))
            return -ETIMEDOUT;
    }
    return 0;
}

static void take_out_all(cordon_pool *pool, entry_list *list)
{
    for (pool_entry *e; (e = list_pop(list));)
        take_out(pool, e);
}

int cordon_pool_wait_all(cordon_pool *pool, int timeout_ms)
{
    CORDON__NO_CANCELLATION;
    if (!pool)
        return -EINVAL;
    pthread_mutex_lock(&pool->lock);
    int rc = timeout_ms != 0 && in_a_running_task_s_callback(pool, false)
                 ? -EDEADLK : wait_idle(pool, timeout_ms);
    entry_list finished = { NULL, NULL };
    if (rc == 0) {
        finished = pool->finished;
        pool->finished = (entry_list){ NULL, NULL };
    }
    pthread_mutex_unlock(&pool->lock);
    take_out_all(pool, &finished);
    return rc;
}

void cordon_pool_free(cordon_pool *pool)
{
    CORDON__NO_CANCELLATION;
    if (!pool)
        return;
    /* It would wait for every task of the pool, this callback's own among
     * them, which ends only once the callback returns: for ever. */
    if (cordon__collecting_for(pool)) {
        cordon__say_misuse("cordon_pool_free: called from a callback of one of the pool's tasks; "
                           "the pool is not freed (free it from another thread, or after its "
                           "tasks have ended)\n");
        return;
    }
    pthread_mutex_lock(&pool->lock);
    pool->closing = true;
    for (pool_entry *e; (e = list_pop(&pool->queued));) {
        __atomic_store_n(&e->task->pool, NULL, __ATOMIC_RELEASE); /* never started: the caller's again */
        free(e);
    }
    for (pool_entry *e = pool->running.head; e; e = e->next)
        cordon__cancel_as(e->task, "cordon_pool_free");
    wait_idle(pool, -1);
    entry_list finished = pool->finished;
    pool->finished = (entry_list){ NULL, NULL };
    pthread_mutex_unlock(&pool->lock);
    /* Each join also waits for its collector to leave the pool's lock. */
    take_out_all(pool, &finished);
    /* A cordon_task_free of one of its tasks, racing this, is done with
     * the pool before the pool goes; none can find it from here on (no
     * task names it any more). */
    pthread_mutex_lock(&membership);
    while (pool->forgetting)
        pthread_cond_wait(&forgotten, &membership);
    pthread_mutex_unlock(&membership);
    pthread_cond_destroy(&pool->changed);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}
