/* What a policy's rules do with one call, decided in the parent
 * (policy_decide.c).  Private to sandbox/. */
#ifndef CORDON_SANDBOX_POLICY_DECIDE_H
#define CORDON_SANDBOX_POLICY_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "policy_rules.h"

/* True, with *action (and *errno_value for an errno) set, when a rule of
 * `p` (or its "newer" action) decides native call `nr` with these
 * arguments; false when the policy's default does. */
bool cordon__policy_decide(const cordon_policy *p, int nr, const uint64_t args[6],
                           enum cordon__action *action, int *errno_value);
/* True, with *errno_value set, when native `nr` is execve or execveat and
 * `p` refuses it with these arguments with an errno, as its filter would
 * (cordon_policy_decide): what the parent answers an exec with that the
 * program sends to the listener for its errno (policy_compile.c). */
bool cordon__policy_exec_errno(const cordon_policy *p, int nr, const uint64_t args[6],
                               int *errno_value);

#endif
