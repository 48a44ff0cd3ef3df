/* cordon policy check|show|list|import: the policy language seen from a
 * shell. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../lib/cordon.h"
#include "help.h"
#include "policy_import.h"
#include "runner.h"

static cordon_policy *load(const char *name)
{
    cordon_error err;
    memset(&err, 0, sizeof err);
    cordon_policy *p = cordon_policy_load(name, &err);
    if (!p)
        runner_error("%s", err.message[0] ? err.message : "cannot load the policy");
    return p;
}

static int usage_error(const char *what)
{
    runner_error("policy: %s (see 'cordon policy --help')", what);
    return RUNNER_EXIT_OWN_ERROR;
}

/* A word that looks like an option but is none of `action`'s, named as
 * run, batch and report name theirs. */
static int unknown_option(const char *action, const char *word)
{
    runner_error("policy %s: unknown option '%s' (see 'cordon policy --help')", action, word);
    return RUNNER_EXIT_OWN_ERROR;
}

static bool looks_like_option(const char *word)
{
    return word[0] == '-' && word[1];
}

static int finish_output(void)
{
    return runner_flush_stdout() == 0 ? 0 : RUNNER_EXIT_OWN_ERROR;
}

/* Every error and warning on stdout as FILE:LINE:COL: error|warning: …,
 * then a summary line. */
static int policy_check(const char *name, bool strict)
{
    cordon_check_counts counts;
    int rc = cordon_policy_check(name, NULL, stdout, strict ? CORDON_CHECK_STRICT : 0, &counts);
    if (rc < 0) {
        runner_library_failed("policy check", rc, errno);
        return RUNNER_EXIT_OWN_ERROR;
    }
    if (counts.errors == 0 && counts.warnings == 0)
        printf("%s: ok\n", name);
    else
        printf("%s: %u error%s, %u warning%s%s\n", name, counts.errors,
               counts.errors == 1 ? "" : "s", counts.warnings, counts.warnings == 1 ? "" : "s",
               rc == 0 ? "" : strict && counts.errors == 0 ? " (--strict: warnings fail)" : "");
    int written = finish_output();
    return written ? written : rc ? POLICY_INVALID : 0;
}

/* explain POLICY SYSCALL [ARGS…], a "--" before the syscall ending the
 * options as elsewhere (`explain default -- kill -1 9` read "unknown
 * option '--'"). */
static int policy_explain(int argc, char **argv)
{
    char *words[4 + 6 + 1];
    int count = 0, separator = 0;
    for (int i = 0; i < argc; i++) {
        if (!separator && i >= 2 && count < 4 && strcmp(argv[i], "--") == 0) {
            separator = count;
            continue;
        }
        if (count == (int)(sizeof words / sizeof *words))
            return usage_error("a syscall takes at most 6 arguments");
        words[count++] = argv[i];
    }
    argc = count;
    argv = words;
    /* Only the policy and the syscall: an argument may be negative. */
    for (int i = 2; i < argc && i < (separator ? separator : 4); i++)
        if (looks_like_option(argv[i]))
            return unknown_option("explain", argv[i]);
    if (argc < 4)
        return usage_error("explain takes a POLICY, a SYSCALL and its arguments");
    if (argc > 4 + 6)
        return usage_error("a syscall takes at most 6 arguments");
    if (!argv[2][0] || !argv[3][0]) /* as check's, an empty name is a usage error */
        return usage_error(!argv[2][0] ? "the policy FILE or NAME is empty" : "the SYSCALL is empty");
    cordon_policy *p = load(argv[2]);
    if (!p)
        return POLICY_INVALID;
    cordon_error err;
    memset(&err, 0, sizeof err);
    int rc = cordon_policy_explain(p, argv[3], (const char *const *)argv + 4, (size_t)(argc - 4),
                                   stdout, &err);
    int saved = errno;
    cordon_policy_free(p);
    if (rc == -EINVAL) {
        runner_error("policy explain: %s", err.message);
        return RUNNER_EXIT_OWN_ERROR;
    }
    if (rc == -EPROTO) {
        runner_error("policy explain: the rules and the compiled filter disagree (a bug in "
                     "cordon; the filter is what the kernel runs)");
        return RUNNER_EXIT_OWN_ERROR;
    }
    if (rc < 0) {
        runner_library_failed("policy explain", rc, saved);
        return RUNNER_EXIT_OWN_ERROR;
    }
    return finish_output();
}

/* diff A B: exit 0 when they decide every call alike, 1 when not. */
static int policy_diff(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (looks_like_option(argv[i]))
            return unknown_option("diff", argv[i]);
    if (argc != 4)
        return usage_error("diff takes two policies, A and B");
    cordon_policy *a = load(argv[2]);
    cordon_policy *b = a ? load(argv[3]) : NULL;
    int rc = b ? cordon_policy_diff(a, b, stdout) : 0;
    int saved = errno;
    cordon_policy_free(a);
    cordon_policy_free(b);
    if (!b)
        return RUNNER_EXIT_OWN_ERROR;
    if (rc < 0) {
        runner_library_failed("policy diff", rc, saved);
        return RUNNER_EXIT_OWN_ERROR;
    }
    int written = finish_output();
    return written ? written : rc;
}

static int policy_show(const char *name, int with_bpf)
{
    cordon_policy *p = load(name);
    if (!p)
        return POLICY_INVALID;
    int rc = cordon_policy_show(p, stdout, with_bpf);
    int saved = errno;
    cordon_policy_free(p);
    if (rc < 0) {
        runner_library_failed("policy show", rc, saved);
        return RUNNER_EXIT_OWN_ERROR;
    }
    return finish_output();
}

static int policy_list(void)
{
    int rc = cordon_policy_list(stdout);
    if (rc < 0) {
        runner_library_failed("policy list", rc, errno);
        return RUNNER_EXIT_OWN_ERROR;
    }
    return finish_output();
}

typedef struct policy_arguments {
    const char *name;
    const char *out;        /* import --out */
    int with_bpf;           /* show --bpf */
    bool strict;            /* import and check --strict */
} policy_arguments;

/* Options, before or after the one policy: --bpf (show), --strict and
 * --out FILE or --out=FILE (import). */
static int parse_arguments(int argc, char **argv, const char *action, policy_arguments *a)
{
    bool show = strcmp(action, "show") == 0, import = strcmp(action, "import") == 0;
    bool check = strcmp(action, "check") == 0;
    for (int i = 2; i < argc; i++) {
        const char *joined_out = import ? runner_option_value(argv[i], "--out") : NULL;
        if (show && strcmp(argv[i], "--bpf") == 0)
            a->with_bpf = 1;
        else if ((import || check) && strcmp(argv[i], "--strict") == 0)
            a->strict = true;
        /* a flag given a value ("--bpf=1") is said so, as run says it
         * (it read "unknown option '--bpf=1'") */
        else if ((show && runner_option_value(argv[i], "--bpf")) ||
                 ((import || check) && runner_option_value(argv[i], "--strict"))) {
            runner_error("policy %s: %.*s takes no value", action,
                         (int)strcspn(argv[i], "="), argv[i]);
            return RUNNER_EXIT_OWN_ERROR;
        } else if (joined_out) {
            if (runner_take_once("--out", &a->out, joined_out) < 0)
                return RUNNER_EXIT_OWN_ERROR;
        } else if (import && strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            if (runner_take_once("--out", &a->out, argv[++i]) < 0)
                return RUNNER_EXIT_OWN_ERROR;
        }
        else if (import && strcmp(argv[i], "--out") == 0)
            return usage_error("--out needs a FILE");
        else if (looks_like_option(argv[i]))
            return unknown_option(action, argv[i]);
        else if (a->name)
            return usage_error(import ? "give one profile FILE" : "give one policy FILE or NAME");
        else if (!argv[i][0])
            return usage_error(import ? "the profile FILE is empty"
                                      : "the policy FILE or NAME is empty");
        else
            a->name = argv[i];
    }
    if (!a->name)
        return usage_error(import ? "a profile FILE is needed" : "a policy FILE or NAME is needed");
    return 0;
}

/* argv[0] is "policy". */
int policy_main(int argc, char **argv)
{
    if (runner_help_word_among(argc, argv))
        return help_print("policy");
    if (argc < 2)
        return usage_error("no action given (check, show, list, import, explain or diff)");
    const char *action = argv[1];
    if (strcmp(action, "list") == 0)
        return argc == 2                     ? policy_list()
               : looks_like_option(argv[2]) ? unknown_option("list", argv[2])
                                             : usage_error("list takes no argument");
    if (strcmp(action, "explain") == 0)
        return policy_explain(argc, argv);
    if (strcmp(action, "diff") == 0)
        return policy_diff(argc, argv);
    if (strcmp(action, "show") != 0 && strcmp(action, "check") != 0 &&
        strcmp(action, "import") != 0) {
        if (looks_like_option(action))
            runner_error("policy: '%s' before the action: give the action first (check, show, "
                         "list, import, explain or diff; see 'cordon policy --help')", action);
        else
            runner_error("policy: unknown action '%s' (expected check, show, list, import, "
                         "explain or diff; see 'cordon policy --help')", action);
        return RUNNER_EXIT_OWN_ERROR;
    }
    policy_arguments a = { 0 };
    int rc = parse_arguments(argc, argv, action, &a);
    if (rc)
        return rc;
    if (strcmp(action, "import") == 0)
        return policy_import(a.name, a.out, a.strict);
    return strcmp(action, "show") == 0 ? policy_show(a.name, a.with_bpf)
                                       : policy_check(a.name, a.strict);
}
