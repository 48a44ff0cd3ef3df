/*
 * Mounts of a task's own, made by its init in the task's mount namespace
 * (after the namespace's propagation was cut from the caller's, so
 * nothing here is seen outside): an empty tmpfs over a directory such
 * as /tmp, where the task's scratch files live and die with it, out of
 * sight of the caller's /tmp and of every other task's; and binds of the
 * caller's files and directories at another place, read-only if asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

/* mount_setattr(2) (Linux 5.12), declared here as namespaces.c does: C
 * libraries before glibc 2.36 have no declaration of it. */
struct tree_attributes {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#define TREE_READ_ONLY 0x00000001

/* A read-only bind is read-only and private, submounts included: a slave
 * of the caller's mounts (the task's view is one) took a mount the
 * caller made beneath the source while the task ran (an automount, a
 * disk), writable, into the read-only bind. */
static const struct tree_attributes read_only_tree = { .attr_set = TREE_READ_ONLY,
                                                       .propagation = MS_PRIVATE };

void cordon__tmpfs_options(char out[64], uint64_t memory_limit)
{
    /* Sticky and world-writable like /tmp, for a task that runs as
     * another user than the init. */
    if (memory_limit)
        snprintf(out, 64, "mode=1777,size=%llu", (unsigned long long)memory_limit);
    else
        snprintf(out, 64, "mode=1777");
}

int cordon__mount_private_tmpfs(const char *path, const char *options)
{
    /* No devices, no set-uid files. */
    if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0)
        return -errno;
    return 0;
}

/* `path` opened as it was looked up when it was given (links followed),
 * and only if it still leads to the file it named then (an inode of 0:
 * one of the init's own mount points, not checked). */
static int open_given(const char *path, const cordon__file_identity *given)
{
    struct stat st;
    return cordon__open_checked(path, true, given->inode ? given : NULL, &st);
}

/* One "key=value" of a comma-separated option list given to `fs`. */
static int configure_one(int fs, const char *option, size_t len)
{
    char key[32], value[32];
    const char *equals = memchr(option, '=', len);
    size_t key_len = equals ? (size_t)(equals - option) : len;
    size_t value_len = equals ? len - key_len - 1 : 0;
    if (key_len == 0 || key_len >= sizeof key || value_len >= sizeof value)
        return -EINVAL;
    memcpy(key, option, key_len);
    key[key_len] = '\0';
    if (equals)
        memcpy(value, equals + 1, value_len);
    value[value_len] = '\0';
    if (syscall(SYS_fsconfig, fs, equals ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, key,
                equals ? value : NULL, 0) != 0)
        return -errno;
    return 0;
}

int cordon__detached_tmpfs(const char *options, unsigned attributes)
{
    int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0)
        return -errno;
    int rc = 0;
    for (const char *option = options; rc == 0 && option && *option;) {
        const char *comma = strchr(option, ',');
        size_t len = comma ? (size_t)(comma - option) : strlen(option);
        rc = configure_one(fs, option, len);
        option = comma ? comma + 1 : NULL;
    }
    if (rc == 0 && syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0)
        rc = -errno;
    if (rc == 0) {
        /* No devices, no set-uid files. */
        long mount_fd = syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                                attributes | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        rc = mount_fd < 0 ? -errno : (int)mount_fd;
    }
    close(fs);
    return rc;
}

static int attach_on(int mount_fd, int target)
{
    long rc = syscall(SYS_move_mount, mount_fd, "", target, "",
                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int saved = errno;
    close(mount_fd);
    return rc < 0 ? -saved : 0;
}

/* The identity of the tmpfs's root in *mounted, for the grant that
 * follows. */
int cordon__mount_private_tmpfs_on(const char *path, const cordon__file_identity *given,
                                   const char *options, cordon__file_identity *mounted)
{
    int target = open_given(path, given);
    if (target < 0)
        return target;
    int tmpfs = cordon__detached_tmpfs(options, 0);
    struct stat root;
    if (tmpfs >= 0 && fstat(tmpfs, &root) != 0) {
        close(tmpfs);
        tmpfs = -errno;
    }
    /* Before Linux 5.2 (no fsopen) on the path, checked a moment before:
     * only a task running beside this one could still move it. */
    int rc = tmpfs == -ENOSYS ? cordon__mount_private_tmpfs(path, options)
             : tmpfs < 0      ? tmpfs
                              : attach_on(tmpfs, target);
    if (rc == 0 && tmpfs == -ENOSYS && stat(path, &root) != 0)
        rc = -errno;
    if (rc == 0)
        *mounted = (cordon__file_identity){ root.st_dev, root.st_ino };
    close(target);
    return rc;
}

/* Before mount_setattr (Linux 5.12) no one call makes a tree read-only:
 * the bind is made again without its submounts (so that none stays
 * writable), then remounted read-only.  A remount must repeat the flags
 * the kernel locked on a mount inherited through a user namespace, or it
 * is refused. */
static int bind_read_only_alone(const cordon__bind *bind)
{
    if (umount2(bind->target, MNT_DETACH) != 0 ||
        mount(bind->source, bind->target, NULL, MS_BIND, NULL) != 0 ||
        mount(NULL, bind->target, NULL, MS_PRIVATE, NULL) != 0)
        return -errno;
    struct statfs fs;
    if (statfs(bind->target, &fs) != 0)
        return -errno;
    unsigned long kept = fs.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                       MS_NODIRATIME | MS_RELATIME);
    if (mount(NULL, bind->target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept, NULL) != 0)
        return -errno;
    return 0;
}

/* What is now at the target must be the source as it was given: a path
 * is resolved again by mount(2), and a component replaced since by a link
 * would bind something else. */
static int check_bound(const cordon__bind *bind)
{
    struct stat bound;
    if (stat(bind->target, &bound) != 0)
        return -errno;
    return bound.st_dev == bind->device && bound.st_ino == bind->inode ? 0 : -ESTALE;
}

static int set_tree_attributes(const char *path, unsigned flags, uint64_t set, uint64_t clear)
{
    struct tree_attributes attributes = { .attr_set = set, .attr_clr = clear };
    if (syscall(SYS_mount_setattr, AT_FDCWD, path, flags, &attributes, sizeof attributes) != 0)
        return -errno;
    return 0;
}

int cordon__mount_everything_read_only(void)
{
    /* mount_setattr came before Landlock (5.12 and 5.13): a kernel that
     * made the file rules has it. */
    return set_tree_attributes("/", AT_RECURSIVE, TREE_READ_ONLY, 0);
}

int cordon__clone_tree(const char *path, bool files_only)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -errno;
    /* A device is written through on a read-only mount; cloned writable it
     * would also take a chmod (root owns /dev/null). */
    if (files_only && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return -ENOENT;
    long fd = syscall(SYS_open_tree, AT_FDCWD, path,
                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    return fd < 0 ? -errno : (int)fd;
}

/* `path` opened without following any link (the parent resolved it),
 * and the file it had then; `st` what it is. */
static int open_planned(const char *path, const cordon__file_identity *planned, struct stat *st)
{
    return cordon__open_checked(path, false, planned, st);
}

cordon__file_identity cordon__planned_identity(const char *path)
{
    cordon__file_identity id = { 0, 0 };
    int fd = cordon__open_path(path, false);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0) {
        id.device = st.st_dev;
        id.inode = st.st_ino;
    }
    if (fd >= 0)
        close(fd);
    return id;
}

int cordon__clone_planned_tree(const char *path, const cordon__file_identity *planned)
{
    if (planned->inode == 0)
        return -ENOENT; /* gone before the parent could know it */
    struct stat st;
    int fd = open_planned(path, planned, &st);
    if (fd < 0)
        return fd;
    /* A device is written through on a read-only mount; cloned writable it
     * would also take a chmod (root owns /dev/null). */
    long tree = -ENOENT;
    if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
        tree = syscall(SYS_open_tree, fd, "",
                       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
        if (tree < 0)
            tree = -errno;
    }
    close(fd);
    return (int)tree;
}

int cordon__mount_clone_on_planned(int tree, const char *target,
                                   const cordon__file_identity *planned)
{
    struct stat st;
    int fd = open_planned(target, planned, &st);
    long rc = fd < 0 ? fd
                     : syscall(SYS_move_mount, tree, "", fd, "",
                               MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int saved = rc < 0 && fd >= 0 ? errno : 0;
    if (fd >= 0)
        close(fd);
    close(tree);
    return rc < 0 ? (fd < 0 ? fd : -saved) : 0;
}

int cordon__mount_clone(int tree, const char *target)
{
    long rc = syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
    int saved = errno;
    close(tree);
    return rc < 0 ? -saved : 0;
}

/* The bind by paths, where the kernel has no open_tree (before 5.2) or
 * no mount_setattr (before 5.12): the target was checked a moment
 * before, the source is checked after. */
static int bind_by_paths(const cordon__bind *bind)
{
    /* Recursive: a bind of a tree whose submounts the kernel locked (in a
     * user namespace) must take them along, or it would show what they
     * cover. */
    if (mount(bind->source, bind->target, NULL, MS_BIND | MS_REC, NULL) != 0)
        return -errno;
    int rc = check_bound(bind);
    if (rc < 0 || !bind->read_only)
        return rc;
    /* Not MS_BIND | MS_RDONLY in the bind itself: the kernel ignores
     * every flag but MS_REC there, and the bind would stay writable. */
    struct tree_attributes read_only = read_only_tree;
    if (syscall(SYS_mount_setattr, AT_FDCWD, bind->target, AT_RECURSIVE, &read_only,
                sizeof read_only) == 0)
        return 0;
    if (errno != ENOSYS)
        return -errno;
    return bind_read_only_alone(bind);
}

/* A detached copy of the source's tree, submounts included, checked to
 * be the file the source named when the bind was given. */
static int source_tree(const cordon__bind *bind, int clone)
{
    cordon__file_identity source = { bind->device, bind->inode };
    if (clone >= 0) {
        struct stat st;
        if (fstat(clone, &st) == 0 && st.st_dev == source.device && st.st_ino == source.inode)
            return clone;
        close(clone);
        return -ESTALE;
    }
    int fd = open_given(bind->source, &source);
    if (fd < 0)
        return fd;
    long tree = syscall(SYS_open_tree, fd, "",
                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
    int saved = errno;
    close(fd);
    return tree < 0 ? -saved : (int)tree;
}

int cordon__mount_bind(const cordon__bind *bind, int clone)
{
    int target = open_given(bind->target, &bind->target_given);
    if (target < 0) {
        if (clone >= 0)
            close(clone);
        return target;
    }
    /* A writable bind in a view made read-only comes from a clone taken
     * before, with the caller's own flags. */
    int tree = source_tree(bind, clone);
    int rc = tree;
    if (tree >= 0 && bind->read_only) {
        struct tree_attributes read_only = read_only_tree;
        rc = syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &read_only,
                     sizeof read_only) == 0 ? 0 : -errno;
        if (rc < 0)
            close(tree);
    }
    if (rc >= 0)
        rc = attach_on(tree, target);
    close(target);
    return rc == -ENOSYS && clone < 0 ? bind_by_paths(bind) : rc;
}
