/*
 * Hostile function tasks: a function shares the most with its caller (a
 * copy of its memory, its session, the region its results come back
 * through), so each test here is an attack from inside a function task on
 * what it shares, and checks that the caller is untouched and its result
 * still sane.
 */
#include <fcntl.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "support.h"

/* ---- what a task sees of its caller's shared memory ------------------- */

/* The task's view of /proc/self/maps: its MAP_SHARED mappings. */
typedef struct shared_view {
    uintptr_t start[64], end[64];
    int count;
} shared_view;

static void read_shared_view(shared_view *view)
{
    view->count = 0;
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 && perms[3] == 's' &&
            view->count < 64) {
            view->start[view->count] = start;
            view->end[view->count++] = end;
        }
    }
    if (maps)
        fclose(maps);
}

static int count_shared_mappings(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    shared_view view;
    read_shared_view(&view);
    return view.count;
}

static int write_through(cordon_ctx *ctx, void *target)
{
    (void)ctx;
    memcpy(target, "CORRUPTED", 9);
    return 0;
}

static char *temporary_file(size_t size)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/cordon-shared-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(map != MAP_FAILED);
    memcpy(map, "original!", 9);
    close(fd);
    unlink(path); /* the mapping is the file's until unmapped */
    return map;
}

static void test_a_file_the_caller_mapped_cannot_be_written(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind refuses to replace mappings, so the sweep of inherited shared memory cannot run under it");
    char *db = temporary_file(4096);
    cordon_policy *compute = cordon_policy_load("compute", NULL);
    assert_non_null(compute);
    cordon_task *t = cordon_function_task(write_through, db);
    cordon_set_policy(t, compute);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    assert_memory_equal(db, "original!", 9);
    cordon_task_free(t);
    cordon_policy_free(compute);
    munmap(db, 4096);
}

static void test_no_shared_memory_of_the_caller_reaches_the_task(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind refuses to replace mappings, so the sweep of inherited shared memory cannot run under it");
    /* One of each kind: a file, anonymous shared memory, System V and
     * POSIX shared memory, and an io_uring's rings. */
    char *file = temporary_file(8192);
    void *anonymous = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(anonymous != MAP_FAILED);
    int shm_id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    assert_true(shm_id >= 0);
    void *sysv = shmat(shm_id, NULL, 0);
    assert_true(sysv != (void *)-1);
    shmctl(shm_id, IPC_RMID, NULL);
    char name[64];
    snprintf(name, sizeof name, "/cordon-test-%d", (int)getpid());
    int posix_fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(posix_fd >= 0);
    shm_unlink(name);
    assert_int_equal(ftruncate(posix_fd, 4096), 0);
    void *posix = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, posix_fd, 0);
    assert_true(posix != MAP_FAILED);
    close(posix_fd);
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    int ring_fd = (int)syscall(SYS_io_uring_setup, 4, &params);
    void *ring = MAP_FAILED;
    if (ring_fd >= 0)
        ring = mmap(NULL, params.sq_off.array + params.sq_entries * sizeof(uint32_t),
                    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQ_RING);
    shared_view caller;
    read_shared_view(&caller);
    assert_true(caller.count >= 4);

    cordon_task *t = cordon_function_task(count_shared_mappings, NULL);
    cordon_set_policy(t, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 1); /* its own region, nothing else */
    cordon_task_free(t);

    if (ring != MAP_FAILED)
        munmap(ring, params.sq_off.array + params.sq_entries * sizeof(uint32_t));
    if (ring_fd >= 0)
        close(ring_fd);
    munmap(posix, 4096);
    shmdt(sysv);
    munmap(anonymous, 4096);
    munmap(file, 8192);
}

/* ---- a sibling's region ----------------------------------------------- */

static int slow_answer(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    usleep(300 * 1000);
    cordon_return(ctx, "sibling's own answer", 20);
    return 7;
}

/* Writes over every shared mapping it can see: with the fix, its own. */
static int scribble_over_shared(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    unsigned seed = (unsigned)(uintptr_t)arg;
    shared_view view;
    read_shared_view(&view);
    for (int i = 0; i < view.count; i++) {
        unsigned char *p = (unsigned char *)view.start[i];
        size_t len = view.end[i] - view.start[i];
        for (size_t k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            /* Some rounds write small numbers, which look like valid
             * steps, states and lengths; others any byte. */
            p[k] = (seed >> 16) % 4 == 0 ? (unsigned char)((seed >> 8) % 24)
                                         : (unsigned char)(seed >> 16);
        }
    }
    switch (seed % 4) {
    case 0: return (int)seed;
    case 1: _exit((int)(seed % 256));
    case 2: raise(SIGSEGV); return 0;
    default: cordon_raise(ctx, "Scribbled", "after writing over %d mappings", view.count);
    }
}

/* Fills every shared mapping with the number 31, as 32-bit words: any
 * record there then names signal 31 (SIGSYS) and syscall 31 (shmctl).
 * Then it dies of a SIGSYS it sends itself, past its own handler. */
static int forge_a_trapped_call(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    shared_view view;
    read_shared_view(&view);
    for (int i = 0; i < view.count; i++)
        for (uint32_t *p = (uint32_t *)view.start[i]; p < (uint32_t *)view.end[i]; p++)
            *p = SIGSYS;
    signal(SIGSYS, SIG_DFL);
    raise(SIGSYS);
    return 0;
}

static int calls_getppid(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return (int)syscall(SYS_getppid);
}

/* A PolicyViolation names a call the policy refused: the crash record is
 * the task's to write, so one naming a call the policy does not trap is
 * not evidence, and the default policy, which reports its kills on the
 * listener, traps none. */
static void test_a_task_cannot_forge_a_policy_violation(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind refuses to replace mappings and has no seccomp listener");
    cordon_task *t = cordon_function_task(forge_a_trapped_call, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    if (!(r->confinement & CORDON_CONFINED_SECCOMP))
        skip();
    assert_string_equal(r->exception, "SIGSYS");
    assert_int_equal(r->signal, SIGSYS);
    assert_null(strstr(r->exc_out.data, "shmctl"));
    cordon_task_free(t);

    /* A call the policy does trap is still named, beside a listener. */
    cordon_error err;
    cordon_policy *p = cordon_policy_parse("default allow\nkill ptrace\ntrap getppid\n",
                                           "trapping", &err);
    assert_non_null(p);
    t = cordon_function_task(calls_getppid, NULL);
    cordon_set_policy(t, p);
    r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "PolicyViolation");
    assert_non_null(strstr(r->exc_out.data, "refused getppid"));
    cordon_task_free(t);
    cordon_policy_free(p);
}

static void test_a_sibling_task_cannot_forge_another_result(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind refuses to replace mappings, so the sweep of inherited shared memory cannot run under it");
    cordon_task *sibling = cordon_function_task(slow_answer, NULL);
    assert_int_equal(cordon_run_async(sibling), 0);
    usleep(100 * 1000); /* the sibling is running: its region exists */
    cordon_task *attacker = cordon_function_task(scribble_over_shared, (void *)(uintptr_t)12345);
    cordon_set_policy(attacker, NULL);
    cordon_run(attacker);
    assert_int_equal(cordon_join(sibling), 0);
    const cordon_result *r = cordon_task_result(sibling);
    assert_int_equal(r->exit_code, 7);
    assert_int_equal(r->returns.len, 20);
    assert_memory_equal(r->returns.data, "sibling's own answer", 20);
    cordon_task_free(attacker);
    cordon_task_free(sibling);
}

/* ---- a forged region -------------------------------------------------- */

static bool sane_class(const char *name)
{
    if (!name)
        return true;
    for (const char *c = name; *c; c++) {
        if (*c < 0x21 || *c > 0x7e)
            return false;
    }
    return name[0] != '\0';
}

static void test_scribbling_over_its_own_region_leaves_the_caller_sane(void **state)
{
    (void)state;
    /* 2,000 in the plain build took 19 s of the suite's serial part. */
    int rounds = rounds_for_build(800, 600, 50);
    cordon_task *t = cordon_function_task(scribble_over_shared, NULL);
    cordon_set_policy(t, NULL);
    cordon_set_limit(t, CORDON_LIMIT_RETURN, 4096);
    for (int i = 0; i < rounds; i++) {
        cordon_task_free(t);
        t = cordon_function_task(scribble_over_shared, (void *)(uintptr_t)(i * 7919 + 1));
        cordon_set_policy(t, NULL);
        cordon_set_limit(t, CORDON_LIMIT_RETURN, 4096);
        int rc = cordon_run(t);
        assert_true(rc == 0 || rc == CORDON_EXCEPTION);
        const cordon_result *r = cordon_task_result(t);
        assert_true(sane_class(r->exception));
        assert_true(r->returns.len <= 4096);
        /* Only cordon's evidence names a set-up failure, never the task. */
        if (r->exception)
            assert_string_not_equal(r->exception, "ConfinementError");
        if (r->exception)
            assert_string_not_equal(r->exception, "ExecError");
    }
    cordon_task_free(t);
}

/* Maps every page of the objects behind its shared mappings again
 * (mremap of size 0 duplicates a shared mapping; remap_file_pages points
 * it at any page of the object), writes small numbers over them — a
 * forged set-up failure, a forged status — and exits as a failed set-up
 * would. */
static sigjmp_buf past_the_object;

static void skip_page(int signo)
{
    (void)signo;
    siglongjmp(past_the_object, 1);
}

static int reach_back_for_the_setup_record(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    /* A page past the end of an object faults: skipped. */
    struct sigaction skipping = { .sa_handler = skip_page };
    sigaction(SIGBUS, &skipping, NULL);
    shared_view view;
    read_shared_view(&view);
    for (int i = 0; i < view.count; i++) {
        size_t len = view.end[i] - view.start[i];
        char *copy = mremap((void *)view.start[i], 0, len, MREMAP_MAYMOVE);
        if (copy == MAP_FAILED)
            continue;
        for (size_t page = 0; page < len / 4096 + 2; page++) {
            if (remap_file_pages(copy, 4096, 0, page, 0) != 0 || sigsetjmp(past_the_object, 1))
                continue;
            /* A set-up step and an errno, in the first two words. */
            ((int32_t *)copy)[0] = 5;
            ((int32_t *)copy)[1] = EACCES;
        }
    }
    _exit(127);
}

static void test_a_task_cannot_map_the_setup_record_back(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(reach_back_for_the_setup_record, NULL);
    cordon_set_policy(t, NULL);
    /* Whatever it wrote over its own region is its own word (a return
     * value); nothing names a set-up failure. */
    const cordon_result *r = run_task(t, 0);
    assert_null(r->exception);
    cordon_task_free(t);
}

/* ---- the caller's System V IPC ------------------------------------------ */

static int attach_by_id(cordon_ctx *ctx, void *id)
{
    (void)ctx;
    void *at = shmat((int)(intptr_t)id, NULL, 0);
    if (at == (void *)-1)
        return 0;
    memcpy(at, "WRITTEN", 7);
    return 1;
}

static void test_the_callers_system_v_memory_is_out_of_reach(void **state)
{
    (void)state;
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0666);
    assert_true(id >= 0);
    char *mine = shmat(id, NULL, 0);
    assert_true(mine != (void *)-1);
    memcpy(mine, "original", 8);
    cordon_task *t = cordon_function_task(attach_by_id, (void *)(intptr_t)id);
    const cordon_result *r = run_task(t, 0);
    if (!(r->confinement & CORDON_CONFINED_IPC_NAMESPACE)) {
        cordon_task_free(t);
        shmdt(mine);
        shmctl(id, IPC_RMID, NULL);
        skip(); /* no IPC namespace here: the README says what holds */
    }
    assert_int_equal(r->exit_code, 0);
    assert_memory_equal(mine, "original", 8);
    cordon_task_free(t);
    shmdt(mine);
    shmctl(id, IPC_RMID, NULL);
}

/* ---- the caller's POSIX shared memory ------------------------------------ */

/* Opens the caller's segment by its name and writes into it: 1 when it
 * could. */
static int open_by_name(cordon_ctx *ctx, void *name)
{
    (void)ctx;
    int fd = shm_open(name, O_RDWR, 0);
    if (fd < 0)
        return 0;
    char *at = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (at != MAP_FAILED)
        memcpy(at, "WRITTEN", 7);
    close(fd);
    return 1;
}

/* What a check of the caller's state run in a task said. */
enum reach { NOT_REACHED, REACHED, CANNOT_TELL };

/* `check` in a copy of the test (which probes namespaces anew) whose
 * tasks run without namespaces, as where the machine refuses them. */
static enum reach without_namespaces(enum reach (*check)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        _exit(check());
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return (enum reach)WEXITSTATUS(status);
}

/* Binds the device `name` of `old_dev` (the machine's /dev) at the same
 * name in a /dev of tmpfs. */
static bool device_bound(const char *old_dev, const char *name)
{
    char from[PATH_MAX], to[PATH_MAX];
    snprintf(from, sizeof from, "%s/%s", old_dev, name);
    snprintf(to, sizeof to, "/dev/%s", name);
    int fd = open(to, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return false;
    close(fd);
    return mount(from, to, NULL, MS_BIND, NULL) == 0;
}

/* `check` as without_namespaces, in a copy of the test whose /dev is a
 * tmpfs holding /dev/shm as a plain directory, as some containers have
 * it: /dev/shm's file system is then no mount of its own.  Root only. */
static enum reach without_namespaces_under_a_container_dev(enum reach (*check)(void))
{
    char old_dev[] = "/tmp/cordon-test-dev-XXXXXX";
    if (geteuid() != 0 || !mkdtemp(old_dev))
        return CANNOT_TELL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        static const char *const kept[] = { "null", "zero", "full", "random", "urandom" };
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("/dev", old_dev, NULL, MS_BIND | MS_REC, NULL) != 0 ||
            mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755") != 0 ||
            mkdir("/dev/shm", 01777) != 0 || chmod("/dev/shm", 01777) != 0)
            _exit(CANNOT_TELL);
        for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
            if (!device_bound(old_dev, kept[i]))
                _exit(CANNOT_TELL);
        setenv("CORDON_NO_NAMESPACES", "1", 1);
        _exit(check());
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    rmdir(old_dev);
    assert_true(WIFEXITED(status));
    return (enum reach)WEXITSTATUS(status);
}

/* Where the task had neither a /dev/shm of its own (a mount namespace)
 * nor, without one, the Landlock fence that keeps it from the caller's,
 * there is nothing to check. */
static bool kept_from_the_callers_dev(const cordon_result *r)
{
    return (r->confinement & CORDON_CONFINED_OWN_PROC) ||
           (r->confinement & CORDON_CONFINED_LANDLOCK);
}

static enum reach posix_shared_memory_reached(void)
{
    char name[64];
    snprintf(name, sizeof name, "/cordon-test-shm-%d", (int)getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        print_message("no POSIX shared memory here: %s\n", strerror(errno));
        return CANNOT_TELL;
    }
    assert_int_equal(ftruncate(fd, 4096), 0);
    char *mine = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(mine != MAP_FAILED);
    close(fd);
    memcpy(mine, "original", 8);
    cordon_task *t = cordon_function_task(open_by_name, name);
    cordon_set_policy(t, NULL);
    const cordon_result *r = run_task(t, 0);
    bool kept = kept_from_the_callers_dev(r);
    int opened = r->exit_code;
    cordon_task_free(t);
    bool written = memcmp(mine, "original", 8) != 0;
    munmap(mine, 4096);
    shm_unlink(name);
    if (!kept)
        print_message("neither a mount namespace nor Landlock here: /dev/shm stays the "
                      "caller's\n");
    return !kept ? CANNOT_TELL : opened || written ? REACHED : NOT_REACHED;
}

/* POSIX shared memory and semaphores are files in /dev/shm, which no IPC
 * namespace holds: a task of the caller's user opened the caller's
 * segment by name and wrote into the caller's own mapping of it, and
 * where the machine refuses namespaces went on doing so after a /dev/shm
 * of its own held it elsewhere, and then where /dev/shm was a plain
 * directory of a container's /dev. */
static void test_the_callers_posix_shared_memory_is_out_of_reach(void **state)
{
    (void)state;
    enum reach in_namespaces = posix_shared_memory_reached();
    enum reach without = without_namespaces(posix_shared_memory_reached);
    enum reach in_a_container =
        without_namespaces_under_a_container_dev(posix_shared_memory_reached);
    assert_int_not_equal(in_namespaces, REACHED);
    assert_int_not_equal(without, REACHED);
    assert_int_not_equal(in_a_container, REACHED);
    if (in_namespaces == CANNOT_TELL && without == CANNOT_TELL && in_a_container == CANNOT_TELL)
        skip();
}

/* ---- classes and messages the task chooses ----------------------------- */

static int raise_class(cordon_ctx *ctx, void *class_name)
{
    cordon_raise(ctx, class_name, "pretending to be one");
}

/* And "ok", which report and batch call a success: raised, it was
 * counted as one in report's table; and "exit:N", their name of an exit
 * status. */
static void test_a_task_cannot_raise_cordons_own_classes(void **state)
{
    (void)state;
    static const char *const classes[] = { "Timeout", "ok" };
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        cordon_task *t = cordon_function_task(raise_class, (void *)classes[i]);
        int rc = cordon_run_and_retry(t, 3, classes[i]);
        assert_int_equal(rc, CORDON_EXCEPTION);
        const cordon_result *r = cordon_task_result(t);
        assert_string_equal(r->exception, "InvalidException");
        assert_int_equal(r->attempts, 1);
        assert_non_null(strstr(r->exc_out.data, "reserved"));
        cordon_task_free(t);
    }
    /* And "exit:3", which they call an exit status of 3. */
    cordon_task *t = cordon_function_task(raise_class, (void *)"exit:3");
    assert_int_equal(cordon_run(t), CORDON_EXCEPTION);
    assert_string_equal(cordon_task_result(t)->exception, "InvalidException");
    cordon_task_free(t);
}

static int raise_with_escapes(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    if (arg)
        cordon_raise(ctx, "Bad\x1b[31m", "x");
    cordon_raise(ctx, "Bad", "clear \x1b[2J bell \a c1 \xc2\x9b over-long \xe0\x82\x9b"
                             " \xf0\x80\x82\x9b lone \x9b surrogate \xed\xa0\x80 end"
                             " h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"
                             "\nTimeout: the task ran past its deadline of 2000 ms");
}

/* No byte of a CSI however encoded, and no line of the task's own. */
static void assert_shows_no_control(const char *text)
{
    assert_null(strchr(text, '\x1b'));
    assert_null(strchr(text, '\a'));
    assert_null(strchr(text, '\x9b'));
    assert_null(strchr(text, (char)0xe0));
    assert_null(strchr(text, (char)0xed));
    const char *newline = strchr(text, '\n');
    assert_true(!newline || !newline[1]); /* one line, ended */
}

static void test_raised_text_reaches_the_caller_without_control_bytes(void **state)
{
    (void)state;
    for (int with_bad_class = 0; with_bad_class < 2; with_bad_class++) {
        cordon_task *t = cordon_function_task(raise_with_escapes, (void *)(intptr_t)with_bad_class);
        const cordon_result *r = run_task(t, CORDON_EXCEPTION);
        assert_string_equal(r->exception, with_bad_class ? "InvalidException" : "Bad");
        assert_shows_no_control(r->exc_out.data);
        assert_shows_no_control(r->message);
        assert_non_null(strstr(r->exc_out.data, "\\x1b"));
        if (!with_bad_class) {
            assert_non_null(strstr(r->message, "c1 \\xc2\\x9b over-long \\xe0\\x82\\x9b "
                                               "\\xf0\\x80\\x82\\x9b lone \\x9b surrogate "
                                               "\\xed\\xa0\\x80 end"));
            /* Text in UTF-8 is only text. */
            assert_non_null(strstr(r->exc_out.data, " h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"
                                                    "\\x0aTimeout: "));
        }
        cordon_task_free(t);
    }
}

/* ---- the caller's terminal ---------------------------------------------- */

static int open_controlling_terminal(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0)
        return errno;
    tcflow(fd, TCOOFF);
    pid_t group = getpgrp();
    ioctl(fd, TIOCSPGRP, &group);
    return 0;
}

/* A caller with a terminal: a helper process in a session of its own with
 * a pty as its controlling terminal runs the task. */
static void test_a_task_cannot_reach_the_callers_terminal(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind exits a forked copy with its own status when it has leaks");
    int master, slave;
    assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
    pid_t helper = fork();
    assert_true(helper >= 0);
    if (helper == 0) {
        setsid();
        if (ioctl(slave, TIOCSCTTY, 0) != 0)
            _exit(100);
        cordon_task *t = cordon_function_task(open_controlling_terminal, NULL);
        cordon_set_policy(t, NULL);
        cordon_set_timeout_ms(t, 5000); /* a task stopped by the terminal still ends */
        int rc = cordon_run(t);
        const cordon_result *r = cordon_task_result(t);
        /* ENXIO: the task has no controlling terminal at all. */
        _exit(rc == 0 && r->exit_code == ENXIO ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(helper, &status, 0), helper);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(slave);
    close(master);
}

/* Opens the caller's terminal by its name, the pty slave's path: 0 when
 * it could not, 1 when it opened it, 2 when it also wrote to it. */
/* 1 where the task opened the terminal for writing, 2 for reading: a
 * terminal's modes are set through either (its interrupt key, its flow). */
static int open_the_callers_terminal_by_name(cordon_ctx *ctx, void *path)
{
    (void)ctx;
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
        ssize_t wrote = write(fd, "fake prompt: ", 13);
        close(fd);
        return wrote == 13 ? 1 : 3;
    }
    if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK)) >= 0) {
        struct termios modes;
        if (tcgetattr(fd, &modes) == 0) {
            modes.c_cc[VINTR] = 'a';
            tcsetattr(fd, TCSANOW, &modes);
        }
        close(fd);
        return 2;
    }
    return 0;
}

static enum reach callers_terminal_reached(void)
{
    int master, slave;
    char name[64];
    assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
    struct termios before;
    assert_int_equal(tcgetattr(slave, &before), 0);
    cordon_task *t = cordon_function_task(open_the_callers_terminal_by_name, name);
    cordon_set_policy(t, NULL);
    const cordon_result *r = run_task(t, 0);
    bool kept = kept_from_the_callers_dev(r);
    int opened = r->exit_code;
    struct pollfd screen = { .fd = master, .events = POLLIN };
    int written = poll(&screen, 1, 0);
    struct termios after;
    assert_int_equal(tcgetattr(slave, &after), 0);
    cordon_task_free(t);
    close(slave);
    close(master);
    if (!kept)
        print_message("neither a mount namespace nor Landlock here: the caller's terminals "
                      "stay in /dev/pts\n");
    if (opened)
        print_message("the task opened the caller's terminal (%d)\n", opened);
    return !kept ? CANNOT_TELL
           : opened || written || after.c_cc[VINTR] != before.c_cc[VINTR] ? REACHED
                                                                          : NOT_REACHED;
}

/* The task's user may open the caller's terminal (a library's task runs as
 * the caller's user): by its name in /dev/pts it wrote on the caller's
 * screen and could read what the user typed; where the machine refuses
 * namespaces it went on setting the caller's interrupt key (which killed
 * the caller's shell when next typed) after its own /dev/pts held it. */
static void test_a_task_cannot_open_the_callers_terminal_by_name(void **state)
{
    (void)state;
    enum reach in_namespaces = callers_terminal_reached();
    enum reach without = without_namespaces(callers_terminal_reached);
    assert_int_not_equal(in_namespaces, REACHED);
    assert_int_not_equal(without, REACHED);
    if (in_namespaces == CANNOT_TELL && without == CANNOT_TELL)
        skip();
}

/* Which of the caller's terminals the task reached by name: a bit for
 * each of `arg`'s paths that is still the terminal there, not the null
 * device (or nothing) cordon covers it with. */
static const char *const console_paths[] = {
    "/dev/tty63", "/dev/tty62", "/dev/console", "/dev/tty0",
    "/dev/vcs63", "/dev/vcsa63", "/dev/vcsu62", "/dev/vcs",
};
#define CONSOLE_PATHS (sizeof console_paths / sizeof *console_paths)
static int reaches_the_caller_s_consoles(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int reached = 0;
    for (size_t i = 0; i < CONSOLE_PATHS; i++) {
        struct stat st;
        if (stat(console_paths[i], &st) == 0 && S_ISCHR(st.st_mode) &&
            st.st_rdev != makedev(1, 3))
            reached |= 1 << i;
    }
    return reached;
}

/* In a copy: a session of its own whose controlling terminal is virtual
 * console 63, with console 62 as its stderr; "own_mounts reached", or
 * "skip" where the consoles cannot be opened (not root, no consoles). */
static void caller_on_a_console_in_its_session(int out)
{
    int stderr_copy = dup(2);
    int controlling = open("/dev/tty63", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    int other = open("/dev/tty62", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (controlling < 0 || other < 0 || dup2(other, 2) != 2) {
        dprintf(out, "skip");
        return;
    }
    cordon_task *t = cordon_function_task(reaches_the_caller_s_consoles, NULL);
    cordon_set_policy(t, NULL);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    dprintf(out, "%d %d", rc == 0 && (r->confinement & CORDON_CONFINED_OWN_PROC),
            rc == 0 ? r->exit_code : -1);
    cordon_task_free(t);
    dup2(stderr_copy, 2);
    close(other);
    close(controlling);
    /* the consoles given back (VT_DISALLOCATE), once no one holds them */
    int console = open("/dev/tty0", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (console >= 0) {
        ioctl(console, 0x5608, 62);
        ioctl(console, 0x5608, 63);
        close(console);
    }
}

/* The copy leads its process group, which setsid refuses: a child of it
 * makes the session. */
static void caller_on_a_console(int out)
{
    pid_t leader = fork();
    if (leader == 0) {
        if (setsid() < 0)
            dprintf(out, "no session");
        else
            caller_on_a_console_in_its_session(out);
        _exit(0);
    }
    if (leader > 0)
        waitpid(leader, NULL, 0);
}

/* A task of the caller's user (a root caller's, one logged in on a
 * console) opened the caller's virtual console by name, set its
 * interrupt key to a letter the console then typed, and the caller died
 * of SIGINT; /dev/pts, which the task's own replaces, holds only the
 * pseudo-terminals.  The caller's controlling terminal, its fds', the
 * console aliases and the consoles' screens (vcs, where a task read the
 * caller's console and wrote a prompt onto it) are covered with the null
 * device in the task's view. */
static void test_a_task_cannot_open_the_callers_console_by_name(void **state)
{
    (void)state;
    char text[64] = "";
    int status = run_in_a_copy(caller_on_a_console, text, sizeof text, "the copy hung");
    assert_true(WIFEXITED(status));
    if (strcmp(text, "skip") == 0) {
        print_message("skipped: no virtual console to open here (needs root)\n");
        skip();
    }
    int own_mounts = 0, reached = -1;
    if (sscanf(text, "%d %d", &own_mounts, &reached) != 2)
        fail_msg("the copy said: %s", text);
    if (!own_mounts) {
        print_message("skipped: no mount namespace here: the caller's /dev is the task's\n");
        skip();
    }
    for (size_t i = 0; i < CONSOLE_PATHS; i++)
        if (reached & (1 << i))
            fail_msg("the task reached %s (said: %s)", console_paths[i], text);
    assert_int_equal(reached, 0);
}

/* Opens pseudo-terminals until refused, in 8 processes (each under its
 * open-files limit); prints the count, then holds them 3 s. */
static int opens_terminals_until_refused(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int counts[2];
    if (pipe(counts) != 0)
        return 98;
    int forked = 0;
    for (int i = 0; i < 8; i++) {
        pid_t child = fork();
        forked += child > 0;
        if (child != 0)
            continue;
        int made = 0;
        while (posix_openpt(O_RDWR | O_NOCTTY) >= 0)
            made++;
        (void)!write(counts[1], &made, sizeof made);
        sleep(3);
        _exit(0);
    }
    close(counts[1]);
    /* Said as soon as every child holds all it could open: the test's
     * word to start the sibling. */
    int total = 0, made;
    for (int i = 0; i < forked && read(counts[0], &made, sizeof made) == (ssize_t)sizeof made; i++)
        total += made;
    printf("%d\n", total);
    fflush(stdout);
    while (wait(NULL) > 0)
        ;
    return 0;
}

/* The pool every devpts instance but the machine's first draws on:
 * kernel.pty.max less kernel.pty.reserve. */
static int pseudo_terminal_pool(void)
{
    FILE *f = fopen("/proc/sys/kernel/pty/max", "r");
    int most = 0, reserve = 0;
    assert_true(f && fscanf(f, "%d", &most) == 1);
    fclose(f);
    f = fopen("/proc/sys/kernel/pty/reserve", "r");
    assert_true(f && fscanf(f, "%d", &reserve) == 1);
    fclose(f);
    return most - reserve;
}

static int opens_a_terminal(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return posix_openpt(O_RDWR | O_NOCTTY) >= 0 ? 0 : errno;
}

/* The pool of pseudo-terminals every devpts instance but the machine's
 * first draws on (kernel.pty.max less kernel.pty.reserve) is no
 * namespace's: a task that opened them until refused left none to its
 * siblings' own instances (ENOSPC) while it ran.  Its instance holds a
 * quarter of the pool. */
static void test_a_task_leaves_its_siblings_pseudo_terminals(void **state)
{
    (void)state;
    cordon_task *hog = cordon_function_task(opens_terminals_until_refused, NULL);
    cordon_set_timeout_ms(hog, 30000);
    int said = 0;
    cordon_set_output_callback(hog, count_stdout_lines, &said);
    assert_int_equal(cordon_run_async(hog), 0);
    wait_for_stdout_lines(&said, 1); /* it holds all it could open */
    cordon_task *sibling = cordon_function_task(opens_a_terminal, NULL);
    const cordon_result *r = run_task(sibling, 0);
    bool own_mounts = r->confinement & CORDON_CONFINED_OWN_PROC;
    int sibling_errno = r->exit_code;
    /* and a quarter of what the hog left is the next task's */
    cordon_task *next = cordon_shell_task("grep ' /dev/pts ' /proc/self/mountinfo | "
                                          "grep -o 'max=[0-9]*' | tail -1 | cut -d= -f2");
    int next_share = atoi(run_task(next, 0)->std_out.data);
    cordon_task_free(next);
    cordon_join(hog);
    int held = atoi(cordon_task_result(hog)->std_out.data);
    cordon_task_free(sibling);
    cordon_task_free(hog);
    if (!own_mounts) {
        fprintf(stderr, "no mount namespace here: the tasks share the caller's devpts\n");
        skip();
    }
    assert_int_equal(sibling_errno, 0);
    int pool = pseudo_terminal_pool();
    assert_in_range(held, 1, pool / 4);
    assert_in_range(next_share, 1, (pool - held) / 4 + 2);
}

/* Four such tasks started at once each saw the whole pool free and took a
 * quarter of it: together all of it, and a sibling's pseudo-terminal was
 * refused (ENOSPC) while they held theirs.  Each now gets a quarter of
 * what the process's live tasks were not given. */
static void test_terminal_hogs_started_at_once_leave_a_sibling_its_terminal(void **state)
{
    (void)state;
    cordon_task *hogs[4];
    int said = 0;
    for (int i = 0; i < 4; i++) {
        hogs[i] = cordon_function_task(opens_terminals_until_refused, NULL);
        cordon_set_timeout_ms(hogs[i], 30000);
        cordon_set_output_callback(hogs[i], count_stdout_lines, &said);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(cordon_run_async(hogs[i]), 0);
    wait_for_stdout_lines(&said, 4); /* they hold all they could open */
    cordon_task *sibling = cordon_function_task(opens_a_terminal, NULL);
    const cordon_result *r = run_task(sibling, 0);
    bool own_mounts = r->confinement & CORDON_CONFINED_OWN_PROC;
    int sibling_errno = r->exit_code;
    int held = 0;
    for (int i = 0; i < 4; i++) {
        cordon_join(hogs[i]);
        held += atoi(cordon_task_result(hogs[i])->std_out.data);
        cordon_task_free(hogs[i]);
    }
    cordon_task_free(sibling);
    if (!own_mounts) {
        fprintf(stderr, "no mount namespace here: the tasks share the caller's devpts\n");
        skip();
    }
    print_message("held %d together; the sibling's errno %d\n", held, sibling_errno);
    assert_int_equal(sibling_errno, 0);
    /* some 1/4 + 3/16 + 9/64 + 27/256 of the pool, where before all of it */
    int pool = pseudo_terminal_pool();
    assert_in_range(held, 1, pool * 3 / 4);
}

/* ---- the caller's signals without a policy ------------------------------ */

static volatile sig_atomic_t usr1_received;

static void count_usr1(int signo)
{
    (void)signo;
    usr1_received++;
}

static int signal_the_caller(cordon_ctx *ctx, void *caller)
{
    (void)ctx;
    int rc = kill((pid_t)(intptr_t)caller, SIGUSR1);
    return rc == 0 ? 0 : errno;
}

static void test_without_a_policy_a_task_still_cannot_signal_its_caller(void **state)
{
    (void)state;
    struct sigaction counting = { .sa_handler = count_usr1 }, previous;
    sigaction(SIGUSR1, &counting, &previous);
    usr1_received = 0;
    cordon_task *t = cordon_function_task(signal_the_caller, (void *)(intptr_t)getpid());
    cordon_set_policy(t, NULL);
    const cordon_result *r = run_task(t, 0);
    if (!(r->confinement & CORDON_CONFINED_LANDLOCK)) {
        /* Without Landlock (an old kernel, valgrind) a task of the
         * caller's own user may signal it: the README says so. */
        cordon_task_free(t);
        sigaction(SIGUSR1, &previous, NULL);
        skip();
    }
    assert_int_not_equal(r->exit_code, 0);
    usleep(20 * 1000);
    assert_int_equal(usr1_received, 0);
    cordon_task_free(t);
    sigaction(SIGUSR1, &previous, NULL);
}

static int leave_a_fifo_as_dev_null(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    if (unlink("/dev/null") != 0 || mkfifo("/dev/null", 0666) != 0)
        return 99;
    return 0;
}

static int do_nothing(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

/* In a process whose /dev is its own: a task leaves a FIFO as /dev/null,
 * then the next task is started; what the second run returned goes to
 * `out`.  Exit 2: no /dev of its own here. */
static void run_after_a_fifo_as_dev_null(int out)
{
    if (!own_dev())
        _exit(2);
    cordon_task *t = cordon_function_task(leave_a_fifo_as_dev_null, NULL);
    int first = cordon_run(t);
    cordon_task_free(t);
    t = cordon_function_task(do_nothing, NULL);
    cordon_set_timeout_ms(t, 3000);
    int second = cordon_run(t);
    dprintf(out, "first %d second %d", first, second);
    _exit(0);
}

/* A task running as root (a root caller's) owns the machine's /dev.  One
 * that left a FIFO as /dev/null hung the caller's next run for good: the
 * task's stdin is /dev/null, and its open for reading waited for a
 * writer.  That run now fails at once (ENXIO), the FIFO unopened. */
static void test_a_fifo_left_as_dev_null_hangs_no_later_run(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    if (geteuid() != 0) {
        print_message("skipped: a /dev of its own needs root\n");
        skip();
    }
    char text[128];
    int status = run_in_a_copy(run_after_a_fifo_as_dev_null, text, sizeof text,
                               "the caller's next run hung opening /dev/null");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
        print_message("skipped: no mount namespace with a /dev of its own here\n");
        skip();
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char expected[64];
    snprintf(expected, sizeof expected, "first 0 second %d", -ENXIO);
    assert_string_equal(text, expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_file_the_caller_mapped_cannot_be_written),
        cmocka_unit_test(test_no_shared_memory_of_the_caller_reaches_the_task),
        cmocka_unit_test(test_a_sibling_task_cannot_forge_another_result),
        cmocka_unit_test(test_scribbling_over_its_own_region_leaves_the_caller_sane),
        cmocka_unit_test(test_a_task_cannot_forge_a_policy_violation),
        cmocka_unit_test(test_a_task_cannot_map_the_setup_record_back),
        cmocka_unit_test(test_the_callers_system_v_memory_is_out_of_reach),
        cmocka_unit_test(test_the_callers_posix_shared_memory_is_out_of_reach),
        cmocka_unit_test(test_a_task_cannot_raise_cordons_own_classes),
        cmocka_unit_test(test_raised_text_reaches_the_caller_without_control_bytes),
        cmocka_unit_test(test_a_task_cannot_reach_the_callers_terminal),
        cmocka_unit_test(test_a_task_cannot_open_the_callers_terminal_by_name),
        cmocka_unit_test(test_a_task_cannot_open_the_callers_console_by_name),
        cmocka_unit_test(test_a_task_leaves_its_siblings_pseudo_terminals),
        cmocka_unit_test(test_terminal_hogs_started_at_once_leave_a_sibling_its_terminal),
        cmocka_unit_test(test_without_a_policy_a_task_still_cannot_signal_its_caller),
        cmocka_unit_test(test_a_fifo_left_as_dev_null_hangs_no_later_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
