/* Resource limits and the user switch, applied in the child before the
 * capabilities that allow them are dropped. */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

/* The kernel lets any process lower its hard limits.  valgrind, which
 * keeps fds of its own above the task's, refuses every change to the hard
 * RLIMIT_NOFILE (EPERM) and allows the soft one below it: there the soft
 * limit alone is set, so that tasks run under memcheck (make valgrind)
 * rather than every one ending in ConfinementError. */
static int lower_open_files_where_the_hard_limit_is_fixed(const struct rlimit *wanted)
{
    struct rlimit now;
    if (getrlimit(RLIMIT_NOFILE, &now) != 0 || wanted->rlim_max > now.rlim_max)
        return -EPERM;
    now.rlim_cur = wanted->rlim_cur;
    return setrlimit(RLIMIT_NOFILE, &now) == 0 ? 0 : -errno;
}

int cordon__apply_resource_limits(const struct rlimit *limits, const bool *limit_set)
{
    for (int resource = 0; resource < RLIM_NLIMITS; resource++) {
        if (!limit_set[resource] || setrlimit(resource, &limits[resource]) == 0)
            continue;
        int error = errno;
        if (resource == RLIMIT_NOFILE && error == EPERM &&
            lower_open_files_where_the_hard_limit_is_fixed(&limits[resource]) == 0)
            continue;
        return -error;
    }
    return 0;
}

void cordon__lower_process_ceiling(uint64_t ceiling)
{
    struct rlimit processes;
    if (!ceiling || getrlimit(RLIMIT_NPROC, &processes) != 0 ||
        (processes.rlim_cur != RLIM_INFINITY && processes.rlim_cur <= ceiling))
        return;
    processes.rlim_cur = (rlim_t)ceiling;
    (void)setrlimit(RLIMIT_NPROC, &processes); /* best effort, as the share is */
}

int cordon__raise_open_files_to_hard(void)
{
    struct rlimit open_files;
    if (getrlimit(RLIMIT_NOFILE, &open_files) != 0)
        return -errno;
    open_files.rlim_cur = open_files.rlim_max;
    return setrlimit(RLIMIT_NOFILE, &open_files) == 0 ? 0 : -errno;
}

/* The effective ids as the real and saved ones too.  A caller whose own
 * differ (setresuid(0, 65534, 0), a set-uid program) handed them on: its
 * task, run as 65534 and recorded so, took uid 0 back with setresuid, and
 * a command exec'd under a full bounding set became uid 0, neither held
 * as root's tasks are (unix sockets, a process limit RLIMIT_NPROC does
 * not bind).  Raw calls, as below. */
int cordon__settle_ids(void)
{
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    if (syscall(SYS_getresuid, &ruid, &euid, &suid) != 0 ||
        syscall(SYS_getresgid, &rgid, &egid, &sgid) != 0)
        return -errno;
    if ((rgid != egid || sgid != egid) && syscall(SYS_setresgid, egid, egid, egid) != 0)
        return -errno;
    if ((ruid != euid || suid != euid) && syscall(SYS_setresuid, euid, euid, euid) != 0)
        return -errno;
    return 0;
}

/* Raw system calls, not glibc's wrappers: those change every thread of
 * the process by signalling the threads glibc has on its list, and the
 * child's list is a copy of the caller's, naming threads the child does
 * not have (it would wait for them for ever).  The child has one thread,
 * whose credentials the kernel calls change. */
int cordon__switch_user(uid_t uid, gid_t gid)
{
    /* Groups first: after setresuid the right to change them is gone. */
    if (syscall(SYS_setgroups, 0, NULL) != 0)
        return -errno;
    if (syscall(SYS_setresgid, gid, gid, gid) != 0)
        return -errno;
    if (syscall(SYS_setresuid, uid, uid, uid) != 0)
        return -errno;
    return 0;
}
