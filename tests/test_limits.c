/* Resource limits and the exceptions they end a task with: memory, file
 * size, open files, processes and the shares of what the machine has free
 * (these count the whole machine, and the file runs alone: the Makefile's
 * MACHINE_WIDE_TESTS).  CPU limits are test_limits_cpu.c's, which runs
 * alone too. */
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "support.h"

static int allocates_without_end(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    for (;;) {
        char *block = malloc(1 << 20);
        if (!block)
            return 99; /* the rlimit fallback: allocation fails */
        memset(block, 1, 1 << 20);
    }
}

static void test_limit_memory_with_a_cgroup_is_memory_limit(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(allocates_without_end, NULL);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20);
    cordon_set_timeout_ms(t, 20000);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    /* A caller that may make no cgroup (not root, no delegation): the
     * rlimit fallback has its own test (test_limits_fallback). */
    skip_unless_held(r->confinement & CORDON_CONFINED_CGROUP, t, "no cgroup for this caller");
    assert_int_equal(rc, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "MemoryLimit");
    assert_string_equal(r->exc_out.data, "MemoryLimit: the task reached its memory limit of "
                                         "67108864 bytes and the kernel killed one of its "
                                         "processes\n");
    assert_int_equal(r->signal, SIGKILL);
    assert_int_equal(r->exit_code, 128 + SIGKILL);
    cordon_task_free(t);
}

/* A function whose child the memory limit killed: it failed if it
 * returned non-zero (its process exits 0 whatever it returned), as a
 * command that exits non-zero does, and succeeded if it returned 0. */
static int child_allocates_then_returns(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    pid_t child = fork();
    if (child == 0)
        _exit(allocates_without_end(NULL, NULL));
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child)
        return 98;
    if (!WIFSIGNALED(status))
        return 99; /* the rlimit fallback: the child's allocation failed */
    return *(int *)arg;
}

static void test_limit_memory_named_by_a_function_s_return(void **state)
{
    (void)state;
    static int returns[] = { 7, 0 };
    for (size_t i = 0; i < 2; i++) {
        cordon_task *t = cordon_function_task(child_allocates_then_returns, &returns[i]);
        cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20);
        cordon_set_timeout_ms(t, 20000);
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        skip_unless_held(r->exit_code != 99 && (r->confinement & CORDON_CONFINED_CGROUP), t,
                         "no memory cgroup for this caller");
        assert_int_equal(r->exit_code, returns[i]);
        assert_int_equal(r->signal, 0);
        if (returns[i]) {
            assert_int_equal(rc, CORDON_EXCEPTION);
            assert_string_equal(r->exception, "MemoryLimit");
        } else {
            assert_int_equal(rc, 0);
            assert_null(r->exception);
        }
        cordon_task_free(t);
    }
}

static void test_limit_memory_too_small_to_start_is_refused(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(allocates_without_end, NULL);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64), -EINVAL);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, CORDON_MEMORY_MIN - 1), -EINVAL);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, CORDON_MEMORY_MIN), 0);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, 0), 0); /* no limit */
    cordon_task_free(t);
}

/* A caller holding 512 MiB whose command had a memory limit of 1 MiB:
 * the task's start (a copy of the caller until the exec) reached it, and
 * the run ended in "MemoryLimit: the task reached its memory limit" with
 * the copy's memory as its max_rss_kb, for a /bin/true that never ran
 * (or failed to make its namespaces, ENOMEM, with nothing said of the
 * limit). */
static void test_limit_memory_reached_by_the_start_is_no_memory_limit_of_the_task(void **state)
{
    (void)state;
    char *held = hold_touched_memory(512);
    cordon_task *t = shell("exec /bin/true");
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, CORDON_MEMORY_MIN);
    cordon_run(t);
    free(held);
    const cordon_result *r = cordon_task_result(t);
    skip_unless_held((r->confinement & CORDON_CONFINED_CGROUP) && r->exception, t,
                     "no memory cgroup here, or the start fit in the limit");
    assert_string_equal(r->exception, "ConfinementError");
    assert_non_null(strstr(r->exc_out.data, "memory limit of 1048576 bytes"));
    assert_int_equal(r->usage.max_rss_kb, 0);
    assert_int_equal(r->usage.user_us + r->usage.sys_us, 0);
    cordon_task_free(t);
}

static void command_of_a_large_caller_in_a_small_limit(int out)
{
    /* Small pages: 2 MiB of page tables a GiB (huge ones need 1/512 of it). */
    size_t size = 1024u << 20;
    char *held = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (held == MAP_FAILED)
        _exit(1);
    madvise(held, size, MADV_NOHUGEPAGE);
    memset(held, 1, size);
    const char *argv[] = { "/bin/true", NULL };
    cordon_task *t = cordon_command_task(argv);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 2u << 20);
    cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    /* Without a memory cgroup the limit is RLIMIT_AS, which the init's
     * page tables do not count: /bin/true's own loading fails under it. */
    if (!(r->confinement & CORDON_CONFINED_CGROUP) && !r->exception)
        dprintf(out, "no cgroup");
    else
        dprintf(out, "%s/%d: %s", r->exception ? r->exception : "none", r->exit_code,
                r->message ? r->message : "");
    cordon_task_free(t);
    munmap(held, size);
}

/* A start that does not fit in the memory limit says so, as it did where
 * the cgroup killed it: met as a failed allocation, it was "the task's
 * child failed entering its namespaces: Cannot allocate memory". */
static void test_limit_memory_a_start_that_does_not_fit_says_so(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("touching the caller's memory under valgrind takes minutes");
    char text[600] = "";
    int status = run_in_a_copy(command_of_a_large_caller_in_a_small_limit, text, sizeof text,
                               "the copy took over 30 s");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* Where the start fits after all (no cgroup counts the init's page
     * tables), /bin/true runs. */
    if (strcmp(text, "no cgroup") == 0 || strcmp(text, "none/0: ") == 0) {
        print_message("%s\n", strcmp(text, "no cgroup") == 0 ? "no memory cgroup here"
                                                             : "the start fitted in 2 MiB here");
        skip();
    }
    /* Met as a failed allocation (125), or as the cgroup's kill of the
     * start (137, under AddressSanitizer's larger copy). */
    if (strncmp(text, "ConfinementError/", 17) != 0 ||
        !strstr(text, ": the task could not start within its memory limit of 2097152 bytes: "
                      "its start"))
        fail_msg("the run ended as: %s", text);
}

/* A command that cannot be executed is an ExecError whatever the CPU its
 * failed start cost: a large caller's copy, freed by the kernel as the
 * exec fails, reached a limit of a few ms, and the task "ended with
 * CpuLimit, exit 127". */

static int crashes(cordon_ctx *ctx, void *arg);

/* A memory limit held by RLIMIT_AS (no memory cgroup) names no
 * MemoryLimit: a mapping refused under it shows as a crash or the
 * loader's exit 127 (python3 under --mem 4M, as nobody: a SIGSEGV that
 * said only "no backtrace").  The crash now says what the limit was. */
static void test_limit_memory_as_an_address_space_limit_is_said_at_a_crash(void **state)
{
    (void)state;
    setenv("CORDON_CGROUP", "none", 1);
    for (int limited = 0; limited < 2; limited++) {
        cordon_task *t = cordon_function_task(crashes, NULL);
        if (limited)
            assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, 256u << 20), 0);
        const cordon_result *r = run_task(t, CORDON_EXCEPTION);
        assert_string_equal(r->exception, "SIGSEGV");
        const char *said = strstr(r->exc_out.data, "its memory limit of 268435456 bytes is an "
                                              "address-space limit here, RLIMIT_AS");
        if (limited ? !said : said != NULL)
            fail_msg("limited %d: %s", limited, r->exc_out.data);
        cordon_task_free(t);
    }
    unsetenv("CORDON_CGROUP");
}

/* Ignores SIGCHLD, so that the kernel reaps its children itself, and
 * starts forty children one after another, some two at a time, each
 * spinning 100 ms of its own CPU: 4 s in all. */

static void test_limit_file_size_ends_with_file_size_limit(void **state)
{
    (void)state;
    char dir[] = "/tmp/cordon-fsize-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char line[256];
    /* exec: the task itself dies of SIGXFSZ (a shell would report it as
     * the number 153, which is no evidence of a limit) */
    snprintf(line, sizeof line, "exec head -c 10000000 /dev/zero > %s/big", dir);
    cordon_task *t = shell(line);
    cordon_set_limit(t, CORDON_LIMIT_FILE_SIZE, 1 << 20);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    /* without a filter's listener (valgrind has no seccomp(2): its filter
     * has none) a timer's SIGXFSZ cannot be told from the limit's: the
     * signal, not the limit */
    bool listened = (r->confinement & CORDON_CONFINED_SECCOMP) && !getenv("CORDON_UNDER_VALGRIND");
    assert_string_equal(r->exception, listened ? "FileSizeLimit" : "SIGXFSZ");
    char path[300];
    snprintf(path, sizeof path, "%s/big", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size <= (1 << 20));
    unlink(path);
    rmdir(dir);
    cordon_task_free(t);
}

/* Sends itself SIGXFSZ every way a filter can see, and returns how
 * many of them got through (a function task under a file size limit). */
static int sends_itself_sigxfsz(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    signal(SIGXFSZ, SIG_IGN); /* a send that got through is counted, not fatal */
    int through = 0;
    through += kill(getpid(), SIGXFSZ) == 0;
    through += kill(0, SIGXFSZ) == 0;
    through += raise(SIGXFSZ) == 0;
    through += syscall(SYS_tkill, gettid(), SIGXFSZ) == 0;
    through += syscall(SYS_kill, getpid(), (1L << 32) | SIGXFSZ) == 0;
    through += sigqueue(getpid(), SIGXFSZ, (union sigval){ 0 }) == 0;
    through += prctl(PR_SET_PDEATHSIG, SIGXFSZ) == 0;
    through += fcntl(0, F_SETSIG, SIGXFSZ) == 0;
    int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    through += pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, SIGXFSZ, NULL, 0) == 0;
    /* a lower limit of its own would be met first, and pass for cordon's */
    struct rlimit lower = { 4096, 4096 }, now;
    through += setrlimit(RLIMIT_FSIZE, &lower) == 0;
    through += syscall(SYS_setrlimit, (1L << 32) | RLIMIT_FSIZE, &lower) == 0;
    through += prlimit(0, RLIMIT_FSIZE, &lower, NULL) == 0;
    through += getrlimit(RLIMIT_FSIZE, &now) != 0 || now.rlim_cur != 1 << 20; /* read: allowed */
    return through;
}

/* Sets a POSIX timer whose signal is SIGXFSZ and waits for it. */
static int times_itself_out_with_sigxfsz(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    struct sigevent event = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGXFSZ };
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0)
        return 2;
    struct itimerspec soon = { .it_value = { 0, 1000000 } };
    if (timer_settime(timer, 0, &soon, NULL) != 0)
        return 3;
    for (;;)
        pause();
}

static int writes_past_its_limit(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    static char block[65536];
    for (int i = 0; fd >= 0 && i < 64; i++)
        if (write(fd, block, sizeof block) < 0)
            return 3;
    return 2;
}

/* RLIMIT_FSIZE reports itself only as a SIGXFSZ that the kernel sends as
 * kill(2) would: under a file size limit a task cannot send itself one
 * (kill, raise, sigqueue, a parent-death or I/O signal all fail with
 * EPERM, whatever the policy's own allow rules say), nor lower its limit
 * to meet a limit of its own (setrlimit, prlimit), so its SIGXFSZ death
 * is the limit's; with no filter nothing tells them apart, and the ending
 * is the signal, not FileSizeLimit. */
static void test_limit_file_size_is_never_a_signal_the_task_sent(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2)");
    static const char *const policies[] = {
        NULL,                                               /* the default */
        "default errno ENOSYS\nallow kill tkill tgkill rt_sigqueueinfo prctl fcntl pidfd_open "
        "pidfd_send_signal rt_sigaction rt_sigprocmask getpid gettid write munmap "
        "setrlimit prlimit64 exit_group\n",                 /* outright allows */
        "default allow\nallow kill if arg1 == 25\n", /* SIGXFSZ */   /* the policy's own word */
    };
    for (size_t i = 0; i < sizeof policies / sizeof *policies; i++) {
        cordon_task *t = cordon_function_task(sends_itself_sigxfsz, NULL);
        cordon_policy *p = NULL;
        if (policies[i]) {
            cordon_error err;
            p = cordon_policy_parse(policies[i], "sends.policy", &err);
            if (!p)
                fail_msg("%s", err.message);
            cordon_set_policy(t, p);
        }
        cordon_set_limit(t, CORDON_LIMIT_FILE_SIZE, 1 << 20);
        const cordon_result *r = run_task(t, 0);
        if (r->exit_code != 0)
            fail_msg("policy %zu: %d sends of SIGXFSZ got through\n%s", i, r->exit_code,
                     r->exc_out.data);
        cordon_task_free(t);
        cordon_policy_free(p);
    }

    char path[] = "/tmp/cordon-fsize-fn-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    cordon_task *t = cordon_function_task(writes_past_its_limit, path);
    cordon_set_limit(t, CORDON_LIMIT_FILE_SIZE, 1 << 20);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "FileSizeLimit");
    assert_int_equal(r->signal, SIGXFSZ);

    cordon_task_free(t);
    t = cordon_function_task(writes_past_its_limit, path);
    cordon_set_policy(t, NULL);
    cordon_set_limit(t, CORDON_LIMIT_FILE_SIZE, 1 << 20);
    r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGXFSZ");
    assert_non_null(strstr(r->exc_out.data, "not taken as the limit"));
    cordon_task_free(t);
    unlink(path);

    /* a timer's signal is in a struct no filter reads: the parent is told
     * a timer was set, and the SIGXFSZ it sends is no evidence */
    t = cordon_function_task(times_itself_out_with_sigxfsz, NULL);
    cordon_set_limit(t, CORDON_LIMIT_FILE_SIZE, 1 << 20);
    r = run_task(t, CORDON_EXCEPTION);
    if (!r->exception || strcmp(r->exception, "SIGXFSZ") != 0)
        fail_msg("a timer's SIGXFSZ: %s\n%s", r->exception ? r->exception : "no exception",
                 r->exc_out.data);
    assert_non_null(strstr(r->exc_out.data, "it set a timer"));
    cordon_task_free(t);
}

/* Grows the file at `arg` every way fallocate(2) can without the size
 * check RLIMIT_FSIZE makes: 64 MiB inserted in front of its first
 * 64 KiB (INSERT_RANGE), and 64 MiB of blocks reserved past its end
 * (KEEP_SIZE, and the FS_IOC_RESVSP64 ioctl that asks for it); then,
 * what stays allowed: blocks within the limit, and a hole punched.
 * Returns a bit per way that went through, 8 and 16 for the allowed ones
 * that failed. */
static int grows_a_file_past_its_limit(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int fd = open(arg, O_RDWR | O_CLOEXEC);
    static char block[65536];
    if (fd < 0 || write(fd, block, sizeof block) != (ssize_t)sizeof block)
        return 32;
    int through = 0;
    through |= fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, 64 << 20) == 0 ? 1 : 0;
    through |= fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 64 << 20) == 0 ? 2 : 0;
    through |= fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_ZERO_RANGE, 1 << 20, 64 << 20) == 0
                   ? 4 : 0;
    struct {
        int16_t type, whence;
        int64_t start, len;
        int32_t sysid;
        uint32_t pid;
        int32_t pad[4];
    } reservation = { .start = 0, .len = 64 << 20 };
    through |= ioctl(fd, _IOW('X', 42, reservation), &reservation) == 0 ? 64 : 0;
    through |= fallocate(fd, 0, 0, 512 << 10) != 0 ? 8 : 0;
    through |= fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 4096) != 0 ? 16 : 0;
    return through;
}

/* RLIMIT_FSIZE is checked where a write, a truncate or fallocate's
 * plain mode makes a file longer, not by fallocate's INSERT_RANGE, which
 * shifts the data up and lengthens the file, nor by KEEP_SIZE, which
 * reserves blocks past the end: under a 1 MiB limit a task made a file of
 * 64 MiB and 64 KiB, and reserved 64 MiB of disk for one whose size
 * stayed 0 (as the FS_IOC_RESVSP64 ioctl did).  Under a file size limit
 * the filter refuses them (as a file system without them does), whatever
 * the policy's own allows say. */
static void test_limit_file_size_holds_against_fallocate(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2)");
    static const char *const policies[] = { NULL, "default allow\nallow fallocate ioctl\n" };
    for (size_t i = 0; i < sizeof policies / sizeof *policies; i++) {
        char path[] = "/var/tmp/cordon-fallocate-XXXXXX"; /* a disk's, not a tmpfs */
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        cordon_task *t = cordon_function_task(grows_a_file_past_its_limit, path);
        cordon_policy *p = NULL;
        if (policies[i]) {
            cordon_error err;
            if (!(p = cordon_policy_parse(policies[i], "fallocate.policy", &err)))
                fail_msg("%s", err.message);
            cordon_set_policy(t, p);
        }
        cordon_set_limit(t, CORDON_LIMIT_FILE_SIZE, 1 << 20);
        const cordon_result *r = run_task(t, 0);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        unlink(path);
        if (r->exit_code != 0 || st.st_size > 1 << 20 || st.st_blocks * 512 > 2 << 20)
            fail_msg("policy %zu: fallocate's ways %#x; the file %lld bytes, %lld on disk", i,
                     r->exit_code, (long long)st.st_size, (long long)st.st_blocks * 512);
        cordon_task_free(t);
        cordon_policy_free(p);
    }
}

static void test_limit_open_files(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("it keeps fds of its own under the fd limit");
    cordon_task *t = shell("ulimit -n");
    cordon_set_limit(t, CORDON_LIMIT_OPEN_FILES, 17);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "17\n");
    cordon_task_free(t);
}

/* Too few fds for cordon's own set-up is a ConfinementError that says so,
 * not a task that fails for reasons of its own. */
static int return_zero(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

static int hook_that_does_nothing(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    return 0;
}

/* A set-up hook runs under the task's limits, and the listener is made
 * after it: under fewer than 6 fds the run failed "setting up its file
 * descriptors: Bad file descriptor".  Refused when set, either way round. */
static void test_limit_open_files_too_low_for_a_set_up_hook_is_refused(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("it keeps fds of its own under the fd limit");
    cordon_task *t = cordon_function_task(return_zero, NULL);
    assert_int_equal(cordon_set_setup_hook(t, hook_that_does_nothing, NULL), 0);
    for (uint64_t n = 1; n < 6; n++)
        assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_OPEN_FILES, n), -EINVAL);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_OPEN_FILES, 6), 0);
    run_task(t, 0);
    cordon_task_free(t);
    t = cordon_function_task(return_zero, NULL);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_OPEN_FILES, 5), 0);
    assert_int_equal(cordon_set_setup_hook(t, hook_that_does_nothing, NULL), -EINVAL);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_OPEN_FILES, 0), 0); /* no limit */
    assert_int_equal(cordon_set_setup_hook(t, hook_that_does_nothing, NULL), 0);
    run_task(t, 0);
    cordon_task_free(t);
}

/* Under a policy whose listener is handed over, the limit is set after
 * the hand-over (lib/spawn.c): cordon's set-up needs no fd of it, and the
 * task's program meets the limit itself. */
static void test_limit_open_files_set_after_the_hand_over_binds_the_program(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no listener is handed over");
    cordon_task *t = shell("true");
    cordon_set_limit(t, CORDON_LIMIT_OPEN_FILES, 4);
    const cordon_result *r = run_task(t, 0);
    assert_null(r->exception);
    assert_int_equal(r->exit_code, 127);
    assert_non_null(strstr(r->std_err.data, "libc.so.6"));
    cordon_task_free(t);
    t = shell("ulimit -n; ulimit -Hn");
    cordon_set_limit(t, CORDON_LIMIT_OPEN_FILES, 64);
    r = run_task(t, 0);
    assert_null(r->exception);
    assert_string_equal(r->std_out.data, "64\n64\n");
    cordon_task_free(t);
}

static void test_limit_fork_bomb_is_stopped_by_process_limit(void **state)
{
    (void)state;
    /* As root RLIMIT_NPROC binds nothing: this needs the pids cgroup,
     * and a root caller without one has the task refused (the fork bomb
     * ran to some 28,000 processes in its 3 s before). */
    cordon_task *t = shell("bomb() { bomb | bomb & }; bomb; sleep 2; exit 1");
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 20);
    cordon_set_timeout_ms(t, 3000);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    bool cgroup = r->confinement & CORDON_CONFINED_CGROUP;
    if (!cgroup && geteuid() == 0) {
        assert_int_equal(rc, CORDON_EXCEPTION);
        assert_string_equal(r->exception, "ConfinementError");
        assert_non_null(strstr(r->exc_out.data, "needs a pids cgroup"));
    }
    if (cgroup) {
        assert_int_equal(rc, CORDON_EXCEPTION);
        assert_string_equal(r->exception, "ProcessLimit");
        assert_string_equal(r->exc_out.data, "ProcessLimit: the task tried to run more than 20 "
                                             "processes and threads at once and then failed\n");
    }
    cordon_task_free(t);
    assert_true(no_children_left());
    if (!cgroup) {
        print_message("skipped: no pids cgroup for this caller\n");
        skip();
    }
}

/* Forks children that wait, until a fork is refused or `most` are made;
 * prints how many. */
static void fork_waiting_children(int most)
{
    int made = 0;
    while (made < most) {
        pid_t child = fork();
        if (child < 0)
            break;
        if (child == 0) {
            pause();
            _exit(0);
        }
        made++;
    }
    printf("%d\n", made);
    fflush(stdout);
}

/* Forks children that wait, until a fork is refused or 300 are made;
 * prints how many, and returns *arg. */
static int forks_until_refused(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    fork_waiting_children(300);
    if (arg && *(int *)arg < 0)
        sleep(3); /* holds its share while a sibling starts */
    return arg ? abs(*(int *)arg) : 0;
}

/* Forks 400 children that wait, holds them 3 s. */
static int holds_four_hundred(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    fork_waiting_children(400);
    sleep(3);
    return 0;
}

static uint64_t share_of_a_task_now(void)
{
    cordon_task *t = cordon_shell_task("true");
    const cordon_result *r = run_task(t, 0);
    uint64_t share = r->confinement_details ? r->confinement_details->max_processes : 0;
    cordon_task_free(t);
    return share;
}

/* A lone task's share now; the test is skipped where nothing holds one. */
static uint64_t share_held_or_skip(void)
{
    uint64_t share = share_of_a_task_now();
    if (!share) {
        print_message("skipped: nothing holds a share here\n");
        skip();
    }
    return share;
}

/* The share is a quarter of what is free when the task starts: a task
 * started while another holds 400 processes gets 100 fewer, so that tasks
 * started one after another never take the machine's last pid.  (The
 * other is under a process limit of its own, so that it takes no share
 * and holds only what it made.)  The share beside it is read once it said
 * it holds them, and a lone task's is read before and after: the machine's
 * other processes come and go meanwhile (some 170 ended during one run on
 * a shared machine, which the share before alone took for the hog's). */
static void test_limit_share_is_of_what_is_free_at_the_start(void **state)
{
    (void)state;
    uint64_t before = share_held_or_skip();
    cordon_task *hog = cordon_function_task(holds_four_hundred, NULL);
    cordon_set_timeout_ms(hog, 30000);
    cordon_set_limit(hog, CORDON_LIMIT_PROCESSES, 1000);
    int counted = 0;
    cordon_set_output_callback(hog, count_stdout_lines, &counted);
    assert_int_equal(cordon_run_async(hog), 0);
    wait_for_stdout_lines(&counted, 1);
    uint64_t beside = share_of_a_task_now();
    cordon_join(hog);
    assert_string_equal(cordon_task_result(hog)->std_out.data, "400\n");
    cordon_task_free(hog);
    uint64_t after = share_of_a_task_now();
    uint64_t low = before < after ? before : after, high = before < after ? after : before;
    print_message("alone %llu then %llu; beside 400 held %llu\n", (unsigned long long)before,
                  (unsigned long long)after, (unsigned long long)beside);
    /* 400 / 4, give or take what else the machine started or ended */
    assert_in_range(beside, low - 100 - 50, high - 100 + 25);
    assert_true(no_children_left());
}

static struct rlimit lower_own_process_limit(rlim_t soft);

static uint64_t max_processes_of(const cordon_task *t)
{
    const cordon_result *r = cordon_task_result(t);
    return r->confinement_details ? r->confinement_details->max_processes : 0;
}

static int compare_descending(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Tasks of one process started at the same moment used to each get a
 * quarter of the same room: four fork bombs under `batch -j 4` took
 * every pid of the machine.  Each now gets a quarter of what the live
 * ones were not given (about 1/4, 3/16, 9/64, 27/256 of the room,
 * together some 0.68 of it, where before they had all of it), and gives
 * its share back at its end: the next task alone has a whole quarter. */
static void test_limit_tasks_started_at_once_share_one_room(void **state)
{
    (void)state;
    uint64_t alone = share_held_or_skip();
    cordon_task *tasks[4];
    for (int i = 0; i < 4; i++) {
        tasks[i] = shell("sleep 1");
        cordon_set_timeout_ms(tasks[i], 20000);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(cordon_run_async(tasks[i]), 0);
    uint64_t shares[4], sum = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cordon_join(tasks[i]), 0);
        sum += shares[i] = max_processes_of(tasks[i]);
        cordon_task_free(tasks[i]);
    }
    qsort(shares, 4, sizeof shares[0], compare_descending);
    print_message("alone %llu; at once %llu %llu %llu %llu\n", (unsigned long long)alone,
                  (unsigned long long)shares[0], (unsigned long long)shares[1],
                  (unsigned long long)shares[2], (unsigned long long)shares[3]);
    assert_true(shares[3] > 0);
    /* give or take what else the machine started or ended meanwhile */
    assert_in_range(shares[0], alone - alone / 20 - 5, alone + alone / 20 + 5);
    assert_in_range(shares[1], shares[0] * 7 / 10, shares[0] * 8 / 10);
    assert_true(sum < 3 * shares[0]);
    uint64_t after = share_of_a_task_now();
    assert_in_range(after, alone - alone / 20 - 5, alone + alone / 20 + 5);
    assert_true(no_children_left());
}

/* Many tasks at once each still get a useful share: never less than a
 * sixteenth of a lone task's, where a quarter of what the others left
 * alone gave the twentieth 1/236 of it (35 processes here of 8,168). */
static void test_limit_many_tasks_at_once_each_get_a_sixteenth_at_least(void **state)
{
    (void)state;
    uint64_t alone = share_held_or_skip();
    enum { MANY = 20 };
    cordon_task *tasks[MANY];
    for (int i = 0; i < MANY; i++) {
        tasks[i] = shell("sleep 2");
        cordon_set_timeout_ms(tasks[i], 30000);
    }
    for (int i = 0; i < MANY; i++)
        assert_int_equal(cordon_run_async(tasks[i]), 0);
    uint64_t least = UINT64_MAX, sum = 0;
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(cordon_join(tasks[i]), 0);
        uint64_t share = max_processes_of(tasks[i]);
        sum += share;
        least = share < least ? share : least;
        cordon_task_free(tasks[i]);
    }
    print_message("alone %llu; the least of %d at once %llu, together %llu\n",
                  (unsigned long long)alone, MANY, (unsigned long long)least,
                  (unsigned long long)sum);
    assert_true(least >= alone / 16 - alone / 50 - 5);
    assert_true(no_children_left());
}

/* Four fork bombs started at once under a caller whose limit is 400: each
 * forks until refused and holds its children.  Before, each made its
 * quarter (some 396 together) and, for a caller that is not root, the
 * user's count was gone: the caller's own fork failed.  Together they
 * now make some 270, and the caller forks beside them. */
static void test_limit_fork_bombs_started_at_once_leave_the_caller_room(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy with its own status when it has leaks");
    share_held_or_skip();
    struct rlimit before = lower_own_process_limit(400);
    static int waits = -1; /* holds its children a while, then returns 1 */
    cordon_task *bombs[4];
    int said = 0;
    for (int i = 0; i < 4; i++) {
        bombs[i] = cordon_function_task(forks_until_refused, &waits);
        cordon_set_timeout_ms(bombs[i], 20000);
        cordon_set_output_callback(bombs[i], count_stdout_lines, &said);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(cordon_run_async(bombs[i]), 0);
    wait_for_stdout_lines(&said, 4); /* they have made their children */
    pid_t own = fork();
    if (own == 0)
        _exit(0);
    int status = -1;
    if (own > 0)
        assert_int_equal(waitpid(own, &status, 0), own);
    int made = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cordon_join(bombs[i]), 0);
        const cordon_result *r = cordon_task_result(bombs[i]);
        assert_null(r->exception);
        made += atoi(r->std_out.data);
        cordon_task_free(bombs[i]);
    }
    assert_int_equal(setrlimit(RLIMIT_NPROC, &before), 0);
    print_message("made %d together\n", made);
    assert_true(own > 0);
    assert_int_equal(status, 0);
    assert_in_range(made, 200, 300);
    assert_true(no_children_left());
}

/* Separate cordon processes keep no ledger together: four started at the
 * same moment each get a quarter of the same room.  Every task's user
 * namespace is made under a ceiling of three quarters of the machine's
 * pids, which the kernel holds the user's whole count to (the soft
 * RLIMIT_NPROC of the namespace's maker, at its making): what the task's
 * init inherited from that maker shows it. */
static void test_limit_a_task_s_user_namespace_is_made_under_the_machine_s_ceiling(void **state)
{
    (void)state;
    cordon_task *t = shell("grep 'Max processes' /proc/1/limits");
    const cordon_result *r = run_task(t, 0);
    bool own_user_namespace = r->confinement & CORDON_CONFINED_USER_NAMESPACE;
    bool own_pid_namespace = r->confinement & CORDON_CONFINED_PID_NAMESPACE;
    unsigned long long soft = 0;
    sscanf(r->std_out.data, "Max processes %llu", &soft);
    cordon_task_free(t);
    if (!own_user_namespace || !own_pid_namespace) {
        print_message("skipped: the task has no user and pid namespace (a root caller, or none here)\n");
        skip();
    }
    unsigned long long pid_max = 0, threads_max = 0;
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    assert_true(f && fscanf(f, "%llu", &pid_max) == 1);
    fclose(f);
    f = fopen("/proc/sys/kernel/threads-max", "r");
    assert_true(f && fscanf(f, "%llu", &threads_max) == 1);
    fclose(f);
    unsigned long long most = pid_max < threads_max ? pid_max : threads_max;
    struct rlimit own;
    assert_int_equal(getrlimit(RLIMIT_NPROC, &own), 0);
    unsigned long long expected = most - most / 4;
    if (own.rlim_cur != RLIM_INFINITY && own.rlim_cur < expected)
        expected = own.rlim_cur; /* the caller's own is lower still */
    assert_int_equal(soft, expected);
}

/* The room the live tasks share is what was free when the first of them
 * started: a first task started while the room was small (here the
 * caller's limit lowered to 400; a busy machine, a pids cgroup near its
 * cap) left every task started beside it a quarter of that small room
 * less its share, 75 processes, however much was free by then, and so
 * for as long as any task of the process lived (under `batch -j 4`, the
 * whole batch). */
static void test_limit_share_grows_with_the_room_while_another_task_lives(void **state)
{
    (void)state;
    uint64_t alone = share_held_or_skip();
    struct rlimit before = lower_own_process_limit(400);
    cordon_task *first = shell("sleep 2");
    cordon_set_timeout_ms(first, 20000);
    int started = cordon_run_async(first);
    assert_int_equal(setrlimit(RLIMIT_NPROC, &before), 0);
    assert_int_equal(started, 0);
    uint64_t beside = share_of_a_task_now();
    assert_int_equal(cordon_join(first), 0);
    uint64_t first_share = max_processes_of(first);
    cordon_task_free(first);
    print_message("alone %llu; the first, started under 400, %llu; beside it %llu\n",
                  (unsigned long long)alone, (unsigned long long)first_share,
                  (unsigned long long)beside);
    assert_in_range(first_share, 1, 100);
    /* a quarter of what was free less the first's share */
    assert_in_range(beside, alone - alone / 20 - 30, alone + alone / 20 + 5);
    assert_true(no_children_left());
}

static int crashes(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    raise(SIGSEGV);
    return 0;
}

static int refuses_its_set_up(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    return 3;
}

/* One task that ends some way other than a plain success, started and
 * ended by `way`. */
static void run_an_odd_task(int way)
{
    static const char *const missing[] = { "/nonexistent/cordon-program", NULL };
    cordon_task *t = NULL;
    switch (way) {
    case 0: /* its program cannot be run */
        t = cordon_command_task(missing);
        break;
    case 1:
        t = shell("sleep 5");
        cordon_set_timeout_ms(t, 50);
        break;
    case 2: /* cancelled */
    case 3: /* freed unjoined */
        t = shell("sleep 5");
        assert_int_equal(cordon_run_async(t), 0);
        usleep(20 * 1000);
        if (way == 2) {
            cordon_cancel(t);
            cordon_join(t);
        }
        cordon_task_free(t);
        return;
    case 4:
        t = cordon_function_task(return_zero, NULL);
        cordon_set_setup_hook(t, refuses_its_set_up, NULL);
        break;
    case 5: /* refused before its start */
        t = shell("true");
        cordon_set_cwd(t, "/nonexistent-cordon-dir");
        break;
    case 6:
        t = cordon_function_task(crashes, NULL);
        break;
    case 7:
        t = cordon_function_task(spins_forever, NULL);
        cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 50);
        cordon_set_timeout_ms(t, 20000);
        break;
    case 8: /* retried, failing each time */
        t = shell("exit 3");
        cordon_run_and_retry(t, 2, NULL);
        cordon_task_free(t);
        return;
    default: { /* refused once its shares were taken (ConfinementError) */
        const char *mode = getenv("CORDON_CGROUP");
        char *kept = mode ? strdup(mode) : NULL;
        setenv("CORDON_CGROUP", "no-such-mode", 1);
        t = shell("true");
        assert_int_equal(cordon_run(t), CORDON_EXCEPTION);
        if (kept)
            setenv("CORDON_CGROUP", kept, 1);
        else
            unsetenv("CORDON_CGROUP");
        free(kept);
        cordon_task_free(t);
        return;
    }
    }
    cordon_run(t);
    cordon_task_free(t);
}

/* What the per-user share of a task's user namespace is: its inotify
 * instances (a task without one reads the caller's). */
static int inotify_share_of_a_task_now(void)
{
    cordon_task *t = shell("cat /proc/sys/user/max_inotify_instances");
    const cordon_result *r = run_task(t, 0);
    int share = atoi(r->std_out.data);
    cordon_task_free(t);
    return share;
}

/* Every way a task can end gives its shares back: after many that failed
 * to start, were refused, timed out, were cancelled or freed unjoined,
 * crashed or were retried, a lone task still gets the share the first lone one got (a
 * share kept by any would leave each later task less). */
static void test_limit_odd_tasks_give_their_shares_back(void **state)
{
    (void)state;
    uint64_t alone = share_held_or_skip();
    int inotify_alone = inotify_share_of_a_task_now();
    for (int i = 0; i < 50; i++)
        run_an_odd_task(i % 10);
    uint64_t after = share_of_a_task_now();
    int inotify_after = inotify_share_of_a_task_now();
    print_message("alone %llu, after 50 odd tasks %llu; inotify instances %d, %d\n",
                  (unsigned long long)alone, (unsigned long long)after, inotify_alone,
                  inotify_after);
    assert_in_range(after, alone - alone / 50 - 5, alone + alone / 50 + 5);
    assert_int_equal(inotify_after, inotify_alone);
    assert_true(no_children_left());
}

/* The caller's soft process limit, lowered to `soft` (its hard limit kept):
 * cordon's share of it is a quarter.  Returns the limit before. */
static struct rlimit lower_own_process_limit(rlim_t soft)
{
    struct rlimit before, lowered;
    assert_int_equal(getrlimit(RLIMIT_NPROC, &before), 0);
    lowered = before;
    lowered.rlim_cur = soft;
    assert_int_equal(setrlimit(RLIMIT_NPROC, &lowered), 0);
    return before;
}

/* Without a process limit, a task that forks without end is held to
 * cordon's share (a quarter of the fewest of pid_max, threads-max and the
 * caller's soft RLIMIT_NPROC): before, it forked until the machine's pids
 * (or its user's count) were gone, and no task beside it could start. */
static void test_limit_without_a_process_limit_a_task_holds_only_its_share(void **state)
{
    (void)state;
    /* Root is held only by a pids cgroup: where none can be made, there
     * is nothing to test (the README says so). */
    cordon_task *probe = shell("true");
    cordon_set_limit(probe, CORDON_LIMIT_PROCESSES, 1000);
    cordon_run(probe);
    const cordon_confinement *pc = cordon_task_result(probe)->confinement_details;
    bool unheld = geteuid() == 0 && !(pc && pc->cgroup_pids_version);
    cordon_task_free(probe);
    if (unheld) {
        print_message("skipped: root without a pids cgroup: nothing holds the share\n");
        skip();
    }
    struct rlimit before = lower_own_process_limit(200);
    static int succeeds = 0;
    cordon_task *t = cordon_function_task(forks_until_refused, &succeeds);
    cordon_set_timeout_ms(t, 20000);
    const cordon_result *r = run_task(t, 0);
    /* 50, less its own first process (and nothing of cordon's) */
    int made = atoi(r->std_out.data);
    assert_int_equal(setrlimit(RLIMIT_NPROC, &before), 0);
    assert_in_range(made, 40, 49);
    assert_non_null(r->confinement_details);
    assert_int_equal(r->confinement_details->max_processes, 50);
    assert_null(r->exception);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
    assert_true(no_children_left());
}

/* cordon's share names no exception, whatever held it: a task that met
 * it and then failed ends with its own ending, as under RLIMIT_NPROC (a
 * bound the caller did not set is not the caller's limit). */
static void test_limit_share_names_no_exception(void **state)
{
    (void)state;
    struct rlimit before = lower_own_process_limit(200);
    static int fails = 1;
    cordon_task *t = cordon_function_task(forks_until_refused, &fails);
    cordon_set_timeout_ms(t, 20000);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(setrlimit(RLIMIT_NPROC, &before), 0);
    assert_null(r->exception);
    assert_int_equal(r->exit_code, 1);
    assert_in_range(atoi(r->std_out.data), 1, 49);
    cordon_task_free(t);
    assert_true(no_children_left());
}

/* While one task holds its whole share, another starts and forks. */
static void test_limit_a_task_at_its_share_leaves_its_siblings_their_starts(void **state)
{
    (void)state;
    struct rlimit before = lower_own_process_limit(200);
    static int waits = -1; /* holds its children a while, then returns 1 */
    cordon_task *hog = cordon_function_task(forks_until_refused, &waits);
    cordon_set_timeout_ms(hog, 20000);
    int said = 0;
    cordon_set_output_callback(hog, count_stdout_lines, &said);
    assert_int_equal(cordon_run_async(hog), 0);
    wait_for_stdout_lines(&said, 1); /* it has made its children */
    cordon_task *sibling = shell("sleep 0 & sleep 0 & wait; echo started");
    cordon_set_timeout_ms(sibling, 20000);
    const cordon_result *r = run_task(sibling, 0);
    assert_null(r->exception);
    assert_string_equal(r->std_out.data, "started\n");
    assert_int_equal(r->exit_code, 0);
    cordon_join(hog);
    const cordon_result *h = cordon_task_result(hog);
    bool held = h->confinement_details && h->confinement_details->max_processes;
    if (held)
        assert_in_range(atoi(h->std_out.data), 40, 49);
    cordon_task_free(sibling);
    cordon_task_free(hog);
    assert_int_equal(setrlimit(RLIMIT_NPROC, &before), 0);
    assert_true(no_children_left());
}

/* Forks 20 children that wait (what a modest `make -j` holds); prints
 * how many it made. */
static int forks_twenty(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    fork_waiting_children(20);
    return 0;
}

/* In a copy without namespaces, its soft process limit 200: 60 processes
 * of the caller's own hold part of its user's count, and a task forks 20
 * beside them.  Writes "made max_processes". */
static void forks_beside_the_callers_processes(int out)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    struct rlimit lowered;
    if (getrlimit(RLIMIT_NPROC, &lowered) != 0)
        _exit(2);
    lowered.rlim_cur = 200;
    if (lowered.rlim_max < 200 || setrlimit(RLIMIT_NPROC, &lowered) != 0)
        _exit(2);
    pid_t held[60];
    int holding = 0;
    for (; holding < 60; holding++) {
        held[holding] = fork();
        if (held[holding] < 0)
            break;
        if (held[holding] == 0) {
            pause();
            _exit(0);
        }
    }
    cordon_task *t = cordon_function_task(forks_twenty, NULL);
    cordon_set_timeout_ms(t, 20000);
    cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    const cordon_confinement *c = r->confinement_details;
    dprintf(out, "%d %llu", r->std_out.data ? atoi(r->std_out.data) : -1,
            c ? (unsigned long long)c->max_processes : 1ull);
    cordon_task_free(t);
    for (int i = 0; i < holding; i++)
        kill(held[i], SIGKILL);
    for (int i = 0; i < holding; i++)
        waitpid(held[i], NULL, 0);
}

/* Without a user namespace of its own RLIMIT_NPROC counts every process of
 * the task's user, the caller's and its sibling tasks' too: it cannot
 * hold a task's share.  Lowered to a quarter of the caller's limit, it
 * left a task of a caller already running more than that no fork at all
 * (here 0 of 20, under a limit of 200 with 60 running; under `batch -j 4`
 * four such tasks got 8 to 12 each).  The caller's own limit holds such a
 * task, as before the share, and nothing is claimed: max_processes 0
 * (root's task is held by its pids cgroup, the same either way). */
static void test_limit_share_is_not_taken_from_the_user_s_whole_count(void **state)
{
    (void)state;
    char text[64];
    int status = run_in_a_copy(forks_beside_the_callers_processes, text, sizeof text,
                               "the task beside the caller's processes took over 30 s");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int made = -1;
    unsigned long long most = 1;
    assert_int_equal(sscanf(text, "%d %llu", &made, &most), 2);
    assert_int_equal(made, 20);
    if (geteuid() != 0)
        assert_int_equal(most, 0);
    assert_true(no_children_left());
}

static bool own_v1_pids_cgroup(char *dir, size_t size);

/* The share's v1 pids cgroup is kept, empty, for the process's next task
 * (making and removing one cost a tenth of a root task here), and never
 * shared by two tasks at once. */
static void test_limit_share_cgroup_is_kept_for_the_next_task(void **state)
{
    (void)state;
    char parent[512];
    if (!own_v1_pids_cgroup(parent, sizeof parent)) {
        print_message("skipped: no v1 pids cgroup this caller may make one in\n");
        skip();
    }
    /* Earlier tests' tasks that ran at once left as many idle ones. */
    int all_before = 0, holding_before = 0;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "cordon-%d-", (int)getpid());
    count_cgroups(parent, prefix, &all_before, &holding_before);
    char seen[2][512];
    for (int i = 0; i < 2; i++) {
        cordon_task *t = shell("grep :pids: /proc/self/cgroup");
        const cordon_result *r = run_task(t, 0);
        assert_non_null(strstr(r->std_out.data, "/cordon-"));
        snprintf(seen[i], sizeof seen[i], "%s", r->std_out.data);
        assert_int_equal(r->confinement_details->cgroup_pids_version, 1);
        cordon_task_free(t);
    }
    assert_string_equal(seen[0], seen[1]);
    /* Two at once: two cgroups. */
    cordon_task *first = shell("grep :pids: /proc/self/cgroup; sleep 1");
    assert_int_equal(cordon_run_async(first), 0);
    cordon_task *second = shell("grep :pids: /proc/self/cgroup");
    const cordon_result *r = run_task(second, 0);
    cordon_join(first);
    assert_string_not_equal(cordon_task_result(first)->std_out.data, r->std_out.data);
    cordon_task_free(first);
    cordon_task_free(second);
    int all = 0, holding = 0;
    count_cgroups(parent, prefix, &all, &holding);
    assert_int_equal(holding, 0);
    assert_in_range(all, 1, all_before > 2 ? all_before : 2);
}

/* The runner, as root, in a process whose first cgroup names a process
 * killed outright with the same pid left behind: its JSON in text.
 * procs: its --procs, or NULL for none. */
static void run_where_names_are_taken(const char *parent, const char *procs, char *text,
                                      size_t size)
{
    const char *runner = getenv("CORDON_RUNNER");
    int out[2];
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char path[700];
        for (int i = 0; i < 16; i++) {
            snprintf(path, sizeof path, "%s/cordon-%d-%d", parent, (int)getpid(), i);
            if (mkdir(path, 0755) != 0)
                _exit(126);
        }
        dup2(out[1], 1);
        char *with_limit[] = { (char *)runner, "run", "--json", "--user", "root", "--procs",
                               (char *)procs, "--", "true", NULL };
        char *without[] = { (char *)runner, "run", "--json", "--user", "root", "--", "true", NULL };
        execv(runner, procs ? with_limit : without);
        _exit(127);
    }
    close(out[1]);
    size_t got = 0;
    for (ssize_t n; got < size - 1 && (n = read(out[0], text + got, size - 1 - got)) > 0;)
        got += (size_t)n;
    text[got] = '\0';
    close(out[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    char path[700];
    for (int i = 0; i < 16; i++) {
        snprintf(path, sizeof path, "%s/cordon-%d-%d", parent, (int)pid, i);
        rmdir(path);
    }
    assert_true(WIFEXITED(status));
}

/* A process killed outright (SIGKILL) leaves its cgroups, and a later
 * process given its pid found their names taken: its root task ran
 * without cordon's process share, in the caller's pids cgroup
 * ("max_processes": null), and under --procs failed with a
 * ConfinementError.  Both are held now. */
static void test_limit_a_dead_process_s_cgroups_cost_no_task_its_bound(void **state)
{
    (void)state;
    char parent[512];
    if (geteuid() != 0 || !getenv("CORDON_RUNNER") || !own_v1_pids_cgroup(parent, sizeof parent)) {
        print_message("skipped: root, the runner and a v1 pids cgroup are needed\n");
        skip();
    }
    char text[16384];
    run_where_names_are_taken(parent, NULL, text, sizeof text);
    assert_non_null(strstr(text, "\"max_processes\":"));
    assert_null(strstr(text, "\"max_processes\":null"));
    run_where_names_are_taken(parent, "10", text, sizeof text);
    assert_null(strstr(text, "ConfinementError"));
    assert_non_null(strstr(text, "\"max_processes\":10"));
}

/* A limit of one: "1 process or thread" (pids.max counts threads). */
static void test_limit_process_limit_of_one_is_said_in_the_singular(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 1 & wait; exit 1");
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 1);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    bool cgroup = r->confinement & CORDON_CONFINED_CGROUP;
    if (cgroup) {
        assert_int_equal(rc, CORDON_EXCEPTION);
        assert_string_equal(r->exc_out.data, "ProcessLimit: the task tried to run more than 1 "
                                             "process or thread at once and then failed\n");
    }
    cordon_task_free(t);
    if (!cgroup) {
        print_message("skipped: no pids cgroup for this caller\n");
        skip();
    }
}

/* The caller's own v1 cgroup of `controller`, or false (not root, no such
 * v1 controller). */
static bool own_v1_cgroup(const char *controller, char *dir, size_t size)
{
    char line[512], key[64];
    snprintf(key, sizeof key, ":%s:", controller);
    bool found = false;
    FILE *f = fopen("/proc/self/cgroup", "r");
    while (f && !found && fgets(line, sizeof line, f)) {
        char *at = strstr(line, key);
        if (at) {
            at[strcspn(at, "\n")] = '\0';
            snprintf(dir, size, "/sys/fs/cgroup/%s%s", controller, at + strlen(key));
            found = true;
        }
    }
    if (f)
        fclose(f);
    return found && geteuid() == 0 && access(dir, W_OK) == 0;
}

static bool own_v1_pids_cgroup(char *dir, size_t size)
{
    return own_v1_cgroup("pids", dir, size);
}

/* A copy of the test moves itself into `enclosing` (v1), or exits 3. */
static void join_or_exit(const char *enclosing)
{
    char path[700];
    snprintf(path, sizeof path, "%s/cgroup.procs", enclosing);
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
        _exit(3);
}

/* In a cgroup with a lower process limit, as in a container: a task with
 * a limit of 1000 that has a fork refused by the enclosing limit of 12 did
 * not reach its own.  A copy of the test moves into a cgroup made for it
 * and runs the task through the runner (a new process, which makes its
 * cgroups below the one it starts in); it exits 77 where the task got no
 * pids cgroup. */
static _Noreturn void run_in_enclosing(const char *enclosing)
{
    join_or_exit(enclosing);
    setenv("CORDON_CGROUP", "v1", 1);
    execl("/bin/sh", "sh", "-c",
          "out=$(\"$CORDON_RUNNER\" run --json --procs 1000 --shell 'for i in 1 2 3 4 5 6 7 8 "
          "9 10 11 12 13 14 15 16; do sleep 1 & done 2>/dev/null; wait; exit 2'); "
          "case $out in *'\"pids\":1'*) ;; *) exit 77;; esac; "
          "case $out in *'\"exit_code\":2,'*'\"exception\":null'*) exit 0;; esac; "
          "echo \"$out\" >&2; exit 1",
          (char *)NULL);
    _exit(4);
}

/* A v1 pids cgroup below `own`, named for `what` and this process, with
 * a pids.max of `most`; its path in `dir`. */
static void make_capped_cgroup(const char *own, const char *what, int most, char *dir,
                               size_t size)
{
    snprintf(dir, size, "%s/cordon-test-%s-%d", own, what, (int)getpid());
    assert_int_equal(mkdir(dir, 0755), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/pids.max", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%d\n", most);
    assert_int_equal(fclose(f), 0);
}

/* A copy of the test, moved into `enclosing`, runs `script` with sh;
 * what it printed goes into `said` (NUL-terminated), and the cgroup is
 * removed once the copy has ended. */
static void said_in_enclosing(const char *enclosing, const char *script, char *said,
                              size_t size)
{
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        dup2(out[1], 1);
        close(out[0]);
        join_or_exit(enclosing);
        execl("/bin/sh", "sh", "-c", script, (char *)NULL);
        _exit(4);
    }
    close(out[1]);
    size_t have = 0;
    for (ssize_t got; have < size - 1;) {
        got = read(out[0], said + have, size - 1 - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        have += (size_t)got;
    }
    said[have] = '\0';
    close(out[0]);
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    for (int i = 0; i < 500 && rmdir(enclosing) != 0; i++)
        usleep(10000); /* the copy's last processes leave it as they end */
}

/* The copy in a pids cgroup of 400 (a unit's TasksMax, a container's):
 * a fork bomb through the runner for 4 s, and after 2 s a fork of the
 * caller's own; prints "forked" when that fork went through and the
 * cgroup's count then. */
static void fork_beside_a_bomb(const char *enclosing, char *said, size_t size)
{
    char script[1200];
    snprintf(script, sizeof script,
             "\"$CORDON_RUNNER\" run --timeout 4s -- \"$CORDON_HOSTILE_DIR/hostile\" fork-bomb "
             ">/dev/null 2>&1 & sleep 2; /bin/true 2>/dev/null && echo forked; "
             "cat '%s/pids.current'; wait", enclosing);
    said_in_enclosing(enclosing, script, said, size);
}

/* A caller held by a pids cgroup has only the room left there: a task's
 * share of pid_max took all of a cap of 400, and the caller could not
 * fork until the task's deadline.  Its share is now a quarter of the
 * room. */
static void test_limit_share_leaves_a_capped_caller_room(void **state)
{
    (void)state;
    char own[512], enclosing[600];
    if (!own_v1_pids_cgroup(own, sizeof own) || !getenv("CORDON_RUNNER") ||
        !getenv("CORDON_HOSTILE_DIR")) {
        print_message("skipped: no v1 pids cgroup this caller may make one in\n");
        skip();
    }
    make_capped_cgroup(own, "capped", 400, enclosing, sizeof enclosing);
    char said[256];
    fork_beside_a_bomb(enclosing, said, sizeof said);
    assert_non_null(strstr(said, "forked\n"));
    const char *count = strchr(said, '\n');
    /* the bomb at about 100, the copy and its runner */
    assert_in_range(atoi(count + 1), 1, 120);
}

static void test_limit_process_is_named_for_its_own_limit_only(void **state)
{
    (void)state;
    char own[512], enclosing[600];
    if (!own_v1_pids_cgroup(own, sizeof own)) {
        print_message("skipped: no v1 pids cgroup this caller may make one in\n");
        skip();
    }
    make_capped_cgroup(own, "enclosing", 12, enclosing, sizeof enclosing);
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0)
        run_in_enclosing(enclosing);
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    for (int i = 0; i < 500 && rmdir(enclosing) != 0; i++)
        usleep(10000); /* the copy's last processes leave it as they end */
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        print_message("skipped: no pids cgroup for the task\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* v1 counts an OOM kill in the victim's cgroup whatever limit chose it,
 * and page cache alone fills a cgroup to its limit without killing: a
 * task under --mem 60M whose written file's cache once filled its limit,
 * and whose process the enclosing limit of 100M (a container's) later
 * killed beside a 55M process of the container's, was named MemoryLimit.
 * A copy of the test moves into that cgroup and runs the task through the
 * runner; it prints the task's ending.  The container's process starts
 * once the cache has filled the task's limit, and the task then holds
 * 50M, well within its own limit, past the container's; the kernel
 * picks the task's process (oom_score_adj 1000) to kill. */
static void oom_beside_a_container_process(const char *enclosing, const char *work,
                                          char *said, size_t size)
{
    char script[1500];
    snprintf(script, sizeof script,
             "export H=\"$CORDON_HOSTILE_DIR/hostile\"; "
             "(while [ ! -e '%s/cached' ]; do sleep 0.05; done; exec \"$H\" hold-mib 55 20) & "
             "\"$CORDON_RUNNER\" run --json --timeout 30s --mem 60M --shell 'dd if=/dev/zero "
             "of=%s/cache bs=1M count=200 conv=fsync 2>/dev/null; rm %s/cache; "
             "touch %s/cached; sleep 1; exec \"$H\" hold-mib 50 20' | "
             "grep -o '\"exit_code\":[0-9]*,\"signal\":[0-9]*,\"exception\":[^,]*'; "
             "kill $! 2>/dev/null; wait",
             work, work, work, work);
    said_in_enclosing(enclosing, script, said, size);
}

static void test_limit_memory_is_named_for_its_own_limit_only(void **state)
{
    (void)state;
    char own[512], enclosing[600], limit_file[700];
    if (!own_v1_cgroup("memory", own, sizeof own) || !getenv("CORDON_HOSTILE_DIR")) {
        print_message("skipped: no v1 memory cgroup this caller may make one in\n");
        skip();
    }
    snprintf(enclosing, sizeof enclosing, "%s/cordon-test-container-%d", own, (int)getpid());
    assert_int_equal(mkdir(enclosing, 0755), 0);
    snprintf(limit_file, sizeof limit_file, "%s/memory.limit_in_bytes", enclosing);
    FILE *f = fopen(limit_file, "w");
    assert_non_null(f);
    fprintf(f, "%d\n", 100 << 20);
    assert_int_equal(fclose(f), 0);
    char work[] = "/var/tmp/cordon-test-oom-XXXXXX"; /* a disk's page cache, not tmpfs */
    assert_non_null(mkdtemp(work));
    assert_int_equal(chmod(work, 0777), 0); /* the task runs as nobody */
    char said[256];
    oom_beside_a_container_process(enclosing, work, said, sizeof said);
    char cached[300];
    snprintf(cached, sizeof cached, "%s/cached", work);
    unlink(cached);
    rmdir(work);
    /* killed by the container's limit, a signal of the kernel's */
    assert_string_equal(said, "\"exit_code\":137,\"signal\":9,\"exception\":\"SIGKILL\"\n");
}

/* A memory limit and a process limit at once: under v1 the memory
 * limit's pair of cgroups, the v2 tree's and the pids one made four, one
 * past the table that held three: the fourth was written over the
 * caller's fds (its stdout closed at the task's end) and the runner
 * crashed reading a memory cgroup at a garbage address; and a task with a
 * memory limit alone lost its process share.  Each limit still names its
 * own ending, and the caller's stdout stays open. */
static void test_limit_memory_and_processes_at_once(void **state)
{
    (void)state;
    const char *hostile = getenv("CORDON_HOSTILE_DIR");
    if (!hostile)
        skip();
    char program[512];
    snprintf(program, sizeof program, "%s/hostile", hostile);
    const char *argv[] = { program, "hold-mib", "200", "1", NULL };
    for (int round = 0; round < 3; round++) {
        cordon_task *t = cordon_command_task(argv);
        assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20), 0);
        assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 50), 0);
        cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        if (r->confinement_details->cgroup_memory_version == 0) {
            /* RLIMIT_AS: the allocation fails, no MemoryLimit to name. */
            cordon_task_free(t);
            print_message("skipped: no memory cgroup for this caller\n");
            skip();
        }
        if (!r->exception || strcmp(r->exception, "MemoryLimit") != 0)
            fail_msg("round %d: %s: %s", round, r->exception ? r->exception : "(none)",
                     r->message);
        assert_int_equal(r->confinement_details->max_processes, 50);
        assert_true(fcntl(STDOUT_FILENO, F_GETFD) >= 0);
        cordon_task_free(t);
    }
    cordon_task *t = cordon_command_task((const char *[]){ "true", NULL });
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20), 0);
    const cordon_result *r = run_task(t, 0);
    assert_true(r->confinement_details->max_processes > 0); /* the share, or the ceiling */
    cordon_task_free(t);
}

static void test_limit_cores_are_never_dumped(void **state)
{
    (void)state;
    /* Whatever the caller allows itself. */
    struct rlimit previous, unlimited = { RLIM_INFINITY, RLIM_INFINITY };
    getrlimit(RLIMIT_CORE, &previous);
    setrlimit(RLIMIT_CORE, &unlimited);
    cordon_task *t = shell("ulimit -c");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "0\n");
    cordon_task_free(t);
    setrlimit(RLIMIT_CORE, &previous);
}

static void test_limit_cores_are_dumped_when_asked(void **state)
{
    (void)state;
    cordon_task *t = shell("awk '/core file/ { print $5 }' /proc/self/limits");
    assert_int_equal(cordon_set_core_dumps(t, 1024 * 1024), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "1048576\n");
    assert_int_equal(cordon_set_core_dumps(t, UINT64_MAX), 0);
    r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "unlimited\n");
    cordon_task_free(t);
}

/* Memory that belongs to no process (a task's tmpfs, its page cache) is
 * out of any limit without a memory cgroup, and when it fills the machine
 * the OOM killer took the process with the most memory of its own, the
 * caller's as likely as any: a task's processes are the first to go. */
static void test_limit_task_processes_are_the_first_oom_victims(void **state)
{
    (void)state;
    cordon_task *t = shell("cat /proc/self/oom_score_adj; sh -c 'cat /proc/self/oom_score_adj'");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "1000\n1000\n");
    cordon_task_free(t);
    FILE *f = fopen("/proc/self/oom_score_adj", "r");
    int caller = -1;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &caller), 1);
    fclose(f);
    assert_true(caller < 1000);
}

/* In a copy that runs as nobody when the test is root's (a caller that is
 * not root, whose tasks get a user namespace): "the task's, its init's". */
static void oom_score_adj_of_a_task_and_its_init(int out)
{
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0 ||
                           prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0))
        _exit(2);
    cordon_task *t = shell("cat /proc/self/oom_score_adj /proc/1/oom_score_adj | tr '\\n' ' '");
    if (cordon_run(t) != 0)
        _exit(3);
    const cordon_result *r = cordon_task_result(t);
    dprintf(out, "%s%s", r->confinement & CORDON_CONFINED_PID_NAMESPACE ? "" : "no init ",
            r->std_out.data);
    cordon_task_free(t);
}

/* The init leaves the victims once the task has started, whoever the
 * caller: the init of a caller that is not root made itself undumpable
 * before it did, its /proc/self root's then, and kept 1000 (with a memory
 * limit, the kernel could take it, a copy of the caller, and the whole
 * namespace with it). */
static void test_limit_cordon_s_init_leaves_the_oom_victims_for_any_caller(void **state)
{
    (void)state;
    char text[64];
    int status = run_in_a_copy(oom_score_adj_of_a_task_and_its_init, text, sizeof text,
                               "the task took over 30 s");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (strncmp(text, "no init ", 8) == 0) {
        print_message("skipped: the task has no pid namespace here\n");
        skip();
    }
    if (strcmp(text, "1000 0 ") != 0 && strcmp(text, "1000 -1000 ") != 0)
        fail_msg("the task's and its init's oom_score_adj: %s", text);
}

/* A function that runs a shell whose child allocates without end, and
 * exits 0 once that child was killed: it handled the kill. */
static int runs_a_shell_that_outlives_an_oom_kill(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    execl("/bin/sh", "sh", "-c", "sh -c 'a=x; while :; do a=$a$a; done'; exit 0", (char *)NULL);
    return 127;
}

/* cordon's init is a copy of the caller and held all of its memory, with
 * the task's processes' oom_score_adj of 1000: under the task's memory
 * limit the kernel killed the init, the largest, and the whole namespace
 * with it, so that a task from a caller holding 96 MiB that handled its
 * child's kill ended in MemoryLimit (137) where one from a small caller
 * exited 0.  The init goes back to the caller's standing once the task
 * started (0), and the task's processes, at 1000, are preferred by the
 * whole limit: a child at the 64 MiB limit goes before an init of some
 * 100 MiB. */
static void test_limit_memory_never_kills_cordon_s_init(void **state)
{
    (void)state;
    size_t held = 96u << 20;
    char *caller = mmap(NULL, held, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(caller != MAP_FAILED);
    memset(caller, 1, held);
    cordon_task *t = cordon_function_task(runs_a_shell_that_outlives_an_oom_kill, NULL);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20);
    cordon_set_timeout_ms(t, 20000);
    int rc = cordon_run(t);
    munmap(caller, held);
    const cordon_result *r = cordon_task_result(t);
    bool cgroup = r->confinement & CORDON_CONFINED_CGROUP;
    bool init = r->confinement & CORDON_CONFINED_PID_NAMESPACE;
    if (!cgroup || !init) {
        cordon_task_free(t);
        print_message("skipped: no memory cgroup or no pid namespace (no init) for this caller\n");
        skip();
    }
    assert_null(r->exception);
    assert_int_equal(rc, 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->signal, 0);
    cordon_task_free(t);
}

/* cordon's start of a task in namespaces is a child that starts the init
 * and leaves: under a process limit the init waited for it to exit, but a
 * process counts against a pids cgroup until it is reaped, which its
 * parent, the caller, does on its own time.  A task that the limit allows
 * was refused a fork (sh and two children under 3), or never ran
 * (/bin/true under 1: ProcessLimit with exit_code 127), in about one run
 * of four.  Every run of a task within its limit runs. */
#define START_RUNS 30
static void test_limit_process_counts_nothing_of_cordon_s_start(void **state)
{
    (void)state;
    for (int i = 0; i < START_RUNS; i++) {
        const char *truth[] = { "/bin/true", NULL };
        cordon_task *t = i % 2 ? shell("sleep 0.05 & sleep 0.05 & wait; exit 0")
                               : cordon_command_task(truth);
        assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_PROCESSES, i % 2 ? 3 : 1), 0);
        cordon_set_timeout_ms(t, 20000);
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        skip_unless_held(r->confinement & CORDON_CONFINED_CGROUP, t,
                         "no pids cgroup for this caller");
        if (rc != 0 || r->exit_code != 0)
            fail_msg("run %d (%s): rc %d, exit_code %d: %s", i, i % 2 ? "sh" : "/bin/true", rc,
                     r->exit_code, r->exc_out.data);
        cordon_task_free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_memory_named_by_a_function_s_return),
        cmocka_unit_test(test_limit_memory_too_small_to_start_is_refused),
        cmocka_unit_test(test_limit_memory_reached_by_the_start_is_no_memory_limit_of_the_task),
        cmocka_unit_test(test_limit_task_processes_are_the_first_oom_victims),
        cmocka_unit_test(test_limit_cordon_s_init_leaves_the_oom_victims_for_any_caller),
        cmocka_unit_test(test_limit_memory_with_a_cgroup_is_memory_limit),
        cmocka_unit_test(test_limit_memory_never_kills_cordon_s_init),
        cmocka_unit_test(test_limit_memory_a_start_that_does_not_fit_says_so),
        cmocka_unit_test(test_limit_file_size_is_never_a_signal_the_task_sent),
        cmocka_unit_test(test_limit_memory_as_an_address_space_limit_is_said_at_a_crash),
        cmocka_unit_test(test_limit_file_size_ends_with_file_size_limit),
        cmocka_unit_test(test_limit_file_size_holds_against_fallocate),
        cmocka_unit_test(test_limit_open_files),
        cmocka_unit_test(test_limit_open_files_too_low_for_a_set_up_hook_is_refused),
        cmocka_unit_test(test_limit_open_files_set_after_the_hand_over_binds_the_program),
        cmocka_unit_test(test_limit_fork_bomb_is_stopped_by_process_limit),
        cmocka_unit_test(test_limit_without_a_process_limit_a_task_holds_only_its_share),
        cmocka_unit_test(test_limit_share_is_of_what_is_free_at_the_start),
        cmocka_unit_test(test_limit_tasks_started_at_once_share_one_room),
        cmocka_unit_test(test_limit_many_tasks_at_once_each_get_a_sixteenth_at_least),
        cmocka_unit_test(test_limit_fork_bombs_started_at_once_leave_the_caller_room),
        cmocka_unit_test(test_limit_a_task_s_user_namespace_is_made_under_the_machine_s_ceiling),
        cmocka_unit_test(test_limit_share_grows_with_the_room_while_another_task_lives),
        cmocka_unit_test(test_limit_odd_tasks_give_their_shares_back),
        cmocka_unit_test(test_limit_share_names_no_exception),
        cmocka_unit_test(test_limit_a_task_at_its_share_leaves_its_siblings_their_starts),
        cmocka_unit_test(test_limit_share_cgroup_is_kept_for_the_next_task),
        cmocka_unit_test(test_limit_share_is_not_taken_from_the_user_s_whole_count),
        cmocka_unit_test(test_limit_a_dead_process_s_cgroups_cost_no_task_its_bound),
        cmocka_unit_test(test_limit_process_limit_of_one_is_said_in_the_singular),
        cmocka_unit_test(test_limit_process_is_named_for_its_own_limit_only),
        cmocka_unit_test(test_limit_memory_is_named_for_its_own_limit_only),
        cmocka_unit_test(test_limit_memory_and_processes_at_once),
        cmocka_unit_test(test_limit_share_leaves_a_capped_caller_room),
        cmocka_unit_test(test_limit_process_counts_nothing_of_cordon_s_start),
        cmocka_unit_test(test_limit_cores_are_never_dumped),
        cmocka_unit_test(test_limit_cores_are_dumped_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
