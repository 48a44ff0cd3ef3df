/* batch --resume AUDIT: run a job file again without the lines that have
 * already succeeded, so that a shard that failed or was lost is finished
 * without repeating the work that was done. */
#ifndef CORDON_RUNNER_RESUME_H
#define CORDON_RUNNER_RESUME_H

#include <stddef.h>

#include "batch.h"

/* Reads the audit files `args` name (files, directories, patterns: see
 * audit_files.h) and takes out of tasks[0..*count) (in line order) each
 * task that a record shows succeeded on the same line with the same
 * command text: a job file edited since is not skipped on the strength of
 * another command's success.  *skipped is how many were taken out.  0, or
 * -1 after a message when a file cannot be read. */
int resume_skip_done(const char *const *args, size_t nargs, batch_task *tasks, size_t *count,
                     size_t *skipped);

#endif
