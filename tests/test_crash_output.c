/* What a crashing function task leaves: the output it printed before the
 * crash, buffered or not, and a backtrace that names functions of dlopen'd
 * plugins and stops at the task's own function. */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "support.h"

#define REAL_FAULT __attribute__((noinline, no_sanitize("undefined")))

REAL_FAULT static int fault(volatile int *pointer)
{
    return *pointer + 1;
}

/* stdout is a pipe: fully buffered, nothing written out yet.  Not a tail
 * call: its frame must be on the stack at the fault. */
__attribute__((noinline)) static int print_then_segfault(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("step 1 done\n");
    printf("step 2 half");
    return fault(NULL) * 3;
}

static int print_then_abort(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("before abort\n");
    printf("no newline");
    abort();
}

static void test_crash_output_printed_before_a_segfault_is_kept(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(print_then_segfault, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    assert_string_equal(r->std_out.data, "step 1 done\nstep 2 half");
    cordon_task_free(t);
}

static void test_crash_output_printed_before_abort_is_kept(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(print_then_abort, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGABRT");
    assert_string_equal(r->std_out.data, "before abort\nno newline");
    cordon_task_free(t);
}

/* What the caller had buffered before the run is still not the task's. */
static void test_crash_output_holds_nothing_of_the_caller(void **state)
{
    (void)state;
    /* Static: glibc keeps a buffer given to setvbuf for the stream's life,
     * even when setvbuf is called again with NULL. */
    static char buffer[256];
    setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
    printf("caller's unflushed bytes");
    cordon_task *t = cordon_function_task(print_then_segfault, NULL);
    int rc = cordon_run(t);
    /* The caller's bytes go out before any assert can leave. */
    printf("\n");
    fflush(stdout);
    setvbuf(stdout, NULL, _IOLBF, 0);
    assert_int_equal(rc, CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->std_out.data, "step 1 done\nstep 2 half");
    cordon_task_free(t);
}

typedef int (*plugin_fn)(volatile int *);

static plugin_fn load_plugin(void)
{
    const char *dir = getenv("CORDON_PLUGIN_DIR");
    assert_non_null(dir);
    /* By a relative path, as a plugin host often does: the loader keeps
     * the name as given, which means nothing once the directory changed. */
    char here[4096];
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(dir), 0);
    void *handle = dlopen("./libcrash.so", RTLD_NOW | RTLD_LOCAL);
    assert_int_equal(chdir(here), 0);
    if (!handle)
        fprintf(stderr, "dlopen: %s\n", dlerror());
    assert_non_null(handle);
    plugin_fn fn = (plugin_fn)(uintptr_t)dlsym(handle, "plugin_analyze");
    assert_non_null(fn);
    return fn; /* stays loaded: the parent symbolizes the child's crash */
}

__attribute__((noinline)) static int run_plugin(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    plugin_fn analyze = (plugin_fn)(uintptr_t)arg;
    return analyze(NULL) + 1;
}

static void test_crash_output_backtrace_names_a_plugin_function(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    plugin_fn analyze = load_plugin();
    cordon_task *t = cordon_function_task(run_plugin, (void *)(uintptr_t)analyze);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    const char *report = r->exc_out.data;
    const char *frame0 = strstr(report, "#0  ");
    assert_non_null(frame0);
    if (!strstr(frame0, "plugin_analyze+0x") || strstr(frame0, "??"))
        fail_msg("frame #0 does not name plugin_analyze:\n%s", report);
    assert_non_null(strstr(report, "(libcrash.so)"));
    cordon_task_free(t);
}

static char swapped_object[96];

/* Loads a copy of the plugin from a file of the caller's user, where a
 * task of that user may change it. */
static plugin_fn load_a_copy_of_the_plugin(void)
{
    const char *dir = getenv("CORDON_PLUGIN_DIR");
    assert_non_null(dir);
    snprintf(swapped_object, sizeof swapped_object, "/var/tmp/cordon-own-object-%d.so",
             (int)getpid());
    char command[4096 + 200];
    snprintf(command, sizeof command, "cp '%s/libcrash.so' '%s'", dir, swapped_object);
    assert_int_equal(system(command), 0);
    void *handle = dlopen(swapped_object, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(handle);
    plugin_fn fn = (plugin_fn)(uintptr_t)dlsym(handle, "plugin_analyze");
    assert_non_null(fn);
    return fn;
}

__attribute__((noinline)) static int swap_the_object_for_a_fifo_then_crash(cordon_ctx *ctx,
                                                                          void *arg)
{
    (void)ctx;
    plugin_fn analyze = (plugin_fn)(uintptr_t)arg;
    if (unlink(swapped_object) != 0 || mkfifo(swapped_object, 0600) != 0)
        return 99;
    return analyze(NULL) + 1;
}

/* The caller's own objects are named from their files, opened by path
 * when a report needs them.  A task of the caller's user put a FIFO at
 * the path of one it then crashed in: the caller's open waited for a
 * writer for good, past the deadline.  Only the file still mapped there
 * is read now. */
static void test_crash_output_caller_object_swapped_for_a_fifo_hangs_nothing(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    plugin_fn analyze = load_a_copy_of_the_plugin();
    cordon_task *t = cordon_function_task(swap_the_object_for_a_fifo_then_crash,
                                          (void *)(uintptr_t)analyze);
    cordon_set_timeout_ms(t, 3000);
    assert_int_equal(cordon_run_async(t), 0);
    int rc = cordon_join_timeout(t, 30000);
    if (rc == -ETIMEDOUT) {
        int writer = open(swapped_object, O_WRONLY | O_NONBLOCK | O_CLOEXEC); /* let it go */
        unlink(swapped_object);
        fail_msg("the caller hung opening its own object, now a FIFO (writer %d)", writer);
    }
    unlink(swapped_object);
    assert_int_equal(rc, CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->exception, "SIGSEGV");
    const char *frame0 = strstr(r->exc_out.data, "#0  ");
    assert_non_null(frame0);
    if (strstr(frame0, "plugin_analyze") || !strstr(frame0, "?? (cordon-own-object-"))
        fail_msg("frame #0 is not the unnamed object:\n%s", r->exc_out.data);
    cordon_task_free(t);
}

/* The backtrace ends with the task's function: cordon's frames and the
 * caller's beyond it are no part of the task. */
static void test_crash_output_backtrace_stops_at_the_task_function(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    cordon_task *t = cordon_function_task(print_then_segfault, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    const char *report = r->exc_out.data;
    const char *task_frame = strstr(report, "print_then_segfault+0x");
    if (!task_frame)
        fail_msg("no frame of the task's function:\n%s", report);
    const char *after = strchr(task_frame, '\n');
    assert_non_null(after);
    if (after[1] != '\0')
        fail_msg("frames after the task's function:\n%s", report);
    assert_null(strstr(report, "cordon__"));
    assert_null(strstr(report, " main+"));
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_output_printed_before_a_segfault_is_kept),
        cmocka_unit_test(test_crash_output_printed_before_abort_is_kept),
        cmocka_unit_test(test_crash_output_holds_nothing_of_the_caller),
        cmocka_unit_test(test_crash_output_backtrace_names_a_plugin_function),
        cmocka_unit_test(test_crash_output_caller_object_swapped_for_a_fifo_hangs_nothing),
        cmocka_unit_test(test_crash_output_backtrace_stops_at_the_task_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
