/*
 * Hostile tasks against processes: the caller, its other children, the
 * machine's settings.  A task must not outlive a caller that dies, hand a
 * process of its own to the caller, or see, renice, pin or tune any
 * process outside its own tree — as the caller's own user, or as root.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "support.h"

/* These attacks are held by the pid namespace: where the machine (or
 * valgrind, which has no pidfd_open) gives none, the README says what
 * holds instead, and the tests skip. */
static void require_pid_namespace(void)
{
    skip_unless_tasks_get(CORDON_CONFINED_PID_NAMESPACE, "skipped: no pid namespace here");
}

/* ---- the tree dies with the caller ------------------------------------ */

static void announce(void *fd, int stream, const char *data, size_t len)
{
    (void)stream;
    (void)len;
    (void)data;
    char byte = 'x';
    (void)!write(*(int *)fd, &byte, 1);
}

/* A caller in a process of its own runs the task `make` gives it; back
 * once the task has printed. */
static pid_t caller_running(cordon_task *(*make)(void *), void *arg)
{
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t caller = fork();
    assert_true(caller >= 0);
    if (caller == 0) {
        close(ready[0]);
        cordon_task *t = make(arg);
        cordon_set_output_callback(t, announce, &ready[1]);
        cordon_run(t);
        _exit(1);
    }
    close(ready[1]);
    char byte;
    assert_int_equal(read(ready[0], &byte, 1), 1);
    close(ready[0]);
    return caller;
}

/* A task that hides one process from the death signal and one from the
 * process group, then waits.  Each says it has taken its name over a
 * pipe before the task says it is ready: on a loaded machine a child had
 * not yet run 150 ms after its fork. */
static int hide_and_wait(cordon_ctx *ctx, void *leave_session)
{
    (void)ctx;
    int named[2];
    if (pipe(named) != 0)
        return 1;
    if (fork() == 0) {
        prctl(PR_SET_PDEATHSIG, 0);
        prctl(PR_SET_NAME, "cordon-hidden1");
        (void)!write(named[1], "1", 1);
        pause();
    }
    if (fork() == 0) {
        if (leave_session) /* the default policy refuses setsid */
            setsid();
        if (fork() == 0) {
            prctl(PR_SET_NAME, "cordon-hidden2");
            (void)!write(named[1], "2", 1);
            pause();
        }
        _exit(0);
    }
    prctl(PR_SET_PDEATHSIG, 0);
    char both[2];
    for (size_t got = 0; got < sizeof both;) {
        ssize_t n = read(named[0], both + got, sizeof both - got);
        if (n <= 0 && !(n < 0 && errno == EINTR))
            return 1;
        got += n > 0 ? (size_t)n : 0;
    }
    printf("ready\n");
    fflush(stdout);
    pause();
    return 0;
}

static cordon_task *hiding_task(void *without_policy)
{
    cordon_task *t = cordon_function_task(hide_and_wait, without_policy);
    if (without_policy)
        cordon_set_policy(t, NULL);
    return t;
}

/* A caller runs the task, says when it printed, and is then killed. */
static void caller_dies_by(int signo, bool without_policy)
{
    pid_t caller = caller_running(hiding_task, (void *)(intptr_t)without_policy);
    usleep(50 * 1000);
    assert_true(count_marked_processes("cordon-hidden1", true) >= 1);
    assert_true(count_marked_processes("cordon-hidden2", true) >= 1);
    kill(caller, signo);
    waitpid(caller, NULL, 0);
    assert_true(marked_processes_gone("cordon-hidden1", true));
    assert_true(marked_processes_gone("cordon-hidden2", true));
}

static void test_the_whole_tree_dies_with_a_killed_caller(void **state)
{
    (void)state;
    require_pid_namespace();
    caller_dies_by(SIGKILL, false);
    caller_dies_by(SIGKILL, true);
}

/* ---- a task that holds its own output pipe's lock ---------------------- */

static void *splices_into_stdout(void *socket)
{
    /* Takes what is there (3 bytes) into the stdout pipe, then waits for
     * the rest (SO_RCVLOWAT) with the pipe's lock held. */
    (void)!splice(*(int *)socket, NULL, 1, NULL, 8, 0);
    return NULL;
}

/* Holds its stdout pipe's lock with a splice that never ends, then wakes
 * its parent's poll with a byte on stderr: the parent, finding stdout
 * readable, waits for the lock in the kernel, where no signal reaches
 * it.  Named `mark`, for the test to find. */
static int holds_its_stdout_pipe(cordon_ctx *ctx, void *mark)
{
    (void)ctx;
    static int pair[2];
    int low = 65536;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0 ||
        setsockopt(pair[0], SOL_SOCKET, SO_RCVLOWAT, &low, sizeof low) != 0 ||
        write(pair[1], "abc", 3) != 3)
        return 1;
    prctl(PR_SET_NAME, mark);
    pthread_t splicer;
    if (pthread_create(&splicer, NULL, splices_into_stdout, &pair[0]) != 0)
        return 2;
    usleep(200 * 1000);
    (void)!write(2, "y", 1);
    for (;;)
        pause();
}

/* The same, after taking every open file from cordon's init (its pid 1),
 * which a task of the init's user may set the limits of: "set" on its
 * stderr when it could. */
static int lowers_the_inits_limits_then_holds_its_stdout_pipe(cordon_ctx *ctx, void *mark)
{
    struct rlimit none = { 0, 0 };
    if (prlimit(1, RLIMIT_NOFILE, &none, NULL) == 0)
        (void)!write(2, "set ", 4);
    return holds_its_stdout_pipe(ctx, mark);
}

static void *cancels_later(void *task)
{
    usleep(800 * 1000);
    cordon_cancel(task);
    return NULL;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The task's splice held its stdout pipe's lock, and the parent's read of
 * that pipe waited for it in the kernel: cordon_cancel from another
 * thread (a Python cancel(), ^C to cordon run) wrote its byte to a loop
 * that never came back to read it, and the task ran on, here to its
 * deadline (before: Timeout after 10 s; without one, for good).  The
 * cancel ends the tree itself. */
/* In a copy of the test's own (which probes namespaces anew): 0 when the
 * task was cancelled within 5 s; 3 when it ended otherwise or later. */
static _Noreturn void held_and_cancelled(bool namespaces)
{
    if (!namespaces)
        setenv("CORDON_NO_NAMESPACES", "1", 1);
    cordon_task *t = cordon_function_task(holds_its_stdout_pipe, "cordon-splice0");
    cordon_set_timeout_ms(t, 10000);
    pthread_t canceller;
    double start = seconds_now();
    if (pthread_create(&canceller, NULL, cancels_later, t) != 0)
        _exit(2);
    int rc = cordon_run(t);
    pthread_join(canceller, NULL);
    const cordon_result *r = cordon_task_result(t);
    bool cancelled = rc == CORDON_EXCEPTION && strcmp(r->exception, "Cancelled") == 0;
    fprintf(stderr, "%s namespaces: rc %d, %s after %.1f s\n", namespaces ? "in" : "without", rc,
            r->exception ? r->exception : "no exception", seconds_now() - start);
    _exit(cancelled && seconds_now() - start < 5 ? 0 : 3);
}

/* The task's splice held its stdout pipe's lock, and the parent's read of
 * that pipe waited for it in the kernel: cordon_cancel from another
 * thread (a Python cancel(), ^C to cordon run) wrote its byte to a loop
 * that never came back to read it, and the task ran on, here to its
 * deadline (before: Timeout after 10 s; without one, for good).  The
 * cancel ends the tree itself, with namespaces and without. */
static void test_a_task_holding_its_output_pipe_is_still_cancelled(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy with its own status when it has leaks");
    for (int namespaces = 0; namespaces < 2; namespaces++) {
        pid_t copy = fork();
        assert_true(copy >= 0);
        if (copy == 0)
            held_and_cancelled(namespaces);
        int status;
        assert_int_equal(waitpid(copy, &status, 0), copy);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_true(marked_processes_gone("cordon-splice0", true));
    }
}

static void kill_marked(const char *mark);

/* In a copy of the test without namespaces: 0 when `t`, holding its
 * stdout pipe's lock, ended in Timeout within 5 s of its 1 s deadline. */
static _Noreturn void held_past_the_deadline(cordon_task *t)
{
    cordon_set_timeout_ms(t, 1000);
    double start = seconds_now();
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    bool timed_out = rc == CORDON_EXCEPTION && strcmp(r->exception, "Timeout") == 0;
    fprintf(stderr, "rc %d, %s after %.1f s\n", rc, r->exception ? r->exception : "no exception",
            seconds_now() - start);
    _exit(timed_out && seconds_now() - start < 5 ? 0 : 3);
}

/* Without a pid namespace no init keeps the deadline, and the collector,
 * waiting in the kernel for the lock a splice of the task's held on its
 * stdout pipe, could not: the task ran past its deadline for good, its
 * caller held with it (as a command that spliced its stdout, opened again
 * for reading, into a full socket; as a function that spliced a socket
 * into its stdout).  A watch of cordon's beside the collector ends the
 * tree at the deadline. */
static void test_a_task_holding_its_output_pipe_meets_its_deadline_without_namespaces(
    void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy with its own status when it has leaks");
    if (!getenv("CORDON_HOSTILE_DIR"))
        skip();
    for (int command = 0; command < 2; command++) {
        const char *mark = command ? "cordon-splice3" : "cordon-splice2";
        pid_t copy = fork();
        assert_true(copy >= 0);
        if (copy == 0) {
            setenv("CORDON_NO_NAMESPACES", "1", 1);
            char line[200];
            snprintf(line, sizeof line,
                     "exec \"$CORDON_HOSTILE_DIR/hostile\" splice-out-of-stdout %s", mark);
            held_past_the_deadline(command ? shell(line)
                                           : cordon_function_task(holds_its_stdout_pipe,
                                                                  (void *)mark));
        }
        int status;
        assert_int_equal(waitpid(copy, &status, 0), copy);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            kill_marked(mark);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_true(marked_processes_gone(mark, true));
    }
}

/* Without namespaces the caller is the first process's parent, and a
 * process that made its parent its tracer (PTRACE_TRACEME) made it the
 * caller: the caller's waits saw its stops, it waited stopped at its
 * first signal (for ever without a deadline), and a traced thread of its
 * that exited was a zombie only the caller could reap.  PTRACE_TRACEME
 * is refused there now, under no policy and under one that lets ptrace
 * through (Docker's default profile), and the program runs on (the
 * hostile program exits 9 where it is refused).  In namespaces cordon's
 * init is the tracer and detaches it: test_endings.c. */
static void test_without_namespaces_no_task_makes_the_caller_its_tracer(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy with its own status when it has leaks");
    if (!getenv("CORDON_HOSTILE_DIR"))
        skip();
    cordon_error err;
    cordon_policy *docker = cordon_policy_load("docker:tests/data/docker-seccomp/default.json",
                                               &err);
    if (!docker)
        fail_msg("%s", err.message);
    for (int with_docker = 0; with_docker < 2; with_docker++) {
        pid_t copy = fork();
        assert_true(copy >= 0);
        if (copy == 0) {
            setenv("CORDON_NO_NAMESPACES", "1", 1);
            cordon_task *t =
                shell("exec \"$CORDON_HOSTILE_DIR/hostile\" traced-by-its-parent handled 12");
            cordon_set_policy(t, with_docker ? docker : NULL); /* the default kills ptrace */
            cordon_set_timeout_ms(t, 5000);
            int rc = cordon_run(t);
            const cordon_result *r = cordon_task_result(t);
            bool refused = rc == 0 && !r->exception && r->exit_code == 9;
            if (!refused)
                fprintf(stderr, "rc %d, exception %s, exit_code %d\n", rc,
                        r->exception ? r->exception : "(none)", r->exit_code);
            cordon_task_free(t);
            _exit(refused && no_children_left() ? 0 : 1);
        }
        int status;
        assert_int_equal(waitpid(copy, &status, 0), copy);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) != 0)
            fail_msg("with Docker's profile: %d", with_docker);
    }
    cordon_policy_free(docker);
}

/* A first process traced by its own child (PTRACE_SEIZE, let by its
 * PR_SET_PTRACER), which lives on: its exit went to the tracer alone, and
 * in namespaces the run went on until the tracer ended or the deadline
 * (an exit 0 at 200 ms read as a success of 5 s, an exit 3 as Timeout).
 * Its end is its own, within the init's tick of 100 ms; without
 * namespaces, as where the machine refuses them, the caller's pidfd sees
 * it. */
static void test_a_first_process_traced_by_its_child_ends_when_it_exits(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no pidfd_open, by which the caller sees the end without "
                        "namespaces");
    if (!getenv("CORDON_HOSTILE_DIR"))
        skip();
    for (int code = 0; code < 4; code += 3) {
        cordon_task *t = shell(code ? "exec \"$CORDON_HOSTILE_DIR/hostile\" traced-by-its-child 3 30"
                                    : "exec \"$CORDON_HOSTILE_DIR/hostile\" traced-by-its-child 0 30");
        cordon_set_policy(t, NULL); /* the default kills ptrace */
        cordon_set_timeout_ms(t, 5000);
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        if (rc != 0 || r->exception || r->exit_code != code || r->usage.wall_us > 2000000)
            fail_msg("rc %d, exception %s, exit_code %d, after %llu us", rc,
                     r->exception ? r->exception : "(none)", r->exit_code,
                     (unsigned long long)r->usage.wall_us);
        cordon_task_free(t);
    }
    assert_true(no_children_left());
}

static void kill_marked(const char *mark)
{
    DIR *proc = opendir("/proc");
    for (struct dirent *e; proc && (e = readdir(proc));) {
        char path[300], name[64] = "";
        snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f && fgets(name, sizeof name, f) && strncmp(name, mark, strlen(mark)) == 0 &&
            name[strlen(mark)] == '\n')
            kill(atoi(e->d_name), SIGKILL);
        if (f)
            fclose(f);
    }
    if (proc)
        closedir(proc);
}

/* Killed while so held, the caller never finished dying (its thread
 * stayed in the kernel, waiting for the lock): its pidfd never turned
 * readable, the init's death signal never came, and the task ran on
 * for good.  The init sees the caller's pending SIGKILL and ends the
 * tree.  Under --policy none (and an imported Docker profile) a task of
 * the init's user set the init's RLIMIT_NOFILE to 0 first: the init could
 * not open the caller's status, and the task and its killed caller stayed
 * so for good.  Now the init's limits are not the task's to set (EPERM),
 * and the caller's status is held open from the start. */
static void test_a_task_holding_its_output_pipe_dies_with_a_killed_caller(void **state)
{
    (void)state;
    require_pid_namespace();
    for (int lowering = 0; lowering < 2; lowering++) {
        pid_t caller = fork();
        assert_true(caller >= 0);
        if (caller == 0) {
            cordon_task *t = cordon_function_task(
                lowering ? lowers_the_inits_limits_then_holds_its_stdout_pipe
                         : holds_its_stdout_pipe,
                "cordon-splice1");
            if (lowering)
                cordon_set_policy(t, NULL);
            cordon_run(t);
            _exit(1);
        }
        for (int i = 0; i < 500 && count_marked_processes("cordon-splice1", true) == 0; i++)
            usleep(10 * 1000);
        usleep(500 * 1000); /* the caller in its read, held */
        kill(caller, SIGKILL);
        bool gone = marked_processes_gone("cordon-splice1", true);
        kill_marked("cordon-splice1"); /* before: so that the caller can die */
        waitpid(caller, NULL, 0);
        assert_true(gone);
    }
}

/* Under any policy, none too, the task's processes cannot set the limits
 * of cordon's init, which it can name (pid 1) and, of one user with it,
 * had set (sandbox/policy.h, CORDON__VARIANT_INIT_LIMITS): its own stay
 * its own, and a command's too. */
static void test_a_task_cannot_set_its_inits_limits(void **state)
{
    (void)state;
    require_pid_namespace();
    /* none; an imported Docker profile, which allows prlimit64 by name; a
     * policy whose own refusal of it holds for some of its arguments (a
     * sample of the call refused, the whole rule had been left out) */
    for (int kind = 0; kind < 3; kind++) {
        cordon_task *t = shell("prlimit --pid 1 --nofile=0:0 2>/dev/null && echo init; "
                               "prlimit --pid 1 --cpu=1:1 2>/dev/null && echo init; "
                               "prlimit --pid $$ --core=0:0 && echo own");
        cordon_error err;
        cordon_policy *p =
            kind == 1 ? cordon_policy_load("docker:tests/data/docker-seccomp/default.json", &err)
            : kind == 2 ? cordon_policy_parse("default allow\n"
                                              "errno EPERM prlimit64 if arg1 == 7\n",
                                              "refuses-one-resource", &err)
                        : NULL;
        assert_true(!kind || p);
        cordon_set_policy(t, p);
        if (geteuid() == 0)
            cordon_set_user(t, 0, 0); /* root beside a root init */
        const cordon_result *r = run_task(t, 0);
        assert_string_equal(r->std_out.data, "own\n");
        cordon_task_free(t);
        cordon_policy_free(p);
    }
}

static void test_the_whole_tree_dies_with_a_terminated_caller(void **state)
{
    (void)state;
    require_pid_namespace();
    caller_dies_by(SIGTERM, true);
}

static void test_the_tree_dies_with_a_runner_that_is_killed(void **state)
{
    (void)state;
    require_pid_namespace();
    const char *const args[] = { "run", "--timeout", "30s", "--", "sh", "-c",
                                 "sleep 100.0111 & sleep 100.0112", NULL };
    if (!getenv("CORDON_RUNNER"))
        skip();
    for (int i = 0; i < 2; i++) {
        int signo = i ? SIGKILL : SIGTERM;
        pid_t pid = start_runner_quietly(args);
        for (int k = 0; k < 500 && count_marked_processes("100.0111", false) == 0; k++)
            usleep(10 * 1000);
        assert_int_equal(count_marked_processes("100.0111", false), 1);
        kill(pid, signo);
        waitpid(pid, NULL, 0);
        assert_true(marked_processes_gone("100.0111", false));
        assert_true(marked_processes_gone("100.0112", false));
    }
}

/* Without a pid namespace the first process dies with the caller by its
 * parent-death signal alone, and the kernel clears that signal when the
 * process changes its user: a task that root ran as another user outlived
 * a caller killed outright (`cordon run` as root, CORDON_NO_NAMESPACES=1,
 * SIGKILL: its shell and what it started ran on as orphans). */
static int name_and_wait(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    prctl(PR_SET_NAME, "cordon-first3");
    printf("ready\n");
    fflush(stdout);
    pause();
    return 0;
}

/* Made in the caller's own process: the setting is its. */
static cordon_task *task_of_nobody_without_namespaces(void *arg)
{
    (void)arg;
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    cordon_task *t = cordon_function_task(name_and_wait, NULL);
    cordon_set_user(t, 65534, 65534);
    return t;
}

static void test_without_namespaces_a_task_of_another_user_dies_with_its_caller(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: running a task as another user needs root\n");
        skip();
    }
    pid_t caller = caller_running(task_of_nobody_without_namespaces, NULL);
    assert_int_equal(count_marked_processes("cordon-first3", true), 1);
    kill(caller, SIGKILL);
    waitpid(caller, NULL, 0);
    bool gone = marked_processes_gone("cordon-first3", true);
    if (!gone) { /* end it here, not leave it to the machine */
        DIR *proc = opendir("/proc");
        for (struct dirent *e; proc && (e = readdir(proc));) {
            char path[300], name[64] = "";
            snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
            FILE *f = fopen(path, "r");
            if (f && fgets(name, sizeof name, f) && strcmp(name, "cordon-first3\n") == 0)
                kill(atoi(e->d_name), SIGKILL);
            if (f)
                fclose(f);
        }
        if (proc)
            closedir(proc);
    }
    assert_true(gone);
}

/* ---- no process of the task becomes the caller's ---------------------- */

static int clone_parent_many(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int made = 0;
    for (int i = 0; i < 50; i++) {
        long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
        if (pid == 0) {
            usleep(20 * 1000);
            _exit(0);
        }
        made += pid > 0;
    }
    usleep(100 * 1000);
    return made;
}

static void test_clone_parent_never_hands_a_process_to_the_caller(void **state)
{
    (void)state;
    require_pid_namespace();
    for (int policy = 0; policy < 2; policy++) {
        cordon_task *t = cordon_function_task(clone_parent_many, NULL);
        if (!policy)
            cordon_set_policy(t, NULL);
        cordon_run(t);
        /* Whatever the clones became, none is the caller's child, waited
         * for or not, and none outlived the task. */
        assert_true(no_children_left());
        cordon_task_free(t);
    }
}

/* Clones with CLONE_PARENT, and once clone3 with it: 100 for that one,
 * and one for each clone that made a process. */
static int clone_parent_and_clone3(cordon_ctx *ctx, void *arg)
{
    int made = clone_parent_many(ctx, arg);
    struct clone_args args = { .flags = CLONE_PARENT, .exit_signal = SIGCHLD };
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0)
        _exit(0);
    return made + (pid > 0 ? 100 : 0);
}

/* In a copy, without namespaces: "made by default policy, made with none,
 * children the copy holds"; -1 for a task the policy killed. */
static void clone_parent_without_namespaces(int out)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    int made[2] = { -1, -1 };
    for (int policy = 1; policy >= 0; policy--) {
        cordon_task *t = cordon_function_task(clone_parent_and_clone3, NULL);
        if (!policy)
            cordon_set_policy(t, NULL);
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        if (rc == 0)
            made[policy] = r->exit_code;
        else if (rc == CORDON_EXCEPTION && r->exception && !strcmp(r->exception, "PolicyViolation"))
            made[policy] = -1;
        else
            made[policy] = 999;
        cordon_task_free(t);
    }
    usleep(100 * 1000);
    int held = 0;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        held++;
    dprintf(out, "%d %d %d", made[1], made[0], held);
}

/* Without a pid namespace the task's first process is the caller's child,
 * and so was every child it made with CLONE_PARENT: no init reaped them,
 * and 500 such clones left 500 zombies of the caller's for as long as it
 * lived, whatever the policy. */
static void test_without_namespaces_no_process_of_the_task_becomes_the_caller_s(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind makes a function task's clone calls itself, with flags of "
                        "its own, which the filter judges instead of the task's");
    char text[64];
    int status = run_in_a_copy(clone_parent_without_namespaces, text, sizeof text,
                               "the tasks without namespaces took over 30 s");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int by_default, with_none, held;
    if (sscanf(text, "%d %d %d", &by_default, &with_none, &held) != 3)
        fail_msg("the copy said: %s", text);
    assert_true(by_default <= 0); /* refused, or killed by the policy's kill rule for clone */
    assert_int_equal(with_none, 0);
    assert_int_equal(held, 0);
}

/* Clones with CLONE_PARENT and a user namespace of its own: one for each
 * clone that made a process. */
static int clone_parent_with_a_user_namespace(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int made = 0;
    for (int i = 0; i < 20; i++) {
        long pid = syscall(SYS_clone, CLONE_PARENT | CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (pid == 0)
            _exit(0);
        made += pid > 0;
    }
    usleep(100 * 1000);
    return made;
}

/* In a copy, without namespaces, under a policy that lets clone through
 * only with CLONE_NEWUSER: "made, children the copy holds". */
static void clone_parent_under_a_policy_of_user_namespaces(int out)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    cordon_error err;
    cordon_policy *p = cordon_policy_parse("default allow\n"
                                           "errno EPERM clone if arg0 & 0x10000000 == 0\n",
                                           "user namespaces only", &err);
    if (!p)
        _exit(2);
    cordon_task *t = cordon_function_task(clone_parent_with_a_user_namespace, NULL);
    cordon_set_policy(t, p);
    int made = cordon_run(t) == 0 ? cordon_task_result(t)->exit_code : -1;
    cordon_task_free(t);
    cordon_policy_free(p);
    usleep(100 * 1000);
    int held = 0;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        held++;
    dprintf(out, "%d %d", made, held);
}

/* The refusal of CLONE_PARENT was added only where the policy let a
 * sample of the flag alone through: one that let clone through only with
 * CLONE_NEWUSER refused that sample, and CLONE_PARENT | CLONE_NEWUSER
 * handed 20 children of the task's to the caller. */
static void test_without_namespaces_clone_parent_is_refused_whatever_else_it_asks(void **state)
{
    (void)state;
    char text[64];
    int status = run_in_a_copy(clone_parent_under_a_policy_of_user_namespaces, text, sizeof text,
                               "the task without namespaces took over 30 s");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int made, held;
    if (sscanf(text, "%d %d", &made, &held) != 2)
        fail_msg("the copy said: %s", text);
    assert_int_equal(made, 0);
    assert_int_equal(held, 0);
}

/* Double forks: each grandchild outlives its parent, as a daemon does. */
static int orphan_many(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    for (int i = 0; i < 50; i++) {
        pid_t child = fork();
        if (child == 0) {
            if (fork() == 0)
                pause();
            _exit(0);
        }
        if (child > 0)
            waitpid(child, NULL, 0);
    }
    return 0;
}

/* The caller's children but `own`. */
static int children_but(pid_t own)
{
    int count = 0;
    DIR *proc = opendir("/proc");
    struct dirent *e;
    while (proc && (e = readdir(proc))) {
        char state, comm[32];
        pid_t ppid;
        if (proc_stat_of(e->d_name, &ppid, &state, comm, sizeof comm) && ppid == getpid() &&
            atoi(e->d_name) != own)
            count++;
    }
    if (proc)
        closedir(proc);
    return count;
}

/* In a copy that is a subreaper, as a supervisor is: "zombies of the
 * caller's left by a command, by a function, by a command whose killed
 * tree ended after cordon stopped waiting for it (copies of 384 MiB
 * forked until its deadline: they had stayed the caller's zombies for
 * good), by orphans that show as zombies while a thread of theirs still
 * dies (they were taken for reaped, and stayed), then the caller's own
 * child still its to reap". */
static void orphans_of_a_subreaper(int out)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    pid_t own = fork(); /* the caller's own, which cordon must leave be */
    if (own == 0)
        _exit(7);
    int left[4] = { -1, -1, -1, -1 };
    const char *hostile_dir = getenv("CORDON_HOSTILE_DIR") ? getenv("CORDON_HOSTILE_DIR") : ".";
    char copies[600], slow[600];
    snprintf(copies, sizeof copies, "exec \"%s/hostile\" copies-a-large-mapping 384",
             hostile_dir);
    snprintf(slow, sizeof slow, "exec \"%s/hostile\" orphans-dying-slowly 256 2", hostile_dir);
    for (int kind = 0; kind < 4; kind++) {
        cordon_task *t = kind == 1 ? cordon_function_task(orphan_many, NULL)
                         : kind == 2 ? cordon_shell_task(copies)
                         : kind == 3 ? cordon_shell_task(slow)
                                     : cordon_shell_task("for i in $(seq 50); do (sleep 100 &); "
                                                         "done");
        cordon_set_timeout_ms(t, kind >= 2 ? 2500 : 20000);
        cordon_run(t);
        cordon_task_free(t);
        /* An ending longer than cordon waits for (the last two's, any under
         * a sanitizer on a loaded machine) is reaped in the background:
         * within 20 s here. */
        for (int waited = 0; waited < 200; waited++) {
            usleep(100 * 1000);
            if ((left[kind] = children_but(own)) == 0)
                break;
        }
    }
    int status = 0;
    int own_reaped = waitpid(own, &status, 0) == own && WIFEXITED(status) &&
                     WEXITSTATUS(status) == 7;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    dprintf(out, "%d %d %d %d %d", left[0], left[1], left[2], left[3], own_reaped);
}

/* Without a pid namespace an orphan of the task is adopted by the nearest
 * subreaper: the caller, when it is one (a supervisor) or pid 1 of a
 * container.  cordon killed them with the tree, but nothing reaped them:
 * three tasks of 100 double forks left 300 zombies of the caller's for as
 * long as it lived.  The caller reaps the task's, and leaves its own. */
static void orphans_of_a_subreaper_without_namespaces(int out)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    orphans_of_a_subreaper(out);
}

static void test_a_subreaper_caller_is_left_no_orphan_of_the_task(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no pidfd_open, through which the caller reaps the "
                        "orphans it adopted");
    void (*ways[])(int) = { orphans_of_a_subreaper_without_namespaces, orphans_of_a_subreaper };
    for (size_t i = 0; i < 2; i++) {
        char text[64];
        int status = run_in_a_copy(ways[i], text, sizeof text, "the tasks took over 30 s");
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        int by_command, by_function, by_copies, by_slow, own_reaped;
        if (sscanf(text, "%d %d %d %d %d", &by_command, &by_function, &by_copies, &by_slow,
                   &own_reaped) != 5)
            fail_msg("the copy said: %s", text);
        if (by_command || by_function || by_copies || by_slow || !own_reaped)
            fail_msg("%s namespaces: %d children of the caller's left by a command, %d by a "
                     "function, %d by copies left to end, %d by orphans dying slowly, its own "
                     "child %s",
                     i ? "with" : "without", by_command, by_function, by_copies, by_slow,
                     own_reaped ? "reaped by it" : "taken");
    }
}

/* ---- the caller's settings -------------------------------------------- */

struct caller_state {
    int nice, oom_score_adj;
    cpu_set_t affinity;
};

static int read_oom_score_adj(pid_t pid)
{
    char path[64], text[32] = "";
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(text, sizeof text, f))
            text[0] = '\0';
        fclose(f);
    }
    return atoi(text);
}

static void read_caller_state(struct caller_state *s)
{
    errno = 0;
    s->nice = getpriority(PRIO_PROCESS, 0);
    s->oom_score_adj = read_oom_score_adj(getpid());
    sched_getaffinity(0, sizeof s->affinity, &s->affinity);
}

static void write_proc(pid_t pid, const char *file, const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY);
    if (fd >= 0) {
        (void)!write(fd, text, strlen(text));
        close(fd);
    }
}

/* Every way a process of the same user (or root without capabilities)
 * could tune another: counts the ones that worked. */
static int tamper_with(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    pid_t caller = (pid_t)(intptr_t)arg;
    int worked = 0;
    worked += setpriority(PRIO_PROCESS, (id_t)caller, 19) == 0;
    worked += setpriority(PRIO_PGRP, (id_t)getpgid(caller), 19) == 0 && getpgid(caller) > 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    worked += sched_setaffinity(caller, sizeof one, &one) == 0;
    struct sched_param param = { 0 };
    worked += sched_setscheduler(caller, SCHED_IDLE, &param) == 0;
    worked += syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, caller, (3 << 13) | 7) == 0;
    write_proc(caller, "oom_score_adj", "1000");
    write_proc(caller, "autogroup", "19");
    write_proc(caller, "coredump_filter", "0x7f");
    write_proc(caller, "clear_refs", "1");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)caller);
    worked += access(path, F_OK) == 0; /* it cannot even see the caller */
    return worked;
}

static void test_a_task_cannot_see_or_tune_the_caller(void **state)
{
    (void)state;
    require_pid_namespace();
    struct caller_state before, after;
    read_caller_state(&before);
    for (int policy = 0; policy < 2; policy++) {
        cordon_task *t = cordon_function_task(tamper_with, (void *)(intptr_t)getpid());
        if (!policy)
            cordon_set_policy(t, NULL);
        const cordon_result *r = run_task(t, 0);
        assert_true(r->confinement & CORDON_CONFINED_PID_NAMESPACE);
        assert_int_equal(r->exit_code, 0);
        cordon_task_free(t);
    }
    read_caller_state(&after);
    assert_int_equal(after.nice, before.nice);
    assert_int_equal(after.oom_score_adj, before.oom_score_adj);
    assert_true(CPU_EQUAL(&after.affinity, &before.affinity));
    assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
}

/* How many of the machine's settings a task could open for writing
 * (nothing is written): the kernel's (/proc/sys), the machine's (/sys),
 * and the membership of the machine's root cgroup, where a process written
 * leaves its own cgroup and the limits it holds. */
static int opens_kernel_settings(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    static const char *const settings[] = {
        "/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches", "/sys/power/state",
        "/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/unified/cgroup.procs",
    };
    int opened = 0;
    for (size_t i = 0; i < sizeof settings / sizeof *settings; i++) {
        int fd = open(settings[i], O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            opened++;
            close(fd);
        }
    }
    return opened;
}

/* In a copy of the test: the environment it sets is the whole process's. */
static void tamper_without_namespaces(int out)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    struct caller_state before, after;
    read_caller_state(&before);
    /* Under the default policy, then with no filter: "no filter" lifts
     * the limits on the task's own calls, not its fence around the caller
     * (with none, a task reniced the caller, pinned it and gave it the
     * idle I/O class). */
    int rc = 0;
    unsigned held = ~0u;
    for (int policy = 1; policy >= 0; policy--) {
        cordon_task *t = cordon_function_task(tamper_with, (void *)(intptr_t)getpid());
        if (!policy)
            cordon_set_policy(t, NULL);
        rc |= cordon_run(t);
        held &= cordon_task_result(t)->confinement;
        cordon_task_free(t);
    }
    read_caller_state(&after);
    cordon_task *t = cordon_function_task(opens_kernel_settings, NULL);
    int opened = cordon_run(t) == 0 ? cordon_task_result(t)->exit_code : -1;
    cordon_task_free(t);
    dprintf(out, "%d %d %d %d %d %d %d", rc, (held & CORDON_CONFINED_PID_NAMESPACE) != 0,
            after.oom_score_adj - before.oom_score_adj, after.nice - before.nice,
            CPU_EQUAL(&after.affinity, &before.affinity), opened, (held & CORDON_CONFINED_LANDLOCK) != 0);
}

/* Without namespaces (a machine without them, CORDON_NO_NAMESPACES=1) the
 * task sees the machine's /proc and /sys.  Under the default policy no
 * system call of its reached the caller, but files did: a task raised the
 * caller's oom_score_adj to 1000 through /proc/PID, as its user or as
 * root, and as root it could write the kernel's settings and its way out
 * of its cgroup (and its limits) through cgroup.procs.  Its Landlock
 * domain now refuses writing beneath /proc and /sys. */
static void test_without_namespaces_a_task_cannot_tune_the_caller_or_the_machine(void **state)
{
    (void)state;
    char text[128];
    int status = run_in_a_copy(tamper_without_namespaces, text, sizeof text,
                               "the tasks without namespaces took over 30 s");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int rc, in_pid_namespace, oom_moved, nice_moved, affinity_kept, settings_opened, landlock;
    if (sscanf(text, "%d %d %d %d %d %d %d", &rc, &in_pid_namespace, &oom_moved, &nice_moved,
               &affinity_kept, &settings_opened, &landlock) != 7)
        fail_msg("the copy said: %s", text);
    assert_int_equal(rc, 0);
    assert_false(in_pid_namespace);
    if (!landlock) {
        print_message("skipped: no Landlock here\n");
        skip();
    }
    assert_int_equal(oom_moved, 0);
    assert_int_equal(nice_moved, 0);
    assert_true(affinity_kept);
    assert_int_equal(settings_opened, 0);
}

/* What a task reaches through mounts of proc beneath a directory it may
 * write: the caller's oom_score_adj by a proc mounted two levels down and
 * by a bind mount of that one file, and a file in a plain directory beside
 * them.  Bit 1: the caller's oom_score_adj through the proc, 2: through
 * the bound file, 4: the plain file (which must stay writable), 8: the
 * machine's processes listed through the proc. */
struct nested_mounts {
    char top[64];
    pid_t caller;
    const char *parent; /* of the proc: "a", or "b" once renamed */
};

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return 0;
    int wrote = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    close(fd);
    return wrote;
}

static int writes_through_nested_mounts(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const struct nested_mounts *m = arg;
    char path[160];
    int wrote = 0;
    snprintf(path, sizeof path, "%s/%s/proc/%d/oom_score_adj", m->top, m->parent,
             (int)m->caller);
    wrote |= write_text(path, "1000") ? 1 : 0;
    snprintf(path, sizeof path, "%s/bound", m->top);
    wrote |= write_text(path, "1000") ? 2 : 0;
    snprintf(path, sizeof path, "%s/plain/file", m->top);
    wrote |= write_text(path, "x") ? 4 : 0;
    snprintf(path, sizeof path, "%s/%s/proc", m->top, m->parent);
    DIR *dir = opendir(path);
    for (struct dirent *e; dir && (e = readdir(dir));)
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
            wrote |= 8;
    if (dir)
        closedir(dir);
    return wrote;
}

/* In a copy, in a mount namespace of its own (root): a first task, then
 * proc is mounted beneath /var/tmp and one proc file bound over a file
 * there, then a task reaches through them; with `renamed`, after a task
 * that ran with them there, their parent directory is renamed (which
 * moves the proc and leaves the mount table as it was) before the last
 * task.  "rc wrote oom_moved confinement" in `out`; exit 2 where no
 * mount namespace could be had. */
static void reach_through_mounts_made_later(int out, bool without_namespaces, bool renamed)
{
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        _exit(2);
    if (without_namespaces)
        setenv("CORDON_NO_NAMESPACES", "1", 1);
    struct nested_mounts m = { .caller = getpid(), .parent = "a" };
    snprintf(m.top, sizeof m.top, "/var/tmp/cordon-nested-%d", (int)getpid());
    cordon_task *t = cordon_function_task(writes_through_nested_mounts, &m);
    cordon_run(t); /* the fence is made before the mounts */
    char proc[96], oom[96], bound[96], plain[96];
    snprintf(proc, sizeof proc, "%s/a/proc", m.top);
    snprintf(oom, sizeof oom, "/proc/%d/oom_score_adj", (int)m.caller);
    snprintf(bound, sizeof bound, "%s/bound", m.top);
    snprintf(plain, sizeof plain, "%s/plain", m.top);
    mkdir(m.top, 0755);
    snprintf(proc, sizeof proc, "%s/a", m.top);
    mkdir(proc, 0755);
    snprintf(proc, sizeof proc, "%s/a/proc", m.top);
    mkdir(proc, 0755);
    mkdir(plain, 0755);
    close(open(bound, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    int before = read_oom_score_adj(m.caller);
    int mounted = mount("proc", proc, "proc", 0, NULL) == 0 &&
                  mount(oom, bound, "none", MS_BIND, NULL) == 0;
    char renamed_to[96];
    snprintf(renamed_to, sizeof renamed_to, "%s/b", m.top);
    if (mounted && renamed) {
        cordon_run(t);
        snprintf(proc, sizeof proc, "%s/a", m.top);
        mounted = rename(proc, renamed_to) == 0;
        m.parent = "b";
    }
    int rc = mounted ? cordon_run(t) : -1;
    const cordon_result *r = cordon_task_result(t);
    int moved = read_oom_score_adj(m.caller) - before;
    dprintf(out, "%d %d %d %u", rc, mounted ? r->exit_code : -1, moved, r->confinement);
    cordon_task_free(t);
    umount(bound);
    snprintf(proc, sizeof proc, "%s/%s/proc", m.top, m.parent);
    umount(proc);
    if (renamed) {
        snprintf(proc, sizeof proc, "%s/a", m.top);
        rename(renamed_to, proc);
    }
    snprintf(proc, sizeof proc, "%s/plain/file", m.top);
    unlink(proc);
    rmdir(plain);
    unlink(bound);
    snprintf(proc, sizeof proc, "%s/a/proc", m.top);
    rmdir(proc);
    snprintf(proc, sizeof proc, "%s/a", m.top);
    rmdir(proc);
    rmdir(m.top);
    _exit(0);
}

static void reach_through_mounts_without_namespaces(int out)
{
    reach_through_mounts_made_later(out, true, false);
}

static void reach_through_mounts_in_namespaces(int out)
{
    reach_through_mounts_made_later(out, false, false);
}

static void reach_through_renamed_mounts_without_namespaces(int out)
{
    reach_through_mounts_made_later(out, true, true);
}

static void reach_through_renamed_mounts_in_namespaces(int out)
{
    reach_through_mounts_made_later(out, false, true);
}

/* What the copy said: the task's bits, and whether it had `held`; fails
 * on what the copy could not do, skips where it could not mount. */
static int reached_through_mounts(void (*body)(int out), unsigned held, const char *lacking)
{
    char text[64];
    int status = run_in_a_copy(body, text, sizeof text, "the tasks beside nested mounts took over 30 s");
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2) {
        print_message("skipped: no mount namespace of the test's own (root only)\n");
        skip();
    }
    int rc, reached, moved;
    unsigned confinement;
    if (sscanf(text, "%d %d %d %u", &rc, &reached, &moved, &confinement) != 4)
        fail_msg("the copy said: %s", text);
    assert_int_equal(rc, 0);
    if (!(confinement & held)) {
        print_message("skipped: %s\n", lacking);
        skip();
    }
    assert_int_equal(moved, 0);
    return reached;
}

/* The fence left out the top-level /proc and /sys only: a proc mounted
 * anywhere else (a container runtime's, an administrator's), a cgroup
 * hierarchy or a bind mount of one file of /proc beneath a granted
 * directory let a task raise the caller's oom_score_adj to 1000 and a
 * root task open the kernel's settings; and a mount made after the
 * process's first task was never seen.  Every mount of the kernel's file
 * systems is left out, and the fence is made again when the mount table
 * changes. */
static void test_without_namespaces_no_mount_of_proc_is_writable(void **state)
{
    (void)state;
    int reached = reached_through_mounts(reach_through_mounts_without_namespaces,
                                         CORDON_CONFINED_LANDLOCK, "no Landlock here");
    assert_int_equal(reached & 7, 4); /* the plain file only */
}

/* With namespaces the task's view is a copy of the caller's, and a proc
 * mounted elsewhere than /proc came along: the task listed the machine's
 * processes past its pid namespace, and (as root) raised the caller's
 * oom_score_adj to 1000 through it and through a bind of that one file.
 * The init covers every mount of the kernel's file systems outside /proc
 * and /sys. */
static void test_in_namespaces_no_second_proc_shows_through(void **state)
{
    (void)state;
    int reached = reached_through_mounts(reach_through_mounts_in_namespaces,
                                         CORDON_CONFINED_PID_NAMESPACE, "no pid namespace here");
    assert_int_equal(reached, 4); /* the plain file only */
}

/* In a copy, in a mount namespace of its own (root): `how` 0, a proc
 * mounted twice at one point (a chroot's set-up run twice), a task in
 * namespaces lists it; 1, without namespaces, beside a proc mounted
 * beneath a directory, a first task, then a file and a program made in
 * that directory, which a second task reads and runs.  "rc exit output"
 * in `out`; exit 2 where no mount namespace could be had. */
static void beside_odd_kernel_mounts(int out, int how)
{
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        _exit(2);
    char top[64], proc[96], command[512];
    snprintf(top, sizeof top, "/var/tmp/cordon-odd-mounts-%d", (int)getpid());
    snprintf(proc, sizeof proc, "%s/proc", top);
    if (mkdir(top, 0755) != 0 || mkdir(proc, 0755) != 0 || mount("proc", proc, "proc", 0, NULL) != 0)
        _exit(2);
    if (how == 0 && mount("proc", proc, "proc", 0, NULL) != 0)
        _exit(2);
    if (how == 1) {
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        cordon_task *first = cordon_shell_task("true");
        cordon_run(first); /* the fence is made before the files */
        cordon_task_free(first);
        char made[300];
        snprintf(made, sizeof made, "echo late > %s/late && cp /bin/true %s/true", top, top);
        if (system(made) != 0)
            _exit(2);
        snprintf(command, sizeof command, "cat %s/late && %s/true && echo ran", top, top);
    } else {
        snprintf(command, sizeof command, "ls %s 2>/dev/null | wc -l", proc);
    }
    cordon_task *t = cordon_shell_task(command);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    dprintf(out, "%d %d %s%s", rc, r->exit_code, r->std_out.data, r->exc_out.data);
    cordon_task_free(t);
    umount2(proc, MNT_DETACH);
    if (how == 0)
        umount2(proc, MNT_DETACH);
    snprintf(command, sizeof command, "rm -rf %s", top);
    if (system(command) != 0)
        _exit(3);
    _exit(0);
}

static void beside_stacked_kernel_mounts(int out)
{
    beside_odd_kernel_mounts(out, 0);
}

static void beside_a_kernel_mount_files_made_later(int out)
{
    beside_odd_kernel_mounts(out, 1);
}

static const char *said_beside_odd_kernel_mounts(void (*body)(int out), char *text, size_t size)
{
    int status = run_in_a_copy(body, text, size, "a task beside odd kernel mounts took over 30 s");
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2) {
        print_message("skipped: no mount namespace of the test's own (root only)\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    return text;
}

/* Two mounts at one point each got a cover, and the second cover found
 * the first where its mount had been: every task failed "Stale file
 * handle" until the mounts were gone.  One cover goes over the stack. */
static void test_in_namespaces_kernel_mounts_stacked_at_one_point_are_covered(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no pidfd_open: no task gets namespaces under it");
    char text[1024];
    said_beside_odd_kernel_mounts(beside_stacked_kernel_mounts, text, sizeof text);
    assert_string_equal(text, "0 0 0\n");
}

/* Without namespaces the fence reads as well as writes; a directory above
 * a kernel mount is granted entry by entry, and a file or program made in
 * it after a long-lived caller's first task could be neither read nor
 * run.  Reading is granted on the directory whole (the kernel's mount is
 * read anyway); writing stays entry by entry. */
static void test_without_namespaces_files_made_beside_a_kernel_mount_are_read(void **state)
{
    (void)state;
    char text[1024];
    said_beside_odd_kernel_mounts(beside_a_kernel_mount_files_made_later, text, sizeof text);
    assert_string_equal(text, "0 0 late\nran\n");
}

/* In a copy, in a mount namespace of its own (root), with a second proc
 * mounted: a task of nobody's under a CPU limit (and cordon's rules
 * alone, which let it make namespaces) runs the runner, whose own task looks
 * through that proc.  "rc exit exception output" in `out`; exit 2 where
 * no mount namespace or runner could be had. */
static void nested_beside_a_second_proc(int out)
{
    const char *runner = getenv("CORDON_RUNNER");
    if (!runner || unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        _exit(2);
    char proc[64], command[512];
    snprintf(proc, sizeof proc, "/var/tmp/cordon-second-proc-%d", (int)getpid());
    mkdir(proc, 0755);
    if (mount("proc", proc, "proc", 0, NULL) != 0)
        _exit(2);
    snprintf(command, sizeof command,
             "%s run --quiet -- /bin/sh -c "
             "'ls %s/1/ >/dev/null 2>&1 && echo shown || echo hidden'",
             runner, proc);
    cordon_task *t = cordon_shell_task(command);
    cordon_set_policy(t, NULL); /* one that lets it make namespaces */
    cordon_set_user(t, 65534, 65534);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 10000);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    dprintf(out, "%d %d %s %s", rc, r->exit_code, r->exception ? r->exception : "none",
            r->std_out.data);
    cordon_task_free(t);
    umount(proc);
    rmdir(proc);
    _exit(0);
}

/* A cordon inside a cordon with a limit: the outer filter refuses openat2
 * with ENOSYS (its mode is in memory no filter reads), and the inner init,
 * which opened each second proc by openat2 to cover it, failed every task
 * with "failed entering its namespaces: Function not implemented" on a
 * machine with a second proc mounted (a chroot's, a container runtime's).
 * It opens them one name at a time where openat2 is missing. */
static void test_a_cordon_inside_a_cordon_covers_a_second_proc(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("a runner nested in a task of a caller under valgrind is refused its "
                        "namespaces (EPERM), as it is not without valgrind");
    char text[256] = "";
    int status = run_in_a_copy(nested_beside_a_second_proc, text, sizeof text,
                               "the nested cordon took over 30 s");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
        skip(); /* not root, or no runner */
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_string_equal(text, "0 0 none hidden\n");
}

/* A rename of the directory above a second proc moves it without
 * changing the mount table: the mounts cordon had read were looked for
 * at their old paths, found nowhere and taken as gone, and the next task
 * (of a batch, a retry) listed the machine's processes and raised the
 * caller's oom_score_adj through the proc at its new name.  Each path is
 * checked to lead to its mount still at every task, and the table read
 * again where one does not; the init fails the task where one has moved
 * since the parent's check. */
static void test_a_second_proc_moved_by_a_rename_is_still_out_of_reach(void **state)
{
    (void)state;
    int reached = reached_through_mounts(reach_through_renamed_mounts_in_namespaces,
                                         CORDON_CONFINED_PID_NAMESPACE, "no pid namespace here");
    assert_int_equal(reached, 4);
    reached = reached_through_mounts(reach_through_renamed_mounts_without_namespaces,
                                     CORDON_CONFINED_LANDLOCK, "no Landlock here");
    assert_int_equal(reached & 7, 4);
}

/* What a task reached through a second mount of the caller's /dev (a
 * chroot's `mount --rbind /dev`): bit 1 the caller's POSIX shared memory
 * segment read, 2 the caller's terminals listed in its devpts, 4 the
 * device nodes of its devtmpfs listed, 8 its message queues' file system
 * listed. */
struct second_dev {
    char top[64], segment[64];
};

static int entries_in(const char *path)
{
    DIR *dir = opendir(path);
    int count = 0;
    for (struct dirent *e; dir && (e = readdir(dir));)
        count += e->d_name[0] != '.';
    if (dir)
        closedir(dir);
    return count;
}

static int reads_through_a_second_dev(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const struct second_dev *d = arg;
    char path[192], text[16] = "";
    int reached = 0;
    snprintf(path, sizeof path, "%s/dev/shm/%s", d->top, d->segment);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && read(fd, text, sizeof text - 1) > 0 && strstr(text, "caller"))
        reached |= 1;
    if (fd >= 0)
        close(fd);
    snprintf(path, sizeof path, "%s/dev/pts", d->top);
    reached |= entries_in(path) > 1 ? 2 : 0; /* more than ptmx */
    snprintf(path, sizeof path, "%s/dev", d->top);
    reached |= entries_in(path) > 0 ? 4 : 0;
    snprintf(path, sizeof path, "%s/mq", d->top);
    reached |= entries_in(path) > 0 ? 8 : 0;
    return reached;
}

/* In a copy with a mount namespace of its own (root): the caller's /dev
 * bound again beneath /var/tmp, with a shared memory segment, a terminal
 * and a message queue of the caller's in it; "rc reached confinement". */
static void reach_through_a_second_dev(int out)
{
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        _exit(2);
    struct second_dev d;
    snprintf(d.top, sizeof d.top, "/var/tmp/cordon-second-dev-%d", (int)getpid());
    snprintf(d.segment, sizeof d.segment, "cordon-second-dev-%d", (int)getpid());
    char dev[96], mq[96], segment[96];
    snprintf(dev, sizeof dev, "%s/dev", d.top);
    snprintf(mq, sizeof mq, "%s/mq", d.top);
    snprintf(segment, sizeof segment, "/dev/shm/%s", d.segment);
    mkdir(d.top, 0755);
    mkdir(dev, 0755);
    mkdir(mq, 0755);
    int terminal = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    int shm = open(segment, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    bool made = terminal >= 0 && shm >= 0 && write(shm, "caller\n", 7) == 7 &&
                grantpt(terminal) == 0 && unlockpt(terminal) == 0 &&
                mount("/dev", dev, "none", MS_BIND | MS_REC, NULL) == 0;
    /* A second mqueue mount (of the caller's IPC namespace), and a queue. */
    if (made && mount("mqueue", mq, "mqueue", 0, NULL) != 0)
        made = false;
    char queue[128];
    snprintf(queue, sizeof queue, "%s/cordon-second-dev", mq);
    int queue_fd = made ? open(queue, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
    made = made && queue_fd >= 0;
    if (queue_fd >= 0)
        close(queue_fd);
    cordon_task *t = cordon_function_task(reads_through_a_second_dev, &d);
    int rc = made ? cordon_run(t) : -1;
    const cordon_result *r = cordon_task_result(t);
    dprintf(out, "%d %d %u", rc, made ? r->exit_code : -1, r->confinement);
    cordon_task_free(t);
    unlink(queue);
    umount2(mq, MNT_DETACH);
    umount2(dev, MNT_DETACH);
    unlink(segment);
    rmdir(mq);
    rmdir(dev);
    rmdir(d.top);
    _exit(made ? 0 : 3);
}

/* cordon gives a task its own /dev/pts, /dev/shm and /dev/mqueue, but a
 * second mount of the caller's /dev came along into the task's view: a
 * task read what the user typed on the caller's terminal and wrote into
 * the caller's shared memory through it.  Every devpts, mqueue, hugetlbfs
 * and devtmpfs mount but where the task gets its own, and every other
 * mount of the file system of /dev/shm, is covered. */
static void test_in_namespaces_no_second_dev_shows_through(void **state)
{
    (void)state;
    char text[64];
    int status = run_in_a_copy(reach_through_a_second_dev, text, sizeof text,
                               "a task beside a second /dev took over 30 s");
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2) {
        print_message("skipped: no mount namespace of the test's own (root only)\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    int rc, reached;
    unsigned confinement;
    if (sscanf(text, "%d %d %u", &rc, &reached, &confinement) != 3)
        fail_msg("the copy said: %s", text);
    assert_int_equal(rc, 0);
    if (!(confinement & CORDON_CONFINED_PID_NAMESPACE)) {
        print_message("skipped: no namespaces here\n");
        skip();
    }
    assert_int_equal(reached, 0);
}

static int reports_its_io_class(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    long io = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
    return io < 0 ? 100 : (int)(io >> 13);
}

/* In a copy of the test given the real-time I/O class: the class a
 * function task and a command started with, as "function command", in
 * `out`.  Exit 2 where the copy could not take the class. */
static void run_from_a_real_time_io_caller(int out)
{
    if (syscall(SYS_ioprio_set, 1, 0, (1 << 13) | 4) != 0)
        _exit(2);
    cordon_task *t = cordon_function_task(reports_its_io_class, NULL);
    cordon_run(t);
    int function = cordon_task_result(t)->exit_code;
    cordon_task_free(t);
    const char *dir = getenv("CORDON_HOSTILE_DIR");
    char hostile[256];
    snprintf(hostile, sizeof hostile, "%s/hostile", dir ? dir : "build/hostile");
    t = cordon_command_task((const char *[]){ hostile, "io-class", NULL });
    cordon_run(t);
    int from_command = cordon_task_result(t)->exit_code;
    cordon_task_free(t);
    dprintf(out, "%d %d", function, from_command);
    _exit(0);
}

/* A caller of the real-time I/O class (ionice -c1) handed it on: the
 * task's reads and writes went before every other process's, the
 * caller's own among them.  A task starts in the class of its nice value
 * (0, IOPRIO_CLASS_NONE). */
static void test_a_task_does_not_inherit_a_real_time_io_class(void **state)
{
    (void)state;
    char text[64];
    int status = run_in_a_copy(run_from_a_real_time_io_caller, text, sizeof text,
                               "a task from a real-time I/O caller hung");
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2) {
        print_message("skipped: the caller cannot take the real-time I/O class here\n");
        skip();
    }
    assert_string_equal(text, "0 0");
}

/* Exit status 0 when the task can take neither a real-time policy nor a
 * nice value below the one it started with, whatever the caller may. */
static int takes_no_priority(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    struct rlimit rt, nice;
    if (getrlimit(RLIMIT_RTPRIO, &rt) != 0 || getrlimit(RLIMIT_NICE, &nice) != 0)
        return 1;
    if (rt.rlim_cur || rt.rlim_max || nice.rlim_cur || nice.rlim_max)
        return 2;
    struct sched_param param = { .sched_priority = 1 };
    if (sched_setscheduler(0, SCHED_FIFO, &param) == 0)
        return 3;
    errno = 0;
    int own = getpriority(PRIO_PROCESS, 0);
    return own > -20 && setpriority(PRIO_PROCESS, 0, own - 1) == 0 ? 4 : 0;
}

/* A caller allowed real-time scheduling (RLIMIT_RTPRIO, an audio group's
 * 95) or a lower nice value (RLIMIT_NICE) must not hand that on: a task at
 * SCHED_FIFO on every CPU would starve the parent that keeps its deadline.
 * (Here the caller's own limits are already 0, and root lacks the
 * capability to raise them: the test shows what the task gets, whatever
 * the machine.) */
static void test_a_task_takes_no_real_time_priority(void **state)
{
    (void)state;
    for (int policy = 0; policy < 2; policy++) {
        cordon_task *t = cordon_function_task(takes_no_priority, NULL);
        if (!policy)
            cordon_set_policy(t, NULL);
        const cordon_result *r = run_task(t, 0);
        assert_int_equal(r->exit_code, 0);
        cordon_task_free(t);
    }
}

static int reports_its_policy(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return sched_getscheduler(0);
}

/* In a copy of the test made SCHED_FIFO: the policy a function task and a
 * command started with (0: SCHED_OTHER), as "function command", in `out`.
 * Exit 2 where the copy could not become SCHED_FIFO. */
static void run_from_a_real_time_caller(int out)
{
    struct sched_param param = { .sched_priority = 1 };
    if (sched_setscheduler(0, SCHED_FIFO, &param) != 0)
        _exit(2);
    cordon_task *t = cordon_function_task(reports_its_policy, NULL);
    cordon_run(t);
    int function = cordon_task_result(t)->exit_code;
    cordon_task_free(t);
    t = cordon_shell_task("exit $(cut -d' ' -f41 /proc/self/stat)");
    cordon_run(t);
    int command = cordon_task_result(t)->exit_code;
    cordon_task_free(t);
    dprintf(out, "%d %d", function, command);
    _exit(0);
}

/* A caller at a real-time policy handed it on: a task spinning at
 * SCHED_FIFO on every CPU kept the parent from enforcing its deadline
 * (a 300 ms one ran 2.7 s).  Every task starts at SCHED_OTHER. */
static void test_a_task_does_not_inherit_a_real_time_policy(void **state)
{
    (void)state;
    char text[64];
    int status = run_in_a_copy(run_from_a_real_time_caller, text, sizeof text,
                               "a task from a real-time caller hung");
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2) {
        print_message("skipped: the caller cannot take SCHED_FIFO here (CAP_SYS_NICE)\n");
        skip();
    }
    assert_string_equal(text, "0 0");
}

/* The init at the top of a command's tree is a copy of the caller: the
 * command cannot read the caller's command line there, nor anywhere else
 * in its /proc. */
static void test_a_command_cannot_read_the_callers_command_line(void **state)
{
    (void)state;
    require_pid_namespace();
    char self[4096];
    FILE *f = fopen("/proc/self/cmdline", "r");
    assert_non_null(f);
    size_t len = fread(self, 1, sizeof self - 1, f);
    fclose(f);
    self[len] = '\0'; /* argv[0], this test's own path */
    const char *name = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;
    cordon_task *t = shell("cat /proc/[0-9]*/cmdline | tr '\\0' ' '; echo; cat /proc/1/comm");
    const cordon_result *r = run_task(t, 0);
    if (strstr(r->std_out.data, name))
        fail_msg("the task read '%s' in: %s", name, r->std_out.data);
    assert_non_null(strstr(r->std_out.data, "cordon-init"));
    cordon_task_free(t);
}

static void test_a_task_cannot_tune_a_sibling_task(void **state)
{
    (void)state;
    require_pid_namespace();
    const char *argv[] = { "sleep", "0.5", NULL };
    cordon_task *sibling = cordon_command_task(argv);
    assert_int_equal(cordon_run_async(sibling), 0);
    usleep(100 * 1000);
    /* The sibling's processes are all the others a task could find. */
    cordon_task *t = shell("for p in $(ls /proc | grep '^[0-9]'); do renice -n 19 -p $p; done "
                           ">/dev/null 2>&1; ls /proc | grep -c '^[0-9]'");
    cordon_set_policy(t, NULL);
    const cordon_result *r = run_task(t, 0);
    /* sh, ls, grep and the init: nothing of the sibling. */
    assert_true(atoi(r->std_out.data) <= 4);
    assert_int_equal(cordon_join(sibling), 0);
    cordon_task_free(t);
    cordon_task_free(sibling);
}

/* ---- root without capabilities ---------------------------------------- */

/* Opens for writing what root owns in /proc/sys and /sys: how many opened
 * (0 expected), or 100 when core_pattern was refused for another reason
 * than a read-only file system. */
static int write_kernel_settings(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    const char *files[] = {
        "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/hostname",
        "/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/unified/cgroup.procs",
        "/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/memory/cgroup.procs",
        "/sys/kernel/mm/transparent_hugepage/enabled", "/proc/irq/0/smp_affinity",
        "/proc/irq/default_smp_affinity", "/proc/sysrq-trigger",
    };
    int opened = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        int fd = open(files[i], O_WRONLY);
        if (fd >= 0) {
            opened++;
            close(fd);
        } else if (i == 0 && errno != EROFS) {
            return 100;
        }
    }
    return opened;
}

static void test_a_root_task_cannot_write_kernel_settings(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    cordon_task *t = cordon_function_task(write_kernel_settings, NULL);
    cordon_set_policy(t, NULL);
    const cordon_result *r = run_task(t, 0);
    bool own_proc = r->confinement & CORDON_CONFINED_OWN_PROC;
    int opened = r->exit_code;
    cordon_task_free(t);
    if (!own_proc)
        skip(); /* no mount namespace here: the README says what holds */
    assert_int_equal(opened, 0);
}

/* 0 when the task's /proc is its namespace's own (it is pid 2 there) and,
 * for root, its kernel settings cannot be written. */
static int first_look_at_proc(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char self[16] = { 0 };
    if (readlink("/proc/self", self, sizeof self - 1) <= 0 || strcmp(self, "2") != 0)
        return 1;
    int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
    if (fd >= 0) {
        close(fd);
        return 2;
    }
    return 0;
}

/* The init makes its mounts while a function task's process sets itself
 * up: the function, its first instruction included, runs only after them,
 * every time. */
static void test_a_function_task_never_runs_before_its_own_proc(void **state)
{
    (void)state;
    for (int run = 0; run < 30; run++) {
        cordon_task *t = cordon_function_task(first_look_at_proc, NULL);
        cordon_set_policy(t, NULL);
        const cordon_result *r = run_task(t, 0);
        bool own_proc = r->confinement & CORDON_CONFINED_OWN_PROC;
        int seen = r->exit_code;
        cordon_task_free(t);
        if (!own_proc)
            skip(); /* no mount namespace here */
        assert_int_equal(seen, 0);
    }
}

/* ---- Cgroups a task makes inside its own ----------------------------
 *
 * A root task with no filter mounted cgroup2 in namespaces of its own (its
 * cgroup is that mount's root) and made cgroups inside: 50 chains of 40
 * kept the caller 61 s past a deadline of 1 s while cordon removed them,
 * and chains deeper than the removal's walk stayed for good.  The task's
 * v2 cgroup bounds how deep (16) and how many (512) it may make, bounds
 * it cannot raise (it wrote "max" to them, before they were nobody's);
 * and now it gets no cgroup namespace to mount them in at all (a root
 * task wrote its own limits and the caller's v1 freezer.state through
 * one).  Returns the depth reached * 1000 + the cgroups made; 999999
 * where the namespaces or the mount were refused. */
#define CHAINS 30
#define CHAIN_DEPTH 40
static int makes_cgroups_inside_its_own(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP) != 0 ||
        mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("none", "/tmp", "cgroup2", 0, NULL) != 0)
        return 999999;
    /* the bounds raised first, where the task may write them, and opened
     * to everyone, where it owns them */
    static const char *const bounds[] = { "/tmp/cgroup.max.depth", "/tmp/cgroup.max.descendants" };
    for (int i = 0; i < 2; i++) {
        (void)chmod(bounds[i], 0666);
        int fd = open(bounds[i], O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            (void)!write(fd, "max", 3);
            close(fd);
        }
    }
    int deepest = 0, made = 0;
    for (int chain = 0; chain < CHAINS; chain++) {
        char name[32];
        snprintf(name, sizeof name, "/tmp/w%d", chain);
        if (mkdir(name, 0755) != 0 || chdir(name) != 0)
            continue;
        made++;
        int depth = 1;
        for (; depth < CHAIN_DEPTH && mkdir("d", 0755) == 0 && chdir("d") == 0; depth++)
            made++;
        deepest = depth > deepest ? depth : deepest;
    }
    return deepest * 1000 + made;
}

/* The caller's own v2 cgroup's directory, where cordon makes the task's;
 * false where there is none. */
static bool own_v2_cgroup(char *dir, size_t size)
{
    char line[2048];
    FILE *f = fopen("/proc/self/cgroup", "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f))
        if (strncmp(line, "0::", 3) == 0) {
            line[strcspn(line, "\n")] = '\0';
            const char *mount = access("/sys/fs/cgroup/unified", F_OK) == 0
                                    ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
            snprintf(dir, size, "%s%s", mount, line + 3);
            found = true;
        }
    if (f)
        fclose(f);
    return found;
}

/* Cgroups inside cordon's cgroups of this process's (cordon-PID-N). */
static int cgroups_left_inside(const char *parent)
{
    char prefix[32], inner[8192];
    snprintf(prefix, sizeof prefix, "cordon-%d-", (int)getpid());
    int left = 0;
    DIR *dir = opendir(parent);
    for (struct dirent *e; dir && (e = readdir(dir));) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        snprintf(inner, sizeof inner, "%s/%s", parent, e->d_name);
        DIR *own = opendir(inner);
        for (struct dirent *i; own && (i = readdir(own));)
            left += i->d_type == DT_DIR && strcmp(i->d_name, ".") && strcmp(i->d_name, "..");
        if (own)
            closedir(own);
    }
    if (dir)
        closedir(dir);
    return left;
}

static void test_a_task_s_own_cgroups_are_bounded_and_removed(void **state)
{
    (void)state;
    char parent[4096];
    if (geteuid() != 0 || !own_v2_cgroup(parent, sizeof parent)) {
        print_message("skipped: needs a root caller with a v2 cgroup\n");
        skip();
    }
    /* First a nobody task, whom the bounds' files belong to, raises them
     * in the cgroup the pool then hands to the root task below. */
    cordon_task *t = cordon_function_task(makes_cgroups_inside_its_own, NULL);
    cordon_set_policy(t, NULL);
    assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 60000), 0);
    run_task(t, 0);
    cordon_task_free(t);
    t = cordon_function_task(makes_cgroups_inside_its_own, NULL);
    cordon_set_policy(t, NULL);
    assert_int_equal(cordon_set_user(t, 0, 0), 0);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 60000), 0); /* a v2 cgroup */
    assert_int_equal(cordon_set_timeout_ms(t, 30000), 0);
    const cordon_result *r = run_task(t, 0);
    int reached = r->exit_code;
    bool held = r->confinement_details && r->confinement_details->cgroup_version == 2;
    cordon_task_free(t);
    if (!held) {
        print_message("skipped: no v2 cgroup for the task\n");
        skip();
    }
    if (reached != 999999)
        fail_msg("the task made a cgroup namespace and %d cgroups, %d deep", reached % 1000,
                 reached / 1000);
    assert_int_equal(cgroups_left_inside(parent), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_whole_tree_dies_with_a_killed_caller),
        cmocka_unit_test(test_a_task_holding_its_output_pipe_is_still_cancelled),
        cmocka_unit_test(test_a_task_holding_its_output_pipe_meets_its_deadline_without_namespaces),
        cmocka_unit_test(test_a_task_holding_its_output_pipe_dies_with_a_killed_caller),
        cmocka_unit_test(test_a_task_cannot_set_its_inits_limits),
        cmocka_unit_test(test_a_command_cannot_read_the_callers_command_line),
        cmocka_unit_test(test_the_whole_tree_dies_with_a_terminated_caller),
        cmocka_unit_test(test_the_tree_dies_with_a_runner_that_is_killed),
        cmocka_unit_test(test_without_namespaces_a_task_of_another_user_dies_with_its_caller),
        cmocka_unit_test(test_clone_parent_never_hands_a_process_to_the_caller),
        cmocka_unit_test(test_without_namespaces_no_task_makes_the_caller_its_tracer),
        cmocka_unit_test(test_a_first_process_traced_by_its_child_ends_when_it_exits),
        cmocka_unit_test(test_without_namespaces_no_process_of_the_task_becomes_the_caller_s),
        cmocka_unit_test(test_without_namespaces_clone_parent_is_refused_whatever_else_it_asks),
        cmocka_unit_test(test_a_subreaper_caller_is_left_no_orphan_of_the_task),
        cmocka_unit_test(test_a_task_cannot_see_or_tune_the_caller),
        cmocka_unit_test(test_without_namespaces_a_task_cannot_tune_the_caller_or_the_machine),
        cmocka_unit_test(test_without_namespaces_no_mount_of_proc_is_writable),
        cmocka_unit_test(test_in_namespaces_no_second_proc_shows_through),
        cmocka_unit_test(test_in_namespaces_kernel_mounts_stacked_at_one_point_are_covered),
        cmocka_unit_test(test_without_namespaces_files_made_beside_a_kernel_mount_are_read),
        cmocka_unit_test(test_a_second_proc_moved_by_a_rename_is_still_out_of_reach),
        cmocka_unit_test(test_a_cordon_inside_a_cordon_covers_a_second_proc),
        cmocka_unit_test(test_in_namespaces_no_second_dev_shows_through),
        cmocka_unit_test(test_a_task_takes_no_real_time_priority),
        cmocka_unit_test(test_a_task_does_not_inherit_a_real_time_policy),
        cmocka_unit_test(test_a_task_does_not_inherit_a_real_time_io_class),
        cmocka_unit_test(test_a_task_cannot_tune_a_sibling_task),
        cmocka_unit_test(test_a_root_task_cannot_write_kernel_settings),
        cmocka_unit_test(test_a_function_task_never_runs_before_its_own_proc),
        cmocka_unit_test(test_a_task_s_own_cgroups_are_bounded_and_removed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
