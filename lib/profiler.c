/* cordon_run_profiler: runs the task and reports where its time went.
 * This first form reports the rusage breakdown of the task's tree. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "internal.h"

static double percent(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void write_usage(FILE *out, const cordon_task *t, const cordon_usage *u)
{
    uint64_t cpu = u->user_us + u->sys_us;
    fprintf(out, "profile of %s\n", t->description);
    fprintf(out, "  wall       %10.3f ms\n", (double)u->wall_us / 1000.0);
    fprintf(out, "  cpu        %10.3f ms  (%.1f%% of wall)\n", (double)cpu / 1000.0,
            percent(cpu, u->wall_us));
    fprintf(out, "    user     %10.3f ms  (%.1f%% of cpu)\n", (double)u->user_us / 1000.0,
            percent(u->user_us, cpu));
    fprintf(out, "    sys      %10.3f ms  (%.1f%% of cpu)\n", (double)u->sys_us / 1000.0,
            percent(u->sys_us, cpu));
    fprintf(out, "  peak rss   %10" PRIu64 " KiB\n", u->max_rss_kb);
    fprintf(out, "  faults     %10" PRIu64 " minor, %" PRIu64 " major\n", u->minflt, u->majflt);
    fprintf(out, "  switches   %10" PRIu64 " voluntary, %" PRIu64 " involuntary\n", u->nvcsw,
            u->nivcsw);
    fprintf(out, "  block i/o  %10" PRIu64 " in, %" PRIu64 " out\n", u->inblock, u->oublock);
}

int cordon_run_profiler(cordon_task *t, FILE *out)
{
    if (!t || !out)
        return -EINVAL;
    int rc = cordon_run(t);
    if (rc < 0)
        return rc;
    const cordon_result *r = cordon_task_result(t);
    write_usage(out, t, &r->usage);
    if (r->exception)
        fprintf(out, "  ended with %s\n", r->exception);
    return rc;
}
