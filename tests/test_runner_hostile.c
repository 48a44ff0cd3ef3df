/* The cordon command against its own task: a task that freezes or grabs
 * the terminal cordon writes to, and one that plants links and FIFOs
 * where cordon will write its files (--out-dir, --audit). */
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <termios.h>

#include "runner_support.h"

static const char *hostile_path(void)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/hostile", getenv("CORDON_HOSTILE_DIR"));
    return path;
}

/* cordon ARGS, killed after 30 s: what these tests guard against is a
 * cordon that waits for ever. */
static captured cordon_bounded(const char *const args[])
{
    const char *argv[72] = { "/usr/bin/timeout", "-s", "KILL", "30" };
    cordon_argv(argv + 4, args);
    return exec_capture(argv, NULL, 0);
}

#define CORDON_BOUNDED(...) cordon_bounded((const char *const[]){ __VA_ARGS__, NULL })

/* ---- stdin ------------------------------------------------------------ */

/* cordon run with `fd` as its stdin and a task that sets O_NONBLOCK and
 * O_APPEND on its stdin and seeks it to the end: the caller's description
 * (which the rest of a shell pipeline reads on) must be as it was. */
static void expect_stdin_untouched(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    off_t offset = lseek(fd, 0, SEEK_CUR);
    captured c = CORDON_WITH(fd, NULL, "run", "--", hostile_path(), "tamper-stdin");
    expect_status(&c, 0);
    assert_string_equal(c.out, "tampered 0\n");
    captured_free(&c);
    assert_int_equal(fcntl(fd, F_GETFL), flags);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), offset);
}

static void test_hostile_stdin_flags_and_offset_stay_the_callers(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    expect_stdin_untouched(fds[0]);
    /* The pipeline's next reader still gets what comes later. */
    assert_int_equal(write(fds[1], "later-data\n", 11), 11);
    char buf[32];
    assert_int_equal(read(fds[0], buf, sizeof buf), 11);
    close(fds[0]);
    close(fds[1]);

    char *dir = make_temp_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/input", dir);
    write_file(path, "0123456789");
    int file = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(file >= 0);
    assert_int_equal(lseek(file, 3, SEEK_SET), 3);
    expect_stdin_untouched(file);
    close(file);
    remove_tree(dir);

    int pair[2]; /* relayed: the flags land on the task's pipe */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    expect_stdin_untouched(pair[0]);
    close(pair[0]);
    close(pair[1]);
}

/* ---- the terminal -------------------------------------------------------- */

/* Whether run_on_terminal starts cordon as a job in the terminal's
 * background (`cordon ... &`), the shell keeping the foreground. */
static bool start_in_background;

/* The child side of run_on_terminal: a session leader with the pty as its
 * controlling terminal, which starts cordon as a foreground job the way a
 * shell does, so that the job-control rules of a real terminal apply. */
static _Noreturn void terminal_shell(const char *slave_name, int report, const char *argv[])
{
    setsid();
    int slave = open(slave_name, O_RDWR);
    if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
        _exit(97);
    pid_t job = fork();
    if (job == 0) {
        setpgid(0, 0);
        /* As an interactive shell starts a foreground job: a test run in
         * the background of a script inherits ^C's signals ignored, and
         * cordon keeps a signal it was started with ignored. */
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        execv(argv[0], (char *const *)argv);
        _exit(99);
    }
    setpgid(job, job);
    signal(SIGTTOU, SIG_IGN);
    if (!start_in_background)
        tcsetpgrp(slave, job);
    if (write(report, &job, sizeof job) != sizeof job)
        _exit(98);
    int status;
    while (waitpid(job, &status, 0) < 0)
        if (errno != EINTR)
            _exit(96);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Seconds after which the terminal's user types ^C (0: never). */
static double interrupt_after;
/* Seconds after which the user types ^Z, and then a line (0: never). */
static double suspend_after, line_after;
static const char *typed_line;

/* The terminal's permissions once cordon has ended, and before it ran. */
static mode_t terminal_permissions_after, terminal_permissions_before;
/* The terminal's window: 40 rows of 100 columns when the run starts. */
static struct winsize terminal_window_after;

/* What a terminal showed. */
typedef struct shown {
    char *data;
    size_t len;
} shown;

/* Runs cordon ARGS on a fresh terminal, reading (and dropping) what it
 * shows.  Returns cordon's exit status, or -1 when it had not ended after
 * `limit` seconds (it and its task are then killed). */
static int run_on_terminal_then(double limit, double *seconds, const char *const args[],
                                struct termios *modes_after, shown *screen);

static int run_on_terminal(double limit, double *seconds, const char *const args[])
{
    return run_on_terminal_then(limit, seconds, args, NULL, NULL);
}

/* Reads what the terminal has to show now, keeping it in `screen`. */
static void read_terminal(int master, int wait_ms, shown *screen)
{
    struct pollfd p = { master, POLLIN, 0 };
    char buf[4096];
    ssize_t n;
    if (poll(&p, 1, wait_ms) <= 0)
        return;
    n = read(master, buf, sizeof buf);
    if (n < 0 && errno == EIO)
        usleep(50000); /* the slave side is closed for now */
    else if (n > 0 && screen)
        append_bytes(&screen->data, &screen->len, buf, (size_t)n);
}

/* The same, reading the terminal's modes once cordon has ended, and
 * keeping what it showed in `screen` (when not NULL). */
static int run_on_terminal_then(double limit, double *seconds, const char *const args[],
                                struct termios *modes_after, shown *screen)
{
    const char *argv[64];
    cordon_argv(argv, args);
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(master >= 0);
    const struct winsize window = { .ws_row = 40, .ws_col = 100 };
    assert_int_equal(ioctl(master, TIOCSWINSZ, &window), 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    char slave_name[128];
    assert_int_equal(ptsname_r(master, slave_name, sizeof slave_name), 0);
    struct stat slave;
    assert_int_equal(stat(slave_name, &slave), 0);
    terminal_permissions_before = slave.st_mode & 07777;
    int report[2];
    assert_int_equal(pipe2(report, O_CLOEXEC), 0);
    double start = now_seconds();
    pid_t shell = fork();
    assert_true(shell >= 0);
    if (shell == 0)
        terminal_shell(slave_name, report[1], argv);
    close(report[1]);
    pid_t job = -1;
    assert_int_equal(read(report[0], &job, sizeof job), sizeof job);
    close(report[0]);
    int status = -1, ended = 0;
    bool interrupted = false, suspended = false, typed = false;
    while (!ended && now_seconds() - start < limit) {
        if (interrupt_after && !interrupted && now_seconds() - start >= interrupt_after)
            interrupted = write(master, "\x03", 1) == 1;
        if (suspend_after && !suspended && now_seconds() - start >= suspend_after)
            suspended = write(master, "\x1a", 1) == 1;
        if (line_after && !typed && now_seconds() - start >= line_after)
            typed = write(master, typed_line, strlen(typed_line)) == (ssize_t)strlen(typed_line);
        read_terminal(master, 50, screen);
        ended = waitpid(shell, &status, WNOHANG) == shell;
    }
    for (size_t before = SIZE_MAX; screen && screen->len != before;) {
        before = screen->len; /* what it showed last */
        read_terminal(master, 100, screen);
    }
    *seconds = now_seconds() - start;
    if (!ended) {
        kill(job, SIGKILL);
        kill(shell, SIGKILL);
        assert_int_equal(waitpid(shell, &status, 0), shell);
    }
    if (modes_after) /* on a pty's master: the terminal's own modes */
        assert_int_equal(tcgetattr(master, modes_after), 0);
    assert_int_equal(stat(slave_name, &slave), 0);
    terminal_permissions_after = slave.st_mode & 07777;
    assert_int_equal(ioctl(master, TIOCGWINSZ, &terminal_window_after), 0);
    close(master);
    return ended && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A task that stops the terminal's output (tcflow TCOOFF, through the
 * stdin it was given) must not keep cordon writing for ever: the deadline
 * still ends it, and cordon exits soon after. */
static void test_hostile_frozen_terminal_does_not_stop_the_deadline(void **state)
{
    (void)state;
    char line[600];
    snprintf(line, sizeof line, "%s freeze-tty; head -c 100000 /dev/zero; sleep 30",
             hostile_path());
    double seconds;
    /* --tty: the terminal is the task's stdin, as asked. */
    int status = run_on_terminal(15, &seconds, (const char *const[]){
        "run", "--tty", "--timeout", "1s", "--shell", line, NULL });
    if (status != 124)
        fail_msg("cordon ended with %d after %.1f s (-1: still running)", status, seconds);
    assert_true(seconds < 8);
    /* The JSON record goes to the frozen terminal after the task. */
    status = run_on_terminal(15, &seconds, (const char *const[]){
        "run", "--tty", "--json", "--timeout", "1s", "--shell", line, NULL });
    if (status != 124)
        fail_msg("cordon --json ended with %d after %.1f s", status, seconds);
    assert_true(seconds < 8);
}

/* TOSTOP and a foreground group of the task's own: cordon's next write to
 * the terminal would stop it with SIGTTOU, its task running on. */
static void test_hostile_foreground_grab_does_not_stop_cordon(void **state)
{
    (void)state;
    char line[600];
    snprintf(line, sizeof line, "%s grab-tty; sleep 30", hostile_path());
    double seconds;
    int status = run_on_terminal(15, &seconds, (const char *const[]){
        "run", "--timeout", "1s", "--shell", line, NULL });
    if (status != 124)
        fail_msg("cordon ended with %d after %.1f s (-1: still running or stopped)", status,
                 seconds);
    assert_true(seconds < 8);
}

static void expect_file(const char *path, const char *expected);

/* The task of --tty is in a session of its own, outside the terminal's
 * job control: no ^Z stops it, and reading from the terminal's background
 * stops it no more.  Suspended with ^Z, cordon had left its task reading
 * what the user then typed to the shell; started in the background (`&`),
 * its task read what was typed to the shell from the start.  Now ^Z does
 * not suspend cordon while its task holds the terminal (the line typed
 * after it is the task's, and cordon ends with it), and a cordon in the
 * terminal's background refuses --tty before anything runs. */
static void test_hostile_terminal_of_a_suspended_or_background_cordon_is_not_read(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char line[800], path[600];
    snprintf(path, sizeof path, "%s/seen", dir);
    snprintf(line, sizeof line, "read l; echo \"$l\" > %s", path);
    double seconds;
    suspend_after = 1.0;
    line_after = 1.5;
    typed_line = "after\n";
    int status = run_on_terminal(10, &seconds, (const char *const[]){
        "run", "--tty", "--timeout", "6s", "--shell", line, NULL });
    if (status != 0)
        fail_msg("cordon ended with %d after %.1f s (-1: still running or stopped)", status,
                 seconds);
    expect_file(path, "after\n");
    unlink(path);

    start_in_background = true;
    line_after = 0.5;
    suspend_after = 0;
    typed_line = "typed-to-the-shell\n";
    shown screen = { NULL, 0 };
    snprintf(line, sizeof line, "cat > %s", path);
    status = run_on_terminal_then(10, &seconds, (const char *const[]){
        "run", "--tty", "--timeout", "3s", "--shell", line, NULL }, NULL, &screen);
    start_in_background = false;
    line_after = 0;
    typed_line = NULL;
    if (status != 125)
        fail_msg("cordon in the background ended with %d after %.1f s: %.*s", status, seconds,
                 (int)screen.len, screen.data ? screen.data : "");
    assert_non_null(screen.data);
    assert_non_null(memmem(screen.data, screen.len, "in its background", 16));
    assert_int_equal(access(path, F_OK), -1);
    free(screen.data);
    rmdir(dir);
    free(dir);
}

/* ^C while a task with --tty has changed the terminal's modes: cordon puts
 * them back, then dies of SIGINT as a shell expects.  Before, SIGINT's
 * default action ended cordon at once and the user's terminal was left
 * with echo and canonical input off. */
static void test_hostile_interrupted_run_puts_the_terminal_back(void **state)
{
    (void)state;
    double seconds;
    struct termios after;
    interrupt_after = 1.0;
    int status = run_on_terminal_then(15, &seconds, (const char *const[]){
        "run", "--tty", "--shell", "stty -echo -icanon; sleep 30", NULL }, &after, NULL);
    interrupt_after = 0;
    assert_int_equal(status, 128 + SIGINT);
    assert_true(seconds < 8);
    assert_true(after.c_lflag & ECHO);
    assert_true(after.c_lflag & ICANON);
}

/* A task given the terminal (--tty) set it to a line discipline that
 * refuses every write, then wrote to stderr: cordon's copy of that line
 * failed, and its own line with it (exit 125 and not a word on why; then
 * cordon put the discipline back and said what was lost).  The line
 * discipline is now the caller's while the task runs: refused, and the
 * task's own word on that reaches the terminal. */
static void test_hostile_terminal_refusing_writes_leaves_cordon_its_say(void **state)
{
    (void)state;
    double seconds;
    shown screen = { NULL, 0 };
    char command[600];
    snprintf(command, sizeof command, "%s null-line-discipline", hostile_path());
    int status = run_on_terminal_then(15, &seconds, (const char *const[]){
        "run", "--tty", "--shell", command, NULL }, NULL, &screen);
    if (!screen.data ||
        !memmem(screen.data, screen.len, "null-line-discipline: Operation not permitted", 45))
        fail_msg("cordon ended with %d and showed \"%.*s\"", status,
                 screen.data ? (int)screen.len : 0, screen.data ? screen.data : "");
    assert_int_equal(status, 2);
    free(screen.data);
}

/* Without --tty a terminal is not the task's stdin: nothing the task does
 * can change the terminal's modes or stop it for whoever uses it next. */
static void test_hostile_terminal_stdin_only_when_asked(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char line[800];
    snprintf(line, sizeof line, "if test -t 0; then echo tty; else echo notty; fi > %s/seen; "
             "stty -echo -icanon tostop <&0", dir);
    double seconds;
    struct termios after;
    int status = run_on_terminal_then(15, &seconds, (const char *const[]){
        "run", "--timeout", "5s", "--shell", line, NULL }, &after, NULL);
    assert_int_not_equal(status, -1);
    char path[600];
    snprintf(path, sizeof path, "%s/seen", dir);
    expect_file(path, "notty\n");
    assert_true(after.c_lflag & ECHO);
    assert_true(after.c_lflag & ICANON);
    assert_false(after.c_lflag & TOSTOP);
    /* Asked for: the task gets it, but not its modes (refused while it
     * runs: test_hostile_terminal_keeps_its_signal_keys). */
    snprintf(line, sizeof line, "if test -t 0; then echo tty; else echo notty; fi > %s/seen; "
             "stty -echo -icanon tostop <&0", dir);
    status = run_on_terminal_then(15, &seconds, (const char *const[]){
        "run", "--tty", "--timeout", "5s", "--shell", line, NULL }, &after, NULL);
    assert_int_equal(status, 1);
    expect_file(path, "tty\n");
    assert_true(after.c_lflag & ECHO);
    assert_true(after.c_lflag & ICANON);
    assert_false(after.c_lflag & TOSTOP);
    unlink(path);
    rmdir(dir);
    free(dir);
}

/* A task with --tty holds the terminal, which its user owns: it opened it
 * to every user (chmod 666), and the terminal stayed so after the run.
 * Under file rules it holds it on its read-only view and cannot; without
 * them cordon puts the terminal's permissions back with its modes. */
static void test_hostile_terminal_keeps_its_permissions(void **state)
{
    (void)state;
    double seconds;
    const char *line = "chmod 666 /proc/self/fd/0 2>/dev/null && echo changed; true";
    /* Root's terminal is root's: its task runs as root to own it. */
    const char *user = geteuid() == 0 ? "root" : "nobody";
    int status = run_on_terminal_then(15, &seconds, (const char *const[]){
        "run", "--tty", "--user", user, "--timeout", "5s", "--shell", line, NULL }, NULL,
        NULL);
    assert_int_equal(status, 0);
    assert_int_equal(terminal_permissions_after, terminal_permissions_before);
    shown screen = { NULL, 0 };
    status = run_on_terminal_then(15, &seconds, (const char *const[]){
        "run", "--tty", "--user", user, "--ro", "/usr", "--timeout", "5s", "--shell", line,
        NULL }, NULL, &screen);
    assert_int_equal(status, 0);
    assert_int_equal(terminal_permissions_after, terminal_permissions_before);
    assert_true(!screen.data || !memmem(screen.data, screen.len, "changed", 7));
    free(screen.data);
}

/* The keys of a terminal's modes are signals for its foreground group,
 * the caller's: a task with --tty that set the suspend key to R (`stty
 * susp R`) and had the terminal answer a cursor report stopped cordon and
 * the shell that ran it, and `intr` and `quit` killed that shell.  Setting
 * the modes, flow control and the line discipline is refused while the
 * task runs, under any policy and under none, with namespaces and
 * without; reading them is not. */
static void test_hostile_terminal_keeps_its_signal_keys(void **state)
{
    (void)state;
    const char *line = "stty susp R <&0 2>/dev/null && echo changed-susp; "
                       "stty intr R quit R <&0 2>/dev/null && echo changed-intr; "
                       "stty -isig <&0 2>/dev/null && echo changed-isig; "
                       "stty -ixon <&0 2>/dev/null && echo changed-ixon; "
                       "stty -a <&0 | tr -d ';' | tr ' ' '\\n' | grep -A2 -x susp";
    const char *policies[] = { "default", "none", "nonet" };
    for (size_t i = 0; i < 2 * sizeof policies / sizeof *policies; i++) {
        bool bare = i >= sizeof policies / sizeof *policies;
        const char *policy = policies[i % (sizeof policies / sizeof *policies)];
        if (bare)
            setenv("CORDON_NO_NAMESPACES", "1", 1);
        double seconds;
        shown screen = { NULL, 0 };
        struct termios after;
        int status = run_on_terminal_then(15, &seconds, (const char *const[]){
            "run", "--tty", "--policy", policy, "--timeout", "5s", "--shell", line, NULL },
            &after, &screen);
        unsetenv("CORDON_NO_NAMESPACES");
        assert_int_equal(status, 0);
        assert_non_null(screen.data);
        if (memmem(screen.data, screen.len, "changed", 7))
            fail_msg("--policy %s%s: the task set the terminal's modes:\n%.*s", policy,
                     bare ? " without namespaces" : "", (int)screen.len, screen.data);
        /* read as they are, the suspend key ^Z */
        assert_non_null(memmem(screen.data, screen.len, "^Z", 2));
        assert_int_equal(after.c_cc[VSUSP], 032);
        assert_true(after.c_lflag & ISIG);
        free(screen.data);
    }
}

/* The window's size is the caller's terminal's: a task with --tty set it
 * to 3 rows of 7 columns, which stayed after the run, and the kernel sent
 * SIGWINCH to the terminal's foreground group, the caller's shell.  It is
 * refused under any policy and under none; reading it is not. */
static void test_hostile_terminal_keeps_its_window_size(void **state)
{
    (void)state;
    const char *line = "stty size <&0; stty rows 3 cols 7 <&0 2>/dev/null && echo resized; "
                       "stty size <&0";
    const char *policies[] = { "default", "none", "nonet" };
    for (size_t i = 0; i < sizeof policies / sizeof *policies; i++) {
        double seconds;
        shown screen = { NULL, 0 };
        int status = run_on_terminal_then(15, &seconds, (const char *const[]){
            "run", "--tty", "--policy", policies[i], "--timeout", "5s", "--shell", line, NULL },
            NULL, &screen);
        assert_int_equal(status, 0);
        if (terminal_window_after.ws_row != 40 || terminal_window_after.ws_col != 100)
            fail_msg("--policy %s: the window is %u x %u after the run", policies[i],
                     terminal_window_after.ws_row, terminal_window_after.ws_col);
        assert_non_null(screen.data);
        assert_non_null(memmem(screen.data, screen.len, "40 100", 6)); /* read as it is */
        assert_null(memmem(screen.data, screen.len, "resized", 7));
        assert_null(memmem(screen.data, screen.len, "3 7", 3));
        free(screen.data);
    }
    /* A policy that allows every ioctl by name (as an imported Docker
     * profile does), under a file size limit too, whose refusal of the
     * space reservations splits that allow first. */
    char *dir = make_temp_dir();
    char policy[600];
    snprintf(policy, sizeof policy, "%s/all-ioctl.policy", dir);
    const char *limits[][2] = { { "--fsize", "1M" }, { "--timeout", "5s" },
                                { "--timeout", "5s" } };
    for (size_t i = 0; i < 3; i++) {
        /* the last: an allow of the window size alone, by its 64-bit form,
         * which the task could not run under at all */
        write_file(policy, i < 2 ? "default allow\nallow ioctl\n"
                                 : "default allow\nallow ioctl if arg1 == 0x100005414\n");
        double seconds;
        shown screen = { NULL, 0 };
        int status = run_on_terminal_then(15, &seconds, (const char *const[]){
            "run", "--tty", "--policy", policy, limits[i][0], limits[i][1], "--shell", line,
            NULL }, NULL, &screen);
        assert_int_equal(status, 0);
        assert_int_equal(terminal_window_after.ws_row, 40);
        assert_int_equal(terminal_window_after.ws_col, 100);
        assert_non_null(screen.data);
        assert_null(memmem(screen.data, screen.len, "resized", 7));
        free(screen.data);
    }
    unlink(policy);
    rmdir(dir);
    free(dir);
}

/* A task's bytes that would drive a terminal: a carriage return and
 * "erase line" that wipe batch's label before a fake cordon line, an OSC
 * title, a C1 CSI in UTF-8 and as one 8-bit byte, each asking for the
 * terminal's report.  Text in UTF-8 and tabs are only text. */
#define HOSTILE_PRINTF \
    "printf '\\r\\033[Kcordon: batch: 2 tasks, all succeeded\\n" \
    "\\033]0;owned\\007\\302\\233c\\233c\\n'"
#define HOSTILE_RAW "\r\033[Kcordon: batch: 2 tasks, all succeeded\n\033]0;owned\007\302\233c\233c\n"
#define PLAIN_PRINTF "printf 'ok h\\303\\251llo\\tend\\n'"

static bool holds_no_terminal_control(const shown *screen)
{
    for (size_t i = 0; i < screen->len; i++) {
        unsigned char c = (unsigned char)screen->data[i];
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f || c == 0x9b)
            return false;
        if (c == '\r' && (i + 1 == screen->len || screen->data[i + 1] != '\n'))
            return false; /* the terminal's own CR LF aside */
    }
    return true;
}

/* On a terminal, batch's labels hold and no byte of the task's drives the
 * terminal; with --raw, and in a pipe, the bytes are passed as they are. */
static void test_hostile_task_output_cannot_drive_the_terminal(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char jobs[300];
    snprintf(jobs, sizeof jobs, "%s/jobs", dir);
    write_file(jobs, HOSTILE_PRINTF "; exit 1\n" PLAIN_PRINTF "\n");
    double seconds;
    shown screen = { NULL, 0 };
    int status = run_on_terminal_then(30, &seconds, (const char *const[]){
        "batch", "--quiet", "-j", "1", jobs, NULL }, NULL, &screen);
    assert_int_equal(status, 1);
    append_bytes(&screen.data, &screen.len, "", 1);
    if (!strstr(screen.data, "[1] ??[Kcordon: batch: 2 tasks, all succeeded\r\n"))
        fprintf(stderr, "the terminal showed:\n%s\n", screen.data);
    assert_non_null(strstr(screen.data, "[1] ??[Kcordon: batch: 2 tasks, all succeeded\r\n"
                                        "[1] ?]0;owned???c?c\r\n"));
    assert_non_null(strstr(screen.data, "[2] ok h\303\251llo\tend\r\n"));
    screen.len--;
    assert_true(holds_no_terminal_control(&screen));
    free(screen.data);

    /* run's pass-through, stdout and stderr alike. */
    screen = (shown){ NULL, 0 };
    status = run_on_terminal_then(30, &seconds, (const char *const[]){
        "run", "--quiet", "--shell", HOSTILE_PRINTF " >&2; " PLAIN_PRINTF, NULL }, NULL,
        &screen);
    assert_int_equal(status, 0);
    append_bytes(&screen.data, &screen.len, "", 1);
    assert_non_null(strstr(screen.data, "??[Kcordon: batch: 2 tasks, all succeeded\r\n"
                                        "?]0;owned???c?c\r\n"));
    assert_non_null(strstr(screen.data, "ok h\303\251llo\tend\r\n"));
    screen.len--;
    assert_true(holds_no_terminal_control(&screen));
    free(screen.data);

    /* A character cut between two pieces of the live stream: a C1 still
     * goes, a letter stays whole. */
    screen = (shown){ NULL, 0 };
    status = run_on_terminal_then(30, &seconds, (const char *const[]){
        "run", "--quiet", "--shell",
        "printf 'a\\302'; sleep 0.3; printf '\\233c h\\303'; sleep 0.3; printf '\\251!\\n'",
        NULL }, NULL, &screen);
    assert_int_equal(status, 0);
    append_bytes(&screen.data, &screen.len, "", 1);
    assert_non_null(strstr(screen.data, "a\302?c h\303\251!\r\n"));
    screen.len--;
    assert_true(holds_no_terminal_control(&screen));
    free(screen.data);

    /* A CSI in over-long forms (three and four bytes), a surrogate and a
     * character above U+10FFFF: no well-formed UTF-8, so each byte goes,
     * the over-long CSI too, also cut between two pieces. */
    screen = (shown){ NULL, 0 };
    status = run_on_terminal_then(30, &seconds, (const char *const[]){
        "run", "--quiet", "--shell",
        "printf 'o\\340\\202\\233c|\\360\\200\\202\\233c|\\355\\240\\200|"
        "\\364\\220\\200\\200|\\340'; sleep 0.3; printf '\\202\\233c|h\\303\\251\\n'",
        NULL }, NULL, &screen);
    assert_int_equal(status, 0);
    append_bytes(&screen.data, &screen.len, "", 1);
    if (!strstr(screen.data, "o???c|????c|???|????|\340??c|h\303\251\r\n"))
        fprintf(stderr, "the terminal showed:\n%s\n", screen.data);
    assert_non_null(strstr(screen.data, "o???c|????c|???|????|\340??c|h\303\251\r\n"));
    screen.len--;
    assert_true(holds_no_terminal_control(&screen));
    free(screen.data);

    /* --raw: as they are. */
    screen = (shown){ NULL, 0 };
    status = run_on_terminal_then(30, &seconds, (const char *const[]){
        "batch", "--quiet", "--raw", "-j", "1", jobs, NULL }, NULL, &screen);
    assert_int_equal(status, 1);
    append_bytes(&screen.data, &screen.len, "", 1);
    assert_non_null(strstr(screen.data, "[1] \r\033[Kcordon: batch: 2 tasks, all succeeded\r\n"));
    free(screen.data);

    /* A pipe gets every byte. */
    captured c = CORDON("batch", "--quiet", "-j", "1", jobs);
    expect_status(&c, 1);
    assert_non_null(strstr(c.out, "[1] \r\033[Kcordon: batch: 2 tasks, all succeeded\n"
                                  "[1] \033]0;owned\007\302\233c\233c\n"));
    captured_free(&c);
    c = CORDON("run", "--quiet", "--shell", HOSTILE_PRINTF);
    expect_status(&c, 0);
    assert_string_equal(c.out, HOSTILE_RAW);
    captured_free(&c);
    remove_tree(dir);
}

/* ---- files cordon writes ------------------------------------------------ */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = calloc(1, 65536);
    assert_non_null(text);
    assert_true(fread(text, 1, 65535, f) < 65535);
    fclose(f);
    return text;
}

static void expect_file(const char *path, const char *expected)
{
    char *text = read_text(path);
    assert_string_equal(text, expected);
    free(text);
}

static void expect_regular_file(const char *path, const char *expected)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_nlink, 1);
    expect_file(path, expected);
}

/* A victim only its owner may read: a cordon that wrote through a link
 * would overwrite it. */
static void make_victim(const char *path)
{
    write_file(path, "secret\n");
    assert_int_equal(chmod(path, 0600), 0);
}

/* An out-dir every user may write, or another user's: a task (run as
 * nobody by a root runner) removed a sibling's N.out there and wrote its
 * own, and renamed one of cordon's files, its content the task's, to where
 * --resume reads records.  Refused before anything runs. */
static void test_hostile_out_dir_open_to_tasks_is_refused(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char out[300], message[700];
    snprintf(out, sizeof out, "%s/out", dir);
    assert_int_equal(mkdir(out, 0700), 0);
    assert_int_equal(chmod(out, 01777), 0);
    captured c = CORDON_IN("echo ran\n", "batch", "--quiet", "--out-dir", out, "-");
    expect_status(&c, 125);
    snprintf(message, sizeof message, "cordon: --out-dir: '%s' may be written by every user "
             "(mode 1777), who could rewrite what cordon writes there; make it yours alone "
             "(chmod o-w) or give another path\n", out);
    assert_string_equal(c.err, message);
    assert_string_equal(c.out, "");
    captured_free(&c);
    if (geteuid() == 0) {
        assert_int_equal(chmod(out, 0755), 0);
        assert_int_equal(chown(out, 65534, 65534), 0);
        c = CORDON_IN("echo ran\n", "batch", "--quiet", "--out-dir", out, "-");
        expect_status(&c, 125);
        assert_non_null(strstr(c.err, "belongs to another user (uid 65534)"));
        assert_string_equal(c.out, "");
        captured_free(&c);
    }
    remove_tree(dir);
}

/* The tasks (of the caller's own user, who may write the out-dir) plant a
 * symbolic link and a FIFO where later tasks' outputs will go; the test
 * plants a hard link.  Each later output lands in a file of its own and
 * the batch ends. */
static void test_hostile_out_dir_plants_are_never_written_through(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char out[300], victim[300], tasks[300], path[400], text[2048];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(victim, sizeof victim, "%s/victim", dir);
    snprintf(tasks, sizeof tasks, "%s/tasks", dir);
    make_victim(victim);
    assert_int_equal(mkdir(out, 0755), 0);
    snprintf(path, sizeof path, "%s/4.out", out);
    assert_int_equal(link(victim, path), 0);
    snprintf(text, sizeof text,
             "ln -s %s %s/2.out; ln -s %s %s/2.err; mkfifo %s/3.out\n"
             "echo payload two\n"
             "echo payload three\n"
             "echo payload four\n",
             victim, out, victim, out, out);
    write_file(tasks, text);
    const char *user = geteuid() == 0 ? "root" : "nobody"; /* the out-dir's owner */
    captured c = CORDON_BOUNDED("batch", "-j", "1", "--quiet", "--user", user, "--out-dir", out,
                                tasks);
    expect_status(&c, 0);
    expect_file(victim, "secret\n");
    const char *expected[][2] = { { "2.out", "payload two\n" }, { "2.err", "" },
                                  { "3.out", "payload three\n" }, { "4.out", "payload four\n" } };
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", out, expected[i][0]);
        expect_regular_file(path, expected[i][1]);
    }
    captured_free(&c);
    remove_tree(dir);
}

static void test_hostile_out_dir_that_is_a_link_is_refused(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char link_path[300], message[600];
    snprintf(link_path, sizeof link_path, "%s/out", dir);
    assert_int_equal(symlink("/etc", link_path), 0);
    captured c = CORDON_IN("true\n", "batch", "--quiet", "--out-dir", link_path, "-");
    expect_status(&c, 125);
    snprintf(message, sizeof message,
             "cordon: --out-dir: '%s' is a symbolic link; give the directory itself\n",
             link_path);
    assert_string_equal(c.err, message);
    captured_free(&c);
    remove_tree(dir);
}

/* What a task may have left at the audit path (a symbolic link, a hard
 * link, a FIFO) is refused before anything runs; nothing waits. */
static void test_hostile_audit_plants_are_refused(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char victim[300], path[300], message[600];
    snprintf(victim, sizeof victim, "%s/victim", dir);
    make_victim(victim);
    const struct { const char *name, *kind; } plants[] = {
        { "symlink", "a symbolic link" },
        { "hardlink", "one of several hard links to a file" },
        { "fifo", "a FIFO" },
    };
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s.jsonl", dir, plants[i].name);
        if (i == 0)
            assert_int_equal(symlink(victim, path), 0);
        else if (i == 1)
            assert_int_equal(link(victim, path), 0);
        else
            assert_int_equal(mkfifo(path, 0666), 0);
        captured c = CORDON_BOUNDED("run", "--audit", path, "--", "true");
        expect_status(&c, 125);
        snprintf(message, sizeof message,
                 "cordon: --audit: '%s' is %s; cordon writes only to a regular file with "
                 "one name\n", path, plants[i].kind);
        assert_string_equal(c.err, message);
        captured_free(&c);
    }
    expect_file(victim, "secret\n");
    captured c = CORDON("run", "--audit", "/dev/full", "--", "true");
    expect_status(&c, 125);
    assert_string_equal(c.err, "cordon: --audit: '/dev/full' is a device; cordon writes only "
                               "to a regular file with one name\n");
    captured_free(&c);
    remove_tree(dir);
}

/* A task that can write the audit file's directory (a task a root runner
 * runs as nobody, in a directory open to all) moved the caller's file
 * away and left one of its own, writable by all: every later run appended
 * to it, and the task read the records of the tasks after it and rewrote
 * them.  Such a file is refused before anything runs and nothing is
 * written to it; so are the records `batch --resume` would take from it
 * (a forged success would make it skip a task), and a link planted for
 * them.  Run as nobody, the task is the caller's own user, and only a
 * file open to all is refused (a same-user task writes what its caller
 * may: file rules keep it out). */
static void test_hostile_audit_file_swapped_by_a_task_is_refused(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300], swap[600], jobs[300], message[700];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    snprintf(jobs, sizeof jobs, "%s/jobs", dir);
    write_file(jobs, "echo 1\n");
    captured c = CORDON("run", "--quiet", "--audit", audit, "--", "true");
    expect_status(&c, 0);
    captured_free(&c);
    snprintf(swap, sizeof swap,
             "cd %s && mv audit.jsonl old.jsonl && printf '' > audit.jsonl && chmod 666 audit.jsonl",
             dir);
    c = CORDON("run", "--quiet", "--audit", audit, "--shell", swap);
    /* The record went to the file moved away, and cordon said nothing. */
    expect_status(&c, 125);
    snprintf(message, sizeof message, "cordon: --audit: '%s' was renamed or replaced while the "
             "task ran (its directory is writable by the task's user): this record, and any after "
             "it, went to the file it was, not to that name\n", audit);
    assert_string_equal(c.err, message);
    captured_free(&c);
    snprintf(swap, sizeof swap, "%s/old.jsonl", dir);
    char *moved = read_file_text(swap);
    assert_int_equal(count_lines_starting(moved, "{\"command\""), 2); /* where it went */
    free(moved);
    char removed[300];
    snprintf(removed, sizeof removed, "%s/gone.jsonl", dir);
    write_file(removed, "");
    snprintf(swap, sizeof swap, "rm %s", removed);
    c = CORDON("run", "--quiet", "--audit", removed, "--shell", swap);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "gone.jsonl' was removed while the task ran"));
    captured_free(&c);
    struct stat st;
    assert_int_equal(stat(audit, &st), 0);
    assert_int_equal(st.st_size, 0);

    c = CORDON("run", "--quiet", "--audit", audit, "--", "echo", "a later task's record");
    expect_status(&c, 125);
    if (geteuid() == 0) /* the task ran as nobody: the file is nobody's */
        snprintf(message, sizeof message,
                 "cordon: --audit: '%s' belongs to another user (uid %u), who could read and "
                 "rewrite what cordon writes there; remove it or give another path\n",
                 audit, (unsigned)st.st_uid);
    else /* the task ran as its caller: the file is the caller's, but open to all */
        snprintf(message, sizeof message,
                 "cordon: --audit: '%s' may be written by every user (mode 0666), who could "
                 "rewrite what cordon writes there; make it yours alone (chmod o-w) or give "
                 "another path\n", audit);
    assert_string_equal(c.err, message);
    assert_string_equal(c.out, ""); /* refused before it ran */
    captured_free(&c);
    assert_int_equal(stat(audit, &st), 0);
    assert_int_equal(st.st_size, 0);

    /* A planted record of a success, which --resume would skip. */
    unlink(audit);
    write_file(audit, "{\"command\":\"echo 1\",\"line\":1,\"status\":0,\"usage\":{}}\n");
    assert_int_equal(chmod(audit, 0666), 0);
    c = CORDON("batch", "--quiet", "--no-label", "--resume", audit, jobs);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "writable by every user, whose records could be forged"));
    assert_string_equal(c.out, "");
    captured_free(&c);
    if (geteuid() == 0) {
        assert_int_equal(chmod(audit, 0600), 0);
        assert_int_equal(chown(audit, 65534, 65534), 0);
        c = CORDON("batch", "--quiet", "--no-label", "--resume", audit, jobs);
        expect_status(&c, 125);
        assert_non_null(strstr(c.err, "a file of another user, whose records could be forged"));
        captured_free(&c);
    }
    /* A link to a file of the caller's that says success (one a task
     * wrote through the caller's --out-dir), by name and in a directory. */
    char own[400], linked_dir[400], link_in_dir[500];
    snprintf(own, sizeof own, "%s/own.jsonl", dir);
    snprintf(linked_dir, sizeof linked_dir, "%s/resume", dir);
    snprintf(link_in_dir, sizeof link_in_dir, "%s/a.jsonl", linked_dir);
    write_file(own, "{\"command\":\"echo 1\",\"line\":1,\"status\":0,\"usage\":{}}\n");
    unlink(audit);
    assert_int_equal(symlink(own, audit), 0);
    c = CORDON("batch", "--quiet", "--no-label", "--resume", audit, jobs);
    expect_status(&c, 125);
    assert_non_null(strstr(c.err, "a symbolic link, whose records could be forged"));
    captured_free(&c);
    assert_int_equal(mkdir(linked_dir, 0700), 0);
    assert_int_equal(symlink(own, link_in_dir), 0);
    c = CORDON("batch", "--quiet", "--no-label", "--resume", linked_dir, jobs);
    expect_status(&c, 0);
    assert_string_equal(c.out, "1\n"); /* run: the link was not taken */
    assert_non_null(strstr(c.err, "is not a regular file; skipped"));
    captured_free(&c);
    /* a file of another user's found in the directory is skipped, said */
    unlink(link_in_dir);
    write_file(link_in_dir, "{\"command\":\"echo 1\",\"line\":1,\"status\":0,\"usage\":{}}\n");
    assert_int_equal(chmod(link_in_dir, 0666), 0);
    c = CORDON("batch", "--quiet", "--no-label", "--resume", linked_dir, jobs);
    expect_status(&c, 0);
    assert_string_equal(c.out, "1\n");
    assert_non_null(strstr(c.err, "writable by every user, whose records could be forged; skipped"));
    captured_free(&c);
    unlink(audit);
    /* The caller's own file, as cordon made it, is resumed from. */
    unlink(audit);
    c = CORDON("batch", "--quiet", "--no-label", "--audit", audit, jobs);
    expect_status(&c, 0);
    assert_string_equal(c.out, "1\n");
    captured_free(&c);
    c = CORDON("batch", "--quiet", "--no-label", "--resume", audit, jobs);
    expect_status(&c, 0);
    assert_string_equal(c.out, ""); /* done already */
    captured_free(&c);
    remove_tree(dir);
}

/* A task that can read the audit file can lock it; cordon waits a bounded
 * time for the lock, says so, and appends the record without it: a lock
 * held by someone else never costs a record.  An audit file cordon makes
 * is its caller's alone (0600): a task a root runner runs as nobody
 * cannot open it to read its siblings' records, nor to lock it. */
/* ---- the tree ---------------------------------------------------------- */

/* Without a pid namespace or a v2 cgroup (a machine without them) only its
 * process group holds the task's tree, and the policies refuse leaving it.
 * A task given no policy left it with setsid and slept on after cordon had
 * returned; it gets cordon's own rules, which refuse setsid and setpgid. */
static void test_hostile_no_policy_does_not_outlive_its_run_without_namespaces(void **state)
{
    (void)state;
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    setenv("CORDON_CGROUP", "none", 1);
    captured c = CORDON_BOUNDED("run", "--policy", "none", "--", hostile_path(), "escape-group");
    unsetenv("CORDON_NO_NAMESPACES");
    unsetenv("CORDON_CGROUP");
    pid_t left = (pid_t)atoi(c.out);
    bool gone = marked_processes_gone("cordon-escaped", true);
    if (!gone && left > 0)
        kill(left, SIGKILL); /* the test's own leftover */
    expect_status(&c, 0);
    captured_free(&c);
    assert_true(left > 0);
    assert_true(gone);
}

/* A task of uid 0 may write the cgroup.procs of root's cgroups (the owner's
 * write bit; no capability is needed), and clone3(CLONE_INTO_CGROUP) moves
 * a child into one without opening it, which neither a read-only mount nor
 * Landlock governs.  Without a pid namespace, where its v2 cgroup holds the
 * tree (and the policies let it call setsid), a root task with no policy
 * started a child in the v2 root cgroup, in a session of its own, which
 * slept on after cordon had returned.  clone3 fails with ENOSYS there, as
 * under the default policy (the filter cannot read its flags). */
static void test_hostile_no_policy_cannot_move_a_child_out_of_its_cgroup(void **state)
{
    (void)state;
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    captured c = geteuid() == 0
                     ? CORDON_BOUNDED("run", "--user", "root", "--policy", "none", "--",
                                      hostile_path(), "escape-cgroup")
                     : CORDON_BOUNDED("run", "--policy", "none", "--", hostile_path(),
                                      "escape-cgroup");
    unsetenv("CORDON_NO_NAMESPACES");
    pid_t left = strncmp(c.out, "refused", 7) == 0 ? 0 : (pid_t)atoi(c.out);
    bool gone = marked_processes_gone("cordon-moved", true);
    if (!gone && left > 0)
        kill(left, SIGKILL); /* the test's own leftover */
    expect_status(&c, 0);
    captured_free(&c);
    assert_true(gone);
}

/* In a user and cgroup namespace of its own a task mounts its cgroups
 * (fsmount, which no path rule sees), and cgroup v1 checks their files by
 * owner alone: a root task with no policy wrote pids.max and
 * memory.limit_in_bytes of its own cgroup (forking 30 under --procs 20,
 * touching 256 MiB under --mem 64M) and the caller's freezer.state, which
 * froze the caller past its deadline.  With namespaces and without, unshare
 * and clone refuse it a cgroup namespace (EPERM). */
static void test_hostile_no_policy_root_task_makes_no_cgroup_namespace(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: a task of uid 0 needs a root caller\n");
        skip();
    }
    /* And under policies whose own rules let the flag through only with
     * others (a user namespace): a sample of the flag alone, refused
     * there, had left the refusal out. */
    char *dir = make_temp_dir();
    char with_user[300], user_only[300];
    snprintf(with_user, sizeof with_user, "%s/with-user.policy", dir);
    write_file(with_user, "default allow\nerrno EPERM unshare if arg0 & 0x10000000 == 0\n");
    snprintf(user_only, sizeof user_only, "%s/user-only.policy", dir);
    write_file(user_only, "default allow\nerrno EPERM clone3\n"
                          "errno EPERM unshare if arg0 & 0x12000000 == 0x02000000\n"
                          "errno EPERM clone if arg0 & 0x12000000 == 0x02000000\n");
    const char *policies[] = { "none", with_user, user_only };
    for (size_t p = 0; p < 3; p++)
        for (int namespaces = 1; namespaces >= 0; namespaces--) {
            if (!namespaces)
                setenv("CORDON_NO_NAMESPACES", "1", 1);
            captured c = CORDON_BOUNDED("run", "--user", "root", "--policy", policies[p], "--procs",
                                        "20", "--", hostile_path(), "own-cgroup-namespace");
            unsetenv("CORDON_NO_NAMESPACES");
            expect_status(&c, 0);
            if (strcmp(c.out, "unshare 1 clone 1\n") != 0)
                fail_msg("under %s, %s namespaces: %s", policies[p], namespaces ? "in" : "without",
                         c.out);
            captured_free(&c);
        }
    remove_tree(dir);
}

static void test_hostile_audit_lock_held_for_ever(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[300], message[600];
    snprintf(path, sizeof path, "%s/audit.jsonl", dir);
    write_file(path, "");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    captured c = CORDON_BOUNDED("run", "--quiet", "--audit", path, "--", "true");
    expect_status(&c, 0);
    snprintf(message, sizeof message,
             "cordon: --audit: another process held the lock of '%s' for 1 s: appending "
             "without it from now on\n", path);
    assert_string_equal(c.err, message);
    assert_true(c.seconds < 10);
    captured_free(&c);
    close(fd);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    int lines = 0;
    while (fgets(line, sizeof line, f))
        lines++;
    fclose(f);
    assert_int_equal(lines, 1);

    char made[320];
    snprintf(made, sizeof made, "%s/made.jsonl", dir);
    c = CORDON("run", "--quiet", "--audit", made, "--", "true");
    expect_status(&c, 0);
    captured_free(&c);
    struct stat st;
    assert_int_equal(stat(made, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    remove_tree(dir);
}

/* Seconds of the day of an audit line's "started" (…THH:MM:SS.mmmZ). */
static double started_seconds(const char *line)
{
    const char *t = strstr(line, "\"started\":\"");
    assert_non_null(t);
    t = strchr(t + 11, 'T');
    assert_non_null(t);
    int h = 0, m = 0;
    double sec = 0;
    assert_int_equal(sscanf(t + 1, "%d:%d:%lf", &h, &m, &sec), 3);
    return h * 3600.0 + m * 60 + sec;
}

/* A batch task that keeps the audit file locked (it may read the file)
 * holds up no sibling: the runner waits for the lock once, then appends
 * without it for the rest of the run.  Before, each record waited 5 s,
 * so the lines after the holder's started 5 s apart. */
static void test_hostile_audit_lock_kept_by_a_task_holds_up_no_sibling(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    assert_int_equal(chmod(dir, 0755), 0);
    char audit[300], jobs[300];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    snprintf(jobs, sizeof jobs, "%s/jobs", dir);
    write_file(audit, "");
    assert_int_equal(chmod(audit, 0644), 0);
    FILE *f = fopen(jobs, "w");
    assert_non_null(f);
    fprintf(f, "flock -s %s sleep 30\n", audit);
    for (int i = 0; i < 5; i++)
        fprintf(f, "sleep 0.2\n");
    fclose(f);
    captured c = CORDON_BOUNDED("batch", "--quiet", "-j", "2", "--timeout", "6s", "--audit",
                                audit, jobs);
    expect_status(&c, 1); /* the holder's Timeout */
    const char *said = strstr(c.err, "another process held the lock");
    assert_non_null(said);
    assert_null(strstr(said + 1, "another process held the lock"));
    captured_free(&c);
    f = fopen(audit, "r");
    assert_non_null(f);
    char line[16384];
    double first = 0, last = 0;
    int quick = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, "\"command\":\"sleep 0.2\""))
            continue;
        double at = started_seconds(line);
        if (quick++ == 0 || at < first)
            first = at;
        if (at > last)
            last = at;
    }
    fclose(f);
    assert_int_equal(quick, 5);
    /* Five lines of 0.2 s one after another, one wait of 1 s among them. */
    assert_true(last - first < 4.0);
    remove_tree(dir);
}

/* With the lock given up (a task holds it), runners writing long lines
 * to the same audit file at once: each line is still whole.  Written in
 * pieces without the lock, six lines of 6 MB interleaved and none was
 * JSON. */
static void test_hostile_audit_lines_without_the_lock_stay_whole(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300], script[1400];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    write_file(audit, "");
    snprintf(script, sizeof script,
             "flock %s sleep 3 & sleep 0.3; for i in 1 2 3 4 5 6; do \"$0\" run --audit %s "
             "--audit-output full -- sh -c \"head -c 6000000 /dev/zero | tr '\\\\0' $i\" "
             ">/dev/null 2>&1 & done; wait",
             audit, audit);
    const char *argv[] = { "/bin/sh", "-c", script, runner_path(), NULL };
    captured c = exec_capture(argv, NULL, 0);
    captured_free(&c);
    char check[600];
    snprintf(check, sizeof check, "python3 -c 'import json,sys; n=sum(1 for l in open(sys.argv[1]) "
             "if json.loads(l)[\"usage\"] is not None); sys.exit(n != 6)' %s", audit);
    assert_int_equal(system(check), 0);
    remove_tree(dir);
}

/* Under the caller's own file size limit an audit line past it killed
 * cordon with SIGXFSZ, leaving the line cut short (every later run to the
 * file died too): the write fails, is said, and the line is taken back. */
static void test_hostile_audit_line_past_the_caller_s_file_size_limit_is_taken_back(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char audit[300], script[1000];
    snprintf(audit, sizeof audit, "%s/audit.jsonl", dir);
    snprintf(script, sizeof script,
             "ulimit -f 100; \"$0\" run --audit %s -- echo first >/dev/null; "
             "\"$0\" run --audit %s --audit-output full -- head -c 300000 /dev/urandom >/dev/null; "
             "echo \"rc=$?\" >&2",
             audit, audit);
    const char *argv[] = { "/bin/sh", "-c", script, runner_path(), NULL };
    captured c = exec_capture(argv, NULL, 0);
    assert_non_null(strstr(c.err, "rc=125"));
    assert_non_null(strstr(c.err, "File too large"));
    captured_free(&c);
    char check[600];
    snprintf(check, sizeof check, "python3 -c 'import json,sys; n=sum(1 for l in open(sys.argv[1]) "
             "if json.loads(l)); sys.exit(n != 1)' %s", audit);
    assert_int_equal(system(check), 0);
    remove_tree(dir);
}

/* ---- the killed tree's end ------------------------------------------- */

static void without_namespaces(void)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
}

/* Whether a process's command line holds `mark` (the hostile program
 * given it as an argument it ignores): this test's own copies, not those
 * of the same test run beside it (make test runs the plain and the ASan
 * suites at once, and one run's copies had been taken for the other's). */
static bool marked_process_runs(const char *mark)
{
    DIR *proc = opendir("/proc");
    bool found = false;
    for (struct dirent *entry; proc && !found && (entry = readdir(proc));) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
            continue;
        char path[300], line[512];
        snprintf(path, sizeof path, "/proc/%s/cmdline", entry->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t got = read(fd, line, sizeof line - 1);
        close(fd);
        for (ssize_t i = 0; i < got; i++)
            if (line[i] == '\0')
                line[i] = ' ';
        line[got > 0 ? got : 0] = '\0';
        found = strstr(line, mark) != NULL;
    }
    if (proc)
        closedir(proc);
    return found;
}

static const char *const cgroup_roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified",
                                            "/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory" };
#define CGROUP_ROOTS (sizeof cgroup_roots / sizeof *cgroup_roots)

/* cordon's cgroups made by `maker` (a name is cordon-MAKER-N). */
static int cgroups_made_by(pid_t maker)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "cordon-%d-", (int)maker);
    int found = 0;
    for (size_t i = 0; i < CGROUP_ROOTS; i++) {
        DIR *dir = opendir(cgroup_roots[i]);
        for (struct dirent *entry; dir && (entry = readdir(dir));)
            found += strncmp(entry->d_name, prefix, strlen(prefix)) == 0;
        if (dir)
            closedir(dir);
    }
    return found;
}

/* The `cordon run` process's pid, which names its cgroups: written by its
 * child side before the exec, into memory the test shares. */
static pid_t *run_pid;
static child_setup_fn run_setup;
static void note_the_run_s_pid(void)
{
    *run_pid = getpid();
    if (run_setup)
        run_setup();
}

/* A task that forks copies of 384 MiB until its deadline: the kernel's
 * unmapping of them in each killed copy's exit held `cordon run` 2-6 s
 * past the deadline.  cordon now exits at most 250 ms after the kill;
 * the killed tree is reaped and its cgroups removed after it, by a copy
 * of cordon that ends with them. */
static void expect_run_ends_before_its_killed_tree(child_setup_fn setup, bool by_itself)
{
    static unsigned runs;
    char mark[64], line[700];
    snprintf(mark, sizeof mark, "killed-tree-%d-%u", (int)getpid(), runs++);
    snprintf(line, sizeof line, "\"%s\" copies-a-large-mapping 384 %s & sleep 2; exit 3",
             hostile_path(), mark);
    /* killed at its deadline, or ending by itself with its copies killed */
    const char *argv[16] = { runner_path(), "run", "--timeout", "3s", "--",
                             hostile_path(), "copies-a-large-mapping", "384", mark, NULL };
    const char *shell_argv[16] = { runner_path(), "run", "--timeout", "20s", "--shell", line,
                                   NULL };
    run_pid = mmap(NULL, sizeof *run_pid, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    assert_true(run_pid != MAP_FAILED);
    *run_pid = 0;
    run_setup = setup;
    captured c = exec_capture_with(by_itself ? shell_argv : argv, NULL, 0, -1,
                                   note_the_run_s_pid);
    pid_t maker = *run_pid;
    munmap(run_pid, sizeof *run_pid);
    assert_true(maker > 0);
    expect_status(&c, by_itself ? 3 : 124);
    if (c.seconds > (by_itself ? 2.9 : 3.9))
        fail_msg("cordon run ended after %.2f s: %s", c.seconds, c.err);
    double gone = now_seconds();
    while (marked_process_runs(mark) || cgroups_made_by(maker) > 0) {
        if (now_seconds() > gone + 60)
            fail_msg("60 s after cordon run, %s", marked_process_runs(mark)
                                                     ? "the killed tree was still there"
                                                     : "its cgroups were still there");
        usleep(50 * 1000);
    }
    print_message("cordon run ended after %.2f s; its killed tree and cgroups were gone "
                  "%.2f s later\n", c.seconds, now_seconds() - gone);
    captured_free(&c);
}

static void test_hostile_run_ends_before_its_killed_tree(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("the test's fork and exec of the runner, run by valgrind, take seconds "
                        "of the 3 s run it times");
    expect_run_ends_before_its_killed_tree(NULL, false);
    expect_run_ends_before_its_killed_tree(without_namespaces, false);
    /* The task ends by itself; cordon kills its copies, whose cgroups the
     * copy made at cordon's exit removes (it had left them: the rest of
     * such an ending was marked as being removed already). */
    expect_run_ends_before_its_killed_tree(without_namespaces, true);
    /* The same in namespaces, where the init kills the copies by itself:
     * cordon waited for their whole ending (3.7-4.5 s). */
    expect_run_ends_before_its_killed_tree(NULL, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_stdin_flags_and_offset_stay_the_callers),
        cmocka_unit_test(test_hostile_frozen_terminal_does_not_stop_the_deadline),
        cmocka_unit_test(test_hostile_foreground_grab_does_not_stop_cordon),
        cmocka_unit_test(test_hostile_terminal_of_a_suspended_or_background_cordon_is_not_read),
        cmocka_unit_test(test_hostile_terminal_stdin_only_when_asked),
        cmocka_unit_test(test_hostile_terminal_keeps_its_permissions),
        cmocka_unit_test(test_hostile_terminal_keeps_its_window_size),
        cmocka_unit_test(test_hostile_terminal_keeps_its_signal_keys),
        cmocka_unit_test(test_hostile_interrupted_run_puts_the_terminal_back),
        cmocka_unit_test(test_hostile_terminal_refusing_writes_leaves_cordon_its_say),
        cmocka_unit_test(test_hostile_task_output_cannot_drive_the_terminal),
        cmocka_unit_test(test_hostile_out_dir_open_to_tasks_is_refused),
        cmocka_unit_test(test_hostile_out_dir_plants_are_never_written_through),
        cmocka_unit_test(test_hostile_out_dir_that_is_a_link_is_refused),
        cmocka_unit_test(test_hostile_audit_plants_are_refused),
        cmocka_unit_test(test_hostile_audit_file_swapped_by_a_task_is_refused),
        cmocka_unit_test(test_hostile_audit_lock_held_for_ever),
        cmocka_unit_test(test_hostile_audit_lock_kept_by_a_task_holds_up_no_sibling),
        cmocka_unit_test(test_hostile_audit_lines_without_the_lock_stay_whole),
        cmocka_unit_test(test_hostile_audit_line_past_the_caller_s_file_size_limit_is_taken_back),
        cmocka_unit_test(test_hostile_no_policy_does_not_outlive_its_run_without_namespaces),
        cmocka_unit_test(test_hostile_no_policy_cannot_move_a_child_out_of_its_cgroup),
        cmocka_unit_test(test_hostile_no_policy_root_task_makes_no_cgroup_namespace),
        cmocka_unit_test(test_hostile_run_ends_before_its_killed_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
