/*
 * Fault injection on the caller's side of cordon_run, cordon_run_async and
 * cordon_join.  The library's calls of the functions below are wrapped at
 * link time (-Wl,--wrap, as cmocka suggests; the Makefile gives this test
 * its flags).  A scenario is run once to count the calls the caller makes,
 * then once per call with that call failing as the system would make it
 * fail: allocations with ENOMEM, fd-making calls with EMFILE, fork, clone
 * and pthread_create with EAGAIN, mmap with ENOMEM, and the calls that
 * wait (read, write, poll, wait4, waitid) interrupted with EINTR.
 *
 * Each failing run must end in a negative errno or in the run's own
 * result (a failure cordon works around, and any EINTR, which it must
 * retry), leave no fd open and no child behind, and leave the caller able
 * to run the next task.  Leaks of memory are ASan's to find (make asan
 * runs this file too) and valgrind's (make valgrind).  Only the caller's
 * calls fail: a task's child, a copy of the caller, counts nothing.
 */
#include <dirent.h>
#include <execinfo.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <pty.h>
#include <termios.h>

#include "support.h"

/* ---- the injection counter ---- */

static atomic_bool armed;
static pid_t caller;
static atomic_long calls;
static long fail_at;                    /* 0: count only */
static bool short_writes;               /* the call to fail is a write: make it short */
static const char *_Atomic failed;     /* the call made to fail, NULL: none reached */

/* Whether this call of `name` is the one to fail. */
static bool inject(const char *name)
{
    if (!atomic_load(&armed) || getpid() != caller)
        return false;
    long n = atomic_fetch_add(&calls, 1) + 1;
    if (n != fail_at)
        return false;
    atomic_store(&failed, name);
    if (getenv("CORDON_FAULT_TRACE")) { /* where the failing call is made */
        void *frames[16];
        backtrace_symbols_fd(frames, backtrace(frames, 16), STDERR_FILENO);
    }
    return true;
}

#define FAIL_WITH(value, error)                                             \
    do {                                                                    \
        errno = (error);                                                    \
        return (value);                                                     \
    } while (0)

void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_malloc(size_t size)
{
    if (inject("malloc"))
        FAIL_WITH(NULL, ENOMEM);
    return __real_malloc(size);
}

void *__real_calloc(size_t count, size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_calloc(size_t count, size_t size)
{
    if (inject("calloc"))
        FAIL_WITH(NULL, ENOMEM);
    return __real_calloc(count, size);
}

void *__real_realloc(void *p, size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_realloc(void *p, size_t size)
{
    if (inject("realloc"))
        FAIL_WITH(NULL, ENOMEM);
    return __real_realloc(p, size);
}

char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s);
char *__wrap_strdup(const char *s)
{
    if (inject("strdup"))
        FAIL_WITH(NULL, ENOMEM);
    return __real_strdup(s);
}

char *__real_strndup(const char *s, size_t n);
char *__wrap_strndup(const char *s, size_t n);
char *__wrap_strndup(const char *s, size_t n)
{
    if (inject("strndup"))
        FAIL_WITH(NULL, ENOMEM);
    return __real_strndup(s, n);
}

int __real_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol)
{
    if (inject("socket"))
        FAIL_WITH(-1, EMFILE);
    return __real_socket(domain, type, protocol);
}

int __real_mkdir(const char *path, mode_t mode);
int __wrap_mkdir(const char *path, mode_t mode);
int __wrap_mkdir(const char *path, mode_t mode)
{
    if (inject("mkdir"))
        FAIL_WITH(-1, ENOSPC);
    return __real_mkdir(path, mode);
}

int __real_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    if (inject("fcntl"))
        FAIL_WITH(-1, cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ? EMFILE : EINVAL);
    return __real_fcntl(fd, cmd, arg);
}

/* The system calls glibc has no wrapper for: those the caller makes.
 * Like glibc's own syscall, it passes on all six argument slots, and the
 * sixth is read from the calling frame even where the call passed fewer:
 * not a read ASan may check, or every task's child, which clears its
 * capabilities with a syscall of two, died of the report in its set-up. */
long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);
__attribute__((no_sanitize_address)) long __wrap_syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    /* Not futex: the parent only wakes, which the kernel never fails. */
    int error = nr == SYS_pidfd_open                ? EMFILE
                : nr == SYS_landlock_create_ruleset ? ENOMEM
                : nr == SYS_landlock_add_rule       ? ENOMEM : 0;
    if (error && inject("syscall"))
        FAIL_WITH(-1, error);
    return __real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int __real_pipe2(int fds[2], int flags);
int __wrap_pipe2(int fds[2], int flags);
int __wrap_pipe2(int fds[2], int flags)
{
    if (inject("pipe2"))
        FAIL_WITH(-1, EMFILE);
    return __real_pipe2(fds, flags);
}

int __real_socketpair(int domain, int type, int protocol, int fds[2]);
int __wrap_socketpair(int domain, int type, int protocol, int fds[2]);
int __wrap_socketpair(int domain, int type, int protocol, int fds[2])
{
    if (inject("socketpair"))
        FAIL_WITH(-1, EMFILE);
    return __real_socketpair(domain, type, protocol, fds);
}

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (inject("open"))
        FAIL_WITH(-1, EMFILE);
    return __real_open(path, flags, mode);
}

int __real_dup3(int from, int to, int flags);
int __wrap_dup3(int from, int to, int flags);
int __wrap_dup3(int from, int to, int flags)
{
    if (inject("dup3"))
        FAIL_WITH(-1, EMFILE);
    return __real_dup3(from, to, flags);
}

int __real_timerfd_create(int clock, int flags);
int __wrap_timerfd_create(int clock, int flags);
int __wrap_timerfd_create(int clock, int flags)
{
    if (inject("timerfd_create"))
        FAIL_WITH(-1, EMFILE);
    return __real_timerfd_create(clock, flags);
}

int __real_memfd_create(const char *name, unsigned flags);
int __wrap_memfd_create(const char *name, unsigned flags);
int __wrap_memfd_create(const char *name, unsigned flags)
{
    if (inject("memfd_create"))
        FAIL_WITH(-1, EMFILE);
    return __real_memfd_create(name, flags);
}

DIR *__real_opendir(const char *path);
DIR *__wrap_opendir(const char *path);
DIR *__wrap_opendir(const char *path)
{
    if (inject("opendir"))
        FAIL_WITH(NULL, EMFILE);
    return __real_opendir(path);
}

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (inject("mmap"))
        FAIL_WITH(MAP_FAILED, ENOMEM);
    return __real_mmap(addr, len, prot, flags, fd, off);
}

pid_t __real_fork(void);
pid_t __wrap_fork(void);
pid_t __wrap_fork(void)
{
    if (inject("fork"))
        FAIL_WITH(-1, EAGAIN);
    return __real_fork();
}

int __real_clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
int __wrap_clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
int __wrap_clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    pid_t *parent_tid = va_arg(ap, pid_t *);
    void *tls = va_arg(ap, void *);
    pid_t *child_tid = va_arg(ap, pid_t *);
    va_end(ap);
    if (inject("clone"))
        FAIL_WITH(-1, EAGAIN);
    return __real_clone(fn, stack, flags, arg, parent_tid, tls, child_tid);
}

int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    if (inject("pthread_create"))
        return EAGAIN;
    return __real_pthread_create(t, a, fn, arg);
}

/* The calls that wait: a signal may interrupt any of them. */
ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len)
{
    if (inject("read"))
        FAIL_WITH(-1, EINTR);
    return __real_read(fd, buf, len);
}

ssize_t __real_write(int fd, const void *buf, size_t len);
ssize_t __wrap_write(int fd, const void *buf, size_t len);
ssize_t __wrap_write(int fd, const void *buf, size_t len)
{
    if (inject("write")) {
        struct stat st;
        if (!short_writes)
            FAIL_WITH(-1, EINTR);
        /* Only pipes and sockets write short: a cgroup file takes all or
         * nothing. */
        if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
            return __real_write(fd, buf, len > 1 ? len / 2 : len);
    }
    return __real_write(fd, buf, len);
}

int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (inject("poll"))
        FAIL_WITH(-1, EINTR);
    return __real_poll(fds, n, timeout);
}

pid_t __real_wait4(pid_t pid, int *status, int options, struct rusage *ru);
pid_t __wrap_wait4(pid_t pid, int *status, int options, struct rusage *ru);
pid_t __wrap_wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
    if (inject("wait4"))
        FAIL_WITH(-1, EINTR);
    return __real_wait4(pid, status, options, ru);
}

/* A caller slow to wake (a loaded machine): the wait for the child that
 * starts a task's init returns this much later. */
static atomic_int slow_start_wait_ms;

int __real_waitid(idtype_t type, id_t id, siginfo_t *info, int options);
int __wrap_waitid(idtype_t type, id_t id, siginfo_t *info, int options);
int __wrap_waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
    if (inject("waitid"))
        FAIL_WITH(-1, EINTR);
    int rc = __real_waitid(type, id, info, options);
    int slow = atomic_load(&slow_start_wait_ms);
    if (slow && (options & WNOWAIT) && !(options & WNOHANG) && getpid() == caller) {
        struct timespec pause = { slow / 1000, (long)(slow % 1000) * 1000000 };
        while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
            ;
    }
    return rc;
}

static bool interrupting(const char *name)
{
    static const char *const waits[] = { "read", "write", "poll", "wait4", "waitid" };
    for (size_t i = 0; i < sizeof waits / sizeof *waits; i++)
        if (strcmp(name, waits[i]) == 0)
            return true;
    return false;
}

/* ---- scenarios ---- */

typedef struct outcome {
    int rc, exit_code;
    char std_out[64];
    char exception[64];
    char returns[64];
    size_t returns_dropped, out_dropped;
    unsigned confinement;
} outcome;

/* What the clean run must give: a clean run that went wrong (a task that
 * died in its set-up) would make every failing run's comparison with it
 * meaningless. */
typedef struct expected {
    int exit_code;
    const char *exception; /* "": none */
    const char *std_out;
} expected;

typedef struct scenario {
    const char *name;
    cordon_task *(*make)(void);
    bool async;
    expected clean;
} scenario;

static const expected function_ends = { 7, "", "out" }, raising_ends = { 1, "ServerError", "" },
                      command_ends = { 3, "", "out\n" }, stdin_ends = { 0, "", "200000\n" },
                      pty_ends = { 0, "", "typed" };

static int returns_seven(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    printf("out");
    cordon_log(ctx, "log");
    cordon_return(ctx, "seven", 5);
    return 7;
}

static int raises_error(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_raise(ctx, "ServerError", "down");
}

static cordon_task *function_task(void)
{
    return cordon_function_task(returns_seven, NULL);
}

static cordon_task *limited_raising_task(void)
{
    cordon_task *t = cordon_function_task(raises_error, NULL);
    if (t && (cordon_set_timeout_ms(t, 30000) < 0 ||
              cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 30000) < 0 ||
              cordon_set_limit(t, CORDON_LIMIT_MEMORY, 256u << 20) < 0 ||
              cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 16) < 0)) {
        cordon_task_free(t);
        return NULL;
    }
    return t;
}

static cordon_task *command_task(void)
{
    static const char *const argv[] = { "sh", "-c", "echo out; exit 3", NULL };
    return cordon_command_task(argv);
}

/* 200 kB through stdin and back: more than a pipe holds, so the parent
 * writes while it reads. */
static cordon_task *stdin_task(void)
{
    static const char *const argv[] = { "sh", "-c", "wc -c", NULL };
    static char data[200000];
    memset(data, 'i', sizeof data);
    cordon_task *t = cordon_command_task(argv);
    if (t && cordon_set_stdin(t, data, sizeof data) < 0) {
        cordon_task_free(t);
        return NULL;
    }
    return t;
}

/* A pty master, which cordon relays through a reader thread of its own
 * (lib/stdin_reader.c), its slave typing five bytes per run. */
static int pty_master = -1, pty_slave = -1;

static cordon_task *pty_task(void)
{
    static const char *const argv[] = { "head", "-c", "5", NULL };
    if (pty_master < 0) {
        struct termios raw;
        if (openpty(&pty_master, &pty_slave, NULL, NULL, NULL) != 0)
            return NULL;
        fcntl(pty_master, F_SETFD, FD_CLOEXEC);
        fcntl(pty_slave, F_SETFD, FD_CLOEXEC);
        tcgetattr(pty_slave, &raw);
        cfmakeraw(&raw);
        tcsetattr(pty_slave, TCSANOW, &raw);
    }
    tcflush(pty_slave, TCIOFLUSH); /* what a failed run left unread */
    if (__real_write(pty_slave, "typed", 5) != 5)
        return NULL;
    cordon_task *t = cordon_command_task(argv);
    if (t && (cordon_set_stdin_fd(t, pty_master) < 0 || cordon_set_timeout_ms(t, 10000) < 0)) {
        cordon_task_free(t);
        return NULL;
    }
    return t;
}

static void record(outcome *o, int rc, const cordon_task *t)
{
    memset(o, 0, sizeof *o);
    o->rc = rc;
    if (rc < 0 || !t)
        return;
    const cordon_result *r = cordon_task_result(t);
    o->exit_code = r->exit_code;
    snprintf(o->exception, sizeof o->exception, "%s", r->exception ? r->exception : "");
    snprintf(o->returns, sizeof o->returns, "%.*s", (int)r->returns.len, r->returns.data);
    snprintf(o->std_out, sizeof o->std_out, "%s", r->std_out.data);
    o->returns_dropped = r->returns.dropped;
    o->confinement = r->confinement;
    o->out_dropped = r->std_out.dropped + r->std_err.dropped + r->log_out.dropped +
                     r->exc_out.dropped;
}

/* One run of the scenario, armed from the task's making to its freeing. */
static void run_once(const scenario *s, long fail, outcome *o)
{
    atomic_store(&calls, 0);
    fail_at = fail;
    caller = getpid();
    atomic_store(&armed, true);
    cordon_task *t = s->make();
    int rc = -errno;
    if (t) {
        rc = s->async ? cordon_run_async(t) : cordon_run(t);
        if (s->async && rc == 0)
            rc = cordon_join(t);
    }
    atomic_store(&armed, false);
    record(o, t ? rc : -ENOMEM, t);
    cordon_task_free(t);
}

/* The clean run's outcome; a buffer that could not grow keeps what it
 * has and counts the rest as dropped (lib/buffer.c: memory the parent
 * lacks never fails the task), so lost returned bytes must be counted. */
static bool same(const outcome *o, const outcome *clean)
{
    bool returns_kept = strcmp(o->returns, clean->returns) == 0 ||
                        (o->returns_dropped && !o->returns[0]);
    bool out_kept = strcmp(o->std_out, clean->std_out) == 0 || o->out_dropped;
    return o->rc == clean->rc && o->exit_code == clean->exit_code && out_kept &&
           strcmp(o->exception, clean->exception) == 0 && returns_kept;
}

static void inject_each_call(const scenario *s)
{
    outcome clean, o;
    /* The first run may open what cordon keeps for the process's life. */
    run_once(s, 0, &clean);
    run_once(s, 0, &clean);
    int fds = count_open_fds();
    assert_true(clean.rc >= 0);
    if (clean.exit_code != s->clean.exit_code || strcmp(clean.exception, s->clean.exception) ||
        strcmp(clean.std_out, s->clean.std_out))
        fail_msg("%s: the clean run ended %d '%s' with output '%s'", s->name, clean.exit_code,
                 clean.exception, clean.std_out);
    /* A run's calls vary a little (how often the parent polls): the
     * clean run's count, with a margin, bounds the calls to fail. */
    long total = atomic_load(&calls) + 16;
    long refused = 0, worked_around = 0;
    for (long i = 1; i <= total; i++) {
        atomic_store(&failed, NULL);
        run_once(s, i, &o);
        const char *name = atomic_load(&failed);
        /* A failed call may leave cordon short of what the task's
         * confinement needs (a pids cgroup for a root task's process
         * limit): the task is then refused, never run with less. */
        bool refused_start = name && strcmp(o.exception, "ConfinementError") == 0 &&
                             strcmp(clean.exception, "ConfinementError") != 0;
        bool ok = same(&o, &clean) || refused_start ||
                  (name && !interrupting(name) && o.rc < 0 && o.rc > -4096);
        if (!ok)
            fprintf(stderr, "%s: call %ld of %ld (%s) failing gave rc %d, exception '%s' "
                    "(clean: rc %d, exception '%s')\n", s->name, i, total,
                    name ? name : "not reached", o.rc, o.exception, clean.rc, clean.exception);
        assert_true(ok);
        /* Less confinement than the clean run's only for a task that
         * never started. */
        if (o.rc >= 0 && o.confinement != clean.confinement && !refused_start)
            fail_msg("%s: call %ld (%s): ran with confinement 0x%x, clean 0x%x", s->name, i,
                     name ? name : "?", o.confinement, clean.confinement);
        refused += o.rc < 0;
        worked_around += o.rc >= 0 && name != NULL;
        if (count_open_fds() != fds || !no_children_left())
            fprintf(stderr, "%s: call %ld (%s): fds %d -> %d, children left: %s\n", s->name, i,
                    name ? name : "?", fds, count_open_fds(), no_children_left() ? "no" : "yes");
        assert_int_equal(count_open_fds(), fds);
        assert_true(no_children_left());
    }
    /* The caller is still whole. */
    run_once(s, 0, &o);
    assert_true(same(&o, &clean));
    print_message("%s: calls 1 to %ld failed in turn: %ld refused with an errno, %ld worked "
                  "around or retried\n", s->name, total, refused, worked_around);
}

static void test_fault_injection_function_run(void **state)
{
    (void)state;
    scenario s = { "function run", function_task, false, function_ends };
    inject_each_call(&s);
}

static void test_fault_injection_limited_function_run(void **state)
{
    (void)state;
    scenario s = { "function run with limits", limited_raising_task, false, raising_ends };
    inject_each_call(&s);
}

static void test_fault_injection_command_run(void **state)
{
    (void)state;
    scenario s = { "command run", command_task, false, command_ends };
    inject_each_call(&s);
}

static void test_fault_injection_async_run_and_join(void **state)
{
    (void)state;
    scenario s = { "async run and join", function_task, true, function_ends };
    inject_each_call(&s);
}

static void test_fault_injection_async_command(void **state)
{
    (void)state;
    scenario s = { "async command", command_task, true, command_ends };
    inject_each_call(&s);
}

static void test_fault_injection_stdin_fed(void **state)
{
    (void)state;
    scenario s = { "command fed stdin", stdin_task, false, stdin_ends };
    inject_each_call(&s);
}

static void test_fault_injection_stdin_relayed_by_a_thread(void **state)
{
    (void)state;
    scenario s = { "command reading a pty master", pty_task, false, pty_ends };
    cordon_task *probe = pty_task();
    if (!probe) {
        print_message("skipped: no pseudo-terminal here\n");
        skip();
    }
    cordon_task_free(probe);
    inject_each_call(&s);
}

/* Short writes: every write to a pipe or socket made short in turn. */
static void test_fault_injection_short_writes(void **state)
{
    (void)state;
    short_writes = true;
    scenario fed = { "command fed stdin, short writes", stdin_task, false,
                      stdin_ends };
    inject_each_call(&fed);
    scenario async = { "async function, short writes", function_task, true,
                        function_ends };
    inject_each_call(&async);
    cordon_task *probe = pty_task();
    if (probe) { /* the relay's reader thread writes its pipe */
        cordon_task_free(probe);
        scenario relayed = { "command reading a pty master, short writes", pty_task,
                                false, pty_ends };
        inject_each_call(&relayed);
    }
    short_writes = false;
}

/* ---- a caller slow to learn the init's pid ---------------------------- */

static int32_t callers_pid;

/* Every shared mapping the hook can write filled with the caller's pid:
 * wherever cordon keeps the init's pid for the caller to read, it now
 * names the caller. */
static int name_the_caller_as_init(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3 || perms[1] != 'w' ||
            perms[3] != 's')
            continue;
        for (int32_t *at = (int32_t *)start; at < (int32_t *)end; at++)
            *at = callers_pid;
    }
    if (maps)
        fclose(maps);
    return 0;
}

static int returns_at_once(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

/* The init's pid was in the setup record, which a set-up hook can write:
 * a caller slow to read it (after the hook ran) took the pid the hook
 * wrote for the task's init, waited on it (on itself) until the deadline
 * and then sent it the init's end request, SIGUSR1, which ended the
 * caller. */
static void test_slow_caller_follows_only_the_init_the_kernel_named(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no pidfd_open: no pid namespace");
    callers_pid = (int32_t)getpid();
    caller = getpid();
    cordon_task *t = cordon_function_task(returns_at_once, NULL);
    assert_int_equal(cordon_set_setup_hook(t, name_the_caller_as_init, NULL), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 3000), 0);
    atomic_store(&slow_start_wait_ms, 300);
    int rc = cordon_run(t);
    atomic_store(&slow_start_wait_ms, 0);
    const cordon_result *r = cordon_task_result(t);
    if (!(r->confinement & CORDON_CONFINED_PID_NAMESPACE)) {
        cordon_task_free(t);
        print_message("skipped: no pid namespace here\n");
        skip();
    }
    assert_true(rc == 0 || rc == CORDON_EXCEPTION);
    assert_true(r->exception == NULL || strcmp(r->exception, "Timeout") != 0);
    assert_true(no_children_left());
    cordon_task_free(t);
}

/* A caller stopped while its task starts (^Z, SIGSTOP: here, slow to
 * reap the child that started the init) is the same caller once it runs
 * again: the init waited a second for it under a CPU or process limit and
 * then failed the task, "entering its namespaces: Connection timed out". */
static void test_a_caller_away_for_a_while_at_the_start_still_runs_its_task(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind has no pidfd_open: no pid namespace");
    caller = getpid();
    for (int limit = 0; limit < 2; limit++) {
        cordon_task *t = cordon_function_task(returns_at_once, NULL);
        assert_int_equal(cordon_set_limit(t, limit ? CORDON_LIMIT_PROCESSES : CORDON_LIMIT_CPU_MS,
                                          limit ? 20 : 5000), 0);
        assert_int_equal(cordon_set_timeout_ms(t, 10000), 0);
        atomic_store(&slow_start_wait_ms, 1500);
        int rc = cordon_run(t);
        atomic_store(&slow_start_wait_ms, 0);
        const cordon_result *r = cordon_task_result(t);
        if (!(r->confinement & CORDON_CONFINED_PID_NAMESPACE) && rc == 0) {
            cordon_task_free(t);
            print_message("skipped: no pid namespace here\n");
            skip();
        }
        if (rc != 0)
            fail_msg("limit %d: rc %d, %s", limit, rc, r->exc_out.data);
        assert_null(r->exception);
        cordon_task_free(t);
    }
    assert_true(no_children_left());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_injection_function_run),
        cmocka_unit_test(test_fault_injection_limited_function_run),
        cmocka_unit_test(test_fault_injection_command_run),
        cmocka_unit_test(test_fault_injection_async_run_and_join),
        cmocka_unit_test(test_fault_injection_async_command),
        cmocka_unit_test(test_fault_injection_stdin_fed),
        cmocka_unit_test(test_fault_injection_stdin_relayed_by_a_thread),
        cmocka_unit_test(test_fault_injection_short_writes),
        cmocka_unit_test(test_slow_caller_follows_only_the_init_the_kernel_named),
        cmocka_unit_test(test_a_caller_away_for_a_while_at_the_start_still_runs_its_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
