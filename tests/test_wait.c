/* Async control: done?, join with a timeout, the pollable fd, wait for
 * any, the done callback, and cancel.  Tasks that must keep running are
 * held on a stdin pipe only the test can close, so that no assertion
 * depends on how fast a loaded machine runs them. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "support.h"

/* `cat` reading a pipe we hold: it runs until release() closes it. */
typedef struct held {
    cordon_task *task;
    int pipe[2];
} held;

static held hold_task(const char *line)
{
    held h;
    assert_int_equal(pipe2(h.pipe, O_CLOEXEC), 0);
    h.task = shell("cat");
    assert_int_equal(cordon_set_stdin_fd(h.task, h.pipe[0]), 0);
    assert_int_equal(cordon_run_async(h.task), 0);
    if (line)
        assert_int_equal(write(h.pipe[1], line, strlen(line)), (ssize_t)strlen(line));
    return h;
}

static void release(held *h)
{
    if (h->pipe[1] >= 0)
        close(h->pipe[1]);
    h->pipe[1] = -1;
}

static void held_free(held *h)
{
    release(h);
    close(h->pipe[0]);
    cordon_task_free(h->task);
}

static bool readable(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_wait_join_timeout_times_out_then_joins(void **state)
{
    (void)state;
    held h = hold_task("late");
    uint64_t start = now_ms();
    assert_int_equal(cordon_join_timeout(h.task, 150), -ETIMEDOUT);
    assert_true(now_ms() - start >= 140);
    assert_int_equal(cordon_join_timeout(h.task, 0), -ETIMEDOUT);
    assert_int_equal(cordon_task_done(h.task), 0);
    /* Still running, options still fixed. */
    assert_int_equal(cordon_set_timeout_ms(h.task, 5), -EBUSY);
    release(&h);
    assert_int_equal(cordon_join_timeout(h.task, 30000), 0);
    assert_string_equal(cordon_task_result(h.task)->std_out.data, "late");
    assert_int_equal(cordon_task_done(h.task), 1);
    assert_int_equal(cordon_join_timeout(h.task, 0), 0); /* joined again: the same */
    held_free(&h);
}

static void test_wait_fd_readable_exactly_when_done(void **state)
{
    (void)state;
    held h = hold_task(NULL);
    int fd = cordon_task_fd(h.task);
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_false(readable(fd, 200));
    assert_int_equal(cordon_task_done(h.task), 0);
    release(&h);
    assert_true(readable(fd, 30000));
    /* Readable means ended: done says so, and the join does not block. */
    assert_int_equal(cordon_task_done(h.task), 1);
    assert_true(readable(fd, 0)); /* stays readable until the join */
    assert_int_equal(cordon_join_timeout(h.task, 0), 0);
    assert_int_equal(cordon_task_fd(h.task), -EINVAL); /* closed by the join */
    held_free(&h);
}

static void test_wait_any_returns_the_fast_task_first(void **state)
{
    (void)state;
    held slow = hold_task("slow");
    cordon_task *fast = shell("echo fast");
    assert_int_equal(cordon_run_async(fast), 0);
    cordon_task *tasks[] = { slow.task, NULL, fast };
    assert_int_equal(cordon_wait_any(tasks, 3, 30000), 2);
    assert_int_equal(cordon_join(fast), 0);
    assert_string_equal(cordon_task_result(fast)->std_out.data, "fast\n");
    /* The joined one is no longer waited for; the slow one still runs. */
    assert_int_equal(cordon_wait_any(tasks, 3, 100), -ETIMEDOUT);
    release(&slow);
    assert_int_equal(cordon_wait_any(tasks, 3, 30000), 0);
    assert_int_equal(cordon_join(slow.task), 0);
    assert_string_equal(cordon_task_result(slow.task)->std_out.data, "slow");
    /* Nothing left to wait for. */
    assert_int_equal(cordon_wait_any(tasks, 3, -1), -EINVAL);
    assert_int_equal(cordon_wait_any(NULL, 3, 0), -EINVAL);
    cordon_task_free(fast);
    held_free(&slow);
}

/* Two tasks that ended while nobody waited: the lowest index comes first. */
static void test_wait_any_prefers_the_lowest_ended_index(void **state)
{
    (void)state;
    cordon_task *a = shell("exit 0"), *b = shell("exit 0");
    assert_int_equal(cordon_run_async(b), 0);
    assert_int_equal(cordon_run_async(a), 0);
    assert_true(readable(cordon_task_fd(a), 30000));
    assert_true(readable(cordon_task_fd(b), 30000));
    cordon_task *tasks[] = { a, b };
    assert_int_equal(cordon_wait_any(tasks, 2, 0), 0);
    assert_int_equal(cordon_join(a), 0);
    assert_int_equal(cordon_wait_any(tasks, 2, 0), 1);
    assert_int_equal(cordon_join(b), 0);
    cordon_task_free(a);
    cordon_task_free(b);
}

typedef struct callback_record {
    int calls;
    int own_join, own_join_timeout, own_done;
    char std_out[32];
    cordon_task *seen;
} callback_record;

static void on_done(cordon_task *t, void *user)
{
    callback_record *r = user;
    r->calls++;
    r->seen = t;
    snprintf(r->std_out, sizeof r->std_out, "%s", cordon_task_result(t)->std_out.data);
    r->own_join = cordon_join(t);
    r->own_join_timeout = cordon_join_timeout(t, 0);
    r->own_done = cordon_task_done(t);
}

static void test_wait_done_callback_called_once_with_the_result(void **state)
{
    (void)state;
    callback_record record = { 0 };
    held h = hold_task("from the task");
    assert_int_equal(cordon_set_done_callback(h.task, on_done, &record), -EBUSY);
    release(&h);
    assert_int_equal(cordon_join(h.task), 0);
    assert_int_equal(record.calls, 0); /* set too late for that run */

    assert_int_equal(cordon_set_done_callback(h.task, on_done, &record), 0);
    assert_int_equal(cordon_set_stdin(h.task, "again", 5), 0);
    assert_int_equal(cordon_run_async(h.task), 0);
    assert_int_equal(cordon_join(h.task), 0);
    assert_int_equal(record.calls, 1);
    assert_ptr_equal(record.seen, h.task);
    assert_string_equal(record.std_out, "again");
    /* From its own callback the task cannot be joined, and is not ended yet. */
    assert_int_equal(record.own_join, -EDEADLK);
    assert_int_equal(record.own_join_timeout, -EDEADLK);
    assert_int_equal(record.own_done, 0);
    /* Joined again: not called again.  A blocking run does not call it. */
    assert_int_equal(cordon_join(h.task), 0);
    assert_int_equal(cordon_run(h.task), 0);
    assert_int_equal(record.calls, 1);
    assert_int_equal(cordon_run_async(h.task), 0);
    assert_int_equal(cordon_join(h.task), 0);
    assert_int_equal(record.calls, 2);
    held_free(&h);
}

/* The mark is a sleep duration no other process uses. */
#define TREE_MARK "313.37"

static void test_cancel_kills_the_whole_tree(void **state)
{
    (void)state;
    /* A child and a grandchild, both sleeping; the shell waits. */
    cordon_task *t = shell("sh -c 'sleep " TREE_MARK " & wait' & sleep " TREE_MARK " & "
                           "echo started; wait");
    assert_int_equal(cordon_run_async(t), 0);
    for (int i = 0; i < 3000 && count_marked_processes(TREE_MARK, false) < 2; i++)
        usleep(10 * 1000);
    assert_int_equal(count_marked_processes(TREE_MARK, false), 2);
    assert_int_equal(cordon_task_done(t), 0);
    assert_int_equal(cordon_cancel(t), 0);
    assert_int_equal(cordon_cancel(t), 0); /* asked twice: the same */
    assert_int_equal(cordon_join_timeout(t, 30000), CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->exception, "Cancelled");
    assert_int_equal(r->signal, SIGKILL);
    assert_int_equal(r->exit_code, 128 + SIGKILL);
    assert_non_null(strstr(r->message, "cordon_cancel"));
    assert_string_equal(r->std_out.data, "started\n");
    assert_true(marked_processes_gone(TREE_MARK, false));
    assert_int_equal(cordon_cancel(t), -EINVAL); /* joined: nothing to cancel */
    cordon_task_free(t);
}

/* Cancelled only from evidence: a task that ended by itself before the
 * cancel keeps its own ending. */
static void test_cancel_after_the_end_keeps_the_tasks_ending(void **state)
{
    (void)state;
    cordon_task *t = shell("echo done; exit 3");
    assert_int_equal(cordon_run_async(t), 0);
    int fd = cordon_task_fd(t);
    assert_true(readable(fd, 30000));
    assert_int_equal(cordon_cancel(t), 0);
    assert_int_equal(cordon_join(t), 0);
    const cordon_result *r = cordon_task_result(t);
    assert_null(r->exception);
    assert_int_equal(r->exit_code, 3);
    assert_string_equal(r->message, "");
    assert_int_equal(cordon_cancel(NULL), -EINVAL);
    cordon_task_free(t);
}

/* Writes a line, then kills itself. */
static int writes_then_kills_itself(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    fputs("done\n", stdout);
    fflush(stdout);
    kill(getpid(), SIGKILL);
    return 0;
}

/* Holds the collecting thread in its first call until released (or 20 s),
 * as a slow output callback would. */
typedef struct holder {
    int entered, released;
} holder;

static void holds_the_collector(void *user, int stream, const char *data, size_t len)
{
    (void)stream, (void)data, (void)len;
    holder *h = user;
    if (__atomic_exchange_n(&h->entered, 1, __ATOMIC_ACQ_REL))
        return;
    for (int i = 0; i < 2000 && !__atomic_load_n(&h->released, __ATOMIC_ACQUIRE); i++)
        usleep(10 * 1000);
}

/* A task that died of a SIGKILL it sent itself, cancelled a second later
 * while the caller's collecting thread was held up: the cancel's kill did
 * not end it, so it is no Cancelled (it was, in a pid namespace).  Its
 * first process's end is timed by cordon's init, so this holds there. */
static void test_cancel_after_the_task_killed_itself_keeps_its_signal(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(writes_then_kills_itself, NULL);
    holder h = { 0, 0 };
    cordon_set_output_callback(t, holds_the_collector, &h);
    assert_int_equal(cordon_run_async(t), 0);
    for (int i = 0; i < 3000 && !__atomic_load_n(&h.entered, __ATOMIC_ACQUIRE); i++)
        usleep(10 * 1000);
    usleep(1000 * 1000); /* the task is long dead and reaped */
    assert_int_equal(cordon_cancel(t), 0);
    __atomic_store_n(&h.released, 1, __ATOMIC_RELEASE);
    cordon_join(t);
    const cordon_result *r = cordon_task_result(t);
    skip_without_the_init_s_timing(t);
    assert_string_equal(r->exception, "SIGKILL");
    assert_int_equal(r->exit_code, 128 + SIGKILL);
    assert_int_equal(r->signal, SIGKILL);
    assert_string_equal(r->std_out.data, "done\n");
    cordon_task_free(t);
}

/* A function task cancelled from another thread while the caller waits. */
static int spin(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    for (;;)
        pause();
    return 0;
}

static void *cancel_later(void *arg)
{
    usleep(100 * 1000);
    cordon_cancel(arg);
    return NULL;
}

static void test_cancel_from_another_thread(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(spin, NULL);
    assert_int_equal(cordon_run_async(t), 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, cancel_later, t), 0);
    assert_int_equal(cordon_join(t), CORDON_EXCEPTION);
    pthread_join(thread, NULL);
    assert_string_equal(cordon_task_result(t)->exception, "Cancelled");
    cordon_task_free(t);
}

static void test_wait_calls_refuse_a_task_never_started(void **state)
{
    (void)state;
    cordon_task *t = shell("true");
    assert_int_equal(cordon_task_done(t), -EINVAL);
    assert_int_equal(cordon_task_fd(t), -EINVAL);
    assert_int_equal(cordon_join_timeout(t, 0), -EINVAL);
    assert_int_equal(cordon_cancel(t), -EINVAL);
    cordon_task *tasks[] = { t };
    assert_int_equal(cordon_wait_any(tasks, 1, 0), -EINVAL);
    assert_int_equal(cordon_run(t), 0); /* a blocking run is no async one */
    assert_int_equal(cordon_task_done(t), -EINVAL);
    assert_int_equal(cordon_task_done(NULL), -EINVAL);
    assert_int_equal(cordon_set_done_callback(NULL, NULL, NULL), -EINVAL);
    cordon_task_free(t);
}

/* Freed while running, with its fd being polled: nothing leaks. */
static void test_wait_free_while_running_closes_its_fds(void **state)
{
    (void)state;
    int before = count_open_fds();
    held h = hold_task(NULL);
    assert_true(cordon_task_fd(h.task) >= 0);
    cordon_task_free(h.task);
    close(h.pipe[0]);
    close(h.pipe[1]);
    assert_int_equal(count_open_fds(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_join_timeout_times_out_then_joins),
        cmocka_unit_test(test_wait_fd_readable_exactly_when_done),
        cmocka_unit_test(test_wait_any_returns_the_fast_task_first),
        cmocka_unit_test(test_wait_any_prefers_the_lowest_ended_index),
        cmocka_unit_test(test_wait_done_callback_called_once_with_the_result),
        cmocka_unit_test(test_cancel_kills_the_whole_tree),
        cmocka_unit_test(test_cancel_after_the_end_keeps_the_tasks_ending),
        cmocka_unit_test(test_cancel_after_the_task_killed_itself_keeps_its_signal),
        cmocka_unit_test(test_cancel_from_another_thread),
        cmocka_unit_test(test_wait_calls_refuse_a_task_never_started),
        cmocka_unit_test(test_wait_free_while_running_closes_its_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
