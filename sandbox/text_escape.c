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

size_t cordon__printable_character_length(const unsigned char *s, size_t len)
{
    unsigned char lead = s[0];
    if (lead < 0x80)
        return lead >= 0x20 && lead != 0x7f;
    size_t wanted;
    unsigned char low = 0x80, high = 0xBF; /* the range of the second byte */
    if (lead >= 0xC2 && lead <= 0xDF) {
        wanted = 2;
        low = lead == 0xC2 ? 0xA0 : low; /* 0xC2 0x80-0x9F: the C1 controls */
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        wanted = 3;
        low = lead == 0xE0 ? 0xA0 : low;   /* over-long */
        high = lead == 0xED ? 0x9F : high; /* surrogates */
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        wanted = 4;
        low = lead == 0xF0 ? 0x90 : low;   /* over-long */
        high = lead == 0xF4 ? 0x8F : high; /* above U+10FFFF */
    } else {
        return 0; /* a continuation byte alone, 0xC0, 0xC1, 0xF5-0xFF */
    }
    if (len < wanted || s[1] < low || s[1] > high)
        return 0;
    for (size_t k = 2; k < wanted; k++)
        if (s[k] < 0x80 || s[k] > 0xBF)
            return 0;
    return wanted;
}
