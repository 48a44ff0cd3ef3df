/* glibc's list of loaded objects, walked where no fork can catch the
 * walk.  dl_iterate_phdr holds the loader's write lock while it walks,
 * and glibc's fork does not make that lock anew in the copy: a copy
 * forked while a thread of cordon's walked the list (a crash report
 * naming its frames, the profiler) found it held for good, and its own
 * walk, or any dlopen it made (Python importing a module), waited for
 * ever.  A fork waits for cordon's walks to end, and none starts until
 * it is made (fork_reset.h). */
#ifndef CORDON_SANDBOX_LOADED_OBJECTS_WALK_H
#define CORDON_SANDBOX_LOADED_OBJECTS_WALK_H

#include <link.h>

typedef int cordon__loaded_object_visit(struct dl_phdr_info *info, size_t size, void *data);

/* dl_iterate_phdr(visit, data), between two forks. */
int cordon__walk_loaded_objects(cordon__loaded_object_visit *visit, void *data);

#endif
