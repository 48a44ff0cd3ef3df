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
 * Child side: plain system calls only.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "confine.h"

int cordon__prefer_as_oom_victim(void)
{
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    /* No /proc, or a caller that made itself undumpable (its /proc/self
     * is root's): nothing to ask, the task is no worse off than before. */
    if (fd < 0)
        return errno == ENOENT || errno == EACCES ? 0 : -errno;
    ssize_t n;
    do
        n = write(fd, "1000", 4);
    while (n < 0 && errno == EINTR);
    int rc = n == 4 ? 0 : n < 0 ? -errno : -EIO;
    close(fd);
    return rc;
}
