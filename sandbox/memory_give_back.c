/*
 * A command task's first process starts in memory copied from its caller
 * (the init's copy, which it shares until it execs), and at execve the
 * kernel records the peak of the memory it leaves as the process's own
 * (ru_maxrss): /bin/true from a caller holding 1 GiB would report 1 GiB.
 * Just before the exec, the process gives that copy's private anonymous
 * memory back, so that the peak can be reset to what is left.
 *
 * MADV_DONTNEED, never munmap: a stray read of the given-back memory (by
 * the init, which shares it, or by cordon's own code) finds zeros, not a
 * fault.  The caller's own memory is another process's and stays as it
 * is.  What the remaining code reads (its stack, its thread's TLS, the
 * init's stack, the copied exec data) is in `keep`, and so is the .bss of
 * libc and the loader, whose code runs after: as the caller's loader
 * listed them (lib/loaded_bss.c), or, where that list is not known, taken
 * to be any anonymous mapping directly after a file mapping (a library's
 * .data), whole.  The kernel's own mappings ([vdso],
 * [vvar]) are kept.
 *
 * Child side, so async-signal-safe: nothing is allocated.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "confine.h"

typedef struct give_back {
    const cordon__give_back_keep *keep;
    uintptr_t file_end;             /* the end of the last file mapping seen */
    uintptr_t page_mask;
    long given;                     /* bytes */
} give_back;

static bool private_anonymous(const cordon__mapping *m)
{
    return !m->shared && !m->file && !m->special;
}

static void give_back_range(give_back *g, uintptr_t start, uintptr_t end)
{
    /* Refused for a locked mapping (EINVAL): it keeps its memory, and
     * the figure counts it. */
    if (end > start && madvise((void *)start, end - start, MADV_DONTNEED) == 0)
        g->given += (long)(end - start);
}

static void consider(const give_back *g, cordon__address_range range, uintptr_t from,
                     uintptr_t end, cordon__address_range *found, bool *any)
{
    uintptr_t start = range.start & ~g->page_mask;
    uintptr_t stop = (range.end + g->page_mask) & ~g->page_mask;
    if (start < end && from < stop && (!*any || start < found->start)) {
        *found = (cordon__address_range){ start, stop };
        *any = true;
    }
}

/* The first .bss ending after `from` (the list is sorted and apart, and
 * may hold hundreds): a binary search. */
static const cordon__address_range *first_bss_after(const give_back *g, uintptr_t from)
{
    size_t low = 0, high = g->keep->bss_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (g->keep->bss[middle].end <= from)
            low = middle + 1;
        else
            high = middle;
    }
    return low < g->keep->bss_count ? &g->keep->bss[low] : NULL;
}

/* The first kept range (whole pages) overlapping [from, end), if any. */
static bool next_kept(const give_back *g, uintptr_t from, uintptr_t end,
                      cordon__address_range *found)
{
    bool any = false;
    for (size_t i = 0; i < g->keep->count; i++)
        consider(g, g->keep->ranges[i], from, end, found, &any);
    const cordon__address_range *bss = g->keep->bss ? first_bss_after(g, from) : NULL;
    if (bss)
        consider(g, *bss, from, end, found, &any);
    return any;
}

/* Only the kept ranges of a mapping stay, not the whole of it: anonymous
 * mappings next to each other merge, and the TLS of the caller's thread
 * may share one with the caller's own data. */
static void give_back_one(const cordon__mapping *m, void *context)
{
    give_back *g = context;
    bool library_bss = !g->keep->bss && g->file_end == m->start && !m->heap;
    /* A library's data is a private mapping of its file; a shared one
     * (cordon's own setup record, any shmem) is no library's, and what
     * follows it is no .bss. */
    g->file_end = m->file && !m->shared ? m->end : 0;
    if (!private_anonymous(m) || library_bss)
        return;
    uintptr_t at = m->start;
    cordon__address_range kept = { 0, 0 };
    while (at < m->end && next_kept(g, at, m->end, &kept)) {
        give_back_range(g, at, kept.start > at ? kept.start : at);
        at = kept.end;
    }
    if (at < m->end)
        give_back_range(g, at, m->end);
}

long cordon__give_back_private_memory(int maps_fd, const cordon__give_back_keep *keep)
{
    give_back g = { .keep = keep, .page_mask = (uintptr_t)sysconf(_SC_PAGESIZE) - 1 };
    int rc = cordon__walk_mappings(maps_fd, false, give_back_one, &g);
    return rc < 0 ? rc : g.given;
}
