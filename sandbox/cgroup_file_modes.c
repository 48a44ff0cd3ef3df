/*
 * Whether a pooled v2 cgroup's files still have the modes the kernel gave
 * them.  A task that owns its cgroup (a root function task of a root
 * caller) and has no mount namespace cannot write the cgroup's files (the
 * Landlock fence refuses every write beneath /sys and every cgroup
 * mount), but it may still chmod them: Landlock has no right for that.  A
 * cgroup.kill or cgroup.freeze opened to everyone would let any user of
 * the machine kill or freeze every later task the pool gives it to, and a
 * cgroup.procs taken from its owner would refuse the next task's start.
 * Such a cgroup is removed, not pooled.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

/* The modes kernfs gives a cgroup's files: read-write, read-only and
 * write-only (cgroup.kill, memory.reclaim). */
static bool as_the_kernel_makes_them(mode_t mode)
{
    mode &= 07777;
    return mode == 0644 || mode == 0444 || mode == 0200;
}

bool cordon__cgroup_file_modes_as_made(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    DIR *listing = fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0755 ? fdopendir(fd) : NULL;
    if (!listing) {
        close(fd);
        return false;
    }
    bool as_made = true;
    for (struct dirent *entry; as_made && (entry = readdir(listing));) {
        if (entry->d_type == DT_DIR) /* ".", "..", and the task's own, removed apart */
            continue;
        as_made = fstatat(fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                  S_ISREG(st.st_mode) && as_the_kernel_makes_them(st.st_mode);
    }
    closedir(listing);
    return as_made;
}
