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

/* Whether `second`, the byte after `lead`, begins a sequence worth
 * showing: not a C1 control (0xC2 0x80-0x9F), not an over-long form
 * (where a C1 control hides from a check of 0xC2 alone: 0xE0 0x82 0x9B
 * is a CSI to a lenient decoder), not a surrogate, nothing above
 * U+10FFFF. */
static bool second_byte_fits(unsigned char lead, unsigned char second)
{
    switch (lead) {
    case 0xC2:
    case 0xE0:
        return second >= 0xA0;
    case 0xED:
        return second < 0xA0;
    case 0xF0:
        return second >= 0x90;
    case 0xF4:
        return second < 0x90;
    default:
        return true;
    }
}

void terminal_text_clean(terminal_text *state, char *text, size_t len, bool keep_lines)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (is_continuation(c) && state->pending > 0) {
            bool second = state->pending == continuations_wanted(state->lead);
            if (second && !second_byte_fits(state->lead, c)) {
                /* The lead goes too when this piece still holds it; the
                 * continuations after it, alone now, go below. */
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
