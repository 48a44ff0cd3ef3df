/*
 * Which filter a task runs under and which guards are stacked beneath
 * it, from the circumstances of its start (cordon__filter_facts): one
 * rule for lib/spawn.c and for the floor confined by hand that the
 * benchmarks measure cordon against (bench/confined_floor.h), which must
 * install what cordon installs, no more and no less.
 *
 * A policy is installed as its variant for the task's kind
 * (policy_variant.c says what each kind adds); a task given no policy
 * gets cordon's own rules alone where it can reach past its tree
 * (cordon__filter_fence_needed), and the guards of
 * shared_objects_guard.c for what it shares with its caller.
 */
#include "confine.h"
#include "policy.h"
#include "policy_rules.h"

/* The init's limits hold its tree; a task of its user can lower them. */
static bool reaches_the_init(const cordon__filter_facts *f)
{
    return (f->namespaces & CORDON__NAMESPACE_PID) &&
           ((f->namespaces & CORDON__NAMESPACE_USER) || f->runs_as_root);
}

unsigned cordon__filter_kind(const cordon__filter_facts *f)
{
    unsigned kind = ((f->namespaces & CORDON__NAMESPACE_NET) ? CORDON__VARIANT_NO_NETWORK : 0) |
                    (f->owns_ruleset ? CORDON__VARIANT_FILE_RULES : 0);
    /* Without a pid namespace the task can name every process, and
     * without a v2 cgroup its process group alone holds its tree. */
    if (!(f->namespaces & CORDON__NAMESPACE_PID))
        kind |= CORDON__VARIANT_NO_PID_NAMESPACE |
                (f->v2_cgroup ? 0 : CORDON__VARIANT_NO_TREE_HOLD);
    if (f->file_size_limit)
        kind |= CORDON__VARIANT_FILE_SIZE_LIMIT;
    /* The user keyring is a user namespace's, per user id, and the key
     * quota every namespace's (policy.h). */
    kind |= CORDON__VARIANT_SHARED_COUNTS;
    /* A file made set-uid outlives the task (policy.h). */
    kind |= CORDON__VARIANT_SETID_MODES;
    /* A cgroup.procs the task's user owns takes a child of clone3's. */
    if (f->runs_as_root || f->v2_cgroup)
        kind |= CORDON__VARIANT_CGROUP_MOVES;
    /* uid 0 writes the kernel's settings through a proc mount's fd sent
     * from outside over a unix socket (policy.h). */
    if (f->runs_as_root)
        kind |= CORDON__VARIANT_ROOT_UNIX_SOCKETS;
    if (reaches_the_init(f))
        kind |= CORDON__VARIANT_INIT_LIMITS;
    /* RLIMIT_AS alone does not see a memfd's or a segment's pages. */
    if (f->uncounted_memory)
        kind |= CORDON__VARIANT_UNCOUNTED_SHARED_MEMORY;
    /* The caller's terminal: its window size is the caller's. */
    if (f->terminal_stdin)
        kind |= CORDON__VARIANT_TERMINAL_STDIN;
    return kind;
}

/* "No filter" lifts the limits on the task's own calls, not its fence
 * around the caller: without a pid namespace a task with no filter
 * reniced its caller, pinned it to one CPU, gave it the idle I/O class,
 * and, without a v2 cgroup either, left its process group with setsid
 * and outlived its run; with a v2 cgroup (in a pid namespace too) a root
 * task started a child in another cgroup, out of the one that holds its
 * tree and limits; given the caller's terminal, it resized the caller's
 * screen and signalled the caller's shell; running as root, it opened
 * kernel.core_pattern for writing through a descriptor sent over a unix
 * socket. */
bool cordon__filter_fence_needed(const cordon__filter_facts *f)
{
    return !(f->namespaces & CORDON__NAMESPACE_PID) || f->v2_cgroup || f->terminal_stdin ||
           f->runs_as_root || reaches_the_init(f);
}

unsigned cordon__filter_fence_kind(unsigned kind)
{
    return kind & (CORDON__VARIANT_NO_PID_NAMESPACE | CORDON__VARIANT_NO_TREE_HOLD |
                   CORDON__VARIANT_CGROUP_MOVES | CORDON__VARIANT_TERMINAL_STDIN |
                   CORDON__VARIANT_SETID_MODES | CORDON__VARIANT_ROOT_UNIX_SOCKETS |
                   CORDON__VARIANT_INIT_LIMITS);
}

unsigned cordon__filter_guard_parts(const cordon__filter_facts *f, const cordon_policy *policy)
{
    bool no_policy = !policy;
    unsigned parts = 0;
    /* The default policy refuses SO_REUSEPORT itself: a filter of its own
     * cost some 65 us a task here. */
    if (!(f->namespaces & CORDON__NAMESPACE_NET) &&
        (no_policy || !cordon__policy_refuses_reuseport(policy)))
        parts |= CORDON__SHARED_OBJECTS_REUSEPORT | (no_policy ? CORDON__SHARED_OBJECTS_RINGS : 0);
    if (!(f->namespaces & CORDON__NAMESPACE_IPC))
        parts |= CORDON__SHARED_OBJECTS_SYSTEM_V;
    if (no_policy)
        parts |= CORDON__SHARED_OBJECTS_KEYRINGS;
    if (no_policy && f->owns_ruleset)
        parts |= CORDON__SHARED_OBJECTS_WATCHES;
    if (!(f->namespaces & CORDON__NAMESPACE_PID) &&
        (!policy || cordon__policy_lets_userfaultfd_be_made(policy)))
        parts |= CORDON__SHARED_OBJECTS_USERFAULTFD;
    return parts;
}
