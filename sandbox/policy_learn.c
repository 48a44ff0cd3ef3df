/*
 * Learning a policy, parent side: the filter that sends every call to the
 * listener, what the base policy would do with each call (decided here,
 * in the parent, from the parsed rules), and the record of what was let
 * through or refused.  See policy_learn.h for why the record is exactly
 * what a filter installed at the same point needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include "policy_decide.h"
#include "policy_learn.h"

int cordon__learning_policy(const char *base_name, cordon_policy **out)
{
    cordon_error err;
    /* Every path of a "default kill" program ends in a notification. */
    cordon_policy *p = cordon_policy_parse("default kill\n", base_name, &err);
    if (!p)
        return err.code < 0 ? err.code : -ENOMEM;
    if (!p->notifies) {
        cordon_policy_free(p);
        return -EOPNOTSUPP;
    }
    *out = p;
    return 0;
}

/* What the base policy's rules do with the call; its default is not
 * asked (learning lets through what no rule refuses: that is what it is
 * for). */
static enum cordon__action base_decides(const cordon_policy *base, int nr, const uint64_t args[6],
                                        int *errno_value)
{
    enum cordon__action action = ACTION_ALLOW;
    if (base && cordon__policy_decide(base, nr, args, &action, errno_value))
        return action;
    return ACTION_ALLOW;
}

/* What the run's filter adds to the base's rules refuses as it would in
 * a run (its compiled program, as the kernel would run it): an errno, a
 * kill.  A notification is a kill too: the program's default lets every
 * call through, and a kill of the base's own rules was decided before
 * (run_decides), so it is a rule cordon added that kills where the base
 * kills some form of the call (prlimit64 on the caller, clone with
 * CLONE_PARENT, without a pid namespace: taken for "the base's to
 * answer", learning let the task set its caller's limits). */
static enum cordon__action confinement_decides(const cordon_policy *confinement, int nr,
                                               const uint64_t args[6], int *errno_value)
{
    uint32_t value;
    if (!confinement || cordon__bpf_run_native(&confinement->program, nr, args, &value) < 0)
        return ACTION_ALLOW;
    /* An exec sent to the listener for its errno: the errno a run answers
     * (it was taken for a kill, and learning ended in a violation). */
    if ((value & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF &&
        confinement->answers_exec_errno &&
        cordon__policy_exec_errno(confinement, nr, args, errno_value))
        return ACTION_ERRNO;
    switch (value & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ERRNO:
        *errno_value = (int)(value & SECCOMP_RET_DATA);
        return ACTION_ERRNO;
    case SECCOMP_RET_TRAP:
        return ACTION_TRAP;
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
    case SECCOMP_RET_USER_NOTIF:
        return ACTION_KILL;
    default:
        return ACTION_ALLOW;
    }
}

static enum cordon__action run_decides(const cordon__learning *learning, int nr,
                                       const uint64_t args[6], int *errno_value)
{
    enum cordon__action action = base_decides(learning->base, nr, args, errno_value);
    if (action == ACTION_KILL || action == ACTION_TRAP || nr < 0 ||
        nr >= CORDON_SYSCALL_TABLE_SIZE)
        return action;
    int refused_with = 0;
    enum cordon__action added = confinement_decides(learning->confinement, nr, args, &refused_with);
    if (added == ACTION_ALLOW)
        return action;
    *errno_value = refused_with;
    return added;
}

static int decide(void *user, int nr, const uint64_t args[6])
{
    cordon__learning *learning = user;
    int errno_value = 0;
    enum cordon__action action = run_decides(learning, nr, args, &errno_value);
    if (action == ACTION_KILL || action == ACTION_TRAP)
        return -1;
    if (nr < 0 || nr >= CORDON_SYSCALL_TABLE_SIZE) {
        /* No rule can name it: the learned policy's `newer` answers it,
         * and every other newer call, as the learning did (it killed the
         * task in the check run).  x32's numbers are foreign to any
         * policy's program. */
        int answer = action != ACTION_ERRNO ? ENOSYS : errno_value;
        if (nr < 0x40000000 && answer)
            learning->learned->beyond_table_errno = answer;
        return answer ? answer : CORDON__NOTIFY_ERRNO_ZERO;
    }
    cordon__learn_record(learning->learned,
                         learning->confinement ? learning->confinement : learning->base, nr, args,
                         action == ACTION_ERRNO ? ACTION_ERRNO : ACTION_ALLOW, errno_value);
    if (action != ACTION_ERRNO)
        return 0;
    /* "errno 0" refuses the call too (it returns 0 unmade): 0 here would
     * let it through */
    return errno_value ? errno_value : CORDON__NOTIFY_ERRNO_ZERO;
}

int cordon__learn_handle(int listener_fd, struct cordon__notify_state *state,
                         cordon__learning *learning, char *description, size_t size)
{
    /* the base decides about the opens of devices, as outside learning */
    state->policy = learning->base;
    state->learning = true;
    return cordon__notification_learn(listener_fd, state, decide, learning, description, size);
}

/* ---- the record ------------------------------------------------------ */

/* The arguments worth constraining: a socket's family and type, a clone's
 * flags, the operation of the multiplexing calls.  Never pointers, sizes
 * or fds (they change from run to run). */
static const struct { int nr; unsigned args, int_args; } constrained[] = {
    { SYS_socket, 0x3, 0x3 },      { SYS_socketpair, 0x3, 0x3 },
    { SYS_clone, 0x1, 0x0 },       { SYS_unshare, 0x1, 0x1 },
    { SYS_prctl, 0x1, 0x1 },       { SYS_arch_prctl, 0x1, 0x1 },
    { SYS_personality, 0x1, 0x1 }, { SYS_ioctl, 0x2, 0x2 },
    { SYS_fcntl, 0x2, 0x2 },       { SYS_setsockopt, 0x6, 0x6 },
    { SYS_getsockopt, 0x6, 0x6 },  { SYS_seccomp, 0x1, 0x1 },
    /* pids: 0 and the task's own as it saw them (2 in its namespace) */
    { SYS_prlimit64, 0x1, 0x1 },
};

unsigned cordon__learn_constrained_args(int nr, unsigned *int_args)
{
    for (size_t i = 0; i < sizeof constrained / sizeof *constrained; i++)
        if (constrained[i].nr == nr) {
            *int_args = constrained[i].int_args;
            return constrained[i].args;
        }
    *int_args = 0;
    return 0;
}

static bool same_pattern(const cordon__learned_pattern *a, const cordon__learned_pattern *b)
{
    if (a->condition_count != b->condition_count)
        return false;
    for (unsigned c = 0; c < a->condition_count; c++) {
        const cordon__condition *x = &a->conditions[c], *y = &b->conditions[c];
        if (x->arg != y->arg || x->compare != y->compare || x->value != y->value ||
            x->mask != y->mask)
            return false;
    }
    return true;
}

void cordon__learn_add_pattern(cordon__learned_use *use, const cordon__learned_pattern *pattern)
{
    use->seen = true;
    if (use->any)
        return;
    if (!pattern || pattern->condition_count == 0) {
        use->any = true;
        use->pattern_count = 0;
        return;
    }
    for (unsigned i = 0; i < use->pattern_count; i++)
        if (same_pattern(&use->patterns[i], pattern))
            return;
    if (use->pattern_count == CORDON_LEARN_MAX_PATTERNS) {
        /* too many to be worth a rule each: the call is allowed as such */
        use->any = true;
        use->pattern_count = 0;
        return;
    }
    use->patterns[use->pattern_count++] = *pattern;
}

/* How one argument is recorded: its value under `mask` (0: not at all),
 * or, for `test`, whether that comparison of the base's held. */
typedef struct arg_plan {
    uint64_t mask;
    const cordon__condition *test;
} arg_plan;

static bool same_condition(const cordon__condition *a, const cordon__condition *b)
{
    return a->arg == b->arg && a->compare == b->compare && a->value == b->value &&
           a->mask == b->mask;
}

/* A learned policy must be no looser than its base on what the base's
 * rules test: every argument a refusing rule of the base compares is
 * recorded too — under the rule's mask, or, for a single plain comparison
 * (arg2 != 0: a pointer given or not), as that comparison or its
 * opposite — besides the arguments worth constraining anyway.  (In a
 * policy whose default kills, a conditional kill adds nothing: the allow
 * rules themselves must leave the refused values out.) */
static void plan_arguments(const cordon_policy *base, int nr, arg_plan plan[6])
{
    unsigned int_args;
    unsigned table = cordon__learn_constrained_args(nr, &int_args);
    for (unsigned a = 0; a < 6; a++) {
        plan[a].test = NULL;
        plan[a].mask = !(table & (1u << a)) ? 0 : (int_args & (1u << a)) ? 0xffffffffu : ~0ull;
    }
    for (size_t i = 0; base && i < base->rule_count; i++) {
        const cordon__rule *rule = &base->rules[i];
        if (rule->syscall != nr || rule->overridden_by >= 0 || rule->action == ACTION_ALLOW ||
            rule->action == ACTION_LOG)
            continue;
        for (unsigned c = 0; c < rule->condition_count; c++) {
            const cordon__condition *cond = &rule->conditions[c];
            arg_plan *p = &plan[cond->arg];
            if (cond->compare == COMPARE_MASKED_EQ && !p->test)
                p->mask |= cond->mask;
            else if (cond->compare != COMPARE_MASKED_EQ && !p->mask &&
                     (!p->test || same_condition(p->test, cond)))
                p->test = cond;
            else { /* tested several ways: the value itself */
                p->mask = ~0ull;
                p->test = NULL;
            }
        }
    }
}

static cordon__condition opposite(const cordon__condition *c)
{
    static const enum cordon__compare inverse[] = {
        [COMPARE_EQ] = COMPARE_NE, [COMPARE_NE] = COMPARE_EQ, [COMPARE_LT] = COMPARE_GE,
        [COMPARE_GE] = COMPARE_LT, [COMPARE_LE] = COMPARE_GT, [COMPARE_GT] = COMPARE_LE,
        [COMPARE_MASKED_EQ] = COMPARE_MASKED_EQ, /* never asked: masked tests keep values */
    };
    cordon__condition o = *c;
    o.compare = inverse[c->compare];
    return o;
}

void cordon__learn_record(struct cordon_learned *l, const cordon_policy *base, int nr,
                          const uint64_t args[6], enum cordon__action action, int errno_value)
{
    cordon__learned_call *call = &l->calls[nr];
    arg_plan plan[6];
    plan_arguments(base, nr, plan);
    cordon__learned_pattern pattern = { .condition_count = 0 };
    for (unsigned a = 0; a < 6; a++) {
        if (!plan[a].mask && !plan[a].test)
            continue;
        cordon__condition *c = &pattern.conditions[pattern.condition_count++];
        if (plan[a].test) {
            *c = cordon__condition_holds(plan[a].test, args) ? *plan[a].test
                                                              : opposite(plan[a].test);
        } else if (plan[a].mask == ~0ull) {
            *c = (cordon__condition){ .arg = a, .compare = COMPARE_EQ, .value = args[a] };
        } else {
            *c = (cordon__condition){ .arg = a, .compare = COMPARE_MASKED_EQ,
                                      .mask = plan[a].mask, .value = args[a] & plan[a].mask };
        }
    }
    call->count++;
    if (action == ACTION_ERRNO) {
        call->errno_value = errno_value;
        cordon__learn_add_pattern(&call->refused, &pattern);
    } else {
        cordon__learn_add_pattern(&call->allowed, &pattern);
    }
}
