/*
 * cordon_learn: one run of a task under a filter that records every call
 * (sandbox/policy_learn.c), with the task's own policy as the base whose
 * kills and errnos still hold.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../sandbox/policy_learn.h"

int cordon_learn(cordon_task *t, cordon_learned *learned)
{
    CORDON__NO_CANCELLATION;
    if (!t || !learned)
        return -EINVAL;
    if (cordon__task_running(t))
        return -EBUSY;
    const cordon_policy *base = t->policy_set ? t->policy : cordon__policy_builtin_default();
    if (!t->policy_set && !base)
        return -ENOMEM;
    cordon_policy *filter;
    int rc = cordon__learning_policy(cordon_policy_name(base), &filter);
    if (rc < 0)
        return rc;
    char *base_name = strdup(cordon_policy_name(base));
    if (!base_name) {
        cordon_policy_free(filter);
        return -ENOMEM;
    }
    cordon__learn_note_base(learned, base);
    cordon__learning learning = { .learned = learned, .base = base };
    const cordon_policy *saved = t->policy;
    bool saved_set = t->policy_set;
    t->policy = filter;
    t->policy_set = true;
    t->learning = &learning;
    rc = cordon_run(t);
    t->learning = NULL;
    t->policy = saved;
    t->policy_set = saved_set;
    cordon_policy_free(filter);
    cordon_policy_free(learning.confinement);
    free(learned->base);
    learned->base = base_name;
    /* A run whose task never began (refused confinement, a failed exec
     * or set-up hook, a start the deadline overtook: classify's
     * code_began) is no run: counted, it made `default kill` alone a
     * learned policy, which kills every task. */
    if (t->code_began)
        learned->runs++;
    return rc;
}
