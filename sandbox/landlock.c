/*
 * A Landlock domain per task, so that it cannot signal, trace or read the
 * memory (/proc/PID/mem) of any process it did not start: not the parent,
 * not another task, not the machine's daemons — even when it runs as the
 * same user, even as root.  Each task gets a domain of its own; processes
 * it starts share it.
 *
 * Landlock's scopes (ABI 6, Linux 6.12) stop signals and connections to
 * abstract unix sockets outside the domain.  Before ABI 6 a domain that
 * handles no file access in practice (everything beneath / allowed) still
 * stops ptrace and /proc/PID/mem across it.  Without Landlock the task
 * runs without this layer; the README's threat model says what remains.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fork_reset.h"
#include "confine.h"
#include "held_fds.h"
#include "landlock_abi.h"

/* Made once per process: a function task's child closes the fds it
 * inherits, so a task that runs tasks of its own makes its own ruleset.
 * The lock is only held while a ruleset is made, which the parent did
 * before any fork of a task. */
static int ruleset_fd = -1;
static int landlock_abi;
static pid_t ruleset_pid;
static pthread_mutex_t ruleset_lock = PTHREAD_MUTEX_INITIALIZER;
CORDON__RESET_IN_FORKED_COPIES(&ruleset_lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&ruleset_pid);

static long create_ruleset(const struct ruleset_attributes *attributes, size_t size,
                           uint32_t flags)
{
    return syscall(SYS_landlock_create_ruleset, attributes, size, flags);
}

static int scoped_ruleset(void)
{
    struct ruleset_attributes attributes = {
        .scoped = SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET,
    };
    return (int)create_ruleset(&attributes, sizeof attributes, 0);
}

/* Before scopes: handle one file access and allow it beneath "/", which
 * restricts nothing but still makes a domain. */
static int permissive_ruleset(void)
{
    struct ruleset_attributes attributes = {
        .handled_access_fs = FS_EXECUTE,
    };
    int fd = (int)create_ruleset(&attributes, sizeof(uint64_t), 0);
    if (fd < 0)
        return fd;
    struct path_beneath everything = { .allowed_access = FS_EXECUTE };
    everything.parent_fd = open("/", O_PATH | O_CLOEXEC);
    long rc = everything.parent_fd < 0
                  ? -1
                  : syscall(SYS_landlock_add_rule, fd, RULE_PATH_BENEATH, &everything, 0);
    if (everything.parent_fd >= 0)
        close(everything.parent_fd);
    if (rc != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* 0, or -errno where the kernel has Landlock but the ruleset could not be
 * made (no fd or memory left for it). */
static int prepare_ruleset(void)
{
    landlock_abi = (int)create_ruleset(NULL, 0, CREATE_RULESET_VERSION);
    int fd = landlock_abi >= 6 ? scoped_ruleset() : landlock_abi >= 1 ? permissive_ruleset() : -1;
    if (fd >= 0 && cordon__held_fd_mark(fd) < 0) {
        close(fd);
        fd = -1;
    }
    __atomic_store_n(&ruleset_fd, fd, __ATOMIC_RELEASE);
    return landlock_abi >= 1 && fd < 0 ? (errno ? -errno : -ENOMEM) : 0;
}

/* Whether the ruleset's fd is still its own: a caller that closed it
 * (closefrom(3)) had every later task fail entering its domain, or enter
 * whatever the number held next.  A ruleset gone is made again, its old
 * number left to the caller. */
static bool still_held(void)
{
    int fd = __atomic_load_n(&ruleset_fd, __ATOMIC_ACQUIRE);
    return fd < 0 || cordon__held_fd_is_marked(fd, "anon_inode:[landlock-ruleset]", NULL);
}

/* Made once per process.  A ruleset the kernel could not make for want of
 * an fd or memory says nothing of the machine: kept as "no Landlock",
 * every later task of the process ran without its domain (no scope on
 * signals or abstract sockets: without namespaces a task with no filter
 * could signal its caller).  It is made again for the next task. */
static int prepare_for_this_process(void)
{
    pid_t pid = getpid();
    /* Made already: no lock taken, since a lock written at every task is
     * a page of the caller's the kernel copies after each of its forks. */
    if (__atomic_load_n(&ruleset_pid, __ATOMIC_ACQUIRE) == pid && still_held())
        return 0;
    int rc = 0;
    pthread_mutex_lock(&ruleset_lock);
    if (ruleset_pid != pid || !still_held()) {
        /* no task takes the fast path to a ruleset being made, or not made */
        __atomic_store_n(&ruleset_pid, 0, __ATOMIC_RELEASE);
        rc = prepare_ruleset();
        if (rc == 0)
            __atomic_store_n(&ruleset_pid, pid, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&ruleset_lock);
    return rc;
}

int cordon__landlock_prepare(void)
{
    return prepare_for_this_process();
}

int cordon__landlock_ruleset(void)
{
    prepare_for_this_process();
    return __atomic_load_n(&ruleset_fd, __ATOMIC_ACQUIRE);
}

int cordon__landlock_abi(void)
{
    prepare_for_this_process();
    return landlock_abi > 0 ? landlock_abi : 0;
}

int cordon__enter_landlock_domain(int ruleset)
{
    if (ruleset < 0)
        return 0; /* the machine has no Landlock */
    if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
        return -errno;
    return 0;
}
