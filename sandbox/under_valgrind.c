/*
 * Whether this process runs on valgrind's synthetic CPU, which a task's
 * set-up must know of in two places: valgrind's own heap and translations
 * are private anonymous mappings of the process, which a command's
 * give-back of the caller's memory would take from under it (every such
 * command died of SIGSEGV under memcheck), and valgrind does not know the
 * kernel's PROCMAP_QUERY, so the names the kernel writes for it are
 * undefined to memcheck (every function task's sweep was an error, and
 * its process ended in valgrind's error status).
 *
 * Asked with valgrind's own client request where its header was there at
 * the build (a few instructions that do nothing on a real CPU), else from
 * the preload valgrind puts into every program it runs.  Read once, in
 * the parent, before any child needs it: the child only reads the answer.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "confine.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CLIENT_REQUEST_THERE 1
#endif
#endif

/* The client request's answer is definite.  The preload is asked only
 * where the request is not there to ask: LD_PRELOAD is anyone's to set,
 * and a library of another's named so cost a command its give-back. */
static bool running_on_valgrind(void)
{
#ifdef CLIENT_REQUEST_THERE
    return RUNNING_ON_VALGRIND != 0;
#else
    const char *preload = getenv("LD_PRELOAD");
    return preload && strstr(preload, "/vgpreload_core-");
#endif
}

enum { NOT_ASKED, NO, YES };
static int answer = NOT_ASKED;

bool cordon__under_valgrind(void)
{
    int known = __atomic_load_n(&answer, __ATOMIC_RELAXED);
    if (known != NOT_ASKED)
        return known == YES;
    bool under = running_on_valgrind();
    __atomic_store_n(&answer, under ? YES : NO, __ATOMIC_RELAXED);
    return under;
}
