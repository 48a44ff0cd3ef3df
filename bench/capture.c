/*
 * Capture throughput: a task writing 1 GiB to stdout (and 512 MiB to each
 * stream at once) through cordon, over a raw pipe read loop in this
 * process reading the same producer.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/cordon.h"
#include "bench_common.h"

#define TOTAL (1ull << 30)

static int produce(int both)
{
    static char chunk[1 << 16];
    memset(chunk, 'c', sizeof chunk);
    for (unsigned long long done = 0; done < TOTAL; done += sizeof chunk) {
        int fd = both && (done / sizeof chunk) % 2 ? 2 : 1;
        for (size_t off = 0; off < sizeof chunk;) {
            ssize_t n = write(fd, chunk + off, sizeof chunk - off);
            if (n <= 0)
                return 1;
            off += (size_t)n;
        }
    }
    return 0;
}

static int producer_task(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    return produce(arg != NULL);
}

static double raw_pipe_seconds(void)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        abort();
    fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
    uint64_t start = bench_now_ns();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        _exit(produce(0));
    }
    close(fds[1]);
    static char buffer[1 << 16];
    while (read(fds[0], buffer, sizeof buffer) > 0)
        ;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    return (double)(bench_now_ns() - start) / 1e9;
}

static double cordon_seconds(int both)
{
    cordon_task *t = cordon_function_task(producer_task, both ? (void *)1 : NULL);
    cordon_set_limit(t, CORDON_LIMIT_OUTPUT, 1 << 20); /* drain, do not keep a GiB */
    uint64_t start = bench_now_ns();
    if (cordon_run(t) != 0)
        abort();
    double seconds = (double)(bench_now_ns() - start) / 1e9;
    cordon_task_free(t);
    return seconds;
}

int main(void)
{
    double raw[BENCH_ROUNDS], one[BENCH_ROUNDS], both[BENCH_ROUNDS];
    for (int round = 0; round < BENCH_ROUNDS; round++) {
        raw[round] = raw_pipe_seconds();
        one[round] = cordon_seconds(0);
        both[round] = cordon_seconds(1);
    }
    double gib = (double)TOTAL / (1 << 30);
    double floor = gib / bench_median(raw, BENCH_ROUNDS);
    double stdout_only = gib / bench_median(one, BENCH_ROUNDS);
    double both_streams = gib / bench_median(both, BENCH_ROUNDS);
    printf("capture of 1 GiB, GiB/s (median of %d), over a raw pipe read loop:\n", BENCH_ROUNDS);
    printf("  %-34s %6.2f GiB/s\n", "floor: raw pipe read loop", floor);
    printf("  %-34s %6.2f GiB/s  %5.2fx  (goal >= 0.8x)\n", "cordon, stdout", stdout_only,
           stdout_only / floor);
    printf("  %-34s %6.2f GiB/s  %5.2fx  (goal >= 0.8x)\n", "cordon, stdout+stderr", both_streams,
           both_streams / floor);
    return 0;
}
