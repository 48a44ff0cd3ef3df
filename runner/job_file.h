/* A job file: one shell command line per line; blank lines and lines
 * starting with # (after blanks) are not jobs.  Read alike by batch and by
 * report --jobs, so that both count the same lines. */
#ifndef CORDON_RUNNER_JOB_FILE_H
#define CORDON_RUNNER_JOB_FILE_H

#include <stddef.h>

/* Calls `each` with every job of `path` ("-" or NULL: stdin): its text
 * without the line ending, and its line number from 1 (every line of the
 * file counted).  0, or -1 after a message under `command`. */
typedef void (*job_fn)(void *user, char *text, size_t lineno);
int job_file_read(const char *command, const char *path, job_fn each, void *user);

/* -1 after a message under `command` when `path` ("-" or NULL: stdin) is
 * a directory, which no job file is; else 0 (a path that does not exist
 * is left to job_file_read to say). */
int job_file_check(const char *command, const char *path);

#endif
