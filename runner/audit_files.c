/* Audit files named by file, directory or pattern, and read line by line:
 * only one line is held at a time, so a file of any length streams. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_files.h"
#include "runner.h"

/* Bad lines named one by one before the rest are only counted. */
#define BAD_LINES_SHOWN 10

static void add_path(path_list *list, const char *path)
{
    list->items = runner_realloc(list->items, (list->count + 1) * sizeof *list->items);
    list->items[list->count++] = runner_strdup(path);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_jsonl(const char *name)
{
    size_t len = strlen(name);
    return len > 6 && strcmp(name + len - 6, ".jsonl") == 0 && name[0] != '.';
}

/* A file found by listing or by pattern, not named by the user, may be one
 * a task planted in a directory it could write: only a regular file
 * itself (not a link, FIFO or device: a FIFO would be waited on, a link to
 * /dev/zero read without end) is taken; the rest is said and skipped. */
static bool is_regular(const char *option, int dir_fd, const char *shown, const char *name,
                       bool callers_only)
{
    struct stat st;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
        runner_error("%s: '%s' is not a regular file; skipped", option, shown);
        return false;
    }
    /* Records that decide what runs: a file another could have written
     * (planted in a shared audit directory) is said and skipped, as a
     * FIFO is, rather than failing every later resubmission. */
    if (callers_only && (st.st_uid != geteuid() || (st.st_mode & S_IWOTH) || st.st_nlink > 1)) {
        runner_error("%s: '%s' is %s, whose records could be forged; skipped", option, shown,
                     st.st_uid != geteuid() ? "a file of another user"
                     : st.st_nlink > 1      ? "one of several hard links to a file"
                                            : "writable by every user");
        return false;
    }
    return true;
}

static int add_directory(path_list *list, const char *option, const char *dir, bool need_one,
                         bool callers_only)
{
    DIR *d = opendir(dir);
    if (!d) {
        runner_error("%s: cannot read the directory '%s': %s", option, dir, strerror(errno));
        return -1;
    }
    size_t first = list->count;
    bool named = false;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        if (!is_jsonl(entry->d_name))
            continue;
        named = true;
        size_t size = strlen(dir) + strlen(entry->d_name) + 2;
        char *path = runner_alloc(size);
        /* "audit/" names its files audit/0.jsonl, not audit//0.jsonl */
        const char *slash = dir[strlen(dir) - 1] == '/' ? "" : "/";
        snprintf(path, size, "%s%s%s", dir, slash, entry->d_name);
        if (is_regular(option, dirfd(d), path, entry->d_name, callers_only))
            add_path(list, path);
        free(path);
    }
    closedir(d);
    /* planted files skipped were said; a directory of none was not */
    if (need_one && !named) {
        runner_error("%s: the directory '%s' holds no *.jsonl file", option, dir);
        return -1;
    }
    if (list->count > first)
        qsort(list->items + first, list->count - first, sizeof *list->items, by_path);
    return 0;
}

static int add_pattern(path_list *list, const char *option, const char *pattern,
                       bool callers_only)
{
    glob_t g;
    int rc = glob(pattern, 0, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        runner_error("%s: '%s' matches no file", option, pattern);
        return -1;
    }
    if (rc != 0) {
        runner_error("%s: cannot expand '%s'", option, pattern);
        return -1;
    }
    for (size_t i = 0; i < g.gl_pathc; i++)
        if (is_regular(option, AT_FDCWD, g.gl_pathv[i], g.gl_pathv[i], callers_only))
            add_path(list, g.gl_pathv[i]);
    globfree(&g);
    return 0;
}

int audit_files_add(path_list *list, const char *option, const char *arg, bool need_one,
                    bool callers_only)
{
    struct stat st;
    if (stat(arg, &st) == 0)
        return S_ISDIR(st.st_mode) ? add_directory(list, option, arg, need_one, callers_only)
                                   : (add_path(list, arg), 0);
    if (strpbrk(arg, "*?["))
        return add_pattern(list, option, arg, callers_only);
    /* "-" is no file here: the records are read from files only (a pipe
     * or stdin was "No such file or directory", the reason left out). */
    if (strcmp(arg, "-") == 0 && errno == ENOENT)
        runner_error("%s: cannot read '-': the records are read from audit files only, not "
                     "from stdin (write them to a file first)", option);
    else
        runner_error("%s: cannot read '%s': %s", option, arg, strerror(errno));
    return -1;
}

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    size_t index;
} file_id;

static int by_id(const void *a, const void *b)
{
    const file_id *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void audit_files_unique(path_list *list)
{
    if (list->count < 2)
        return;
    file_id *ids = runner_alloc(list->count * sizeof *ids);
    bool *dropped = runner_alloc(list->count * sizeof *dropped);
    size_t known = 0;
    for (size_t i = 0; i < list->count; i++) {
        struct stat st;
        if (stat(list->items[i], &st) == 0) /* one that cannot be: said when read */
            ids[known++] = (file_id){ st.st_dev, st.st_ino, i };
    }
    qsort(ids, known, sizeof *ids, by_id);
    for (size_t k = 1; k < known; k++)
        if (ids[k].dev == ids[k - 1].dev && ids[k].ino == ids[k - 1].ino)
            dropped[ids[k].index] = true;
    size_t kept = 0;
    for (size_t i = 0; i < list->count; i++) {
        if (dropped[i])
            free(list->items[i]);
        else
            list->items[kept++] = list->items[i];
    }
    list->count = kept;
    free(ids);
    free(dropped);
}

void audit_files_free(path_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    *list = (path_list){ NULL, 0 };
}

typedef struct reading {
    audit_reader *r;
    const char *path;
    size_t bad;                 /* in this file */
} reading;

static void bad_line(reading *rd, size_t lineno, bool last_unended, const char *reason)
{
    rd->r->bad_lines++;
    if (++rd->bad > BAD_LINES_SHOWN)
        return;
    if (last_unended)
        runner_error("%s:%zu: the last line is cut short (a runner killed while writing it?); "
                     "skipped", rd->path, lineno);
    else if (reason[0])
        runner_error("%s:%zu: %s; skipped", rd->path, lineno, reason);
    else
        runner_error("%s:%zu: not a cordon audit record; skipped", rd->path, lineno);
}

static void take_line(void *user, char *line, size_t len, size_t lineno)
{
    reading *rd = user;
    bool ended = len > 0 && line[len - 1] == '\n';
    size_t body = len - ended;
    if (body == 0 || (body == 1 && line[0] == '\r'))
        return;
    audit_entry e;
    if (audit_entry_parse(line, len, &e) < 0) {
        bad_line(rd, lineno, !ended, e.reason);
        return;
    }
    rd->r->records++;
    rd->r->each(rd->r->user, &e, rd->path, lineno);
    free(e.command);
}

/* An audit file may sit in a directory a task could write, and a name
 * there may be a FIFO (open() would wait for a writer for ever) or a link
 * to a device (/dev/zero: one endless line).  Only a regular file is read;
 * O_NONBLOCK keeps the open itself, and the reads, from waiting.  A stream, or NULL after
 * saying why. */
static FILE *open_audit(const char *option, const char *path, bool callers_only)
{
    int fd;
    /* Records that decide what runs are never read through a link: one a
     * task put there could name a file of the caller's that the task
     * wrote (its --out-dir output) as a success to skip. */
    int no_link = callers_only ? O_NOFOLLOW : 0;
    do
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | no_link);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        runner_error("%s: cannot read '%s': %s", option, path,
                     errno == ELOOP && no_link ? "a symbolic link, whose records could be "
                                                 "forged" : strerror(errno));
        return NULL;
    }
    struct stat st;
    const char *why = NULL;
    if (fstat(fd, &st) < 0)
        why = strerror(errno);
    else if (S_ISFIFO(st.st_mode))
        why = "a FIFO, not an audit file";
    else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        why = "a device, not an audit file";
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (callers_only && st.st_uid != geteuid())
        why = "a file of another user, whose records could be forged";
    else if (callers_only && st.st_nlink > 1)
        why = "one of several hard links to a file, whose records could be forged";
    else if (callers_only && (st.st_mode & S_IWOTH))
        why = "writable by every user, whose records could be forged (chmod o-w)";
    /* Left non-blocking: reading a regular file never waits anyway, and
     * a "regular" file of the kernel's that would (/proc/kmsg, through a
     * link planted among the audit files) fails instead of holding the
     * report for ever. */
    FILE *in = why ? NULL : fdopen(fd, "r");
    if (!in) {
        runner_error("%s: cannot read '%s': %s", option, path, why ? why : strerror(errno));
        close(fd);
    }
    return in;
}

int audit_files_read(audit_reader *r, const char *path)
{
    reading rd = { r, path, 0 };
    FILE *in = open_audit(r->option, path, r->callers_files_only);
    if (!in)
        return -1;
    int rc = runner_read_stream(r->option, path, in, take_line, &rd);
    fclose(in);
    if (rd.bad)
        runner_error("%s: %zu %s skipped", path, rd.bad, runner_plural(rd.bad, "line", "lines"));
    return rc;
}
