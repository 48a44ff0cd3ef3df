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
 * Nor has it a /dev of its own: the caller's terminals (/dev/pts, the
 * consoles and their screens) and shared memory (/dev/shm, and the
 * message queues' and huge pages' file systems) are the caller's.  A task
 * opened the caller's pseudo-terminal by name and set its interrupt key,
 * which killed the caller's shell when typed next, or stopped its
 * output; another read and rewrote the caller's POSIX shared memory.
 * Those the task may neither read nor write (a terminal's modes are set
 * through any fd of it, one opened for reading too): POSIX shared memory
 * and named semaphores fail there, as System V IPC does.
 *
 * Landlock grants beneath a directory, never "all but": the ruleset
 * grants the rights of reading and writing beneath every entry of "/",
 * but only reading beneath proc and sys, and, above any other mount of
 * the kernel's file systems (sandbox/kernel_mounts.c) or of the caller's
 * terminals and shared memory, entry by entry around it rather than the
 * whole directory.  It is made again when the mount table changes.  A
 * top-level directory made later (by root) is neither readable nor
 * writable to the task.
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
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fork_reset.h"
#include "confine.h"
#include "held_fds.h"
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

/* Reading files' contents, handled too so that the caller's terminals and
 * shared memory can be left out of it. */
static uint64_t read_rights(void)
{
    return FS_READ_FILE;
}

/* A file system of the kernel's settings or of its processes, wherever
 * it is mounted (a container's second /proc, a cgroup hierarchy). */
static bool kernel_file_system(const struct statfs *fs)
{
    return fs->f_type == PROC_SUPER_MAGIC || fs->f_type == SYSFS_MAGIC ||
           fs->f_type == CGROUP_SUPER_MAGIC || fs->f_type == CGROUP2_SUPER_MAGIC ||
           fs->f_type == DEBUGFS_MAGIC || fs->f_type == TRACEFS_MAGIC ||
           fs->f_type == SECURITYFS_MAGIC || fs->f_type == BPF_FS_MAGIC;
}

/* The caller's terminals and shared memory, wherever mounted (a chroot's
 * bind of /dev): pseudo-terminals, message queues, huge page files, and
 * the file system of /dev/shm (`shm_device`, 0 where /dev/shm is no
 * mount of its own); */
#define MQUEUE_MAGIC 0x19800202
static bool callers_file_system(const struct statfs *fs, const struct stat *st, dev_t shm_device)
{
    return fs->f_type == DEVPTS_SUPER_MAGIC || fs->f_type == MQUEUE_MAGIC ||
           fs->f_type == HUGETLBFS_MAGIC || (shm_device && st->st_dev == shm_device);
}

/* Where POSIX shared memory lives: /dev/shm's file system where it is a
 * mount of its own; else the directory itself, by its real path (a
 * container's /dev on tmpfs holding /dev/shm as a plain directory, a
 * /dev/shm that links to /run/shm), whose file system is everyone's. */
typedef struct shared_memory_place {
    dev_t device;
    char directory[PATH_MAX]; /* "" where `device` holds it, or none */
} shared_memory_place;

static void shared_memory_place_find(shared_memory_place *place)
{
    struct statx shm, dev;
    *place = (shared_memory_place){ 0 };
    if (statx(AT_FDCWD, "/dev/shm", AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &shm) != 0 ||
        statx(AT_FDCWD, "/dev", AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &dev) != 0)
        return;
    bool own_mount = (shm.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
                         ? (shm.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0
                         : shm.stx_dev_major != dev.stx_dev_major ||
                               shm.stx_dev_minor != dev.stx_dev_minor;
    if (own_mount)
        place->device = makedev(shm.stx_dev_major, shm.stx_dev_minor);
    else if (!realpath("/dev/shm", place->directory) || !strcmp(place->directory, "/"))
        place->directory[0] = '\0';
}

/* and the consoles: virtual consoles and serial lines (/dev/tty0,
 * /dev/tty1, /dev/ttyS0), the system console and the screens of virtual
 * consoles (/dev/vcs*).  /dev/tty is the task's own controlling terminal
 * (none: it starts a session); /dev/ptmx makes a new pseudo-terminal,
 * whose other end, in /dev/pts, the task cannot open. */
#define TTY_MAJOR 4
#define TTYAUX_MAJOR 5
#define CONSOLE_MINOR 1
#define VCS_MAJOR 7
static bool callers_console(const struct stat *st)
{
    if (!S_ISCHR(st->st_mode))
        return false;
    unsigned kind = major(st->st_rdev);
    return kind == TTY_MAJOR || kind == VCS_MAJOR ||
           (kind == TTYAUX_MAJOR && minor(st->st_rdev) == CONSOLE_MINOR);
}

/* What the walk leaves out: /proc, /sys and every mount of the kernel's
 * file systems (kernel_mounts.c), as absolute paths, to be read only; and
 * walks entry by entry: /dev and every other mount of the caller's
 * terminals and shared memory (a second devtmpfs, a bind of /dev/shm). */
typedef struct fenced {
    const cordon__path_list *mounts, *callers;
    shared_memory_place shm;
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

/* One of the caller's terminals or shared memory lies at `path` or
 * beneath: nothing beneath it can be granted whole. */
static bool holds_callers(const fenced *f, const char *path)
{
    if (!strcmp(path, "/dev"))
        return true;
    if (f->shm.directory[0] && cordon__path_at_or_beneath(f->shm.directory, path))
        return true;
    /* The list is what a mount namespace's init covers: the kernel's
     * mounts too, which are not the caller's. */
    for (size_t i = 0; i < f->callers->count; i++)
        if (cordon__path_at_or_beneath(f->callers->paths[i], path) &&
            !is_fenced(f, f->callers->paths[i]))
            return true;
    return false;
}

/* Some fenced mount of the kernel's lies beneath `path`: writing beneath
 * it cannot be granted whole. */
static bool holds_fenced(const fenced *f, const char *path)
{
    for (size_t i = 0; i < f->mounts->count; i++)
        if (strcmp(f->mounts->paths[i], path) != 0 &&
            cordon__path_at_or_beneath(f->mounts->paths[i], path))
            return true;
    return holds_callers(f, path);
}

/* What beneath one entry, `fd` at `path`, may be: read and written,
 * read (the kernel's file systems), or neither (the caller's terminals
 * and shared memory; an entry that cannot be looked at). */
static uint64_t rights_beneath(int fd, const struct stat *st, const char *path,
                               const fenced *f, int abi)
{
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0 || callers_file_system(&fs, st, f->shm.device) ||
        callers_console(st) || (f->shm.directory[0] && !strcmp(path, f->shm.directory)))
        return 0;
    if (kernel_file_system(&fs))
        return read_rights();
    return read_rights() | write_rights(abi);
}

/* Grants `rights` beneath one entry, `fd` (a file gets what a file can be
 * granted). */
static void grant(int ruleset, int fd, const struct stat *st, uint64_t rights)
{
    struct path_beneath rule = { .allowed_access = rights, .parent_fd = fd };
    if (!S_ISDIR(st->st_mode))
        rule.allowed_access &= FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE;
    if (rule.allowed_access)
        syscall(SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &rule, 0);
}

static void grant_beneath(int ruleset, int dir_fd, const char *dir_path, const fenced *f,
                          int abi, int depth);

/* One entry of a directory the fence walks.  A link is not followed (its
 * target is an entry of its own, /bin's /usr); an entry that vanished
 * or cannot be opened or granted is left out, and a fenced mount is only
 * read: that is the safe side.  A directory that holds a fenced mount
 * deeper down is not granted writing itself (Landlock grants beneath,
 * across mounts): its entries are, one by one, but the fenced one, so a
 * new entry made directly in it is not writable.  It is granted reading,
 * which the kernel's mounts are granted anyway, unless it holds the
 * caller's terminals or shared memory (/dev, "/" above it, a chroot's
 * bind of /dev): a new entry made directly in one of those is not
 * readable either (a library caller's later top-level directory, a
 * device node made after its first task). */
static void grant_entry(int ruleset, int dir_fd, const char *dir_path, const char *name,
                        const fenced *f, int abi, int depth)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir_path, name) >= (int)sizeof path)
        return;
    int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        note_shortage(f);
        return;
    }
    struct stat st;
    uint64_t rights = fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode)
                          ? rights_beneath(fd, &st, path, f, abi)
                          : 0;
    if (rights && is_fenced(f, path))
        grant(ruleset, fd, &st, read_rights());
    else if (rights && holds_fenced(f, path) && S_ISDIR(st.st_mode) && depth < 64) {
        if (!holds_callers(f, path))
            grant(ruleset, fd, &st, read_rights());
        grant_beneath(ruleset, fd, path, f, abi, depth + 1);
    }
    else if (rights && !holds_fenced(f, path))
        grant(ruleset, fd, &st, rights);
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
    cordon__path_list mounts = { .paths = NULL }, callers = { .paths = NULL };
    uint64_t digest;
    if (cordon__kernel_mounts_elsewhere(&mounts, NULL) < 0)
        cordon__path_list_free(&mounts);
    if (cordon__mounts_to_hide(&callers, &digest) < 0)
        cordon__path_list_free(&callers);
    int rc = 0;
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        rc = -errno;
    } else {
        fenced f = { .mounts = &mounts, .callers = &callers };
        shared_memory_place_find(&f.shm);
        grant_beneath(ruleset, root, "", &f, abi, 0);
        rc = f.shortage;
        close(root);
    }
    cordon__path_list_free(&mounts);
    cordon__path_list_free(&callers);
    return rc;
}

static int make_fence(void)
{
    int abi = cordon__landlock_abi();
    if (abi < 2)
        return -EOPNOTSUPP;
    struct ruleset_attributes attributes = { .handled_access_fs = read_rights() |
                                                                  write_rights(abi) };
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
    /* One the caller closed (closefrom(3)) is made again; its number is
     * the caller's now, not closed (held_fds.h). */
    if (fence_fd >= 0 &&
        !cordon__held_fd_is_marked(fence_fd, "anon_inode:[landlock-ruleset]", NULL)) {
        fence_fd = -EOPNOTSUPP;
        fence_pid = 0;
    }
    if (fence_pid != pid || generation != fence_generation) {
        /* Made once per process, and again when a mount came or went; a
         * fence that could not be made for want of an fd or memory is not
         * kept (every later task would have run without it). */
        if (fence_fd >= 0)
            close(fence_fd);
        fence_fd = make_fence();
        if (fence_fd >= 0 && cordon__held_fd_mark(fence_fd) < 0) {
            close(fence_fd);
            fence_fd = -ENOMEM;
        }
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
