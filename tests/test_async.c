/* Async runs: run_async returns at once, join waits, many tasks run from
 * many threads at the same time with correct results. */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <time.h>

#include "support.h"

static void test_async_returns_before_the_task_ends(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    cordon_task *t = shell("cat");
    cordon_set_stdin_fd(t, fds[0]);
    assert_int_equal(cordon_run_async(t), 0);
    /* The task is blocked on its stdin, which only we can feed: had
     * run_async waited for it, we would never get here. */
    assert_int_equal(cordon_run_async(t), -EBUSY);
    assert_int_equal(cordon_run(t), -EBUSY);
    assert_int_equal(write(fds[1], "fed later", 9), 9);
    close(fds[1]);
    assert_int_equal(cordon_join(t), 0);
    assert_string_equal(cordon_task_result(t)->std_out.data, "fed later");
    /* Joined again: the same answer, not an error. */
    assert_int_equal(cordon_join(t), 0);
    close(fds[0]);
    cordon_task_free(t);
}

static int echo_number(cordon_ctx *ctx, void *arg)
{
    int n = (int)(intptr_t)arg;
    printf("task %d", n);
    cordon_return(ctx, &n, sizeof n);
    return n * 3;
}

static void test_async_join_reports_exceptions(void **state)
{
    (void)state;
    cordon_task *t = shell("kill -TERM $$");
    assert_int_equal(cordon_run_async(t), 0);
    assert_int_equal(cordon_join(t), CORDON_EXCEPTION);
    assert_string_equal(cordon_task_result(t)->exception, "SIGTERM");
    cordon_task_free(t);
}

/* A negative timeout other than -1 waits without a limit, as poll(2)
 * has it and the header says: the task, which sleeps past the first look,
 * is joined, not given up on. */
static void test_async_any_negative_timeout_waits_for_the_end(void **state)
{
    (void)state;
    cordon_task *tasks[1] = { shell("sleep 0.2; exit 5") };
    assert_int_equal(cordon_run_async(tasks[0]), 0);
    assert_int_equal(cordon_wait_any(tasks, 1, -5), 0);
    assert_int_equal(cordon_join_timeout(tasks[0], -7), 0);
    assert_int_equal(cordon_task_result(tasks[0])->exit_code, 5);
    cordon_task_free(tasks[0]);
}

#define THREADS 8
#define TASKS_PER_THREAD 25

static void *run_many(void *arg)
{
    int base = (int)(intptr_t)arg * 1000;
    for (int i = 0; i < TASKS_PER_THREAD; i++) {
        int n = base + i;
        cordon_task *t = cordon_function_task(echo_number, (void *)(intptr_t)n);
        if (!t || cordon_run(t) != 0)
            return (void *)1;
        const cordon_result *r = cordon_task_result(t);
        char expected[32];
        snprintf(expected, sizeof expected, "task %d", n);
        int returned = -1;
        if (r->returns.len == sizeof returned)
            memcpy(&returned, r->returns.data, sizeof returned);
        bool ok = r->exit_code == n * 3 && strcmp(r->std_out.data, expected) == 0 &&
                  returned == n;
        cordon_task_free(t);
        if (!ok)
            return (void *)2;
    }
    return NULL;
}

static void test_async_many_threads_run_tasks_at_once(void **state)
{
    (void)state;
    int fds_before = count_open_fds();
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, run_many, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *failed = NULL;
        pthread_join(threads[i], &failed);
        assert_null(failed);
    }
    assert_int_equal(count_open_fds(), fds_before);
    assert_true(no_children_left());
}

static void test_async_many_tasks_in_flight(void **state)
{
    (void)state;
    enum { COUNT = 40 };
    cordon_task *tasks[COUNT];
    for (int i = 0; i < COUNT; i++) {
        tasks[i] = cordon_function_task(echo_number, (void *)(intptr_t)i);
        assert_int_equal(cordon_run_async(tasks[i]), 0);
    }
    for (int i = 0; i < COUNT; i++) {
        assert_int_equal(cordon_join(tasks[i]), 0);
        assert_int_equal(cordon_task_result(tasks[i])->exit_code, i * 3);
        cordon_task_free(tasks[i]);
    }
    assert_true(no_children_left());
}

static void test_async_free_joins_a_running_task(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 0.1");
    assert_int_equal(cordon_run_async(t), 0);
    cordon_task_free(t); /* must wait for the collector, not free under it */
    assert_true(no_children_left());
}

static int report_arg(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    return *(volatile int *)arg;
}

/* The child is forked before run_async returns: what the caller writes
 * into *arg right after is never seen by the task. */
static void test_async_forks_before_it_returns(void **state)
{
    (void)state;
    /* The order is the same on every run: TSan, whose runs cost some
     * 38 ms each, asks it of 50, the other builds of 200. */
#if defined(__SANITIZE_THREAD__)
    const int runs = 50;
#else
    const int runs = 200;
#endif
    for (int i = 0; i < runs; i++) {
        volatile int *value = malloc(sizeof *value);
        assert_non_null(value);
        *value = 1;
        cordon_task *t = cordon_function_task(report_arg, (void *)value);
        assert_int_equal(cordon_run_async(t), 0);
        *value = 2;
        assert_int_equal(cordon_join(t), 0);
        assert_int_equal(cordon_task_result(t)->exit_code, 1);
        free((void *)value);
        cordon_task_free(t);
    }
    assert_true(no_children_left());
}

/* While it runs, a task's options cannot change under it. */
static void test_async_options_are_fixed_while_running(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    cordon_task *t = shell("cat");
    assert_int_equal(cordon_set_stdin_fd(t, fds[0]), 0);
    assert_int_equal(cordon_run_async(t), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 1), -EBUSY);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 1), -EBUSY);
    assert_int_equal(cordon_set_policy(t, NULL), -EBUSY);
    assert_int_equal(cordon_set_stdin(t, "x", 1), -EBUSY);
    assert_int_equal(cordon_set_stdin_fd(t, -1), -EBUSY);
    assert_int_equal(cordon_set_output_callback(t, NULL, NULL), -EBUSY);
    assert_int_equal(cordon_set_cwd(t, "/"), -EBUSY);
    assert_int_equal(cordon_set_env(t, "A=1"), -EBUSY);
    assert_int_equal(cordon_clear_env(t), -EBUSY);
    assert_int_equal(cordon_set_core_dumps(t, 0), -EBUSY);
    assert_int_equal(cordon_set_backoff(t, 1, 2.0, 10), -EBUSY);
    assert_int_equal(cordon_set_profiler_hz(t, 100), -EBUSY);
    assert_int_equal(cordon_run_and_retry(t, 1, "*"), -EBUSY);
    usleep(300 * 1000); /* a 1 ms timeout, had it reached the run, ends it by now */
    assert_int_equal(write(fds[1], "done", 4), 4);
    close(fds[1]);
    assert_int_equal(cordon_join(t), 0);
    assert_string_equal(cordon_task_result(t)->std_out.data, "done");
    assert_int_equal(cordon_set_timeout_ms(t, 1), 0);
    close(fds[0]);
    cordon_task_free(t);
}

/* Freeing a running task kills it at once rather than waiting it out. */
static void test_async_free_kills_a_running_task(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 30 & sleep 30; wait");
    assert_int_equal(cordon_run_async(t), 0);
    usleep(50 * 1000);
    uint64_t before = (uint64_t)time(NULL);
    cordon_task_free(t);
    assert_true((uint64_t)time(NULL) - before < 5);
    assert_true(no_children_left());
}

static volatile int stop_running_tasks;

static int returns_zero(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

static int crashes(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    raise(SIGSEGV);
    return 0;
}

/* A function task, a command (`/bin/true`) or a function that crashes,
 * whose report names its frames: the last two walk glibc's list of
 * loaded objects in the caller.  Under a sanitizer only the first: its
 * allocator (gcc 12's) keeps none of its locks free across a fork, and
 * a copy's allocation of a size other threads' commands and crash
 * reports allocate waited in a lock one of them had held (1 copy of 150
 * in about one run of three). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TASK_KINDS 1
#else
#define TASK_KINDS 3
#endif
static cordon_task *task_of_kind(int which)
{
    static const char *const true_argv[] = { "/bin/true", NULL };
    if (which % TASK_KINDS == 1)
        return cordon_command_task(true_argv);
    return cordon_function_task(which % TASK_KINDS ? crashes : returns_zero, NULL);
}

static bool ended_as_its_kind(int which, cordon_task *t, int rc)
{
    const cordon_result *r = cordon_task_result(t);
    if (which % TASK_KINDS == 2)
        return rc == CORDON_EXCEPTION && r->exception && strcmp(r->exception, "SIGSEGV") == 0;
    return rc == 0 && !r->exception && r->exit_code == 0;
}

/* glibc's walk of its loaded objects made slow (it holds the loader's
 * lock while it walks), so that a fork lands inside a walk as often as
 * it can: this program's own dl_iterate_phdr comes first for cordon's
 * calls, and calls glibc's.  Not under a sanitizer, whose runtime walks
 * the list through this program's symbol before it can run the
 * program's code: there the walks keep their own pace. */
static volatile int loader_walks_slowly;

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)

typedef int loaded_object_visit(struct dl_phdr_info *, size_t, void *);
typedef struct slowed_walk {
    loaded_object_visit *visit;
    void *data;
    bool slept;
} slowed_walk;

static int visit_slowly(struct dl_phdr_info *info, size_t size, void *data)
{
    slowed_walk *walk = data;
    if (!walk->slept) {
        walk->slept = true;
        usleep(2000);
    }
    return walk->visit(info, size, walk->data);
}

int dl_iterate_phdr(loaded_object_visit *visit, void *data)
{
    static int (*glibc_s)(loaded_object_visit *, void *);
    if (!glibc_s)
        glibc_s = (int (*)(loaded_object_visit *, void *))dlsym(RTLD_NEXT, "dl_iterate_phdr");
    if (!__atomic_load_n(&loader_walks_slowly, __ATOMIC_RELAXED))
        return glibc_s(visit, data);
    slowed_walk walk = { visit, data, false };
    return glibc_s(visit_slowly, &walk);
}
#endif

/* Runs tasks of each kind in turn until told to stop. */
static void *runs_tasks_until_stopped(void *arg)
{
    (void)arg;
    for (int i = 0; !__atomic_load_n(&stop_running_tasks, __ATOMIC_ACQUIRE); i++) {
        cordon_task *t = task_of_kind(i);
        cordon_run(t);
        cordon_task_free(t);
    }
    return NULL;
}

/* A copy the caller forks while its other threads run tasks (its own
 * fork, Python's multiprocessing starting a worker) has only the forking
 * thread: a lock of cordon's that another thread held at the fork stayed
 * held for good, and the copy's first task hung in it.  So did glibc's
 * loader lock, held by a thread of cordon's walking the loaded objects
 * (a command's start, a crash report naming its frames): the copy's own
 * command or crash report then waited in that walk for ever.  Each copy
 * here runs one task of its own, of each kind in turn, while the walks
 * are made slow; an alarm ends one that hangs. */
static void test_async_a_copy_forked_beside_running_tasks_runs_its_own(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    /* ASan's own allocator (gcc 12's runtime) takes no lock around a
     * fork: a copy forked while another thread allocates waits for good
     * in its first malloc, before any of cordon's code (seen: the test's
     * cordon_function_task in calloc's size-class lock).  What the test
     * asks of cordon is asked of the plain and the TSan builds, whose
     * allocators are made safe across a fork. */
    skip();
#endif
    /* Under valgrind every copy's task ends other than as its kind (150
     * of 150, the same before): no seccomp filter, listener or pidfd
     * there.  The plain and TSan builds ask it of cordon. */
    SKIP_UNDER_VALGRIND("the tasks' kinds need seccomp and pidfds, which valgrind lacks");
    /* Under TSan a copy costs some 0.16 s (24 s for 150 measured), and
     * only function tasks run (TASK_KINDS): 50 copies there, 150 in the
     * plain build, whose forks land inside the slowed walks. */
#if defined(__SANITIZE_THREAD__)
    enum { RUNNING_THREADS = 4, FORKED_COPIES = 50 };
#else
    enum { RUNNING_THREADS = 4, FORKED_COPIES = 150 };
#endif
    pthread_t threads[RUNNING_THREADS];
    __atomic_store_n(&stop_running_tasks, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&loader_walks_slowly, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < RUNNING_THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, runs_tasks_until_stopped, NULL), 0);
    int hung = 0, failed = 0;
    for (int i = 0; i < FORKED_COPIES; i++) {
        usleep(500 + (i % 7) * 500);
        pid_t copy = fork();
        if (copy == 0) {
            alarm(8);
            cordon_task *t = task_of_kind(i);
            cordon_set_timeout_ms(t, 6000);
            int rc = cordon_run(t);
            _exit(ended_as_its_kind(i, t, rc) ? 0 : 1);
        }
        assert_true(copy > 0);
        int status = 0;
        assert_int_equal(waitpid(copy, &status, 0), copy);
        hung += WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    __atomic_store_n(&stop_running_tasks, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < RUNNING_THREADS; i++)
        pthread_join(threads[i], NULL);
    __atomic_store_n(&loader_walks_slowly, 0, __ATOMIC_RELAXED);
    print_message("%d of %d copies hung, %d failed\n", hung, FORKED_COPIES, failed);
    assert_int_equal(hung, 0);
    assert_int_equal(failed, 0);
}

static void *runs_a_limited_command(void *arg)
{
    (void)arg;
    static const char *const argv[] = { "/bin/sleep", "0.1", NULL };
    cordon_task *t = cordon_command_task(argv);
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 20);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 5000);
    cordon_run(t);
    cordon_task_free(t);
    return NULL;
}

/* A thread cancelled (pthread_cancel) while it runs a task: cordon acted
 * on the cancel inside its calls, leaving a mutex of its own held (the
 * next task of any thread waited for it for good) or a command's child,
 * which shares the thread's memory until its exec, unwinding the thread.
 * The cancel now acts once the run has returned: every cancelled thread
 * is joined, and the caller runs tasks after. */
static void test_async_a_thread_cancelled_in_a_run_leaves_cordon_whole(void **state)
{
    (void)state;
#if defined(__SANITIZE_THREAD__)
    /* TSan (gcc 12) reports a double lock of the fork gate
     * (sandbox/fork_reset.c) in a copy whose threads were cancelled, though
     * the copy runs through; not yet understood, so not asserted here.  The
     * plain and ASan builds run it. */
    skip();
#endif
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        alarm(30);
        for (int i = 0; i < 30; i++) {
            pthread_t thread;
            if (pthread_create(&thread, NULL, runs_a_limited_command, NULL) != 0)
                _exit(2);
            usleep((useconds_t)(i * 677 % 20000));
            pthread_cancel(thread);
            pthread_join(thread, NULL);
        }
        cordon_task *t = task_of_kind(1);
        int rc = cordon_run(t);
        _exit(ended_as_its_kind(1, t, rc) ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    if (WIFSIGNALED(status))
        fail_msg("the caller hung or died: %s", strsignal(WTERMSIG(status)));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *run_and_retry_on_a_thread(void *arg)
{
    cordon_task *t = arg;
    static int rc;
    rc = cordon_run_and_retry(t, 3, "Cancelled,SIGKILL");
    return &rc;
}

/* cordon_cancel ends a blocking run going on in another thread as it ends
 * an async one, and cordon_run_and_retry then makes no further attempt,
 * even where its list would retry the ending: how a program that stops
 * on a signal (the cordon command) gets each task's cleanup.  Before, it
 * was -EINVAL: only async runs could be cancelled. */
static void test_async_cancel_ends_a_blocking_run_on_another_thread(void **state)
{
    (void)state;
    cordon_task *t = cordon_shell_task("sleep 30");
    assert_non_null(t);
    pthread_t thread;
    double start = seconds_now();
    assert_int_equal(pthread_create(&thread, NULL, run_and_retry_on_a_thread, t), 0);
    int cancelled = -EINVAL;
    /* -EINVAL until the run has begun on the thread. */
    while (cancelled == -EINVAL && seconds_now() - start < 5) {
        usleep(20 * 1000);
        cancelled = cordon_cancel(t);
    }
    assert_int_equal(cancelled, 0);
    void *rc;
    assert_int_equal(pthread_join(thread, &rc), 0);
    assert_int_equal(*(int *)rc, CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->exception, "Cancelled");
    assert_int_equal(r->attempts, 1);
    assert_true(seconds_now() - start < 10);
    /* Nothing going on any more. */
    assert_int_equal(cordon_cancel(t), -EINVAL);
    cordon_task_free(t);
}

/* What the run's own output callback got from the calls it made on its
 * task: a blocking run is running until it returns. */
struct reentry {
    cordon_task *task;
    int run, run_async, retry, timeout, calls;
};

static void run_again_from_output(void *user, int stream, const char *data, size_t len)
{
    (void)stream;
    (void)data;
    (void)len;
    struct reentry *e = user;
    if (e->calls++)
        return;
    e->run = cordon_run(e->task);
    e->run_async = cordon_run_async(e->task);
    e->retry = cordon_run_and_retry(e->task, 1, "Timeout");
    e->timeout = cordon_set_timeout_ms(e->task, 1);
}

/* A blocking run is a run: its own output callback's cordon_run forked
 * another task whose output called it again, without end (hundreds of
 * children in seconds, the deadline never kept), and each nested run
 * replaced the cancel pipe, leaking it.  Now every run call and setter
 * is -EBUSY until the run returns, and the run ends as it would have. */
static void test_async_a_blocking_run_refuses_a_run_from_its_own_callback(void **state)
{
    (void)state;
    int fds_before = count_open_fds();
    cordon_task *t = shell("echo one; sleep 0.2; echo two");
    struct reentry e = { .task = t };
    assert_int_equal(cordon_set_output_callback(t, run_again_from_output, &e), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 10000), 0);
    assert_int_equal(cordon_run(t), 0);
    assert_int_equal(e.run, -EBUSY);
    assert_int_equal(e.run_async, -EBUSY);
    assert_int_equal(e.retry, -EBUSY);
    assert_int_equal(e.timeout, -EBUSY);
    const cordon_result *r = cordon_task_result(t);
    assert_null(r->exception);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
    assert_int_equal(count_open_fds(), fds_before);
}

/* ---- Freeing a task, or its pool, from the task's own callbacks ------
 *
 * The run that called the callback goes on using the task (and a pool's
 * free waits for the callback's own task): freed there, the run read and
 * wrote freed memory (AddressSanitizer: heap-use-after-free in
 * cordon__buffer_append, closed_for_the_caller, cordon__async_finished,
 * cordon__blocking_end), and a pool freed from a done callback never
 * returned.  Now the free is refused, with a line on stderr, and the task
 * (or pool) stays whole for a free after the run. */
static void free_from_output(void *user, int stream, const char *data, size_t len)
{
    (void)stream;
    (void)data;
    (void)len;
    cordon_task_free(user);
}

static ssize_t free_from_stdin(void *user, char *buf, size_t cap)
{
    (void)buf;
    (void)cap;
    cordon_task_free(user);
    return 0;
}

static int free_from_retry(const cordon_result *r, unsigned attempt, void *user)
{
    (void)r;
    (void)attempt;
    cordon_task_free(user);
    return 0;
}

static void free_from_done(cordon_task *t, void *user)
{
    (void)user;
    cordon_task_free(t);
}

static void free_pool_from_done(cordon_task *t, void *pool)
{
    (void)t;
    cordon_pool_free(pool);
}

static void assert_ran_whole(cordon_task *t)
{
    const cordon_result *r = cordon_task_result(t);
    assert_null(r->exception);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->std_out.len, 6);
    assert_memory_equal(r->std_out.data, "hi\nho\n", 6);
}

static int sleeps_a_little(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    usleep(400 * 1000);
    return 5;
}

typedef struct second_join {
    cordon_task *task;
    bool with_timeout;
    int rc;
} second_join;

static void *joins_too(void *arg)
{
    second_join *j = arg;
    j->rc = j->with_timeout ? cordon_join_timeout(j->task, 3000) : cordon_join(j->task);
    return NULL;
}

/* Two threads joining one task both called pthread_join on its collector:
 * one of them never returned (cordon_join_timeout past its 3 s too), and a
 * task freed under another thread's join left that join waiting on freed
 * memory.  One thread joins; another gets -EBUSY, or the answer once the
 * join is done; a free meanwhile is refused, said on stderr. */
static void test_async_two_threads_joining_one_task_both_return(void **state)
{
    (void)state;
    for (int with_timeout = 0; with_timeout < 2; with_timeout++) {
        cordon_task *t = cordon_function_task(sleeps_a_little, NULL);
        assert_int_equal(cordon_run_async(t), 0);
        second_join j = { .task = t, .with_timeout = with_timeout, .rc = -1000 };
        pthread_t other;
        assert_int_equal(pthread_create(&other, NULL, joins_too, &j), 0);
        usleep(100 * 1000);
        cordon_task_free(t); /* refused while the other thread joins */
        int mine = cordon_join(t);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        if (pthread_timedjoin_np(other, NULL, &until) != 0)
            fail_msg("the other thread's join (%s) never returned",
                     with_timeout ? "cordon_join_timeout" : "cordon_join");
        if (!(mine == 0 || mine == -EBUSY) || !(j.rc == 0 || j.rc == -EBUSY))
            fail_msg("%s: this thread's join %d, the other's %d",
                     with_timeout ? "cordon_join_timeout" : "cordon_join", mine, j.rc);
        assert_true(mine == 0 || j.rc == 0);
        /* A join with time left waits for the other's to be done (it
         * returned -EBUSY with seconds to go). */
        if (with_timeout)
            assert_int_equal(j.rc, 0);
        assert_int_equal(cordon_join(t), 0); /* the answer again, once joined */
        assert_int_equal(cordon_task_result(t)->exit_code, 5);
        cordon_task_free(t);
    }
}

static void *runs_blocking(void *arg)
{
    return (void *)(intptr_t)cordon_run(arg);
}

static void *waits_for_any(void *arg)
{
    cordon_task *tasks[1] = { arg };
    return (void *)(intptr_t)cordon_wait_any(tasks, 1, 10000);
}

/* A task freed while another thread's blocking cordon_run ran it: the
 * run went on reading and writing the freed task for as long as the
 * command lived (ASan: heap-use-after-free in the collector), and the
 * next task made reused its memory.  Freed while another thread waited
 * for it in cordon_wait_any, that wait read freed memory.  Both frees are
 * refused, said on stderr; the run is cancelled. */
static void test_async_a_task_is_never_freed_under_another_thread_s_run_or_wait(void **state)
{
    (void)state;
    const char *argv[] = { "sleep", "7", NULL };
    cordon_task *t = cordon_command_task(argv);
    pthread_t other;
    double start = seconds_now();
    assert_int_equal(pthread_create(&other, NULL, runs_blocking, t), 0);
    usleep(300 * 1000);
    cordon_task_free(t); /* refused, and the run cancelled */
    void *rc;
    assert_int_equal(pthread_join(other, &rc), 0);
    assert_int_equal((intptr_t)rc, CORDON_EXCEPTION);
    assert_true(seconds_now() - start < 5); /* cancelled, not run to its end */
    assert_string_equal(cordon_task_result(t)->exception, "Cancelled");
    cordon_task_free(t);

    t = cordon_function_task(sleeps_a_little, NULL);
    assert_int_equal(cordon_run_async(t), 0);
    assert_int_equal(pthread_create(&other, NULL, waits_for_any, t), 0);
    usleep(100 * 1000);
    cordon_task_free(t); /* refused while the other thread waits for it */
    assert_int_equal(pthread_join(other, &rc), 0);
    assert_int_equal((intptr_t)rc, 0);
    assert_int_equal(cordon_join(t), 0);
    assert_int_equal(cordon_task_result(t)->exit_code, 5);
    cordon_task_free(t);
}

static int raises_at_once(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_raise(ctx, "Boom", "raised");
}

static void *returns_42_later(void *arg)
{
    (void)arg;
    usleep(300 * 1000);
    return (void *)(intptr_t)42;
}

/* A task that ended with an exception is joined again (status 1): the
 * second join had taken 1, the exception's status, for "this thread
 * joins" and joined the collector joined already: the caller crashed, or
 * its join took another thread of the caller's (a worker's value lost to
 * its own pthread_join, ESRCH).  Pools join their tasks, so a join after
 * cordon_pool_wait_all was such a second one. */
static void test_async_a_task_that_raised_is_joined_again(void **state)
{
    (void)state;
    for (int way = 0; way < 2; way++) {
        cordon_task *t = cordon_function_task(raises_at_once, NULL);
        cordon_pool *pool = NULL;
        if (way == 0) {
            assert_int_equal(cordon_run_async(t), 0);
            assert_int_equal(cordon_join(t), 1);
        } else {
            pool = cordon_pool_new(2);
            assert_non_null(pool);
            assert_int_equal(cordon_pool_submit(pool, t), 0);
            assert_int_equal(cordon_pool_wait_all(pool, -1), 0);
        }
        pthread_t worker;
        assert_int_equal(pthread_create(&worker, NULL, returns_42_later, NULL), 0);
        for (int again = 0; again < 3; again++)
            assert_int_equal(cordon_join(t), 1);
        assert_int_equal(cordon_join_timeout(t, 0), 1);
        assert_int_equal(cordon_task_done(t), 1);
        void *value = NULL;
        assert_int_equal(pthread_join(worker, &value), 0);
        assert_int_equal((intptr_t)value, 42);
        assert_string_equal(cordon_task_result(t)->exception, "Boom");
        if (pool)
            cordon_pool_free(pool);
        cordon_task_free(t);
    }
}

static void test_async_a_task_freed_from_its_own_callbacks_stays_whole(void **state)
{
    (void)state;
    for (int way = 0; way < 5; way++) {
        /* a retry callback is called after an attempt that may be retried */
        cordon_task *t = shell(way == 2 ? "echo hi; sleep 0.1; echo ho; exit 1"
                                        : "echo hi; sleep 0.1; echo ho");
        assert_int_equal(cordon_set_timeout_ms(t, 10000), 0);
        if (way == 0 || way == 4)
            assert_int_equal(cordon_set_output_callback(t, free_from_output, t), 0);
        if (way == 1)
            assert_int_equal(cordon_set_stdin_callback(t, free_from_stdin, t), 0);
        if (way == 2)
            assert_int_equal(cordon_set_retry_callback(t, free_from_retry, t), 0);
        if (way == 3)
            assert_int_equal(cordon_set_done_callback(t, free_from_done, NULL), 0);
        if (way == 2) {
            assert_int_equal(cordon_run_and_retry(t, 2, NULL), 0);
            const cordon_result *r = cordon_task_result(t);
            assert_int_equal(r->exit_code, 1);
            assert_int_equal(r->attempts, 1);
            assert_memory_equal(r->std_out.data, "hi\nho\n", 6);
        } else if (way >= 3) { /* the callbacks on the collector's thread */
            assert_int_equal(cordon_run_async(t), 0);
            assert_int_equal(cordon_join(t), 0);
            assert_ran_whole(t);
        } else {
            assert_int_equal(cordon_run(t), 0);
            assert_ran_whole(t);
        }
        cordon_task_free(t);
    }
}

static void test_async_a_pool_freed_from_its_task_s_callback_stays_whole(void **state)
{
    (void)state;
    cordon_pool *pool = cordon_pool_new(2);
    assert_non_null(pool);
    cordon_task *tasks[2] = { shell("echo hi; sleep 0.1; echo ho"), shell("echo hi; echo ho") };
    assert_int_equal(cordon_set_done_callback(tasks[0], free_pool_from_done, pool), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(cordon_pool_submit(pool, tasks[i]), 0);
    cordon_task *done = NULL;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(cordon_pool_wait_any(pool, 10000, &done), 0);
        assert_ran_whole(done);
    }
    cordon_pool_free(pool);
    for (int i = 0; i < 2; i++)
        cordon_task_free(tasks[i]);
}

static void *run_on_a_thread(void *arg)
{
    static int rc;
    rc = cordon_run(arg);
    return &rc;
}

static void note_output(void *user, int stream, const char *data, size_t len)
{
    (void)stream;
    (void)data;
    __atomic_add_fetch((size_t *)user, len, __ATOMIC_RELEASE);
}

/* Another thread's cordon_run beside a blocking run: it had run the task
 * a second time at once, and its end (closing the cancel pipe it had put
 * in place of the first run's) marked the first run Cancelled, no one
 * having cancelled anything; two fds leaked per pair.  Now -EBUSY, and
 * the first run's result is its own. */
static void test_async_a_blocking_run_refuses_a_run_from_another_thread(void **state)
{
    (void)state;
    int fds_before = count_open_fds();
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    cordon_task *t = shell("echo started; cat; echo done");
    size_t shown = 0;
    assert_int_equal(cordon_set_stdin_fd(t, fds[0]), 0);
    assert_int_equal(cordon_set_output_callback(t, note_output, &shown), 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, run_on_a_thread, t), 0);
    double start = seconds_now();
    while (seconds_now() - start < 10 && __atomic_load_n(&shown, __ATOMIC_ACQUIRE) == 0)
        usleep(20 * 1000);
    assert_int_equal(__atomic_load_n(&shown, __ATOMIC_ACQUIRE), 8); /* "started\n" */
    assert_int_equal(cordon_run(t), -EBUSY);
    assert_int_equal(cordon_run_async(t), -EBUSY);
    assert_int_equal(cordon_set_cwd(t, "/"), -EBUSY);
    assert_int_equal(write(fds[1], "fed\n", 4), 4);
    close(fds[1]);
    void *rc;
    assert_int_equal(pthread_join(thread, &rc), 0);
    assert_int_equal(*(int *)rc, 0);
    const cordon_result *r = cordon_task_result(t);
    assert_null(r->exception);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(shown, 8 + 4 + 5);
    close(fds[0]);
    cordon_task_free(t);
    assert_int_equal(count_open_fds(), fds_before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_async_returns_before_the_task_ends),
        cmocka_unit_test(test_async_join_reports_exceptions),
        cmocka_unit_test(test_async_any_negative_timeout_waits_for_the_end),
        cmocka_unit_test(test_async_many_threads_run_tasks_at_once),
        cmocka_unit_test(test_async_many_tasks_in_flight),
        cmocka_unit_test(test_async_free_joins_a_running_task),
        cmocka_unit_test(test_async_forks_before_it_returns),
        cmocka_unit_test(test_async_options_are_fixed_while_running),
        cmocka_unit_test(test_async_free_kills_a_running_task),
        cmocka_unit_test(test_async_cancel_ends_a_blocking_run_on_another_thread),
        cmocka_unit_test(test_async_a_copy_forked_beside_running_tasks_runs_its_own),
        cmocka_unit_test(test_async_a_thread_cancelled_in_a_run_leaves_cordon_whole),
        cmocka_unit_test(test_async_a_blocking_run_refuses_a_run_from_its_own_callback),
        cmocka_unit_test(test_async_a_blocking_run_refuses_a_run_from_another_thread),
        cmocka_unit_test(test_async_two_threads_joining_one_task_both_return),
        cmocka_unit_test(test_async_a_task_is_never_freed_under_another_thread_s_run_or_wait),
        cmocka_unit_test(test_async_a_task_that_raised_is_joined_again),
        cmocka_unit_test(test_async_a_task_freed_from_its_own_callbacks_stays_whole),
        cmocka_unit_test(test_async_a_pool_freed_from_its_task_s_callback_stays_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
