/*
 * A retrying helper, as a program around cordon writes one: a flaky
 * "fetch" (here a function that fails at random, as a network call does)
 * run in a fresh confined child per attempt, retried by a callback that
 * reads each attempt's result, with jittered backoff and one deadline for
 * all the attempts together; then three fetches started at once and
 * watched from a poll loop, joined as they end; then five through a pool
 * of two.
 *
 *   make examples && ./build/examples/retry_helper
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cordon.h>

/* Fails the first attempts, differently each time: a refused connection
 * (an exception the caller may retry) or a stall (a Timeout).  Each
 * attempt is a fresh child: what one attempt broke, the next never sees. */
static int flaky_fetch(cordon_ctx *ctx, void *arg)
{
    const char *url = arg;
    unsigned attempt = cordon_attempt_number(ctx);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    if (attempt == 1)
        cordon_raise(ctx, "ServerError", "connection refused by %s", url);
    if (attempt == 2 && rand() % 2)
        sleep(10); /* a stall: the attempt's own deadline ends it */
    printf("fetched %s on attempt %u\n", url, attempt);
    return 0;
}

/* A fetch that takes its time (100 to 400 ms) and succeeds. */
static int slow_fetch(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    usleep(100000u + (unsigned)(rand() % 300) * 1000u);
    printf("fetched %s\n", (const char *)arg);
    return 0;
}

/* Retry what a network call's failures look like, never a crash or a
 * policy violation: those would fail the same way again. */
static int worth_retrying(const cordon_result *r, unsigned attempt, void *user)
{
    (void)user;
    int retry = r->exception && (strcmp(r->exception, "ServerError") == 0 ||
                                 strcmp(r->exception, "Timeout") == 0);
    printf("  attempt %u: %s%s%s -> %s\n", attempt, r->exception ? r->exception : "ok",
           r->exception ? ": " : "", r->message, retry ? "retry" : "stop");
    return retry;
}

static cordon_task *fetch_task(const char *url)
{
    cordon_task *t = cordon_function_task(flaky_fetch, (void *)url);
    if (!t)
        return NULL;
    cordon_set_timeout_ms(t, 500);          /* each attempt */
    cordon_set_total_timeout_ms(t, 4000);   /* all of them, delays included */
    cordon_set_backoff(t, 100, 2.0, 1000);  /* 100, 200, 400 ms ... */
    cordon_set_backoff_jitter(t, 0.5);      /* ... each somewhere in its upper half */
    cordon_set_retry_callback(t, worth_retrying, NULL);
    return t;
}

static int one_with_retries(void)
{
    cordon_task *t = fetch_task("https://example.org/a");
    if (!t)
        return 1;
    int rc = cordon_run_and_retry(t, 5, NULL); /* the callback decides */
    const cordon_result *r = cordon_task_result(t);
    printf("%s after %u attempts: %s", cordon_succeeded(r) ? "succeeded" : "failed",
           r->attempts, r->std_out.data);
    if (!cordon_succeeded(r))
        printf("(%s: %s)\n", r->exception ? r->exception : "exit", r->message);
    cordon_task_free(t);
    return rc < 0;
}

static cordon_task *slow_task(const char *url)
{
    cordon_task *t = cordon_function_task(slow_fetch, (void *)url);
    if (t)
        cordon_set_timeout_ms(t, 2000);
    return t;
}

/* Three fetches at once, each started with cordon_run_async (a single
 * attempt: the retry loop is cordon_run_and_retry's), watched through
 * their fds in one poll loop, as an event loop would. */
static int several_from_a_poll_loop(void)
{
    const char *urls[] = { "https://example.org/b", "https://example.org/c",
                           "https://example.org/d" };
    enum { N = 3 };
    cordon_task *tasks[N];
    for (int i = 0; i < N; i++) {
        tasks[i] = slow_task(urls[i]);
        if (!tasks[i] || cordon_run_async(tasks[i]) < 0)
            return 1;
    }
    int left = N;
    while (left > 0) {
        struct pollfd fds[N];
        for (int i = 0; i < N; i++) {
            fds[i].fd = tasks[i] ? cordon_task_fd(tasks[i]) : -1;
            fds[i].events = POLLIN;
        }
        if (poll(fds, N, -1) < 0 && errno != EINTR)
            return 1;
        for (int i = 0; i < N; i++) {
            if (!tasks[i] || !(fds[i].revents & POLLIN) || !cordon_task_done(tasks[i]))
                continue;
            cordon_join_timeout(tasks[i], 0); /* ended: joins at once */
            const cordon_result *r = cordon_task_result(tasks[i]);
            printf("  %s: %s\n", urls[i],
                   cordon_succeeded(r) ? "fetched" : r->exception ? r->exception : "failed");
            cordon_task_free(tasks[i]);
            tasks[i] = NULL;
            left--;
        }
    }
    /* The same without a poll loop: wait for whichever ends first. */
    cordon_task *again[2] = { slow_task(urls[0]), slow_task(urls[1]) };
    for (int i = 0; i < 2; i++)
        if (!again[i] || cordon_run_async(again[i]) < 0)
            return 1;
    int first = cordon_wait_any(again, 2, -1);
    printf("  first to end: %s\n", first >= 0 ? urls[first] : strerror(-first));
    for (int i = 0; i < 2; i++) {
        cordon_join(again[i]);
        cordon_task_free(again[i]);
    }
    return 0;
}

/* Five fetches through a pool that runs two at a time, all awaited. */
static int through_a_pool(void)
{
    const char *urls[] = { "https://example.org/e", "https://example.org/f",
                           "https://example.org/g", "https://example.org/h",
                           "https://example.org/i" };
    enum { N = 5 };
    cordon_pool *pool = cordon_pool_new(2);
    cordon_task *tasks[N];
    for (int i = 0; i < N; i++) {
        tasks[i] = slow_task(urls[i]);
        if (!pool || !tasks[i] || cordon_pool_submit(pool, tasks[i]) < 0)
            return 1;
    }
    int rc = cordon_pool_wait_all(pool, 10000);
    int fetched = 0;
    for (int i = 0; i < N; i++)
        fetched += cordon_succeeded(cordon_task_result(tasks[i]));
    printf("  %d of %d fetched, two at a time\n", fetched, N);
    cordon_pool_free(pool);
    for (int i = 0; i < N; i++)
        cordon_task_free(tasks[i]);
    return rc < 0;
}

int main(void)
{
    printf("one fetch, retried by a callback under one total deadline:\n");
    int failed = one_with_retries();
    printf("three fetches from a poll loop:\n");
    failed |= several_from_a_poll_loop();
    printf("five fetches through a pool of two:\n");
    failed |= through_a_pool();
    return failed;
}
