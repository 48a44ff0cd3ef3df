/*
 * The linter's checks of a rule's conditions: conditions that never hold,
 * conditional rules of different actions that both hold, 32-bit
 * arguments a task gets past through their upper half, and rules for
 * calls an admitted ABI lacks.
 */
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "policy_lint.h"
#include "syscall_args.h"

/* short for the many warnings below */
#define warn cordon__lint_warn

/* Conditions that no value satisfies. */
static bool never_holds(const cordon__condition *c)
{
    return (c->compare == COMPARE_MASKED_EQ && (c->value & ~c->mask)) ||
           (c->compare == COMPARE_LT && c->value == 0) ||
           (c->compare == COMPARE_GT && c->value == UINT64_MAX);
}

void cordon__lint_conditions_hold(linter *l, size_t i)
{
    const cordon__rule *rule = &l->policy->rules[i];
    for (unsigned c = 0; c < rule->condition_count; c++) {
        const cordon__condition *cond = &rule->conditions[c];
        if (!never_holds(cond))
            continue;
        l->dead[i] = true;
        if (cond->compare == COMPARE_MASKED_EQ)
            warn(l, rule->origin, rule->line, rule->column, "arg%u & 0x%llx == 0x%llx never "
                 "holds (the value has bits outside the mask): this rule for '%s' never fires",
                 cond->arg, (unsigned long long)cond->mask, (unsigned long long)cond->value,
                 rule->syscall_name);
        else
            warn(l, rule->origin, rule->line, rule->column, "a comparison of arg%u never holds "
                 "(no value is below 0 or above 2^64-1): this rule for '%s' never fires",
                 cond->arg, rule->syscall_name);
        return;
    }
}

/* Values of one argument worth trying against two sets of conditions. */
static size_t candidates(const cordon__rule *a, const cordon__rule *b, unsigned arg,
                         uint64_t *out, size_t capacity)
{
    size_t n = 0;
    out[n++] = 0;
    out[n++] = UINT64_MAX;
    const cordon__rule *rules[2] = { a, b };
    for (int r = 0; r < 2; r++) {
        for (unsigned c = 0; c < rules[r]->condition_count && n + 4 <= capacity; c++) {
            const cordon__condition *cond = &rules[r]->conditions[c];
            if (cond->arg != arg)
                continue;
            out[n++] = cond->value;
            out[n++] = cond->value + 1;
            out[n++] = cond->value - 1;
            if (cond->compare == COMPARE_MASKED_EQ)
                out[n++] = cond->value | ~cond->mask;
        }
    }
    /* values that satisfy a mask of each rule at once */
    size_t base = n;
    for (size_t x = 2; x < base && n < capacity; x++)
        for (size_t y = x + 1; y < base && n < capacity; y++)
            out[n++] = out[x] | out[y];
    return n;
}

static bool arg_holds(const cordon__rule *rule, unsigned arg, uint64_t value)
{
    uint64_t args[6] = { 0 };
    args[arg] = value;
    for (unsigned c = 0; c < rule->condition_count; c++)
        if (rule->conditions[c].arg == arg && !cordon__condition_holds(&rule->conditions[c], args))
            return false;
    return true;
}

/* Arguments for which both rules hold, found among the values their
 * conditions name; false when none was found. */
static bool common_call(const cordon__rule *a, const cordon__rule *b, uint64_t args[6])
{
    uint64_t values[128];
    for (unsigned arg = 0; arg < 6; arg++) {
        size_t n = candidates(a, b, arg, values, sizeof values / sizeof *values);
        bool found = false;
        for (size_t v = 0; v < n && !found; v++)
            if (arg_holds(a, arg, values[v]) && arg_holds(b, arg, values[v])) {
                args[arg] = values[v];
                found = true;
            }
        if (!found)
            return false;
    }
    return true;
}

/* Two conditional rules of different actions that can both hold: which
 * one wins is libseccomp's order, not the policy's. */
void cordon__lint_overlap(linter *l, size_t i)
{
    const cordon_policy *p = l->policy;
    const cordon__rule *rule = &p->rules[i];
    for (size_t k = 0; k < i; k++) {
        const cordon__rule *other = &p->rules[k];
        uint64_t args[6];
        if (other->syscall != rule->syscall || other->overridden_by >= 0 || l->dead[k] ||
            cordon__lint_same_action(other, rule) || cordon__rule_same_as_default(p, other) ||
            !common_call(other, rule, args))
            continue;
        char call[256];
        cordon__describe_call(rule->syscall, args, call, sizeof call);
        warn(l, rule->origin, rule->line, rule->column, "this rule for '%s' and the one at "
             "%s:%u both hold for %s with different actions; make their conditions "
             "exclusive (which one wins is not the policy's to say)", rule->syscall_name,
             other->origin, other->line, call);
        return;
    }
}

/* How the rule's author wrote the kernel's 32-bit value `low` in 64 bits:
 * sign-extended when the constant is a negative int (AT_FDCWD, as libc
 * passes it), zero-extended otherwise (AF_UNIX, an ioctl request). */
static uint64_t as_written(const cordon__condition *c, uint64_t low)
{
    bool negative = (c->value >> 31) == 0x1ffffffffull;
    return negative ? (uint64_t)(int64_t)(int32_t)(uint32_t)low : low;
}

/* A 32-bit argument compared on all 64 bits: a task sets the upper half
 * (or leaves a negative one unextended), the kernel reads the lower, the
 * filter sees another value.  Warned when that lets the task past the
 * rule (a restricting rule that then does not hold for a value it was
 * written to catch, or an allowing one that holds for a value it was
 * written to refuse); the other way round only fails closed. */
void cordon__lint_int_arguments(linter *l, size_t i)
{
    const cordon__rule *rule = &l->policy->rules[i];
    bool allowing = rule->action == ACTION_ALLOW || rule->action == ACTION_LOG;
    for (unsigned c = 0; c < rule->condition_count; c++) {
        const cordon__condition *cond = &rule->conditions[c];
        if (!cordon__argument_is_32bit(rule->syscall_name, cond->arg))
            continue;
        uint64_t v = cond->value;
        uint64_t tries[] = { v + (1ull << 32), v | 0xffffffff00000000ull, v & 0xffffffffu,
                             1ull << 32, UINT64_MAX, (v & 0xffffffffu) + (1ull << 32) };
        for (size_t t = 0; t < sizeof tries / sizeof *tries; t++) {
            uint64_t passed[6] = { 0 }, meant[6] = { 0 };
            uint64_t low = tries[t] & 0xffffffffu;
            passed[cond->arg] = tries[t];
            meant[cond->arg] = as_written(cond, low);
            bool as_filtered = cordon__condition_holds(cond, passed);
            if (as_filtered == cordon__condition_holds(cond, meant) || as_filtered != allowing)
                continue;
            warn(l, rule->origin, rule->line, rule->column, "arg%u of '%s' is a 32-bit int: "
                 "the kernel reads only its lower 32 bits but the filter compares all 64, so a "
                 "task passing 0x%llx (0x%llx to the kernel) gets past this rule; compare "
                 "'arg%u & 0xffffffff == VALUE' with VALUE's lower 32 bits", cond->arg,
                 rule->syscall_name, (unsigned long long)tries[t], (unsigned long long)low,
                 cond->arg);
            return;
        }
    }
}

/* Whether an earlier rule came from the same name in the same place: each
 * '||' alternative of a rule is a rule of its own, said once. */
static bool written_before(const cordon_policy *p, size_t i)
{
    const cordon__rule *rule = &p->rules[i];
    for (size_t j = 0; j < i; j++)
        if (p->rules[j].origin == rule->origin && p->rules[j].line == rule->line &&
            p->rules[j].column == rule->column)
            return true;
    return false;
}

/* A rule for a call that an ABI admitted by "arch" does not have. */
void cordon__lint_foreign_abis(linter *l, size_t i)
{
    const cordon_policy *p = l->policy;
    const cordon__rule *rule = &p->rules[i];
    static const struct { unsigned bit; uint32_t arch; const char *name; } abis[] = {
        { ARCH_I386, SCMP_ARCH_X86, "i386" }, { ARCH_X32, SCMP_ARCH_X32, "x32" },
    };
    for (size_t a = 0; a < sizeof abis / sizeof *abis; a++) {
        if (!(p->foreign_arches & abis[a].bit) ||
            !cordon__syscall_named_by_libseccomp(rule->syscall))
            continue;
        if (seccomp_syscall_resolve_name_arch(abis[a].arch, rule->syscall_name) >= 0 ||
            written_before(p, i))
            continue;
        warn(l, rule->origin, rule->line, rule->column, "%s has no syscall '%s': for the %s "
             "calls that 'arch' admits this rule applies to nothing", abis[a].name,
             rule->syscall_name, abis[a].name);
    }
}
