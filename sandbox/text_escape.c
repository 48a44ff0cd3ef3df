/* One escaping for a task's bytes in cordon's reports (text_escape.h). */
#include <stdio.h>

#include "text_escape.h"

size_t cordon__escape_text(char *out, size_t size, const char *data, size_t len)
{
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        char piece[5];
        size_t n;
        if (c == '"' || c == '\\') {
            piece[0] = '\\';
            piece[1] = (char)c;
            n = 2;
        } else if (c >= 0x20 && c < 0x7f) {
            piece[0] = (char)c;
            n = 1;
        } else {
            n = (size_t)snprintf(piece, sizeof piece, "\\x%02x", c);
        }
        for (size_t k = 0; k < n; k++, used++) {
            if (used + 1 < size)
                out[used] = piece[k];
        }
    }
    if (size > 0)
        out[used < size ? used : size - 1] = '\0';
    return used;
}
