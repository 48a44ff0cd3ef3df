/* cordon_set_stdin_fd: the task reads the caller's fd through a file
 * description of its own.  Whatever it does to its stdin (status flags, a
 * seek, a write) stays off the caller's description: a pipe, FIFO,
 * regular file or terminal is opened again read-only, anything else (a
 * socket; a pipe, for a task with file rules) is relayed. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "support.h"
#include "scratch_files.h"

/* What a hostile task does to its stdin: flags that would make the
 * caller's next read fail (O_NONBLOCK) or change its writes (O_APPEND),
 * and a seek to the end.  It reads nothing. */
static int tamper_with_stdin(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int flags = fcntl(0, F_GETFL);
    if (flags < 0 || fcntl(0, F_SETFL, flags | O_NONBLOCK | O_APPEND) != 0)
        return 1;
    (void)lseek(0, 0, SEEK_END); /* ESPIPE on pipes, terminals, sockets */
    return 0;
}

/* Reads its stdin to the end; returns its length and a checksum (more
 * than cordon_return's default cap may arrive), and the first 64 bytes. */
typedef struct digest {
    uint64_t length, sum;
    char head[64];
} digest;

static int digest_stdin(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    digest d;
    memset(&d, 0, sizeof d);
    char buf[65536];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 100 + errno;
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (d.length + (uint64_t)i < sizeof d.head)
                d.head[d.length + (uint64_t)i] = buf[i];
            d.sum = d.sum * 31 + (unsigned char)buf[i];
        }
        d.length += (uint64_t)n;
    }
    cordon_return(ctx, &d, sizeof d);
    return 0;
}

static digest digest_of(const char *data, size_t len)
{
    digest d;
    memset(&d, 0, sizeof d);
    for (size_t i = 0; i < len; i++) {
        if (i < sizeof d.head)
            d.head[i] = data[i];
        d.sum = d.sum * 31 + (unsigned char)data[i];
    }
    d.length = len;
    return d;
}

static digest run_digest(int fd)
{
    cordon_task *t = cordon_function_task(digest_stdin, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, fd), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->returns.len, sizeof(digest));
    digest d;
    memcpy(&d, r->returns.data, sizeof d);
    cordon_task_free(t);
    return d;
}

static void expect_digest(digest got, const char *data, size_t len)
{
    digest want = digest_of(data, len);
    assert_int_equal(got.length, want.length);
    assert_int_equal(got.sum, want.sum);
    assert_memory_equal(got.head, want.head, sizeof got.head);
}

/* Runs the tampering task on `fd`; the caller's flags and offset must be
 * as they were. */
static void expect_tampering_contained(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    off_t offset = lseek(fd, 0, SEEK_CUR);
    cordon_task *t = cordon_function_task(tamper_with_stdin, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, fd), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
    assert_int_equal(fcntl(fd, F_GETFL), flags);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), offset);
}

static void test_stdin_fd_a_pipe_keeps_its_flags(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    expect_tampering_contained(fds[0]);
    assert_int_equal(write(fds[1], "after\n", 6), 6);
    close(fds[1]);
    expect_digest(run_digest(fds[0]), "after\n", 6);
    close(fds[0]);
}

/* The FIFO's writer is gone before the task starts: its data is still
 * there, and opening it again must not wait for a writer. */
static void test_stdin_fd_a_fifo_keeps_its_flags_and_its_data(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/fifo", scratch_dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    int reader = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    assert_true(reader >= 0);
    int writer = open(path, O_WRONLY | O_CLOEXEC);
    assert_true(writer >= 0);
    assert_int_equal(fcntl(reader, F_SETFL, 0), 0);
    expect_tampering_contained(reader);
    assert_int_equal(write(writer, "fifo data\n", 10), 10);
    close(writer);
    expect_digest(run_digest(reader), "fifo data\n", 10);
    close(reader);
    unlink(path);
}

/* A regular file is read from the caller's offset, which stays put, at
 * every attempt. */
static int digest_then_fail_once(cordon_ctx *ctx, void *arg)
{
    int rc = digest_stdin(ctx, arg);
    if (cordon_attempt_number(ctx) == 1)
        cordon_raise(ctx, "Again", "first attempt");
    return rc;
}

static void test_stdin_fd_a_file_is_read_from_the_callers_offset(void **state)
{
    (void)state;
    const char *path = write_scratch_file("input", "0123456789");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 4, SEEK_SET), 4);
    expect_tampering_contained(fd);
    expect_digest(run_digest(fd), "456789", 6);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 4);
    cordon_task *t = cordon_function_task(digest_then_fail_once, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, fd), 0);
    assert_int_equal(cordon_run_and_retry(t, 1, "Again"), 0);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(r->attempts, 2);
    assert_int_equal(r->returns.len, sizeof(digest));
    digest d;
    memcpy(&d, r->returns.data, sizeof d);
    expect_digest(d, "456789", 6);
    cordon_task_free(t);
    close(fd);
}

/* A file the caller opened read-write reaches the task read-only. */
static int write_to_stdin(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return write(0, "X", 1) == 1 ? 0 : errno;
}

static void test_stdin_fd_a_read_write_file_is_handed_over_read_only(void **state)
{
    (void)state;
    const char *path = write_scratch_file("rw", "original\n");
    int fd = open(path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    cordon_task *t = cordon_function_task(write_to_stdin, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, fd), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, EBADF);
    cordon_task_free(t);
    char text[32] = "";
    assert_int_equal(pread(fd, text, sizeof text - 1, 0), 9);
    assert_string_equal(text, "original\n");
    close(fd);
}

/* A pseudo-terminal's slave is opened again: the task still has a
 * terminal, but its flags are its own. */
static void test_stdin_fd_a_terminal_keeps_its_flags(void **state)
{
    (void)state;
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        print_message("skipped: no pseudo-terminal here (%s)\n", strerror(errno));
        if (master >= 0)
            close(master);
        skip();
    }
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(slave >= 0);
    expect_tampering_contained(slave);
    close(slave);
    close(master);
}

/* What a task can do to a terminal through any description of it: its
 * modes, its flow control, its line discipline, its exclusive mode, its
 * carrier's mode and modem lines (refused while it runs,
 * sandbox/terminal_guard.c: the signal keys of its modes signal the
 * caller; made exclusive, no one but root could open it, and where cordon
 * was killed it stayed so), and its permissions (put back after). */
static int unsettle_the_terminal(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    struct termios modes;
    if (tcgetattr(0, &modes) != 0)
        return 100;
    modes.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
    modes.c_cc[VSUSP] = 'R';
    int discipline = N_HDLC;
    if (ioctl(0, TIOCSETD, &discipline) == 0 || errno != EPERM)
        return 104;
    if (ioctl(0, TIOCEXCL) == 0 || errno != EPERM)
        return 102;
    int on = 1, lines = TIOCM_DTR;
    if (ioctl(0, TIOCSSOFTCAR, &on) == 0 || errno != EPERM)
        return 107;
    if (ioctl(0, TIOCMBIC, &lines) == 0 || errno != EPERM)
        return 108;
    if (ioctl(0, TIOCNXCL) == 0 || errno != EPERM)
        return 109;
    /* with a mount namespace the terminal is on a read-only mount of its
     * own node (lib/stream_view.c): EROFS; without one it is put back */
    if (fchmod(0, 0666) != 0 && errno != EROFS)
        return 103;
    (void)!fchown(0, (uid_t)-1, getgid()); /* a group of its own */
    if (tcsetattr(0, TCSANOW, &modes) == 0 || errno != EPERM)
        return 101;
    if (tcflow(0, TCOOFF) == 0 || errno != EPERM)
        return 105;
    if (tcflush(0, TCIOFLUSH) == 0 || errno != EPERM)
        return 110;
    if (ioctl(0, FIOASYNC, &on) == 0 || errno != EPERM)
        return 111;
    int flags = fcntl(0, F_GETFL);
    if (flags < 0 || fcntl(0, F_SETFL, flags | O_ASYNC) == 0 || errno != EPERM)
        return 112;
    if (fcntl(0, F_SETFL, flags | O_NONBLOCK) != 0 || fcntl(0, F_SETFL, flags) != 0)
        return 113;
    struct termios now;
    return tcgetattr(0, &now) == 0 && (now.c_lflag & ICANON) && now.c_cc[VSUSP] != 'R' ? 0 : 106;
}

/* In a copy of the test, without namespaces (where a task may change its
 * terminal's mode): two tasks given one terminal at overlapping times,
 * the first making it 0666.  0 when the terminal ends as it began; 1 it
 * does not; 2 could not be set up; 3 the tasks had namespaces after all. */
static int overlapping_tasks_on_one_terminal(void)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    int master, slave;
    if (openpty(&master, &slave, NULL, NULL, NULL) != 0)
        return 2;
    struct stat before, after;
    if (fstat(slave, &before) != 0)
        return 2;
    cordon_task *first = cordon_shell_task("chmod 666 /proc/self/fd/0; sleep 1");
    cordon_task *second = cordon_shell_task("sleep 2");
    if (cordon_set_stdin_fd(first, slave) != 0 || cordon_set_stdin_fd(second, slave) != 0 ||
        cordon_run_async(first) != 0)
        return 2;
    usleep(500 * 1000); /* the first's chmod made */
    if (cordon_run_async(second) != 0)
        return 2;
    cordon_join(first);
    cordon_join(second);
    bool namespaces = cordon_task_result(first)->confinement & CORDON_CONFINED_PID_NAMESPACE;
    cordon_task_free(first);
    cordon_task_free(second);
    if (fstat(slave, &after) != 0)
        return 2;
    if (namespaces)
        return 3;
    if (after.st_mode != before.st_mode)
        fprintf(stderr, "mode %o, was %o\n", (unsigned)after.st_mode, (unsigned)before.st_mode);
    return after.st_mode == before.st_mode ? 0 : 1;
}

/* Each attempt saved the terminal as it found it and put that back at its
 * end: one started while another's task had made the terminal 0666 put
 * 0666 back, for good (start 600, after the second 666).  The last of
 * the attempts given it at once puts back the first one's. */
static void test_stdin_fd_overlapping_tasks_put_the_terminal_back_as_it_began(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(overlapping_tasks_on_one_terminal());
    int status;
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2 || WEXITSTATUS(status) == 3) {
        print_message("skipped: %s\n", WEXITSTATUS(status) == 2 ? "no pseudo-terminal here"
                                                                 : "namespaces were kept");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* The terminal is the caller's too: echo and canonical input turned off and
 * its output stopped stayed so after the run, and the caller's next write
 * to it waited for ever (now refused while the task runs, the signal keys
 * with them: exit 101, 104 or 105 before); made exclusive (TIOCEXCL), it
 * stayed so, and every later open of it but root's failed with EBUSY: the
 * caller's /dev/tty (a password prompt, an editor) and the next task's
 * stdin, which is the terminal opened again (now refused too, as
 * TIOCSSOFTCAR's CLOCAL and the modem lines are: exit 102 and 107
 * before); made 0666, it stayed open to every user's writes.  Put back
 * when the attempt ends.  Its queues flushed (TCFLSH), what the user had
 * typed ahead was lost: refused too.  Asked for its SIGIO (O_ASYNC,
 * FIOASYNC), the terminal signalled its foreground group, the caller's
 * job, at the user's next key (killed it, where Landlock's signal scope
 * is missing): refused (exit 111 and 112 before). */
static void test_stdin_fd_a_terminal_is_put_back_as_it_was(void **state)
{
    (void)state;
    int master, slave;
    if (openpty(&master, &slave, NULL, NULL, NULL) != 0) {
        print_message("skipped: no pseudo-terminal here (%s)\n", strerror(errno));
        skip();
    }
    struct termios before, after;
    int discipline = -1;
    assert_int_equal(tcgetattr(slave, &before), 0);
    struct stat permissions_before, permissions_after;
    /* As a terminal of a login is: a group (tty) the task is not in. */
    if (geteuid() == 0)
        assert_int_equal(fchown(slave, (uid_t)-1, 5), 0);
    assert_int_equal(fstat(slave, &permissions_before), 0);
    /* What the user typed ahead, which the task's flush had thrown away
     * (exit 110 before). */
    assert_int_equal(write(master, "ahead\n", 6), 6);
    cordon_task *t = cordon_function_task(unsettle_the_terminal, NULL);
    cordon_set_policy(t, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, slave), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
    char typed[16] = "";
    assert_int_equal(fcntl(slave, F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(read(slave, typed, sizeof typed - 1), 6);
    assert_string_equal(typed, "ahead\n");
    assert_int_equal(fcntl(slave, F_SETFL, 0), 0);
    assert_int_equal(tcgetattr(slave, &after), 0);
    assert_int_equal(after.c_lflag, before.c_lflag);
    assert_int_equal(after.c_cflag, before.c_cflag);
    assert_int_equal(ioctl(slave, TIOCGETD, &discipline), 0);
    assert_int_equal(discipline, N_TTY);
    int exclusive = -1;
    assert_int_equal(ioctl(slave, TIOCGEXCL, &exclusive), 0);
    assert_int_equal(exclusive, 0);
    assert_int_equal(fstat(slave, &permissions_after), 0);
    assert_int_equal(permissions_after.st_mode & 07777, permissions_before.st_mode & 07777);
    /* Only root may give the group back to a group it is not in. */
    if (geteuid() == 0)
        assert_int_equal(permissions_after.st_gid, permissions_before.st_gid);
    /* Output flows: what the caller writes reaches the other end. */
    assert_int_equal(fcntl(slave, F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(write(slave, "on\n", 3), 3);
    struct pollfd other_end = { .fd = master, .events = POLLIN };
    assert_int_equal(poll(&other_end, 1, 5000), 1);
    close(slave);
    close(master);
}

/* What a task does to take a terminal that is no session's controlling
 * terminal: a session of its own, then TIOCSCTTY on it, an open of it
 * again without O_NOCTTY (which makes it a session leader's without any
 * ioctl), /dev/tty, and (`arg` non-NULL: under no policy, where no
 * filter of a policy's kills them first) typing into its input.  0 when
 * all were refused and a pseudo-terminal of its own still became its
 * controlling terminal (login_tty, forkpty). */
static int take_the_terminal(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    pid_t child = fork();
    if (child < 0)
        return 9;
    if (child == 0) {
        (void)setsid();
        if (ioctl(0, TIOCSCTTY, 0) == 0)
            _exit(1);
        int again = open("/proc/self/fd/0", O_RDWR | O_CLOEXEC);
        if (again >= 0)
            close(again);
        int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
        if (tty >= 0)
            _exit(2);
        int master, slave;
        if (openpty(&master, &slave, NULL, NULL, NULL) != 0)
            _exit(0); /* no pseudo-terminal of its own here: nothing to show */
        pid_t own = fork();
        if (own == 0) { /* its own pty, as login_tty (forkpty) gives it one */
            if (setsid() < 0) /* refused where nothing but its group holds the tree */
                _exit(errno == EPERM ? 0 : 1);
            _exit(ioctl(slave, TIOCSCTTY, 0) == 0 && open("/dev/tty", O_RDWR | O_CLOEXEC) >= 0
                      ? 0 : 1);
        }
        int status;
        if (own < 0 || waitpid(own, &status, 0) != own || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            _exit(6);
        _exit(0);
    }
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
        return 8;
    if (WEXITSTATUS(status) != 0)
        return WEXITSTATUS(status);
    if (!arg)
        return 0;
    char typed = 'x';
    if (ioctl(0, TIOCSTI, &typed) == 0 || errno != EPERM)
        return 3;
    char paste = 3; /* TIOCL_PASTESEL */
    if (ioctl(0, TIOCLINUX, &paste) == 0 || errno != EPERM)
        return 4;
    return 0;
}

/* One run of it on a fresh pseudo-terminal whose slave the caller opened
 * with O_NOCTTY; then nothing may wait in the terminal's input.  The
 * task's exit status, 77 without a pseudo-terminal. */
static int terminal_taken(bool no_policy)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
        return 77;
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return 77;
    cordon_task *t = cordon_function_task(take_the_terminal, no_policy ? "" : NULL);
    if (no_policy)
        cordon_set_policy(t, NULL);
    cordon_set_stdin_fd(t, slave);
    cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    int status = r->exception ? 50 : r->exit_code;
    cordon_task_free(t);
    char typed;
    if (status == 0 && fcntl(slave, F_SETFL, O_NONBLOCK) == 0 && read(slave, &typed, 1) == 1)
        status = 5;
    close(slave);
    close(master);
    return status;
}

static int terminal_taken_without_namespaces(const void *no_policy)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    return terminal_taken(no_policy != NULL);
}

/* A terminal that is no session's controlling terminal (one the caller
 * opened with O_NOCTTY, a supervisor's pty, a console or serial line)
 * the kernel gives to a session leader that asks with TIOCSCTTY or opens
 * it without O_NOCTTY: the task wrote raw escapes to it through /dev/tty
 * under the default policy and the judge preset, typed into the caller's
 * input with TIOCSTI under no policy (29 bytes of 29 read back by the
 * caller), and its session's end hung a console up for the caller.  Held
 * by cordon's keeper while the task runs, under any policy and none, with
 * and without namespaces (exit 1 before; exit 2 with the keeper's open
 * route alone refused); a pseudo-terminal of the task's own is still its
 * controlling terminal on asking (a refusal of TIOCSCTTY on every
 * terminal broke forkpty, pexpect and Python's pty.fork). */
static void test_stdin_fd_a_terminal_is_never_the_task_s_own(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open, which the terminal's keeper needs");
    for (int no_policy = 0; no_policy < 2; no_policy++) {
        int status = terminal_taken(no_policy);
        if (status == 77) {
            print_message("skipped: no pseudo-terminal here\n");
            skip();
        }
        if (status != 0)
            fail_msg("in namespaces, %s: %d", no_policy ? "no policy" : "default policy", status);
        /* the setting is the process's: in a copy */
        pid_t copy = fork();
        assert_true(copy >= 0);
        if (copy == 0)
            _exit(terminal_taken_without_namespaces(no_policy ? "" : NULL));
        assert_int_equal(waitpid(copy, &status, 0), copy);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("without namespaces, %s: status %#x", no_policy ? "no policy" : "default policy",
                     status);
    }
}

/* Shrinks the pipes it was given, fd 0 and fd 1 alike, to a page. */
static int shrink_the_pipes(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int shrunk = 0;
    for (int fd = 0; fd < 2; fd++)
        shrunk += fcntl(fd, F_SETPIPE_SZ, 4096) == 4096;
    return shrunk;
}

/* Shrinks its stdin pipe (`arg` NULL) and waits 300 ms, or (`arg`
 * non-NULL) waits 600 ms holding it. */
static int shrink_and_wait(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    if (!arg && fcntl(0, F_SETPIPE_SZ, 4096) != 4096)
        return 1;
    usleep(arg ? 600000 : 300000);
    return 0;
}

/* The task's stdout is the copy's fd 1, a pipe inherited: its capacity
 * after the run, or -1. */
static int inherited_pipe_after(void)
{
    int fds[2];
    if (pipe(fds) != 0 || dup2(fds[1], 1) != 1)
        return -1;
    cordon_task *t = cordon_function_task(shrink_the_pipes, NULL);
    cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT);
    cordon_run(t);
    int exit_code = cordon_task_result(t)->exit_code;
    cordon_task_free(t);
    return exit_code >= 1 ? fcntl(fds[0], F_GETPIPE_SZ) : -2;
}

/* A pipe's capacity is the pipe's, not the description's, and asks for
 * no privilege: a task left the caller's stdin pipe at 4,096 bytes
 * (65,536 before), and every writer feeding it waited at each 4 KiB.  Put
 * back when the attempt ends, for a stdin pipe and an inherited one. */
static void test_stdin_fd_a_pipe_keeps_its_capacity(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy of itself with its own status");
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    int before = fcntl(fds[1], F_GETPIPE_SZ);
    assert_true(before > 4096);
    cordon_task *t = cordon_function_task(shrink_the_pipes, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, fds[0]), 0);
    const cordon_result *r = run_task(t, 0);
    assert_true(r->exit_code >= 1); /* it did shrink it */
    cordon_task_free(t);
    assert_int_equal(fcntl(fds[1], F_GETPIPE_SZ), before);
    /* Two tasks on the pipe at once, the second started once the first
     * had shrunk it: the second had saved the shrunk size and, ending
     * last, put that back. */
    cordon_task *shrinker = cordon_function_task(shrink_and_wait, NULL);
    cordon_task *later = cordon_function_task(shrink_and_wait, "");
    assert_int_equal(cordon_set_stdin_fd(shrinker, fds[0]), 0);
    assert_int_equal(cordon_set_stdin_fd(later, fds[0]), 0);
    assert_int_equal(cordon_run_async(shrinker), 0);
    for (int waited = 0; fcntl(fds[1], F_GETPIPE_SZ) != 4096 && waited < 5000; waited += 10)
        usleep(10000);
    assert_int_equal(fcntl(fds[1], F_GETPIPE_SZ), 4096);
    assert_int_equal(cordon_run_async(later), 0);
    assert_int_equal(cordon_join(shrinker), 0);
    assert_int_equal(cordon_join(later), 0);
    assert_int_equal(fcntl(fds[1], F_GETPIPE_SZ), before);
    cordon_task_free(shrinker);
    cordon_task_free(later);
    close(fds[0]);
    close(fds[1]);
    /* fd 1 of the caller's is the process's: in a copy */
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0)
        _exit(inherited_pipe_after() == before ? 0 : 1);
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Waits `arg` ms, then tries to take its terminal (take_the_terminal). */
static int wait_then_take(cordon_ctx *ctx, void *arg)
{
    usleep((useconds_t)(uintptr_t)arg * 1000u);
    return take_the_terminal(ctx, NULL);
}

static volatile sig_atomic_t children_signalled;
static void count_sigchld(int signo)
{
    (void)signo;
    children_signalled++;
}

static pid_t forked_meanwhile;
static void *fork_a_sleeper(void *arg)
{
    (void)arg;
    usleep(100000);
    forked_meanwhile = fork();
    if (forked_meanwhile == 0) { /* a fork of the caller without exec, as multiprocessing's */
        sleep(5);
        _exit(0);
    }
    return NULL;
}

/* The terminal's keeper, against what runs beside it: two tasks given the
 * terminal at once (the first one's keeper let it go as it ended, and
 * the second task took it), a fork of the caller made during the run
 * (it held the keeper's socket, and cordon_run waited 5 s for it), and a
 * caller counting its SIGCHLDs (the keeper sent it one). */
static void test_stdin_fd_a_terminal_s_keeper_holds_it_for_every_task(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open, which the terminal's keeper needs");
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        print_message("skipped: no pseudo-terminal here\n");
        skip();
    }
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(slave >= 0);
    cordon_task *first = cordon_function_task(wait_then_take, (void *)(uintptr_t)0);
    cordon_task *second = cordon_function_task(wait_then_take, (void *)(uintptr_t)700);
    assert_int_equal(cordon_set_stdin_fd(first, slave), 0);
    assert_int_equal(cordon_set_stdin_fd(second, slave), 0);
    assert_int_equal(cordon_run_async(first), 0);
    assert_int_equal(cordon_run_async(second), 0);
    assert_int_equal(cordon_join(first), 0);
    assert_int_equal(cordon_task_result(first)->exit_code, 0);
    assert_int_equal(cordon_join(second), 0);
    assert_int_equal(cordon_task_result(second)->exit_code, 0); /* 1 or 2: it took it */
    cordon_task_free(first);
    cordon_task_free(second);

    struct sigaction counting = { .sa_handler = count_sigchld }, before;
    assert_int_equal(sigaction(SIGCHLD, &counting, &before), 0);
    /* What a run without a terminal signals (none; a sanitizer build's
     * forked command, one) */
    children_signalled = 0;
    const char *quick[] = { "/bin/true", NULL };
    cordon_task *plain = cordon_command_task(quick);
    assert_int_equal(cordon_run(plain), 0);
    cordon_task_free(plain);
    int without = children_signalled;
    children_signalled = 0;
    pthread_t forker;
    assert_int_equal(pthread_create(&forker, NULL, fork_a_sleeper, NULL), 0);
    const char *argv[] = { "/bin/sleep", "0.3", NULL };
    cordon_task *t = cordon_command_task(argv);
    assert_int_equal(cordon_set_stdin_fd(t, slave), 0);
    assert_int_equal(cordon_run(t), 0);
    pthread_join(forker, NULL);
    assert_true(forked_meanwhile > 0);
    /* the run did not wait for the fork, still asleep */
    assert_int_equal(waitpid(forked_meanwhile, NULL, WNOHANG), 0);
    kill(forked_meanwhile, SIGKILL);
    assert_int_equal(waitpid(forked_meanwhile, NULL, 0), forked_meanwhile);
    int signalled = children_signalled;
    sigaction(SIGCHLD, &before, NULL);
    assert_int_equal(signalled, without + 1); /* the fork's own, none of the keeper's */
    cordon_task_free(t);
    close(slave);
    close(master);
}

/* A socket cannot be opened again: it is relayed, and the task's flags
 * land on its pipe. */
typedef struct feeder {
    int fd;
    size_t len;
    const char *data;
} feeder;

static void *feed(void *arg)
{
    feeder *f = arg;
    for (size_t done = 0; done < f->len;) {
        ssize_t n = write(f->fd, f->data + done, f->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    shutdown(f->fd, SHUT_WR);
    return NULL;
}

static void test_stdin_fd_a_socket_is_relayed_whole(void **state)
{
    (void)state;
    int pair[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    expect_tampering_contained(pair[0]);
    /* More than the socket and the task's pipe hold together. */
    size_t len = 3u << 20;
    char *data = malloc(len);
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)(i * 7 + i / 4096);
    feeder f = { pair[1], len, data };
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, feed, &f), 0);
    digest d = run_digest(pair[0]);
    pthread_join(thread, NULL);
    expect_digest(d, data, len);
    free(data);
    close(pair[0]);
    close(pair[1]);
}

/* A hostile task opens its stdin again through /proc, for writing: given
 * a description of the caller's own pipe (opened again read-only), that
 * reached the pipe itself, and what it wrote was the caller's next input
 * (a shell reading its script from the pipe ran it), though its file
 * rules granted it nothing to write.  Returns 0 when the
 * write went through, 1 when the open was refused. */
static int write_into_stdin_again(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int fd = open("/proc/self/fd/0", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 1;
    ssize_t n = write(fd, "INJECTED\n", 9);
    close(fd);
    return n == 9 ? 0 : 2;
}

static void test_stdin_fd_a_pipe_cannot_be_written_by_a_task_with_file_rules(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know Landlock's system calls");
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    assert_int_equal(write(fds[1], "caller-data\n", 12), 12);
    cordon_task *t = cordon_function_task(write_into_stdin_again, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, fds[0]), 0);
    assert_int_equal(cordon_allow_path(t, "/", CORDON_READ), 0);
    int rc = cordon_run(t);
    bool held = rc >= 0 && (cordon_task_result(t)->confinement & CORDON_CONFINED_FILE_RULES);
    cordon_task_free(t);
    if (!held) {
        close(fds[0]);
        close(fds[1]);
        print_message("no Landlock file rules here (%d)\n", rc);
        skip();
    }
    /* Whatever the task's relay took of the caller's data, nothing of the
     * task's may be left for the caller to read. */
    close(fds[1]);
    char got[256];
    size_t len = 0;
    ssize_t n;
    while ((n = read(fds[0], got + len, sizeof got - 1 - len)) > 0)
        len += (size_t)n;
    got[len] = '\0';
    close(fds[0]);
    assert_null(strstr(got, "INJECTED"));
}

/* Writes to its stdin's file through /proc and makes it mode 600:
 * prints what went through. */
static int changes_its_stdin_file(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int fd = open("/proc/self/fd/0", O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd >= 0 && write(fd, "TAMPERED\n", 9) == 9)
        printf("wrote ");
    if (fd >= 0)
        close(fd);
    if (chmod("/proc/self/fd/0", 0600) == 0)
        printf("chmod ");
    return 0;
}

/* Runs changes_its_stdin_file with `fd` as its stdin and `dir` bound
 * read-only over itself: -1 where no bind was made (no mount namespace
 * here: the caller skips, once it has cleaned up), else its exit code. */
static int change_stdin_beneath_a_read_only_bind(int fd, const char *dir)
{
    cordon_task *t = cordon_function_task(changes_its_stdin_file, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, fd), 0);
    assert_int_equal(cordon_add_bind(t, dir, dir, CORDON_BIND_READONLY), 0);
    int rc = cordon_run(t);
    bool held = rc >= 0 && (cordon_task_result(t)->confinement & CORDON_CONFINED_BIND_MOUNTS);
    int exit_code = held ? cordon_task_result(t)->exit_code : -1;
    if (!held)
        print_message("no mount namespace here (%d)\n", rc);
    cordon_task_free(t);
    return exit_code;
}

/* A stdin file beneath a read-only bind: the description the parent
 * opened was on the caller's writable mount, and the task wrote the file
 * and changed its mode through /proc/self/fd/0 (EROFS by its path).  It
 * is relayed now: the task holds a pipe. */
static void test_stdin_fd_a_file_beneath_a_read_only_bind_stays_unchanged(void **state)
{
    (void)state;
    char dir[] = "/var/tmp/cordon-stdin-bind-XXXXXX", path[96];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/input", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "original\n", 9), 9);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(fchmod(fd, 0644), 0);
    int exit_code = change_stdin_beneath_a_read_only_bind(fd, dir);
    struct stat st;
    char text[64] = "";
    assert_int_equal(fstat(fd, &st), 0);
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
    unlink(path);
    rmdir(dir);
    if (exit_code < 0)
        skip();
    assert_int_equal(exit_code, 0);
    assert_int_equal(n, 9);
    assert_int_equal(st.st_mode & 07777, 0644);
}

/* The same for a named FIFO beneath a read-only bind: opened again on
 * the caller's mount, its mode was the task's to change through
 * /proc/self/fd/0 (EROFS by its path). */
static void test_stdin_fd_a_fifo_beneath_a_read_only_bind_keeps_its_mode(void **state)
{
    (void)state;
    char dir[] = "/var/tmp/cordon-stdin-fifo-XXXXXX", path[96];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0644), 0);
    assert_int_equal(chmod(path, 0644), 0);
    int fd = open(path, O_RDWR | O_CLOEXEC); /* a writer of its own: no wait */
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "data\n", 5), 5);
    int exit_code = change_stdin_beneath_a_read_only_bind(fd, dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    close(fd);
    unlink(path);
    rmdir(dir);
    if (exit_code < 0)
        skip();
    assert_int_equal(st.st_mode & 07777, 0644);
}

/* Beside a tmpfs (no file rules) the task writes what its user may: the
 * caller's pipe is opened again, not relayed, so a `while read` loop
 * keeps the lines its task did not read (relayed, a loop of
 * `cordon run --tmpfs ...` ran once). */
static int reads_nothing(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

static void test_stdin_fd_a_pipe_stays_the_caller_s_beside_a_tmpfs(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no pidfd_open: no task gets namespaces under it");
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    assert_int_equal(write(fds[1], "a\nb\n", 4), 4);
    close(fds[1]);
    cordon_task *t = cordon_function_task(reads_nothing, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, fds[0]), 0);
    assert_int_equal(cordon_add_tmpfs(t, "/var/tmp"), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
    char got[16] = "";
    ssize_t n = read(fds[0], got, sizeof got - 1);
    close(fds[0]);
    assert_int_equal(n, 4);
    assert_string_equal(got, "a\nb\n");
}

/* A task without file rules gets the pipe itself, opened again: what it
 * does not read stays the caller's (a shell loop's next line). */
static void test_stdin_fd_a_pipe_keeps_what_the_task_did_not_read(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    assert_int_equal(write(fds[1], "next-line\n", 10), 10);
    cordon_task *t = cordon_function_task(tamper_with_stdin, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, fds[0]), 0);
    run_task(t, 0);
    cordon_task_free(t);
    close(fds[1]);
    char got[32] = "";
    assert_int_equal(read(fds[0], got, sizeof got - 1), 10);
    assert_string_equal(got, "next-line\n");
    close(fds[0]);
}

/* A relay whose source stays silent holds neither the deadline nor the
 * caller. */
static void test_stdin_fd_a_silent_relay_holds_no_deadline(void **state)
{
    (void)state;
    int pair[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    cordon_task *t = cordon_function_task(digest_stdin, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, pair[0]), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 300), 0);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    clock_gettime(CLOCK_MONOTONIC, &end);
    assert_string_equal(r->exception, "Timeout");
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    assert_true(seconds < 10);
    cordon_task_free(t);
    close(pair[0]);
    close(pair[1]);
}

/* A pty master cannot be opened again: it is relayed from the caller's
 * own description, which is blocking.  Another reader of the caller's
 * (here a child blocked in read) may take the bytes poll saw: the
 * collector's read of them then waited for ever, the deadline passed
 * unseen and cordon_run never returned.  Run in a copy, whose process
 * group (the other reader with it) is killed at the end. */
static int pty_master;
static int pty_slave;

static void *type_a_line(void *arg)
{
    (void)arg;
    usleep(300 * 1000);
    ssize_t n = write(pty_slave, "x\n", 2);
    (void)n;
    return NULL;
}

static void a_shared_pty_master_relayed(int out)
{
    pid_t other = fork();
    if (other == 0) {
        char line[16];
        _exit(read(pty_master, line, sizeof line) > 0 ? 0 : 1); /* and no more */
    }
    usleep(100 * 1000); /* the other reader waits first */
    cordon_task *t = cordon_function_task(digest_stdin, NULL);
    pthread_t typist;
    struct timespec start, end;
    if (other < 0 || !t || cordon_set_stdin_fd(t, pty_master) != 0 ||
        cordon_set_timeout_ms(t, 1000) != 0 ||
        pthread_create(&typist, NULL, type_a_line, NULL) != 0) {
        dprintf(out, "setup failed (%s)", strerror(errno));
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    int rc = cordon_run(t);
    clock_gettime(CLOCK_MONOTONIC, &end);
    pthread_join(typist, NULL);
    const cordon_result *r = cordon_task_result(t);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    dprintf(out, "rc=%d %s %.1f", rc, r->exception ? r->exception : "-", seconds);
    cordon_task_free(t);
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);
}

static void test_stdin_fd_a_relay_whose_bytes_another_takes_holds_no_deadline(void **state)
{
    (void)state;
    if (openpty(&pty_master, &pty_slave, NULL, NULL, NULL) != 0) {
        print_message("skipped: no pseudo-terminal here (%s)\n", strerror(errno));
        skip();
    }
    char text[128];
    int status = run_in_a_copy(a_shared_pty_master_relayed, text, sizeof text,
                               "cordon_run did not return: the relay's read waited "
                               "past the deadline");
    close(pty_master);
    close(pty_slave);
    assert_true(WIFEXITED(status));
    double seconds = 99;
    char exception[32] = "";
    assert_int_equal(sscanf(text, "rc=%*d %31s %lf", exception, &seconds), 2);
    assert_string_equal(exception, "Timeout");
    assert_true(seconds < 5);
}

/* Reads five bytes of its stdin and returns them. */
static int read_a_word(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    char word[5];
    for (size_t got = 0; got < sizeof word;) {
        ssize_t n = read(0, word + got, sizeof word - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 1;
        got += (size_t)n;
    }
    cordon_return(ctx, word, sizeof word);
    return 0;
}

/* What a relay reads from a pty master reaches the task, and the task's
 * end stops the relay: the caller's next input stays the caller's. */
static void test_stdin_fd_a_pty_master_is_relayed(void **state)
{
    (void)state;
    int master, slave;
    if (openpty(&master, &slave, NULL, NULL, NULL) != 0) {
        print_message("skipped: no pseudo-terminal here (%s)\n", strerror(errno));
        skip();
    }
    struct termios raw;
    assert_int_equal(tcgetattr(slave, &raw), 0);
    cfmakeraw(&raw);
    assert_int_equal(tcsetattr(slave, TCSANOW, &raw), 0);
    assert_int_equal(write(slave, "hello", 5), 5);
    cordon_task *t = cordon_function_task(read_a_word, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, master), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 10000), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->returns.len, 5);
    assert_memory_equal(r->returns.data, "hello", 5);
    cordon_task_free(t);
    assert_int_equal(write(slave, "after", 5), 5);
    struct pollfd readable = { .fd = master, .events = POLLIN };
    assert_int_equal(poll(&readable, 1, 5000), 1);
    char got[16] = "";
    assert_int_equal(read(master, got, sizeof got - 1), 5);
    assert_string_equal(got, "after");
    close(master);
    close(slave);
}

/* A read of the caller's fd that fails cuts the task's input short:
 * StdinError, not an EOF the task would take for the whole.  A unix
 * socket whose peer closed with bytes unread fails with ECONNRESET. */
static void test_stdin_fd_a_failing_relay_is_a_stdin_error(void **state)
{
    (void)state;
    int pair[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    assert_int_equal(write(pair[0], "x", 1), 1);
    close(pair[1]);
    cordon_task *t = cordon_function_task(digest_stdin, NULL);
    assert_int_equal(cordon_set_stdin_fd(t, pair[0]), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 10000), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "StdinError");
    assert_non_null(strstr(r->exc_out.data, "StdinError: reading the stdin fd failed after 0 "
                                            "bytes: Connection reset by peer"));
    cordon_task_free(t);
    close(pair[0]);
}

/* What the task could not read, or could read only by reading what is
 * meant for another (a pipe's write end), is refused at once. */
static void test_stdin_fd_unreadable_fds_are_refused(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(digest_stdin, NULL);
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    assert_int_equal(cordon_set_stdin_fd(t, fds[1]), -EBADF);
    int path_only = open("/etc/hostname", O_PATH | O_CLOEXEC);
    assert_true(path_only >= 0);
    assert_int_equal(cordon_set_stdin_fd(t, path_only), -EBADF);
    int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dir >= 0);
    assert_int_equal(cordon_set_stdin_fd(t, dir), -EISDIR);
    close(path_only);
    close(dir);
    close(fds[1]);
    assert_int_equal(cordon_set_stdin_fd(t, fds[1]), -EBADF); /* closed */
    assert_int_equal(cordon_set_stdin_fd(t, -2), -EINVAL);
    /* The task still runs, with /dev/null. */
    assert_int_equal(cordon_set_stdin_fd(t, -1), 0);
    const cordon_result *r = run_task(t, 0);
    digest d;
    memcpy(&d, r->returns.data, sizeof d);
    assert_int_equal(d.length, 0);
    cordon_task_free(t);
    close(fds[0]);
}

/* The caller closes the fd it gave, then runs: the fd's number was the
 * next one free, taken by a pipe of cordon's own before the run looked
 * at it again, and `cat` read that pipe for good. */
static void test_stdin_fd_closed_before_the_run_is_refused(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    assert_int_equal(write(fds[1], "hello\n", 6), 6);
    close(fds[1]);
    cordon_task *t = cordon_shell_task("cat");
    cordon_set_timeout_ms(t, 2000);
    assert_int_equal(cordon_set_stdin_fd(t, fds[0]), 0);
    close(fds[0]);
    assert_int_equal(cordon_run(t), -EBADF);
    assert_int_equal(cordon_run_async(t), -EBADF);
    cordon_task_free(t);
}

/* A run that cannot start leaves nothing of the run before it: the last
 * run's exit 0, output and confinement had stayed in the result, and
 * cordon_succeeded said 1 for a run that never began, through a blocking
 * run, an async one and a pool's queue alike. */
static void expect_not_run(const cordon_task *t)
{
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(cordon_succeeded(r), 0);
    assert_int_equal(r->attempts, 0);
    assert_int_equal(r->std_out.len, 0);
    assert_null(r->exception);
    assert_null(r->confinement_details);
}

static cordon_task *cat_of_a_pipe_after_a_run(int *fd)
{
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    assert_int_equal(write(fds[1], "first\n", 6), 6);
    close(fds[1]);
    cordon_task *t = cordon_shell_task("cat");
    cordon_set_timeout_ms(t, 5000);
    assert_int_equal(cordon_set_stdin_fd(t, fds[0]), 0);
    assert_int_equal(cordon_run(t), 0);
    assert_true(cordon_succeeded(cordon_task_result(t)));
    assert_memory_equal(cordon_task_result(t)->std_out.data, "first\n", 6);
    *fd = fds[0];
    return t;
}

static void test_stdin_fd_a_run_that_cannot_start_keeps_nothing_of_the_last(void **state)
{
    (void)state;
    int fd;
    cordon_task *t = cat_of_a_pipe_after_a_run(&fd);
    close(fd);
    assert_int_equal(cordon_run(t), -EBADF);
    expect_not_run(t);
    size_t count = 9;
    cordon_task_history(t, &count);
    assert_int_equal(count, 0);
    cordon_task_free(t);

    t = cat_of_a_pipe_after_a_run(&fd);
    close(fd);
    assert_int_equal(cordon_run_async(t), -EBADF);
    expect_not_run(t);
    cordon_task_history(t, &count);
    assert_int_equal(count, 0);
    cordon_task_free(t);

    /* Refused for want of fds, before any check of the task's: a run, an
     * async one and a retry alike. */
    t = cat_of_a_pipe_after_a_run(&fd);
    close(fd);
    assert_int_equal(cordon_set_stdin_fd(t, -1), 0);
    assert_int_equal(cordon_run(t), 0);
    struct rlimit before = open_files_lowered_to(256);
    int held[256], opened = 0;
    while (opened < 256 && (held[opened] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        opened++;
    assert_true(opened > 0 && opened < 256);
    close(held[--opened]); /* one free: no pipe's two */
    int refused[3] = { cordon_run(t), 0, 0 };
    bool none_left[3] = { cordon_task_result(t)->attempts == 0 };
    assert_int_equal(refused[0], -EMFILE);
    expect_not_run(t);
    refused[1] = cordon_run_async(t);
    none_left[1] = cordon_task_result(t)->attempts == 0;
    refused[2] = cordon_run_and_retry(t, 2, "Timeout");
    none_left[2] = cordon_task_result(t)->attempts == 0;
    while (opened > 0)
        close(held[--opened]);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &before), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(refused[i], -EMFILE);
        assert_true(none_left[i]);
    }
    cordon_task_free(t);

    t = cat_of_a_pipe_after_a_run(&fd);
    assert_int_equal(cordon_run_and_retry(t, 2, "Timeout"), 0);
    close(fd);
    assert_int_equal(cordon_run_and_retry(t, 2, "Timeout"), -EBADF);
    expect_not_run(t);
    /* A bad retry list: refused before any attempt, the last run's
     * result gone too. */
    assert_int_equal(cordon_set_stdin_fd(t, -1), 0);
    assert_int_equal(cordon_run(t), 0);
    assert_int_equal(cordon_run_and_retry(t, 2, "Not a class!"), -EINVAL);
    expect_not_run(t);
    cordon_task_free(t);

    /* Queued behind a running task, its fd closed before its start. */
    cordon_pool *pool = cordon_pool_new(1);
    cordon_task *first = cordon_shell_task("sleep 0.3");
    t = cat_of_a_pipe_after_a_run(&fd);
    assert_int_equal(cordon_pool_submit(pool, first), 0);
    assert_int_equal(cordon_pool_submit(pool, t), 0);
    close(fd);
    cordon_task *done = NULL;
    int failed = 0;
    for (int i = 0; i < 2; i++) {
        int rc = cordon_pool_wait_any(pool, 10000, &done);
        if (done == t) {
            assert_int_equal(rc, -EBADF);
            expect_not_run(t);
            failed++;
        } else {
            assert_ptr_equal(done, first);
            assert_int_equal(rc, 0);
        }
    }
    assert_int_equal(failed, 1);
    cordon_pool_free(pool);
    cordon_task_free(first);
    cordon_task_free(t);
}

/* -1 restores /dev/null whatever was given before: after bytes or a
 * callback it had kept them, and a task reused with its stdin "reset"
 * read the old input again. */
static ssize_t give_callback_bytes(void *user, char *buf, size_t cap)
{
    int *given = user;
    if (*given || cap < 8)
        return 0;
    *given = 1;
    memcpy(buf, "CALLBACK", 8);
    return 8;
}

static void test_stdin_fd_minus_one_puts_back_dev_null_after_bytes_or_a_callback(void **state)
{
    (void)state;
    cordon_task *t = cordon_shell_task("cat; echo end");
    cordon_set_timeout_ms(t, 5000);
    assert_int_equal(cordon_set_stdin(t, "BYTES", 5), 0);
    assert_int_equal(cordon_set_stdin_fd(t, -1), 0);
    assert_int_equal(cordon_run(t), 0);
    assert_int_equal(cordon_task_result(t)->std_out.len, 4);
    assert_memory_equal(cordon_task_result(t)->std_out.data, "end\n", 4);
    int given = 0;
    assert_int_equal(cordon_set_stdin_callback(t, give_callback_bytes, &given), 0);
    assert_int_equal(cordon_set_stdin_fd(t, -1), 0);
    assert_int_equal(cordon_run(t), 0);
    assert_int_equal(given, 0);
    assert_memory_equal(cordon_task_result(t)->std_out.data, "end\n", 4);
    cordon_task_free(t);
}

/* Closed and its number given to another file since: not the caller's
 * input any more (another run's pipe took it, and passed the check). */
static void test_stdin_fd_reused_for_another_file_is_refused(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    cordon_task *t = cordon_shell_task("cat");
    cordon_set_timeout_ms(t, 2000);
    assert_int_equal(cordon_set_stdin_fd(t, fds[0]), 0);
    close(fds[0]);
    int other = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    assert_int_equal(other, fds[0]);
    assert_int_equal(cordon_run(t), -EBADF);
    close(other);
    close(fds[1]);
    cordon_task_free(t);
}

/* Runs `body` in a copy of this process that closed its fds 0 and 1, as
 * a daemon does, and asserts that it returned true. */
static void as_a_daemon(bool (*body)(void))
{
    pid_t caller = fork();
    assert_true(caller >= 0);
    if (caller == 0) {
        close(0);
        close(1);
        _exit(body() ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(caller, &status, 0), caller);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static bool capture_one_while_another_inherits(void)
{
    cordon_task *a = cordon_shell_task("sleep 0.5; echo A-done");
    cordon_set_timeout_ms(a, 10000);
    cordon_task *b = cordon_shell_task("echo B");
    cordon_set_timeout_ms(b, 10000);
    cordon_set_output_mode(b, 1, CORDON_OUTPUT_INHERIT);
    bool fine = cordon_run_async(a) == 0 && cordon_run(b) == -EBADF && cordon_join(a) == 0 &&
                strcmp(cordon_task_result(a)->std_out.data, "A-done\n") == 0;
    if (!fine)
        dprintf(2, "A: %s %s; B: %s\n", cordon_task_result(a)->exception,
                cordon_task_result(a)->std_out.data, cordon_task_result(b)->exception);
    return fine;
}

/* A daemon runs one task capturing its output while another inherits its
 * stdout: the first run's cancel pipe took fds 0 and 1, the second passed
 * the check that fd 1 is open, and its task's output went into that pipe
 * and cancelled the first run. */
static void test_stdin_fd_a_closed_stdout_is_never_another_run_s_pipe(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy of itself with its own status");
    as_a_daemon(capture_one_while_another_inherits);
}

static bool inherit_a_closed_stdout(void)
{
    cordon_task *t = cordon_shell_task("echo into the caller's stdout; sleep 5");
    cordon_set_timeout_ms(t, 2000);
    cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT);
    return cordon_run(t) == -EBADF;
}

/* A daemon lets a task inherit its stdout: the run's first pipe took both
 * numbers, and the task wrote into cordon's own pipe. */
static void test_stdin_fd_an_inherited_output_closed_is_refused(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy of itself with its own status");
    as_a_daemon(inherit_a_closed_stdout);
}

/* A retry in another thread, its first attempt failed and its backoff
 * going on. */
static void *retry_a_failing_first_attempt(void *task)
{
    cordon_run_and_retry(task, 1, "exit:3");
    return NULL;
}

static bool stdout_closed_during_a_retry_then_inherited(void)
{
    cordon_task *a = cordon_shell_task("[ \"$CORDON_ATTEMPT\" = 1 ] && exit 3; sleep 1");
    cordon_set_timeout_ms(a, 10000);
    cordon_set_backoff(a, 300, 1, 300);
    cordon_task *b = cordon_shell_task("echo B");
    cordon_set_timeout_ms(b, 10000);
    cordon_set_output_mode(b, 1, CORDON_OUTPUT_INHERIT);
    int null = open("/dev/null", O_WRONLY); /* fd 0: the daemon's 0 stays taken */
    int out = open("/dev/null", O_WRONLY);  /* fd 1, the caller's own, inheritable */
    pthread_t retrying;
    if (null != 0 || out != 1 || pthread_create(&retrying, NULL, retry_a_failing_first_attempt, a))
        return false;
    usleep(100 * 1000);
    close(1); /* in the backoff: the second attempt takes fds of its own */
    usleep(500 * 1000);
    int rc = cordon_run(b);
    int flags = fcntl(1, F_GETFD);
    pthread_join(retrying, NULL);
    bool fine = rc == -EBADF && cordon_task_result(a)->attempts == 2;
    if (!fine)
        dprintf(2, "B: %d (fd 1's flags %d); A: %u attempts, %s\n", rc, flags,
                cordon_task_result(a)->attempts, cordon_task_result(a)->exception);
    cordon_task_free(a);
    cordon_task_free(b);
    return fine;
}

/* The caller closes its stdout while a retry of another thread's waits
 * between attempts, then lets a task inherit it: the second attempt's
 * fd (as root its cgroup's cgroup.procs) had taken fd 1 after the
 * run's first check, and the task's output moved a process of the
 * caller's into that cgroup, killed with the tree. */
static void test_stdin_fd_a_stdout_closed_during_a_retry_is_never_cordon_s(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy of itself with its own status");
    as_a_daemon(stdout_closed_during_a_retry_then_inherited);
}

static int retried_rc;

static void *retry_and_keep_its_return(void *task)
{
    retried_rc = cordon_run_and_retry(task, 1, "exit:3");
    return NULL;
}

static bool inherit_through_a_retry_whose_stdout_closes(void)
{
    cordon_task *a = cordon_shell_task("[ \"$CORDON_ATTEMPT\" = 1 ] && exit 3; echo second");
    cordon_set_timeout_ms(a, 10000);
    cordon_set_backoff(a, 300, 1, 300);
    cordon_set_output_mode(a, 1, CORDON_OUTPUT_INHERIT);
    int null = open("/dev/null", O_WRONLY);
    int out = open("/dev/null", O_WRONLY);
    pthread_t retrying;
    if (null != 0 || out != 1 || pthread_create(&retrying, NULL, retry_and_keep_its_return, a))
        return false;
    usleep(100 * 1000);
    close(1);
    pthread_join(retrying, NULL);
    size_t attempts_kept = 0;
    cordon_task_history(a, &attempts_kept);
    /* The second attempt found fd 1 closed and was never made, rather
     * than run with one of cordon's own fds as the stdout it inherits. */
    bool fine = retried_rc == -EBADF && attempts_kept == 1;
    if (!fine)
        dprintf(2, "A: returned %d, %zu attempts kept, %s\n", retried_rc, attempts_kept,
                cordon_task_result(a)->exception);
    cordon_task_free(a);
    return fine;
}

/* A task inheriting the caller's stdout, retried after the caller closed
 * it: each attempt checks the caller's fds again. */
static void test_stdin_fd_an_inherited_stdout_closed_between_attempts_ends_the_retry(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy of itself with its own status");
    as_a_daemon(inherit_through_a_retry_whose_stdout_closes);
}

/* Close-on-exec fds 0-2 are not the caller's to hand on: every fd of
 * cordon's is one, whenever it took the number. */
static void test_stdin_fd_a_close_on_exec_standard_fd_is_not_handed_on(void **state)
{
    (void)state;
    int saved = fcntl(1, F_DUPFD_CLOEXEC, 3);
    assert_true(saved >= 3);
    assert_int_equal(fcntl(1, F_SETFD, FD_CLOEXEC), 0);
    cordon_task *t = cordon_shell_task("true");
    cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT);
    int rc = cordon_run(t);
    assert_int_equal(fcntl(1, F_SETFD, 0), 0);
    assert_int_equal(rc, -EBADF);
    assert_int_equal(cordon_run(t), 0); /* inheritable again */
    cordon_task_free(t);
    close(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stdin_fd_a_pipe_keeps_its_flags),
        cmocka_unit_test(test_stdin_fd_a_pipe_keeps_its_capacity),
        cmocka_unit_test(test_stdin_fd_a_fifo_keeps_its_flags_and_its_data),
        cmocka_unit_test(test_stdin_fd_a_file_is_read_from_the_callers_offset),
        cmocka_unit_test(test_stdin_fd_a_read_write_file_is_handed_over_read_only),
        cmocka_unit_test(test_stdin_fd_a_terminal_keeps_its_flags),
        cmocka_unit_test(test_stdin_fd_a_terminal_is_put_back_as_it_was),
        cmocka_unit_test(test_stdin_fd_overlapping_tasks_put_the_terminal_back_as_it_began),
        cmocka_unit_test(test_stdin_fd_a_terminal_is_never_the_task_s_own),
        cmocka_unit_test(test_stdin_fd_a_terminal_s_keeper_holds_it_for_every_task),
        cmocka_unit_test(test_stdin_fd_a_socket_is_relayed_whole),
        cmocka_unit_test(test_stdin_fd_a_pipe_cannot_be_written_by_a_task_with_file_rules),
        cmocka_unit_test(test_stdin_fd_a_fifo_beneath_a_read_only_bind_keeps_its_mode),
        cmocka_unit_test(test_stdin_fd_a_pipe_stays_the_caller_s_beside_a_tmpfs),
        cmocka_unit_test(test_stdin_fd_a_file_beneath_a_read_only_bind_stays_unchanged),
        cmocka_unit_test(test_stdin_fd_a_pipe_keeps_what_the_task_did_not_read),
        cmocka_unit_test(test_stdin_fd_a_silent_relay_holds_no_deadline),
        cmocka_unit_test(test_stdin_fd_a_relay_whose_bytes_another_takes_holds_no_deadline),
        cmocka_unit_test(test_stdin_fd_a_pty_master_is_relayed),
        cmocka_unit_test(test_stdin_fd_a_failing_relay_is_a_stdin_error),
        cmocka_unit_test(test_stdin_fd_unreadable_fds_are_refused),
        cmocka_unit_test(test_stdin_fd_closed_before_the_run_is_refused),
        cmocka_unit_test(test_stdin_fd_a_run_that_cannot_start_keeps_nothing_of_the_last),
        cmocka_unit_test(test_stdin_fd_minus_one_puts_back_dev_null_after_bytes_or_a_callback),
        cmocka_unit_test(test_stdin_fd_an_inherited_output_closed_is_refused),
        cmocka_unit_test(test_stdin_fd_reused_for_another_file_is_refused),
        cmocka_unit_test(test_stdin_fd_a_closed_stdout_is_never_another_run_s_pipe),
        cmocka_unit_test(test_stdin_fd_a_stdout_closed_during_a_retry_is_never_cordon_s),
        cmocka_unit_test(test_stdin_fd_an_inherited_stdout_closed_between_attempts_ends_the_retry),
        cmocka_unit_test(test_stdin_fd_a_close_on_exec_standard_fd_is_not_handed_on),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
