/* Turning options into a cordon task, and its ending into an exit status
 * and a JSON record. */
#ifndef CORDON_RUNNER_TASK_SETUP_H
#define CORDON_RUNNER_TASK_SETUP_H

#include "../lib/cordon.h"
#include "json.h"
#include "options.h"
#include "record_origin.h"
#include "retry.h"

/* The policy the options name: *out is NULL for "none".  0, or -1 after
 * printing "cordon: <file:line:column: message>". */
int task_policy_open(const task_options *o, cordon_policy **out);

/* A task for a shell line (`shell`) or an argv, with every option applied.
 * NULL after a message. */
cordon_task *task_build(const task_options *o, const cordon_policy *policy, const char *shell,
                        char *const *argv);

/* 0 when task_build would take the options and `policy`, whatever the
 * command, and cordon_run would not refuse them put together; else -1
 * after the message a task would give.  Nothing is run or made: called
 * once the policy is loaded, before any file is. */
int task_options_check(const task_options *o, const cordon_policy *policy);

/* The command as a person would type it: a shell line as given, an argv
 * joined with quotes where a word needs them.  Free the result. */
char *task_command_text(const char *shell, char *const *argv);

/* The signal that stopped cordon when it cancelled the run of `r`
 * (INT, TERM, HUP, QUIT), else 0. */
int task_stopped_by(const cordon_result *r);
/* Then, the message the user is shown instead of the library's (which
 * names cordon_cancel, a call the user never made): one line, without
 * the class "Cancelled: " and without a newline. */
void task_stop_message(const cordon_result *r, char *buf, size_t size);

/* cordon's exit status for a run that returned `r`: 128 + the signal for
 * a run cordon cancelled when it was stopped, as cordon then dies of it. */
int task_exit_status(int rc, const cordon_result *r);
/* Why cordon_run could not run a task, from the negative errno it gave:
 * the error, and for the errors the machine's state causes, what was
 * used up. */
const char *task_run_error_text(int rc, char *buf, size_t size);

/* Everything one task's JSON object is made of. */
typedef struct task_record {
    const char *command;
    const cordon_policy *policy;    /* NULL: none */
    const task_options *options;
    const cordon_result *result;
    const attempt_log *attempts;
    int run_error;                  /* the negative errno cordon_run gave, or 0 */
    int status;                     /* cordon's exit status for it */
    /* Merging and resuming (record_origin.h); NULL: left out. */
    const record_origin *origin;
    /* An audit line: each output stream cut to options->audit_output
     * bytes, with the bytes left out counted under "truncated". */
    bool audit;
    /* The stop signal that came after the result's attempt had ended (in
     * --backoff's wait, or as the last one ended): the result stands, and
     * the record says cordon was stopped; 0: none. */
    int stopped_after;
} task_record;

/* Appends the record as one JSON object (no newline). */
void task_record_json(json_writer *w, const task_record *rec);
/* The record as one JSON line given to `sink` piece by piece, never held
 * whole: 0, or -1 when the sink refused a piece. */
int task_record_send(const task_record *rec, json_sink sink, void *user);
/* The record as the audit line (its output cut to --audit-output)
 * appended to `fd`, the file --audit named `path` (runner/audit.h): 0, or
 * -1 after a message. */
int task_record_audit(task_record *rec, int fd, const char *path);

#endif
