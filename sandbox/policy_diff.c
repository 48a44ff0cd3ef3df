/*
 * "cordon policy diff A B": the calls two policies decide differently.
 * Every syscall is tried, with the argument values that the conditions of
 * either policy tell apart (each value, its neighbours, a mask's other
 * bits), on both compiled filters; the rules say which lines decide.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "no_cancellation.h"
#include "policy.h"
#include "plural.h"
#include "policy_rules.h"
#include "syscall_args.h"

#define MAX_VALUES 64    /* tried per argument */
#define MAX_CALLS  4096  /* tried per syscall, all arguments combined */
#define MAX_SHOWN  8     /* differing kinds shown per syscall */

typedef struct values {
    uint64_t v[6][MAX_VALUES];
    size_t n[6];
} values;

static void add_value(values *set, unsigned arg, uint64_t value)
{
    for (size_t i = 0; i < set->n[arg]; i++)
        if (set->v[arg][i] == value)
            return;
    if (set->n[arg] < MAX_VALUES)
        set->v[arg][set->n[arg]++] = value;
}

static void add_conditions(values *set, const cordon_policy *p, int nr)
{
    for (size_t r = 0; r < p->rule_count; r++) {
        const cordon__rule *rule = &p->rules[r];
        for (unsigned c = 0; c < rule->condition_count && rule->syscall == nr; c++) {
            const cordon__condition *cond = &rule->conditions[c];
            add_value(set, cond->arg, cond->value);
            add_value(set, cond->arg, cond->value + 1);
            add_value(set, cond->arg, cond->value - 1);
            if (cond->compare == COMPARE_MASKED_EQ)
                add_value(set, cond->arg, cond->value | ~cond->mask);
        }
    }
}

/* One kind of difference within a syscall, with its first example. */
typedef struct difference {
    cordon_decision a, b;
    uint64_t example[6];
    unsigned count;
} difference;

typedef struct comparison {
    const cordon_policy *a, *b;
    difference kinds[MAX_SHOWN];
    unsigned kind_count, tried, differing;
} comparison;

static bool same_decider(const cordon_decision *x, const cordon_decision *y)
{
    return cordon__decisions_agree(x, y) && x->line == y->line &&
           (x->origin == y->origin ||
            (x->origin && y->origin && strcmp(x->origin, y->origin) == 0));
}

/* The example a kind of difference shows: the call of the smallest
 * arguments, first to last, tried of that kind (socket(AF_INET, ...)
 * rather than the first tried, socket(0xffffffffffffffff, ...)). */
static bool simpler(const uint64_t *args, const uint64_t *example)
{
    for (int i = 0; i < 6; i++)
        if (args[i] != example[i])
            return args[i] < example[i];
    return false;
}

/* The filters decide; the rules name the line. */
static int try_call(comparison *cmp, int nr, const uint64_t args[6])
{
    cordon_decision fa, fb, ra, rb;
    int rc = cordon_policy_simulate(cmp->a, nr, args, &fa);
    if (rc == 0)
        rc = cordon_policy_simulate(cmp->b, nr, args, &fb);
    if (rc == 0)
        rc = cordon_policy_decide(cmp->a, nr, args, &ra);
    if (rc == 0)
        rc = cordon_policy_decide(cmp->b, nr, args, &rb);
    if (rc < 0)
        return rc;
    cmp->tried++;
    if (cordon__decisions_agree(&fa, &fb))
        return 0;
    cmp->differing++;
    /* where the rules misread the filter, the filter's word is shown */
    if (!cordon__decisions_agree(&ra, &fa))
        ra = fa;
    if (!cordon__decisions_agree(&rb, &fb))
        rb = fb;
    for (unsigned k = 0; k < cmp->kind_count; k++) {
        if (same_decider(&cmp->kinds[k].a, &ra) && same_decider(&cmp->kinds[k].b, &rb)) {
            cmp->kinds[k].count++;
            if (simpler(args, cmp->kinds[k].example))
                memcpy(cmp->kinds[k].example, args, sizeof cmp->kinds[k].example);
            return 0;
        }
    }
    if (cmp->kind_count < MAX_SHOWN) {
        difference *d = &cmp->kinds[cmp->kind_count++];
        d->a = ra;
        d->b = rb;
        d->count = 1;
        memcpy(d->example, args, sizeof d->example);
    }
    return 0;
}

/* Every combination of the values, or each argument alone when there are
 * too many combinations. */
static int try_syscall(comparison *cmp, int nr, const values *set)
{
    size_t total = 1;
    for (unsigned a = 0; a < 6; a++)
        total = set->n[a] && total <= MAX_CALLS ? total * set->n[a] : total;
    uint64_t args[6] = { 0 };
    if (total > MAX_CALLS) {
        int rc = try_call(cmp, nr, args);
        for (unsigned a = 0; a < 6 && rc == 0; a++) {
            for (size_t i = 0; i < set->n[a] && rc == 0; i++) {
                memset(args, 0, sizeof args);
                args[a] = set->v[a][i];
                rc = try_call(cmp, nr, args);
            }
        }
        return rc;
    }
    for (size_t index = 0; index < total; index++) {
        size_t rest = index;
        for (unsigned a = 0; a < 6; a++) {
            args[a] = set->n[a] ? set->v[a][rest % set->n[a]] : 0;
            rest = set->n[a] ? rest / set->n[a] : rest;
        }
        int rc = try_call(cmp, nr, args);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void put_side(FILE *out, const char *policy, const cordon_decision *d)
{
    fprintf(out, "%s ", policy);
    cordon__put_decision(out, d);
    if (strcmp(d->reason, "rule") == 0 || strcmp(d->reason, "ambiguous") == 0)
        fprintf(out, " (%s:%u)", d->origin, d->line);
    else if (strcmp(d->reason, "default") == 0)
        fprintf(out, " (the default, %s:%u)", d->origin ? d->origin : "?", d->line);
    else if (strcmp(d->reason, "newer") == 0)
        fputs(" ('newer')", out);
    else if (strcmp(d->reason, "cordon") == 0)
        fputs(" (cordon's hand-over rule)", out);
}

static void report(FILE *out, const comparison *cmp, int nr)
{
    const char *label = cordon__syscall_label(nr);
    if (cmp->differing == cmp->tried)
        fprintf(out, "%s: every call\n", label);
    else
        fprintf(out, "%s: %u of the %u %s tried\n", label, cmp->differing, cmp->tried,
                cordon__plural(cmp->tried, "call", "calls"));
    for (unsigned k = 0; k < cmp->kind_count; k++) {
        const difference *d = &cmp->kinds[k];
        char call[256];
        cordon__describe_call(nr, d->example, call, sizeof call);
        fprintf(out, "  %s%s: ", call, d->count > 1 ? " and alike" : "");
        put_side(out, cordon_policy_name(cmp->a), &d->a);
        fputs(", ", out);
        put_side(out, cordon_policy_name(cmp->b), &d->b);
        fputc('\n', out);
    }
}

static bool worth_trying(const cordon_policy *a, const cordon_policy *b, int nr)
{
    if (nr <= CORDON_NEWEST_KNOWN_SYSCALL + 1)
        return true;
    for (size_t i = 0; i < a->rule_count; i++)
        if (a->rules[i].syscall == nr)
            return true;
    for (size_t i = 0; i < b->rule_count; i++)
        if (b->rules[i].syscall == nr)
            return true;
    return false;
}

int cordon_policy_diff(const cordon_policy *a, const cordon_policy *b, FILE *out)
{
    CORDON__NO_CANCELLATION;
    if (!a || !b)
        return -EINVAL;
    unsigned syscalls = 0;
    /* One number past cordon's table stands for all of them. */
    for (int nr = 0; nr < CORDON_SYSCALL_TABLE_SIZE; nr++) {
        if (!worth_trying(a, b, nr))
            continue;
        values set;
        memset(&set, 0, sizeof set);
        add_conditions(&set, a, nr);
        add_conditions(&set, b, nr);
        comparison cmp = { .a = a, .b = b };
        int rc = try_syscall(&cmp, nr, &set);
        if (rc < 0)
            return rc;
        if (cmp.differing) {
            if (out)
                report(out, &cmp, nr);
            syscalls++;
        }
    }
    if (!out) /* only whether they differ */
        return syscalls ? 1 : 0;
    if (syscalls)
        fprintf(out, "%u syscall%s decided differently by %s and %s\n", syscalls,
                syscalls == 1 ? "" : "s", cordon_policy_name(a), cordon_policy_name(b));
    else
        fprintf(out, "%s and %s decide every call alike\n", cordon_policy_name(a),
                cordon_policy_name(b));
    return ferror(out) ? -EIO : syscalls ? 1 : 0;
}
