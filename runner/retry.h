/* --retry, --retry-on and --backoff: which endings run a task again, and
 * how long to wait before each new attempt. */
#ifndef CORDON_RUNNER_RETRY_H
#define CORDON_RUNNER_RETRY_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/cordon.h"
#include "options.h"

/* One attempt, kept by the runner: cordon_task_history covers only one
 * cordon_run, and the runner retries on endings (exit:N, several classes)
 * that cordon_run_and_retry does not know. */
typedef struct attempt_record {
    char exception[64];         /* "" when it ended without one */
    int exit_code, signal;
    cordon_usage usage;
} attempt_record;

typedef struct attempt_log {
    attempt_record *items;
    size_t count;
    size_t promised;    /* attempts when a retry was last decided on */
    bool retry_unmade;  /* a retry was wanted, and a stop signal came first */
} attempt_log;

/* "SIGSEGV,Timeout,exit:3" appended to o->retry_on.  0 or -1 after a
 * message naming `option`. */
int retry_parse_classes(task_options *o, const char *option, const char *value);
/* "100ms[,x2][,max 5s]".  0 or -1 after a message. */
int retry_parse_backoff(task_options *o, const char *option, const char *value);

/* Runs `t` (with the profiler when o->profile), then again while its
 * ending matches o->retry_on (any exception when none was given) and fewer
 * than o->retry retries were made, saying so on stderr when `announce`.
 * Returns the last run's cordon_run code; every attempt is appended to
 * `log`. */
int retry_run(cordon_task *t, const task_options *o, bool announce, attempt_log *log);
void attempt_log_free(attempt_log *log);

#endif
