/*
 * The parent's half of the sampling profiler: the samples the child left in
 * the shared region become self and cumulative time per function and the
 * hottest caller->callee edges.
 *
 * Each distinct address is symbolized once (a profile holds thousands of
 * samples but a few hundred addresses), and functions are told apart by
 * object and name, so that a function's clones (.cold, .isra.0) count as
 * the function.  A function met more than once in one stack — recursion —
 * counts once in that sample's cumulative time, and so does an edge.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "profiler.h"
#include "../sandbox/text_escape.h"
#include "../sandbox/plural.h"

#define TABLE_ROWS 25
#define EDGE_ROWS  15

/* A sample as copied out of the shared region: nothing the child (or a
 * grandchild that kept the mapping) writes later can change it. */
typedef struct sample {
    const uintptr_t *frames;    /* into profile.frames */
    uint32_t depth, weight;
} sample;

/* Times are in timer periods (the weights), counts in samples. */
typedef struct function_entry {
    int object;                 /* -1: no mapped object */
    const char *name;           /* NULL: no symbol */
    int name_len;
    const char *object_name;
    bool foreign;               /* a hook-loaded object's: the task's word, never parsed */
    uint64_t self, cumulative;
    uint64_t self_samples, cumulative_samples;
    size_t last_sample;         /* dedupes a function within one stack */
} function_entry;

/* One distinct lookup address and the function it belongs to. */
typedef struct address_entry {
    uintptr_t address;
    uint32_t function;
    cordon__symbol symbol;
} address_entry;

typedef struct edge_entry {
    uint32_t caller, callee;
    size_t sample;
    uint64_t weight, samples;
} edge_entry;

typedef struct profile {
    sample *samples;            /* the complete ones */
    uintptr_t *frames;
    size_t sample_count, incomplete, truncated, pc_only;
    uint64_t total_weight;
    double period_ms;
    address_entry *addresses;
    size_t address_count;
    function_entry *functions;
    size_t function_count;
    edge_entry *edges;
    size_t edge_count;
    cordon__symbolizer *symbolizer;
} profile;

static double percent(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* A return address may lie past its caller's last instruction, so callers
 * are looked up one byte back; the interrupted pc is exact. */
static uintptr_t lookup_address(const sample *taken, uint32_t frame)
{
    return taken->frames[frame] - (frame > 0 ? 1 : 0);
}

static int compare_addresses(const void *a, const void *b)
{
    const address_entry *x = a, *y = b;
    return (x->address > y->address) - (x->address < y->address);
}

static int compare_symbols(const void *a, const void *b)
{
    const address_entry *x = *(const address_entry *const *)a;
    const address_entry *y = *(const address_entry *const *)b;
    if (x->symbol.object_index != y->symbol.object_index)
        return x->symbol.object_index < y->symbol.object_index ? -1 : 1;
    if (!x->symbol.name || !y->symbol.name)
        return (x->symbol.name != NULL) - (y->symbol.name != NULL);
    int len = x->symbol.name_len < y->symbol.name_len ? x->symbol.name_len : y->symbol.name_len;
    int order = memcmp(x->symbol.name, y->symbol.name, (size_t)len);
    if (order)
        return order;
    return (x->symbol.name_len > y->symbol.name_len) - (x->symbol.name_len < y->symbol.name_len);
}

/* The complete samples; a slot the child had claimed but not finished when
 * it died (or that it scribbled over) has a depth of 0 or out of range. */
static int gather_samples(profile *p, const struct cordon__profile_region *region,
                          uint32_t count)
{
    p->samples = calloc(count ? count : 1, sizeof *p->samples);
    p->frames = calloc(count ? count * CORDON_PROFILE_FRAMES : 1, sizeof *p->frames);
    if (!p->samples || !p->frames)
        return -ENOMEM;
    uintptr_t *next_frame = p->frames;
    for (size_t i = 0; i < count; i++) {
        const cordon__profile_sample *shared = &region->samples[i];
        uint32_t depth = __atomic_load_n(&shared->depth, __ATOMIC_ACQUIRE);
        if (depth == 0 || depth > CORDON_PROFILE_FRAMES) {
            p->incomplete++;
            continue;
        }
        uint32_t flags = shared->flags, weight = shared->weight;
        if (weight == 0 || weight > CORDON_PROFILE_MAX_WEIGHT)
            weight = 1;
        p->truncated += (flags & CORDON_PROFILE_TRUNCATED) != 0;
        p->pc_only += (flags & CORDON_PROFILE_PC_ONLY) != 0;
        for (uint32_t f = 0; f < depth; f++)
            next_frame[f] = (uintptr_t)shared->frames[f];
        p->samples[p->sample_count++] = (sample){
            .frames = next_frame, .depth = depth, .weight = weight,
        };
        next_frame += depth;
        p->total_weight += weight;
    }
    return 0;
}

/* Every distinct lookup address, sorted, symbolized once. */
static int collect_addresses(profile *p, const cordon__loaded_object *hook_objects,
                             uint32_t hook_object_count)
{
    size_t total = 0;
    for (size_t i = 0; i < p->sample_count; i++)
        total += p->samples[i].depth;
    p->addresses = calloc(total ? total : 1, sizeof *p->addresses);
    if (!p->addresses)
        return -ENOMEM;
    for (size_t i = 0; i < p->sample_count; i++) {
        for (uint32_t f = 0; f < p->samples[i].depth; f++)
            p->addresses[p->address_count++].address = lookup_address(&p->samples[i], f);
    }
    qsort(p->addresses, p->address_count, sizeof *p->addresses, compare_addresses);
    size_t unique = 0;
    for (size_t i = 0; i < p->address_count; i++) {
        if (unique == 0 || p->addresses[unique - 1].address != p->addresses[i].address)
            p->addresses[unique++] = p->addresses[i];
    }
    p->address_count = unique;
    if (unique == 0)
        return 0;
    p->symbolizer = cordon__symbolizer_new();
    if (!p->symbolizer)
        return -ENOMEM;
    /* The plugins a set-up hook loaded, which the parent never mapped. */
    if (hook_objects)
        cordon__symbolizer_add_loaded(p->symbolizer, hook_objects, hook_object_count);
    for (size_t i = 0; i < unique; i++)
        cordon__symbolizer_lookup(p->symbolizer, p->addresses[i].address,
                                  &p->addresses[i].symbol);
    return 0;
}

/* Groups the addresses by (object, name) into functions. */
static int assign_functions(profile *p)
{
    address_entry **order = calloc(p->address_count ? p->address_count : 1, sizeof *order);
    p->functions = calloc(p->address_count ? p->address_count : 1, sizeof *p->functions);
    if (!order || !p->functions) {
        free(order);
        return -ENOMEM;
    }
    for (size_t i = 0; i < p->address_count; i++)
        order[i] = &p->addresses[i];
    qsort(order, p->address_count, sizeof *order, compare_symbols);
    for (size_t i = 0; i < p->address_count; i++) {
        if (i == 0 || compare_symbols(&order[i - 1], &order[i]) != 0) {
            const cordon__symbol *s = &order[i]->symbol;
            p->functions[p->function_count++] = (function_entry){
                .object = s->object_index, .name = s->name, .name_len = s->name_len,
                .object_name = s->object, .foreign = s->foreign, .last_sample = SIZE_MAX,
            };
        }
        order[i]->function = (uint32_t)(p->function_count - 1);
    }
    free(order);
    return 0;
}

static uint32_t function_of(const profile *p, uintptr_t address)
{
    address_entry key = { .address = address };
    const address_entry *found = bsearch(&key, p->addresses, p->address_count,
                                         sizeof *p->addresses, compare_addresses);
    return found ? found->function : 0; /* every address was collected */
}

static int compare_edges(const void *a, const void *b)
{
    const edge_entry *x = a, *y = b;
    if (x->caller != y->caller)
        return x->caller < y->caller ? -1 : 1;
    if (x->callee != y->callee)
        return x->callee < y->callee ? -1 : 1;
    return (x->sample > y->sample) - (x->sample < y->sample);
}

/* Self, cumulative (once per stack) and edges (once per stack). */
static int count_samples(profile *p)
{
    size_t edge_total = 0;
    for (size_t i = 0; i < p->sample_count; i++)
        edge_total += p->samples[i].depth - 1;
    p->edges = calloc(edge_total ? edge_total : 1, sizeof *p->edges);
    if (!p->edges)
        return -ENOMEM;
    size_t raw_edges = 0;
    for (size_t i = 0; i < p->sample_count; i++) {
        const sample *taken = &p->samples[i];
        uint32_t callee = 0;
        for (uint32_t f = 0; f < taken->depth; f++) {
            uint32_t id = function_of(p, lookup_address(taken, f));
            function_entry *fn = &p->functions[id];
            if (f == 0) {
                fn->self += taken->weight;
                fn->self_samples++;
            }
            if (fn->last_sample != i) {
                fn->last_sample = i;
                fn->cumulative += taken->weight;
                fn->cumulative_samples++;
            }
            if (f > 0)
                p->edges[raw_edges++] = (edge_entry){
                    .caller = id, .callee = callee, .sample = i, .weight = taken->weight,
                };
            callee = id;
        }
    }
    /* Sorted by (caller, callee, sample): an edge counts once per sample. */
    qsort(p->edges, raw_edges, sizeof *p->edges, compare_edges);
    for (size_t i = 0; i < raw_edges; i++) {
        edge_entry *e = &p->edges[i];
        edge_entry *last = p->edge_count ? &p->edges[p->edge_count - 1] : NULL;
        if (last && last->caller == e->caller && last->callee == e->callee) {
            if (last->sample != e->sample) {
                last->sample = e->sample;
                last->weight += e->weight;
                last->samples++;
            }
            continue;
        }
        p->edges[p->edge_count] = *e;
        p->edges[p->edge_count++].samples = 1;
    }
    return 0;
}

static int by_self(const void *a, const void *b)
{
    const function_entry *x = *(const function_entry *const *)a;
    const function_entry *y = *(const function_entry *const *)b;
    if (x->self != y->self)
        return x->self > y->self ? -1 : 1;
    return (x->cumulative < y->cumulative) - (x->cumulative > y->cumulative);
}

static int by_cumulative(const void *a, const void *b)
{
    const function_entry *x = *(const function_entry *const *)a;
    const function_entry *y = *(const function_entry *const *)b;
    if (x->cumulative != y->cumulative)
        return x->cumulative > y->cumulative ? -1 : 1;
    return (x->self < y->self) - (x->self > y->self);
}

static int by_weight(const void *a, const void *b)
{
    const edge_entry *x = a, *y = b;
    return (x->weight < y->weight) - (x->weight > y->weight);
}

/* As written: the caller's own C++ names demangled (lib/demangle.c), a
 * hook-loaded object's never parsed; both escaped, so that they can
 * neither drive the reader's terminal nor end a line of the report and
 * pass for the next (a hook-loaded object's are the task's, and the
 * caller's own come from files a task of the caller's user may have
 * replaced). */
static void write_plain_name(FILE *out, const function_entry *f)
{
    if (!f->name) {
        fprintf(out, "??");
        return;
    }
    char plain[512], escaped[512];
    const char *shown = f->name;
    size_t len = (size_t)f->name_len;
    if (!f->foreign && cordon__demangle(f->name, f->name_len, plain, sizeof plain)) {
        shown = plain;
        len = strlen(plain);
    }
    cordon__escape_text(escaped, sizeof escaped, shown, len < sizeof escaped ? len : sizeof escaped);
    fprintf(out, "%s", escaped);
}

static void write_function_name(FILE *out, const function_entry *f)
{
    write_plain_name(out, f);
    const char *object = f->object_name && f->object_name[0] ? f->object_name : "unmapped";
    char escaped[512];
    cordon__escape_text(escaped, sizeof escaped, object, strlen(object));
    fprintf(out, " (%s)", escaped);
}

static void write_table(FILE *out, const profile *p, bool cumulative_first)
{
    const function_entry **rows = calloc(p->function_count ? p->function_count : 1,
                                         sizeof *rows);
    if (!rows) {
        fprintf(out, "  (out of memory)\n");
        return;
    }
    for (size_t i = 0; i < p->function_count; i++)
        rows[i] = &p->functions[i];
    qsort(rows, p->function_count, sizeof *rows, cumulative_first ? by_cumulative : by_self);
    uint64_t total = p->total_weight;
    size_t shown = 0;
    for (size_t i = 0; i < p->function_count && shown < TABLE_ROWS; i++) {
        const function_entry *f = rows[i];
        uint64_t first = cumulative_first ? f->cumulative : f->self;
        uint64_t second = cumulative_first ? f->self : f->cumulative;
        uint64_t samples = cumulative_first ? f->cumulative_samples : f->self_samples;
        if (first == 0)
            break;
        fprintf(out, "  %6.1f%% %9.1f  %6.1f%% %9.1f %8" PRIu64 "  ", percent(first, total),
                (double)first * p->period_ms, percent(second, total),
                (double)second * p->period_ms, samples);
        write_function_name(out, f);
        fputc('\n', out);
        shown++;
    }
    size_t rest = 0;
    for (size_t i = shown; i < p->function_count; i++)
        rest += (cumulative_first ? rows[i]->cumulative : rows[i]->self) != 0;
    if (rest)
        fprintf(out, "  ... %zu more function%s\n", rest, rest == 1 ? "" : "s");
    free(rows);
}

static void write_edges(FILE *out, profile *p)
{
    qsort(p->edges, p->edge_count, sizeof *p->edges, by_weight);
    size_t rows = p->edge_count < EDGE_ROWS ? p->edge_count : EDGE_ROWS;
    if (rows == 0) {
        fprintf(out, "  (no stacks deeper than one frame)\n");
        return;
    }
    for (size_t i = 0; i < rows; i++) {
        const edge_entry *e = &p->edges[i];
        fprintf(out, "  %6.1f%% %9.1f %8" PRIu64 "  ", percent(e->weight, p->total_weight),
                (double)e->weight * p->period_ms, e->samples);
        const function_entry *caller = &p->functions[e->caller];
        const function_entry *callee = &p->functions[e->callee];
        write_plain_name(out, caller);
        fprintf(out, " -> ");
        write_plain_name(out, callee);
        fprintf(out, "\n");
    }
}

static void write_header(FILE *out, const profile *p, const struct cordon__profile_region *region,
                         uint32_t capacity, uint32_t hz, uint64_t claimed)
{
    uint64_t dropped = claimed > capacity ? claimed - capacity : 0;
    fprintf(out, "\nsamples: %zu at %" PRIu32 " Hz of CPU time (a period of %.3f ms), "
            "covering %.1f ms of CPU\n", p->sample_count, hz, p->period_ms,
            (double)p->total_weight * p->period_ms);
    /* Say so when the kernel's tick, not the rate asked for, set the pace. */
    if (p->total_weight > p->sample_count + p->sample_count / 20)
        fprintf(out, "  the kernel delivered about %.0f a second (it checks CPU timers at its "
                "tick); each sample counts for the periods it covers\n",
                (double)hz * (double)p->sample_count / (double)p->total_weight);
    int timer_errno = region->timer_errno;
    if (timer_errno)
        fprintf(out, "  the sampling timer could not be started: %s\n",
                timer_errno > 0 ? strerror(timer_errno) : "unknown error");
    if (dropped)
        fprintf(out, "  %" PRIu64 " %s dropped: the region holds %" PRIu32 "\n", dropped,
                cordon__plural(dropped, "sample", "samples"), capacity);
    if (p->incomplete)
        fprintf(out, "  %zu %s incomplete (the task ended while one was taken)\n",
                p->incomplete, cordon__plural(p->incomplete, "sample", "samples"));
    if (p->truncated)
        fprintf(out, "  %zu %s cut to their innermost %d frames\n", p->truncated,
                cordon__plural(p->truncated, "sample", "samples"), CORDON_PROFILE_FRAMES);
    if (p->pc_only)
        fprintf(out, "  %zu %s without a call stack (the unwinder stopped)\n", p->pc_only,
                cordon__plural(p->pc_only, "sample", "samples"));
    if (p->sample_count == 0 && !timer_errno)
        fprintf(out, "  none: the task used too little CPU time to be sampled\n");
}

static void profile_free(profile *p)
{
    free(p->samples);
    free(p->frames);
    free(p->addresses);
    free(p->functions);
    free(p->edges);
    cordon__symbolizer_free(p->symbolizer);
}

/* The timer sends one signal per period of the first process's CPU time,
 * and a signal's weight is the periods it covers, so neither the samples
 * claimed nor their weights can pass the periods in the task's CPU time
 * (its tree's, which holds that process's).  Two periods and a sixteenth
 * spare cover the timer's first period and the clocks' rounding. */
static uint64_t periods_in(uint64_t cpu_us, uint32_t hz)
{
    if (cpu_us > UINT64_MAX / 2 / hz)
        return UINT64_MAX;
    uint64_t periods = cpu_us * hz / 1000000u;
    return periods + periods / 16 + 2;
}

/* Counts that pass what the task's CPU time allows were written by the
 * task, not by the sampler: none of the region is shown as its profile. */
static bool written_over(FILE *out, const profile *p, uint64_t claimed, uint64_t allowed,
                         uint64_t task_cpu_us)
{
    if (claimed <= allowed && p->total_weight <= allowed)
        return false;
    fprintf(out, "\nsamples: none shown: the task wrote over the sample region (it claims %"
            PRIu64 " %s covering %.1f ms of CPU, and used %.1f ms)\n", claimed,
            cordon__plural(claimed, "sample", "samples"),
            (double)p->total_weight * p->period_ms, (double)task_cpu_us / 1000.0);
    return true;
}

void cordon__profile_report_samples(FILE *out, const struct cordon__profile_region *region,
                                    uint32_t capacity, uint32_t hz, uint64_t task_cpu_us,
                                    const cordon__loaded_object *hook_objects,
                                    uint32_t hook_object_count)
{
    profile p;
    memset(&p, 0, sizeof p);
    p.period_ms = 1000.0 / (double)hz;
    /* Read once: the count the checks see is the count the report uses. */
    uint64_t claimed = __atomic_load_n(&region->claimed, __ATOMIC_ACQUIRE);
    uint64_t allowed = periods_in(task_cpu_us, hz);
    int rc = gather_samples(&p, region, claimed < capacity ? (uint32_t)claimed : capacity);
    if (rc == 0 && written_over(out, &p, claimed, allowed, task_cpu_us)) {
        profile_free(&p);
        return;
    }
    if (rc == 0)
        rc = collect_addresses(&p, hook_objects, hook_object_count);
    if (rc == 0)
        rc = assign_functions(&p);
    if (rc == 0)
        rc = count_samples(&p);
    write_header(out, &p, region, capacity, hz, claimed);
    if (rc < 0) {
        fprintf(out, "  the samples could not be analysed: %s\n", strerror(-rc));
    } else if (p.sample_count) {
        fprintf(out, "\nby self time (where the CPU was):\n"
                     "    self%%   self ms     cum%%    cum ms  samples  function\n");
        write_table(out, &p, false);
        fprintf(out, "\nby cumulative time (in the function or what it called, "
                     "once per stack):\n"
                     "     cum%%    cum ms    self%%   self ms  samples  function\n");
        write_table(out, &p, true);
        fprintf(out, "\nhottest calls (time the caller spent in the callee):\n"
                     "        %%        ms  samples  caller -> callee\n");
        write_edges(out, &p);
    }
    profile_free(&p);
}
