/*
 * What a command's give-back (sandbox/memory_give_back.c) keeps of the
 * caller's loaded objects: what the code that runs after it may use.
 * That code (the filter's install, the exec, cordon's init reaping until
 * the end) is cordon's, calling libc's functions, and reads no global of
 * cordon's, of the program's or of any other library's.  But a call of
 * libc's may be taken by an object that comes before libc in the
 * lookup order and defines the same function: the program, an
 * LD_PRELOAD shim (a clock_gettime or an execve of its own), a library
 * the program needs.  So:
 *  - libc's and the loader's segments are kept whole (their data, their
 *    .bss), and so are those of every object between the program and
 *    libc in the loader's list (a shim keeps the real function it passes
 *    a call on to in a pointer of its .bss);
 *  - of the program, and of cordon's own object, the part backed by its
 *    file: its GOT, through which its calls go (-fno-plt), its relocated
 *    data; their .bss is given back (kept, a program's own zero-filled
 *    arrays, 256 MiB of them, were the figure of its every command, and
 *    made cordon's init the largest process for the OOM killer);
 *  - the objects after libc (loaded by dlopen: a Python caller's
 *    extension modules), which can take no call of libc's, are given back
 *    whole, and so is every private mapping of a file that is no object's
 *    (a caller's data file mapped for copy-on-write and written: 200 MiB
 *    of them were /bin/true's figure).  Given back, such a part reads as
 *    its file again: an interposing shim whose GOT read so crashed every
 *    command task, which is why the objects before libc keep theirs.
 * In a static program libc is the program, which is then kept whole.
 *
 * A .bss past its data's last page is an anonymous mapping of its own,
 * and anonymous mappings next to each other merge: memory the caller's
 * allocator placed right after a library's data (Python's arenas,
 * jemalloc's extents) joins that mapping.  Told where each kept object
 * ends, the give-back keeps just that and gives the rest back; without
 * this list it keeps every file mapping and each anonymous mapping that
 * follows one.
 *
 * Parent side, listed once per process: a walk of the loader's list at
 * every command's start was a walk a copy the caller forked beside it
 * could catch half-done (sandbox/loaded_objects_walk.h).
 */
#include <gnu/libc-version.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/loaded_objects_walk.h"

/* The objects kept: the loader, at AT_BASE (0 for a static program, which
 * has none), libc, found by an address in its data (a function's address
 * could be a program's PLT stub), and cordon's own, by an address in its
 * .bss. */
typedef struct kept_objects {
    uintptr_t loader_base;
    uintptr_t in_libc;
    uintptr_t in_cordon;
} kept_objects;

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

/* How much of each loadable segment of an object is kept. */
typedef enum kept_part { KEEP_NONE, KEEP_FILE_PART, KEEP_WHOLE } kept_part;

/* `libc`: the object is libc; `index`: its place in the loader's list (0:
 * the program); `before_libc`: libc not yet met there. */
static kept_part part_kept(const struct dl_phdr_info *info, const kept_objects *keep, bool libc,
                           size_t index, bool before_libc)
{
    if ((keep->loader_base && info->dlpi_addr == keep->loader_base) || libc)
        return KEEP_WHOLE;
    if (before_libc)
        return index == 0 ? KEEP_FILE_PART : KEEP_WHOLE;
    return holds(info, keep->in_cordon) ? KEEP_FILE_PART : KEEP_NONE;
}

/* A few segments each of libc, the loader, cordon's object and the objects
 * before libc (a program, its preloads and the libraries it needs), with
 * room to spare; past it, nothing of any file mapping is given back. */
#define MOST_KEPT_SEGMENTS 256

typedef struct collected {
    cordon__address_range ranges[MOST_KEPT_SEGMENTS];
    size_t count;
    uintptr_t page_mask;
    bool overflowed;
    bool libc_met;
    size_t objects_met;
    kept_objects keep;
} collected;

/* Each loadable segment of a kept object, in whole pages: whole, or the
 * part its file backs (its .bss, past p_filesz, left out). */
static int collect_object(struct dl_phdr_info *info, size_t size, void *context)
{
    (void)size;
    collected *c = context;
    bool libc = holds(info, c->keep.in_libc);
    kept_part part = part_kept(info, &c->keep, libc, c->objects_met++, !c->libc_met);
    c->libc_met = c->libc_met || libc;
    if (part == KEEP_NONE)
        return 0;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        ElfW(Xword) size_kept = part == KEEP_WHOLE ? segment->p_memsz : segment->p_filesz;
        if (segment->p_type != PT_LOAD || size_kept == 0)
            continue;
        if (c->count == MOST_KEPT_SEGMENTS) {
            c->overflowed = true;
            return 1; /* stops the iteration */
        }
        uintptr_t start = info->dlpi_addr + segment->p_vaddr;
        uintptr_t end = start + size_kept;
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

/* libc, the loader and cordon stay where they are for the life of the
 * process: their list is made once, not walked again at every command's
 * start. */
static collected listed;
static pthread_once_t listing = PTHREAD_ONCE_INIT;

static void list_once(void)
{
    collected *c = &listed;
    /* From the start: a copy forked while another thread was listing
     * lists again (pthread_once runs it anew there) over a part-list. */
    c->count = 0;
    c->overflowed = false;
    c->libc_met = false;
    c->objects_met = 0;
    c->page_mask = (uintptr_t)sysconf(_SC_PAGESIZE) - 1;
    c->keep = (kept_objects){ (uintptr_t)getauxval(AT_BASE),
                              (uintptr_t)gnu_get_libc_version(), (uintptr_t)&listing };
    cordon__walk_loaded_objects(collect_object, c);
    qsort(c->ranges, c->count, sizeof *c->ranges, by_start);
    /* Sorted and apart, for the child's binary search. */
    size_t merged = 0;
    for (size_t i = 0; i < c->count; i++) {
        if (merged && c->ranges[i].start <= c->ranges[merged - 1].end) {
            if (c->ranges[i].end > c->ranges[merged - 1].end)
                c->ranges[merged - 1].end = c->ranges[i].end;
        } else {
            c->ranges[merged++] = c->ranges[i];
        }
    }
    c->count = merged;
}

/* At the program's start (or the library's loading), before the caller's
 * threads start commands and fork copies. */
__attribute__((constructor)) static void list_from_the_start(void)
{
    pthread_once(&listing, list_once);
}

const cordon__address_range *cordon__kept_object_ranges(size_t *count, bool *complete)
{
    pthread_once(&listing, list_once);
    *count = listed.count;
    *complete = !listed.overflowed;
    return listed.ranges;
}
