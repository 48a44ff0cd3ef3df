/*
 * Variants of a policy in which the ways a task would send itself a
 * signal fail with EPERM, so that its death by that signal is evidence:
 *  - SIGXFSZ, under a file size limit (and lowering that limit);
 *  - SIGSYS, under a filter without a listener (its kills are a bare
 *    SIGSYS, which a task could send itself to pass for a violation).
 *
 * RLIMIT_FSIZE's only report is the SIGXFSZ the kernel sends the writer,
 * and it sends it as kill(2) would (SI_USER, from the writer itself), so
 * nothing in the ending tells the limit from a task that killed itself
 * with that signal and would pass for having reached its limit; nor from
 * a task that lowered its own RLIMIT_FSIZE (`ulimit -f 8`) and met that
 * instead.  Refusing the sends and the changes makes a SIGXFSZ death
 * evidence of cordon's limit (reading the limit stays allowed).  The refusals come before the
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
#include <sys/resource.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_rules.h"

#define INT_MASK 0xffffffffull /* the kernel reads these as C ints */
#define CSIGNAL_MASK 0xffull   /* clone's exit signal */

/* One way: the call with `value` (0: the signal; RLIMIT_FSIZE, for
 * SIGXFSZ only) in its argument `signal_arg` and, where other_arg is set,
 * a second argument that holds other_value, or (other_nonzero) is not 0:
 * a new limit given. */
static const struct sender {
    int nr;
    unsigned signal_arg;
    uint64_t signal_mask;
    uint64_t value;
    int other_arg;
    uint64_t other_value;
    bool other_nonzero;
} senders[] = {
    { SYS_kill, 1, INT_MASK, 0, -1, 0, false },
    { SYS_tkill, 1, INT_MASK, 0, -1, 0, false },
    { SYS_tgkill, 2, INT_MASK, 0, -1, 0, false },
    { SYS_rt_sigqueueinfo, 1, INT_MASK, 0, -1, 0, false },
    { SYS_rt_tgsigqueueinfo, 2, INT_MASK, 0, -1, 0, false },
    { SYS_pidfd_send_signal, 1, INT_MASK, 0, -1, 0, false },
    { SYS_prctl, 1, INT_MASK, 0, 0, PR_SET_PDEATHSIG, false },
    { SYS_fcntl, 2, INT_MASK, 0, 1, F_SETSIG, false },
    { SYS_clone, 0, CSIGNAL_MASK, 0, -1, 0, false },
    /* a tracer resumes its tracee with a signal: only the requests that
     * take one (PTRACE_POKEDATA's word may well be the signal's number) */
    { SYS_ptrace, 3, INT_MASK, 0, 0, PTRACE_CONT, false },
    { SYS_ptrace, 3, INT_MASK, 0, 0, PTRACE_SINGLESTEP, false },
    { SYS_ptrace, 3, INT_MASK, 0, 0, PTRACE_DETACH, false },
    { SYS_ptrace, 3, INT_MASK, 0, 0, PTRACE_SYSCALL, false },
    { SYS_ptrace, 3, INT_MASK, 0, 0, PTRACE_SYSEMU, false },
    { SYS_ptrace, 3, INT_MASK, 0, 0, PTRACE_SYSEMU_SINGLESTEP, false },
    { SYS_ptrace, 3, INT_MASK, 0, 0, PTRACE_SINGLEBLOCK, false },
    { SYS_setrlimit, 0, INT_MASK, RLIMIT_FSIZE, -1, 0, false },
    { SYS_prlimit64, 1, INT_MASK, RLIMIT_FSIZE, 2, 0, true },
};
#ifndef PTRACE_SINGLEBLOCK
#define PTRACE_SINGLEBLOCK 33 /* x86: resumes to the next branch */
#endif
#define SENDER_COUNT (sizeof senders / sizeof *senders)

static uint64_t value_of(const struct sender *s, int signo)
{
    return s->value ? s->value : (uint64_t)signo;
}

/* The file size limit's own changes belong to SIGXFSZ alone. */
static bool applies(const struct sender *s, int signo)
{
    return !s->value || signo == SIGXFSZ;
}

static cordon__condition differs(unsigned arg, uint64_t value)
{
    return (cordon__condition){ .arg = arg, .compare = COMPARE_NE, .value = value };
}

/* An unconditional allow (or log) of a sender: the same action for every
 * other value, as one rule or, with two arguments, two. */
static void narrow_allow(cordon_policy *v, cordon__rule *rule, const struct sender *s, int signo)
{
    if (s->nr == SYS_clone || s->nr == SYS_ptrace) {
        /* the exit signal is a masked value ("& 0xff != 25" has no form);
         * ptrace's refusals are several: the check below decides */
        return;
    }
    rule->condition_count = 1;
    rule->conditions[0] = differs(s->signal_arg, value_of(s, signo));
    if (s->other_arg >= 0) {
        cordon__rule other = *rule;
        other.conditions[0] = s->other_nonzero
                                  ? (cordon__condition){ .arg = (unsigned)s->other_arg,
                                                         .compare = COMPARE_EQ, .value = 0 }
                                  : differs((unsigned)s->other_arg, s->other_value);
        v->rules[v->rule_count++] = other;
    }
}

int cordon__variant_refuse_own_signal(cordon_policy *v, int signo)
{
    cordon__rule refusals[SENDER_COUNT];
    size_t count = 0;
    for (size_t i = 0; i < SENDER_COUNT; i++) {
        const struct sender *s = &senders[i];
        if (!applies(s, signo))
            continue;
        cordon__rule *decider = cordon__variant_last_unconditional(v, s->nr);
        if (decider && !cordon__action_allows(decider->action))
            continue; /* refused whatever the signal */
        if (decider)
            narrow_allow(v, decider, s, signo);
        cordon__rule r = { .action = ACTION_ERRNO, .errno_value = EPERM, .syscall = s->nr };
        r.conditions[r.condition_count++] =
            cordon__masked_condition(s->signal_arg, s->signal_mask, value_of(s, signo));
        if (s->other_arg >= 0 && s->other_nonzero)
            r.conditions[r.condition_count++] = differs((unsigned)s->other_arg, 0);
        else if (s->other_arg >= 0)
            r.conditions[r.condition_count++] =
                cordon__masked_condition((unsigned)s->other_arg, INT_MASK, s->other_value);
        refusals[count++] = r;
    }
    int rc = cordon__variant_prepend(v, refusals, count);
    return rc < 0 || signo != SIGXFSZ ? rc : cordon__variant_watch_signal_sources(v);
}

/* timer_create and mq_notify name their signal in a struct: where the
 * policy lets them through and has a listener, each becomes a watch (a
 * kill rule, sent to the parent, which lets the call through and notes
 * it); clone3, whose exit signal is in a struct too, is ENOSYS, which
 * sends the C library to clone.  Without a listener they stay as they
 * are, and a SIGXFSZ death is no evidence (unseen_ways_closed). */
int cordon__variant_watch_signal_sources(cordon_policy *v)
{
    static const uint64_t none[6] = { 0 };
    int rc = 0;
    if (cordon__variant_lets_through(v, SYS_clone3, none)) {
        cordon__rule nosys = { .action = ACTION_ERRNO, .errno_value = ENOSYS,
                               .syscall = SYS_clone3 };
        rc = cordon__variant_append(v, &nosys); /* the last unconditional rule decides */
    }
    if (!v->notifies)
        return rc;
    static const int sources[] = { SYS_timer_create, SYS_mq_notify };
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        if (!cordon__variant_lets_through(v, sources[i], none))
            continue;
        cordon__rule watch = { .action = ACTION_KILL, .syscall = sources[i] };
        rc = cordon__variant_append(v, &watch);
        v->watches_signal_sources = true;
    }
    return rc;
}

bool cordon__policy_watches_signal_sources(const cordon_policy *p)
{
    return p && p->watches_signal_sources;
}

/* The signal (or RLIMIT_FSIZE) in its argument, as a program passes it
 * and with the high bits the kernel ignores; the other argument likewise
 * (a new limit: any address). */
static bool refused_every_way(const cordon_policy *v, const struct sender *s, int signo)
{
    static const uint64_t high = 1ull << 32;
    for (unsigned form = 0; form < 4; form++) {
        uint64_t args[6] = { 0 };
        args[s->signal_arg] =
            value_of(s, signo) | ((form & 1) && s->signal_mask == INT_MASK ? high : 0);
        if (s->nr == SYS_clone && (form & 1))
            args[0] |= CLONE_VM | CLONE_FILES; /* flags beside the exit signal */
        if (s->other_arg >= 0)
            args[s->other_arg] = (s->other_nonzero ? 0x1000 : s->other_value) |
                                 ((form & 2) ? high : 0);
        if (cordon__variant_filter_lets_through(v, s->nr, args) != 0)
            return false;
    }
    return true;
}

static bool goes_through(const cordon_policy *v, int nr, const uint64_t args[6])
{
    return cordon__variant_filter_lets_through(v, nr, args) != 0; /* or cannot be asked */
}

/* Ways to a signal that no argument shows: a POSIX timer's or a message
 * queue's notification (the signal is in a struct), clone3's exit signal
 * (likewise) and, for SIGSYS, a seccomp filter of the task's own that
 * kills or traps, and syscall user dispatch (a task armed it and made a
 * call: "the seccomp filter killed the task", under a policy whose every
 * other way was refused).  Evidence only where the filter refuses each, or (a
 * timer, a queue) hands it to the parent, which then knows it was used
 * (cordon__variant_watch_signal_sources). */
static bool unseen_ways_closed(const cordon_policy *v, int signo)
{
    static const uint64_t none[6] = { 0 };
    static const uint64_t own_filter[6] = { 1 /* SECCOMP_SET_MODE_FILTER */, 0, 0x1000 };
    static const uint64_t own_filter_by_prctl[6] = { PR_SET_SECCOMP, 2 /* FILTER */, 0x1000 };
    /* Syscall user dispatch: the kernel sends SIGSYS for every call made
     * outside the range given while the selector says block. */
    static const uint64_t user_dispatch[2][6] = {
        { 59 /* PR_SET_SYSCALL_USER_DISPATCH */, 1 /* exclusive on */, 0, 0, 0x1000 },
        { 59, 2 /* inclusive on (Linux 6.16) */, 0, 0, 0x1000 },
    };
    bool watched = signo == SIGXFSZ && v->watches_signal_sources;
    if (!watched && (goes_through(v, SYS_timer_create, none) ||
                     goes_through(v, SYS_mq_notify, none)))
        return false;
    if (goes_through(v, SYS_clone3, none))
        return false;
    return signo != SIGSYS || (!goes_through(v, SYS_seccomp, own_filter) &&
                               !goes_through(v, SYS_prctl, own_filter_by_prctl) &&
                               !goes_through(v, SYS_prctl, user_dispatch[0]) &&
                               !goes_through(v, SYS_prctl, user_dispatch[1]));
}

bool cordon__variant_own_signal_refused(const cordon_policy *v, int signo)
{
    /* the 32-bit ABIs an 'arch' lets in have calls of their own (fcntl64,
     * socketcall) that these rules do not name */
    if (v->foreign_arches)
        return false;
    for (size_t i = 0; i < SENDER_COUNT; i++)
        if (applies(&senders[i], signo) && !refused_every_way(v, &senders[i], signo))
            return false;
    return unseen_ways_closed(v, signo);
}

bool cordon__policy_refuses_own_sigxfsz(const cordon_policy *p)
{
    return p && p->refuses_own_sigxfsz;
}

bool cordon__policy_sigsys_is_evidence(const cordon_policy *p)
{
    return p && (p->notifies || p->refuses_own_sigsys);
}
