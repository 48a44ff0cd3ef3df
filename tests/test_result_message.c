/* What a result says in one line: result.message, the exception's message
 * without its class or report, and cordon_succeeded. */
#include <signal.h>

#include "support.h"

static int raise_server_error(cordon_ctx *ctx, void *arg)
{
    cordon_raise(ctx, "ServerError", "connection refused by %s", (const char *)arg);
}

static void test_message_of_a_raise_is_its_text(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(raise_server_error, "db1");
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ServerError");
    assert_string_equal(r->message, "connection refused by db1");
    assert_false(cordon_succeeded(r));
    cordon_task_free(t);
}

/* A hostile message cannot add lines: its control bytes are shown. */
static void test_message_is_one_line_whatever_the_task_raises(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(raise_server_error, "x\nFakeError: y");
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->message, "connection refused by x\\x0aFakeError: y");
    assert_null(strchr(r->message, '\n'));
    cordon_task_free(t);
}

static int crash(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    raise(SIGSEGV);
    return 0;
}

static void test_message_of_a_crash_leaves_out_the_backtrace(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind delivers the task's SIGSEGV itself");
    cordon_task *t = cordon_function_task(crash, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    assert_string_equal(r->message, "Segmentation fault");
    assert_non_null(strstr(r->exc_out.data, "backtrace")); /* the report keeps it */
    cordon_task_free(t);
}

static void test_message_of_a_timeout(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 10");
    /* 1 s: under valgrind a task's start took 142 ms, and a deadline
     * passed before the task began is said as such. */
    cordon_set_timeout_ms(t, 1000);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->message,
                        r->confinement & CORDON_CONFINED_PID_NAMESPACE
                            ? "the task ran past its deadline of 1000 ms; its whole tree was killed"
                        : r->confinement & CORDON_CONFINED_CGROUP
                            ? "the task ran past its deadline of 1000 ms; its process group and "
                              "cgroup were killed"
                            : "the task ran past its deadline of 1000 ms; its process group was "
                              "killed");
    /* The next run replaces it. */
    cordon_set_timeout_ms(t, 0);
    cordon_task_free(t);
    t = shell("true");
    assert_string_equal(cordon_task_result(t)->message, ""); /* before any run */
    r = run_task(t, 0);
    assert_string_equal(r->message, "");
    cordon_task_free(t);
}

static int return_five(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 5;
}

static void test_succeeded_needs_no_exception_and_exit_code_zero(void **state)
{
    (void)state;
    cordon_task *t = shell("true");
    assert_true(cordon_succeeded(run_task(t, 0)));
    cordon_task_free(t);
    t = shell("exit 3");
    const cordon_result *r = run_task(t, 0);
    assert_null(r->exception);
    assert_false(cordon_succeeded(r)); /* no exception, and still no success */
    cordon_task_free(t);
    t = cordon_function_task(return_five, NULL);
    assert_false(cordon_succeeded(run_task(t, 0)));
    cordon_task_free(t);
    t = shell("true");
    assert_false(cordon_succeeded(cordon_task_result(t))); /* never ran: exit 0, though */
    cordon_task_free(t);
    assert_false(cordon_succeeded(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_of_a_raise_is_its_text),
        cmocka_unit_test(test_message_is_one_line_whatever_the_task_raises),
        cmocka_unit_test(test_message_of_a_crash_leaves_out_the_backtrace),
        cmocka_unit_test(test_message_of_a_timeout),
        cmocka_unit_test(test_succeeded_needs_no_exception_and_exit_code_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
