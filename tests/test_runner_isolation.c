/* cordon run's isolation options: their messages, and what they give a
 * command (file rules, no network, a private /tmp, the presets). */
#include <sys/stat.h>
#include <sys/syscall.h>

#include "runner_support.h"

static void expect_error(const char *option, const char *value, const char *message)
{
    captured c = CORDON("run", option, value, "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, message);
    assert_string_equal(c.out, "");
    captured_free(&c);
}

static void test_runner_isolation_bad_values_name_the_option(void **state)
{
    (void)state;
    expect_error("--net", "bogus", "cordon: --net: 'bogus' is neither 'none' nor 'host'\n");
    expect_error("--isolate", "nope", "cordon: --isolate: unknown preset 'nope' "
                                      "(judge, isolated)\n");
    expect_error("--ro", "/no/such/path", "cordon: --ro: '/no/such/path': No such file or "
                                          "directory\n");
    expect_error("--rw", "/no/such/path", "cordon: --rw: '/no/such/path': No such file or "
                                          "directory\n");
    expect_error("--exec", "/no/such/path", "cordon: --exec: '/no/such/path': No such file or "
                                            "directory\n");
    expect_error("--tmpfs", "tmp", "cordon: --tmpfs: 'tmp' is not an absolute path\n");
    expect_error("--tmpfs", "/etc/passwd", "cordon: --tmpfs: '/etc/passwd' is not a "
                                           "directory\n");
}

static bool landlock_available(void)
{
    return syscall(SYS_landlock_create_ruleset, NULL, 0, 1u) >= 1;
}

/* A scratch directory under the preset's private /tmp would be hidden. */
static void test_runner_isolation_scratch_under_private_tmp_is_refused(void **state)
{
    (void)state;
    if (!landlock_available()) {
        print_message("no Landlock here\n");
        skip();
    }
    char *dir = make_temp_dir();
    captured c = CORDON("run", "--isolate", "judge", "--rw", dir, "--", "true");
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "beneath a tmpfs of the task's own"));
    captured_free(&c);
    remove_tree(dir);
}

static void test_runner_isolation_judge_runs_a_command(void **state)
{
    (void)state;
    if (!landlock_available()) {
        print_message("no Landlock here\n");
        skip();
    }
    char dir[] = "/var/tmp/cordon-runner-judge-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0777), 0);
    captured c = CORDON("run", "--json", "--quiet", "--isolate", "judge", "--rw", dir, "--cwd",
                        dir, "--shell", "echo made > out && cat out && ls /home || true");
    if (c.status == 125 && strstr(c.out, "ConfinementError")) {
        print_message("no namespaces here: the preset fails closed\n");
        captured_free(&c);
        rmdir(dir);
        skip();
    }
    expect_status(&c, 0);
    assert_int_equal(python_check(c.out, c.out_len,
                                  "assert d['std_out'] == 'made\\n' and 'Permission denied' in "
                                  "d['std_err'] and {'file_rules', 'network_namespace', "
                                  "'private_tmpfs'} <= set(d['confinement'])"),
                     0);
    captured_free(&c);
    char out[128];
    snprintf(out, sizeof out, "%s/out", dir);
    unlink(out);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runner_isolation_bad_values_name_the_option),
        cmocka_unit_test(test_runner_isolation_scratch_under_private_tmp_is_refused),
        cmocka_unit_test(test_runner_isolation_judge_runs_a_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
