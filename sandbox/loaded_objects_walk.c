/*
 * cordon's walks of the loader's list and the caller's forks kept apart
 * (loaded_objects_walk.h): walks are the readers of a gate that every
 * fork takes for itself from before it is made to its end (fork_reset.h).
 */
#include <pthread.h>

#include "fork_reset.h"
#include "loaded_objects_walk.h"

static pthread_rwlock_t walks = PTHREAD_RWLOCK_INITIALIZER;
CORDON__HELD_ACROSS_FORKS(&walks);

int cordon__walk_loaded_objects(cordon__loaded_object_visit *visit, void *data)
{
    cordon__fork_reset_watch();
    pthread_rwlock_rdlock(&walks);
    int rc = dl_iterate_phdr(visit, data);
    pthread_rwlock_unlock(&walks);
    return rc;
}
