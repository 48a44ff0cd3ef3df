/* One escaping for a task's bytes in cordon's reports (text_escape.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "text_escape.h"

/* One piece of escaped text into `out` (of `size`), at `*used`: whole or
 * not at all, so that a cut never leaves half an escape ("\x" alone, a
 * "\xc3\x" that reads as another byte).  Counted either way. */
static void put_piece(char *out, size_t size, size_t *used, bool *cut, const char *piece,
                      size_t n)
{
    if (!*cut && *used + n < size)
        memcpy(out + *used, piece, n);
    else
        *cut = true;
    *used += n;
}

static size_t escape(char *out, size_t size, const char *data, size_t len, bool keep_utf8,
                     size_t *kept)
{
    size_t used = 0;
    bool cut = false;
    *kept = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)data[i];
        char piece[5];
        size_t n = 1, taken = 1;
        size_t character = keep_utf8 && c >= 0x80
                               ? cordon__printable_character_length((const unsigned char *)&data[i],
                                                                    len - i)
                               : 0;
        if (c == '"' || c == '\\') {
            piece[0] = '\\';
            piece[1] = (char)c;
            n = 2;
        } else if (c >= 0x20 && c < 0x7f) {
            piece[0] = (char)c;
        } else if (character) {
            memcpy(piece, &data[i], character);
            n = taken = character;
        } else {
            n = (size_t)snprintf(piece, sizeof piece, "\\x%02x", c);
        }
        put_piece(out, size, &used, &cut, piece, n);
        if (!cut)
            *kept = used;
        i += taken;
    }
    if (size > 0)
        out[*kept] = '\0';
    return used;
}

size_t cordon__escape_text(char *out, size_t size, const char *data, size_t len)
{
    size_t kept;
    return escape(out, size, data, len, false, &kept);
}

void cordon__escape_text_keeping_utf8(char *out, size_t size, const char *data, size_t len)
{
    if (size < 4) {
        if (size > 0)
            out[0] = '\0';
        return;
    }
    size_t kept;
    /* Room for "..." where it is cut, which says that it was. */
    if (escape(out, size - 3, data, len, true, &kept) > kept)
        memcpy(out + kept, "...", 4);
}

/* The length of the piece at `s`: an escape ("\\xNN", or a backslash and
 * the byte it escapes), a character kept as it is, else one byte. */
static size_t escaped_piece(const char *s, size_t len)
{
    if (s[0] == '\\' && len >= 4 && s[1] == 'x')
        return 4;
    if (s[0] == '\\' && len >= 2)
        return 2;
    size_t character = cordon__printable_character_length((const unsigned char *)s, len);
    return character ? character : 1;
}

void cordon__cut_escaped_text(char *out, size_t size, const char *text)
{
    if (size == 0)
        return;
    size_t len = strlen(text);
    if (len < size) {
        memcpy(out, text, len + 1);
        return;
    }
    size_t kept = 0;
    /* Room for "..." and the NUL. */
    while (kept < len && size >= 4) {
        size_t n = escaped_piece(text + kept, len - kept);
        if (kept + n > size - 4)
            break;
        kept += n;
    }
    memcpy(out, text, kept);
    if (size >= 4)
        memcpy(out + kept, "...", 4);
    else
        out[kept] = '\0';
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
