/*
 * "cordon policy explain POLICY SYSCALL [ARGS…]": what a policy does with
 * one call and which line decides it, read from the rules and checked
 * against the compiled filter run on the same call, so that the answer is
 * the kernel's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "no_cancellation.h"
#include "policy.h"
#include "policy_rules.h"
#include "syscall_args.h"

void cordon__put_rule(FILE *out, const cordon__rule *rule)
{
    static const char *const operators[] = {
        [COMPARE_EQ] = "==", [COMPARE_NE] = "!=", [COMPARE_LT] = "<", [COMPARE_LE] = "<=",
        [COMPARE_GT] = ">", [COMPARE_GE] = ">=", [COMPARE_MASKED_EQ] = "==",
    };
    fputs(cordon__action_name(rule->action), out);
    if (rule->action == ACTION_ERRNO) {
        const char *name = cordon__errno_name(rule->errno_value);
        name ? fprintf(out, " %s", name) : fprintf(out, " %d", rule->errno_value);
    }
    fprintf(out, " %s", rule->syscall_name);
    char value[256];
    for (unsigned i = 0; i < rule->condition_count; i++) {
        const cordon__condition *c = &rule->conditions[i];
        fprintf(out, "%sarg%u ", i ? " && " : " if ", c->arg);
        if (c->compare == COMPARE_MASKED_EQ) {
            cordon__describe_argument(rule->syscall, c->arg, c->mask, value, sizeof value);
            fprintf(out, "& %s ", c->mask == 0xffffffffu ? "0xffffffff" : value);
        }
        cordon__describe_argument(rule->syscall, c->arg, c->value, value, sizeof value);
        fprintf(out, "%s %s", operators[c->compare], value);
    }
}

void cordon__put_decision(FILE *out, const cordon_decision *d)
{
    fputs(d->action, out);
    if (strcmp(d->action, "errno") == 0) {
        const char *name = cordon__errno_name(d->errno_value);
        name ? fprintf(out, " %s", name) : fprintf(out, " %d", d->errno_value);
    }
}

bool cordon__decisions_agree(const cordon_decision *a, const cordon_decision *b)
{
    return strcmp(a->action, b->action) == 0 && a->errno_value == b->errno_value;
}

/* A number ("-100", "0x80000") or constants joined by '|'. */
static int parse_value(const char *text, uint64_t *value, cordon_error *err)
{
    *value = 0;
    for (const char *term = text;;) {
        const char *bar = strchr(term, '|');
        size_t len = bar ? (size_t)(bar - term) : strlen(term);
        char copy[64];
        if (len == 0 || len >= sizeof copy) {
            cordon__error_set(err, -EINVAL, NULL, 0, 0, "malformed value '%s'", text);
            return -EINVAL;
        }
        memcpy(copy, term, len);
        copy[len] = '\0';
        char *end;
        uint64_t one;
        errno = 0;
        if ((copy[0] >= '0' && copy[0] <= '9') || copy[0] == '-')
            one = copy[0] == '-' ? (uint64_t)strtoll(copy, &end, 0) : strtoull(copy, &end, 0);
        else
            end = cordon__constant_lookup(copy, len, &one) == 0 ? copy + len : copy;
        if (errno == ERANGE && !*end) { /* -EINVAL: a bad value, as the header says */
            cordon__error_set(err, -EINVAL, NULL, 0, 0,
                              "value '%s' is out of range (an argument is at most 64 bits)",
                              copy);
            return -EINVAL;
        }
        if (errno || *end) {
            const char *near = cordon__suggest_constant(copy, len);
            cordon__error_set(err, -EINVAL, NULL, 0, 0, "unknown value '%s'%s%s%s", copy,
                              near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
            return -EINVAL;
        }
        *value |= one;
        if (!bar)
            return 0;
        term = bar + 1;
    }
}

static int parse_syscall(const char *text, int *nr, cordon_error *err)
{
    const char *stored;
    char *end;
    if (text[0] >= '0' && text[0] <= '9') {
        long n = strtol(text, &end, 0);
        if (!*end && n >= 0 && n < CORDON_SYSCALL_TABLE_SIZE) {
            *nr = (int)n;
            return 0;
        }
        /* No rule can name such a number, so none can decide it alone:
         * the policy's `newer` line (or its default) answers it. */
        if (!*end && n >= X32_SYSCALL_BIT && n < X32_SYSCALL_BIT + CORDON_SYSCALL_TABLE_SIZE) {
            cordon__error_set(err, -EINVAL, NULL, 0, 0, "syscall %s is an x32 call (bit "
                              "0x40000000 set): explain takes x86_64's calls; a policy without "
                              "'arch x32' kills every x32 call, and one with it holds them to "
                              "its rules as libseccomp translates them to x32's numbers", text);
            return -EINVAL;
        }
        if (!*end && n >= CORDON_SYSCALL_TABLE_SIZE) {
            cordon__error_set(err, -EINVAL, NULL, 0, 0, "syscall %s is beyond what a policy can "
                              "name (0 to %d); every call numbered above %d takes the policy's "
                              "'newer' action: explain %d for it", text,
                              CORDON_SYSCALL_TABLE_SIZE - 1, CORDON_NEWEST_KNOWN_SYSCALL,
                              CORDON_NEWEST_KNOWN_SYSCALL + 1);
            return -EINVAL;
        }
    } else if ((*nr = cordon__syscall_lookup(text, strlen(text), &stored)) >= 0) {
        return 0;
    }
    const char *near = cordon__suggest_syscall(text, strlen(text));
    cordon__error_set(err, -EINVAL, NULL, 0, 0, "unknown syscall '%s'%s%s%s", text,
                      near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    return -EINVAL;
}

/* More values than the call takes would be explained as if they counted
 * ("getpid 1" reads as a getpid with an argument): an error, naming the
 * call's arity. */
static int check_arity(int nr, size_t arg_count, cordon_error *err)
{
    unsigned arity = cordon__call_arity(nr);
    if (arg_count <= arity)
        return 0;
    if (arity == 0)
        cordon__error_set(err, -EINVAL, NULL, 0, 0, "%s takes no arguments (%zu given)",
                          cordon__syscall_label(nr), arg_count);
    else
        cordon__error_set(err, -EINVAL, NULL, 0, 0, "%s takes %u argument%s (%zu given)",
                          cordon__syscall_label(nr), arity, arity == 1 ? "" : "s", arg_count);
    return -EINVAL;
}

/* The rules' reason, in words. */
static void put_reason(FILE *out, const cordon_policy *p, int nr, const uint64_t args[6],
                       const cordon_decision *d)
{
    bool ambiguous;
    const cordon__rule *rule = nr < CORDON_SYSCALL_TABLE_SIZE
                             ? cordon__policy_deciding_rule(p, nr, args, &ambiguous) : NULL;
    if (strcmp(d->reason, "newer") == 0) {
        fprintf(out, "  decided by 'newer': syscall %d is above cordon's table (%d) and no "
                "rule names it\n", nr, CORDON_NEWEST_KNOWN_SYSCALL);
    } else if (strcmp(d->reason, "cordon") == 0) {
        fputs(nr == SYS_prlimit64
                  ? "  decided by cordon's own rule: the task's own RLIMIT_NOFILE, lowered after "
                    "the listener hand-over, is let through\n"
                  : "  decided by cordon's own rule: the listener hand-over on fd 4 is let through\n",
              out);
    } else if (strcmp(d->reason, "default") == 0) {
        fprintf(out, "  no rule for %s holds: the default applies (%s:%u)\n",
                cordon__syscall_label(nr), d->origin ? d->origin : p->name, d->line);
    } else if (rule && !ambiguous) {
        fprintf(out, "  decided by %s:%u: ", rule->origin, rule->line);
        cordon__put_rule(out, rule);
        fputc('\n', out);
    } else if (rule) {
        fputs("  rules of different actions hold for this call, and libseccomp's order "
              "decides (see 'cordon policy check'):\n", out);
        for (size_t i = 0; i < p->rule_count; i++) {
            const cordon__rule *r = &p->rules[i];
            if (r->syscall != nr || r->overridden_by >= 0 || !cordon__rule_holds(r, args) ||
                cordon__rule_same_as_default(p, r))
                continue;
            fprintf(out, "    %s:%u: ", r->origin, r->line);
            cordon__put_rule(out, r);
            fputc('\n', out);
        }
    }
}

int cordon_policy_explain(const cordon_policy *p, const char *syscall, const char *const args[],
                          size_t arg_count, FILE *out, cordon_error *err)
{
    CORDON__NO_CANCELLATION;
    const char *wrong = !p ? "the policy is NULL"
                        : !syscall ? "the syscall name is NULL"
                        : !out ? "the output stream is NULL"
                        : arg_count > 6 ? "a syscall takes at most 6 arguments"
                        : arg_count && !args ? "the argument array is NULL" : NULL;
    if (wrong) {
        cordon__error_set(err, -EINVAL, NULL, 0, 0, "%s (%zu argument%s given)", wrong, arg_count,
                          arg_count == 1 ? "" : "s");
        return -EINVAL;
    }
    int nr;
    uint64_t values[6] = { 0 };
    int rc = parse_syscall(syscall, &nr, err);
    if (rc == 0 && (rc = check_arity(nr, arg_count, err)) < 0)
        return rc;
    for (size_t i = 0; i < arg_count && rc == 0; i++) {
        if (!args[i]) {
            cordon__error_set(err, -EINVAL, NULL, 0, 0, "argument %zu of %zu is NULL", i + 1,
                              arg_count);
            return -EINVAL;
        }
        rc = parse_value(args[i], &values[i], err);
    }
    if (rc < 0)
        return rc;
    cordon_decision rules, filter;
    if ((rc = cordon_policy_decide(p, nr, values, &rules)) < 0 ||
        (rc = cordon_policy_simulate(p, nr, values, &filter)) < 0) {
        cordon__error_set(err, rc, NULL, 0, 0, "cannot evaluate the policy: %s", strerror(-rc));
        return rc;
    }
    char call[512];
    cordon__describe_call(nr, values, call, sizeof call);
    /* Where rules of different actions hold at once, libseccomp's order
     * decides: the filter's answer is the answer, and no disagreement. */
    bool ambiguous = strcmp(rules.reason, "ambiguous") == 0;
    bool agree = ambiguous || cordon__decisions_agree(&rules, &filter);
    fprintf(out, "%s under %s: ", call, cordon_policy_name(p));
    cordon__put_decision(out, agree && !ambiguous ? &rules : &filter);
    fputc('\n', out);
    put_reason(out, p, nr, values, &rules);
    fputs("  the compiled filter, run on this call: ", out);
    cordon__put_decision(out, &filter);
    fputs(ambiguous ? " (this decides)\n" : agree ? " (agrees)\n" : "\n", out);
    if (!agree) {
        fputs("  the rules read: ", out);
        cordon__put_decision(out, &rules);
        fputs(" -- they disagree with the filter, which is what the kernel runs\n", out);
        return -EPROTO;
    }
    return ferror(out) ? -EIO : 0;
}
