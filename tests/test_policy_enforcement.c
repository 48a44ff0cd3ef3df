/*
 * Each shipped policy stops what it should and lets through what it
 * should, proven with real syscalls in real children; violations are named
 * with their arguments, errno actions are no exceptions.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>

#include <sys/utsname.h>

#include "support.h"
#include "unserved_page.h"
#include "runner_support.h"

static char hostile_path[512];

static int set_up(void **state)
{
    (void)state;
    const char *dir = getenv("CORDON_HOSTILE_DIR");
    snprintf(hostile_path, sizeof hostile_path, "%s/hostile", dir ? dir : "build/hostile");
    return 0;
}

/* valgrind lacks seccomp(2), so under it cordon falls back to prctl and
 * plain kills: violations are caught but not named, and a command's own
 * exec cannot be told apart from a later one. */
static bool violations_are_named(void)
{
    return getenv("CORDON_UNDER_VALGRIND") == NULL;
}

/* Killed by the filter.  Without a listener a bare SIGSYS is a violation
 * only where the task could not have made it itself (a filter or a timer
 * of its own, which most policies allow): under valgrind's listener-less
 * filter it is PolicyViolation or the signal, by the policy. */
static void assert_killed_by_the_filter(const cordon_result *r)
{
    assert_non_null(r->exception);
    if (violations_are_named() || strcmp(r->exception, "SIGSYS") != 0)
        assert_string_equal(r->exception, "PolicyViolation");
}

static void assert_violation(const cordon_result *r, const char *named)
{
    assert_killed_by_the_filter(r);
    assert_int_not_equal(r->signal, 0); /* killed, and read as a shell would */
    assert_int_equal(r->exit_code, 128 + r->signal);
    if (violations_are_named() && !strstr(r->exc_out.data, named))
        fail_msg("'%s' not in exc_out: %s", named, r->exc_out.data);
}

static cordon_policy *policy(const char *name)
{
    cordon_error err;
    cordon_policy *p = cordon_policy_load(name, &err);
    if (!p)
        fail_msg("%s: %s", name, err.message);
    return p;
}

static cordon_policy *inline_policy(const char *text)
{
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(text, "test.policy", &err);
    if (!p)
        fail_msg("%s", err.message);
    return p;
}

/* Runs fn under the policy and returns the result (the task is kept in
 * *task for the caller to free). */
static const cordon_result *run_under(cordon_policy *p, cordon_fn fn, void *arg, int expected_rc,
                                      cordon_task **task)
{
    *task = cordon_function_task(fn, arg);
    cordon_set_policy(*task, p);
    cordon_set_timeout_ms(*task, 10000);
    return run_task(*task, expected_rc);
}

static int make_socket(cordon_ctx *ctx, void *family)
{
    (void)ctx;
    int fd = socket((int)(intptr_t)family, SOCK_STREAM, 0);
    printf("socket %s\n", fd >= 0 ? "made" : strerror(errno));
    return 0;
}

static int make_netlink_socket(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
    printf("socket %s\n", fd >= 0 ? "made" : strerror(errno));
    return 0;
}

/* The violation in plain words: flags and families by name, and the line
 * of the policy that forbade the call. */
static void test_policy_violation_decodes_arguments_and_names_the_rule(void **state)
{
    (void)state;
    cordon_policy *p = inline_policy("include default\nkill socket if arg0 != AF_UNIX\n");
    cordon_task *t;
    const cordon_result *r = run_under(p, make_netlink_socket, NULL, CORDON_EXCEPTION, &t);
    assert_violation(r, "PolicyViolation: the policy 'test.policy' forbids socket(AF_NETLINK, "
                        "SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE): killed by rule test.policy:2\n");
    cordon_task_free(t);
    cordon_policy_free(p);
    /* a call the default kills says so, and where the default was set */
    p = inline_policy("include compute\n");
    r = run_under(p, make_netlink_socket, NULL, CORDON_EXCEPTION, &t);
    assert_violation(r, "forbids socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE): "
                        "killed by the default (");
    assert_violation(r, "compute.policy:");
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* One raw call of a family that takes paths, with the paths a test can
 * look for in the report. */
typedef struct path_call {
    long nr;
    const char *name, *expected;
} path_call;

#define SOME_PATH "/tmp/cordon-test-named-path"
static const path_call path_calls[] = {
    { SYS_lgetxattr, "lgetxattr", "lgetxattr(\"" SOME_PATH "\", \"user.cordon\", " },
    { SYS_getxattr, "getxattr", "getxattr(\"" SOME_PATH "\", \"user.cordon\", " },
    { SYS_llistxattr, "llistxattr", "llistxattr(\"" SOME_PATH "\", " },
    { SYS_lsetxattr, "lsetxattr", "lsetxattr(\"" SOME_PATH "\", \"user.cordon\", " },
    { SYS_removexattr, "removexattr", "removexattr(\"" SOME_PATH "\", \"user.cordon\")" },
    { SYS_statx, "statx", "statx(AT_FDCWD, \"" SOME_PATH "\", AT_SYMLINK_NOFOLLOW, " },
    { SYS_lstat, "lstat", "lstat(\"" SOME_PATH "\", " },
    { SYS_fchownat, "fchownat", "fchownat(AT_FDCWD, \"" SOME_PATH "\", " },
    { SYS_utimensat, "utimensat", "utimensat(AT_FDCWD, \"" SOME_PATH "\", " },
    { SYS_renameat2, "renameat2", "renameat2(AT_FDCWD, \"" SOME_PATH "\", AT_FDCWD, \""
                                  SOME_PATH ".new\", " },
    { SYS_linkat, "linkat", "linkat(AT_FDCWD, \"" SOME_PATH "\", AT_FDCWD, \"" SOME_PATH
                            ".new\", " },
    { SYS_mknodat, "mknodat", "mknodat(AT_FDCWD, \"" SOME_PATH "\", " },
    { SYS_readlinkat, "readlinkat", "readlinkat(AT_FDCWD, \"" SOME_PATH "\", " },
    { SYS_inotify_add_watch, "inotify_add_watch", "inotify_add_watch(" },
    { SYS_memfd_create, "memfd_create", "memfd_create(\"cordon-test-name\", " },
};

static int call_with_path(cordon_ctx *ctx, void *which)
{
    (void)ctx;
    const path_call *call = which;
    char buffer[64];
    const char *path = SOME_PATH, *renamed = SOME_PATH ".new";
    switch (call->nr) {
    case SYS_statx:
        syscall(call->nr, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, buffer);
        break;
    case SYS_renameat2: case SYS_linkat:
        syscall(call->nr, AT_FDCWD, path, AT_FDCWD, renamed, 0);
        break;
    case SYS_fchownat: case SYS_utimensat: case SYS_mknodat: case SYS_readlinkat:
        syscall(call->nr, AT_FDCWD, path, NULL, 0, 0);
        break;
    case SYS_inotify_add_watch:
        syscall(call->nr, -1, path, 0);
        break;
    case SYS_memfd_create:
        syscall(call->nr, "cordon-test-name", 0);
        break;
    default: /* the xattr calls, lstat: the path first, then a name */
        syscall(call->nr, path, "user.cordon", buffer, sizeof buffer, 0);
    }
    return 0;
}

/* Every call that takes a path or a name shows it, read from the task,
 * not its address: the report says which file the task was after. */
static void test_policy_violation_names_the_paths_of_every_path_call(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof path_calls / sizeof *path_calls; i++) {
        char text[128];
        snprintf(text, sizeof text, "include default\nkill %s\n", path_calls[i].name);
        cordon_policy *p = inline_policy(text);
        cordon_task *t;
        const cordon_result *r = run_under(p, call_with_path, (void *)&path_calls[i],
                                           CORDON_EXCEPTION, &t);
        assert_violation(r, path_calls[i].expected);
        if (violations_are_named() && path_calls[i].nr == SYS_inotify_add_watch &&
            !strstr(r->exc_out.data, "\"" SOME_PATH "\""))
            fail_msg("no path in %s", r->exc_out.data);
        cordon_task_free(t);
        cordon_policy_free(p);
    }
}

static int open_path(cordon_ctx *ctx, void *path)
{
    (void)ctx;
    /* a raw call, so that libc adds no flag of its own */
    syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT, 0600);
    return 0;
}

/* Paths come out of the task's memory, quoted, escaped and cut: the task
 * cannot forge the report with them. */
static void test_policy_violation_reads_paths_from_the_task(void **state)
{
    (void)state;
    cordon_policy *p = inline_policy("include default\nkill openat if arg2 & O_ACCMODE == O_WRONLY\n");
    cordon_task *t;
    const cordon_result *r = run_under(p, open_path, "/tmp/cordon-test-path", CORDON_EXCEPTION, &t);
    assert_violation(r, "forbids openat(AT_FDCWD, \"/tmp/cordon-test-path\", O_WRONLY|O_CREAT, "
                        "0600): killed by rule test.policy:2\n");
    cordon_task_free(t);
    r = run_under(p, open_path, "/tmp/\"quoted\"\n\\PolicyViolation\x7f", CORDON_EXCEPTION, &t);
    assert_violation(r, "openat(AT_FDCWD, \"/tmp/\\\"quoted\\\"\\x0a\\\\PolicyViolation\\x7f\", ");
    cordon_task_free(t);
    static char long_path[300];
    memset(long_path, 'a', sizeof long_path - 1);
    r = run_under(p, open_path, long_path, CORDON_EXCEPTION, &t);
    char expected[200];
    snprintf(expected, sizeof expected, "openat(AT_FDCWD, \"%.128s\"..., O_WRONLY", long_path);
    assert_violation(r, expected);
    cordon_task_free(t);
    /* an address the task has not mapped stays an address */
    r = run_under(p, open_path, (void *)(uintptr_t)0x10000, CORDON_EXCEPTION, &t);
    assert_violation(r, "openat(AT_FDCWD, 0x10000, O_WRONLY|O_CREAT, 0600)");
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* Skips (freeing the task and its policy) where the task said it could
 * make no userfaultfd: its device is root's. */
static void skip_without_userfaultfd(int rc, cordon_task *t, cordon_policy *p)
{
    const cordon_result *r = cordon_task_result(t);
    if (rc != 0 || !strstr(r->std_out.data, "no userfaultfd"))
        return;
    print_message("skipped: %s", r->std_out.data);
    cordon_task_free(t);
    cordon_policy_free(p);
    skip();
}

/* The parent reads a violating call's path (for the report, and to see
 * whether it names a device) out of the task's memory.  A path on a page
 * that the task's own userfaultfd holds made that read wait for a fault
 * nobody serves: the caller hung for good, past the task's deadline, in
 * an unkillable-but-by-SIGKILL wait.  The read now gives up, and the
 * report shows the address. */
static void test_policy_violation_path_on_a_page_nobody_serves_hangs_nothing(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    /* A hand-written policy: the default kills the userfaultfd itself. */
    cordon_policy *p = inline_policy("default allow\nkill openat if arg2 & O_ACCMODE == O_WRONLY\n");
    cordon_task *t = cordon_function_task(open_a_path_nobody_serves, NULL);
    cordon_set_policy(t, p);
    cordon_set_timeout_ms(t, 3000);
    assert_int_equal(cordon_run_async(t), 0);
    int rc = cordon_join_timeout(t, 30000);
    if (rc == -ETIMEDOUT)
        fail_msg("the caller is stuck reading the task's memory");
    const cordon_result *r = cordon_task_result(t);
    skip_without_userfaultfd(rc, t, p);
    assert_int_equal(rc, CORDON_EXCEPTION);
    assert_violation(r, "forbids openat(AT_FDCWD, 0x");
    cordon_task_free(t);
    cordon_policy_free(p);
}

static int open_a_plain_path_for_writing(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    syscall(SYS_openat, AT_FDCWD, "/cordon-a-sibling-s-path", O_WRONLY, 0);
    return 0;
}

static long milliseconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000L + now.tv_nsec / 1000000L;
}

#define UNSERVED_READERS 6

/* Each read of a task's memory that may wait (the task may have made a
 * userfaultfd) took the one helper memory of the process in turn: tasks
 * whose paths lay on pages nobody serves held every sibling's read 500 ms
 * each (six of them: a sibling's plain violation took some 3 s).  A read
 * that finds the helper memory lent out now maps its own. */
static void test_policy_unserved_reads_never_hold_a_sibling_s_read(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    cordon_policy *p = inline_policy("default allow\nkill openat if arg2 & O_ACCMODE == O_WRONLY\n");
    cordon_task *readers[UNSERVED_READERS];
    for (int i = 0; i < UNSERVED_READERS; i++) {
        readers[i] = cordon_function_task(open_a_path_nobody_serves, NULL);
        cordon_set_policy(readers[i], p);
        cordon_set_timeout_ms(readers[i], 10000);
        assert_int_equal(cordon_run_async(readers[i]), 0);
    }
    usleep(300 * 1000); /* their reads have begun */
    cordon_task *t = cordon_function_task(open_a_plain_path_for_writing, NULL);
    cordon_set_policy(t, p);
    long started = milliseconds_now();
    int rc = cordon_run(t);
    long took = milliseconds_now() - started;
    bool served = true;
    for (int i = 0; i < UNSERVED_READERS; i++) {
        if (cordon_join_timeout(readers[i], 30000) == -ETIMEDOUT)
            fail_msg("the caller is stuck reading a task's memory");
        served = served && !strstr(cordon_task_result(readers[i])->std_out.data, "no userfaultfd");
        cordon_task_free(readers[i]);
    }
    if (!served) {
        cordon_task_free(t);
        cordon_policy_free(p);
        print_message("skipped: no userfaultfd for the tasks here (root's device)\n");
        skip();
    }
    assert_int_equal(rc, CORDON_EXCEPTION);
    assert_violation(cordon_task_result(t), "openat(AT_FDCWD, \"/cordon-a-sibling-s-path\"");
    /* Some tens of milliseconds alone; waiting its turn, 2.7 s or more. */
    assert_true(took < 1500);
    cordon_task_free(t);
    cordon_policy_free(p);
}

static int open_userfaultfd_device(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    if (dev < 0) {
        printf("no userfaultfd: %s\n", strerror(errno));
        return 0;
    }
    int uffd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC);
    printf("userfaultfd %s\n", uffd >= 0 ? "made" : strerror(errno));
    return 0;
}

/* The default kills userfaultfd(2), and so its other door: the device,
 * which its owner, root, opens without a capability (a task of a root
 * caller made one that way). */
static void test_policy_default_kills_userfaultfd_through_the_device(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    cordon_policy *p = policy("default");
    cordon_task *t = cordon_function_task(open_userfaultfd_device, NULL);
    cordon_set_policy(t, p);
    cordon_set_timeout_ms(t, 10000);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    skip_without_userfaultfd(rc, t, p);
    assert_int_equal(rc, CORDON_EXCEPTION);
    assert_violation(r, ", USERFAULTFD_IOC_NEW, ");
    assert_int_equal(r->std_out.len, 0);
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* In a copy of the test without namespaces: what a task given no policy
 * made of /dev/userfaultfd (the first line of its output), 'S' to skip. */
static int userfaultfd_without_namespaces(char *said, size_t size)
{
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        return -1;
    pid_t copy = fork();
    if (copy == 0) {
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        cordon_task *t = cordon_function_task(open_userfaultfd_device, NULL);
        cordon_set_policy(t, NULL);
        cordon_set_timeout_ms(t, 10000);
        int rc = cordon_run(t);
        const char *out = rc == 0 ? cordon_task_result(t)->std_out.data : "S";
        (void)!write(pipe_fds[1], out, strlen(out));
        _exit(0);
    }
    close(pipe_fds[1]);
    ssize_t n = read(pipe_fds[0], said, size - 1);
    said[n > 0 ? n : 0] = '\0';
    close(pipe_fds[0]);
    int status;
    waitpid(copy, &status, 0);
    return 0;
}

/* Without a pid namespace no init ends a task its parent cannot reach: a
 * root task given no policy made a userfaultfd through the device, wrote
 * to its stdout from a page it never served, and the kernel held the
 * pipe's lock through the fault; the caller's read waited on it past the
 * deadline, SIGKILL and all.  There the device's USERFAULTFD_IOC_NEW (and
 * userfaultfd(2)) fail with EPERM under any policy and none. */
static void test_policy_no_userfaultfd_without_a_pid_namespace(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    char said[256];
    assert_int_equal(userfaultfd_without_namespaces(said, sizeof said), 0);
    if (strcmp(said, "S") == 0 || strstr(said, "no userfaultfd")) {
        print_message("skipped: no task could open /dev/userfaultfd here (%s)\n", said);
        skip();
    }
    assert_string_equal(said, "userfaultfd Operation not permitted\n");
}

static int open_a_fifo_put_as_ptmx(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    if (unlink("/dev/ptmx") != 0 || mkfifo("/dev/ptmx", 0666) != 0) {
        printf("cannot swap /dev/ptmx: %s\n", strerror(errno));
        return 0;
    }
    long fd = syscall(SYS_openat, AT_FDCWD, "/dev/ptmx", O_WRONLY, 0);
    printf("open: %s\n", fd >= 0 ? "an fd" : strerror(errno));
    return 0;
}

/* In a process of its own (its /dev is its own): runs the task and
 * writes what came of it to `out`.  Exit 2: no /dev of its own here. */
static void run_the_ptmx_swapper(int out)
{
    if (!own_dev())
        _exit(2);
    cordon_policy *p = inline_policy("include default\nkill openat if arg2 & O_ACCMODE == O_WRONLY\n");
    cordon_task *t = cordon_function_task(open_a_fifo_put_as_ptmx, NULL);
    cordon_set_policy(t, p);
    cordon_set_timeout_ms(t, 3000);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    dprintf(out, "rc %d exception %s\n%s", rc, r->exception ? r->exception : "none",
            r->std_out.data);
    _exit(0);
}

/* A write-open of /dev/ptmx refused by the policy is answered with the
 * parent's own open of the task's ptmx, through the task's root.  A task
 * that owns its /dev (a root caller's, whose /dev is the machine's) put a
 * FIFO there: the parent's open of it for writing waited for a reader,
 * and the caller hung for good.  The node is now opened without waiting
 * and checked: no fd of anything but that device. */
static void test_policy_device_open_of_a_fifo_put_as_ptmx_hangs_nothing(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    if (geteuid() != 0) {
        print_message("skipped: a /dev of its own needs root\n");
        skip();
    }
    char text[512];
    int status = run_in_a_copy(run_the_ptmx_swapper, text, sizeof text,
                               "the caller hung opening the task's /dev/ptmx");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
        print_message("skipped: no mount namespace with a /dev of its own here\n");
        skip();
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* a FIFO without a reader, opened for writing without waiting */
    assert_string_equal(text, "rc 0 exception none\nopen: No such device or address\n");
}

static void test_policy_nonet_kill_kills_inet_sockets_and_names_them(void **state)
{
    (void)state;
    cordon_policy *p = policy("nonet-kill");
    cordon_task *t;
    const cordon_result *r = run_under(p, make_socket, (void *)(intptr_t)AF_INET, CORDON_EXCEPTION, &t);
    assert_violation(r, "PolicyViolation: the policy 'nonet-kill' forbids "
                                            "socket(AF_INET, SOCK_STREAM, 0)");
    /* The call never returned to the task. */
    assert_int_equal(r->std_out.len, 0);
    cordon_task_free(t);
    r = run_under(p, make_socket, (void *)(intptr_t)AF_UNIX, 0, &t);
    assert_string_equal(r->std_out.data, unix_socket_made());
    cordon_task_free(t);
    cordon_policy_free(p);
}

static void test_policy_nonet_kill_names_a_commands_socket_too(void **state)
{
    (void)state;
    cordon_policy *p = policy("nonet-kill");
    const char *argv[] = { hostile_path, "socket-inet", NULL };
    cordon_task *t = cordon_command_task(argv);
    cordon_set_policy(t, p);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_violation(r, "socket(AF_INET, SOCK_STREAM, 0)");
    cordon_task_free(t);
    cordon_policy_free(p);
}

static int open_for(cordon_ctx *ctx, void *flags)
{
    (void)ctx;
    int fd = open("/etc/hostname", (int)(intptr_t)flags);
    printf("open %s\n", fd >= 0 ? "ok" : strerror(errno));
    return 0;
}

static void test_policy_readonly_kills_writes_and_allows_reads(void **state)
{
    (void)state;
    cordon_policy *p = policy("readonly");
    cordon_task *t;
    const cordon_result *r = run_under(p, open_for, (void *)(intptr_t)O_WRONLY, CORDON_EXCEPTION, &t);
    assert_violation(r, "forbids openat(");
    cordon_task_free(t);
    r = run_under(p, open_for, (void *)(intptr_t)(O_RDONLY | O_CREAT), CORDON_EXCEPTION, &t);
    assert_killed_by_the_filter(r);
    cordon_task_free(t);
    r = run_under(p, open_for, (void *)(intptr_t)O_RDONLY, 0, &t);
    assert_string_equal(r->std_out.data, "open ok\n");
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* Ways to change files that no open() flag shows. */
static int change_files_sideways(cordon_ctx *ctx, void *what)
{
    (void)ctx;
    long rc = -1;
    if (strcmp(what, "fchmodat2") == 0) {
        rc = syscall(452 /* fchmodat2 */, AT_FDCWD, "/tmp", 0777, 0);
    } else if (strcmp(what, "mq_open") == 0) {
        rc = syscall(SYS_mq_open, "cordon-readonly", O_CREAT | O_RDWR, 0600, NULL);
        if (rc >= 0)
            syscall(SYS_mq_unlink, "cordon-readonly");
    } else {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un address = { .sun_family = AF_UNIX };
        snprintf(address.sun_path, sizeof address.sun_path, "/tmp/cordon-readonly-%d",
                 (int)getpid());
        rc = bind(fd, (struct sockaddr *)&address, sizeof address);
        unlink(address.sun_path);
    }
    printf("%s returned %ld\n", (const char *)what, rc);
    return 0;
}

static void test_policy_readonly_kills_sideways_changes(void **state)
{
    (void)state;
    cordon_policy *p = policy("readonly");
    const char *ways[] = { "bind", "mq_open", "fchmodat2" };
    /* valgrind does not pass a syscall it does not know (452) to the
     * kernel, so no filter ever sees it there. */
    size_t count = getenv("CORDON_UNDER_VALGRIND") ? 2 : 3;
    for (size_t i = 0; i < count; i++) {
        cordon_task *t;
        const cordon_result *r = run_under(p, change_files_sideways, (void *)ways[i],
                                           CORDON_EXCEPTION, &t);
        assert_killed_by_the_filter(r);
        assert_null(strstr(r->std_out.data, "returned"));
        cordon_task_free(t);
    }
    cordon_policy_free(p);
}

/* Calls newer than libseccomp 2.5's table, by number: the *at forms of
 * setxattr and removexattr, and file_setattr, the syscall form of
 * FS_IOC_FSSETXATTR. */
enum { SETXATTRAT = 463, REMOVEXATTRAT = 466, FILE_SETATTR = 469 };

struct newer_call {
    long nr;
    const char *path;
};

static int make_newer_call(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const struct newer_call *call = arg;
    struct { uint64_t value; uint32_t size, flags; } xattr = {
        .value = (uintptr_t)"changed", .size = 7 };
    struct { uint64_t xflags; uint32_t extsize, nextents, projid, cowextsize; } attr = {
        .xflags = 0x80 /* FS_XFLAG_NODUMP */ };
    long rc = -1;
    if (call->nr == SETXATTRAT)
        rc = syscall(SETXATTRAT, AT_FDCWD, call->path, 0, "user.cordon", &xattr, sizeof xattr);
    else if (call->nr == REMOVEXATTRAT)
        rc = syscall(REMOVEXATTRAT, AT_FDCWD, call->path, 0, "user.cordon");
    else
        rc = syscall(FILE_SETATTR, AT_FDCWD, call->path, &attr, sizeof attr, 0);
    printf("%ld returned %ld %s\n", call->nr, rc, rc < 0 ? strerror(errno) : "");
    return 0;
}

/* What the calls above would change: the xattr's value, the nodump flag. */
static void file_state(const char *path, char *xattr, size_t size, int *flags)
{
    memset(xattr, 0, size);
    if (getxattr(path, "user.cordon", xattr, size - 1) < 0)
        snprintf(xattr, size, "(%s)", strerror(errno));
    int fd = open(path, O_RDONLY);
    *flags = -1;
    if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, flags) < 0)
        *flags = -1;
    if (fd >= 0)
        close(fd);
}

static void test_policy_readonly_kills_newer_calls_that_change_files(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("it does not pass calls it does not know to the kernel");
    char path[] = "/tmp/cordon-readonly-newer-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    bool xattrs = setxattr(path, "user.cordon", "kept", 4, 0) == 0;
    cordon_policy *p = policy("readonly");
    const struct { long nr; const char *name; } calls[] = {
        { SETXATTRAT, "setxattrat(" }, { REMOVEXATTRAT, "removexattrat(" },
        { FILE_SETATTR, "file_setattr(" },
    };
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
        char before[64], after[64];
        int flags_before, flags_after;
        file_state(path, before, sizeof before, &flags_before);
        struct newer_call call = { calls[i].nr, path };
        cordon_task *t;
        const cordon_result *r = run_under(p, make_newer_call, &call, CORDON_EXCEPTION, &t);
        assert_violation(r, calls[i].name);
        assert_null(strstr(r->std_out.data, "returned"));
        cordon_task_free(t);
        file_state(path, after, sizeof after, &flags_after);
        assert_string_equal(after, before);
        assert_int_equal(flags_after, flags_before);
    }
    if (xattrs) {
        char value[64];
        file_state(path, value, sizeof value, &(int){ 0 });
        assert_string_equal(value, "kept");
    }
    unlink(path);
    cordon_policy_free(p);
}

/* FS_IOC_SETVERSION (and its kin) change an inode through an fd opened
 * for reading: the owner may set its generation number. */
static int set_version_read_only(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const char *path = ((const char *const *)arg)[0];
    unsigned long request = strcmp(((const char *const *)arg)[1], "32") == 0
                                ? (unsigned long)FS_IOC32_SETVERSION : FS_IOC_SETVERSION;
    int fd = open(path, O_RDONLY);
    long generation = 12345;
    int rc = ioctl(fd, request, &generation);
    printf("ioctl returned %d %s\n", rc, rc < 0 ? strerror(errno) : "");
    return 0;
}

static long generation_of(const char *path)
{
    int fd = open(path, O_RDONLY);
    long generation = -1;
    if (fd >= 0 && ioctl(fd, FS_IOC_GETVERSION, &generation) < 0)
        generation = -1;
    if (fd >= 0)
        close(fd);
    return generation;
}

static void test_policy_readonly_kills_inode_ioctls_on_a_read_only_fd(void **state)
{
    (void)state;
    char path[] = "/tmp/cordon-readonly-ioctl-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    long before = generation_of(path);
    cordon_policy *p = policy("readonly");
    const char *sizes[] = { "64", "32" };
    for (size_t i = 0; i < 2; i++) {
        const char *arg[] = { path, sizes[i] };
        cordon_task *t;
        const cordon_result *r = run_under(p, set_version_read_only, arg, CORDON_EXCEPTION, &t);
        assert_violation(r, "forbids ioctl(");
        assert_null(strstr(r->std_out.data, "returned"));
        cordon_task_free(t);
    }
    assert_int_equal(generation_of(path), before);
    unlink(path);
    cordon_policy_free(p);
}

static int call_number(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    long rc = syscall((long)(intptr_t)arg, 0, 0, 0, 0, 0, 0);
    printf("%ld: %ld %s\n", (long)(intptr_t)arg, rc, rc < 0 ? strerror(errno) : "");
    return 0;
}

/* Calls numbered above cordon's table (470) fail with ENOSYS under every
 * deny-list, as on a kernel that lacks them, so that libc falls back;
 * "newer" gives them another action, and a rule of their own keeps them. */
static int calls_uname(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    struct utsname name;
    return uname(&name) == 0 ? 0 : 1;
}

/* A call of one argument the violation's text did not know was shown
 * with six, five of them what the registers held: "forbids uname(0x7ffe…,
 * 0x7ffe…, 0x7fdf…, 0x7fdf…, 0, 0)"; and brk, a program's first call. */
static void test_policy_violation_shows_a_known_call_s_own_arguments(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks seccomp's listener, whose notice holds the arguments");
    cordon_policy *p = inline_policy("default allow\nkill uname\n");
    cordon_task *t;
    const cordon_result *r = run_under(p, calls_uname, NULL, CORDON_EXCEPTION, &t);
    assert_violation(r, "forbids uname(0x");
    const char *call = strstr(r->exc_out.data, "uname(");
    assert_non_null(call);
    const char *end = strchr(call, ')');
    assert_non_null(end);
    for (const char *c = call; c < end; c++)
        if (*c == ',')
            fail_msg("more than one argument: %.*s", (int)(end - call + 1), call);
    cordon_task_free(t);
    cordon_policy_free(p);
}

static void test_policy_default_refuses_calls_above_its_table(void **state)
{
    (void)state;
    const long numbers[] = { 471, 600, 1023, 1024, 0x3fffffff };
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        cordon_task *t = cordon_function_task(call_number, (void *)(intptr_t)numbers[i]);
        const cordon_result *r = run_task(t, 0);
        char expected[64];
        snprintf(expected, sizeof expected, "%ld: -1 Function not implemented\n", numbers[i]);
        assert_string_equal(r->std_out.data, expected);
        cordon_task_free(t);
    }
    SKIP_UNDER_VALGRIND("it does not pass calls it does not know to the kernel");
    cordon_policy *p = inline_policy("include default\nnewer kill\nerrno EXDEV 480\n");
    cordon_task *t;
    const cordon_result *r = run_under(p, call_number, (void *)(intptr_t)471, CORDON_EXCEPTION, &t);
    assert_violation(r, "the policy 'test.policy' forbids syscall 471(0, 0, 0, 0, 0, 0)");
    cordon_task_free(t);
    r = run_under(p, call_number, (void *)(intptr_t)480, 0, &t);
    assert_string_equal(r->std_out.data, "480: -1 Invalid cross-device link\n");
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* A policy may name by number a call libseccomp has no name for; the
 * report names it from cordon's own table. */
static void test_policy_rule_by_number_is_enforced_and_named(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("it does not pass calls it does not know to the kernel");
    cordon_policy *p = inline_policy("include default\nkill 463\n");
    cordon_task *t;
    const cordon_result *r = run_under(p, call_number, (void *)(intptr_t)SETXATTRAT,
                                       CORDON_EXCEPTION, &t);
    assert_violation(r, "the policy 'test.policy' forbids setxattrat(0, 0, 0, 0, 0, 0)");
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* A task must not set the limits of a process it did not start: an
 * RLIMIT_CPU of one second would kill its caller. */
static int limit_the_parent(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    struct rlimit one_second = { 1, 1 };
    long rc = syscall(SYS_prlimit64, getppid(), RLIMIT_CPU, &one_second, NULL);
    printf("prlimit64 returned %ld\n", rc);
    return 0;
}

static void test_policy_default_and_compute_keep_other_processes_limits(void **state)
{
    (void)state;
    struct rlimit before;
    getrlimit(RLIMIT_CPU, &before);
    cordon_task *t = cordon_function_task(limit_the_parent, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_violation(r, "forbids prlimit64(");
    cordon_task_free(t);
    cordon_policy *p = policy("compute");
    r = run_under(p, limit_the_parent, NULL, CORDON_EXCEPTION, &t);
    assert_killed_by_the_filter(r);
    cordon_task_free(t);
    cordon_policy_free(p);
    struct rlimit after;
    getrlimit(RLIMIT_CPU, &after);
    assert_int_equal(after.rlim_cur, before.rlim_cur);
}

/* cordon's own calls between installing the filter and the exec (handing
 * over the listener, closing it) must not be caught by a policy that
 * refuses them: that would leave the child waiting for an answer that
 * never comes, and a vforking parent waiting on the child. */
static void test_policy_refusing_cordons_own_calls_does_not_hang(void **state)
{
    (void)state;
    const char *texts[] = { "include default\nkill sendmsg sendto\n",
                            "include default\nallow sendmsg if arg0 == 9\nkill socket\n",
                            "include default\nkill close\n" };
    for (size_t i = 0; i < 3; i++) {
        cordon_policy *p = inline_policy(texts[i]);
        const char *argv[] = { "/bin/sh", "-c", "echo ran", NULL };
        cordon_task *t = cordon_command_task(argv);
        cordon_set_policy(t, p);
        cordon_set_timeout_ms(t, 10000);
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        assert_true(rc >= 0);
        assert_true(r->usage.wall_us < 5u * 1000 * 1000);
        if (i < 2) {
            assert_int_equal(rc, 0);
            assert_string_equal(r->std_out.data, "ran\n");
        } else {
            /* the shell's own close is the task's: a violation */
            assert_killed_by_the_filter(r);
        }
        cordon_task_free(t);
        cordon_policy_free(p);
    }
}

static int sends_itself_sigsys(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    signal(SIGSYS, SIG_IGN); /* a send that got through is counted, not fatal */
    int through = 0;
    through += raise(SIGSYS) == 0;
    through += kill(getpid(), SIGSYS) == 0;
    through += kill(0, SIGSYS) == 0;
    through += sigqueue(getpid(), SIGSYS, (union sigval){ 0 }) == 0;
    through += prctl(PR_SET_PDEATHSIG, SIGSYS) == 0;
    return through;
}

static volatile char dispatch_selector;
static int arms_user_dispatch(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    if (prctl(59 /* PR_SET_SYSCALL_USER_DISPATCH */, 1 /* ON */, 0, 0, &dispatch_selector) != 0)
        return 3;
    dispatch_selector = 1; /* SYSCALL_DISPATCH_FILTER_BLOCK */
    syscall(SYS_getpid);
    return 4;
}

/* A filter without a listener (its policy refuses sendmsg, with which the
 * listener is handed over) kills with a bare SIGSYS: the task cannot send
 * itself one.  But under a policy that lets it install a seccomp filter of
 * its own (or set a timer, whose signal no filter reads), a bare SIGSYS
 * may be its own: the kill is then reported as the signal, with a line
 * saying why, never a PolicyViolation it could have forged. */
static void test_policy_without_a_listener_names_only_the_filter_s_sigsys(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("no seccomp(2): the filter is installed with prctl, without listeners");
    cordon_policy *p = inline_policy("include default\nerrno EPERM sendmsg\n"
                                     "kill socket if arg0 == 2\n");
    cordon_task *t = cordon_shell_task("kill -SYS $$ 2>/dev/null; exit 7");
    cordon_set_policy(t, p);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 7);
    cordon_task_free(t);

    r = run_under(p, sends_itself_sigsys, NULL, 0, &t);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);

    const char *argv[] = { hostile_path, "socket-inet", NULL };
    t = cordon_command_task(argv);
    cordon_set_policy(t, p);
    r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSYS");
    assert_int_equal(r->signal, SIGSYS);
    assert_non_null(strstr(r->exc_out.data, "not taken as a policy violation"));
    cordon_task_free(t);
    cordon_policy_free(p);

    /* Syscall user dispatch sends SIGSYS too: where the policy lets it be
     * armed, the task's call made under it was "the seccomp filter killed
     * the task", a command and a function alike. */
    p = inline_policy("include default\nerrno EPERM sendmsg\nkill socket if arg0 == 2\n"
                      "errno EPERM seccomp timer_create mq_notify\n"
                      "errno EPERM prctl if arg0 == PR_SET_SECCOMP\n");
    const char *dispatch[] = { hostile_path, "user-dispatch", NULL };
    t = cordon_command_task(dispatch);
    cordon_set_policy(t, p);
    r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSYS");
    assert_non_null(strstr(r->exc_out.data, "not taken as a policy violation"));
    cordon_task_free(t);
    r = run_under(p, arms_user_dispatch, NULL, CORDON_EXCEPTION, &t);
    assert_string_equal(r->exception, "SIGSYS");
    cordon_task_free(t);
    cordon_policy_free(p);

    /* where it can make none of them, the bare SIGSYS is the filter's */
    p = inline_policy("include default\nerrno EPERM sendmsg\nkill socket if arg0 == 2\n"
                      "errno EPERM seccomp timer_create mq_notify\n"
                      "errno EPERM prctl if arg0 == PR_SET_SECCOMP\n"
                      "errno EPERM prctl if arg0 == 59\n");
    t = cordon_command_task(dispatch);
    cordon_set_policy(t, p);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, 3); /* the dispatch refused */
    cordon_task_free(t);
    t = cordon_command_task(argv);
    cordon_set_policy(t, p);
    r = run_task(t, CORDON_EXCEPTION);
    assert_killed_by_the_filter(r);
    assert_int_equal(r->signal, SIGSYS);
    cordon_task_free(t);
    cordon_policy_free(p);
}

static int map_a_page(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap %s\n", page == MAP_FAILED ? "failed" : "worked");
    return 0;
}

/* An unconditional rule overrides the conditional ones an include made,
 * even when it says what the default says. */
static void test_policy_unconditional_rule_overrides_included_conditions(void **state)
{
    (void)state;
    cordon_policy *p = inline_policy("include compute\nkill mmap\n");
    cordon_task *t;
    const cordon_result *r = run_under(p, map_a_page, NULL, CORDON_EXCEPTION, &t);
    assert_violation(r, "forbids mmap(");
    assert_null(strstr(r->std_out.data, "worked"));
    cordon_task_free(t);
    cordon_policy_free(p);
}

static void test_policy_noexec_lets_only_the_commands_own_exec_through(void **state)
{
    (void)state;
    if (!violations_are_named())
        skip();
    cordon_policy *p = policy("noexec");
    const char *argv[] = { "echo", "started", NULL };
    cordon_task *t = cordon_command_task(argv);
    cordon_set_policy(t, p);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "started\n");
    cordon_task_free(t);

    /* The shell starts, but the program it then runs may not. */
    t = cordon_shell_task("echo shell; /bin/true; echo after");
    cordon_set_policy(t, p);
    r = run_task(t, CORDON_EXCEPTION);
    assert_violation(r, "forbids execve(");
    assert_string_equal(r->std_out.data, "shell\n");
    cordon_task_free(t);

    /* A command found late in PATH still starts: every attempt counts. */
    t = cordon_command_task(argv);
    cordon_set_policy(t, p);
    cordon_set_env(t, "PATH=/nonexistent:/also/not:/usr/bin:/bin");
    r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "started\n");
    cordon_task_free(t);
    cordon_policy_free(p);
}

static int exec_true(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char *argv[] = { "/bin/true", NULL };
    execv("/bin/true", argv);
    return 1;
}

/* An errno for execve, by a rule or by the default, lets the command's
 * own exec through as a kill does and answers the later ones with the
 * errno: such a policy had started no command at all (ExecError, the
 * filter's errno reaching the own exec too).  A function's exec gets
 * the errno; so does every exec under errno 0, which returns 0. */
static void test_policy_errno_execve_lets_the_commands_own_exec_through(void **state)
{
    (void)state;
    if (!violations_are_named())
        skip();
    const struct { const char *text; const char *said; } policies[] = {
        { "include default\nerrno EACCES execve execveat\n", "/bin/true: Permission denied" },
        { "include default\nerrno 0 execve\n", "/bin/true: Success" },
        /* an allow-list with a kill of its own: the listener is there anyway */
        { "default errno EPERM\nallow read write writev exit_group exit brk mmap munmap "
          "mprotect arch_prctl openat close fstat newfstatat access pread64 set_tid_address "
          "set_robust_list rseq prlimit64 getrandom rt_sigaction rt_sigprocmask rt_sigreturn "
          "getpid getppid geteuid getuid getgid getegid fcntl ioctl wait4 clone clone3 vfork "
          "uname getcwd lseek dup2 dup3 pipe2 statx readlink faccessat2 futex\nkill ptrace\n",
          "/bin/true: Operation not permitted" },
    };
    for (size_t i = 0; i < sizeof policies / sizeof *policies; i++) {
        cordon_policy *p = inline_policy(policies[i].text);
        cordon_task *t = cordon_shell_task("echo shell; /bin/true; echo \"exec $?\"");
        cordon_set_policy(t, p);
        cordon_set_env(t, "PATH=/nonexistent:/usr/bin:/bin");
        const cordon_result *r = run_task(t, 0);
        assert_string_equal(r->std_out.data, "shell\nexec 126\n");
        if (!strstr(r->std_err.data, policies[i].said))
            fail_msg("%s: %s", policies[i].text, r->std_err.data);
        cordon_task_free(t);
        const cordon_result *f = run_under(p, exec_true, NULL, 0, &t);
        assert_int_equal(f->exit_code, 1); /* execv returned */
        cordon_task_free(t);
        cordon_policy_free(p);
    }
}

/* The command's own exec is the parent's to let through only while it
 * is made: an own exec the filter let through itself (its arguments
 * outside the rule) left a pass that the command's next refused exec
 * took, and an execveat, which the child never makes, took it as the
 * own one too (errno and kill rules alike). */
static void test_policy_no_exec_after_the_commands_own_gets_its_pass(void **state)
{
    (void)state;
    if (!violations_are_named())
        skip();
    const struct { const char *policy, *how, *said; int rc; } runs[] = {
        { "default allow\nerrno EPERM execveat\n", "execveat",
          "execveat refused: Operation not permitted\n", 0 },
        { "default allow\nerrno EPERM execve if arg2 == 0\n", "execve",
          "execve refused: Operation not permitted\n", 0 },
        { "default allow\nkill execveat\n", "execveat", "", CORDON_EXCEPTION },
        { "default allow\nkill execve if arg2 == 0\n", "execve", "", CORDON_EXCEPTION },
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        cordon_policy *p = inline_policy(runs[i].policy);
        const char *argv[] = { hostile_path, "exec-self-again", runs[i].how, NULL };
        cordon_task *t = cordon_command_task(argv);
        cordon_set_policy(t, p);
        const cordon_result *r = run_task(t, runs[i].rc);
        if (strcmp(r->std_out.data, runs[i].said) != 0)
            fail_msg("%s: %s", runs[i].policy, r->std_out.data);
        if (runs[i].rc)
            assert_violation(r, runs[i].how);
        cordon_task_free(t);
        cordon_policy_free(p);
    }
}

static void test_policy_noexec_stops_a_function_from_exec(void **state)
{
    (void)state;
    cordon_policy *p = policy("noexec");
    cordon_task *t;
    const cordon_result *r = run_under(p, exec_true, NULL, CORDON_EXCEPTION, &t);
    assert_violation(r, "execve(");
    cordon_task_free(t);
    cordon_policy_free(p);
}

static int compute(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    long sum = 0;
    for (long i = 0; i < 100000; i++)
        sum += i % 7;
    char *scratch = malloc(1 << 20); /* mmap, not executable */
    memset(scratch, 1, 1 << 20);
    free(scratch);
    printf("sum %ld\n", sum);
    cordon_log(ctx, "computed");
    cordon_return(ctx, &sum, sizeof sum);
    return 7;
}

static int compute_then_open(cordon_ctx *ctx, void *arg)
{
    compute(ctx, arg);
    fflush(stdout);
    return open("/etc/hostname", O_RDONLY);
}

static int map_executable(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED;
}

static void test_policy_compute_runs_pure_functions_only(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its own system calls are outside the allow-list");
    cordon_policy *p = policy("compute");
    cordon_task *t;
    const cordon_result *r = run_under(p, compute, NULL, 0, &t);
    assert_int_equal(r->exit_code, 7);
    assert_string_equal(r->std_out.data, "sum 299995\n");
    assert_string_equal(r->log_out.data, "computed\n");
    assert_int_equal(r->returns.len, sizeof(long));
    cordon_task_free(t);
    r = run_under(p, compute_then_open, NULL, CORDON_EXCEPTION, &t);
    assert_violation(r, "forbids openat(");
    assert_string_equal(r->std_out.data, "sum 299995\n");
    cordon_task_free(t);
    r = run_under(p, map_executable, NULL, CORDON_EXCEPTION, &t);
    assert_violation(r, "forbids mmap(");
    cordon_task_free(t);
    cordon_policy_free(p);
}

static int trace_parent(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return (int)ptrace(PTRACE_ATTACH, getppid(), NULL, NULL);
}

static int new_user_namespace(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return unshare(CLONE_NEWUSER);
}

/* Refused with an errno, these go on: no exception. */
static int refused_quietly(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int chroot_result = chroot("/nonexistent");
    int chroot_errno = errno;
    long clone3_result = syscall(SYS_clone3, NULL, 0);
    int clone3_errno = errno;
    printf("chroot %d %s, clone3 %ld %s\n", chroot_result, strerror(chroot_errno),
           clone3_result, strerror(clone3_errno));
    return 0;
}

/* ioctl's request is an unsigned int: the kernel ignores the upper half of
 * the register, so a filter comparing all 64 bits would let this through. */
static int push_into_the_terminal(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char c = 'x';
    long rc = syscall(SYS_ioctl, 0, (1ul << 32) | TIOCSTI, &c);
    printf("ioctl returned %ld\n", rc);
    return 0;
}

static void test_policy_default_sees_32_bit_ioctl_requests_whole(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(push_into_the_terminal, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_violation(r, "the policy 'default' forbids ioctl(");
    assert_null(strstr(r->std_out.data, "returned"));
    cordon_task_free(t);
}

static void test_policy_default_denies_and_names(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(trace_parent, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_violation(r, "the policy 'default' forbids ptrace(16, ");
    cordon_task_free(t);
    t = cordon_function_task(new_user_namespace, NULL);
    r = run_task(t, CORDON_EXCEPTION);
    assert_violation(r, "forbids unshare(CLONE_NEWUSER): killed by rule ");
    cordon_task_free(t);
    t = cordon_function_task(refused_quietly, NULL);
    r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "chroot -1 Operation not permitted, "
                                         "clone3 -1 Function not implemented\n");
    cordon_task_free(t);
}

static int call_getppid(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int rc = mkdir("/nonexistent-cordon-dir", 0700);
    printf("mkdir %d %s\n", rc, strerror(errno));
    fflush(stdout);
    return (int)getppid();
}

static void test_policy_errno_goes_on_trap_is_named(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("no seccomp user notification, so violations are not named");
    cordon_policy *p = inline_policy("default allow\nerrno EACCES mkdir\ntrap getppid\nlog getpid\n");
    cordon_task *t;
    const cordon_result *r = run_under(p, call_getppid, NULL, CORDON_EXCEPTION, &t);
    assert_string_equal(r->std_out.data, "mkdir -1 Permission denied\n");
    assert_violation(r, "refused getppid");
    cordon_task_free(t);
    cordon_policy_free(p);
}

static void test_policy_none_means_no_filter(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("it has no clone3 even without a filter");
    cordon_task *t = cordon_function_task(refused_quietly, NULL);
    cordon_set_policy(t, NULL);
    /* A task of root's gets cordon's own rules, clone3's refusal among
     * them (sandbox/policy.h): a root caller's runs as nobody. */
    if (geteuid() == 0)
        assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    const cordon_result *r = run_task(t, 0);
    assert_null(strstr(r->std_out.data, "clone3 -1 Function not implemented"));
    cordon_task_free(t);
}

static void test_policy_shared_by_many_tasks_at_once(void **state)
{
    (void)state;
    cordon_policy *p = policy("nonet-kill");
    cordon_task *tasks[8];
    for (int i = 0; i < 8; i++) {
        tasks[i] = cordon_function_task(make_socket, (void *)(intptr_t)(i % 2 ? AF_INET : AF_UNIX));
        cordon_set_policy(tasks[i], p);
        assert_int_equal(cordon_run_async(tasks[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(cordon_join(tasks[i]), i % 2 ? CORDON_EXCEPTION : 0);
        cordon_task_free(tasks[i]);
    }
    assert_true(no_children_left());
    cordon_policy_free(p);
}

/* ---- what ordinary programs need (the shipped policies' fixes) -------- */

static const cordon_result *run_shell(cordon_task **t, const char *policy_name,
                                      const char *line, int expected_rc)
{
    *t = shell(line);
    cordon_policy *p = policy_name ? policy(policy_name) : NULL;
    if (p)
        cordon_set_policy(*t, p);
    cordon_set_timeout_ms(*t, 20000);
    const cordon_result *r = run_task(*t, expected_rc);
    cordon_set_policy(*t, NULL);
    cordon_policy_free(p);
    return r;
}

/* setsid and setpgid are allowed under default: pty.fork, a new session
 * for a subprocess; and a daemon that left the task's session still ends
 * with the task (its pid namespace, or its cgroup, holds it). */
static void test_policy_default_lets_sessions_start_and_still_ends_the_tree(void **state)
{
    (void)state;
    cordon_task *t;
    const cordon_result *r = run_shell(&t, NULL,
        "exec python3 -c 'import os, pty, subprocess\n"
        "pid, fd = pty.fork()\n"
        "if pid == 0:\n    print(\"in the pty\", flush=True); os._exit(0)\n"
        "print(os.read(fd, 100).decode().strip()); os.waitpid(pid, 0)\n"
        "print(subprocess.run([\"true\"], start_new_session=True).returncode)'", 0);
    assert_string_equal(r->std_out.data, "in the pty\n0\n");
    cordon_task_free(t);

    r = run_shell(&t, NULL, "setsid sh -c 'exec sleep 60.4711' </dev/null >/dev/null 2>&1 & "
                            "sleep 0.3; echo started", 0);
    assert_string_equal(r->std_out.data, "started\n");
    bool held = r->confinement & (CORDON_CONFINED_PID_NAMESPACE | CORDON_CONFINED_CGROUP);
    cordon_task_free(t);
    assert_true(marked_processes_gone("60.4711", false));
    if (!held)
        print_message("no pid namespace or cgroup here: the tree was held by setsid's refusal\n");
}

/* What a shell command printed on stdout, NUL-terminated in `out`. */
static void read_command_output(const char *cmd, char *out, size_t size)
{
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    pclose(f);
}

/* Where neither a pid namespace nor a v2 cgroup can hold the tree, the
 * policy refuses setsid again, so that the process group holds it. */
static void test_policy_default_refuses_setsid_where_nothing_holds_the_tree(void **state)
{
    (void)state;
    const char *runner = getenv("CORDON_RUNNER");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "CORDON_NO_NAMESPACES=1 CORDON_CGROUP=none %s run --quiet --json "
             "-- python3 -c 'import os\ntry:\n    os.setsid(); print(\"setsid made\")\n"
             "except OSError as e:\n    print(\"setsid\", e.errno)'",
             runner ? runner : "build/cordon");
    char out[8192];
    read_command_output(cmd, out, sizeof out);
    /* the mechanisms that held the task: its "confinement" list */
    assert_non_null(strstr(out, "\"confinement\":["));
    if (!record_held_by(out, "cgroup") && !record_held_by(out, "pid_namespace"))
        assert_non_null(strstr(out, "\"std_out\":\"setsid 1\\n\""));
    else
        fail_msg("expected neither a pid namespace nor a cgroup: %s", out);
}

/* Without a pid namespace a task names every process of the machine: a
 * task of the caller's user reniced its caller, pinned it to one CPU,
 * made it SCHED_IDLE and gave it the idle I/O class, under the default
 * policy.  The victim here is a process of the task's user (nobody, as
 * the runner started by root runs it; else the test's own user); its nice
 * value is the test's (make test runs under nice). */
static pid_t start_victim(void)
{
    pid_t victim = fork();
    assert_true(victim >= 0);
    if (victim == 0) {
        if (getuid() == 0 && (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
                              setresuid(65534, 65534, 65534) != 0))
            _exit(1);
        for (;;)
            pause();
    }
    return victim;
}

static void test_policy_default_refuses_tuning_others_without_a_pid_namespace(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2)");
    errno = 0;
    int own_nice = getpriority(PRIO_PROCESS, 0); /* the victim's too (nice make test) */
    assert_int_equal(errno, 0);
    pid_t victim = start_victim();
    const char *runner = getenv("CORDON_RUNNER");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "CORDON_NO_NAMESPACES=1 %s run --quiet --json -- python3 -c '"
             "import ctypes, os, sys\n"
             "pp = int(sys.argv[1]); out = []\n"
             "libc = ctypes.CDLL(None, use_errno=True)\n"
             "def ioprio():\n"
             "    if libc.syscall(251, 1, pp, 3 << 13) < 0: raise OSError(ctypes.get_errno(), \"\")\n"
             "for name, f in ((\"nice\", lambda: os.setpriority(os.PRIO_PROCESS, pp, 19)),\n"
             "        (\"affinity\", lambda: os.sched_setaffinity(pp, {0})),\n"
             "        (\"scheduler\", lambda: os.sched_setscheduler(pp, os.SCHED_IDLE, os.sched_param(0))),\n"
             "        (\"param\", lambda: os.sched_setparam(pp, os.sched_param(0))),\n"
             "        (\"ioprio\", ioprio)):\n"
             "    try:\n        f(); out.append(name + \" done\")\n"
             "    except OSError as e:\n        out.append(\"%%s %%d\" %% (name, e.errno))\n"
             "own = min(os.getpriority(os.PRIO_PROCESS, 0) + 1, 19)\n"
             "os.setpriority(os.PRIO_PROCESS, 0, own)\n"
             "out.append(\"own %%s\" %% (os.getpriority(os.PRIO_PROCESS, 0) == own))\n"
             "print(\" \".join(out))' %d",
             runner ? runner : "build/cordon", (int)victim);
    char out[8192];
    read_command_output(cmd, out, sizeof out);
    errno = 0;
    int nice_value = getpriority(PRIO_PROCESS, (id_t)victim);
    int scheduler = sched_getscheduler(victim);
    long io_priority = syscall(SYS_ioprio_get, 1, victim);
    kill(victim, SIGKILL);
    waitpid(victim, NULL, 0);
    if (record_held_by(out, "pid_namespace"))
        fail_msg("expected no pid namespace: %s", out);
    if (!strstr(out, "\"std_out\":\"nice 1 affinity 1 scheduler 1 param 1 ioprio 1 own True\\n\""))
        fail_msg("%.300s", strstr(out, "\"std_out\"") ? strstr(out, "\"std_out\"") : out);
    assert_int_equal(nice_value, own_nice);
    assert_int_equal(scheduler, SCHED_OTHER);
    assert_true(io_priority >> 13 != 3); /* not the idle class */
}

/* The hostile program's probe-variants through the runner, under
 * `policy_text`, with `environment` and the runner `options`, into `out`. */
static void run_probe(const char *environment, const char *policy_text, const char *options,
                      char *out, size_t size)
{
    char policy[] = "/tmp/cordon-own-allows-XXXXXX";
    int fd = mkstemp(policy);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, policy_text, strlen(policy_text)), (ssize_t)strlen(policy_text));
    close(fd);
    const char *runner = getenv("CORDON_RUNNER"), *hostile = getenv("CORDON_HOSTILE_DIR");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s run --quiet --json --policy %s %s -- %s/hostile "
             "probe-variants", environment, runner ? runner : "build/cordon", policy, options,
             hostile ? hostile : "build/hostile");
    read_command_output(cmd, out, size);
    unlink(policy);
}

/* What the variants of a policy refuse for a task without a pid namespace
 * or a tree hold (leaving its process group, setting the caller's limits)
 * or under file rules (a watch on a directory it may not list) holds
 * against a policy that allows those calls by name and refuses the rest,
 * as an imported Docker profile does (its default is an errno). */
static void test_policy_variants_hold_against_the_policy_s_own_allows(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2)");
    static const char policy[] =
        "default errno ENOSYS\n"
        "allow execve brk arch_prctl set_tid_address set_robust_list rseq mprotect mmap munmap\n"
        "allow newfstatat fstat openat read pread64 close access getrandom write exit_group\n"
        "allow prlimit64 setsid setpgid getppid getpid inotify_init1 inotify_add_watch\n"
        "allow clone wait4 exit\n"
        /* what an AddressSanitizer build of cordon does after the filter */
        "allow sigaltstack rt_sigaction rt_sigprocmask madvise gettid sched_yield\n";
    char out[8192];
    run_probe("CORDON_NO_NAMESPACES=1 CORDON_CGROUP=none", policy, "", out, sizeof out);
    if (record_held_by(out, "cgroup") || record_held_by(out, "pid_namespace"))
        fail_msg("expected neither a pid namespace nor a cgroup: %s", out);
    if (!strstr(out, "\"std_out\":\"setpgid 1 setsid 1 prlimit 1 watch 0\\n\""))
        fail_msg("%s", out);

    char options[1024];
    const char *hostile = getenv("CORDON_HOSTILE_DIR");
    snprintf(options, sizeof options, "--ro /usr --ro /lib --ro /lib64 --exec /usr --exec /lib "
             "--exec /lib64 --ro %s --exec %s", hostile ? hostile : "build/hostile",
             hostile ? hostile : "build/hostile");
    run_probe("", policy, options, out, sizeof out);
    if (!record_held_by(out, "file_rules")) {
        print_message("no Landlock here: the watch part is skipped\n");
        return;
    }
    if (!strstr(out, "watch 13\\n\""))
        fail_msg("%s", out);
}

static int capability_calls(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    struct timespec zero = { 0, 0 };
    struct { const char *name; long rc; } calls[] = {
        { "chroot", chroot("/nonexistent") },
        { "clock_settime", clock_settime(CLOCK_MONOTONIC, &zero) },
        { "mount", syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL) },
        { "umount2", syscall(SYS_umount2, "/tmp", 0) },
        { "swapoff", syscall(SYS_swapoff, "/nonexistent") },
        { "acct", syscall(SYS_acct, NULL) },
        { "iopl", syscall(SYS_iopl, 3) },
        { "delete_module", syscall(SYS_delete_module, "nonexistent", 0) },
        { "open_by_handle_at", syscall(SYS_open_by_handle_at, -1, NULL, 0) },
    };
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
        printf("%s %ld %s\n", calls[i].name, calls[i].rc, calls[i].rc < 0 ? strerror(errno) : "");
    return 0;
}

static int call_bpf(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("bpf %ld\n", syscall(SYS_bpf, 0, NULL, 0));
    return 0;
}

/* Calls a task without capabilities could never complete fail with
 * EPERM (a program probing them goes on); attack surface is killed. */
static void test_policy_default_refuses_capability_calls_and_kills_attack_surface(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind runs the calls itself");
    cordon_task *t = cordon_function_task(capability_calls, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data,
                        "chroot -1 Operation not permitted\n"
                        "clock_settime -1 Operation not permitted\n"
                        "mount -1 Operation not permitted\n"
                        "umount2 -1 Operation not permitted\n"
                        "swapoff -1 Operation not permitted\n"
                        "acct -1 Operation not permitted\n"
                        "iopl -1 Operation not permitted\n"
                        "delete_module -1 Operation not permitted\n"
                        "open_by_handle_at -1 Operation not permitted\n");
    cordon_task_free(t);
    t = cordon_function_task(call_bpf, NULL);
    r = run_task(t, CORDON_EXCEPTION);
    assert_violation(r, "the policy 'default' forbids bpf(");
    assert_int_equal(r->std_out.len, 0);
    cordon_task_free(t);
}

/* nonet looks like a machine without a network: no kill for glibc's own
 * netlink query or a resolver's probe, EAFNOSUPPORT for internet sockets. */
static void test_policy_nonet_looks_like_a_machine_without_a_network(void **state)
{
    (void)state;
    cordon_policy *p = policy("nonet");
    cordon_task *t;
    const cordon_result *r = run_under(p, make_socket, (void *)(intptr_t)AF_INET, 0, &t);
    assert_string_equal(r->std_out.data, "socket Address family not supported by protocol\n");
    cordon_task_free(t);
    r = run_under(p, make_socket, (void *)(intptr_t)AF_NETLINK, 0, &t);
    assert_string_equal(r->std_out.data, "socket Address family not supported by protocol\n");
    cordon_task_free(t);
    r = run_under(p, make_socket, (void *)(intptr_t)AF_UNIX, 0, &t);
    assert_string_equal(r->std_out.data, unix_socket_made());
    cordon_task_free(t);
    cordon_policy_free(p);

    r = run_shell(&t, "nonet", "getent hosts localhost | cut -c1-9; exec python3 -c '"
                  "import socket\n"
                  "print(socket.getaddrinfo(\"localhost\", 80, socket.AF_INET, "
                  "flags=socket.AI_ADDRCONFIG)[0][4])\n"
                  "try:\n    socket.if_nameindex()\nexcept OSError as e:\n"
                  "    print(\"if_nameindex\", e.errno)'", 0);
    assert_string_equal(r->std_out.data, "127.0.0.1\n('127.0.0.1', 80)\nif_nameindex 97\n");
    cordon_task_free(t);
}

static int set_own_limits(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    struct rlimit files = { 64, 64 };
    long pid = (long)(intptr_t)arg ? (long)(intptr_t)arg : getpid();
    printf("prlimit64 %ld\n", syscall(SYS_prlimit64, pid, RLIMIT_NOFILE, &files, NULL));
    return 0;
}

/* A task sets its own limits through its own pid (2 in its namespace),
 * not those of cordon's init, however the pid is dressed up. */
static void test_policy_default_lets_a_task_set_its_own_limits(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind answers a process's calls on its own RLIMIT_NOFILE itself");
    cordon_task *t = cordon_function_task(set_own_limits, NULL);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    bool in_pid_namespace = r->confinement & CORDON_CONFINED_PID_NAMESPACE;
    if (in_pid_namespace) {
        assert_int_equal(rc, 0);
        assert_string_equal(r->std_out.data, "prlimit64 0\n");
    } else { /* it can name every process: only pid 0 is its own */
        assert_violation(r, "forbids prlimit64(");
    }
    cordon_task_free(t);
    t = cordon_function_task(set_own_limits, (void *)(intptr_t)((1l << 32) | 1));
    r = run_task(t, CORDON_EXCEPTION);
    assert_violation(r, "forbids prlimit64(");
    cordon_task_free(t);

    r = run_shell(&t, NULL, "exec python3 -c 'import os, resource\n"
                  "resource.prlimit(os.getpid(), resource.RLIMIT_NOFILE, (64, 64))\n"
                  "resource.prlimit(0, resource.RLIMIT_NOFILE, (32, 32))\n"
                  "print(resource.getrlimit(resource.RLIMIT_NOFILE))'",
                  in_pid_namespace ? 0 : CORDON_EXCEPTION);
    if (in_pid_namespace)
        assert_string_equal(r->std_out.data, "(32, 32)\n");
    cordon_task_free(t);
}

/* readonly: opening a null device or a terminal for writing changes no
 * file (bash opens /dev/tty read-write at its start, `>/dev/null`,
 * subprocess.DEVNULL, os.openpty, whose terminal has its name in the
 * task's own /dev/pts); a file, or a link to /dev/null, is still refused. */
static void test_policy_readonly_lets_devices_open_for_writing_but_not_files(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_task *t;
    const cordon_result *r = run_shell(&t, "readonly",
        "exec bash -c 'echo hi >/dev/null; echo x >/dev/full 2>/dev/null; echo ok; "
        "exec python3 -c \"import os, subprocess\n"
        "print(subprocess.run([\\\"echo\\\", \\\"x\\\"], stdout=subprocess.DEVNULL).returncode)\n"
        "m, s = os.openpty(); os.write(s, b\\\"y\\\"); print(os.read(m, 10))\n"
        "print(os.ttyname(s).startswith(\\\"/dev/pts/\\\"))\n"
        "try:\n    open(\\\"/dev/tty\\\", \\\"w\\\")\n"
        "except OSError as e:\n    print(\\\"tty\\\", e.errno)\"'", 0);
    assert_string_equal(r->std_out.data, "ok\n0\nb'y'\nTrue\ntty 6\n");
    cordon_task_free(t);

    char dir[] = "/tmp/cordon-readonly-XXXXXX";
    assert_non_null(mkdtemp(dir));
    chmod(dir, 0777);
    char line[512], link_path[300];
    snprintf(link_path, sizeof link_path, "%s/null", dir);
    assert_int_equal(symlink("/dev/null", link_path), 0);
    snprintf(line, sizeof line, "echo before; echo hi > %s/file; echo after", dir);
    r = run_shell(&t, "readonly", line, CORDON_EXCEPTION);
    assert_violation(r, "the policy 'readonly' forbids openat(");
    assert_string_equal(r->std_out.data, "before\n");
    cordon_task_free(t);
    snprintf(line, sizeof line, "echo hi > %s; echo after", link_path);
    r = run_shell(&t, "readonly", line, CORDON_EXCEPTION);
    assert_violation(r, "the policy 'readonly' forbids openat(");
    cordon_task_free(t);
    snprintf(line, sizeof line, "%s/file", dir);
    assert_int_equal(access(line, F_OK), -1);
    unlink(link_path);
    rmdir(dir);

    /* With file rules the parent opens nothing for the task (its open
     * would pass by them): bash still starts, >/dev/null is refused. */
    t = shell("exec bash -c 'echo started; echo hi >/dev/null; echo after'");
    cordon_policy *p = policy("readonly");
    cordon_set_policy(t, p);
    if (cordon_allow_system_paths(t) == -EOPNOTSUPP ||
        cordon_allow_path(t, "/tmp", CORDON_READ) == -EOPNOTSUPP) {
        cordon_task_free(t);
        cordon_policy_free(p);
        print_message("skipped the file rules' case: no Landlock here\n");
        return;
    }
    r = run_task(t, CORDON_EXCEPTION);
    assert_violation(r, "the policy 'readonly' forbids openat(");
    assert_string_equal(r->std_out.data, "started\n");
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* Each way a task sets a file's mode, with the set-uid bit, the set-gid
 * bit and both, then a plain mode; each way it makes a file with a mode,
 * with each bit; openat2; one line each, the errno's name or "done", and
 * the file's mode at the end. */
static int set_id_modes(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const char *path = arg;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    const unsigned modes[] = { 04755, 02755, 06755, 0700 };
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) {
        long rc[4] = {
            chmod(path, modes[m]),
            fchmod(fd, modes[m]),
            fchmodat(AT_FDCWD, path, modes[m], 0),
            syscall(452 /* fchmodat2 */, AT_FDCWD, path, (unsigned long)modes[m], 0),
        };
        for (int w = 0; w < 4; w++)
            printf("%s ", rc[w] == 0 ? "done" : strerrorname_np(errno));
        printf("\n");
        if (modes[m] != 0700)
            for (int w = 0; w < 4; w++)
                if (rc[w] == 0)
                    return 2; /* errno was another call's */
    }
    /* Made with the bit: S_ISGID without g+x outlives a write, and an
     * ACL gives the group its x afterwards. */
    char made[512];
    snprintf(made, sizeof made, "%s.made", path);
    const unsigned made_modes[] = { 04755, 02700 };
    for (size_t m = 0; m < 2; m++) {
        long rc[5] = {
            syscall(SYS_open, made, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, made_modes[m]),
            syscall(SYS_creat, made, made_modes[m]),
            syscall(SYS_openat, AT_FDCWD, made, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    made_modes[m]),
            syscall(SYS_mknod, made, S_IFREG | made_modes[m], 0),
            syscall(SYS_mknodat, AT_FDCWD, made, S_IFREG | made_modes[m], 0),
        };
        for (int w = 0; w < 5; w++) {
            printf("%s ", rc[w] >= 0 ? "done" : strerrorname_np(errno));
            if (rc[w] >= 0)
                return 3;
        }
        printf("\n");
    }
    struct { uint64_t flags, mode, resolve; } how = { O_WRONLY | O_CREAT | O_CLOEXEC, 02700, 0 };
    long rc = syscall(437 /* openat2 */, AT_FDCWD, made, &how, sizeof how);
    printf("%s\n", rc >= 0 ? "done" : strerrorname_np(errno));
    int plain = openat(AT_FDCWD, made, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (plain < 0)
        return 4;
    close(plain);
    unlink(made);
    struct stat st;
    printf("%o\n", fstat(fd, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0u);
    close(fd);
    return 0;
}

static const char set_id_refused[] =
    "EPERM EPERM EPERM EPERM \nEPERM EPERM EPERM EPERM \nEPERM EPERM EPERM EPERM \n"
    "done done done done \nEPERM EPERM EPERM EPERM EPERM \nEPERM EPERM EPERM EPERM EPERM \n"
    "ENOSYS\n700\n";

static void assert_no_set_id_mode(cordon_policy *p, const char *path)
{
    cordon_task *t;
    const cordon_result *r = run_under(p, set_id_modes, (void *)path, 0, &t);
    if (strcmp(r->std_out.data, set_id_refused) != 0 || r->exit_code != 0)
        fail_msg("under %s: exit %d %s%s", p ? cordon_policy_name(p) : "no policy",
                 r->exit_code, r->std_out.data, r->exc_out.data);
    cordon_task_free(t);
}

/* io_uring, whose OPENAT takes its mode from memory, and a read-only open
 * given a stray mode (the kernel reads it only to create). */
static int uring_and_stray_mode(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char params[120] = { 0 };
    long ring = syscall(SYS_io_uring_setup, 8, params);
    printf("io_uring %s\n", ring >= 0 ? "made" : strerrorname_np(errno));
    long fd = syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY | O_CLOEXEC, 02644);
    printf("stray mode %s\n", fd >= 0 ? "opened" : strerrorname_np(errno));
    return 0;
}

/* No task makes a file set-uid or set-gid, under any policy that lets
 * chmod through, whatever its own allows say, nor under cordon's own rules
 * alone (no policy, no pid namespace).  A task without capabilities may
 * set the bits on a file it owns, and the file outlives it: given a
 * writable path, a task (as root) left a copy of `id` there set-uid, and
 * any user who ran it afterwards had euid 0. */
static void test_policy_no_task_makes_a_file_set_id(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open and seccomp(2), which the start of "
                        "its task needs");
    char dir[] = "/tmp/cordon-set-id-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/program", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    close(fd);
    const char *named[] = { "default", "noexec", "nonet" }; /* compute opens no file */
    for (size_t i = 0; i < sizeof named / sizeof *named; i++) {
        cordon_policy *p = policy(named[i]);
        assert_no_set_id_mode(p, path);
        cordon_policy_free(p);
    }
    /* An allow-list whose allows compare other arguments than the mode:
     * deciding from sample arguments (fd 3, AT_FDCWD) had it let the
     * bits through. */
    static const char allow_list[] =
        "default kill\n"
        "allow read write lseek close fstat newfstatat brk munmap mmap mprotect madvise\n"
        "allow rt_sigreturn rt_sigaction rt_sigprocmask sigaltstack futex set_robust_list rseq\n"
        "allow readv writev pread64 pwrite64 dup dup3 fcntl mremap membarrier sched_yield\n"
        "allow clock_gettime clock_nanosleep nanosleep getuid geteuid getrlimit getrusage\n"
        "allow restart_syscall sched_getaffinity getppid ioctl\n"
        "allow getpid gettid tgkill exit exit_group unlink unlinkat prlimit64 getrandom\n"
        "allow open creat chmod mknod if arg0 != 0\n"
        "allow openat fchmodat fchmodat2 mknodat openat2 if arg0 != 99\n"
        "allow fchmod if arg0 != 99\n";
    const char *texts[] = {
        "default allow\n",
        "default allow\nallow chmod fchmod fchmodat fchmodat2 open openat creat mknod mknodat\n",
        "default allow\nallow fchmodat if arg2 == 04755\nallow chmod if arg1 & 04000 == 04000\n"
        "allow openat if arg3 == 02700\n",
        allow_list,
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        cordon_policy *p = inline_policy(texts[i]);
        assert_no_set_id_mode(p, path);
        cordon_policy_free(p);
    }
    cordon_policy *allowing = inline_policy("default allow\n");
    cordon_task *t;
    const cordon_result *r = run_under(allowing, uring_and_stray_mode, NULL, 0, &t);
    assert_string_equal(r->std_out.data, "io_uring EPERM\nstray mode opened\n");
    cordon_task_free(t);
    cordon_policy_free(allowing);
    pid_t copy = fork(); /* namespaces are known once per process */
    assert_true(copy >= 0);
    if (copy == 0) {
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        t = cordon_function_task(set_id_modes, path);
        cordon_set_policy(t, NULL); /* cordon's rules alone */
        int rc = cordon_run(t);
        r = cordon_task_result(t);
        bool refused = rc == 0 && strcmp(r->std_out.data, set_id_refused) == 0;
        cordon_task_free(t);
        t = cordon_function_task(uring_and_stray_mode, NULL);
        cordon_set_policy(t, NULL);
        rc = cordon_run(t);
        r = cordon_task_result(t);
        refused = refused && rc == 0 &&
                  strcmp(r->std_out.data, "io_uring EPERM\nstray mode opened\n") == 0;
        _exit(refused ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    unlink(path);
    rmdir(dir);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_nonet_kill_kills_inet_sockets_and_names_them),
        cmocka_unit_test(test_policy_violation_decodes_arguments_and_names_the_rule),
        cmocka_unit_test(test_policy_violation_reads_paths_from_the_task),
        cmocka_unit_test(test_policy_violation_path_on_a_page_nobody_serves_hangs_nothing),
        cmocka_unit_test(test_policy_unserved_reads_never_hold_a_sibling_s_read),
        cmocka_unit_test(test_policy_default_kills_userfaultfd_through_the_device),
        cmocka_unit_test(test_policy_no_userfaultfd_without_a_pid_namespace),
        cmocka_unit_test(test_policy_device_open_of_a_fifo_put_as_ptmx_hangs_nothing),
        cmocka_unit_test(test_policy_violation_names_the_paths_of_every_path_call),
        cmocka_unit_test(test_policy_nonet_kill_names_a_commands_socket_too),
        cmocka_unit_test(test_policy_readonly_kills_writes_and_allows_reads),
        cmocka_unit_test(test_policy_noexec_lets_only_the_commands_own_exec_through),
        cmocka_unit_test(test_policy_noexec_stops_a_function_from_exec),
        cmocka_unit_test(test_policy_errno_execve_lets_the_commands_own_exec_through),
        cmocka_unit_test(test_policy_no_exec_after_the_commands_own_gets_its_pass),
        cmocka_unit_test(test_policy_compute_runs_pure_functions_only),
        cmocka_unit_test(test_policy_default_denies_and_names),
        cmocka_unit_test(test_policy_unconditional_rule_overrides_included_conditions),
        cmocka_unit_test(test_policy_refusing_cordons_own_calls_does_not_hang),
        cmocka_unit_test(test_policy_without_a_listener_names_only_the_filter_s_sigsys),
        cmocka_unit_test(test_policy_readonly_kills_sideways_changes),
        cmocka_unit_test(test_policy_readonly_kills_newer_calls_that_change_files),
        cmocka_unit_test(test_policy_readonly_kills_inode_ioctls_on_a_read_only_fd),
        cmocka_unit_test(test_policy_default_refuses_calls_above_its_table),
        cmocka_unit_test(test_policy_violation_shows_a_known_call_s_own_arguments),
        cmocka_unit_test(test_policy_rule_by_number_is_enforced_and_named),
        cmocka_unit_test(test_policy_default_and_compute_keep_other_processes_limits),
        cmocka_unit_test(test_policy_default_sees_32_bit_ioctl_requests_whole),
        cmocka_unit_test(test_policy_errno_goes_on_trap_is_named),
        cmocka_unit_test(test_policy_none_means_no_filter),
        cmocka_unit_test(test_policy_shared_by_many_tasks_at_once),
        cmocka_unit_test(test_policy_default_lets_sessions_start_and_still_ends_the_tree),
        cmocka_unit_test(test_policy_default_refuses_setsid_where_nothing_holds_the_tree),
        cmocka_unit_test(test_policy_default_refuses_tuning_others_without_a_pid_namespace),
        cmocka_unit_test(test_policy_variants_hold_against_the_policy_s_own_allows),
        cmocka_unit_test(test_policy_default_refuses_capability_calls_and_kills_attack_surface),
        cmocka_unit_test(test_policy_nonet_looks_like_a_machine_without_a_network),
        cmocka_unit_test(test_policy_default_lets_a_task_set_its_own_limits),
        cmocka_unit_test(test_policy_readonly_lets_devices_open_for_writing_but_not_files),
        cmocka_unit_test(test_policy_no_task_makes_a_file_set_id),
    };
    return cmocka_run_group_tests(tests, set_up, NULL);
}
