/* Where a task's stdout and stderr go: captured (the default), the
 * caller's own fds (inherited; a terminal is passed on, never handed
 * over), or /dev/null. */
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <pty.h>
#include <termios.h>
#include <time.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/socket.h>

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

/* A pseudo-terminal whose follower stands in for the caller's fd 1 during
 * a run; skips when the machine has none. */
static void open_terminal(int *leader, int *follower)
{
    if (openpty(leader, follower, NULL, NULL, NULL) != 0) {
        print_message("skipped: no pseudo-terminal: %s\n", strerror(errno));
        skip();
    }
}

static int run_on_terminal(cordon_task *t, int follower)
{
    fflush(stdout);
    int saved = dup(1);
    assert_int_equal(dup2(follower, 1), 1);
    int rc = cordon_run(t);
    restore_fd(1, saved);
    return rc;
}

static int report_stdout_kind(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("on the terminal\n");
    fflush(stdout);
    struct termios modes;
    fprintf(stderr, "isatty %d, tcgetattr %d\n", isatty(1), tcgetattr(1, &modes));
    return 0;
}

/* The task must not get the caller's terminal: its stdout is a pipe, and
 * what it writes reaches the terminal through the collector. */
static void test_output_mode_inherited_terminal_is_passed_on_not_handed_over(void **state)
{
    (void)state;
    int leader, follower;
    open_terminal(&leader, &follower);
    cordon_task *t = cordon_function_task(report_stdout_kind, NULL);
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT), 0);
    int fds_before = count_open_fds();
    assert_int_equal(run_on_terminal(t, follower), 0);
    assert_int_equal(count_open_fds(), fds_before);
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->std_err.data, "isatty 0, tcgetattr -1\n");
    assert_int_equal(r->std_out.len, 0);
    assert_int_equal(r->std_out.dropped, 0);
    char seen[256] = "";
    int flags = fcntl(leader, F_GETFL);
    fcntl(leader, F_SETFL, flags | O_NONBLOCK);
    ssize_t n = read(leader, seen, sizeof seen - 1);
    assert_true(n > 0);
    seen[n] = '\0';
    assert_string_equal(seen, "on the terminal\r\n"); /* the terminal's own \n -> \r\n */
    /* The caller's own description of the terminal kept its flags. */
    assert_int_equal(fcntl(follower, F_GETFL) & O_NONBLOCK, 0);
    cordon_task_free(t);
    close(leader);
    close(follower);
}

typedef struct terminal_reader {
    int leader;
    size_t bytes, x_bytes;
} terminal_reader;

static void *read_terminal(void *arg)
{
    terminal_reader *r = arg;
    char buf[65536];
    for (;;) {
        ssize_t n = read(r->leader, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL; /* EIO: the follower was closed */
        r->bytes += (size_t)n;
        for (ssize_t i = 0; i < n; i++)
            r->x_bytes += buf[i] == 'x';
    }
}

/* A flood through a terminal that keeps up arrives whole: the backlog
 * holds what the terminal takes later, the task waits while it is full. */
static void test_output_mode_terminal_that_reads_gets_everything(void **state)
{
    (void)state;
    int leader, follower;
    open_terminal(&leader, &follower);
    terminal_reader reader = { .leader = leader };
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, read_terminal, &reader), 0);
    cordon_task *t = shell("head -c 3000000 /dev/zero | tr '\\0' x");
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 60000), 0);
    assert_int_equal(run_on_terminal(t, follower), 0);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->std_out.dropped, 0);
    close(follower);
    pthread_join(thread, NULL);
    assert_int_equal(reader.x_bytes, 3000000);
    cordon_task_free(t);
    close(leader);
}

/* A terminal that takes nothing (nobody reads it, its output stopped as
 * with ^S) holds up neither the caller nor the deadline: the task waits
 * on its writes until the deadline, and what the terminal never took is
 * counted as dropped. */
static void test_output_mode_stopped_terminal_holds_up_nothing(void **state)
{
    (void)state;
    int leader, follower;
    open_terminal(&leader, &follower);
    tcflow(follower, TCOOFF);
    cordon_task *t = shell("exec head -c 50000000 /dev/zero");
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 500), 0);
    struct timespec started, ended;
    clock_gettime(CLOCK_MONOTONIC, &started);
    int rc = run_on_terminal(t, follower);
    clock_gettime(CLOCK_MONOTONIC, &ended);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(rc, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "Timeout");
    assert_true(ended.tv_sec - started.tv_sec < 10); /* loaded machines are slow, not stuck */
    assert_int_equal(r->std_out.len, 0);
    assert_true(r->std_out.dropped > 0);
    assert_true(r->std_out.dropped < 50000000);
    tcflow(follower, TCOON);
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
    /* A test run with its stdin closed: give it one to lose. */
    if (fstat(0, &before) != 0)
        assert_int_equal(open("/dev/null", O_RDONLY), 0);
    assert_int_equal(fstat(0, &before), 0);
    assert_int_equal(cordon_run(t), -ENOENT);
    assert_int_equal(fstat(0, &after), 0);
    assert_true(before.st_ino == after.st_ino && before.st_dev == after.st_dev);
    cordon_task_free(t);
}

/* ---- what of the caller's description the task may hold ------------- */

/* Tries to read its stdout back from the start, says what it got on
 * stderr (captured), then writes its line. */
static int read_back_then_write(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char seen[64];
    lseek(1, 0, SEEK_SET);
    fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
    ssize_t n = read(1, seen, sizeof seen);
    dprintf(2, "read %zd\n", n);
    return write(1, "task\n", 5) == 5 ? 0 : 1;
}

/* Opens its stdout again through /proc for reading, says on stderr what
 * it read of the pipe's (what the caller wrote and the consumer has not
 * read yet), then writes its line. */
static int read_through_proc_then_write(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char seen[64];
    ssize_t n = -1;
    int fd = open("/proc/self/fd/1", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, seen, sizeof seen);
        close(fd);
    }
    dprintf(2, "read %zd\n", n);
    return write(1, "task\n", 5) == 5 ? 0 : 1;
}

/* Runs `fn` with the caller's fd 1 on `fd` (with file rules that grant
 * reading everything where `governed`); cordon_run's return. */
static int run_fn_with_stdout(cordon_fn fn, bool governed, int fd, const cordon_result **result,
                              cordon_task **task)
{
    cordon_task *t = cordon_function_task(fn, NULL);
    if (governed)
        assert_int_equal(cordon_allow_path(t, "/", CORDON_READ), 0);
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 20000), 0);
    fflush(stdout);
    int saved = dup(1);
    assert_int_equal(dup2(fd, 1), 1);
    int rc = cordon_run(t);
    restore_fd(1, saved);
    *result = cordon_task_result(t);
    *task = t;
    return rc;
}

/* Runs read_back_then_write with the caller's fd 1 on `fd`. */
static int run_with_stdout(int fd, const cordon_result **result, cordon_task **task)
{
    return run_fn_with_stdout(read_back_then_write, false, fd, result, task);
}

/* A file open read-write: the task could read back what the caller wrote,
 * seek and overwrite it.  It gets a pipe; its line is written after the
 * caller's, at the caller's offset. */
static void test_output_mode_inherited_read_write_file_is_relayed(void **state)
{
    (void)state;
    char path[] = "/var/tmp/cordon-output-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "caller's secret\n", 16), 16);
    const cordon_result *r;
    cordon_task *t;
    assert_int_equal(run_with_stdout(fd, &r, &t), 0);
    assert_string_equal(r->std_err.data, "read -1\n");
    assert_int_equal(r->std_out.dropped, 0);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 21); /* the caller's offset moved on */
    close(fd);
    assert_string_equal(slurp_and_remove(path), "caller's secret\ntask\n");
    cordon_task_free(t);
}

static int write_ten_thousand(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char x[10000];
    memset(x, 'x', sizeof x);
    return write(1, x, sizeof x) == (ssize_t)sizeof x ? 0 : 1;
}

/* The caller writes the task's output to its file now: past the caller's
 * RLIMIT_FSIZE that write raises SIGXFSZ, which must not end the caller;
 * what did not fit is dropped and counted. */
static void test_output_mode_relayed_file_past_the_callers_size_limit(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("under valgrind the caller dies of the SIGXFSZ cordon takes back");
    char path[] = "/var/tmp/cordon-output-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    cordon_task *t = cordon_function_task(write_ten_thousand, NULL);
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT), 0);
    struct rlimit before, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &before), 0);
    small = before;
    small.rlim_cur = 4096;
    fflush(stdout);
    int saved = dup(1);
    assert_int_equal(dup2(fd, 1), 1);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = cordon_run(t);
    setrlimit(RLIMIT_FSIZE, &before);
    restore_fd(1, saved);
    assert_int_equal(rc, 0);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->std_out.dropped, 10000 - 4096);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 4096);
    close(fd);
    unlink(path);
    cordon_task_free(t);
}

/* A socket: the task could recv what was sent to the caller, or send at
 * any time.  It gets a pipe; the collector sends its output. */
static void test_output_mode_inherited_socket_is_relayed(void **state)
{
    (void)state;
    int pair[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    assert_int_equal(write(pair[1], "for the caller\n", 15), 15);
    const cordon_result *r;
    cordon_task *t;
    assert_int_equal(run_with_stdout(pair[0], &r, &t), 0);
    assert_string_equal(r->std_err.data, "read -1\n");
    char seen[64] = "";
    ssize_t n = recv(pair[1], seen, sizeof seen - 1, MSG_DONTWAIT);
    assert_int_equal(n, 5);
    assert_string_equal(seen, "task\n");
    memset(seen, 0, sizeof seen);
    assert_int_equal(recv(pair[0], seen, sizeof seen - 1, MSG_DONTWAIT), 15); /* still there */
    assert_string_equal(seen, "for the caller\n");
    cordon_task_free(t);
    close(pair[0]);
    close(pair[1]);
}

/* A FIFO open read-write: the task gets a write-only description of it. */
static void test_output_mode_inherited_read_write_fifo_is_write_only(void **state)
{
    (void)state;
    char dir[] = "/var/tmp/cordon-fifo-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "caller's\n", 9), 9);
    const cordon_result *r;
    cordon_task *t;
    assert_int_equal(run_with_stdout(fd, &r, &t), 0);
    assert_string_equal(r->std_err.data, "read -1\n");
    char seen[64] = "";
    fcntl(fd, F_SETFL, O_NONBLOCK);
    assert_int_equal(read(fd, seen, sizeof seen - 1), 14);
    assert_string_equal(seen, "caller's\ntask\n");
    assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
    cordon_task_free(t);
    close(fd);
    unlink(path);
    rmdir(dir);
}

/* Changes the mode of its stdout's file through /proc, then writes. */
static int chmods_its_stdout(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    if (chmod("/proc/self/fd/1", 0600) == 0)
        fprintf(stderr, "chmod ");
    printf("task\n");
    return 0;
}

/* A FIFO beneath a read-only bind of the task's: its description of its
 * own was on the caller's writable mount, and the task made the FIFO
 * mode 600 through /proc/self/fd/1 (EROFS by its path).  It is relayed. */
static void test_output_mode_inherited_fifo_beneath_a_read_only_bind_keeps_its_mode(void **state)
{
    (void)state;
    char dir[] = "/var/tmp/cordon-fifo-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0644), 0);
    assert_int_equal(chmod(path, 0644), 0);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    cordon_task *t = cordon_function_task(chmods_its_stdout, NULL);
    assert_int_equal(cordon_add_bind(t, dir, dir, CORDON_BIND_READONLY), 0);
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT), 0);
    fflush(stdout);
    int saved = dup(1);
    assert_int_equal(dup2(fd, 1), 1);
    int rc = cordon_run(t);
    restore_fd(1, saved);
    bool held = rc >= 0 && (cordon_task_result(t)->confinement & CORDON_CONFINED_BIND_MOUNTS);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    char seen[16] = "";
    fcntl(fd, F_SETFL, O_NONBLOCK);
    ssize_t n = read(fd, seen, sizeof seen - 1);
    cordon_task_free(t);
    close(fd);
    unlink(path);
    rmdir(dir);
    if (!held) {
        print_message("no mount namespace here (%d)\n", rc);
        skip();
    }
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(n, 5);
    assert_string_equal(seen, "task\n");
}

/* A pipe or a device open write-only (./host | consumer, >/dev/null): the
 * task was handed the caller's description itself, and the O_NONBLOCK it
 * set stayed on the caller's stdout (the caller's next large write to the
 * pipe came back short).  It gets a description of its own. */
static void test_output_mode_inherited_write_only_pipe_keeps_its_flags(void **state)
{
    (void)state;
    int ends[2];
    assert_int_equal(pipe2(ends, O_CLOEXEC), 0);
    const cordon_result *r;
    cordon_task *t;
    assert_int_equal(run_with_stdout(ends[1], &r, &t), 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(fcntl(ends[1], F_GETFL), O_WRONLY);
    char seen[16] = "";
    assert_int_equal(read(ends[0], seen, sizeof seen - 1), 5);
    assert_string_equal(seen, "task\n");
    cordon_task_free(t);
    close(ends[0]);
    close(ends[1]);

    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    assert_true(null >= 0);
    assert_int_equal(run_with_stdout(null, &r, &t), 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(fcntl(null, F_GETFL) & O_NONBLOCK, 0);
    cordon_task_free(t);
    close(null);
}

/* An anonymous pipe (./host | consumer): a description of its own, even
 * write-only, let a task with file rules open the pipe again through
 * /proc for reading and take what the caller had written for the
 * consumer.  It is relayed. */
static void test_output_mode_inherited_pipe_cannot_be_read_by_a_task_with_file_rules(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know Landlock's system calls");
    int ends[2];
    assert_int_equal(pipe2(ends, O_CLOEXEC), 0);
    assert_int_equal(write(ends[1], "caller's\n", 9), 9);
    const cordon_result *r;
    cordon_task *t;
    int rc = run_fn_with_stdout(read_through_proc_then_write, true, ends[1], &r, &t);
    if (rc < 0 || !(r->confinement & CORDON_CONFINED_FILE_RULES)) {
        cordon_task_free(t);
        close(ends[0]);
        close(ends[1]);
        print_message("no Landlock file rules here (%d)\n", rc);
        skip();
    }
    assert_int_equal(rc, 0);
    assert_int_equal(r->exit_code, 0);
    close(ends[1]);
    char seen[64] = "";
    size_t len = 0;
    ssize_t n;
    while (len < sizeof seen - 1 && (n = read(ends[0], seen + len, sizeof seen - 1 - len)) > 0)
        len += (size_t)n;
    assert_string_equal(seen, "caller's\ntask\n");
    cordon_task_free(t);
    close(ends[0]);
}

/* A FIFO that cannot be opened again (its reader gone; another user's
 * pipe is the same) is relayed without ever waiting on it, and the
 * SIGPIPE of writing to it is never the caller's: the task's output is
 * dropped and counted. */
static void test_output_mode_inherited_fifo_without_a_reader_is_relayed(void **state)
{
    (void)state;
    char dir[] = "/var/tmp/cordon-fifo-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    int both = open(path, O_RDWR | O_CLOEXEC);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    assert_true(both >= 0 && fd >= 0);
    close(both); /* no reader left */
    struct sigaction plain = { .sa_handler = SIG_DFL }, previous;
    sigaction(SIGPIPE, &plain, &previous);
    const cordon_result *r;
    cordon_task *t;
    assert_int_equal(run_with_stdout(fd, &r, &t), 0);
    sigaction(SIGPIPE, &previous, NULL);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->std_out.dropped, 5);
    cordon_task_free(t);
    close(fd);
    unlink(path);
    rmdir(dir);
}

/* A pseudo-terminal's master: opening it again (the way to a description
 * of cordon's own) made a new pseudo-terminal, and the output was lost. */
static void test_output_mode_inherited_terminal_master_is_refused(void **state)
{
    (void)state;
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(master >= 0);
    const cordon_result *r;
    cordon_task *t;
    assert_int_equal(run_with_stdout(master, &r, &t), -ENOTTY);
    assert_true(no_children_left());
    cordon_task_free(t);
    close(master);
}

/* A description not open for writing is refused, not handed over for the
 * task's writes to fail. */
static void test_output_mode_inherited_read_only_fd_is_ebadf(void **state)
{
    (void)state;
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    const cordon_result *r;
    cordon_task *t;
    assert_int_equal(run_with_stdout(fd, &r, &t), -EBADF);
    assert_true(no_children_left());
    cordon_task_free(t);
    close(fd);
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

/* In the task: writes "y\n" until a write fails; the errno, or 0 when
 * a signal ended it first. */
static int writes_for_ever(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    for (;;)
        if (write(1, "y\n", 2) < 0)
            return errno;
}

/* An inherited socket whose reader is gone: the task's own pipe loses its
 * reader too, as in a pipeline (`./host | head -1`): it dies of SIGPIPE
 * at once.  It was drained for ever, the task never told. */
static void test_output_mode_inherited_reader_gone_ends_the_writer_with_sigpipe(void **state)
{
    (void)state;
    int pair[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    close(pair[1]);
    const cordon_result *r;
    cordon_task *t;
    assert_int_equal(run_fn_with_stdout(writes_for_ever, false, pair[0], &r, &t), CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGPIPE");
    assert_int_equal(r->signal, SIGPIPE);
    assert_true(r->usage.wall_us < 10u * 1000000u); /* not its 20 s deadline */
    cordon_task_free(t);
    close(pair[0]);
}

/* The output callback's own reader left: cordon_close_output closes the
 * task's stream, and the next write meets SIGPIPE; what was read before
 * is in the result.  A task that ignores SIGPIPE gets EPIPE. */
typedef struct closing {
    cordon_task *task;
    size_t seen;
} closing;

static void close_after_a_while(void *user, int stream, const char *data, size_t len)
{
    (void)data;
    closing *c = user;
    c->seen += len;
    if (stream == 1 && c->seen >= 100000)
        assert_int_equal(cordon_close_output(c->task, 1), 0);
}

static int ignores_sigpipe_then_writes(cordon_ctx *ctx, void *arg)
{
    signal(SIGPIPE, SIG_IGN);
    return writes_for_ever(ctx, arg);
}

static void test_output_close_output_ends_the_writer_as_a_pipeline_does(void **state)
{
    (void)state;
    const char *argv[] = { "yes", NULL };
    cordon_task *t = cordon_command_task(argv);
    closing c = { t, 0 };
    assert_int_equal(cordon_set_output_callback(t, close_after_a_while, &c), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 20000), 0);
    assert_int_equal(cordon_run(t), CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->exception, "SIGPIPE");
    assert_true(r->std_out.len >= 100000);
    assert_int_equal(memcmp(r->std_out.data, "y\ny\n", 4), 0);
    /* each run starts with its streams open: the next one is closed again */
    c.seen = 0;
    assert_int_equal(cordon_run(t), CORDON_EXCEPTION);
    assert_true(cordon_task_result(t)->std_out.len >= 100000);
    assert_int_equal(cordon_close_output(t, 0), -EINVAL);
    assert_int_equal(cordon_close_output(t, 4), -EINVAL);
    assert_int_equal(cordon_close_output(NULL, 1), -EINVAL);
    cordon_task_free(t);

    t = cordon_function_task(ignores_sigpipe_then_writes, NULL);
    c = (closing){ t, 0 };
    assert_int_equal(cordon_set_output_callback(t, close_after_a_while, &c), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 20000), 0);
    assert_int_equal(cordon_run(t), 0);
    assert_int_equal(cordon_task_result(t)->exit_code, EPIPE);
    cordon_task_free(t);
}

/* A callback whose reader is slow holds the stream: cordon reads none of
 * it meanwhile (the task waits on its full pipe), keeps the deadline, and
 * reads on once it is let go; each run starts with its streams released. */
typedef struct holding {
    cordon_task *task;
    size_t seen;
    bool release_later;     /* a thread lets the stream go after 300 ms */
    pthread_t releaser;
    bool started;
} holding;

static void *release_in_a_while(void *arg)
{
    holding *h = arg;
    struct timespec pause = { 0, 300 * 1000000L };
    nanosleep(&pause, NULL);
    assert_int_equal(cordon_hold_output(h->task, 1, 0), 0);
    return NULL;
}

static void hold_at_once(void *user, int stream, const char *data, size_t len)
{
    (void)data;
    holding *h = user;
    h->seen += len;
    if (stream != 1 || h->started)
        return;
    h->started = true;
    assert_int_equal(cordon_hold_output(h->task, 1, 1), 0);
    if (h->release_later)
        assert_int_equal(pthread_create(&h->releaser, NULL, release_in_a_while, h), 0);
}

static void test_output_hold_output_waits_the_task_not_the_deadline(void **state)
{
    (void)state;
    const char *argv[] = { "head", "-c", "4000000", "/dev/zero", NULL };
    cordon_task *t = cordon_command_task(argv);
    holding h = { t, 0, true, 0, false };
    assert_int_equal(cordon_set_output_callback(t, hold_at_once, &h), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 20000), 0);
    assert_int_equal(cordon_run(t), 0);
    pthread_join(h.releaser, NULL);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->std_out.len, 4000000);
    assert_int_equal(h.seen, 4000000);
    assert_true(r->usage.wall_us >= 250000); /* the 4 MB waited for the release */
    /* never let go: the deadline still ends it, the loop never waited */
    h = (holding){ t, 0, false, 0, false };
    const char *yes[] = { "yes", NULL };
    cordon_task *y = cordon_command_task(yes);
    h.task = y;
    assert_int_equal(cordon_set_output_callback(y, hold_at_once, &h), 0);
    assert_int_equal(cordon_set_timeout_ms(y, 300), 0);
    assert_int_equal(cordon_run(y), CORDON_EXCEPTION);
    assert_string_equal(cordon_task_result(y)->exception, "Timeout");
    assert_true(cordon_task_result(y)->usage.wall_us < 5000000);
    /* the next run starts released: the same callback holds it again */
    h.started = false;
    assert_int_equal(cordon_run(y), CORDON_EXCEPTION);
    assert_string_equal(cordon_task_result(y)->exception, "Timeout");
    assert_int_equal(cordon_hold_output(y, 0, 1), -EINVAL);
    assert_int_equal(cordon_hold_output(y, 4, 1), -EINVAL);
    assert_int_equal(cordon_hold_output(NULL, 1, 1), -EINVAL);
    cordon_task_free(y);
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_mode_function_inherits_stdout),
        cmocka_unit_test(test_output_mode_command_inherits_stdout_and_stderr),
        cmocka_unit_test(test_output_mode_discard_keeps_nothing_of_a_flood),
        cmocka_unit_test(test_output_mode_inherited_terminal_is_passed_on_not_handed_over),
        cmocka_unit_test(test_output_mode_terminal_that_reads_gets_everything),
        cmocka_unit_test(test_output_mode_stopped_terminal_holds_up_nothing),
        cmocka_unit_test(test_output_mode_inherit_of_a_closed_fd_is_ebadf),
        cmocka_unit_test(test_output_mode_inherited_read_write_file_is_relayed),
        cmocka_unit_test(test_output_mode_relayed_file_past_the_callers_size_limit),
        cmocka_unit_test(test_output_mode_inherited_socket_is_relayed),
        cmocka_unit_test(test_output_mode_inherited_reader_gone_ends_the_writer_with_sigpipe),
        cmocka_unit_test(test_output_close_output_ends_the_writer_as_a_pipeline_does),
        cmocka_unit_test(test_output_hold_output_waits_the_task_not_the_deadline),
        cmocka_unit_test(test_output_mode_inherited_read_write_fifo_is_write_only),
        cmocka_unit_test(test_output_mode_inherited_fifo_beneath_a_read_only_bind_keeps_its_mode),
        cmocka_unit_test(test_output_mode_inherited_write_only_pipe_keeps_its_flags),
        cmocka_unit_test(test_output_mode_inherited_pipe_cannot_be_read_by_a_task_with_file_rules),
        cmocka_unit_test(test_output_mode_inherited_fifo_without_a_reader_is_relayed),
        cmocka_unit_test(test_output_mode_inherited_terminal_master_is_refused),
        cmocka_unit_test(test_output_mode_inherited_read_only_fd_is_ebadf),
        cmocka_unit_test(test_output_mode_failed_start_leaves_the_callers_stdin_open),
        cmocka_unit_test(test_output_mode_refuses_bad_streams_and_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
