/*
 * A file size limit's variant of a policy: the ways a task would send
 * itself SIGXFSZ fail with EPERM.
 *
 * RLIMIT_FSIZE's only report is the SIGXFSZ the kernel sends the writer,
 * and it sends it as kill(2) would (SI_USER, from the writer itself), so
 * nothing in the ending tells the limit from a task that killed itself
 * with that signal and would pass for having reached its limit.  Refusing
 * the sends makes a SIGXFSZ death evidence.  The refusals come before the
 * policy's own rules (libseccomp lets the first of two rules that both
 * hold decide), an unconditional allow of the policy's becomes an allow of
 * every other value (else it would override them), and the compiled
 * filter is then asked, for each way, whether SIGXFSZ is refused: a
 * policy whose own rules still let one through gives no evidence, and a
 * SIGXFSZ death under it is reported as the signal it is.
 *
 * (A pseudo-terminal's TIOCSIG sends only SIGINT, SIGQUIT and SIGTSTP.)
 * Not covered, and so left to that check's honesty: a POSIX timer or a
 * message queue's notification set to SIGXFSZ (the signal is in a struct
 * a filter cannot read), and clone3's exit signal (likewise); the default
 * policy refuses clone3 with ENOSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_rules.h"

#define INT_MASK 0xffffffffull /* the kernel reads these as C ints */
#define CSIGNAL_MASK 0xffull   /* clone's exit signal */

static const struct sender {
    int nr;
    unsigned signal_arg;
    uint64_t signal_mask;
    int other_arg;        /* -1, or an argument that must hold other_value too */
    uint64_t other_value;
} senders[] = {
    { SYS_kill, 1, INT_MASK, -1, 0 },
    { SYS_tkill, 1, INT_MASK, -1, 0 },
    { SYS_tgkill, 2, INT_MASK, -1, 0 },
    { SYS_rt_sigqueueinfo, 1, INT_MASK, -1, 0 },
    { SYS_rt_tgsigqueueinfo, 2, INT_MASK, -1, 0 },
    { SYS_pidfd_send_signal, 1, INT_MASK, -1, 0 },
    { SYS_prctl, 1, INT_MASK, 0, PR_SET_PDEATHSIG },
    { SYS_fcntl, 2, INT_MASK, 1, F_SETSIG },
    { SYS_clone, 0, CSIGNAL_MASK, -1, 0 },
    /* a tracer resumes its tracee with a signal: only the requests that
     * take one (PTRACE_POKEDATA's word may well be 25) */
    { SYS_ptrace, 3, INT_MASK, 0, PTRACE_CONT },
    { SYS_ptrace, 3, INT_MASK, 0, PTRACE_SINGLESTEP },
    { SYS_ptrace, 3, INT_MASK, 0, PTRACE_DETACH },
    { SYS_ptrace, 3, INT_MASK, 0, PTRACE_SYSCALL },
    { SYS_ptrace, 3, INT_MASK, 0, PTRACE_SYSEMU },
    { SYS_ptrace, 3, INT_MASK, 0, PTRACE_SYSEMU_SINGLESTEP },
};
#define SENDER_COUNT (sizeof senders / sizeof *senders)

static bool refusing(enum cordon__action action)
{
    return action != ACTION_ALLOW && action != ACTION_LOG;
}

static cordon__condition masked(unsigned arg, uint64_t mask, uint64_t value)
{
    return (cordon__condition){ .arg = arg, .compare = COMPARE_MASKED_EQ, .mask = mask,
                                .value = value };
}

static cordon__condition differs(unsigned arg, uint64_t value)
{
    return (cordon__condition){ .arg = arg, .compare = COMPARE_NE, .value = value };
}

/* An unconditional allow (or log) of a sender: the same action for every
 * other value, as one rule or, with two arguments, two. */
static void narrow_allow(cordon_policy *v, cordon__rule *rule, const struct sender *s)
{
    if (s->nr == SYS_clone || s->nr == SYS_ptrace) {
        /* the exit signal is a masked value ("& 0xff != 25" has no form);
         * ptrace's refusals are several: the check below decides */
        return;
    }
    rule->condition_count = 1;
    rule->conditions[0] = differs(s->signal_arg, SIGXFSZ);
    if (s->other_arg >= 0) {
        cordon__rule other = *rule;
        other.conditions[0] = differs((unsigned)s->other_arg, s->other_value);
        v->rules[v->rule_count++] = other;
    }
}

int cordon__variant_refuse_sigxfsz_sends(cordon_policy *v)
{
    cordon__rule refusals[SENDER_COUNT];
    size_t count = 0;
    for (size_t i = 0; i < SENDER_COUNT; i++) {
        const struct sender *s = &senders[i];
        cordon__rule *decider = cordon__variant_last_unconditional(v, s->nr);
        if (decider && refusing(decider->action))
            continue; /* refused whatever the signal */
        if (decider)
            narrow_allow(v, decider, s);
        cordon__rule r = { .action = ACTION_ERRNO, .errno_value = EPERM, .syscall = s->nr };
        r.conditions[r.condition_count++] = masked(s->signal_arg, s->signal_mask, SIGXFSZ);
        if (s->other_arg >= 0)
            r.conditions[r.condition_count++] =
                masked((unsigned)s->other_arg, INT_MASK, s->other_value);
        refusals[count++] = r;
    }
    return cordon__variant_prepend(v, refusals, count);
}

/* SIGXFSZ in the signal's argument, as a program passes it and with the
 * high bits the kernel ignores; the other argument likewise. */
static bool refused_every_way(const cordon_policy *v, const struct sender *s)
{
    static const uint64_t high = 1ull << 32;
    for (unsigned form = 0; form < 4; form++) {
        uint64_t args[6] = { 0 };
        args[s->signal_arg] = SIGXFSZ | ((form & 1) && s->signal_mask == INT_MASK ? high : 0);
        if (s->nr == SYS_clone && (form & 1))
            args[0] |= CLONE_VM | CLONE_FILES; /* flags beside the exit signal */
        if (s->other_arg >= 0)
            args[s->other_arg] = s->other_value | ((form & 2) ? high : 0);
        cordon_decision d;
        if (cordon_policy_simulate(v, s->nr, args, &d) != 0 || strcmp(d.action, "allow") == 0 ||
            strcmp(d.action, "log") == 0)
            return false;
    }
    return true;
}

bool cordon__variant_sigxfsz_sends_refused(const cordon_policy *v)
{
    for (size_t i = 0; i < SENDER_COUNT; i++)
        if (!refused_every_way(v, &senders[i]))
            return false;
    return true;
}

bool cordon__policy_refuses_own_sigxfsz(const cordon_policy *p)
{
    return p && p->refuses_own_sigxfsz;
}
