/* Isolation: a confined task cannot signal, trace or read the memory of
 * what it did not start — its parent above all — even as the same user. */
#include <fcntl.h>
#include <sched.h>
#include <linux/keyctl.h>
#include <sys/inotify.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "support.h"

/* Signal scoping needs Landlock ABI 6 (Linux 6.12). */
static void require_landlock_scopes(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1u);
    if (abi < 6) {
        fprintf(stderr, "Landlock ABI %ld on this kernel: signal scoping needs 6\n", abi);
        skip();
    }
}

static volatile sig_atomic_t usr1_received, cont_received;

static void count_signal(int signo)
{
    if (signo == SIGUSR1)
        usr1_received++;
    else
        cont_received++;
}

static void test_isolation_task_cannot_signal_its_parent(void **state)
{
    (void)state;
    require_landlock_scopes();
    struct sigaction counting = { .sa_handler = count_signal }, old_usr1, old_cont;
    sigaction(SIGUSR1, &counting, &old_usr1);
    sigaction(SIGCONT, &counting, &old_cont);
    usr1_received = cont_received = 0;
    /* kill -1 reaches every process the sender may signal: SIGCONT, so
     * that a machine without this protection comes to no harm. */
    cordon_task *t = shell("kill -USR1 $PPID; echo \"kill said $?\"; kill -CONT -1");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "kill said 1\n");
    assert_non_null(strstr(r->std_err.data, "Operation not permitted"));
    assert_int_equal(usr1_received, 0);
    assert_int_equal(cont_received, 0);
    cordon_task_free(t);
    sigaction(SIGUSR1, &old_usr1, NULL);
    sigaction(SIGCONT, &old_cont, NULL);
}

static void test_isolation_task_cannot_open_parent_memory(void **state)
{
    (void)state;
    cordon_task *t = shell("head -c0 /proc/$PPID/mem && echo opened || echo refused");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "refused\n");
    cordon_task_free(t);
}

static void test_isolation_task_can_signal_what_it_started(void **state)
{
    (void)state;
    cordon_task *t = shell("sleep 5 & kill -TERM $!; wait $!; echo \"child ended $?\"");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "child ended 143\n");
    cordon_task_free(t);
}

static int signals_parent(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return kill(getppid(), SIGUSR1) == 0 ? 0 : errno;
}

static void test_isolation_function_cannot_signal_its_parent(void **state)
{
    (void)state;
    require_landlock_scopes();
    struct sigaction counting = { .sa_handler = count_signal }, previous;
    sigaction(SIGUSR1, &counting, &previous);
    usr1_received = 0;
    cordon_task *t = cordon_function_task(signals_parent, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, EPERM);
    assert_int_equal(usr1_received, 0);
    cordon_task_free(t);
    sigaction(SIGUSR1, &previous, NULL);
}

/* ---- keyrings ------------------------------------------------------------ */

static long add_user_key(const char *description, const char *payload, int keyring)
{
    return syscall(SYS_add_key, "user", description, payload, strlen(payload), keyring);
}

/* What a task that may make keyring calls finds of the caller's session
 * keyring: 1 it found the caller's key, 2 it read its payload, 4 it added a
 * key of its own to its session keyring. */
static int reaches_the_session_keyring(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int found = 0;
    long key = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user",
                       "cordon-test-caller-secret", 0);
    char payload[64];
    if (key > 0) {
        found |= 1;
        long n = syscall(SYS_keyctl, KEYCTL_READ, key, payload, sizeof payload);
        if (n == 7 && memcmp(payload, "hunter2", 7) == 0)
            found |= 2;
    }
    if (add_user_key("cordon-test-planted", "from the task", KEY_SPEC_SESSION_KEYRING) > 0)
        found |= 4;
    return found;
}

/* Keyrings are no namespace: a task kept the caller's session keyring, read
 * the keys the caller keeps there and left its own in it (for the caller,
 * and for every sibling, to find). */
static void test_isolation_task_cannot_reach_the_callers_session_keyring(void **state)
{
    (void)state;
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "cordon-test-session") < 0) {
        fprintf(stderr, "no keyrings on this machine: %s\n", strerror(errno));
        skip();
    }
    assert_true(add_user_key("cordon-test-caller-secret", "hunter2", KEY_SPEC_SESSION_KEYRING) > 0);
    cordon_task *t = cordon_function_task(reaches_the_session_keyring, NULL);
    cordon_set_policy(t, NULL);
    const cordon_result *r = run_task(t, 0);
    /* Nothing of the caller's.  No keyring call of the task's goes
     * through, with no policy either (sandbox/shared_objects_guard.c): the
     * session keyring of its own (sandbox/keyrings.c) is a second line. */
    assert_int_equal(r->exit_code, 0);
    assert_true(syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user",
                        "cordon-test-planted", 0) < 0);
    assert_int_equal(errno, ENOKEY);
    cordon_task_free(t);
}

/* What a task that may make keyring calls does with its user's keyring,
 * named by its special id and by the caller's serial of it (`arg`, which
 * any process of the user reads in /proc/keys): 1 it possessed it (linked
 * into its own session keyring), 2 it read the caller's key there, 4 it
 * planted a key of its own in it, 8 it emptied the caller's. */
static int reaches_the_user_keyring(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int found = 0;
    const long names[] = { KEY_SPEC_USER_KEYRING, *(const long *)arg };
    for (int i = 0; i < 2; i++) {
        if (syscall(SYS_keyctl, KEYCTL_LINK, names[i], KEY_SPEC_SESSION_KEYRING) == 0)
            found |= 1;
        long key = syscall(SYS_keyctl, KEYCTL_SEARCH, names[i], "user",
                           "cordon-test-user-secret", 0);
        char payload[64];
        if (key > 0 && syscall(SYS_keyctl, KEYCTL_READ, key, payload, sizeof payload) == 7 &&
            memcmp(payload, "hunter3", 7) == 0)
            found |= 2;
        if (add_user_key("cordon-test-user-planted", "from the task", (int)names[i]) > 0)
            found |= 4;
    }
    if (syscall(SYS_keyctl, KEYCTL_CLEAR, names[1]) == 0) /* 8: it emptied the caller's */
        found |= 8;
    return found;
}

/* The user keyring is kept per user id and user namespace, and every
 * process of the user possesses it: a task of the caller's user without a
 * user namespace of its own (a root caller's) read the caller's key and
 * planted its own there, for the caller and its siblings, under a policy
 * that allows keyring calls.  With a user namespace the keyring it finds
 * is its own. */
static void test_isolation_task_cannot_reach_the_callers_user_keyring(void **state)
{
    (void)state;
    long secret = add_user_key("cordon-test-user-secret", "hunter3", KEY_SPEC_USER_KEYRING);
    if (secret < 0) {
        fprintf(stderr, "no user keyring on this machine: %s\n", strerror(errno));
        skip();
    }
    long serial = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0);
    assert_true(serial > 0);
    cordon_error err;
    cordon_policy *allows = cordon_policy_parse("default allow\n", "keyrings", &err);
    assert_non_null(allows);
    /* With no policy too: its keyring calls went through, and a task in
     * a user namespace of its own emptied its caller's keyring by the
     * serial. */
    for (int no_policy = 0; no_policy < 2; no_policy++) {
        cordon_task *t = cordon_function_task(reaches_the_user_keyring, &serial);
        assert_int_equal(cordon_set_policy(t, no_policy ? NULL : allows), 0);
        const cordon_result *r = run_task(t, 0);
        int reached = r->exit_code;
        long planted = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user",
                               "cordon-test-user-planted", 0);
        if (planted > 0)
            syscall(SYS_keyctl, KEYCTL_UNLINK, planted, KEY_SPEC_USER_KEYRING);
        long still = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user",
                             "cordon-test-user-secret", 0);
        cordon_task_free(t);
        if ((reached & (2 | 8)) || planted > 0 || still != secret)
            fail_msg("%s: reached %#x, planted %ld, the caller's key %ld of %ld",
                     no_policy ? "no policy" : "default allow", reached, planted, still, secret);
    }
    syscall(SYS_keyctl, KEYCTL_UNLINK, secret, KEY_SPEC_USER_KEYRING);
    cordon_policy_free(allows);
}

/* In the task: a segment of its own, then the caller's (`arg`, its id,
 * which /proc/sysvipc/shm lists), and a message queue: one errno byte for
 * each, 0 where it was made or attached. */
static int reaches_system_v_ipc(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    unsigned char errors[3] = { 0 };
    int own = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    errors[0] = own < 0 ? (unsigned char)errno : 0;
    void *callers = shmat(*(const int *)arg, NULL, 0);
    errors[1] = callers == (void *)-1 ? (unsigned char)errno : 0;
    if (callers != (void *)-1)
        memcpy(callers, "task", 5);
    int queue = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    errors[2] = queue < 0 ? (unsigned char)errno : 0;
    return errors[0] | errors[1] << 8 | errors[2] << 16;
}

/* In a copy without namespaces: each of a policy's and no policy's task's
 * reach, as reaches_system_v_ipc returns it, "default none". */
static void system_v_without_namespaces(int out, const int *segment)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    int reach[2];
    for (int no_policy = 0; no_policy < 2; no_policy++) {
        cordon_task *t = cordon_function_task(reaches_system_v_ipc, (void *)segment);
        if (no_policy)
            cordon_set_policy(t, NULL);
        cordon_run(t);
        reach[no_policy] = cordon_task_result(t)->exit_code;
        cordon_task_free(t);
    }
    dprintf(out, "%d %d", reach[0], reach[1]);
}

/* System V segments, queues and semaphores are the IPC namespace's: a task
 * without one left 350 MiB of segments behind, past its --mem and its end,
 * and could attach the caller's own by their ids.  There, every System V
 * call fails with EPERM, under a policy and under none. */
static void test_isolation_no_system_v_ipc_without_an_ipc_namespace(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy of itself with its own status");
    int segment = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    assert_true(segment >= 0);
    char *mine = shmat(segment, NULL, 0);
    assert_true(mine != (void *)-1);
    memcpy(mine, "caller", 7);
    int pipe_fds[2];
    assert_int_equal(pipe2(pipe_fds, O_CLOEXEC), 0);
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        close(pipe_fds[0]);
        system_v_without_namespaces(pipe_fds[1], &segment);
        _exit(0);
    }
    close(pipe_fds[1]);
    char line[64] = "";
    ssize_t got = read(pipe_fds[0], line, sizeof line - 1);
    close(pipe_fds[0]);
    waitpid(copy, NULL, 0);
    bool intact = strcmp(mine, "caller") == 0;
    shmdt(mine);
    shmctl(segment, IPC_RMID, NULL);
    int policy = -1, none = -1;
    assert_true(got > 0 && sscanf(line, "%d %d", &policy, &none) == 2);
    const int refused = EPERM | EPERM << 8 | EPERM << 16;
    if (policy != refused || none != refused || !intact)
        fail_msg("without namespaces: default %#x, none %#x (refused is %#x); the caller's "
                 "segment %s", policy, none, refused, intact ? "intact" : "written");
}

/* io_setup for all the machine's AIO events (fs.aio-max-nr): 0 when it
 * got a context, else the errno. */
static int takes_every_aio_context(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    unsigned long aio = 0;
    FILE *f = fopen("/proc/sys/fs/aio-max-nr", "r");
    unsigned long most = 65536;
    if (f) {
        if (fscanf(f, "%lu", &most) != 1)
            most = 65536;
        fclose(f);
    }
    return syscall(SYS_io_setup, (unsigned)most, &aio) == 0 ? 0 : errno;
}

/* The machine's AIO contexts are one count for every process of it
 * (fs.aio-max-nr): a task's one io_setup took them all, and no process of
 * the machine could make one (EAGAIN) while it ran.  A task's io_setup
 * fails as on a kernel without AIO, under the default policy and under
 * one that allows everything. */
static void test_isolation_a_task_leaves_the_machine_its_aio_contexts(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2)");
    cordon_error err;
    cordon_policy *allows = cordon_policy_parse("default allow\n", "aio", &err);
    assert_non_null(allows);
    for (int i = 0; i < 2; i++) {
        cordon_task *t = cordon_function_task(takes_every_aio_context, NULL);
        if (i == 1)
            assert_int_equal(cordon_set_policy(t, allows), 0);
        const cordon_result *r = run_task(t, 0);
        assert_null(r->exception);
        assert_int_equal(r->exit_code, ENOSYS);
        cordon_task_free(t);
    }
    cordon_policy_free(allows);
    unsigned long own = 0;
    assert_int_equal(syscall(SYS_io_setup, 1, &own), 0);
    syscall(SYS_io_destroy, own);
}

/* In a copy (the limit is the process's): the first task with no process
 * to spare, then one with the limit back.  "rc_first rc_next held_next". */
static void first_task_short_of_processes(int out)
{
    struct rlimit saved, none;
    if (getrlimit(RLIMIT_NPROC, &saved) != 0)
        _exit(2);
    none = saved;
    none.rlim_cur = 1;
    if (setrlimit(RLIMIT_NPROC, &none) != 0)
        _exit(2);
    cordon_task *t = cordon_shell_task("true");
    int first = cordon_run(t);
    cordon_task_free(t);
    setrlimit(RLIMIT_NPROC, &saved);
    t = cordon_shell_task("true");
    int next = cordon_run(t);
    dprintf(out, "%d %d %u", first, next, cordon_task_result(t)->confinement);
    cordon_task_free(t);
    _exit(0);
}

/* cordon asks the machine for namespaces once per process, at its first
 * task.  A first task started while the caller's user had no process to
 * spare (a sibling task of that user holding them all) found none, and
 * "no namespaces" was kept: every later task ran without a pid, mount,
 * IPC or network namespace (one listed the machine's 96 processes) and
 * every preset failed.  The task that finds the shortage fails with it;
 * the next one asks again. */
static void test_isolation_a_shortage_at_the_first_task_costs_no_later_task_its_namespaces(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open: no task gets namespaces under it");
    if (geteuid() == 0) {
        print_message("skipped: the kernel holds no root process to RLIMIT_NPROC\n");
        skip();
    }
    skip_unless_tasks_get(CORDON_CONFINED_PID_NAMESPACE, "skipped: no pid namespace here");
    char text[64];
    int status = run_in_a_copy(first_task_short_of_processes, text, sizeof text,
                               "the tasks short of processes hung");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int first, next;
    unsigned held;
    if (sscanf(text, "%d %d %u", &first, &next, &held) != 3)
        fail_msg("the copy said: %s", text);
    assert_int_equal(first, -EAGAIN);
    assert_int_equal(next, 0);
    assert_true(held & CORDON_CONFINED_PID_NAMESPACE);
}

static int may_signal(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    return kill((pid_t)(intptr_t)arg, 0) == 0;
}

/* In a copy without namespaces (Landlock is then what keeps a task with no
 * filter from signalling its caller): the first task with no fd to spare,
 * then one with the limit back.  "rc_first rc_next may_signal held". */
static void first_task_short_of_fds(int out)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    struct rlimit saved, none;
    if (getrlimit(RLIMIT_NOFILE, &saved) != 0)
        _exit(2);
    none = saved;
    none.rlim_cur = 3;
    cordon_task *t = cordon_shell_task("true");
    cordon_set_policy(t, NULL);
    if (setrlimit(RLIMIT_NOFILE, &none) != 0)
        _exit(2);
    int first = cordon_run(t);
    setrlimit(RLIMIT_NOFILE, &saved);
    cordon_task_free(t);
    t = cordon_function_task(may_signal, (void *)(intptr_t)getpid());
    cordon_set_policy(t, NULL);
    int next = cordon_run(t);
    dprintf(out, "%d %d %d %u", first, next, cordon_task_result(t)->exit_code,
            cordon_task_result(t)->confinement);
    cordon_task_free(t);
    _exit(0);
}

/* The Landlock ruleset is made once per process, at its first task.  One
 * the kernel could not make for want of an fd was kept as "no Landlock":
 * every later task ran without its domain, and without namespaces a task
 * with no filter could signal its caller.  The task that finds the
 * shortage fails with it; the next one makes the ruleset. */
static void test_isolation_a_shortage_at_the_first_task_costs_no_later_task_its_landlock_domain(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know Landlock's system calls");
    if (syscall(SYS_landlock_create_ruleset, NULL, 0, 1u) < 6) {
        print_message("skipped: no Landlock signal scoping here (ABI 6)\n");
        skip();
    }
    char text[64];
    int status = run_in_a_copy(first_task_short_of_fds, text, sizeof text,
                               "the tasks short of fds hung");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int first, next, signalled;
    unsigned held;
    if (sscanf(text, "%d %d %d %u", &first, &next, &signalled, &held) != 4)
        fail_msg("the copy said: %s", text);
    assert_true(first < 0);
    assert_int_equal(next, 0);
    assert_true(held & CORDON_CONFINED_LANDLOCK);
    assert_int_equal(signalled, 0);
}

/* A task's side of a rendezvous by file: `ready` made, then held until
 * the caller removes it.  False where it could not be made. */
static bool say_ready_and_hold(const char *ready)
{
    int fd = open(ready, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        return false;
    close(fd);
    for (int waited = 0; waited < 20000 && access(ready, F_OK) == 0; waited += 5)
        usleep(5000);
    return true;
}

/* The caller's side: waits until `ready` is there (20 s at most). */
static void wait_until_ready(const char *ready)
{
    for (int waited = 0; waited < 20000 && access(ready, F_OK) != 0; waited += 5)
        usleep(5000);
}

/* A name in /tmp for the rendezvous, no file there yet. */
static void name_a_rendezvous(char *path)
{
    int made = mkstemp(path);
    assert_true(made >= 0);
    close(made);
    unlink(path);
}

static void skip_without_a_user_namespace(void)
{
    skip_unless_tasks_get(CORDON_CONFINED_USER_NAMESPACE,
                          "skipped: the task has no user namespace (a root caller, or none here)");
}

/* Makes inotify instances until refused, says so with `ready`, and holds
 * them until that file is gone. */
static int take_every_inotify_instance(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const char *ready = arg;
    int made = 0;
    while (made < 100000 && inotify_init1(IN_CLOEXEC) >= 0)
        made++;
    if (!say_ready_and_hold(ready))
        return 1;
    return made > 0 ? 0 : 2;
}

/* inotify instances (and watches, fanotify groups and marks) are counted
 * per user, with no rlimit or cgroup: a task that took them all left the
 * caller, of the same user, without one (EMFILE) for as long as it ran.
 * In a user namespace of its own the task gets a quarter of them. */
static void test_isolation_a_task_leaves_the_caller_inotify_instances(void **state)
{
    (void)state;
    skip_without_a_user_namespace();
    char ready[] = "/tmp/cordon-inotify-XXXXXX";
    name_a_rendezvous(ready);
    cordon_task *t = cordon_function_task(take_every_inotify_instance, ready);
    assert_int_equal(cordon_run_async(t), 0);
    wait_until_ready(ready);
    int mine = inotify_init1(IN_CLOEXEC);
    int why = errno;
    unlink(ready);
    assert_int_equal(cordon_join(t), 0);
    if (mine < 0)
        print_message("the caller's inotify_init1: %s\n", strerror(why));
    assert_true(mine >= 0);
    close(mine);
    assert_int_equal(cordon_task_result(t)->exit_code, 0);
    cordon_task_free(t);
}

/* Four tasks started at once each got a quarter of the caller's limit
 * (32 of 128 here) and together left it none: the caller's own
 * inotify_init1 failed (EMFILE) while they held theirs.  Each now gets a
 * quarter of what the process's live tasks were not given. */
static void test_isolation_tasks_started_at_once_leave_the_caller_inotify_instances(void **state)
{
    (void)state;
    skip_without_a_user_namespace();
    char ready[4][40];
    cordon_task *tasks[4];
    for (int i = 0; i < 4; i++) {
        snprintf(ready[i], sizeof ready[i], "/tmp/cordon-inotify-%d-XXXXXX", i);
        name_a_rendezvous(ready[i]);
        tasks[i] = cordon_function_task(take_every_inotify_instance, ready[i]);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(cordon_run_async(tasks[i]), 0);
    for (int i = 0; i < 4; i++)
        wait_until_ready(ready[i]);
    int mine = inotify_init1(IN_CLOEXEC);
    int why = errno;
    for (int i = 0; i < 4; i++)
        unlink(ready[i]);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cordon_join(tasks[i]), 0);
        assert_int_equal(cordon_task_result(tasks[i])->exit_code, 0);
        cordon_task_free(tasks[i]);
    }
    if (mine < 0)
        print_message("the caller's inotify_init1: %s\n", strerror(why));
    assert_true(mine >= 0);
    close(mine);
}

/* A task that runs a task of its own, which takes every inotify
 * instance it can, then makes one itself: 0 when it could. */
static int nested_inotify_caller(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const char *ready = arg;
    cordon_task *inner = cordon_function_task(take_every_inotify_instance, (void *)ready);
    cordon_set_policy(inner, NULL);
    if (!inner || cordon_run_async(inner) != 0)
        return 2;
    wait_until_ready(ready);
    int mine = inotify_init1(IN_CLOEXEC);
    unlink(ready);
    cordon_join(inner);
    cordon_task_free(inner);
    return mine >= 0 ? 0 : 3;
}

/* One level down the same: a task of a task gets a quarter of its caller's
 * namespace's limit, not of the machine's (it got the whole of it, 32 of
 * 32, and its caller none). */
static void test_isolation_a_nested_task_leaves_its_caller_inotify_instances(void **state)
{
    (void)state;
    skip_without_a_user_namespace();
    char ready[] = "/tmp/cordon-inotify-nested-XXXXXX";
    name_a_rendezvous(ready);
    cordon_task *t = cordon_function_task(nested_inotify_caller, ready);
    cordon_set_policy(t, NULL); /* its own tasks need namespaces */
    cordon_run(t);
    unlink(ready);
    const cordon_result *r = cordon_task_result(t);
    if (r->exit_code != 0 || r->exception)
        print_message("exit %d, exception %s: %s\n", r->exit_code, r->exception, r->exc_out.data);
    assert_null(r->exception);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
}

/* Queues SIGRTMIN to itself (blocked) until refused, says so with
 * `ready`, and holds what it queued until that file is gone. */
static int queue_every_signal(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const char *ready = arg;
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &rt, NULL);
    long queued = 0;
    union sigval value = { .sival_int = 0 };
    while (queued < 10000000 && sigqueue(getpid(), SIGRTMIN, value) == 0)
        queued++;
    if (!say_ready_and_hold(ready))
        return 1;
    return queued > 0 ? 0 : 2;
}

/* Queued signals are counted per user, against the limit of the process
 * they are queued to (here the task itself): a task at its caller's
 * RLIMIT_SIGPENDING queued until the
 * caller, of the same user, could queue none (EAGAIN) for as long as it
 * ran.  The task gets a quarter of the caller's limit. */
static void test_isolation_a_task_leaves_the_caller_queued_signals(void **state)
{
    (void)state;
    struct rlimit pending;
    assert_int_equal(getrlimit(RLIMIT_SIGPENDING, &pending), 0);
    if (pending.rlim_cur == RLIM_INFINITY || pending.rlim_cur > 1000000) {
        print_message("skipped: RLIMIT_SIGPENDING is too large to fill here\n");
        skip();
    }
    char ready[] = "/tmp/cordon-sigpending-XXXXXX";
    name_a_rendezvous(ready);
    cordon_task *t = cordon_function_task(queue_every_signal, ready);
    cordon_set_policy(t, NULL);
    assert_int_equal(cordon_run_async(t), 0);
    wait_until_ready(ready);
    sigset_t rt, previous;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &rt, &previous);
    union sigval value = { .sival_int = 0 };
    int queued = sigqueue(getpid(), SIGRTMIN + 1, value);
    int why = errno;
    unlink(ready);
    assert_int_equal(cordon_join(t), 0);
    if (queued == 0) {
        struct timespec none = { 0, 0 };
        assert_int_equal(sigtimedwait(&rt, NULL, &none), SIGRTMIN + 1);
    }
    sigprocmask(SIG_SETMASK, &previous, NULL);
    if (queued != 0)
        print_message("the caller's sigqueue: %s\n", strerror(why));
    assert_int_equal(queued, 0);
    assert_int_equal(cordon_task_result(t)->exit_code, 0);
    cordon_task_free(t);
}

/* In a copy: a user namespace of its own whose root it is, with the ids
 * it had.  False where the machine refuses one. */
static bool own_user_namespace(void)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER) != 0)
        return false;
    char line[64];
    int fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, "deny", 4) != 4)
            return false;
        close(fd);
    }
    const char *maps[2] = { "/proc/self/uid_map", "/proc/self/gid_map" };
    unsigned ids[2] = { uid, gid };
    for (int i = 0; i < 2; i++) {
        int len = snprintf(line, sizeof line, "%u %u 1\n", ids[i], ids[i]);
        fd = open(maps[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, line, (size_t)len) != len)
            return false;
        close(fd);
    }
    return true;
}

/* How many user namespaces the copy's user may make in its namespace. */
static bool allow_user_namespaces(long count)
{
    FILE *f = fopen("/proc/sys/user/max_user_namespaces", "we");
    if (!f)
        return false;
    bool written = fprintf(f, "%ld\n", count) > 0;
    return fclose(f) == 0 && written;
}

/* Makes user namespaces until refused, each process of its a chain of them
 * as deep as the kernel lets it, says so with `ready`, and holds them
 * until that file is gone (its processes die with its pid namespace). */
static int take_every_user_namespace(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const char *ready = arg;
    int made = 0;
    for (int holders = 0; holders < 64; holders++) {
        int said[2];
        if (pipe2(said, O_CLOEXEC) != 0)
            break;
        pid_t pid = fork();
        if (pid == 0) {
            int chain = 0;
            while (chain < 64 && unshare(CLONE_NEWUSER) == 0)
                chain++;
            if (write(said[1], &chain, sizeof chain) != sizeof chain)
                _exit(1);
            for (;;)
                pause();
        }
        close(said[1]);
        int chain = 0;
        if (pid < 0 || read(said[0], &chain, sizeof chain) != sizeof chain)
            chain = 0;
        close(said[0]);
        made += chain;
        if (chain == 0)
            break;
    }
    if (!say_ready_and_hold(ready))
        return 1;
    return made > 0 ? 0 : 2;
}

/* The taker's policy: none, or one that lets unshare(CLONE_NEWUSER)
 * through (a task under a policy that lets it make no namespace is not
 * given the namespace limits: it cannot use them). */
static const char *taker_policy;

/* In a copy whose user may make 40 user namespaces: a task that takes all
 * it can, then another task.  "rc_next exit_next exit_taker why_next". */
static void a_task_takes_every_user_namespace(int out)
{
    if (!own_user_namespace() || !allow_user_namespaces(40))
        _exit(3);
    char ready[] = "/tmp/cordon-userns-XXXXXX";
    int made = mkstemp(ready);
    if (made < 0)
        _exit(4);
    close(made);
    unlink(ready);
    cordon_task *t = cordon_function_task(take_every_user_namespace, ready);
    cordon_error err;
    cordon_policy *policy = taker_policy ? cordon_policy_parse(taker_policy, "taker", &err) : NULL;
    if (taker_policy && !policy)
        _exit(6);
    cordon_set_policy(t, policy);
    if (cordon_run_async(t) != 0)
        _exit(5);
    wait_until_ready(ready);
    cordon_task *next = cordon_shell_task("true");
    int rc = cordon_run(next);
    unlink(ready);
    cordon_join(t);
    const cordon_result *r = cordon_task_result(next);
    dprintf(out, "%d %d %d %s", rc, r->exit_code, cordon_task_result(t)->exit_code,
            r->exception ? r->exc_out.data : "-");
    cordon_task_free(next);
    cordon_task_free(t);
    cordon_policy_free(policy);
    _exit(0);
}

/* The copy below, judged: the taker ended well, the next task ran. */
static void takes_every_user_namespace_and_leaves_some(void)
{
    char text[512];
    int status = run_in_a_copy(a_task_takes_every_user_namespace, text, sizeof text,
                               "the tasks taking user namespaces hung");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
        print_message("skipped: no user namespace of the test's own here\n");
        skip();
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int rc, exit_code, taker;
    if (sscanf(text, "%d %d %d", &rc, &exit_code, &taker) != 3)
        fail_msg("the copy said: %s", text);
    if (rc != 0)
        print_message("the next task: %s\n", text);
    assert_int_equal(rc, 0);
    assert_int_equal(exit_code, 0);
    assert_int_equal(taker, 0);
}

/* User namespaces (and the others) are counted per user, in the caller's
 * namespace and every one above it, with no rlimit or cgroup: a task with
 * no filter made them (nested ones, which are its to make) until the
 * caller's user had none left, and the caller's next task failed to enter
 * its namespaces (ENOSPC) for as long as it ran.  The task's namespace
 * gets a quarter of the caller's, under no filter and under one that lets
 * it make namespaces. */
static void test_isolation_a_task_leaves_the_caller_user_namespaces(void **state)
{
    (void)state;
    skip_without_a_user_namespace();
    static const char *const policies[] = {
        NULL, "default allow\nkill unshare if arg0 & CLONE_NEWNET == CLONE_NEWNET\n",
    };
    for (size_t i = 0; i < sizeof policies / sizeof *policies; i++) {
        taker_policy = policies[i];
        takes_every_user_namespace_and_leaves_some();
    }
}

/* In a copy whose user may make no user namespace: the first task, then,
 * with 40 allowed, the next.  "rc_first rc_next held_next". */
static void first_task_short_of_user_namespaces(int out)
{
    if (!own_user_namespace() || !allow_user_namespaces(0))
        _exit(3);
    cordon_task *t = cordon_shell_task("true");
    int first = cordon_run(t);
    cordon_task_free(t);
    if (!allow_user_namespaces(40))
        _exit(4);
    t = cordon_shell_task("true");
    int next = cordon_run(t);
    dprintf(out, "%d %d %u", first, next, cordon_task_result(t)->confinement);
    cordon_task_free(t);
    _exit(0);
}

/* A first task started while the caller's user had no namespace left to
 * make (other tasks of that user holding them all: ENOSPC) was taken for
 * a machine that refuses namespaces, and "no namespaces" kept: every
 * later task ran with no pid, mount or IPC namespace.  The task that
 * finds the shortage fails with it; the next one asks again. */
static void test_isolation_no_namespace_left_at_the_first_task_costs_no_later_task_its_namespaces(void **state)
{
    (void)state;
    skip_without_a_user_namespace();
    char text[64];
    int status = run_in_a_copy(first_task_short_of_user_namespaces, text, sizeof text,
                               "the tasks short of user namespaces hung");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
        print_message("skipped: no user namespace of the test's own here\n");
        skip();
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int first, next;
    unsigned held;
    if (sscanf(text, "%d %d %u", &first, &next, &held) != 3)
        fail_msg("the copy said: %s", text);
    assert_int_equal(first, -ENOSPC);
    assert_int_equal(next, 0);
    assert_true(held & CORDON_CONFINED_PID_NAMESPACE);
}

/* Locks System V shared memory until refused, says so with `ready`, and
 * holds it until that file is gone.  Each segment is attached and marked
 * removed, so that it dies with the task even where the task has no IPC
 * namespace of its own (under valgrind): left unattached, 32 locked
 * segments outlived such a run in the machine's namespace, and every
 * later task of root's could lock nothing. */
static int lock_every_shared_page(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const char *ready = arg;
    size_t locked = 0;
    for (int i = 0; i < 4096; i++) {
        int id = shmget(IPC_PRIVATE, 64 << 10, IPC_CREAT | 0600);
        if (id < 0)
            break;
        bool held = shmctl(id, SHM_LOCK, NULL) == 0 && shmat(id, NULL, SHM_RDONLY) != (void *)-1;
        shmctl(id, IPC_RMID, NULL);
        if (!held)
            break;
        locked += 64 << 10;
    }
    if (!say_ready_and_hold(ready))
        return 1;
    return locked > 0 ? 0 : 2;
}

/* Memory locked with SHM_LOCK (and hugetlb files, io_uring's buffers) is
 * counted per user, against the locking process's RLIMIT_MEMLOCK: a task
 * at its caller's limit locked until the caller, of the same user, could
 * lock none (ENOMEM) for as long as it ran.  The task gets a quarter of
 * the caller's limit. */
static void test_isolation_a_task_leaves_the_caller_locked_memory(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("the task locks no shared page under valgrind");
    struct rlimit memlock;
    assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &memlock), 0);
    if (memlock.rlim_cur == RLIM_INFINITY || memlock.rlim_cur > (256u << 20)) {
        print_message("skipped: RLIMIT_MEMLOCK is too large to fill here\n");
        skip();
    }
    char ready[] = "/tmp/cordon-memlock-XXXXXX";
    name_a_rendezvous(ready);
    cordon_task *t = cordon_function_task(lock_every_shared_page, ready);
    assert_int_equal(cordon_run_async(t), 0);
    wait_until_ready(ready);
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    assert_true(id >= 0);
    int locked = shmctl(id, SHM_LOCK, NULL);
    int why = errno;
    shmctl(id, IPC_RMID, NULL);
    unlink(ready);
    assert_int_equal(cordon_join(t), 0);
    if (locked != 0)
        print_message("the caller's SHM_LOCK: %s\n", strerror(why));
    assert_int_equal(locked, 0);
    assert_int_equal(cordon_task_result(t)->exit_code, 0);
    cordon_task_free(t);
}

/* Adds keys to its own session keyring until refused, says so with
 * `ready`, and holds them until that file is gone. */
static int take_every_key(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const char *ready = arg;
    int made = 0;
    char name[32];
    for (; made < 100000; made++) {
        snprintf(name, sizeof name, "cordon-test-quota-%d", made);
        if (add_user_key(name, "x", KEY_SPEC_SESSION_KEYRING) < 0)
            break;
    }
    if (!say_ready_and_hold(ready))
        return 1;
    return 0;
}

/* Keys are counted per user id against the kernel's quota (200 keys and
 * 20,000 bytes for any user but root), whatever the user namespace: a
 * task under a policy that allows keyring calls took them all, and for as
 * long as it ran its caller's user could add no key (EDQUOT) and the
 * caller's next task, whose first process must join a session keyring of
 * its own, failed to start.  Keyring calls are refused to every task. */
static void test_isolation_a_task_leaves_the_caller_its_key_quota(void **state)
{
    (void)state;
    if (geteuid() == 0) {
        print_message("skipped: root's key quota is too large to fill here\n");
        skip();
    }
    cordon_error err;
    cordon_policy *allows = cordon_policy_parse("default allow\n", "keyrings", &err);
    assert_non_null(allows);
    char ready[] = "/tmp/cordon-keys-XXXXXX";
    name_a_rendezvous(ready);
    cordon_task *t = cordon_function_task(take_every_key, ready);
    assert_int_equal(cordon_set_policy(t, allows), 0);
    assert_int_equal(cordon_run_async(t), 0);
    wait_until_ready(ready);
    cordon_task *next = cordon_shell_task("true");
    int rc = cordon_run(next);
    const cordon_result *r = cordon_task_result(next);
    if (rc != 0)
        print_message("the next task: %s\n", r->exception ? r->exc_out.data : strerror(-rc));
    long mine = add_user_key("cordon-test-quota-caller", "x", KEY_SPEC_PROCESS_KEYRING);
    int why = errno;
    unlink(ready);
    assert_int_equal(cordon_join(t), 0);
    if (mine < 0)
        print_message("the caller's add_key: %s\n", strerror(why));
    else
        syscall(SYS_keyctl, KEYCTL_UNLINK, mine, KEY_SPEC_PROCESS_KEYRING);
    assert_int_equal(rc, 0);
    assert_true(mine >= 0);
    assert_int_equal(cordon_task_result(t)->exit_code, 0);
    cordon_task_free(next);
    cordon_task_free(t);
    cordon_policy_free(allows);
}

static int return_zero(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

/* One fd sent over a fresh pair and received back: 0, or -errno. */
static int pass_one_fd(void)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) != 0)
        return -errno;
    int rc = send_byte_with_fd(pair[0], pair[0]);
    char byte;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                              .msg_controllen = sizeof control.space };
    if (rc == 0 && recvmsg(pair[1], &message, MSG_CMSG_CLOEXEC) == 1 && CMSG_FIRSTHDR(&message))
        close(*(int *)CMSG_DATA(CMSG_FIRSTHDR(&message)));
    close(pair[0]);
    close(pair[1]);
    return rc;
}

/* What happened beside a task that kept fds in flight. */
typedef struct beside_fds_in_flight {
    long in_flight;
    unsigned long long task_hard_limit;
    int command_rc, function_rc; /* a sibling command's and function's start */
    int passed;                  /* the caller's own passing of one fd */
} beside_fds_in_flight;

/* Runs tests/hostile/fds_in_flight MODE [THREADS] and, while it holds its
 * fds in flight, a command and a function task and the caller's own
 * passing of an fd. */
static beside_fds_in_flight run_beside_fds_in_flight(const char *mode, const char *threads)
{
    const char *dir = getenv("CORDON_HOSTILE_DIR");
    char program[512];
    snprintf(program, sizeof program, "%s/fds_in_flight", dir ? dir : "build/hostile");
    char ready[] = "/tmp/cordon-in-flight-XXXXXX";
    name_a_rendezvous(ready);
    const char *argv[] = { program, mode, threads ? threads : ready, threads ? ready : NULL,
                           NULL };
    cordon_task *t = cordon_command_task(argv);
    cordon_set_timeout_ms(t, 60000);
    /* A root caller's task as nobody: one of root's makes no unix socket
     * (sandbox/policy.h), and so puts no fd in flight. */
    if (geteuid() == 0)
        assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    assert_int_equal(cordon_run_async(t), 0);
    wait_until_ready(ready);
    beside_fds_in_flight seen = { 0 };
    cordon_task *command = cordon_shell_task("true");
    seen.command_rc = cordon_run(command);
    cordon_task *function = cordon_function_task(return_zero, NULL);
    seen.function_rc = cordon_run(function);
    seen.passed = pass_one_fd();
    unlink(ready);
    assert_int_equal(cordon_join(t), 0);
    const cordon_result *r = cordon_task_result(t);
    print_message("the task: %s", r->std_out.data);
    if (seen.command_rc != 0 || seen.function_rc != 0)
        print_message("the siblings: %s / %s\n", cordon_task_result(command)->exc_out.data,
                      cordon_task_result(function)->exc_out.data);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(sscanf(r->std_out.data, "%ld in flight, RLIMIT_NOFILE %llu", &seen.in_flight,
                            &seen.task_hard_limit), 2);
    cordon_task_free(function);
    cordon_task_free(command);
    cordon_task_free(t);
    return seen;
}

/* Fds in flight over unix sockets are counted per user and checked
 * against the sender's soft RLIMIT_NOFILE: a task under the default
 * policy that raised its own to the caller's hard limit and kept 20,240
 * in flight made every sibling's start fail ("installing the seccomp
 * filter: Too many references": the listener went to the parent that
 * way) and the caller's own passing too.  The task's hard limit is half
 * of the caller's soft one, which its plain sends stay below. */
static void test_isolation_a_task_leaves_its_siblings_and_caller_fd_passing(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind refuses any change to the hard open-files limit, which holds "
                        "the fds a task keeps in flight");
    struct rlimit own;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &own), 0);
    if (own.rlim_max > 1100000) {
        print_message("skipped: RLIMIT_NOFILE is too large to fill here\n");
        skip();
    }
    beside_fds_in_flight seen = run_beside_fds_in_flight("plain", NULL);
    assert_int_equal(seen.command_rc, 0);
    assert_int_equal(seen.function_rc, 0);
    assert_int_equal(seen.passed, 0);
    assert_int_equal(seen.task_hard_limit, own.rlim_cur / 2);
}

/* The same from a task whose threads wait with their sends on full
 * receivers: each got past the kernel's check before its wait, and the
 * task kept 25,300 fds in flight under a limit of 10,000 (this machine's
 * hard limit 20,000), every sibling's start failing as before as nobody
 * (the hand-over by SCM_RIGHTS).  The parent now takes the listener out
 * of the task's process with pidfd_getfd.  The caller's own passing is
 * not held (README, "Threat model"). */
static void test_isolation_waiting_senders_leave_its_siblings_their_starts(void **state)
{
    (void)state;
    /* A command without namespaces, started in vfork, still sends its
     * listener: the exposure the README names. */
    skip_unless_tasks_get(CORDON_CONFINED_PID_NAMESPACE,
                          "skipped: without namespaces a command's listener is still sent "
                          "over SCM_RIGHTS (README, \"Threat model\")");
    /* Past what a hand-over by SCM_RIGHTS would hold (the caller's hard
     * limit, which this process lowers for good to keep the task small). */
    struct rlimit own;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &own), 0);
    if (own.rlim_max > 2048) {
        own.rlim_cur = own.rlim_max = 2048;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &own), 0);
    }
    char threads[16];
    snprintf(threads, sizeof threads, "%d", (int)(own.rlim_max / 253) + 20);
    beside_fds_in_flight seen = run_beside_fds_in_flight("waiting", threads);
    assert_true(seen.in_flight > (long)own.rlim_max); /* past any limit of the user's */
    assert_int_equal(seen.command_rc, 0);
    assert_int_equal(seen.function_rc, 0);
}

static int makes_a_forbidden_call(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return (int)syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL); /* killed, named */
}

/* In a child of the test: 0 where a task under the default policy had its
 * violation named by the parent, which needs the listener. */
static int names_a_violation(void)
{
    cordon_task *t = cordon_function_task(makes_a_forbidden_call, NULL);
    cordon_task *c = cordon_shell_task("exec python3 -c 'import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)'");
    int rc = cordon_run(t) == CORDON_EXCEPTION && cordon_run(c) == CORDON_EXCEPTION ? 0 : 1;
    const cordon_result *r = cordon_task_result(t), *q = cordon_task_result(c);
    if (!r->exception || strcmp(r->exception, "PolicyViolation") != 0 || !q->exception ||
        strcmp(q->exception, "PolicyViolation") != 0) {
        fprintf(stderr, "%s / %s\n", r->exc_out.data, q->exc_out.data);
        rc = 1;
    }
    cordon_task_free(c);
    cordon_task_free(t);
    return rc;
}

/* Where the parent may not take the listener out of the task's process
 * (a caller that made itself undumpable, so its tasks are too, as nobody;
 * a ptrace scope that forbids it), the task sends it, and its violations
 * are still named.  As root the parent takes it either way. */
static void test_isolation_an_undumpable_caller_s_tasks_still_hand_their_listener_over(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2): a task's filter has no listener to hand over");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
            _exit(2);
        _exit(names_a_violation());
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* A filter of the caller's own that kills the process at pidfd_getfd, as
 * a service's does under systemd's SystemCallFilter=@system-service
 * (pidfd_getfd is in @debug, which that leaves out). */
static int kill_at_pidfd_getfd(void)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_getfd, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = { .len = sizeof code / sizeof *code, .filter = code };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program);
}

static int run_two_tasks(void)
{
    cordon_task *t = cordon_function_task(return_zero, NULL);
    cordon_task *c = cordon_shell_task("true");
    int rc = cordon_run(t) == 0 && cordon_run(c) == 0 ? 0 : 1;
    if (rc)
        fprintf(stderr, "%s / %s\n", cordon_task_result(t)->exc_out.data,
                cordon_task_result(c)->exc_out.data);
    cordon_task_free(c);
    cordon_task_free(t);
    return rc;
}

/* A caller under a seccomp filter of its own was never asked about
 * pidfd_getfd: the parent took its task's listener with it, and a filter
 * that kills it killed the caller (SIGSYS) at its first task's start. */
static void test_isolation_a_filtered_caller_is_not_killed_taking_a_listener(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (kill_at_pidfd_getfd() != 0)
            _exit(2);
        _exit(run_two_tasks());
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("the caller was killed by signal %d", WTERMSIG(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isolation_task_cannot_signal_its_parent),
        cmocka_unit_test(test_isolation_task_cannot_open_parent_memory),
        cmocka_unit_test(test_isolation_task_can_signal_what_it_started),
        cmocka_unit_test(test_isolation_function_cannot_signal_its_parent),
        cmocka_unit_test(test_isolation_task_cannot_reach_the_callers_session_keyring),
        cmocka_unit_test(test_isolation_task_cannot_reach_the_callers_user_keyring),
        cmocka_unit_test(test_isolation_a_task_leaves_the_machine_its_aio_contexts),
        cmocka_unit_test(test_isolation_no_system_v_ipc_without_an_ipc_namespace),
        cmocka_unit_test(test_isolation_a_task_leaves_the_caller_its_key_quota),
        cmocka_unit_test(test_isolation_a_shortage_at_the_first_task_costs_no_later_task_its_namespaces),
        cmocka_unit_test(test_isolation_a_shortage_at_the_first_task_costs_no_later_task_its_landlock_domain),
        cmocka_unit_test(test_isolation_a_task_leaves_the_caller_inotify_instances),
        cmocka_unit_test(test_isolation_tasks_started_at_once_leave_the_caller_inotify_instances),
        cmocka_unit_test(test_isolation_a_nested_task_leaves_its_caller_inotify_instances),
        cmocka_unit_test(test_isolation_a_task_leaves_the_caller_queued_signals),
        cmocka_unit_test(test_isolation_a_task_leaves_its_siblings_and_caller_fd_passing),
        cmocka_unit_test(test_isolation_waiting_senders_leave_its_siblings_their_starts),
        cmocka_unit_test(test_isolation_an_undumpable_caller_s_tasks_still_hand_their_listener_over),
        cmocka_unit_test(test_isolation_a_filtered_caller_is_not_killed_taking_a_listener),
        cmocka_unit_test(test_isolation_a_task_leaves_the_caller_locked_memory),
        cmocka_unit_test(test_isolation_a_task_leaves_the_caller_user_namespaces),
        cmocka_unit_test(test_isolation_no_namespace_left_at_the_first_task_costs_no_later_task_its_namespaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
