/* The deadline: the whole process group dies with SIGKILL, whatever the task
 * does to avoid it, and the result says Timeout. */
#include <signal.h>
#include <time.h>

#include "support.h"

static void test_deadline_sleeping_command_times_out(void **state)
{
    (void)state;
    cordon_task *t = shell("echo before; sleep 30");
    cordon_set_timeout_ms(t, 200);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "Timeout");
    assert_string_equal(r->std_out.data, "before\n"); /* output until then is kept */
    assert_int_equal(r->signal, SIGKILL);
    assert_int_equal(r->exit_code, 128 + SIGKILL); /* as a shell reports it */
    assert_true(r->usage.wall_us >= 200000);
    assert_true(r->usage.wall_us < 10u * 1000 * 1000);
    assert_string_equal(r->exc_out.data, "Timeout: the task ran past its deadline of 200 ms; "
                                         "its process group was killed\n");
    cordon_task_free(t);
}

static int stops_itself(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    raise(SIGSTOP);
    return 0;
}

static void test_deadline_stopped_task_is_killed(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(stops_itself, NULL);
    cordon_set_timeout_ms(t, 150);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "Timeout");
    cordon_task_free(t);
}

static int ignores_and_blocks_signals(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    for (;;)
        pause();
    return 0;
}

static void test_deadline_signal_ignoring_task_is_killed(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(ignores_and_blocks_signals, NULL);
    cordon_set_timeout_ms(t, 150);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "Timeout");
    cordon_task_free(t);
}

static void test_deadline_kills_grandchildren_too(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 60.0701 & sleep 60.0702");
    cordon_set_timeout_ms(t, 200);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "Timeout");
    assert_true(marked_processes_gone("60.0701", false));
    assert_true(marked_processes_gone("60.0702", false));
    cordon_task_free(t);
}

static void test_deadline_background_process_dies_when_task_ends(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 60.0703 >/dev/null 2>&1 & echo $!");
    const cordon_result *r = run_task(t, 0);
    assert_true(atoi(r->std_out.data) > 0);
    assert_true(marked_processes_gone("60.0703", false));
    cordon_task_free(t);
}

static void test_deadline_zero_means_none(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 0.3; echo done");
    cordon_set_timeout_ms(t, 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "done\n");
    cordon_task_free(t);
}

/* A deadline or CPU limit of centuries is no limit, not one that wrapped
 * around to "now". */
static void test_deadline_of_centuries_does_not_wrap(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 0.1; echo done");
    cordon_set_timeout_ms(t, UINT64_MAX / 1000);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, UINT64_MAX / 1000);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "done\n");
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_of_centuries_does_not_wrap),
        cmocka_unit_test(test_deadline_sleeping_command_times_out),
        cmocka_unit_test(test_deadline_stopped_task_is_killed),
        cmocka_unit_test(test_deadline_signal_ignoring_task_is_killed),
        cmocka_unit_test(test_deadline_kills_grandchildren_too),
        cmocka_unit_test(test_deadline_background_process_dies_when_task_ends),
        cmocka_unit_test(test_deadline_zero_means_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
