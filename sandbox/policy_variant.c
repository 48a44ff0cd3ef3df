/*
 * What a policy means for a task without a pid namespace.
 *
 * The policies let a task call setsid and setpgid, and set the limits of
 * any process of its own tree: in a pid namespace its tree is held by the
 * namespace's init (cordon's, which kills every process in it) and the
 * only process it can name that is not its own is that init, pid 1.  A
 * task started without namespaces (the machine refuses them) can name
 * every process of the machine, the caller's among them, and its tree is
 * held by its v2 cgroup (cgroup.kill), or, without one, by its process
 * group alone.  Such a task runs under a variant of its policy, built once
 * per policy and kind, in the parent, before the fork:
 * - without a pid namespace, prlimit64 setting the limits of any pid but
 *   0 (itself) is killed, as the policy's own rule for prlimit64 says for
 *   pid 1 (only for a policy that has such a rule);
 * - without a pid namespace and a v2 cgroup, setsid and setpgid fail with
 *   EPERM (only where the policy allows them outright), so that the tree
 *   stays in its process group and dies with it;
 * - without a network (the task's own network namespace), socket(AF_UNIX)
 *   fails with EACCES and sockets of the families the namespace does not
 *   hold (vsock among them) with EAFNOSUPPORT, whatever the policy's own
 *   allow rules say (policy_variant_network.c): the namespace does not
 *   hold a unix socket bound to a path, which the task could otherwise
 *   reach (the caller's services), nor a vsock;
 * - with file rules, inotify_add_watch and fanotify_mark fail with EACCES
 *   (where the policy allows them outright): Landlock does not govern
 *   them, and a watch shows the names in a directory the task may not list;
 * - with a file size limit, the ways a task would send itself SIGXFSZ
 *   fail with EPERM (policy_variant_signals.c), so that a SIGXFSZ death
 *   is the kernel's report of the limit.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_decide.h"
#include "policy_rules.h"

static pthread_mutex_t variant_lock = PTHREAD_MUTEX_INITIALIZER;

/* Only a call the policy allows outright is refused: a rule of its own
 * (a kill, a condition) is never weakened to an errno. */
static bool allowed_outright(const cordon_policy *p, int nr)
{
    if (p->default_action != ACTION_ALLOW && p->default_action != ACTION_LOG)
        return false;
    for (size_t i = 0; i < p->rule_count; i++)
        if (p->rules[i].syscall == nr && p->rules[i].action != ACTION_ALLOW &&
            p->rules[i].action != ACTION_LOG)
            return false;
    return true;
}

static bool kills_some(const cordon_policy *p, int nr)
{
    for (size_t i = 0; i < p->rule_count; i++)
        if (p->rules[i].syscall == nr && p->rules[i].action == ACTION_KILL)
            return true;
    return false;
}

cordon__rule *cordon__variant_last_unconditional(cordon_policy *v, int nr)
{
    cordon__rule *last = NULL;
    for (size_t i = 0; i < v->rule_count; i++)
        if (v->rules[i].syscall == nr && v->rules[i].condition_count == 0)
            last = &v->rules[i];
    return last;
}

bool cordon__variant_lets_through(const cordon_policy *p, int nr, const uint64_t args[6])
{
    enum cordon__action action;
    int errno_value;
    if (!cordon__policy_decide(p, nr, args, &action, &errno_value))
        action = p->default_action;
    return action == ACTION_ALLOW || action == ACTION_LOG;
}

static int stored_name(const cordon__rule *rule, const char **stored)
{
    const char *name = cordon__syscall_name(rule->syscall);
    if (!name || cordon__syscall_lookup(name, strlen(name), stored) != rule->syscall)
        return -EINVAL;
    return 0;
}

int cordon__variant_append(cordon_policy *v, const cordon__rule *rule)
{
    const char *stored;
    if (v->rule_count >= v->rule_size)
        return -ENOSPC;
    if (stored_name(rule, &stored) < 0)
        return -EINVAL;
    cordon__rule *added = &v->rules[v->rule_count++];
    *added = *rule;
    added->syscall_name = stored;
    added->origin = v->name;
    added->overridden_by = -1;
    return 0;
}

int cordon__variant_prepend(cordon_policy *v, const cordon__rule *rules, size_t count)
{
    if (v->rule_count + count > v->rule_size)
        return -ENOSPC;
    memmove(v->rules + count, v->rules, v->rule_count * sizeof *v->rules);
    for (size_t i = 0; i < count; i++) {
        const char *stored;
        if (stored_name(&rules[i], &stored) < 0)
            return -EINVAL;
        v->rules[i] = rules[i];
        v->rules[i].syscall_name = stored;
        v->rules[i].origin = v->name;
        v->rules[i].overridden_by = -1;
    }
    v->rule_count += count;
    return 0;
}

static int add_rule(cordon_policy *v, const cordon__rule *rule, const char *name)
{
    const char *stored;
    if (cordon__syscall_lookup(name, strlen(name), &stored) != rule->syscall)
        return -EINVAL;
    cordon__rule *added = &v->rules[v->rule_count++];
    *added = *rule;
    added->syscall_name = stored;
    added->origin = v->name;
    added->overridden_by = -1;
    return 0;
}

static int add_variant_rules(const cordon_policy *p, cordon_policy *v, unsigned kind)
{
    int rc = 0;
    if (kind & CORDON__VARIANT_NO_PID_NAMESPACE && kills_some(p, SYS_prlimit64)) {
        /* "kill prlimit64 if arg0 != 0 && arg2 != 0" */
        cordon__rule rule = { .action = ACTION_KILL, .syscall = SYS_prlimit64,
                              .condition_count = 2 };
        rule.conditions[0] = (cordon__condition){ .arg = 0, .compare = COMPARE_NE };
        rule.conditions[1] = (cordon__condition){ .arg = 2, .compare = COMPARE_NE };
        rc = add_rule(v, &rule, "prlimit64");
    }
    cordon__rule refusal = { .action = ACTION_ERRNO, .errno_value = EPERM };
    if (rc == 0 && (kind & CORDON__VARIANT_NO_TREE_HOLD) && allowed_outright(p, SYS_setsid)) {
        refusal.syscall = SYS_setsid;
        rc = add_rule(v, &refusal, "setsid");
    }
    if (rc == 0 && (kind & CORDON__VARIANT_NO_TREE_HOLD) && allowed_outright(p, SYS_setpgid)) {
        refusal.syscall = SYS_setpgid;
        rc = add_rule(v, &refusal, "setpgid");
    }
    if (rc == 0 && (kind & CORDON__VARIANT_NO_NETWORK))
        rc = cordon__variant_refuse_sockets_outside_the_namespace(v);
    cordon__rule unwatched = { .action = ACTION_ERRNO, .errno_value = EACCES };
    if (rc == 0 && (kind & CORDON__VARIANT_FILE_RULES) && allowed_outright(p, SYS_inotify_add_watch)) {
        unwatched.syscall = SYS_inotify_add_watch;
        rc = add_rule(v, &unwatched, "inotify_add_watch");
    }
    if (rc == 0 && (kind & CORDON__VARIANT_FILE_RULES) && allowed_outright(p, SYS_fanotify_mark)) {
        unwatched.syscall = SYS_fanotify_mark;
        rc = add_rule(v, &unwatched, "fanotify_mark");
    }
    if (rc == 0 && (kind & CORDON__VARIANT_FILE_SIZE_LIMIT))
        rc = cordon__variant_refuse_sigxfsz_sends(v);
    return rc;
}

/* A copy of `p`'s rules (their origins stay `p`'s, which outlives the
 * variant) with the variant's added, compiled. */
static cordon_policy *build_variant(const cordon_policy *p, unsigned kind)
{
    cordon_policy *v = calloc(1, sizeof *v);
    errno = ENOMEM;
    if (!v)
        return NULL;
    *v = *p;
    v->description = NULL;
    v->origins = NULL;
    v->origin_count = 0;
    v->program.filter = NULL;
    v->program.len = 0;
    memset(v->variants, 0, sizeof v->variants);
    v->name = strdup(p->name);
    size_t socket_rules = 0; /* split up to four ways without a network */
    for (size_t i = 0; i < p->rule_count; i++)
        socket_rules += p->rules[i].syscall == SYS_socket || p->rules[i].syscall == SYS_socketpair;
    v->rule_size = p->rule_count + 3 * socket_rules + 5 + CORDON__NETWORK_RULES +
                   CORDON__SIGXFSZ_SEND_RULES;
    v->rules = malloc(v->rule_size * sizeof *v->rules);
    if (!v->name || !v->rules) {
        cordon_policy_free(v);
        return NULL;
    }
    memcpy(v->rules, p->rules, p->rule_count * sizeof *v->rules);
    cordon_error err;
    if (add_variant_rules(p, v, kind) < 0 || cordon__policy_compile(v, &err) < 0) {
        cordon_policy_free(v);
        return NULL;
    }
    if ((kind & CORDON__VARIANT_NO_NETWORK) &&
        !cordon__variant_refuses_sockets_outside_the_namespace(v)) {
        cordon_policy_free(v); /* fails closed: a task never runs with less */
        errno = EPERM;
        return NULL;
    }
    if (kind & CORDON__VARIANT_FILE_SIZE_LIMIT)
        v->refuses_own_sigxfsz = cordon__variant_sigxfsz_sends_refused(v);
    return v;
}

const cordon_policy *cordon__policy_variant(const cordon_policy *p, unsigned kind)
{
    kind &= CORDON__VARIANT_NO_PID_NAMESPACE | CORDON__VARIANT_NO_TREE_HOLD |
            CORDON__VARIANT_NO_NETWORK | CORDON__VARIANT_FILE_RULES |
            CORDON__VARIANT_FILE_SIZE_LIMIT;
    if (!kind)
        return p;
    cordon_policy *mutable = (cordon_policy *)p;
    pthread_mutex_lock(&variant_lock);
    if (!mutable->variants[kind])
        mutable->variants[kind] = build_variant(p, kind);
    const cordon_policy *v = mutable->variants[kind];
    pthread_mutex_unlock(&variant_lock);
    return v;
}
