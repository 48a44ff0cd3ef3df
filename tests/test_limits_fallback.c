/* Limits where no cgroup can be made: the rlimit fallback.  This file runs
 * in its own process with CORDON_CGROUP=none, read once per process. */
#include <sys/resource.h>

#include "support.h"

static int allocates_without_end(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    for (size_t total = 0;; total += 1 << 20) {
        char *block = malloc(1 << 20);
        if (!block) {
            printf("allocation failed after %zu MiB", total >> 20);
            return 99;
        }
        memset(block, 1, 1 << 20);
    }
}

static void test_fallback_memory_limit_is_rlimit_as(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(allocates_without_end, NULL);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 128u << 20);
    cordon_set_timeout_ms(t, 20000);
    /* RLIMIT_AS: the task sees allocations fail and ends as it chooses. */
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 99);
    assert_non_null(strstr(r->std_out.data, "allocation failed after"));
    assert_true(r->usage.max_rss_kb < 128u * 1024);
    cordon_task_free(t);
}

static void test_fallback_process_limit_is_rlimit_nproc(void **state)
{
    (void)state;
    cordon_task *t = shell("grep 'Max processes' /proc/self/limits | tr -s ' '");
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 33);
    const cordon_result *r = run_task(t, 0);
    /* Per user: a task's init, where it has one, counts too. */
    bool init = r->confinement & CORDON_CONFINED_PID_NAMESPACE;
    assert_string_equal(r->std_out.data, init ? "Max processes 34 34 processes \n"
                                              : "Max processes 33 33 processes \n");
    cordon_task_free(t);
}

static void test_fallback_memory_rlimit_is_visible_to_a_command(void **state)
{
    (void)state;
    cordon_task *t = shell("ulimit -v");
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 256u << 20);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "262144\n");
    cordon_task_free(t);
}

int main(void)
{
    setenv("CORDON_CGROUP", "none", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fallback_memory_limit_is_rlimit_as),
        cmocka_unit_test(test_fallback_process_limit_is_rlimit_nproc),
        cmocka_unit_test(test_fallback_memory_rlimit_is_visible_to_a_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
