/* Dropping every capability with libcap: effective, permitted, inheritable,
 * ambient (emptied by the kernel with the two before it) and bounding.
 * The cap_t is built in the parent because cap_init allocates; the child
 * only applies it. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

/* The empty set never changes: made once per process, on first use (a
 * failed attempt is tried again by the next task), and kept. */
static cap_t empty_set;

static cap_t shared_empty_set(void)
{
    cap_t set = __atomic_load_n(&empty_set, __ATOMIC_ACQUIRE);
    if (set)
        return set;
    cap_t made = cap_init();
    if (!made)
        return NULL;
    if (__atomic_compare_exchange_n(&empty_set, &set, made, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return made;
    cap_free(made); /* another thread's came first */
    return set;
}

/* Whether CAP_SETPCAP is effective now: asked per task, since the caller
 * may give it up between two tasks, with one capget (libcap's
 * cap_get_proc allocates and asks three times). */
static bool setpcap_effective(void)
{
    struct {
        uint32_t version;
        int pid;
    } header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct {
        uint32_t effective, permitted, inheritable;
    } data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, data) != 0)
        return false;
    return data[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP);
}

int cordon__capability_plan_prepare(cordon__capability_plan *plan)
{
    plan->empty = shared_empty_set();
    if (!plan->empty)
        return -ENOMEM;
    plan->last_capability = (int)cap_max_bits() - 1;
    plan->can_drop_bounding = setpcap_effective();
    return 0;
}

int cordon__drop_bounding_set(const cordon__capability_plan *plan)
{
    /* Dropping the bounding set needs CAP_SETPCAP, which switching user or
     * clearing the sets takes away, so this comes first.  Without
     * CAP_SETPCAP there is nothing the bounding set could hand back under
     * no_new_privs. */
    if (plan->can_drop_bounding) {
        for (int cap = 0; cap <= plan->last_capability; cap++) {
            if (cap_drop_bound((cap_value_t)cap) != 0 && errno != EINVAL)
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
    if (cap_set_proc((cap_t)plan->empty) != 0)
        return -errno;
    return 0;
}

int cordon__set_no_new_privileges(void)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    return 0;
}
