/* Byte buffers that keep at most a cap and count what they had to drop, so a
 * task flooding its output cannot exhaust the parent's memory. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../sandbox/text_escape.h"

int cordon__buffer_reserve(cordon__buffer *b, size_t want)
{
    /* One byte more than the data, always, for the terminating NUL. */
    if (want + 1 <= b->size)
        return 0;
    size_t size = b->size ? b->size : 4096;
    while (size < want + 1)
        size *= 2;
    char *grown = realloc(b->data, size);
    if (!grown)
        return -ENOMEM;
    b->data = grown;
    b->size = size;
    /* A buffer reserved for a read that then finds the end of the stream
     * must still read as the empty string. */
    b->data[b->len] = '\0';
    return 0;
}

void cordon__buffer_append(cordon__buffer *b, const char *data, size_t len)
{
    size_t room = b->len < b->cap ? b->cap - b->len : 0;
    size_t keep = len < room ? len : room;
    if (keep && cordon__buffer_reserve(b, b->len + keep) < 0)
        keep = 0; /* out of memory: count it as dropped, never fail the task */
    if (keep) {
        memcpy(b->data + b->len, data, keep);
        b->len += keep;
        b->data[b->len] = '\0';
    }
    b->dropped += len - keep;
}

void cordon__buffer_reset(cordon__buffer *b, size_t cap)
{
    b->len = 0;
    b->dropped = 0;
    b->cap = cap;
    /* Keep a modest allocation for the next run, give big ones back. */
    if (b->size > (1u << 20)) {
        free(b->data);
        b->data = NULL;
        b->size = 0;
    }
    if (b->data)
        b->data[0] = '\0';
}

void cordon__buffer_free(cordon__buffer *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void cordon__buffer_printf(cordon__buffer *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof line) {
        cordon__buffer_append(b, line, (size_t)n);
        return;
    }
    char *long_line = malloc((size_t)n + 1);
    if (!long_line)
        return;
    va_start(ap, fmt);
    vsnprintf(long_line, (size_t)n + 1, fmt, ap);
    va_end(ap);
    cordon__buffer_append(b, long_line, (size_t)n);
    free(long_line);
}

cordon_bytes cordon__buffer_view(const cordon__buffer *b)
{
    cordon_bytes view = { .data = b->data ? b->data : "", .len = b->len, .dropped = b->dropped };
    return view;
}

static void append_hex_escape(cordon__buffer *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char escaped[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
    cordon__buffer_append(b, escaped, sizeof escaped);
}

/* Text a task chose (an exception's class or message) may reach a terminal
 * and sits among cordon's own lines: every byte that is not part of a
 * printable character (controls, newlines and tabs too, DEL, the C1
 * controls however encoded, bytes of no UTF-8 sequence) comes out as
 * \xNN, so that printing a report cannot drive the reader's terminal and
 * a raised message cannot add a line that passes for cordon's.  Other
 * UTF-8 text stays as it is. */
void cordon__buffer_append_escaped(cordon__buffer *b, const char *data, size_t len)
{
    const unsigned char *bytes = (const unsigned char *)data;
    for (size_t i = 0; i < len;) {
        size_t shown = cordon__printable_character_length(&bytes[i], len - i);
        if (shown) {
            cordon__buffer_append(b, &data[i], shown);
            i += shown;
        } else {
            append_hex_escape(b, bytes[i++]);
        }
    }
}
