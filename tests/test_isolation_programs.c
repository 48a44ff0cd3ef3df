/* Real programs under the "isolated" preset (no network, a private /tmp,
 * a minimal /dev, its own hostname, nothing writable of the caller's):
 * a C compile with gcc, a Python script that uses a process pool, and
 * `git status` on a read-only bind of a repository.  Each skips where
 * its program or the namespaces are missing. */
#include <sys/stat.h>
#include <sys/syscall.h>

#include "support.h"

static char repo[64];

static void require_isolated_preset(void)
{
    SKIP_UNDER_VALGRIND("valgrind has no pidfd_open: no task gets namespaces under it");
    if (syscall(SYS_landlock_create_ruleset, NULL, 0, 1u) < 1) {
        print_message("no Landlock here: the presets cannot run\n");
        skip();
    }
    skip_unless_tasks_get(CORDON_CONFINED_OWN_PROC,
                          "no pid and mount namespaces here: the presets cannot run");
}

static void require_program(const char *path)
{
    if (access(path, X_OK) != 0) {
        print_message("no %s here\n", path);
        skip();
    }
}

static cordon_task *isolated_shell(const char *command)
{
    cordon_task *t = shell(command);
    assert_int_equal(cordon_set_isolation(t, "isolated"), 0);
    assert_int_equal(cordon_set_env(t, "HOME=/tmp"), 0);
    return t;
}

static void test_programs_gcc_compiles_and_runs_in_private_tmp(void **state)
{
    (void)state;
    require_isolated_preset();
    require_program("/usr/bin/gcc");
    cordon_task *t = isolated_shell(
        "cd /tmp && printf '#include <stdio.h>\\nint main(void){puts(\"compiled\");return 3;}\\n'"
        " > a.c && gcc -O1 -o a a.c && ./a; echo \"a said $?\"");
    assert_int_equal(cordon_set_timeout_ms(t, 60000), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "compiled\na said 3\n");
    cordon_task_free(t);
}

/* A pool's semaphores live in /dev/shm: the minimal /dev must have it,
 * and so must the host's /dev, over whose /dev/shm the task has its own
 * (with `--dev host` the file rules had granted nothing there: EACCES). */
static void test_programs_python_script_with_a_process_pool(void **state)
{
    (void)state;
    require_isolated_preset();
    require_program("/usr/bin/python3");
    for (int host_dev = 0; host_dev < 2; host_dev++) {
        cordon_task *t = isolated_shell(
            "cat > /tmp/job.py <<'EOF'\n"
            "import hashlib, json, multiprocessing, socket\n"
            "def square(n):\n"
            "    return n * n\n"
            "with multiprocessing.Pool(2) as pool:\n"
            "    total = sum(pool.map(square, range(10)))\n"
            "try:\n"
            "    socket.create_connection(('192.0.2.1', 80), timeout=2)\n"
            "    net = 'reached'\n"
            "except OSError:\n"
            "    net = 'unreachable'\n"
            "print(json.dumps({'total': total, 'net': net,\n"
            "                  'sha': hashlib.sha256(b'cordon').hexdigest()[:8]}))\n"
            "EOF\n"
            "/usr/bin/python3 /tmp/job.py");
        if (host_dev)
            assert_int_equal(cordon_set_minimal_dev(t, 0), 0);
        assert_int_equal(cordon_set_timeout_ms(t, 60000), 0);
        const cordon_result *r = run_task(t, 0);
        if (!r->std_out.data || strcmp(r->std_out.data, "{\"total\": 285, \"net\": "
                                       "\"unreachable\", \"sha\": \"e4830bf5\"}\n") != 0)
            fail_msg("%s /dev: %s %s", host_dev ? "the host's" : "a minimal",
                     r->std_out.data ? (const char *)r->std_out.data : "",
                     r->std_err.data ? (const char *)r->std_err.data : "");
        cordon_task_free(t);
    }
}

static int make_repo(void **state)
{
    (void)state;
    strcpy(repo, "/var/tmp/cordon-repo-XXXXXX");
    if (!mkdtemp(repo))
        return -1;
    if (access("/usr/bin/git", X_OK) != 0)
        return 0;
    char command[512];
    snprintf(command, sizeof command,
             "export HOME=/tmp GIT_CONFIG_NOSYSTEM=1; cd %s && git init -q && "
             "echo one > tracked && git add tracked && "
             "git -c user.name=cordon -c user.email=cordon@example.org commit -qm first && "
             "echo two >> tracked && echo new > untracked",
             repo);
    return system(command) == 0 ? 0 : -1;
}

static int remove_repo(void **state)
{
    (void)state;
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", repo);
    return system(command) == 0 ? 0 : -1;
}

/* git status wants to refresh the index (its lock file fails with EROFS
 * and is skipped); a commit is refused. */
static void test_programs_git_status_on_a_read_only_bind(void **state)
{
    (void)state;
    require_isolated_preset();
    require_program("/usr/bin/git");
    cordon_task *t = isolated_shell("git status --porcelain; git -c user.name=x "
                                    "-c user.email=x@example.org commit -qam second "
                                    ">/dev/null 2>&1 || echo commit refused");
    assert_int_equal(cordon_add_bind(t, repo, repo, CORDON_BIND_READONLY), 0);
    assert_int_equal(cordon_set_cwd(t, repo), 0);
    assert_int_equal(cordon_set_env(t, "GIT_CONFIG_NOSYSTEM=1"), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, " M tracked\n?? untracked\ncommit refused\n");
    const cordon_confinement *c = r->confinement_details;
    assert_non_null(c);
    assert_int_equal(c->bind_count, 1);
    assert_string_equal(c->binds[0].target, repo);
    assert_true(c->binds[0].read_only);
    cordon_task_free(t);
}

/* What the result says of a preset's run: every mechanism by name. */
static void test_programs_result_details_of_the_preset(void **state)
{
    (void)state;
    require_isolated_preset();
    cordon_task *t = isolated_shell("true");
    const cordon_result *r = run_task(t, 0);
    const cordon_confinement *c = r->confinement_details;
    assert_non_null(c);
    assert_string_equal(c->policy, "default");
    assert_true(c->landlock_abi >= 1);
    assert_string_equal(c->hostname, "cordon");
    assert_int_equal(c->uid, geteuid());
    bool root_rule = false, dev_rule = false;
    for (size_t i = 0; i < c->file_rule_count; i++) {
        root_rule |= strcmp(c->file_rules[i].path, "/") == 0 &&
                     c->file_rules[i].access == (CORDON_READ | CORDON_EXEC);
        dev_rule |= strcmp(c->file_rules[i].path, "/dev") == 0;
    }
    assert_true(root_rule);
    assert_true(dev_rule);
    /* Nothing the rest grants already: "/" covers the system's read and
     * execute, the init's /dev and /tmp grants the devices and the /tmp
     * beneath. */
    assert_int_equal(c->file_rule_count, 4);
    unsigned wanted = CORDON_CONFINED_UTS_NAMESPACE | CORDON_CONFINED_CGROUP_NAMESPACE |
                      CORDON_CONFINED_MINIMAL_DEV | CORDON_CONFINED_NETWORK_NAMESPACE |
                      CORDON_CONFINED_PRIVATE_TMPFS | CORDON_CONFINED_FILE_RULES;
    assert_int_equal(r->confinement & wanted, wanted);
    cordon_task_free(t);
    /* With the caller's /dev, the task's own /dev/shm, which it may write,
     * is among the grants (it had been left out of the record). */
    t = isolated_shell("echo x > /dev/shm/own");
    assert_int_equal(cordon_set_minimal_dev(t, 0), 0);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    bool shm_rule = false;
    for (size_t i = 0; i < r->confinement_details->file_rule_count; i++)
        shm_rule |= strcmp(r->confinement_details->file_rules[i].path, "/dev/shm") == 0 &&
                    r->confinement_details->file_rules[i].access ==
                        (CORDON_READ | CORDON_WRITE);
    assert_int_equal(shm_rule, access("/dev/shm", F_OK) == 0);
    cordon_task_free(t);
    /* Without a filter, and before any run. */
    t = shell("true");
    assert_null(cordon_task_result(t)->confinement_details);
    assert_int_equal(cordon_set_policy(t, NULL), 0);
    r = run_task(t, 0);
    /* A task of root's gets cordon's own rules (sandbox/policy.h), named
     * "none" */
    if (geteuid() == 0)
        assert_string_equal(r->confinement_details->policy, "none");
    else
        assert_null(r->confinement_details->policy);
    assert_int_equal(r->confinement_details->file_rule_count, 0);
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_programs_gcc_compiles_and_runs_in_private_tmp),
        cmocka_unit_test(test_programs_python_script_with_a_process_pool),
        cmocka_unit_test(test_programs_git_status_on_a_read_only_bind),
        cmocka_unit_test(test_programs_result_details_of_the_preset),
    };
    return cmocka_run_group_tests(tests, make_repo, remove_repo);
}
