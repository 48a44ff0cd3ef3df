/*
 * The keeper of spare network namespaces: a process of cordon's, a copy
 * of the caller made when the caller runs its second task without a
 * network (lib/spare_namespaces.c), that keeps CORDON__SPARES_AHEAD fresh
 * namespaces waiting on its socket, so that a task's child joins one
 * instead of making it on the task's start path.
 *
 * Each spare is made by a short-lived child of the keeper, the maker:
 * unshare(CLONE_NEWNET) (with CLONE_NEWUSER and the same identity maps a
 * task's own user namespace gets, for a caller that is not root), the
 * loopback up, and the namespaces' fds sent over the socket.  No process
 * ever lives in a spare: the maker leaves before any task joins it, and
 * each spare is taken once, by one task.
 *
 * The rule here is the child's (lib/child.c): raw system calls only.  The
 * keeper is a copy of a possibly many-threaded caller, whose locks (malloc's,
 * stdio's) may be held by threads that do not exist in the copy.  It keeps
 * every signal blocked, so that no handler of the caller's runs in it; it
 * ends with the caller (the caller's pidfd, the socket's end, and
 * PR_SET_PDEATHSIG where the main thread started it), sleeps on both
 * while no spare is wanted, and leaves when its maker fails:
 * the caller then makes every namespace inline, as without a keeper.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

static int open_namespace(const char *path)
{
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

/* One message: a byte, and the spare's fds (user first, then net). */
static int send_spare(int socket, const int *fds, int count)
{
    char byte = 'n';
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        char buffer[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer,
                              .msg_controllen = CMSG_SPACE((size_t)count * sizeof(int)) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&message);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)count * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)count * sizeof(int));
    ssize_t n;
    do
        n = sendmsg(socket, &message, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -errno;
}

/* The maker: the namespaces, the loopback, the fds to the caller. */
static int maker_main(void *arg)
{
    const cordon__keeper_plan *plan = arg;
    /* With CLONE_VFORK the keeper waits, so its death is the caller's. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != plan->keeper)
        _exit(1);
    cordon__lower_process_ceiling(plan->processes_ceiling);
    if (unshare(CLONE_NEWNET | (plan->user ? CLONE_NEWUSER : 0)) != 0)
        _exit(2);
    if (plan->user && cordon__map_own_ids(plan->uid, plan->gid) < 0)
        _exit(3);
    if (cordon__bring_up_loopback() < 0)
        _exit(4);
    int fds[2], count = 0;
    if (plan->user && (fds[count++] = open_namespace("/proc/self/ns/user")) < 0)
        _exit(5);
    if ((fds[count++] = open_namespace("/proc/self/ns/net")) < 0)
        _exit(5);
    _exit(send_spare(plan->socket, fds, count) == 0 ? 0 : 6);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* Their bookkeeping must not be run by two processes in one memory
 * (lib/child.c): the maker is a plain copy. */
static pid_t start_maker(cordon__keeper_plan *plan)
{
    long pid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
    if (pid == 0)
        maker_main(plan);
    return (pid_t)pid;
}
#else
/* The keeper's memory is a copy of the caller's, however big: the maker
 * borrows it until it leaves rather than copying its page tables. */
static pid_t start_maker(cordon__keeper_plan *plan)
{
    static char *stack;
    const size_t stack_size = 64 * 1024;
    if (!stack) {
        stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED) {
            stack = NULL;
            return -1;
        }
    }
    return clone(maker_main, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, plan);
}
#endif

static bool make_one(cordon__keeper_plan *plan)
{
    pid_t pid = start_maker(plan);
    if (pid < 0)
        return false;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* Their bookkeeping lies in the memory a give-back would drop: the
 * keeper keeps its copy there. */
static void give_back_the_caller_s_memory(const cordon__keeper_plan *plan)
{
    (void)plan;
}
#else
/* The keeper is a copy of the caller, however big: it would hold every
 * page the caller had at its start for the caller's lifetime, and the
 * caller's every rewrite of one would cost the machine a page more.  It
 * gives that copy's private memory back at once (MADV_DONTNEED, as a
 * command's first process does before its exec: sandbox/memory_give_back.c),
 * keeping what it reads from here on: this stack with the plan, its
 * thread's TLS, and what the objects whose code may run after it hold
 * (lib/kept_objects.c: libc's and the loader's globals, cordon's data).
 * The maker's stack is mapped afterwards.  Every call it makes from here
 * on is bound already (-fno-plt). */
static void give_back_the_caller_s_memory(const cordon__keeper_plan *plan)
{
    int maps;
    do
        maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    while (maps < 0 && errno == EINTR);
    if (maps < 0)
        return;
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    cordon__address_range keep[4] = {
        cordon__range_around(here, CORDON__KEEP_STACK_BELOW, CORDON__KEEP_STACK_ABOVE),
        cordon__range_around((uintptr_t)__builtin_thread_pointer(), CORDON__KEEP_TLS_BELOW,
                             CORDON__KEEP_TLS_ABOVE),
        { (uintptr_t)plan, (uintptr_t)(plan + 1) },
        { (uintptr_t)plan->kept_objects,
          (uintptr_t)(plan->kept_objects + plan->kept_objects_count) },
    };
    cordon__give_back_keep kept = { keep, plan->kept_objects ? 4 : 3, plan->kept_objects,
                                    plan->kept_objects_count };
    cordon__give_back_private_memory(maps, &kept);
    close(maps);
}
#endif

/* The fds of the caller's it holds: its end of the socket, nothing else
 * (and its own pidfd of the caller). */
static int keep_only(int fd)
{
    if ((fd > 0 && syscall(SYS_close_range, 0, fd - 1, 0) != 0) ||
        syscall(SYS_close_range, fd + 1, ~0U, 0) != 0)
        return -errno;
    return 0;
}

/* Until the caller asks for a spare (true), or is gone. */
static bool asked(int socket, int caller)
{
    for (;;) {
        struct pollfd watch[2] = { { .fd = socket, .events = POLLIN },
                                   { .fd = caller, .events = POLLIN } };
        if (poll(watch, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (watch[1].revents) /* the caller's pidfd: it has ended */
            return false;
        char request;
        ssize_t n = recv(socket, &request, 1, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        return n > 0; /* 0: the caller closed its end (an exec closes it) */
    }
}

_Noreturn void cordon__keeper_main(cordon__keeper_plan *plan)
{
    plan->keeper = getpid();
    /* A caller that ignores SIGCHLD passed that on: the kernel reaped
     * every maker, whose status then said nothing, and the keeper gave up
     * at its first spare. */
    struct sigaction default_action = { .sa_handler = SIG_DFL };
    sigaction(SIGCHLD, &default_action, NULL);
    if (keep_only(plan->socket) < 0)
        _exit(1);
    give_back_the_caller_s_memory(plan);
    /* The caller's pidfd says when the whole process has ended.
     * PR_SET_PDEATHSIG follows the thread that started the keeper, so it
     * is asked only of a keeper the main thread started (cordon_run_async
     * starts tasks on a collector thread that ends with its task); it
     * also ends a keeper that is stopped.  A caller that died before
     * either was set up is no longer the parent. */
    if (plan->started_by_main_thread && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        _exit(1);
    int caller = (int)syscall(SYS_pidfd_open, plan->caller, 0);
    if (caller < 0 || getppid() != plan->caller)
        _exit(1);
    prctl(PR_SET_NAME, "cordon-spares", 0, 0, 0);
    for (int wanted = CORDON__SPARES_AHEAD;; wanted = 1) {
        for (; wanted > 0; wanted--)
            if (!make_one(plan))
                _exit(CORDON__KEEPER_CANNOT_MAKE);
        /* One byte from the caller for each spare it took. */
        if (!asked(plan->socket, caller))
            _exit(0);
    }
}
