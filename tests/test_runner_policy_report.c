/* cordon policy check|show|list and cordon report. */
#include "runner_support.h"

static void test_policy_list_names_the_shipped_policies(void **state)
{
    (void)state;
    captured c = CORDON("policy", "list");
    expect_status(&c, 0);
    const char *names[] = { "default ", "nonet ", "readonly ", "noexec ", "compute " };
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(count_lines_starting(c.out, names[i]), 1);
    captured_free(&c);
}

static void test_policy_check_accepts_a_good_policy(void **state)
{
    (void)state;
    captured c = CORDON("policy", "check", "nonet");
    expect_status(&c, 0);
    assert_string_equal(c.out, "nonet: ok\n");
    captured_free(&c);
    char *dir = make_temp_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/mine.policy", dir);
    write_file(path, "# Mine: no sockets at all.\ninclude default\nkill socket\n");
    c = CORDON("policy", "check", path);
    expect_status(&c, 0);
    captured_free(&c);
    remove_tree(dir);
}

/* A policy with an unknown syscall at line 3, column 7. */
static char *bad_policy(char **dir)
{
    *dir = make_temp_dir();
    char *path = malloc(300);
    assert_non_null(path);
    snprintf(path, 300, "%s/bad.policy", *dir);
    write_file(path, "# A policy with a typo.\ninclude default\nallow sockett\n");
    return path;
}

static void expect_position_error(const captured *c, const char *path, int status)
{
    expect_status(c, status);
    char expected[400];
    snprintf(expected, sizeof expected, "cordon: %s:3:7: ", path);
    assert_int_equal(strncmp(c->err, expected, strlen(expected)), 0);
    assert_non_null(strstr(c->err, "sockett"));
}

/* check is a linter: its findings are its output, on stdout. */
static void test_policy_check_names_file_line_column(void **state)
{
    (void)state;
    char *dir;
    char *path = bad_policy(&dir);
    captured c = CORDON("policy", "check", path);
    expect_status(&c, 1);
    char expected[800];
    snprintf(expected, sizeof expected, "%s:3:7: error: unknown syscall 'sockett' (did you mean "
             "'socket'?)\n%s: 1 error, 0 warnings\n", path, path);
    assert_string_equal(c.out, expected);
    assert_string_equal(c.err, "");
    captured_free(&c);
    free(path);
    remove_tree(dir);
}

static void test_run_with_a_bad_policy_is_125(void **state)
{
    (void)state;
    char *dir;
    char *path = bad_policy(&dir);
    captured c = CORDON("run", "--policy", path, "--", "echo", "never");
    expect_position_error(&c, path, 125);
    assert_string_equal(c.out, "");
    captured_free(&c);
    c = CORDON_IN("echo never\n", "batch", "--policy", path);
    expect_position_error(&c, path, 125);
    captured_free(&c);
    c = CORDON("run", "--policy", "cordon-no-such-policy", "--", "true");
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "cordon-no-such-policy"));
    captured_free(&c);
    free(path);
    remove_tree(dir);
}

static void test_policy_show_expands_includes(void **state)
{
    (void)state;
    captured c = CORDON("policy", "show", "nonet");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "socket"));
    assert_non_null(strstr(c.out, "mount"));  /* from the included default */
    captured_free(&c);
    captured bpf = CORDON("policy", "show", "--bpf", "nonet");
    expect_status(&bpf, 0);
    assert_true(bpf.out_len > c.out_len);
    captured_free(&bpf);
}

static void test_policy_usage_errors_are_125(void **state)
{
    (void)state;
    captured c = CORDON("policy");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: policy: no action given (check, show, list, import, "
                               "explain or diff) (see 'cordon policy --help')\n");
    captured_free(&c);
    c = CORDON("policy", "check");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: policy: a policy FILE or NAME is needed "
                               "(see 'cordon policy --help')\n");
    captured_free(&c);
    /* An empty name was checked as a policy of no name: ": error: …". */
    c = CORDON("policy", "check", "");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: policy: the policy FILE or NAME is empty "
                               "(see 'cordon policy --help')\n");
    captured_free(&c);
    /* explain's empty name was the linter's "no policy name given", 1. */
    c = CORDON("policy", "explain", "", "read");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: policy: the policy FILE or NAME is empty "
                               "(see 'cordon policy --help')\n");
    captured_free(&c);
    c = CORDON("policy", "explain", "default", "");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: policy: the SYSCALL is empty "
                               "(see 'cordon policy --help')\n");
    captured_free(&c);
    c = CORDON("policy", "frob", "x");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: policy: unknown action 'frob' (expected check, show, "
                               "list, import, explain or diff; see 'cordon policy --help')\n");
    captured_free(&c);
}

/* A word that is no option of the action is named, as run, batch and
 * report name theirs (before: "unknown option" alone, or for diff "diff
 * takes two policies"); a flag given a value is said so (it was "unknown
 * option '--bpf=1'"), and import's --out that cannot be written is said
 * before the import (its notes came first). */
static void test_policy_unknown_options_are_named(void **state)
{
    (void)state;
    const struct { const char *args[6]; const char *message; } cases[] = {
        { { "policy", "check", "--bogus", "default", NULL },
          "cordon: policy check: unknown option '--bogus' (see 'cordon policy --help')\n" },
        { { "policy", "import", "--bogus", "d.json", NULL },
          "cordon: policy import: unknown option '--bogus' (see 'cordon policy --help')\n" },
        { { "policy", "show", "default", "--strict", NULL },
          "cordon: policy show: unknown option '--strict' (see 'cordon policy --help')\n" },
        { { "policy", "diff", "--x", "default", "nonet", NULL },
          "cordon: policy diff: unknown option '--x' (see 'cordon policy --help')\n" },
        { { "policy", "diff", "default", "nonet", "-q", NULL },
          "cordon: policy diff: unknown option '-q' (see 'cordon policy --help')\n" },
        { { "policy", "explain", "--x", "default", "read", NULL },
          "cordon: policy explain: unknown option '--x' (see 'cordon policy --help')\n" },
        { { "policy", "list", "--all", NULL },
          "cordon: policy list: unknown option '--all' (see 'cordon policy --help')\n" },
        /* a flag given a value is said so, as run says it */
        { { "policy", "show", "--bpf=1", "default", NULL },
          "cordon: policy show: --bpf takes no value\n" },
        { { "policy", "check", "--strict=1", "default", NULL },
          "cordon: policy check: --strict takes no value\n" },
        { { "learn", "--no-verify=yes", "--", "true", NULL },
          "cordon: --no-verify takes no value\n" },
        { { "policy", "import", "--out", "/", "d.json", NULL },
          "cordon: --out: '/' names a directory; give a file\n" },
        { { "policy", "--strict", "check", "default", NULL },
          "cordon: policy: '--strict' before the action: give the action first (check, show, "
          "list, import, explain or diff; see 'cordon policy --help')\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        captured c = cordon_with_input(NULL, cases[i].args);
        expect_status(&c, 125);
        assert_string_equal(c.err, cases[i].message);
        assert_string_equal(c.out, "");
        captured_free(&c);
    }
    /* A negative argument of the syscall is no option. */
    captured c = CORDON("policy", "explain", "default", "read", "-1");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "read(-1, NULL, 0) under default: allow"));
    captured_free(&c);
    /* and "--" before the syscall ends the options */
    c = CORDON("policy", "explain", "default", "--", "kill", "-1", "9");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "kill(-1, SIGKILL) under default: allow"));
    captured_free(&c);
    /* and a word past it is a name, "--help" too: it printed the help. */
    c = CORDON("policy", "explain", "default", "--", "--help");
    expect_status(&c, 125);
    assert_string_equal(c.out, "");
    assert_non_null(strstr(c.err, "--help"));
    assert_null(strstr(c.err, "Usage"));
    captured_free(&c);
}

static void test_run_policy_none_and_a_violation(void **state)
{
    (void)state;
    captured c = CORDON("run", "--json", "--policy", "nonet-kill", "--", "bash", "-c",
                        "echo > /dev/tcp/127.0.0.1/9");
    /* 128 + SIGSYS, as a seccomp kill: not 137, which an OOM kill gives. */
    assert_int_equal(c.status, 159);
    assert_int_equal(python_check(c.out, c.out_len,
        "assert d['policy'] == 'nonet-kill' and d['exception'] == 'PolicyViolation'\n"
        "assert 'socket' in d['exc_out']"), 0);
    captured_free(&c);
}

/* ---- report --------------------------------------------------------- */

static void write_audit(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    const char *line = "{\"command\":\"%s\",\"exit_code\":%d,\"exception\":%s,"
                       "\"std_out\":\"x\\\"y\\u00ff\",\"usage\":{\"wall_us\":%d,\"user_us\":%d,"
                       "\"sys_us\":0,\"max_rss_kb\":%d},\"history\":[{\"a\":[1,2,{}]}]}\n";
    fprintf(f, line, "fast", 0, "null", 500, 1000, 9000);
    fprintf(f, line, "busy", 0, "null", 2000000, 3000000, 1000);
    fprintf(f, line, "slow", 0, "null", 50000000, 20000, 2000);
    fprintf(f, line, "crash", 139, "\"SIGSEGV\"", 30000, 5000, 3000);
    fprintf(f, line, "late", 0, "\"Timeout\"", 1000000, 500, 3000);
    fprintf(f, line, "late too", 0, "\"Timeout\"", 1000000, 400, 3000);
    fprintf(f, line, "fails", 2, "null", 40000, 600, 3000);
    assert_int_equal(fclose(f), 0);
}

static void test_report_sorts_by_cpu_and_groups_failures(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/a.jsonl", dir);
    write_audit(path);
    captured c = CORDON("report", path);
    expect_status(&c, 0);
    const char *busy = strstr(c.out, " busy\n"), *slow = strstr(c.out, " slow\n");
    const char *crash = strstr(c.out, " crash\n"), *fast = strstr(c.out, " fast\n");
    assert_true(busy && slow && crash && fast);
    assert_true(busy < slow && slow < crash && crash < fast);
    /* every figure cut, never rounded: 3.0275 s of CPU is 3.02s, 9000 KiB 8.7M */
    assert_non_null(strstr(c.out, "total: 7 tasks, cpu 3.02s, wall 54.07s, peak rss 8.7M\n"));
    assert_non_null(strstr(c.out, "failures: 4\n"
                                  "  Timeout                 2\n"
                                  "  SIGSEGV                 1\n"
                                  "  exit:2                  1\n"));
    assert_non_null(strstr(c.out, "wall time\n"
                                  "  <1ms             1 ##############\n"
                                  "  1-10ms           0\n"
                                  "  10-100ms         2 ###########################\n"
                                  "  0.1-1s           0\n"
                                  "  1-10s            3 ########################################\n"
                                  "  10-100s          1 ##############\n"));
    assert_string_equal(c.err, "");
    captured_free(&c);
    remove_tree(dir);
}

static void test_report_sort_rss_and_wall(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/a.jsonl", dir);
    write_audit(path);
    captured c = CORDON("report", "--sort", "rss", "--top", "1", path);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "sorted by rss\n"));
    assert_non_null(strstr(c.out, " fast\n(6 more; --top 0 shows all)\n"));
    captured_free(&c);
    c = CORDON("report", "--sort=wall", "--top=1", path);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, " slow\n(6 more"));
    captured_free(&c);
    c = CORDON("report", "--sort", "size", path);
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --sort: 'size' is not cpu, rss or wall\n");
    captured_free(&c);
    remove_tree(dir);
}

static void test_report_skips_lines_that_are_not_records(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/a.jsonl", dir);
    write_file(path, "{\"command\":\"ok\",\"usage\":{\"wall_us\":1}}\nnot json\n"
                     "{\"command\":\"torn\",\"usage\":{\"wa\n[1,2]\n");
    captured c = CORDON("report", path);
    expect_status(&c, 1);
    assert_non_null(strstr(c.out, "cordon report: 1 task in "));
    char expected[1600];
    snprintf(expected, sizeof expected,
             "cordon: %s:2: not a cordon audit record; skipped\n"
             "cordon: %s:3: not a cordon audit record; skipped\n"
             "cordon: %s:4: not a cordon audit record; skipped\n"
             "cordon: %s: 3 lines skipped\n", path, path, path, path);
    assert_string_equal(c.err, expected);
    captured_free(&c);
    c = CORDON("report", "/cordon/no/such.jsonl");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: report: cannot read '/cordon/no/such.jsonl': "
                               "No such file or directory\n");
    captured_free(&c);
    remove_tree(dir);
}

/* A torn escape at the end of a string, and control bytes in a command:
 * read safely, printed harmlessly. */
static void test_report_reads_hostile_lines_safely(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/a.jsonl", dir);
    write_file(path, "{\"command\":\"x\\u\",\"usage\":{}}\n"
                     "{\"command\":\"a\\u001b]0;title\\u0007b\\nc\",\"usage\":{\"wall_us\":5}}\n");
    captured c = CORDON("report", path);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "cordon report: 2 tasks in "));
    assert_null(strchr(c.out, '\033'));
    assert_null(strchr(c.out, '\007'));
    assert_non_null(strstr(c.out, "a?]0;title?b?c\n"));
    captured_free(&c);
    remove_tree(dir);
}

/* 100k audit lines of a realistic size must take well under a second. */
/* A large audit file is read whole (its speed is measured in bench/, not
 * here: a test on a shared machine cannot time it). */
static void test_report_of_100k_lines(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/big.jsonl", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 100000; i++)
        fprintf(f, "{\"command\":\"task %d\",\"policy\":\"default\",\"limits\":{\"timeout_ms\":"
                   "null,\"output\":67108864},\"exit_code\":%d,\"signal\":0,\"exception\":%s,"
                   "\"std_out\":\"some output of the task\\n\\u00ff\",\"std_err\":\"\","
                   "\"log_out\":\"\",\"exc_out\":\"\",\"returns\":\"\",\"dropped\":{\"std_out\":0},"
                   "\"usage\":{\"wall_us\":%d,\"user_us\":%d,\"sys_us\":%d,\"max_rss_kb\":%d,"
                   "\"minflt\":64,\"majflt\":0,\"nvcsw\":1,\"nivcsw\":5,\"inblock\":0,"
                   "\"oublock\":0},\"attempts\":1,\"status\":0}\n",
                i, i % 7 == 0, i % 11 == 0 ? "\"Timeout\"" : "null", (int)((long)i * 7919 % 10000000),
                (int)((long)i * 104729 % 1000000), i % 1000, 1000 + i % 5000);
    assert_int_equal(fclose(f), 0);
    captured c = CORDON("report", path);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "cordon report: 100000 tasks in "));
    captured_free(&c);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_list_names_the_shipped_policies),
        cmocka_unit_test(test_policy_check_accepts_a_good_policy),
        cmocka_unit_test(test_policy_check_names_file_line_column),
        cmocka_unit_test(test_run_with_a_bad_policy_is_125),
        cmocka_unit_test(test_policy_show_expands_includes),
        cmocka_unit_test(test_policy_usage_errors_are_125),
        cmocka_unit_test(test_policy_unknown_options_are_named),
        cmocka_unit_test(test_run_policy_none_and_a_violation),
        cmocka_unit_test(test_report_sorts_by_cpu_and_groups_failures),
        cmocka_unit_test(test_report_sort_rss_and_wall),
        cmocka_unit_test(test_report_skips_lines_that_are_not_records),
        cmocka_unit_test(test_report_reads_hostile_lines_safely),
        cmocka_unit_test(test_report_of_100k_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
