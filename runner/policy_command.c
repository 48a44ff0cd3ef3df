/* cordon policy check|show|list: the policy language seen from a shell. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../lib/cordon.h"
#include "help.h"
#include "runner.h"

/* An invalid policy is the answer `check` gives (exit 1), not a failure of
 * cordon (125). */
enum { POLICY_INVALID = 1 };

static cordon_policy *load(const char *name)
{
    cordon_error err;
    memset(&err, 0, sizeof err);
    cordon_policy *p = cordon_policy_load(name, &err);
    if (!p)
        runner_error("%s", err.message[0] ? err.message : "cannot load the policy");
    return p;
}

static int finish_output(void)
{
    if (fflush(stdout) == 0)
        return 0;
    runner_error("cannot write the output");
    return RUNNER_EXIT_OWN_ERROR;
}

static int policy_check(const char *name)
{
    cordon_policy *p = load(name);
    if (!p)
        return POLICY_INVALID;
    printf("%s: ok\n", cordon_policy_name(p));
    cordon_policy_free(p);
    return finish_output();
}

static int policy_show(const char *name, int with_bpf)
{
    cordon_policy *p = load(name);
    if (!p)
        return POLICY_INVALID;
    int rc = cordon_policy_show(p, stdout, with_bpf);
    cordon_policy_free(p);
    if (rc < 0) {
        runner_error("policy show: %s", strerror(-rc));
        return RUNNER_EXIT_OWN_ERROR;
    }
    return finish_output();
}

static int policy_list(void)
{
    int rc = cordon_policy_list(stdout);
    if (rc < 0) {
        runner_error("policy list: %s", strerror(-rc));
        return RUNNER_EXIT_OWN_ERROR;
    }
    return finish_output();
}

static int usage_error(const char *what)
{
    runner_error("policy: %s (see 'cordon policy --help')", what);
    return RUNNER_EXIT_OWN_ERROR;
}

/* Options of show: --bpf, before or after the policy. */
static int show_arguments(int argc, char **argv, const char **name, int *with_bpf)
{
    *name = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--bpf") == 0)
            *with_bpf = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return usage_error("unknown option");
        else if (*name)
            return usage_error("give one policy FILE or NAME");
        else
            *name = argv[i];
    }
    return *name ? 0 : usage_error("a policy FILE or NAME is needed");
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

/* argv[0] is "policy". */
int policy_main(int argc, char **argv)
{
    if (wants_help(argc, argv))
        return help_print("policy");
    if (argc < 2)
        return usage_error("no action given (check, show or list)");
    const char *action = argv[1];
    if (strcmp(action, "list") == 0)
        return argc == 2 ? policy_list() : usage_error("list takes no argument");
    bool show = strcmp(action, "show") == 0;
    if (!show && strcmp(action, "check") != 0)
        return usage_error("unknown action (expected check, show or list)");
    const char *name;
    int with_bpf = 0;
    int rc = show_arguments(argc, argv, &name, &with_bpf);
    if (rc)
        return rc;
    if (!show && with_bpf)
        return usage_error("--bpf goes with show");
    return show ? policy_show(name, with_bpf) : policy_check(name);
}
