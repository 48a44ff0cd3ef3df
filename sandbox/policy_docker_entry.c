/*
 * One entry of a Docker profile's "syscalls" into lines of cordon's
 * policy language (see policy_docker.c for the whole mapping).
 */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "policy_docker_entry.h"
#include "policy_rules.h"

#define NAMES_A_LINE 8
/* runc has no bound; a profile's entry has a handful. */
#define MAX_ARGS 64
#define CONDITION_TEXT 120

/* A string from the profile in a comment: printable ASCII only. */
static void write_safe(FILE *out, const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c >= 0x20 && *c < 0x7f)
            fputc(*c, out);
        else
            fprintf(out, "\\x%02x", *c);
    }
}

static void value_text(uint64_t value, char *text, size_t size)
{
    snprintf(text, size, value < 4096 ? "%llu" : "0x%llx", (unsigned long long)value);
}

/* index, value and valueTwo are Go integers in Docker: a missing one is 0. */
static int whole_member(docker_importer *im, const json_value *arg, const char *key,
                        const char *path, uint64_t *out)
{
    const json_value *v = cordon__json_member(arg, key);
    *out = 0;
    if (!v || cordon__json_uint64(v, out))
        return 0;
    cordon__docker_fail(im, v, path, "expected %s to be a whole number from 0 to 2^64-1", key);
    return -EINVAL;
}

static const struct { const char *name; const char *op; } operators[] = {
    { "SCMP_CMP_NE", "!=" }, { "SCMP_CMP_LT", "<" },  { "SCMP_CMP_LE", "<=" },
    { "SCMP_CMP_EQ", "==" }, { "SCMP_CMP_GE", ">=" }, { "SCMP_CMP_GT", ">" },
    { "SCMP_CMP_MASKED_EQ", "&" },
};

static int operator_of(docker_importer *im, const json_value *arg, const char *path,
                       const char **op)
{
    const json_value *v = cordon__json_member(arg, "op");
    if (!v) {
        cordon__docker_fail(im, arg, path, "no op");
        return -EINVAL;
    }
    if (cordon__docker_want(im, v, JSON_STRING, path) < 0)
        return -EINVAL;
    for (size_t i = 0; i < sizeof operators / sizeof *operators; i++) {
        if (strcmp(v->text, operators[i].name) == 0) {
            *op = operators[i].op;
            return 0;
        }
    }
    char shown[100];
    cordon__docker_fail(im, v, path, "unknown op %s",
                        cordon__json_shown(v->text, shown, sizeof shown));
    return -EINVAL;
}

/* One args[] item as a cordon condition: "arg0 < 38", "arg0 & 0x7e020000 == 0". */
static int read_arg(docker_importer *im, const json_value *arg, const char *path,
                    unsigned *index, char *text, size_t size)
{
    static const char *const known[] = { "index", "value", "valueTwo", "op", NULL };
    uint64_t n, value, value_two;
    const char *op;
    if (cordon__docker_want(im, arg, JSON_OBJECT, path) < 0 ||
        whole_member(im, arg, "index", path, &n) < 0 ||
        whole_member(im, arg, "value", path, &value) < 0 ||
        whole_member(im, arg, "valueTwo", path, &value_two) < 0 ||
        operator_of(im, arg, path, &op) < 0)
        return -EINVAL;
    cordon__docker_unknown_members(im, arg, path, known);
    if (n > 5) {
        cordon__docker_fail(im, cordon__json_member(arg, "index"), path,
                     "index %llu is out of range (0 to 5)", (unsigned long long)n);
        return -EINVAL;
    }
    *index = (unsigned)n;
    char a[24], b[24];
    value_text(value, a, sizeof a);
    value_text(value_two, b, sizeof b);
    if (strcmp(op, "&") == 0) {
        /* libseccomp's masked test: (arg & value) == valueTwo */
        snprintf(text, size, "arg%u & %s == %s", *index, a, b);
        return 0;
    }
    if (value_two != 0)
        cordon__docker_note(im, cordon__json_member(arg, "valueTwo"), path,
                     "valueTwo counts only with SCMP_CMP_MASKED_EQ; ignored, as libseccomp "
                     "ignores it");
    snprintf(text, size, "arg%u %s %s", *index, op, a);
    return 0;
}

typedef struct conditions {
    size_t count;            /* alternatives; 0: the rule is unconditional */
    char (*text)[CONDITION_TEXT * 6];
} conditions;

/* runc: when no index repeats, every comparison must hold (one rule);
 * when one does, each comparison is a rule of its own. */
static int read_conditions(docker_importer *im, const json_value *entry, const char *path,
                           conditions *c)
{
    const json_value *args = cordon__json_member(entry, "args");
    char at[96];
    snprintf(at, sizeof at, "%s.args", path);
    c->count = 0;
    c->text = NULL;
    if (!args || args->kind == JSON_NULL || (args->kind == JSON_ARRAY && args->count == 0))
        return 0;
    if (cordon__docker_want(im, args, JSON_ARRAY, at) < 0)
        return -EINVAL;
    if (args->count > MAX_ARGS) {
        cordon__docker_fail(im, args, at, "more than %d comparisons", MAX_ARGS);
        return -EINVAL;
    }
    char each[MAX_ARGS][CONDITION_TEXT];
    unsigned index[MAX_ARGS], seen = 0;
    bool repeats = false;
    for (size_t i = 0; i < args->count; i++) {
        snprintf(at, sizeof at, "%s.args[%zu]", path, i);
        if (read_arg(im, &args->items[i], at, &index[i], each[i], sizeof each[i]) < 0)
            return -EINVAL;
        repeats |= (seen & (1u << index[i])) != 0;
        seen |= 1u << index[i];
    }
    c->count = repeats ? args->count : 1;
    if (!(c->text = calloc(c->count, sizeof *c->text))) {
        cordon__error_set(im->err, -ENOMEM, im->origin, 0, 0, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < args->count; i++) {
        char *into = c->text[repeats ? i : 0];
        if (!repeats && i > 0)
            strcat(into, " && ");
        strcat(into, each[i]);
    }
    return 0;
}

/* "4.8" */
static int min_kernel(docker_importer *im, const json_value *v, const char *path, bool *met)
{
    unsigned major, minor;
    int end = 0;
    if (cordon__docker_want(im, v, JSON_STRING, path) < 0)
        return -EINVAL;
    if (sscanf(v->text, "%u.%u%n", &major, &minor, &end) != 2 || v->text[end] != '\0') {
        cordon__docker_fail(im, v, path, "expected minKernel as MAJOR.MINOR, e.g. \"4.8\"");
        return -EINVAL;
    }
    *met = im->kernel[0] > major || (im->kernel[0] == major && im->kernel[1] >= minor);
    return 0;
}

/* Whether the string array `list` (may be NULL) holds x86_64's name; the
 * number of its strings in *count. */
static int names_native(docker_importer *im, const json_value *list, const char *path,
                        bool *native, size_t *count)
{
    *native = false;
    *count = 0;
    if (!list)
        return 0;
    if (cordon__docker_want(im, list, JSON_ARRAY, path) < 0)
        return -EINVAL;
    for (size_t i = 0; i < list->count; i++) {
        if (cordon__docker_want(im, &list->items[i], JSON_STRING, path) < 0)
            return -EINVAL;
        *native |= strcmp(list->items[i].text, "amd64") == 0 ||
                   strcmp(list->items[i].text, "x86_64") == 0;
    }
    *count = list->count;
    return 0;
}

/* The first string of the array member `key` (checked before). */
static const char *json_first_text(const json_value *object, const char *key)
{
    return cordon__json_member(object, key)->items[0].text;
}

/* includes / excludes: whether the entry holds for a cordon task on
 * x86_64 under this kernel; *why says what decided (for a comment). */
static int applies(docker_importer *im, const json_value *entry, const char *path, bool *keep,
                   char *why, size_t size)
{
    static const char *const known[] = { "caps", "arches", "minKernel", NULL };
    *keep = true;
    why[0] = '\0';
    for (int excludes = 1; excludes >= 0 && *keep; excludes--) {
        const char *word = excludes ? "excludes" : "includes";
        const json_value *filter = cordon__json_member(entry, word);
        char at[96];
        snprintf(at, sizeof at, "%s.%s", path, word);
        if (!filter || filter->kind == JSON_NULL)
            continue;
        if (cordon__docker_want(im, filter, JSON_OBJECT, at) < 0)
            return -EINVAL;
        cordon__docker_unknown_members(im, filter, at, known);
        bool native, met = false;
        size_t caps, arches;
        const json_value *kernel = cordon__json_member(filter, "minKernel");
        if (names_native(im, cordon__json_member(filter, "caps"), at, &native, &caps) < 0 ||
            names_native(im, cordon__json_member(filter, "arches"), at, &native, &arches) < 0 ||
            (kernel && min_kernel(im, kernel, at, &met) < 0))
            return -EINVAL;
        char shown[100];
        if (arches && native == excludes)
            snprintf(why, size, "%s.arches %s x86_64", word, excludes ? "names" : "leaves out");
        else if (caps && !excludes)
            snprintf(why, size, "includes.caps asks for %s, and a cordon task has no "
                     "capabilities", cordon__json_shown(json_first_text(filter, "caps"),
                                                        shown, sizeof shown));
        else if (kernel && met == excludes)
            snprintf(why, size, "%s.minKernel %s: this kernel is %u.%u", word, kernel->text,
                     im->kernel[0], im->kernel[1]);
        else if (caps)
            snprintf(why, size, "kept: excludes.caps names capabilities a cordon task "
                     "never has");
        else if (kernel)
            snprintf(why, size, "kept: includes.minKernel %s: this kernel is %u.%u",
                     kernel->text, im->kernel[0], im->kernel[1]);
        *keep = strncmp(why, "kept", 4) == 0 || !why[0];
    }
    return 0;
}

/* The entry's names: "names" (an array) or the older "name". */
static int name_list(docker_importer *im, const json_value *entry, const char *path,
                     const json_value **names, bool *single)
{
    const json_value *list = cordon__json_member(entry, "names");
    const json_value *one = cordon__json_member(entry, "name");
    char at[96];
    if (list && one) {
        cordon__docker_fail(im, one, path, "give either name or names, not both");
        return -EINVAL;
    }
    *single = one != NULL;
    *names = one ? one : list;
    snprintf(at, sizeof at, "%s.%s", path, one ? "name" : "names");
    if (!*names) {
        cordon__docker_note(im, entry, path, "no names: the entry adds nothing");
        return 0;
    }
    return cordon__docker_want(im, *names, one ? JSON_STRING : JSON_ARRAY, at);
}

/* Whether libseccomp knows `name` as some architecture's call. */
static bool other_architectures_call(const char *name)
{
    return seccomp_syscall_resolve_name(name) < -1;
}

typedef struct resolved {
    const char **names;      /* into the syscall table */
    size_t count;
} resolved;

/* Each name: cordon's (x86_64) syscall, another architecture's call (a
 * comment), or unknown (a note with its path).  Never dropped silently. */
static int resolve_names(docker_importer *im, const json_value *names, bool single,
                         const char *path, resolved *r)
{
    size_t total = single ? 1 : names->count;
    r->count = 0;
    if (!(r->names = calloc(total ? total : 1, sizeof *r->names))) {
        cordon__error_set(im->err, -ENOMEM, im->origin, 0, 0, "out of memory");
        return -ENOMEM;
    }
    size_t foreign = 0;
    for (size_t i = 0; i < total; i++) {
        const json_value *v = single ? names : &names->items[i];
        char at[96], shown[100];
        if (single)
            snprintf(at, sizeof at, "%s.name", path);
        else
            snprintf(at, sizeof at, "%s.names[%zu]", path, i);
        if (cordon__docker_want(im, v, JSON_STRING, at) < 0)
            return -EINVAL;
        const char *stored;
        if (cordon__syscall_lookup(v->text, strlen(v->text), &stored) >= 0) {
            r->names[r->count++] = stored;
        } else if (other_architectures_call(v->text)) {
            fputs(foreign++ ? " " : "# not x86_64 calls (other architectures'): ", im->out);
            write_safe(im->out, v->text);
        } else {
            if (foreign)
                fputc('\n', im->out);
            foreign = 0;
            cordon__docker_note(im, v, at, "unknown syscall %s (left out)",
                         cordon__json_shown(v->text, shown, sizeof shown));
        }
    }
    if (foreign)
        fputc('\n', im->out);
    return 0;
}

static void write_rules(docker_importer *im, const char *action, const resolved *r,
                        const conditions *c)
{
    size_t alternatives = c->count ? c->count : 1;
    for (size_t a = 0; a < alternatives; a++) {
        for (size_t i = 0; i < r->count; i += NAMES_A_LINE) {
            fputs(action, im->out);
            for (size_t j = i; j < r->count && j < i + NAMES_A_LINE; j++)
                fprintf(im->out, " %s", r->names[j]);
            if (c->count)
                fprintf(im->out, " if %s", c->text[a]);
            fputc('\n', im->out);
        }
    }
}

static void write_left_out(docker_importer *im, const json_value *names, bool single,
                           const char *path, const char *why)
{
    fprintf(im->out, "# %s: left out (%s):", path, why);
    size_t total = !names ? 0 : single ? 1 : names->count;
    for (size_t i = 0; i < total; i++) {
        const json_value *v = single ? names : &names->items[i];
        if (v->kind == JSON_STRING) {
            fputc(' ', im->out);
            write_safe(im->out, v->text);
        }
    }
    fputc('\n', im->out);
}

int cordon__docker_import_entry(docker_importer *im, const json_value *entry, size_t index)
{
    static const char *const known[] = { "names", "name", "action", "errnoRet", "args",
                                         "includes", "excludes", "comment", NULL };
    char path[64], action[40], why[160];
    snprintf(path, sizeof path, "syscalls[%zu]", index);
    if (cordon__docker_want(im, entry, JSON_OBJECT, path) < 0)
        return -EINVAL;
    fprintf(im->out, "\n# %s", path);
    const json_value *comment = cordon__json_member(entry, "comment");
    if (comment && comment->kind == JSON_STRING && comment->text[0]) {
        fputs(": ", im->out);
        write_safe(im->out, comment->text);
    }
    fputc('\n', im->out);
    cordon__docker_unknown_members(im, entry, path, known);
    const json_value *names;
    bool single, keep;
    conditions c = { 0, NULL };
    resolved r = { NULL, 0 };
    int rc = name_list(im, entry, path, &names, &single);
    char action_at[80], ret_at[80];
    snprintf(action_at, sizeof action_at, "%s.action", path);
    snprintf(ret_at, sizeof ret_at, "%s.errnoRet", path);
    if (rc == 0)
        rc = cordon__docker_action(im, entry, cordon__json_member(entry, "action"),
                            cordon__json_member(entry, "errnoRet"), action_at, ret_at, action,
                            sizeof action);
    if (rc == 0)
        rc = read_conditions(im, entry, path, &c);
    if (rc == 0)
        rc = applies(im, entry, path, &keep, why, sizeof why);
    if (rc == 0 && !keep)
        write_left_out(im, names, single, path, why);
    else if (rc == 0 && why[0])
        fprintf(im->out, "# %s: %s\n", path, why);
    if (rc == 0 && keep && names)
        rc = resolve_names(im, names, single, path, &r);
    if (rc == 0 && keep)
        write_rules(im, action, &r, &c);
    free(r.names);
    free(c.text);
    return rc;
}
