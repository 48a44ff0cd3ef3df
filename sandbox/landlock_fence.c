/*
 * The Landlock ruleset of a task that has no mount namespace (no
 * namespaces on the machine, CORDON_NO_NAMESPACES=1) and no file rules of
 * its own: it may write wherever its user may, but nothing beneath /proc
 * or /sys.
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
 * sys, as "/" lists them when the ruleset is made (once per process).  A
 * top-level directory made later (by root) is not writable to the task.
 * Before ABI 2 a ruleset that handles any write refuses every rename
 * across directories, which would break ordinary programs: there the
 * task gets the shared ruleset, and this fence is missing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"
#include "landlock_abi.h"

static int fence_fd = -1;
static pid_t fence_pid;
static pthread_mutex_t fence_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t write_rights(int abi)
{
    uint64_t rights = FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_CHAR |
                      FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_BLOCK |
                      FS_MAKE_SYM | FS_REFER;
    if (abi >= 3)
        rights |= FS_TRUNCATE;
    return rights;
}

/* The kernel settings and the other processes: /proc and /sys. */
static bool fenced_off(const char *name)
{
    return !strcmp(name, "proc") || !strcmp(name, "sys") || !strcmp(name, ".") ||
           !strcmp(name, "..");
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

/* Grants writing beneath one entry of "/" (a file gets what a file can
 * be granted).  A link is not followed (its target is an entry of its
 * own, /bin's /usr); an entry that vanished, cannot be opened or granted,
 * or holds one of the kernel's file systems is left out: writing beneath
 * it is refused, which is the safe side. */
static void grant_entry(int ruleset, int root_fd, const char *name, int abi)
{
    int fd = openat(root_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    struct path_beneath rule = { .allowed_access = write_rights(abi), .parent_fd = fd };
    if (fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode) && !kernel_file_system(fd)) {
        if (!S_ISDIR(st.st_mode))
            rule.allowed_access &= FS_WRITE_FILE | FS_TRUNCATE;
        syscall(SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &rule, 0);
    }
    close(fd);
}

static int grant_all_but_the_fenced(int ruleset, int abi)
{
    DIR *root = opendir("/");
    if (!root)
        return -errno;
    struct dirent *entry;
    while ((entry = readdir(root)) != NULL)
        if (!fenced_off(entry->d_name))
            grant_entry(ruleset, dirfd(root), entry->d_name, abi);
    closedir(root);
    return 0;
}

static int make_fence(void)
{
    int abi = cordon__landlock_abi();
    if (abi < 2)
        return -1;
    struct ruleset_attributes attributes = { .handled_access_fs = write_rights(abi) };
    if (abi >= 6)
        attributes.scoped = SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET;
    int fd = (int)syscall(SYS_landlock_create_ruleset, &attributes, sizeof attributes, 0);
    if (fd < 0)
        return -1;
    if (grant_all_but_the_fenced(fd, abi) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int cordon__landlock_fence_ruleset(void)
{
    pid_t pid = getpid();
    pthread_mutex_lock(&fence_lock);
    if (fence_pid != pid) {
        /* Made once per process: a function task's child closes the fds
         * it inherits, so a task that runs tasks of its own makes its own. */
        fence_fd = make_fence();
        fence_pid = pid;
    }
    int fd = fence_fd;
    pthread_mutex_unlock(&fence_lock);
    return fd;
}
