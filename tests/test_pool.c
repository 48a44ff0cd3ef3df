/* Pools: at most N tasks at once, measured from the tasks themselves;
 * ended tasks come out once each, joined; wait_all; free cancels and
 * drops; many threads submitting at once. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "support.h"

#define TASKS 10

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Returns when it started and ended, on the clock every process shares. */
static int timed_nap(cordon_ctx *ctx, void *arg)
{
    uint64_t span[2] = { now_us(), 0 };
    usleep((useconds_t)(uintptr_t)arg);
    span[1] = now_us();
    cordon_return(ctx, span, sizeof span);
    return 0;
}

/* The most spans that hold one instant at once: each start is checked. */
static int most_at_once(uint64_t spans[][2], int n)
{
    int most = 0;
    for (int i = 0; i < n; i++) {
        int at_once = 0;
        for (int j = 0; j < n; j++)
            at_once += spans[j][0] <= spans[i][0] && spans[i][0] < spans[j][1];
        if (at_once > most)
            most = at_once;
    }
    return most;
}

static void test_pool_of_two_never_runs_more_than_two(void **state)
{
    (void)state;
    cordon_pool *pool = cordon_pool_new(2);
    assert_non_null(pool);
    cordon_task *tasks[TASKS];
    for (int i = 0; i < TASKS; i++) {
        tasks[i] = cordon_function_task(timed_nap, (void *)(uintptr_t)300000);
        assert_int_equal(cordon_pool_submit(pool, tasks[i]), 0);
    }
    uint64_t spans[TASKS][2];
    bool seen[TASKS] = { false };
    for (int k = 0; k < TASKS; k++) {
        cordon_task *done = NULL;
        assert_int_equal(cordon_pool_wait_any(pool, 60000, &done), 0);
        int i = 0;
        while (i < TASKS && tasks[i] != done)
            i++;
        assert_true(i < TASKS);
        assert_false(seen[i]); /* each comes out once */
        seen[i] = true;
        const cordon_result *r = cordon_task_result(done);
        assert_int_equal(r->returns.len, sizeof spans[i]);
        memcpy(spans[i], r->returns.data, sizeof spans[i]);
        assert_true(spans[i][0] < spans[i][1]);
        assert_int_equal(cordon_join(done), 0); /* out of the pool: joined */
    }
    cordon_task *none = tasks[0];
    assert_int_equal(cordon_pool_wait_any(pool, 0, &none), -ECHILD);
    assert_null(none);
    int most = most_at_once(spans, TASKS);
    print_message("at most %d of %d tasks ran at once\n", most, TASKS);
    assert_true(most <= 2);
    assert_int_equal(most, 2); /* and the pool did run two at once */
    cordon_pool_free(pool);
    for (int i = 0; i < TASKS; i++)
        cordon_task_free(tasks[i]);
}

static void test_pool_wait_all_runs_the_queue_in_order(void **state)
{
    (void)state;
    char path[] = "/tmp/cordon-pool-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    cordon_pool *pool = cordon_pool_new(1);
    cordon_task *tasks[4];
    for (int i = 0; i < 4; i++) {
        char command[128];
        snprintf(command, sizeof command, "echo %d >> %s", i, path);
        tasks[i] = shell(command);
        assert_int_equal(cordon_pool_submit(pool, tasks[i]), 0);
    }
    assert_int_equal(cordon_pool_wait_all(pool, 60000), 0);
    char text[64] = "";
    assert_int_equal(pread(fd, text, sizeof text - 1, 0), 8);
    assert_string_equal(text, "0\n1\n2\n3\n");
    for (int i = 0; i < 4; i++) {
        assert_true(cordon_succeeded(cordon_task_result(tasks[i])));
        assert_int_equal(cordon_join(tasks[i]), 0);
    }
    cordon_task *done;
    assert_int_equal(cordon_pool_wait_any(pool, 0, &done), -ECHILD); /* all taken out */
    assert_int_equal(cordon_pool_wait_all(pool, 0), 0);
    cordon_pool_free(pool);
    for (int i = 0; i < 4; i++)
        cordon_task_free(tasks[i]);
    close(fd);
    unlink(path);
}

static void test_pool_task_is_the_pools_until_it_comes_out(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    cordon_task *held = shell("cat");
    cordon_set_stdin_fd(held, fds[0]);
    cordon_task *queued = shell("echo queued");
    cordon_pool *pool = cordon_pool_new(1);
    assert_int_equal(cordon_pool_submit(pool, held), 0);
    assert_int_equal(cordon_pool_submit(pool, queued), 0);
    cordon_task *done = held;
    assert_int_equal(cordon_pool_wait_any(pool, 100, &done), -ETIMEDOUT);
    assert_null(done);
    assert_int_equal(cordon_pool_wait_all(pool, 100), -ETIMEDOUT);
    /* Running or queued, the task is the pool's. */
    assert_int_equal(cordon_join(held), -EBUSY);
    assert_int_equal(cordon_join_timeout(held, 0), -EBUSY);
    assert_int_equal(cordon_run(queued), -EBUSY);
    assert_int_equal(cordon_run_async(queued), -EBUSY);
    assert_int_equal(cordon_set_timeout_ms(queued, 1), -EBUSY);
    /* every option: isolation, retry, callbacks, streams */
    assert_int_equal(cordon_set_hostname(queued, "queued"), -EBUSY);
    assert_int_equal(cordon_add_tmpfs(queued, "/tmp"), -EBUSY);
    assert_int_equal(cordon_set_network(queued, CORDON_NETWORK_NONE), -EBUSY);
    assert_int_equal(cordon_set_backoff_jitter(queued, 0.5), -EBUSY);
    assert_int_equal(cordon_set_total_timeout_ms(queued, 1), -EBUSY);
    assert_int_equal(cordon_set_done_callback(queued, NULL, NULL), -EBUSY);
    assert_int_equal(cordon_set_output_mode(queued, 1, CORDON_OUTPUT_DISCARD), -EBUSY);
    assert_int_equal(cordon_pool_submit(pool, held), -EBUSY);
    assert_int_equal(cordon_pool_submit(pool, queued), -EBUSY);
    assert_int_equal(cordon_task_done(held), 0);
    /* queued, not started: not done either (it was -EINVAL, "no async run") */
    assert_int_equal(cordon_task_done(queued), 0);
    assert_int_equal(write(fds[1], "held", 4), 4);
    close(fds[1]);
    assert_int_equal(cordon_pool_wait_any(pool, 60000, &done), 0);
    assert_ptr_equal(done, held);
    assert_string_equal(cordon_task_result(held)->std_out.data, "held");
    assert_int_equal(cordon_pool_wait_any(pool, 60000, &done), 0);
    assert_ptr_equal(done, queued);
    assert_int_equal(cordon_task_done(queued), 1);
    assert_string_equal(cordon_task_result(queued)->std_out.data, "queued\n");
    /* Out of the pool: the caller's again, and submittable again. */
    assert_int_equal(cordon_set_timeout_ms(queued, 10000), 0);
    assert_int_equal(cordon_pool_submit(pool, queued), 0);
    assert_int_equal(cordon_pool_wait_any(pool, 60000, &done), 0);
    assert_ptr_equal(done, queued);
    cordon_pool_free(pool);
    cordon_task_free(held);
    cordon_task_free(queued);
    close(fds[0]);
}

#define POOL_MARK "271.828"

static void test_pool_free_cancels_running_and_drops_queued(void **state)
{
    (void)state;
    cordon_pool *pool = cordon_pool_new(1);
    cordon_task *running = shell("sleep " POOL_MARK " & wait");
    cordon_task *queued = shell("echo never");
    assert_int_equal(cordon_pool_submit(pool, running), 0);
    assert_int_equal(cordon_pool_submit(pool, queued), 0);
    for (int i = 0; i < 3000 && count_marked_processes(POOL_MARK, false) < 1; i++)
        usleep(10 * 1000);
    assert_int_equal(count_marked_processes(POOL_MARK, false), 1);
    cordon_pool_free(pool);
    assert_string_equal(cordon_task_result(running)->exception, "Cancelled");
    /* The call that cancelled it, not cordon_cancel, which the caller
     * never called. */
    assert_string_equal(cordon_task_result(running)->message,
                        "the caller cancelled the task (cordon_pool_free); its whole "
                        "tree was killed");
    assert_true(marked_processes_gone(POOL_MARK, false));
    /* The queued one never ran, and is the caller's to run. */
    assert_int_equal(cordon_task_result(queued)->attempts, 0);
    assert_int_equal(cordon_task_result(queued)->std_out.len, 0);
    assert_int_equal(cordon_run(queued), 0);
    assert_string_equal(cordon_task_result(queued)->std_out.data, "never\n");
    cordon_task_free(running);
    cordon_task_free(queued);
    cordon_pool_free(NULL);
}

/* Freed while in the pool: cancelled or dropped, and out of it. */
static void test_pool_task_freed_in_the_pool_leaves_it(void **state)
{
    (void)state;
    cordon_pool *pool = cordon_pool_new(1);
    cordon_task *running = shell("sleep " POOL_MARK " & wait");
    cordon_task *queued = shell("echo queued");
    cordon_task *last = shell("echo last");
    assert_int_equal(cordon_pool_submit(pool, running), 0);
    assert_int_equal(cordon_pool_submit(pool, queued), 0);
    assert_int_equal(cordon_pool_submit(pool, last), 0);
    cordon_task_free(queued);
    cordon_task_free(running);
    assert_true(marked_processes_gone(POOL_MARK, false));
    cordon_task *done;
    assert_int_equal(cordon_pool_wait_any(pool, 60000, &done), 0);
    assert_ptr_equal(done, last);
    assert_int_equal(cordon_pool_wait_any(pool, 0, &done), -ECHILD);
    cordon_pool_free(pool);
    cordon_task_free(last);
}

static int returns_at_once(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

static void *waits_for_all(void *pool)
{
    cordon_pool_wait_all(pool, -1);
    return NULL;
}

/* A task freed while the pool's own wait took it out is the pool's to
 * hand over: the free waits for that take-out and frees it.  Refused as
 * "another thread joins the task", it stayed allocated (17 of 400 rounds
 * of this loop). */
static void test_pool_task_freed_while_the_pool_takes_it_out_is_freed(void **state)
{
    (void)state;
    int saved = dup(STDERR_FILENO);
    FILE *said = tmpfile();
    assert_true(saved >= 0 && said);
    dup2(fileno(said), STDERR_FILENO);
    /* 60 rounds in the plain and ASan builds; TSan, whose forks are
     * dearer, asks its data races of 20. */
#if defined(__SANITIZE_THREAD__)
    const int rounds = 20;
#else
    const int rounds = 60;
#endif
    for (int round = 0; round < rounds; round++) {
        cordon_pool *pool = cordon_pool_new(8);
        cordon_task *tasks[8];
        for (int i = 0; i < 8; i++) {
            tasks[i] = cordon_function_task(returns_at_once, NULL);
            assert_int_equal(cordon_pool_submit(pool, tasks[i]), 0);
        }
        pthread_t waiter;
        assert_int_equal(pthread_create(&waiter, NULL, waits_for_all, pool), 0);
        usleep(2000 + (unsigned)(round % 20) * 500);
        for (int i = 0; i < 8; i++)
            cordon_task_free(tasks[i]);
        pthread_join(waiter, NULL);
        cordon_pool_free(pool);
    }
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char text[256] = "";
    rewind(said);
    size_t got = fread(text, 1, sizeof text - 1, said);
    fclose(said);
    text[got] = '\0';
    assert_string_equal(text, "");
}

#define SUBMITTERS 4
#define PER_SUBMITTER 5

typedef struct submitter {
    cordon_pool *pool;
    cordon_task *tasks[PER_SUBMITTER];
    int failures;
} submitter;

static int report_number(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    return (int)(uintptr_t)arg;
}

static void *submit_some(void *arg)
{
    submitter *s = arg;
    for (int i = 0; i < PER_SUBMITTER; i++)
        s->failures += cordon_pool_submit(s->pool, s->tasks[i]) != 0;
    return NULL;
}

static void test_pool_many_threads_submit_at_once(void **state)
{
    (void)state;
    cordon_pool *pool = cordon_pool_new(3);
    submitter subs[SUBMITTERS];
    pthread_t threads[SUBMITTERS];
    for (int s = 0; s < SUBMITTERS; s++) {
        subs[s] = (submitter){ .pool = pool };
        for (int i = 0; i < PER_SUBMITTER; i++) {
            uintptr_t number = (uintptr_t)(s * PER_SUBMITTER + i + 1);
            subs[s].tasks[i] = cordon_function_task(report_number, (void *)number);
        }
        assert_int_equal(pthread_create(&threads[s], NULL, submit_some, &subs[s]), 0);
    }
    /* Taken out while the others still submit. */
    int total = 0, count = 0;
    for (; count < SUBMITTERS * PER_SUBMITTER; count++) {
        cordon_task *done;
        int rc = cordon_pool_wait_any(pool, 60000, &done);
        if (rc == -ECHILD) { /* nothing submitted yet: the threads are slow */
            usleep(1000);
            count--;
            continue;
        }
        assert_int_equal(rc, 0);
        total += cordon_task_result(done)->exit_code;
    }
    for (int s = 0; s < SUBMITTERS; s++) {
        pthread_join(threads[s], NULL);
        assert_int_equal(subs[s].failures, 0);
    }
    int n = SUBMITTERS * PER_SUBMITTER;
    assert_int_equal(total, n * (n + 1) / 2); /* each came out exactly once */
    cordon_task *done;
    assert_int_equal(cordon_pool_wait_any(pool, 0, &done), -ECHILD);
    cordon_pool_free(pool);
    for (int s = 0; s < SUBMITTERS; s++)
        for (int i = 0; i < PER_SUBMITTER; i++)
            cordon_task_free(subs[s].tasks[i]);
}

/* A done callback that submits the next task to the pool: chaining from
 * the collector thread. */
typedef struct chain {
    cordon_pool *pool;
    cordon_task *next;
    int submitted;
} chain;

static void submit_next(cordon_task *t, void *user)
{
    (void)t;
    chain *c = user;
    c->submitted = cordon_pool_submit(c->pool, c->next);
}

static void test_pool_done_callback_may_submit(void **state)
{
    (void)state;
    cordon_pool *pool = cordon_pool_new(1);
    cordon_task *first = shell("echo first"), *second = shell("echo second");
    chain c = { .pool = pool, .next = second, .submitted = 1 };
    assert_int_equal(cordon_set_done_callback(first, submit_next, &c), 0);
    assert_int_equal(cordon_pool_submit(pool, first), 0);
    cordon_task *done;
    assert_int_equal(cordon_pool_wait_any(pool, 60000, &done), 0);
    assert_ptr_equal(done, first);
    assert_int_equal(c.submitted, 0);
    assert_int_equal(cordon_pool_wait_any(pool, 60000, &done), 0);
    assert_ptr_equal(done, second);
    assert_string_equal(cordon_task_result(second)->std_out.data, "second\n");
    cordon_pool_free(pool);
    cordon_task_free(first);
    cordon_task_free(second);
}

/* One thread waits on the pool (wait_all, or wait_any until it is empty)
 * while another frees the tasks it submitted: each task leaves the pool
 * once.  Both once joined one collector twice and hung, or joined a task
 * already freed. */
#define RACED 6

typedef struct raced_pool {
    cordon_pool *pool;
    bool by_any;
    int finished;               /* the waiter came back */
} raced_pool;

static void *wait_on_pool(void *arg)
{
    raced_pool *r = arg;
    if (r->by_any) {
        cordon_task *done;
        while (cordon_pool_wait_any(r->pool, -1, &done) != -ECHILD)
            ;
    } else {
        cordon_pool_wait_all(r->pool, -1);
    }
    __atomic_store_n(&r->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *free_during_waits(void *arg)
{
    int *rounds_done = arg;
    for (int round = 0; round < 24; round++) {
        raced_pool r = { .pool = cordon_pool_new(round % 3 == 0 ? 2 : RACED),
                         .by_any = round % 2 };
        cordon_task *tasks[RACED];
        for (int i = 0; i < RACED; i++) {
            tasks[i] = shell("true");
            if (cordon_pool_submit(r.pool, tasks[i]) != 0)
                return NULL;
        }
        pthread_t waiter;
        if (pthread_create(&waiter, NULL, wait_on_pool, &r) != 0)
            return NULL;
        usleep((useconds_t)(round % 6) * 1000);
        for (int i = 0; i < RACED; i++)
            cordon_task_free(tasks[i]);
        pthread_join(waiter, NULL);
        cordon_pool_free(r.pool);
        __atomic_store_n(rounds_done, round + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void test_pool_task_freed_while_another_thread_waits_leaves_once(void **state)
{
    (void)state;
    int rounds_done = 0;
    pthread_t racer;
    assert_int_equal(pthread_create(&racer, NULL, free_during_waits, &rounds_done), 0);
    /* A hang fails the test rather than the suite's time. */
    struct timespec at;
    clock_gettime(CLOCK_REALTIME, &at);
    at.tv_sec += 120;
    int joined = pthread_timedjoin_np(racer, NULL, &at);
    if (joined != 0)
        fprintf(stderr, "hung after %d rounds\n", __atomic_load_n(&rounds_done, __ATOMIC_ACQUIRE));
    assert_int_equal(joined, 0);
    assert_int_equal(rounds_done, 24);
    assert_true(no_children_left());
}

/* A done callback that waits on its own pool, or on its own task: that
 * task ends only once the callback returns, so the wait is refused, as
 * cordon_join's is, instead of hanging the pool and every waiter. */
typedef struct waits_on_itself {
    cordon_pool *pool;
    int pool_any, pool_all, task_any;
} waits_on_itself;

static void wait_on_own_pool(cordon_task *t, void *user)
{
    waits_on_itself *w = user;
    cordon_task *done = t;
    w->pool_any = cordon_pool_wait_any(w->pool, -1, &done);
    w->pool_all = cordon_pool_wait_all(w->pool, -1);
    w->task_any = cordon_wait_any(&t, 1, -1);
}

static void test_pool_done_callback_waiting_on_its_own_pool_is_refused(void **state)
{
    (void)state;
    waits_on_itself w = { .pool = cordon_pool_new(1), 1, 1, 1 };
    cordon_task *t = shell("true");
    assert_int_equal(cordon_set_done_callback(t, wait_on_own_pool, &w), 0);
    assert_int_equal(cordon_pool_submit(w.pool, t), 0);
    cordon_task *done;
    assert_int_equal(cordon_pool_wait_any(w.pool, 60000, &done), 0);
    assert_ptr_equal(done, t);
    assert_int_equal(w.pool_any, -EDEADLK);
    assert_int_equal(w.pool_all, -EDEADLK);
    assert_int_equal(w.task_any, -EINVAL); /* a pool's task is the pool's to wait for */
    cordon_pool_free(w.pool);
    /* Outside a pool: waiting on itself is refused too. */
    w = (waits_on_itself){ .pool = cordon_pool_new(1), 1, 1, 1 };
    assert_int_equal(cordon_run_async(t), 0);
    assert_int_equal(cordon_join(t), 0);
    assert_int_equal(w.task_any, -EDEADLK);
    assert_int_equal(w.pool_any, -ECHILD);
    assert_int_equal(w.pool_all, 0);
    cordon_pool_free(w.pool);
    cordon_task_free(t);
}

/* A callback may still take what has ended: from its pool, a task that
 * ended before it; from a list, another task that ended (its own is
 * passed over, not waited for). */
typedef struct harvest {
    cordon_pool *pool;
    cordon_task *other;
    cordon_task *got;
    int pool_rc, list_rc;
} harvest;

static void takes_what_ended(cordon_task *t, void *user)
{
    harvest *h = user;
    if (h->pool) {
        h->pool_rc = cordon_pool_wait_any(h->pool, -1, &h->got);
        return;
    }
    cordon_task *both[2] = { t, h->other };
    h->list_rc = cordon_wait_any(both, 2, -1);
}

static void test_pool_done_callback_may_take_what_has_ended(void **state)
{
    (void)state;
    harvest h = { .pool = cordon_pool_new(2), .pool_rc = 1 };
    cordon_task *quick = shell("true"), *slow = shell("sleep 0.3");
    assert_int_equal(cordon_set_done_callback(slow, takes_what_ended, &h), 0);
    assert_int_equal(cordon_pool_submit(h.pool, quick), 0);
    assert_int_equal(cordon_pool_submit(h.pool, slow), 0);
    /* The slow one counts as running until its callback returns: the
     * callback takes the quick one first. */
    assert_int_equal(cordon_pool_wait_all(h.pool, 60000), 0);
    assert_int_equal(h.pool_rc, 0);
    assert_ptr_equal(h.got, quick);
    cordon_pool_free(h.pool);
    h = (harvest){ .other = quick, .list_rc = 7 };
    assert_int_equal(cordon_run_async(quick), 0);
    assert_int_equal(cordon_run_async(slow), 0);
    assert_int_equal(cordon_join(slow), 0);
    assert_int_equal(h.list_rc, 1);
    assert_int_equal(cordon_join(quick), 0);
    cordon_task_free(quick);
    cordon_task_free(slow);
}

static void test_pool_refuses_bad_arguments(void **state)
{
    (void)state;
    errno = 0;
    assert_null(cordon_pool_new(0));
    assert_int_equal(errno, EINVAL);
    cordon_pool *pool = cordon_pool_new(1);
    cordon_task *t = shell("true");
    assert_int_equal(cordon_pool_submit(NULL, t), -EINVAL);
    assert_int_equal(cordon_pool_submit(pool, NULL), -EINVAL);
    assert_int_equal(cordon_pool_wait_any(pool, 0, NULL), -EINVAL);
    assert_int_equal(cordon_pool_wait_all(NULL, 0), -EINVAL);
    /* A task already running on its own is not the pool's to start. */
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    cordon_set_stdin_fd(t, fds[0]);
    assert_int_equal(cordon_run_async(t), 0);
    assert_int_equal(cordon_pool_submit(pool, t), -EBUSY);
    close(fds[1]);
    assert_int_equal(cordon_join(t), 0);
    close(fds[0]);
    cordon_pool_free(pool);
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_of_two_never_runs_more_than_two),
        cmocka_unit_test(test_pool_wait_all_runs_the_queue_in_order),
        cmocka_unit_test(test_pool_task_is_the_pools_until_it_comes_out),
        cmocka_unit_test(test_pool_free_cancels_running_and_drops_queued),
        cmocka_unit_test(test_pool_task_freed_in_the_pool_leaves_it),
        cmocka_unit_test(test_pool_task_freed_while_the_pool_takes_it_out_is_freed),
        cmocka_unit_test(test_pool_many_threads_submit_at_once),
        cmocka_unit_test(test_pool_done_callback_may_submit),
        cmocka_unit_test(test_pool_refuses_bad_arguments),
        cmocka_unit_test(test_pool_task_freed_while_another_thread_waits_leaves_once),
        cmocka_unit_test(test_pool_done_callback_waiting_on_its_own_pool_is_refused),
        cmocka_unit_test(test_pool_done_callback_may_take_what_has_ended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
