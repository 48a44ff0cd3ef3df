/*
 * Where the .bss of each object the caller has loaded lies (the program,
 * ld.so, libc, cordon, every dlopen'd library), for a command's give-back
 * (sandbox/memory_give_back.c).  A .bss past its data's last page is an
 * anonymous mapping of its own, and anonymous mappings next to each other
 * merge: memory the caller's allocator placed right after a library's
 * data (Python's arenas, jemalloc's extents) joins that mapping.  Told
 * where each .bss ends, the give-back keeps just the .bss and gives the
 * rest back; without this list it keeps the whole merged mapping.
 *
 * Parent side, before the fork: dl_iterate_phdr takes the loader's lock,
 * which a forked child of a threaded caller may find held.
 */
#include <link.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

typedef struct collected {
    cordon__address_range *ranges;
    size_t count, max;
    uintptr_t page_mask;
    bool overflowed;
} collected;

/* Each loadable segment whose memory size passes its file size: its
 * zero-filled tail, in whole pages. */
static int collect_object(struct dl_phdr_info *info, size_t size, void *context)
{
    (void)size;
    collected *c = context;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD || segment->p_memsz <= segment->p_filesz)
            continue;
        if (c->count == c->max) {
            c->overflowed = true;
            return 1; /* stops the iteration */
        }
        uintptr_t start = info->dlpi_addr + segment->p_vaddr + segment->p_filesz;
        uintptr_t end = info->dlpi_addr + segment->p_vaddr + segment->p_memsz;
        c->ranges[c->count++] = (cordon__address_range){ start & ~c->page_mask,
                                                         (end + c->page_mask) & ~c->page_mask };
    }
    return 0;
}

static int by_start(const void *a, const void *b)
{
    uintptr_t x = ((const cordon__address_range *)a)->start;
    uintptr_t y = ((const cordon__address_range *)b)->start;
    return (x > y) - (x < y);
}

/* Counts the segments collect_object would list. */
static int count_object(struct dl_phdr_info *info, size_t size, void *context)
{
    (void)size;
    size_t *count = context;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++)
        *count += info->dlpi_phdr[i].p_type == PT_LOAD &&
                  info->dlpi_phdr[i].p_memsz > info->dlpi_phdr[i].p_filesz;
    return 0;
}

/* Room for a few objects another thread may load between the count and
 * the listing; more than that and the list is not complete. */
#define LOADED_WHILE_LISTING 16

cordon__address_range *cordon__loaded_bss(size_t *count, bool *complete)
{
    size_t segments = 0;
    dl_iterate_phdr(count_object, &segments);
    size_t max = segments + LOADED_WHILE_LISTING;
    cordon__address_range *ranges = malloc(max * sizeof *ranges);
    *count = 0;
    *complete = false;
    if (!ranges)
        return NULL;
    collected c = { ranges, 0, max, (uintptr_t)sysconf(_SC_PAGESIZE) - 1, false };
    dl_iterate_phdr(collect_object, &c);
    qsort(ranges, c.count, sizeof *ranges, by_start);
    /* Sorted and apart, for the child's binary search. */
    size_t merged = 0;
    for (size_t i = 0; i < c.count; i++) {
        if (merged && ranges[i].start <= ranges[merged - 1].end) {
            if (ranges[i].end > ranges[merged - 1].end)
                ranges[merged - 1].end = ranges[i].end;
        } else {
            ranges[merged++] = ranges[i];
        }
    }
    *complete = !c.overflowed;
    *count = merged;
    return ranges;
}
