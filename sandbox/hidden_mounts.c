/*
 * The mounts of the kernel's file systems that a task's view took from the
 * caller's, covered in the task's mount namespace (kernel_mounts.c says
 * which): a second proc under /run or in a chroot's /proc, a sysfs, a
 * cgroup hierarchy, a bind mount of one /proc file.  A proc of the
 * caller's pid namespace shows every process of the machine past the
 * task's own pid namespace, and to a task running as root opens the
 * kernel's settings and the caller's oom_score_adj for writing.
 *
 * Covered, not unmounted: in a user namespace the mounts the view took
 * from the caller are locked to what they cover.  A directory gets an
 * empty tmpfs, read-only and mode 000; a file an empty file of mode 000
 * on a read-only mount.  Each is opened without following a link and the cover
 * mounted on that fd, so that a link put on the way since the parent
 * read the table cannot send the cover elsewhere (-ESTALE: the view is
 * not what was read).  A path that led to its mount when the table was
 * read must still lead to the root of a mount of that file system: the
 * view's copy is the table read (lib/child.c checks), but a directory
 * above a mount is the caller's own and may be renamed while the init
 * covers (a rename moves the mount in every view, the task's too); the
 * cover would go onto what took the name, or nowhere, and leave the
 * mount open at its new place: the start fails instead, unless the mount
 * went with a directory removed beneath it (moved_mounts.c).  The init's
 * part: raw system calls only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "confine.h"

/* An empty directory no one may list or write. */
static int empty_directory(void)
{
    return cordon__detached_tmpfs("mode=0,size=4k", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC);
}

/* An empty regular file of mode 000 on a read-only mount (EROFS to a
 * write, where a device would take it): one file of a small tmpfs,
 * cloned alone. */
static int empty_file(void)
{
    int tmpfs = cordon__detached_tmpfs("size=4k", MOUNT_ATTR_NOEXEC);
    if (tmpfs < 0)
        return tmpfs;
    int rc = (int)syscall(SYS_openat, tmpfs, "empty", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0);
    if (rc >= 0) {
        close(rc);
        rc = (int)syscall(SYS_open_tree, tmpfs, "empty", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    }
    if (rc < 0)
        rc = -errno;
    struct mount_attr read_only = { .attr_set = MOUNT_ATTR_RDONLY };
    if (rc >= 0 &&
        syscall(SYS_mount_setattr, rc, "", AT_EMPTY_PATH, &read_only, sizeof read_only) != 0) {
        int saved = errno;
        close(rc);
        rc = -saved;
    }
    close(tmpfs);
    return rc;
}

/* Whether `target` is the root of a mount of `device`; true where the
 * kernel does not say what a mount's root is (before Linux 5.8). */
static bool root_of_a_mount_of(int target, dev_t device)
{
    struct statx st;
    if (syscall(SYS_statx, target, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS,
                &st) != 0)
        return false;
    bool root = !(st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
                (st.stx_attributes & STATX_ATTR_MOUNT_ROOT);
    return root && makedev(st.stx_dev_major, st.stx_dev_minor) == device;
}

/* The cover for what `target` is, or 0 where nothing shows through it any
 * more. */
static int cover_for(int target)
{
    struct stat st;
    if (fstat(target, &st) != 0)
        return errno == ENOENT || errno == ESRCH ? 0 : -errno;
    return S_ISDIR(st.st_mode) ? empty_directory() : empty_file();
}

/* Covers what `target` (an fd of the mount's path) is. */
static int cover(int target)
{
    int rc = cover_for(target);
    if (rc > 0) {
        int made = rc;
        /* ENOENT: a dead process's file, on which nothing can be mounted
         * and through which nothing shows. */
        rc = syscall(SYS_move_mount, made, "", target, "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0 || errno == ENOENT
                 ? 0
                 : -errno;
        close(made);
    }
    return rc;
}

/* Covers the mount of `place` at `path`, where it must be (-ESTALE where
 * the path no longer leads to the root of a mount of its file system),
 * or, for a place the table showed hidden, whatever is there. */
static int cover_at(const char *path, const cordon__mount_place *place)
{
    int target = (int)cordon__open_path_without_links(path);
    if (target < 0) {
        /* Gone, hidden beneath a later mount, or beneath a directory the
         * init may not search (another user's, 0700), which the task, with
         * no more rights, may not either: nothing to cover, unless the
         * path led to the mount.  A link on the way is not the view that
         * was read. */
        if (errno == EACCES)
            return 0;
        if (errno == ENOENT || errno == ENOTDIR)
            return place->reached ? -ESTALE : 0;
        return errno == ELOOP ? -ESTALE : -errno;
    }
    int rc = place->reached && !root_of_a_mount_of(target, place->device) ? -ESTALE
                                                                           : cover(target);
    close(target);
    return rc;
}

/* A mount its path no longer leads to: moved by a rename (moved_mounts.c
 * finds it where it is now, and it is covered there, a few times over
 * against renames that go on), or gone with a directory removed beneath
 * it (nothing to cover). */
#define MOVED_MOUNT_LOOKS 8
static int cover_moved(const cordon__path_list *list, size_t index)
{
    char point[PATH_MAX];
    for (int look = 0; look < MOVED_MOUNT_LOOKS; look++) {
        int found = cordon__mounted_elsewhere(list, index, point, sizeof point);
        if (found <= 0)
            return found < 0 ? -ESTALE : 0; /* not looked at: the safe side */
        int rc = cover_at(point, &list->places[index]);
        if (rc != -ESTALE)
            return rc;
    }
    return -ESTALE;
}

int cordon__hide_kernel_mount(const cordon__path_list *list, size_t index)
{
    int rc = cover_at(list->paths[index], &list->places[index]);
    return rc == -ESTALE && list->places[index].reached ? cover_moved(list, index) : rc;
}
