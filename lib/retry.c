/* Retrying a task in fresh children while its exception is of one class. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"

/*
 * What to retry on, in the forms the cordon command takes: a comma list
 * of exception classes, "exit:N" for an ending without exception whose
 * exit code is N, and "*" for any exception.  Spaces around the commas
 * are allowed.  The list is checked whole before anything runs.
 */
#define RETRY_ITEM_MAX CORDON_CLASS_MAX

static bool class_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-' || c == ':' || c == '+' || c == '*';
}

/* "exit:N": N a non-zero int in decimal, a minus sign allowed (a function
 * task's code may be negative) but no plus, as the cordon command reads
 * it; -EINVAL when the item says exit: but no such N. */
static int parse_exit_item(const char *item, bool *is_exit, int *code)
{
    *is_exit = strncmp(item, "exit:", 5) == 0;
    if (!*is_exit)
        return 0;
    if (item[5] == '+')
        return -EINVAL;
    char *end;
    errno = 0;
    long value = strtol(item + 5, &end, 10);
    if (errno || end == item + 5 || *end || value == 0 || value < INT_MIN || value > INT_MAX)
        return -EINVAL;
    *code = (int)value;
    return 0;
}

/* Copies the next item of `*list` into `item` (spaces around it trimmed)
 * and moves past its comma; -EINVAL for an empty or malformed item. */
static int next_item(const char **list, char item[RETRY_ITEM_MAX])
{
    const char *comma = strchr(*list, ',');
    const char *start = *list, *end = comma ? comma : start + strlen(start);
    *list = comma ? comma + 1 : end;
    if (comma && !comma[1])
        return -EINVAL; /* a trailing comma: an empty item */
    while (start < end && *start == ' ')
        start++;
    while (end > start && end[-1] == ' ')
        end--;
    size_t len = (size_t)(end - start);
    if (len == 0 || len >= RETRY_ITEM_MAX)
        return -EINVAL;
    memcpy(item, start, len);
    item[len] = '\0';
    for (const char *c = item; *c; c++) {
        if (!class_char(*c) || (*c == '*' && len != 1))
            return -EINVAL;
    }
    bool is_exit;
    int code;
    return parse_exit_item(item, &is_exit, &code);
}

static int check_retry_list(const char *list)
{
    if (!list || !list[0])
        return -EINVAL;
    char item[RETRY_ITEM_MAX];
    int rc;
    while (*list) {
        if ((rc = next_item(&list, item)) < 0)
            return rc;
    }
    return 0;
}

static bool item_matches(const cordon_task *t, const char *item)
{
    bool is_exit;
    int code = 0;
    parse_exit_item(item, &is_exit, &code);
    if (is_exit)
        return !t->exception_class[0] && t->result.exit_code == code;
    if (!t->exception_class[0])
        return false;
    if (strcmp(item, "*") == 0 || strcmp(item, t->exception_class) == 0)
        return true;
    /* A signal named another way than cordon's: "SIGRTMIN+20" for
     * SIGRTMAX-10, the name real-time signals had before they followed
     * kill -l. */
    int signo = strncasecmp(item, "SIG", 3) == 0 ? cordon_signal_number(item) : 0;
    const char *name = signo ? cordon_signal_name(signo) : NULL;
    return name && strcmp(name, t->exception_class) == 0;
}

static bool should_retry(const cordon_task *t, const char *list)
{
    char item[RETRY_ITEM_MAX];
    while (*list) {
        if (next_item(&list, item) < 0)
            return false;
        if (item_matches(t, item))
            return true;
    }
    return false;
}

/* What is left of the run's total deadline, in ms; UINT64_MAX: none. */
static uint64_t total_left_ms(const cordon_task *t)
{
    if (!t->total_deadline_ns)
        return UINT64_MAX;
    uint64_t now = cordon__now_ns();
    return now >= t->total_deadline_ns ? 0 : (t->total_deadline_ns - now) / 1000000u;
}

/* After an attempt that may be retried: the list, then the callback. */
static bool wants_retry(cordon_task *t, const char *exception, unsigned attempt)
{
    if (exception && should_retry(t, exception))
        return true;
    return t->retry_fn && t->retry_fn(cordon_task_result(t), attempt, t->retry_user) != 0;
}

/* The attempts of one blocking run; a cancel (cordon_cancel from another
 * thread) ends the attempt going on and makes no other. */
static int attempts(cordon_task *t, unsigned max_retry, const char *exception)
{
    t->history_count = 0;
    cordon__total_deadline_start(t);
    int rc;
    for (unsigned attempt = 1;; attempt++) {
        t->result.attempts = attempt;
        rc = cordon__run_once(t);
        if (rc < 0)
            return rc;
        cordon__history_push(t);
        if (attempt > max_retry || !wants_retry(t, exception, attempt))
            return rc;
        /* A retry that the total deadline would end before it starts is
         * not made: the last attempt's result stands. */
        uint64_t delay = cordon__backoff_ms(t, attempt);
        if (total_left_ms(t) <= delay || cordon__cancelled_while_sleeping(t, delay))
            return rc;
    }
}

int cordon_run_and_retry(cordon_task *t, unsigned max_retry, const char *exception)
{
    CORDON__NO_CANCELLATION;
    if (!t)
        return -EINVAL;
    if (cordon__task_running(t))
        return -EBUSY;
    if ((exception && check_retry_list(exception) < 0) || (!exception && !t->retry_fn))
        return cordon__run_not_started(t, -EINVAL);
    int rc = cordon__blocking_begin(t);
    if (rc < 0)
        return rc;
    rc = attempts(t, max_retry, exception);
    cordon__blocking_end(t);
    return rc;
}

int cordon_set_retry_callback(cordon_task *t, cordon_retry_fn fn, void *user)
{
    CORDON__NO_CANCELLATION;
    int busy = cordon__task_settable(t);
    if (busy < 0)
        return busy;
    t->retry_fn = fn;
    t->retry_user = user;
    return 0;
}
