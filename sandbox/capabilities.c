/* Dropping every capability: effective, permitted, inheritable, ambient
 * (emptied by the kernel with the two before it) and bounding.  libcap
 * only tells the parent how many capabilities the kernel has; the child
 * makes the system calls itself.  libcap's cap_set_proc takes a spin lock
 * inside the cap_t: a command's first process, which shares the caller's
 * memory until it execs, held it in the caller's copy, and a function
 * task forked by another thread at that moment spun on the copied lock
 * until its deadline (for ever without one, and in every later task once
 * a first process was killed holding it). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

struct capability_header {
    uint32_t version;
    int pid;
};
struct capability_data {
    uint32_t effective, permitted, inheritable;
};

/* Whether CAP_SETPCAP is effective now: asked per task, since the caller
 * may give it up between two tasks, with one capget (libcap's
 * cap_get_proc allocates and asks three times). */
static bool setpcap_effective(void)
{
    struct capability_header header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct capability_data data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, data) != 0)
        return false;
    return data[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP);
}

int cordon__capability_plan_prepare(cordon__capability_plan *plan)
{
    plan->last_capability = (int)cap_max_bits() - 1;
    plan->can_drop_bounding = setpcap_effective();
    return 0;
}

int cordon__drop_bounding_set(const cordon__capability_plan *plan)
{
    /* Dropping the bounding set needs CAP_SETPCAP, which switching user or
     * clearing the sets takes away, so this comes first.  Without
     * CAP_SETPCAP there is nothing the bounding set could hand back under
     * no_new_privs.  A caller without it has it in the task's own user
     * namespace, asked here: the parent asked outside it, and the task of
     * an unprivileged caller kept the whole bounding set, which the
     * result and the README said was dropped. */
    if (plan->can_drop_bounding || setpcap_effective()) {
        for (int cap = 0; cap <= plan->last_capability; cap++) {
            if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) != 0 && errno != EINVAL)
                return -errno;
        }
    }
    /* The ambient set needs no call of its own: the kernel keeps it within
     * permitted and inheritable, so cordon__clear_capabilities empties it
     * (libcap's cap_reset_ambient would ask about each capability first,
     * some forty system calls per task). */
    return 0;
}

int cordon__clear_capabilities(const cordon__capability_plan *plan)
{
    (void)plan;
    struct capability_header header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct capability_data none[_LINUX_CAPABILITY_U32S_3] = { { 0, 0, 0 } };
    if (syscall(SYS_capset, &header, none) != 0)
        return -errno;
    return 0;
}

int cordon__set_no_new_privileges(void)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    return 0;
}
