/*
 * cordon_run_profiler: runs the task as cordon_run would — confined and
 * limited as usual — and reports where its time went.
 *
 * A function task is sampled: the region for the samples is mapped here,
 * shared, before the fork, and handed to the child through the task
 * (lib/profile_sampler.c fills it, lib/profile_report.c reads it).  Being
 * shared memory it outlives the child, so a task that crashes or times out
 * still leaves the profile gathered until then.  A command is observed from
 * outside: its rusage, and its processes as /proc shows them while it runs
 * (lib/profile_processes.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "profiler.h"

size_t cordon__profile_region_size(uint32_t capacity)
{
    return sizeof(struct cordon__profile_region) + (size_t)capacity * sizeof(cordon__profile_sample);
}

int cordon_set_profiler_hz(cordon_task *t, unsigned hz)
{
    CORDON__NO_CANCELLATION;
    if (!t || hz == 0 || hz > CORDON_PROFILE_MAX_HZ)
        return -EINVAL;
    if (cordon__task_running(t))
        return -EBUSY;
    t->profile_hz = hz;
    return 0;
}

static double percent(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* "function work (program)" rather than the task's "function 0x…". */
static void write_title(FILE *out, const cordon_task *t)
{
    if (t->kind == KIND_FUNCTION) {
        cordon__symbolizer *s = cordon__symbolizer_new();
        cordon__symbol symbol;
        if (s && cordon__symbolizer_lookup(s, (uintptr_t)t->fn, &symbol) == 0) {
            fprintf(out, "profile of function %.*s (%s)\n", symbol.name_len, symbol.name,
                    symbol.object);
            cordon__symbolizer_free(s);
            return;
        }
        cordon__symbolizer_free(s);
    }
    fprintf(out, "profile of %s\n", t->description);
}

static void write_usage(FILE *out, const cordon_usage *u)
{
    uint64_t cpu = u->user_us + u->sys_us;
    fprintf(out, "  wall       %10.3f ms\n", (double)u->wall_us / 1000.0);
    fprintf(out, "  cpu        %10.3f ms  (%.1f%% of wall)\n", (double)cpu / 1000.0,
            percent(cpu, u->wall_us));
    fprintf(out, "    user     %10.3f ms  (%.1f%% of cpu)\n", (double)u->user_us / 1000.0,
            percent(u->user_us, cpu));
    fprintf(out, "    sys      %10.3f ms  (%.1f%% of cpu)\n", (double)u->sys_us / 1000.0,
            percent(u->sys_us, cpu));
    fprintf(out, "  peak rss   %10" PRIu64 " KiB  (its largest process)\n", u->max_rss_kb);
    if (u->tree_peak_kb)
        fprintf(out, "  tree peak  %10" PRIu64 " KiB  (its whole tree, by its memory cgroup)\n",
                u->tree_peak_kb);
    else
        fprintf(out, "  tree peak  %10s      (no memory cgroup counted it)\n", "-");
    fprintf(out, "  faults     %10" PRIu64 " minor, %" PRIu64 " major\n", u->minflt, u->majflt);
    fprintf(out, "  switches   %10" PRIu64 " voluntary, %" PRIu64 " involuntary\n", u->nvcsw,
            u->nivcsw);
    fprintf(out, "  block i/o  %10" PRIu64 " in, %" PRIu64 " out\n", u->inblock, u->oublock);
}

static void write_ending(FILE *out, const cordon_result *r)
{
    if (!r->exception) {
        fprintf(out, "  exit code  %10d\n", r->exit_code);
        return;
    }
    /* The first line of the exception's report says what happened. */
    const char *text = r->exc_out.data;
    size_t len = strcspn(text, "\n");
    if (len)
        fprintf(out, "  exception  %.*s\n", (int)len, text);
    else
        fprintf(out, "  exception  %s\n", r->exception);
}

int cordon_run_profiler(cordon_task *t, FILE *out)
{
    CORDON__NO_CANCELLATION;
    if (!t || !out)
        return -EINVAL;
    if (cordon__task_running(t))
        return -EBUSY;
    uint32_t hz = t->profile_hz ? t->profile_hz : CORDON_PROFILE_DEFAULT_HZ;
    struct cordon__profile_region *region = NULL;
    size_t region_size = cordon__profile_region_size(CORDON_PROFILE_CAPACITY);
    struct cordon__process_table *processes = NULL;
    if (t->kind == KIND_FUNCTION) {
        void *map = mmap(NULL, region_size, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (map == MAP_FAILED)
            return cordon__run_not_started(t, -errno);
        region = map;
        region->hz = hz;
        region->capacity = CORDON_PROFILE_CAPACITY;
        t->profile_objects = calloc(CORDON_HOOK_OBJECTS, sizeof *t->profile_objects);
        t->profile_object_count = 0;
    } else if (!(processes = cordon__process_table_new())) {
        return cordon__run_not_started(t, -ENOMEM);
    }
    t->profile_region = region;
    t->profile_processes = processes;
    int rc = cordon_run(t);
    t->profile_region = NULL;
    t->profile_processes = NULL;
    if (rc >= 0) {
        const cordon_result *r = cordon_task_result(t);
        write_title(out, t);
        write_usage(out, &r->usage);
        write_ending(out, r);
        if (region)
            cordon__profile_report_samples(out, region, CORDON_PROFILE_CAPACITY, hz,
                                           r->usage.user_us + r->usage.sys_us,
                                           t->profile_objects, t->profile_object_count);
        else
            cordon__process_table_report(out, processes);
    }
    if (region)
        munmap(region, region_size);
    free(t->profile_objects);
    t->profile_objects = NULL;
    cordon__process_table_free(processes);
    return rc;
}
