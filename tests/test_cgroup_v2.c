/* cgroup v2, against a root this test makes and points cordon at with
 * CORDON_CGROUP_ROOT: the task's cgroup is made below it and holds the
 * whole task (even what left the process group).  One with a limit is
 * removed afterwards; one that only held the tree is kept empty for the
 * next task of the same process and removed when that process exits. */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "support.h"

static char root[512];
static const char *own_path; /* argv[0]: under valgrind /proc/self/exe is valgrind */


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

/* Before the exit hook that would remove this process's idle cgroup: the
 * root can only go once it is empty. */
static int remove_root(void **state)
{
    (void)state;
    if (!root[0])
        return 0;
    DIR *dir = opendir(root);
    for (struct dirent *e; dir && (e = readdir(dir));)
        if (e->d_type == DT_DIR && e->d_name[0] != '.')
            unlinkat(dirfd(dir), e->d_name, AT_REMOVEDIR);
    if (dir)
        closedir(dir);
    rmdir(root);
    return 0;
}

/* Cgroups below the root whose names start with `prefix`: all of them, or
 * only those that still hold a process. */
static int cgroups_below_root(const char *prefix, bool holding_only)
{
    int all = 0, holding = 0;
    count_cgroups(root, prefix, &all, &holding);
    return holding_only ? holding : all;
}

static bool cgroup_exists(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, name);
    struct stat st;
    return stat(path, &st) == 0;
}

/* What is left after a task: nothing running, and at most the one idle
 * cgroup kept for the next task. */
static void assert_nothing_left_running(void)
{
    assert_int_equal(cgroups_below_root("", true), 0);
    assert_in_range(cgroups_below_root("", false), 0, 1);
}

/* Whether the last task of task_cgroup_then had a mount namespace of its
 * own, without which it could write its cgroup's files (a /sys it may
 * write): its cgroup is then removed, never pooled for the next task. */
static bool last_cgroup_poolable;

/* The name of the cgroup a task ran in, from its /proc/self/cgroup, with
 * `then` run after that (NULL: nothing). */
static void task_cgroup_then(const char *then, char *name, size_t size)
{
    char command[512];
    snprintf(command, sizeof command, "grep '^0::' /proc/self/cgroup; %s", then ? then : "");
    cordon_task *t = shell(command);
    /* A CPU limit reads the tree's time from a cgroup of the task's own
     * (one of the pool's, without memory or process limits). */
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 60000);
    const cordon_result *r = run_task(t, 0);
    last_cgroup_poolable = r->confinement & CORDON_CONFINED_OWN_PROC;
    const char *last = strrchr(r->std_out.data, '/');
    assert_non_null(last);
    snprintf(name, size, "%.*s", (int)strcspn(last + 1, "\n"), last + 1);
    cordon_task_free(t);
}

static void task_cgroup(char *name, size_t size)
{
    task_cgroup_then(NULL, name, size);
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
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 60000); /* a limit a cgroup holds */
    const cordon_result *r = run_task(t, 0);
    const char *name = strrchr(root, '/');
    char expected_prefix[600];
    snprintf(expected_prefix, sizeof expected_prefix, "0::%s/cordon-%d-", name, (int)getpid());
    assert_non_null(strstr(r->std_out.data, expected_prefix));
    assert_nothing_left_running();
    cordon_task_free(t);
}

static void test_cgroup_v2_kills_what_left_the_process_group(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    /* No policy, so setsid is allowed: the sleeper leaves the task's
     * process group and session, and only the cgroup still holds it. */
    cordon_task *t = shell("setsid sh -c 'echo $$; exec sleep 60.0801' </dev/null 2>&1 & sleep 0.3");
    cordon_set_policy(t, NULL);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 60000); /* a limit a cgroup holds */
    const cordon_result *r = run_task(t, 0);
    assert_true(atoi(r->std_out.data) > 0);
    assert_true(marked_processes_gone("60.0801", false));
    assert_nothing_left_running();
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

static void test_cgroup_v2_next_task_reuses_the_idle_cgroup(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    char first[256], second[256];
    task_cgroup(first, sizeof first);
    bool pooled = last_cgroup_poolable;
    if (!pooled) /* no namespaces here (valgrind, a container): removed */
        assert_false(cgroup_exists(first));
    task_cgroup(second, sizeof second);
    if (pooled)
        assert_string_equal(first, second);
    else
        assert_string_not_equal(first, second);
    assert_int_equal(cgroups_below_root("", false), pooled ? 1 : 0);
    assert_int_equal(cgroups_below_root("", true), 0);
}

/* What follows needs the pool, which a task without a mount namespace of
 * its own never joins (the test above checks that). */
#define REQUIRE_POOLED(name)                                                           \
    do {                                                                               \
        if (!last_cgroup_poolable) {                                                   \
            assert_false(cgroup_exists(name));                                         \
            print_message("skipped: without a mount namespace a task's cgroup is "     \
                          "removed, not pooled\n");                                    \
            skip();                                                                    \
        }                                                                              \
    } while (0)

/* A cgroup that had to be killed is removed, not kept: Linux kills every
 * child that clone3 starts in a cgroup that was ever killed.  Only a task
 * without a pid namespace leaves anything for the cgroup to kill (a
 * task's init kills the rest of its namespace itself), so this runs in a
 * copy of the test that has namespaces turned off. */
static void test_cgroup_v2_killed_cgroup_is_not_reused(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        char killed[256], next[256];
        /* Time for the sleeper to leave the group: the cgroup must kill it. */
        task_cgroup_then("setsid sleep 60 </dev/null >/dev/null 2>&1 & sleep 0.3", killed,
                         sizeof killed);
        if (cgroup_exists(killed))
            _exit(1);
        task_cgroup(next, sizeof next); /* runs, rather than dying at birth */
        _exit(strcmp(next, killed) != 0 ? 0 : 2);
    }
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_cgroup_v2_idle_cgroup_removed_by_hand_is_replaced(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    char first[256], second[256], path[1024];
    task_cgroup(first, sizeof first);
    REQUIRE_POOLED(first);
    snprintf(path, sizeof path, "%s/%s", root, first);
    assert_int_equal(rmdir(path), 0);
    task_cgroup(second, sizeof second);
    assert_string_not_equal(first, second);
    assert_true(cgroup_exists(second));
}

/* A copy of the caller made by fork uses cgroups of its own, never its
 * parent's idle one, and removes them when it exits. */
static void test_cgroup_v2_forked_caller_keeps_to_its_own_and_removes_them_at_exit(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    char parents[256];
    task_cgroup(parents, sizeof parents);
    REQUIRE_POOLED(parents);
    int report[2];
    assert_int_equal(pipe(report), 0);
    pid_t copy = fork();
    if (copy == 0) {
        char childs[256];
        task_cgroup(childs, sizeof childs);
        (void)!write(report[1], childs, strlen(childs) + 1);
        exit(0); /* exit, not _exit: the pool is emptied by an atexit hook */
    }
    close(report[1]);
    char childs[256] = "";
    assert_true(read(report[0], childs, sizeof childs) > 0);
    close(report[0]);
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_int_equal(status, 0);
    assert_string_not_equal(childs, parents);
    assert_false(cgroup_exists(childs));
    assert_true(cgroup_exists(parents));
}

/* Runs a task of its own, then returns its pid. */
static int runs_a_nested_task(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    const char *argv[] = { "/bin/true", NULL };
    cordon_task *nested = cordon_command_task(argv);
    cordon_set_limit(nested, CORDON_LIMIT_CPU_MS, 60000); /* a cgroup of the pool's */
    int rc = cordon_run(nested);
    cordon_task_free(nested);
    pid_t self = getpid();
    cordon_return(ctx, &self, sizeof self);
    return rc;
}

/* A function task ends with _exit, which runs no exit hook: the idle
 * cgroups of tasks it ran itself are removed before that. */
static void test_cgroup_v2_function_task_removes_the_cgroups_of_its_own_tasks(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    cordon_task *t = cordon_function_task(runs_a_nested_task, NULL);
    cordon_set_policy(t, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->returns.len, sizeof(pid_t));
    pid_t child;
    memcpy(&child, r->returns.data, sizeof child);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "cordon-%d-", (int)child);
    assert_int_equal(cgroups_below_root(prefix, false), 0);
    cordon_task_free(t);
}

static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

static void age_cgroup(const char *name, time_t age_seconds)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, name);
    struct timespec times[2];
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= age_seconds;
    times[1] = times[0];
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

static void make_cgroup_aged(const char *name, time_t age_seconds)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, name);
    assert_int_equal(mkdir(path, 0755), 0);
    struct timespec times[2];
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= age_seconds;
    times[1] = times[0];
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

static void remove_cgroup(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, name);
    rmdir(path);
}

/* A caller killed outright leaves its idle cgroups behind: the next
 * process to make cgroups in the same place removes them, and only them. */
static void test_cgroup_v2_next_process_sweeps_what_dead_callers_left(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    char dead_old[64], dead_young[64], alive_old[64], foreign[64], dead_pair[64], inner[160];
    snprintf(dead_old, sizeof dead_old, "cordon-%d-0", (int)dead_pid());
    /* a v1 memory limit's cgroup sits in one of cordon's: both go */
    snprintf(dead_pair, sizeof dead_pair, "cordon-%d-2", (int)dead_pid());
    snprintf(inner, sizeof inner, "%s/cordon-%d-3", dead_pair, (int)dead_pid());
    snprintf(dead_young, sizeof dead_young, "cordon-%d-1", (int)dead_pid());
    snprintf(alive_old, sizeof alive_old, "cordon-%d-0", (int)getpid());
    snprintf(foreign, sizeof foreign, "not-cordon-%d-0", (int)dead_pid());
    make_cgroup_aged(dead_old, 3600);
    make_cgroup_aged(dead_young, 0);
    make_cgroup_aged(alive_old, 3600);
    make_cgroup_aged(foreign, 3600);
    make_cgroup_aged(dead_pair, 0);
    make_cgroup_aged(inner, 0);
    age_cgroup(dead_pair, 3600); /* after the inner one was made in it */
    /* A fresh process: this one looked at the place already. */
    pid_t fresh = fork();
    if (fresh == 0) {
        execl(own_path, own_path, "--run-one-task", (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(fresh, &status, 0), fresh);
    assert_int_equal(status, 0);
    assert_false(cgroup_exists(dead_old));
    assert_false(cgroup_exists(dead_pair));
    assert_true(cgroup_exists(dead_young)); /* may be a process's of another pid namespace */
    assert_true(cgroup_exists(alive_old));
    assert_true(cgroup_exists(foreign));
    remove_cgroup(dead_young);
    remove_cgroup(alive_old);
    remove_cgroup(foreign);
}

/* ---- a subtree delegated to the caller's user -------------------------- */

/* The helper (this test run again, so that cordon probes its namespaces
 * as the user): runs a task that writes files of its own cgroup, which the
 * user made and owns.  0 when the writes were refused, 12 when they went
 * through, 10 when the task had no mount namespace to hold them. */
static int write_own_cgroup(const char *mount)
{
    char command[1200];
    snprintf(command, sizeof command,
             "d=%s$(sed -n 's/^0:://p' /proc/self/cgroup); echo 0 > $d/cgroup.freeze && "
             "echo max > $d/cgroup.max.descendants && echo wrote", mount);
    cordon_task *t = cordon_shell_task(command);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 60000); /* a cgroup of the task's own */
    if (cordon_run(t) != 0)
        return 11;
    const cordon_result *r = cordon_task_result(t);
    int rc = !(r->confinement & CORDON_CONFINED_OWN_PROC) ? 10
             : strstr(r->std_out.data, "wrote") ? 12 : 0;
    cordon_task_free(t);
    return rc;
}

static int run_one_task(void);

/* The name of the v2 cgroup this process is in (its /proc/self/cgroup). */
static int own_v2_cgroup(char *out, size_t size)
{
    char text[4096];
    int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    char *line = strstr(text, "0::");
    if (!line)
        return -1;
    snprintf(out, size, "%.*s", (int)strcspn(line + 3, "\n"), line + 3);
    return 0;
}

/* A root function task with no namespaces writes what it can of its own
 * cgroup: it prints "harmed N" for each write or mkdir that went through,
 * then its cgroup's name. */
static int harm_own_cgroup(cordon_ctx *ctx, void *mount)
{
    (void)ctx;
    static const char *const files[][2] = {
        { "cgroup.kill", "1" },           { "cgroup.freeze", "1" },
        { "cgroup.max.depth", "0" },      { "cgroup.max.descendants", "0" },
        { "cpu.max", "1000 100000" },     { "cgroup.subtree_control", "+cpu" },
        { "cgroup.type", "threaded" },
    };
    char own[1024], path[1400];
    if (own_v2_cgroup(own, sizeof own) != 0)
        return 1;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s%s/%s", (const char *)mount, own, files[i][0]);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0 && write(fd, files[i][1], strlen(files[i][1])) > 0)
            printf("harmed %s\n", files[i][0]);
        if (fd >= 0)
            close(fd);
    }
    snprintf(path, sizeof path, "%s%s/inside", (const char *)mount, own);
    if (mkdir(path, 0755) == 0)
        printf("harmed by a cgroup inside\n");
    snprintf(path, sizeof path, "%s/cgroup.procs", (const char *)mount);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && write(fd, "0", 1) > 0)
        printf("harmed by leaving it\n");
    if (fd >= 0)
        close(fd);
    printf("in %s\n", own);
    return 0;
}

/* ... and opens its cgroup.kill to every user, which the fence cannot
 * refuse (Landlock has no right for chmod): "chmodded" and its name. */
static int open_own_cgroup_to_all(cordon_ctx *ctx, void *mount)
{
    (void)ctx;
    char own[1024], path[1400];
    if (own_v2_cgroup(own, sizeof own) != 0)
        return 1;
    snprintf(path, sizeof path, "%s%s/cgroup.kill", (const char *)mount, own);
    printf("%s %s\n", chmod(path, 0666) == 0 ? "chmodded" : "refused", own);
    return 0;
}

/* Run in a fresh process with CORDON_NO_NAMESPACES=1, as root: a function
 * task of root's, which owns its cgroup and has no mount namespace, under
 * the fence that refuses writes beneath /sys and every cgroup mount.  Its
 * cgroup is pooled (made and removed for each task, it cost such a task
 * 10-15% of its time), so each harm is tried by a task in the same
 * cgroup; later tasks must run in it.  0: refused and pooled; 11 a harm
 * went through; 12 a later task failed; 13 not pooled; 14 the chmod of its
 * own cgroup's file failed; 15 a cgroup so opened was pooled; 10 no
 * fence here (Landlock before ABI 2, or namespaces after all). */
static int harm_own_cgroup_without_namespaces(const char *mount)
{
    char first[1024] = "";
    for (int attempt = 0; attempt < 3; attempt++) {
        cordon_task *t = cordon_function_task(harm_own_cgroup, (void *)mount);
        cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 60000); /* a cgroup of the pool's */
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        if (rc != 0 || (r->confinement & CORDON_CONFINED_OWN_PROC))
            return rc != 0 ? 12 : 10;
        if (strstr(r->std_out.data, "harmed"))
            return fprintf(stderr, "%s", r->std_out.data), 11;
        const char *in = strstr(r->std_out.data, "in ");
        char name[1024];
        snprintf(name, sizeof name, "%.*s", in ? (int)strcspn(in + 3, "\n") : 0, in ? in + 3 : "");
        cordon_task_free(t);
        if (attempt == 0)
            snprintf(first, sizeof first, "%s", name);
        else if (strcmp(first, name) != 0)
            return 13;
        if (run_one_task() != 0)
            return 12;
    }
    /* A cgroup whose files the task opened to others is not pooled. */
    cordon_task *t = cordon_function_task(open_own_cgroup_to_all, (void *)mount);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 60000);
    if (cordon_run(t) != 0)
        return 12;
    char chmodded[1024];
    if (sscanf(cordon_task_result(t)->std_out.data, "chmodded %1023s", chmodded) != 1)
        return 14;
    cordon_task_free(t);
    if (run_one_task() != 0)
        return 12;
    char path[1400];
    snprintf(path, sizeof path, "%s%s", mount, chmodded);
    struct stat st;
    return stat(path, &st) == 0 ? 15 : 0;
}

/* The helper for a task with no filter, which can mount its own view of
 * its cgroup (a user namespace, a cgroup namespace, cgroupfs): it kills its
 * own cgroup and makes one inside, each in turn.  The next tasks must run
 * (12: killed at birth in a pooled cgroup the task had killed), and once
 * the caller's tasks are freed no cgroup the task made may be left (13).
 * 10 when the task could not mount cgroupfs here. */
static int poison_own_cgroup(const char *mount)
{
    (void)mount;
    static const char *const harms[] = { "echo 1 > /tmp/cg/cgroup.kill",
                                         "mkdir /tmp/cg/stay && echo 0 > /tmp/cg/cgroup.max.depth" };
    for (size_t i = 0; i < 2; i++) {
        char command[400];
        snprintf(command, sizeof command,
                 "unshare -U -r -C -m sh -c 'mount -t tmpfs none /tmp && mkdir /tmp/cg && "
                 "mount -t cgroup2 none /tmp/cg && echo mounted && %s'", harms[i]);
        cordon_task *t = cordon_shell_task(command);
        cordon_set_policy(t, NULL);
        cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 60000); /* a cgroup of the pool's */
        cordon_run(t);
        bool mounted = strstr(cordon_task_result(t)->std_out.data, "mounted") != NULL;
        cordon_task_free(t);
        if (!mounted)
            return 10;
        for (int next = 0; next < 3; next++)
            if (run_one_task() != 0)
                return 12;
    }
    return 0;
}

/* In a forked copy: becomes a user (65534) to whom `root` is delegated, as
 * systemd delegates a user's own subtree, from a cgroup of its own below
 * it, and runs the helper; its status, or 10 when this machine cannot set
 * that up. */
static int delegate_then_run(const char *helper)
{
    char path[1100], own[800];
    snprintf(path, sizeof path, "%s/cgroup.procs", root);
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
        return 10;
    const char *delegated[] = { "", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s%s", root, delegated[i]);
        if (chown(path, 65534, 65534) != 0)
            return 10;
    }
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0)
        return 10;
    snprintf(own, sizeof own, "%s/caller", root);
    snprintf(path, sizeof path, "%s/cgroup.procs", own);
    if (mkdir(own, 0755) != 0 || !(f = fopen(path, "w")) ||
        fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
        return 10;
    char mount[600];
    snprintf(mount, sizeof mount, "%.*s", (int)(strrchr(root, '/') - root), root);
    execl(own_path, own_path, helper, mount, (char *)NULL);
    return 10;
}

/* The helper run by a copy as the user `root` is delegated to (skipped
 * where this machine cannot, saying `unavailable`): its exit status, and
 * in *left the cgroups of the copy's own still below the root. */
static int run_delegated(const char *helper, const char *unavailable, int *left)
{
    if (geteuid() != 0 || getenv("CORDON_UNDER_VALGRIND")) {
        fprintf(stderr, "delegating a subtree to another user needs root (and no valgrind)\n");
        skip();
    }
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0)
        _exit(delegate_then_run(helper));
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    char path[700], copys[64];
    snprintf(path, sizeof path, "%s/caller", root);
    rmdir(path);
    snprintf(copys, sizeof copys, "cordon-%d-", (int)copy);
    *left = cgroups_below_root(copys, false);
    assert_int_equal(chown(root, 0, 0), 0);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 10) {
        fprintf(stderr, "%s\n", unavailable);
        skip();
    }
    return WEXITSTATUS(status);
}

/* A user owns the cgroups made in a subtree delegated to it: a task of the
 * caller's user froze the caller's own cgroup (the caller stopped, its
 * deadline with it), could kill it, and could raise its own cgroup's
 * limits.  Every cgroup file is read-only in the task's view. */
static void test_cgroup_v2_a_task_cannot_write_the_cgroups_of_its_user(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    int left;
    assert_int_equal(run_delegated("--write-own-cgroup", "no cgroup delegated to another user, "
                                   "or no mount namespace for it", &left), 0);
}

/* A task with no filter, of the user that owns its cgroup, can mount
 * cgroupfs in namespaces of its own and write its cgroup's files: a
 * cgroup.kill it wrote went unseen, its cgroup was pooled, and every later
 * task of the caller died of SIGKILL before it ran; a cgroup it made in
 * its own was left behind for good (the sweep looked one level down, for
 * cordon's names only), and its cgroup.max.depth was the next task's.
 * Such a cgroup is removed, whatever is inside, not pooled. */
static void test_cgroup_v2_a_task_that_could_write_its_cgroup_leaves_no_later_task_harm(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    int left;
    assert_int_equal(run_delegated("--poison-own-cgroup", "no cgroup delegated to another user, "
                                   "or no cgroupfs of a task's own", &left), 0);
    assert_int_equal(left, 0);
}

/* Without namespaces a root task owns its cgroup and sees the machine's
 * /sys: its cgroup was removed after each task, never pooled, lest the
 * task leave it killed, frozen or limited for the next.  The fence that
 * refuses it every write beneath /sys and every cgroup mount holds its
 * cgroup's files out of its reach, so the cgroup is pooled. */
static void test_cgroup_v2_without_namespaces_a_root_task_cannot_harm_its_pooled_cgroup(
    void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    if (geteuid() != 0 || getenv("CORDON_UNDER_VALGRIND"))
        skip(); /* a root task, in a fresh process */
    char mount[300];
    assert_true(find_v2_mount(mount, sizeof mount));
    pid_t fresh = fork();
    assert_true(fresh >= 0);
    if (fresh == 0) {
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        execl(own_path, own_path, "--harm-own-cgroup-without-namespaces", mount, (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(fresh, &status, 0), fresh);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 10) {
        print_message("skipped: no Landlock fence here (ABI before 2)\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    char copys[64];
    snprintf(copys, sizeof copys, "cordon-%d-", (int)fresh);
    assert_int_equal(cgroups_below_root(copys, false), 0); /* removed at its exit */
}

/* A task that needs a cgroup (a CPU limit): its rc, and whether it had one. */
static bool with_a_cgroup(int *rc)
{
    const char *argv[] = { "/bin/true", NULL };
    cordon_task *t = cordon_command_task(argv);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 60000);
    *rc = cordon_run(t);
    bool held = cordon_task_result(t)->confinement & CORDON_CONFINED_CGROUP;
    cordon_task_free(t);
    return held;
}

/* In a fresh process, which has not looked for the cgroup hierarchies: for
 * each soft limit of open files from 4 to 24, a copy runs its first task
 * that needs a cgroup at that limit, then one with the limit back.  Exit
 * status: how many of the second ones had no cgroup (0 to 21), or 100
 * where a task with no shortage had none. */
static int tasks_after_a_shortage(void)
{
    cordon_task *warm = cordon_shell_task("true"); /* what needs no cgroup, made */
    cordon_run(warm);
    cordon_task_free(warm);
    int lost = 0;
    for (rlim_t soft = 4; soft <= 24; soft++) {
        pid_t pid = fork();
        if (pid == 0) {
            struct rlimit saved, tight;
            getrlimit(RLIMIT_NOFILE, &saved);
            tight = saved;
            tight.rlim_cur = soft;
            setrlimit(RLIMIT_NOFILE, &tight);
            int rc;
            with_a_cgroup(&rc);
            setrlimit(RLIMIT_NOFILE, &saved);
            _exit(with_a_cgroup(&rc) && rc == 0 ? 0 : 1);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
            return 101;
        lost += WEXITSTATUS(status);
    }
    int rc;
    return with_a_cgroup(&rc) && rc == 0 ? lost : 100;
}

/* cordon finds the machine's cgroup hierarchies once per process, by the
 * first task that needs a cgroup.  Found while the caller was short of
 * fds, "no cgroups" was kept: every later task ran without one (a memory
 * limit then an RLIMIT_AS, a process limit its user's RLIMIT_NPROC).  The
 * task that finds the shortage fails with it; the next one looks again. */
static void test_cgroup_v2_a_shortage_at_the_first_task_costs_no_later_task_its_cgroup(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    pid_t fresh = fork();
    if (fresh == 0) {
        execl(own_path, own_path, "--tasks-after-a-shortage", (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(fresh, &status, 0), fresh);
    assert_true(WIFEXITED(status));
    assert_int_not_equal(WEXITSTATUS(status), 100); /* cgroups there are */
    assert_int_equal(WEXITSTATUS(status), 0);
}

static int run_one_task(void)
{
    const char *argv[] = { "/bin/true", NULL };
    cordon_task *t = cordon_command_task(argv);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 60000); /* a cgroup of the pool's */
    int rc = cordon_run(t);
    cordon_task_free(t);
    return rc == 0 ? 0 : 1;
}

/* The root cordon makes cgroups below must be one no other user can
 * change: owned by the caller's user, writable by no one else.  Under a
 * root another user owned, that user removed the cgroup cordon kept for
 * the next task, made one of the same name with a spinner of its own in
 * it, and root's next task ended in CpuLimit for that spinner's CPU and
 * killed it. */
static void test_cgroup_v2_a_root_another_user_could_change_is_refused(void **state)
{
    (void)state;
    REQUIRE_V2_ROOT();
    if (geteuid() != 0) {
        fprintf(stderr, "giving the root to another user needs root\n");
        skip();
    }
    const struct { uid_t owner; mode_t mode; const char *why; } roots[] = {
        { 65534, 0755, "is owned by uid 65534, not by this process's user (uid 0)" },
        { 0, 0775, "is writable by its group or others (mode 775)" },
        { 0, 0757, "is writable by its group or others (mode 757)" },
    };
    for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
        assert_int_equal(chown(root, roots[i].owner, 0), 0);
        assert_int_equal(chmod(root, roots[i].mode), 0);
        cordon_task *t = shell("echo ran");
        assert_non_null(t);
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        assert_int_equal(chown(root, 0, 0), 0);
        assert_int_equal(chmod(root, 0755), 0);
        assert_int_equal(rc, CORDON_EXCEPTION);
        assert_string_equal(r->exception, "ConfinementError");
        assert_non_null(strstr(r->message, "CORDON_CGROUP_ROOT"));
        assert_non_null(strstr(r->message, roots[i].why));
        assert_int_equal(r->std_out.len, 0);
        cordon_task_free(t);
    }
    cordon_task *t = shell("echo ran");
    assert_string_equal(run_task(t, 0)->std_out.data, "ran\n");
    cordon_task_free(t);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--run-one-task") == 0)
        return run_one_task();
    if (argc > 1 && strcmp(argv[1], "--tasks-after-a-shortage") == 0)
        return tasks_after_a_shortage();
    if (argc > 2 && strcmp(argv[1], "--write-own-cgroup") == 0)
        return write_own_cgroup(argv[2]);
    if (argc > 2 && strcmp(argv[1], "--poison-own-cgroup") == 0)
        return poison_own_cgroup(argv[2]);
    if (argc > 2 && strcmp(argv[1], "--harm-own-cgroup-without-namespaces") == 0)
        return harm_own_cgroup_without_namespaces(argv[2]);
    own_path = argv[0];

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cgroup_v2_task_runs_in_its_own_cgroup_below_the_root),
        cmocka_unit_test(test_cgroup_v2_kills_what_left_the_process_group),
        cmocka_unit_test(test_cgroup_v2_without_memory_controller_falls_back_to_rlimit),
        cmocka_unit_test(test_cgroup_v2_next_task_reuses_the_idle_cgroup),
        cmocka_unit_test(test_cgroup_v2_killed_cgroup_is_not_reused),
        cmocka_unit_test(test_cgroup_v2_idle_cgroup_removed_by_hand_is_replaced),
        cmocka_unit_test(test_cgroup_v2_forked_caller_keeps_to_its_own_and_removes_them_at_exit),
        cmocka_unit_test(test_cgroup_v2_a_shortage_at_the_first_task_costs_no_later_task_its_cgroup),
        cmocka_unit_test(test_cgroup_v2_function_task_removes_the_cgroups_of_its_own_tasks),
        cmocka_unit_test(test_cgroup_v2_next_process_sweeps_what_dead_callers_left),
        cmocka_unit_test(test_cgroup_v2_a_task_cannot_write_the_cgroups_of_its_user),
        cmocka_unit_test(test_cgroup_v2_a_task_that_could_write_its_cgroup_leaves_no_later_task_harm),
        cmocka_unit_test(test_cgroup_v2_without_namespaces_a_root_task_cannot_harm_its_pooled_cgroup),
        cmocka_unit_test(test_cgroup_v2_a_root_another_user_could_change_is_refused),
    };
    return cmocka_run_group_tests(tests, make_root, remove_root);
}
