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
 * NUL-terminated when size > 0 and holds whole pieces only (never half
 * an escape); returns the length it wanted, as snprintf does (at most
 * 4 * len). */
size_t cordon__escape_text(char *out, size_t size, const char *data, size_t len);

/* The same for a message that keeps its UTF-8 (a program's or a
 * directory's name in an ExecError or a ConfinementError): printable
 * characters (cordon__printable_character_length) kept as they are.  Cut
 * between pieces, never inside an escape or a character, and then
 * ending in "..." so that the reader sees it was cut; `out` is always
 * NUL-terminated when size > 0. */
void cordon__escape_text_keeping_utf8(char *out, size_t size, const char *data, size_t len);

/* Text escaped so (a result's message) copied into `out` of `size`: whole
 * where it fits, else cut between pieces (an escape, a character), never
 * inside one, and ending in "..." so that the reader sees it was cut. */
void cordon__cut_escaped_text(char *out, size_t size, const char *text);

/* For text that keeps its UTF-8 (a raised exception's class and message):
 * the length of the character at `s` (of `len` bytes) that may be shown
 * as it is.  1 for printable ASCII; 2 to 4 for a well-formed UTF-8
 * sequence of a character past the C1 controls (RFC 3629: no over-long
 * form, no surrogate, nothing above U+10FFFF: an over-long CSI, 0xE0 0x82
 * 0x9B, is still a CSI to a lenient decoder); 0 for a byte to show as
 * "\xNN": a control, a newline too, DEL, and each byte of no such
 * sequence (where an 8-bit C1 control such as 0x9B hides). */
size_t cordon__printable_character_length(const unsigned char *s, size_t len);

#endif
