/*
 * A forked function task inherits every MAP_SHARED mapping of its caller:
 * files the caller mapped for writing, System V and POSIX shared memory,
 * io_uring rings (a task that rewrites the caller's submission queue makes
 * the caller's next submission do the task's bidding), and the regions of
 * cordon's other tasks running at the same time.  Before the function
 * runs, the child unmaps all of them but its own.
 *
 * Child side, so async-signal-safe: /proc/self/maps is read with raw
 * read(2) into a stack buffer and parsed as it streams; nothing is
 * allocated.  The ranges to drop are gathered first and unmapped after the
 * file is closed, so the listing is never read while it changes; a caller
 * with more shared mappings than one pass holds takes several passes.
 */
#include <errno.h>
#include <fcntl.h>
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

static void end_line(maps_parser *p, range_list *list, const cordon__address_range *keep,
                     size_t keep_count)
{
    if (p->field == 3 && p->shared && p->end > p->start &&
        !kept(p->start, p->end, keep, keep_count)) {
        if (list->count < RANGES_PER_PASS)
            list->ranges[list->count++] = (cordon__address_range){ p->start, p->end };
        else
            list->full = true;
    }
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

/* One pass over the listing: the shared ranges not kept. */
static int gather(range_list *list, const cordon__address_range *keep, size_t keep_count)
{
    int fd;
    do
        fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -errno;
    maps_parser parser = { 0 };
    char chunk[4096];
    ssize_t n;
    for (;;) {
        n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            parse_char(&parser, chunk[i], list, keep, keep_count);
    }
    int saved = errno;
    close(fd);
    if (n < 0)
        return -saved;
    end_line(&parser, list, keep, keep_count);
    return 0;
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
