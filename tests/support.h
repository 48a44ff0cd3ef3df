/* Helpers shared by the cmocka tests: only what several files need. */
#ifndef CORDON_TEST_SUPPORT_H
#define CORDON_TEST_SUPPORT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../lib/cordon.h"

/* make valgrind sets this.  valgrind does not know seccomp(2), pidfds or
 * clone3, exits a forked copy of itself with its own status when that copy
 * has leaks, and unwinds through its own signal frames: the tests of those
 * skip under it (each says why) and run in make test. */
#define SKIP_UNDER_VALGRIND(why)                                            \
    do {                                                                    \
        if (getenv("CORDON_UNDER_VALGRIND")) {                              \
            print_message("skipped under valgrind: %s\n", why);             \
            skip();                                                         \
        }                                                                   \
    } while (0)

/* What a test's make_socket prints for AF_UNIX where the policy lets it
 * through: a task of root's makes none (sandbox/policy.h), and a root
 * caller's tasks run as root. */
static inline const char *unix_socket_made(void)
{
    return geteuid() == 0 ? "socket Permission denied\n" : "socket made\n";
}

/* How many times a loop repeats a task: `plain` in the plain build,
 * `sanitized` under AddressSanitizer (each task there is several forks
 * of an instrumented process, and a memory error or a leak shows in the
 * first rounds), `valgrind` under valgrind. */
static inline int rounds_for_build(int plain, int sanitized, int valgrind)
{
    if (getenv("CORDON_UNDER_VALGRIND"))
        return valgrind;
#if defined(__SANITIZE_ADDRESS__)
    (void)plain;
    return sanitized;
#else
    (void)sanitized;
    return plain;
#endif
}

/* Lowers the caller's soft RLIMIT_NOFILE to at most `most` (so that a
 * test can exhaust it, or outrun it with fds kept); returns the limits to
 * put back with setrlimit. */
static inline struct rlimit open_files_lowered_to(rlim_t most)
{
    struct rlimit before, fewer;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &before), 0);
    fewer = before;
    if (fewer.rlim_cur > most)
        fewer.rlim_cur = most;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &fewer), 0);
    return before;
}

/* Makes the caller large: `mib` MiB allocated and touched (every page
 * resident), for tests of what a task's start copies of its caller.  The
 * caller frees it, before any assertion that may fail: the tests after a
 * failure run from a small caller.  Skips under valgrind, where touching
 * it takes minutes. */
static inline char *hold_touched_memory(size_t mib)
{
    SKIP_UNDER_VALGRIND("touching the caller's memory under valgrind takes minutes");
    char *held = malloc(mib << 20);
    assert_non_null(held);
    memset(held, 1, mib << 20);
    return held;
}

/* The calling process's own CPU time, in ms. */
static inline double own_process_cpu_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

/* What a MiB of new memory costs here to touch and to free, in ms of CPU
 * (a forked child's, 128 MiB); 0 where it could not be measured. */
static inline void memory_costs_per_mib(double *touch_ms, double *free_ms)
{
    double costs[2] = { 0, 0 };
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        return;
    pid_t child = fork();
    if (child == 0) {
        size_t len = 128u << 20;
        double start = own_process_cpu_ms();
        char *block = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (block == MAP_FAILED)
            _exit(1);
        for (size_t at = 0; at < len; at += 4096)
            ((volatile char *)block)[at] = 1;
        double touched = own_process_cpu_ms();
        munmap(block, len);
        double freed = own_process_cpu_ms();
        double measured[2] = { (touched - start) / 128, (freed - touched) / 128 };
        _exit(write(out[1], measured, sizeof measured) == sizeof measured ? 0 : 1);
    }
    close(out[1]);
    if (child > 0 && read(out[0], costs, sizeof costs) != sizeof costs)
        costs[0] = costs[1] = 0;
    close(out[0]);
    if (child > 0)
        waitpid(child, NULL, 0);
    *touch_ms = costs[0];
    *free_ms = costs[1];
}

/* Waits up to 5 s for `pid` to be gone, or dead and waiting for whoever
 * adopted it to reap it: true if it is. */
static inline bool process_gone(pid_t pid)
{
    for (int i = 0; i < 500; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "r");
        if (!f)
            return true;
        char status = '?';
        int scanned = fscanf(f, "%*d %*s %c", &status);
        fclose(f);
        if (scanned == 1 && status == 'Z')
            return true;
        usleep(10 * 1000);
    }
    return false;
}

/* A zombie, or no process at all. */
static inline bool process_gone_now(const char *pid)
{
    char path[300];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    char status = '?';
    int scanned = fscanf(f, "%*d %*s %c", &status);
    fclose(f);
    return scanned == 1 && status == 'Z';
}

/* /proc/PID/stat of `pid` (a /proc entry's name): its parent, state and
 * name (comm, cut to `size`); false where it is no process (or gone). */
static inline bool proc_stat_of(const char *pid, pid_t *ppid, char *state, char *comm, size_t size)
{
    char path[300], text[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *open_paren = strchr(text, '('), *close_paren = strrchr(text, ')');
    int parent = 0;
    if (!open_paren || !close_paren || close_paren < open_paren ||
        sscanf(close_paren + 1, " %c %d", state, &parent) != 2)
        return false;
    *ppid = parent;
    *close_paren = '\0';
    snprintf(comm, size, "%s", open_paren + 1);
    return true;
}

/* An output callback counting the lines tasks wrote to stdout (`user`:
 * an int the tasks share): their word that they are ready. */
static inline void count_stdout_lines(void *user, int stream, const char *data, size_t len)
{
    for (size_t i = 0; stream == 1 && i < len; i++)
        if (data[i] == '\n')
            __atomic_add_fetch((int *)user, 1, __ATOMIC_RELEASE);
}

/* Waits, at most 30 s, until `lines` lines were counted: on a loaded
 * machine a fixed wait for a task's work was not always long enough. */
static inline void wait_for_stdout_lines(const int *counted, int lines)
{
    for (int i = 0; i < 3000 && __atomic_load_n(counted, __ATOMIC_ACQUIRE) < lines; i++)
        usleep(10 * 1000);
}

/* Processes, other than zombies, with `argument` as one of their argv
 * (e.g. a unique duration given to sleep) or, with `by_name`, as their
 * name.  A task's pids are its own namespace's: tests find its processes
 * by such a mark instead. */
static inline int count_marked_processes(const char *mark, bool by_name)
{
    DIR *proc = opendir("/proc");
    int count = 0;
    for (struct dirent *e; proc && (e = readdir(proc));) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char path[300], text[4096];
        snprintf(path, sizeof path, "/proc/%s/%s", e->d_name, by_name ? "comm" : "cmdline");
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
        if (f)
            fclose(f);
        text[n] = '\0';
        if (by_name) {
            text[strcspn(text, "\n")] = '\0';
            count += strcmp(text, mark) == 0 && !process_gone_now(e->d_name);
            continue;
        }
        for (size_t at = 0; at < n; at += strlen(text + at) + 1) {
            if (strcmp(text + at, mark) == 0) {
                count++;
                break;
            }
        }
    }
    if (proc)
        closedir(proc);
    return count;
}

/* Waits up to 5 s for every process so marked to be gone. */
static inline bool marked_processes_gone(const char *mark, bool by_name)
{
    for (int i = 0; i < 500; i++) {
        if (count_marked_processes(mark, by_name) == 0)
            return true;
        usleep(10 * 1000);
    }
    return false;
}

/* Open fds of this process, to prove that nothing leaks. */
static inline int count_open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int count = 0;
    for (struct dirent *e; dir && (e = readdir(dir));)
        count += e->d_name[0] != '.';
    if (dir)
        closedir(dir);
    return count - 1; /* the directory's own fd */
}

/* Whether the cgroup `dir` still holds a process: v2's cgroup.events
 * (which counts its descendants too), else v1's cgroup.procs. */
static inline bool cgroup_holds_a_process(const char *dir)
{
    char path[1100], text[256] = "";
    snprintf(path, sizeof path, "%s/cgroup.events", dir);
    FILE *f = fopen(path, "r");
    bool v2 = f != NULL;
    if (!f) {
        snprintf(path, sizeof path, "%s/cgroup.procs", dir);
        f = fopen(path, "r");
    }
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    return v2 ? strstr(text, "populated 0") == NULL : n > 0;
}

/* The cgroups directly below `parent` whose names start with `prefix`:
 * how many there are, and how many of them still hold a process. */
static inline void count_cgroups(const char *parent, const char *prefix, int *all, int *holding)
{
    DIR *dir = opendir(parent);
    for (struct dirent *e; dir && (e = readdir(dir));) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.' ||
            strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
        (*all)++;
        *holding += cgroup_holds_a_process(path);
    }
    if (dir)
        closedir(dir);
}

/* True when this process has no child left, waited for or not. */
static inline int no_children_left(void)
{
    /* An ending cordon did not wait for (a killed tree's, or the rest of
     * a tree whose first process ended, that took more than 250 ms to
     * free: 400 children under ASan did) is reaped by a thread of cordon's
     * after the run: within 60 s (README), 20 s here. */
    for (int waited = 0;; waited++) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        int rc = waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | __WALL);
        if (rc < 0 && errno == ECHILD)
            return 1;
        if (waited == 400)
            return 0;
        usleep(50 * 1000);
    }
}

/* `text` written whole to the existing file `path` (a map of a user
 * namespace's, a setting): 0, or -1. */
static inline int write_existing_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* One byte over `socket`, carrying `fd` (SCM_RIGHTS) where it is >= 0:
 * 0, or -errno. */
static inline int send_byte_with_fd(int socket, int fd)
{
    char byte = 0;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (fd >= 0) {
        message.msg_control = control.space;
        message.msg_controllen = sizeof control.space;
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    }
    return sendmsg(socket, &message, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

/* A unix socket of the caller's bound at /var/tmp/cordon-NAME-PID (any
 * user may connect), listening; its path in `path`. */
static inline int listen_on_a_socket_file(char *path, size_t size, const char *name)
{
    snprintf(path, size, "/var/tmp/cordon-%s-%d", name, (int)getpid());
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    assert_int_equal(bind(listener, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal(chmod(path, 0777), 0);
    assert_int_equal(listen(listener, 8), 0);
    return listener;
}

/* In the task: the errno of io_uring_setup (whose IORING_OP_SOCKET and
 * IORING_OP_CONNECT no filter sees), or 0 if a ring was made. */
static inline int makes_an_io_uring(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    unsigned char params[120] = { 0 }; /* struct io_uring_params */
    long fd = syscall(SYS_io_uring_setup, 8, params);
    if (fd < 0)
        return errno;
    close((int)fd);
    return 0;
}

/* In the task: 0 if it reached the unix socket bound at `arg`, else the
 * errno; and a stream socketpair of its own works either way (-1 if not). */
static inline int connects_to_a_socket_file(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return -1;
    close(pair[0]);
    close(pair[1]);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    snprintf(address.sun_path, sizeof address.sun_path, "%s", (const char *)arg);
    int rc = connect(fd, (struct sockaddr *)&address, sizeof address) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

static inline const cordon_result *run_task(cordon_task *t, int expected_rc)
{
    assert_non_null(t);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    if (rc != expected_rc)
        fprintf(stderr, "rc %d, exception %s, exc_out:\n%s\nstdout:\n%s\nstderr:\n%s\n", rc,
                r->exception ? r->exception : "(none)", r->exc_out.data, r->std_out.data,
                r->std_err.data);
    assert_int_equal(rc, expected_rc);
    return r;
}

/* Skips the test, freeing `t`, where the run was not held by what it
 * tests (`held` false): a caller that may make no such cgroup. */
static inline void skip_unless_held(bool held, cordon_task *t, const char *missing)
{
    if (held)
        return;
    cordon_task_free(t);
    print_message("skipped: %s\n", missing);
    skip();
}

/* In the task: spins until something ends it. */
static inline int spins_forever(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    for (volatile unsigned long i = 0;; i++)
        ;
    return 0;
}

/* The runner (CORDON_RUNNER) started with `args` (NULL-ended, at most 14)
 * after its name, its output to /dev/null; -1 where there is none. */
static inline pid_t start_runner_quietly(const char *const args[])
{
    const char *runner = getenv("CORDON_RUNNER");
    if (!runner)
        return -1;
    char *argv[16] = { (char *)runner };
    for (int i = 0; args[i] && i < 14; i++)
        argv[i + 1] = (char *)args[i];
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execv(runner, argv);
        _exit(127);
    }
    return pid;
}

static inline cordon_task *shell(const char *command)
{
    cordon_task *t = cordon_shell_task(command);
    assert_non_null(t);
    return t;
}

/* Skips (freeing `t`) a test of what cordon's init timed: the end of the
 * task's first process, known only in a pid namespace. */
static inline void skip_without_the_init_s_timing(cordon_task *t)
{
    if (cordon_task_result(t)->confinement & CORDON_CONFINED_PID_NAMESPACE)
        return;
    cordon_task_free(t);
    print_message("skipped: no pid namespace here (the first process's end is timed by "
                  "cordon's init)\n");
    skip();
}

/* Runs `body(out)` in a copy of the test, which writes what it found to
 * the pipe `out` and _exits: a test that changes the process (its /dev,
 * its scheduling policy) keeps the test itself as it was.  Waits at most
 * 30 s; a copy still running then is killed, and the test fails with
 * `hung`.  What it wrote goes to `text`; its wait status is returned.
 * The copy is a process group of its own, killed whole at the end: a
 * process it started and left (one holding the test's output pipe would
 * keep a `| tail` of the suite from ending) goes with it. */
static inline int run_in_a_copy(void (*body)(int out), char *text, size_t size, const char *hung)
{
    int out[2];
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        close(out[0]);
        body(out[1]);
        _exit(0);
    }
    setpgid(pid, pid); /* either side's call may come first */
    close(out[1]);
    int status = 0;
    for (int waited = 0;; waited++) {
        /* Not reaped yet: its pid, the group's, is not another's. */
        siginfo_t ended;
        memset(&ended, 0, sizeof ended);
        if (waitid(P_PID, (id_t)pid, &ended, WEXITED | WNOHANG | WNOWAIT) != 0 || ended.si_pid)
            break;
        if (waited == 300) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL); /* had it left its group */
            waitpid(pid, &status, 0);
            close(out[0]);
            fail_msg("%s", hung);
        }
        usleep(100 * 1000);
    }
    kill(-pid, SIGKILL); /* what the copy left behind */
    waitpid(pid, &status, 0);
    ssize_t n = read(out[0], text, size - 1);
    close(out[0]);
    text[n > 0 ? n : 0] = '\0';
    return status;
}

/* Skips the test where a task run with the defaults lacks `mechanism` (a
 * CORDON_CONFINED_* bit), saying `why`: a machine, a user or valgrind
 * (no pidfd_open) that gives none. */
static inline void skip_unless_tasks_get(unsigned mechanism, const char *why)
{
    cordon_task *probe = cordon_shell_task("true");
    assert_non_null(probe);
    assert_int_equal(cordon_run(probe), 0);
    bool held = cordon_task_result(probe)->confinement & mechanism;
    cordon_task_free(probe);
    if (!held) {
        print_message("%s\n", why);
        skip();
    }
}

/* A /dev of the process's own, in a mount namespace of its own, holding
 * the nodes cordon and the task use: a task running as root may swap
 * them there without touching the machine's (needs root). */
static inline bool own_dev(void)
{
    static const struct { const char *name; unsigned major, minor; } nodes[] = {
        { "/dev/ptmx", 5, 2 }, { "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 },
        { "/dev/full", 1, 7 }, { "/dev/urandom", 1, 9 }, { "/dev/random", 1, 8 },
    };
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", "/dev", "tmpfs", 0, "size=64k,mode=0755") != 0)
        return false;
    for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++)
        if (mknod(nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) != 0)
            return false;
    return mkdir("/dev/pts", 0755) == 0 && mkdir("/dev/shm", 01777) == 0 &&
           mkdir("/dev/mqueue", 01777) == 0;
}

#endif
