/* Reopening through /proc/self/fd/0 gives a new file description on the
 * same file, tty or FIFO, with only the access asked for; the caller's
 * description (and its flags) is left as it was.  A FIFO open read-write
 * in our fd 0 counts as a writer, so the read-only open does not wait.
 *
 * What cannot be reopened (a socket, an anonymous inode) is not copied
 * through a pipe either: a copying thread would go on eating the caller's
 * input after the task ended.  The task reads /dev/null instead, and we
 * say so. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"
#include "task_stdin.h"

void terminal_save(terminal_state *state)
{
    state->saved = tcgetattr(STDIN_FILENO, &state->modes) == 0;
}

void terminal_restore(const terminal_state *state)
{
    if (!state->saved)
        return;
    tcsetattr(STDIN_FILENO, TCSANOW, &state->modes);
    tcflow(STDIN_FILENO, TCOON);
}

int task_stdin_open(bool quiet, bool tty)
{
    int flags = fcntl(STDIN_FILENO, F_GETFL);
    if (flags < 0)
        return -1;
    if (isatty(STDIN_FILENO) && !tty)
        return -1;
    int access = flags & O_ACCMODE;
    if (access == O_RDONLY)
        return STDIN_FILENO;
    /* Write-only: the task could not read it anyway, and a read-only
     * reopening would read what was meant for someone else (a pipe's
     * other end). */
    if (access == O_WRONLY)
        return -1;
    int fd;
    do
        fd = open("/proc/self/fd/0", O_RDONLY | O_NOCTTY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0 && !quiet)
        runner_error("stdin is open for writing and cannot be reopened read-only (%s); "
                     "the task reads /dev/null instead", strerror(errno));
    return fd;
}
