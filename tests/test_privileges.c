/* Privileges: every capability set empty, no_new_privs, and the switch to
 * another user with supplementary groups cleared. */
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <sys/capability.h>
#include <sys/prctl.h>

#include "support.h"

static char *status_field(const char *status, const char *field, char *out, size_t size)
{
    const char *line = strstr(status, field);
    if (!line)
        return NULL;
    line += strlen(field);
    while (*line == ' ' || *line == '\t')
        line++;
    size_t len = strcspn(line, "\n");
    snprintf(out, size, "%.*s", (int)len, line);
    return out;
}

static void assert_field(const char *status, const char *field, const char *expected)
{
    char value[128];
    assert_non_null(status_field(status, field, value, sizeof value));
    assert_string_equal(value, expected);
}

/* A caller holding an ambient capability does not hand it on. */
static void test_privileges_ambient_capabilities_are_not_inherited(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    cap_t saved = cap_get_proc();
    cap_t raised = cap_dup(saved);
    cap_value_t bind = CAP_NET_BIND_SERVICE;
    cap_set_flag(raised, CAP_INHERITABLE, 1, &bind, CAP_SET);
    assert_int_equal(cap_set_proc(raised), 0);
    assert_int_equal(cap_set_ambient(CAP_NET_BIND_SERVICE, CAP_SET), 0);
    cordon_task *t = shell("grep CapAmb /proc/self/status");
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "CapAmb:\t0000000000000000\n");
    cordon_task_free(t);
    cap_set_ambient(CAP_NET_BIND_SERVICE, CAP_CLEAR);
    cap_set_proc(saved);
    cap_free(raised);
    cap_free(saved);
}

static void test_privileges_command_has_no_capabilities_and_no_new_privs(void **state)
{
    (void)state;
    cordon_task *t = shell("cat /proc/self/status");
    const cordon_result *r = run_task(t, 0);
    const char *status = r->std_out.data;
    assert_field(status, "CapInh:", "0000000000000000");
    assert_field(status, "CapPrm:", "0000000000000000");
    assert_field(status, "CapEff:", "0000000000000000");
    assert_field(status, "CapAmb:", "0000000000000000");
    assert_field(status, "NoNewPrivs:", "1");
    if (geteuid() == 0) /* only a capable caller can empty the bounding set */
        assert_field(status, "CapBnd:", "0000000000000000");
    cordon_task_free(t);
}

static int read_own_status(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    FILE *f = fopen("/proc/self/status", "r");
    char buffer[8192];
    size_t n = f ? fread(buffer, 1, sizeof buffer, f) : 0;
    fwrite(buffer, 1, n, stdout);
    if (f)
        fclose(f);
    return 0;
}

static void test_privileges_function_has_no_capabilities_and_no_new_privs(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(read_own_status, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_field(r->std_out.data, "CapEff:", "0000000000000000");
    assert_field(r->std_out.data, "CapPrm:", "0000000000000000");
    assert_field(r->std_out.data, "NoNewPrivs:", "1");
    cordon_task_free(t);
}

static void test_privileges_root_can_run_a_task_as_nobody(void **state)
{
    (void)state;
    cordon_task *t = shell("id -u; id -g; id -G; grep Groups /proc/self/status");
    if (geteuid() != 0) {
        assert_int_equal(cordon_set_user(t, 0, 0), -EPERM);
        /* its own ids, as the CLI's --user of the runner's own user: the
         * task runs as the caller (it was -EPERM) */
        gid_t groups[64];
        int count = getgroups(64, groups);
        bool alone = count == 0 || (count == 1 && groups[0] == getgid());
        assert_int_equal(cordon_set_user(t, getuid(), getgid()), alone ? 0 : -EPERM);
        if (alone) {
            const cordon_result *r = run_task(t, 0);
            char expected[64];
            snprintf(expected, sizeof expected, "%u\n%u\n", (unsigned)getuid(), (unsigned)getgid());
            assert_int_equal(strncmp(r->std_out.data, expected, strlen(expected)), 0);
        }
        cordon_task_free(t);
        return;
    }
    struct passwd *nobody = getpwnam("nobody");
    assert_non_null(nobody);
    assert_int_equal(cordon_set_user(t, nobody->pw_uid, nobody->pw_gid), 0);
    const cordon_result *r = run_task(t, 0);
    char expected[256];
    snprintf(expected, sizeof expected, "%u\n%u\n%u\nGroups:\t \n", (unsigned)nobody->pw_uid,
             (unsigned)nobody->pw_gid, (unsigned)nobody->pw_gid);
    assert_string_equal(r->std_out.data, expected);
    cordon_task_free(t);
}

/* (uid_t)-1 and (gid_t)-1 are what setresuid and setresgid take as "leave
 * it as it is": cordon_set_user(t, (uid_t)-1, gid) was 0 and the task ran
 * as root (a uid from a failed look-up, "pw ? pw->pw_uid : -1"), and
 * cordon_set_user(t, 65534, (gid_t)-1) ran it as nobody in group 0, which
 * reads what root's group may.  Both are refused, as root and not. */
static void test_privileges_set_user_refuses_the_unchanged_ids(void **state)
{
    (void)state;
    cordon_task *t = shell("id -u; id -g");
    assert_int_equal(cordon_set_user(t, (uid_t)-1, 65534), -EINVAL);
    assert_int_equal(cordon_set_user(t, 65534, (gid_t)-1), -EINVAL);
    assert_int_equal(cordon_set_user(t, (uid_t)-1, (gid_t)-1), -EINVAL);
    if (geteuid() == 0) {
        /* refused, the task runs as it would have without the call */
        const cordon_result *r = run_task(t, 0);
        assert_string_equal(r->std_out.data, "0\n0\n");
    }
    cordon_task_free(t);
}

static void test_privileges_nobody_cannot_touch_root_files(void **state)
{
    (void)state;
    if (geteuid() != 0)
        return;
    cordon_task *t = shell("echo x > /root/.cordon-test-should-fail && echo wrote");
    cordon_set_policy(t, NULL);
    cordon_set_user(t, 65534, 65534);
    const cordon_result *r = run_task(t, 0);
    assert_int_not_equal(r->exit_code, 0);
    assert_null(strstr(r->std_out.data, "wrote"));
    cordon_task_free(t);
}

/* A shell script's `echo x > /dev/stderr` opens its stderr again by name;
 * a pipe is its maker's, mode 0600, so a task run as nobody by root (the
 * runner's default) was refused its own stdout, stderr, log and stdin
 * pipes: "cannot create /dev/stderr: Permission denied".  The pipes cordon
 * makes for a task are the task's user's, as they are when the caller is
 * that user. */
static void test_privileges_a_task_run_as_nobody_opens_its_own_pipes_again(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: running a task as another user needs root\n");
        skip();
    }
    cordon_task *t = shell("echo out > /dev/stdout; echo err > /dev/stderr; "
                           "echo log > /proc/self/fd/3; cat /dev/stdin");
    assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    assert_int_equal(cordon_set_stdin(t, "in\n", 3), 0);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_err.data, "err\n");
    assert_string_equal(r->std_out.data, "out\nin\n");
    assert_string_equal(r->log_out.data, "log\n");
    assert_int_equal(r->exit_code, 0);
    cordon_task_free(t);
}

/* 1: the task's bounding set was empty, 0: it was not, 2: no task ran. */
static int task_bounding_set_emptied(void)
{
    cordon_task *t = shell("grep CapBnd /proc/self/status");
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    int emptied = rc != 0 || r->exit_code != 0 ? 2
                  : strstr(r->std_out.data, "0000000000000000") != NULL;
    cordon_task_free(t);
    return emptied;
}

/* Whether the bounding set can be dropped is the caller's CAP_SETPCAP at
 * each task, not at the first: a caller that gives it up (and takes it
 * back) between tasks still has them run, each confined as it can be. */
static void test_privileges_the_bounding_set_follows_the_callers_setpcap(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    pid_t pid = fork(); /* the caller's own capabilities change: a copy's */
    assert_true(pid >= 0);
    if (pid == 0) {
        int first = task_bounding_set_emptied();
        cap_t caps = cap_get_proc();
        cap_value_t setpcap = CAP_SETPCAP;
        cap_set_flag(caps, CAP_EFFECTIVE, 1, &setpcap, CAP_CLEAR);
        int dropped = cap_set_proc(caps);
        int without = task_bounding_set_emptied();
        cap_set_flag(caps, CAP_EFFECTIVE, 1, &setpcap, CAP_SET);
        int raised = cap_set_proc(caps);
        int again = task_bounding_set_emptied();
        cap_free(caps);
        _exit(dropped || raised ? 99 : first * 100 + without * 10 + again);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 101); /* emptied, not emptied, emptied */
}

/* An unprivileged caller's task holds CAP_SETPCAP in its own user
 * namespace, and drops the bounding set there: asked in the caller (which
 * has no CAP_SETPCAP), the set was kept whole while the result and the
 * README said it was dropped. */
static void test_privileges_the_bounding_set_is_empty_in_a_user_namespace(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    pid_t pid = fork(); /* becomes nobody: a copy */
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
            setresuid(65534, 65534, 65534) != 0)
            _exit(99);
        /* as a process started as nobody is: its /proc its own */
        if (chdir("/") != 0 || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
            _exit(99);
        cordon_task *t = cordon_command_task((const char *[]){ "/bin/true", NULL });
        cordon_set_policy(t, NULL);
        int in_namespace = cordon_run(t) == 0 &&
                           (cordon_task_result(t)->confinement & CORDON_CONFINED_PID_NAMESPACE);
        cordon_task_free(t);
        _exit(in_namespace ? task_bounding_set_emptied() : 98);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 98)
        skip(); /* no user namespaces here */
    assert_int_equal(WEXITSTATUS(status), 1);
}

/* The working directory is entered with the task's own rights: entered
 * while the child was still root, a task run as nobody started in a
 * directory beneath one only root may enter, and read the file there.
 * Now it ends in ConfinementError, having run nothing; the same directory
 * is entered where the task may. */
static void test_privileges_the_working_directory_is_entered_as_the_task_s_user(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: only root runs a task as another user\n");
        skip();
    }
    char top[] = "/tmp/cordon-cwd-rights-XXXXXX", sub[64], secret[96];
    assert_non_null(mkdtemp(top)); /* 0700, root's */
    snprintf(sub, sizeof sub, "%s/open", top);
    snprintf(secret, sizeof secret, "%s/secret", sub);
    assert_int_equal(mkdir(sub, 0755), 0);
    int fd = open(secret, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "root's\n", 7), 7);
    close(fd);
    cordon_task *t = shell("cat secret; echo ran");
    assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    assert_int_equal(cordon_set_cwd(t, sub), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ConfinementError");
    assert_non_null(strstr(r->exc_out.data, "working directory"));
    /* and says whose rights those are (a root caller saw only
     * "Permission denied" for a directory it enters itself) */
    assert_non_null(strstr(r->exc_out.data, "the task runs as user 65534 (nobody)"));
    assert_null(strstr(r->std_out.data, "root's"));
    cordon_task_free(t);
    /* Given none, the task starts in the caller's, entered again as its
     * user: it had kept the caller's, entered as root, and read the file.
     * One it may not enter leaves it at "/". */
    int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(here >= 0);
    assert_int_equal(chdir(sub), 0);
    t = shell("pwd; cat secret 2>/dev/null");
    assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    r = run_task(t, 0);
    assert_int_equal(fchdir(here), 0);
    close(here);
    assert_string_equal(r->std_out.data, "/\n");
    cordon_task_free(t);
    /* Opened to others, it is the task's to enter. */
    assert_int_equal(chmod(top, 0755), 0);
    t = shell("cat secret");
    assert_int_equal(cordon_set_user(t, 65534, 65534), 0);
    assert_int_equal(cordon_set_cwd(t, sub), 0);
    assert_string_equal(run_task(t, 0)->std_out.data, "root's\n");
    cordon_task_free(t);
    unlink(secret);
    rmdir(sub);
    rmdir(top);
}

/* Runs a task that writes beside it, as nobody and as root without
 * capabilities, from this process's deleted working directory: 0 if each
 * failed closed, saying why, with nothing run; else the check that did
 * not hold. */
static int deleted_directory_fails_each_task(const char *marker)
{
    const uid_t users[] = { 65534, 0 };
    for (size_t i = 0; i < sizeof users / sizeof *users; i++) {
        cordon_task *t = shell("pwd; echo x > cordon-made-from-a-deleted-directory");
        if (!t || cordon_set_user(t, users[i], users[i]) != 0)
            return 1;
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        int failed = rc != CORDON_EXCEPTION ? 2
                     : strcmp(r->exception, "ConfinementError") != 0 ? 3
                     : !strstr(r->message, "working directory") ? 4
                     : !strstr(r->exc_out.data, "the caller's was deleted") ? 5
                     : r->std_out.len != 0 ? 6
                     : access(marker, F_OK) == 0 ? 7 : 0;
        cordon_task_free(t);
        if (failed)
            return failed * 10 + (int)i;
    }
    return 0;
}

/* A task run as another user given no working directory enters the
 * caller's again by its path, and a deleted one has none: the task fails
 * closed, saying why, with namespaces and without.  Before, it started at
 * "/" without a word, and a root task's relative write landed there. */
static void test_privileges_a_deleted_working_directory_is_not_traded_for_the_root(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: only root runs a task as another user\n");
        skip();
    }
    const char *marker = "/cordon-made-from-a-deleted-directory";
    char gone[] = "/tmp/cordon-cwd-gone-XXXXXX";
    assert_non_null(mkdtemp(gone));
    assert_int_equal(chmod(gone, 0755), 0);
    int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(here >= 0);
    assert_int_equal(chdir(gone), 0);
    assert_int_equal(rmdir(gone), 0);
    int in_namespaces = deleted_directory_fails_each_task(marker);
    pid_t copy = fork(); /* namespaces are known once per process */
    assert_true(copy >= 0);
    if (copy == 0) {
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        _exit(deleted_directory_fails_each_task(marker));
    }
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_int_equal(fchdir(here), 0);
    close(here);
    unlink(marker);
    assert_int_equal(in_namespaces, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- a root task and a descriptor sent from outside ------------------ */

/* The sender, any local process: it accepts one connection and sends an
 * fd of the machine's /proc/sys over it. */
typedef struct sender {
    int listener, sent_fd;
} sender;

static void *send_one_fd(void *arg)
{
    sender *s = arg;
    int peer = accept4(s->listener, NULL, NULL, SOCK_CLOEXEC);
    if (peer < 0)
        return NULL;
    (void)send_byte_with_fd(peer, s->sent_fd);
    close(peer);
    return NULL;
}

/* In the task: 0 when no unix socket could be made (EACCES); 1 when it
 * received the fd and opened kernel.core_pattern for writing through it
 * (closed at once, nothing written); 2 otherwise. */
static int takes_proc_sys_from_outside(cordon_ctx *ctx, void *path)
{
    (void)ctx;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno == EACCES ? 0 : 2;
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    snprintf(address.sun_path, sizeof address.sun_path, "%s", (const char *)path);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0)
        return 2;
    char byte;
    struct iovec io = { &byte, 1 };
    union { struct cmsghdr header; char room[CMSG_SPACE(sizeof(int))]; } control;
    struct msghdr message = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = control.room,
                              .msg_controllen = sizeof control.room };
    if (recvmsg(fd, &message, MSG_CMSG_CLOEXEC) != 1 || !CMSG_FIRSTHDR(&message))
        return 2;
    int sys;
    memcpy(&sys, CMSG_DATA(CMSG_FIRSTHDR(&message)), sizeof sys);
    int setting = openat(sys, "kernel/core_pattern", O_WRONLY | O_APPEND | O_CLOEXEC);
    if (setting < 0)
        return 2;
    close(setting);
    return 1;
}

/* The kernel lets uid 0 write its settings by the files' owner bits, no
 * capability needed: a root task's view has /proc/sys read-only, but a
 * descriptor of the machine's /proc/sys sent over a unix socket by any
 * local process (here the caller's own) opened kernel.core_pattern for
 * writing, the next crash's command run as root.  A task of root's makes
 * no unix socket, under any policy and none; a stream socketpair, which
 * reaches only its peer, still works. */
static void test_privileges_a_root_task_takes_no_descriptor_from_outside(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: only a task of root's writes the kernel's settings\n");
        skip();
    }
    SKIP_UNDER_VALGRIND("valgrind has no seccomp(2)");
    char path[108];
    sender s = { listen_on_a_socket_file(path, sizeof path, "proc-sys"),
                 open("/proc/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
    assert_true(s.sent_fd >= 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, send_one_fd, &s), 0);
    cordon_policy *builtin = cordon_policy_load("default", NULL);
    assert_non_null(builtin);
    const cordon_policy *policies[] = { builtin, NULL };
    for (size_t p = 0; p < 2; p++) {
        cordon_task *t = cordon_function_task(takes_proc_sys_from_outside, path);
        assert_int_equal(cordon_set_policy(t, policies[p]), 0);
        cordon_set_timeout_ms(t, 10000);
        const cordon_result *r = run_task(t, 0);
        if (r->exit_code != 0)
            fail_msg("%s: %d (1: core_pattern opened for writing)", p ? "no policy" : "default",
                     r->exit_code);
        cordon_task_free(t);
    }
    /* Unblocks the sender, had no task connected. */
    int unblock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    assert_int_equal(connect(unblock, (struct sockaddr *)&address, sizeof address), 0);
    pthread_join(thread, NULL);
    close(unblock);
    close(s.listener);
    close(s.sent_fd);
    cordon_policy_free(builtin);
    unlink(path);
    /* i386's socket calls hide the family from a filter: a policy that
     * admits the ABI runs no task of root's, and says why (it blamed file
     * rules no one gave). */
    cordon_error err;
    cordon_policy *i386 = cordon_policy_parse("default allow\narch i386\n", "old.policy", &err);
    assert_non_null(i386);
    cordon_task *t = cordon_function_task(takes_proc_sys_from_outside, path);
    assert_int_equal(cordon_set_policy(t, i386), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "ConfinementError");
    assert_non_null(strstr(r->message, "so a task that runs as root cannot be kept from unix "
                                       "sockets under it"));
    cordon_task_free(t);
    cordon_policy_free(i386);
}

/* In the task: 0 if it made a unix socket, else the errno. */
static int makes_a_unix_socket(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

/* In a copy of the test: root of a user namespace whose uid 0 is the
 * machine's 65534 (mapped by this copy, which may) runs a task; what its
 * socket(AF_UNIX) gave, 77 to skip. */
static int unix_socket_as_root_of_a_user_namespace(void)
{
    int ready[2], go[2];
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0)
        return 77;
    pid_t inner = fork();
    if (inner == 0) {
        char byte = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
        if (write(ready[1], &byte, 1) != 1 || byte != 'y' || read(go[0], &byte, 1) != 1 ||
            byte != 'y' || setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)
            _exit(77);
        setenv("CORDON_NO_NAMESPACES", "1", 1); /* the machine's own, as seen from here */
        cordon_task *t = cordon_function_task(makes_a_unix_socket, NULL);
        cordon_set_policy(t, NULL);
        _exit(cordon_run(t) == 0 ? cordon_task_result(t)->exit_code : 78);
    }
    char byte = 'n', path[64], map[32];
    bool mapped = read(ready[0], &byte, 1) == 1 && byte == 'y';
    snprintf(map, sizeof map, "0 %u 1\n", geteuid() == 0 ? 65534u : (unsigned)geteuid());
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)inner);
    mapped = mapped && write_existing_file(path, map) == 0;
    snprintf(path, sizeof path, "/proc/%d/setgroups", (int)inner);
    mapped = mapped && write_existing_file(path, "deny") == 0;
    snprintf(map, sizeof map, "0 %u 1\n", geteuid() == 0 ? 65534u : (unsigned)getegid());
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)inner);
    mapped = mapped && write_existing_file(path, map) == 0;
    byte = mapped ? 'y' : 'n';
    (void)!write(go[1], &byte, 1);
    int status;
    if (waitpid(inner, &status, 0) != inner || !WIFEXITED(status))
        return 79;
    return WEXITSTATUS(status);
}

/* Root of a user namespace of its own (a rootless container, `unshare
 * -r`) is another user to the kernel: it writes no kernel setting, and
 * its tasks keep their unix sockets (they had been refused as root's). */
static void test_privileges_root_of_a_user_namespace_is_not_the_machine_s(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy of itself with its own status");
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0)
        _exit(unix_socket_as_root_of_a_user_namespace());
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        print_message("skipped: no user namespace to be had here\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* A caller whose real uid is root and effective uid another (setresuid(0,
 * 65534, 0)) had handed its real and saved ids on: its command ran as
 * uid 0, held as no task of root's is. */
static void test_privileges_a_task_is_its_caller_s_effective_user_wholly(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: only root holds two users at once\n");
        skip();
    }
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        if (syscall(SYS_setresgid, 0, 65534, 0) != 0 || syscall(SYS_setresuid, 0, 65534, 0) != 0)
            _exit(77);
        const char *const argv[] = { "/bin/sh", "-c", "grep -E '^(Uid|Gid):' /proc/self/status",
                                     NULL };
        cordon_task *t = cordon_command_task(argv);
        cordon_set_policy(t, NULL);
        if (cordon_run(t) != 0)
            _exit(78);
        const char *out = cordon_task_result(t)->std_out.data;
        _exit(strcmp(out, "Uid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\n")
                  ? 1 : 0);
    }
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_privileges_command_has_no_capabilities_and_no_new_privs),
        cmocka_unit_test(test_privileges_ambient_capabilities_are_not_inherited),
        cmocka_unit_test(test_privileges_function_has_no_capabilities_and_no_new_privs),
        cmocka_unit_test(test_privileges_root_can_run_a_task_as_nobody),
        cmocka_unit_test(test_privileges_set_user_refuses_the_unchanged_ids),
        cmocka_unit_test(test_privileges_nobody_cannot_touch_root_files),
        cmocka_unit_test(test_privileges_a_task_run_as_nobody_opens_its_own_pipes_again),
        cmocka_unit_test(test_privileges_the_bounding_set_follows_the_callers_setpcap),
        cmocka_unit_test(test_privileges_the_bounding_set_is_empty_in_a_user_namespace),
        cmocka_unit_test(test_privileges_the_working_directory_is_entered_as_the_task_s_user),
        cmocka_unit_test(test_privileges_a_deleted_working_directory_is_not_traded_for_the_root),
        cmocka_unit_test(test_privileges_a_root_task_takes_no_descriptor_from_outside),
        cmocka_unit_test(test_privileges_root_of_a_user_namespace_is_not_the_machine_s),
        cmocka_unit_test(test_privileges_a_task_is_its_caller_s_effective_user_wholly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
