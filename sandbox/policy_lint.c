/*
 * "cordon policy check": every error of a policy in one pass (the grammar
 * recovers line by line), then warnings for what is accepted but cannot
 * mean what it says: rules that never decide a call, conditions that
 * never hold or that a task defeats through an int argument's upper half,
 * rules an admitted ABI cannot apply, includes that add nothing.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "no_cancellation.h"
#include "policy.h"
#include "policy_decide.h"
#include "policy_lint.h"

/* short for the many warnings below */
#define warn cordon__lint_warn


static void say(linter *l, const char *origin, unsigned line, unsigned column, const char *kind,
                const char *fmt, va_list args)
{
    if (!l->out)
        return;
    if (line)
        fprintf(l->out, "%s:%u:%u: %s: ", origin, line, column, kind);
    else
        fprintf(l->out, "%s: %s: ", origin, kind);
    vfprintf(l->out, fmt, args);
    fputc('\n', l->out);
}

void cordon__lint_warn(linter *l, const char *origin, unsigned line, unsigned column,
                       const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    say(l, origin, line, column, "warning", fmt, args);
    va_end(args);
    l->warnings++;
}

/* An error as the grammar wrote it, "FILE:L:C: message", said as
 * "FILE:L:C: error: message". */
static void print_error(linter *l, const cordon_error *err)
{
    if (!l->out)
        return;
    char position[64];
    snprintf(position, sizeof position, ":%u:%u: ", err->line, err->column);
    const char *after = err->line ? strstr(err->message, position) : NULL;
    size_t prefix = after ? (size_t)(after - err->message) + strlen(position) : 0;
    size_t named = strlen(l->name);
    if (!after && strncmp(err->message, l->name, named) == 0 &&
        strncmp(err->message + named, ": ", 2) == 0)
        prefix = named + 2;
    if (after || prefix)
        fprintf(l->out, "%.*serror: %s\n", (int)prefix, err->message, err->message + prefix);
    else /* a message without a place: the policy's name is its place */
        fprintf(l->out, "%s: error: %s\n", l->name, err->message);
}

static void report_read_error(cordon__read_notes *notes, const cordon_error *err)
{
    print_error((linter *)notes, err);
}

static const char *action_text(enum cordon__action action, int errno_value, char *buffer,
                               size_t size)
{
    const char *name = cordon__errno_name(errno_value);
    if (action != ACTION_ERRNO)
        return cordon__action_name(action);
    if (name)
        snprintf(buffer, size, "errno %s", name);
    else
        snprintf(buffer, size, "errno %d", errno_value);
    return buffer;
}

bool cordon__lint_same_action(const cordon__rule *a, const cordon__rule *b)
{
    return a->action == b->action &&
           (a->action != ACTION_ERRNO || a->errno_value == b->errno_value);
}

static bool same_conditions(const cordon__rule *a, const cordon__rule *b)
{
    if (a->condition_count != b->condition_count)
        return false;
    for (unsigned i = 0; i < a->condition_count; i++) {
        const cordon__condition *x = &a->conditions[i];
        bool found = false;
        for (unsigned j = 0; j < b->condition_count && !found; j++) {
            const cordon__condition *y = &b->conditions[j];
            found = x->arg == y->arg && x->compare == y->compare && x->value == y->value &&
                    (x->compare != COMPARE_MASKED_EQ || x->mask == y->mask);
        }
        if (!found)
            return false;
    }
    return true;
}

/* Whether unconditional rule `i` overrides a rule of another action: it
 * then matters even when it says what the default says. */
static bool overrides_other_action(const cordon_policy *p, size_t i)
{
    for (size_t k = 0; k < p->rule_count; k++)
        if (p->rules[k].overridden_by == (long)i &&
            !cordon__lint_same_action(&p->rules[k], &p->rules[i]))
            return true;
    return false;
}

/* An earlier unconditional rule with the same action for the same call. */
static const cordon__rule *earlier_same_unconditional(const cordon_policy *p, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (p->rules[k].syscall == p->rules[i].syscall && p->rules[k].condition_count == 0 &&
            cordon__lint_same_action(&p->rules[k], &p->rules[i]))
            return &p->rules[k];
    return NULL;
}

static void check_overridden(linter *l, size_t i)
{
    const cordon_policy *p = l->policy;
    const cordon__rule *rule = &p->rules[i], *by = &p->rules[rule->overridden_by];
    char buffer[32];
    if (rule->condition_count == 0 && cordon__lint_same_action(rule, by))
        return; /* the later copy is the duplicate; said there */
    l->dead[i] = true;
    /* "include compute" then "kill mmap": overriding what another file
     * says is what the including file means to do. */
    if (l->quiet[i] || (rule->origin != by->origin && rule->origin != p->origins[0]))
        return;
    if (cordon__lint_same_action(rule, by))
        warn(l, rule->origin, rule->line, rule->column, "this rule for '%s' never decides a "
             "call: the unconditional rule at %s:%u already gives every call to it '%s'",
             rule->syscall_name, by->origin, by->line, action_text(by->action, by->errno_value,
                                                                    buffer, sizeof buffer));
    else
        warn(l, rule->origin, rule->line, rule->column, "this rule for '%s' can never fire: the "
             "unconditional rule at %s:%u decides every call to it ('%s'); an unconditional "
             "rule overrides every conditional one for its syscall", rule->syscall_name,
             by->origin, by->line, action_text(by->action, by->errno_value, buffer, sizeof buffer));
}

static void check_same_as_default(linter *l, size_t i)
{
    const cordon_policy *p = l->policy;
    const cordon__rule *rule = &p->rules[i];
    if (rule->condition_count == 0 && overrides_other_action(p, i))
        return;
    l->dead[i] = true;
    char buffer[32];
    if (!l->quiet[i])
        warn(l, rule->origin, rule->line, rule->column, "this rule for '%s' has no effect: the "
             "default (%s:%u) is already '%s'", rule->syscall_name, p->default_origin,
             p->default_line, action_text(rule->action, rule->errno_value, buffer, sizeof buffer));
}

static void check_duplicate(linter *l, size_t i)
{
    const cordon_policy *p = l->policy;
    const cordon__rule *rule = &p->rules[i];
    const cordon__rule *twin = rule->condition_count == 0 ? earlier_same_unconditional(p, i) : NULL;
    for (size_t k = 0; k < i && !twin && rule->condition_count; k++) {
        const cordon__rule *other = &p->rules[k];
        if (other->syscall == rule->syscall && other->overridden_by < 0 &&
            cordon__lint_same_action(other, rule) &&
            same_conditions(other, rule))
            twin = other;
    }
    if (!twin)
        return;
    l->dead[i] = true;
    if (!l->quiet[i])
        warn(l, rule->origin, rule->line, rule->column, "duplicate: the rule at %s:%u already "
             "says this for '%s'", twin->origin, twin->line, rule->syscall_name);
}

static void check_includes(linter *l)
{
    const cordon__read_notes *n = &l->notes;
    for (size_t i = 0; i < n->include_count; i++) {
        const cordon__include_note *inc = &n->includes[i];
        const cordon__include_note *before = NULL;
        for (size_t k = 0; k < i && !before; k++)
            if (n->includes[k].target == inc->target && n->includes[k].end_rule <= inc->first_rule)
                before = &n->includes[k];
        if (before) {
            warn(l, inc->origin, inc->line, inc->column, "'%s' is already included (at %s:%u): "
                 "its rules are read twice and this include adds nothing", inc->name,
                 before->origin, before->line);
            continue;
        }
        /* the default in force may be the include's */
        bool adds = l->policy->default_origin == inc->target;
        for (size_t r = inc->first_rule; r < inc->end_rule && !adds; r++)
            adds = !l->dead[r];
        if (!adds && inc->end_rule > inc->first_rule)
            warn(l, inc->origin, inc->line, inc->column, "include '%s' adds nothing: every rule "
                 "it brings is overridden, a duplicate or the same as the default", inc->name);
    }
}

/* Rules read again by a repeated include are warned about once, at the
 * include. */
static void mark_repeated(linter *l)
{
    const cordon__read_notes *n = &l->notes;
    for (size_t i = 0; i < n->include_count; i++)
        for (size_t k = 0; k < i; k++)
            if (n->includes[k].target == n->includes[i].target &&
                n->includes[k].end_rule <= n->includes[i].first_rule)
                for (size_t r = n->includes[i].first_rule; r < n->includes[i].end_rule; r++)
                    l->quiet[r] = true;
}

/* A trap of execve is the filter's own SIGSYS, which nothing answers for
 * the command's own exec: every command dies of it at its start.  Checked
 * with the call's arguments all 0, as check_own_exec asks. */
static void check_own_exec_trapped(linter *l, bool by_rule)
{
    const cordon_policy *p = l->policy;
    const cordon__rule *rule = NULL;
    for (size_t i = p->rule_count; by_rule && i-- > 0 && !rule;)
        if (p->rules[i].syscall == SYS_execve && p->rules[i].action == ACTION_TRAP &&
            p->rules[i].overridden_by < 0)
            rule = &p->rules[i];
    if (rule)
        warn(l, rule->origin, rule->line, rule->column, "'trap execve' stops a command at its "
             "own exec too (SIGSYS before it starts); 'kill execve' stops only the execs after "
             "it");
    else
        warn(l, p->default_origin, p->default_line, 1, "the default 'trap' traps execve, and "
             "so a command's own exec (SIGSYS before it starts); allow execve, or kill it to "
             "stop only the execs after the command's own");
}

/* A command's own exec is let through a `kill` of execve and through an
 * errno for it (the parent answers both: policy_compile.c), but not
 * where the errno stays the filter's: a kernel without user
 * notification, a policy that refuses cordon's hand-over of the
 * listener, or a default errno for an execve that conditional rules also
 * name.  Such a policy starts no command at all (ExecError), which
 * `policy check` had called ok. */
static void check_own_exec(linter *l)
{
    const cordon_policy *p = l->policy;
    const uint64_t args[6] = { 0 };
    enum cordon__action action = p->default_action;
    int errno_value = p->default_errno;
    bool by_rule = cordon__policy_decide(p, SYS_execve, args, &action, &errno_value);
    if (action == ACTION_TRAP) {
        check_own_exec_trapped(l, by_rule);
        return;
    }
    if (action != ACTION_ERRNO)
        return;
    if (p->answers_exec_errno && (by_rule || !cordon__policy_rules_in_program(p, SYS_execve)))
        return;
    const cordon__rule *rule = NULL;
    for (size_t i = p->rule_count; by_rule && i-- > 0 && !rule;)
        if (p->rules[i].syscall == SYS_execve && p->rules[i].action == ACTION_ERRNO &&
            p->rules[i].overridden_by < 0)
            rule = &p->rules[i];
    char buffer[32];
    action_text(ACTION_ERRNO, errno_value, buffer, sizeof buffer);
    if (rule)
        warn(l, rule->origin, rule->line, rule->column, "'%s execve' refuses a command's own "
             "exec too (it never starts: ExecError); 'kill execve' stops only the execs after "
             "it", buffer);
    else
        warn(l, p->default_origin, p->default_line, 1, "the default '%s' refuses execve, and "
             "so a command's own exec (it never starts: ExecError); allow execve, or kill it to "
             "stop only the execs after the command's own", buffer);
}

/* A process ends by exit_group (exit for a thread): a policy that
 * answers both with an errno (or a trap) leaves a task no way to end but
 * a fault, so every task, and cordon's own child when its set-up fails,
 * ends in a crash it never had (SIGSEGV from the C library's last resort;
 * a function that never ran was reported as one). */
static void check_own_end(linter *l)
{
    const cordon_policy *p = l->policy;
    const uint64_t args[6] = { 0 };
    static const long ends[] = { SYS_exit_group, SYS_exit };
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        enum cordon__action action = p->default_action;
        int errno_value = p->default_errno;
        cordon__policy_decide(p, ends[i], args, &action, &errno_value);
        if (action == ACTION_ALLOW || action == ACTION_LOG || action == ACTION_KILL)
            return; /* it ends, if only by its kill */
    }
    warn(l, p->default_origin, p->default_line, 1, "neither exit_group nor exit is let "
         "through: no task can end but by a crash; allow exit_group and exit");
}

static void check_rules(linter *l)
{
    const cordon_policy *p = l->policy;
    size_t as_default = 0;
    mark_repeated(l);
    for (size_t i = 0; i < p->rule_count; i++) {
        const cordon__rule *rule = &p->rules[i];
        if (rule->overridden_by >= 0)
            check_overridden(l, i);
        else if (cordon__rule_same_as_default(p, rule) && (check_same_as_default(l, i), true))
            as_default += l->dead[i];
        else
            check_duplicate(l, i);
        if (!l->dead[i])
            cordon__lint_conditions_hold(l, i);
        if (!l->dead[i] && !l->quiet[i]) {
            cordon__lint_overlap(l, i);
            cordon__lint_int_arguments(l, i);
        }
        if (!l->quiet[i])
            cordon__lint_foreign_abis(l, i);
    }
    check_own_exec(l);
    check_own_end(l);
    char buffer[32];
    if (p->rule_count > 0 && as_default == p->rule_count)
        warn(l, p->default_origin, p->default_line, 1, "every rule of this policy says what "
             "the default '%s' says: the policy is its default alone",
             action_text(p->default_action, p->default_errno, buffer, sizeof buffer));
    check_includes(l);
}

/* The text of `name_or_path`, as cordon_policy_load would find it. */
static char *find_text(const char *name_or_path, char **origin, cordon_error *err)
{
    if (!name_or_path[0]) {
        cordon__error_set(err, -EINVAL, NULL, 0, 0, "no policy name given");
        return NULL;
    }
    if (cordon__policy_is_imported(name_or_path)) {
        char *text = cordon__policy_import_text(name_or_path, err);
        if (text && !(*origin = cordon__policy_imported_origin(name_or_path, err))) {
            free(text);
            return NULL;
        }
        return text;
    }
    bool is_path = strchr(name_or_path, '/') || strstr(name_or_path, ".policy");
    char *path = is_path ? strdup(name_or_path) : cordon__policy_find(name_or_path);
    if (!path && strcmp(name_or_path, "default") == 0 && !cordon__policy_skipped_untrusted()[0]) {
        *origin = strdup("default");
        return *origin ? strdup(cordon__builtin_default_text) : NULL;
    }
    struct stat here;
    if (!path && stat(name_or_path, &here) == 0 && S_ISREG(here.st_mode)) {
        cordon__error_set(err, -ENOENT, name_or_path, 0, 0,
                          "no policy by that name (a name is looked up in the policy path); "
                          "for the file of that name here, give a path: ./%s", name_or_path);
        return NULL;
    }
    if (!path && !is_path && cordon__policy_skipped_untrusted()[0]) {
        cordon__error_set(err, -EPERM, name_or_path, 0, 0, "not read from %s; give its path to "
                          "read it anyway", cordon__policy_skipped_untrusted());
        return NULL;
    }
    if (!path) {
        cordon__error_set(err, -ENOENT, name_or_path, 0, 0, "no policy by that name or path");
        return NULL;
    }
    char *text = cordon__policy_read_file(path, path, err);
    if (text)
        *origin = path;
    else
        free(path);
    return text;
}

static int lint(linter *l, const char *text, const char *origin)
{
    cordon_policy *p = calloc(1, sizeof *p);
    if (!p || !(p->name = strdup(origin))) {
        free(p);
        return -ENOMEM;
    }
    l->policy = p;
    int rc = cordon__policy_read_all(p, text, origin, &l->notes);
    cordon_error err;
    memset(&err, 0, sizeof err);
    /* Compiling notes the overrides the checks need, and finds what only
     * libseccomp refuses; after errors it would only repeat them. */
    if (rc == 0 && cordon__policy_compile(p, &err) < 0 && l->notes.errors == 0) {
        if (err.code == -ENOMEM)
            rc = -ENOMEM;
        print_error(l, &err);
        l->notes.errors++;
    }
    l->dead = rc == 0 ? calloc(p->rule_count + 1, sizeof *l->dead) : NULL;
    l->quiet = rc == 0 ? calloc(p->rule_count + 1, sizeof *l->quiet) : NULL;
    if (rc == 0 && (!l->dead || !l->quiet))
        rc = -ENOMEM;
    if (rc == 0 && p->default_set)
        check_rules(l);
    free(l->dead);
    free(l->quiet);
    for (size_t i = 0; i < l->notes.include_count; i++)
        free(l->notes.includes[i].name);
    free(l->notes.includes);
    cordon_policy_free(p);
    return rc;
}

int cordon_policy_check(const char *name_or_path, const char *text, FILE *out, unsigned flags,
                        cordon_check_counts *counts)
{
    CORDON__NO_CANCELLATION;
    if (!name_or_path || (flags & ~(unsigned)CORDON_CHECK_STRICT))
        return -EINVAL;
    linter l = { .notes = { .report = report_read_error }, .out = out, .name = name_or_path };
    char *origin = NULL, *owned = NULL;
    cordon_error err;
    memset(&err, 0, sizeof err);
    int rc = 0;
    if (!text && !(text = owned = find_text(name_or_path, &origin, &err))) {
        if (err.code == -ENOMEM)
            return -ENOMEM;
        print_error(&l, &err);
        l.notes.errors++;
    } else {
        rc = lint(&l, text, origin ? origin : name_or_path);
    }
    free(owned);
    free(origin);
    if (counts)
        *counts = (cordon_check_counts){ l.notes.errors, l.warnings };
    if (rc < 0)
        return rc;
    if (out && (fflush(out) != 0 || ferror(out)))
        return -EIO;
    return l.notes.errors || ((flags & CORDON_CHECK_STRICT) && l.warnings) ? 1 : 0;
}
