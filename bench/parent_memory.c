/*
 * The parent's memory: per concurrent task (resident growth while N async
 * tasks run) and across 100,000 sequential tasks (no growth).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../lib/cordon.h"
#include "bench_common.h"

static int trivial(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

int main(int argc, char **argv)
{
    long sequential = bench_count_argument(argc, argv, "sequential tasks", 100000, 100000000);
    enum { CONCURRENT = 100 };
    const char *sleeper[] = { "sleep", "0.5", NULL };
    cordon_task *tasks[CONCURRENT];
    long before = bench_resident_kib();
    for (int i = 0; i < CONCURRENT; i++) {
        tasks[i] = cordon_command_task(sleeper);
        cordon_run_async(tasks[i]);
    }
    long during = bench_resident_kib();
    for (int i = 0; i < CONCURRENT; i++) {
        cordon_join(tasks[i]);
        cordon_task_free(tasks[i]);
    }
    printf("parent memory per concurrent task: %.1f KiB (%d tasks in flight)\n",
           (double)(during - before) / CONCURRENT, CONCURRENT);

    long start = 0;
    for (long i = 0; i < sequential; i++) {
        cordon_task *t = cordon_function_task(trivial, NULL);
        cordon_run(t);
        cordon_task_free(t);
        if (i == 1000)
            start = bench_resident_kib();
    }
    long end = bench_resident_kib();
    printf("parent resident memory across %ld sequential tasks: %ld KiB after 1,000, %ld KiB "
           "at the end (%+ld KiB)\n", sequential, start, end, end - start);
    return 0;
}
