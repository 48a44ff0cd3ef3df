/* Command tasks: PATH lookup without a shell, shell lines, exec failures,
 * environment, working directory, stdin and the log fd. */
#include <fcntl.h>
#include <sys/stat.h>

#include "support.h"

static void test_command_finds_argv0_in_path_and_passes_arguments(void **state)
{
    (void)state;
    const char *argv[] = { "printf", "[%s]", "two words", "*", NULL };
    cordon_task *t = cordon_command_task(argv);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "[two words][*]");
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
}

static void test_command_exit_status_is_its_own(void **state)
{
    (void)state;
    cordon_task *t = shell("exit 42");
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 42);
    assert_null(r->exception);
    cordon_task_free(t);
}

static void test_command_not_found_is_exec_error_127(void **state)
{
    (void)state;
    const char *argv[] = { "cordon-no-such-command", NULL };
    cordon_task *t = cordon_command_task(argv);
    /* A PATH of directories every user may search (see the next test for
     * one the task may not). */
    cordon_set_env(t, "PATH=/usr/bin:/bin");
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ExecError");
    assert_int_equal(r->exit_code, 127);
    assert_string_equal(r->exc_out.data, "ExecError: cannot execute 'cordon-no-such-command': "
                                         "No such file or directory\n");
    cordon_task_free(t);
    /* A name with a newline and an escape sequence (a job line's) stays
     * in the one line, and cannot drive the reader's terminal: before,
     * the message stopped at the newline and lost the reason. */
    const char *odd[] = { "cordon-no\nsuch\x1b[31m", NULL };
    t = cordon_command_task(odd);
    cordon_set_env(t, "PATH=/usr/bin:/bin");
    r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->message, "cannot execute 'cordon-no\\x0asuch\\x1b[31m': "
                                    "No such file or directory");
    assert_string_equal(r->exc_out.data, "ExecError: cannot execute 'cordon-no\\x0asuch"
                                         "\\x1b[31m': No such file or directory\n");
    cordon_task_free(t);
    /* UTF-8 stays as it is, as in the rest of cordon's messages (it was
     * "\xc3\xa9"); a name too long to show whole is cut between
     * characters, says so, and the reason still follows (a name of 700
     * such characters was cut inside an escape, "\xc3\xa9\x'"). */
    const char *accented[] = { "/cordon-no-such-dir/\xc3\xa9", NULL };
    t = cordon_command_task(accented);
    r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->message, "cannot execute '/cordon-no-such-dir/\xc3\xa9': "
                                    "No such file or directory");
    cordon_task_free(t);
    static char long_name[7 * (1 + 100 * 2) + 1];
    for (int part = 0; part < 7; part++) {
        strcat(long_name, "/");
        for (int i = 0; i < 100; i++)
            strcat(long_name, "\xc3\xa9");
    }
    const char *long_argv[] = { long_name, NULL };
    t = cordon_command_task(long_argv);
    r = run_task(t, CORDON_EXCEPTION);
    const char *end = strstr(r->message, "...': No such file or directory");
    assert_non_null(end);
    assert_null(strchr(r->message, '\\'));
    assert_true(end[-1] == '/' || (unsigned char)end[-1] == 0xa9); /* a whole character */
    cordon_task_free(t);
}

/* Root's PATH holds directories only root may search (/root/.local/bin),
 * and a task run as another user is refused every name there: execvp's
 * rule makes that EACCES, and a misspelt command read "Permission denied"
 * (126).  When the caller finds the name in no directory of the PATH it
 * is not found (127); a file there that the task may not run stays 126. */
static void test_command_not_found_behind_an_unsearchable_path_dir_is_127(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: a directory only the caller may search needs a task run as "
                      "another user (root)\n");
        skip();
    }
    char dir[] = "/tmp/cordon-test-private-XXXXXX", path_env[96], program[96];
    assert_non_null(mkdtemp(dir)); /* 0700, root's */
    snprintf(path_env, sizeof path_env, "PATH=%s:/usr/bin:/bin", dir);
    const char *missing[] = { "cordon-no-such-command", NULL };
    cordon_task *t = cordon_command_task(missing);
    assert_int_equal(cordon_set_env(t, path_env), 0);
    assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ExecError");
    assert_int_equal(r->exit_code, 127);
    assert_non_null(strstr(r->exc_out.data, "ExecError: cannot execute 'cordon-no-such-command': "
                                            "No such file or directory\n  (no directory of its "
                                            "PATH holds it;"));
    cordon_task_free(t);

    /* A program that is there, in the directory the task may not enter:
     * refused, as it is. */
    snprintf(program, sizeof program, "%s/cordon-private-program", dir);
    int fd = open(program, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
    close(fd);
    const char *private[] = { "cordon-private-program", NULL };
    t = cordon_command_task(private);
    assert_int_equal(cordon_set_env(t, path_env), 0);
    assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    r = run_task(t, CORDON_EXCEPTION);
    assert_int_equal(r->exit_code, 126);
    assert_string_equal(r->exc_out.data, "ExecError: cannot execute 'cordon-private-program': "
                                         "Permission denied\n");
    cordon_task_free(t);
    unlink(program);
    rmdir(dir);
}

/* execvp stops at the first candidate that exists but cannot be run (an
 * argument list too long, ENOEXEC, ETXTBSY) and says why; an earlier
 * directory of PATH that refused the search makes it EACCES only when the
 * search runs out.  A batch line of 200,000 bytes, run by root as nobody
 * with root's PATH, read "Permission denied". */
static void test_command_exec_error_after_an_unsearchable_path_dir_is_its_own(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("a command's child is a forked copy of valgrind there, which exits "
                        "with valgrind's own status when it has leaks");
    char dir[] = "/tmp/cordon-test-locked-XXXXXX", path_env[96];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0), 0); /* the task, without capabilities, cannot search it */
    snprintf(path_env, sizeof path_env, "PATH=%s:/usr/bin:/bin", dir);
    size_t len = 200000; /* past the kernel's 128 KiB for one argument */
    char *big = malloc(len + 1);
    assert_non_null(big);
    memset(big, 'x', len);
    big[len] = '\0';
    const char *argv[] = { "true", big, NULL };
    cordon_task *t = cordon_command_task(argv);
    free(big);
    assert_int_equal(cordon_set_env(t, path_env), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ExecError");
    assert_int_equal(r->exit_code, 126);
    /* the arguments and the environment are named as the cause */
    assert_true(strncmp(r->exc_out.data,
                        "ExecError: cannot execute 'true': Argument list too long\n"
                        "  (its arguments and environment together, ", 99) == 0);
    assert_non_null(strstr(r->exc_out.data, "128 KiB for any one string)\n"));
    cordon_task_free(t);
    rmdir(dir);
}

static void test_command_not_executable_is_exec_error_126(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("a command's child is a forked copy of valgrind there, which exits "
                        "with valgrind's own status when it has leaks");
    char path[] = "/tmp/cordon-test-noexec-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
    close(fd);
    chmod(path, 0644);
    const char *argv[] = { path, NULL };
    cordon_task *t = cordon_command_task(argv);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ExecError");
    assert_int_equal(r->exit_code, 126);
    assert_non_null(strstr(r->exc_out.data, "Permission denied"));
    cordon_task_free(t);
    unlink(path);
}

/* A script without a #! line is run by /bin/sh, as execvp, sh, make and
 * env run it: it failed with ENOEXEC (126), as a command task and as a
 * plain batch line, which the same line ending in ';' ran.  Found by the
 * PATH search too. */
static void test_command_script_without_an_interpreter_line_is_run_by_sh(void **state)
{
    (void)state;
    char dir[] = "/tmp/cordon-test-script-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/no-interpreter", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    const char script[] = "echo \"ran $0 with $# arguments: $*\"\n";
    assert_int_equal(write(fd, script, sizeof script - 1), (ssize_t)(sizeof script - 1));
    close(fd);
    const char *by_path[] = { path, "a", "b c", NULL };
    cordon_task *t = cordon_command_task(by_path);
    const cordon_result *r = run_task(t, 0);
    char expected[200];
    snprintf(expected, sizeof expected, "ran %s with 2 arguments: a b c\n", path);
    assert_string_equal(r->std_out.data, expected);
    cordon_task_free(t);
    const char *by_name[] = { "no-interpreter", NULL };
    char search[100];
    snprintf(search, sizeof search, "PATH=%s:/usr/bin:/bin", dir);
    t = cordon_command_task(by_name);
    assert_int_equal(cordon_set_env(t, search), 0);
    r = run_task(t, 0);
    snprintf(expected, sizeof expected, "ran %s with 0 arguments: \n", path);
    assert_string_equal(r->std_out.data, expected);
    cordon_task_free(t);
    unlink(path);
    rmdir(dir);
}

static void test_command_shell_task_runs_a_line(void **state)
{
    (void)state;
    cordon_task *t = shell("for i in 1 2 3; do printf $i; done; echo; echo oops >&2");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "123\n");
    assert_string_equal(r->std_err.data, "oops\n");
    cordon_task_free(t);
}

static void test_command_log_fd_is_named_in_environment(void **state)
{
    (void)state;
    cordon_task *t = shell("echo \"fd=$CORDON_LOG_FD\"; echo to-the-log >&$CORDON_LOG_FD");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "fd=3\n");
    assert_string_equal(r->log_out.data, "to-the-log\n");
    cordon_task_free(t);
}

static void test_command_environment_can_be_set_and_cleared(void **state)
{
    (void)state;
    setenv("CORDON_TEST_INHERITED", "yes", 1);
    cordon_task *t = shell("echo \"$CORDON_TEST_INHERITED/$CORDON_TEST_SET\"");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "yes/\n");
    assert_int_equal(cordon_set_env(t, "CORDON_TEST_SET=given"), 0);
    assert_int_equal(cordon_set_env(t, "CORDON_TEST_INHERITED=replaced"), 0);
    r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "replaced/given\n");
    assert_int_equal(cordon_set_env(t, "NO_EQUALS_SIGN"), -EINVAL);
    cordon_task_free(t);

    const char *argv[] = { "/usr/bin/env", NULL };
    t = cordon_command_task(argv);
    cordon_clear_env(t);
    cordon_set_env(t, "ONLY=this");
    /* A name set again takes the last value, once: both went to the
     * task, and a program saw the first or the last as its C library
     * chose.  A name that only begins the same is another. */
    assert_int_equal(cordon_set_env(t, "TWICE=first"), 0);
    assert_int_equal(cordon_set_env(t, "TWICE_NOT=other"), 0);
    assert_int_equal(cordon_set_env(t, "TWICE=last"), 0);
    /* cordon's own, whatever is given for them (a program run by cordon
     * may pass its environment on) */
    assert_int_equal(cordon_set_env(t, "CORDON_LOG_FD=7"), 0);
    assert_int_equal(cordon_set_env(t, "CORDON_ATTEMPT=9"), 0);
    r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "ONLY=this\nTWICE=last\nTWICE_NOT=other\n"
                                         "CORDON_LOG_FD=3\nCORDON_ATTEMPT=1\n");
    cordon_task_free(t);
    unsetenv("CORDON_TEST_INHERITED");
}

static void test_command_runs_in_the_given_directory(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("a command's child is a forked copy of valgrind there, which exits "
                        "with valgrind's own status when it has leaks");
    cordon_task *t = shell("pwd");
    cordon_set_cwd(t, "/usr/share");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "/usr/share\n");
    cordon_set_cwd(t, "/cordon/no/such/dir");
    r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ConfinementError");
    assert_string_equal(r->exc_out.data, "ConfinementError: the task's child failed changing to "
                                         "its working directory '/cordon/no/such/dir': No such "
                                         "file or directory\n");
    assert_string_equal(r->message, "the task's child failed changing to its working directory "
                                    "'/cordon/no/such/dir': No such file or directory");
    /* a newline in the name stays inside the one line of the message */
    cordon_set_cwd(t, "/cordon/no\nsuch");
    r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->message, "the task's child failed changing to its working directory "
                                    "'/cordon/no\\x0asuch': No such file or directory");
    /* removed between two runs: said to be gone, not to lead elsewhere */
    char removed[] = "/tmp/cordon-cwd-XXXXXX";
    assert_non_null(mkdtemp(removed));
    assert_int_equal(cordon_set_cwd(t, removed), 0);
    run_task(t, 0);
    assert_int_equal(rmdir(removed), 0);
    r = run_task(t, CORDON_EXCEPTION);
    char expected[200];
    snprintf(expected, sizeof expected, "the task was not started: the working directory '%s' "
             "cannot be found since it "
             "was given: No such file or directory", removed);
    assert_string_equal(r->message, expected);
    /* relative: the caller's directory's at the call, wherever the caller
     * went after (it was looked up again at the run, a ConfinementError) */
    char previous[4096], parent_of[64];
    assert_non_null(getcwd(previous, sizeof previous));
    assert_int_equal(mkdir(removed, 0755), 0);
    snprintf(parent_of, sizeof parent_of, "%s/sub", removed);
    assert_int_equal(mkdir(parent_of, 0755), 0);
    assert_int_equal(chdir(removed), 0);
    assert_int_equal(cordon_set_cwd(t, "sub"), 0);
    assert_int_equal(chdir("/"), 0);
    r = run_task(t, 0);
    assert_int_equal(chdir(previous), 0);
    rmdir(parent_of);
    rmdir(removed);
    snprintf(expected, sizeof expected, "%s\n", parent_of);
    assert_string_equal(r->std_out.data, expected);
    /* "" names no directory: refused by the call */
    assert_int_equal(cordon_set_cwd(t, ""), -EINVAL);
    assert_int_equal(cordon_set_cwd(t, "/usr/share"), 0);
    r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "/usr/share\n");
    cordon_task_free(t);
}

static void test_command_stdin_is_dev_null_or_given_bytes(void **state)
{
    (void)state;
    cordon_task *t = shell("wc -c");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "0\n");
    /* More than a pipe holds, so the parent must write while it reads. */
    size_t len = 3u << 20;
    char *data = malloc(len);
    memset(data, 'z', len);
    assert_int_equal(cordon_set_stdin(t, data, len), 0);
    r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "3145728\n");
    free(data);
    cordon_task_free(t);
}

static void test_command_stdin_from_a_callers_fd(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "from a pipe", 11), 11);
    close(fds[1]);
    cordon_task *t = shell("cat");
    cordon_set_stdin_fd(t, fds[0]);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "from a pipe");
    /* cordon does not close the caller's fd. */
    assert_true(fcntl(fds[0], F_GETFD) >= 0);
    close(fds[0]);
    cordon_task_free(t);
}

static void test_command_task_refuses_empty_argv(void **state)
{
    (void)state;
    const char *empty[] = { NULL };
    const char *blank[] = { "", NULL };
    assert_null(cordon_command_task(empty));
    assert_null(cordon_command_task(blank));
    assert_null(cordon_command_task(NULL));
    assert_null(cordon_shell_task(NULL));
    /* "" names no command: sh -c '' had run and ended 0. */
    errno = 0;
    assert_null(cordon_shell_task(""));
    assert_int_equal(errno, EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_finds_argv0_in_path_and_passes_arguments),
        cmocka_unit_test(test_command_exit_status_is_its_own),
        cmocka_unit_test(test_command_not_found_is_exec_error_127),
        cmocka_unit_test(test_command_not_found_behind_an_unsearchable_path_dir_is_127),
        cmocka_unit_test(test_command_exec_error_after_an_unsearchable_path_dir_is_its_own),
        cmocka_unit_test(test_command_not_executable_is_exec_error_126),
        cmocka_unit_test(test_command_script_without_an_interpreter_line_is_run_by_sh),
        cmocka_unit_test(test_command_shell_task_runs_a_line),
        cmocka_unit_test(test_command_log_fd_is_named_in_environment),
        cmocka_unit_test(test_command_environment_can_be_set_and_cleared),
        cmocka_unit_test(test_command_runs_in_the_given_directory),
        cmocka_unit_test(test_command_stdin_is_dev_null_or_given_bytes),
        cmocka_unit_test(test_command_stdin_from_a_callers_fd),
        cmocka_unit_test(test_command_task_refuses_empty_argv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
