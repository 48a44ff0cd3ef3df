/*
 * Where the .bss of the objects whose code runs after a command's
 * give-back (sandbox/memory_give_back.c) lies: libc's and the loader's.
 * What runs there (the filter's install, the exec, cordon's init reaping
 * until the end) makes plain system calls and reads no global of
 * cordon's, of the program's or of any other library's, whose .bss is
 * given back with the rest: kept, a program's own zero-filled arrays
 * (256 MiB of them) were the figure of its every command, and made
 * cordon's init the largest process for the OOM killer.  In a static
 * program libc is the program, whose .bss is then kept whole.
 *
 * A .bss past its data's last page is an anonymous mapping of its own,
 * and anonymous mappings next to each other merge: memory the caller's
 * allocator placed right after a library's data (Python's arenas,
 * jemalloc's extents) joins that mapping.  Told where each .bss ends, the
 * give-back keeps just the .bss and gives the rest back; without this
 * list it keeps the whole merged mapping.
 *
 * Parent side, before the fork: dl_iterate_phdr takes the loader's lock,
 * which a forked child of a threaded caller may find held.
 */
#include <gnu/libc-version.h>
#include <link.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "internal.h"

/* The objects whose .bss is kept: the loader, at AT_BASE (0 for a static
 * program, which has none), and libc, found by an address in its data
 * (a function's address could be a program's PLT stub). */
typedef struct kept_objects {
    uintptr_t loader_base;
    uintptr_t in_libc;
} kept_objects;

static kept_objects objects_to_keep(void)
{
    return (kept_objects){ (uintptr_t)getauxval(AT_BASE), (uintptr_t)gnu_get_libc_version() };
}

static bool holds(const struct dl_phdr_info *info, uintptr_t address)
{
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + segment->p_vaddr;
        if (segment->p_type == PT_LOAD && address >= start && address - start < segment->p_memsz)
            return true;
    }
    return false;
}

static bool kept(const struct dl_phdr_info *info, const kept_objects *keep)
{
    return (keep->loader_base && info->dlpi_addr == keep->loader_base) ||
           holds(info, keep->in_libc);
}

typedef struct collected {
    cordon__address_range *ranges;
    size_t count, max;
    uintptr_t page_mask;
    bool overflowed;
    kept_objects keep;
} collected;

/* Each loadable segment of a kept object whose memory size passes its
 * file size: its zero-filled tail, in whole pages. */
static int collect_object(struct dl_phdr_info *info, size_t size, void *context)
{
    (void)size;
    collected *c = context;
    if (!kept(info, &c->keep))
        return 0;
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

typedef struct counted {
    size_t count;
    kept_objects keep;
} counted;

/* Counts the segments collect_object would list. */
static int count_object(struct dl_phdr_info *info, size_t size, void *context)
{
    (void)size;
    counted *c = context;
    if (!kept(info, &c->keep))
        return 0;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++)
        c->count += info->dlpi_phdr[i].p_type == PT_LOAD &&
                    info->dlpi_phdr[i].p_memsz > info->dlpi_phdr[i].p_filesz;
    return 0;
}

/* Room for a few objects another thread may load between the count and
 * the listing; more than that and the list is not complete. */
#define LOADED_WHILE_LISTING 16

cordon__address_range *cordon__loaded_bss(size_t *count, bool *complete)
{
    counted segments = { 0, objects_to_keep() };
    dl_iterate_phdr(count_object, &segments);
    size_t max = segments.count + LOADED_WHILE_LISTING;
    cordon__address_range *ranges = malloc(max * sizeof *ranges);
    *count = 0;
    *complete = false;
    if (!ranges)
        return NULL;
    collected c = { ranges, 0, max, (uintptr_t)sysconf(_SC_PAGESIZE) - 1, false, segments.keep };
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
