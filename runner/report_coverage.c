/* Whether the audit files account for a job file: each line run exactly
 * once.  Only a few numbers are kept per record (its line, where it was
 * read, whether it succeeded); one sort at the end puts the records of a
 * line together, and one walk beside the job file's lines finds the lines
 * with none (a lost worker) and those with several (a retried shard). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_file.h"
#include "report.h"
#include "runner.h"
#include "shard.h"

/* How much of each list is printed before the rest is only counted. */
#define RANGES_SHOWN 30
#define LINES_SHOWN 20
#define RECORDS_SHOWN 5
#define MISMATCHES_SHOWN 10

typedef struct seen {
    uint64_t line;
    size_t file, lineno;
    bool ok;
} seen;

typedef struct job {
    uint64_t line;
    char *text;
} job;

typedef struct mismatch {
    size_t file, lineno;
    uint64_t line;
    char *command;
} mismatch;

typedef struct hashes {
    uint64_t *items;
    size_t count, cap;
} hashes;

struct coverage {
    bool expect;                    /* --jobs or --lines given */
    const char *jobs_path;          /* NULL: --lines */
    job *jobs;                      /* in line order, as read */
    size_t job_count, job_cap;
    uint64_t lines;                 /* --lines N */
    seen *records;
    size_t count, cap;
    size_t unnumbered;              /* records without a line: cordon run's */
    mismatch shown[MISMATCHES_SHOWN];
    size_t mismatched;
    hashes runs, hosts;
    uint64_t shard_count;           /* N of the records' shards, when they agree */
    bool shards_differ;
};

coverage *coverage_new(void)
{
    return runner_alloc(sizeof(coverage));
}

void coverage_free(coverage *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->job_count; i++)
        free(c->jobs[i].text);
    for (size_t i = 0; i < c->mismatched && i < MISMATCHES_SHOWN; i++)
        free(c->shown[i].command);
    free(c->jobs);
    free(c->records);
    free(c->runs.items);
    free(c->hosts.items);
    free(c);
}

static void take_job(void *user, char *text, size_t lineno)
{
    coverage *c = user;
    if (c->job_count == c->job_cap) {
        c->job_cap = c->job_cap ? c->job_cap * 2 : 1024;
        c->jobs = runner_realloc(c->jobs, c->job_cap * sizeof *c->jobs);
    }
    c->jobs[c->job_count++] = (job){ lineno, runner_strdup(text) };
}

int coverage_expect_file(coverage *c, const char *path)
{
    c->expect = true;
    c->jobs_path = path;
    return job_file_read("report --jobs", path, take_job, c);
}

void coverage_expect_lines(coverage *c, uint64_t n)
{
    c->expect = true;
    c->lines = n;
}

/* The job file's text of `line`, "" for a line that is no job, NULL when
 * only a count was given. */
static const char *job_text(const coverage *c, uint64_t line)
{
    if (!c->jobs_path)
        return NULL;
    size_t lo = 0, hi = c->job_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->jobs[mid].line == line)
            return c->jobs[mid].text;
        if (c->jobs[mid].line < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return "";
}

static void add_hash(hashes *h, const char *text)
{
    if (!*text)
        return;
    uint64_t v = 14695981039346656037ull; /* FNV-1a */
    for (; *text; text++)
        v = (v ^ (unsigned char)*text) * 1099511628211ull;
    if (h->count == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->items = runner_realloc(h->items, h->cap * sizeof *h->items);
    }
    h->items[h->count++] = v;
}

static void note_shard(coverage *c, const char *text)
{
    const char *slash = strchr(text, '/');
    unsigned long long n = slash ? strtoull(slash + 1, NULL, 10) : 0;
    if (!slash || n == 0 || n > SHARD_COUNT_MAX)
        return;
    if (c->shard_count && c->shard_count != n)
        c->shards_differ = true;
    c->shard_count = n;
}

/* A record of another command than the job file has at its line (an
 * older job file, or another one) accounts for nothing. */
static bool matches_job(coverage *c, const audit_entry *e, size_t file, size_t lineno)
{
    const char *text = job_text(c, e->line);
    bool out_of_range = !c->jobs_path && c->expect && e->line > c->lines;
    if (out_of_range || (text && strcmp(text, e->command) != 0)) {
        if (c->mismatched < MISMATCHES_SHOWN)
            c->shown[c->mismatched] = (mismatch){ file, lineno, e->line,
                                                  runner_strdup(e->command) };
        c->mismatched++;
        return false;
    }
    return true;
}

void coverage_add(coverage *c, const audit_entry *e, size_t file, size_t lineno)
{
    add_hash(&c->runs, e->run_id);
    add_hash(&c->hosts, e->host);
    if (e->shard[0])
        note_shard(c, e->shard);
    if (!e->line) {
        c->unnumbered++;
        return;
    }
    if (c->expect && !matches_job(c, e, file, lineno))
        return;
    if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->records = runner_realloc(c->records, c->cap * sizeof *c->records);
    }
    c->records[c->count++] = (seen){ e->line, file, lineno, audit_entry_succeeded(e) };
}

static int by_line(const void *a, const void *b)
{
    const seen *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return x->lineno < y->lineno ? -1 : x->lineno > y->lineno;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t distinct(hashes *h)
{
    if (!h->count)
        return 0;
    qsort(h->items, h->count, sizeof *h->items, by_value);
    size_t n = 0;
    for (size_t i = 0; i < h->count; i++)
        n += i == 0 || h->items[i] != h->items[i - 1];
    return n;
}

/* The lines with no record, as ranges ("7, 12-15"); with the shard each
 * belongs to when every record named the same count of shards. */
typedef struct missing {
    uint64_t *lines;
    size_t count, cap;
} missing;

static void add_missing(missing *m, uint64_t line)
{
    if (m->count == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->lines = runner_realloc(m->lines, m->cap * sizeof *m->lines);
    }
    m->lines[m->count++] = line;
}

static void print_ranges(const missing *m)
{
    size_t ranges = 0;
    printf("  no record (%zu):", m->count);
    for (size_t i = 0; i < m->count; ranges++) {
        size_t j = i;
        while (j + 1 < m->count && m->lines[j + 1] == m->lines[j] + 1)
            j++;
        if (ranges < RANGES_SHOWN) {
            if (j > i)
                printf("%s %llu-%llu", ranges ? "," : "", (unsigned long long)m->lines[i],
                       (unsigned long long)m->lines[j]);
            else
                printf("%s %llu", ranges ? "," : "", (unsigned long long)m->lines[i]);
        }
        i = j + 1;
    }
    if (ranges > RANGES_SHOWN)
        printf(", ... (%zu more %s)", ranges - RANGES_SHOWN,
               runner_plural(ranges - RANGES_SHOWN, "range", "ranges"));
    printf("\n");
}

static void print_missing_shards(const coverage *c, const missing *m)
{
    if (!c->shard_count || c->shards_differ || !m->count)
        return;
    uint64_t *shards = runner_alloc(m->count * sizeof *shards);
    for (size_t i = 0; i < m->count; i++)
        shards[i] = (m->lines[i] - 1) % c->shard_count;
    qsort(shards, m->count, sizeof *shards, by_value);
    printf("    by shard of %llu:", (unsigned long long)c->shard_count);
    size_t groups = 0;
    for (size_t i = 0; i < m->count;) {
        size_t j = i;
        while (j < m->count && shards[j] == shards[i])
            j++;
        if (groups++ < RANGES_SHOWN)
            printf("%s %llu/%llu (%zu line%s)", groups > 1 ? "," : "",
                   (unsigned long long)shards[i], (unsigned long long)c->shard_count, j - i,
                   j - i == 1 ? "" : "s");
        i = j;
    }
    printf("%s\n", groups > RANGES_SHOWN ? ", ..." : "");
    free(shards);
}

/* A file's name as printed: a task that could write the audit directory
 * chose it. */
static const char *base_name(char out[256], const char *path)
{
    const char *slash = strrchr(path, '/');
    return report_printable(out, 256, slash && slash[1] ? slash + 1 : path);
}

static void print_several(const coverage *c, const path_list *files, size_t first, size_t n,
                          size_t *shown)
{
    if ((*shown)++ >= LINES_SHOWN)
        return;
    printf("    line %llu: %zu records:", (unsigned long long)c->records[first].line, n);
    for (size_t k = 0; k < n && k < RECORDS_SHOWN; k++) {
        const seen *s = &c->records[first + k];
        char name[256];
        printf("%s %s:%zu %s", k ? "," : "", base_name(name, files->items[s->file]), s->lineno,
               s->ok ? "ok" : "failed");
    }
    printf("%s\n", n > RECORDS_SHOWN ? ", ..." : "");
}

typedef struct tally {
    size_t once, several, none;
} tally;

/* The lines with several records, and where each record was read. */
static void print_all_several(const coverage *c, const path_list *files, size_t several_total)
{
    size_t shown = 0, r = 0;
    if (several_total)
        printf("  several records (%zu):\n", several_total);
    while (r < c->count) {
        size_t n = 1;
        while (r + n < c->count && c->records[r + n].line == c->records[r].line)
            n++;
        if (n > 1)
            print_several(c, files, r, n, &shown);
        r += n;
    }
    if (shown > LINES_SHOWN)
        printf("    ... (%zu more %s)\n", shown - LINES_SHOWN,
               runner_plural(shown - LINES_SHOWN, "line", "lines"));
}

/* Counts lines seen once and several times, and (when lines are expected)
 * collects the ones with no record. */
static void count_lines(coverage *c, tally *t, missing *m)
{
    size_t r = 0;
    uint64_t expected_count = c->jobs_path ? c->job_count : c->lines;
    for (uint64_t i = 0; i < expected_count || r < c->count;) {
        uint64_t want = i < expected_count ? (c->jobs_path ? c->jobs[i].line : i + 1) : UINT64_MAX;
        if (r < c->count && c->records[r].line <= want) {
            size_t n = 1;
            while (r + n < c->count && c->records[r + n].line == c->records[r].line)
                n++;
            t->once += n == 1;
            t->several += n > 1;
            if (c->records[r].line == want)
                i++;
            r += n;
        } else {
            if (c->expect)
                add_missing(m, want);
            t->none += c->expect;
            i++;
        }
    }
}

/* Records that account for no job: another command at their line (an
 * older or another job file), or a line past --lines. */
static void print_mismatches(const coverage *c, const path_list *files)
{
    if (!c->mismatched)
        return;
    printf("  records of no job of %s (%zu):\n", c->jobs_path ? c->jobs_path : "the line count",
           c->mismatched);
    char ran[256], job_there[256];
    for (size_t i = 0; i < c->mismatched && i < MISMATCHES_SHOWN; i++) {
        const mismatch *x = &c->shown[i];
        const char *text = job_text(c, x->line);
        char name[256];
        report_printable(ran, sizeof ran, x->command);
        printf("    %s:%zu: line %llu ran '%s'", base_name(name, files->items[x->file]),
               x->lineno, (unsigned long long)x->line, runner_fit_columns(ran, 60));
        if (!text)
            printf(", past the last line\n");
        else if (!*text)
            printf(", but that line is no job\n");
        else
            printf(", but the job there is '%s'\n",
                   runner_fit_columns((char *)report_printable(job_there, sizeof job_there, text),
                                      60));
    }
    if (c->mismatched > MISMATCHES_SHOWN)
        printf("    ... (%zu more)\n", c->mismatched - MISMATCHES_SHOWN);
}

size_t coverage_print(coverage *c, const path_list *files)
{
    if (!c->expect && !c->count)
        return 0; /* records of cordon run only: no job file to account for */
    if (c->count)
        qsort(c->records, c->count, sizeof *c->records, by_line);
    tally t = { 0, 0, 0 };
    missing m = { NULL, 0, 0 };
    count_lines(c, &t, &m);
    size_t runs = distinct(&c->runs), hosts = distinct(&c->hosts);
    printf("\nrecords: %zu from %zu file%s, %zu run%s on %zu host%s\n",
           c->count + c->unnumbered + c->mismatched, files->count, files->count == 1 ? "" : "s",
           runs, runs == 1 ? "" : "s", hosts, hosts == 1 ? "" : "s");
    if (c->expect) {
        unsigned long long jobs = c->jobs_path ? c->job_count : c->lines;
        printf("lines of %s: %llu %s; %zu ran once, %zu several times, %zu not at all\n",
               c->jobs_path ? c->jobs_path : "the job file", jobs,
               runner_plural(jobs, "job", "jobs"), t.once, t.several, t.none);
    } else {
        printf("lines: %zu with records; %zu ran once, %zu several times (give --jobs FILE to "
               "find the lines with no record)\n", t.once + t.several, t.once, t.several);
    }
    if (c->unnumbered)
        printf("  %zu %s no line (cordon run's)\n", c->unnumbered,
               runner_plural(c->unnumbered, "record names", "records name"));
    if (m.count) {
        print_ranges(&m);
        print_missing_shards(c, &m);
    }
    print_all_several(c, files, t.several);
    print_mismatches(c, files);
    free(m.lines);
    return t.none + c->mismatched;
}
