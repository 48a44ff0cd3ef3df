/* Hygiene: nothing leaks over many tasks, a task sees only its own fds, and
 * the caller's signal state is left as it was. */
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

static long resident_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int tiny(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_log(ctx, "x");
    cordon_return(ctx, "r", 1);
    putchar('o');
    return 7;
}

static void test_hygiene_1000_tasks_leak_no_fd_child_or_memory(void **state)
{
    (void)state;
    int iterations = rounds_for_build(1000, 250, 100);
    /* Warm up, so that one-time allocations are not counted as growth. */
    for (int i = 0; i < 20; i++) {
        cordon_task *t = cordon_function_task(tiny, NULL);
        cordon_run(t);
        cordon_task_free(t);
    }
    int fds_before = count_open_fds();
    long rss_before = resident_kb();
    for (int i = 0; i < iterations; i++) {
        cordon_task *t = cordon_function_task(tiny, NULL);
        assert_int_equal(cordon_run(t), 0);
        const cordon_result *r = cordon_task_result(t);
        assert_int_equal(r->exit_code, 7);
        assert_int_equal(r->returns.len, 1);
        cordon_task_free(t);
        if (i % 4 == 0) {
            const char *argv[] = { "true", NULL };
            cordon_task *c = cordon_command_task(argv);
            assert_int_equal(cordon_run(c), 0);
            cordon_task_free(c);
        }
    }
    assert_int_equal(count_open_fds(), fds_before);
    assert_true(no_children_left());
    /* A leak of even a small buffer per task would show as megabytes.
     * AddressSanitizer holds freed memory in quarantine, and finds leaks
     * itself. */
#if !defined(__SANITIZE_ADDRESS__)
    assert_true(resident_kb() - rss_before < 4096);
#else
    (void)rss_before;
#endif
}

static void test_hygiene_command_sees_only_its_own_fds(void **state)
{
    (void)state;
    /* fds the caller left open and inheritable must not reach the task. */
    int opened = open("/dev/null", O_RDONLY);
    int leaked = fcntl(opened, F_DUPFD, 5);
    int high = fcntl(opened, F_DUPFD, 900);
    close(opened);
    assert_true(leaked >= 5 && high >= 900);
    /* The shell opens nothing to test a path, so it sees exactly its fds. */
    char line[256];
    snprintf(line, sizeof line,
             "for fd in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 %d %d; do "
             "[ -e /proc/$$/fd/$fd ] && printf '%%s ' $fd; done; :", leaked, high);
    cordon_task *t = shell(line);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "0 1 2 3 ");
    close(leaked);
    close(high);
    cordon_task_free(t);
}

static int list_fds(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int count = 0;
    for (int fd = 0; fd < 4096; fd++) {
        if (fcntl(fd, F_GETFD) >= 0) {
            printf("%d ", fd);
            count++;
        }
    }
    return count;
}

static void test_hygiene_function_sees_only_its_own_fds(void **state)
{
    (void)state;
    int leaked = open("/dev/null", O_RDONLY);
    cordon_task *t = cordon_function_task(list_fds, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "0 1 2 3 ");
    close(leaked);
    cordon_task_free(t);
}

static void test_hygiene_caller_signal_state_is_unchanged(void **state)
{
    (void)state;
    struct sigaction before[NSIG], after[NSIG];
    memset(before, 0, sizeof before);
    memset(after, 0, sizeof after);
    for (int s = 1; s < NSIG; s++)
        sigaction(s, NULL, &before[s]); /* glibc's own signals fail: left zero */
    sigset_t mask_before, mask_after;
    sigprocmask(SIG_SETMASK, NULL, &mask_before);
    cordon_task *t = shell("exit 0");
    run_task(t, 0);
    cordon_run_async(t);
    cordon_join(t);
    cordon_task_free(t);
    for (int s = 1; s < NSIG; s++) {
        sigaction(s, NULL, &after[s]);
        assert_ptr_equal(before[s].sa_handler, after[s].sa_handler);
        assert_int_equal(before[s].sa_flags, after[s].sa_flags);
    }
    sigprocmask(SIG_SETMASK, NULL, &mask_after);
    for (int s = 1; s < NSIG; s++)
        assert_int_equal(sigismember(&mask_before, s), sigismember(&mask_after, s));
}

static void test_hygiene_works_when_caller_blocks_sigchld(void **state)
{
    (void)state;
    sigset_t chld, previous;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &previous);
    cordon_task *t = cordon_function_task(tiny, NULL);
    assert_int_equal(run_task(t, 0)->exit_code, 7);
    cordon_task_free(t);
    sigprocmask(SIG_SETMASK, &previous, NULL);
}

static void test_hygiene_tasks_survive_a_caller_ignoring_sigchld(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("no pidfd_open, the only way to read an auto-reaped status");
    struct sigaction ignore = { .sa_handler = SIG_IGN }, previous;
    sigaction(SIGCHLD, &ignore, &previous);
    cordon_task *t = shell("exit 5");
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 5);
    cordon_task_free(t);
    cordon_task *f = cordon_function_task(tiny, NULL);
    r = run_task(f, 0);
    assert_int_equal(r->exit_code, 7);
    cordon_task_free(f);
    sigaction(SIGCHLD, &previous, NULL);
}

static volatile sig_atomic_t sigchld_seen;
static void count_sigchld(int signal_number)
{
    (void)signal_number;
    sigchld_seen++;
}

/* The pid namespace flag of a command task's result, -1 if it failed. */
static int runs_in_a_pid_namespace(void)
{
    cordon_task *t = shell("exit 5");
    cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    int in = r->exception || r->exit_code != 5
                 ? -1
                 : !!(r->confinement & CORDON_CONFINED_PID_NAMESPACE);
    cordon_task_free(t);
    return in;
}

/* A fresh process (a forked copy probes the machine's namespaces again, at
 * its first task) with SIGCHLD handled, then ignored: the probe's process
 * sent the caller's handler a SIGCHLD that nothing of the caller's
 * started, and with SIGCHLD ignored the kernel reaped it and the probe
 * read a wait status nobody wrote (valgrind: a jump on an uninitialised
 * value), so the namespaces the tasks got were chance. */
static void test_hygiene_a_fresh_caller_s_first_task_sends_it_no_sigchld(void **state)
{
    (void)state;
    int expected = runs_in_a_pid_namespace();
    assert_true(expected >= 0);
    for (int ignoring = 0; ignoring < 2; ignoring++) {
        pid_t copy = fork();
        assert_true(copy >= 0);
        if (copy == 0) {
            struct sigaction counting = { .sa_handler = count_sigchld, .sa_flags = SA_RESTART },
                             ignore = { .sa_handler = SIG_IGN };
            sigaction(SIGCHLD, ignoring ? &ignore : &counting, NULL);
            int in = runs_in_a_pid_namespace();
            /* valgrind runs a command's clone(CLONE_VFORK) without an
             * exit signal as a fork with one; under a sanitizer a command
             * starts with fork() (lib/spawn.c). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
            bool counted = false;
#else
            bool counted = !getenv("CORDON_UNDER_VALGRIND");
#endif
            _exit(in < 0 ? 10 : in != expected ? 11 : counted && sigchld_seen ? 12 : 0);
        }
        int status = 0;
        assert_int_equal(waitpid(copy, &status, 0), copy);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            print_message("ignoring %d: status %#x (10: the task failed, 11: other namespaces "
                          "than the caller's tasks get, 12: a SIGCHLD came)\n",
                          ignoring, status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
}

/* In a fresh copy under a filter that refuses `call` (EPERM): a command
 * and a function task run, each in the namespaces `wanted` says (bits of
 * CORDON_CONFINED_*, checked under `mask`). */
static void tasks_run_when_refused(int call, unsigned mask, unsigned wanted)
{
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
        if (!f || seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), call, 0) != 0 || seccomp_load(f) != 0)
            _exit(20);
        seccomp_release(f);
        for (int kind = 0; kind < 2; kind++) {
            cordon_task *t = kind ? cordon_function_task(tiny, NULL) : shell("exit 5");
            cordon_run(t);
            const cordon_result *r = cordon_task_result(t);
            if (r->exception || r->exit_code != (kind ? 7 : 5))
                _exit(10 + kind);
            if ((r->confinement & mask) != wanted)
                _exit(12 + kind);
            cordon_task_free(t);
        }
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        print_message("refused %d: status %#x (10/11: the command/function failed, 12/13: "
                      "other namespaces than wanted)\n", call, status);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A process's first task presumes the namespaces most machines give,
 * rather than probing them: where they are refused (a container, a
 * filter of the caller's) that start is undone before anything of the
 * task runs, and the task starts again with what the probe finds. */
static void test_hygiene_a_first_task_refused_its_namespaces_runs_with_what_there_is(void **state)
{
    (void)state;
    if (runs_in_a_pid_namespace() != 1)
        skip();
    const unsigned namespaces = CORDON_CONFINED_PID_NAMESPACE | CORDON_CONFINED_OWN_PROC;
    tasks_run_when_refused(SCMP_SYS(unshare), namespaces, 0);
    tasks_run_when_refused(SCMP_SYS(mount), namespaces, CORDON_CONFINED_PID_NAMESPACE);
}

/* What a process's first task added to the namespaces presumed for it
 * (a network of its own) is that task's: a start that showed them work
 * once kept its own set as the process's, and every later task had no
 * network. */
static void test_hygiene_a_first_task_s_own_namespaces_stay_its_own(void **state)
{
    (void)state;
    if (runs_in_a_pid_namespace() != 1)
        skip();
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        cordon_task *t = shell("exit 5");
        if (cordon_set_network(t, CORDON_NETWORK_NONE) != 0 || cordon_run(t) != 0 ||
            !(cordon_task_result(t)->confinement & CORDON_CONFINED_NETWORK_NAMESPACE))
            _exit(10);
        cordon_task_free(t);
        for (int i = 0; i < 2; i++) {
            t = shell("exit 5");
            if (cordon_run(t) != 0 ||
                (cordon_task_result(t)->confinement & CORDON_CONFINED_NETWORK_NAMESPACE))
                _exit(11);
            cordon_task_free(t);
        }
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_hygiene_task_starts_with_default_signals(void **state)
{
    (void)state;
    struct sigaction ignore = { .sa_handler = SIG_IGN }, previous;
    sigaction(SIGPIPE, &ignore, &previous);
    /* glibc's sigaction refuses signal 32, but a caller started by a
     * program that ignored it inherits it ignored: so does the task, unless
     * cordon resets it with the raw call. */
    struct { void (*handler)(int); unsigned long flags; void (*restorer)(void);
             unsigned long mask; } raw_ignore = { .handler = SIG_IGN }, raw_previous;
    assert_int_equal(syscall(SYS_rt_sigaction, 32, &raw_ignore, &raw_previous, 8), 0);
    /* With SIGPIPE ignored, yes would get EPIPE and exit 1 instead. */
    cordon_task *t = shell("yes | head -c 1 >/dev/null; echo \"${PIPESTATUS:-}\"; "
                           "grep SigIgn /proc/self/status");
    const cordon_result *r = run_task(t, 0);
    if (!strstr(r->std_out.data, "SigIgn:\t0000000000000000"))
        print_message("task printed: %s\nexception: %s\n", r->std_out.data, r->exc_out.data);
    assert_non_null(strstr(r->std_out.data, "SigIgn:\t0000000000000000"));
    sigaction(SIGPIPE, &previous, NULL);
    syscall(SYS_rt_sigaction, 32, &raw_previous, NULL, 8);
    cordon_task_free(t);
}

static void caller_handler(int signo)
{
    (void)signo;
}

/* In a function's process: SIGTERM and SIGUSR1 at their defaults, and its
 * children left for it to wait for (no SA_NOCLDWAIT of the caller's). */
static int report_signal_state(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    struct sigaction term, usr1;
    if (sigaction(SIGTERM, NULL, &term) != 0 || term.sa_handler != SIG_DFL)
        return 1;
    if (sigaction(SIGUSR1, NULL, &usr1) != 0 || usr1.sa_handler != SIG_DFL)
        return 2;
    pid_t child = fork();
    if (child == 0)
        _exit(7);
    int status;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 7)
        return 3;
    return 0;
}

/* A function's process is a copy of the caller: none of the caller's
 * dispositions reach it, handlers, ignored signals and SIGCHLD's flags
 * alike (SIG_DFL with SA_NOCLDWAIT would have the kernel reap the
 * function's children). */
static void test_hygiene_function_starts_with_default_signals(void **state)
{
    (void)state;
    struct sigaction handle = { .sa_handler = caller_handler }, ignore = { .sa_handler = SIG_IGN },
                     no_zombies = { .sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT };
    struct sigaction previous_usr1, previous_term, previous_chld;
    sigaction(SIGUSR1, &handle, &previous_usr1);
    sigaction(SIGTERM, &ignore, &previous_term);
    sigaction(SIGCHLD, &no_zombies, &previous_chld);
    cordon_task *t = cordon_function_task(report_signal_state, NULL);
    cordon_set_policy(t, NULL);
    cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    sigaction(SIGUSR1, &previous_usr1, NULL);
    sigaction(SIGTERM, &previous_term, NULL);
    sigaction(SIGCHLD, &previous_chld, NULL);
    if (r->exit_code != 0 || r->exception)
        print_message("exit %d, exception %s\n", r->exit_code, r->exception);
    assert_null(r->exception);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
}

/* The caller runs a task, tells us the task's pid, and is killed. */
static void pass_pid_on(void *user, int stream, const char *data, size_t len)
{
    int *pipe_end = user;
    if (stream == 1 && write(*pipe_end, data, len) < 0)
        _exit(2);
}

static void test_hygiene_tasks_die_with_their_caller(void **state)
{
    (void)state;
    int report[2];
    assert_int_equal(pipe(report), 0);
    pid_t caller = fork();
    assert_true(caller >= 0);
    if (caller == 0) {
        close(report[0]);
        cordon_task *t = shell("echo $$; exec sleep 30.0901");
        cordon_set_output_callback(t, pass_pid_on, &report[1]);
        cordon_run(t);
        _exit(1);
    }
    close(report[1]);
    char text[32] = "";
    ssize_t n = read(report[0], text, sizeof text - 1);
    close(report[0]);
    assert_true(n > 0);
    assert_true(atoi(text) > 0);
    for (int i = 0; i < 500 && count_marked_processes("30.0901", false) == 0; i++)
        usleep(10 * 1000);
    assert_int_equal(count_marked_processes("30.0901", false), 1);
    kill(caller, SIGKILL);
    waitpid(caller, NULL, 0);
    assert_true(marked_processes_gone("30.0901", false));
}

/* A caller with thousands of fds open: the task still sees 0-3 only. */
static void test_hygiene_caller_with_thousands_of_fds(void **state)
{
    (void)state;
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    enum { WANTED = 3000 };
    if (limit.rlim_cur < WANTED + 64) {
        struct rlimit raised = { WANTED + 64, limit.rlim_max };
        if (limit.rlim_max < WANTED + 64 || setrlimit(RLIMIT_NOFILE, &raised) != 0)
            skip();
    }
    int fds[WANTED];
    for (int i = 0; i < WANTED; i++) {
        fds[i] = open("/dev/null", O_RDONLY); /* inheritable, on purpose */
        assert_true(fds[i] >= 0);
    }
    cordon_task *t = shell("ls /proc/self/fd | wc -l");
    const cordon_result *r = run_task(t, 0);
    /* 0-3, and the fd ls reads the directory through */
    assert_string_equal(r->std_out.data, "5\n");
    cordon_task_free(t);
    for (int i = 0; i < WANTED; i++)
        close(fds[i]);
    setrlimit(RLIMIT_NOFILE, &limit);
}

/* One task (or --net none task, which takes a spare namespace from the
 * keeper) run in this process: its return, or 100 + what went wrong. */
static int run_one(bool no_network)
{
    cordon_task *t = cordon_shell_task("echo ran");
    if (no_network && cordon_set_network(t, CORDON_NETWORK_NONE) != 0)
        return 101;
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    int answer = rc == 0 && r->exit_code == 0 && !r->exception && !strcmp(r->std_out.data, "ran\n")
                     ? 0
                     : 102;
    if (answer)
        fprintf(stderr, "%s task: rc %d, %s: %s\n", no_network ? "--net none" : "plain", rc,
                r->exception ? r->exception : "no exception", r->message ? r->message : "");
    cordon_task_free(t);
    return answer;
}

/* How many children of this process are zombies. */
static int zombie_children(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
    FILE *f = fopen(path, "r");
    int pid, zombies = 0;
    while (f && fscanf(f, "%d", &pid) == 1) {
        char stat_path[64], text[256];
        snprintf(stat_path, sizeof stat_path, "/proc/%d/stat", pid);
        FILE *st = fopen(stat_path, "r");
        const char *end = st && fgets(text, sizeof text, st) ? strrchr(text, ')') : NULL;
        zombies += end && end[1] == ' ' && end[2] == 'Z';
        if (st)
            fclose(st);
    }
    if (f)
        fclose(f);
    return zombies;
}

/* In a copy of the test: tasks, every fd from 3 up closed, the numbers
 * taken by files of the caller's own, tasks again; 0 when every task ran
 * and the caller's files kept what was in them. */
static int tasks_around_a_closefrom(bool network_namespaces)
{
    /* root: a mount namespace of this copy's own, for a mount made below */
    bool proc_root = geteuid() == 0 && network_namespaces && unshare(CLONE_NEWNS) == 0 &&
                     mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
    for (int i = 0; i < 4; i++)
        if (run_one(false) || (network_namespaces && run_one(true)))
            return 1;
    if (syscall(SYS_close_range, 3, ~0U, 0) != 0)
        return 2;
    /* The caller's own Landlock rulesets first, at the lowest numbers,
     * where the library's were: every ruleset reads back alike.  They
     * handle exec and grant none: a command given one cannot start. */
    int planted[8], copies[8];
    for (int i = 0; i < 8; i++) {
        uint64_t handled_exec = 1; /* LANDLOCK_ACCESS_FS_EXECUTE */
        planted[i] = (int)syscall(SYS_landlock_create_ruleset, &handled_exec, sizeof handled_exec,
                                  0);
        copies[i] = planted[i] >= 0 ? fcntl(planted[i], F_DUPFD_CLOEXEC, 600) : -1;
    }
    int pipes[8][2], pairs[8][2];
    for (int i = 0; i < 8; i++) {
        if (pipe(pipes[i]) != 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pairs[i]) != 0)
            return 3;
        if (write(pipes[i][1], "mine", 4) != 4 || send(pairs[i][1], "mine", 4, 0) != 4 ||
            send(pairs[i][0], "back", 4, 0) != 4)
            return 4;
    }
    /* A proc mounted since: the tasks' inits cover it (the mount table's
     * watch, one of the fds closed, said no change for good). */
    char proc_dir[] = "/tmp/cordon-hygiene-proc-XXXXXX";
    bool proc_mounted = proc_root && mkdtemp(proc_dir) && mount("proc", proc_dir, "proc", 0, NULL) == 0;
    for (int i = 0; i < 4; i++) {
        int rc = run_one(false);
        if (rc || (network_namespaces && (rc = run_one(true))))
            return rc;
    }
    if (proc_mounted) {
        char command[128];
        snprintf(command, sizeof command, "test -e %s/1 && echo uncovered || echo covered",
                 proc_dir);
        cordon_task *t = cordon_shell_task(command);
        cordon_run(t);
        bool covered = !strcmp(cordon_task_result(t)->std_out.data, "covered\n");
        cordon_task_free(t);
        umount(proc_dir);
        rmdir(proc_dir);
        if (!covered)
            return 6;
    }
    for (int i = 0; i < 8; i++) {
        char got[8];
        if (read(pipes[i][0], got, sizeof got) != 4 || recv(pairs[i][0], got, sizeof got, 0) != 4 ||
            recv(pairs[i][1], got, sizeof got, MSG_DONTWAIT) != 4)
            return 5;
        /* still the caller's own ruleset at its number (the fence's
         * remaking had closed one and taken the number) */
        if (planted[i] >= 0 && syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */,
                                       planted[i], copies[i]) != 0)
            return 7;
    }
    /* the spares' keeper, its fds closed, is reaped: no zombie left */
    cordon_release_spares();
    return zombie_children() ? 8 : 0;
}

/* A caller that closes fds it did not open (closefrom(3), Python's
 * os.closerange) closed the library's too: the Landlock ruleset kept for
 * every task (each later task without file rules ended in a
 * ConfinementError, "File descriptor in bad state", for the process's
 * life) and the spare namespaces' keeper's socket, whose number the
 * caller's next socket took.  Each is made again, and no file of the
 * caller's at those numbers is read, written or closed; so without
 * namespaces (no --net none there), whose tasks get the fence's ruleset. */
static void test_hygiene_a_caller_that_closed_every_fd_still_runs_tasks(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind keeps fds of its own, which a closefrom would take away");
    for (int without_namespaces = 0; without_namespaces < 2; without_namespaces++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (without_namespaces)
                setenv("CORDON_NO_NAMESPACES", "1", 1);
            _exit(tasks_around_a_closefrom(!without_namespaces));
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
            assert_int_equal(errno, EINTR);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("without namespaces %d: status %#x", without_namespaces, status);
    }
}

/* A command's first process shares the caller's memory until it execs
 * (without namespaces: clone with CLONE_VM).  Anything it does to that
 * memory between fork and exec, another thread's fork copies: libcap's
 * cap_set_proc takes a spin lock inside the capability set, and a
 * function task forked while a command's first process was inside capset
 * copied the lock held and spun until its deadline.  This test's capset
 * (which libcap's calls, not a raw system call) holds the first process
 * there for 300 ms while a function task starts. */
static int slow_capset_armed, inside_capset;

int capset(void *header, void *data);
int capset(void *header, void *data)
{
    if (__atomic_exchange_n(&slow_capset_armed, 0, __ATOMIC_SEQ_CST)) {
        __atomic_store_n(&inside_capset, 1, __ATOMIC_SEQ_CST);
        struct timespec pause = { 0, 300 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    return (int)syscall(SYS_capset, header, data);
}

static void *run_a_command(void *unused)
{
    (void)unused;
    cordon_task *t = cordon_command_task((const char *[]){ "/bin/true", NULL });
    cordon_set_timeout_ms(t, 5000);
    cordon_run(t);
    cordon_task_free(t);
    return NULL;
}

static int returns_at_once(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

static void start_a_function_beside_a_command(int out)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    __atomic_store_n(&slow_capset_armed, 1, __ATOMIC_SEQ_CST);
    pthread_t command;
    if (pthread_create(&command, NULL, run_a_command, NULL) != 0)
        _exit(2);
    /* The old library is inside capset within a few ms; this one never
     * calls it (nothing to wait for). */
    for (int waited = 0; waited < 200 && !__atomic_load_n(&inside_capset, __ATOMIC_SEQ_CST);
         waited++)
        usleep(1000);
    cordon_task *t = cordon_function_task(returns_at_once, NULL);
    cordon_set_timeout_ms(t, 1000);
    cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    dprintf(out, "%s", r->exception ? r->exception : "none");
    cordon_task_free(t);
    pthread_join(command, NULL);
    _exit(0);
}

static void test_hygiene_a_function_task_forked_beside_a_command_s_start_runs(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind runs the threads one at a time");
    char text[64];
    int status = run_in_a_copy(start_a_function_beside_a_command, text, sizeof text,
                               "a function task beside a command's start hung");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_string_equal(text, "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hygiene_1000_tasks_leak_no_fd_child_or_memory),
        cmocka_unit_test(test_hygiene_a_function_task_forked_beside_a_command_s_start_runs),
        cmocka_unit_test(test_hygiene_command_sees_only_its_own_fds),
        cmocka_unit_test(test_hygiene_function_sees_only_its_own_fds),
        cmocka_unit_test(test_hygiene_caller_signal_state_is_unchanged),
        cmocka_unit_test(test_hygiene_works_when_caller_blocks_sigchld),
        cmocka_unit_test(test_hygiene_tasks_survive_a_caller_ignoring_sigchld),
        cmocka_unit_test(test_hygiene_a_fresh_caller_s_first_task_sends_it_no_sigchld),
        cmocka_unit_test(test_hygiene_a_first_task_refused_its_namespaces_runs_with_what_there_is),
        cmocka_unit_test(test_hygiene_a_first_task_s_own_namespaces_stay_its_own),
        cmocka_unit_test(test_hygiene_task_starts_with_default_signals),
        cmocka_unit_test(test_hygiene_function_starts_with_default_signals),
        cmocka_unit_test(test_hygiene_tasks_die_with_their_caller),
        cmocka_unit_test(test_hygiene_caller_with_thousands_of_fds),
        cmocka_unit_test(test_hygiene_a_caller_that_closed_every_fd_still_runs_tasks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
