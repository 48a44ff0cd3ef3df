/* How late cordon's deadline and CPU limit end a task, each against a
 * floor measured in the same run:
 *  - the deadline, for timeouts from 100 ms to 30 s: a task that sleeps
 *    forever, its wall time (from before the fork to its end seen) less
 *    the timeout; the floor is the same with a bare fork, an absolute
 *    timerfd, kill and waitpid.  Each timeout has threads of its own, so
 *    that the 30 s rounds do not make the run take many minutes; a round
 *    runs the cordon task and the floor one after the other, each first in
 *    turn, and the threads start apart so that their deadlines do not meet.
 *  - the CPU limit, for one spinner and for a tree of three: the tree's
 *    usage less the limit; beside it the tree of three as a machine that
 *    refuses the kernel's CPU counter has it (CORDON_NO_CPU_COUNTER); the
 *    floor is one spinner ended by the kernel's own CPU-time timer
 *    (timer_create on its process clock, SIGKILL at expiry).
 * Usage: lateness [SCALE]; SCALE (default 1) multiplies the rounds. */
#include "../lib/cordon.h"
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <poll.h>

#include "bench_common.h"

enum { MAX_SAMPLES = 64 };

static _Noreturn int sleeps_forever(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    for (;;)
        pause();
}

static _Noreturn void spin(void)
{
    for (volatile unsigned long i = 0;; i++)
        ;
}

static _Noreturn int spins(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int extra = *(int *)arg;
    for (int i = 0; i < extra; i++)
        if (fork() == 0)
            spin();
    spin();
}

/* ---- the deadline ------------------------------------------------------ */

/* A bare child that pauses, ended at an absolute timerfd expiry: how late
 * its end is seen after start + timeout. */
static double floor_deadline_ms(uint64_t timeout_ms)
{
    uint64_t start = bench_now_ns();
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    uint64_t at = start + timeout_ms * 1000000ull;
    struct itimerspec when = { .it_value = { .tv_sec = (time_t)(at / 1000000000ull),
                                             .tv_nsec = (long)(at % 1000000000ull) } };
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &when, NULL);
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (poll(&p, 1, -1) < 0 && errno == EINTR)
        ;
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    uint64_t end = bench_now_ns();
    close(fd);
    return (double)(end - at) / 1e6;
}

typedef struct deadline_case {
    uint64_t timeout_ms;
    int rounds, count;
    unsigned offset_ms;         /* start later: threads of one timeout do not end at once */
    double cordon_ms[MAX_SAMPLES], floor_ms[MAX_SAMPLES];
    unsigned confinement;
    int wrong; /* tasks that did not end with Timeout */
} deadline_case;

static double cordon_deadline_ms(deadline_case *c)
{
    cordon_task *t = cordon_function_task(sleeps_forever, NULL);
    cordon_set_timeout_ms(t, c->timeout_ms);
    /* The caller's view, as the floor's: from the call (the deadline
     * counts from a little later, the child's start) to the return. */
    uint64_t start = bench_now_ns();
    cordon_run(t);
    uint64_t end = bench_now_ns();
    const cordon_result *r = cordon_task_result(t);
    if (!r->exception || strcmp(r->exception, "Timeout") != 0)
        c->wrong++;
    c->confinement = r->confinement;
    double late = (double)(end - start) / 1e6 - (double)c->timeout_ms;
    cordon_task_free(t);
    return late;
}

/* cordon and the floor one after the other, each first in turn. */
static void *deadline_rounds(void *arg)
{
    deadline_case *c = arg;
    struct timespec offset = { c->offset_ms / 1000, (long)(c->offset_ms % 1000) * 1000000 };
    nanosleep(&offset, NULL);
    for (int round = 0; round < c->rounds && c->count < MAX_SAMPLES; round++) {
        if (round % 2) {
            c->floor_ms[c->count] = floor_deadline_ms(c->timeout_ms);
            c->cordon_ms[c->count] = cordon_deadline_ms(c);
        } else {
            c->cordon_ms[c->count] = cordon_deadline_ms(c);
            c->floor_ms[c->count] = floor_deadline_ms(c->timeout_ms);
        }
        c->count++;
    }
    return NULL;
}

static double max_of(const double *v, int n)
{
    double m = n ? v[0] : 0;
    for (int i = 1; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

/* Several cases of one timeout (threads of their own) are merged. */
static void print_deadline(const char *label, deadline_case *cases, int n)
{
    double cordon[MAX_SAMPLES], floor[MAX_SAMPLES]; /* bench_median takes 64 at most */
    int count = 0, wrong = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < cases[i].count && count < MAX_SAMPLES; j++) {
            cordon[count] = cases[i].cordon_ms[j];
            floor[count++] = cases[i].floor_ms[j];
        }
        wrong += cases[i].wrong;
    }
    if (!count)
        return;
    printf("  %-6s %3d   %7.2f %7.2f    %7.2f %7.2f%s\n", label, count,
           bench_median(cordon, count), max_of(cordon, count), bench_median(floor, count),
           max_of(floor, count), wrong ? "   (some did not end with Timeout)" : "");
}

static void bench_deadline(int scale)
{
    static const struct { const char *label; uint64_t ms; int rounds, threads; } plan[] = {
        { "100ms", 100, 30, 1 }, { "300ms", 300, 30, 1 }, { "1s", 1000, 15, 2 },
        { "3s", 3000, 5, 2 }, { "10s", 10000, 3, 2 }, { "30s", 30000, 1, 3 },
    };
    enum { PLAN = sizeof plan / sizeof *plan, MAX_THREADS = 3 };
    static deadline_case cases[PLAN][MAX_THREADS];
    pthread_t threads[PLAN][MAX_THREADS];
    for (int i = 0; i < PLAN; i++)
        for (int k = 0; k < plan[i].threads; k++) {
            cases[i][k].timeout_ms = plan[i].ms;
            cases[i][k].rounds = plan[i].rounds * scale;
            cases[i][k].offset_ms = (unsigned)(i * 97 + k * 389);
            pthread_create(&threads[i][k], NULL, deadline_rounds, &cases[i][k]);
        }
    for (int i = 0; i < PLAN; i++)
        for (int k = 0; k < plan[i].threads; k++)
            pthread_join(threads[i][k], NULL);
    printf("deadline lateness, ms from the deadline to cordon_run's return (the deadline\n"
           "counted from the call; every timeout's rounds at once, each round a cordon task\n"
           "and the floor in turn; goal < 5 ms):\n");
    printf("  timeout  n   cordon median/max   floor median/max (fork+timerfd+kill+waitpid)\n");
    for (int i = 0; i < PLAN; i++)
        print_deadline(plan[i].label, cases[i], plan[i].threads);
    unsigned c = cases[0][0].confinement;
    printf("  (tasks in %s)\n", c & CORDON_CONFINED_PID_NAMESPACE
                                    ? "a pid namespace: the init ends the tree"
                                    : "no pid namespace: the process group is killed");
}

/* ---- the CPU limit ---------------------------------------------------- */

static double timeval_ms(struct timeval tv)
{
    return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

/* The kernel's own CPU-time timer on a bare spinner: how far past the
 * limit its CPU time is when SIGKILL ends it. */
static double floor_cpu_ms(uint64_t limit_ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        timer_t timer;
        struct sigevent event = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGKILL };
        struct itimerspec when = { .it_value = { .tv_sec = (time_t)(limit_ms / 1000),
                                                 .tv_nsec = (long)(limit_ms % 1000) * 1000000 } };
        if (timer_create(CLOCK_PROCESS_CPUTIME_ID, &event, &timer) != 0 ||
            timer_settime(timer, 0, &when, NULL) != 0)
            _exit(1);
        spin();
    }
    struct rusage ru;
    int status;
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    return timeval_ms(ru.ru_utime) + timeval_ms(ru.ru_stime) - (double)limit_ms;
}

static double cordon_cpu_ms(uint64_t limit_ms, int extra, bool *right)
{
    cordon_task *t = cordon_function_task(spins, &extra);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, limit_ms);
    cordon_set_timeout_ms(t, limit_ms * 20 + 10000);
    cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    *right = r->exception && strcmp(r->exception, "CpuLimit") == 0;
    double over = (double)(r->usage.user_us + r->usage.sys_us) / 1e3 - (double)limit_ms;
    cordon_task_free(t);
    return over;
}

static void bench_cpu_limit(int scale)
{
    static const uint64_t limits[] = { 100, 300, 1000 };
    int rounds = 5 * scale;
    if (rounds > MAX_SAMPLES)
        rounds = MAX_SAMPLES;
    printf("CPU-limit lateness, ms of CPU past the limit (the tree's usage; goal < 5 ms):\n");
    printf("  limit   n   1 spinner med/max   3 spinners med/max   3 without the counter   "
           "floor med/max (kernel CPU timer)\n");
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
        double one[MAX_SAMPLES], tree[MAX_SAMPLES], uncounted[MAX_SAMPLES], floor[MAX_SAMPLES];
        int wrong = 0;
        for (int round = 0; round < rounds; round++) {
            bool right;
            one[round] = cordon_cpu_ms(limits[i], 0, &right);
            wrong += !right;
            tree[round] = cordon_cpu_ms(limits[i], 2, &right);
            wrong += !right;
            /* the tree's CPU read as where the kernel's counter is refused */
            setenv("CORDON_NO_CPU_COUNTER", "1", 1);
            uncounted[round] = cordon_cpu_ms(limits[i], 2, &right);
            unsetenv("CORDON_NO_CPU_COUNTER");
            wrong += !right;
            floor[round] = floor_cpu_ms(limits[i]);
        }
        printf("  %4llums %3d   %7.2f %7.2f     %7.2f %7.2f      %7.2f %7.2f      %7.2f %7.2f%s\n",
               (unsigned long long)limits[i], rounds, bench_median(one, rounds),
               max_of(one, rounds), bench_median(tree, rounds), max_of(tree, rounds),
               bench_median(uncounted, rounds), max_of(uncounted, rounds),
               bench_median(floor, rounds), max_of(floor, rounds),
               wrong ? "   (some did not end with CpuLimit)" : "");
    }
}

int main(int argc, char **argv)
{
    int scale = (int)bench_count_argument(argc, argv, "rounds for each timeout (a scale)", 1, 100);
    bench_deadline(scale);
    printf("\n");
    bench_cpu_limit(scale);
    return 0;
}
