/*
 * cordon — run a C function or a command in a confined, watched child.
 *
 * The life of a task:
 *
 *   cordon_task *t = cordon_function_task(fn, arg);    (or _command_, _shell_)
 *   cordon_set_timeout_ms(t, 2000);                      options, any order
 *   cordon_run(t);                                       fork, confine, collect
 *   const cordon_result *r = cordon_task_result(t);      read what it left
 *   cordon_task_free(t);                                 frees the result too
 *
 * A task can be run again (each run starts a fresh child from the parent's
 * memory as it is then); each run replaces the previous result.  A task is
 * used by one thread at a time; different tasks may run from many threads.
 *
 * While a task runs (from cordon_run_async until cordon_join) its options
 * are fixed: every cordon_set_* call returns -EBUSY, and so do the run
 * calls; its result and history are read after the join.
 *
 * Errors: functions returning int give 0 (or a documented positive value)
 * on success and a negative errno when cordon itself failed.  The library
 * never prints, installs no signal handler in the caller and changes none of
 * the caller's signal dispositions.
 */
#ifndef CORDON_H
#define CORDON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#define CORDON_NORETURN [[noreturn]]
#else
#define CORDON_NORETURN _Noreturn
#endif

#define CORDON_VERSION "0.1.0"

/* cordon_run and friends return this when the task ended with an exception. */
#define CORDON_EXCEPTION 1

typedef struct cordon_task cordon_task;
typedef struct cordon_ctx cordon_ctx;
typedef struct cordon_policy cordon_policy;

/* A caller-owned error report (put it on the stack).  On failure `code` is a
 * negative errno and `message` names what was wrong and where, e.g.
 * "policies/x.policy:3:7: unknown syscall 'sockett'".  `line` and `column`
 * are 1-based, 0 when the error has no position. */
typedef struct cordon_error {
    int code;
    unsigned line, column;
    char message[512];
} cordon_error;

/* ---- Tasks ------------------------------------------------------------ */

/* Runs in the child.  Its int return becomes result.exit_code, whole. */
typedef int (*cordon_fn)(cordon_ctx *ctx, void *arg);

/* `arg` is not copied: the child sees the parent's memory as it was at the
 * fork.  Returns NULL with errno set on failure (ENOMEM, EINVAL). */
cordon_task *cordon_function_task(cordon_fn fn, void *arg);
/* Copies argv (NULL-terminated, argv[0] looked up in PATH unless it holds a
 * '/').  No shell is involved. */
cordon_task *cordon_command_task(const char *const argv[]);
/* Copies `command`; runs /bin/sh -c command. */
cordon_task *cordon_shell_task(const char *command);
/* Frees the task and its result.  A task still running from
 * cordon_run_async is killed first (its whole process group, at once) and
 * joined; nothing of it is left behind.  NULL is accepted. */
void cordon_task_free(cordon_task *t);

/* ---- Inside a function task (call only from the child) ---------------- */

/* Publishes `len` bytes as result.returns (each call replaces the last).
 * Returns 0.  A return larger than CORDON_LIMIT_RETURN raises the exception
 * "ReturnTooLarge" and does not come back. */
int cordon_return(cordon_ctx *ctx, const void *data, size_t len);
/* Appends one formatted line (a newline is added if missing) to log_out. */
void cordon_log(cordon_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Ends the task with the exception class `exception` and a message;
 * stdio is flushed first.  result.exit_code is 1 then. */
CORDON_NORETURN void cordon_raise(cordon_ctx *ctx, const char *exception, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Which attempt this is: 1 for the first run, n + 1 for retry n of
 * cordon_run_and_retry.  A command task finds it in its environment as
 * CORDON_ATTEMPT. */
unsigned cordon_attempt_number(cordon_ctx *ctx);

/* ---- Options ----------------------------------------------------------- */

/* The policy is not copied: it must outlive the task's runs.  NULL runs the
 * task without a seccomp filter; a task never given a policy runs under the
 * built-in "default". */
int cordon_set_policy(cordon_task *t, const cordon_policy *p);
/* Wall-clock deadline of each attempt; 0 (the default) means none.  At the
 * deadline the task's whole process group is killed with SIGKILL. */
int cordon_set_timeout_ms(cordon_task *t, uint64_t ms);

typedef enum cordon_limit {
    CORDON_LIMIT_CPU_MS,      /* CPU time (user+sys); exception CpuLimit */
    CORDON_LIMIT_MEMORY,      /* bytes: the task's memory cgroup limit (the whole
                                 tree's memory) where a cgroup can be made, else
                                 each process's address space (RLIMIT_AS);
                                 MemoryLimit.  At least CORDON_MEMORY_MIN */
    CORDON_LIMIT_FILE_SIZE,   /* bytes per written file; FileSizeLimit */
    CORDON_LIMIT_OPEN_FILES,  /* highest fd number + 1; at least 6 under a policy
                                 (fds 0-3, the listener and its socket) */
    CORDON_LIMIT_PROCESSES,   /* processes of the task; ProcessLimit */
    CORDON_LIMIT_OUTPUT,      /* bytes kept per stream; default 64 MiB */
    CORDON_LIMIT_RETURN,      /* bytes of cordon_return; default 1 MiB */
    CORDON_LIMIT_COUNT_
} cordon_limit;
/* The smallest memory limit accepted: below it no task could even start
 * (a limit of 64 is 64 bytes, not 64 MiB). */
#define CORDON_MEMORY_MIN (1u << 20)
/* 0 for the resource limits means "no limit" (the default).  OUTPUT and
 * RETURN must be > 0 and at most 1 GiB; MEMORY 0 or at least
 * CORDON_MEMORY_MIN.  -EINVAL on a bad `what` or value. */
int cordon_set_limit(cordon_task *t, cordon_limit what, uint64_t value);

/* Bytes given to the task's stdin (copied).  Without this, or a stdin fd,
 * stdin is /dev/null. */
int cordon_set_stdin(cordon_task *t, const void *data, size_t len);
/* The task reads `fd` as its stdin (not closed by cordon; -1 restores
 * /dev/null). */
int cordon_set_stdin_fd(cordon_task *t, int fd);

/* Called by the collecting thread with each chunk the task writes, as it
 * arrives, whether or not it is kept.  stream is 1 (stdout), 2 (stderr) or
 * 3 (log).  The runner uses it to pass output through live. */
typedef void (*cordon_output_fn)(void *user, int stream, const char *data, size_t len);
int cordon_set_output_callback(cordon_task *t, cordon_output_fn fn, void *user);

/* Command tasks: working directory (copied; NULL: the caller's). */
int cordon_set_cwd(cordon_task *t, const char *dir);
/* Command tasks: "KEY=VALUE" added to (or replacing in) the environment. */
int cordon_set_env(cordon_task *t, const char *key_equals_value);
/* Command tasks: start from an empty environment (then cordon_set_env).
 * CORDON_LOG_FD and CORDON_ATTEMPT are always set. */
int cordon_clear_env(cordon_task *t);
/* When cordon runs as root: run the task as uid/gid, supplementary groups
 * cleared.  -EPERM when not root. */
int cordon_set_user(cordon_task *t, uid_t uid, gid_t gid);

/* Core dumps: none by default (RLIMIT_CORE 0, whatever the caller's
 * limit).  A size allows cores of up to that many bytes; UINT64_MAX, any
 * size.  Where the core goes is the machine's core_pattern. */
int cordon_set_core_dumps(cordon_task *t, uint64_t max_bytes);

/* Nonzero: the task gets a memory cgroup of its own even without a memory
 * limit (cgroup v2 with the memory controller, else v1), so that
 * usage.tree_peak_kb counts its whole tree's peak.  Costs the making and
 * removal of a cgroup per run.  Where no memory cgroup can be made the task
 * runs anyway and tree_peak_kb is 0.  Default: off. */
int cordon_set_tree_accounting(cordon_task *t, int on);

/* Delay before retry n (n >= 1) of cordon_run_and_retry:
 * min(initial_ms * factor^(n-1), max_ms).  Default: no delay. */
int cordon_set_backoff(cordon_task *t, uint64_t initial_ms, double factor, uint64_t max_ms);

/* ---- Isolation: the files, network and mounts a task is given ----------
 *
 * By default a task sees the file system its user may see and the
 * caller's network.  These options narrow that; each fails closed: when
 * the machine lacks the mechanism the setter returns -EOPNOTSUPP, or
 * (for what needs namespaces, known only when the task starts) the task
 * ends in a ConfinementError without running. */

/* File access rules (Landlock, any ABI; what each flag grants per ABI is
 * documented in sandbox/landlock_rules.c).  Once any rule is given, every
 * file access not granted by one is refused (EACCES), beneath every path.
 * Repeatable; rules add up.  READ: read files, list directories.  WRITE:
 * write, create, remove, rename, truncate beneath the path.  EXEC:
 * execute; the kernel also needs READ on an executable (and on the
 * dynamic loader and libraries): see cordon_allow_system_paths.  A rule on
 * a file keeps only what applies to files.  The path is copied and
 * opened (to check it now and again, in the caller's working directory,
 * each time the task starts): -ENOENT and the like for a path that cannot
 * be opened, -EINVAL for no or unknown flags, -EOPNOTSUPP without
 * Landlock, -EXDEV for a path beneath one of the task's tmpfs mounts
 * (hidden by it: give a scratch directory outside /tmp, e.g. in
 * /var/tmp, to a task with a private /tmp).  A path that disappears before a run makes the run return
 * its -errno. */
#define CORDON_READ  1u
#define CORDON_WRITE 2u
#define CORDON_EXEC  4u
int cordon_allow_path(cordon_task *t, const char *path, unsigned access);
/* The rules a program needs to start and run: READ|EXEC on /usr, /bin,
 * /sbin, /lib* and the loader's files in /etc (ld.so.cache, ld.so.conf*),
 * READ on /etc/passwd, group, nsswitch.conf, localtime, READ|WRITE on
 * /dev/null, zero, full, random, urandom, and READ on /proc when the task
 * has a /proc of its own (its own processes only).  Nothing else. */
int cordon_allow_system_paths(cordon_task *t);

/* CORDON_NETWORK_NONE: a network namespace of the task's own with only
 * its loopback (up): it reaches no address outside, not the caller's
 * 127.0.0.1 either.  Needs namespaces (root or unprivileged user
 * namespaces).  CORDON_NETWORK_HOST (the default): the caller's. */
typedef enum cordon_network { CORDON_NETWORK_HOST = 0, CORDON_NETWORK_NONE = 1 } cordon_network;
int cordon_set_network(cordon_task *t, cordon_network network);

/* An empty tmpfs of the task's own mounted over the directory `path`
 * (absolute, existing, e.g. "/tmp") in its mount namespace: what it
 * writes there is gone when it ends, and it sees nothing of what was
 * there.  Counts against a memory cgroup's limit.  Repeatable (at most
 * 8); with file rules, give `path` a rule too.  -EINVAL for a path that
 * is not absolute, -ENOTDIR, -ENOENT, -EXDEV when a rule's path is
 * beneath it. */
int cordon_add_tmpfs(cordon_task *t, const char *path);

/* A named preset (README, "Isolation presets"):
 *   "isolated"  what `bwrap --unshare-all --ro-bind / / --tmpfs /tmp
 *               --dev /dev --proc /proc` gives: everything readable and
 *               executable, nothing writable but a private /tmp and the
 *               /dev files of cordon_allow_system_paths, no network.
 *   "judge"     for a submitted program: cordon_allow_system_paths, a
 *               private /tmp (read-write), no network; nothing else is
 *               readable.  Give it one scratch directory with
 *               cordon_allow_path(t, dir, CORDON_READ | CORDON_WRITE).
 * Both need pid and mount namespaces (the task fails closed without) and
 * Landlock (-EOPNOTSUPP).  Presets add to the options given; -EINVAL for
 * an unknown name. */
int cordon_set_isolation(cordon_task *t, const char *preset);

/* ---- Running ----------------------------------------------------------- */

/* Each returns 0 when the task ended without an exception (whatever its exit
 * code), CORDON_EXCEPTION when it ended with one, a negative errno when
 * cordon could not run it (no child is left behind then). */
int cordon_run(cordon_task *t);
/* Starts the task and returns without waiting for it to end; a collector
 * thread does the rest.  The child is forked before this returns: it sees
 * the caller's memory (and *arg) as it was at the call, and the caller may
 * change or free it at once.  Returns 0, or a negative errno (-EBUSY if it
 * is already running; a failed start leaves no child and no thread). */
int cordon_run_async(cordon_task *t);
/* Waits for cordon_run_async's run and returns what cordon_run would.
 * Joined again (with no run since), it returns the same again; -EINVAL
 * when the task was never started with cordon_run_async. */
int cordon_join(cordon_task *t);
/* Runs, then runs again in a fresh child while the ending matches
 * `exception` and fewer than max_retry retries were made.  `exception` is
 * a comma-separated list of what to retry on: exception classes
 * ("Timeout,ServerError"), "exit:N" for an ending without exception whose
 * exit code is N (N != 0), or "*" for any exception.  -EINVAL for an empty
 * list, an empty item or a malformed exit:N. */
int cordon_run_and_retry(cordon_task *t, unsigned max_retry, const char *exception);
/* Runs the task and writes a breakdown of where its time went to `out`:
 * for a function task, sampled self and cumulative time per function and
 * the hottest caller->callee edges; for a command, the rusage breakdown and
 * a per-process view of its tree.  A task that crashes or times out still
 * gets the profile gathered until then.  Returns what cordon_run returns. */
int cordon_run_profiler(cordon_task *t, FILE *out);
/* Samples per second of CPU time for cordon_run_profiler (default 997,
 * at most 10000). */
int cordon_set_profiler_hz(cordon_task *t, unsigned hz);

/* ---- Policies ---------------------------------------------------------- */

/* A shipped policy by name ("default", "nonet", …), a policy file by path,
 * or "docker:PATH", a Docker/OCI seccomp profile imported as
 * cordon_policy_import does (its notes are dropped; call that to see
 * them).  NULL with `err` filled on failure.  Free with cordon_policy_free. */
cordon_policy *cordon_policy_load(const char *name_or_path, cordon_error *err);
/* Policy text; `origin` names it in error messages (e.g. a file name). */
cordon_policy *cordon_policy_parse(const char *text, const char *origin, cordon_error *err);
void cordon_policy_free(cordon_policy *p);
/* Where the policy came from: the name or path it was loaded by, or the
 * origin it was parsed with. */
const char *cordon_policy_name(const cordon_policy *p);
/* The first line of the policy's header comment ("" when it has none). */
const char *cordon_policy_description(const cordon_policy *p);
/* Writes the resolved rules to `out`, one per line, includes expanded; with
 * `with_bpf` nonzero also the compiled filter's size and a disassembly.
 * Returns 0 or a negative errno. */
int cordon_policy_show(const cordon_policy *p, FILE *out, int with_bpf);
/* Writes one line per shipped policy, "name  description", to `out`. */
int cordon_policy_list(FILE *out);
/* Translates the Docker/OCI seccomp profile (JSON) at `path` into cordon's
 * policy language, deciding as Docker does when a container starts on this
 * machine: a task has no capabilities (entries that includes.caps gives a
 * capability are left out, those that excludes.caps names are kept),
 * arches are matched against x86_64, minKernel against the running
 * kernel.  Writes the policy, with a comment for every decision, to `out`
 * (NULL: nowhere) and one line per finding a user must know of (a syscall
 * name no architecture has, a member ignored),
 * "PATH:LINE:COL: syscalls[3].names[1]: unknown syscall 'foo' (left out)",
 * to `notes` (NULL: nowhere).  Returns 0, or a negative errno with `err`
 * naming PATH:LINE:COL (malformed JSON, a wrong type, an action cordon
 * cannot express); nothing is written to `out` then.
 * cordon_policy_load("docker:PATH") loads the same policy, compiled. */
int cordon_policy_import(const char *path, FILE *out, FILE *notes, cordon_error *err);

/* ---- Results ----------------------------------------------------------- */

typedef struct cordon_bytes {
    const char *data;   /* NUL-terminated for convenience; never NULL */
    size_t len;         /* exact: binary data and NULs survive */
    size_t dropped;     /* bytes past the cap, read and discarded */
} cordon_bytes;

/* From wait4 on the task's tree (with a pid namespace every process of
 * it, orphans killed at the end included; without one, what its first
 * process waited for), but wall_us and tree_peak_kb.
 *   max_rss_kb    the largest single process's peak resident set
 *                 (ru_maxrss), not a sum.  A process's figure includes
 *                 what it inherited: a function task's process is a copy
 *                 of the caller, and the kernel records, at a command's
 *                 execve, the peak of the memory it was exec'd from (a
 *                 copy of the caller).
 *   tree_peak_kb  the peak of the memory (resident and page cache) the
 *                 whole tree was charged for at once, counted by its
 *                 memory cgroup: the task's own pages only, never the
 *                 caller's it shares.  0 when no cgroup of the task
 *                 counted memory: it has one with a memory limit, with
 *                 cordon_set_tree_accounting, or (cgroup v2 with the
 *                 memory controller) whenever it has a cgroup. */
typedef struct cordon_usage {
    uint64_t wall_us, user_us, sys_us;
    uint64_t max_rss_kb;
    uint64_t minflt, majflt, nvcsw, nivcsw, inblock, oublock;
    uint64_t tree_peak_kb;
} cordon_usage;

typedef struct cordon_result {
    int exit_code;          /* command: exit status; function: its int return */
    int signal;             /* signal that ended it, 0 if none */
    const char *exception;  /* NULL, or the exception's class name */
    cordon_bytes std_out, std_err, log_out, exc_out, returns;
    cordon_usage usage;
    unsigned attempts;      /* 1 + retries made */
    unsigned confinement;   /* CORDON_CONFINED_*: the mechanisms that held the task */
} cordon_result;

/* What held a task (result.confinement).  A mechanism the machine lacks
 * (an old kernel, a container that refuses namespaces, no cgroup) is
 * absent here rather than the task refused: check the bits you rely on. */
#define CORDON_CONFINED_SECCOMP        0x01u /* its policy's filter */
#define CORDON_CONFINED_LANDLOCK       0x02u /* a Landlock domain: no signals or traces out of it */
#define CORDON_CONFINED_PID_NAMESPACE  0x04u /* its own pids under cordon's init: the tree
                                                dies with the caller, sees no other process */
#define CORDON_CONFINED_OWN_PROC       0x08u /* a mount namespace with a /proc of its own */
#define CORDON_CONFINED_USER_NAMESPACE 0x10u /* made through a user namespace (not root) */
#define CORDON_CONFINED_CGROUP         0x20u /* a cgroup of its own (limits, tree kill) */
#define CORDON_CONFINED_NETWORK_NAMESPACE 0x40u /* a network of its own: loopback only */
#define CORDON_CONFINED_FILE_RULES     0x80u /* Landlock file rules: only the paths granted */
#define CORDON_CONFINED_PRIVATE_TMPFS  0x100u /* its tmpfs mounts (cordon_add_tmpfs) */
#define CORDON_CONFINED_IPC_NAMESPACE  0x200u /* System V IPC of its own: none of the caller's
                                                 shared memory, semaphores, message queues */

/* One attempt of cordon_run_and_retry (or the single one of cordon_run). */
typedef struct cordon_attempt {
    const char *exception;  /* NULL when it ended without one */
    int exit_code, signal;
    cordon_usage usage;
    const char *message;    /* the first line of its exc_out; "" when none */
} cordon_attempt;

/* The last run's result; valid until the next run or cordon_task_free.
 * Before any run: all zero, empty buffers. */
const cordon_result *cordon_task_result(const cordon_task *t);
/* The attempts of the last run, oldest first; *count gets their number. */
const cordon_attempt *cordon_task_history(const cordon_task *t, size_t *count);

/* "SIGSEGV" for 11, "SIGRTMIN+2", …; NULL for a number that is no signal. */
const char *cordon_signal_name(int signo);

#ifdef __cplusplus
}
#endif
#endif
