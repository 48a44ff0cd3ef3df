/* Reading back the lines --audit writes: only the fields the report needs,
 * in one pass, without building a tree (a report reads 100k lines). */
#ifndef CORDON_RUNNER_JSON_READ_H
#define CORDON_RUNNER_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct audit_entry {
    char *command;              /* unescaped; free it */
    char outcome[64];           /* "ok", "exit:N", the exception class, "stopped:SIG" */
    uint64_t cpu_us;            /* user+sys of every attempt (its "history") */
    uint64_t wall_us;           /* of its last attempt */
    uint64_t max_rss_kb;        /* the largest of any attempt */
    /* Where it came from (record_origin.h), as written (escapes kept);
     * empty or 0 in a record that has none. */
    uint64_t line;              /* batch: its line in the job file */
    int status;                 /* cordon's exit status for it */
    bool has_status;
    char run_id[72], host[72], shard[32];
    /* When the line is refused for a number (out of range, or not a
     * whole one): which field and why; empty when it is refused as no
     * record at all. */
    char reason[96];
} audit_entry;

/* Whether the record says its task succeeded (exit 0, no exception). */
bool audit_entry_succeeded(const audit_entry *e);

/* Parses one line.  0, or -1 when it is not a JSON object with at least
 * a command and a usage, or when a number it reads is not one cordon
 * writes: fractional, beyond 2^53, negative where a count is, an exit
 * code beyond an int, a status beyond 0-255 (e->reason says which;
 * nothing is left to free then). */
int audit_entry_parse(const char *line, size_t len, audit_entry *e);

#endif
