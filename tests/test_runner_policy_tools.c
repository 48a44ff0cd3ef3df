/* cordon policy check (the linter), explain and diff from a shell: their
 * output and exit statuses. */
#include "runner_support.h"

static char *policy_file(char **dir, const char *name, const char *text)
{
    *dir = make_temp_dir();
    char *path = malloc(300);
    assert_non_null(path);
    snprintf(path, 300, "%s/%s", *dir, name);
    write_file(path, text);
    return path;
}

static void test_check_lists_every_error_then_a_summary(void **state)
{
    (void)state;
    char *dir;
    char *path = policy_file(&dir, "bad.policy", "default allow\nkill sockett\nkill mount\n"
                                                 "errno EPERMM setsid\nallow socket\n"
                                                 "kill socket if arg0 != AF_UNIX\n");
    captured c = CORDON("policy", "check", path);
    expect_status(&c, 1);
    char expected[2000];
    snprintf(expected, sizeof expected,
             "%s:2:6: error: unknown syscall 'sockett' (did you mean 'socket'?)\n"
             "%s:4:7: error: unknown errno name 'EPERMM' (did you mean 'EPERM'?)\n"
             "%s:6:6: warning: this rule for 'socket' can never fire: the unconditional rule at "
             "%s:5 decides every call to it ('allow'); an unconditional rule overrides every "
             "conditional one for its syscall\n"
             "%s: 2 errors, 1 warning\n", path, path, path, path, path);
    assert_string_equal(c.out, expected);
    captured_free(&c);
    free(path);
    remove_tree(dir);
}

static void test_check_strict_fails_on_warnings_only(void **state)
{
    (void)state;
    char *dir;
    char *path = policy_file(&dir, "dead.policy", "default allow\nallow socket\n"
                                                  "kill socket if arg0 != AF_UNIX\n");
    captured c = CORDON("policy", "check", path);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, ": 0 errors, 1 warning\n"));
    captured_free(&c);
    c = CORDON("policy", "check", "--strict", path);
    expect_status(&c, 1);
    assert_non_null(strstr(c.out, ": 0 errors, 1 warning (--strict: warnings fail)\n"));
    captured_free(&c);
    c = CORDON("policy", "check", "--strict", "nonet");
    expect_status(&c, 0);
    assert_string_equal(c.out, "nonet: ok\n");
    captured_free(&c);
    free(path);
    remove_tree(dir);
}

static void test_explain_prints_the_decision_and_its_line(void **state)
{
    (void)state;
    char *dir;
    char *path = policy_file(&dir, "mine.policy", "include default\nkill socket if arg0 != AF_UNIX\n");
    captured c = CORDON("policy", "explain", path, "socket", "AF_INET", "SOCK_STREAM");
    expect_status(&c, 0);
    char expected[1000];
    snprintf(expected, sizeof expected, "socket(AF_INET, SOCK_STREAM, 0) under %s: kill\n"
             "  decided by %s:2: kill socket if arg0 != AF_UNIX\n"
             "  the compiled filter, run on this call: kill (agrees)\n", path, path);
    assert_string_equal(c.out, expected);
    captured_free(&c);
    free(path);
    remove_tree(dir);
    c = CORDON("policy", "explain", "default", "471");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "under default: errno ENOSYS\n  decided by 'newer'"));
    captured_free(&c);
    c = CORDON("policy", "explain", "default", "sokcet");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: policy explain: unknown syscall 'sokcet' (did you mean "
                               "'socket'?)\n");
    captured_free(&c);
    c = CORDON("policy", "explain", "default");
    expect_status(&c, 125);
    captured_free(&c);
    /* values past the call's own were dropped without a word */
    c = CORDON("policy", "explain", "default", "getpid", "1", "2", "3");
    expect_status(&c, 125);
    assert_string_equal(c.out, "");
    assert_string_equal(c.err, "cordon: policy explain: getpid takes no arguments (3 given)\n");
    captured_free(&c);
    /* a number past 64 bits is out of range, named ("unknown value") */
    c = CORDON("policy", "explain", "default", "socket", "99999999999999999999999");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: policy explain: value '99999999999999999999999' is out "
                               "of range (an argument is at most 64 bits)\n");
    captured_free(&c);
}

static void test_diff_exit_status_says_whether_they_differ(void **state)
{
    (void)state;
    captured c = CORDON("policy", "diff", "default", "nonet");
    expect_status(&c, 1);
    assert_int_equal(count_lines_starting(c.out, "socket: "), 1);
    assert_non_null(strstr(c.out, "decided differently by default and nonet\n"));
    captured_free(&c);
    c = CORDON("policy", "diff", "nonet", "nonet");
    expect_status(&c, 0);
    assert_string_equal(c.out, "nonet and nonet decide every call alike\n");
    captured_free(&c);
    c = CORDON("policy", "diff", "nonet");
    expect_status(&c, 125);
    captured_free(&c);
    c = CORDON("policy", "diff", "nonet", "nosuchpolicy");
    expect_status(&c, 125);
    captured_free(&c);
}

static void test_import_and_run_a_minijail_policy(void **state)
{
    (void)state;
    char *dir;
    char *path = policy_file(&dir, "service.policy",
                             "# minijail\nread: 1\nsocket: arg0 == AF_UNIX; return EACCES\n"
                             "frobnicate: 1\n");
    captured c = CORDON("policy", "import", path);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "default kill\nallow read    # "));
    assert_non_null(strstr(c.out, "allow socket if arg0 == 0x1    # "));
    assert_non_null(strstr(c.out, "errno EACCES socket if arg0 != 0x1    # "));
    assert_non_null(strstr(c.err, ":4:1: unknown syscall 'frobnicate' (left out: the default "
                                  "kills it)\n"));
    captured_free(&c);
    c = CORDON("policy", "import", "--strict", path);
    expect_status(&c, 1);
    captured_free(&c);
    char name[400];
    snprintf(name, sizeof name, "minijail:%s", path);
    c = CORDON("policy", "explain", name, "socket", "AF_INET");
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "socket(AF_INET, 0, 0) under minijail:"));
    assert_non_null(strstr(c.out, ": errno EACCES\n"));
    captured_free(&c);
    /* a run under it: the shell is killed by the allow-list, named */
    c = CORDON("run", "--policy", name, "--", "true");
    expect_status(&c, 159);
    assert_non_null(strstr(c.err, "PolicyViolation: the policy 'minijail:"));
    captured_free(&c);
    free(path);
    remove_tree(dir);
}

/* README.md, whole; the test runs from the top of the tree. */
static char *readme(void)
{
    FILE *f = fopen("README.md", "re");
    assert_non_null(f);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, out);
    fclose(f);
    fclose(out);
    return text;
}

/* The text between `start` (excluded) and the next "```" in `text`. */
static char *between(const char *text, const char *start)
{
    const char *from = strstr(text, start);
    if (!from)
        fail_msg("README.md has no '%s'", start);
    from += strlen(start);
    const char *to = strstr(from, "```");
    assert_non_null(to);
    return strndup(from, (size_t)(to - from));
}

/* The README's policy examples are what cordon says of them: its explain
 * showed a `kill` at nonet.policy:4 long after nonet came to answer
 * EAFNOSUPPORT at line 9, and its first example policy drew two warnings
 * from the linter it recommends. */
static void test_readme_policy_examples_are_what_cordon_says(void **state)
{
    (void)state;
    char *text = readme();
    char *shown = between(text, "$ cordon policy explain nonet socket AF_INET SOCK_STREAM\n");
    captured c = CORDON("policy", "explain", "nonet", "socket", "AF_INET", "SOCK_STREAM");
    expect_status(&c, 0);
    /* the README shows the installed path */
    const char *dir = getenv("CORDON_POLICY_PATH");
    assert_non_null(dir);
    char *said = strdup(c.out);
    for (char *at; (at = strstr(said, dir));) {
        char *rest = strdup(at + strlen(dir));
        *at = '\0';
        char *joined;
        assert_true(asprintf(&joined, "%s/usr/local/share/cordon/policies%s", said, rest) > 0);
        free(rest);
        free(said);
        said = joined;
    }
    assert_string_equal(said, shown);
    free(said);
    free(shown);
    captured_free(&c);

    char *example = between(text, "```\n# nonet-kill:");
    char *dir_made;
    char *policy_text;
    assert_true(asprintf(&policy_text, "# nonet-kill:%s", example) > 0);
    char *path = policy_file(&dir_made, "example.policy", policy_text);
    c = CORDON("policy", "check", "--strict", path);
    if (c.status != 0)
        fail_msg("the README's example policy:\n%s%s", c.out, c.err);
    captured_free(&c);
    free(path);
    remove_tree(dir_made);
    free(policy_text);
    free(example);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_lists_every_error_then_a_summary),
        cmocka_unit_test(test_check_strict_fails_on_warnings_only),
        cmocka_unit_test(test_explain_prints_the_decision_and_its_line),
        cmocka_unit_test(test_readme_policy_examples_are_what_cordon_says),
        cmocka_unit_test(test_diff_exit_status_says_whether_they_differ),
        cmocka_unit_test(test_import_and_run_a_minijail_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
