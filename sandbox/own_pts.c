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
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>

#include "confine.h"

/* Every devpts instance but the machine's first draws on one pool of
 * kernel.pty.max less kernel.pty.reserve (4,096 less 1,024 here), which
 * no namespace divides: a task that opened /dev/ptmx until it failed
 * (ENOSPC at some 3,000) left no pseudo-terminal to its siblings' own
 * instances, nor to a container's, while it ran (the caller's, in the
 * first instance, keep the reserve).  A task's instance holds a quarter
 * of what is free of that pool when it starts (kernel.pty.nr counts every
 * instance's) and of what the process's live tasks were not given
 * (share_ledger.c): tasks started one after another never take its last,
 * nor do ten started at once by one process (fourteen could: each gets a
 * sixteenth of a lone task's share at least).  The limits are read once,
 * the count at each task, in the parent. */
uint64_t cordon__devpts_options(char out[CORDON__DEVPTS_OPTIONS_SIZE])
{
    static uint64_t pool; /* 0: not read yet; UINT64_MAX: unreadable */
    uint64_t known = __atomic_load_n(&pool, __ATOMIC_ACQUIRE);
    if (!known) {
        uint64_t most = cordon__file_leading_number("/proc/sys/kernel/pty/max");
        uint64_t reserve = cordon__file_leading_number("/proc/sys/kernel/pty/reserve");
        known = most > reserve ? most - reserve : UINT64_MAX;
        __atomic_store_n(&pool, known, __ATOMIC_RELEASE);
    }
    if (known == UINT64_MAX) {
        snprintf(out, CORDON__DEVPTS_OPTIONS_SIZE, "newinstance,ptmxmode=0666,mode=0620");
        return 0;
    }
    uint64_t used = cordon__file_leading_number("/proc/sys/kernel/pty/nr");
    uint64_t share = cordon__share_take(CORDON__SHARE_TERMINALS, used < known ? known - used : 0);
    snprintf(out, CORDON__DEVPTS_OPTIONS_SIZE, "newinstance,ptmxmode=0666,mode=0620,max=%llu",
             (unsigned long long)share);
    return share;
}

/* Where the kernel refuses a devpts (before Linux 4.7 in a user
 * namespace, a container's policy) an empty, read-only tmpfs hides the
 * caller's terminals all the same: no pseudo-terminals for the task, not
 * less confinement.  A machine without /dev/pts has nothing to hide. */
int cordon__mount_own_pts(const char *devpts_options)
{
    const unsigned long flags = MS_NOSUID | MS_NOEXEC;
    if (mount("devpts", "/dev/pts", "devpts", flags, devpts_options) == 0)
        return 0;
    if (errno == ENOENT || errno == ENOTDIR)
        return 0;
    if (errno != EPERM && errno != EACCES && errno != EINVAL && errno != ENODEV)
        return -errno;
    if (mount("tmpfs", "/dev/pts", "tmpfs", flags | MS_NODEV | MS_RDONLY, "mode=0755") != 0)
        return -errno;
    return 0;
}
