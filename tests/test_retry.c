/* Retry: a fresh child per attempt while the exception matches, the last
 * attempt's result, the history of all, and the backoff between them. */
#include <fcntl.h>
#include <time.h>

#include <pthread.h>

#include "support.h"

struct flaky {
    char counter_path[64];
    int fail_times;
    const char *exception;
};

/* Counts attempts in a file: memory would be the parent's fresh copy each
 * time, which is the point of retrying in a child. */
static int flaky_call(cordon_ctx *ctx, void *arg)
{
    struct flaky *f = arg;
    FILE *counter = fopen(f->counter_path, "r+");
    int attempts = 0;
    if (!counter || fscanf(counter, "%d", &attempts) != 1)
        attempts = 0;
    attempts++;
    rewind(counter);
    fprintf(counter, "%d\n", attempts);
    fclose(counter);
    if (attempts <= f->fail_times)
        cordon_raise(ctx, f->exception, "attempt %d failed", attempts);
    return attempts;
}

static struct flaky make_flaky(int fail_times, const char *exception)
{
    struct flaky f = { .fail_times = fail_times, .exception = exception };
    snprintf(f.counter_path, sizeof f.counter_path, "/tmp/cordon-retry-XXXXXX");
    int fd = mkstemp(f.counter_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0\n", 2), 2);
    close(fd);
    return f;
}

static void test_retry_until_success(void **state)
{
    (void)state;
    struct flaky f = make_flaky(2, "ServerError");
    cordon_task *t = cordon_function_task(flaky_call, &f);
    assert_int_equal(cordon_run_and_retry(t, 5, "ServerError"), 0);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->attempts, 3);
    assert_int_equal(r->exit_code, 3);
    assert_null(r->exception);
    size_t count = 0;
    const cordon_attempt *history = cordon_task_history(t, &count);
    assert_int_equal(count, 3);
    assert_string_equal(history[0].exception, "ServerError");
    assert_string_equal(history[1].exception, "ServerError");
    assert_null(history[2].exception);
    assert_int_equal(history[2].exit_code, 3);
    cordon_task_free(t);
    unlink(f.counter_path);
}

static void test_retry_stops_after_max_retries(void **state)
{
    (void)state;
    struct flaky f = make_flaky(10, "ServerError");
    cordon_task *t = cordon_function_task(flaky_call, &f);
    assert_int_equal(cordon_run_and_retry(t, 2, "ServerError"), CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->attempts, 3);
    assert_string_equal(r->exception, "ServerError");
    assert_string_equal(r->exc_out.data, "ServerError: attempt 3 failed\n"); /* the last one */
    cordon_task_free(t);
    unlink(f.counter_path);
}

static void test_retry_only_on_the_named_class(void **state)
{
    (void)state;
    struct flaky f = make_flaky(10, "BadInput");
    cordon_task *t = cordon_function_task(flaky_call, &f);
    assert_int_equal(cordon_run_and_retry(t, 5, "ServerError"), CORDON_EXCEPTION);
    assert_int_equal(cordon_task_result(t)->attempts, 1);
    assert_int_equal(cordon_run_and_retry(t, 2, "*"), CORDON_EXCEPTION);
    assert_int_equal(cordon_task_result(t)->attempts, 3);
    cordon_task_free(t);
    unlink(f.counter_path);
}

static void test_retry_on_timeout_of_a_command(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 5");
    cordon_set_timeout_ms(t, 50);
    assert_int_equal(cordon_run_and_retry(t, 2, "Timeout"), CORDON_EXCEPTION);
    size_t count = 0;
    const cordon_attempt *history = cordon_task_history(t, &count);
    assert_int_equal(count, 3);
    for (size_t i = 0; i < count; i++) {
        assert_string_equal(history[i].exception, "Timeout");
        assert_true(history[i].usage.wall_us >= 50000);
    }
    cordon_task_free(t);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_retry_backoff_waits_between_attempts(void **state)
{
    (void)state;
    struct flaky f = make_flaky(3, "ServerError");
    cordon_task *t = cordon_function_task(flaky_call, &f);
    /* 40, 80, then capped at 100: at least 220 ms of waiting. */
    assert_int_equal(cordon_set_backoff(t, 40, 2.0, 100), 0);
    uint64_t start = now_ms();
    assert_int_equal(cordon_run_and_retry(t, 5, "ServerError"), 0);
    assert_true(now_ms() - start >= 220);
    assert_int_equal(cordon_task_result(t)->attempts, 4);
    assert_int_equal(cordon_set_backoff(t, 10, 0.5, 100), -EINVAL);
    cordon_task_free(t);
    unlink(f.counter_path);
    /* max_ms 0 is no cap (not a cap of 0 ms): 30, 60, 120. */
    f = make_flaky(3, "ServerError");
    t = cordon_function_task(flaky_call, &f);
    assert_int_equal(cordon_set_backoff(t, 30, 2.0, 0), 0);
    start = now_ms();
    assert_int_equal(cordon_run_and_retry(t, 5, "ServerError"), 0);
    assert_true(now_ms() - start >= 210);
    cordon_task_free(t);
    unlink(f.counter_path);
}

static void test_retry_refuses_bad_arguments(void **state)
{
    (void)state;
    cordon_task *t = shell("true");
    assert_int_equal(cordon_run_and_retry(t, 1, NULL), -EINVAL);
    assert_int_equal(cordon_run_and_retry(t, 1, ""), -EINVAL);
    assert_int_equal(cordon_run_and_retry(NULL, 1, "*"), -EINVAL);
    assert_int_equal(cordon_run_and_retry(t, 3, "*"), 0);
    assert_int_equal(cordon_task_result(t)->attempts, 1); /* success stops at once */
    cordon_task_free(t);
}

/* The forms the cordon command takes: several classes at once. */
static void test_retry_on_a_list_of_classes(void **state)
{
    (void)state;
    struct flaky f = make_flaky(2, "ServerError");
    cordon_task *t = cordon_function_task(flaky_call, &f);
    assert_int_equal(cordon_run_and_retry(t, 5, "Timeout,ServerError"), 0);
    assert_int_equal(cordon_task_result(t)->attempts, 3);
    cordon_task_free(t);
    unlink(f.counter_path);
    f = make_flaky(2, "ServerError");
    t = cordon_function_task(flaky_call, &f);
    assert_int_equal(cordon_run_and_retry(t, 5, " Timeout , ServerError "), 0);
    assert_int_equal(cordon_task_result(t)->attempts, 3);
    cordon_task_free(t);
    unlink(f.counter_path);
}

/* "exit:N" retries an ending without exception whose code is N; the
 * command learns its attempt from CORDON_ATTEMPT. */
static void test_retry_on_an_exit_code(void **state)
{
    (void)state;
    cordon_task *t = shell("echo attempt $CORDON_ATTEMPT; [ $CORDON_ATTEMPT -ge 3 ] || exit 75");
    assert_int_equal(cordon_run_and_retry(t, 5, "exit:75"), 0);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->attempts, 3);
    assert_int_equal(r->exit_code, 0);
    assert_string_equal(r->std_out.data, "attempt 3\n");
    size_t count = 0;
    const cordon_attempt *history = cordon_task_history(t, &count);
    assert_int_equal(count, 3);
    assert_int_equal(history[0].exit_code, 75);
    assert_null(history[0].exception);
    cordon_task_free(t);
    /* Another code is no match: one attempt. */
    t = shell("exit 1");
    assert_int_equal(cordon_run_and_retry(t, 5, "exit:75"), 0);
    assert_int_equal(cordon_task_result(t)->attempts, 1);
    cordon_task_free(t);
}

/* A retry forks from the same parent state: only its attempt number tells
 * it apart, so a task can vary what it does (a seed, a server). */
static int fails_before_third_attempt(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    unsigned attempt = cordon_attempt_number(ctx);
    if (attempt < 3)
        cordon_raise(ctx, "Flaky", "attempt %u failed", attempt);
    return (int)attempt;
}

static void test_retry_attempt_number_and_messages(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(fails_before_third_attempt, NULL);
    assert_int_equal(cordon_run_and_retry(t, 5, "Flaky"), 0);
    assert_int_equal(cordon_task_result(t)->exit_code, 3);
    size_t count = 0;
    const cordon_attempt *history = cordon_task_history(t, &count);
    assert_int_equal(count, 3);
    /* each attempt's message is what result.message said for it */
    assert_string_equal(history[0].exception, "Flaky");
    assert_string_equal(history[0].message, "attempt 1 failed");
    assert_string_equal(history[1].message, "attempt 2 failed");
    assert_string_equal(history[2].message, "");
    assert_int_equal(cordon_run(t), CORDON_EXCEPTION); /* a plain run is attempt 1 */
    cordon_task_free(t);
}

/* 1100 of `arg`'s character (its bytes as given) raised as the message. */
static int raises_long(cordon_ctx *ctx, void *arg)
{
    char message[2400] = "";
    for (int i = 0; i < 1100; i++)
        strcat(message, arg);
    cordon_raise(ctx, "Long", "%s", message);
}

/* An attempt's message was cut at 255 bytes mid-character (a lone 0xc3 of
 * an "é") or mid-escape ("...\x0"), with no mark; a raised message at
 * 2047 bytes silently.  Both now end in "...", cut between pieces. */
static void test_retry_history_messages_are_cut_between_characters(void **state)
{
    (void)state;
    static const char *const pieces[] = { "\xc3\xa9", "\x01", "ab" };
    for (size_t p = 0; p < sizeof pieces / sizeof *pieces; p++) {
        cordon_task *t = cordon_function_task(raises_long, (void *)pieces[p]);
        assert_int_equal(cordon_run_and_retry(t, 1, "Long"), CORDON_EXCEPTION);
        size_t count = 0;
        const cordon_attempt *history = cordon_task_history(t, &count);
        assert_int_equal(count, 2);
        const char *m = history[0].message;
        size_t len = strlen(m);
        assert_true(len <= 255 && len > 240);
        assert_string_equal(m + len - 3, "...");
        /* whole pieces before the mark: a character, an escape, a letter */
        const char *whole = p == 0 ? "\xc3\xa9" : p == 1 ? "\\x01" : "a";
        size_t piece = strlen(whole), body = len - 3;
        if (p == 2) {
            for (size_t i = 0; i < body; i++)
                assert_true(m[i] == 'a' || m[i] == 'b');
        } else {
            assert_int_equal(body % piece, 0);
            for (size_t i = 0; i < body; i += piece)
                assert_memory_equal(m + i, whole, piece);
        }
        /* the result's own message, cut at the raise (2047 bytes) or as
         * escaped (1100 escapes are 4400 bytes) */
        const char *whole_message = cordon_task_result(t)->message;
        size_t total = strlen(whole_message);
        assert_string_equal(whole_message + total - 3, "...");
        assert_true(total <= 2047);
        assert_int_equal((total - 3) % piece, 0);
        cordon_task_free(t);
    }
}

static void test_retry_refuses_malformed_lists(void **state)
{
    (void)state;
    cordon_task *t = shell("exit 1");
    const char *bad[] = { ",", "Timeout,", ",Timeout", "Timeout,,ServerError", "exit:",
                          "exit:0", "exit:x", "exit:1x", "exit:+1", "exit:+0", "Time out",
                          "**", "Timeout;Other" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (cordon_run_and_retry(t, 1, bad[i]) != -EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
    }
    assert_int_equal(cordon_task_result(t)->attempts, 0); /* nothing ran */
    assert_int_equal(cordon_run_and_retry(t, 1, "exit:1,*,SIGRTMIN+2"), 0);
    assert_int_equal(cordon_task_result(t)->attempts, 2);
    cordon_task_free(t);
}

/* A real-time signal named from either end matches: "SIGRTMIN+n" was
 * the only name of each before names followed kill -l (SIGRTMAX-n in the
 * upper half), and a list written then silently stopped matching. */
static void test_retry_matches_a_real_time_signal_named_either_way(void **state)
{
    (void)state;
    char line[64], old_name[32];
    int signo = SIGRTMAX - 10;
    snprintf(line, sizeof line, "kill -%d $$", signo);
    snprintf(old_name, sizeof old_name, "SIGRTMIN+%d", signo - SIGRTMIN);
    const char *lists[] = { old_name, "SIGRTMAX-10", "sigrtmax-10" };
    for (size_t i = 0; i < 3; i++) {
        cordon_task *t = shell(line);
        assert_int_equal(cordon_run_and_retry(t, 2, lists[i]), CORDON_EXCEPTION);
        assert_string_equal(cordon_task_result(t)->exception, "SIGRTMAX-10");
        assert_int_equal(cordon_task_result(t)->attempts, 3);
        cordon_task_free(t);
    }
}

/* Retry by callback: the caller reads each attempt's result and decides. */
typedef struct retry_decisions {
    unsigned calls, attempts_seen[8];
} retry_decisions;

static int retry_while_it_says_again(const cordon_result *r, unsigned attempt, void *user)
{
    retry_decisions *d = user;
    if (d->calls < 8)
        d->attempts_seen[d->calls] = attempt;
    d->calls++;
    return strstr(r->std_out.data, "again") != NULL;
}

static void test_retry_by_callback(void **state)
{
    (void)state;
    retry_decisions d = { 0 };
    cordon_task *t = shell("if [ $CORDON_ATTEMPT -lt 3 ]; then echo again; else echo enough; fi");
    assert_int_equal(cordon_set_retry_callback(t, retry_while_it_says_again, &d), 0);
    /* No exception anywhere: only the callback asks for retries. */
    assert_int_equal(cordon_run_and_retry(t, 5, NULL), 0);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->attempts, 3);
    assert_string_equal(r->std_out.data, "enough\n");
    assert_int_equal(d.calls, 3);
    assert_int_equal(d.attempts_seen[0], 1);
    assert_int_equal(d.attempts_seen[2], 3);
    /* The last allowed attempt is not asked about: max_retry 1 gives 2. */
    d.calls = 0;
    assert_int_equal(cordon_run_and_retry(t, 1, NULL), 0);
    assert_int_equal(cordon_task_result(t)->attempts, 2);
    assert_int_equal(d.calls, 1);
    /* With a list too, either one asks for a retry. */
    d.calls = 0;
    cordon_task *u = shell("echo again; exit 75");
    assert_int_equal(cordon_set_retry_callback(u, retry_while_it_says_again, &d), 0);
    assert_int_equal(cordon_run_and_retry(u, 2, "exit:75"), 0);
    assert_int_equal(cordon_task_result(u)->attempts, 3);
    assert_int_equal(d.calls, 0); /* the list matched first each time */
    assert_int_equal(cordon_set_retry_callback(u, NULL, NULL), 0);
    assert_int_equal(cordon_run_and_retry(u, 2, NULL), -EINVAL); /* nothing decides */
    cordon_task_free(u);
    cordon_task_free(t);
}

/* Each attempt writes when it started; the gaps between attempts are the
 * backoff delays, which full jitter draws anywhere in [0, 200 ms). */
static int note_start_and_fail(cordon_ctx *ctx, void *arg)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    FILE *f = fopen(arg, "a");
    if (f) {
        fprintf(f, "%llu\n", (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000);
        fclose(f);
    }
    cordon_raise(ctx, "ServerError", "attempt %u", cordon_attempt_number(ctx));
}

static void test_retry_backoff_jitter_varies_the_delays(void **state)
{
    (void)state;
    char path[] = "/tmp/cordon-jitter-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    cordon_task *t = cordon_function_task(note_start_and_fail, path);
    assert_int_equal(cordon_set_backoff(t, 200, 1.0, 200), 0);
    assert_int_equal(cordon_set_backoff_jitter(t, 1.5), -EINVAL);
    assert_int_equal(cordon_set_backoff_jitter(t, -0.1), -EINVAL);
    assert_int_equal(cordon_set_backoff_jitter(t, 1.0), 0);
    assert_int_equal(cordon_run_and_retry(t, 5, "ServerError"), CORDON_EXCEPTION);
    assert_int_equal(cordon_task_result(t)->attempts, 6);
    FILE *f = fopen(path, "r");
    unsigned long long starts[6];
    for (int i = 0; i < 6; i++)
        assert_int_equal(fscanf(f, "%llu", &starts[i]), 1);
    fclose(f);
    unsigned long long shortest = ~0ull, longest = 0;
    for (int i = 1; i < 6; i++) {
        unsigned long long gap = starts[i] - starts[i - 1];
        shortest = gap < shortest ? gap : shortest;
        longest = gap > longest ? gap : longest;
    }
    print_message("gaps between attempts: %llu to %llu ms\n", shortest, longest);
    /* Without jitter every gap is 200 ms and a fork; with it, five draws
     * from [0, 200) lie within 20 ms of each other once in thousands. */
    assert_true(longest - shortest > 20);
    cordon_task_free(t);
    unlink(path);
}

static void test_retry_total_timeout_cuts_the_last_attempt(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 10");
    cordon_set_timeout_ms(t, 400);
    assert_int_equal(cordon_set_total_timeout_ms(t, 1000), 0);
    uint64_t start = now_ms();
    assert_int_equal(cordon_run_and_retry(t, 10, "Timeout"), CORDON_EXCEPTION);
    uint64_t took = now_ms() - start;
    print_message("10 retries of 400 ms within 1000 ms took %llu ms, %u attempts\n",
                  (unsigned long long)took, cordon_task_result(t)->attempts);
    assert_true(took >= 1000);
    assert_true(took < 1000 + 3000); /* killed at the total, not 10 x 400 ms */
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->exception, "Timeout");
    assert_true(r->attempts >= 2 && r->attempts <= 3);
    assert_non_null(strstr(r->exc_out.data, "total deadline of 1000 ms"));
    size_t count = 0;
    const cordon_attempt *history = cordon_task_history(t, &count);
    assert_non_null(strstr(history[0].message, "deadline of 400 ms"));
    cordon_task_free(t);
}

static void test_retry_total_timeout_makes_no_retry_it_cannot_wait_for(void **state)
{
    (void)state;
    struct flaky f = make_flaky(10, "ServerError");
    cordon_task *t = cordon_function_task(flaky_call, &f);
    cordon_set_backoff(t, 5000, 1.0, 0);
    assert_int_equal(cordon_set_total_timeout_ms(t, 3000), 0);
    uint64_t start = now_ms();
    assert_int_equal(cordon_run_and_retry(t, 5, "ServerError"), CORDON_EXCEPTION);
    assert_true(now_ms() - start < 3000); /* the 5 s delay was not slept */
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->attempts, 1);
    assert_string_equal(r->exception, "ServerError"); /* the last attempt's own */
    cordon_task_free(t);
    unlink(f.counter_path);
}

struct retrying {
    cordon_task *task;
    unsigned max_retry;
    int rc;
};

static void *retries_on_a_thread(void *arg)
{
    struct retrying *run = arg;
    run->rc = cordon_run_and_retry(run->task, run->max_retry, "ServerError");
    return NULL;
}

/* A delay that grows past what 64 bits of ms hold is the longest, never a
 * retry at once: UINT64_MAX ms, or 1 ms x1000 from the eighth retry, gave
 * 0 ms (a double converted out of range), and a total of 3 s saw four
 * attempts in 54 ms. */
static void test_retry_backoff_past_the_range_makes_no_retry_at_once(void **state)
{
    (void)state;
    const uint64_t initial[] = { UINT64_MAX, 1 };
    const unsigned retries[] = { 3, 9 };
    for (int i = 0; i < 2; i++) {
        struct flaky f = make_flaky(20, "ServerError");
        cordon_task *t = cordon_function_task(flaky_call, &f);
        assert_int_equal(cordon_set_backoff(t, initial[i], 1000.0, 0), 0);
        assert_int_equal(cordon_set_total_timeout_ms(t, 3000), 0);
        assert_int_equal(cordon_run_and_retry(t, retries[i], "ServerError"), CORDON_EXCEPTION);
        const cordon_result *r = cordon_task_result(t);
        /* the first: no delay fits in 3 s; the second: 1 ms, 1 s, then
         * none that fits */
        assert_int_equal(r->attempts, i == 0 ? 1 : 3);
        assert_string_equal(r->exception, "ServerError");
        cordon_task_free(t);
        unlink(f.counter_path);
    }
    /* Without a total: 18446744073710 ms is past 64 bits of nanoseconds,
     * and the sleep's end wrapped to a retry at once (four attempts in
     * 30 ms).  It is slept on, until cordon_cancel ends it. */
    struct flaky f = make_flaky(20, "ServerError");
    cordon_task *t = cordon_function_task(flaky_call, &f);
    assert_int_equal(cordon_set_backoff(t, 18446744073710ull, 1.0, 0), 0);
    pthread_t thread;
    struct retrying run = { t, 3, 0 };
    assert_int_equal(pthread_create(&thread, NULL, retries_on_a_thread, &run), 0);
    usleep(500 * 1000);
    cordon_cancel(t);
    pthread_join(thread, NULL);
    assert_int_equal(cordon_task_result(t)->attempts, 1);
    cordon_task_free(t);
    unlink(f.counter_path);
}

/* A single run has the total as its deadline too, async ones included. */
static void test_retry_total_timeout_bounds_a_single_run(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 10");
    assert_int_equal(cordon_set_total_timeout_ms(t, 200), 0);
    assert_int_equal(cordon_run(t), CORDON_EXCEPTION);
    assert_string_equal(cordon_task_result(t)->exception, "Timeout");
    assert_non_null(strstr(cordon_task_result(t)->message, "total deadline of 200 ms"));
    assert_int_equal(cordon_run_async(t), 0);
    assert_int_equal(cordon_set_total_timeout_ms(t, 0), -EBUSY);
    assert_int_equal(cordon_set_backoff_jitter(t, 0.5), -EBUSY);
    assert_int_equal(cordon_set_retry_callback(t, NULL, NULL), -EBUSY);
    assert_int_equal(cordon_join(t), CORDON_EXCEPTION);
    assert_string_equal(cordon_task_result(t)->exception, "Timeout");
    /* A shorter per-attempt timeout stays the one that applies. */
    cordon_set_timeout_ms(t, 100);
    cordon_set_total_timeout_ms(t, 60000);
    assert_int_equal(cordon_run(t), CORDON_EXCEPTION);
    assert_non_null(strstr(cordon_task_result(t)->message, "its deadline of 100 ms"));
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_until_success),
        cmocka_unit_test(test_retry_stops_after_max_retries),
        cmocka_unit_test(test_retry_only_on_the_named_class),
        cmocka_unit_test(test_retry_on_timeout_of_a_command),
        cmocka_unit_test(test_retry_backoff_waits_between_attempts),
        cmocka_unit_test(test_retry_refuses_bad_arguments),
        cmocka_unit_test(test_retry_on_a_list_of_classes),
        cmocka_unit_test(test_retry_on_an_exit_code),
        cmocka_unit_test(test_retry_attempt_number_and_messages),
        cmocka_unit_test(test_retry_refuses_malformed_lists),
        cmocka_unit_test(test_retry_matches_a_real_time_signal_named_either_way),
        cmocka_unit_test(test_retry_by_callback),
        cmocka_unit_test(test_retry_backoff_jitter_varies_the_delays),
        cmocka_unit_test(test_retry_backoff_past_the_range_makes_no_retry_at_once),
        cmocka_unit_test(test_retry_total_timeout_cuts_the_last_attempt),
        cmocka_unit_test(test_retry_total_timeout_makes_no_retry_it_cannot_wait_for),
        cmocka_unit_test(test_retry_total_timeout_bounds_a_single_run),
        cmocka_unit_test(test_retry_history_messages_are_cut_between_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
