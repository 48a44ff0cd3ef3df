/*
 * The CGROUP_MOVES variant's second half (a task of uid 0, or one with a
 * v2 cgroup of its own): no cgroup namespace of the task's own.
 *
 * A cgroup file system may be mounted by whoever holds CAP_SYS_ADMIN over
 * the cgroup namespace it is in, and a task whose policy lets it make
 * namespaces makes a user namespace (every capability there) and a cgroup
 * namespace in it: its mount (a detached fsmount, which no path rule
 * sees) shows each hierarchy from the cgroup the task is in.  cgroup v1
 * checks its files by their owner bits alone, and root owns them: a task
 * of uid 0 under --policy none wrote pids.max and memory.limit_in_bytes
 * of its own cgroup (its process and memory limits gone) and, in a v1
 * hierarchy where it sits in the caller's cgroup, freezer.state (the
 * caller frozen, its deadline with it).  v2 refuses writes to a
 * namespace root's limits only where it was mounted with nsdelegate, and
 * a delegated user owns the files of the cgroups it made.
 *
 * So unshare and clone with CLONE_NEWCGROUP fail with EPERM (the policy's
 * kill where it kills some form of the call), whatever the policy's
 * allows say; clone3 fails already (ENOSYS).  A cgroup namespace cordon
 * makes for the task (cordon_set_cgroup_namespace) is made before its
 * filter, by cordon.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_rules.h"

/* The calls whose flags (argument 0) make namespaces. */
static const int makers[] = { SYS_unshare, SYS_clone };

/* Any form of either call let through: which flags a policy's own
 * conditions let through with CLONE_NEWCGROUP is not asked (a policy
 * allowing unshare only with CLONE_NEWUSER refused a sample of the flag
 * alone, and the refusal was left out). */
bool cordon__variant_lets_cgroup_namespaces(const cordon_policy *p)
{
    return cordon__variant_lets_call_through(p, SYS_unshare) ||
           cordon__variant_lets_call_through(p, SYS_clone);
}

size_t cordon__variant_cgroup_namespace_rules(const cordon_policy *p)
{
    size_t rules = 2;
    for (size_t i = 0; i < p->rule_count; i++)
        rules += p->rules[i].syscall == SYS_unshare || p->rules[i].syscall == SYS_clone;
    return rules;
}

int cordon__variant_refuse_cgroup_namespaces(const cordon_policy *p, cordon_policy *v)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof makers / sizeof *makers && rc == 0; i++)
        rc = cordon__variant_refuse_flag(p, v, makers[i], CLONE_NEWCGROUP);
    return rc;
}
