/*
 * Devices of the caller's /dev covered in a task's view of it by a
 * read-only bind of /dev/null: opened, each is the null device, and no
 * file system mounts with it.
 *
 * /dev/fuse and /dev/cuse, through which a process serves file systems or
 * devices from user space.  A request to such a server waits for its
 * answer in a way no signal ends, SIGKILL included, as long as an fd of
 * the device is open: a task under --policy none made a user namespace,
 * mounted a FUSE file system of its own (/dev/fuse is every user's), kept
 * the device's fd and read a page its server never served; its deadline
 * passed, its init could not end it, the caller waited for good, and
 * killed, left the init and the task behind.  A path the parent reads
 * from a task's memory would wait the same.  A task that needs FUSE is
 * given the device with --bind /dev/fuse /dev/fuse (a bind onto the
 * device's path is left as it is), its user then trusting it not to hang.
 *
 * The caller's own terminals that are no pseudo-terminal of /dev/pts
 * (which the task's own devpts replaces: sandbox/own_pts.c) — a virtual
 * console, a serial line, /dev/console — named by the parent
 * (lib/caller_terminals.c).  A task of the terminal's owner (a root caller's,
 * a user logged in on a console) opened the caller's /dev/tty9 by name,
 * set its interrupt key to a letter the console then typed into it, and
 * the caller died of SIGINT; tcflow(TCOOFF) froze the caller's output.
 * Each is covered only while its node is still that device.
 *
 * The same names in a bind's target are covered too, for a bind of the
 * caller's /dev (--bind /dev /mnt/dev), under a minimal /dev as well,
 * where only they are (it gave the task /mnt/dev/fuse); a regular file or
 * a directory of that name is no device and left alone.
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

/* The device at `path`, if it is one (and `device`, unless 0), covered. */
static int cover(const char *path, dev_t device, const cordon__bind *binds, size_t bind_count)
{
    struct stat st;
    if (bound_onto(path, binds, bind_count) || lstat(path, &st) != 0 || !S_ISCHR(st.st_mode) ||
        (device && st.st_rdev != device))
        return 0; /* asked for, or none here: nothing to cover */
    if (mount("/dev/null", path, NULL, MS_BIND, NULL) != 0)
        return -errno;
    if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
              NULL) != 0)
        return -errno;
    return 0;
}

/* /dev/NAME (unless `in_dev` is false) and NAME beneath each bind's
 * target. */
static int cover_everywhere(const char *name, dev_t device, bool in_dev, const cordon__bind *binds,
                            size_t bind_count)
{
    size_t name_length = strlen(name);
    char path[PATH_MAX];
    memcpy(path, "/dev/", 5);
    memcpy(path + 5, name, name_length + 1);
    int rc = in_dev ? cover(path, device, binds, bind_count) : 0;
    /* And where a bind brings a /dev along: --bind /dev /mnt/dev. */
    for (size_t b = 0; b < bind_count && rc == 0; b++) {
        size_t length = strlen(binds[b].target);
        if (length + name_length + 2 > sizeof path)
            continue;
        memcpy(path, binds[b].target, length);
        path[length] = '/';
        memcpy(path + length + 1, name, name_length + 1);
        rc = cover(path, device, binds, bind_count);
    }
    return rc;
}

int cordon__cover_devices(const cordon__caller_terminals *terminals, bool in_dev,
                          const cordon__bind *binds, size_t bind_count)
{
    static const char *const servers[] = { "fuse", "cuse" };
    int rc = 0;
    for (unsigned n = 0; n < sizeof servers / sizeof *servers && rc == 0; n++)
        rc = cover_everywhere(servers[n], 0, in_dev, binds, bind_count);
    for (unsigned n = 0; n < terminals->count && rc == 0; n++)
        rc = cover_everywhere(terminals->names[n], terminals->devices[n], in_dev, binds,
                              bind_count);
    return rc;
}
