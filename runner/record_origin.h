/* Where and when a task ran: the fields of a JSON record that let many
 * audit files, written by many runners on many hosts, be merged into one
 * account of a job file (cordon report) and a job file be run again
 * without its finished lines (batch --resume). */
#ifndef CORDON_RUNNER_RECORD_ORIGIN_H
#define CORDON_RUNNER_RECORD_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define RUN_ID_MAX 64

typedef struct record_origin {
    const char *run_id;     /* one per invocation of cordon run or batch */
    const char *host;
    uint64_t started_ms;    /* UTC, ms since the epoch: the first attempt's start */
    size_t line;            /* batch: the task's line in the job file; 0: none */
    const char *shard;      /* batch --shard: "K/N"; NULL: none */
} record_origin;

/* The run identifier: `given` (--run-id) when it is 1 to RUN_ID_MAX
 * characters of [A-Za-z0-9._:@+-], else 32 random hex digits.  0, or -1
 * after a message naming --run-id. */
int origin_run_id(const char *given, char out[RUN_ID_MAX + 1]);

/* This machine's host name ("unknown" when it has none). */
void origin_host(char *out, size_t size);

/* The wall clock, UTC, in ms since the epoch. */
uint64_t origin_now_ms(void);

/* "2026-12-01T17:08:57.123Z" (ISO 8601, UTC, milliseconds). */
void origin_format_time(char out[32], uint64_t ms);

/* Appends run_id, host, started, and line and shard when set, as members
 * of the object being written. */
void origin_json(json_writer *w, const record_origin *o);

#endif
