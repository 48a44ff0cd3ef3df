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
 * init's stack, the copied exec data) is in `keep`; a library's .bss (an
 * anonymous mapping directly after a file mapping, its .data) holds
 * libc's and cordon's own globals and is kept too, as are the kernel's
 * own mappings ([vdso], [vvar]).
 *
 * Child side, so async-signal-safe: nothing is allocated.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "confine.h"

typedef struct give_back {
    const cordon__address_range *keep;
    size_t keep_count;
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

/* The first kept range (whole pages) overlapping [from, end), if any. */
static bool next_kept(const give_back *g, uintptr_t from, uintptr_t end,
                      cordon__address_range *found)
{
    bool any = false;
    for (size_t i = 0; i < g->keep_count; i++) {
        uintptr_t start = g->keep[i].start & ~g->page_mask;
        uintptr_t stop = (g->keep[i].end + g->page_mask) & ~g->page_mask;
        if (start < end && from < stop && (!any || start < found->start)) {
            *found = (cordon__address_range){ start, stop };
            any = true;
        }
    }
    return any;
}

/* Only the kept ranges of a mapping stay, not the whole of it: anonymous
 * mappings next to each other merge, and the TLS of the caller's thread
 * may share one with the caller's own data. */
static void give_back_one(const cordon__mapping *m, void *context)
{
    give_back *g = context;
    bool library_bss = g->file_end == m->start && !m->heap;
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

long cordon__give_back_private_memory(int maps_fd, const cordon__address_range *keep,
                                      size_t keep_count)
{
    give_back g = {
        .keep = keep, .keep_count = keep_count, .page_mask = (uintptr_t)sysconf(_SC_PAGESIZE) - 1,
    };
    int rc = cordon__walk_mappings(maps_fd, false, give_back_one, &g);
    return rc < 0 ? rc : g.given;
}
