/*
 * Whether a task under a policy may make a namespace of its own: with
 * one, each it makes counts against its user's per-user namespace limits
 * (user.max_*_namespaces), which its user namespace then has to hold to a
 * share of the caller's (per_user_limits.c: eight more writes of /proc
 * files in every task's start, some 40 system calls a task pays only when
 * it can use them).
 *
 * There are three ways to one: unshare(2) and clone(2), whose flags are
 * their first argument, and clone3(2), whose flags sit in memory a filter
 * cannot read.  The answer is "no" only where it holds for every value:
 * no foreign ABI, clone3's rules (if any) unconditional, and every
 * conditional rule for unshare and clone a refusal that tests bits of the
 * flags being set ("arg0 & CLONE_NEWUSER == CLONE_NEWUSER", the shipped
 * policies' shape).  Then a refusal of each CLONE_NEW* flag alone (and,
 * for clone, with an exit signal) is a refusal of every set of flags that
 * holds it.  Any other shape is taken to let one be made.
 */
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>

#include "policy_decide.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static bool refuses_by_flag_bits(const cordon__rule *rule)
{
    if (rule->action == ACTION_ALLOW || rule->action == ACTION_LOG)
        return false;
    for (unsigned c = 0; c < rule->condition_count; c++) {
        const cordon__condition *condition = &rule->conditions[c];
        if (condition->arg != 0 || condition->compare != COMPARE_MASKED_EQ ||
            condition->value != condition->mask)
            return false;
    }
    return true;
}

/* Every rule for `nr` has a shape this reading covers. */
static bool readable(const cordon_policy *p, int nr, bool flags_readable)
{
    for (size_t i = 0; i < p->rule_count; i++) {
        const cordon__rule *rule = &p->rules[i];
        if (rule->syscall != nr || rule->overridden_by >= 0 || rule->condition_count == 0)
            continue;
        if (!flags_readable || !refuses_by_flag_bits(rule))
            return false;
    }
    return true;
}

bool cordon__policy_lets_namespaces_be_made(const cordon_policy *p)
{
    if (p->foreign_arches || !readable(p, SYS_unshare, true) || !readable(p, SYS_clone, true) ||
        !readable(p, SYS_clone3, false))
        return true;
    const uint64_t none[6] = { 0 };
    if (cordon__variant_lets_through(p, SYS_clone3, none))
        return true;
    static const uint64_t kinds[] = { CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                      CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        const uint64_t alone[6] = { kinds[i] }, with_signal[6] = { kinds[i] | SIGCHLD };
        if (cordon__variant_lets_through(p, SYS_unshare, alone))
            return true;
        /* clone(2) reads 0x80 as part of the exit signal: a time
         * namespace is unshare's or clone3's only. */
        if (kinds[i] != CLONE_NEWTIME &&
            (cordon__variant_lets_through(p, SYS_clone, alone) ||
             cordon__variant_lets_through(p, SYS_clone, with_signal)))
            return true;
    }
    return false;
}
