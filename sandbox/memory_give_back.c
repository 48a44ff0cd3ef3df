/*
 * A command task's first process starts in memory copied from its caller
 * (the init's copy, which it shares until it execs), and at execve the
 * kernel records the peak of the memory it leaves as the process's own
 * (ru_maxrss): /bin/true from a caller holding 1 GiB would report 1 GiB.
 * Just before the exec, the process gives that copy's private memory
 * back, so that the peak can be reset to what is left: its anonymous
 * mappings, and its private mappings of files, whose written pages are
 * the caller's as much as its heap is (a data file mapped for
 * copy-on-write; given back, such a mapping reads as its file again).
 *
 * MADV_DONTNEED, never munmap: a stray read of the given-back memory (by
 * the init, which shares it, or by cordon's own code) finds zeros or the
 * file, not a fault.  The caller's own memory is another process's and
 * stays as it is.  What the remaining code reads (its stack, its thread's
 * TLS, the init's stack, the copied exec data) is in `keep`, and so is
 * what the objects whose code runs after hold (lib/kept_objects.c), as
 * the caller's loader listed them; where that list is not known, every
 * file mapping is kept, and so is any anonymous mapping directly after
 * one (a library's .bss), whole.  The kernel's own mappings ([vdso],
 * [vvar]) are kept.
 *
 * Child side, so async-signal-safe: nothing is allocated.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "confine.h"

/* Ranges next to each other are given back in one call: a call costs
 * about what a system call costs plus a TLB flush, and a caller of many
 * objects has hundreds of mappings side by side (a Python caller some
 * 240); 400 calls took 8.3 ms where one over the same took 0.3 ms. */
#define BATCH_PIECES 32

typedef struct give_back {
    const cordon__give_back_keep *keep;
    uintptr_t file_end;             /* the end of the last file mapping seen */
    uintptr_t page_mask;
    cordon__address_range batch[BATCH_PIECES]; /* pieces next to each other */
    size_t batch_count;
    long given;                     /* bytes */
} give_back;

static bool private_memory(const cordon__mapping *m)
{
    return !m->shared && !m->special;
}

static bool give_back_now(cordon__address_range range)
{
    return madvise((void *)range.start, range.end - range.start, MADV_DONTNEED) == 0;
}

/* The batch in one call; where that is refused (a mapping the kernel will
 * not drop, such as a device's), piece by piece, and such a piece keeps
 * its memory, which the figure then counts. */
static void give_back_batch(give_back *g)
{
    if (g->batch_count == 0)
        return;
    cordon__address_range whole = { g->batch[0].start, g->batch[g->batch_count - 1].end };
    if (give_back_now(whole)) {
        g->given += (long)(whole.end - whole.start);
    } else {
        for (size_t i = 0; i < g->batch_count; i++)
            if (give_back_now(g->batch[i]))
                g->given += (long)(g->batch[i].end - g->batch[i].start);
    }
    g->batch_count = 0;
}

static void give_back_range(give_back *g, uintptr_t start, uintptr_t end)
{
    if (end <= start)
        return;
    /* Only what lies right after the batch joins it: a gap could be
     * mapped meanwhile by the init, which shares this memory. */
    if (g->batch_count > 0 &&
        (g->batch[g->batch_count - 1].end != start || g->batch_count == BATCH_PIECES))
        give_back_batch(g);
    g->batch[g->batch_count++] = (cordon__address_range){ start, end };
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

/* The first kept object's range ending after `from` (the list is sorted
 * and apart): a binary search. */
static const cordon__address_range *first_object_after(const give_back *g, uintptr_t from)
{
    size_t low = 0, high = g->keep->object_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (g->keep->objects[middle].end <= from)
            low = middle + 1;
        else
            high = middle;
    }
    return low < g->keep->object_count ? &g->keep->objects[low] : NULL;
}

/* The first kept range (whole pages) overlapping [from, end), if any. */
static bool next_kept(const give_back *g, uintptr_t from, uintptr_t end,
                      cordon__address_range *found)
{
    bool any = false;
    for (size_t i = 0; i < g->keep->count; i++)
        consider(g, g->keep->ranges[i], from, end, found, &any);
    const cordon__address_range *object = g->keep->objects ? first_object_after(g, from) : NULL;
    if (object)
        consider(g, *object, from, end, found, &any);
    return any;
}

/* Only the kept ranges of a mapping stay, not the whole of it: anonymous
 * mappings next to each other merge, and the TLS of the caller's thread
 * may share one with the caller's own data. */
static void give_back_one(const cordon__mapping *m, void *context)
{
    give_back *g = context;
    bool known = g->keep->objects != NULL;
    bool library_bss = !known && !m->file && g->file_end == m->start && !m->heap;
    /* A library's data is a private mapping of its file; a shared one
     * (cordon's own setup record, any shmem) is no library's, and what
     * follows it is no .bss. */
    g->file_end = m->file && !m->shared ? m->end : 0;
    if (!private_memory(m) || (m->file && !known) || library_bss)
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
    give_back_batch(&g);
    return rc < 0 ? rc : g.given;
}
