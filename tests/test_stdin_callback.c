/* A task's stdin streamed from a callback: it arrives whole however it is
 * chunked, a task that stops reading holds up neither the deadline nor the
 * caller (no SIGPIPE), and a failing callback ends the task with
 * StdinError. */
#include <pthread.h>
#include <signal.h>

#include "support.h"

/* A stream of `total` bytes, from a generator both sides can recompute,
 * handed over in chunks of varying sizes (never more than asked). */
typedef struct stream {
    uint64_t total, given;
    unsigned calls;
    int fail_after_calls; /* > 0: return fail_with from that call on */
    ssize_t fail_with;
    bool overfill;        /* return more than cap */
    size_t cap;           /* the last cap it was given */
} stream;

static unsigned char byte_at(uint64_t i)
{
    return (unsigned char)((i * 2654435761u) >> 13);
}

static ssize_t give(void *user, char *buf, size_t cap)
{
    stream *s = user;
    s->calls++;
    s->cap = cap;
    if (s->fail_after_calls && (int)s->calls >= s->fail_after_calls)
        return s->fail_with;
    if (s->overfill)
        return (ssize_t)cap + 1;
    size_t want = 1 + (s->calls * 7919u) % 20000u; /* odd sizes, below and above a page */
    if (want > cap)
        want = cap;
    if (want > s->total - s->given)
        want = (size_t)(s->total - s->given);
    for (size_t i = 0; i < want; i++)
        buf[i] = (char)byte_at(s->given + i);
    s->given += want;
    return (ssize_t)want;
}

/* Reads stdin to its end and returns {bytes, mismatches}. */
static int read_and_check(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    uint64_t seen[2] = { 0, 0 };
    char buf[65536];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            seen[1] += (unsigned char)buf[i] != byte_at(seen[0] + (uint64_t)i);
        seen[0] += (uint64_t)n;
    }
    cordon_return(ctx, seen, sizeof seen);
    return 0;
}

#define SEVERAL_MIB (6u << 20)

static void test_stdin_callback_streams_several_mib_whole_to_a_function(void **state)
{
    (void)state;
    stream s = { .total = SEVERAL_MIB + 12345 };
    cordon_task *t = cordon_function_task(read_and_check, NULL);
    assert_int_equal(cordon_set_stdin_callback(t, give, &s), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 60000), 0);
    const cordon_result *r = run_task(t, 0);
    uint64_t seen[2];
    assert_int_equal(r->returns.len, sizeof seen);
    memcpy(seen, r->returns.data, sizeof seen);
    assert_int_equal(seen[0], s.total);
    assert_int_equal(seen[1], 0);
    assert_int_equal(s.given, s.total);
    assert_true(s.calls > 100); /* it was fed in chunks, not at once */
    cordon_task_free(t);
}

/* `cat` echoes it all back: stdin and stdout flow at once, and neither
 * pipe can stall the other. */
static void test_stdin_callback_echoed_by_cat_comes_back_whole(void **state)
{
    (void)state;
    stream s = { .total = SEVERAL_MIB };
    cordon_task *t = shell("exec cat");
    assert_int_equal(cordon_set_stdin_callback(t, give, &s), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 60000), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->std_out.len, SEVERAL_MIB);
    uint64_t mismatches = 0;
    for (uint64_t i = 0; i < SEVERAL_MIB; i++)
        mismatches += (unsigned char)r->std_out.data[i] != byte_at(i);
    assert_int_equal(mismatches, 0);
    cordon_task_free(t);
}

static int sleep_without_reading(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    for (;;)
        pause();
    return 0;
}

static void test_stdin_callback_task_that_never_reads_meets_the_deadline(void **state)
{
    (void)state;
    stream s = { .total = UINT64_MAX }; /* endless */
    cordon_task *t = cordon_function_task(sleep_without_reading, NULL);
    assert_int_equal(cordon_set_stdin_callback(t, give, &s), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 400), 0);
    uint64_t started = 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    started = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t took = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000 - started;
    assert_string_equal(r->exception, "Timeout");
    assert_true(took < 10000); /* a loaded machine is slow, never stuck */
    assert_true(s.given > 0 && s.given < (64u << 20)); /* what the pipe took, no more */
    cordon_task_free(t);
}

/* A task that exits without reading: no SIGPIPE reaches the caller (its
 * default action would kill this test), its disposition and mask are
 * unchanged, nothing is left pending. */
static void test_stdin_callback_unread_raises_no_sigpipe(void **state)
{
    (void)state;
    struct sigaction before, after;
    sigaction(SIGPIPE, NULL, &before);
    sigset_t mask_before, mask_after, pending;
    pthread_sigmask(SIG_SETMASK, NULL, &mask_before);
    for (int i = 0; i < 4; i++) {
        stream s = { .total = UINT64_MAX };
        cordon_task *t = i % 2 ? shell("exit 7") : cordon_function_task(sleep_without_reading, NULL);
        if (i % 2 == 0)
            assert_int_equal(cordon_set_timeout_ms(t, 200), 0);
        assert_int_equal(cordon_set_stdin_callback(t, give, &s), 0);
        int rc = i < 2 ? cordon_run(t) : cordon_run_async(t);
        if (i >= 2 && rc == 0)
            rc = cordon_join(t);
        assert_true(rc >= 0);
        if (i % 2)
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

static void test_stdin_callback_error_ends_the_task_with_stdin_error(void **state)
{
    (void)state;
    stream s = { .total = UINT64_MAX, .fail_after_calls = 20, .fail_with = -EIO };
    cordon_task *t = shell("exec cat >/dev/null");
    assert_int_equal(cordon_set_stdin_callback(t, give, &s), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 30000), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "StdinError");
    char expected[200];
    snprintf(expected, sizeof expected, "StdinError: the stdin callback failed after %llu bytes: "
             "Input/output error; the task was ended\n", (unsigned long long)s.given);
    assert_string_equal(r->exc_out.data, expected);
    assert_int_equal(s.calls, 20); /* not called again after its error */
    assert_int_equal(r->signal, SIGKILL);
    cordon_task_free(t);
}

static void test_stdin_callback_overfilling_its_buffer_is_an_error(void **state)
{
    (void)state;
    stream s = { .overfill = true };
    cordon_task *t = shell("exec cat >/dev/null");
    assert_int_equal(cordon_set_stdin_callback(t, give, &s), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 30000), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "StdinError");
    char expected[200];
    snprintf(expected, sizeof expected, "StdinError: the stdin callback returned %zu after 0 "
             "bytes, neither a count of at most %zu bytes (its cap) nor a negative errno; the "
             "task was ended\n", s.cap + 1, s.cap);
    assert_string_equal(r->exc_out.data, expected);
    cordon_task_free(t);
}

/* A negative return that is no errno (below -4095) is named as it was, not
 * as some errno it is not. */
static void test_stdin_callback_returning_no_errno_is_named_as_it_was(void **state)
{
    (void)state;
    stream s = { .total = UINT64_MAX, .fail_after_calls = 3, .fail_with = -100000 };
    cordon_task *t = shell("exec cat >/dev/null");
    assert_int_equal(cordon_set_stdin_callback(t, give, &s), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 30000), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "StdinError");
    assert_non_null(strstr(r->exc_out.data, "the stdin callback returned -100000 after "));
    assert_non_null(strstr(r->exc_out.data, "nor a negative errno"));
    assert_null(strstr(r->exc_out.data, "Value too large"));
    cordon_task_free(t);
}

static void test_stdin_callback_zero_is_the_end_of_input(void **state)
{
    (void)state;
    stream s = { .total = 0 };
    cordon_task *t = shell("wc -c");
    assert_int_equal(cordon_set_stdin_callback(t, give, &s), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(atoi(r->std_out.data), 0);
    assert_int_equal(s.calls, 1);
    cordon_task_free(t);
}

/* The last of cordon_set_stdin, _stdin_fd and _stdin_callback wins. */
static void test_stdin_callback_and_stdin_bytes_replace_each_other(void **state)
{
    (void)state;
    stream s = { .total = 1000 };
    cordon_task *t = shell("wc -c");
    assert_int_equal(cordon_set_stdin_callback(t, give, &s), 0);
    assert_int_equal(cordon_set_stdin(t, "abc", 3), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(atoi(r->std_out.data), 3);
    assert_int_equal(s.calls, 0);
    assert_int_equal(cordon_set_stdin_callback(t, give, &s), 0);
    r = run_task(t, 0);
    assert_int_equal(atoi(r->std_out.data), 1000);
    assert_int_equal(cordon_set_stdin_callback(t, NULL, NULL), 0);
    r = run_task(t, 0);
    assert_int_equal(atoi(r->std_out.data), 0); /* /dev/null */
    cordon_task_free(t);
    assert_int_equal(cordon_set_stdin_callback(NULL, give, &s), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stdin_callback_streams_several_mib_whole_to_a_function),
        cmocka_unit_test(test_stdin_callback_echoed_by_cat_comes_back_whole),
        cmocka_unit_test(test_stdin_callback_task_that_never_reads_meets_the_deadline),
        cmocka_unit_test(test_stdin_callback_unread_raises_no_sigpipe),
        cmocka_unit_test(test_stdin_callback_error_ends_the_task_with_stdin_error),
        cmocka_unit_test(test_stdin_callback_overfilling_its_buffer_is_an_error),
        cmocka_unit_test(test_stdin_callback_returning_no_errno_is_named_as_it_was),
        cmocka_unit_test(test_stdin_callback_zero_is_the_end_of_input),
        cmocka_unit_test(test_stdin_callback_and_stdin_bytes_replace_each_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
