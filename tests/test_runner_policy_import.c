/* cordon policy import, and tasks run under --policy docker:FILE. */
#include "runner_support.h"

#define DEFAULT_PROFILE "tests/data/docker-seccomp/default.json"

static void test_import_writes_the_policy_and_says_what_it_left_out(void **state)
{
    (void)state;
    captured c = CORDON("policy", "import", DEFAULT_PROFILE);
    expect_status(&c, 0);
    assert_non_null(strstr(c.out, "\ndefault errno EPERM\n"));
    assert_non_null(strstr(c.out, "\nallow personality if arg0 == 0xffffffff\n"));
    assert_non_null(strstr(c.err, "cordon: " DEFAULT_PROFILE ":297:5: syscalls[0].names[233]: "
                                  "unknown syscall 'riscv_hwprobe' (left out)\n"));
    /* Docker's own 32-bit socket hole, which `policy check` reports */
    assert_non_null(strstr(c.err, "cordon: docker:" DEFAULT_PROFILE " (imported):64:7: warning: "
                                  "arg0 of 'socket' is a 32-bit int: the kernel reads only its "
                                  "lower 32 bits"));
    captured_free(&c);
}

/* "docker:FILE" as any policy argument takes it (and "minijail:"): import
 * had read it as a file's name, "cannot read policy file 'docker:...'". */
static void test_import_takes_the_prefix_of_policy_arguments(void **state)
{
    (void)state;
    captured plain = CORDON("policy", "import", DEFAULT_PROFILE);
    captured prefixed = CORDON("policy", "import", "docker:" DEFAULT_PROFILE);
    expect_status(&prefixed, 0);
    assert_string_equal(prefixed.out, plain.out);
    captured_free(&plain);
    captured_free(&prefixed);
}

static void test_import_strict_makes_notes_errors(void **state)
{
    (void)state;
    captured c = CORDON("policy", "import", "--strict", DEFAULT_PROFILE);
    expect_status(&c, 1);
    assert_string_equal(c.out, "");
    assert_non_null(strstr(c.err, "riscv_hwprobe"));
    assert_non_null(strstr(c.err, "cordon: policy import: 3 notes, and --strict makes them "
                                  "errors\n"));
    captured_free(&c);
}

static void test_import_out_file_then_check(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/docker.policy", dir);
    captured c = CORDON("policy", "import", "--out", path, DEFAULT_PROFILE);
    expect_status(&c, 0);
    assert_string_equal(c.out, "");
    captured_free(&c);
    c = CORDON("policy", "check", path);
    expect_status(&c, 0);
    captured_free(&c);

    /* A name another may have planted is never written through: a link
     * (before: the file it named was emptied and rewritten) or a policy
     * file every user may write, which could be loosened after. */
    char victim[300], link_path[300];
    snprintf(victim, sizeof victim, "%s/victim", dir);
    snprintf(link_path, sizeof link_path, "%s/link.policy", dir);
    write_file(victim, "secret\n");
    assert_int_equal(symlink(victim, link_path), 0);
    c = CORDON("policy", "import", "--out", link_path, DEFAULT_PROFILE);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "is a symbolic link"));
    captured_free(&c);
    assert_int_equal(file_size(victim), 7); /* "secret\n", untouched */
    assert_int_equal(chmod(path, 0666), 0);
    c = CORDON("policy", "import", "--out", path, DEFAULT_PROFILE);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "may be written by every user (mode 0666)"));
    captured_free(&c);
    remove_tree(dir);
}

static void test_import_malformed_profile_is_1_with_its_place(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[300], expected[400];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    write_file(path, "{\"defaultAction\": 5}\n");
    captured c = CORDON("policy", "import", path);
    expect_status(&c, 1);
    assert_string_equal(c.out, "");
    snprintf(expected, sizeof expected,
             "cordon: %s:1:19: defaultAction: expected a string, found a number\n", path);
    assert_string_equal(c.err, expected);
    captured_free(&c);
    c = CORDON("run", "--policy", "docker:/nonexistent.json", "--", "true");
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "/nonexistent.json"));
    captured_free(&c);
    remove_tree(dir);
}

/* A docker: or minijail: policy that cannot be read or parsed is said
 * once, as the --policy's error (before: the import that looks for notes
 * said it too, in the same words). */
static void test_unreadable_or_malformed_profile_is_said_once(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char jobs[300], truncated[300], bad_minijail[300], policy[320], expected[600];
    snprintf(jobs, sizeof jobs, "%s/jobs", dir);
    write_file(jobs, "true\n");
    const char *missing[][2] = { { "docker:/nonexistent.json", "/nonexistent.json" },
                                 { "minijail:/nonexistent", "/nonexistent" } };
    for (size_t i = 0; i < 2; i++) {
        snprintf(expected, sizeof expected, "cordon: --policy: cannot read policy file '%s': "
                 "No such file or directory\n", missing[i][1]);
        const char *const run_args[] = { "run", "--policy", missing[i][0], "--", "true", NULL };
        const char *const batch_args[] = { "batch", "--policy", missing[i][0], jobs, NULL };
        const char *const learn_args[] = { "learn", "--policy", missing[i][0], "--", "true",
                                           NULL };
        const char *const *each[] = { run_args, batch_args, learn_args };
        for (size_t k = 0; k < 3; k++) {
            captured c = cordon_with_input(NULL, each[k]);
            expect_status(&c, 125);
            assert_string_equal(c.err, expected);
            assert_string_equal(c.out, "");
            captured_free(&c);
        }
    }
    /* A parse error says its place, once. */
    snprintf(truncated, sizeof truncated, "%s/truncated.json", dir);
    write_file(truncated, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [");
    snprintf(policy, sizeof policy, "docker:%s", truncated);
    snprintf(expected, sizeof expected, "cordon: %s:1:50: expected a value, found end of input\n",
             truncated);
    captured c = CORDON("run", "--policy", policy, "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, expected);
    captured_free(&c);
    c = CORDON("batch", "--policy", policy, jobs);
    expect_status(&c, 125);
    assert_string_equal(c.err, expected);
    captured_free(&c);
    c = CORDON("policy", "explain", policy, "read");
    expect_status(&c, 1);
    assert_string_equal(c.err, expected);
    captured_free(&c);
    snprintf(bad_minijail, sizeof bad_minijail, "%s/bad.policy", dir);
    write_file(bad_minijail, "read\n");
    snprintf(policy, sizeof policy, "minijail:%s", bad_minijail);
    snprintf(expected, sizeof expected, "cordon: %s:1:5: expected 'SYSCALL: \xe2\x80\xa6'\n",
             bad_minijail);
    c = CORDON("run", "--policy", policy, "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, expected);
    captured_free(&c);
    c = CORDON("policy", "explain", "docker:/nonexistent.json", "read");
    expect_status(&c, 1);
    assert_string_equal(c.err, "cordon: cannot read policy file '/nonexistent.json': "
                               "No such file or directory\n");
    captured_free(&c);
    remove_tree(dir);
}

static void test_import_usage_errors_are_125(void **state)
{
    (void)state;
    captured c = CORDON("policy", "import");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: policy: a profile FILE is needed "
                               "(see 'cordon policy --help')\n");
    captured_free(&c);
    c = CORDON("policy", "import", DEFAULT_PROFILE, "--out");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: policy: --out needs a FILE "
                               "(see 'cordon policy --help')\n");
    captured_free(&c);
    c = CORDON("policy", "import", "--bpf", DEFAULT_PROFILE);
    expect_status(&c, 125);
    captured_free(&c);
}

static void test_run_under_a_docker_profile(void **state)
{
    (void)state;
    captured c = CORDON("run", "--policy", "docker:" DEFAULT_PROFILE, "--", "echo", "hi");
    expect_status(&c, 0);
    assert_string_equal(c.out, "hi\n");
    assert_non_null(strstr(c.err, "riscv_hwprobe"));
    captured_free(&c);
    c = CORDON("run", "--quiet", "--policy", "docker:" DEFAULT_PROFILE, "--", "echo", "hi");
    expect_status(&c, 0);
    assert_string_equal(c.err, "");
    captured_free(&c);

    /* a profile's errno reaches the command: mkdir fails with EACCES */
    char *dir = make_temp_dir();
    char profile[300], policy[320], target[320];
    snprintf(profile, sizeof profile, "%s/p.json", dir);
    snprintf(policy, sizeof policy, "docker:%s", profile);
    snprintf(target, sizeof target, "%s/made", dir);
    write_file(profile, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                        "[\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", "
                        "\"errnoRet\": 13}]}");
    c = CORDON("run", "--json", "--policy", policy, "--", "mkdir", target);
    assert_int_equal(python_check(c.out, c.out_len,
        "assert d['exit_code'] == 1 and d['exception'] is None, d\n"
        "assert 'Permission denied' in d['std_err'], d\n"
        "assert d['policy'].startswith('docker:')"), 0);
    captured_free(&c);
    struct stat st;
    assert_int_equal(stat(target, &st), -1);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_writes_the_policy_and_says_what_it_left_out),
        cmocka_unit_test(test_import_takes_the_prefix_of_policy_arguments),
        cmocka_unit_test(test_import_strict_makes_notes_errors),
        cmocka_unit_test(test_import_out_file_then_check),
        cmocka_unit_test(test_import_malformed_profile_is_1_with_its_place),
        cmocka_unit_test(test_unreadable_or_malformed_profile_is_said_once),
        cmocka_unit_test(test_import_usage_errors_are_125),
        cmocka_unit_test(test_run_under_a_docker_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
