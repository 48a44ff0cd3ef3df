/*
 * libFuzzer target for what the parent reads of a function task's shared
 * region after the child ended (make fuzz): the set-up record, the task's
 * header (return, raise, crash record), the returned bytes and the
 * profiler's samples are all the task's to scribble on.  Whatever they
 * hold, classifying the ending and reporting the profile must neither
 * crash nor read outside the region, and what comes out must keep the
 * result's promises (a well-formed class, returns within their cap).
 *
 * The input, in order: 16 bytes of the parent's own view (kind, wait
 * status, flags, return capacity), the set-up record, the shared header,
 * the returned bytes, then whatever is left as the profile region.  Short
 * inputs are zero-padded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/internal.h"
#include "../../lib/profiler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int never_called(cordon_ctx *ctx, void *arg)
{
    (void)ctx, (void)arg;
    return 0;
}

typedef struct input {
    const uint8_t *data;
    size_t size, at;
} input;

/* Copies the next n bytes into out, zeroes what the input lacks. */
static void take(input *in, void *out, size_t n)
{
    size_t have = in->at < in->size ? in->size - in->at : 0;
    size_t copied = have < n ? have : n;
    memcpy(out, in->data + in->at, copied);
    memset((char *)out + copied, 0, n - copied);
    in->at += n;
}

typedef struct parent_view {
    uint8_t kind, flags, limits, pad;
    int32_t wait_status;
    uint32_t return_capacity;
    uint32_t hz;
} parent_view;

static cordon_task *make_task(const parent_view *v)
{
    static const char *const argv[] = { "fuzzed-command", NULL };
    cordon_task *t = v->kind & 1 ? cordon_command_task(argv)
                                 : cordon_function_task(never_called, NULL);
    if (!t)
        abort();
    if (v->limits & 1)
        cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 1000);
    if (v->limits & 2)
        cordon_set_limit(t, CORDON_LIMIT_FILE_SIZE, 4096);
    if (v->limits & 4)
        cordon_set_limit(t, CORDON_LIMIT_OPEN_FILES, 16);
    if (v->limits & 8)
        cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20);
    if (v->limits & 16)
        cordon_set_policy(t, NULL);
    cordon_set_limit(t, CORDON_LIMIT_RETURN, 1 + v->return_capacity % 4096);
    cordon__result_reset(t);
    return t;
}

/* The promises of a result, whatever the region held. */
static void check_result(const cordon_task *t, size_t return_capacity)
{
    const cordon_result *r = cordon_task_result(t);
    if (r->returns.len > return_capacity || r->returns.data[r->returns.len] != '\0')
        abort();
    if (r->exc_out.data[r->exc_out.len] != '\0')
        abort();
    if (r->exception) {
        size_t len = strnlen(r->exception, CORDON_CLASS_MAX);
        if (len == 0 || len >= CORDON_CLASS_MAX)
            abort();
        for (const char *c = r->exception; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                abort(); /* a class name reaches logs and terminals */
        if (!r->exc_out.len)
            abort(); /* an exception always says why */
    }
}

static void classify(input *in, const parent_view *v)
{
    cordon_task *t = make_task(v);
    size_t capacity = 1 + v->return_capacity % 4096;
    cordon__setup_record *setup = calloc(1, sizeof *setup);
    cordon__shared *shared = calloc(1, sizeof *shared + capacity);
    cordon__init_report *report = calloc(1, sizeof *report);
    if (!setup || !shared || !report)
        abort();
    take(in, setup, sizeof *setup);
    take(in, shared, sizeof *shared + capacity);
    take(in, report, sizeof *report);

    cordon__launch launch;
    memset(&launch, 0, sizeof launch);
    launch.landlock_ruleset = -1;
    launch.setup = launch.region.setup = setup;
    launch.shared = launch.region.shared = shared;
    launch.init_report = launch.region.init_report = report;
    launch.return_capacity = capacity;
    cordon__attempt_state state;
    memset(&state, 0, sizeof state);
    state.wait_status = v->wait_status;
    state.timed_out = v->flags & 1;
    state.cpu_exceeded = v->flags & 2;
    state.oom_killed = v->flags & 4;
    state.pids_limited = v->flags & 8;
    state.listener_received = v->flags & 16;
    state.in_namespaces = v->flags & 32;
    state.ended_ns = state.started_ns = 1;
    state.setup = setup;
    state.init_report = report;
    cordon__classify(t, &state, &launch);
    check_result(t, capacity);
    free(report);
    free(shared);
    free(setup);
    cordon_task_free(t);
}

/* The rest of the input is a profile region, its capacity what it holds. */
static void profile(input *in, const parent_view *v)
{
    size_t rest = in->at < in->size ? in->size - in->at : 0;
    size_t capacity = rest > sizeof(struct cordon__profile_region)
                          ? (rest - sizeof(struct cordon__profile_region)) /
                                sizeof(cordon__profile_sample)
                          : 0;
    size_t bytes = cordon__profile_region_size((uint32_t)capacity);
    struct cordon__profile_region *region = calloc(1, bytes);
    if (!region)
        abort();
    take(in, region, bytes);
    FILE *out = fopen("/dev/null", "w");
    if (!out)
        abort();
    uint32_t hz = 1 + v->hz % CORDON_PROFILE_MAX_HZ;
    /* The task's CPU time, which bounds what the region may claim: from
     * none to more than any region could claim, as the rate's bits say. */
    uint64_t cpu_us = (uint64_t)(v->hz >> 14) << (v->hz >> 26);
    cordon__profile_report_samples(out, region, (uint32_t)capacity, hz, cpu_us, NULL, 0);
    fclose(out);
    free(region);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = { data, size, 0 };
    parent_view v;
    take(&in, &v, sizeof v);
    classify(&in, &v);
    profile(&in, &v);
    return 0;
}
