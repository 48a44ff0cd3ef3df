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
 *   hold (vsock among them) with EAFNOSUPPORT, where the policy lets them
 *   through and has no allow rule of its own for socket: the namespace
 *   does not hold a unix socket bound to a path, which the task could
 *   otherwise reach (the caller's services), nor a vsock;
 * - with file rules, inotify_add_watch and fanotify_mark fail with EACCES
 *   (where the policy allows them outright): Landlock does not govern
 *   them, and a watch shows the names in a directory the task may not list;
 * - with a file size limit, the ways a task would send itself SIGXFSZ or
 *   change its RLIMIT_FSIZE fail with EPERM (policy_variant_signals.c), so
 *   that a SIGXFSZ death
 *   is the kernel's report of the limit.
 */
#include <errno.h>
#include <signal.h>
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

/* socket(family) goes through, and no rule of the policy's allows socket
 * (an allow of its own is the policy's word). */
static bool lets_sockets_through(const cordon_policy *p, int family)
{
    for (size_t i = 0; i < p->rule_count; i++)
        if (p->rules[i].syscall == SYS_socket &&
            (p->rules[i].action == ACTION_ALLOW || p->rules[i].action == ACTION_LOG))
            return false;
    enum cordon__action action;
    int errno_value;
    const uint64_t args[6] = { (uint64_t)family, SOCK_STREAM, 0, 0, 0, 0 };
    if (!cordon__policy_decide(p, SYS_socket, args, &action, &errno_value))
        action = p->default_action;
    return action == ACTION_ALLOW || action == ACTION_LOG;
}

/* "errno E socket if arg0 == family" (or >= family). */
static int refuse_family(const cordon_policy *p, cordon_policy *v, int family,
                         enum cordon__compare compare, int error)
{
    if (!lets_sockets_through(p, family))
        return 0;
    cordon__rule rule = { .action = ACTION_ERRNO, .errno_value = error, .syscall = SYS_socket,
                          .condition_count = 1 };
    rule.conditions[0] = (cordon__condition){ .arg = 0, .compare = compare,
                                              .value = (uint64_t)family };
    return add_rule(v, &rule, "socket");
}

/* Without a network, only the families a network namespace holds are
 * left: IPv4, IPv6, netlink and packet sockets, each in the task's own
 * namespace.  A unix socket bound to a path is EACCES (the caller's
 * services); every other family (vsock, which reaches the hypervisor's
 * host, and the rest) EAFNOSUPPORT, as on a machine without it. */
#define SOCKET_FAMILY_RULES 15
static int refuse_families_outside_the_namespace(const cordon_policy *p, cordon_policy *v)
{
    int rc = refuse_family(p, v, AF_UNIX, COMPARE_EQ, EACCES);
    for (int family = AF_UNIX + 1; family < AF_PACKET && rc == 0; family++)
        if (family != AF_INET && family != AF_INET6 && family != AF_NETLINK)
            rc = refuse_family(p, v, family, COMPARE_EQ, EAFNOSUPPORT);
    if (rc == 0)
        rc = refuse_family(p, v, AF_PACKET + 1, COMPARE_GE, EAFNOSUPPORT);
    /* A datagram socket of a pair still sends to any path it names
     * (sendto, connect): "errno EACCES socketpair if arg1 & 0xf ==
     * SOCK_DGRAM".  A stream or seqpacket pair reaches only its peer. */
    if (rc == 0 && allowed_outright(p, SYS_socketpair)) {
        cordon__rule rule = { .action = ACTION_ERRNO, .errno_value = EACCES,
                              .syscall = SYS_socketpair, .condition_count = 1 };
        rule.conditions[0] = (cordon__condition){ .arg = 1, .compare = COMPARE_MASKED_EQ,
                                                  .mask = 0xf, .value = SOCK_DGRAM };
        rc = add_rule(v, &rule, "socketpair");
    }
    return rc;
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
        rc = refuse_families_outside_the_namespace(p, v);
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
        rc = cordon__variant_refuse_own_signal(v, SIGXFSZ);
    if (rc == 0 && (kind & CORDON__VARIANT_NO_LISTENER))
        rc = cordon__variant_refuse_own_signal(v, SIGSYS);
    return rc;
}

/* A copy of `p`'s rules (their origins stay `p`'s, which outlives the
 * variant) with the variant's added, compiled. */
static cordon_policy *build_variant(const cordon_policy *p, unsigned kind)
{
    cordon_policy *v = calloc(1, sizeof *v);
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
    v->rule_size = p->rule_count + 5 + SOCKET_FAMILY_RULES + 2 * CORDON__OWN_SIGNAL_RULES;
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
    if (kind & CORDON__VARIANT_FILE_SIZE_LIMIT)
        v->refuses_own_sigxfsz = cordon__variant_own_signal_refused(v, SIGXFSZ);
    if (kind & CORDON__VARIANT_NO_LISTENER)
        v->refuses_own_sigsys = cordon__variant_own_signal_refused(v, SIGSYS);
    return v;
}

/* A policy that traps some call: cordon's crash handler, which records
 * the trap, dies by sending the task the SIGSYS again, which NO_LISTENER
 * would refuse.  A trap is named from the handler's record instead. */
static bool traps(const cordon_policy *p)
{
    if (p->default_action == ACTION_TRAP || (p->newer_set && p->newer_action == ACTION_TRAP))
        return true;
    for (size_t i = 0; i < p->rule_count; i++)
        if (p->rules[i].action == ACTION_TRAP)
            return true;
    return false;
}

const cordon_policy *cordon__policy_variant(const cordon_policy *p, unsigned kind)
{
    kind &= CORDON__VARIANT_NO_PID_NAMESPACE | CORDON__VARIANT_NO_TREE_HOLD |
            CORDON__VARIANT_NO_NETWORK | CORDON__VARIANT_FILE_RULES |
            CORDON__VARIANT_FILE_SIZE_LIMIT;
    /* A filter without a listener kills with a bare SIGSYS. */
    if (!p->notifies && !traps(p))
        kind |= CORDON__VARIANT_NO_LISTENER;
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
