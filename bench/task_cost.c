/*
 * Per-task cost of cordon against floors measured in the same run:
 * raw fork+pipe+wait4 and a child confined by hand as cordon confines a
 * function task (confined_floor.h) for function tasks, posix_spawn+wait4
 * for commands.
 * Rounds are interleaved and the median of each is reported, because the
 * machines this runs on are shared and noisy.  Beside the wall time, the
 * CPU time of each case (this process's and every reaped process's, each
 * process's children counted once their parent waited for them): on a
 * loaded machine it moves much less than the wall time.  Last, the
 * caller's own page faults per task, which load does not move at all.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cordon.h"
#include "bench_common.h"
#include "confined_floor.h"

#define ROUNDS 9

static int tasks_per_round = 200;
static const cordon_policy *default_policy;
static floor_plan hand_confined, hand_confined_command;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void raw_fork_pipe_wait(void)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        (void)!write(fds[1], "x", 1);
        _exit(0);
    }
    close(fds[1]);
    char byte;
    while (read(fds[0], &byte, 1) > 0)
        ;
    close(fds[0]);
    int status;
    struct rusage usage;
    wait4(pid, &status, 0, &usage);
}

static void raw_posix_spawn(void)
{
    char *argv[] = { "/bin/true", NULL };
    pid_t pid;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        abort();
    int status;
    struct rusage usage;
    wait4(pid, &status, 0, &usage);
}

static int trivial(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

static void function_task(const cordon_policy *policy, int with_policy)
{
    cordon_task *t = cordon_function_task(trivial, NULL);
    if (!with_policy)
        cordon_set_policy(t, NULL);
    else if (policy)
        cordon_set_policy(t, policy);
    if (cordon_run(t) != 0)
        abort();
    cordon_task_free(t);
}

/* What cordon installs for a task given no policy and the default one. */
static floor_filter given_none, given_default;

static void floor_no_policy(void) { floor_run(&hand_confined, &given_none); }
static void floor_default_policy(void) { floor_run(&hand_confined, &given_default); }
static void floor_command(void) { floor_run(&hand_confined_command, &given_none); }
static void floor_command_policy(void) { floor_run(&hand_confined_command, &given_default); }

static void function_no_policy(void) { function_task(NULL, 0); }
static void function_default_policy(void) { function_task(default_policy, 1); }

static void command_task(int with_policy)
{
    const char *argv[] = { "/bin/true", NULL };
    cordon_task *t = cordon_command_task(argv);
    if (!with_policy)
        cordon_set_policy(t, NULL);
    if (cordon_run(t) != 0)
        abort();
    cordon_task_free(t);
}

static void command_no_policy(void) { command_task(0); }
static void command_default_policy(void) { command_task(1); }

/* A caller holding this much touched memory: a command's first process
 * gives back its copy of it before its exec (lib/child.c). */
#define HELD_MIB 256

struct case_ {
    const char *name;
    void (*run)(void);
    double samples[ROUNDS];
    double cpu_samples[ROUNDS];
    double fault_samples[ROUNDS];   /* the caller's own page faults per task */
    bool holds;             /* run while the caller holds HELD_MIB, fewer tasks */
};

/* Held (mapped and touched) outside the timed loop of its case only. */
static char *hold_memory(void)
{
    size_t len = (size_t)HELD_MIB << 20;
    char *held = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (held == MAP_FAILED)
        abort();
    memset(held, 1, len);
    return held;
}

/* This process's page faults so far: after each fork every page of the
 * caller's it writes is a copy-on-write fault, which on some virtual
 * machines costs 13-45 us; a count, unlike a time, does not move with
 * the machine's load. */
static double own_faults(void)
{
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    return (double)self.ru_minflt + (double)self.ru_majflt;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *samples)
{
    double sorted[ROUNDS];
    memcpy(sorted, samples, sizeof sorted);
    qsort(sorted, ROUNDS, sizeof *sorted, compare_doubles);
    return sorted[ROUNDS / 2];
}

int main(int argc, char **argv)
{
    tasks_per_round = (int)bench_count_argument(argc, argv, "tasks a round", 200, 100000);
    cordon_error error;
    default_policy = cordon_policy_load("default", &error);
    if (!default_policy) {
        fprintf(stderr, "task_cost: %s\n", error.message);
        return 1;
    }
    floor_plan_prepare(&hand_confined);
    given_none = floor_filter_for(&hand_confined, NULL);
    given_default = floor_filter_for(&hand_confined, default_policy);
    static char *const true_command[] = { "/bin/true", NULL };
    hand_confined_command = hand_confined;
    hand_confined_command.command = true_command;
    struct case_ cases[] = {
        { .name = "floor: fork+pipe+wait4", .run = raw_fork_pipe_wait },
        { .name = "floor: posix_spawn+wait4 /bin/true", .run = raw_posix_spawn },
        { .name = "floor: confined by hand, no policy", .run = floor_no_policy },
        { .name = "floor: confined by hand, default", .run = floor_default_policy },
        { .name = "function task, no policy", .run = function_no_policy },
        { .name = "function task, default policy", .run = function_default_policy },
        { .name = "floor: /bin/true confined by hand", .run = floor_command },
        { .name = "floor: /bin/true by hand, default", .run = floor_command_policy },
        { .name = "command /bin/true, no policy", .run = command_no_policy },
        { .name = "command /bin/true, default policy", .run = command_default_policy },
        { .name = "command, caller holding 256 MiB", .run = command_default_policy, .holds = true },
    };
    size_t count = sizeof cases / sizeof *cases;
    int held_tasks = tasks_per_round / 10 > 0 ? tasks_per_round / 10 : 1;
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t c = 0; c < count; c++) {
            char *held = cases[c].holds ? hold_memory() : NULL;
            int tasks = cases[c].holds ? held_tasks : tasks_per_round;
            /* One untimed task first: the first move into a cgroup after a
             * pause waits for the kernel's cgroup lock to change modes (an
             * RCU grace period), and whichever case came first in a round
             * paid it (the no-policy floor read 1070-3478 us against
             * 577-656 us for the same floor with a policy). */
            if (!cases[c].holds)
                cases[c].run();
            uint64_t start = now_ns();
            double cpu_start = bench_rusage_cpu_us(), faults_start = own_faults();
            for (int i = 0; i < tasks; i++)
                cases[c].run();
            cases[c].samples[round] = (double)(now_ns() - start) / tasks / 1000.0;
            cases[c].cpu_samples[round] = (bench_rusage_cpu_us() - cpu_start) / tasks;
            cases[c].fault_samples[round] = (own_faults() - faults_start) / tasks;
            if (held)
                munmap(held, (size_t)HELD_MIB << 20);
        }
    }
    double fork_floor = median(cases[0].samples), spawn_floor = median(cases[1].samples);
    printf("per-task cost (uid %d), median of %d interleaved rounds of %d tasks\n",
           (int)geteuid(), ROUNDS, tasks_per_round);
    printf("the floor confined by hand: %s\n",
           hand_confined.namespaces ? "in pid, mount and IPC namespaces, as cordon here"
           : hand_confined.cgroup.count ? "without namespaces, its tree held by a v2 cgroup, "
                                          "as cordon here"
                                        : "without namespaces, as cordon here");
    printf("its filters, chosen as cordon chooses a task's: given no policy, %s%s; given the "
           "default one, %s%s\n", given_none.policy ? "cordon's own rules" : "none",
           given_none.guards ? " under guards" : "",
           given_default.policy ? "the default policy's variant" : "none",
           given_default.guards ? " under guards" : "");
    printf("%-36s %10s %8s %12s %10s %12s %8s\n", "case", "us/task", "ratio", "vs by hand",
           "CPU us", "CPU by hand", "faults");
    for (size_t c = 0; c < count; c++) {
        double m = median(cases[c].samples), cpu = median(cases[c].cpu_samples);
        double floor = c <= 5 && c != 1 ? fork_floor : spawn_floor;
        printf("%-36s %10.1f %7.2fx", cases[c].name, m, m / floor);
        size_t hand = c == 4 || c == 5 ? c - 2 : c == 8 || c == 9 ? c - 2 : 0;
        if (hand)
            printf(" %11.2fx %10.1f %11.2fx", m / median(cases[hand].samples), cpu,
                   cpu / median(cases[hand].cpu_samples));
        else
            printf(" %12s %10.1f %12s", "", cpu, "");
        printf(" %8.1f", median(cases[c].fault_samples));
        if (cases[c].holds)
            printf("  (%d tasks a round)", held_tasks);
        printf("\n");
    }
    cordon_policy_free((cordon_policy *)default_policy);
    floor_plan_release(&hand_confined);
    return 0;
}
