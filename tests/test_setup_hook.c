/* A function task's set-up hook: it runs in the task's process before the
 * filter, so that a `compute` task can use a file or a plugin it could not
 * open itself; its failure, crash or exit is a SetupError; and after it
 * the filter holds as ever. */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <time.h>

#include "support.h"

static cordon_policy *compute_policy(void)
{
    cordon_error err;
    cordon_policy *p = cordon_policy_load("compute", &err);
    if (!p)
        fail_msg("compute: %s", err.message);
    return p;
}

static cordon_task *compute_task(cordon_fn fn, void *arg, cordon_policy *p)
{
    cordon_task *t = cordon_function_task(fn, arg);
    assert_non_null(t);
    assert_int_equal(cordon_set_policy(t, p), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 20000), 0);
    return t;
}

/* ---- a file the policy would not let the function open ---------------- */

static int opened_fd = -1; /* the child's copy: set by the hook, read by the function */

static int open_hostname(void *arg, cordon_error *err)
{
    opened_fd = open(arg, O_RDONLY | O_CLOEXEC);
    if (opened_fd < 0) {
        snprintf(err->message, sizeof err->message, "cannot open %s", (const char *)arg);
        return -errno;
    }
    return 0;
}

static int read_opened(cordon_ctx *ctx, void *arg)
{
    char text[64] = "";
    const char *path = arg;
    int fd = opened_fd >= 0 ? opened_fd : open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = read(fd, text, sizeof text);
    cordon_return(ctx, text, n > 0 ? (size_t)n : 0);
    return 0;
}

static char *scratch_file(const char *content)
{
    char *path = strdup("/var/tmp/cordon-hook-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    assert_int_equal(chmod(path, 0644), 0);
    return path;
}

static void test_setup_hook_opens_a_file_the_policy_refuses(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    char *path = scratch_file("hello from the hook");
    cordon_policy *p = compute_policy();
    /* Without the hook the function's own open is a violation. */
    cordon_task *t = compute_task(read_opened, path, p);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "PolicyViolation");
    cordon_task_free(t);

    t = compute_task(read_opened, path, p);
    assert_int_equal(cordon_set_setup_hook(t, open_hostname, path), 0);
    r = run_task(t, 0);
    assert_int_equal(r->returns.len, strlen("hello from the hook"));
    assert_memory_equal(r->returns.data, "hello from the hook", r->returns.len);
    assert_int_equal(opened_fd, -1); /* the caller's copy is untouched */
    cordon_task_free(t);
    cordon_policy_free(p);
    unlink(path);
    free(path);
}

/* ---- a plugin the policy would not let the function load -------------- */

typedef int (*plugin_fn)(volatile int *);
static plugin_fn plugin_analyze;

static int load_plugin(void *arg, cordon_error *err)
{
    void *handle = dlopen(arg, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(err->message, sizeof err->message, "%s", dlerror());
        return -1;
    }
    plugin_analyze = (plugin_fn)(uintptr_t)dlsym(handle, "plugin_analyze");
    return plugin_analyze ? 0 : -1;
}

static int call_plugin(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    if (!plugin_analyze && load_plugin(arg, &(cordon_error){ 0 }) != 0)
        return -1;
    volatile int value = 20;
    return plugin_analyze(&value);
}

static char *plugin_path(void)
{
    const char *dir = getenv("CORDON_PLUGIN_DIR");
    assert_non_null(dir);
    char *path = malloc(strlen(dir) + 32);
    sprintf(path, "%s/libcrash.so", dir);
    assert_int_equal(access(path, R_OK), 0);
    return path;
}

static void test_setup_hook_dlopens_a_plugin_for_compute(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    char *path = plugin_path();
    cordon_policy *p = compute_policy();
    cordon_task *t = compute_task(call_plugin, path, p);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "PolicyViolation"); /* dlopen opens and maps code */
    cordon_task_free(t);

    t = compute_task(call_plugin, path, p);
    assert_int_equal(cordon_set_setup_hook(t, load_plugin, path), 0);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, 41);
    /* Every attempt runs the hook afresh. */
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, 41);
    assert_null(plugin_analyze);
    cordon_task_free(t);
    cordon_policy_free(p);
    free(path);
}

/* File rules hold in the hook: a plugin outside them cannot be loaded,
 * one granted can. */
static void test_setup_hook_is_held_by_the_file_rules(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    char *path = plugin_path();
    cordon_policy *p = compute_policy();
    cordon_task *t = compute_task(call_plugin, path, p);
    /* A rule of its own besides the system's (with the system's alone,
     * lib/isolation.c copies from a NULL list, which UBSan reports). */
    int rc = cordon_allow_path(t, "/var/tmp", CORDON_READ);
    if (rc == 0)
        rc = cordon_allow_system_paths(t);
    if (rc == -EOPNOTSUPP) {
        cordon_task_free(t);
        cordon_policy_free(p);
        free(path);
        print_message("skipped: no Landlock on this machine\n");
        skip();
    }
    assert_int_equal(rc, 0);
    assert_int_equal(cordon_set_setup_hook(t, load_plugin, path), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SetupError");
    if (!strstr(r->exc_out.data, "Permission denied"))
        fail_msg("not refused by the file rules:\n%s", r->exc_out.data);
    assert_true(r->confinement & CORDON_CONFINED_FILE_RULES);
    assert_int_equal(cordon_allow_path(t, getenv("CORDON_PLUGIN_DIR"), CORDON_READ), 0);
    r = run_task(t, 0);
    assert_int_equal(r->exit_code, 41);
    cordon_task_free(t);
    cordon_policy_free(p);
    free(path);
}

/* The plugin is mapped in the task's process only: its crash frames are
 * named from what the child recorded after the hook (a stripped plugin:
 * by its exported name). */
static int crash_in_plugin(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return plugin_analyze(NULL) + 1;
}

static void test_setup_hook_plugin_crash_names_the_plugin_function(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    char *path = plugin_path();
    cordon_policy *p = compute_policy();
    cordon_task *t = compute_task(crash_in_plugin, NULL, p);
    assert_int_equal(cordon_set_setup_hook(t, load_plugin, path), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    if (!strstr(r->exc_out.data, " plugin_analyze+0x") || !strstr(r->exc_out.data, "(libcrash.so)"))
        fail_msg("the plugin's function is not named:\n%s", r->exc_out.data);
    cordon_task_free(t);
    cordon_policy_free(p);
    free(path);
}

/* The objects' record is the task's word: a task that puts a FIFO where
 * its plugin was before crashing in it gets no name for its frames, and
 * the caller does not hang opening the FIFO. */
static char swapped_plugin[96];

static int swap_plugin_then_crash(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    if (unlink(swapped_plugin) != 0 || mkfifo(swapped_plugin, 0600) != 0)
        return 3;
    return plugin_analyze(NULL) + 1;
}

static void test_setup_hook_plugin_swapped_for_a_fifo_hangs_nothing(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    char *source = plugin_path();
    snprintf(swapped_plugin, sizeof swapped_plugin, "/var/tmp/cordon-plugin-%d.so", (int)getpid());
    char command[512];
    snprintf(command, sizeof command, "cp '%s' '%s'", source, swapped_plugin);
    assert_int_equal(system(command), 0);
    cordon_task *t = cordon_function_task(swap_plugin_then_crash, NULL);
    assert_int_equal(cordon_set_policy(t, NULL), 0);
    assert_int_equal(cordon_set_setup_hook(t, load_plugin, swapped_plugin), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 20000), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    assert_null(strstr(r->exc_out.data, "plugin_analyze"));
    struct stat st;
    assert_int_equal(lstat(swapped_plugin, &st), 0);
    assert_true(S_ISFIFO(st.st_mode)); /* the swap happened */
    unlink(swapped_plugin);
    cordon_task_free(t);
    free(source);
}

/* A plugin's file is the task's: it may name one symbol table from every
 * one of its section headers.  The caller read the table once per header:
 * a 0.4 MB file made it sort 4 million symbols (128 MB) for one crash
 * report, and the 256 MiB it reads of a task's files would have made
 * that tens of gigabytes. */
#define BOMB_SYMBOLS 16384
#define BOMB_TABLES 256
static char bomb_path[64];

/* An ELF file of one symbol table naming BOMB_SYMBOLS functions `name`
 * (16 bytes each, from 16 on), listed by `tables` section headers. */
static void write_symbol_file(const char *path, const char *name, unsigned tables)
{
    char names[256] = "";
    snprintf(names + 1, sizeof names - 1, "%s", name);
    const size_t strtab_at = sizeof(Elf64_Ehdr);
    const size_t symtab_at = (strtab_at + sizeof names + 7) & ~(size_t)7;
    const size_t symtab_size = BOMB_SYMBOLS * sizeof(Elf64_Sym);
    Elf64_Ehdr header = { .e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
                          .e_shoff = symtab_at + symtab_size, .e_ehsize = sizeof header,
                          .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = (Elf64_Half)(2 + tables) };
    memcpy(header.e_ident, ELFMAG, SELFMAG);
    header.e_ident[EI_CLASS] = ELFCLASS64;
    header.e_ident[EI_DATA] = ELFDATA2LSB;
    header.e_ident[EI_VERSION] = EV_CURRENT;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(&header, sizeof header, 1, f);
    fwrite(names, sizeof names, 1, f);
    fseek(f, (long)symtab_at, SEEK_SET);
    for (unsigned i = 0; i < BOMB_SYMBOLS; i++) {
        Elf64_Sym symbol = { .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
                             .st_value = 16 + 16 * (Elf64_Addr)i, .st_size = 16 };
        fwrite(&symbol, sizeof symbol, 1, f);
    }
    Elf64_Shdr none = { 0 };
    Elf64_Shdr strtab = { .sh_type = SHT_STRTAB, .sh_offset = strtab_at, .sh_size = sizeof names };
    Elf64_Shdr symtab = { .sh_type = SHT_SYMTAB, .sh_link = 1, .sh_offset = symtab_at,
                          .sh_size = symtab_size, .sh_entsize = sizeof(Elf64_Sym) };
    fwrite(&none, sizeof none, 1, f);
    fwrite(&strtab, sizeof strtab, 1, f);
    for (unsigned k = 0; k < tables; k++)
        fwrite(&symtab, sizeof symtab, 1, f);
    assert_int_equal(fclose(f), 0);
}

static int put_the_bomb_in_place_then_crash(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    if (rename(arg, swapped_plugin) != 0)
        return 3;
    return plugin_analyze(NULL) + 1;
}

/* In a copy of the test (its peak is its own): the growth of its peak
 * memory over the task's run, in KiB, as its exit status /1024 steps. */
static void test_setup_hook_plugin_s_symbol_tables_are_read_once(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    char *source = plugin_path();
    snprintf(swapped_plugin, sizeof swapped_plugin, "/var/tmp/cordon-plugin-%d.so", (int)getpid());
    snprintf(bomb_path, sizeof bomb_path, "/var/tmp/cordon-bomb-%d.so", (int)getpid());
    char command[512];
    snprintf(command, sizeof command, "cp '%s' '%s'", source, swapped_plugin);
    assert_int_equal(system(command), 0);
    write_symbol_file(bomb_path, "hostile_symbol", BOMB_TABLES);
    pid_t copy = fork();
    assert_true(copy >= 0);
    if (copy == 0) {
        struct rusage before, after;
        getrusage(RUSAGE_SELF, &before);
        cordon_task *t = cordon_function_task(put_the_bomb_in_place_then_crash, bomb_path);
        if (cordon_set_policy(t, NULL) != 0 ||
            cordon_set_setup_hook(t, load_plugin, swapped_plugin) != 0 ||
            cordon_set_timeout_ms(t, 60000) != 0 || cordon_run(t) != CORDON_EXCEPTION)
            _exit(200);
        const cordon_result *r = cordon_task_result(t);
        if (strcmp(r->exception, "SIGSEGV") != 0 || !strstr(r->exc_out.data, "hostile_symbol"))
            _exit(201); /* the task's file was read for its frame */
        getrusage(RUSAGE_SELF, &after);
        long grown_mb = (after.ru_maxrss - before.ru_maxrss) / 1024;
        _exit(grown_mb > 199 ? 199 : (int)grown_mb);
    }
    int status;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    unlink(swapped_plugin);
    unlink(bomb_path);
    free(source);
    assert_true(WIFEXITED(status));
    int code = WEXITSTATUS(status);
    if (code >= 200)
        fail_msg("the task did not end as expected (%d)", code);
    if (code > 32)
        fail_msg("one crash report grew the caller by %d MB", code);
}

/* The names a plugin's file gives its symbols, and the plugin's own file
 * name, are the task's: an escape sequence or a newline in them reached
 * the crash report as it was. */
static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "r"), *out = fopen(to, "w");
    assert_true(in && out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* A task of `fn`, whose set-up hook loads a copy of the plugin under a
 * file name with an escape sequence in it, and whose function then puts a
 * file naming every symbol `symbol_name` in the plugin's place. */
static cordon_task *with_a_plugin_of_hostile_names(cordon_fn fn, const char *symbol_name)
{
    char *source = plugin_path();
    snprintf(swapped_plugin, sizeof swapped_plugin, "/var/tmp/cordon-plugin-%d-\x1b[2J.so",
             (int)getpid());
    snprintf(bomb_path, sizeof bomb_path, "/var/tmp/cordon-names-%d.so", (int)getpid());
    copy_file(source, swapped_plugin);
    free(source);
    write_symbol_file(bomb_path, symbol_name, 1);
    cordon_task *t = cordon_function_task(fn, bomb_path);
    assert_int_equal(cordon_set_policy(t, NULL), 0);
    assert_int_equal(cordon_set_setup_hook(t, load_plugin, swapped_plugin), 0);
    return t;
}

static void forget_the_hostile_plugin(void)
{
    unlink(swapped_plugin);
    unlink(bomb_path);
}

static void test_setup_hook_plugin_s_names_are_escaped_in_the_report(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    cordon_task *t = with_a_plugin_of_hostile_names(put_the_bomb_in_place_then_crash,
                                                    "\x1b]0;title\x07" "evil\n    #1  0x0 forged");
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    forget_the_hostile_plugin();
    assert_string_equal(r->exception, "SIGSEGV");
    const char *report = r->exc_out.data;
    if (!strstr(report, "\\x1b]0;title\\x07evil\\x0a    #1  0x0 forged+0x") ||
        !strstr(report, "-\\x1b[2J.so)"))
        fail_msg("the plugin's names are not shown escaped:\n%s", report);
    assert_null(memchr(report, '\x1b', r->exc_out.len));
    assert_null(strstr(report, "\n    #1  0x0 forged"));
    cordon_task_free(t);
}

static int put_the_names_in_place_then_spin_in_the_plugin(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    if (rename(arg, swapped_plugin) != 0)
        return 3;
    volatile int value = 1;
    struct timespec start, now;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
    do {
        for (int i = 0; i < 100000; i++)
            (void)plugin_analyze(&value);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < 300);
    return 0;
}

/* The same names in a profile of the task: its table and its edges. */
static void test_setup_hook_plugin_s_names_are_escaped_in_the_profile(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its CPU timer samples valgrind's own code");
    cordon_task *t = with_a_plugin_of_hostile_names(put_the_names_in_place_then_spin_in_the_plugin,
                                                    "\x1b]0;title\x07" "evil\n  99% forged");
    char *profile = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&profile, &size);
    assert_non_null(out);
    int rc = cordon_run_profiler(t, out);
    assert_int_equal(fclose(out), 0);
    forget_the_hostile_plugin();
    assert_int_equal(rc, 0);
    if (!strstr(profile, "\\x1b]0;title\\x07evil\\x0a  99% forged (cordon-plugin-") ||
        !strstr(profile, "-\\x1b[2J.so)"))
        fail_msg("the plugin's names are not shown escaped:\n%s", profile);
    assert_null(memchr(profile, '\x1b', size));
    assert_null(strstr(profile, "\n  99% forged"));
    free(profile);
    cordon_task_free(t);
}

/* ---- what ends the task in its hook ----------------------------------- */

static int never_runs(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("the function ran\n");
    return 0;
}

static int refuse_with_message(void *arg, cordon_error *err)
{
    printf("hook: looking\n");
    snprintf(err->message, sizeof err->message, "%s", (const char *)arg);
    return -ENOENT;
}

static void test_setup_hook_failure_is_a_setup_error_with_its_message(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(never_runs, NULL);
    assert_int_equal(cordon_set_setup_hook(t, refuse_with_message, "no plugin at /x.so"), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SetupError");
    assert_string_equal(r->exc_out.data, "SetupError: no plugin at /x.so\n");
    assert_int_equal(r->exit_code, 125);
    assert_int_equal(r->signal, 0);
    assert_string_equal(r->std_out.data, "hook: looking\n"); /* not the function's */
    size_t count;
    const cordon_attempt *history = cordon_task_history(t, &count);
    assert_int_equal(count, 1);
    assert_string_equal(history[0].message, r->message);
    assert_string_equal(history[0].message, "no plugin at /x.so");
    cordon_task_free(t);
}

static int refuse_silently(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    return 3;
}

static void test_setup_hook_failure_without_message_names_its_return(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(never_runs, NULL);
    assert_int_equal(cordon_set_setup_hook(t, refuse_silently, NULL), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SetupError");
    assert_string_equal(r->exc_out.data, "SetupError: the set-up hook returned 3\n");
    cordon_task_free(t);
}

static void test_setup_hook_message_control_bytes_are_escaped(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(never_runs, NULL);
    assert_int_equal(cordon_set_setup_hook(t, refuse_with_message, "bad\x1b[2J"), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exc_out.data, "SetupError: bad\\x1b[2J\n");
    cordon_task_free(t);
}

/* The fault is the point: UBSan must let the signal happen. */
__attribute__((noinline, no_sanitize("undefined"))) static int crash_in_hook(void *arg,
                                                                        cordon_error *err)
{
    (void)err;
    return *(volatile int *)arg;
}

static void test_setup_hook_crash_is_a_setup_error_with_a_backtrace(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    cordon_task *t = cordon_function_task(never_runs, NULL);
    assert_int_equal(cordon_set_setup_hook(t, crash_in_hook, NULL), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SetupError");
    assert_int_equal(r->signal, SIGSEGV);
    assert_int_equal(r->exit_code, 128 + SIGSEGV);
    assert_non_null(strstr(r->exc_out.data, "SetupError: the set-up hook was killed by SIGSEGV\n"
                                            "SIGSEGV: Segmentation fault\n"));
    if (!strstr(r->exc_out.data, "crash_in_hook"))
        fail_msg("the hook is not in the backtrace:\n%s", r->exc_out.data);
    assert_null(strstr(r->std_out.data, "the function ran"));
    cordon_task_free(t);
}

static int exit_in_hook(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    _exit(4);
}

static void test_setup_hook_exit_is_a_setup_error(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(never_runs, NULL);
    assert_int_equal(cordon_set_setup_hook(t, exit_in_hook, NULL), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SetupError");
    assert_int_equal(r->exit_code, 4);
    assert_string_equal(r->exc_out.data, "SetupError: the set-up hook ended the task's process "
                                         "(exit status 4) before the function ran\n");
    cordon_task_free(t);
}

static int hang_in_hook(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    for (;;)
        pause();
    return 0;
}

static void test_setup_hook_that_hangs_meets_the_deadline(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(never_runs, NULL);
    assert_int_equal(cordon_set_setup_hook(t, hang_in_hook, NULL), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 300), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "Timeout");
    cordon_task_free(t);
}

/* ---- confinement before and after the hook ---------------------------- */

struct observed {
    int no_new_privs;
    int effective_caps_zero;
};
static struct observed seen_in_hook = { -1, -1 };

static int effective_capabilities_are_zero(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int zero = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "CapEff:", 7) == 0)
            zero = strtoull(line + 7, NULL, 16) == 0;
    }
    if (f)
        fclose(f);
    return zero;
}

static int observe(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    seen_in_hook.no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    seen_in_hook.effective_caps_zero = effective_capabilities_are_zero();
    return 0;
}

static int report_then_open_a_socket(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_log(ctx, "no_new_privs %d, no effective capabilities %d", seen_in_hook.no_new_privs,
               seen_in_hook.effective_caps_zero);
    return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1;
}

static void test_setup_hook_runs_confined_and_the_filter_holds_after_it(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    cordon_policy *p = compute_policy();
    cordon_task *t = compute_task(report_then_open_a_socket, NULL, p);
    assert_int_equal(cordon_set_setup_hook(t, observe, NULL), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "PolicyViolation");
    assert_true(r->confinement & CORDON_CONFINED_SECCOMP);
    assert_string_equal(r->log_out.data, "no_new_privs 1, no effective capabilities 1\n");
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* A thread the hook starts (a plugin's constructor may) is filtered too:
 * its forbidden call after the filter is a violation, not a way out. */
static volatile int go_ahead;
static pthread_t hook_thread;

static void *open_a_socket_later(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&go_ahead, __ATOMIC_ACQUIRE))
        sched_yield();
    return (void *)(intptr_t)socket(AF_INET, SOCK_STREAM, 0);
}

static int start_thread(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    return pthread_create(&hook_thread, NULL, open_a_socket_later, NULL);
}

static int release_thread(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    __atomic_store_n(&go_ahead, 1, __ATOMIC_RELEASE);
    void *result = NULL;
    pthread_join(hook_thread, &result);
    return (int)(intptr_t)result >= 0 ? 0 : 2;
}

static void test_setup_hook_threads_are_filtered_too(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    cordon_policy *p = compute_policy();
    cordon_task *t = compute_task(release_thread, NULL, p);
    assert_int_equal(cordon_set_setup_hook(t, start_thread, NULL), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "PolicyViolation");
    assert_non_null(strstr(r->exc_out.data, "socket"));
    cordon_task_free(t);
    cordon_policy_free(p);
}

static void test_setup_hook_is_refused_for_commands(void **state)
{
    (void)state;
    cordon_task *t = shell("true");
    assert_int_equal(cordon_set_setup_hook(t, observe, NULL), -EINVAL);
    cordon_task_free(t);
    assert_int_equal(cordon_set_setup_hook(NULL, observe, NULL), -EINVAL);
}

/* A hook (or a plugin's constructor) that closes fd 0 would have the
 * listener land there, in the task's hands: the task fails closed. */
static int close_stdin(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    close(0);
    return 0;
}

/* dup2(1, 3): the task's log went into its stdout, and nothing said so. */
static int log_into_stdout(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    dup2(1, 3);
    return 0;
}

static void test_setup_hook_that_closes_a_standard_fd_fails_closed(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    cordon_policy *p = compute_policy();
    int (*const hooks[])(void *, cordon_error *) = { close_stdin, log_into_stdout };
    for (size_t i = 0; i < sizeof hooks / sizeof *hooks; i++) {
        cordon_task *t = compute_task(never_runs, NULL, p);
        assert_int_equal(cordon_set_setup_hook(t, hooks[i], NULL), 0);
        const cordon_result *r = run_task(t, CORDON_EXCEPTION);
        assert_string_equal(r->exception, "ConfinementError");
        /* the hook named (it said only "setting up its file descriptors") */
        if (!strstr(r->exc_out.data, "after its set-up hook, which closed or replaced one"))
            fail_msg("%s", r->exc_out.data);
        assert_null(strstr(r->std_out.data, "the function ran"));
        cordon_task_free(t);
    }
    cordon_policy_free(p);
}

/* A hook has no ctx: cordon_raise(NULL, ...) from it was taken for a call
 * outside any task, and aborted the task's process (SIGABRT, "called
 * outside a function task's child"). */
static int raise_without_ctx(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    cordon_raise(NULL, "ConfigMissing", "no %s in %d places", "config", 3);
}

static void test_setup_hook_raising_without_ctx_fails_the_hook(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(never_runs, NULL);
    assert_int_equal(cordon_set_setup_hook(t, raise_without_ctx, NULL), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SetupError");
    assert_int_equal(r->exit_code, 125);
    assert_int_equal(r->signal, 0);
    assert_non_null(strstr(r->exc_out.data, "SetupError: the set-up hook called cordon_raise "
                                            "with no ctx (a hook has none), raising "
                                            "ConfigMissing: no config in 3 places\n"));
    assert_null(strstr(r->std_out.data, "the function ran"));
    assert_null(strstr(r->std_err.data, "outside"));
    cordon_task_free(t);
}

/* A helper the hook forks raises after the hook returned 0: the hook's
 * ending stays its own (the helper's call rewrote it, and a task that ran
 * to its end was a SetupError). */
static int fork_a_late_raiser(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    pid_t helper = fork();
    if (helper == 0) {
        usleep(200 * 1000);
        cordon_raise(NULL, "Late", "from the hook's helper");
    }
    return helper > 0 ? 0 : 1;
}

static int sleeps_then_returns(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    usleep(600 * 1000);
    printf("the function ran to its end\n");
    fflush(stdout);
    cordon_return(ctx, "ok", 2);
    return 0;
}

static void test_setup_hook_s_helper_raising_later_leaves_the_hook_s_ending(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind lacks pidfd_open, which a hook's own process needs");
    cordon_task *t = cordon_function_task(sleeps_then_returns, NULL);
    cordon_set_timeout_ms(t, 10000);
    assert_int_equal(cordon_set_setup_hook(t, fork_a_late_raiser, NULL), 0);
    const cordon_result *r = run_task(t, 0);
    assert_null(r->exception);
    assert_int_equal(r->exit_code, 0);
    assert_string_equal(r->std_out.data, "the function ran to its end\n");
    assert_int_equal(r->returns.len, 2);
    cordon_task_free(t);
}

/* ---- a hook that forges the listener's hand-over ------------------- */

/* fd 4 carries cordon's listener to the parent (lib/child.c). */
enum { HANDOVER_SOCKET_FD = 4 };

static int send_on_handover(int fd)
{
    return send_byte_with_fd(HANDOVER_SOCKET_FD, fd);
}

/* A listener of a filter that lets everything through, in a helper
 * process (the kernel gives the task itself no second one). */
static int listener_letting_all_through(void)
{
    struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_fprog program = { .len = 1, .filter = allow };
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                        &program);
}

/* A real listener of the hook's own making, sent on the inherited
 * socket. */
static int forge_own_listener(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    pid_t helper = fork();
    if (helper == 0) {
        int listener = listener_letting_all_through();
        _exit(listener >= 0 && send_on_handover(listener) == 0 ? 0 : 1);
    }
    int status = 0;
    if (helper < 0 || waitpid(helper, &status, 0) != helper)
        return -ECHILD;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}

/* An offer in the child's shape, naming a listener of the hook's own:
 * the parent took it and answered, cordon's child read that answer as its
 * own, and the function ran, its socket() failing with ENOSYS (3 runs in
 * 6).  `arg`: the offer's size (5, before the offer carried a word of
 * the child's; 13 now). */
static int forge_an_offer(void *arg, cordon_error *err)
{
    (void)err;
    size_t size = (size_t)(uintptr_t)arg;
    pid_t helper = fork();
    if (helper == 0) {
        int listener = listener_letting_all_through();
        char offer[16] = { 'P' };
        memcpy(offer + 1, &listener, sizeof listener);
        send(HANDOVER_SOCKET_FD, offer, size, MSG_NOSIGNAL);
        sleep(1); /* until the parent has taken it */
        _exit(0);
    }
    usleep(200 * 1000);
    return helper < 0 ? -errno : 0;
}

static int forge_another_fd(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    int fds[2];
    return pipe2(fds, O_CLOEXEC) != 0 ? -errno : send_on_handover(fds[0]);
}

static int forge_a_bare_message(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    return send_on_handover(-1);
}

static int open_a_socket(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cordon_log(ctx, "socket: %d", fd < 0 ? -errno : 0);
    return 0;
}

/* Whatever the hook sends ahead of cordon's listener, the parent takes
 * only cordon's: before, it watched the forged one while the policy's
 * kills, with no one listening, became ENOSYS and the task ran on. */
static void test_setup_hook_forging_the_listener_hand_over_fails_closed(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    static const struct { const char *what; cordon_setup_fn hook; uintptr_t arg; } forgeries[] = {
        { "its own listener", forge_own_listener, 0 },
        { "a pipe", forge_another_fd, 0 },
        { "a message without an fd", forge_a_bare_message, 0 },
        { "an offer of a listener of its own, short", forge_an_offer, 5 },
        { "an offer of a listener of its own", forge_an_offer, 13 },
    };
    cordon_policy *p = compute_policy();
    for (size_t i = 0; i < sizeof forgeries / sizeof *forgeries; i++) {
        cordon_task *t = compute_task(open_a_socket, NULL, p);
        assert_int_equal(cordon_set_setup_hook(t, forgeries[i].hook, (void *)forgeries[i].arg), 0);
        const cordon_result *r = run_task(t, CORDON_EXCEPTION);
        if (!r->exception || strcmp(r->exception, "ConfinementError") != 0)
            fail_msg("%s: %s (%s)", forgeries[i].what, r->exception ? r->exception : "no exception",
                     r->log_out.data);
        if (!strstr(r->exc_out.data, "seccomp filter's listener"))
            fail_msg("%s: %s", forgeries[i].what, r->exc_out.data);
        if (strstr(r->log_out.data, "socket: -38")) /* never ran on past an ENOSYS */
            fail_msg("%s: ran on: %s", forgeries[i].what, r->exc_out.data);
        cordon_task_free(t);
    }
    cordon_policy_free(p);
}

/* ---- a hook that scribbles what it shares with the parent ------------ */

/* Every shared mapping the task can write (cordon's records among them)
 * filled with `byte`. */
static void fill_shared_mappings(int byte)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 && perms[1] == 'w' &&
            perms[3] == 's')
            memset((void *)start, byte, end - start);
    }
    if (maps)
        fclose(maps);
}

/* Counts at their largest, no string ended. */
static int scribble_shared_mappings(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    fill_shared_mappings(0xff);
    return 0;
}

/* What is still mapped after the hook (not the set-up record) cleared,
 * so that the crash is recorded; then the crash.  The fault is the
 * point: UBSan must let the signal happen. */
__attribute__((noinline, no_sanitize("undefined"))) static int crash_now(cordon_ctx *ctx,
                                                                    void *arg)
{
    (void)ctx;
    fill_shared_mappings(0);
    return *(volatile int *)arg;
}

/* The record of the objects the hook loaded is the task's word: a count
 * past the record's room made the parent read on past it (its own stack)
 * while it named the crash's frames. */
static void test_setup_hook_scribbled_records_are_read_within_bounds(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("the hook scribbles every shared mapping, valgrind's own among them");
    cordon_task *t = cordon_function_task(crash_now, NULL);
    assert_int_equal(cordon_set_setup_hook(t, scribble_shared_mappings, NULL), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 20000), 0);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    if (!strstr(r->exc_out.data, "backtrace"))
        fail_msg("%s", r->exc_out.data);
    cordon_task_free(t);
}

/* ---- a hook's thread that reaches for cordon's listener -------------- */

static volatile int stolen_listener = -1;
static pthread_t thief;

static bool is_listener(int fd)
{
    char path[32], target[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return false;
    target[n] = '\0';
    return strcmp(target, "anon_inode:seccomp notify") == 0;
}

/* Copies fd 5 until it is a seccomp listener, then answers what it hears
 * "go on".  Up to two seconds. */
static void *steal_listener(void *arg)
{
    (void)arg;
    struct timespec start, now;
    int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        /* fd 5: where cordon's listener lands after a hook (a pipe
         * until then). */
        struct stat st;
        int copy = fcntl(5, F_DUPFD_CLOEXEC, 64);
        if (copy >= 0 && fstat(copy, &st) == 0 && !S_ISFIFO(st.st_mode) && is_listener(copy))
            stolen_listener = copy;
        else if (copy >= 0)
            close(copy);
        /* or from the main thread's own table, whatever table it has */
        copy = pidfd >= 0 ? (int)syscall(SYS_pidfd_getfd, pidfd, 5, 0) : -1;
        if (copy >= 0 && stolen_listener < 0 && fstat(copy, &st) == 0 && !S_ISFIFO(st.st_mode) &&
            is_listener(copy))
            stolen_listener = copy;
        else if (copy >= 0)
            close(copy);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (stolen_listener < 0 && now.tv_sec - start.tv_sec < 2);
    for (;;) {
        struct seccomp_notif request;
        memset(&request, 0, sizeof request);
        if (stolen_listener < 0 || ioctl(stolen_listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0)
            return NULL;
        struct seccomp_notif_resp response = { .id = request.id,
                                               .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
        ioctl(stolen_listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
    }
}

static int start_thief(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    return pthread_create(&thief, NULL, steal_listener, NULL);
}

/* A call the default policy kills, which needs no privilege. */
static int trace_me(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    for (int i = 0; i < 200 && stolen_listener < 0; i++)
        usleep(1000);
    return ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 ? 42 : 0;
}

/* The listener was made in the fd table the hook's threads share: one
 * that copied it between the filter's install and cordon's close held
 * it, and could let through the very calls the policy kills (seen in a
 * few of twenty attempts).  Now it never has it: the thief gives up after
 * two seconds and the call is a violation every time. */
static void test_setup_hook_threads_never_hold_the_listener(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    /* The default's deny-list, and a kill that makes the filter notify:
     * its kills then wait for the parent's word on the listener. */
    cordon_error err;
    cordon_policy *p = cordon_policy_parse("include default\nnewer kill\n", "notifying", &err);
    if (!p)
        fail_msg("%s", err.message);
    for (int attempt = 0; attempt < 20; attempt++) {
        cordon_task *t = cordon_function_task(trace_me, NULL);
        assert_int_equal(cordon_set_policy(t, p), 0);
        assert_int_equal(cordon_set_timeout_ms(t, 20000), 0);
        assert_int_equal(cordon_set_setup_hook(t, start_thief, NULL), 0);
        const cordon_result *r = run_task(t, CORDON_EXCEPTION);
        if (!r->exception || strcmp(r->exception, "PolicyViolation") != 0)
            fail_msg("attempt %d: %s, exit %d", attempt, r->exception ? r->exception : "none",
                     r->exit_code);
        cordon_task_free(t);
    }
    cordon_policy_free(p);
}

static int raise_setup_error(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    cordon_raise(ctx, "SetupError", "pretending");
}

static void test_setup_hook_class_cannot_be_raised_by_the_task(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(raise_setup_error, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "InvalidException");
    cordon_task_free(t);
}

/* ---- what a process the hook forks can still write --------------------- */

/* Writes 2 into every 32-bit word of every writable shared mapping it
 * was given, again and again: a forged wait status (2: killed by SIGINT),
 * a forged set-up step, forged CPU figures; and the hook's state "done",
 * so that the ending is not the SetupError a hook may always claim. */
static _Noreturn void scribble_for_ever(uint32_t value)
{
    for (;;) {
        FILE *maps = fopen("/proc/self/maps", "r");
        char line[512];
        while (maps && fgets(line, sizeof line, maps)) {
            uintptr_t start, end;
            char perms[5];
            if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 && perms[1] == 'w' &&
                perms[3] == 's')
                for (uint32_t *p = (uint32_t *)start; p < (uint32_t *)end; p++)
                    *p = value;
        }
        if (maps)
            fclose(maps);
        usleep(1000);
    }
}

/* `arg`: the value to write, or NULL for 2. */
static int fork_a_scribbler(void *arg, cordon_error *err)
{
    (void)err;
    pid_t pid = fork();
    if (pid == 0)
        scribble_for_ever(arg ? *(const uint32_t *)arg : 2);
    return pid < 0 ? -errno : 0;
}

static int returns_after_a_while(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    usleep(300 * 1000);
    return 7;
}

/* A process the hook forked keeps what the hook had mapped.  What the
 * task's init reports (the first process's wait status, the usage, the
 * CPU counted against a limit) is not among it, and a set-up failure
 * needs the child to end as one: the function's own region is all it
 * could change (its return, here 2). */
/* Runs `fn` after a hook that forks a scribbler of `value` (NULL: 2);
 * skips where the task had no init. */
static cordon_task *run_beside_a_scribbler(cordon_fn fn, const uint32_t *value)
{
    SKIP_UNDER_VALGRIND("valgrind has no pidfd_open: no task gets namespaces under it");
    cordon_task *t = cordon_function_task(fn, NULL);
    assert_int_equal(cordon_set_setup_hook(t, fork_a_scribbler, (void *)value), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 20000), 0);
    cordon_run(t);
    if (!(cordon_task_result(t)->confinement & CORDON_CONFINED_PID_NAMESPACE)) {
        cordon_task_free(t);
        skip(); /* without an init the scribbler outlives the task's group alone */
    }
    return t;
}

static void test_setup_hook_children_cannot_forge_the_inits_report(void **state)
{
    (void)state;
    cordon_task *t = run_beside_a_scribbler(returns_after_a_while, NULL);
    const cordon_result *r = cordon_task_result(t);
    /* Its own region scribbled, the task may have "raised" a class of
     * 2s: that much is its word.  A signal or a set-up failure is not. */
    if (r->signal != 0 || (r->exception && strcmp(r->exception, "InvalidException") != 0))
        fail_msg("%s (signal %d): %s", r->exception, r->signal, r->exc_out.data);
    cordon_task_free(t);
}

static int spins_for_a_while(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    struct timespec start, now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
    do
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    while ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec < 200000000L);
    return 7;
}

/* The record a hook's fork keeps mapped says when the task's own code
 * began, and was trusted: all 0s made the task's usage vanish (a task
 * that spun 1.5 s and touched 300 MiB reported none), all 1s a Timeout of
 * a task that "began" long after its deadline. */
static void test_setup_hook_children_cannot_hide_the_task_s_usage(void **state)
{
    (void)state;
    const uint32_t values[] = { 0, 0xffffffffu };
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        cordon_task *t = run_beside_a_scribbler(spins_for_a_while, &values[i]);
        const cordon_result *r = cordon_task_result(t);
        if (r->exception && strcmp(r->exception, "InvalidException") != 0)
            fail_msg("%s: %s", r->exception, r->exc_out.data);
        if (r->usage.user_us + r->usage.sys_us < 100000)
            fail_msg("scribbling %#x: %llu us of CPU for a task that spun 200 ms", values[i],
                     (unsigned long long)(r->usage.user_us + r->usage.sys_us));
        cordon_task_free(t);
    }
}

/* Touches 64 MiB. */
static int touches_64_mib(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    size_t size = 64u << 20;
    volatile char *block = malloc(size);
    for (size_t i = 0; block && i < size; i += 4096)
        block[i] = 1;
    return 0;
}

/* A memory limit reached in the hook is the task's (the hook is its
 * code): it was blamed on cordon's start, a ConfinementError with no
 * usage, because the task's own code had "never begun". */
static void test_setup_hook_s_memory_is_the_task_s(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(spins_for_a_while, NULL);
    assert_int_equal(cordon_set_setup_hook(t, touches_64_mib, NULL), 0);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_MEMORY, 32u << 20), 0);
    cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    if (!(r->confinement & CORDON_CONFINED_CGROUP)) {
        cordon_task_free(t);
        skip(); /* no memory cgroup: the rlimit fallback makes the hook's malloc fail */
    }
    assert_string_equal(r->exception, "MemoryLimit");
    assert_true(r->usage.max_rss_kb > 16 * 1024);
    cordon_task_free(t);
}

/* ---- stdin while the listener is handed over --------------------------- */

static char hook_input[64]; /* the child's copy: read by the hook or the function */

static int read_stdin_in_the_hook(void *arg, cordon_error *err)
{
    (void)arg;
    ssize_t n = read(0, hook_input, sizeof hook_input - 1);
    if (n < 0) {
        snprintf(err->message, sizeof err->message, "read: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* A helper that outlives the hook keeps a copy of every fd it had, the
 * listener's socket among them (a plugin's worker, say). */
static int fork_a_sleeper(void *arg, cordon_error *err)
{
    (void)arg;
    (void)err;
    pid_t pid = fork();
    if (pid == 0) {
        sleep(10);
        _exit(0);
    }
    return pid < 0 ? -errno : 0;
}

static int return_the_input(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    if (!hook_input[0] && read(0, hook_input, sizeof hook_input - 1) < 0)
        return 1;
    cordon_return(ctx, hook_input, strlen(hook_input));
    return 0;
}

static void run_with_input(cordon_setup_fn hook, const char *policy_text)
{
    cordon_error err;
    cordon_policy *p = cordon_policy_parse(policy_text, "stdin-test", &err);
    if (!p)
        fail_msg("%s", err.message);
    cordon_task *t = cordon_function_task(return_the_input, NULL);
    assert_int_equal(cordon_set_policy(t, p), 0);
    assert_int_equal(cordon_set_setup_hook(t, hook, NULL), 0);
    assert_int_equal(cordon_set_stdin(t, "the input\n", 10), 0);
    assert_int_equal(cordon_set_timeout_ms(t, 5000), 0);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    if (rc != 0)
        fail_msg("%s", r->exc_out.data);
    assert_int_equal(r->returns.len, 10);
    assert_memory_equal(r->returns.data, "the input\n", 10);
    cordon_task_free(t);
    cordon_policy_free(p);
}

/* The hook is the caller's code, run before the filter: its stdin is
 * there for it, though the listener is handed over only after it.  The
 * stdin was held back until the listener came, and the task met its
 * deadline (Timeout) blocked in the hook's read. */
static void test_setup_hook_reads_its_stdin_before_the_hand_over(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    run_with_input(read_stdin_in_the_hook, "include default\n");
}

/* A filter without a listener hands none over: its socket's end, which a
 * process the hook forked still holds, held back the stdin for good. */
static void test_setup_hook_s_helper_holds_no_stdin_back_without_a_listener(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind does not know seccomp(2)");
    run_with_input(fork_a_sleeper, "default allow\nerrno EPERM ptrace\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setup_hook_opens_a_file_the_policy_refuses),
        cmocka_unit_test(test_setup_hook_dlopens_a_plugin_for_compute),
        cmocka_unit_test(test_setup_hook_is_held_by_the_file_rules),
        cmocka_unit_test(test_setup_hook_plugin_crash_names_the_plugin_function),
        cmocka_unit_test(test_setup_hook_plugin_swapped_for_a_fifo_hangs_nothing),
        cmocka_unit_test(test_setup_hook_plugin_s_symbol_tables_are_read_once),
        cmocka_unit_test(test_setup_hook_plugin_s_names_are_escaped_in_the_report),
        cmocka_unit_test(test_setup_hook_plugin_s_names_are_escaped_in_the_profile),
        cmocka_unit_test(test_setup_hook_failure_is_a_setup_error_with_its_message),
        cmocka_unit_test(test_setup_hook_failure_without_message_names_its_return),
        cmocka_unit_test(test_setup_hook_message_control_bytes_are_escaped),
        cmocka_unit_test(test_setup_hook_crash_is_a_setup_error_with_a_backtrace),
        cmocka_unit_test(test_setup_hook_exit_is_a_setup_error),
        cmocka_unit_test(test_setup_hook_that_hangs_meets_the_deadline),
        cmocka_unit_test(test_setup_hook_runs_confined_and_the_filter_holds_after_it),
        cmocka_unit_test(test_setup_hook_that_closes_a_standard_fd_fails_closed),
        cmocka_unit_test(test_setup_hook_raising_without_ctx_fails_the_hook),
        cmocka_unit_test(test_setup_hook_s_helper_raising_later_leaves_the_hook_s_ending),
        cmocka_unit_test(test_setup_hook_forging_the_listener_hand_over_fails_closed),
        cmocka_unit_test(test_setup_hook_scribbled_records_are_read_within_bounds),
        cmocka_unit_test(test_setup_hook_threads_are_filtered_too),
        cmocka_unit_test(test_setup_hook_threads_never_hold_the_listener),
        cmocka_unit_test(test_setup_hook_is_refused_for_commands),
        cmocka_unit_test(test_setup_hook_class_cannot_be_raised_by_the_task),
        cmocka_unit_test(test_setup_hook_children_cannot_forge_the_inits_report),
        cmocka_unit_test(test_setup_hook_children_cannot_hide_the_task_s_usage),
        cmocka_unit_test(test_setup_hook_s_memory_is_the_task_s),
        cmocka_unit_test(test_setup_hook_reads_its_stdin_before_the_hand_over),
        cmocka_unit_test(test_setup_hook_s_helper_holds_no_stdin_back_without_a_listener),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
