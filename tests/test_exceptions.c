/* Exceptions: signals by name with a crash report that names the function
 * (static ones too), raised classes, and commands killed by signals. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>

#include "support.h"

/* These faults are the point: UBSan must let the signal happen. */
#define REAL_FAULT __attribute__((noinline, no_sanitize("undefined")))

REAL_FAULT static int deref_null_in_static_function(volatile int *pointer)
{
    return *pointer + 1;
}

/* Not a tail call: its frame must be on the stack at the fault. */
__attribute__((noinline)) static int segfaults(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return deref_null_in_static_function(NULL) * 3;
}

static void test_exception_segfault_report_names_the_static_function(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    cordon_task *t = cordon_function_task(segfaults, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    assert_int_equal(r->signal, SIGSEGV);
    const char *report = r->exc_out.data;
    assert_non_null(strstr(report, "SIGSEGV: Segmentation fault\n"));
    assert_non_null(strstr(report, "cause: SEGV_MAPERR (address not mapped to object)"));
    assert_non_null(strstr(report, "address: 0x0000000000000000"));
    assert_non_null(strstr(report, "#0  "));
    const char *frame0 = strstr(report, "#0  ");
    assert_non_null(strstr(frame0, "deref_null_in_static_function+0x"));
    assert_non_null(strstr(report, "segfaults+0x"));
    cordon_task_free(t);
}

static int aborts(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    abort();
}

static void test_exception_abort_is_sigabrt(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(aborts, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGABRT");
    assert_non_null(strstr(r->exc_out.data, "SIGABRT: Aborted\n"));
    assert_non_null(strstr(r->exc_out.data, "aborts+0x"));
    cordon_task_free(t);
}

static int raises_sigsegv(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_log(ctx, "  sent by: pid %d, uid %d", (int)getpid(), (int)getuid());
    raise(SIGSEGV);
    return 0;
}

/* A signal a process sent (abort's tkill, raise, kill) has no faulting
 * address: si_addr then holds the sender's pid and uid, and the report
 * says who sent it instead of printing those as an address. */
static void test_exception_sent_signal_names_its_sender_not_an_address(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(aborts, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGABRT");
    assert_non_null(strstr(r->exc_out.data, "cause: SI_TKILL"));
    assert_null(strstr(r->exc_out.data, "address:"));
    assert_non_null(strstr(r->exc_out.data, "  sent by: pid "));
    cordon_task_free(t);

    t = cordon_function_task(raises_sigsegv, NULL);
    r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    assert_null(strstr(r->exc_out.data, "address:"));
    /* the task's own pid and uid, as it saw them */
    char sender[64];
    assert_true(r->log_out.len > 1 && r->log_out.len < sizeof sender);
    snprintf(sender, sizeof sender, "%.*s,", (int)strcspn(r->log_out.data, "\n"), r->log_out.data);
    *strrchr(sender, ',') = ' ';
    assert_non_null(strstr(r->exc_out.data, sender));
    cordon_task_free(t);
}

static int raises_the_signal(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    raise((int)(intptr_t)arg);
    return 0;
}

/* Only a crash's signals reach the task's handler: of SIGTERM or SIGUSR1
 * raised by the task nothing was recorded, and a record of zeros was
 * reported as "cause: SI_USER", "sent by: pid 0, uid 0". */
static void test_exception_signal_with_no_record_names_no_sender(void **state)
{
    (void)state;
    const int signals[] = { SIGTERM, SIGUSR1, SIGPIPE, SIGALRM, SIGKILL };
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++) {
        cordon_task *t = cordon_function_task(raises_the_signal, (void *)(intptr_t)signals[i]);
        const cordon_result *r = run_task(t, CORDON_EXCEPTION);
        assert_string_equal(r->exception, cordon_signal_name(signals[i]));
        if (strstr(r->exc_out.data, "cause:") || strstr(r->exc_out.data, "sent by:"))
            fail_msg("%s", r->exc_out.data);
        assert_true(strncmp(r->exc_out.data, r->exception, strlen(r->exception)) == 0);
        cordon_task_free(t);
    }
}

REAL_FAULT static int divides_by_zero(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    volatile int zero = *(int *)arg;
    return 10 / zero;
}

static void test_exception_integer_division_by_zero_is_sigfpe(void **state)
{
    (void)state;
    int zero = 0;
    cordon_task *t = cordon_function_task(divides_by_zero, &zero);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGFPE");
    assert_non_null(strstr(r->exc_out.data, "cause: FPE_INTDIV (integer divide by zero)"));
    cordon_task_free(t);
}

static volatile int keep_going = 1;

__attribute__((noinline)) static int recurse_forever(volatile char *previous)
{
    volatile char frame[256];
    frame[0] = previous ? previous[0] : 1;
    if (!keep_going) /* always true at run time; the compiler cannot know */
        return frame[0];
    return recurse_forever(frame) + frame[0];
}

static int overflows_stack(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return recurse_forever(NULL);
}

static void test_exception_stack_overflow_still_gets_a_report(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(overflows_stack, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    /* The handler ran on its own stack and could unwind the recursion. */
    assert_non_null(strstr(r->exc_out.data, "recurse_forever+0x"));
    cordon_task_free(t);
}

static int raises_server_error(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    printf("before the raise");
    cordon_raise(ctx, "ServerError", "upstream said %d", 503);
}

static void test_exception_raised_class_and_message(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(raises_server_error, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ServerError");
    assert_string_equal(r->exc_out.data, "ServerError: upstream said 503\n");
    assert_string_equal(r->std_out.data, "before the raise"); /* flushed first */
    assert_int_equal(r->signal, 0);
    cordon_task_free(t);
}

static int raises_the_class(cordon_ctx *ctx, void *arg)
{
    cordon_raise(ctx, arg, "down");
}

#define CLASS_63 "com.example.payments.gateway.errors.UpstreamServiceTimeoutError"
#define CLASS_67 "com.example.payments.gateway.errors.UpstreamServiceTimeoutError_v2"

/* A class no name can be (NULL, empty, 64 bytes or more) is an
 * InvalidException that quotes it, as one of other bytes is: each was
 * "Exception" before, and a 67-byte class a retry list could not name
 * either came back as that catch-all.  63 bytes is a class. */
static void test_exception_a_class_that_is_no_name_is_an_invalid_exception(void **state)
{
    (void)state;
    struct { const char *raised, *exception, *exc_out; } cases[] = {
        { "", "InvalidException", "InvalidException: the task raised the class '', which is not "
                                  "a class name: down\n" },
        /* told apart from "" (both quoted '' before) */
        { NULL, "InvalidException", "InvalidException: the task raised a NULL class: down\n" },
        { CLASS_67, "InvalidException",
          "InvalidException: the task raised the class 'com.example.payments.gateway.errors."
          "UpstreamServiceTimeoutEr\xe2\x80\xa6', which is longer than a class name may be (63 bytes): "
          "down\n" },
        { CLASS_63, CLASS_63, CLASS_63 ": down\n" },
        /* short, ending as a cut one is marked: not called long */
        { "Short\xe2\x80\xa6", "InvalidException",
          "InvalidException: the task raised the class 'Short\xe2\x80\xa6', which is not a class "
          "name: down\n" },
    };
    assert_int_equal(strlen(CLASS_63), 63);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cordon_task *t = cordon_function_task(raises_the_class, (void *)cases[i].raised);
        const cordon_result *r = run_task(t, CORDON_EXCEPTION);
        assert_string_equal(r->exception, cases[i].exception);
        assert_string_equal(r->exc_out.data, cases[i].exc_out);
        assert_int_equal(r->exit_code, 1);
        cordon_task_free(t);
    }
    cordon_task *t = cordon_function_task(raises_the_class, (void *)CLASS_63);
    assert_int_equal(cordon_run_and_retry(t, 2, CLASS_63), CORDON_EXCEPTION);
    assert_int_equal(cordon_task_result(t)->attempts, 3);
    assert_int_equal(cordon_run_and_retry(t, 2, CLASS_67), -EINVAL);
    cordon_task_free(t);
}

static int raises_without_its_ctx(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    if (arg) { /* from a process the function forked */
        pid_t child = fork();
        if (child == 0)
            cordon_raise(NULL, "ServerError", "connection refused");
        int status = 0;
        waitpid(child, &status, 0);
        return 0;
    }
    cordon_raise(NULL, "ServerError", "connection refused");
}

/* cordon_raise(NULL, …) in a task ended it as a plain exit 1: the class
 * and the message were lost without a word.  Outside any task it ended
 * the caller with status 1 and nothing said. */
static void test_exception_a_raise_without_a_ctx_is_an_invalid_exception(void **state)
{
    (void)state;
    for (intptr_t forked = 0; forked <= 1; forked++) {
        cordon_task *t = cordon_function_task(raises_without_its_ctx, (void *)forked);
        const cordon_result *r = run_task(t, CORDON_EXCEPTION);
        assert_string_equal(r->exception, "InvalidException");
        assert_string_equal(r->exc_out.data, "InvalidException: the task called cordon_raise with "
                                             "a NULL ctx, for the class 'ServerError': "
                                             "connection refused\n");
        cordon_task_free(t);
    }
    int err[2];
    assert_int_equal(pipe(err), 0);
    pid_t caller = fork();
    assert_true(caller >= 0);
    if (caller == 0) {
        dup2(err[1], 2);
        cordon_raise(NULL, "ServerError", "outside any task");
    }
    close(err[1]);
    char said[200] = "";
    assert_true(read(err[0], said, sizeof said - 1) > 0);
    close(err[0]);
    int status;
    assert_int_equal(waitpid(caller, &status, 0), caller);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    assert_non_null(strstr(said, "cordon_raise: called outside a function task's child"));
}

static void test_exception_command_killed_by_signal_is_named(void **state)
{
    (void)state;
    cordon_task *t = shell("kill -USR1 $$");
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGUSR1");
    assert_int_equal(r->signal, SIGUSR1);
    assert_int_equal(r->exit_code, 128 + SIGUSR1);
    /* no crash: nothing said of a backtrace (a pipeline's SIGPIPE was
     * called "a command's crash") */
    assert_string_equal(r->exc_out.data, "SIGUSR1: User defined signal 1\n");
    cordon_task_free(t);
    t = shell("kill -SEGV $$");
    r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exc_out.data, "SIGSEGV: Segmentation fault\n"
                                         "  (a command's crash carries no backtrace)\n");
    cordon_task_free(t);
}

/* The first child of this process whose name is `comm` ("cordon-init"),
 * or 0: read from every thread's list of children. */
static pid_t child_named(const char *comm)
{
    DIR *tasks = opendir("/proc/self/task");
    pid_t found = 0;
    struct dirent *e;
    while (tasks && !found && (e = readdir(tasks))) {
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
        FILE *f = e->d_name[0] != '.' ? fopen(path, "r") : NULL;
        int pid;
        while (f && !found && fscanf(f, "%d", &pid) == 1) {
            char stat_path[64], name[32] = "";
            snprintf(stat_path, sizeof stat_path, "/proc/%d/comm", pid);
            FILE *c = fopen(stat_path, "r");
            if (c && fgets(name, sizeof name, c) && !strncmp(name, comm, strlen(comm)))
                found = pid;
            if (c)
                fclose(c);
        }
        if (f)
            fclose(f);
    }
    if (tasks)
        closedir(tasks);
    return found;
}

/* cordon's init killed from outside (root, or the caller's own user):
 * the kernel kills the pid namespace's every process with it, and the
 * ending read as a SIGKILL sent to the task, "SIGKILL: Killed", nothing
 * said of the init.  The signal is what the task died of; the message
 * now says why.  A task that kills itself gets no such line. */
static void test_exception_init_killed_from_outside_is_said(void **state)
{
    (void)state;
    skip_unless_tasks_get(CORDON_CONFINED_PID_NAMESPACE, "no pid namespace here: no init");
    cordon_task *t = shell("sleep 5");
    assert_int_equal(cordon_run_async(t), 0);
    pid_t init = 0;
    for (int i = 0; i < 300 && !init; i++) {
        usleep(10 * 1000);
        init = child_named("cordon-init");
    }
    assert_true(init > 0);
    usleep(100 * 1000); /* the task started */
    assert_int_equal(kill(init, SIGKILL), 0);
    assert_int_equal(cordon_join(t), CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->exception, "SIGKILL");
    assert_int_equal(r->exit_code, 128 + SIGKILL);
    if (!strstr(r->exc_out.data, "cordon's init, which held the task's tree in its pid "
                                 "namespace, was killed from outside cordon"))
        fail_msg("%s", r->exc_out.data);
    cordon_task_free(t);
    t = shell("kill -KILL $$");
    r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exc_out.data, "SIGKILL: Killed\n");
    cordon_task_free(t);
}

static void test_exception_signal_names_follow_kill_l(void **state)
{
    (void)state;
    assert_string_equal(cordon_signal_name(SIGSEGV), "SIGSEGV");
    assert_string_equal(cordon_signal_name(SIGKILL), "SIGKILL");
    assert_string_equal(cordon_signal_name(SIGSYS), "SIGSYS");
    assert_string_equal(cordon_signal_name(SIGRTMIN), "SIGRTMIN");
    assert_string_equal(cordon_signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
    /* bash's kill -l, whatever the C library reserves below SIGRTMIN */
    char name[16], expected[32];
    for (int signo = SIGRTMIN; signo <= SIGRTMAX; signo++) {
        char line[64];
        snprintf(line, sizeof line, "kill -l %d", signo);
        FILE *kill_l = popen(line, "r");
        assert_non_null(kill_l);
        bool said = fgets(name, sizeof name, kill_l) != NULL;
        int status = pclose(kill_l);
        if (!said || status != 0)
            continue; /* a shell without real-time names */
        name[strcspn(name, "\n")] = '\0';
        snprintf(expected, sizeof expected, "%s%s", strncmp(name, "SIG", 3) ? "SIG" : "", name);
        assert_string_equal(cordon_signal_name(signo), expected);
    }
    assert_null(cordon_signal_name(0));
    assert_null(cordon_signal_name(200));
    /* and back: every name, and the other spellings bash's kill takes */
    for (int signo = 1; signo <= SIGRTMAX; signo++)
        if (cordon_signal_name(signo))
            assert_int_equal(cordon_signal_number(cordon_signal_name(signo)), signo);
    assert_int_equal(cordon_signal_number("segv"), SIGSEGV);
    assert_int_equal(cordon_signal_number("KILL"), SIGKILL);
    assert_int_equal(cordon_signal_number("SIGRTMIN+30"), SIGRTMIN + 30 <= SIGRTMAX ? SIGRTMIN + 30 : 0);
    assert_int_equal(cordon_signal_number("rtmax-10"), SIGRTMAX - 10);
    const char *no_signal[] = { "", "SIG", "SIGFOO", "SIGRTMIN+", "SIGRTMIN-1", "SIGRTMAX+1",
                                "SIGRTMIN+99", "SIGRTMAX-99", "SIGRTMIN+1x", "SIGSEGV2" };
    for (size_t i = 0; i < sizeof no_signal / sizeof *no_signal; i++)
        if (cordon_signal_number(no_signal[i]) != 0)
            fail_msg("'%s' named a signal", no_signal[i]);
    assert_int_equal(cordon_signal_number(NULL), 0);
}

/* The last real-time signal is a signal like the others: a task that dies
 * of it is named by its number, never the catch-all "Signal". */
static void test_exception_command_killed_by_sigrtmax_is_named(void **state)
{
    (void)state;
    char name[16], line[64];
    snprintf(name, sizeof name, "SIGRTMAX");
    assert_string_equal(cordon_signal_name(SIGRTMAX), name);
    assert_null(cordon_signal_name(SIGRTMAX + 1));
    snprintf(line, sizeof line, "kill -%d $$", SIGRTMAX);
    cordon_task *t = shell(line);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, name);
    assert_int_equal(r->signal, SIGRTMAX);
    assert_int_equal(r->exit_code, 128 + SIGRTMAX);
    cordon_task_free(t);
}

static int exits_itself(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    _exit(9);
}

static void test_exception_function_that_exits_is_not_an_exception(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its forked copy exits with its own error status");
    cordon_task *t = cordon_function_task(exits_itself, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 9);
    assert_null(r->exception);
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exception_segfault_report_names_the_static_function),
        cmocka_unit_test(test_exception_abort_is_sigabrt),
        cmocka_unit_test(test_exception_sent_signal_names_its_sender_not_an_address),
        cmocka_unit_test(test_exception_signal_with_no_record_names_no_sender),
        cmocka_unit_test(test_exception_integer_division_by_zero_is_sigfpe),
        cmocka_unit_test(test_exception_stack_overflow_still_gets_a_report),
        cmocka_unit_test(test_exception_raised_class_and_message),
        cmocka_unit_test(test_exception_a_class_that_is_no_name_is_an_invalid_exception),
        cmocka_unit_test(test_exception_a_raise_without_a_ctx_is_an_invalid_exception),
        cmocka_unit_test(test_exception_command_killed_by_signal_is_named),
        cmocka_unit_test(test_exception_init_killed_from_outside_is_said),
        cmocka_unit_test(test_exception_signal_names_follow_kill_l),
        cmocka_unit_test(test_exception_command_killed_by_sigrtmax_is_named),
        cmocka_unit_test(test_exception_function_that_exits_is_not_an_exception),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
