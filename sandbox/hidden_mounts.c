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
 * not what was read).  The init's part: raw system calls only.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* The cover for what `target` is, or 0 where nothing shows through it any
 * more. */
static int cover_for(int target)
{
    struct stat st;
    if (fstat(target, &st) != 0)
        return errno == ENOENT || errno == ESRCH ? 0 : -errno;
    return S_ISDIR(st.st_mode) ? empty_directory() : empty_file();
}

int cordon__hide_kernel_mount(const char *path)
{
    /* Gone, hidden beneath a later mount (the table lists it, its path
     * leads nowhere), or beneath a directory the init may not search
     * (another user's, 0700), which the task, with no more rights, may
     * not either.  A mount moved by a rename is found by the parent,
     * which checks each path's mount at each task (kernel_mounts.c). */
    int target = (int)cordon__open_path_without_links(path);
    if (target < 0)
        return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0
               : errno == ELOOP                                     ? -ESTALE
                                                                    : -errno;
    int rc = cover_for(target);
    if (rc > 0) {
        int cover = rc;
        /* ENOENT: a dead process's file, on which nothing can be mounted
         * and through which nothing shows. */
        rc = syscall(SYS_move_mount, cover, "", target, "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0 || errno == ENOENT
                 ? 0
                 : -errno;
        close(cover);
    }
    close(target);
    return rc;
}
