/*
 * The hostile-task corpus: one program, one attack per mode, run as a
 * command task by tests/test_hostile.c.  Each mode does its worst and never
 * cooperates; where an attack on the parent could harm a machine that lacks
 * the protection (kill(-1)), it uses a signal that harms nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static _Noreturn void fork_bomb(void)
{
    for (;;)
        fork();
}

/* Touches MiB of a private mapping, then forks copies until it is
 * killed: each killed copy's exit unmaps those pages once more. */
static _Noreturn void copies_a_large_mapping(size_t mib)
{
    char *block = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
    if (block != MAP_FAILED)
        memset(block, 1, mib << 20);
    for (;;)
        if (fork() <= 0)
            for (;;)
                pause();
}

/* A second thread's `mib` of memory, mapped and protected page by page
 * in turns: one mapping per page, which the kernel is slow to tear down. */
static void *hold_split_mapping(void *arg)
{
    size_t size = *(const size_t *)arg;
    char *block = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t at = 0; block != MAP_FAILED && at < size; at += 4096) {
        block[at] = 1;
        if (((at >> 12) & 1) == 0)
            mprotect(block + at, 4096, PROT_READ | (((at >> 13) & 1) ? PROT_WRITE : 0));
    }
    while (pause() < 0 || 1) /* until killed */
        ;
    return NULL;
}

/* `count` orphans whose first thread ends (pthread_exit) while a second
 * holds `mib` in split mappings: killed, each shows as a zombie ('Z')
 * for seconds before it can be reaped. */
static _Noreturn void orphans_dying_slowly(size_t mib, int count)
{
    static size_t size;
    size = mib << 20;
    for (int i = 0; i < count; i++)
        if (fork() == 0) {
            if (fork() == 0) {
                pthread_t holder;
                pthread_create(&holder, NULL, hold_split_mapping, &size);
                sleep(1);
                pthread_exit(NULL);
            }
            _exit(0);
        }
    for (;;)
        pause();
}

/* Double fork, new session and group: the grandchild tries to outlive the
 * task.  It prints its pid so the test can look for it afterwards. */
static int escape_group(void)
{
    pid_t child = fork();
    if (child == 0) {
        if (setsid() < 0)
            setpgid(0, 0);
        if (fork() == 0) {
            setsid();
            prctl(PR_SET_NAME, "cordon-escaped"); /* the tests look for it by name */
            printf("%d\n", (int)getpid());
            fflush(stdout);
            sleep(60);
            _exit(0);
        }
        _exit(0);
    }
    sleep(1);
    return 0;
}

static int attack_parent(void)
{
    pid_t parent = getppid();
    int signal_result = kill(parent, SIGUSR1);
    int signal_errno = errno;
    int all_result = kill(-1, SIGCONT);
    printf("kill parent %d (%s), kill -1 %d\n", signal_result, strerror(signal_errno), all_result);
    fflush(stdout);
    /* The default policy kills this. */
    long traced = ptrace(PTRACE_ATTACH, parent, NULL, NULL);
    printf("ptrace %ld\n", traced);
    return 0;
}

static int flood(void)
{
    static char chunk[65536];
    memset(chunk, 'f', sizeof chunk);
    for (;;) {
        if (write(1, chunk, sizeof chunk) < 0 || write(2, chunk, sizeof chunk) < 0)
            return 1;
    }
}

static int stop_self(void)
{
    raise(SIGSTOP);
    return 0;
}

/* Makes its parent (cordon's init, or without namespaces the caller) its
 * tracer (exits 9 where that is refused), then sends itself `signo`: with
 * `handled`, caught by a handler of its own, after which it exits 7 (8 had
 * the handler not run once); with "exec", it execs `sh -c 'exit 5'`
 * instead, which a tracer that set no options sees stop at a SIGTRAP an
 * untraced process never gets. */
static volatile sig_atomic_t caught;
static void count_caught(int signo)
{
    (void)signo;
    caught++;
}

static int traced_by_its_parent(const char *how, int signo)
{
    if (strcmp(how, "handled") == 0)
        signal(signo, count_caught);
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
        return 9;
    if (strcmp(how, "exec") == 0) {
        execl("/bin/sh", "sh", "-c", "exit 5", (char *)NULL);
        return 10;
    }
    raise(signo);
    return caught == 1 ? 7 : 8;
}

/* Has its child trace it (PTRACE_SEIZE, which its PR_SET_PTRACER lets),
 * then exits `code` after 200 ms while the child, which never waits for
 * it, lives on for `seconds`: its exit is reported to the tracer alone.
 * Exits 9 where the trace is refused. */
static int traced_by_its_child(int code, int seconds)
{
    int ready[2];
    if (pipe(ready) != 0)
        return 9;
    pid_t child = fork();
    if (child == 0) {
        char attached = ptrace(PTRACE_SEIZE, getppid(), NULL, NULL) == 0 ? 'y' : 'n';
        if (write(ready[1], &attached, 1) != 1)
            _exit(1);
        sleep((unsigned)seconds);
        _exit(0);
    }
    prctl(PR_SET_PTRACER, child, 0, 0, 0);
    char attached = 'n';
    if (child < 0 || read(ready[0], &attached, 1) != 1 || attached != 'y')
        return 9;
    usleep(200000);
    return code;
}

/* `processes` processes, each making its parent its tracer again and
 * again and sending itself a handled signal each time: a stop after
 * stop for the parent's wait, for ever. */
static _Noreturn void traced_again_and_again(int processes)
{
    signal(SIGUSR2, count_caught);
    for (int i = 1; i < processes; i++)
        if (fork() == 0)
            break;
    for (;;) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        raise(SIGUSR2);
    }
}

static _Noreturn void ignore_signals(void)
{
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    for (;;)
        pause();
}

static int close_fds(void)
{
    for (int fd = 0; fd < 1024; fd++)
        close(fd);
    return 0;
}

static int hold_pipes(void)
{
    if (fork() == 0) {
        sleep(60); /* keeps stdout, stderr and the log pipe open */
        _exit(0);
    }
    printf("parent leaves\n");
    return 0;
}

static int allocate(void)
{
    for (;;) {
        char *block = malloc(1 << 20);
        if (!block)
            return 3;
        memset(block, 7, 1 << 20);
    }
}

static _Noreturn void spin(void)
{
    for (volatile unsigned long i = 0;; i++)
        ;
}

/* Starts `count` children that sleep, then spins, printing its own CPU
 * time (ms) each 10 ms of it: what it had when a limit ended it. */
static _Noreturn void sleepers_then_spin(int count)
{
    for (int i = 0; i < count; i++) {
        pid_t child = fork();
        if (child == 0)
            for (;;)
                pause();
        if (child < 0)
            break;
    }
    for (long said = 0;;) {
        struct timespec used;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
        long now = (long)used.tv_sec * 1000 + used.tv_nsec / 1000000;
        if (now >= said + 10) {
            char line[32];
            int n = snprintf(line, sizeof line, "%ld\n", now);
            if (write(1, line, (size_t)n) < 0)
                _exit(1);
            said = now;
        }
    }
}

/* Spins until it has used `ms` of CPU time, then creates `mark` and spins
 * on: a test can wait for a known amount of CPU whatever the load. */
static _Noreturn void spin_then_mark(long ms, const char *mark)
{
    struct timespec used;
    do
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
    while (used.tv_sec * 1000 + used.tv_nsec / 1000000 < ms);
    close(open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    spin();
}

static int huge_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return 2;
    static char chunk[1 << 16];
    for (;;) {
        if (write(fd, chunk, sizeof chunk) < 0)
            return 1;
    }
}

/* getpid through the i386 ABI: a filter that checks only the x86_64
 * syscall table would let anything through here. */
static int int80(void)
{
#if defined(__x86_64__)
    long result;
    __asm__ volatile("int $0x80" : "=a"(result) : "a"(20L) : "memory");
    printf("int 0x80 returned %ld\n", result);
    return 0;
#else
    return 0;
#endif
}

/* The x32 ABI: the native entry point with bit 30 set on the number. */
static int x32_syscall(void)
{
#if defined(__x86_64__)
    long result = syscall(0x40000000L | SYS_getpid);
    printf("x32 getpid returned %ld\n", result);
#endif
    return 0;
}

static int socket_inet(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    printf("socket %d\n", fd);
    return 0;
}

/* Arms syscall user dispatch over every address and makes a call: the
 * kernel sends SIGSYS, which no seccomp filter sent.  3 where refused. */
static volatile char dispatch_selector;
static int user_dispatch(void)
{
    fprintf(stderr, "arming dispatch\n");
    if (prctl(59 /* PR_SET_SYSCALL_USER_DISPATCH */, 1 /* ON */, 0, 0, &dispatch_selector) != 0)
        return 3;
    dispatch_selector = 1; /* SYSCALL_DISPATCH_FILTER_BLOCK */
    syscall(SYS_getpid);
    return 4;
}

static int binary_output(void)
{
    static const char bytes[] = "ok\x00\xff\xfe\xc3\x28\xed\xa0\x80\n";
    fwrite(bytes, 1, sizeof bytes - 1, stdout);
    return 0;
}

/* Stops the output of the terminal on fd 0 (or on `path`): anyone who then
 * writes there blocks until someone resumes it.  No write access needed. */
static int freeze_tty(const char *path)
{
    signal(SIGTTOU, SIG_IGN); /* allowed from a background group then */
    int fd = path ? open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC) : 0;
    if (fd < 0 || tcflow(fd, TCOOFF) < 0) {
        perror("hostile: freeze-tty");
        return 2;
    }
    printf("frozen\n");
    fflush(stdout);
    return 0;
}

/* Sets the terminal on fd 0 to the null line discipline (N_NULL, 27),
 * which refuses every write with EOPNOTSUPP, then writes a line to
 * stderr: the caller's copy of it to that terminal fails. */
static int null_line_discipline(void)
{
    int discipline = 27;
    if (ioctl(0, TIOCSETD, &discipline) < 0) {
        perror("hostile: null-line-discipline");
        return 2;
    }
    fputs("written while the terminal refused writes\n", stderr);
    return 0;
}

/* Sets TOSTOP on the terminal on fd 0 and makes this process's group its
 * foreground group: a process of another group writing there is then
 * stopped by SIGTTOU. */
static int grab_tty(void)
{
    struct termios tio;
    signal(SIGTTOU, SIG_IGN);
    if (tcgetattr(0, &tio) == 0) {
        tio.c_lflag |= TOSTOP;
        tcsetattr(0, TCSANOW, &tio);
    }
    int grabbed = tcsetpgrp(0, getpgrp());
    printf("grab %d\n", grabbed);
    fflush(stdout);
    return 0;
}

/* Leaves its mark on the description of its stdin: flags that would make
 * the next reader's reads fail (O_NONBLOCK) and a seek to the end. */
static int tamper_stdin(void)
{
    int flags = fcntl(0, F_GETFL);
    int set = flags >= 0 ? fcntl(0, F_SETFL, flags | O_NONBLOCK | O_APPEND) : -1;
    (void)lseek(0, 0, SEEK_END);
    printf("tampered %d\n", set);
    fflush(stdout);
    return 0;
}

/* What a policy's variant refuses, tried one by one: a child leaving the
 * process group (setpgid, then setsid), setting the limits of its parent,
 * watching /etc.  Each result is the errno, 0 when the call was made. */
static int probe_variants(void)
{
    char line[160];
    int group_errno = -1, session_errno = -1;
    for (int call = 0; call < 2; call++) {
        pid_t child = fork();
        if (child == 0)
            _exit((call == 0 ? setpgid(0, 0) : setsid()) < 0 ? errno : 0);
        int status;
        int *result = call == 0 ? &group_errno : &session_errno;
        if (child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status))
            *result = WEXITSTATUS(status);
    }
    struct rlimit limit = { 64, 64 };
    int prlimit_errno = prlimit(getppid(), RLIMIT_NOFILE, &limit, NULL) != 0 ? errno : 0;
    int watch_errno = 0;
    int fd = (int)syscall(SYS_inotify_init1, 0);
    if (fd < 0 || syscall(SYS_inotify_add_watch, fd, "/etc", 0x100) < 0)
        watch_errno = errno;
    int n = snprintf(line, sizeof line, "setpgid %d setsid %d prlimit %d watch %d\n",
                     group_errno, session_errno, prlimit_errno, watch_errno);
    return write(1, line, (size_t)n) == n ? 0 : 1;
}

/* The machine's cgroup v2 mount, from the mount table: "" where none. */
static void cgroup2_mount(char *out, size_t size)
{
    out[0] = '\0';
    FILE *table = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    while (table && fgets(line, sizeof line, table)) {
        char point[2048];
        const char *type = strstr(line, " - ");
        if (type && strncmp(type, " - cgroup2 ", 11) == 0 &&
            sscanf(line, "%*s %*s %*s %*s %2047s", point) == 1) {
            snprintf(out, size, "%s", point);
            break;
        }
    }
    if (table)
        fclose(table);
}

/* A child started by clone3(CLONE_INTO_CGROUP) straight into the v2 root
 * cgroup (a task of uid 0 may write root's cgroup.procs, and a read-only
 * mount does not guard it: the kernel checks the file's owner), in a
 * session of its own: it tries to leave every hold on the task's tree.
 * The child prints its pid, or "refused ERRNO"; it sleeps as
 * "cordon-moved", which the tests look for. */
static int escape_cgroup(void)
{
    char root[2048];
    cgroup2_mount(root, sizeof root);
    int dir = root[0] ? open(root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dir < 0) {
        printf("refused %d\n", errno);
        return 0;
    }
    struct {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
            set_tid, set_tid_size, cgroup;
    } args = { .flags = 0x200000000ull /* CLONE_INTO_CGROUP */, .exit_signal = SIGCHLD,
               .cgroup = (uint64_t)dir };
    fflush(stdout);
    long child = syscall(SYS_clone3, &args, sizeof args);
    if (child < 0) {
        printf("refused %d\n", errno);
        return 0;
    }
    if (child == 0) {
        setsid();
        prctl(PR_SET_NAME, "cordon-moved");
        printf("%d\n", (int)getpid());
        fflush(stdout);
        sleep(60);
        _exit(0);
    }
    sleep(1);
    return 0;
}

/* A cgroup namespace of its own, made by unshare and by clone (each in a
 * user namespace, where it has the capabilities to mount its cgroups):
 * "unshare E clone E", each errno, 0 where it was made. */
static int own_cgroup_namespace(void)
{
    int unshared = 0, cloned = 0;
    pid_t child = fork();
    if (child == 0)
        _exit(unshare(CLONE_NEWUSER | CLONE_NEWCGROUP) == 0 ? 0 : errno);
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status))
        unshared = -1;
    else
        unshared = WEXITSTATUS(status);
    long made = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWCGROUP | SIGCHLD, 0, 0, 0, 0);
    if (made == 0)
        _exit(0);
    if (made < 0)
        cloned = errno;
    else
        waitpid((pid_t)made, NULL, 0);
    printf("unshare %d clone %d\n", unshared, cloned);
    return 0;
}

/* Spins until this process has used `ms` of CPU time, then exits. */
static _Noreturn void spin_then_exit(long ms)
{
    struct timespec used;
    do
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
    while (used.tv_sec * 1000 + used.tv_nsec / 1000000 < ms);
    _exit(0);
}

/* Ignores SIGCHLD, so that the kernel reaps its `count` children, each of
 * which spins `ms` of CPU time and exits, and adds their time to no one;
 * waits until they are gone.  No wait4 counts them. */
static int autoreaped_children(int count, long ms)
{
    signal(SIGCHLD, SIG_IGN);
    pid_t children[16];
    count = count < 16 ? count : 16;
    for (int i = 0; i < count; i++) {
        children[i] = fork();
        if (children[i] < 0)
            return 1;
        if (children[i] == 0)
            spin_then_exit(ms);
    }
    for (int i = 0; i < count; i++)
        while (kill(children[i], 0) == 0)
            usleep(10000);
    return 0;
}

/* Ignores SIGCHLD and makes `count` children one after another, each
 * spinning `ms` of CPU time: the kernel reaps each, adding its time to no
 * one, and no scan sees more than one of them at a time. */
static int autoreaped_one_by_one(int count, long ms)
{
    signal(SIGCHLD, SIG_IGN);
    for (int i = 0; i < count; i++) {
        pid_t child = fork();
        if (child < 0)
            return 1;
        if (child == 0)
            spin_then_exit(ms);
        /* ECHILD once the kernel reaped it: the wait is for its end. */
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    return 0;
}

/* Spins in user mode until it has used `ms` of CPU time (the CPU clock,
 * a system call, read once in a million turns), then exits. */
static int spin_user(long ms)
{
    struct timespec used;
    do {
        for (volatile unsigned long i = 0; i < 1000000; i++)
            ;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
    } while (used.tv_sec * 1000 + used.tv_nsec / 1000000 < ms);
    return 0;
}

/* Kernel time of its own first (reads of /dev/zero, some 40 ms), then
 * `count` children the kernel reaps, each exec'ing `self` to spin `ms` in
 * user mode: what no wait4 counts is all user time, what wait4 counts of
 * the rest nearly all system time. */
static int kernel_time_then_autoreaped_user_spinners(const char *self, int count, long ms)
{
    static char buffer[1 << 20];
    int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    struct timespec used;
    do {
        if (zero < 0 || read(zero, buffer, sizeof buffer) < 0)
            return 1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
    } while (used.tv_nsec / 1000000 < 40 && used.tv_sec == 0);
    signal(SIGCHLD, SIG_IGN);
    pid_t children[16];
    count = count < 16 ? count : 16;
    char spun[32];
    snprintf(spun, sizeof spun, "%ld", ms);
    for (int i = 0; i < count; i++) {
        children[i] = fork();
        if (children[i] < 0)
            return 1;
        if (children[i] == 0) {
            execl(self, self, "spin-user", spun, (char *)NULL);
            _exit(127);
        }
    }
    for (int i = 0; i < count; i++)
        while (kill(children[i], 0) == 0)
            usleep(10000);
    return 0;
}

/* Touches `mib` MiB and holds them for `seconds`. */
static int hold_mib(long mib, unsigned seconds)
{
    size_t len = (size_t)mib << 20;
    char *volatile block = malloc(len);
    if (!block)
        return 1;
    for (size_t i = 0; i < len; i += 4096)
        block[i] = 1;
    sleep(seconds);
    return 0;
}

/* Exits with its I/O priority class (1: real-time). */
static int io_class(void)
{
    long io = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
    return io < 0 ? 100 : (int)(io >> 13);
}

/* After its own exec, execs itself again as `how` says (execveat, or
 * execve with a NULL envp), to print "exec'd again"; says what the call
 * returned when it was refused.  A policy's pass for the command's own
 * exec must be gone by then. */
static int exec_self_again(const char *self, const char *how)
{
    char *again[] = { (char *)self, "exec'd-again", NULL };
    char *no_env[] = { NULL };
    long rc = strcmp(how, "execveat") == 0
                  ? syscall(SYS_execveat, AT_FDCWD, self, again, no_env, 0)
                  : syscall(SYS_execve, self, again, NULL);
    printf("%s refused: %s\n", how, strerror(errno));
    return rc == -1 ? 0 : 1;
}

/* Opens its own stdout pipe again for reading and splices it into a full
 * socket, named `mark`: the splice waits in the socket's send holding the
 * pipe's lock, while a child keeps the pipe from running dry; the
 * parent's next read of the pipe waits for that lock. */
static _Noreturn void splice_out_of_stdout(const char *mark)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
        _exit(1);
    char junk[4096];
    memset(junk, 'j', sizeof junk);
    fcntl(pair[0], F_SETFL, O_NONBLOCK);
    while (write(pair[0], junk, sizeof junk) > 0)
        ;
    fcntl(pair[0], F_SETFL, 0);
    int reader = open("/proc/self/fd/1", O_RDONLY | O_CLOEXEC);
    if (reader < 0)
        _exit(2);
    prctl(PR_SET_NAME, mark);
    if (fork() == 0)
        for (;;) {
            (void)!write(1, "x", 1);
            usleep(500);
        }
    for (;;)
        splice(reader, NULL, pair[0], NULL, 65536, 0);
}

/* Two threads that each spin `ms` of CPU (as a number in a pointer). */
static void *spin_thread(void *ms)
{
    struct timespec used;
    do
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &used);
    while (used.tv_sec * 1000 + used.tv_nsec / 1000000 < (long)(intptr_t)ms);
    return NULL;
}

/* Its first thread ends and leaves two spinning: the process lives on
 * without the thread whose id is its pid. */
static int first_thread_ends(long ms)
{
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&threads[i], NULL, spin_thread, (void *)(intptr_t)ms) != 0)
            return 1;
    pthread_exit(NULL);
}

static void *exec_program(void *path)
{
    usleep(20000);
    execl(path, path, (char *)NULL);
    _exit(127);
}

static int autoreaped_count;
static long autoreaped_ms;

static void *autoreaped_from_a_thread(void *unused)
{
    (void)unused;
    _exit(autoreaped_one_by_one(autoreaped_count, autoreaped_ms));
}

/* autoreaped-one-by-one from a second thread, the first having ended at
 * once: the process's first thread is a zombie while the other runs. */
static int first_thread_ends_then_autoreaped(int count, long ms)
{
    autoreaped_count = count;
    autoreaped_ms = ms;
    pthread_t thread;
    if (pthread_create(&thread, NULL, autoreaped_from_a_thread, NULL) != 0)
        return 1;
    syscall(SYS_exit, 0);
    return 1;
}

/* A thread that is not the first execs `path`: the kernel ends the
 * others and gives the thread the process's id. */
static int exec_from_a_thread(const char *path)
{
    pthread_t thread;
    if (pthread_create(&thread, NULL, exec_program, (void *)path) != 0)
        return 1;
    spin_thread((void *)(intptr_t)5000);
    return 2;
}

static long monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* This process's CPU time and its waited children's, in ms. */
static long tree_cpu_ms(void)
{
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    return (self.ru_utime.tv_sec + self.ru_stime.tv_sec + children.ru_utime.tv_sec +
            children.ru_stime.tv_sec) * 1000 +
           (self.ru_utime.tv_usec + self.ru_stime.tv_usec + children.ru_utime.tv_usec +
            children.ru_stime.tv_usec) / 1000;
}

/* A child writes `mib` MiB into `file` (a tmpfs under the task's memory
 * limit: the limit's OOM kill takes it, the file's memory staying); the
 * process reaps it, removes the file, and then spins so that the tree's
 * CPU time reaches `limit_ms` about `after_ms` after the reap.  Prints
 * how the child ended to stderr. */
static int fills_memory_then_crosses_cpu(const char *file, long mib, long limit_ms,
                                         long after_ms)
{
    static char block[1 << 20];
    pid_t child = fork();
    if (child == 0) {
        int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        memset(block, 1, sizeof block);
        for (long i = 0; fd >= 0 && i < mib; i++)
            if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
                _exit(2);
        _exit(0);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child)
        return 3;
    unlink(file);
    long reaped = monotonic_ms(), left = limit_ms - tree_cpu_ms();
    fprintf(stderr, "child %s, %ld ms of CPU left\n",
            WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited", left);
    if (after_ms - left > 0)
        usleep((useconds_t)(after_ms - left) * 1000);
    while (monotonic_ms() - reaped < 10000)
        ;
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "exec'd-again") == 0) {
        printf("exec'd again\n");
        return 0;
    }
    /* Runs another program at once: of mode 0111, a trampoline that took
     * itself off the kernel's CPU counter for a moment only. */
    if (strcmp(mode, "trampoline") == 0 && argc > 2) {
        execv(argv[2], argv + 2);
        return 127;
    }
    if (strcmp(mode, "first-thread-ends") == 0 && argc > 2)
        return first_thread_ends(atol(argv[2]));
    if (strcmp(mode, "first-thread-ends-then-autoreaped") == 0 && argc > 3)
        return first_thread_ends_then_autoreaped(atoi(argv[2]), atol(argv[3]));
    if (strcmp(mode, "exec-from-a-thread") == 0 && argc > 2)
        return exec_from_a_thread(argv[2]);
    if (strcmp(mode, "exec-self-again") == 0 && argc > 2)
        return exec_self_again(argv[0], argv[2]);
    if (strcmp(mode, "fork-bomb") == 0) fork_bomb();
    if (strcmp(mode, "copies-a-large-mapping") == 0 && argc > 2)
        copies_a_large_mapping((size_t)atol(argv[2]));
    if (strcmp(mode, "orphans-dying-slowly") == 0 && argc > 3)
        orphans_dying_slowly((size_t)atol(argv[2]), atoi(argv[3]));
    if (strcmp(mode, "escape-group") == 0) return escape_group();
    if (strcmp(mode, "attack-parent") == 0) return attack_parent();
    if (strcmp(mode, "flood") == 0) return flood();
    if (strcmp(mode, "stop-self") == 0) return stop_self();
    if (strcmp(mode, "traced-again-and-again") == 0 && argc > 2)
        traced_again_and_again(atoi(argv[2]));
    if (strcmp(mode, "traced-by-its-child") == 0 && argc > 3)
        return traced_by_its_child(atoi(argv[2]), atoi(argv[3]));
    if (strcmp(mode, "traced-by-its-parent") == 0 && argc > 3)
        return traced_by_its_parent(argv[2], atoi(argv[3]));
    if (strcmp(mode, "ignore-signals") == 0) ignore_signals();
    if (strcmp(mode, "close-fds") == 0) return close_fds();
    if (strcmp(mode, "hold-pipes") == 0) return hold_pipes();
    if (strcmp(mode, "splice-out-of-stdout") == 0 && argc > 2) splice_out_of_stdout(argv[2]);
    if (strcmp(mode, "allocate") == 0) return allocate();
    if (strcmp(mode, "spin") == 0) spin();
    if (strcmp(mode, "sleepers-then-spin") == 0 && argc > 2) sleepers_then_spin(atoi(argv[2]));
    if (strcmp(mode, "spin-then-mark") == 0 && argc > 3) spin_then_mark(atol(argv[2]), argv[3]);
    if (strcmp(mode, "huge-file") == 0 && argc > 2) return huge_file(argv[2]);
    if (strcmp(mode, "int80") == 0) return int80();
    if (strcmp(mode, "binary-output") == 0) return binary_output();
    if (strcmp(mode, "x32") == 0) return x32_syscall();
    if (strcmp(mode, "socket-inet") == 0) return socket_inet();
    if (strcmp(mode, "user-dispatch") == 0) return user_dispatch();
    if (strcmp(mode, "freeze-tty") == 0) return freeze_tty(argc > 2 ? argv[2] : NULL);
    if (strcmp(mode, "grab-tty") == 0) return grab_tty();
    if (strcmp(mode, "null-line-discipline") == 0) return null_line_discipline();
    if (strcmp(mode, "tamper-stdin") == 0) return tamper_stdin();
    if (strcmp(mode, "probe-variants") == 0) return probe_variants();
    if (strcmp(mode, "io-class") == 0) return io_class();
    if (strcmp(mode, "escape-cgroup") == 0) return escape_cgroup();
    if (strcmp(mode, "own-cgroup-namespace") == 0) return own_cgroup_namespace();
    if (strcmp(mode, "hold-mib") == 0 && argc > 3)
        return hold_mib(atol(argv[2]), (unsigned)atoi(argv[3]));
    if (strcmp(mode, "autoreaped-one-by-one") == 0 && argc > 3)
        return autoreaped_one_by_one(atoi(argv[2]), atol(argv[3]));
    if (strcmp(mode, "autoreaped-children") == 0 && argc > 3)
        return autoreaped_children(atoi(argv[2]), atol(argv[3]));
    if (strcmp(mode, "spin-user") == 0 && argc > 2) return spin_user(atol(argv[2]));
    if (strcmp(mode, "fills-memory-then-crosses-cpu") == 0 && argc > 5)
        return fills_memory_then_crosses_cpu(argv[2], atol(argv[3]), atol(argv[4]),
                                             atol(argv[5]));
    if (strcmp(mode, "kernel-time-then-autoreaped-user-spinners") == 0 && argc > 3)
        return kernel_time_then_autoreaped_user_spinners(argv[0], atoi(argv[2]), atol(argv[3]));
    fprintf(stderr, "hostile: unknown mode '%s'\n", mode);
    return 64;
}
