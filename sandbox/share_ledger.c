/*
 * What the live tasks of one process were given of the counts a task
 * gets a quarter of (its processes, its pseudo-terminals, the per-user
 * objects its user namespace may make).  Each share used to be a quarter
 * of what was free when the task started, and tasks started at the same
 * moment each saw the same room: under `batch -j 4` four fork bombs made
 * 8,191, 8,191, 8,191 and 7,857 processes, and a process outside cordon
 * could not fork; four pseudo-terminal hogs left a fifth task ENOSPC.
 * Now a task gets a quarter of the lesser of what is free and what the
 * process's live tasks have not been given of what was free when the
 * first of them started (or at a later start, where more was), but never
 * less than a sixteenth of what a lone task gets: ten tasks started at
 * once hold at most 0.94 of it together (0.68 for four), each can reach
 * its own share, and many more still each get a useful share (fourteen
 * started at the same instant could hold it all).  The ledger is one
 * process's: separate cordon processes started at the same moment still
 * each see the same room (README, "Threat model").
 *
 * A forked copy (a function task's process, a caller's own fork) finds
 * the lock free and the figures not its own (fork_reset.h): its tasks
 * start a ledger of their own.  The figures are written at each task:
 * they live with the other per-process state (per_task_state.h).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "confine.h"
#include "fork_reset.h"
#include "per_task_state.h"

static struct {
    pthread_mutex_t lock;
    pid_t owner; /* the process whose tasks the figures are */
    unsigned live[CORDON__SHARE_KINDS];
    uint64_t first_room[CORDON__SHARE_KINDS]; /* free when the first live task started,
                                                 or the most free at a start since */
    uint64_t given[CORDON__SHARE_KINDS];
} ledger CORDON__PER_TASK_STATE = { .lock = PTHREAD_MUTEX_INITIALIZER };
CORDON__RESET_IN_FORKED_COPIES(&ledger.lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&ledger.owner);

static void lock_ledger(void)
{
    pthread_mutex_lock(&ledger.lock);
    pid_t self = getpid();
    if (ledger.owner != self) {
        memset(ledger.live, 0, sizeof ledger.live);
        memset(ledger.given, 0, sizeof ledger.given);
        ledger.owner = self;
    }
}

static void unlock_ledger(void)
{
    pthread_mutex_unlock(&ledger.lock);
}

/* Under the lock. */
static uint64_t take_locked(unsigned kind, uint64_t room)
{
    if (!ledger.live[kind]) {
        ledger.first_room[kind] = room;
        ledger.given[kind] = 0;
    } else if (room > ledger.first_room[kind]) {
        /* More is free than when the first started: a first task started
         * while the room was small (a busy machine, a pids cgroup near its
         * cap) left every task beside it a quarter of that room, for as
         * long as any lived (under `batch -j 4`, the whole batch).  What
         * the live tasks were given stays given. */
        ledger.first_room[kind] = room;
    }
    uint64_t left = ledger.first_room[kind] > ledger.given[kind]
                        ? ledger.first_room[kind] - ledger.given[kind]
                        : 0;
    uint64_t share = (room < left ? room : left) / 4;
    /* Not below a sixteenth of a lone task's (of what is free now): a
     * quarter of what is left alone shrinks the twentieth task of a
     * `batch -j 20` to 1/236 of a lone one's (35 processes here of
     * 8,168), and each task after it further, too few for a compiler's
     * jobs. */
    uint64_t least = (ledger.first_room[kind] < room ? ledger.first_room[kind] : room) / 64;
    if (share < least)
        share = least;
    if (!share)
        share = 1; /* none at all would refuse the task its first process */
    ledger.given[kind] += share;
    ledger.live[kind]++;
    return share;
}

void cordon__shares_take(unsigned first_kind, unsigned count, const uint64_t *room,
                         uint64_t *share)
{
    lock_ledger();
    for (unsigned i = 0; i < count; i++)
        if (room[i] != CORDON__SHARE_NOT_TAKEN)
            share[i] = take_locked(first_kind + i, room[i]);
    unlock_ledger();
}

uint64_t cordon__share_take(unsigned kind, uint64_t room)
{
    uint64_t share = 0;
    cordon__shares_take(kind, 1, &room, &share);
    return share;
}

void cordon__shares_give_back(uint64_t given[CORDON__SHARE_KINDS])
{
    bool any = false;
    for (unsigned kind = 0; kind < CORDON__SHARE_KINDS; kind++)
        any |= given[kind] != 0;
    if (!any)
        return;
    lock_ledger();
    for (unsigned kind = 0; kind < CORDON__SHARE_KINDS; kind++) {
        if (given[kind] && ledger.live[kind]) {
            ledger.live[kind]--;
            ledger.given[kind] -= given[kind] < ledger.given[kind] ? given[kind] : ledger.given[kind];
        }
        given[kind] = 0;
    }
    unlock_ledger();
}
