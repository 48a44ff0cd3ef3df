/*
 * What each hostile task of tests/hostile/ did on this machine, as the
 * Markdown table of the README's threat model: its ending, its wall time,
 * and what it left behind (processes of the hostile program still alive,
 * fds of this process, this process's resident memory).
 *
 *   build/bench/hostile_outcomes build/hostile/hostile
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cordon.h"
#include "bench_common.h"

static const char *hostile_path;

static int count_open_fds(void)
{
    int count = 0;
    DIR *dir = opendir("/proc/self/fd");
    for (struct dirent *e; dir && (e = readdir(dir));)
        count += e->d_name[0] != '.';
    if (dir)
        closedir(dir);
    return count - 1; /* the directory's own fd */
}

/* Live (not zombie) processes running the hostile program, anywhere. */
static int hostile_processes_alive(void)
{
    int alive = 0;
    DIR *proc = opendir("/proc");
    for (struct dirent *e; proc && (e = readdir(proc));) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], state = '?', name[64] = "";
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fscanf(f, "%*d (%63[^)]) %c", name, &state) == 2 &&
            (strcmp(name, "hostile") == 0 || strcmp(name, "cordon-escaped") == 0) && state != 'Z')
            alive++;
        fclose(f);
    }
    if (proc)
        closedir(proc);
    return alive;
}

static void first_line(const char *text, char *out, size_t size)
{
    size_t len = strcspn(text, "\n");
    if (len >= size)
        len = size - 1;
    memcpy(out, text, len);
    out[len] = '\0';
    for (char *c = out; *c; c++)
        if (*c == '|')
            *c = '/';
}

static void report(const char *name, const char *setting, cordon_task *t)
{
    long rss_before = bench_resident_kib();
    int fds_before = count_open_fds();
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    char detail[160] = "";
    if (r->exc_out.len) {
        first_line(r->exc_out.data, detail, sizeof detail);
        int lines = 0;
        for (size_t i = 0; i < r->exc_out.len; i++)
            lines += r->exc_out.data[i] == '\n';
        if (lines > 1)
            snprintf(detail + strlen(detail), sizeof detail - strlen(detail),
                     " (a %d-line report; %zu bytes returned)", lines, r->returns.len);
    }
    else
        snprintf(detail, sizeof detail, "exit %d, %zu bytes of output", r->exit_code,
                 r->std_out.len);
    /* Give the kernel a moment to finish tearing down what was killed. */
    usleep(50 * 1000);
    printf("| %s | %s | %s | %s | %.2f s | %d | %+d | %+ld KiB |\n", name, setting,
           rc < 0 ? "cordon error" : r->exception ? r->exception : "ok", detail,
           (double)r->usage.wall_us / 1e6, hostile_processes_alive(),
           count_open_fds() - fds_before, bench_resident_kib() - rss_before);
    cordon_task_free(t);
}

static cordon_task *hostile(const char *mode, const char *extra)
{
    const char *argv[] = { hostile_path, mode, extra, NULL };
    return cordon_command_task(argv);
}

static volatile int recursion_limit = 1 << 30;

static int recurse(int depth)
{
    volatile char frame[256];
    frame[0] = (char)depth;
    if (depth >= recursion_limit)
        return frame[0];
    return recurse(depth + 1) + frame[0];
}

static int overflows_the_stack(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return recurse(0);
}

static int corrupts_then_crashes(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    long value = 42;
    cordon_return(ctx, &value, sizeof value);
    /* Scribble over everything mapped shared and writable, then crash. */
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 && perms[1] == 'w' &&
            perms[3] == 's')
            memset((void *)start, 0x5a, end - start);
    }
    raise(SIGSEGV);
    return 0;
}

static int trivial(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    return (int)(intptr_t)arg;
}

/* Runs `count` trivial tasks, each returning its own value (so that a
 * result handed to the wrong task shows); returns how many were wrong. */
static intptr_t run_trivial(int count, int first_value)
{
    intptr_t failures = 0;
    for (int i = 0; i < count; i++) {
        int value = (first_value + i) % 1000;
        cordon_task *t = cordon_function_task(trivial, (void *)(intptr_t)value);
        failures += cordon_run(t) != 0 || cordon_task_result(t)->exit_code != value;
        cordon_task_free(t);
    }
    return failures;
}

static void *run_25(void *thread_index)
{
    return (void *)run_trivial(25, (int)(intptr_t)thread_index * 100);
}

static void print_bulk_row(const char *name, intptr_t failures, int fds_before, long rss_before)
{
    printf("| %s | function tasks | %s | %d wrong results | | %d | %+d | %+ld KiB |\n", name,
           failures ? "wrong" : "ok", (int)failures, hostile_processes_alive(),
           count_open_fds() - fds_before, bench_resident_kib() - rss_before);
}

static void many_tasks(void)
{
    long rss_before = bench_resident_kib();
    int fds_before = count_open_fds();
    print_bulk_row("10,000 trivial tasks in a row", run_trivial(10000, 0), fds_before,
                   rss_before);
    rss_before = bench_resident_kib();
    pthread_t threads[8];
    for (intptr_t i = 0; i < 8; i++)
        pthread_create(&threads[i], NULL, run_25, (void *)i);
    intptr_t failures = 0;
    for (int i = 0; i < 8; i++) {
        void *thread_failures = NULL;
        pthread_join(threads[i], &thread_failures);
        failures += (intptr_t)thread_failures;
    }
    print_bulk_row("200 tasks at once from 8 threads", failures, fds_before, rss_before);
}

/* ---- attacks on what a function task shares with its caller ---------- */

static int write_through(cordon_ctx *ctx, void *target)
{
    (void)ctx;
    memcpy(target, "CORRUPTED", 9);
    return 0;
}

static int raise_timeout(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_raise(ctx, "Timeout", "pretending \x1b[2J to be one");
}

static int open_tty(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int fd = open("/dev/tty", O_RDWR);
    return fd < 0 ? 0 : 1;
}

static int clone_parent_50(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    for (int i = 0; i < 50; i++)
        if (syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0) == 0)
            _exit(0);
    usleep(50 * 1000);
    return 0;
}

static int tune_the_caller(cordon_ctx *ctx, void *caller)
{
    (void)ctx;
    pid_t pid = (pid_t)(intptr_t)caller;
    int worked = setpriority(PRIO_PROCESS, (id_t)pid, 19) == 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    worked += sched_setaffinity(pid, sizeof one, &one) == 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
    int fd = open(path, O_WRONLY);
    worked += fd >= 0;
    if (fd >= 0)
        close(fd);
    return worked;
}

static void shared_memory_attacks(void)
{
    char path[] = "/tmp/cordon-hostile-mapped-XXXXXX";
    int fd = mkstemp(path);
    char *map = MAP_FAILED;
    if (fd >= 0 && ftruncate(fd, 4096) == 0)
        map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map != MAP_FAILED) {
        memcpy(map, "original!", 9);
        cordon_policy *compute = cordon_policy_load("compute", NULL);
        cordon_task *t = cordon_function_task(write_through, map);
        cordon_set_policy(t, compute);
        report("writes a file the caller mapped MAP_SHARED", "compute", t);
        cordon_policy_free(compute);
        printf("| (that file, afterwards) | | %s | | | | | |\n",
               memcmp(map, "original!", 9) == 0 ? "unchanged" : "CHANGED");
        munmap(map, 4096);
    }
    if (fd >= 0)
        close(fd);
    unlink(path);
    report("raises cordon's own Timeout, with escape bytes", "function task",
           cordon_function_task(raise_timeout, NULL));
    cordon_task *t = cordon_function_task(open_tty, NULL);
    cordon_set_policy(t, NULL);
    report("opens the caller's terminal (/dev/tty)", "no policy", t);
    t = cordon_function_task(clone_parent_50, NULL);
    cordon_set_policy(t, NULL);
    report("50 x clone(CLONE_PARENT)", "no policy", t);
    t = cordon_function_task(tune_the_caller, (void *)(intptr_t)getpid());
    cordon_set_policy(t, NULL);
    report("renices, pins and opens oom_score_adj of the caller", "no policy", t);
}

int main(int argc, char **argv)
{
    hostile_path = argc > 1 ? argv[1] : "build/hostile/hostile";
    signal(SIGPIPE, SIG_IGN);
    cordon_task *warm_up = cordon_function_task(trivial, NULL);
    cordon_run(warm_up); /* what cordon keeps for the process's life */
    cordon_task_free(warm_up);

    printf("| hostile task | settings | ending | what cordon said | wall | hostile processes "
           "left | parent fds | parent RSS |\n|---|---|---|---|---|---|---|---|\n");
    cordon_task *t = hostile("fork-bomb", NULL);
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 64);
    cordon_set_timeout_ms(t, 2000);
    report("fork bomb (as root)", "--procs 64 --timeout 2s", t);

    t = hostile("escape-group", NULL);
    cordon_set_timeout_ms(t, 5000);
    report("double fork + setsid, grandchild sleeps", "default policy", t);
    t = hostile("escape-group", NULL);
    cordon_set_policy(t, NULL);
    cordon_set_timeout_ms(t, 5000);
    report("double fork + setsid, grandchild sleeps", "no policy (cgroup kill)", t);

    t = hostile("attack-parent", NULL);
    cordon_set_timeout_ms(t, 5000);
    report("kill(getppid()), kill(-1), ptrace(ATTACH)", "default policy, as root", t);

    t = hostile("flood", NULL);
    cordon_set_timeout_ms(t, 1000);
    report("endless stdout+stderr", "--timeout 1s, 64 MiB cap", t);

    t = hostile("stop-self", NULL);
    cordon_set_timeout_ms(t, 300);
    report("raise(SIGSTOP)", "--timeout 300ms", t);
    t = hostile("ignore-signals", NULL);
    cordon_set_timeout_ms(t, 300);
    report("ignores TERM/INT/HUP, blocks all", "--timeout 300ms", t);

    report("closes fds 0-1023, exits 0", "", hostile("close-fds", NULL));
    t = hostile("hold-pipes", NULL);
    cordon_set_timeout_ms(t, 30000);
    report("grandchild holds the pipes", "--timeout 30s", t);

    t = hostile("allocate", NULL);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20);
    cordon_set_timeout_ms(t, 20000);
    report("allocates without end", "--mem 64M", t);
    t = hostile("spin", NULL);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 500);
    cordon_set_timeout_ms(t, 20000);
    report("spins", "--cpu 500ms", t);

    char path[] = "/tmp/cordon-hostile-huge-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    t = hostile("huge-file", path);
    cordon_set_limit(t, CORDON_LIMIT_FILE_SIZE, 4u << 20);
    report("writes a huge file", "--fsize 4M", t);
    unlink(path);

    report("int $0x80 (i386 ABI)", "default policy", hostile("int80", NULL));
    report("x32 ABI syscall", "default policy", hostile("x32", NULL));
    cordon_error err;
    cordon_policy *nonet = cordon_policy_load("nonet-kill", &err);
    if (!nonet) {
        fprintf(stderr, "hostile_outcomes: %s\n", err.message);
        return 1;
    }
    t = hostile("socket-inet", NULL);
    cordon_set_policy(t, nonet);
    report("socket(AF_INET) under nonet-kill", "nonet-kill", t);
    cordon_policy_free(nonet);
    report("stack overflow by recursion", "function task",
           cordon_function_task(overflows_the_stack, NULL));
    report("corrupts its return region, crashes", "function task",
           cordon_function_task(corrupts_then_crashes, NULL));
    report("invalid UTF-8 and NUL bytes", "", hostile("binary-output", NULL));
    shared_memory_attacks();
    many_tasks();
    return 0;
}
