/* The largest limits: what the kernel cannot hold is refused when set, or,
 * past what it can count, is no limit; and limits the caller's own lower
 * hard rlimits hold instead. */
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "support.h"

/* The kernel counts RLIMIT_CPU in nanoseconds: seconds above this wrap. */
#define KERNEL_CPU_SECONDS_MOST (UINT64_MAX / 1000000000u)

static const uint64_t huge_cpu_ms[] = {
    INT64_MAX, UINT64_MAX, UINT64_MAX - 999, UINT64_MAX / 1000,
    18446744073000ull /* 584 years */, 18446744074500ull,
};

static bool caller_cpu_unlimited(void)
{
    struct rlimit own;
    return getrlimit(RLIMIT_CPU, &own) == 0 && own.rlim_max == RLIM_INFINITY;
}

/* 0 when the process's RLIMIT_CPU is none, or one the kernel holds as
 * set (not wrapped) and no lower than the task's limit of *arg ms. */
static int cpu_rlimit_holds(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    uint64_t ms = *(const uint64_t *)arg;
    struct rlimit now;
    if (getrlimit(RLIMIT_CPU, &now) != 0)
        return 1;
    if (now.rlim_cur == RLIM_INFINITY && now.rlim_max == RLIM_INFINITY)
        return 0;
    printf("RLIMIT_CPU %llu %llu", (unsigned long long)now.rlim_cur,
           (unsigned long long)now.rlim_max);
    if (now.rlim_cur < ms / 1000 || now.rlim_max == RLIM_INFINITY)
        return 2;
    return now.rlim_max > KERNEL_CPU_SECONDS_MOST ? 3 : 0;
}

static void test_bounds_cpu_limit_past_the_kernel_s_count_does_not_wrap(void **state)
{
    (void)state;
    if (!caller_cpu_unlimited())
        skip();
    for (size_t i = 0; i < sizeof huge_cpu_ms / sizeof *huge_cpu_ms; i++) {
        uint64_t ms = huge_cpu_ms[i];
        cordon_task *t = cordon_function_task(cpu_rlimit_holds, &ms);
        assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_CPU_MS, ms), 0);
        const cordon_result *r = run_task(t, 0);
        if (r->exit_code != 0)
            fail_msg("CPU limit %llu ms: %s (code %d)", (unsigned long long)ms,
                     r->std_out.data, r->exit_code);
        cordon_task_free(t);
    }
}

static int spins(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    struct timespec used;
    do
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
    while (used.tv_sec < 1 || used.tv_nsec < 200000000);
    return 0;
}

/* Before, a limit of 584 years ended a spinning task with SIGXCPU after
 * 0.3 s of CPU, one of 2^64 - 1000 ms after 1 s, and one of 2^64 / 1000
 * ms by the function's own CPU timer, wrapped. */
static void test_bounds_a_task_spins_past_a_second_under_a_limit_of_centuries(void **state)
{
    (void)state;
    if (!caller_cpu_unlimited())
        skip();
    const uint64_t limits[] = { 18446744073000ull, UINT64_MAX - 999, UINT64_MAX / 1000 };
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
        cordon_task *t = cordon_function_task(spins, NULL);
        cordon_set_limit(t, CORDON_LIMIT_CPU_MS, limits[i]);
        cordon_set_timeout_ms(t, UINT64_MAX);
        const cordon_result *r = run_task(t, 0);
        if (r->exception || r->exit_code != 0)
            fail_msg("CPU limit %llu ms: %s, exit %d: %s", (unsigned long long)limits[i],
                     r->exception ? r->exception : "", r->exit_code, r->exc_out.data);
        cordon_task_free(t);
    }
}

/* A command too: its RLIMIT_CPU as /proc/self/limits shows it. */
static void test_bounds_a_command_s_cpu_backstop_past_the_kernel_s_count_is_none(void **state)
{
    (void)state;
    if (!caller_cpu_unlimited())
        skip();
    cordon_task *t = shell("grep 'Max cpu time' /proc/self/limits");
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, UINT64_MAX - 999);
    const cordon_result *r = run_task(t, 0);
    assert_non_null(strstr(r->std_out.data, "unlimited            unlimited"));
    cordon_task_free(t);
}

static int writes_a_file(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    char *block = malloc(8u << 20);
    if (!block)
        return 1;
    memset(block, 1, 8u << 20);
    FILE *f = fopen(arg, "w");
    if (!f)
        return 2;
    size_t n = fwrite(block, 1, 8u << 20, f);
    return fclose(f) == 0 && n == 8u << 20 ? 0 : 3;
}

/* Memory and file sizes past the kernel's counters are no limit. */
static void test_bounds_memory_and_file_size_of_2_64_bytes_are_no_limit(void **state)
{
    (void)state;
    char path[] = "/tmp/cordon-bounds-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    chmod(path, 0666);
    const uint64_t sizes[] = { UINT64_MAX, 1ull << 63, UINT64_MAX - 4095 };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        cordon_task *t = cordon_function_task(writes_a_file, path);
        assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, sizes[i]), 0);
        assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_FILE_SIZE, sizes[i]), 0);
        cordon_set_policy(t, NULL);
        const cordon_result *r = run_task(t, 0);
        if (r->exception || r->exit_code != 0)
            fail_msg("limit %llu: %s, exit %d: %s", (unsigned long long)sizes[i],
                     r->exception ? r->exception : "", r->exit_code, r->exc_out.data);
        cordon_task_free(t);
    }
    unlink(path);
}

/* pids.max takes no number above PID_MAX_LIMIT: before, 4194304 and
 * above were taken and then, as root, every run failed. */
static void test_bounds_processes_above_any_kernel_s_are_refused(void **state)
{
    (void)state;
    cordon_task *t = shell("exit 0");
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_PROCESSES, CORDON_MAX_PROCESSES + 1),
                     -ERANGE);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_PROCESSES, UINT64_MAX), -ERANGE);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_OPEN_FILES, CORDON_MAX_OPEN_FILES + 1),
                     -ERANGE);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_OPEN_FILES, UINT64_MAX), -ERANGE);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_PROCESSES, CORDON_MAX_PROCESSES), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_null(r->exception);
    assert_true(r->confinement_details->max_processes <= CORDON_MAX_PROCESSES);
    cordon_task_free(t);
}

/* What the caller's own lower rlimits held: written to `out` by the copy
 * of the test that lowered them, as "ok" or what was wrong. */
static void report(int out, const char *what)
{
    (void)!write(out, what, strlen(what));
}

static const cordon_result *run_spinner(cordon_task *t)
{
    cordon_set_timeout_ms(t, 20000);
    cordon_run(t);
    return cordon_task_result(t);
}

/* Under the caller's hard RLIMIT_CPU of 1 s, a task's limit of 10 s is
 * the caller's 1 s per process, and the kernel's SIGKILL at it is said to
 * be that: before, a bare "Killed" under a record of 10000 ms. */
static const char *cpu_clamped_finding(void)
{
    struct rlimit one = { 1, 1 };
    if (setrlimit(RLIMIT_CPU, &one) != 0)
        return "setrlimit";
    cordon_task *t = shell("while :; do :; done");
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 10000);
    const cordon_result *r = run_spinner(t);
    const cordon_confinement *c = r->confinement_details;
    if (r->signal != SIGKILL || (r->exception && strcmp(r->exception, "SIGKILL") != 0))
        return r->exc_out.data;
    if (!c || !(c->clamped_limits & (1u << CORDON_LIMIT_CPU_MS)) ||
        c->held_limits[CORDON_LIMIT_CPU_MS] != 1000)
        return "the record claims the task's own CPU limit held";
    if (!strstr(r->exc_out.data, "the caller's own CPU time limit, RLIMIT_CPU of 1 s per "
                                 "process, is what the task had, lower than its limit of "
                                 "10000 ms"))
        return r->exc_out.data;
    cordon_task_free(t);
    /* A limit of 1 s, no higher than the caller's: the caller's limit is
     * still below cordon's backstop, and the kernel's count runs ahead by
     * ticks, so it may end the task before its own limit (787-983 ms
     * seen, a bare "Killed" under a record of no clamp). */
    t = shell("while :; do :; done");
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 1000);
    r = run_spinner(t);
    c = r->confinement_details;
    if (!c || !(c->clamped_limits & (1u << CORDON_LIMIT_CPU_MS)) ||
        c->held_limits[CORDON_LIMIT_CPU_MS] != 1000)
        return "the record of a limit equal to the caller's does not say the caller's held";
    if (r->signal == SIGKILL && (!r->exception || strcmp(r->exception, "CpuLimit") != 0) &&
        !strstr(r->exc_out.data, "the caller's own CPU time limit, RLIMIT_CPU of 1 s per "
                                 "process, is what the task had"))
        return r->exc_out.data;
    cordon_task_free(t);
    /* Without a CPU limit of the task's, the caller's ends it all the same. */
    t = shell("while :; do :; done");
    r = run_spinner(t);
    if (r->signal != SIGKILL || !strstr(r->exc_out.data, "the caller's own CPU time limit"))
        return r->exc_out.data;
    cordon_task_free(t);
    return "ok";
}

static void cpu_clamped(int out)
{
    report(out, cpu_clamped_finding());
}

static void test_clamp_cpu_limit_above_the_caller_s_is_said_and_its_end_explained(void **state)
{
    (void)state;
    char text[4096];
    int status = run_in_a_copy(cpu_clamped, text, sizeof text, "the copy hung");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the copy ended with status %#x: %s", status, text);
    assert_string_equal(text, "ok");
}

/* Under the caller's own RLIMIT_FSIZE and no file size limit of the
 * task's, a write past it ends the task with SIGXFSZ: said to be the
 * caller's limit, as the CPU time limit's ending is (it was bare). */
static const char *file_size_of_the_caller_finding(void)
{
    struct rlimit small = { 64 << 10, 64 << 10 };
    if (setrlimit(RLIMIT_FSIZE, &small) != 0)
        return "setrlimit";
    char path[64];
    snprintf(path, sizeof path, "/tmp/cordon-fsize-%d", (int)getpid());
    char script[160];
    snprintf(script, sizeof script, "exec head -c 1000000 /dev/zero > %s", path);
    cordon_task *t = shell(script);
    const cordon_result *r = run_spinner(t);
    unlink(path);
    if (r->signal != SIGXFSZ || (r->exception && strcmp(r->exception, "SIGXFSZ") != 0))
        return r->exc_out.data;
    if (!strstr(r->exc_out.data, "the caller's own file size limit, RLIMIT_FSIZE of 65536 bytes, "
                                 "is what the task had"))
        return r->exc_out.data;
    cordon_task_free(t);
    return "ok";
}

static void file_size_of_the_caller(int out)
{
    report(out, file_size_of_the_caller_finding());
}

static void test_clamp_file_size_of_the_caller_ending_a_task_is_said(void **state)
{
    (void)state;
    char text[4096];
    int status = run_in_a_copy(file_size_of_the_caller, text, sizeof text, "the copy hung");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the copy ended with status %#x: %s", status, text);
    assert_string_equal(text, "ok");
}

static void set_both(int resource, rlim_t value)
{
    struct rlimit r = { value, value };
    setrlimit(resource, &r);
}

/* Open files, file size and memory above the caller's own: the task has
 * the caller's, and the record says so with what held. */
static const char *others_clamped_finding(void)
{
    set_both(RLIMIT_NOFILE, 64);
    set_both(RLIMIT_FSIZE, 1u << 20);
#if !defined(__SANITIZE_ADDRESS__)
    set_both(RLIMIT_AS, 8ull << 30); /* AddressSanitizer's shadow alone is more */
#endif
    cordon_task *t = shell("ulimit -n");
    cordon_set_limit(t, CORDON_LIMIT_OPEN_FILES, 1000);
    cordon_set_limit(t, CORDON_LIMIT_FILE_SIZE, 1u << 30);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 16ull << 30);
    const cordon_result *r = run_spinner(t);
    const cordon_confinement *c = r->confinement_details;
    static char found[512];
    snprintf(found, sizeof found, "exit %d, out %s, clamped %#x, held %llu %llu %llu: %s",
             r->exit_code, r->std_out.data, c ? c->clamped_limits : 0,
             c ? (unsigned long long)c->held_limits[CORDON_LIMIT_OPEN_FILES] : 0,
             c ? (unsigned long long)c->held_limits[CORDON_LIMIT_FILE_SIZE] : 0,
             c ? (unsigned long long)c->held_limits[CORDON_LIMIT_MEMORY] : 0, r->exc_out.data);
    bool as_too = true;
#if defined(__SANITIZE_ADDRESS__)
    as_too = false;
#endif
    if (r->exit_code != 0 || strcmp(r->std_out.data, "64\n") != 0 || !c ||
        !(c->clamped_limits & (1u << CORDON_LIMIT_OPEN_FILES)) ||
        c->held_limits[CORDON_LIMIT_OPEN_FILES] != 64 ||
        !(c->clamped_limits & (1u << CORDON_LIMIT_FILE_SIZE)) ||
        c->held_limits[CORDON_LIMIT_FILE_SIZE] != 1u << 20 ||
        (as_too && (!(c->clamped_limits & (1u << CORDON_LIMIT_MEMORY)) ||
                    c->held_limits[CORDON_LIMIT_MEMORY] > 8ull << 30)) ||
        (c->clamped_limits & (1u << CORDON_LIMIT_CPU_MS)))
        return found;
    cordon_task_free(t);
    return "ok";
}

static void others_clamped(int out)
{
    report(out, others_clamped_finding());
}

static void test_clamp_open_files_file_size_and_memory_above_the_caller_s_are_said(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind refuses any change to the hard open-files limit: none is "
                        "clamped to say");
    char text[4096];
    int status = run_in_a_copy(others_clamped, text, sizeof text, "the copy hung");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the copy ended with status %#x: %s", status, text);
    assert_string_equal(text, "ok");
}

/* A process limit above the caller's RLIMIT_NPROC: for a caller that is
 * not root max_processes is the caller's (before, nobody's 50 under a
 * limit of 1000 recorded 1000); root's RLIMIT_NPROC binds nothing, and
 * its pids cgroup holds the task's own. */
static const char *processes_clamped_finding(void)
{
    set_both(RLIMIT_NPROC, 50);
    cordon_task *t = shell("exit 0");
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 1000);
    const cordon_result *r = run_spinner(t);
    const cordon_confinement *c = r->confinement_details;
    static char found[512];
    snprintf(found, sizeof found, "exit %d, clamped %#x, held %llu, max_processes %llu: %s",
             r->exit_code, c ? c->clamped_limits : 0,
             c ? (unsigned long long)c->held_limits[CORDON_LIMIT_PROCESSES] : 0,
             c ? (unsigned long long)c->max_processes : 0, r->exc_out.data);
    bool clamped = c && (c->clamped_limits & (1u << CORDON_LIMIT_PROCESSES));
    if (geteuid() == 0) {
        if (!c || clamped || (r->exit_code == 0 && c->max_processes != 1000))
            return found;
    } else if (r->exit_code != 0 || !clamped || c->held_limits[CORDON_LIMIT_PROCESSES] > 50 ||
               c->max_processes != c->held_limits[CORDON_LIMIT_PROCESSES]) {
        return found;
    }
    cordon_task_free(t);
    return "ok";
}

static void processes_clamped(int out)
{
    report(out, processes_clamped_finding());
}

static void test_clamp_processes_above_the_caller_s_are_said_for_all_but_root(void **state)
{
    (void)state;
    char text[4096];
    int status = run_in_a_copy(processes_clamped, text, sizeof text, "the copy hung");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the copy ended with status %#x: %s", status, text);
    assert_string_equal(text, "ok");
}

static int return_seven(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 7;
}

/* Run in a copy of this test under valgrind: a function task and a
 * command, each saying how it ended. */
static int one_task_each(void)
{
    cordon_task *f = cordon_function_task(return_seven, NULL);
    int f_rc = cordon_run(f);
    const cordon_result *r = cordon_task_result(f);
    printf("function %d %d %s\n", f_rc, r->exit_code, r->exception ? r->exception : "-");
    cordon_task_free(f);
    cordon_task *c = cordon_command_task((const char *[]){ "/bin/true", NULL });
    int c_rc = cordon_run(c);
    r = cordon_task_result(c);
    printf("command %d %d %s\n", c_rc, r->exit_code, r->exception ? r->exception : "-");
    cordon_task_free(c);
    /* Forked, as a command under a CPU limit is without a pid namespace
     * (valgrind has no pidfd_open), and a copy that big is given back */
    c = cordon_command_task((const char *[]){ "/bin/true", NULL });
    cordon_set_limit(c, CORDON_LIMIT_CPU_MS, 10000);
    c_rc = cordon_run(c);
    r = cordon_task_result(c);
    printf("limited %d %d %s\n", c_rc, r->exit_code, r->exception ? r->exception : "-");
    cordon_task_free(c);
    fflush(stdout);
    return 0;
}

/* valgrind refuses any change to the hard RLIMIT_NOFILE, and every task
 * lowers its own: every task ended in ConfinementError under memcheck
 * ("failed setting resource limits: Operation not permitted"), so make
 * valgrind could not pass.  Where the hard limit cannot change, the soft
 * one is set alone.  And valgrind's own memory is private memory of the
 * process: a forked command's give-back of the caller's took it, and the
 * command died of SIGSEGV before its exec; the names PROCMAP_QUERY writes
 * were undefined to memcheck, and a function task's process, an error
 * found, ended with valgrind's error status instead of its own. */
static void test_bounds_tasks_run_where_the_hard_open_files_limit_is_fixed(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    print_message("skipped: valgrind does not run a sanitized build\n");
    skip();
#endif
    if (access("/usr/bin/valgrind", X_OK) != 0 || getenv("CORDON_UNDER_VALGRIND")) {
        print_message("skipped: no valgrind here (or already under it)\n");
        skip();
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    int out[2];
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        int quiet = open("/dev/null", O_WRONLY | O_CLOEXEC);
        dup2(out[1], 1);
        dup2(quiet, 2); /* valgrind's words on the calls it does not know */
        execl("/usr/bin/valgrind", "valgrind", "-q", "--trace-children=no",
              "--child-silent-after-fork=yes", "--error-exitcode=99", self, "--one-task-each",
              (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char text[512] = "";
    size_t got = 0;
    for (ssize_t r; got < sizeof text - 1 && (r = read(out[0], text + got, sizeof text - 1 - got));)
        if (r > 0)
            got += (size_t)r;
        else if (errno != EINTR)
            break;
    close(out[0]);
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_string_equal(text, "function 0 7 -\ncommand 0 0 -\nlimited 0 0 -\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--one-task-each") == 0)
        return one_task_each();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds_cpu_limit_past_the_kernel_s_count_does_not_wrap),
        cmocka_unit_test(test_bounds_a_task_spins_past_a_second_under_a_limit_of_centuries),
        cmocka_unit_test(test_bounds_a_command_s_cpu_backstop_past_the_kernel_s_count_is_none),
        cmocka_unit_test(test_bounds_memory_and_file_size_of_2_64_bytes_are_no_limit),
        cmocka_unit_test(test_bounds_processes_above_any_kernel_s_are_refused),
        cmocka_unit_test(test_clamp_cpu_limit_above_the_caller_s_is_said_and_its_end_explained),
        cmocka_unit_test(test_clamp_file_size_of_the_caller_ending_a_task_is_said),
        cmocka_unit_test(test_clamp_open_files_file_size_and_memory_above_the_caller_s_are_said),
        cmocka_unit_test(test_clamp_processes_above_the_caller_s_are_said_for_all_but_root),
        cmocka_unit_test(test_bounds_tasks_run_where_the_hard_open_files_limit_is_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
