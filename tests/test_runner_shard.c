/* cordon batch on a cluster: --shard K/N and from a scheduler's
 * environment (Slurm arrays, Kubernetes Indexed Jobs), and --resume. */
#include "runner_support.h"

/* 13 lines, of which 10 are jobs: "echo jL" prints the job's own line. */
static const char job_text[] = "echo j1\n"
                               "# a comment\n"
                               "echo j3\n"
                               "echo j4\n"
                               "\n"
                               "echo j6\n"
                               "echo j7\n"
                               "echo j8\n"
                               "echo j9\n"
                               "   # another\n"
                               "echo j11\n"
                               "echo j12\n"
                               "echo j13\n";
static const int job_lines[] = { 1, 3, 4, 6, 7, 8, 9, 11, 12, 13 };
#define JOBS (sizeof job_lines / sizeof *job_lines)

static char *job_file(const char *dir, const char *name, const char *text)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(path);
    sprintf(path, "%s/%s", dir, name);
    write_file(path, text);
    return path;
}

/* Checks every "[L] jL" line of `out`: the label is the job's line, the
 * line belongs to shard `k` of `n`, and counts it in seen[L]. */
static void count_shard_output(const char *out, unsigned k, unsigned n, int seen[32])
{
    for (const char *p = out; *p;) {
        unsigned label, job;
        assert_int_equal(sscanf(p, "[%u] j%u", &label, &job), 2);
        assert_int_equal(label, job);
        assert_true(label < 32);
        assert_int_equal((label - 1) % n, k);
        seen[label]++;
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
}

static void test_shard_partition_covers_each_line_once(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *jobs = job_file(dir, "jobs.txt", job_text);
    for (unsigned n = 1; n <= 5; n++) {
        int seen[32] = { 0 };
        for (unsigned k = 0; k < n; k++) {
            char spec[16];
            snprintf(spec, sizeof spec, "%u/%u", k, n);
            captured c = CORDON("batch", "--quiet", "-j", "2", "--shard", spec, jobs);
            expect_status(&c, 0);
            count_shard_output(c.out, k, n, seen);
            captured_free(&c);
        }
        for (size_t i = 0; i < JOBS; i++) {
            assert_int_equal(seen[job_lines[i]], 1);
            seen[job_lines[i]] = 0;
        }
        for (int line = 0; line < 32; line++)
            assert_int_equal(seen[line], 0);
    }
    free(jobs);
    remove_tree(dir);
}

static void clear_scheduler_env(void)
{
    const char *names[] = { "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN",
                            "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP",
                            "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX",
                            "CORDON_TEST_SHARD" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unsetenv(names[i]);
}

/* Runs batch with `spec` and returns the lines it ran as "1,4,..." */
static void lines_run(const char *jobs, const char *spec, int status, char *out, size_t size)
{
    captured c = CORDON("batch", "--quiet", "-j", "1", "--shard", spec, jobs);
    expect_status(&c, status);
    out[0] = '\0';
    for (const char *p = c.out; *p; p = strchr(p, '\n') + 1) {
        unsigned label;
        assert_int_equal(sscanf(p, "[%u]", &label), 1);
        snprintf(out + strlen(out), size - strlen(out), "%s%u", out[0] ? "," : "", label);
    }
    captured_free(&c);
}

static void expect_shard_error(const char *jobs, const char *spec, const char *message)
{
    captured c = CORDON("batch", "--quiet", "--shard", spec, jobs);
    expect_status(&c, 125);
    assert_string_equal(c.err, message);
    assert_string_equal(c.out, "");
    captured_free(&c);
}

static void test_shard_from_the_environment(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *jobs = job_file(dir, "jobs.txt", job_text);
    char ran[256];
    clear_scheduler_env();
    /* sbatch --array=4-8:2 made tasks 4, 6 and 8: this is the second. */
    setenv("SLURM_ARRAY_TASK_ID", "6", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "4", 1);
    setenv("SLURM_ARRAY_TASK_MAX", "8", 1);
    setenv("SLURM_ARRAY_TASK_STEP", "2", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
    lines_run(jobs, "env", 0, ran, sizeof ran);
    assert_string_equal(ran, "8,11");
    lines_run(jobs, "env/3", 0, ran, sizeof ran);
    assert_string_equal(ran, "8,11");
    expect_shard_error(jobs, "env/4", "cordon: --shard env/4: the Slurm array has 3 tasks, "
                                      "not 4\n");
    /* an empty MAX is no MAX (it was taken as 0: "tasks 4 to 0 ... is not
     * a range") */
    setenv("SLURM_ARRAY_TASK_MAX", "", 1);
    lines_run(jobs, "env", 0, ran, sizeof ran);
    assert_string_equal(ran, "8,11");
    /* --array=1,3,7 is no range: its tasks cannot be numbered 0..N-1. */
    setenv("SLURM_ARRAY_TASK_ID", "7", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "1", 1);
    setenv("SLURM_ARRAY_TASK_MAX", "7", 1);
    unsetenv("SLURM_ARRAY_TASK_STEP");
    expect_shard_error(jobs, "env", "cordon: --shard env: the Slurm array (tasks 1 to 7 by 1, "
                                    "3 of them, this one 7) is not a range; submit it as "
                                    "--array=0-N or give --shard K/N\n");
    setenv("SLURM_ARRAY_TASK_ID", "x1", 1);
    expect_shard_error(jobs, "env", "cordon: --shard env: SLURM_ARRAY_TASK_ID 'x1' is not a "
                                    "whole number from 0 to 10000000\n");
    clear_scheduler_env();
    /* A Kubernetes Indexed Job: the index, and the count from the option
     * (an empty Slurm variable beside it is none). */
    setenv("JOB_COMPLETION_INDEX", "0", 1);
    setenv("SLURM_ARRAY_TASK_ID", "", 1);
    lines_run(jobs, "env/4", 0, ran, sizeof ran);
    unsetenv("SLURM_ARRAY_TASK_ID");
    assert_string_equal(ran, "1,9,13");
    expect_shard_error(jobs, "env", "cordon: --shard env: JOB_COMPLETION_INDEX gives this "
                                    "worker's index but not how many there are: give "
                                    "--shard env/N (N: the Job's completions)\n");
    setenv("JOB_COMPLETION_INDEX", "4", 1);
    expect_shard_error(jobs, "env/4", "cordon: --shard env/4: shard 4 of 4 does not exist "
                                      "(shards count from 0 to 3)\n");
    clear_scheduler_env();
    /* Any variable, by name (HTCondor's $(Process), GNU parallel's slot). */
    setenv("CORDON_TEST_SHARD", "1", 1);
    lines_run(jobs, "env:CORDON_TEST_SHARD/5", 0, ran, sizeof ran);
    assert_string_equal(ran, "7,12");
    clear_scheduler_env();
    expect_shard_error(jobs, "env:CORDON_TEST_SHARD/5",
                       "cordon: --shard env:CORDON_TEST_SHARD/5: CORDON_TEST_SHARD is not set\n");
    /* set but empty (a scheduler's template that expanded to nothing) */
    setenv("CORDON_TEST_SHARD", "", 1);
    expect_shard_error(jobs, "env:CORDON_TEST_SHARD/5",
                       "cordon: --shard env:CORDON_TEST_SHARD/5: CORDON_TEST_SHARD is empty\n");
    clear_scheduler_env();
    expect_shard_error(jobs, "env", "cordon: --shard env: neither SLURM_ARRAY_TASK_ID (a Slurm "
                                    "job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed "
                                    "Job) is set; give --shard K/N or --shard env:VAR/N\n");
    expect_shard_error(jobs, "2/2", "cordon: --shard 2/2: shard 2 of 2 does not exist (shards "
                                    "count from 0 to 1)\n");
    expect_shard_error(jobs, "1/0", "cordon: --shard 1/0: the count '0' is not a whole number "
                                    "from 1 to 10000000\n");
    expect_shard_error(jobs, "3", "cordon: --shard 3: expected K/N (e.g. 0/4), env, env/N or "
                                  "env:VAR/N\n");
    free(jobs);
    remove_tree(dir);
}

/* The shard is in each record, and in the summary. */
static void test_shard_is_recorded(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *jobs = job_file(dir, "jobs.txt", job_text);
    char audit[300];
    snprintf(audit, sizeof audit, "%s/a.jsonl", dir);
    captured c = CORDON("batch", "--shard", "2/3", "--audit", audit, jobs);
    expect_status(&c, 0);
    assert_non_null(strstr(c.err, "cordon: batch: 4 tasks in "));
    assert_non_null(strstr(c.err, "\n  shard 2/3: the job file's lines L with (L-1) mod N = K\n"));
    captured_free(&c);
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(audit, "r");
    assert_non_null(f);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        append_bytes(&text, &len, buf, n);
    fclose(f);
    assert_int_equal(python_check(text, len,
        "assert sorted(l['line'] for l in lines) == [3, 6, 9, 12]\n"
        "assert all(l['shard'] == '2/3' for l in lines)"), 0);
    free(text);
    free(jobs);
    remove_tree(dir);
}

/* --resume: a line is skipped only when a record shows it succeeded on the
 * same line with the same command. */
static void test_resume_skips_succeeded_lines_only(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char flag[300], audit[400], audit_dir[300], jobs_text[1024];
    snprintf(flag, sizeof flag, "%s/flag", dir);
    snprintf(audit_dir, sizeof audit_dir, "%s/audit", dir);
    assert_int_equal(mkdir(audit_dir, 0777), 0);
    snprintf(audit, sizeof audit, "%s/first.jsonl", audit_dir);
    snprintf(jobs_text, sizeof jobs_text, "echo a\ntest -e %s\necho c\nfalse\n", flag);
    char *jobs = job_file(dir, "jobs.txt", jobs_text);
    captured c = CORDON("batch", "--quiet", "-j", "1", "--audit", audit, jobs);
    expect_status(&c, 1);
    assert_string_equal(c.out, "[1] a\n[3] c\n");
    captured_free(&c);

    /* Line 2 now succeeds, line 3 was edited, line 4 still fails; a torn
     * line in the audit file is said and does not stop the resume. */
    write_file(flag, "");
    snprintf(jobs_text, sizeof jobs_text, "echo a\ntest -e %s\necho C\nfalse\n", flag);
    free(jobs);
    jobs = job_file(dir, "jobs.txt", jobs_text);
    FILE *f = fopen(audit, "a");
    assert_non_null(f);
    fputs("{\"command\":\"echo a\",\"line\":1,\"us", f);
    fclose(f);
    char second[400];
    snprintf(second, sizeof second, "%s/second.jsonl", audit_dir);
    c = CORDON("batch", "-j", "1", "--resume", audit_dir, "--audit", second, jobs);
    expect_status(&c, 1);
    assert_string_equal(c.out, "[3] C\n");
    assert_non_null(strstr(c.err, "first.jsonl:5: the last line is cut short (a runner killed while "
                                  "writing it?); skipped\n"));
    assert_non_null(strstr(c.err, "cordon: line 4: exited with 1: false\n"));
    assert_non_null(strstr(c.err, "cordon: batch: 3 tasks in "));
    assert_non_null(strstr(c.err, "\n  resumed: 1 line had succeeded before and was not "
                                  "run again\n"));
    captured_free(&c);

    /* Both files: only line 4 is left. */
    c = CORDON("batch", "--quiet", "--resume", audit, "--resume", second, jobs);
    expect_status(&c, 1);
    assert_string_equal(c.out, "");
    captured_free(&c);

    /* A line inserted at the top moves every job: no record matches. */
    snprintf(jobs_text, sizeof jobs_text, "echo new\necho a\ntest -e %s\necho C\nfalse\n", flag);
    free(jobs);
    jobs = job_file(dir, "jobs.txt", jobs_text);
    c = CORDON("batch", "--quiet", "-j", "1", "--resume", audit_dir, jobs);
    expect_status(&c, 1);
    assert_string_equal(c.out, "[1] new\n[2] a\n[4] C\n");
    captured_free(&c);

    c = CORDON("batch", "--quiet", "--resume", "/cordon/no/such.jsonl", jobs);
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --resume: cannot read '/cordon/no/such.jsonl': "
                               "No such file or directory\n");
    captured_free(&c);
    free(jobs);
    remove_tree(dir);
}

/* The command one runs again after ^C, `--resume runs.jsonl --audit
 * runs.jsonl`, failed on its first run: "--resume: cannot read
 * 'runs.jsonl': No such file or directory".  A --resume that names the
 * batch's own --audit file (or a directory above it) and is not there yet
 * resumes nothing; any other missing one is still an error. */
static void test_resume_of_the_batch_s_own_audit_starts_from_nothing(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[400], audit_dir[300], typo[400];
    char *jobs = job_file(dir, "jobs.txt", "echo a\necho b\n");
    snprintf(audit, sizeof audit, "%s/runs.jsonl", dir);
    captured c = CORDON("batch", "--quiet", "-j", "1", "--resume", audit, "--audit", audit, jobs);
    expect_status(&c, 0);
    assert_string_equal(c.out, "[1] a\n[2] b\n");
    captured_free(&c);
    c = CORDON("batch", "--resume", audit, "--audit", audit, jobs);
    expect_status(&c, 0);
    assert_string_equal(c.out, "");
    assert_non_null(strstr(c.err, "resumed: 2 lines had succeeded before"));
    captured_free(&c);
    /* a directory above the audit file, made by the caller first */
    snprintf(audit_dir, sizeof audit_dir, "%s/audit/", dir);
    snprintf(audit, sizeof audit, "%s/audit/1.jsonl", dir);
    c = CORDON("batch", "--quiet", "--resume", audit_dir, "--audit", audit, jobs);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "--audit: cannot open"));
    captured_free(&c);
    assert_int_equal(mkdir(audit_dir, 0755), 0);
    c = CORDON("batch", "--quiet", "-j", "1", "--resume", audit_dir, "--audit", audit, jobs);
    expect_status(&c, 0);
    assert_string_equal(c.out, "[1] a\n[2] b\n");
    captured_free(&c);
    /* however spelled */
    char spelled[500];
    snprintf(spelled, sizeof spelled, "%s//./other.jsonl", dir);
    snprintf(audit, sizeof audit, "%s/other.jsonl", dir);
    c = CORDON("batch", "--quiet", "-j", "1", "--resume", spelled, "--audit", audit, jobs);
    expect_status(&c, 0);
    assert_string_equal(c.out, "[1] a\n[2] b\n");
    captured_free(&c);
    /* an empty one is no place */
    c = CORDON("batch", "--quiet", "--resume", "", "--audit", audit, jobs);
    expect_status(&c, 125);
    captured_free(&c);
    /* not the audit's place: said */
    snprintf(typo, sizeof typo, "%s/run.jsonl", dir);
    c = CORDON("batch", "--quiet", "--resume", typo, "--audit", audit, jobs);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "--resume: cannot read"));
    captured_free(&c);
    free(jobs);
    remove_tree(dir);
}

/* Every option of this area is in the help of the command that takes it. */
/* A command that is not UTF-8 (a Latin-1 file name) reads back from the
 * audit as the bytes it was: the record matches its line.  Written as
 * \u00e9, the byte 0xE9 read back as the two bytes of U+00E9, and the
 * line ran again. */
static void test_resume_matches_commands_that_are_not_utf8(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[400];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    char *jobs = job_file(dir, "jobs.txt", "echo caf\351\nprintf '\\377\\300'\n");
    captured c = CORDON("batch", "--quiet", "-j", "1", "--audit", audit, jobs);
    expect_status(&c, 0);
    captured_free(&c);
    c = CORDON("batch", "-j", "1", "--resume", audit, jobs);
    expect_status(&c, 0);
    assert_string_equal(c.out, "");
    assert_non_null(strstr(c.err, "resumed: 2 lines had succeeded before"));
    captured_free(&c);
    free(jobs);
    remove_tree(dir);
}

static void test_cluster_options_are_in_the_help(void **state)
{
    (void)state;
    const struct { const char *topic; const char *words[8]; } helps[] = {
        { "batch", { "--shard K/N", "--shard env", "env/N", "env:VAR/N", "--resume AUDIT",
                     "--no-label", "--audit-output", "--run-id" } },
        { "run", { "--audit-output full|none|SIZE", "--run-id ID", "truncated", NULL } },
        { "report", { "--jobs FILE", "--lines N", "--top N", "AUDIT...", NULL } },
    };
    for (size_t i = 0; i < sizeof helps / sizeof *helps; i++) {
        captured c = CORDON(helps[i].topic, "--help");
        expect_status(&c, 0);
        for (size_t k = 0; k < 8 && helps[i].words[k]; k++)
            if (!strstr(c.out, helps[i].words[k]))
                fail_msg("'cordon %s --help' does not mention %s", helps[i].topic,
                         helps[i].words[k]);
        captured_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_partition_covers_each_line_once),
        cmocka_unit_test(test_shard_from_the_environment),
        cmocka_unit_test(test_shard_is_recorded),
        cmocka_unit_test(test_resume_skips_succeeded_lines_only),
        cmocka_unit_test(test_resume_of_the_batch_s_own_audit_starts_from_nothing),
        cmocka_unit_test(test_resume_matches_commands_that_are_not_utf8),
        cmocka_unit_test(test_cluster_options_are_in_the_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
