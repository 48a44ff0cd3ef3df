/*
 * A cgroup that only holds a task's tree (v2, no limit set in it but
 * cordon's process share) is kept, empty, for the next task instead of
 * being removed, and so is a v1 pids cgroup that held only the share.
 * Making one, moving a child into a new one and removing it cost more
 * than the fork itself (some 300 µs per task on the machines cordon is
 * built on, against some 60 µs for moving a child into one that exists),
 * and such a cgroup carries no limit or verdict from one task to the next:
 * the share is every such task's bound, and no exception is named from it.
 *
 * The pool belongs to one process: a forked copy of the caller starts its
 * own and never touches its parent's.  It keeps paths, not fds, so that an
 * idle cordon holds no descriptors.  What is in it is removed at exit; a
 * caller that died without exiting leaves empty cgroups named for its pid,
 * and the next process that makes cgroups in the same place removes them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fork_reset.h"
#include "cgroup.h"
#include "per_task_state.h"

/* More idle cgroups than tasks that ever ran at once would be waste. */
#define POOL_CAPACITY 8
/* A cgroup this young may belong to a process in another pid namespace
 * that is about to move its child in: the sweep leaves it. */
#define SWEEP_MIN_AGE_S 10

static struct {
    pthread_mutex_t lock;
    pid_t owner;
    int count[CORDON__CGROUP_POOL_KINDS];
    char *paths[CORDON__CGROUP_POOL_KINDS][POOL_CAPACITY];
    bool exit_hook_set;
} pool CORDON__PER_TASK_STATE = { .lock = PTHREAD_MUTEX_INITIALIZER };
CORDON__RESET_IN_FORKED_COPIES(&pool.lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&pool.owner);

/* A copy made by fork holds its parent's paths: they are not its own. */
static void forget_if_inherited(void)
{
    if (pool.owner == getpid())
        return;
    for (int kind = 0; kind < CORDON__CGROUP_POOL_KINDS; kind++) {
        for (int i = 0; i < pool.count[kind]; i++)
            free(pool.paths[kind][i]);
        pool.count[kind] = 0;
    }
    pool.owner = getpid();
}

char *cordon__cgroup_pool_take(cordon__cgroup_pool_kind kind)
{
    pthread_mutex_lock(&pool.lock);
    forget_if_inherited();
    char *path = pool.count[kind] > 0 ? pool.paths[kind][--pool.count[kind]] : NULL;
    pthread_mutex_unlock(&pool.lock);
    return path;
}

static void remove_all_locked(void)
{
    for (int kind = 0; kind < CORDON__CGROUP_POOL_KINDS; kind++) {
        for (int i = 0; i < pool.count[kind]; i++) {
            rmdir(pool.paths[kind][i]);
            free(pool.paths[kind][i]);
        }
        pool.count[kind] = 0;
    }
}

static void remove_pooled(void)
{
    pthread_mutex_lock(&pool.lock);
    if (pool.owner == getpid())
        remove_all_locked();
    pthread_mutex_unlock(&pool.lock);
}

void cordon__cgroup_pool_remove_before_exit(void)
{
    /* Only tried: a thread the task left running may hold the lock, and a
     * lock held at the fork stays held in the copy. */
    if (pool.owner != getpid() || pthread_mutex_trylock(&pool.lock) != 0)
        return;
    remove_all_locked();
    pthread_mutex_unlock(&pool.lock);
}

void cordon__cgroup_pool_give_back(cordon__cgroup_pool_kind kind, char *path)
{
    pthread_mutex_lock(&pool.lock);
    forget_if_inherited();
    bool kept = pool.count[kind] < POOL_CAPACITY;
    if (kept && !pool.exit_hook_set)
        kept = pool.exit_hook_set = atexit(remove_pooled) == 0;
    if (kept)
        pool.paths[kind][pool.count[kind]++] = path;
    pthread_mutex_unlock(&pool.lock);
    if (!kept) {
        rmdir(path);
        free(path);
    }
}

/* "cordon-PID-N": the pid of the process that made it. */
static pid_t maker_of(const char *name)
{
    int pid = 0;
    unsigned sequence;
    char end;
    if (sscanf(name, "cordon-%d-%u%c", &pid, &sequence, &end) != 2 || pid <= 0)
        return 0;
    return (pid_t)pid;
}

static bool old_enough(int dir_fd, const char *name)
{
    struct stat st;
    return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           time(NULL) - st.st_mtime >= SWEEP_MIN_AGE_S;
}

/* The first cgroup below `fd`'s, copied into `name`; false when none. */
static bool first_inner(int fd, char *name, size_t size)
{
    int listing = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = listing >= 0 ? fdopendir(listing) : NULL;
    if (!dir) {
        if (listing >= 0)
            close(listing);
        return false;
    }
    bool found = false;
    /* A cgroup's directory holds its files and the cgroups below it. */
    for (struct dirent *entry; !found && (entry = readdir(dir));) {
        if (entry->d_type != DT_DIR || strcmp(entry->d_name, ".") == 0 ||
            strcmp(entry->d_name, "..") == 0 || strlen(entry->d_name) >= size)
            continue;
        strcpy(name, entry->d_name);
        found = true;
    }
    closedir(dir);
    return found;
}

/* Depth first, with one directory open at a time and the names of the
 * way down on the heap: a task that may write its cgroup may make a chain
 * of any depth (a bound it could raise, a walk that stopped at 32 levels
 * left the rest for good, and one fd per level would run out).  Stops at
 * the first cgroup that cannot be removed (a process still leaving it):
 * cordon__cgroup_destroy walks again. */
void cordon__cgroup_remove_inner(int parent_fd, const char *name)
{
    int here = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    char (*way)[NAME_MAX + 1] = NULL;
    size_t depth = 0, room = 0;
    while (here >= 0) {
        char inner[NAME_MAX + 1];
        if (first_inner(here, inner, sizeof inner)) {
            if (depth == room) {
                size_t more = room ? 2 * room : 16;
                void *grown = realloc(way, more * sizeof *way);
                if (!grown)
                    break;
                way = grown;
                room = more;
            }
            int below = openat(here, inner, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (below < 0)
                break;
            strcpy(way[depth++], inner);
            close(here);
            here = below;
            continue;
        }
        if (depth == 0)
            break;
        int above = openat(here, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(here);
        here = above;
        if (here < 0 || unlinkat(here, way[--depth], AT_REMOVEDIR) != 0)
            break;
    }
    if (here >= 0)
        close(here);
    free(way);
}

void cordon__cgroup_sweep_orphans(const char *parent)
{
    DIR *dir = opendir(parent);
    if (!dir)
        return;
    for (struct dirent *entry; (entry = readdir(dir));) {
        pid_t maker = maker_of(entry->d_name);
        if (maker <= 0 || maker == getpid())
            continue;
        /* EPERM means alive, only not ours to signal. */
        if (kill(maker, 0) == 0 || errno != ESRCH || !old_enough(dirfd(dir), entry->d_name))
            continue;
        /* rmdir refuses a cgroup that still holds a process, or a cgroup:
         * a v1 memory limit's sits in one of cordon's (cgroup.c), and a
         * task that could write its cgroup may have made its own. */
        cordon__cgroup_remove_inner(dirfd(dir), entry->d_name);
        unlinkat(dirfd(dir), entry->d_name, AT_REMOVEDIR);
    }
    closedir(dir);
}
