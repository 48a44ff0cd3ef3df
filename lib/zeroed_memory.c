/* Zeroed memory for what each task allocates and frees.  glibc's calloc
 * takes nothing from its per-thread cache, while free gives to it: every
 * calloc of a task went to the allocator's shared state and every free
 * past the cache's few slots came back to it, writing its bins and the
 * chunks' neighbours on pages of their own.  Each page of the caller's
 * written after a task's fork is a copy-on-write fault while the task
 * lives (13-45 us each on a machine whose page tables the hypervisor
 * keeps); malloc and memset reuse what the last task freed. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void *cordon__zeroed(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    void *memory = malloc(count * size);
    if (!memory)
        return NULL;
    /* Else the compiler makes the pair a calloc again. */
    __asm__("" : "+r"(memory));
    return memset(memory, 0, count * size);
}
