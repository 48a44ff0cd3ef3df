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
 * While a task runs (from cordon_run_async, or its cordon_pool_submit,
 * until its join; in cordon_run, cordon_run_and_retry, cordon_learn or
 * cordon_run_profiler until the call returns, its own callbacks included)
 * its options are fixed: every cordon_set_* call returns -EBUSY, and so
 * do the run calls and cordon_pool_submit (a second run claimed on
 * another thread is refused too, but a setter there that races a run's
 * start is the caller's race); its result and history are read after the
 * join or the call (or in its done callback).  What may be
 * called on a running task: cordon_task_done, cordon_task_fd,
 * cordon_join_timeout, cordon_wait_any, cordon_cancel (from any thread),
 * and the join; cordon_task_free kills it first.  A task in a pool is
 * joined by the pool (cordon_pool_wait_any, _wait_all, _free): its own
 * cordon_join returns -EBUSY until it has come out of the pool.
 *
 * Errors: functions returning int give 0 (or a documented positive value)
 * on success and a negative errno when cordon itself failed.  The library
 * prints nothing but a line on stderr for a misuse that has no error to
 * return (cordon_task_free or cordon_pool_free from a callback of the run
 * that still uses it, cordon_task_free while another thread joins the
 * task; cordon_raise outside a function task, which then
 * aborts, below), installs no signal handler in the caller and changes
 * none of the caller's signal dispositions.
 *
 * Fds: every fd the library opens is O_CLOEXEC.  Between tasks it keeps a
 * few of its own open (a Landlock ruleset, the spare namespaces' keeper's
 * socket and pidfd, a watch on the mount table); a caller may close them
 * (closefrom(3), os.closerange) and reuse the numbers: each is checked
 * before use, made again, and the caller's file at its number is left
 * alone.  Only a running task's fds (cordon_task_fd, its pipes) must not
 * be closed.
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
#endif
/* GCC's and Clang's attribute holds in every C and C++ dialect (strict
 * C99 has no _Noreturn, C++98 no [[noreturn]]); the standard forms for
 * other compilers. */
#if defined(__GNUC__)
#define CORDON_NORETURN __attribute__((noreturn))
#elif defined(__cplusplus)
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
typedef struct cordon_result cordon_result;
typedef struct cordon_pool cordon_pool;

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
 * '/').  No shell is involved, but for a file the kernel cannot run (a
 * script without a #! line), which /bin/sh runs, as execvp does. */
cordon_task *cordon_command_task(const char *const argv[]);
/* Copies `command`; runs /bin/sh -c -- command (a line that starts with
 * '-' or '+' is a command too).  NULL with errno EINVAL for NULL or "",
 * which names no command. */
cordon_task *cordon_shell_task(const char *command);
/* Frees the task and its result.  A task still running from
 * cordon_run_async is killed first (its whole process group, at once) and
 * joined; nothing of it is left behind.  A task in a pool is cancelled (or
 * dropped from its queue) and taken out of the pool first.  NULL is
 * accepted.  Called from a callback of the task's own run (its output,
 * stdin, retry or done callback), which goes on using the task once the
 * callback returns, it frees nothing and says so on stderr: free the task
 * after the run returns, or after its join.  Likewise while another
 * thread joins it or waits for it (cordon_join, _join_timeout,
 * _wait_any), and while another thread's blocking cordon_run (or
 * _run_and_retry) runs it, which is cancelled: that thread goes on using
 * the task when its call returns. */
void cordon_task_free(cordon_task *t);

/* ---- Inside a function task (call only from the child) ---------------- */

/* Publishes `len` bytes as result.returns (each call replaces the last).
 * Returns 0; -EINVAL for a NULL ctx, or NULL data with a nonzero len
 * (nothing is published then).  A return larger than CORDON_LIMIT_RETURN
 * raises the exception "ReturnTooLarge" and does not come back. */
int cordon_return(cordon_ctx *ctx, const void *data, size_t len);
/* Appends one formatted line (a newline is added if missing) to log_out. */
void cordon_log(cordon_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Ends the task with the exception class `exception` and a message;
 * stdio is flushed first.  result.exit_code is 1 then.  A class is 1 to 63
 * bytes of letters, digits and `_ . - :`, not one of cordon's own (nor
 * "ok" or "exit:" and anything, which cordon report and batch call a
 * success and an exit status); any
 * other (NULL, "", longer, other bytes) ends the task in
 * "InvalidException", whose message quotes it; so does a NULL `ctx` in a
 * function task's child (or a process it forked).  From a set-up hook
 * (cordon_set_setup_hook), which has no ctx, cordon_raise(NULL, ...) fails
 * the hook: "SetupError", with the class and the message in its words.
 * Called with a NULL `ctx` outside any task, it writes why to stderr and
 * aborts. */
CORDON_NORETURN void cordon_raise(cordon_ctx *ctx, const char *exception, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Which attempt this is: 1 for the first run, n + 1 for retry n of
 * cordon_run_and_retry.  A command task finds it in its environment as
 * CORDON_ATTEMPT. */
unsigned cordon_attempt_number(cordon_ctx *ctx);

/* ---- Options ----------------------------------------------------------- */

/* The policy is not copied: it must outlive the task's runs.  NULL runs the
 * task without a policy: with no seccomp filter in a pid namespace whose
 * init it cannot reach (a root caller's task run as another user), and
 * otherwise (of the init's user: a caller that is not root, a root task;
 * without namespaces; with a v2 cgroup of its own) under a filter of
 * cordon's own rules alone,
 * named "none" (setting the limits of cordon's init, which holds its tree;
 * tuning other processes, setting their limits, leaving the
 * process group where no v2 cgroup holds the tree, making the caller its
 * tracer (PTRACE_TRACEME) where no pid namespace holds it, and clone3,
 * which moves a child into another cgroup, refused; for root, unix sockets;
 * foreign ABIs killed), which keep the task off its caller and in its
 * tree; a task never given a policy runs under the built-in "default".
 * So check what cordon_policy_load returns before passing it here: a
 * load that failed (a typo, a file refused as untrusted) passed on as
 * NULL runs the task with no policy at all. */
int cordon_set_policy(cordon_task *t, const cordon_policy *p);
/* Wall-clock deadline of each attempt; 0 (the default) means none.  At the
 * deadline the task's processes are killed with SIGKILL: in a pid
 * namespace its whole tree, else its process group and, where a cgroup
 * holds the tree, the cgroup's processes (the message says which).  One
 * past 584 years (2^64 ns from the machine's start) is none too. */
int cordon_set_timeout_ms(cordon_task *t, uint64_t ms);

typedef enum cordon_limit {
    CORDON_LIMIT_CPU_MS,      /* CPU time (user+sys); exception CpuLimit */
    CORDON_LIMIT_MEMORY,      /* bytes: the task's memory cgroup limit (the whole
                                 tree's memory) where a cgroup can be made, else
                                 each process's address space (RLIMIT_AS);
                                 MemoryLimit.  At least CORDON_MEMORY_MIN */
    CORDON_LIMIT_FILE_SIZE,   /* bytes per written file; FileSizeLimit */
    CORDON_LIMIT_OPEN_FILES,  /* highest fd number + 1, soft and hard; unset: half
                                 of the caller's soft limit, which keeps the
                                 task's plain sends of fds over unix sockets
                                 below the caller's (README, "Threat model").
                                 At least 6 with a set-up hook (fds 0-3, the
                                 listener and its socket): less is -EINVAL,
                                 from this or from cordon_set_setup_hook.
                                 fds 0-3 are open in every task: a command
                                 dynamically linked needs 5 at least to open
                                 its libraries (at 4 and below it exits 127,
                                 "cannot open shared object file") */
    CORDON_LIMIT_PROCESSES,   /* processes of the task at once, each thread counted as
                                 one (pids.max, RLIMIT_NPROC); ProcessLimit */
    CORDON_LIMIT_OUTPUT,      /* bytes kept per stream; default 64 MiB */
    CORDON_LIMIT_RETURN,      /* bytes of cordon_return; default 1 MiB */
    CORDON_LIMIT_COUNT_
} cordon_limit;
/* The smallest memory limit accepted: below it no task could even start
 * (a limit of 64 is 64 bytes, not 64 MiB).  Where the limit is the
 * address space (RLIMIT_AS, no memory cgroup), a command dynamically
 * linked needs some 3 MiB to map its libraries: /bin/echo under 1 or
 * 2 MiB exits 127 ("failed to map segment from shared object"). */
#define CORDON_MEMORY_MIN (1u << 20)
/* The most processes any kernel holds (its PID_MAX_LIMIT, above which
 * pids.max takes no number). */
#define CORDON_MAX_PROCESSES 4194304u
/* The most open files any kernel holds (fs.nr_open's own ceiling on a
 * 64-bit kernel). */
#define CORDON_MAX_OPEN_FILES 2147483584u
/* 0 for the resource limits means "no limit" (the default).  OUTPUT and
 * RETURN must be > 0 and at most 1 GiB; MEMORY 0 or at least
 * CORDON_MEMORY_MIN.  -EINVAL on a bad `what` or value; -ERANGE for
 * PROCESSES above CORDON_MAX_PROCESSES or OPEN_FILES above
 * CORDON_MAX_OPEN_FILES, which no kernel could hold.  Any larger value
 * of the others is taken, and one past what the kernel can count is no
 * limit: a CPU_MS past 584 years (2^64 ns; past some 18,446,744,072 s the
 * kernel's per-process RLIMIT_CPU backstop, which counts nanoseconds, is
 * RLIM_INFINITY instead of one that wraps around to a fraction of a
 * second), a MEMORY or FILE_SIZE of 2^63 bytes and more (the kernel's
 * page counters and RLIM_INFINITY).  A value above the caller's own hard
 * rlimit of the same kind is held to it (README, "Limits, capabilities,
 * users"). */
int cordon_set_limit(cordon_task *t, cordon_limit what, uint64_t value);

/* Bytes given to the task's stdin (copied).  Without this, or a stdin fd,
 * stdin is /dev/null. */
int cordon_set_stdin(cordon_task *t, const void *data, size_t len);
/* The task reads `fd` as its stdin (not closed by cordon; keep it open
 * until the run ends; -1 restores /dev/null).  The task never shares the
 * caller's open file description, so nothing it does to its stdin (flags
 * such as O_NONBLOCK or O_APPEND, a seek, a write) reaches the caller's
 * (but one thing: a task of a pipe's or FIFO's own user without file rules
 * may open the pipe again the other way, through /proc/self/fd/0, and
 * write what the caller reads next; give such a task file rules, which
 * relay the pipe, or another user, where the caller's next input matters):
 * - a pipe, FIFO, regular file or terminal is opened again through
 *   /proc/self/fd, read-only; a pipe's capacity (F_SETPIPE_SZ, the
 *   pipe's, not the description's) is put back when the attempt ends, as
 *   it is for an inherited output's pipe; a regular file is read from the caller's
 *   offset at the start of each attempt, and that offset does not move
 *   (a retry reads the same input); a terminal's modes, flow control and
 *   line discipline (the terminal's, not the description's, whose signal
 *   keys signal the caller's foreground group) cannot be set while the
 *   task runs (EPERM, on any terminal, under any policy and under none),
 *   nor can the task type into its input (TIOCSTI, TIOCLINUX) or take
 *   it as its controlling terminal (one no session holds is held by a
 *   keeper process of cordon's while the task runs), and its exclusive mode and permissions are put back as they were
 *   when the attempt ended; for a task with file rules
 *   the task's init opens it again by its name on the task's read-only
 *   view of the files (a fchmod, futimens or fsetxattr on it fails with
 *   EROFS), and a run whose view no longer holds it by that name (renamed,
 *   on a mount the view lacks) fails with "ConfinementError"; the task
 *   is in a session of its own, outside the terminal's job control: a
 *   caller that hands over its controlling terminal should be in its
 *   foreground and stay unsuspended while the task runs, or the task
 *   reads what the user types to the shell (cordon run --tty refuses to
 *   start in the background and ignores ^Z while its task runs);
 * - anything else (a socket, a device other than a terminal; for a
 *   task with file rules an anonymous pipe, which a task holding any
 *   description of could open again the other way through its /proc and
 *   write the caller's next input into), or one that cannot be opened
 *   again (no /proc, a pipe of another user), or for a task with file
 *   rules a regular file no name leads to (deleted, a memfd), is
 *   relayed: the task reads a pipe that the collecting thread fills from
 *   `fd`, reading it only when poll says it is readable and only while
 *   the task runs.  Input read but not yet consumed when the task ends
 *   (at most a pipe's capacity and 64 KiB) is lost to the caller; a
 *   failed read ends the task with "StdinError".  Where `fd`'s own
 *   description must be read (not a socket: a pty master, a pipe of
 *   another user, no /proc), a thread of cordon's reads it while the task
 *   runs, so that another reader of the caller's taking the bytes cannot
 *   hold the deadline; it reads ahead 64 KiB and a page more.
 * -EBADF when `fd` is not open for reading (closed, O_PATH, write-only:
 * a read-only opening would read what is meant for someone else), or is
 * one of 0, 1 and 2 and close-on-exec (see cordon_run),
 * -EISDIR for a directory, -EINVAL below -1.  `fd` must stay open, and
 * name the same file, until the run ends: a run begun with it closed, or
 * reused for another file, fails with -EBADF. */
int cordon_set_stdin_fd(cordon_task *t, int fd);

/* Called by the collecting thread with each chunk the task writes, as it
 * arrives, whether or not it is kept.  stream is 1 (stdout), 2 (stderr) or
 * 3 (log).  The runner uses it to pass output through live. */
typedef void (*cordon_output_fn)(void *user, int stream, const char *data, size_t len);
int cordon_set_output_callback(cordon_task *t, cordon_output_fn fn, void *user);
/* Stops reading the task's stream (1 stdout, 2 stderr, 3 log) for the
 * current run and closes cordon's end of its pipe, as the reader of a
 * shell pipeline does when it leaves: the task's next write to it fails
 * with EPIPE and raises SIGPIPE, which ends it ("SIGPIPE") unless it
 * ignores the signal.  For an output callback whose own reader is gone
 * (`cordon run -- yes | head -1` would otherwise run for ever); what was
 * read before stays in the result.  Safe from any thread and from the
 * output callback; it takes effect at the stream's next read.  Each run
 * (each attempt of a retry) starts with its streams open.  0, or -EINVAL
 * for another stream.  A CORDON_OUTPUT_INHERIT stream whose reader is
 * gone is closed so by cordon itself. */
int cordon_close_output(cordon_task *t, int stream);
/* Holds (hold nonzero) or releases the task's stream (1 stdout, 2 stderr,
 * 3 log) for the current run: while held cordon does not read it, so the
 * task's writes to it wait once its pipe is full, as under a slow reader
 * of a shell pipeline, while the deadline, the limits and the other
 * streams are kept as ever.  For an output callback whose own reader is
 * slow: waiting inside the callback for room would keep cordon from the
 * deadline and the limits.  Safe from any thread and from the output
 * callback; a hold takes effect at the stream's next read, a release
 * within 5 ms.  Once the task has ended its streams are read whatever
 * is held (so the callback gets what is left).  Each run starts with its
 * streams released.  0, or -EINVAL for another stream. */
int cordon_hold_output(cordon_task *t, int stream, int hold);

/* The task's working directory, for function and command tasks alike
 * (copied; NULL: the caller's; -EINVAL for ""; a relative path is the
 * caller's directory's at this call, as cordon_allow_path's: getcwd's
 * error, or -ENAMETOOLONG past PATH_MAX).  Entered with the task's
 * own rights (its user, without capabilities): one the task cannot enter
 * ends the run in ConfinementError, whose message names it.  The
 * directory the path names now is noted: a run whose path leads
 * elsewhere by then (moved, or replaced by a link) ends in
 * ConfinementError too, not followed; so does one that no longer leads
 * anywhere (removed), whose message says why it cannot be found.  With
 * NULL, a caller's directory that has no path to be entered again by
 * (deleted, or longer than PATH_MAX) fails a task that has a mount
 * namespace (or runs as another user) in ConfinementError: give it a
 * directory by its full path then. */
int cordon_set_cwd(cordon_task *t, const char *dir);
/* Command tasks: "KEY=VALUE" added to (or replacing in) the environment.
 * -EINVAL for a function task, whose environment is the caller's as it was
 * at the fork (set it in the function), and for an entry without '='.
 * CORDON_LOG_FD and CORDON_ATTEMPT are always cordon's own: a value given
 * for either is replaced (a program run by cordon, which has both in its
 * environment, may pass its whole environment on to a task of its own). */
int cordon_set_env(cordon_task *t, const char *key_equals_value);
/* Command tasks: start from an empty environment (then cordon_set_env).
 * CORDON_LOG_FD and CORDON_ATTEMPT are always set.  -EINVAL for a
 * function task. */
int cordon_clear_env(cordon_task *t);
/* When cordon runs as root: run the task as uid/gid, supplementary groups
 * cleared.  Without it a root caller's task runs as root (without
 * capabilities, but owner of root's files: /etc/shadow, /root), under the
 * presets too; `cordon run` started by root runs its tasks as nobody
 * (65534) by this call.  The pipes cordon makes for the task's stdin, stdout, stderr
 * and log are then that user's, so that it may open them again by name
 * (/dev/stderr); a stdin fd of the caller's stays the caller's.  -EINVAL
 * for (uid_t)-1 or (gid_t)-1 (setresuid's "unchanged": the task would keep
 * root's uid or group), -EPERM when not root, but for the caller's own ids
 * where it holds no other group (0: the task runs as the caller, as it
 * would without the call, as `cordon run --user` of the runner's own user
 * does). */
int cordon_set_user(cordon_task *t, uid_t uid, gid_t gid);

/* Core dumps: none by default (RLIMIT_CORE 0, whatever the caller's
 * limit).  A size allows cores of up to that many bytes; UINT64_MAX, any
 * size.  Where the core goes is the machine's core_pattern. */
int cordon_set_core_dumps(cordon_task *t, uint64_t max_bytes);

/* Nonzero: the task gets a memory cgroup of its own even without a memory
 * limit (cgroup v2 with the memory controller, else v1), so that
 * usage.tree_peak_kb counts its whole tree's peak, and a v2 cgroup, so
 * that user_us and sys_us count what wait4 cannot (a child whose parent
 * ignored SIGCHLD).  Costs the making and removal of a cgroup per run.
 * Where no cgroup can be made the task runs anyway, tree_peak_kb is 0
 * and the CPU figures are wait4's.  Default: off. */
int cordon_set_tree_accounting(cordon_task *t, int on);
/* Nonzero: the v2 cgroup alone, so that user_us and sys_us count the
 * whole tree, children nobody waited for included; kept idle between
 * tasks, it costs little (the memory part makes a v1 cgroup for each task
 * where memory is v1).  Where none can be made, the figures are wait4's.
 * Default: off; cordon_set_tree_accounting implies it. */
int cordon_set_tree_cpu_accounting(cordon_task *t, int on);

/* Delay before retry n (n >= 1) of cordon_run_and_retry:
 * min(initial_ms * factor^(n-1), max_ms); max_ms 0 is no cap, and a delay
 * past UINT64_MAX ms is UINT64_MAX.  factor is from 1 to 1000 (-EINVAL
 * otherwise).  Default: no delay. */
int cordon_set_backoff(cordon_task *t, uint64_t initial_ms, double factor, uint64_t max_ms);
/* Jitter on that delay: each delay d becomes d * (1 - fraction * u), u
 * uniform in [0, 1), so that many callers retrying at once spread out.
 * fraction is in [0, 1] (1: anywhere from 0 to d; 0, the default: none).
 * The random numbers are the task's own, seeded from getrandom(2) on first
 * use.  -EINVAL for a fraction outside [0, 1]. */
int cordon_set_backoff_jitter(cordon_task *t, double fraction);
/* One deadline for all the attempts of a run together, delays included,
 * counted from the run's start (cordon_run, _run_async, _run_and_retry).
 * Each attempt's deadline is its cordon_set_timeout_ms cut to what is left
 * of the total; an attempt stopped by the total ends in "Timeout" (its
 * exc_out says "total deadline"), and no retry is made when nothing, or
 * less than the next delay, is left: the result is then the last
 * attempt's.  0 (the default) means none. */
int cordon_set_total_timeout_ms(cordon_task *t, uint64_t ms);
/* Called by cordon_run_and_retry, on its thread, after each attempt that
 * may still be retried (not after the last allowed one) and that the
 * exception list does not already retry, with that attempt's result and
 * number (1 for the first): nonzero asks for a retry.  So a retry is made
 * when the ending matches the list or the callback asks for one; with a
 * callback the list may be NULL.  To see every attempt, read
 * cordon_task_history after the run.  The result is valid during the call
 * only; the callback must not run, join or free the task.  NULL removes
 * it. */
typedef int (*cordon_retry_fn)(const cordon_result *result, unsigned attempt, void *user);
int cordon_set_retry_callback(cordon_task *t, cordon_retry_fn fn, void *user);

/* ---- Set-up hook, output modes, streamed stdin --------------------------- */

/* A function task's set-up hook: runs in the task's own process, once per
 * attempt, after every confinement step but the seccomp filter — in the
 * task's namespaces, cgroup and Landlock domain (file rules included),
 * under its limits, as its user, without capabilities or the caller's
 * shared mappings — and then the filter is installed and the function
 * runs.  It does what the policy would refuse the function: open a file,
 * dlopen a plugin (whose ELF constructors run here, with the same
 * confinement), map code.  What it leaves in memory or in fds the
 * function finds (give both the same `arg`, or use globals); threads it
 * starts get the filter too.  Under a policy that notifies, the function
 * then runs on a copy of the fd table (the hook's threads keep theirs:
 * fds either opens afterwards are not the other's), and pidfd_getfd is
 * refused (EPERM): so that no thread of the hook's can take the filter's
 * listener while cordon hands it over.  It must leave fds 0-4 as they are (else
 * ConfinementError: cordon's hand-over of the filter's listener uses them),
 * and send nothing on fd 4: anything there but cordon's own listener (a
 * hook's, another fd, any message) ends the attempt in ConfinementError.
 * Returns 0 to go on; anything else ends the attempt with the exception
 * "SetupError" (exit_code 125), whose message is what the hook wrote to
 * `err->message` (escaped), or its return value when it wrote none.  A
 * hook that crashes or exits ends it with "SetupError" too (its crash
 * report follows); a deadline or a limit reached in the hook is named as
 * such.  Everything the hook runs is the task's code: like the function,
 * it could write a false "SetupError" for the function's own ending, or
 * (a process it forks keeps cordon's set-up record) a false
 * "ConfinementError"; never the task's exit status, usage or CPU, which
 * its init reports on a page the hook never has. */
typedef int (*cordon_setup_fn)(void *arg, cordon_error *err);
/* Sets (fn) or removes (NULL) the hook.  -EINVAL for a command task: its
 * child runs only async-signal-safe code until it execs, and a hook would
 * run in a copy of the caller's memory that the command replaces; and for
 * a task whose open-files limit is below 6 (CORDON_LIMIT_OPEN_FILES). */
int cordon_set_setup_hook(cordon_task *t, cordon_setup_fn fn, void *arg);

/* Where the task's stdout (stream 1) or stderr (stream 2) goes:
 *   CORDON_OUTPUT_CAPTURE  the default: a pipe, kept in result.std_out/err
 *                          and passed to the output callback
 *   CORDON_OUTPUT_INHERIT  the caller's own fd 1 (or 2), as it is when the
 *                          run starts; nothing is captured.  The task
 *                          holds it only where writing is all it can do,
 *                          and never the caller's description itself (an
 *                          O_NONBLOCK it set would stay on the caller's):
 *                          a pipe or device (not a terminal) is handed
 *                          over as a write-only description of its own,
 *                          opened again (a FIFO that cannot be is
 *                          relayed, with RWF_NOWAIT).  A task with file
 *                          rules is never handed an anonymous pipe.  Everything else is
 *                          never handed over (the task could read back,
 *                          seek or truncate a file, recv or send on a
 *                          socket, change a terminal's modes, flush its
 *                          input or stop its output, open an anonymous
 *                          pipe again for reading through its /proc,
 *                          which file rules do not govern): the task writes to
 *                          a pipe and the collecting thread passes what
 *                          arrives on — to a regular file through the
 *                          caller's own description (its offset, its
 *                          order), to a socket with send(MSG_DONTWAIT), to
 *                          a terminal or an anonymous pipe through a
 *                          non-blocking description of cordon's own — without blocking: while the
 *                          target takes nothing (a stopped terminal, an
 *                          unread socket) the task waits on its writes,
 *                          the deadline still holds, and what it has not
 *                          taken when the task has ended is dropped
 *                          (counted in `dropped`).  The run (not
 *                          this call) returns -EBADF when the caller's
 *                          fd is closed, close-on-exec (see cordon_run)
 *                          or not open for writing, and -ENOTTY when its
 *                          terminal cannot be opened again (no /proc)
 *                          or is a pseudo-terminal's master (opening
 *                          that again makes a new one)
 *   CORDON_OUTPUT_DISCARD  /dev/null; nothing is captured
 * With INHERIT or DISCARD that stream's result buffer stays empty (len 0)
 * and the output callback never sees it.  -EINVAL for another stream or
 * mode. */
#define CORDON_OUTPUT_CAPTURE 0u
#define CORDON_OUTPUT_INHERIT 1u
#define CORDON_OUTPUT_DISCARD 2u
int cordon_set_output_mode(cordon_task *t, int stream, unsigned mode);

/* Streams the task's stdin from a callback, called by the collecting
 * thread whenever the task's stdin pipe can take more and the last chunk
 * is written: it fills up to `cap` bytes of `buf` and returns their
 * number, 0 at the end of the input (the task then reads EOF), or a
 * negative errno, which ends the task with the exception "StdinError"
 * (its input was cut short).  The pipe is written without blocking: a
 * task that stops reading holds up neither the deadline nor the caller,
 * and one that exits without reading raises no SIGPIPE in the caller.
 * The callback should not block for long: while it runs, nothing else of
 * the task is watched.  Each attempt of a retry calls it again, on from
 * where it is.  Replaces cordon_set_stdin and cordon_set_stdin_fd (and is
 * replaced by them); NULL removes it. */
typedef ssize_t (*cordon_stdin_fn)(void *user, char *buf, size_t cap);
int cordon_set_stdin_callback(cordon_task *t, cordon_stdin_fn fn, void *user);

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
 * a file keeps only what applies to files.  The path is copied (a
 * relative one made absolute in the caller's working directory of now)
 * and opened (to check it now and again each time the task starts):
 * -ENOENT and the like for a path that cannot
 * be opened, -EINVAL for no or unknown flags, -EOPNOTSUPP without
 * Landlock, -EXDEV for a path beneath one of the task's tmpfs mounts
 * (hidden by it: give a scratch directory outside /tmp, e.g. in
 * /var/tmp, to a task with a private /tmp).  A path that disappears before a run makes the run return
 * its -errno; one that leads elsewhere than when it was given (a task
 * that could write there replaced it by a link: a retry, the next job of a
 * batch would have been granted the link's target) makes it return
 * -ESTALE.  A file replaced at the same place (renamed over) is fine.
 * CORDON_EXEC governs execve alone: code the task may read still runs
 * through the dynamic loader (ld.so ./a.out) or from a memfd, so leaving
 * it out keeps a program from being started by name, not its code from
 * running (the "noexec" policy refuses every exec but a command's own). */
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
 * 127.0.0.1 either.  A namespace does not hold unix sockets bound to a
 * path (a container engine's, a session bus, an ssh agent), so under a
 * policy that lets socket(AF_UNIX) through without a rule of its own,
 * socket(AF_UNIX) fails with EACCES (socketpair still works).  Needs
 * namespaces (root or unprivileged user namespaces).  CORDON_NETWORK_HOST
 * (the default): the caller's. */
typedef enum cordon_network { CORDON_NETWORK_HOST = 0, CORDON_NETWORK_NONE = 1 } cordon_network;
int cordon_set_network(cordon_task *t, cordon_network network);

/* Spare network namespaces.  From a process's second task without a
 * network on, a keeper process of cordon's (a copy of the caller, named
 * cordon-spares, that no wait(2) of the caller's sees) makes the next
 * two tasks' network namespaces ahead, off their start path; each task
 * still gets a fresh one of its own, used by no other.  Where none is
 * waiting, the task's child makes it, as without a keeper.  The keeper
 * ends with the caller (its process, not the thread that started it); a
 * forked copy of the caller starts its own.
 * CORDON_NO_SPARE_NAMESPACES in the environment turns spares off.
 * cordon_release_spares ends the keeper and the spares it holds (and
 * waits for it); a later task without a network starts a new one.
 * Thread-safe. */
void cordon_release_spares(void);

/* An empty tmpfs of the task's own mounted over the directory `path`
 * (absolute, existing, e.g. "/tmp") in its mount namespace: what it
 * writes there is gone when it ends, and it sees nothing of what was
 * there.  Counts against a memory cgroup's limit.  Repeatable (at most
 * 8); with file rules, give `path` a rule too.  -EINVAL for a path that
 * is not absolute, -ENOTDIR, -ENOENT, -EXDEV when a rule's path is
 * beneath it, -E2BIG for a ninth. */
int cordon_add_tmpfs(cordon_task *t, const char *path);

/* `source` (a file or directory, opened as the caller sees it) bound over
 * `target` (absolute, existing, the same kind: a directory over a
 * directory, a file over a file) in the task's mount namespace, with
 * everything mounted beneath `source`.  CORDON_BIND_READONLY: read-only,
 * beneath submounts too (writes fail with EROFS; before Linux 5.12 the
 * submounts are left out instead).  A bind is a grant of its own: with
 * file rules, the task may read and execute beneath `target` (and, unless
 * read-only, write).  Both paths are resolved now (symbolic links
 * followed), and the source is bound only if it is still the same file
 * when the task starts: one replaced since makes cordon_run return
 * -ESTALE (a task that could write beneath it cannot swap a link in).
 * At most 8; needs a mount namespace (the task fails closed
 * without one).  -EINVAL for a relative or "/" target or unknown flags,
 * -ENOENT and the like for a path that cannot be found, -ENOTDIR or
 * -EISDIR for kinds that differ, -E2BIG past 8, -EXDEV when the target
 * lies beneath a tmpfs or another bind of the task's, or holds one, or
 * holds a rule's path; cordon_run returns -EXDEV for a target in /dev
 * with a minimal /dev. */
#define CORDON_BIND_READONLY 1u
int cordon_add_bind(cordon_task *t, const char *source, const char *target, unsigned flags);

/* A /dev of the task's own (on, nonzero): a tmpfs with only null, zero,
 * full, random, urandom and tty (the machine's devices, made anew, or
 * bound in a user namespace), a devpts of its own at /dev/pts with
 * /dev/ptmx (none where the kernel refuses one), a tmpfs /dev/shm, and
 * the fd, stdin, stdout, stderr links; /dev itself read-only.  No disks,
 * no /dev/mem, no other terminal.  With file rules the task may read and
 * write beneath it.  Needs a mount namespace.  On in both presets. */
int cordon_set_minimal_dev(cordon_task *t, int on);

/* A UTS namespace of the task's own whose hostname is `name` (letters,
 * digits, '-' and '.', at most 64, not starting with '-' or '.'; -EINVAL
 * otherwise): the task's sethostname changes only its own.  NULL: the
 * caller's (the default).  The presets set "cordon" unless given one.
 * Needs namespaces (root or unprivileged user namespaces). */
int cordon_set_hostname(cordon_task *t, const char *name);

/* A cgroup namespace of the task's own (on, nonzero): the task's cgroup
 * (or, with no cgroup of its own, the caller's) is the root it sees in
 * /proc/self/cgroup; the caller's cgroup path is hidden.  Needs
 * namespaces.  On in both presets. */
int cordon_set_cgroup_namespace(cordon_task *t, int on);

/* A named preset (README, "Isolation presets"):
 *   "isolated"  what `bwrap --unshare-all --ro-bind / / --tmpfs /tmp
 *               --dev /dev --proc /proc` gives: everything readable and
 *               executable (to the task's user: a root caller's task
 *               reads /etc/shadow unless cordon_set_user makes it
 *               another), nothing writable but a private /tmp and its
 *               minimal /dev (null and such, /dev/shm), no network.
 *   "judge"     for a submitted program: cordon_allow_system_paths, a
 *               private /tmp (read-write), no network; nothing else is
 *               readable.  Give it one scratch directory with
 *               cordon_allow_path(t, dir, CORDON_READ | CORDON_WRITE),
 *               and CORDON_EXEC too for a program run from it.
 * Both also give a minimal /dev, the hostname "cordon" (UTS namespace)
 * and a cgroup namespace; and a command task only the caller's PATH,
 * LANG, LANGUAGE, the locale's LC_*, TERM and TZ of its environment, with HOME and
 * TMPDIR at /tmp (cordon_set_env adds to that, cordon_clear_env empties
 * it): the rest of the caller's (tokens, an ssh agent's socket) is not
 * the task's.
 * Both need pid and mount namespaces (the task fails closed without) and
 * Landlock (-EOPNOTSUPP).  Presets add to the options given; -EINVAL for
 * an unknown name. */
int cordon_set_isolation(cordon_task *t, const char *preset);

/* What cordon_run would refuse of the task's options put together, said
 * before any run, with nothing run or made: 0; -EXDEV for a bind whose
 * target lies in the task's own /dev (cordon_set_minimal_dev, the
 * presets), and, with `err` naming it, for a working directory, a file
 * rule's path, a bind's source or target or a tmpfs that lies on a mount
 * the task's view covers (another mount of the caller's proc, sysfs,
 * cgroups, terminals, shared memory, message queues or devices: the task
 * would find an empty cover there; cordon_run refuses it too); -EINVAL, with `err` (may be NULL) naming why and the policy's
 * line, for a policy that cannot hold the task (one that admits i386, for
 * a task without a network).  What depends on the machine (namespaces,
 * cgroups, Landlock's reach) is found only by the run. */
int cordon_task_check(const cordon_task *t, cordon_error *err);

/* ---- Running ----------------------------------------------------------- */

/* Each returns 0 when the task ended without an exception (whatever its exit
 * code), CORDON_EXCEPTION when it ended with one, a negative errno when
 * cordon could not run it (no child is left behind then, and the result
 * holds nothing of an earlier run: attempts 0, cordon_succeeded 0): -EBADF when the
 * stdin fd given is closed or names another file than when given, or an
 * inherited fd 1 or 2 is closed, and each attempt of a retry checks again.
 * A caller's fd 0, 1 or 2 that is close-on-exec is not the caller's to
 * hand on (-EBADF too): every fd of cordon's is, and one may take such a
 * number whenever the caller closes it.  Where the caller has closed its
 * fd 0, 1 or 2, a run first puts /dev/null there (close-on-exec), so that
 * the run's own fds stay off those numbers. */
int cordon_run(cordon_task *t);
/* Starts the task and returns without waiting for it to end; a collector
 * thread does the rest.  The child is forked before this returns: it sees
 * the caller's memory (and *arg) as it was at the call, and the caller may
 * change or free it at once.  Returns 0, or a negative errno (-EBUSY if it
 * is already running; a failed start leaves no child and no thread). */
int cordon_run_async(cordon_task *t);
/* Waits for cordon_run_async's run and returns what cordon_run would.
 * Joined again (with no run since), it returns the same again; -EINVAL
 * when the task was never started with cordon_run_async; -EBUSY for a
 * task submitted to a pool, which the pool joins (cordon_pool_wait_any,
 * cordon_pool_wait_all), and while another thread joins it (one thread
 * joins; once it has, a later join returns its answer again).  Freed
 * while another thread joins it, the task is not freed, with a line on
 * stderr. */
int cordon_join(cordon_task *t);

/* ---- Async control ------------------------------------------------------
 *
 * For runs started with cordon_run_async (or by a pool).  "Ended" means
 * the result is complete and the join will not block. */

/* 1 when the async run has ended (joined or not), 0 while it runs or
 * waits in a pool's queue; -EINVAL when the task's last run was no async
 * one (or it never ran).  Never blocks. */
int cordon_task_done(const cordon_task *t);
/* cordon_join that gives up after timeout_ms (negative, e.g. -1: never,
 * as poll(2) has it; 0: just look):
 * -ETIMEDOUT then, with the task still running and joinable later.
 * Otherwise what cordon_join returns.  -EDEADLK from the task's own done
 * callback. */
int cordon_join_timeout(cordon_task *t, int timeout_ms);
/* An fd that turns readable (POLLIN) when the async run has ended, for
 * poll/epoll loops.  The task owns it: it is made by cordon_run_async,
 * stays readable from the end until the join, and is closed by the join
 * (or cordon_task_free); do not read or close it.  O_CLOEXEC.  -EINVAL
 * when no async run is going on or waiting for its join. */
int cordon_task_fd(const cordon_task *t);
/* Waits for any of n tasks' async runs to end: returns the lowest index
 * of one that has ended and is not yet joined (the caller joins it, after
 * which it is no longer waited for), -ETIMEDOUT when none ended within
 * timeout_ms (negative, e.g. -1: no limit), -EINVAL when no entry is an async run
 * waiting for its join (NULL entries, tasks in a pool and other tasks
 * are skipped), -EDEADLK from a callback of a task among them when no
 * other among them can end (its own, which ends only once the callback
 * returns, is passed over; with a timeout of 0, -ETIMEDOUT). */
int cordon_wait_any(cordon_task *const tasks[], size_t n, int timeout_ms);
/* Kills a running async run: its whole tree (process group, cgroup, pid
 * namespace) at once, from the calling thread itself (the run's own
 * thread may be held in the kernel by the task: a read of a pipe whose
 * lock the task's splice holds).  Returns at once; join it for the result, which
 * ends in the exception "Cancelled" (exit_code 137, signal SIGKILL) when
 * the kill ended it; a task that had ended by itself keeps its own
 * ending (one that died of a SIGKILL of its own before the kill was sent
 * too, in a pid namespace, where cordon's init times its end).  A
 * blocking run going on in another thread (cordon_run,
 * cordon_run_and_retry, cordon_run_profiler, cordon_learn) is ended the
 * same way: that call returns with the "Cancelled" result (cancelled
 * during cordon_run_and_retry's backoff, between attempts, the last
 * attempt's result stands), and cordon_run_and_retry makes no further
 * attempt (a program that stops on
 * a signal cancels its runs from a thread of its own and so gets every
 * task's cleanup: cgroups removed, a terminal's modes put back).  0, or
 * -EINVAL when no run is going on (a task still queued in a pool
 * cannot be cancelled; cordon_pool_free drops it).  Safe from any
 * thread, and from a done callback.  The calls that run, wait for or free
 * tasks are no cancellation points: a pthread_cancel of a thread inside
 * one acts when it returns (the run's cleanup done); end the run with
 * this first. */
int cordon_cancel(cordon_task *t);
/* Called once at the end of each async run (cordon_run_async or a pool),
 * on the run's collector thread, once the result is complete and before
 * the task counts as ended (cordon_task_done, its fd, the waits and joins
 * see the end after the callback has returned).  It may read the task's
 * result and history and use other tasks and pools (start, submit,
 * cancel); on its own task it must not run, join or free (join returns
 * -EDEADLK; -EBUSY for a pool's task, as anywhere), and a wait that
 * could only end with its own task returns -EDEADLK (cordon_wait_any with
 * no other task to wait for, cordon_pool_wait_any on its own pool with
 * nothing ended and nothing else running, cordon_pool_wait_all on its
 * own pool); what has ended it may take.  It runs with every
 * signal blocked.  NULL removes it. */
typedef void (*cordon_done_fn)(cordon_task *t, void *user);
int cordon_set_done_callback(cordon_task *t, cordon_done_fn fn, void *user);

/* ---- Pools: at most N tasks at once ---------------------------------------
 *
 * A pool starts the tasks submitted to it, at most `max` at a time, the
 * rest queued in submission order and started as running ones end.  The
 * tasks stay the caller's: one comes out of the pool (joined) through
 * cordon_pool_wait_any, cordon_pool_wait_all, cordon_pool_free, or
 * cordon_task_free (which cancels it first), once: a task freed while
 * another thread's wait takes it out waits for that take-out.  All pool
 * calls are thread-safe; a done callback may submit to a pool, not free
 * it (cordon_pool_free from a callback of one of the pool's tasks, which
 * would wait for that task and so for itself, frees nothing and says so
 * on stderr). */

/* NULL with errno EINVAL for max 0, ENOMEM. */
cordon_pool *cordon_pool_new(unsigned max);
/* Starts the task now, or queues it when `max` are running; never blocks
 * on a task.  0; -EBUSY for a task running or already in a pool; the
 * -errno of a start that failed now (the task is not kept then).  A queued
 * task that fails to start later comes out of cordon_pool_wait_any with
 * that -errno as its status. */
int cordon_pool_submit(cordon_pool *pool, cordon_task *t);
/* Takes one ended task out of the pool, joined, in the order they ended:
 * *done gets it and the return is what its cordon_join returned (which
 * cordon_join gives again).  With none ended within timeout_ms (negative: no
 * limit), *done is NULL and the return -ETIMEDOUT; with no task submitted
 * and not yet taken out, *done is NULL and the return -ECHILD; from a
 * callback of one of the pool's running tasks, with none ended and no
 * other running, -EDEADLK (with a timeout of 0, -ETIMEDOUT). */
int cordon_pool_wait_any(cordon_pool *pool, int timeout_ms, cordon_task **done);
/* Waits until every submitted task has ended, and takes them all out,
 * joined (read each one's result).  0, or -ETIMEDOUT (nothing taken out
 * then); -EDEADLK from a callback of one of the pool's running tasks
 * (with a timeout of 0, -ETIMEDOUT). */
int cordon_pool_wait_all(cordon_pool *pool, int timeout_ms);
/* Cancels the running tasks, drops the queued ones (they never run; their
 * results stay as they were), joins, and frees the pool.  NULL is
 * accepted. */
void cordon_pool_free(cordon_pool *pool);

/* Runs, then runs again in a fresh child while the ending matches
 * `exception` and fewer than max_retry retries were made.  `exception` is
 * a comma-separated list of what to retry on: exception classes, compared
 * as written ("Timeout,ServerError"; a signal by its name with SIG, in any
 * case), "exit:N" for an ending without exception whose exit code is N
 * (N != 0), or "*" for any exception.  -EINVAL for an empty list, an empty
 * item, an item of 64 bytes or more (no class is) or a malformed exit:N. */
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
/* The file cordon_policy_load read it from, as an absolute path (a name
 * is found as a file: a `default.policy` on CORDON_POLICY_PATH is
 * `default` too); NULL for the built-in default, a parsed text, an
 * imported profile and NULL. */
const char *cordon_policy_file(const cordon_policy *p);
/* The first line of the policy's header comment ("" when it has none). */
const char *cordon_policy_description(const cordon_policy *p);
/* Writes the resolved rules to `out`, one per line, includes expanded; with
 * `with_bpf` nonzero also the compiled filter's size and a disassembly.
 * Returns 0 or a negative errno. */
int cordon_policy_show(const cordon_policy *p, FILE *out, int with_bpf);
/* Writes one line per policy a name finds, "name  description", to `out`:
 * those of $CORDON_POLICY_PATH's directories and the shipped ones, each
 * name once, described as cordon_policy_load finds it, and followed by
 * "  [its file]" where that is not the shipped one's.
 * Returns 0, -EINVAL for a NULL `out`, -EIO when writing failed, or
 * -ENOMEM. */
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
 * and the warnings cordon_policy_check gives of the imported text (a
 * 32-bit argument compared on 64 bits, as Docker's default has for
 * socket), "docker:PATH (imported):64:7: warning: …", to `notes` (NULL:
 * nowhere).  Returns 0, or a negative errno with `err`
 * naming PATH:LINE:COL (malformed JSON, a wrong type, an action cordon
 * cannot express); nothing is written to `out` then.
 * cordon_policy_load("docker:PATH") loads the same policy, compiled. */
int cordon_policy_import(const char *path, FILE *out, FILE *notes, cordon_error *err);

/* ---- Policy tools: check, explain, diff -------------------------------- */

/* cordon_policy_check's flags. */
enum {
    CORDON_CHECK_STRICT = 1u << 0  /* warnings fail the check as errors do */
};

typedef struct cordon_check_counts {
    unsigned errors, warnings;
} cordon_check_counts;

/* Lints a policy: the text `text` (named `name_or_path` in messages), or,
 * when `text` is NULL, the policy cordon_policy_load would load by that
 * name or path.  Reading goes on after an error, so every error of the
 * file and of the files it includes is written, one line each,
 * "FILE:LINE:COL: error: unknown syscall 'sockett' (did you mean
 * 'socket'?)", then the warnings, "FILE:LINE:COL: warning: …": rules that
 * can never decide a call (overridden by an unconditional rule, the same
 * as the default, duplicates), conditions that can never hold, conditions
 * on a 32-bit argument that a task defeats with the upper 32 bits, rules
 * for calls an admitted ABI lacks, includes that add nothing.  `out` NULL
 * writes nothing; `counts` (may be NULL) receives the numbers.  Returns 0
 * when the policy passes (no error, and no warning under
 * CORDON_CHECK_STRICT), 1 when it does not, or a negative errno when it
 * could not be checked (unknown flags, out of memory, `out` failed). */
int cordon_policy_check(const char *name_or_path, const char *text, FILE *out, unsigned flags,
                        cordon_check_counts *counts);

/* What a policy does with one call of the native ABI (x86_64). */
typedef struct cordon_decision {
    const char *action;     /* "allow", "kill", "trap", "errno", "log" */
    int errno_value;        /* the errno, for "errno" */
    const char *reason;     /* "rule", "default", "newer" (a call above cordon's
                               table), "cordon" (its own rule for the listener
                               hand-over), "ambiguous" (conditional rules with
                               different actions both hold), "filter", "abi" (an
                               x32 call, numbered with bit 0x40000000, which a
                               policy without 'arch x32' kills) */
    const char *origin;     /* the deciding rule's (or default's) file, or NULL */
    unsigned line;          /* and line, 0 when none */
} cordon_decision;

/* The decision read from the policy's rules, as its language defines
 * them, for syscall `syscall_nr` with `args` (six values; NULL: all 0).
 * Strings point into the policy.  Returns 0 or -EINVAL. */
int cordon_policy_decide(const cordon_policy *p, int syscall_nr, const uint64_t args[6],
                         cordon_decision *decision);
/* The decision of the compiled filter: the program is run in user space
 * on the call as the kernel would run it (reason "filter", no origin); an
 * execve or execveat it hands to cordon's listener for the policy's errno
 * reads as that errno, which the parent answers (after a command's own
 * exec, which it lets through).  Returns 0 or -EINVAL. */
int cordon_policy_simulate(const cordon_policy *p, int syscall_nr, const uint64_t args[6],
                           cordon_decision *decision);
/* Writes what `p` does with `syscall`("socket" or a number) called with
 * `args` (each a number, "-1", or constants joined by '|': "AF_UNIX",
 * "O_RDONLY|O_CREAT"; missing ones are 0): the action, and the file:line
 * that decides it or that the default applies.  The rules' reading is
 * checked against the compiled filter run on the same call.  Returns 0;
 * -EINVAL with `err` filled for an unknown syscall or value, or more
 * values than the call takes ("getpid takes no arguments (1 given)"; for
 * the calls whose arguments cordon decodes, the rest take up to 6); -EPROTO when
 * the rules and the filter disagree (both are written). */
int cordon_policy_explain(const cordon_policy *p, const char *syscall, const char *const args[],
                          size_t arg_count, FILE *out, cordon_error *err);
/* Writes the calls and argument values that `a` and `b` decide
 * differently, each with the deciding line in both, found by trying every
 * syscall with the values either policy's conditions distinguish (`out`
 * NULL: writes nothing, for whether they differ alone).
 * Returns 0 when they decide alike, 1 when not, or a negative errno. */
int cordon_policy_diff(const cordon_policy *a, const cordon_policy *b, FILE *out);

/* ---- Learning a policy ------------------------------------------------- */

/* What learning runs saw: the calls a task's tree made, with the values
 * of the arguments worth constraining.  Owned by the caller; one record
 * gathers any number of runs (of one task or several). */
typedef struct cordon_learned cordon_learned;
/* NULL when out of memory.  Free with cordon_learned_free. */
cordon_learned *cordon_learned_new(void);
void cordon_learned_free(cordon_learned *l);
/* Runs `t` once, as cordon_run does, with every call of its tree (threads,
 * children, exec'd programs) sent to the parent, recorded into `l` and let
 * through — but for what the task's policy (the built-in `default` when it
 * was given none) kills, which still ends it with a PolicyViolation, and
 * what that policy refuses with an errno, which the task still meets (and
 * `l` records), and for what cordon adds to a run's filter for the
 * task's isolation (a unix socket without a network, another process
 * reniced without a pid namespace, ...), refused as in a run with the
 * same isolation and recorded as such.  Every other rule and the
 * policy's default are not applied: a learning run lets through what a
 * deny-list would and what an allow-list would not.  A run whose task
 * never began (a ConfinementError, a command's ExecError, a set-up that
 * failed) is not counted in cordon_learned_runs.  Returns what cordon_run
 * returns, or -EOPNOTSUPP where the kernel has no seccomp user
 * notification (Linux 5.5). */
int cordon_learn(cordon_task *t, cordon_learned *l);
/* Adds an allow-list's rules to `l` (an earlier learned policy, so that
 * runs learned apart merge): an allow rule as written, with its
 * conditions; an errno rule as a refusal.  -EINVAL with `err` filled for a
 * policy whose default allows. */
int cordon_learned_merge(cordon_learned *l, const cordon_policy *p, cordon_error *err);
/* How many runs and merged policies `l` holds. */
unsigned cordon_learned_runs(const cordon_learned *l);
/* Writes the smallest allow-list that lets the recorded runs through, in
 * the policy language: `default kill`, the calls grouped by purpose under
 * a comment each, an argument rule where a call was made with at most 16
 * patterns of its constrained arguments (socket's family and type,
 * clone's flags, ioctl's, fcntl's and prctl's request, …), the errno rules
 * the runs met.  `title` (NULL: none) goes into the first comment line,
 * control bytes replaced.  Returns 0, -EINVAL, -ENOMEM or -EIO; -ENODATA
 * where `l` holds no run and no merged policy (what it would write,
 * `default kill` and nothing else, kills every task). */
int cordon_learned_write(const cordon_learned *l, FILE *out, const char *title);

/* ---- Results ----------------------------------------------------------- */

typedef struct cordon_bytes {
    const char *data;   /* NUL-terminated for convenience; never NULL */
    size_t len;         /* exact: binary data and NULs survive */
    size_t dropped;     /* bytes past the cap, read and discarded */
} cordon_bytes;

/* From wait4 on the task's tree (with a pid namespace every process of
 * it, orphans killed at the end included; without one, what its first
 * process waited for), but wall_us and tree_peak_kb.
 *   wall_us       from the attempt's start (where its deadline counts
 *                 from) to the task's end: its first process's, as
 *                 cordon's init timed it in a pid namespace, so that a
 *                 caller held up (stopped, a slow callback, a busy
 *                 machine) does not lengthen it; without one, when the
 *                 caller saw the end.
 *   max_rss_kb    the largest single process's peak resident set
 *                 (ru_maxrss), not a sum.  A process's figure includes
 *                 what it inherited: a function task's process is a copy
 *                 of the caller.  A command started in namespaces gives
 *                 its copy of the caller back before its exec, and its
 *                 figure is its own; started otherwise (no namespaces,
 *                 sanitizer builds, a caller under a seccomp filter of
 *                 its own), the kernel records at its execve the peak of
 *                 the memory it was exec'd from: the caller's (README,
 *                 "Accounting: what the figures mean").
 *   tree_peak_kb  the peak of the memory (resident and page cache) the
 *                 whole tree was charged for at once, counted by its
 *                 memory cgroup: the task's own pages only, never the
 *                 caller's it shares.  0 when no cgroup of the task
 *                 counted memory: it has one with a memory limit, with
 *                 cordon_set_tree_accounting, or (cgroup v2 with the
 *                 memory controller) whenever it has a cgroup. */
/*   user_us, sys_us  the tree's CPU time: wait4's, or the task's v2
 *                 cgroup's (it has one with a CPU limit, without a pid
 *                 namespace, or with cordon_set_tree_accounting) where
 *                 that is larger: processes nobody waited for count.
 *                 Without a v2 cgroup, a CPU limit's watch (the
 *                 task-clock counter, the scans of /proc) adds what it
 *                 saw that wait4 did not, split as the scans saw it run.
 * Without a pid namespace, a caller that ignores SIGCHLD has the kernel
 * reap the task's first process, and wait4's figures are lost: 0 but for
 * a cgroup's or a CPU limit's CPU (README, "Accounting"). */
typedef struct cordon_usage {
    uint64_t wall_us, user_us, sys_us;
    uint64_t max_rss_kb;
    uint64_t minflt, majflt, nvcsw, nivcsw, inblock, oublock;
    uint64_t tree_peak_kb;
} cordon_usage;

/* How a task was confined, in detail, for an audit to prove it afterwards
 * (result.confinement_details; the namespaces are result.confinement's
 * bits).  Its strings live as long as the task. */
typedef struct cordon_file_rule {
    const char *path;
    unsigned access;                    /* CORDON_READ | CORDON_WRITE | CORDON_EXEC */
} cordon_file_rule;
typedef struct cordon_bind_record {
    const char *source, *target;        /* resolved */
    int read_only;
} cordon_bind_record;
typedef struct cordon_confinement {
    const char *policy;                 /* the filter's name; NULL: none */
    int landlock_abi;                   /* the kernel's Landlock ABI in use; 0: none */
    const cordon_file_rule *file_rules; /* with file rules, every grant: the task's, the
                                           system's, a preset's, and those made on its own
                                           mounts (/proc, binds, /dev, tmpfs); else none */
    size_t file_rule_count;
    const cordon_bind_record *binds;
    size_t bind_count;
    const char *hostname;               /* in its UTS namespace; NULL: the caller's */
    int cgroup_version;                 /* of the cgroup that held its tree: 2 or 1; 0: none */
    int cgroup_memory_version;          /* of the cgroup that limited its memory; 0: none
                                           (an rlimit, or no limit) */
    int cgroup_pids_version;            /* of the cgroup that limited its processes; 0: none */
    uid_t uid;                          /* the ids it ran as (the caller's, or
                                           cordon_set_user's) */
    gid_t gid;
    uint64_t max_processes;             /* the most processes and threads its tree could
                                           hold at once (cordon's init aside): its
                                           CORDON_LIMIT_PROCESSES, or without one cordon's
                                           share, a quarter of the fewest of pid_max and
                                           threads-max less the machine's threads at the
                                           start, the caller's soft RLIMIT_NPROC and the
                                           room its pids cgroups leave it, less what the
                                           process's tasks running at the same time were
                                           given (never below a sixteenth of a lone
                                           task's share).
                                           Held by the pids cgroup (cgroup_pids_version),
                                           else by RLIMIT_NPROC, which counts the task's
                                           processes alone in its user namespace
                                           (CORDON_CONFINED_USER_NAMESPACE) and all of
                                           its user's without one (a limit of the
                                           caller's only, then: the share is no task's
                                           there).  0: nothing held it (a task without
                                           a pids cgroup and, for the share, without a
                                           user namespace of its own).  Where the
                                           caller's own lower RLIMIT_NPROC held the
                                           task's limit lower, that (clamped_limits) */
    unsigned clamped_limits;            /* bits 1u << CORDON_LIMIT_* (CPU_MS, MEMORY,
                                           FILE_SIZE, OPEN_FILES, PROCESSES): limits of the
                                           task's that the caller's own lower rlimit of
                                           the same kind held lower (the task cannot be
                                           given more than its caller has) */
    uint64_t held_limits[5];            /* for each bit, the value that held, in the
                                           limit's unit: CPU_MS the caller's hard
                                           RLIMIT_CPU in ms, per process; MEMORY the
                                           bytes of address space each process could
                                           map; FILE_SIZE bytes; OPEN_FILES fds;
                                           PROCESSES the caller's RLIMIT_NPROC less
                                           cordon's init, which counts all of the user's
                                           processes outside a user namespace of the
                                           task's own */
} cordon_confinement;

struct cordon_result {         /* cordon_result, typedef'd above */
    int exit_code;          /* command: exit status; function: its int return */
    int signal;             /* signal that ended it, 0 if none */
    const char *exception;  /* NULL, or the exception's class name */
    cordon_bytes std_out, std_err, log_out, exc_out, returns;
    cordon_usage usage;
    unsigned attempts;      /* 1 + retries made; 0 before a run, and after one
                               that could not start (a negative return: the
                               result is then empty, no earlier run's; a
                               retry whose later attempt could not start
                               keeps the attempts made in its history) */
    unsigned confinement;   /* CORDON_CONFINED_*: the mechanisms that held the task */
    const char *message;    /* the exception's one-line message, without its class or
                               report (backtrace): "connection refused" for
                               cordon_raise(ctx, "ServerError", "connection refused")
                               (its control bytes, newlines too, and bytes of no
                               well-formed UTF-8 shown as \xNN, as in exc_out),
                               "Segmentation fault" for a SIGSEGV, the first line of
                               exc_out without "Class: " for cordon's own exceptions;
                               "" without an exception.  A raised message past 2047
                               bytes is cut there, between characters, ending in "..." */
    const cordon_confinement *confinement_details; /* NULL before a run, or when cordon could
                                                      not run it */
};

/* 1 when the run succeeded: it ran, with no exception and exit code 0;
 * else 0 (also for NULL and a task that never ran).  An ending without
 * exception but with a nonzero exit code (a command's `exit 1`, a
 * function's `return 3`) is no success. */
int cordon_succeeded(const cordon_result *r);

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
#define CORDON_CONFINED_UTS_NAMESPACE  0x400u /* a hostname of its own (cordon_set_hostname) */
#define CORDON_CONFINED_CGROUP_NAMESPACE 0x800u /* its cgroup is the root it sees */
#define CORDON_CONFINED_BIND_MOUNTS    0x1000u /* its binds (cordon_add_bind) */
#define CORDON_CONFINED_MINIMAL_DEV    0x2000u /* a /dev of its own (cordon_set_minimal_dev) */

/* One attempt of cordon_run_and_retry (or the single one of cordon_run). */
typedef struct cordon_attempt {
    const char *exception;  /* NULL when it ended without one */
    int exit_code, signal;
    cordon_usage usage;
    const char *message;    /* its result.message: the exception's one-line message,
                               without "Class: " (at most 255 bytes: one longer is cut
                               between characters, never inside an escape, and ends in
                               "..."); "" when none */
} cordon_attempt;

/* The last run's result; valid until the next run or cordon_task_free.
 * Before any run: all zero, empty buffers.  The address is the task's
 * for its life, and what it points to is current at each run's end: a
 * pointer kept from before a run reads that run's result. */
const cordon_result *cordon_task_result(const cordon_task *t);
/* The attempts of the last run, oldest first; *count gets their number. */
const cordon_attempt *cordon_task_history(const cordon_task *t, size_t *count);

/* "SIGSEGV" for 11, "SIGRTMIN+2", "SIGRTMAX-3", "SIGRTMAX", as `kill -l`
 * names them; NULL for a number that is no signal. */
const char *cordon_signal_name(int signo);
/* The number of a signal's name: what cordon_signal_name gives, the "SIG"
 * optional and in any case ("segv"), and a real-time signal counted from
 * either end ("SIGRTMIN+30" and "SIGRTMAX" are both 64, as bash's kill
 * takes them); 0 for a name that is no signal. */
int cordon_signal_number(const char *name);

#ifdef __cplusplus
}
#endif
#endif
