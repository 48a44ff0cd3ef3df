/*
 * The devices through which a process serves file systems or devices
 * from user space, /dev/fuse and /dev/cuse, covered in a task's view of
 * the caller's /dev (a minimal /dev has neither).
 *
 * A request to such a server waits for its answer in a way no signal
 * ends, SIGKILL included, as long as an fd of the device is open: a task
 * under --policy none made a user namespace, mounted a FUSE file system
 * of its own (/dev/fuse is every user's), kept the device's fd and read a
 * page its server never served; its deadline passed, its init could not
 * end it, the caller waited for good, and killed, left the init and the
 * task behind.  A path the parent reads from a task's memory would wait
 * the same.  Each is covered by a read-only bind of /dev/null: opened, it
 * is the null device, and no file system mounts with it.  A task that
 * needs FUSE is given the device with --bind /dev/fuse /dev/fuse (a bind
 * onto the device's path is left as it is), its user then trusting it
 * not to hang.  The same names in a bind's target are covered too, for a
 * bind of the caller's /dev (--bind /dev /mnt/dev); a regular file or a
 * directory of that name is no device and left alone.
 *
 * Runs in the init, after the task's binds: plain system calls only.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "confine.h"

static bool bound_onto(const char *path, const cordon__bind *binds, size_t bind_count)
{
    for (size_t i = 0; i < bind_count; i++)
        if (strcmp(binds[i].target, path) == 0)
            return true;
    return false;
}

/* The device at `path`, if it is one of these, covered. */
static int cover(const char *path, const cordon__bind *binds, size_t bind_count)
{
    struct stat st;
    if (bound_onto(path, binds, bind_count) || lstat(path, &st) != 0 || !S_ISCHR(st.st_mode))
        return 0; /* asked for, or none here: nothing to cover */
    if (mount("/dev/null", path, NULL, MS_BIND, NULL) != 0)
        return -errno;
    if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
              NULL) != 0)
        return -errno;
    return 0;
}

int cordon__cover_user_space_devices(const cordon__bind *binds, size_t bind_count)
{
    static const char *const names[] = { "fuse", "cuse" };
    int rc = 0;
    for (unsigned n = 0; n < sizeof names / sizeof *names && rc == 0; n++) {
        char path[PATH_MAX];
        memcpy(path, "/dev/", 5);
        memcpy(path + 5, names[n], 5);
        rc = cover(path, binds, bind_count);
        /* And where a bind brings a /dev along: --bind /dev /mnt/dev. */
        for (size_t b = 0; b < bind_count && rc == 0; b++) {
            size_t length = strlen(binds[b].target);
            if (length + 6 >= sizeof path)
                continue;
            memcpy(path, binds[b].target, length);
            path[length] = '/';
            memcpy(path + length + 1, names[n], 5);
            rc = cover(path, binds, bind_count);
        }
    }
    return rc;
}
