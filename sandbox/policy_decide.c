/*
 * What a policy does with one call, decided in the parent from the parsed
 * rules rather than by the BPF program: for learning (which asks only the
 * rules) and for the opens of the null devices a policy refuses only for
 * their writing (policy_devices.c).
 *
 * The rules' own order: the last unconditional rule for a call decides it;
 * else, of the conditional rules that hold, the firmest (a kill over an
 * errno over an allow), so that no overlap lets through what one of them
 * refuses; else the default (when asked for).
 */
#include "policy_decide.h"

bool cordon__condition_holds(const cordon__condition *c, const uint64_t args[6])
{
    uint64_t a = args[c->arg];
    switch (c->compare) {
    case COMPARE_EQ: return a == c->value;
    case COMPARE_NE: return a != c->value;
    case COMPARE_LT: return a < c->value;
    case COMPARE_LE: return a <= c->value;
    case COMPARE_GT: return a > c->value;
    case COMPARE_GE: return a >= c->value;
    case COMPARE_MASKED_EQ: return (a & c->mask) == c->value;
    default: return false;
    }
}

static bool rule_holds(const cordon__rule *rule, const uint64_t args[6])
{
    for (unsigned i = 0; i < rule->condition_count; i++)
        if (!cordon__condition_holds(&rule->conditions[i], args))
            return false;
    return true;
}

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
        if (rule->overridden_by >= 0 || !rule_holds(rule, args) ||
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
