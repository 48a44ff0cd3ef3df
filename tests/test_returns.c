/* Returns through shared memory: exact bytes, the last call wins, a limit
 * that raises, and no return from a child that did not end cleanly. */
#include <signal.h>
#include <sys/mman.h>

#include "support.h"

static int return_bytes(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_return(ctx, "first", 5);
    static const char binary[] = "bin\0ary\xff";
    return cordon_return(ctx, binary, sizeof binary - 1);
}

static void test_returns_last_call_wins_byte_exact(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(return_bytes, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->returns.len, 8);
    assert_memory_equal(r->returns.data, "bin\0ary\xff", 8);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
}

/* NULL bytes with a length publish nothing and say so; NULL with none is
 * an empty return, which replaces the one before. */
static int return_null(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_return(ctx, "kept", 4);
    if (cordon_return(ctx, NULL, 5) != -EINVAL || cordon_return(NULL, "x", 1) != -EINVAL)
        return 1;
    return 0;
}

static int return_null_empty(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_return(ctx, "gone", 4);
    return cordon_return(ctx, NULL, 0);
}

static void test_returns_null_bytes_are_refused_but_an_empty_return_is_one(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(return_null, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->returns.len, 4);
    assert_memory_equal(r->returns.data, "kept", 4);
    cordon_task_free(t);
    t = cordon_function_task(return_null_empty, NULL);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->returns.len, 0);
    cordon_task_free(t);
}

static int return_struct(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    struct { double mean; long count; } summary = { 2.5, 4 };
    cordon_return(ctx, &summary, sizeof summary);
    return 0;
}

static void test_returns_a_struct(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(return_struct, NULL);
    const cordon_result *r = run_task(t, 0);
    struct { double mean; long count; } summary;
    assert_int_equal(r->returns.len, sizeof summary);
    memcpy(&summary, r->returns.data, sizeof summary);
    assert_true(summary.mean == 2.5 && summary.count == 4);
    cordon_task_free(t);
}

static int return_too_much(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    static char big[5000];
    cordon_return(ctx, big, sizeof big);
    return 0; /* not reached */
}

static void test_returns_too_large_is_an_exception(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(return_too_much, NULL);
    cordon_set_limit(t, CORDON_LIMIT_RETURN, 4096);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ReturnTooLarge");
    assert_string_equal(r->exc_out.data, "ReturnTooLarge: cordon_return: 5000 bytes exceed the "
                                         "return limit of 4096 bytes (CORDON_LIMIT_RETURN)\n");
    assert_int_equal(r->returns.len, 0);
    cordon_task_free(t);
}

static int killed_mid_write(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    /* The source's last page is unreadable: the copy inside cordon_return
     * faults half-way, with the region marked as being written. */
    size_t len = 64 * 4096;
    char *source = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (source == MAP_FAILED)
        return 1;
    memset(source, 'r', len);
    mprotect(source + len - 4096, 4096, PROT_NONE);
    cordon_return(ctx, "complete", 8);
    cordon_return(ctx, source, len);
    return 0;
}

static void test_returns_child_killed_mid_write_returns_nothing(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(killed_mid_write, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    assert_int_equal(r->returns.len, 0);
    /* The crash happened inside cordon_return's copy. */
    assert_non_null(strstr(r->exc_out.data, "cordon_return"));
    cordon_task_free(t);
}

static int corrupt_then_crash(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_return(ctx, "good", 4);
    /* Scribble over the whole shared page the context points into. */
    memset((char *)*(void **)ctx, 0x7f, 4096);
    raise(SIGSEGV);
    return 0;
}

static void test_returns_none_after_corruption_and_crash(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(corrupt_then_crash, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    assert_int_equal(r->returns.len, 0);
    assert_int_equal(r->signal, SIGSEGV);
    cordon_task_free(t);
}

static int raise_after_return(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_return(ctx, "partial", 7);
    cordon_raise(ctx, "ServerError", "after returning");
}

static void test_returns_not_read_when_the_task_raised(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(raise_after_return, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ServerError");
    assert_int_equal(r->returns.len, 0);
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_returns_last_call_wins_byte_exact),
        cmocka_unit_test(test_returns_a_struct),
        cmocka_unit_test(test_returns_null_bytes_are_refused_but_an_empty_return_is_one),
        cmocka_unit_test(test_returns_too_large_is_an_exception),
        cmocka_unit_test(test_returns_child_killed_mid_write_returns_nothing),
        cmocka_unit_test(test_returns_none_after_corruption_and_crash),
        cmocka_unit_test(test_returns_not_read_when_the_task_raised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
