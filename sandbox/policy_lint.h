/*
 * The linter's shared state and its checks of conditions
 * (policy_lint_conditions.c), for policy_lint.c.  Private to sandbox/.
 */
#ifndef CORDON_SANDBOX_POLICY_LINT_H
#define CORDON_SANDBOX_POLICY_LINT_H

#include <stdio.h>

#include "policy_rules.h"

typedef struct linter {
    cordon__read_notes notes;  /* first: the grammar hands back &notes */
    FILE *out;
    const char *name;          /* as the caller named the policy */
    cordon_policy *policy;
    unsigned warnings;
    bool *dead;                /* per rule: decides no call */
    bool *quiet;               /* per rule: in a repeated include, said once */
} linter;

/* "FILE:LINE:COL: warning: …", counted. */
void cordon__lint_warn(linter *l, const char *origin, unsigned line, unsigned column,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Whether two rules give the same action (and errno). */
bool cordon__lint_same_action(const cordon__rule *a, const cordon__rule *b);

/* Checks of rule i's conditions; each may warn, the first marks the rule
 * dead. */
void cordon__lint_conditions_hold(linter *l, size_t i);
void cordon__lint_overlap(linter *l, size_t i);
void cordon__lint_int_arguments(linter *l, size_t i);
void cordon__lint_foreign_abis(linter *l, size_t i);

#endif
