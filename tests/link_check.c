/* Built by tests/build_test.sh against build/ and against an install: it
 * must start (the loader finds libcordon.so.0), find the shipped policies,
 * and run a task. */
#include <stdio.h>
#include <string.h>

#include <cordon.h>

int main(void)
{
    cordon_error err;
    const char *names[] = { "default", "nonet", "readonly", "noexec", "compute" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        cordon_policy *p = cordon_policy_load(names[i], &err);
        if (!p) {
            fprintf(stderr, "link_check: %s\n", err.message);
            return 1;
        }
        cordon_policy_free(p);
    }
    cordon_task *t = cordon_shell_task("echo linked");
    int rc = t ? cordon_run(t) : -1;
    int ok = rc == 0 && strcmp(cordon_task_result(t)->std_out.data, "linked\n") == 0;
    cordon_task_free(t);
    if (!ok)
        fprintf(stderr, "link_check: the task did not run (%d)\n", rc);
    return ok ? 0 : 1;
}
