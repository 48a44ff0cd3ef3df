/* The shard a runner takes, from its option or from what a scheduler put
 * in its environment.  Every number is checked: a shard index out of range
 * would run no line at all, and no one would notice until the merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "shard.h"
#include "units.h"

static int parse_number(const char *spec, const char *what, const char *text, uint64_t min,
                        uint64_t *value)
{
    if (units_parse_count(text, min, SHARD_COUNT_MAX, value) == 0)
        return 0;
    runner_error("--shard %s: %s '%s' is not a whole number from %llu to %u", spec, what, text,
                 (unsigned long long)min, SHARD_COUNT_MAX);
    return -1;
}

/* A scheduler's variable that says something: set, and not empty (a
 * template that expanded to nothing).  An empty one counts as unset
 * everywhere; that it was empty is said where one is required. */
static bool env_given(const char *name)
{
    const char *text = getenv(name);
    return text && *text;
}

/* A variable of the environment, as a number; `required` says so when
 * it is missing. */
static int env_number(const char *spec, const char *name, bool required, uint64_t fallback,
                      uint64_t *value)
{
    const char *text = getenv(name);
    if (!text || !*text) {
        if (required) {
            runner_error("--shard %s: %s is %s", spec, name, text ? "empty" : "not set");
            return -1;
        }
        *value = fallback;
        return 0;
    }
    return parse_number(spec, name, text, 0, value);
}

/* A Slurm array given as a range (--array=3-10 or 0-15:4) numbers its
 * tasks densely from 0 once MIN is taken away and STEP divided out; a
 * list (--array=1,3,7) does not, and is refused rather than guessed. */
static int slurm_index(const char *spec, uint64_t *index, uint64_t *count)
{
    uint64_t id, min, max, step;
    if (env_number(spec, "SLURM_ARRAY_TASK_ID", true, 0, &id) < 0 ||
        env_number(spec, "SLURM_ARRAY_TASK_MIN", true, 0, &min) < 0 ||
        env_number(spec, "SLURM_ARRAY_TASK_COUNT", true, 0, count) < 0 ||
        env_number(spec, "SLURM_ARRAY_TASK_STEP", false, 1, &step) < 0 ||
        env_number(spec, "SLURM_ARRAY_TASK_MAX", false, 0, &max) < 0)
        return -1;
    if (!env_given("SLURM_ARRAY_TASK_MAX"))
        max = min + (*count ? *count - 1 : 0) * step;
    if (step == 0 || *count == 0 || id < min || (id - min) % step != 0 ||
        min + (*count - 1) * step != max) {
        runner_error("--shard %s: the Slurm array (tasks %llu to %llu by %llu, %llu of them, "
                     "this one %llu) is not a range; submit it as --array=0-N or give --shard K/N",
                     spec, (unsigned long long)min, (unsigned long long)max,
                     (unsigned long long)step, (unsigned long long)*count,
                     (unsigned long long)id);
        return -1;
    }
    *index = (id - min) / step;
    return 0;
}

/* env, env/N: Slurm first (its variables name the array), then the
 * Kubernetes completion index. */
static int scheduler_index(const char *spec, bool count_given, uint64_t *index, uint64_t *count)
{
    if (env_given("SLURM_ARRAY_TASK_ID")) {
        uint64_t slurm_count;
        if (slurm_index(spec, index, &slurm_count) < 0)
            return -1;
        if (count_given && *count != slurm_count) {
            runner_error("--shard %s: the Slurm array has %llu %s, not %llu", spec,
                         (unsigned long long)slurm_count,
                         runner_plural(slurm_count, "task", "tasks"), (unsigned long long)*count);
            return -1;
        }
        *count = slurm_count;
        return 0;
    }
    if (env_given("JOB_COMPLETION_INDEX")) {
        if (!count_given) {
            runner_error("--shard env: JOB_COMPLETION_INDEX gives this worker's index but not "
                         "how many there are: give --shard env/N (N: the Job's completions)");
            return -1;
        }
        return env_number(spec, "JOB_COMPLETION_INDEX", true, 0, index);
    }
    bool empty = getenv("SLURM_ARRAY_TASK_ID") || getenv("JOB_COMPLETION_INDEX");
    runner_error("--shard %s: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor "
                 "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set%s; give --shard K/N "
                 "or --shard env:VAR/N", spec, empty ? " (to more than nothing)" : "");
    return -1;
}

static int parse_env(const char *spec, const char *rest, shard *out)
{
    const char *slash = strchr(rest, '/');
    bool count_given = slash != NULL;
    if (count_given && parse_number(spec, "the count", slash + 1, 1, &out->count) < 0)
        return -1;
    if (rest[0] == ':') {
        size_t len = (size_t)((slash ? slash : rest + strlen(rest)) - (rest + 1));
        char name[128];
        if (!count_given || len == 0 || len >= sizeof name) {
            runner_error("--shard %s: give a variable and the count, e.g. env:INDEX/8", spec);
            return -1;
        }
        snprintf(name, sizeof name, "%.*s", (int)len, rest + 1);
        return env_number(spec, name, true, 0, &out->index);
    }
    if (rest[0] && rest[0] != '/') {
        runner_error("--shard %s: expected env, env/N or env:VAR/N", spec);
        return -1;
    }
    return scheduler_index(spec, count_given, &out->index, &out->count);
}

static int parse_explicit(const char *spec, shard *out)
{
    const char *slash = strchr(spec, '/');
    char index[32];
    if (!slash || (size_t)(slash - spec) >= sizeof index) {
        runner_error("--shard %s: expected K/N (e.g. 0/4), env, env/N or env:VAR/N", spec);
        return -1;
    }
    snprintf(index, sizeof index, "%.*s", (int)(slash - spec), spec);
    return parse_number(spec, "the index", index, 0, &out->index) < 0 ||
                   parse_number(spec, "the count", slash + 1, 1, &out->count) < 0
               ? -1
               : 0;
}

int shard_parse(const char *spec, shard *out)
{
    *out = (shard){ 0, 0 };
    int rc = strncmp(spec, "env", 3) == 0 ? parse_env(spec, spec + 3, out)
                                          : parse_explicit(spec, out);
    if (rc < 0)
        return -1;
    if (out->index >= out->count) {
        runner_error("--shard %s: shard %llu of %llu does not exist (shards count from 0 to "
                     "%llu)", spec, (unsigned long long)out->index,
                     (unsigned long long)out->count, (unsigned long long)out->count - 1);
        return -1;
    }
    return 0;
}

bool shard_takes(const shard *s, size_t lineno)
{
    return s->count == 0 || (lineno - 1) % s->count == s->index;
}

void shard_format(const shard *s, char *buf, size_t size)
{
    snprintf(buf, size, "%llu/%llu", (unsigned long long)s->index, (unsigned long long)s->count);
}
