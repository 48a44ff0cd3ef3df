/* Units are parsed by hand: strtod would also take "inf", hex floats and
 * exponents, none of which a person means by a timeout. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "units.h"

/* The largest time any option takes; keeps every product far from
 * overflow (a century of milliseconds and more). */
#define UNITS_TIME_MAX 4.0e18

struct unit { const char *suffix; double factor; };

static int apply_unit(const char *rest, double value, const struct unit *units, size_t count,
                      double max, double *out)
{
    for (size_t i = 0; i < count; i++) {
        if (strcasecmp(rest, units[i].suffix) == 0) {
            double v = value * units[i].factor;
            if (v > max)
                return UNITS_TOO_LARGE;
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* The multiple a size's suffix names, or 0 for no known suffix. */
static uint64_t size_factor(const char *suffix)
{
    static const struct { const char *suffix; unsigned shift; } units[] = {
        { "", 0 }, { "B", 0 },
        { "K", 10 }, { "KB", 10 }, { "KiB", 10 },
        { "M", 20 }, { "MB", 20 }, { "MiB", 20 },
        { "G", 30 }, { "GB", 30 }, { "GiB", 30 },
        { "T", 40 }, { "TB", 40 }, { "TiB", 40 },
    };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcasecmp(suffix, units[i].suffix) == 0)
            return 1ull << units[i].shift;
    return 0;
}

/* "DIGITS" as an integer, exactly, saturating past UNITS_SIZE_MAX (too
 * large is said by the caller); a pointer past it. */
static const char *read_whole(const char *s, uint64_t *value)
{
    uint64_t v = 0;
    for (; isdigit((unsigned char)*s); s++)
        v = v > UNITS_SIZE_MAX ? v : v * 10 + (uint64_t)(*s - '0');
    *value = v;
    return s;
}

/* ".DIGITS" (none is a fraction of 0); a pointer past it. */
static const char *read_fraction(const char *s, double *value)
{
    double v = 0, scale = 1;
    if (*s == '.')
        for (s++; isdigit((unsigned char)*s); s++) {
            scale /= 10;
            v += (*s - '0') * scale;
        }
    *value = v;
    return s;
}

/* Reads "DIGITS[.DIGITS]" and returns a pointer past it, or NULL.  A
 * number of any length is read (past about 309 digits it is infinite):
 * too large is said apart from not a number, by the unit's check. */
static const char *read_decimal(const char *s, double *value)
{
    double whole = 0, fraction;
    const char *point = s;
    for (; isdigit((unsigned char)*point); point++)
        whole = whole * 10 + (*point - '0');
    const char *rest = read_fraction(point, &fraction);
    /* digits on at least one side of the point: "2", "2.", ".5" */
    if (rest - s == (*point == '.' ? 1 : 0))
        return NULL;
    *value = whole + fraction;
    return rest;
}

/* The whole part of a size is read as an integer, exactly: through a
 * double, 9007199254740993 (2^53 + 1) became ...992, and sizes near
 * UNITS_SIZE_MAX were off by hundreds.  Only a fraction ("1.5G") goes
 * through a double, and it adds less than one multiple. */
int units_parse_size(const char *text, uint64_t *bytes)
{
    uint64_t whole, factor;
    double fraction;
    const char *point = read_whole(text, &whole);
    const char *rest = read_fraction(point, &fraction);
    /* digits on at least one side of the point: "2", "2.", ".5" */
    if (rest - text == (*point == '.' ? 1 : 0) || !(factor = size_factor(rest)))
        return -1;
    if (whole > UNITS_SIZE_MAX / factor)
        return UNITS_TOO_LARGE;
    /* "0.1K" is 102 bytes */
    uint64_t total = whole * factor + (uint64_t)(fraction * (double)factor + 0.5);
    if (total > UNITS_SIZE_MAX)
        return UNITS_TOO_LARGE;
    *bytes = total;
    return 0;
}

int units_parse_time_ms(const char *text, uint64_t *ms)
{
    static const struct unit units[] = {
        { "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "us", 0.001 },
        { "m", 60000 }, { "min", 60000 }, { "h", 3600000 },
    };
    double value, total;
    const char *rest = read_decimal(text, &value);
    /* "M" alone is a size's (MiB): --cpu 500M, read as minutes, gave a
     * CPU limit of 500 minutes beside --mem 500M's 500 MiB. */
    if (!rest || strcmp(rest, "M") == 0)
        return -1;
    int rc = apply_unit(rest, value, units, sizeof units / sizeof *units, UNITS_TIME_MAX, &total);
    if (rc < 0)
        return rc;
    /* The double's own error is no fraction anyone wrote (1.1s is
     * 1100.0000000000002 ms): within a nanosecond of a whole ms is that ms.
     * A real fraction is rounded up (1500us is 2 ms), so that a deadline or
     * a delay is never shorter than asked; below 1 ms, which cordon cannot
     * keep, the time is refused rather than made 1 ms (or 0, no limit). */
    const double slack = 1e-6;
    if (total > 0 && total < 1 - slack)
        return UNITS_TOO_SMALL;
    uint64_t whole = (uint64_t)total;
    if (total - (double)whole > slack)
        whole++;
    *ms = whole;
    return 0;
}

int units_parse_number(const char *text, double *value)
{
    const char *rest = read_decimal(text, value);
    return rest && !*rest ? 0 : -1;
}

int units_parse_count(const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
    uint64_t v = 0;
    if (!*text)
        return -1;
    for (const char *s = text; *s; s++) {
        if (!isdigit((unsigned char)*s) || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

/* Every unit cut, never rounded: 999.9 ms is "999ms" and 1.996 s
 * "1.99s" (rounding gave "2.00s" there, beside a truncated "999ms"), so
 * that a figure never shows more than was measured. */
void units_format_time_us(char *buf, size_t size, uint64_t us)
{
    if (us < 1000)
        snprintf(buf, size, "%lluus", (unsigned long long)us);
    else if (us < 1000000)
        snprintf(buf, size, "%llums", (unsigned long long)(us / 1000));
    else if (us < 60000000)
        snprintf(buf, size, "%llu.%02llus", (unsigned long long)(us / 1000000),
                 (unsigned long long)(us / 10000 % 100));
    else if (us < 3600000000ull)
        snprintf(buf, size, "%llum%02llus", (unsigned long long)(us / 60000000),
                 (unsigned long long)(us / 1000000 % 60));
    else
        snprintf(buf, size, "%lluh%02llum", (unsigned long long)(us / 3600000000ull),
                 (unsigned long long)(us / 60000000 % 60));
}

/* Cut as times are; from a TiB on in T (1 TiB of a tree's peak read
 * "1024.00G"). */
void units_format_kb(char *buf, size_t size, uint64_t kb)
{
    const uint64_t giga = 1024 * 1024, tera = giga * 1024;
    if (kb < 1024)
        snprintf(buf, size, "%lluK", (unsigned long long)kb);
    else if (kb < giga)
        snprintf(buf, size, "%llu.%lluM", (unsigned long long)(kb / 1024),
                 (unsigned long long)(kb % 1024 * 10 / 1024));
    else if (kb < tera)
        snprintf(buf, size, "%llu.%02lluG", (unsigned long long)(kb / giga),
                 (unsigned long long)(kb % giga * 100 / giga));
    else
        snprintf(buf, size, "%llu.%02lluT", (unsigned long long)(kb / tera),
                 (unsigned long long)(kb % tera * 100 / tera));
}
