/* The runner's own stdout and stderr, written by a thread so that nothing
 * the runner prints can block it.  A task can freeze the terminal they
 * share with it (tcflow TCOOFF, a stopped pager): a write() that never
 * returns, made from the library's collect loop, would keep the deadline
 * from ever being enforced. */
#ifndef CORDON_RUNNER_OUTPUT_H
#define CORDON_RUNNER_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

/* How long a writer may sit in one write() before it counts as stalled:
 * then output_write stops waiting for room and drops, and output_finish
 * stops waiting for the rest. */
#define OUTPUT_STALL_MS 1500

/* Starts the writer threads of fds 1 and 2 (one shared thread when both
 * are the same file, so that their order survives).  Without it, or when
 * a thread cannot start, output_write writes directly. */
void output_start(void);

/* Queues `len` bytes for fd 1 or 2 (any other fd is written directly).
 * Waits for room only while the writer makes progress; what cannot be
 * queued is dropped and counted.  0, or -1 when the stream failed (EPIPE)
 * or the bytes were dropped. */
int output_write(int fd, const void *data, size_t len);
/* Holds (hold true) or releases a task's output stream (cordon_hold_output). */
typedef void (*output_hold_fn)(void *arg, int stream, bool hold);
/* A task's live output, from the library's collect loop, which must never
 * wait (its deadline and limits would wait with it): as output_write, but
 * where output_write would wait for room the bytes are queued past the
 * bound and hold(arg, stream, true) is called; hold(arg, stream, false)
 * once half the queue is written, or the reader has taken nothing for
 * OUTPUT_STALL_MS (what comes next is then dropped, as output_write drops
 * it).  Both are called with the writer's lock held. */
int output_write_holding(int fd, const void *data, size_t len, int stream, output_hold_fn hold,
                         void *arg);
/* The run whose streams output_write_holding held is over: the writers
 * forget them (its task is not to be called again). */
void output_end_holds(void);
/* How long, in ms, the tasks' streams were held for the reader of fd 1
 * or 2 (its queue full: a held stream is not read, and the task's writes
 * wait once its pipe is full), holds going on included; 0 for fd 2 where
 * it shares fd 1's writer (one file), whose figure is fd 1's. */
unsigned long long output_held_ms(int fd);
/* cordon's own line (an error, the exception, a report): as output_write,
 * but tried even on a stream whose write failed, unless its reader is
 * gone (see output.c). */
int output_write_own(int fd, const void *data, size_t len);
/* When no task runs: waits for room as output_flush waits. */
int output_write_patient(int fd, const void *data, size_t len);

/* What output_write and output_write_patient were given for fd 1 or 2 so
 * far, in bytes: a caller that took it right after queueing a task's
 * output learns later, from output_reached, whether all of that output
 * was written (a stream whose write failed, or that was dropped behind a
 * stalled reader, never reaches it). */
unsigned long long output_given(int fd);
bool output_reached(int fd, unsigned long long given);

/* Whether the reader of fd 1 or 2 went away (a write failed with EPIPE):
 * nothing written to it will ever be read. */
bool output_reader_gone(int fd);

/* While a task runs (its deadline must not wait on a reader): waits until
 * what is queued for `fd` is written, or its writer stalls; then what is
 * still queued is dropped and counted.  0 when every byte ever given for
 * `fd` was written, -1 otherwise. */
int output_drain(int fd);

/* When no task runs: waits as any program writing to a pipe does, as long
 * as the reader takes the bytes (`| less` gets them all), and fails only
 * when the reader is gone (EPIPE) or the write fails.  A terminal is
 * waited for as output_drain does: a task can freeze it (tcflow TCOOFF)
 * and leave it frozen.  Returns as output_drain. */
int output_flush(int fd);

/* Flushes both streams (output_flush), says on stderr what of either was not written (a
 * write that failed: EPIPE, ENOSPC, EFBIG; bytes dropped while it
 * stalled), and stops the threads that are not stalled.  A thread stalled
 * on a terminal is left in its write(): the process's exit ends it.  0, or -1 when
 * some byte given for stdout or stderr was not written: the caller's exit
 * status must then say so. */
int output_finish(void);

#endif
