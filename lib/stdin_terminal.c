/*
 * A terminal handed over as stdin (cordon_set_stdin_fd): the task reads a
 * description of its own (lib/stdin_fd.c), but a terminal's modes, its
 * flow control, its line discipline and its exclusive mode are the
 * terminal's, not the description's.  A task turned off echo and canonical
 * input and stopped the terminal's output (TCOOFF): after the run the
 * caller's next write to its own terminal waited for ever.  Another made
 * it exclusive (TIOCEXCL, which asks for no privilege): every later open
 * of it but root's failed with EBUSY — the caller's /dev/tty, and the
 * next attempt's stdin, which is the terminal opened again.  A task of
 * the terminal's owner's made it 0666 (fchmod on its stdin), open to
 * every user's writes, or gave it a group of its own (fchown), whose
 * members a mode of 0620 then let write to it.  They are saved when the
 * attempt starts and put back when it ends, whatever the task did (the
 * group where the caller may give it: as root, or as a member).
 *
 * The caller may be in the background of that terminal: SIGTTOU is
 * blocked in this thread around the calls (the kernel then lets them
 * through), so that putting the terminal back never stops the caller.
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

void cordon__terminal_save(int fd, cordon__terminal_state *state)
{
    state->fd = -1;
    state->discipline = 0; /* what TIOCGETD fills (valgrind does not know it does) */
    state->exclusive = 0;  /* TIOCGEXCL likewise */
    struct stat st;
    if (!isatty(fd) || tcgetattr(fd, &state->modes) != 0 ||
        ioctl(fd, TIOCGETD, &state->discipline) != 0 || fstat(fd, &st) != 0)
        return;
    state->permissions = st.st_mode & 07777;
    state->owner = st.st_uid;
    state->group = st.st_gid;
    /* Before Linux 3.8 it cannot be read: taken as not exclusive, which
     * is what a terminal a caller still opens is. */
    if (ioctl(fd, TIOCGEXCL, &state->exclusive) != 0)
        state->exclusive = 0;
    state->fd = fd;
}

void cordon__terminal_restore(cordon__terminal_state *state)
{
    if (state->fd < 0)
        return;
    sigset_t quiet, previous;
    sigemptyset(&quiet);
    sigaddset(&quiet, SIGTTOU);
    pthread_sigmask(SIG_BLOCK, &quiet, &previous);
    int discipline = state->discipline;
    if (ioctl(state->fd, TIOCGETD, &discipline) == 0 && discipline != state->discipline)
        ioctl(state->fd, TIOCSETD, &state->discipline);
    tcsetattr(state->fd, TCSANOW, &state->modes);
    tcflow(state->fd, TCOON);
    if (!state->exclusive)
        ioctl(state->fd, TIOCNXCL);
    struct stat st;
    /* The owner first: a chown clears set-id bits, which the mode then
     * puts back as they were. */
    if (fstat(state->fd, &st) == 0 && (st.st_uid != state->owner || st.st_gid != state->group))
        (void)!fchown(state->fd, state->owner, state->group);
    if (fstat(state->fd, &st) == 0 && (st.st_mode & 07777) != state->permissions)
        (void)!fchmod(state->fd, state->permissions);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    state->fd = -1;
}
