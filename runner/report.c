/* cordon report: what audit files say about their tasks.  Many files (a
 * directory, a pattern) are merged into one report that also says whether
 * they account for a job file.  Lines are read one by one and only a few
 * numbers of each are kept, so many files of many tasks cost one pass and
 * one sort. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "help.h"
#include "report.h"
#include "runner.h"
#include "units.h"

#define REPORT_LINES_MAX 100000000ull

typedef struct report_options {
    enum sort_key sort;
    uint64_t top;
    const char **paths;         /* as given: files, directories, patterns */
    size_t path_count;
    const char *jobs;           /* --jobs FILE */
    uint64_t lines;             /* --lines N */
    bool help;
    const char *given[4];       /* each option's value, by its place in names */
} report_options;

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

static int apply_value(const char *name, const char *value, report_options *o)
{
    if (strcmp(name, "--sort") == 0)
        return parse_sort(value, &o->sort);
    if (strcmp(name, "--jobs") == 0) {
        o->jobs = value;
        return 0;
    }
    if (strcmp(name, "--top") == 0) {
        if (units_parse_count(value, 0, UINT64_MAX - 1, &o->top) == 0)
            return 0;
        runner_error("--top: '%s' is not a whole number from 0 (every row) to %llu", value,
                     (unsigned long long)(UINT64_MAX - 1));
        return -1;
    }
    /* Each line with no record is held until it is printed. */
    if (units_parse_count(value, 1, REPORT_LINES_MAX, &o->lines) == 0)
        return 0;
    runner_error("--lines: '%s' is not a whole number from 1 to %llu", value,
                 (unsigned long long)REPORT_LINES_MAX);
    return -1;
}

/* report's options, each with a value. */
static const char *const names[] = { "--sort", "--top", "--jobs", "--lines" };

static int parse_option(int argc, char **argv, int *i, report_options *o)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    const char *name = NULL;
    size_t which = 0;
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (strlen(names[k]) == name_len && strncmp(arg, names[k], name_len) == 0)
            name = names[which = k];
    if (!name) {
        runner_error("report: unknown option '%.*s' (see 'cordon report --help')",
                     (int)name_len, arg);
        return -1;
    }
    const char *value = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
    if (!value) {
        runner_error("%s needs a value (see 'cordon report --help')", name);
        return -1;
    }
    if (runner_take_once(name, &o->given[which], value) < 0)
        return -1;
    return apply_value(name, value, o);
}

static int parse_report_options(int argc, char **argv, report_options *o)
{
    *o = (report_options){ SORT_CPU, 20, NULL, 0, NULL, 0, false, { NULL } };
    /* Anywhere, a mistake before it too, and as an option's separate
     * value (runner_is_help_word: `--jobs=-h` names a file). */
    if (runner_help_word_among(argc, argv)) {
        o->help = true;
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) {
            if (parse_option(argc, argv, &i, o) < 0)
                return -1;
        } else {
            o->paths = runner_realloc(o->paths, (o->path_count + 1) * sizeof *o->paths);
            o->paths[o->path_count++] = argv[i];
        }
    }
    if (o->jobs && o->lines) {
        runner_error("report: give --jobs FILE or --lines N, not both");
        return -1;
    }
    if (!o->path_count)
        runner_error("report: no audit file given (see 'cordon report --help')");
    return o->path_count ? 0 : -1;
}

typedef struct reading {
    report_rows rows;
    coverage *cover;
    size_t file;                /* the index of the file being read */
} reading;

static void take_record(void *user, audit_entry *e, const char *path, size_t lineno)
{
    (void)path;
    reading *r = user;
    report_rows *rows = &r->rows;
    if (rows->count == rows->cap) {
        rows->cap = rows->cap ? rows->cap * 2 : 1024;
        rows->items = runner_realloc(rows->items, rows->cap * sizeof *rows->items);
    }
    coverage_add(r->cover, e, r->file, lineno);
    report_row *row = &rows->items[rows->count++];
    *row = (report_row){ e->command, "", e->cpu_us, e->wall_us, e->max_rss_kb };
    memcpy(row->outcome, e->outcome, sizeof row->outcome);
    e->command = NULL; /* the row keeps it */
}

static int read_all(const report_options *o, path_list *files, reading *r, size_t *bad)
{
    for (size_t i = 0; i < o->path_count; i++)
        if (audit_files_add(files, "report", o->paths[i], true, false) < 0)
            return -1;
    audit_files_unique(files);
    if (o->jobs && coverage_expect_file(r->cover, o->jobs) < 0)
        return -1;
    if (o->lines)
        coverage_expect_lines(r->cover, o->lines);
    audit_reader reader = { "report", take_record, r, 0, 0, false };
    for (r->file = 0; r->file < files->count; r->file++)
        if (audit_files_read(&reader, files->items[r->file]) < 0)
            return -1;
    *bad = reader.bad_lines;
    return 0;
}

static int report(const report_options *o)
{
    path_list files = { NULL, 0 };
    reading r = { { NULL, 0, 0 }, coverage_new(), 0 };
    size_t bad = 0;
    int status = RUNNER_EXIT_OWN_ERROR;
    if (read_all(o, &files, &r, &bad) == 0) {
        char source[256];
        snprintf(source, sizeof source, "%zu files", files.count);
        if (files.count == 1)
            report_printable(source, sizeof source, files.items[0]);
        report_print_tables(&r.rows, o->sort, o->top, source);
        size_t problems = coverage_print(r.cover, &files);
        status = runner_flush_stdout() == 0 ? (bad || problems ? 1 : 0) : RUNNER_EXIT_OWN_ERROR;
    }
    for (size_t i = 0; i < r.rows.count; i++)
        free(r.rows.items[i].command);
    free(r.rows.items);
    coverage_free(r.cover);
    audit_files_free(&files);
    return status;
}

int report_main(int argc, char **argv)
{
    report_options o;
    int status;
    if (parse_report_options(argc, argv, &o) < 0)
        status = RUNNER_EXIT_OWN_ERROR;
    else if (o.help)
        status = help_print("report");
    else
        status = report(&o);
    free(o.paths);
    return status;
}
