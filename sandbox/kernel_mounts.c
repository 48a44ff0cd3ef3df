/*
 * Where the kernel's file systems of settings and processes are mounted
 * in the caller's mount namespace, wherever that is: the Landlock fence
 * of a task without a mount namespace (landlock_fence.c) must leave every
 * one of them out, not only the top-level /proc and /sys.  A second proc
 * under /run or /mnt (a container runtime's, an administrator's), a
 * cgroup hierarchy mounted for delegation, a bind mount of one file of
 * /proc/sys: each is a way to the caller's /proc/PID files or the
 * machine's settings beneath a directory the fence would grant.
 *
 * With a mount namespace the task's view is a copy of the caller's, and
 * those mounts come along: a second proc shows the machine's processes
 * past the task's pid namespace (and, to a root task, the kernel's
 * settings), so the init covers each (hidden_mounts.c) but those beneath
 * /proc and /sys, which the task's own /proc and a read-only /sys cover.
 *
 * Read from /proc/self/mountinfo, whose file system type is the mount's
 * source's, so a bind mount of a piece of /proc shows as proc; read again
 * only when the mount table changed (the file polls POLLPRI then) or a
 * path of it no longer leads to its mount (a parent directory renamed).
 * Parent side: allocates.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fork_reset.h"
#include "confine.h"
#include "per_task_state.h"

static const char *const kernel_types[] = {
    "proc",     "sysfs",    "cgroup",      "cgroup2", "debugfs", "tracefs",
    "securityfs", "bpf",    "configfs",    "efivarfs", "pstore", "binfmt_misc",
    "fusectl",  "selinuxfs", "smackfs",
};

static bool kernel_type(const char *type)
{
    for (size_t i = 0; i < sizeof kernel_types / sizeof *kernel_types; i++)
        if (!strcmp(type, kernel_types[i]))
            return true;
    return false;
}

/* mountinfo writes a space, tab, newline and backslash of a path as \ooo. */
static void unescape(char *text)
{
    char *out = text;
    for (const char *in = text; *in; out++) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
            in[3] >= '0' && in[3] <= '7') {
            *out = (char)((in[1] - '0') << 6 | (in[2] - '0') << 3 | (in[3] - '0'));
            in += 4;
        } else {
            *out = *in++;
        }
    }
    *out = '\0';
}

/* The mount point of one line, if its type is the kernel's; NULL else.
 * A line: id parent major:minor root MOUNT_POINT options [tags] - TYPE ... */
static char *kernel_mount_point(char *line)
{
    char *fields[5], *save = NULL, *word = strtok_r(line, " \n", &save);
    int count = 0;
    for (; word && count < 5; word = strtok_r(NULL, " \n", &save))
        fields[count++] = word;
    if (count < 5)
        return NULL;
    for (; word && strcmp(word, "-") != 0; word = strtok_r(NULL, " \n", &save))
        ;
    const char *type = word ? strtok_r(NULL, " \n", &save) : NULL;
    if (!type || !kernel_type(type))
        return NULL;
    unescape(fields[4]);
    return fields[4];
}

static int add_path(cordon__path_list *list, const char *path)
{
    char **grown = realloc(list->paths, (list->count + 1) * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    list->paths = grown;
    if (!(grown[list->count] = strdup(path)))
        return -ENOMEM;
    list->count++;
    return 0;
}

int cordon__kernel_mounts(cordon__path_list *out)
{
    out->paths = NULL;
    out->count = 0;
    FILE *mounts = fopen("/proc/self/mountinfo", "re");
    if (!mounts)
        return -errno;
    char *line = NULL;
    size_t size = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &size, mounts) >= 0) {
        const char *point = kernel_mount_point(line);
        if (point && point[0] == '/')
            rc = add_path(out, point);
    }
    if (rc == 0 && ferror(mounts))
        rc = -EIO;
    free(line);
    fclose(mounts);
    if (rc < 0)
        cordon__path_list_free(out);
    return rc;
}

void cordon__path_list_free(cordon__path_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->paths[i]);
    free(list->paths);
    list->paths = NULL;
    list->count = 0;
}

/* Beneath /proc or /sys, or one of them. */
static bool beneath_proc_or_sys(const char *path)
{
    return !strncmp(path, "/proc", 5) && (path[5] == '\0' || path[5] == '/') ? true
           : !strncmp(path, "/sys", 4) && (path[4] == '\0' || path[4] == '/');
}

static int copy_list(const cordon__path_list *from, cordon__path_list *to)
{
    to->paths = NULL;
    to->count = 0;
    for (size_t i = 0; i < from->count; i++) {
        int rc = add_path(to, from->paths[i]);
        if (rc < 0) {
            cordon__path_list_free(to);
            return rc;
        }
    }
    return 0;
}

static struct {
    pthread_mutex_t lock;
    pid_t owner;
    int watch;                  /* /proc/self/mountinfo, polled for changes */
    cordon__path_list elsewhere;
    uint64_t *mount_ids;        /* the mount each path led to when read (0: unknown) */
    unsigned generation;
    bool known;
} cache CORDON__PER_TASK_STATE = { .lock = PTHREAD_MUTEX_INITIALIZER, .watch = -1 };
CORDON__RESET_IN_FORKED_COPIES(&cache.lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&cache.owner);

static bool table_changed(void)
{
    struct pollfd watch = { .fd = cache.watch, .events = POLLPRI };
    return cache.watch < 0 || poll(&watch, 1, 0) != 0;
}

/* The mount `path` leads to, not following a link at its end; 0 where
 * it leads nowhere or the kernel does not say (before Linux 5.8). */
static uint64_t mount_id_at(const char *path)
{
    struct statx st;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID, &st) != 0 ||
        !(st.stx_mask & STATX_MNT_ID))
        return 0;
    return st.stx_mnt_id;
}

/* A rename of a directory above a mount moves the mount without
 * changing the table (nothing to poll): its path then leads nowhere,
 * or to whatever was left in its place.  A second proc in a chroot
 * whose parent an earlier task renamed stayed uncovered for the next
 * task, which set the caller's oom_score_adj through it. */
static bool paths_moved(void)
{
    /* A path that led to no mount when read (hidden beneath a later
     * mount, unreachable) is 0 both times while it stays so. */
    for (size_t i = 0; i < cache.elsewhere.count; i++)
        if (!cache.mount_ids || mount_id_at(cache.elsewhere.paths[i]) != cache.mount_ids[i])
            return true;
    return false;
}

static void note_mount_ids(void)
{
    free(cache.mount_ids);
    cache.mount_ids = cache.elsewhere.count
                          ? calloc(cache.elsewhere.count, sizeof *cache.mount_ids)
                          : NULL;
    for (size_t i = 0; cache.mount_ids && i < cache.elsewhere.count; i++)
        cache.mount_ids[i] = mount_id_at(cache.elsewhere.paths[i]);
}

/* The list read again; on a failure to read it the old one stays, the
 * generation moves on regardless (the fence is made again). */
static void read_again(void)
{
    if (cache.watch >= 0)
        close(cache.watch);
    /* Opened first: a change while the table is read is seen next time. */
    cache.watch = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    cordon__path_list all;
    if (cordon__kernel_mounts(&all) == 0) {
        cordon__path_list_free(&cache.elsewhere);
        for (size_t i = 0; i < all.count; i++)
            if (!beneath_proc_or_sys(all.paths[i]) && add_path(&cache.elsewhere, all.paths[i]) < 0)
                break;
        cordon__path_list_free(&all);
    }
    note_mount_ids();
    cache.generation++;
    cache.known = true;
}

int cordon__kernel_mounts_elsewhere(cordon__path_list *copy, unsigned *generation)
{
    pthread_mutex_lock(&cache.lock);
    /* A forked copy's fd of its parent's may be its own file by now (a
     * daemon closes what it inherits): forgotten, not closed. */
    if (cache.owner != getpid()) {
        cache.owner = getpid();
        cache.watch = -1;
        cache.known = false;
    }
    if (!cache.known || table_changed() || paths_moved())
        read_again();
    int rc = copy ? copy_list(&cache.elsewhere, copy) : 0;
    if (generation)
        *generation = cache.generation;
    pthread_mutex_unlock(&cache.lock);
    return rc;
}
