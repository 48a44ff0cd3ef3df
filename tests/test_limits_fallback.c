/* Limits where no cgroup can be made: the rlimit fallback.  This file runs
 * in its own process with CORDON_CGROUP=none, read once per process. */
#include <dirent.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>

#include "support.h"

static int allocates_without_end(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    for (size_t total = 0;; total += 1 << 20) {
        char *block = malloc(1 << 20);
        if (!block) {
            printf("allocation failed after %zu MiB", total >> 20);
            return 99;
        }
        memset(block, 1, 1 << 20);
    }
}

static void test_fallback_memory_limit_is_rlimit_as(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(allocates_without_end, NULL);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 128u << 20);
    cordon_set_timeout_ms(t, 20000);
    struct rusage caller;
    assert_int_equal(getrusage(RUSAGE_SELF, &caller), 0);
    /* RLIMIT_AS: the task sees allocations fail and ends as it chooses.
     * Its peak is what it added and what it inherited of the caller's. */
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 99);
    assert_non_null(strstr(r->std_out.data, "allocation failed after"));
    uint64_t most_kb = 128u * 1024 + (uint64_t)caller.ru_maxrss;
#if defined(__SANITIZE_ADDRESS__)
    /* and AddressSanitizer's shadow of what it added, an eighth of it, with
     * its allocator's own pages (here: 153,744 KiB against 137,924) */
    most_kb += 128u * 1024 / 8 + 4096;
#endif
    if (r->usage.max_rss_kb >= most_kb)
        fail_msg("peak %llu KiB; the caller's %llu KiB", (unsigned long long)r->usage.max_rss_kb,
                 (unsigned long long)caller.ru_maxrss);
    cordon_task_free(t);
}

static int allocates_64_mib(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char *block = malloc(64u << 20);
    if (!block)
        return 99;
    memset(block, 1, 64u << 20);
    return 0;
}

/* A function task's process starts with the caller's address space, and
 * RLIMIT_AS counts every byte of it: a caller that had reserved 512 MiB
 * (as runtimes reserve arenas and stacks they never touch) left a task
 * under a 128 MiB limit unable to allocate 64 MiB.  The limit is what the
 * task may add, as a memory cgroup counts only what the task brings in. */
static void test_fallback_memory_limit_is_the_function_s_own(void **state)
{
    (void)state;
    size_t reserved = 512u << 20;
    void *reservation = mmap(NULL, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                             -1, 0);
    assert_true(reservation != MAP_FAILED);
    cordon_task *t = cordon_function_task(allocates_64_mib, NULL);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 128u << 20);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
    /* Still a limit: what it adds past 128 MiB is refused. */
    t = cordon_function_task(allocates_without_end, NULL);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 128u << 20);
    cordon_set_timeout_ms(t, 20000);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, 99);
    unsigned added = 0;
    assert_int_equal(sscanf(r->std_out.data, "allocation failed after %u MiB", &added), 1);
    assert_true(added <= 128);
    cordon_task_free(t);
    munmap(reservation, reserved);
}

/* RLIMIT_NPROC binds no process of uid 0: a root task under a process
 * limit without a pids cgroup is refused (a fork bomb so made some
 * 28,000 processes in 3 s); one that runs as another user gets it. */
static void test_fallback_process_limit_is_rlimit_nproc(void **state)
{
    (void)state;
    cordon_task *t = shell("grep 'Max processes' /proc/self/limits | tr -s ' '");
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 33);
    if (geteuid() == 0) {
        const cordon_result *refused = run_task(t, CORDON_EXCEPTION);
        assert_string_equal(refused->exception, "ConfinementError");
        assert_non_null(strstr(refused->exc_out.data, "needs a pids cgroup"));
        cordon_task_free(t);
        t = shell("grep 'Max processes' /proc/self/limits | tr -s ' '");
        cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 33);
        assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    }
    const cordon_result *r = run_task(t, 0);
    /* Per user: a task's init, where it has one of the task's user (a
     * caller that is not root: its own), counts too.  A root caller's
     * init stays root. */
    bool init = r->confinement & CORDON_CONFINED_PID_NAMESPACE && geteuid() != 0;
    assert_string_equal(r->std_out.data, init ? "Max processes 34 34 processes \n"
                                              : "Max processes 33 33 processes \n");
    cordon_task_free(t);
}

/* --procs 3 is three processes of the task's at once, whoever runs it: a
 * root caller's task run as another user started four, the room made for
 * an init that, being root's, was never counted. */
static void test_fallback_process_limit_counts_the_task_s_processes_alone(void **state)
{
    (void)state;
    cordon_task *t = shell("n=0; while [ $n -lt 6 ]; do sleep 30.0417 & n=$((n+1)); "
                           "echo $n; done 2>/dev/null");
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 3);
    if (geteuid() == 0) /* a user no other test runs as */
        assert_int_equal(cordon_set_user(t, 65532, 65532), 0);
    assert_true(cordon_run(t) >= 0);
    const cordon_result *r = cordon_task_result(t);
    /* the shell and two children; the third fork refused, which ends it */
    if (strcmp(r->std_out.data, "1\n2\n") != 0)
        fail_msg("the shell started: %s (exit %d, %s)", r->std_out.data, r->exit_code,
                 r->exception ? r->exception : "no exception");
    cordon_task_free(t);
    assert_true(marked_processes_gone("30.0417", false));
}

/* A process of `uid` that waits to be killed, and dies with the test (a
 * failed assertion leaves before the kill: six such processes stayed, and
 * counted against that user's limit in the next run of the test); its
 * pid, once it has taken that user (a byte on a pipe: a fixed pause was
 * too short for a forked copy of the sanitized test). */
static pid_t process_of_user(uid_t uid)
{
    int ready[2];
    assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
    pid_t test = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* after the change of user, which clears the death signal */
        if (setgid(uid) == 0 && setuid(uid) == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 &&
            getppid() == test && write(ready[1], "u", 1) == 1)
            pause();
        _exit(1);
    }
    close(ready[1]);
    char byte;
    assert_int_equal(read(ready[0], &byte, 1), 1);
    close(ready[0]);
    return pid;
}

/* How many processes run as `uid` (real), zombies included: all count
 * against its RLIMIT_NPROC until they are reaped. */
static int processes_of_user(uid_t uid)
{
    DIR *proc = opendir("/proc");
    assert_non_null(proc);
    int count = 0;
    for (struct dirent *e; (e = readdir(proc));) {
        char path[300], line[256];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        unsigned real;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Uid: %u", &real) == 1) {
                count += real == uid;
                break;
            }
        fclose(f);
    }
    closedir(proc);
    return count;
}

/* RLIMIT_NPROC counts every process of the task's user: one that already
 * ran as many as the task's limit has its exec refused with EAGAIN, the
 * limit's own refusal.  It read "ExecError: cannot execute '/bin/true':
 * Resource temporarily unavailable" (126), which a retry on ProcessLimit
 * did not match. */
static void test_fallback_process_limit_that_refuses_the_exec_is_a_process_limit(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("under valgrind, which carries out the task's execve itself, the exec "
                        "was not refused");
    if (geteuid() != 0) {
        print_message("skipped: needs root, to run processes as another user\n");
        skip();
    }
    const uid_t uid = 65531; /* a user no other test runs as */
    pid_t held[6];
    for (int i = 0; i < 6; i++)
        held[i] = process_of_user(uid);
    const char *const argv[] = { "/bin/true", NULL };
    cordon_task *t = cordon_command_task(argv);
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 3);
    assert_int_equal(cordon_set_user(t, uid, uid), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    for (int i = 0; i < 6; i++) {
        kill(held[i], SIGKILL);
        waitpid(held[i], NULL, 0);
    }
    assert_string_equal(r->exception, "ProcessLimit");
    assert_int_equal(r->exit_code, 126);
    assert_non_null(strstr(r->exc_out.data, "ProcessLimit: the command was not started"));
    assert_non_null(strstr(r->exc_out.data, "its process limit of 3 lets it start"));
    assert_null(strstr(r->exc_out.data, "ExecError"));
    cordon_task_free(t);
    /* An EAGAIN the task's own policy gives the exec is no evidence of
     * the limit's: it had read "ProcessLimit: ... already ran 51". */
    cordon_error err;
    cordon_policy *answers = cordon_policy_parse("default errno EAGAIN\nallow exit_group exit\n",
                                                 "eagain.policy", &err);
    assert_non_null(answers);
    t = cordon_command_task(argv);
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 50);
    assert_int_equal(cordon_set_user(t, uid, uid), 0);
    assert_int_equal(cordon_set_policy(t, answers), 0);
    /* (In the plain build the exec meets the policy's EAGAIN; in the
     * sanitized one the same run succeeded: its exec was not refused.) */
    assert_true(cordon_run(t) >= 0);
    r = cordon_task_result(t);
    if (r->exception) {
        assert_string_equal(r->exception, "ExecError");
        assert_non_null(strstr(r->exc_out.data, "Resource temporarily unavailable"));
    }
    cordon_task_free(t);
    cordon_policy_free(answers);
    /* With its user's processes gone, the same task runs.  A run's killed
     * tree is reaped after cordon_run returns, and counts until then. */
    for (int waited = 0; processes_of_user(uid) > 0; waited++) {
        assert_true(waited < 100);
        usleep(50 * 1000);
    }
    t = cordon_command_task(argv);
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 3);
    assert_int_equal(cordon_set_user(t, uid, uid), 0);
    assert_int_equal(run_task(t, 0)->exit_code, 0);
    cordon_task_free(t);
}

static void test_fallback_memory_rlimit_is_visible_to_a_command(void **state)
{
    (void)state;
    cordon_task *t = shell("ulimit -v");
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 256u << 20);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "262144\n");
    cordon_task_free(t);
}

/* MiB put into memory that outlives its mappings: a memfd written to,
 * then System V segments filled through a mapping and detached. */
static int holds_unmapped_shared_memory(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    static char chunk[1 << 20];
    memset(chunk, 7, sizeof chunk);
    int held = 0;
    int fd = memfd_create("hoard", MFD_CLOEXEC);
    while (fd >= 0 && held < 256 && write(fd, chunk, sizeof chunk) == (ssize_t)sizeof chunk)
        held++;
    for (int segment = 0; segment < 16; segment++) {
        int id = shmget(IPC_PRIVATE, 16u << 20, IPC_CREAT | 0600);
        if (id < 0)
            break;
        char *at = shmat(id, NULL, 0);
        if (at == (void *)-1)
            break;
        memset(at, 7, 16u << 20);
        shmdt(at);
        shmctl(id, IPC_RMID, NULL); /* freed with the task's last hold */
        held += 16;
    }
    printf("%d MiB held", held);
    return 0;
}

/* RLIMIT_AS counts a page only while it is mapped: a task under a 64 MiB
 * limit held 256 MiB in a memfd and 256 MiB more in System V segments it
 * had filled and detached (each segment is kept by the task's IPC
 * namespace, or the machine's, until its last process ends). */
static void test_fallback_memory_limit_holds_memory_that_outlives_its_mappings(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(holds_unmapped_shared_memory, NULL);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20);
    cordon_set_timeout_ms(t, 20000);
    const cordon_result *r = run_task(t, 0);
    int held = -1;
    assert_int_equal(sscanf(r->std_out.data, "%d MiB held", &held), 1);
    assert_true(held < 64);
    cordon_task_free(t);
}

/* Without a cgroup the CPU limit sums the processes of the task's pid
 * namespace: spinners that made sessions of their own (the policies let a
 * task in a pid namespace do so) are counted while they spin, not only
 * once the per-process RLIMIT_CPU backstop has killed each of them. */
static void test_fallback_cpu_limit_counts_processes_in_sessions_of_their_own(void **state)
{
    (void)state;
    cordon_task *t = shell("for i in 1 2 3; do setsid sh -c 'while :; do :; done' & done; "
                           "sleep 30");
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 500);
    cordon_set_timeout_ms(t, 20000);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    if (!(r->confinement & CORDON_CONFINED_PID_NAMESPACE)) {
        cordon_task_free(t);
        skip(); /* the session scan, which the policies keep them in */
    }
    assert_string_equal(r->exception, "CpuLimit");
    /* Each spinner alone would have spent its backstop, a second or more. */
    assert_true(r->usage.user_us + r->usage.sys_us < 2000000);
    cordon_task_free(t);
}

/* Without a cgroup, a tree of thousands of processes made each scan of
 * /proc tens of ms, and the limit's checks, spaced by that cost, let a
 * spinner beside 3,000 sleeping children run on: 1,461-2,180 ms of its
 * own CPU under a limit of 1,500 ms here (its children's starts count
 * too).  The counter (the parent's, or for a caller that is not root the
 * init's own) is read at each check now: 1,405-1,421 ms. */
static void test_fallback_cpu_limit_holds_beside_thousands_of_processes(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("no pid namespace there");
    if (!getenv("CORDON_HOSTILE_DIR"))
        skip();
    cordon_task *t = shell("exec \"$CORDON_HOSTILE_DIR/hostile\" sleepers-then-spin 3000");
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 1500);
    cordon_set_timeout_ms(t, 60000);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    if (!(r->confinement & CORDON_CONFINED_PID_NAMESPACE)) {
        cordon_task_free(t);
        skip(); /* the session scan: no counter of the init's */
    }
    assert_string_equal(r->exception, "CpuLimit");
    const char *last = r->std_out.data ? strrchr(r->std_out.data, '\n') : NULL;
    while (last && last > r->std_out.data && last[-1] != '\n')
        last--;
    unsigned long long spun = last ? strtoull(last, NULL, 10) : 0;
    /* Its children's starts count too: the spinner alone is under the
     * limit, with a check's lag and a loaded machine's to spare. */
    if (spun >= 1600)
        fail_msg("the spinner had %llu ms of CPU at the kill, under a limit of 1500 ms", spun);
    cordon_task_free(t);
}

/* Prints every fd of its own that is a perf event's. */
static int lists_perf_fds(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    DIR *fds = opendir("/proc/self/fd");
    if (!fds)
        return 1;
    for (struct dirent *entry; (entry = readdir(fds));) {
        char path[300], target[128];
        snprintf(path, sizeof path, "/proc/self/fd/%s", entry->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            if (strstr(target, "perf_event"))
                printf("fd %s: %s\n", entry->d_name, target);
        }
    }
    closedir(fds);
    return 0;
}

/* How many fds of our children (the task's init is one; the task's
 * processes are its) are perf events: -1 where none could be read (not
 * root: the init is not dumpable). */
static int init_perf_fds(void)
{
    DIR *proc = opendir("/proc");
    int found = -1;
    for (struct dirent *entry; proc && (entry = readdir(proc));) {
        char path[300], state, comm[32];
        pid_t ppid;
        if (!proc_stat_of(entry->d_name, &ppid, &state, comm, sizeof comm) || ppid != getpid())
            continue;
        snprintf(path, sizeof path, "/proc/%s/fd", entry->d_name);
        DIR *fds = opendir(path);
        if (!fds)
            continue;
        if (found < 0)
            found = 0;
        for (struct dirent *fd; (fd = readdir(fds));) {
            char link[600], target[128];
            snprintf(link, sizeof link, "%s/%s", path, fd->d_name);
            ssize_t len = readlink(link, target, sizeof target - 1);
            if (len > 0 && (target[len] = '\0', strstr(target, "perf_event")))
                found++;
        }
        closedir(fds);
    }
    if (proc)
        closedir(proc);
    return found;
}

static int lists_perf_fds_then_sleeps(cordon_ctx *ctx, void *arg)
{
    int rc = lists_perf_fds(ctx, arg);
    fflush(stdout);
    usleep(800 * 1000);
    return rc;
}

/* The init's counter of the tree is the init's (without a v2 cgroup it
 * counts the tree for a caller that is not root): the task's first
 * process closes it with the rest of the start's fds.  Held, the task
 * could turn it off (PERF_EVENT_IOC_DISABLE) and spin past its limit. */
static void test_fallback_cpu_limit_counter_is_not_the_task_s(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(lists_perf_fds_then_sleeps, NULL);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 5000);
    assert_int_equal(cordon_run_async(t), 0);
    usleep(300 * 1000);
    int held = init_perf_fds(); /* root only: the init holds its counter */
    assert_int_equal(cordon_join(t), 0);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->exit_code, 0);
    assert_string_equal(r->std_out.data ? r->std_out.data : "", "");
    if (held >= 0 && (r->confinement & CORDON_CONFINED_PID_NAMESPACE) && !getenv("CORDON_NO_CPU_COUNTER"))
        assert_int_equal(held, 1);
    cordon_task_free(t);
}

int main(void)
{
    setenv("CORDON_CGROUP", "none", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fallback_memory_limit_is_rlimit_as),
        cmocka_unit_test(test_fallback_memory_limit_is_the_function_s_own),
        cmocka_unit_test(test_fallback_process_limit_is_rlimit_nproc),
        cmocka_unit_test(test_fallback_process_limit_counts_the_task_s_processes_alone),
        cmocka_unit_test(test_fallback_process_limit_that_refuses_the_exec_is_a_process_limit),
        cmocka_unit_test(test_fallback_memory_rlimit_is_visible_to_a_command),
        cmocka_unit_test(test_fallback_memory_limit_holds_memory_that_outlives_its_mappings),
        cmocka_unit_test(test_fallback_cpu_limit_counts_processes_in_sessions_of_their_own),
        cmocka_unit_test(test_fallback_cpu_limit_holds_beside_thousands_of_processes),
        cmocka_unit_test(test_fallback_cpu_limit_counter_is_not_the_task_s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
