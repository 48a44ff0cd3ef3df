/* C++ names in backtraces and profiles, demangled for people. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Longer mangled names are shown as they are. */
#define MANGLED_MAX 1024

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
    if (len < 3 || len > MANGLED_MAX || strncmp(name, "_Z", 2) != 0)
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
