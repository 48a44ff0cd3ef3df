/*
 * A policy explained: its rules as resolved (includes expanded), and on
 * request the compiled program, disassembled, so that a user can see what
 * the kernel will run.
 */
#include <errno.h>
#include <dirent.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "no_cancellation.h"
#include "policy.h"
#include "policy_rules.h"

static void show_action(FILE *out, enum cordon__action action, int errno_value)
{
    fputs(cordon__action_name(action), out);
    if (action == ACTION_ERRNO) {
        const char *name = cordon__errno_name(errno_value);
        if (name)
            fprintf(out, " %s", name);
        else
            fprintf(out, " %d", errno_value);
    }
}

static void show_condition(FILE *out, const cordon__condition *c)
{
    static const char *const operators[] = {
        [COMPARE_EQ] = "==", [COMPARE_NE] = "!=", [COMPARE_LT] = "<", [COMPARE_LE] = "<=",
        [COMPARE_GT] = ">", [COMPARE_GE] = ">=", [COMPARE_MASKED_EQ] = "==",
    };
    fprintf(out, "arg%u ", c->arg);
    if (c->compare == COMPARE_MASKED_EQ)
        fprintf(out, "& 0x%llx ", (unsigned long long)c->mask);
    fprintf(out, "%s 0x%llx", operators[c->compare], (unsigned long long)c->value);
}

static void show_rule(FILE *out, const cordon_policy *p, size_t index)
{
    const cordon__rule *rule = &p->rules[index];
    show_action(out, rule->action, rule->errno_value);
    fprintf(out, " %s", rule->syscall_name);
    for (unsigned i = 0; i < rule->condition_count; i++) {
        fputs(i ? " && " : " if ", out);
        show_condition(out, &rule->conditions[i]);
    }
    fprintf(out, "    # %s:%u", rule->origin, rule->line);
    if (rule->overridden_by >= 0)
        fprintf(out, " (overridden by %s:%u)", p->rules[rule->overridden_by].origin,
                p->rules[rule->overridden_by].line);
    else if (cordon__rule_same_as_default(p, rule))
        fputs(" (same as the default: the default applies)", out);
    fputc('\n', out);
}

/* Return values of a seccomp program, by name. */
static void show_return(FILE *out, uint32_t value)
{
    static const struct { uint32_t action; const char *name; } actions[] = {
        { SECCOMP_RET_KILL_PROCESS, "kill process" }, { SECCOMP_RET_KILL_THREAD, "kill thread" },
        { SECCOMP_RET_TRAP, "trap" }, { SECCOMP_RET_ERRNO, "errno" },
        { SECCOMP_RET_USER_NOTIF, "notify (kill, named)" }, { SECCOMP_RET_TRACE, "trace" },
        { SECCOMP_RET_LOG, "log" }, { SECCOMP_RET_ALLOW, "allow" },
    };
    uint32_t action = value & SECCOMP_RET_ACTION_FULL;
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++) {
        if (actions[i].action != action)
            continue;
        fprintf(out, "ret %s", actions[i].name);
        if (action == SECCOMP_RET_ERRNO)
            fprintf(out, " %u", value & SECCOMP_RET_DATA);
        return;
    }
    fprintf(out, "ret 0x%08x", value);
}

/* seccomp programs use a small subset of classic BPF: loads from
 * seccomp_data, ALU on the accumulator, conditional jumps and returns. */
static void show_instruction(FILE *out, unsigned index, const struct sock_filter *insn)
{
    static const char *const jumps[] = { [BPF_JA] = "ja", [BPF_JEQ] = "jeq",
                                         [BPF_JGT] = "jgt", [BPF_JGE] = "jge",
                                         [BPF_JSET] = "jset" };
    static const char *const alu[] = { [BPF_ADD] = "add", [BPF_SUB] = "sub", [BPF_MUL] = "mul",
                                       [BPF_DIV] = "div", [BPF_OR] = "or", [BPF_AND] = "and",
                                       [BPF_LSH] = "lsh", [BPF_RSH] = "rsh" };
    fprintf(out, "  %4u: ", index);
    unsigned cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code);
    if (cls == BPF_LD && BPF_MODE(insn->code) == BPF_ABS)
        fprintf(out, "ld  [%u]", insn->k);
    else if (cls == BPF_LD || cls == BPF_LDX)
        fprintf(out, "%s #0x%x", cls == BPF_LD ? "ld " : "ldx", insn->k);
    else if (cls == BPF_ST || cls == BPF_STX)
        fprintf(out, "%s M[%u]", cls == BPF_ST ? "st " : "stx", insn->k);
    else if (cls == BPF_RET)
        show_return(out, insn->k);
    else if (cls == BPF_JMP && op == BPF_JA)
        fprintf(out, "ja  %u", index + 1 + insn->k);
    else if (cls == BPF_JMP && op <= BPF_JSET && jumps[op])
        fprintf(out, "%-4s #0x%x, %u, %u", jumps[op], insn->k, index + 1 + insn->jt,
                index + 1 + insn->jf);
    else if (cls == BPF_ALU && op < sizeof alu / sizeof *alu && alu[op])
        fprintf(out, "%s #0x%x", alu[op], insn->k);
    else if (cls == BPF_MISC)
        fprintf(out, "%s", BPF_MISCOP(insn->code) == BPF_TAX ? "tax" : "txa");
    else
        fprintf(out, ".word 0x%04x %u %u 0x%x", insn->code, insn->jt, insn->jf, insn->k);
    fputc('\n', out);
}

int cordon_policy_show(const cordon_policy *p, FILE *out, int with_bpf)
{
    CORDON__NO_CANCELLATION;
    if (!p || !out)
        return -EINVAL;
    fprintf(out, "# policy %s%s%s\n", p->name, p->description ? ": " : "",
            p->description ? p->description : "");
    fputs("default ", out);
    show_action(out, p->default_action, p->default_errno);
    fputs("\narch x86_64", out);
    if (p->foreign_arches & ARCH_I386)
        fputs(" i386", out);
    if (p->foreign_arches & ARCH_X32)
        fputs(" x32", out);
    fputs("    # other ABIs: kill\n", out);
    enum cordon__action newer;
    int newer_errno;
    if (cordon__policy_refuses_newer(p, &newer, &newer_errno)) {
        fputs("newer ", out);
        show_action(out, newer, newer_errno);
        fprintf(out, "    # syscalls above %d, but those a rule names\n",
                CORDON_NEWEST_KNOWN_SYSCALL);
    }
    for (size_t i = 0; i < p->rule_count; i++)
        show_rule(out, p, i);
    if (with_bpf) {
        fprintf(out, "# compiled: %u instructions, %zu bytes\n", p->program.len,
                (size_t)p->program.len * sizeof(struct sock_filter));
        for (unsigned i = 0; i < p->program.len; i++)
            show_instruction(out, i, &p->program.filter[i]);
    }
    return ferror(out) ? -EIO : 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the names of the policies in directory `dir` (`len` bytes of it)
 * not listed yet; -ENOMEM. */
static int add_names_in(const char *dir, size_t len, char ***names, size_t *count)
{
    char *path = strndup(dir, len);
    DIR *d = path ? opendir(path) : NULL;
    free(path);
    int rc = 0;
    for (struct dirent *e; d && rc == 0 && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n <= 7 || strcmp(e->d_name + n - 7, ".policy") != 0)
            continue;
        bool known = false;
        for (size_t i = 0; i < *count && !known; i++)
            known = strlen((*names)[i]) == n - 7 && strncmp((*names)[i], e->d_name, n - 7) == 0;
        if (known)
            continue;
        char **grown = realloc(*names, (*count + 1) * sizeof **names);
        if (grown)
            *names = grown;
        if (!grown || !(grown[*count] = strndup(e->d_name, n - 7)))
            rc = -ENOMEM; /* a list cut short is not the list */
        else
            (*count)++;
    }
    if (d)
        closedir(d);
    return rc;
}

/* Every name the search finds: $CORDON_POLICY_PATH's directories, then
 * the shipped one. */
static int names_found(char ***names, size_t *count)
{
    int rc = 0;
    const char *search = getenv("CORDON_POLICY_PATH");
    for (const char *dir = search; dir && *dir && rc == 0;) {
        const char *end = strchr(dir, ':');
        size_t len = end ? (size_t)(end - dir) : strlen(dir);
        if (len && dir[0] == '/') /* a relative entry finds nothing (policy_load.c) */
            rc = add_names_in(dir, len, names, count);
        dir = end ? end + 1 : dir + len;
    }
    const char *shipped = cordon__policy_shipped_directory();
    return rc == 0 ? add_names_in(shipped, strlen(shipped), names, count) : rc;
}

/* The file a name resolves to, said where it is not the shipped one's. */
static void say_where(FILE *out, const char *name)
{
    char *path = cordon__policy_find(name);
    const char *shipped = cordon__policy_shipped_directory();
    size_t len = strlen(shipped);
    if (path && !(strncmp(path, shipped, len) == 0 && path[len] == '/'))
        fprintf(out, "  [%s]", path);
    free(path);
}

int cordon_policy_list(FILE *out)
{
    CORDON__NO_CANCELLATION;
    if (!out)
        return -EINVAL;
    char **names = NULL;
    size_t count = 0;
    int rc = names_found(&names, &count);
    if (count)
        qsort(names, count, sizeof *names, compare_names);
    bool default_listed = false;
    for (size_t i = 0; i < count; i++) {
        cordon_error err;
        cordon_policy *p = cordon_policy_load(names[i], &err);
        fprintf(out, "%-10s %s", names[i], p ? cordon_policy_description(p) : err.message);
        say_where(out, names[i]);
        fputc('\n', out);
        default_listed = default_listed || strcmp(names[i], "default") == 0;
        cordon_policy_free(p);
        free(names[i]);
    }
    free(names);
    if (!default_listed)
        fprintf(out, "%-10s %s\n", "default", cordon_policy_description(cordon__policy_builtin_default()));
    /* flushed: a stream's buffer would hide a write that failed */
    if (fflush(out) != 0 || ferror(out))
        return -EIO;
    return rc;
}
