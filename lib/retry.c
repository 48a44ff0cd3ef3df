/* Retrying a task in fresh children while its exception is of one class. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static bool should_retry(const cordon_task *t, const char *exception)
{
    if (!t->exception_class[0])
        return false; /* a normal ending always stops */
    return strcmp(exception, "*") == 0 || strcmp(exception, t->exception_class) == 0;
}

static uint64_t backoff_ms(const cordon_task *t, unsigned retry)
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
    return (uint64_t)delay;
}

static void sleep_ms(uint64_t ms)
{
    struct timespec left = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

int cordon_run_and_retry(cordon_task *t, unsigned max_retry, const char *exception)
{
    if (!t || !exception || !exception[0])
        return -EINVAL;
    if (t->async_running)
        return -EBUSY;
    t->history_count = 0;
    int rc;
    for (unsigned attempt = 1;; attempt++) {
        t->result.attempts = attempt;
        rc = cordon__run_once(t);
        if (rc < 0)
            return rc;
        cordon__history_push(t);
        if (attempt > max_retry || !should_retry(t, exception))
            return rc;
        sleep_ms(backoff_ms(t, attempt));
    }
}
