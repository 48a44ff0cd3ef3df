/* The origin fields of a record: run identifier, host, start time, job
 * file line and shard. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "record_origin.h"
#include "runner.h"

/* Characters a run id may hold: safe in a file name, a shell word and a
 * Slurm or Kubernetes label, so that a user may name files after it. */
static int valid_run_id(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || len > RUN_ID_MAX)
        return 0;
    return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@+-") ==
           len;
}

/* 128 random bits: two runners started at the same moment on hosts with
 * the same name still differ.  Without getrandom (old kernels), the time
 * and the pid. */
static void random_run_id(char out[RUN_ID_MAX + 1])
{
    unsigned char bytes[16];
    ssize_t n;
    do
        n = getrandom(bytes, sizeof bytes, GRND_NONBLOCK);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof bytes) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long a = (unsigned long long)ts.tv_sec * 1000000000ull +
                               (unsigned long long)ts.tv_nsec;
        unsigned long long b = (unsigned long long)getpid();
        memcpy(bytes, &a, 8);
        memcpy(bytes + 8, &b, 8);
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

int origin_run_id(const char *given, char out[RUN_ID_MAX + 1])
{
    if (!given) {
        random_run_id(out);
        return 0;
    }
    if (!valid_run_id(given)) {
        runner_error("--run-id: '%.80s' is not 1 to %d of the characters "
                     "A-Z a-z 0-9 . _ : @ + -", given, RUN_ID_MAX);
        return -1;
    }
    snprintf(out, RUN_ID_MAX + 1, "%s", given);
    return 0;
}

void origin_host(char *out, size_t size)
{
    if (gethostname(out, size) != 0 || !out[0])
        snprintf(out, size, "unknown");
    out[size - 1] = '\0'; /* a name that did not fit may come unterminated */
}

uint64_t origin_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void origin_format_time(char out[32], uint64_t ms)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&seconds, &tm)) {
        snprintf(out, 32, "1970-01-01T00:00:00.000Z");
        return;
    }
    char date[24];
    if (strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        snprintf(date, sizeof date, "9999-12-31T23:59:59");
    snprintf(out, 32, "%s.%03uZ", date, (unsigned)(ms % 1000));
}

void origin_json(json_writer *w, const record_origin *o)
{
    char started[32];
    origin_format_time(started, o->started_ms);
    json_key(w, "run_id");
    json_cstring(w, o->run_id);
    json_key(w, "host");
    json_cstring(w, o->host);
    json_key(w, "started");
    json_cstring(w, started);
    if (o->line) {
        json_key(w, "line");
        json_uint(w, o->line);
    }
    if (o->shard) {
        json_key(w, "shard");
        json_cstring(w, o->shard);
    }
}
