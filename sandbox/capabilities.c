/* Dropping every capability with libcap: effective, permitted, inheritable,
 * ambient (emptied by the kernel with the two before it) and bounding.
 * The cap_t is built in the parent because cap_init allocates; the child
 * only applies it. */
#include <errno.h>
#include <stddef.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "confine.h"

int cordon__capability_plan_prepare(cordon__capability_plan *plan)
{
    plan->empty = cap_init();
    if (!plan->empty)
        return -ENOMEM;
    plan->last_capability = (int)cap_max_bits() - 1;
    plan->can_drop_bounding = false;
    cap_t current = cap_get_proc();
    if (current) {
        cap_flag_value_t setpcap = CAP_CLEAR;
        if (cap_get_flag(current, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap) == 0)
            plan->can_drop_bounding = setpcap == CAP_SET;
        cap_free(current);
    }
    return 0;
}

void cordon__capability_plan_release(cordon__capability_plan *plan)
{
    if (plan->empty)
        cap_free(plan->empty);
    plan->empty = NULL;
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
