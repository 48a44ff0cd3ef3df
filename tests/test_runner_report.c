/* cordon report over many audit files: merged into one report that says
 * which lines of the job file have no record (lost workers) and which have
 * several (retried shards); broken lines named as FILE:LINE. */
#include "runner_support.h"

static char *path_in(const char *dir, const char *name)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(path);
    sprintf(path, "%s/%s", dir, name);
    return path;
}

/* `cordon report` of an audit file holding `records` alone; the file is
 * gone when it returns. */
static captured report_of(const char *records)
{
    char *dir = make_temp_dir();
    char *audit = path_in(dir, "a.jsonl");
    write_file(audit, records);
    captured c = CORDON("report", audit);
    free(audit);
    remove_tree(dir);
    return c;
}

/* 9 jobs on lines 1-10 (line 5 is a comment). */
static const char jobs_text[] = "echo 1\necho 2\necho 3\necho 4\n# five\n"
                                "echo 6\necho 7\necho 8\nfalse\necho 10\n";

static void run_shard(const char *jobs, const char *spec, const char *audit, int status)
{
    captured c = CORDON("batch", "--quiet", "-j", "2", "--shard", spec, "--audit", audit, jobs);
    expect_status(&c, status);
    captured_free(&c);
}

/* Three workers of four ran (shard 2/4 was lost), and shard 1/4 ran twice. */
/* A directory given as "audit/" (as a shell completes it): its files are
 * named audit/0.jsonl, not audit//0.jsonl. */
static void test_report_names_a_directory_s_files_once_slashed(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *jobs = path_in(dir, "jobs.txt");
    write_file(jobs, "echo 1\n");
    char *audit = path_in(dir, "0.jsonl");
    run_shard(jobs, "0/1", audit, 0);
    char slashed[300], expected[400];
    snprintf(slashed, sizeof slashed, "%s/", dir);
    captured c = CORDON("report", slashed);
    expect_status(&c, 0);
    snprintf(expected, sizeof expected, "cordon report: 1 task in %s/0.jsonl, sorted by cpu\n",
             dir);
    assert_true(strncmp(c.out, expected, strlen(expected)) == 0);
    captured_free(&c);
    free(audit);
    free(jobs);
    remove_tree(dir);
}

static void test_report_merges_and_finds_missing_and_duplicate_lines(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *jobs = path_in(dir, "jobs.txt");
    write_file(jobs, jobs_text);
    char *audit_dir = path_in(dir, "audit");
    assert_int_equal(mkdir(audit_dir, 0777), 0);
    char *a0 = path_in(audit_dir, "s0.jsonl"), *a1 = path_in(audit_dir, "s1.jsonl");
    char *a1b = path_in(audit_dir, "s1-again.jsonl"), *a3 = path_in(audit_dir, "s3.jsonl");
    run_shard(jobs, "0/4", a0, 1);   /* lines 1, 9 (false) */
    run_shard(jobs, "1/4", a1, 0);   /* 2, 6, 10 */
    run_shard(jobs, "1/4", a1b, 0);
    run_shard(jobs, "3/4", a3, 0);   /* 4, 8 */

    captured c = CORDON("report", "--jobs", jobs, audit_dir);
    expect_status(&c, 1);
    assert_non_null(strstr(c.out, "cordon report: 10 tasks in 4 files, sorted by cpu\n"));
    assert_non_null(strstr(c.out, "\nrecords: 10 from 4 files, 4 runs on 1 host\n"));
    /* 3 and 7 are shard 2/4's (its line 11 does not exist). */
    char expected[512];
    snprintf(expected, sizeof expected,
             "lines of %s: 9 jobs; 4 ran once, 3 several times, 2 not at all\n"
             "  no record (2): 3, 7\n"
             "    by shard of 4: 2/4 (2 lines)\n"
             "  several records (3):\n"
             "    line 2: 2 records: s1-again.jsonl:", jobs);
    assert_non_null(strstr(c.out, expected));
    assert_non_null(strstr(c.out, "\n    line 6: 2 records: s1-again.jsonl:"));
    assert_non_null(strstr(c.out, "\n    line 10: 2 records: s1-again.jsonl:"));
    assert_string_equal(c.err, "");
    captured_free(&c);

    /* The lost shard, run at last: every line accounted for.  Files named
     * one by one and by a pattern cordon expands. */
    char *a2 = path_in(dir, "s2.jsonl");
    run_shard(jobs, "2/4", a2, 0);
    char pattern[400];
    snprintf(pattern, sizeof pattern, "%s/s[013].jsonl", audit_dir);
    c = CORDON("report", "--jobs", jobs, pattern, a2);
    expect_status(&c, 0);
    snprintf(expected, sizeof expected,
             "lines of %s: 9 jobs; 9 ran once, 0 several times, 0 not at all\n", jobs);
    assert_non_null(strstr(c.out, expected));
    assert_non_null(strstr(c.out, "\nrecords: 9 from 4 files, 4 runs on 1 host\n"));
    assert_null(strstr(c.out, "several records"));
    captured_free(&c);

    /* A file named twice (by the directory and by itself, or by a link)
     * is read once: its lines did not run twice. */
    char link[400];
    snprintf(link, sizeof link, "%s/s0-link.jsonl", dir);
    assert_int_equal(symlink(a0, link), 0);
    c = CORDON("report", "--jobs", jobs, pattern, a2, a0, link, a2);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "\nrecords: 9 from 4 files, 4 runs on 1 host\n"));
    assert_null(strstr(c.out, "several records"));
    captured_free(&c);

    /* Without the job file, only the lines run several times are known. */
    c = CORDON("report", audit_dir);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "\nlines: 7 with records; 4 ran once, 3 several times "
                                  "(give --jobs FILE to find the lines with no record)\n"));
    captured_free(&c);
    free(a0), free(a1), free(a1b), free(a2), free(a3), free(audit_dir), free(jobs);
    remove_tree(dir);
}

/* Records of an edited job file, of lines past --lines, and a line count
 * instead of a job file. */
static void test_report_records_of_no_job(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *jobs = path_in(dir, "jobs.txt"), *audit = path_in(dir, "a.jsonl");
    write_file(jobs, jobs_text);
    captured c = CORDON("batch", "--quiet", "--audit", audit, jobs);
    expect_status(&c, 1);
    captured_free(&c);
    write_file(jobs, "echo 1\necho two\necho 3\necho 4\necho 5\n");
    c = CORDON("report", "--jobs", jobs, audit);
    expect_status(&c, 1);
    char expected[512];
    snprintf(expected, sizeof expected,
             "lines of %s: 5 jobs; 3 ran once, 0 several times, 2 not at all\n"
             "  no record (2): 2, 5\n", jobs);
    assert_non_null(strstr(c.out, expected));
    assert_non_null(strstr(c.out, ": line 2 ran 'echo 2', but the job there is 'echo two'\n"));
    assert_non_null(strstr(c.out, "\n  records of no job of "));
    assert_non_null(strstr(c.out, " (6):\n"));
    assert_non_null(strstr(c.out, ": line 6 ran 'echo 6', but that line is no job\n"));
    captured_free(&c);
    c = CORDON("report", "--lines", "4", audit);
    expect_status(&c, 1);
    assert_non_null(strstr(c.out, "lines of the job file: 4 jobs; 4 ran once, 0 several times, "
                                  "0 not at all\n"));
    assert_non_null(strstr(c.out, ": line 6 ran 'echo 6', past the last line\n"));
    captured_free(&c);
    free(jobs), free(audit);
    remove_tree(dir);
}

/* A runner killed mid-line, garbage and binary bytes: each named as
 * FILE:LINE and skipped, the rest of the file still read. */
static void test_report_names_broken_lines(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *audit = path_in(dir, "a.jsonl");
    FILE *f = fopen(audit, "w");
    assert_non_null(f);
    fputs("{\"command\":\"echo 1\",\"line\":1,\"status\":0,\"usage\":{\"wall_us\":5}}\n", f);
    fputs("{\"command\":\"echo 2\",\"line\":2,\"usage\":{\"wa\n", f);   /* cut, then resumed */
    fputs("{\"command\":\"echo 3\",\"line\":3,\"status\":0,\"usage\":{}}\n", f);
    fwrite("\0\377\033[2J\n", 1, 7, f);
    fputs("{\"command\":\"echo 2\",\"line\":2,\"sta", f);                  /* the last, cut */
    assert_int_equal(fclose(f), 0);
    captured c = CORDON("report", "--lines", "3", audit);
    expect_status(&c, 1);
    char expected[1200];
    snprintf(expected, sizeof expected,
             "cordon: %s:2: not a cordon audit record; skipped\n"
             "cordon: %s:4: not a cordon audit record; skipped\n"
             "cordon: %s:5: the last line is cut short (a runner killed while writing it?); "
             "skipped\n"
             "cordon: %s: 3 lines skipped\n", audit, audit, audit, audit);
    assert_string_equal(c.err, expected);
    assert_non_null(strstr(c.out, "lines of the job file: 3 jobs; 2 ran once, 0 several times, "
                                  "1 not at all\n  no record (1): 2\n"));
    assert_null(strchr(c.out, '\033'));
    captured_free(&c);
    free(audit);
    remove_tree(dir);
}

/* Counts of one are said in the singular: one job, one line skipped, one
 * record of cordon run's with no line. */
static void test_report_says_one_in_the_singular(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *audit = path_in(dir, "a.jsonl");
    FILE *f = fopen(audit, "w");
    assert_non_null(f);
    fputs("{\"command\":\"echo 1\",\"line\":1,\"status\":0,\"usage\":{\"wall_us\":5}}\n", f);
    fputs("{\"command\":\"echo run\",\"status\":0,\"usage\":{\"wall_us\":5}}\n", f);
    fputs("not a record\n", f);
    assert_int_equal(fclose(f), 0);
    captured c = CORDON("report", "--lines", "1", audit);
    expect_status(&c, 1);
    char expected[600];
    snprintf(expected, sizeof expected,
             "cordon: %s:3: not a cordon audit record; skipped\n"
             "cordon: %s: 1 line skipped\n", audit, audit);
    assert_string_equal(c.err, expected);
    assert_non_null(strstr(c.out, "lines of the job file: 1 job; 1 ran once, 0 several times, "
                                  "0 not at all\n  1 record names no line (cordon run's)\n"));
    captured_free(&c);
    free(audit);
    remove_tree(dir);
}

/* `count` lines, each with its newline, as the whole of `path`. */
static void write_lines(const char *path, const char *const *lines, size_t count)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < count; i++)
        fprintf(f, "%s\n", lines[i]);
    assert_int_equal(fclose(f), 0);
}

/* A number cordon never writes (past 2^53, fractional, with an exponent,
 * negative where a count is, an exit code past an int, a status past
 * 0-255) skips its record with the field named, instead of being held
 * at a ceiling or cut to a plausible figure; the limits themselves and
 * null are read. */
static void test_report_skips_records_with_numbers_out_of_range(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *audit = path_in(dir, "a.jsonl");
    static const char *const lines[] = {
        "{\"command\":\"a\",\"exit_code\":1e400,\"usage\":{}}",
        "{\"command\":\"b\",\"line\":9223372036854775808,\"usage\":{}}",
        "{\"command\":\"c\",\"line\":1.5,\"usage\":{}}",
        "{\"command\":\"d\",\"usage\":{\"wall_us\":18446744073709551615}}",
        "{\"command\":\"e\",\"status\":-1,\"usage\":{}}",
        "{\"command\":\"f\",\"exit_code\":2147483648,\"usage\":{}}",
        "{\"command\":\"g\",\"usage\":{\"max_rss_kb\":-5}}",
        "{\"command\":\"h\",\"usage\":{\"user_us\":1E3}}",
        "{\"command\":\"i\",\"line\":100000000000000000000000000000,\"usage\":{}}",
        "{\"command\":\"j\",\"status\":256,\"usage\":{\"sys_us\":9007199254740993}}",
        "{\"command\":\"ok1\",\"line\":2,\"exit_code\":-2147483648,\"status\":255,"
        "\"usage\":{\"wall_us\":9007199254740992,\"user_us\":null}}",
        "{\"command\":\"ok2\",\"line\":1,\"exit_code\":0,\"status\":0,\"usage\":{\"wall_us\":7}}",
    };
    write_lines(audit, lines, sizeof lines / sizeof *lines);
    captured c = CORDON("report", "--lines", "2", audit);
    expect_status(&c, 1);
    const char *range = "is out of range (0 to 9007199254740992)";
    char expected[4096];
    snprintf(expected, sizeof expected,
             "cordon: %s:1: 'exit_code' is not a whole number; skipped\n"
             "cordon: %s:2: 'line' %s; skipped\n"
             "cordon: %s:3: 'line' is not a whole number; skipped\n"
             "cordon: %s:4: 'usage.wall_us' %s; skipped\n"
             "cordon: %s:5: 'status' is out of range (0 to 255); skipped\n"
             "cordon: %s:6: 'exit_code' is out of range (-2147483648 to 2147483647); skipped\n"
             "cordon: %s:7: 'usage.max_rss_kb' %s; skipped\n"
             "cordon: %s:8: 'usage.user_us' is not a whole number; skipped\n"
             "cordon: %s:9: 'line' %s; skipped\n"
             "cordon: %s:10: 'status' is out of range (0 to 255); skipped\n"
             "cordon: %s: 10 lines skipped\n",
             audit, audit, range, audit, audit, range, audit, audit, audit, range, audit,
             audit, range, audit, audit);
    assert_string_equal(c.err, expected);
    assert_non_null(strstr(c.out, "lines of the job file: 2 jobs; 2 ran once, 0 several times, "
                                  "0 not at all\n"));
    assert_null(strstr(c.out, "2305843009213693951"));
    assert_null(strstr(c.out, "640511947h"));
    captured_free(&c);
    free(audit);
    remove_tree(dir);
}

/* An exception cordon never writes (a number, true, a list, an object)
 * skips its record with the field named: read as "no exception", a
 * failed task would have been counted a success. */
static void test_report_skips_records_whose_exception_is_no_name(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *audit = path_in(dir, "a.jsonl");
    static const char *const lines[] = {
        "{\"command\":\"a\",\"exception\":5,\"usage\":{}}",
        "{\"command\":\"b\",\"exception\":true,\"usage\":{}}",
        "{\"command\":\"c\",\"exception\":[\"Timeout\"],\"usage\":{}}",
        "{\"command\":\"d\",\"exception\":{},\"usage\":{}}",
        "{\"command\":\"e\",\"exception\":\"\",\"usage\":{}}",
        "{\"command\":\"f\",\"error\":5,\"usage\":{}}",
        "{\"command\":\"g\",\"exception\":\"ok\",\"exit_code\":137,\"signal\":9,"
        "\"status\":0,\"usage\":{}}",
        "{\"command\":\"h\",\"exception\":\" \",\"usage\":{}}",
        "{\"command\":\"i\",\"exception\":\"\\u0043puLimit\",\"usage\":{}}",
        "{\"command\":\"ok1\",\"exception\":null,\"usage\":{}}",
        "{\"command\":\"k1\",\"exception\":null,\"signal\":9,\"usage\":{}}",
        "{\"command\":\"t1\",\"exception\":\"Timeout\",\"usage\":{}}",
    };
    write_lines(audit, lines, sizeof lines / sizeof *lines);
    captured c = CORDON("report", audit);
    expect_status(&c, 1);
    /* "ok" had counted as a success (skipped by --resume with status 0),
     * an escaped class as a class apart, a blank as a blank outcome */
    const char *not_a_class = "is not a class name (1 to 63 of A-Z a-z 0-9 _ . - : +, not \"ok\")";
    char expected[4096];
    snprintf(expected, sizeof expected,
             "cordon: %s:1: 'exception' is neither a name nor null; skipped\n"
             "cordon: %s:2: 'exception' is neither a name nor null; skipped\n"
             "cordon: %s:3: 'exception' is neither a name nor null; skipped\n"
             "cordon: %s:4: 'exception' is neither a name nor null; skipped\n"
             "cordon: %s:5: 'exception' is an empty name; skipped\n"
             "cordon: %s:6: 'error' is neither words nor null; skipped\n"
             "cordon: %s:7: 'exception' %s; skipped\n"
             "cordon: %s:8: 'exception' %s; skipped\n"
             "cordon: %s:9: 'exception' %s; skipped\n"
             "cordon: %s: 9 lines skipped\n",
             audit, audit, audit, audit, audit, audit, audit, not_a_class, audit, not_a_class,
             audit, not_a_class, audit);
    assert_string_equal(c.err, expected);
    assert_non_null(strstr(c.out, "Timeout"));
    assert_non_null(strstr(c.out, "signal:9         k1\n"));
    assert_null(strstr(c.out, "  a "));
    captured_free(&c);
    free(audit);
    remove_tree(dir);
}

/* A task cordon could not start (an "error", a null exit code) or whose
 * output it could not pass on (status 125 beside exit 0) is counted a
 * failure, as batch's summary counts it: it had read as "ok". */
static void test_report_counts_a_task_cordon_could_not_run_as_failed(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *audit = path_in(dir, "a.jsonl");
    static const char *const lines[] = {
        "{\"command\":\"never\",\"exit_code\":null,\"signal\":null,\"exception\":null,"
        "\"status\":125,\"error\":\"Too many open files\",\"usage\":{}}",
        "{\"command\":\"nulled\",\"exit_code\":null,\"exception\":null,\"usage\":{}}",
        "{\"command\":\"lost\",\"exit_code\":0,\"exception\":null,\"status\":125,"
        "\"usage\":{}}",
        "{\"command\":\"stopped\",\"exit_code\":0,\"exception\":null,\"status\":143,"
        "\"usage\":{}}",
        "{\"command\":\"fine\",\"exit_code\":0,\"exception\":null,\"status\":0,"
        "\"error\":null,\"usage\":{}}",
    };
    write_lines(audit, lines, sizeof lines / sizeof *lines);
    captured c = CORDON("report", audit);
    expect_status(&c, 0);
    assert_string_equal(c.err, "");
    assert_non_null(strstr(c.out, "failures: 4\n"));
    assert_non_null(strstr(c.out, "  cordon error            3\n"));
    assert_non_null(strstr(c.out, "  status:143              1\n"));
    assert_non_null(strstr(c.out, "ok               fine\n"));
    captured_free(&c);
    free(audit);
    remove_tree(dir);
}

/* Many files stream: 20 files of 5,000 records each are one report. */
static void test_report_of_many_files_is_fast(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    for (int file = 0; file < 20; file++) {
        char name[32];
        snprintf(name, sizeof name, "part%02d.jsonl", file);
        char *path = path_in(dir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (int i = 0; i < 5000; i++) {
            int line = 1 + i * 20 + file;
            fprintf(f, "{\"command\":\"task %d\",\"run_id\":\"r%d\",\"host\":\"h%d\","
                       "\"started\":\"2026-01-01T00:00:00.000Z\",\"line\":%d,\"shard\":\"%d/20\","
                       "\"exit_code\":0,\"exception\":null,\"std_out\":\"out\\n\","
                       "\"usage\":{\"wall_us\":%d,\"user_us\":%d,\"sys_us\":1,"
                       "\"max_rss_kb\":1000},\"status\":0}\n",
                    line, file, file % 3, line, file, i * 7 % 100000, i % 1000);
        }
        assert_int_equal(fclose(f), 0);
        free(path);
    }
    char *jobs = path_in(dir, "jobs.txt");
    FILE *f = fopen(jobs, "w");
    assert_non_null(f);
    for (int line = 1; line <= 100000; line++)
        fprintf(f, "task %d\n", line);
    assert_int_equal(fclose(f), 0);
    captured c = CORDON("report", "--top", "3", "--jobs", jobs, dir);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "\nrecords: 100000 from 20 files, 20 runs on 3 hosts\n"));
    assert_non_null(strstr(c.out, "100000 jobs; 100000 ran once, 0 several times, 0 not at all\n"));
    captured_free(&c);
    free(jobs);
    remove_tree(dir);
}

static void test_report_option_errors_are_125(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *audit = path_in(dir, "a.jsonl");
    write_file(audit, "");
    const struct { const char *args[6]; const char *message; } cases[] = {
        { { "report", "--jobs", "x", "--lines", "3", NULL },
          "cordon: report: give --jobs FILE or --lines N, not both\n" },
        { { "report", "--lines", "0", NULL }, "cordon: --lines: '0' is not a whole number "
                                             "from 1 to 100000000\n" },
        { { "report", "--jobs", "/cordon/no/jobs", NULL }, NULL },
        { { "report", "/cordon/no/*.jsonl", NULL },
          "cordon: report: '/cordon/no/*.jsonl' matches no file\n" },
        { { "report", NULL }, "cordon: report: no audit file given (see 'cordon report "
                              "--help')\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *args[8] = { NULL };
        size_t n = 0;
        for (; cases[i].args[n]; n++)
            args[n] = cases[i].args[n];
        if (i == 1 || i == 2)
            args[n++] = audit;
        captured c = cordon_with_input(NULL, args);
        expect_status(&c, 125);
        if (cases[i].message)
            assert_string_equal(c.err, cases[i].message);
        else
            assert_string_equal(c.err, "cordon: report --jobs: cannot read '/cordon/no/jobs': "
                                       "No such file or directory\n");
        captured_free(&c);
    }
    /* A directory as the job file (before: "cannot read past line 0"). */
    captured c = CORDON("report", "--jobs", dir, audit);
    expect_status(&c, 125);
    char expected[400];
    snprintf(expected, sizeof expected, "cordon: report --jobs: '%s' is a directory, not a job "
             "file\n", dir);
    assert_string_equal(c.err, expected);
    captured_free(&c);
    free(audit);
    remove_tree(dir);
}

/* A directory with no *.jsonl file in it (batch's --out-dir, given for the
 * audit directory; a misspelt one's sibling) was "0 tasks", exit 0: a
 * report of nothing that passed for one of a run where nothing failed.
 * It is an error, as a pattern that matches no file is. */
static void test_report_of_a_directory_holding_no_audit_file_is_an_error(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *out = path_in(dir, "1.out");
    write_file(out, "hello\n");
    char expected[400];
    snprintf(expected, sizeof expected,
             "cordon: report: the directory '%s' holds no *.jsonl file\n", dir);
    captured c = CORDON("report", dir);
    expect_status(&c, 125);
    assert_string_equal(c.err, expected);
    assert_string_equal(c.out, "");
    captured_free(&c);
    /* batch --resume on an audit directory that no worker has written to
     * yet (the first submission of an array) resumes nothing, and runs */
    char *jobs = path_in(dir, "jobs.txt");
    write_file(jobs, "echo 1\n");
    c = CORDON("batch", "--quiet", "--no-label", "--resume", dir, jobs);
    expect_status(&c, 0);
    assert_string_equal(c.out, "1\n");
    captured_free(&c);
    unlink(jobs);
    unlink(out);
    rmdir(dir);
    free(jobs);
    free(out);
    free(dir);
}

/* A task that can write where audit files are kept may plant a FIFO
 * (opening it would wait for ever) or a link to /dev/zero (one endless
 * line) under a name ending in .jsonl.  Named on the command line, cordon
 * names it and stops; found in a directory (test below: skipped and
 * said), for report and for batch --resume alike. */
static void test_report_refuses_fifos_and_devices(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *audit_dir = path_in(dir, "audit");
    assert_int_equal(mkdir(audit_dir, 0777), 0);
    char *good = path_in(audit_dir, "a.jsonl"), *fifo = path_in(audit_dir, "b.jsonl");
    char *zero = path_in(dir, "zero.jsonl"), *jobs = path_in(dir, "jobs.txt");
    write_file(good, "{\"command\":\"echo 1\",\"line\":1,\"status\":0,\"usage\":{}}\n");
    write_file(jobs, "echo 1\n");
    assert_int_equal(mkfifo(fifo, 0666), 0);
    assert_int_equal(symlink("/dev/zero", zero), 0);
    alarm(60); /* before the fix: a hang, failed here rather than for ever */

    captured c = CORDON("report", fifo);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, fifo));
    assert_non_null(strstr(c.err, "a FIFO, not an audit file"));
    captured_free(&c);

    c = CORDON("report", zero);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "a device, not an audit file"));
    captured_free(&c);

    /* "-" (stdin) says that records are read from files only (it said
     * "No such file or directory"). */
    c = CORDON_IN("{}\n", "report", "-");
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "cannot read '-': the records are read from audit files "
                                  "only, not from stdin"));
    captured_free(&c);

    c = CORDON("batch", "--quiet", "--resume", audit_dir, jobs);
    expect_status(&c, 0);
    assert_non_null(strstr(c.err, "b.jsonl' is not a regular file; skipped"));
    captured_free(&c);
    alarm(0);
    free(good), free(fifo), free(zero), free(jobs), free(audit_dir);
    remove_tree(dir);
}

/* A child setup: 64 MiB of address space, so that a line of 80 MB
 * cannot be held (under the sanitizer, whose shadow memory alone is
 * larger, no allocation past 64 MiB). */
static void limit_memory_64m(void)
{
#ifdef __SANITIZE_ADDRESS__
    setenv("ASAN_OPTIONS", "detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=64",
           1);
#else
    struct rlimit limit = { 64u << 20, 64u << 20 };
    setrlimit(RLIMIT_AS, &limit);
#endif
}

/* A line too long to hold in memory (a hostile audit line, or a huge
 * one) stopped the reading there, silently: the lines after it counted as
 * never run, and the report said nothing of the file it had not read. */
static void test_report_says_a_line_too_long_to_hold(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *audit = path_in(dir, "a.jsonl");
    FILE *f = fopen(audit, "w");
    assert_non_null(f);
    fputs("{\"command\":\"echo 1\",\"line\":1,\"status\":0,\"usage\":{}}\n", f);
    fputs("{\"command\":\"", f);
    static char chunk[1 << 20];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 80; i++)
        assert_int_equal(fwrite(chunk, 1, sizeof chunk, f), sizeof chunk);
    fputs("\",\"line\":2,\"status\":0,\"usage\":{}}\n", f);
    fputs("{\"command\":\"echo 3\",\"line\":3,\"status\":0,\"usage\":{}}\n", f);
    assert_int_equal(fclose(f), 0);
    captured c = CORDON_WITH(-1, limit_memory_64m, "report", "--lines", "3", audit);
    expect_status(&c, 125);
    char expected[600];
    snprintf(expected, sizeof expected, "cordon: report: cannot read '%s' past line 1: ", audit);
    assert_non_null(strstr(c.err, expected));
    captured_free(&c);
    free(audit);
    remove_tree(dir);
}

/* A task that could write the audit directory names its files: a name
 * (and a record's text) holding escape sequences or a C1 control reaches
 * the terminal as '?', on stdout and stderr alike. */
static void test_report_prints_no_control_bytes_of_names(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *audit_dir = path_in(dir, "audit");
    assert_int_equal(mkdir(audit_dir, 0777), 0);
    char *a = path_in(audit_dir, "a\033]0;owned\007\302\233" "2J.jsonl");
    char *b = path_in(audit_dir, "b\033[2J.jsonl");
    write_file(a, "{\"command\":\"echo 1\\u001b[2J\\u009b\",\"line\":1,\"status\":0,"
                  "\"usage\":{}}\nnot a record \033[2J\n");
    write_file(b, "{\"command\":\"echo 1\\u001b[2J\\u009b\",\"line\":1,\"status\":0,"
                  "\"usage\":{}}\n");
    captured c = CORDON("report", "--lines", "1", audit_dir);
    expect_status(&c, 1);
    assert_non_null(strstr(c.out, "line 1: 2 records: a?]0;owned???2J.jsonl:1 ok, "
                                  "b?[2J.jsonl:1 ok"));
    assert_non_null(strstr(c.err, "/a?]0;owned???2J.jsonl:2: not a cordon audit record"));
    for (size_t i = 0; i < c.out_len; i++)
        assert_true((unsigned char)c.out[i] >= 0x20 || c.out[i] == '\n');
    for (size_t i = 0; i < c.err_len; i++)
        assert_true((unsigned char)c.err[i] >= 0x20 || c.err[i] == '\n');
    assert_null(strstr(c.out, "\302\233"));
    assert_null(strstr(c.err, "\302\233"));
    captured_free(&c);
    free(a), free(b), free(audit_dir);
    remove_tree(dir);
}

/* A right-to-left override in a record's command reordered the report's
 * line on a terminal: "echo safe U+202E fr- mr" showed as "echo safe rm -rf".
 * And the characters that show nothing. */
static void test_report_shows_no_bidirectional_controls(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *audit = path_in(dir, "a.jsonl");
    write_file(audit, "{\"command\":\"echo safe \u202efr- mr \u2066x\u2069\",\"line\":1,"
                      "\"status\":0,\"usage\":{}}\n");
    captured c = CORDON("report", audit);
    expect_status(&c, 0);
    assert_null(strstr(c.out, "\342\200\256"));
    assert_null(strstr(c.out, "\342\201\246"));
    assert_null(strstr(c.out, "\342\201\251"));
    assert_non_null(strstr(c.out, "echo safe ???fr- mr ???x???"));
    captured_free(&c);
    /* Nor a character that shows nothing: a byte-order mark or a zero
     * width space before a command's name made "cannot execute 'echo'"
     * name what looked like echo, in batch's and run's messages. */
    char *jobs = path_in(dir, "jobs.txt");
    write_file(jobs, "true\n\357\273\277echo hi\n");
    c = CORDON("batch", jobs);
    expect_status(&c, 1);
    assert_null(strstr(c.err, "\357\273\277"));
    assert_non_null(strstr(c.err, "cannot execute '???echo'"));
    captured_free(&c);
    c = CORDON("run", "--", "ec\342\200\213ho");
    assert_null(strstr(c.err, "\342\200\213"));
    assert_non_null(strstr(c.err, "cannot execute 'ec???ho'"));
    captured_free(&c);
    free(audit), free(jobs);
    remove_tree(dir);
}

/* An audit directory may be one a task could write: a FIFO or a link to
 * a device planted there among the records is skipped, said, and never
 * waited on or read without end. */
/* A planted file with no newline (sparse: it costs no disk) would be one
 * line read whole into memory: past 256 MiB, reading stops and says so. */
static void test_report_refuses_a_line_past_its_bound(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *planted = path_in(dir, "planted.jsonl");
    int fd = open(planted, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)300 << 20), 0);
    close(fd);
    captured c = CORDON("report", planted);
    expect_status(&c, 125);
    if (!strstr(c.err, "line 1 of '") || !strstr(c.err, "is longer than 256 MiB"))
        fail_msg("not said:\n%s", c.err);
    captured_free(&c);
    unlink(planted);
    free(planted);
    rmdir(dir);
    free(dir);
}

static void test_report_skips_planted_files_in_an_audit_directory(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *record = path_in(dir, "run.jsonl"), *fifo = path_in(dir, "fifo.jsonl");
    char *zero = path_in(dir, "zero.jsonl");
    captured c = CORDON("run", "--quiet", "--audit", record, "--", "true");
    expect_status(&c, 0);
    captured_free(&c);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(symlink("/dev/zero", zero), 0);
    const char *runner = getenv("CORDON_RUNNER");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "timeout -s KILL 20 %s report %s >/dev/null 2>%s/err",
             runner ? runner : "build/cordon", dir, dir);
    int status = system(cmd);
    char *err_path = path_in(dir, "err");
    char err[2048] = "";
    FILE *f = fopen(err_path, "r");
    assert_non_null(f);
    err[fread(err, 1, sizeof err - 1, f)] = '\0';
    fclose(f);
    unlink(err_path);
    unlink(fifo);
    unlink(zero);
    unlink(record);
    rmdir(dir);
    assert_int_equal(WEXITSTATUS(status), 0); /* not 137: killed by the timeout */
    if (!strstr(err, "fifo.jsonl' is not a regular file; skipped") ||
        !strstr(err, "zero.jsonl' is not a regular file; skipped"))
        fail_msg("the planted files are not named:\n%s", err);
    free(err_path);
    free(record);
    free(fifo);
    free(zero);
    free(dir);
}

/* One task is one task (the total said "1 tasks"). */
static void test_report_total_of_one_task(void **state)
{
    (void)state;
    captured c = report_of("{\"command\":\"once\",\"line\":1,\"exit_code\":0,"
                           "\"usage\":{\"wall_us\":20000,\"user_us\":7000,"
                           "\"sys_us\":3000,\"max_rss_kb\":1024}}\n");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "\ntotal: 1 task, cpu 10ms, wall 20ms, peak rss 1.0M\n"));
    captured_free(&c);
}

/* A real-time signal's name is a name: a task killed by SIGRTMIN+3, and
 * a batch line stopped by SIGRTMIN+1 after its task's end, were skipped
 * ("is not a class name", "is not a signal's name"). */
static void test_report_takes_real_time_signal_names(void **state)
{
    (void)state;
    captured c = report_of("{\"command\":\"rt\",\"line\":1,\"exception\":\"SIGRTMIN+3\","
                           "\"exit_code\":165,\"signal\":37,\"status\":165,"
                           "\"usage\":{\"wall_us\":1000}}\n"
                           "{\"command\":\"stopped\",\"line\":2,\"exit_code\":1,"
                           "\"status\":163,\"stopped_by\":\"SIGRTMIN+1\","
                           "\"usage\":{\"wall_us\":1000}}\n");
    expect_status(&c, 0);
    assert_string_equal(c.err, "");
    if (!strstr(c.out, "  SIGRTMIN+3 ") || !strstr(c.out, "  stopped:SIGRTMIN+1") ||
        !strstr(c.out, "total: 2 tasks"))
        fail_msg("%s", c.out);
    /* the failures' counts in one column (the longer name pushed its own out) */
    if (!strstr(c.out, "\n  SIGRTMIN+3                1\n") ||
        !strstr(c.out, "\n  stopped:SIGRTMIN+1        1\n"))
        fail_msg("%s", c.out);
    captured_free(&c);
}

/* A TiB and more of peak memory is said in T: 1 TiB read "1024.00G".
 * Every unit is cut, never rounded up. */
static void test_report_says_a_tebibyte_in_t(void **state)
{
    (void)state;
    captured c = report_of("{\"command\":\"big\",\"line\":1,\"exit_code\":0,"
                           "\"usage\":{\"wall_us\":20000,\"user_us\":7000,"
                           "\"sys_us\":3000,\"max_rss_kb\":1073741824}}\n"
                           "{\"command\":\"bigger\",\"line\":2,\"exit_code\":0,"
                           "\"usage\":{\"wall_us\":20000,\"user_us\":7000,"
                           "\"sys_us\":3000,\"max_rss_kb\":1610612735}}\n");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, " 1.00T "));
    assert_non_null(strstr(c.out, "peak rss 1.49T\n"));
    assert_null(strstr(c.out, "1024.00G"));
    captured_free(&c);
}

/* The command column holds 70 characters: a longer command was cut at
 * its 70th byte, without a mark and inside a UTF-8 character when one
 * spanned it.  It is now cut at a character, marked "...". */
static void test_report_cuts_a_long_command_at_a_character_and_says_so(void **state)
{
    (void)state;
    /* 69 ASCII bytes, then "é" (two bytes) across the 70th, then more */
    captured c = report_of("{\"command\":\"echo "
                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                           "\303\251 tail\",\"line\":1,\"exit_code\":0,\"usage\":{\"wall_us\":5}}\n"
                           "{\"command\":\"short \303\251\",\"line\":2,\"exit_code\":0,"
                           "\"usage\":{\"wall_us\":4}}\n");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, " echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\n"));
    assert_non_null(strstr(c.out, " short \303\251\n"));
    assert_null(strstr(c.out, "tail"));
    captured_free(&c);
}

/* The batch summary's "peak rss", in MiB (0: none). */
static double summary_peak_mib(const char *err)
{
    const char *peak = strstr(err, "\n  peak rss ");
    double mib = 0;
    char unit = 0;
    if (!peak || sscanf(peak, " peak rss %lf%c", &mib, &unit) != 2)
        return 0;
    return unit == 'G' ? mib * 1024 : unit == 'M' ? mib : unit == 'K' ? mib / 1024 : 0;
}

/* A retried task's record keeps its last attempt's usage and every
 * attempt's in "history": the report counts the CPU of all of them (the
 * figure the batch's own summary gives), the largest peak of any of them,
 * and the wall time of the last.  Before, only the last attempt's CPU was
 * counted, and the peak was the last attempt's: a first attempt that grew
 * to its memory limit and a small retry showed the retry's. */
static void test_report_counts_every_attempt_s_cpu(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *audit = path_in(dir, "a.jsonl");
    write_file(audit,
               "{\"command\":\"flaky\",\"line\":1,\"exit_code\":0,\"usage\":{\"wall_us\":"
               "310000,\"user_us\":250000,\"sys_us\":50000,\"max_rss_kb\":2048},\"attempts\":3,"
               "\"history\":[{\"exception\":\"Timeout\",\"usage\":{\"user_us\":100000,"
               "\"sys_us\":0,\"max_rss_kb\":8192}},{\"exception\":\"Timeout\",\"usage\":{\"user_us\":150000,"
               "\"sys_us\":50000}},{\"exception\":null,\"usage\":{\"wall_us\":310000,"
               "\"user_us\":250000,\"sys_us\":50000,\"max_rss_kb\":2048}}]}\n"
               "{\"command\":\"once\",\"line\":2,\"exit_code\":0,\"usage\":{\"wall_us\":"
               "20000,\"user_us\":7000,\"sys_us\":3000,\"max_rss_kb\":1024}}\n");
    captured c = CORDON("report", audit);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "    600ms     310ms      8.0M  ok               flaky\n"));
    assert_non_null(strstr(c.out, "     10ms      20ms      1.0M  ok               once\n"));
    assert_non_null(strstr(c.out, "\ntotal: 2 tasks, cpu 610ms, wall 330ms, peak rss 8.0M\n"));
    captured_free(&c);

    /* The same from a real batch: its summary's CPU total and the
     * report's agree, retries included. */
    char *jobs = path_in(dir, "jobs.txt"), *real = path_in(dir, "b.jsonl");
    write_file(jobs, "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 3\ntrue\n");
    c = CORDON("batch", "-j", "1", "--retry", "2", "--retry-on", "exit:3", "--audit", real, jobs);
    expect_status(&c, 1);
    const char *summary = strstr(c.err, "\n  cpu ");
    assert_non_null(summary);
    char total[32] = "";
    assert_int_equal(sscanf(summary, " cpu %31s total", total), 1);
    captured_free(&c);
    c = CORDON("report", real);
    expect_status(&c, 0);
    char expected[96];
    snprintf(expected, sizeof expected, "\ntotal: 2 tasks, cpu %s, wall ", total);
    assert_non_null(strstr(c.out, expected));
    captured_free(&c);
    free(audit), free(jobs), free(real);

    /* And their peak: a first attempt that reads into a 48 MiB buffer,
     * and a retry that does nothing. */
    char *mark = path_in(dir, "tried"), *big = path_in(dir, "big.jsonl");
    jobs = path_in(dir, "big.txt");
    char line[PATH_MAX + 160];
    snprintf(line, sizeof line,
             "if [ -e %s ]; then exit 0; fi; : > %s; "
             "dd if=/dev/zero of=/dev/null bs=48M count=1 2>/dev/null; exit 3\n",
             mark, mark);
    write_file(jobs, line);
    c = CORDON("batch", "--retry", "1", "--retry-on", "exit:3", "--audit", big, jobs);
    expect_status(&c, 0);
    assert_true(summary_peak_mib(c.err) >= 48);
    captured_free(&c);
    c = CORDON("report", big);
    expect_status(&c, 0);
    const char *peak = strstr(c.out, "peak rss ");
    assert_non_null(peak);
    assert_true(atof(peak + strlen("peak rss ")) >= 48);
    captured_free(&c);
    free(mark), free(big), free(jobs);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_merges_and_finds_missing_and_duplicate_lines),
        cmocka_unit_test(test_report_names_a_directory_s_files_once_slashed),
        cmocka_unit_test(test_report_records_of_no_job),
        cmocka_unit_test(test_report_says_one_in_the_singular),
        cmocka_unit_test(test_report_names_broken_lines),
        cmocka_unit_test(test_report_of_many_files_is_fast),
        cmocka_unit_test(test_report_option_errors_are_125),
        cmocka_unit_test(test_report_of_a_directory_holding_no_audit_file_is_an_error),
        cmocka_unit_test(test_report_skips_records_with_numbers_out_of_range),
        cmocka_unit_test(test_report_skips_records_whose_exception_is_no_name),
        cmocka_unit_test(test_report_counts_a_task_cordon_could_not_run_as_failed),
        cmocka_unit_test(test_report_refuses_fifos_and_devices),
        cmocka_unit_test(test_report_says_a_line_too_long_to_hold),
        cmocka_unit_test(test_report_prints_no_control_bytes_of_names),
        cmocka_unit_test(test_report_shows_no_bidirectional_controls),
        cmocka_unit_test(test_report_skips_planted_files_in_an_audit_directory),
        cmocka_unit_test(test_report_refuses_a_line_past_its_bound),
        cmocka_unit_test(test_report_total_of_one_task),
        cmocka_unit_test(test_report_says_a_tebibyte_in_t),
        cmocka_unit_test(test_report_takes_real_time_signal_names),
        cmocka_unit_test(test_report_cuts_a_long_command_at_a_character_and_says_so),
        cmocka_unit_test(test_report_counts_every_attempt_s_cpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
