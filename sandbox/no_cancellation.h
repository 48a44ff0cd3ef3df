/* cordon's public calls are no cancellation points: a pthread_cancel of
 * the caller's thread acts once the call has returned.  Acted on inside
 * one, it left a lock of cordon's held (every later task of the process,
 * or a fork, waited on it for good), a command's child, which shares the
 * thread's memory and TLS until its exec, unwinding the caller's stack,
 * and the task's processes, fds and cgroups behind.  cordon_cancel ends
 * a run from another thread.  Each call of lib/cordon.h's (but those a
 * function task's child makes of its context) begins with
 * CORDON__NO_CANCELLATION. */
#ifndef CORDON_SANDBOX_NO_CANCELLATION_H
#define CORDON_SANDBOX_NO_CANCELLATION_H

#include <pthread.h>

static inline int cordon__cancel_off(void)
{
    int old = PTHREAD_CANCEL_ENABLE;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    return old;
}

static inline void cordon__cancel_back(const int *old)
{
    pthread_setcancelstate(*old, NULL);
}

#define CORDON__NO_CANCELLATION                                                        \
    int cordon__cancel_state __attribute__((cleanup(cordon__cancel_back))) =           \
        cordon__cancel_off()

#endif
