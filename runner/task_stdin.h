/* The stdin `cordon run` hands to its task: the runner's own, through a
 * description of the task's own, never open for writing.  A stdin opened
 * read-write (`0<>file`) would let a task under the readonly policy write
 * a file through it, since the policy stops the opening of files for
 * writing, not writes to fds the task was given. */
#ifndef CORDON_RUNNER_TASK_STDIN_H
#define CORDON_RUNNER_TASK_STDIN_H

#include <stdbool.h>
#include <sys/types.h>

#include "../lib/cordon.h"

/* The fd to give the task as its stdin (cordon_set_stdin_fd, which gives
 * the task a read-only description of its own): STDIN_FILENO when it is
 * open for reading, -1 (the task reads /dev/null) when it is closed or
 * path-only, -2 (refused) when it is open write-only, -3 (refused) for a
 * terminal of which cordon is in the background.  A terminal is handed over only with `tty` (--tty):
 * through any fd of it a task can change its modes or stop its output for
 * whoever uses it next. */
int task_stdin_open(bool tty);
/* Gives `t` the stdin task_stdin_open chooses.  0, or -1 after a message
 * naming stdin and why cordon cannot hand it over (a directory): the
 * command's own error, never a task quietly given /dev/null. */
int task_stdin_give(cordon_task *t, bool tty);
/* The same check before anything is made or run, on a task never run. */
int task_stdin_check(bool tty);
/* With `tty`, for a terminal stdin, SIGTSTP ignored for the rest of
 * cordon's life: see task_stdin.c. */
void task_stdin_hold_suspend(bool tty);

/* With --tty the library puts the terminal back after each attempt
 * (lib/stdin_terminal.c): its modes, flow, line discipline, exclusive
 * mode, permissions, owner and group, whatever the task did to them. */

#endif
