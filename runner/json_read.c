/* A small recursive-descent reader over one JSON object.  Values it does
 * not need are skipped without being copied; nesting is bounded so a
 * hostile line cannot exhaust the stack. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "runner.h"

#define MAX_NESTING 64

#define REASON_SIZE sizeof(((audit_entry *)0)->reason)

typedef struct cursor {
    const char *p, *end;
    bool failed;
    char *reason;               /* why a number made the record fail, or NULL */
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool take(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static void fail(cursor *c)
{
    c->failed = true;
    c->p = c->end;
}

/* Leaves c->p after the closing quote; [*start, *stop) is the raw body. */
static void raw_string(cursor *c, const char **start, const char **stop)
{
    if (!take(c, '"')) {
        fail(c);
        return;
    }
    *start = c->p;
    for (; c->p < c->end; c->p++) {
        if (*c->p == '\\') {
            c->p++;
        } else if (*c->p == '"') {
            *stop = c->p++;
            return;
        }
    }
    fail(c);
}

static void skip_value(cursor *c, int depth);

static void skip_container(cursor *c, char close, bool keyed, int depth)
{
    if (depth > MAX_NESTING) {
        fail(c);
        return;
    }
    c->p++;
    if (take(c, close))
        return;
    do {
        if (keyed) {
            const char *a, *b;
            raw_string(c, &a, &b);
            if (!take(c, ':'))
                fail(c);
        }
        skip_value(c, depth + 1);
    } while (!c->failed && take(c, ','));
    if (!take(c, close))
        fail(c);
}

static void skip_value(cursor *c, int depth)
{
    skip_space(c);
    if (c->p >= c->end) {
        fail(c);
        return;
    }
    const char *a, *b;
    switch (*c->p) {
    case '"': raw_string(c, &a, &b); return;
    case '{': skip_container(c, '}', true, depth); return;
    case '[': skip_container(c, ']', false, depth); return;
    default: break;
    }
    const char *start = c->p;
    while (c->p < c->end && strchr("+-.0123456789eEtruefalsn", *c->p))
        c->p++;
    if (c->p == start)
        fail(c);
}

/* The largest number a record may hold where cordon writes a count: 2^53,
 * the last integer every JSON reader holds exactly (RFC 7493), and far
 * past any usage (285 years in microseconds).  A bigger one, a negative
 * one or a fraction was not written by cordon: rather than held at a
 * ceiling or cut to a plausible figure, it makes the record skipped. */
#define COUNT_MAX (1ll << 53)

/* Makes the record fail, saying why (the first reason stays). */
static void reject(cursor *c, const char *field, const char *why)
{
    if (!c->failed && c->reason)
        snprintf(c->reason, REASON_SIZE, "'%s' %s", field, why);
    fail(c);
}

/* A whole JSON number from `min` to `max` for `field`; null reads as 0
 * (the field is not there).  Anything else is no number at all (the line
 * is malformed) or one out of range or with a fraction or exponent (the
 * reason names the field). */
static int64_t read_whole(cursor *c, const char *field, int64_t min, int64_t max)
{
    skip_space(c);
    if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
        c->p += 4;
        return 0;
    }
    bool negative = c->p < c->end && *c->p == '-';
    c->p += negative;
    const char *digits = c->p;
    uint64_t v = 0;
    bool huge = false;
    for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
        v = v * 10 + (unsigned)(*c->p - '0');
        huge |= v > (uint64_t)COUNT_MAX;
    }
    if (c->p == digits || (digits[0] == '0' && c->p - digits > 1)) {
        fail(c);
        return 0;
    }
    if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E')) {
        reject(c, field, "is not a whole number");
        return 0;
    }
    int64_t value = huge ? 0 : negative ? -(int64_t)v : (int64_t)v;
    if (huge || value < min || value > max) {
        char why[80];
        snprintf(why, sizeof why, "is out of range (%lld to %lld)", (long long)min,
                 (long long)max);
        reject(c, field, why);
        return 0;
    }
    return value;
}

static uint64_t read_count(cursor *c, const char *field)
{
    return (uint64_t)read_whole(c, field, 0, COUNT_MAX);
}

static void put_utf8(char **out, unsigned cp)
{
    char *o = *out;
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    *out = o;
}

static unsigned hex4(const char *s, const char *end)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        if (s + i >= end)
            return 0xFFFD;
        char h = s[i];
        unsigned d = h >= '0' && h <= '9' ? (unsigned)(h - '0')
                   : h >= 'a' && h <= 'f' ? (unsigned)(h - 'a' + 10)
                   : h >= 'A' && h <= 'F' ? (unsigned)(h - 'A' + 10) : 16;
        if (d == 16)
            return 0xFFFD;
        v = v * 16 + d;
    }
    return v;
}

/* Unescapes [s, end) into a new string.  A whole \uXXXX is 6 bytes for at
 * most 3, but one cut short ("\u" at the end of a torn line) is 2 bytes for
 * the 3 of U+FFFD: twice the input is always enough. */
static char *unescape(const char *s, const char *end)
{
    char *text = runner_alloc(2 * (size_t)(end - s) + 1), *o = text;
    while (s < end) {
        if (*s != '\\') {
            *o++ = *s++;
            continue;
        }
        char e = s + 1 < end ? s[1] : '\\';
        s += 2;
        const char *plain = strchr("\"\\/bfnrt", e);
        if (e == 'u') {
            unsigned cp = hex4(s, end);
            s += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && s + 6 <= end && s[0] == '\\' && s[1] == 'u') {
                unsigned lo = hex4(s + 2, end);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                }
            }
            if (cp >= 0xDC80 && cp <= 0xDCFF) /* a byte that was not UTF-8 (runner/json.c) */
                *o++ = (char)(cp & 0xFF);
            else
                put_utf8(&o, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp);
        } else if (plain) {
            *o++ = "\"\\/\b\f\n\r\t"[plain - "\"\\/bfnrt"];
        }
    }
    *o = '\0';
    return text;
}

static bool key_is(const char *a, const char *b, const char *key)
{
    size_t n = strlen(key);
    return (size_t)(b - a) == n && memcmp(a, key, n) == 0;
}

/* The figures of one usage object: the record's own (its last attempt's)
 * or one attempt's in its history. */
typedef struct usage_fields {
    uint64_t wall_us, user_us, sys_us, max_rss_kb;
} usage_fields;

typedef struct fields {
    bool has_command, has_usage, has_history;
    bool never_ran;             /* an "error" or a null exit_code: cordon did not run it */
    long exit_code;
    long signal;
    char exception[64];
    char stopped_by[64];        /* the signal that stopped cordon after the task's end */
    usage_fields usage;
    uint64_t history_cpu_us;    /* user+sys of every attempt of a retried task */
    uint64_t history_max_rss_kb; /* the largest peak of any of its attempts */
} fields;

/* Each figure is at most COUNT_MAX, but a hostile line may hold
 * thousands of attempts: the sum stays at the ceiling instead of wrapping. */
static uint64_t add_held(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* `{"key": value, ...}`: each member's value read by `member`, given its
 * key (raw, from a to b); a cursor that failed stops the reading. */
typedef void member_fn(cursor *c, const char *a, const char *b, void *context);
static void read_object(cursor *c, member_fn *member, void *context)
{
    if (!take(c, '{')) {
        fail(c);
        return;
    }
    if (take(c, '}'))
        return;
    do {
        const char *a = NULL, *b = NULL;
        raw_string(c, &a, &b);
        if (c->failed || !take(c, ':')) {
            fail(c);
            return;
        }
        member(c, a, b, context);
    } while (!c->failed && take(c, ','));
    if (!take(c, '}'))
        fail(c);
}

static void usage_member(cursor *c, const char *a, const char *b, void *context)
{
    usage_fields *u = context;
    if (key_is(a, b, "wall_us"))
        u->wall_us = read_count(c, "usage.wall_us");
    else if (key_is(a, b, "user_us"))
        u->user_us = read_count(c, "usage.user_us");
    else if (key_is(a, b, "sys_us"))
        u->sys_us = read_count(c, "usage.sys_us");
    else if (key_is(a, b, "max_rss_kb"))
        u->max_rss_kb = read_count(c, "usage.max_rss_kb");
    else
        skip_value(c, 1);
}

static void read_usage(cursor *c, usage_fields *u)
{
    read_object(c, usage_member, u);
}

/* One attempt of "history": only its usage's CPU and peak are kept. */
static void attempt_member(cursor *c, const char *a, const char *b, void *context)
{
    fields *f = context;
    if (key_is(a, b, "usage")) {
        usage_fields u = { 0, 0, 0, 0 };
        read_usage(c, &u);
        f->history_cpu_us = add_held(f->history_cpu_us, add_held(u.user_us, u.sys_us));
        if (u.max_rss_kb > f->history_max_rss_kb)
            f->history_max_rss_kb = u.max_rss_kb;
    } else {
        skip_value(c, 2);
    }
}

/* A retried task's record keeps its last attempt's usage and every
 * attempt's in "history": its CPU is what all of them used and its peak
 * the largest of theirs, as the batch summary counts them. */
static void read_history(cursor *c, fields *f)
{
    if (!take(c, '[')) {
        fail(c);
        return;
    }
    f->has_history = true;
    f->history_cpu_us = 0;
    f->history_max_rss_kb = 0;
    if (take(c, ']'))
        return;
    do
        read_object(c, attempt_member, f);
    while (!c->failed && take(c, ','));
    if (!take(c, ']'))
        fail(c);
}

/* A string member copied raw (escapes kept) into a field of its own
 * size; longer ones are cut.  Leaves the cursor after it. */
static void read_short_string(cursor *c, char *out, size_t size)
{
    const char *s = NULL, *t = NULL;
    if (c->p < c->end && *c->p != '"') {
        skip_value(c, 1);
        return;
    }
    raw_string(c, &s, &t);
    if (c->failed)
        return;
    size_t n = (size_t)(t - s) < size ? (size_t)(t - s) : size - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* The members that say where a record came from.  False when the key is
 * none of them. */
static bool read_origin(cursor *c, const char *a, const char *b, audit_entry *e)
{
    if (key_is(a, b, "line"))
        e->line = read_count(c, "line");
    else if (key_is(a, b, "status")) {
        e->status = (int)read_whole(c, "status", 0, 255); /* an exit status */
        e->has_status = true;
    } else if (key_is(a, b, "run_id"))
        read_short_string(c, e->run_id, sizeof e->run_id);
    else if (key_is(a, b, "host"))
        read_short_string(c, e->host, sizeof e->host);
    else if (key_is(a, b, "shard"))
        read_short_string(c, e->shard, sizeof e->shard);
    else
        return false;
    return true;
}

bool audit_entry_succeeded(const audit_entry *e)
{
    return strcmp(e->outcome, "ok") == 0 && (!e->has_status || e->status == 0);
}

/* A class as cordon writes one (a raised class is checked so, and needs
 * no escape): 1 to 63 of letters, digits, '_', '.', '-', ':', '+' (a
 * stop by SIGRTMIN+1 was skipped as no signal's name), and never "ok",
 * report's word for a success.  Anything else, kept, had read as
 * that class's or as a success: "ok" with status 0 was skipped by
 * --resume as succeeded, "\u0043puLimit" showed as a class apart from
 * CpuLimit, " " as a blank outcome. */
static bool class_name(const char *s, const char *t)
{
    if (t - s < 1 || t - s > 63 || (t - s == 2 && memcmp(s, "ok", 2) == 0))
        return false;
    for (const char *c = s; c < t; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '.' || *c == '-' || *c == ':' || *c == '+'))
            return false;
    return true;
}

static void read_member(cursor *c, audit_entry *e, fields *f)
{
    const char *a = NULL, *b = NULL;
    raw_string(c, &a, &b);
    if (c->failed || !take(c, ':')) {
        fail(c);
        return;
    }
    skip_space(c);
    if (key_is(a, b, "command") && c->p < c->end && *c->p == '"' && !f->has_command) {
        const char *s = NULL, *t = NULL;
        raw_string(c, &s, &t);
        if (!c->failed) {
            e->command = unescape(s, t);
            f->has_command = true;
        }
    } else if (key_is(a, b, "exception") && c->p < c->end && *c->p == '"') {
        const char *s = NULL, *t = NULL;
        raw_string(c, &s, &t);
        if (!c->failed && t == s)
            reject(c, "exception", "is an empty name");
        else if (!c->failed && !class_name(s, t))
            reject(c, "exception", "is not a class name (1 to 63 of A-Z a-z 0-9 _ . - : +, "
                                   "not \"ok\")");
        else if (!c->failed)
            snprintf(f->exception, sizeof f->exception, "%.*s", (int)(t - s), s);
    } else if (key_is(a, b, "exception")) {
        /* A number, a list or true where cordon writes a name or null:
         * counted as "no exception", a failed task would pass as ok. */
        if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0)
            c->p += 4;
        else
            reject(c, "exception", "is neither a name nor null");
    } else if (key_is(a, b, "stopped_by")) {
        const char *s = NULL, *t = NULL;
        raw_string(c, &s, &t);
        if (!c->failed && !class_name(s, t))
            reject(c, "stopped_by", "is not a signal's name");
        else if (!c->failed)
            snprintf(f->stopped_by, sizeof f->stopped_by, "%.*s", (int)(t - s), s);
    } else if (read_origin(c, a, b, e)) {
        return;
    } else if (key_is(a, b, "exit_code")) {
        /* null: a task cordon could not start, which never exited */
        f->never_ran |= c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0;
        f->exit_code = (long)read_whole(c, "exit_code", INT_MIN, INT_MAX);
    } else if (key_is(a, b, "signal")) {
        f->signal = (long)read_whole(c, "signal", 0, 64);
    } else if (key_is(a, b, "error") && c->p < c->end && *c->p == '"') {
        f->never_ran = true; /* cordon's own failure, said in words */
        skip_value(c, 1);
    } else if (key_is(a, b, "error")) {
        if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0)
            c->p += 4;
        else
            reject(c, "error", "is neither words nor null");
    } else if (key_is(a, b, "usage")) {
        read_usage(c, &f->usage);
        f->has_usage = true;
    } else if (key_is(a, b, "history") && c->p < c->end && *c->p == '[') {
        read_history(c, f);
    } else {
        skip_value(c, 1);
    }
}

int audit_entry_parse(const char *line, size_t len, audit_entry *e)
{
    memset(e, 0, sizeof *e);
    cursor c = { line, line + len, false, e->reason };
    fields f = { false, false, false, false, 0, 0, "", "", { 0, 0, 0, 0 }, 0, 0 };
    if (!take(&c, '{'))
        return -1;
    if (!take(&c, '}')) {
        do
            read_member(&c, e, &f);
        while (!c.failed && take(&c, ','));
        if (!take(&c, '}'))
            c.failed = true;
    }
    skip_space(&c);
    if (c.failed || c.p != c.end || !f.has_command || !f.has_usage) {
        free(e->command);
        e->command = NULL;
        return -1;
    }
    e->wall_us = f.usage.wall_us;
    e->max_rss_kb = f.usage.max_rss_kb > f.history_max_rss_kb ? f.usage.max_rss_kb
                                                              : f.history_max_rss_kb;
    uint64_t own_cpu_us = f.usage.user_us + f.usage.sys_us;
    e->cpu_us = f.has_history && f.history_cpu_us > own_cpu_us ? f.history_cpu_us : own_cpu_us;
    /* As batch's summary names them: a task cordon could not run, or
     * whose output or record it could not pass on (status 125 beside an
     * exit 0), is no success. */
    /* A stop that came after the task's end (a retry it wanted unmade)
     * is what its status says, 128+N, whatever the task did. */
    if (f.stopped_by[0])
        snprintf(e->outcome, sizeof e->outcome, "stopped:%.40s", f.stopped_by);
    else if (f.exception[0])
        snprintf(e->outcome, sizeof e->outcome, "%s", f.exception);
    else if (f.never_ran || (e->has_status && e->status == 125 && !f.exit_code))
        snprintf(e->outcome, sizeof e->outcome, "cordon error");
    else if (f.signal)
        snprintf(e->outcome, sizeof e->outcome, "signal:%ld", f.signal);
    else if (f.exit_code)
        snprintf(e->outcome, sizeof e->outcome, "exit:%ld", f.exit_code);
    else if (e->has_status && e->status != 0)
        snprintf(e->outcome, sizeof e->outcome, "status:%d", e->status);
    else
        snprintf(e->outcome, sizeof e->outcome, "ok");
    return 0;
}
