/*
 * The hostile-task corpus (tests/hostile/hostile.c): each attack ends with
 * its expected outcome, leaves no process, fd or cgroup behind, and the
 * parent — this test process — lives on with its state unchanged.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "support.h"

static char hostile_path[512];
static int fds_at_start;
static volatile sig_atomic_t usr1_received, cont_received;

static void count_signal(int signo)
{
    if (signo == SIGUSR1)
        usr1_received++;
    else
        cont_received++;
}

static int trivial(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    return (int)(intptr_t)arg;
}

static int set_up(void **state)
{
    (void)state;
    const char *dir = getenv("CORDON_HOSTILE_DIR");
    snprintf(hostile_path, sizeof hostile_path, "%s/hostile", dir ? dir : "build/hostile");
    struct sigaction counting = { .sa_handler = count_signal };
    sigaction(SIGUSR1, &counting, NULL);
    sigaction(SIGCONT, &counting, NULL);
    /* The first task makes what cordon keeps for the process's life (the
     * Landlock ruleset; under a CPU limit, the counter that keeps the
     * kernel's hooks for CPU counters on); count fds after it. */
    cordon_task *warm_up = cordon_function_task(trivial, NULL);
    cordon_set_limit(warm_up, CORDON_LIMIT_CPU_MS, 10000);
    cordon_run(warm_up);
    cordon_task_free(warm_up);
    fds_at_start = count_open_fds();
    return 0;
}

/* This process's cgroups: those still holding a process, and all of them
 * (an idle one that held only a tree is kept for the next task). */
static void count_cordon_cgroups(int *holding, int *all)
{
    const char *parents[] = { "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified" };
    char prefix[64];
    snprintf(prefix, sizeof prefix, "cordon-%d-", (int)getpid());
    *holding = *all = 0;
    for (size_t i = 0; i < sizeof parents / sizeof *parents; i++)
        count_cgroups(parents[i], prefix, all, holding);
}

/* After every case: nothing of the task is left. */
static int nothing_left(void **state)
{
    (void)state;
    assert_true(no_children_left());
    assert_int_equal(count_open_fds(), fds_at_start);
    int holding, all;
    count_cordon_cgroups(&holding, &all);
    assert_int_equal(holding, 0);
    /* idle ones are kept for the next tasks: at most 8 of each pool, the
     * v2 trees' and the v1 pids cgroups that held the process share
     * (tasks from eight threads at once each had one) */
    assert_in_range(all, 0, 16);
    return 0;
}

static cordon_task *hostile(const char *mode, const char *extra)
{
    const char *argv[] = { hostile_path, mode, extra, NULL };
    cordon_task *t = cordon_command_task(argv);
    assert_non_null(t);
    return t;
}

static void test_hostile_fork_bomb_is_stopped(void **state)
{
    (void)state;
    cordon_task *t = hostile("fork-bomb", NULL);
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 64);
    cordon_set_timeout_ms(t, 1500);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_true(strcmp(r->exception, "ProcessLimit") == 0 || strcmp(r->exception, "Timeout") == 0);
    assert_true(r->usage.wall_us < 10u * 1000 * 1000);
    cordon_task_free(t);
}

static void test_hostile_escaping_the_group_fails(void **state)
{
    (void)state;
    cordon_task *t = hostile("escape-group", NULL);
    cordon_set_timeout_ms(t, 5000);
    const cordon_result *r = cordon_run(t) >= 0 ? cordon_task_result(t) : NULL;
    assert_non_null(r);
    /* setsid is refused by the default policy; whatever the grandchild
     * did, it is gone once the task ended. */
    assert_true(marked_processes_gone("cordon-escaped", true));
    cordon_task_free(t);
}

static void test_hostile_escaping_without_a_policy_is_held_by_the_cgroup(void **state)
{
    (void)state;
    cordon_task *t = hostile("escape-group", NULL);
    cordon_set_policy(t, NULL);
    cordon_set_timeout_ms(t, 5000);
    const cordon_result *r = run_task(t, 0);
    assert_true(atoi(r->std_out.data) > 0);
    assert_true(marked_processes_gone("cordon-escaped", true));
    cordon_task_free(t);
}

static void test_hostile_attacks_on_the_parent_fail(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("no seccomp user notification, so violations are not named");
    usr1_received = cont_received = 0;
    cordon_task *t = hostile("attack-parent", NULL);
    cordon_set_timeout_ms(t, 5000);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "PolicyViolation");
    assert_non_null(strstr(r->exc_out.data, "ptrace"));
    assert_non_null(strstr(r->std_out.data, "kill parent -1 (Operation not permitted)"));
    assert_int_equal(usr1_received, 0);
    assert_int_equal(cont_received, 0);
    cordon_task_free(t);
}

static void test_hostile_flood_is_capped_until_the_deadline(void **state)
{
    (void)state;
    cordon_task *t = hostile("flood", NULL);
    cordon_set_limit(t, CORDON_LIMIT_OUTPUT, 1 << 20);
    cordon_set_timeout_ms(t, 500);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "Timeout");
    assert_int_equal(r->std_out.len, 1 << 20);
    assert_int_equal(r->std_err.len, 1 << 20);
    assert_true(r->std_out.dropped > 0 && r->std_err.dropped > 0);
    cordon_task_free(t);
}

static void test_hostile_stopped_or_deaf_tasks_die_at_the_deadline(void **state)
{
    (void)state;
    const char *modes[] = { "stop-self", "ignore-signals" };
    for (size_t i = 0; i < 2; i++) {
        cordon_task *t = hostile(modes[i], NULL);
        cordon_set_timeout_ms(t, 200);
        const cordon_result *r = run_task(t, CORDON_EXCEPTION);
        assert_string_equal(r->exception, "Timeout");
        cordon_task_free(t);
    }
}

static void test_hostile_closing_every_fd_ends_normally(void **state)
{
    (void)state;
    cordon_task *t = hostile("close-fds", NULL);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
}

static void test_hostile_pipes_held_by_a_grandchild_do_not_hang(void **state)
{
    (void)state;
    cordon_task *t = hostile("hold-pipes", NULL);
    cordon_set_timeout_ms(t, 30000);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "parent leaves\n");
    assert_true(r->usage.wall_us < 5u * 1000 * 1000);
    cordon_task_free(t);
}

static void test_hostile_endless_allocation_hits_the_memory_limit(void **state)
{
    (void)state;
    cordon_task *t = hostile("allocate", NULL);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20);
    cordon_set_timeout_ms(t, 20000);
    const cordon_result *r = cordon_run(t) >= 0 ? cordon_task_result(t) : NULL;
    assert_non_null(r);
    /* A memory cgroup gives MemoryLimit; RLIMIT_AS makes malloc fail. */
    if (r->exception)
        assert_string_equal(r->exception, "MemoryLimit");
    else
        assert_int_equal(r->exit_code, 3);
    cordon_task_free(t);
}

static void test_hostile_spinning_hits_the_cpu_limit(void **state)
{
    (void)state;
    cordon_task *t = hostile("spin", NULL);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 250);
    cordon_set_timeout_ms(t, 20000);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "CpuLimit");
    cordon_task_free(t);
}

static void test_hostile_huge_file_hits_the_file_size_limit(void **state)
{
    (void)state;
    char path[] = "/tmp/cordon-hostile-huge-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    cordon_task *t = hostile("huge-file", path);
    cordon_set_limit(t, CORDON_LIMIT_FILE_SIZE, 4u << 20);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    /* valgrind's filter has no listener, which a timer's SIGXFSZ needs to
     * be told from the limit's: there the signal is reported */
    assert_string_equal(r->exception,
                        getenv("CORDON_UNDER_VALGRIND") ? "SIGXFSZ" : "FileSizeLimit");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size <= (4 << 20));
    unlink(path);
    cordon_task_free(t);
}

/* Some machines have no 32-bit entry at all (int $0x80 faults even
 * without a filter); there the attack must still get nowhere. */
static void test_hostile_32_bit_syscalls_are_blocked(void **state)
{
    (void)state;
#if defined(__x86_64__)
    cordon_task *bare = hostile("int80", NULL);
    cordon_set_policy(bare, NULL);
    cordon_run(bare);
    bool entry_exists = strstr(cordon_task_result(bare)->std_out.data, "returned") != NULL;
    cordon_task_free(bare);
    cordon_task *t = hostile("int80", NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    if (entry_exists) {
        /* valgrind's filter has no listener: a bare SIGSYS, not named */
        assert_string_equal(r->exception,
                            getenv("CORDON_UNDER_VALGRIND") ? "SIGSYS" : "PolicyViolation");
        if (!getenv("CORDON_UNDER_VALGRIND"))
            assert_non_null(strstr(r->exc_out.data, "forbids an i386 (int $0x80) call: getpid()"));
    }
    assert_null(strstr(r->std_out.data, "int 0x80 returned"));
    cordon_task_free(t);
#endif
}

static void test_hostile_x32_syscalls_are_blocked(void **state)
{
    (void)state;
#if defined(__x86_64__)
    cordon_task *t = hostile("x32", NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception,
                        getenv("CORDON_UNDER_VALGRIND") ? "SIGSYS" : "PolicyViolation");
    if (!getenv("CORDON_UNDER_VALGRIND"))
        assert_non_null(strstr(r->exc_out.data, "forbids an x32 call: getpid()"));
    assert_null(strstr(r->std_out.data, "returned"));
    cordon_task_free(t);
#endif
}

static void test_hostile_binary_output_is_captured_exactly(void **state)
{
    (void)state;
    cordon_task *t = hostile("binary-output", NULL);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->std_out.len, 11);
    assert_memory_equal(r->std_out.data, "ok\x00\xff\xfe\xc3\x28\xed\xa0\x80\n", 11);
    cordon_task_free(t);
}

static void test_hostile_more_tasks_in_a_row_than_open_files(void **state)
{
    (void)state;
    /* More tasks than the soft RLIMIT_NOFILE, lowered to 256 for them, so
     * that one fd kept per task fails in every build (the teardown counts
     * fds too); 2,000 under the default 1,024 took 13 s of the suite's
     * time here.  bench/hostile_outcomes.c runs 10,000 for the README's
     * table, outside the suite's time. */
    struct rlimit before = open_files_lowered_to(256);
    int count = rounds_for_build(400, 400, 200);
    for (int i = 0; i < count; i++) {
        cordon_task *t = cordon_function_task(trivial, (void *)(intptr_t)(i % 1000));
        assert_int_equal(cordon_run(t), 0);
        assert_int_equal(cordon_task_result(t)->exit_code, i % 1000);
        cordon_task_free(t);
    }
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &before), 0);
}

static void *run_25(void *arg)
{
    int base = (int)(intptr_t)arg * 100;
    for (int i = 0; i < 25; i++) {
        cordon_task *t = cordon_function_task(trivial, (void *)(intptr_t)(base + i));
        int ok = t && cordon_run(t) == 0 && cordon_task_result(t)->exit_code == base + i;
        cordon_task_free(t);
        if (!ok)
            return (void *)1;
    }
    return NULL;
}

static void test_hostile_two_hundred_at_once_from_eight_threads(void **state)
{
    (void)state;
    pthread_t threads[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, run_25, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 8; i++) {
        void *failed = NULL;
        pthread_join(threads[i], &failed);
        assert_null(failed);
    }
}

#define HOSTILE(name) cmocka_unit_test_teardown(name, nothing_left)

int main(void)
{
    const struct CMUnitTest tests[] = {
        HOSTILE(test_hostile_fork_bomb_is_stopped),
        HOSTILE(test_hostile_escaping_the_group_fails),
        HOSTILE(test_hostile_escaping_without_a_policy_is_held_by_the_cgroup),
        HOSTILE(test_hostile_attacks_on_the_parent_fail),
        HOSTILE(test_hostile_flood_is_capped_until_the_deadline),
        HOSTILE(test_hostile_stopped_or_deaf_tasks_die_at_the_deadline),
        HOSTILE(test_hostile_closing_every_fd_ends_normally),
        HOSTILE(test_hostile_pipes_held_by_a_grandchild_do_not_hang),
        HOSTILE(test_hostile_endless_allocation_hits_the_memory_limit),
        HOSTILE(test_hostile_spinning_hits_the_cpu_limit),
        HOSTILE(test_hostile_huge_file_hits_the_file_size_limit),
        HOSTILE(test_hostile_32_bit_syscalls_are_blocked),
        HOSTILE(test_hostile_x32_syscalls_are_blocked),
        HOSTILE(test_hostile_binary_output_is_captured_exactly),
        HOSTILE(test_hostile_more_tasks_in_a_row_than_open_files),
        HOSTILE(test_hostile_two_hundred_at_once_from_eight_threads),
    };
    return cmocka_run_group_tests(tests, set_up, NULL);
}
