/* O_NOFOLLOW refuses a symbolic link at the last component; O_NONBLOCK
 * keeps open() from waiting for a FIFO's other end (and a device's
 * carrier); fstat then refuses anything but a regular file, and a hard
 * link count above one, since the other name may be a file the caller
 * never meant to give (root's 0600 files among them). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"
#include "safe_open.h"

/* A file that is planted again after each removal: give up after this
 * many tries rather than loop on a hostile task. */
#define CREATE_TRIES 3

static int open_retrying(int dir_fd, const char *path, int flags, mode_t mode)
{
    int fd;
    do
        fd = openat(dir_fd, path, flags, mode);
    while (fd < 0 && errno == EINTR);
    return fd;
}

static const char *kind_of(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "not a regular file";
}

static int refuse(int fd, const char *option, const char *dir, const char *name,
                  const char *why)
{
    if (fd >= 0)
        close(fd);
    runner_error("%s: '%s%s%s' is %s; cordon writes only to a regular file with one name",
                 option, dir, dir[0] ? "/" : "", name, why);
    return -1;
}

/* The checks after open: a regular file with one name, and a blocking fd
 * again (a regular file never waits anyway, but writes must be whole). */
static int check_regular(int fd, const char *option, const char *dir, const char *name)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int saved = errno;
        close(fd);
        runner_error("%s: cannot examine '%s%s%s': %s", option, dir, dir[0] ? "/" : "", name,
                     strerror(saved));
        return -1;
    }
    if (!S_ISREG(st.st_mode))
        return refuse(fd, option, dir, name, kind_of(st.st_mode));
    if (st.st_nlink > 1)
        return refuse(fd, option, dir, name, "one of several hard links to a file");
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        int saved = errno;
        close(fd);
        runner_error("%s: cannot set up '%s': %s", option, name, strerror(saved));
        return -1;
    }
    return fd;
}

static int check_owned(int fd, const char *option, const char *path);

/* The length of `path` without its trailing slashes and "." components
 * ("d/./" is "d"; "/." is "/", "./" is "."). */
static size_t dir_path_length(const char *path)
{
    size_t len = runner_path_length(path);
    while (len > 2 && path[len - 1] == '.' && path[len - 2] == '/') {
        len -= 2;
        while (len > 1 && path[len - 1] == '/')
            len--;
    }
    if (len == 2 && path[0] == '/' && path[1] == '.')
        len = 1;
    return len;
}

int safe_open_dir(const char *option, const char *path)
{
    /* A trailing '/' or "/." makes the kernel follow a link O_NOFOLLOW
     * would refuse: `--out-dir link/` wrote into the link's target. */
    char *bare = strndup(path, dir_path_length(path));
    if (!bare) {
        runner_error("%s: out of memory", option);
        return -1;
    }
    int fd = open_retrying(AT_FDCWD, bare, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    int saved = errno;
    struct stat st;
    bool link = fd < 0 && (saved == ELOOP ||
                           (saved == ENOTDIR && lstat(bare, &st) == 0 && S_ISLNK(st.st_mode)));
    free(bare);
    /* Another user's directory, or one every user may write (/tmp): a
     * task run as that user (or any task) removed a sibling's N.out there
     * and wrote its own, or renamed one of cordon's files (its content
     * the task's) to where --resume reads records. */
    if (fd >= 0)
        return check_owned(fd, option, path);
    if (link)
        runner_error("%s: '%s' is a symbolic link; give the directory itself", option, path);
    else if (saved == ENOTDIR)
        runner_error("%s: '%s' is not a directory", option, path);
    else
        runner_error("%s: cannot open '%s': %s", option, path, strerror(saved));
    return -1;
}

/* Removes what stands at `name` (a file, a link of either kind, a FIFO),
 * never what it points to. */
static int remove_old(const char *option, int dir_fd, const char *dir, const char *name)
{
    if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno == EISDIR)
        return refuse(-1, option, dir, name, "a directory");
    runner_error("%s: cannot replace '%s/%s': %s", option, dir, name, strerror(errno));
    return -1;
}

int safe_remove_at(const char *option, int dir_fd, const char *dir, const char *name)
{
    return remove_old(option, dir_fd, dir, name);
}

int safe_create_at(const char *option, int dir_fd, const char *dir, const char *name)
{
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
                      O_CLOEXEC;
    for (int i = 0; i < CREATE_TRIES; i++) {
        if (remove_old(option, dir_fd, dir, name) < 0)
            return -1;
        /* O_EXCL: a name planted again since the unlink fails here rather
         * than being opened. */
        /* 0600: a task that a root runner runs as nobody reads no other
         * task's saved output. */
        int fd = open_retrying(dir_fd, name, flags, 0600);
        if (fd >= 0)
            return check_regular(fd, option, dir, name);
        if (errno != EEXIST) {
            runner_error("%s: cannot create '%s/%s': %s", option, dir, name, strerror(errno));
            return -1;
        }
    }
    runner_error("%s: cannot create '%s/%s': something keeps putting another file there",
                 option, dir, name);
    return -1;
}

/* open() itself refused what stands at `name` in `dir_fd` (`path` in
 * messages): a symbolic link (ELOOP), a socket or a FIFO without a
 * reader (ENXIO), a directory (EISDIR). */
static int open_failed(const char *option, int dir_fd, const char *name, const char *path,
                       int error)
{
    struct stat st;
    if (error == ELOOP)
        return refuse(-1, option, "", path, "a symbolic link");
    if ((error == ENXIO || error == EISDIR) &&
        fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return refuse(-1, option, "", path, kind_of(st.st_mode));
    runner_error("%s: cannot open '%s': %s", option, path, strerror(error));
    return -1;
}

/* A file another user made there (a task run as nobody, which renamed the
 * caller's file away, or planted one before its first use) stays theirs
 * to read and rewrite, as does one every user may write: what cordon
 * writes into it could be read, changed or forged after.  A file its
 * group may write is its owner's sharing (a umask of 002 makes them). */
static int check_owned(int fd, const char *option, const char *path)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int saved = errno;
        close(fd);
        runner_error("%s: cannot examine '%s': %s", option, path, strerror(saved));
        return -1;
    }
    if (st.st_uid != geteuid()) {
        close(fd);
        runner_error("%s: '%s' belongs to another user (uid %u), who could read and rewrite "
                     "what cordon writes there; remove it or give another path",
                     option, path, (unsigned)st.st_uid);
        return -1;
    }
    if (st.st_mode & S_IWOTH) {
        close(fd);
        runner_error("%s: '%s' may be written by every user (mode %04o), who could rewrite "
                     "what cordon writes there; make it yours alone (chmod o-w) or give "
                     "another path",
                     option, path, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return fd;
}

int safe_open_append(const char *option, const char *path)
{
    int fd = open_retrying(AT_FDCWD, path,
                           O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
                               O_CLOEXEC,
                           0600); /* the records of every task: no task's to read */
    if (fd < 0)
        return open_failed(option, AT_FDCWD, path, path, errno);
    if ((fd = check_regular(fd, option, "", path)) < 0)
        return -1;
    return check_owned(fd, option, path);
}

int safe_pin_parent(const char *option, const char *path, const char **name)
{
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir) {
        runner_error("%s: %s", option, strerror(ENOMEM));
        return -1;
    }
    int fd = open_retrying(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        runner_error("%s: cannot open the directory '%s' of '%s': %s", option, dir, path,
                     strerror(errno));
    free(dir);
    return fd;
}

int safe_open_replace_in(const char *option, int dir_fd, const char *name, const char *path)
{
    /* no O_TRUNC: a hard link planted there is refused before anything
     * is cut */
    int fd = open_retrying(dir_fd, name,
                           O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                           0644);
    if (fd < 0)
        return open_failed(option, dir_fd, name, path, errno);
    if ((fd = check_regular(fd, option, "", path)) < 0 ||
        (fd = check_owned(fd, option, path)) < 0)
        return -1;
    if (ftruncate(fd, 0) < 0) {
        runner_error("%s: cannot empty '%s': %s", option, path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int safe_open_replace(const char *option, const char *path)
{
    const char *name;
    int dir_fd = safe_pin_parent(option, path, &name);
    if (dir_fd < 0)
        return -1;
    int fd = safe_open_replace_in(option, dir_fd, name, path);
    close(dir_fd);
    return fd;
}

/* The directory that would hold a new `path` (said as the failed open would say it), writable and searchable by
 * this process's effective ids (those that create the file). */
static int check_parent(const char *option, const char *path)
{
    char *parent = strdup(path);
    if (!parent) {
        runner_error("%s: %s", option, strerror(ENOMEM));
        return -1;
    }
    char *slash = strrchr(parent, '/');
    const char *dir = !slash ? "." : slash == parent ? "/" : (*slash = '\0', parent);
    struct stat st;
    int error = 0;
    if (stat(dir, &st) < 0)
        error = errno;
    else if (!S_ISDIR(st.st_mode))
        error = ENOTDIR;
    else if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0)
        error = errno;
    free(parent);
    if (error)
        runner_error("%s: cannot open '%s': %s", option, path, strerror(error));
    return error ? -1 : 0;
}

int safe_check_replace(const char *option, const char *path)
{
    if (!*path) {
        runner_error("%s: the name is empty", option);
        return -1;
    }
    if (path[strlen(path) - 1] == '/') {
        runner_error("%s: '%s' names a directory; give a file", option, path);
        return -1;
    }
    /* No O_CREAT, no truncation: what stands there is only looked at. */
    int fd = open_retrying(AT_FDCWD, path,
                           O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
    if (fd < 0 && errno == ENOENT)
        return check_parent(option, path);
    if (fd < 0)
        return open_failed(option, AT_FDCWD, path, path, errno);
    if ((fd = check_regular(fd, option, "", path)) < 0 ||
        (fd = check_owned(fd, option, path)) < 0)
        return -1;
    close(fd);
    return 0;
}
