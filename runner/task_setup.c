/* From options to a configured task, and from its ending to what the
 * runner reports.  The options were validated before: a setter failing
 * here means cordon itself is broken or out of memory. */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pinned_path.h"
#include "policy_import.h"
#include "runner.h"
#include "stop_signals.h"
#include "task_setup.h"

int task_policy_open(const task_options *o, cordon_policy **out)
{
    *out = NULL;
    if (strcmp(o->policy, "none") == 0)
        return 0;
    cordon_error err;
    memset(&err, 0, sizeof err);
    /* An imported profile's notes (a name left out) are never silent. */
    if (!o->quiet)
        policy_import_notes(o->policy);
    *out = cordon_policy_load(o->policy, &err);
    if (*out)
        return 0;
    /* A policy file's error already says where ("FILE:LINE:COL: ..."). */
    if (err.message[0] && err.line)
        runner_error("%s", err.message);
    else if (err.message[0])
        runner_error("--policy: %s", err.message);
    else
        runner_error("--policy: cannot load '%s': %s", o->policy, strerror(-err.code));
    return -1;
}

static int apply_limits(cordon_task *t, const task_options *o)
{
    const struct { cordon_limit what; uint64_t value; } limits[] = {
        { CORDON_LIMIT_CPU_MS, o->cpu_ms },
        { CORDON_LIMIT_MEMORY, o->memory },
        { CORDON_LIMIT_FILE_SIZE, o->file_size },
        { CORDON_LIMIT_PROCESSES, o->processes },
        { CORDON_LIMIT_OPEN_FILES, o->open_files },
        { CORDON_LIMIT_OUTPUT, o->output_cap },
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof limits / sizeof *limits && rc == 0; i++)
        if (limits[i].value)
            rc = cordon_set_limit(t, limits[i].what, limits[i].value);
    if (rc == 0 && o->core_dumps)
        rc = cordon_set_core_dumps(t, o->core_dumps);
    return rc;
}

/* A task run as another user gets that user's HOME, USER and LOGNAME, as
 * su and sudo -H give: the caller's (root's HOME=/root) would send its
 * tools (git, pip, a shell) to files the user may not read.  --env still
 * sets them; --clear-env leaves none. */
static int set_identity(cordon_task *t, const task_options *o)
{
    if (o->clear_env || !o->user || o->user_is_the_runner)
        return 0;
    const struct passwd *pw = getpwuid(o->uid);
    const char *name = pw ? pw->pw_name : o->user;
    char entry[4200];
    snprintf(entry, sizeof entry, "HOME=%s", pw && pw->pw_dir[0] == '/' ? pw->pw_dir : "/");
    int rc = cordon_set_env(t, entry);
    snprintf(entry, sizeof entry, "USER=%s", name);
    if (rc == 0)
        rc = cordon_set_env(t, entry);
    snprintf(entry, sizeof entry, "LOGNAME=%s", name);
    return rc == 0 ? cordon_set_env(t, entry) : rc;
}

static int apply_environment(cordon_task *t, const task_options *o)
{
    int rc = o->clear_env ? cordon_clear_env(t) : set_identity(t, o);
    for (size_t i = 0; i < o->env_count && rc == 0; i++)
        rc = cordon_set_env(t, o->env[i]);
    return rc;
}

static int isolation_error(const char *option, const char *what, int rc)
{
    if (rc == -EOPNOTSUPP)
        runner_error("%s%s%s: this kernel has no Landlock: file rules cannot be enforced",
                     option, what ? " " : "", what ? what : "");
    else if (rc == -E2BIG && strcmp(option, "--tmpfs") == 0)
        runner_error("--tmpfs %s: at most 8 tmpfs mounts", what);
    else if (rc == -EINVAL && strcmp(option, "--tmpfs") == 0 && what && what[0] == '/')
        runner_error("--tmpfs %s: is the root, which a tmpfs cannot be mounted over (the "
                     "task's root stays the caller's); give directories beneath it, or file "
                     "rules (--ro, --rw) for a view of the root that hides the rest", what);
    else if (rc == -EXDEV && strcmp(option, "--tmpfs") == 0)
        runner_error("--tmpfs %s: is another mount of the task's (a tmpfs, a bind's target), "
                     "or lies beneath or holds one or a --ro/--rw/--exec path; mounts may not "
                     "hide each other (a --ro/--rw/--exec of the tmpfs's own directory grants "
                     "the tmpfs)", what);
    else if (rc == -EXDEV)
        runner_error("%s%s%s: beneath a tmpfs of the task's own (--tmpfs, or the preset's "
                     "/tmp), which hides it; use a directory elsewhere (e.g. /var/tmp)",
                     option, what ? " " : "", what ? what : "");
    else
        runner_error("%s%s%s: %s", option, what ? " " : "", what ? what : "", strerror(-rc));
    return rc;
}

/* The option a file rule was given with. */
static const char *path_option(unsigned access)
{
    return access & CORDON_EXEC ? "--exec" : access & CORDON_WRITE ? "--rw" : "--ro";
}

/* Whether one of two paths is, lies beneath, or holds the other, as the
 * kernel finds them (each resolved where it can be). */
static bool overlap(const char *a, const char *b)
{
    char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
    const char *x = ra ? ra : a, *y = rb ? rb : b;
    size_t lx = strlen(x), ly = strlen(y);
    bool hit = strcmp(x, y) == 0 || strcmp(x, "/") == 0 || strcmp(y, "/") == 0 ||
               (lx < ly && strncmp(x, y, lx) == 0 && y[lx] == '/') ||
               (ly < lx && strncmp(x, y, ly) == 0 && x[ly] == '/');
    free(ra);
    free(rb);
    return hit;
}

/* The mount or path of the task's that bind `index`'s target runs into,
 * said as the option that made it ("" when none is found). */
static const char *bind_conflict(const task_options *o, size_t index, char *said, size_t size)
{
    const char *target = o->binds[index].target;
    said[0] = '\0';
    if (o->isolate && !o->tmpfs_count && overlap(target, "/tmp"))
        snprintf(said, size, "the preset's /tmp (--isolate %s)", o->isolate);
    for (size_t i = 0; !said[0] && i < o->tmpfs_count; i++)
        if (overlap(target, o->tmpfs[i]))
            snprintf(said, size, "--tmpfs %s", o->tmpfs[i]);
    for (size_t i = 0; !said[0] && i < index; i++)
        if (overlap(target, o->binds[i].target))
            snprintf(said, size, "%s %s %s", o->binds[i].name, o->binds[i].source,
                     o->binds[i].target);
    for (size_t i = 0; !said[0] && i < o->path_count; i++)
        if (overlap(target, o->paths[i].path))
            snprintf(said, size, "%s %s", path_option(o->paths[i].access), o->paths[i].path);
    if (!said[0] && o->isolate && overlap(target, "/tmp"))
        snprintf(said, size, "the preset's /tmp (--isolate %s)", o->isolate);
    return said;
}

static int bind_error(const task_options *o, size_t index, int rc)
{
    const struct bind_option *b = &o->binds[index];
    char conflict[3 * PATH_MAX];
    if (rc == -EXDEV && bind_conflict(o, index, conflict, sizeof conflict)[0])
        runner_error("%s %s %s: the target is, lies beneath, or holds %s; mounts may not hide "
                     "each other", b->name, b->source, b->target, conflict);
    else if (rc == -EXDEV)
        runner_error("%s %s %s: the target is, lies beneath, or holds, a tmpfs, a bind or a "
                     "--ro/--rw/--exec path of the task's; mounts may not hide each other",
                     b->name, b->source, b->target);
    else if (rc == -ENOTDIR || rc == -EISDIR)
        runner_error("%s %s %s: one is a directory and the other is not", b->name, b->source,
                     b->target);
    else if (rc == -E2BIG)
        runner_error("%s %s %s: at most 8 binds", b->name, b->source, b->target);
    else if (rc == -EINVAL)
        runner_error("%s %s %s: the target may not be the root", b->name, b->source, b->target);
    else
        runner_error("%s %s %s: %s", b->name, b->source, b->target, strerror(-rc));
    return rc;
}

/* Is `target`, as the kernel will find it, /dev or beneath it? */
static bool target_in_dev(const char *target)
{
    char *real = realpath(target, NULL);
    bool in = real && (strcmp(real, "/dev") == 0 || strncmp(real, "/dev/", 5) == 0);
    free(real);
    return in;
}

/* Where a mount point pinned when the options were read is now: each
 * task's tmpfs or bind goes over that directory, wherever an earlier job
 * moved it (by its name it went over a link's decoy, and the directory
 * itself, renamed, was open to the next job).  Gone: its pinned name,
 * which leads nowhere in the task's init (the task fails). */
static const char *now_at(const char *pinned, const char *given, char buf[PATH_MAX])
{
    if (!pinned[0])
        return given;
    return realpath(pinned, buf) ? buf : pinned;
}

/* Binds, /dev, hostname and cgroup namespace, after the preset (--dev
 * host takes its minimal /dev back). */
static int apply_mounts_and_names(cordon_task *t, const task_options *o)
{
    int rc;
    for (size_t i = 0; i < o->bind_count; i++) {
        const struct bind_option *b = &o->binds[i];
        char target[PATH_MAX];
        if ((rc = cordon_add_bind(t, pinned_or(b->pinned_source, b->source),
                                  now_at(b->pinned_target, b->target, target),
                                  b->read_only ? CORDON_BIND_READONLY : 0)) < 0)
            return bind_error(o, i, rc);
    }
    if (o->dev && (rc = cordon_set_minimal_dev(t, strcmp(o->dev, "minimal") == 0)) < 0)
        return isolation_error("--dev", o->dev, rc);
    /* cordon_run refuses such a bind only when the task starts, as
     * -EXDEV, which said "Invalid cross-device link" and named nothing. */
    bool minimal_dev = o->dev ? strcmp(o->dev, "minimal") == 0 : o->isolate != NULL;
    for (size_t i = 0; minimal_dev && i < o->bind_count; i++) {
        const struct bind_option *b = &o->binds[i];
        if (target_in_dev(b->target)) {
            runner_error("%s %s %s: the target lies in the task's own /dev (--dev minimal, or "
                         "--isolate's), which has nothing to bind over; bind elsewhere, or give "
                         "--dev host", b->name, b->source, b->target);
            return -EXDEV;
        }
    }
    if (o->hostname && (rc = cordon_set_hostname(t, o->hostname)) < 0) {
        runner_error("--hostname: '%s' is not a host name (letters, digits, '-' and '.', "
                     "at most 64)", o->hostname);
        return rc;
    }
    if (o->cgroup_namespace && (rc = cordon_set_cgroup_namespace(t, 1)) < 0)
        return isolation_error("--cgroup-ns", NULL, rc);
    return 0;
}

/* The preset first, then the paths.  Any file rule brings the system's
 * directories (read and execute) along: without the loader and the
 * libraries no dynamically linked program could start at all. */
static int apply_isolation(cordon_task *t, const task_options *o)
{
    int rc;
    if (o->isolate && (rc = cordon_set_isolation(t, o->isolate)) < 0)
        return isolation_error("--isolate", o->isolate, rc);
    if (o->path_count && (rc = cordon_allow_system_paths(t)) < 0)
        return isolation_error("--ro/--rw/--exec", NULL, rc);
    for (size_t i = 0; i < o->path_count; i++)
        if ((rc = cordon_allow_path(t, pinned_or(o->paths[i].pinned, o->paths[i].path),
                                    o->paths[i].access)) < 0)
            return isolation_error(path_option(o->paths[i].access), o->paths[i].path, rc);
    for (size_t i = 0; i < o->tmpfs_count; i++) {
        char directory[PATH_MAX];
        const char *at = o->tmpfs_pinned ? now_at(o->tmpfs_pinned[i], o->tmpfs[i], directory)
                                         : o->tmpfs[i];
        if ((rc = cordon_add_tmpfs(t, at)) < 0)
            return isolation_error("--tmpfs", o->tmpfs[i], rc);
    }
    /* After the preset: --net host gives back the network a preset took
     * (it was ignored, and the task had none, without a word). */
    cordon_network network = o->net && strcmp(o->net, "none") == 0 ? CORDON_NETWORK_NONE
                                                                     : CORDON_NETWORK_HOST;
    if (o->net && (rc = cordon_set_network(t, network)) < 0)
        return isolation_error("--net", o->net, rc);
    return apply_mounts_and_names(t, o);
}

/* --cwd names, by its path, the directory it named when cordon started:
 * a batch job that could write beside it moved it away and left a link
 * to another directory, and the next jobs started there.  Such a task is
 * refused rather than follow (the library then holds it to what it named
 * when set, until its start). */
static int cwd_as_given(const task_options *o)
{
    struct stat st;
    bool found = stat(o->cwd, &st) == 0;
    if (found && st.st_dev == o->cwd_device && st.st_ino == o->cwd_inode)
        return 0;
    if (!found) { /* removed since: not said to be elsewhere */
        runner_error("--cwd: '%s' cannot be found since cordon started (removed, by an "
                     "earlier task?): %m", o->cwd);
        return -ENOENT;
    }
    runner_error("--cwd: '%s' leads elsewhere than when cordon started (moved or replaced "
                 "since, by an earlier task?): not followed", o->cwd);
    return -ESTALE;
}

static int apply_options(cordon_task *t, const task_options *o, const cordon_policy *policy)
{
    int rc = cordon_set_policy(t, policy);
    if (rc == 0 && o->timeout_ms)
        rc = cordon_set_timeout_ms(t, o->timeout_ms);
    if (rc == 0)
        rc = apply_limits(t, o);
    if (rc == 0)
        rc = apply_environment(t, o);
    if (rc == 0 && o->cwd && (rc = cwd_as_given(o)) == 0)
        rc = cordon_set_cwd(t, o->cwd);
    if (rc == 0 && o->user && !o->user_is_the_runner)
        rc = cordon_set_user(t, o->uid, o->gid);
    return rc;
}

cordon_task *task_build(const task_options *o, const cordon_policy *policy, const char *shell,
                        char *const *argv)
{
    cordon_task *t = shell ? cordon_shell_task(shell)
                           : cordon_command_task((const char *const *)argv);
    if (!t) {
        runner_error("cannot create the task: %s", strerror(errno));
        return NULL;
    }
    if (apply_isolation(t, o) < 0) {
        cordon_task_free(t);
        return NULL;
    }
    int rc = apply_options(t, o, policy);
    if (rc < 0) {
        runner_error("cannot set up the task: %s", strerror(-rc));
        cordon_task_free(t);
        return NULL;
    }
    return t;
}

/* A task of a fixed command ("true", never run) with every option and
 * the policy applied, then freed: what the options alone make task_build
 * refuse (mounts that would hide each other, a bind of a file over a
 * directory, too many binds, a bind over / or into the task's own /dev,
 * the host name, the preset, a limit), and what cordon_run would refuse
 * of them put together (a policy that cannot hold a task without a
 * network), is refused once, before anything is made or run, rather than
 * per task after --audit and --out-dir were made (a batch repeated it for
 * each line and ended 1).  The command is none of a job's, so no job
 * line can be what fails here. */
int task_options_check(const task_options *o, const cordon_policy *policy)
{
    static char *const probe[] = { "true", NULL };
    cordon_task *t = task_build(o, policy, NULL, probe);
    if (!t)
        return -1;
    cordon_error err;
    int rc = cordon_task_check(t, &err);
    cordon_task_free(t);
    /* A policy's error says where ("FILE:LINE:COL: ..."). */
    if (rc < 0 && err.message[0])
        runner_error("%s", err.message);
    else if (rc < 0)
        runner_error("cannot set up the task: %s", strerror(-rc));
    return rc < 0 ? -1 : 0;
}

/* Quoted the way a POSIX shell reads it back. */
static bool needs_quotes(const char *word)
{
    if (!*word)
        return true;
    for (const char *s = word; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                    "@%+=:,./-_", *s))
            return true;
    return false;
}

static void append(char **text, size_t *len, const char *s, size_t n)
{
    *text = runner_realloc(*text, *len + n + 1);
    memcpy(*text + *len, s, n);
    *len += n;
    (*text)[*len] = '\0';
}

static void append_word(char **text, size_t *len, const char *word)
{
    if (!needs_quotes(word)) {
        append(text, len, word, strlen(word));
        return;
    }
    append(text, len, "'", 1);
    for (const char *s = word; *s; s++) {
        if (*s == '\'')
            append(text, len, "'\\''", 4);
        else
            append(text, len, s, 1);
    }
    append(text, len, "'", 1);
}

char *task_command_text(const char *shell, char *const *argv)
{
    if (shell)
        return runner_strdup(shell);
    char *text = NULL;
    size_t len = 0;
    append(&text, &len, "", 0);
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            append(&text, &len, " ", 1);
        append_word(&text, &len, argv[i]);
    }
    return text;
}

/* The runner cancels a run only when a stop signal came
 * (stop_signals.c). */
int task_stopped_by(const cordon_result *r)
{
    if (!r->exception || strcmp(r->exception, "Cancelled") != 0)
        return 0;
    return stop_signals_caught();
}

void task_stop_message(const cordon_result *r, char *buf, size_t size)
{
    snprintf(buf, size, "cordon was stopped by %s; the task's whole tree was killed",
             cordon_signal_name(task_stopped_by(r)));
}

const char *task_run_error_text(int rc, char *buf, size_t size)
{
    static const struct { int error; const char *why; } used_up[] = {
        { ENOSPC, "a count the kernel keeps is used up (most often the user's namespaces, "
                  "/proc/sys/user/max_*_namespaces, or the depth of nested pid namespaces)" },
        { EAGAIN, "no process could be started (the user's RLIMIT_NPROC, a cgroup's "
                  "pids.max or the machine's kernel.threads-max)" },
        { EMFILE, "cordon has no file descriptor left (RLIMIT_NOFILE)" },
        { ENFILE, "the machine has no file left to open (fs.file-max)" },
        { ENOMEM, "the machine has no memory left for the task's start" },
    };
    for (size_t i = 0; i < sizeof used_up / sizeof *used_up; i++)
        if (-rc == used_up[i].error) {
            snprintf(buf, size, "%s: %s", strerror(-rc), used_up[i].why);
            return buf;
        }
    snprintf(buf, size, "%s", strerror(-rc));
    return buf;
}

int task_exit_status(int rc, const cordon_result *r)
{
    if (rc < 0)
        return RUNNER_EXIT_OWN_ERROR;
    if (!r->exception)
        return r->exit_code;
    if (strcmp(r->exception, "Timeout") == 0)
        return RUNNER_EXIT_TIMEOUT;
    if (strcmp(r->exception, "ConfinementError") == 0)
        return RUNNER_EXIT_OWN_ERROR;
    if (strcmp(r->exception, "PolicyViolation") == 0)
        return RUNNER_EXIT_POLICY_VIOLATION;
    if (strcmp(r->exception, "ExecError") == 0)
        return r->exit_code;
    /* cordon itself dies of that signal: its status is the shell's */
    if (task_stopped_by(r))
        return 128 + task_stopped_by(r);
    if (r->signal > 0)
        return 128 + r->signal;
    /* An exception without a signal (a limit seen in the exit status):
     * never report it as success. */
    return r->exit_code ? r->exit_code : 1;
}
