/*
 * The Landlock ruleset of a task that has no mount namespace (no
 * namespaces on the machine, CORDON_NO_NAMESPACES=1) and no file rules of
 * its own: it may write wherever its user may, but nothing beneath /proc,
 * /sys or any other mount of the kernel's file systems, wherever mounted.
 *
 * With a mount namespace the task has a /proc of its own pid namespace and
 * a read-only /sys (and /proc/sys for uid 0).  Without one it sees the
 * machine's: a task of the caller's user could raise the caller's
 * oom_score_adj (making it the OOM killer's first choice), set its
 * autogroup's nice value or clear its page references through
 * /proc/PID, none of which a system call filter can see; and one running
 * as uid 0 could write the kernel's settings (/proc/sys, /sys/power) and
 * leave its cgroup, and with it its CPU, memory and process limits,
 * through the cgroup file system's cgroup.procs.
 *
 * Landlock grants beneath a directory, never "all but": the ruleset
 * grants the rights of writing beneath every entry of "/" but proc and
 * sys, and, above any other mount of the kernel's file systems
 * (sandbox/kernel_mounts.c), entry by entry around it rather than the
 * whole directory.  It is made again when the mount table changes.  A
 * top-level directory made later (by root) is not writable to the task.
 * Before ABI 2 a ruleset that handles any write refuses every rename
 * across directories, which would break ordinary programs: there the
 * task gets the shared ruleset, and this fence is missing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fork_reset.h"
#include "confine.h"
#include "landlock_abi.h"

static int fence_fd = -EOPNOTSUPP; /* or -errno: none made */
static unsigned fence_generation; /* of the kernel's mounts it left out */
static pid_t fence_pid;
static pthread_mutex_t fence_lock = PTHREAD_MUTEX_INITIALIZER;
CORDON__RESET_IN_FORKED_COPIES(&fence_lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&fence_pid);

static uint64_t write_rights(int abi)
{
    uint64_t rights = FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_CHAR |
                      FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_BLOCK |
                      FS_MAKE_SYM | FS_REFER;
    if (abi >= 3)
        rights |= FS_TRUNCATE;
    return rights;
}

/* A file system of the kernel's settings or of its processes, wherever
 * it is mounted (a container's second /proc, a cgroup hierarchy). */
static bool kernel_file_system(int fd)
{
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0)
        return true;
    return fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC ||
           fs.f_type == CGROUP_SUPER_MAGIC || fs.f_type == CGROUP2_SUPER_MAGIC ||
           fs.f_type == DEBUGFS_MAGIC || fs.f_type == TRACEFS_MAGIC ||
           fs.f_type == SECURITYFS_MAGIC || fs.f_type == BPF_FS_MAGIC;
}

/* What the walk leaves out: /proc, /sys and every mount of the kernel's
 * file systems (kernel_mounts.c), as absolute paths. */
typedef struct fenced {
    const cordon__path_list *mounts;
    int shortage;  /* -errno: an entry left out for want of an fd or memory */
} fenced;

/* An entry that could not be opened for want of an fd or memory would be
 * left out of this fence, which is kept: noted, and the fence not made. */
static void note_shortage(const fenced *f)
{
    if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
        ((fenced *)f)->shortage = -errno;
}

static bool is_fenced(const fenced *f, const char *path)
{
    if (!strcmp(path, "/proc") || !strcmp(path, "/sys"))
        return true;
    for (size_t i = 0; i < f->mounts->count; i++)
        if (!strcmp(f->mounts->paths[i], path))
            return true;
    return false;
}

/* Some fenced mount lies beneath `path`: it cannot be granted whole. */
static bool holds_fenced(const fenced *f, const char *path)
{
    size_t length = strlen(path);
    for (size_t i = 0; i < f->mounts->count; i++)
        if (!strncmp(f->mounts->paths[i], path, length) && f->mounts->paths[i][length] == '/')
            return true;
    return false;
}

/* Grants writing beneath one entry, `fd` (a file gets what a file can be
 * granted), unless it holds one of the kernel's file systems. */
static void grant(int ruleset, int fd, const struct stat *st, int abi)
{
    struct path_beneath rule = { .allowed_access = write_rights(abi), .parent_fd = fd };
    if (kernel_file_system(fd))
        return;
    if (!S_ISDIR(st->st_mode))
        rule.allowed_access &= FS_WRITE_FILE | FS_TRUNCATE;
    syscall(SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &rule, 0);
}

static void grant_beneath(int ruleset, int dir_fd, const char *dir_path, const fenced *f,
                          int abi, int depth);

/* One entry of a directory the fence walks.  A link is not followed (its
 * target is an entry of its own, /bin's /usr); an entry that vanished,
 * cannot be opened or granted, or is a fenced mount is left out: writing
 * beneath it is refused, which is the safe side.  A directory that holds
 * a fenced mount deeper down is not granted itself (Landlock grants
 * beneath, across mounts): its entries are, one by one, but the fenced
 * one, so a new entry made directly in it is refused. */
static void grant_entry(int ruleset, int dir_fd, const char *dir_path, const char *name,
                        const fenced *f, int abi, int depth)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir_path, name) >= (int)sizeof path ||
        is_fenced(f, path))
        return;
    int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        note_shortage(f);
        return;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode)) {
        if (!holds_fenced(f, path))
            grant(ruleset, fd, &st, abi);
        else if (S_ISDIR(st.st_mode) && depth < 64 && !kernel_file_system(fd))
            grant_beneath(ruleset, fd, path, f, abi, depth + 1);
    }
    close(fd);
}

static void grant_beneath(int ruleset, int dir_fd, const char *dir_path, const fenced *f,
                          int abi, int depth)
{
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd < 0 ? NULL : fdopendir(fd);
    if (!dir) {
        note_shortage(f);
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            grant_entry(ruleset, dirfd(dir), dir_path, entry->d_name, f, abi, depth);
    closedir(dir);
}

static int grant_all_but_the_fenced(int ruleset, int abi)
{
    /* Unread, the mounts are unknown: /proc and /sys are fenced still,
     * and the other kernel mounts' statfs at the top level. */
    cordon__path_list mounts = { .paths = NULL };
    if (cordon__kernel_mounts_elsewhere(&mounts, NULL) < 0)
        cordon__path_list_free(&mounts);
    int rc = 0;
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        rc = -errno;
    } else {
        fenced f = { &mounts, 0 };
        grant_beneath(ruleset, root, "", &f, abi, 0);
        rc = f.shortage;
        close(root);
    }
    cordon__path_list_free(&mounts);
    return rc;
}

static int make_fence(void)
{
    int abi = cordon__landlock_abi();
    if (abi < 2)
        return -EOPNOTSUPP;
    struct ruleset_attributes attributes = { .handled_access_fs = write_rights(abi) };
    if (abi >= 6)
        attributes.scoped = SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET;
    int fd = (int)syscall(SYS_landlock_create_ruleset, &attributes, sizeof attributes, 0);
    if (fd < 0)
        return -errno;
    int rc = grant_all_but_the_fenced(fd, abi);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

int cordon__landlock_fence_ruleset(void)
{
    pid_t pid = getpid();
    unsigned generation = 0;
    cordon__kernel_mounts_elsewhere(NULL, &generation);
    pthread_mutex_lock(&fence_lock);
    /* A forked copy's fd of its parent's fence may be its own file by now
     * (a daemon closes what it inherits): forgotten, not closed. */
    if (fence_pid != pid)
        fence_fd = -EOPNOTSUPP;
    if (fence_pid != pid || generation != fence_generation) {
        /* Made once per process, and again when a mount came or went; a
         * fence that could not be made for want of an fd or memory is not
         * kept (every later task would have run without it). */
        if (fence_fd >= 0)
            close(fence_fd);
        fence_fd = make_fence();
        bool keep = fence_fd >= 0 || fence_fd == -EOPNOTSUPP;
        fence_pid = keep ? pid : 0;
        fence_generation = generation;
    }
    /* Each task holds a copy: a fence remade by another thread meanwhile
     * closes only the process's own. */
    int fd = fence_fd;
    if (fd >= 0 && (fd = fcntl(fence_fd, F_DUPFD_CLOEXEC, 3)) < 0)
        fd = -errno;
    pthread_mutex_unlock(&fence_lock);
    return fd;
}
