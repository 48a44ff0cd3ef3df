/*
 * A preloaded shim that takes calls of libc's, as LD_PRELOAD objects do
 * (a fake clock, a tracer): its own clock_gettime and execve, each going
 * on through its GOT and a pointer it keeps.  Built with -z now, so that
 * the GOT is written at its loading.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
#include <unistd.h>

int clock_gettime(clockid_t clock, struct timespec *at);
int execve(const char *path, char *const argv[], char *const envp[]);

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_execve)(const char *, char *const[], char *const[]);

__attribute__((constructor)) static void find_the_real_ones(void)
{
    real_clock_gettime = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
                                                                      "clock_gettime");
    real_execve = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT,
                                                                           "execve");
}

int clock_gettime(clockid_t clock, struct timespec *at)
{
    return real_clock_gettime(clock, at);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
    return real_execve(path, argv, envp);
}
