/* Where a task's stdout and stderr go: captured (the default), the
 * caller's own fds (inherited, never a terminal), or /dev/null. */
#include <fcntl.h>
#include <pty.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "support.h"

/* The caller's fd `target` pointed at a fresh file for the run; put back
 * by restore_fd.  The file's path is returned. */
static int redirect_fd(int target, char *path, size_t size, int *saved)
{
    snprintf(path, size, "/var/tmp/cordon-output-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    if (target == 1)
        fflush(stdout);
    *saved = dup(target);
    assert_true(*saved >= 0);
    assert_int_equal(dup2(fd, target), target);
    close(fd);
    return 0;
}

static void restore_fd(int target, int saved)
{
    assert_int_equal(dup2(saved, target), target);
    close(saved);
}

static char *slurp_and_remove(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[4][4096];
    static int next;
    char *out = text[next++ % 4];
    size_t n = fread(out, 1, sizeof text[0] - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(path);
    return out;
}

static int seen_by_callback[4];

static void count_output(void *user, int stream, const char *data, size_t len)
{
    (void)user;
    (void)data;
    seen_by_callback[stream] += (int)len;
}

static int print_both(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("function's stdout\n");
    fprintf(stderr, "function's stderr\n");
    return 0;
}

static void test_output_mode_function_inherits_stdout(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(print_both, NULL);
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT), 0);
    memset(seen_by_callback, 0, sizeof seen_by_callback);
    assert_int_equal(cordon_set_output_callback(t, count_output, NULL), 0);
    char path[64];
    int saved;
    redirect_fd(1, path, sizeof path, &saved);
    int rc = cordon_run(t);
    restore_fd(1, saved);
    assert_int_equal(rc, 0);
    assert_string_equal(slurp_and_remove(path), "function's stdout\n");
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->std_out.len, 0);
    assert_int_equal(r->std_out.dropped, 0);
    assert_string_equal(r->std_err.data, "function's stderr\n"); /* still captured */
    assert_int_equal(seen_by_callback[1], 0);
    assert_int_equal(seen_by_callback[2], (int)strlen("function's stderr\n"));
    cordon_task_free(t);
}

static void test_output_mode_command_inherits_stdout_and_stderr(void **state)
{
    (void)state;
    cordon_task *t = shell("echo command out; echo command err >&2");
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT), 0);
    assert_int_equal(cordon_set_output_mode(t, 2, CORDON_OUTPUT_INHERIT), 0);
    char out_path[64], err_path[64];
    int saved_out, saved_err;
    redirect_fd(1, out_path, sizeof out_path, &saved_out);
    redirect_fd(2, err_path, sizeof err_path, &saved_err);
    int rc = cordon_run(t);
    restore_fd(2, saved_err);
    restore_fd(1, saved_out);
    assert_int_equal(rc, 0);
    assert_string_equal(slurp_and_remove(out_path), "command out\n");
    assert_string_equal(slurp_and_remove(err_path), "command err\n");
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->std_out.len, 0);
    assert_int_equal(r->std_err.len, 0);
    cordon_task_free(t);
}

static void test_output_mode_discard_keeps_nothing_of_a_flood(void **state)
{
    (void)state;
    cordon_task *t = shell("head -c 20000000 /dev/zero; echo kept >&2");
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_DISCARD), 0);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_OUTPUT, 4096), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->std_out.len, 0);
    assert_int_equal(r->std_out.dropped, 0);
    assert_string_equal(r->std_err.data, "kept\n");
    /* Back to capturing. */
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_CAPTURE), 0);
    r = run_task(t, 0);
    assert_int_equal(r->std_out.len, 4096);
    assert_int_equal(r->std_out.dropped, 20000000 - 4096);
    cordon_task_free(t);
}

/* The task must not get the caller's terminal: with stdout on one, an
 * inherited stdout is refused before anything starts. */
static void test_output_mode_inherit_refuses_a_terminal(void **state)
{
    (void)state;
    int leader, follower;
    if (openpty(&leader, &follower, NULL, NULL, NULL) != 0) {
        print_message("skipped: no pseudo-terminal: %s\n", strerror(errno));
        skip();
    }
    cordon_task *t = shell("echo on the terminal");
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT), 0);
    /* On a file, it runs. */
    char path[64];
    int saved;
    redirect_fd(1, path, sizeof path, &saved);
    int rc = cordon_run(t);
    restore_fd(1, saved);
    assert_int_equal(rc, 0);
    assert_string_equal(slurp_and_remove(path), "on the terminal\n");
    /* On a terminal, nothing starts and nothing is left open. */
    int fds_before = count_open_fds();
    fflush(stdout);
    saved = dup(1);
    assert_int_equal(dup2(follower, 1), 1);
    rc = cordon_run(t);
    restore_fd(1, saved);
    assert_int_equal(rc, -ENOTTY);
    assert_true(no_children_left());
    assert_int_equal(count_open_fds(), fds_before);
    cordon_task_free(t);
    close(leader);
    close(follower);
}

static void test_output_mode_inherit_of_a_closed_fd_is_ebadf(void **state)
{
    (void)state;
    cordon_task *t = shell("echo lost");
    assert_int_equal(cordon_set_output_mode(t, 2, CORDON_OUTPUT_INHERIT), 0);
    int saved = dup(2);
    close(2);
    int rc = cordon_run(t);
    restore_fd(2, saved);
    assert_int_equal(rc, -EBADF);
    assert_true(no_children_left());
    cordon_task_free(t);
}

/* A start that fails before the task's cgroup was made (here: a file
 * rule's path that went away) released a zeroed cgroup, whose events fd
 * 0 was the caller's stdin: the caller lost its fd 0. */
static void test_output_mode_failed_start_leaves_the_callers_stdin_open(void **state)
{
    (void)state;
    char gone[] = "/var/tmp/cordon-gone-XXXXXX";
    assert_non_null(mkdtemp(gone));
    cordon_task *t = shell("echo ran");
    int rc = cordon_allow_path(t, gone, CORDON_READ);
    if (rc == -EOPNOTSUPP) {
        cordon_task_free(t);
        rmdir(gone);
        print_message("skipped: no Landlock on this machine\n");
        skip();
    }
    assert_int_equal(rc, 0);
    assert_int_equal(rmdir(gone), 0);
    struct stat before, after;
    assert_int_equal(fstat(0, &before), 0);
    assert_int_equal(cordon_run(t), -ENOENT);
    assert_int_equal(fstat(0, &after), 0);
    assert_true(before.st_ino == after.st_ino && before.st_dev == after.st_dev);
    cordon_task_free(t);
}

static void test_output_mode_refuses_bad_streams_and_modes(void **state)
{
    (void)state;
    cordon_task *t = shell("true");
    assert_int_equal(cordon_set_output_mode(t, 0, CORDON_OUTPUT_INHERIT), -EINVAL);
    assert_int_equal(cordon_set_output_mode(t, 3, CORDON_OUTPUT_INHERIT), -EINVAL);
    assert_int_equal(cordon_set_output_mode(t, 1, 7), -EINVAL);
    assert_int_equal(cordon_set_output_mode(NULL, 1, CORDON_OUTPUT_DISCARD), -EINVAL);
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_mode_function_inherits_stdout),
        cmocka_unit_test(test_output_mode_command_inherits_stdout_and_stderr),
        cmocka_unit_test(test_output_mode_discard_keeps_nothing_of_a_flood),
        cmocka_unit_test(test_output_mode_inherit_refuses_a_terminal),
        cmocka_unit_test(test_output_mode_inherit_of_a_closed_fd_is_ebadf),
        cmocka_unit_test(test_output_mode_failed_start_leaves_the_callers_stdin_open),
        cmocka_unit_test(test_output_mode_refuses_bad_streams_and_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
