/*
 * Spare network namespaces, the caller's side: a task without a network
 * (CORDON_NETWORK_NONE) costs a network namespace, some 600 us of kernel
 * work (its sysctl tables, its loopback's registration), which the
 * task's child paid on the task's start path.  A keeper process
 * (lib/spare_keeper.c) makes them ahead, off that path, and the child
 * joins one with setns(2) (lib/child.c) instead of unsharing its own.
 *
 * Every spare is fresh, made for one task and taken by one: it is handed
 * over under a lock, closed in the caller once the task's child has
 * joined it, and never seen by any other task (the child closes every
 * fd it does not hand on).  Nothing depends on the keeper: where no
 * spare is waiting (the first tasks, a burst, a keeper that is slow,
 * dead or cannot make one), the child makes the namespace inline, as it
 * always did, and the task is confined the same either way.
 *
 * The keeper starts with the second task without a network, not the
 * first: a program that runs one such task (the cordon CLI, once per
 * run) would pay for a keeper, a copy of itself, and two namespaces it
 * never uses.  A keeper is the caller's own: a forked copy of the caller
 * never takes its parent's spares (they are the parent's, and the socket
 * would be shared), and starts its own.
 *
 * A caller that runs out of open files (a task's start failing with
 * EMFILE or ENFILE) gets no spares from then on (cordon__spares_give_up).
 *
 * CORDON_NO_SPARE_NAMESPACES in the environment turns spares off (every
 * namespace made inline): for a comparison, or a machine where a
 * long-lived copy of the caller is unwelcome.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/environment_switch.h"
#include "../sandbox/held_fds.h"

/* A keeper killed is started again, a few times at most per process. */
#define KEEPER_STARTS_MAX 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    pid_t owner;      /* the process whose keeper it is; another is a forked copy */
    int socket;       /* -1: no keeper */
    int pidfd;
    pid_t pid;
    struct stat socket_stat; /* to tell the socket from a file the caller
                                opened at its number after closing it */
    bool user;        /* its spares carry a user namespace */
    uid_t uid;
    gid_t gid;
    bool given_up;    /* its maker failed: every namespace inline */
    int starts;
    unsigned asked;   /* tasks without a network, to start it with the second */
} keeper = { .socket = -1, .pidfd = -1 };
/* Set once a keeper was started (and the fork handler set up): until
 * then a task without a network takes no lock. */
static bool keeper_ever;

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* A forked copy's story starts afresh.  The parent's fds are closed only
 * where they are known to be the copy's inheritance still (the fork
 * handler, run as fork returns in the copy); found later, their numbers
 * may be the copy's own files by now (a daemon closes every fd and opens
 * its own; a function task's child closes what it inherits), and are
 * only forgotten. */
static void forget_the_parent_s(bool close_them)
{
    if (close_them) {
        close_fd(&keeper.socket);
        close_fd(&keeper.pidfd);
    }
    keeper.socket = keeper.pidfd = -1;
    keeper.given_up = false;
    keeper.starts = 0;
    keeper.asked = 0;
    keeper.owner = getpid();
}

/* A keeper whose pidfd the caller closed: reaped by its pid, where /proc
 * shows it still this process's child (a child's pid is no other
 * process's until it is reaped), else left.  A keeper is no child the
 * caller's wait(2) sees: a zombie was left at each closefrom. */
static void reap_by_pid(pid_t pid)
{
    cordon__proc_stat stat;
    if (pid <= 0 || !cordon__proc_stat_read(pid, &stat) || stat.ppid != getpid())
        return;
    kill(pid, SIGKILL);
    while (waitid(P_PID, (id_t)pid, &(siginfo_t){ 0 }, WEXITED | __WALL) < 0 && errno == EINTR)
        ;
}

/* Ends the keeper and reaps it: its socket closed, a SIGKILL for one
 * that is busy or stopped.  A keeper is no child the caller's wait(2)
 * sees (exit signal 0), so only this reaps it.  Returns whether it had
 * left on its own because its maker failed. */
static bool end_keeper(void)
{
    close_fd(&keeper.socket);
    /* closed by the caller (its socket's end with it: the keeper leaves) */
    if (keeper.pidfd >= 0 && !cordon__held_fd_is_pidfd_of(keeper.pidfd, keeper.pid)) {
        keeper.pidfd = -1;
        reap_by_pid(keeper.pid);
    }
    if (keeper.pidfd < 0)
        return false;
    syscall(SYS_pidfd_send_signal, keeper.pidfd, SIGKILL, NULL, 0);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    while (waitid(P_PIDFD, (id_t)keeper.pidfd, &info, WEXITED | __WALL) < 0 && errno == EINTR)
        ;
    close_fd(&keeper.pidfd);
    return info.si_code == CLD_EXITED && info.si_status == CORDON__KEEPER_CANNOT_MAKE;
}

static void run_keeper(void *plan)
{
    cordon__keeper_main(plan);
}

static void start_keeper(bool user)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
        return;
    cordon__keeper_plan plan = { .socket = pair[1], .caller = getpid(), .user = user,
                                 .uid = getuid(), .gid = getgid(),
                                 .processes_ceiling = user ? cordon__user_processes_ceiling() : 0,
                                 .started_by_main_thread = syscall(SYS_gettid) == getpid() };
    /* What the keeper keeps when it gives back its copy of the caller. */
    bool complete = false;
    const cordon__address_range *kept =
        cordon__kept_object_ranges(&plan.kept_objects_count, &complete);
    plan.kept_objects = complete ? kept : NULL;
    int pidfd;
    pid_t pid = cordon__quiet_copy(&pidfd, run_keeper, &plan); /* its signals stay blocked */
    close(pair[1]);
    if (pid < 0) { /* refused (a filter of the caller's): not tried again */
        close(pair[0]);
        keeper.given_up = true;
        return;
    }
    __atomic_store_n(&keeper_ever, true, __ATOMIC_RELEASE);
    keeper.socket = pair[0];
    keeper.pidfd = pidfd;
    keeper.pid = pid;
    if (fstat(pair[0], &keeper.socket_stat) != 0)
        keeper.socket_stat = (struct stat){ 0 };
    keeper.user = user;
    keeper.uid = plan.uid;
    keeper.gid = plan.gid;
    keeper.starts++;
}

/* A waiting spare's fds (user, net) in `fds`, or false: none waiting. */
static bool receive_spare(int *fds, int want)
{
    char byte;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        char buffer[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer,
                              .msg_controllen = sizeof control.buffer };
    ssize_t n;
    do
        n = recvmsg(keeper.socket, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return false;
    if (n <= 0) { /* gone: a keeper whose maker failed is not started again */
        if (end_keeper() || keeper.starts >= KEEPER_STARTS_MAX)
            keeper.given_up = true;
        return false;
    }
    int got = 0, received[2] = { -1, -1 };
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        got = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(received, CMSG_DATA(c), (size_t)(got > 2 ? 2 : got) * sizeof(int));
    }
    if (got != want || (message.msg_flags & MSG_CTRUNC)) {
        close_fd(&received[0]);
        close_fd(&received[1]);
        return false;
    }
    memcpy(fds, received, sizeof received);
    /* For the one taken, another: the keeper sleeps until asked. */
    char request = 'r';
    send(keeper.socket, &request, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    return true;
}

/* A fork taken while another thread held the lock (a function task's
 * child, a forked copy of the caller) would find it held for good: the
 * copy gets a fresh one, and its story starts afresh (the owner's pid). */
static void fresh_lock_in_child(void)
{
    pthread_mutex_init(&lock, NULL);
    /* Any owner is the parent's: a function task's process has the pid of
     * its parent when that was one too (2, of its own pid namespace). */
    if (keeper.owner)
        forget_the_parent_s(true);
}

/* Under a tight process limit of the caller's user (RLIMIT_NPROC, which
 * the kernel does not apply to root), the keeper and its maker would take
 * one or two of the user's processes just as a task's child needs one:
 * tasks failed to start (EAGAIN) that would have run without spares.
 * The kernel's default is some tens of thousands; a limit set in the
 * hundreds or a few thousands is one a caller means to run close to. */
#define PROCESS_LIMIT_FOR_SPARES 4096
static bool processes_counted(void)
{
    struct rlimit processes;
    return geteuid() != 0 && getrlimit(RLIMIT_NPROC, &processes) == 0 &&
           processes.rlim_cur < PROCESS_LIMIT_FOR_SPARES;
}

static void watch_forks(void)
{
    pthread_atfork(NULL, NULL, fresh_lock_in_child);
}

/* A caller that closed fds it did not open (closefrom(3)) closed the
 * keeper's too, and may have opened its own at their numbers: a spare
 * asked of the caller's socket (a byte sent into its connection, one of
 * its messages read), the caller's child killed and reaped in the
 * keeper's stead.  The keeper's that are still its own are ended; the
 * numbers that are not are the caller's, and only forgotten.  Under the
 * lock. */
static void forget_a_keeper_whose_fds_are_gone(void)
{
    if (keeper.socket >= 0 && !cordon__held_fd_is_file(keeper.socket, &keeper.socket_stat)) {
        keeper.socket = -1;
        end_keeper();
    }
}

/* A caller whose ids changed since its keeper started (a setuid of its
 * own) gets no namespace mapped for the old ones, and keeps no keeper of
 * its old ids (root's, for a root caller that became another user),
 * whatever its next task asks: that one is ended, and one for the new ids
 * may start.  Under the lock. */
static void end_a_keeper_of_other_ids(bool user)
{
    if (keeper.owner != getpid())
        forget_the_parent_s(false);
    forget_a_keeper_whose_fds_are_gone();
    if (keeper.socket >= 0 &&
        (keeper.user != user || keeper.uid != getuid() || keeper.gid != getgid())) {
        end_keeper();
        keeper.starts = 0;
        keeper.asked = 0;
    }
}

void cordon__spare_take(cordon__launch *l)
{
    l->spare_user_fd = l->spare_net_fd = -1;
    bool user = l->namespaces & CORDON__NAMESPACE_USER;
    if (!(l->namespaces & CORDON__NAMESPACE_NET) || l->lacks_namespaces ||
        cordon__environment_switch("CORDON_NO_SPARE_NAMESPACES") || processes_counted()) {
        if (!__atomic_load_n(&keeper_ever, __ATOMIC_ACQUIRE))
            return;
        pthread_mutex_lock(&lock);
        if (keeper.socket >= 0 && keeper.owner == getpid() &&
            (keeper.uid != getuid() || keeper.gid != getgid()))
            end_a_keeper_of_other_ids(user);
        pthread_mutex_unlock(&lock);
        return;
    }
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, watch_forks);
    pthread_mutex_lock(&lock);
    end_a_keeper_of_other_ids(user);
    if (keeper.socket >= 0) {
        int fds[2];
        if (receive_spare(fds, user ? 2 : 1)) {
            l->spare_user_fd = user ? fds[0] : -1;
            l->spare_net_fd = user ? fds[1] : fds[0];
        }
    } else if (!keeper.given_up && ++keeper.asked >= 2) {
        start_keeper(user);
    }
    pthread_mutex_unlock(&lock);
}

void cordon__spare_close(cordon__launch *l)
{
    close_fd(&l->spare_user_fd);
    close_fd(&l->spare_net_fd);
}

/* A caller at its open-file limit: the keeper's socket and pidfd, held
 * for the process's life, and a spare's two fds, held until the child has
 * joined it, are fds a task's start needed (a command whose start took a
 * spare failed with EMFILE some 3 fds short of the limit, where it ran
 * without spares).  Ended, and never started again in this process. */
bool cordon__spares_give_up(void)
{
    pthread_mutex_lock(&lock);
    if (keeper.owner != getpid())
        forget_the_parent_s(false);
    forget_a_keeper_whose_fds_are_gone();
    bool had = keeper.socket >= 0;
    if (had) {
        end_keeper();
        keeper.given_up = true;
    }
    pthread_mutex_unlock(&lock);
    return had;
}

void cordon_release_spares(void)
{
    CORDON__NO_CANCELLATION;
    pthread_mutex_lock(&lock);
    if (keeper.owner != getpid())
        forget_the_parent_s(false);
    else {
        forget_a_keeper_whose_fds_are_gone();
        end_keeper();
    }
    keeper.asked = 0;
    pthread_mutex_unlock(&lock);
}

/* At exit or when the library is unloaded: the keeper would end with
 * the caller anyway (its pidfd of the caller, its socket's end); this
 * reaps it for a library unloaded from a process that goes on. */
__attribute__((destructor)) static void release_at_exit(void)
{
    /* Never waits for a thread that is taking a spare as the process ends. */
    if (pthread_mutex_trylock(&lock) != 0)
        return;
    if (keeper.owner == getpid())
        end_keeper();
    pthread_mutex_unlock(&lock);
}
