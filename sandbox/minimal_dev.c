/*
 * A /dev of the task's own (bwrap's --dev): a small tmpfs holding the few
 * devices every program may use and nothing else — no disks, no
 * /dev/mem, no kvm, no other terminals — made by the task's init in its
 * mount namespace, over the caller's /dev.
 *
 * The device nodes are made with mknod where the init may (root without
 * a user namespace): six nodes cost about half the CPU time of six binds,
 * made and torn down with the namespace (48 against 92 us, measured).  In
 * a user namespace, which may not mknod, they are the caller's nodes,
 * bound one by one.  The
 * terminals are a devpts instance of the task's own, so that it can make
 * pseudo-terminals (script, expect, a REPL) without seeing the caller's.
 * /dev itself ends read-only; /dev/shm is a tmpfs the task may write.
 *
 * Runs in the init: plain system calls only, nothing allocated.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine.h"

static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };
#define DEVICE_COUNT (sizeof devices / sizeof *devices)

static const struct { const char *name, *target; } links[] = {
    { "/dev/fd", "/proc/self/fd" },      { "/dev/stdin", "/proc/self/fd/0" },
    { "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" },
};

/* "/proc/self/fd/N" without snprintf, which is not async-signal-safe. */
static void fd_path(char out[32], int fd)
{
    static const char prefix[] = "/proc/self/fd/";
    char digits[12];
    size_t count = 0, len = sizeof prefix - 1;
    do
        digits[count++] = (char)('0' + fd % 10);
    while ((fd /= 10) != 0);
    for (size_t i = 0; i < len; i++)
        out[i] = prefix[i];
    while (count)
        out[len++] = digits[--count];
    out[len] = '\0';
}

static void path_in_dev(char out[32], const char *name)
{
    static const char prefix[] = "/dev/";
    size_t len = 0;
    for (const char *p = prefix; *p; p++)
        out[len++] = *p;
    while (*name && len < 31)
        out[len++] = *name++;
    out[len] = '\0';
}

static void close_all(int *fds, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* The same device as the caller's node, with its mode; or, where mknod
 * is refused, an empty file with the caller's node bound over it (by the
 * fd opened before the tmpfs hid the node). */
static int make_device(const char *name, int node_fd)
{
    char target[32], source[32];
    path_in_dev(target, name);
    struct stat node;
    if (fstat(node_fd, &node) != 0)
        return -errno;
    if (!S_ISCHR(node.st_mode))
        return -ENODEV;
    if (mknod(target, S_IFCHR | 0600, node.st_rdev) == 0)
        return chmod(target, node.st_mode & 0777) == 0 ? 0 : -errno;
    if (errno != EPERM)
        return -errno;
    fd_path(source, node_fd);
    int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        return -errno;
    close(fd);
    if (mount(source, target, NULL, MS_BIND, NULL) != 0)
        return -errno;
    return 0;
}

/* A devpts of its own: none of the caller's terminals in it.  No gid=
 * option: the tty group may not be mapped in a user namespace.  Where the
 * kernel refuses one (before Linux 4.7 in a user namespace, or a
 * container's policy) the task has no pseudo-terminals: less to use, not
 * less confinement. */
static int make_terminals(const char *devpts_options)
{
    if (mkdir("/dev/pts", 0755) != 0)
        return -errno;
    if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, devpts_options) != 0) {
        int refused = errno;
        if (refused != EPERM && refused != EACCES && refused != EINVAL && refused != ENODEV)
            return -refused;
        return rmdir("/dev/pts") == 0 ? 0 : -errno;
    }
    return symlink("pts/ptmx", "/dev/ptmx") == 0 ? 0 : -errno;
}

static int make_terminals_and_shm(const char *shm_options, const char *devpts_options)
{
    int rc = make_terminals(devpts_options);
    if (rc < 0)
        return rc;
    if (mkdir("/dev/shm", 01777) != 0)
        return -errno;
    if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, shm_options) != 0)
        return -errno;
    for (size_t i = 0; i < sizeof links / sizeof *links; i++)
        if (symlink(links[i].target, links[i].name) != 0)
            return -errno;
    return 0;
}

static int fill_dev(const int *node_fds, const char *shm_options, const char *devpts_options)
{
    if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") != 0)
        return -errno;
    int rc = 0;
    for (size_t i = 0; i < DEVICE_COUNT && rc == 0; i++)
        rc = make_device(devices[i], node_fds[i]);
    if (rc == 0)
        rc = make_terminals_and_shm(shm_options, devpts_options);
    /* Nothing more can be made in /dev; its submounts keep their own
     * flags (shm and pts stay writable). */
    if (rc == 0 && mount(NULL, "/dev", NULL,
                         MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) != 0)
        rc = -errno;
    return rc;
}

int cordon__mount_minimal_dev(const char *shm_options, const char *devpts_options)
{
    int node_fds[DEVICE_COUNT];
    for (size_t i = 0; i < DEVICE_COUNT; i++)
        node_fds[i] = -1;
    int rc = 0;
    for (size_t i = 0; i < DEVICE_COUNT && rc == 0; i++) {
        char path[32];
        path_in_dev(path, devices[i]);
        if ((node_fds[i] = open(path, O_PATH | O_CLOEXEC)) < 0)
            rc = -errno;
    }
    if (rc == 0)
        rc = fill_dev(node_fds, shm_options, devpts_options);
    close_all(node_fds, DEVICE_COUNT);
    return rc;
}
