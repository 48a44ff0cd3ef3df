/*
 * Starting a child: everything it needs is allocated here, before the fork,
 * so that the child allocates nothing.
 *
 * Command tasks are started with clone(CLONE_VM | CLONE_VFORK) like
 * posix_spawn: no page tables are copied, so the cost does not grow with the
 * caller's memory, and the parent resumes only once the child has exec'd or
 * failed.  Function tasks need a real copy of the parent and use fork().
 * Both children are created with the exit signal... of their kind: commands
 * with none at all, so that a caller's waitpid(-1) or an ignored SIGCHLD
 * cannot reap them before cordon does — until their exec, which gives a
 * process the usual SIGCHLD: without a pid namespace (whose init never
 * execs) a caller that ignores SIGCHLD loses a command's wait4 figures.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "profiler.h"
#include "../sandbox/policy.h"
#include "../sandbox/policy_learn.h"

#define CLONE_STACK_SIZE (128 * 1024)

extern char **environ;

static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -errno;
    return 0;
}

/* A pipe whose read end (the parent's) does not block. */
static int output_pipe(int *parent_end, int *child_end)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -errno;
    *parent_end = fds[0];
    *child_end = fds[1];
    return set_nonblocking(fds[0]);
}

/* The caller's fd 1 or 2 for a stream it hands over.  Taken first, before
 * cordon opens anything: were the caller's fd closed, a later fd of
 * cordon's own would take its number and go to the task.  The task holds
 * it only where all it can do is write; the collector relays to the
 * others (lib/inherited_output.c). */
static int take_inherited_outputs(const cordon_task *t, cordon__launch *l,
                                  cordon__attempt_state *s)
{
    int *child_ends[3] = { NULL, &l->stdout_fd, &l->stderr_fd };
    for (int stream = 1; stream <= 2; stream++) {
        if (t->output_mode[stream] != CORDON_OUTPUT_INHERIT)
            continue;
        bool relay, is_socket, is_pipe;
        unsigned guard = cordon__isolation_stream_guard(t->isolation, stream);
        int fd = cordon__inherit_target(stream, guard, &relay, &is_socket, &is_pipe);
        if (fd < 0)
            return fd;
        if (!relay) {
            *child_ends[stream] = fd;
            cordon__pipe_capacity_save(stream, &s->pipe_capacity[stream]);
            continue;
        }
        l->relay_fd[stream] = s->relay_fd[stream] = fd;
        s->relayed[stream] = true;
        s->relay_socket[stream] = is_socket;
        s->relay_pipe[stream] = is_pipe;
    }
    return 0;
}

/* /dev/null, checked to be it: a task running as root (a root caller's)
 * owns the machine's /dev and may have left a FIFO there, whose open for
 * reading waited for a writer for good, and the caller with it at its
 * next run.  Opened non-blocking, checked, then made blocking again. */
static int open_null(int flags)
{
    int fd = open("/dev/null", flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3) ||
        fcntl(fd, F_SETFL, 0) != 0) {
        close(fd);
        return -ENXIO;
    }
    return fd;
}

/* Where the task's stdout or stderr goes (cordon_set_output_mode): a pipe
 * the parent reads (to keep, or to pass on to the caller's terminal), the
 * caller's own fd (taken already), or /dev/null. */
static int output_target(const cordon_task *t, const cordon__launch *l, int stream,
                         int *parent_end, int *child_end)
{
    switch (t->output_mode[stream]) {
    case CORDON_OUTPUT_INHERIT:
        return l->relay_fd[stream] >= 0 ? output_pipe(parent_end, child_end) : 0;
    case CORDON_OUTPUT_DISCARD:
        *child_end = open_null(O_WRONLY);
        return *child_end < 0 ? *child_end : 0;
    default:
        return output_pipe(parent_end, child_end);
    }
}

/* A task whose view of the files will be read-only holds its streams
 * that are files there (lib/stream_view.c), and one with a mount
 * namespace its terminals on a read-only mount: named here, in the
 * caller's namespace and under its root, as the init, in its copy of
 * them, could not. */
static int name_streams(cordon__launch *l)
{
    bool mounts = l->namespaces & CORDON__NAMESPACE_MOUNT;
    bool read_only_view = l->owns_ruleset && !l->view_stays_writable && mounts;
    return mounts ? cordon__streams_name(l, !read_only_view) : 0;
}

/* The caller's fd (cordon_set_stdin_fd), as a description of the task's
 * own, opened again or relayed (lib/stdin_fd.c). */
static int stdin_of_caller(cordon_task *t, cordon__launch *l, cordon__attempt_state *s)
{
    unsigned guard = cordon__isolation_stream_guard(t->isolation, t->stdin_fd);
    int rc = cordon__stdin_fd_open(t->stdin_fd, guard, &l->stdin_fd, &s->stdin_source,
                                   &s->stdin_reader);
    if (rc == 0 && l->stdin_fd >= 0) {
        cordon__terminal_save(t->stdin_fd, &s->stdin_terminal);
        cordon__pipe_capacity_save(t->stdin_fd, &s->pipe_capacity[0]);
    }
    if (rc < 0 || s->stdin_source < 0)
        return rc;
    if (!t->stdin_chunk && !(t->stdin_chunk = malloc(cordon__stdin_chunk_size())))
        return -ENOMEM;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -errno;
    l->stdin_fd = fds[0];
    s->stdin_fd = fds[1];
    s->stdin_chunk = t->stdin_chunk;
    s->stdin_chunk_size = cordon__stdin_chunk_size();
    return set_nonblocking(fds[1]);
}

static int stdin_source(cordon_task *t, cordon__launch *l, cordon__attempt_state *s)
{
    if (t->stdin_fn) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            return -errno;
        l->stdin_fd = fds[0];
        s->stdin_fd = fds[1];
        s->stdin_fn = t->stdin_fn;
        s->stdin_user = t->stdin_user;
        s->stdin_chunk = t->stdin_chunk;
        s->stdin_chunk_size = cordon__stdin_chunk_size();
        return set_nonblocking(fds[1]);
    }
    if (t->stdin_data) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            return -errno;
        l->stdin_fd = fds[0];
        s->stdin_fd = fds[1];
        s->stdin_data = t->stdin_data;
        s->stdin_len = t->stdin_len;
        return set_nonblocking(fds[1]);
    }
    if (t->stdin_fd >= 0)
        return stdin_of_caller(t, l, s);
    l->stdin_fd = open_null(O_RDONLY);
    return l->stdin_fd < 0 ? l->stdin_fd : 0;
}

/* A task opens its stdio again by name as often as it uses the fds it was
 * given (a script's `echo x > /dev/stderr`, a program reading
 * /dev/stdin), and a pipe is its maker's, mode 0600: a task run as
 * another user (cordon_set_user; the runner's nobody) was refused the
 * pipes cordon made for it.  They are made the task's user's, as they
 * are when the caller is that user; both ends share the inode, so the
 * parent's ends are enough, and the caller's own fds (a stdin or an
 * inherited output opened again) are never touched. */
static int give_pipes_to_task_user(const cordon_task *t, const cordon__attempt_state *s)
{
    if (!t->switch_user)
        return 0;
    const int parent_ends[] = { s->stdout_fd, s->stderr_fd, s->log_fd, s->stdin_fd };
    for (size_t i = 0; i < sizeof parent_ends / sizeof *parent_ends; i++)
        if (parent_ends[i] >= 0 && fchown(parent_ends[i], t->uid, t->gid) != 0)
            return -errno;
    return 0;
}

static char *path_join(const char *dir, size_t dir_len, const char *name)
{
    if (dir_len == 0) { /* an empty PATH entry means the working directory */
        dir = ".";
        dir_len = 1;
    }
    size_t name_len = strlen(name);
    char *path = malloc(dir_len + 1 + name_len + 1);
    if (!path)
        return NULL;
    memcpy(path, dir, dir_len);
    path[dir_len] = '/';
    memcpy(path + dir_len + 1, name, name_len + 1);
    return path;
}

static const char *lookup_env(char **envp, const char *key)
{
    size_t len = strlen(key);
    for (; envp && *envp; envp++) {
        if (strncmp(*envp, key, len) == 0 && (*envp)[len] == '=')
            return *envp + len + 1;
    }
    return NULL;
}

static int resolve_exec_paths(cordon__launch *l)
{
    const char *name = l->argv[0];
    if (strchr(name, '/')) {
        l->exec_paths = cordon__zeroed(2, sizeof *l->exec_paths);
        if (!l->exec_paths || !(l->exec_paths[0] = strdup(name)))
            return -ENOMEM;
        return 0;
    }
    const char *search = lookup_env(l->envp, "PATH");
    if (!search)
        search = "/usr/local/bin:/usr/bin:/bin";
    size_t count = 1;
    for (const char *c = search; *c; c++)
        count += *c == ':';
    l->exec_paths = cordon__zeroed(count + 1, sizeof *l->exec_paths);
    if (!l->exec_paths)
        return -ENOMEM;
    const char *start = search;
    for (size_t i = 0; i < count; i++) {
        const char *end = strchr(start, ':');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        if (!(l->exec_paths[i] = path_join(start, len, name)))
            return -ENOMEM;
        start = end ? end + 1 : start + len;
    }
    return 0;
}

/* CORDON_LOG_FD and CORDON_ATTEMPT: cordon's own in every task. */
static bool set_by_cordon(const char *entry, size_t key_len)
{
    return (key_len == strlen("CORDON_LOG_FD") && strncmp(entry, "CORDON_LOG_FD", key_len) == 0) ||
           (key_len == strlen("CORDON_ATTEMPT") && strncmp(entry, "CORDON_ATTEMPT", key_len) == 0);
}

static bool overridden(const cordon_task *t, const char *entry)
{
    const char *eq = strchr(entry, '=');
    size_t key_len = eq ? (size_t)(eq - entry) : strlen(entry);
    if (set_by_cordon(entry, key_len))
        return true;
    for (size_t i = 0; i < t->env_count; i++) {
        if (strncmp(t->env_overrides[i], entry, key_len) == 0 &&
            t->env_overrides[i][key_len] == '=')
            return true;
    }
    return false;
}

/* What a preset keeps of the caller's environment: what a program needs
 * to find programs and speak the caller's language, nothing that could be
 * a secret (tokens, an ssh agent's socket, the caller's home). */
static bool kept_by_a_preset(const char *entry)
{
    static const char *const kept[] = {
        "PATH=", "LANG=", "LANGUAGE=", "TERM=", "TZ=", "LC_ALL=", "LC_CTYPE=", "LC_COLLATE=",
        "LC_MESSAGES=", "LC_NUMERIC=", "LC_TIME=", "LC_MONETARY=", "LC_PAPER=", "LC_NAME=",
        "LC_ADDRESS=", "LC_TELEPHONE=", "LC_MEASUREMENT=", "LC_IDENTIFICATION=",
    };
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        if (strncmp(entry, kept[i], strlen(kept[i])) == 0)
            return true;
    return false;
}

/* A preset's home and scratch: the task's private /tmp. */
static const char *const preset_entries[] = { "HOME=/tmp", "TMPDIR=/tmp" };
#define PRESET_ENTRIES (sizeof preset_entries / sizeof *preset_entries)

/* The entries of a task's environment, counted, then copied into one
 * block: one allocation rather than one per entry (some fifty), each on
 * a page of the caller's heap that its next fork makes a copy-on-write
 * fault.  Copied, not pointed at: a putenv'd entry is its caller's buffer. */
typedef struct environment_builder {
    char **envp;                /* NULL while counting */
    char *block;
    size_t entries, bytes;      /* so far */
    size_t entry_room, byte_room;
    bool overflowed;            /* the caller's environment grew meanwhile */
} environment_builder;

static void add_entry(environment_builder *b, const char *entry)
{
    size_t len = strlen(entry) + 1;
    if (b->envp) {
        if (b->entries == b->entry_room || len > b->byte_room - b->bytes) {
            b->overflowed = true;
            return;
        }
        memcpy(b->block + b->bytes, entry, len);
        b->envp[b->entries] = b->block + b->bytes;
    }
    b->entries++;
    b->bytes += len;
}

/* The caller's environment (unless cleared; under a preset only what
 * kept_by_a_preset keeps, with HOME and TMPDIR at /tmp), the task's
 * overrides, and CORDON_LOG_FD naming the log pipe, CORDON_ATTEMPT the
 * attempt's number. */
static void gather_environment(const cordon_task *t, environment_builder *b)
{
    char **source = t->clear_env ? NULL : environ;
    bool preset = t->preset_environment && !t->clear_env;
    for (char **e = source; e && *e; e++)
        if ((!preset || kept_by_a_preset(*e)) && !overridden(t, *e))
            add_entry(b, *e);
    for (size_t i = 0; preset && i < PRESET_ENTRIES; i++)
        if (!overridden(t, preset_entries[i]))
            add_entry(b, preset_entries[i]);
    /* A value given for one of cordon's own would come first, and be the
     * one getenv finds. */
    for (size_t i = 0; i < t->env_count; i++)
        if (!set_by_cordon(t->env_overrides[i], strcspn(t->env_overrides[i], "=")))
            add_entry(b, t->env_overrides[i]);
    char entry[32];
    snprintf(entry, sizeof entry, "CORDON_LOG_FD=%d", CORDON_LOG_FD);
    add_entry(b, entry);
    snprintf(entry, sizeof entry, "CORDON_ATTEMPT=%u", t->result.attempts);
    add_entry(b, entry);
}

static int build_environment(const cordon_task *t, cordon__launch *l)
{
    for (int tries = 0; tries < 8; tries++) {
        environment_builder b = { 0 };
        gather_environment(t, &b);
        b = (environment_builder){ .entry_room = b.entries, .byte_room = b.bytes };
        b.envp = cordon__zeroed(b.entry_room + 1, sizeof *b.envp);
        b.block = malloc(b.byte_room);
        if (!b.envp || !b.block) {
            free(b.envp);
            free(b.block);
            return -ENOMEM;
        }
        gather_environment(t, &b);
        if (!b.overflowed) {
            l->envp = b.envp;
            l->environment_block = b.block;
            return 0;
        }
        free(b.envp);
        free(b.block);
    }
    return -EAGAIN; /* another thread kept changing the environment */
}

/* A limit never above the caller's own hard one: the task could not be
 * given more than its caller has (setrlimit would refuse it without
 * CAP_SYS_RESOURCE, as in an outer cordon's task), and the caller's limit
 * already holds it lower. */
static void set_limit(cordon__launch *l, int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit own;
    if (getrlimit(resource, &own) == 0 && hard > own.rlim_max)
        hard = own.rlim_max;
    l->limits[resource].rlim_cur = soft < hard ? soft : hard;
    l->limits[resource].rlim_max = hard;
    l->limit_set[resource] = true;
}

/* Queued signals, POSIX message queue bytes and memory locked for shared
 * use (SHM_LOCK, hugetlb files, io_uring's buffers) are counted per user,
 * the caller's and every other process of that user together, each
 * against an rlimit of one process's (a signal's receiver's, a queue's
 * maker's, the locker's), and a task signals, makes queues and locks only
 * within its own tree: a task at the caller's limit queued (or locked)
 * until none was left to the caller (sigqueue EAGAIN, SHM_LOCK ENOMEM)
 * for as long as it ran.  It gets a quarter of the caller's (one at
 * least: none at all would refuse it every queued signal); a process's
 * own mlock is held to that quarter too. */
static void share_per_user_limit(cordon__launch *l, int resource)
{
    struct rlimit own;
    if (getrlimit(resource, &own) != 0 || own.rlim_cur == RLIM_INFINITY || l->limit_set[resource])
        return;
    rlim_t share = own.rlim_cur / 4 > 0 ? own.rlim_cur / 4 : own.rlim_cur > 0;
    set_limit(l, resource, share, share);
}

/* Fds in flight over unix sockets (sent, not yet received) are counted
 * per user, each send checked against the sender's soft RLIMIT_NOFILE: a
 * task that raised its own to the caller's and kept that many in flight
 * made every fd passing of its user fail with ETOOMANYREFS while it ran.
 * The task's hard limit is half of the caller's soft one, which keeps its
 * plain sends below the caller's limit.  It bounds no sender that waits
 * for room in a full receiver (checked before the wait, counted after),
 * so the listener's hand-over does not rest on it: the parent takes the
 * listener with pidfd_getfd (lib/listener_handover.c). */
static void share_open_files(cordon__launch *l)
{
    struct rlimit own;
    if (l->limit_set[RLIMIT_NOFILE] || getrlimit(RLIMIT_NOFILE, &own) != 0 ||
        own.rlim_cur == RLIM_INFINITY)
        return;
    rlim_t half = own.rlim_cur / 2 > 0 ? own.rlim_cur / 2 : own.rlim_cur;
    set_limit(l, RLIMIT_NOFILE, half, half);
}

/* cordon's share, where RLIMIT_NPROC can hold it: in a user namespace of
 * the task's own, whose count is the task's processes alone; else 0.
 * Without one the count is all of the user's processes, the caller's and
 * every sibling task's too: a quarter of the caller's limit counted so
 * was not a task's share but the user's, and under `batch -j 4` four
 * tasks of 20 processes each (soft limit 200) got 8 to 12 forks each,
 * where before each had its 20; a user already running a quarter of its
 * limit could not fork in a task at all.  Such a task is held as before
 * the share, by the caller's own limit (max_processes says nothing held
 * it); a pids cgroup, where one is had, holds the share. */
static uint64_t share_held_by_own_count(const cordon__launch *l)
{
    return (l->namespaces & CORDON__NAMESPACE_USER) ? l->process_share : 0;
}

/* A child that hands a listener over (and runs no set-up hook of the
 * task's first) does it with its soft limit at its hard one, and sets the
 * task's afterwards: where the listener is still sent over SCM_RIGHTS,
 * the send then holds against a task's plain sends. */
static void open_files_after_handover(cordon__launch *l)
{
    if (!l->limit_set[RLIMIT_NOFILE] || l->setup_fn || l->listener_socket < 0 ||
        !cordon__policy_lowers_open_files_after_handover(l->policy))
        return;
    l->open_files_after_handover = true;
    l->open_files = l->limits[RLIMIT_NOFILE];
    l->limit_set[RLIMIT_NOFILE] = false;
}

/* The most seconds of RLIMIT_CPU the kernel holds: it counts the limit
 * in nanoseconds (seconds * NSEC_PER_SEC, unchecked), so a larger one
 * wraps to a fraction of a second (a CPU limit of 584 years ended its
 * task with SIGXCPU after 0.3 s). */
#define CPU_RLIMIT_MOST_SECONDS (UINT64_MAX / 1000000000u - 1)

/* RLIMIT_CPU counts whole seconds per process; the parent watches the
 * tree's exact milliseconds and this is the kernel's backstop.  A second
 * more: the rlimit's own sampling runs ahead of the counters the parent
 * reads, and must not end a process first.  One the kernel cannot hold is
 * no backstop at all: the parent's limit is then of centuries, which no
 * run reaches. */
static rlim_t cpu_backstop_seconds(uint64_t ms)
{
    uint64_t seconds = ms / 1000 + (ms % 1000 != 0) + 1;
    return seconds >= CPU_RLIMIT_MOST_SECONDS ? RLIM_INFINITY : (rlim_t)seconds;
}

/* The kernel compares a write's end with RLIMIT_FSIZE as a signed file
 * offset: a limit of 2^63 bytes or more (but RLIM_INFINITY) is negative
 * there, and the task's first write died of SIGXFSZ.  No file is that
 * long (MAX_LFS_FILESIZE), so such a limit is none. */
static rlim_t file_size_rlimit(uint64_t bytes)
{
    return bytes > INT64_MAX ? RLIM_INFINITY : (rlim_t)bytes;
}

static void plan_resource_limits(const cordon_task *t, cordon__launch *l)
{
    const uint64_t *lim = t->limits;
    rlim_t core = t->core_dump_bytes >= RLIM_INFINITY ? RLIM_INFINITY : t->core_dump_bytes;
    set_limit(l, RLIMIT_CORE, core, core);
    /* A caller allowed real-time scheduling or a lower nice value (an
     * audio group's rtprio 95) would hand that on: a task at SCHED_FIFO on
     * every CPU starves the parent that enforces its deadline.  Neither
     * can be raised again without the capabilities the task has not. */
    set_limit(l, RLIMIT_RTPRIO, 0, 0);
    set_limit(l, RLIMIT_NICE, 0, 0);
    if (lim[CORDON_LIMIT_CPU_MS]) {
        rlim_t seconds = cpu_backstop_seconds(lim[CORDON_LIMIT_CPU_MS]);
        rlim_t hard = seconds == RLIM_INFINITY ? seconds : seconds + 1;
        set_limit(l, RLIMIT_CPU, seconds, hard);
        l->cpu_rlimit_callers = l->limits[RLIMIT_CPU].rlim_max < hard;
        l->cpu_limit_ns = cordon__ms_to_ns(lim[CORDON_LIMIT_CPU_MS]);
        long ticks = sysconf(_SC_CLK_TCK);
        l->clock_tick_ns = ticks > 0 ? 1000000000ull / (uint64_t)ticks : 10000000ull;
    }
    /* A cgroup limit is exact and counts the whole tree; the rlimits are
     * the fallback where no cgroup could be made. */
    if (lim[CORDON_LIMIT_MEMORY] && l->cgroup.memory_dir < 0)
        set_limit(l, RLIMIT_AS, lim[CORDON_LIMIT_MEMORY], lim[CORDON_LIMIT_MEMORY]);
    if (lim[CORDON_LIMIT_FILE_SIZE]) {
        rlim_t bytes = file_size_rlimit(lim[CORDON_LIMIT_FILE_SIZE]);
        set_limit(l, RLIMIT_FSIZE, bytes, bytes);
    }
    if (lim[CORDON_LIMIT_OPEN_FILES])
        set_limit(l, RLIMIT_NOFILE, lim[CORDON_LIMIT_OPEN_FILES], lim[CORDON_LIMIT_OPEN_FILES]);
    share_per_user_limit(l, RLIMIT_SIGPENDING);
    share_per_user_limit(l, RLIMIT_MSGQUEUE);
    share_per_user_limit(l, RLIMIT_MEMLOCK);
    share_open_files(l);
    /* Per user, so the task's init counts too where it is of the task's
     * user: the caller's (switched to in a user namespace of the task's
     * own, where the count is the namespace's, the task's alone).  A root
     * caller's init stays root while the task becomes another user: its
     * room went to the task (`--procs 3` ran four processes at once). */
    uint64_t most = lim[CORDON_LIMIT_PROCESSES] ? lim[CORDON_LIMIT_PROCESSES]
                                                : share_held_by_own_count(l);
    l->nproc_counts_init = l->namespaces && (!l->switch_user || l->uid == getuid());
    rlim_t processes = (rlim_t)most + (l->nproc_counts_init ? 1 : 0);
    if (most && l->cgroup.pids_dir < 0)
        set_limit(l, RLIMIT_NPROC, processes, processes);
}

/* The caller's address space in bytes (its size in /proc/self/statm), or
 * 0 when it cannot be read. */
static uint64_t own_address_space(void)
{
    uint64_t pages = cordon__file_leading_number("/proc/self/statm");
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 && pages < UINT64_MAX / (uint64_t)page ? pages * (uint64_t)page : 0;
}

/* A function task's process starts as a copy of the caller's address
 * space, which RLIMIT_AS would count against the task: from a caller
 * that reserved more than the limit (runtimes reserve arenas and stacks
 * they never touch) no allocation of the task's could succeed.  As a
 * memory cgroup counts only what the task brings in, the limit is what
 * the task may add to the address space it was given, read once cordon's
 * own mappings for it are made.  A program it runs gets that sum too:
 * RLIMIT_AS is per process, and set once. */
static void make_room_for_the_caller(const cordon_task *t, cordon__launch *l)
{
    uint64_t limit = t->limits[CORDON_LIMIT_MEMORY];
    if (t->kind != KIND_FUNCTION || !l->limit_set[RLIMIT_AS] || !limit)
        return;
    uint64_t have = own_address_space();
    uint64_t room = have < RLIM_INFINITY - limit ? limit + have : RLIM_INFINITY;
    set_limit(l, RLIMIT_AS, room, room);
}

static void *map_shared(size_t size)
{
    void *at = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return at == MAP_FAILED ? NULL : at;
}

/* The setup record in a mapping of its own, so that a function task's
 * child can drop it whole before the function runs. */
static int map_shared_region(cordon_task *t, cordon__launch *l)
{
    l->return_capacity = t->kind == KIND_FUNCTION ? t->limits[CORDON_LIMIT_RETURN] : 0;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t record_size = (sizeof(cordon__setup_record) + page - 1) / page * page;
    _Static_assert(sizeof(cordon__init_report) <= 4096, "the init's report fits a page");
    l->region.setup_size = record_size + page;
    l->region.shared_size = sizeof(cordon__shared) + l->return_capacity;
    if (!(l->region.setup = cordon__setup_record_take(l->region.setup_size)) &&
        !(l->region.setup = map_shared(l->region.setup_size)))
        return -errno;
    if (!(l->region.shared = map_shared(l->region.shared_size)))
        return -errno;
    l->region.init_report = (cordon__init_report *)((char *)l->region.setup + record_size);
    l->setup = l->region.setup;
    l->init_report = l->region.init_report;
    l->shared = l->region.shared;
    return 0;
}

static int map_shared_region_for(cordon_task *t, cordon__launch *l, cordon__attempt_state *s)
{
    int rc = map_shared_region(t, l);
    if (rc == 0 && t->kind == KIND_COMMAND)
        s->exec_attempts = &l->setup->exec_attempts;
    return rc;
}

/* For the give-back of a command's first process where it starts in a
 * copy of the caller (in namespaces, or forked without them: lib/child.c),
 * which a caller under a filter of its own never makes: without the list
 * it keeps every file mapping and whatever anonymous memory follows one. */
static void list_kept_objects(cordon__launch *l)
{
    if (l->caller_filtered)
        return;
    l->kept_objects = cordon__kept_object_ranges(&l->kept_objects_count, &l->kept_objects_known);
}

/* A learning run's filter sends every call to the parent, which decides
 * from the base policy's rules: the rules the task's isolation adds to a
 * run's filter must decide there too, or learning would be a way around
 * them (a unix socket without a network, the caller reniced without a
 * pid namespace), and the learned policy would not say what the run
 * refused.  Made per attempt, as the isolation may differ. */
static int learning_confinement(cordon_task *t, const cordon_policy *fence, unsigned kind,
                                cordon_error *err)
{
    if (!t->learning)
        return 0;
    cordon_policy_free(t->learning->confinement);
    t->learning->confinement = NULL;
    /* With no base, cordon's own rules where a run would have them (no
     * pid namespace): learning let a chmod 4755 through that the run
     * refused. */
    const cordon_policy *base = t->learning->base ? t->learning->base : fence;
    int rc = cordon__learning_confinement(base, kind, &t->learning->confinement, err);
    if (rc == -EINVAL && err->message[0])
        cordon__refuse_start(t, err->message);
    return rc;
}

/* The task's policy with the rules its isolation adds; a combination
 * that cannot be had (EINVAL) ends the attempt in a ConfinementError that
 * says why.  A variant that would let through what it must refuse is
 * cordon's own failure: -EPERM, as documented. */
static int policy_for(cordon_task *t, cordon__launch *l, unsigned kind)
{
    cordon_error err;
    memset(&err, 0, sizeof err);
    int rc = learning_confinement(t, l->policy, kind, &err);
    if (rc < 0)
        return rc;
    const cordon_policy *variant = cordon__policy_variant(l->policy, kind, &err);
    if (variant) {
        l->policy = variant;
        return 0;
    }
    rc = cordon__variant_error();
    /* Said: "Operation not permitted" alone named neither the policy nor
     * the call its rules left open. */
    if ((rc == -EINVAL || rc == -EPERM) && err.message[0])
        cordon__refuse_start(t, err.message);
    return rc;
}

/* The working directory, by its path, is still the one it named when it
 * was set: a batch job that could write beside it moved it away and left
 * a link to another directory, and the next job started there (its file
 * rules held, but it ran where the earlier job chose).  As for a bind's
 * source, such a task fails rather than follow. */
static int cwd_as_given(cordon_task *t)
{
    struct stat st;
    if (!t->cwd_pinned)
        return 0;
    bool found = stat(t->cwd, &st) == 0;
    if (found && st.st_dev == t->cwd_device && st.st_ino == t->cwd_inode)
        return 0;
    char why[700];
    if (!found) /* removed since: not said to be elsewhere */
        snprintf(why, sizeof why, "the working directory '%.400s' cannot be found since it "
                 "was given: %m", t->cwd);
    else
        snprintf(why, sizeof why, "the working directory '%.400s' leads elsewhere than when "
                 "it was given (moved or replaced since): the task does not follow it", t->cwd);
    cordon__refuse_start(t, why);
    return -ESTALE;
}

/* A mount the init must cover at a path longer than PATH_MAX cannot be
 * reached by its path: refused before the start, naming it, rather than
 * every task failing with a bare "File name too long". */
static int refuse_an_uncoverable_mount(cordon_task *t, const cordon__path_list *covers)
{
    for (size_t i = 0; i < covers->count; i++) {
        size_t len = strlen(covers->paths[i]);
        if (len < PATH_MAX)
            continue;
        char why[600];
        snprintf(why, sizeof why, "a mount of the kernel's (or of the caller's terminals or "
                 "shared memory) at a path of %zu bytes, longer than PATH_MAX, which the task's "
                 "view would hold uncovered: '%.120s...%s'", len, covers->paths[i],
                 covers->paths[i] + len - 120);
        cordon__refuse_start(t, why);
        return -ENAMETOOLONG;
    }
    return 0;
}

static int prepare(cordon_task *t, cordon__launch *l, cordon__attempt_state *s)
{
    int rc;
    /* Nothing is held yet: a failure below must release nothing, and a
     * zeroed fd field would be the caller's fd 0. */
    cordon__cgroup_init_empty(&l->cgroup);
    l->landlock_ruleset = -1;
    for (int stream = 0; stream < 3; stream++)
        l->relay_fd[stream] = s->relay_fd[stream] = -1;
    if ((rc = take_inherited_outputs(t, l, s)) < 0)
        return rc;
    l->parent_pid = getpid();
    cordon__under_valgrind(); /* asked here: the child only reads it */
    l->policy = t->policy_set ? t->policy : cordon__policy_builtin_default();
    if (!t->policy_set && !l->policy)
        return -ENOMEM;
    l->cwd = t->cwd;
    if ((rc = cwd_as_given(t)) < 0)
        return rc;
    /* Every task gets the Landlock scope, with or without a policy: "no
     * filter" lifts the limits on its own calls, not its fence around the
     * caller (it still cannot signal the caller or its sibling tasks). */
    if ((rc = cordon__landlock_prepare()) < 0)
        return rc;
    l->landlock_ruleset = cordon__landlock_ruleset();
    if ((rc = cordon__namespaces_presumed(&l->namespaces, &l->namespaces_presumed)) < 0)
        return rc;
    if (l->namespaces & CORDON__NAMESPACE_USER)
        cordon__per_user_limits_plan(l->per_user_share);
    /* The task's own ruleset, if it has file rules, replaces the shared one. */
    if ((rc = cordon__isolation_prepare(t, l)) < 0)
        return rc;
    /* With one, the kernel's file systems mounted elsewhere in the
     * caller's view come along: the init covers them. */
    cordon_error covered;
    uint64_t bind_table_digest = 0;
    if ((l->namespaces & CORDON__NAMESPACE_MOUNT) &&
        ((rc = cordon__mounts_to_hide(&l->hidden_mounts, &l->mount_table_digest)) < 0 ||
         (rc = cordon__isolation_uncovered(t, &l->hidden_mounts, &l->bind_covers,
                                           &bind_table_digest, &covered)) < 0 ||
         (rc = refuse_an_uncoverable_mount(t, &l->hidden_mounts)) < 0 ||
         (rc = refuse_an_uncoverable_mount(t, &l->bind_covers)) < 0))
        return rc;
    /* Read from two tables (one changed in between): no view matches, and
     * the start is made again from one (follow_init). */
    if (bind_table_digest && bind_table_digest != l->mount_table_digest)
        l->mount_table_digest = 0;
    /* Without a mount namespace the task sees the machine's /proc and /sys:
     * the fence keeps it from writing there (the caller's /proc/PID files,
     * the kernel's settings, its own cgroup's membership). */
    if (!l->owns_ruleset && !(l->namespaces & CORDON__NAMESPACE_MOUNT) && l->landlock_ruleset >= 0) {
        int fence = cordon__landlock_fence_ruleset();
        if (fence >= 0) {
            l->landlock_ruleset = fence;
            l->closes_ruleset = true;
        } else if (fence != -EOPNOTSUPP) {
            return fence; /* not made now: no task runs without it */
        }
    }
    int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    l->dumpable = dumpable > 0;
    l->traceable_by_its_user = dumpable == 1; /* SUID_DUMP_USER: 2 is root's only */
    l->caller_filtered = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2;
    l->switch_user = t->switch_user;
    l->runs_as_root = (t->switch_user ? t->uid == 0 : geteuid() == 0) &&
                      cordon__uid0_is_the_machines();
    l->uid = t->uid;
    l->gid = t->gid;
    l->fn = t->fn;
    l->arg = t->arg;
    l->setup_fn = t->setup_fn;
    l->setup_arg = t->setup_arg;
    l->profile = t->profile_region;
    l->profile_size = t->profile_region ? cordon__profile_region_size(CORDON_PROFILE_CAPACITY) : 0;
    s->processes = t->profile_processes;
    /* A cgroup costs tens of microseconds, so a task gets one only when it
     * needs it: for its limits, to hold a tree that no pid namespace
     * holds (the policies let a task leave its process group; a pid
     * namespace's init kills and counts the whole tree), or to count the
     * tree where asked (tree accounting: what wait4 misses, its memory). */
    uint64_t memory = t->limits[CORDON_LIMIT_MEMORY], processes = t->limits[CORDON_LIMIT_PROCESSES];
    cordon__tmpfs_options(l->tmpfs_options, memory);
    /* Its /dev/pts, only where the init mounts one: a read per task. */
    if (l->namespaces & CORDON__NAMESPACE_MOUNT)
        l->share_given[CORDON__SHARE_TERMINALS] = cordon__devpts_options(l->devpts_options);
    /* The task's init is cordon's, not one of the task's processes. */
    if (processes && l->namespaces)
        processes++;
    l->counts_processes = processes != 0;
    /* Without a limit of the caller's, cordon's share holds the tree: by
     * RLIMIT_NPROC where the task has a user namespace of its own (which
     * counts the task's processes alone), else by a pids cgroup (a
     * per-user count would be the siblings' too, and binds no root). */
    l->process_share = processes ? 0 : cordon__process_share();
    l->share_given[CORDON__SHARE_PROCESSES] = l->process_share;
    /* Separate cordon processes' tasks together: a ceiling on the user's
     * whole count, unless the caller asked for more than it. */
    if (l->namespaces & CORDON__NAMESPACE_USER)
        l->user_processes_ceiling = cordon__user_processes_ceiling();
    if (processes >= l->user_processes_ceiling)
        l->user_processes_ceiling = 0;
    /* A CPU limit reads the tree's time from the v2 cgroup's counter. */
    bool held_by_namespace = l->namespaces & CORDON__NAMESPACE_PID;
    bool contain = memory || processes || !held_by_namespace || t->limits[CORDON_LIMIT_CPU_MS] ||
                   t->tree_accounting || t->tree_cpu_accounting;
    char why[512];
    if (!cordon__cgroup_settings_valid(why, sizeof why)) {
        cordon__refuse_start(t, why);
        return -EINVAL;
    }
    if ((rc = cordon__cgroup_create(&l->cgroup, memory, processes, contain,
                                    t->tree_accounting)) < 0)
        return rc;
    /* Where no memory cgroup counts them, the task's tmpfs mounts (its
     * /dev/shm or minimal /dev, each --tmpfs, a preset's /tmp) share the
     * memory limit, an equal part each: made each the whole limit, four
     * of them held 256 MiB of files under --mem 64M, past RLIMIT_AS,
     * which counts no tmpfs. */
    if (memory && l->cgroup.memory_dir < 0 && (l->namespaces & CORDON__NAMESPACE_MOUNT))
        cordon__tmpfs_options(l->tmpfs_options, memory / (1 + l->tmpfs_count));
    /* Where no v2 cgroup counts the tree, its init does (lib/init_cpu_limit.c). */
    l->init_may_count_cpu = t->limits[CORDON_LIMIT_CPU_MS] &&
                            (l->namespaces & CORDON__NAMESPACE_MOUNT) && l->cgroup.v2_dir < 0 &&
                            !l->caller_filtered && cordon__tree_cpu_counter_keep_hooks_on();
    if (l->process_share && !(l->namespaces & CORDON__NAMESPACE_USER) &&
        (rc = cordon__cgroup_hold_process_share(&l->cgroup, l->process_share +
                                                               (l->namespaces ? 1 : 0))) < 0)
        return rc;
    /* RLIMIT_NPROC binds no process of uid 0: a task of root's under a
     * process limit without a pids cgroup forked without end (some 28,000
     * processes in 3 s, and the caller could not run to end them). */
    if (processes && l->cgroup.pids_dir < 0 && l->runs_as_root) {
        cordon__refuse_start(t, "a process limit for a task that runs as root needs a pids "
                                "cgroup, and none could be made (RLIMIT_NPROC does not bind "
                                "root)");
        return -EPERM;
    }
    /* The caller's terminal: its window size is the caller's. */
    bool terminal = t->stdin_fd >= 0 && isatty(t->stdin_fd);
    cordon__filter_facts facts = {
        .namespaces = l->namespaces, .v2_cgroup = l->cgroup.v2_dir >= 0,
        .runs_as_root = l->runs_as_root, .owns_ruleset = l->owns_ruleset,
        .file_size_limit = t->limits[CORDON_LIMIT_FILE_SIZE] != 0,
        .uncounted_memory = memory && l->cgroup.memory_dir < 0, .terminal_stdin = terminal,
    };
    unsigned kind = cordon__filter_kind(&facts);
    l->guards_terminal = terminal; /* and its modes (sandbox/terminal_guard.c) */
    /* A learning run's filter sends every call to the parent, whose base
     * policy answers: the guard is the one a run under that base gets
     * (learning under --policy none, or a Docker profile's base, let a
     * task join a listener with SO_REUSEPORT that the run refused). */
    l->guards_shared_objects =
        cordon__filter_guard_parts(&facts, t->learning ? t->learning->base : l->policy);
    /* Its guards are those of a task without a policy all the same: with
     * cordon's rules alone in its filter (a v2 cgroup, --json's), vsock
     * had gone through under --net none. */
    l->given_no_policy = !l->policy;
    if (!l->policy && cordon__filter_fence_needed(&facts)) {
        kind = cordon__filter_fence_kind(kind);
        if (!(l->policy = cordon__policy_fence_alone()))
            return -ENOMEM;
    }
    if (l->policy && (rc = policy_for(t, l, kind)) < 0)
        return rc;
    /* A task of the cgroup's owner that can reach its files (no mount
     * namespace, whose /sys is read-only, nor the fence, which refuses
     * writes beneath /sys and every cgroup mount; or a policy that lets it
     * mount cgroupfs in namespaces of its own) may leave them changed:
     * killed (every later task's child killed at birth), limits set,
     * cgroups of its own inside.  Its cgroup is removed, not pooled. */
    bool owns_cgroup = !t->switch_user || t->uid == geteuid();
    bool cgroup_files_out_of_reach = (l->namespaces & CORDON__NAMESPACE_MOUNT) ||
                                     l->closes_ruleset;
    if (owns_cgroup && (!cgroup_files_out_of_reach || !l->policy ||
                        cordon__policy_may_make_namespaces(l->policy)))
        l->cgroup.reusable = false;
    /* Out of its reach for writing, not for chmod, where it sees /sys. */
    l->cgroup.task_may_chmod = owns_cgroup && !(l->namespaces & CORDON__NAMESPACE_MOUNT);
    /* The learning filter refuses nothing itself: what the base's rules
     * let through is made, namespaces among them, so their limits hold. */
    if (l->policy && !t->learning && !cordon__policy_may_make_namespaces(l->policy))
        cordon__per_user_limits_leave_namespaces(l->per_user_share);
    if (l->namespaces & CORDON__NAMESPACE_USER)
        cordon__per_user_limits_take(l->per_user_share, l->share_given + CORDON__SHARE_PER_USER);
    s->sigxfsz_refused = cordon__policy_refuses_own_sigxfsz(l->policy);
    s->signal_sources_watched = cordon__policy_watches_signal_sources(l->policy);
    s->sigsys_is_evidence = cordon__policy_sigsys_is_evidence(l->policy);
    /* The counter's start: for the CPU limit, and for the usage of what
     * wait4 will not see. */
    if (l->cgroup.v2_dir >= 0)
        cordon__cgroup_cpu_start(&l->cgroup);
    s->cgroup = &l->cgroup;
    s->process_share = l->process_share;
    plan_resource_limits(t, l);
    s->file_size_lowered = t->limits[CORDON_LIMIT_FILE_SIZE] &&
                           l->limits[RLIMIT_FSIZE].rlim_cur < t->limits[CORDON_LIMIT_FILE_SIZE];
    if ((rc = map_shared_region_for(t, l, s)) < 0 ||
        (rc = cordon__capability_plan_prepare(&l->capabilities)) < 0 ||
        (rc = output_target(t, l, 1, &s->stdout_fd, &l->stdout_fd)) < 0 ||
        (rc = output_target(t, l, 2, &s->stderr_fd, &l->stderr_fd)) < 0 ||
        (rc = output_pipe(&s->log_fd, &l->log_fd)) < 0 ||
        (rc = stdin_source(t, l, s)) < 0 || (rc = give_pipes_to_task_user(t, s)) < 0 ||
        (rc = name_streams(l)) < 0)
        return rc;
    make_room_for_the_caller(t, l);
    if (l->policy) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
            return -errno;
        s->listener_socket = pair[0];
        l->listener_socket = pair[1];
        s->listener_expected = cordon__policy_notifies(l->policy);
        s->hook_state = t->setup_fn ? &l->setup->hook_state : NULL;
        /* Each message names its sender: an offered listener is taken
         * out of it (lib/listener_handover.c). */
        int on = 1;
        if ((rc = set_nonblocking(pair[0])) < 0 ||
            setsockopt(pair[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0)
            return rc < 0 ? rc : -errno;
    }
    open_files_after_handover(l);
    cordon__limit_clamps_find(t, l);
    /* What of the caller's /dev its init covers (sandbox/covered_devices.c). */
    l->caller_terminals.count = 0;
    if (l->namespaces & CORDON__NAMESPACE_MOUNT)
        cordon__find_caller_terminals(&l->caller_terminals);
    if (t->kind == KIND_COMMAND) {
        l->argv = t->argv;
        if ((rc = build_environment(t, l)) < 0 || (rc = resolve_exec_paths(l)) < 0)
            return rc;
        list_kept_objects(l);
    }
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void free_strings(char **strings)
{
    for (char **s = strings; s && *s; s++)
        free(*s);
    free(strings);
}

void cordon__launch_release(cordon__launch *l)
{
    close_fd(&l->relay_fd[1]);
    close_fd(&l->relay_fd[2]);
    close_fd(&l->stdin_fd);
    close_fd(&l->stdout_fd);
    close_fd(&l->stderr_fd);
    close_fd(&l->log_fd);
    close_fd(&l->listener_socket);
    cordon__spare_close(l);
    cordon__isolation_release(l);
    cordon__path_list_free(&l->hidden_mounts);
    cordon__path_list_free(&l->bind_covers);
    cordon__streams_forget(l);
    cordon__cgroup_destroy(&l->cgroup);
    cordon__shares_give_back(l->share_given);
    free_strings(l->exec_paths);
    free(l->envp);
    free(l->environment_block);
    l->environment_block = NULL;
    l->exec_paths = l->envp = NULL;
    if (l->region.setup && l->setup_record_reusable)
        cordon__setup_record_give_back(l->region.setup, l->region.setup_size);
    else if (l->region.setup)
        munmap(l->region.setup, l->region.setup_size);
    if (l->region.shared)
        munmap(l->region.shared, l->region.shared_size);
    l->region.setup = NULL;
    l->region.init_report = NULL;
    l->region.shared = NULL;
    l->setup = NULL;
    l->init_report = NULL;
    l->shared = NULL;
}

/* The tree's CPU counter, on `pid` before it starts anything, and where
 * no v2 cgroup counts the tree, the records of which processes it follows
 * (lib/tree_cpu_followed.c): a process the kernel takes it off is found. */
static void attach_the_counter(const cordon__launch *l, cordon__attempt_state *s, pid_t pid)
{
    int counter = cordon__tree_cpu_counter_attach(pid);
    s->cpu_counter_fd = counter >= 0 ? counter : -1;
    if (counter >= 0 && l->cgroup.v2_dir < 0)
        s->counter_follower = cordon__counter_follower_attach(pid);
}

/* The forked child waits for this before anything of the task runs: its
 * cgroups, and the counter of its tree's CPU, which counts only the
 * processes started after it. */
static void attend_the_child(cordon__launch *l, cordon__attempt_state *s, pid_t pid)
{
    if (l->parent_counts_child)
        attach_the_counter(l, s, pid);
    if (!l->parent_moves_child && !l->parent_counts_child)
        return;
    int rc = l->parent_moves_child ? cordon__cgroup_move(&l->cgroup, pid) : 0;
    l->setup->cgroup_move_errno = -rc;
    __atomic_store_n(&l->setup->cgroup_moved, rc < 0 ? CGROUP_MOVE_FAILED : CGROUP_MOVE_DONE,
                     __ATOMIC_RELEASE);
    syscall(SYS_futex, &l->setup->cgroup_moved, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Whether the parent takes the task's listener with pidfd_getfd
 * (lib/listener_handover.c).  Not for a caller under a seccomp filter of
 * its own: its rules were never asked about pidfd_getfd, which a
 * service's filter may kill (systemd's @system-service leaves out
 * @debug, where it is): the caller would die at its task's start.  Its
 * tasks send the listener over SCM_RIGHTS, as before. */
static bool parent_may_take_listener(const cordon__launch *l)
{
    return !l->caller_filtered && cordon__policy_reads_handover_answer(l->policy);
}

static int fork_child(cordon__launch *l, cordon__attempt_state *s)
{
    l->parent_moves_child = l->cgroup.count > 0;
    /* In namespaces the counter is attached to the init (follow_init). */
    l->parent_counts_child = l->cpu_limit_ns && !l->namespaces;
    l->parent_takes_listener = parent_may_take_listener(l);
    l->child_is_a_copy = true;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0)
        cordon__child_main(l);
    /* The child makes its own session (and group): a group the parent
     * made for it first would make its setsid() fail. */
    attend_the_child(l, s, pid);
    s->pid = pid;
    /* A child that makes namespaces is followed by its init's pidfd
     * (follow_init); its own is opened only if it started none. */
    s->pidfd = l->namespaces ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
    return 0;
}

/* With clone3 the child starts in its v2 cgroup; -errno where it cannot
 * (no v2 cgroup, an older kernel, a caller's filter refusing clone3), and
 * then clone() and the child's own write do it. */
static pid_t start_in_v2_cgroup(cordon__launch *l, char *stack, int *pidfd)
{
    if (l->cgroup.v2_dir < 0)
        return -ENOENT;
    int cgroup_fd = open(l->cgroup.dirs[l->cgroup.v2_dir], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroup_fd < 0)
        return -errno;
    l->started_in_v2_cgroup = true;
    pid_t pid = cordon__clone3_vfork_into_cgroup(cordon__child_clone_entry, l, stack,
                                                 CLONE_STACK_SIZE, cgroup_fd, pidfd);
    l->started_in_v2_cgroup = pid >= 0;
    close(cgroup_fd);
    return pid;
}

/* A CPU limit's counter must be attached before the task's first process
 * can start another, which the parent of a child that borrows its memory
 * cannot do (it waits for the exec): without namespaces (whose init waits
 * for it) such a command is forked, its start costing with the caller's
 * size. */
static bool command_needs_counting_from_its_start(const cordon__launch *l)
{
    return l->cpu_limit_ns && !l->namespaces && cordon__tree_cpu_counter_usable();
}

static int start_command(cordon_task *t, cordon__launch *l, cordon__attempt_state *s,
                         bool may_share_memory)
{
    /* fork: the parent must answer the child's first exec, or count it */
    if (!may_share_memory || command_needs_counting_from_its_start(l))
        return fork_child(l, s);
    char *stack = mmap(NULL, CLONE_STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return -errno;
    /* Waiting in vfork, the parent cannot answer the task's offer of its
     * listener; in namespaces its child leaves once the init is started. */
    l->parent_takes_listener = l->namespaces && parent_may_take_listener(l);
    l->child_is_a_copy = false;
    /* Without namespaces the child waited for is the task's, in its exec:
     * the deadline is kept through it (lib/deadline_watchdog.c). */
    s->spawn_pidfd = -1;
    if (s->deadline_ns && !l->namespaces && !s->deadline_watch.started)
        cordon__deadline_watch_start(&s->deadline_watch, t, s->deadline_ns, &s->spawn_pidfd);
    else if (s->deadline_watch.started) /* a start made again (spawn.c: cordon__spawn) */
        __atomic_store_n(&s->deadline_watch.spawning, true, __ATOMIC_RELEASE);
    int saved_errno = errno; /* the child shares our errno until it execs */
    pid_t pid = start_in_v2_cgroup(l, stack, &s->spawn_pidfd);
    int clone_errno = pid < 0 ? -pid : 0;
    if (pid < 0) {
        pid = clone(cordon__child_clone_entry, stack + CLONE_STACK_SIZE,
                    CLONE_VM | CLONE_VFORK | CLONE_PIDFD, l, &s->spawn_pidfd);
        clone_errno = errno;
    }
    errno = saved_errno;
    cordon__deadline_watch_started(&s->deadline_watch);
    munmap(stack, CLONE_STACK_SIZE);
    if (pid < 0)
        return -clone_errno;
    s->pid = pid;
    s->pidfd = s->spawn_pidfd;
    return 0;
}

/* A command's child may borrow the parent's memory until it execs, which
 * makes starting it cost the same however big the parent is; but not when
 * the parent must answer the child's first exec, nor under AddressSanitizer
 * or ThreadSanitizer, whose bookkeeping in the shared memory (shadow, the
 * forking thread's clock, the fd table) the borrowing child would corrupt. */
static bool command_may_share_memory(const cordon__launch *l)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    (void)l;
    return false;
#else
    return !(l->policy && cordon__policy_watches_exec(l->policy));
#endif
}

/* A start in namespaces presumed rather than probed (at a process's
 * first task: sandbox/namespaces.c) has shown they work once its init has
 * made its mounts.  A child or an init that ended before (a container
 * that refuses a namespace or a /proc of its own, a filter of the
 * caller's) is reaped here, nothing of the task having run, and the start
 * is made again after the probe.  An init held up for long (stopped from
 * outside) proves nothing either way: the collector deals with it. */
#define PRESUMED_WAIT_NS (2000ull * 1000 * 1000)
static bool init_ended(pid_t init)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do
        rc = waitid(P_PID, (id_t)init, &info, WEXITED | WNOHANG | WNOWAIT | __WALL);
    while (rc < 0 && errno == EINTR);
    return rc < 0 || info.si_pid == init;
}

static int not_as_presumed(cordon__attempt_state *s)
{
    while (wait4(s->pid, NULL, __WALL, NULL) < 0 && errno == EINTR)
        ;
    s->pid = 0;
    if (s->pidfd >= 0)
        close(s->pidfd);
    s->pidfd = -1;
    cordon__namespaces_not_as_presumed();
    return CORDON__NAMESPACES_NOT_AS_PRESUMED;
}

static int presumption_shown(cordon__launch *l, cordon__attempt_state *s)
{
    uint32_t *made = &l->init_report->namespaces_made;
    /* Never past the task's deadline, which the collector keeps. */
    uint64_t until = cordon__now_ns() + PRESUMED_WAIT_NS;
    if (s->deadline_ns && s->deadline_ns < until)
        until = s->deadline_ns;
    struct timespec a_while = { 0, 5 * 1000 * 1000 };
    while (!__atomic_load_n(made, __ATOMIC_ACQUIRE)) {
        if (init_ended(s->pid)) {
            if (__atomic_load_n(made, __ATOMIC_ACQUIRE))
                break;
            return not_as_presumed(s);
        }
        if (cordon__now_ns() >= until)
            return 0;
        syscall(SYS_futex, made, FUTEX_WAIT, 0, &a_while, NULL, 0);
    }
    cordon__namespaces_seen();
    return 0;
}

/* Whether the task's view was copied from another mount table than the
 * one the covers were read from (a mount made, or moved by a rename, in
 * between): the child that made the view read its copy's digest once
 * nothing more could come into it.  The lists are then read again, and
 * the start made again from them. */
static bool view_is_not_the_plan_s(const cordon__launch *l)
{
    if (!(l->namespaces & CORDON__NAMESPACE_MOUNT) ||
        __atomic_load_n(&l->init_report->view_table_digest, __ATOMIC_ACQUIRE) ==
            l->mount_table_digest)
        return false;
    cordon__mounts_to_hide_forget();
    return true;
}

/* The init, which starts nothing of the task from a view that is not
 * the plan's (it compares the digests too: lib/task_init.c), is ended
 * with the namespaces, and nothing is left.  By its number: a child of
 * ours unreaped keeps it. */
static int start_again(cordon__attempt_state *s, pid_t init)
{
    kill(init, SIGKILL);
    while (waitpid(init, NULL, __WALL) < 0 && errno == EINTR)
        ;
    s->pid = 0;
    s->pidfd = -1;
    return CORDON__MOUNTS_CHANGED_DURING_START;
}

/* The caller's child of a task in namespaces leaves once it has started
 * the task's init, a child of the caller too: from then on cordon waits
 * for the init.  A child that failed before that is waited for itself. */
static int follow_init(cordon__launch *l, cordon__attempt_state *s)
{
    s->group = s->pid;
    s->setup = l->setup;
    s->command_gives_back = !l->fn && l->child_is_a_copy;
    s->init_report = l->init_report;
    s->task_uid = l->switch_user ? l->uid : geteuid();
    s->task_gid = l->switch_user ? l->gid : getegid();
    if (!l->namespaces)
        return 0;
    siginfo_t info;
    int rc;
    do
        rc = waitid(P_PID, (id_t)s->pid, &info, WEXITED | WNOWAIT | __WALL);
    while (rc < 0 && errno == EINTR);
    pid_t init = __atomic_load_n(&l->init_report->init_pid, __ATOMIC_ACQUIRE);
    if (init <= 0 && l->namespaces_presumed)
        return not_as_presumed(s);
    if (init <= 0) {
        /* It failed before it started one, and is watched itself: still
         * there to be named (WNOWAIT), unless the kernel reaped it for a
         * caller that ignores SIGCHLD (then the collector ticks). */
        if (s->pidfd < 0)
            s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
        return 0;
    }
    /* ECHILD: a caller that ignores SIGCHLD had the kernel reap it.  Its
     * CPU time (making the namespaces, starting the init) is cordon's: the
     * CPU limit leaves it out of the task's cgroup's count. */
    struct rusage starter;
    memset(&starter, 0, sizeof starter);
    while (rc == 0 && wait4(s->pid, NULL, __WALL, &starter) < 0 && errno == EINTR)
        ;
    s->starter_cpu_ns = cordon__rusage_cpu_ns(&starter);
    if (view_is_not_the_plan_s(l)) {
        if (s->pidfd >= 0)
            close(s->pidfd);
        return start_again(s, init);
    }
    /* The init waits for the word below before it starts the task: the
     * counter sees the whole tree (an unreaped init keeps its pid). */
    if (l->cpu_limit_ns)
        attach_the_counter(l, s, init);
    /* Reaped (or by the kernel, for a caller that ignores SIGCHLD): it no
     * longer counts in the task's pids cgroup, and the init, which waits
     * for this under a process limit, may start the task. */
    __atomic_store_n(&l->init_report->starter_reaped, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &l->init_report->starter_reaped, FUTEX_WAKE, 1, NULL, NULL, 0);
    if (s->pidfd >= 0)
        close(s->pidfd);
    s->pid = init;
    s->pidfd = (int)syscall(SYS_pidfd_open, init, 0);
    s->in_namespaces = true;
    return l->namespaces_presumed ? presumption_shown(l, s) : 0;
}

/* The child, made or not: -errno before any child exists. */
static int start_child(cordon_task *t, cordon__launch *l, cordon__attempt_state *s)
{
    /* Signals stay blocked across the fork so that no handler of the
     * caller's runs in the child before it resets them all. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    /* Before the fork: a quick task may be done before the fork returns. */
    s->started_ns = cordon__now_ns();
    cordon__attempt_deadline(t, s);
    l->deadline_ns = s->deadline_ns;
    int rc = t->kind == KIND_FUNCTION ? fork_child(l, s)
                                      : start_command(t, l, s, command_may_share_memory(l));
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return rc;
}

int cordon__spawn(cordon_task *t, cordon__launch *l, cordon__attempt_state *s)
{
    int rc = prepare(t, l, s);
    if (rc < 0)
        return rc;
    cordon__spare_take(l);
    rc = start_child(t, l, s);
    /* The child joined the spare, or holds its own copies of the fds. */
    cordon__spare_close(l);
    /* No child was made (the clone's pidfd had no fd left): without the
     * keeper's fds, as without spares, it may fit. */
    if ((rc == -EMFILE || rc == -ENFILE) && cordon__spares_give_up())
        rc = start_child(t, l, s);
    return rc < 0 ? rc : follow_init(l, s);
}
