/* C++ names in backtraces and profiles, demangled for people. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Longer mangled names are shown as they are. */
#define MANGLED_MAX 1024

/* So are names with more back-references than this ("S0_", "T_": an
 * earlier part of the name, repeated): a name is read from the caller's
 * object's file, which a task of its user may replace, and each reference
 * can repeat all the references before it, so that 515 bytes demangled to
 * some 200 MB (allocated whole by the demangler, in the caller, to be cut
 * to one line).  With at most 16 the name grows at most some 350-fold
 * (3 references a level is the most a level can grow by reference);
 * libstdc++'s own names have at most 7. */
#define REFERENCES_MAX 16

/* Counts "S<seq-id>_" and "T<seq-id>_" (<seq-id>: base-36 digits, maybe
 * none); too many, whatever else they are, only costs the demangling. */
static bool too_many_references(const char *name, int len)
{
    int references = 0;
    for (int i = 0; i < len; i++) {
        if (name[i] != 'S' && name[i] != 'T')
            continue;
        int j = i + 1;
        while (j < len && ((name[j] >= '0' && name[j] <= '9') || (name[j] >= 'A' && name[j] <= 'Z')))
            j++;
        if (j < len && name[j] == '_' && ++references > REFERENCES_MAX)
            return true;
    }
    return false;
}

typedef char *(*demangler_fn)(const char *mangled, char *buf, size_t *len, int *status);

static demangler_fn demangler;
static pthread_once_t demangler_once = PTHREAD_ONCE_INIT;

/* libstdc++'s own demangler, where the caller's process has it already (a
 * C++ program): cordon adds no dependency, and a C caller sees the names
 * as they are. */
static void find_demangler(void)
{
    void *found = dlsym(RTLD_DEFAULT, "__cxa_demangle");
    memcpy(&demangler, &found, sizeof demangler);
}

bool cordon__demangle(const char *name, int len, char *out, size_t size)
{
    if (len < 3 || len > MANGLED_MAX || strncmp(name, "_Z", 2) != 0 ||
        too_many_references(name, len))
        return false;
    pthread_once(&demangler_once, find_demangler);
    if (!demangler)
        return false;
    char mangled[MANGLED_MAX + 1];
    memcpy(mangled, name, (size_t)len);
    mangled[len] = '\0';
    int status = -1;
    char *plain = demangler(mangled, NULL, NULL, &status);
    bool done = status == 0 && plain;
    if (done)
        snprintf(out, size, "%s", plain);
    free(plain);
    return done;
}
