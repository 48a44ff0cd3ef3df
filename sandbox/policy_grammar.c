/*
 * The policy language, read one line at a time into a list of rules.
 *
 *   policy       = { line }
 *   line         = [ statement ] [ "#" comment ] end-of-line
 *   statement    = "default" action
 *                | "include" NAME-OR-PATH            a path holds '/' or ends in .policy
 *                | "arch" ARCH { ARCH }                ARCH: x86_64 | i386 | x32
 *                | "newer" action                      calls above cordon's table (470)
 *                | action SYSCALL { [","] SYSCALL } [ "if" alternatives ]
 *   SYSCALL      = NAME | NUMBER                       a number: 0 to 1023, native
 *   action       = "allow" | "kill" | "deny" | "trap" | "log"
 *                | "errno" [ ERRNO-NAME | NUMBER ]     no value: ENOSYS
 *   alternatives = conjunction { "||" conjunction }
 *   conjunction  = condition { "&&" condition }       each argN at most once
 *   condition    = "arg"N [ "&" value ] operator value N: 0-5; a mask takes "=="
 *   operator     = "==" | "!=" | "<" | "<=" | ">" | ">="
 *   value        = term { "|" term }
 *   term         = NUMBER | CONSTANT                  decimal, 0x hex, 0 octal
 *
 * "kill" and "deny" are the same action: the task ends with a
 * PolicyViolation that names the call.  The first comment lines of a file
 * are its description.  An including policy's "default" wins over its
 * includes'; without one of its own it takes the first include's.  An
 * unconditional rule for a syscall overrides conditional ones for it
 * (libseccomp's rule).  "newer" is taken the same way as "default": the
 * outermost file's wins.  Without one, a policy whose default allows
 * refuses calls numbered above cordon's table with ENOSYS (a deny-list
 * cannot have meant to allow calls nobody reviewed), and any other policy
 * gives them its default action; a rule that names such a number by
 * itself takes that number out of "newer".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy_rules.h"

#define MAX_INCLUDE_DEPTH   16
/* Files read for one policy, every include counted: depth alone does not
 * bound the work, since ten includes a file over sixteen levels would be
 * 10^16 files read (a policy that never loads, a command that hangs). */
#define MAX_INCLUDES        256
#define MAX_SYSCALLS_A_LINE 256
#define MAX_ALTERNATIVES    16
#define MAX_POLICY_BYTES    (1u << 20)
#define MAX_ERRNO_VALUE     4094

enum token_kind { TOKEN_END, TOKEN_WORD, TOKEN_NUMBER, TOKEN_OPERATOR, TOKEN_COMMA };

typedef struct token {
    enum token_kind kind;
    const char *text;
    size_t len;
    unsigned column;
} token;

/* The files being read, innermost first, to refuse include cycles. */
typedef struct include_frame {
    const char *key;
    const struct include_frame *outer;
    unsigned *includes;     /* read so far for the whole policy */
    unsigned *unread;       /* includes refused (missing, a cycle, too many) */
} include_frame;

typedef struct reader {
    cordon_policy *policy;
    const char *origin;
    unsigned line;
    const char *line_start, *cursor, *line_end;
    int depth;
    const include_frame *frame;
    cordon_error *err;
    cordon__read_notes *notes; /* a linter's: report each error and go on */
    bool default_seen;        /* in this file */
    bool newer_seen;          /* in this file */
} reader;

typedef struct conjunction {
    unsigned count;
    cordon__condition conditions[CORDON_MAX_CONDITIONS];
} conjunction;

static int read_text(cordon_policy *policy, const char *text, const char *origin, int depth,
                     const include_frame *frame, cordon_error *err, cordon__read_notes *notes);

static int fail_at(reader *r, const token *at, const char *fmt, const char *detail)
{
    unsigned column = at ? at->column : (unsigned)(r->line_end - r->line_start) + 1;
    /* Formatted by cordon__error_set, which cuts a long one in its middle. */
    cordon__error_set(r->err, -EINVAL, r->origin, r->line, column, fmt, detail);
    return -EINVAL;
}

static const char *shown(const token *t, char *buffer, size_t size);
static int note_include(reader *r, const token *at, const char *name, const char *target,
                        size_t first_rule);
static const char *intern_origin(cordon_policy *p, const char *origin);

/* "unknown syscall 'sockett' (did you mean 'socket'?)" */
static int fail_unknown(reader *r, const token *t, const char *what, const char *suggestion)
{
    char buffer[80], detail[200];
    if (suggestion)
        snprintf(detail, sizeof detail, "%s %s (did you mean '%s'?)", what,
                 shown(t, buffer, sizeof buffer), suggestion);
    else
        snprintf(detail, sizeof detail, "%s %s", what, shown(t, buffer, sizeof buffer));
    return fail_at(r, t, "%s", detail);
}

/* The token as text for a message: "end of line" for the end. */
static const char *shown(const token *t, char *buffer, size_t size)
{
    if (t->kind == TOKEN_END)
        return "end of line";
    char name[CORDON__NAME_SHOWN_SIZE];
    snprintf(buffer, size, "%s", cordon__name_shown(name, t->text, t->len));
    return buffer;
}

/* The character a message names, quoted: a printable one as it is (a
 * pasted curly quote whole, not its first byte), any other byte as \xNN,
 * so that a control byte in a policy file (an escape sequence) never
 * reaches the terminal that shows the message. */
static unsigned decoded_code_point(const unsigned char *u, size_t len)
{
    unsigned code = *u & (0x7f >> len);
    for (size_t i = 1; i < len; i++)
        code = code << 6 | (u[i] & 0x3f);
    return code;
}

/* `out` holds 32 bytes. */
static const char *unexpected(const char *c, const char *end, char *out)
{
    const unsigned char *u = (const unsigned char *)c;
    size_t len = *u >= 0xf0 && *u < 0xf5 ? 4 : *u >= 0xe0 ? 3 : *u >= 0xc2 ? 2 : 1;
    bool whole = *u >= 0x21 && *u < 0x7f;
    if (len > 1 && (size_t)(end - c) >= len) {
        unsigned code = *u & (0x7f >> len);
        whole = true;
        for (size_t i = 1; i < len; i++) {
            whole = whole && (u[i] & 0xc0) == 0x80;
            code = code << 6 | (u[i] & 0x3f);
        }
        /* no overlong form, surrogate, C1 control or code point past U+10FFFF */
        unsigned least[] = { 0, 0, 0xa0, 0x800, 0x10000 };
        whole = whole && code >= least[len] && code <= 0x10ffff &&
                (code < 0xd800 || code > 0xdfff);
    }
    /* a character past ASCII is named by its code point too: a no-break
     * space read as a space ("unexpected character ' '") */
    if (whole && len > 1)
        snprintf(out, 32, "'%.*s' (U+%04X)", (int)len, c, decoded_code_point(u, len));
    else if (whole)
        snprintf(out, 32, "'%.*s'", (int)len, c);
    else
        snprintf(out, 32, "'\\x%02x'", *u);
    return out;
}

static bool is_word_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_word_char(char c)
{
    return is_word_start(c) || (c >= '0' && c <= '9');
}

static int next_token(reader *r, token *t)
{
    const char *c = r->cursor;
    while (c < r->line_end && (*c == ' ' || *c == '\t'))
        c++;
    t->text = c;
    t->column = (unsigned)(c - r->line_start) + 1;
    t->len = 0;
    if (c == r->line_end || *c == '#') {
        t->kind = TOKEN_END;
        r->cursor = c;
        return 0;
    }
    static const char *const operators[] = { "==", "!=", "<=", ">=", "&&", "||",
                                             "<", ">", "&", "|" };
    const char *end = c;
    if (is_word_start(*c) || (*c >= '0' && *c <= '9')) {
        t->kind = is_word_start(*c) ? TOKEN_WORD : TOKEN_NUMBER;
        while (end < r->line_end && is_word_char(*end))
            end++;
        /* a character past ASCII in a name is named itself: "kill sócket"
         * said "unknown syscall 's'" */
        if (end < r->line_end && (unsigned char)*end >= 0x80) {
            char bad[32];
            t->text = end;
            t->column = (unsigned)(end - r->line_start) + 1;
            return fail_at(r, t, "unexpected character %s", unexpected(end, r->line_end, bad));
        }
    } else if (*c == ',') {
        t->kind = TOKEN_COMMA;
        end = c + 1;
    } else {
        t->kind = TOKEN_OPERATOR;
        for (size_t i = 0; i < sizeof operators / sizeof *operators && end == c; i++) {
            size_t len = strlen(operators[i]);
            if ((size_t)(r->line_end - c) >= len && memcmp(c, operators[i], len) == 0)
                end = c + len;
        }
        if (end == c && *c == '=')
            return fail_at(r, t, "'=' is no operator (did you mean '%s'?)", "==");
        if (end == c) {
            char bad[32];
            return fail_at(r, t, "unexpected character %s", unexpected(c, r->line_end, bad));
        }
    }
    t->len = (size_t)(end - c);
    r->cursor = end;
    return 0;
}

static int peek_token(reader *r, token *t)
{
    const char *saved = r->cursor;
    int rc = next_token(r, t);
    r->cursor = saved;
    return rc;
}

static bool token_is(const token *t, const char *word)
{
    return t->kind != TOKEN_END && t->len == strlen(word) && memcmp(t->text, word, t->len) == 0;
}

static int expect_end(reader *r)
{
    token t;
    int rc = next_token(r, &t);
    if (rc < 0 || t.kind == TOKEN_END)
        return rc;
    char buffer[80];
    return fail_at(r, &t, "expected end of line, found %s", shown(&t, buffer, sizeof buffer));
}

static int parse_number(reader *r, const token *t, uint64_t *value)
{
    char copy[32];
    if (t->len >= sizeof copy) {
        char buffer[80];
        return fail_at(r, t, "number %s is too long", shown(t, buffer, sizeof buffer));
    }
    memcpy(copy, t->text, t->len);
    copy[t->len] = '\0';
    char *end;
    errno = 0;
    unsigned long long parsed = strtoull(copy, &end, 0);
    if (errno || *end)
        return fail_at(r, t, "malformed number '%s'", copy);
    *value = parsed;
    return 0;
}

static int parse_term(reader *r, uint64_t *value)
{
    token t;
    char buffer[80];
    int rc = next_token(r, &t);
    if (rc < 0)
        return rc;
    if (t.kind == TOKEN_NUMBER)
        return parse_number(r, &t, value);
    if (t.kind != TOKEN_WORD)
        return fail_at(r, &t, "expected a value (a number or a constant such as AF_UNIX), "
                       "found %s", shown(&t, buffer, sizeof buffer));
    if (cordon__constant_lookup(t.text, t.len, value) < 0)
        return fail_unknown(r, &t, "unknown constant",
                            cordon__suggest_constant(t.text, t.len));
    return 0;
}

/* value = term { "|" term } */
static int parse_value(reader *r, uint64_t *value)
{
    int rc = parse_term(r, value);
    token t;
    while (rc == 0 && (rc = peek_token(r, &t)) == 0 && token_is(&t, "|")) {
        uint64_t more;
        next_token(r, &t);
        if ((rc = parse_term(r, &more)) == 0)
            *value |= more;
    }
    return rc;
}

static int parse_operator(reader *r, const token *t, enum cordon__compare *compare)
{
    static const char *const names[] = {
        [COMPARE_EQ] = "==", [COMPARE_NE] = "!=", [COMPARE_LT] = "<",
        [COMPARE_LE] = "<=", [COMPARE_GT] = ">", [COMPARE_GE] = ">=",
    };
    for (int i = COMPARE_EQ; i <= COMPARE_GE; i++) {
        if (token_is(t, names[i])) {
            *compare = (enum cordon__compare)i;
            return 0;
        }
    }
    char buffer[80];
    return fail_at(r, t, "expected a comparison (==, !=, <, <=, >, >=), found %s",
                   shown(t, buffer, sizeof buffer));
}

/* condition = "arg"N [ "&" value ] operator value */
static int parse_condition(reader *r, conjunction *into)
{
    token t;
    char buffer[80];
    int rc = next_token(r, &t);
    if (rc < 0)
        return rc;
    if (t.kind != TOKEN_WORD || t.len != 4 || memcmp(t.text, "arg", 3) != 0 ||
        t.text[3] < '0' || t.text[3] > '5')
        return fail_at(r, &t, "expected an argument arg0 to arg5, found %s",
                       shown(&t, buffer, sizeof buffer));
    cordon__condition c = { .arg = (unsigned)(t.text[3] - '0') };
    for (unsigned i = 0; i < into->count; i++) {
        if (into->conditions[i].arg == c.arg)
            return fail_at(r, &t, "%s is compared twice in one alternative (libseccomp "
                           "allows one comparison per argument; use '||' or two rules)",
                           shown(&t, buffer, sizeof buffer));
    }
    token op;
    if ((rc = next_token(r, &op)) < 0)
        return rc;
    bool masked = token_is(&op, "&");
    if (masked && ((rc = parse_value(r, &c.mask)) < 0 || (rc = next_token(r, &op)) < 0))
        return rc;
    if ((rc = parse_operator(r, &op, &c.compare)) < 0)
        return rc;
    if (masked && c.compare != COMPARE_EQ)
        return fail_at(r, &op, "a masked comparison takes only '==' (arg1 & MASK == VALUE), "
                       "found %s", shown(&op, buffer, sizeof buffer));
    if (masked)
        c.compare = COMPARE_MASKED_EQ;
    if ((rc = parse_value(r, &c.value)) < 0)
        return rc;
    into->conditions[into->count++] = c;
    return 0;
}

/* alternatives = conjunction { "||" conjunction } */
static int parse_alternatives(reader *r, conjunction *alternatives, unsigned *count)
{
    *count = 1;
    memset(&alternatives[0], 0, sizeof alternatives[0]);
    for (;;) {
        int rc = parse_condition(r, &alternatives[*count - 1]);
        token t;
        if (rc < 0 || (rc = next_token(r, &t)) < 0)
            return rc;
        if (t.kind == TOKEN_END)
            return 0;
        if (token_is(&t, "||")) {
            if (*count == MAX_ALTERNATIVES)
                return fail_at(r, &t, "too many '||' alternatives (at most %s)", "16");
            memset(&alternatives[(*count)++], 0, sizeof alternatives[0]);
        } else if (!token_is(&t, "&&")) {
            char buffer[80];
            return fail_at(r, &t, "expected '&&', '||' or end of line, found %s",
                           shown(&t, buffer, sizeof buffer));
        }
    }
}

static bool looks_like_errno_name(const token *t)
{
    if (t->kind != TOKEN_WORD || t->text[0] != 'E')
        return false;
    for (size_t i = 0; i < t->len; i++) {
        if (!((t->text[i] >= 'A' && t->text[i] <= 'Z') || (t->text[i] >= '0' && t->text[i] <= '9')))
            return false;
    }
    return true;
}

/* "errno" [ ERRNO-NAME | NUMBER ]: without a value, ENOSYS, so that libc
 * falls back as it does on a kernel that lacks the call. */
static int parse_errno_value(reader *r, int *errno_value)
{
    token t;
    char buffer[80];
    int rc = peek_token(r, &t);
    *errno_value = ENOSYS;
    if (rc < 0 || (t.kind != TOKEN_NUMBER && !looks_like_errno_name(&t)))
        return rc;
    next_token(r, &t);
    if (t.kind == TOKEN_NUMBER) {
        uint64_t value;
        if ((rc = parse_number(r, &t, &value)) < 0)
            return rc;
        /* The kernel caps a filter's errno at 4095, and libseccomp
         * refuses 4095 itself: say so at the token, not at compile. */
        if (value > MAX_ERRNO_VALUE)
            return fail_at(r, &t, "errno %s is out of range (0 to 4094)",
                           shown(&t, buffer, sizeof buffer));
        *errno_value = (int)value;
        return 0;
    }
    if ((*errno_value = cordon__errno_lookup(t.text, t.len)) < 0)
        return fail_unknown(r, &t, "unknown errno name", cordon__suggest_errno(t.text, t.len));
    return 0;
}

static int parse_action(reader *r, const token *t, enum cordon__action *action, int *errno_value)
{
    static const struct { const char *word; enum cordon__action action; } actions[] = {
        { "allow", ACTION_ALLOW }, { "kill", ACTION_KILL }, { "deny", ACTION_KILL },
        { "trap", ACTION_TRAP },   { "log", ACTION_LOG },   { "errno", ACTION_ERRNO },
    };
    *errno_value = 0;
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++) {
        if (token_is(t, actions[i].word)) {
            *action = actions[i].action;
            return *action == ACTION_ERRNO ? parse_errno_value(r, errno_value) : 0;
        }
    }
    char buffer[80];
    return fail_at(r, t, "expected an action (allow, kill, deny, trap, log, errno) or a "
                   "statement (default, include, arch, newer), found %s",
                   shown(t, buffer, sizeof buffer));
}

/* Rules a policy may hold: a filter of more could not fit the kernel's
 * 4096 instructions once compiled, and a hostile profile of 120,000 (one
 * Docker entry naming read that often) held the import's checks 39 s and
 * libseccomp's compile of 30,000 conditional ones 28 s, only to fail. */
#define RULES_MAX 4096

static int push_rule(cordon_policy *p, const cordon__rule *rule)
{
    if (p->rule_count >= RULES_MAX)
        return -E2BIG;
    if (p->rule_count == p->rule_size) {
        size_t size = p->rule_size ? p->rule_size * 2 : 32;
        cordon__rule *grown = realloc(p->rules, size * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        p->rules = grown;
        p->rule_size = size;
    }
    p->rules[p->rule_count++] = *rule;
    return 0;
}

/* A syscall as written on a rule's line. */
typedef struct named_syscall {
    int number;
    const char *name;
    unsigned column;
} named_syscall;

static int emit_rules(reader *r, cordon__rule *model, const named_syscall *syscalls,
                      unsigned syscall_count, const conjunction *alternatives,
                      unsigned alternative_count)
{
    for (unsigned s = 0; s < syscall_count; s++) {
        model->syscall = syscalls[s].number;
        model->syscall_name = syscalls[s].name;
        model->column = syscalls[s].column;
        for (unsigned a = 0; a < alternative_count; a++) {
            model->condition_count = alternatives[a].count;
            memcpy(model->conditions, alternatives[a].conditions, sizeof model->conditions);
            int rc = push_rule(r->policy, model);
            if (rc == -E2BIG) {
                cordon__error_set(r->err, rc, r->origin, r->line, 1, "more than %d rules: a "
                                  "policy holds at most that many (no filter of more would fit "
                                  "the kernel's 4096 instructions)", RULES_MAX);
                return rc;
            }
            if (rc < 0) {
                cordon__error_set(r->err, -ENOMEM, r->origin, r->line, 1, "out of memory");
                return -ENOMEM;
            }
        }
    }
    return 0;
}

/* A syscall by its native number, for calls libseccomp has no name for
 * ("kill 463"); a number with a name is that name. */
static int parse_syscall_number(reader *r, const token *t, named_syscall *named)
{
    uint64_t value;
    int rc = parse_number(r, t, &value);
    if (rc < 0)
        return rc;
    if (value >= CORDON_SYSCALL_TABLE_SIZE) {
        char buffer[80];
        return fail_at(r, t, "syscall number %s is out of range (0 to 1023)",
                       shown(t, buffer, sizeof buffer));
    }
    named->number = (int)value;
    named->name = cordon__syscall_label(named->number);
    return 0;
}

/* action SYSCALL { [","] SYSCALL } [ "if" alternatives ] */
static int parse_rule(reader *r, const token *first)
{
    cordon__rule model = { .origin = r->origin, .line = r->line };
    int rc = parse_action(r, first, &model.action, &model.errno_value);
    if (rc < 0)
        return rc;
    named_syscall syscalls[MAX_SYSCALLS_A_LINE];
    unsigned count = 0;
    char buffer[80];
    token t;
    bool after_comma = false;
    for (;;) {
        if ((rc = next_token(r, &t)) < 0)
            return rc;
        /* A comma stands between two names, never doubled or trailing. */
        if (after_comma && ((t.kind != TOKEN_WORD && t.kind != TOKEN_NUMBER) || token_is(&t, "if")))
            return fail_at(r, &t, "expected a syscall name after ',', found %s",
                           shown(&t, buffer, sizeof buffer));
        if (t.kind == TOKEN_END || token_is(&t, "if"))
            break;
        after_comma = t.kind == TOKEN_COMMA && count > 0;
        if (after_comma)
            continue;
        if (t.kind != TOKEN_WORD && t.kind != TOKEN_NUMBER)
            return fail_at(r, &t, "expected a syscall name, found %s",
                           shown(&t, buffer, sizeof buffer));
        if (count == MAX_SYSCALLS_A_LINE)
            return fail_at(r, &t, "too many syscalls on one line (at most %s)", "256");
        named_syscall *named = &syscalls[count];
        if (t.kind == TOKEN_NUMBER)
            rc = parse_syscall_number(r, &t, named);
        else if ((named->number = cordon__syscall_lookup(t.text, t.len, &named->name)) < 0)
            rc = fail_unknown(r, &t, "unknown syscall", cordon__suggest_syscall(t.text, t.len));
        if (rc < 0)
            return rc;
        named->column = t.column;
        count++;
    }
    if (count == 0)
        return fail_at(r, &t, "expected a syscall name after the action, found %s",
                       shown(&t, buffer, sizeof buffer));
    conjunction alternatives[MAX_ALTERNATIVES] = { { 0 } };
    unsigned alternative_count = 1;
    if (token_is(&t, "if") && (rc = parse_alternatives(r, alternatives, &alternative_count)) < 0)
        return rc;
    return emit_rules(r, &model, syscalls, count, alternatives, alternative_count);
}

/* Where "default" or "newer" keeps its action: once per file, and the
 * outermost file's wins. */
typedef struct action_setting {
    bool *seen;               /* in this file */
    bool *set;
    int *depth;
    enum cordon__action *action;
    int *errno_value;
    const char *twice;        /* the error when given twice in one file */
} action_setting;

static int parse_outermost_action(reader *r, const token *keyword, action_setting s)
{
    token t;
    int rc = next_token(r, &t);
    enum cordon__action action;
    int errno_value;
    if (rc < 0 || (rc = parse_action(r, &t, &action, &errno_value)) < 0 ||
        (rc = expect_end(r)) < 0)
        return rc;
    /* Two in one file is a mistake, in an included file too. */
    if (*s.seen)
        return fail_at(r, keyword, "%s", s.twice);
    *s.seen = true;
    if (*s.set && *s.depth <= r->depth)
        return 0;
    *s.set = true;
    *s.depth = r->depth;
    *s.action = action;
    *s.errno_value = errno_value;
    if (s.set == &r->policy->default_set) {
        r->policy->default_origin = r->origin;
        r->policy->default_line = r->line;
    }
    return 0;
}

static int parse_default(reader *r, const token *keyword)
{
    cordon_policy *p = r->policy;
    return parse_outermost_action(r, keyword, (action_setting){
        &r->default_seen, &p->default_set, &p->default_depth, &p->default_action,
        &p->default_errno, "the default action is given twice" });
}

/* "newer": the action for syscalls newer than cordon's table. */
static int parse_newer(reader *r, const token *keyword)
{
    cordon_policy *p = r->policy;
    return parse_outermost_action(r, keyword, (action_setting){
        &r->newer_seen, &p->newer_set, &p->newer_depth, &p->newer_action, &p->newer_errno,
        "the action for newer syscalls is given twice" });
}

static int parse_arch(reader *r)
{
    token t;
    char buffer[80];
    int rc, named = 0;
    while ((rc = next_token(r, &t)) == 0 && t.kind != TOKEN_END) {
        unsigned arch = token_is(&t, "i386") || token_is(&t, "x86") ? ARCH_I386
                      : token_is(&t, "x32")                          ? ARCH_X32 : 0;
        if (!arch && !token_is(&t, "x86_64") && !token_is(&t, "native"))
            return fail_at(r, &t, "unknown architecture %s (x86_64, i386 or x32)",
                           shown(&t, buffer, sizeof buffer));
        if (arch == ARCH_I386 && !(r->policy->foreign_arches & ARCH_I386)) {
            r->policy->i386_origin = r->origin;
            r->policy->i386_line = r->line;
        }
        r->policy->foreign_arches |= arch;
        named++;
    }
    if (rc == 0 && named == 0)
        return fail_at(r, &t, "expected an architecture (x86_64, i386 or x32), found %s",
                       shown(&t, buffer, sizeof buffer));
    return rc;
}

/* Opened without waiting: a FIFO no one writes to (a name planted where a
 * policy or an include was looked for) would hold open() for ever.  One
 * with a writer (--policy <(generate)) is then read as it comes. */
static FILE *open_policy(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    int flags = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
    FILE *f = flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 ? fdopen(fd, "r")
                                                                         : NULL;
    if (!f && fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return f;
}

/* An empty FIFO: no writer, or one that wrote nothing. */
static bool empty_fifo(FILE *f, size_t len)
{
    struct stat st;
    return len == 0 && fstat(fileno(f), &st) == 0 && S_ISFIFO(st.st_mode);
}

char *cordon__policy_read_file(const char *path, const char *origin, cordon_error *err)
{
    FILE *f = open_policy(path);
    char *text = f ? malloc(MAX_POLICY_BYTES + 2) : NULL;
    size_t len = 0, n;
    while (text && len <= MAX_POLICY_BYTES &&
           (n = fread(text + len, 1, MAX_POLICY_BYTES + 1 - len, f)) > 0)
        len += n;
    int error = !f ? errno : !text ? ENOMEM : ferror(f) ? (errno == EISDIR ? EISDIR : EIO)
              : len > MAX_POLICY_BYTES ? EFBIG : empty_fifo(f, len) ? EPIPE : 0;
    if (f)
        fclose(f);
    if (error) {
        free(text);
        cordon__error_set(err, -error, NULL, 0, 0, "cannot read policy file '%s': %s", path,
                          error == EFBIG ? "larger than 1 MiB"
                          : error == EPIPE ? "a FIFO no one wrote to"
                          : strerror(error));
        return NULL;
    }
    text[len] = '\0';
    /* The parser reads a C string: a NUL would silently end the policy. */
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        unsigned line = 1, column = 1;
        for (const char *c = text; c < nul; c++, column++)
            if (*c == '\n')
                line++, column = 0;
        cordon__error_set(err, -EINVAL, origin ? origin : path, line, column,
                          "a NUL byte: a policy file is text");
        free(text);
        return NULL;
    }
    return text;
}

/* A relative path in an include is relative to the including file. */
static char *include_path(const char *including, const char *name)
{
    const char *slash = strrchr(including, '/');
    if (name[0] == '/' || !slash)
        return strdup(name);
    size_t dir_len = (size_t)(slash - including);
    char *path = malloc(dir_len + 1 + strlen(name) + 1);
    if (path)
        sprintf(path, "%.*s/%s", (int)dir_len, including, name);
    return path;
}

/* An included name is looked for beside the including file first, then
 * where a policy's name is (cordon__policy_find): a shipped policy that
 * includes "default" is built on the shipped default, not on a file of
 * that name that a user's CORDON_POLICY_PATH happens to hold.  Either
 * must be where only root and the caller could have put it. */
static char *included_by_name(const char *including, const char *name)
{
    /* A file given by a bare name (`cordon run --policy top.policy`) is
     * beside the caller: its includes were looked for by name only. */
    size_t len = strlen(including);
    struct stat st;
    bool bare_file = len > 7 && strcmp(including + len - 7, ".policy") == 0 &&
                     stat(including, &st) == 0 && S_ISREG(st.st_mode);
    if (strchr(including, '/') || bare_file) {
        char file[NAME_MAX + 1];
        if (snprintf(file, sizeof file, "%s.policy", name) < (int)sizeof file) {
            char *beside = include_path(including, file);
            if (beside && access(beside, R_OK) == 0)
                return cordon__policy_trusted(beside);
            free(beside);
        }
    }
    return cordon__policy_find(name);
}

static int check_cycle(reader *r, const token *at, const char *key)
{
    for (const include_frame *f = r->frame; f; f = f->outer) {
        if (strcmp(f->key, key) == 0)
            return fail_at(r, at, "include cycle: '%s' includes itself", key);
    }
    if (r->depth + 1 >= MAX_INCLUDE_DEPTH)
        return fail_at(r, at, "includes nested too deep (at most %s)", "16");
    return 0;
}

static int read_included_file(reader *r, const token *at, const char *name)
{
    if (++*r->frame->includes > MAX_INCLUDES)
        return fail_at(r, at, "more than %s includes in all (includes repeated in included "
                       "files multiply)", "256");
    size_t len = strlen(name);
    bool is_path = strchr(name, '/') || (len > 7 && strcmp(name + len - 7, ".policy") == 0);
    char *path = is_path ? include_path(r->origin, name) : included_by_name(r->origin, name);
    const char *text = NULL;
    char *file_text = NULL;
    cordon_error problem;
    memset(&problem, 0, sizeof problem);
    if (!path && strcmp(name, "default") == 0 && !cordon__policy_skipped_untrusted()[0])
        text = cordon__builtin_default_text;
    else if (path && !(file_text = cordon__policy_read_file(path, path, &problem)))
        text = NULL;
    else
        text = file_text;
    if (!text) {
        free(path);
        if (problem.line) { /* a positioned error inside the included file */
            if (r->err)
                *r->err = problem;
            return problem.code;
        }
        const char *skipped = cordon__policy_skipped_untrusted();
        if (!problem.message[0] && !is_path && skipped[0])
            snprintf(problem.message, sizeof problem.message, "not read from %s", skipped);
        char *detail = NULL;
        if (asprintf(&detail, "'%s': %s", name,
                     problem.message[0] ? problem.message : "no such policy") < 0)
            detail = NULL;
        int rc = fail_at(r, at, "cannot include %s", detail ? detail : name);
        free(detail);
        return rc;
    }
    char real[PATH_MAX];
    const char *key = path && realpath(path, real) ? real : path ? path : "<built-in default>";
    int rc = check_cycle(r, at, key);
    include_frame frame = { .key = key, .outer = r->frame, .includes = r->frame->includes,
                            .unread = r->frame->unread };
    size_t first_rule = r->policy->rule_count;
    if (rc == 0)
        rc = read_text(r->policy, text, path ? path : "default", r->depth + 1, &frame, r->err,
                       r->notes);
    if (rc == 0 && r->notes)
        rc = note_include(r, at, name, path ? path : "default", first_rule);
    free(file_text);
    free(path);
    return rc;
}

/* An include that could not be read is counted: the default it may have
 * held is then not said to be missing, on top of the include's error. */
static int read_included(reader *r, const token *at, const char *name)
{
    int rc = read_included_file(r, at, name);
    if (rc < 0)
        ++*r->frame->unread;
    return rc;
}

/* For the linter: which rules an include brought, to tell one that adds
 * nothing. */
static int note_include(reader *r, const token *at, const char *name, const char *target,
                        size_t first_rule)
{
    cordon__read_notes *n = r->notes;
    cordon__include_note *grown = realloc(n->includes, (n->include_count + 1) * sizeof *grown);
    char *copy = strdup(name);
    if (!grown || !copy) {
        free(copy);
        n->includes = grown ? grown : n->includes;
        cordon__error_set(r->err, -ENOMEM, r->origin, r->line, 1, "out of memory");
        return -ENOMEM;
    }
    n->includes = grown;
    grown[n->include_count++] = (cordon__include_note){
        .origin = r->origin, .line = r->line, .column = at->column, .name = copy,
        .target = intern_origin(r->policy, target),
        .first_rule = first_rule, .end_rule = r->policy->rule_count,
    };
    return 0;
}

/* "include" takes the rest of the line, so that a path may hold any
 * character but '#'. */
static int parse_include(reader *r, const token *keyword)
{
    const char *start = r->cursor, *end = r->cursor;
    while (start < r->line_end && (*start == ' ' || *start == '\t'))
        start++;
    end = start;
    while (end < r->line_end && *end != '#')
        end++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    token at = { TOKEN_WORD, start, (size_t)(end - start), (unsigned)(start - r->line_start) + 1 };
    if (end == start || (size_t)(end - start) >= PATH_MAX)
        return fail_at(r, end == start ? NULL : &at,
                       "expected a policy name or path after '%s'", "include");
    (void)keyword;
    char name[PATH_MAX];
    memcpy(name, start, (size_t)(end - start));
    name[end - start] = '\0';
    return read_included(r, &at, name);
}

static int parse_statement(reader *r)
{
    token first;
    char buffer[80];
    int rc = next_token(r, &first);
    if (rc < 0 || first.kind == TOKEN_END)
        return rc;
    if (first.kind != TOKEN_WORD)
        return fail_at(r, &first, "expected an action or a statement, found %s",
                       shown(&first, buffer, sizeof buffer));
    if (token_is(&first, "default"))
        return parse_default(r, &first);
    if (token_is(&first, "include"))
        return parse_include(r, &first);
    if (token_is(&first, "arch"))
        return parse_arch(r);
    if (token_is(&first, "newer"))
        return parse_newer(r, &first);
    return parse_rule(r, &first);
}

static const char *intern_origin(cordon_policy *p, const char *origin)
{
    for (size_t i = 0; i < p->origin_count; i++) {
        if (strcmp(p->origins[i], origin) == 0)
            return p->origins[i];
    }
    char **grown = realloc(p->origins, (p->origin_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    p->origins = grown;
    if (!(grown[p->origin_count] = strdup(origin)))
        return NULL;
    return grown[p->origin_count++];
}

/* The first comment line at the top of the outermost file. */
static void take_description(cordon_policy *p, const char *line, const char *end)
{
    if (p->description || *line != '#')
        return;
    line++;
    while (line < end && (*line == ' ' || *line == '#'))
        line++;
    size_t len = (size_t)(end - line);
    p->description = malloc(len + 1);
    if (p->description) {
        memcpy(p->description, line, len);
        p->description[len] = '\0';
    }
}

/* A linter's reader reports an error and goes on with the next line (the
 * statement in error adds nothing); only running out of memory stops it. */
static int recover(reader *r, int rc)
{
    if (!r->notes || rc == -ENOMEM)
        return rc;
    r->notes->report(r->notes, r->err);
    r->notes->errors++;
    return 0;
}

static int read_text(cordon_policy *policy, const char *text, const char *origin, int depth,
                     const include_frame *frame, cordon_error *err, cordon__read_notes *notes)
{
    cordon_error local;
    reader r = { .policy = policy, .depth = depth, .frame = frame, .err = err, .notes = notes };
    if (notes)
        r.err = &local;
    if (!(r.origin = intern_origin(policy, origin))) {
        cordon__error_set(err, -ENOMEM, origin, 0, 0, "out of memory");
        return -ENOMEM;
    }
    bool at_top = depth == 0;
    /* An editor's UTF-8 byte order mark is no part of the text: columns of
     * the first line count from after it, as the editor shows them. */
    if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        const char *next = end ? end + 1 : line + strlen(line);
        end = end ? end : next;
        if (end > line && end[-1] == '\r')
            end--;
        r.line++;
        r.line_start = r.cursor = line;
        r.line_end = end;
        const char *first = line;
        while (first < end && (*first == ' ' || *first == '\t'))
            first++;
        if (at_top && first < end && *first == '#')
            take_description(policy, first, end);
        else if (first < end)
            at_top = false;
        int rc = parse_statement(&r);
        if (rc < 0 && (rc = recover(&r, rc)) < 0)
            return rc;
        line = next;
    }
    return 0;
}

static int read_policy(cordon_policy *policy, const char *text, const char *origin,
                       cordon_error *err, cordon__read_notes *notes)
{
    char real[PATH_MAX];
    unsigned includes = 0, unread = 0;
    include_frame top = { .key = realpath(origin, real) ? real : origin, .includes = &includes,
                          .unread = &unread };
    int rc = read_text(policy, text, origin, 0, &top, err, notes);
    if (rc == 0 && !policy->default_set && unread == 0) {
        cordon__error_set(err, -EINVAL, origin, 0, 0,
                          "no default action (add 'default allow' or 'default kill')");
        rc = -EINVAL;
        if (notes) {
            notes->report(notes, err);
            notes->errors++;
            rc = 0;
        }
    }
    return rc;
}

int cordon__policy_read(cordon_policy *policy, const char *text, const char *origin,
                        cordon_error *err)
{
    return read_policy(policy, text, origin, err, NULL);
}

int cordon__policy_read_all(cordon_policy *policy, const char *text, const char *origin,
                            cordon__read_notes *notes)
{
    cordon_error err;
    memset(&err, 0, sizeof err);
    return read_policy(policy, text, origin, &err, notes);
}
