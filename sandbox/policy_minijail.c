/*
 * minijail's seccomp policy files in cordon's language:
 *
 *   line      = [ rule | directive ] [ "#" comment ]
 *   rule      = SYSCALL ":" ( "1" | expression [ ";" "return" ERRNO ]
 *                           | "return" ERRNO | ACTION )
 *   ACTION    = "allow" | "kill" | "kill-process" | "kill-thread" | "trap"
 *             | "log" | "trace" | "user-notify"
 *   directive = "@include" PATH | "@frequency" PATH | "@denylist"
 *
 * An allow-list (the default: calls not named are killed) becomes
 * "default kill"; "@denylist" makes it "default allow".  An expression
 * allows the call when it holds; "; return ERRNO" gives the other calls
 * that errno, written as a rule on the negated expression, or, where
 * cordon cannot write that, left to the default kill with a note: an
 * import may be stricter than its source, never looser.  Unknown names
 * are notes (left out) in an allow-list and errors in a deny-list, where
 * leaving a call out would let it through.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_minijail.h"

#define MAX_INCLUDE_DEPTH 8
/* Files included in all, as the cordon grammar counts them: ten includes
 * a file over the levels nesting allows would be 10^6 files read. */
#define MAX_INCLUDES 256

typedef struct importer {
    FILE *out, *notes;
    cordon_error *err;
    bool denylist, default_written;
    unsigned first_line[CORDON_SYSCALL_TABLE_SIZE];  /* of each syscall's rule, 0: none */
    const char *first_origin[CORDON_SYSCALL_TABLE_SIZE];
    char **origins;
    size_t origin_count;
    unsigned includes;          /* read so far */
    /* The files being read, outermost first (index: depth): the name each
     * is known by and its real path (NULL when it names no file), to
     * report an include cycle as the files that make it. */
    const char *reading[MAX_INCLUDE_DEPTH];
    char *reading_key[MAX_INCLUDE_DEPTH];
} importer;

/* One line being read. */
typedef struct line {
    const char *origin;
    unsigned number;
    const char *start, *end;
} line;

static int fail(importer *im, const line *l, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(importer *im, const line *l, const char *at, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    cordon__error_setv(im->err, -EINVAL, l->origin, l->number, (unsigned)(at - l->start) + 1, fmt,
                       args);
    va_end(args);
    return -EINVAL;
}

static void note(importer *im, const line *l, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void note(importer *im, const line *l, const char *at, const char *fmt, ...)
{
    if (!im->notes)
        return;
    fprintf(im->notes, "%s:%u:%u: ", l->origin, l->number, (unsigned)(at - l->start) + 1);
    va_list args;
    va_start(args, fmt);
    vfprintf(im->notes, fmt, args);
    va_end(args);
    fputc('\n', im->notes);
}

static const char *skip_blanks(const char *at, const char *end)
{
    while (at < end && (*at == ' ' || *at == '\t'))
        at++;
    return at;
}

static const char *trim_end(const char *start, const char *end)
{
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    return end;
}

static bool is_word(const char *at, const char *end, const char *word)
{
    size_t len = strlen(word);
    return (size_t)(end - at) == len && memcmp(at, word, len) == 0;
}

/* "return EPERM" / "return 1": the errno, or -1 after failing. */
static int parse_errno(importer *im, const line *l, const char *at, const char *end)
{
    at = skip_blanks(at, end);
    size_t len = (size_t)(end - at);
    if (len && at[0] >= '0' && at[0] <= '9') {
        char copy[16];
        char *stop;
        if (len >= sizeof copy)
            return fail(im, l, at, "errno out of range (0 to 4094)"), -1;
        memcpy(copy, at, len);
        copy[len] = '\0';
        long value = strtol(copy, &stop, 0);
        if (*stop || value < 0 || value > 4094)
            return fail(im, l, at, "errno '%s' out of range (0 to 4094)", copy), -1;
        return (int)value;
    }
    int value = cordon__errno_lookup(at, len);
    if (value < 0) {
        const char *near = cordon__suggest_errno(at, len);
        char name[CORDON__NAME_SHOWN_SIZE];
        fail(im, l, at, "unknown errno name %s%s%s%s", cordon__name_shown(name, at, len),
             near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        return -1;
    }
    return value;
}

static void put_alternatives(FILE *out, const minijail_alternatives *alts)
{
    static const char *const operators[] = {
        [COMPARE_EQ] = "==", [COMPARE_NE] = "!=", [COMPARE_LT] = "<", [COMPARE_LE] = "<=",
        [COMPARE_GT] = ">", [COMPARE_GE] = ">=", [COMPARE_MASKED_EQ] = "==",
    };
    for (unsigned a = 0; a < alts->count; a++) {
        fputs(a ? " ||" : " if", out);
        for (unsigned i = 0; i < alts->alternatives[a].count; i++) {
            const cordon__condition *c = &alts->alternatives[a].conditions[i];
            fprintf(out, "%s arg%u ", i ? " &&" : "", c->arg);
            if (c->compare == COMPARE_MASKED_EQ)
                fprintf(out, "& 0x%llx ", (unsigned long long)c->mask);
            fprintf(out, "%s 0x%llx", operators[c->compare], (unsigned long long)c->value);
        }
    }
}

/* SYSCALL ":" EXPRESSION [";" "return" ERRNO] */
static int translate_expression(importer *im, const line *l, const char *name, const char *at,
                                const char *end)
{
    const char *semicolon = memchr(at, ';', (size_t)(end - at));
    const char *expr_end = trim_end(at, semicolon ? semicolon : end);
    int errno_value = -2;
    if (semicolon) {
        const char *r = skip_blanks(semicolon + 1, end);
        if ((size_t)(end - r) < 6 || memcmp(r, "return", 6) != 0)
            return fail(im, l, r, "expected 'return ERRNO' after ';'");
        if ((errno_value = parse_errno(im, l, r + 6, end)) < 0)
            return -EINVAL;
    }
    minijail_expression e;
    unsigned column;
    char problem[300];
    if (cordon__minijail_parse_expression(at, expr_end, (unsigned)(at - l->start) + 1, &e,
                                          &column, problem, sizeof problem) < 0)
        return fail(im, l, l->start + column - 1, "%s", problem);
    minijail_alternatives alts;
    char why[200];
    if (!cordon__minijail_alternatives(&e, false, &alts, why, sizeof why)) {
        note(im, l, at, "'%s': cordon cannot write this expression (%s); the call is left to "
             "the default", name, why);
        fprintf(im->out, "# %s:%u: '%s' left out: %s\n", l->origin, l->number, name, why);
        return 0;
    }
    fprintf(im->out, "allow %s", name);
    put_alternatives(im->out, &alts);
    fprintf(im->out, "    # %s:%u\n", l->origin, l->number);
    if (errno_value < 0)
        return 0;
    const char *errno_name = cordon__errno_name(errno_value);
    char shown[16];
    snprintf(shown, sizeof shown, "%d", errno_value);
    if (!cordon__minijail_alternatives(&e, true, &alts, why, sizeof why)) {
        note(im, l, semicolon, "'%s': cordon cannot write the calls that '; return %s' refuses "
             "(%s); they are killed instead", name, errno_name ? errno_name : shown, why);
        fprintf(im->out, "# %s:%u: the other '%s' calls are killed, not given %s: %s\n",
                l->origin, l->number, name, errno_name ? errno_name : shown, why);
        return 0;
    }
    if (errno_name)
        fprintf(im->out, "errno %s %s", errno_name, name);
    else
        fprintf(im->out, "errno %d %s", errno_value, name);
    put_alternatives(im->out, &alts);
    fprintf(im->out, "    # %s:%u (the '; return')\n", l->origin, l->number);
    return 0;
}

static int translate_action(importer *im, const line *l, const char *name, const char *at,
                            const char *end)
{
    static const struct { const char *word; const char *cordon; } actions[] = {
        { "1", "allow" },        { "allow", "allow" },       { "kill", "kill" },
        { "kill-process", "kill" }, { "kill-thread", "kill" }, { "trap", "trap" },
        { "log", "log" },        { "trace", "errno ENOSYS" },
    };
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++) {
        if (is_word(at, end, actions[i].word)) {
            fprintf(im->out, "%s %s    # %s:%u%s\n", actions[i].cordon, name, l->origin,
                    l->number, strcmp(actions[i].word, "trace") == 0
                    ? " (trace: no tracer, so ENOSYS, as the kernel answers)" : "");
            return 1;
        }
    }
    if (is_word(at, end, "user-notify"))
        return fail(im, l, at, "user-notify needs a supervisor listening for the calls; cordon "
                    "cannot import it");
    if ((size_t)(end - at) >= 6 && memcmp(at, "return", 6) == 0 &&
        (at + 6 == end || at[6] == ' ' || at[6] == '\t')) {
        int value = parse_errno(im, l, at + 6, end);
        if (value < 0)
            return -EINVAL;
        const char *errno_name = cordon__errno_name(value);
        errno_name ? fprintf(im->out, "errno %s %s", errno_name, name)
                   : fprintf(im->out, "errno %d %s", value, name);
        fprintf(im->out, "    # %s:%u\n", l->origin, l->number);
        return 1;
    }
    return 0;
}

/* The syscall's number, once per policy; -1 after a note (left out) or
 * -EINVAL-like failure in *rc. */
static int syscall_of(importer *im, const line *l, const char *name_start, size_t len,
                      const char **stored, int *rc)
{
    int nr = cordon__syscall_lookup(name_start, len, stored);
    *rc = 0;
    if (nr < 0) {
        const char *near = cordon__suggest_syscall(name_start, len);
        char detail[200];
        char name[CORDON__NAME_SHOWN_SIZE];
        snprintf(detail, sizeof detail, "unknown syscall %s%s%s%s",
                 cordon__name_shown(name, name_start, len), near ? " (did you mean '" : "",
                 near ? near : "", near ? "'?)" : "");
        if (im->denylist)
            *rc = fail(im, l, name_start, "%s: a deny-list cannot leave it out", detail);
        else
            note(im, l, name_start, "%s (left out: the default kills it)", detail);
        return -1;
    }
    if (im->first_line[nr]) {
        *rc = fail(im, l, name_start, "'%s' has a rule already, at %s:%u (minijail refuses "
                   "a second one)", *stored, im->first_origin[nr], im->first_line[nr]);
        return -1;
    }
    im->first_line[nr] = l->number;
    im->first_origin[nr] = l->origin;
    return nr;
}

static int translate_rule(importer *im, const line *l, const char *colon)
{
    const char *name_start = l->start, *name_end = trim_end(l->start, colon);
    const char *stored;
    int rc;
    if (name_end == name_start)
        return fail(im, l, colon, "expected a syscall name before ':'");
    if (syscall_of(im, l, name_start, (size_t)(name_end - name_start), &stored, &rc) < 0)
        return rc;
    const char *at = skip_blanks(colon + 1, l->end);
    if (at == l->end)
        return fail(im, l, at, "expected '1', an expression, 'return ERRNO' or an action "
                    "after ':'");
    rc = translate_action(im, l, stored, at, l->end);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    return translate_expression(im, l, stored, at, l->end);
}

static int import_text(importer *im, const char *text, const char *origin, int depth);

static const char *keep_origin(importer *im, const char *origin)
{
    char **grown = realloc(im->origins, (im->origin_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    im->origins = grown;
    if (!(grown[im->origin_count] = strdup(origin)))
        return NULL;
    return grown[im->origin_count++];
}

/* An include of a file already being read (by its real path, so that
 * "./a.policy" and "a.policy" are one file) is refused as the cycle it
 * makes, named file by file: "a.policy includes b.policy, which includes
 * a.policy". */
static int check_cycle(importer *im, const line *l, const char *at, const char *path, int depth)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return 0; /* no such file: the read names the problem */
    int first = 0;
    while (first <= depth && !(im->reading_key[first] && strcmp(im->reading_key[first], real) == 0))
        first++;
    if (first > depth)
        return 0;
    char chain[360];
    size_t used = 0;
    for (int d = first; d <= depth + 1 && used < sizeof chain; d++)
        used += (size_t)snprintf(chain + used, sizeof chain - used, "%s'%s'",
                                 d == first ? "" : d == first + 1 ? " includes " : ", which includes ",
                                 d <= depth ? im->reading[d] : path);
    return fail(im, l, at, "include cycle: %s", chain);
}

static int include(importer *im, const line *l, const char *at, int depth)
{
    at = skip_blanks(at, l->end);
    size_t len = (size_t)(l->end - at);
    if (len == 0)
        return fail(im, l, at, "expected a path after '@include'");
    const char *slash = strrchr(l->origin, '/');
    char path[4096];
    if (at[0] == '/' || !slash)
        snprintf(path, sizeof path, "%.*s", (int)len, at);
    else
        snprintf(path, sizeof path, "%.*s/%.*s", (int)(slash - l->origin), l->origin, (int)len, at);
    int rc = check_cycle(im, l, at, path, depth);
    if (rc < 0)
        return rc;
    if (depth + 1 >= MAX_INCLUDE_DEPTH)
        return fail(im, l, at, "includes nested too deep (at most 8)");
    if (++im->includes > MAX_INCLUDES)
        return fail(im, l, at, "more than 256 includes in all (includes repeated in included "
                    "files multiply)");
    cordon_error problem;
    memset(&problem, 0, sizeof problem);
    char *text = cordon__policy_read_file(path, path, &problem);
    if (!text)
        return fail(im, l, at, "cannot include '%s': %s", path, problem.message);
    const char *kept = keep_origin(im, path);
    fprintf(im->out, "# @include %s (%s:%u)\n", path, l->origin, l->number);
    rc = kept ? import_text(im, text, kept, depth + 1) : -ENOMEM;
    free(text);
    return rc;
}

static int directive(importer *im, const line *l, int depth)
{
    const char *word_end = l->start;
    while (word_end < l->end && *word_end != ' ' && *word_end != '\t')
        word_end++;
    if (is_word(l->start, word_end, "@include"))
        return include(im, l, word_end, depth);
    if (is_word(l->start, word_end, "@frequency")) {
        note(im, l, l->start, "@frequency ignored: an ordering hint for minijail's compiler");
        return 0;
    }
    if (is_word(l->start, word_end, "@denylist")) {
        if (im->default_written && !im->denylist)
            return fail(im, l, l->start, "@denylist after the first rule");
        im->denylist = true;
        return 0;
    }
    char name[CORDON__NAME_SHOWN_SIZE];
    return fail(im, l, l->start, "unknown directive %s (@include, @frequency or @denylist)",
                cordon__name_shown(name, l->start, (size_t)(word_end - l->start)));
}

static int import_text(importer *im, const char *text, const char *origin, int depth)
{
    line l = { .origin = origin };
    im->reading[depth] = origin;
    free(im->reading_key[depth]);
    im->reading_key[depth] = realpath(origin, NULL);
    for (const char *at = text; *at;) {
        const char *newline = strchr(at, '\n');
        const char *next = newline ? newline + 1 : at + strlen(at);
        const char *hash = memchr(at, '#', (size_t)((newline ? newline : next) - at));
        l.number++;
        l.start = skip_blanks(at, next);
        l.end = trim_end(l.start, hash ? hash : newline ? newline : next);
        at = next;
        if (l.start == l.end)
            continue;
        int rc;
        if (*l.start == '@') {
            rc = directive(im, &l, depth);
        } else {
            if (!im->default_written) {
                im->default_written = true;
                fprintf(im->out, "default %s\n", im->denylist ? "allow" : "kill");
            }
            const char *colon = memchr(l.start, ':', (size_t)(l.end - l.start));
            rc = colon ? translate_rule(im, &l, colon)
                       : fail(im, &l, l.end, "expected 'SYSCALL: …'");
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

bool cordon__looks_like_minijail(const char *text)
{
    for (const char *at = text; *at;) {
        at += strspn(at, " \t\r\n");
        if (*at == '#') {
            at += strcspn(at, "\n");
            continue;
        }
        return (*at >= 'a' && *at <= 'z') || *at == '_' || *at == '@';
    }
    return false;
}

int cordon__minijail_import(const char *text, const char *origin, FILE *out, FILE *notes,
                            cordon_error *err)
{
    importer *im = calloc(1, sizeof *im);
    char *policy = NULL;
    size_t len = 0;
    FILE *buffer = im ? open_memstream(&policy, &len) : NULL;
    const char *kept = buffer ? keep_origin(im, origin) : NULL;
    int rc = kept ? 0 : -ENOMEM;
    if (rc == 0) {
        im->out = buffer;
        im->notes = notes;
        im->err = err;
        fprintf(buffer, "# minijail policy %s, imported by cordon\n", origin);
        rc = import_text(im, text, kept, 0);
        if (rc == 0 && !im->default_written)
            fprintf(buffer, "default %s\n", im->denylist ? "allow" : "kill");
    }
    if (buffer && fclose(buffer) != 0 && rc == 0)
        rc = -ENOMEM;
    if (rc == -ENOMEM)
        cordon__error_set(err, rc, origin, 0, 0, "out of memory");
    if (rc == 0 && out && fwrite(policy, 1, len, out) != len)
        cordon__error_set(err, rc = -EIO, origin, 0, 0, "cannot write the policy");
    free(policy);
    for (size_t i = 0; im && i < im->origin_count; i++)
        free(im->origins[i]);
    for (int d = 0; im && d < MAX_INCLUDE_DEPTH; d++)
        free(im->reading_key[d]);
    if (im)
        free(im->origins);
    free(im);
    return rc;
}
