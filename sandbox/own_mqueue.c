/*
 * POSIX message queues are the IPC namespace's, but they are also files
 * of an mqueue file system, which a system mounts at /dev/mqueue (systemd
 * does): a mount made from the caller's IPC namespace.  A task with an IPC
 * namespace of its own found no queue of the caller's with mq_open, and
 * opened it by its path there instead (an fd of that file system is a
 * queue descriptor: mq_send and mq_receive take it).  The task's mount
 * namespace gets the mqueue file system of its own IPC namespace there.
 *
 * Runs in the init: plain system calls only, nothing allocated.
 */
#include <errno.h>
#include <sys/mount.h>

#include "confine.h"

/* Where the kernel refuses the mount (a container's policy), an empty,
 * read-only tmpfs hides the caller's queues all the same.  A machine
 * without /dev/mqueue has none there to hide. */
int cordon__mount_own_mqueue(void)
{
    const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (mount("mqueue", "/dev/mqueue", "mqueue", flags, NULL) == 0)
        return 0;
    if (errno == ENOENT || errno == ENOTDIR)
        return 0;
    if (errno != EPERM && errno != EACCES && errno != EINVAL && errno != ENODEV)
        return -errno;
    if (mount("tmpfs", "/dev/mqueue", "tmpfs", flags | MS_RDONLY, "mode=0755") != 0)
        return -errno;
    return 0;
}
