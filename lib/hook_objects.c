/*
 * The objects a function task's set-up hook left loaded (a plugin it
 * dlopen'd), recorded in the child after the hook returns so that the
 * parent can name the frames of a crash in them: the parent never mapped
 * them.  The record is made by cordon's code, but from the loader's list,
 * which the code the hook loaded could have changed: the parent treats it
 * as the task's word (lib/symbolize.c checks and reads it).
 */
#include <limits.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../sandbox/loaded_objects_walk.h"

static int count_one(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)info;
    (void)size;
    (*(int *)data)++;
    return 0;
}

int cordon__loaded_object_count(void)
{
    int count = 0;
    cordon__walk_loaded_objects(count_one, &count);
    return count;
}

typedef struct recording {
    cordon__setup_record *setup;
    int index, before;
} recording;

/* dlopen appends to the loader's list: the hook's objects come last. */
static int record_one(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    recording *r = data;
    if (r->index++ < r->before || r->setup->hook_object_count >= CORDON_HOOK_OBJECTS ||
        !info->dlpi_name || !info->dlpi_name[0])
        return 0;
    cordon__loaded_object object = { .base = info->dlpi_addr, .start = UINT64_MAX };
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !ph->p_memsz)
            continue;
        uint64_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        object.start = start < object.start ? start : object.start;
        object.end = end > object.end ? end : object.end;
    }
    /* A name as dlopen was given it ("./plugin.so") is resolved now, in
     * the working directory it was loaded from. */
    char resolved[PATH_MAX];
    const char *path = info->dlpi_name[0] == '/' ? info->dlpi_name
                                                 : realpath(info->dlpi_name, resolved);
    if (!path || strlen(path) >= sizeof object.path || object.start >= object.end)
        return 0;
    memcpy(object.path, path, strlen(path) + 1);
    r->setup->hook_objects[r->setup->hook_object_count++] = object;
    return 0;
}

void cordon__record_loaded_objects(cordon__setup_record *setup, int before)
{
    recording r = { .setup = setup, .before = before };
    cordon__walk_loaded_objects(record_one, &r);
}
