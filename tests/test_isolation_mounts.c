/* Isolation of the mount tree and names: binds (read-only ones refuse
 * every write, beneath submounts too), a minimal /dev, a hostname and a
 * cgroup root of the task's own.  Each test skips where the machine (or
 * valgrind) gives no mount namespace. */
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include "support.h"

static char source[64], target[64], file_target[128];

/* The mount namespace a task gets here, as a probe task finds it. */
static unsigned probe_confinement(void)
{
    cordon_task *t = cordon_shell_task("true");
    assert_non_null(t);
    assert_int_equal(cordon_run(t), 0);
    unsigned held = cordon_task_result(t)->confinement;
    cordon_task_free(t);
    return held;
}

static void require_mount_namespace(void)
{
    SKIP_UNDER_VALGRIND("valgrind has no pidfd_open: no task gets namespaces under it");
    if (!(probe_confinement() & CORDON_CONFINED_OWN_PROC)) {
        print_message("no pid and mount namespaces here (a container refusing them, "
                      "or no unprivileged user namespaces)\n");
        skip();
    }
}

/* Landlock, as a task's first file rule finds it. */
static void require_file_rules(const char *why)
{
    cordon_task *probe = shell("true");
    int landlock = cordon_allow_system_paths(probe);
    cordon_task_free(probe);
    if (landlock == -EOPNOTSUPP) {
        print_message("no Landlock here: %s\n", why);
        skip();
    }
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Outside /tmp, which a preset's private tmpfs would hide. */
static int make_dirs(void **state)
{
    (void)state;
    strcpy(source, "/var/tmp/cordon-bind-src-XXXXXX");
    strcpy(target, "/var/tmp/cordon-bind-dst-XXXXXX");
    if (!mkdtemp(source) || !mkdtemp(target))
        return -1;
    snprintf(file_target, sizeof file_target, "%s.file", target);
    char sub[96];
    snprintf(sub, sizeof sub, "%s/sub", source);
    if (mkdir(sub, 0755) != 0)
        return -1;
    FILE *f = fopen(file_target, "w");
    if (!f)
        return -1;
    fclose(f);
    return 0;
}

static int remove_dirs(void **state)
{
    (void)state;
    char command[400];
    snprintf(command, sizeof command, "rm -rf '%s' '%s' '%s'", source, target, file_target);
    return system(command) == 0 ? 0 : -1;
}

/* ---- binds ---- */

static void test_mounts_bind_is_seen_and_written_through(void **state)
{
    (void)state;
    require_mount_namespace();
    put_file(source, "given", "from the caller\n");
    char command[400];
    snprintf(command, sizeof command, "cat %s/given && echo back > %s/written", target, target);
    cordon_task *t = shell(command);
    assert_int_equal(cordon_add_bind(t, source, target, 0), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "from the caller\n");
    assert_true(r->confinement & CORDON_CONFINED_BIND_MOUNTS);
    cordon_task_free(t);
    /* Written through to the source; the caller's target is untouched. */
    char path[160];
    snprintf(path, sizeof path, "%s/written", source);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/given", target);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/written", source);
    unlink(path);
}

/* A task that inherits the caller's working directory sees there what
 * the task's mounts put there: a relative path reaches the bind, the
 * tmpfs or the writable path over it, not the caller's directory beneath. */
static void test_mounts_inherited_working_directory_is_the_mounted_one(void **state)
{
    (void)state;
    require_mount_namespace();
    char previous[PATH_MAX];
    assert_non_null(getcwd(previous, sizeof previous));
    put_file(source, "given", "from the source\n");
    put_file(target, "hidden", "the caller's target\n");

    assert_int_equal(chdir(target), 0);
    cordon_task *t = shell("cat given; ls; echo made > made");
    assert_int_equal(cordon_add_bind(t, source, target, 0), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(chdir(previous), 0);
    assert_string_equal(r->std_out.data, "from the source\ngiven\nsub\n");
    cordon_task_free(t);
    char path[160];
    snprintf(path, sizeof path, "%s/made", source);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof path, "%s/made", target);
    assert_int_equal(access(path, F_OK), -1);

    /* A tmpfs over it: empty, and what is written there stays there. */
    assert_int_equal(chdir(target), 0);
    t = shell("ls; echo made > made; ls");
    assert_int_equal(cordon_add_tmpfs(t, target), 0);
    r = run_task(t, 0);
    assert_int_equal(chdir(previous), 0);
    assert_string_equal(r->std_out.data, "made\n");
    assert_int_equal(access(path, F_OK), -1);
    cordon_task_free(t);

    /* A path the file rules let it write, bound writable over itself in a
     * view read-only elsewhere: written to, relative. */
    assert_int_equal(chdir(target), 0);
    t = shell("echo made > made && chmod 600 made && echo ok");
    assert_int_equal(cordon_allow_system_paths(t), 0);
    assert_int_equal(cordon_allow_path(t, target, CORDON_READ | CORDON_WRITE), 0);
    r = run_task(t, 0);
    assert_int_equal(chdir(previous), 0);
    assert_string_equal(r->std_out.data, "ok\n");
    assert_int_equal(access(path, F_OK), 0);
    unlink(path);
    snprintf(path, sizeof path, "%s/hidden", target);
    unlink(path);
    snprintf(path, sizeof path, "%s/given", source);
    unlink(path);
    cordon_task_free(t);
}

/* A working directory the task's view no longer holds (beneath a tmpfs
 * mounted over it) is given up for the nearest one the view holds, the
 * tmpfs's top: kept, it would open onto the caller's directory the mount
 * hides. */
static void test_mounts_working_directory_hidden_by_a_mount_is_given_up(void **state)
{
    (void)state;
    require_mount_namespace();
    char previous[PATH_MAX], sub[160];
    assert_non_null(getcwd(previous, sizeof previous));
    snprintf(sub, sizeof sub, "%s/sub", source);
    put_file(sub, "hidden", "the caller's\n");
    assert_int_equal(chdir(sub), 0);
    /* Written only where it is not the root: a root task's view is the
     * machine's, and "made" was left in its / by every run. */
    cordon_task *t = shell("pwd; cat hidden 2>&1 | head -c 12; echo; "
                           "[ \"$(pwd)\" = / ] || echo made > made 2>&1 || true");
    assert_int_equal(cordon_add_tmpfs(t, source), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(chdir(previous), 0);
    char top[80];
    snprintf(top, sizeof top, "%s\n", source);
    assert_true(strncmp(r->std_out.data, top, strlen(top)) == 0);
    assert_null(strstr(r->std_out.data, "the caller's"));
    char made[200];
    snprintf(made, sizeof made, "%s/made", sub);
    assert_int_equal(access(made, F_OK), -1);
    cordon_task_free(t);
    snprintf(made, sizeof made, "%s/hidden", sub);
    unlink(made);
}

static int reads_the_file(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    char text[16];
    int fd = open(arg, O_RDONLY | O_CLOEXEC);
    return fd >= 0 && read(fd, text, sizeof text) > 0;
}

/* How a task started in a deleted directory beneath `hidden` ran: 1 if
 * it read "../secret" (the caller's file there, which its view hides), 0
 * if it ran without, -1 if it failed closed (ConfinementError saying the
 * caller's directory was deleted). */
static int from_a_deleted_directory_beneath(const char *hidden, int view)
{
    char previous[PATH_MAX], gone[PATH_MAX], secret[PATH_MAX];
    assert_non_null(getcwd(previous, sizeof previous));
    snprintf(secret, sizeof secret, "%s/secret", hidden);
    snprintf(gone, sizeof gone, "%s/gone", hidden);
    put_file(hidden, "secret", "the caller's\n");
    assert_int_equal(mkdir(gone, 0755), 0);
    assert_int_equal(chdir(gone), 0);
    assert_int_equal(rmdir(gone), 0);
    cordon_task *t = view == 2 ? cordon_function_task(reads_the_file, "../secret")
                               : shell("cat ../secret && echo read");
    if (view == 1)
        assert_int_equal(cordon_add_tmpfs(t, hidden), 0);
    if (view == 3)
        assert_int_equal(cordon_set_minimal_dev(t, 1), 0);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(chdir(previous), 0);
    unlink(secret);
    int how = rc == 0 ? (view == 2 ? r->exit_code : strstr(r->std_out.data, "read") != NULL) : -1;
    if (how < 0) {
        assert_string_equal(r->exception, "ConfinementError");
        assert_non_null(strstr(r->exc_out.data, "the caller's was deleted"));
    }
    cordon_task_free(t);
    return how;
}

/* A deleted working directory cannot be entered again by its path in the
 * task's view, and kept, its ".." led to the directory above it on the
 * caller's mount, beneath the task's own: a task under --tmpfs /tmp read
 * and wrote the caller's /tmp, and one under --dev minimal the caller's
 * /dev/shm.  The task fails closed, saying why; given a directory of its
 * own, it runs.  (Before that, it ran in "/", where a root task's
 * relative writes landed.) */
static void test_mounts_a_deleted_working_directory_fails_the_task(void **state)
{
    (void)state;
    require_mount_namespace();
    char shm[64] = "/dev/shm/cordon-test-XXXXXX";
    /* a command; one with a tmpfs over the directory; a function task,
     * its view's own mounts made beside it */
    for (int view = 0; view < 3; view++)
        assert_int_equal(from_a_deleted_directory_beneath(target, view), -1);
    if (mkdtemp(shm)) {
        assert_int_equal(from_a_deleted_directory_beneath(shm, 3), -1);
        rmdir(shm);
    }
    char previous[PATH_MAX], gone[96];
    assert_non_null(getcwd(previous, sizeof previous));
    snprintf(gone, sizeof gone, "%s/gone", target);
    assert_int_equal(mkdir(gone, 0755), 0);
    assert_int_equal(chdir(gone), 0);
    assert_int_equal(rmdir(gone), 0);
    cordon_task *t = shell("pwd");
    assert_int_equal(cordon_set_cwd(t, "/"), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(chdir(previous), 0);
    assert_string_equal(r->std_out.data, "/\n");
    cordon_task_free(t);
}

/* A function task with no mount of its own is started while its init
 * mounts the view, in the caller's directory as the caller's mount holds
 * it: one started in the caller's /dev/shm listed and read the caller's
 * segments there, beneath its own /dev/shm.  It enters its directory
 * again once the view is made: one the view does not hold gives it the
 * nearest one the view holds (here its own /dev/shm). */
static void test_mounts_a_function_task_started_in_a_hidden_directory_gets_the_root(void **state)
{
    (void)state;
    require_mount_namespace();
    char shm[64] = "/dev/shm/cordon-test-XXXXXX", secret[96], previous[PATH_MAX];
    if (!mkdtemp(shm))
        skip();
    snprintf(secret, sizeof secret, "%s/secret", shm);
    put_file(shm, "secret", "the caller's\n");
    assert_non_null(getcwd(previous, sizeof previous));
    assert_int_equal(chdir(shm), 0);
    cordon_task *t = cordon_function_task(reads_the_file, "secret");
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(chdir(previous), 0);
    unlink(secret);
    rmdir(shm);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
}

/* `pwd` given `cwd`, run from the 22 levels of `name` beneath `base`
 * (past PATH_MAX), the caller back in `previous` after: the task, run. */
static cordon_task *pwd_from_deep(const char *base, const char *name, const char *previous,
                                  const char *cwd, int *rc)
{
    assert_int_equal(chdir(base), 0);
    for (int i = 0; i < 22; i++)
        assert_int_equal(chdir(name), 0);
    cordon_task *t = shell("pwd");
    assert_int_equal(cordon_set_cwd(t, cwd), 0);
    *rc = cordon_run(t);
    assert_int_equal(chdir(previous), 0);
    return t;
}

/* A working directory whose path is longer than PATH_MAX cannot be
 * looked up again in the task's view, and kept it would open onto what a
 * mount of the task's hides: the task fails closed.  Before, it ran in
 * "/". */
static void test_mounts_working_directory_too_long_to_look_up_fails_closed(void **state)
{
    (void)state;
    require_mount_namespace();
    char previous[PATH_MAX], base[96], name[201];
    assert_non_null(getcwd(previous, sizeof previous));
    snprintf(base, sizeof base, "%s/deep", target);
    assert_int_equal(mkdir(base, 0755), 0);
    assert_int_equal(chdir(base), 0);
    memset(name, 'd', 200);
    name[200] = '\0';
    for (int i = 0; i < 22; i++) { /* 22 * 201 bytes: past PATH_MAX */
        assert_int_equal(mkdir(name, 0755), 0);
        assert_int_equal(chdir(name), 0);
    }
    cordon_task *t = shell("echo ran");
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    assert_int_equal(chdir(previous), 0);
    assert_int_equal(rc, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ConfinementError");
    assert_non_null(strstr(r->message, "File name too long"));
    assert_non_null(strstr(r->exc_out.data, "longer than PATH_MAX"));
    assert_int_equal(r->std_out.len, 0);
    cordon_task_free(t);
    /* Given a directory of its own by its full path, it runs: that one
     * failed too, for the caller's. */
    t = pwd_from_deep(base, name, previous, "/", &rc);
    r = cordon_task_result(t);
    assert_int_equal(rc, 0);
    assert_string_equal(r->std_out.data, "/\n");
    cordon_task_free(t);
    /* A relative one is the caller's too long path's: refused by the call,
     * which makes it absolute (it was taken at the run, whose message
     * said only "File name too long" before it said why). */
    assert_int_equal(chdir(base), 0);
    for (int i = 0; i < 22; i++)
        assert_int_equal(chdir(name), 0);
    t = shell("pwd");
    rc = cordon_set_cwd(t, ".");
    assert_int_equal(chdir(previous), 0);
    assert_int_equal(rc, -ENAMETOOLONG);
    cordon_task_free(t);
    char command[160];
    snprintf(command, sizeof command, "rm -rf '%s'", base);
    assert_int_equal(system(command), 0);
}

/* A mount the caller has read-only stays so in the task's view, under a
 * rule that lets the task write it and as the source of a writable bind:
 * the writable trees are clones with the caller's own flags. */
static void test_mounts_a_read_only_mount_of_the_caller_stays_read_only(void **state)
{
    (void)state;
    require_mount_namespace();
    if (geteuid() != 0)
        skip(); /* the caller's read-only mount is made in a namespace of root's */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount(source, source, "none", MS_BIND, NULL) != 0 ||
            mount(NULL, source, "none", MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0)
            _exit(3);
        char command[400];
        snprintf(command, sizeof command, "echo x > %s/ro-written", source);
        cordon_task *t = shell(command);
        cordon_allow_system_paths(t);
        cordon_allow_path(t, source, CORDON_READ | CORDON_WRITE);
        if (cordon_run(t) != 0 || cordon_task_result(t)->exit_code == 0)
            _exit(4);
        cordon_task_free(t);
        snprintf(command, sizeof command, "echo x > %s/ro-written", target);
        t = shell(command);
        cordon_add_bind(t, source, target, 0);
        cordon_allow_system_paths(t);
        cordon_allow_path(t, "/var/tmp", CORDON_READ);
        if (cordon_run(t) != 0 || cordon_task_result(t)->exit_code == 0)
            _exit(5);
        cordon_task_free(t);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char path[160];
    snprintf(path, sizeof path, "%s/ro-written", source);
    assert_int_equal(access(path, F_OK), -1);
}

/* Creates `name` beneath `arg`; its errno, or 0. */
static int create_in(const char *dir, const char *name)
{
    char path[200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    close(fd);
    unlink(path);
    return 0;
}

/* Returns what creating a file in the bind and in its submount gave. */
static int write_into_bind(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    int errnos[2] = { create_in(target, "top"), create_in(target, "sub/below") };
    cordon_return(ctx, errnos, sizeof errnos);
    return 0;
}

/* The two errnos of write_into_bind under a bind of `flags`, or -1. */
static int bind_and_write(unsigned flags, int errnos[2])
{
    cordon_task *t = cordon_function_task(write_into_bind, NULL);
    if (!t || cordon_add_bind(t, source, target, flags) != 0 || cordon_run(t) != 0)
        return -1;
    const cordon_result *r = cordon_task_result(t);
    int rc = r->returns.len == 2 * sizeof(int) ? 0 : -1;
    if (rc == 0)
        memcpy(errnos, r->returns.data, 2 * sizeof(int));
    cordon_task_free(t);
    return rc;
}

/* A mount namespace of this copy of the test's own (and `extra`), with a
 * user namespace mapping its own ids where it is not root. */
static int enter_own_namespaces(int extra)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWNS | extra | (uid ? CLONE_NEWUSER : 0)) != 0)
        return -1;
    char map[64];
    if (uid) {
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
        if (write_existing_file("/proc/self/setgroups", "deny") != 0 ||
            write_existing_file("/proc/self/uid_map", map) != 0)
            return -1;
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
        if (write_existing_file("/proc/self/gid_map", map) != 0)
            return -1;
    }
    return 0;
}

/* A mount namespace of this copy of the test's own (through a user
 * namespace when not root), where a tmpfs goes on source/sub without
 * touching the machine's mounts. */
static int mount_tmpfs_below_source(void)
{
    if (enter_own_namespaces(0) != 0)
        return -1;
    char sub[96];
    snprintf(sub, sizeof sub, "%s/sub", source);
    if (mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", sub, "tmpfs", 0, "mode=0777") != 0)
        return -1;
    return 0;
}

/* In a copy of the test: 0 when a read-only bind refuses writes at its
 * top and in its submount with EROFS, and a writable one takes both. */
static int check_read_only_with_submount(void)
{
    if (mount_tmpfs_below_source() != 0)
        return 10;
    int errnos[2];
    if (bind_and_write(CORDON_BIND_READONLY, errnos) != 0)
        return 11;
    if (errnos[0] != EROFS)
        return 12;
    if (errnos[1] != EROFS)
        return 13;
    if (bind_and_write(0, errnos) != 0)
        return 14;
    return errnos[0] == 0 && errnos[1] == 0 ? 0 : 15;
}

/* ---- propagation ---- */

static int count_mounts(void)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f)
        return -1;
    int lines = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        lines += c == '\n';
    fclose(f);
    return lines;
}

/* A task with file rules: one allowed to write `target` (its view is made
 * read-only, `target` mounted back writable), which then watches for up to
 * 3 s for a mount on `source`, which the caller makes after 300 ms. */
static cordon_task *watching_task(void)
{
    char command[400];
    snprintf(command, sizeof command,
             "for i in $(seq 30); do grep -q ' %s ' /proc/self/mountinfo && "
             "{ echo seen; exit; }; sleep 0.1; done; echo unseen", source);
    cordon_task *t = shell(command);
    cordon_allow_system_paths(t);
    cordon_allow_path(t, target, CORDON_READ | CORDON_WRITE);
    return t;
}

/* In a copy of the test, in a mount namespace of its own whose mounts are
 * shared (as a systemd machine's are): 0 when the task's mounts stayed out
 * of it and its later mount stayed out of the task's read-only view. */
static int check_propagation(void)
{
    if (mount_tmpfs_below_source() != 0 || mount(NULL, "/", "none", MS_REC | MS_SHARED, NULL) != 0)
        return 10;
    int before = count_mounts();
    cordon_task *t = watching_task();
    if (cordon_run_async(t) != 0)
        return 11;
    usleep(300 * 1000);
    if (mount("tmpfs", source, "tmpfs", 0, "mode=0755") != 0)
        return 12;
    if (cordon_join(t) != 0 || cordon_task_result(t)->exit_code != 0)
        return 13;
    int seen = strcmp(cordon_task_result(t)->std_out.data, "seen\n") == 0;
    cordon_task_free(t);
    umount(source);
    if (count_mounts() != before)
        return 14; /* what the task's init mounted stayed in the caller's namespace */
    return seen ? 15 : 0;
}

/* The start of a check of a mount the caller makes while a task runs:
 * `late` made beneath the source, the copy's mounts shared (as a systemd
 * machine's are).  0, or 10 where the copy cannot. */
static int share_mounts_beside(const char *late)
{
    if (mkdir(late, 0777) != 0 && errno != EEXIST)
        return 10;
    if (mount_tmpfs_below_source() != 0 || mount(NULL, "/", "none", MS_REC | MS_SHARED, NULL) != 0)
        return 10;
    return 0;
}

/* Its end: 0 when the task said `want`, 13 when it did not end, 14 when
 * it said something else; `late` unmounted and removed. */
static int task_said_after_the_late_mount(cordon_task *t, const char *late, const char *want)
{
    if (cordon_join(t) != 0)
        return 13;
    int rc = strcmp(cordon_task_result(t)->std_out.data, want) == 0 ? 0 : 14;
    if (rc)
        fprintf(stderr, "the task said: %s", cordon_task_result(t)->std_out.data);
    cordon_task_free(t);
    umount(late);
    rmdir(late);
    return rc;
}

/* In a copy of the test with shared mounts, as propagation_stays_out:
 * 0 when a mount the caller made beneath a read-only bind's source while
 * the task ran neither showed in the bind nor took the task's write (a
 * slave bind took it, writable: an automount, a disk). */
static int check_late_mount_beneath_a_read_only_bind(void)
{
    char late[96], command[600];
    snprintf(late, sizeof late, "%s/late", source);
    if (share_mounts_beside(late) != 0)
        return 10;
    snprintf(command, sizeof command,
             "sleep 1; grep -c ' %s/late ' /proc/self/mountinfo; "
             "echo x 2>/dev/null > %s/late/from-the-task && echo wrote || echo refused",
             target, target);
    cordon_task *t = shell(command);
    if (cordon_add_bind(t, source, target, CORDON_BIND_READONLY) != 0 || cordon_run_async(t) != 0)
        return 11;
    usleep(300 * 1000);
    if (mount("tmpfs", late, "tmpfs", 0, "mode=0777") != 0)
        return 12;
    return task_said_after_the_late_mount(t, late, "0\nrefused\n");
}

/* In a copy of the test with shared mounts: 0 when a /proc the caller
 * mounted while the task ran stayed out of the task's default view (no
 * binds, no file rules).  A slave view took it uncovered, writable: a
 * task of root's opened the caller's /proc/sys/kernel/core_pattern for
 * writing through it; cover_mounts had covered only what was there at
 * the start. */
static int check_late_kernel_mount_in_the_default_view(void)
{
    char late[96], command[300];
    snprintf(late, sizeof late, "%s/late-proc", source);
    if (share_mounts_beside(late) != 0)
        return 10;
    snprintf(command, sizeof command, "sleep 1; grep -c ' %s ' /proc/self/mountinfo; ls %s | wc -l",
             late, late);
    cordon_task *t = shell(command);
    if (cordon_run_async(t) != 0)
        return 11;
    usleep(300 * 1000);
    /* A proc where the copy may mount one (root); else a tmpfs, which the
     * view took as it would any mount. */
    if (mount("proc", late, "proc", 0, NULL) != 0 &&
        mount("tmpfs", late, "tmpfs", 0, "mode=0755") != 0)
        return 12;
    return task_said_after_the_late_mount(t, late, "0\n0\n");
}

/* Runs `check` in a forked copy of the test (its namespaces and mounts
 * stay there) and asserts it returned 0; `cannot` is its status when the
 * machine cannot make the set-up it needs, which skips with `why`. */
static void check_in_a_copy(int (*check)(void), int cannot, const char *why)
{
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0)
        _exit(check());
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_true(WIFEXITED(status));
    if (cannot && WEXITSTATUS(status) == cannot) {
        print_message("%s\n", why);
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Mount propagation: what the init mounted for a task (its writable trees
 * in a view made read-only) showed up, and stayed, in the caller's
 * namespace where the caller's mounts are shared; and a mount the caller
 * made while the task ran came writable into its read-only view. */
static void test_mounts_propagation_stays_out_of_both_views(void **state)
{
    (void)state;
    require_mount_namespace();
    if (!(probe_confinement() & CORDON_CONFINED_LANDLOCK))
        skip();
    check_in_a_copy(check_propagation, 10,
                    "this test cannot make a mount namespace of its own with shared mounts");
}

static void test_mounts_a_later_mount_beneath_a_read_only_bind_stays_out(void **state)
{
    (void)state;
    require_mount_namespace();
    check_in_a_copy(check_late_mount_beneath_a_read_only_bind, 10,
                    "this test cannot make a mount namespace of its own with shared mounts");
}

static void test_mounts_a_later_kernel_mount_stays_out_of_the_default_view(void **state)
{
    (void)state;
    require_mount_namespace();
    check_in_a_copy(check_late_kernel_mount_in_the_default_view, 10,
                    "this test cannot make a mount namespace of its own with shared mounts");
}

/* 60 starts of `command`, which prints "0" where the task sees nothing of
 * the mount the caller keeps changing: 0 when none saw it and at least
 * `least` ran (the rest refused, saying why), 14 when one saw it, 15 when
 * too few ran. */
static int starts_beside_changes(const char *command, int least)
{
    int ran = 0, seen = 0;
    for (int i = 0; i < 60; i++) {
        cordon_task *t = shell(command);
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        if (rc == 0 && strcmp(r->std_out.data, "0\n") == 0)
            ran++;
        else if (!(rc == CORDON_EXCEPTION && strcmp(r->exception, "ConfinementError") == 0 &&
                   (strstr(r->message, "mount table changed") ||
                    strstr(r->exc_out.data, "moved by a rename"))))
            seen++, fprintf(stderr, "start %d: %d %s %s", i, rc, r->std_out.data, r->message);
        cordon_task_free(t);
    }
    if (ran < least)
        fprintf(stderr, "%d of 60 starts ran\n", ran);
    return seen ? 14 : ran < least ? 15 : 0;
}

/* In a copy of the test: 0 when no task's view held a kernel file system
 * (a proc as root; as another user, the copy's message queues) that the
 * caller mounted again and again while the tasks started.  The view is a
 * copy of the caller's mounts, and the init covered what the parent had
 * read of them before: a mount made between that read and the copy stayed
 * uncovered for the task's whole run (20 starts of 75 under a mount loop
 * showed the machine's processes).  A start that saw the table change is
 * made again; one that kept seeing it is refused (ConfinementError). */
static int check_mounts_made_while_tasks_start(void)
{
    bool root = geteuid() == 0;
    const char *type = root ? "proc" : "mqueue";
    char late[96], command[200];
    snprintf(late, sizeof late, "%s/late-race", source);
    struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
    if (enter_own_namespaces(root ? 0 : CLONE_NEWIPC) != 0 ||
        mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        (mkdir(late, 0777) != 0 && errno != EEXIST) ||
        (!root && mq_open("/cordon-race", O_CREAT | O_RDWR, 0600, &attr) < 0) ||
        mount(type, late, type, 0, NULL) != 0 || umount(late) != 0)
        return 10;
    pid_t toggler = fork();
    if (toggler < 0)
        return 10;
    /* As a build farm's chroots or `ip netns add` would, some fifty
     * changes a second (a loop with no pause leaves no start a still
     * table: the watch runs from before the covers are read to the view's
     * copy, which under AddressSanitizer follows a fork of this whole
     * process, tens of ms). */
    if (toggler == 0)
        for (;;) {
            mount(type, late, type, 0, NULL);
            usleep(20000);
            umount(late);
            usleep(20000);
        }
    /* Empty when unmounted or covered (a tmpfs of mode 000). */
    snprintf(command, sizeof command, "ls -A %s 2>/dev/null | wc -l", late);
    int said = starts_beside_changes(command, 15);
    kill(toggler, SIGKILL);
    waitpid(toggler, NULL, 0);
    umount(late);
    rmdir(late);
    return said;
}

static void test_mounts_a_mount_made_while_a_task_starts_is_covered(void **state)
{
    (void)state;
    require_mount_namespace();
    check_in_a_copy(check_mounts_made_while_tasks_start, 10,
                    "this test cannot make a mount namespace of its own and mount in it");
}

/* In a copy of the test: 0 when no task's view held a kernel file system
 * (as above) whose directory's parent was renamed back and forth while the
 * tasks started.  A rename moves the mount without the table's POLLPRI,
 * and in the task's view too: the init covered the path the parent had
 * read, where nothing was any more, and the mount stayed uncovered at
 * its other place.  The init finds it where it is now and covers it
 * there; a start is refused only while renames go on past its looks. */
static int check_mounts_moved_while_tasks_start(void)
{
    bool root = geteuid() == 0;
    const char *type = root ? "proc" : "mqueue";
    char places[2][96], kept[112], command[300];
    snprintf(places[0], sizeof places[0], "%s/moved-a", source);
    snprintf(places[1], sizeof places[1], "%s/moved-b", source);
    snprintf(kept, sizeof kept, "%s/kept", places[0]);
    struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
    if (enter_own_namespaces(root ? 0 : CLONE_NEWIPC) != 0 ||
        mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mkdir(places[0], 0777) != 0 || mkdir(kept, 0777) != 0 ||
        (!root && mq_open("/cordon-moved", O_CREAT | O_RDWR, 0600, &attr) < 0) ||
        mount(type, kept, type, 0, NULL) != 0)
        return 10;
    pid_t mover = fork();
    if (mover < 0)
        return 10;
    if (mover == 0)
        for (int at = 0;; at = !at) {
            rename(places[at], places[!at]);
            usleep(6000);
        }
    /* Empty when covered (a tmpfs of mode 000), at either place. */
    snprintf(command, sizeof command, "ls -A %s/kept %s/kept 2>/dev/null | grep -v : | grep . | wc -l",
             places[0], places[1]);
    int said = starts_beside_changes(command, 10);
    kill(mover, SIGKILL);
    waitpid(mover, NULL, 0);
    for (int at = 0; at < 2; at++) {
        snprintf(kept, sizeof kept, "%s/kept", places[at]);
        umount(kept);
        rmdir(kept);
        rmdir(places[at]);
    }
    return said;
}

static void test_mounts_a_mount_moved_while_a_task_starts_is_covered(void **state)
{
    (void)state;
    require_mount_namespace();
    check_in_a_copy(check_mounts_moved_while_tasks_start, 10,
                    "this test cannot make a mount namespace of its own and mount in it");
}

/* In a copy of the test: a kernel file system (a proc as root, else the
 * copy's message queues) mounted at a path longer than PATH_MAX, which no
 * cover reaches by its path: every task failed "entering its namespaces:
 * File name too long", naming nothing.  0 when the start is refused
 * naming the mount. */
static int check_mount_past_path_max(void)
{
    bool root = geteuid() == 0;
    const char *type = root ? "proc" : "mqueue";
    char name[201];
    memset(name, 'd', 200);
    name[200] = '\0';
    if (enter_own_namespaces(root ? 0 : CLONE_NEWIPC) != 0 ||
        mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 || chdir(source) != 0)
        return 10;
    int depth = 0, rc = 0;
    for (; depth < 22 && rc == 0; depth++)
        rc = mkdir(name, 0755) == 0 && chdir(name) == 0 ? 0 : 11;
    if (rc == 0 && (mkdir("late", 0755) != 0 || mount(type, "late", type, 0, NULL) != 0))
        rc = 10;
    if (rc == 0) {
        cordon_task *t = shell("true");
        int run = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        if (run != CORDON_EXCEPTION || strcmp(r->exception, "ConfinementError") != 0 ||
            !strstr(r->message, "longer than PATH_MAX") || !strstr(r->message, "dddd/late'"))
            rc = 12, fprintf(stderr, "the task ended: %d %s\n", run, r->message);
        cordon_task_free(t);
        umount("late");
    }
    rmdir("late");
    for (; depth > 0 && chdir("..") == 0; depth--)
        rmdir(name);
    return rc;
}

static void test_mounts_a_mount_past_path_max_is_named(void **state)
{
    (void)state;
    require_mount_namespace();
    check_in_a_copy(check_mount_past_path_max, 10,
                    "this test cannot make a mount namespace of its own and mount in it");
}

/* ---- the caller's message queues by path ---- */

/* In a copy of the test: a mount and IPC namespace of its own (through a
 * user namespace when not root) whose /dev is a tmpfs holding the usual
 * nodes and, as on a systemd machine, the IPC namespace's message queues
 * mounted at /dev/mqueue. */
static int dev_with_mqueue(void)
{
    if (enter_own_namespaces(CLONE_NEWIPC) != 0)
        return -1;
    static const char *const nodes[] = { "null", "zero", "full", "random", "urandom" };
    int fds[5];
    char path[64];
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "/dev/%s", nodes[i]);
        if ((fds[i] = open(path, O_PATH | O_CLOEXEC)) < 0)
            return -1;
    }
    if (mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") != 0)
        return -1;
    for (int i = 0; i < 5; i++) {
        char node[64];
        snprintf(path, sizeof path, "/dev/%s", nodes[i]);
        snprintf(node, sizeof node, "/proc/self/fd/%d", fds[i]);
        int made = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
        if (made < 0 || close(made) != 0 || mount(node, path, "none", MS_BIND, NULL) != 0)
            return -1;
        close(fds[i]);
    }
    if (mkdir("/dev/pts", 0755) != 0 || mkdir("/dev/shm", 01777) != 0 ||
        mkdir("/dev/mqueue", 01777) != 0 || mount("mqueue", "/dev/mqueue", "mqueue", 0, NULL) != 0)
        return -1;
    return 0;
}

/* Sends to the caller's queue through its path: 1 when it could. */
static int send_by_path(cordon_ctx *ctx, void *path)
{
    (void)ctx;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    return fd >= 0 && mq_send(fd, "task", 4, 0) == 0;
}

static int check_queue_by_path(void)
{
    if (dev_with_mqueue() != 0)
        return 10;
    struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 16 };
    mqd_t queue = mq_open("/cordon-test-queue", O_CREAT | O_RDWR | O_NONBLOCK, 0600, &attr);
    if (queue < 0)
        return 10;
    cordon_task *t = cordon_function_task(send_by_path, "/dev/mqueue/cordon-test-queue");
    cordon_set_policy(t, NULL);
    if (cordon_run(t) != 0)
        return 11;
    int sent = cordon_task_result(t)->exit_code;
    if (!(cordon_task_result(t)->confinement & CORDON_CONFINED_IPC_NAMESPACE))
        return 10;
    cordon_task_free(t);
    char got[16];
    if (mq_receive(queue, got, sizeof got, NULL) >= 0)
        return 12; /* the task's message is in the caller's queue */
    return sent ? 13 : 0;
}

/* The task's IPC namespace held the caller's queues from mq_open, not
 * from their path in the caller's mqueue mount (/dev/mqueue). */
static void test_mounts_the_callers_message_queues_are_out_of_reach_by_path(void **state)
{
    (void)state;
    require_mount_namespace();
    check_in_a_copy(check_queue_by_path, 10,
                    "this test cannot make a /dev with message queues of its own here");
}

/* In the task (no policy): a user and mount namespace of its own, and a
 * FUSE file system mounted there from `device`: 1 when the kernel took
 * it (then unmounted at once, nothing read from it), 0 when refused, 2
 * when the test could not get that far. */
static int mounts_fuse(cordon_ctx *ctx, void *device)
{
    (void)ctx;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    /* A task made nobody by a root caller is not dumpable: its
     * /proc/self files would stay root's, its maps unwritable. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0 || unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
        return 2;
    /* Inside as 1: mapping 0 needs CAP_SETFCAP, which a root task lacks. */
    char map[64];
    snprintf(map, sizeof map, "1 %u 1\n", (unsigned)uid);
    if (write_existing_file("/proc/self/setgroups", "deny") != 0 ||
        write_existing_file("/proc/self/uid_map", map) != 0)
        return 2;
    snprintf(map, sizeof map, "1 %u 1\n", (unsigned)gid);
    if (write_existing_file("/proc/self/gid_map", map) != 0 ||
        mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", "/tmp", "tmpfs", 0, "mode=0755") != 0)
        return 2;
    int fd = open(device, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char options[128];
    snprintf(options, sizeof options, "fd=%d,rootmode=40000,user_id=1,group_id=1", fd);
    if (mount("cordon-test", "/tmp", "fuse", MS_NOSUID | MS_NODEV, options) != 0)
        return 0;
    umount2("/tmp", MNT_DETACH);
    return 1;
}

/* 0 when the file at `path` is the null device, 1 when it is another
 * device, 2 when there is none. */
static int is_the_null_device(cordon_ctx *ctx, void *path)
{
    (void)ctx;
    struct stat st;
    if (stat(path, &st) != 0)
        return 2;
    return S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) ? 0 : 1;
}

/* The machine's /dev/fuse, as `st`, or the test skipped. */
static void require_fuse_device(struct stat *st)
{
    if (stat("/dev/fuse", st) != 0 || !S_ISCHR(st->st_mode)) {
        print_message("skipped: no /dev/fuse here\n");
        skip();
    }
}

/* Under a minimal /dev, a bind of the caller's (--dev minimal --bind /dev
 * DIR) brought DIR/fuse along uncovered: the covers were made only where
 * the caller's /dev was the task's own. */
static void test_mounts_a_bind_of_dev_beside_a_minimal_dev_covers_fuse(void **state)
{
    (void)state;
    require_mount_namespace();
    struct stat st;
    require_fuse_device(&st);
    char bound[96];
    snprintf(bound, sizeof bound, "%s/fuse", target);
    cordon_task *t = cordon_function_task(is_the_null_device, bound);
    assert_int_equal(cordon_set_policy(t, NULL), 0);
    assert_int_equal(cordon_set_minimal_dev(t, 1), 0);
    assert_int_equal(cordon_add_bind(t, "/dev", target, 0), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
}

/* A FUSE server's answer is waited for in a way SIGKILL does not end: a
 * task under --policy none mounted one of its own, kept /dev/fuse open,
 * read a page never served, and outlived its deadline, its init and its
 * caller.  The caller's /dev/fuse is the null device in the task's view,
 * and so beneath a bind of /dev; a bind asked for onto /dev/fuse itself
 * gives the device. */
static void test_mounts_no_task_serves_a_file_system_of_its_own(void **state)
{
    (void)state;
    require_mount_namespace();
    struct stat st;
    require_fuse_device(&st);
    /* The task runs as nobody (below): where the device is not open to
     * every user (mode 0600 on some machines), no task can mount with it
     * and the bind asked for proves nothing. */
    if ((st.st_mode & 0006) != 0006) {
        print_message("skipped: /dev/fuse is not open to every user here\n");
        skip();
    }
    static const struct { const char *device, *bind_source, *bind_target; int mounted; } runs[] = {
        { "/dev/fuse", NULL, NULL, 0 },
        { "/tmp/fuse", "/dev", "/tmp", 0 },
        { "/dev/fuse", "/dev/fuse", "/dev/fuse", 1 },
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        cordon_task *t = cordon_function_task(mounts_fuse, (void *)runs[i].device);
        assert_int_equal(cordon_set_policy(t, NULL), 0);
        cordon_set_timeout_ms(t, 20000);
        /* Mapping uid 0 into a user namespace needs CAP_SETFCAP, which no
         * task has: a root caller's task runs as nobody here. */
        if (geteuid() == 0)
            assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
        if (runs[i].bind_source)
            assert_int_equal(cordon_add_bind(t, runs[i].bind_source, runs[i].bind_target, 0), 0);
        assert_int_equal(cordon_run(t), 0);
        int got = cordon_task_result(t)->exit_code;
        cordon_task_free(t);
        if (got == 2) {
            print_message("skipped: no user namespace for a task here\n");
            skip();
        }
        if (got != runs[i].mounted)
            fail_msg("%s (bind %s): mounted %d", runs[i].device,
                     runs[i].bind_source ? runs[i].bind_source : "none", got);
    }
}

/* The classic bug: MS_BIND | MS_RDONLY in one mount(2) makes a writable
 * bind, and a non-recursive read-only remount leaves submounts writable. */
static void test_mounts_read_only_bind_refuses_writes_beneath_submounts(void **state)
{
    (void)state;
    require_mount_namespace();
    check_in_a_copy(check_read_only_with_submount, 10,
                    "this test cannot make a mount namespace of its own to hold a submount");
}

static void test_mounts_read_only_bind_of_a_file(void **state)
{
    (void)state;
    require_mount_namespace();
    char from[160], command[400];
    snprintf(from, sizeof from, "%s/given", source);
    put_file(source, "given", "a file\n");
    snprintf(command, sizeof command, "cat %s; echo x >> %s || echo refused", file_target,
             file_target);
    cordon_task *t = shell(command);
    assert_int_equal(cordon_add_bind(t, from, file_target, CORDON_BIND_READONLY), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "a file\nrefused\n");
    assert_non_null(strstr(r->std_err.data, "Read-only file system"));
    cordon_task_free(t);
}

static void test_mounts_bad_binds_are_refused(void **state)
{
    (void)state;
    cordon_task *t = shell("true");
    assert_int_equal(cordon_add_bind(t, source, "relative", 0), -EINVAL);
    assert_int_equal(cordon_add_bind(t, source, "/", 0), -EINVAL);
    /* A tmpfs over the root would hide nothing: the task's root stays. */
    assert_int_equal(cordon_add_tmpfs(t, "/"), -EINVAL);
    assert_int_equal(cordon_add_tmpfs(t, "//."), -EINVAL);
    assert_int_equal(cordon_add_bind(t, NULL, target, 0), -EINVAL);
    assert_int_equal(cordon_add_bind(t, source, target, 2), -EINVAL);
    assert_int_equal(cordon_add_bind(t, "/no/such/dir", target, 0), -ENOENT);
    assert_int_equal(cordon_add_bind(t, source, "/no/such/dir", 0), -ENOENT);
    assert_int_equal(cordon_add_bind(t, source, file_target, 0), -ENOTDIR);
    assert_int_equal(cordon_add_bind(t, "/etc/passwd", target, 0), -EISDIR);
    /* Mounts that would hide each other. */
    assert_int_equal(cordon_add_tmpfs(t, "/var/tmp"), 0);
    assert_int_equal(cordon_add_bind(t, source, target, 0), -EXDEV);
    cordon_task_free(t);
    t = shell("true");
    assert_int_equal(cordon_add_bind(t, source, target, 0), 0);
    assert_int_equal(cordon_add_tmpfs(t, "/var/tmp"), -EXDEV);
    /* The same target twice is refused (below): seven apart. */
    const char *const apart[] = { "/usr/bin", "/usr/lib", "/usr/sbin", "/usr/share",
                                  "/usr/include", "/usr/local", "/etc" };
    for (int i = 0; i < 7; i++)
        assert_int_equal(cordon_add_bind(t, apart[i], apart[i], CORDON_BIND_READONLY), 0);
    assert_int_equal(cordon_add_bind(t, "/usr", "/usr", CORDON_BIND_READONLY), -E2BIG);
    cordon_task_free(t);
    /* Nothing to mount on in a /dev of the task's own. */
    t = shell("true");
    assert_int_equal(cordon_add_bind(t, "/dev/null", "/dev/zero", 0), 0);
    assert_int_equal(cordon_task_check(t, NULL), 0);
    assert_int_equal(cordon_set_minimal_dev(t, 1), 0);
    /* said before a run too, naming the target (the error was empty) */
    assert_int_equal(cordon_task_check(t, NULL), -EXDEV);
    cordon_error err;
    assert_int_equal(cordon_task_check(t, &err), -EXDEV);
    assert_int_equal(err.code, -EXDEV);
    assert_non_null(strstr(err.message, "the bind's target /dev/zero lies in the task's own /dev"));
    assert_int_equal(cordon_task_check(NULL, &err), -EINVAL); /* said, not an empty error */
    assert_int_equal(err.code, -EINVAL);
    assert_string_equal(err.message, "the task is NULL");
    assert_int_equal(cordon_run(t), -EXDEV);
    cordon_task_free(t);
    /* Nor in its own /proc, nor a tmpfs in a /dev of its own: the run
     * failed with "Stale file handle", naming nothing. */
    static const char *const inside[][3] = {
        { "tmpfs", "/proc", "/proc" }, { "tmpfs", "/proc/sys", "/proc" },
        { "bind", "/proc/sys", "/proc" }, { "tmpfs", "/dev", "/dev" },
    };
    for (int i = 0; i < 4; i++) {
        t = shell("true");
        if (strcmp(inside[i][0], "bind") == 0)
            assert_int_equal(cordon_add_bind(t, "/tmp", inside[i][1], 0), 0);
        else
            assert_int_equal(cordon_add_tmpfs(t, inside[i][1]), 0);
        if (strcmp(inside[i][2], "/dev") == 0)
            assert_int_equal(cordon_set_minimal_dev(t, 1), 0);
        char said[160];
        snprintf(said, sizeof said, "the %s at %s lies in the task's own %s", inside[i][0],
                 inside[i][1], inside[i][2]);
        assert_int_equal(cordon_task_check(t, &err), -EXDEV);
        if (!strstr(err.message, said))
            fail_msg("%s: %s", inside[i][1], err.message);
        assert_int_equal(cordon_run(t), -EXDEV);
        cordon_task_free(t);
    }
    /* The task's own /proc is its pid namespace's. */
    SKIP_UNDER_VALGRIND("valgrind has no pidfd_open: no task gets namespaces under it");
    /* Nor a rule letting it write there, by its path or by a link to it:
     * it cloned the caller's /proc/sys/kernel (the parent's /proc/PID for
     * /proc/self) writable into the task's view, beneath its /proc.  A
     * rule to read there stays. */
    static const char *const written[] = { "/proc/sys/kernel", "/proc/self" };
    for (int i = 0; i < 2; i++) {
        t = shell("true");
        assert_int_equal(cordon_allow_path(t, written[i], CORDON_READ | CORDON_WRITE), 0);
        assert_int_equal(cordon_task_check(t, &err), -EXDEV);
        assert_non_null(strstr(err.message, "lies in the task's own /proc"));
        assert_int_equal(cordon_run(t), -EXDEV);
        cordon_task_free(t);
    }
    char link[96];
    snprintf(link, sizeof link, "%s/to-proc-sys", target);
    assert_int_equal(symlink("/proc/sys", link), 0);
    t = shell("true");
    assert_int_equal(cordon_allow_path(t, link, CORDON_WRITE), 0);
    assert_int_equal(cordon_task_check(t, &err), -EXDEV);
    assert_non_null(strstr(err.message, "/proc/sys lies in the task's own /proc"));
    cordon_task_free(t);
    unlink(link);
    t = shell("true");
    assert_int_equal(cordon_allow_path(t, "/proc/self", CORDON_READ), 0);
    assert_int_equal(cordon_task_check(t, &err), 0);
    cordon_task_free(t);
    /* Beneath /sys, read-only for every task: the rule was taken, and the
     * task's writes failed with EROFS.  Reading there stays. */
    t = shell("true");
    assert_int_equal(cordon_allow_path(t, "/sys/kernel/mm", CORDON_READ | CORDON_WRITE), 0);
    assert_int_equal(cordon_task_check(t, &err), -EROFS);
    assert_non_null(strstr(err.message, "/sys/kernel/mm lies beneath /sys, which is read-only"));
    assert_int_equal(cordon_run(t), -EROFS);
    cordon_task_free(t);
    t = shell("true");
    assert_int_equal(cordon_allow_path(t, "/sys/kernel/mm", CORDON_READ), 0);
    assert_int_equal(cordon_task_check(t, &err), 0);
    cordon_task_free(t);
    /* A writable bind from beneath /sys, the same: with a file rule it was
     * cloned with the caller's flags, and a root task made files in the
     * machine's /sys/fs/cgroup (a tmpfs on a machine of cgroup v1). */
    t = shell("true");
    assert_int_equal(cordon_add_bind(t, "/sys/fs/cgroup", target, 0), 0);
    assert_int_equal(cordon_allow_path(t, "/tmp", CORDON_READ | CORDON_WRITE), 0);
    assert_int_equal(cordon_task_check(t, &err), -EROFS);
    assert_non_null(strstr(err.message, "source '/sys/fs/cgroup' lies beneath /sys"));
    assert_int_equal(cordon_run(t), -EROFS);
    cordon_task_free(t);
    t = shell("true");
    assert_int_equal(cordon_add_bind(t, "/sys/fs/cgroup", target, 0), 0);
    assert_int_equal(cordon_task_check(t, &err), -EROFS);
    cordon_task_free(t);
    t = shell("true");
    assert_int_equal(cordon_add_bind(t, "/sys/fs/cgroup", target, CORDON_BIND_READONLY), 0);
    assert_int_equal(cordon_allow_path(t, "/tmp", CORDON_READ | CORDON_WRITE), 0);
    assert_int_equal(cordon_task_check(t, &err), 0);
    cordon_task_free(t);
}

/* A bind takes the mounts beneath its source along: a bind of / showed
 * the caller's /proc (the machine's processes; a root task could write
 * the kernel's settings there) and a writable /sys beneath its target
 * where file rules made the view read-only, and, under a minimal /dev, a
 * bind of / or /dev showed the caller's terminals and shared memory.
 * What a bind brings of those is covered; a source on one of them is
 * refused by name (it had been "Stale file handle", or bound). */
static void test_mounts_a_bind_brings_nothing_of_the_kernel_or_the_caller_along(void **state)
{
    (void)state;
    require_mount_namespace();
    require_file_rules("the presets need Landlock");
    char shm_name[64], shm_path[96];
    snprintf(shm_name, sizeof shm_name, "cordon-bind-reach-%d", (int)getpid());
    snprintf(shm_path, sizeof shm_path, "/dev/shm/%s", shm_name);
    put_file("/dev/shm", shm_name, "caller-secret\n");
    const struct { const char *source, *preset, *shm; int flags; } binds[] = {
        { "/", "judge", "dev/shm", 0 },
        { "/", "isolated", "dev/shm", CORDON_BIND_READONLY },
        { "/dev", "isolated", "shm", CORDON_BIND_READONLY },
        { "/dev", NULL, "shm", 0 },
        { "/", NULL, "dev/shm", 0 },
    };
    for (size_t i = 0; i < sizeof binds / sizeof *binds; i++) {
        char command[600];
        snprintf(command, sizeof command,
                 "T=%s; "
                 "echo \"processes $(ls $T/proc $T/../proc 2>/dev/null | grep -c '^[0-9]')\"; "
                 "echo \"sys $(ls $T/sys 2>/dev/null | wc -l)\"; "
                 "echo \"shm $(cat $T/%s/%s 2>/dev/null || echo none)\"; "
                 "echo \"pts $(ls $T/dev/pts $T/pts 2>/dev/null | grep -c '^[0-9]')\"",
                 target, binds[i].shm, shm_name);
        cordon_task *t = shell(command);
        if (binds[i].preset)
            assert_int_equal(cordon_set_isolation(t, binds[i].preset), 0);
        assert_int_equal(cordon_add_bind(t, binds[i].source, target, binds[i].flags), 0);
        const cordon_result *r = run_task(t, 0);
        if (strcmp(r->std_out.data, "processes 0\nsys 0\nshm none\npts 0\n") != 0)
            fail_msg("bind of %s (%s): %s", binds[i].source,
                     binds[i].preset ? binds[i].preset : "no preset", r->std_out.data);
        cordon_task_free(t);
    }
    unlink(shm_path);
    const char *const refused[] = { "/proc", "/proc/sys", "/sys/kernel", "/dev/shm", "/dev/pts" };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        cordon_task *t = shell("true");
        assert_int_equal(cordon_set_isolation(t, "judge"), 0);
        assert_int_equal(cordon_add_bind(t, refused[i], target, 0), 0);
        cordon_error err;
        assert_int_equal(cordon_task_check(t, &err), -EXDEV);
        char said[128];
        snprintf(said, sizeof said, "the bind's source '%s' lies on /", refused[i]);
        if (!strstr(err.message, said))
            fail_msg("%s: %s", refused[i], err.message);
        assert_int_equal(cordon_run(t), -EXDEV);
        cordon_task_free(t);
    }
}

/* A caller's working directory beneath a tmpfs of the task's (the
 * caller's /tmp/build under --tmpfs /tmp) is not in the task's view: the
 * task started at "/", where a root task's relative writes landed on the
 * machine's root (a function task of a root caller, a command run as
 * root).  It starts at the tmpfs's top, as a command and as a function. */
static int writes_here_and_says_where(cordon_ctx *ctx, void *unused)
{
    (void)ctx;
    (void)unused;
    char here[PATH_MAX];
    int fd = open("made-here", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    printf("%s\n", getcwd(here, sizeof here) ? here : "?");
    return 0;
}

static void test_mounts_a_working_directory_beneath_a_tmpfs_of_the_task_s_starts_at_its_top(
    void **state)
{
    (void)state;
    require_mount_namespace();
    char previous[PATH_MAX], top[96], below[128], expected[140];
    assert_non_null(getcwd(previous, sizeof previous));
    snprintf(top, sizeof top, "%s/hidden", target);
    snprintf(below, sizeof below, "%s/build/deeper", top);
    snprintf(expected, sizeof expected, "%s\n", top);
    char command[300];
    snprintf(command, sizeof command, "mkdir -p '%s'", below);
    assert_int_equal(system(command), 0);
    for (int function = 0; function < 2; function++) {
        assert_int_equal(chdir(below), 0);
        cordon_task *t = function ? cordon_function_task(writes_here_and_says_where, NULL)
                                  : shell("touch made-here; pwd");
        assert_int_equal(cordon_add_tmpfs(t, top), 0);
        const cordon_result *r = run_task(t, 0);
        assert_int_equal(chdir(previous), 0);
        assert_string_equal(r->std_out.data, expected);
        cordon_task_free(t);
    }
    struct stat st;
    assert_int_not_equal(stat("/made-here", &st), 0); /* never on the machine's root */
    snprintf(command, sizeof command, "rm -rf '%s'", top);
    assert_int_equal(system(command), 0);
}

/* Without a memory cgroup nothing else would bound what a task keeps in
 * its tmpfs mounts: under a memory limit each is that size. */
static void test_mounts_tmpfs_is_bounded_by_the_memory_limit(void **state)
{
    (void)state;
    require_mount_namespace();
    cordon_task *t = shell("stat -f -c '%b %S' /tmp /dev/shm");
    assert_int_equal(cordon_add_tmpfs(t, "/tmp"), 0);
    assert_int_equal(cordon_set_minimal_dev(t, 1), 0);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20), 0);
    const cordon_result *r = run_task(t, 0);
    unsigned long long blocks[2], size[2];
    assert_int_equal(sscanf(r->std_out.data, "%llu %llu\n%llu %llu", &blocks[0], &size[0],
                            &blocks[1], &size[1]), 4);
    /* The limit each, where a memory cgroup counts them together; else
     * an equal part each (a caller that is not root, on cgroup v1). */
    assert_non_null(r->confinement_details);
    unsigned long long each =
        r->confinement_details->cgroup_memory_version ? 64ull << 20 : 32ull << 20;
    for (int i = 0; i < 2; i++)
        assert_int_equal(blocks[i] * size[i], each);
    cordon_task_free(t);
}

/* The working directory swapped for a link between its giving and the
 * run (a batch job did it to the next one's): not followed, said. */
static void test_mounts_replaced_working_directory_is_not_entered(void **state)
{
    (void)state;
    char swapped[96], moved[112];
    snprintf(swapped, sizeof swapped, "%s/cwd", source);
    snprintf(moved, sizeof moved, "%s/cwd-moved", source);
    assert_int_equal(mkdir(swapped, 0755), 0);
    cordon_task *t = shell("pwd -P");
    assert_int_equal(cordon_set_cwd(t, swapped), 0);
    assert_int_equal(rename(swapped, moved), 0);
    assert_int_equal(symlink("/etc", swapped), 0);
    assert_int_equal(cordon_run(t), CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->exception, "ConfinementError");
    assert_non_null(strstr(r->exc_out.data, "leads elsewhere than when it was given"));
    assert_int_equal(r->std_out.len, 0);
    /* set again, it is what the path names now */
    assert_int_equal(cordon_set_cwd(t, swapped), 0);
    assert_int_equal(cordon_run(t), 0);
    assert_string_equal(cordon_task_result(t)->std_out.data, "/etc\n");
    cordon_task_free(t);
    unlink(swapped);
    rmdir(moved);
}

/* A source swapped for a link between the bind's giving and the run (by
 * anyone who may write beside it) is not followed: the run fails. */
static void test_mounts_replaced_source_is_not_bound(void **state)
{
    (void)state;
    char swapped[96], moved[112];
    snprintf(swapped, sizeof swapped, "%s/swapped", source);
    snprintf(moved, sizeof moved, "%s/moved", source);
    assert_int_equal(mkdir(swapped, 0755), 0);
    cordon_task *t = shell("ls");
    assert_int_equal(cordon_add_bind(t, swapped, target, CORDON_BIND_READONLY), 0);
    assert_int_equal(rename(swapped, moved), 0);
    assert_int_equal(symlink("/etc", swapped), 0);
    assert_int_equal(cordon_run(t), -ESTALE);
    assert_int_equal(cordon_task_result(t)->std_out.len, 0);
    cordon_task_free(t);
    unlink(swapped);
    rmdir(moved);
}

/* A mount point's parent renamed and something else left at its old
 * name, as an earlier task of a batch (or an attempt before a retry)
 * that may write above it can do: `how` 0 a link to a decoy directory,
 * 1 a new directory, 2 a link back to the moved one.  The mount point
 * is then BASE/home2/repo. */
static void move_parent_away(const char *base, int how)
{
    char home[128], moved[128], decoy[160];
    snprintf(home, sizeof home, "%s/home", base);
    snprintf(moved, sizeof moved, "%s/home2", base);
    snprintf(decoy, sizeof decoy, "%s/decoy", base);
    assert_int_equal(rename(home, moved), 0);
    if (how == 1) {
        assert_int_equal(mkdir(home, 0755), 0);
        snprintf(decoy, sizeof decoy, "%s/repo", home);
        assert_int_equal(mkdir(decoy, 0755), 0);
        return;
    }
    if (how == 0) {
        assert_int_equal(mkdir(decoy, 0755), 0);
        strcat(decoy, "/repo");
        assert_int_equal(mkdir(decoy, 0755), 0);
    }
    assert_int_equal(symlink(how == 0 ? "decoy" : "home2", home), 0);
}

static void make_repo(char *base, size_t size)
{
    snprintf(base, size, "/var/tmp/cordon-moved-XXXXXX");
    assert_non_null(mkdtemp(base));
    char path[160];
    snprintf(path, sizeof path, "%s/home", base);
    assert_int_equal(mkdir(path, 0755), 0);
    strcat(path, "/repo");
    assert_int_equal(mkdir(path, 0755), 0);
    put_file(path, "file", "original\n");
}

static void remove_repo(const char *base)
{
    char command[200];
    snprintf(command, sizeof command, "rm -rf '%s'", base);
    assert_int_equal(system(command), 0);
}

/* A read-only bind's or a tmpfs's mount point moved since it was given
 * is not mounted on where the path leads now: before, an earlier task of
 * a batch renamed a parent and left a link to a decoy, and the next
 * task's read-only bind (or tmpfs) covered the decoy while the real
 * directory, at its new name, was open to it.  A link back to the moved
 * directory leads to the same one: mounted on it. */
static void test_mounts_mount_point_moved_since_it_was_given_is_not_mounted_elsewhere(
    void **state)
{
    (void)state;
    require_mount_namespace();
    for (int how = 0; how < 3; how++) {
        for (int tmpfs = 0; tmpfs < 2; tmpfs++) {
            char base[64], repo[96], command[400];
            make_repo(base, sizeof base);
            snprintf(repo, sizeof repo, "%s/home/repo", base);
            snprintf(command, sizeof command,
                     "cat %s/home2/repo/file; echo pwned > %s/home2/repo/file && echo wrote",
                     base, base);
            cordon_task *t = shell(command);
            /* Binds the same files over the directory: the source stays where
             * it is, in another directory. */
            char source_copy[96];
            snprintf(source_copy, sizeof source_copy, "%s/source", base);
            assert_int_equal(mkdir(source_copy, 0755), 0);
            put_file(source_copy, "file", "original\n");
            assert_int_equal(tmpfs ? cordon_add_tmpfs(t, repo)
                                   : cordon_add_bind(t, source_copy, repo, CORDON_BIND_READONLY),
                             0);
            move_parent_away(base, how);
            int rc = cordon_run(t);
            const cordon_result *r = cordon_task_result(t);
            if (rc != (how < 2 ? CORDON_EXCEPTION : 0))
                print_message("how %d, tmpfs %d: rc %d, %s\n", how, tmpfs, rc, r->exc_out.data);
            if (how < 2) {
                assert_int_equal(rc, CORDON_EXCEPTION);
                assert_string_equal(r->exception, "ConfinementError");
                assert_non_null(strstr(r->message, "Stale file handle"));
                assert_int_equal(r->std_out.len, 0);
            } else {
                /* The same directory: covered (tmpfs) or read-only (bind). */
                assert_int_equal(rc, 0);
                if (tmpfs) { /* empty, and the task's own to write */
                    assert_string_equal(r->std_out.data, "wrote\n");
                } else {
                    assert_string_equal(r->std_out.data, "original\n");
                    assert_non_null(strstr(r->std_err.data, "Read-only file system"));
                }
            }
            char file[160], text[32] = "";
            snprintf(file, sizeof file, "%s/home2/repo/file", base);
            FILE *f = fopen(file, "r");
            assert_non_null(f);
            assert_non_null(fgets(text, sizeof text, f));
            fclose(f);
            assert_string_equal(text, "original\n");
            cordon_task_free(t);
            remove_repo(base);
        }
    }
}

/* The same mount point twice (a bind's target and a tmpfs, two binds) is
 * refused when given, as one beneath another is: the second would cover
 * the first, and the init would find its directory no longer the one it
 * named.  A bind over a directory the init mounts for the task itself
 * (its own /dev/shm) is made over that, as before. */
static void test_mounts_the_same_mount_point_twice_is_refused(void **state)
{
    (void)state;
    require_mount_namespace();
    cordon_task *t = shell("true");
    assert_int_equal(cordon_add_tmpfs(t, target), 0);
    assert_int_equal(cordon_add_bind(t, source, target, CORDON_BIND_READONLY), -EXDEV);
    cordon_task_free(t);
    t = shell("true");
    assert_int_equal(cordon_add_bind(t, source, target, 0), 0);
    assert_int_equal(cordon_add_tmpfs(t, target), -EXDEV);
    assert_int_equal(cordon_add_bind(t, "/etc", target, CORDON_BIND_READONLY), -EXDEV);
    cordon_task_free(t);
    char shown[128];
    snprintf(shown, sizeof shown, "ls /dev/shm; test -d /dev/shm/sub && echo bound");
    t = shell(shown);
    assert_int_equal(cordon_add_bind(t, source, "/dev/shm", CORDON_BIND_READONLY), 0);
    const cordon_result *r = run_task(t, 0);
    assert_non_null(strstr(r->std_out.data, "bound"));
    cordon_task_free(t);
}

/* Under file rules a bind is a grant of its own: read (and execute),
 * and no write when read-only. */
static void test_mounts_bind_is_granted_under_file_rules(void **state)
{
    (void)state;
    require_mount_namespace();
    require_file_rules("no file rules to grant a bind under");
    put_file(source, "given", "granted\n");
    char command[400];
    snprintf(command, sizeof command, "cat %s/given; echo x > %s/new || echo refused", target,
             target);
    cordon_task *t = shell(command);
    assert_int_equal(cordon_set_isolation(t, "judge"), 0);
    assert_int_equal(cordon_add_bind(t, source, target, CORDON_BIND_READONLY), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "granted\nrefused\n");
    assert_true(r->confinement & CORDON_CONFINED_FILE_RULES);
    cordon_task_free(t);
}

/* A sibling of the task's user swapping a mount point it owns for a link
 * to a directory of its own, over and over (renameat2 RENAME_EXCHANGE: in
 * the caller's namespace the mount point is a plain directory). */
struct swapping {
    char point[160], link[160];
    volatile int stop;
};

static void *swap_until_stopped(void *arg)
{
    struct swapping *s = arg;
    while (!s->stop)
        syscall(SYS_renameat2, AT_FDCWD, s->point, AT_FDCWD, s->link, 2 /* RENAME_EXCHANGE */);
    return NULL;
}

/* In the task: 1 if it read the file at `arg`, else 0. */
/* A bind's or a tmpfs's grant was added by looking its path up again
 * after the mount: a sibling that swapped the mount point for a link in
 * between had the grant land on the link's directory, and the task read
 * a file no rule of its granted (12 runs of 200).  Every run now reads
 * nothing there: it runs, or ends in a ConfinementError (the mount point
 * moved). */
static void test_mounts_a_grant_follows_the_mount_not_a_link_swapped_in(void **state)
{
    (void)state;
    require_mount_namespace();
    require_file_rules("no grant to move");
    char base[64] = "/var/tmp/cordon-grant-race-XXXXXX", dir[160], secret[160];
    assert_non_null(mkdtemp(base));
    snprintf(dir, sizeof dir, "%s/job", base);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(dir, sizeof dir, "%s/victim", base);
    assert_int_equal(mkdir(dir, 0755), 0);
    put_file(dir, "secret", "secret\n");
    snprintf(secret, sizeof secret, "%s/victim/secret", base);
    struct swapping swap = { .stop = 0 };
    snprintf(swap.point, sizeof swap.point, "%s/job/point", base);
    snprintf(swap.link, sizeof swap.link, "%s/job/link", base);
    assert_int_equal(mkdir(swap.point, 0755), 0);
    assert_int_equal(symlink("../victim", swap.link), 0);
    pthread_t swapper;
    assert_int_equal(pthread_create(&swapper, NULL, swap_until_stopped, &swap), 0);
    int read_it = 0, ran = 0, refused = 0;
    for (int i = 0; i < 200; i++) {
        cordon_task *t = cordon_function_task(reads_the_file, secret);
        assert_int_equal(cordon_allow_path(t, source, CORDON_READ), 0);
        int added = i % 2 ? cordon_add_tmpfs(t, swap.point)
                          : cordon_add_bind(t, source, swap.point, CORDON_BIND_READONLY);
        if (added == 0) { /* the point named a directory when given */
            int rc = cordon_run(t);
            const cordon_result *r = cordon_task_result(t);
            read_it += rc == 0 && r->exit_code == 1;
            ran += rc == 0;
            refused += rc == CORDON_EXCEPTION && strcmp(r->exception, "ConfinementError") == 0;
        }
        cordon_task_free(t);
    }
    swap.stop = 1;
    pthread_join(swapper, NULL);
    print_message("200 runs: %d ran, %d refused, %d read the file\n", ran, refused, read_it);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", base);
    assert_int_equal(system(command), 0);
    assert_int_equal(read_it, 0);
    assert_true(ran > 0);
}

/* ---- /dev ---- */

static void test_mounts_minimal_dev_holds_only_the_listed_nodes(void **state)
{
    (void)state;
    require_mount_namespace();
    cordon_task *t = shell("ls -A /dev | tr '\\n' ' '; echo; echo x > /dev/null && echo null; "
                           "head -c 3 /dev/zero | wc -c; head -c 5 /dev/urandom | wc -c; "
                           "echo s > /dev/shm/s && cat /dev/shm/s; "
                           "touch /dev/new 2>/dev/null || echo read-only; "
                           "ls /dev/pts | tr '\\n' ' '; echo; readlink /dev/stdout");
    assert_int_equal(cordon_set_minimal_dev(t, 1), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data,
                        "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero \n"
                        "null\n3\n5\ns\nread-only\nptmx \n/proc/self/fd/1\n");
    assert_true(r->confinement & CORDON_CONFINED_MINIMAL_DEV);
    cordon_task_free(t);
}

/* A device node outside /dev opens nothing: root had made a node of
 * /dev/fuse in /tmp, and a nobody task opened through it the device its
 * /dev hides.  Every mount of the view is nodev but /dev and what is bound
 * from it or is a device bound by name; a bind of another directory
 * brings its files but not its devices.  The node here is the null
 * device's; only root makes one, so the test needs a root caller (its
 * tasks run as root and as nobody). */
static void test_mounts_no_device_opens_outside_dev(void **state)
{
    (void)state;
    require_mount_namespace();
    if (geteuid() != 0) {
        print_message("skipped: only root makes a device node to find\n");
        skip();
    }
    char dir[64] = "/var/tmp/cordon-devnodes-XXXXXX", node[96];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(node, sizeof node, "%s/null", dir);
    assert_int_equal(mknod(node, S_IFCHR | 0666, makedev(1, 3)), 0);
    assert_int_equal(chmod(node, 0666), 0);
    char bound_node[96]; /* the node's directory or /dev, bound at target */
    snprintf(bound_node, sizeof bound_node, "%s/null", target);
    static const struct {
        const char *what;
        int bind; /* 0 none, 1 the directory, 2 the node by name, 3 /dev */
        const char *preset;
        bool minimal_dev;
        const char *expected; /* the node, the bound path, /dev/null */
    } runs[] = {
        { "no option", 0, NULL, false, "no - ok" },
        { "the node's directory bound", 1, NULL, false, "no no ok" },
        { "the node bound by name", 2, NULL, false, "no ok ok" },
        { "/dev bound", 3, NULL, false, "no ok ok" },
        { "preset isolated", 0, "isolated", false, "no - ok" },
        { "a minimal /dev", 0, NULL, true, "no - ok" },
    };
    for (int as_nobody = 0; as_nobody < 2; as_nobody++)
        for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
            const char *bound = runs[i].bind == 2   ? file_target
                                : runs[i].bind != 0 ? bound_node
                                                    : "/nonexistent";
            char line[600];
            snprintf(line, sizeof line,
                     "for f in '%s' '%s' /dev/null; do if [ ! -e \"$f\" ]; then r=-; "
                     "elif (echo x > \"$f\") 2>/dev/null; then r=ok; else r=no; fi; "
                     "printf '%%s%%s' \"$s\" \"$r\"; s=' '; done", node, bound);
            cordon_task *t = shell(line);
            assert_int_equal(cordon_set_policy(t, NULL), 0);
            if (as_nobody)
                assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
            if (runs[i].bind == 1)
                assert_int_equal(cordon_add_bind(t, dir, target, 0), 0);
            if (runs[i].bind == 2)
                assert_int_equal(cordon_add_bind(t, node, file_target, 0), 0);
            if (runs[i].bind == 3)
                assert_int_equal(cordon_add_bind(t, "/dev", target, 0), 0);
            if (runs[i].preset)
                assert_int_equal(cordon_set_isolation(t, runs[i].preset), 0);
            if (runs[i].minimal_dev)
                assert_int_equal(cordon_set_minimal_dev(t, 1), 0);
            const cordon_result *r = run_task(t, 0);
            if (strcmp(r->std_out.data, runs[i].expected) != 0)
                fail_msg("%s%s: '%s', expected '%s'", runs[i].what, as_nobody ? " (nobody)" : "",
                         r->std_out.data, runs[i].expected);
            cordon_task_free(t);
        }
    assert_int_equal(unlink(node), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* As nobody, on a machine whose /dev/shm is nodev (a systemd machine's):
 * 0 when the task could write /dev/null and make a pseudo-terminal. */
static _Noreturn void uses_dev_as_nobody_over_a_nodev_shm(int out)
{
    (void)out;
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NODEV | MS_NOSUID, "mode=1777") != 0)
        _exit(100);
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0 || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
        _exit(101);
    cordon_task *t = shell("echo x > /dev/null && exec python3 -c 'import os; os.openpty()' "
                           "2>/dev/null || exit 7");
    if (cordon_run(t) != 0)
        _exit(102);
    const cordon_result *r = cordon_task_result(t);
    if (!(r->confinement & CORDON_CONFINED_USER_NAMESPACE))
        _exit(100); /* no namespaces for nobody here: nothing to show */
    _exit(r->exit_code == 0 ? 0 : 3);
}

/* The sweep that leaves devices only in /dev cleared nodev on /dev with
 * one recursive call, which the kernel refuses whole where one mount
 * beneath it keeps a nodev the user namespace locks: the caller's nodev
 * /dev/shm left a nobody task's /dev nodev, and /dev/null unopenable. */
static void test_mounts_dev_keeps_its_devices_over_a_locked_nodev_mount(void **state)
{
    (void)state;
    require_mount_namespace();
    if (geteuid() != 0) {
        print_message("skipped: only root makes the nodev /dev/shm to show it\n");
        skip();
    }
    char said[8];
    int status = run_in_a_copy(uses_dev_as_nobody_over_a_nodev_shm, said, sizeof said,
                               "the task in a copy with a nodev /dev/shm never ended");
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 100) {
        print_message("skipped: no user namespace for nobody here\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* In a mount namespace of this copy of the test's own, the kernel's
 * debugfs and tracefs at their usual places beneath /sys, as a systemd
 * machine mounts them; then tasks of root's try to read them: "seen" with
 * a bit per way through (1 debugfs, 2 tracefs, 4 under isolated). */
static void reads_kernel_file_systems_beneath_sys(int out)
{
    (void)out;
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) != 0 ||
        mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0)
        _exit(100);
    int seen = 0;
    for (int isolated = 0; isolated < 2; isolated++) {
        cordon_task *t = shell("s=0; ls /sys/kernel/debug/sched >/dev/null 2>&1 && s=$((s+1)); "
                               "cat /sys/kernel/tracing/tracing_on >/dev/null 2>&1 && s=$((s+2)); "
                               "exit $s");
        if (isolated && cordon_set_isolation(t, "isolated") != 0)
            _exit(101);
        if (cordon_run(t) < 0)
            _exit(102);
        int code = cordon_task_result(t)->exit_code;
        if (code)
            seen |= code | (isolated ? 4 : 0);
        cordon_task_free(t);
    }
    _exit(seen);
}

/* A root task, under --isolate isolated too, read the scheduler's table of
 * every process of the machine through debugfs (sched/debug: names, global
 * pids, cgroups) and the kernel's trace buffers through tracefs, where
 * they are mounted beneath /sys, which the cover of the kernel's file
 * systems passed over.  Such mounts are covered wherever they are. */
static void test_mounts_no_kernel_debug_file_system_shows_beneath_sys(void **state)
{
    (void)state;
    require_mount_namespace();
    if (geteuid() != 0) {
        print_message("skipped: only root mounts debugfs and tracefs\n");
        skip();
    }
    char said[8];
    int status = run_in_a_copy(reads_kernel_file_systems_beneath_sys, said, sizeof said,
                               "the tasks in a copy with debugfs mounted never ended");
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 100) {
        print_message("skipped: no debugfs or tracefs to mount here\n");
        skip();
    }
    if (WEXITSTATUS(status) != 0)
        fail_msg("seen %d (1 debugfs, 2 tracefs, 4 under isolated)", WEXITSTATUS(status));
}

/* A pseudo-terminal of the task's own devpts: the first one is 0. */
static int open_pty(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
        return errno ? errno : -1;
    const char *name = ptsname(master);
    int slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
    if (slave < 0)
        return errno;
    cordon_return(ctx, name, strlen(name));
    return 0;
}

static void test_mounts_minimal_dev_gives_pseudo_terminals_of_its_own(void **state)
{
    (void)state;
    require_mount_namespace();
    cordon_task *t = cordon_function_task(open_pty, NULL);
    assert_int_equal(cordon_set_minimal_dev(t, 1), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_string_equal(r->returns.data, "/dev/pts/0");
    cordon_task_free(t);
}

/* ---- names ---- */

static int rename_host(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    struct utsname before;
    uname(&before);
    cordon_return(ctx, before.nodename, strlen(before.nodename));
    return sethostname("renamed", 7) == 0 ? 0 : errno;
}

static void test_mounts_hostname_is_the_task_s_own(void **state)
{
    (void)state;
    require_mount_namespace();
    struct utsname host;
    uname(&host);
    cordon_task *t = cordon_function_task(rename_host, NULL);
    assert_int_equal(cordon_set_hostname(t, "judge-7"), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->returns.data, "judge-7");
    /* No capability to rename even its own; the caller's name is kept. */
    assert_int_equal(r->exit_code, EPERM);
    assert_true(r->confinement & CORDON_CONFINED_UTS_NAMESPACE);
    cordon_task_free(t);
    struct utsname after;
    uname(&after);
    assert_string_equal(after.nodename, host.nodename);
    t = shell("hostname");
    assert_int_equal(cordon_set_hostname(t, "bad name"), -EINVAL);
    assert_int_equal(cordon_set_hostname(t, "-dash"), -EINVAL);
    assert_int_equal(cordon_set_isolation(t, "isolated"), 0);
    r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "cordon\n");
    cordon_task_free(t);
}

/* Every line of /proc/self/cgroup names its hierarchy's root. */
static bool all_roots(const char *text)
{
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len < 2 || strncmp(line + len - 2, ":/", 2) != 0)
            return false;
        line += len + (end != NULL);
    }
    return true;
}

static void test_mounts_cgroup_namespace_hides_the_cgroup_path(void **state)
{
    (void)state;
    require_mount_namespace();
    /* A memory limit gives the task a cgroup of its own where one can be
     * made: without the namespace its path shows. */
    cordon_task *t = shell("cat /proc/self/cgroup");
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, 256u << 20), 0);
    const cordon_result *r = run_task(t, 0);
    bool path_showed = !all_roots(r->std_out.data);
    cordon_task_free(t);
    t = shell("cat /proc/self/cgroup");
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, 256u << 20), 0);
    assert_int_equal(cordon_set_cgroup_namespace(t, 1), 0);
    r = run_task(t, 0);
    assert_true(r->std_out.len > 0);
    assert_true(all_roots(r->std_out.data));
    assert_true(r->confinement & CORDON_CONFINED_CGROUP_NAMESPACE);
    cordon_task_free(t);
    if (!path_showed)
        print_message("the task's cgroup is a root here anyway: the namespace hid nothing\n");
}

/* ---- failing closed ---- */

typedef int (*option_fn)(cordon_task *t);
static int with_bind(cordon_task *t) { return cordon_add_bind(t, source, target, 0); }
static int with_dev(cordon_task *t) { return cordon_set_minimal_dev(t, 1); }
static int with_hostname(cordon_task *t) { return cordon_set_hostname(t, "box"); }
static int with_cgroup_ns(cordon_task *t) { return cordon_set_cgroup_namespace(t, 1); }

/* In a copy of the test with namespaces off: each option ends the task
 * in a ConfinementError before it runs. */
static int check_fails_closed(void)
{
    setenv("CORDON_NO_NAMESPACES", "1", 1);
    option_fn options[] = { with_bind, with_dev, with_hostname, with_cgroup_ns };
    for (size_t i = 0; i < sizeof options / sizeof *options; i++) {
        cordon_task *t = cordon_shell_task("echo ran");
        if (!t || options[i](t) != 0)
            return 1;
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        if (rc != CORDON_EXCEPTION || !r->exception ||
            strcmp(r->exception, "ConfinementError") != 0 || r->std_out.len != 0)
            return 2 + (int)i;
        cordon_task_free(t);
    }
    return 0;
}

static void test_mounts_options_without_namespaces_fail_closed(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy of itself with its own status");
    check_in_a_copy(check_fails_closed, 0, NULL);
}

static int say_ran(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    fputs("ran", stdout);
    return 0;
}

/* The caller's own filter, installed after cordon found its namespaces:
 * unshare refused with EPERM. */
static int refuse_unshare(void)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unshare, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = { sizeof code / sizeof *code, code };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program);
}

/* In a copy of the test: 0 when a function task whose child cannot make
 * the namespaces ends in a ConfinementError that names the step, without
 * having run; 77 where this machine has no namespaces to refuse. */
static int check_refused_namespaces(void)
{
    cordon_task *t = cordon_function_task(say_ran, NULL);
    if (!t || cordon_run(t) != 0)
        return 1;
    bool in_namespaces = cordon_task_result(t)->confinement & CORDON_CONFINED_PID_NAMESPACE;
    cordon_task_free(t);
    if (!in_namespaces)
        return 77;
    if (refuse_unshare() != 0)
        return 2;
    t = cordon_function_task(say_ran, NULL);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    bool closed = rc == CORDON_EXCEPTION && r->exception &&
                  strcmp(r->exception, "ConfinementError") == 0 && r->std_out.len == 0 &&
                  strstr(r->exc_out.data, "entering its namespaces") != NULL;
    cordon_task_free(t);
    return closed && no_children_left() ? 0 : 3;
}

/* The child that makes the namespaces fails before it starts their init:
 * cordon follows that child itself (its pidfd is opened only then). */
static void test_mounts_refused_namespaces_fail_closed(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy of itself with its own status");
    check_in_a_copy(check_refused_namespaces, 77,
                    "skipped: no namespaces on this machine");
}

static const cordon_result *run_hidden(const char *const argv[], const char *cwd,
                                       const char *exception, cordon_task **t)
{
    *t = cordon_command_task(argv);
    assert_int_equal(cordon_add_tmpfs(*t, "/tmp"), 0);
    if (cwd)
        assert_int_equal(cordon_set_cwd(*t, cwd), 0);
    const cordon_result *r = run_task(*t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, exception);
    return r;
}

/* A program the caller sees beneath /tmp is not there for a task with a
 * /tmp of its own: the ending says which of its mounts hides it — for a
 * program by an absolute path, by one relative to the caller's working
 * directory, and for a working directory given to the task. */
static void test_mounts_a_path_hidden_by_the_task_s_tmpfs_is_named(void **state)
{
    (void)state;
    require_mount_namespace();
    char dir[64], program[96];
    strcpy(dir, "/tmp/cordon-hidden-XXXXXX");
    assert_non_null(mkdtemp(dir));
    put_file(dir, "prog", "#!/bin/sh\necho ran\n");
    snprintf(program, sizeof program, "%s/prog", dir);
    assert_int_equal(chmod(program, 0755), 0);
    const char *absolute[] = { program, NULL }, *relative[] = { "./prog", NULL };
    const char *hint = "No such file or directory\n  (%s lies beneath /tmp, where the task has "
                       "an empty tmpfs of its own";
    char expected[256];
    snprintf(expected, sizeof expected, hint, "the program");

    cordon_task *t;
    const cordon_result *r = run_hidden(absolute, NULL, "ExecError", &t);
    assert_int_equal(r->exit_code, 127);
    assert_non_null(strstr(r->exc_out.data, expected));
    cordon_task_free(t);

    int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(here >= 0);
    assert_int_equal(chdir(dir), 0);
    r = run_hidden(relative, NULL, "ExecError", &t);
    assert_int_equal(fchdir(here), 0);
    close(here);
    assert_non_null(strstr(r->exc_out.data, expected));
    cordon_task_free(t);

    snprintf(expected, sizeof expected, hint, "the working directory");
    r = run_hidden(relative, dir, "ConfinementError", &t);
    assert_non_null(strstr(r->exc_out.data, expected));
    cordon_task_free(t);

    /* Without the tmpfs it runs; a program missing for the caller too gets
     * no such line. */
    t = cordon_command_task(absolute);
    assert_string_equal(run_task(t, 0)->std_out.data, "ran\n");
    cordon_task_free(t);
    unlink(program);
    rmdir(dir);
    r = run_hidden(absolute, NULL, "ExecError", &t);
    assert_null(strstr(r->exc_out.data, "lies beneath"));
    cordon_task_free(t);
}

/* One way of naming a path on a covered mount, 0 where cordon refused it
 * before the run (cordon_task_check and cordon_run both -EXDEV, the
 * check's message naming the mount), else 1. */
static int covered_path_refused(int way, const char *top)
{
    char pts[96], proc[96], plain[96];
    snprintf(pts, sizeof pts, "%s/pts", top);
    snprintf(proc, sizeof proc, "%s/proc", top);
    snprintf(plain, sizeof plain, "%s/plain", top);
    char through[128];
    snprintf(through, sizeof through, "%s/..", pts); /* the top, reached through the cover */
    cordon_task *t = cordon_shell_task("true");
    const char *mount = way == 1 || way == 3 ? proc : pts;
    int given = way == 0 ? cordon_set_cwd(t, pts)
              : way == 5 ? cordon_set_cwd(t, through)
              : way == 1 ? cordon_allow_path(t, proc, CORDON_READ)
              : way == 2 ? cordon_add_bind(t, pts, plain, 0)
              : way == 3 ? cordon_add_bind(t, plain, proc, 0)
                         : cordon_add_tmpfs(t, pts);
    cordon_error err;
    int checked = cordon_task_check(t, &err), ran = given == 0 ? cordon_run(t) : given;
    cordon_task_free(t);
    return !(given == 0 && checked == -EXDEV && strstr(err.message, mount) && ran == -EXDEV);
}

/* The start of a copy's body that needs a mount namespace of its own
 * (root only): it exits 2 where it cannot have one. */
static void enter_a_private_mount_namespace(void)
{
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        _exit(2);
}

/* Runs `body` in a copy of the test (run_in_a_copy) and asserts it
 * ended with 0, or skips where it had no mount namespace of its own. */
static void run_in_a_private_copy(void (*body)(int out), char *text, size_t size, const char *hung)
{
    int status = run_in_a_copy(body, text, size, hung);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2) {
        print_message("skipped: no mount namespace of the test's own (root only)\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* In a copy with a mount namespace of its own (root): the caller's
 * terminals bound again and a second proc, beneath /var/tmp; "refused
 * plain" with a bit per way not refused, and the run of a task with a
 * working directory beside them. */
static void name_paths_on_covered_mounts(int out)
{
    enter_a_private_mount_namespace();
    char top[64], pts[96], proc[96], plain[96];
    snprintf(top, sizeof top, "/var/tmp/cordon-covered-%d", (int)getpid());
    snprintf(pts, sizeof pts, "%s/pts", top);
    snprintf(proc, sizeof proc, "%s/proc", top);
    snprintf(plain, sizeof plain, "%s/plain", top);
    bool made = mkdir(top, 0755) == 0 && mkdir(pts, 0755) == 0 && mkdir(proc, 0755) == 0 &&
                mkdir(plain, 0755) == 0 && mount("/dev/pts", pts, "none", MS_BIND, NULL) == 0 &&
                mount("proc", proc, "proc", 0, NULL) == 0;
    int not_refused = 0;
    for (int way = 0; made && way < 6; way++)
        not_refused |= covered_path_refused(way, top) << way;
    /* The caller's own working directory there, the task given none. */
    int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (made && here >= 0 && chdir(pts) == 0) {
        cordon_task *inherits = cordon_shell_task("true");
        cordon_error err;
        int checked = cordon_task_check(inherits, &err), ran = cordon_run(inherits);
        not_refused |= !(checked == -EXDEV && strstr(err.message, pts) && ran == -EXDEV) << 6;
        cordon_task_free(inherits);
        (void)!fchdir(here);
    }
    if (here >= 0)
        close(here);
    cordon_task *t = cordon_shell_task("true");
    int plain_rc = cordon_set_cwd(t, plain) == 0 ? cordon_run(t) : -1;
    cordon_task_free(t);
    dprintf(out, "%d %d", not_refused, plain_rc);
    umount2(proc, MNT_DETACH);
    umount2(pts, MNT_DETACH);
    rmdir(plain);
    rmdir(proc);
    rmdir(pts);
    rmdir(top);
    _exit(made ? 0 : 3);
}

/* A working directory (given, or the caller's), a file rule, a bind's
 * source or target or a tmpfs on a mount the task's view covers (a second proc, the caller's
 * terminals mounted again) reached nothing there: the task ran refused
 * its own working directory or file rule, or failed with "Stale file
 * handle".  Each is refused before the run, naming the mount. */
static void test_mounts_a_path_on_a_covered_mount_is_refused_by_name(void **state)
{
    (void)state;
    require_mount_namespace();
    char text[64];
    run_in_a_private_copy(name_paths_on_covered_mounts, text, sizeof text,
                          "tasks beside covered mounts took over 30 s");
    int not_refused, plain_rc;
    if (sscanf(text, "%d %d", &not_refused, &plain_rc) != 2)
        fail_msg("the copy said: %s", text);
    assert_int_equal(not_refused, 0);
    assert_int_equal(plain_rc, 0);
}

/* In a copy with a mount namespace of its own (root): a network
 * namespace's file bound beneath /var/tmp, as `ip netns add` binds one
 * at /run/netns/NAME; what a task opening it said. */
static void open_a_bound_namespace_file(int out)
{
    enter_a_private_mount_namespace();
    char top[64], file[96], command[300];
    snprintf(top, sizeof top, "/var/tmp/cordon-nsfs-%d", (int)getpid());
    snprintf(file, sizeof file, "%s/net", top);
    int made = mkdir(top, 0755) == 0 ? open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (made < 0 || close(made) != 0 || mount("/proc/self/ns/net", file, "none", MS_BIND, NULL) != 0)
        _exit(3);
    snprintf(command, sizeof command, "( exec 3< %s ) 2>/dev/null && echo opened || echo refused", file);
    cordon_task *t = cordon_shell_task(command);
    const char *said = cordon_run(t) == 0 && cordon_task_result(t)->std_out.data
                           ? cordon_task_result(t)->std_out.data : "no run\n";
    dprintf(out, "%s", said);
    cordon_task_free(t);
    umount2(file, MNT_DETACH);
    unlink(file);
    rmdir(top);
    _exit(0);
}

/* A namespace's file bound in the caller's view (nsfs) came into the
 * task's, which could open it: the machine's namespace named and pinned
 * for as long as the task held it.  Covered as the kernel's other file
 * systems are. */
static void test_mounts_a_bound_namespace_file_is_covered(void **state)
{
    (void)state;
    require_mount_namespace();
    char text[64];
    run_in_a_private_copy(open_a_bound_namespace_file, text, sizeof text,
                          "a task beside a bound namespace file took over 30 s");
    assert_string_equal(text, "refused\n");
}

/* Where no memory cgroup counts them (CORDON_CGROUP=none here; an
 * unprivileged caller on cgroup v1), the task's tmpfs mounts share its
 * memory limit: each was made the whole limit, and three of them held
 * 120 MiB of files under a limit of 64 MiB, which RLIMIT_AS never sees. */
static void test_mounts_tmpfs_mounts_share_the_memory_limit_without_a_cgroup(void **state)
{
    (void)state;
    require_mount_namespace();
    char first[] = "/var/tmp/cordon-share-XXXXXX", second[] = "/var/tmp/cordon-share-XXXXXX";
    char command[512];
    assert_non_null(mkdtemp(first));
    assert_non_null(mkdtemp(second));
    snprintf(command, sizeof command,
             "for d in /dev/shm %s %s; do head -c 40M /dev/zero > $d/fill 2>/dev/null; done; "
             "du -skc /dev/shm %s %s | tail -n 1 | cut -f 1", first, second, first, second);
    setenv("CORDON_CGROUP", "none", 1);
    cordon_task *t = shell(command);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20), 0);
    assert_int_equal(cordon_add_tmpfs(t, first), 0);
    assert_int_equal(cordon_add_tmpfs(t, second), 0);
    const cordon_result *r = run_task(t, 0);
    unsetenv("CORDON_CGROUP");
    long kib = atol(r->std_out.data);
    cordon_task_free(t);
    rmdir(first); /* the files were the task's tmpfs's */
    rmdir(second);
    assert_true(kib > 0);
    assert_true(kib <= 64 * 1024 + 64); /* a tmpfs's own few pages aside */
}

/* A task with no filter may mount a proc of its own in namespaces of its
 * own (a cordon run as a task, bwrap, unshare --mount-proc): the kernel
 * refuses that where anything is mounted over a file of the task's /proc
 * ("too revealing"), which a cover of /proc/keys once did: the nested
 * cordon's task lost its own /proc and listed the outer namespace's
 * processes. */
static void test_mounts_a_task_may_mount_a_proc_of_its_own(void **state)
{
    (void)state;
    if (access("/usr/bin/unshare", X_OK) != 0) {
        print_message("skipped: no unshare(1) here\n");
        skip();
    }
    cordon_task *t = cordon_shell_task("unshare -Upf --mount-proc sh -c 'echo $$; ls /proc | "
                                       "grep -c \"^[0-9]\"'");
    cordon_set_policy(t, NULL);
    /* a root task's /proc has its kernel settings bound read-only, over
     * directories: too revealing to mount again, for it alone */
    if (geteuid() == 0)
        assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    const cordon_result *r = run_task(t, 0);
    if (!(r->confinement & CORDON_CONFINED_OWN_PROC)) {
        cordon_task_free(t);
        print_message("skipped: the task has no /proc of its own here\n");
        skip();
    }
    if (r->exit_code != 0)
        fail_msg("exit %d: %s", r->exit_code, r->std_err.data ? (const char *)r->std_err.data : "");
    /* its sh and ls, and grep where it was forked before ls read /proc */
    const char *out = r->std_out.data;
    if (strcmp(out, "1\n3\n") != 0 && strcmp(out, "1\n2\n") != 0)
        fail_msg("the nested /proc listed: %s", out);
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mounts_bind_is_seen_and_written_through),
        cmocka_unit_test(test_mounts_inherited_working_directory_is_the_mounted_one),
        cmocka_unit_test(test_mounts_working_directory_hidden_by_a_mount_is_given_up),
        cmocka_unit_test(test_mounts_a_deleted_working_directory_fails_the_task),
        cmocka_unit_test(test_mounts_a_function_task_started_in_a_hidden_directory_gets_the_root),
        cmocka_unit_test(test_mounts_working_directory_too_long_to_look_up_fails_closed),
        cmocka_unit_test(test_mounts_a_read_only_mount_of_the_caller_stays_read_only),
        cmocka_unit_test(test_mounts_no_task_serves_a_file_system_of_its_own),
        cmocka_unit_test(test_mounts_a_bind_of_dev_beside_a_minimal_dev_covers_fuse),
        cmocka_unit_test(test_mounts_read_only_bind_refuses_writes_beneath_submounts),
        cmocka_unit_test(test_mounts_a_later_mount_beneath_a_read_only_bind_stays_out),
        cmocka_unit_test(test_mounts_a_later_kernel_mount_stays_out_of_the_default_view),
        cmocka_unit_test(test_mounts_a_mount_made_while_a_task_starts_is_covered),
        cmocka_unit_test(test_mounts_a_mount_moved_while_a_task_starts_is_covered),
        cmocka_unit_test(test_mounts_a_mount_past_path_max_is_named),
        cmocka_unit_test(test_mounts_a_bound_namespace_file_is_covered),
        cmocka_unit_test(test_mounts_read_only_bind_of_a_file),
        cmocka_unit_test(test_mounts_bad_binds_are_refused),
        cmocka_unit_test(test_mounts_a_bind_brings_nothing_of_the_kernel_or_the_caller_along),
        cmocka_unit_test(test_mounts_a_working_directory_beneath_a_tmpfs_of_the_task_s_starts_at_its_top),
        cmocka_unit_test(test_mounts_tmpfs_is_bounded_by_the_memory_limit),
        cmocka_unit_test(test_mounts_replaced_source_is_not_bound),
        cmocka_unit_test(test_mounts_replaced_working_directory_is_not_entered),
        cmocka_unit_test(test_mounts_mount_point_moved_since_it_was_given_is_not_mounted_elsewhere),
        cmocka_unit_test(test_mounts_the_same_mount_point_twice_is_refused),
        cmocka_unit_test(test_mounts_bind_is_granted_under_file_rules),
        cmocka_unit_test(test_mounts_a_grant_follows_the_mount_not_a_link_swapped_in),
        cmocka_unit_test(test_mounts_minimal_dev_holds_only_the_listed_nodes),
        cmocka_unit_test(test_mounts_no_device_opens_outside_dev),
        cmocka_unit_test(test_mounts_no_kernel_debug_file_system_shows_beneath_sys),
        cmocka_unit_test(test_mounts_dev_keeps_its_devices_over_a_locked_nodev_mount),
        cmocka_unit_test(test_mounts_minimal_dev_gives_pseudo_terminals_of_its_own),
        cmocka_unit_test(test_mounts_hostname_is_the_task_s_own),
        cmocka_unit_test(test_mounts_cgroup_namespace_hides_the_cgroup_path),
        cmocka_unit_test(test_mounts_options_without_namespaces_fail_closed),
        cmocka_unit_test(test_mounts_refused_namespaces_fail_closed),
        cmocka_unit_test(test_mounts_a_path_hidden_by_the_task_s_tmpfs_is_named),
        cmocka_unit_test(test_mounts_tmpfs_mounts_share_the_memory_limit_without_a_cgroup),
        cmocka_unit_test(test_mounts_propagation_stays_out_of_both_views),
        cmocka_unit_test(test_mounts_the_callers_message_queues_are_out_of_reach_by_path),
        cmocka_unit_test(test_mounts_a_path_on_a_covered_mount_is_refused_by_name),
        cmocka_unit_test(test_mounts_a_task_may_mount_a_proc_of_its_own),
    };
    return cmocka_run_group_tests(tests, make_dirs, remove_dirs);
}
