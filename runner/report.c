/* cordon report: what an audit file says about its tasks.  Lines are read
 * one by one and only a few numbers of each are kept, so a file of many
 * tasks costs one pass and one sort. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "help.h"
#include "json_read.h"
#include "runner.h"
#include "units.h"

enum sort_key { SORT_CPU, SORT_RSS, SORT_WALL };

typedef struct report_options {
    enum sort_key sort;
    uint64_t top;
    const char *path;
    bool help;
} report_options;

typedef struct entries {
    audit_entry *items;
    size_t count, cap, skipped;
} entries;

static int parse_sort(const char *value, enum sort_key *key)
{
    static const char *const names[] = { "cpu", "rss", "wall" };
    for (int i = 0; i < 3; i++) {
        if (strcmp(value, names[i]) == 0) {
            *key = (enum sort_key)i;
            return 0;
        }
    }
    runner_error("--sort: '%s' is not cpu, rss or wall", value);
    return -1;
}

static int parse_option(int argc, char **argv, int *i, report_options *o)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    bool is_sort = name_len == 6 && strncmp(arg, "--sort", 6) == 0;
    bool is_top = name_len == 5 && strncmp(arg, "--top", 5) == 0;
    if (!is_sort && !is_top) {
        runner_error("report: unknown option '%.*s' (see 'cordon report --help')",
                     (int)name_len, arg);
        return -1;
    }
    const char *value = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
    if (!value) {
        runner_error("%s needs a value (see 'cordon report --help')", is_sort ? "--sort" : "--top");
        return -1;
    }
    if (is_sort)
        return parse_sort(value, &o->sort);
    if (units_parse_count(value, 0, UINT64_MAX - 1, &o->top) == 0)
        return 0;
    runner_error("--top: '%s' is not a whole number", value);
    return -1;
}

static int parse_report_options(int argc, char **argv, report_options *o)
{
    *o = (report_options){ SORT_CPU, 20, NULL, false };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            o->help = true;
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            if (parse_option(argc, argv, &i, o) < 0)
                return -1;
        } else if (o->path) {
            runner_error("report: give one audit file");
            return -1;
        } else {
            o->path = argv[i];
        }
    }
    if (!o->path)
        runner_error("report: no audit file given (see 'cordon report --help')");
    return o->path ? 0 : -1;
}

static void warn_skipped(const char *path, size_t lineno, size_t skipped)
{
    if (skipped <= 5)
        runner_error("%s:%zu: not a cordon audit record; skipped", path, lineno);
}

typedef struct reading {
    const char *path;
    entries *list;
} reading;

static void take_entry(void *user, char *line, size_t len, size_t lineno)
{
    reading *r = user;
    entries *list = r->list;
    if (len == 0 || (len == 1 && line[0] == '\n'))
        return;
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 1024;
        list->items = runner_realloc(list->items, list->cap * sizeof *list->items);
    }
    if (audit_entry_parse(line, len, &list->items[list->count]) == 0)
        list->count++;
    else
        warn_skipped(r->path, lineno, ++list->skipped);
}

static int read_entries(const char *path, entries *list)
{
    reading r = { path, list };
    return runner_read_lines("report", path, take_entry, &r);
}

static enum sort_key sort_by;

static uint64_t sort_value(const audit_entry *e)
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
static const char *printable(char *out, size_t size, const char *text)
{
    size_t n = 0;
    for (; *text && n + 1 < size; text++)
        out[n++] = (unsigned char)*text < 0x20 || *text == 0x7f ? '?' : *text;
    out[n] = '\0';
    return out;
}

static void print_row(const audit_entry *e)
{
    char cpu[32], wall[32], rss[32], outcome[64], command[256];
    units_format_time_us(cpu, sizeof cpu, e->cpu_us);
    units_format_time_us(wall, sizeof wall, e->wall_us);
    units_format_kb(rss, sizeof rss, e->max_rss_kb);
    printf("%9s %9s %9s  %-16s %.70s\n", cpu, wall, rss,
           printable(outcome, sizeof outcome, e->outcome),
           printable(command, sizeof command, e->command));
}

static void print_table(const report_options *o, entries *list)
{
    static const char *const names[] = { "cpu", "rss", "wall" };
    sort_by = o->sort;
    if (list->count) /* a file of no records has no array to sort */
        qsort(list->items, list->count, sizeof *list->items, by_key);
    size_t rows = o->top && o->top < list->count ? (size_t)o->top : list->count;
    printf("cordon report: %zu tasks in %s, sorted by %s\n", list->count, o->path,
           names[o->sort]);
    printf("%9s %9s %9s  %-16s %s\n", "cpu", "wall", "rss", "outcome", "command");
    for (size_t i = 0; i < rows; i++)
        print_row(&list->items[i]);
    if (rows < list->count)
        printf("(%zu more; --top 0 shows all)\n", list->count - rows);
}

static void print_totals(const entries *list)
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
    printf("\ntotal: %zu tasks, cpu %s, wall %s, peak rss %s\n", list->count, c, w, r);
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
static void print_failures(const entries *list)
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
    char name[64];
    for (size_t k = 0; k < kinds; k++)
        printf("  %-16s %8zu\n", printable(name, sizeof name, classes[k].name), classes[k].count);
    free(classes);
    free(names);
}

/* Decades of wall time, from under a millisecond to over 100 s. */
static void print_histogram(const entries *list)
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

static int report(const report_options *o)
{
    entries list = { NULL, 0, 0, 0 };
    int status = RUNNER_EXIT_OWN_ERROR;
    if (read_entries(o->path, &list) == 0) {
        print_table(o, &list);
        print_totals(&list);
        print_failures(&list);
        if (list.count)
            print_histogram(&list);
        if (list.skipped)
            runner_error("%s: %zu lines skipped", o->path, list.skipped);
        status = fflush(stdout) == 0 ? (list.skipped ? 1 : 0) : RUNNER_EXIT_OWN_ERROR;
    }
    for (size_t i = 0; i < list.count; i++)
        free(list.items[i].command);
    free(list.items);
    return status;
}

int report_main(int argc, char **argv)
{
    report_options o;
    if (parse_report_options(argc, argv, &o) < 0)
        return RUNNER_EXIT_OWN_ERROR;
    if (o.help)
        return help_print("report");
    return report(&o);
}
