/* Parsing the options of run and batch from one table.  Each option is
 * "--name VALUE" or "--name=VALUE"; the first word that is not an option
 * (or everything after "--") is the command of `cordon run`. */
#include <errno.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "edit_distance.h"
#include "options.h"
#include "pinned_path.h"
#include "record_origin.h"
#include "retry.h"
#include "runner.h"
#include "units.h"

typedef int (*option_fn)(command_options *o, const char *name, const char *value);

typedef int (*option_pair_fn)(command_options *o, const char *name, const char *first,
                              const char *second);

typedef struct option_spec {
    const char *name;
    bool takes_value;
    unsigned scope;
    option_fn apply;
} option_spec;

/* An option of two words (--bind SRC DST). */
typedef struct option_pair_spec {
    const char *name;
    option_pair_fn apply;
} option_pair_spec;

static int bad_time(const char *name, const char *value)
{
    /* "2M" is read as a size, MiB, as --mem reads it: said, since 1S,
     * 1MS and 2MIN are taken in any case. */
    size_t len = strlen(value);
    bool a_size = len > 1 && (value[len - 1] == 'M' ||
                              (len > 2 && strcmp(value + len - 2, "MB") == 0));
    runner_error("%s: '%s' is not a time (e.g. 500ms, 1.5s, 2m)%s", name, value,
                 a_size ? "; M is a size (MiB), minutes are m or min" : "");
    return -1;
}

/* Made 1 ms, a time below that ran under a deadline the message then
 * called "1 ms", which is not what was given. */
static int too_small_time(const char *name, const char *value)
{
    runner_error("%s: '%s' is below cordon's 1 ms resolution", name, value);
    return -1;
}

static int bad_size(const char *name, const char *value)
{
    runner_error("%s: '%s' is not a size (e.g. 512K, 256M, 1.5G)", name, value);
    return -1;
}

/* A size written well but too large is said to be so, with the largest
 * (before: "is not a size", for 4194304T beside an accepted 1000000T);
 * `instead` says what to give for no bound. */
static int too_large_size(const char *name, const char *value, const char *instead)
{
    runner_error("%s: '%s' is larger than " UNITS_SIZE_MAX_TEXT ", the largest size cordon "
                 "takes; %s", name, value, instead);
    return -1;
}

/* A limit of 0 would read as "no limit" in the library: a person who wrote
 * --mem 0 meant something else.  And a deadline is not a date. */
#define NO_LIMIT "leave the option out for no limit"

static int parse_limit_time(const char *name, const char *value, uint64_t *ms)
{
    int rc = units_parse_time_ms(value, ms);
    if (rc == UNITS_TOO_SMALL)
        return too_small_time(name, value);
    if (rc == UNITS_TOO_LARGE)
        *ms = UINT64_MAX; /* said as the times past 31 years are, below */
    else if (rc < 0)
        return bad_time(name, value);
    if (*ms == 0 || *ms > UNITS_TIME_LONGEST_MS) {
        runner_error("%s: '%s' is %s; " NO_LIMIT, name, value,
                     *ms ? "longer than 31 years" : "zero");
        return -1;
    }
    return 0;
}

static int parse_limit_size(const char *name, const char *value, uint64_t *bytes)
{
    int rc = units_parse_size(value, bytes);
    if (rc == UNITS_TOO_LARGE)
        return too_large_size(name, value, NO_LIMIT);
    if (rc < 0)
        return bad_size(name, value);
    if (*bytes == 0) {
        runner_error("%s: '%s' is zero; " NO_LIMIT, name, value);
        return -1;
    }
    return 0;
}

static int parse_count(const char *name, const char *value, uint64_t min, uint64_t max,
                       uint64_t *out)
{
    if (units_parse_count(value, min, max, out) == 0)
        return 0;
    runner_error("%s: '%s' is not a whole number from %llu to %llu", name, value,
                 (unsigned long long)min, (unsigned long long)max);
    return -1;
}

static int opt_policy(command_options *o, const char *name, const char *value)
{
    (void)name;
    o->task.policy = value;
    return 0;
}

static int opt_timeout(command_options *o, const char *name, const char *value)
{
    return parse_limit_time(name, value, &o->task.timeout_ms);
}

static int opt_cpu(command_options *o, const char *name, const char *value)
{
    return parse_limit_time(name, value, &o->task.cpu_ms);
}

/* A forgotten unit ("--mem 64") would otherwise end in a baffling failure
 * of the task's set-up: the library's floor, said in the option's terms. */
static int opt_mem(command_options *o, const char *name, const char *value)
{
    if (parse_limit_size(name, value, &o->task.memory) < 0)
        return -1;
    if (o->task.memory >= CORDON_MEMORY_MIN)
        return 0;
    size_t len = strlen(value);
    bool bare_number = len > 0 && value[len - 1] >= '0' && value[len - 1] <= '9';
    unsigned long long bytes = o->task.memory;
    /* A megabyte count the machine could hold: "--mem 1048575" meant no
     * terabyte. */
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    bool plausible = pages > 0 && page_size > 0 &&
                     bytes <= (unsigned long long)pages * (unsigned long long)page_size >> 20;
    if (bare_number && plausible)
        runner_error("%s %s: %llu %s too small to start any task; did you mean %sM?", name,
                     value, bytes, runner_plural(bytes, "byte is", "bytes is"), value);
    else
        runner_error("%s %s: %llu %s too small to start any task; it takes at least 1M", name,
                     value, bytes, runner_plural(bytes, "byte is", "bytes is"));
    return -1;
}

static int opt_fsize(command_options *o, const char *name, const char *value)
{
    return parse_limit_size(name, value, &o->task.file_size);
}

/* --core SIZE|unlimited: cores are off by default (RLIMIT_CORE 0); a
 * crash under study may keep one, where the machine's core_pattern puts
 * it. */
static int opt_core(command_options *o, const char *name, const char *value)
{
    if (strcmp(value, "unlimited") == 0) {
        o->task.core_dumps = UINT64_MAX;
        return 0;
    }
    int rc = units_parse_size(value, &o->task.core_dumps);
    if (rc == UNITS_TOO_LARGE)
        return too_large_size(name, value, "give 'unlimited' for cores of any size");
    return rc < 0 ? bad_size(name, value) : 0; /* 0: none, as without the option */
}

static int opt_procs(command_options *o, const char *name, const char *value)
{
    return parse_count(name, value, 1, CORDON_MAX_PROCESSES, &o->task.processes);
}

static int opt_nofile(command_options *o, const char *name, const char *value)
{
    /* fds 0-3 (stdin, stdout, stderr, log) and, until the command starts,
     * the seccomp listener and the socket that carries it to cordon. */
    return parse_count(name, value, 6, CORDON_MAX_OPEN_FILES, &o->task.open_files);
}

static int opt_out_cap(command_options *o, const char *name, const char *value)
{
    int rc = units_parse_size(value, &o->task.output_cap);
    if (rc == -1)
        return bad_size(name, value);
    if (rc == 0 && o->task.output_cap >= 1 && o->task.output_cap <= (1u << 30))
        return 0;
    runner_error("%s: '%s' is out of range (1 byte to 1G)", name, value);
    return -1;
}

static int opt_user(command_options *o, const char *name, const char *value)
{
    (void)name;
    o->task.user = value;
    return 0;
}

static int opt_cwd(command_options *o, const char *name, const char *value)
{
    (void)name;
    o->task.cwd = value;
    return 0;
}

static int opt_env(command_options *o, const char *name, const char *value)
{
    const char *eq = strchr(value, '=');
    if (!eq || eq == value) {
        runner_error("%s: '%s' is not KEY=VALUE", name, value);
        return -1;
    }
    size_t key_length = (size_t)(eq - value);
    if ((key_length == strlen("CORDON_LOG_FD") && strncmp(value, "CORDON_LOG_FD", key_length) == 0) ||
        (key_length == strlen("CORDON_ATTEMPT") && strncmp(value, "CORDON_ATTEMPT", key_length) == 0)) {
        runner_error("%s: '%.*s' is set by cordon itself for every task", name,
                     (int)(eq - value), value);
        return -1;
    }
    task_options *t = &o->task;
    t->env = runner_realloc(t->env, (t->env_count + 1) * sizeof *t->env);
    t->env[t->env_count++] = value;
    return 0;
}

static int opt_clear_env(command_options *o, const char *name, const char *value)
{
    (void)name, (void)value;
    o->task.clear_env = true;
    return 0;
}

static int opt_retry(command_options *o, const char *name, const char *value)
{
    uint64_t n;
    if (parse_count(name, value, 0, 1000, &n) < 0)
        return -1;
    o->task.retry = (unsigned)n;
    return 0;
}

static int opt_retry_on(command_options *o, const char *name, const char *value)
{
    return retry_parse_classes(&o->task, name, value);
}

static int opt_backoff(command_options *o, const char *name, const char *value)
{
    return retry_parse_backoff(&o->task, name, value);
}

static int opt_json(command_options *o, const char *name, const char *value)
{
    (void)name, (void)value;
    o->task.json = true;
    return 0;
}

static int opt_quiet(command_options *o, const char *name, const char *value)
{
    (void)name, (void)value;
    o->task.quiet = true;
    return 0;
}

static int opt_tty(command_options *o, const char *name, const char *value)
{
    (void)name, (void)value;
    o->task.tty = true;
    return 0;
}

static int opt_profile(command_options *o, const char *name, const char *value)
{
    (void)name, (void)value;
    o->task.profile = true;
    return 0;
}

static int opt_audit(command_options *o, const char *name, const char *value)
{
    (void)name;
    o->task.audit = value;
    return 0;
}

static int opt_help(command_options *o, const char *name, const char *value)
{
    (void)name, (void)value;
    o->help = true;
    return 0;
}

static int opt_shell(command_options *o, const char *name, const char *value)
{
    if (!*value) {
        runner_error("%s: the command line is empty", name);
        return -1;
    }
    o->shell = value;
    return 0;
}

static int opt_jobs(command_options *o, const char *name, const char *value)
{
    uint64_t n;
    if (parse_count(name, value, 1, 1024, &n) < 0)
        return -1;
    o->jobs = (unsigned)n;
    return 0;
}

static int opt_out_dir(command_options *o, const char *name, const char *value)
{
    (void)name;
    o->out_dir = value;
    return 0;
}

static int grant(command_options *o, const char *path, unsigned access)
{
    task_options *t = &o->task;
    t->paths = runner_realloc(t->paths, (t->path_count + 1) * sizeof *t->paths);
    t->paths[t->path_count++] = (struct path_grant){ .path = path, .access = access };
    return 0;
}

static int opt_ro(command_options *o, const char *name, const char *value)
{
    (void)name;
    return grant(o, value, CORDON_READ);
}

static int opt_rw(command_options *o, const char *name, const char *value)
{
    (void)name;
    return grant(o, value, CORDON_READ | CORDON_WRITE);
}

/* The kernel reads what it executes: --exec is read and execute. */
static int opt_exec(command_options *o, const char *name, const char *value)
{
    (void)name;
    return grant(o, value, CORDON_READ | CORDON_EXEC);
}

static int opt_tmpfs(command_options *o, const char *name, const char *value)
{
    if (value[0] != '/') {
        runner_error("%s: '%s' is not an absolute path", name, value);
        return -1;
    }
    task_options *t = &o->task;
    t->tmpfs = runner_realloc(t->tmpfs, (t->tmpfs_count + 1) * sizeof *t->tmpfs);
    t->tmpfs[t->tmpfs_count++] = value;
    return 0;
}

static int opt_net(command_options *o, const char *name, const char *value)
{
    if (strcmp(value, "none") != 0 && strcmp(value, "host") != 0) {
        runner_error("%s: '%s' is neither 'none' nor 'host'", name, value);
        return -1;
    }
    o->task.net = value;
    return 0;
}

static int opt_isolate(command_options *o, const char *name, const char *value)
{
    if (strcmp(value, "judge") != 0 && strcmp(value, "isolated") != 0) {
        runner_error("%s: unknown preset '%s' (judge, isolated)", name, value);
        return -1;
    }
    o->task.isolate = value;
    return 0;
}

/* ---- audit lines and batch on a cluster ---------------------------------- */

static int opt_audit_output(command_options *o, const char *name, const char *value)
{
    o->task.audit_output_given = true;
    if (strcmp(value, "full") == 0) {
        o->task.audit_output = UINT64_MAX;
        return 0;
    }
    if (strcmp(value, "none") == 0) {
        o->task.audit_output = 0;
        return 0;
    }
    int rc = units_parse_size(value, &o->task.audit_output);
    if (rc == 0)
        return 0;
    if (rc == UNITS_TOO_LARGE)
        return too_large_size(name, value, "give 'full' to keep all of it");
    runner_error("%s: '%s' is neither full, none nor a size (e.g. 4K, 1M)", name, value);
    return -1;
}

static int opt_run_id(command_options *o, const char *name, const char *value)
{
    (void)name;
    /* a bad value is said before what the option lacks */
    char checked[RUN_ID_MAX + 1];
    if (origin_run_id(value, checked) < 0)
        return -1;
    o->task.run_id = value;
    return 0;
}

static int opt_shard(command_options *o, const char *name, const char *value)
{
    (void)name;
    o->shard = value;
    return 0;
}

static int opt_resume(command_options *o, const char *name, const char *value)
{
    (void)name;
    o->resume = runner_realloc(o->resume, (o->resume_count + 1) * sizeof *o->resume);
    o->resume[o->resume_count++] = value;
    return 0;
}

static int opt_raw(command_options *o, const char *name, const char *value)
{
    (void)name, (void)value;
    o->task.raw = true;
    return 0;
}

static int opt_no_label(command_options *o, const char *name, const char *value)
{
    (void)name, (void)value;
    o->no_label = true;
    return 0;
}

/* ---- isolation: binds, /dev, hostname, cgroup namespace ---- */

static int add_bind(command_options *o, const char *name, const char *source, const char *target,
                    bool read_only)
{
    if (target[0] != '/') {
        runner_error("%s %s %s: '%s' is not an absolute path", name, source, target, target);
        return -1;
    }
    task_options *t = &o->task;
    t->binds = runner_realloc(t->binds, (t->bind_count + 1) * sizeof *t->binds);
    t->binds[t->bind_count++] = (struct bind_option){
        .name = name, .source = source, .target = target, .read_only = read_only,
    };
    return 0;
}

static int opt_bind(command_options *o, const char *name, const char *source, const char *target)
{
    return add_bind(o, name, source, target, false);
}

static int opt_ro_bind(command_options *o, const char *name, const char *source,
                       const char *target)
{
    return add_bind(o, name, source, target, true);
}

static int opt_dev(command_options *o, const char *name, const char *value)
{
    if (strcmp(value, "minimal") != 0 && strcmp(value, "host") != 0) {
        runner_error("%s: '%s' is neither 'minimal' nor 'host'", name, value);
        return -1;
    }
    o->task.dev = value;
    return 0;
}

static int opt_hostname(command_options *o, const char *name, const char *value)
{
    (void)name;
    o->task.hostname = value;
    return 0;
}

static int opt_cgroup_ns(command_options *o, const char *name, const char *value)
{
    (void)name;
    (void)value;
    o->task.cgroup_namespace = true;
    return 0;
}

/* ---- the table ----------------------------------------------------------- */

#define BOTH (OPTIONS_RUN | OPTIONS_BATCH)
/* In a spec's scope: each value adds one more.  Any other option that
 * takes a value takes one. */
#define REPEATABLE (1u << 8)
static const option_spec specs[] = {
    { "--policy", true, BOTH, opt_policy },
    { "--timeout", true, BOTH, opt_timeout },
    { "--cpu", true, BOTH, opt_cpu },
    { "--mem", true, BOTH, opt_mem },
    { "--fsize", true, BOTH, opt_fsize },
    { "--core", true, BOTH, opt_core },
    { "--procs", true, BOTH, opt_procs },
    { "--nofile", true, BOTH, opt_nofile },
    { "--out-cap", true, BOTH, opt_out_cap },
    { "--ro", true, BOTH | REPEATABLE, opt_ro },
    { "--rw", true, BOTH | REPEATABLE, opt_rw },
    { "--exec", true, BOTH | REPEATABLE, opt_exec },
    { "--tmpfs", true, BOTH | REPEATABLE, opt_tmpfs },
    { "--net", true, BOTH, opt_net },
    { "--isolate", true, BOTH, opt_isolate },
    { "--dev", true, BOTH, opt_dev },
    { "--hostname", true, BOTH, opt_hostname },
    { "--cgroup-ns", false, BOTH, opt_cgroup_ns },
    { "--user", true, BOTH, opt_user },
    { "--cwd", true, BOTH, opt_cwd },
    { "--env", true, BOTH | REPEATABLE, opt_env },
    { "--clear-env", false, BOTH, opt_clear_env },
    { "--retry", true, BOTH, opt_retry },
    { "--retry-on", true, BOTH, opt_retry_on },
    { "--backoff", true, BOTH, opt_backoff },
    { "--json", false, BOTH, opt_json },
    { "--audit", true, BOTH, opt_audit },
    { "--quiet", false, BOTH, opt_quiet },
    { "--raw", false, BOTH, opt_raw },
    { "--help", false, BOTH, opt_help },
    { "-h", false, BOTH, opt_help },
    { "--profile", false, OPTIONS_RUN, opt_profile },
    { "--tty", false, OPTIONS_RUN, opt_tty },
    { "--shell", true, OPTIONS_RUN, opt_shell },
    { "-j", true, OPTIONS_BATCH, opt_jobs },
    { "--jobs", true, OPTIONS_BATCH, opt_jobs },
    { "--out-dir", true, OPTIONS_BATCH, opt_out_dir },
    { "--audit-output", true, BOTH, opt_audit_output },
    { "--run-id", true, BOTH, opt_run_id },
    { "--shard", true, OPTIONS_BATCH, opt_shard },
    { "--resume", true, OPTIONS_BATCH | REPEATABLE, opt_resume },
    { "--no-label", false, OPTIONS_BATCH, opt_no_label },
};

static const option_pair_spec pair_specs[] = {
    { "--bind", opt_bind },
    { "--ro-bind", opt_ro_bind },
};

/* The option of two words `arg` is, or NULL. */
static const option_pair_spec *pair_spec(const char *arg)
{
    for (size_t k = 0; k < sizeof pair_specs / sizeof *pair_specs; k++)
        if (strcmp(arg, pair_specs[k].name) == 0)
            return &pair_specs[k];
    return NULL;
}

/* Whether the two words after argv[i] are its values: "--" ends the
 * options and is none ("--bind /tmp -- true" said "'--' is not an
 * absolute path"). */
static bool pair_values_follow(int argc, char **argv, int i)
{
    return i + 2 < argc && strcmp(argv[i + 1], "--") != 0 && strcmp(argv[i + 2], "--") != 0;
}

/* An option of two words, for run and batch alike; 1 when `arg` was not
 * one, else 0 or -1 after a message. */
static int apply_pair_option(int argc, char **argv, int *i, command_options *o)
{
    const option_pair_spec *pair = pair_spec(argv[*i]);
    if (pair) {
        if (!pair_values_follow(argc, argv, *i)) {
            runner_error("%s needs two values, SRC DST (see 'cordon %s --help')", pair->name,
                         argv[0]);
            return -1;
        }
        *i += 2;
        return pair->apply(o, pair->name, argv[*i - 1], argv[*i]);
    }
    return 1;
}

static const option_spec *find_spec(const char *arg, size_t name_len, unsigned scope)
{
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        const option_spec *s = &specs[i];
        if ((s->scope & scope) && strlen(s->name) == name_len &&
            strncmp(s->name, arg, name_len) == 0)
            return s;
    }
    return NULL;
}

#define SPEC_COUNT (sizeof specs / sizeof *specs)

/* The option of this command `arg` most likely meant, or NULL. */
static const char *meant_option(const char *arg, size_t name_len, unsigned scope)
{
    const char *meant = NULL;
    unsigned least = 3;
    for (size_t i = 0; i < SPEC_COUNT + sizeof pair_specs / sizeof *pair_specs; i++) {
        const char *name = i < SPEC_COUNT ? specs[i].name : pair_specs[i - SPEC_COUNT].name;
        if (i < SPEC_COUNT && !(specs[i].scope & scope))
            continue;
        unsigned n = name[1] == '-' ? runner_edits(arg, name_len, name) : 3; /* not -j */
        unsigned most = strlen(name) <= 8 ? 1 : 2; /* "--shell" is not "--help" */
        if (n <= most && n < least) {
            least = n;
            meant = name;
        }
    }
    return meant;
}

/* The value a single-value option was given, by its first spec (-j and
 * --jobs are one option). */
static const char **given_slot(const option_spec *s, const char **given)
{
    size_t k = 0;
    while (specs[k].apply != s->apply)
        k++;
    return &given[k];
}

/* The length of the option's name in `arg`: up to a '=' of a long one,
 * two for a short one with its value joined (-j4). */
static size_t option_name_length(const char *arg)
{
    const char *eq = strchr(arg, '=');
    bool short_joined = arg[1] != '-' && arg[1] && arg[2];
    return eq && arg[1] == '-' ? (size_t)(eq - arg) : short_joined ? 2 : strlen(arg);
}

/* Whether `arg`, after an option that wants a separate value, is taken as
 * that value: "--audit -- true" made a file named "--", and "--audit
 * --json" one named "--json", with no JSON printed: "--" and an option of
 * this command are no value; "--audit=--json" still names one. */
static bool is_a_value(const char *arg, unsigned scope)
{
    if (strcmp(arg, "--") == 0)
        return false;
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    return !(arg[0] == '-' && arg[1] == '-' && find_spec(arg, name_len, scope));
}

/* Applies the option at argv[*i]; advances *i past a separate value. */
static int apply_option(int argc, char **argv, int *i, unsigned scope, command_options *o,
                        const char **given)
{
    int paired = apply_pair_option(argc, argv, i, o);
    if (paired <= 0)
        return paired;
    const char *arg = argv[*i];
    size_t name_len = option_name_length(arg);
    const option_spec *s = find_spec(arg, name_len, scope);
    if (!s) {
        const char *meant = meant_option(arg, name_len, scope);
        runner_error("%s: unknown option '%.*s' (%s%s%ssee 'cordon %s --help')", argv[0],
                     (int)name_len, arg, meant ? "did you mean '" : "", meant ? meant : "",
                     meant ? "'? " : "", argv[0]);
        return -1;
    }
    const char *value = NULL;
    if (arg[name_len] != '\0')
        value = arg[name_len] == '=' ? arg + name_len + 1 : arg + name_len;
    if (s->takes_value && !value) {
        if (*i + 1 >= argc) {
            runner_error("%s needs a value (see 'cordon %s --help')", s->name, argv[0]);
            return -1;
        }
        value = argv[++*i];
        if (!is_a_value(value, scope)) {
            runner_error("%s needs a value, and '%s' is %s (to give it as the value, write "
                         "%s=%s)", s->name, value,
                         strcmp(value, "--") == 0 ? "the end of the options" : "an option",
                         s->name, value);
            return -1;
        }
    } else if (!s->takes_value && value) {
        runner_error("%s takes no value", s->name);
        return -1;
    }
    if (s->takes_value && !(s->scope & REPEATABLE) &&
        runner_take_once(s->name, given_slot(s, given), value) < 0)
        return -1;
    return s->apply(o, s->name, value ? value : "");
}

static void set_defaults(command_options *o)
{
    memset(o, 0, sizeof *o);
    o->task.policy = "default";
    o->task.output_cap = 64u << 20;
    o->task.backoff_factor = 1.0;
    o->task.audit_output = AUDIT_OUTPUT_DEFAULT;
}

static int take_positional(char **argv, int i, int argc, unsigned scope, command_options *o)
{
    if (scope & OPTIONS_RUN) {
        o->command = &argv[i];
        return argc; /* everything from here is the command */
    }
    if (o->input) {
        runner_error("%s: more than one input file ('%s' and '%s')", argv[0], o->input, argv[i]);
        return -1;
    }
    o->input = argv[i];
    return i + 1;
}

int options_separate_values(int argc, char **argv, int i, unsigned scope)
{
    const char *arg = argv[i];
    if (pair_spec(arg))
        return pair_values_follow(argc, argv, i) ? 2 : 0;
    size_t name_len = option_name_length(arg);
    const option_spec *s = find_spec(arg, name_len, scope);
    return s && s->takes_value && arg[name_len] == '\0' && i + 1 < argc &&
           is_a_value(argv[i + 1], scope);
}

/* Whether --help or -h is a word of the command's options, wherever it
 * stands before "--" or the command, an option's separate value included
 * (runner_is_help_word): asked for after a mistake (`run --bogus -h`,
 * `--timeout 5x -h`), it was the mistake that was said, not the help, and
 * taken as a value `--shell -h` ran `sh -c -h`.  The values are still
 * stepped over as apply_option takes them, so that a value is never taken
 * for the command. */
static bool help_asked(int argc, char **argv, unsigned scope)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (runner_is_help_word(arg))
            return true;
        if (strcmp(arg, "--") == 0 || arg[0] != '-' || arg[1] == '\0') {
            if (scope & OPTIONS_RUN || strcmp(arg, "--") == 0)
                return false; /* the command, or the end of the options */
            continue;         /* batch's input file */
        }
        for (int values = options_separate_values(argc, argv, i, scope); values > 0; values--)
            if (runner_is_help_word(argv[++i]))
                return true;
    }
    return false;
}

int options_parse(int argc, char **argv, unsigned scope, command_options *o)
{
    set_defaults(o);
    o->name = argv[0];
    if (help_asked(argc, argv, scope)) {
        o->help = true;
        return 0;
    }
    const char *given[SPEC_COUNT] = { NULL };
    for (int i = 1; i < argc;) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            /* After "--" only positionals: each still counted, so that a
             * second input file is refused as it is without "--". */
            for (i++; i < argc;)
                if ((i = take_positional(argv, i, argc, scope, o)) < 0)
                    return -1;
            return 0;
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            if (apply_option(argc, argv, &i, scope, o, given) < 0)
                return -1;
            if (o->help)
                return 0;
            i++;
            continue;
        }
        i = take_positional(argv, i, argc, scope, o);
        if (i < 0)
            return -1;
    }
    return 0;
}

static int resolve_user(task_options *t)
{
    const struct passwd *pw = getpwnam(t->user);
    uint64_t id;
    if (!pw && units_parse_count(t->user, 0, UINT32_MAX - 1, &id) == 0) {
        pw = getpwuid((uid_t)id);
        t->uid = (uid_t)id;
        t->gid = pw ? pw->pw_gid : (gid_t)id; /* a uid without an entry: its own group */
    } else if (!pw) {
        runner_error("--user: no such user '%s'", t->user);
        return -1;
    }
    if (pw) {
        t->uid = pw->pw_uid;
        t->gid = pw->pw_gid;
    }
    /* Whether the runner may become that user (it is the runner's own, or
     * the runner has the capabilities) is checked with the other options,
     * where a refusal names the user. */
    return 0;
}

/* A task running as root is root even without capabilities: it can write
 * the root-owned files that are writable by their owner, such as
 * /proc/sys/kernel/core_pattern and every cgroup.procs.  So root's tasks
 * run as nobody unless the caller asks for root by name (--user root). */
#define NOBODY_ID 65534

/* Whether `id` is mapped in this process's user namespace (`which`:
 * "uid_map" or "gid_map"); with `outside`, whether it maps to the
 * initial namespace's id of that number instead. */
static bool id_mapped(const char *which, unsigned long id, bool outside)
{
    char path[32];
    snprintf(path, sizeof path, "/proc/self/%s", which);
    FILE *map = fopen(path, "re");
    if (!map) /* no /proc: taken as the machine's own ids */
        return true;
    unsigned long inside, to, count;
    bool found = false;
    while (!found && fscanf(map, "%lu %lu %lu", &inside, &to, &count) == 3)
        found = outside ? inside == 0 && to == id : id >= inside && id - inside < count;
    fclose(map);
    return found;
}

/* Root of the machine: uid 0 that is the initial namespace's 0.  A uid 0
 * of a user namespace (`unshare -r`, a rootless container) is a user
 * outside it, and owns none of the machine's root files. */
static bool machine_root(void)
{
    return id_mapped("uid_map", 0, true);
}

/* A user namespace made without setgroups (`unshare -r`): the task's
 * supplementary groups could not be cleared. */
static bool setgroups_denied(void)
{
    FILE *file = fopen("/proc/self/setgroups", "re");
    char word[8] = "";
    if (file) {
        if (!fgets(word, sizeof word, file))
            word[0] = '\0';
        fclose(file);
    }
    return strncmp(word, "deny", 4) == 0;
}

/* Whether the runner can make its tasks `uid`/`gid` with no other
 * groups: the capabilities to change ids (an inner runner in an outer
 * task's --user root has none), the ids mapped (a user namespace may map
 * only its root) and setgroups allowed. */
static bool can_become(uid_t uid, gid_t gid)
{
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0)
        return false;
    uint32_t needed = (1u << CAP_SETUID) | (1u << CAP_SETGID);
    return (data[0].effective & needed) == needed && id_mapped("uid_map", uid, false) &&
           id_mapped("gid_map", gid, false) && !setgroups_denied();
}

/* Whether the runner holds a group besides `gid`: a task run as its own
 * user by a runner that cannot change ids would keep them, and --user
 * promises supplementary groups cleared. */
static bool holds_other_groups(gid_t gid)
{
    int count = getgroups(0, NULL);
    if (count <= 0)
        return false;
    gid_t *groups = runner_alloc((size_t)count * sizeof *groups);
    count = getgroups(count, groups);
    bool other = false;
    for (int i = 0; i < count; i++)
        other = other || groups[i] != gid;
    free(groups);
    return other;
}

/* What a task of a root runner runs as when --user is not given: nobody
 * where the runner can make it so; else, for the root of a user namespace,
 * that root (a user outside); else an error, never the machine's root. */
static int default_to_nobody(task_options *t)
{
    const struct passwd *pw = getpwnam("nobody");
    if (pw && (pw->pw_uid == 0 || pw->pw_gid == 0))
        pw = NULL; /* an entry that would make "nobody" root is not used */
    uid_t uid = pw ? pw->pw_uid : NOBODY_ID;
    gid_t gid = pw ? pw->pw_gid : NOBODY_ID;
    if (can_become(uid, gid)) {
        t->user = "nobody";
        t->uid = uid;
        t->gid = gid;
        return 0;
    }
    if (!machine_root())
        return 0;
    runner_error("run by root that cannot make its tasks nobody (without CAP_SETUID and "
                 "CAP_SETGID, or in a user namespace that does not map nobody): give --user root "
                 "to run them as this root, without capabilities (inside another cordon's task, "
                 "that task also needs a policy that lets it make namespaces, such as "
                 "--policy none)");
    return -1;
}

/* 0 with the directory's stat in `found` (may be NULL), or -1 said. */
static int check_directory(const char *option, const char *dir, struct stat *found)
{
    struct stat own;
    struct stat *st = found ? found : &own;
    if (stat(dir, st) < 0) {
        runner_error("%s: '%s': %s", option, dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st->st_mode)) {
        runner_error("%s: '%s' is not a directory", option, dir);
        return -1;
    }
    return 0;
}

/* --out-dir is made only once every other check has passed (batch.c):
 * a batch refused for another reason left an empty directory behind.
 * Here: that it is a directory, or that it can be made where it is. */
static int check_out_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0 || errno != ENOENT)
        return check_directory("--out-dir", dir, NULL);
    char *parent = strdup(dir);
    if (!parent) {
        runner_error("--out-dir: %s", strerror(ENOMEM));
        return -1;
    }
    parent[runner_path_length(parent)] = '\0'; /* "new/" names "new" */
    char *slash = strrchr(parent, '/');
    const char *where = !slash ? "." : slash == parent ? "/" : (*slash = '\0', parent);
    int error = 0;
    if (stat(where, &st) < 0 || access(where, W_OK | X_OK) < 0)
        error = errno;
    else if (!S_ISDIR(st.st_mode))
        error = ENOTDIR;
    free(parent);
    if (error)
        runner_error("--out-dir: cannot create '%s': %s", dir, strerror(error));
    return error ? -1 : 0;
}

static int validate_run(const command_options *o)
{
    if (o->shell && o->command) {
        runner_error("%s: give either --shell 'LINE' or -- CMD ARGS, not both", o->name);
        return -1;
    }
    if (!o->shell && !o->command) {
        runner_error("%s: no command (give -- CMD ARGS or --shell 'LINE')", o->name);
        return -1;
    }
    if (o->command && !o->command[0][0]) {
        runner_error("%s: the command name is empty", o->name);
        return -1;
    }
    return 0;
}

static int validate_batch(command_options *o)
{
    if (!o->jobs) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        o->jobs = cpus > 0 ? (unsigned)(cpus > 1024 ? 1024 : cpus) : 1;
    }
    if (o->task.profile) {
        runner_error("batch: --profile works only with run");
        return -1;
    }
    return o->out_dir ? check_out_dir(o->out_dir) : 0;
}

/* Both ends must exist: nothing is created on the caller's file system
 * for a task's mount. */
static int check_bind(struct bind_option *b)
{
    const char *paths[2] = { b->source, b->target };
    for (int i = 0; i < 2; i++)
        if (access(paths[i], F_OK) != 0) {
            runner_error("%s %s %s: '%s': %s", b->name, b->source, b->target, paths[i],
                         strerror(errno));
            return -1;
        }
    if (pinned_path(b->source, b->pinned_source) < 0 ||
        pinned_path(b->target, b->pinned_target) < 0) {
        runner_error("%s %s %s: '%s': %s", b->name, b->source, b->target, b->source,
                     strerror(errno));
        return -1;
    }
    return 0;
}

int options_validate(command_options *o, unsigned scope)
{
    task_options *t = &o->task;
    /* --retry 0 is no retry: said so, where "needs --retry N" read as if
     * --retry had not been given. */
    if (t->retry_on_count && !t->retry) {
        runner_error("--retry-on needs --retry N with N of 1 or more");
        return -1;
    }
    if (t->backoff_ms && !t->retry) {
        runner_error("--backoff needs --retry N with N of 1 or more");
        return -1;
    }
    /* Each shapes records only (the audit line's outputs, the records'
     * run id): without them it would be taken and do nothing. */
    if (t->audit_output_given && !t->audit) {
        runner_error("--audit-output needs --audit FILE (it sets what each audit line keeps)");
        return -1;
    }
    if (t->run_id && !t->audit && !t->json) {
        runner_error("--run-id needs --audit FILE or --json (it names the records they write)");
        return -1;
    }
    if (t->user && resolve_user(t) < 0)
        return -1;
    t->user_is_the_runner = t->user && t->uid == getuid() && t->uid == geteuid() &&
                            t->gid == getgid() && t->gid == getegid() &&
                            !can_become(t->uid, t->gid);
    if (t->user_is_the_runner && holds_other_groups(t->gid)) {
        runner_error("--user: '%s' is this runner's own user, but the runner holds other "
                     "groups besides %u, which a task it cannot change the ids of would keep; "
                     "drop --user, or run cordon without those groups", t->user,
                     (unsigned)t->gid);
        return -1;
    }
    /* Said here, naming the user: the library could only fail the run
     * with EINVAL (an id the namespace does not map) or EPERM. */
    if (t->user && !t->user_is_the_runner && !can_become(t->uid, t->gid)) {
        runner_error("--user: this runner cannot run its tasks as '%s' (uid %u, gid %u): it "
                     "lacks CAP_SETUID and CAP_SETGID, or its user namespace does not map "
                     "those ids", t->user, (unsigned)t->uid, (unsigned)t->gid);
        return -1;
    }
    if (!t->user && geteuid() == 0 && default_to_nobody(t) < 0)
        return -1;
    struct stat cwd_now;
    if (t->cwd && check_directory("--cwd", t->cwd, &cwd_now) < 0)
        return -1;
    if (t->cwd) {
        t->cwd_device = cwd_now.st_dev;
        t->cwd_inode = cwd_now.st_ino;
    }
    for (size_t i = 0; i < t->path_count; i++) {
        const char *option = t->paths[i].access & CORDON_EXEC    ? "--exec"
                             : t->paths[i].access & CORDON_WRITE ? "--rw"
                                                                 : "--ro";
        if (access(t->paths[i].path, F_OK) != 0 ||
            pinned_path(t->paths[i].path, t->paths[i].pinned) < 0) {
            runner_error("%s: '%s': %s", option, t->paths[i].path, strerror(errno));
            return -1;
        }
    }
    free(t->tmpfs_pinned);
    t->tmpfs_pinned = runner_alloc((t->tmpfs_count + 1) * sizeof *t->tmpfs_pinned);
    for (size_t i = 0; i < t->tmpfs_count; i++)
        if (check_directory("--tmpfs", t->tmpfs[i], NULL) < 0 ||
            pinned_path(t->tmpfs[i], t->tmpfs_pinned[i]) < 0)
            return -1;
    for (size_t i = 0; i < t->bind_count; i++)
        if (check_bind(&t->binds[i]) < 0)
            return -1;
    if (!*t->policy) {
        runner_error("--policy: the name is empty");
        return -1;
    }
    return (scope & OPTIONS_RUN) ? validate_run(o) : validate_batch(o);
}

void options_free(command_options *o)
{
    free(o->task.env);
    free(o->task.retry_on);
    free(o->task.paths);
    free(o->task.tmpfs);
    free(o->task.tmpfs_pinned);
    o->task.tmpfs_pinned = NULL;
    free(o->resume);
    o->resume = NULL;
    free(o->task.binds);
    o->task.binds = NULL;
    o->task.paths = NULL;
    o->task.tmpfs = NULL;
    o->task.env = NULL;
    o->task.retry_on = NULL;
}
