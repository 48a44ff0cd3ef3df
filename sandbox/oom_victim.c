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

/* Its own oom_score_adj, to write; -1 where there is nothing to ask (no
 * /proc, or a caller that made itself undumpable: its /proc/self is
 * root's, and the task is no worse off than before). */
int cordon__open_own_oom_score_adj(void)
{
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == EACCES ? -1 : -errno;
    return fd;
}

static int write_oom_score_adj(int fd, const char *value, size_t length)
{
    ssize_t n;
    do
        n = pwrite(fd, value, length, 0);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)length ? 0 : n < 0 ? -errno : -EIO;
}

int cordon__prefer_as_oom_victim(void)
{
    int fd = cordon__open_own_oom_score_adj();
    if (fd < 0)
        return fd == -1 ? 0 : fd;
    int rc = write_oom_score_adj(fd, "1000", 4);
    close(fd);
    return rc;
}

/* By `fd`, opened while the init could (before it made itself undumpable:
 * from then on its /proc/self is root's, which a caller that is not root
 * may not write, and the init of a nobody caller kept 1000).  Nothing to do
 * about a refusal: the init is then as it was.  Closes `fd`. */
void cordon__leave_oom_victims(int fd)
{
    if (fd < 0)
        return;
    if (write_oom_score_adj(fd, "-1000", 5) < 0)
        write_oom_score_adj(fd, "0", 1);
    close(fd);
}
