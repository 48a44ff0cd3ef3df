/* batch: a task's output, each line headed by the job file line that made
 * it ("[12] ..."), so that the outputs of many tasks in one stream can be
 * told apart and grepped. */
#ifndef CORDON_RUNNER_BATCH_LABEL_H
#define CORDON_RUNNER_BATCH_LABEL_H

#include <stdbool.h>
#include <stddef.h>

/* Writes `data` to fd 1 or 2 (through output.h), every line prefixed with
 * "[LINENO] ".  Output that does not end with a newline gets one, so that
 * the next task's label starts a line.  With `clean` (fd is a terminal,
 * no --raw: terminal_text.h) the task's bytes that could drive the
 * terminal are shown as '?', so that none can erase a label or pass for
 * cordon's own line; else they are passed as they are.  0, or -1 when the
 * stream failed. */
int batch_label_write(int fd, size_t lineno, const char *data, size_t len, bool clean);

/* The same without labels (--no-label): `data` as it is, or cleaned. */
int batch_plain_write(int fd, const char *data, size_t len, bool clean);

#endif
