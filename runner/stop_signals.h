/* The signals that stop the runner (INT, TERM, HUP, QUIT): its runs
 * cancelled and cleaned up first, then the runner dies of the signal. */
#ifndef CORDON_RUNNER_STOP_SIGNALS_H
#define CORDON_RUNNER_STOP_SIGNALS_H

#include "../lib/cordon.h"

/* Before any thread is started: blocks those signals the runner's parent
 * did not leave ignored and starts the thread that takes them. */
void stop_signals_start(void);
/* Around each run of a task (the task is cancelled if a stop comes
 * while it is watched). */
void stop_signals_watch(cordon_task *t);
void stop_signals_unwatch(cordon_task *t);
/* The signal that asked the runner to stop, or 0. */
int stop_signals_caught(void);
/* If one did: the runner dies of it now (its runs have ended). */
void stop_signals_die_if_caught(void);

#endif
