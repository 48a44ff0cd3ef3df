/*
 * cordon_policy_decide / _simulate / _explain / _diff: what a policy does
 * with a call, read from its rules, must be what its compiled filter does
 * (run in user space), and what the filter does must be what the kernel
 * does.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "support.h"

static char scratch_dir[] = "/tmp/cordon-explain-test-XXXXXX";
static char outer_path[300];

/* outer.policy includes inner.policy: a rule of each, and the default
 * from the included file. */
static int make_scratch(void **state)
{
    (void)state;
    if (!mkdtemp(scratch_dir))
        return -1;
    char path[300];
    snprintf(path, sizeof path, "%s/inner.policy", scratch_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("# inner\ndefault allow\nerrno EPERM setsid\n", f);
    fclose(f);
    snprintf(outer_path, sizeof outer_path, "%s/outer.policy", scratch_dir);
    if (!(f = fopen(outer_path, "w")))
        return -1;
    fprintf(f, "include %s\nkill socket if arg0 != AF_UNIX\n", path);
    fclose(f);
    return 0;
}

static int remove_scratch(void **state)
{
    (void)state;
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", scratch_dir);
    return system(command) == 0 ? 0 : -1;
}

static cordon_policy *load(const char *name)
{
    cordon_error err;
    cordon_policy *p = cordon_policy_load(name, &err);
    if (!p)
        fail_msg("%s: %s", name, err.message);
    return p;
}

static cordon_policy *parse(const char *text)
{
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(text, "test.policy", &err);
    if (!p)
        fail_msg("%s", err.message);
    return p;
}

/* xorshift64*: the same calls on every run, so that a failure repeats. */
static uint64_t next_random(uint64_t *seed)
{
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    return *seed * 2685821657736338717ull;
}

/* Values the shipped policies' conditions turn on, and their neighbours
 * are made from these. */
static const uint64_t interesting[] = {
    0, 1, 2, 3, 4, 5, 10, 16, AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, SOCK_STREAM, SOCK_RAW,
    O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_CREAT | O_RDWR, O_CLOEXEC, CLONE_NEWUSER,
    CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP,
    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD, TIOCSTI, TIOCLINUX,
    FS_IOC_SETFLAGS, FS_IOC32_SETFLAGS, FS_IOC_FSSETXATTR, PROT_READ, PROT_EXEC,
    PROT_READ | PROT_EXEC, F_GETFL, F_GETFD, F_SETFL, AT_EMPTY_PATH, 0x1000, UINT64_MAX,
    (uint64_t)-100, 0xffffffffu, 1ull << 32,
};

static const int interesting_calls[] = {
    SYS_socket, SYS_clone, SYS_ioctl, SYS_open, SYS_openat, SYS_mmap, SYS_mprotect,
    SYS_prlimit64, SYS_fcntl, SYS_newfstatat, SYS_close_range, SYS_sendmsg, SYS_mq_open,
    SYS_execve, SYS_setsid, SYS_read, SYS_ptrace, SYS_clone3, SYS_openat2, 463, 466, 469,
    470, 471, 500,
};

#define COUNT(a) (sizeof a / sizeof *a)

static uint64_t random_value(uint64_t *seed)
{
    uint64_t r = next_random(seed), v = interesting[r % COUNT(interesting)];
    switch ((r >> 8) % 6) {
    case 0:  return next_random(seed);
    case 1:  return v + 1;
    case 2:  return v | (next_random(seed) & ~0xffffffffull); /* an int's garbage half */
    case 3:  return v | interesting[(r >> 16) % COUNT(interesting)];
    default: return v;
    }
}

static void expect_agreement(const cordon_policy *p, const char *name, unsigned calls)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (unsigned i = 0; i < calls; i++) {
        uint64_t r = next_random(&seed);
        int nr = r % 3 ? interesting_calls[(r >> 8) % COUNT(interesting_calls)] : (int)((r >> 8) % 520);
        if ((r >> 40) % 8 == 0)
            nr |= 0x40000000; /* x32's: "newer" by number, and a foreign ABI */
        uint64_t args[6];
        for (int a = 0; a < 6; a++)
            args[a] = random_value(&seed);
        cordon_decision rules, filter;
        assert_int_equal(cordon_policy_decide(p, nr, args, &rules), 0);
        assert_int_equal(cordon_policy_simulate(p, nr, args, &filter), 0);
        if (strcmp(rules.action, filter.action) != 0 || rules.errno_value != filter.errno_value)
            fail_msg("%s: syscall %d(0x%llx, 0x%llx, 0x%llx, 0x%llx): the rules say %s %d "
                     "(%s, %s:%u), the filter %s %d", name, nr, (unsigned long long)args[0],
                     (unsigned long long)args[1], (unsigned long long)args[2],
                     (unsigned long long)args[3], rules.action, rules.errno_value, rules.reason,
                     rules.origin ? rules.origin : "-", rules.line, filter.action,
                     filter.errno_value);
        assert_string_not_equal(rules.reason, "ambiguous");
    }
}

static void test_rules_and_filter_agree_for_each_shipped_policy(void **state)
{
    (void)state;
    static const char *const shipped[] = { "default", "nonet", "readonly", "noexec", "compute" };
    for (size_t i = 0; i < COUNT(shipped); i++) {
        cordon_policy *p = load(shipped[i]);
        expect_agreement(p, shipped[i], 20000);
        cordon_policy_free(p);
    }
}

static void test_rules_and_filter_agree_for_every_action_and_operator(void **state)
{
    (void)state;
    /* without seccomp(2), as under valgrind, libseccomp refuses 'log' */
    const char *log_rule = getenv("CORDON_UNDER_VALGRIND") ? "" : "log getpid\n";
    char text[1024];
    snprintf(text, sizeof text, "default errno EACCES\n"
                                "newer trap\n"
                                "allow read write exit_group\n"
                                "%s"
                                "kill socket if arg0 == AF_INET || arg0 > AF_NETLINK\n"
                                "allow socket if arg0 <= AF_UNIX && arg1 != SOCK_RAW\n"
                                "errno EPERM ioctl if arg1 & 0xffffffff == TIOCSTI\n"
                                "allow ioctl if arg1 < 0x5400 || arg1 == 0x80000000\n"
                                "trap mmap if arg2 & PROT_EXEC == PROT_EXEC\n"
                                "allow mmap\n"
                                "kill 471\n", log_rule);
    cordon_policy *p = parse(text);
    expect_agreement(p, "test.policy", 20000);
    cordon_policy_free(p);
    p = parse("default kill\nallow read\n");
    expect_agreement(p, "default kill", 2000);
    cordon_policy_free(p);
}

static void test_decide_names_the_line_the_default_and_newer(void **state)
{
    (void)state;
    cordon_policy *p = load(outer_path);
    cordon_decision d;
    uint64_t inet[6] = { AF_INET, SOCK_STREAM, 0 }, unix_socket[6] = { AF_UNIX, SOCK_STREAM, 0 };
    assert_int_equal(cordon_policy_decide(p, SYS_socket, inet, &d), 0);
    assert_string_equal(d.action, "kill");
    assert_string_equal(d.reason, "rule");
    assert_string_equal(d.origin, outer_path);
    assert_int_equal(d.line, 2);
    assert_int_equal(cordon_policy_decide(p, SYS_socket, unix_socket, &d), 0);
    assert_string_equal(d.action, "allow");
    assert_string_equal(d.reason, "default");
    assert_non_null(strstr(d.origin, "/inner.policy"));
    assert_int_equal(d.line, 2);
    /* a rule in the included file, by its own file and line */
    assert_int_equal(cordon_policy_decide(p, SYS_setsid, NULL, &d), 0);
    assert_string_equal(d.action, "errno");
    assert_int_equal(d.errno_value, EPERM);
    assert_non_null(strstr(d.origin, "/inner.policy"));
    assert_int_equal(d.line, 3);
    assert_int_equal(cordon_policy_decide(p, 471, NULL, &d), 0);
    assert_string_equal(d.reason, "newer");
    assert_int_equal(d.errno_value, ENOSYS);
    assert_int_equal(cordon_policy_decide(p, -1, NULL, &d), -EINVAL);
    /* x32's getpid was read as a newer call (errno), and the filter kills it */
    assert_int_equal(cordon_policy_decide(p, 0x40000000 | SYS_getpid, NULL, &d), 0);
    assert_string_equal(d.action, "kill");
    assert_string_equal(d.reason, "abi");
    cordon_policy_free(p);
    /* Admitted, x32's own numbers: its ioctl is 514 (rules say EPERM), and
     * x86_64's 16 is no x32 call (the default allows) — as the filter. */
    p = parse("default allow\narch x86_64 x32\nerrno EPERM ioctl\n");
    const int x32_calls[] = { 514, 16, 39 };
    for (size_t i = 0; i < 3; i++) {
        cordon_decision filter;
        assert_int_equal(cordon_policy_decide(p, 0x40000000 | x32_calls[i], NULL, &d), 0);
        assert_int_equal(cordon_policy_simulate(p, 0x40000000 | x32_calls[i], NULL, &filter), 0);
        assert_string_equal(d.action, filter.action);
        assert_int_equal(d.errno_value, filter.errno_value);
    }
    assert_int_equal(cordon_policy_decide(p, 0x40000000 | 514, NULL, &d), 0);
    assert_string_equal(d.action, "errno");
    assert_int_equal(d.errno_value, EPERM);
    cordon_policy_free(p);
    /* cordon's own hand-over of the listener, in a policy that kills by default */
    p = parse("default kill\nallow read\n");
    uint64_t fd4[6] = { 4 };
    assert_int_equal(cordon_policy_decide(p, SYS_close_range, fd4, &d), 0);
    assert_string_equal(d.reason, "cordon");
    assert_string_equal(d.action, "allow");
    cordon_policy_free(p);
}

/* The simulated filter against the kernel: each call made for real in a
 * task under the policy, its errno compared with the simulation's. */
static const struct { int nr; uint64_t args[3]; } probes[] = {
    { SYS_getpriority, { 0, 0 } },          { SYS_getpriority, { 7, 0 } },
    { SYS_getpriority, { 0, 7 } },          { SYS_getpriority, { 7 | (1ull << 32), 0 } },
    { SYS_prctl, { PR_GET_DUMPABLE } },     { SYS_prctl, { PR_GET_NAME, 0 } },
    { SYS_prctl, { PR_GET_NAME | (1ull << 32), 0 } }, { SYS_fcntl, { 1000, F_GETFD } },
    { SYS_fcntl, { 1000, F_GETFL } },       { SYS_dup, { 1000 } },
    { SYS_dup, { 2000 } },                  { 471, { 0 } },
};

static const char probe_policy[] =
    "default allow\n"
    "errno EACCES getpriority if arg0 > 5\n"
    "errno EXDEV getpriority if arg1 == 7\n"
    "errno ENOTTY prctl if arg0 & 0xffffffff == PR_GET_NAME\n"
    "errno ENOSPC fcntl if arg1 == F_GETFL\n"
    "errno EROFS dup if arg0 >= 1500\n"
    "newer errno EDOM\n";

static int make_probes(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    int errnos[COUNT(probes)];
    for (size_t i = 0; i < COUNT(probes); i++) {
        errno = 0;
        long rc = syscall(probes[i].nr, probes[i].args[0], probes[i].args[1], probes[i].args[2],
                          0, 0, 0);
        errnos[i] = rc < 0 ? errno : 0;
    }
    return cordon_return(ctx, errnos, sizeof errnos);
}

static void test_the_simulated_filter_is_the_kernels(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind answers calls it does not know (471) itself, not the kernel");
    cordon_policy *p = parse(probe_policy);
    cordon_task *t = cordon_function_task(make_probes, NULL);
    cordon_set_policy(t, p);
    cordon_set_timeout_ms(t, 10000);
    const cordon_result *r = run_task(t, 0);
    int errnos[COUNT(probes)];
    assert_int_equal(r->returns.len, sizeof errnos);
    memcpy(errnos, r->returns.data, sizeof errnos);
    unsigned refused = 0;
    for (size_t i = 0; i < COUNT(probes); i++) {
        uint64_t args[6] = { probes[i].args[0], probes[i].args[1], probes[i].args[2] };
        cordon_decision d;
        assert_int_equal(cordon_policy_simulate(p, probes[i].nr, args, &d), 0);
        if (strcmp(d.action, "errno") == 0) {
            refused++;
            if (errnos[i] != d.errno_value)
                fail_msg("probe %zu: the kernel said errno %d, the simulation %d", i, errnos[i],
                         d.errno_value);
        } else if (errnos[i] == EACCES || errnos[i] == EXDEV || errnos[i] == ENOTTY ||
                   errnos[i] == ENOSPC || errnos[i] == EROFS || errnos[i] == EDOM) {
            fail_msg("probe %zu: the kernel refused it (%d), the simulation allows", i, errnos[i]);
        }
    }
    assert_int_equal(refused, 8);
    cordon_task_free(t);
    cordon_policy_free(p);
}

static char *explained(const cordon_policy *p, const char *call, const char *const *args,
                       size_t count, int expected_rc, cordon_error *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(cordon_policy_explain(p, call, args, count, out, err), expected_rc);
    fclose(out);
    return text;
}

static void expect_text(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("'%s' not in:\n%s", part, text);
}

static void test_explain_says_the_action_and_the_deciding_line(void **state)
{
    (void)state;
    cordon_policy *p = load(outer_path);
    cordon_error err;
    char expected[1200];
    const char *inet[] = { "AF_INET", "SOCK_STREAM|SOCK_CLOEXEC", "0" };
    char *text = explained(p, "socket", inet, 3, 0, &err);
    snprintf(expected, sizeof expected, "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0) under %s: "
             "kill\n  decided by %s:2: kill socket if arg0 != AF_UNIX\n  the compiled filter, "
             "run on this call: kill (agrees)\n", outer_path, outer_path);
    assert_string_equal(text, expected);
    free(text);
    const char *unix_socket[] = { "AF_UNIX" };
    text = explained(p, "socket", unix_socket, 1, 0, &err);
    snprintf(expected, sizeof expected, ": allow\n  no rule for socket holds: the default applies "
             "(%s/inner.policy:2)\n", scratch_dir);
    expect_text(text, expected);
    free(text);
    /* the kernel's view of a 32-bit argument, and the whole value the task passed */
    const char *high[] = { "0x100000002" };
    text = explained(p, "socket", high, 1, 0, &err);
    expect_text(text, "socket(AF_INET (0x100000002), 0, 0) under ");
    free(text);
    text = explained(p, "setsid", NULL, 0, 0, &err);
    expect_text(text, "setsid() under ");
    snprintf(expected, sizeof expected, ": errno EPERM\n  decided by %s/inner.policy:3: errno "
             "EPERM setsid\n", scratch_dir);
    expect_text(text, expected);
    free(text);
    cordon_policy_free(p);
}

/* Rules of different actions that both hold: the filter's answer, and
 * every rule that holds, said. */
static void test_explain_of_overlapping_rules_gives_the_filters_answer(void **state)
{
    (void)state;
    cordon_policy *p = parse("default allow\nerrno EPERM prctl if arg0 == 15\n"
                             "kill prctl if arg1 == 5\n");
    cordon_error err;
    const char *both[] = { "15", "5" };
    cordon_decision filter;
    uint64_t args[6] = { 15, 5 };
    assert_int_equal(cordon_policy_simulate(p, SYS_prctl, args, &filter), 0);
    char *text = explained(p, "prctl", both, 2, 0, &err);
    char expected[200];
    snprintf(expected, sizeof expected, "under test.policy: %s", filter.action);
    expect_text(text, expected);
    expect_text(text, "rules of different actions hold for this call, and libseccomp's order decides");
    expect_text(text, "    test.policy:2: errno EPERM prctl if arg0 == PR_SET_NAME\n"
                      "    test.policy:3: kill prctl if arg1 == 5\n");
    expect_text(text, "(this decides)\n");
    free(text);
    cordon_policy_free(p);
}

static void test_explain_refuses_unknown_names_with_a_suggestion(void **state)
{
    (void)state;
    cordon_policy *p = load("default");
    cordon_error err;
    free(explained(p, "sokcet", NULL, 0, -EINVAL, &err));
    assert_string_equal(err.message, "unknown syscall 'sokcet' (did you mean 'socket'?)");
    const char *bad[] = { "AF_INETT" };
    free(explained(p, "socket", bad, 1, -EINVAL, &err));
    assert_string_equal(err.message, "unknown value 'AF_INETT' (did you mean 'AF_INET'?)");
    /* A number past 64 bits is out of range, not unknown (it was "unknown
     * value"). */
    const char *huge[] = { "99999999999999999999999" };
    free(explained(p, "socket", huge, 1, -EINVAL, &err));
    assert_string_equal(err.message, "value '99999999999999999999999' is out of range (an "
                                     "argument is at most 64 bits)");
    const char *huge_negative[] = { "-0x1ffffffffffffffff" };
    free(explained(p, "socket", huge_negative, 1, -EINVAL, &err));
    assert_string_equal(err.message, "value '-0x1ffffffffffffffff' is out of range (an "
                                     "argument is at most 64 bits)");
    const char *empty[] = { "AF_UNIX|" };
    free(explained(p, "socket", empty, 1, -EINVAL, &err));
    assert_string_equal(err.message, "malformed value 'AF_UNIX|'");
    const char *missing[] = { "AF_INET", NULL };
    free(explained(p, "socket", missing, 2, -EINVAL, &err));
    assert_string_equal(err.message, "argument 2 of 2 is NULL");
    /* Each said what was wrong (before: "bad arguments" for all). */
    const char *seven[] = { "1", "2", "3", "4", "5", "6", "7" };
    free(explained(p, "socket", seven, 7, -EINVAL, &err));
    assert_string_equal(err.message, "a syscall takes at most 6 arguments (7 arguments given)");
    free(explained(p, "socket", NULL, 2, -EINVAL, &err));
    assert_string_equal(err.message, "the argument array is NULL (2 arguments given)");
    free(explained(p, NULL, NULL, 0, -EINVAL, &err));
    assert_string_equal(err.message, "the syscall name is NULL (0 arguments given)");
    free(explained(NULL, "read", NULL, 0, -EINVAL, &err));
    assert_string_equal(err.message, "the policy is NULL (0 arguments given)");
    /* A number no rule can name is answered by `newer`: said so. */
    free(explained(p, "2000", NULL, 0, -EINVAL, &err));
    assert_string_equal(err.message, "syscall 2000 is beyond what a policy can name (0 to 1023); "
                        "every call numbered above 470 takes the policy's 'newer' action: "
                        "explain 471 for it");
    /* An x32 call is not a newer one: the filter kills it. */
    free(explained(p, "1073741863", NULL, 0, -EINVAL, &err));
    assert_string_equal(err.message, "syscall 1073741863 is an x32 call (bit 0x40000000 set): "
                        "explain takes x86_64's calls; a policy without 'arch x32' kills every "
                        "x32 call, and one with it holds them to its rules as libseccomp "
                        "translates them to x32's numbers");
    cordon_policy_free(p);
}

/* "getpid 1" was explained as a getpid, the 1 dropped without a word: a
 * call given more values than it takes is refused, naming its arity. */
static void test_explain_refuses_more_arguments_than_the_call_takes(void **state)
{
    (void)state;
    cordon_policy *p = load("default");
    cordon_error err;
    const char *one[] = { "1" };
    free(explained(p, "getpid", one, 1, -EINVAL, &err));
    assert_string_equal(err.message, "getpid takes no arguments (1 given)");
    const char *four[] = { "AF_UNIX", "SOCK_STREAM", "0", "7" };
    free(explained(p, "socket", four, 4, -EINVAL, &err));
    assert_string_equal(err.message, "socket takes 3 arguments (4 given)");
    free(explained(p, "41", four, 4, -EINVAL, &err));
    assert_string_equal(err.message, "socket takes 3 arguments (4 given)");
    const char *two[] = { "5", "9" };
    free(explained(p, "unshare", two, 2, -EINVAL, &err));
    assert_string_equal(err.message, "unshare takes 1 argument (2 given)");
    /* as many as it takes, or fewer (the rest are 0), is an answer */
    char *text = explained(p, "socket", four, 3, 0, &err);
    assert_non_null(strstr(text, "socket(AF_UNIX, SOCK_STREAM, 0) under "));
    free(text);
    free(explained(p, "kill", two, 2, 0, &err));
    free(explained(p, "getpid", NULL, 0, 0, &err));
    cordon_policy_free(p);
}

/* Signals by name, in a rule and as a value to explain ("unknown value
 * 'SIGKILL'" before): a rule on kill's signal reads as the call does. */
static void test_explain_and_rules_take_signal_names(void **state)
{
    (void)state;
    cordon_policy *p = parse("default allow\nerrno EPERM kill if arg1 == SIGKILL\n");
    cordon_error err;
    const char *killed[] = { "1", "SIGKILL" };
    char *text = explained(p, "kill", killed, 2, 0, &err);
    expect_text(text, "kill(1, SIGKILL) under ");
    expect_text(text, ": errno EPERM\n");
    free(text);
    const char *termed[] = { "1", "SIGTERM" };
    text = explained(p, "kill", termed, 2, 0, &err);
    expect_text(text, ": allow\n");
    free(text);
    cordon_policy_free(p);
}

static char *diffed(const cordon_policy *a, const cordon_policy *b, int expected_rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(cordon_policy_diff(a, b, out), expected_rc);
    fclose(out);
    return text;
}

static void test_diff_of_default_and_nonet_is_the_network_calls(void **state)
{
    (void)state;
    cordon_policy *a = load("default"), *b = load("nonet");
    char *text = diffed(a, b, 1);
    expect_text(text, "socket: ");
    expect_text(text, "socket(AF_INET, 0, 0) and alike: default allow (the default, ");
    expect_text(text, "nonet.policy:");
    expect_text(text, "decided differently by default and nonet\n");
    free(text);
    text = diffed(a, a, 0);
    assert_string_equal(text, "default and default decide every call alike\n");
    /* whether they differ alone: nothing to write to */
    assert_int_equal(cordon_policy_diff(a, b, NULL), 1);
    assert_int_equal(cordon_policy_diff(a, a, NULL), 0);
    assert_int_equal(cordon_policy_diff(a, NULL, NULL), -EINVAL);
    free(text);
    cordon_policy_free(b);
    /* readonly against default: the file-changing calls, and no socket */
    b = load("readonly");
    text = diffed(a, b, 1);
    assert_non_null(strstr(text, "openat: "));
    assert_non_null(strstr(text, "unlink: every call\n"));
    assert_null(strstr(text, "socket"));
    free(text);
    cordon_policy_free(a);
    cordon_policy_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_and_filter_agree_for_each_shipped_policy),
        cmocka_unit_test(test_rules_and_filter_agree_for_every_action_and_operator),
        cmocka_unit_test(test_decide_names_the_line_the_default_and_newer),
        cmocka_unit_test(test_the_simulated_filter_is_the_kernels),
        cmocka_unit_test(test_explain_says_the_action_and_the_deciding_line),
        cmocka_unit_test(test_explain_of_overlapping_rules_gives_the_filters_answer),
        cmocka_unit_test(test_explain_refuses_unknown_names_with_a_suggestion),
        cmocka_unit_test(test_explain_refuses_more_arguments_than_the_call_takes),
        cmocka_unit_test(test_explain_and_rules_take_signal_names),
        cmocka_unit_test(test_diff_of_default_and_nonet_is_the_network_calls),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
