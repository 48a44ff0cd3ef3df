/*
 * A forked function task inherits every MAP_SHARED mapping of its caller:
 * files the caller mapped for writing, System V and POSIX shared memory,
 * io_uring rings (a task that rewrites the caller's submission queue makes
 * the caller's next submission do the task's bidding), and the regions of
 * cordon's other tasks running at the same time.  Before the function
 * runs, the child unmaps all of them but its own.
 *
 * Child side, so async-signal-safe: nothing is allocated.  The kernel is
 * asked for the shared mappings alone with PROCMAP_QUERY (Linux 6.11),
 * which skips the rest without formatting a line of text: half the cost of
 * reading the listing, which a fresh process pays for every task.  Where
 * the query is missing, /proc/self/maps is read with raw read(2) into a
 * stack buffer and parsed as it streams.  Either way the ranges to drop
 * are gathered first and unmapped afterwards, so the mappings never change
 * under the walk; a caller with more shared mappings than one pass holds
 * takes several passes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "confine.h"

#define RANGES_PER_PASS 256
#define MAX_PASSES      64

/* The parser's state across read chunks: a line starts with
 * "start-end perms ", and only those fields matter. */
typedef struct maps_parser {
    int field;              /* 0 start, 1 end, 2 perms, 3 rest of line */
    int perms_seen;
    uintptr_t start, end;
    bool shared;
} maps_parser;

typedef struct range_list {
    cordon__address_range ranges[RANGES_PER_PASS];
    size_t count;
    bool full;              /* more were found than fit */
} range_list;

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool kept(uintptr_t start, uintptr_t end, const cordon__address_range *keep, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (start < keep[i].end && keep[i].start < end)
            return true;
    }
    return false;
}

static void add_range(range_list *list, uintptr_t start, uintptr_t end,
                      const cordon__address_range *keep, size_t keep_count)
{
    if (end <= start || kept(start, end, keep, keep_count))
        return;
    if (list->count < RANGES_PER_PASS)
        list->ranges[list->count++] = (cordon__address_range){ start, end };
    else
        list->full = true;
}

static void end_line(maps_parser *p, range_list *list, const cordon__address_range *keep,
                     size_t keep_count)
{
    if (p->field == 3 && p->shared)
        add_range(list, p->start, p->end, keep, keep_count);
    *p = (maps_parser){ 0 };
}

static void parse_char(maps_parser *p, char c, range_list *list,
                       const cordon__address_range *keep, size_t keep_count)
{
    if (c == '\n') {
        end_line(p, list, keep, keep_count);
        return;
    }
    int digit;
    switch (p->field) {
    case 0:
    case 1:
        if ((digit = hex_value(c)) >= 0) {
            uintptr_t *value = p->field == 0 ? &p->start : &p->end;
            *value = (*value << 4) | (uintptr_t)digit;
        } else {
            p->field++; /* '-' after start, ' ' after end */
        }
        break;
    case 2:
        if (c == ' ') {
            p->field = 3;
        } else if (p->perms_seen++ == 3) {
            p->shared = c == 's';
        }
        break;
    default:
        break;
    }
}

/* linux/fs.h's PROCMAP_QUERY, which older headers lack: the ioctl's number
 * encodes this layout's size, so a kernel without it answers ENOTTY. */
struct procmap_query {
    uint64_t size, query_flags, query_addr;
    uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
    uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
    uint64_t vma_name_addr, build_id_addr;
};
#define PROCMAP_QUERY_SHARED_VMA  0x08 /* VM_MAYSHARE: the listing's 's' */
#define PROCMAP_QUERY_OR_NEXT_VMA 0x10
#define PROCMAP_QUERY_REQUEST     _IOWR('f', 17, struct procmap_query)

/* The shared mappings from the kernel, one query each; -ENOTTY (or
 * -EINVAL) before the first answer where the kernel has no such query. */
static int query_shared(int fd, range_list *list, const cordon__address_range *keep,
                        size_t keep_count)
{
    uint64_t from = 0;
    for (;;) {
        struct procmap_query q = {
            .size = sizeof q, .query_addr = from,
            .query_flags = PROCMAP_QUERY_SHARED_VMA | PROCMAP_QUERY_OR_NEXT_VMA,
        };
        if (ioctl(fd, PROCMAP_QUERY_REQUEST, &q) != 0) {
            if (errno == EINTR)
                continue;
            return errno == ENOENT ? 0 : -errno; /* ENOENT: none above `from` */
        }
        /* Never so from a kernel that knows the query: failing closed
         * beats a walk that loops or skips a mapping. */
        if (!(q.vma_flags & PROCMAP_QUERY_SHARED_VMA) || q.vma_end <= from)
            return -EIO;
        add_range(list, (uintptr_t)q.vma_start, (uintptr_t)q.vma_end, keep, keep_count);
        from = q.vma_end;
    }
}

/* The text listing, parsed as it streams. */
static int parse_listing(int fd, range_list *list, const cordon__address_range *keep,
                         size_t keep_count)
{
    maps_parser parser = { 0 };
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            parse_char(&parser, chunk[i], list, keep, keep_count);
    }
    end_line(&parser, list, keep, keep_count);
    return 0;
}

/* One pass: the shared ranges not kept. */
static int gather(range_list *list, const cordon__address_range *keep, size_t keep_count)
{
    int fd;
    do
        fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -errno;
    int rc = query_shared(fd, list, keep, keep_count);
    bool unanswered = (rc == -ENOTTY || rc == -EINVAL) && list->count == 0 && !list->full;
    if (unanswered)
        rc = parse_listing(fd, list, keep, keep_count);
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
        int rc = gather(&list, keep, keep_count);
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
