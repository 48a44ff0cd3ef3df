/* --audit FILE: one JSON line per task, appended. */
#ifndef CORDON_RUNNER_AUDIT_H
#define CORDON_RUNNER_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Opens (creating) the file for appending, before anything runs, so a bad
 * path is an option error.  Only a regular file with one name, reached
 * without a symbolic link at its last component (see safe_open.h).
 * Returns the fd, or -1 after a message. */
int audit_open(const char *path);
/* One line (ending with a newline) appended in pieces, whole even when
 * other runners append to the same file at the same moment: audit_begin
 * takes the file's lock (waiting a bounded time for it), audit_write (a
 * json_sink) appends, audit_end takes back a line cut short and lets the
 * lock go.  Each returns 0, or -1 once a write failed (audit_end says so). */
typedef struct audit_line {
    int fd;
    const char *path;
    bool locked, measured;
    off_t start;
    int rc, error;
    char *held;           /* without the lock: the whole line, written at the end */
    size_t held_len, held_size;
} audit_line;

int audit_begin(audit_line *a, int fd, const char *path);
int audit_write(void *line, const char *data, size_t len);
int audit_end(audit_line *a);

#endif
