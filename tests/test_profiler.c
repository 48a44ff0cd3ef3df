/* cordon_run_profiler: where a task's time goes, per function and per process. */
#include "support.h"

static int trivial(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

/* Work is measured in steps of one multiply-add chain, so that the split
 * between functions is set by loop counts, not by the clock.  Under
 * valgrind the steps run many times slower: the units shrink, but not so
 * far that too few samples are left to resolve a 70/30 split. */
static unsigned long work_unit(void)
{
    return getenv("CORDON_UNDER_VALGRIND") ? 10000ul : 40000ul;
}

static unsigned long unit;

#define CHAIN_STEP(x) \
    do { \
        (x) = (x) * 6364136223846793005ull + 1442695040888963407ull; \
        __asm__ volatile("" : "+r"(x)); \
    } while (0)

/* The two differ in their constant, so that the compiler cannot fold them
 * into one function. */
static __attribute__((noinline)) uint64_t heavy_part(uint64_t x, unsigned chunks)
{
    for (unsigned long i = 0; i < 7 * chunks * unit; i++)
        CHAIN_STEP(x);
    return x;
}

static __attribute__((noinline)) uint64_t light_part(uint64_t x, unsigned chunks)
{
    for (unsigned long i = 0; i < 3 * chunks * unit; i++)
        CHAIN_STEP(x);
    return x;
}

/* 70% of the steps in heavy_part, 30% in light_part.  The rounds vary in
 * length (k runs through 1..19 five times), so that no rhythm of the work
 * can line up with the kernel's sampling tick. */
static int split_work(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    uint64_t x = 1;
    for (unsigned round = 0; round < 95; round++) {
        unsigned k = 1 + (round * 7) % 19;
        x = heavy_part(x, k);
        x = light_part(x, 20 - k);
    }
    return (int)(x & 1);
}

static __attribute__((noinline)) uint64_t warm_up_before_crash(uint64_t x)
{
    for (unsigned long i = 0; i < 1500 * unit; i++)
        CHAIN_STEP(x);
    return x;
}

/* `arg` is an unmapped address, not NULL: the sanitizers catch a NULL store
 * themselves and end the task without the signal. */
static int crash_midway(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    volatile uint64_t sink = warm_up_before_crash((uint64_t)(uintptr_t)arg);
    (void)sink;
    *(volatile int *)arg = 1;
    return 0;
}

static __attribute__((noinline)) uint64_t spin_until_killed(uint64_t x)
{
    for (;;)
        CHAIN_STEP(x);
    return x;
}

static int spin_forever(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return (int)spin_until_killed(1);
}

/* Work at every level, so that samples land all along the recursion. */
static __attribute__((noinline)) uint64_t recurse(int depth, uint64_t x)
{
    for (unsigned long i = 0; i < unit; i++)
        CHAIN_STEP(x);
    if (depth > 0)
        x ^= recurse(depth - 1, x);
    return x + (uint64_t)depth;
}

static int recursive_work(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    uint64_t x = 1;
    for (int round = 0; round < 60; round++)
        x = recurse(40, x);
    return (int)(x & 1);
}

/* The report of one profiled run, as text (free it). */
static char *profile(cordon_task *t, int expected_rc)
{
    assert_non_null(t);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    int rc = cordon_run_profiler(t, out);
    fclose(out);
    if (rc != expected_rc)
        fprintf(stderr, "rc %d, report:\n%s\n", rc, text);
    assert_int_equal(rc, expected_rc);
    return text;
}

/* The percentage in `column` (0 or 1) of the row naming `function` in the
 * table that follows `heading`; -1 when the function is not listed there. */
static double share(const char *report, const char *heading, const char *function, int column)
{
    const char *section = strstr(report, heading);
    if (!section)
        return -1;
    const char *end = strstr(section, "\n\n");
    char pattern[128];
    snprintf(pattern, sizeof pattern, "  %s (", function);
    const char *row = strstr(section, pattern);
    if (!row || (end && row > end))
        return -1;
    while (row > section && row[-1] != '\n')
        row--;
    /* "  70.1%     210.3    70.1%     210.3       53  heavy_part (…)" */
    double first, first_ms, second, second_ms;
    unsigned long samples;
    if (sscanf(row, " %lf%% %lf %lf%% %lf %lu", &first, &first_ms, &second, &second_ms,
               &samples) != 5)
        return -1;
    return column == 0 ? first : second;
}

static unsigned long sample_count(const char *report)
{
    const char *line = strstr(report, "\nsamples: ");
    unsigned long samples = 0;
    if (!line || sscanf(line, "\nsamples: %lu", &samples) != 1)
        return 0;
    return samples;
}

#define SELF "by self time"
#define CUMULATIVE "by cumulative time"

static void test_profiler_reports_two_static_functions_by_their_share(void **state)
{
    (void)state;
    unit = work_unit();
    /* The first run of the process opens what cordon keeps for later. */
    cordon_task *warm_up = cordon_function_task(trivial, NULL);
    assert_int_equal(cordon_run(warm_up), 0);
    cordon_task_free(warm_up);
    int fds_before = count_open_fds();
    cordon_task *t = cordon_function_task(split_work, NULL);
    char *report = profile(t, 0);
    double heavy = share(report, SELF, "heavy_part", 0);
    double light = share(report, SELF, "light_part", 0);
    /* About 100 samples (the kernel checks CPU timers at its tick): a
     * 70% share is read within some 4.5 points (one standard deviation),
     * and 59.7% was once seen.  Fifteen points either way is more than
     * three deviations, and still tells 70/30 from an even split. */
    if (heavy < 55 || heavy > 85 || light < 15 || light > 45)
        fprintf(stderr, "%s", report);
    assert_true(heavy >= 55 && heavy <= 85);
    assert_true(light >= 15 && light <= 45);
    /* Listed in that order, heaviest first. */
    assert_true(strstr(report, "  heavy_part (") < strstr(report, "  light_part ("));
    /* Their caller is found although neither has a frame pointer. */
    assert_non_null(strstr(report, "split_work -> heavy_part"));
    assert_non_null(strstr(report, "split_work -> light_part"));
    assert_true(share(report, CUMULATIVE, "split_work", 0) >= 90);
    assert_non_null(strstr(report, "profile of function split_work ("));
    assert_int_equal(count_open_fds(), fds_before);
    assert_true(no_children_left());
    free(report);
    cordon_task_free(t);
}

static void test_profiler_keeps_the_profile_of_a_crashed_task(void **state)
{
    (void)state;
    unit = work_unit();
    cordon_task *t = cordon_function_task(crash_midway, (void *)(uintptr_t)8);
    char *report = profile(t, CORDON_EXCEPTION);
    assert_string_equal(cordon_task_result(t)->exception, "SIGSEGV");
    assert_non_null(strstr(report, "  exception  SIGSEGV"));
    assert_true(sample_count(report) > 0);
    assert_true(share(report, SELF, "warm_up_before_crash", 0) >= 50);
    free(report);
    cordon_task_free(t);
}

static void test_profiler_keeps_the_profile_of_a_timed_out_task(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(spin_forever, NULL);
    assert_int_equal(cordon_set_timeout_ms(t, 300), 0);
    char *report = profile(t, CORDON_EXCEPTION);
    assert_string_equal(cordon_task_result(t)->exception, "Timeout");
    assert_non_null(strstr(report, "  exception  Timeout"));
    assert_true(share(report, SELF, "spin_until_killed", 0) >= 50);
    free(report);
    cordon_task_free(t);
}

static void test_profiler_counts_a_recursive_function_once_per_sample(void **state)
{
    (void)state;
    unit = work_unit();
    cordon_task *t = cordon_function_task(recursive_work, NULL);
    char *report = profile(t, 0);
    double cumulative = share(report, CUMULATIVE, "recurse", 0);
    if (cumulative < 80 || cumulative > 100)
        fprintf(stderr, "%s", report);
    assert_true(cumulative >= 80 && cumulative <= 100.0);
    assert_true(share(report, SELF, "recurse", 1) <= 100.0);
    free(report);
    cordon_task_free(t);
}

static void test_profiler_lists_the_processes_of_a_command(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 0.3 & i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; wait");
    char *report = profile(t, 0);
    assert_non_null(strstr(report, "\n    user "));
    assert_non_null(strstr(report, "\n    sys "));
    assert_non_null(strstr(report, "\n  peak rss "));
    assert_non_null(strstr(report, "\n  switches "));
    const char *processes = strstr(report, "\nprocesses of its group");
    assert_non_null(processes);
    if (!strstr(processes, "  sh\n") || !strstr(processes, "  sleep\n"))
        fprintf(stderr, "%s", report);
    assert_non_null(strstr(processes, "  sh\n"));
    assert_non_null(strstr(processes, "  sleep\n"));
    /* sleep is shown as sh's child: indented one step. */
    assert_non_null(strstr(processes, "    sleep\n"));
    free(report);
    cordon_task_free(t);
}

/* A process's name is the task's choice (the file it execs, PR_SET_NAME):
 * in the table it must neither drive the terminal nor start a line. */
static void test_profiler_escapes_the_names_a_task_gives_its_processes(void **state)
{
    (void)state;
    cordon_task *t = shell("d=$(mktemp -d) && n=$(printf 'a\\033[2J\\nfake\\\\') && "
                           "cp /bin/sleep \"$d/$n\" && \"$d/$n\" 0.3; rm -rf \"$d\"");
    char *report = profile(t, 0);
    const char *processes = strstr(report, "\nprocesses of its group");
    assert_non_null(processes);
    if (!strstr(processes, "  a\\x1b[2J\\x0afake\\\\\n"))
        fprintf(stderr, "%s", report);
    assert_non_null(strstr(processes, "  a\\x1b[2J\\x0afake\\\\\n"));
    assert_null(strchr(report, '\033'));
    assert_null(strstr(report, "\nfake"));
    free(report);
    cordon_task_free(t);
}

static void test_profiler_hz_sets_the_sampling_rate(void **state)
{
    (void)state;
    unit = work_unit();
    cordon_task *t = cordon_function_task(split_work, NULL);
    assert_int_equal(cordon_set_profiler_hz(t, 200), 0);
    char *report = profile(t, 0);
    assert_non_null(strstr(report, " at 200 Hz "));
    assert_true(sample_count(report) > 0);
    free(report);
    cordon_task_free(t);
}

/* The sampler makes no system call once the filter is on (rt_sigreturn
 * aside), so a strict allow-list neither kills nor starves it. */
static void test_profiler_samples_under_the_compute_allow_list(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its own system calls are outside the allow-list");
    unit = work_unit();
    cordon_error err;
    cordon_policy *compute = cordon_policy_load("compute", &err);
    if (!compute)
        fprintf(stderr, "%s\n", err.message);
    assert_non_null(compute);
    cordon_task *t = cordon_function_task(split_work, NULL);
    assert_int_equal(cordon_set_policy(t, compute), 0);
    char *report = profile(t, 0);
    assert_true(sample_count(report) > 0);
    assert_true(share(report, SELF, "heavy_part", 0) > 0);
    free(report);
    cordon_task_free(t);
    cordon_policy_free(compute);
}

/* The sample region as the sampler lays it out: a 24-byte head whose
 * claimed count is at byte 16, then 528-byte samples (depth, flags, weight,
 * a spare word, 64 frames).  A task finds it among its shared mappings as
 * the only one of 8 MiB or more. */
#define REGION_CLAIMED_AT 16
#define REGION_HEAD 24
#define REGION_SAMPLE 528

static uint8_t *find_sample_region(size_t *size)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps)
        return NULL;
    char line[512];
    uint8_t *found = NULL;
    while (!found && fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 &&
            strcmp(perms, "rw-s") == 0 && end - start >= (8ul << 20)) {
            found = (uint8_t *)start;
            *size = end - start;
        }
    }
    fclose(maps);
    return found;
}

/* Writes a complete sample into every slot of the region, each weighing
 * the most a sample may. */
static void forge_samples(uint8_t *region, size_t size)
{
    for (size_t at = REGION_HEAD; at + REGION_SAMPLE <= size; at += REGION_SAMPLE) {
        uint32_t head[4] = { 1, 0, 1u << 20, 0 };
        uint64_t frame = (uint64_t)(uintptr_t)heavy_part;
        memcpy(region + at + sizeof head, &frame, sizeof frame);
        memcpy(region + at, head, sizeof head);
    }
}

/* Spends a little CPU, then fills the region with forged samples and
 * claims `arg` of them (0: far more than the region holds): a profile of
 * some 17,000,000 s of CPU, or of 2,100 s in two samples, from a task that
 * used a few ms.  The slots are forged again after the claim: the sampler
 * took some of them while the first pass touched its pages. */
static int forges_its_samples(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    uint64_t x = light_part(1, 1);
    size_t size = 0;
    uint8_t *region = find_sample_region(&size);
    if (!region)
        return 3;
    forge_samples(region, size);
    /* No sample after the claim: each would add one to it. */
    sigset_t profiling;
    sigemptyset(&profiling);
    sigaddset(&profiling, SIGPROF);
    sigprocmask(SIG_BLOCK, &profiling, NULL);
    uint64_t claimed = arg ? (uint64_t)(uintptr_t)arg : 0x3333333333333333ull;
    memcpy(region + REGION_CLAIMED_AT, &claimed, sizeof claimed);
    forge_samples(region, arg ? REGION_HEAD + (size_t)claimed * REGION_SAMPLE : size);
    return (int)(x & 0);
}

static char *profile_of_forger(uintptr_t claimed)
{
    unit = work_unit();
    cordon_task *t = cordon_function_task(forges_its_samples, (void *)claimed);
    char *report = profile(t, 0);
    const cordon_result *r = cordon_task_result(t);
    if (r->exit_code != 0 || !strstr(report, "wrote over the sample region"))
        fprintf(stderr, "%s\ntask's stderr: %s\n", report, r->std_err.data);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
    /* Nothing of the forged region is shown as the task's profile. */
    assert_null(strstr(report, "dropped"));
    assert_null(strstr(report, "incomplete"));
    assert_null(strstr(report, SELF));
    assert_null(strstr(report, "heavy_part"));
    return report;
}

/* The counts a task writes into the region are not its profile: more
 * samples or weight than its CPU time allows are shown as written over,
 * not as "3689348814741893939 samples dropped" or a table of them. */
static void test_profiler_does_not_repeat_counts_a_task_forged(void **state)
{
    (void)state;
    char *report = profile_of_forger(0);
    assert_non_null(strstr(report, "samples: none shown: the task wrote over the sample region "
                                   "(it claims 3689348814741910323 samples covering 17"));
    free(report);
}

/* Two samples, as few as a task that used a few ms could have, but each
 * weighing 2^20 periods. */
static void test_profiler_does_not_repeat_weights_a_task_forged(void **state)
{
    (void)state;
    char *report = profile_of_forger(2);
    assert_non_null(strstr(report, "samples: none shown: the task wrote over the sample region "
                                   "(it claims "));
    assert_non_null(strstr(report, " samples covering 2103"));
    free(report);
}

static void test_profiler_hz_out_of_range_is_rejected(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(split_work, NULL);
    assert_non_null(t);
    assert_int_equal(cordon_set_profiler_hz(t, 0), -EINVAL);
    assert_int_equal(cordon_set_profiler_hz(t, 10001), -EINVAL);
    assert_int_equal(cordon_set_profiler_hz(NULL, 997), -EINVAL);
    assert_int_equal(cordon_set_profiler_hz(t, 10000), 0);
    assert_int_equal(cordon_set_profiler_hz(t, 1), 0);
    assert_int_equal(cordon_run_profiler(NULL, stdout), -EINVAL);
    assert_int_equal(cordon_run_profiler(t, NULL), -EINVAL);
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profiler_reports_two_static_functions_by_their_share),
        cmocka_unit_test(test_profiler_keeps_the_profile_of_a_crashed_task),
        cmocka_unit_test(test_profiler_keeps_the_profile_of_a_timed_out_task),
        cmocka_unit_test(test_profiler_counts_a_recursive_function_once_per_sample),
        cmocka_unit_test(test_profiler_lists_the_processes_of_a_command),
        cmocka_unit_test(test_profiler_escapes_the_names_a_task_gives_its_processes),
        cmocka_unit_test(test_profiler_hz_sets_the_sampling_rate),
        cmocka_unit_test(test_profiler_samples_under_the_compute_allow_list),
        cmocka_unit_test(test_profiler_hz_out_of_range_is_rejected),
        cmocka_unit_test(test_profiler_does_not_repeat_counts_a_task_forged),
        cmocka_unit_test(test_profiler_does_not_repeat_weights_a_task_forged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
