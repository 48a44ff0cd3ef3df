/*
 * Mounts of a task's own, made by its init in the task's mount namespace
 * (after the namespace's propagation was cut from the caller's, so
 * nothing here is seen outside): an empty tmpfs over a directory such
 * as /tmp, where the task's scratch files live and die with it, out of
 * sight of the caller's /tmp and of every other task's.
 */
#include <errno.h>
#include <sys/mount.h>

#include "confine.h"

int cordon__mount_private_tmpfs(const char *path)
{
    /* No devices, no set-uid files; sticky and world-writable like /tmp,
     * for a task that runs as another user than the init. */
    if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
        return -errno;
    return 0;
}
