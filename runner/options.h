/* The options of `cordon run` and `cordon batch`: parsed, with units, and
 * validated before anything runs.  Every error message names its option. */
#ifndef CORDON_RUNNER_OPTIONS_H
#define CORDON_RUNNER_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pinned_path.h"

/* One class --retry-on accepts: an exception class ("SIGSEGV", "Timeout",
 * "*" for any) or, when exit_code >= 0, a command's exit code (exit:N). */
typedef struct retry_class {
    char name[32];
    int exit_code;
} retry_class;

/* What shapes each task; shared by run and batch. */
typedef struct task_options {
    const char *policy;                 /* a name, a path or "none" */
    uint64_t timeout_ms, cpu_ms, memory, file_size, processes, open_files, output_cap;
    uint64_t core_dumps;                /* --core: the largest core in bytes, UINT64_MAX
                                           for any; 0, none (the default) */
    const char *user;                   /* as given, or "nobody" when root gave
                                           none; uid/gid resolved */
    uid_t uid;
    gid_t gid;
    bool user_is_the_runner;            /* --user names the runner's own ids, which it
                                           cannot change: the task runs as the runner */
    const char *cwd;
    dev_t cwd_device;                   /* what --cwd named when cordon started */
    ino_t cwd_inode;
    const char **env;                   /* "K=V", pointing into argv */
    size_t env_count;
    bool clear_env;
    unsigned retry;
    retry_class *retry_on;
    size_t retry_on_count;
    uint64_t backoff_ms, backoff_max_ms;
    bool backoff_max_ms_given, backoff_factor_given;
    double backoff_factor;
    bool json, quiet, profile;
    bool tty;                           /* run --tty: a terminal stdin is handed over */
    bool raw;                           /* --raw: task output to a terminal uncleaned */
    const char *audit;
    /* Isolation: --ro/--rw/--exec (CORDON_READ... flags), --tmpfs, --net
     * none, --isolate NAME; paths point into argv. */
    struct path_grant {
        const char *path;               /* as given, for messages */
        unsigned access;
        char pinned[PINNED_PATH_SIZE];  /* what it named then (pinned_path.h) */
    } *paths;
    size_t path_count;
    const char **tmpfs;
    char (*tmpfs_pinned)[PINNED_PATH_SIZE]; /* what each named then */
    size_t tmpfs_count;
    const char *net; /* "none", "host" (which undoes a preset's), or NULL */
    const char *isolate;
    /* Audit lines (record_origin.h): bytes of each output stream an audit
     * line keeps (--audit-output: UINT64_MAX full, 0 none), and the run id
     * given (NULL: a random one). */
    uint64_t audit_output;
    bool audit_output_given; /* refused without --audit: it would shape nothing */
    const char *run_id;
    /* Isolation, continued: --bind/--ro-bind SRC DST, --dev, --hostname,
     * --cgroup-ns; strings point into argv. */
    struct bind_option {
        const char *name, *source, *target;
        bool read_only;
        char pinned_source[PINNED_PATH_SIZE]; /* what the source named then */
        char pinned_target[PINNED_PATH_SIZE]; /* and the target */
    } *binds;
    size_t bind_count;
    const char *dev;                    /* "minimal", "host", or NULL: as the preset says */
    const char *hostname;
    bool cgroup_namespace;
} task_options;

typedef struct command_options {
    task_options task;
    const char *name;                   /* the subcommand (argv[0]): run, learn, batch */
    bool help;
    const char *shell;                  /* run --shell */
    char **command;                     /* run -- CMD ARGS (NULL-terminated, in argv) */
    unsigned jobs;                      /* batch -j */
    const char *out_dir;                /* batch --out-dir */
    const char *input;                  /* batch FILE, NULL or "-" for stdin */
    /* batch on a cluster: --shard SPEC (shard.h), --resume AUDIT
     * (repeatable, pointing into argv), --no-label. */
    const char *shard;
    const char **resume;
    size_t resume_count;
    bool no_label;
} command_options;

enum { OPTIONS_RUN = 1, OPTIONS_BATCH = 2 };

/* Bytes of each output stream an audit line keeps unless --audit-output
 * says otherwise: enough for a message or a short result, while a task
 * that prints 5 MiB of NULs (31 MB as JSON) adds 25 KB to its line. */
#define AUDIT_OUTPUT_DEFAULT 4096u

/* Parses argv (argv[0] is the subcommand's name).  Returns 0, or -1 after
 * printing "cordon: ..." naming the option.  Free with options_free. */
int options_parse(int argc, char **argv, unsigned scope, command_options *o);
/* Checks what needs the system (users, directories) and how options fit
 * together (what a task makes of them: task_options_check, once the
 * policy is loaded).  0 or -1 after a message. */
int options_validate(command_options *o, unsigned scope);
void options_free(command_options *o);
/* How many of the words after argv[i], an option of `scope`, are its
 * separate values (0, 1 or 2), as options_parse takes them: so that a
 * value is never taken for the command's first word. */
int options_separate_values(int argc, char **argv, int i, unsigned scope);

#endif
