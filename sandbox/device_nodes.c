/*
 * Device nodes open only where the task's view serves devices: /dev and
 * what the task was given from it.
 *
 * A device node outside /dev opens the device as one inside does, with
 * only its file's mode to stop it: one that root made elsewhere (a
 * chroot's dev/ on disk, a copy of /dev/fuse or of a disk in a directory
 * every user can reach) gave a task what its view of /dev was built to
 * withhold, a FUSE device among them, whose server's waits outlast
 * SIGKILL (sandbox/covered_devices.c).  Every mount of the view is made
 * nodev, as bubblewrap and nsjail make their binds, then devices are
 * allowed again where they belong:
 *  - /dev, and everything mounted beneath it (the caller's /dev with the
 *    task's own terminals, or a minimal /dev), but the task's own /dev/shm
 *    and /dev/mqueue, which were mounted nodev and stay so (another nodev
 *    mount of the caller's beneath /dev loses its nodev: finding it would
 *    take a walk of /dev, some 100 looks a task);
 *  - a bind whose source is a device node, or lies in /dev
 *    (--bind /dev/kvm /dev/kvm, --bind /dev /mnt/dev): asked for by name.
 * A bind of any other directory brings its files but not its devices,
 * wherever it is bound.
 *
 * Where /dev is no mount of its own (a directory of the root file
 * system), it is bound onto itself first, so that the devices it holds
 * are allowed without the rest of that file system's.  A kernel without
 * mount_setattr(2) (before 5.12) leaves the view as it was.
 *
 * Runs in the init, last of its mounts: plain system calls only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

/* mount_setattr(2) (Linux 5.12), declared here as namespaces.c does: C
 * libraries before glibc 2.36 have no declaration of it. */
struct node_attributes {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#define NODE_ATTRIBUTE_NO_DEVICES 0x00000004 /* MOUNT_ATTR_NODEV */
#define MOUNT_ROOT_ATTRIBUTE 0x00002000      /* STATX_ATTR_MOUNT_ROOT */

static int set_no_devices(const char *path, bool on, unsigned flags)
{
    struct node_attributes attributes = { 0 };
    if (on)
        attributes.attr_set = NODE_ATTRIBUTE_NO_DEVICES;
    else
        attributes.attr_clr = NODE_ATTRIBUTE_NO_DEVICES;
    if (syscall(SYS_mount_setattr, AT_FDCWD, path, flags, &attributes, sizeof attributes) != 0)
        return -errno;
    return 0;
}

static bool is_mount_root(const char *path)
{
    struct statx st;
    if (syscall(SYS_statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, 0, &st) != 0)
        return false;
    return (st.stx_attributes_mask & MOUNT_ROOT_ATTRIBUTE) &&
           (st.stx_attributes & MOUNT_ROOT_ATTRIBUTE);
}

/* EPERM: this mount keeps its nodev locked (below); it stays so. */
static int clear_one(const char *path)
{
    int rc = set_no_devices(path, false, AT_SYMLINK_NOFOLLOW);
    return rc == -EPERM ? 0 : rc;
}

/* `path` (where it is a mount's root) and each mount right beneath it
 * cleared one by one. */
static int clear_each_mount_at(const char *path)
{
    int rc = is_mount_root(path) ? clear_one(path) : 0;
    int dir = rc < 0 ? -1
                     : (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return rc;
    char entries[4096] __attribute__((aligned(8))), child[PATH_MAX];
    size_t length = strcmp(path, "/") == 0 ? 0 : strlen(path);
    long got;
    while (rc == 0 && (got = syscall(SYS_getdents64, dir, entries, sizeof entries)) > 0)
        for (long at = 0; at < got && rc == 0;) {
            const struct cordon__raw_dirent *e = (const void *)(entries + at);
            at += e->length;
            size_t name = strlen(e->name);
            if ((e->name[0] == '.' && (!e->name[1] || (e->name[1] == '.' && !e->name[2]))) ||
                length + 1 + name >= sizeof child)
                continue;
            memcpy(child, path, length);
            child[length] = '/';
            memcpy(child + length + 1, e->name, name + 1);
            if (is_mount_root(child))
                rc = clear_one(child);
        }
    close(dir);
    return rc;
}

/* Devices allowed again beneath `path`, a mount's root.  One call for the
 * whole tree, which the kernel makes all or nothing: where one mount of
 * it keeps its nodev locked (the caller's own mount was nodev, and a user
 * namespace's copy may not lose it: a nobody caller's /dev/shm on a
 * systemd machine, a task's /dev/shm seen by a cordon run inside a task),
 * /dev and the mounts right beneath it one by one (the whole call
 * refused, the task could open not even /dev/null). */
static int allow_devices(const char *path)
{
    int rc = set_no_devices(path, false, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW);
    return rc == -EPERM ? clear_each_mount_at(path) : rc;
}

/* /dev a mount of its own, so that its devices can be allowed apart from
 * the file system it lies on. */
static int dev_as_a_mount(void)
{
    struct stat st;
    if (lstat("/dev", &st) != 0 || !S_ISDIR(st.st_mode))
        return 0; /* no /dev: no devices to allow */
    if (!is_mount_root("/dev") && mount("/dev", "/dev", NULL, MS_BIND | MS_REC, NULL) != 0)
        return -errno;
    return 1;
}

static bool from_dev(const cordon__bind *bind)
{
    if (strncmp(bind->source, "/dev", 4) == 0 &&
        (bind->source[4] == '\0' || bind->source[4] == '/'))
        return true;
    struct stat st;
    return lstat(bind->target, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));
}

/* The task's own shared memory and message queues, mounted nodev by the
 * init (lib/task_init.c), stay so: the clear of /dev took it off. */
static int own_mounts_nodev_again(void)
{
    static const char *const own[] = { "/dev/shm", "/dev/mqueue" };
    int rc = 0;
    for (size_t i = 0; i < sizeof own / sizeof *own && rc == 0; i++)
        if (is_mount_root(own[i]))
            rc = set_no_devices(own[i], true, AT_SYMLINK_NOFOLLOW);
    return rc;
}

int cordon__devices_only_in_dev(const cordon__bind *binds, size_t bind_count)
{
    int dev = dev_as_a_mount();
    if (dev < 0)
        return dev;
    int rc = set_no_devices("/", true, AT_RECURSIVE);
    if (rc == -ENOSYS)
        return 0;
    if (rc == 0 && dev)
        rc = allow_devices("/dev");
    /* In the order they were mounted, each over what came before: a bind
     * of another directory onto a path in /dev brings no devices either,
     * and one from /dev beneath another bind's target brings its own. */
    for (size_t i = 0; i < bind_count && rc == 0; i++)
        rc = from_dev(&binds[i]) ? allow_devices(binds[i].target)
                                 : set_no_devices(binds[i].target, true,
                                                  AT_RECURSIVE | AT_SYMLINK_NOFOLLOW);
    return rc == 0 && dev ? own_mounts_nodev_again() : rc;
}
