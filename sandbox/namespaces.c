/*
 * The namespaces a task lives in: its own pid namespace (it cannot name,
 * signal, renice or ptrace any process outside its tree; a process of the
 * task can never become a child of the caller; and the whole tree dies
 * with the init process cordon puts at its top, which dies with the
 * caller), its own mount namespace with a /proc of its own pid namespace
 * (the caller's /proc/PID files are out of its sight), and, for a caller
 * that is not root, the user namespace that lets it make the others.
 *
 * The user namespace maps the caller's own uid and gid to themselves and
 * nothing else: files keep their owners, and the task's ids are the
 * caller's.  Its capabilities inside it are dropped like any other.
 *
 * What the machine allows is presumed at a process's first task (the
 * namespaces nearly every machine gives), and shown by that start: where
 * its init made its mounts, they work.  A start that could not make them
 * is undone before anything of its task runs, and what the machine allows
 * is then probed, in a copy of the process, so that a kernel or a
 * container that refuses a namespace is known before the task starts
 * again: it then runs without it, and its result says so.
 * It is probed again when the process's ids or dumpability changed: a
 * root caller that switched to another user (setresuid) makes namespaces
 * as that user now, through a user namespace, and the kernel made it
 * undumpable, so that the id maps of one cannot be written (the /proc
 * files of an undumpable process are root's).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fork_reset.h"
#include "confine.h"
#include "environment_switch.h"
#include "per_task_state.h"

/* Who probed: a process whose ids or dumpability differ probes again. */
typedef struct prober {
    pid_t pid;
    uid_t euid;
    gid_t egid;
    int dumpable;
} prober;

static unsigned available;
static const char *unavailable_why = "";
static prober probed;
static pthread_mutex_t probe_lock CORDON__PER_TASK_STATE = PTHREAD_MUTEX_INITIALIZER;
CORDON__RESET_IN_FORKED_COPIES(&probe_lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&probed.pid);

/* Child side: every write of a map file whole, or an errno. */
static int write_file(const char *path, const char *text, size_t len)
{
    int fd;
    do
        fd = open(path, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -errno;
    ssize_t n;
    do
        n = write(fd, text, len);
    while (n < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    if (n < 0)
        return -saved;
    return (size_t)n == len ? 0 : -EIO;
}

/* "ID ID 1\n" without snprintf, which is not async-signal-safe. */
static size_t identity_map(char *out, unsigned id)
{
    char digits[12];
    size_t count = 0;
    do
        digits[count++] = (char)('0' + id % 10);
    while ((id /= 10) != 0);
    size_t len = 0;
    for (int copy = 0; copy < 2; copy++) {
        for (size_t i = count; i > 0; i--)
            out[len++] = digits[i - 1];
        out[len++] = ' ';
    }
    out[len++] = '1';
    out[len++] = '\n';
    return len;
}

int cordon__map_own_ids(uid_t uid, gid_t gid)
{
    char line[32];
    int rc = write_file("/proc/self/setgroups", "deny", 4);
    if (rc < 0 && rc != -ENOENT)
        return rc;
    if ((rc = write_file("/proc/self/uid_map", line, identity_map(line, uid))) < 0)
        return rc;
    return write_file("/proc/self/gid_map", line, identity_map(line, gid));
}

int cordon__enter_namespaces(unsigned what)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    int flags = 0;
    if (what & CORDON__NAMESPACE_USER)
        flags |= CLONE_NEWUSER;
    if (what & CORDON__NAMESPACE_PID)
        flags |= CLONE_NEWPID;
    if (what & CORDON__NAMESPACE_MOUNT)
        flags |= CLONE_NEWNS;
    if (what & CORDON__NAMESPACE_NET)
        flags |= CLONE_NEWNET;
    if (what & CORDON__NAMESPACE_IPC)
        flags |= CLONE_NEWIPC;
    if (what & CORDON__NAMESPACE_UTS)
        flags |= CLONE_NEWUTS;
    /* The child is in its cgroups by now (lib/child.c): they become the
     * root of what the task sees in /proc/self/cgroup. */
    if (what & CORDON__NAMESPACE_CGROUP)
        flags |= CLONE_NEWCGROUP;
    if (unshare(flags) != 0)
        return -errno;
    return (what & CORDON__NAMESPACE_USER) ? cordon__map_own_ids(uid, gid) : 0;
}

int cordon__set_hostname(const char *name)
{
    size_t len = 0;
    while (name[len])
        len++;
    if (sethostname(name, len) != 0)
        return -errno;
    return 0;
}

int cordon__keep_mounts_apart(void)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return -errno;
    return 0;
}

int cordon__mount_own_proc(void)
{
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        return -errno;
    return 0;
}

/* mount_setattr(2) (Linux 5.12): one call for a whole subtree. */
struct mount_attributes {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#define MOUNT_ATTRIBUTE_READ_ONLY 0x00000001

static int bind_read_only(const char *path)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0)
        return -errno;
    if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0)
        return -errno;
    return 0;
}

int cordon__protect_kernel_settings(void)
{
    /* What root owns in /proc beyond a process's own files: the kernel's
     * settings, interrupt routing, bus and driver controls. */
    static const char *const settings[] = {
        "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs",
        "/proc/acpi", "/proc/asound", "/proc/driver", "/proc/scsi",
    };
    for (size_t i = 0; i < sizeof settings / sizeof *settings; i++) {
        int rc = bind_read_only(settings[i]);
        if (rc < 0 && rc != -ENOENT)
            return rc;
    }
    return 0;
}

/* Private too: a slave of the caller's /sys took a mount the caller made
 * there while the task ran writable into the task's read-only /sys. */
int cordon__make_sys_read_only(void)
{
    struct mount_attributes read_only = { .attr_set = MOUNT_ATTRIBUTE_READ_ONLY,
                                          .propagation = MS_PRIVATE };
    if (syscall(SYS_mount_setattr, AT_FDCWD, "/sys", AT_RECURSIVE, &read_only,
                sizeof read_only) == 0)
        return 0;
    if (errno == ENOENT)
        return 0;
    /* EINVAL: no mount there (a container without sysfs): nothing to hold. */
    struct statfs fs;
    if (errno == EINVAL && statfs("/sys", &fs) == 0 && fs.f_type != SYSFS_MAGIC)
        return 0;
    if (errno != ENOSYS)
        return -errno;
    /* Before 5.12: /sys itself; the file systems mounted below it stay. */
    if (mount(NULL, "/sys", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
              NULL) != 0 ||
        mount(NULL, "/sys", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return -errno;
    return 0;
}

/* What a probe's child says: the machine refuses (1 to 4), or it was
 * short of something for the moment (SHORT, NO_SPACE), which says
 * nothing of the machine.  ENOSPC is the user's namespaces all made
 * (other tasks of the user holding them: the count is per user, and a
 * task's nested ones count against its caller's): taken for a refusal,
 * every later task of the process ran without a pid, mount or IPC
 * namespace.  A pid namespace nested deeper than the kernel allows is
 * ENOSPC too: there every task fails, none runs without. */
#define PROBE_SHORT 10
#define PROBE_NO_SPACE 11
#define PROBE_NO_FDS 12 /* short of fds: said as such, not as of processes */
#define PROBE_NO_MEMORY 13

static _Noreturn void probe_exit(int code, int error)
{
    if (error == ENOSPC)
        _exit(PROBE_NO_SPACE);
    if (error == EMFILE || error == ENFILE)
        _exit(PROBE_NO_FDS);
    if (error == ENOMEM)
        _exit(PROBE_NO_MEMORY);
    _exit(error == EAGAIN ? PROBE_SHORT : code);
}

/* The probe: unshares what is asked in a forked child, starts an init in
 * the new pid namespace and, if asked, mounts its /proc there. */
static _Noreturn void probe_child(unsigned what)
{
    /* A copy of the caller's stdio buffers: under valgrind its _exit
     * flushes them (glibc's freeres), and the caller's unflushed output
     * came out once more per probe.  It writes nothing of its own. */
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close(null);
    }
    /* The start in namespaces also needs pidfds (lib/child.c). */
    if (syscall(SYS_pidfd_open, getpid(), 0) < 0)
        probe_exit(5, errno);
    int rc = cordon__enter_namespaces(what);
    if (rc < 0)
        probe_exit(1, -rc);
    /* A caller that ignores SIGCHLD passed that on: the kernel would reap
     * the init at its end, and its status would be lost. */
    struct sigaction default_action = { .sa_handler = SIG_DFL };
    sigaction(SIGCHLD, &default_action, NULL);
    pid_t init = _Fork();
    if (init < 0)
        probe_exit(2, errno);
    if (init == 0) {
        rc = (what & CORDON__NAMESPACE_MOUNT) ? cordon__keep_mounts_apart() : 0;
        if (rc == 0 && (what & CORDON__NAMESPACE_MOUNT))
            rc = cordon__mount_own_proc();
        if (rc < 0)
            probe_exit(3, -rc);
        _exit(0);
    }
    int status = 0;
    pid_t reaped;
    while ((reaped = waitpid(init, &status, 0)) < 0 && errno == EINTR)
        ;
    _exit(reaped == init && WIFEXITED(status) ? WEXITSTATUS(status) : 4);
}

/* 1: the namespaces work; 0: the machine refuses them; -errno: the probe
 * was short of processes, memory, fds or namespaces, and knows nothing. */
static int works(unsigned what)
{
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    /* A copy without the caller's fork handlers (they are for forks of
     * its own, not for a probe that runs nothing of the caller's) and
     * without an exit signal: a caller that ignores SIGCHLD had the kernel
     * reap it, and the probe read a status nobody wrote; a caller's
     * SIGCHLD handler or waitpid(-1) neither sees nor reaps it. */
    pid_t pid = (pid_t)syscall(SYS_clone, 0, NULL, NULL, NULL, 0);
    int fork_errno = errno;
    if (pid == 0)
        probe_child(what);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (pid < 0)
        return -fork_errno;
    int status = 0;
    pid_t reaped;
    while ((reaped = waitpid(pid, &status, __WALL)) < 0 && errno == EINTR)
        ;
    if (reaped != pid)
        return -ECHILD; /* knows nothing: the next task probes again */
    if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_SHORT)
        return -EAGAIN;
    if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_NO_SPACE)
        return -ENOSPC;
    if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_NO_FDS)
        return -EMFILE;
    if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_NO_MEMORY)
        return -ENOMEM;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Why no namespace works for this process, as far as it can tell. */
static const char *why_none(const prober *p)
{
    if (p->euid != 0 && p->dumpable != 1)
        return "it is neither root nor dumpable, so the id maps of a user namespace "
               "cannot be written; a process that switched from root to another user "
               "(setresuid) is undumpable until it calls prctl(PR_SET_DUMPABLE, 1) or execs";
    return "the kernel or the container refused them (user namespaces turned off, or no "
           "CAP_SYS_ADMIN)";
}

/* The namespaces this machine gives, in *found; -errno where a probe was
 * short of something and could not tell. */
static int probe(const prober *p, unsigned *found)
{
    *found = 0;
    if (cordon__environment_switch("CORDON_NO_NAMESPACES")) {
        unavailable_why = "CORDON_NO_NAMESPACES turns them off in this process's environment";
        return 0;
    }
    /* Root makes them directly; anyone else, and root in a container
     * that took CAP_SYS_ADMIN away, through a user namespace. */
    unsigned users[2] = { geteuid() == 0 ? 0 : CORDON__NAMESPACE_USER, CORDON__NAMESPACE_USER };
    unavailable_why = "the machine lets this process make a pid namespace but no mount "
                      "namespace";
    for (int i = 0; i < (users[0] ? 1 : 2); i++) {
        unsigned full = users[i] | CORDON__NAMESPACE_PID | CORDON__NAMESPACE_MOUNT |
                        CORDON__NAMESPACE_IPC;
        const unsigned tried[2] = { full, users[i] | CORDON__NAMESPACE_PID };
        for (int t = 0; t < 2; t++) {
            int rc = works(tried[t]);
            if (rc < 0)
                return rc;
            if (rc > 0) {
                *found = tried[t];
                return 0;
            }
        }
    }
    unavailable_why = why_none(p);
    return 0;
}

/* Probed once per process, by its first task.  A probe short of
 * processes, memory or fds (a caller at its limits, a sibling task of its
 * user holding every process it may have) says nothing of the machine:
 * kept as "no namespaces", every later task ran without them (a pid
 * namespace missing: the task saw the machine's processes) and every
 * preset failed.  It is not kept; the task fails with that errno, and the
 * next one probes again. */
int cordon__namespaces_available(unsigned *available_out)
{
    prober now = { getpid(), geteuid(), getegid(), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) };
    int rc = 0;
    pthread_mutex_lock(&probe_lock);
    if (memcmp(&probed, &now, sizeof now) != 0) {
        rc = probe(&now, &available);
        if (rc == 0)
            probed = now;
    }
    *available_out = rc == 0 ? available : 0;
    pthread_mutex_unlock(&probe_lock);
    return rc;
}

/* The set presumed for a process like `p`, or 0 where the probe must
 * decide: CORDON_NO_NAMESPACES (the probe says so cheaply), no pidfds
 * (the start in namespaces needs them: valgrind, kernels before 5.3), an
 * undumpable process that is not root (it cannot write a user
 * namespace's id maps). */
static unsigned presumable(const prober *p)
{
    if (cordon__environment_switch("CORDON_NO_NAMESPACES"))
        return 0;
    if (p->euid != 0 && p->dumpable != 1)
        return 0;
    int pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    if (pidfd < 0)
        return 0;
    close(pidfd);
    return (p->euid == 0 ? 0 : CORDON__NAMESPACE_USER) | CORDON__NAMESPACE_PID |
           CORDON__NAMESPACE_MOUNT | CORDON__NAMESPACE_IPC;
}

static prober presumed_for, refused_for;
CORDON__FORGOTTEN_IN_FORKED_COPIES(&presumed_for.pid);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&refused_for.pid);
static unsigned presumed_set;

int cordon__namespaces_presumed(unsigned *available_out, bool *presumed)
{
    prober now = { getpid(), geteuid(), getegid(), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) };
    *presumed = false;
    pthread_mutex_lock(&probe_lock);
    bool known = memcmp(&probed, &now, sizeof now) == 0;
    unsigned set = known || memcmp(&refused_for, &now, sizeof now) == 0 ? 0 : presumable(&now);
    if (set) {
        presumed_for = now;
        presumed_set = set;
        *presumed = true;
        *available_out = set;
    }
    pthread_mutex_unlock(&probe_lock);
    return set ? 0 : cordon__namespaces_available(available_out);
}

void cordon__namespaces_seen(void)
{
    prober now = { getpid(), geteuid(), getegid(), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) };
    pthread_mutex_lock(&probe_lock);
    /* Seen for the ids it was presumed for: ids changed meanwhile (a
     * setresuid on another thread) are presumed or probed afresh. */
    if (memcmp(&presumed_for, &now, sizeof now) == 0 && memcmp(&probed, &now, sizeof now) != 0) {
        /* What was presumed, not what the task added (a network, a
         * hostname of its own): every later task would have had them. */
        available = presumed_set;
        probed = now;
    }
    pthread_mutex_unlock(&probe_lock);
}

void cordon__namespaces_not_as_presumed(void)
{
    prober now = { getpid(), geteuid(), getegid(), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) };
    pthread_mutex_lock(&probe_lock);
    refused_for = now;
    pthread_mutex_unlock(&probe_lock);
}

const char *cordon__namespaces_missing_why(void)
{
    pthread_mutex_lock(&probe_lock);
    const char *why = unavailable_why;
    pthread_mutex_unlock(&probe_lock);
    return why;
}
