/* cordon batch: concurrency, whole outputs, --out-dir, --audit, the
 * summary's counts and the exit status. */
#include <sched.h>
#include <sys/mount.h>

#include "runner_support.h"

static char *lines_file(const char *dir, const char *text)
{
    char *path = malloc(strlen(dir) + 16);
    assert_non_null(path);
    sprintf(path, "%s/tasks.txt", dir);
    write_file(path, text);
    return path;
}

static char *repeat_line(const char *line, int times)
{
    size_t len = strlen(line);
    char *text = calloc(1, (size_t)times * (len + 1) + 1);
    assert_non_null(text);
    for (int i = 0; i < times; i++) {
        memcpy(text + (size_t)i * (len + 1), line, len);
        text[(size_t)i * (len + 1) + len] = '\n';
    }
    return text;
}

/* Each task marks its start (+) and end (-) in one file: replaying the
 * marks gives how many ran at once. */
static int most_at_once(const char *marks)
{
    int now = 0, most = 0;
    for (const char *m = marks; *m; m++) {
        now += *m == '+' ? 1 : *m == '-' ? -1 : 0;
        most = now > most ? now : most;
    }
    return most;
}

static void test_batch_runs_j_tasks_at_once(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char line[512];
    snprintf(line, sizeof line, "printf + >> %s/marks; sleep 0.1; printf - >> %s/marks", dir, dir);
    char *text = repeat_line(line, 20);
    captured c = CORDON_IN(text, "batch", "-j", "4", "--quiet");
    expect_status(&c, 0);
    /* At least 5 rounds of 100 ms; how many ran at once is read from the
     * marks the tasks left, not from the clock of a shared machine. */
    assert_true(c.seconds >= 0.5);
    char path[300];
    snprintf(path, sizeof path, "%s/marks", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char marks[64] = "";
    assert_int_equal(fread(marks, 1, sizeof marks - 1, f), 40);
    fclose(f);
    assert_int_equal(most_at_once(marks), 4);
    free(text);
    captured_free(&c);
    remove_tree(dir);
}

static void test_batch_outputs_are_kept_whole(void **state)
{
    (void)state;
    /* Both tasks write in pieces at the same time; each output stays in
     * one piece. */
    captured c = CORDON_IN("for i in 1 2 3; do printf a; sleep 0.05; done; echo\n"
                           "for i in 1 2 3; do printf b; sleep 0.05; done; echo\n",
                           "batch", "-j", "2", "--quiet");
    expect_status(&c, 0);
    assert_true(strcmp(c.out, "[1] aaa\n[2] bbb\n") == 0 ||
                strcmp(c.out, "[2] bbb\n[1] aaa\n") == 0);
    captured_free(&c);
}

static void test_batch_summary_counts(void **state)
{
    (void)state;
    captured c = CORDON_IN("true\n"
                           "# a comment, not a task\n"
                           "\n"
                           "echo fine\n"
                           "exit 3\n"
                           "exit 3\n"
                           "kill -SEGV $$\n"
                           "sleep 60\n",
                           "batch", "-j", "3", "--timeout", "3s");
    expect_status(&c, 1);
    assert_string_equal(c.out, "[4] fine\n");
    assert_non_null(strstr(c.err, "cordon: batch: 6 tasks in "));
    assert_non_null(strstr(c.err, "(-j 3): 2 succeeded, 4 failed\n"
                                  "  outcome           tasks\n"
                                  "  ok                    2\n"
                                  "  exit:3                2\n"
                                  "  SIGSEGV               1\n"
                                  "  Timeout               1\n"
                                  "  cpu "));
    assert_non_null(strstr(c.err, "\n  top cpu "));
    assert_non_null(strstr(c.err, "\n  peak rss "));
    assert_non_null(strstr(c.err, "cordon: line 5: exited with 3: exit 3\n"));
    assert_non_null(strstr(c.err, "cordon: line 7: SIGSEGV: "));
    assert_non_null(strstr(c.err, "cordon: line 8: Timeout: "));
    captured_free(&c);
    /* One task is one task (it said "1 tasks"). */
    c = CORDON_IN("true\n", "batch");
    expect_status(&c, 0);
    assert_non_null(strstr(c.err, "cordon: batch: 1 task in "));
    assert_null(strstr(c.err, "fd 3"));
    captured_free(&c);
    /* A log nothing keeps is said, as cordon run says it (it was dropped
     * unsaid); with --out-dir, --audit or --json it is kept. */
    c = CORDON_IN("echo log >&3\necho two >&3; echo out\ntrue\n", "batch", "-j", "1");
    expect_status(&c, 0);
    assert_non_null(strstr(c.err, "\ncordon: 2 tasks wrote 8 bytes to their log (fd 3), kept "
                                  "only by --json, --audit and --out-dir\n"));
    captured_free(&c);
    c = CORDON_IN("echo log >&3\n", "batch", "--json");
    expect_status(&c, 0);
    assert_null(strstr(c.err, "fd 3"));
    captured_free(&c);
}

/* A plain command line runs without a shell (a missing program is then an
 * ExecError, not the shell's exit 127); any shell syntax keeps the shell. */
static void test_batch_plain_lines_run_without_a_shell(void **state)
{
    (void)state;
    captured c = CORDON_IN("no-such-program-cordon arg\n"
                           "no-such-program-cordon arg; true\n"
                           "echo   two  words\n"
                           "echo \"$((6 * 7))\"\n"
                           "cd /\n"
                           "chdir /\n",
                           /* not the caller's PATH: see test_run_not_found_is_127 */
                           "batch", "-j", "1", "--env", "PATH=/usr/bin:/bin");
    expect_status(&c, 1);
    assert_string_equal(c.out, "[3] two words\n[4] 42\n");
    assert_non_null(strstr(c.err, "cordon: line 1: ExecError: cannot execute "
                                  "'no-such-program-cordon': No such file or directory\n"));
    assert_null(strstr(c.err, "cordon: line 2:")); /* the shell's "; true" ran */
    assert_null(strstr(c.err, "cordon: line 5:")); /* cd is the shell's builtin */
    assert_null(strstr(c.err, "cordon: line 6:")); /* and so is dash's chdir */
    assert_non_null(strstr(c.err, "  ExecError             1\n"));
    captured_free(&c);
}

/* A job file saved by an editor that starts UTF-8 text with a byte order
 * mark (EF BB BF) ran its first line as the command "\xEF\xBB\xBFecho",
 * reported as "cannot execute 'echo'" with the mark invisible in the
 * message.  The mark is not part of the first job, as a CR is not part of
 * a line's end. */
static void test_batch_skips_a_byte_order_mark(void **state)
{
    (void)state;
    captured c = CORDON_IN("\xEF\xBB\xBF" "echo bom\r\necho two\n",
                           "batch", "-j", "1", "--env", "PATH=/usr/bin:/bin");
    expect_status(&c, 0);
    assert_string_equal(c.out, "[1] bom\n[2] two\n");
    captured_free(&c);
    /* only at the start of the file: elsewhere it is the line's text */
    c = CORDON_IN("echo one\n\xEF\xBB\xBF" "echo two\n", "batch", "-j", "1", "--quiet",
                  "--env", "PATH=/usr/bin:/bin");
    expect_status(&c, 1);
    assert_string_equal(c.out, "[1] one\n");
    captured_free(&c);
}

/* Records the caller asked for and could not get are cordon's failure. */
/* A NUL byte in a job line cut the line there: "echo one" ran for the
 * line "echo one<NUL>; echo two", and nothing said so.  Now nothing runs. */
static void test_batch_refuses_a_nul_byte_in_a_job_line(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char jobs[256], expected[512];
    snprintf(jobs, sizeof jobs, "%s/jobs.txt", dir);
    FILE *f = fopen(jobs, "w");
    assert_non_null(f);
    fwrite("echo three\necho one\0; echo two\n", 1, 31, f);
    assert_int_equal(fclose(f), 0);
    captured c = CORDON("batch", "--quiet", jobs);
    expect_status(&c, 125);
    snprintf(expected, sizeof expected,
             "cordon: batch: %s:2: a NUL byte in the line; a job file is text\n", jobs);
    assert_string_equal(c.err, expected);
    assert_string_equal(c.out, "");
    captured_free(&c);
    c = CORDON("report", "--jobs", jobs, jobs);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, ":2: a NUL byte in the line; a job file is text\n"));
    captured_free(&c);
    remove_tree(dir);
}

static void test_batch_lost_records_are_cordons_error(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char full[256], message[512];
    snprintf(full, sizeof full, "%s/full.jsonl", dir);
    write_kilobyte_file(full);
    char *first = lines_file(dir, "true\n");
    captured c = CORDON_WITH(-1, limit_file_size_1k, "batch", "--quiet", "--audit", full, first);
    expect_status(&c, 125);
    snprintf(message, sizeof message, "cordon: --audit: cannot write '%s': File too large\n",
             full);
    assert_string_equal(c.err, message);
    assert_int_equal(file_size(full), 1000);
    captured_free(&c);
    c = CORDON("batch", "--quiet", "--", first, first);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "batch: more than one input file"));
    captured_free(&c);
    free(first);
    remove_tree(dir);
}

static void test_batch_exit_status_is_zero_only_when_all_succeed(void **state)
{
    (void)state;
    captured c = CORDON_IN("true\necho ok\n", "batch", "--quiet");
    expect_status(&c, 0);
    assert_string_equal(c.err, "");
    captured_free(&c);
    c = CORDON_IN("true\nfalse\n", "batch", "--quiet");
    expect_status(&c, 1);
    captured_free(&c);
    c = CORDON_IN("", "batch", "--quiet");
    expect_status(&c, 0);
    captured_free(&c);
}

static void test_batch_out_dir_saves_each_output(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char out_dir[300], path[400];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    char *input = lines_file(dir, "echo one; echo uno >&2\n\necho two >&$CORDON_LOG_FD\n");
    captured c = CORDON("batch", "--quiet", "--out-dir", out_dir, input);
    expect_status(&c, 0);
    assert_string_equal(c.out, "");
    const char *expected[][2] = { { "1.out", "one\n" }, { "1.err", "uno\n" },
                                  { "3.out", "" }, { "3.log", "two\n" } };
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", out_dir, expected[i][0]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char buf[64] = "";
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        assert_int_equal(n, strlen(expected[i][1]));
        assert_string_equal(buf, expected[i][1]);
    }
    snprintf(path, sizeof path, "%s/1.log", out_dir);
    assert_int_equal(access(path, F_OK), -1);
    free(input);
    captured_free(&c);
    remove_tree(dir);
}

/* Output past --out-cap is kept nowhere, printed or in --out-dir: it is
 * said, line by line (the .out file was short and the batch a success,
 * with nothing said); --json's record carries it as "dropped". */
static void test_batch_output_past_the_cap_is_said(void **state)
{
    (void)state;
    static const char said[] = "cordon: line 1: 7 bytes of its stdout past the output cap "
                               "(--out-cap, 64M by default) were not kept\n";
    captured c = CORDON_IN("echo hello world\nprintf 12345\necho no >&2\n", "batch", "-j", "1",
                           "--out-cap", "5");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "[1] hello\n"));
    assert_non_null(strstr(c.err, said));
    /* Once, for line 1 alone: line 2's 5 bytes fit. */
    assert_true(strstr(c.err, "past the output cap") > strstr(c.err, said));
    assert_null(strstr(strstr(c.err, said) + strlen(said), "past the output cap"));
    captured_free(&c);
    char *dir = make_temp_dir();
    char out_dir[300];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    c = CORDON_IN("echo hello world\n", "batch", "--out-dir", out_dir, "--out-cap", "5");
    expect_status(&c, 0);
    assert_non_null(strstr(c.err, said));
    captured_free(&c);
    c = CORDON_IN("echo hello world\n", "batch", "--json", "--out-cap", "5");
    expect_status(&c, 0);
    assert_null(strstr(c.err, "past the output cap"));
    assert_non_null(strstr(c.out, "\"dropped\""));
    captured_free(&c);
    remove_tree(dir);
}

/* A directory at a line's --out-dir name: the line ran and its output
 * was lost ("output lost", its .err written).  It is not run now, said
 * before, and the other lines run. */
static void test_batch_out_dir_with_a_directory_at_a_name_does_not_run_the_line(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char out_dir[300], path[400], mark[400];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    snprintf(mark, sizeof mark, "%s/ran", dir);
    snprintf(path, sizeof path, "%s/1.out", out_dir);
    assert_int_equal(mkdir(out_dir, 0755), 0);
    assert_int_equal(mkdir(path, 0755), 0);
    char lines[600];
    snprintf(lines, sizeof lines, "touch %s\necho two\n", mark);
    char *input = lines_file(dir, lines);
    captured c = CORDON("batch", "--quiet", "--out-dir", out_dir, input);
    expect_status(&c, 1); /* a line that failed, as one cordon could not build */
    char want[700];
    snprintf(want, sizeof want, "cordon: --out-dir: '%s/1.out' is a directory, which cordon "
             "does not remove: line 1 is not run\n", out_dir);
    assert_non_null(strstr(c.err, want));
    assert_int_equal(access(mark, F_OK), -1);
    snprintf(path, sizeof path, "%s/1.err", out_dir);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/2.out", out_dir);
    assert_int_equal(access(path, F_OK), 0);
    free(input);
    captured_free(&c);
    remove_tree(dir);
}

/* A batch refused for any reason makes no --out-dir: it was made before
 * the other checks, and each refusal left an empty directory behind.  An
 * out-dir that cannot be made is said before anything runs. */
static void test_batch_refused_makes_no_out_dir(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char out_dir[300], audit_in_nowhere[300], bad_out[300];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    snprintf(audit_in_nowhere, sizeof audit_in_nowhere, "%s/nowhere/a.jsonl", dir);
    snprintf(bad_out, sizeof bad_out, "%s/nowhere/out", dir);
    char *input = lines_file(dir, "true\n");
    const char *const refused[][8] = {
        { "--resume", "/cordon/no/such.jsonl", input },
        { "--audit", dir, input },
        { "--audit", audit_in_nowhere, input },
        { "--shard", "5/4", input },
        { "--policy", "cordon-no-such-policy", input },
        { "/cordon/no/such/jobs" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *args[12] = { "batch", "--quiet", "--out-dir", out_dir };
        size_t n = 4;
        for (size_t k = 0; refused[i][k]; k++)
            args[n++] = refused[i][k];
        captured c = cordon_with_input(NULL, args);
        expect_status(&c, 125);
        captured_free(&c);
        if (access(out_dir, F_OK) == 0)
            fail_msg("refusal %zu made the out-dir", i);
    }
    captured c = CORDON("batch", "--quiet", "--out-dir", bad_out, input);
    expect_status(&c, 125);
    char expected[700];
    snprintf(expected, sizeof expected,
             "cordon: --out-dir: cannot create '%s': No such file or directory\n", bad_out);
    assert_string_equal(c.err, expected);
    assert_string_equal(c.out, "");
    captured_free(&c);
    /* a name with a slash at its end names the directory */
    strcat(out_dir, "/");
    c = CORDON("batch", "--quiet", "--out-dir", out_dir, input);
    expect_status(&c, 0);
    captured_free(&c);
    assert_int_equal(access(out_dir, F_OK), 0);
    /* an out-dir that holds the audit, resumed from: made before the
     * records are read, so the first run resumes nothing, and the next
     * resumes what the first did */
    char kept[300], kept_audit[400];
    snprintf(kept, sizeof kept, "%s/kept", dir);
    snprintf(kept_audit, sizeof kept_audit, "%s/a.jsonl", kept);
    for (int round = 0; round < 2; round++) {
        c = CORDON("batch", "--out-dir", kept, "--audit", kept_audit, "--resume", kept, input);
        expect_status(&c, 0);
        assert_int_equal(strstr(c.err, "resumed: 1 line had succeeded") != NULL, round == 1);
        captured_free(&c);
    }
    free(input);
    remove_tree(dir);
}

/* LINE.log and LINE.exc are written only when there is something to
 * say; run again into the same directory, a line that no longer fails
 * must not keep the exception of the earlier batch. */
static void test_batch_out_dir_keeps_no_stale_exception(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char out_dir[300], exc[400], line[600];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    snprintf(exc, sizeof exc, "%s/1.exc", out_dir);
    snprintf(line, sizeof line,
             "if [ -e %s/ran ]; then echo fine; else touch %s/ran; kill -SEGV $$; fi\n", dir,
             dir);
    char *input = lines_file(dir, line);
    captured c = CORDON("batch", "--quiet", "--out-dir", out_dir, input);
    expect_status(&c, 1);
    captured_free(&c);
    FILE *f = fopen(exc, "r");
    assert_non_null(f);
    char buf[64] = "";
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "SIGSEGV: Segmentation fault\n");
    c = CORDON("batch", "--quiet", "--out-dir", out_dir, input);
    expect_status(&c, 0);
    captured_free(&c);
    assert_int_equal(access(exc, F_OK), -1);
    assert_int_equal(errno, ENOENT);
    free(input);
    remove_tree(dir);
}

/* --out-dir beside --json: the files are written (and what stood at their
 * names replaced) as without it; they were left out without a word, an
 * earlier batch's stale ones kept.  A link named with a trailing '/' or
 * "/." is still a link, refused (the kernel followed it). */
static void test_batch_out_dir_beside_json_and_behind_a_slash(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char out_dir[300], path[400], link[400], slashed[420];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    char *input = lines_file(dir, "echo one\n");
    assert_int_equal(mkdir(out_dir, 0700), 0);
    snprintf(path, sizeof path, "%s/1.out", out_dir);
    write_file(path, "stale\n");
    captured c = CORDON("batch", "--quiet", "--json", "--out-dir", out_dir, input);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "\"std_out\":\"one\\n\""));
    captured_free(&c);
    char *saved = read_file_text(path);
    assert_string_equal(saved, "one\n");
    free(saved);
    snprintf(link, sizeof link, "%s/link", dir);
    assert_int_equal(symlink(out_dir, link), 0);
    /* and so is one named with a trailing "/." ("link/./", "link/.//.") */
    static const char *const tails[] = { "/", "/.", "/./", "/.//." };
    for (size_t k = 0; k < sizeof tails / sizeof *tails; k++) {
        snprintf(slashed, sizeof slashed, "%s%s", link, tails[k]);
        c = CORDON("batch", "--quiet", "--out-dir", slashed, input);
        expect_status(&c, 125);
        assert_non_null(strstr(c.err, "is a symbolic link; give the directory itself"));
        captured_free(&c);
    }
    free(input);
    remove_tree(dir);
}

static char busy_file[600], busy_over[600];

/* In the runner's child: a mount namespace of its own, where a file mounted
 * over busy_file makes it one no unlink removes (EBUSY). */
static void make_busy_file(void)
{
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount(busy_over, busy_file, NULL, MS_BIND, NULL) != 0)
        _exit(98);
}

/* One name of --out-dir that cannot be replaced loses that line's output
 * alone: the batch's flag, once set, had failed every later task's save
 * too (all "output lost", 125), and with --json the record on stdout had
 * said success where the audit line said 125. */
static void test_batch_out_dir_failure_loses_that_line_alone(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: needs root, to mount over a file\n");
        skip();
    }
    char *dir = make_temp_dir();
    char out_dir[300], audit[400];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    assert_int_equal(mkdir(out_dir, 0700), 0);
    snprintf(busy_file, sizeof busy_file, "%s/1.out", out_dir);
    snprintf(busy_over, sizeof busy_over, "%s/over", dir);
    write_file(busy_file, "");
    write_file(busy_over, "");
    char *input = lines_file(dir, "echo a\nexit 4\necho c\n");
    captured c = cordon_with(-1, make_busy_file, (const char *const[]){
        "batch", "-j", "1", "--quiet", "--json", "--out-dir", out_dir, "--audit", audit, input,
        NULL });
    expect_status(&c, 125);
    char *lines = read_file_text(audit);
    int records[3] = { -1, -1, -1 }, audited[3] = { -1, -1, -1 };
    const char *at = c.out;
    for (int i = 0; i < 3 && (at = strstr(at, "\"status\":")); i++, at++)
        records[i] = atoi(at + 9);
    at = lines;
    for (int i = 0; i < 3 && (at = strstr(at, "\"status\":")); i++, at++)
        audited[i] = atoi(at + 9);
    if (records[0] != 125 || records[1] != 4 || records[2] != 0 ||
        memcmp(records, audited, sizeof records) != 0)
        fail_msg("records %d %d %d, audit lines %d %d %d\n%s", records[0], records[1],
                 records[2], audited[0], audited[1], audited[2], c.err);
    char path[420];
    snprintf(path, sizeof path, "%s/3.out", out_dir);
    char *third = read_file_text(path);
    assert_string_equal(third, "c\n");
    free(third);
    free(lines);
    captured_free(&c);
    free(input);
    remove_tree(dir);
}

/* Stopped in --backoff's wait, batch says so as `cordon run` does: the
 * attempt's result stands, the record's status is 128 + the signal and
 * it has "stopped_by" (it read as an attempt that failed, status 1, and
 * the summary said nothing of the signal). */
/* The summary's line of an outcome named `name`, as long as its header's:
 * a count in the column of "tasks". */
static void expect_outcome_line_aligned(const char *summary, const char *name)
{
    const char *header = strstr(summary, "  outcome ");
    char wanted[80];
    snprintf(wanted, sizeof wanted, "  %s ", name);
    const char *row = strstr(summary, wanted);
    if (!header || !row)
        fail_msg("%s", summary);
    size_t header_len = strcspn(header, "\n"), row_len = strcspn(row, "\n");
    if (header_len != row_len)
        fail_msg("'%.*s' is not as long as '%.*s'", (int)row_len, row, (int)header_len, header);
}

static void stopped_in_the_backoff(int signo, const char *name)
{
    char *dir = make_temp_dir();
    char line[600], ran[400], out_path[400], err_path[400];
    snprintf(ran, sizeof ran, "%s/ran", dir);
    snprintf(line, sizeof line, "touch %s; exit 1\n", ran);
    char *input = lines_file(dir, line);
    snprintf(out_path, sizeof out_path, "%s/records", dir);
    snprintf(err_path, sizeof err_path, "%s/said", dir);
    const char *argv[64];
    cordon_argv(argv, (const char *const[]){ "batch", "--retry", "3", "--retry-on", "exit:1",
                                             "--backoff", "30s",
                                             "--json", input, NULL });
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fds[3] = { open("/dev/null", O_RDONLY), open(out_path, O_WRONLY | O_CREAT, 0600),
                       open(err_path, O_WRONLY | O_CREAT, 0600) };
        for (int i = 0; i < 3; i++)
            dup2(fds[i], i);
        signal(signo, SIG_DFL);
        execv(argv[0], (char *const *)argv);
        _exit(99);
    }
    for (int i = 0; i < 1000 && access(ran, F_OK) != 0; i++)
        usleep(10 * 1000);
    usleep(500 * 1000); /* the attempt's end said, the wait begun */
    kill(pid, signo);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == signo);
    char *out = read_file_text(out_path), *err = read_file_text(err_path);
    char check[300], said[200], outcome[64];
    snprintf(check, sizeof check,
             "assert d['status'] == %d, d['status']\n"
             "assert d['stopped_by'] == '%s', d.get('stopped_by')\n"
             "assert d['attempts'] == 1, d['attempts']\n"
             "assert d['exit_code'] == 1, d['exit_code']", 128 + signo, name);
    assert_int_equal(python_check(out, strlen(out), check), 0);
    snprintf(said, sizeof said, "line 1: cordon was stopped by %s after attempt 1; no other "
             "attempt was made", name);
    if (!strstr(err, said))
        fail_msg("%s", err);
    snprintf(said, sizeof said, "; cordon was stopped by %s\n", name);
    if (!strstr(err, said))
        fail_msg("%s", err);
    /* the outcome tables of the summary and of `cordon report` say it, as
     * the status does (they said "exit:1"), in the column of the counts
     * (a real-time signal's name pushed the count out of it) */
    snprintf(outcome, sizeof outcome, "stopped:%s", name);
    expect_outcome_line_aligned(err, outcome);
    captured report = CORDON("report", out_path);
    expect_status(&report, 0);
    snprintf(said, sizeof said, "  %s ", outcome);
    if (!strstr(report.out, said) || strstr(report.out, "exit:1"))
        fail_msg("%s", report.out);
    captured_free(&report);
    free(out);
    free(err);
    free(input);
    remove_tree(dir);
}

static void test_batch_stopped_in_the_backoff_says_so(void **state)
{
    (void)state;
    stopped_in_the_backoff(SIGTERM, "SIGTERM");
    stopped_in_the_backoff(SIGRTMIN + 1, "SIGRTMIN+1");
}

/* Records written into the job file are the next batch's jobs: `batch
 * --audit jobs.txt jobs.txt` appended a JSON line per task (exit 0), and
 * the next run ran them as shell lines.  Refused before anything runs,
 * the job file as it was; so is a job file read from the standard input,
 * and a standard output that is the job file. */
static void test_batch_refuses_records_into_its_job_file(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *input = lines_file(dir, "echo fixed\ntrue\nexit 0\n");
    captured c = CORDON("batch", "--audit", input, input);
    expect_status(&c, 125);
    if (!strstr(c.err, "--audit: '") || !strstr(c.err, "' is the job file"))
        fail_msg("%s", c.err);
    captured_free(&c);
    int jobs = open(input, O_RDONLY | O_CLOEXEC);
    assert_true(jobs >= 0);
    c = CORDON_WITH(jobs, NULL, "batch", "--audit", input, "-");
    close(jobs);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "is the job file (the standard input)"));
    captured_free(&c);
    const char *runner = getenv("CORDON_RUNNER");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s batch %s >> %s 2>/dev/null", runner ? runner : "build/cordon",
             input, input);
    int status = system(cmd);
    assert_int_equal(WEXITSTATUS(status), 125);
    char *text = read_file_text(input);
    assert_string_equal(text, "echo fixed\ntrue\nexit 0\n");
    free(text);
    free(input);
    remove_tree(dir);
}

/* --retry's attempts are said: a failed line's message and the summary
 * read as if each line ran once ("line 1: exited with 3"; only the
 * records' "attempts" told). */
static void test_batch_says_its_retries(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *input = lines_file(dir, "exit 3\ntest \"$CORDON_ATTEMPT\" = 2\ntrue\n");
    captured c = CORDON("batch", "-j", "1", "--retry", "2", "--retry-on", "exit:3,exit:1", input);
    expect_status(&c, 1);
    if (!strstr(c.err, "cordon: line 1 (attempt 3): exited with 3: exit 3\n") ||
        !strstr(c.err, "\n  retried: 2 lines, 3 more attempts; 1 then succeeded\n"))
        fail_msg("%s", c.err);
    captured_free(&c);
    /* none retried: nothing said of retries */
    c = CORDON("batch", "--retry", "2", "--retry-on", "exit:9", input);
    expect_status(&c, 1);
    if (strstr(c.err, "retried:") || !strstr(c.err, "cordon: line 1: exited with 3: exit 3\n"))
        fail_msg("%s", c.err);
    captured_free(&c);
    free(input);
    remove_tree(dir);
}

static void test_batch_audit_and_json_lines(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300];
    snprintf(audit, sizeof audit, "%s/a.jsonl", dir);
    char *text = repeat_line("head -c 3000 /dev/urandom", 12);
    captured c = CORDON_IN(text, "batch", "-j", "4", "--json", "--audit", audit);
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
        "assert len(lines) == 12 and all(len(l['std_out']) <= 3000 for l in lines)"), 0);
    FILE *f = fopen(audit, "r");
    assert_non_null(f);
    char *buf = malloc(4u << 20);
    memcpy(buf, c.out, c.out_len);
    size_t n = c.out_len + fread(buf + c.out_len, 1, (4u << 20) - c.out_len, f);
    fclose(f);
    /* The audit lines are the --json objects, and say what they cut. */
    assert_int_equal(python_check(buf, n,
        "assert len(lines) == 24\n"
        "json, audit = lines[:12], lines[12:]\n"
        "assert all(l['truncated'] == dict(std_out=0, std_err=0, log_out=0, exc_out=0,\n"
        "           returns=0) for l in audit)\n"
        "for l in audit: del l['truncated']\n"
        "key = lambda l: l['line']\n"
        "assert sorted(json, key=key) == sorted(audit, key=key)"), 0);
    free(buf);
    free(text);
    captured_free(&c);
    remove_tree(dir);
}

/* Children whose parent ignores SIGCHLD are reaped by the kernel, which
 * adds their time to no one: batch's figures left them out (6 ms for
 * 200 ms spun) while run --json counted them.  A task of batch's has a v2
 * cgroup where its caller can make one, whose counter counts them. */
static void test_batch_counts_children_nobody_waited_for(void **state)
{
    (void)state;
    char hostile[400], line[500];
    snprintf(hostile, sizeof hostile, "%s/hostile", getenv("CORDON_HOSTILE_DIR"));
    snprintf(line, sizeof line, "%s autoreaped-children 2 150\n", hostile);
    /* run --json's task has a v2 cgroup wherever its caller can make one */
    captured c = CORDON("run", "--json", "--", hostile, "autoreaped-children", "2", "150");
    expect_status(&c, 0);
    bool v2 = strstr(c.out, "\"cgroup\":{\"version\":2") != NULL;
    captured_free(&c);
    c = CORDON_IN(line, "batch", "--json");
    expect_status(&c, 0);
    char check[400];
    snprintf(check, sizeof check,
             "[l] = lines\n"
             "cpu = l['usage']['user_us'] + l['usage']['sys_us']\n"
             "assert not %d or l['confinement_details']['cgroup']['version'] == 2\n"
             "assert not %d or cpu >= 290000, cpu  # 300 ms spun by the two\n", v2, v2);
    assert_int_equal(python_check(c.out, c.out_len, check), 0);
    captured_free(&c);
    if (!v2)
        print_message("no v2 cgroup for this caller's tasks: batch's CPU is wait4's\n");
}

/* The summary names a line by its text, which may come from anyone's job
 * file: an escape sequence in it reached the terminal (a window title set
 * by "top cpu ... line 1: "), while the failure line above showed '?'. */
static void test_batch_summary_shows_no_control_bytes_of_a_line(void **state)
{
    (void)state;
    captured c = CORDON_IN("true # \033]0;title\007 \033[2J\n", "batch");
    expect_status(&c, 0);
    assert_null(strchr(c.err, '\033'));
    assert_null(strchr(c.err, '\007'));
    assert_non_null(strstr(c.err, "line 1: true # ?]0;title? ?[2J\n"));
    captured_free(&c);
}

/* A FIFO named as the job file is read as cat reads it, its writer
 * waited for: one that had not opened it yet read as empty, the batch ran
 * nothing and exited 0, and the writer then waited for a reader for good.
 * A FIFO of another user's (planted by a task run as nobody) is refused,
 * never waited on. */
static void test_batch_waits_for_a_fifo_s_writer(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char fifo[300];
    snprintf(fifo, sizeof fifo, "%s/jobs", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        alarm(20);
        usleep(300 * 1000); /* after cordon has opened it */
        int fd = open(fifo, O_WRONLY);
        _exit(fd >= 0 && write(fd, "echo late\n", 10) == 10 && close(fd) == 0 ? 0 : 1);
    }
    captured c = CORDON("batch", "--quiet", "--no-label", fifo);
    expect_status(&c, 0);
    assert_string_equal(c.out, "late\n");
    captured_free(&c);
    int status;
    assert_int_equal(waitpid(writer, &status, 0), writer);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (geteuid() == 0) {
        assert_int_equal(chown(fifo, 65534, 65534), 0);
        alarm(20); /* before: a wait for a writer that never comes */
        c = CORDON("batch", "--quiet", fifo);
        alarm(0);
        expect_status(&c, 125);
        char expected[500];
        snprintf(expected, sizeof expected,
                 "cordon: batch: '%s' is a FIFO of another user (uid 65534); cordon waits for "
                 "a writer only on its caller's own\n", fifo);
        assert_string_equal(c.err, expected);
        captured_free(&c);
    }
    remove_tree(dir);
}

static void test_batch_takes_the_options_of_run(void **state)
{
    (void)state;
    captured c = CORDON_IN("echo $A\npwd\n", "batch", "-j1", "--quiet", "--env", "A=set",
                           "--cwd", "/usr");
    expect_status(&c, 0);
    assert_string_equal(c.out, "[1] set\n[2] /usr\n");
    captured_free(&c);
}

static void test_batch_option_errors_are_125(void **state)
{
    (void)state;
    captured c = CORDON_IN("true\n", "batch", "-j", "0");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: -j: '0' is not a whole number from 1 to 1024\n");
    captured_free(&c);
    c = CORDON("batch", "/cordon/no/such/file");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: batch: cannot read '/cordon/no/such/file': "
                               "No such file or directory\n");
    captured_free(&c);
    c = CORDON_IN("true\n", "batch", "--shell", "x");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: batch: unknown option '--shell' "
                               "(see 'cordon batch --help')\n");
    captured_free(&c);
}

/* A directory as the job file is refused alone, as a missing file is
 * (before: "cannot read '/tmp' past line 0: Is a directory", then the
 * summary of no task). */
static void test_batch_refuses_a_directory_as_the_job_file(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char expected[400];
    snprintf(expected, sizeof expected, "cordon: batch: '%s' is a directory, not a job file\n",
             dir);
    captured c = CORDON("batch", dir);
    expect_status(&c, 125);
    assert_string_equal(c.err, expected);
    assert_string_equal(c.out, "");
    captured_free(&c);
    c = CORDON("batch", "--policy", "none", "--json", dir);
    expect_status(&c, 125);
    assert_string_equal(c.err, expected);
    assert_string_equal(c.out, "");
    captured_free(&c);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    c = CORDON_WITH(fd, NULL, "batch", "-");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: batch: stdin is a directory, not a job file\n");
    captured_free(&c);
    close(fd);
    remove_tree(dir);
}


/* Each line of a task's output is headed by its job line, on stdout and
 * stderr; output without a last newline gets one; --no-label passes the
 * bytes as they are. */
static void test_batch_labels_each_line(void **state)
{
    (void)state;
    captured c = CORDON_IN("\n"
                           "printf 'one\\ntwo\\n\\nlast'; printf 'warn\\n' >&2\n",
                           "batch", "--quiet");
    expect_status(&c, 0);
    assert_string_equal(c.out, "[2] one\n[2] two\n[2] \n[2] last\n");
    assert_string_equal(c.err, "[2] warn\n");
    captured_free(&c);
    c = CORDON_IN("printf 'a\\000b\\nc'\n", "batch", "--quiet", "--no-label");
    expect_status(&c, 0);
    assert_int_equal(c.out_len, 5);
    assert_memory_equal(c.out, "a\0b\nc", 5);
    captured_free(&c);
}

static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = NULL, buf[65536];
    size_t n;
    *len = 0;
    append_bytes(&text, len, "", 0);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        append_bytes(&text, len, buf, n);
    fclose(f);
    return text;
}

/* 5 MiB of NULs was a 31 MB audit line: by default 4 KiB of each stream
 * are kept and the rest counted; none keeps nothing; a cut never splits a
 * UTF-8 character; full keeps all.  1.5 MiB here: more than one of the
 * output queue's spooled pieces (runner/output.c), and under
 * AddressSanitizer a fifth of the 49 s that 5 MiB took. */
static void test_batch_audit_output_is_cut(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300];
    snprintf(audit, sizeof audit, "%s/a.jsonl", dir);
    const char *jobs = "head -c 1572864 /dev/zero\n"
                       "printf '\\303\\251%.0s' 1 2 3 4 5 6; echo oops >&2\n";
    const char *modes[] = { NULL, "none", "11", "full" };
    for (int i = 0; i < 4; i++) {
        captured c = modes[i] ? CORDON_IN(jobs, "batch", "--quiet", "--no-label", "-j", "1",
                                          "--audit", audit, "--audit-output", modes[i])
                              : CORDON_IN(jobs, "batch", "--quiet", "--no-label", "-j", "1",
                                          "--audit", audit);
        expect_status(&c, 0);
        assert_int_equal(c.out_len, 1572864 + 12); /* what batch prints is whole */
        captured_free(&c);
    }
    size_t len;
    char *text = read_whole(audit, &len);
    assert_int_equal(python_check(text, len,
        "assert len(lines) == 8\n"
        "raw = data.split('\\n')\n"
        "zeros, e = lines[0], lines[1]\n"
        "assert len(raw[0]) < 30000, len(raw[0])\n"
        "assert zeros['std_out'] == '\\0' * 4096\n"
        "assert zeros['truncated'] == dict(std_out=1572864 - 4096, std_err=0, log_out=0,\n"
        "                                  exc_out=0, returns=0)\n"
        "assert e['std_out'] == '\\u00e9' * 6 and e['truncated']['std_out'] == 0\n"
        "zeros, e = lines[2], lines[3]\n"
        "assert zeros['std_out'] == '' and zeros['truncated']['std_out'] == 1572864\n"
        "assert e['std_err'] == '' and e['truncated']['std_err'] == 5\n"
        "zeros, e = lines[4], lines[5]\n"
        "assert zeros['std_out'] == '\\0' * 11\n"
        "assert e['std_out'] == '\\u00e9' * 5 and e['truncated']['std_out'] == 2\n"
        "assert e['std_err'] == 'oops\\n' and e['truncated']['std_err'] == 0\n"
        "zeros = lines[6]\n"
        "assert zeros['std_out'] == '\\0' * 1572864 and zeros['truncated']['std_out'] == 0"),
        0);
    free(text);
    captured c = CORDON_IN("true\n", "batch", "--audit-output", "some");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --audit-output: 'some' is neither full, none nor a "
                               "size (e.g. 4K, 1M)\n");
    captured_free(&c);
    remove_tree(dir);
}

/* What a merge needs: the job line, the start time (UTC, ISO 8601 with
 * ms), the host and one run id per invocation (or the one given). */
static void test_batch_records_say_where_and_when(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300], host[256] = "";
    snprintf(audit, sizeof audit, "%s/a.jsonl", dir);
    assert_int_equal(gethostname(host, sizeof host - 1), 0);
    time_t before = time(NULL);
    captured c = CORDON_IN("true\n# not a job\n\necho x\nfalse\n", "batch", "--quiet",
                           "--audit", audit);
    expect_status(&c, 1);
    captured_free(&c);
    c = CORDON_IN("true\n", "batch", "--quiet", "--audit", audit, "--run-id", "nightly-42");
    expect_status(&c, 0);
    captured_free(&c);
    c = CORDON("run", "--quiet", "--audit", audit, "--", "true");
    expect_status(&c, 0);
    captured_free(&c);
    time_t after = time(NULL);
    size_t len;
    char *text = read_whole(audit, &len);
    char code[2048];
    snprintf(code, sizeof code,
        "import re, datetime\n"
        "assert len(lines) == 5\n"
        "batch, named, run = lines[:3], lines[3], lines[4]\n"
        "assert sorted(l['line'] for l in batch) == [1, 4, 5]\n"
        "assert named['line'] == 1 and 'line' not in run and 'shard' not in run\n"
        "assert all('shard' not in l for l in batch)\n"
        "for l in lines:\n"
        "    assert l['host'] == '%s', l['host']\n"
        "    assert re.fullmatch(r'\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z', l['started'])\n"
        "    t = datetime.datetime.strptime(l['started'], '%%Y-%%m-%%dT%%H:%%M:%%S.%%fZ')\n"
        "    t = t.replace(tzinfo=datetime.timezone.utc).timestamp()\n"
        "    assert %lld <= t < %lld + 1, (t, l['started'])\n"
        "assert len({l['run_id'] for l in batch}) == 1\n"
        "assert re.fullmatch('[0-9a-f]{32}', batch[0]['run_id'])\n"
        "assert named['run_id'] == 'nightly-42'\n"
        "assert re.fullmatch('[0-9a-f]{32}', run['run_id']) and run['run_id'] != batch[0]['run_id']",
        host, (long long)before, (long long)after);
    assert_int_equal(python_check(text, len, code), 0);
    free(text);
    c = CORDON_IN("true\n", "batch", "--run-id", "no spaces");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --run-id: 'no spaces' is not 1 to 64 of the characters "
                               "A-Z a-z 0-9 . _ : @ + -\n");
    captured_free(&c);
    remove_tree(dir);
}

/* Lines from a generator run as they come: `gen | cordon batch -` showed
 * nothing until the generator ended (the input was read whole first), so
 * a line's result waited for every later line to be written. */
static void test_batch_runs_streamed_lines_before_the_input_ends(void **state)
{
    (void)state;
    int in[2], out[2];
    assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    const char *argv[64];
    cordon_argv(argv, (const char *const[]){ "batch", "--quiet", "-j", "2", "-", NULL });
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    assert_int_equal(write(in[1], "echo first\n", 11), 11);
    /* The first line's output, while the input is still open: at most
     * 20 s on a loaded machine (before, it never came). */
    char got[256] = "";
    size_t len = 0;
    struct pollfd p = { .fd = out[0], .events = POLLIN };
    double deadline = now_seconds() + 20;
    while (!strstr(got, "[1] first\n") && now_seconds() < deadline && len < sizeof got - 1) {
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = read(out[0], got + len, sizeof got - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        got[len] = '\0';
    }
    bool streamed = strstr(got, "[1] first\n") != NULL;
    assert_int_equal(write(in[1], "echo second\n", 12), 12);
    close(in[1]);
    ssize_t n;
    while (len < sizeof got - 1 && (n = read(out[0], got + len, sizeof got - 1 - len)) > 0)
        len += (size_t)n;
    got[len] = '\0';
    close(out[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(streamed);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_string_equal(got, "[1] first\n[2] second\n");
}

/* A NUL line in streamed input: the lines before it ran, none after it
 * starts, and the batch is cordon's error (a file is refused whole). */
static void test_batch_streamed_input_stops_at_a_nul_line(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char marks[300], line[700];
    snprintf(marks, sizeof marks, "%s/ran", dir);
    snprintf(line, sizeof line, "echo one >> %s\nbad\1", marks);
    size_t len = strlen(line);
    line[len - 1] = '\0';
    char tail[400];
    int tail_len = snprintf(tail, sizeof tail, "; echo two >> %s\necho three >> %s\n", marks,
                            marks);
    char input[1200];
    memcpy(input, line, len);
    memcpy(input + len, tail, (size_t)tail_len);
    const char *argv[64];
    cordon_argv(argv, (const char *const[]){ "batch", "--quiet", "-j", "1", "-", NULL });
    captured c = exec_capture_with(argv, input, len + (size_t)tail_len, -1, NULL);
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: batch: stdin:2: a NUL byte in the line; a job file is "
                               "text\n");
    FILE *f = fopen(marks, "r");
    assert_non_null(f);
    char ran[64] = "";
    assert_int_equal(fread(ran, 1, sizeof ran - 1, f), 4);
    fclose(f);
    assert_string_equal(ran, "one\n");
    captured_free(&c);
    remove_tree(dir);
}

/* A task's output still queued when no task runs any more is waited for,
 * however slow its reader: before, cordon gave up after 1.5 s, exited 0
 * and said "1 succeeded" with 64 KiB of 1 MB delivered (and, with
 * --audit, called it lost: 125). */
static void test_batch_waits_for_a_slow_reader(void **state)
{
    (void)state;
    char *dir = make_temp_dir(), args[800], audit[512];
    char *jobs = lines_file(dir, "head -c 1000000 /dev/zero\n");
    snprintf(args, sizeof args, "batch --quiet --no-label %s", jobs);
    expect_a_slow_reader_gets_every_byte(args, NULL);
    snprintf(audit, sizeof audit, "%s/st.jsonl", dir);
    snprintf(args, sizeof args, "batch --quiet --no-label --audit %s %s", audit, jobs);
    expect_a_slow_reader_gets_every_byte(args, audit);
    free(jobs);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_runs_j_tasks_at_once),
        cmocka_unit_test(test_batch_outputs_are_kept_whole),
        cmocka_unit_test(test_batch_summary_counts),
        cmocka_unit_test(test_batch_exit_status_is_zero_only_when_all_succeed),
        cmocka_unit_test(test_batch_plain_lines_run_without_a_shell),
        cmocka_unit_test(test_batch_skips_a_byte_order_mark),
        cmocka_unit_test(test_batch_lost_records_are_cordons_error),
        cmocka_unit_test(test_batch_refuses_a_nul_byte_in_a_job_line),
        cmocka_unit_test(test_batch_runs_streamed_lines_before_the_input_ends),
        cmocka_unit_test(test_batch_streamed_input_stops_at_a_nul_line),
        cmocka_unit_test(test_batch_out_dir_saves_each_output),
        cmocka_unit_test(test_batch_output_past_the_cap_is_said),
        cmocka_unit_test(test_batch_out_dir_with_a_directory_at_a_name_does_not_run_the_line),
        cmocka_unit_test(test_batch_out_dir_keeps_no_stale_exception),
        cmocka_unit_test(test_batch_out_dir_beside_json_and_behind_a_slash),
        cmocka_unit_test(test_batch_stopped_in_the_backoff_says_so),
        cmocka_unit_test(test_batch_refuses_records_into_its_job_file),
        cmocka_unit_test(test_batch_says_its_retries),
        cmocka_unit_test(test_batch_out_dir_failure_loses_that_line_alone),
        cmocka_unit_test(test_batch_audit_and_json_lines),
        cmocka_unit_test(test_batch_counts_children_nobody_waited_for),
        cmocka_unit_test(test_batch_summary_shows_no_control_bytes_of_a_line),
        cmocka_unit_test(test_batch_refused_makes_no_out_dir),
        cmocka_unit_test(test_batch_waits_for_a_fifo_s_writer),
        cmocka_unit_test(test_batch_takes_the_options_of_run),
        cmocka_unit_test(test_batch_option_errors_are_125),
        cmocka_unit_test(test_batch_refuses_a_directory_as_the_job_file),
        cmocka_unit_test(test_batch_labels_each_line),
        cmocka_unit_test(test_batch_audit_output_is_cut),
        cmocka_unit_test(test_batch_records_say_where_and_when),
        cmocka_unit_test(test_batch_waits_for_a_slow_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
