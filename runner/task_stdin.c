/* The runner's stdin as the task's: the library gives the task a
 * description of its own (opened again read-only, or relayed), so what
 * the task does to it (O_NONBLOCK, a seek) stays off the caller's shell
 * and the pipeline's next reader, and a stdin open read-write reaches the
 * task read-only. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"
#include "task_stdin.h"

void terminal_save(terminal_state *state)
{
    state->saved = tcgetattr(STDIN_FILENO, &state->modes) == 0;
    struct stat st;
    state->permissions_saved = state->saved && fstat(STDIN_FILENO, &st) == 0;
    state->permissions = state->permissions_saved ? st.st_mode & 07777 : 0;
}

void terminal_restore(const terminal_state *state)
{
    if (!state->saved)
        return;
    tcsetattr(STDIN_FILENO, TCSANOW, &state->modes);
    tcflow(STDIN_FILENO, TCOON);
    struct stat st;
    if (state->permissions_saved && fstat(STDIN_FILENO, &st) == 0 &&
        (st.st_mode & 07777) != state->permissions)
        (void)!fchmod(STDIN_FILENO, state->permissions);
}

int task_stdin_open(bool tty)
{
    int flags = fcntl(STDIN_FILENO, F_GETFL);
    if (flags < 0 || (flags & O_ACCMODE) == O_WRONLY)
        return -1; /* closed; or write-only, which the task could not read */
    if (isatty(STDIN_FILENO) && !tty)
        return -1;
    return STDIN_FILENO;
}
