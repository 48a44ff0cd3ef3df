/*
 * The processes beneath a task's init, found from the init down through
 * /proc's children files (each thread's own: a child started by any
 * thread of a process is listed by that thread).
 *
 * Why: without the kernel's CPU counter or a v2 cgroup, a CPU-limit check
 * of a task in a pid namespace sums its tree's processes.  Finding them by
 * a scan of all of /proc costs some 5 µs per process of the machine, and
 * the checks are spaced by twenty times what a read costs: on a machine
 * of a hundred processes that put checks 8 ms apart, and three spinners
 * 7–26 ms past a 300 ms limit.  This costs with the task's own tree.
 *
 * Each process's stat is read as it is reached, which says whether its
 * children need a directory's listing, one file, or nothing (a zombie of
 * one thread): 7,000 zombies the task never waited for cost a third of
 * the system calls they did (and the caller's checks were spaced by that
 * cost).  A process reparented while the walk goes may be listed twice
 * (under its old parent and the init): the list is sorted and each pid
 * kept once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* More than any machine's pid_max: a bound on what a racing walk lists. */
#define TREE_MAX ((size_t)1 << 22)

typedef struct pid_list {
    pid_t *at;
    size_t count, size;
} pid_list;

static int push(pid_list *list, pid_t pid)
{
    if (list->count == list->size) {
        size_t size = list->size ? 2 * list->size : 64;
        if (size > TREE_MAX)
            return -E2BIG;
        pid_t *grown = realloc(list->at, size * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        list->at = grown;
        list->size = size;
    }
    list->at[list->count++] = pid;
    return 0;
}

/* The pids in one children file ("12 34 56 "), read in pieces: a file
 * of thousands of children is longer than any one buffer.  -ENOENT where
 * the file cannot be opened. */
static int read_children_file(const char *path, pid_list *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char piece[4096];
    long pid = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, piece, sizeof piece);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n && rc == 0; i++) {
            if (piece[i] >= '0' && piece[i] <= '9') {
                pid = pid * 10 + (piece[i] - '0');
                if (pid > 0x7fffffff)
                    pid = 0; /* not a pid: dropped */
            } else if (pid > 0) {
                rc = push(out, (pid_t)pid);
                pid = 0;
            }
        }
    }
    if (rc == 0 && pid > 0)
        rc = push(out, (pid_t)pid);
    close(fd);
    return rc;
}

/* A process's children, as each of its threads lists them.  A process of
 * one thread has one list (no directory to read), and a zombie of one
 * none: its children went to a reaper when it died.  A zombie leader with
 * live threads has them under those threads.  A thread started between
 * the stat and this read may have a child this walk misses: the next
 * walk, or the counter, has it.  A process gone meanwhile has none. */
static int add_children(pid_t pid, const cordon__proc_stat *stat, pid_list *out)
{
    char path[96];
    if (stat->threads == 1) {
        if (stat->state == 'Z' || stat->state == 'X')
            return 0;
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
        int rc = read_children_file(path, out);
        return rc == -ENOENT || rc == -ESRCH ? 0 : rc;
    }
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *tasks = opendir(path);
    if (!tasks)
        return 0;
    int rc = 0;
    for (struct dirent *entry; rc == 0 && (entry = readdir(tasks));) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%.16s/children", (int)pid, entry->d_name);
        rc = read_children_file(path, out);
        if (rc == -ENOENT || rc == -ESRCH)
            rc = 0; /* the thread ended meanwhile */
    }
    closedir(tasks);
    return rc;
}

static int by_pid(const void *a, const void *b)
{
    pid_t x = ((const cordon__tree_process *)a)->pid, y = ((const cordon__tree_process *)b)->pid;
    return (x > y) - (x < y);
}

static size_t keep_each_once(cordon__tree_process *found, size_t count)
{
    qsort(found, count, sizeof *found, by_pid);
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (kept == 0 || found[kept - 1].pid != found[i].pid)
            found[kept++] = found[i];
    return kept;
}

/* One process reached: its stat (gone meanwhile: left out) and children. */
static int visit(pid_t pid, pid_list *queue, cordon__tree_process **found, size_t *count,
                 size_t *size)
{
    if (*count == *size) {
        size_t grown_size = *size ? 2 * *size : 64;
        if (grown_size > TREE_MAX)
            return -E2BIG;
        cordon__tree_process *grown = realloc(*found, grown_size * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        *found = grown;
        *size = grown_size;
    }
    cordon__tree_process *at = &(*found)[*count];
    if (!cordon__proc_stat_read(pid, &at->stat))
        return 0;
    at->pid = pid;
    ++*count;
    return add_children(pid, &at->stat, queue);
}

/* How many processes a walk reads between two asks of its give_up. */
#define GIVE_UP_EVERY 64

int cordon__namespace_tree(pid_t init, cordon__tree_process **out, size_t *count,
                           bool (*give_up)(void *), void *context)
{
    char own[96];
    snprintf(own, sizeof own, "/proc/%d/task/%d/children", (int)init, (int)init);
    if (access(own, F_OK) != 0) {
        snprintf(own, sizeof own, "/proc/%d/task/%d", (int)init, (int)init);
        /* the init alive without the file: a kernel without children files */
        return access(own, F_OK) == 0 ? -ENOTSUP : -ESRCH;
    }
    pid_list queue = { NULL, 0, 0 };
    cordon__tree_process *found = NULL;
    size_t found_count = 0, found_size = 0;
    int rc = read_children_file(own, &queue);
    if (rc == -ENOENT || rc == -ESRCH)
        rc = -ESRCH; /* the init ended meanwhile */
    for (size_t next = 0; rc == 0 && next < queue.count; next++) {
        if (give_up && next % GIVE_UP_EVERY == GIVE_UP_EVERY - 1 && give_up(context))
            rc = -ECANCELED;
        else
            rc = visit(queue.at[next], &queue, &found, &found_count, &found_size);
    }
    free(queue.at);
    if (rc < 0) {
        free(found);
        return rc;
    }
    *count = found ? keep_each_once(found, found_count) : 0;
    *out = found;
    return 0;
}
