/* --audit FILE: one JSON line per task, appended. */
#ifndef CORDON_RUNNER_AUDIT_H
#define CORDON_RUNNER_AUDIT_H

#include <stddef.h>

/* Opens (creating) the file for appending, before anything runs, so a bad
 * path is an option error.  Only a regular file with one name, reached
 * without a symbolic link at its last component (see safe_open.h).
 * Returns the fd, or -1 after a message. */
int audit_open(const char *path);
/* Appends `line` (which ends with a newline) whole, even when other
 * runners append to the same file at the same moment; waits a bounded
 * time for their lock.  0 or -1 after a message. */
int audit_append(int fd, const char *path, const char *line, size_t len);

#endif
