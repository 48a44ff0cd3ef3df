/*
 * What a policy does with one call, read from its rules as the language
 * defines them (policy_grammar.c): a call above cordon's table meets
 * "newer"; the last unconditional rule for a syscall decides every call to
 * it; otherwise the conditional rules that hold decide, and the default
 * when none does.  Rules equal to the default are left out of the program,
 * and so of this reading; cordon's own rules for the listener hand-over
 * (policy_compile.c) are in it.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "no_cancellation.h"
#include "policy_decide.h"
#include "policy_rules.h"

/* The child hands the listener over on this fd (policy_compile.c). */
#define LISTENER_SOCKET_FD 4

bool cordon__condition_holds(const cordon__condition *c, const uint64_t args[6])
{
    uint64_t v = args[c->arg];
    switch (c->compare) {
    case COMPARE_EQ:        return v == c->value;
    case COMPARE_NE:        return v != c->value;
    case COMPARE_LT:        return v < c->value;
    case COMPARE_LE:        return v <= c->value;
    case COMPARE_GT:        return v > c->value;
    case COMPARE_GE:        return v >= c->value;
    case COMPARE_MASKED_EQ: return (v & c->mask) == c->value;
    }
    return false;
}

bool cordon__rule_holds(const cordon__rule *rule, const uint64_t args[6])
{
    for (unsigned i = 0; i < rule->condition_count; i++)
        if (!cordon__condition_holds(&rule->conditions[i], args))
            return false;
    return true;
}

static void set_decision(cordon_decision *d, enum cordon__action action, int errno_value,
                         const char *reason, const char *origin, unsigned line)
{
    d->action = cordon__action_name(action);
    d->errno_value = action == ACTION_ERRNO ? errno_value : 0;
    d->reason = reason;
    d->origin = origin;
    d->line = line;
}

static bool names_newer(const cordon_policy *p, int nr)
{
    for (size_t i = 0; i < p->rule_count; i++)
        if (p->rules[i].syscall == nr)
            return true;
    return false;
}

static bool always_allowed(const cordon_policy *p, int nr)
{
    for (size_t i = 0; i < p->rule_count; i++)
        if (p->rules[i].syscall == nr && p->rules[i].action == ACTION_ALLOW &&
            p->rules[i].condition_count == 0)
            return true;
    return false;
}

/* cordon's own conditional allows (policy_compile.c's add_rules). */
static bool handover_allows(const cordon_policy *p, int nr, const uint64_t args[6])
{
    if (p->default_action == ACTION_ALLOW || always_allowed(p, nr))
        return false;
    if (nr == SYS_prlimit64)
        return p->notifies && args[0] == 0 && args[1] == RLIMIT_NOFILE && args[3] == 0;
    if (args[0] != LISTENER_SOCKET_FD)
        return false;
    return nr == SYS_close_range || ((nr == SYS_sendmsg || nr == SYS_read) && p->notifies);
}

const cordon__rule *cordon__policy_deciding_rule(const cordon_policy *p, int nr,
                                                 const uint64_t args[6], bool *ambiguous)
{
    const cordon__rule *found = NULL;
    *ambiguous = false;
    for (size_t i = 0; i < p->rule_count; i++) {
        const cordon__rule *rule = &p->rules[i];
        if (rule->syscall != nr || rule->overridden_by >= 0)
            continue;
        if (rule->condition_count == 0)
            return rule; /* the one unconditional rule left decides alone */
        if (cordon__rule_same_as_default(p, rule) || !cordon__rule_holds(rule, args))
            continue;
        if (!found)
            found = rule;
        else if (found->action != rule->action || found->errno_value != rule->errno_value)
            *ambiguous = true;
    }
    return found;
}

int cordon_policy_decide(const cordon_policy *p, int nr, const uint64_t args[6],
                         cordon_decision *d)
{
    CORDON__NO_CANCELLATION;
    static const uint64_t zeros[6];
    if (!p || !d || nr < 0)
        return -EINVAL;
    args = args ? args : zeros;
    memset(d, 0, sizeof *d);
    /* An x32 call (numbered with bit 30 set): a foreign ABI, which the
     * filter kills unless the policy admits it ('arch x32').  Admitted,
     * libseccomp translates each rule to x32's own numbers (ioctl is 514
     * there, and x86_64's 16 is none): its compiled filter answers. */
    if (nr & X32_SYSCALL_BIT) {
        if (p->foreign_arches & ARCH_X32)
            return cordon_policy_simulate(p, nr, args, d);
        set_decision(d, ACTION_KILL, 0, "abi", NULL, 0);
        return 0;
    }
    enum cordon__action newer;
    int newer_errno;
    if (nr > CORDON_NEWEST_KNOWN_SYSCALL && cordon__policy_refuses_newer(p, &newer, &newer_errno) &&
        !names_newer(p, nr)) {
        set_decision(d, newer, newer_errno, "newer", NULL, 0);
        return 0;
    }
    bool ambiguous;
    const cordon__rule *rule = nr < CORDON_SYSCALL_TABLE_SIZE
                             ? cordon__policy_deciding_rule(p, nr, args, &ambiguous) : NULL;
    /* A rule equal to the default is not in the program: cordon's own
     * allows are then the only rules there. */
    bool left_out = rule && cordon__rule_same_as_default(p, rule);
    if ((!rule || left_out) && handover_allows(p, nr, args))
        set_decision(d, ACTION_ALLOW, 0, "cordon", NULL, 0);
    else if (rule)
        set_decision(d, rule->action, rule->errno_value, ambiguous ? "ambiguous" : "rule",
                     rule->origin, rule->line);
    else
        set_decision(d, p->default_action, p->default_errno, "default", p->default_origin,
                     p->default_line);
    return 0;
}

/* ---- For learning and the devices a policy refuses only for writing
 * (policy_learn.c, policy_devices.c): where conditional rules of
 * different actions both hold, the firmest decides (a kill over an errno
 * over an allow), so that no overlap lets through what one refuses. */

static int firmness(enum cordon__action action)
{
    switch (action) {
    case ACTION_KILL: return 4;
    case ACTION_TRAP: return 3;
    case ACTION_ERRNO: return 2;
    case ACTION_LOG: return 1;
    default: return 0;
    }
}

bool cordon__policy_decide(const cordon_policy *p, int nr, const uint64_t args[6],
                           enum cordon__action *action, int *errno_value)
{
    bool named = false, decided = false;
    for (size_t i = 0; i < p->rule_count; i++) {
        const cordon__rule *rule = &p->rules[i];
        if (rule->syscall != nr)
            continue;
        named = true;
        if (rule->overridden_by >= 0 || !cordon__rule_holds(rule, args) ||
            (decided && firmness(rule->action) <= firmness(*action)))
            continue;
        *action = rule->action;
        *errno_value = rule->errno_value;
        decided = true;
    }
    if (!decided && !named && nr > CORDON_NEWEST_KNOWN_SYSCALL &&
        cordon__policy_refuses_newer(p, action, errno_value))
        decided = true;
    return decided;
}

bool cordon__policy_exec_errno(const cordon_policy *p, int nr, const uint64_t args[6],
                               int *errno_value)
{
    cordon_decision decision;
    if ((nr != SYS_execve && nr != SYS_execveat) || cordon_policy_decide(p, nr, args, &decision) ||
        strcmp(decision.action, "errno") != 0)
        return false;
    *errno_value = decision.errno_value;
    return true;
}

/* Whether `p` takes `action` (with `error`, for an errno) on native call
 * `nr` for some arguments: a rule for it, or a default or "newer" that
 * reaches it. */
static bool may_act(const cordon_policy *p, int nr, enum cordon__action action, int error)
{
    if (!p || nr < 0)
        return false;
    bool decided_for_all = false;
    for (size_t i = 0; i < p->rule_count; i++) {
        const cordon__rule *rule = &p->rules[i];
        if (rule->syscall != nr || rule->overridden_by >= 0)
            continue;
        if (rule->action == action && (action != ACTION_ERRNO || rule->errno_value == error))
            return true;
        decided_for_all |= rule->condition_count == 0;
    }
    if (decided_for_all)
        return false;
    if (nr > CORDON_NEWEST_KNOWN_SYSCALL && p->newer_set)
        return p->newer_action == action &&
               (action != ACTION_ERRNO || p->newer_errno == error);
    return p->default_action == action &&
           (action != ACTION_ERRNO || p->default_errno == error);
}

bool cordon__policy_may_trap(const cordon_policy *p, int nr)
{
    return may_act(p, nr, ACTION_TRAP, 0);
}

bool cordon__policy_may_answer_errno(const cordon_policy *p, int nr, int error)
{
    return may_act(p, nr, ACTION_ERRNO, error);
}
