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
 *
 * A terminal that no session holds as its controlling terminal (one the
 * caller opened with O_NOCTTY, a supervisor's pty, a console or serial
 * line) the kernel gives to the first session leader without one that
 * opens it without O_NOCTTY or asks with TIOCSCTTY: a task that made a
 * session of its own and opened /proc/self/fd/0 again wrote raw escapes
 * to it through /dev/tty, past file rules and another user's mode, and
 * its session's end hung a console up for the caller (EIO on its every
 * write after).  While the attempt runs, a keeper process of cordon's,
 * in a session of its own, holds such a terminal as its controlling
 * terminal, so that no session of the task's can take it; it ignores
 * every signal the terminal sends its group, and lets the terminal go
 * (TIOCNOTTY, which hangs nothing up) when the attempt ends.
 */
#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* The kernel's layout of rt_sigaction's argument (lib/child.c's too). */
struct keeper_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

/* The keeper, a _Fork of the caller: async-signal-safe calls only. */
static _Noreturn void keep(int tty, int sock, pid_t caller)
{
    struct keeper_sigaction ignore = { .handler = SIG_IGN };
    for (int signo = 1; signo < 65; signo++)
        if (signo != SIGKILL && signo != SIGSTOP)
            syscall(SYS_rt_sigaction, signo, &ignore, NULL, sizeof ignore.mask);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != caller)
        _exit(1);
    /* Nothing of the caller's but the terminal and the socket. */
    unsigned low = (unsigned)(tty < sock ? tty : sock), high = (unsigned)(tty < sock ? sock : tty);
    if (low > 0)
        syscall(SYS_close_range, 0, low - 1, 0);
    if (high - low > 1)
        syscall(SYS_close_range, low + 1, high - 1, 0);
    syscall(SYS_close_range, high + 1, ~0U, 0);
    char held = setsid() >= 0 && ioctl(tty, TIOCSCTTY, 0) == 0 ? 'y' : 'n';
    while (write(sock, &held, 1) < 0 && errno == EINTR)
        ;
    char end;
    if (held == 'y')
        while (read(sock, &end, 1) < 0 && errno == EINTR)
            ;
    if (held == 'y')
        ioctl(tty, TIOCNOTTY);
    _exit(0);
}

/* Started for a terminal that is not this process's controlling one (it
 * may be no session's); the keeper says at once whether it holds it, and
 * leaves at once where another session does. */
static void start_keeper(int tty, cordon__terminal_state *state)
{
    state->keeper = -1;
    state->keeper_fd = -1;
    pid_t sid;
    if (ioctl(tty, TIOCGSID, &sid) == 0)
        return; /* this process's own: a session holds it */
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return;
    pid_t caller = getpid();
    pid_t keeper = _Fork();
    if (keeper == 0)
        keep(tty, pair[1], caller);
    close(pair[1]);
    if (keeper < 0) {
        close(pair[0]);
        return;
    }
    char held = 'n';
    ssize_t got;
    do
        got = read(pair[0], &held, 1);
    while (got < 0 && errno == EINTR);
    state->keeper = keeper;
    state->keeper_fd = pair[0];
    if (got != 1 || held != 'y') { /* another session's, or it failed: nothing to hold */
        close(pair[0]);
        state->keeper_fd = -1;
    }
}

static void stop_keeper(cordon__terminal_state *state)
{
    if (state->keeper_fd >= 0)
        close(state->keeper_fd);
    state->keeper_fd = -1;
    if (state->keeper > 0)
        while (waitpid(state->keeper, NULL, __WALL) < 0 && errno == EINTR)
            ;
    state->keeper = -1;
}

void cordon__terminal_save(int fd, cordon__terminal_state *state)
{
    state->fd = -1;
    state->keeper = -1;
    state->keeper_fd = -1;
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
    start_keeper(fd, state);
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
    stop_keeper(state);
    state->fd = -1;
}
