/*
 * A forked function task inherits every MAP_SHARED mapping of its caller:
 * files the caller mapped for writing, System V and POSIX shared memory,
 * io_uring rings (a task that rewrites the caller's submission queue makes
 * the caller's next submission do the task's bidding), and the regions of
 * cordon's other tasks running at the same time.  Before the function
 * runs, the child unmaps all of them but its own.
 *
 * Child side, so async-signal-safe: nothing is allocated.  The mappings
 * come from cordon__walk_mappings (mapping_walk.c), asked for the shared
 * ones alone.  The ranges to drop are gathered first and unmapped
 * afterwards, so the mappings never change under the walk; a caller with
 * more shared mappings than one pass holds takes several passes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "confine.h"

#define RANGES_PER_PASS 256
#define MAX_PASSES      64

typedef struct range_list {
    cordon__address_range ranges[RANGES_PER_PASS];
    size_t count;
    bool full;              /* more were found than fit */
    const cordon__address_range *keep;
    size_t keep_count;
} range_list;

static void add_range(const cordon__mapping *m, void *context)
{
    range_list *list = context;
    if (m->end <= m->start || cordon__range_kept(m, list->keep, list->keep_count))
        return;
    if (list->count < RANGES_PER_PASS)
        list->ranges[list->count++] = (cordon__address_range){ m->start, m->end };
    else
        list->full = true;
}

/* One pass: the shared ranges not kept. */
static int gather(range_list *list)
{
    int fd;
    do
        fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -errno;
    int rc = cordon__walk_mappings(fd, true, add_range, list);
    close(fd);
    return rc;
}

/* Not a plain munmap: the range stays taken by inaccessible private
 * memory, so that a later mapping of the child's (a stack, malloc's
 * arena) cannot land at the caller's address, and a pointer into the
 * caller's shared memory faults instead of finding other memory there. */
static int replace_with_nothing(const cordon__address_range *range)
{
    void *at = mmap((void *)range->start, range->end - range->start, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    return at == MAP_FAILED ? -1 : 0;
}

int cordon__unmap_shared_mappings(const cordon__address_range *keep, size_t keep_count)
{
    for (int pass = 0; pass < MAX_PASSES; pass++) {
        range_list list;
        list.count = 0;
        list.full = false;
        list.keep = keep;
        list.keep_count = keep_count;
        int rc = gather(&list);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < list.count; i++) {
            /* EINVAL for a range the listing gave whole and aligned is a
             * veto of the process's own supervisor (valgrind keeps its
             * shared memory there), not a mapping of the caller's. */
            if (replace_with_nothing(&list.ranges[i]) < 0 && errno != EINVAL)
                return -errno;
        }
        if (!list.full)
            return 0;
    }
    return -E2BIG;
}
