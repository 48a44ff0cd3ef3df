/*
 * A task's bytes shown inside cordon's own reports: a path in a
 * PolicyViolation, a process's name in the profiler's table.  The task
 * chose them, so none of them may drive the reader's terminal, split the
 * line or pass for the report's own text.
 */
#ifndef CORDON_SANDBOX_TEXT_ESCAPE_H
#define CORDON_SANDBOX_TEXT_ESCAPE_H

#include <stddef.h>

/* Writes `len` bytes of `data` into `out` with printable ASCII kept, '"'
 * and '\\' preceded by a backslash, and every other byte (controls,
 * newlines, DEL, bytes above 0x7f) as "\xNN".  `out` is always
 * NUL-terminated when size > 0; returns the length it wanted, as snprintf
 * does (at most 4 * len). */
size_t cordon__escape_text(char *out, size_t size, const char *data, size_t len);

#endif
