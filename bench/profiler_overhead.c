/*
 * What cordon_run_profiler costs a task: a CPU-bound function task of about
 * 200 ms, run plainly (cordon_run) and under the profiler at its default
 * rate, in interleaved rounds (which goes first alternates), medians
 * compared.  The floor is the plain run measured in the same process.
 *
 * Three measures: the task's CPU time (user+sys from its rusage: what the
 * sampling costs the task itself), the task's wall time, and the whole call
 * (cordon_run_profiler including the parent's symbolizing and report).
 */
#include <stddef.h>
#include <stdio.h>

#include "../lib/cordon.h"
#include "bench_common.h"

#define ROUNDS 9

static uint64_t steps; /* calibrated to ~200 ms */

static __attribute__((noinline)) uint64_t chain(uint64_t x, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

/* Some call structure, so that the unwinder has frames to walk. */
static __attribute__((noinline)) uint64_t inner(uint64_t x, uint64_t n)
{
    return chain(x, n / 2) ^ chain(x + 1, n - n / 2);
}

static int busy(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    uint64_t x = 1;
    for (int i = 0; i < 100; i++)
        x = inner(x, steps / 100);
    return (int)(x & 1);
}

static void calibrate(void)
{
    uint64_t n = 1000000;
    for (;;) {
        uint64_t start = bench_now_ns();
        volatile uint64_t sink = chain(1, n);
        (void)sink;
        uint64_t took = bench_now_ns() - start;
        if (took > 20000000ull) {
            steps = (uint64_t)((double)n * 200e6 / (double)took);
            return;
        }
        n *= 4;
    }
}

struct measure {
    double task_cpu_ms, task_wall_ms, call_ms;
};

static struct measure run_once(int profiled, FILE *sink)
{
    cordon_task *t = cordon_function_task(busy, NULL);
    if (!t)
        abort();
    uint64_t start = bench_now_ns();
    int rc = profiled ? cordon_run_profiler(t, sink) : cordon_run(t);
    uint64_t took = bench_now_ns() - start;
    if (rc != 0)
        abort();
    const cordon_usage *u = &cordon_task_result(t)->usage;
    struct measure m = {
        .task_cpu_ms = (double)(u->user_us + u->sys_us) / 1000.0,
        .task_wall_ms = (double)u->wall_us / 1000.0,
        .call_ms = (double)took / 1e6,
    };
    cordon_task_free(t);
    return m;
}

static double median(const struct measure *m, size_t offset)
{
    double values[ROUNDS];
    for (int i = 0; i < ROUNDS; i++)
        memcpy(&values[i], (const char *)&m[i] + offset, sizeof(double));
    return bench_median(values, ROUNDS);
}

int main(void)
{
    calibrate();
    FILE *sink = fopen("/dev/null", "w");
    if (!sink)
        return 1;
    struct measure plain[ROUNDS], profiled[ROUNDS];
    run_once(0, sink); /* warm-up: first-run costs are no one's overhead */
    run_once(1, sink);
    for (int round = 0; round < ROUNDS; round++) {
        if (round % 2 == 0) {
            plain[round] = run_once(0, sink);
            profiled[round] = run_once(1, sink);
        } else {
            profiled[round] = run_once(1, sink);
            plain[round] = run_once(0, sink);
        }
    }
    fclose(sink);
    printf("profiler overhead at the default rate, median of %d interleaved rounds\n", ROUNDS);
    printf("%-28s %10s %10s %8s\n", "measure", "plain ms", "profiled", "ratio");
    static const struct {
        const char *name;
        size_t offset;
    } rows[] = {
        { "task cpu (user+sys)", offsetof(struct measure, task_cpu_ms) },
        { "task wall", offsetof(struct measure, task_wall_ms) },
        { "whole call, with report", offsetof(struct measure, call_ms) },
    };
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        double a = median(plain, rows[r].offset), b = median(profiled, rows[r].offset);
        printf("%-28s %10.1f %10.1f %7.3fx\n", rows[r].name, a, b, b / a);
    }
    return 0;
}
