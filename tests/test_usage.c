/* Accounting: rusage of the task's tree and its wall time. */
#include <time.h>

#include "support.h"

static int spins(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    struct timespec start, now;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
    volatile unsigned long sink = 0;
    do {
        for (int i = 0; i < 100000; i++)
            sink += (unsigned long)i;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) <
             200000000L);
    return 0;
}

static void test_usage_counts_cpu_time(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(spins, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_true(r->usage.user_us + r->usage.sys_us >= 190000);
    assert_true(r->usage.wall_us >= r->usage.user_us / 2);
    cordon_task_free(t);
}

static int touches_memory(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    size_t len = *(size_t *)arg;
    char *block = malloc(len);
    if (!block)
        return 1;
    memset(block, 1, len);
    int sum = block[len / 2];
    free(block);
    return sum;
}

static void test_usage_peak_rss_follows_the_task(void **state)
{
    (void)state;
    size_t len = 96u << 20;
    cordon_task *t = cordon_function_task(touches_memory, &len);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 1);
    assert_true(r->usage.max_rss_kb >= 96u * 1024);
    assert_true(r->usage.minflt >= 96u * 1024 / 4 / 2); /* at least half its pages */
    cordon_task_free(t);
}

static void test_usage_includes_the_commands_children(void **state)
{
    (void)state;
    /* The shell waits for its child, so the child's CPU is the task's. */
    cordon_task *t = shell("sh -c 'i=0; while [ $i -lt 60000 ]; do i=$((i+1)); done'");
    const cordon_result *r = run_task(t, 0);
    assert_true(r->usage.user_us + r->usage.sys_us >= 20000);
    cordon_task_free(t);
}

static void test_usage_wall_time_covers_the_run(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 0.25");
    const cordon_result *r = run_task(t, 0);
    assert_true(r->usage.wall_us >= 250000);
    assert_true(r->usage.nvcsw >= 1);
    cordon_task_free(t);
}

/* The wall clock starts before the fork: a task that is over before the
 * fork returns in a busy parent must still show the time it ran. */
static void test_usage_wall_time_is_never_below_cpu_time(void **state)
{
    (void)state;
    enum { TASKS = 8, ROUNDS = 25 };
    for (int round = 0; round < ROUNDS; round++) {
        cordon_task *tasks[TASKS];
        for (int i = 0; i < TASKS; i++) {
            tasks[i] = shell("i=0; while [ $i -lt 300 ]; do i=$((i+1)); done");
            assert_int_equal(cordon_run_async(tasks[i]), 0);
        }
        for (int i = 0; i < TASKS; i++) {
            assert_int_equal(cordon_join(tasks[i]), 0);
            const cordon_usage *u = &cordon_task_result(tasks[i])->usage;
            if (u->wall_us + 1000 < u->user_us + u->sys_us)
                fail_msg("wall %llu us < cpu %llu us", (unsigned long long)u->wall_us,
                         (unsigned long long)(u->user_us + u->sys_us));
            cordon_task_free(tasks[i]);
        }
    }
}

/* Orphans the task left spinning, killed when it ends: their CPU is the
 * task's, with a policy and without one. */
static void orphans_count(const cordon_policy *policy, bool set_policy)
{
    /* Two orphans that each spin for 200 ms of CPU, then go on spinning
     * until the task's end kills them; the shell waits for the CPU, not
     * for a span of wall time, which a loaded machine may not fill. */
    cordon_task *t = shell("d=$(mktemp -d) && H=\"$CORDON_HOSTILE_DIR/hostile\" && "
                           "($H spin-then-mark 200 $d/a &) && ($H spin-then-mark 200 $d/b &) && "
                           "until [ -e $d/a ] && [ -e $d/b ]; do sleep 0.02; done; rm -r $d");
    if (set_policy)
        cordon_set_policy(t, policy);
    cordon_set_timeout_ms(t, 20000);
    const cordon_result *r = run_task(t, 0);
    if (!(r->confinement & CORDON_CONFINED_PID_NAMESPACE)) {
        cordon_task_free(t); /* rusage: only what the shell waited for */
        return;
    }
    /* 400 ms at least: far above the few ms the shell itself uses */
    assert_true(r->usage.user_us + r->usage.sys_us >= 400000);
    cordon_task_free(t);
}

static void test_usage_counts_orphans_killed_at_the_end(void **state)
{
    (void)state;
    if (!getenv("CORDON_HOSTILE_DIR"))
        skip();
    orphans_count(NULL, false);
    orphans_count(NULL, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_counts_cpu_time),
        cmocka_unit_test(test_usage_peak_rss_follows_the_task),
        cmocka_unit_test(test_usage_includes_the_commands_children),
        cmocka_unit_test(test_usage_wall_time_covers_the_run),
        cmocka_unit_test(test_usage_wall_time_is_never_below_cpu_time),
        cmocka_unit_test(test_usage_counts_orphans_killed_at_the_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
