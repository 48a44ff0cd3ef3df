/*
 * Coverage build only (make coverage): a task's child is a fork of the
 * test process (or of the runner) that ends with _exit or execve and is
 * sandboxed, so it never writes gcov's counter files; what runs only
 * there would read as never run.  Here the counters are made shared
 * between the process and every child it forks: shared_counters.ld puts
 * gcc's counter arrays, and nothing else, on pages of their own, which
 * this constructor replaces, contents kept, by a MAP_SHARED anonymous
 * mapping at the same address.  A child's increments (atomic already,
 * -fprofile-update=atomic) then land in the parent's counters, and the
 * parent's normal exit writes them.
 *
 * A function task's child unmaps every shared mapping it inherited but
 * its own (sandbox/shared_memory.c); the wrapper below (the cov links
 * pass --wrap=cordon__unmap_shared_mappings) adds the counters to what
 * it keeps, so that the child's counting does not fault.
 *
 * Only the process that set the counters up writes them.  A forked child
 * that ends with exit() rather than _exit() would write them too, and
 * libgcov's write adds the file's counts into the counters in memory
 * (which are the parent's) before writing them back: everything counted
 * so far would be counted twice.  And a process under a file size limit
 * (the runner in a test of EFBIG) writes the first bytes of a counter
 * file and not the rest, which left files whose arcs no longer balanced
 * (negative branch counts).  Each is marked as written already, and
 * libgcov's exit then writes nothing: a limited process's counts are
 * lost, the files stay whole.
 *
 * Built without --coverage: the constructor must not count while it
 * moves the counters.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../sandbox/confine.h"

extern char cordon_gcov_counters_start[], cordon_gcov_counters_end[];

/* libgcov's record of this program's counters (gcc's libgcov.h, the same
 * since gcc 5); `dumped` set, its exit writes nothing. */
struct gcov_root {
    const void *list;
    unsigned dumped : 1;
    unsigned run_counted : 1;
    struct gcov_root *next, *prev;
};
extern struct gcov_root __gcov_root;

static void never_write_counters(void)
{
    __gcov_root.dumped = 1;
}

/* A file size limit (RLIMIT_FSIZE) would cut the counter files short:
 * this process's counts are given up instead.  The limit is the test's,
 * and stays as it is. */
static void give_up_counts_under_a_file_size_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        never_write_counters();
}

static _Noreturn void give_up(const char *what)
{
    static const char prefix[] = "cordon coverage build: cannot share gcov counters: ";
    (void)!write(STDERR_FILENO, prefix, sizeof prefix - 1);
    (void)!write(STDERR_FILENO, what, strlen(what));
    (void)!write(STDERR_FILENO, "\n", 1);
    abort();
}

/* Runs before main and before any thread: nothing counts concurrently
 * while the copy is made.  mremap swaps the filled shared pages in at
 * once, so no counter is ever seen missing. */
__attribute__((constructor)) static void share_counters(void)
{
    size_t len = (size_t)(cordon_gcov_counters_end - cordon_gcov_counters_start);
    if (len == 0)
        return;
    void *fresh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (fresh == MAP_FAILED)
        give_up(strerror(errno));
    memcpy(fresh, cordon_gcov_counters_start, len);
    if (mremap(fresh, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, cordon_gcov_counters_start) ==
        MAP_FAILED)
        give_up(strerror(errno));
    int rc = pthread_atfork(NULL, NULL, never_write_counters);
    if (rc != 0)
        give_up(strerror(rc));
    give_up_counts_under_a_file_size_limit();
}

int __real_cordon__unmap_shared_mappings(const cordon__address_range *keep, size_t keep_count);
int __wrap_cordon__unmap_shared_mappings(const cordon__address_range *keep, size_t keep_count);

/* Child side: async-signal-safe, nothing allocated. */
int __wrap_cordon__unmap_shared_mappings(const cordon__address_range *keep, size_t keep_count)
{
    enum { MAX_KEPT = 16 };
    cordon__address_range all[MAX_KEPT];
    if (keep_count >= MAX_KEPT)
        return -E2BIG;
    for (size_t i = 0; i < keep_count; i++)
        all[i] = keep[i];
    all[keep_count] = (cordon__address_range){ (uintptr_t)cordon_gcov_counters_start,
                                               (uintptr_t)cordon_gcov_counters_end };
    return __real_cordon__unmap_shared_mappings(all, keep_count + 1);
}
