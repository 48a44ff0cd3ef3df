/* One task as one JSON object: the result's own field names, so that what
 * a C caller reads and what a script reads are the same words. */
#include <string.h>

#include "task_setup.h"

static void usage_json(json_writer *w, const cordon_usage *u)
{
    const struct { const char *key; uint64_t value; } fields[] = {
        { "wall_us", u->wall_us }, { "user_us", u->user_us }, { "sys_us", u->sys_us },
        { "max_rss_kb", u->max_rss_kb }, { "minflt", u->minflt }, { "majflt", u->majflt },
        { "nvcsw", u->nvcsw }, { "nivcsw", u->nivcsw }, { "inblock", u->inblock },
        { "oublock", u->oublock }, { "tree_peak_kb", u->tree_peak_kb },
    };
    json_begin_object(w);
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        json_key(w, fields[i].key);
        json_uint(w, fields[i].value);
    }
    json_end_object(w);
}

/* 0 is "not set" for every limit but the output cap, which always has one. */
static void limit_json(json_writer *w, const char *key, uint64_t value)
{
    json_key(w, key);
    if (value)
        json_uint(w, value);
    else
        json_null(w);
}

static void limits_json(json_writer *w, const task_options *o)
{
    json_begin_object(w);
    limit_json(w, "timeout_ms", o->timeout_ms);
    limit_json(w, "cpu_ms", o->cpu_ms);
    limit_json(w, "memory", o->memory);
    limit_json(w, "file_size", o->file_size);
    limit_json(w, "processes", o->processes);
    limit_json(w, "open_files", o->open_files);
    limit_json(w, "output", o->output_cap);
    json_end_object(w);
}

static void bytes_json(json_writer *w, const char *key, const cordon_bytes *b)
{
    json_key(w, key);
    json_string(w, b->data, b->len);
}

static void dropped_json(json_writer *w, const cordon_result *r)
{
    json_key(w, "dropped");
    json_begin_object(w);
    json_key(w, "std_out");
    json_uint(w, r->std_out.dropped);
    json_key(w, "std_err");
    json_uint(w, r->std_err.dropped);
    json_key(w, "log_out");
    json_uint(w, r->log_out.dropped);
    json_end_object(w);
}

static void history_json(json_writer *w, const attempt_log *log)
{
    json_key(w, "history");
    json_begin_array(w);
    for (size_t i = 0; i < log->count; i++) {
        const attempt_record *a = &log->items[i];
        json_begin_object(w);
        json_key(w, "exception");
        json_cstring(w, a->exception[0] ? a->exception : NULL);
        json_key(w, "exit_code");
        json_int(w, a->exit_code);
        json_key(w, "signal");
        json_int(w, a->signal);
        json_key(w, "usage");
        usage_json(w, &a->usage);
        json_end_object(w);
    }
    json_end_array(w);
}

/* The mechanisms that held the task, by name: what a reader of an audit
 * file checks before trusting a run. */
static void confinement_json(json_writer *w, unsigned held)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { CORDON_CONFINED_SECCOMP, "seccomp" },
        { CORDON_CONFINED_LANDLOCK, "landlock" },
        { CORDON_CONFINED_PID_NAMESPACE, "pid_namespace" },
        { CORDON_CONFINED_OWN_PROC, "own_proc" },
        { CORDON_CONFINED_USER_NAMESPACE, "user_namespace" },
        { CORDON_CONFINED_CGROUP, "cgroup" },
        { CORDON_CONFINED_NETWORK_NAMESPACE, "network_namespace" },
        { CORDON_CONFINED_FILE_RULES, "file_rules" },
        { CORDON_CONFINED_PRIVATE_TMPFS, "private_tmpfs" },
        { CORDON_CONFINED_IPC_NAMESPACE, "ipc_namespace" },
    };
    json_key(w, "confinement");
    json_begin_array(w);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (held & names[i].bit)
            json_cstring(w, names[i].name);
    }
    json_end_array(w);
}

static void result_fields_json(json_writer *w, const cordon_result *r, unsigned attempts)
{
    json_key(w, "exit_code");
    json_int(w, r->exit_code);
    json_key(w, "signal");
    json_int(w, r->signal);
    json_key(w, "exception");
    json_cstring(w, r->exception);
    bytes_json(w, "std_out", &r->std_out);
    bytes_json(w, "std_err", &r->std_err);
    bytes_json(w, "log_out", &r->log_out);
    bytes_json(w, "exc_out", &r->exc_out);
    bytes_json(w, "returns", &r->returns);
    dropped_json(w, r);
    json_key(w, "usage");
    usage_json(w, &r->usage);
    json_key(w, "attempts");
    json_uint(w, attempts);
    confinement_json(w, r->confinement);
}

void task_record_json(json_writer *w, const task_record *rec)
{
    json_begin_object(w);
    json_key(w, "command");
    json_cstring(w, rec->command);
    json_key(w, "policy");
    json_cstring(w, rec->policy);
    json_key(w, "limits");
    limits_json(w, rec->options);
    size_t attempts = rec->attempts ? rec->attempts->count : 0;
    result_fields_json(w, rec->result, (unsigned)(attempts ? attempts : 1));
    json_key(w, "status");
    json_int(w, rec->status);
    if (rec->run_error) {
        json_key(w, "error");
        json_cstring(w, strerror(-rec->run_error));
    }
    if (attempts > 1)
        history_json(w, rec->attempts);
    json_end_object(w);
}
