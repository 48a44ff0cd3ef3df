/*
 * From rules to a BPF program, with libseccomp, in the parent before any
 * fork: libseccomp allocates, so the child only installs the result.
 *
 * Syscalls of a foreign ABI (i386's int $0x80, x32) take the "bad arch"
 * action, which kills the task, unless the policy names that ABI with
 * "arch": a filter that a 64-bit task bypasses through the 32-bit entry
 * point would be worthless.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "environment_switch.h"
#include "policy.h"
#include "policy_rules.h"

/* The child hands the listener to the parent over this fd (lib/child.c). */
#define LISTENER_SOCKET_FD 4
/* The kernel refuses longer programs. */
#define MAX_PROGRAM_LENGTH 4096

static int api_level = -1;
static pthread_once_t api_once = PTHREAD_ONCE_INIT;

/* What the kernel offers, as libseccomp finds it: level 3 brought
 * SECCOMP_RET_KILL_PROCESS, level 5 user notification. */
static void probe_api_level(void)
{
    api_level = (int)seccomp_api_get();
    if (cordon__environment_switch("CORDON_NO_SECCOMP_NOTIFY") && api_level >= 5)
        api_level = 4;
}

static bool kernel_notifies(void)
{
    pthread_once(&api_once, probe_api_level);
    return api_level >= 5;
}

/* Without KILL_PROCESS, KILL (the thread) is the strongest there is. */
static uint32_t plain_kill(void)
{
    pthread_once(&api_once, probe_api_level);
    return api_level >= 3 ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_KILL;
}

static uint32_t scmp_action(const cordon_policy *p, enum cordon__action action, int errno_value)
{
    switch (action) {
    case ACTION_ALLOW: return SCMP_ACT_ALLOW;
    case ACTION_KILL:  return p->notifies ? SCMP_ACT_NOTIFY : plain_kill();
    case ACTION_TRAP:  return SCMP_ACT_TRAP;
    case ACTION_LOG:   return SCMP_ACT_LOG;
    case ACTION_ERRNO: return SCMP_ACT_ERRNO((uint16_t)errno_value);
    default:           return plain_kill();
    }
}

static struct scmp_arg_cmp comparison(const cordon__condition *c)
{
    static const enum scmp_compare operators[] = {
        [COMPARE_EQ] = SCMP_CMP_EQ, [COMPARE_NE] = SCMP_CMP_NE, [COMPARE_LT] = SCMP_CMP_LT,
        [COMPARE_LE] = SCMP_CMP_LE, [COMPARE_GT] = SCMP_CMP_GT, [COMPARE_GE] = SCMP_CMP_GE,
        [COMPARE_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
    };
    struct scmp_arg_cmp cmp = { .arg = c->arg, .op = operators[c->compare], .datum_b = 0 };
    if (c->compare == COMPARE_MASKED_EQ) {
        cmp.datum_a = c->mask;
        cmp.datum_b = c->value;
    } else {
        cmp.datum_a = c->value;
    }
    return cmp;
}

bool cordon__rule_same_as_default(const cordon_policy *p, const cordon__rule *rule)
{
    return rule->action == p->default_action &&
           (rule->action != ACTION_ERRNO || rule->errno_value == p->default_errno);
}

/* The child hands the listener over with sendmsg once the filter is in.
 * A policy that refuses sendmsg in any way would stop that call with the
 * very listener it carries, and the task would wait for an answer that can
 * never come: its kills then kill at once, unnamed. */
static bool restricts_handover(const cordon_policy *p)
{
    for (size_t i = 0; i < p->rule_count; i++)
        if (p->rules[i].syscall == SYS_sendmsg && p->rules[i].action != ACTION_ALLOW)
            return true;
    return false;
}

/* Calls the child makes after installing the filter, before the command
 * runs: a notification on one of them needs the parent free to answer,
 * which a parent waiting in vfork is not. */
static bool made_after_install(int nr)
{
    return nr == SYS_execve || nr == SYS_execveat || nr == SYS_close_range || nr == SYS_close ||
           nr == SYS_exit || nr == SYS_exit_group;
}

static bool is_exec_call(int nr)
{
    return nr == SYS_execve || nr == SYS_execveat;
}

/* Whether `nr` has a rule of its own in the program: one neither
 * overridden nor the same as the default (those are left out). */
bool cordon__policy_rules_in_program(const cordon_policy *p, int nr)
{
    for (size_t i = 0; i < p->rule_count; i++)
        if (p->rules[i].syscall == nr && p->rules[i].overridden_by < 0 &&
            !cordon__rule_same_as_default(p, &p->rules[i]))
            return true;
    return false;
}

/* An errno for execve or execveat, by a rule or by the default where no
 * rule of the call is in the program: the filter alone would refuse the
 * command's own exec too, and no command would start.  Sent to the
 * listener instead, the parent lets that one through and answers every
 * later one with the errno.  A default errno for a call that conditional
 * rules also name stays the filter's (an unconditional notification
 * would override those rules), and so does every errno for an exec in a
 * policy that has no listener otherwise and whose default refuses what
 * the listener's hand-over needs; the linter says so. */
static bool exec_errno_in_program(const cordon_policy *p)
{
    for (size_t i = 0; i < p->rule_count; i++) {
        const cordon__rule *rule = &p->rules[i];
        if (is_exec_call(rule->syscall) && rule->action == ACTION_ERRNO &&
            rule->overridden_by < 0 && !cordon__rule_same_as_default(p, rule))
            return true;
    }
    return p->default_action == ACTION_ERRNO &&
           (!cordon__policy_rules_in_program(p, SYS_execve) ||
            !cordon__policy_rules_in_program(p, SYS_execveat));
}

/* Which paths of the program end in a notification, and whether the child
 * must be forked rather than vforked (the engine then answers the
 * command's own exec, or names a call the child makes before it). */
static void note_notifications(cordon_policy *p)
{
    bool notify = kernel_notifies() && !restricts_handover(p);
    enum cordon__action newer;
    int newer_errno;
    p->notifies = notify && (p->default_action == ACTION_KILL ||
                             (cordon__policy_refuses_newer(p, &newer, &newer_errno) &&
                              newer == ACTION_KILL));
    p->watches_exec = p->notifies;
    for (size_t i = 0; i < p->rule_count && notify; i++) {
        if (p->rules[i].action != ACTION_KILL)
            continue;
        p->notifies = true;
        if (made_after_install(p->rules[i].syscall))
            p->watches_exec = true;
    }
    /* Not where only that would bring the listener: its hand-over needs
     * sendmsg, read and prlimit64 on fd 4 allowed (add_rules), which a
     * policy of an errno default had refused, and would no longer. */
    p->answers_exec_errno = notify && exec_errno_in_program(p) &&
                            (p->notifies || p->default_action == ACTION_ALLOW ||
                             p->default_action == ACTION_LOG);
    if (p->answers_exec_errno)
        p->notifies = p->watches_exec = true;
}

/* A rule's action in the program: an errno for an exec goes to the
 * listener where the parent answers it. */
static uint32_t rule_action(const cordon_policy *p, const cordon__rule *rule)
{
    if (p->answers_exec_errno && rule->action == ACTION_ERRNO && is_exec_call(rule->syscall))
        return SCMP_ACT_NOTIFY;
    return scmp_action(p, rule->action, rule->errno_value);
}

/* The exec calls that an errno default decides: to the listener too. */
static int add_exec_errno_default(const cordon_policy *p, scmp_filter_ctx ctx)
{
    static const int calls[] = { SYS_execve, SYS_execveat };
    if (!p->answers_exec_errno || p->default_action != ACTION_ERRNO)
        return 0;
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
        int rc = cordon__policy_rules_in_program(p, calls[i])
                     ? 0
                     : seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, calls[i], 0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* An unconditional allow covers cordon's own call already. */
static bool allows_always(const cordon_policy *p, int nr)
{
    for (size_t i = 0; i < p->rule_count; i++)
        if (p->rules[i].syscall == nr && p->rules[i].action == ACTION_ALLOW &&
            p->rules[i].condition_count == 0)
            return true;
    return false;
}

/* One pass: a rule's syscall is below CORDON_SYSCALL_TABLE_SIZE, since
 * only names in that table are accepted. */
static void note_overrides(cordon_policy *p)
{
    static const long none = -1;
    long last_unconditional[CORDON_SYSCALL_TABLE_SIZE];
    for (size_t nr = 0; nr < sizeof last_unconditional / sizeof *last_unconditional; nr++)
        last_unconditional[nr] = none;
    for (size_t i = 0; i < p->rule_count; i++)
        if (p->rules[i].condition_count == 0)
            last_unconditional[p->rules[i].syscall] = (long)i;
    for (size_t i = 0; i < p->rule_count; i++) {
        long decider = last_unconditional[p->rules[i].syscall];
        p->rules[i].overridden_by = decider == (long)i ? none : decider;
    }
}

static bool same_conditions(const cordon__rule *a, const cordon__rule *b)
{
    if (a->condition_count != b->condition_count)
        return false;
    for (unsigned c = 0; c < a->condition_count; c++) {
        const cordon__condition *x = &a->conditions[c], *y = &b->conditions[c];
        if (x->arg != y->arg || x->compare != y->compare || x->value != y->value ||
            (x->compare == COMPARE_MASKED_EQ && x->mask != y->mask))
            return false;
    }
    return true;
}

/* libseccomp says only "File exists" when two rules test the same call
 * with the same conditions and differ in action: name the other rule. */
static void report_refused_rule(const cordon_policy *p, size_t index, int rc, cordon_error *err)
{
    const cordon__rule *rule = &p->rules[index];
    for (size_t i = 0; rc == -EEXIST && i < index; i++) {
        const cordon__rule *earlier = &p->rules[i];
        if (earlier->syscall == rule->syscall && same_conditions(earlier, rule)) {
            cordon__error_set(err, rc, rule->origin, rule->line, rule->column,
                              "this rule for '%s' tests the same conditions as the one at "
                              "%s:%u with another action; keep one of them",
                              rule->syscall_name, earlier->origin, earlier->line);
            return;
        }
    }
    cordon__error_set(err, rc, rule->origin, rule->line, rule->column,
                      "libseccomp refused the rule for '%s': %s", rule->syscall_name,
                      strerror(-rc));
}

/* libseccomp 2.5 places a rule on a foreign ABI through the syscall's
 * name, and refuses the whole rule when it has none: a rule for a call
 * newer than its table cannot hold for i386 or x32 too.  Refused, rather
 * than left to the native ABI alone, so that no ABI the policy admits is
 * left with a gap it cannot see. */
static int check_placeable(const cordon_policy *p, const cordon__rule *rule, cordon_error *err)
{
    if (!p->foreign_arches || cordon__syscall_named_by_libseccomp(rule->syscall))
        return 0;
    cordon__error_set(err, -EINVAL, rule->origin, rule->line, rule->column,
                      "libseccomp has no name for syscall %d, so this rule cannot also apply "
                      "to the foreign ABI that 'arch' lets in; drop the rule or the 'arch'",
                      rule->syscall);
    return -EINVAL;
}

/* "include compute" then "kill mmap": the unconditional kill must win over
 * the included conditional allows, even though it is also the default
 * (libseccomp itself refuses a rule equal to the default). */
static int add_rules(cordon_policy *p, scmp_filter_ctx ctx, cordon_error *err)
{
    uint32_t default_action = scmp_action(p, p->default_action, p->default_errno);
    for (size_t i = 0; i < p->rule_count; i++) {
        const cordon__rule *rule = &p->rules[i];
        if (rule->overridden_by >= 0 || cordon__rule_same_as_default(p, rule))
            continue;
        int placeable = check_placeable(p, rule, err);
        if (placeable < 0)
            return placeable;
        /* An exec's errno sent to the listener where the default's kill
         * goes there too: the program says the same for both (libseccomp
         * refuses a rule of the default's own action), the parent tells
         * them apart. */
        uint32_t action = rule_action(p, rule);
        if (action == default_action)
            continue;
        struct scmp_arg_cmp cmps[CORDON_MAX_CONDITIONS];
        for (unsigned c = 0; c < rule->condition_count; c++)
            cmps[c] = comparison(&rule->conditions[c]);
        int rc = seccomp_rule_add_array(ctx, action, rule->syscall, rule->condition_count, cmps);
        if (rc < 0) {
            report_refused_rule(p, i, rc, err);
            return rc;
        }
    }
    /* After the filter is in, the child sends the listener to the parent
     * (or offers it, and reads the parent's answer) and closes what the
     * task must not hold, all on fd 4, then sets
     * its own RLIMIT_NOFILE to the task's (lib/child.c; no old value
     * asked for): a policy that denies by default must let these
     * through.  The last lets a task do no more than setrlimit already
     * may: lower its hard limit, move its soft one below it. */
    if (p->default_action == ACTION_ALLOW)
        return 0;
    int rc = add_exec_errno_default(p, ctx);
    if (rc < 0) {
        cordon__error_set(err, rc, p->name, 0, 0, "libseccomp refused the rules that send "
                          "execve and execveat to cordon: %s", strerror(-rc));
        return rc;
    }
    if (p->notifies && !allows_always(p, SYS_sendmsg))
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SYS_sendmsg, 1,
                              SCMP_A0(SCMP_CMP_EQ, LISTENER_SOCKET_FD));
    if (rc == 0 && !allows_always(p, SYS_close_range))
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SYS_close_range, 1,
                              SCMP_A0(SCMP_CMP_EQ, LISTENER_SOCKET_FD));
    if (rc == 0 && p->notifies && !allows_always(p, SYS_read))
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SYS_read, 1,
                              SCMP_A0(SCMP_CMP_EQ, LISTENER_SOCKET_FD));
    if (rc == 0 && p->notifies && !allows_always(p, SYS_prlimit64))
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SYS_prlimit64, 3, SCMP_A0(SCMP_CMP_EQ, 0),
                              SCMP_A1(SCMP_CMP_EQ, RLIMIT_NOFILE), SCMP_A3(SCMP_CMP_EQ, 0));
    if (rc < 0)
        cordon__error_set(err, rc, p->name, 0, 0, "libseccomp refused the rules cordon adds for "
                          "its own sendmsg, read and close_range on fd 4 and prlimit64 of "
                          "its RLIMIT_NOFILE: %s", strerror(-rc));
    return rc;
}

/* Whether the compiled filter, run in user space, lets cordon's own calls
 * after the hand-over through (a policy's rule wins over cordon's allow,
 * and one that allows by default adds none): the lowering of its
 * RLIMIT_NOFILE (any new value's address), and the read of the parent's
 * answer to its offer of the listener. */
static bool lets_open_files_be_lowered(const cordon_policy *p)
{
    for (uint64_t at = 0x1000; at; at <<= 4) {
        const uint64_t own_open_files[6] = { 0, RLIMIT_NOFILE, at, 0 };
        if (cordon__variant_filter_lets_through(p, SYS_prlimit64, own_open_files) != 1)
            return false;
    }
    return true;
}

static bool lets_the_answer_be_read(const cordon_policy *p)
{
    const uint64_t answer[6] = { LISTENER_SOCKET_FD, 0x1000, 1 };
    const uint64_t high_answer[6] = { LISTENER_SOCKET_FD, 0x7ffc00000000ull, 1 };
    return cordon__variant_filter_lets_through(p, SYS_read, answer) == 1 &&
           cordon__variant_filter_lets_through(p, SYS_read, high_answer) == 1;
}

static int set_architectures(const cordon_policy *p, scmp_filter_ctx ctx)
{
    /* A call through a foreign ABI is killed like any "kill" rule, and so
     * named by the parent when it holds a listener. */
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
                              p->notifies ? SCMP_ACT_NOTIFY : plain_kill());
    if (rc == 0 && (p->foreign_arches & ARCH_I386))
        rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);
    if (rc == 0 && (p->foreign_arches & ARCH_X32))
        rc = seccomp_arch_add(ctx, SCMP_ARCH_X32);
    return rc == -EEXIST ? 0 : rc;
}

/* Room for any program the kernel takes (4096 instructions), and more:
 * one that fills it is too long. */
#define EXPORT_ROOM (2 * MAX_PROGRAM_LENGTH * (int)sizeof(struct sock_filter))

/* libseccomp writes the program to an fd, in one write it does not check
 * for shortness.  A pipe keeps it in memory and, unlike a file (a memfd
 * before), is not held to the caller's RLIMIT_FSIZE: a caller under
 * `ulimit -f 1` got the first KiB of a longer program, cut short, and
 * every task of it failed to start.  Non-blocking, so that a pipe the
 * kernel keeps small (a user past its pipe pages) fails the export
 * rather than waiting; a program that fills the pipe counts as cut. */
static int read_exported(int fd, struct sock_filter *filter, size_t room, size_t *size)
{
    *size = 0;
    for (;;) {
        ssize_t n = read(fd, (char *)filter + *size, room - *size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? 0 : -errno; /* all there was: the writer is closed */
        if (n == 0 || (*size += (size_t)n) == room)
            return 0;
    }
}

static int export_program(cordon_policy *p, scmp_filter_ctx ctx)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return -errno;
    (void)fcntl(fds[1], F_SETPIPE_SZ, EXPORT_ROOM);
    int capacity = fcntl(fds[1], F_GETPIPE_SZ);
    int rc = seccomp_export_bpf(ctx, fds[1]);
    close(fds[1]);
    struct sock_filter *filter = rc == 0 ? malloc(EXPORT_ROOM) : NULL;
    if (rc == 0 && !filter)
        rc = -ENOMEM;
    size_t size = 0;
    if (rc == 0)
        rc = read_exported(fds[0], filter, EXPORT_ROOM, &size);
    close(fds[0]);
    if (rc == 0 && (size == 0 || size % sizeof(struct sock_filter) != 0))
        rc = -EIO;
    /* Filled the pipe: cut short (a pipe the kernel kept small), or too
     * long for the kernel anyway. */
    if (rc == 0 && (capacity <= 0 || size >= (size_t)capacity))
        rc = capacity < EXPORT_ROOM ? -ENOBUFS : -E2BIG;
    struct sock_filter *fitted = rc == 0 ? realloc(filter, size) : NULL;
    if (rc < 0 || !fitted) {
        free(filter);
        return rc < 0 ? rc : -ENOMEM;
    }
    filter = fitted;
    p->program.filter = filter;
    p->program.len = (unsigned short)(size / sizeof(struct sock_filter));
    return size / sizeof(struct sock_filter) > MAX_PROGRAM_LENGTH ? -E2BIG : 0;
}

/* Calls newer than cordon's table meet the policy's "newer" action before
 * libseccomp's program sees them (policy_newer.c). */
static int refuse_newer(cordon_policy *p, cordon_error *err)
{
    enum cordon__action action;
    int errno_value;
    if (!cordon__policy_refuses_newer(p, &action, &errno_value))
        return 0;
    int rc = cordon__policy_prefix_newer(p, scmp_action(p, action, errno_value), &p->program);
    if (rc == 0 && p->program.len > MAX_PROGRAM_LENGTH)
        cordon__error_set(err, rc = -E2BIG, p->name, 0, 0, "cannot use the compiled filter: "
                          "longer than the kernel's limit of 4096 instructions");
    else if (rc == -E2BIG)
        cordon__error_set(err, rc, p->name, 0, 0, "rules for more than 184 syscall numbers "
                          "above %d: cordon can keep at most 184 out of 'newer'",
                          CORDON_NEWEST_KNOWN_SYSCALL);
    else if (rc < 0)
        cordon__error_set(err, rc, p->name, 0, 0, "cannot refuse newer syscalls: %s",
                          strerror(-rc));
    return rc;
}

int cordon__policy_compile(cordon_policy *p, cordon_error *err)
{
    note_overrides(p);
    note_notifications(p);
    scmp_filter_ctx ctx = seccomp_init(scmp_action(p, p->default_action, p->default_errno));
    if (!ctx) {
        cordon__error_set(err, -ENOMEM, p->name, 0, 0, "libseccomp could not start a filter");
        return -ENOMEM;
    }
    int rc = set_architectures(p, ctx);
    if (rc == 0)
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (rc < 0)
        cordon__error_set(err, rc, p->name, 0, 0, "libseccomp: %s", strerror(-rc));
    else if ((rc = add_rules(p, ctx, err)) == 0 && (rc = export_program(p, ctx)) < 0)
        cordon__error_set(err, rc, p->name, 0, 0, "cannot use the compiled filter: %s",
                          rc == -E2BIG ? "longer than the kernel's limit of 4096 instructions"
                                       : strerror(-rc));
    else if (rc == 0)
        rc = refuse_newer(p, err);
    seccomp_release(ctx);
    p->may_make_userfaultfd = cordon__policy_lets_userfaultfd_be_made(p);
    p->may_make_namespaces = cordon__policy_lets_namespaces_be_made(p);
    p->lowers_open_files_after_handover = rc == 0 && p->notifies && lets_open_files_be_lowered(p);
    p->reads_handover_answer = rc == 0 && p->notifies && lets_the_answer_be_read(p);
    return rc;
}

bool cordon__policy_reads_handover_answer(const cordon_policy *p)
{
    return p && p->reads_handover_answer;
}

bool cordon__policy_lowers_open_files_after_handover(const cordon_policy *p)
{
    return p && p->lowers_open_files_after_handover;
}

bool cordon__policy_may_make_namespaces(const cordon_policy *p)
{
    return p->may_make_namespaces;
}

const struct sock_fprog *cordon__policy_program(const cordon_policy *p)
{
    return &p->program;
}

int cordon__policy_watches_exec(const cordon_policy *p)
{
    return p->watches_exec;
}
