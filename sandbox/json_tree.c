/*
 * JSON (RFC 8259) into a tree, refusing what a hostile file could use to
 * confuse or exhaust the reader (see json_tree.h).  Recursive descent,
 * bounded by JSON_MAX_DEPTH; every node is linked into the tree before it
 * is filled, so that one json_free of the root cleans up after an error at
 * any point.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_tree.h"
#include "policy_rules.h"

typedef struct parser {
    const char *p, *end;
    const char *line_start;
    unsigned line;
    const char *origin;
    cordon_error *err;
} parser;

static unsigned column_of(const parser *ps, const char *at)
{
    return (unsigned)(at - ps->line_start) + 1;
}

/* What stands at `at`, for a message: 'x', "end of input", or a byte. */
static void describe(const parser *ps, const char *at, char *buffer, size_t size)
{
    unsigned char c = at < ps->end ? (unsigned char)*at : 0;
    if (at >= ps->end)
        snprintf(buffer, size, "end of input");
    else if (c >= 0x21 && c < 0x7f)
        snprintf(buffer, size, "'%c'", c);
    else
        snprintf(buffer, size, "byte 0x%02x", c);
}

static int fail(parser *ps, const char *at, const char *fmt, const char *detail)
{
    char message[200];
    snprintf(message, sizeof message, fmt, detail);
    cordon__error_set(ps->err, -EINVAL, ps->origin, ps->line, column_of(ps, at), "%s", message);
    return -EINVAL;
}

static int fail_found(parser *ps, const char *expected)
{
    char found[40], message[200];
    describe(ps, ps->p, found, sizeof found);
    snprintf(message, sizeof message, "expected %s, found %s", expected, found);
    return fail(ps, ps->p, "%s", message);
}

static int out_of_memory(parser *ps)
{
    cordon__error_set(ps->err, -ENOMEM, ps->origin, 0, 0, "out of memory");
    return -ENOMEM;
}

static void skip_space(parser *ps)
{
    for (; ps->p < ps->end; ps->p++) {
        if (*ps->p == '\n') {
            ps->line++;
            ps->line_start = ps->p + 1;
        } else if (*ps->p != ' ' && *ps->p != '\t' && *ps->p != '\r') {
            return;
        }
    }
}

static bool take(parser *ps, char c)
{
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return true;
    }
    return false;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits after "\u"; -1 when they are not. */
static long read_hex4(parser *ps)
{
    long value = 0;
    for (int i = 0; i < 4; i++) {
        int d = ps->p + i < ps->end ? hex_digit(ps->p[i]) : -1;
        if (d < 0)
            return -1;
        value = value * 16 + d;
    }
    ps->p += 4;
    return value;
}

static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* "\uXXXX", with a surrogate pair taken whole; ps->p is after the 'u'. */
static int read_unicode_escape(parser *ps, const char *escape, unsigned long *cp)
{
    long high = read_hex4(ps);
    if (high < 0)
        return fail(ps, escape, "%s", "expected four hex digits after '\\u'");
    if (high >= 0xdc00 && high <= 0xdfff)
        return fail(ps, escape, "%s", "a lone low surrogate in a string");
    if (high < 0xd800 || high > 0xdbff) {
        *cp = (unsigned long)high;
    } else {
        long low = -1;
        if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
            ps->p += 2;
            low = read_hex4(ps);
        }
        if (low < 0xdc00 || low > 0xdfff)
            return fail(ps, escape, "%s", "a high surrogate without its low half");
        *cp = 0x10000 + (((unsigned long)high - 0xd800) << 10) + ((unsigned long)low - 0xdc00);
    }
    if (*cp == 0)
        return fail(ps, escape, "%s", "a NUL character in a string");
    return 0;
}

static int read_escape(parser *ps, char *out, size_t *len)
{
    const char *escape = ps->p - 1;
    if (ps->p >= ps->end)
        return fail(ps, escape, "%s", "a string ends inside an escape");
    static const char simple_in[] = "\"\\/bfnrt", simple_out[] = "\"\\/\b\f\n\r\t";
    char c = *ps->p++;
    const char *found = c ? strchr(simple_in, c) : NULL;
    if (found) {
        out[(*len)++] = simple_out[found - simple_in];
        return 0;
    }
    if (c != 'u')
        return fail(ps, escape, "%s", "an unknown escape in a string");
    unsigned long cp;
    int rc = read_unicode_escape(ps, escape, &cp);
    if (rc == 0)
        *len += put_utf8(out + *len, cp);
    return rc;
}

/* A string; ps->p is at the opening quote.  The decoded text is never
 * longer than the raw one, which bounds the buffer. */
static int read_string(parser *ps, char **result)
{
    const char *open = ps->p++;
    const char *close = ps->p;
    while (close < ps->end && *close != '"')
        close += *close == '\\' && close + 1 < ps->end ? 2 : 1;
    char *out = malloc((size_t)(close - ps->p) + 1);
    if (!out)
        return out_of_memory(ps);
    size_t len = 0;
    int rc = 0;
    while (rc == 0) {
        if (ps->p >= ps->end) {
            rc = fail(ps, open, "%s", "a string without its closing '\"'");
        } else if (*ps->p == '"') {
            ps->p++;
            break;
        } else if (*ps->p == '\\') {
            ps->p++;
            rc = read_escape(ps, out, &len);
        } else if ((unsigned char)*ps->p < 0x20) {
            rc = fail(ps, ps->p, "%s", "a control character in a string (escape it)");
        } else {
            out[len++] = *ps->p++;
        }
    }
    if (rc < 0) {
        free(out);
        return rc;
    }
    out[len] = '\0';
    *result = out;
    return 0;
}

static bool is_digit(const parser *ps, const char *at)
{
    return at < ps->end && *at >= '0' && *at <= '9';
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, kept as written. */
static int read_number(parser *ps, json_value *v)
{
    const char *start = ps->p, *c = ps->p;
    if (c < ps->end && *c == '-')
        c++;
    if (!is_digit(ps, c))
        return fail(ps, c, "%s", "expected a digit in a number");
    if (*c == '0' && is_digit(ps, c + 1))
        return fail(ps, c, "%s", "a number with a leading zero");
    while (is_digit(ps, c))
        c++;
    if (c < ps->end && *c == '.') {
        if (!is_digit(ps, ++c))
            return fail(ps, c, "%s", "expected a digit after '.'");
        while (is_digit(ps, c))
            c++;
    }
    if (c < ps->end && (*c == 'e' || *c == 'E')) {
        c++;
        if (c < ps->end && (*c == '+' || *c == '-'))
            c++;
        if (!is_digit(ps, c))
            return fail(ps, c, "%s", "expected a digit in the exponent");
        while (is_digit(ps, c))
            c++;
    }
    if (!(v->text = strndup(start, (size_t)(c - start))))
        return out_of_memory(ps);
    v->kind = JSON_NUMBER;
    ps->p = c;
    return 0;
}

static int read_value(parser *ps, json_value *v, int depth);

/* Makes room for one more item (and key); the new slot is zeroed and
 * counted at once, so that json_free reaches whatever it gets. */
static int grow(parser *ps, json_value *v, bool with_key)
{
    size_t n = v->count + 1;
    json_value *items = realloc(v->items, n * sizeof *items);
    if (items)
        v->items = items;
    char **keys = with_key && items ? realloc(v->keys, n * sizeof *keys) : NULL;
    if (keys)
        v->keys = keys;
    unsigned *lines = keys ? realloc(v->key_lines, n * sizeof *lines) : NULL;
    if (lines)
        v->key_lines = lines;
    unsigned *columns = lines ? realloc(v->key_columns, n * sizeof *columns) : NULL;
    if (columns)
        v->key_columns = columns;
    if (!items || (with_key && !columns))
        return out_of_memory(ps);
    memset(&v->items[v->count], 0, sizeof *v->items);
    if (with_key)
        v->keys[v->count] = NULL;
    v->count = n;
    return 0;
}

static int read_array(parser *ps, json_value *v, int depth)
{
    v->kind = JSON_ARRAY;
    ps->p++;
    if (take(ps, ']'))
        return 0;
    for (;;) {
        int rc = grow(ps, v, false);
        if (rc < 0 || (rc = read_value(ps, &v->items[v->count - 1], depth + 1)) < 0)
            return rc;
        if (take(ps, ']'))
            return 0;
        if (!take(ps, ','))
            return fail_found(ps, "',' or ']' after an array item");
    }
}

static int read_member(parser *ps, json_value *v, int depth)
{
    skip_space(ps);
    if (ps->p >= ps->end || *ps->p != '"')
        return fail_found(ps, "a member name in double quotes");
    size_t i = v->count - 1;
    const char *key_at = ps->p;
    v->key_lines[i] = ps->line;
    v->key_columns[i] = column_of(ps, key_at);
    int rc = read_string(ps, &v->keys[i]);
    if (rc < 0)
        return rc;
    for (size_t j = 0; j < i; j++) {
        if (strcmp(v->keys[j], v->keys[i]) == 0) {
            char shown[100];
            return fail(ps, key_at, "the member %s is given twice",
                        cordon__json_shown(v->keys[i], shown, sizeof shown));
        }
    }
    if (!take(ps, ':'))
        return fail_found(ps, "':' after a member name");
    return read_value(ps, &v->items[i], depth + 1);
}

static int read_object(parser *ps, json_value *v, int depth)
{
    v->kind = JSON_OBJECT;
    ps->p++;
    if (take(ps, '}'))
        return 0;
    for (;;) {
        /* Keys are checked for repeats pairwise: bounded, so that a
         * hostile object cannot make that quadratic. */
        skip_space(ps);
        if (v->count == JSON_MAX_MEMBERS)
            return fail(ps, ps->p, "an object with more than %s members", "256");
        int rc = grow(ps, v, true);
        if (rc < 0 || (rc = read_member(ps, v, depth)) < 0)
            return rc;
        if (take(ps, '}'))
            return 0;
        if (!take(ps, ','))
            return fail_found(ps, "',' or '}' after an object member");
    }
}

static int read_word(parser *ps, json_value *v)
{
    static const struct { const char *word; json_kind kind; } words[] = {
        { "null", JSON_NULL }, { "true", JSON_TRUE }, { "false", JSON_FALSE },
    };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        size_t len = strlen(words[i].word);
        if ((size_t)(ps->end - ps->p) >= len && memcmp(ps->p, words[i].word, len) == 0) {
            v->kind = words[i].kind;
            ps->p += len;
            return 0;
        }
    }
    return fail_found(ps, "a value (an object, array, string, number, true, false or null)");
}

static int read_value(parser *ps, json_value *v, int depth)
{
    skip_space(ps);
    v->line = ps->line;
    v->column = column_of(ps, ps->p);
    if (depth >= JSON_MAX_DEPTH)
        return fail(ps, ps->p, "nested too deep (at most %s levels)", "32");
    if (ps->p >= ps->end)
        return fail_found(ps, "a value");
    switch (*ps->p) {
    case '{':
        return read_object(ps, v, depth);
    case '[':
        return read_array(ps, v, depth);
    case '"':
        v->kind = JSON_STRING;
        return read_string(ps, &v->text);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return read_number(ps, v);
    default:
        return read_word(ps, v);
    }
}

static void free_members(json_value *v)
{
    for (size_t i = 0; i < v->count; i++) {
        free_members(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->key_lines);
    free(v->key_columns);
    free(v->text);
}

void cordon__json_free(json_value *v)
{
    if (!v)
        return;
    free_members(v);
    free(v);
}

json_value *cordon__json_parse(const char *text, size_t len, const char *origin, cordon_error *err)
{
    parser ps = { .p = text, .end = text + len, .line_start = text, .line = 1,
                  .origin = origin, .err = err };
    json_value *root = calloc(1, sizeof *root);
    if (!root) {
        out_of_memory(&ps);
        return NULL;
    }
    int rc = read_value(&ps, root, 0);
    if (rc == 0) {
        skip_space(&ps);
        if (ps.p < ps.end)
            rc = fail_found(&ps, "end of input after the document");
    }
    if (rc < 0) {
        cordon__json_free(root);
        return NULL;
    }
    return root;
}

const json_value *cordon__json_member(const json_value *object, const char *key)
{
    if (!object || object->kind != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < object->count; i++)
        if (strcmp(object->keys[i], key) == 0)
            return &object->items[i];
    return NULL;
}

const char *cordon__json_kind_name(json_kind kind)
{
    static const char *const names[] = {
        [JSON_NULL] = "null", [JSON_FALSE] = "false", [JSON_TRUE] = "true",
        [JSON_NUMBER] = "a number", [JSON_STRING] = "a string", [JSON_ARRAY] = "an array",
        [JSON_OBJECT] = "an object",
    };
    return names[kind];
}

bool cordon__json_uint64(const json_value *v, uint64_t *out)
{
    if (v->kind != JSON_NUMBER || v->text[0] == '-' || strpbrk(v->text, ".eE"))
        return false;
    uint64_t value = 0;
    for (const char *c = v->text; *c; c++) {
        uint64_t digit = (uint64_t)(*c - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    *out = value;
    return true;
}

const char *cordon__json_shown(const char *text, char *buffer, size_t size)
{
    size_t used = 0, shown = 0;
    if (size < 10)
        return "";
    buffer[used++] = '\'';
    /* Room is kept for one more escape (4), "..." and the closing quote
     * and NUL (5). */
    for (const unsigned char *c = (const unsigned char *)text; *c; c++, shown++) {
        if (shown == 60 || used + 9 > size) {
            memcpy(buffer + used, "...", 3);
            used += 3;
            break;
        }
        if (*c >= 0x20 && *c < 0x7f && *c != '\\' && *c != '\'')
            buffer[used++] = (char)*c;
        else
            used += (size_t)snprintf(buffer + used, size - used, "\\x%02x", *c);
    }
    buffer[used++] = '\'';
    buffer[used] = '\0';
    return buffer;
}
