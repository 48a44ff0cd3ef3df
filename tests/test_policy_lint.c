/*
 * cordon_policy_check: every error of a policy in one pass, and the
 * warnings for what the language accepts but cannot mean.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "support.h"
#include "scratch_files.h"


typedef struct report {
    int rc;
    cordon_check_counts counts;
    char *text;
    size_t len;
} report;

static report check(const char *origin, const char *text, unsigned flags)
{
    report r = { 0 };
    FILE *out = open_memstream(&r.text, &r.len);
    assert_non_null(out);
    r.rc = cordon_policy_check(origin, text, out, flags, &r.counts);
    fclose(out);
    return r;
}

static void expect_line(const report *r, const char *line)
{
    if (!strstr(r->text, line))
        fail_msg("'%s' not in the report:\n%s", line, r->text);
}

static void test_check_reports_every_error_in_one_run(void **state)
{
    (void)state;
    report r = check("several.policy",
                     "# several mistakes\n"
                     "default allow\n"
                     "kill sockett\n"
                     "kill socket if arg0 == AF_INETT\n"
                     "kill ptrace if arg5 === 3\n"
                     "kill mount\n"
                     "frobnicate open\n"
                     "errno EPERMM setsid\n"
                     "kill ioctl if arg7 == 1\n", 0);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.counts.errors, 6);
    expect_line(&r, "several.policy:3:6: error: unknown syscall 'sockett' (did you mean 'socket'?)\n");
    expect_line(&r, "several.policy:4:24: error: unknown constant 'AF_INETT' (did you mean 'AF_INET'?)\n");
    expect_line(&r, "several.policy:5:23: error: '=' is no operator (did you mean '=='?)\n");
    expect_line(&r, "several.policy:7:1: error: expected an action");
    expect_line(&r, "several.policy:8:7: error: unknown errno name 'EPERMM' (did you mean 'EPERM'?)\n");
    expect_line(&r, "several.policy:9:15: error: expected an argument arg0 to arg5, found 'arg7'\n");
    /* the good line between them was read: "kill mount" is no error */
    assert_null(strstr(r.text, "several.policy:6:"));
    free(r.text);
}

static void test_check_reports_errors_in_included_files_and_a_missing_default(void **state)
{
    (void)state;
    write_scratch_file("inner.policy", "kill sokcet\nallow read\n");
    char text[512];
    snprintf(text, sizeof text, "include %s/inner.policy\ninclude nosuchpolicy\nkill mount\n",
             scratch_dir);
    report r = check("outer.policy", text, 0);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.counts.errors, 2);
    char expected[512];
    snprintf(expected, sizeof expected, "%s/inner.policy:1:6: error: unknown syscall 'sokcet' "
             "(did you mean 'socket'?)\n", scratch_dir);
    expect_line(&r, expected);
    expect_line(&r, "outer.policy:2:9: error: cannot include 'nosuchpolicy'");
    free(r.text);
    /* Every include read, the default is found missing; an include that
     * could not be read may have held it (was: a second error for it,
     * beside the include's own). */
    r = check("outer.policy", "kill mount\n", 0);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.counts.errors, 1);
    expect_line(&r, "outer.policy: error: no default action");
    free(r.text);
    write_scratch_file("self.policy", "include self.policy\n");
    snprintf(text, sizeof text, "include %s/self.policy\n", scratch_dir);
    r = check("outer.policy", text, 0);
    assert_int_equal(r.counts.errors, 1);
    assert_non_null(strstr(r.text, "error: include cycle: "));
    assert_null(strstr(r.text, "no default action"));
    free(r.text);
}

static void test_check_passes_a_clean_policy_and_each_shipped_one_strictly(void **state)
{
    (void)state;
    report r = check("clean.policy", "default allow\nkill socket if arg0 != AF_UNIX\n",
                     CORDON_CHECK_STRICT);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.counts.errors, 0);
    assert_int_equal(r.counts.warnings, 0);
    assert_string_equal(r.text, "");
    free(r.text);
    static const char *const shipped[] = { "default", "nonet", "readonly", "noexec", "compute" };
    for (size_t i = 0; i < sizeof shipped / sizeof *shipped; i++) {
        r = check(shipped[i], NULL, CORDON_CHECK_STRICT);
        if (r.rc != 0)
            fail_msg("%s does not pass --strict:\n%s", shipped[i], r.text);
        free(r.text);
    }
}

/* The issue's own case: Python opened an internet socket under it. */
static void test_check_warns_of_a_kill_after_an_unconditional_allow(void **state)
{
    (void)state;
    report r = check("dead.policy", "default allow\nallow socket\nkill socket if arg0 != AF_UNIX\n", 0);
    assert_int_equal(r.rc, 0); /* warnings pass without --strict */
    assert_int_equal(r.counts.warnings, 1);
    expect_line(&r, "dead.policy:3:6: warning: this rule for 'socket' can never fire: the "
                    "unconditional rule at dead.policy:2 decides every call to it ('allow')");
    free(r.text);
    r = check("dead.policy", "default allow\nallow socket\nkill socket if arg0 != AF_UNIX\n",
              CORDON_CHECK_STRICT);
    assert_int_equal(r.rc, 1);
    free(r.text);
}

static void test_check_warns_of_duplicates_and_rules_equal_to_the_default(void **state)
{
    (void)state;
    report r = check("twice.policy",
                     "default allow\nkill ptrace\nkill ptrace\nallow read\n"
                     "kill clone if arg0 & CLONE_NEWNS == CLONE_NEWNS\n"
                     "kill clone if arg0 & CLONE_NEWNS == CLONE_NEWNS\n", 0);
    assert_int_equal(r.counts.warnings, 3);
    expect_line(&r, "twice.policy:3:6: warning: duplicate: the rule at twice.policy:2 already says "
                    "this for 'ptrace'\n");
    expect_line(&r, "twice.policy:4:7: warning: this rule for 'read' has no effect: the default "
                    "(twice.policy:1) is already 'allow'\n");
    expect_line(&r, "twice.policy:6:6: warning: duplicate: the rule at twice.policy:5");
    free(r.text);
}

/* "include compute" then "kill mmap": meant, and the kill matters. */
static void test_check_accepts_an_override_of_an_included_file(void **state)
{
    (void)state;
    report r = check("mine.policy", "include compute\nkill mmap\n", CORDON_CHECK_STRICT);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.text, "");
    free(r.text);
}

/* A command's own exec passes a kill of execve and an errno for it (the
 * parent answers both; check had warned of every errno), but not where
 * the errno stays the filter's: a default errno for an execve that
 * conditional rules also name, a policy that refuses cordon's hand-over
 * of the listener, or one whose default errno would have to let that
 * hand-over through only for this (an allow-list that kills nothing).
 * Such a policy starts no command (ExecError), and check had called it
 * ok. */
static void test_check_warns_of_an_errno_that_refuses_the_own_exec(void **state)
{
    (void)state;
    /* the parent's answer needs seccomp's user notification */
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2): every errno stays the filter's");
    const char *const answered[] = {
        "default allow\nerrno EPERM execve\n",
        "default errno EPERM\nallow read write exit_group\nkill ptrace\n",
        "default allow\nkill execve\n",
    };
    for (size_t i = 0; i < sizeof answered / sizeof *answered; i++) {
        report r = check("a.policy", answered[i], CORDON_CHECK_STRICT);
        if (r.rc != 0 || r.text[0])
            fail_msg("%s: %s", answered[i], r.text);
        free(r.text);
    }
    report r = check("e.policy", "default allow\nerrno EPERM sendmsg\nerrno EPERM execve\n", 0);
    expect_line(&r, "e.policy:3:13: warning: 'errno EPERM execve' refuses a command's own exec "
                    "too (it never starts: ExecError); 'kill execve' stops only the execs after "
                    "it\n");
    free(r.text);
    const char *const filters[] = {
        "default errno EPERM\nallow read write exit_group\nkill ptrace\n"
        "allow execve if arg2 == 5\n",
        "default errno EPERM\nallow read write exit_group\n",
    };
    for (size_t i = 0; i < sizeof filters / sizeof *filters; i++) {
        r = check("d.policy", filters[i], 0);
        assert_int_equal(r.counts.warnings, 1);
        expect_line(&r, "d.policy:1:1: warning: the default 'errno EPERM' refuses execve, and so "
                        "a command's own exec (it never starts: ExecError); allow execve, or kill "
                        "it to stop only the execs after the command's own\n");
        free(r.text);
    }
}

static int prints_ran(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("ran\n");
    return 0;
}

/* A policy that lets neither exit_group nor exit through leaves a task no
 * end but a crash: check said nothing, and a function task whose child
 * failed its set-up under it (the C library's _exit refused, then a
 * fault) was reported as a SIGSEGV crash of a function that never ran.
 * Check warns; the run says ConfinementError, naming why. */
static void test_check_warns_of_a_policy_no_task_can_exit_under(void **state)
{
    (void)state;
    report r = check("x.policy", "default errno EPERM\nallow read write execve\n", 0);
    assert_int_equal(r.counts.warnings, 1);
    expect_line(&r, "x.policy:1:1: warning: neither exit_group nor exit is let through: no task "
                    "can end but by a crash; allow exit_group and exit\n");
    free(r.text);
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2)");
    cordon_error err;
    cordon_policy *p = cordon_policy_parse("default errno EPERM\nallow read write\n", "x", &err);
    assert_non_null(p);
    cordon_task *t = cordon_function_task(prints_ran, NULL);
    assert_int_equal(cordon_set_policy(t, p), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 10000), 0);
    assert_int_equal(cordon_run(t), CORDON_EXCEPTION);
    const cordon_result *res = cordon_task_result(t);
#if defined(__SANITIZE_ADDRESS__)
    /* The sanitizer takes the child's last-resort fault over, and its own
     * exit is refused too: the child spins until the deadline. */
    if (strcmp(res->exception, "Timeout") == 0) {
        cordon_task_free(t);
        cordon_policy_free(p);
        skip();
    }
#endif
    assert_string_equal(res->exception, "ConfinementError");
    assert_string_equal(res->std_out.data, "");
    assert_non_null(strstr(res->exc_out.data, "refuses exit_group and exit"));
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* A trap of execve, by a rule or by the default, is the filter's SIGSYS
 * at the command's own exec: every command died of it (exit 159), and
 * check had called the policy ok. */
static void test_check_warns_of_a_trap_that_stops_the_own_exec(void **state)
{
    (void)state;
    report r = check("t.policy", "default allow\ntrap execve\n", 0);
    assert_int_equal(r.counts.warnings, 1);
    expect_line(&r, "t.policy:2:6: warning: 'trap execve' stops a command at its own exec too "
                    "(SIGSYS before it starts); 'kill execve' stops only the execs after it\n");
    free(r.text);
    r = check("d.policy", "default trap\nallow read write exit_group\n", 0);
    expect_line(&r, "d.policy:1:1: warning: the default 'trap' traps execve, and so a command's "
                    "own exec (SIGSYS before it starts); allow execve, or kill it to stop only "
                    "the execs after the command's own\n");
    free(r.text);
    r = check("k.policy", "default allow\ntrap execveat\nkill execve if arg1 == 0\n",
              CORDON_CHECK_STRICT);
    assert_int_equal(r.counts.warnings, 0);
    free(r.text);
}

static void test_check_warns_when_every_rule_is_the_default(void **state)
{
    (void)state;
    report r = check("kills.policy", "# all kills\ndefault kill\nkill mount\nkill ptrace bpf\n", 0);
    assert_int_equal(r.counts.warnings, 4);
    expect_line(&r, "kills.policy:2:1: warning: every rule of this policy says what the default "
                    "'kill' says: the policy is its default alone\n");
    free(r.text);
}

static void test_check_warns_of_unmasked_int_arguments_only_where_a_task_gets_past(void **state)
{
    (void)state;
    /* kill if == TIOCSTI: 0x1_00005412 is TIOCSTI to the kernel, not to the filter */
    report r = check("int.policy", "default allow\nkill ioctl if arg1 == TIOCSTI\n", 0);
    assert_int_equal(r.counts.warnings, 1);
    expect_line(&r, "int.policy:2:6: warning: arg1 of 'ioctl' is a 32-bit int: the kernel reads "
                    "only its lower 32 bits but the filter compares all 64, so a task passing "
                    "0x100005412 (0x5412 to the kernel) gets past this rule");
    free(r.text);
    /* allow if != AF_INET lets AF_INET + 2^32 through */
    r = check("int.policy", "default kill\nallow socket if arg0 != AF_INET\n", 0);
    assert_int_equal(r.counts.warnings, 1);
    expect_line(&r, "arg0 of 'socket' is a 32-bit int");
    free(r.text);
    /* masked, or failing closed (kill if !=, allow if ==): nothing to say */
    r = check("int.policy", "default allow\nkill ioctl if arg1 & 0xffffffff == TIOCSTI\n"
                            "kill socket if arg0 != AF_UNIX\n", CORDON_CHECK_STRICT);
    assert_int_equal(r.rc, 0);
    free(r.text);
    /* AT_FDCWD as libc passes it (sign-extended); 0xffffff9c is AT_FDCWD too */
    r = check("int.policy", "default allow\nkill openat if arg0 == AT_FDCWD\n", 0);
    expect_line(&r, "a task passing 0xffffff9c (0xffffff9c to the kernel) gets past this rule");
    free(r.text);
    /* ... but refusing every fd other than AT_FDCWD fails closed */
    r = check("int.policy", "default allow\nkill openat if arg0 != AT_FDCWD\n", CORDON_CHECK_STRICT);
    assert_int_equal(r.rc, 0);
    free(r.text);
    /* an ioctl request above 2^31, as libc passes it (zero-extended) */
    r = check("int.policy", "default allow\nkill ioctl if arg1 == 0x80086601\n", 0);
    expect_line(&r, "a task passing 0x180086601 (0x80086601 to the kernel)");
    free(r.text);
    /* clone's flags are unsigned long: all 64 bits count */
    r = check("int.policy", "default allow\nkill clone if arg0 == 0\n", CORDON_CHECK_STRICT);
    assert_int_equal(r.rc, 0);
    free(r.text);
}

static int unix_sockets(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    int results[2];
    long rc = syscall(SYS_socket, (long)AF_UNIX, (long)SOCK_STREAM, 0L);
    results[0] = rc >= 0 ? 0 : errno;
    rc = syscall(SYS_socket, (long)(AF_UNIX | (1ull << 32)), (long)SOCK_STREAM, 0L);
    results[1] = rc >= 0 ? 0 : errno;
    return cordon_return(ctx, results, sizeof results);
}

/* The warning is the kernel's truth: the upper half gets past the rule. */
static void test_check_int_argument_warning_holds_in_the_kernel(void **state)
{
    (void)state;
    const char *text = "default allow\nerrno EPERM socket if arg0 == AF_UNIX\n";
    report r = check("int.policy", text, 0);
    assert_int_equal(r.counts.warnings, 1);
    expect_line(&r, "a task passing 0x100000001 (0x1 to the kernel) gets past this rule");
    free(r.text);
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(text, "int.policy", &err);
    assert_non_null(p);
    cordon_task *t = cordon_function_task(unix_sockets, NULL);
    cordon_set_policy(t, p);
    cordon_set_timeout_ms(t, 10000);
    /* A task of root's makes no unix socket at all (sandbox/policy.h),
     * which would hide the policy's own hole: a root caller's runs as
     * nobody. */
    if (geteuid() == 0)
        assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    const cordon_result *result = run_task(t, 0);
    int errnos[2];
    assert_int_equal(result->returns.len, sizeof errnos);
    memcpy(errnos, result->returns.data, sizeof errnos);
    assert_int_equal(errnos[0], EPERM);
    assert_int_equal(errnos[1], 0); /* an AF_UNIX socket, made past the rule */
    cordon_task_free(t);
    cordon_policy_free(p);
}

static void test_check_warns_of_conditions_that_never_hold(void **state)
{
    (void)state;
    report r = check("never.policy", "default allow\nkill openat if arg2 & O_ACCMODE == O_CREAT\n", 0);
    assert_int_equal(r.counts.warnings, 1);
    expect_line(&r, "never.policy:2:6: warning: arg2 & 0x3 == 0x40 never holds (the value has bits "
                    "outside the mask): this rule for 'openat' never fires\n");
    free(r.text);
}

static void test_check_warns_of_overlapping_rules_with_different_actions(void **state)
{
    (void)state;
    report r = check("overlap.policy", "default allow\nerrno EPERM prctl if arg0 & 0xffffffff == PR_SET_NAME\n"
                                       "kill prctl if arg1 == 5\n", 0);
    assert_int_equal(r.counts.warnings, 1);
    expect_line(&r, "overlap.policy:3:6: warning: this rule for 'prctl' and the one at "
                    "overlap.policy:2 both hold for prctl(PR_SET_NAME, 5, 0, 0, 0) with different "
                    "actions");
    free(r.text);
    /* exclusive conditions: fine */
    r = check("overlap.policy", "default allow\nerrno EPERM prctl if arg0 & 0xffffffff == PR_SET_NAME\n"
                                "kill prctl if arg0 & 0xffffffff == PR_SET_SECCOMP\n", CORDON_CHECK_STRICT);
    assert_int_equal(r.rc, 0);
    free(r.text);
}

static void test_check_warns_of_includes_that_add_nothing(void **state)
{
    (void)state;
    report r = check("again.policy", "include default\ninclude nonet\n", 0);
    expect_line(&r, "warning: 'default' is already included (at again.policy:1)");
    /* the rules read twice are said once, at the include */
    assert_int_equal(r.counts.warnings, 1);
    free(r.text);
    write_scratch_file("kills.policy", "default allow\nkill mount\n");
    char text[512];
    snprintf(text, sizeof text, "default allow\ninclude %s/kills.policy\nallow mount\n", scratch_dir);
    r = check("useless.policy", text, 0);
    expect_line(&r, "useless.policy:2:9: warning: include");
    expect_line(&r, "kills.policy' adds nothing");
    free(r.text);
}

static void test_check_warns_of_syscalls_an_admitted_abi_lacks(void **state)
{
    (void)state;
    report r = check("abi.policy", "default allow\narch x86_64 i386\nkill newfstatat\n", 0);
    expect_line(&r, "abi.policy:3:6: warning: i386 has no syscall 'newfstatat': for the i386 calls "
                    "that 'arch' admits this rule applies to nothing\n");
    free(r.text);
    /* Said once for a rule of many '||' alternatives (each is a rule of
     * its own inside): it was said 22 times of the default's families. */
    r = check("alternatives.policy", "default allow\narch x86_64 i386\n"
              "errno EPERM newfstatat if arg0 & 0xffffffff == 1 || arg0 & 0xffffffff == 2 || "
              "arg0 & 0xffffffff == 3\n", 0);
    assert_int_equal(r.counts.warnings, 1);
    expect_line(&r, "alternatives.policy:3:13: warning: i386 has no syscall 'newfstatat'");
    free(r.text);
}

static void test_check_refuses_unknown_flags_and_names_a_missing_file(void **state)
{
    (void)state;
    assert_int_equal(cordon_policy_check("x", "default allow\n", NULL, 0x80, NULL), -EINVAL);
    cordon_check_counts counts;
    char path[300];
    snprintf(path, sizeof path, "%s/absent.policy", scratch_dir);
    assert_int_equal(cordon_policy_check(path, NULL, NULL, 0, &counts), 1);
    assert_int_equal(counts.errors, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_reports_every_error_in_one_run),
        cmocka_unit_test(test_check_reports_errors_in_included_files_and_a_missing_default),
        cmocka_unit_test(test_check_passes_a_clean_policy_and_each_shipped_one_strictly),
        cmocka_unit_test(test_check_warns_of_a_kill_after_an_unconditional_allow),
        cmocka_unit_test(test_check_warns_of_duplicates_and_rules_equal_to_the_default),
        cmocka_unit_test(test_check_accepts_an_override_of_an_included_file),
        cmocka_unit_test(test_check_warns_when_every_rule_is_the_default),
        cmocka_unit_test(test_check_warns_of_an_errno_that_refuses_the_own_exec),
        cmocka_unit_test(test_check_warns_of_a_policy_no_task_can_exit_under),
        cmocka_unit_test(test_check_warns_of_a_trap_that_stops_the_own_exec),
        cmocka_unit_test(test_check_warns_of_unmasked_int_arguments_only_where_a_task_gets_past),
        cmocka_unit_test(test_check_int_argument_warning_holds_in_the_kernel),
        cmocka_unit_test(test_check_warns_of_conditions_that_never_hold),
        cmocka_unit_test(test_check_warns_of_overlapping_rules_with_different_actions),
        cmocka_unit_test(test_check_warns_of_includes_that_add_nothing),
        cmocka_unit_test(test_check_warns_of_syscalls_an_admitted_abi_lacks),
        cmocka_unit_test(test_check_refuses_unknown_flags_and_names_a_missing_file),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
