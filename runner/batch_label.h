/* batch: a task's output, each line headed by the job file line that made
 * it ("[12] ..."), so that the outputs of many tasks in one stream can be
 * told apart and grepped. */
#ifndef CORDON_RUNNER_BATCH_LABEL_H
#define CORDON_RUNNER_BATCH_LABEL_H

#include <stddef.h>

/* Writes `data` to fd 1 or 2 (through output.h) as one write, every line
 * prefixed with "[LINENO] ".  Bytes are passed as they are; output that
 * does not end with a newline gets one, so that the next task's label
 * starts a line.  0, or -1 when the stream failed. */
int batch_label_write(int fd, size_t lineno, const char *data, size_t len);

#endif
