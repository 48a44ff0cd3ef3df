/*
 * Does a task get slower as its caller grows?  The same command task from
 * this process before and after it holds 1 GiB of touched heap, and a
 * function task likewise (which must fork, so it pays for page tables).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cordon.h"
#include "bench_common.h"

static int trivial(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

static double per_task_us(int function, int count)
{
    const char *argv[] = { "/bin/true", NULL };
    uint64_t start = bench_now_ns();
    for (int i = 0; i < count; i++) {
        cordon_task *t = function ? cordon_function_task(trivial, NULL) : cordon_command_task(argv);
        if (cordon_run(t) != 0)
            abort();
        cordon_task_free(t);
    }
    return (double)(bench_now_ns() - start) / count / 1000.0;
}

static void measure(double *command, double *function, int count)
{
    double commands[BENCH_ROUNDS], functions[BENCH_ROUNDS];
    for (int round = 0; round < BENCH_ROUNDS; round++) {
        commands[round] = per_task_us(0, count);
        functions[round] = per_task_us(1, count);
    }
    *command = bench_median(commands, BENCH_ROUNDS);
    *function = bench_median(functions, BENCH_ROUNDS);
}

int main(int argc, char **argv)
{
    int count = (int)bench_count_argument(argc, argv, "tasks a round", 100, 100000);
    double small_command, small_function, big_command, big_function;
    measure(&small_command, &small_function, count);
    size_t size = 1ull << 30;
    char *heap = malloc(size);
    if (!heap)
        return 1;
    memset(heap, 1, size);
    measure(&big_command, &big_function, count);
    printf("caller holding 1 GiB of touched heap, over the same caller small:\n");
    printf("  %-34s %8.1f us -> %8.1f us  %5.2fx  (goal <= 1.2x)\n", "command task /bin/true",
           small_command, big_command, big_command / small_command);
    printf("  %-34s %8.1f us -> %8.1f us  %5.2fx  (fork copies page tables)\n",
           "function task", small_function, big_function, big_function / small_function);
    free(heap);
    return 0;
}
