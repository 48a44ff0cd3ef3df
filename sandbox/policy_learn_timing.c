/*
 * Learning's timing companions: calls a program makes on one run and not
 * on the next by timing alone, written into a learned policy once the
 * record shows what makes them possible.  A learning run is slow (every
 * call waits for the parent), so its threads often end before they are
 * joined and no futex is ever waited on; the check run, at full speed,
 * then waits on one and is killed.  Likewise a signal's handler runs only
 * when the signal comes (rt_sigreturn), and a sleep with a timeout is
 * resumed through restart_syscall only when a signal stopped it.
 *
 * Each companion only continues what the policy already allows (waiting
 * on the program's own memory, returning from its own handler, resuming
 * its own call), so adding it loosens nothing a run could not reach.  A
 * base policy with any rule for a companion decides it instead: it is
 * then added only if a run made it.
 */
#include <linux/sched.h>
#include <sys/syscall.h>

#include "policy_learn.h"

/* Threads: a clone allowed with CLONE_THREAD among some pattern's flags
 * (or with any flags), or clone3 allowed (its flags are in memory). */
static bool made_threads(const struct cordon_learned *l)
{
    const cordon__learned_use *clone = &l->calls[SYS_clone].allowed;
    if (l->calls[SYS_clone3].allowed.seen || (clone->seen && clone->any))
        return true;
    for (unsigned i = 0; clone->seen && i < clone->pattern_count; i++) {
        const cordon__learned_pattern *p = &clone->patterns[i];
        bool possible = true; /* unless a condition on the flags rules it out */
        for (unsigned c = 0; c < p->condition_count; c++) {
            const cordon__condition *cond = &p->conditions[c];
            if (cond->arg == 0 && cond->compare == COMPARE_EQ)
                possible &= (cond->value & CLONE_THREAD) != 0;
            else if (cond->arg == 0 && cond->compare == COMPARE_MASKED_EQ)
                possible &= !(cond->mask & CLONE_THREAD) || (cond->value & CLONE_THREAD);
        }
        if (possible)
            return true;
    }
    return false;
}

static bool allowed(const struct cordon_learned *l, int nr)
{
    return l->calls[nr].allowed.seen;
}

static bool sleeps_with_a_timeout(const struct cordon_learned *l)
{
    static const int sleepers[] = {
        SYS_nanosleep, SYS_clock_nanosleep, SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6,
        SYS_futex,
    };
    for (size_t i = 0; i < sizeof sleepers / sizeof *sleepers; i++)
        if (allowed(l, sleepers[i]))
            return true;
    return made_threads(l); /* a thread's futex wait may time out */
}

bool cordon__learn_companion(const struct cordon_learned *l, int nr)
{
    if (!l || nr < 0 || nr >= CORDON_SYSCALL_TABLE_SIZE || l->companion_ruled[nr])
        return false;
    const cordon__learned_call *call = &l->calls[nr];
    if (call->allowed.seen || call->refused.seen)
        return false; /* in the record: written as recorded */
    switch (nr) {
    case SYS_futex:
        return made_threads(l);
    case SYS_rt_sigreturn:
        return allowed(l, SYS_rt_sigaction);
    case SYS_restart_syscall:
        return sleeps_with_a_timeout(l);
    default:
        return false;
    }
}

void cordon__learn_note_base(struct cordon_learned *l, const cordon_policy *base)
{
    for (size_t i = 0; l && base && i < base->rule_count; i++) {
        const cordon__rule *rule = &base->rules[i];
        if (cordon__action_allows(rule->action))
            continue; /* a base's allow is not applied while learning */
        if (rule->syscall == SYS_futex || rule->syscall == SYS_rt_sigreturn ||
            rule->syscall == SYS_restart_syscall)
            l->companion_ruled[rule->syscall] = true;
    }
}
