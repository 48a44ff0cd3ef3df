/* The cordon command against its own task: a task that freezes or grabs
 * the terminal cordon writes to. */
#include <sys/ioctl.h>
#include <termios.h>

#include "runner_support.h"

static const char *hostile_path(void)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/hostile", getenv("CORDON_HOSTILE_DIR"));
    return path;
}

/* ---- the terminal -------------------------------------------------------- */

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
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        execv(argv[0], (char *const *)argv);
        _exit(99);
    }
    setpgid(job, job);
    signal(SIGTTOU, SIG_IGN);
    tcsetpgrp(slave, job);
    if (write(report, &job, sizeof job) != sizeof job)
        _exit(98);
    int status;
    while (waitpid(job, &status, 0) < 0)
        if (errno != EINTR)
            _exit(96);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 200);
}

/* Runs cordon ARGS on a fresh terminal, reading (and dropping) what it
 * shows.  Returns cordon's exit status, or -1 when it had not ended after
 * `limit` seconds (it and its task are then killed). */
static int run_on_terminal(double limit, double *seconds, const char *const args[])
{
    const char *argv[64];
    cordon_argv(argv, args);
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    char slave_name[128];
    assert_int_equal(ptsname_r(master, slave_name, sizeof slave_name), 0);
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
    while (!ended && now_seconds() - start < limit) {
        struct pollfd p = { master, POLLIN, 0 };
        char buf[4096];
        if (poll(&p, 1, 50) > 0 && read(master, buf, sizeof buf) < 0 && errno == EIO)
            usleep(50000); /* the slave side is closed for now */
        ended = waitpid(shell, &status, WNOHANG) == shell;
    }
    *seconds = now_seconds() - start;
    if (!ended) {
        kill(job, SIGKILL);
        kill(shell, SIGKILL);
        assert_int_equal(waitpid(shell, &status, 0), shell);
    }
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
    int status = run_on_terminal(15, &seconds, (const char *const[]){
        "run", "--timeout", "1s", "--shell", line, NULL });
    if (status != 124)
        fail_msg("cordon ended with %d after %.1f s (-1: still running)", status, seconds);
    assert_true(seconds < 8);
    /* The JSON record goes to the frozen terminal after the task. */
    status = run_on_terminal(15, &seconds, (const char *const[]){
        "run", "--json", "--timeout", "1s", "--shell", line, NULL });
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_frozen_terminal_does_not_stop_the_deadline),
        cmocka_unit_test(test_hostile_foreground_grab_does_not_stop_cordon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
