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

#endif
