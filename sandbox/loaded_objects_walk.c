/*
 * cordon's walks of the loader's list and the caller's forks kept apart
 * (loaded_objects_walk.h): walks share a gate, which a fork takes for
 * itself from its prepare handler to its end.
 */
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "loaded_objects_walk.h"

static pthread_rwlock_t walks = PTHREAD_RWLOCK_INITIALIZER;
/* Whether this thread's fork holds the gate: two threads may fork at once. */
static __thread bool gate_held_by_this_fork;

/* A fork waits this long at most for the walks under way.  A walk lasts
 * microseconds; the bound is for a fork that could never have the gate:
 * one made from a caller's own dl_iterate_phdr callback, whose loader
 * lock a walk of cordon's then waits for, or a handler registered after
 * cordon's that took a lock a walk's malloc needs. */
#define FORK_WAITS_FOR_WALKS_S 1

static void before_fork(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += FORK_WAITS_FOR_WALKS_S;
    gate_held_by_this_fork = pthread_rwlock_timedwrlock(&walks, &until) == 0;
}

static void after_fork_in_parent(void)
{
    if (gate_held_by_this_fork) {
        gate_held_by_this_fork = false;
        pthread_rwlock_unlock(&walks);
    }
}

/* The copy has only the forking thread: no walk is under way there. */
static void after_fork_in_copy(void)
{
    gate_held_by_this_fork = false;
    pthread_rwlock_init(&walks, NULL);
}

static void watch_forks(void)
{
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_copy);
}

static pthread_once_t watching = PTHREAD_ONCE_INIT;

/* From the program's start: a walk's first fork may come before any task. */
__attribute__((constructor)) static void watch_from_the_start(void)
{
    pthread_once(&watching, watch_forks);
}

int cordon__walk_loaded_objects(cordon__loaded_object_visit *visit, void *data)
{
    pthread_once(&watching, watch_forks);
    pthread_rwlock_rdlock(&walks);
    int rc = dl_iterate_phdr(visit, data);
    pthread_rwlock_unlock(&walks);
    return rc;
}
