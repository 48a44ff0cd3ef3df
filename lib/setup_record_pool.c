/*
 * The setup record's mapping (lib/spawn.c, map_shared_region) is kept for
 * the caller's next task instead of being unmapped: making a shared
 * mapping's object and freeing it again cost the caller some 15 µs per
 * task, in series with the task.
 *
 * The task's region is never kept (a page of it pinned by the task, a
 * pipe it spliced it into or an io_uring buffer, held by a process outside
 * the tree, would see the next task's).  The record is kept only where no
 * code of the task's ever ran while it was mapped: the caller's child, the
 * init and the task's first process are cordon's code until the first
 * process unmaps the record, before the function (or execs); a set-up
 * hook runs with it mapped, so a record of a task with a hook is unmapped
 * as before.  And only once the task's whole tree is known to have ended
 * (the attempt was collected to its end): no process maps it any more but
 * the caller, and copies of the caller made while it was idle, which are
 * the caller's own.
 *
 * The pool belongs to one process: a forked copy of the caller (a task's
 * function running tasks of its own, the caller's own fork) shares the
 * parent's kept pages and so starts a pool of its own.
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../sandbox/fork_reset.h"
#include "internal.h"
#include "../sandbox/per_task_state.h"

/* More than the tasks ever run at once would only hold memory. */
#define POOL_CAPACITY 8

static struct {
    pthread_mutex_t lock;
    pid_t owner;
    int count;
    void *records[POOL_CAPACITY];
    size_t sizes[POOL_CAPACITY];
} pool CORDON__PER_TASK_STATE = { .lock = PTHREAD_MUTEX_INITIALIZER };

CORDON__RESET_IN_FORKED_COPIES(&pool.lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&pool.owner);

/* A copy made by fork shares its parent's kept pages: never its own. */
static void forget_if_inherited(void)
{
    if (pool.owner == getpid())
        return;
    for (int i = 0; i < pool.count; i++)
        munmap(pool.records[i], pool.sizes[i]);
    pool.count = 0;
    pool.owner = getpid();
}

void *cordon__setup_record_take(size_t size)
{
    void *record = NULL;
    pthread_mutex_lock(&pool.lock);
    forget_if_inherited();
    for (int i = pool.count - 1; i >= 0 && !record; i--) {
        if (pool.sizes[i] != size)
            continue;
        record = pool.records[i];
        pool.records[i] = pool.records[--pool.count];
        pool.sizes[i] = pool.sizes[pool.count];
    }
    pthread_mutex_unlock(&pool.lock);
    if (record) /* as a new mapping would be */
        memset(record, 0, size);
    return record;
}

void cordon__setup_record_give_back(void *record, size_t size)
{
    pthread_mutex_lock(&pool.lock);
    forget_if_inherited();
    bool kept = pool.count < POOL_CAPACITY;
    if (kept) {
        pool.records[pool.count] = record;
        pool.sizes[pool.count++] = size;
    }
    pthread_mutex_unlock(&pool.lock);
    if (!kept)
        munmap(record, size);
}
