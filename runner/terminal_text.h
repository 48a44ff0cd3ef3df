/* A task's output on its way to a terminal.  What a task prints is its
 * own business in a file or a pipe, but a terminal takes some of it as
 * commands: a carriage return and "erase line" wipe batch's "[N] " label
 * and leave a line that passes for cordon's own; OSC sequences set the
 * window title or the clipboard; others make the terminal answer into
 * its input, which the caller's shell reads after cordon ends.  So when
 * cordon's stdout or stderr is a terminal, the task's bytes that could
 * drive it are shown as '?' (unless --raw); files and pipes get every
 * byte as it was. */
#ifndef CORDON_RUNNER_TERMINAL_TEXT_H
#define CORDON_RUNNER_TERMINAL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* What a stream's earlier pieces left open: a UTF-8 character cut
 * between two pieces.  Zeroed: a stream's start. */
typedef struct terminal_text {
    unsigned pending;           /* continuation bytes the last lead byte still wants */
    unsigned char lead;         /* that lead byte */
} terminal_text;

/* Replaces in place, by '?', each byte of `text` a terminal could take as
 * a control: C0 (but '\n' and '\t' when `keep_lines`), DEL, the C1
 * controls as UTF-8 (0xC2 0x80-0x9F, also when cut between two pieces),
 * and bytes of no well-formed UTF-8 sequence (where 8-bit C1 controls
 * such as 0x9B, CSI, would hide, alone or in an over-long form such as
 * 0xE0 0x82 0x9B).  Every other byte stays; the length does not change. */
void terminal_text_clean(terminal_text *state, char *text, size_t len, bool keep_lines);

/* Whether the task's output to `fd` (1 or 2) is cleaned: fd is a terminal
 * and --raw was not given. */
bool terminal_text_wanted(int fd, bool raw);

#endif
