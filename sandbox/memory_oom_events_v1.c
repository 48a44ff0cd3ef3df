/*
 * Which memory limit fired, under cgroup v1.  v1 counts an OOM kill in the
 * victim's cgroup only and keeps no count of which limit was reached:
 * a task whose page cache once filled its own limit (which kills
 * nothing) and whose process an enclosing limit (a container's) later
 * killed read as its own MemoryLimit.  v1 does notify, through an eventfd
 * registered on a cgroup's memory.oom_control, every OOM of that cgroup
 * and of each cgroup above it.  A task's limited cgroup sits in one of
 * cordon's with no limit (cgroup.c): an OOM the task's cgroup saw and that
 * one did not was its own limit's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cgroup.h"

static int open_in(const char *dir, const char *name, int flags)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd;
    do
        fd = open(path, flags | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    return fd;
}

int cordon__v1_oom_watch(const char *dir)
{
    int events = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int control = open_in(dir, "cgroup.event_control", O_WRONLY);
    int oom_control = open_in(dir, "memory.oom_control", O_RDONLY);
    int watched = -1;
    if (events >= 0 && control >= 0 && oom_control >= 0) {
        char line[32];
        int len = snprintf(line, sizeof line, "%d %d", events, oom_control);
        ssize_t n;
        do
            n = write(control, line, (size_t)len);
        while (n < 0 && errno == EINTR);
        if (n == len)
            watched = events;
    }
    /* The registration holds what it needs; these fds are done with. */
    if (control >= 0)
        close(control);
    if (oom_control >= 0)
        close(oom_control);
    if (watched < 0 && events >= 0)
        close(events);
    return watched;
}

uint64_t cordon__v1_oom_count(int watch)
{
    uint64_t count = 0;
    ssize_t n;
    do
        n = read(watch, &count, sizeof count);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof count ? count : 0; /* EAGAIN: none */
}
