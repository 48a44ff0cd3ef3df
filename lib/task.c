/* Task objects: construction, options and the result they own. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../sandbox/fork_reset.h"
#include "internal.h"
#include "../sandbox/text_escape.h"

/* One freed task is kept per thread for its next: a task (3.5 KiB) is
 * too large for the allocator's per-thread cache, and its allocation and
 * release wrote four or five pages of the caller's heap and the
 * allocator's state per task, each a copy-on-write fault after the task's
 * fork.  Not under AddressSanitizer, which must see a task used after
 * cordon_task_free. */
#if defined(__SANITIZE_ADDRESS__)
#define KEEP_A_FREED_TASK 0
#else
#define KEEP_A_FREED_TASK 1
#endif

static __thread cordon_task *kept_task;
static pthread_key_t kept_task_key; /* its destructor frees a kept task at its thread's exit */
static bool kept_task_key_made;
static pthread_once_t kept_task_key_once = PTHREAD_ONCE_INIT;

static void free_kept_task(void *task)
{
    free(task);
    kept_task = NULL;
}

static void make_kept_task_key(void)
{
    kept_task_key_made = pthread_key_create(&kept_task_key, free_kept_task) == 0;
}

/* Kept where the thread's exit will free it; else false. */
static bool keep_freed_task(cordon_task *t)
{
    if (!KEEP_A_FREED_TASK || kept_task)
        return false;
    pthread_once(&kept_task_key_once, make_kept_task_key);
    if (!kept_task_key_made || pthread_setspecific(kept_task_key, t) != 0)
        return false;
    kept_task = t;
    return true;
}

static cordon_task *new_task_memory(void)
{
    cordon_task *t = kept_task;
    if (!t)
        return calloc(1, sizeof *t);
    kept_task = NULL;
    pthread_setspecific(kept_task_key, NULL);
    memset(t, 0, sizeof *t);
    return t;
}

static cordon_task *task_new(enum cordon__kind kind)
{
    /* Only a function's process runs cordon's crash handler; a command's
     * caller (every `cordon run`) need not load the unwinder. */
    if (kind == KIND_FUNCTION)
        cordon__global_init();
    /* A copy forked while a thread of the caller's ran a task must find
     * cordon's locks free (sandbox/fork_reset.h). */
    cordon__fork_reset_watch();
    cordon_task *t = new_task_memory();
    if (!t)
        return NULL;
    t->kind = kind;
    t->stdin_fd = -1;
    t->cancel_pipe[0] = t->cancel_pipe[1] = -1;
    t->end_pidfd = -1;
    t->limits[CORDON_LIMIT_OUTPUT] = CORDON_DEFAULT_OUTPUT_CAP;
    t->limits[CORDON_LIMIT_RETURN] = CORDON_DEFAULT_RETURN_CAP;
    t->backoff_factor = 1.0;
    if (cordon__done_init(t) < 0) {
        free(t);
        errno = ENOMEM;
        return NULL;
    }
    cordon__result_reset(t);
    return t;
}

cordon_task *cordon_function_task(cordon_fn fn, void *arg)
{
    CORDON__NO_CANCELLATION;
    if (!fn) {
        errno = EINVAL;
        return NULL;
    }
    cordon_task *t = task_new(KIND_FUNCTION);
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    char name[64];
    snprintf(name, sizeof name, "function %p", (void *)(uintptr_t)fn);
    t->description = strdup(name);
    if (!t->description) {
        cordon_task_free(t);
        errno = ENOMEM;
        return NULL;
    }
    return t;
}

static char **copy_argv(const char *const argv[], size_t *joined_len)
{
    size_t count = 0;
    *joined_len = 0;
    while (argv[count])
        *joined_len += strlen(argv[count++]) + 1;
    char **copy = cordon__zeroed(count + 1, sizeof *copy);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        copy[i] = strdup(argv[i]);
        if (!copy[i]) {
            for (size_t j = 0; j < i; j++)
                free(copy[j]);
            free(copy);
            return NULL;
        }
    }
    return copy;
}

/* Each word copied once where it goes: strcat, which walks the joined
 * text from its start each time, made 100000 words cost seconds. */
static char *join_argv(char **argv, size_t joined_len)
{
    char *joined = malloc(joined_len + 1);
    if (!joined)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            joined[at++] = ' ';
        size_t len = strlen(argv[i]);
        memcpy(joined + at, argv[i], len);
        at += len;
    }
    joined[at] = '\0';
    return joined;
}

cordon_task *cordon_command_task(const char *const argv[])
{
    CORDON__NO_CANCELLATION;
    if (!argv || !argv[0] || !argv[0][0]) {
        errno = EINVAL;
        return NULL;
    }
    cordon_task *t = task_new(KIND_COMMAND);
    if (!t)
        return NULL;
    size_t joined_len;
    t->argv = copy_argv(argv, &joined_len);
    if (t->argv)
        t->description = join_argv(t->argv, joined_len);
    if (!t->argv || !t->description) {
        cordon_task_free(t);
        errno = ENOMEM;
        return NULL;
    }
    return t;
}

cordon_task *cordon_shell_task(const char *command)
{
    CORDON__NO_CANCELLATION;
    /* "" names no command: sh -c '' would end 0 having run nothing. */
    if (!command || !command[0]) {
        errno = EINVAL;
        return NULL;
    }
    /* "--": a line that starts with '-' or '+' is a command, not sh's
     * options ('-n && echo y' was "Illegal option -"). */
    const char *argv[] = { "/bin/sh", "-c", "--", command, NULL };
    cordon_task *t = cordon_command_task(argv);
    if (t) {
        free(t->description);
        t->description = strdup(command);
        if (!t->description) {
            cordon_task_free(t);
            errno = ENOMEM;
            return NULL;
        }
    }
    return t;
}

static void free_strings(char **strings, size_t count)
{
    for (size_t i = 0; strings && i < count; i++)
        free(strings[i]);
    free(strings);
}

static void free_argv(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

void cordon_task_free(cordon_task *t)
{
    CORDON__NO_CANCELLATION;
    if (!t)
        return;
    /* Its run, which called this, goes on using it when the callback
     * returns (freed there, the run read and wrote freed memory). */
    if (cordon__in_own_callback(t)) {
        cordon__say_misuse("cordon_task_free: called from a callback of the task's own run; the "
                           "task is not freed (free it once the run has returned, or joined)\n");
        return;
    }
    cordon__pool_forget(t); /* out of its pool (waiting for the pool's own join of it) */
    /* Freed under another thread's join, that join went on waiting on a
     * task that no longer was.  After the pool's: its take-out is done. */
    if (cordon__joined_elsewhere(t)) {
        cordon__say_misuse("cordon_task_free: called while another thread joins or waits for the "
                           "task; the task is not freed (free it once the join or wait has "
                           "returned)\n");
        return;
    }
    /* Freed under another thread's blocking run, that run went on reading
     * and writing the freed task (and a task made next reused it). */
    if (cordon__run_elsewhere(t)) {
        cordon_cancel(t);
        cordon__say_misuse("cordon_task_free: called while another thread's cordon_run runs the "
                           "task; the run is cancelled and the task is not freed (free it once "
                           "that cordon_run has returned)\n");
        return;
    }
    cordon__cancel(t); /* never free under a running collector */
    free_argv(t->argv);
    free_strings(t->env_overrides, t->env_count);
    free(t->description);
    free(t->stdin_data);
    free(t->stdin_chunk);
    free(t->cwd);
    cordon__isolation_free(t->isolation);
    cordon__confinement_store_free(t->confinement_store);
    cordon__buffer_free(&t->std_out);
    cordon__buffer_free(&t->std_err);
    cordon__buffer_free(&t->log_out);
    cordon__buffer_free(&t->exc_out);
    cordon__buffer_free(&t->returns);
    if (t->history != &t->history_first) {
        free(t->history);
        free(t->history_classes);
        free(t->history_messages);
    }
    cordon__done_destroy(t);
    if (!keep_freed_task(t))
        free(t);
}

/* Options belong to the next run: the running one (and its collector
 * thread, which reads them) must not see them change under it. */
static int settable(const cordon_task *t)
{
    if (!t)
        return -EINVAL;
    return cordon__task_running(t) ? -EBUSY : 0;
}

int cordon__task_settable(const cordon_task *t)
{
    return settable(t);
}

int cordon_set_policy(cordon_task *t, const cordon_policy *p)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    t->policy = p;
    t->policy_set = true;
    return 0;
}

int cordon_set_timeout_ms(cordon_task *t, uint64_t ms)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    t->timeout_ms = ms;
    return 0;
}

int cordon_set_limit(cordon_task *t, cordon_limit what, uint64_t value)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    if ((unsigned)what >= CORDON_LIMIT_COUNT_)
        return -EINVAL;
    if ((what == CORDON_LIMIT_OUTPUT || what == CORDON_LIMIT_RETURN) &&
        (value == 0 || value > CORDON_MAX_CAP))
        return -EINVAL;
    if (what == CORDON_LIMIT_MEMORY && value && value < CORDON_MEMORY_MIN)
        return -EINVAL; /* a forgotten unit: no task could start */
    /* More than any kernel holds: pids.max takes no number above its
     * PID_MAX_LIMIT (a root task's run failed), and no fd table grows
     * past fs.nr_open's own ceiling. */
    if ((what == CORDON_LIMIT_PROCESSES && value > CORDON_MAX_PROCESSES) ||
        (what == CORDON_LIMIT_OPEN_FILES && value > CORDON_MAX_OPEN_FILES))
        return -ERANGE;
    /* A set-up hook's fds (0-3, the listener and its socket) need 6: the
     * run failed "setting up its file descriptors: Bad file descriptor". */
    if (what == CORDON_LIMIT_OPEN_FILES && value && value < CORDON__HOOK_OPEN_FILES_MIN &&
        t->setup_fn)
        return -EINVAL;
    t->limits[what] = value;
    return 0;
}

int cordon_set_stdin(cordon_task *t, const void *data, size_t len)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    if (!data && len)
        return -EINVAL;
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    if (len)
        memcpy(copy, data, len);
    free(t->stdin_data);
    t->stdin_data = copy;
    t->stdin_len = len;
    t->stdin_fd = -1;
    t->stdin_fn = NULL;
    return 0;
}

int cordon_set_stdin_fd(cordon_task *t, int fd)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    if (fd < -1)
        return -EINVAL;
    int readable = fd >= 0 ? cordon__stdin_fd_check(fd) : 0;
    struct stat named = { 0 };
    if (readable == 0)
        readable = cordon__standard_fd_check(fd); /* a 0-2 cordon's fd may hold */
    if (readable == 0 && fd >= 0 && fstat(fd, &named) != 0)
        readable = -errno;
    if (readable < 0)
        return readable;
    /* -1 as well as an fd replaces the bytes and the callback given
     * before: -1 kept them, and a reused task was fed the old input. */
    t->stdin_fd = fd;
    t->stdin_device = named.st_dev;
    t->stdin_inode = named.st_ino;
    free(t->stdin_data);
    t->stdin_data = NULL;
    t->stdin_len = 0;
    t->stdin_fn = NULL;
    return 0;
}

int cordon_close_output(cordon_task *t, int stream)
{
    CORDON__NO_CANCELLATION;
    if (!t || stream < 1 || stream > 3)
        return -EINVAL;
    __atomic_store_n(&t->output_closed[stream], true, __ATOMIC_RELEASE);
    return 0;
}

int cordon_hold_output(cordon_task *t, int stream, int hold)
{
    CORDON__NO_CANCELLATION;
    if (!t || stream < 1 || stream > 3)
        return -EINVAL;
    __atomic_store_n(&t->output_held[stream], hold != 0, __ATOMIC_RELEASE);
    return 0;
}

int cordon_set_output_callback(cordon_task *t, cordon_output_fn fn, void *user)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    t->output_fn = fn;
    t->output_user = user;
    return 0;
}

int cordon_set_cwd(cordon_task *t, const char *dir)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    /* "" names no directory: chdir would refuse it only in the child, as
     * a ConfinementError that the call could have prevented. */
    if (dir && !dir[0])
        return -EINVAL;
    /* As cordon_allow_path's: a relative one had been entered from
     * wherever the caller had gone by the run (ConfinementError, "cannot
     * be found since it was given"). */
    char absolute[PATH_MAX];
    int rc = dir ? cordon__absolute_path(dir, absolute) : 0;
    if (rc < 0)
        return rc;
    char *copy = NULL;
    if (dir && !(copy = strdup(absolute)))
        return -ENOMEM;
    free(t->cwd);
    t->cwd = copy;
    struct stat st;
    t->cwd_pinned = copy && stat(copy, &st) == 0;
    t->cwd_device = t->cwd_pinned ? st.st_dev : 0;
    t->cwd_inode = t->cwd_pinned ? st.st_ino : 0;
    return 0;
}

/* A function task's child is a fork of the caller: its environment is the
 * caller's environ, which only setenv in the child could change (and it
 * allocates).  Accepting these there would be an option silently ignored. */
static int environment_settable(const cordon_task *t)
{
    int busy = settable(t);
    if (busy < 0)
        return busy;
    return t->kind == KIND_FUNCTION ? -EINVAL : 0;
}

int cordon_set_env(cordon_task *t, const char *key_equals_value)
{
    CORDON__NO_CANCELLATION;
    int busy = environment_settable(t);
    if (busy < 0)
        return busy;
    if (!key_equals_value || !strchr(key_equals_value, '=') || key_equals_value[0] == '=')
        return -EINVAL;
    /* A name set again takes the new value, as the caller's own do: both
     * entries went to the task, and which one a program saw was its C
     * library's choice (Python the first, dash the last). */
    size_t name_length = (size_t)(strchr(key_equals_value, '=') - key_equals_value) + 1;
    for (size_t i = 0; i < t->env_count; i++)
        if (strncmp(t->env_overrides[i], key_equals_value, name_length) == 0) {
            char *copy = strdup(key_equals_value);
            if (!copy)
                return -ENOMEM;
            free(t->env_overrides[i]);
            t->env_overrides[i] = copy;
            return 0;
        }
    char **grown = realloc(t->env_overrides, (t->env_count + 1) * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    t->env_overrides = grown;
    if (!(grown[t->env_count] = strdup(key_equals_value)))
        return -ENOMEM;
    t->env_count++;
    return 0;
}

int cordon_clear_env(cordon_task *t)
{
    CORDON__NO_CANCELLATION;
    int busy = environment_settable(t);
    if (busy < 0)
        return busy;
    t->clear_env = true;
    return 0;
}

/* Whether uid and gid are this process's every id, and it holds no
 * group besides gid (a task it cannot change the ids of keeps them). */
static bool is_the_caller_alone(uid_t uid, gid_t gid)
{
    if (uid != getuid() || uid != geteuid() || gid != getgid() || gid != getegid())
        return false;
    gid_t groups[64];
    int count = getgroups(64, groups);
    if (count < 0)
        return false; /* more than 64: other groups */
    for (int i = 0; i < count; i++)
        if (groups[i] != gid)
            return false;
    return true;
}

int cordon_set_user(cordon_task *t, uid_t uid, gid_t gid)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    /* -1 is "leave it as it is" to setresuid and setresgid: the task
     * would keep root's uid or group, the opposite of what was asked. */
    if (uid == (uid_t)-1 || gid == (gid_t)-1)
        return -EINVAL;
    /* The caller's own ids, without other groups: what the task runs as
     * anyway (the CLI's --user of its own user), nothing to change. */
    if (geteuid() != 0 && is_the_caller_alone(uid, gid)) {
        t->switch_user = false;
        return 0;
    }
    if (geteuid() != 0)
        return -EPERM;
    t->switch_user = true;
    t->uid = uid;
    t->gid = gid;
    return 0;
}

int cordon_set_core_dumps(cordon_task *t, uint64_t max_bytes)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    t->core_dump_bytes = max_bytes;
    return 0;
}

int cordon_set_tree_accounting(cordon_task *t, int on)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    t->tree_accounting = on != 0;
    return 0;
}

int cordon_set_tree_cpu_accounting(cordon_task *t, int on)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    t->tree_cpu_accounting = on != 0;
    return 0;
}

int cordon_set_backoff(cordon_task *t, uint64_t initial_ms, double factor, uint64_t max_ms)
{
    CORDON__NO_CANCELLATION;
    int busy = settable(t);
    if (busy < 0)
        return busy;
    if (!(factor >= 1.0) || factor > 1000.0)
        return -EINVAL;
    t->backoff_initial_ms = initial_ms;
    t->backoff_factor = factor;
    t->backoff_max_ms = max_ms;
    return 0;
}

void cordon__result_reset(cordon_task *t)
{
    size_t output_cap = t->limits[CORDON_LIMIT_OUTPUT];
    cordon__buffer_reset(&t->std_out, output_cap);
    cordon__buffer_reset(&t->std_err, output_cap);
    cordon__buffer_reset(&t->log_out, output_cap);
    cordon__buffer_reset(&t->exc_out, 1u << 20);
    cordon__buffer_reset(&t->returns, t->limits[CORDON_LIMIT_RETURN]);
    unsigned attempts = t->result.attempts;
    memset(&t->result, 0, sizeof t->result);
    t->result.attempts = attempts;
    t->confinement_not_reached = false;
    t->code_began = false;
    t->exception_class[0] = '\0';
    t->message[0] = '\0';
    cordon__result_refresh(t);
}

void cordon__result_not_run(cordon_task *t)
{
    t->result.attempts = 0;
    cordon__result_reset(t);
}

int cordon__run_not_started(cordon_task *t, int rc)
{
    if (rc == -EBUSY || cordon__task_running(t))
        return rc;
    cordon__result_not_run(t);
    t->history_count = 0;
    return rc;
}

/* The views are refreshed on every read, and at every run's start and
 * end: buffers may have moved, and a caller that kept the pointer across
 * runs (it stays the same) read a NULL message and the last run's views. */
void cordon__result_refresh(cordon_task *t)
{
    cordon_result *r = &t->result;
    r->std_out = cordon__buffer_view(&t->std_out);
    r->std_err = cordon__buffer_view(&t->std_err);
    r->log_out = cordon__buffer_view(&t->log_out);
    r->exc_out = cordon__buffer_view(&t->exc_out);
    r->returns = cordon__buffer_view(&t->returns);
    r->exception = t->exception_class[0] ? t->exception_class : NULL;
    r->message = t->message;
}

const cordon_result *cordon_task_result(const cordon_task *t)
{
    CORDON__NO_CANCELLATION;
    if (!t)
        return NULL;
    cordon_task *mutable_task = (cordon_task *)t;
    cordon__result_refresh(mutable_task);
    return &mutable_task->result;
}

/* The first attempt's record is kept in the task itself. */
static void use_the_first_record(cordon_task *t)
{
    t->history = &t->history_first;
    t->history_classes = &t->history_first_class;
    t->history_messages = &t->history_first_message;
    t->history_size = 1;
}

/* From the record in the task to allocated ones, copied over. */
static int grow_history(cordon_task *t)
{
    size_t size = t->history_size * 2 < 4 ? 4 : t->history_size * 2;
    bool inside = t->history == &t->history_first;
    cordon_attempt *history = malloc(size * sizeof *history);
    char (*classes)[CORDON_CLASS_MAX] = malloc(size * sizeof *classes);
    char (*messages)[CORDON_HISTORY_MESSAGE_MAX] = malloc(size * sizeof *messages);
    if (!history || !classes || !messages) {
        free(history);
        free(classes);
        free(messages);
        return -ENOMEM;
    }
    memcpy(history, t->history, t->history_count * sizeof *history);
    memcpy(classes, t->history_classes, t->history_count * sizeof *classes);
    memcpy(messages, t->history_messages, t->history_count * sizeof *messages);
    if (!inside) {
        free(t->history);
        free(t->history_classes);
        free(t->history_messages);
    }
    t->history = history;
    t->history_classes = classes;
    t->history_messages = messages;
    t->history_size = size;
    return 0;
}

void cordon__history_push(cordon_task *t)
{
    if (!t->history)
        use_the_first_record(t);
    if (t->history_count == t->history_size && grow_history(t) < 0)
        return;
    size_t i = t->history_count++;
    memcpy(t->history_classes[i], t->exception_class, CORDON_CLASS_MAX);
    /* The result's message, so that an attempt says what result.message
     * says (it kept "Class: " of exc_out's first line). */
    cordon__cut_escaped_text(t->history_messages[i], CORDON_HISTORY_MESSAGE_MAX, t->message);
    t->history[i] = (cordon_attempt){
        .exit_code = t->result.exit_code,
        .signal = t->result.signal,
        .usage = t->result.usage,
    };
    /* Pointers into history_classes are fixed up on read: it may move. */
}

const cordon_attempt *cordon_task_history(const cordon_task *t, size_t *count)
{
    CORDON__NO_CANCELLATION;
    if (!t) {
        if (count)
            *count = 0;
        return NULL;
    }
    for (size_t i = 0; i < t->history_count; i++) {
        t->history[i].exception = t->history_classes[i][0] ? t->history_classes[i] : NULL;
        t->history[i].message = t->history_messages[i];
    }
    if (count)
        *count = t->history_count;
    return t->history;
}
