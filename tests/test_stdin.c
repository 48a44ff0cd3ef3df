/* Bytes handed to a task's stdin: a task that never reads them (or exits
 * before it has) costs the caller nothing, not even a signal. */
#include <pthread.h>
#include <signal.h>

#include "support.h"

#define UNREAD_BYTES (1u << 20) /* far more than a pipe holds */

static int exit_without_reading(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 7;
}

static cordon_task *unreading_task(bool function)
{
    cordon_task *t = function ? cordon_function_task(exit_without_reading, NULL)
                              : shell("exit 7");
    assert_non_null(t);
    char *data = calloc(1, UNREAD_BYTES);
    assert_non_null(data);
    assert_int_equal(cordon_set_stdin(t, data, UNREAD_BYTES), 0);
    free(data);
    return t;
}

/* SIGPIPE's default action kills the caller: were it raised, the test
 * binary would die here.  Its disposition and the mask must be as before. */
static void check_no_sigpipe(bool function, bool async)
{
    struct sigaction before, after;
    sigaction(SIGPIPE, NULL, &before);
    sigset_t mask_before, mask_after, pending;
    pthread_sigmask(SIG_SETMASK, NULL, &mask_before);
    for (int i = 0; i < 5; i++) {
        cordon_task *t = unreading_task(function);
        int rc = async ? cordon_run_async(t) : cordon_run(t);
        if (async && rc == 0)
            rc = cordon_join(t);
        assert_int_equal(rc, 0);
        assert_int_equal(cordon_task_result(t)->exit_code, 7);
        cordon_task_free(t);
    }
    sigaction(SIGPIPE, NULL, &after);
    assert_true(after.sa_handler == before.sa_handler);
    pthread_sigmask(SIG_SETMASK, NULL, &mask_after);
    assert_int_equal(sigismember(&mask_after, SIGPIPE), sigismember(&mask_before, SIGPIPE));
    sigpending(&pending);
    assert_false(sigismember(&pending, SIGPIPE));
}

static void test_stdin_unread_by_a_command_raises_no_sigpipe(void **state)
{
    (void)state;
    check_no_sigpipe(false, false);
}

static void test_stdin_unread_by_a_function_raises_no_sigpipe(void **state)
{
    (void)state;
    check_no_sigpipe(true, false);
}

static void test_stdin_unread_in_an_async_command_raises_no_sigpipe(void **state)
{
    (void)state;
    check_no_sigpipe(false, true);
}

static void test_stdin_unread_in_an_async_function_raises_no_sigpipe(void **state)
{
    (void)state;
    check_no_sigpipe(true, true);
}

/* A SIGPIPE the caller had pending (and blocked) before is the caller's:
 * cordon must not take it away. */
static void test_stdin_keeps_a_sigpipe_the_caller_had_pending(void **state)
{
    (void)state;
    sigset_t pipe_only, previous, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
    raise(SIGPIPE);
    cordon_task *t = unreading_task(false);
    assert_int_equal(cordon_run(t), 0);
    cordon_task_free(t);
    sigpending(&pending);
    assert_true(sigismember(&pending, SIGPIPE));
    struct timespec zero = { 0, 0 };
    assert_int_equal(sigtimedwait(&pipe_only, NULL, &zero), SIGPIPE);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
}

/* The bytes a task does read still arrive whole. */
static void test_stdin_read_by_the_task_arrives_whole(void **state)
{
    (void)state;
    cordon_task *t = shell("wc -c");
    char *data = malloc(UNREAD_BYTES);
    assert_non_null(data);
    memset(data, 'x', UNREAD_BYTES);
    assert_int_equal(cordon_set_stdin(t, data, UNREAD_BYTES), 0);
    free(data);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(atoi(r->std_out.data), UNREAD_BYTES);
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stdin_unread_by_a_command_raises_no_sigpipe),
        cmocka_unit_test(test_stdin_unread_by_a_function_raises_no_sigpipe),
        cmocka_unit_test(test_stdin_unread_in_an_async_command_raises_no_sigpipe),
        cmocka_unit_test(test_stdin_unread_in_an_async_function_raises_no_sigpipe),
        cmocka_unit_test(test_stdin_keeps_a_sigpipe_the_caller_had_pending),
        cmocka_unit_test(test_stdin_read_by_the_task_arrives_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
