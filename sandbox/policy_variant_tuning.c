/*
 * A policy's variant for a task without a pid namespace: it tunes no
 * process but its own.
 *
 * In a pid namespace the only process a task can name that is not its
 * own is cordon's init.  Without one it names every process of the
 * machine, and the calls that tune a process by its pid need no more than
 * the same user: a task of the caller's user reniced its caller
 * (setpriority), pinned it to one CPU (sched_setaffinity), made it
 * SCHED_IDLE (sched_setscheduler, sched_setattr), gave it the idle I/O
 * class (ioprio_set), under the default policy — Landlock scopes signals
 * and ptrace, not these.  So, whatever the policy's own allows say, each
 * names only the task itself (pid 0) or its own process group (0), never
 * a user's processes (PRIO_USER, IOPRIO_WHO_USER): the policy's allow
 * rules for them are cut down to those, and the rest fails with EPERM.
 * A program that tunes its own threads by their ids (pthread_setaffinity_np)
 * meets EPERM too; in a pid namespace nothing of this applies.
 */
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_rules.h"

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3
#define INT_MASK 0xffffffffull /* the kernel reads these as C ints */
#define SOME_PID 4194304      /* PID_MAX_LIMIT: a process not the task's */

static const struct tuner {
    int nr;
    int which_arg;        /* -1: the call names a pid alone */
    uint64_t process, group, user; /* its `which` values */
    unsigned who_arg;
} tuners[] = {
    { SYS_setpriority, 0, PRIO_PROCESS, PRIO_PGRP, PRIO_USER, 1 },
    { SYS_ioprio_set, 0, IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER, 1 },
    { SYS_sched_setaffinity, -1, 0, 0, 0, 0 },
    { SYS_sched_setscheduler, -1, 0, 0, 0, 0 },
    { SYS_sched_setparam, -1, 0, 0, 0, 0 },
    { SYS_sched_setattr, -1, 0, 0, 0, 0 },
};
#define TUNER_COUNT (sizeof tuners / sizeof *tuners)

static cordon__rule refusal(int nr, cordon__condition condition)
{
    cordon__rule r = { .action = ACTION_ERRNO, .errno_value = EPERM, .syscall = nr,
                       .condition_count = 1 };
    r.conditions[0] = condition;
    return r;
}

static int refuse_tuning(cordon_policy *v, const struct tuner *t)
{
    uint64_t other[6] = { 0 };
    other[t->who_arg] = SOME_PID;
    if (t->which_arg >= 0)
        other[t->which_arg] = t->process;
    if (!cordon__variant_lets_through(v, t->nr, other))
        return 0; /* refused already, by the policy's rules or its default */
    int rc = 0;
    if (t->which_arg >= 0) {
        const cordon__condition kinds[] = {
            { .arg = (unsigned)t->which_arg, .compare = COMPARE_EQ, .value = t->process },
            { .arg = (unsigned)t->which_arg, .compare = COMPARE_EQ, .value = t->group },
        };
        rc = cordon__variant_split_allows(v, t->nr, kinds, 2);
    }
    const cordon__condition itself = { .arg = t->who_arg, .compare = COMPARE_EQ, .value = 0 };
    if (rc == 0)
        rc = cordon__variant_split_allows(v, t->nr, &itself, 1);
    /* before the policy's rules, as the prlimit64 refusal (the cut-down
     * allows never hold where these do) */
    cordon__rule refusals[2];
    size_t count = 0;
    refusals[count++] = refusal(t->nr, (cordon__condition){ .arg = t->who_arg,
                                                            .compare = COMPARE_NE });
    if (t->which_arg >= 0)
        refusals[count++] = refusal(t->nr, cordon__masked_condition((unsigned)t->which_arg,
                                                                   INT_MASK, t->user));
    return rc < 0 ? rc : cordon__variant_prepend(v, refusals, count);
}

int cordon__variant_refuse_tuning_others(cordon_policy *v)
{
    int rc = 0;
    for (size_t i = 0; i < TUNER_COUNT && rc == 0; i++)
        rc = refuse_tuning(v, &tuners[i]);
    return rc;
}

size_t cordon__variant_tuning_rules(const cordon_policy *p)
{
    size_t rules = 2 * TUNER_COUNT; /* the refusals */
    for (size_t i = 0; i < p->rule_count; i++)
        for (size_t k = 0; k < TUNER_COUNT; k++)
            rules += p->rules[i].syscall == tuners[k].nr; /* split two ways */
    return rules;
}

bool cordon__variant_refuses_tuning_others(const cordon_policy *v)
{
    static const uint64_t high = 1ull << 32; /* the kernel reads only the int */
    for (size_t i = 0; i < TUNER_COUNT; i++) {
        const struct tuner *t = &tuners[i];
        uint64_t asks[4][6] = { { 0 } };
        size_t count = 2;
        asks[0][t->who_arg] = SOME_PID; /* another process */
        asks[1][t->who_arg] = high | SOME_PID;
        if (t->which_arg >= 0) {
            asks[0][t->which_arg] = asks[1][t->which_arg] = t->process;
            asks[2][t->which_arg] = t->user; /* every process of a user */
            asks[3][t->which_arg] = high | t->user;
            count = 4;
        }
        for (size_t a = 0; a < count; a++)
            if (cordon__variant_filter_lets_through(v, t->nr, asks[a]) != 0)
                return false;
    }
    return true;
}
