/* JSON output.  The escaping is where the care goes: task output is
 * arbitrary bytes, and one stray byte must not make a whole audit line
 * unreadable, nor read back as another byte. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "runner.h"

void json_init(json_writer *w)
{
    memset(w, 0, sizeof *w);
}

void json_free(json_writer *w)
{
    free(w->data);
    json_init(w);
}

/* Bytes buffered before they go to a sink. */
#define JSON_PIECE (64u << 10)

void json_set_sink(json_writer *w, json_sink sink, void *user)
{
    w->sink = sink;
    w->sink_user = user;
}

/* In pieces: a sink may copy what it is given (a queue for stdout). */
static void give(json_writer *w, const char *data, size_t len)
{
    for (size_t at = 0; at < len && !w->sink_failed; at += JSON_PIECE) {
        size_t piece = len - at < JSON_PIECE ? len - at : JSON_PIECE;
        if (w->sink(w->sink_user, data + at, piece) < 0)
            w->sink_failed = true;
    }
}

int json_flush(json_writer *w)
{
    if (w->sink) {
        give(w, w->data, w->len);
        w->len = 0;
    }
    return w->sink_failed ? -1 : 0;
}

static void reserve(json_writer *w, size_t more)
{
    if (w->sink && w->len + more > JSON_PIECE)
        json_flush(w);
    if (w->len + more + 1 <= w->cap)
        return;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + more + 1)
        cap *= 2;
    w->data = runner_realloc(w->data, cap);
    w->cap = cap;
}

void json_raw(json_writer *w, const char *data, size_t len)
{
    if (w->sink && len > JSON_PIECE) {
        json_flush(w); /* a long run of plain text goes as it is */
        give(w, data, len);
        return;
    }
    reserve(w, len);
    memcpy(w->data + w->len, data, len);
    w->len += len;
    w->data[w->len] = '\0';
}

static void put(json_writer *w, char c)
{
    reserve(w, 1);
    w->data[w->len++] = c;
    w->data[w->len] = '\0';
}

/* Every value is preceded by a comma unless it is the first of its
 * container, or follows its key. */
static void before_value(json_writer *w)
{
    if (w->depth > 0 && w->need_comma[w->depth - 1])
        put(w, ',');
    if (w->depth > 0)
        w->need_comma[w->depth - 1] = true;
}

static void open_container(json_writer *w, char c)
{
    before_value(w);
    put(w, c);
    if (w->depth < JSON_MAX_DEPTH)
        w->need_comma[w->depth] = false;
    w->depth++;
}

void json_begin_object(json_writer *w) { open_container(w, '{'); }
void json_begin_array(json_writer *w) { open_container(w, '['); }

void json_end_object(json_writer *w)
{
    w->depth--;
    put(w, '}');
}

void json_end_array(json_writer *w)
{
    w->depth--;
    put(w, ']');
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes there
 * are not one: overlong forms, surrogates and code points past U+10FFFF
 * are refused, as strict JSON readers refuse them. */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    if (left < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return need;
}

/* A control byte as \u00XX; a byte that is not part of valid UTF-8
 * (0x80-0xFF) as \udcXX, the lone low surrogate U+DC80-U+DCFF of that
 * byte (PEP 383's "surrogateescape"): no UTF-8 text can produce one, so it
 * reads back as exactly that byte (runner/json_read.c; in Python,
 * `.encode("utf-8", "surrogateescape")`), where \u00XX would read back as
 * the character U+00XX, two other bytes. */
static void escape_byte(json_writer *w, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char seq[6] = { '\\', 'u', c < 0x80 ? '0' : 'd', c < 0x80 ? '0' : 'c', hex[c >> 4],
                    hex[c & 15] };
    json_raw(w, seq, sizeof seq);
}

static void put_ascii(json_writer *w, unsigned char c)
{
    switch (c) {
    case '"': json_raw(w, "\\\"", 2); break;
    case '\\': json_raw(w, "\\\\", 2); break;
    case '\n': json_raw(w, "\\n", 2); break;
    case '\r': json_raw(w, "\\r", 2); break;
    case '\t': json_raw(w, "\\t", 2); break;
    default:
        if (c < 0x20)
            escape_byte(w, c);
        else
            put(w, (char)c);
    }
}

/* C1 controls (NEL among them) and U+2028/U+2029 are valid in JSON, but
 * some readers split lines on them; as escapes, a line stays one line. */
static bool is_line_break(const unsigned char *s, size_t n)
{
    return (n == 2 && s[0] == 0xC2 && s[1] < 0xA0) ||
           (n == 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9));
}

static void escape_code_point(json_writer *w, const unsigned char *s, size_t n)
{
    char seq[8];
    unsigned cp = n == 2 ? (unsigned)(s[1] & 0x3F) | (unsigned)(s[0] & 0x1F) << 6
                         : 0x2000u | (unsigned)(s[2] & 0x3F);
    snprintf(seq, sizeof seq, "\\u%04x", cp);
    json_raw(w, seq, 6);
}

void json_string(json_writer *w, const char *data, size_t len)
{
    before_value(w);
    if (!w->sink)
        reserve(w, len + 2);
    put(w, '"');
    const unsigned char *s = (const unsigned char *)data;
    for (size_t i = 0; i < len;) {
        size_t run = i;
        while (run < len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
            run++;
        json_raw(w, data + i, run - i); /* the common case, copied in one go */
        if ((i = run) >= len)
            break;
        if (s[i] < 0x80) {
            put_ascii(w, s[i++]);
            continue;
        }
        size_t n = utf8_sequence(s + i, len - i);
        if (n && is_line_break(s + i, n)) {
            escape_code_point(w, s + i, n);
            i += n;
        } else if (n) {
            json_raw(w, data + i, n);
            i += n;
        } else {
            escape_byte(w, s[i++]);
        }
    }
    put(w, '"');
}

void json_cstring(json_writer *w, const char *s)
{
    if (s)
        json_string(w, s, strlen(s));
    else
        json_null(w);
}

void json_key(json_writer *w, const char *key)
{
    json_cstring(w, key);
    put(w, ':');
    w->need_comma[w->depth - 1] = false;
}

void json_uint(json_writer *w, uint64_t value)
{
    char buf[24];
    before_value(w);
    json_raw(w, buf, (size_t)snprintf(buf, sizeof buf, "%" PRIu64, value));
}

void json_int(json_writer *w, int64_t value)
{
    char buf[24];
    before_value(w);
    json_raw(w, buf, (size_t)snprintf(buf, sizeof buf, "%" PRId64, value));
}

void json_null(json_writer *w)
{
    before_value(w);
    json_raw(w, "null", 4);
}
