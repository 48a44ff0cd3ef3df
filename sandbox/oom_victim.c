/*
 * Memory the OOM killer cannot pin on a process: a task's tmpfs mounts (a
 * preset's /tmp, its own /dev/shm) and its page cache belong to no
 * process.  Without a memory cgroup (an unprivileged caller's, most
 * often) nothing bounds them but the machine, and when they fill it the
 * killer picks the process with the most memory of its own: the caller,
 * or whatever else runs there, never the small processes of the task.
 * The task's processes are made the first to go (oom_score_adj 1000, what
 * any process may ask for itself); their end ends the task's namespaces,
 * and its tmpfs mounts with them.  A task may lower its own back to 0 (not
 * below): this holds against a task that runs out of memory by accident,
 * not against one that means to (a memory limit does).
 *
 * cordon's init inherits that setting, and it holds a copy of the caller
 * (all of a function task's caller, a command's kept .bss): under the
 * task's memory limit the kernel took it, the largest process at 1000,
 * and the whole namespace with it, so that a task that would have handled
 * its child's kill was ended for the caller's memory.  Once the task has
 * started, the init leaves the victims: -1000 where it may ask that
 * (CAP_SYS_RESOURCE of the machine's user namespace, which an init in a
 * user namespace of its own lacks), else 0, which a process that raised
 * its own setting without that capability may go back to: the task's
 * processes, at 1000, then go first by the whole of the memory limit.
 *
 * Child side: plain system calls only.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "confine.h"

static int write_oom_score_adj(const char *value, size_t length)
{
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    /* No /proc, or a caller that made itself undumpable (its /proc/self
     * is root's): nothing to ask, the task is no worse off than before. */
    if (fd < 0)
        return errno == ENOENT || errno == EACCES ? 0 : -errno;
    ssize_t n;
    do
        n = write(fd, value, length);
    while (n < 0 && errno == EINTR);
    int rc = n == (ssize_t)length ? 0 : n < 0 ? -errno : -EIO;
    close(fd);
    return rc;
}

int cordon__prefer_as_oom_victim(void)
{
    return write_oom_score_adj("1000", 4);
}

/* Nothing to do about a refusal: the init is then as it was. */
void cordon__leave_oom_victims(void)
{
    if (write_oom_score_adj("-1000", 5) < 0)
        write_oom_score_adj("0", 1);
}
