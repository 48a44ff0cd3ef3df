/* Helpers for the tests that drive the cordon command: run it (or any
 * program) with given arguments and stdin, and collect what it printed and
 * how it ended. */
#ifndef CORDON_RUNNER_SUPPORT_H
#define CORDON_RUNNER_SUPPORT_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "support.h"

typedef struct captured {
    char *out, *err;
    size_t out_len, err_len;
    int status;         /* exit code; 1000+N when killed by signal N */
    double seconds;     /* wall time of the run */
} captured;

static inline double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline const char *runner_path(void)
{
    const char *path = getenv("CORDON_RUNNER");
    if (!path || !*path)
        fail_msg("CORDON_RUNNER is not set (run the tests through make)");
    return path;
}

static inline void append_bytes(char **buf, size_t *len, const char *data, size_t n)
{
    *buf = realloc(*buf, *len + n + 1);
    assert_non_null(*buf);
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* Reads from stdout/stderr and writes stdin until both outputs are closed. */
static inline void pump(int out, int err, int in, const char *input, size_t input_len,
                        captured *c)
{
    size_t written = 0;
    if (in >= 0 && input_len == 0) {
        close(in);
        in = -1;
    }
    while (out >= 0 || err >= 0) {
        struct pollfd fds[3] = { { out, POLLIN, 0 }, { err, POLLIN, 0 }, { in, POLLOUT, 0 } };
        if (poll(fds, 3, -1) < 0) {
            assert_int_equal(errno, EINTR);
            continue;
        }
        char buf[65536];
        for (int i = 0; i < 2; i++) {
            int *fd = i == 0 ? &out : &err;
            if (*fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(*fd, buf, sizeof buf);
            if (n > 0)
                append_bytes(i == 0 ? &c->out : &c->err, i == 0 ? &c->out_len : &c->err_len,
                             buf, (size_t)n);
            else if (n == 0 || errno != EINTR) {
                close(*fd);
                *fd = -1;
            }
        }
        if (in >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(in, input + written, input_len - written);
            if (n > 0)
                written += (size_t)n;
            if (n < 0 || written == input_len) {
                close(in);
                in = -1;
            }
        }
    }
    if (in >= 0)
        close(in);
}

/* Runs in the child just before the exec (limits, signal dispositions). */
typedef void (*child_setup_fn)(void);

/* Runs program `argv[0]` (a path) with `input` on stdin (NULL: `stdin_fd`,
 * or /dev/null when that is -1), after `setup` (if any) in the child. */
static inline captured exec_capture_with(const char *const argv[], const char *input,
                                         size_t input_len, int stdin_fd, child_setup_fn setup)
{
    captured c = { NULL, NULL, 0, 0, -1, 0 };
    append_bytes(&c.out, &c.out_len, "", 0);
    append_bytes(&c.err, &c.err_len, "", 0);
    int out[2], err[2], in[2] = { -1, -1 };
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    assert_int_equal(pipe2(err, O_CLOEXEC), 0);
    if (input)
        assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    double start = now_seconds();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int sources[3] = { input ? in[0] : stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY),
                           out[1], err[1] };
        /* Lifted above 2 first: a test run with its own 0, 1 or 2 closed
         * has its pipes there, and dup2 of an fd onto itself would keep
         * its close-on-exec. */
        for (int i = 0; i < 3; i++)
            sources[i] = fcntl(sources[i], F_DUPFD, 3);
        for (int i = 0; i < 3; i++)
            dup2(sources[i], i);
        signal(SIGPIPE, SIG_DFL);
        if (setup)
            setup();
        execv(argv[0], (char *const *)argv);
        _exit(99);
    }
    close(out[1]);
    close(err[1]);
    if (input)
        close(in[0]);
    signal(SIGPIPE, SIG_IGN);
    pump(out[0], err[0], input ? in[1] : -1, input, input_len, &c);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    c.seconds = now_seconds() - start;
    c.status = WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
    return c;
}

static inline captured exec_capture(const char *const argv[], const char *input, size_t input_len)
{
    return exec_capture_with(argv, input, input_len, -1, NULL);
}

/* `cordon ARGS` in a shell, its stdout into `reader` (a shell command);
 * cordon's exit status added to its stderr as "rc=N". */
static inline captured cordon_into(const char *args, const char *reader)
{
    char line[1024];
    snprintf(line, sizeof line, "{ \"$0\" %s; echo \"rc=$?\" >&2; } | (%s)", args, reader);
    const char *argv[] = { "/bin/sh", "-c", line, runner_path(), NULL };
    return exec_capture(argv, NULL, 0);
}

/* `cordon ARGS...` as argv, in `argv` (64 entries). */
static inline void cordon_argv(const char *argv[64], const char *const args[])
{
    argv[0] = runner_path();
    size_t n = 1;
    for (; args[n - 1]; n++) {
        assert_true(n < 63);
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
}

/* Runs `cordon ARGS...` with `stdin_fd` as its stdin, after `setup`. */
static inline captured cordon_with(int stdin_fd, child_setup_fn setup, const char *const args[])
{
    const char *argv[64];
    cordon_argv(argv, args);
    return exec_capture_with(argv, NULL, 0, stdin_fd, setup);
}

/* Runs `cordon ARGS...` with `input` on stdin (NULL: /dev/null). */
static inline captured cordon_with_input(const char *input, const char *const args[])
{
    const char *argv[64];
    cordon_argv(argv, args);
    return exec_capture(argv, input, input ? strlen(input) : 0);
}

#define CORDON(...) cordon_with_input(NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define CORDON_IN(input, ...) cordon_with_input(input, (const char *const[]){ __VA_ARGS__, NULL })
#define CORDON_WITH(stdin_fd, setup, ...) \
    cordon_with(stdin_fd, setup, (const char *const[]){ __VA_ARGS__, NULL })

/* Whether a record's "confinement" list (the mechanisms that held the
 * task) names `mechanism` ("cgroup", "pid_namespace", ...): not any key
 * of that name elsewhere in the record. */
static inline bool record_held_by(const char *json, const char *mechanism)
{
    const char *list = strstr(json, "\"confinement\":[");
    const char *end = list ? strchr(list, ']') : NULL;
    char quoted[64];
    int n = snprintf(quoted, sizeof quoted, "\"%s\"", mechanism);
    return end && n > 0 && memmem(list, (size_t)(end - list), quoted, (size_t)n) != NULL;
}

static inline void captured_free(captured *c)
{
    free(c->out);
    free(c->err);
    c->out = c->err = NULL;
}

/* Asserts the exit status, showing what cordon printed when it differs. */
static inline void expect_status(const captured *c, int status)
{
    if (c->status != status)
        fprintf(stderr, "status %d, expected %d\nstdout:\n%.2000s\nstderr:\n%.2000s\n",
                c->status, status, c->out, c->err);
    assert_int_equal(c->status, status);
}

/* `cordon run OPTION VALUE -- true`: refused (125) with exactly `message`,
 * which names the option and what was expected, and nothing run. */
static inline void expect_run_option_error(const char *option, const char *value,
                                           const char *message)
{
    captured c = CORDON("run", option, value, "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, message);
    assert_string_equal(c.out, "");
    captured_free(&c);
}

/* Runs a python3 check over `json` (on its stdin, as `d` when it is one
 * object, as `lines` when `per_line`); returns python's exit status. */
static inline int python_check(const char *json, size_t len, const char *code)
{
    char script[4096];
    snprintf(script, sizeof script,
             "import json, sys\n"
             "data = sys.stdin.buffer.read().decode('utf-8')\n"
             "lines = [json.loads(l) for l in data.split('\\n') if l]\n"
             "d = lines[0] if lines else None\n"
             "%s\n", code);
    const char *argv[] = { "/usr/bin/env", "python3", "-c", script, NULL };
    captured c = exec_capture(argv, json, len);
    if (c.status != 0)
        fprintf(stderr, "python check failed (%d):\n%s\n%s\ninput: %.2000s\n", c.status, c.err,
                c.out, json);
    int status = c.status;
    captured_free(&c);
    return status;
}

/* Open to everyone: a test run as root runs its tasks as nobody (cordon's
 * default for root), and they must reach the files the test gives them. */
static inline char *make_temp_dir(void)
{
    char *dir = strdup("/tmp/cordon-runner-test-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0777), 0);
    return dir;
}

static inline void remove_tree(char *dir)
{
    const char *argv[] = { "/bin/rm", "-rf", dir, NULL };
    captured c = exec_capture(argv, NULL, 0);
    captured_free(&c);
    free(dir);
}

static inline void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* A child setup: files of at most 1024 bytes, and a write past that
 * fails with EFBIG instead of raising SIGXFSZ (an ignored disposition
 * survives exec).  A full disk, for a regular file. */
static inline void limit_file_size_1k(void)
{
    struct rlimit limit = { 1024, 1024 };
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &limit);
}

/* A file of 1000 bytes: 999 x's and a newline. */
static inline void write_kilobyte_file(const char *path)
{
    char text[1001];
    memset(text, 'x', 999);
    text[999] = '\n';
    text[1000] = '\0';
    write_file(path, text);
}

/* The whole of a file, NUL-terminated (fails the test when unreadable). */
static inline char *read_file_text(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    char *text = NULL, buf[65536];
    size_t len = 0;
    ssize_t n;
    append_bytes(&text, &len, "", 0);
    while ((n = read(fd, buf, sizeof buf)) > 0)
        append_bytes(&text, &len, buf, (size_t)n);
    close(fd);
    return text;
}

/* `cordon ARGS` (a task writing 1,000,000 bytes) into a reader slower
 * than cordon's stall bound: every byte arrives, cordon exits 0, and the
 * audit file `audit` (unless NULL) says status 0. */
static inline void expect_a_slow_reader_gets_every_byte(const char *args, const char *audit)
{
    captured c = cordon_into(args, "sleep 2.5; wc -c");
    assert_int_equal(atoi(c.out), 1000000);
    if (!strstr(c.err, "rc=0"))
        fail_msg("stderr: %s", c.err);
    captured_free(&c);
    if (!audit)
        return;
    char *line = read_file_text(audit);
    assert_non_null(strstr(line, "\"status\":0"));
    free(line);
}

static inline size_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (size_t)st.st_size;
}

/* Number of lines in `text` that start with `prefix`. */
static inline int count_lines_starting(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *line = text; line && *line;) {
        n += strncmp(line, prefix, len) == 0;
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return n;
}

#endif
