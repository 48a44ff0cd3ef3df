/*
 * The caller's pseudo-terminals out of the task's sight.  A task has no
 * controlling terminal, but the caller's terminals are files in
 * /dev/pts, and a task running as the caller's user (an unprivileged
 * caller's, a library's) or as root opened them by name: it wrote escape
 * sequences and fake prompts onto the caller's screen, and read what the
 * user typed there (a password for the caller's next prompt) before the
 * caller's shell did.  The task's mount namespace gets a devpts instance
 * of its own over /dev/pts, where it can still make pseudo-terminals
 * (script, expect) through /dev/ptmx, which the kernel resolves to the
 * devpts mounted beside it.
 *
 * Runs in the init: plain system calls only, nothing allocated.
 */
#include <errno.h>
#include <sys/mount.h>

#include "confine.h"

/* Where the kernel refuses a devpts (before Linux 4.7 in a user
 * namespace, a container's policy) an empty, read-only tmpfs hides the
 * caller's terminals all the same: no pseudo-terminals for the task, not
 * less confinement.  A machine without /dev/pts has nothing to hide. */
int cordon__mount_own_pts(void)
{
    const unsigned long flags = MS_NOSUID | MS_NOEXEC;
    if (mount("devpts", "/dev/pts", "devpts", flags, "newinstance,ptmxmode=0666,mode=0620") == 0)
        return 0;
    if (errno == ENOENT || errno == ENOTDIR)
        return 0;
    if (errno != EPERM && errno != EACCES && errno != EINVAL && errno != ENODEV)
        return -errno;
    if (mount("tmpfs", "/dev/pts", "tmpfs", flags | MS_NODEV | MS_RDONLY, "mode=0755") != 0)
        return -errno;
    return 0;
}
