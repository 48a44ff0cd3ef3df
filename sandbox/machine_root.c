/*
 * Whether uid 0 of the caller's user namespace is the machine's root:
 * what the kernel asks before it lets a process of uid 0 write its
 * settings or its root-owned cgroup files, and what RLIMIT_NPROC leaves
 * unbound.  Root of a user namespace of its own (a rootless container, a
 * CI job's "root", `unshare -r`) is another user to the kernel, and
 * gives up nothing to be held as root's tasks are (its unix sockets).
 *
 * The kernel's settings belong to the machine's root: seen from a user
 * namespace that maps it, owned by 0; from one that does not, by the
 * overflow uid.  A machine without /proc mounted is taken to be root's,
 * which holds a task more, never less.
 */
#include <sys/stat.h>

#include "confine.h"

bool cordon__uid0_is_the_machines(void)
{
    struct stat st;
    return stat("/proc/sys/kernel", &st) != 0 || st.st_uid == 0;
}
