/*
 * The sweep of the shared memory a function task inherits from its caller
 * (sandbox/shared_memory.c, and a command's give-back that shares its
 * walk), by either of its two ways: the kernel's
 * PROCMAP_QUERY, and the text of /proc/self/maps where the kernel has no
 * such query.  The library's ioctl calls are wrapped at link time
 * (-Wl,--wrap=ioctl, given by the Makefile): the wrapper counts the
 * queries the task's process makes, or refuses them as an older kernel
 * would.  The counter and the switch live in the task's own copy of this
 * process, so the task reports them itself.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "support.h"

/* The query's number encodes its 104-byte argument (linux/fs.h). */
#define PROCMAP_QUERY_REQUEST _IOWR('f', 17, char[104])

int __real_ioctl(int fd, unsigned long request, void *arg);
int __wrap_ioctl(int fd, unsigned long request, void *arg);

static bool refuse_query;
static int queries_made;

int __wrap_ioctl(int fd, unsigned long request, void *arg)
{
    if (request == PROCMAP_QUERY_REQUEST) {
        queries_made++;
        if (refuse_query) {
            errno = ENOTTY;
            return -1;
        }
    }
    return __real_ioctl(fd, request, arg);
}

static bool kernel_answers_query(void)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    uint64_t query[13] = { sizeof query, 0x10 /* or the next */, 0 };
    bool answered = __real_ioctl(fd, PROCMAP_QUERY_REQUEST, query) == 0;
    close(fd);
    return answered;
}

typedef struct sweep_seen {
    int shared_mappings; /* as the task's /proc/self/maps lists them */
    int queries;         /* PROCMAP_QUERY calls its process made */
} sweep_seen;

static int report_sweep(cordon_ctx *ctx, void *arg)
{
    (void)arg;
    sweep_seen seen = { 0, queries_made };
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 && perms[3] == 's')
            seen.shared_mappings++;
    }
    if (maps)
        fclose(maps);
    cordon_return(ctx, &seen, sizeof seen);
    return 0;
}

static sweep_seen run_sweep(bool refuse)
{
    refuse_query = refuse;
    queries_made = 0;
    cordon_task *t = cordon_function_task(report_sweep, NULL);
    cordon_set_policy(t, NULL);
    const cordon_result *r = run_task(t, 0);
    sweep_seen seen;
    assert_int_equal(r->returns.len, sizeof seen);
    memcpy(&seen, r->returns.data, sizeof seen);
    cordon_task_free(t);
    refuse_query = false;
    return seen;
}

/* `count` one-page shared mappings, apart, and a shared file mapping. */
static void **map_shared_pages(size_t count)
{
    void **pages = calloc(count + 1, sizeof *pages);
    assert_non_null(pages);
    for (size_t i = 0; i < count; i++) {
        pages[i] = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        assert_true(pages[i] != MAP_FAILED);
    }
    char path[] = "/tmp/cordon-sweep-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(ftruncate(fd, 8192), 0);
    pages[count] = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(pages[count] != MAP_FAILED);
    close(fd);
    return pages;
}

static void unmap_shared_pages(void **pages, size_t count)
{
    for (size_t i = 0; i < count; i++)
        munmap(pages[i], 4096);
    munmap(pages[count], 8192);
    free(pages);
}

static void test_the_kernel_is_asked_for_the_shared_mappings(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind refuses to replace mappings, so the sweep of inherited shared memory cannot run under it");
    if (!kernel_answers_query()) {
        print_message("skipped: this kernel has no PROCMAP_QUERY (Linux 6.11)\n");
        skip();
    }
    void **pages = map_shared_pages(3);
    sweep_seen seen = run_sweep(false);
    assert_true(seen.queries > 0);
    assert_int_equal(seen.shared_mappings, 1); /* its own region, nothing else */
    unmap_shared_pages(pages, 3);
}

static void test_without_the_query_the_listing_is_read(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind refuses to replace mappings, so the sweep of inherited shared memory cannot run under it");
    void **pages = map_shared_pages(3);
    sweep_seen seen = run_sweep(true);
    assert_true(seen.queries > 0); /* asked, refused, and read the listing */
    assert_int_equal(seen.shared_mappings, 1);
    unmap_shared_pages(pages, 3);
}

/* More than one pass holds (256 ranges): the sweep goes round again. */
static void test_more_shared_mappings_than_one_pass_holds_are_all_dropped(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("valgrind refuses to replace mappings, so the sweep of inherited shared memory cannot run under it");
    void **pages = map_shared_pages(700);
    assert_int_equal(run_sweep(false).shared_mappings, 1);
    assert_int_equal(run_sweep(true).shared_mappings, 1);
    unmap_shared_pages(pages, 700);
}

/* The walk is shared with a command's give-back of its copy of the
 * caller's memory (sandbox/memory_give_back.c): without the query it
 * reads the listing, and /bin/true from a caller holding 256 MiB still
 * reports its own peak.  Only in the start in namespaces. */
static void test_a_commands_give_back_reads_the_listing_without_the_query(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("no namespaces under valgrind");
#if defined(__SANITIZE_ADDRESS__)
    print_message("skipped under AddressSanitizer: nothing is given back\n");
    skip();
#endif
    size_t len = 256u << 20;
    char *held = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(held != MAP_FAILED);
    memset(held, 1, len);
    const char *argv[] = { "/bin/true", NULL };
    uint64_t peak[2] = { 0, 0 };
    unsigned confinement = 0;
    for (int refused = 0; refused < 2; refused++) {
        refuse_query = refused; /* in the init's copy, which the command shares */
        cordon_task *t = cordon_command_task(argv);
        const cordon_result *r = run_task(t, 0);
        assert_int_equal(r->exit_code, 0);
        peak[refused] = r->usage.max_rss_kb;
        confinement = r->confinement;
        cordon_task_free(t);
    }
    refuse_query = false;
    assert_int_equal(held[len - 1], 1);
    munmap(held, len);
    if (!(confinement & CORDON_CONFINED_PID_NAMESPACE)) {
        print_message("skipped: no namespaces here, the figure is the caller's\n");
        skip();
    }
    assert_true(peak[0] < 16 * 1024);
    assert_true(peak[1] < 16 * 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_kernel_is_asked_for_the_shared_mappings),
        cmocka_unit_test(test_without_the_query_the_listing_is_read),
        cmocka_unit_test(test_more_shared_mappings_than_one_pass_holds_are_all_dropped),
        cmocka_unit_test(test_a_commands_give_back_reads_the_listing_without_the_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
