/*
 * What each isolation mechanism costs per task, through the library (no
 * runner start in the figure): `/bin/true` as a command task with one
 * option at a time, and with each preset, against the same task without
 * options, in interleaved rounds (the order rotates), median per case.
 * The difference over the plain task is the mechanism's price.  Wall time
 * is what a caller waits; CPU time is what the machine pays, and moves
 * less than wall time on a loaded machine: the task-clock of this process
 * and of every process it started, counted by an inherited perf counter
 * (folded in as each process ends, whoever reaps it), else, where perf
 * events are refused, the caller's and every reaped process's rusage —
 * which misses a process reaped by another (bwrap's own init, measured
 * here: about 2.1 of its 5.3 ms per task).  Work the kernel defers to its
 * own threads, such as a network namespace's cleanup, is in neither.
 * Spare network namespaces (README) are made by a keeper process, off
 * the task's start path: it is ended at the end of each case's tasks, so
 * that its CPU time (and its makers') is in that case's figure; the row
 * "no spare namespaces" is the preset with each namespace made inline.
 *
 *   isolation_cost [TASKS_PER_ROUND]     (default 100)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Peers run from the same caller, the way a program that runs untrusted
 * commands would start them: posix_spawn and wait.  bwrap's arguments
 * give what the preset isolated gives (every namespace, the root
 * read-only, a private /tmp, a minimal /dev, a /proc of its own). */
static char *const spawn_true[] = { "/bin/true", NULL };
static char *const bwrap_isolated[] = {
    "bwrap", "--unshare-all", "--ro-bind", "/", "/", "--tmpfs", "/tmp", "--dev", "/dev",
    "--proc", "/proc", "--die-with-parent", "/bin/true", NULL
};

#define bwrap_name "bwrap, the isolation of the preset isolated"
#define no_spares_name "preset isolated, no spare namespaces"

static const struct {
    const char *name;
    setup_fn setup;
    char *const *spawned; /* a peer instead of a cordon task */
} cases[] = {
    { "command task, no isolation option", plain, NULL },
    { "  + UTS namespace (cordon_set_hostname)", uts, NULL },
    { "  + cgroup namespace", cgroup_ns, NULL },
    { "  + minimal /dev", minimal_dev, NULL },
    { "  + one read-only bind", ro_bind, NULL },
    { "  + tmpfs /tmp", tmpfs, NULL },
    { "  + network namespace (none)", network, NULL },
    { "preset isolated", isolated, NULL },
    /* with every network namespace made on the task's start path, as
     * before spare namespaces (CORDON_NO_SPARE_NAMESPACES) */
    { no_spares_name, isolated, NULL },
    { "preset isolated, host network", isolated_without_network, NULL },
    { "preset judge", judge, NULL },
    { "posix_spawn /bin/true (no isolation)", NULL, spawn_true },
    { bwrap_name, NULL, bwrap_isolated },
};
#define CASES (sizeof cases / sizeof *cases)

static int run_spawned(char *const *argv)
{
    pid_t pid;
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fd, 1);
    posix_spawn_file_actions_adddup2(&actions, fd, 2);
    int rc = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fd);
    if (rc != 0)
        return -rc;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

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

static int run_case(size_t c)
{
    if (strcmp(cases[c].name, no_spares_name) == 0)
        setenv("CORDON_NO_SPARE_NAMESPACES", "1", 1);
    else
        unsetenv("CORDON_NO_SPARE_NAMESPACES");
    return cases[c].spawned ? run_spawned(cases[c].spawned) : run_one(cases[c].setup);
}

/* An inherited task-clock counter of this process and all it starts, or
 * -1 where perf events are refused. */
static int task_clock_fd = -1;

static void open_task_clock(void)
{
    struct perf_event_attr attr = { .type = PERF_TYPE_SOFTWARE, .size = sizeof attr,
                                    .config = PERF_COUNT_SW_TASK_CLOCK, .inherit = 1,
                                    .exclude_hv = 1 };
    task_clock_fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* CPU time of this process and of every process it started (perf), or of
 * every child it reaped (rusage), in µs. */
static double cpu_us(void)
{
    uint64_t ns;
    if (task_clock_fd >= 0 && read(task_clock_fd, &ns, sizeof ns) == (ssize_t)sizeof ns)
        return (double)ns / 1e3;
    return bench_rusage_cpu_us();
}

static size_t case_named(const char *name)
{
    for (size_t c = 0; c < CASES; c++)
        if (strcmp(cases[c].name, name) == 0)
            return c;
    abort();
}

/* The goal, as one ratio: what bwrap costs for the isolation the
 * preset gives, over what the preset costs (> 2: under half of bwrap). */
static void print_against_bwrap(double samples[][BENCH_ROUNDS], double cpu[][BENCH_ROUNDS],
                                const bool *usable)
{
    size_t ours = case_named("preset isolated"), theirs = case_named(bwrap_name);
    if (!usable[ours] || !usable[theirs]) {
        printf("  bwrap / preset isolated: not measured (%s cannot run here)\n",
               usable[ours] ? "bwrap" : "the preset");
        return;
    }
    printf("  bwrap / preset isolated: %.2fx wall, %.2fx CPU (> 2: the preset costs under half)\n",
           bench_median(samples[theirs], BENCH_ROUNDS) / bench_median(samples[ours], BENCH_ROUNDS),
           bench_median(cpu[theirs], BENCH_ROUNDS) / bench_median(cpu[ours], BENCH_ROUNDS));
}

int main(int argc, char **argv)
{
    int tasks = (int)bench_count_argument(argc, argv, "tasks a round", 100, 100000);
    snprintf(bind_source, sizeof bind_source, "/var/tmp/cordon-bench-src-%d", (int)getpid());
    snprintf(bind_target, sizeof bind_target, "/var/tmp/cordon-bench-dst-%d", (int)getpid());
    mkdir(bind_source, 0755);
    mkdir(bind_target, 0755);
    open_task_clock();
    bool usable[CASES];
    for (size_t c = 0; c < CASES; c++) {
        int rc = run_case(c);
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
                run_case(c);
            /* The keeper of spare namespaces and its makers count once
             * they end: ended within the case that used them. */
            cordon_release_spares();
            samples[c][round] = (double)(bench_now_ns() - start) / tasks / 1e3;
            cpu[c][round] = (cpu_us() - cpu_start) / tasks;
        }
    printf("isolation cost per task: %d x /bin/true per case, median of %d interleaved rounds\n",
           tasks, BENCH_ROUNDS);
    printf("  CPU: %s\n", task_clock_fd >= 0
                               ? "perf task-clock of every process started, however reaped"
                               : "rusage of the processes reaped here (perf events refused)");
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
    print_against_bwrap(samples, cpu, usable);
    rmdir(bind_source);
    rmdir(bind_target);
    return 0;
}
