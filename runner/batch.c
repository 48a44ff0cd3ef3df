/* cordon batch: a fixed pool of worker threads, each running one task at a
 * time with the blocking cordon_run (tasks may run from many threads), and
 * the main thread drawing the progress line until the last one ends.
 *
 * A job file is read whole before the first task starts (a NUL line
 * refuses it all; --resume matches it against the audit).  Input from a
 * pipe, a FIFO or a terminal (a generator: `gen | cordon batch -`) is
 * streamed instead: the main thread reads it while the workers run each
 * line as it comes, so that results flow before the generator ends. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "batch.h"
#include "batch_label.h"
#include "terminal_text.h"
#include "help.h"
#include "job_file.h"
#include "output.h"
#include "record_origin.h"
#include "resume.h"
#include "stop_signals.h"
#include "runner.h"
#include "safe_open.h"
#include "shard.h"
#include "simple_command.h"
#include "task_setup.h"

typedef struct batch {
    const command_options *o;
    const cordon_policy *policy;
    int audit_fd;
    int out_dir_fd;                 /* --out-dir, opened once */
    bool out_dir_made;              /* made by this batch (removed if it is refused) */
    batch_task *tasks;
    size_t count, next, done, failed, running;
    pthread_mutex_t lock;           /* the counters, and whole-task output */
    pthread_cond_t changed;
    bool progress, progress_shown;
    bool records_lost;              /* an audit line, JSON or saved output */
    size_t output_lost;             /* tasks that succeeded but whose output did not */
    bool lines_left;                /* not run: standard output's reader was gone */
    bool streaming;                 /* the input is read while tasks run */
    bool eof;                       /* every line of the input has been taken */
    uint64_t started_us;
    /* What each record says of where it ran (record_origin.h). */
    shard shard;
    char shard_text[48];
    char run_id[RUN_ID_MAX + 1];
    char host[256];
    size_t resumed;                 /* lines --resume found done */
    size_t logs_dropped;            /* tasks whose log (fd 3) nothing kept ... */
    uint64_t log_bytes_dropped;     /* ... and its bytes */
    bool clean[3];                  /* [1], [2]: a terminal, no --raw (terminal_text.h) */
} batch;

/* ---- input ------------------------------------------------------------- */

static void leave_the_rest(batch *b);

/* While streaming, workers copy a task out under the lock (the array may
 * move as it grows) and put it back in finish_task. */
static void add_task(batch *b, char *line, size_t lineno)
{
    if (b->streaming)
        pthread_mutex_lock(&b->lock);
    b->tasks = runner_realloc(b->tasks, (b->count + 1) * sizeof *b->tasks);
    b->tasks[b->count++] = (batch_task){ .line = runner_strdup(line), .lineno = lineno };
    if (b->streaming) {
        if (b->lines_left)
            leave_the_rest(b);
        pthread_cond_broadcast(&b->changed);
        pthread_mutex_unlock(&b->lock);
    }
}

static void take_job(void *user, char *text, size_t lineno)
{
    batch *b = user;
    if (shard_takes(&b->shard, lineno))
        add_task(b, text, lineno);
}

/* Makes --out-dir where it is missing (checked to be makeable with the
 * options), once. */
static int make_out_dir(batch *b)
{
    const char *dir = b->o->out_dir;
    if (!dir || b->out_dir_made)
        return 0;
    if (mkdir(dir, 0755) == 0)
        b->out_dir_made = true;
    else if (errno != EEXIST) {
        runner_error("--out-dir: cannot create '%s': %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Whether a --resume argument names the out-dir or something beneath it
 * (`--out-dir D --audit D/a.jsonl --resume D`): the out-dir is then made
 * before the records are read, as an audit directory no batch has
 * written to yet resumes nothing rather than failing for good. */
static bool resumes_from_the_out_dir(const command_options *o)
{
    size_t len = o->out_dir ? runner_path_length(o->out_dir) : 0;
    for (size_t i = 0; len && i < o->resume_count; i++)
        if (strncmp(o->resume[i], o->out_dir, len) == 0 &&
            (o->resume[i][len] == '\0' || o->resume[i][len] == '/'))
            return true;
    return false;
}

/* `path` absolute, its "." components and repeated or trailing slashes
 * gone (nothing of it need exist: ".." and links are left as written);
 * owned, NULL for an empty path. */
static char *plain_path(const char *path)
{
    if (!path[0])
        return NULL;
    char cwd[PATH_MAX] = "";
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
        return NULL;
    size_t size = strlen(cwd) + strlen(path) + 3;
    char *joined = runner_alloc(size), *out = runner_alloc(size);
    snprintf(joined, size, "%s/%s", cwd, path);
    size_t len = 0;
    char *rest = NULL;
    for (char *part = strtok_r(joined, "/", &rest); part; part = strtok_r(NULL, "/", &rest))
        if (strcmp(part, ".") != 0)
            len += (size_t)sprintf(out + len, "/%s", part);
    if (!len)
        strcpy(out, "/");
    free(joined);
    return out;
}

/* Whether `path` (a --resume argument) names this batch's --audit file or
 * a directory above it, however spelled (`./runs.jsonl`, `audit//`):
 * `--resume runs.jsonl --audit runs.jsonl`, run again after ^C, or
 * `--resume audit --audit audit/$ID.jsonl` of a cluster's array, whose
 * first run has no records yet. */
static bool is_the_audit_s_place(const command_options *o, const char *path)
{
    char *place = plain_path(path), *audit = o->task.audit ? plain_path(o->task.audit) : NULL;
    size_t len = place ? strlen(place) : 0;
    bool is = place && audit && strncmp(audit, place, len) == 0 &&
              (audit[len] == '\0' || audit[len] == '/' || strcmp(place, "/") == 0);
    free(place);
    free(audit);
    return is;
}

/* The --resume arguments to read: one that names where this batch's
 * records will go and is not there yet resumes nothing (it failed with
 * "No such file or directory", the first run of the command one runs
 * again after ^C); any other missing one is said as before (a typo would
 * run everything again). */
static const char **resume_sources(const command_options *o, size_t *count)
{
    const char **kept = runner_alloc((o->resume_count + 1) * sizeof *kept);
    *count = 0;
    for (size_t i = 0; i < o->resume_count; i++) {
        struct stat st;
        if (lstat(o->resume[i], &st) != 0 && errno == ENOENT && is_the_audit_s_place(o, o->resume[i]))
            continue;
        kept[(*count)++] = o->resume[i];
    }
    return kept;
}

static int read_tasks(batch *b, const char *input)
{
    if (job_file_read("batch", input, take_job, b) < 0)
        return -1;
    const command_options *o = b->o;
    if (resumes_from_the_out_dir(o) && make_out_dir(b) < 0)
        return -1;
    size_t count;
    const char **sources = resume_sources(o, &count);
    int rc = count ? resume_skip_done(sources, count, b->tasks, &b->count, &b->resumed) : 0;
    free(sources);
    return rc < 0 ? -1 : 0;
}

/* ---- output of one task (called with the lock held) --------------------- */

static void clear_progress(batch *b)
{
    if (b->progress_shown)
        (void)output_write_own(STDERR_FILENO, "\r\033[K", 4);
    b->progress_shown = false;
}

static void draw_progress(batch *b)
{
    char line[256];
    batch_progress_format(line, sizeof line, b->done, b->failed, b->running, b->count, !b->eof,
                          runner_now_us() - b->started_us);
    char out[300];
    int n = snprintf(out, sizeof out, "\r\033[K%s", line);
    (void)output_write_own(STDERR_FILENO, out, (size_t)n);
    b->progress_shown = true;
}

/* false when the stream's file was not written (said, and counted as a
 * record lost). */
static bool save_stream(batch *b, const batch_task *bt, const char *ext,
                        const cordon_bytes *bytes, bool always)
{
    char name[64];
    snprintf(name, sizeof name, "%zu.%s", bt->lineno, ext);
    /* Nothing to save: an earlier batch's file of that name (its
     * exception, say) must not be read as this task's. */
    if (!always && bytes->len == 0) {
        /* This file's removal alone: the batch's flag, once set, had
         * failed every later task's save (all "output lost"). */
        if (safe_remove_at("--out-dir", b->out_dir_fd, b->o->out_dir, name) < 0) {
            b->records_lost = true;
            return false;
        }
        return true;
    }
    int fd = safe_create_at("--out-dir", b->out_dir_fd, b->o->out_dir, name);
    if (fd < 0) {
        b->records_lost = true;
        return false;
    }
    if (runner_write_all(fd, bytes->data, bytes->len) < 0 || close(fd) < 0) {
        runner_error("--out-dir: cannot write '%s/%s': %s", b->o->out_dir, name,
                     strerror(errno));
        b->records_lost = true;
        return false;
    }
    return true;
}

/* A failure's line says how many attempts --retry made ("exited with 3"
 * alone read as one). */
static void print_failure(const batch_task *bt, const cordon_result *r)
{
    if (strcmp(bt->outcome, "cordon error") == 0)
        return; /* said when it happened */
    char tries[64] = "";
    if (bt->attempts > 1) /* its last: a cancel may have ended it before the --retry allowed */
        snprintf(tries, sizeof tries, " (attempt %zu)", bt->attempts);
    if (task_stopped_by(r)) {
        char stopped[160];
        task_stop_message(r, stopped, sizeof stopped);
        runner_error("line %zu%s: Cancelled: %s", bt->lineno, tries, stopped);
    } else if (r->exception) {
        size_t len = strcspn(r->exc_out.data, "\n");
        runner_error("line %zu%s: %.*s", bt->lineno, tries, (int)len, r->exc_out.data);
    } else if (bt->status != 0) {
        runner_error("line %zu%s: exited with %d: %s", bt->lineno, tries, r->exit_code, bt->line);
    }
}

/* Whether what was queued for `fd` (this task's output among it) was
 * written.  With an audit file it is waited for, so that the task's line
 * there can say whether its output arrived (a line that says success
 * is skipped by --resume); without one, a failure seen so far.  While
 * other tasks run, a stalled reader is waited for a bounded time (see
 * output.h); when this ended task is the only one, nothing's deadline
 * depends on it: waited for as any program waits for its reader. */
static bool delivered(const batch *b, int fd, int queued)
{
    if (queued < 0)
        return false;
    if (b->audit_fd < 0)
        return true;
    return (b->running == 1 ? output_flush(fd) : output_drain(fd)) == 0;
}

static int to_stdout(void *batch_, const char *data, size_t len)
{
    const batch *b = batch_;
    return b->running == 1 ? output_write_patient(STDOUT_FILENO, data, len)
                           : output_write(STDOUT_FILENO, data, len);
}

static void output_lost(batch *b, batch_task *bt);

static bool emit_output(batch *b, batch_task *bt, const cordon_result *r, task_record *rec)
{
    const task_options *o = &b->o->task;
    bool ok = true;
    /* Beside --json's records too (they were left out without a word,
     * the stale files of an earlier batch kept); first, so that a record
     * says a failure to save them as the audit line does. */
    if (b->o->out_dir) {
        ok = save_stream(b, bt, "out", &r->std_out, true);
        ok = save_stream(b, bt, "err", &r->std_err, true) && ok;
        ok = save_stream(b, bt, "log", &r->log_out, false) && ok;
        ok = save_stream(b, bt, "exc", &r->exc_out, false) && ok;
        if (!ok) {
            output_lost(b, bt);
            rec->status = bt->status;
        }
    }
    if (o->json) {
        /* Written as it is made (see json.h), under b->lock: whole between
         * the other tasks' records. */
        rec->audit = false;
        bool sent = delivered(b, STDOUT_FILENO, task_record_send(rec, to_stdout, b));
        bt->output_mark[STDOUT_FILENO] = output_given(STDOUT_FILENO);
        if (!sent) {
            runner_error("--json: cannot write the record of line %zu", bt->lineno);
            b->records_lost = true;
        }
        ok = sent && ok;
    }
    if (!o->json && !b->o->out_dir) {
        int out = b->o->no_label
                      ? batch_plain_write(STDOUT_FILENO, r->std_out.data, r->std_out.len,
                                          b->clean[1])
                      : batch_label_write(STDOUT_FILENO, bt->lineno, r->std_out.data,
                                          r->std_out.len, b->clean[1]);
        int err = b->o->no_label
                      ? batch_plain_write(STDERR_FILENO, r->std_err.data, r->std_err.len,
                                          b->clean[2])
                      : batch_label_write(STDERR_FILENO, bt->lineno, r->std_err.data,
                                          r->std_err.len, b->clean[2]);
        ok = (!r->std_out.len || delivered(b, STDOUT_FILENO, out)) &&
             (!r->std_err.len || delivered(b, STDERR_FILENO, err));
        if (r->std_out.len)
            bt->output_mark[STDOUT_FILENO] = output_given(STDOUT_FILENO);
        if (r->std_err.len)
            bt->output_mark[STDERR_FILENO] = output_given(STDERR_FILENO);
    }
    if (!o->quiet && !o->json)
        print_failure(bt, r);
    return ok;
}

/* ---- running ------------------------------------------------------------ */

static void set_outcome(batch_task *bt, int rc, const cordon_result *r, const attempt_log *log)
{
    bt->status = task_exit_status(rc, r);
    if (rc < 0)
        snprintf(bt->outcome, sizeof bt->outcome, "cordon error");
    else if (r->exception)
        snprintf(bt->outcome, sizeof bt->outcome, "%s", r->exception);
    else if (r->exit_code)
        snprintf(bt->outcome, sizeof bt->outcome, "exit:%d", r->exit_code);
    else
        snprintf(bt->outcome, sizeof bt->outcome, "ok");
    bt->wall_us = r->usage.wall_us;
    bt->max_rss_kb = r->usage.max_rss_kb;
    bt->attempts = log->count;
    for (size_t i = 0; i < log->count; i++) {
        bt->cpu_us += log->items[i].usage.user_us + log->items[i].usage.sys_us;
        if (log->items[i].usage.max_rss_kb > bt->max_rss_kb)
            bt->max_rss_kb = log->items[i].usage.max_rss_kb;
    }
}

/* A task whose output (or --json record) did not get where it goes gets
 * cordon's status for it, 125, in its audit line too, as `cordon run`
 * exits with then, so that --resume runs it again. */
static void output_lost(batch *b, batch_task *bt)
{
    if (bt->status != 0)
        return;
    b->output_lost++;
    bt->status = RUNNER_EXIT_OWN_ERROR;
    snprintf(bt->outcome, sizeof bt->outcome, "output lost");
}

/* Without --audit a task's output was only queued when it ended (see
 * delivered): once every task has ended, what is queued is written, as
 * long as the reader takes it, and a task whose output did not all get
 * out is counted as output lost, as with --audit, so that the summary's
 * "succeeded" says it (it said so of tasks whose output a reader gone
 * later never got, while cordon exited 125). */
static void settle_unaudited_output(batch *b)
{
    if (b->audit_fd >= 0)
        return;
    (void)output_flush(STDOUT_FILENO);
    (void)output_flush(STDERR_FILENO);
    for (size_t i = 0; i < b->count; i++) {
        batch_task *bt = &b->tasks[i];
        if (bt->status == 0 && !bt->not_run && !bt->resumed &&
            (!output_reached(STDOUT_FILENO, bt->output_mark[STDOUT_FILENO]) ||
             !output_reached(STDERR_FILENO, bt->output_mark[STDERR_FILENO]))) {
            output_lost(b, bt);
            b->failed++;
        }
    }
}

/* The audit line (its output cut to --audit-output), written as it is
 * made (see json.h). */
static void append_audit_line(batch *b, const batch_task *bt, task_record *rec)
{
    rec->status = bt->status;
    if (task_record_audit(rec, b->audit_fd, b->o->task.audit) < 0)
        b->records_lost = true;
}

/* Output past --out-cap is kept nowhere, in the stream printed or the
 * --out-dir file: said, line by line (the file was short and the batch
 * a success, with nothing said); --json's records carry it as
 * "dropped". */
static void say_output_past_the_cap(const batch *b, const batch_task *bt, const cordon_result *r)
{
    const cordon_bytes *streams[] = { &r->std_out, &r->std_err };
    static const char *const names[] = { "stdout", "stderr" };
    if (b->o->task.quiet || b->o->task.json)
        return;
    for (size_t i = 0; i < 2; i++)
        if (streams[i]->dropped)
            runner_error("line %zu: %zu bytes of its %s past the output cap (--out-cap, 64M "
                         "by default) were not kept", bt->lineno, streams[i]->dropped, names[i]);
}

static void finish_task(batch *b, size_t index, batch_task *bt, const cordon_result *r,
                        task_record *rec)
{
    pthread_mutex_lock(&b->lock);
    clear_progress(b);
    if (r && !emit_output(b, bt, r, rec))
        output_lost(b, bt);
    if (r)
        say_output_past_the_cap(b, bt, r);
    /* What only --json, --audit and --out-dir keep, said once at the end
     * (as cordon run says it): it was dropped unsaid. */
    if (r && !b->o->task.json && !b->o->out_dir && b->audit_fd < 0 &&
        (r->log_out.len || r->log_out.dropped)) {
        b->logs_dropped++;
        b->log_bytes_dropped += r->log_out.len + r->log_out.dropped;
    }
    b->tasks[index] = *bt;
    if (b->audit_fd >= 0 && rec)
        append_audit_line(b, bt, rec);
    b->running--;
    b->done++;
    b->failed += bt->status != 0;
    if (b->progress)
        draw_progress(b);
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

/* A directory at one of the line's --out-dir names is never removed (it
 * may hold anything): the line is not run, rather than run and its
 * output lost. */
static bool out_dir_names_free(const batch *b, const batch_task *bt)
{
    static const char *const exts[] = { "out", "err", "log", "exc" };
    for (size_t i = 0; b->out_dir_fd >= 0 && i < sizeof exts / sizeof *exts; i++) {
        char name[64];
        struct stat st;
        snprintf(name, sizeof name, "%zu.%s", bt->lineno, exts[i]);
        if (fstatat(b->out_dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
            runner_error("--out-dir: '%s/%s' is a directory, which cordon does not remove: "
                         "line %zu is not run", b->o->out_dir, name, bt->lineno);
            return false;
        }
    }
    return true;
}

static void run_one(batch *b, size_t index, batch_task *bt)
{
    const task_options *o = &b->o->task;
    if (!out_dir_names_free(b, bt)) {
        bt->status = RUNNER_EXIT_OWN_ERROR;
        snprintf(bt->outcome, sizeof bt->outcome, "not run");
        finish_task(b, index, bt, NULL, NULL);
        return;
    }
    char **words = simple_command_split(bt->line);
    cordon_task *t = words ? task_build(o, b->policy, NULL, words)
                           : task_build(o, b->policy, bt->line, NULL);
    simple_command_free(words);
    /* The tree's CPU, children nobody waited for included, as run --json
     * counts it: a v2 cgroup kept idle between tasks costs little (the
     * tree's memory peak, a v1 cgroup made per task here, only with --mem). */
    if (t && cordon_set_tree_cpu_accounting(t, 1) < 0) {
        cordon_task_free(t);
        t = NULL;
    }
    if (!t) {
        bt->status = RUNNER_EXIT_OWN_ERROR;
        snprintf(bt->outcome, sizeof bt->outcome, "cordon error");
        finish_task(b, index, bt, NULL, NULL);
        return;
    }
    attempt_log log = { .items = NULL };
    record_origin origin = { b->run_id, b->host, origin_now_ms(), bt->lineno,
                             b->shard.count ? b->shard_text : NULL };
    int rc = retry_run(t, o, false, &log);
    const cordon_result *r = cordon_task_result(t);
    set_outcome(bt, rc, r, &log);
    char why[256];
    if (rc < 0)
        runner_error("line %zu: cannot run the task: %s", bt->lineno,
                     task_run_error_text(rc, why, sizeof why));
    /* As `cordon run` says it: a stop that came before a retry the task
     * wanted (in --backoff's wait) leaves that attempt's result standing,
     * the last, and the record says what stopped it (it read as an
     * attempt that failed, its status 1).  Only then: a task that ended
     * as the stop came, wanting no retry, keeps its ending. */
    int stopped_after = rc >= 0 && log.retry_unmade ? stop_signals_caught() : 0;
    if (stopped_after) {
        bt->status = 128 + stopped_after;
        snprintf(bt->outcome, sizeof bt->outcome, "stopped:%s", cordon_signal_name(stopped_after));
        if (!o->quiet)
            runner_error("line %zu: cordon was stopped by %s after attempt %zu; no other "
                         "attempt was made, and that attempt's result stands", bt->lineno,
                         cordon_signal_name(stopped_after), log.count ? log.count : (size_t)1);
    }
    task_record rec = { bt->line, b->policy, o, r,
                        &log, rc < 0 ? rc : 0, bt->status, &origin, false, stopped_after };
    finish_task(b, index, bt, r, &rec);
    attempt_log_free(&log);
    cordon_task_free(t);
}

/* Standard output's reader is gone (`cordon batch jobs | head`): nothing
 * more of the tasks' output or records can reach it, so, as in a shell
 * pipeline, no further line is started; those running end as they
 * would.  So too when a signal stops cordon (stop_signals.c), which
 * cancels those running.  The lines left are "not run" (--resume runs them later).
 * Called with the lock held. */
static void leave_the_rest(batch *b)
{
    for (size_t i = b->next; i < b->count; i++) {
        b->tasks[i].status = RUNNER_EXIT_OWN_ERROR;
        b->tasks[i].not_run = true;
        snprintf(b->tasks[i].outcome, sizeof b->tasks[i].outcome, "not run");
        b->done++;
        b->failed++;
    }
    b->lines_left = true;
    b->next = b->count;
    pthread_cond_broadcast(&b->changed);
}

static void *worker(void *arg)
{
    batch *b = arg;
    for (;;) {
        bool reader_gone = output_reader_gone(STDOUT_FILENO);
        pthread_mutex_lock(&b->lock);
        while (!b->eof && b->next == b->count)
            pthread_cond_wait(&b->changed, &b->lock);
        if ((reader_gone || stop_signals_caught()) && b->next < b->count)
            leave_the_rest(b);
        if (b->next == b->count) {
            pthread_mutex_unlock(&b->lock);
            return NULL;
        }
        size_t i = b->next++;
        batch_task bt = b->tasks[i];
        b->running++;
        pthread_mutex_unlock(&b->lock);
        run_one(b, i, &bt);
    }
}

static void wait_for_all(batch *b)
{
    pthread_mutex_lock(&b->lock);
    while (b->done < b->count) {
        if (b->progress)
            draw_progress(b);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 200 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->changed, &b->lock, &until);
    }
    clear_progress(b);
    pthread_mutex_unlock(&b->lock);
}

/* The streamed input, read by the main thread while the workers run what
 * it has taken; the end (or a failed read) lets the waiting workers go. */
static int stream_tasks(batch *b)
{
    int rc = job_file_read("batch", b->o->input, take_job, b);
    pthread_mutex_lock(&b->lock);
    b->eof = true;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
    return rc;
}

static int run_all(batch *b)
{
    size_t workers = b->streaming || b->o->jobs < b->count ? b->o->jobs : b->count;
    pthread_t *threads = runner_alloc((workers + 1) * sizeof *threads);
    size_t started = 0;
    b->started_us = runner_now_us();
    for (; started < workers; started++)
        if (pthread_create(&threads[started], NULL, worker, b) != 0)
            break;
    if (started == 0 && (b->count || b->streaming)) {
        runner_error("batch: cannot start a worker thread");
        free(threads);
        return RUNNER_EXIT_OWN_ERROR;
    }
    bool input_failed = b->streaming && stream_tasks(b) < 0;
    wait_for_all(b);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    /* The tasks' time, not the reader's: settling waits for it. */
    uint64_t elapsed_us = runner_now_us() - b->started_us;
    settle_unaudited_output(b);
    if (!b->o->task.quiet)
        batch_summary_print(b->tasks, b->count, elapsed_us, b->o->jobs,
                            b->shard.count ? b->shard_text : NULL, b->resumed);
    if (!b->o->task.quiet && b->logs_dropped)
        runner_error("%zu task%s wrote %llu bytes to %s log (fd 3), kept only by --json, --audit "
                     "and --out-dir", b->logs_dropped, b->logs_dropped == 1 ? "" : "s",
                     (unsigned long long)b->log_bytes_dropped,
                     b->logs_dropped == 1 ? "its" : "their");
    /* Every task may have succeeded, but a record the caller asked for is
     * gone: that is cordon's failure. */
    if (b->o->task.json && output_flush(STDOUT_FILENO) < 0)
        b->records_lost = true;
    if (b->records_lost || b->lines_left || input_failed)
        return RUNNER_EXIT_OWN_ERROR;
    /* A task that failed on its own says so (1) before output lost does
     * (125), as with `cordon run`. */
    return b->failed > b->output_lost ? 1 : b->output_lost ? RUNNER_EXIT_OWN_ERROR : 0;
}

/* Whether `fd` is the file `jobs` (the job file's stat). */
static bool is_the_job_file(const struct stat *jobs, int fd)
{
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && jobs->st_dev == st.st_dev &&
           jobs->st_ino == st.st_ino;
}

/* Records written into the job file are jobs of its next batch: `batch
 * --audit jobs.txt jobs.txt` appended a JSON line per task, which the
 * next run ran as shell lines; so did --json to a stdout that is the job
 * file. */
static int refuse_records_into_the_jobs(const batch *b)
{
    const command_options *o = b->o;
    bool from_stdin = !o->input || strcmp(o->input, "-") == 0;
    const char *input = from_stdin ? "the standard input" : o->input;
    struct stat jobs;
    if ((from_stdin ? fstat(STDIN_FILENO, &jobs) : stat(o->input, &jobs)) != 0 ||
        !S_ISREG(jobs.st_mode))
        return 0; /* read by now, or a pipe: no file to write into */
    if (is_the_job_file(&jobs, b->audit_fd)) {
        runner_error("--audit: '%s' is the job file (%s): its records would be read as jobs "
                     "next time; give another file", o->task.audit, input);
        return -1;
    }
    for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++)
        if (is_the_job_file(&jobs, fd)) {
            runner_error("the standard %s is the job file (%s): what the tasks print would "
                         "be read as jobs next time", fd == STDOUT_FILENO ? "output" : "error",
                         input);
            return -1;
        }
    return 0;
}

/* The files written on the tasks' behalf, opened once before any task
 * runs (see safe_open.h). */
/* Last of the checks, so that a batch refused leaves nothing made: the
 * out-dir (checked to be makeable with the options) is made here, and
 * removed again if the audit file then cannot be opened. */
static int open_record_files(batch *b)
{
    const command_options *o = b->o;
    if (make_out_dir(b) < 0)
        return -1;
    if (o->out_dir && (b->out_dir_fd = safe_open_dir("--out-dir", o->out_dir)) < 0)
        return -1;
    if (o->task.audit && (b->audit_fd = audit_open(o->task.audit)) < 0)
        return -1;
    return refuse_records_into_the_jobs(b);
}

/* Where the records say the tasks ran: checked before anything runs, so
 * that a worker given a bad shard fails at once rather than run nothing. */
static int identify(batch *b)
{
    const command_options *o = b->o;
    if (o->shard && shard_parse(o->shard, &b->shard) < 0)
        return -1;
    shard_format(&b->shard, b->shard_text, sizeof b->shard_text);
    origin_host(b->host, sizeof b->host);
    return origin_run_id(o->task.run_id, b->run_id);
}

/* Input that may still be being written (a pipe, a FIFO, a terminal) is
 * streamed; a regular file, and any input of --resume (matched whole
 * against the audit), is read first. */
static bool input_streams(const command_options *o)
{
    struct stat st;
    bool from_stdin = !o->input || strcmp(o->input, "-") == 0;
    if (o->resume_count || (from_stdin ? fstat(STDIN_FILENO, &st) : stat(o->input, &st)) < 0)
        return false;
    return !S_ISREG(st.st_mode);
}

static int prepare_and_run(command_options *o)
{
    if (options_validate(o, OPTIONS_BATCH) < 0)
        return RUNNER_EXIT_OWN_ERROR;
    batch b = { .o = o, .audit_fd = -1, .out_dir_fd = -1 };
    if (identify(&b) < 0)
        return RUNNER_EXIT_OWN_ERROR;
    cordon_policy *policy = NULL;
    int status = RUNNER_EXIT_OWN_ERROR;
    if (task_policy_open(&o->task, &policy) < 0)
        return status;
    b.policy = policy;
    /* Before a streamed input starts the workers, whose end says a
     * summary: a directory is refused as a missing file is, alone; and
     * options no task could take, once, not for each line. */
    if (task_options_check(&o->task, policy) < 0 || job_file_check("batch", o->input) < 0) {
        if (policy)
            cordon_policy_free(policy);
        return status;
    }
    b.streaming = input_streams(o);
    b.eof = !b.streaming;
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.changed, NULL);
    output_start();
    if ((b.streaming || read_tasks(&b, o->input) == 0) && open_record_files(&b) == 0) {
        b.progress = !o->task.quiet && isatty(STDERR_FILENO);
        b.clean[1] = terminal_text_wanted(STDOUT_FILENO, o->task.raw);
        b.clean[2] = terminal_text_wanted(STDERR_FILENO, o->task.raw);
        status = run_all(&b);
    } else if (b.out_dir_made) {
        rmdir(o->out_dir); /* a refused batch leaves nothing it made */
    }
    pthread_cond_destroy(&b.changed);
    pthread_mutex_destroy(&b.lock);
    if (b.audit_fd >= 0)
        close(b.audit_fd);
    if (b.out_dir_fd >= 0)
        close(b.out_dir_fd);
    for (size_t i = 0; i < b.count; i++)
        free(b.tasks[i].line);
    free(b.tasks);
    if (policy)
        cordon_policy_free(policy);
    return status;
}

int batch_main(int argc, char **argv)
{
    command_options o;
    int status;
    if (options_parse(argc, argv, OPTIONS_BATCH, &o) < 0)
        status = RUNNER_EXIT_OWN_ERROR;
    else if (o.help)
        status = help_print("batch");
    else
        status = prepare_and_run(&o);
    options_free(&o);
    /* A task's output, or cordon's own, that never reached its reader is
     * cordon's failure when nothing else failed. */
    if (output_finish() < 0 && status == 0)
        status = RUNNER_EXIT_OWN_ERROR;
    return status;
}
