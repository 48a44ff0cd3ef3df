/* cordon run: one command, its output passed through live (or one JSON
 * object instead), and its ending as the exit status. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "help.h"
#include "runner.h"
#include "task_setup.h"

/* Live pass-through: a reader that went away (EPIPE) stops that stream
 * from being passed on, not the capture. */
typedef struct passthrough {
    bool closed[3];
} passthrough;

static void pass_output(void *user, int stream, const char *data, size_t len)
{
    passthrough *p = user;
    if (stream < 1 || stream > 2 || p->closed[stream])
        return;
    if (runner_write_all(stream == 1 ? STDOUT_FILENO : STDERR_FILENO, data, len) < 0)
        p->closed[stream] = true;
}

static void report_exception(const cordon_result *r)
{
    size_t len = r->exc_out.len;
    char *text = runner_alloc(len + 16);
    memcpy(text, "cordon: ", 8);
    memcpy(text + 8, r->exc_out.data, len);
    len += 8;
    if (len == 8 || text[len - 1] != '\n')
        text[len++] = '\n';
    (void)runner_write_all(STDERR_FILENO, text, len);
    free(text);
}

/* The JSON object goes to stdout (--json) and/or the audit file. */
static int write_record(const command_options *o, const task_record *rec, int audit_fd)
{
    json_writer w;
    json_init(&w);
    task_record_json(&w, rec);
    json_raw(&w, "\n", 1);
    int rc = 0;
    if (o->task.json && runner_write_all(STDOUT_FILENO, w.data, w.len) < 0)
        rc = -1;
    if (audit_fd >= 0 && audit_append(audit_fd, o->task.audit, w.data, w.len) < 0)
        rc = -1;
    json_free(&w);
    return rc;
}

static int run_task(const command_options *o, cordon_task *t, const cordon_policy *policy,
                    int audit_fd)
{
    passthrough pass = { { false, false, false } };
    if (!o->task.json)
        cordon_set_output_callback(t, pass_output, &pass);
    if (fcntl(STDIN_FILENO, F_GETFD) >= 0)
        cordon_set_stdin_fd(t, STDIN_FILENO);
    attempt_log log = { NULL, 0 };
    bool talk = !o->task.quiet && !o->task.json;
    int rc = retry_run(t, &o->task, talk, &log);
    const cordon_result *r = cordon_task_result(t);
    int status = task_exit_status(rc, r);
    if (rc < 0)
        runner_error("cannot run the task: %s", strerror(-rc));
    else if (r->exception && talk)
        report_exception(r);
    char *command = task_command_text(o->shell, o->command);
    task_record rec = { command, policy ? cordon_policy_name(policy) : NULL, &o->task, r,
                        &log, rc < 0 ? rc : 0, status };
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
    cordon_policy *policy;
    if (task_policy_open(&o->task, &policy) < 0)
        return RUNNER_EXIT_OWN_ERROR;
    int status = RUNNER_EXIT_OWN_ERROR;
    int audit_fd = o->task.audit ? audit_open(o->task.audit) : -1;
    if (!o->task.audit || audit_fd >= 0) {
        cordon_task *t = task_build(&o->task, policy, o->shell, o->command);
        if (t)
            status = run_task(o, t, policy, audit_fd);
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
    return status;
}
