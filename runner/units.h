/* Sizes and times as people write them on a command line. */
#ifndef CORDON_RUNNER_UNITS_H
#define CORDON_RUNNER_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* What the parsers of a size and of a time return for a number written
 * well but past the most they take (-1: the text is not one). */
#define UNITS_TOO_LARGE (-2)
/* What the parser of a time returns for one above 0 but below cordon's
 * resolution, 1 ms. */
#define UNITS_TOO_SMALL (-3)

/* The longest time an option takes: about 31 years.  A deadline or a
 * delay is not a date, and no product of one with a factor nears 64 bits. */
#define UNITS_TIME_LONGEST_MS 1000000000000ull

/* The largest size: 1 EiB, "1048576T", far past any memory or file, so
 * that no size an option takes is near overflow. */
#define UNITS_SIZE_MAX (1ull << 60)
#define UNITS_SIZE_MAX_TEXT "1048576T (1 EiB)"

/* "512", "64K", "256M", "1.5G", "2T" (binary multiples; a trailing "B" or
 * "iB" is allowed).  0 on success, -1 when the text is not a size,
 * UNITS_TOO_LARGE past UNITS_SIZE_MAX. */
int units_parse_size(const char *text, uint64_t *bytes);
/* "250ms", "1.5s", "2m", "1h"; a bare number is seconds.  A time that is
 * not a whole number of milliseconds is rounded up to the next ms.  0, -1,
 * UNITS_TOO_SMALL above 0 but below 1 ms, or UNITS_TOO_LARGE past about a
 * hundred million years. */
int units_parse_time_ms(const char *text, uint64_t *ms);
/* "2", "1.5": digits with an optional fraction, nothing else.  0 or -1. */
int units_parse_number(const char *text, double *value);
/* A plain decimal integer in [min, max].  0 or -1. */
int units_parse_count(const char *text, uint64_t min, uint64_t max, uint64_t *value);

/* "850ms", "1.23s", "2m05s" */
void units_format_time_us(char *buf, size_t size, uint64_t us);
/* "512K", "12.3M", "1.50G", "2.00T" from kilobytes, every unit cut */
void units_format_kb(char *buf, size_t size, uint64_t kb);

#endif
