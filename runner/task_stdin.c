/* The runner's stdin as the task's: the library gives the task a
 * description of its own (opened again read-only, or relayed), so what
 * the task does to it (O_NONBLOCK, a seek) stays off the caller's shell
 * and the pipeline's next reader, and a stdin open read-write reaches the
 * task read-only. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"
#include "task_stdin.h"

int task_stdin_open(bool tty)
{
    int flags = fcntl(STDIN_FILENO, F_GETFL);
    /* Closed; or a path-only fd, which is how main holds a closed stdin
     * where /dev/null is not the null device. */
    if (flags < 0 || (flags & O_PATH))
        return -1;
    /* Write-only (`0>file`): a task given /dev/null instead read nothing
     * and ended 0 where it would have failed reading it. */
    if ((flags & O_ACCMODE) == O_WRONLY)
        return -2;
    if (isatty(STDIN_FILENO) && !tty)
        return -1;
    /* The task, in a session of its own, is outside the terminal's job
     * control: handed the terminal by a cordon in its background (`&`), it
     * read what the user typed to the shell.  tcgetpgrp fails (ENOTTY) for
     * a terminal that is not cordon's controlling one: no shell of cordon's
     * session reads it. */
    pid_t foreground = isatty(STDIN_FILENO) ? tcgetpgrp(STDIN_FILENO) : -1;
    if (foreground > 0 && foreground != getpgrp())
        return -3;
    return STDIN_FILENO;
}

/* While a task holds the terminal, ^Z does not suspend cordon: stopped, it
 * left the task reading what the user then typed to the shell (the task
 * is in no job of the shell's and gets no SIGTSTP, nor SIGTTIN when it
 * reads from the terminal's background).  ^C still ends the run. */
void task_stdin_hold_suspend(bool tty)
{
    if (tty && isatty(STDIN_FILENO))
        signal(SIGTSTP, SIG_IGN);
}

/* The library refuses a stdin it cannot hand over (a directory: -EISDIR).
 * Ignored, the task read /dev/null instead and a `cordon run -- cat < dir`
 * ended 0 with no output, as if the input were empty. */
int task_stdin_give(cordon_task *t, bool tty)
{
    int fd = task_stdin_open(tty);
    if (fd == -3) {
        runner_error("--tty: stdin is the terminal of a cordon in its background (another job "
                     "is in its foreground); a task given it would read what is typed to that "
                     "job: run cordon in the foreground");
        return -1;
    }
    int rc = fd >= 0 ? cordon_set_stdin_fd(t, fd) : fd == -2 ? -EBADF : 0;
    if (rc == -EISDIR)
        runner_error("stdin is a directory, which cordon cannot hand to the task as its input "
                     "(give a file or a pipe, or </dev/null for none)");
    else if (rc == -EBADF)
        runner_error("stdin is not open for reading, and cordon cannot hand it to the task "
                     "(give a file or a pipe, or </dev/null for no input)");
    else if (rc < 0)
        runner_error("stdin: cordon cannot hand it to the task: %s", strerror(-rc));
    return rc < 0 ? -1 : 0;
}

/* A task that is never run, given the stdin the real one will get: the
 * library's own check, made before anything (an audit file) is made. */
int task_stdin_check(bool tty)
{
    static const char *const probe[] = { "true", NULL };
    cordon_task *t = cordon_command_task(probe);
    if (!t) {
        runner_error("cannot create the task: %s", strerror(errno));
        return -1;
    }
    int rc = task_stdin_give(t, tty);
    cordon_task_free(t);
    return rc;
}
