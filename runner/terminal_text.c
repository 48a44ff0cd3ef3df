/* Cleaning a task's output for a terminal (terminal_text.h). */
#include <unistd.h>

#include "terminal_text.h"

static bool is_continuation(unsigned char c)
{
    return c >= 0x80 && c < 0xC0;
}

static unsigned continuations_wanted(unsigned char lead)
{
    return lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
}

void terminal_text_clean(terminal_text *state, char *text, size_t len, bool keep_lines)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (is_continuation(c) && state->pending > 0) {
            /* 0xC2 then 0x80-0x9F is a C1 control: both bytes go, the
             * lead too when this piece still holds it. */
            if (state->lead == 0xC2 && c < 0xA0) {
                text[i] = '?';
                if (i > 0)
                    text[i - 1] = '?';
                state->pending = 0;
                continue;
            }
            state->pending--;
            continue;
        }
        state->pending = 0;
        bool line_byte = keep_lines && (c == '\n' || c == '\t');
        if ((c < 0x20 && !line_byte) || c == 0x7F || is_continuation(c) || c == 0xC0 ||
            c == 0xC1 || c > 0xF4) {
            text[i] = '?';
        } else if (c >= 0xC2) {
            state->lead = c;
            state->pending = continuations_wanted(c);
        }
    }
}

bool terminal_text_wanted(int fd, bool raw)
{
    return !raw && isatty(fd);
}
