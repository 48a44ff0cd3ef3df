/* Spare network namespaces (lib/spare_namespaces.c, lib/spare_keeper.c):
 * from a process's second task without a network on, a keeper process
 * makes the next tasks' network namespaces ahead.  Each task still gets
 * a fresh namespace of its own, confined the same; the keeper dies with
 * its caller, is no child the caller waits for, and a task runs without
 * it (stopped, killed, unable to make one) as it ran before.  Most tests
 * run in a copy of the test, whose keeper is its own. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "support.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* A port no one else's namespace matters to: each task has its own. */
#define PORT 47123

/* In the task: its network namespace's cookie (unique for the machine's
 * lifetime) and inode; loopback must be the one interface, and up. */
typedef struct seen {
    uint64_t cookie;
    uint64_t inode;
    int problem; /* 0, or what was wrong */
} seen;

static int look_around(cordon_ctx *ctx, void *arg)
{
    seen s = { 0, 0, 0 };
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof s.cookie;
    struct stat st;
    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &s.cookie, &len) != 0)
        s.problem = 1;
    if (stat("/proc/self/ns/net", &st) != 0)
        s.problem = 2;
    s.inode = st.st_ino;
    struct if_nameindex *names = if_nameindex();
    if (!names || !names[0].if_name || strcmp(names[0].if_name, "lo") != 0 || names[1].if_name)
        s.problem = 3;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    memcpy(request.ifr_name, "lo", 3);
    if (fd >= 0 && (ioctl(fd, SIOCGIFFLAGS, &request) != 0 || !(request.ifr_flags & IFF_UP)))
        s.problem = 4;
    /* No fd of the caller's beyond 0-3 (and the listener's socket at 4):
     * never a spare's namespace. */
    for (int other = 4; other < 1024; other++) {
        char path[64], target[64] = "";
        snprintf(path, sizeof path, "/proc/self/fd/%d", other);
        if (other != fd && readlink(path, target, sizeof target - 1) > 0 &&
            (strstr(target, "net:") || strstr(target, "user:")))
            s.problem = 5;
    }
    if (arg)
        usleep((useconds_t)(uintptr_t)arg);
    cordon_return(ctx, &s, sizeof s);
    return 0;
}

static cordon_task *without_network(cordon_fn fn, void *arg)
{
    cordon_task *t = cordon_function_task(fn, arg);
    if (t && cordon_set_network(t, CORDON_NETWORK_NONE) != 0) {
        cordon_task_free(t);
        return NULL;
    }
    return t;
}

/* What a task without a network saw; false if it did not run. */
static bool run_looking(seen *s, uintptr_t linger_us)
{
    cordon_task *t = without_network(look_around, (void *)linger_us);
    bool ran = t && cordon_run(t) == 0 &&
               cordon_task_result(t)->returns.len == sizeof *s;
    if (ran)
        memcpy(s, cordon_task_result(t)->returns.data, sizeof *s);
    cordon_task_free(t);
    return ran;
}

/* Skips where no task gets a network namespace (valgrind, a container
 * that refuses them, a kernel without SO_NETNS_COOKIE). */
static void require_network_namespaces(void)
{
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open: no task gets a network namespace under it");
    seen s;
    if (!run_looking(&s, 0) || s.problem == 1) {
        print_message("no network namespace, or no SO_NETNS_COOKIE, here: skipped\n");
        skip();
    }
}

/* The pid of the keeper among `caller`'s children (comm cordon-spares),
 * waited for up to 5 s; 0 if there is none. */
static pid_t keeper_of(pid_t caller, int wait_ms)
{
    for (int waited = 0;; waited += 20) {
        DIR *proc = opendir("/proc");
        struct dirent *e;
        pid_t found = 0;
        while (proc && !found && (e = readdir(proc))) {
            char state, comm[32];
            pid_t ppid;
            if (proc_stat_of(e->d_name, &ppid, &state, comm, sizeof comm) && ppid == caller &&
                state != 'Z' && strcmp(comm, "cordon-spares") == 0)
                found = atoi(e->d_name);
        }
        if (proc)
            closedir(proc);
        if (found || waited >= wait_ms)
            return found;
        usleep(20 * 1000);
    }
}

/* Runs `body` in a copy of the test; fails with what the copy wrote if
 * it did not exit 0. */
static void in_a_copy(void (*body)(int out))
{
    char text[512];
    int status = run_in_a_copy(body, text, sizeof text, "the copy hung");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the copy ended with status %#x: %s", status, text);
}

#define CHECK(out, condition)                                                       \
    do {                                                                            \
        if (!(condition)) {                                                         \
            dprintf(out, "%s:%d: %s", __FILE__, __LINE__, #condition);              \
            _exit(1);                                                               \
        }                                                                           \
    } while (0)

/* A filter of the caller's, installed once its keeper is running (which
 * it does not reach): unshare(CLONE_NEWNET) refused.  A task can then
 * have a network namespace only from a spare. */
static int refuse_own_network_namespaces(void)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
    if (!f)
        return -ENOMEM;
    int rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWNET, CLONE_NEWNET));
    if (rc == 0)
        rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 1);
    if (rc == 0)
        rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? seccomp_load(f) : -errno;
    seccomp_release(f);
    return rc;
}

/* A task without a network, retried while it fails: true once it ran
 * (within some 5 s, for a loaded machine's keeper). */
static bool runs_soon(seen *s)
{
    for (int tries = 0; tries < 50; tries++) {
        if (run_looking(s, 0))
            return true;
        usleep(100 * 1000);
    }
    return false;
}

/* run_looking as an async run: started on a collector thread that ends
 * with the task. */
static bool run_looking_async(seen *s)
{
    cordon_task *t = without_network(look_around, NULL);
    bool ran = t && cordon_run_async(t) == 0 && cordon_join(t) == 0 &&
               cordon_task_result(t)->returns.len == sizeof *s;
    if (ran)
        memcpy(s, cordon_task_result(t)->returns.data, sizeof *s);
    cordon_task_free(t);
    return ran;
}

static void spares_are_taken(int out)
{
    seen first, second, s[4];
    /* The keeper is started by the second, on a thread that then ends. */
    CHECK(out, run_looking_async(&first) && run_looking_async(&second));
    usleep(100 * 1000);
    CHECK(out, keeper_of(getpid(), 5000) > 0);
    CHECK(out, refuse_own_network_namespaces() == 0);
    /* Without spares these could not run at all; each takes a new one. */
    for (int i = 0; i < 4; i++) {
        CHECK(out, runs_soon(&s[i]));
        CHECK(out, s[i].problem == 0);
        CHECK(out, s[i].cookie != first.cookie && s[i].cookie != second.cookie);
        for (int j = 0; j < i; j++)
            CHECK(out, s[i].cookie != s[j].cookie);
    }
    /* A command's child (which shares the caller's memory until its
     * exec) joins one too. */
    bool command_ran = false;
    for (int tries = 0; tries < 50 && !command_ran; tries++) {
        const char *const argv[] = { "sh", "-c", "grep -c : /proc/net/dev", NULL };
        cordon_task *t = cordon_command_task(argv);
        CHECK(out, t && cordon_set_network(t, CORDON_NETWORK_NONE) == 0);
        command_ran = cordon_run(t) == 0 && cordon_task_result(t)->exit_code == 0 &&
                      strcmp(cordon_task_result(t)->std_out.data, "1\n") == 0;
        cordon_task_free(t);
        if (!command_ran)
            usleep(100 * 1000);
    }
    CHECK(out, command_ran);
    /* The keeper was not reached by the filter: with spares off, refused. */
    setenv("CORDON_NO_SPARE_NAMESPACES", "1", 1);
    CHECK(out, !run_looking(&first, 0));
}

/* The spares are made and taken: under a filter that refuses the task
 * its own unshare(CLONE_NEWNET), tasks still run, each in a namespace
 * of its own, made ahead by the keeper (which the filter does not
 * reach); with spares turned off the same task cannot run.  The keeper
 * outlives the thread that started it (an async run's collector). */
static void test_spares_are_made_ahead_and_taken(void **state)
{
    (void)state;
    require_network_namespaces();
    in_a_copy(spares_are_taken);
}

/* Every task a namespace of its own, never the caller's, with loopback
 * up and alone: one after another (their cookies, never reused) and at
 * once (their inodes, distinct while both live). */
static void test_every_task_has_a_fresh_namespace(void **state)
{
    (void)state;
    require_network_namespaces();
    struct stat own;
    assert_int_equal(stat("/proc/self/ns/net", &own), 0);
    seen s[8];
    for (int i = 0; i < 8; i++) {
        assert_true(run_looking(&s[i], 0));
        assert_int_equal(s[i].problem, 0);
        assert_true(s[i].inode != own.st_ino);
        for (int j = 0; j < i; j++)
            assert_true(s[i].cookie != s[j].cookie);
    }
    cordon_task *at_once[4];
    for (int i = 0; i < 4; i++) {
        at_once[i] = without_network(look_around, (void *)(uintptr_t)500000);
        assert_non_null(at_once[i]);
        assert_int_equal(cordon_run_async(at_once[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cordon_join(at_once[i]), 0);
        const cordon_result *r = cordon_task_result(at_once[i]);
        assert_int_equal(r->returns.len, sizeof(seen));
        memcpy(&s[i], r->returns.data, sizeof(seen));
        assert_int_equal(s[i].problem, 0);
        assert_true(s[i].inode != own.st_ino);
        for (int j = 0; j < i; j++)
            assert_true(s[i].inode != s[j].inode && s[i].cookie != s[j].cookie);
    }
    for (int i = 0; i < 4; i++)
        cordon_task_free(at_once[i]);
}

/* In the task: listens on its 127.0.0.1:PORT for `arg` us; 0 if it did. */
static int holds_a_listener(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(PORT) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 8) != 0)
        return 100 + errno;
    usleep((useconds_t)(uintptr_t)arg);
    return 0;
}

/* In the task: the errno of a connection to 127.0.0.1:PORT, 0 if made. */
static int connects(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(PORT) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return 100 + errno;
    return connect(fd, (struct sockaddr *)&address, sizeof address) == 0 ? 0 : errno;
}

/* A task reaches neither the listener another task holds on its own
 * 127.0.0.1 nor the caller's on the same port. */
static void test_tasks_cannot_reach_each_other(void **state)
{
    (void)state;
    require_network_namespaces();
    seen warm;
    assert_true(run_looking(&warm, 0)); /* the keeper is running from here */
    int caller = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(PORT) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(caller, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool caller_listens = bind(caller, (struct sockaddr *)&address, sizeof address) == 0 &&
                          listen(caller, 8) == 0;
    cordon_task *holder = without_network(holds_a_listener, (void *)(uintptr_t)3000000);
    assert_non_null(holder);
    assert_int_equal(cordon_run_async(holder), 0);
    usleep(300 * 1000);
    for (int i = 0; i < 3; i++) {
        cordon_task *t = without_network(connects, NULL);
        assert_non_null(t);
        assert_int_equal(cordon_run(t), 0);
        assert_int_equal(cordon_task_result(t)->exit_code, ECONNREFUSED);
        cordon_task_free(t);
    }
    /* Still listening all along: it ends after the three tried. */
    assert_true(cordon_task_done(holder) == 0);
    assert_int_equal(cordon_join(holder), 0);
    assert_int_equal(cordon_task_result(holder)->exit_code, 0);
    cordon_task_free(holder);
    if (!caller_listens)
        print_message("the caller's 127.0.0.1:%d was taken: only the task's listener tried\n", PORT);
    close(caller);
}

static void caller_with_a_keeper(int out)
{
    seen s;
    CHECK(out, run_looking(&s, 0) && run_looking(&s, 0));
    pid_t keeper = keeper_of(getpid(), 5000);
    CHECK(out, keeper > 0);
    dprintf(out, "%d", (int)keeper);
    pause();
}

/* The keeper and its maker die with the caller, even a keeper that is
 * stopped: a caller killed with SIGKILL leaves no process behind (the
 * test adopts its orphans). */
static void test_keeper_dies_with_its_caller(void **state)
{
    (void)state;
    require_network_namespaces();
    cordon_release_spares(); /* this process's own keeper, not adopted */
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    int out[2];
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    pid_t caller = fork();
    assert_true(caller >= 0);
    if (caller == 0) {
        close(out[0]);
        caller_with_a_keeper(out[1]);
        _exit(0);
    }
    close(out[1]);
    char text[64] = "";
    ssize_t n = read(out[0], text, sizeof text - 1);
    close(out[0]);
    int keeper = n > 0 ? atoi(text) : 0;
    /* Stopped, it cannot watch: its parent-death signal still ends it. */
    if (keeper > 0)
        kill(keeper, SIGSTOP);
    kill(caller, SIGKILL);
    assert_int_equal(waitpid(caller, NULL, 0), caller);
    /* Everything the caller left is adopted here: all must end. */
    bool left = false;
    for (int waited = 0; waited < 500; waited++) {
        pid_t pid = waitpid(-1, NULL, WNOHANG | __WALL);
        if (pid < 0 && errno == ECHILD)
            break;
        left = waited == 499;
        if (pid == 0)
            usleep(10 * 1000);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    if (keeper <= 0)
        fail_msg("the caller found no keeper: %s", text);
    assert_false(left);
    assert_true(process_gone(keeper));
}

static int sigchld_seen;
static void count_sigchld(int signo)
{
    (void)signo;
    sigchld_seen++;
}

static bool fd_closes_on_exec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    return flags >= 0 && (flags & FD_CLOEXEC);
}

/* Open fds of `pid` (its /proc/PID/fd), at most 64 of them. */
static int fds_of(pid_t pid, int *fds)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < 64)
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
            fds[count++] = atoi(e->d_name);
    closedir(d);
    return count;
}

static bool is_one_of(int fd, const int *fds, int count)
{
    for (int i = 0; i < count; i++)
        if (fds[i] == fd)
            return true;
    return false;
}

/* How many of `fds` are not in `old` and are a `kind` (a link's start). */
static int new_of_kind(const int *fds, int count, const int *old, int old_count, const char *kind)
{
    int found = 0;
    for (int i = 0; i < count; i++) {
        char path[64], target[128] = "";
        snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
        if (!is_one_of(fds[i], old, old_count) && readlink(path, target, sizeof target - 1) > 0 &&
            strncmp(target, kind, strlen(kind)) == 0)
            found++;
    }
    return found;
}

static void keeper_keeps_to_itself(int out)
{
    struct sigaction action = { .sa_handler = count_sigchld };
    sigaction(SIGCHLD, &action, NULL);
    int before[64], after[64];
    cordon_release_spares(); /* closes the copied fds of the parent's keeper */
    int had = fds_of(getpid(), before);
    const char *const argv[] = { "true", NULL };
    for (int i = 0; i < 3; i++) {
        cordon_task *t = cordon_command_task(argv);
        CHECK(out, t && cordon_set_network(t, CORDON_NETWORK_NONE) == 0 && cordon_run(t) == 0);
        cordon_task_free(t);
    }
    pid_t keeper = keeper_of(getpid(), 5000);
    CHECK(out, keeper > 0);
    /* Its own end of the socket and its pidfd of the caller, nothing of
     * the caller's. */
    int kept[64];
    CHECK(out, fds_of(keeper, kept) == 2);
    for (int i = 0; i < 2; i++) {
        char path[64], target[128] = "";
        snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)keeper, kept[i]);
        CHECK(out, readlink(path, target, sizeof target - 1) > 0);
        CHECK(out, strncmp(target, "socket:", 7) == 0 || strcmp(target, "anon_inode:[pidfd]") == 0);
    }
    /* The caller's new fds (the keeper's socket and pidfd, and what the
     * tasks left cached) close on exec. */
    int has = fds_of(getpid(), after);
    for (int i = 0; i < has; i++)
        CHECK(out, fd_closes_on_exec(after[i]) || is_one_of(after[i], before, had));
    CHECK(out, new_of_kind(after, has, before, had, "socket:") == 1 &&
                   new_of_kind(after, has, before, had, "anon_inode:[pidfd]") == 1);
    /* No wait of the caller's sees it, and no SIGCHLD comes of it. */
    errno = 0;
    CHECK(out, waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
    int signals = sigchld_seen;
    cordon_release_spares();
    CHECK(out, process_gone(keeper));
    CHECK(out, sigchld_seen == signals);
    has = fds_of(getpid(), after);
    CHECK(out, new_of_kind(after, has, before, had, "socket:") == 0 &&
                   new_of_kind(after, has, before, had, "anon_inode:[pidfd]") == 0);
}

/* The keeper holds only its socket (and its pidfd of the caller), the
 * caller's fds for it close on
 * exec, no wait(-1) of the caller's reaps it and its end sends the
 * caller no SIGCHLD; cordon_release_spares ends it and closes them. */
static void test_keeper_keeps_to_itself(void **state)
{
    (void)state;
    require_network_namespaces();
    in_a_copy(keeper_keeps_to_itself);
}

/* The keeper's resident anonymous memory, in KiB (RssAnon); -1 unknown. */
static long anonymous_kb_of(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

#define HELD_MIB 256

static void keeper_holds_little(int out)
{
    size_t len = (size_t)HELD_MIB << 20;
    char *held = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(out, held != MAP_FAILED);
    memset(held, 1, len);
    seen s;
    CHECK(out, run_looking(&s, 0) && run_looking(&s, 0));
    pid_t keeper = keeper_of(getpid(), 5000);
    CHECK(out, keeper > 0);
    /* It has made its spares, and given back its copy, by the time it
     * sleeps on its socket; a spare taken shows it. */
    CHECK(out, runs_soon(&s) && s.problem == 0);
    long kb = anonymous_kb_of(keeper);
    CHECK(out, kb >= 0);
    if (kb > 32 * 1024) {
        dprintf(out, "the keeper holds %ld KiB of anonymous memory, the caller %d MiB", kb,
                HELD_MIB);
        _exit(1);
    }
    /* The caller's memory is the caller's still. */
    for (size_t i = 0; i < len; i += 4096)
        CHECK(out, held[i] == 1);
}

/* The keeper is a copy of the caller: it held every page the caller had
 * when it started (256 MiB of a caller's, and the caller's rewrites of
 * them cost it twice).  It gives that copy back at its start, as a
 * command's first process does before its exec. */
static void test_keeper_holds_none_of_the_caller_s_memory(void **state)
{
    (void)state;
    require_network_namespaces();
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    print_message("skipped: the keeper keeps its copy under a sanitizer\n");
    skip();
#endif
    in_a_copy(keeper_holds_little);
}

static void forked_copy_keeps_its_own(int out)
{
    seen s;
    CHECK(out, run_looking(&s, 0) && run_looking(&s, 0));
    pid_t parent_keeper = keeper_of(getpid(), 5000);
    CHECK(out, parent_keeper > 0);
    int report[2];
    CHECK(out, pipe2(report, O_CLOEXEC) == 0);
    pid_t copy = fork();
    CHECK(out, copy >= 0);
    if (copy == 0) {
        /* Its first tasks are inline, its keeper its own. */
        bool ran = true;
        for (int i = 0; i < 4; i++)
            ran = ran && run_looking(&s, 0) && s.problem == 0;
        pid_t own = keeper_of(getpid(), 5000);
        dprintf(report[1], "%d %d", ran, (int)own);
        _exit(0);
    }
    close(report[1]);
    char text[64] = "";
    CHECK(out, read(report[0], text, sizeof text - 1) > 0);
    CHECK(out, waitpid(copy, NULL, 0) == copy);
    int ran = 0, own = 0;
    CHECK(out, sscanf(text, "%d %d", &ran, &own) == 2 && ran == 1);
    CHECK(out, own > 0 && own != parent_keeper);
    /* The copy's keeper died with it; the parent's lives on, and serves. */
    CHECK(out, process_gone(own));
    CHECK(out, keeper_of(getpid(), 0) == parent_keeper);
    CHECK(out, refuse_own_network_namespaces() == 0);
    CHECK(out, runs_soon(&s) && s.problem == 0);
}

static void daemon_copy_keeps_its_fds(int out)
{
    seen s;
    CHECK(out, run_looking(&s, 0) && run_looking(&s, 0));
    CHECK(out, keeper_of(getpid(), 5000) > 0);
    int report[2];
    CHECK(out, pipe2(report, O_CLOEXEC) == 0);
    pid_t copy = fork();
    CHECK(out, copy >= 0);
    if (copy == 0) {
        /* As a daemon does: every inherited fd closed, its own opened. */
        int keep = fcntl(report[1], F_DUPFD_CLOEXEC, 900);
        syscall(SYS_close_range, 3, 899, 0);
        int own[40], lost = 0;
        for (int i = 0; i < 40; i++)
            own[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        bool ran = run_looking(&s, 0) && s.problem == 0;
        for (int i = 0; i < 40; i++)
            lost += own[i] < 0 || fcntl(own[i], F_GETFD) < 0;
        dprintf(keep, "%d %d", ran, lost);
        _exit(0);
    }
    close(report[1]);
    char text[64] = "";
    CHECK(out, read(report[0], text, sizeof text - 1) > 0);
    CHECK(out, waitpid(copy, NULL, 0) == copy);
    int ran = 0, lost = -1;
    CHECK(out, sscanf(text, "%d %d", &ran, &lost) == 2 && ran == 1);
    if (lost != 0) {
        dprintf(out, "cordon closed %d of the copy's own fds", lost);
        _exit(1);
    }
}

/* A forked copy that closed what it inherited and opened files of its own
 * under the same numbers: cordon closed two of them (its parent's keeper's
 * socket and pidfd, forgotten by number). */
static void test_a_forked_copy_keeps_its_own_fds(void **state)
{
    (void)state;
    require_network_namespaces();
    in_a_copy(daemon_copy_keeps_its_fds);
}

/* The threads of the machine that run as `uid`: what RLIMIT_NPROC counts. */
static int threads_of(uid_t uid)
{
    DIR *proc = opendir("/proc");
    struct dirent *e;
    int count = 0;
    while (proc && (e = readdir(proc))) {
        char path[300];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%s/task", e->d_name);
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || stat(path, &st) != 0 || st.st_uid != uid)
            continue;
        DIR *tasks = opendir(path);
        struct dirent *t;
        while (tasks && (t = readdir(tasks)))
            count += t->d_name[0] != '.';
        if (tasks)
            closedir(tasks);
    }
    if (proc)
        closedir(proc);
    return count;
}

/* Runs 30 tasks with room for the caller's copy, a task's three processes
 * (its child, the init, the task) and one more, not for a keeper and its
 * maker besides.  Returns how many failed to start, or -1 when another
 * process of the same user came or went meanwhile: RLIMIT_NPROC counts
 * the user's processes machine-wide, so such a run says nothing. */
static int failures_under_a_process_limit(int out)
{
    int before = threads_of(getuid());
    struct rlimit room;
    CHECK(out, getrlimit(RLIMIT_NPROC, &room) == 0);
    room.rlim_cur = (rlim_t)before + 4; /* the hard limit kept for a rerun */
    CHECK(out, setrlimit(RLIMIT_NPROC, &room) == 0);
    int failed = 0;
    for (int i = 0; i < 30; i++) {
        seen s;
        failed += !run_looking(&s, 0) || s.problem != 0;
    }
    return failed && threads_of(getuid()) != before ? -1 : failed;
}

static void tasks_under_a_process_limit(int out)
{
    int failed = -1;
    for (int run = 0; run < 5 && failed < 0; run++)
        failed = failures_under_a_process_limit(out);
    if (failed) {
        dprintf(out, "%d of 30 tasks failed to start under the caller's process limit", failed);
        _exit(1);
    }
    CHECK(out, keeper_of(getpid(), 0) == 0);
}

/* Under a process limit of the caller's user, the keeper and its maker
 * took the processes a task's start needed: tasks that would have run
 * failed with EAGAIN (10 to 28 of 30).  No keeper is started there. */
static void test_no_spares_under_the_caller_s_process_limit(void **state)
{
    (void)state;
    require_network_namespaces();
    if (geteuid() == 0) {
        print_message("skipped: the kernel holds no root process to RLIMIT_NPROC\n");
        skip();
    }
    in_a_copy(tasks_under_a_process_limit);
}

static void spares_with_sigchld_ignored(int out)
{
    struct sigaction ignore = { .sa_handler = SIG_IGN };
    sigaction(SIGCHLD, &ignore, NULL);
    seen s[4];
    CHECK(out, run_looking(&s[0], 0) && run_looking(&s[1], 0));
    usleep(100 * 1000);
    CHECK(out, keeper_of(getpid(), 5000) > 0);
    CHECK(out, refuse_own_network_namespaces() == 0);
    for (int i = 0; i < 4; i++)
        CHECK(out, runs_soon(&s[i]) && s[i].problem == 0);
}

/* The keeper is a copy of the caller, SIGCHLD's disposition included: a
 * caller that ignores SIGCHLD had every maker reaped by the kernel, and
 * its keeper ended at its first spare (none was ever made). */
static void test_spares_for_a_caller_ignoring_sigchld(void **state)
{
    (void)state;
    require_network_namespaces();
    in_a_copy(spares_with_sigchld_ignored);
}

/* A forked copy of a caller never takes its parent's spares: it starts a
 * keeper of its own (which dies with it), and the parent's keeps serving
 * the parent. */
static void test_forked_copy_starts_its_own_keeper(void **state)
{
    (void)state;
    require_network_namespaces();
    in_a_copy(forked_copy_keeps_its_own);
}

#define THREADS 4
#define PER_THREAD 5

static void *runs_some(void *arg)
{
    seen *s = arg;
    for (int i = 0; i < PER_THREAD; i++)
        if (!run_looking(&s[i], 0))
            s[i].problem = -1;
    return NULL;
}

/* Threads running tasks at once take spares under the keeper's lock:
 * each namespace is one task's. */
static void test_threads_never_share_a_spare(void **state)
{
    (void)state;
    require_network_namespaces();
    static seen s[THREADS * PER_THREAD];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, runs_some, &s[i * PER_THREAD]), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < THREADS * PER_THREAD; i++) {
        assert_int_equal(s[i].problem, 0);
        for (int j = 0; j < i; j++)
            assert_true(s[i].cookie != s[j].cookie);
    }
}

static void runs_without_a_working_keeper(int out)
{
    seen s;
    CHECK(out, run_looking(&s, 0) && run_looking(&s, 0));
    pid_t keeper = keeper_of(getpid(), 5000);
    CHECK(out, keeper > 0);
    usleep(200 * 1000);
    /* Stopped: its spares are taken, then every task is made inline;
     * none waits for it. */
    CHECK(out, kill(keeper, SIGSTOP) == 0);
    for (int i = 0; i < 6; i++) {
        uint64_t start = (uint64_t)time(NULL);
        CHECK(out, run_looking(&s, 0) && s.problem == 0);
        CHECK(out, (uint64_t)time(NULL) - start < 10);
    }
    /* Killed: found gone, reaped, and the tasks go on. */
    CHECK(out, kill(keeper, SIGKILL) == 0);
    for (int i = 0; i < 4; i++)
        CHECK(out, run_looking(&s, 0) && s.problem == 0);
    CHECK(out, process_gone(keeper));
}

/* A keeper that is stopped or killed fails no task and holds none up. */
static void test_tasks_run_when_the_keeper_stops_or_dies(void **state)
{
    (void)state;
    require_network_namespaces();
    in_a_copy(runs_without_a_working_keeper);
}

/* A command without a network: whether it ran (exit 0, no exception). */
static bool command_runs(void)
{
    cordon_task *t = cordon_shell_task("exit 0");
    cordon_set_network(t, CORDON_NETWORK_NONE);
    bool ran = cordon_run(t) == 0 && cordon_task_result(t)->exit_code == 0;
    cordon_task_free(t);
    return ran;
}

static bool set_open_files(rlim_t soft)
{
    struct rlimit now;
    if (getrlimit(RLIMIT_NOFILE, &now) != 0)
        return false;
    now.rlim_cur = soft;
    return setrlimit(RLIMIT_NOFILE, &now) == 0;
}

static void commands_at_the_open_file_limit(int out)
{
    /* The fewest open files a command's start fits in without spares. */
    setenv("CORDON_NO_SPARE_NAMESPACES", "1", 1);
    rlim_t fits = 0;
    for (rlim_t soft = 8; soft < 64 && !fits; soft++) {
        CHECK(out, set_open_files(soft));
        if (command_runs())
            fits = soft;
    }
    CHECK(out, set_open_files(1024));
    CHECK(out, fits > 0);
    /* Spares flowing, then that limit: every command still runs. */
    unsetenv("CORDON_NO_SPARE_NAMESPACES");
    for (int i = 0; i < 3; i++)
        CHECK(out, command_runs());
    CHECK(out, keeper_of(getpid(), 5000) > 0);
    usleep(200 * 1000);
    CHECK(out, set_open_files(fits));
    int failed = 0;
    for (int i = 0; i < 10; i++)
        failed += !command_runs();
    if (failed) {
        dprintf(out, "%d of 10 commands failed at %d open files, where each ran without spares",
                failed, (int)fits);
        _exit(1);
    }
}

/* The keeper's socket and pidfd, held for the caller's life, and a
 * spare's two fds, held until the child joins it, are fds a command's
 * start needs: a caller some three fds short of its open-file limit had
 * every command fail with EMFILE (0 of 10 at 16 open files) where each ran
 * without spares.  A start that finds no fd left ends the keeper and runs
 * without spares from then on. */
static void test_tasks_run_at_the_caller_s_open_file_limit(void **state)
{
    (void)state;
    require_network_namespaces();
    in_a_copy(commands_at_the_open_file_limit);
}

/* A filter of the caller's that refuses the keeper's maker its exact
 * unshare (a namespace, and for a caller that is not root its user
 * namespace, alone), which a task's own start never asks for. */
static int refuse_the_makers_unshare(void)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
    if (!f)
        return -ENOMEM;
    int rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSPC), SCMP_SYS(unshare), 1,
                              SCMP_A0(SCMP_CMP_EQ, CLONE_NEWNET));
    if (rc == 0)
        rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSPC), SCMP_SYS(unshare), 1,
                              SCMP_A0(SCMP_CMP_EQ, CLONE_NEWNET | CLONE_NEWUSER));
    if (rc == 0)
        rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? seccomp_load(f) : -errno;
    seccomp_release(f);
    return rc;
}

static void runs_when_the_maker_fails(int out)
{
    CHECK(out, refuse_the_makers_unshare() == 0);
    seen s;
    for (int i = 0; i < 3; i++)
        CHECK(out, run_looking(&s, 0) && s.problem == 0);
    /* The keeper gave up and left: it is not started again. */
    for (int waited = 0; waited < 250 && keeper_of(getpid(), 0) > 0; waited++)
        usleep(20 * 1000);
    for (int i = 0; i < 3; i++)
        CHECK(out, run_looking(&s, 0) && s.problem == 0);
    CHECK(out, keeper_of(getpid(), 0) == 0);
}

/* A keeper whose maker cannot make a namespace (ENOSPC, as from
 * user.max_net_namespaces, or a filter of the caller's) leaves, and
 * every task's namespace is made inline. */
static void test_tasks_run_when_the_maker_fails(void **state)
{
    (void)state;
    require_network_namespaces();
    in_a_copy(runs_when_the_maker_fails);
}

static void runs_when_joining_is_refused(int out)
{
    seen s[6];
    CHECK(out, run_looking(&s[0], 0) && run_looking(&s[1], 0));
    CHECK(out, keeper_of(getpid(), 5000) > 0);
    usleep(200 * 1000);
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
    CHECK(out, f && seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(setns), 0) == 0);
    CHECK(out, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && seccomp_load(f) == 0);
    seccomp_release(f);
    for (int i = 2; i < 6; i++) {
        CHECK(out, run_looking(&s[i], 0) && s[i].problem == 0);
        for (int j = 0; j < i; j++)
            CHECK(out, s[i].cookie != s[j].cookie);
    }
}

/* A child refused setns(2) (a filter of the caller's) leaves the spare
 * and makes its namespace inline: the task runs, confined the same. */
static void test_tasks_run_when_joining_is_refused(void **state)
{
    (void)state;
    require_network_namespaces();
    in_a_copy(runs_when_joining_is_refused);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spares_are_made_ahead_and_taken),
        cmocka_unit_test(test_every_task_has_a_fresh_namespace),
        cmocka_unit_test(test_tasks_cannot_reach_each_other),
        cmocka_unit_test(test_keeper_dies_with_its_caller),
        cmocka_unit_test(test_keeper_keeps_to_itself),
        cmocka_unit_test(test_keeper_holds_none_of_the_caller_s_memory),
        cmocka_unit_test(test_forked_copy_starts_its_own_keeper),
        cmocka_unit_test(test_a_forked_copy_keeps_its_own_fds),
        cmocka_unit_test(test_no_spares_under_the_caller_s_process_limit),
        cmocka_unit_test(test_spares_for_a_caller_ignoring_sigchld),
        cmocka_unit_test(test_threads_never_share_a_spare),
        cmocka_unit_test(test_tasks_run_when_the_keeper_stops_or_dies),
        cmocka_unit_test(test_tasks_run_at_the_caller_s_open_file_limit),
        cmocka_unit_test(test_tasks_run_when_the_maker_fails),
        cmocka_unit_test(test_tasks_run_when_joining_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
