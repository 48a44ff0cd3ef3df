/*
 * Landlock file rules: a ruleset of a task's own, made in the parent
 * before the fork (it opens every path), that refuses every file access
 * it handles except beneath the paths granted.  The child only calls
 * landlock_restrict_self on it (sandbox/landlock.c).
 *
 * What each of cordon's flags grants, by the kernel's ABI:
 *
 *   READ   READ_FILE, READ_DIR
 *   WRITE  WRITE_FILE, REMOVE_DIR, REMOVE_FILE, MAKE_DIR, MAKE_REG,
 *          MAKE_SOCK, MAKE_FIFO, MAKE_SYM; REFER (ABI 2: links and renames
 *          across directories), TRUNCATE (ABI 3), IOCTL_DEV (ABI 5:
 *          ioctls on devices opened beneath the path)
 *   EXEC   EXECUTE (the kernel also needs READ_FILE to execute a file)
 *
 * Every right the ABI knows is handled, so a right a flag does not grant
 * (MAKE_CHAR and MAKE_BLOCK are never granted) is refused everywhere.
 * A rule on a file rather than a directory keeps only the rights that
 * apply to files.  The ruleset also carries the scopes every task gets
 * (ABI 6: signals and abstract unix sockets stay inside the domain).
 *
 * A rule holds for what is beneath the inode it names, but Landlock skips
 * the directory a mount hides: a rule on the caller's /tmp or /proc does
 * not reach a tmpfs or a /proc mounted over them in the task's mount
 * namespace.  The task's init grants those after mounting them, on the
 * same ruleset (lib/task_init.c), before the task enters the domain.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"
#include "landlock_abi.h"

/* The rights that can be granted on a file that is not a directory. */
#define FILE_RIGHTS (FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV)

static uint64_t handled_rights(int abi)
{
    uint64_t rights = (FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */
    if (abi >= 2)
        rights |= FS_REFER;
    if (abi >= 3)
        rights |= FS_TRUNCATE;
    if (abi >= 5)
        rights |= FS_IOCTL_DEV;
    return rights;
}

static uint64_t granted_rights(unsigned access, int abi)
{
    uint64_t rights = 0;
    if (access & CORDON__ACCESS_READ)
        rights |= FS_READ_FILE | FS_READ_DIR;
    if (access & CORDON__ACCESS_WRITE)
        rights |= FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_DIR | FS_MAKE_REG |
                  FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_SYM | FS_REFER | FS_TRUNCATE |
                  FS_IOCTL_DEV;
    if (access & CORDON__ACCESS_EXEC)
        rights |= FS_EXECUTE;
    return rights & handled_rights(abi);
}

/* Where the fd leads, from /proc/self/fd; 0 or -errno.  Plain system
 * calls: the number is written out by hand. */
static int fd_target(int fd, char *out, size_t size)
{
    char link[32] = "/proc/self/fd/";
    char digits[12];
    size_t len = 14, count = 0;
    do
        digits[count++] = (char)('0' + fd % 10);
    while ((fd /= 10) != 0);
    while (count)
        link[len++] = digits[--count];
    link[len] = '\0';
    ssize_t n = readlink(link, out, size - 1);
    if (n < 0)
        return -errno;
    out[n] = '\0';
    return (size_t)n < size - 1 ? 0 : -ENAMETOOLONG;
}

/* Grants `access` beneath what `path` names now; with `expected`, only if
 * it still leads where it did when the rule was given (-ESTALE): a task
 * that could write where the path leads may have replaced the file by a
 * link between two runs (a retry, the next job of a batch), and the rule
 * would have granted the link's target, a file of the caller's it was
 * never given.  A file replaced by another at the same place (a rename
 * over it) is still what the rule names. */
static int grant(int ruleset, int abi, const char *path, unsigned access,
                 const cordon__path_rule *expected, const cordon__file_identity *identity)
{
    int fd = cordon__open_path(path, true);
    if (fd < 0)
        return fd;
    struct stat st;
    struct path_beneath beneath = {
        .allowed_access = granted_rights(access, abi), .parent_fd = fd,
    };
    int rc = fstat(fd, &st) == 0 ? 0 : -errno;
    char now[PATH_MAX];
    if (rc == 0 && expected && expected->resolved &&
        (rc = fd_target(fd, now, sizeof now)) == 0 && strcmp(now, expected->resolved) != 0)
        rc = -ESTALE;
    if (rc == 0 && identity && (st.st_dev != identity->device || st.st_ino != identity->inode))
        rc = -ESTALE;
    if (rc == 0 && !S_ISDIR(st.st_mode))
        beneath.allowed_access &= FILE_RIGHTS;
    if (rc == 0 && beneath.allowed_access &&
        syscall(SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &beneath, 0) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

/* 0, or -errno naming why the rule could not be added: a task never runs
 * with a rule silently left out.  Plain system calls only. */
int cordon__landlock_grant(int ruleset, int abi, const char *path, unsigned access,
                           const cordon__file_identity *mounted)
{
    return grant(ruleset, abi, path, access, NULL, mounted);
}

int cordon__landlock_file_ruleset(const cordon__path_rule *rules, size_t count,
                                  size_t *failed_rule)
{
    int abi = cordon__landlock_abi();
    *failed_rule = count;
    if (abi < 1)
        return -EOPNOTSUPP;
    struct ruleset_attributes attributes = { .handled_access_fs = handled_rights(abi) };
    if (abi >= 6)
        attributes.scoped = SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET;
    /* The size tells the kernel which fields this ABI knows. */
    size_t size = abi >= 6 ? sizeof attributes : abi >= 4 ? 2 * sizeof(uint64_t)
                                                           : sizeof(uint64_t);
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attributes, size, 0);
    if (ruleset < 0)
        return -errno;
    for (size_t i = 0; i < count; i++) {
        int rc = grant(ruleset, abi, rules[i].path, rules[i].access, &rules[i], NULL);
        /* An optional rule (a preset's system directory) that does not
         * exist on this machine grants nothing, and refuses nothing. */
        if (rc == -ENOENT && rules[i].optional)
            continue;
        if (rc < 0) {
            *failed_rule = i;
            close(ruleset);
            return rc;
        }
    }
    return ruleset;
}
