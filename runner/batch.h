/* cordon batch: the shared picture of the tasks, for the runner loop and
 * for the summary at the end. */
#ifndef CORDON_RUNNER_BATCH_H
#define CORDON_RUNNER_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct batch_task {
    char *line;                 /* the shell command line */
    size_t lineno;              /* its line in the input, 1-based */
    int status;                 /* cordon's exit status for it */
    char outcome[64];           /* "ok", "exit:N", the exception class, "output lost", "stopped:SIG" */
    uint64_t cpu_us;            /* user+sys of every attempt */
    uint64_t wall_us;           /* of the last attempt */
    uint64_t max_rss_kb;        /* the largest of any attempt */
    size_t attempts;            /* run (--retry), 0 for a line not run */
    bool resumed;               /* --resume: it succeeded before; not run */
    bool not_run;               /* left when standard output's reader was gone */
    /* Without --audit, whose line waits for the output to be written:
     * output_given() of stdout and stderr once its output was queued,
     * for the end to tell whether that output got out. */
    unsigned long long output_mark[3];
} batch_task;

/* Writes the summary table to stderr as one write; `shard` ("K/N" or
 * NULL) and `resumed` (lines --resume found done) say what was left to
 * others. */
void batch_summary_print(const batch_task *tasks, size_t count, uint64_t elapsed_us,
                         unsigned jobs, const char *shard, size_t resumed);

/* Formats "cordon: 5/20 done, 1 failed, 4 running, 1.20s elapsed, ETA 3.4s"
 * into buf; with `more` (streamed input not ended: `total` is the lines
 * read so far) "..., 1.20s elapsed, more lines to come". */
void batch_progress_format(char *buf, size_t size, size_t done, size_t failed, size_t running,
                           size_t total, bool more, uint64_t elapsed_us);

#endif
