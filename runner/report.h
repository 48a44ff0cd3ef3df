/* cordon report: the parts of the summary of one or many audit files. */
#ifndef CORDON_RUNNER_REPORT_H
#define CORDON_RUNNER_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "audit_files.h"
#include "json_read.h"

enum sort_key { SORT_CPU, SORT_RSS, SORT_WALL };

/* Only what the table and totals show, so that 100k records stay small. */
typedef struct report_row {
    char *command;
    char outcome[64];
    uint64_t cpu_us, wall_us, max_rss_kb;
} report_row;

typedef struct report_rows {
    report_row *items;
    size_t count, cap;
} report_rows;

/* report_table.c: the task table (sorted; `top` rows, 0: all), the
 * totals, the failures by class and the histogram of wall times. */
void report_print_tables(report_rows *rows, enum sort_key sort, uint64_t top,
                         const char *source);

/* Makes text safe for a terminal row: control bytes become '?'. */
const char *report_printable(char *out, size_t size, const char *text);

/* report_coverage.c: which lines of a job file have no record (lost
 * workers) and which have several (retried shards). */
typedef struct coverage coverage;

coverage *coverage_new(void);
void coverage_free(coverage *c);
/* The job lines to expect: those of a job file (--jobs; 0 or -1 after a
 * message), or lines 1 to n (--lines). */
int coverage_expect_file(coverage *c, const char *path);
void coverage_expect_lines(coverage *c, uint64_t n);
/* One record, read as FILE:LINE, file being files->items[file]. */
void coverage_add(coverage *c, const audit_entry *e, size_t file, size_t lineno);
/* Prints the coverage section; returns how many problems it found (job
 * lines without a record, records of another command). */
size_t coverage_print(coverage *c, const path_list *files);

#endif
