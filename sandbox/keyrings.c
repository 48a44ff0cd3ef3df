/*
 * The kernel's keyrings are not a namespace of their own: a forked
 * process keeps its parent's session keyring, whatever its user, its
 * namespaces or its Landlock domain.  A task that could make keyring
 * calls (no filter, or a policy that allows them) read the keys the caller
 * keeps there (tokens, tickets, disk keys) as their possessor, planted
 * keys of its own in the caller's keyring, and passed them to its
 * siblings, which share that keyring too.
 */
#include <errno.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

/* Child side: the task's first process joins a new, empty, anonymous
 * session keyring, which its processes share and nothing else holds; the
 * caller's is no longer reachable from it.  Made after the user switch so
 * that it is the task's user's, counted against that user's quota and
 * gone with the task.  A kernel without keyrings has nothing to give
 * away, nor has a cordon run as a task of another's, whose filter refuses
 * every keyring call (EPERM) to it and to all it starts
 * (shared_objects_guard.c): a nested cordon under --policy none failed to
 * start any task. */
int cordon__leave_callers_keyrings(void)
{
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) >= 0)
        return 0;
    return errno == ENOSYS || errno == EPERM ? 0 : -errno;
}
