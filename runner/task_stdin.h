/* The stdin `cordon run` hands to its task: the runner's own, but never
 * open for writing.  A stdin opened read-write (`0<>file`) would let a
 * task under the readonly policy write a file through it, since the
 * policy stops the opening of files for writing, not writes to fds the
 * task was given. */
#ifndef CORDON_RUNNER_TASK_STDIN_H
#define CORDON_RUNNER_TASK_STDIN_H

#include <stdbool.h>

/* The fd to give the task as its stdin: STDIN_FILENO when it is open
 * read-only, a new read-only opening of the same file when it is open
 * read-write, and -1 (the task reads /dev/null) when it is closed, open
 * write-only, or cannot be reopened (a socket); in that last case a note
 * says so on stderr unless `quiet`.  Close a returned fd other than
 * STDIN_FILENO after the run. */
int task_stdin_open(bool quiet);

#endif
