/*
 * Kernel objects counted per user and held by no rlimit or cgroup:
 * inotify instances and watches, fanotify groups and marks.  A task of
 * the caller's user that made all it could (128 inotify instances here)
 * left none to the caller and every other process of that user for as
 * long as it lived.  A user namespace has limits of its own, and what is
 * made in it counts against its parent's too: the task's namespace (made
 * with no limit of its own) gets a quarter of what the machine gives a
 * user, so that one task cannot take the rest.  A task without a user
 * namespace (a root caller's) is not held so (README, "What it does not
 * defend against").
 *
 * Child side, in the child that made the namespaces while it is root in
 * the new user namespace: async-signal-safe, and best effort (an older
 * kernel has no such file; the task then runs as before).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "confine.h"

static long read_number(int proc_fd, const char *path)
{
    char text[32];
    int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n;
    do
        n = read(fd, text, sizeof text - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    long value = 0;
    ssize_t i = 0;
    for (; i < n && text[i] >= '0' && text[i] <= '9' && value < 1000000000L; i++)
        value = value * 10 + (text[i] - '0');
    return i > 0 ? value : -1;
}

static void write_number(int proc_fd, const char *path, long value)
{
    char digits[24], *at = digits + sizeof digits;
    *--at = '\n';
    do
        *--at = (char)('0' + value % 10);
    while ((value /= 10) > 0);
    int fd = openat(proc_fd, path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n;
    do
        n = write(fd, at, (size_t)(digits + sizeof digits - at));
    while (n < 0 && errno == EINTR);
    close(fd);
}

void cordon__share_per_user_limits(int proc_fd)
{
    static const struct {
        const char *machine, *namespace;
    } limits[] = {
        { "sys/fs/inotify/max_user_instances", "sys/user/max_inotify_instances" },
        { "sys/fs/inotify/max_user_watches", "sys/user/max_inotify_watches" },
        { "sys/fs/fanotify/max_user_groups", "sys/user/max_fanotify_groups" },
        { "sys/fs/fanotify/max_user_marks", "sys/user/max_fanotify_marks" },
    };
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
        long per_user = read_number(proc_fd, limits[i].machine);
        if (per_user > 0)
            write_number(proc_fd, limits[i].namespace, per_user / 4 > 0 ? per_user / 4 : 1);
    }
}
