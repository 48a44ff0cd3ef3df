/*
 * The init process at the top of a task's pid namespace: cordon's own,
 * never the task's.  It starts the task's first process, reaps every
 * process of the namespace, and when the first one ends kills the rest
 * and reports that process's wait status in the setup record (which no
 * process of the task holds).  It exits last; the kernel then kills
 * anything still in the namespace.
 *
 * It holds the tree to the caller: it is the caller's child (clone's
 * CLONE_PARENT), it dies with the caller (PDEATHSIG), and nothing of the
 * task can stop it: an init gets no signal from inside its namespace that
 * it has no handler for (it has none, and blocks all), and it is not
 * dumpable, so a process of the task without capabilities cannot trace it
 * or read its memory.  A process of the task that uses CLONE_PARENT
 * becomes the init's child, never the caller's.
 *
 * Runs in the child's memory (a function's) or a copy of the caller's (a
 * command's), with all signals blocked and nothing allocated.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define TASK_STACK_SIZE (128 * 1024)

/* 0 while the caller lives, -ESRCH once its pidfd says it ended. */
static int caller_alive(void)
{
    struct pollfd caller = { .fd = CORDON__CALLER_PIDFD, .events = POLLIN };
    int ready;
    do
        ready = poll(&caller, 1, 0);
    while (ready < 0 && errno == EINTR);
    return ready == 0 ? 0 : -ESRCH;
}

/* PDEATHSIG counts from here; a caller already gone is seen on its pidfd. */
static int die_with_caller(void)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        return -errno;
    return caller_alive();
}

/* The child that started the init leaves at once; under a process limit
 * the init waits for that before it starts the task, so that only the init
 * and the task count against the limit.  Without one it need not: the
 * starter is outside the namespace, out of the task's sight and reach.
 * A process counts in a pids cgroup until it is reaped, not only until it
 * exits: waiting for its exit (its pidfd) alone, a task that its
 * limit allowed was refused a fork, or never ran, in about one run of
 * four.  The parent reaps the starter and says so in the report.  Under a
 * CPU limit the parent attaches the tree's CPU counter to the init first,
 * which counts only processes started after it: the init waits too.
 * For as long as the caller lives: a caller stopped (^Z, SIGSTOP) at that
 * moment says so once it runs again, and the init, which gave up after a
 * second, failed the task with a ConfinementError of its own making.  A
 * caller that ends kills the init (PDEATHSIG); its pidfd, looked at each
 * second, is the init's word for one that ended before the request. */
#define STARTER_LOOK_NS (1000ull * 1000 * 1000)
static int outlive_the_starter(cordon__init_report *report)
{
    while (!__atomic_load_n(&report->starter_reaped, __ATOMIC_ACQUIRE)) {
        struct timespec wait = { .tv_sec = (time_t)(STARTER_LOOK_NS / 1000000000u),
                                 .tv_nsec = (long)(STARTER_LOOK_NS % 1000000000u) };
        if (syscall(SYS_futex, &report->starter_reaped, FUTEX_WAIT, 0, &wait, NULL, 0) != 0 &&
            errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
            return -errno;
        int rc = caller_alive();
        if (rc < 0)
            return rc;
    }
    return 0;
}

static pid_t start_task(const cordon__launch *l)
{
#if defined(__SANITIZE_ADDRESS__)
    bool copy = true; /* no other stack under AddressSanitizer (lib/child.c) */
#else
    bool copy = l->fn != NULL;
#endif
    if (copy) {
        /* The child's memory is already a fork(3) of the caller's, made
         * on the caller's thread with its fork handlers: locks consistent,
         * and no other thread.  _Fork copies that as it is, without
         * running the caller's handlers a second time in a process that
         * is not the caller. */
        pid_t pid = _Fork();
        if (pid == 0)
            cordon__task_main(l);
        return pid < 0 ? -errno : pid;
    }
    char *stack = mmap(NULL, TASK_STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return -errno;
    /* Like posix_spawn: the init waits until the command has exec'd.  Its
     * end must wake the init: SIGCHLD. */
    pid_t pid = clone(cordon__task_clone_entry, stack + TASK_STACK_SIZE,
                      CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)l);
    int saved = errno;
    munmap(stack, TASK_STACK_SIZE);
    /* The command's first process, in this memory, may have made it
     * dumpable for the parent to take its listener (lib/child.c); it has
     * exec'd or ended now. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 && pid > 0)
        return -errno;
    return pid < 0 ? -saved : pid;
}

/* A bind's or a tmpfs's grant is made only on the mount's root
 * (`mounted`): a sibling of the task's user may have moved its path since
 * the mount.  /proc and /dev are root's: NULL. */
static int grant(const cordon__launch *l, const char *path, unsigned access,
                 const cordon__file_identity *mounted)
{
    if (!l->owns_ruleset || !access)
        return 0;
    return cordon__landlock_grant(CORDON__RULESET_FD, l->landlock_abi, path, access, mounted);
}

/* What a view made read-only gives back: the writable binds' sources,
 * cloned before with the caller's own flags (-1: none).  The trees a rule
 * lets the task write go to the launch's writable_tree_fds, as many as
 * the rules (a fixed 64 here refused the 64th writable path with E2BIG,
 * "failed entering its namespaces"). */
typedef struct writable_trees {
    int bind_tree[sizeof ((cordon__launch *)0)->bind_access / sizeof(unsigned)];
} writable_trees;

/* Without a minimal /dev the task's /dev is the caller's, and three
 * things there are the caller's state, not devices: its terminals in
 * /dev/pts (sandbox/own_pts.c); in /dev/shm its POSIX shared memory and
 * semaphores, which no IPC namespace holds (a task of the caller's user
 * opened a segment by name and wrote into the caller's own mapping of
 * it); and the message queues of the caller's IPC namespace, mounted at
 * /dev/mqueue (sandbox/own_mqueue.c).  The task gets its own of each,
 * and under file rules may use the last two as they are its own: the
 * host's /dev granted nothing there (Python's multiprocessing under
 * `--isolate isolated --dev host` failed with EACCES in /dev/shm). */
static int own_dev_state(const cordon__launch *l)
{
    int rc = cordon__mount_own_pts(l->devpts_options);
    if (rc == 0)
        rc = grant(l, "/dev/pts", l->own_pts_access, NULL);
    if (rc == 0) {
        rc = cordon__mount_private_tmpfs("/dev/shm", l->tmpfs_options);
        if (rc == 0)
            rc = grant(l, "/dev/shm", CORDON__ACCESS_READ | CORDON__ACCESS_WRITE, NULL);
        else if (rc == -ENOENT || rc == -ENOTDIR)
            rc = 0;
    }
    if (rc == 0 && (l->namespaces & CORDON__NAMESPACE_IPC)) {
        rc = cordon__mount_own_mqueue();
        if (rc == 0 && access("/dev/mqueue", F_OK) == 0) /* none mounted where none is */
            rc = grant(l, "/dev/mqueue", CORDON__ACCESS_READ | CORDON__ACCESS_WRITE, NULL);
    }
    return rc;
}

/* The task's own mounts, after its /proc (lib/isolation.c): terminals and
 * shared memory of its own unless its /dev is minimal, its binds
 * (from the caller's tree, before anything of the task's hides a part of
 * it), its /dev, its tmpfs mounts; and the file rules for what was
 * mounted: a rule made before on the directory beneath does not reach a
 * mount over it. */
static int mount_own_tree(const cordon__launch *l, writable_trees *trees)
{
    int rc = grant(l, "/proc", l->own_proc_access, NULL);
    /* Before the binds: one the task asks for over /dev/pts is its own. */
    if (rc == 0 && !l->minimal_dev)
        rc = own_dev_state(l);
    for (size_t i = 0; i < l->bind_count && rc == 0; i++) {
        rc = cordon__mount_bind(&l->binds[i], trees->bind_tree[i]);
        trees->bind_tree[i] = -1; /* taken, closed */
        /* A bind's root is its source's. */
        cordon__file_identity source = { l->binds[i].device, l->binds[i].inode };
        if (rc == 0)
            rc = grant(l, l->binds[i].target, l->bind_access[i], &source);
    }
    /* After the binds, whose sources are checked as they were given; with
     * a minimal /dev too, for a bind of the caller's (--bind /dev /mnt/dev
     * gave the task /mnt/dev/fuse). */
    if (rc == 0)
        rc = cordon__cover_devices(&l->caller_terminals, !l->minimal_dev, l->binds,
                                   l->bind_count);
    if (rc == 0 && l->minimal_dev) {
        rc = cordon__mount_minimal_dev(l->tmpfs_options, l->devpts_options);
        /* Only the task's own or harmless files are left there. */
        if (rc == 0)
            rc = grant(l, "/dev", CORDON__ACCESS_READ | CORDON__ACCESS_WRITE, NULL);
    }
    for (size_t i = 0; i < l->tmpfs_count && rc == 0; i++) {
        cordon__file_identity mounted;
        rc = cordon__mount_private_tmpfs_on(l->tmpfs_paths[i], &l->tmpfs_given[i],
                                            l->tmpfs_options, &mounted);
        if (rc == 0)
            rc = grant(l, l->tmpfs_paths[i], l->tmpfs_access[i], &mounted);
    }
    return rc;
}

/* Before anything of the task's own is mounted: the caller's tree
 * read-only, but for what the file rules let the task write (Landlock
 * would let a chmod, a chown or a utimes through anywhere the task's uid
 * owns), as the parent planned it (lib/isolation.c). */
static int read_only_but_granted(const cordon__launch *l, writable_trees *trees)
{
    if (!l->owns_ruleset || l->view_stays_writable)
        return 0;
    /* The init's copy of the launch: its own to write. */
    int *rule_tree = l->writable_tree_fds;
    for (size_t i = 0; i < l->writable_tree_count; i++) {
        rule_tree[i] = cordon__clone_planned_tree(l->writable_trees[i], &l->writable_tree_ids[i]);
        if (rule_tree[i] < 0 && rule_tree[i] != -ENOENT)
            return rule_tree[i];
    }
    /* A bind whose source cannot be cloned is bound as ever, after: then
     * read-only, like the view (a device is still written through). */
    for (size_t i = 0; i < l->bind_count; i++)
        if (!l->binds[i].read_only &&
            (trees->bind_tree[i] = cordon__clone_tree(l->binds[i].source, false)) < 0)
            trees->bind_tree[i] = -1;
    int rc = cordon__mount_everything_read_only();
    for (size_t i = 0; i < l->writable_tree_count && rc == 0; i++) {
        if (rule_tree[i] >= 0)
            rc = cordon__mount_clone_on_planned(rule_tree[i], l->writable_trees[i],
                                                &l->writable_tree_ids[i]);
        rule_tree[i] = -1;
    }
    return rc;
}

/* Covers each mount of `list`: l->hidden_mounts, the kernel's file
 * systems mounted elsewhere in the caller's view (a second proc, a cgroup
 * hierarchy), before anything is cloned from the view, so that no clone
 * takes one along; l->bind_covers, those and the caller's terminals,
 * devices and shared memory that the binds brought along beneath their
 * targets (a bind of / shows the caller's /proc at its target's proc),
 * once the binds are made. */
static int cover_mounts(const cordon__path_list *list)
{
    int rc = 0;
    for (size_t i = 0; i < list->count && rc == 0; i++)
        rc = cordon__hide_kernel_mount(list, i);
    return rc;
}

/* -errno: the caller's working directory could not be entered again in
 * the view (below); read by the task's first process, which the init
 * starts after setting it. */
static int working_directory_lost;

int cordon__view_lost_the_working_directory(void)
{
    return working_directory_lost;
}

/* Everything the init mounts for the task.  Then the working directory
 * is looked up again: the one inherited is the directory of the mount
 * beneath, and a mount made over it (a writable bind, a tmpfs over /tmp)
 * would otherwise be bypassed by every relative path.  One the view no
 * longer holds is given up for the nearest directory above it that the
 * view holds: kept, it would open onto the caller's directory the mount
 * hides.  One that has no path to look up
 * again by (deleted, or longer than PATH_MAX) is given up too, and the
 * task fails unless it was given a directory of its own (lib/child.c):
 * kept, a deleted one's ".." led to the caller's directory above it, on
 * the caller's mount beneath the task's, and a task under --dev minimal
 * read and wrote the caller's /dev/shm so, or under --tmpfs /tmp the
 * caller's /tmp. */
static int mount_task_view(const cordon__launch *l)
{
    char cwd[PATH_MAX];
    long length = syscall(SYS_getcwd, cwd, sizeof cwd);
    if (length < 0 && (errno == ENOENT || errno == ENAMETOOLONG))
        working_directory_lost = -errno;
    bool known = length > 0 && cwd[0] == '/';
    writable_trees trees;
    for (size_t i = 0; i < sizeof trees.bind_tree / sizeof *trees.bind_tree; i++)
        trees.bind_tree[i] = -1;
    bool read_only_view = l->owns_ruleset && !l->view_stays_writable;
    int rc;
    /* Cut off from the caller's mounts by now (lib/child.c). */
    if ((rc = cover_mounts(&l->hidden_mounts)) < 0 || (rc = read_only_but_granted(l, &trees)) < 0)
        return rc;
    /* The task's streams that are files of the caller's tree (its stdin
     * a file or a terminal), opened again on the view just made
     * read-only, before any mount of the task's hides a part of it: held
     * as the parent opened them, on the caller's writable mount, they let
     * the task change the file's mode, times and attributes. */
    if (read_only_view)
        cordon__streams_on_view(l);
    else
        cordon__terminals_on_read_only_mounts(l);
    if ((rc = cordon__mount_own_proc()) < 0 || (rc = cordon__make_sys_read_only()) < 0 ||
        (l->runs_as_root && (rc = cordon__protect_kernel_settings()) < 0) ||
        (rc = mount_own_tree(l, &trees)) < 0 || (rc = cover_mounts(&l->bind_covers)) < 0 ||
        (rc = cordon__devices_only_in_dev(l->binds, l->bind_count)) < 0)
        return rc;
    if (!known)
        return chdir("/") == 0 ? 0 : -errno;
    return cordon__enter_the_nearest_held(cwd, NULL);
}

int cordon__enter_the_nearest_held(char *path, bool *refused)
{
    while (chdir(path) != 0) {
        char *last = strrchr(path, '/');
        if ((errno != ENOENT && errno != ENOTDIR) || !last || last == path) {
            if (refused)
                *refused = errno != ENOENT && errno != ENOTDIR;
            return chdir("/") == 0 ? 0 : -errno;
        }
        *last = '\0';
    }
    return 0;
}

/* Field `wanted` (48: arg_start, 49: arg_end) of /proc/self/stat, which
 * counts from 3 after the command name's closing parenthesis; 0 when it
 * cannot be read.  Without stdio: the init is a forked copy. */
static unsigned long stat_field(const char *text, int wanted)
{
    const char *at = NULL;
    for (const char *c = text; *c; c++)
        if (*c == ')')
            at = c;
    if (!at)
        return 0;
    int field = 2;
    for (at++; *at; at++) {
        if (*at != ' ')
            continue;
        if (++field == wanted) {
            unsigned long value = 0;
            for (at++; *at >= '0' && *at <= '9'; at++)
                value = value * 10 + (unsigned long)(*at - '0');
            return value;
        }
    }
    return 0;
}

/* The init is a copy of the caller, and anyone may read a process's
 * command line: a command task would read the caller's (a token given on
 * it, say) as /proc/1/cmdline.  The init's copy of it is blanked; a
 * function task, which has all of the caller's memory anyway, keeps it. */
static void forget_callers_command_line(void)
{
    char text[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n;
    do
        n = read(fd, text, sizeof text - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    /* The system call itself: AddressSanitizer's prctl takes its thread
     * registry's lock, which this copy of a many-threaded caller may hold
     * for good (the init hung there, in a test under it). */
    syscall(SYS_prctl, PR_SET_NAME, "cordon-init", 0, 0, 0);
    if (n <= 0)
        return;
    text[n] = '\0';
    unsigned long start = stat_field(text, 48), end = stat_field(text, 49);
    /* Through process_vm_writev on itself: a caller that moved its
     * arguments (a process title of its own) may have left the range
     * unmapped, which a plain write would fault on; this says EFAULT. */
    static const char zeros[256];
    for (unsigned long at = start; start && at < end;) {
        size_t piece = end - at < sizeof zeros ? end - at : sizeof zeros;
        struct iovec from = { (void *)zeros, piece }, to = { (void *)at, piece };
        ssize_t written = process_vm_writev(getpid(), &from, 1, &to, 1, 0);
        if (written <= 0 && errno != EINTR)
            break;
        if (written > 0)
            at += (unsigned long)written;
    }
}

static void no_op(int signo)
{
    (void)signo;
}

/* An init takes no signal it has no handler for, even from the caller:
 * SIGUSR1 gets one (never run: the signal stays blocked and is taken with
 * sigtimedwait), so that the caller can ask for the end of the tree. */
static void accept_end_request(sigset_t *awaited)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = no_op;
    sigaction(SIGUSR1, &action, NULL);
    /* A caller that ignores SIGCHLD would have the kernel reap the task's
     * processes before the init sees them end. */
    action.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &action, NULL);
    sigemptyset(awaited);
    sigaddset(awaited, SIGCHLD);
    sigaddset(awaited, SIGUSR1);
}

/* What the init reaped, published as it goes: the parent's CPU limit
 * counts it while the task runs, with wait4's precision.  `cordon_s`:
 * the part that was cordon's (the first process's give-back). */
static void count_reaped(cordon__init_report *report, const struct rusage *usage,
                         uint64_t cordon_s)
{
    uint64_t ns = cordon__rusage_cpu_ns(usage);
    __atomic_add_fetch(&report->reaped_cpu_ns, ns > cordon_s ? ns - cordon_s : 0, __ATOMIC_RELEASE);
}

/* Where the end of the task's first process has got to. */
enum task_end { TASK_RUNNING, TASK_ENDED, REST_KILLED };

/* The init's reaping: the task's first process, what of it was cordon's,
 * and the tree's figures as reaped. */
typedef struct reaping {
    pid_t task;
    uint64_t give_back;                 /* the first process's CPU that was cordon's */
    const cordon__setup_record *setup;  /* its task_start_ns: whether it began; NULL:
                                           always (cordon__start_note_is_evidence) */
    enum task_end end;
    struct rusage cordons;              /* a first process that never began: all cordon's */
    long max_rss_kb;                    /* the largest the task's processes reaped had */
    cordon__init_cpu_limit *cpu;        /* the init's hold on the CPU limit */
    int task_pidfd;                     /* the first process's, -1 without */
    uint64_t exited_ns;                 /* when it was seen ended under a tracer, or 0 */
} reaping;

/* A first process ended before its function or its exec (the deadline, a
 * limit, a kill, a failed set-up) was cordon's copy of the caller: its
 * CPU and its peak (the caller's memory) are not the task's. */
static uint64_t cordons_share(reaping *r, const struct rusage *usage)
{
    if (!r->setup || __atomic_load_n(&r->setup->task_start_ns, __ATOMIC_ACQUIRE))
        return r->give_back;
    r->cordons = *usage;
    return UINT64_MAX;
}

/* The tree's CPU as its first process ended by itself, where the init
 * holds the limit and it has not fired, taken as it is reaped, before the
 * rest is killed (below): the evidence of whether the task reached its
 * limit before it failed, or only the endings that followed did
 * (processes dying of that kill, each freeing its memory: a task that
 * failed at 1,953 ms of 2,000 ended as a CpuLimit). */
static void note_count_at_the_end(cordon__init_report *report, cordon__init_cpu_limit *cpu)
{
    if (cpu && cpu->limit_ns)
        __atomic_store_n(&report->cpu_at_task_end_ns, cordon__init_tree_cpu_ns(cpu, report) + 1,
                         __ATOMIC_RELEASE);
}

static void subtract_ns(struct timeval *from, uint64_t *ns)
{
    uint64_t have = (uint64_t)from->tv_sec * 1000000000ull + (uint64_t)from->tv_usec * 1000u;
    uint64_t taken = *ns < have ? *ns : have;
    have -= taken;
    *ns -= taken;
    from->tv_sec = (time_t)(have / 1000000000ull);
    from->tv_usec = (suseconds_t)(have % 1000000000ull / 1000u);
}

static void subtract_count(long *from, long taken)
{
    *from = *from > taken ? *from - taken : 0;
}

/* The tree's figures as reaped so far, cordon's share left out. */
static bool tree_usage_so_far(const reaping *r, struct rusage *tree)
{
    if (getrusage(RUSAGE_CHILDREN, tree) != 0)
        return false;
    /* The give-back's CPU is mostly the kernel's dropping of pages. */
    uint64_t cordon_s = r->give_back + cordon__rusage_cpu_ns(&r->cordons);
    subtract_ns(&tree->ru_stime, &cordon_s);
    subtract_ns(&tree->ru_utime, &cordon_s);
    subtract_count(&tree->ru_minflt, r->cordons.ru_minflt);
    subtract_count(&tree->ru_majflt, r->cordons.ru_majflt);
    subtract_count(&tree->ru_inblock, r->cordons.ru_inblock);
    subtract_count(&tree->ru_oublock, r->cordons.ru_oublock);
    subtract_count(&tree->ru_nvcsw, r->cordons.ru_nvcsw);
    subtract_count(&tree->ru_nivcsw, r->cordons.ru_nivcsw);
    tree->ru_maxrss = r->max_rss_kb;
    return true;
}

/* A process of the task's that made the init its tracer (PTRACE_TRACEME:
 * the init is its parent) has the init's wait report its stops, which it
 * asks for no other way: a stop taken for the first process's end had a
 * process still there recorded as a clean exit 0, the rest of its tree
 * killed.  The init traces nothing: it detaches, handing on the signal
 * the process stopped at, which then acts as it would have untraced (a
 * handler runs, a default ends or stops the process).  The SIGTRAP an
 * exec sends a tracee that set no options (SI_USER, from the process
 * itself), which an untraced process never gets, is dropped. */
static void refuse_to_trace(pid_t pid, int status)
{
    int signo = WSTOPSIG(status);
    siginfo_t info;
    if (signo == SIGTRAP &&
        syscall(SYS_ptrace, PTRACE_GETSIGINFO, pid, NULL, &info) == 0 &&
        info.si_code == SI_USER && info.si_pid == pid)
        signo = 0;
    syscall(SYS_ptrace, PTRACE_DETACH, pid, NULL, (void *)(long)signo);
}

/* The task's first process has exited but no wait of the init's reports
 * it: a process of the task's traces it (PTRACE_SEIZE by its child, which
 * its PR_SET_PTRACER let), and the kernel reports its exit to the tracer
 * alone until the tracer lets it go.  Unseen, the run went on until the
 * tracer ended or the deadline killed it: an exit 3 at 200 ms read as a
 * Timeout at 3 s.  Its pidfd reads as ended. */
static bool exited_under_a_tracer(const reaping *r)
{
    struct pollfd first = { .fd = r->task_pidfd, .events = POLLIN };
    return r->task_pidfd >= 0 && r->end == TASK_RUNNING && !r->exited_ns &&
           poll(&first, 1, 0) == 1 && (first.revents & POLLIN);
}

/* Reaps whatever has ended; false once no process is left.  Once the
 * task's first process ended, what is left is killed; where nothing is
 * (no child of the init: every process of the namespace descends from
 * it), no kill is needed, and kill(-1) walks every process of the
 * machine. */
static bool reap_ended(cordon__init_report *report, reaping *r)
{
    enum task_end *end = &r->end;
    pid_t task = r->task;
    bool looked_again = false;
    for (;;) {
        int status;
        struct rusage usage;
        pid_t pid = wait4(-1, &status, __WALL | WNOHANG, &usage);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            return false;
        if (pid == 0 && exited_under_a_tracer(r)) {
            /* Once more first: it may have ended untraced since the wait. */
            if (!looked_again) {
                looked_again = true;
                continue;
            }
            /* Its end, as any first process's: the rest is killed, its
             * tracer with it, which hands its exit to the init's wait. */
            r->exited_ns = cordon__now_ns();
            kill(-1, SIGKILL);
            return true;
        }
        if (pid == 0) {
            if (*end == TASK_ENDED) {
                kill(-1, SIGKILL);
                *end = REST_KILLED;
            }
            return true;
        }
        if (WIFSTOPPED(status)) {
            refuse_to_trace(pid, status);
            continue;
        }
        uint64_t cordon_s = pid == task ? cordons_share(r, &usage) : 0;
        count_reaped(report, &usage, cordon_s);
        if (cordon_s != UINT64_MAX && usage.ru_maxrss > r->max_rss_kb)
            r->max_rss_kb = usage.ru_maxrss;
        if (pid == task && *end == TASK_RUNNING) {
            *end = TASK_ENDED;
            note_count_at_the_end(report, r->cpu);
            report->task_status = status;
            report->task_end_ns = r->exited_ns ? r->exited_ns : cordon__now_ns();
            if (!tree_usage_so_far(r, &report->usage_at_task_end))
                memset(&report->usage_at_task_end, 0, sizeof report->usage_at_task_end);
            __atomic_store_n(&report->task_status_valid, 1, __ATOMIC_RELEASE);
        }
    }
}

/* The init's CPU so far (its set-up, the start of the task, then its
 * reaping) is cordon's, not the task's, and so is a command's give-back:
 * the CPU limit leaves them out of the cgroup's count. */
static void publish_own_cpu(cordon__init_report *report, uint64_t give_back)
{
    struct rusage own;
    if (getrusage(RUSAGE_SELF, &own) == 0)
        __atomic_store_n(&report->init_cpu_ns, cordon__rusage_cpu_ns(&own) + give_back,
                         __ATOMIC_RELEASE);
    __atomic_store_n(&report->task_started, 1, __ATOMIC_RELEASE);
}

/* The init's own CPU before the counter of the tree's was attached (the
 * parent does that before it lets the init start the task): the CPU limit
 * leaves out the init's own, which the counter saw only from then on. */
static void record_uncounted_cpu(cordon__init_report *report)
{
    struct rusage own;
    if (getrusage(RUSAGE_SELF, &own) == 0)
        __atomic_store_n(&report->init_cpu_uncounted_ns, cordon__rusage_cpu_ns(&own),
                         __ATOMIC_RELEASE);
}

/* How long the init may wait for a signal: a tenth of a second (its
 * published CPU stays fresh), less where its next look at the tree's CPU
 * is due sooner, or to the deadline, which it then keeps. */
#define INIT_TICK_NS (100ull * 1000 * 1000)
static struct timespec until_next_look(uint64_t deadline_ns, uint64_t look_in_ns)
{
    uint64_t wait = INIT_TICK_NS, now = cordon__now_ns();
    if (look_in_ns && look_in_ns < wait)
        wait = look_in_ns;
    if (deadline_ns && deadline_ns < now + wait)
        wait = deadline_ns > now ? deadline_ns - now : 0;
    return (struct timespec){ .tv_sec = (time_t)(wait / 1000000000u),
                              .tv_nsec = (long)(wait % 1000000000u) };
}

/* Reaps until no process is left, each with its usage counted in the
 * init's own (which the caller's wait4 reads).  When the task's first
 * process ends, or the caller asks (its deadline, a limit, a violation),
 * every other process of the namespace is killed: killed by the init,
 * not by the kernel's end of the namespace, whose reaping counts nothing.
 * At the deadline the init ends the tree by itself: the parent, which
 * names the Timeout, may be kept from its loop (a busy machine, a stdin
 * callback that blocks) and would end it late.  So at the CPU limit
 * (lib/init_cpu_limit.c), where it counts the tree itself. */
static uint64_t own_thread_cpu_ns(void)
{
    struct timespec used;
    if (syscall(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, &used) != 0)
        return 0;
    return (uint64_t)used.tv_sec * 1000000000ull + (uint64_t)used.tv_nsec;
}

/* A look at the tree's CPU is due a quarter of what is left of the limit
 * later (the tree on every CPU overshoots by little more than a look),
 * not under 5 ms, half of what is left later where the count stood still
 * (each look costs the caller a check too: the count moves by the look's
 * own CPU until it is published; a tick later, a spinner the machine's
 * load kept off the CPU for one look, which seemed asleep, ran on up to
 * 100 ms past its limit while the caller was stopped), and never sooner
 * than twenty times what the
 * last look cost: a tree of thousands of processes made each scan tens of
 * milliseconds, which the task does not pay for (the init's CPU is
 * cordon's) and which a child's end, waking the init, would repeat.
 * Returns the time to the next look, 0 where none is due any more. */
#define INIT_CPU_LOOK_MIN_NS (5ull * 1000 * 1000)
#define INIT_CPU_LOOK_COST_SHARE 20
static uint64_t hold_cpu_limit(cordon__init_report *report, cordon__init_cpu_limit *cpu)
{
    if (!cpu->limit_ns)
        return 0;
    uint64_t now = cordon__now_ns();
    if (now < cpu->next_look_ns)
        return cpu->next_look_ns - now;
    uint64_t look_start = own_thread_cpu_ns();
    uint64_t used = cordon__init_tree_cpu_ns(cpu, report);
    uint64_t look_end = own_thread_cpu_ns();
    uint64_t look_cost = look_end > look_start ? look_end - look_start : 0;
    /* Beside a whole counter, a scan keeps its own pace (lib/init_cpu_limit.c). */
    if (cpu->counter_fd >= 0 && !cpu->counter_short)
        look_cost -= cpu->last_scan_cost_ns < look_cost ? cpu->last_scan_cost_ns : look_cost;
    /* A child read alive and then reaped by a parent read after it (a
     * lower pid, once pids wrap) counts twice in one look: a count at the
     * limit is taken only if a second look at once says so too. */
    if (used >= cpu->limit_ns)
        used = cordon__init_tree_cpu_ns(cpu, report);
    /* Asleep: the count moved by less than a tenth of the shortest wait
     * (a cgroup's count moves a little with cordon's own work). */
    bool asleep = cpu->last_count_ns != UINT64_MAX &&
                  used <= cpu->last_count_ns + INIT_CPU_LOOK_MIN_NS / 10;
    cpu->last_count_ns = used;
    if (used >= cpu->limit_ns) {
        __atomic_store_n(&report->cpu_limit_reached_ns, used, __ATOMIC_RELEASE);
        kill(-1, SIGKILL);
        cpu->limit_ns = 0;
        return 0;
    }
    uint64_t wait = cordon__cpu_look_wait((cpu->limit_ns - used) / (asleep ? 2 : 4),
                                          INIT_TICK_NS, INIT_CPU_LOOK_MIN_NS,
                                          look_cost * INIT_CPU_LOOK_COST_SHARE);
    cpu->next_look_ns = now + wait;
    return wait;
}

/* A caller being killed whose thread the task holds in the kernel (a read
 * of a pipe whose lock a splice of the task's holds, which SIGKILL does
 * not end) never finishes dying: its pidfd never turns readable and the
 * death signal never comes, and the task ran on past the caller's kill,
 * holding it so.  A SIGKILL pending for the caller (its shared set, or its
 * main thread's) says it is being killed: a living process never keeps
 * one.  Looked at each second, in the caller's /proc. */
#define CALLER_LOOK_NS (1000ull * 1000 * 1000)
#define SIGKILL_BIT (1ull << (SIGKILL - 1))

/* The hex mask after `field` ("SigPnd:") in /proc/PID/status's text. */
static uint64_t pending_mask(const char *text, const char *field)
{
    size_t length = strlen(field);
    for (const char *at = text; (at = strstr(at, field)); at += length) {
        if (at != text && at[-1] != '\n')
            continue;
        uint64_t mask = 0;
        for (const char *c = at + length; *c && *c != '\n'; c++) {
            int digit = *c >= '0' && *c <= '9' ? *c - '0'
                        : *c >= 'a' && *c <= 'f' ? *c - 'a' + 10 : -1;
            if (digit >= 0)
                mask = mask << 4 | (uint64_t)digit;
        }
        return mask;
    }
    return 0;
}

/* The caller's /proc/PID/status in the caller's /proc. */
static int open_caller_status(pid_t caller)
{
    char path[32], digits[16];
    size_t n = 0;
    for (pid_t p = caller; p > 0 && n < sizeof digits; p /= 10)
        digits[n++] = (char)('0' + p % 10);
    size_t at = 0;
    while (n > 0)
        path[at++] = digits[--n];
    memcpy(path + at, "/status", sizeof "/status");
    return (int)syscall(SYS_openat, CORDON__HOST_PROC_FD, path, O_RDONLY | O_CLOEXEC);
}

/* The caller's status held from before the start, above the fds the
 * start gives numbers to (as the counter is: lib/init_cpu_limit.c), so
 * that the task's first process closes it with them. */
static int hold_caller_status(pid_t caller)
{
    int fd = caller > 0 ? open_caller_status(caller) : -1;
    if (fd < 0)
        return -1;
    int held = fcntl(fd, F_DUPFD_CLOEXEC, CORDON__CLEAR_REFS_FD + 1);
    close(fd);
    return held;
}

/* `status`: the caller's status, held open from the task's start (read
 * again from its start each time), or -1 to open it for this look.  Held,
 * no limit the task's processes could lower on the init since (its open
 * files: policy.h, CORDON__VARIANT_INIT_LIMITS) nor a machine whose file
 * table the task filled keeps the init from seeing the kill. */
static bool caller_being_killed(pid_t caller, int status)
{
    char text[4096];
    int fd = status >= 0 ? status : open_caller_status(caller);
    if (fd < 0)
        return false;
    ssize_t got;
    do
        got = pread(fd, text, sizeof text - 1, 0);
    while (got < 0 && errno == EINTR);
    if (fd != status)
        close(fd);
    if (got <= 0)
        return false;
    text[got] = '\0';
    return ((pending_mask(text, "SigPnd:") | pending_mask(text, "ShdPnd:")) & SIGKILL_BIT) != 0;
}

static void reap_all(cordon__init_report *report, reaping *r, const sigset_t *awaited,
                     uint64_t deadline_ns, pid_t caller, int caller_status)
{
    cordon__init_cpu_limit *cpu = r->cpu;
    uint64_t give_back = r->give_back;
    uint64_t next_caller_look = cordon__now_ns() + CALLER_LOOK_NS;
    while (reap_ended(report, r)) {
        if (caller > 0 && cordon__now_ns() >= next_caller_look) {
            next_caller_look = cordon__now_ns() + CALLER_LOOK_NS;
            if (caller_being_killed(caller, caller_status)) {
                kill(-1, SIGKILL);
                caller = 0;
            }
        }
        /* Its work as it goes is published too, so that the count the
         * limit reads while the task runs is the task's own, as its usage
         * will be. */
        publish_own_cpu(report, give_back);
        if (deadline_ns && cordon__now_ns() >= deadline_ns) {
            kill(-1, SIGKILL);
            deadline_ns = 0;
            /* The deadline ended it: a look at the dying tree's CPU must
             * not report the limit as what did. */
            cpu->limit_ns = 0;
        }
        uint64_t look_in = r->end == TASK_RUNNING ? hold_cpu_limit(report, cpu) : 0;
        /* The look's own CPU is cordon's: published at once, or the
         * tree's count would seem to move while the task sleeps. */
        if (cpu->limit_ns)
            publish_own_cpu(report, give_back);
        siginfo_t info;
        struct timespec wait = until_next_look(deadline_ns, look_in);
        if (sigtimedwait(awaited, &info, &wait) == SIGUSR1)
            kill(-1, SIGKILL);
    }
}

/* The caller's wait4 would add the init's own use to the tree's: its CPU,
 * its faults, and as its peak the memory it shares with (or copied from)
 * the caller.  What it reaped is the task's alone, less what of its first
 * process was cordon's. */
static void publish_tree_usage(cordon__init_report *report, const reaping *r)
{
    struct rusage tree;
    if (!tree_usage_so_far(r, &tree))
        return;
    report->tree_usage = tree;
    __atomic_store_n(&report->tree_usage_valid, 1, __ATOMIC_RELEASE);
}

/* The namespace's own mounts: its /proc (kernel settings read-only for a
 * root task) and the task's own tree. */
static int mount_all(const cordon__launch *l)
{
    return (l->namespaces & CORDON__NAMESPACE_MOUNT) ? mount_task_view(l) : 0;
}

/* The namespaces work: a start whose namespaces the caller presumed
 * rather than probed waits for this word (lib/spawn.c). */
static void say_namespaces_made(const cordon__launch *l)
{
    __atomic_store_n(&l->init_report->namespaces_made, 1, __ATOMIC_RELEASE);
    if (l->namespaces_presumed)
        syscall(SYS_futex, &l->init_report->namespaces_made, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Mounts made while the task's first process sets itself up (on the
 * other CPU, where there is one): it waits for this word before anything
 * of the task runs, and on a failure is killed with the rest. */
static void mount_beside_the_task(const cordon__launch *l)
{
    cordon__setup_record *setup = l->setup;
    int rc = mount_all(l);
    publish_own_cpu(l->init_report, 0); /* before the task's own CPU can be counted */
    __atomic_store_n(&setup->init_mounts, rc < 0 ? INIT_MOUNTS_FAILED : INIT_MOUNTS_DONE,
                     __ATOMIC_RELEASE);
    syscall(SYS_futex, &setup->init_mounts, FUTEX_WAKE, 1, NULL, NULL, 0);
    if (rc < 0) {
        kill(-1, SIGKILL);
        cordon__child_fail(setup, STEP_NAMESPACES, rc);
    }
    say_namespaces_made(l);
}

int cordon__task_init_main(void *launch)
{
    const cordon__launch *l = launch;
    cordon__setup_record *setup = l->setup;
    int rc;
    if ((rc = die_with_caller()) < 0)
        cordon__child_fail(setup, STEP_PARENT_DEATH_SIGNAL, rc);
    /* The view's copy of the caller's mounts, read by the child that
     * started this init, is the table the covers were read from, or
     * nothing of the task starts: the parent, which compares them too,
     * ends this init and starts again (lib/spawn.c: follow_init). */
    if ((l->namespaces & CORDON__NAMESPACE_MOUNT) &&
        __atomic_load_n(&l->init_report->view_table_digest, __ATOMIC_ACQUIRE) !=
            l->mount_table_digest)
        cordon__child_fail(setup, STEP_NAMESPACES, -ESTALE);
    bool beside = cordon__mounts_after_start(l);
    if (!beside && (rc = mount_all(l)) < 0)
        cordon__child_fail(setup, STEP_NAMESPACES, rc);
    if (!beside)
        say_namespaces_made(l);
    sigset_t awaited;
    accept_end_request(&awaited);
    if ((l->counts_processes || l->cpu_limit_ns) && (rc = outlive_the_starter(l->init_report)) < 0)
        cordon__child_fail(setup, STEP_NAMESPACES, rc);
    record_uncounted_cpu(l->init_report);
    /* Opened while the init may (its /proc/self becomes root's below);
     * the task's first process closes it with every fd of the start. */
    int oom_score_adj = cordon__open_own_oom_score_adj();
    if (oom_score_adj < -1)
        cordon__child_fail(setup, STEP_NAMESPACES, oom_score_adj);
    /* Out of the reach of the task's processes (its user's), before the
     * first of them starts; not before the wait: the parent's counter of
     * the tree's CPU may be attached to a process of its user's only
     * while that process is dumpable (or the parent is root).  Until the
     * task starts, nothing in the namespace but the init runs. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        cordon__child_fail(setup, STEP_NAMESPACES, -errno);
    if (!l->fn)
        forget_callers_command_line();
    /* A command's first process gives back the memory it shares with the
     * init, all but this stack (lib/child.c): from its start on, the init
     * reads only its locals, the report and the setup record (both
     * shared), and a function's launch data (nothing is given back). */
    cordon__init_report *report = l->init_report;
    __atomic_store_n(&report->init_stack, (uint64_t)(uintptr_t)&awaited, __ATOMIC_RELEASE);
    /* Counted only where the namespace's own /proc lists the tree alone. */
    cordon__init_cpu_limit cpu = {
        .limit_ns = (l->namespaces & CORDON__NAMESPACE_MOUNT) ? l->cpu_limit_ns : 0,
        .tick_ns = l->clock_tick_ns,
        .last_count_ns = UINT64_MAX, /* the first look is no sleeping tree's */
        .cpu_stat_fd = -1,
        .counter_fd = -1,
    };
    /* The task's v2 cgroup's cpu.stat, by a path kept on this stack (the
     * launch may be given back), opened once the task has started, so
     * that the task's first process never holds it. */
    char cpu_stat[PATH_MAX] = "";
    if (cpu.limit_ns && l->cgroup.v2_dir >= 0 && l->cgroup.dirs[l->cgroup.v2_dir] &&
        strlen(l->cgroup.dirs[l->cgroup.v2_dir]) < sizeof cpu_stat - sizeof "/cpu.stat") {
        strcpy(cpu_stat, l->cgroup.dirs[l->cgroup.v2_dir]);
        strcat(cpu_stat, "/cpu.stat");
    }
    /* Read before the start: a command's first process gives back the
     * launch's pages, which then read as zeros.  Read after it, the
     * deadline of a task from a caller holding 256 MiB was 0, and the
     * init held none while the caller was away (the task ran 1.5 s under
     * a 200 ms deadline, 20 runs of 20). */
    uint64_t deadline_ns = l->deadline_ns == UINT64_MAX ? 0 : l->deadline_ns;
    pid_t caller = l->parent_pid;
    bool start_noted = cordon__start_note_is_evidence(l);
    /* Before the start: the task's first process and all it starts
     * inherit the counter.  Where a v2 cgroup counts, none is needed. */
    if (cpu.limit_ns && !cpu_stat[0] && l->init_may_count_cpu)
        cordon__init_open_counter(&cpu);
    /* Before the start, so that nothing of the task's can come first (the
     * task's first process closes it, with every fd of the start, before
     * anything of the task's runs). */
    int caller_status = hold_caller_status(caller);
    pid_t task = start_task(l);
    if (task < 0)
        cordon__child_fail(setup, STEP_NAMESPACES, task);
    /* Written by its first process before its exec (start_task returns
     * after it), out of reach of anything of the task's. */
    uint64_t give_back = __atomic_load_n(&report->give_back_cpu_ns, __ATOMIC_ACQUIRE);
    if (beside) /* a function task's */
        mount_beside_the_task(l);
    else
        publish_own_cpu(report, give_back);
    /* The task's processes keep the oom_score_adj of 1000 they inherit
     * from the init; the init, a copy of the caller, leaves them now. */
    cordon__leave_oom_victims(oom_score_adj);
    /* Out of the task's process group: whatever the task's processes do to
     * their group does not reach the init. */
    setpgid(0, 0);
    cpu.first = task;
    cpu.give_back_ns = give_back;
    if (cpu_stat[0])
        cpu.cpu_stat_fd = open(cpu_stat, O_RDONLY | O_CLOEXEC);
    reaping reaped = { .task = task, .give_back = give_back, .setup = start_noted ? setup : NULL,
                       .cpu = &cpu,
                       .end = TASK_RUNNING,
                       .task_pidfd = (int)syscall(SYS_pidfd_open, task, 0) };
    reap_all(report, &reaped, &awaited, deadline_ns, caller, caller_status);
    publish_tree_usage(report, &reaped);
    _exit(0);
}
