/*
 * What each isolation mechanism costs per task, through the library (no
 * runner start in the figure): `/bin/true` as a command task with one
 * option at a time, and with each preset, against the same task without
 * options, in interleaved rounds (the order rotates), median per case.
 * The difference over the plain task is the mechanism's price.  Wall time
 * is what a caller waits; CPU time (the caller's and every reaped
 * process's, user and system) is what the machine pays, and moves less
 * than wall time on a loaded machine (work the kernel defers to its own
 * threads, such as a network namespace's cleanup, is in neither).
 *
 *   isolation_cost [TASKS_PER_ROUND]     (default 100)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "../lib/cordon.h"
#include "bench_common.h"

static char bind_source[64], bind_target[64];

typedef int (*setup_fn)(cordon_task *t);

static int plain(cordon_task *t) { (void)t; return 0; }
static int uts(cordon_task *t) { return cordon_set_hostname(t, "box"); }
static int cgroup_ns(cordon_task *t) { return cordon_set_cgroup_namespace(t, 1); }
static int minimal_dev(cordon_task *t) { return cordon_set_minimal_dev(t, 1); }
static int tmpfs(cordon_task *t) { return cordon_add_tmpfs(t, "/tmp"); }
static int network(cordon_task *t) { return cordon_set_network(t, CORDON_NETWORK_NONE); }
static int isolated(cordon_task *t) { return cordon_set_isolation(t, "isolated"); }
static int judge(cordon_task *t) { return cordon_set_isolation(t, "judge"); }

static int ro_bind(cordon_task *t)
{
    return cordon_add_bind(t, bind_source, bind_target, CORDON_BIND_READONLY);
}

static int isolated_without_network(cordon_task *t)
{
    int rc = isolated(t);
    return rc ? rc : cordon_set_network(t, CORDON_NETWORK_HOST);
}

static const struct {
    const char *name;
    setup_fn setup;
} cases[] = {
    { "command task, no isolation option", plain },
    { "  + UTS namespace (cordon_set_hostname)", uts },
    { "  + cgroup namespace", cgroup_ns },
    { "  + minimal /dev", minimal_dev },
    { "  + one read-only bind", ro_bind },
    { "  + tmpfs /tmp", tmpfs },
    { "  + network namespace (none)", network },
    { "preset isolated", isolated },
    { "preset isolated, host network", isolated_without_network },
    { "preset judge", judge },
};
#define CASES (sizeof cases / sizeof *cases)

static int run_one(setup_fn setup)
{
    const char *argv[] = { "/bin/true", NULL };
    cordon_task *t = cordon_command_task(argv);
    if (!t)
        return -ENOMEM;
    int rc = setup(t);
    if (rc == 0)
        rc = cordon_run(t);
    if (rc == 0 && cordon_task_result(t)->exit_code != 0)
        rc = -EIO;
    cordon_task_free(t);
    return rc;
}

/* CPU time of this process and of every child it reaped, in µs. */
static double cpu_us(void)
{
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    const struct timeval *t[4] = { &self.ru_utime, &self.ru_stime, &children.ru_utime,
                                   &children.ru_stime };
    double us = 0;
    for (int i = 0; i < 4; i++)
        us += (double)t[i]->tv_sec * 1e6 + (double)t[i]->tv_usec;
    return us;
}

int main(int argc, char **argv)
{
    int tasks = argc > 1 ? atoi(argv[1]) : 100;
    if (tasks < 1)
        tasks = 1;
    snprintf(bind_source, sizeof bind_source, "/var/tmp/cordon-bench-src-%d", (int)getpid());
    snprintf(bind_target, sizeof bind_target, "/var/tmp/cordon-bench-dst-%d", (int)getpid());
    mkdir(bind_source, 0755);
    mkdir(bind_target, 0755);
    bool usable[CASES];
    for (size_t c = 0; c < CASES; c++) {
        int rc = run_one(cases[c].setup);
        usable[c] = rc == 0;
        if (!usable[c])
            printf("isolation cost: '%s' cannot run here: %s\n", cases[c].name,
                   rc < 0 ? strerror(-rc) : "it ended in an exception");
    }
    double samples[CASES][BENCH_ROUNDS], cpu[CASES][BENCH_ROUNDS];
    for (int round = 0; round < BENCH_ROUNDS; round++)
        for (size_t k = 0; k < CASES; k++) {
            size_t c = (k + (size_t)round) % CASES;
            uint64_t start = bench_now_ns();
            double cpu_start = cpu_us();
            for (int i = 0; i < tasks && usable[c]; i++)
                run_one(cases[c].setup);
            samples[c][round] = (double)(bench_now_ns() - start) / tasks / 1e3;
            cpu[c][round] = (cpu_us() - cpu_start) / tasks;
        }
    printf("isolation cost per task: %d x /bin/true per case, median of %d interleaved rounds\n",
           tasks, BENCH_ROUNDS);
    printf("  %-44s %8s %8s %7s %8s %8s\n", "", "wall us", "+us", "ratio", "CPU us", "+us");
    double floor = bench_median(samples[0], BENCH_ROUNDS);
    double cpu_floor = bench_median(cpu[0], BENCH_ROUNDS);
    for (size_t c = 0; c < CASES; c++) {
        if (!usable[c])
            continue;
        double us = bench_median(samples[c], BENCH_ROUNDS), cus = bench_median(cpu[c], BENCH_ROUNDS);
        printf("  %-44s %8.0f %+8.0f %6.2fx %8.0f %+8.0f\n", cases[c].name, us, us - floor,
               us / floor, cus, cus - cpu_floor);
    }
    rmdir(bind_source);
    rmdir(bind_target);
    return 0;
}
