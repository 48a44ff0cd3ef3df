/*
 * cordon_learn and `cordon learn`: a learned policy lets the learned run
 * through again, stops the same program doing one thing more with a named
 * violation, merges runs, keeps the base policy's kills and errnos, and
 * cannot be made to say more than the runs did.
 */
#include <fcntl.h>
#include <grp.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "support.h"
#include "unserved_page.h"

static char threads_path[512];
static char data_path[] = "/tmp/cordon-learn-XXXXXX";
static char script_path[] = "/tmp/cordon-learn-script-XXXXXX";

static const char script[] =
    "import sys, _socket\n"
    "with open(sys.argv[1]) as f:\n"
    "    print(f.read().strip(), flush=True)\n"
    "if len(sys.argv) > 2 and sys.argv[2] == 'write':\n"
    "    open(sys.argv[1] + '.written', 'w')\n"
    "elif len(sys.argv) > 2:\n"
    "    _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)\n";

static void write_file(char *template, const char *text)
{
    int fd = mkstemp(template);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    fchmod(fd, 0644);
    close(fd);
}

static int set_up(void **state)
{
    (void)state;
    const char *dir = getenv("CORDON_HOSTILE_DIR");
    snprintf(threads_path, sizeof threads_path, "%s/learn_threads", dir ? dir : "build/hostile");
    write_file(data_path, "some bytes to sum\n");
    write_file(script_path, script);
    return 0;
}

static int tear_down(void **state)
{
    (void)state;
    unlink(data_path);
    unlink(script_path);
    return 0;
}

/* Learns one run of `t` into `l`; skips where the kernel cannot. */
static void learn(cordon_task *t, cordon_learned *l, int expected_rc)
{
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    int rc = cordon_learn(t, l);
    if (rc == -EOPNOTSUPP) {
        print_message("skipped: the kernel has no seccomp user notification\n");
        skip();
    }
    const cordon_result *r = cordon_task_result(t);
    if (rc != expected_rc)
        fail_msg("learn: rc %d, %s\n%s%s", rc, r->exception ? r->exception : "no exception",
                 r->exc_out.data, r->std_err.data);
}

static char *written(const cordon_learned *l, const char *title)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(cordon_learned_write(l, out, title), 0);
    fclose(out);
    return text;
}

static cordon_policy *compiled(const char *text)
{
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(text, "learned", &err);
    if (!p)
        fail_msg("the learned policy does not compile: %s\n%s", err.message, text);
    return p;
}

static cordon_task *command(const char *a, const char *b, const char *c, const char *d)
{
    const char *argv[] = { a, b, c, d, NULL };
    cordon_task *t = cordon_command_task(argv);
    assert_non_null(t);
    return t;
}

static const cordon_result *run_under(cordon_task *t, const cordon_policy *p, int expected_rc)
{
    cordon_set_policy(t, p);
    return run_task(t, expected_rc);
}

static void assert_named_violation(const cordon_result *r, const char *call)
{
    assert_string_equal(r->exception, "PolicyViolation");
    if (!strstr(r->exc_out.data, call))
        fail_msg("'%s' not in exc_out: %s", call, r->exc_out.data);
}

/* A Python script that reads a file and prints it: the learned policy
 * runs it again, and the same script opening an internet socket dies
 * naming the call. */
static void test_learn_python_script_runs_under_its_policy_and_more_is_killed(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_learned *l = cordon_learned_new();
    cordon_task *t = command("python3", script_path, data_path, NULL);
    learn(t, l, 0);
    assert_string_equal(cordon_task_result(t)->std_out.data, "some bytes to sum\n");
    char *text = written(l, "python3 script");
    cordon_policy *p = compiled(text);
    assert_non_null(strstr(text, "\ndefault kill\n"));
    /* It made no internet socket.  Without HOME, Python's start asks
     * NSS for the home directory, which may connect to nscd over
     * AF_UNIX: that socket is learned, narrowed to its family. */
    assert_null(strstr(text, "AF_INET"));
    assert_null(strstr(text, "allow socket\n"));

    const cordon_result *r = run_under(t, p, 0);
    assert_string_equal(r->std_out.data, "some bytes to sum\n");
    assert_int_equal(r->exit_code, 0);

    cordon_task *more = command("python3", script_path, data_path, "socket");
    r = run_under(more, p, CORDON_EXCEPTION);
    assert_named_violation(r, "forbids socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)");
    assert_string_equal(r->std_out.data, "some bytes to sum\n");

    cordon_task_free(more);
    cordon_task_free(t);
    cordon_policy_free(p);
    free(text);
    cordon_learned_free(l);
}

/* A C program with four threads: clone is allowed only with the flags
 * pthread_create passed, clone3 keeps the default policy's ENOSYS (which
 * sends glibc to clone), and a socket more is killed. */
static void test_learn_threaded_program_runs_under_its_policy_and_more_is_killed(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_learned *l = cordon_learned_new();
    cordon_task *t = command(threads_path, data_path, NULL, NULL);
    learn(t, l, 0);
    char *text = written(l, NULL);
    assert_non_null(strstr(text, "allow clone if arg0 == CLONE_VM|CLONE_FS|CLONE_FILES|"
                                 "CLONE_SIGHAND|CLONE_THREAD|"));
    assert_non_null(strstr(text, "\nerrno ENOSYS clone3\n"));
    assert_null(strstr(text, "execve")); /* the command's own exec is cordon's */
    cordon_policy *p = compiled(text);

    const cordon_result *r = run_under(t, p, 0);
    assert_string_equal(r->std_out.data, "18 bytes, sum 1661\n");

    cordon_task *more = command(threads_path, data_path, "socket", NULL);
    r = run_under(more, p, CORDON_EXCEPTION);
    assert_named_violation(r, "forbids socket(AF_INET, SOCK_STREAM, 0)");

    /* fork's flags were never seen: a child is a violation too */
    cordon_task *child = command(threads_path, data_path, "child", NULL);
    r = run_under(child, p, CORDON_EXCEPTION);
    assert_named_violation(r, "forbids clone(");

    cordon_task_free(child);
    cordon_task_free(more);
    cordon_task_free(t);
    cordon_policy_free(p);
    free(text);
    cordon_learned_free(l);
}

/* Whether a rule (not a comment) of `text` names `word`. */
static bool rule_mentions(const char *text, const char *word)
{
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *copy = strndup(line, len);
        bool found = *line != '#' && strstr(copy, word) != NULL;
        free(copy);
        if (found)
            return true;
        line += len + (end != NULL);
    }
    return false;
}

/* Drops every whole word `word` from `text`, in place. */
static void drop_word(char *text, const char *word)
{
    size_t len = strlen(word);
    for (char *at = strstr(text, word); at; at = strstr(at, word)) {
        bool whole = (at == text || at[-1] == ' ' || at[-1] == '\n') &&
                     (at[len] == ' ' || at[len] == '\n');
        if (whole)
            memmove(at, at + len, strlen(at + len) + 1);
        else
            at += len;
    }
}

/* A learning run is slow, so its threads may all end before they are
 * joined and it never waits on a futex; the run under the learned policy,
 * at full speed, does.  Once threads were made, futex is written whether
 * a run waited or not (and rt_sigreturn once a signal's action was set,
 * restart_syscall once a call slept with a timeout): a record made
 * without them still runs the program every time. */
static void test_learn_calls_made_by_timing_alone_come_with_their_cause(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_learned *l = cordon_learned_new();
    cordon_task *t = command(threads_path, data_path, NULL, NULL);
    learn(t, l, 0);
    char *text = written(l, NULL);
    cordon_learned_free(l);
    drop_word(text, "futex");
    drop_word(text, "restart_syscall");
    drop_word(text, "rt_sigreturn");
    assert_false(rule_mentions(text, "futex"));
    cordon_policy *unlucky = compiled(text);
    l = cordon_learned_new();
    cordon_error err;
    /* Each NULL is named: the error was left as an earlier call had it. */
    snprintf(err.message, sizeof err.message, "stale");
    assert_int_equal(cordon_learned_merge(l, NULL, &err), -EINVAL);
    assert_string_equal(err.message, "the policy to merge is NULL");
    assert_int_equal(cordon_learned_merge(NULL, unlucky, &err), -EINVAL);
    assert_string_equal(err.message, "the learned record is NULL");
    assert_int_equal(cordon_learned_merge(l, unlucky, &err), 0);
    cordon_policy_free(unlucky);
    free(text);
    text = written(l, NULL);
    assert_true(rule_mentions(text, "futex"));
    assert_true(rule_mentions(text, "restart_syscall"));
    assert_true(rule_mentions(text, "rt_sigreturn")); /* glibc's threads set SIGCANCEL's */
    cordon_policy *p = compiled(text);
    for (int i = 0; i < 20; i++) {
        const cordon_result *r = run_under(t, p, 0);
        assert_string_equal(r->std_out.data, "18 bytes, sum 1661\n");
    }
    cordon_policy_free(p);
    free(text);
    cordon_learned_free(l);

    /* without threads, no futex; a fork's clone makes none either */
    cordon_policy *forks = cordon_policy_parse("default kill\nallow clone if arg0 == SIGCHLD\n"
                                               "allow read write\n", "forks", &err);
    assert_non_null(forks);
    l = cordon_learned_new();
    assert_int_equal(cordon_learned_merge(l, forks, &err), 0);
    text = written(l, NULL);
    assert_false(rule_mentions(text, "futex"));
    assert_false(rule_mentions(text, "rt_sigreturn"));
    assert_false(rule_mentions(text, "restart_syscall"));
    free(text);
    cordon_learned_free(l);
    cordon_policy_free(forks);

    /* a base that refuses one decides it: a run that never met it does not
     * get it allowed */
    cordon_policy *base = cordon_policy_parse("default allow\nerrno EPERM futex if arg1 == 99\n",
                                              "base.policy", &err);
    assert_non_null(base);
    cordon_learned *fresh = cordon_learned_new();
    cordon_policy *threads = cordon_policy_parse("default kill\nallow clone if arg0 == "
                                                 "CLONE_VM|CLONE_THREAD\n", "threads", &err);
    assert_non_null(threads);
    cordon_task *plain = command("/bin/true", NULL, NULL, NULL);
    cordon_set_policy(plain, base);
    learn(plain, fresh, 0);
    assert_int_equal(cordon_learned_merge(fresh, threads, &err), 0);
    text = written(fresh, NULL);
    assert_false(rule_mentions(text, "futex"));
    assert_true(rule_mentions(text, "restart_syscall")); /* the base says nothing of it */
    free(text);
    cordon_task_free(plain);
    cordon_policy_free(threads);
    cordon_learned_free(fresh);
    cordon_policy_free(base);
    cordon_task_free(t);
}

/* Two runs learned apart, each written as a policy, merge into one that
 * lets both through: the threads, and the fork and exec of a child (whose
 * calls, made in another process and another program, were recorded). */
static void test_learn_merges_policies_of_two_runs(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_learned *first = cordon_learned_new(), *second = cordon_learned_new();
    cordon_task *plain = command(threads_path, data_path, NULL, NULL);
    cordon_task *child = command(threads_path, data_path, "child", NULL);
    learn(plain, first, 0);
    learn(child, second, 0);
    char *text1 = written(first, "plain"), *text2 = written(second, "child");
    assert_non_null(strstr(text2, "execve")); /* the child's exec of /bin/true */
    cordon_policy *p1 = compiled(text1), *p2 = compiled(text2);

    cordon_learned *merged = cordon_learned_new();
    cordon_error err;
    assert_int_equal(cordon_learned_merge(merged, p1, &err), 0);
    assert_int_equal(cordon_learned_merge(merged, p2, &err), 0);
    assert_int_equal(cordon_learned_runs(merged), 2);
    char *text = written(merged, "both");
    /* merged policies are named as such, not counted as runs (each may
     * hold many) */
    assert_non_null(strstr(text, "# Merged by cordon from 2 learned policies: both\n"));
    cordon_policy *p = compiled(text);

    assert_string_equal(run_under(plain, p, 0)->std_out.data, "18 bytes, sum 1661\n");
    assert_int_equal(run_under(child, p, 0)->exit_code, 0);
    /* what neither run did is still refused */
    cordon_task *more = command(threads_path, data_path, "socket", NULL);
    assert_named_violation(run_under(more, p, CORDON_EXCEPTION), "forbids socket(AF_INET");
    /* and the first policy alone does not let the child through */
    assert_named_violation(run_under(child, p1, CORDON_EXCEPTION), "forbids clone(");

    /* merging the merged text again changes nothing */
    assert_int_equal(cordon_learned_merge(merged, p, &err), 0);
    char *again = written(merged, "both");
    assert_string_equal(strchr(again, '\n'), strchr(text, '\n'));

    cordon_task_free(more);
    cordon_task_free(plain);
    cordon_task_free(child);
    cordon_policy_free(p1);
    cordon_policy_free(p2);
    cordon_policy_free(p);
    free(text1);
    free(text2);
    free(text);
    free(again);
    cordon_learned_free(first);
    cordon_learned_free(second);
    cordon_learned_free(merged);
}

static int read_and_return(cordon_ctx *ctx, void *arg)
{
    char buf[64] = { 0 };
    int fd = open(arg, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0)
        return 1;
    close(fd);
    cordon_return(ctx, buf, strlen(buf));
    if (strstr(buf, "socket"))
        return socket(AF_INET, SOCK_DGRAM, 0) < 0 ? 2 : 3;
    return 0;
}

/* A function task: the calls cordon makes after the filter (the setup
 * record's munmap) are in the policy, so the function starts under it. */
static void test_learn_function_task(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_learned *l = cordon_learned_new();
    cordon_task *t = cordon_function_task(read_and_return, data_path);
    learn(t, l, 0);
    assert_int_equal(cordon_task_result(t)->exit_code, 0);
    char *text = written(l, "function");
    assert_non_null(strstr(text, "munmap"));
    cordon_policy *p = compiled(text);
    const cordon_result *r = run_under(t, p, 0);
    assert_int_equal(r->exit_code, 0);
    assert_memory_equal(r->returns.data, "some bytes to sum\n", r->returns.len);

    char other[] = "/tmp/cordon-learn-socket-XXXXXX";
    write_file(other, "socket please\n");
    cordon_task *more = cordon_function_task(read_and_return, other);
    assert_named_violation(run_under(more, p, CORDON_EXCEPTION), "forbids socket(AF_INET");
    unlink(other);

    cordon_task_free(more);
    cordon_task_free(t);
    cordon_policy_free(p);
    free(text);
    cordon_learned_free(l);
}

/* A run whose task never began is no run: counted, a ConfinementError's
 * run made `default kill` alone the learned policy (cordon_learned_write
 * wrote it, returning 0), which kills every task. */
static int failing_setup(void *arg, cordon_error *err)
{
    (void)arg;
    snprintf(err->message, sizeof err->message, "no set-up today");
    return -1;
}

static int return_nothing_hook(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    return 0;
}

static int return_nothing(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

static void test_learn_a_run_that_never_began_is_not_counted(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_learned *l = cordon_learned_new();
    char gone[] = "/tmp/cordon-learn-gone-XXXXXX";
    assert_non_null(mkdtemp(gone));
    cordon_task *refused = cordon_shell_task("true");
    assert_int_equal(cordon_set_cwd(refused, gone), 0);
    assert_int_equal(rmdir(gone), 0);
    cordon_learn(refused, l);
    assert_string_equal(cordon_task_result(refused)->exception, "ConfinementError");
    const char *missing[] = { "/nonexistent/cordon-command", NULL };
    cordon_task *not_found = cordon_command_task(missing);
    cordon_learn(not_found, l);
    assert_string_equal(cordon_task_result(not_found)->exception, "ExecError");
    /* with a set-up hook the start's note is no evidence: a failed hook
     * was counted */
    cordon_task *hooked = cordon_function_task(return_nothing, NULL);
    assert_int_equal(cordon_set_setup_hook(hooked, failing_setup, NULL), 0);
    cordon_learn(hooked, l);
    assert_string_equal(cordon_task_result(hooked)->exception, "SetupError");
    cordon_task_free(hooked);
    if (geteuid() == 0) { /* and a set-up step refused under a hook: nobody's cwd */
        char closed[] = "/tmp/cordon-learn-closed-XXXXXX";
        assert_non_null(mkdtemp(closed));
        hooked = cordon_function_task(return_nothing, NULL);
        assert_int_equal(cordon_set_setup_hook(hooked, return_nothing_hook, NULL), 0);
        assert_int_equal(cordon_set_user(hooked, 65534, 65534), 0);
        assert_int_equal(cordon_set_cwd(hooked, closed), 0);
        cordon_learn(hooked, l);
        assert_string_equal(cordon_task_result(hooked)->exception, "ConfinementError");
        cordon_task_free(hooked);
        rmdir(closed);
    }
    assert_int_equal(cordon_learned_runs(l), 0);
    FILE *out = fopen("/dev/null", "w");
    assert_int_equal(cordon_learned_write(l, out, "never"), -ENODATA);
    cordon_task *ran = cordon_shell_task("true");
    assert_int_equal(cordon_learn(ran, l), 0);
    assert_int_equal(cordon_learned_runs(l), 1);
    assert_int_equal(cordon_learned_write(l, out, "ran"), 0);
    fclose(out);
    cordon_task_free(ran);
    cordon_task_free(not_found);
    cordon_task_free(refused);
    cordon_learned_free(l);
}

/* Calls a number no rule can name (1024 and up): learning answers them
 * ENOSYS, and so must the learned policy, through its `newer` line (it
 * killed the task that learning had let run: the check run failed). */
static int call_beyond_the_table(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    char buf[64];
    long first = syscall(2000);
    int first_errno = errno;
    long second = syscall(100000);
    snprintf(buf, sizeof buf, "%ld %d %ld %d", first, first_errno, second, errno);
    cordon_return(ctx, buf, strlen(buf));
    return 0;
}

static void test_learn_calls_beyond_the_table_are_answered_alike(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_learned *l = cordon_learned_new();
    cordon_task *t = cordon_function_task(call_beyond_the_table, NULL);
    learn(t, l, 0);
    char expected[64];
    snprintf(expected, sizeof expected, "-1 %d -1 %d", ENOSYS, ENOSYS);
    assert_memory_equal(cordon_task_result(t)->returns.data, expected, strlen(expected));
    char *text = written(l, "beyond");
    if (!strstr(text, "\nnewer errno ENOSYS\n"))
        fail_msg("no newer line:\n%s", text);
    cordon_policy *p = compiled(text);
    const cordon_result *r = run_under(t, p, 0);
    assert_null(r->exception);
    assert_memory_equal(r->returns.data, expected, strlen(expected));
    cordon_policy_free(p);

    /* Merged into the next learning, the answer stays. */
    cordon_learned *next = cordon_learned_new();
    p = compiled(text);
    assert_int_equal(cordon_learned_merge(next, p, NULL), 0);
    char *again = written(next, "merged");
    assert_non_null(strstr(again, "\nnewer errno ENOSYS\n"));
    free(again);
    cordon_learned_free(next);
    cordon_policy_free(p);
    cordon_task_free(t);
    free(text);
    cordon_learned_free(l);
}

/* Learning is no way around the base policy: what it kills still ends
 * the run (named), what it refuses with an errno is refused and written
 * as that errno. */
static void test_learn_keeps_the_base_policys_kills_and_errnos(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_learned *l = cordon_learned_new();
    cordon_task *t = shell("echo before; exec unshare -U true; echo after");
    learn(t, l, CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_named_violation(r, "the policy 'default' forbids unshare(");
    assert_string_equal(r->std_out.data, "before\n");
    cordon_task_free(t);

    cordon_error err;
    cordon_policy *base = cordon_policy_parse("default allow\nerrno EACCES uname\n",
                                              "base.policy", &err);
    assert_non_null(base);
    t = shell("exec python3 -c 'import os\ntry:\n    os.uname()\nexcept OSError as e:\n"
              "    print(e.errno)'");
    cordon_set_policy(t, base);
    learn(t, l, 0);
    assert_string_equal(cordon_task_result(t)->std_out.data, "13\n");
    char *text = written(l, NULL);
    assert_non_null(strstr(text, "\nerrno EACCES uname\n"));
    assert_non_null(strstr(text, "# Learned under the policy 'base.policy'"));
    cordon_policy_free(base);
    cordon_task_free(t);
    free(text);
    cordon_learned_free(l);
}

/* The errnos (0: made) of calls that cordon's isolation refuses in a run
 * whatever the policy allows: a unix socket without a network, the
 * caller reniced without a pid namespace, the machine's AIO contexts,
 * io_uring without a network, a user namespace. */
static int try_refused_calls(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    char buf[128], params[120] = { 0 };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    int unix_errno = fd < 0 ? errno : 0;
    int nice_errno = setpriority(PRIO_PROCESS, (id_t)getppid(), 5) != 0 ? errno : 0;
    unsigned long aio = 0;
    int aio_errno = syscall(SYS_io_setup, 1, &aio) != 0 ? errno : 0;
    int uring_errno = syscall(425 /* io_uring_setup */, 8, params) < 0 ? errno : 0;
    int user_errno = unshare(CLONE_NEWUSER) != 0 ? errno : 0;
    snprintf(buf, sizeof buf, "unix %d renice %d io_setup %d io_uring %d newuser %d", unix_errno,
             nice_errno, aio_errno, uring_errno, user_errno);
    cordon_return(ctx, buf, strlen(buf));
    return 0;
}

/* What a run and a learning run of try_refused_calls under `base` (and
 * the network `net`) said, and the learned policy. */
static void run_and_learn(const cordon_policy *base, cordon_network net, char ran[128],
                          char learned[128], char **text)
{
    cordon_task *t = cordon_function_task(try_refused_calls, NULL);
    assert_int_equal(cordon_set_network(t, net), 0);
    const cordon_result *r = run_under(t, base, 0);
    snprintf(ran, 128, "%.*s", (int)r->returns.len, r->returns.data);
    cordon_learned *l = cordon_learned_new();
    int rc = cordon_learn(t, l);
    r = cordon_task_result(t);
    snprintf(learned, 128, "%.*s", (int)r->returns.len, r->returns.data);
    *text = rc == 0 ? written(l, "refused") : NULL;
    cordon_learned_free(l);
    cordon_task_free(t);
}

/* Learning is no way around cordon's own rules either: a learning run is
 * refused what a run with the same isolation is, with the same errno,
 * and the learned policy says so. */
static void test_learn_is_refused_what_a_run_is(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_error err;
    cordon_policy *base = cordon_policy_parse("default allow\n", "allow.policy", &err);
    assert_non_null(base);
    char ran[128], learned[128], *text;
    run_and_learn(base, CORDON_NETWORK_NONE, ran, learned, &text);
    if (!strstr(ran, "unix 0 ")) { /* the machine gave it a network of its own */
        assert_string_equal(learned, ran);
        char expected[64];
        snprintf(expected, sizeof expected, "unix %d ", EACCES);
        assert_non_null(strstr(learned, expected));
        snprintf(expected, sizeof expected, "io_setup %d ", ENOSYS);
        assert_non_null(strstr(learned, expected));
        if (!text || !strstr(text, "\nerrno EACCES socket if arg0 == AF_UNIX") ||
            !strstr(text, "\nerrno ENOSYS io_setup\n") ||
            !strstr(text, "\nerrno EPERM io_uring_setup\n"))
            fail_msg("the refusals are not in the learned policy:\n%s", text ? text : "");
    }
    free(text);
    cordon_policy_free(base);
}

/* Without namespaces (CORDON_NO_NAMESPACES, read once per process: in a
 * child of the test's, as nobody), the caller is not reniced by a learning run any
 * more than by a run. */
static void test_learn_without_namespaces_renices_no_caller(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(pipe_fds[0]);
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        /* root's task without a user namespace runs as nobody, which may
         * not renice root's processes anyway: the caller is nobody too */
        if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
                               setuid(65534) != 0))
            _exit(1);
        cordon_error err;
        cordon_policy *base = cordon_policy_parse("default allow\n", "allow.policy", &err);
        char ran[128] = "", learned[128] = "", *text = NULL, out[300];
        if (base)
            run_and_learn(base, CORDON_NETWORK_HOST, ran, learned, &text);
        int n = snprintf(out, sizeof out, "%s\n%s\n%d\n", ran, learned,
                         text && strstr(text, "\nerrno EPERM setpriority") != NULL);
        _exit(write(pipe_fds[1], out, (size_t)n) == n ? 0 : 1);
    }
    close(pipe_fds[1]);
    char out[300] = "";
    ssize_t n = read(pipe_fds[0], out, sizeof out - 1);
    close(pipe_fds[0]);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(n > 0);
    out[n] = '\0';
    char ran[128], learned[128];
    int written_as_errno = 0;
    assert_int_equal(sscanf(out, "%127[^\n]\n%127[^\n]\n%d", ran, learned, &written_as_errno), 3);
    char expected[64];
    snprintf(expected, sizeof expected, "renice %d ", EPERM);
    assert_non_null(strstr(ran, expected));
    assert_string_equal(learned, ran);
    assert_int_equal(written_as_errno, 1);
}

/* Sets its caller's open-files limit (no pid namespace: getppid() is the
 * caller), then returns. */
static int sets_the_caller_s_limit(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    struct rlimit low = { 64, 64 };
    return syscall(SYS_prlimit64, getppid(), RLIMIT_NOFILE, &low, NULL) == 0 ? 0 : errno;
}

/* Without a pid namespace a learning run under the default policy, whose
 * own rule kills prlimit64 of pid 1 only, let the task set its caller's
 * limits: cordon's rule for any other pid (a kill, as the base kills some
 * prlimit64) compiled to a notification, which learning took for the
 * base's to answer, and let through.  A run kills the task; so does a
 * learning run now, and the caller's limit stays (in a child of the
 * test's: CORDON_NO_NAMESPACES is read once per process). */
static void test_learn_without_namespaces_sets_no_caller_limit(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        struct rlimit before, after;
        getrlimit(RLIMIT_NOFILE, &before);
        cordon_policy *base = cordon_policy_load("default", NULL);
        cordon_task *t = cordon_function_task(sets_the_caller_s_limit, NULL);
        cordon_learned *l = cordon_learned_new();
        if (!base || !t || !l || cordon_set_policy(t, base) != 0)
            _exit(10);
        int rc = cordon_learn(t, l);
        const cordon_result *r = cordon_task_result(t);
        getrlimit(RLIMIT_NOFILE, &after);
        if (after.rlim_cur != before.rlim_cur || after.rlim_max != before.rlim_max)
            _exit(11); /* the caller's limit was set */
        if (rc != CORDON_EXCEPTION || !r->exception || strcmp(r->exception, "PolicyViolation"))
            _exit(12);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* SO_REUSEPORT on a socket of the caller's network: its errno, or 0. */
static int joins_a_port(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    int error = fd < 0 ? errno : 0;
    if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
        error = errno;
    if (fd >= 0)
        close(fd);
    return error;
}

/* A learning run under --policy none (or a base that lets the option
 * through) took its guard from the learning filter, which refuses
 * nothing itself: the task joined a listener of the caller's user with
 * SO_REUSEPORT and took its connections, which a run refuses. */
static void test_learn_takes_no_port_a_run_is_refused(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_error err;
    cordon_policy *allow = cordon_policy_parse("default allow\n", "allow.policy", &err);
    assert_non_null(allow);
    const cordon_policy *bases[] = { NULL, allow };
    for (int i = 0; i < 2; i++) {
        cordon_task *t = cordon_function_task(joins_a_port, NULL);
        assert_int_equal(cordon_set_policy(t, bases[i]), 0);
        cordon_learned *l = cordon_learned_new();
        assert_int_equal(cordon_learn(t, l), 0);
        if (cordon_task_result(t)->exit_code != EPERM)
            fail_msg("base %d: SO_REUSEPORT gave %d", i, cordon_task_result(t)->exit_code);
        cordon_learned_free(l);
        cordon_task_free(t);
    }
    cordon_policy_free(allow);
}

/* A base that refuses an exec with an errno: the run answers it so, and
 * so does learning (it took the notification for a kill: "the learning
 * run ended with PolicyViolation"), and the learned policy, of a kill
 * default, compiles (libseccomp refused its errno rule for execveat). */
static void test_learn_keeps_the_base_s_errno_for_an_exec(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_error err;
    cordon_policy *base = cordon_policy_parse("default allow\nerrno EPERM execveat\n",
                                              "base.policy", &err);
    assert_non_null(base);
    char hostile[600];
    snprintf(hostile, sizeof hostile, "%.*s/hostile",
             (int)(strlen(threads_path) - strlen("/learn_threads")), threads_path);
    const char *argv[] = { hostile, "exec-self-again", "execveat", NULL };
    cordon_task *t = cordon_command_task(argv);
    assert_int_equal(cordon_set_policy(t, base), 0);
    cordon_learned *l = cordon_learned_new();
    assert_int_equal(cordon_learn(t, l), 0);
    assert_string_equal(cordon_task_result(t)->std_out.data,
                        "execveat refused: Operation not permitted\n");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(cordon_learned_write(l, out, "exec"), 0);
    fclose(out);
    assert_non_null(strstr(text, "errno EPERM execveat"));
    cordon_policy *learned = cordon_policy_parse(text, "learned.policy", &err);
    if (!learned)
        fail_msg("%s", err.message);
    /* run under it: the errno again, not a kill */
    cordon_task *again = cordon_command_task(argv);
    assert_int_equal(cordon_set_policy(again, learned), 0);
    assert_int_equal(cordon_run(again), 0);
    assert_string_equal(cordon_task_result(again)->std_out.data,
                        "execveat refused: Operation not permitted\n");
    cordon_task_free(again);
    cordon_policy_free(learned);
    free(text);
    cordon_learned_free(l);
    cordon_task_free(t);
    cordon_policy_free(base);
}

/* Learns the task above under a base that refuses userfaultfd by its
 * default alone, and writes what came of it: "skipped", "named" (the
 * violation, its path shown as an address) or what else happened. */
static void learn_a_path_nobody_serves(int out)
{
    cordon_error err;
    cordon_policy *base = cordon_policy_parse(
        "default errno EPERM\nkill openat if arg2 & O_ACCMODE == O_WRONLY\n", "base.policy", &err);
    cordon_learned *l = cordon_learned_new();
    cordon_task *t = cordon_function_task(open_a_path_nobody_serves, NULL);
    if (!base || !l || !t || cordon_set_policy(t, base) != 0 || cordon_set_timeout_ms(t, 3000) != 0)
        _exit(1);
    int rc = cordon_learn(t, l);
    const cordon_result *r = cordon_task_result(t);
    const char *what = rc == 0 && strstr(r->std_out.data, "no userfaultfd") ? "skipped"
                       : rc == CORDON_EXCEPTION && r->exception &&
                               !strcmp(r->exception, "PolicyViolation") &&
                               strstr(r->exc_out.data, "forbids openat(AT_FDCWD, 0x")
                           ? "named"
                           : r->exc_out.data;
    if (write(out, what, strlen(what)) < 0)
        _exit(1);
}

/* Learning lets through what no rule of the base refuses, its default
 * unasked: a base that refuses userfaultfd by its default alone (so that
 * a violation's path was read in place, no userfaultfd being possible
 * under it) let a learning task make one, and the path of a call a rule
 * kills, on a page nobody serves, held the caller for good in that read
 * (in a copy of the test: a caller stuck for good cannot be freed). */
static void test_learn_a_path_on_a_page_nobody_serves_hangs_nothing(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    char text[512];
    int status = run_in_a_copy(learn_a_path_nobody_serves, text, sizeof text,
                               "the caller was stuck reading the task's memory");
    assert_true(WIFEXITED(status));
    if (!strcmp(text, "skipped")) {
        print_message("skipped: no userfaultfd for this user\n");
        skip();
    }
    assert_string_equal(text, "named");
}

/* A base rule "errno 0" makes the call fail with 0 without being made
 * (a pretended success): learning must not make it instead. */
static void test_learn_errno_zero_of_the_base_is_not_made(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    char dir[] = "/tmp/cordon-learn-errno0-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char made[64], script_text[160];
    snprintf(made, sizeof made, "%s/made", dir);
    snprintf(script_text, sizeof script_text, "mkdir %s && echo done", made);
    cordon_error err;
    cordon_policy *base = cordon_policy_parse("default allow\nerrno 0 mkdir mkdirat\n",
                                              "base.policy", &err);
    assert_non_null(base);
    cordon_learned *l = cordon_learned_new();
    cordon_task *t = shell(script_text);
    cordon_set_policy(t, base);
    learn(t, l, 0);
    assert_string_equal(cordon_task_result(t)->std_out.data, "done\n");
    struct stat st;
    bool exists = stat(made, &st) == 0;
    rmdir(made);
    rmdir(dir);
    assert_false(exists);
    cordon_policy_free(base);
    cordon_task_free(t);
    cordon_learned_free(l);
}

/* A learned policy is no looser than its base on what the base tests:
 * learned under readonly, a write-open is still refused; learned under
 * default, prlimit64 on cordon's init still is. */
static void test_learn_is_no_looser_than_its_base(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_error err;
    cordon_policy *readonly = cordon_policy_load("readonly", &err);
    assert_non_null(readonly);
    cordon_learned *l = cordon_learned_new();
    cordon_task *t = command("python3", script_path, data_path, NULL);
    cordon_set_policy(t, readonly);
    learn(t, l, 0);
    char *text = written(l, NULL);
    /* and nothing made set-id (O_TMPFILE included), which every task's filter refuses */
    assert_non_null(strstr(text, "allow openat if arg2 & 0x400243 == 0 && arg3 & 0xc00 == 0\n"));
    cordon_policy *p = compiled(text);
    assert_string_equal(run_under(t, p, 0)->std_out.data, "some bytes to sum\n");
    cordon_task *writer = command("python3", script_path, data_path, "write");
    assert_named_violation(run_under(writer, p, CORDON_EXCEPTION), "forbids openat(");
    char written_path[64];
    snprintf(written_path, sizeof written_path, "%s.written", data_path);
    assert_int_equal(access(written_path, F_OK), -1);
    cordon_task_free(writer);
    cordon_policy_free(p);
    cordon_policy_free(readonly);
    free(text);
    cordon_learned_free(l);
    cordon_task_free(t);

    l = cordon_learned_new();
    const char *limits = "import os, resource, sys\n"
                         "resource.prlimit(0, resource.RLIMIT_NOFILE, (60, 60))\n"
                         "if len(sys.argv) > 1:\n"
                         "    resource.prlimit(1, resource.RLIMIT_NOFILE, (50, 50))\n";
    t = command("python3", "-c", limits, NULL);
    learn(t, l, 0);
    text = written(l, NULL);
    assert_non_null(strstr(text, "arg0 & 0xffffffff == 0 && arg2 != 0"));
    p = compiled(text);
    run_under(t, p, 0);
    cordon_task *init = command("python3", "-c", limits, "init");
    assert_named_violation(run_under(init, p, CORDON_EXCEPTION), "forbids prlimit64(1, ");
    cordon_task_free(init);
    cordon_task_free(t);
    cordon_policy_free(p);
    free(text);
    cordon_learned_free(l);
}

/* Only an allow-list merges; a title cannot add a rule. */
static void test_learn_merge_and_title_checks(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    cordon_learned *l = cordon_learned_new();
    cordon_error err;
    cordon_policy *deny_list = cordon_policy_load("default", &err);
    assert_non_null(deny_list);
    assert_int_equal(cordon_learned_merge(l, deny_list, &err), -EINVAL);
    assert_string_equal(err.message, "default: cannot merge 'default': it allows every call it does not "
                                     "name (its default is 'allow'), so it is not an allow-list");
    cordon_policy_free(deny_list);

    cordon_policy *p = cordon_policy_parse("default kill\nallow read\n", "small", &err);
    assert_int_equal(cordon_learned_merge(l, p, &err), 0);
    cordon_policy_free(p);
    char *text = written(l, "evil\nallow socket\r");
    assert_null(strstr(text, "\nallow socket"));
    assert_non_null(strstr(text, "evil?allow socket?"));
    p = compiled(text);
    cordon_policy_free(p);
    free(text);
    assert_int_equal(cordon_learned_write(NULL, stdout, NULL), -EINVAL);
    assert_int_equal(cordon_learn(NULL, l), -EINVAL);
    cordon_learned_free(l);
    /* A record of no run would write "default kill" alone, which kills
     * every task: refused, nothing written. */
    cordon_learned *empty = cordon_learned_new();
    assert_int_equal(cordon_learned_write(empty, stdout, NULL), -ENODATA);
    cordon_learned_free(empty);
}

/* The command: writes the file, checks it by running again, says so. */
/* Learning with no base policy (--policy none) and options whose run
 * adds rules to a filter (no network, no pid namespace): there is no
 * filter to add them to, and learning made the additions from the base
 * it did not have (the runner died of SIGSEGV). */
static void test_learn_without_a_base_policy_runs(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char out[] = "/tmp/cordon-learn-none-XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    const char *ways[] = { "", "CORDON_NO_NAMESPACES=1 " };
    for (size_t i = 0; i < 2; i++) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s%s learn --policy none --net none --out %s -- /bin/true "
                 "2>/dev/null >/dev/null", ways[i], runner ? runner : "build/cordon", out);
        int status = system(cmd);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 125)
            continue; /* no namespaces or no notification here: refused, not crashed */
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    unlink(out);
}

/* Learning with no base and no pid namespace gets cordon's own rules, as
 * a run there does: a chmod 4755 the run refused went through while
 * learning, and left a set-uid file. */
static void test_learn_without_a_base_makes_no_file_set_id(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char dir[] = "/tmp/cordon-learn-setid-XXXXXX", file[64], out[64], cmd[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/program", dir);
    snprintf(out, sizeof out, "%s/learned.policy", dir);
    assert_int_equal(chmod(dir, 0777), 0); /* a root caller's task runs as nobody */
    snprintf(cmd, sizeof cmd, "CORDON_NO_NAMESPACES=1 %s learn --no-verify --policy none --out %s "
             "-- sh -c ': > %s; chmod 4755 %s' >/dev/null 2>&1", runner ? runner : "build/cordon",
             out, file, file);
    int status = system(cmd);
    struct stat st;
    bool made = stat(file, &st) == 0;
    unlink(file);
    unlink(out);
    rmdir(dir);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 125) {
        print_message("skipped: no seccomp user notification here\n");
        skip();
    }
    assert_true(made);
    assert_int_equal(st.st_mode & (S_ISUID | S_ISGID), 0);
}

/* A learning run that its base policy's kill ended: the learned policy,
 * run again, kills at the same call, by its default (the call was never
 * let through to be learned), which is its check passed, not "check
 * failed" (the policy was said to be incomplete); the exit is the
 * learning run's, 159. */
/* The first 16 KiB of the file at `path`, to free; "" where none. */
static char *file_text(const char *path)
{
    char *text = calloc(1, 16384);
    assert_non_null(text);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(text, 1, 16383, f);
        text[n] = '\0';
        fclose(f);
    }
    return text;
}

static void test_learn_command_killed_by_its_base_checks_as_the_same_violation(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char dir[] = "/tmp/cordon-learn-kill-XXXXXX", base[128], longer[512];
    assert_non_null(mkdtemp(dir));
    snprintf(base, sizeof base, "%s/kill-uname.policy", dir);
    FILE *f = fopen(base, "w");
    assert_non_null(f);
    fputs("include default\nkill uname\n", f);
    fclose(f);
    /* a directory whose name takes the check's line past 255 bytes */
    snprintf(longer, sizeof longer, "%s/%0200d", dir, 0);
    assert_int_equal(mkdir(longer, 0700), 0);
    const struct { const char *policy, *program, *out_dir; } runs[] = {
        { "nonet-kill", "import socket; socket.socket()", dir },
        /* uname's argument, an address, differs from run to run */
        { base, "import os; os.uname()", dir },
        /* the check's line, cut at 255 bytes, had lost the call */
        { "nonet-kill", "import socket; socket.socket()", longer },
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        char cmd[2048], out[700], err_path[700];
        snprintf(out, sizeof out, "%s/learned.policy", runs[i].out_dir);
        snprintf(err_path, sizeof err_path, "%s/err", dir);
        snprintf(cmd, sizeof cmd, "%s learn --out %s --policy %s -- python3 -c '%s' 2>%s "
                 ">/dev/null", runner ? runner : "build/cordon", out, runs[i].policy,
                 runs[i].program, err_path);
        int status = system(cmd);
        char *err = file_text(err_path);
        unlink(out);
        unlink(err_path);
        if (strstr(err, "seccomp user notification")) {
            free(err);
            skip();
        }
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) != 159 ||
            !strstr(err, "cordon: checked: under the learned policy the command ended with "
                         "PolicyViolation") || strstr(err, "check failed"))
            fail_msg("run %zu: exit %d:\n%s", i, WEXITSTATUS(status), err);
        free(err);
    }
    rmdir(longer);
    unlink(base);
    rmdir(dir);
}

static void test_learn_command_writes_and_checks(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char out[] = "/tmp/cordon-learn-out-XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s learn --out %s -- %s %s 2>%s.err >/dev/null",
             runner ? runner : "build/cordon", out, threads_path, data_path, out);
    int status = system(cmd);
    char err_path[600], line[512] = "";
    snprintf(err_path, sizeof err_path, "%s.err", out);
    FILE *f = fopen(err_path, "r");
    assert_non_null(f);
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    if (strstr(line, "seccomp user notification")) {
        unlink(out);
        unlink(err_path);
        skip();
    }
    if (WEXITSTATUS(status) != 0) {
        char all[4096] = "";
        f = fopen(err_path, "r");
        size_t got = f ? fread(all, 1, sizeof all - 1, f) : 0;
        all[got] = '\0';
        if (f)
            fclose(f);
        fail_msg("cordon learn: exit %d\n%s", WEXITSTATUS(status), all);
    }
    assert_string_equal(line, "cordon: checked: under the learned policy the command ended "
                              "with exit 0 (learning run: exit 0)\n");
    snprintf(cmd, sizeof cmd, "%s run --quiet --policy %s -- %s %s socket >/dev/null 2>&1",
             runner ? runner : "build/cordon", out, threads_path, data_path);
    assert_int_equal(WEXITSTATUS(system(cmd)), 159);
    unlink(out);
    unlink(err_path);
}

/* The policy on stdout (no --out) and the command's own stdout in one
 * stream: a task's "allow ptrace" line became a rule of its own learned
 * policy.  The command's stdout goes to stderr then; with --out it stays
 * on stdout. */
static void test_learn_command_output_never_enters_the_policy(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char dir[] = "/tmp/cordon-learn-stdout-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[2048], path[600];
    snprintf(cmd, sizeof cmd, "%s learn --no-verify --shell 'echo \"allow ptrace\"; echo hi "
             ">&2' >%s/policy 2>%s/err", runner ? runner : "build/cordon", dir, dir);
    int status = system(cmd);
    snprintf(path, sizeof path, "%s/err", dir);
    char err[8192] = "", policy[65536] = "";
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    err[fread(err, 1, sizeof err - 1, f)] = '\0';
    fclose(f);
    if (strstr(err, "seccomp user notification")) {
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    snprintf(path, sizeof path, "%s/policy", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    policy[fread(policy, 1, sizeof policy - 1, f)] = '\0';
    fclose(f);
    assert_null(strstr(policy, "\nallow ptrace")); /* as a rule: the title names it */
    assert_true(strncmp(policy, "# ", 2) == 0); /* the policy's own header first */
    assert_non_null(strstr(err, "allow ptrace\n"));
    assert_non_null(strstr(err, "hi\n"));
    /* With --out, stdout is the command's. */
    snprintf(cmd, sizeof cmd, "%s learn --no-verify --out %s/out.policy --shell 'echo \"allow "
             "ptrace\"' >%s/policy 2>%s/err", runner ? runner : "build/cordon", dir, dir, dir);
    assert_int_equal(WEXITSTATUS(system(cmd)), 0);
    f = fopen(path, "r");
    assert_non_null(f);
    policy[fread(policy, 1, sizeof policy - 1, f)] = '\0';
    fclose(f);
    assert_string_equal(policy, "allow ptrace\n");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* The --out file may sit in a directory the task can write: a link the
 * task planted there is never written through (as root, it would make
 * cordon overwrite any file), a FIFO never waited on. */
static void test_learn_out_plants_are_never_written_through(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char dir[] = "/tmp/cordon-learn-plant-XXXXXX", victim[] = "/tmp/cordon-learn-victim-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0777), 0); /* the CLI as root runs the task as nobody */
    write_file(victim, "secret\n");
    assert_int_equal(chmod(victim, 0600), 0);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "timeout -s KILL 30 %s learn --no-verify --out %s/x.policy --shell "
             "'ln -s %s %s/x.policy' >/dev/null 2>&1", runner ? runner : "build/cordon", dir,
             victim, dir);
    int status = system(cmd);
    char text[64] = "";
    FILE *f = fopen(victim, "r");
    assert_non_null(f);
    if (!fgets(text, sizeof text, f))
        text[0] = '\0';
    fclose(f);
    char path[600];
    snprintf(path, sizeof path, "%s/x.policy", dir);
    unlink(path);
    unlink(victim);
    assert_string_equal(text, "secret\n");
    assert_int_not_equal(WEXITSTATUS(status), 0);

    snprintf(cmd, sizeof cmd, "timeout -s KILL 30 %s learn --no-verify --out %s/x.policy --shell "
             "'mkfifo %s/x.policy' >/dev/null 2>&1", runner ? runner : "build/cordon", dir, dir);
    status = system(cmd);
    unlink(path);
    /* as root, the task runs as nobody: a file it made there stays its to
     * rewrite later, so the policy is not written into it */
    if (geteuid() == 0) {
        snprintf(cmd, sizeof cmd, "%s learn --no-verify --out %s/x.policy --shell 'touch "
                 "%s/x.policy' >/dev/null 2>&1", runner ? runner : "build/cordon", dir, dir);
        int owned = system(cmd);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        unlink(path);
        assert_int_not_equal(WEXITSTATUS(owned), 0);
        assert_int_equal(st.st_size, 0);
    }
    rmdir(dir);
    assert_false(WIFSIGNALED(status) || WEXITSTATUS(status) == 128 + SIGKILL); /* no hang */
    assert_int_not_equal(WEXITSTATUS(status), 0);
}

/* learn runs the command a second time to check the policy; the policy
 * was written to --out first, so that second run could replace it: in a
 * directory the task may write, a `default allow` of the task's in its
 * place, "checked", exit 0.  It is written after the check now. */
static void test_learn_out_is_written_after_its_check(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char dir[] = "/tmp/cordon-learn-check-XXXXXX", path[100], cmd[4096];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0777), 0); /* the CLI as root runs the task as nobody */
    snprintf(path, sizeof path, "%s/x.policy", dir);
    /* the same calls in both runs (the first writes a decoy), so that the
     * check passes */
    snprintf(cmd, sizeof cmd, "timeout -s KILL 60 %s learn --out %s --shell 'T=%s/decoy; "
             "if [ -e %s ]; then T=%s; fi; rm -f $T; printf \"default allow\\n\" > $T' "
             ">/dev/null 2>&1", runner ? runner : "build/cordon", path, dir, path, path);
    int status = system(cmd);
    struct stat st;
    int found = stat(path, &st);
    char *text = found == 0 ? file_text(path) : NULL;
    unlink(path);
    snprintf(path, sizeof path, "%s/decoy", dir);
    unlink(path);
    rmdir(dir);
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(found, 0);
    assert_int_equal(st.st_uid, geteuid());
    assert_non_null(text);
    if (strncmp(text, "# Learned by cordon", 19) != 0)
        fail_msg("%s", text);
    free(text);
}

/* A check stopped by a signal writes nothing, as a stopped learning run
 * does: it wrote --out and said "check failed". */
static void test_learn_check_stopped_by_a_signal_writes_nothing(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char dir[] = "/tmp/cordon-learn-stop-XXXXXX", out[100], flag[100], line[300];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0777), 0); /* the CLI as root runs the task as nobody */
    snprintf(out, sizeof out, "%s/p.policy", dir);
    snprintf(flag, sizeof flag, "%s/flag", dir);
    snprintf(line, sizeof line, "if [ -e %s ]; then while :; do :; done; fi; touch %s", flag,
             flag); /* the loop makes no call the learning run did not */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        signal(SIGTERM, SIG_DFL);
        execl(runner ? runner : "build/cordon", "cordon", "learn", "--out", out, "--shell",
              line, (char *)NULL);
        _exit(99);
    }
    for (int i = 0; i < 1000 && access(flag, F_OK) != 0; i++)
        usleep(10 * 1000);
    usleep(700 * 1000); /* the learning run over, the check begun */
    kill(pid, SIGTERM);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    int written = access(out, F_OK);
    unlink(out);
    unlink(flag);
    rmdir(dir);
    assert_true(WIFEXITED(status) || WIFSIGNALED(status));
    assert_int_not_equal(written, 0);
}

/* The task may move --out's directory away and plant a link to another
 * in its place (it may write the directory above): the policy is still
 * written into the directory --out named when learn started. */
static void test_learn_out_is_written_where_its_directory_was_when_learn_began(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char top[] = "/tmp/cordon-learn-pin-XXXXXX", path[700], cmd[2048];
    assert_non_null(mkdtemp(top));
    assert_int_equal(chmod(top, 0755), 0);
    snprintf(path, sizeof path, "%s/proj", top);
    assert_int_equal(mkdir(path, 0777), 0);
    assert_int_equal(chmod(path, 0777), 0); /* the CLI as root runs the task as nobody */
    snprintf(path, sizeof path, "%s/proj/pol", top);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/elsewhere", top);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(cmd, sizeof cmd, "timeout -s KILL 60 %s learn --no-verify --rw %s/proj --cwd "
             "%s/proj --out %s/proj/pol/p.policy -- sh -c 'mv pol pol.orig && ln -s "
             "%s/elsewhere pol' >/dev/null 2>&1", runner ? runner : "build/cordon", top, top,
             top, top);
    int status = system(cmd);
    struct stat elsewhere, pinned;
    snprintf(path, sizeof path, "%s/elsewhere/p.policy", top);
    int planted = stat(path, &elsewhere);
    unlink(path);
    snprintf(path, sizeof path, "%s/proj/pol.orig/p.policy", top);
    int kept = stat(path, &pinned);
    snprintf(cmd, sizeof cmd, "rm -rf %s", top);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_not_equal(planted, 0);
    assert_int_equal(kept, 0);
    assert_true(pinned.st_size > 0);
}

/* Output of the command line `cmd` (stdout), up to 16 KiB. */
static char *command_output(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    static char out[16384];
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    pclose(f);
    return out;
}

/* learn is in the top help and the policy help; its own help names every
 * option it takes. */
static void test_learn_help(void **state)
{
    (void)state;
    const char *runner = getenv("CORDON_RUNNER");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s --help", runner ? runner : "build/cordon");
    assert_non_null(strstr(command_output(cmd), "  learn [--out FILE]"));
    snprintf(cmd, sizeof cmd, "%s policy --help", runner ? runner : "build/cordon");
    assert_non_null(strstr(command_output(cmd), "cordon learn"));
    snprintf(cmd, sizeof cmd, "%s learn --help", runner ? runner : "build/cordon");
    const char *help = command_output(cmd);
    const char *words[] = { "--out FILE", "--merge FILE", "--no-verify", "--shell", "--policy",
                            "default kill", "Exit status" };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!strstr(help, words[i]))
            fail_msg("'cordon learn --help' does not mention %s", words[i]);
    snprintf(cmd, sizeof cmd, "%s learn --json -- true 2>&1; echo $?",
             runner ? runner : "build/cordon");
    assert_string_equal(command_output(cmd), "cordon: learn: --json does not apply (learn runs "
                                             "the command once and writes a policy)\n125\n");
    /* nor do the options that only shape retries or records (--retry-on
     * once said it needed --retry, which learn refuses) */
    const char *others[][2] = { { "--retry-on", "Timeout" }, { "--backoff", "1s" },
                                { "--audit-output", "1K" }, { "--run-id", "nightly" } };
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        snprintf(cmd, sizeof cmd, "%s learn %s %s -- true 2>&1; echo $?",
                 runner ? runner : "build/cordon", others[i][0], others[i][1]);
        char expected[200];
        snprintf(expected, sizeof expected, "cordon: learn: %s does not apply (learn runs the "
                 "command once and writes a policy)\n125\n", others[i][0]);
        assert_string_equal(command_output(cmd), expected);
    }
}

/* A learning run that timed out, whose check timed out too, ends learn
 * with the Timeout's status (124), as --help says. */
static void test_learn_exit_status_of_a_run_that_timed_out_is_said(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s learn --help", runner ? runner : "build/cordon");
    if (!strstr(command_output(cmd), "(124 Timeout, 127 a command not\nfound, ...)"))
        fail_msg("'cordon learn --help' does not say a Timeout's status:\n%s",
                 command_output(cmd));
    snprintf(cmd, sizeof cmd, "%s learn --timeout 1s -- sleep 5 >/dev/null 2>&1; echo $?",
             runner ? runner : "build/cordon");
    assert_string_equal(command_output(cmd), "124\n");
}

/* learn's own options: a value missing, a policy to merge that cannot be
 * read or does not parse (each 125, named), and --out=FILE. */
static void test_learn_option_errors_and_out_with_equals(void **state)
{
    (void)state;
    const char *runner = getenv("CORDON_RUNNER");
    runner = runner ? runner : "build/cordon";
    char cmd[1024], expected[1024];
    snprintf(cmd, sizeof cmd, "%s learn --out 2>&1; echo $?", runner);
    assert_string_equal(command_output(cmd),
                        "cordon: --out needs a value (see 'cordon learn --help')\n125\n");
    snprintf(cmd, sizeof cmd, "%s learn --merge /cordon/no/such.policy -- true 2>&1; echo $?",
             runner);
    assert_string_equal(command_output(cmd), "cordon: --merge: cannot read policy file "
                                             "'/cordon/no/such.policy': No such file or "
                                             "directory\n125\n");
    /* the command's errors name learn, where they were made, not run */
    snprintf(cmd, sizeof cmd, "%s learn --out /dev/null 2>&1; echo $?", runner);
    assert_string_equal(command_output(cmd),
                        "cordon: learn: no command (give -- CMD ARGS or --shell 'LINE')\n125\n");
    snprintf(cmd, sizeof cmd, "%s learn --shell true -- true 2>&1; echo $?", runner);
    assert_string_equal(command_output(cmd), "cordon: learn: give either --shell 'LINE' or -- "
                                             "CMD ARGS, not both\n125\n");
    snprintf(cmd, sizeof cmd, "%s learn -- '' 2>&1; echo $?", runner);
    assert_string_equal(command_output(cmd), "cordon: learn: the command name is empty\n125\n");
    char bad[] = "/tmp/cordon-learn-bad-XXXXXX";
    write_file(bad, "allow nosuch_syscall\n");
    snprintf(cmd, sizeof cmd, "%s learn --merge %s -- true 2>&1; echo $?", runner, bad);
    snprintf(expected, sizeof expected,
             "cordon: --merge: %s:1:7: unknown syscall 'nosuch_syscall'\n125\n", bad);
    assert_string_equal(command_output(cmd), expected);
    unlink(bad);

    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    char out[] = "/tmp/cordon-learn-out-XXXXXX";
    write_file(out, "");
    snprintf(cmd, sizeof cmd, "%s learn --no-verify --out=%s -- true 2>&1; echo $?", runner, out);
    assert_string_equal(command_output(cmd), "0\n");
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[256] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "# Learned by cordon from 1 run: true\n");
    /* a run merged with that policy: one run and one policy, not "2 runs" */
    char again[] = "/tmp/cordon-learn-again-XXXXXX";
    write_file(again, "");
    snprintf(cmd, sizeof cmd, "%s learn --no-verify --merge %s --out=%s -- true 2>&1; echo $?",
             runner, out, again);
    assert_string_equal(command_output(cmd), "0\n");
    f = fopen(again, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    unlink(again);
    unlink(out);
    assert_string_equal(line,
                        "# Learned by cordon from 1 run, merged with 1 learned policy: true\n");
}

/* learn's options end where run's do, at "--" or the command's first
 * word, run's values stepped over: a command's own --out was taken as
 * learn's when a "--" came later, and `--timeout 10 --out F cmd` gave F
 * and cmd to run. */
static void test_learn_options_end_where_run_s_do(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char out[] = "/tmp/cordon-learn-out-XXXXXX";
    write_file(out, "");
    char stray[64], cmd[1024], expected[256];
    snprintf(stray, sizeof stray, "%s.stray", out);
    snprintf(cmd, sizeof cmd,
             "%s learn --no-verify --timeout 10 --out %s sh -c 'echo \"$*\"' sh --out %s -- y "
             "2>/dev/null; echo $?",
             runner ? runner : "build/cordon", out, stray);
    snprintf(expected, sizeof expected, "--out %s -- y\n0\n", stray);
    assert_string_equal(command_output(cmd), expected);
    /* one of learn's options is no value of run's (`--ro --out F` made
     * "--out" the --ro path, or read "'--out' is not a time") */
    snprintf(cmd, sizeof cmd, "%s learn --timeout --out %s true 2>&1; echo $?",
             runner ? runner : "build/cordon", stray);
    snprintf(expected, sizeof expected, "cordon: --timeout needs a value, and '--out' is an "
             "option (to give it as the value, write --timeout=--out)\n125\n");
    assert_string_equal(command_output(cmd), expected);
    assert_int_equal(access(stray, F_OK), -1);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[256] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    unlink(out);
    assert_memory_equal(line, "# Learned by cordon from 1 run: sh -c", 36);
}

/* A --out that cannot be written is refused before the command runs
 * (it ran, with its side effects, and only the write failed, 125): a
 * missing directory, a directory, a symbolic link (dangling too: its
 * target is not made), a directory this user may not write.  Nothing is
 * created at either end. */
static void test_learn_bad_out_is_refused_before_the_command_runs(void **state)
{
    (void)state;
    const char *runner = getenv("CORDON_RUNNER");
    runner = runner ? runner : "build/cordon";
    char dir[] = "/tmp/cordon-learn-badout-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0777), 0); /* the CLI as root runs the task as nobody */
    char mark[600], sub[600], link[600], target[600], locked[600], cmd[4096], expected[2048];
    snprintf(mark, sizeof mark, "%s/ran", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(target, sizeof target, "%s/target", dir);
    snprintf(locked, sizeof locked, "%s/locked", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(mkdir(locked, 0555), 0);
    struct bad_out { const char *out, *why; } cases[5] = {
        { "/cordon/no/such/dir/x.policy", "cannot open '/cordon/no/such/dir/x.policy': No "
                                          "such file or directory" },
        { sub, "is a directory; cordon writes only to a regular file with one name" },
        { link, "is a symbolic link; cordon writes only to a regular file with one name" },
    };
    size_t count = 3;
    char in_locked[700];
    snprintf(in_locked, sizeof in_locked, "%s/x.policy", locked);
    if (geteuid() != 0) /* root writes there anyway */
        cases[count++] = (struct bad_out){ in_locked, NULL };
    for (size_t i = 0; i < count; i++) {
        snprintf(cmd, sizeof cmd, "%s learn --no-verify --out %s -- sh -c 'echo ran >> %s' "
                 "2>&1; echo $?", runner, cases[i].out, mark);
        if (!cases[i].why)
            snprintf(expected, sizeof expected, "cordon: --out: cannot open '%s': "
                     "Permission denied\n125\n", cases[i].out);
        else if (cases[i].why[0] == 'c')
            snprintf(expected, sizeof expected, "cordon: --out: %s\n125\n", cases[i].why);
        else
            snprintf(expected, sizeof expected, "cordon: --out: '%s' %s\n125\n", cases[i].out,
                     cases[i].why);
        assert_string_equal(command_output(cmd), expected);
        assert_int_equal(access(mark, F_OK), -1);
    }
    assert_int_equal(access(target, F_OK), -1);
    assert_int_equal(access(in_locked, F_OK), -1);
    unlink(link);
    rmdir(sub);
    rmdir(locked);
    rmdir(dir);
}

/* A learning run that crashes: said, its status is cordon's, and the
 * policy of what ran until then is still written. */
static void test_learn_run_that_crashes_still_writes_its_policy(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char out[] = "/tmp/cordon-learn-crash-XXXXXX";
    write_file(out, "");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s learn --no-verify --out %s --shell 'kill -SEGV $$' 2>&1; "
             "echo $?", runner ? runner : "build/cordon", out);
    assert_string_equal(command_output(cmd), "cordon: the learning run ended with SIGSEGV: "
                                             "Segmentation fault; the policy covers what ran "
                                             "until then\n  (a command's crash carries no "
                                             "backtrace)\n139\n");
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[256] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    unlink(out);
    assert_string_equal(line, "# Learned by cordon from 1 run: kill -SEGV $$\n");
}

/* A program the task cannot reach (beneath the preset's own /tmp): the
 * learning run says why as `run` does, not only "No such file". */
static void test_learn_run_that_cannot_exec_says_why(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2), so no user notification");
    const char *runner = getenv("CORDON_RUNNER");
    char dir[] = "/tmp/cordon-learn-hidden-XXXXXX", out[] = "/var/tmp/cordon-learn-hidden-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    char program[64], cmd[1024];
    snprintf(program, sizeof program, "%s/progXXXXXX", dir);
    write_file(program, "#!/bin/sh\necho ran\n");
    assert_int_equal(chmod(program, 0755), 0);
    snprintf(cmd, sizeof cmd, "%s learn --isolate judge --no-verify --out %s -- %s 2>&1; echo $?",
             runner ? runner : "build/cordon", out, program);
    char *said = command_output(cmd);
    unlink(program);
    rmdir(dir);
    unlink(out);
    if (strstr(said, "namespaces")) {
        print_message("skipped: %s", said);
        skip();
    }
    assert_non_null(strstr(said, "the learning run ended with ExecError"));
    assert_non_null(strstr(said, "\n  (the program lies beneath /tmp, where the task has an "
                                 "empty tmpfs of its own"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learn_python_script_runs_under_its_policy_and_more_is_killed),
        cmocka_unit_test(test_learn_threaded_program_runs_under_its_policy_and_more_is_killed),
        cmocka_unit_test(test_learn_calls_made_by_timing_alone_come_with_their_cause),
        cmocka_unit_test(test_learn_merges_policies_of_two_runs),
        cmocka_unit_test(test_learn_function_task),
        cmocka_unit_test(test_learn_a_run_that_never_began_is_not_counted),
        cmocka_unit_test(test_learn_calls_beyond_the_table_are_answered_alike),
        cmocka_unit_test(test_learn_keeps_the_base_policys_kills_and_errnos),
        cmocka_unit_test(test_learn_is_refused_what_a_run_is),
        cmocka_unit_test(test_learn_without_namespaces_renices_no_caller),
        cmocka_unit_test(test_learn_without_namespaces_sets_no_caller_limit),
        cmocka_unit_test(test_learn_takes_no_port_a_run_is_refused),
        cmocka_unit_test(test_learn_keeps_the_base_s_errno_for_an_exec),
        cmocka_unit_test(test_learn_a_path_on_a_page_nobody_serves_hangs_nothing),
        cmocka_unit_test(test_learn_is_no_looser_than_its_base),
        cmocka_unit_test(test_learn_errno_zero_of_the_base_is_not_made),
        cmocka_unit_test(test_learn_merge_and_title_checks),
        cmocka_unit_test(test_learn_without_a_base_policy_runs),
        cmocka_unit_test(test_learn_without_a_base_makes_no_file_set_id),
        cmocka_unit_test(test_learn_command_writes_and_checks),
        cmocka_unit_test(test_learn_command_killed_by_its_base_checks_as_the_same_violation),
        cmocka_unit_test(test_learn_command_output_never_enters_the_policy),
        cmocka_unit_test(test_learn_out_plants_are_never_written_through),
        cmocka_unit_test(test_learn_out_is_written_after_its_check),
        cmocka_unit_test(test_learn_check_stopped_by_a_signal_writes_nothing),
        cmocka_unit_test(test_learn_out_is_written_where_its_directory_was_when_learn_began),
        cmocka_unit_test(test_learn_help),
        cmocka_unit_test(test_learn_exit_status_of_a_run_that_timed_out_is_said),
        cmocka_unit_test(test_learn_option_errors_and_out_with_equals),
        cmocka_unit_test(test_learn_options_end_where_run_s_do),
        cmocka_unit_test(test_learn_run_that_crashes_still_writes_its_policy),
        cmocka_unit_test(test_learn_run_that_cannot_exec_says_why),
        cmocka_unit_test(test_learn_bad_out_is_refused_before_the_command_runs),
    };
    return cmocka_run_group_tests(tests, set_up, tear_down);
}
