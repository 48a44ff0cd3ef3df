/*
 * The floor a function task's cost is measured against (bench/task_cost.c):
 * a child written by hand with nothing but the confinement cordon gives a
 * function task on this machine, and none of cordon's bookkeeping (no
 * shared region, no crash handlers, no stderr or log pipes, no cgroup
 * accounting, no result).
 *
 * Its kernel work is cordon's, through the same sandbox primitives:
 *   caller: pipe, socketpair for the listener, fork; where the task has no
 *           user namespace (root), the child moved into a pids cgroup
 *           holding cordon's process share (made once and kept, as cordon
 *           pools it) before it goes on
 *   child:  setsid, PDEATHSIG, first in line for the OOM killer, fds
 *           closed, unshare (pid, mount, IPC, and a user namespace when not
 *           root: the namespaces cordon makes here), fork of the
 *           namespace's init, exit
 *   init:   PDEATHSIG, undumpable, fork of the task, then the mounts while
 *           the task sets itself up (as cordon's init makes them): the
 *           caller's mounts kept apart, a /proc of its own, /sys read-only
 *           (and the kernel settings for a root task), its own terminals,
 *           /dev/shm and message queues, the working directory looked up
 *           again, the caller's FUSE device and consoles covered, every mount
 *           but /dev nodev; a byte on a pipe lets the task go on; wait4
 *   task:   no_new_privs, the caller's shared mappings unmapped, the
 *           Landlock scope, RLIMIT_CORE, _RTPRIO and _NICE 0, RLIMIT_NPROC at
 *           cordon's process share (in a user namespace), RLIMIT_NOFILE's soft
 *           limit at its hard one (half the caller's soft limit after the
 *           hand-over), the bounding set dropped, a
 *           session keyring of its own, no capabilities, waits for the
 *           mounts, the filters cordon installs for such a task, chosen by
 *           cordon's own rule (sandbox/task_filter.c): the guards of what
 *           it shares with the caller, then its policy's variant for its
 *           kind, or cordon's own rules alone where a task given no policy
 *           gets them (as root), compiled by cordon (a listener offered to
 *           the caller, which takes it with pidfd_getfd and answers, as
 *           cordon's), then the function: one byte to the pipe
 *   caller: takes the listener, reads the pipe to its end, wait4 twice
 * Without namespaces (CORDON_NO_NAMESPACES) the child is the task, and,
 * as cordon's, it is held by a v2 cgroup where one can be made (without a
 * pid namespace, nothing else holds a tree that leaves its session): made
 * once and kept, as cordon pools it; the caller writes a function's child
 * into its cgroup.procs and a byte on a pipe lets the child go on, while
 * a command's child starts in it (clone3), as cordon's do.
 */
#ifndef CORDON_BENCH_CONFINED_FLOOR_H
#define CORDON_BENCH_CONFINED_FLOOR_H

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../sandbox/cgroup.h"
#include "../sandbox/confine.h"
#include "../lib/internal.h"
#include "../sandbox/policy.h"

extern char **environ;

typedef struct floor_plan {
    cordon__capability_plan capabilities;
    unsigned namespaces;   /* CORDON__NAMESPACE_*, what cordon makes here */
    int landlock_scope;    /* cordon's shared scope ruleset, or -1 */
    int runs_as_root;
    char tmpfs_options[64]; /* /dev/shm's, as cordon's */
    char devpts_options[CORDON__DEVPTS_OPTIONS_SIZE]; /* /dev/pts's, as cordon's */
    char *const *command;  /* NULL: the function; else execve'd after the filter */
    cordon__cgroup cgroup; /* without a pid namespace: the v2 cgroup holding the tree */
    int cgroup_dir_fd;     /* its directory, for a command's clone3 */
    struct rlimit open_files; /* half of the caller's soft limit, as cordon's */
    struct rlimit processes;  /* cordon's share (sandbox/process_share.c), its init's too */
    int share_by_cgroup;      /* no user namespace: a pids cgroup holds the share */
    cordon__cgroup share;     /* in namespaces, that cgroup: made once, as cordon pools it */
    cordon__filter_facts facts;          /* what cordon chooses a task's filters by */
    cordon__caller_terminals terminals;  /* covered in the task's /dev, as cordon's init does */
    cordon__path_list hidden_mounts;     /* the kernel's mounts cordon's init covers */
} floor_plan;

/* The filters of one case: what cordon installs for a task given `given`. */
typedef struct floor_filter {
    const cordon_policy *policy; /* the variant, cordon's own rules alone, or NULL */
    unsigned guards;             /* CORDON__SHARED_OBJECTS_* */
    int notifies;                /* its listener is handed to the caller */
} floor_filter;

/* The cgroup cordon would hold the task's tree by, or none. */
static inline void floor_plan_hold_trees(floor_plan *plan)
{
    cordon__cgroup_init_empty(&plan->cgroup);
    plan->cgroup_dir_fd = -1;
    if (plan->namespaces & CORDON__NAMESPACE_PID)
        return;
    if (cordon__cgroup_create(&plan->cgroup, 0, 0, true, false) != 0)
        abort();
    if (plan->cgroup.v2_dir < 0) { /* cordon has no v2 cgroup either: none */
        cordon__cgroup_destroy(&plan->cgroup);
        return;
    }
    plan->cgroup_dir_fd = open(plan->cgroup.dirs[plan->cgroup.v2_dir],
                               O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (plan->cgroup_dir_fd < 0)
        abort();
}

static inline void floor_plan_release(floor_plan *plan)
{
    if (plan->cgroup_dir_fd >= 0)
        close(plan->cgroup_dir_fd);
    cordon__cgroup_destroy(&plan->cgroup);
    cordon__cgroup_destroy(&plan->share);
    cordon__path_list_free(&plan->hidden_mounts);
}

/* A command's child starts in the cgroup, as cordon's does (clone3 with
 * CLONE_INTO_CGROUP), rather than being moved there: a fork otherwise.
 * It only confines itself and execs, so glibc's fork bookkeeping is not
 * missed. */
static inline pid_t floor_fork(const floor_plan *plan)
{
    if (!plan->command || plan->cgroup_dir_fd < 0)
        return fork();
    struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD,
                               .cgroup = (unsigned long long)plan->cgroup_dir_fd };
    return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

static inline void floor_plan_prepare(floor_plan *plan)
{
    if (cordon__capability_plan_prepare(&plan->capabilities) != 0)
        abort();
    unsigned available = 0;
    if (cordon__namespaces_available(&available) < 0)
        abort();
    plan->namespaces = available & (CORDON__NAMESPACE_USER | CORDON__NAMESPACE_PID |
                                    CORDON__NAMESPACE_MOUNT | CORDON__NAMESPACE_IPC);
    plan->landlock_scope = cordon__landlock_ruleset();
    plan->runs_as_root = geteuid() == 0 && cordon__uid0_is_the_machines();
    cordon__tmpfs_options(plan->tmpfs_options, 0);
    if (getrlimit(RLIMIT_NOFILE, &plan->open_files) != 0)
        abort();
    plan->open_files.rlim_cur = plan->open_files.rlim_max = plan->open_files.rlim_cur / 2;
    plan->command = NULL;
    /* The share a lone task gets: the floor's tasks run one at a time. */
    uint64_t given[CORDON__SHARE_KINDS] = { 0 };
    uint64_t share = given[CORDON__SHARE_PROCESSES] = cordon__process_share();
    given[CORDON__SHARE_TERMINALS] = cordon__devpts_options(plan->devpts_options);
    cordon__shares_give_back(given);
    share += plan->namespaces ? 1 : 0;
    plan->processes.rlim_cur = plan->processes.rlim_max = (rlim_t)share;
    plan->share_by_cgroup = !(plan->namespaces & CORDON__NAMESPACE_USER);
    cordon__cgroup_init_empty(&plan->share);
    if (plan->share_by_cgroup && plan->namespaces &&
        cordon__cgroup_hold_process_share(&plan->share, share) != 0)
        abort();
    floor_plan_hold_trees(plan);
    plan->facts = (cordon__filter_facts){ .namespaces = plan->namespaces,
                                          .v2_cgroup = plan->cgroup.v2_dir >= 0,
                                          .runs_as_root = plan->runs_as_root };
    plan->terminals.count = 0;
    if (plan->namespaces & CORDON__NAMESPACE_MOUNT)
        cordon__find_caller_terminals(&plan->terminals);
    uint64_t digest;
    memset(&plan->hidden_mounts, 0, sizeof plan->hidden_mounts);
    if ((plan->namespaces & CORDON__NAMESPACE_MOUNT) &&
        cordon__mounts_to_hide(&plan->hidden_mounts, &digest) != 0)
        abort();
}

/* Once per case, before its timed tasks: the choice is cordon's rule
 * (sandbox/task_filter.c), the variant compiled and kept by cordon. */
static inline floor_filter floor_filter_for(const floor_plan *plan, const cordon_policy *given)
{
    floor_filter filter = { .guards = cordon__filter_guard_parts(&plan->facts, given) };
    unsigned kind = cordon__filter_kind(&plan->facts);
    if (!given && cordon__filter_fence_needed(&plan->facts)) {
        kind = cordon__filter_fence_kind(kind);
        given = cordon__policy_fence_alone();
    }
    cordon_error err;
    if (given && !(filter.policy = cordon__policy_variant(given, kind, &err)))
        abort();
    filter.notifies = filter.policy && cordon__policy_notifies(filter.policy);
    return filter;
}

static inline void floor_fail(void)
{
    _exit(127);
}

/* The child's side of cordon's hand-over: the listener's number offered,
 * the caller's answer awaited before the listener is closed. */
static inline void floor_offer_fd(int socket_fd, int fd)
{
    char offer[1 + sizeof(int)] = { 'P' }, answer = 0;
    memcpy(offer + 1, &fd, sizeof fd);
    if (send(socket_fd, offer, sizeof offer, MSG_NOSIGNAL) != (ssize_t)sizeof offer ||
        read(socket_fd, &answer, 1) != 1 || answer != 'T')
        floor_fail();
}

/* The caller's side: the offered fd taken out of its sender (named by
 * SCM_CREDENTIALS) with pidfd_getfd, then the answer. */
static inline int floor_take_offered_fd(int socket_fd)
{
    char offer[1 + sizeof(int)];
    struct iovec iov = { .iov_base = offer, .iov_len = sizeof offer };
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(struct ucred))];
    } control;
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = control.space,
                              .msg_controllen = sizeof control.space };
    struct cmsghdr *cmsg;
    if (recvmsg(socket_fd, &message, 0) != (ssize_t)sizeof offer ||
        !(cmsg = CMSG_FIRSTHDR(&message)) || cmsg->cmsg_type != SCM_CREDENTIALS)
        return -1;
    struct ucred sender;
    int number;
    memcpy(&sender, CMSG_DATA(cmsg), sizeof sender);
    memcpy(&number, offer + 1, sizeof number);
    int pidfd = (int)syscall(SYS_pidfd_open, sender.pid, 0);
    int fd = pidfd < 0 ? -1 : (int)syscall(438 /* pidfd_getfd */, pidfd, number, 0);
    if (pidfd >= 0)
        close(pidfd);
    return fd >= 0 && send(socket_fd, "T", 1, MSG_NOSIGNAL) == 1 ? fd : -1;
}

/* Until the init's byte (or its end) on `mounts_done`: nothing of the task
 * runs before its mounts are made. */
static inline void floor_wait_for_mounts(int mounts_done)
{
    char byte;
    ssize_t got;
    do
        got = read(mounts_done, &byte, 1);
    while (got < 0 && errno == EINTR);
    if (got != 1)
        floor_fail();
    close(mounts_done);
}

/* fds: 1 the pipe, 4 the listener's socket (as in cordon's child);
 * `mounts_done` is -1 without a mount namespace. */
static inline _Noreturn void floor_task(const floor_plan *plan, const floor_filter *filter,
                                        int mounts_done)
{
    struct rlimit none = { 0, 0 };
    if (cordon__set_no_new_privileges() != 0 ||
        cordon__unmap_shared_mappings(NULL, 0) != 0 ||
        cordon__enter_landlock_domain(plan->landlock_scope) != 0 ||
        setrlimit(RLIMIT_CORE, &none) != 0 || setrlimit(RLIMIT_RTPRIO, &none) != 0 ||
        setrlimit(RLIMIT_NICE, &none) != 0 ||
        (!plan->share_by_cgroup && setrlimit(RLIMIT_NPROC, &plan->processes) != 0) ||
        (filter->notifies ? cordon__raise_open_files_to_hard()
                          : setrlimit(RLIMIT_NOFILE, &plan->open_files)) != 0 ||
        cordon__drop_bounding_set(&plan->capabilities) != 0 ||
        cordon__leave_callers_keyrings() != 0 ||
        cordon__clear_capabilities(&plan->capabilities) != 0)
        floor_fail();
    /* The init made itself undumpable and the task's process copies that:
     * it gets the caller's setting back, as in cordon's child, or the
     * caller (not root) could not take its listener (pidfd_getfd needs
     * the right to trace it), and the floor aborted as nobody. */
    if (plan->namespaces && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
        floor_fail();
    if (mounts_done >= 0)
        floor_wait_for_mounts(mounts_done);
    if (filter->guards && cordon__shared_objects_guard_install(filter->guards, false) != 0)
        floor_fail();
    if (filter->policy) {
        int listener = cordon__policy_install(filter->policy);
        if (listener < -1)
            floor_fail();
        if (listener >= 0)
            floor_offer_fd(4, listener);
        syscall(SYS_close_range, 4, ~0u, 0);
        /* The hand-over at the caller's hard limit, then the task's own. */
        if (filter->notifies && syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &plan->open_files, NULL) != 0)
            floor_fail();
    }
    if (plan->command) {
        execve(plan->command[0], plan->command, environ);
        floor_fail();
    }
    (void)!write(1, "x", 1);
    _exit(0);
}

/* The mounts cordon's init makes for a task with no view of its own
 * (lib/task_init.c), then the working directory looked up again. */
static inline int floor_mount(const floor_plan *plan)
{
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd) || cordon__keep_mounts_apart() != 0)
        return -1;
    /* Once cut off from the caller's mounts, as in cordon's init. */
    for (size_t i = 0; i < plan->hidden_mounts.count; i++)
        if (cordon__hide_kernel_mount(&plan->hidden_mounts, i) < 0)
            return -1;
    if (cordon__mount_own_proc() != 0 || cordon__make_sys_read_only() != 0 ||
        (plan->runs_as_root && cordon__protect_kernel_settings() != 0) ||
        cordon__mount_own_pts(plan->devpts_options) != 0)
        return -1;
    int rc = cordon__mount_private_tmpfs("/dev/shm", plan->tmpfs_options);
    if (rc != 0 && rc != -ENOENT && rc != -ENOTDIR)
        return -1;
    if ((plan->namespaces & CORDON__NAMESPACE_IPC) && cordon__mount_own_mqueue() != 0)
        return -1;
    if (cordon__cover_devices(&plan->terminals, true, NULL, 0) != 0 ||
        cordon__devices_only_in_dev(NULL, 0) != 0)
        return -1;
    return chdir(cwd);
}

static inline _Noreturn void floor_init(const floor_plan *plan, const floor_filter *filter)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0) != 0)
        floor_fail();
    int mounts = plan->namespaces & CORDON__NAMESPACE_MOUNT;
    int gate[2] = { -1, -1 };
    if (mounts && pipe2(gate, O_CLOEXEC) != 0)
        floor_fail();
    pid_t task = fork();
    if (task == 0) {
        if (mounts)
            close(gate[1]);
        floor_task(plan, filter, gate[0]);
    }
    if (mounts) {
        close(gate[0]);
        if (task < 0 || floor_mount(plan) != 0)
            floor_fail();
        (void)!write(gate[1], "m", 1);
        close(gate[1]);
    }
    int status;
    while (wait4(-1, &status, __WALL, NULL) > 0 || errno == EINTR)
        ;
    _exit(0);
}

static inline _Noreturn void floor_child(const floor_plan *plan, const floor_filter *filter,
                                         int pipe_fd, int socket_fd, int moved)
{
    if (moved >= 0) /* nothing of the task runs before it is in its cgroup */
        floor_wait_for_mounts(moved);
    if (sched_getscheduler(0) != SCHED_OTHER) /* a real-time caller's policy is never handed on */
        floor_fail();
    if (setsid() < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
        cordon__prefer_as_oom_victim() != 0)
        floor_fail();
    if (dup2(pipe_fd, 1) < 0 || (socket_fd >= 0 && dup2(socket_fd, 4) < 0))
        floor_fail();
    syscall(SYS_close_range, socket_fd >= 0 ? 5 : 4, ~0u, 0);
    if (!plan->namespaces)
        floor_task(plan, filter, -1);
    if (cordon__enter_namespaces(plan->namespaces) != 0)
        floor_fail();
    /* CLONE_PARENT, as cordon does: the init is the caller's child. */
    long init = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
    if (init == 0)
        floor_init(plan, filter);
    _exit(init < 0 ? 127 : 0);
}

/* One task; aborts when any step failed, so that the floor never
 * measures less than it claims. */
static inline void floor_run(const floor_plan *plan, const floor_filter *filter)
{
    int pipe_fds[2], sockets[2] = { -1, -1 }, moved[2] = { -1, -1 };
    /* In namespaces the share's pids cgroup, else the tree's (the plan's). */
    int by_share = plan->share.count > 0;
    const cordon__cgroup *moves = by_share ? &plan->share : &plan->cgroup;
    int with_listener = filter->notifies, held = moves->count > 0 && (!plan->command || by_share);
    if (pipe2(pipe_fds, O_CLOEXEC) != 0 ||
        (with_listener && (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0 ||
                           setsockopt(sockets[0], SOL_SOCKET, SO_PASSCRED, &(int){ 1 },
                                      sizeof(int)) != 0)) ||
        (held && pipe2(moved, O_CLOEXEC) != 0))
        abort();
    pid_t child = floor_fork(plan);
    if (child == 0) {
        if (held)
            close(moved[1]);
        floor_child(plan, filter, pipe_fds[1], sockets[1], moved[0]);
    }
    close(pipe_fds[1]);
    if (held) {
        close(moved[0]);
        if (cordon__cgroup_move(moves, child) != 0 || write(moved[1], "m", 1) != 1)
            abort();
        close(moved[1]);
    }
    if (with_listener) {
        close(sockets[1]);
        int listener = floor_take_offered_fd(sockets[0]);
        if (listener < 0)
            abort();
        close(listener);
        close(sockets[0]);
    }
    char byte;
    ssize_t got, total = 0;
    while ((got = read(pipe_fds[0], &byte, 1)) > 0 || (got < 0 && errno == EINTR))
        total += got > 0 ? got : 0;
    close(pipe_fds[0]);
    int reaped = 0, status, failed = 0;
    for (int expected = plan->namespaces ? 2 : 1; reaped < expected; reaped++) {
        if (wait4(-1, &status, __WALL, NULL) < 0)
            abort();
        failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    if (failed || total != (plan->command ? 0 : 1))
        abort();
}

#endif
