/* cgroup v2, against a root this test makes and points cordon at with
 * CORDON_CGROUP_ROOT: the task's cgroup is made below it, holds the whole
 * task (even what left the process group), and is removed afterwards. */
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "support.h"

static char root[512];


static int find_v2_mount(char *out, size_t size)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    char line[4096];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f)) {
        char target[256];
        char *dash = strstr(line, " - cgroup2 ");
        if (dash && sscanf(line, "%*s %*s %*s %*s %255s", target) == 1) {
            snprintf(out, size, "%s", target);
            found = 1;
        }
    }
    if (f)
        fclose(f);
    return found;
}

static int make_root(void **state)
{
    (void)state;
    char mount[300];
    if (!find_v2_mount(mount, sizeof mount))
        return 0;
    snprintf(root, sizeof root, "%s/cordon-tests-%d", mount, (int)getpid());
    if (mkdir(root, 0755) != 0)
        root[0] = '\0';
    else {
        setenv("CORDON_CGROUP_ROOT", root, 1);
        setenv("CORDON_CGROUP", "v2", 1);
    }
    return 0;
}

static int remove_root(void **state)
{
    (void)state;
    if (root[0])
        rmdir(root);
    return 0;
}

static int children_of_root(void)
{
    DIR *dir = opendir(root);
    int count = 0;
    for (struct dirent *e; dir && (e = readdir(dir));)
        count += e->d_type == DT_DIR && e->d_name[0] != '.';
    if (dir)
        closedir(dir);
    return count;
}

#define REQUIRE_V2_ROOT()                                                              \
    do {                                                                               \
        if (!root[0]) {                                                                \
            fprintf(stderr, "no writable cgroup v2 hierarchy on this machine\n");     \
            skip();                                                                    \
        }                                                                              \
    } while (0)

static void test_cgroup_v2_task_runs_in_its_own_cgroup_below_the_root(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    cordon_task *t = shell("grep '^0::' /proc/self/cgroup");
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 50);
    const cordon_result *r = run_task(t, 0);
    const char *name = strrchr(root, '/');
    char expected_prefix[600];
    snprintf(expected_prefix, sizeof expected_prefix, "0::%s/cordon-%d-", name, (int)getpid());
    assert_non_null(strstr(r->std_out.data, expected_prefix));
    assert_int_equal(children_of_root(), 0); /* removed when done */
    cordon_task_free(t);
}

static void test_cgroup_v2_kills_what_left_the_process_group(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    /* No policy, so setsid is allowed: the sleeper leaves the task's
     * process group and session, and only the cgroup still holds it. */
    cordon_task *t = shell("setsid sh -c 'echo $$; exec sleep 60' </dev/null 2>&1 & sleep 0.3");
    cordon_set_policy(t, NULL);
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 50);
    const cordon_result *r = run_task(t, 0);
    pid_t escaped = (pid_t)atoi(r->std_out.data);
    assert_true(escaped > 0);
    assert_true(process_gone(escaped));
    assert_int_equal(children_of_root(), 0);
    cordon_task_free(t);
}

static void test_cgroup_v2_without_memory_controller_falls_back_to_rlimit(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    char controllers[256] = "";
    char path[600];
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", root);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(controllers, sizeof controllers, f))
            controllers[0] = '\0';
        fclose(f);
    }
    cordon_task *t = shell("ulimit -v");
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 512u << 20);
    const cordon_result *r = run_task(t, 0);
    if (strstr(controllers, "memory"))
        assert_string_equal(r->std_out.data, "unlimited\n"); /* memory.max does it */
    else
        assert_string_equal(r->std_out.data, "524288\n");
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cgroup_v2_task_runs_in_its_own_cgroup_below_the_root),
        cmocka_unit_test(test_cgroup_v2_kills_what_left_the_process_group),
        cmocka_unit_test(test_cgroup_v2_without_memory_controller_falls_back_to_rlimit),
    };
    return cmocka_run_group_tests(tests, make_root, remove_root);
}
