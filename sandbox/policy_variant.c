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
 *   0 (itself) is refused: killed where the policy has a kill rule for
 *   prlimit64 (as the default one has for pid 1), else EPERM; so is, with
 *   EPERM, tuning any process but itself or its own process group (nice
 *   value, affinity, scheduling, I/O priority: policy_variant_tuning.c);
 * - without a pid namespace, clone with CLONE_PARENT fails with EPERM and
 *   clone3 with ENOSYS: the child would be the caller's, which nothing
 *   reaps (refuse_clone_parent);
 * - without a pid namespace and a v2 cgroup, setsid and setpgid fail with
 *   EPERM, so that the tree stays in its process group and dies with it;
 * - without a network (the task's own network namespace), socket(AF_UNIX)
 *   fails with EACCES and sockets of the families the namespace does not
 *   hold (vsock among them) with EAFNOSUPPORT, whatever the policy's own
 *   allow rules say (policy_variant_network.c): the namespace does not
 *   hold a unix socket bound to a path, which the task could otherwise
 *   reach (the caller's services), nor a vsock;
 * - with file rules, inotify_add_watch and fanotify_mark fail with EACCES:
 *   Landlock does not govern them, and a watch shows the names in a
 *   directory the task may not list; nor connect() to a socket file, so
 *   socket(AF_UNIX) and a datagram or raw socketpair fail with EACCES and
 *   io_uring_setup with EPERM (policy_variant_unix_sockets.c);
 * - with a file size limit, the ways a task would send itself SIGXFSZ or
 *   change its RLIMIT_FSIZE fail with EPERM (policy_variant_signals.c), so
 *   that a SIGXFSZ death
 *   is the kernel's report of the limit;
 * - without a user namespace of its own, the keyring calls fail with
 *   EPERM: the user keyring is the task's user's, shared with the caller
 *   of that user and every sibling task, and any process of the user
 *   possesses it (its session keyring is its own: sandbox/keyrings.c);
 * - for a task of uid 0 or one with a v2 cgroup of its own, clone3 fails
 *   with ENOSYS: CLONE_INTO_CGROUP moves a child into any cgroup whose
 *   cgroup.procs the task's user owns, past a read-only mount and
 *   Landlock, out of the cgroup that holds its tree and its limits;
 * - given a terminal as its stdin, ioctl(TIOCSWINSZ) fails with EPERM:
 *   the window's size is the caller's terminal's, and setting it signals
 *   the caller's foreground group (policy_variant_terminal.c);
 * - for a task of uid 0, the same unix sockets and io_uring as with file
 *   rules: the kernel lets uid 0 write its settings by the files' owner
 *   bits, and a descriptor of a writable proc mount sent over a unix
 *   socket from outside is held by no path rule;
 * - with a memory limit that only RLIMIT_AS holds (no memory cgroup),
 *   memfd_create, memfd_secret and shmget fail with EPERM: their pages
 *   outlive every mapping of them, and address space counts a page only
 *   while it is mapped (a task under 64 MiB held 512 MiB in a memfd).
 * Each holds whatever the policy's own allow rules say (an imported Docker
 * profile allows setsid, prlimit64, inotify and sockets by name): the
 * user asked for the isolation these complete.  What the policy refuses
 * outright itself keeps its own action.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "fork_reset.h"
#include "policy.h"
#include "policy_decide.h"
#include "policy_rules.h"

static pthread_mutex_t variant_lock = PTHREAD_MUTEX_INITIALIZER;
CORDON__RESET_IN_FORKED_COPIES(&variant_lock);

/* prlimit64's pid, 1 for the init in a pid namespace: pid_t is an int,
 * the kernel reads the low 32 bits. */
#define INIT_PID_MASK 0xffffffffull

/* The kinds under which socket(AF_UNIX) is refused (a network of the
 * task's own refuses it already). */
#define UNIX_SOCKETS_REFUSED (CORDON__VARIANT_FILE_RULES | CORDON__VARIANT_ROOT_UNIX_SOCKETS)

bool cordon__variant_kills_some(const cordon_policy *p, int nr)
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

bool cordon__action_allows(enum cordon__action action)
{
    return action == ACTION_ALLOW || action == ACTION_LOG;
}

bool cordon__variant_lets_through(const cordon_policy *p, int nr, const uint64_t args[6])
{
    enum cordon__action action;
    int errno_value;
    if (!cordon__policy_decide(p, nr, args, &action, &errno_value))
        action = p->default_action;
    return cordon__action_allows(action);
}

int cordon__variant_filter_lets_through(const cordon_policy *v, int nr, const uint64_t args[6])
{
    cordon_decision d;
    int rc = cordon_policy_simulate(v, nr, args, &d);
    if (rc < 0)
        return rc;
    return strcmp(d.action, "allow") == 0 || strcmp(d.action, "log") == 0;
}

cordon__condition cordon__masked_condition(unsigned arg, uint64_t mask, uint64_t value)
{
    return (cordon__condition){ .arg = arg, .compare = COMPARE_MASKED_EQ, .mask = mask,
                                .value = value };
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

/* Each allow (or log) rule for `nr` becomes one rule per kept condition
 * that it holds for, so that no allow of the policy's holds where a
 * refusal of the variant's does (libseccomp does not say which of two
 * rules that both hold decides).  A kept condition on an argument the rule
 * already compares replaces that comparison only where it is a single
 * value the rule holds for; a rule comparing it to one value within a
 * masked kept condition stays as it is. */
static bool within_kept(const cordon__condition *own, const cordon__condition *kept,
                        cordon__condition *use)
{
    uint64_t args[6] = { 0 };
    args[kept->arg] = kept->value;
    if (own->compare == COMPARE_EQ && kept->compare == COMPARE_MASKED_EQ) {
        *use = *own; /* one value: within the kept type, or not at all */
        return (own->value & kept->mask) == kept->value;
    }
    if (own->compare == COMPARE_MASKED_EQ && kept->compare == COMPARE_MASKED_EQ) {
        /* both masks at once, where they agree on the bits they share */
        uint64_t shared = own->mask & kept->mask;
        *use = *own;
        use->mask = own->mask | kept->mask;
        use->value = own->value | kept->value;
        return (own->value & shared) == (kept->value & shared);
    }
    *use = *kept;    /* the kept value, where the policy's comparison holds for it */
    return kept->compare == COMPARE_EQ && cordon__condition_holds(own, args);
}

/* A copy of `rule` that holds only for `kept` (and where `rule` holds), or
 * false when there is none. */
static bool cut_down(const cordon__rule *rule, const cordon__condition *kept, cordon__rule *out)
{
    *out = *rule;
    for (unsigned c = 0; c < out->condition_count; c++)
        if (out->conditions[c].arg == kept->arg)
            return within_kept(&rule->conditions[c], kept, &out->conditions[c]);
    if (out->condition_count == CORDON_MAX_CONDITIONS)
        return false;
    out->conditions[out->condition_count++] = *kept;
    return true;
}

/* A refusing rule of the policy's with exactly these conditions: the
 * copy would duplicate it (libseccomp refuses that), and it decides. */
static bool refused_as_such(const cordon_policy *v, const cordon__rule *copy)
{
    for (size_t i = 0; i < v->rule_count; i++) {
        const cordon__rule *r = &v->rules[i];
        if (r->syscall != copy->syscall || cordon__action_allows(r->action) ||
            r->condition_count != copy->condition_count)
            continue;
        bool same = true;
        for (unsigned c = 0; c < r->condition_count && same; c++)
            same = memcmp(&r->conditions[c], &copy->conditions[c], sizeof r->conditions[c]) == 0;
        if (same)
            return true;
    }
    return false;
}

int cordon__variant_split_allows(cordon_policy *v, int nr, const cordon__condition *kept,
                                 size_t count)
{
    size_t end = v->rule_count; /* the copies go after it, and are not split again */
    for (size_t i = 0; i < end;) {
        if (v->rules[i].syscall != nr || !cordon__action_allows(v->rules[i].action)) {
            i++;
            continue;
        }
        cordon__rule original = v->rules[i];
        memmove(&v->rules[i], &v->rules[i + 1], (v->rule_count - i - 1) * sizeof *v->rules);
        v->rule_count--;
        end--;
        for (size_t k = 0; k < count; k++) {
            cordon__rule copy;
            if (!cut_down(&original, &kept[k], &copy) || refused_as_such(v, &copy))
                continue;
            if (v->rule_count >= v->rule_size)
                return -ENOSPC;
            v->rules[v->rule_count++] = copy;
        }
    }
    return 0;
}

/* An allow of `nr` that holds for `value` of argument `arg`: an
 * unconditional one, or one an earlier split left (one masked condition
 * on that argument). */
static bool splits_for(const cordon__rule *r, int nr, unsigned arg, uint64_t value)
{
    if (r->syscall != nr || !cordon__action_allows(r->action))
        return false;
    const cordon__condition *c = &r->conditions[0];
    return r->condition_count == 0 ||
           (r->condition_count == 1 && c->arg == arg && c->compare == COMPARE_MASKED_EQ &&
            (value & c->mask) == c->value);
}

/* An allow of `nr` that holds for `value` of argument `arg` alone, in the
 * bits the kernel reads ("allow ioctl if arg1 == 0x100005414"): no part
 * of it survives the refusal. */
static bool allows_only(const cordon__rule *r, int nr, unsigned arg, uint64_t mask,
                        uint64_t value)
{
    const cordon__condition *c = &r->conditions[0];
    if (r->syscall != nr || !cordon__action_allows(r->action) || r->condition_count != 1 ||
        c->arg != arg)
        return false;
    if (c->compare == COMPARE_EQ)
        return (c->value & mask) == (value & mask);
    return c->compare == COMPARE_MASKED_EQ && (c->mask & mask) == mask &&
           (c->value & mask) == (value & mask);
}

int cordon__variant_split_ioctl_allows(cordon_policy *v, uint64_t mask, uint64_t command)
{
    return cordon__variant_split_allows_off(v, SYS_ioctl, 1, mask, command);
}

int cordon__variant_split_allows_off(cordon_policy *v, int nr, unsigned arg, uint64_t mask,
                                     uint64_t command)
{
    unsigned bits = (unsigned)__builtin_popcountll(mask);
    for (size_t i = 0; i < v->rule_count;) {
        cordon__rule original = v->rules[i];
        if (allows_only(&original, nr, arg, mask, command)) {
            memmove(&v->rules[i], &v->rules[i + 1], (v->rule_count - i - 1) * sizeof *v->rules);
            v->rule_count--;
            continue;
        }
        if (!splits_for(&original, nr, arg, command)) {
            i++;
            continue;
        }
        if (v->rule_count - 1 + bits > v->rule_size)
            return -ENOSPC;
        memmove(&v->rules[i], &v->rules[i + 1], (v->rule_count - i - 1) * sizeof *v->rules);
        v->rule_count--;
        cordon__condition held = original.condition_count ? original.conditions[0]
                                                          : cordon__masked_condition(arg, 0, 0);
        for (unsigned bit = 0; bit < 64; bit++) {
            uint64_t one = 1ull << bit;
            if (!(mask & one) || (held.mask & one))
                continue; /* on a bit it holds for, the command's own value */
            cordon__rule copy = original; /* holds for no command it was cut for */
            copy.condition_count = 1;
            copy.conditions[0] = cordon__masked_condition(arg, held.mask | one,
                                                          held.value | (~command & one));
            v->rules[v->rule_count++] = copy;
        }
    }
    return 0;
}

/* `nr` fails with `error` whatever the policy's allow rules say, unless
 * the policy refuses it outright itself (its own action stands). */
int cordon__variant_refuse_outright(cordon_policy *v, int nr, int error)
{
    cordon__rule *decider = cordon__variant_last_unconditional(v, nr);
    if (decider && !cordon__action_allows(decider->action))
        return 0;
    bool allowed_by_a_rule = false;
    for (size_t i = 0; i < v->rule_count; i++)
        allowed_by_a_rule |= v->rules[i].syscall == nr && cordon__action_allows(v->rules[i].action);
    if (!allowed_by_a_rule && !cordon__action_allows(v->default_action))
        return 0;
    /* the last unconditional rule overrides every other one */
    cordon__rule refusal = { .action = ACTION_ERRNO, .errno_value = error, .syscall = nr };
    return cordon__variant_append(v, &refusal);
}

/* Without a pid namespace a task names every process of the machine: it
 * may not set the limits of any but itself (pid 0), whatever the policy
 * allows; the refusal is the policy's kill where it has one for prlimit64
 * (as for cordon's init under the default policy), else EPERM. */
static int refuse_others_limits(const cordon_policy *p, cordon_policy *v)
{
    static const cordon__condition kept[] = {
        { .arg = 0, .compare = COMPARE_EQ, .value = 0 }, /* itself */
        { .arg = 2, .compare = COMPARE_EQ, .value = 0 }, /* only reading */
    };
    const uint64_t others[6] = { 4194304, 0, 4096, 0, 0, 0 };
    if (!cordon__variant_lets_through(v, SYS_prlimit64, others))
        return 0;
    int rc = cordon__variant_split_allows(v, SYS_prlimit64, kept, 2);
    cordon__rule rule = { .action = cordon__variant_kills_some(p, SYS_prlimit64) ? ACTION_KILL : ACTION_ERRNO,
                          .errno_value = EPERM, .syscall = SYS_prlimit64, .condition_count = 2 };
    rule.conditions[0] = (cordon__condition){ .arg = 0, .compare = COMPARE_NE };
    rule.conditions[1] = (cordon__condition){ .arg = 2, .compare = COMPARE_NE };
    /* before the allows: libseccomp 2.5.4 compiled it after "allow if
     * arg0 == 0" and "allow if arg2 == 0" into the default's action */
    return rc < 0 ? rc : cordon__variant_prepend(v, &rule, 1);
}

/* In a pid namespace the init's limits are the task's to lower where both
 * are of one user (policy.h: CORDON__VARIANT_INIT_LIMITS): setting them is
 * refused, reading them is not where the policy allows it; every allow
 * of prlimit64 is cut down to other pids (in the bits the kernel reads). */
static int refuse_init_limits(const cordon_policy *p, cordon_policy *v)
{
    /* Not judged by a sample of the call: a policy that refused it for
     * one resource or one pointer let others through (errno if arg2 <=
     * 8192, if arg1 == 7, if arg3 == 0). */
    if (!cordon__variant_lets_call_through(v, SYS_prlimit64))
        return 0;
    int rc = cordon__variant_split_allows_off(v, SYS_prlimit64, 0, INIT_PID_MASK, 1);
    /* The policy's kill where it kills some prlimit64 or by default (what
     * it does with a call its allows do not name): a violation named. */
    bool kills = cordon__variant_kills_some(p, SYS_prlimit64) || p->default_action == ACTION_KILL;
    cordon__rule rule = { .action = kills ? ACTION_KILL : ACTION_ERRNO,
                          .errno_value = EPERM, .syscall = SYS_prlimit64, .condition_count = 2 };
    rule.conditions[0] = cordon__masked_condition(0, INIT_PID_MASK, 1);
    rule.conditions[1] = (cordon__condition){ .arg = 2, .compare = COMPARE_NE };
    return rc < 0 ? rc : cordon__variant_prepend(v, &rule, 1);
}

/* A policy whose own rule refuses setting pid 1's limits whatever else
 * the call says (the default one's), and whose rules allow no prlimit64
 * of their own (its default lets the rest through): no variant needed. */
static bool refuses_every_init_limit(const cordon_policy *p)
{
    bool refusal = false;
    for (size_t i = 0; i < p->rule_count; i++) {
        const cordon__rule *r = &p->rules[i];
        if (r->syscall != SYS_prlimit64)
            continue;
        if (cordon__action_allows(r->action))
            return false;
        if (r->condition_count != 2)
            continue;
        for (int first = 0; first < 2; first++) {
            const cordon__condition *pid = &r->conditions[first], *limit = &r->conditions[!first];
            refusal |= pid->arg == 0 && pid->compare == COMPARE_MASKED_EQ &&
                       pid->mask == INIT_PID_MASK && pid->value == 1 && limit->arg == 2 &&
                       limit->compare == COMPARE_NE && limit->value == 0;
        }
    }
    return refusal;
}

/* Without a pid namespace the task's first process is the caller's own
 * child, and a child it starts with CLONE_PARENT is the caller's too: no
 * init reaps it, and cordon cannot wait for a pid it never learns without
 * taking the caller's other children.  A task that did so 500 times left
 * 500 zombies of the caller's, for as long as the caller lived, each
 * taking a pid of the machine's and of the caller's RLIMIT_NPROC.  So
 * clone with CLONE_PARENT fails with EPERM (the policy's kill where it
 * kills some clone), and clone3, whose flags are in memory no filter
 * reads, with ENOSYS, as on a kernel without it (the C library falls back
 * to clone). */
static int refuse_clone_parent(const cordon_policy *p, cordon_policy *v)
{
    int rc = cordon__variant_refuse_flag(p, v, SYS_clone, CLONE_PARENT);
    return rc < 0 ? rc : cordon__variant_refuse_outright(v, SYS_clone3, ENOSYS);
}

/* `nr` where `refused` holds fails with EPERM, or the policy's kill where
 * it kills some form of the call, wherever the policy lets the call
 * through at all; each allow of the call is cut down to the forms `kept`
 * (the others) holds for. */
static int refuse_where(const cordon_policy *p, cordon_policy *v, int nr,
                        const cordon__condition *refused, const cordon__condition *kept)
{
    if (!cordon__variant_lets_call_through(v, nr))
        return 0; /* refused outright */
    int rc = cordon__variant_split_allows(v, nr, kept, 1);
    cordon__rule rule = { .action = cordon__variant_kills_some(p, nr) ? ACTION_KILL : ACTION_ERRNO,
                          .errno_value = EPERM, .syscall = nr, .condition_count = 1 };
    rule.conditions[0] = *refused;
    return rc < 0 ? rc : cordon__variant_prepend(v, &rule, 1);
}

/* Without a pid namespace the task's first process is the caller's own
 * child, and PTRACE_TRACEME would make the caller its tracer: the
 * caller's waits then see its stops (it waited stopped at its first
 * signal or exec, for ever without a deadline), and a traced thread of
 * its that exits is a zombie only its tracer may reap (the run was held
 * to its deadline, and the zombie stayed the caller's).  So
 * ptrace(PTRACE_TRACEME) fails with EPERM (the policy's kill where it
 * kills some ptrace), as it does under a tracer already there; its other
 * requests are the policy's.  In a pid namespace the tracer is cordon's
 * init, which detaches (lib/task_init.c). */
static int refuse_tracing_the_caller(const cordon_policy *p, cordon_policy *v)
{
    const cordon__condition tracing = { .arg = 0, .compare = COMPARE_EQ,
                                        .value = PTRACE_TRACEME };
    const cordon__condition not_tracing = { .arg = 0, .compare = COMPARE_NE,
                                            .value = PTRACE_TRACEME };
    return refuse_where(p, v, SYS_ptrace, &tracing, &not_tracing);
}

/* The call with `flag` in its argument 0 (a flags word) fails with EPERM,
 * or the policy's kill where it kills some form of the call, wherever the
 * policy lets the call through at all: which flags its own conditions let
 * through with `flag` is not asked (a policy that let clone through only
 * with CLONE_NEWUSER refused a sample of CLONE_PARENT alone, the refusal
 * was left out, and CLONE_PARENT | CLONE_NEWUSER handed a child to the
 * caller).  Each allow of the call is cut down to forms without it. */
int cordon__variant_refuse_flag(const cordon_policy *p, cordon_policy *v, int nr, uint64_t flag)
{
    const cordon__condition with = cordon__masked_condition(0, flag, flag);
    const cordon__condition without = cordon__masked_condition(0, flag, 0);
    return refuse_where(p, v, nr, &with, &without);
}

/* The compiled variant, asked what it must refuse: a policy under which
 * one would still go through (libseccomp's tree of the policy's rules and
 * the variant's) is not used. */
static const char *unrefused(const cordon_policy *v, unsigned kind)
{
    static const struct { unsigned kind; int nr; uint64_t args[6]; } musts[] = {
        { CORDON__VARIANT_NO_PID_NAMESPACE, SYS_prlimit64, { 4194304, RLIMIT_NOFILE, 4096 } },
        { CORDON__VARIANT_NO_PID_NAMESPACE, SYS_prlimit64,
          { (1ull << 32) | 1, RLIMIT_NOFILE, 4096 } },
        { CORDON__VARIANT_NO_PID_NAMESPACE, SYS_clone, { CLONE_PARENT | SIGCHLD } },
        { CORDON__VARIANT_NO_PID_NAMESPACE, SYS_clone,
          { CLONE_PARENT | CLONE_VM | CLONE_VFORK | SIGCHLD, 4096 } },
        { CORDON__VARIANT_NO_PID_NAMESPACE, SYS_clone, { CLONE_PARENT | CLONE_NEWUSER | SIGCHLD } },
        { CORDON__VARIANT_NO_PID_NAMESPACE, SYS_clone3, { 4096, 88 } },
        { CORDON__VARIANT_NO_PID_NAMESPACE, SYS_ptrace, { PTRACE_TRACEME } },
        { CORDON__VARIANT_INIT_LIMITS, SYS_prlimit64, { 1, RLIMIT_NOFILE, 4096 } },
        { CORDON__VARIANT_INIT_LIMITS, SYS_prlimit64, { (1ull << 32) | 1, RLIMIT_CPU, 4096 } },
        { CORDON__VARIANT_INIT_LIMITS, SYS_prlimit64, { 1, RLIMIT_CPU, 8, 0 } },
        { CORDON__VARIANT_INIT_LIMITS, SYS_prlimit64, { 1, RLIMIT_NOFILE, 1ull << 40, 4096 } },
        { CORDON__VARIANT_INIT_LIMITS, SYS_prlimit64, { 1, RLIMIT_NPROC, 4096, 4096 } },
        { CORDON__VARIANT_NO_TREE_HOLD, SYS_setsid, { 0 } },
        { CORDON__VARIANT_NO_TREE_HOLD, SYS_setpgid, { 0 } },
        { CORDON__VARIANT_FILE_RULES, SYS_inotify_add_watch, { 3, 4096, 0x100 } },
        { CORDON__VARIANT_FILE_RULES, SYS_fanotify_mark, { 3, 1, 0x100, (uint64_t)-100 } },
        { CORDON__VARIANT_NO_NETWORK, SYS_io_uring_setup, { 8, 0x1000 } },
        { CORDON__VARIANT_FILE_RULES, SYS_io_uring_setup, { 8, 0x1000 } },
        { CORDON__VARIANT_ROOT_UNIX_SOCKETS, SYS_io_uring_setup, { 8, 0x1000 } },
        { CORDON__VARIANT_SHARED_COUNTS, SYS_keyctl, { 1, (uint64_t)-4, (uint64_t)-3 } },
        { CORDON__VARIANT_SHARED_COUNTS, SYS_add_key, { 0, 0, 0, 0, (uint64_t)-4 } },
        { CORDON__VARIANT_SHARED_COUNTS, SYS_request_key, { 0, 0, 0, (uint64_t)-4 } },
        { CORDON__VARIANT_SHARED_COUNTS, SYS_io_setup, { 1, 4096 } },
        { CORDON__VARIANT_CGROUP_MOVES, SYS_clone3, { 4096, 88 } },
        { CORDON__VARIANT_CGROUP_MOVES, SYS_unshare, { CLONE_NEWCGROUP } },
        { CORDON__VARIANT_CGROUP_MOVES, SYS_unshare, { CLONE_NEWCGROUP | CLONE_NEWUSER } },
        { CORDON__VARIANT_CGROUP_MOVES, SYS_unshare,
          { CLONE_NEWCGROUP | CLONE_NEWUSER | CLONE_NEWNS } },
        { CORDON__VARIANT_CGROUP_MOVES, SYS_clone, { CLONE_NEWCGROUP | SIGCHLD } },
        { CORDON__VARIANT_CGROUP_MOVES, SYS_clone, { CLONE_NEWCGROUP | CLONE_NEWUSER | SIGCHLD } },
        { CORDON__VARIANT_CGROUP_MOVES, SYS_clone,
          { CLONE_NEWCGROUP | CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD } },
        { CORDON__VARIANT_UNCOUNTED_SHARED_MEMORY, SYS_memfd_create, { 4096, 1 } },
        { CORDON__VARIANT_UNCOUNTED_SHARED_MEMORY, SYS_memfd_secret, { 0 } },
        { CORDON__VARIANT_UNCOUNTED_SHARED_MEMORY, SYS_shmget, { 0, 1 << 20, 01000 | 0600 } },
    };
    for (size_t i = 0; i < sizeof musts / sizeof *musts; i++)
        if ((kind & musts[i].kind) &&
            cordon__variant_filter_lets_through(v, musts[i].nr, musts[i].args) != 0)
            return cordon__syscall_name(musts[i].nr);
    if ((kind & CORDON__VARIANT_NO_PID_NAMESPACE) && !cordon__variant_refuses_tuning_others(v))
        return "tuning another process";
    if ((kind & CORDON__VARIANT_FILE_SIZE_LIMIT) && !cordon__variant_refuses_unchecked_growth(v))
        return "a file grown past the size limit unchecked (fallocate, FS_IOC_RESVSP)";
    if ((kind & CORDON__VARIANT_TERMINAL_STDIN) && !cordon__variant_refuses_window_size(v))
        return "setting the caller's terminal's window size (ioctl TIOCSWINSZ)";
    if ((kind & CORDON__VARIANT_SETID_MODES) && !cordon__variant_refuses_setid_modes(v))
        return "a set-uid or set-gid mode (chmod and its kin, an O_CREAT open, mknod), "
               "openat2 or io_uring_setup";
    if ((kind & CORDON__VARIANT_NO_NETWORK) &&
        !cordon__variant_refuses_sockets_outside_the_namespace(v))
        return "a socket outside the task's network namespace";
    const char *unix_socket = NULL;
    if ((kind & UNIX_SOCKETS_REFUSED) && !(kind & CORDON__VARIANT_NO_NETWORK) &&
        (unix_socket = cordon__variant_unrefused_unix_socket(v)))
        return unix_socket;
    return NULL;
}

static int add_variant_rules(const cordon_policy *p, cordon_policy *v, unsigned kind)
{
    int rc = 0;
    if (kind & CORDON__VARIANT_NO_PID_NAMESPACE)
        rc = refuse_others_limits(p, v);
    if (rc == 0 && (kind & CORDON__VARIANT_INIT_LIMITS))
        rc = refuse_init_limits(p, v);
    if (rc == 0 && (kind & CORDON__VARIANT_NO_PID_NAMESPACE))
        rc = cordon__variant_refuse_tuning_others(v);
    if (rc == 0 && (kind & CORDON__VARIANT_NO_PID_NAMESPACE))
        rc = refuse_clone_parent(p, v);
    if (rc == 0 && (kind & CORDON__VARIANT_NO_PID_NAMESPACE))
        rc = refuse_tracing_the_caller(p, v);
    if (rc == 0 && (kind & CORDON__VARIANT_NO_TREE_HOLD))
        rc = cordon__variant_refuse_outright(v, SYS_setsid, EPERM);
    if (rc == 0 && (kind & CORDON__VARIANT_NO_TREE_HOLD))
        rc = cordon__variant_refuse_outright(v, SYS_setpgid, EPERM);
    if (rc == 0 && (kind & CORDON__VARIANT_NO_NETWORK))
        rc = cordon__variant_refuse_sockets_outside_the_namespace(v);
    /* io_uring makes sockets (IORING_OP_SOCKET) that no filter sees, and
     * connects them */
    if (rc == 0 && (kind & (CORDON__VARIANT_NO_NETWORK | UNIX_SOCKETS_REFUSED)))
        rc = cordon__variant_refuse_outright(v, SYS_io_uring_setup, EPERM);
    if (rc == 0 && (kind & CORDON__VARIANT_FILE_RULES))
        rc = cordon__variant_refuse_outright(v, SYS_inotify_add_watch, EACCES);
    if (rc == 0 && (kind & CORDON__VARIANT_FILE_RULES))
        rc = cordon__variant_refuse_outright(v, SYS_fanotify_mark, EACCES);
    /* Without a network the unix sockets are refused already. */
    if (rc == 0 && (kind & UNIX_SOCKETS_REFUSED) && !(kind & CORDON__VARIANT_NO_NETWORK))
        rc = cordon__variant_refuse_unix_sockets(v);
    if (rc == 0 && (kind & CORDON__VARIANT_FILE_SIZE_LIMIT))
        rc = cordon__variant_refuse_own_signal(v, SIGXFSZ);
    if (rc == 0 && (kind & CORDON__VARIANT_FILE_SIZE_LIMIT))
        rc = cordon__variant_refuse_unchecked_growth(v);
    if (rc == 0 && (kind & CORDON__VARIANT_NO_LISTENER))
        rc = cordon__variant_refuse_own_signal(v, SIGSYS);
    if (rc == 0 && (kind & CORDON__VARIANT_TERMINAL_STDIN))
        rc = cordon__variant_refuse_window_size(v);
    if (rc == 0 && (kind & CORDON__VARIANT_SETID_MODES))
        rc = cordon__variant_refuse_setid_modes(v);
    /* The keyring calls name keyrings by numbers any process of the user
     * may learn (/proc/keys) and by the special ids, in most of their
     * arguments: refused whole. */
    static const int keyring_calls[] = { SYS_add_key, SYS_request_key, SYS_keyctl };
    for (size_t i = 0; i < 3 && rc == 0 && (kind & CORDON__VARIANT_SHARED_COUNTS); i++)
        rc = cordon__variant_refuse_outright(v, keyring_calls[i], EPERM);
    /* The machine's AIO contexts: refused as a kernel without AIO would. */
    if (rc == 0 && (kind & CORDON__VARIANT_SHARED_COUNTS))
        rc = cordon__variant_refuse_outright(v, SYS_io_setup, ENOSYS);
    /* clone3's flags (CLONE_INTO_CGROUP) are in memory no filter reads. */
    if (rc == 0 && (kind & CORDON__VARIANT_CGROUP_MOVES))
        rc = cordon__variant_refuse_outright(v, SYS_clone3, ENOSYS);
    /* A cgroup namespace of its own mounts the cgroup's files. */
    if (rc == 0 && (kind & CORDON__VARIANT_CGROUP_MOVES))
        rc = cordon__variant_refuse_cgroup_namespaces(p, v);
    /* Memory an address-space limit does not see once unmapped. */
    static const int shared_memory_calls[] = { SYS_memfd_create, SYS_memfd_secret, SYS_shmget };
    for (size_t i = 0; i < 3 && rc == 0 && (kind & CORDON__VARIANT_UNCOUNTED_SHARED_MEMORY); i++)
        rc = cordon__variant_refuse_outright(v, shared_memory_calls[i], EPERM);
    return rc;
}

/* i386 passes a socket's family through socketcall, in memory a filter
 * cannot read, so the no-network and file rules' refusals of a family
 * cannot hold there:
 * libseccomp refuses them ("File exists"), which says nothing to a user. */
int cordon__policy_combinable(const cordon_policy *p, unsigned kind, cordon_error *err)
{
    if (!(kind & (CORDON__VARIANT_NO_NETWORK | UNIX_SOCKETS_REFUSED)) ||
        !(p->foreign_arches & ARCH_I386))
        return 0;
    if (kind & CORDON__VARIANT_NO_NETWORK)
        cordon__error_set(err, -EINVAL, p->i386_origin, p->i386_line, 1,
                          "'arch i386' lets in the i386 ABI, whose socket calls hide the "
                          "socket's family from a seccomp filter, so a task without a network "
                          "(CORDON_NETWORK_NONE, --net none, the isolated presets) cannot be "
                          "held to its namespace's families under it; drop the 'arch i386' or "
                          "give the task the network");
    else if (!(kind & CORDON__VARIANT_FILE_RULES))
        cordon__error_set(err, -EINVAL, p->i386_origin, p->i386_line, 1,
                          "'arch i386' lets in the i386 ABI, whose socket calls hide the "
                          "socket's family from a seccomp filter, so a task that runs as root "
                          "cannot be kept from unix sockets under it (one sent a descriptor "
                          "of the kernel's settings lets root write them); drop the "
                          "'arch i386' or run the task as another user");
    else
        cordon__error_set(err, -EINVAL, p->i386_origin, p->i386_line, 1,
                          "'arch i386' lets in the i386 ABI, whose socket calls hide the "
                          "socket's family from a seccomp filter, so a task with file rules "
                          "(cordon_allow_path, --ro, --rw, --exec) cannot be kept from unix "
                          "sockets outside them under it; drop the 'arch i386' or the file "
                          "rules");
    return -EINVAL;
}

/* A copy of `p`'s rules (their origins stay `p`'s, which outlives the
 * variant) with the variant's added, compiled; `lets_through` makes the
 * copy's default allow (learning's, cordon__learning_confinement). */
static cordon_policy *build_variant(const cordon_policy *p, unsigned kind, bool lets_through,
                                    cordon_error *err)
{
    if (cordon__policy_combinable(p, kind, err) < 0) {
        errno = EINVAL;
        return NULL;
    }
    cordon_policy *v = calloc(1, sizeof *v);
    errno = ENOMEM;
    if (!v)
        return NULL;
    *v = *p;
    v->file = NULL; /* the base's: cordon_policy_file is asked of it */
    v->description = NULL;
    v->origins = NULL;
    v->origin_count = 0;
    v->program.filter = NULL;
    v->program.len = 0;
    v->variants = NULL;
    if (lets_through)
        v->default_action = ACTION_ALLOW;
    v->name = strdup(p->name);
    size_t socket_rules = 0, prlimit_rules = 0; /* allows split up to four ways; 32 */
    for (size_t i = 0; i < p->rule_count; i++) {
        socket_rules += p->rules[i].syscall == SYS_socket ||
                        p->rules[i].syscall == SYS_socketpair ||
                        p->rules[i].syscall == SYS_prlimit64 || p->rules[i].syscall == SYS_clone;
        prlimit_rules += p->rules[i].syscall == SYS_prlimit64;
    }
    v->rule_size = p->rule_count + 3 * socket_rules + 32 * prlimit_rules + 13 +
                   CORDON__NETWORK_RULES +
                   2 * CORDON__OWN_SIGNAL_RULES + cordon__variant_tuning_rules(p) +
                   cordon__variant_file_size_rules(p) + cordon__variant_terminal_rules(p) +
                   cordon__variant_unix_socket_rules(p) + cordon__variant_setid_rules(p) +
                   cordon__variant_cgroup_namespace_rules(p);
    v->rules = malloc(v->rule_size * sizeof *v->rules);
    if (!v->name || !v->rules) {
        cordon_policy_free(v);
        return NULL;
    }
    if (p->rule_count) /* a policy of its default alone has no rules at all */
        memcpy(v->rules, p->rules, p->rule_count * sizeof *v->rules);
    int rc = add_variant_rules(p, v, kind);
    if (rc < 0)
        cordon__error_set(err, rc, p->name, 0, 0, "cannot add cordon's rules to the policy "
                          "'%s': %s", p->name, strerror(-rc));
    if (rc == 0)
        rc = cordon__policy_compile(v, err);
    if (rc < 0) {
        cordon_policy_free(v);
        /* Out of memory or of fds (the export goes through a pipe): the
         * caller's state, said as such; else libseccomp refused the rules
         * put together. */
        errno = rc == -ENOMEM || rc == -EMFILE || rc == -ENFILE ? -rc : EINVAL;
        return NULL;
    }
    const char *through = unrefused(v, kind);
    if (through) {
        cordon_policy_free(v); /* fails closed: a task never runs with less */
        cordon__error_set(err, -EPERM, p->name, 0, 0, "the policy '%s' with cordon's rules "
                          "added still lets through %s, which they must refuse: a rule of "
                          "the policy's allows it in a form cordon cannot cut down; allow "
                          "that call outright or by other conditions", p->name, through);
        errno = EPERM;
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

/* Whether a call can go through: as refuse_outright sees it, the call's
 * last unconditional rule, else its allow rules and the default.  A policy
 * that refuses them already (the default one kills the keyring calls by
 * name and refuses clone3) needs no variant of its own for them. */
bool cordon__variant_lets_call_through(const cordon_policy *p, int nr)
{
    cordon_policy *rules = (cordon_policy *)p; /* only read */
    const cordon__rule *decider = cordon__variant_last_unconditional(rules, nr);
    if (decider)
        return cordon__action_allows(decider->action);
    if (cordon__action_allows(p->default_action))
        return true;
    for (size_t i = 0; i < p->rule_count; i++)
        if (p->rules[i].syscall == nr && cordon__action_allows(p->rules[i].action))
            return true;
    return false;
}

static bool lets_shared_counts_grow(const cordon_policy *p)
{
    return cordon__variant_lets_call_through(p, SYS_add_key) || cordon__variant_lets_call_through(p, SYS_request_key) ||
           cordon__variant_lets_call_through(p, SYS_keyctl) || cordon__variant_lets_call_through(p, SYS_io_setup);
}

#define CONFINING_KINDS                                                                    \
    (CORDON__VARIANT_NO_PID_NAMESPACE | CORDON__VARIANT_NO_TREE_HOLD |                     \
     CORDON__VARIANT_NO_NETWORK | CORDON__VARIANT_FILE_RULES |                             \
     CORDON__VARIANT_FILE_SIZE_LIMIT | CORDON__VARIANT_SHARED_COUNTS |                     \
     CORDON__VARIANT_UNCOUNTED_SHARED_MEMORY | CORDON__VARIANT_CGROUP_MOVES |              \
     CORDON__VARIANT_TERMINAL_STDIN | CORDON__VARIANT_SETID_MODES |                        \
     CORDON__VARIANT_ROOT_UNIX_SOCKETS | CORDON__VARIANT_INIT_LIMITS)

int cordon__variant_error(void)
{
    switch (errno) {
    case EPERM:
    case EINVAL:
    case EMFILE:
    case ENFILE:
        return -errno;
    default:
        return -ENOMEM;
    }
}

/* Learning lets through every call no rule of the base refuses, the
 * base's default aside: so its variant is that of a copy whose default
 * allows, which gets every refusal cordon adds to a policy that lets a
 * call through (NO_LISTENER is not confinement, and the learning filter
 * has a listener).  Not cached: one per learning run. */
int cordon__learning_confinement(const cordon_policy *base, unsigned kind, cordon_policy **out,
                                 cordon_error *err)
{
    *out = NULL;
    /* No base (--policy none): no filter, and nothing cordon adds to one.
     * A learning task makes no file set-id either. */
    if (!base)
        return 0;
    kind = (kind & CONFINING_KINDS) | CORDON__VARIANT_SETID_MODES;
    if (!(*out = build_variant(base, kind, true, err)))
        return cordon__variant_error();
    return 0;
}

const cordon_policy *cordon__policy_variant(const cordon_policy *p, unsigned kind,
                                            cordon_error *err)
{
    kind &= CONFINING_KINDS;
    /* Not a variant of its own for a policy that refuses them already
     * (the default one kills them): the same filter. */
    if ((kind & CORDON__VARIANT_SHARED_COUNTS) && !lets_shared_counts_grow(p))
        kind &= ~CORDON__VARIANT_SHARED_COUNTS;
    if ((kind & CORDON__VARIANT_CGROUP_MOVES) &&
        !cordon__variant_lets_call_through(p, SYS_clone3) &&
        !cordon__variant_lets_cgroup_namespaces(p))
        kind &= ~CORDON__VARIANT_CGROUP_MOVES;
    if ((kind & CORDON__VARIANT_SETID_MODES) && !cordon__variant_lets_setid_modes(p))
        kind &= ~CORDON__VARIANT_SETID_MODES;
    /* A filter without a listener kills with a bare SIGSYS.  Not the one
     * of a task given no policy: it kills nothing by a rule of its own (a
     * foreign ABI's call alone), and a SIGSYS the task sends itself stays
     * the plain signal it is without a filter. */
    if (!p->notifies && !traps(p) && !p->fence_alone)
        kind |= CORDON__VARIANT_NO_LISTENER;
    if ((kind & CORDON__VARIANT_INIT_LIMITS) &&
        (refuses_every_init_limit(p) || !cordon__variant_lets_call_through(p, SYS_prlimit64)))
        kind &= ~CORDON__VARIANT_INIT_LIMITS;
    if (!kind)
        return p;
    cordon_policy *mutable = (cordon_policy *)p;
    pthread_mutex_lock(&variant_lock);
    if (!mutable->variants)
        mutable->variants = calloc(CORDON__VARIANT_KINDS, sizeof *mutable->variants);
    if (mutable->variants && !mutable->variants[kind])
        mutable->variants[kind] = build_variant(p, kind, false, err);
    const cordon_policy *v = mutable->variants ? mutable->variants[kind] : NULL;
    pthread_mutex_unlock(&variant_lock);
    if (!mutable->variants) {
        errno = ENOMEM;
        cordon__error_set(err, -ENOMEM, p->name, 0, 0, "cannot add cordon's rules to the "
                          "policy '%s': %s", p->name, strerror(ENOMEM));
    }
    return v;
}
