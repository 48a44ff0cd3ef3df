/* What a function task calls from inside its child: cordon_return,
 * cordon_log, cordon_raise. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/plural.h"

static void write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the parent is gone or stopped reading */
        data += n;
        len -= (size_t)n;
    }
}

int cordon_return(cordon_ctx *ctx, const void *data, size_t len)
{
    if (!ctx || (!data && len))
        return -EINVAL;
    if (len > ctx->return_capacity)
        cordon_raise(ctx, "ReturnTooLarge",
                     "cordon_return: %zu bytes exceed the return limit of %zu %s "
                     "(CORDON_LIMIT_RETURN)", len, ctx->return_capacity,
                     cordon__bytes(ctx->return_capacity));
    cordon__shared *shared = ctx->shared;
    /* A child that dies between WRITING and COMMITTED has not returned. */
    __atomic_store_n(&shared->return_state, RETURN_WRITING, __ATOMIC_RELEASE);
    shared->return_len = len;
    if (len)
        memcpy(shared->return_data, data, len);
    __atomic_store_n(&shared->return_state, RETURN_COMMITTED, __ATOMIC_RELEASE);
    return 0;
}

void cordon_log(cordon_ctx *ctx, const char *fmt, ...)
{
    if (!ctx || !fmt)
        return;
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *text = line;
    if ((size_t)n >= sizeof line - 1) {
        text = malloc((size_t)n + 2);
        if (!text)
            return;
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    if (n == 0 || text[n - 1] != '\n')
        text[n++] = '\n';
    write_all(ctx->log_fd, text, (size_t)n);
    if (text != line)
        free(text);
}

/* The class as the parent reads it: NULL is the empty name, and a name
 * too long for the record is cut, marked (CORDON__CLASS_CUT, not a
 * class's byte) and said to be, so that the parent names it an
 * InvalidException rather than a class the task never raised. */
static void record_class(cordon__shared *shared, const char *name)
{
    char *to = shared->raise_class;
    size_t len = name ? strnlen(name, CORDON_CLASS_MAX) : 0;
    shared->raise_class_null = !name;
    shared->raise_class_cut = len >= CORDON_CLASS_MAX;
    if (!shared->raise_class_cut) {
        memcpy(to, name ? name : "", len + 1);
        return;
    }
    size_t kept = CORDON_CLASS_MAX - sizeof CORDON__CLASS_CUT;
    memcpy(to, name, kept);
    memcpy(to + kept, CORDON__CLASS_CUT, sizeof CORDON__CLASS_CUT);
}

/* Set in a function task's child before its function runs. */
static cordon__shared *function_shared;

void cordon__context_enter(cordon__shared *shared)
{
    function_shared = shared;
}

static cordon__setup_record *hook_setup;
static pid_t hook_process;

void cordon__context_in_hook(cordon__setup_record *setup)
{
    hook_setup = setup;
    hook_process = setup ? getpid() : 0;
}

/* The hook itself, still running: not a process it forked, which keeps
 * the record mapped and whose call later must not rewrite how the hook
 * ended (a helper's raise after the hook returned 0 turned the finished
 * task into a SetupError). */
static bool in_the_running_hook(void)
{
    return hook_setup && getpid() == hook_process &&
           __atomic_load_n(&hook_setup->hook_state, __ATOMIC_ACQUIRE) == HOOK_RUNNING;
}

/* cordon_raise(NULL, ...) from the set-up hook: the hook's failure, said
 * in its message (SetupError), as a hook's own non-zero return is. */
static _Noreturn void fail_the_hook(const char *exception, const char *fmt, va_list ap)
{
    char *message = hook_setup->hook_message;
    size_t room = sizeof hook_setup->hook_message;
    int head = snprintf(message, room, "the set-up hook called cordon_raise with no ctx (a hook "
                        "has none), raising %s", exception ? exception : "no exception");
    if (fmt && head >= 0 && (size_t)head + 2 < room) {
        memcpy(message + head, ": ", 2);
        vsnprintf(message + head + 2, room - (size_t)head - 2, fmt, ap);
    }
    hook_setup->hook_return = -EINVAL;
    __atomic_store_n(&hook_setup->hook_state, HOOK_FAILED, __ATOMIC_RELEASE);
    cordon__child_fail(hook_setup, STEP_SETUP_HOOK, 0);
}

/* A message longer than the record holds ends in "...", cut before a
 * character's first byte: it had been cut silently, mid-character. */
static void mark_cut(char *message, size_t size)
{
    size_t at = size - 4;
    while (at > 0 && ((unsigned char)message[at] & 0xC0) == 0x80)
        at--;
    memcpy(message + at, "...", 4);
}

_Noreturn void cordon_raise(cordon_ctx *ctx, const char *exception, const char *fmt, ...)
{
    cordon__function_child_wind_down();
    if (!ctx && in_the_running_hook()) {
        va_list ap;
        va_start(ap, fmt);
        fail_the_hook(exception, fmt, ap);
    }
    /* A NULL ctx in a task is the task's mistake, said as such
     * (InvalidException) rather than dropped as a plain exit 1; outside
     * any task there is no run to end but the caller's. */
    cordon__shared *shared = ctx ? ctx->shared : function_shared;
    if (!shared) {
        cordon__say_misuse("cordon_raise: called outside a function task's child (ctx NULL): "
                           "the caller ends\n");
        abort();
    }
    shared->raise_without_ctx = !ctx;
    record_class(shared, exception);
    shared->raise_message[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        int wanted = vsnprintf(shared->raise_message, sizeof shared->raise_message, fmt, ap);
        va_end(ap);
        if (wanted >= (int)sizeof shared->raise_message)
            mark_cut(shared->raise_message, sizeof shared->raise_message);
    }
    __atomic_store_n(&shared->raised, 1, __ATOMIC_RELEASE);
    _exit(1);
}
