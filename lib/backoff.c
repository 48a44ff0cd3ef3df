/* The delay before each retry: exponential, capped, with optional jitter. */
#include <errno.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* splitmix64: the task's own stream, so that tasks retried from many
 * threads neither share state nor lock. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Seeded from the kernel; where getrandom cannot answer at once, from the
 * clock, the pid and the task's address, which still differ between the
 * callers that jitter exists to spread apart. */
static void seed(cordon_task *t)
{
    uint64_t value = 0;
    if (getrandom(&value, sizeof value, GRND_NONBLOCK) != (ssize_t)sizeof value)
        value = cordon__now_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)t;
    t->jitter_state = value ? value : 1;
}

/* Uniform in [0, 1). */
static double unit_random(cordon_task *t)
{
    if (!t->jitter_state)
        seed(t);
    return (double)(next_random(&t->jitter_state) >> 11) / 9007199254740992.0;
}

uint64_t cordon__backoff_ms(cordon_task *t, unsigned retry)
{
    if (!t->backoff_initial_ms)
        return 0;
    double delay = (double)t->backoff_initial_ms;
    for (unsigned i = 1; i < retry; i++) {
        delay *= t->backoff_factor;
        if (t->backoff_max_ms && delay >= (double)t->backoff_max_ms)
            break;
    }
    if (t->backoff_max_ms && delay > (double)t->backoff_max_ms)
        delay = (double)t->backoff_max_ms;
    if (t->backoff_jitter > 0)
        delay *= 1.0 - t->backoff_jitter * unit_random(t);
    /* A delay past what a uint64_t holds is the longest one, not a value
     * the conversion makes up (0 on x86-64: a retry at once). */
    if (!(delay < 18446744073709551616.0))
        return UINT64_MAX;
    return (uint64_t)delay;
}

int cordon_set_backoff_jitter(cordon_task *t, double fraction)
{
    CORDON__NO_CANCELLATION;
    int busy = cordon__task_settable(t);
    if (busy < 0)
        return busy;
    if (!(fraction >= 0.0 && fraction <= 1.0))
        return -EINVAL;
    t->backoff_jitter = fraction;
    return 0;
}

int cordon_set_total_timeout_ms(cordon_task *t, uint64_t ms)
{
    CORDON__NO_CANCELLATION;
    int busy = cordon__task_settable(t);
    if (busy < 0)
        return busy;
    t->total_timeout_ms = ms;
    return 0;
}
