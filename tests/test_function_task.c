/* Function tasks: a fresh child from the parent's memory, whose doings never
 * reach the parent, with its whole int return, output and log. */
#include "support.h"

static int shared_counter = 41;

static int add_one(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int *value = arg;
    shared_counter++;
    *value += 1;
    return shared_counter + *value;
}

static void test_function_sees_parent_memory_and_cannot_change_it(void **state)
{
    (void)state;
    int value = 100;
    cordon_task *t = cordon_function_task(add_one, &value);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 42 + 101);
    assert_int_equal(shared_counter, 41);
    assert_int_equal(value, 100);
    assert_null(r->exception);
    assert_int_equal(r->attempts, 1);
    cordon_task_free(t);
}

static int big_return(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    return *(int *)arg;
}

static void test_function_exit_code_is_the_whole_int(void **state)
{
    (void)state;
    int values[] = { 100000, -7, 256, INT32_MIN, INT32_MAX, 0 };
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        cordon_task *t = cordon_function_task(big_return, &values[i]);
        const cordon_result *r = run_task(t, 0);
        assert_int_equal(r->exit_code, values[i]);
        assert_int_equal(r->signal, 0);
        cordon_task_free(t);
    }
}

static int print_without_flush(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("no newline, no flush");
    fputs("to stderr too", stderr);
    return 0;
}

static void test_function_unflushed_printf_is_not_lost(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(print_without_flush, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "no newline, no flush");
    assert_string_equal(r->std_err.data, "to stderr too");
    cordon_task_free(t);
}

static void test_function_does_not_repeat_the_parents_buffered_output(void **state)
{
    (void)state;
    /* Make stdout fully buffered and leave bytes in it before the fork. */
    static char buffer[4096];
    fflush(stdout);
    setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
    printf("PARENT-PENDING");
    cordon_task *t = cordon_function_task(print_without_flush, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_null(strstr(r->std_out.data, "PARENT-PENDING"));
    assert_string_equal(r->std_out.data, "no newline, no flush");
    /* The parent's bytes are still the parent's. */
    printf("\n");
    fflush(stdout);
    setvbuf(stdout, NULL, _IOLBF, 0);
    cordon_task_free(t);
}

static void write_atexit_marker(void)
{
    fputs("ATEXIT-RAN", stdout);
    fflush(stdout);
}

static int returns_normally(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    puts("body");
    return 0;
}

static void test_function_child_never_runs_parent_atexit_handlers(void **state)
{
    (void)state;
    static int registered;
    if (!registered++)
        atexit(write_atexit_marker);
    cordon_task *t = cordon_function_task(returns_normally, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "body\n");
    cordon_task_free(t);
}

static int logs_lines(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_log(ctx, "first %d", 1);
    cordon_log(ctx, "second already ends\n");
    char big[10000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cordon_log(ctx, "%s", big);
    printf("stdout stays apart");
    return 0;
}

static void test_function_log_goes_to_log_out(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(logs_lines, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->log_out.len, strlen("first 1\nsecond already ends\n") + 9999 + 1);
    assert_memory_equal(r->log_out.data, "first 1\nsecond already ends\nxxx", 31);
    assert_int_equal(r->log_out.data[r->log_out.len - 1], '\n');
    assert_string_equal(r->std_out.data, "stdout stays apart");
    cordon_task_free(t);
}

static int reads_stdin(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char buffer[64];
    size_t n = fread(buffer, 1, sizeof buffer, stdin);
    fwrite(buffer, 1, n, stdout);
    return (int)n;
}

static void test_function_stdin_is_dev_null_by_default(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(reads_stdin, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->std_out.len, 0);
    assert_int_equal(cordon_set_stdin(t, "given\0bytes", 11), 0);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, 11);
    assert_memory_equal(r->std_out.data, "given\0bytes", 11);
    cordon_task_free(t);
}

static void test_function_task_runs_again_with_a_fresh_result(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(logs_lines, NULL);
    run_task(t, 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "stdout stays apart");
    assert_int_equal(r->attempts, 1);
    cordon_task_free(t);
}

static int raises_then_prints(cordon_ctx *ctx, void *arg)
{
    printf("%s", (const char *)arg);
    fflush(stdout);
    cordon_raise(ctx, "Kept", "read through the pointer kept");
}

/* The result's address stays the same across runs; one kept from before a
 * run read a NULL message and the views of the run before it until
 * cordon_task_result was called again.  It is current at every run's end. */
static void test_function_result_kept_across_runs_is_current(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(raises_then_prints, "first");
    const cordon_result *kept = cordon_task_result(t);
    assert_int_equal(cordon_run(t), CORDON_EXCEPTION);
    assert_string_equal(kept->exception, "Kept");
    assert_string_equal(kept->message, "read through the pointer kept");
    assert_string_equal(kept->std_out.data, "first");
    assert_non_null(strstr(kept->exc_out.data, "Kept: read through the pointer kept"));
    cordon_task_free(t);
    t = cordon_function_task(returns_normally, NULL);
    kept = cordon_task_result(t);
    assert_int_equal(cordon_run(t), 0);
    assert_null(kept->exception);
    assert_string_equal(kept->message, "");
    cordon_task_free(t);
}

static void test_function_task_refuses_bad_arguments(void **state)
{
    (void)state;
    errno = 0;
    assert_null(cordon_function_task(NULL, NULL));
    assert_int_equal(errno, EINVAL);
    assert_int_equal(cordon_run(NULL), -EINVAL);
    cordon_task *t = cordon_function_task(returns_normally, NULL);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_COUNT_, 1), -EINVAL);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_OUTPUT, 0), -EINVAL);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_RETURN, (2ull << 30)), -EINVAL);
    assert_int_equal(cordon_join(t), -EINVAL); /* nothing to join */
    cordon_task_free(t);
    cordon_task_free(NULL);
}

/* A function task is a fork of the caller: its environment is the caller's
 * own, which cordon cannot edit without running setenv in the child.  An
 * option that would be accepted and then ignored is refused; the working
 * directory, which the child can change safely, is applied. */
static int reports_env_and_cwd(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char dir[256];
    const char *value = getenv("CORDON_TEST_FUNCTION_ENV");
    printf("%s %s", value ? value : "(unset)", getcwd(dir, sizeof dir) ? dir : "?");
    return 0;
}

static void test_function_task_refuses_environment_options_it_cannot_apply(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(reports_env_and_cwd, NULL);
    assert_int_equal(cordon_set_env(t, "CORDON_TEST_FUNCTION_ENV=given"), -EINVAL);
    assert_int_equal(cordon_clear_env(t), -EINVAL);
    assert_int_equal(cordon_set_cwd(t, "/"), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "(unset) /");
    cordon_task_free(t);
}

static void test_function_result_before_any_run_is_empty(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(returns_normally, NULL);
    const cordon_result *r = cordon_task_result(t);
    assert_non_null(r);
    assert_null(r->exception);
    assert_string_equal(r->std_out.data, "");
    assert_int_equal(r->returns.len, 0);
    size_t count = 99;
    cordon_task_history(t, &count);
    assert_int_equal(count, 0);
    cordon_task_free(t);
}

/* What a function task's process saw of a command task it ran. */
struct nested_run {
    pid_t pid;
    int rc, exit_code;
    char why[256];
};

static void run_true_in(struct nested_run *run)
{
    const char *argv[] = { "/bin/true", NULL };
    cordon_task *t = cordon_command_task(argv);
    run->pid = getpid();
    run->rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    run->exit_code = r->exit_code;
    snprintf(run->why, sizeof run->why, "%s", r->exc_out.data ? r->exc_out.data : "");
    cordon_task_free(t);
}

/* Its fds are its own: the caller's, closed at its start, are taken by
 * files of its own before it runs a task. */
static int runs_a_command_on_fds_of_its_own(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    for (int i = 0; i < 8; i++)
        open("/dev/null", O_RDONLY);
    struct nested_run run;
    run_true_in(&run);
    cordon_return(ctx, &run, sizeof run);
    return 0;
}

/* Runs a command task, then a function task that runs one. */
static int runs_a_command_then_a_function(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    struct nested_run runs[2];
    run_true_in(&runs[0]);
    cordon_task *t = cordon_function_task(runs_a_command_on_fds_of_its_own, NULL);
    cordon_set_policy(t, NULL);
    memset(&runs[1], 0, sizeof runs[1]);
    if (cordon_run(t) == 0 && cordon_task_result(t)->returns.len == sizeof runs[1])
        memcpy(&runs[1], cordon_task_result(t)->returns.data, sizeof runs[1]);
    else
        runs[1].rc = -1;
    cordon_task_free(t);
    cordon_return(ctx, runs, sizeof runs);
    return 0;
}

/* A function task's process is pid 2 of its own pid namespace, and so is
 * that of a function task it runs: what cordon keeps per process (the
 * Landlock ruleset's fd among others) was kept by pid, and the inner one
 * took its parent's for its own.  Its command task was refused ("the
 * task's child failed entering its Landlock domain: File descriptor in
 * bad state": the fd was one of its own files by then). */
static void test_function_task_in_a_function_task_runs_tasks_of_its_own(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(runs_a_command_then_a_function, NULL);
    cordon_set_policy(t, NULL);
    const cordon_result *r = run_task(t, 0);
    struct nested_run runs[2];
    assert_int_equal(r->returns.len, sizeof runs);
    memcpy(runs, r->returns.data, sizeof runs);
    cordon_task_free(t);
    assert_int_equal(runs[0].rc, 0);
    /* Root's task, its capabilities dropped, can make no user namespace
     * (mapping uid 0 takes CAP_SETFCAP) and so no pid namespace for a
     * task of its own: that task's tree is its process group's, its
     * filter refuses setsid, and a task it starts in turn is refused,
     * saying why (before: "Operation not permitted" alone). */
    if (runs[1].pid != runs[0].pid) {
        assert_int_equal(runs[1].rc, CORDON_EXCEPTION);
        assert_non_null(strstr(runs[1].why, "ConfinementError: the task's child failed starting "
                                            "a session of its own"));
        assert_non_null(strstr(runs[1].why, "under a seccomp filter that refuses setsid"));
        return;
    }
    if (runs[1].rc != 0)
        print_message("inner task: rc %d, %s\n", runs[1].rc, runs[1].why);
    assert_int_equal(runs[1].rc, 0);
    assert_int_equal(runs[1].exit_code, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_function_sees_parent_memory_and_cannot_change_it),
        cmocka_unit_test(test_function_exit_code_is_the_whole_int),
        cmocka_unit_test(test_function_unflushed_printf_is_not_lost),
        cmocka_unit_test(test_function_does_not_repeat_the_parents_buffered_output),
        cmocka_unit_test(test_function_child_never_runs_parent_atexit_handlers),
        cmocka_unit_test(test_function_log_goes_to_log_out),
        cmocka_unit_test(test_function_stdin_is_dev_null_by_default),
        cmocka_unit_test(test_function_task_runs_again_with_a_fresh_result),
        cmocka_unit_test(test_function_result_kept_across_runs_is_current),
        cmocka_unit_test(test_function_task_refuses_bad_arguments),
        cmocka_unit_test(test_function_result_before_any_run_is_empty),
        cmocka_unit_test(test_function_task_refuses_environment_options_it_cannot_apply),
        cmocka_unit_test(test_function_task_in_a_function_task_runs_tasks_of_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
