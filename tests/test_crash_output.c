/* What a crashing function task leaves: the output it printed before the
 * crash, buffered or not, and a backtrace that names functions of dlopen'd
 * plugins and stops at the task's own function. */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "support.h"

#define REAL_FAULT __attribute__((noinline, no_sanitize("undefined")))

REAL_FAULT static int fault(volatile int *pointer)
{
    return *pointer + 1;
}

/* stdout is a pipe: fully buffered, nothing written out yet.  Not a tail
 * call: its frame must be on the stack at the fault. */
__attribute__((noinline)) static int print_then_segfault(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("step 1 done\n");
    printf("step 2 half");
    return fault(NULL) * 3;
}

static int print_then_abort(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("before abort\n");
    printf("no newline");
    abort();
}

static void test_crash_output_printed_before_a_segfault_is_kept(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(print_then_segfault, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    assert_string_equal(r->std_out.data, "step 1 done\nstep 2 half");
    cordon_task_free(t);
}

static void test_crash_output_printed_before_abort_is_kept(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(print_then_abort, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGABRT");
    assert_string_equal(r->std_out.data, "before abort\nno newline");
    cordon_task_free(t);
}

/* What the caller had buffered before the run is still not the task's. */
static void test_crash_output_holds_nothing_of_the_caller(void **state)
{
    (void)state;
    /* Static: glibc keeps a buffer given to setvbuf for the stream's life,
     * even when setvbuf is called again with NULL. */
    static char buffer[256];
    setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
    printf("caller's unflushed bytes");
    cordon_task *t = cordon_function_task(print_then_segfault, NULL);
    int rc = cordon_run(t);
    /* The caller's bytes go out before any assert can leave. */
    printf("\n");
    fflush(stdout);
    setvbuf(stdout, NULL, _IOLBF, 0);
    assert_int_equal(rc, CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->std_out.data, "step 1 done\nstep 2 half");
    cordon_task_free(t);
}

typedef int (*plugin_fn)(volatile int *);

static plugin_fn load_plugin(void)
{
    const char *dir = getenv("CORDON_PLUGIN_DIR");
    assert_non_null(dir);
    /* By a relative path, as a plugin host often does: the loader keeps
     * the name as given, which means nothing once the directory changed. */
    char here[4096];
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(dir), 0);
    void *handle = dlopen("./libcrash.so", RTLD_NOW | RTLD_LOCAL);
    assert_int_equal(chdir(here), 0);
    if (!handle)
        fprintf(stderr, "dlopen: %s\n", dlerror());
    assert_non_null(handle);
    plugin_fn fn = (plugin_fn)(uintptr_t)dlsym(handle, "plugin_analyze");
    assert_non_null(fn);
    return fn; /* stays loaded: the parent symbolizes the child's crash */
}

__attribute__((noinline)) static int run_plugin(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    plugin_fn analyze = (plugin_fn)(uintptr_t)arg;
    return analyze(NULL) + 1;
}

static void test_crash_output_backtrace_names_a_plugin_function(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    plugin_fn analyze = load_plugin();
    cordon_task *t = cordon_function_task(run_plugin, (void *)(uintptr_t)analyze);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    const char *report = r->exc_out.data;
    const char *frame0 = strstr(report, "#0  ");
    assert_non_null(frame0);
    if (!strstr(frame0, "plugin_analyze+0x") || strstr(frame0, "??"))
        fail_msg("frame #0 does not name plugin_analyze:\n%s", report);
    assert_non_null(strstr(report, "(libcrash.so)"));
    cordon_task_free(t);
}

static char swapped_object[96];
static char forged_object[128]; /* another file, renamed over it by a task */

/* Loads a copy of the plugin from a file of the caller's user, where a
 * task of that user may change it. */
static plugin_fn load_a_copy_of_the_plugin(void)
{
    const char *dir = getenv("CORDON_PLUGIN_DIR");
    assert_non_null(dir);
    snprintf(swapped_object, sizeof swapped_object, "/var/tmp/cordon-own-object-%d.so",
             (int)getpid());
    char command[4096 + 200];
    snprintf(command, sizeof command, "cp '%s/libcrash.so' '%s'", dir, swapped_object);
    assert_int_equal(system(command), 0);
    void *handle = dlopen(swapped_object, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(handle);
    plugin_fn fn = (plugin_fn)(uintptr_t)dlsym(handle, "plugin_analyze");
    assert_non_null(fn);
    return fn;
}

__attribute__((noinline)) static int swap_the_object_for_a_fifo_then_crash(cordon_ctx *ctx,
                                                                          void *arg)
{
    (void)ctx;
    plugin_fn analyze = (plugin_fn)(uintptr_t)arg;
    if (unlink(swapped_object) != 0 || mkfifo(swapped_object, 0600) != 0)
        return 99;
    return analyze(NULL) + 1;
}

/* The caller's own objects are named from their files, opened by path
 * when a report needs them.  A task of the caller's user put a FIFO at
 * the path of one it then crashed in: the caller's open waited for a
 * writer for good, past the deadline.  Only the file still mapped there
 * is read now. */
static void test_crash_output_caller_object_swapped_for_a_fifo_hangs_nothing(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    plugin_fn analyze = load_a_copy_of_the_plugin();
    cordon_task *t = cordon_function_task(swap_the_object_for_a_fifo_then_crash,
                                          (void *)(uintptr_t)analyze);
    cordon_set_timeout_ms(t, 3000);
    assert_int_equal(cordon_run_async(t), 0);
    int rc = cordon_join_timeout(t, 30000);
    if (rc == -ETIMEDOUT) {
        int writer = open(swapped_object, O_WRONLY | O_NONBLOCK | O_CLOEXEC); /* let it go */
        unlink(swapped_object);
        fail_msg("the caller hung opening its own object, now a FIFO (writer %d)", writer);
    }
    unlink(swapped_object);
    assert_int_equal(rc, CORDON_EXCEPTION);
    const cordon_result *r = cordon_task_result(t);
    assert_string_equal(r->exception, "SIGSEGV");
    const char *frame0 = strstr(r->exc_out.data, "#0  ");
    assert_non_null(frame0);
    if (strstr(frame0, "plugin_analyze") || !strstr(frame0, "?? (cordon-own-object-"))
        fail_msg("frame #0 is not the unnamed object:\n%s", r->exc_out.data);
    cordon_task_free(t);
}

#define SPARSE_TABLE_BYTES (1ull << 30)

/* Puts at the plugin's path, where the caller will look for its names, a
 * sparse file of over 1 GiB whose one symbol table and its names span it
 * all; the plugin the task runs stays (the file it mapped is unlinked, not
 * changed). */
__attribute__((noinline)) static int swap_the_object_for_a_sparse_table_then_crash(cordon_ctx *ctx,
                                                                                  void *arg)
{
    (void)ctx;
    if (unlink(swapped_object) != 0)
        return 99;
    int fd = open(swapped_object, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return 98;
    Elf64_Ehdr header = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64 },
                          .e_shoff = 256, .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 2 };
    Elf64_Shdr sections[2] = {
        { .sh_type = SHT_SYMTAB, .sh_link = 1, .sh_entsize = sizeof(Elf64_Sym),
          .sh_offset = 4096, .sh_size = SPARSE_TABLE_BYTES },
        { .sh_type = SHT_STRTAB, .sh_offset = 4096, .sh_size = SPARSE_TABLE_BYTES },
    };
    if (pwrite(fd, &header, sizeof header, 0) != (ssize_t)sizeof header ||
        pwrite(fd, sections, sizeof sections, 256) != (ssize_t)sizeof sections ||
        ftruncate(fd, (off_t)(4096 + SPARSE_TABLE_BYTES)) != 0)
        return 97;
    close(fd);
    return run_plugin(ctx, arg);
}

/* A crash in a copy of the plugin, by `crashing_task`, which first changes
 * the plugin's file; the copy writes the run's code, its exception and how
 * far the caller's peak grew (KiB) in the report of the crash.  In a copy
 * of the test, whose peak is its own. */
static cordon_fn crashing_task;
static void (*before_the_crash)(void);

static void crash_measuring_the_caller(int out)
{
    plugin_fn analyze = load_a_copy_of_the_plugin();
    if (before_the_crash)
        before_the_crash();
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    cordon_task *t = cordon_function_task(crashing_task, (void *)(uintptr_t)analyze);
    cordon_set_timeout_ms(t, 20000);
    int rc = cordon_run(t);
    getrusage(RUSAGE_SELF, &after);
    const char *exception = cordon_task_result(t)->exception;
    dprintf(out, "%d %s %ld", rc, exception ? exception : "-", after.ru_maxrss - before.ru_maxrss);
    cordon_task_free(t);
    /* The copy's files are its own to remove: their names hold its pid. */
    unlink(swapped_object);
    if (before_the_crash)
        unlink(forged_object);
}

/* The report of a crash after `task` changed the plugin's file grew the
 * caller by at most 300 MiB. */
static void assert_the_report_holds_little(cordon_fn task, void (*before)(void))
{
    crashing_task = task;
    before_the_crash = before;
    char text[128];
    int status = run_in_a_copy(crash_measuring_the_caller, text, sizeof text,
                               "the report of a crash took over 30 s");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int rc = -1;
    char exception[32] = "";
    long grown_kb = -1;
    if (sscanf(text, "%d %31s %ld", &rc, exception, &grown_kb) != 3)
        fail_msg("the copy said: %s", text);
    assert_int_equal(rc, CORDON_EXCEPTION);
    assert_string_equal(exception, "SIGSEGV");
    if (grown_kb > 300 * 1024)
        fail_msg("the caller grew by %ld KiB reading one object's names", grown_kb);
}

/* A caller's own object is read for the report's names by its path, where
 * a task of the caller's user may put a large sparse file naming a table
 * as large: what the caller reads of one object is bounded (256 MiB), so
 * its memory does not grow by the table's size. */
static void test_crash_output_caller_object_swapped_for_a_sparse_table_is_bounded(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    assert_the_report_holds_little(swap_the_object_for_a_sparse_table_then_crash, NULL);
}

/* The plugin's bytes, read by the caller before a task may change them,
 * and the FIFO by which a crashing task tells a sibling when to cut. */
static unsigned char plugin_bytes[1 << 20];
static size_t plugin_size;
static char cut_signal[96];

/* A sibling task of the caller's user: each time a task is about to crash
 * in the plugin, it lets the crash go by (a task unwinds its stack with
 * the plugin's unwind tables) and then, for 20 ms, cuts the plugin's file
 * short and lengthens it again as fast as it can, while the caller reads
 * it for the report's names; then it writes the file back whole.  Its
 * first page stays: the loader reads an object's program headers there,
 * whoever the caller is. */
static int cut_the_object_short_at_each_crash(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    int fd = open(swapped_object, O_WRONLY | O_CLOEXEC);
    int crashes = open(cut_signal, O_RDWR | O_CLOEXEC);
    if (fd < 0 || crashes < 0)
        return 99;
    char byte;
    while (read(crashes, &byte, 1) == 1) {
        usleep(300);
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        do {
            if (ftruncate(fd, 4096) != 0 || ftruncate(fd, (off_t)plugin_size) != 0)
                return 98;
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) <
                 20000000L);
        if (pwrite(fd, plugin_bytes, plugin_size, 0) != (ssize_t)plugin_size)
            return 97;
    }
    return 96;
}

__attribute__((noinline)) static int crash_in_the_plugin_after_a_word(cordon_ctx *ctx, void *arg)
{
    int fd = open(cut_signal, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || write(fd, "c", 1) != 1)
        return 95;
    close(fd);
    return run_plugin(ctx, arg);
}

enum { SHRINKING_CRASHES = 40 };

/* In a copy of the test, with SIGBUS and SIGSEGV as the kernel has them
 * (not cmocka's handlers): a SIGBUS there ends only the copy. */
static void crash_while_the_object_shrinks(int out)
{
    signal(SIGBUS, SIG_DFL);
    signal(SIGSEGV, SIG_DFL);
    plugin_fn analyze = load_a_copy_of_the_plugin();
    int fd = open(swapped_object, O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, plugin_bytes, sizeof plugin_bytes) : -1;
    close(fd);
    if (got <= 4096 || (size_t)got == sizeof plugin_bytes)
        _exit(3);
    plugin_size = (size_t)got;
    snprintf(cut_signal, sizeof cut_signal, "/var/tmp/cordon-cut-signal-%d", (int)getpid());
    if (mkfifo(cut_signal, 0600) != 0)
        _exit(4);
    cordon_task *cutter = cordon_function_task(cut_the_object_short_at_each_crash, NULL);
    cordon_set_timeout_ms(cutter, 60000);
    if (cordon_run_async(cutter) != 0)
        _exit(5);
    int crashed = 0;
    for (int i = 0; i < SHRINKING_CRASHES; i++) {
        usleep(30 * 1000); /* the file is whole again */
        cordon_task *t = cordon_function_task(crash_in_the_plugin_after_a_word,
                                              (void *)(uintptr_t)analyze);
        cordon_set_timeout_ms(t, 10000);
        crashed += cordon_run(t) == CORDON_EXCEPTION && cordon_task_result(t)->signal != 0;
        cordon_task_free(t);
    }
    cordon_cancel(cutter);
    cordon_join(cutter);
    cordon_task_free(cutter);
    unlink(cut_signal);
    /* Whole again before anything of the caller's reads it at exit. */
    fd = open(swapped_object, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || pwrite(fd, plugin_bytes, plugin_size, 0) != (ssize_t)plugin_size)
        _exit(6);
    close(fd);
    unlink(swapped_object); /* mapped still: its file goes with the copy */
    dprintf(out, "%d", crashed);
}

/* The caller reads its own objects' files for a crash report's names.  It
 * mapped them: a task of the caller's user that cut one short meanwhile
 * made the caller's reading of the mapping raise SIGBUS, which killed it.
 * Now they are read, and a piece the file no longer holds is a short read:
 * that object's names are left out of the report. */
static void test_crash_output_caller_object_cut_short_crashes_nothing(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("forty crashes race a task that rewrites a file");
    char text[64];
    int status = run_in_a_copy(crash_while_the_object_shrinks, text, sizeof text,
                               "the crashes with a shrinking object took over 30 s");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the caller ended with status %#x (signal %d) while a task cut its object short",
                 status, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    assert_int_equal(atoi(text), SHRINKING_CRASHES);
}

__attribute__((noinline)) static int put_the_forged_object_in_place_then_crash(cordon_ctx *ctx,
                                                                             void *arg)
{
    if (rename(forged_object, swapped_object) != 0)
        return 99;
    return run_plugin(ctx, arg);
}

/* The names of the caller's own objects come from files a task of the
 * caller's user may replace: a task put at the plugin's path a copy whose
 * crashing function is named "plugin\x1b[2J\nzz" (an escape sequence and
 * a line break, 14 bytes as "plugin_analyze"), and the report carried them
 * as they were: a terminal cleared, a line that could pass for another
 * frame.  They are escaped, as a hook-loaded object's always were. */
static void test_crash_output_caller_object_names_are_escaped(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    plugin_fn analyze = load_a_copy_of_the_plugin();
    int fd = open(swapped_object, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    ssize_t got = read(fd, plugin_bytes, sizeof plugin_bytes);
    close(fd);
    assert_true(got > 0 && (size_t)got < sizeof plugin_bytes);
    unsigned char *name = memmem(plugin_bytes, (size_t)got, "plugin_analyze", 15);
    assert_non_null(name);
    memcpy(name, "plugin\x1b[2J\nzz", 14);
    snprintf(forged_object, sizeof forged_object, "%s.forged", swapped_object);
    fd = open(forged_object, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, plugin_bytes, (size_t)got), got);
    close(fd);
    cordon_task *t = cordon_function_task(put_the_forged_object_in_place_then_crash,
                                          (void *)(uintptr_t)analyze);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    unlink(forged_object);
    unlink(swapped_object);
    const char *report = r->exc_out.data;
    const char *frame0 = strstr(report, "#0  ");
    assert_non_null(frame0);
    if (strchr(report, '\x1b') || !strstr(frame0, "plugin\\x1b[2J\\x0azz+0x"))
        fail_msg("the forged name came through as it was:\n%s", report);
    cordon_task_free(t);
}

#define BIG_TABLE_SYMBOLS (7u << 20)

/* At `path`, an ELF file whose one symbol table holds BIG_TABLE_SYMBOLS
 * functions (168 MiB), all real: nothing of it is sparse. */
static void write_a_big_symbol_table(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    assert_true(fd >= 0);
    uint64_t table = (uint64_t)BIG_TABLE_SYMBOLS * sizeof(Elf64_Sym);
    Elf64_Ehdr header = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64 },
                          .e_shoff = 256, .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 2 };
    Elf64_Shdr sections[2] = {
        { .sh_type = SHT_SYMTAB, .sh_link = 1, .sh_entsize = sizeof(Elf64_Sym),
          .sh_offset = 4096, .sh_size = table },
        { .sh_type = SHT_STRTAB, .sh_offset = 4096 + table, .sh_size = 4 },
    };
    assert_int_equal(pwrite(fd, &header, sizeof header, 0), (ssize_t)sizeof header);
    assert_int_equal(pwrite(fd, sections, sizeof sections, 256), (ssize_t)sizeof sections);
    static Elf64_Sym chunk[1 << 15];
    for (size_t i = 0; i < sizeof chunk / sizeof *chunk; i++)
        chunk[i] = (Elf64_Sym){ .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
                                .st_value = 0x1000 + 16 * i, .st_size = 16 };
    for (uint64_t at = 0; at < table; at += sizeof chunk)
        assert_int_equal(pwrite(fd, chunk, sizeof chunk, (off_t)(4096 + at)), (ssize_t)sizeof chunk);
    assert_int_equal(pwrite(fd, "\0fn", 4, (off_t)(4096 + table)), 4);
    close(fd);
}

static void write_the_forged_big_table(void)
{
    snprintf(forged_object, sizeof forged_object, "%s.big", swapped_object);
    write_a_big_symbol_table(forged_object);
}

/* What the caller holds for one object's names is bounded whatever the
 * file: a task of the caller's user put at a plugin's path a real ELF
 * file of 168 MiB of function symbols, and the caller grew by what it
 * read and as much again twice over (the sorted copy, the sort's own),
 * 631 MiB.  Now 256 MiB an object, all counted. */
static void test_crash_output_caller_object_with_a_huge_table_is_bounded(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    assert_the_report_holds_little(put_the_forged_object_in_place_then_crash,
                                   write_the_forged_big_table);
}

/* The backtrace ends with the task's function: cordon's frames and the
 * caller's beyond it are no part of the task. */
static void test_crash_output_backtrace_stops_at_the_task_function(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    cordon_task *t = cordon_function_task(print_then_segfault, NULL);
    const cordon_result *r = run_task(t, CORDON_EXCEPTION);
    const char *report = r->exc_out.data;
    const char *task_frame = strstr(report, "print_then_segfault+0x");
    if (!task_frame)
        fail_msg("no frame of the task's function:\n%s", report);
    const char *after = strchr(task_frame, '\n');
    assert_non_null(after);
    if (after[1] != '\0')
        fail_msg("frames after the task's function:\n%s", report);
    assert_null(strstr(report, "cordon__"));
    assert_null(strstr(report, " main+"));
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_output_printed_before_a_segfault_is_kept),
        cmocka_unit_test(test_crash_output_printed_before_abort_is_kept),
        cmocka_unit_test(test_crash_output_holds_nothing_of_the_caller),
        cmocka_unit_test(test_crash_output_backtrace_names_a_plugin_function),
        cmocka_unit_test(test_crash_output_caller_object_swapped_for_a_fifo_hangs_nothing),
        cmocka_unit_test(test_crash_output_caller_object_cut_short_crashes_nothing),
        cmocka_unit_test(test_crash_output_caller_object_swapped_for_a_sparse_table_is_bounded),
        cmocka_unit_test(test_crash_output_caller_object_names_are_escaped),
        cmocka_unit_test(test_crash_output_caller_object_with_a_huge_table_is_bounded),
        cmocka_unit_test(test_crash_output_backtrace_stops_at_the_task_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
