/*
 * The profiler's internals, shared by lib/profiler.c (the public calls),
 * lib/profile_sampler.c (the child's sampling), lib/profile_report.c (the
 * parent's aggregation of samples) and lib/profile_processes.c (the
 * per-process view of a command's tree).
 */
#ifndef CORDON_PROFILER_H
#define CORDON_PROFILER_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "internal.h"

#define CORDON_PROFILE_DEFAULT_HZ 997u
#define CORDON_PROFILE_MAX_HZ     10000u
/* Frames kept per sample, innermost first.  Deeper stacks keep their
 * innermost frames and are counted as truncated. */
#define CORDON_PROFILE_FRAMES     64
/* Samples the region holds: about 16 s of CPU at the default rate.  The
 * region is mapped MAP_NORESERVE, so only the pages samples touch cost
 * memory. */
#define CORDON_PROFILE_CAPACITY   16384u

/* The sample was cut to its innermost CORDON_PROFILE_FRAMES frames. */
#define CORDON_PROFILE_TRUNCATED  1u
/* The unwinder could not get past the signal frame: only the pc is kept. */
#define CORDON_PROFILE_PC_ONLY    2u

/* The kernel checks CPU timers at its scheduler tick (250 or 1000 times a
 * second), so above that rate one signal stands for several periods: it
 * carries their number as its weight, and the shares stay true. */
#define CORDON_PROFILE_MAX_WEIGHT (1u << 20)

typedef struct cordon__profile_sample {
    uint32_t depth;       /* frames kept; 0 until the sample is complete */
    uint32_t flags;
    uint32_t weight;      /* timer periods this sample stands for, >= 1 */
    uint32_t reserved;
    uint64_t frames[CORDON_PROFILE_FRAMES]; /* [0]: the interrupted pc; then return addresses */
} cordon__profile_sample;

/*
 * Mapped MAP_SHARED by the parent before the fork; the child's SIGPROF
 * handler claims a slot with one atomic add and publishes it by storing its
 * depth last.  The child can scribble over all of it, so the parent keeps
 * its own copy of the capacity and checks every depth.
 */
struct cordon__profile_region {
    uint32_t hz, capacity;        /* written by the parent before the fork */
    int32_t timer_errno;          /* the child could not start the timer */
    uint32_t reserved;
    uint64_t claimed;             /* atomic: slots claimed, may pass capacity */
    cordon__profile_sample samples[];
};

size_t cordon__profile_region_size(uint32_t capacity);

/* Parent: aggregates, symbolizes and writes the function profile;
 * task_cpu_us, the task's CPU time, bounds what the region may claim. */
void cordon__profile_report_samples(FILE *out, const struct cordon__profile_region *region,
                                    uint32_t capacity, uint32_t hz, uint64_t task_cpu_us,
                                    const cordon__loaded_object *hook_objects,
                                    uint32_t hook_object_count);

/* Parent: the per-process table of a profiled command. */
struct cordon__process_table *cordon__process_table_new(void);
void cordon__process_table_free(struct cordon__process_table *table);
void cordon__process_table_report(FILE *out, const struct cordon__process_table *table);

#endif
