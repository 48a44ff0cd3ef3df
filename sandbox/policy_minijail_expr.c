/*
 * minijail's argument expressions, parsed and made into cordon's
 * alternatives:
 *
 *   expression = term { "||" term }
 *   term       = atom { "&&" atom }
 *   atom       = "arg"N operator value
 *   operator   = "==" | "!=" | "<" | "<=" | ">" | ">=" | "&" | "in"
 *   value      = [ "~" ] ( NUMBER | CONSTANT ) { "|" [ "~" ] ( NUMBER | CONSTANT ) }
 *
 * "argN & V" holds when any bit of V is set in the argument, "argN in V"
 * when the argument has no bit outside V.  cordon compares each argument
 * once an alternative, in at most 16 alternatives: an expression (or the
 * negation a "; return ERRNO" needs) that would take more cannot be
 * written, and the caller says so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_minijail.h"

typedef struct cursor {
    const char *at, *start, *end;
    unsigned column;          /* of start */
    unsigned *problem_column;
    char *problem;
    size_t size;
} cursor;

static int fail(cursor *c, const char *at, const char *fmt, const char *detail)
{
    *c->problem_column = c->column + (unsigned)(at - c->start);
    snprintf(c->problem, c->size, fmt, detail);
    return -EINVAL;
}

static void skip_blanks(cursor *c)
{
    while (c->at < c->end && (*c->at == ' ' || *c->at == '\t'))
        c->at++;
}

static bool is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

static bool take(cursor *c, const char *word)
{
    skip_blanks(c);
    size_t len = strlen(word);
    if ((size_t)(c->end - c->at) < len || memcmp(c->at, word, len) != 0)
        return false;
    if (is_name_char(word[0]) && c->at + len < c->end && is_name_char(c->at[len]))
        return false;
    c->at += len;
    return true;
}

static int parse_term_value(cursor *c, uint64_t *value)
{
    skip_blanks(c);
    bool invert = c->at < c->end && *c->at == '~';
    if (invert)
        c->at++;
    skip_blanks(c);
    const char *start = c->at;
    while (c->at < c->end && is_name_char(*c->at))
        c->at++;
    size_t len = (size_t)(c->at - start);
    char word[64];
    if (len == 0 || len >= sizeof word)
        return fail(c, start, "expected a number or a constant%s", "");
    memcpy(word, start, len);
    word[len] = '\0';
    if (word[0] >= '0' && word[0] <= '9') {
        char *end;
        errno = 0;
        *value = strtoull(word, &end, 0);
        if (errno || *end)
            return fail(c, start, "malformed number '%s'", word);
    } else if (cordon__constant_lookup(word, len, value) < 0) {
        const char *near = cordon__suggest_constant(word, len);
        char detail[160];
        snprintf(detail, sizeof detail, "'%s'%s%s%s", word, near ? " (did you mean '" : "",
                 near ? near : "", near ? "'?)" : "");
        return fail(c, start, "unknown constant %s", detail);
    }
    if (invert)
        *value = ~*value;
    return 0;
}

static int parse_value(cursor *c, uint64_t *value)
{
    int rc = parse_term_value(c, value);
    for (;;) {
        skip_blanks(c);
        /* "|" joins constants; "||" is the next alternative */
        if (rc < 0 || c->end - c->at < 1 || c->at[0] != '|' ||
            (c->end - c->at > 1 && c->at[1] == '|'))
            break;
        c->at++;
        uint64_t more;
        if ((rc = parse_term_value(c, &more)) == 0)
            *value |= more;
    }
    return rc;
}

static void add(minijail_set *s, unsigned arg, enum cordon__compare compare, uint64_t mask,
                uint64_t value)
{
    s->conditions[s->count++] = (cordon__condition){ .arg = arg, .compare = compare,
                                                     .mask = mask, .value = value };
}

/* "arg1 & V": any bit of V; one masked comparison per bit. */
static int any_bit(cursor *c, const char *at, unsigned arg, uint64_t value, minijail_set *s)
{
    if (value == 0)
        return fail(c, at, "'& 0' never holds%s", "");
    for (unsigned bit = 0; bit < 64; bit++) {
        uint64_t b = 1ull << bit;
        if (!(value & b))
            continue;
        if (s->count == MINIJAIL_MAX_SET)
            return fail(c, at, "'&' with more than 8 bits: cordon cannot write it%s", "");
        add(s, arg, COMPARE_MASKED_EQ, b, b);
    }
    return 0;
}

static int parse_atom(cursor *c, minijail_set *s)
{
    static const struct { const char *word; enum cordon__compare compare; } operators[] = {
        { "==", COMPARE_EQ }, { "!=", COMPARE_NE }, { "<=", COMPARE_LE }, { ">=", COMPARE_GE },
        { "<", COMPARE_LT },  { ">", COMPARE_GT },
    };
    skip_blanks(c);
    const char *at = c->at;
    if (c->end - c->at < 4 || memcmp(c->at, "arg", 3) != 0 || c->at[3] < '0' || c->at[3] > '5' ||
        (c->end - c->at > 4 && is_name_char(c->at[4])))
        return fail(c, at, "expected an argument arg0 to arg5%s", "");
    unsigned arg = (unsigned)(c->at[3] - '0');
    c->at += 4;
    memset(s, 0, sizeof *s);
    skip_blanks(c);
    const char *op = c->at;
    uint64_t value;
    int rc;
    if (take(c, "&") && !(c->at < c->end && *c->at == '&')) {
        return (rc = parse_value(c, &value)) < 0 ? rc : any_bit(c, op, arg, value, s);
    }
    c->at = op;
    if (take(c, "in")) {
        if ((rc = parse_value(c, &value)) < 0)
            return rc;
        add(s, arg, COMPARE_MASKED_EQ, ~value, 0);
        return 0;
    }
    for (size_t i = 0; i < sizeof operators / sizeof *operators; i++) {
        if (take(c, operators[i].word)) {
            if ((rc = parse_value(c, &value)) < 0)
                return rc;
            add(s, arg, operators[i].compare, 0, value);
            return 0;
        }
    }
    return fail(c, op, "expected an operator (==, !=, <, <=, >, >=, &, in)%s", "");
}

int cordon__minijail_parse_expression(const char *text, const char *end, unsigned column,
                                      minijail_expression *e, unsigned *problem_column,
                                      char *problem, size_t size)
{
    cursor c = { .at = text, .start = text, .end = end, .column = column,
                 .problem_column = problem_column, .problem = problem, .size = size };
    memset(e, 0, sizeof *e);
    for (;;) {
        if (e->count == MINIJAIL_MAX_TERMS)
            return fail(&c, c.at, "more than 16 '||' alternatives%s", "");
        minijail_term *term = &e->terms[e->count++];
        do {
            if (term->count == MINIJAIL_MAX_ATOMS)
                return fail(&c, c.at, "more than 8 comparisons joined by '&&'%s", "");
            int rc = parse_atom(&c, &term->atoms[term->count++]);
            if (rc < 0)
                return rc;
        } while (take(&c, "&&"));
        if (!take(&c, "||"))
            break;
    }
    skip_blanks(&c);
    if (c.at != c.end)
        return fail(&c, c.at, "expected '&&', '||' or the end of the expression%s", "");
    return 0;
}

/* ---- to cordon's alternatives ---- */

static int popcount(uint64_t v)
{
    return __builtin_popcountll(v);
}

/* NOT of one condition, as an OR of conditions; false when too wide. */
static bool negate_condition(const cordon__condition *in, minijail_set *out)
{
    static const enum cordon__compare opposite[] = {
        [COMPARE_EQ] = COMPARE_NE, [COMPARE_NE] = COMPARE_EQ, [COMPARE_LT] = COMPARE_GE,
        [COMPARE_GE] = COMPARE_LT, [COMPARE_LE] = COMPARE_GT, [COMPARE_GT] = COMPARE_LE,
    };
    if (in->compare != COMPARE_MASKED_EQ) {
        add(out, in->arg, opposite[in->compare], 0, in->value);
        return true;
    }
    if (in->value == in->mask && popcount(in->mask) == 1) { /* one bit set -> clear */
        add(out, in->arg, COMPARE_MASKED_EQ, in->mask, 0);
        return true;
    }
    if (in->value != 0 || popcount(in->mask) > MINIJAIL_MAX_SET - (int)out->count)
        return false;
    for (unsigned bit = 0; bit < 64; bit++) /* no bit outside -> some bit outside */
        if (in->mask & (1ull << bit))
            add(out, in->arg, COMPARE_MASKED_EQ, 1ull << bit, 1ull << bit);
    return true;
}

/* NOT of an atom (an OR of conditions) is an AND of their negations: the
 * OR of one bit each ("arg & V") becomes "arg & V == 0". */
static bool negate_atom(const minijail_set *atom, minijail_set *out)
{
    memset(out, 0, sizeof *out);
    if (atom->count == 1)
        return negate_condition(&atom->conditions[0], out);
    uint64_t bits = 0;
    for (unsigned i = 0; i < atom->count; i++)
        bits |= atom->conditions[i].mask;
    add(out, atom->conditions[0].arg, COMPARE_MASKED_EQ, bits, 0);
    return true;
}

static bool same(const cordon__condition *a, const cordon__condition *b)
{
    return a->arg == b->arg && a->compare == b->compare && a->value == b->value &&
           (a->compare != COMPARE_MASKED_EQ || a->mask == b->mask);
}

/* Every AND of one condition from each set, appended to `out`. */
static bool expand(const minijail_set *sets, unsigned count, minijail_alternatives *out,
                   char *why, size_t size)
{
    unsigned choice[MINIJAIL_MAX_TERMS * MINIJAIL_MAX_ATOMS] = { 0 };
    for (;;) {
        if (out->count == 16) {
            snprintf(why, size, "it takes more than 16 alternatives");
            return false;
        }
        __typeof__(out->alternatives[0]) *alt = &out->alternatives[out->count];
        alt->count = 0;
        for (unsigned s = 0; s < count; s++) {
            const cordon__condition *c = &sets[s].conditions[choice[s]];
            bool twice = false, dup = false;
            for (unsigned k = 0; k < alt->count; k++) {
                dup = dup || same(&alt->conditions[k], c);
                twice = twice ||
                        (alt->conditions[k].arg == c->arg && !same(&alt->conditions[k], c));
            }
            if (twice) {
                snprintf(why, size, "it compares arg%u twice in one alternative (cordon, like "
                         "libseccomp, compares an argument once)", c->arg);
                return false;
            }
            if (!dup)
                alt->conditions[alt->count++] = *c;
        }
        out->count++;
        unsigned s = 0;
        while (s < count && ++choice[s] == sets[s].count)
            choice[s++] = 0;
        if (s == count)
            return true;
    }
}

bool cordon__minijail_alternatives(const minijail_expression *e, bool negate,
                                   minijail_alternatives *out, char *why, size_t size)
{
    memset(out, 0, sizeof *out);
    if (!negate) {
        for (unsigned t = 0; t < e->count; t++)
            if (!expand(e->terms[t].atoms, e->terms[t].count, out, why, size))
                return false;
        return true;
    }
    /* NOT (OR of ANDs) = AND over terms of (OR of the atoms' negations) */
    minijail_set sets[MINIJAIL_MAX_TERMS];
    memset(sets, 0, sizeof sets);
    for (unsigned t = 0; t < e->count; t++) {
        for (unsigned a = 0; a < e->terms[t].count; a++) {
            minijail_set negated;
            if (!negate_atom(&e->terms[t].atoms[a], &negated) ||
                sets[t].count + negated.count > MINIJAIL_MAX_SET) {
                snprintf(why, size, "its negation is too wide");
                return false;
            }
            for (unsigned k = 0; k < negated.count; k++)
                sets[t].conditions[sets[t].count++] = negated.conditions[k];
        }
    }
    return expand(sets, e->count, out, why, size);
}
