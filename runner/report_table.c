/* The tables of cordon report: tasks sorted by a key, totals, failures by
 * class, and a histogram of wall times. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "runner.h"
#include "units.h"

static enum sort_key sort_by;

static uint64_t sort_value(const report_row *e)
{
    return sort_by == SORT_RSS ? e->max_rss_kb : sort_by == SORT_WALL ? e->wall_us : e->cpu_us;
}

static int by_key(const void *a, const void *b)
{
    uint64_t x = sort_value(a), y = sort_value(b);
    return x > y ? -1 : x < y;
}

/* Totals of absurd records stay at the ceiling instead of wrapping. */
static uint64_t add_held(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* An audit file may hold anything a task's command line held: control
 * bytes must not reach the terminal, nor a newline split a row. */
const char *report_printable(char *out, size_t size, const char *text)
{
    size_t n = 0;
    for (; *text && n + 1 < size; text++)
        out[n++] = *text;
    out[n] = '\0';
    runner_make_printable(out, n);
    return out;
}

static void print_row(const report_row *e)
{
    char cpu[32], wall[32], rss[32], outcome[64], command[256];
    units_format_time_us(cpu, sizeof cpu, e->cpu_us);
    units_format_time_us(wall, sizeof wall, e->wall_us);
    units_format_kb(rss, sizeof rss, e->max_rss_kb);
    report_printable(command, sizeof command, e->command);
    printf("%9s %9s %9s  %-16s %s\n", cpu, wall, rss,
           report_printable(outcome, sizeof outcome, e->outcome),
           runner_fit_columns(command, 70));
}

static void print_table(report_rows *list, enum sort_key sort, uint64_t top, const char *source)
{
    static const char *const names[] = { "cpu", "rss", "wall" };
    sort_by = sort;
    if (list->count)
        qsort(list->items, list->count, sizeof *list->items, by_key);
    size_t rows = top && top < list->count ? (size_t)top : list->count;
    printf("cordon report: %zu task%s in %s, sorted by %s\n", list->count,
           list->count == 1 ? "" : "s", source, names[sort]);
    printf("%9s %9s %9s  %-16s %s\n", "cpu", "wall", "rss", "outcome", "command");
    for (size_t i = 0; i < rows; i++)
        print_row(&list->items[i]);
    if (rows < list->count)
        printf("(%zu more; --top 0 shows all)\n", list->count - rows);
}

static void print_totals(const report_rows *list)
{
    uint64_t cpu = 0, wall = 0, rss = 0;
    for (size_t i = 0; i < list->count; i++) {
        cpu = add_held(cpu, list->items[i].cpu_us);
        wall = add_held(wall, list->items[i].wall_us);
        if (list->items[i].max_rss_kb > rss)
            rss = list->items[i].max_rss_kb;
    }
    char c[32], w[32], r[32];
    units_format_time_us(c, sizeof c, cpu);
    units_format_time_us(w, sizeof w, wall);
    units_format_kb(r, sizeof r, rss);
    printf("\ntotal: %zu task%s, cpu %s, wall %s, peak rss %s\n", list->count,
           list->count == 1 ? "" : "s", c, w, r);
}

typedef struct class_count {
    const char *name;
    size_t count;
} class_count;

static int by_count(const void *a, const void *b)
{
    const class_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted by name, equal outcomes sit together and are counted in one pass,
 * however many distinct ones there are. */
static void print_failures(const report_rows *list)
{
    const char **names = runner_alloc((list->count + 1) * sizeof *names);
    size_t failed = 0;
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].outcome, "ok") != 0)
            names[failed++] = list->items[i].outcome;
    qsort(names, failed, sizeof *names, by_name);
    class_count *classes = runner_alloc((failed + 1) * sizeof *classes);
    size_t kinds = 0;
    for (size_t i = 0; i < failed; i++) {
        if (kinds == 0 || strcmp(classes[kinds - 1].name, names[i]) != 0)
            classes[kinds++] = (class_count){ names[i], 0 };
        classes[kinds - 1].count++;
    }
    qsort(classes, kinds, sizeof *classes, by_count);
    printf("\nfailures: %zu\n", failed);
    /* the counts in one column, however long a name ("stopped:SIGRTMIN+1") */
    char name[64];
    int width = 16;
    for (size_t k = 0; k < kinds; k++) {
        int len = (int)strlen(report_printable(name, sizeof name, classes[k].name));
        width = len > width ? len : width;
    }
    for (size_t k = 0; k < kinds; k++)
        printf("  %-*s %8zu\n", width, report_printable(name, sizeof name, classes[k].name),
               classes[k].count);
    free(classes);
    free(names);
}

/* Decades of wall time, from under a millisecond to over 100 s. */
static void print_histogram(const report_rows *list)
{
    static const char *const labels[] = { "<1ms", "1-10ms", "10-100ms", "0.1-1s",
                                          "1-10s", "10-100s", ">=100s" };
    enum { BUCKETS = 7, WIDTH = 40 };
    size_t counts[BUCKETS] = { 0 }, most = 0;
    for (size_t i = 0; i < list->count; i++) {
        uint64_t us = list->items[i].wall_us;
        size_t b = 0;
        for (uint64_t limit = 1000; b < BUCKETS - 1 && us >= limit; limit *= 10)
            b++;
        counts[b]++;
    }
    size_t first = BUCKETS, last = 0;
    for (size_t b = 0; b < BUCKETS; b++) {
        most = counts[b] > most ? counts[b] : most;
        if (counts[b]) {
            first = first == BUCKETS ? b : first;
            last = b;
        }
    }
    printf("\nwall time\n");
    for (size_t b = first; b <= last && first < BUCKETS; b++) {
        size_t bar = most ? (counts[b] * WIDTH + most - 1) / most : 0;
        printf("  %-9s %8zu%s%.*s\n", labels[b], counts[b], bar ? " " : "", (int)bar,
               "########################################");
    }
}

void report_print_tables(report_rows *rows, enum sort_key sort, uint64_t top,
                         const char *source)
{
    print_table(rows, sort, top, source);
    print_totals(rows);
    print_failures(rows);
    if (rows->count)
        print_histogram(rows);
}
