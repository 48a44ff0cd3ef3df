/*
 * Learning a policy (cordon_learn): the task runs under a filter that
 * sends every call to the parent, which records it and lets it through
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE), unless the base policy — the one the
 * task was given, `default` if none — kills it or refuses it with an
 * errno.  From the record, policy_learn_write.c writes the smallest
 * allow-list (default kill) that lets the same run through.
 *
 * Why everything after the filter and nothing before: the filter is the
 * last confinement step, so cordon's own set-up (namespaces, the init,
 * Landlock, limits) never reaches it and cannot pollute the record, while
 * every call the task's tree makes from there on — cordon's own last steps
 * included (the setup record's munmap, the command's exec) — is exactly
 * what a filter installed at the same point must let through.
 */
#ifndef CORDON_SANDBOX_POLICY_LEARN_H
#define CORDON_SANDBOX_POLICY_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "policy_rules.h"

/* At most this many argument patterns per call and action; past it the
 * call is allowed whatever its arguments. */
#define CORDON_LEARN_MAX_PATTERNS 16

/* One argument pattern: the values of the arguments worth constraining. */
typedef struct cordon__learned_pattern {
    unsigned condition_count;
    cordon__condition conditions[CORDON_MAX_CONDITIONS];
} cordon__learned_pattern;

/* What one action did to one syscall across the runs. */
typedef struct cordon__learned_use {
    bool seen;
    bool any;                 /* whatever the arguments */
    unsigned pattern_count;
    cordon__learned_pattern patterns[CORDON_LEARN_MAX_PATTERNS];
} cordon__learned_use;

typedef struct cordon__learned_call {
    uint64_t count;
    cordon__learned_use allowed;
    cordon__learned_use refused;   /* an errno, as under the base policy */
    int errno_value;
} cordon__learned_call;

struct cordon_learned {
    unsigned runs;                 /* learning runs and merged policies */
    unsigned merged;               /* of which merged policies */
    cordon__learned_call *calls;   /* CORDON_SYSCALL_TABLE_SIZE of them */
    char *base;                    /* the base policy's name, of the last run */
    /* the timing companions (cordon__learn_companion) a base policy of
     * one of the runs has a refusing rule for: never added, the base
     * decides */
    bool companion_ruled[CORDON_SYSCALL_TABLE_SIZE];
    /* the errno a call numbered beyond any rule's reach (1024 and up) was
     * answered with, or 0: the policy's `newer` answers the same */
    int beyond_table_errno;
};

/* The state of one learning run, hung on the task while it runs. */
typedef struct cordon__learning {
    struct cordon_learned *learned;
    const cordon_policy *base;     /* NULL: no base, nothing refused */
    /* what a run with the same isolation refuses besides the base's rules
     * (cordon__learning_confinement), made by the start; NULL: nothing */
    cordon_policy *confinement;
} cordon__learning;

/* Parent side, in place of cordon__notification_handle while learning:
 * the same contract (1: answered, 0: a violation of the base policy named
 * in `description` and left unanswered, negative errno on failure). */
int cordon__learn_handle(int listener_fd, struct cordon__notify_state *state,
                         cordon__learning *learning, char *description, size_t size);

/* A filter that sends every call to the listener, named `base_name` (so
 * that a violation names the base policy).  -EOPNOTSUPP where the kernel
 * has no user notification.  Free with cordon_policy_free. */
int cordon__learning_policy(const char *base_name, cordon_policy **out);

/* Records one call under `action` (ACTION_ALLOW or ACTION_ERRNO), with
 * the arguments worth constraining and those `base`'s refusing rules for
 * it test. */
void cordon__learn_record(struct cordon_learned *l, const cordon_policy *base, int nr,
                          const uint64_t args[6], enum cordon__action action, int errno_value);

/* Adds a pattern to what `use` saw (NULL or no conditions: any
 * arguments); past CORDON_LEARN_MAX_PATTERNS, any arguments. */
void cordon__learn_add_pattern(cordon__learned_use *use, const cordon__learned_pattern *pattern);

/* Which arguments of `nr` are worth constraining, as a bit set (bit N for
 * argN), and which of them are C ints (the kernel reads their low 32
 * bits: compared under & 0xffffffff). */
unsigned cordon__learn_constrained_args(int nr, unsigned *int_args);

/* Notes which timing companions `base` has a rule for (called once per
 * learning run). */
void cordon__learn_note_base(struct cordon_learned *l, const cordon_policy *base);

/* True when `nr` is not in the record but is written as allowed anyway: a
 * call a program makes on one run and not on the next by timing alone,
 * once the record shows what makes it possible (futex once threads are
 * made, rt_sigreturn once a signal's action is set, restart_syscall once a
 * call that sleeps with a timeout is made), and no base refuses it. */
bool cordon__learn_companion(const struct cordon_learned *l, int nr);

/* The grouping of the written policy: a short heading for `nr`. */
const char *cordon__learn_group(int nr, unsigned *order);

#endif
