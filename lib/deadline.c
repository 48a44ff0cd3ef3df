/*
 * When an attempt's deadline falls, fixed as its child is started: the
 * parent keeps it, and the task's own backstops (its init's, a function's
 * own timer) are armed at the same instant, for a parent kept from its
 * loop (a busy machine, a stdin callback that blocks).
 */
#include <stdint.h>

#include "internal.h"

/* A limit of centuries is no limit, not one that wrapped around to now. */
uint64_t cordon__ms_to_ns(uint64_t ms)
{
    return ms > UINT64_MAX / 1000000u ? UINT64_MAX : ms * 1000000u;
}

uint64_t cordon__saturating_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The attempt's own timeout from its start, or the total deadline of all
 * attempts where that comes first. */
void cordon__attempt_deadline(const cordon_task *t, cordon__attempt_state *s)
{
    s->deadline_ns = 0;
    s->deadline_is_total = false;
    if (t->timeout_ms)
        s->deadline_ns = cordon__saturating_add(s->started_ns, cordon__ms_to_ns(t->timeout_ms));
    if (t->total_deadline_ns && (!s->deadline_ns || t->total_deadline_ns < s->deadline_ns)) {
        s->deadline_ns = t->total_deadline_ns;
        s->deadline_is_total = true;
    }
}
