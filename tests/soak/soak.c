/*
 * make soak: many mixed tasks (functions that return, raise or crash,
 * commands, timeouts, output floods, policy violations) run from several
 * threads, as a long-running caller would run them.  Every SOAK_EVERY
 * tasks all threads pause and the caller's resident memory, open fds and
 * children are printed; at the end they must be flat: fds and children as
 * at the first checkpoint, memory within SOAK_RSS_GROWTH_KB of it.  Each
 * task's outcome is checked too: a wrong one fails the soak.
 *
 * Environment: SOAK_TASKS (default 1000000), SOAK_THREADS (8), SOAK_EVERY
 * (100000), SOAK_RSS_GROWTH_KB (8192).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/cordon.h"

enum kind { RETURNS, RAISES, CRASHES, COMMAND, TIMES_OUT, FLOODS, VIOLATES, KINDS };
static const char *const kind_names[KINDS] = {
    "returns", "raises", "crashes", "command", "times out", "floods", "violates",
};

static int returns(cordon_ctx *ctx, void *arg)
{
    uint64_t n = (uint64_t)(uintptr_t)arg;
    cordon_return(ctx, &n, sizeof n);
    return (int)(n % 100);
}

static int raises(cordon_ctx *ctx, void *arg)
{
    cordon_raise(ctx, "SoakError", "task %" PRIuPTR, (uintptr_t)arg);
}

static int crashes(cordon_ctx *ctx, void *arg)
{
    (void)ctx, (void)arg;
    raise(SIGSEGV);
    return 0;
}

static int sleeps(cordon_ctx *ctx, void *arg)
{
    (void)ctx, (void)arg;
    sleep(3600);
    return 0;
}

static int floods(cordon_ctx *ctx, void *arg)
{
    (void)ctx, (void)arg;
    static char block[65536];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 16; i++)
        if (write(1, block, sizeof block) < 0)
            return 1;
    return 0;
}

static int violates(cordon_ctx *ctx, void *arg)
{
    (void)ctx, (void)arg;
    syscall(SYS_ptrace, 0, 0, 0, 0); /* killed by the default policy */
    return 0;
}

static cordon_task *make(enum kind k, uint64_t n)
{
    static const char *const argv[] = { "true", NULL };
    void *arg = (void *)(uintptr_t)n;
    cordon_task *t = NULL;
    switch (k) {
    case RETURNS: t = cordon_function_task(returns, arg); break;
    case RAISES: t = cordon_function_task(raises, arg); break;
    case CRASHES: t = cordon_function_task(crashes, arg); break;
    case COMMAND: t = cordon_command_task(argv); break;
    case TIMES_OUT:
        t = cordon_function_task(sleeps, arg);
        if (t)
            cordon_set_timeout_ms(t, 20);
        break;
    case FLOODS:
        t = cordon_function_task(floods, arg);
        if (t)
            cordon_set_limit(t, CORDON_LIMIT_OUTPUT, 4096);
        break;
    case VIOLATES: t = cordon_function_task(violates, arg); break;
    default: break;
    }
    return t;
}

static const char *expected_exception(enum kind k)
{
    static const char *const classes[KINDS] = {
        [RAISES] = "SoakError", [CRASHES] = "SIGSEGV", [TIMES_OUT] = "Timeout",
        [VIOLATES] = "PolicyViolation",
    };
    return classes[k];
}

/* NULL when the result is the one the kind must give, else what is wrong. */
static const char *check(enum kind k, uint64_t n, int rc, const cordon_result *r)
{
    const char *want = expected_exception(k);
    if (rc < 0)
        return "cordon could not run it";
    if (want ? !r->exception || strcmp(r->exception, want) != 0 : r->exception != NULL)
        return "wrong exception";
    if (k == RETURNS) {
        uint64_t back = 0;
        if (r->returns.len != sizeof back || r->exit_code != (int)(n % 100))
            return "wrong return";
        memcpy(&back, r->returns.data, sizeof back);
        if (back != n)
            return "wrong return";
    }
    if (k == FLOODS && (r->std_out.len != 4096 || r->std_out.dropped != 16 * 65536 - 4096))
        return "wrong output cap";
    return NULL;
}

static uint64_t env_number(const char *name, uint64_t fallback)
{
    const char *text = getenv(name);
    char *end;
    if (!text || !*text)
        return fallback;
    unsigned long long v = strtoull(text, &end, 10);
    return *end || v == 0 ? fallback : (uint64_t)v;
}

typedef struct round {
    atomic_uint_fast64_t next;
    uint64_t end;
    atomic_uint_fast64_t wrong, by_kind[KINDS];
} round;

static void *worker(void *arg)
{
    round *r = arg;
    for (;;) {
        uint64_t n = atomic_fetch_add(&r->next, 1);
        if (n >= r->end)
            return NULL;
        enum kind k = (enum kind)(n % KINDS);
        cordon_task *t = make(k, n);
        if (!t) {
            atomic_fetch_add(&r->wrong, 1);
            continue;
        }
        int rc = cordon_run(t);
        const char *wrong = check(k, n, rc, cordon_task_result(t));
        if (wrong) {
            if (atomic_fetch_add(&r->wrong, 1) < 10)
                fprintf(stderr, "soak: task %" PRIu64 " (%s): %s (rc %d, exception %s)\n", n,
                        kind_names[k], wrong, rc,
                        cordon_task_result(t)->exception ? cordon_task_result(t)->exception
                                                         : "none");
        }
        atomic_fetch_add(&r->by_kind[k], 1);
        cordon_task_free(t);
    }
}

static long rss_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "re");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory stream's own fd */
}

/* Children of every thread of the caller. */
static int count_children(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], list[4096];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        for (int c; fscanf(f, "%4095s", list) == 1 && (c = 1);)
            n += c;
        fclose(f);
    }
    closedir(d);
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    uint64_t total = env_number("SOAK_TASKS", 1000000);
    uint64_t every = env_number("SOAK_EVERY", 100000);
    uint64_t threads = env_number("SOAK_THREADS", 8);
    uint64_t growth_kb = env_number("SOAK_RSS_GROWTH_KB", 8192);
    if (threads > 64)
        threads = 64;
    printf("soak: %" PRIu64 " tasks from %" PRIu64 " threads, a checkpoint every %" PRIu64 "\n",
           total, threads, every);
    printf("%10s %10s %8s %5s %8s %7s\n", "tasks", "seconds", "rss_kb", "fds", "children",
           "wrong");
    round r;
    memset(&r, 0, sizeof r);
    long first_rss = -1, last_rss = -1;
    int first_fds = -1, fds = -1, children = 0;
    bool flat = true;
    double start = now_s();
    for (uint64_t done = 0; done < total;) {
        r.end = done + every < total ? done + every : total;
        atomic_store(&r.next, done);
        pthread_t ids[64];
        for (uint64_t i = 0; i < threads; i++)
            if (pthread_create(&ids[i], NULL, worker, &r) != 0)
                return 2;
        for (uint64_t i = 0; i < threads; i++)
            pthread_join(ids[i], NULL);
        done = r.end;
        last_rss = rss_kb();
        fds = count_entries("/proc/self/fd");
        children = count_children();
        if (first_rss < 0) {
            first_rss = last_rss;
            first_fds = fds;
        }
        flat = flat && fds == first_fds && children == 0;
        printf("%10" PRIu64 " %10.1f %8ld %5d %8d %7" PRIuFAST64 "\n", done, now_s() - start,
               last_rss, fds, children, atomic_load(&r.wrong));
        fflush(stdout);
    }
    printf("by kind:");
    for (int k = 0; k < KINDS; k++)
        printf(" %s %" PRIuFAST64 "%s", kind_names[k], atomic_load(&r.by_kind[k]),
               k + 1 < KINDS ? "," : "\n");
    long grown = last_rss - first_rss;
    bool ok = flat && grown < (long)growth_kb && atomic_load(&r.wrong) == 0;
    printf("soak: %s: rss %+ld kB since the first checkpoint (bound %" PRIu64 "), fds %d -> %d, "
           "children %d, wrong results %" PRIuFAST64 "\n", ok ? "flat" : "NOT FLAT", grown,
           growth_kb, first_fds, fds, children, atomic_load(&r.wrong));
    return ok ? 0 : 1;
}
