/* cordon run: one command, its output passed through live (or one JSON
 * object instead), and its ending as the exit status. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "help.h"
#include "output.h"
#include "runner.h"
#include "stop_signals.h"
#include "task_setup.h"
#include "task_stdin.h"
#include "terminal_text.h"

/* How each stream is passed on: cleaned for a terminal unless --raw
 * (terminal_text.h), as it is for a file or pipe. */
typedef struct passing {
    bool clean[3];
    terminal_text state[3];
    cordon_task *task;
} passing;

/* Live pass-through, called from the library's collect loop: it only
 * queues (see output.h), so a terminal the task froze cannot keep that
 * loop from enforcing the deadline, and past the queue's bound it holds
 * the task's stream (cordon_hold_output) until the reader has caught up:
 * waiting here for room kept the loop from the deadline and the CPU
 * limit behind a reader that took a little at a time.  A reader that went away (EPIPE)
 * leaves the task's stream without one too, as in a shell pipeline
 * (`cordon run -- yes | head -1` ran until its deadline, or for ever):
 * its next write meets EPIPE and SIGPIPE; what was read is captured. */
static void hold_stream(void *user, int stream, bool hold)
{
    passing *p = user;
    cordon_hold_output(p->task, stream, hold);
}

static void pass_output(void *user, int stream, const char *data, size_t len)
{
    passing *p = user;
    if (stream != 1 && stream != 2)
        return;
    int fd = stream == 1 ? STDOUT_FILENO : STDERR_FILENO;
    if (!p->clean[stream]) {
        (void)output_write_holding(fd, data, len, stream, hold_stream, p);
    } else {
        char *copy = runner_alloc(len ? len : 1);
        memcpy(copy, data, len);
        terminal_text_clean(&p->state[stream], copy, len, true);
        (void)output_write_holding(fd, copy, len, stream, hold_stream, p);
        free(copy);
    }
    /* the writer thread finds out on its own write: a chunk later */
    if (output_reader_gone(fd))
        cordon_close_output(p->task, stream);
}

/* A deadline counts the time a task waits on its writes, for cordon's
 * stdout or stderr too, as it counts a pipe's: a reader slower than the
 * task (or taking nothing, for less than the stall bound) can make the
 * task's Timeout, which then says for how long cordon held the task's
 * output back for that reader (in all, over the run's attempts: the
 * task itself waits only once its pipe is full). */
static void said_the_wait_for_a_reader(const cordon_result *r)
{
    if (!r->exception || strcmp(r->exception, "Timeout") != 0)
        return;
    for (int fd = 1; fd <= 2; fd++) {
        unsigned long long held = output_held_ms(fd);
        if (held == 0)
            continue;
        char line[200];
        int n = snprintf(line, sizeof line,
                         "cordon: the reader of cordon's %s held the task's output back for "
                         "%llu ms in all (the task's writes wait once its pipe is full), "
                         "which the deadline counts\n",
                         fd == 1 ? "stdout" : "stderr", held);
        (void)output_write_own(STDERR_FILENO, line, (size_t)n);
    }
}

static void report_exception(const cordon_result *r)
{
    if (task_stopped_by(r)) {
        char stopped[160];
        task_stop_message(r, stopped, sizeof stopped);
        runner_error("Cancelled: %s", stopped);
        return;
    }
    size_t len = r->exc_out.len;
    char *text = runner_alloc(len + 16);
    memcpy(text, "cordon: ", 8);
    memcpy(text + 8, r->exc_out.data, len);
    runner_mark_invisible(text + 8, len);
    len += 8;
    if (len == 8 || text[len - 1] != '\n')
        text[len++] = '\n';
    (void)output_write_own(STDERR_FILENO, text, len);
    free(text);
    said_the_wait_for_a_reader(r);
}

static int to_stdout(void *unused, const char *data, size_t len)
{
    (void)unused;
    return output_write_patient(STDOUT_FILENO, data, len);
}

/* The JSON object goes to stdout (--json), whole, and/or the audit file,
 * its output cut to --audit-output; either is written as it is made (see
 * json.h).  The audit line is written last, its status 125 when the
 * task's output or its --json record did not reach stdout or stderr (a
 * full disk, a reader gone): `cordon run` exits 125 then, and a line
 * saying 0 was skipped by `batch --resume`. */
static int write_record(const command_options *o, task_record *rec, int audit_fd)
{
    int rc = 0;
    /* The record is lost if stdout takes nothing: waited for here, since
     * the exit status says so. */
    if (o->task.json) {
        rec->audit = false;
        /* Each byte stdout refused is counted as lost or dropped, and
         * output_finish says so once, with the reason. */
        if (task_record_send(rec, to_stdout, NULL) < 0 || output_flush(STDOUT_FILENO) < 0)
            rc = -1;
    }
    if (audit_fd >= 0) {
        bool passed_on = o->task.json || (output_flush(STDOUT_FILENO) == 0 &&
                                          output_flush(STDERR_FILENO) == 0);
        if ((rc < 0 || !passed_on) && rec->status == 0)
            rec->status = RUNNER_EXIT_OWN_ERROR;
        if (task_record_audit(rec, audit_fd, o->task.audit) < 0)
            rc = -1;
    }
    return rc;
}

static int run_task(const command_options *o, cordon_task *t, const cordon_policy *policy,
                    int audit_fd, record_origin *origin)
{
    passing pass = { { false, terminal_text_wanted(STDOUT_FILENO, o->task.raw),
                       terminal_text_wanted(STDERR_FILENO, o->task.raw) }, { { 0, 0 } }, t };
    if (!o->task.json)
        cordon_set_output_callback(t, pass_output, &pass);
    if (task_stdin_give(t, o->task.tty) < 0)
        return RUNNER_EXIT_OWN_ERROR;
    task_stdin_hold_suspend(o->task.tty);
    attempt_log log = { .items = NULL };
    bool talk = !o->task.quiet && !o->task.json;
    origin->started_ms = origin_now_ms();
    int rc = retry_run(t, &o->task, talk, &log);
    output_end_holds();
    const cordon_result *r = cordon_task_result(t);
    int status = task_exit_status(rc, r);
    /* A stop that came once the last attempt had ended (in --backoff's
     * wait): that attempt's result stands, and is said to be the last. */
    int stopped_after = rc >= 0 && !task_stopped_by(r) ? stop_signals_caught() : 0;
    if (stopped_after)
        status = 128 + stopped_after; /* what a shell sees: cordon dies of it */
    char why[256];
    if (rc < 0)
        runner_error("cannot run the task: %s", task_run_error_text(rc, why, sizeof why));
    else if (r->exception && talk)
        report_exception(r);
    if (rc >= 0 && talk && audit_fd < 0 && (r->log_out.len || r->log_out.dropped))
        runner_error("the task wrote %zu bytes to its log (fd 3), kept only by --json and "
                     "--audit", r->log_out.len + r->log_out.dropped);
    if (stopped_after && o->task.retry && !o->task.quiet)
        runner_error("cordon was stopped by %s after attempt %zu; no other attempt was made, "
                     "and that attempt's result stands", cordon_signal_name(stopped_after),
                     log.count ? log.count : (size_t)1);
    char *command = task_command_text(o->shell, o->command);
    task_record rec = { command, policy, &o->task, r,
                        &log, rc < 0 ? rc : 0, status, origin, false, stopped_after };
    if ((o->task.json || audit_fd >= 0) && write_record(o, &rec, audit_fd) < 0 && status == 0)
        status = RUNNER_EXIT_OWN_ERROR;
    free(command);
    attempt_log_free(&log);
    return status;
}

static int prepare_and_run(command_options *o)
{
    if (options_validate(o, OPTIONS_RUN) < 0)
        return RUNNER_EXIT_OWN_ERROR;
    char run_id[RUN_ID_MAX + 1], host[256];
    if (origin_run_id(o->task.run_id, run_id) < 0)
        return RUNNER_EXIT_OWN_ERROR;
    origin_host(host, sizeof host);
    record_origin origin = { run_id, host, 0, 0, NULL };
    cordon_policy *policy;
    if (task_policy_open(&o->task, &policy) < 0)
        return RUNNER_EXIT_OWN_ERROR;
    /* Before the audit file is made. */
    if (task_options_check(&o->task, policy) < 0 || task_stdin_check(o->task.tty) < 0) {
        if (policy)
            cordon_policy_free(policy);
        return RUNNER_EXIT_OWN_ERROR;
    }
    int status = RUNNER_EXIT_OWN_ERROR;
    output_start();
    int audit_fd = o->task.audit ? audit_open(o->task.audit) : -1;
    if (!o->task.audit || audit_fd >= 0) {
        cordon_task *t = task_build(&o->task, policy, o->shell, o->command);
        /* The tree's peak memory costs a cgroup per task (some 1.4 ms
         * here): worth it for a run whose figures are shown (--json,
         * --audit, --profile); a batch counts it only with --mem. */
        bool shows_usage = o->task.json || o->task.audit || o->task.profile;
        if (t && shows_usage && cordon_set_tree_accounting(t, 1) < 0) {
            cordon_task_free(t);
            t = NULL;
        }
        if (t)
            status = run_task(o, t, policy, audit_fd, &origin);
        cordon_task_free(t);
    }
    if (audit_fd >= 0)
        close(audit_fd);
    if (policy)
        cordon_policy_free(policy);
    return status;
}

int run_command_main(int argc, char **argv)
{
    command_options o;
    int status;
    if (options_parse(argc, argv, OPTIONS_RUN, &o) < 0)
        status = RUNNER_EXIT_OWN_ERROR;
    else if (o.help)
        status = help_print("run");
    else
        status = prepare_and_run(&o);
    options_free(&o);
    /* A task's output, or cordon's own, that never reached its reader is
     * cordon's failure when nothing else failed. */
    if (output_finish() < 0 && status == 0)
        status = RUNNER_EXIT_OWN_ERROR;
    return status;
}
