/* --retry: the attempts run by cordon_run_and_retry, each retry decided
 * by the runner (exit codes and several classes at once, announced as
 * made), every attempt kept for --json's history. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "retry.h"
#include "stop_signals.h"
#include "runner.h"
#include "units.h"

/* Classes a command task can end with, besides the signal names. */
static const char *const known_classes[] = {
    "Timeout", "CpuLimit", "MemoryLimit", "FileSizeLimit", "ProcessLimit",
    "PolicyViolation", "ExecError", "ConfinementError",
};

/* The forms cordon_run_and_retry takes, and with the same meaning (the
 * README promises the library takes what --retry-on takes): cordon's own
 * classes by their exact names (the library compares class names as they
 * are, a task's own "timeout" being another class than Timeout), signal
 * names with their SIG (in any case: the library reads "sigsegv" as
 * SIGSEGV, but a bare "segv" as a class of that name, which no command
 * ends with), "*", and exit:N with N from 1 to 255 (exit 0 is a success,
 * which the library never retries; a command has no other codes).  A
 * near miss is refused naming the form meant, never retried on silently. */
static int canonical_class(const char *word, char *out, size_t size)
{
    if (strcmp(word, "*") == 0) {
        snprintf(out, size, "*");
        return 0;
    }
    for (size_t i = 0; i < sizeof known_classes / sizeof *known_classes; i++) {
        if (strcmp(word, known_classes[i]) == 0) {
            snprintf(out, size, "%s", known_classes[i]);
            return 0;
        }
    }
    /* "SIGSEGV", "sigsegv", "SIGRTMIN+20" (SIGRTMAX-10 as kill -l names it) */
    const char *name = strncasecmp(word, "SIG", 3) == 0
                           ? cordon_signal_name(cordon_signal_number(word)) : NULL;
    if (!name)
        return -1;
    snprintf(out, size, "%s", name);
    return 0;
}

/* What `word`, refused, was most likely meant as: one of cordon's classes
 * in another case, or a signal without its SIG; NULL when nothing is. */
static const char *meant_class(const char *word, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof known_classes / sizeof *known_classes; i++)
        if (strcasecmp(word, known_classes[i]) == 0)
            return known_classes[i];
    const char *signal = strncasecmp(word, "SIG", 3) != 0
                             ? cordon_signal_name(cordon_signal_number(word)) : NULL;
    if (!signal)
        return NULL;
    snprintf(buf, size, "%s", signal);
    return buf;
}

static int parse_class(const char *option, const char *word, retry_class *c)
{
    uint64_t code;
    c->exit_code = -1;
    if (strncmp(word, "exit:", 5) == 0) {
        /* A sign or a blank is no number of the code's ("exit:+3" had been
         * "must be from 1 to 255", which 3 is). */
        if (!isdigit((unsigned char)word[5])) {
            runner_error("%s: '%s': the exit code is written in digits alone (exit:3)", option,
                         word);
            return -1;
        }
        if (units_parse_count(word + 5, 1, 255, &code) < 0) {
            runner_error("%s: '%s': the exit code must be from 1 to 255 (exit 0 is a success, "
                         "never retried)", option, word);
            return -1;
        }
        c->exit_code = (int)code;
        snprintf(c->name, sizeof c->name, "exit:%d", c->exit_code);
        return 0;
    }
    if (canonical_class(word, c->name, sizeof c->name) == 0)
        return 0;
    char buf[sizeof c->name];
    const char *meant = meant_class(word, buf, sizeof buf);
    if (meant) {
        runner_error("%s: unknown class '%s' (did you mean %s? class names are written as "
                     "cordon reports them, signals with SIG)", option, word, meant);
        return -1;
    }
    runner_error("%s: unknown class '%s' (expected a signal name like SIGSEGV, Timeout, "
                 "CpuLimit, MemoryLimit, FileSizeLimit, ProcessLimit, PolicyViolation, "
                 "ExecError, ConfinementError, exit:N or *)", option, word);
    return -1;
}

/* A comma list, spaces around each comma allowed, as the library reads
 * it: an empty item, or two classes apart by a space only, is refused
 * (the library refuses the list whole). */
int retry_parse_classes(task_options *o, const char *option, const char *value)
{
    char *copy = runner_strdup(value);
    int rc = 0;
    char *next = copy;
    while (next && rc == 0) {
        char *word = next, *comma = strchr(next, ',');
        next = comma ? comma + 1 : NULL;
        if (comma)
            *comma = '\0';
        while (*word == ' ')
            word++;
        size_t len = strlen(word);
        while (len > 0 && word[len - 1] == ' ')
            word[--len] = '\0';
        if (len == 0) {
            runner_error("%s: '%s': an empty class (give CLASS[,CLASS...])", option, value);
            rc = -1;
        } else if (strchr(word, ' ')) {
            runner_error("%s: '%s': classes are separated by commas (CLASS[,CLASS...])",
                         option, value);
            rc = -1;
        } else {
            o->retry_on = runner_realloc(o->retry_on,
                                         (o->retry_on_count + 1) * sizeof *o->retry_on);
            rc = parse_class(option, word, &o->retry_on[o->retry_on_count]);
            o->retry_on_count += rc == 0;
        }
    }
    free(copy);
    return rc;
}

/* parse_backoff_part's answer for a factor outside 1 to 1000, the
 * library's range (cordon_set_backoff). */
#define BAD_FACTOR (-1000)
/* ... and for a part given twice ("x2,x3": the later one won unsaid). */
#define TWICE (-1001)
/* ... and for a time past UNITS_TIME_LONGEST_MS, as the limits' times. */
#define TOO_LONG (-1002)

static int bad_backoff(const char *option, const char *value)
{
    runner_error("%s: '%s' is not INITIAL[,xFACTOR][,max LIMIT] (e.g. 100ms,x2,max 5s)",
                 option, value);
    return -1;
}

/* -1 for a part that is not one, UNITS_TOO_SMALL for a time below 1 ms,
 * TOO_LONG past about 31 years. */
static int parse_time_part(const char *part, uint64_t *ms)
{
    int rc = units_parse_time_ms(part, ms);
    if (rc == UNITS_TOO_LARGE || (rc == 0 && *ms > UNITS_TIME_LONGEST_MS))
        return TOO_LONG;
    return rc == UNITS_TOO_SMALL ? rc : rc < 0 ? -1 : 0;
}

static int parse_backoff_part(task_options *o, char *part, bool first)
{
    while (isspace((unsigned char)*part))
        part++;
    if (first) /* 0 is no delay, the default, as the library's */
        return parse_time_part(part, &o->backoff_ms);
    if (part[0] == 'x' || part[0] == '*') {
        if (o->backoff_factor_given)
            return TWICE;
        o->backoff_factor_given = true;
        double factor = 0;
        if (units_parse_number(part + 1, &factor) < 0)
            return -1;
        if (!(factor >= 1.0 && factor <= 1000.0))
            return BAD_FACTOR;
        o->backoff_factor = factor;
        return 0;
    }
    if (strncmp(part, "max", 3) == 0) {
        if (o->backoff_max_ms_given)
            return TWICE;
        part += 3;
        while (isspace((unsigned char)*part) || *part == '=')
            part++;
        o->backoff_max_ms_given = true;
        return parse_time_part(part, &o->backoff_max_ms);
    }
    return -1;
}

int retry_parse_backoff(task_options *o, const char *option, const char *value)
{
    /* strtok_r passes over an empty item: "100ms,,x2" was taken quietly,
     * where --retry-on refuses one. */
    size_t length = strlen(value);
    if (length && (value[0] == ',' || value[length - 1] == ',' || strstr(value, ",,"))) {
        runner_error("%s: '%s': an empty part (give TIME[,xFACTOR][,max TIME])", option, value);
        return -1;
    }
    char *copy = runner_strdup(value);
    int rc = 0;
    char *save = NULL;
    bool first = true;
    for (char *part = strtok_r(copy, ",", &save); part && rc == 0;
         part = strtok_r(NULL, ",", &save), first = false)
        rc = parse_backoff_part(o, part, first);
    free(copy);
    if (rc == UNITS_TOO_SMALL) {
        runner_error("%s: '%s': a time below cordon's 1 ms resolution", option, value);
        return -1;
    }
    if (rc == TOO_LONG) {
        runner_error("%s: '%s': a time longer than 31 years", option, value);
        return -1;
    }
    if (rc == TWICE) {
        runner_error("%s: '%s': each part (xFACTOR, max LIMIT) is given once", option, value);
        return -1;
    }
    if (rc == BAD_FACTOR) {
        runner_error("%s: '%s': the factor (xFACTOR) is from 1 to 1000", option, value);
        return -1;
    }
    if (rc < 0 || first)
        return bad_backoff(option, value);
    /* "max 0" read as no cap, and a cap below the first delay made the
     * first delay a lie: both are refused rather than quietly meant. */
    if (o->backoff_max_ms_given && o->backoff_max_ms < o->backoff_ms) {
        runner_error("%s: '%s': the cap (max) is below the first delay", option, value);
        return -1;
    }
    return 0;
}

static bool class_matches(const retry_class *c, const attempt_record *a)
{
    if (c->exit_code >= 0)
        return !a->exception[0] && a->exit_code == c->exit_code;
    return a->exception[0] && (strcmp(c->name, "*") == 0 || strcmp(c->name, a->exception) == 0);
}

static bool wants_retry(const task_options *o, const attempt_record *a)
{
    if (o->retry_on_count == 0)
        return a->exception[0] != '\0';
    for (size_t i = 0; i < o->retry_on_count; i++)
        if (class_matches(&o->retry_on[i], a))
            return true;
    return false;
}

static uint64_t backoff_delay_ms(const task_options *o, size_t retry)
{
    double delay = (double)o->backoff_ms;
    for (size_t i = 1; i < retry && delay < 1e12; i++)
        delay *= o->backoff_factor;
    if (o->backoff_max_ms && delay > (double)o->backoff_max_ms)
        delay = (double)o->backoff_max_ms;
    return (uint64_t)delay;
}

static void sleep_ms(uint64_t ms)
{
    struct timespec left = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

static void record_attempt(attempt_log *log, const cordon_result *r)
{
    log->items = runner_realloc(log->items, (log->count + 1) * sizeof *log->items);
    attempt_record *a = &log->items[log->count++];
    memset(a, 0, sizeof *a);
    snprintf(a->exception, sizeof a->exception, "%s", r->exception ? r->exception : "");
    a->exit_code = r->exit_code;
    a->signal = r->signal;
    a->usage = r->usage;
}

static void announce_retry(size_t attempt, const attempt_record *a)
{
    if (a->exception[0])
        runner_error("attempt %zu ended with %s; retrying", attempt, a->exception);
    else
        runner_error("attempt %zu exited with %d; retrying", attempt, a->exit_code);
}

/* The profile is written into memory, then queued for stderr like every
 * other line cordon prints (see output.h): a stdio write to a frozen
 * terminal would block for ever. */
static int run_profiled(cordon_task *t)
{
    char *text = NULL;
    size_t len = 0;
    FILE *report = open_memstream(&text, &len);
    if (!report) {
        runner_error("--profile: %s; running without the profile", strerror(errno));
        return cordon_run(t);
    }
    int rc = cordon_run_profiler(t, report);
    if (fclose(report) == 0)
        (void)output_write_own(STDERR_FILENO, text, len);
    free(text);
    return rc;
}

/* The runner's loop, for --profile, which cordon_run_profiler runs once:
 * each of its attempts is attempt 1 to the task (CORDON_ATTEMPT). */
static int retry_profiled(cordon_task *t, const task_options *o, bool announce, attempt_log *log)
{
    for (size_t attempt = 1;; attempt++) {
        int rc = run_profiled(t);
        if (rc < 0)
            return rc;
        record_attempt(log, cordon_task_result(t));
        const attempt_record *last = &log->items[log->count - 1];
        if (attempt > o->retry || !wants_retry(o, last))
            return rc;
        if ((log->retry_unmade = stop_signals_caught()))
            return rc;
        if (announce)
            announce_retry(attempt, last);
        sleep_ms(backoff_delay_ms(o, attempt));
        if ((log->retry_unmade = stop_signals_caught()))
            return rc; /* stopped during the backoff: no other attempt */
    }
}

typedef struct retry_state {
    const task_options *o;
    bool announce;
    attempt_log *log;
} retry_state;

/* cordon_run_and_retry's callback, after every attempt but the last
 * allowed one: the runner's own choice (exit codes and classes together),
 * said as it is made. */
static int decide(const cordon_result *r, unsigned attempt, void *user)
{
    retry_state *s = user;
    record_attempt(s->log, r);
    const attempt_record *last = &s->log->items[s->log->count - 1];
    /* Stopped meanwhile: no other attempt (it said "retrying", and none
     * came). */
    if (!wants_retry(s->o, last))
        return 0;
    if ((s->log->retry_unmade = stop_signals_caught()))
        return 0;
    if (s->announce)
        announce_retry(attempt, last);
    s->log->promised = s->log->count;
    return 1;
}

/* The attempts are the library's, so that each is numbered for the task
 * (CORDON_ATTEMPT, cordon_attempt_number: every one was 1 when the
 * runner called cordon_run again) and delayed as --backoff says. */
static int retry_watched(cordon_task *t, const task_options *o, bool announce, attempt_log *log);

/* Cancelled, with the rest of the runner's runs, by a signal that stops
 * the runner (stop_signals.c). */
int retry_run(cordon_task *t, const task_options *o, bool announce, attempt_log *log)
{
    stop_signals_watch(t);
    int rc = retry_watched(t, o, announce, log);
    stop_signals_unwatch(t);
    return rc;
}

static int retry_watched(cordon_task *t, const task_options *o, bool announce, attempt_log *log)
{
    if (o->profile)
        return retry_profiled(t, o, announce, log);
    retry_state state = { o, announce, log };
    int rc = cordon_set_retry_callback(t, decide, &state);
    if (rc == 0 && o->backoff_ms)
        rc = cordon_set_backoff(t, o->backoff_ms, o->backoff_factor, o->backoff_max_ms);
    if (rc == 0)
        rc = cordon_run_and_retry(t, o->retry, NULL);
    cordon_set_retry_callback(t, NULL, NULL);
    if (rc < 0)
        return rc;
    size_t attempts = 0;
    cordon_task_history(t, &attempts);
    if (log->count < attempts) /* the last allowed one: no callback */
        record_attempt(log, cordon_task_result(t));
    /* A retry decided on that never came: a stop in the library's wait. */
    if (log->promised && log->promised == log->count && stop_signals_caught())
        log->retry_unmade = true;
    return rc;
}

void attempt_log_free(attempt_log *log)
{
    free(log->items);
    log->items = NULL;
    log->count = 0;
}
