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
 * (TIOCNOTTY, which hangs nothing up) when the last attempt of the
 * process given the terminal ends, or the caller does.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/fork_reset.h"

/* The keeper, a fork of the caller: async-signal-safe calls only.  It
 * holds the terminal until a byte comes on its socket (not only its end:
 * a fork of the caller made meanwhile holds the socket too) or the caller
 * ends, and then lets it go: TIOCNOTTY hangs nothing up, where a session
 * leader's exit hangs a console or serial line up. */
typedef struct keeper_fds {
    int tty, sock;
    pid_t caller;
} keeper_fds;

static void keep(void *arg)
{
    const keeper_fds *fds = arg;
    int tty = fds->tty, sock = fds->sock;
    pid_t caller = fds->caller;
    (void)cordon__set_every_signal(SIG_IGN);
    /* The caller's end, watched by a pidfd: a parent-death signal follows
     * the thread that started the keeper, a collector's that ends with its
     * task while another task still needs the terminal held. */
    int caller_fd = (int)syscall(SYS_pidfd_open, caller, 0);
    if (caller_fd < 0 || getppid() != caller)
        _exit(1);
    /* Nothing of the caller's but the terminal, the socket and the pidfd. */
    int kept[3] = { tty, sock, caller_fd };
    cordon__close_all_fds_but(kept, 3);
    char held = setsid() >= 0 && ioctl(tty, TIOCSCTTY, 0) == 0 ? 'y' : 'n';
    while (write(sock, &held, 1) < 0 && errno == EINTR)
        ;
    /* Until a byte (or the socket's end), or the caller's end. */
    struct pollfd watched[2] = { { .fd = sock, .events = POLLIN },
                                 { .fd = caller_fd, .events = POLLIN } };
    while (held == 'y' && poll(watched, 2, -1) < 0 && errno == EINTR)
        ;
    if (held == 'y')
        ioctl(tty, TIOCNOTTY);
    _exit(0);
}

/* One keeper per terminal for the attempts of this process that hold it
 * at once (the first one's had let the terminal go while a second task
 * still ran, which then took it). */
typedef struct kept_terminal {
    dev_t device;               /* the terminal's st_rdev */
    pid_t keeper;
    int pidfd, socket;
    unsigned attempts;
} kept_terminal;

/* The terminal as the first of the attempts given it at once found it:
 * each attempt had saved what it found, and one that started while
 * another's task had made the terminal 0666 put that back at its end,
 * for good.  The last of them to end puts back the first one's. */
typedef struct given_terminal {
    dev_t device;
    unsigned attempts;
    cordon__terminal_state saved;
} given_terminal;

static struct {
    pthread_mutex_t lock;
    pid_t owner;                /* 0 in a forked copy: the tables are the parent's */
    kept_terminal *kept;
    size_t count, room;
    given_terminal *given;
    size_t given_count, given_room;
} terminals = { .lock = PTHREAD_MUTEX_INITIALIZER };
CORDON__RESET_IN_FORKED_COPIES(&terminals.lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&terminals.owner);

/* Under the lock: a forked copy's tables are its parent's, left to it. */
static void forget_the_parent_s(void)
{
    pid_t self = getpid();
    if (terminals.owner != self) {
        terminals.owner = self;
        terminals.kept = NULL;
        terminals.count = terminals.room = 0;
        terminals.given = NULL;
        terminals.given_count = terminals.given_room = 0;
    }
}

/* A table of `count` items with room for one more: `items` itself, or
 * grown (doubled) where it had none; NULL where it cannot grow (`items`
 * kept). */
static void *room_for_one(void *items, size_t count, size_t *room, size_t item_size)
{
    if (count < *room)
        return items;
    size_t grown_room = *room ? 2 * *room : 2;
    void *grown = realloc(items, grown_room * item_size);
    if (grown)
        *room = grown_room;
    return grown;
}

static kept_terminal *kept_for(dev_t device)
{
    forget_the_parent_s();
    for (size_t i = 0; i < terminals.count; i++)
        if (terminals.kept[i].device == device)
            return &terminals.kept[i];
    return NULL;
}

/* A keeper started for `tty`, which says at once whether it holds it;
 * a quiet copy (the caller's SIGCHLD handler and wait(-1) never see it,
 * as with every process of cordon's but a function's). */
static bool start_keeper(int tty, kept_terminal *k)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return false;
    keeper_fds fds = { tty, pair[1], getpid() };
    int pidfd;
    pid_t keeper = cordon__quiet_copy(&pidfd, keep, &fds);
    close(pair[1]);
    if (keeper < 0) {
        close(pair[0]);
        return false;
    }
    char held = 'n';
    ssize_t got;
    do
        got = read(pair[0], &held, 1);
    while (got < 0 && errno == EINTR);
    *k = (kept_terminal){ .keeper = (pid_t)keeper, .pidfd = pidfd, .socket = pair[0] };
    if (got == 1 && held == 'y')
        return true;
    close(pair[0]); /* another session's: nothing to hold, and it has left */
    while (waitid(P_PIDFD, (id_t)pidfd, &(siginfo_t){ 0 }, WEXITED | __WALL) < 0 && errno == EINTR)
        ;
    close(pidfd);
    return false;
}

static void stop_keeper(kept_terminal *k)
{
    char end = 'e';
    /* MSG_NOSIGNAL: a keeper gone already is no SIGPIPE of the caller's */
    while (send(k->socket, &end, 1, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
    close(k->socket);
    while (waitid(P_PIDFD, (id_t)k->pidfd, &(siginfo_t){ 0 }, WEXITED | __WALL) < 0 &&
           errno == EINTR)
        ;
    close(k->pidfd);
}

/* For a terminal that is not this process's controlling one (it may be
 * no session's): held by this process's keeper for it while any attempt
 * given it runs.  One another session holds needs none. */
static void hold(int tty, cordon__terminal_state *state)
{
    state->kept = false;
    pid_t sid;
    struct stat st;
    if (ioctl(tty, TIOCGSID, &sid) == 0 || fstat(tty, &st) != 0)
        return; /* this process's own: a session holds it */
    pthread_mutex_lock(&terminals.lock);
    kept_terminal *k = kept_for(st.st_rdev);
    kept_terminal *table = k ? NULL : room_for_one(terminals.kept, terminals.count, &terminals.room,
                                                   sizeof *terminals.kept);
    if (table)
        terminals.kept = table;
    if (table && start_keeper(tty, &terminals.kept[terminals.count])) {
        k = &terminals.kept[terminals.count++];
        k->device = st.st_rdev;
    }
    if (k) {
        k->attempts++;
        state->kept = true;
        state->kept_device = st.st_rdev;
    }
    pthread_mutex_unlock(&terminals.lock);
}

static void let_go(cordon__terminal_state *state)
{
    if (!state->kept)
        return;
    state->kept = false;
    pthread_mutex_lock(&terminals.lock);
    kept_terminal *k = kept_for(state->kept_device);
    if (k && --k->attempts == 0) {
        stop_keeper(k);
        *k = terminals.kept[--terminals.count];
    }
    pthread_mutex_unlock(&terminals.lock);
}

static given_terminal *given_for(dev_t device)
{
    forget_the_parent_s();
    for (size_t i = 0; i < terminals.given_count; i++)
        if (terminals.given[i].device == device)
            return &terminals.given[i];
    return NULL;
}

/* The first attempt's state for this one too, while any runs; where the
 * table cannot grow, the attempt keeps its own, as before. */
static void share_with_the_others(cordon__terminal_state *state)
{
    state->shared = false;
    pthread_mutex_lock(&terminals.lock);
    given_terminal *g = given_for(state->device);
    if (g) {
        int fd = state->fd;
        bool kept = state->kept;
        dev_t kept_device = state->kept_device;
        *state = g->saved;
        state->fd = fd;
        state->kept = kept;
        state->kept_device = kept_device;
        g->attempts++;
        state->shared = true;
    } else {
        given_terminal *table = room_for_one(terminals.given, terminals.given_count,
                                             &terminals.given_room, sizeof *terminals.given);
        if (table) {
            terminals.given = table;
            terminals.given[terminals.given_count++] =
                (given_terminal){ .device = state->device, .attempts = 1, .saved = *state };
            state->shared = true;
        }
    }
    pthread_mutex_unlock(&terminals.lock);
}

/* Whether this attempt is the last of those given the terminal at once
 * (it then puts the terminal back), taking it out of the table. */
static bool last_to_leave(const cordon__terminal_state *state)
{
    if (!state->shared)
        return true;
    pthread_mutex_lock(&terminals.lock);
    given_terminal *g = given_for(state->device);
    bool last = !g || --g->attempts == 0;
    if (g && last)
        *g = terminals.given[--terminals.given_count];
    pthread_mutex_unlock(&terminals.lock);
    return last;
}

void cordon__terminal_save(int fd, cordon__terminal_state *state)
{
    state->fd = -1;
    state->kept = false;
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
    state->device = st.st_rdev;
    share_with_the_others(state);
    hold(fd, state);
}

void cordon__terminal_restore(cordon__terminal_state *state)
{
    if (state->fd < 0)
        return;
    if (!last_to_leave(state)) {
        let_go(state);
        state->fd = -1;
        return;
    }
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
    let_go(state);
    state->fd = -1;
}
