/*
 * The child, from fork (or clone) to the task's function or exec.
 *
 * The rule here: async-signal-safe calls only (raw syscalls; no malloc, no
 * stdio, no locks), because a command's child shares the parent's memory
 * until it execs and a function's child may come from a many-threaded
 * parent.  Everything was allocated by the parent beforehand.
 *
 * Confinement comes in one fixed order, seccomp last so that the filter need
 * not allow any of the set-up.  A step that fails records {step, errno} in
 * the shared region and ends the child with CORDON__CHILD_SETUP_FAILED: the task
 * never runs less confined than asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/policy.h"

#define LISTENER_SOCKET_FD 4

_Noreturn void cordon__child_fail(cordon__setup_record *setup, int step, int error)
{
    setup->setup_step = step;
    setup->setup_errno = error > 0 ? error : -error;
    syscall(SYS_exit_group, CORDON__CHILD_SETUP_FAILED);
    syscall(SYS_exit, CORDON__CHILD_SETUP_FAILED);
    /* Both refused, by a filter already installed that answers them with
     * an errno: a fault is the only end left (the C library's _exit faults
     * too, and a set-up failure read as a SIGSEGV crash of a task that
     * never ran), whichever signal it ends in (a crash handler's return
     * refused too faults again).  The record says this death is that
     * failure. */
    __atomic_store_n(&setup->exit_refused, 1, __ATOMIC_RELEASE);
    for (;;)
        __builtin_trap();
}
#define fail cordon__child_fail

/* A session of its own, not only a process group: a task in the caller's
 * session could open the caller's controlling terminal (/dev/tty), stop
 * its output or make the caller a background job (TIOCSPGRP) and get it
 * stopped by SIGTTOU.  Without a controlling terminal it can do none. */
static int start_own_session(void)
{
    if (setsid() < 0)
        return -errno;
    return 0;
}

static int die_with_parent(pid_t parent_pid)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        return -errno;
    /* The parent may have died before the request was made. */
    if (getppid() != parent_pid)
        return -ESRCH;
    return 0;
}

/* Moves `fd` out of the way of the targets 0..CORDON__RULESET_FD. */
static int lift(int fd)
{
    if (fd < 0 || fd > CORDON__RULESET_FD)
        return fd;
    return fcntl(fd, F_DUPFD_CLOEXEC, CORDON__RULESET_FD + 1);
}

static int close_from(int first)
{
    if (syscall(SYS_close_range, first, ~0U, 0) != 0) {
        if (errno != ENOSYS)
            return -errno;
        for (int fd = first; fd < 65536; fd++)
            close(fd);
    }
    return 0;
}

/* 0-3 the task's streams and log, 4 the listener's socket; a task started
 * in namespaces also keeps its Landlock ruleset at 5 for its first
 * process.  Everything else of the caller's is closed. */
static int place_file_descriptors(const cordon__launch *l, bool keep_ruleset)
{
    int sources[6] = { l->stdin_fd, l->stdout_fd, l->stderr_fd, l->log_fd, l->listener_socket,
                       keep_ruleset ? l->landlock_ruleset : -1 };
    for (int i = 0; i < 6; i++) {
        if (sources[i] >= 0 && (sources[i] = lift(sources[i])) < 0)
            return -errno;
    }
    for (int target = 0; target < 4; target++) {
        if (dup2(sources[target], target) < 0)
            return -errno;
    }
    /* Close-on-exec: a command never sees them; a function closes them. */
    for (int target = LISTENER_SOCKET_FD; target <= CORDON__RULESET_FD; target++) {
        if (sources[target] >= 0 && dup3(sources[target], target, O_CLOEXEC) < 0)
            return -errno;
        if (sources[target] < 0)
            close(target);
    }
    return close_from(CORDON__RULESET_FD + 1);
}

/* A task run as another user given no working directory starts in the
 * caller's, entered again by its path with that user's rights: kept as
 * the caller (root) had entered it, a task run as nobody started beneath
 * a 0700 directory of root's and read the files there.  One it may not
 * enter leaves it at "/", as an unknown one does in namespaces.  One that
 * has no path to enter again by fails the task, with getcwd's errno: a
 * deleted one (ENOENT; kept, its ".." would be walked with the caller's
 * entry) or one longer than PATH_MAX (ENAMETOOLONG).  Before, such a task
 * started at "/" without a word, where a root task's relative writes
 * landed at the top of the machine.  A function task started beside its
 * init's mounts enters its directory again so too, once they are made
 * (below). */
static int reenter_callers_directory(cordon__setup_record *setup)
{
    char here[PATH_MAX];
    if (syscall(SYS_getcwd, here, sizeof here) < 0)
        return -errno;
    if (here[0] != '/')
        return chdir("/") == 0 ? 0 : -errno;
    bool refused = false;
    int rc = cordon__enter_the_nearest_held(here, &refused);
    if (refused) /* an ExecError of a relative path says so (lib/classify.c) */
        __atomic_store_n(&setup->directory_refused, 1, __ATOMIC_RELEASE);
    return rc;
}

/* The init's view could not enter the caller's directory again
 * (lib/task_init.c: mount_task_view): only a directory given by its full
 * path is entered; the task fails without one, with the reason. */
static int change_directory(const cordon__launch *l)
{
    int lost = cordon__view_lost_the_working_directory();
    if (l->cwd && (l->cwd[0] == '/' || !lost))
        return chdir(l->cwd) == 0 ? 0 : -errno;
    if (lost)
        return lost;
    return l->switch_user ? reenter_callers_directory(l->setup) : 0;
}

/* Sends the seccomp listener to the parent over LISTENER_SOCKET_FD; the
 * filters allow exactly this sendmsg. */
static int hand_over_listener(int listener)
{
    char byte = 0;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.space, .msg_controllen = sizeof control.space,
    };
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &listener, sizeof listener);
    ssize_t sent;
    do
        sent = sendmsg(LISTENER_SOCKET_FD, &message, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    return sent == 1 ? 0 : -errno;
}

/* Offers the listener to the parent, which takes it out of this process
 * with pidfd_getfd: a send with SCM_RIGHTS is checked against its user's
 * count of fds in flight over unix sockets, which a task of the same user
 * can hold past any limit (senders blocked on a full receiver are counted
 * once they are let through), and failed every sibling's start.  The
 * message names the fd (lib/listener_handover.c); the parent answers 'T'
 * (taken) or 'S' (send it: pidfd_getfd refused, e.g. a ptrace scope that
 * forbids it), and the listener is only closed after that answer.  Only
 * where the parent is free to answer: not a command's child it waits for
 * in vfork.  The answer carries the offer's own word back: a set-up hook's
 * fork that sent an offer of its own first had the parent answer it, and
 * this process read that answer as its own, closed its listener and ran
 * the function, whose calls the filter hands to the listener then failed
 * with ENOSYS until the parent ended the task.  The word is made after
 * the hook (the time to the nanosecond, mixed): its forks cannot know it. */
static int offer_listener(int listener)
{
    char offer[CORDON__OFFER_SIZE] = { CORDON__LISTENER_OFFER };
    uint64_t word = (cordon__now_ns() ^ (uint64_t)(uintptr_t)&offer) * 0x9e3779b97f4a7c15ull;
    memcpy(offer + 1, &listener, sizeof listener);
    memcpy(offer + 1 + sizeof listener, &word, sizeof word);
    struct iovec iov = { .iov_base = offer, .iov_len = sizeof offer };
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t sent;
    do
        sent = sendmsg(LISTENER_SOCKET_FD, &message, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    if (sent != (ssize_t)sizeof offer)
        return sent < 0 ? -errno : -EPROTO;
    char answer[CORDON__ANSWER_SIZE] = { 0 };
    ssize_t got;
    do
        got = read(LISTENER_SOCKET_FD, answer, sizeof answer);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return -errno;
    if (got == 0)
        return -EPIPE;
    if (got != (ssize_t)sizeof answer || memcmp(answer + 1, &word, sizeof word) != 0)
        return -EPROTO; /* no answer to this offer */
    if (answer[0] == CORDON__LISTENER_TAKEN)
        return 0;
    return answer[0] == CORDON__LISTENER_SEND ? hand_over_listener(listener) : -EPROTO;
}

/* Hands a listener (if any) to the parent and closes the socket with it:
 * one close_range, so that a policy refusing close does not catch
 * cordon's own.  `last_fd`: the highest fd cordon's own may hold after the
 * filter is in (~0u: all above the socket are cordon's; after a set-up
 * hook, whose fds the function keeps, only the listener at
 * HOOK_RESERVED_FD).  The task must never hold the listener: it could
 * answer its own notifications. */
static int hand_over_and_close(int listener, bool has_socket, bool offer, unsigned last_fd,
                               const struct rlimit *open_files)
{
    int rc = listener < 0 ? 0 : offer ? offer_listener(listener) : hand_over_listener(listener);
    if (has_socket && syscall(SYS_close_range, LISTENER_SOCKET_FD, last_fd, 0) != 0) {
        close(LISTENER_SOCKET_FD);
        if (listener >= 0)
            close(listener);
    }
    /* The hand-over was made at the caller's hard limit: the task's own is
     * set before anything of the task's runs (cordon's filter lets this one
     * prlimit64 through). */
    if (rc == 0 && open_files && syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, open_files, NULL) != 0)
        rc = -errno;
    return rc;
}

/* The guards stacked under the policy's filter (sandbox/terminal_guard.c,
 * sandbox/device_events_guard.c, sandbox/shared_objects_guard.c), before
 * it: under any policy and none. */
static int install_guards(bool terminal, bool device_events, unsigned shared_objects,
                          bool all_threads, bool no_policy)
{
    int rc = terminal ? cordon__terminal_guard_install(all_threads) : 0;
    if (rc == 0 && device_events)
        rc = cordon__device_events_guard_install(all_threads, no_policy);
    return rc == 0 ? cordon__shared_objects_guard_install(shared_objects, all_threads) : rc;
}

static int install_filter(const cordon__launch *l, unsigned last_fd)
{
    int guarded = install_guards(l->guards_terminal, (l->namespaces & CORDON__NAMESPACE_NET) != 0,
                                 l->guards_shared_objects, l->setup_fn != NULL,
                                 l->given_no_policy);
    if (guarded < 0)
        return guarded;
    if (!l->policy)
        return 0;
    /* After a set-up hook, threads it started must be filtered too. */
    int listener = l->setup_fn ? cordon__policy_install_all_threads(l->policy)
                               : cordon__policy_install(l->policy);
    if (listener < -1)
        return listener;
    return hand_over_and_close(listener, l->listener_socket >= 0, l->parent_takes_listener,
                               last_fd, l->open_files_after_handover ? &l->open_files : NULL);
}

/* A command's, from its plan (which may be a copy: nothing of the launch
 * is read). */
static int install_planned_filter(const cordon__exec_plan *p)
{
    int guarded = install_guards(p->guards_terminal, p->guards_device_events,
                                 p->guards_shared_objects, false, p->given_no_policy);
    if (guarded < 0)
        return guarded;
    if (!p->program)
        return 0;
    int listener = cordon__install_program(p->program, p->notifies);
    if (listener < -1)
        return listener;
    return hand_over_and_close(listener, p->hands_over_listener, p->parent_takes_listener, ~0u,
                               p->open_files_after_handover ? &p->open_files : NULL);
}

/* A word of the setup record's once it leaves 0 (its pending value);
 * -errno where the futex itself fails. */
static int64_t wait_while_pending(uint32_t *word)
{
    uint32_t state;
    while ((state = __atomic_load_n(word, __ATOMIC_ACQUIRE)) == 0) {
        if (syscall(SYS_futex, word, FUTEX_WAIT, 0, NULL, NULL, 0) != 0 && errno != EAGAIN &&
            errno != EINTR)
            return -errno;
    }
    return state;
}

/* A forked child is moved into its cgroups by the parent, which would
 * otherwise sit idle while the child sets up: the move (tens of
 * microseconds of the kernel's cgroup locking) then costs no time.  The
 * parent attaches the tree's CPU counter then too.  Nothing of the task
 * runs, and nothing forks, before that is done. */
static int wait_for_the_parent(cordon__setup_record *setup)
{
    int64_t state = wait_while_pending(&setup->cgroup_moved);
    if (state < 0)
        return (int)state;
    return state == CGROUP_MOVE_DONE ? 0 : -setup->cgroup_move_errno;
}

/* What every task's first process does last, however it was started. */
static void confine(const cordon__launch *l)
{
    cordon__setup_record *shared = l->setup;
    int rc;
    if ((rc = cordon__set_every_signal(SIG_DFL)) < 0)
        fail(shared, STEP_SIGNALS, rc);
    if ((rc = cordon__apply_resource_limits(l->limits, l->limit_set)) < 0 ||
        (l->open_files_after_handover && (rc = cordon__raise_open_files_to_hard()) < 0))
        fail(shared, STEP_RESOURCE_LIMITS, rc);
    if ((rc = cordon__drop_bounding_set(&l->capabilities)) < 0)
        fail(shared, STEP_CAPABILITIES, rc);
    if (l->switch_user && (rc = cordon__switch_user(l->uid, l->gid)) < 0)
        fail(shared, STEP_USER, rc);
    if (!l->switch_user && (rc = cordon__settle_ids()) < 0)
        fail(shared, STEP_USER, rc);
    if ((rc = cordon__leave_callers_keyrings()) < 0)
        fail(shared, STEP_KEYRING, rc);
    if ((rc = cordon__clear_capabilities(&l->capabilities)) < 0)
        fail(shared, STEP_CAPABILITIES, rc);
    /* With the task's own rights: entered as root (or with root's
     * capabilities), a task that runs as nobody started in a directory
     * nobody may not enter, and read what lies there. */
    if ((rc = change_directory(l)) < 0)
        fail(shared, STEP_WORKING_DIRECTORY, rc);
}

/* Session, death with the parent and cgroups: the steps of the process the
 * caller started, whichever way the task then starts. */
static void join_the_caller_s_watch(const cordon__launch *l)
{
    cordon__setup_record *shared = l->setup;
    int rc;
    if ((rc = start_own_session()) < 0)
        fail(shared, STEP_PROCESS_GROUP, rc);
    if ((rc = die_with_parent(l->parent_pid)) < 0)
        fail(shared, STEP_PARENT_DEATH_SIGNAL, rc);
    /* While it is still the caller's copy (its /proc/self the caller's
     * user's, not yet made undumpable by an init): the init and every
     * process of the task inherit it. */
    if ((rc = cordon__prefer_as_oom_victim()) < 0)
        fail(shared, STEP_RESOURCE_LIMITS, rc);
    /* Before the fds are placed: the cgroup.procs fds are closed then. */
    if (!l->parent_moves_child &&
        (rc = cordon__cgroup_join(&l->cgroup, l->started_in_v2_cgroup)) < 0)
        fail(shared, STEP_CGROUP, rc);
}

static int unmap_inherited_sharing(const cordon__launch *l);

/* A function task's process gives up the caller's shared mappings before
 * its Landlock domain: the listing it reads (/proc/self/maps) may be out
 * of reach of the task's file rules. */
static void give_up_sharing(const cordon__launch *l)
{
    int rc;
    if (l->fn && (rc = unmap_inherited_sharing(l)) < 0)
        fail(l->setup, STEP_SHARED_MEMORY, rc);
}

/* When the task's own code begins: the deadline's evidence (a task begun
 * past its deadline never had its time, whatever its end) and the init's
 * (a first process that never began was cordon's alone), with the CPU
 * time its start had cost (a limit reached then was reached by cordon's
 * start, whose kill may land after the note).  The first call writes it. */
static void note_task_start(cordon__setup_record *setup, uint64_t cpu_ns)
{
    uint64_t none = 0;
    if (!__atomic_load_n(&setup->task_start_ns, __ATOMIC_RELAXED))
        __atomic_store_n(&setup->cpu_at_task_start_ns, cpu_ns, __ATOMIC_RELAXED);
    __atomic_compare_exchange_n(&setup->task_start_ns, &none, cordon__now_ns(), false,
                                __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* The process's own CPU time, read before its filter: a policy need not
 * let the task read its clocks. */
static uint64_t own_cpu_ns(void)
{
    struct timespec cpu;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) != 0)
        return 0;
    return (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec;
}

/* One exec, counted first where the filter sends it to the parent: a
 * policy that watches exec lets through as many as were counted, and the
 * count is out of the command's reach once it runs.  Only an exec the
 * filter sends to the parent counts: one it lets through itself, failed
 * or made, had left a pass that the command's next refused exec took. */
static void counted_exec(const cordon__exec_plan *p, const char *path, char *const argv[],
                         uint64_t start_cpu_ns)
{
    const uint64_t args[6] = { (uintptr_t)path, (uintptr_t)argv, (uintptr_t)p->envp };
    if (p->program && p->notifies && cordon__program_notifies(p->program, SYS_execve, args))
        __atomic_add_fetch(&p->setup->exec_attempts, 1, __ATOMIC_RELEASE);
    note_task_start(p->setup, start_cpu_ns);
    execve(path, argv, p->envp);
}

/* A file the kernel cannot run (ENOEXEC: a script without a #! line) is a
 * shell script to execvp, sh, make and env, which run it with /bin/sh:
 * so does cordon (`./build.sh` had failed as a command task, and as a
 * plain batch line, which `./build.sh;` ran).  Its arguments are made in
 * a mapping of the child's own: no allocator after the fork.  Returns only
 * where /bin/sh could not be run. */
static void exec_as_a_shell_script(const cordon__exec_plan *p, char *path, uint64_t start_cpu_ns)
{
    size_t count = 0;
    while (p->argv[count])
        count++;
    size_t size = (count + 2) * sizeof(char *);
    char **args = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (args == MAP_FAILED)
        return;
    args[0] = (char *)"/bin/sh";
    args[1] = path;
    for (size_t i = 1; i <= count; i++) /* the NULL at argv[count] too */
        args[i + 1] = p->argv[i];
    counted_exec(p, "/bin/sh", args, start_cpu_ns);
    munmap(args, size);
}

/* execvp's rules without its allocations: the candidates were resolved in
 * the parent.  The first one that exists but cannot be run (E2BIG,
 * ETXTBSY, ...; ENOEXEC once /bin/sh could not run it either) ends the
 * search with its own error; EACCES from any of them wins only over the
 * ENOENT of a search that ran out. */
static _Noreturn void exec_command(const cordon__exec_plan *p, uint64_t start_cpu_ns)
{
    int error = ENOENT;
    bool saw_eacces = false;
    if (!*p->exec_paths)
        note_task_start(p->setup, start_cpu_ns); /* no candidate: the search was the start */
    for (char **path = p->exec_paths; *path; path++) {
        counted_exec(p, *path, p->argv, start_cpu_ns);
        error = errno;
        if (error == ENOEXEC) {
            exec_as_a_shell_script(p, *path, start_cpu_ns);
            error = ENOEXEC;
        }
        if (error == EACCES)
            saw_eacces = true;
        else if (error != ENOENT && error != ENOTDIR && error != ESTALE && error != ENODEV &&
                 error != ETIMEDOUT)
            fail(p->setup, STEP_EXEC, error);
    }
    fail(p->setup, STEP_EXEC, saw_eacces ? EACCES : error);
}

/* The filter, last, and the exec. */
static _Noreturn void filter_and_exec(const cordon__exec_plan *p)
{
    uint64_t start_cpu_ns = own_cpu_ns();
    int rc = install_planned_filter(p);
    if (rc < 0)
        fail(p->setup, STEP_SECCOMP, rc);
    exec_command(p, start_cpu_ns);
}

static void discard_pending(FILE *stream)
{
    if (__fpending(stream) > 0)
        __fpurge(stream);
}

static void flush_pending(FILE *stream)
{
    if (__fpending(stream) > 0)
        fflush(stream);
}

void cordon__function_child_wind_down(void)
{
    flush_pending(stdout);
    flush_pending(stderr);
    cordon__cgroup_pool_remove_before_exit();
}

/* The mappings a function task keeps of what it shares with the parent:
 * its own region and its profile's.  Every other MAP_SHARED mapping it
 * inherited (the caller's files, shm and io_uring rings, other tasks'
 * regions) is unmapped before the function runs. */
static int unmap_inherited_sharing(const cordon__launch *l)
{
    cordon__address_range keep[3] = {
        { (uintptr_t)l->region.shared, (uintptr_t)l->region.shared + l->region.shared_size },
        { (uintptr_t)l->region.setup, (uintptr_t)l->region.setup + l->region.setup_size },
        { (uintptr_t)l->profile, (uintptr_t)l->profile + l->profile_size },
    };
    return cordon__unmap_shared_mappings(keep, l->profile ? 3 : 2);
}

/* The last step of set-up, after the filter: from here on the setup
 * record is out of the task's reach (its mapping was the process's only
 * hold on it).  Were munmap refused with an errno, the record is still
 * there to say so. */
static void release_setup_record(const cordon__launch *l)
{
    if (munmap(l->region.setup, l->region.setup_size) != 0)
        fail(l->setup, STEP_SECCOMP, -errno);
}

/*
 * The caller's set-up hook (cordon_set_setup_hook): the caller's own code,
 * so not bound by this file's rule, and run where only a function task's
 * process runs it: a copy of the caller made by fork, on the caller's
 * thread, whose locks are consistent.  It runs with every confinement step
 * done but the filter, so that what it loads (a plugin's constructors
 * included) reaches nothing the function could not, except the calls the
 * policy refuses.  Its state is recorded around the call: the parent
 * names an ending while it ran (a crash, an exit) SetupError.
 */
#define HOOK_RESERVED_FD (LISTENER_SOCKET_FD + 1)

static bool same_file(int fd, const struct stat *before)
{
    struct stat now;
    return fstat(fd, &now) == 0 && now.st_dev == before->st_dev && now.st_ino == before->st_ino;
}

/* The fds the filter's hand-over counts on: 0-3 open (else the listener
 * could land there, in the task's hands), the listener's socket still at
 * 4, and HOOK_RESERVED_FD, held through the hook, free for the listener
 * (which close_range then closes with the socket, sparing the hook's fds
 * above it).  Whatever the hook did to them fails the task closed. */
static int check_fds_after_hook(const cordon__launch *l, const struct stat streams_before[4],
                                const struct stat *socket_before,
                                const struct stat *reserved_before)
{
    /* Closed, or another file put there (dup2(1, 3) sent the task's log
     * into its stdout, unseen). */
    for (int fd = 0; fd <= CORDON_LOG_FD; fd++) {
        if (fcntl(fd, F_GETFD) < 0 || !same_file(fd, &streams_before[fd]))
            return -EBADF;
    }
    if ((l->listener_socket >= 0 && !same_file(LISTENER_SOCKET_FD, socket_before)) ||
        !same_file(HOOK_RESERVED_FD, reserved_before))
        return -EBADF;
    return close(HOOK_RESERVED_FD) == 0 ? 0 : -errno;
}

static void run_setup_hook(const cordon__launch *l)
{
    cordon__setup_record *setup = l->setup;
    if (!l->setup_fn)
        return;
    struct stat streams_before[CORDON_LOG_FD + 1], socket_before, reserved_before;
    int rc = 0;
    for (int fd = 0; fd <= CORDON_LOG_FD; fd++)
        if (fstat(fd, &streams_before[fd]) != 0)
            fail(setup, STEP_FILE_DESCRIPTORS, -errno);
    if ((l->listener_socket >= 0 && fstat(LISTENER_SOCKET_FD, &socket_before) != 0) ||
        dup3(CORDON_LOG_FD, HOOK_RESERVED_FD, O_CLOEXEC) < 0 ||
        fstat(HOOK_RESERVED_FD, &reserved_before) != 0)
        fail(setup, STEP_FILE_DESCRIPTORS, -errno);
    cordon_error err;
    memset(&err, 0, sizeof err);
    int loaded_before = cordon__loaded_object_count();
    __atomic_store_n(&setup->hook_state, HOOK_RUNNING, __ATOMIC_RELEASE);
    cordon__context_in_hook(setup);
    rc = l->setup_fn(l->setup_arg, &err);
    cordon__context_in_hook(NULL);
    if (rc == 0) {
        cordon__record_loaded_objects(setup, loaded_before);
        __atomic_store_n(&setup->hook_state, HOOK_DONE, __ATOMIC_RELEASE);
        if ((rc = check_fds_after_hook(l, streams_before, &socket_before, &reserved_before)) < 0)
            fail(setup, STEP_SETUP_HOOK_FDS, rc);
        return;
    }
    err.message[sizeof err.message - 1] = '\0';
    memcpy(setup->hook_message, err.message, sizeof setup->hook_message);
    setup->hook_return = rc;
    __atomic_store_n(&setup->hook_state, HOOK_FAILED, __ATOMIC_RELEASE);
    /* What the hook printed before it failed is the task's output. */
    cordon__function_child_wind_down();
    fail(setup, STEP_SETUP_HOOK, 0);
}

/* A kernel timer on `clock` that kills the function's process at `at_ns`
 * (flags: 0 or TIMER_ABSTIME); raw system calls, between fork and the
 * function. */
static void arm_kill_timer(clockid_t clock, int flags, uint64_t at_ns)
{
    struct sigevent kill_it;
    memset(&kill_it, 0, sizeof kill_it);
    kill_it.sigev_notify = SIGEV_SIGNAL;
    kill_it.sigev_signo = SIGKILL;
    int timer;
    if (syscall(SYS_timer_create, clock, &kill_it, &timer) != 0)
        return;
    struct itimerspec at = { .it_value = { .tv_sec = (time_t)(at_ns / 1000000000ull),
                                           .tv_nsec = (long)(at_ns % 1000000000ull) } };
    syscall(SYS_timer_settime, timer, flags, &at, NULL);
}

/* The kernel's own CPU-time timer on the function's process, at its
 * limit: the parent reads the whole tree's counter, and on a busy machine
 * it may be kept off a CPU for tens of milliseconds while the function
 * spins on; the kernel ends the process at the scheduler's tick past the
 * limit whoever is kept waiting.  Only a backstop: the parent's own final
 * figure of the tree decides the exception (a figure the process's own
 * CPU since this point cannot exceed), it counts the tree's other
 * processes, and a task may delete the timer. */
static void arm_cpu_backstop(uint64_t limit_ns)
{
    if (limit_ns && limit_ns != UINT64_MAX) /* UINT64_MAX: centuries, no limit */
        arm_kill_timer(CLOCK_PROCESS_CPUTIME_ID, 0, limit_ns);
}

/* The deadline's backstop, as the CPU limit's above: a parent kept from
 * its loop ends a function's process late, this ends it at the deadline
 * (the kernel's CLOCK_MONOTONIC, as the parent's).  The parent still
 * names the Timeout, from the deadline it finds passed; in namespaces the
 * init also ends the rest of the tree then (lib/task_init.c). */
static void arm_deadline_backstop(uint64_t deadline_ns)
{
    if (deadline_ns && deadline_ns != UINT64_MAX)
        arm_kill_timer(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline_ns);
}

static _Noreturn void call_function(const cordon__launch *l)
{
    cordon__shared *shared = l->shared;
    /* Bytes the parent had buffered but not yet written are the parent's:
     * they must not come out of the task.  Only touched when there are
     * any: the first write to the FILE would copy its page. */
    discard_pending(stdout);
    discard_pending(stderr);
    int rc;
    cordon__crash_handlers_install(shared);
    run_setup_hook(l);
    /* After the alternate stack (the sampler runs on it), before the filter. */
    if (l->profile)
        cordon__profile_child_start(l->profile);
    arm_cpu_backstop(l->cpu_limit_ns);
    arm_deadline_backstop(l->deadline_ns);
    uint64_t start_cpu_ns = own_cpu_ns();
    if ((rc = install_filter(l, l->setup_fn ? HOOK_RESERVED_FD : ~0u)) < 0)
        fail(l->setup, STEP_SECCOMP, rc);
    note_task_start(l->setup, start_cpu_ns);
    release_setup_record(l);
    struct cordon_ctx ctx = {
        .shared = shared, .return_capacity = l->return_capacity, .log_fd = CORDON_LOG_FD,
    };
    cordon__context_enter(shared);
    int value = l->fn(&ctx, l->arg);
    cordon__function_child_wind_down();
    shared->function_return = value;
    __atomic_store_n(&shared->finished, 1, __ATOMIC_RELEASE);
    /* _exit, not exit: the parent's atexit handlers are the parent's. */
    _exit(0);
}

/* ---- The start in namespaces ---------------------------------------- */

static _Noreturn void start_init(const cordon__launch *l);

static int open_at(int fd, int target)
{
    if (fd < 0)
        return -errno;
    int rc = fd == target ? 0 : dup3(fd, target, O_CLOEXEC);
    int saved = errno;
    if (fd != target)
        close(fd);
    return rc < 0 ? -saved : 0;
}

/* A spare network namespace made ahead (lib/spare_namespaces.c), with
 * the user namespace that owns it for a caller that is not root: joined
 * instead of made.  What is still to be made is returned: a setns(2)
 * refused (a filter of the caller's, a kernel without it) leaves it to
 * the unshare, as without a spare.  The spare's loopback is up already. */
static unsigned join_spare(const cordon__launch *l)
{
    unsigned what = l->namespaces;
    if (l->spare_net_fd < 0)
        return what;
    if (l->spare_user_fd >= 0 && setns(l->spare_user_fd, CLONE_NEWUSER) == 0)
        what &= ~CORDON__NAMESPACE_USER;
    /* Without its user namespace the child has no right to the spare. */
    if ((l->spare_user_fd < 0 || !(what & CORDON__NAMESPACE_USER)) &&
        setns(l->spare_net_fd, CLONE_NEWNET) == 0)
        what &= ~CORDON__NAMESPACE_NET;
    if (l->spare_user_fd >= 0)
        close(l->spare_user_fd);
    close(l->spare_net_fd);
    return what;
}

/* The view's copy of the caller's mount table, cut off from it (nothing
 * the caller mounts comes in from now on): its digest says the parent
 * whether it is the table the init's covers were read from (lib/spawn.c:
 * follow_init), which the copy, made a moment after that read, may not
 * be.  Here rather than in the init, so that the parent knows it as soon
 * as this child is gone, before the init waits for its word. */
static int cut_the_view_off(const cordon__launch *l)
{
    uint64_t digest;
    int rc = cordon__keep_mounts_apart();
    if (rc < 0 || (rc = cordon__own_mount_table_digest(&digest)) < 0)
        return rc;
    __atomic_store_n(&l->init_report->view_table_digest, digest, __ATOMIC_RELEASE);
    return 0;
}

/* The caller's child: joins the caller's watch, keeps only the fds the
 * task needs, makes the namespaces and starts their init as a child of
 * the caller (so that the caller waits for it and its usage counts the
 * whole tree), then leaves.  Its /proc and a pidfd of the caller go to
 * the init and the task's first process, which close them. */
static _Noreturn void start_in_namespaces(const cordon__launch *l)
{
    cordon__setup_record *shared = l->setup;
    int rc;
    join_the_caller_s_watch(l);
    if (l->parent_moves_child && (rc = wait_for_the_parent(shared)) < 0)
        fail(shared, STEP_CGROUP, rc);
    /* Before the fds are placed, which closes the spare's. */
    unsigned still_to_make = join_spare(l);
    if ((rc = place_file_descriptors(l, true)) < 0 ||
        (rc = open_at(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC), CORDON__HOST_PROC_FD)) < 0 ||
        (rc = open_at((int)syscall(SYS_pidfd_open, l->parent_pid, 0), CORDON__CALLER_PIDFD)) < 0)
        fail(shared, STEP_FILE_DESCRIPTORS, rc);
    if (still_to_make & CORDON__NAMESPACE_USER)
        cordon__lower_process_ceiling(l->user_processes_ceiling);
    if ((rc = cordon__enter_namespaces(still_to_make)) < 0 ||
        ((still_to_make & CORDON__NAMESPACE_MOUNT) && (rc = cut_the_view_off(l)) < 0))
        fail(shared, STEP_NAMESPACES, rc);
    if (l->namespaces & CORDON__NAMESPACE_USER)
        cordon__share_per_user_limits(CORDON__HOST_PROC_FD, l->per_user_share);
    if ((still_to_make & CORDON__NAMESPACE_NET) && (rc = cordon__bring_up_loopback()) < 0)
        fail(shared, STEP_NAMESPACES, rc);
    if ((l->namespaces & CORDON__NAMESPACE_UTS) && (rc = cordon__set_hostname(l->hostname)) < 0)
        fail(shared, STEP_NAMESPACES, rc);
    start_init(l);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* AddressSanitizer knows only a thread's own stack and warns (on the
 * task's stderr) at every noreturn call made on another, and
 * ThreadSanitizer's state (its background thread, the clocks) must not be
 * run by two processes in one memory: the init is a plain copy here, on
 * the same stack. */
static _Noreturn void start_init(const cordon__launch *l)
{
    long pid = syscall(SYS_clone, CLONE_PARENT | CLONE_PARENT_SETTID, NULL, &l->init_report->init_pid,
                       NULL, 0);
    if (pid == 0)
        cordon__task_init_main((void *)l);
    if (pid < 0)
        fail(l->setup, STEP_NAMESPACES, -errno);
    _exit(0);
}
#else
static _Noreturn void start_init(const cordon__launch *l)
{
    cordon__setup_record *shared = l->setup;
    /* A function's child is a copy of the caller, which the init may
     * share; a command's shares the caller's own memory, which it must
     * not: it gets a copy. */
    size_t stack_size = 64 * 1024;
    char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        fail(shared, STEP_NAMESPACES, -errno);
    int flags = CLONE_PARENT | CLONE_PARENT_SETTID | (l->fn ? CLONE_VM : 0);
    /* Leaving must not write into memory the init goes on using. */
    syscall(SYS_set_tid_address, NULL);
    if (clone(cordon__task_init_main, stack + stack_size, flags, (void *)l,
              &l->init_report->init_pid) < 0)
        fail(shared, STEP_NAMESPACES, -errno);
    if (!l->fn) /* the caller's memory: the init took its own copy */
        munmap(stack, stack_size);
    _exit(0);
}
#endif

/* The task's pid as the caller sees it: the caller's /proc names it. */
static int learn_own_pid(cordon__init_report *report)
{
    char digits[16];
    ssize_t n = readlinkat(CORDON__HOST_PROC_FD, "self", digits, sizeof digits - 1);
    if (n <= 0)
        return n < 0 ? -errno : -EIO;
    int32_t pid = 0;
    for (ssize_t i = 0; i < n && digits[i] >= '0' && digits[i] <= '9'; i++)
        pid = pid * 10 + (digits[i] - '0');
    __atomic_store_n(&report->task_pid, pid, __ATOMIC_RELEASE);
    return 0;
}

/* A function task's process drops the init's report before anything of
 * the caller's runs in it; a command's shares the init's memory until
 * its exec, which drops everything. */
static int leave_the_inits_report(const cordon__launch *l)
{
    if (l->fn && munmap(l->init_report, (size_t)sysconf(_SC_PAGESIZE)) != 0)
        return -errno;
    return 0;
}

/* ---- A command's own peak memory ------------------------------------
 *
 * The task's first process shares the init's memory, a copy of the
 * caller's, until it execs, and at the exec the kernel records that
 * memory's peak as the process's own (ru_maxrss).  Just before its filter
 * it copies what it still reads into a plan of its own, gives the rest of
 * the copy's private memory back (sandbox/memory_give_back.c), and resets
 * the peak to what is left (proc(5), clear_refs "5").  Any of it refused
 * leaves the figure as it was: never a reason to fail the task.
 */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* Their shadow and bookkeeping are private memory of the process's: none
 * is given back (and the task's first process is a fork of the init). */
static const cordon__exec_plan *prepare_give_back(const cordon__launch *l,
                                                  cordon__exec_plan *view,
                                                  cordon__address_range *plan_range)
{
    (void)l;
    (void)plan_range;
    return view;
}
#else
/* A copy whose peak is below this changes a command's figure by less than
 * the smallest command's own peak (/bin/true's: about 1 MiB here): not
 * worth the walk, some 40 us (README, "Accounting"). */
#define GIVE_BACK_FROM_KB 2048

/* The memory is the init's, which made it undumpable, and the /proc files
 * of an undumpable process belong to root of the user namespace the
 * memory was copied in (the caller's): a task not run by that root could
 * not open clear_refs (0200).  Dumpable for the open alone, and only for
 * a caller that is dumpable itself: nothing of the task runs yet, and the
 * caller's user, the only one this lets trace the init meanwhile, may
 * trace the caller anyway.  A caller that made itself undumpable (to keep
 * its secrets from its own user) never has its copy made dumpable: the
 * open is tried as it is, and refused leaves the figure as it was. */
static int open_clear_refs(const cordon__launch *l)
{
    /* Only an undumpable copy (the init's) is toggled: a forked copy of
     * a dumpable caller without namespaces, whose parent attaches the CPU
     * counter meanwhile, is left as it is (made undumpable, the attach
     * was refused as nobody, and the counter given up for the process). */
    int was = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    bool toggle = l->traceable_by_its_user && was != 1;
    if (toggle && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
        return -errno;
    int rc = open_at(open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC), CORDON__CLEAR_REFS_FD);
    if (toggle && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        fail(l->setup, STEP_CAPABILITIES, -errno); /* never left dumpable */
    return rc;
}

#ifndef ARCH_SHSTK_STATUS
#define ARCH_SHSTK_STATUS 0x5005
#endif

/* A shadow stack (x86's CET, glibc 2.39 and later) is a mapping the
 * listing does not tell from others, and this process shares the init's:
 * given back, the next return in either would fault. */
static bool uses_a_shadow_stack(void)
{
#if defined(__x86_64__)
    unsigned long features = 0;
    return syscall(SYS_arch_prctl, ARCH_SHSTK_STATUS, &features) == 0 && (features & 1);
#else
    return false;
#endif
}

/* The plan, copied out of the caller's memory where its give-back is
 * worth it, and the files for it opened: before the Landlock domain,
 * whose file rules may not reach /proc, and before the resource limits
 * (the copy is a mapping).  `view` back where there is no give-back: a
 * function's process, a small copy, a caller under a seccomp filter
 * of its own, which this process inherits and whose rules were never
 * asked about the calls the give-back makes (madvise, the listing's
 * ioctl, prctl): a filter that kills one would end every command; and a
 * caller under valgrind, whose own memory the give-back would take. */
static const cordon__exec_plan *prepare_give_back(const cordon__launch *l,
                                                  cordon__exec_plan *view,
                                                  cordon__address_range *plan_range)
{
    struct rusage peak; /* the memory's: the process has no peak of its own yet */
    if (l->fn || l->caller_filtered || cordon__under_valgrind() ||
        getrusage(RUSAGE_SELF, &peak) != 0 ||
        peak.ru_maxrss < GIVE_BACK_FROM_KB || uses_a_shadow_stack())
        return view;
    cordon__exec_plan *plan = cordon__exec_plan_copy(view, plan_range);
    if (!plan)
        return view;
    if (open_at(open("/proc/self/maps", O_RDONLY | O_CLOEXEC), CORDON__MAPS_FD) == 0) {
        if (open_clear_refs(l) == 0)
            return plan;
        close(CORDON__MAPS_FD);
    }
    munmap(plan, plan_range->end - plan_range->start);
    return view;
}
#endif

_Static_assert(CORDON__MAPS_FD == CORDON__CALLER_PIDFD + 1 &&
                   CORDON__CLEAR_REFS_FD == CORDON__MAPS_FD + 1,
               "the give-back's files follow the fds the task's first process closes");

/* The fds of the start (CORDON__RULESET_FD to CORDON__CALLER_PIDFD) and
 * anything above them but the give-back's files. */
static int close_start_fds(bool keep_give_back_files)
{
    if (!keep_give_back_files)
        return close_from(CORDON__RULESET_FD);
    for (int fd = CORDON__RULESET_FD; fd <= CORDON__CALLER_PIDFD; fd++)
        close(fd);
    return close_from(CORDON__CLEAR_REFS_FD + 1);
}

/* Everything read from here to the exec is the plan, this stack, the
 * TLS, and the shared setup record and init report; the init, which
 * resumes after the exec, reads its own stack and locals
 * (lib/task_init.c).  Every call made from here on must already be bound:
 * cordon is built with -fno-plt (Makefile), because a lazily bound call
 * would run the dynamic linker's resolver over link maps that may have
 * been given back (a crash, measured).  Dropping the pages costs CPU
 * (some 7 ms for 256 MiB), which the init leaves out of the task's
 * figures. */
static void give_back_and_reset_peak(const cordon__launch *l, const cordon__exec_plan *plan,
                                     cordon__address_range plan_range)
{
    uint64_t start = cordon__thread_cpu_ns();
    cordon__init_report *report = l->init_report;
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    cordon__address_range keep[4] = {
        plan_range,
        cordon__range_around(here, CORDON__KEEP_STACK_BELOW, CORDON__KEEP_STACK_ABOVE),
        cordon__range_around((uintptr_t)__builtin_thread_pointer(), CORDON__KEEP_TLS_BELOW,
                             CORDON__KEEP_TLS_ABOVE),
        cordon__range_around((uintptr_t)__atomic_load_n(&report->init_stack, __ATOMIC_ACQUIRE),
                             CORDON__KEEP_STACK_ABOVE, CORDON__KEEP_STACK_ABOVE),
    };
    __atomic_store_n(&report->giving_back, 1, __ATOMIC_RELEASE);
    /* Nothing of the launch is read after this line. */
    cordon__give_back_keep kept = { keep, 4, plan->kept_objects, plan->kept_objects_count };
    if (cordon__give_back_private_memory(CORDON__MAPS_FD, &kept) > 0) {
        ssize_t written;
        do
            written = write(CORDON__CLEAR_REFS_FD, "5", 1);
        while (written < 0 && errno == EINTR);
    }
    close(CORDON__MAPS_FD);
    close(CORDON__CLEAR_REFS_FD);
    uint64_t end = cordon__thread_cpu_ns();
    __atomic_store_n(&report->give_back_cpu_ns, end > start ? end - start : 0, __ATOMIC_RELEASE);
    __atomic_store_n(&report->giving_back, 0, __ATOMIC_RELEASE);
}

_Noreturn void cordon__task_main(const cordon__launch *l)
{
    cordon__setup_record *shared = l->setup;
    int rc;
    if ((rc = cordon__set_no_new_privileges()) < 0)
        fail(shared, STEP_NO_NEW_PRIVILEGES, rc);
    give_up_sharing(l);
    cordon__exec_plan view;
    cordon__exec_plan_view(l, &view);
    cordon__address_range plan_range = { 0, 0 };
    const cordon__exec_plan *plan = prepare_give_back(l, &view, &plan_range);
    bool gives_back = plan != &view;
    if ((rc = cordon__enter_landlock_domain(l->landlock_ruleset >= 0 ? CORDON__RULESET_FD : -1)) < 0)
        fail(shared, STEP_LANDLOCK, rc);
    if ((rc = learn_own_pid(l->init_report)) < 0 || (rc = leave_the_inits_report(l)) < 0 ||
        (rc = close_start_fds(gives_back)) < 0)
        fail(shared, STEP_FILE_DESCRIPTORS, rc);
    /* The init made itself undumpable, and a function's process copies
     * that: the task gets the caller's own setting back. */
    if (l->fn && prctl(PR_SET_DUMPABLE, l->dumpable, 0, 0, 0) != 0)
        fail(shared, STEP_CAPABILITIES, -errno);
    /* A command's first process in namespaces shares the init's memory,
     * undumpable: the parent could not take its listener (pidfd_getfd
     * needs the right to trace it, which the caller's user has over a
     * dumpable process of its own).  Dumpable until its exec, which the
     * init waits for in vfork and then makes its memory undumpable again
     * (lib/task_init.c); not for a caller that made itself undumpable. */
    if (!l->fn && l->namespaces && l->parent_takes_listener && l->traceable_by_its_user &&
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
        fail(shared, STEP_CAPABILITIES, -errno);
    confine(l);
    /* Nothing of the task runs before its namespace's mounts are made. */
    if (cordon__mounts_after_start(l)) {
        int64_t mounted = wait_while_pending(&shared->init_mounts);
        if (mounted < 0)
            fail(shared, STEP_NAMESPACES, (int)mounted);
        if (mounted != INIT_MOUNTS_DONE) /* the init says why, and kills us */
            _exit(CORDON__CHILD_SETUP_FAILED);
        /* Its directory was entered before they were made, on the
         * caller's mount beneath them: entered again by its path, as the
         * init enters it for a task it starts after them (kept, a task
         * started in the caller's /dev/shm read the caller's segments
         * there beneath its own /dev/shm). */
        if ((rc = reenter_callers_directory(shared)) < 0)
            fail(shared, STEP_WORKING_DIRECTORY, rc);
    }
    if (l->fn)
        call_function(l);
    if (gives_back)
        give_back_and_reset_peak(l, plan, plan_range);
    filter_and_exec(plan);
}

int cordon__task_clone_entry(void *launch)
{
    cordon__task_main(launch);
}

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

/* A caller at a real-time policy (SCHED_FIFO, _RR, _DEADLINE: an audio
 * program, a latency-bound service) would hand it on, and a task spinning
 * at the caller's priority on every CPU would keep the parent, which
 * enforces its deadline, from running at all.  Every task starts at the
 * normal policy (its nice value stays the caller's, which RLIMIT_NICE 0
 * then keeps it from lowering).  Leaving a real-time policy for
 * SCHED_OTHER needs no privilege. */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_RT 1

/* The real-time I/O class is the disk's SCHED_FIFO: a task holding the
 * caller's (ionice -c1: a recorder, a database's log writer) would go
 * before every other process's reads and writes, the caller's own among
 * them.  It gets the class of its nice value instead (IOPRIO_CLASS_NONE,
 * no privilege needed); a best-effort or idle class it may take anyway. */
static void leave_real_time_io(const cordon__launch *l)
{
    long io = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
    if (io < 0 || (io >> IOPRIO_CLASS_SHIFT) != IOPRIO_CLASS_RT)
        return;
    if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, 0) != 0)
        fail(l->setup, STEP_RESOURCE_LIMITS, -errno);
}

static void leave_real_time(const cordon__launch *l)
{
    leave_real_time_io(l);
    int policy = sched_getscheduler(0);
    if (policy < 0)
        return;
    policy &= ~SCHED_RESET_ON_FORK;
    if (policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE)
        return;
    struct sched_param normal = { .sched_priority = 0 };
    if (sched_setscheduler(0, SCHED_OTHER, &normal) != 0)
        fail(l->setup, STEP_RESOURCE_LIMITS, -errno);
}

/* The direct start, where no namespace could be made: the caller's child
 * is the task's first process.  A command's forked copy of the caller
 * (under a CPU limit, whose counter the parent attaches before the task
 * starts, or a policy that watches its exec) gives that copy back before
 * its exec, as a first process in namespaces does: its exec freed the
 * copy on the task's count (/bin/true from a caller holding 1 GiB used
 * 12-19 ms of a 10 ms limit), and its peak was the caller's.  One that
 * shares the caller's own memory cannot.  The plan it reads from then on
 * is returned. */
static const cordon__exec_plan *set_up(const cordon__launch *l, cordon__exec_plan *view,
                                       cordon__address_range *plan_range)
{
    cordon__setup_record *shared = l->setup;
    int rc;
    join_the_caller_s_watch(l);
    /* no_new_privs first: Landlock requires it, and it is harmless early. */
    if ((rc = cordon__set_no_new_privileges()) < 0)
        fail(shared, STEP_NO_NEW_PRIVILEGES, rc);
    give_up_sharing(l);
    /* The ruleset at CORDON__RULESET_FD for the domain; the give-back's
     * files are opened past the task's fds, before the domain. */
    if ((rc = place_file_descriptors(l, true)) < 0)
        fail(shared, STEP_FILE_DESCRIPTORS, rc);
    cordon__exec_plan_view(l, view);
    const cordon__exec_plan *plan = l->child_is_a_copy ? prepare_give_back(l, view, plan_range)
                                                       : view;
    if ((rc = cordon__enter_landlock_domain(l->landlock_ruleset >= 0 ? CORDON__RULESET_FD : -1)) < 0)
        fail(shared, STEP_LANDLOCK, rc);
    if ((rc = close_start_fds(plan != view)) < 0)
        fail(shared, STEP_FILE_DESCRIPTORS, rc);
    confine(l);
    /* Again: the kernel clears the parent-death signal when a process
     * changes its user, and here no init ends the tree with the caller. */
    if ((rc = die_with_parent(l->parent_pid)) < 0)
        fail(shared, STEP_PARENT_DEATH_SIGNAL, rc);
    if ((l->parent_moves_child || l->parent_counts_child) && (rc = wait_for_the_parent(shared)) < 0)
        fail(shared, STEP_CGROUP, rc);
    return plan;
}

_Noreturn void cordon__child_main(const cordon__launch *l)
{
    leave_real_time(l);
    /* Never a run with less than asked: no network or mounts of its own. */
    if (l->lacks_namespaces)
        fail(l->setup, STEP_NAMESPACES, EOPNOTSUPP);
    if (l->namespaces)
        start_in_namespaces(l);
    cordon__exec_plan view;
    cordon__address_range plan_range = { 0, 0 };
    const cordon__exec_plan *plan = set_up(l, &view, &plan_range);
    if (l->fn)
        call_function(l);
    if (plan != &view)
        give_back_and_reset_peak(l, plan, plan_range);
    filter_and_exec(plan);
}

int cordon__child_clone_entry(void *launch)
{
    cordon__child_main(launch);
}
