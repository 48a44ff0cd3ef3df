/* Several runners may append to one audit file at once.  O_APPEND makes
 * each write land at the end, but a line is written in pieces (it is
 * made as it is written, never held whole: see json.h) and a write may be
 * cut short (a signal, a full disk), and the rest would then land after
 * another runner's line; the exclusive lock keeps the pieces of one line
 * together until the last byte is written. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "runner.h"
#include "safe_open.h"

int audit_open(const char *path)
{
    return safe_open_append("--audit", path);
}

/* Another process holding the lock (a task can flock a file it can only
 * read) must not hold cordon for ever, nor cost a record: wait this long,
 * then append without the lock (O_APPEND still puts each write at the
 * end, and the line is then written in one piece: audit_write).  Another runner
 * holds it for one write; a holder that kept it the whole wait is taken
 * to keep it: from then on this run only tries it, never waits again
 * (a batch task that kept the lock held up every sibling's record 5 s,
 * so a batch's later lines started 5 s apart). */
#define AUDIT_LOCK_WAIT_MS 1000

static bool lock_given_up;

static bool lock_exclusive(int fd, const char *path)
{
    unsigned long long until = runner_now_us() + AUDIT_LOCK_WAIT_MS * 1000ull;
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            runner_error("--audit: cannot lock '%s' (%s): appending without the lock", path,
                         strerror(errno));
            return false;
        }
        if (lock_given_up)
            return false;
        if (runner_now_us() >= until) {
            runner_error("--audit: another process held the lock of '%s' for %d s: "
                         "appending without it from now on", path, AUDIT_LOCK_WAIT_MS / 1000);
            lock_given_up = true;
            return false;
        }
        struct timespec pause = { 0, 5 * 1000000L };
        nanosleep(&pause, NULL);
    }
    return true;
}

/* Under the lock: a line that a runner killed mid-write left unfinished
 * gets its newline, so that this line starts on its own. */
static int end_previous_line(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    char last = '\n';
    if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
        return -1;
    return last == '\n' ? 0 : runner_write_all(fd, "\n", 1);
}

int audit_begin(audit_line *a, int fd, const char *path)
{
    *a = (audit_line){ fd, path, lock_exclusive(fd, path), false, 0, 0, 0, NULL, 0, 0 };
    struct stat before;
    /* Mending and taking back need the lock: without it the end of the
     * file may be another runner's. */
    a->measured = a->locked && fstat(fd, &before) == 0 && S_ISREG(before.st_mode);
    a->start = a->measured ? before.st_size : 0;
    if (a->measured && end_previous_line(fd) < 0) {
        a->rc = -1;
        a->error = errno;
    }
    return a->rc;
}

/* Without the lock, another runner's pieces would land between this
 * line's: the line is held whole and appended in one write (a write of
 * O_APPEND to a regular file is not split by another's). */
static int hold(audit_line *a, const char *data, size_t len)
{
    if (a->held_len + len > a->held_size) {
        size_t size = a->held_size ? a->held_size : 65536;
        while (size < a->held_len + len)
            size *= 2;
        char *grown = realloc(a->held, size);
        if (!grown)
            return -1;
        a->held = grown;
        a->held_size = size;
    }
    memcpy(a->held + a->held_len, data, len);
    a->held_len += len;
    return 0;
}

int audit_write(void *line, const char *data, size_t len)
{
    audit_line *a = line;
    if (a->rc == 0 &&
        (a->locked ? runner_write_all(a->fd, data, len) : hold(a, data, len)) < 0) {
        a->rc = -1;
        a->error = errno;
    }
    return a->rc;
}

/* A task that may write the audit file's directory can remove or rename
 * the file while it runs: its record then went to a file no longer at
 * that name, and cordon had ended 0 without a word.  Said, as a failed
 * write is (the record is where the file now is, if anywhere). */
static int still_named(audit_line *a)
{
    struct stat held, named;
    if (fstat(a->fd, &held) != 0)
        return 0;
    const char *what = held.st_nlink == 0 ? "removed"
                       : lstat(a->path, &named) != 0 || named.st_dev != held.st_dev ||
                               named.st_ino != held.st_ino
                           ? "renamed or replaced"
                           : NULL;
    if (!what)
        return 0;
    /* Said once: a batch's later records go the same way (each is still
     * counted lost), and the first one's task is the likeliest mover. */
    static bool said;
    if (!said)
        runner_error("--audit: '%s' was %s while the task ran (its directory is writable by "
                     "the task's user): this record, and any after it, went to the file it "
                     "was, not to that name", a->path, what);
    said = true;
    return -1;
}

int audit_end(audit_line *a)
{
    if (a->rc == 0 && a->held_len && runner_write_all(a->fd, a->held, a->held_len) < 0) {
        a->rc = -1;
        a->error = errno;
    }
    free(a->held);
    a->held = NULL;
    /* A line cut short (a full disk) is taken back whole. */
    if (a->rc < 0 && a->measured && ftruncate(a->fd, a->start) != 0)
        a->error = errno;
    if (a->locked)
        flock(a->fd, LOCK_UN);
    if (a->rc < 0)
        runner_error("--audit: cannot write '%s': %s", a->path, strerror(a->error));
    else
        a->rc = still_named(a);
    return a->rc;
}
