/* One task as one JSON object: the result's own field names, so that what
 * a C caller reads and what a script reads are the same words. */
#include <string.h>

#include "audit.h"
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

/* Bytes of `b` an audit line keeps: at most `limit`, cut before a UTF-8
 * sequence rather than through it, so that text stays text. */
static size_t kept_bytes(const cordon_bytes *b, uint64_t limit)
{
    if (b->len <= limit)
        return b->len;
    size_t keep = (size_t)limit;
    for (int back = 0; back < 3 && keep > 0 && ((unsigned char)b->data[keep] & 0xC0) == 0x80;
         back++)
        keep--;
    return ((unsigned char)b->data[keep] & 0xC0) == 0x80 ? (size_t)limit : keep;
}

static void bytes_json(json_writer *w, const char *key, const cordon_bytes *b, uint64_t limit)
{
    json_key(w, key);
    json_string(w, b->data, kept_bytes(b, limit));
}

/* An audit line says how much of each stream it left out. */
static void truncated_json(json_writer *w, const cordon_result *r, uint64_t limit)
{
    const struct { const char *key; const cordon_bytes *b; } streams[] = {
        { "std_out", &r->std_out }, { "std_err", &r->std_err }, { "log_out", &r->log_out },
        { "exc_out", &r->exc_out }, { "returns", &r->returns },
    };
    json_key(w, "truncated");
    json_begin_object(w);
    for (size_t i = 0; i < sizeof streams / sizeof *streams; i++) {
        json_key(w, streams[i].key);
        json_uint(w, streams[i].b->len - kept_bytes(streams[i].b, limit));
    }
    json_end_object(w);
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
        { CORDON_CONFINED_UTS_NAMESPACE, "uts_namespace" },
        { CORDON_CONFINED_CGROUP_NAMESPACE, "cgroup_namespace" },
        { CORDON_CONFINED_BIND_MOUNTS, "bind_mounts" },
        { CORDON_CONFINED_MINIMAL_DEV, "minimal_dev" },
    };
    json_key(w, "confinement");
    json_begin_array(w);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (held & names[i].bit)
            json_cstring(w, names[i].name);
    }
    json_end_array(w);
}

/* "r", "rw", "rx", "rwx": what a file rule grants. */
static const char *access_text(unsigned access)
{
    static const char *const texts[] = { "", "r", "w", "rw", "x", "rx", "wx", "rwx" };
    return texts[access & 7u];
}

static void file_rules_json(json_writer *w, const cordon_confinement *c)
{
    json_key(w, "file_rules");
    json_begin_array(w);
    for (size_t i = 0; i < c->file_rule_count; i++) {
        json_begin_object(w);
        json_key(w, "path");
        json_cstring(w, c->file_rules[i].path);
        json_key(w, "access");
        json_cstring(w, access_text(c->file_rules[i].access));
        json_end_object(w);
    }
    json_end_array(w);
}

static void binds_json(json_writer *w, const cordon_confinement *c)
{
    json_key(w, "binds");
    json_begin_array(w);
    for (size_t i = 0; i < c->bind_count; i++) {
        json_begin_object(w);
        json_key(w, "source");
        json_cstring(w, c->binds[i].source);
        json_key(w, "target");
        json_cstring(w, c->binds[i].target);
        json_key(w, "read_only");
        json_raw(w, c->binds[i].read_only ? "true" : "false", c->binds[i].read_only ? 4 : 5);
        json_end_object(w);
    }
    json_end_array(w);
}

/* The bound on the tree's processes and threads, and what held it. */
static void max_processes_json(json_writer *w, const cordon_confinement *c)
{
    json_key(w, "max_processes");
    if (!c->max_processes)
        json_null(w);
    else
        json_uint(w, c->max_processes);
}

/* The limits the caller's own lower rlimits held lower, each with what
 * held it, keyed as in `limits` (which says what was asked). */
static void clamped_limits_json(json_writer *w, const cordon_confinement *c)
{
    static const char *const keys[] = { "cpu_ms", "memory", "file_size", "open_files",
                                        "processes" };
    _Static_assert(CORDON_LIMIT_CPU_MS == 0 && CORDON_LIMIT_PROCESSES == 4,
                   "keys in cordon_limit's order");
    json_key(w, "clamped_limits");
    json_begin_object(w);
    for (unsigned which = 0; which < sizeof keys / sizeof *keys; which++) {
        if (!(c->clamped_limits & (1u << which)))
            continue;
        json_key(w, keys[which]);
        json_uint(w, c->held_limits[which]);
    }
    json_end_object(w);
}

static void cgroup_json(json_writer *w, const cordon_confinement *c)
{
    json_key(w, "cgroup");
    if (!c->cgroup_version) {
        json_null(w);
        return;
    }
    json_begin_object(w);
    json_key(w, "version");
    json_uint(w, (uint64_t)c->cgroup_version);
    /* Each controller by the version of the cgroup that enforced it: a
     * machine may have memory in v1 and the tree in v2. */
    json_key(w, "controllers");
    json_begin_object(w);
    if (c->cgroup_memory_version) {
        json_key(w, "memory");
        json_uint(w, (uint64_t)c->cgroup_memory_version);
    }
    if (c->cgroup_pids_version) {
        json_key(w, "pids");
        json_uint(w, (uint64_t)c->cgroup_pids_version);
    }
    json_end_object(w);
    json_end_object(w);
}

/* What an audit needs to prove the task's confinement afterwards: the
 * filter, the Landlock ABI and every file rule, the binds, the hostname,
 * the cgroup and the ids it ran as.  null when cordon could not run it. */
static void confinement_details_json(json_writer *w, const cordon_confinement *c)
{
    json_key(w, "confinement_details");
    if (!c) {
        json_null(w);
        return;
    }
    json_begin_object(w);
    json_key(w, "filter");
    json_cstring(w, c->policy);
    json_key(w, "landlock_abi");
    json_uint(w, (uint64_t)c->landlock_abi);
    file_rules_json(w, c);
    binds_json(w, c);
    json_key(w, "hostname");
    json_cstring(w, c->hostname);
    cgroup_json(w, c);
    max_processes_json(w, c);
    clamped_limits_json(w, c);
    json_key(w, "uid");
    json_uint(w, c->uid);
    json_key(w, "gid");
    json_uint(w, c->gid);
    json_end_object(w);
}

/* A task cordon could not start never exited: its code and signal are
 * null, not a 0 that reads as success. */
static void ending_json(json_writer *w, const cordon_result *r, bool started)
{
    json_key(w, "exit_code");
    if (started)
        json_int(w, r->exit_code);
    else
        json_null(w);
    json_key(w, "signal");
    if (started)
        json_int(w, r->signal);
    else
        json_null(w);
}

static void result_fields_json(json_writer *w, const cordon_result *r, unsigned attempts,
                               uint64_t limit, bool started)
{
    ending_json(w, r, started);
    json_key(w, "exception");
    json_cstring(w, r->exception);
    /* the one line a script wants, without parsing exc_out for it; for a
     * run cordon cancelled as it was stopped, what the user did */
    char stopped[160], exc[200];
    if (task_stopped_by(r)) {
        task_stop_message(r, stopped, sizeof stopped);
        snprintf(exc, sizeof exc, "Cancelled: %s\n", stopped);
    }
    json_key(w, "message");
    json_cstring(w, task_stopped_by(r) ? stopped : r->message);
    bytes_json(w, "std_out", &r->std_out, limit);
    bytes_json(w, "std_err", &r->std_err, limit);
    bytes_json(w, "log_out", &r->log_out, limit);
    if (task_stopped_by(r))
        bytes_json(w, "exc_out", &(cordon_bytes){ .data = exc, .len = strlen(exc) }, limit);
    else
        bytes_json(w, "exc_out", &r->exc_out, limit);
    bytes_json(w, "returns", &r->returns, limit);
    dropped_json(w, r);
    json_key(w, "usage");
    usage_json(w, &r->usage);
    json_key(w, "attempts");
    json_uint(w, attempts);
    confinement_json(w, r->confinement);
    confinement_details_json(w, r->confinement_details);
}

void task_record_json(json_writer *w, const task_record *rec)
{
    json_begin_object(w);
    json_key(w, "command");
    json_cstring(w, rec->command);
    json_key(w, "policy");
    json_cstring(w, rec->policy ? cordon_policy_name(rec->policy) : NULL);
    json_key(w, "policy_file");
    json_cstring(w, cordon_policy_file(rec->policy));
    if (rec->origin)
        origin_json(w, rec->origin);
    json_key(w, "limits");
    limits_json(w, rec->options);
    size_t attempts = rec->attempts ? rec->attempts->count : 0;
    uint64_t limit = rec->audit ? rec->options->audit_output : UINT64_MAX;
    result_fields_json(w, rec->result, (unsigned)(attempts ? attempts : 1), limit,
                       !rec->run_error);
    if (rec->audit)
        truncated_json(w, rec->result, limit);
    json_key(w, "status");
    json_int(w, rec->status);
    if (rec->stopped_after) {
        json_key(w, "stopped_by");
        json_cstring(w, cordon_signal_name(rec->stopped_after));
    }
    if (rec->run_error) {
        char why[256];
        json_key(w, "error");
        json_cstring(w, task_run_error_text(rec->run_error, why, sizeof why));
    }
    if (attempts > 1)
        history_json(w, rec->attempts);
    json_end_object(w);
}

int task_record_send(const task_record *rec, json_sink sink, void *user)
{
    json_writer w;
    json_init(&w);
    json_set_sink(&w, sink, user);
    task_record_json(&w, rec);
    json_raw(&w, "\n", 1);
    int rc = json_flush(&w);
    json_free(&w);
    return rc;
}

int task_record_audit(task_record *rec, int fd, const char *path)
{
    rec->audit = true;
    audit_line line;
    audit_begin(&line, fd, path);
    task_record_send(rec, audit_write, &line);
    return audit_end(&line);
}
