/* Helpers shared by the benchmarks: interleaved rounds, medians, the
 * process's resident memory. */
#ifndef CORDON_BENCH_COMMON_H
#define CORDON_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BENCH_ROUNDS 7

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int bench_compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline double bench_median(const double *samples, int count)
{
    double sorted[64];
    memcpy(sorted, samples, (size_t)count * sizeof *sorted);
    qsort(sorted, (size_t)count, sizeof *sorted, bench_compare);
    return sorted[count / 2];
}

/* µs of CPU: this process's and its reaped children's (rusage). */
static inline double bench_rusage_cpu_us(void)
{
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    const struct timeval *t[4] = { &self.ru_utime, &self.ru_stime, &children.ru_utime,
                                   &children.ru_stime };
    double us = 0;
    for (int i = 0; i < 4; i++)
        us += (double)t[i]->tv_sec * 1e6 + (double)t[i]->tv_usec;
    return us;
}

/* This process's resident set, in KiB. */
static inline long bench_resident_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The count a benchmark was given as its first argument, or its default:
 * a whole number from 1 to `most`, else the benchmark says what it wanted
 * and exits (a typo must not print a table of infinities). */
static inline long bench_count_argument(int argc, char **argv, const char *what,
                                        long default_count, long most)
{
    if (argc < 2)
        return default_count;
    char *end = NULL;
    long count = strtol(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || count < 1 || count > most) {
        fprintf(stderr, "%s: the argument is the number of %s, a whole number from 1 to %ld, "
                        "not '%s'\n", argv[0], what, most, argv[1]);
        exit(2);
    }
    return count;
}

#endif
