/* Isolation of files: with Landlock file rules a task reads, writes and
 * executes only beneath the paths it was given; the presets give a
 * program what it needs to run, a private /tmp and nothing else. */
#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sched.h>
#include <sys/xattr.h>

#include <dlfcn.h>

#include "support.h"

static char outside[64], granted[64];

/* A sibling of the task's user that swaps a component of a writable path
 * for a link just after cordon resolved it: this test's realpath (cordon's
 * is this one, the test being linked first) does so once, when armed. */
static char swap_after_resolving[160]; /* the path cordon resolves */
static char swap_component[160];       /* a directory on its way */
static char swap_link_target[160];     /* what the link to put there names */

char *realpath(const char *restrict path, char *restrict resolved)
{
    static char *(*real)(const char *restrict, char *restrict);
    if (!real)
        real = (char *(*)(const char *restrict, char *restrict))dlsym(RTLD_NEXT, "realpath");
    char *found = real(path, resolved);
    if (found && swap_after_resolving[0] && !strcmp(path, swap_after_resolving)) {
        char moved[192];
        snprintf(moved, sizeof moved, "%s.moved", swap_component);
        if (rename(swap_component, moved) == 0)
            (void)!symlink(swap_link_target, swap_component);
        swap_after_resolving[0] = '\0';
    }
    return found;
}
static char secret[128], scratch_file[128];

static bool landlock_available(void)
{
    return syscall(SYS_landlock_create_ruleset, NULL, 0, 1u) >= 1;
}

static void require_landlock(void)
{
    SKIP_UNDER_VALGRIND("valgrind does not know Landlock's system calls");
    if (!landlock_available()) {
        print_message("no Landlock on this kernel (or under valgrind): file rules cannot hold\n");
        skip();
    }
}

/* Pid and mount namespaces, as a probe task finds them. */
static void require_own_proc(void)
{
    skip_unless_tasks_get(CORDON_CONFINED_OWN_PROC,
                          "no pid and mount namespaces here: the presets cannot run");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, 0644);
}

/* Two world-writable directories outside /tmp (a private /tmp would hide
 * them): one the tasks are given, one they are not.  Only Landlock stops
 * a task at the second. */
static int make_dirs(void **state)
{
    (void)state;
    strcpy(outside, "/var/tmp/cordon-outside-XXXXXX");
    strcpy(granted, "/var/tmp/cordon-granted-XXXXXX");
    if (!mkdtemp(outside) || !mkdtemp(granted))
        return -1;
    chmod(outside, 0777);
    chmod(granted, 0777);
    snprintf(secret, sizeof secret, "%s/secret", outside);
    snprintf(scratch_file, sizeof scratch_file, "%s/given", granted);
    write_file(secret, "secret\n");
    write_file(scratch_file, "given\n");
    return 0;
}

static int remove_dirs(void **state)
{
    (void)state;
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s' '%s'", outside, granted);
    return system(command) == 0 ? 0 : -1;
}

/* A shell task with the system paths and `granted` read-write. */
static cordon_task *confined_shell(const char *fmt, ...)
{
    char command[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(command, sizeof command, fmt, ap);
    va_end(ap);
    cordon_task *t = shell(command);
    assert_int_equal(cordon_allow_system_paths(t), 0);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
    return t;
}

static void test_files_unreadable_outside_granted_paths(void **state)
{
    (void)state;
    require_landlock();
    cordon_task *t = confined_shell("cat %s; echo \"cat said $?\"; cat %s", secret, scratch_file);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "cat said 1\ngiven\n");
    assert_non_null(strstr(r->std_err.data, "Permission denied"));
    assert_true(r->confinement & CORDON_CONFINED_FILE_RULES);
    cordon_task_free(t);
}

static void test_files_unwritable_outside_writable_paths(void **state)
{
    (void)state;
    require_landlock();
    char made[160];
    snprintf(made, sizeof made, "%s/made", outside);
    cordon_task *t = confined_shell("echo x > %s/made; echo y > %s/made && cat %s/made", outside,
                                    granted, granted);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "y\n");
    assert_int_equal(access(made, F_OK), -1);
    cordon_task_free(t);
    /* Read-only is read-only. */
    char line[256];
    snprintf(line, sizeof line, "echo z >> %s", scratch_file);
    t = shell(line);
    assert_int_equal(cordon_allow_system_paths(t), 0);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ), 0);
    r = run_task(t, 0);
    assert_int_not_equal(r->exit_code, 0);
    cordon_task_free(t);
}

static int open_secret(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int fd = open(arg, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

/* A function task needs no system paths: it is already running. */
static void test_files_function_task_is_held_too(void **state)
{
    (void)state;
    require_landlock();
    cordon_task *t = cordon_function_task(open_secret, secret);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, EACCES);
    cordon_task_free(t);
    t = cordon_function_task(open_secret, scratch_file);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ), 0);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
}

/* What the task changes of a file's metadata, one bit a change that went
 * through: its mode, its times, an extended attribute, its owner (to its
 * own uid, which needs no capability). */
static int change_metadata(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    const char *path = arg;
    int changed = 0;
    if (chmod(path, 0600) == 0)
        changed |= 1;
    if (utimensat(AT_FDCWD, path, (struct timespec[2]){ { 0, 0 }, { 0, 0 } }, 0) == 0)
        changed |= 2;
    if (setxattr(path, "user.cordon", "x", 1, 0) == 0)
        changed |= 4;
    if (chown(path, getuid(), getgid()) == 0)
        changed |= 8;
    return changed;
}

/* Landlock governs a file's contents and names, not its mode, times,
 * owner or attributes: outside its writable paths the task's view is
 * read-only, so none of these changes goes through even on a file its
 * uid owns; beneath a writable path they all may (but the attribute,
 * which a file system may lack). */
static void test_files_metadata_unchangeable_outside_writable_paths(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    struct stat before, after;
    assert_int_equal(stat(secret, &before), 0);
    cordon_task *t = cordon_function_task(change_metadata, secret);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(stat(secret, &after), 0);
    assert_int_equal(after.st_mode, before.st_mode);
    assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    cordon_task_free(t);

    t = cordon_function_task(change_metadata, scratch_file);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code & ~4, 1 | 2 | 8);
    assert_int_equal(stat(scratch_file, &after), 0);
    assert_int_equal(after.st_mode & 0777, 0600);
    assert_int_equal(chmod(scratch_file, 0644), 0);
    cordon_task_free(t);

    /* The presets too: the judge's one writable directory is its /tmp. */
    char command[512];
    snprintf(command, sizeof command,
             "chmod 777 %s; touch -d 1999-01-01 %s; chmod 700 %s; echo x > /tmp/f && "
             "chmod 700 /tmp/f && echo scratch-ok",
             secret, secret, outside);
    t = shell(command);
    assert_int_equal(cordon_set_isolation(t, "judge"), 0);
    r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "scratch-ok\n");
    assert_int_equal(stat(secret, &after), 0);
    assert_int_equal(after.st_mode, before.st_mode);
    assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    assert_int_equal(stat(outside, &after), 0);
    assert_int_equal(after.st_mode & 0777, 0777);
    cordon_task_free(t);
}

/* In the task: what of its stdin's metadata it changed, one bit each
 * (its mode, its times, an attribute), 8 if a refusal said other than
 * EROFS, 16 if it did not read `arg` from where the caller left off. */
static int change_stdin_metadata(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int changed = 0;
    int refusals[3];
    refusals[0] = fchmod(0, 0777) == 0 ? 0 : errno; /* a set-id mode is the filter's EPERM */
    refusals[1] = futimens(0, (struct timespec[2]){ { 0, 0 }, { 0, 0 } }) == 0 ? 0 : errno;
    refusals[2] = fsetxattr(0, "user.cordon", "planted", 7, 0) == 0 ? 0 : errno;
    for (int i = 0; i < 3; i++) {
        if (!refusals[i])
            changed |= 1 << i;
        else if (refusals[i] != EROFS)
            changed |= 8;
    }
    const char *expected = arg;
    char text[64] = "";
    ssize_t n = read(0, text, sizeof text - 1);
    if (n != (ssize_t)strlen(expected) || memcmp(text, expected, (size_t)n) != 0)
        changed |= 16;
    return changed;
}

/* The stdin the caller hands over is a description the parent opened on
 * the caller's own, writable, mount: through it a task under file rules
 * made the caller's file set-uid and world-writable, dated it 1970 and
 * planted an attribute on it.  It reads it from its read-only view, from
 * the caller's offset. */
static void test_files_stdin_metadata_unchangeable_under_file_rules(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    char path[160];
    snprintf(path, sizeof path, "%s/input", outside);
    write_file(path, "01234abcde\n");
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    char skipped[5];
    assert_int_equal(read(fd, skipped, 5), 5);
    cordon_task *t = cordon_function_task(change_stdin_metadata, "abcde\n");
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
    assert_int_equal(cordon_set_stdin_fd(t, fd), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_mode, before.st_mode);
    assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    char attribute[16];
    assert_int_equal(getxattr(path, "user.cordon", attribute, sizeof attribute), -1);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 5);
    /* A command under a preset, by the name of its stdin too. */
    t = shell("chmod 0777 /proc/self/fd/0; touch -d 1999-01-01 /proc/self/fd/0; cat");
    assert_int_equal(cordon_set_isolation(t, "judge"), 0);
    assert_int_equal(cordon_set_stdin_fd(t, fd), 0);
    r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "abcde\n");
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_mode, before.st_mode);
    assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    cordon_task_free(t);
    close(fd);
}

/* A stdin file already deleted (a shell's here-document, a memfd) has no
 * name the task's view could open it by: it is relayed, from the
 * caller's offset. */
static void test_files_a_deleted_stdin_is_read_under_file_rules(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    char path[160];
    snprintf(path, sizeof path, "%s/gone", outside);
    write_file(path, "01234abcde\n");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(unlink(path), 0);
    char skipped[5];
    assert_int_equal(read(fd, skipped, 5), 5);
    cordon_task *t = shell("chmod 0777 /proc/self/fd/0 2>/dev/null; cat");
    assert_int_equal(cordon_set_isolation(t, "judge"), 0);
    assert_int_equal(cordon_set_stdin_fd(t, fd), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "abcde\n");
    struct stat after;
    assert_int_equal(fstat(fd, &after), 0);
    assert_int_equal(after.st_mode & 07777, 0644);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 5);
    cordon_task_free(t);
    close(fd);
}

/* In the task: 1 if it changed its terminal's mode, 2 if the refusal was
 * not EROFS, 4 if the terminal did not work (its modes read, a line read;
 * setting them is refused, EPERM: sandbox/terminal_guard.c). */
static int change_terminal_mode(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int changed = fchmod(0, 0666) == 0 ? 1 : errno == EROFS ? 0 : 2;
    struct termios modes;
    char line[16] = "";
    if (!isatty(0) || tcgetattr(0, &modes) != 0 ||
        tcsetattr(0, TCSANOW, &modes) != -1 || errno != EPERM ||
        read(0, line, sizeof line) != 3 || memcmp(line, "hi\n", 3) != 0)
        changed |= 4;
    return changed;
}

/* A terminal handed over as stdin (the runner's --tty): the task's is on
 * its read-only view of /dev/pts, where it reads it and reads its modes,
 * but left it world-writable before. */
/* A pseudo-terminal with "hi\n" typed ahead: its master, and its slave in
 * *slave; the test is skipped where there is none. */
static int terminal_with_a_line_typed(int *slave)
{
    int master;
    if (openpty(&master, slave, NULL, NULL, NULL) != 0) {
        print_message("skipped: no pseudo-terminal here (%s)\n", strerror(errno));
        skip();
    }
    assert_int_equal(write(master, "hi\n", 3), 3);
    return master;
}

/* `t` run with the terminal `slave` as its stdin: it ends with 0, and the
 * terminal's mode is as it was.  Its result. */
static const cordon_result *expect_the_terminal_s_mode_kept(cordon_task *t, int slave)
{
    struct stat before, after;
    assert_int_equal(fstat(slave, &before), 0);
    assert_int_equal(cordon_set_stdin_fd(t, slave), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(fstat(slave, &after), 0);
    assert_int_equal(after.st_mode, before.st_mode);
    return r;
}

static void test_files_a_terminal_stdin_keeps_its_mode_under_file_rules(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    int slave, master = terminal_with_a_line_typed(&slave);
    cordon_task *t = cordon_function_task(change_terminal_mode, NULL);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
    expect_the_terminal_s_mode_kept(t, slave);
    cordon_task_free(t);
    close(slave);
    close(master);
}

/* In the task: as change_terminal_mode, and by the path of its stdin in
 * its /proc too (chmod of /proc/self/fd/0 goes to the description's
 * mount, not to a name of the task's view). */
static int change_terminal_mode_by_any_way(cordon_ctx *ctx, void *arg)
{
    int changed = chmod("/proc/self/fd/0", 0666) == 0 ? 1 : errno == EROFS ? 0 : 2;
    return changed | change_terminal_mode(ctx, arg);
}

/* Without file rules too: a task of the terminal's owner's (the caller's
 * user, or root) made the caller's terminal 0666 for the run's length
 * (fchmod, or chmod of /proc/self/fd/0), and a process of another user
 * that opened it meanwhile read after the run what the caller typed to
 * its shell.  With a mount namespace the task's terminal is on a
 * read-only mount of its own node: EROFS, and it still reads and reads
 * its modes. */
static void test_files_a_terminal_stdin_keeps_its_mode_without_file_rules(void **state)
{
    (void)state;
    require_own_proc();
    int slave, master = terminal_with_a_line_typed(&slave);
    cordon_task *t = cordon_function_task(change_terminal_mode_by_any_way, NULL);
    expect_the_terminal_s_mode_kept(t, slave);
    cordon_task_free(t);
    /* a command's (the runner's --tty) */
    t = cordon_shell_task("chmod 666 /proc/self/fd/0 2>&1; chmod 666 /dev/stdin 2>&1; read -r l; "
                          "echo \"$l\"");
    assert_int_equal(write(master, "there\n", 6), 6);
    const cordon_result *r = expect_the_terminal_s_mode_kept(t, slave);
    if (!strstr(r->std_out.data, "Read-only file system") || !strstr(r->std_out.data, "there\n"))
        fail_msg("%s", r->std_out.data);
    cordon_task_free(t);
    close(slave);
    close(master);
}

/* In a copy of the test, root's: a stdin file on a mount of a mount
 * namespace the caller has left, which the task's view cannot name.
 * 0 if the task read it; 1 if it could not be set up. */
static int run_with_stdin_out_of_view(const char *dir)
{
    int own_namespace = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (own_namespace < 0 || unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", dir, "tmpfs", 0, NULL) != 0)
        return 1;
    char path[192];
    snprintf(path, sizeof path, "%s/input", dir);
    write_file(path, "elsewhere\n");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(own_namespace, CLONE_NEWNS) != 0)
        return 1;
    cordon_task *t = cordon_shell_task("cat");
    if (!t || cordon_set_isolation(t, "judge") != 0 || cordon_set_stdin_fd(t, fd) != 0)
        return 1;
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    bool read = rc == 0 && r->std_out.data && !strcmp(r->std_out.data, "elsewhere\n");
    if (!read)
        fprintf(stderr, "rc %d: %s\n", rc, r->exc_out.data);
    return read ? 0 : 2;
}

/* A stdin the task's view holds by no name it can open as the same file
 * (on a mount of a namespace the caller has left; in a directory only a
 * more privileged caller may enter, as a judge run by root hands its
 * input to a task run as nobody) keeps the description the caller gave:
 * the run, which had always worked, failed with "Permission denied". */
static void test_files_a_stdin_the_view_cannot_name_is_read(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    if (geteuid() != 0) {
        print_message("skipped: only root mounts the file the test hides\n");
        skip();
    }
    char dir[160];
    snprintf(dir, sizeof dir, "%s/hidden", outside);
    assert_int_equal(mkdir(dir, 0755), 0);
    fflush(NULL);
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0)
        _exit(run_with_stdin_out_of_view(dir));
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    rmdir(dir);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* Root's private directory, the task nobody. */
    snprintf(dir, sizeof dir, "%s/private", outside);
    assert_int_equal(mkdir(dir, 0700), 0);
    char path[192];
    snprintf(path, sizeof path, "%s/input", dir);
    write_file(path, "root's input\n");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    cordon_task *t = cordon_shell_task("cat");
    assert_int_equal(cordon_set_isolation(t, "judge"), 0);
    assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    assert_int_equal(cordon_set_stdin_fd(t, fd), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "root's input\n");
    cordon_task_free(t);
    close(fd);
    unlink(path);
    rmdir(dir);
}

/* In a copy of the test, root's: the test run from a chroot (the whole
 * tree bound again beneath `dir`), its stdin a file.  0 if the task read
 * it; 1 if the chroot could not be made. */
static int run_in_a_chroot(const char *dir, const char *input)
{
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("/", dir, "none", MS_BIND | MS_REC, NULL) != 0 || chroot(dir) != 0 || chdir("/") != 0)
        return 1;
    int fd = open(input, O_RDONLY | O_CLOEXEC);
    cordon_task *t = cordon_shell_task("cat");
    if (fd < 0 || !t || cordon_set_isolation(t, "judge") != 0 || cordon_set_stdin_fd(t, fd) != 0)
        return 1;
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    bool read = rc == 0 && r->std_out.data && !strcmp(r->std_out.data, "secret\n");
    if (!read)
        fprintf(stderr, "rc %d: %s\n", rc, r->exc_out.data);
    return read ? 0 : 2;
}

/* A caller in a chroot: the task's stdin is named as the caller's root
 * sees it, which the task's copy of the tree keeps (named from the root
 * of the namespace, it led nowhere there, and every run under file rules
 * failed). */
static void test_files_a_stdin_file_is_read_by_a_caller_in_a_chroot(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    if (geteuid() != 0) {
        print_message("skipped: only root makes the chroot\n");
        skip();
    }
    char dir[160];
    snprintf(dir, sizeof dir, "%s/root", outside);
    assert_int_equal(mkdir(dir, 0755), 0);
    fflush(NULL);
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0)
        _exit(run_in_a_chroot(dir, secret));
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    rmdir(dir);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* In the task: 1 if it changed its stdout's mode, 2 if the refusal was
 * not EROFS, 4 if it could not write to it. */
static int change_stdout_mode(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int changed = fchmod(1, 0666) == 0 ? 1 : errno == EROFS ? 0 : 2;
    if (write(1, "out\n", 4) != 4)
        changed |= 4;
    return changed;
}

/* An output handed over as it is (CORDON_OUTPUT_INHERIT) to a named FIFO:
 * the task writes to a description of its own on its read-only view,
 * not on the caller's writable mount, where it made the FIFO
 * world-writable. */
static void test_files_an_inherited_fifo_keeps_its_mode_under_file_rules(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    char fifo[160];
    snprintf(fifo, sizeof fifo, "%s/fifo", outside);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int reader = open(fifo, O_RDWR | O_CLOEXEC); /* a reader, and no wait */
    assert_true(reader >= 0);
    int saved = dup(1);
    assert_true(saved >= 0);
    fflush(stdout);
    assert_int_equal(dup2(reader, 1), 1);
    cordon_task *t = cordon_function_task(change_stdout_mode, NULL);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
    assert_int_equal(cordon_set_output_mode(t, 1, CORDON_OUTPUT_INHERIT), 0);
    int rc = cordon_run(t);
    dup2(saved, 1);
    close(saved);
    assert_int_equal(rc, 0);
    assert_int_equal(cordon_task_result(t)->exit_code, 0);
    cordon_task_free(t);
    char out[8] = "";
    assert_int_equal(read(reader, out, sizeof out), 4);
    assert_memory_equal(out, "out\n", 4);
    struct stat after;
    assert_int_equal(stat(fifo, &after), 0);
    assert_int_equal(after.st_mode & 07777, 0600);
    close(reader);
    unlink(fifo);
}

/* In the task: the errno of a watch on `arg`, or 0 if one was made. */
static int watches(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int fd = inotify_init1(IN_CLOEXEC);
    if (fd < 0)
        return errno;
    int rc = inotify_add_watch(fd, arg, IN_CREATE | IN_DELETE) < 0 ? errno : 0;
    close(fd);
    return rc;
}

/* Landlock does not govern inotify: a watch would show the names of the
 * files made in a directory the task may not list.  With file rules no
 * watch is made; without, as before. */
static void test_files_directories_cannot_be_watched_under_file_rules(void **state)
{
    (void)state;
    require_landlock();
    cordon_task *t = cordon_function_task(watches, outside);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, EACCES);
    cordon_task_free(t);
    /* and with no policy: the policies' variant refused it alone, and a
     * task under --isolate judge --policy none watched /root */
    t = cordon_function_task(watches, outside);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
    cordon_set_policy(t, NULL);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, EACCES);
    cordon_task_free(t);
    t = cordon_function_task(watches, outside);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
}

/* In the task: the errno of socket(AF_UNIX) with bits above the 32 the
 * kernel reads, of a datagram socketpair (which sends to any path), of an
 * IPv4 socket, and of a raw unix socketpair (a datagram one to the
 * kernel), as four bytes; 0 for each made. */
static int makes_other_sockets(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    unsigned char errors[4] = { 0 };
    long fd = syscall(SYS_socket, (1L << 32) | AF_UNIX, SOCK_STREAM, 0);
    errors[0] = fd < 0 ? (unsigned char)errno : 0;
    int pair[2];
    errors[1] = socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) != 0 ? (unsigned char)errno : 0;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    errors[2] = fd < 0 ? (unsigned char)errno : 0;
    errors[3] = socketpair(AF_UNIX, SOCK_RAW | SOCK_CLOEXEC, 0, pair) != 0 ? (unsigned char)errno : 0;
    cordon_return(ctx, errors, sizeof errors);
    return 0;
}

/* Landlock does not govern connect() to a socket file: with file rules
 * and its network a task reached a socket bound outside every grant (the
 * caller's session bus, an ssh agent, a container engine's socket) and
 * talked to the service behind it.  Under file rules it makes no unix
 * socket, whatever its policy allows (outright, or every family but
 * vsock as a Docker profile does), nor a datagram pair; a stream pair
 * and an IPv4 socket work; without file rules it reaches the socket. */
static void test_files_rules_keep_the_task_from_the_caller_s_socket_files(void **state)
{
    (void)state;
    require_landlock();
    char path[96];
    int listener = listen_on_a_socket_file(path, sizeof path, "service");
    /* only asked at the end whether anything connected */
    assert_int_equal(fcntl(listener, F_SETFL, O_NONBLOCK), 0);
    static const char *const policies[] = {
        "default", "nonet", "readonly",
        "default allow\nallow socket socketpair\n",
        "default errno EPERM\nallow socket if arg0 != 40\nallow socketpair connect close munmap "
        "exit_group exit write read mmap brk rt_sigreturn rt_sigprocmask\n",
    };
    for (size_t i = 0; i < sizeof policies / sizeof *policies; i++) {
        cordon_error err;
        cordon_policy *p = strchr(policies[i], '\n')
                               ? cordon_policy_parse(policies[i], "own-allows.policy", &err)
                               : cordon_policy_load(policies[i], &err);
        if (!p)
            fail_msg("%s", err.message);
        cordon_task *t = cordon_function_task(connects_to_a_socket_file, path);
        assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
        cordon_set_policy(t, p);
        const cordon_result *r = run_task(t, 0);
        if (r->exception || r->exit_code != EACCES)
            fail_msg("policy %zu: %s, exit %d\n%s", i, r->exception ? r->exception : "no exception",
                     r->exit_code, r->exc_out.data);
        cordon_task_free(t);
        t = cordon_function_task(makes_other_sockets, NULL);
        assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
        cordon_set_policy(t, p);
        r = run_task(t, 0);
        assert_int_equal(r->returns.len, 4);
        const unsigned char *errors = (const unsigned char *)r->returns.data;
        if (errors[0] == 0 || errors[1] != EACCES || (i != 1 && errors[2] != 0) ||
            errors[3] != EACCES)
            fail_msg("policy %zu: wide AF_UNIX %d, datagram pair %d, IPv4 %d, raw pair %d", i,
                     errors[0], errors[1], errors[2], errors[3]);
        cordon_task_free(t);
        /* A policy that lets io_uring in: no ring under file rules (the
         * shipped ones kill it). */
        if (i >= 3) {
            t = cordon_function_task(makes_an_io_uring, NULL);
            assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
            cordon_set_policy(t, p);
            r = run_task(t, 0);
            assert_int_equal(r->exit_code, EPERM);
            cordon_task_free(t);
        }
        cordon_policy_free(p);
    }
    assert_true(accept4(listener, NULL, NULL, SOCK_CLOEXEC) < 0 && errno == EAGAIN);
    /* Without file rules it can; not a task of root's, which no unix
     * socket reaches (sandbox/policy.h). */
    cordon_task *t = cordon_function_task(connects_to_a_socket_file, path);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, geteuid() == 0 ? EACCES : 0);
    cordon_task_free(t);
    close(listener);
    unlink(path);
}

/* i386's socket calls hide the family from a filter: under a policy that
 * admits the ABI, file rules cannot keep a task from unix sockets, and
 * cordon_task_check and the run say which line stands in the way (the run
 * said "libseccomp refused the rule for 'socket': File exists"). */
static void test_files_rules_under_an_i386_policy_name_the_arch_line(void **state)
{
    (void)state;
    require_landlock();
    cordon_error err;
    memset(&err, 0, sizeof err);
    cordon_policy *p = cordon_policy_parse("default allow\narch i386\n", "old.policy", &err);
    if (!p)
        fail_msg("%s", err.message);
    const char *const argv[] = { "true", NULL };
    cordon_task *t = cordon_command_task(argv);
    assert_int_equal(cordon_set_policy(t, p), 0);
    assert_int_equal(cordon_task_check(t, &err), 0);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ), 0);
    assert_int_equal(cordon_task_check(t, &err), -EINVAL);
    assert_non_null(strstr(err.message, "old.policy:2:1: 'arch i386' lets in the i386 ABI"));
    assert_non_null(strstr(err.message, "cannot be kept from unix sockets"));
    assert_int_equal(cordon_run(t), CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->exception, "ConfinementError");
    assert_non_null(strstr(r->message, "drop the 'arch i386' or the file rules"));
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* A preset's command gets the caller's PATH and locale, not the rest of
 * its environment (a token, an ssh agent's socket), and /tmp as home;
 * cordon_set_env still adds to it. */
static void test_files_presets_keep_only_a_minimal_environment(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    setenv("CORDON_TEST_SECRET_TOKEN", "hunter2", 1);
    setenv("SSH_AUTH_SOCK", "/tmp/agent.sock", 1);
    setenv("LC_SECRET", "not a locale", 1);
    cordon_task *t = shell("env | sort | grep -E '^(CORDON_TEST|SSH_AUTH|HOME|TMPDIR|PATH|GIVEN|LC_SECRET)=' "
                           "| cut -d= -f1,2 | sed 's/=.*//;s/$/./'; echo $HOME");
    assert_int_equal(cordon_set_isolation(t, "judge"), 0);
    assert_int_equal(cordon_set_env(t, "GIVEN=yes"), 0);
    const cordon_result *r = run_task(t, 0);
    unsetenv("CORDON_TEST_SECRET_TOKEN");
    unsetenv("SSH_AUTH_SOCK");
    unsetenv("LC_SECRET");
    assert_string_equal(r->std_out.data, "GIVEN.\nHOME.\nPATH.\nTMPDIR.\n/tmp\n");
    cordon_task_free(t);
}

/* A rule that lets the task write the whole root leaves its view
 * writable: the root cannot be bound over itself as the task's root. */
static void test_files_a_writable_root_stays_writable(void **state)
{
    (void)state;
    require_landlock();
    char command[256];
    snprintf(command, sizeof command, "echo x > %s/root-rule && echo wrote", outside);
    cordon_task *t = shell(command);
    assert_int_equal(cordon_allow_path(t, "/", CORDON_READ | CORDON_WRITE | CORDON_EXEC), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "wrote\n");
    cordon_task_free(t);
    char made[160];
    snprintf(made, sizeof made, "%s/root-rule", outside);
    assert_int_equal(unlink(made), 0);
}

/* Paths a rule lets the task write, one beneath the other, are one
 * mount in its view: a rename between them is not EXDEV. */
static void test_files_a_rename_between_nested_writable_paths_works(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    char inner[160], command[512];
    snprintf(inner, sizeof inner, "%s/inner", granted);
    assert_int_equal(mkdir(inner, 0777), 0);
    chmod(inner, 0777);
    /* rename(2) itself: mv would copy across mounts. */
    snprintf(command, sizeof command,
             "echo x > %s/moved && python3 -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' "
             "%s/moved %s/moved && echo renamed",
             granted, granted, inner);
    cordon_task *t = shell(command);
    assert_int_equal(cordon_allow_system_paths(t), 0);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
    assert_int_equal(cordon_allow_path(t, inner, CORDON_READ | CORDON_WRITE), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "renamed\n");
    cordon_task_free(t);
    snprintf(command, sizeof command, "%s/moved", inner);
    assert_int_equal(unlink(command), 0);
    assert_int_equal(rmdir(inner), 0);
}

/* Every writable path is cloned writable before the task's view is made
 * read-only, and the init held those clones in a table of 64: a task
 * given a 64th writable path (some user's 100 scratch directories) was
 * refused with "failed entering its namespaces: Argument list too long". */
#define MANY_WRITABLE 100
static void test_files_a_hundred_writable_paths_are_all_writable(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    char dirs[MANY_WRITABLE][160];
    for (int i = 0; i < MANY_WRITABLE; i++) {
        snprintf(dirs[i], sizeof dirs[i], "%s/w%d", outside, i);
        assert_int_equal(mkdir(dirs[i], 0777), 0);
        chmod(dirs[i], 0777);
    }
    /* The directories, not beneath one another, as the shell's arguments. */
    const char *argv[MANY_WRITABLE + 5] = { "/bin/sh", "-c",
        "for d in \"$@\"; do echo x > \"$d/w\" || exit 1; done; echo all-written", "sh" };
    for (int i = 0; i < MANY_WRITABLE; i++)
        argv[4 + i] = dirs[i];
    argv[4 + MANY_WRITABLE] = NULL;
    cordon_task *t = cordon_command_task(argv);
    assert_non_null(t);
    assert_int_equal(cordon_allow_system_paths(t), 0);
    for (int i = 0; i < MANY_WRITABLE; i++)
        assert_int_equal(cordon_allow_path(t, dirs[i], CORDON_READ | CORDON_WRITE), 0);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    if (rc != 0)
        print_message("rc %d: %s", rc, r->exc_out.data);
    assert_int_equal(rc, 0);
    assert_string_equal(r->std_out.data, "all-written\n");
    assert_true(r->confinement & CORDON_CONFINED_LANDLOCK);
    cordon_task_free(t);
    for (int i = 0; i < MANY_WRITABLE; i++) {
        char file[192];
        snprintf(file, sizeof file, "%.160s/w", dirs[i]);
        assert_int_equal(unlink(file), 0);
        assert_int_equal(rmdir(dirs[i]), 0);
    }
}

/* The init cloned each writable path's tree, and mounted the clone back,
 * by the name the parent had resolved: a component swapped for a link in
 * between (by a sibling of the task's user, where the directory above is
 * theirs to write) made another tree writable in the task's read-only
 * view, where the task could chmod, chown and utimes what no rule gave it
 * (Landlock, holding the rule's own directory, refuses only its contents).
 * Now the init clones and mounts only the file the parent resolved, with
 * no link on the way. */
static void test_files_a_writable_path_swapped_for_a_link_makes_nothing_else_writable(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    /* outside/swapped/w is given; outside/other/w is not.  Once cordon has
     * resolved the first, outside/swapped becomes a link to outside/other. */
    char swapped[160], other[160], writable[192], other_w[192], file[224], moved[192];
    snprintf(swapped, sizeof swapped, "%s/swapped", outside);
    snprintf(other, sizeof other, "%s/other", outside);
    snprintf(writable, sizeof writable, "%s/w", swapped);
    snprintf(other_w, sizeof other_w, "%s/w", other);
    snprintf(file, sizeof file, "%s/file", other_w);
    snprintf(moved, sizeof moved, "%s.moved", swapped);
    assert_int_equal(mkdir(swapped, 0777), 0);
    assert_int_equal(mkdir(writable, 0777), 0);
    assert_int_equal(mkdir(other, 0777), 0);
    assert_int_equal(mkdir(other_w, 0777), 0);
    write_file(file, "not given\n");
    chmod(file, 0666);
    cordon_task *t = confined_shell("chmod 0600 %s 2>/dev/null && echo chmod-went-through; "
                                    "stat -c %%a %s", file, file);
    assert_int_equal(cordon_allow_path(t, writable, CORDON_READ | CORDON_WRITE), 0);
    strcpy(swap_link_target, other);
    strcpy(swap_component, swapped);
    strcpy(swap_after_resolving, writable);
    int rc = cordon_run(t);
    bool armed = swap_after_resolving[0];
    swap_after_resolving[0] = '\0';
    const cordon_result *r = cordon_task_result(t);
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    bool restored = unlink(swapped) == 0 && rename(moved, swapped) == 0;
    assert_false(armed); /* the swap took place */
    assert_true(restored);
    if (rc == 0)
        assert_string_equal(r->std_out.data, "666\n");
    else /* a run refused for what it found is no breach */
        assert_int_equal(rc, CORDON_EXCEPTION);
    assert_int_equal(st.st_mode & 0777, 0666);
    cordon_task_free(t);
    assert_int_equal(unlink(file), 0);
    assert_int_equal(rmdir(other_w), 0);
    assert_int_equal(rmdir(other), 0);
    assert_int_equal(rmdir(writable), 0);
    assert_int_equal(rmdir(swapped), 0);
}

static void test_files_bad_rules_are_refused(void **state)
{
    (void)state;
    require_landlock();
    cordon_task *t = shell("true");
    assert_int_equal(cordon_allow_path(t, "/no/such/path", CORDON_READ), -ENOENT);
    assert_int_equal(cordon_allow_path(t, granted, 0), -EINVAL);
    assert_int_equal(cordon_allow_path(t, granted, 64), -EINVAL);
    assert_int_equal(cordon_allow_path(t, NULL, CORDON_READ), -EINVAL);
    assert_int_equal(cordon_set_network(t, 7), -EINVAL);
    assert_int_equal(cordon_add_tmpfs(t, "tmp"), -EINVAL);
    assert_int_equal(cordon_add_tmpfs(t, secret), -ENOTDIR);
    assert_int_equal(cordon_set_isolation(t, "nothing"), -EINVAL);
    /* A directory hidden by the task's own tmpfs would grant nothing. */
    assert_int_equal(cordon_add_tmpfs(t, "/var/tmp"), 0);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ), -EXDEV);
    cordon_task_free(t);
}

/* The rule's path is opened again at each start: one that went away
 * fails the run instead of running the task without it. */
static void test_files_vanished_path_fails_the_run(void **state)
{
    (void)state;
    require_landlock();
    char gone[160];
    snprintf(gone, sizeof gone, "%s/gone", granted);
    assert_int_equal(mkdir(gone, 0755), 0);
    cordon_task *t = shell("echo ran");
    assert_int_equal(cordon_allow_path(t, gone, CORDON_READ), 0);
    assert_int_equal(rmdir(gone), 0);
    assert_int_equal(cordon_run(t), -ENOENT);
    assert_int_equal(cordon_task_result(t)->std_out.len, 0);
    cordon_task_free(t);
}

/* A rule's path is opened again at each start, and it followed a link: a
 * task that may write where the path leads replaced the file it was given
 * by a link to a file of the caller's it was never given, and the next run
 * (a retry, the next job of a batch) was granted that file.  The run now
 * fails with -ESTALE. */
/* A relative rule is the caller's directory's when given: it had been
 * opened again from wherever the caller went since, and the run failed
 * (-ENOENT or -ESTALE) with nothing said. */
static void test_files_a_relative_rule_keeps_to_where_it_was_given(void **state)
{
    (void)state;
    require_landlock();
    char here[PATH_MAX];
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir("/var/tmp"), 0);
    char command[256];
    snprintf(command, sizeof command, "cat %s", scratch_file);
    cordon_task *t = shell(command);
    assert_int_equal(cordon_allow_system_paths(t), 0);
    assert_int_equal(cordon_allow_path(t, granted + strlen("/var/tmp/"), CORDON_READ), 0);
    assert_int_equal(chdir("/"), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "given\n");
    cordon_task_free(t);
    assert_int_equal(chdir(here), 0);
}

static void test_files_a_rule_replaced_by_a_link_grants_nothing(void **state)
{
    (void)state;
    require_landlock();
    char data[160];
    snprintf(data, sizeof data, "%s/data", granted);
    write_file(data, "data\n");
    cordon_task *t = confined_shell("cat %s 2>/dev/null || echo refused; "
                                    "rm -f %s && ln -s %s %s", secret, data, secret, data);
    assert_int_equal(cordon_allow_path(t, data, CORDON_READ), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "refused\n");
    int rc = cordon_run(t);
    r = cordon_task_result(t);
    bool read_secret = strstr(r->std_out.data, "secret") != NULL;
    cordon_task_free(t);
    unlink(data);
    assert_false(read_secret);
    assert_int_equal(rc, -ESTALE);
}

static void test_files_rulesets_leak_no_fd(void **state)
{
    (void)state;
    require_landlock();
    int before = count_open_fds();
    for (int i = 0; i < 3; i++) {
        cordon_task *t = confined_shell("cat %s", scratch_file);
        run_task(t, 0);
        cordon_task_free(t);
    }
    assert_int_equal(count_open_fds(), before);
}

static bool have_program(const char *path)
{
    return access(path, X_OK) == 0;
}

static void test_files_real_programs_run_with_system_paths(void **state)
{
    (void)state;
    require_landlock();
    cordon_task *t = confined_shell("ls / >/dev/null 2>&1; echo \"ls said $?\"; "
                                    "cat /etc/passwd >/dev/null && echo passwd; "
                                    "sh -c 'echo nested' | cat");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "ls said 2\npasswd\nnested\n");
    cordon_task_free(t);
    if (!have_program("/usr/bin/gcc")) {
        print_message("no gcc here: the compile is not tried\n");
        return;
    }
    t = confined_shell("cd %s && printf 'int main(void){return 42;}\\n' > a.c && "
                       "TMPDIR=%s gcc -o a a.c && ./a; echo \"a said $?\"", granted, granted);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE | CORDON_EXEC), 0);
    r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "a said 42\n");
    cordon_task_free(t);
}

static void copy_program(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    assert_true(in >= 0 && out >= 0);
    char buffer[65536];
    ssize_t n;
    while ((n = read(in, buffer, sizeof buffer)) > 0)
        assert_int_equal(write(out, buffer, (size_t)n), n);
    assert_int_equal(n, 0);
    close(in);
    close(out);
}

/* `name` run from the granted directory, granted READ|EXEC there and
 * nothing else (no system paths): the task, its result in `r`, refused. */
static cordon_task *run_granted_alone(const char *name, const cordon_result **r)
{
    const char *argv[] = { name, NULL };
    cordon_task *t = cordon_command_task(argv);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_EXEC), 0);
    assert_int_equal(cordon_set_cwd(t, granted), 0);
    *r = run_task(t, CORDON_EXCEPTION);
    return t;
}

/* A program in a directory granted READ|WRITE but not EXEC: Landlock
 * refuses the exec and the exec says only "Permission denied".  The
 * README's own judge example (--rw DIR, then ./a.out in it) met that; the
 * ExecError names the missing grant. */
static void test_files_a_program_no_rule_lets_execute_is_named(void **state)
{
    (void)state;
    require_landlock();
    char program[128], expected[512], path_env[128];
    snprintf(program, sizeof program, "%s/cordon-program", granted);
    copy_program("/bin/true", program);
    snprintf(expected, sizeof expected,
             "ExecError: cannot execute './cordon-program': Permission denied\n"
             "  (no file rule of the task's lets it execute %s: grant CORDON_EXEC on it or a "
             "directory above it, as cordon run's --exec does)\n",
             program);
    const char *relative[] = { "./cordon-program", NULL };
    cordon_task *t = cordon_command_task(relative);
    assert_int_equal(cordon_allow_system_paths(t), 0);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
    assert_int_equal(cordon_set_cwd(t, granted), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_int_equal(r->exit_code, 126);
    assert_string_equal(r->exc_out.data, expected);
    /* Found through PATH: the same. */
    const char *by_name[] = { "cordon-program", NULL };
    cordon_task *named = cordon_command_task(by_name);
    snprintf(path_env, sizeof path_env, "PATH=%s", granted);
    assert_int_equal(cordon_set_env(named, path_env), 0);
    assert_int_equal(cordon_allow_system_paths(named), 0);
    assert_int_equal(cordon_allow_path(named, granted, CORDON_READ), 0);
    r = run_task(named, CORDON_EXCEPTION);
    assert_int_equal(r->exit_code, 126);
    assert_non_null(strstr(r->exc_out.data, "(no file rule of the task's lets it execute"));
    cordon_task_free(named);
    /* A program of the system's: EXEC on its directory alone would leave
     * its loader and libraries unreadable; the system paths are named (a
     * library user was sent to the CLI's --exec). */
    const char *system_program[] = { "/bin/true", NULL };
    cordon_task *system = cordon_command_task(system_program);
    assert_int_equal(cordon_allow_path(system, granted, CORDON_READ), 0);
    r = run_task(system, CORDON_EXCEPTION);
    assert_int_equal(r->exit_code, 126);
    assert_non_null(strstr(r->exc_out.data, ": cordon_allow_system_paths grants the system's "
                                            "programs and the libraries they load"));
    cordon_task_free(system);
    /* Granted itself, without the system paths: its loader is not (the
     * README's judge example without the preset said nothing more than
     * "Permission denied"), nor a script's interpreter. */
    cordon_task *alone = run_granted_alone("./cordon-program", &r);
    assert_int_equal(r->exit_code, 126);
    assert_non_null(strstr(r->exc_out.data, "cordon-program is granted, but not /lib"));
    assert_non_null(strstr(r->exc_out.data, "which the kernel runs it with: "
                                            "cordon_allow_system_paths grants"));
    cordon_task_free(alone);
    char script[160];
    snprintf(script, sizeof script, "%s/cordon-script", granted);
    write_file(script, "#!/bin/sh\necho ran\n");
    assert_int_equal(chmod(script, 0755), 0);
    cordon_task *scripted = run_granted_alone("./cordon-script", &r);
    assert_non_null(strstr(r->exc_out.data, "cordon-script is granted, but not /bin/sh, which"));
    cordon_task_free(scripted);
    unlink(script);
    /* A FIFO at the program's name (left by an earlier task in a
     * directory it could write): looking for its interpreter, the caller
     * opened it and waited for a writer for good. */
    char fifo[160];
    snprintf(fifo, sizeof fifo, "%s/cordon-fifo", granted);
    assert_int_equal(mkfifo(fifo, 0755), 0);
    cordon_task *piped = run_granted_alone("./cordon-fifo", &r);
    assert_string_equal(r->exception, "ExecError");
    cordon_task_free(piped);
    unlink(fifo);
    /* Granted, it runs. */
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_EXEC), 0);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
    unlink(program);
}

static void test_files_judge_preset(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    char command[1024], mine[64];
    snprintf(mine, sizeof mine, "/tmp/cordon-judge-%d", (int)getpid());
    snprintf(command, sizeof command,
             "cd %s && echo t > %s && cat %s && echo s > here && cat here; "
             "cat %s 2>/dev/null || echo refused; ls /home >/dev/null 2>&1 || echo hidden; "
             "ls /proc | grep -c '^[0-9]'",
             granted, mine, mine, secret);
    cordon_task *t = shell(command);
    assert_int_equal(cordon_set_isolation(t, "judge"), 0);
    assert_int_equal(cordon_allow_path(t, granted, CORDON_READ | CORDON_WRITE), 0);
    const cordon_result *r = run_task(t, 0);
    /* Its /proc: the init, the shell, ls, and grep once the shell has
     * started it (ls may list /proc before): only the task's own. */
    const char *expected = "t\ns\nrefused\nhidden\n";
    assert_memory_equal(r->std_out.data, expected, strlen(expected));
    const char *count = r->std_out.data + strlen(expected);
    assert_true(strcmp(count, "3\n") == 0 || strcmp(count, "4\n") == 0);
    unsigned wanted = CORDON_CONFINED_FILE_RULES | CORDON_CONFINED_NETWORK_NAMESPACE |
                      CORDON_CONFINED_PRIVATE_TMPFS | CORDON_CONFINED_OWN_PROC;
    assert_int_equal(r->confinement & wanted, wanted);
    /* Its /tmp was its own. */
    assert_int_equal(access(mine, F_OK), -1);
    cordon_task_free(t);
}

/* A pseudo-terminal of the task's own: 0 when it made one. */
static int makes_a_pty(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
        return 1;
    const char *name = ptsname(master);
    return name && open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) >= 0 ? 0 : 2;
}

/* A rule on /dev/pts was made on the caller's terminals, over which the
 * task's own are mounted: listed as in force, it granted nothing, and the
 * task made no pseudo-terminal (Python's pty.openpty: "out of pty
 * devices").  The init grants the task's own what the rule gave. */
static void test_files_a_rule_on_dev_pts_reaches_the_task_s_own_terminals(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    for (int preset = 0; preset < 2; preset++) {
        cordon_task *t = cordon_function_task(makes_a_pty, NULL);
        if (preset) {
            assert_int_equal(cordon_set_isolation(t, "judge"), 0);
            assert_int_equal(cordon_set_minimal_dev(t, 0), 0);
        } else {
            assert_int_equal(cordon_allow_system_paths(t), 0);
        }
        assert_int_equal(cordon_allow_path(t, "/dev/ptmx", CORDON_READ | CORDON_WRITE), 0);
        assert_int_equal(cordon_allow_path(t, "/dev/pts", CORDON_READ | CORDON_WRITE), 0);
        const cordon_result *r = run_task(t, 0);
        if (r->exit_code != 0)
            fail_msg("%s: no pseudo-terminal (%d)", preset ? "judge, the caller's /dev" : "rules",
                     r->exit_code);
        cordon_task_free(t);
    }
}

static void test_files_isolated_preset_reads_all_writes_tmp(void **state)
{
    (void)state;
    require_landlock();
    require_own_proc();
    char command[512];
    snprintf(command, sizeof command,
             "cat %s && echo x > /tmp/x && cat /tmp/x; echo y > %s/y || echo refused", secret,
             granted);
    cordon_task *t = shell(command);
    assert_int_equal(cordon_set_isolation(t, "isolated"), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "secret\nx\nrefused\n");
    cordon_task_free(t);
}

/* Where no namespace can be made the preset fails closed: it never runs
 * with the caller's network or /tmp.  In a copy of the test, with
 * namespaces turned off. */
static void test_files_preset_without_namespaces_fails_closed(void **state)
{
    (void)state;
    require_landlock();
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        cordon_task *t = cordon_shell_task("echo ran");
        if (!t || cordon_set_isolation(t, "judge") != 0)
            _exit(1);
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        bool closed = rc == CORDON_EXCEPTION && r->exception &&
                      strcmp(r->exception, "ConfinementError") == 0 && r->std_out.len == 0;
        _exit(closed ? 0 : 2);
    }
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_unreadable_outside_granted_paths),
        cmocka_unit_test(test_files_unwritable_outside_writable_paths),
        cmocka_unit_test(test_files_function_task_is_held_too),
        cmocka_unit_test(test_files_metadata_unchangeable_outside_writable_paths),
        cmocka_unit_test(test_files_directories_cannot_be_watched_under_file_rules),
        cmocka_unit_test(test_files_stdin_metadata_unchangeable_under_file_rules),
        cmocka_unit_test(test_files_a_deleted_stdin_is_read_under_file_rules),
        cmocka_unit_test(test_files_a_terminal_stdin_keeps_its_mode_under_file_rules),
        cmocka_unit_test(test_files_a_terminal_stdin_keeps_its_mode_without_file_rules),
        cmocka_unit_test(test_files_an_inherited_fifo_keeps_its_mode_under_file_rules),
        cmocka_unit_test(test_files_a_stdin_the_view_cannot_name_is_read),
        cmocka_unit_test(test_files_a_stdin_file_is_read_by_a_caller_in_a_chroot),
        cmocka_unit_test(test_files_a_writable_root_stays_writable),
        cmocka_unit_test(test_files_a_rename_between_nested_writable_paths_works),
        cmocka_unit_test(test_files_presets_keep_only_a_minimal_environment),
        cmocka_unit_test(test_files_rules_keep_the_task_from_the_caller_s_socket_files),
        cmocka_unit_test(test_files_rules_under_an_i386_policy_name_the_arch_line),
        cmocka_unit_test(test_files_a_hundred_writable_paths_are_all_writable),
        cmocka_unit_test(test_files_a_writable_path_swapped_for_a_link_makes_nothing_else_writable),
        cmocka_unit_test(test_files_bad_rules_are_refused),
        cmocka_unit_test(test_files_vanished_path_fails_the_run),
        cmocka_unit_test(test_files_a_relative_rule_keeps_to_where_it_was_given),
        cmocka_unit_test(test_files_a_rule_replaced_by_a_link_grants_nothing),
        cmocka_unit_test(test_files_rulesets_leak_no_fd),
        cmocka_unit_test(test_files_real_programs_run_with_system_paths),
        cmocka_unit_test(test_files_a_program_no_rule_lets_execute_is_named),
        cmocka_unit_test(test_files_judge_preset),
        cmocka_unit_test(test_files_a_rule_on_dev_pts_reaches_the_task_s_own_terminals),
        cmocka_unit_test(test_files_isolated_preset_reads_all_writes_tmp),
        cmocka_unit_test(test_files_preset_without_namespaces_fails_closed),
    };
    return cmocka_run_group_tests(tests, make_dirs, remove_dirs);
}
