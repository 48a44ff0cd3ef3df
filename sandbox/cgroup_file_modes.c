/*
 * Whether a pooled v2 cgroup's files still have the modes the kernel gave
 * them.  A task that owns its cgroup (a root function task of a root
 * caller) and has no mount namespace cannot write the cgroup's files (the
 * Landlock fence refuses every write beneath /sys and every cgroup mount),
 * but it may still chmod them: Landlock has no right for that.  A
 * cgroup.kill or cgroup.freeze opened to everyone let any user of the
 * machine kill or freeze the next task the pool gave the cgroup to, and a
 * cgroup.procs taken from its owner would refuse a cordon that is not root
 * the next task's start.  Such a cgroup is removed, not pooled.  (Root,
 * which writes past a file's mode, holds each file to one of kernfs's
 * modes; a cordon that is not root, to its parent's file's exact mode.)
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

/* The modes kernfs gives a cgroup's files: read-write, read-only and
 * write-only (cgroup.kill, memory.reclaim): what a file the parent has
 * not is held to. */
static bool one_the_kernel_makes(mode_t mode)
{
    return mode == 0644 || mode == 0444 || mode == 0200;
}

/* The parent's file of that name gives the mode the kernel made the
 * child's with (the parent may be the root cgroup, which lacks some). */
static bool as_made(int parent_fd, const char *name, mode_t mode)
{
    struct stat parents;
    if (parent_fd >= 0 && fstatat(parent_fd, name, &parents, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(parents.st_mode))
        return mode == (parents.st_mode & 07777);
    return one_the_kernel_makes(mode);
}

bool cordon__cgroup_file_modes_as_made(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    /* cordon's mkdir, less the caller's umask: owner's, nobody else's to write */
    DIR *listing = fstat(fd, &st) == 0 && (st.st_mode & 0700) == 0700 && !(st.st_mode & 022)
                       ? fdopendir(fd)
                       : NULL;
    if (!listing) {
        close(fd);
        return false;
    }
    int parent_fd = geteuid() == 0 ? -1 : openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool kept = true;
    for (struct dirent *entry; kept && (entry = readdir(listing));) {
        if (entry->d_type == DT_DIR) /* ".", "..", and the task's own, removed apart */
            continue;
        kept = fstatat(fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
               S_ISREG(st.st_mode) && as_made(parent_fd, entry->d_name, st.st_mode & 07777);
    }
    if (parent_fd >= 0)
        close(parent_fd);
    closedir(listing);
    return kept;
}
