/* The table that ends a batch: outcomes by class, CPU time, peak memory. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stop_signals.h"
#include "batch.h"
#include "output.h"
#include "runner.h"
#include "units.h"

typedef struct text {
    char *data;
    size_t len, cap;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->data ? t->data + t->len : NULL, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = (t->cap + (size_t)(n < 0 ? 0 : n) + 1) * 2;
        t->data = runner_realloc(t->data, t->cap);
    }
}

typedef struct outcome_count {
    const char *name;
    size_t count;
} outcome_count;

static int by_count(const void *a, const void *b)
{
    const outcome_count *x = a, *y = b;
    bool x_ok = strcmp(x->name, "ok") == 0, y_ok = strcmp(y->name, "ok") == 0;
    if (x_ok != y_ok)
        return x_ok ? -1 : 1; /* successes first, then failures by count */
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void add_outcomes(text *out, const batch_task *tasks, size_t count)
{
    outcome_count *counts = runner_alloc((count + 1) * sizeof *counts);
    size_t kinds = 0;
    for (size_t i = 0; i < count; i++) {
        size_t k = 0;
        while (k < kinds && strcmp(counts[k].name, tasks[i].outcome) != 0)
            k++;
        if (k == kinds)
            counts[kinds++] = (outcome_count){ tasks[i].outcome, 0 };
        counts[k].count++;
    }
    qsort(counts, kinds, sizeof *counts, by_count);
    /* As wide as the longest name ("stopped:SIGRTMIN+1" pushed its count
     * out of the column). */
    int width = 16;
    for (size_t k = 0; k < kinds; k++)
        if (strlen(counts[k].name) > (size_t)width)
            width = (int)strlen(counts[k].name);
    add(out, "  %-*s %6s\n", width, "outcome", "tasks");
    for (size_t k = 0; k < kinds; k++)
        add(out, "  %-*s %6zu\n", width, counts[k].name, counts[k].count);
    free(counts);
}

static int by_cpu(const void *a, const void *b)
{
    const batch_task *x = *(const batch_task *const *)a, *y = *(const batch_task *const *)b;
    if (x->cpu_us != y->cpu_us)
        return x->cpu_us > y->cpu_us ? -1 : 1;
    return x->lineno < y->lineno ? -1 : 1;
}

static void add_task_ref(text *out, const batch_task *t)
{
    char shown[256];
    snprintf(shown, sizeof shown, "%s", t->line);
    /* A job line's text, as runner_error shows it: the job file may be
     * anyone's, and no byte of it may drive the terminal. */
    runner_make_printable(shown, strlen(shown));
    add(out, "  line %zu: %s\n", t->lineno, runner_fit_columns(shown, 60));
}

static void add_cpu(text *out, const batch_task *tasks, size_t count)
{
    const batch_task **order = runner_alloc(count * sizeof *order);
    uint64_t total = 0;
    size_t ran = 0;
    for (size_t i = 0; i < count; i++) {
        if (!tasks[i].not_run)
            order[ran++] = &tasks[i];
        total += tasks[i].cpu_us;
    }
    count = ran;
    qsort(order, count, sizeof *order, by_cpu);
    char buf[32];
    units_format_time_us(buf, sizeof buf, total);
    add(out, "  %-16s %6s total\n", "cpu", buf);
    for (size_t i = 0; i < count && i < 3; i++) {
        units_format_time_us(buf, sizeof buf, order[i]->cpu_us);
        add(out, "  %-16s %6s", i == 0 ? "top cpu" : "", buf);
        add_task_ref(out, order[i]);
    }
    free(order);
}

static void add_peak_rss(text *out, const batch_task *tasks, size_t count)
{
    const batch_task *peak = &tasks[0];
    for (size_t i = 1; i < count; i++)
        if (tasks[i].max_rss_kb > peak->max_rss_kb)
            peak = &tasks[i];
    char buf[32];
    units_format_kb(buf, sizeof buf, peak->max_rss_kb);
    add(out, "  %-16s %6s", "peak rss", buf);
    add_task_ref(out, peak);
}

/* --retry's work: the lines that took more than one attempt, and how
 * many of them a retry brought to success. */
static void add_retries(text *out, const batch_task *tasks, size_t count)
{
    size_t lines = 0, extra = 0, recovered = 0;
    for (size_t i = 0; i < count; i++)
        if (tasks[i].attempts > 1) {
            lines++;
            extra += tasks[i].attempts - 1;
            recovered += tasks[i].status == 0;
        }
    if (lines)
        add(out, "  retried: %zu %s, %zu more %s; %zu then succeeded\n", lines,
            runner_plural(lines, "line", "lines"), extra, runner_plural(extra, "attempt", "attempts"),
            recovered);
}

void batch_summary_print(const batch_task *tasks, size_t count, uint64_t elapsed_us,
                         unsigned jobs, const char *shard, size_t resumed)
{
    size_t failed = 0, not_run = 0;
    for (size_t i = 0; i < count; i++) {
        not_run += tasks[i].not_run;
        failed += tasks[i].status != 0 && !tasks[i].not_run;
    }
    text out = { NULL, 0, 0 };
    char elapsed[32];
    units_format_time_us(elapsed, sizeof elapsed, elapsed_us);
    add(&out, "cordon: batch: %zu task%s in %s (-j %u): %zu succeeded, %zu failed", count,
        count == 1 ? "" : "s", elapsed, jobs, count - failed - not_run, failed);
    int stopped_by = stop_signals_caught();
    if (not_run && stopped_by)
        add(&out, ", %zu not run: cordon was stopped by %s", not_run,
            cordon_signal_name(stopped_by));
    else if (not_run)
        add(&out, ", %zu not run: standard output's reader is gone", not_run);
    else if (stopped_by)
        add(&out, "; cordon was stopped by %s", cordon_signal_name(stopped_by));
    add(&out, "\n");
    if (shard)
        add(&out, "  shard %s: the job file's lines L with (L-1) mod N = K\n", shard);
    if (resumed)
        add(&out, "  resumed: %zu %s succeeded before and %s not run again\n", resumed,
            runner_plural(resumed, "line had", "lines had"), runner_plural(resumed, "was", "were"));
    add_retries(&out, tasks, count);
    if (count > not_run) { /* the lines not run are the last ones */
        add_outcomes(&out, tasks, count);
        add_cpu(&out, tasks, count);
        add_peak_rss(&out, tasks, count);
    }
    /* cordon's own line: a closed stderr fails no run for it */
    (void)output_write_own(STDERR_FILENO, out.data, out.len);
    free(out.data);
}

void batch_progress_format(char *buf, size_t size, size_t done, size_t failed, size_t running,
                           size_t total, bool more, uint64_t elapsed_us)
{
    char elapsed[32], eta[32] = "?";
    units_format_time_us(elapsed, sizeof elapsed, elapsed_us);
    if (more) {
        /* no end to estimate: the total is the lines read so far */
        snprintf(buf, size, "cordon: %zu/%zu done, %zu failed, %zu running, %s elapsed, "
                 "more lines to come", done, total, failed, running, elapsed);
        return;
    }
    if (done > 0 && done < total)
        units_format_time_us(eta, sizeof eta, elapsed_us / done * (total - done));
    else if (done == total)
        snprintf(eta, sizeof eta, "0s");
    snprintf(buf, size, "cordon: %zu/%zu done, %zu failed, %zu running, %s elapsed, ETA %s",
             done, total, failed, running, elapsed, eta);
}
